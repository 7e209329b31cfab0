/**
 * KuCoin futures' batch endpoints: POST /api/v1/orders/multi (place; the body is a JSON list of
 * orders) and DELETE /api/v1/orders/multi-cancel (`orderIdsList`, or `clientOidsList` of
 * `{symbol, clientOid}`). Each item goes through the single-order path (rest-trade.ts) as its own
 * engine command, in the order sent; `data` holds one entry per item in the same order with that
 * item's own `code` and `msg`, as KuCoin answers: one bad item does not stop the others. Only a
 * malformed or oversized batch is refused whole (400100), before any item runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import { badParam, KucoinError, ok } from './envelope.js';
import type { JsonValue } from './json.js';
import { callerOf, optionalString, paramsOf, symbolOf, type Params } from './params.js';
import type { KucoinSymbols } from './symbols.js';

/** KuCoin: "You can place up to 20 orders at one time". */
export const MAX_BATCH_PLACE = 20;
/** KuCoin: "A maximum of 10 orders can be canceled at a time". */
export const MAX_BATCH_CANCEL = 10;
/** The per-item codes KuCoin answers for a placed and for a cancelled order. */
const PLACED = { code: '200000', msg: 'success' };
const CANCELLED = { code: '200', msg: 'success' };

export interface PlacedOrder {
  orderId: string;
  clientOid: string | undefined;
  symbol: string;
}

export interface BatchOperations {
  placeOrder: (accountId: number, params: Params) => Promise<PlacedOrder>;
  cancelById: (accountId: number, orderId: string) => Promise<number>;
  cancelByClientOid: (accountId: number, symbol: SymbolConfig, clientOid: string) => Promise<void>;
}

/** A list of 1..max entries, or the batch's 400100. */
function listOf(value: unknown, name: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw badParam(`${name} must be a list`);
  if (value.length === 0 || value.length > max) throw badParam(`${name} must hold 1 to ${max} orders (got ${value.length})`);
  return value;
}

const objectAt = (item: unknown, name: string, index: number): Params => {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw badParam(`${name}[${index}] must be an object`);
  return item as Params;
};

/** The item's result, or its KucoinError as `{code, msg}`; anything else (a disk failure) fails the request. */
async function outcome(run: () => Promise<{ code: string; msg: string }>): Promise<{ code: string; msg: string }> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof KucoinError)) throw error;
    return { code: error.code, msg: error.message };
  }
}

const text = (value: unknown): string | null => (typeof value === 'string' || typeof value === 'number' ? String(value) : null);

export function batchRoutes(app: FastifyInstance, symbols: KucoinSymbols, operations: BatchOperations): void {
  app.post('/api/v1/orders/multi', async (request: FastifyRequest) => {
    const accountId = callerOf(request);
    const items = listOf(request.body, 'the body (a list of orders)', MAX_BATCH_PLACE).map((item, index) => objectAt(item, 'orders', index));
    const data: JsonValue[] = [];
    for (const item of items) {
      let placed: PlacedOrder | undefined;
      const result = await outcome(async () => {
        placed = await operations.placeOrder(accountId, item);
        return PLACED;
      });
      data.push({
        orderId: placed?.orderId ?? null, clientOid: placed === undefined ? text(item.clientOid) : placed.clientOid ?? null,
        symbol: placed?.symbol ?? text(item.symbol), ...result,
      });
    }
    return ok(data);
  });

  app.delete('/api/v1/orders/multi-cancel', async (request: FastifyRequest) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const data: JsonValue[] = [];
    // KuCoin: "When orderIdsList and clientOidsList are used at the same time, orderIdsList shall prevail."
    if (params.orderIdsList !== undefined) {
      const ids = listOf(params.orderIdsList, 'orderIdsList', MAX_BATCH_CANCEL).map((id, index) => {
        const value = text(id);
        if (value === null) throw badParam(`orderIdsList[${index}] must be an order id`);
        return value;
      });
      for (const orderId of ids) {
        const result = await outcome(async () => {
          await operations.cancelById(accountId, orderId);
          return CANCELLED;
        });
        data.push({ orderId, clientOid: null, ...result });
      }
      return ok(data);
    }
    if (params.clientOidsList === undefined) throw badParam('send orderIdsList, or clientOidsList of {symbol, clientOid}');
    const refs = listOf(params.clientOidsList, 'clientOidsList', MAX_BATCH_CANCEL).map((item, index) => {
      const ref = objectAt(item, 'clientOidsList', index);
      // Each entry names its symbol; the request's own `symbol` applies to entries that do not.
      const symbol = symbolOf(symbols, { symbol: ref.symbol ?? params.symbol }, true);
      const clientOid = optionalString(ref, 'clientOid');
      if (clientOid === undefined) throw badParam(`clientOidsList[${index}].clientOid is required`);
      return { symbol, clientOid };
    });
    for (const { symbol, clientOid } of refs) {
      const result = await outcome(async () => {
        await operations.cancelByClientOid(accountId, symbol, clientOid);
        return CANCELLED;
      });
      data.push({ orderId: null, clientOid, ...result });
    }
    return ok(data);
  });
}
