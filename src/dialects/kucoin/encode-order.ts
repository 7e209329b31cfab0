/**
 * Orders and fills in KuCoin's words: the `/contractMarket/tradeOrders` orderChange data
 * (protocols.md §4.2; sizes in lots, decimals as strings, orderTime and ts in ns), the REST order
 * object and the REST fill. Values are in the settle currency: an inverse order's `value`,
 * `filledValue` and a fill's `value` are coin values (XBT), its `avgDealPrice` the harmonic mean.
 *
 * Engine event → orderChange `type` / `status`:
 *   order NEW                      → open / open
 *   trade (one fill)               → match / open (maker) or match (taker); then filled / done if it filled the order
 *   order AMENDMENT                → update / open (KuCoin has no amend; an amendment made elsewhere shows as an update)
 *   order CANCELED or EXPIRED      → canceled / done (also an order a quarterly's delivery ended: KuCoin has no expiry type)
 *   order TRADE, order REJECTED    → nothing (the trade event tells the fill; a rejected order never existed for KuCoin)
 */
import type { SymbolConfig } from '../../engine/symbol.js';
import type { OrderSnapshot, OrderSource, TradeEvent } from '../../engine/types.js';
import type { JsonObject } from './encode-position.js';
import { NO_STOP, type StopFields } from './encode-stop.js';
import { amountText, averagePriceText, nsNum, priceText, rateText, valueOf } from './values.js';
import { valueOfCost } from '../../engine/margin.js';
import { kucoinCurrency } from './symbols.js';

/** KuCoin's tradeType: `liquid` for the risk engine's forced orders (liquidation and ADL), else `trade`. */
export const tradeType = (source: OrderSource): 'trade' | 'liquid' => (source === 'USER' ? 'trade' : 'liquid');

const isLive = (o: OrderSnapshot): boolean => o.state === 'NEW' || o.state === 'PARTIALLY_FILLED';
const isCanceled = (o: OrderSnapshot): boolean => o.state === 'CANCELED' || o.state === 'PARTIALLY_CANCELED' || o.state === 'EXPIRED';

export type OrderChangeType = 'open' | 'match' | 'filled' | 'canceled' | 'update';

/** The orderChange data for an order as it stands, as a message of `type`. */
export function orderChangeData(o: OrderSnapshot, config: SymbolConfig, name: string, type: OrderChangeType, status: 'open' | 'match' | 'done', time: number): JsonObject {
  const remaining = o.qty - o.executedQty;
  return {
    symbol: name,
    orderType: o.orderType === 'LIMIT' ? 'limit' : 'market',
    side: o.side === 'BUY' ? 'buy' : 'sell',
    canceledSize: String(isCanceled(o) ? remaining : 0),
    orderId: String(o.orderId),
    positionSide: o.positionSide,
    marginMode: o.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
    type,
    orderTime: nsNum(o.createTime),
    size: String(o.qty),
    filledSize: String(o.executedQty),
    price: o.orderType === 'LIMIT' ? priceText(config, o.price) : '0',
    remainSize: String(isLive(o) ? remaining : 0),
    clientOid: o.clientOrderId ?? undefined,
    tradeType: tradeType(o.source),
    status,
    ts: nsNum(time),
  };
}

/** The `match` message of one fill (with its fee, which ccxt's watchMyTrades reads). */
export function matchData(t: TradeEvent, config: SymbolConfig, name: string): JsonObject {
  const base = orderChangeData(t.order, config, name, 'match', t.isMaker ? 'open' : 'match', t.time);
  return {
    ...base,
    liquidity: t.isMaker ? 'maker' : 'taker',
    feeType: t.isMaker ? 'makerFee' : 'takerFee',
    matchPrice: priceText(config, t.price),
    matchSize: String(t.qty),
    tradeId: String(t.tradeId),
    fee: amountText(t.fee),
    feeRate: rateText(t.isMaker ? config.makerFeeRate : config.takerFeeRate),
    feeCurrency: kucoinCurrency(t.feeAsset),
  };
}

/**
 * The REST order object (GET /api/v1/orders, /api/v1/orders/{id}). An order a stop order placed
 * shows that stop order's fields (`stop`, `stopPrice`, `stopPriceType`, `stopTriggered` true, and
 * `closeOrder`), as KuCoin shows a triggered stop order (encode-stop.ts).
 */
export function restOrder(o: OrderSnapshot, config: SymbolConfig, name: string, stop: StopFields = NO_STOP): JsonObject {
  const live = isLive(o);
  const limit = o.orderType === 'LIMIT';
  // The filled value in the settle asset (inverse: coin) and the average fill price (inverse: harmonic), both from cumCost.
  const filledValue = amountText(valueOfCost(config, o.cumCost));
  return {
    id: String(o.orderId),
    symbol: name,
    type: limit ? 'limit' : 'market',
    side: o.side === 'BUY' ? 'buy' : 'sell',
    price: limit ? priceText(config, o.price) : null,
    size: o.qty,
    value: limit ? amountText(valueOf(config, o.qty, o.price)) : filledValue,
    dealValue: filledValue,
    dealSize: o.executedQty,
    stp: '',
    stop: stop.stop,
    stopPriceType: stop.stopPriceType,
    stopTriggered: stop.stopTriggered,
    stopPrice: stop.stopPrice,
    timeInForce: o.timeInForce === 'GTX' ? 'GTC' : o.timeInForce,
    postOnly: o.timeInForce === 'GTX',
    hidden: false,
    iceberg: false,
    leverage: String(o.leverage),
    forceHold: false,
    closeOrder: stop.closeOrder,
    visibleSize: null,
    clientOid: o.clientOrderId,
    remark: null,
    tags: null,
    isActive: live,
    cancelExist: isCanceled(o),
    createdAt: o.createTime,
    updatedAt: o.updateTime,
    endAt: live ? null : o.updateTime,
    orderTime: nsNum(o.createTime),
    settleCurrency: kucoinCurrency(config.settleAsset),
    marginMode: o.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
    positionSide: o.positionSide,
    avgDealPrice: averagePriceText(config, o.cumCost, o.executedQty),
    status: live ? 'open' : 'done',
    filledValue,
    filledSize: o.executedQty,
    reduceOnly: o.reduceOnly,
  };
}

/** The REST fill (GET /api/v1/fills). */
export function restFill(t: TradeEvent, config: SymbolConfig, name: string): JsonObject {
  const rate = t.isMaker ? config.makerFeeRate : config.takerFeeRate;
  return {
    symbol: name,
    tradeId: String(t.tradeId),
    orderId: String(t.orderId),
    side: t.side === 'BUY' ? 'buy' : 'sell',
    liquidity: t.isMaker ? 'maker' : 'taker',
    forceTaker: false,
    price: priceText(config, t.price),
    size: t.qty,
    value: amountText(valueOf(config, t.qty, t.price)),
    stop: '',
    feeRate: rateText(rate),
    fixFee: '0',
    feeCurrency: kucoinCurrency(t.feeAsset),
    tradeTime: nsNum(t.time),
    subTradeType: null,
    // Fills recorded before trade events carried their order (older snapshots) have no order: CROSS, the default mode.
    marginMode: (t.order as OrderSnapshot | undefined)?.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
    settleCurrency: kucoinCurrency(config.settleAsset),
    displayType: t.orderType === 'LIMIT' ? 'limit' : 'market',
    fee: amountText(t.fee),
    orderType: t.orderType === 'LIMIT' ? 'limit' : 'market',
    tradeType: tradeType(t.source),
    createdAt: t.time,
    positionSide: t.positionSide,
  };
}

