/**
 * Binance's batch order endpoints: POST (place), PUT (modify) and DELETE (cancel) /fapi/v1/batchOrders.
 * Each item goes through the single-order path (rest-trade.ts) as its own engine command, in the
 * order sent; the answer is an array in the same order holding, per item, the order object or the
 * `{code, msg}` that item alone was refused with, as Binance answers: one bad item does not stop
 * the others. Only a malformed or oversized batch is refused whole, before any item runs.
 */
import type { BinanceApi } from './rest.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BinanceError, ERR } from './errors.js';
import { optional, required, type Params } from './params.js';
import { credentialOf } from './rest-account.js';

/** Binance: "batchOrders: order list. Max 5 orders" (place and modify). */
export const MAX_BATCH_ORDERS = 5;
/** Binance: orderIdList / origClientOrderIdList "max 10 orders" (cancel). */
export const MAX_BATCH_CANCELS = 10;
/** Binance's code for a batch with no orders or too many. */
const INVALID_BATCH_SIZE = -4082;

type Json = Record<string, unknown>;
/** One order's operation, as the single-order route runs it. */
export type OneOrder = (accountId: number, params: Params) => Promise<Json>;

export interface BatchOperations {
  placeOrder: OneOrder;
  modifyOrder: OneOrder;
  cancelOrder: OneOrder;
}

const invalidData = (name: string, why: string): BinanceError =>
  new BinanceError(ERR.INVALID_PARAM, `Data sent for parameter '${name}' is not valid: ${why}.`);

/** A JSON list sent inside one url-encoded parameter (`batchOrders=[{…}]`, `orderIdList=[1,2]`). */
function jsonList(text: string, name: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidData(name, 'send a JSON list');
  }
  if (!Array.isArray(parsed)) throw invalidData(name, 'send a JSON list');
  return parsed;
}

/** One batch item as the parameters of a single-order request; the batch's own symbol applies when the item names none. */
function itemParams(item: unknown, index: number): Params {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidData('batchOrders', `item ${index} is not an object`);
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
    if (typeof value === 'string') params[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') params[key] = String(value);
    else if (value !== null) throw invalidData('batchOrders', `item ${index}: ${key} must be a string, number or boolean`);
  }
  return params;
}

/** Runs every item; an item's Binance error becomes its `{code, msg}`, anything else (a disk failure) fails the request. */
async function eachItem(accountId: number, items: Params[], operation: OneOrder): Promise<Json[]> {
  const answers: Json[] = [];
  for (const params of items) {
    try {
      answers.push(await operation(accountId, params));
    } catch (error) {
      if (!(error instanceof BinanceError)) throw error;
      answers.push({ code: error.code, msg: error.message });
    }
  }
  return answers;
}

/** The `batchOrders` list of a place or modify batch, within Binance's size. */
function batchOrders(params: Params, what: 'place' | 'modify'): Params[] {
  const list = jsonList(required(params, 'batchOrders'), 'batchOrders');
  if (list.length === 0 || list.length > MAX_BATCH_ORDERS) {
    throw new BinanceError(INVALID_BATCH_SIZE, `Invalid number of batch ${what} orders: ${list.length} (send 1 to ${MAX_BATCH_ORDERS}).`);
  }
  return list.map(itemParams);
}

/** A list parameter under Binance's name or the lower-case one ccxt sends (`orderidlist`). */
const listParam = (params: Params, name: string): string | undefined => optional(params, name) ?? optional(params, name.toLowerCase());

/** The cancel batch: one order reference per item, all by order id or all by client order id. */
function cancelItems(params: Params): Params[] {
  const symbol = required(params, 'symbol');
  const ids = listParam(params, 'orderIdList');
  const clientIds = listParam(params, 'origClientOrderIdList');
  if (ids !== undefined && clientIds !== undefined) {
    throw new BinanceError(-1128, 'Combination of optional parameters invalid: send orderIdList or origClientOrderIdList, not both.');
  }
  if (ids === undefined && clientIds === undefined) {
    throw new BinanceError(ERR.MANDATORY_PARAM, 'Param orderIdList or origClientOrderIdList must be sent, but both were empty/null!');
  }
  const name = ids !== undefined ? 'orderIdList' : 'origClientOrderIdList';
  const list = jsonList((ids ?? clientIds)!, name);
  if (list.length === 0 || list.length > MAX_BATCH_CANCELS) throw invalidData(name, `send 1 to ${MAX_BATCH_CANCELS} ids (got ${list.length})`);
  return list.map((id): Params => {
    if (ids !== undefined) {
      if (typeof id !== 'number' && typeof id !== 'string') throw invalidData(name, 'send order ids as numbers');
      return { symbol, orderId: String(id) };
    }
    if (typeof id !== 'string') throw invalidData(name, 'send client order ids as strings');
    return { symbol, origClientOrderId: id };
  });
}

/** `api`: the path's API, fapi (USDⓈ-M) or dapi (COIN-M). */
export function batchRoutes(app: FastifyInstance, operations: BatchOperations, api: BinanceApi): void {
  const run = (items: (params: Params) => Params[], operation: OneOrder) => async (request: FastifyRequest) => {
    const { accountId, params } = credentialOf(request);
    return eachItem(accountId, items(params), operation);
  };
  app.post(`/${api}/v1/batchOrders`, run((params) => batchOrders(params, 'place'), operations.placeOrder));
  app.put(`/${api}/v1/batchOrders`, run((params) => batchOrders(params, 'modify'), operations.modifyOrder));
  app.delete(`/${api}/v1/batchOrders`, run(cancelItems, operations.cancelOrder));
}
