/**
 * Binance's signed trade endpoints: order (POST create, PUT amend, DELETE cancel, GET query),
 * openOrder(s), allOpenOrders (DELETE), allOrders and userTrades. Only LIMIT and MARKET orders: the
 * conditional types are refused with -4120 and live on /fapi/v1/algoOrder (rest-algo.ts).
 * The batch routes (batch.ts) run the same per-order functions for each item.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchRoutes, type OneOrder } from './batch.js';
import type { OrderSnapshot, PlaceOrder, StpMode, TimeInForce } from '../../engine/types.js';
import type { CommandInput } from '../../service/exchange.js';
import { ALGO_TYPES } from './algo.js';
import { GENERATED_CLIENT_ID_PREFIX } from './encode.js';
import { BinanceError, ERR, fromEngine, fromRefusedOrder, illegal, missing } from './errors.js';
import { readPrice, priceProblemText } from '../front-door-bounds.js';
import {
  booleanParam, clientOrderIdParam, enumParam, integerParam, optional, optionalSymbol, quantityParam, required, symbolParam, type Params,
} from './params.js';
import { credentialOf } from './rest-account.js';
import type { BinanceRestOptions } from './rest.js';
import type { BinanceSymbol } from './symbols.js';
import { accountOf, orderObject, tradeObject } from './views.js';

type OrderRef = { orderId: number; clientOrderId?: undefined } | { orderId?: undefined; clientOrderId: string };

/** orderId or origClientOrderId; a client id we generated (`perpstream-<id>`) names the order id. */
function orderRef(params: Params): OrderRef {
  const orderId = optional(params, 'orderId');
  if (orderId !== undefined) {
    if (!/^\d{1,15}$/.test(orderId)) throw illegal('orderId', 'send the numeric order id');
    return { orderId: Number(orderId) };
  }
  const clientOrderId = clientOrderIdParam(params, 'origClientOrderId');
  if (clientOrderId === undefined) throw new BinanceError(ERR.MANDATORY_PARAM, 'Param orderId or origClientOrderId must be sent, but both were empty/null!');
  if (clientOrderId.startsWith(GENERATED_CLIENT_ID_PREFIX) && /^\d{1,15}$/.test(clientOrderId.slice(GENERATED_CLIENT_ID_PREFIX.length))) {
    return { orderId: Number(clientOrderId.slice(GENERATED_CLIENT_ID_PREFIX.length)) };
  }
  return { clientOrderId };
}

const matches = (order: OrderSnapshot, ref: OrderRef): boolean =>
  ref.orderId !== undefined ? order.orderId === ref.orderId : order.clientOrderId === ref.clientOrderId;

/** Orders Binance never recorded: refused at placement (REJECTED, or a FOK that could not fill). */
const neverRecorded = (o: OrderSnapshot): boolean => o.state === 'REJECTED' || (o.state === 'EXPIRED' && o.reason === 'FOK_NOT_FILLABLE' && o.executedQty === 0);

function priceParam(params: Params, symbol: BinanceSymbol): number {
  const price = readPrice(symbol.config, required(params, 'price'));
  if (price.ok) return price.ticks;
  const detail = priceProblemText(symbol.config, 'price', price.problem);
  switch (price.problem) {
    case 'notPositive': throw new BinanceError(ERR.PRICE_LESS_THAN_ZERO, `Price less than or equal to zero: ${detail}.`);
    case 'tooHigh': throw new BinanceError(ERR.PRICE_GREATER_THAN_MAX_PRICE, `Price greater than max price: ${detail}.`);
    case 'offTick': throw new BinanceError(ERR.INVALID_PRICE_TICK, `Price not increased by tick size ${symbol.config.spec.tickSize}: ${detail}.`);
    case 'malformed': throw illegal('price', detail);
  }
}

/** Window and limit filters of the history queries. */
function window<T>(items: readonly T[], params: Params, time: (item: T) => number): T[] {
  const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  const limit = integerParam(params, 'limit', 1, 1000) ?? 500;
  const kept = items.filter((item) => (start === undefined || time(item) >= start) && (end === undefined || time(item) <= end));
  return kept.slice(Math.max(0, kept.length - limit));
}

export async function tradeRoutes(app: FastifyInstance, options: BinanceRestOptions): Promise<void> {
  const { exchange, symbols, api } = options;

  const execute = async (input: CommandInput): Promise<OrderSnapshot> => {
    const { result } = await exchange.execute(input);
    if (!result.ok) throw fromEngine(result);
    if (result.kind !== 'order') throw new BinanceError(ERR.UNKNOWN, 'An unknown error occurred while processing the request.', 500);
    return result.order;
  };

  /** The REST object of an order; one a conditional placed shows that conditional's type and trigger. */
  const show = (symbol: BinanceSymbol, o: OrderSnapshot): Record<string, unknown> =>
    orderObject(symbol, o, o.conditionalId === null ? undefined : exchange.history.finishedConditional(o.accountId, o.conditionalId));

  /** The account's order (live or recently finished) or -2013. */
  const findOrder = (accountId: number, symbol: BinanceSymbol, ref: OrderRef): OrderSnapshot => {
    const live = accountOf(exchange, accountId).view.orders.find((o) => o.symbol === symbol.config.symbol && matches(o, ref));
    if (live !== undefined) return live;
    const done = ref.orderId !== undefined ? exchange.history.finishedOrder(accountId, ref.orderId)
      : exchange.history.finishedOrders(accountId).find((o) => matches(o, ref));
    if (done === undefined || done.symbol !== symbol.config.symbol || neverRecorded(done)) {
      throw new BinanceError(ERR.NO_SUCH_ORDER, 'Order does not exist.');
    }
    return done;
  };

  /** POST /fapi/v1/order for one order's parameters (also one item of POST /fapi/v1/batchOrders). */
  const placeOrder = async (accountId: number, params: Params): Promise<Record<string, unknown>> => {
    const symbol = symbolParam(params, symbols);
    const side = enumParam(params, 'side', ['BUY', 'SELL'] as const, new BinanceError(ERR.INVALID_SIDE, 'Invalid side.'));
    if (side === undefined) throw missing('side');
    // Since 2025-12-09 the conditional types live in the Algo Service (POST /fapi/v1/algoOrder): this
    // endpoint and batchOrders refuse them with -4120 STOP_ORDER_SWITCH_ALGO (derivatives change log, 2025-11-06).
    // COIN-M takes its conditional types on /dapi/v1/order; perpstream serves none there: refused, not dropped.
    if (api === 'dapi' && (ALGO_TYPES as readonly string[]).includes(optional(params, 'type') ?? '')) {
      throw new BinanceError(ERR.INVALID_ORDER_TYPE, 'Invalid orderType: conditional orders (STOP, TAKE_PROFIT, …) are not served on COIN-M here; send LIMIT or MARKET.');
    }
    if ((ALGO_TYPES as readonly string[]).includes(optional(params, 'type') ?? '')) {
      throw new BinanceError(ERR.STOP_ORDER_SWITCH_ALGO, 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.');
    }
    const type = enumParam(params, 'type', ['LIMIT', 'MARKET'] as const, new BinanceError(ERR.INVALID_ORDER_TYPE, 'Invalid orderType.'));
    if (type === undefined) throw missing('type');
    const { view } = accountOf(exchange, accountId);
    const positionSide = enumParam(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const, new BinanceError(ERR.INVALID_POSITION_SIDE, 'Invalid position side.')) ?? 'BOTH';
    if ((view.positionMode === 'HEDGE') === (positionSide === 'BOTH')) {
      throw new BinanceError(ERR.POSITION_SIDE_NOT_MATCH, "Order's position side does not match user's setting.");
    }
    const reduceOnly = booleanParam(params, 'reduceOnly') ?? false;
    if (reduceOnly && view.positionMode === 'HEDGE') throw new BinanceError(ERR.PARAM_NOT_REQUIRED, "Parameter 'reduceOnly' sent when not required.");
    if (booleanParam(params, 'closePosition') === true) {
      throw new BinanceError(ERR.TARGET_STRATEGY_INVALID, `Target strategy invalid for orderType ${type},closePosition true (close-all orders are STOP_MARKET / TAKE_PROFIT_MARKET on /fapi/v1/algoOrder)`);
    }
    const qty = quantityParam(params, symbol);
    let timeInForce: TimeInForce = 'IOC';
    let price = 0;
    if (type === 'LIMIT') {
      const tif = enumParam(params, 'timeInForce', ['GTC', 'IOC', 'FOK', 'GTX'] as const, new BinanceError(ERR.INVALID_TIF, 'Invalid timeInForce.'));
      if (tif === undefined) throw missing('timeInForce');
      timeInForce = tif;
      price = priceParam(params, symbol);
    }
    const clientOrderId = clientOrderIdParam(params, 'newClientOrderId');
    if (clientOrderId?.startsWith(GENERATED_CLIENT_ID_PREFIX) === true) {
      throw illegal('newClientOrderId', `ids starting with ${GENERATED_CLIENT_ID_PREFIX} name this server's own orders: choose another`);
    }
    // Client ids are unique across live orders and waiting algo orders.
    if (clientOrderId !== undefined && view.conditionals.some((c) => c.clientOrderId === clientOrderId)) {
      throw new BinanceError(ERR.DUPLICATED_CLIENT_ORDER_ID, 'ClientOrderId is duplicated.');
    }
    const stp = enumParam(params, 'selfTradePreventionMode', ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const,
      illegal('selfTradePreventionMode', 'send NONE, EXPIRE_TAKER, EXPIRE_MAKER or EXPIRE_BOTH'));
    const command: Omit<PlaceOrder, 'time'> = {
      type: 'placeOrder', accountId, symbol: symbol.config.symbol, side, positionSide, orderType: type, timeInForce, price, qty, reduceOnly,
      ...(clientOrderId === undefined ? {} : { clientOrderId }),
      // perpstream always prevents self-trades; NONE (Binance's default) takes the taker-expiry rule.
      ...(stp === undefined || stp === 'NONE' ? {} : { stpMode: stp as StpMode }),
    };
    const { result } = await exchange.execute(command);
    if (!result.ok) throw fromEngine(result);
    if (result.kind !== 'order') throw new BinanceError(ERR.UNKNOWN, 'An unknown error occurred while processing the request.', 500);
    if (result.duplicate) throw new BinanceError(ERR.DUPLICATED_CLIENT_ORDER_ID, 'ClientOrderId is duplicated.');
    const order = result.order;
    if (neverRecorded(order)) {
      if (order.reason === 'PRICE_OUTSIDE_BAND' && side === 'SELL') {
        throw new BinanceError(ERR.PRICE_LOWER_THAN_MULTIPLIER_DOWN, "Limit price can't be lower than the price band around the mark price.");
      }
      throw fromRefusedOrder(order.reason);
    }
    return show(symbol, order);
  };

  /** PUT /fapi/v1/order for one order's parameters (also one item of PUT /fapi/v1/batchOrders). */
  const modifyOrder = async (accountId: number, params: Params): Promise<Record<string, unknown>> => {
    const symbol = symbolParam(params, symbols);
    const ref = orderRef(params);
    const side = enumParam(params, 'side', ['BUY', 'SELL'] as const, new BinanceError(ERR.INVALID_SIDE, 'Invalid side.'));
    if (side === undefined) throw missing('side');
    const qty = quantityParam(params, symbol);
    const price = priceParam(params, symbol);
    const live = accountOf(exchange, accountId).view.orders.find((o) => o.symbol === symbol.config.symbol && matches(o, ref));
    if (live === undefined) throw new BinanceError(ERR.NO_SUCH_ORDER, 'Order does not exist.');
    if (live.side !== side) throw illegal('side', `the order is a ${live.side}`);
    if (live.orderType !== 'LIMIT') throw new BinanceError(ERR.INVALID_ORDER_TYPE, 'Only LIMIT orders can be modified.');
    const order = await execute({
      type: 'amendOrder', accountId, symbol: symbol.config.symbol, orderId: live.orderId,
      ...(price === live.price ? {} : { price }), ...(qty === live.qty ? {} : { qty }),
    });
    return show(symbol, order);
  };

  /** DELETE /fapi/v1/order for one order's parameters (also one item of DELETE /fapi/v1/batchOrders). */
  const cancelOrder = async (accountId: number, params: Params): Promise<Record<string, unknown>> => {
    const symbol = symbolParam(params, symbols);
    const ref = orderRef(params);
    const order = await execute({ type: 'cancelOrder', accountId, symbol: symbol.config.symbol, ...ref });
    return show(symbol, order);
  };

  const onOneOrder = (operation: OneOrder) => async (request: FastifyRequest) => {
    const { accountId, params } = credentialOf(request);
    return operation(accountId, params);
  };
  app.post(`/${api}/v1/order`, onOneOrder(placeOrder));
  app.put(`/${api}/v1/order`, onOneOrder(modifyOrder));
  app.delete(`/${api}/v1/order`, onOneOrder(cancelOrder));
  batchRoutes(app, { placeOrder, modifyOrder, cancelOrder }, api);

  app.get(`/${api}/v1/order`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    return show(symbol, findOrder(accountId, symbol, orderRef(params)));
  });

  app.get(`/${api}/v1/openOrder`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const ref = orderRef(params);
    const live = accountOf(exchange, accountId).view.orders.find((o) => o.symbol === symbol.config.symbol && matches(o, ref));
    if (live === undefined) throw new BinanceError(ERR.NO_SUCH_ORDER, 'Order does not exist.');
    return show(symbol, live);
  });

  app.get(`/${api}/v1/openOrders`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const only = optionalSymbol(params, symbols);
    return accountOf(exchange, accountId).view.orders
      .filter((o) => (only === undefined ? symbols.lists(o.symbol) : o.symbol === only.config.symbol))
      .map((o) => show(symbols.of(o.symbol), o));
  });

  app.delete(`/${api}/v1/allOpenOrders`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const { result } = await exchange.execute({ type: 'cancelAll', accountId, symbol: symbol.config.symbol });
    if (!result.ok) throw fromEngine(result);
    return { code: 200, msg: 'The operation of cancel all open order is done.' };
  });

  app.get(`/${api}/v1/allOrders`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const fromId = integerParam(params, 'orderId', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const live = accountOf(exchange, accountId).view.orders.filter((o) => o.symbol === symbol.config.symbol);
    const done = exchange.history.finishedOrders(accountId).filter((o) => o.symbol === symbol.config.symbol && !neverRecorded(o));
    const all = [...live, ...done].filter((o) => o.orderId >= fromId).sort((a, b) => a.orderId - b.orderId);
    return window(all, params, (o) => o.createTime).map((o) => show(symbol, o));
  });

  app.get(`/${api}/v1/userTrades`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const fromId = integerParam(params, 'fromId', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const orderId = integerParam(params, 'orderId', 0, Number.MAX_SAFE_INTEGER);
    const trades = exchange.history.trades(accountId)
      .filter((t) => t.symbol === symbol.config.symbol && t.tradeId >= fromId && (orderId === undefined || t.orderId === orderId))
      .sort((a, b) => a.tradeId - b.tradeId);
    return window(trades, params, (t) => t.time).map((t) => tradeObject(symbol, t));
  });
}
