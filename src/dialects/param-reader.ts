/**
 * The one request-parameter reader of every front door (XT, Binance, Bybit, KuCoin and the admin
 * API): what counts as absent, a string, a choice, a flag or a whole number is decided here, the
 * same strict way everywhere; each front door only says how a refusal is worded in its own error
 * shape (ParamErrors). Parameters arrive as JSON values (bodies) or strings (queries, forms).
 *
 *   absent        undefined, null or ''
 *   string        a string, or a JSON number (within ±2^53, where it is still exactly the digits
 *                 sent) as its text; booleans, objects and arrays refused, and so is text with blanks
 *                 around it or a control character in it (" 1" or "1\n" is no number, and the
 *                 engine's decimal parser would trim it)
 *   choice        one of the allowed strings, after the front door's normalisation (e.g. upper case)
 *   flag          true / false (JSON or text, any case)
 *   whole number  digits with an optional leading '-', or a safe-integer JSON number, within [min, max]
 */
import { echo } from './front-door-bounds.js';

export type RawParams = Readonly<Record<string, unknown>>;

/** How a front door words a refused parameter, in its own error shape. */
export interface ParamErrors {
  /** The parameter is required and was not sent (or was empty). `hint` says what to send. */
  missing(name: string, hint: string): Error;
  /** The parameter was sent but is not what it must be; `problem` says what it must be. */
  malformed(name: string, problem: string): Error;
}

/** Blanks at either end, or a control character anywhere: no parameter of any exchange has them. */
const UNCLEAN_TEXT = /^\s|\s$|\p{Cc}/u;

export function optionalText(params: RawParams, name: string, errors: ParamErrors): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    if (UNCLEAN_TEXT.test(value)) throw errors.malformed(name, `${name} has blanks around it or a control character in it (got ${JSON.stringify(echo(value))}): send the value alone`);
    return value;
  }
  if (typeof value === 'number') {
    // Past 2^53 a JSON number is no longer the digits the client sent: only its text can say them.
    if (Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return String(value);
    throw errors.malformed(name, `${name} is too large for a JSON number: send it as a string`);
  }
  throw errors.malformed(name, `${name} must be a string or a number`);
}

export function requiredText(params: RawParams, name: string, errors: ParamErrors, hint = ''): string {
  const value = optionalText(params, name, errors);
  if (value === undefined) throw errors.missing(name, hint);
  return value;
}

/** One of `allowed`, compared after `normalize` (identity: case-sensitive, as Bybit's enums are). */
export function optionalChoice<T extends string>(params: RawParams, name: string, allowed: readonly T[], errors: ParamErrors, normalize: (text: string) => string = (text) => text): T | undefined {
  const text = optionalText(params, name, errors);
  if (text === undefined) return undefined;
  const value = normalize(text);
  if (!(allowed as readonly string[]).includes(value)) throw errors.malformed(name, `${name} must be one of ${allowed.join(', ')} (got ${echo(text)})`);
  return value as T;
}

export function requiredChoice<T extends string>(params: RawParams, name: string, allowed: readonly T[], errors: ParamErrors, normalize?: (text: string) => string): T {
  const value = optionalChoice(params, name, allowed, errors, normalize);
  if (value === undefined) throw errors.missing(name, ` (${allowed.join(', ')})`);
  return value;
}

export function optionalFlag(params: RawParams, name: string, errors: ParamErrors): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || (typeof value === 'string' && value.toLowerCase() === 'true')) return true;
  if (value === false || (typeof value === 'string' && value.toLowerCase() === 'false')) return false;
  throw errors.malformed(name, `${name} must be true or false`);
}

const WHOLE_NUMBER = /^-?\d+$/;

export function optionalWholeNumber(params: RawParams, name: string, min: number, max: number, errors: ParamErrors): number | undefined {
  const raw = params[name];
  if (raw !== null && typeof raw === 'object') throw errors.malformed(name, `${name} must be a whole number from ${min} to ${max}`);
  const text = optionalText(params, name, errors);
  if (text === undefined) return undefined;
  if (!WHOLE_NUMBER.test(text)) throw errors.malformed(name, `${name} must be a whole number from ${min} to ${max} (got ${echo(text)})`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw errors.malformed(name, `${name} must be between ${min} and ${max} (got ${echo(text)})`);
  return value;
}

export function requiredWholeNumber(params: RawParams, name: string, min: number, max: number, errors: ParamErrors): number {
  const value = optionalWholeNumber(params, name, min, max, errors);
  if (value === undefined) throw errors.missing(name, ` (a whole number from ${min} to ${max})`);
  return value;
}
