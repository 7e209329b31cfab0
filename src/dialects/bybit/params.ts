/**
 * Reading Bybit request parameters: GET parameters from the query, POST parameters from the JSON
 * body. Every reader throws a 10001 "params error" that says what to send instead.
 */
import type { FastifyRequest } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Credential } from '../../service/credentials.js';
import { CLIENT_ID_RULES, clientIdProblem, echo, priceProblemText, readPrice } from '../front-door-bounds.js';
import { signedPartOf } from './auth.js';
import { BybitError, Code, paramsError } from './envelope.js';
import { parseBaseQty, type BybitSymbols } from './symbols.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller of a signed Bybit request. */
    bybitCredential: Credential | null;
  }
}

export type Params = Record<string, unknown>;

export function callerOf(request: FastifyRequest): number {
  if (request.bybitCredential === null) throw new BybitError(Code.INVALID_KEY, 'this endpoint is signed: send the X-BAPI-* headers');
  return request.bybitCredential.accountId;
}

/** The parameters of the part a request signs (auth.ts signedPartOf); the other part is refused when signed. */
export function paramsOf(request: FastifyRequest): Params {
  if (signedPartOf(request.method) === 'query') return (request.query ?? {}) as Params;
  return request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Params) : {};
}

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw paramsError(`${name} must be a string`);
}

export function requiredString(params: Params, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined) throw paramsError(`${name} is required`);
  return value;
}

/** One of the allowed values, matched exactly (Bybit's enums are case-sensitive). */
export function optionalEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(params, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw paramsError(`${name} must be one of ${allowed.join(', ')} (got ${echo(value)})`);
  return value as T;
}

export function requiredEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T {
  const value = optionalEnum(params, name, allowed);
  if (value === undefined) throw paramsError(`${name} is required (${allowed.join(', ')})`);
  return value;
}

export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw paramsError(`${name} must be true or false`);
}

/** A whole number (JSON number or digit string) within bounds. */
export function optionalInteger(params: Params, name: string, min: number, max: number): number | undefined {
  const text = optionalString(params, name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw paramsError(`${name} must be a whole number`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw paramsError(`${name} must be between ${min} and ${max}`);
  return value;
}

/** `category`: this server lists linear contracts only; the other categories hold nothing. */
export function categoryOf(params: Params): 'linear' | 'inverse' | 'spot' | 'option' {
  return requiredEnum(params, 'category', ['linear', 'inverse', 'spot', 'option'] as const);
}

/** A linear-only endpoint: anything but `category=linear` is refused. */
export function requireLinear(params: Params): void {
  if (categoryOf(params) !== 'linear') throw paramsError('category only supports linear here (perpstream lists USDT perpetuals)');
}

export function symbolOf(symbols: BybitSymbols, params: Params, required: true): SymbolConfig;
export function symbolOf(symbols: BybitSymbols, params: Params, required: false): SymbolConfig | undefined;
export function symbolOf(symbols: BybitSymbols, params: Params, required: boolean): SymbolConfig | undefined {
  const name = optionalString(params, 'symbol');
  if (name === undefined) {
    if (required) throw paramsError('symbol is required, e.g. BTCUSDT');
    return undefined;
  }
  const config = symbols.find(name);
  if (config === undefined) throw paramsError(`symbol invalid: ${name} is not listed (upper case, e.g. BTCUSDT); see /v5/market/instruments-info`);
  return config;
}

/** The settle coin filter (`settleCoin`), upper case; only coins some symbol settles in match anything. */
export function settleCoinOf(params: Params): string | undefined {
  return optionalString(params, 'settleCoin');
}

/** A base quantity (Bybit `qty`) as whole contracts. */
export function contractsOf(params: Params, name: string, config: SymbolConfig): number {
  const text = requiredString(params, name);
  const contracts = parseBaseQty(config, text);
  const { minQty, maxQty, contractSize } = config.spec;
  if (contracts === undefined || contracts < minQty || contracts > maxQty) {
    throw paramsError(`${name} ${echo(text)} is invalid: send a multiple of the qtyStep ${contractSize} from ${minQty} to ${maxQty} steps`);
  }
  return contracts;
}

export function priceOf(params: Params, name: string, config: SymbolConfig): number {
  const price = readPrice(config, requiredString(params, name));
  if (price.ok) return price.ticks;
  const detail = priceProblemText(config, name, price.problem);
  throw price.problem === 'tooHigh' ? new BybitError(Code.PRICE_RANGE, `Order price exceeds the allowable range: ${detail}`) : paramsError(detail);
}

/** An optional orderLinkId within Bybit's rule (front-door-bounds.ts). */
export function orderLinkIdOf(params: Params, name = 'orderLinkId'): string | undefined {
  const id = optionalString(params, name);
  const problem = id === undefined ? undefined : clientIdProblem(CLIENT_ID_RULES.bybit, name, id);
  if (problem !== undefined) throw paramsError(problem);
  return id;
}

/** Leverage: Bybit sends decimal strings ("10"); the engine's leverage is a whole number. */
export function leverageOf(params: Params, name: string, config: SymbolConfig): number {
  const text = requiredString(params, name);
  const match = /^(\d+)(?:\.0*)?$/.exec(text);
  const leverage = match === null ? NaN : Number(match[1]);
  if (!Number.isInteger(leverage) || leverage < 1 || leverage > config.spec.maxLeverage) {
    throw paramsError(`${name} ${echo(text)} is invalid: send a whole number from 1 to ${config.spec.maxLeverage}`);
  }
  return leverage;
}
