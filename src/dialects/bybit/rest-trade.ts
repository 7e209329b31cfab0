/**
 * Bybit order endpoints: create, amend, cancel, cancel-all, open orders (`/v5/order/realtime`),
 * order history and own executions. Bybit speaks one-way (positionIdx 0) and hedge mode
 * (positionIdx 1 buy side, 2 sell side); the account's engine mode must match what is sent.
 * Conditional orders (`triggerPrice`) and TP/SL (`takeProfit` / `stopLoss`) are read by
 * order-commands.ts; a conditional order shares its orderId with the order it places, and the
 * queries list both kinds as Bybit's records (order-records.ts). The batch routes (batch.ts) run
 * the same create / amend / cancel functions for each item.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchRoutes, type OneOrder, type OrderAck } from './batch.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalKind, ConditionalSnapshot, OrderSnapshot, PlaceConditional, TradeEvent } from '../../engine/types.js';
import type { LedgerRow } from '../../service/ledger.js';
import { BybitError, Code, fromEngineError, fromRejection, ok, paramsError } from './envelope.js';
import { bybitDeliveryExecution, bybitExecution, deliveryExecType, execType, fillOrder, type Delivered } from './encode.js';
import {
  callerOf, categoryOf, contractsOf, inCategory, optionalEnum, optionalInteger, optionalString, paramsOf, priceOf, requireContract, settleCoinOf, symbolOf, type Params,
} from './params.js';
import { page, type BybitRestOptions } from './rest.js';
import { deliveries, EXECUTION_LIMITS, fundingExecution, fundingRows, onlyParams, window } from './rest-history.js';
import { snapshotOf } from './rest-account.js';
import { amendConditionalCommand, holdsNow, placeCommand, refuseTriggerAmend, wouldTriggerError, type Trigger } from './order-commands.js';
import { tpslAmendOf } from './conditional-params.js';
import { idOf, orderFilterOf, OrderRecords, type OrderFilter, type OrderRecord } from './order-records.js';

const MAX_ORDER_ID = Number.MAX_SAFE_INTEGER;

/** The order a request names by `orderId` or `orderLinkId` (Bybit: orderId first). */
function orderRef(params: Params): { id: number; linkId?: undefined } | { id?: undefined; linkId: string } {
  const id = optionalString(params, 'orderId');
  if (id !== undefined) {
    if (!/^\d+$/.test(id) || Number(id) < 1 || Number(id) > MAX_ORDER_ID) throw new BybitError(Code.ORDER_NOT_EXISTS, `Order does not exist: orderId ${id}`);
    return { id: Number(id) };
  }
  const linkId = optionalString(params, 'orderLinkId');
  if (linkId === undefined) throw paramsError('orderId or orderLinkId is required');
  return { linkId };
}

/** What Bybit's create, amend and cancel answer for an order or a conditional order. */
const ackOf = (id: number, clientOrderId: string | null): OrderAck => ({ orderId: String(id), orderLinkId: clientOrderId ?? '' });

function inTimeRange(time: number, params: Params): boolean {
  const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  return (start === undefined || time >= start) && (end === undefined || time <= end);
}

/** cancel-all's `orderFilter` for linear (cancel-all.mdx): Order, StopOrder (TP/SL and trailing included), OpenOrder (opening orders only). */
const CANCEL_ALL_FILTERS = ['Order', 'StopOrder', 'OpenOrder'] as const;

/** cancel's `orderFilter` (documented for spot): for linear it narrows the lookup to orders or to conditional orders. */
function cancelFilterOf(params: Params): OrderFilter | undefined {
  return orderFilterOf(params);
}

/** The trigger of a plan order command. */
const triggerOf = (c: Omit<PlaceConditional, 'time'>): Trigger =>
  ({ symbol: c.symbol, triggerSource: c.triggerSource, triggerDirection: c.triggerDirection!, triggerPrice: c.triggerPrice! });

/** A live order opens (part of) a position: not reduce-only and not all of what remains closes. */
const opens = (o: OrderSnapshot): boolean => !o.reduceOnly && o.closeQty < o.qty - o.executedQty;

export async function tradeRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  /** The symbols of the request's category a list or cancel-all request covers: a symbol, a base coin, a settle coin, or all. */
  const coveredSymbols = (params: Params): SymbolConfig[] => {
    const config = symbolOf(symbols, params, false);
    if (config !== undefined) return [config];
    const category = optionalString(params, 'category');
    const baseCoin = optionalString(params, 'baseCoin');
    const settleCoin = settleCoinOf(params);
    return symbols.all().filter((c) => inCategory(c, category) && (baseCoin === undefined || c.spec.baseAsset === baseCoin) &&
      (settleCoin === undefined || c.settleAsset === settleCoin));
  };

  const recordsOf = (accountId: number): OrderRecords => new OrderRecords(exchange, symbols, accountId);

  /** One order or conditional order placed from Bybit's create parameters (also one item of create-batch); a refusal throws its BybitError. */
  const createOrder = async (accountId: number, params: Params): Promise<OrderAck> => {
    const command = placeCommand(exchange, symbols, accountId, params);
    const linkId = command.clientOrderId;
    if (linkId !== undefined && command.type === 'placeConditional') {
      // Bybit: an orderLinkId is unique among the account's open orders, conditional ones included.
      const { view } = snapshotOf(exchange, accountId);
      if (view.orders.some((o) => o.clientOrderId === linkId)) throw new BybitError(Code.DUPLICATE_LINK_ID, `OrderLinkedID is duplicate: ${linkId} belongs to an open order`);
    }
    if (linkId !== undefined && command.type === 'placeOrder' && snapshotOf(exchange, accountId).view.conditionals.some((c) => c.clientOrderId === linkId)) {
      throw new BybitError(Code.DUPLICATE_LINK_ID, `OrderLinkedID is duplicate: ${linkId} belongs to a conditional order that has not triggered`);
    }
    const { result } = await exchange.execute(command);
    if (!result.ok) {
      // The plan's own trigger (110092 / 110093), or else a take profit / stop loss on the wrong side of the order's price.
      if (result.code === 'WOULD_TRIGGER_IMMEDIATELY' && command.type === 'placeConditional' && holdsNow(exchange, triggerOf(command))) {
        throw wouldTriggerError(exchange, symbols.config(command.symbol), triggerOf(command), result.message);
      }
      throw fromEngineError(result);
    }
    if (result.kind === 'conditional') {
      if (result.duplicate) throw new BybitError(Code.DUPLICATE_LINK_ID, `OrderLinkedID is duplicate: ${command.clientOrderId} (order ${result.conditional.conditionalId})`);
      return ackOf(result.conditional.conditionalId, result.conditional.clientOrderId);
    }
    if (result.kind !== 'order') throw new BybitError(Code.SERVER, 'Server error: unexpected result');
    if (result.duplicate) throw new BybitError(Code.DUPLICATE_LINK_ID, `OrderLinkedID is duplicate: ${command.clientOrderId} (order ${result.order.orderId})`);
    const order = result.order;
    // A post-only order that would take is cancelled after acceptance, as on Bybit; other rejections are errors.
    if (order.state === 'REJECTED' && order.reason !== 'POST_ONLY_WOULD_TAKE') throw fromRejection(order.reason, order.orderId);
    return ackOf(order.orderId, order.clientOrderId);
  };

  /** The refusal for an order that is not open: 110008 when it has ended (with its status), else 110001. */
  const notOpen = (records: OrderRecords, config: SymbolConfig, ref: ReturnType<typeof orderRef>, filter: OrderFilter | undefined): BybitError => {
    const status = records.endedStatus(config.symbol, ref, filter);
    if (status !== undefined) return new BybitError(Code.ORDER_FINISHED, `The order has been completed or cancelled (${status}).`);
    return new BybitError(Code.ORDER_NOT_EXISTS, 'Order does not exist.');
  };

  /** One order or waiting conditional order cancelled by orderId or orderLinkId (also one item of cancel-batch). */
  const cancelOrder = async (accountId: number, params: Params): Promise<OrderAck> => {
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const ref = orderRef(params);
    const filter = cancelFilterOf(params);
    const records = recordsOf(accountId);
    const conditional = filter === undefined || filter === 'StopOrder' ? records.waiting(config.symbol, ref) : undefined;
    if (conditional !== undefined) {
      const { result } = await exchange.execute({ type: 'cancelConditional', accountId, symbol: config.symbol, conditionalId: conditional.conditionalId });
      if (!result.ok) throw fromEngineError(result);
      return ackOf(conditional.conditionalId, conditional.clientOrderId);
    }
    const live = filter === undefined || filter === 'Order' ? records.live(config.symbol, ref) : undefined;
    if (live === undefined) throw notOpen(records, config, ref, filter);
    const { result } = await exchange.execute({ type: 'cancelOrder', accountId, symbol: config.symbol, orderId: live.orderId });
    if (!result.ok) throw fromEngineError(result);
    return ackOf(live.orderId, live.clientOrderId);
  };

  /**
   * One order amended (price, qty, the TP/SL it will arm), or one waiting conditional order
   * (triggerPrice, triggerBy, price, qty, a plan order's TP/SL); also one item of amend-batch.
   */
  const amendOrder = async (accountId: number, params: Params): Promise<OrderAck> => {
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const ref = orderRef(params);
    const records = recordsOf(accountId);
    const conditional = records.waiting(config.symbol, ref);
    if (conditional !== undefined) {
      const command = amendConditionalCommand(params, config, accountId, conditional);
      const { result } = await exchange.execute(command);
      if (!result.ok) {
        if (result.code === 'WOULD_TRIGGER_IMMEDIATELY' && conditional.triggerPrice !== null) {
          const trigger: Trigger = {
            symbol: config.symbol, triggerSource: command.triggerSource ?? conditional.triggerSource, triggerDirection: conditional.triggerDirection,
            triggerPrice: command.triggerPrice ?? conditional.triggerPrice,
          };
          throw wouldTriggerError(exchange, config, trigger, result.message);
        }
        throw fromEngineError(result);
      }
      return ackOf(conditional.conditionalId, conditional.clientOrderId);
    }
    const live = records.live(config.symbol, ref);
    if (live === undefined) throw notOpen(records, config, ref, undefined);
    refuseTriggerAmend(params);
    const tpsl = tpslAmendOf(params, config, live.attachTpsl);
    const price = optionalString(params, 'price') === undefined ? undefined : priceOf(params, 'price', config);
    const qty = optionalString(params, 'qty') === undefined ? undefined : contractsOf(params, 'qty', config);
    if (price === undefined && qty === undefined && tpsl === undefined) throw paramsError('send qty, price, takeProfit and/or stopLoss to amend the order');
    if (price !== undefined && live.orderType === 'MARKET') throw paramsError('a market order has no price to amend');
    if (qty !== undefined && qty <= live.executedQty) {
      throw new BybitError(Code.QTY_BELOW_FILLED, 'The modified contract quantity cannot be less than or equal to the filled quantity.');
    }
    const { result } = await exchange.execute({
      type: 'amendOrder', accountId, symbol: config.symbol, orderId: live.orderId, price, qty, ...(tpsl === undefined ? {} : { tpsl }),
    });
    if (!result.ok) throw fromEngineError(result);
    return ackOf(live.orderId, live.clientOrderId);
  };

  const onOneOrder = (operation: OneOrder) => async (request: FastifyRequest) => ok(await operation(callerOf(request), paramsOf(request)), exchange.now());
  app.post('/v5/order/create', onOneOrder(createOrder));
  app.post('/v5/order/cancel', onOneOrder(cancelOrder));
  app.post('/v5/order/amend', onOneOrder(amendOrder));
  batchRoutes(app, exchange, { createOrder, cancelOrder, amendOrder });

  /**
   * Cancels the covered symbols' orders and conditional orders. `orderFilter` (cancel-all.mdx):
   * absent every kind (orders, conditional orders, TP/SL, trailing stops), `Order` the orders,
   * `StopOrder` the conditional orders (with `stopOrderType=Stop`: plan orders only, not TP/SL or
   * trailing stops), `OpenOrder` the orders that open a position.
   */
  app.post('/v5/order/cancel-all', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    requireContract(params);
    const filter = optionalEnum(params, 'orderFilter', CANCEL_ALL_FILTERS);
    const stopType = optionalEnum(params, 'stopOrderType', ['Stop'] as const);
    if (stopType !== undefined && filter !== 'StopOrder') throw paramsError('stopOrderType=Stop is only used with orderFilter=StopOrder');
    const kinds: ConditionalKind[] | undefined = stopType === 'Stop' ? ['PLAN'] : undefined;
    const cancelled: { orderId: number; clientOrderId: string | null }[] = [];
    for (const config of coveredSymbols(params)) {
      const symbol = config.symbol;
      if (filter === undefined || filter === 'Order') {
        const { result } = await exchange.execute({ type: 'cancelAll', accountId, symbol });
        if (!result.ok) throw fromEngineError(result);
        if (result.kind === 'orders') cancelled.push(...result.orders);
      }
      if (filter === 'OpenOrder') {
        for (const order of snapshotOf(exchange, accountId).view.orders.filter((o) => o.symbol === symbol && opens(o))) {
          const { result } = await exchange.execute({ type: 'cancelOrder', accountId, symbol, orderId: order.orderId });
          if (result.ok) cancelled.push(order);
          else if (result.code !== 'UNKNOWN_ORDER') throw fromEngineError(result);
        }
      }
      if (filter === undefined || filter === 'StopOrder') {
        if (snapshotOf(exchange, accountId).view.conditionals.some((c) => c.symbol === symbol)) {
          const { result } = await exchange.execute({ type: 'cancelAllConditionals', accountId, symbol, ...(kinds === undefined ? {} : { kinds }) });
          if (!result.ok) throw fromEngineError(result);
          if (result.kind === 'conditionals') cancelled.push(...result.conditionals.filter((c) => c.state !== 'WAITING').map(conditionalAck));
        }
      }
    }
    return ok({ list: cancelled.map((o) => ({ orderId: String(o.orderId), orderLinkId: o.clientOrderId ?? '' })), success: '1' }, exchange.now());
  });

  /** A query's records: `orderId` / `orderLinkId` narrow to one, the covered symbols to theirs. */
  const select = (records: OrderRecord[], params: Params): OrderRecord[] => {
    const covered = new Set(coveredSymbols(params).map((c) => c.symbol));
    const id = optionalString(params, 'orderId');
    const linkId = optionalString(params, 'orderLinkId');
    return records.filter((r) => {
      const symbol = r.order !== undefined ? r.order.symbol : r.conditional.symbol;
      const link = r.order !== undefined ? r.order.clientOrderId : r.conditional.clientOrderId;
      return covered.has(symbol) && (id === undefined || String(idOf(r)) === id) && (linkId === undefined || link === linkId);
    });
  };

  app.get('/v5/order/realtime', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const category = categoryOf(params);
    const filter = orderFilterOf(params);
    const openOnly = optionalInteger(params, 'openOnly', 0, 1) ?? 0;
    const limit = optionalInteger(params, 'limit', 1, 50) ?? 20;
    const { seq } = snapshotOf(exchange, accountId);
    const records = recordsOf(accountId);
    // open-order.mdx: "openOnly param will be ignored when query by orderId or orderLinkId".
    const byId = optionalString(params, 'orderId') !== undefined || optionalString(params, 'orderLinkId') !== undefined;
    const candidates = byId ? records.all(filter) : openOnly === 0 ? records.open(filter) : records.closed(filter);
    const listed = category !== 'linear' && category !== 'inverse' ? [] : select(candidates, params);
    const { items, nextPageCursor } = page(listed, optionalString(params, 'cursor'), limit);
    return ok({ category, list: items.map((r) => records.row(r)), nextPageCursor }, exchange.now(), { seq, epoch: exchange.epoch });
  });

  app.get('/v5/order/history', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const category = categoryOf(params);
    const filter = orderFilterOf(params);
    const status = optionalString(params, 'orderStatus');
    const limit = optionalInteger(params, 'limit', 1, 50) ?? 20;
    const records = recordsOf(accountId);
    const rows = category !== 'linear' && category !== 'inverse' ? [] : select(records.all(filter), params).map((r) => ({ r, row: records.row(r) }))
      .filter(({ row }) => (status === undefined || row.orderStatus === status) && inTimeRange(Number(row.createdTime), params));
    const { items, nextPageCursor } = page(rows, optionalString(params, 'cursor'), limit);
    return ok({ category, list: items.map(({ row }) => row), nextPageCursor }, exchange.now());
  });

  /**
   * Own executions, newest first: fills (Trade, BustTrade, AdlTrade) and funding settlements
   * (Funding) and delivery settlements (Settle inverse, Delivery linear) in one list, as Bybit
   * mixes them; `execType` picks one kind.
   */
  app.get('/v5/execution/list', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'baseCoin', 'orderId', 'orderLinkId', 'startTime', 'endTime', 'execType', 'limit', 'cursor', 'size']);
    const category = categoryOf(params);
    const wanted = optionalEnum(params, 'execType', ['Trade', 'AdlTrade', 'Funding', 'BustTrade', 'Settle', 'Delivery'] as const);
    // ccxt's fetchFundingHistory sends its page size as `size`: read it as the limit it means.
    const limit = optionalInteger(params, 'limit', 1, EXECUTION_LIMITS.maxLimit)
      ?? optionalInteger(params, 'size', 1, EXECUTION_LIMITS.maxLimit) ?? EXECUTION_LIMITS.defaultLimit;
    const covered = new Set(coveredSymbols(params).map((c) => c.symbol));
    const id = optionalString(params, 'orderId');
    const linkId = optionalString(params, 'orderLinkId');
    const { start, end } = window(params, exchange.now(), EXECUTION_LIMITS);
    type Execution = { time: number; fill: TradeEvent } | { time: number; funding: LedgerRow } | { time: number; seq: number; delivery: Delivered };
    const executions: Execution[] = [];
    if (category === 'linear' || category === 'inverse') {
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
      // A delivery is "recorded as a trade but not an order" (enum.mdx CreateBySettle): no order search finds it either.
      if (id === undefined && linkId === undefined) {
        for (const d of deliveries(exchange, accountId, symbols, covered, start, end)) {
          const config = symbols.config(d.symbol);
          if (wanted === undefined || wanted === deliveryExecType(config)) executions.push({ time: d.deliveryTime, seq: 0, delivery: d });
        }
      }
    }
    // Newest first; at one time, by the account's event order (a ledger row's id is its event's seq × 4 + its place).
    const seqOf = (e: Execution): number => ('fill' in e ? e.fill.seq : 'funding' in e ? Math.floor(e.funding.id / 4) : e.seq);
    executions.sort((x, y) => y.time - x.time || seqOf(y) - seqOf(x));
    const { items, nextPageCursor } = page(executions, optionalString(params, 'cursor'), limit);
    const view = items.some((e) => 'fill' in e) ? snapshotOf(exchange, accountId).view : undefined;
    const records = recordsOf(accountId);
    const list = items.map((e) => {
      if ('funding' in e) return fundingExecution(e.funding, accountId, symbols.config(e.funding.symbol!));
      if ('delivery' in e) return bybitDeliveryExecution(e.delivery, symbols.config(e.delivery.symbol));
      const t = e.fill;
      const config = symbols.config(t.symbol);
      const order = view!.orders.find((o) => o.orderId === t.orderId) ?? exchange.history.finishedOrder(accountId, t.orderId);
      return bybitExecution(t, config, {
        order: order === undefined ? undefined : fillOrder(order, config), markPrice: exchange.engine.market(t.symbol)?.markPrice ?? undefined,
        conditional: (t.order.conditionalId ?? null) === null ? undefined : records.conditional(t.order.conditionalId!),
      });
    });
    return ok({ category, list, nextPageCursor }, exchange.now());
  });
}

/** What cancel-all lists for a conditional order it cancelled. */
const conditionalAck = (c: ConditionalSnapshot): { orderId: number; clientOrderId: string | null } => ({ orderId: c.conditionalId, clientOrderId: c.clientOrderId });
