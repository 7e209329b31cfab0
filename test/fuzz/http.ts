/**
 * Raw, signed HTTP requests for the front-door fuzzers: the query and body go on the wire exactly
 * as a case wrote them (duplicates, bad escapes and all), and are signed exactly as sent, the way
 * each exchange's own clients sign, so that a case reaches the parameter checks behind the
 * signature check — unless the case is about the signature itself. Plus each dialect's refusal
 * shape: what a refused request must look like there.
 */
import { request as httpRequest } from 'node:http';
import { sign as binanceSign } from '../../src/dialects/binance/auth.js';
import { restPayload, sign as bybitSign } from '../../src/dialects/bybit/auth.js';
import { kucoinSign, passphraseHeader, signaturePayload as kucoinPayload } from '../../src/dialects/kucoin/auth.js';
import { sign as xtSign, signaturePayload as xtPayload } from '../../src/dialects/xt/auth.js';
import type { Dialect } from '../support/xt-client.js';

export interface Answer {
  status: number;
  body: string;
}

/** Sends one request exactly as given (fetch would re-encode the path and query). */
export function send(port: number, method: string, pathAndQuery: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: pathAndQuery, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Where an endpoint's parameters go. */
export type Carrier = 'query' | 'json' | 'form';

export const PREFIX: Readonly<Record<Dialect, string>> = { xt: '', binance: '/binance', bybit: '/bybit', kucoin: '/kucoin-futures' };

export interface Credentials {
  apiKey: string;
  secret: string;
  passphrase: string;
}

/** How a case handles authentication: sign correctly, or one of the ways to get it wrong. */
export type AuthFault = 'none' | 'bad-signature' | 'replayed-signature' | 'stale-timestamp' | 'future-timestamp' | 'garbage-timestamp' | 'no-key' | 'unknown-key';

export const AUTH_FAULTS: readonly AuthFault[] = ['bad-signature', 'replayed-signature', 'stale-timestamp', 'future-timestamp', 'garbage-timestamp', 'no-key', 'unknown-key'];

/** A request before signing: the raw query and body as they will be sent. */
export interface RawRequest {
  dialect: Dialect;
  method: string;
  /** The path under the dialect's prefix. */
  path: string;
  rawQuery: string;
  rawBody: string;
  contentType: string | undefined;
}

/** Ten minutes: past every dialect's receive window (at most 60 s) and clock-ahead allowance. */
const SKEW_MS = 10 * 60_000;

/**
 * The signed request: headers and, for Binance, the signature and timing parameters in the query
 * or the body. `other` is another request of the same endpoint: a replayed signature is its signature.
 */
export function signed(request: RawRequest, credentials: Credentials, fault: AuthFault, now: number, other: RawRequest): { pathAndQuery: string; headers: Record<string, string>; body: string | undefined } {
  const secret = fault === 'bad-signature' ? `${credentials.secret}x` : credentials.secret;
  const apiKey = fault === 'unknown-key' ? `${credentials.apiKey.slice(0, -4)}zzzz` : credentials.apiKey;
  const time = fault === 'stale-timestamp' ? now - SKEW_MS : fault === 'future-timestamp' ? now + SKEW_MS : now;
  const timestamp = fault === 'garbage-timestamp' ? '1e12' : String(time);
  // A replayed signature: the one another request of this endpoint carried, on this request.
  const signedOf = (r: RawRequest): RawRequest => (fault === 'replayed-signature' ? other : r);
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const prefix = PREFIX[request.dialect];
  let { rawQuery, rawBody } = request;
  switch (request.dialect) {
    case 'xt': {
      const target = signedOf(request);
      const payload = xtPayload('', apiKey, timestamp, { method: target.method, path: target.path, rawQuery: target.rawQuery, rawBody: target.rawBody, formBody: target.contentType === 'application/x-www-form-urlencoded' });
      Object.assign(headers, { 'validate-appkey': apiKey, 'validate-timestamp': timestamp, 'validate-signature': xtSign(secret, payload) });
      break;
    }
    case 'binance': {
      // Timing and signature are parameters: in the query of a GET or DELETE, in the body otherwise.
      const inBody = request.method === 'POST' || request.method === 'PUT';
      const timing = `timestamp=${timestamp}&recvWindow=10000`;
      const withTiming = (text: string) => (text === '' ? timing : `${text}&${timing}`);
      const target = signedOf(request);
      const signedText = inBody ? withTiming(target.rawBody) : withTiming(target.rawQuery);
      const signature = binanceSign(secret, inBody ? target.rawQuery + signedText : signedText);
      if (inBody) rawBody = `${withTiming(rawBody)}&signature=${signature}`;
      else rawQuery = `${withTiming(rawQuery)}&signature=${signature}`;
      headers['x-mbx-apikey'] = apiKey;
      break;
    }
    case 'bybit': {
      const target = signedOf(request);
      const payload = restPayload(timestamp, apiKey, '5000', { method: target.method, rawQuery: target.rawQuery, rawBody: target.rawBody });
      Object.assign(headers, { 'X-BAPI-API-KEY': apiKey, 'X-BAPI-TIMESTAMP': timestamp, 'X-BAPI-RECV-WINDOW': '5000', 'X-BAPI-SIGN': bybitSign(secret, payload) });
      break;
    }
    case 'kucoin': {
      const target = signedOf(request);
      const endpoint = target.rawQuery === '' ? target.path : `${target.path}?${target.rawQuery}`;
      Object.assign(headers, {
        'KC-API-KEY': apiKey, 'KC-API-TIMESTAMP': timestamp, 'KC-API-KEY-VERSION': '2',
        'KC-API-PASSPHRASE': passphraseHeader(credentials.secret, credentials.passphrase, '2'),
        'KC-API-SIGN': kucoinSign(secret, kucoinPayload(timestamp, target.method, endpoint, target.rawBody)),
      });
      break;
    }
  }
  if (fault === 'no-key') {
    for (const name of ['validate-appkey', 'x-mbx-apikey', 'X-BAPI-API-KEY', 'KC-API-KEY']) delete headers[name];
  }
  const path = `${prefix}${request.path}`;
  return { pathAndQuery: rawQuery === '' ? path : `${path}?${rawQuery}`, headers, body: rawBody === '' ? undefined : rawBody };
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * What is wrong with an answer that should be a refusal in the dialect's own shape (null: nothing).
 * XT: `{returnCode: 1, msgInfo, error: {code, msg}, result}`. Binance: HTTP 4xx `{code < 0, msg}`.
 * Bybit: `{retCode ≠ 0, retMsg, result, retExtInfo, time}`. KuCoin: `{code ≠ "200000", msg}`.
 */
export function refusalProblem(dialect: Dialect, answer: Answer): string | null {
  if (answer.status >= 500) return `HTTP ${answer.status}`;
  const value = parse(answer.body);
  if (!isObject(value)) return `not a JSON object: ${answer.body.slice(0, 200)}`;
  const show = answer.body.slice(0, 300);
  switch (dialect) {
    case 'xt': {
      const error = value.error;
      if (value.returnCode !== 1 || !isObject(error) || typeof error.code !== 'string' || typeof error.msg !== 'string' || !('result' in value)) return `not an XT refusal: ${show}`;
      return null;
    }
    case 'binance':
      if (answer.status < 400) return `HTTP ${answer.status}, not a refusal: ${show}`;
      if (typeof value.code !== 'number' || value.code >= 0 || typeof value.msg !== 'string') return `not a Binance error {code < 0, msg}: ${show}`;
      return null;
    case 'bybit':
      if (typeof value.retCode !== 'number' || value.retCode === 0 || typeof value.retMsg !== 'string' || !('result' in value) || !('time' in value)) return `not a Bybit refusal: ${show}`;
      return null;
    case 'kucoin':
      if (typeof value.code !== 'string' || value.code === '200000' || typeof value.msg !== 'string') return `not a KuCoin refusal: ${show}`;
      return null;
  }
}

/** Whether an answer is the dialect's success (the control cases: the valid base request is accepted). */
export function accepted(dialect: Dialect, answer: Answer): boolean {
  const value = parse(answer.body);
  if (!isObject(value)) return false;
  switch (dialect) {
    case 'xt': return value.returnCode === 0;
    case 'binance': return answer.status === 200;
    case 'bybit': return value.retCode === 0;
    case 'kucoin': return value.code === '200000';
  }
}
