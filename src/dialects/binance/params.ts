/**
 * Request parameters as Binance reads them: query string and form (or JSON) body merged, the query
 * winning; typed getters that throw Binance's parameter errors.
 */
import type { FastifyRequest } from 'fastify';
import { CLIENT_ID_RULES, clientIdProblem, decimalAbove } from '../front-door-bounds.js';
import { parseForm } from '../../server/form.js';
import { rawQuery } from '../../server/http.js';
import { optionalFlag, optionalText, optionalWholeNumber, requiredText, type ParamErrors } from '../param-reader.js';
import { BinanceError, ERR, illegal, missing } from './errors.js';
import { formatQty, parseQty, type BinanceSymbol, type BinanceSymbols } from './symbols.js';

export type Params = Readonly<Record<string, string>>;

function flatten(source: unknown, into: Record<string, string>): void {
  if (source === null || typeof source !== 'object') return;
  for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') into[key] = first;
    else if (typeof first === 'number' || typeof first === 'boolean') into[key] = String(first);
  }
}

/** Pairs decoded strictly, refusing a name sent twice (Binance -1101) rather than keeping one of them. */
function once(pairs: readonly [string, string][], where: string): Record<string, string> {
  const into: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (Object.hasOwn(into, name)) throw new BinanceError(ERR.TOO_MANY_PARAMS, `Duplicate values for a parameter detected: '${name}' is sent twice in the ${where}.`);
    into[name] = value;
  }
  return into;
}

/**
 * Every parameter name this front door reads. Binance signs the query and the body concatenated
 * with nothing between them, so where one ends and the other begins is not signed: moving that
 * point turns the last query value and the first body name into others ("price=100" +
 * "recvWindow=…" → "price=10" + "0recvWindow=…") under the same signature. When a request splits
 * its parameters between the two, a name outside this list is refused (-1104), which leaves such
 * a move nothing to hide in.
 */
const KNOWN_NAMES: ReadonlySet<string> = new Set([
  'timestamp', 'recvWindow', 'signature', 'listenKey',
  'symbol', 'side', 'positionSide', 'type', 'timeInForce', 'quantity', 'price', 'reduceOnly', 'closePosition',
  'newClientOrderId', 'origClientOrderId', 'orderId', 'selfTradePreventionMode',
  'leverage', 'marginType', 'dualSidePosition', 'feeBurn', 'amount', 'startTime', 'endTime', 'fromId', 'limit',
  // batchOrders (batch.ts; ccxt sends the id lists in lower case), income and forceOrders (rest-history.ts).
  'batchOrders', 'orderIdList', 'origClientOrderIdList', 'orderidlist', 'origclientorderidlist',
  'incomeType', 'page', 'autoCloseType',
  // algoOrder, openAlgoOrders, allAlgoOrders, algoOpenOrders (rest-algo.ts).
  'algoType', 'triggerPrice', 'workingType', 'priceMatch', 'priceProtect', 'activatePrice', 'callbackRate', 'clientAlgoId',
  'newOrderRespType', 'goodTillDate', 'algoId',
]);

/**
 * The query's and the body's parameters (both signed: auth.ts), the query winning over the body as
 * on Binance. A form body is read from its raw bytes, like the query, so a name repeated in either
 * is refused.
 */
export function paramsOf(request: FastifyRequest): Params {
  const fromBody: Record<string, string> = {};
  if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') === true) {
    Object.assign(fromBody, once(parseForm(request.rawBody, 'body'), 'body'));
  } else {
    flatten(request.body, fromBody);
  }
  const fromQuery = once(parseForm(rawQuery(request.url), 'query'), 'query');
  if (Object.keys(fromQuery).length > 0 && Object.keys(fromBody).length > 0) {
    const unknown = [...Object.keys(fromQuery), ...Object.keys(fromBody)].find((name) => !KNOWN_NAMES.has(name));
    if (unknown !== undefined) {
      throw new BinanceError(ERR.UNKNOWN_PARAM, `Not all sent parameters were read: '${unknown}' is not a parameter here (parameters split between the query and the body must all be known ones).`);
    }
  }
  return { ...fromBody, ...fromQuery };
}

/** Binance's words for a refused parameter: -1102 when it is missing, -1100 when it is malformed. */
const BINANCE_PARAM_ERRORS: ParamErrors = {
  missing: (name) => missing(name),
  malformed: (name, problem) => illegal(name, problem),
};

export const required = (params: Params, name: string): string => requiredText(params, name, BINANCE_PARAM_ERRORS);
export const optional = (params: Params, name: string): string | undefined => optionalText(params, name, BINANCE_PARAM_ERRORS);

export function symbolParam(params: Params, symbols: BinanceSymbols, name = 'symbol'): BinanceSymbol {
  const symbol = symbols.find(required(params, name));
  if (symbol === undefined) throw new BinanceError(ERR.BAD_SYMBOL, 'Invalid symbol.');
  return symbol;
}

export function optionalSymbol(params: Params, symbols: BinanceSymbols): BinanceSymbol | undefined {
  return optional(params, 'symbol') === undefined ? undefined : symbolParam(params, symbols);
}

export const booleanParam = (params: Params, name: string): boolean | undefined => optionalFlag(params, name, BINANCE_PARAM_ERRORS);

export const integerParam = (params: Params, name: string, min: number, max: number): number | undefined =>
  optionalWholeNumber(params, name, min, max, BINANCE_PARAM_ERRORS);

export function enumParam<T extends string>(params: Params, name: string, values: readonly T[], error: BinanceError): T | undefined {
  const value = optional(params, name);
  if (value === undefined) return undefined;
  if (!values.includes(value as T)) throw error;
  return value as T;
}

/** A base quantity in whole contracts of the symbol. */
export function quantityParam(params: Params, symbol: BinanceSymbol, name = 'quantity'): number {
  const text = required(params, name);
  const contracts = parseQty(symbol, text);
  if (contracts === undefined) {
    if (/^-?[0-9.]+$/.test(text) && Number(text) <= 0) throw new BinanceError(ERR.QTY_LESS_THAN_ZERO, 'Quantity less than or equal to zero.');
    if (decimalAbove(text, formatQty(symbol, symbol.config.spec.maxQty))) throw quantityAboveMax(symbol);
    throw new BinanceError(ERR.BAD_PRECISION, `Precision is over the maximum defined for this asset: quantity must be a multiple of ${symbol.config.spec.contractSize}.`);
  }
  if (contracts > symbol.config.spec.maxQty) throw quantityAboveMax(symbol);
  return contracts;
}

const quantityAboveMax = (symbol: BinanceSymbol): BinanceError =>
  new BinanceError(ERR.QTY_GREATER_THAN_MAX_QTY, `Quantity greater than max quantity: send at most ${formatQty(symbol, symbol.config.spec.maxQty)} (LOT_SIZE maxQty).`);

/** A client order id (newClientOrderId, origClientOrderId) within Binance's rule as this server keeps it (front-door-bounds.ts). */
export function clientOrderIdParam(params: Params, name: string): string | undefined {
  const id = optional(params, name);
  const problem = id === undefined ? undefined : clientIdProblem(CLIENT_ID_RULES.binance, name, id);
  if (problem !== undefined) throw illegal(name, problem);
  return id;
}
