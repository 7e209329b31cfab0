/**
 * Request parameters as Binance reads them: query string and form (or JSON) body merged, the query
 * winning; typed getters that throw Binance's parameter errors.
 */
import type { FastifyRequest } from 'fastify';
import { parseForm, rawQuery } from '../../server/http.js';
import { BinanceError, ERR, illegal, missing } from './errors.js';
import { parseQty, type BinanceSymbol, type BinanceSymbols } from './symbols.js';

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
 * The query's and the body's parameters (both signed: auth.ts), the query winning over the body as
 * on Binance. A form body is read from its raw bytes, like the query, so a name repeated in either
 * is refused.
 */
export function paramsOf(request: FastifyRequest): Params {
  const merged: Record<string, string> = {};
  if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') === true) {
    Object.assign(merged, once(parseForm(request.rawBody, 'body'), 'body'));
  } else {
    flatten(request.body, merged);
  }
  Object.assign(merged, once(parseForm(rawQuery(request.url), 'query'), 'query'));
  return merged;
}

export function required(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw missing(name);
  return value;
}

export function optional(params: Params, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

export function symbolParam(params: Params, symbols: BinanceSymbols, name = 'symbol'): BinanceSymbol {
  const symbol = symbols.find(required(params, name));
  if (symbol === undefined) throw new BinanceError(ERR.BAD_SYMBOL, 'Invalid symbol.');
  return symbol;
}

export function optionalSymbol(params: Params, symbols: BinanceSymbols): BinanceSymbol | undefined {
  return optional(params, 'symbol') === undefined ? undefined : symbolParam(params, symbols);
}

export function booleanParam(params: Params, name: string): boolean | undefined {
  const value = optional(params, name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'TRUE') return true;
  if (value === 'false' || value === 'FALSE') return false;
  throw illegal(name, 'send true or false');
}

export function integerParam(params: Params, name: string, min: number, max: number): number | undefined {
  const value = optional(params, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) throw illegal(name, `send a whole number from ${min} to ${max}`);
  return parsed;
}

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
    throw new BinanceError(ERR.BAD_PRECISION, `Precision is over the maximum defined for this asset: quantity must be a multiple of ${symbol.config.spec.contractSize}.`);
  }
  return contracts;
}
