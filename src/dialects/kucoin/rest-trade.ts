/**
 * Signed futures trade endpoints: place (orders, st-orders), cancel (by id, by clientOid, all),
 * order lists and details, fills; stop orders share the place, cancel and detail routes and have
 * their own list and mass cancel (rest-stop.ts). KuCoin has no amend: clients cancel and place again (docs/dialects/kucoin.md).
 * The batch routes (batch.ts) run the same place and cancel functions for each item.
 */
import type { FastifyInstance } from 'fastify';
import { batchRoutes, type PlacedOrder } from './batch.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalSnapshot, OrderSnapshot } from '../../engine/types.js';
import type { Exchange } from '../../service/exchange.js';
import { restFill, restOrder } from './encode-order.js';
import { echo } from '../front-door-bounds.js';
import { fromEngineError, fromRejection, invalidOrder, KucoinError, ok, orderNotFound, settledContract } from './envelope.js';
import {
  callerOf, optionalEnum, optionalString, paramsOf, requiredString, symbolOf, type Params,
} from './params.js';
import { inTimeRange, orderIdOf, page } from './paging.js';
import { accountState } from './rest-account.js';
import type { KucoinRestOptions } from './rest.js';
import { placeCommand } from './order-params.js';
import { immediateTrigger } from './stop-params.js';
import { StopOrders, stopOrderRoutes } from './rest-stop.js';

const isLive = (o: OrderSnapshot): boolean => o.state === 'NEW' || o.state === 'PARTIALLY_FILLED';

export async function tradeRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const name = (o: { symbol: string }): string => symbols.name(o.symbol);
  const config = (o: { symbol: string }): SymbolConfig => symbols.config(o.symbol);
  const stops = new StopOrders(exchange, symbols);
  const orderObject = (o: OrderSnapshot) => restOrder(o, config(o), name(o), stops.fieldsOf(o, config(o)));

  /**
   * Every order KuCoin would know of: live ones, then finished ones (rejected orders never existed);
   * newest first; on contracts KuCoin lists.
   */
  const allOrders = (accountId: number): OrderSnapshot[] => {
    const live = exchange.engine.account(accountId)?.view.orders ?? [];
    return [...live].reverse().concat(exchange.history.finishedOrders(accountId).filter((o) => o.state !== 'REJECTED'))
      .filter((o) => symbols.listed(o.symbol));
  };

  /**
   * One order (or stop order) placed from KuCoin's order parameters (also one item of orders/multi,
   * and st-orders); a refusal throws its KucoinError.
   */
  const placeOrder = async (accountId: number, params: Params, endpoint: 'orders' | 'st-orders' = 'orders'): Promise<PlacedOrder> => {
    const { view } = accountState(exchange, accountId);
    const command = placeCommand(symbols, view, params, endpoint);
    const { result } = await exchange.execute(command);
    if (!result.ok && result.code === 'WOULD_TRIGGER_IMMEDIATELY') throw immediateTrigger(command, config(command), result.message);
    if (!result.ok && result.code === 'SYMBOL_NOT_TRADING' && exchange.engine.prices(command.symbol, exchange.now())?.delivery?.settledPrice != null) {
      throw settledContract(name(command), result.message);
    }
    if (!result.ok) throw fromEngineError(result);
    if (result.kind === 'conditional') {
      const c = result.conditional;
      return { orderId: String(c.conditionalId), clientOid: c.clientOrderId ?? undefined, symbol: name(c) };
    }
    if (result.kind !== 'order') throw invalidOrder('unexpected result');
    if (result.order.state === 'REJECTED') throw fromRejection(result.order.reason, result.order.orderId);
    return { orderId: String(result.order.orderId), clientOid: result.order.clientOrderId ?? undefined, symbol: name(result.order) };
  };

  /** One open order or untriggered stop order cancelled by its id (also one item of orders/multi-cancel). */
  const cancelById = async (accountId: number, text: string): Promise<number> => {
    const orderId = orderIdOf(text);
    const live = orderId === undefined ? undefined : accountState(exchange, accountId).view.orders.find((o) => o.orderId === orderId && symbols.listed(o.symbol));
    const stop = orderId === undefined || live !== undefined ? undefined : stops.findWaiting(accountId, (c) => c.conditionalId === orderId);
    if (live === undefined && stop === undefined) throw notCancelable(exchange, stops, accountId, orderId, text);
    const { result } = await exchange.execute(live !== undefined
      ? { type: 'cancelOrder', accountId, symbol: live.symbol, orderId: live.orderId }
      : { type: 'cancelConditional', accountId, symbol: stop!.symbol, conditionalId: stop!.conditionalId });
    if (!result.ok) throw fromEngineError(result);
    return orderId!;
  };

  /** One open order or untriggered stop order cancelled by its clientOid on a symbol (also one item of orders/multi-cancel). */
  const cancelByClientOid = async (accountId: number, symbol: SymbolConfig, clientOrderId: string): Promise<void> => {
    const matches = (o: { clientOrderId: string | null; symbol: string }): boolean => o.clientOrderId === clientOrderId && o.symbol === symbol.symbol;
    const live = accountState(exchange, accountId).view.orders.find(matches);
    const stop = live === undefined ? stops.findWaiting(accountId, matches) : undefined;
    if (live === undefined && stop === undefined) throw orderNotFound(`no open order or untriggered stop order with clientOid ${clientOrderId} on ${name(symbol)}`);
    const { result } = await exchange.execute({ type: live !== undefined ? 'cancelOrder' : 'cancelConditional', accountId, symbol: symbol.symbol, clientOrderId });
    if (!result.ok) throw fromEngineError(result);
  };

  app.post('/api/v1/orders', async (request) => {
    const { orderId, clientOid } = await placeOrder(callerOf(request), paramsOf(request));
    return ok({ orderId, clientOid });
  });
  app.post('/api/v1/st-orders', async (request) => {
    const { orderId, clientOid } = await placeOrder(callerOf(request), paramsOf(request), 'st-orders');
    return ok({ orderId, clientOid });
  });

  app.delete<{ Params: { orderId: string } }>('/api/v1/orders/:orderId', async (request) =>
    ok({ cancelledOrderIds: [String(await cancelById(callerOf(request), request.params.orderId))] }));

  app.delete<{ Params: { clientOid: string } }>('/api/v1/orders/client-order/:clientOid', async (request) => {
    const accountId = callerOf(request);
    const symbol = symbolOf(symbols, paramsOf(request), true);
    await cancelByClientOid(accountId, symbol, request.params.clientOid);
    return ok({ clientOid: request.params.clientOid });
  });

  batchRoutes(app, symbols, { placeOrder, cancelById, cancelByClientOid });
  stopOrderRoutes(app, exchange, symbols, stops);

  app.delete('/api/v1/orders', async (request) => {
    const accountId = callerOf(request);
    const symbol = symbolOf(symbols, paramsOf(request), false);
    const cancelled: string[] = [];
    for (const target of symbol === undefined ? symbols.all() : [symbol]) {
      const { result } = await exchange.execute({ type: 'cancelAll', accountId, symbol: target.symbol });
      if (!result.ok) throw fromEngineError(result);
      if (result.kind === 'orders') cancelled.push(...result.orders.map((o) => String(o.orderId)));
    }
    return ok({ cancelledOrderIds: cancelled });
  });

  app.get('/api/v1/orders', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(symbols, params, false)?.symbol;
    const status = optionalEnum(params, 'status', ['active', 'done'] as const) ?? 'done';
    const side = optionalEnum(params, 'side', ['buy', 'sell'] as const);
    const type = optionalEnum(params, 'type', ['limit', 'market'] as const);
    const orders = allOrders(accountId).filter((o) => (symbol === undefined || o.symbol === symbol) && isLive(o) === (status === 'active') &&
      (side === undefined || o.side === side.toUpperCase()) && (type === undefined || o.orderType === type.toUpperCase()) && inTimeRange(o.createTime, params));
    const paged = page(orders, params);
    return ok({ ...paged, items: paged.items.map(orderObject) });
  });

  /** An order, or a stop order that has not placed one (KuCoin: "Get a single order by order id (including a stop order)"). */
  const oneOrder = (accountId: number, isOrder: (o: OrderSnapshot) => boolean, isStop: (c: ConditionalSnapshot) => boolean, what: string) => {
    const order = allOrders(accountId).find(isOrder);
    if (order !== undefined) return ok(orderObject(order));
    const stop = stops.findWaiting(accountId, isStop) ?? stops.findEnded(accountId, isStop);
    if (stop !== undefined) return ok(stops.restObject(stop));
    throw orderNotFound(`${what} is not known (finished orders are kept for the last 1000 per account)`);
  };
  app.get('/api/v1/orders/byClientOid', async (request) => {
    const clientOid = requiredString(paramsOf(request), 'clientOid');
    return oneOrder(callerOf(request), (o) => o.clientOrderId === clientOid, (c) => c.clientOrderId === clientOid, `clientOid ${clientOid}`);
  });
  app.get<{ Params: { orderId: string } }>('/api/v1/orders/:orderId', async (request) => {
    const id = orderIdOf(request.params.orderId);
    return oneOrder(callerOf(request), (o) => o.orderId === id, (c) => c.conditionalId === id, `order ${request.params.orderId}`);
  });

  app.get('/api/v1/fills', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(symbols, params, false)?.symbol;
    const orderText = optionalString(params, 'orderId');
    const orderId = orderText === undefined ? undefined : orderIdOf(orderText) ?? -1;
    const side = optionalEnum(params, 'side', ['buy', 'sell'] as const);
    const type = optionalEnum(params, 'type', ['limit', 'market'] as const);
    const trades = exchange.history.trades(accountId).filter((t) => symbols.listed(t.symbol) && (symbol === undefined || t.symbol === symbol) &&
      (orderId === undefined || t.orderId === orderId) && (side === undefined || t.side === side.toUpperCase()) &&
      (type === undefined || t.orderType === type.toUpperCase()) && inTimeRange(t.time, params));
    const paged = page(trades, params);
    return ok({ ...paged, items: paged.items.map((t) => restFill(t, config(t), name(t))) });
  });
}

/** Why an order id cannot be cancelled: finished already, or a stop order that ended (100004), or never an order of this account (100001). */
function notCancelable(exchange: Exchange, stops: StopOrders, accountId: number, orderId: number | undefined, text: string): KucoinError {
  if (orderId !== undefined && (exchange.history.finishedOrder(accountId, orderId) !== undefined || stops.hasEnded(accountId, orderId))) {
    return new KucoinError('100004', `Order is in not cancelable state: order ${echo(text)} is already done`);
  }
  return orderNotFound(`order ${echo(text)} is not an open order of this account`);
}
