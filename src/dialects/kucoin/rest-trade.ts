/**
 * Signed futures trade endpoints: place, cancel (by id, by clientOid, all), order lists and
 * details, fills. KuCoin has no amend: clients cancel and place again (docs/dialects/kucoin.md).
 * The batch routes (batch.ts) run the same place and cancel functions for each item.
 */
import type { FastifyInstance } from 'fastify';
import { batchRoutes, type PlacedOrder } from './batch.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { OrderSnapshot, PlaceOrder, PositionSide, StpMode, TimeInForce } from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import type { Exchange } from '../../service/exchange.js';
import { restFill, restOrder } from './encode-order.js';
import { echo } from '../front-door-bounds.js';
import { badParam, fromEngineError, fromRejection, invalidOrder, KucoinError, ok, orderNotFound } from './envelope.js';
import {
  callerOf, clientOidOf, optionalBoolean, optionalEnum, optionalInteger, optionalString, paramsOf, priceOf, requiredString, symbolOf, type Params,
} from './params.js';
import { accountState } from './rest-account.js';
import type { KucoinRestOptions } from './rest.js';
import type { KucoinSymbols } from './symbols.js';

const MAX_PAGE_SIZE = 1000;
const STP: Readonly<Record<string, StpMode>> = { CN: 'EXPIRE_TAKER', CO: 'EXPIRE_MAKER', CB: 'EXPIRE_BOTH' };

const isLive = (o: OrderSnapshot): boolean => o.state === 'NEW' || o.state === 'PARTIALLY_FILLED';

/** KuCoin's order id: the engine's, as digits. */
function orderIdOf(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  const id = Number(text);
  return id >= 1 ? id : undefined;
}

function page<T>(items: T[], params: Params): { currentPage: number; pageSize: number; totalNum: number; totalPage: number; items: T[] } {
  const currentPage = optionalInteger(params, 'currentPage', 1, 1_000_000) ?? 1;
  const pageSize = optionalInteger(params, 'pageSize', 1, MAX_PAGE_SIZE) ?? 50;
  return {
    currentPage, pageSize, totalNum: items.length, totalPage: Math.ceil(items.length / pageSize),
    items: items.slice((currentPage - 1) * pageSize, currentPage * pageSize),
  };
}

function inTimeRange(time: number, params: Params): boolean {
  const start = optionalInteger(params, 'startAt', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endAt', 0, Number.MAX_SAFE_INTEGER);
  return (start === undefined || time >= start) && (end === undefined || time <= end);
}

export async function tradeRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const name = (o: { symbol: string }): string => symbols.name(o.symbol);
  const config = (o: { symbol: string }): SymbolConfig => symbols.config(o.symbol);

  /** Every order KuCoin would know of: live ones, then finished ones (rejected orders never existed); newest first. */
  const allOrders = (accountId: number): OrderSnapshot[] => {
    const live = exchange.engine.account(accountId)?.view.orders ?? [];
    return [...live].reverse().concat(exchange.history.finishedOrders(accountId).filter((o) => o.state !== 'REJECTED'));
  };

  /** One order placed from KuCoin's order parameters (also one item of orders/multi); a refusal throws its KucoinError. */
  const placeOrder = async (accountId: number, params: Params): Promise<PlacedOrder> => {
    const { view } = accountState(exchange, accountId);
    const command = placeCommand(symbols, view, params);
    const { result } = await exchange.execute(command);
    if (!result.ok) throw fromEngineError(result);
    if (result.kind !== 'order') throw invalidOrder('unexpected result');
    if (result.order.state === 'REJECTED') throw fromRejection(result.order.reason, result.order.orderId);
    return { orderId: String(result.order.orderId), clientOid: result.order.clientOrderId ?? undefined, symbol: name(result.order) };
  };

  /** One open order cancelled by its id (also one item of orders/multi-cancel). */
  const cancelById = async (accountId: number, text: string): Promise<number> => {
    const orderId = orderIdOf(text);
    const live = orderId === undefined ? undefined : accountState(exchange, accountId).view.orders.find((o) => o.orderId === orderId);
    if (live === undefined) throw notCancelable(exchange, accountId, orderId, text);
    const { result } = await exchange.execute({ type: 'cancelOrder', accountId, symbol: live.symbol, orderId: live.orderId });
    if (!result.ok) throw fromEngineError(result);
    return live.orderId;
  };

  /** One open order cancelled by its clientOid on a symbol (also one item of orders/multi-cancel). */
  const cancelByClientOid = async (accountId: number, symbol: SymbolConfig, clientOrderId: string): Promise<void> => {
    const live = accountState(exchange, accountId).view.orders.find((o) => o.clientOrderId === clientOrderId && o.symbol === symbol.symbol);
    if (live === undefined) throw orderNotFound(`no open order with clientOid ${clientOrderId} on ${name(symbol)}`);
    const { result } = await exchange.execute({ type: 'cancelOrder', accountId, symbol: symbol.symbol, clientOrderId });
    if (!result.ok) throw fromEngineError(result);
  };

  app.post('/api/v1/orders', async (request) => {
    const { orderId, clientOid } = await placeOrder(callerOf(request), paramsOf(request));
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
    return ok({ ...paged, items: paged.items.map((o) => restOrder(o, config(o), name(o))) });
  });

  const oneOrder = (accountId: number, match: (o: OrderSnapshot) => boolean, what: string) => {
    const order = allOrders(accountId).find(match);
    if (order === undefined) throw orderNotFound(`${what} is not known (finished orders are kept for the last 1000 per account)`);
    return ok(restOrder(order, config(order), name(order)));
  };
  app.get('/api/v1/orders/byClientOid', async (request) => {
    const clientOid = requiredString(paramsOf(request), 'clientOid');
    return oneOrder(callerOf(request), (o) => o.clientOrderId === clientOid, `clientOid ${clientOid}`);
  });
  app.get<{ Params: { orderId: string } }>('/api/v1/orders/:orderId', async (request) => {
    const orderId = orderIdOf(request.params.orderId);
    return oneOrder(callerOf(request), (o) => o.orderId === orderId, `order ${request.params.orderId}`);
  });

  app.get('/api/v1/fills', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(symbols, params, false)?.symbol;
    const orderText = optionalString(params, 'orderId');
    const orderId = orderText === undefined ? undefined : orderIdOf(orderText) ?? -1;
    const side = optionalEnum(params, 'side', ['buy', 'sell'] as const);
    const type = optionalEnum(params, 'type', ['limit', 'market'] as const);
    const trades = exchange.history.trades(accountId).filter((t) => (symbol === undefined || t.symbol === symbol) &&
      (orderId === undefined || t.orderId === orderId) && (side === undefined || t.side === side.toUpperCase()) &&
      (type === undefined || t.orderType === type.toUpperCase()) && inTimeRange(t.time, params));
    const paged = page(trades, params);
    return ok({ ...paged, items: paged.items.map((t) => restFill(t, config(t), name(t))) });
  });
}

/** Why an order id cannot be cancelled: finished already (100004), or never an order of this account (100001). */
function notCancelable(exchange: Exchange, accountId: number, orderId: number | undefined, text: string): KucoinError {
  if (orderId !== undefined && exchange.history.finishedOrder(accountId, orderId) !== undefined) {
    return new KucoinError('100004', `Order is in not cancelable state: order ${echo(text)} is already done`);
  }
  return orderNotFound(`order ${echo(text)} is not an open order of this account`);
}

/** KuCoin's order parameters as an engine command. */
export function placeCommand(symbols: KucoinSymbols, view: AccountView, params: Params): Omit<PlaceOrder, 'time'> {
  const config = symbolOf(symbols, params, true);
  const clientOrderId = clientOidOf(params);
  for (const unsupported of ['stop', 'stopPrice', 'triggerStopUpPrice', 'triggerStopDownPrice']) {
    if (optionalString(params, unsupported) !== undefined) throw badParam(`${unsupported}: stop and take-profit orders are not supported here`);
  }
  for (const unsupported of ['qty', 'valueQty']) {
    if (optionalString(params, unsupported) !== undefined) throw badParam(`${unsupported}: send size, the number of lots (contracts)`);
  }
  if (optionalBoolean(params, 'hidden') === true || optionalBoolean(params, 'iceberg') === true) throw badParam('hidden and iceberg orders are not supported here');
  const leverage = optionalString(params, 'leverage');
  // The symbol's leverage setting applies (set it with POST /api/v2/changeCrossUserLeverage); ccxt always sends 1.
  // What is sent must still be a leverage the contract offers.
  if (leverage !== undefined) {
    const match = /^(\d{1,4})(?:\.(\d+))?$/.exec(leverage);
    const whole = match === null ? NaN : Number(match[1]);
    const fraction = /[1-9]/.test(match?.[2] ?? '');
    if (!(whole >= 1) || whole > config.spec.maxLeverage || (whole === config.spec.maxLeverage && fraction)) {
      throw badParam(`leverage must be a number from 1 to ${config.spec.maxLeverage}`);
    }
  }

  // KuCoin: marginMode "ISOLATED, CROSS, default: ISOLATED", and an order never switches the
  // contract's mode: one that does not match it is refused (330005), so on a CROSS contract every
  // order must say CROSS. ccxt sends marginMode only when asked; KuCoin's SDK always sends it.
  const settings = view.settings.find((s) => s.symbol === config.symbol)!;
  const sentMarginMode = optionalEnum(params, 'marginMode', ['ISOLATED', 'CROSS'] as const, (s) => s.toUpperCase());
  const marginMode = sentMarginMode ?? 'ISOLATED';
  const current = settings.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS';
  if (marginMode !== current) {
    const ordered = sentMarginMode === undefined ? 'ISOLATED (no marginMode sent)' : marginMode;
    throw new KucoinError('330005',
      `The order's margin mode does not match the selected one: ${nameOf(symbols, config)} is ${current}, the order ${ordered}. Please switch and try again.`);
  }

  const hedge = view.positionMode === 'HEDGE';
  const positionSideParam = optionalEnum(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const, (s) => s.toUpperCase());
  if (hedge && (positionSideParam === undefined || positionSideParam === 'BOTH')) {
    throw new KucoinError('330012', 'Your order is in One-Way Mode, while your account is set to Hedge Mode: send positionSide LONG or SHORT');
  }
  if (!hedge && positionSideParam !== undefined && positionSideParam !== 'BOTH') {
    throw new KucoinError('330012', `Your order is in Hedge Mode (positionSide ${positionSideParam}), while your account is set to One-Way Mode`);
  }
  const positionSide: PositionSide = hedge ? positionSideParam! : 'BOTH';
  const position = view.positions.find((p) => p.symbol === config.symbol && p.positionSide === positionSide);
  const closeOrder = optionalBoolean(params, 'closeOrder') === true;

  let side = optionalEnum(params, 'side', ['buy', 'sell'] as const, (s) => s.toLowerCase());
  let qty: number;
  if (closeOrder) {
    // KuCoin: side and size may be left out; the whole position is closed.
    const open = position?.qty ?? 0;
    if (open === 0) throw new KucoinError('300009', `No open positions to close on ${nameOf(symbols, config)}`);
    side = open > 0 ? 'sell' : 'buy';
    qty = Math.abs(open);
  } else {
    if (side === undefined) throw badParam('side is required (buy or sell)');
    const sizeText = requiredString(params, 'size');
    const { minQty, maxQty } = config.spec;
    if (!/^\d+$/.test(sizeText) || Number(sizeText) < minQty || Number(sizeText) > maxQty) {
      throw invalidOrder(`size must be a whole number of lots from ${minQty} to ${maxQty} (got ${echo(sizeText)})`);
    }
    qty = Number(sizeText);
  }
  const engineSide = side === 'buy' ? 'BUY' : 'SELL';
  const closes = hedge && (positionSide === 'LONG') === (engineSide === 'SELL');
  const reduceOnly = closeOrder || optionalBoolean(params, 'reduceOnly') === true;
  if (hedge && reduceOnly && !closes) throw badParam(`reduceOnly: ${side} on the ${positionSide} position would open it, not reduce it`);

  const type = optionalEnum(params, 'type', ['limit', 'market'] as const, (s) => s.toLowerCase()) ?? (closeOrder && optionalString(params, 'price') === undefined ? 'market' : 'limit');
  let timeInForce: TimeInForce = optionalEnum(params, 'timeInForce', ['GTC', 'IOC', 'FOK'] as const, (s) => s.toUpperCase()) ?? 'GTC';
  if (optionalBoolean(params, 'postOnly') === true) {
    if (type === 'market' || timeInForce !== 'GTC') throw badParam('postOnly is for GTC limit orders only');
    timeInForce = 'GTX';
  }
  if (type === 'market' && timeInForce === 'GTC') timeInForce = 'IOC';
  const stpText = optionalString(params, 'stp');
  const stpMode = stpText === undefined ? undefined : STP[stpText.toUpperCase()];
  if (stpText !== undefined && stpMode === undefined) throw badParam(`stp must be CN, CO or CB (got ${echo(stpText)}; DC is not supported)`);

  return {
    type: 'placeOrder', accountId: view.accountId, symbol: config.symbol, side: engineSide, positionSide,
    orderType: type === 'limit' ? 'LIMIT' : 'MARKET', timeInForce, price: type === 'limit' ? priceOf(params, 'price', config) : 0, qty,
    // In hedge mode the closing side is reduce-only by nature; the engine takes no flag there.
    reduceOnly: !hedge && reduceOnly,
    clientOrderId, stpMode,
  };
}

const nameOf = (symbols: KucoinSymbols, config: SymbolConfig): string => symbols.name(config.symbol);
