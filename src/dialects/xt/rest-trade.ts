/**
 * XT trade endpoints: create, cancel, cancel-all, update (amend), order detail and lists, own fills.
 * XT speaks hedge-mode sides on the wire: (BUY, LONG) opens long, (SELL, LONG) closes long, and so on.
 * An account in one-way mode gets the same meaning on its single position: a close is reduce-only.
 * The batch routes (batch.ts) run the same placeCommand / placeOrder / cancelOrder for each item.
 */
import type { FastifyInstance } from 'fastify';
import { formatAmount } from '../../engine/fixed.js';
import { formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { OrderSnapshot, OrderState, PlaceOrder, TpslLeg, TradeEvent } from '../../engine/types.js';
import type { Exchange } from '../../service/exchange.js';
import { fromEngineError, fromRejection, invalidOrder, invalidParams, ok } from './envelope.js';
import { xtOrderFields } from './encode.js';
import {
  callerOf, clientOrderIdOf, contractsOf, onHost, optionalBoolean, optionalEnum, optionalInteger, optionalString, paramsOf, priceOf, requiredEnum,
  requiredInteger, symbolOf, type Params, type VenueScope,
} from './params.js';
import { venueSymbols } from './venue.js';
import type { XtRestOptions } from './rest.js';
import { batchRoutes } from './batch.js';
import { attachChangeOf, attachOf } from './entrust-params.js';
import { inTimeRange, MAX_PAGE_SIZE, page } from './paging.js';

const MAX_ORDER_ID = Number.MAX_SAFE_INTEGER;
const ORDER_STATES = ['NEW', 'PARTIALLY_FILLED', 'PARTIALLY_CANCELED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'UNFINISHED', 'HISTORY'] as const;

/**
 * The REST order object (xt-rest.md §5.6): never `type`, `side` or `leavingQty`, always `positionSide`.
 * A partly filled cancel is reported as CANCELED (with its executedQty): ccxt knows no
 * PARTIALLY_CANCELED. The push keeps XT's exact state.
 */
function restOrder(order: OrderSnapshot, config: SymbolConfig): Record<string, unknown> {
  const fields = xtOrderFields(order, config);
  if (order.state === 'PARTIALLY_CANCELED') fields.state = 'CANCELED';
  const attach = order.attachTpsl;
  const legPrice = (leg: TpslLeg | undefined): string | null => (leg === undefined ? null : formatPrice(config, leg.triggerPrice));
  return {
    ...fields, closePosition: false, forceClose: false, triggerProfitPrice: legPrice(attach?.takeProfit), triggerStopPrice: legPrice(attach?.stopLoss),
    stopPrice: null,
  };
}

function restTrade(trade: TradeEvent, config: SymbolConfig): Record<string, unknown> {
  return {
    execId: String(trade.tradeId), tradeId: String(trade.tradeId), orderId: String(trade.orderId), clientOrderId: trade.clientOrderId,
    symbol: trade.symbol, orderSide: trade.side, orderType: trade.orderType, positionSide: trade.positionSide,
    price: formatPrice(config, trade.price), quantity: String(trade.qty), fee: formatAmount(trade.fee), feeCoin: trade.feeAsset.toLowerCase(),
    realizedProfit: formatAmount(trade.realizedPnl), takerMaker: trade.isMaker ? 'MAKER' : 'TAKER', isMaker: trade.isMaker, timestamp: trade.time,
  };
}

function matchesState(state: OrderState, wanted: (typeof ORDER_STATES)[number]): boolean {
  if (wanted === 'UNFINISHED') return state === 'NEW' || state === 'PARTIALLY_FILLED';
  if (wanted === 'HISTORY') return state !== 'NEW' && state !== 'PARTIALLY_FILLED';
  // ccxt's fetchCanceledOrders asks for CANCELED: a partly filled cancel is a cancel too.
  if (wanted === 'CANCELED') return state === 'CANCELED' || state === 'PARTIALLY_CANCELED';
  return state === wanted;
}

export async function tradeRoutes(app: FastifyInstance, options: XtRestOptions): Promise<void> {
  const { exchange } = options;
  const configOf = (symbol: string) => exchange.engine.symbols().find((c) => c.symbol === symbol)!;

  /** Every order of the account on this host: live ones from the engine, then finished ones from history; newest first. */
  const allOrders = (accountId: number): OrderSnapshot[] => {
    const live = exchange.engine.account(accountId)?.view.orders ?? [];
    return [...live].reverse().concat(exchange.history.finishedOrders(accountId)).filter((o) => onHost(options, o.symbol));
  };

  app.post('/future/trade/v1/order/create', async (request) => {
    const accountId = callerOf(request);
    return ok(String(await placeOrder(exchange, placeCommand(options, accountId, paramsOf(request)))));
  });

  app.post('/future/trade/v1/order/cancel', async (request) => {
    const accountId = callerOf(request);
    const orderId = requiredInteger(paramsOf(request), 'orderId', 1, MAX_ORDER_ID);
    await cancelOrder(exchange, accountId, liveOrder(options, accountId, orderId).symbol, orderId);
    return ok(String(orderId));
  });

  batchRoutes(app, options);

  app.post('/future/trade/v1/order/cancel-all', async (request) => {
    const accountId = callerOf(request);
    const config = symbolOf(options, paramsOf(request), false);
    for (const symbol of config === undefined ? venueSymbols(exchange, options.venue) : [config]) {
      const { result } = await exchange.execute({ type: 'cancelAll', accountId, symbol: symbol.symbol });
      if (!result.ok) throw fromEngineError(result);
    }
    return ok(true);
  });

  app.post('/future/trade/v1/order/update', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const orderId = requiredInteger(params, 'orderId', 1, MAX_ORDER_ID);
    refuseChaseOrder(params);
    const order = liveOrder(options, accountId, orderId);
    const symbol = order.symbol;
    const config = configOf(symbol);
    const price = optionalString(params, 'price') === undefined ? undefined : priceOf(params, 'price', config);
    const qty = optionalString(params, 'origQty') === undefined ? undefined : contractsOf(params, 'origQty', config);
    const tpsl = attachChangeOf(params, config, order, price ?? order.price);
    if (price === undefined && qty === undefined && tpsl === undefined) throw invalidParams('send price, origQty, triggerProfitPrice and/or triggerStopPrice to amend the order');
    const { result } = await exchange.execute({ type: 'amendOrder', accountId, symbol, orderId, price, qty, ...(tpsl === undefined ? {} : { tpsl }) });
    if (!result.ok) throw fromEngineError(result);
    return ok(String(orderId));
  });

  app.get('/future/trade/v1/order/detail', async (request) => {
    const accountId = callerOf(request);
    const orderId = requiredInteger(paramsOf(request), 'orderId', 1, MAX_ORDER_ID);
    const found = exchange.engine.account(accountId)?.view.orders.find((o) => o.orderId === orderId) ?? exchange.history.finishedOrder(accountId, orderId);
    // An order of the other host's symbols is not known here, as on XT.
    const order = found !== undefined && onHost(options, found.symbol) ? found : undefined;
    if (order === undefined) throw fromEngineError({ ok: false, code: 'UNKNOWN_ORDER', message: `order ${orderId} is not known (finished orders are kept for the last 1000 per account)` });
    return ok(restOrder(order, configOf(order.symbol)));
  });

  app.get('/future/trade/v1/order/list', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(options, params, false)?.symbol;
    const state = optionalEnum(params, 'state', ORDER_STATES) ?? 'NEW';
    const clientOrderId = optionalString(params, 'clientOrderId');
    const orders = allOrders(accountId).filter((o) => (symbol === undefined || o.symbol === symbol) && matchesState(o.state, state) &&
      (clientOrderId === undefined || o.clientOrderId === clientOrderId) && inTimeRange(o.createTime, params));
    const seq = exchange.engine.account(accountId)?.seq ?? 0;
    const paged = page(orders, params);
    return ok({ ...paged, items: paged.items.map((o) => restOrder(o, configOf(o.symbol))) }, { seq, epoch: exchange.epoch });
  });

  app.get('/future/trade/v1/order/list-history', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(options, params, false)?.symbol;
    const limit = optionalInteger(params, 'limit', 1, MAX_PAGE_SIZE) ?? 10;
    const orders = allOrders(accountId).filter((o) => (symbol === undefined || o.symbol === symbol) && inTimeRange(o.createTime, params));
    return ok({ hasPrev: false, hasNext: orders.length > limit, items: orders.slice(0, limit).map((o) => restOrder(o, configOf(o.symbol))) });
  });

  app.get('/future/trade/v1/order/trade-list', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(options, params, false)?.symbol;
    const orderId = optionalInteger(params, 'orderId', 1, MAX_ORDER_ID);
    const trades = exchange.history.trades(accountId).filter((t) => onHost(options, t.symbol) && (symbol === undefined || t.symbol === symbol) &&
      (orderId === undefined || t.orderId === orderId) && inTimeRange(t.time, params));
    const paged = page(trades, params);
    return ok({ ...paged, items: paged.items.map((t) => restTrade(t, configOf(t.symbol))) });
  });
}

/** Places one order (create, and each item of create-batch): its id, or the XtError it was refused with. */
export async function placeOrder(exchange: Exchange, command: Omit<PlaceOrder, 'time'>): Promise<number> {
  const { result } = await exchange.execute(command);
  if (!result.ok) throw fromEngineError(result);
  if (result.kind !== 'order') throw invalidOrder('unexpected result');
  if (result.order.state === 'REJECTED') throw fromRejection(result.order.reason, result.order.orderId);
  return result.order.orderId;
}

/** Cancels one live order (cancel, and each item of cancel-batch), or throws the XtError it was refused with. */
export async function cancelOrder(exchange: Exchange, accountId: number, symbol: string, orderId: number): Promise<void> {
  const { result } = await exchange.execute({ type: 'cancelOrder', accountId, symbol, orderId });
  if (!result.ok) throw fromEngineError(result);
}

/** One of the account's live orders; XT's cancel and update carry only the id. */
function liveOrder(scope: VenueScope, accountId: number, orderId: number): OrderSnapshot {
  const order = scope.exchange.engine.account(accountId)?.view.orders.find((o) => o.orderId === orderId && onHost(scope, o.symbol));
  if (order === undefined) throw fromEngineError({ ok: false, code: 'UNKNOWN_ORDER', message: `order ${orderId} is not an open order of this account` });
  return order;
}

/** A chase order (followUpOrder, documented on order/create and order/update) is not supported: refused, not dropped. */
function refuseChaseOrder(params: Params): void {
  if (params.followUpOrder !== undefined && params.followUpOrder !== null && params.followUpOrder !== '') {
    throw invalidParams('followUpOrder: chase orders are not supported; send the order without it');
  }
}

/** XT's create parameters as an engine command (xt-rest.md §5.4). */
export function placeCommand(scope: VenueScope, accountId: number, params: Params): Omit<PlaceOrder, 'time'> {
  const { exchange } = scope;
  const config = symbolOf(scope, params, true);
  refuseChaseOrder(params);
  const side = requiredEnum(params, 'orderSide', ['BUY', 'SELL'] as const);
  const orderType = requiredEnum(params, 'orderType', ['LIMIT', 'MARKET'] as const);
  const qty = contractsOf(params, 'origQty', config);
  const positionSide = requiredEnum(params, 'positionSide', ['LONG', 'SHORT'] as const);
  const closes = (side === 'SELL') === (positionSide === 'LONG');
  const reduceOnly = optionalBoolean(params, 'reduceOnly');
  if (reduceOnly === true && !closes) {
    throw invalidParams(`reduceOnly means closing: ${side} with positionSide ${positionSide} opens a position`);
  }
  let timeInForce = optionalEnum(params, 'timeInForce', ['GTC', 'IOC', 'FOK', 'GTX'] as const) ?? 'GTC';
  if (orderType === 'MARKET') {
    if (timeInForce === 'GTX') throw invalidOrder('invalid_time_in_force: a market order cannot be post-only');
    if (timeInForce === 'GTC') timeInForce = 'IOC';
  }
  const price = orderType === 'LIMIT' ? priceOf(params, 'price', config) : 0;
  const clientOrderId = clientOrderIdOf(params, 'clientOrderId');
  const mode = exchange.engine.account(accountId)?.view.positionMode ?? 'ONE_WAY';
  const attachTpsl = attachOf(exchange, params, config, side, positionSide, orderType === 'LIMIT' ? price : null);
  return {
    type: 'placeOrder', accountId, symbol: config.symbol, side, orderType, timeInForce, price, qty, clientOrderId,
    positionSide: mode === 'HEDGE' ? positionSide : 'BOTH',
    reduceOnly: mode === 'ONE_WAY' && closes,
    ...(attachTpsl === undefined ? {} : { attachTpsl }),
  };
}
