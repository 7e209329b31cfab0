/**
 * Reading KuCoin request parameters: GET and DELETE carry them in the query, POST in a JSON body;
 * KuCoin clients send numbers either as JSON numbers or as strings, so both are accepted. Every
 * reader throws a KucoinError (400100) that says what to send instead.
 */
import type { FastifyRequest } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Credential } from '../../service/credentials.js';
import { CLIENT_ID_RULES, clientIdProblem, priceProblemText, readMarginAmount, readPrice } from '../front-door-bounds.js';
import { optionalChoice, optionalFlag, optionalText, optionalWholeNumber, requiredText, requiredWholeNumber, type ParamErrors } from '../param-reader.js';
import { badParam, invalidOrder, KucoinError } from './envelope.js';
import type { KucoinSymbols } from './symbols.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller of a signed KuCoin request. */
    kucoinCredential: Credential | null;
  }
}

export type Params = Record<string, unknown>;

export function callerOf(request: FastifyRequest): number {
  if (request.kucoinCredential === null) throw new KucoinError('400001', 'this endpoint is signed: send the KC-API-* headers', 401);
  return request.kucoinCredential.accountId;
}

/** The query's and the body's parameters (both signed: auth.ts); a name given in both is refused. */
export function paramsOf(request: FastifyRequest): Params {
  const query = (request.query ?? {}) as Params;
  const body = request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Params) : {};
  const twice = Object.keys(query).find((name) => Object.hasOwn(body, name));
  if (twice !== undefined) throw badParam(`${twice} is given in both the query and the body; send it once`);
  return { ...query, ...body };
}

/** KuCoin's words for a refused parameter (400100). */
const KUCOIN_PARAM_ERRORS: ParamErrors = {
  missing: (name, hint) => badParam(`${name} is required${hint}`),
  malformed: (_name, problem) => badParam(problem),
};

export const optionalString = (params: Params, name: string): string | undefined => optionalText(params, name, KUCOIN_PARAM_ERRORS);
export const requiredString = (params: Params, name: string): string => requiredText(params, name, KUCOIN_PARAM_ERRORS);
export const optionalEnum = <T extends string>(params: Params, name: string, allowed: readonly T[], normalize?: (s: string) => string): T | undefined =>
  optionalChoice(params, name, allowed, KUCOIN_PARAM_ERRORS, normalize);
export const optionalBoolean = (params: Params, name: string): boolean | undefined => optionalFlag(params, name, KUCOIN_PARAM_ERRORS);
export const optionalInteger = (params: Params, name: string, min: number, max: number): number | undefined =>
  optionalWholeNumber(params, name, min, max, KUCOIN_PARAM_ERRORS);
export const requiredInteger = (params: Params, name: string, min: number, max: number): number =>
  requiredWholeNumber(params, name, min, max, KUCOIN_PARAM_ERRORS);

export function symbolOf(symbols: KucoinSymbols, params: Params, required: true): SymbolConfig;
export function symbolOf(symbols: KucoinSymbols, params: Params, required: boolean): SymbolConfig | undefined;
export function symbolOf(symbols: KucoinSymbols, params: Params, required: boolean): SymbolConfig | undefined {
  const name = optionalString(params, 'symbol');
  if (name === undefined) {
    if (required) throw badParam(`symbol is required, one of ${symbols.names().join(', ')}`);
    return undefined;
  }
  const config = symbols.find(name);
  if (config === undefined) throw badParam(`symbol ${name} is not a contract here; see GET /api/v1/contracts/active (${symbols.names().join(', ')})`);
  return config;
}

/** A limit price: a positive multiple of the contract's tick size, at most its highest price. */
export function priceOf(params: Params, name: string, config: SymbolConfig): number {
  const price = readPrice(config, requiredString(params, name));
  if (!price.ok) throw invalidOrder(priceProblemText(config, name, price.problem));
  return price.ticks;
}

/** The required clientOid, within KuCoin's rule as this server keeps it (front-door-bounds.ts). */
export function clientOidOf(params: Params, name = 'clientOid'): string {
  const rule = CLIENT_ID_RULES.kucoin;
  const id = optionalString(params, name);
  if (id === undefined) throw badParam(`${name} is required: a unique id of 1 to ${rule.maxLength} characters of ${rule.charsText}, e.g. a UUID`);
  const problem = clientIdProblem(rule, name, id);
  if (problem !== undefined) throw badParam(problem);
  return id;
}

/** A margin amount of the contract's settle asset, within the front doors' bound (front-door-bounds.ts). */
export function marginAmountOf(params: Params, name: string, config: SymbolConfig): bigint {
  const reading = readMarginAmount(config, name, requiredString(params, name));
  if (!reading.ok) throw badParam(reading.problem);
  return reading.amount;
}
