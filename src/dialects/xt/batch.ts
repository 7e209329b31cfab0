/**
 * XT's batch endpoints: POST /future/trade/v1/order/create-batch (`list`: the orders, as a JSON
 * list, or its text in a form field) and POST /future/trade/v1/order/cancel-batch (`orderIds`
 * and/or `clientOrderIds`: a comma list or a JSON list). XT answers a batch with `result: true`
 * and no per-item results, so perpstream checks every item before any runs: one malformed item,
 * or an id that is not an open order of the account, refuses the whole batch with XT's error
 * naming the item, and nothing changes. The items then run in order, each its own engine
 * command, through the single-order path (rest-trade.ts). An item the engine still refuses (for
 * example margin used up by the items before it) does not stop the others; the answer is then a
 * failure with that item's XT code whose message lists what was placed and what was refused, so
 * no refusal is hidden behind `true`.
 */
import type { FastifyInstance } from 'fastify';
import type { PlaceOrder } from '../../engine/types.js';
import { invalidParams, ok, XtError } from './envelope.js';
import { callerOf, onHost, paramsOf, type Params, type VenueScope } from './params.js';
import { cancelOrder, placeCommand, placeOrder } from './rest-trade.js';

/** XT documents no bound on a batch; perpstream takes at most this many orders per request. */
export const MAX_BATCH_ITEMS = 20;

/** A list parameter: a JSON list, or its text, or (ids only) a comma-separated list. */
function listParam(params: Params, name: string, commaList: boolean): unknown[] | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // Reported below.
      }
    } else if (commaList) {
      return trimmed.split(',').map((id) => id.trim());
    }
  }
  if (typeof value === 'number' && commaList) return [value];
  throw invalidParams(`${name} must be a JSON list${commaList ? ' or a comma-separated list' : ''}`);
}

function bounded(list: unknown[], name: string): unknown[] {
  if (list.length === 0 || list.length > MAX_BATCH_ITEMS) throw invalidParams(`${name} must hold 1 to ${MAX_BATCH_ITEMS} orders (got ${list.length})`);
  return list;
}

/** Every item checked before any runs: the first bad one refuses the batch, naming it. */
function checkedItems<T>(items: readonly unknown[], name: string, check: (item: unknown) => T): T[] {
  return items.map((item, index) => {
    try {
      return check(item);
    } catch (error) {
      if (error instanceof XtError) throw new XtError(error.code, `${name}[${index}]: ${error.message}`, error.httpStatus);
      throw error;
    }
  });
}

/** Runs each item in order; `true` when all succeeded, else the first refusal's code with every item's outcome. */
async function runAll(items: readonly { label: string; run: () => Promise<string> }[]): Promise<true> {
  const done: string[] = [];
  const refused: { label: string; error: XtError }[] = [];
  for (const item of items) {
    try {
      done.push(`${item.label} ${await item.run()}`);
    } catch (error) {
      if (!(error instanceof XtError)) throw error;
      refused.push({ label: item.label, error });
    }
  }
  if (refused.length === 0) return true;
  const first = refused[0]!.error;
  const refusals = refused.map((r) => `${r.label}: ${r.error.message}`).join('; ');
  throw new XtError(first.code, `batch partly refused: ${refusals}; done: ${done.length === 0 ? 'none' : done.join(', ')}`, first.httpStatus);
}

export function batchRoutes(app: FastifyInstance, scope: VenueScope): void {
  const { exchange } = scope;
  app.post('/future/trade/v1/order/create-batch', async (request) => {
    const accountId = callerOf(request);
    const list = listParam(paramsOf(request), 'list', false);
    if (list === undefined) throw invalidParams('list is required: the orders as a JSON list');
    const commands: Omit<PlaceOrder, 'time'>[] = checkedItems(bounded(list, 'list'), 'list', (item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidParams('each order must be an object');
      return placeCommand(scope, accountId, item as Params);
    });
    return ok(await runAll(commands.map((command, index) => ({
      label: `list[${index}]`, run: async () => `placed as order ${await placeOrder(exchange, command)}`,
    }))));
  });

  app.post('/future/trade/v1/order/cancel-batch', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const ids = listParam(params, 'orderIds', true) ?? [];
    const clientIds = listParam(params, 'clientOrderIds', true) ?? [];
    if (ids.length === 0 && clientIds.length === 0) throw invalidParams('orderIds is required: a comma-separated or JSON list of order ids');
    bounded([...ids, ...clientIds], 'orderIds and clientOrderIds together');
    // Only this host's orders: the other host's are unknown here, as on XT.
    const live = (exchange.engine.account(accountId)?.view.orders ?? []).filter((o) => onHost(scope, o.symbol));
    const byId = checkedItems(ids, 'orderIds', (id) => {
      const order = live.find((o) => String(o.orderId) === String(id));
      if (order === undefined) throw new XtError('ORDER_005', `order not exist: ${String(id)} is not an open order of this account`);
      return order;
    });
    const byClientId = checkedItems(clientIds, 'clientOrderIds', (id) => {
      const order = live.find((o) => o.clientOrderId !== undefined && o.clientOrderId !== null && o.clientOrderId === String(id));
      if (order === undefined) throw new XtError('ORDER_005', `order not exist: no open order with clientOrderId ${String(id)}`);
      return order;
    });
    return ok(await runAll([...byId, ...byClientId].map((order) => ({
      label: `order ${order.orderId}`, run: async () => {
        await cancelOrder(exchange, accountId, order.symbol, order.orderId);
        return 'cancelled';
      },
    }))));
  });
}
