/**
 * Conditional orders as each dialect's pushes show them (conditional.test.ts), written from the
 * dialect docs, against the engine's `conditional` events and the origin of the orders they place:
 *
 * - the conditional's own pushes, one line each in arrival order (Model.conditionalLog):
 *   XT none (docs/dialects/xt-rest.md §13 "Pushes"); Binance ALGO_UPDATE statuses with `ai` and
 *   CONDITIONAL_ORDER_TRIGGER_REJECT (binance.md §2a, §3); Bybit order-topic rows Untriggered /
 *   Triggered / Deactivated with stopOrderType, createType and cancelType (bybit.md, "One orderId");
 *   KuCoin advancedOrders stopOrder open / triggered (triggerSuccess, error) / cancel (kucoin.md,
 *   "Stop orders");
 * - the origin every push of a placed order shows (Model.origins): XT sourceType ENTRUST / PROFIT +
 *   sourceId, Binance `ot` (the algo type), Bybit stopOrderType + createType. KuCoin's placed order
 *   is the stop order's own id (its `triggered` line and the order entity share it).
 */
import type { ConditionalKind, ConditionalSnapshot, EngineEvent } from '../../src/engine/types.js';
import type { DialectName } from './delivery.js';

/** Bybit's stopOrderType and createType of a conditional kind (bybit.md, the "One orderId" table). */
export function bybitKind(kind: ConditionalKind, tpslMode: ConditionalSnapshot['tpslMode']): string {
  const partial = tpslMode === 'PARTIAL' ? 'Partial' : '';
  switch (kind) {
    case 'PLAN': return 'Stop CreateByStopOrder';
    case 'TAKE_PROFIT': return `${partial}TakeProfit CreateBy${partial}TakeProfit`;
    case 'STOP_LOSS': return `${partial}StopLoss CreateBy${partial}StopLoss`;
    case 'TRAILING': return 'TrailingStop CreateByTrailingStop';
  }
}

/** Bybit's cancelType of a conditional ended before its trigger (bybit.md table). */
function bybitCancelType(c: ConditionalSnapshot): string {
  switch (c.reason) {
    case 'USER_CANCELED': case 'REPLACED': return 'CancelByUser';
    case 'POSITION_CLOSED': return 'CancelByTpSlTsClear';
    case 'OCO_PARTNER_FIRED': return c.kind === 'STOP_LOSS' ? 'CancelByOCOSlCanceledByTpTriggered' : 'CancelByOCOTpCanceledBySlTriggered';
    default: return 'UNKNOWN';
  }
}

/** Binance's algo type: TRAILING_STOP_MARKET, or STOP / TAKE_PROFIT from side + direction (binance.md §2a "Type → trigger"). */
export function binanceAlgoType(c: ConditionalSnapshot): string {
  if (c.kind === 'TRAILING') return 'TRAILING_STOP_MARKET';
  const stop = (c.side === 'BUY') === (c.triggerDirection === 'RISE');
  return `${stop ? 'STOP' : 'TAKE_PROFIT'}${c.orderType === 'MARKET' ? '_MARKET' : ''}`;
}

/** KuCoin's trigger error (kucoin.md: the documented one for margin, the engine's reason in the same form otherwise). */
function kucoinError(reason: string): string {
  if (reason === 'INSUFFICIENT_MARGIN') return 'error.createOrder.accountBalanceInsufficient';
  const words = reason.toLowerCase().split('_');
  return `error.createOrder.${words[0]}${words.slice(1).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
}

const ORDER_DONE = new Set(['FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'EXPIRED']);

/** Every line a dialect's conditional pushes must show for these events (the account's whole history). */
export function expectedConditionalLog(dialect: DialectName, events: readonly EngineEvent[]): string[] {
  const out: string[] = [];
  const byCommand = new Map<number, EngineEvent[]>();
  for (const e of events) byCommand.set(e.cmdSeq, [...(byCommand.get(e.cmdSeq) ?? []), e]);
  for (const group of byCommand.values()) {
    const ordered = new Set(group.flatMap((e) => (e.type === 'order' ? [e.order.orderId] : [])));
    for (const e of group) {
      if (e.type !== 'conditional') continue;
      const c = e.conditional;
      const id = `#${c.conditionalId}`;
      switch (dialect) {
        case 'binance':
          if (e.change === 'NEW') out.push(`${id} NEW`);
          if (e.change === 'TRIGGERED') out.push(`${id} TRIGGERING`, `${id} TRIGGERED ai=${String(c.orderId)}`);
          if (e.change === 'REJECTED') {
            out.push(`${id} TRIGGERING`, `${id} REJECTED${c.reason === 'INSUFFICIENT_MARGIN' ? ' rm=Margin is insufficient.' : ''}`, `reject ${id}`);
          }
          if (e.change === 'CANCELED') out.push(`${id} ${c.reason === 'USER_CANCELED' ? 'CANCELED' : 'EXPIRED'}`);
          if (e.change === 'EXPIRED') out.push(`${id} EXPIRED`);
          break;
        case 'bybit': {
          const kind = bybitKind(c.kind, c.tpslMode);
          if (e.change === 'NEW' || e.change === 'AMENDED') out.push(`${id} Untriggered ${kind}`);
          if (e.change === 'TRIGGERED') out.push(`${id} Triggered ${kind}`);
          if (e.change === 'CANCELED' || e.change === 'EXPIRED') out.push(`${id} Deactivated ${kind} ${bybitCancelType(c)}`);
          if (e.change === 'REJECTED' && !ordered.has(c.conditionalId)) out.push(`${id} Rejected ${kind}`);
          break;
        }
        case 'kucoin':
          if (e.change === 'NEW') out.push(`${id} open`);
          if (e.change === 'TRIGGERED') out.push(`${id} triggered success=true`);
          if (e.change === 'REJECTED') out.push(`${id} triggered success=false ${kucoinError(c.reason)}`);
          if (e.change === 'CANCELED' || e.change === 'EXPIRED') out.push(`${id} cancel`);
          break;
        default:
          break;
      }
    }
    if (dialect === 'binance') {
      // FINISHED when the placed order ended (after the command's ACCOUNT_UPDATE).
      const done: number[] = [];
      for (const e of group) {
        if (e.type === 'order' && e.order.conditionalId !== null && e.execType !== 'REJECTED' && ORDER_DONE.has(e.order.state) && !done.includes(e.order.conditionalId)) {
          done.push(e.order.conditionalId);
        }
      }
      for (const c of done) out.push(`#${c} FINISHED ai=${c}`);
    }
  }
  return out;
}

/** Per placed order (id), the origin its pushes must show in the dialect (none for direct orders). */
export function expectedOrigins(dialect: DialectName, events: readonly EngineEvent[]): Map<string, string> {
  const conditionals = new Map<number, ConditionalSnapshot>();
  const out = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'conditional') conditionals.set(e.conditional.conditionalId, e.conditional);
    if (e.type !== 'order' || e.order.origin === null) continue;
    const o = e.order;
    const c = conditionals.get(o.conditionalId!);
    if (c === undefined) throw new Error(`order ${o.orderId}: origin ${o.origin} #${String(o.conditionalId)} without a conditional event`);
    const id = String(o.orderId);
    switch (dialect) {
      case 'xt': out.set(id, `${o.origin === 'TAKE_PROFIT' || o.origin === 'STOP_LOSS' ? 'PROFIT' : 'ENTRUST'} #${String(o.conditionalId)}`); break;
      case 'binance': if (e.execType !== 'REJECTED') out.set(id, `ot=${binanceAlgoType(c)}`); break;
      case 'bybit': out.set(id, bybitKind(c.kind, c.tpslMode)); break;
      default: break;
    }
  }
  return out;
}
