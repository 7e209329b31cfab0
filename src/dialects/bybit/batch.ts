/**
 * Bybit's batch order endpoints: /v5/order/create-batch, amend-batch and cancel-batch. Each item of
 * `request` goes through the single-order path (rest-trade.ts) as its own engine command, in the
 * order sent. The answer holds two lists of the same length and order, as Bybit's does:
 * `result.list` (the order's ids, empty for an item that failed) and `retExtInfo.list` (each item's
 * `{code, msg}`, 0/"OK" when it succeeded); one bad item does not stop the others. Only a malformed
 * or oversized batch is refused whole (10001), before any item runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Exchange } from '../../service/exchange.js';
import { BybitError, Code, ok, paramsError } from './envelope.js';
import { callerOf, paramsOf, requireContract, type Params } from './params.js';

/** Bybit: at most 20 orders per create-batch, amend-batch and cancel-batch request for `linear`. */
export const MAX_BATCH_ITEMS = 20;

/** What create, amend and cancel answer for one order. */
export interface OrderAck {
  orderId: string;
  orderLinkId: string;
}
/** One order's operation, as the single-order route runs it. */
export type OneOrder = (accountId: number, params: Params) => Promise<OrderAck>;

export interface BatchOperations {
  createOrder: OneOrder;
  amendOrder: OneOrder;
  cancelOrder: OneOrder;
}

/** The `request` list of a batch, each item with the batch's category (Bybit's items carry none of their own). */
function batchItems(params: Params): Params[] {
  requireContract(params);
  const list = params.request;
  if (!Array.isArray(list)) throw paramsError('request is required: a list of orders');
  if (list.length === 0 || list.length > MAX_BATCH_ITEMS) throw paramsError(`request must hold 1 to ${MAX_BATCH_ITEMS} orders (got ${list.length})`);
  return list.map((item: unknown, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw paramsError(`request[${index}] must be an object`);
    return { ...(item as Params), category: params.category };
  });
}

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

export function batchRoutes(app: FastifyInstance, exchange: Exchange, operations: BatchOperations): void {
  const run = (operation: OneOrder, stamped: boolean) => async (request: FastifyRequest) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const items = batchItems(params);
    const list: Record<string, string>[] = [];
    const outcomes: { code: number; msg: string }[] = [];
    for (const item of items) {
      const row = { category: text(item.category), symbol: text(item.symbol) };
      try {
        const ack = await operation(accountId, item);
        list.push({ ...row, ...ack, ...(stamped ? { createAt: String(exchange.now()) } : {}) });
        outcomes.push({ code: Code.OK, msg: 'OK' });
      } catch (error) {
        if (!(error instanceof BybitError)) throw error;
        list.push({ ...row, orderId: text(item.orderId), orderLinkId: text(item.orderLinkId), ...(stamped ? { createAt: '' } : {}) });
        outcomes.push({ code: error.retCode, msg: error.message });
      }
    }
    return ok({ list }, exchange.now(), { list: outcomes });
  };
  app.post('/v5/order/create-batch', run(operations.createOrder, true));
  app.post('/v5/order/amend-batch', run(operations.amendOrder, false));
  app.post('/v5/order/cancel-batch', run(operations.cancelOrder, false));
}
