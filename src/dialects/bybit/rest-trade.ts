/**
 * Bybit order endpoints: create, amend, cancel, cancel-all, open orders (`/v5/order/realtime`),
 * order history and own executions. Bybit speaks one-way (positionIdx 0) and hedge mode
 * (positionIdx 1 buy side, 2 sell side); the account's engine mode must match what is sent.
 * The batch routes (batch.ts) run the same create / amend / cancel functions for each item.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchRoutes, type OneOrder, type OrderAck } from './batch.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { OrderSnapshot, OrderState, PlaceOrder, PositionSide, StpMode, TimeInForce, TradeEvent } from '../../engine/types.js';
import type { Exchange } from '../../service/exchange.js';
import type { LedgerRow } from '../../service/ledger.js';
import { BybitError, Code, fromEngineError, fromRejection, ok, paramsError } from './envelope.js';
import { bybitExecution, bybitOrder, execType, fillOrder, orderStatus } from './encode.js';
import {
  callerOf, categoryOf, contractsOf, optionalBoolean, optionalEnum, optionalInteger, optionalString, orderLinkIdOf, paramsOf, priceOf, requiredEnum,
  requireLinear, settleCoinOf, symbolOf, type Params,
} from './params.js';
import { page, type BybitRestOptions } from './rest.js';
import { EXECUTION_LIMITS, fundingExecution, fundingRows, onlyParams, window } from './rest-history.js';
import { snapshotOf } from './rest-account.js';
import type { BybitSymbols } from './symbols.js';

const MAX_ORDER_ID = Number.MAX_SAFE_INTEGER;
const LIVE: ReadonlySet<OrderState> = new Set(['NEW', 'PARTIALLY_FILLED']);
const SMP: Record<string, StpMode> = { CancelMaker: 'EXPIRE_MAKER', CancelTaker: 'EXPIRE_TAKER', CancelBoth: 'EXPIRE_BOTH' };

/** Conditional and TP/SL parameters: Bybit accepts them, perpstream's engine has no such orders yet. */
const UNSUPPORTED = ['triggerPrice', 'takeProfit', 'stopLoss', 'tpTriggerBy', 'slTriggerBy', 'tpLimitPrice', 'slLimitPrice', 'triggerDirection', 'orderFilter'];

function refuseUnsupported(params: Params): void {
  for (const name of UNSUPPORTED) {
    const value = optionalString(params, name);
    if (value !== undefined && value !== '0' && !(name === 'orderFilter' && value === 'Order')) {
      throw paramsError(`${name} is not supported: perpstream has no conditional or TP/SL orders yet`);
    }
  }
}

/** The order a request names by `orderId` or `orderLinkId`. */
function orderRef(params: Params): { orderId: number; clientOrderId?: undefined } | { orderId?: undefined; clientOrderId: string } {
  const id = optionalString(params, 'orderId');
  if (id !== undefined) {
    if (!/^\d+$/.test(id) || Number(id) < 1 || Number(id) > MAX_ORDER_ID) throw new BybitError(Code.ORDER_NOT_EXISTS, `Order does not exist: orderId ${id}`);
    return { orderId: Number(id) };
  }
  const linkId = optionalString(params, 'orderLinkId');
  if (linkId === undefined) throw paramsError('orderId or orderLinkId is required');
  return { clientOrderId: linkId };
}

/** What Bybit's create, amend and cancel answer for an order. */
const ackOf = (order: OrderSnapshot): OrderAck => ({ orderId: String(order.orderId), orderLinkId: order.clientOrderId ?? '' });

const matchesRef = (o: OrderSnapshot, ref: ReturnType<typeof orderRef>): boolean =>
  ref.orderId !== undefined ? o.orderId === ref.orderId : o.clientOrderId === ref.clientOrderId;

/** Bybit's create parameters as an engine command. */
export function placeCommand(exchange: Exchange, symbols: BybitSymbols, accountId: number, params: Params): Omit<PlaceOrder, 'time'> {
  requireLinear(params);
  refuseUnsupported(params);
  const config = symbolOf(symbols, params, true);
  const side = requiredEnum(params, 'side', ['Buy', 'Sell'] as const) === 'Buy' ? 'BUY' : 'SELL';
  const orderType = requiredEnum(params, 'orderType', ['Market', 'Limit'] as const) === 'Limit' ? 'LIMIT' : 'MARKET';
  const qty = contractsOf(params, 'qty', config);
  const tif = optionalEnum(params, 'timeInForce', ['GTC', 'IOC', 'FOK', 'PostOnly'] as const);
  let timeInForce: TimeInForce = tif === undefined ? (orderType === 'MARKET' ? 'IOC' : 'GTC') : tif === 'PostOnly' ? 'GTX' : tif;
  if (orderType === 'MARKET') {
    if (timeInForce === 'GTX') throw paramsError('a market order cannot be PostOnly (EC_MarketOrderCannotBePostOnly)');
    if (timeInForce === 'GTC') timeInForce = 'IOC';
  }
  const price = orderType === 'LIMIT' ? priceOf(params, 'price', config) : 0;
  const idx = optionalInteger(params, 'positionIdx', 0, 2) ?? 0;
  const mode = snapshotOf(exchange, accountId).view.positionMode;
  if ((mode === 'HEDGE') !== (idx !== 0)) {
    throw paramsError(`position idx not match position mode: the account is in ${mode === 'HEDGE' ? 'hedge mode (positionIdx 1 buy side, 2 sell side)' : 'one-way mode (positionIdx 0)'}`);
  }
  const reduceOnly = optionalBoolean(params, 'reduceOnly') === true || optionalBoolean(params, 'closeOnTrigger') === true;
  let positionSide: PositionSide = 'BOTH';
  if (mode === 'HEDGE') {
    positionSide = idx === 1 ? 'LONG' : 'SHORT';
    const closes = (side === 'SELL') === (positionSide === 'LONG');
    if (reduceOnly && !closes) throw new BybitError(Code.REDUCE_ONLY, `Reduce-only rule not satisfied: ${side === 'BUY' ? 'Buy' : 'Sell'} on positionIdx ${idx} opens a position`);
  }
  const smpType = optionalEnum(params, 'smpType', ['None', 'CancelMaker', 'CancelTaker', 'CancelBoth'] as const);
  return {
    type: 'placeOrder', accountId, symbol: config.symbol, side, orderType, timeInForce, price, qty,
    clientOrderId: orderLinkIdOf(params),
    positionSide,
    // The engine takes hedge-mode closing sides as closing by nature; reduceOnly is one-way only.
    reduceOnly: mode === 'ONE_WAY' && reduceOnly,
    ...(smpType !== undefined && smpType !== 'None' ? { stpMode: SMP[smpType] } : {}),
  };
}

function inTimeRange(time: number, params: Params): boolean {
  const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  return (start === undefined || time >= start) && (end === undefined || time <= end);
}

export async function tradeRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  /** The symbols a list or cancel-all request covers: a symbol, a base coin, a settle coin, or all. */
  const coveredSymbols = (params: Params): SymbolConfig[] => {
    const config = symbolOf(symbols, params, false);
    if (config !== undefined) return [config];
    const baseCoin = optionalString(params, 'baseCoin');
    const settleCoin = settleCoinOf(params);
    return symbols.all().filter((c) => (baseCoin === undefined || c.spec.baseAsset === baseCoin) && (settleCoin === undefined || c.settleAsset === settleCoin));
  };

  /** Live orders newest first, then finished ones newest first. */
  const allOrders = (accountId: number): OrderSnapshot[] => {
    const live = snapshotOf(exchange, accountId).view.orders;
    return [...live].reverse().concat(exchange.history.finishedOrders(accountId));
  };

  const orderRows = (orders: OrderSnapshot[]) => orders.map((o) => bybitOrder(o, symbols.config(o.symbol)));

  /** One order placed from Bybit's create parameters (also one item of create-batch); a refusal throws its BybitError. */
  const createOrder = async (accountId: number, params: Params): Promise<OrderAck> => {
    const command = placeCommand(exchange, symbols, accountId, params);
    const { result } = await exchange.execute(command);
    if (!result.ok) throw fromEngineError(result);
    if (result.kind !== 'order') throw new BybitError(Code.SERVER, 'Server error: unexpected result');
    if (result.duplicate) throw new BybitError(Code.DUPLICATE_LINK_ID, `OrderLinkedID is duplicate: ${command.clientOrderId} (order ${result.order.orderId})`);
    const order = result.order;
    // A post-only order that would take is cancelled after acceptance, as on Bybit; other rejections are errors.
    if (order.state === 'REJECTED' && order.reason !== 'POST_ONLY_WOULD_TAKE') throw fromRejection(order.reason, order.orderId);
    return ackOf(order);
  };

  /** One order cancelled by orderId or orderLinkId (also one item of cancel-batch). */
  const cancelOrder = async (accountId: number, params: Params): Promise<OrderAck> => {
    requireLinear(params);
    const config = symbolOf(symbols, params, true);
    const ref = orderRef(params);
    const live = snapshotOf(exchange, accountId).view.orders.find((o) => o.symbol === config.symbol && matchesRef(o, ref));
    if (live === undefined) {
      const finished = exchange.history.finishedOrders(accountId).find((o) => o.symbol === config.symbol && matchesRef(o, ref));
      if (finished !== undefined) throw new BybitError(Code.ORDER_FINISHED, `The order has been completed or cancelled (${orderStatus(finished.state, finished.reason)}).`);
      throw new BybitError(Code.ORDER_NOT_EXISTS, 'Order does not exist.');
    }
    const { result } = await exchange.execute({ type: 'cancelOrder', accountId, symbol: config.symbol, orderId: live.orderId });
    if (!result.ok) throw fromEngineError(result);
    return ackOf(live);
  };

  /** One order's price and/or quantity amended (also one item of amend-batch). */
  const amendOrder = async (accountId: number, params: Params): Promise<OrderAck> => {
    requireLinear(params);
    refuseUnsupported(params);
    const config = symbolOf(symbols, params, true);
    const ref = orderRef(params);
    const live = snapshotOf(exchange, accountId).view.orders.find((o) => o.symbol === config.symbol && matchesRef(o, ref));
    if (live === undefined) throw new BybitError(Code.ORDER_NOT_EXISTS, 'Order does not exist.');
    const price = optionalString(params, 'price') === undefined ? undefined : priceOf(params, 'price', config);
    const qty = optionalString(params, 'qty') === undefined ? undefined : contractsOf(params, 'qty', config);
    if (price === undefined && qty === undefined) throw paramsError('send qty and/or price to amend the order');
    if (price !== undefined && live.orderType === 'MARKET') throw paramsError('a market order has no price to amend');
    if (qty !== undefined && qty <= live.executedQty) {
      throw new BybitError(Code.QTY_BELOW_FILLED, 'The modified contract quantity cannot be less than or equal to the filled quantity.');
    }
    const { result } = await exchange.execute({ type: 'amendOrder', accountId, symbol: config.symbol, orderId: live.orderId, price, qty });
    if (!result.ok) throw fromEngineError(result);
    return ackOf(live);
  };

  const onOneOrder = (operation: OneOrder) => async (request: FastifyRequest) => ok(await operation(callerOf(request), paramsOf(request)), exchange.now());
  app.post('/v5/order/create', onOneOrder(createOrder));
  app.post('/v5/order/cancel', onOneOrder(cancelOrder));
  app.post('/v5/order/amend', onOneOrder(amendOrder));
  batchRoutes(app, exchange, { createOrder, cancelOrder, amendOrder });

  app.post('/v5/order/cancel-all', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    requireLinear(params);
    refuseUnsupported(params);
    const cancelled: OrderSnapshot[] = [];
    for (const config of coveredSymbols(params)) {
      const { result } = await exchange.execute({ type: 'cancelAll', accountId, symbol: config.symbol });
      if (!result.ok) throw fromEngineError(result);
      if (result.kind === 'orders') cancelled.push(...result.orders);
    }
    return ok({ list: cancelled.map((o) => ({ orderId: String(o.orderId), orderLinkId: o.clientOrderId ?? '' })), success: '1' }, exchange.now());
  });

  app.get('/v5/order/realtime', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const category = categoryOf(params);
    const filter = optionalString(params, 'orderFilter');
    const openOnly = optionalInteger(params, 'openOnly', 0, 1) ?? 0;
    const limit = optionalInteger(params, 'limit', 1, 50) ?? 20;
    const covered = new Set(coveredSymbols(params).map((c) => c.symbol));
    const id = optionalString(params, 'orderId');
    const linkId = optionalString(params, 'orderLinkId');
    const { seq } = snapshotOf(exchange, accountId);
    const orders = category !== 'linear' || (filter !== undefined && filter !== 'Order') ? [] : allOrders(accountId).filter((o) =>
      covered.has(o.symbol) && LIVE.has(o.state) === (openOnly === 0) && (id === undefined || String(o.orderId) === id) &&
      (linkId === undefined || o.clientOrderId === linkId));
    const { items, nextPageCursor } = page(orders, optionalString(params, 'cursor'), limit);
    return ok({ category, list: orderRows(items), nextPageCursor }, exchange.now(), { seq, epoch: exchange.epoch });
  });

  app.get('/v5/order/history', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const category = categoryOf(params);
    const filter = optionalString(params, 'orderFilter');
    const status = optionalString(params, 'orderStatus');
    const limit = optionalInteger(params, 'limit', 1, 50) ?? 20;
    const covered = new Set(coveredSymbols(params).map((c) => c.symbol));
    const id = optionalString(params, 'orderId');
    const linkId = optionalString(params, 'orderLinkId');
    const orders = category !== 'linear' || (filter !== undefined && filter !== 'Order') ? [] : allOrders(accountId).filter((o) =>
      covered.has(o.symbol) && (status === undefined || orderStatus(o.state, o.reason) === status) && (id === undefined || String(o.orderId) === id) &&
      (linkId === undefined || o.clientOrderId === linkId) && inTimeRange(o.createTime, params));
    const { items, nextPageCursor } = page(orders, optionalString(params, 'cursor'), limit);
    return ok({ category, list: orderRows(items), nextPageCursor }, exchange.now());
  });

  /**
   * Own executions, newest first: fills (Trade, BustTrade, AdlTrade) and funding settlements
   * (Funding) in one list, as Bybit mixes them; `execType` picks one kind. Settle (delivery) never
   * happens on perpetuals here, so asking for it lists nothing.
   */
  app.get('/v5/execution/list', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'baseCoin', 'orderId', 'orderLinkId', 'startTime', 'endTime', 'execType', 'limit', 'cursor', 'size']);
    const category = categoryOf(params);
    const wanted = optionalEnum(params, 'execType', ['Trade', 'AdlTrade', 'Funding', 'BustTrade', 'Settle'] as const);
    // ccxt's fetchFundingHistory sends its page size as `size`: read it as the limit it means.
    const limit = optionalInteger(params, 'limit', 1, EXECUTION_LIMITS.maxLimit)
      ?? optionalInteger(params, 'size', 1, EXECUTION_LIMITS.maxLimit) ?? EXECUTION_LIMITS.defaultLimit;
    const covered = new Set(coveredSymbols(params).map((c) => c.symbol));
    const id = optionalString(params, 'orderId');
    const linkId = optionalString(params, 'orderLinkId');
    const { start, end } = window(params, exchange.now(), EXECUTION_LIMITS);
    type Execution = { time: number; fill: TradeEvent } | { time: number; funding: LedgerRow };
    const executions: Execution[] = [];
    if (category === 'linear') {
      if (wanted !== 'Funding') {
        for (const t of exchange.history.trades(accountId)) {
          if (covered.has(t.symbol) && t.time >= start && t.time <= end && (wanted === undefined || execType(t.source) === wanted) &&
            (id === undefined || String(t.orderId) === id) && (linkId === undefined || t.clientOrderId === linkId)) executions.push({ time: t.time, fill: t });
        }
      }
      // A settlement belongs to no order: a search by order finds none.
      if ((wanted === undefined || wanted === 'Funding') && id === undefined && linkId === undefined) {
        for (const row of fundingRows(exchange, accountId, covered, start, end)) executions.push({ time: row.time, funding: row });
      }
    }
    // Newest first; at one time, by the account's event order (a ledger row's id is its event's seq × 4 + its place).
    const seqOf = (e: Execution): number => ('fill' in e ? e.fill.seq : Math.floor(e.funding.id / 4));
    executions.sort((x, y) => y.time - x.time || seqOf(y) - seqOf(x));
    const { items, nextPageCursor } = page(executions, optionalString(params, 'cursor'), limit);
    const view = items.some((e) => 'fill' in e) ? snapshotOf(exchange, accountId).view : undefined;
    const list = items.map((e) => {
      if ('funding' in e) return fundingExecution(e.funding, accountId, symbols.config(e.funding.symbol!));
      const t = e.fill;
      const config = symbols.config(t.symbol);
      const order = view!.orders.find((o) => o.orderId === t.orderId) ?? exchange.history.finishedOrder(accountId, t.orderId);
      return bybitExecution(t, config, { order: order === undefined ? undefined : fillOrder(order, config), markPrice: exchange.engine.market(t.symbol)?.markPrice ?? undefined });
    });
    return ok({ category, list, nextPageCursor }, exchange.now());
  });
}

