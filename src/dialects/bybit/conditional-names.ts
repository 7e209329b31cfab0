/**
 * The engine's conditional-order vocabulary in Bybit's words (docs/v5/enum.mdx): `stopOrderType`,
 * `createType`, `orderStatus` Untriggered / Triggered / Deactivated, `cancelType`, `triggerBy`,
 * `triggerDirection`, and the trigger fields an order row carries.
 */
import type { ConditionalKind, ConditionalSnapshot, OrderSnapshot, TpslMode, TriggerSource } from '../../engine/types.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import { price } from './symbols.js';

export function triggerByName(source: TriggerSource): 'LastPrice' | 'MarkPrice' | 'IndexPrice' {
  return source === 'LAST' ? 'LastPrice' : source === 'MARK' ? 'MarkPrice' : 'IndexPrice';
}

/** Bybit's `stopOrderType` of a conditional order and of the order it placed. */
export function stopOrderType(kind: ConditionalKind, mode: TpslMode | null): string {
  switch (kind) {
    case 'PLAN': return 'Stop';
    case 'TAKE_PROFIT': return mode === 'PARTIAL' ? 'PartialTakeProfit' : 'TakeProfit';
    case 'STOP_LOSS': return mode === 'PARTIAL' ? 'PartialStopLoss' : 'StopLoss';
    case 'TRAILING': return 'TrailingStop';
  }
}

/** Bybit's `createType` of a conditional order and of the order it placed. */
export function conditionalCreateType(kind: ConditionalKind, mode: TpslMode | null): string {
  switch (kind) {
    case 'PLAN': return 'CreateByStopOrder';
    case 'TAKE_PROFIT': return mode === 'PARTIAL' ? 'CreateByPartialTakeProfit' : 'CreateByTakeProfit';
    case 'STOP_LOSS': return mode === 'PARTIAL' ? 'CreateByPartialStopLoss' : 'CreateByStopLoss';
    case 'TRAILING': return 'CreateByTrailingStop';
  }
}

/**
 * The TP/SL mode of the conditional an order came from: the conditional's own when it is at hand;
 * otherwise Bybit's rule decides it, since a Full TP/SL leg can only place a Market order
 * (create-order.mdx, trading-stop.mdx), so a Limit TP/SL order is a Partial one.
 */
export function originMode(order: Pick<OrderSnapshot, 'origin' | 'orderType'>, conditional?: ConditionalSnapshot): TpslMode | null {
  if (conditional !== undefined) return conditional.tpslMode;
  if (order.origin !== 'TAKE_PROFIT' && order.origin !== 'STOP_LOSS') return null;
  return order.orderType === 'LIMIT' ? 'PARTIAL' : 'FULL';
}

/** `orderStatus` of a conditional order: waiting Untriggered; cancelled or expired before the trigger Deactivated. */
export function conditionalStatus(c: Pick<ConditionalSnapshot, 'state'>): string {
  switch (c.state) {
    case 'WAITING': return 'Untriggered';
    case 'TRIGGERED': return 'Triggered';
    case 'CANCELED':
    case 'EXPIRED': return 'Deactivated';
    case 'REJECTED': return 'Rejected';
  }
}

/** `cancelType` of a conditional order that ended without placing its order. */
export function conditionalCancelType(c: Pick<ConditionalSnapshot, 'state' | 'reason' | 'kind'>): string {
  if (c.state !== 'CANCELED' && c.state !== 'EXPIRED') return 'UNKNOWN';
  switch (c.reason) {
    // A FULL TP/SL replaced by the user's trading-stop is the user's doing.
    case 'USER_CANCELED':
    case 'REPLACED': return 'CancelByUser';
    case 'POSITION_CLOSED': return 'CancelByTpSlTsClear';
    // enum.mdx cancelType: CancelBySettle, "cancelled due to delisting contract" (a delivery).
    case 'DELIVERY': return 'CancelBySettle';
    case 'OCO_PARTNER_FIRED': return c.kind === 'TAKE_PROFIT' ? 'CancelByOCOTpCanceledBySlTriggered' : 'CancelByOCOSlCanceledByTpTriggered';
    default: return 'UNKNOWN';
  }
}

/**
 * The trigger fields of an order row for a conditional order and for the order it placed:
 * `triggerPrice` (a trailing stop's activation price, as Bybit documents; "" until known),
 * `triggerDirection` 1 rise / 2 fall, `triggerBy`, and `tpslMode` for TP/SL legs.
 */
export function triggerFields(c: ConditionalSnapshot, config: SymbolConfig): Record<string, unknown> {
  const trigger = c.kind === 'TRAILING' ? c.activationPrice : c.triggerPrice;
  return {
    stopOrderType: stopOrderType(c.kind, c.tpslMode),
    triggerPrice: trigger === null ? '' : price(config, trigger),
    triggerDirection: c.triggerDirection === 'RISE' ? 1 : 2,
    triggerBy: triggerByName(c.triggerSource),
    tpslMode: c.tpslMode === 'FULL' ? 'Full' : c.tpslMode === 'PARTIAL' ? 'Partial' : '',
  };
}
