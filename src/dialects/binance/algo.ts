/**
 * Binance's conditional ("algo") orders as the engine's conditional orders: the type a conditional
 * shows (STOP / TAKE_PROFIT, market or limit, TRAILING_STOP_MARKET), its algoStatus, the REST algo
 * object (POST/GET/DELETE /fapi/v1/algoOrder, openAlgoOrders, allAlgoOrders) and the ALGO_UPDATE
 * and CONDITIONAL_ORDER_TRIGGER_REJECT pushes (developers.binance.com, USDⓈ-M "New Algo Order",
 * "Query Algo Order", "Event: Algo Order Update", "Event: Conditional_Order_Trigger_Reject").
 *
 * Binance's side + type say which way the trigger watches (New Algo Order, "Condition orders will be
 * triggered when"): STOP / STOP_MARKET BUY fires when the price rises to the trigger and SELL when
 * it falls to it; TAKE_PROFIT / TAKE_PROFIT_MARKET the opposite. The engine keeps the direction, so
 * the type is read back from side + direction + the order it places.
 *
 * Ids: the engine takes a conditional's id from the order-id sequence and gives the order it places
 * the same id. On Binance the algo service numbers its orders apart from the matching engine (algo
 * ids such as 1000000033225453 beside order ids such as 88937381063), and clients key their order
 * caches by id: ccxt's watchOrders keeps one entry per id, so an algo id equal to the placed
 * order's id would fold the algo order and the order it placed into one. The dialect therefore
 * shows `algoId` = ALGO_ID_BASE + the engine's id, and reads it back; the placed order keeps the
 * engine's id (`actualOrderId`, `ai`).
 */
import type {
  ConditionalEvent, ConditionalSnapshot, OrderReason, OrderSnapshot, Side, TriggerDirection, TriggerSource,
} from '../../engine/types.js';
import { formatScaled } from '../../engine/fixed.js';
import { clientId } from './encode.js';
import { fromRefusedOrder } from './errors.js';
import { formatAverage, formatPrice, formatQty, type BinanceSymbol } from './symbols.js';

type Json = Record<string, unknown>;

/** Where the algo ids Binance's dialect shows start: above every order id, within JSON's exact integers. */
export const ALGO_ID_BASE = 1_000_000_000_000_000;
export const algoIdOf = (conditionalId: number): number => ALGO_ID_BASE + conditionalId;
/** The engine's id of an algo id; undefined for a number that is no algo id. */
export const conditionalIdOf = (algoId: number): number | undefined => (algoId > ALGO_ID_BASE && Number.isSafeInteger(algoId) ? algoId - ALGO_ID_BASE : undefined);

export const ALGO_TYPES = ['STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'] as const;
export type AlgoOrderType = typeof ALGO_TYPES[number];

export type AlgoStatus = 'NEW' | 'CANCELED' | 'TRIGGERING' | 'TRIGGERED' | 'FINISHED' | 'REJECTED' | 'EXPIRED';

export const WORKING_TYPES = ['CONTRACT_PRICE', 'MARK_PRICE'] as const;
export type WorkingType = typeof WORKING_TYPES[number];

/** The direction a STOP / TAKE_PROFIT of this side watches (see the module comment). */
export function triggerDirection(type: Exclude<AlgoOrderType, 'TRAILING_STOP_MARKET'>, side: Side): TriggerDirection {
  const stop = type === 'STOP' || type === 'STOP_MARKET';
  return (side === 'BUY') === stop ? 'RISE' : 'FALL';
}

/** The Binance type of a conditional: trailing, or STOP / TAKE_PROFIT read from side + direction, `_MARKET` when it places a market order. */
export function algoOrderType(c: Pick<ConditionalSnapshot, 'kind' | 'side' | 'triggerDirection' | 'orderType'>): AlgoOrderType {
  if (c.kind === 'TRAILING') return 'TRAILING_STOP_MARKET';
  const stop = (c.side === 'BUY') === (c.triggerDirection === 'RISE');
  const market = c.orderType === 'MARKET';
  if (stop) return market ? 'STOP_MARKET' : 'STOP';
  return market ? 'TAKE_PROFIT_MARKET' : 'TAKE_PROFIT';
}

export const triggerSourceOf = (workingType: WorkingType): TriggerSource => (workingType === 'MARK_PRICE' ? 'MARK' : 'LAST');

/** `workingType` of a trigger source. Binance has no index-price trigger: one (set through another dialect on the account) shows as the mark. */
export const workingTypeOf = (source: TriggerSource): WorkingType => (source === 'LAST' ? 'CONTRACT_PRICE' : 'MARK_PRICE');

/**
 * The time in force a conditional shows: the limit order's own, else GTC — or GTE_GTC for a
 * close-all order, which Binance expires with the position ("Event: Algo Order Update", EXPIRED).
 */
export function algoTimeInForce(c: ConditionalSnapshot): string {
  if (c.orderType === 'LIMIT') return c.timeInForce;
  return closesAll(c) ? 'GTE_GTC' : 'GTC';
}

const ORDER_FINAL = new Set(['FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'EXPIRED', 'REJECTED']);

/** Whether an order is done in the matching engine (a triggered algo order is then FINISHED). */
export const orderFinished = (order: OrderSnapshot): boolean => ORDER_FINAL.has(order.state);

/**
 * algoStatus of a conditional: waiting is NEW; triggered is TRIGGERED while the order it placed
 * lives and FINISHED once that order filled or was cancelled; cancelled by the account is CANCELED,
 * by the system (position closed, OCO partner fired, replaced) EXPIRED, as Binance names it.
 */
export function algoStatus(c: ConditionalSnapshot, placed: OrderSnapshot | undefined): AlgoStatus {
  switch (c.state) {
    case 'WAITING': return 'NEW';
    case 'TRIGGERED': return placed !== undefined && orderFinished(placed) ? 'FINISHED' : 'TRIGGERED';
    case 'CANCELED': return c.reason === 'USER_CANCELED' ? 'CANCELED' : 'EXPIRED';
    case 'EXPIRED': return 'EXPIRED';
    case 'REJECTED': return 'REJECTED';
  }
}

/** callbackRate in Binance's percent ("1.0" for 1 %) from the engine's 10^-8 fraction. */
export const formatCallbackRate = (rate: bigint): string => formatScaled(rate, 6, 1);

/**
 * A close-all order: Binance's `closePosition`, which the dialect files as the position's FULL
 * take-profit / stop-loss leg (algo-params.ts); a FULL leg set through another dialect is one too.
 */
export const closesAll = (c: ConditionalSnapshot): boolean => c.closePosition || c.tpslMode === 'FULL';

/** A reduce-only order: close-all orders are reduce-only too (Binance pushes `R` true for them). */
const reduceOnly = (c: ConditionalSnapshot): boolean => c.reduceOnly || closesAll(c);

/**
 * The trailing stop's activation price as Binance shows it: the one sent, else the price it armed
 * at (Binance: "default as the latest price"), which the engine keeps as the first extreme.
 */
function activationOf(c: ConditionalSnapshot): number | null {
  return c.activationPrice ?? c.extremePrice;
}

/** triggerPrice of the REST object: the trigger, or a trailing stop's activation price. */
function shownTrigger(c: ConditionalSnapshot): number {
  if (c.kind === 'TRAILING') return activationOf(c) ?? 0;
  return c.triggerPrice ?? 0;
}

/** The head of every REST algo object. */
function head(symbol: BinanceSymbol, c: ConditionalSnapshot, status: AlgoStatus): Json {
  return {
    algoId: algoIdOf(c.conditionalId),
    clientAlgoId: clientId({ clientOrderId: c.clientOrderId, orderId: c.conditionalId, source: 'USER' }),
    algoType: 'CONDITIONAL',
    orderType: algoOrderType(c),
    symbol: symbol.name,
    side: c.side,
    positionSide: c.positionSide,
    timeInForce: algoTimeInForce(c),
    quantity: formatQty(symbol, c.qty),
    algoStatus: status,
  };
}

/** POST /fapi/v1/algoOrder's answer (New Algo Order's response example, field for field). */
export function newAlgoObject(symbol: BinanceSymbol, c: ConditionalSnapshot): Json {
  const trailing = c.kind === 'TRAILING';
  const activation = trailing ? activationOf(c) : null;
  return {
    ...head(symbol, c, algoStatus(c, undefined)),
    triggerPrice: formatPrice(symbol, shownTrigger(c)),
    price: formatPrice(symbol, c.price),
    icebergQuantity: null,
    selfTradePreventionMode: c.stpMode,
    workingType: workingTypeOf(c.triggerSource),
    priceMatch: 'NONE',
    closePosition: closesAll(c),
    priceProtect: false,
    reduceOnly: reduceOnly(c),
    activatePrice: activation === null ? '' : formatPrice(symbol, activation),
    callbackRate: trailing && c.callbackRate !== null ? formatCallbackRate(c.callbackRate) : '',
    createTime: c.createTime,
    updateTime: c.updateTime,
    triggerTime: triggerTime(c),
    goodTillDate: 0,
  };
}

/** GET /fapi/v1/algoOrder, openAlgoOrders, allAlgoOrders (Query Algo Order's response example, field for field). */
export function algoObject(symbol: BinanceSymbol, c: ConditionalSnapshot, placed: OrderSnapshot | undefined): Json {
  const zero = formatPrice(symbol, 0);
  const filled = placed !== undefined && placed.executedQty > 0;
  return {
    ...head(symbol, c, algoStatus(c, placed)),
    actualOrderId: c.orderId === null ? '' : String(c.orderId),
    actualPrice: filled ? formatAverage(symbol, placed.cumQuote, placed.executedQty) : formatAverage(symbol, 0n, 0),
    // Binance's generated types: "only present when triggered" / "when filled/partially filled".
    ...(c.orderId === null || placed === undefined ? {} : { actualType: placed.orderType }),
    ...(filled ? { actualQty: formatQty(symbol, placed.executedQty) } : {}),
    triggerPrice: formatPrice(symbol, shownTrigger(c)),
    price: formatPrice(symbol, c.price),
    icebergQuantity: null,
    tpTriggerPrice: zero,
    tpPrice: zero,
    slTriggerPrice: zero,
    slPrice: zero,
    tpOrderType: '',
    selfTradePreventionMode: c.stpMode,
    workingType: workingTypeOf(c.triggerSource),
    priceMatch: 'NONE',
    closePosition: closesAll(c),
    priceProtect: false,
    reduceOnly: reduceOnly(c),
    createTime: c.createTime,
    updateTime: c.updateTime,
    triggerTime: triggerTime(c),
    goodTillDate: 0,
  };
}

/** When it fired (0 until then): the engine stamps the conditional's update time at trigger. */
const triggerTime = (c: ConditionalSnapshot): number => (c.state === 'TRIGGERED' || (c.state === 'REJECTED' && c.triggeredPrice !== null) ? c.updateTime : 0);

/** `rm`, the algo order's failure reason (the event page's example: "Reduce Only reject"). */
export function rejectReason(reason: ConditionalSnapshot['reason']): string {
  if (reason === 'REDUCE_ONLY_WOULD_INCREASE') return 'Reduce Only reject';
  if (reason === 'ORDER_REFUSED') return 'Order would be rejected.';
  return fromRefusedOrder(reason as OrderReason).message;
}

/**
 * One ALGO_UPDATE. `placed` is the order it placed (TRIGGERED / FINISHED: `ai`, and `ap` / `aq` /
 * `act`, which Binance shows "only when order is triggered and placed in matching engine").
 */
export function algoUpdate(symbol: BinanceSymbol, c: ConditionalSnapshot, status: AlgoStatus, time: number, placed?: OrderSnapshot): Json {
  const inEngine = placed !== undefined && (status === 'TRIGGERED' || status === 'FINISHED');
  const o: Json = {
    caid: clientId({ clientOrderId: c.clientOrderId, orderId: c.conditionalId, source: 'USER' }),
    aid: algoIdOf(c.conditionalId),
    at: 'CONDITIONAL',
    o: algoOrderType(c),
    s: symbol.name,
    S: c.side,
    ps: c.positionSide,
    f: algoTimeInForce(c),
    q: formatQty(symbol, c.qty),
    X: status,
    ai: inEngine ? String(placed.orderId) : '',
  };
  if (inEngine) {
    o.ap = placed.executedQty === 0 ? '0' : formatAverage(symbol, placed.cumQuote, placed.executedQty);
    o.aq = formatQty(symbol, placed.executedQty);
    o.act = placed.orderType;
  }
  Object.assign(o, {
    tp: formatPrice(symbol, shownTrigger(c)),
    p: formatPrice(symbol, c.price),
    V: c.stpMode,
    wt: workingTypeOf(c.triggerSource),
    pm: 'NONE',
    cp: closesAll(c),
    pP: false,
    R: reduceOnly(c),
    tt: status === 'NEW' || status === 'CANCELED' || status === 'EXPIRED' ? 0 : triggerTime(c) || time,
    gtd: 0,
  });
  if (status === 'REJECTED') o.rm = rejectReason(c.reason);
  return { e: 'ALGO_UPDATE', T: time, E: time, o };
}

/** CONDITIONAL_ORDER_TRIGGER_REJECT: the order a triggered conditional placed was refused. */
export function triggerReject(symbol: BinanceSymbol, event: ConditionalEvent): Json {
  const c = event.conditional;
  return {
    e: 'CONDITIONAL_ORDER_TRIGGER_REJECT',
    E: event.time,
    T: event.time,
    or: { s: symbol.name, i: c.orderId ?? c.conditionalId, r: rejectReason(c.reason) },
  };
}

/** The trigger an order placed by a conditional shows as its stop price (a trailing stop's: the one that fired). */
const stopPriceOf = (c: ConditionalSnapshot): number => c.triggerPrice ?? c.triggeredPrice ?? 0;

/**
 * What the order a conditional placed shows of it in the REST order object (Query Order: `origType`,
 * `stopPrice`, `workingType`, `closePosition`, and `activatePrice` / `priceRate` "only return with
 * TRAILING_STOP_MARKET order"); `type` stays the order's own (MARKET or LIMIT).
 */
export function originOrderFields(symbol: BinanceSymbol, c: ConditionalSnapshot): Json {
  const trailing = c.kind === 'TRAILING';
  const activation = activationOf(c);
  return {
    origType: algoOrderType(c),
    stopPrice: formatPrice(symbol, stopPriceOf(c)),
    workingType: workingTypeOf(c.triggerSource),
    closePosition: closesAll(c),
    ...(trailing ? {
      activatePrice: activation === null ? '' : formatPrice(symbol, activation),
      priceRate: c.callbackRate === null ? '' : formatCallbackRate(c.callbackRate),
    } : {}),
  };
}

/**
 * The same in ORDER_TRADE_UPDATE (Event: Order Update): `ot` original type, `sp` stop price, `wt`,
 * `cp` "If Close-All, pushed with conditional order", `AP` / `cr` "only pushed with TRAILING_STOP_MARKET order".
 */
export function originPushFields(symbol: BinanceSymbol, c: ConditionalSnapshot): { sp: string; wt: string; ot: string; cp: boolean; trailing?: { AP: string; cr: string } } {
  const activation = activationOf(c);
  return {
    sp: formatPrice(symbol, stopPriceOf(c)),
    wt: workingTypeOf(c.triggerSource),
    ot: algoOrderType(c),
    cp: closesAll(c),
    ...(c.kind === 'TRAILING' ? {
      trailing: {
        AP: activation === null ? '0' : formatPrice(symbol, activation),
        cr: c.callbackRate === null ? '0' : formatCallbackRate(c.callbackRate),
      },
    } : {}),
  };
}
