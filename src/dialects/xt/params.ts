/**
 * Reading XT request parameters: GET parameters come in the query, POST parameters in the JSON
 * (or form) body; both are accepted on both methods, and both are signed. Every reader throws an
 * XtError that says what to send instead.
 */
import type { FastifyRequest } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Credential } from '../../service/credentials.js';
import type { Exchange } from '../../service/exchange.js';
import { CLIENT_ID_RULES, clientIdProblem, priceProblemText, readMarginAmount, readPrice } from '../front-door-bounds.js';
import { optionalChoice, optionalFlag, optionalText, optionalWholeNumber, requiredChoice, requiredText, requiredWholeNumber, type ParamErrors } from '../param-reader.js';
import { invalidOrder, invalidParams, XtError } from './envelope.js';
import { onVenue, type XtVenue } from './venue.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller of a signed XT request. */
    xtCredential: Credential | null;
  }
}

export type Params = Record<string, unknown>;

/** The account id of a verified request. */
export function callerOf(request: FastifyRequest): number {
  if (request.xtCredential === null) throw new XtError('AUTH_001', 'this endpoint is signed', 403);
  return request.xtCredential.accountId;
}

/**
 * The query's and the body's parameters together: both are signed (auth.ts). A name given in both
 * places is refused rather than one of them silently winning.
 */
export function paramsOf(request: FastifyRequest): Params {
  const query = (request.query ?? {}) as Params;
  const body = request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Params) : {};
  const twice = Object.keys(query).find((name) => Object.hasOwn(body, name));
  if (twice !== undefined) throw invalidParams(`${twice} is given in both the query and the body; send it once`);
  return { ...query, ...body };
}

/** Refuses parameters an endpoint does not read (COMMON_003 invalid_params): never silently dropped. */
export function onlyParams(params: Params, allowed: readonly string[]): void {
  const unknown = Object.keys(params).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw invalidParams(`${unknown.join(', ')} is not a parameter of this endpoint (send ${allowed.join(', ')})`);
}

/** XT's words for a refused parameter (COMMON_003 invalid_params). */
const XT_PARAM_ERRORS: ParamErrors = {
  missing: (name, hint) => invalidParams(`${name} is required${hint}`),
  malformed: (_name, problem) => invalidParams(problem),
};

export const optionalString = (params: Params, name: string): string | undefined => optionalText(params, name, XT_PARAM_ERRORS);
export const requiredString = (params: Params, name: string): string => requiredText(params, name, XT_PARAM_ERRORS);
/** XT's enumerations are upper case; clients' lower case is accepted. */
export const optionalEnum = <T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined =>
  optionalChoice(params, name, allowed, XT_PARAM_ERRORS, (text) => text.toUpperCase());
export const requiredEnum = <T extends string>(params: Params, name: string, allowed: readonly T[]): T =>
  requiredChoice(params, name, allowed, XT_PARAM_ERRORS, (text) => text.toUpperCase());
export const optionalBoolean = (params: Params, name: string): boolean | undefined => optionalFlag(params, name, XT_PARAM_ERRORS);
/** A whole number parameter within bounds (e.g. ids, page sizes, times). */
export const optionalInteger = (params: Params, name: string, min: number, max: number): number | undefined =>
  optionalWholeNumber(params, name, min, max, XT_PARAM_ERRORS);
export const requiredInteger = (params: Params, name: string, min: number, max: number): number =>
  requiredWholeNumber(params, name, min, max, XT_PARAM_ERRORS);

/** The exchange as one XT host sees it: the handlers of a host's routes read symbols through it. */
export interface VenueScope {
  readonly exchange: Exchange;
  readonly venue: XtVenue;
}

/** A symbol of this host: one of the other host's symbols is as unknown here as on XT (invalid_symbol). */
export function listedSymbol(scope: VenueScope, name: string): SymbolConfig {
  const config = scope.exchange.engine.symbols().find((c) => c.symbol === name);
  if (config === undefined || !onVenue(scope.venue, config)) {
    throw new XtError('SYMBOL_001', `invalid_symbol: ${name} is not listed on ${scope.venue.name}; see ${scope.venue.prefix}/future/market/v1/public/symbol/list`);
  }
  return config;
}

/** Whether a symbol is traded on this host: lists keep only these (orders, fills, positions, history rows). */
export function onHost(scope: VenueScope, symbol: string): boolean {
  const config = scope.exchange.engine.symbols().find((c) => c.symbol === symbol);
  return config !== undefined && onVenue(scope.venue, config);
}

export function symbolOf(scope: VenueScope, params: Params, required: true): SymbolConfig;
export function symbolOf(scope: VenueScope, params: Params, required: false): SymbolConfig | undefined;
export function symbolOf(scope: VenueScope, params: Params, required: boolean): SymbolConfig | undefined {
  const name = optionalString(params, 'symbol')?.toLowerCase();
  if (name === undefined) {
    if (required) throw invalidParams(scope.venue.underlyingType === 'COIN_BASED' ? 'symbol is required, e.g. btc_usd' : 'symbol is required, e.g. btc_usdt');
    return undefined;
  }
  return listedSymbol(scope, name);
}

/** Contracts: XT's origQty is a whole number of contracts. */
export function contractsOf(params: Params, name: string, config: SymbolConfig): number {
  const text = requiredString(params, name);
  const { minQty, maxQty } = config.spec;
  if (!/^\d+$/.test(text) || Number(text) < minQty || Number(text) > maxQty) {
    throw invalidOrder(`invalid_quantity_scale: ${name} must be a whole number of contracts from ${minQty} to ${maxQty}`);
  }
  return Number(text);
}

export function priceOf(params: Params, name: string, config: SymbolConfig): number {
  const price = readPrice(config, requiredString(params, name));
  if (!price.ok) throw invalidOrder(`invalid_price: ${priceProblemText(config, name, price.problem)}`);
  return price.ticks;
}

/** An optional client order id within XT's (the engine's) rule (front-door-bounds.ts). */
export function clientOrderIdOf(params: Params, name: string): string | undefined {
  const id = optionalString(params, name);
  const problem = id === undefined ? undefined : clientIdProblem(CLIENT_ID_RULES.xt, name, id);
  if (problem !== undefined) throw invalidParams(problem);
  return id;
}

/** A margin amount of the symbol's settle asset, within the front doors' bound (front-door-bounds.ts). */
export function marginAmountOf(params: Params, name: string, config: SymbolConfig): bigint {
  const reading = readMarginAmount(config, name, requiredString(params, name));
  if (!reading.ok) throw new XtError('invalid_margin', `invalid_margin: ${reading.problem}`);
  return reading.amount;
}
