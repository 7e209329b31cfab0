/**
 * Bybit v5 signatures (protocols.md §3.1), HMAC-SHA256 hex with the API secret as key:
 *  - REST: sign(timestamp + apiKey + [recvWindow] + payload), payload = the query string exactly as
 *    sent (GET) or the raw body (POST); headers X-BAPI-API-KEY / -TIMESTAMP / -SIGN and the optional
 *    -RECV-WINDOW, which is in the signed text only when it is sent (5,000 ms when it is not), and
 *    X-BAPI-SIGN-TYPE "2" (Bybit's own HMAC samples and clients send it) or none. Every key is an
 *    HMAC key (RSA keys are registered with Bybit by the user, which perpstream has no call for).
 *    Parameters in the other, unsigned part are refused (refuseUnsignedPart).
 *    Accepted when server − recvWindow ≤ timestamp < server + 1000 ms (Bybit's rule).
 *  - Stream: args [apiKey, expires, sign("GET/realtime" + expires)], expires a future ms time at
 *    most MAX_STREAM_AUTH_AHEAD_MS ahead.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential, CredentialStore } from '../../service/credentials.js';
import { BybitError, Code } from './envelope.js';
import { header } from '../../server/http.js';

export const DEFAULT_RECV_WINDOW_MS = 5_000;
export const MAX_RECV_WINDOW_MS = 60_000;
export const MAX_CLOCK_AHEAD_MS = 1_000;
/**
 * How far ahead a stream auth's `expires` may be. Bybit documents only that it must be in the
 * future; without a bound a captured auth frame would authenticate forever. Clients sign a few
 * seconds ahead (pybit 1 s, ccxt 10 s), so one minute (the REST receive window's maximum) passes them.
 */
export const MAX_STREAM_AUTH_AHEAD_MS = 60_000;

export interface SignedRequest {
  method: string;
  rawQuery: string;
  rawBody: string;
  headers: IncomingHttpHeaders;
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Where a REST request's parameters are, and so what it signs: the query of a GET, the JSON body of anything else. */
export function signedPartOf(method: string): 'query' | 'body' {
  return method === 'GET' ? 'query' : 'body';
}

/**
 * What a REST request signs: timestamp + key + [recvWindow, when the header is sent] + (the query of
 * a GET | the body of a POST).
 */
export function restPayload(timestamp: string, apiKey: string, recvWindow: string | undefined, request: Pick<SignedRequest, 'method' | 'rawQuery' | 'rawBody'>): string {
  const body = signedPartOf(request.method) === 'query' ? request.rawQuery : request.rawBody;
  return timestamp + apiKey + (recvWindow ?? '') + body;
}

/** X-BAPI-SIGN-TYPE values for an HMAC signature: none, or Bybit's "2". */
const HMAC_SIGN_TYPES: readonly (string | undefined)[] = [undefined, '2'];

/**
 * Refuses a query on a request that signs its body (a POST): those parameters would be unsigned,
 * and Bybit reads only the signed part. (A body on a GET is refused for every front door: http.ts.)
 */
export function refuseUnsignedPart(request: Pick<SignedRequest, 'method' | 'rawQuery'>): void {
  if (signedPartOf(request.method) === 'body' && request.rawQuery !== '') {
    throw new BybitError(Code.PARAMS, `params error: a ${request.method} request's parameters go in its JSON body, which is what it signs; the query string is not read, so send none`);
  }
}

function matches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The API key a REST request carries (X-BAPI-API-KEY). */
export const apiKeyOf = (headers: IncomingHttpHeaders): string | undefined => header(headers, 'x-bapi-api-key');

/** The caller of a signed REST request, or the Bybit error that refuses it. */
export function verifyRest(request: SignedRequest, credentials: CredentialStore, now: number): Credential {
  const apiKey = apiKeyOf(request.headers);
  const timestamp = header(request.headers, 'x-bapi-timestamp');
  const signature = header(request.headers, 'x-bapi-sign');
  const recvWindowHeader = header(request.headers, 'x-bapi-recv-window');
  const recvWindow = recvWindowHeader ?? String(DEFAULT_RECV_WINDOW_MS);
  if (apiKey === undefined || apiKey === '') {
    throw new BybitError(Code.INVALID_KEY, 'API key is invalid: send it in the X-BAPI-API-KEY header.');
  }
  const signType = header(request.headers, 'x-bapi-sign-type');
  if (!HMAC_SIGN_TYPES.includes(signType)) {
    throw new BybitError(Code.SIGN, `Error sign: X-BAPI-SIGN-TYPE ${JSON.stringify(signType)} is not a signature type of this server's keys; send 2 (HMAC-SHA256) or leave it out.`);
  }
  if (timestamp === undefined || !/^\d{10,16}$/.test(timestamp)) {
    throw new BybitError(Code.TIMESTAMP, 'invalid request, please check your timestamp: send X-BAPI-TIMESTAMP as the current time in ms.');
  }
  const window = Number(recvWindow);
  if (!/^\d+$/.test(recvWindow) || window <= 0 || window > MAX_RECV_WINDOW_MS) {
    throw new BybitError(Code.PARAMS, `params error: X-BAPI-RECV-WINDOW must be a whole number of ms from 1 to ${MAX_RECV_WINDOW_MS}.`);
  }
  const sentAt = Number(timestamp);
  if (sentAt < now - window || sentAt >= now + MAX_CLOCK_AHEAD_MS) {
    throw new BybitError(Code.TIMESTAMP,
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${timestamp}],server_timestamp[${now}],recv_window[${recvWindow}]`);
  }
  const credential = credentials.find(apiKey);
  if (credential === undefined) {
    throw new BybitError(Code.INVALID_KEY, 'API key is invalid. Check whether the key and domain are matched.');
  }
  refuseUnsignedPart(request);
  const payload = restPayload(timestamp, apiKey, recvWindowHeader, request);
  if (signature === undefined || !matches(sign(credential.secret, payload), signature)) {
    throw new BybitError(Code.SIGN, `error sign! origin_string[${payload}]`);
  }
  return credential;
}

export type StreamAuth = { ok: true; credential: Credential } | { ok: false; message: string };

/** Checks a stream `auth` op's args: [apiKey, expires (number or numeric string), signature]. */
export function verifyStreamAuth(args: unknown, credentials: CredentialStore, now: number): StreamAuth {
  if (!Array.isArray(args) || args.length !== 3) {
    return { ok: false, message: 'Params Error: args must be [apiKey, expires, signature]' };
  }
  const [apiKey, expiresArg, signature] = args as unknown[];
  const expires = typeof expiresArg === 'number' ? String(expiresArg) : expiresArg;
  if (typeof apiKey !== 'string' || typeof signature !== 'string' || typeof expires !== 'string' || !/^\d{10,16}$/.test(expires)) {
    return { ok: false, message: 'Params Error: args must be [apiKey (string), expires (ms, number or string), signature (hex string)]' };
  }
  if (Number(expires) <= now) {
    return { ok: false, message: `Params Error: request expired: expires ${expires} is not after the server time ${now}` };
  }
  if (Number(expires) > now + MAX_STREAM_AUTH_AHEAD_MS) {
    return { ok: false, message: `Params Error: expires ${expires} is more than ${MAX_STREAM_AUTH_AHEAD_MS} ms after the server time ${now}; sign with expires = now + a few seconds` };
  }
  const credential = credentials.find(apiKey);
  if (credential === undefined) return { ok: false, message: 'Invalid apikey' };
  if (!matches(sign(credential.secret, `GET/realtime${expires}`), signature)) {
    return { ok: false, message: `Invalid sign: expected hex HMAC-SHA256 of "GET/realtime${expires}"` };
  }
  return { ok: true, credential };
}
