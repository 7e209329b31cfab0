/**
 * Reading Bybit request parameters: GET parameters from the query, POST parameters from the JSON
 * body. Every reader throws a 10001 "params error" that says what to send instead.
 */
import type { FastifyRequest } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Credential } from '../../service/credentials.js';
import { CLIENT_ID_RULES, clientIdProblem, echo, priceProblemText, readPrice } from '../front-door-bounds.js';
import { signedPartOf } from './auth.js';
import { optionalChoice, optionalFlag, optionalText, optionalWholeNumber, requiredChoice, requiredText, type ParamErrors } from '../param-reader.js';
import { BybitError, Code, paramsError } from './envelope.js';
import { baseQty, categoryOfConfig, parseBaseQty, type BybitSymbols, type Category } from './symbols.js';

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

/** Bybit's words for a refused parameter (10001 params error). */
const BYBIT_PARAM_ERRORS: ParamErrors = {
  missing: (name, hint) => paramsError(`${name} is required${hint}`),
  malformed: (_name, problem) => paramsError(problem),
};

export const optionalString = (params: Params, name: string): string | undefined => optionalText(params, name, BYBIT_PARAM_ERRORS);
export const requiredString = (params: Params, name: string): string => requiredText(params, name, BYBIT_PARAM_ERRORS);
/** One of the allowed values, matched exactly (Bybit's enums are case-sensitive). */
export const optionalEnum = <T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined =>
  optionalChoice(params, name, allowed, BYBIT_PARAM_ERRORS);
export const requiredEnum = <T extends string>(params: Params, name: string, allowed: readonly T[]): T =>
  requiredChoice(params, name, allowed, BYBIT_PARAM_ERRORS);
export const optionalBoolean = (params: Params, name: string): boolean | undefined => optionalFlag(params, name, BYBIT_PARAM_ERRORS);
/** A whole number (JSON number or digit string) within bounds. */
export const optionalInteger = (params: Params, name: string, min: number, max: number): number | undefined =>
  optionalWholeNumber(params, name, min, max, BYBIT_PARAM_ERRORS);

/** `category`: linear and inverse contracts are listed here; spot and option hold nothing. */
export function categoryOf(params: Params): 'linear' | 'inverse' | 'spot' | 'option' {
  return requiredEnum(params, 'category', ['linear', 'inverse', 'spot', 'option'] as const);
}

/** A contract endpoint (orders, positions): `category` must be linear or inverse. */
export function requireContract(params: Params): Category {
  const category = categoryOf(params);
  if (category !== 'linear' && category !== 'inverse') throw paramsError(`category only supports linear or inverse here (perpstream lists no ${category} products)`);
  return category;
}

/** Whether a symbol belongs to the request's category (a request without one covers every symbol). */
export function inCategory(config: SymbolConfig, category: string | undefined): boolean {
  return category === undefined || category === categoryOfConfig(config);
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
  // Bybit looks a symbol up within the request's category: a linear symbol is not an inverse one.
  const category = params.category;
  if ((category === 'linear' || category === 'inverse' || category === 'spot' || category === 'option') && category !== categoryOfConfig(config)) {
    throw paramsError(`symbol invalid: ${name} is not listed under category=${category} (it is a ${categoryOfConfig(config)} contract)`);
  }
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
    throw paramsError(`${name} ${echo(text)} is invalid: send a multiple of the qtyStep ${contractSize} from ${baseQty(config, minQty)} to ${baseQty(config, maxQty)}`);
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
