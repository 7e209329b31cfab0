/**
 * The rows of XT's order-entrust/list (docs/futures/Entrust/QueryAllOrders.mdx): `type` ORDER for
 * an order, ENTRUST for a conditional order. `sourceType` here is XT's channel (WEB / APP / API /
 * COPY): always API. `isProfit` marks a take-profit / stop-loss (an order placed by one, or the
 * conditional itself); `entrustOrderId` is the order a conditional placed (its id is the
 * conditional's), null before it fired.
 */
import { formatAmount } from '../../engine/fixed.js';
import { formatEntryPrice, formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalSnapshot, OrderSnapshot } from '../../engine/types.js';
import { XT_TRIGGER_PRICE_TYPE, xtConditionalSide, xtEntrustType } from './entrust-objects.js';

const isProfit = (kind: string | null): boolean => kind === 'TAKE_PROFIT' || kind === 'STOP_LOSS';

const NO_TPSL = {
  delegateTriggerPriceType: null, triggerProfitPrice: null, profitDelegateOrderType: null, profitDelegateTimeInForce: null, profitDelegatePrice: null,
  triggerStopPrice: null, stopDelegateOrderType: null, stopDelegateTimeInForce: null, stopDelegatePrice: null,
};

export function orderRow(o: OrderSnapshot, config: SymbolConfig, positionSide: 'LONG' | 'SHORT'): Record<string, unknown> {
  return {
    id: String(o.orderId),
    type: 'ORDER',
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    orderType: o.orderType,
    orderSide: o.side,
    positionSide,
    timeInForce: o.timeInForce,
    closePosition: false,
    price: o.orderType === 'MARKET' ? '0' : formatPrice(config, o.price),
    origQty: String(o.qty),
    avgPrice: formatEntryPrice(config, o.cumCost, o.executedQty),
    executedQty: String(o.executedQty),
    marginFrozen: formatAmount(o.marginFrozen),
    leverage: o.leverage,
    openPrice: null,
    entrustOrderId: null,
    closeProfit: formatAmount(o.realizedPnl),
    // Partly filled then cancelled reads CANCELED, as on order/list (this list has no PARTIALLY_CANCELED).
    state: o.state === 'PARTIALLY_CANCELED' ? 'CANCELED' : o.state,
    createdTime: o.createTime,
    updatedTime: o.updateTime,
    entrustType: null,
    stopPrice: null,
    isOrdinary: true,
    marketOrderLevel: null,
    forceClose: o.source !== 'USER',
    sourceType: 'API',
    welfareAccount: false,
    isProfit: isProfit(o.origin),
    triggerPriceType: null,
    ...NO_TPSL,
    markPrice: null,
    positionType: o.marginMode,
  };
}

/** A conditional's row state in this list's words: waiting NEW, fired PLACED, else how it ended. */
function entrustRowState(c: ConditionalSnapshot): string {
  switch (c.state) {
    case 'WAITING': return 'NEW';
    case 'TRIGGERED': return 'PLACED';
    default: return c.state;
  }
}

function entrustTypeOf(c: ConditionalSnapshot): string {
  const market = c.orderType === 'MARKET' ? '_MARKET' : '';
  switch (c.kind) {
    case 'PLAN': return xtEntrustType(c);
    case 'TAKE_PROFIT': return `TAKE_PROFIT${market}`;
    case 'STOP_LOSS': return `STOP${market}`;
    case 'TRAILING': return 'TRAILING_STOP_MARKET';
  }
}

export function entrustRow(c: ConditionalSnapshot, config: SymbolConfig, placed: OrderSnapshot | undefined): Record<string, unknown> {
  const price = (ticks: number | null) => (ticks === null ? null : formatPrice(config, ticks));
  const limit = c.orderType === 'MARKET' ? null : formatPrice(config, c.price);
  const leg = c.kind === 'TAKE_PROFIT' ? 'profit' : c.kind === 'STOP_LOSS' ? 'stop' : null;
  return {
    id: String(c.conditionalId),
    type: 'ENTRUST',
    clientOrderId: c.clientOrderId,
    symbol: c.symbol,
    orderType: c.orderType,
    orderSide: c.side,
    positionSide: xtConditionalSide(c),
    timeInForce: c.timeInForce,
    closePosition: c.closePosition || c.qty === 0,
    price: limit ?? '0',
    origQty: String(c.qty),
    avgPrice: placed === undefined ? '0' : formatEntryPrice(config, placed.cumCost, placed.executedQty),
    executedQty: placed === undefined ? '0' : String(placed.executedQty),
    marginFrozen: '0',
    leverage: placed?.leverage ?? 0,
    openPrice: null,
    entrustOrderId: c.orderId === null ? null : String(c.orderId),
    closeProfit: null,
    state: entrustRowState(c),
    createdTime: c.createTime,
    updatedTime: c.updateTime,
    entrustType: entrustTypeOf(c),
    stopPrice: price(c.triggerPrice),
    isOrdinary: true,
    marketOrderLevel: null,
    forceClose: false,
    sourceType: 'API',
    welfareAccount: false,
    isProfit: leg !== null,
    triggerPriceType: XT_TRIGGER_PRICE_TYPE[c.triggerSource],
    ...NO_TPSL,
    ...(leg === null ? {} : {
      delegateTriggerPriceType: XT_TRIGGER_PRICE_TYPE[c.triggerSource],
      [leg === 'profit' ? 'triggerProfitPrice' : 'triggerStopPrice']: price(c.triggerPrice),
      [`${leg}DelegateOrderType`]: c.orderType,
      [`${leg}DelegateTimeInForce`]: c.timeInForce,
      [`${leg}DelegatePrice`]: limit,
    }),
    markPrice: null,
    positionType: placed?.marginMode ?? null,
  };
}
