/**
 * Stop orders in KuCoin's words (docs/dialects/kucoin.md, "Stop orders"): the
 * `/contractMarket/advancedOrders` stopOrder data, the REST order object of a stop order that has
 * not placed its order (GET /api/v1/stopOrders, GET /api/v1/orders/{id}), and the stop fields of
 * an order a stop order placed.
 *
 * A KuCoin stop order is one order: it waits untriggered, then becomes the active order under the
 * same id (`stopTriggered` true). The engine's conditional order and the order it places share
 * their id too, so both are one KuCoin order here. Every conditional kind shows as a stop order:
 * the plan order of POST /api/v1/orders (`stop`), and the take-profit / stop-loss pair that
 * POST /api/v1/st-orders arms when its order fills.
 *
 * ConditionalEvent → stopOrder `type`:
 *   NEW                 → open
 *   TRIGGERED           → triggered, triggerSuccess true
 *   REJECTED            → triggered, triggerSuccess false, error (error.createOrder.accountBalanceInsufficient, …)
 *   CANCELED, EXPIRED   → cancel
 *   AMENDED             → nothing (KuCoin has no stop-order amendment and documents no such message)
 */
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalReason, ConditionalSnapshot, MarginMode, TriggerDirection, TriggerSource } from '../../engine/types.js';
import type { JsonObject } from './encode-position.js';
import { amountText, nsNum, priceText, valueOf } from './values.js';
import { kucoinCurrency } from './symbols.js';

export type StopPriceType = 'TP' | 'MP' | 'IP';
export type StopDirection = 'up' | 'down';

/** KuCoin's stopPriceType: TP the last trade price, MP the mark price, IP the index price. */
export const TRIGGER_SOURCES: Readonly<Record<StopPriceType, TriggerSource>> = { TP: 'LAST', MP: 'MARK', IP: 'INDEX' };
export const stopPriceTypeOf = (source: TriggerSource): StopPriceType => (source === 'LAST' ? 'TP' : source === 'MARK' ? 'MP' : 'IP');
/** up: triggers when the price reaches or goes above stopPrice; down: at or below. */
export const TRIGGER_DIRECTIONS: Readonly<Record<StopDirection, TriggerDirection>> = { up: 'RISE', down: 'FALL' };
export const stopOf = (direction: TriggerDirection): StopDirection => (direction === 'RISE' ? 'up' : 'down');

/** The one trigger failure KuCoin documents, and perpstream's names for the engine's other refusals in the same form. */
export function triggerError(reason: ConditionalReason): string {
  if (reason === 'INSUFFICIENT_MARGIN') return 'error.createOrder.accountBalanceInsufficient';
  const words = reason.toLowerCase().split('_');
  return `error.createOrder.${words[0]}${words.slice(1).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
}

export type StopOrderMessage = 'open' | 'triggered' | 'cancel';

/** The stopOrder data of a conditional order as it stands, as a message of `type`, at `time`. */
export function stopOrderData(c: ConditionalSnapshot, config: SymbolConfig, name: string, type: StopOrderMessage, time: number): JsonObject {
  const rejected = c.state === 'REJECTED';
  return {
    orderId: String(c.conditionalId),
    symbol: name,
    type,
    orderType: 'stop',
    side: c.side === 'BUY' ? 'buy' : 'sell',
    size: c.qty,
    // KuCoin: "Order price. For market orders, the value is null".
    orderPrice: c.orderType === 'LIMIT' ? priceText(config, c.price) : null,
    stop: stopOf(c.triggerDirection),
    stopPrice: c.triggerPrice === null ? null : priceText(config, c.triggerPrice),
    stopPriceType: stopPriceTypeOf(c.triggerSource),
    // KuCoin: "Only for triggered type of orders"; error "only when the trigger … fails".
    triggerSuccess: type === 'triggered' ? !rejected : undefined,
    error: type === 'triggered' && rejected ? triggerError(c.reason) : undefined,
    // The account's margin mode on the contract when the stop order was placed (KuCoin orders carry theirs).
    marginMode: c.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
    createdAt: c.createTime,
    ts: nsNum(time),
  };
}

/** What the REST order object shows of the stop order behind an order (or of a stop order itself). */
export interface StopFields {
  stop: StopDirection | '';
  stopPriceType: StopPriceType | '';
  stopTriggered: boolean;
  stopPrice: string | null;
  closeOrder: boolean;
}

/** An order placed directly: no stop. */
export const NO_STOP: StopFields = Object.freeze({ stop: '', stopPriceType: '', stopTriggered: false, stopPrice: null, closeOrder: false });

/** The stop fields of a conditional order; `stopTriggered` once it fired (its order placed or refused). */
export function stopFields(c: ConditionalSnapshot, config: SymbolConfig): StopFields {
  return {
    stop: stopOf(c.triggerDirection),
    stopPriceType: stopPriceTypeOf(c.triggerSource),
    stopTriggered: c.state === 'TRIGGERED' || c.state === 'REJECTED',
    stopPrice: c.triggerPrice === null ? null : priceText(config, c.triggerPrice),
    closeOrder: c.closePosition,
  };
}

/** The account's settings for the symbol that a KuCoin order object carries and a conditional order does not. */
export interface OrderSettings {
  leverage: number;
  marginMode: MarginMode;
}

/**
 * The REST order object of a stop order that has not placed an order: waiting (GET /api/v1/stopOrders:
 * status open, isActive true), or ended without one (cancelled, expired, refused at trigger: done,
 * cancelExist true). Same fields, in the same order, as the ordinary order object (encode-order.ts).
 */
export function restStopOrder(c: ConditionalSnapshot, config: SymbolConfig, name: string, settings: OrderSettings): JsonObject {
  const waiting = c.state === 'WAITING';
  const limit = c.orderType === 'LIMIT';
  const stop = stopFields(c, config);
  return {
    id: String(c.conditionalId),
    symbol: name,
    type: limit ? 'limit' : 'market',
    side: c.side === 'BUY' ? 'buy' : 'sell',
    price: limit ? priceText(config, c.price) : null,
    size: c.qty,
    value: limit ? amountText(valueOf(config, c.qty, c.price)) : '0',
    dealValue: '0',
    dealSize: 0,
    stp: '',
    stop: stop.stop,
    stopPriceType: stop.stopPriceType,
    stopTriggered: stop.stopTriggered,
    stopPrice: stop.stopPrice,
    timeInForce: c.timeInForce === 'GTX' ? 'GTC' : c.timeInForce,
    postOnly: c.timeInForce === 'GTX',
    hidden: false,
    iceberg: false,
    leverage: String(settings.leverage),
    forceHold: false,
    closeOrder: stop.closeOrder,
    visibleSize: null,
    clientOid: c.clientOrderId,
    remark: null,
    tags: null,
    isActive: waiting,
    cancelExist: !waiting,
    createdAt: c.createTime,
    updatedAt: c.updateTime,
    endAt: waiting ? null : c.updateTime,
    orderTime: nsNum(c.createTime),
    settleCurrency: kucoinCurrency(config.settleAsset),
    marginMode: settings.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
    positionSide: c.positionSide,
    avgDealPrice: '0',
    status: waiting ? 'open' : 'done',
    filledValue: '0',
    filledSize: 0,
    reduceOnly: c.reduceOnly,
  };
}
