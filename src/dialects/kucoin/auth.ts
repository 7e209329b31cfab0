/**
 * KuCoin's request signature (protocols.md §4.1):
 *   KC-API-SIGN       = base64(HMAC-SHA256(secret, timestamp + METHOD + endpoint[?query] + body))
 *   KC-API-PASSPHRASE = base64(HMAC-SHA256(secret, passphrase)) for key versions 2 and 3, the plain passphrase for 1
 *   KC-API-TIMESTAMP  = ms, within 5 s of the server's clock either way
 * `endpoint` is the path as KuCoin knows it (/api/v1/…), without perpstream's host prefix
 * (/kucoin-futures, /kucoin-spot), and the query exactly as sent. Broker headers
 * (KC-API-PARTNER*) are ignored.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential, CredentialStore } from '../../service/credentials.js';
import { header } from '../../server/http.js';

export const MAX_CLOCK_SKEW_MS = 5_000;

/** KuCoin's auth error codes (ccxt: 400002 → InvalidNonce, the others → AuthenticationError). */
export type AuthFailure = { code: '400001' | '400002' | '400003' | '400004' | '400005'; message: string };

export interface SignedRequest {
  method: string;
  /** Path and query as KuCoin's endpoint: "/api/v1/orders?status=active". */
  endpoint: string;
  rawBody: string;
  headers: IncomingHttpHeaders;
}

export function kucoinSign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

export function signaturePayload(timestamp: string, method: string, endpoint: string, body: string): string {
  return `${timestamp}${method.toUpperCase()}${endpoint}${body}`;
}

/** The KC-API-PASSPHRASE header a client sends for its key version. */
export function passphraseHeader(secret: string, passphrase: string, keyVersion: string): string {
  return keyVersion === '1' ? passphrase : kucoinSign(secret, passphrase);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The API key a REST request carries (KC-API-KEY). */
export const apiKeyOf = (headers: IncomingHttpHeaders): string | undefined => header(headers, 'kc-api-key');

export function verifyKucoinSignature(request: SignedRequest, credentials: CredentialStore, now: number): Credential | AuthFailure {
  const key = apiKeyOf(request.headers);
  const sign = header(request.headers, 'kc-api-sign');
  const timestamp = header(request.headers, 'kc-api-timestamp');
  const passphrase = header(request.headers, 'kc-api-passphrase');
  const keyVersion = header(request.headers, 'kc-api-key-version') ?? '1';
  const missing = [['KC-API-KEY', key], ['KC-API-SIGN', sign], ['KC-API-TIMESTAMP', timestamp], ['KC-API-PASSPHRASE', passphrase]]
    .filter(([, value]) => value === undefined || value === '').map(([name]) => name);
  if (missing.length > 0) {
    return { code: '400001', message: `Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE (missing: ${missing.join(', ')})` };
  }
  if (!['1', '2', '3'].includes(keyVersion)) {
    return { code: '400001', message: 'KC-API-KEY-VERSION must be 1, 2 or 3' };
  }
  const sentAt = Number(timestamp);
  if (!/^\d{10,16}$/.test(timestamp!) || Math.abs(now - sentAt) > MAX_CLOCK_SKEW_MS) {
    return { code: '400002', message: `KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds (server time ${now})` };
  }
  const credential = credentials.find(key);
  if (credential === undefined) return { code: '400003', message: 'KC-API-KEY not exists' };
  if (!sameText(passphrase!, passphraseHeader(credential.secret, credential.passphrase, keyVersion))) {
    return { code: '400004', message: `KC-API-PASSPHRASE error: for key version ${keyVersion} send ${keyVersion === '1' ? 'the passphrase' : 'base64(HMAC-SHA256(secret, passphrase))'}` };
  }
  const expected = kucoinSign(credential.secret, signaturePayload(timestamp!, request.method, request.endpoint, request.rawBody));
  if (!sameText(sign!, expected)) {
    return { code: '400005', message: 'Signature error -- Please check your signature: base64(HMAC-SHA256(secret, timestamp + METHOD + endpoint[?query] + body)), endpoint without the /kucoin-futures or /kucoin-spot prefix' };
  }
  return credential;
}
