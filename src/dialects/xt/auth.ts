/**
 * XT's futures request signature (protocols.md §1.1; XT's "Obtain Signature": sign = X + Y):
 *   X = "<p>validate-appkey=<key>&<p>validate-timestamp=<ms>"
 *   Y = "#" path [+ "#" query sorted by key] [+ "#" body]
 * HMAC-SHA256 (hex, key = secret). The query and the body are each signed whenever they are present,
 * whatever the method (XT: "query with data, body with data: Y=#path#query#body"), so no parameter
 * reaches a handler unsigned. A JSON body is signed exactly as received, a form body sorted by key
 * like the query. <p> is the header prefix the client used: "" (XT's docs) or "xt-" (ccxt).
 * Timestamps older than the receive window (default 5 s, at most 60 s) or more than 1 s ahead are refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential, CredentialStore } from '../../service/credentials.js';
import { header } from '../../server/http.js';

export const DEFAULT_RECV_WINDOW_MS = 5_000;
export const MAX_RECV_WINDOW_MS = 60_000;
export const MAX_CLOCK_AHEAD_MS = 1_000;

export type AuthFailure =
  | { code: 'MISSING_HEADERS'; message: string }
  | { code: 'INVALID_TIMESTAMP'; message: string }
  | { code: 'INVALID_APPKEY'; message: string }
  | { code: 'INVALID_SIGNATURE'; message: string };

export interface SignedRequest {
  method: string;
  path: string;
  rawQuery: string;
  rawBody: string;
  /** The body is application/x-www-form-urlencoded (signed sorted by key, like the query). */
  formBody?: boolean;
  headers: IncomingHttpHeaders;
}

/** The query as signed: its key=value pairs sorted by key, exactly as they were encoded on the wire. */
export function sortedQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  return rawQuery.split('&').filter((pair) => pair !== '')
    .sort((a, b) => {
      const ka = a.split('=')[0]!;
      const kb = b.split('=')[0]!;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    })
    .join('&');
}

export function signaturePayload(prefix: string, appKey: string, timestamp: string, request: Omit<SignedRequest, 'headers'>): string {
  let payload = `${prefix}validate-appkey=${appKey}&${prefix}validate-timestamp=${timestamp}#${request.path}`;
  const query = sortedQuery(request.rawQuery);
  if (query !== '') payload += `#${query}`;
  if (request.rawBody !== '') payload += `#${request.formBody === true ? sortedQuery(request.rawBody) : request.rawBody}`;
  return payload;
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** The header prefix the client used: "" (XT's docs) or "xt-" (ccxt). */
const headerPrefixOf = (headers: IncomingHttpHeaders): '' | 'xt-' => (header(headers, 'xt-validate-appkey') !== undefined ? 'xt-' : '');

/** The API key a REST request carries (validate-appkey, with either prefix). */
export const apiKeyOf = (headers: IncomingHttpHeaders): string | undefined => header(headers, `${headerPrefixOf(headers)}validate-appkey`);

export function verifyXtSignature(request: SignedRequest, credentials: CredentialStore, now: number): Credential | AuthFailure {
  const prefix = headerPrefixOf(request.headers);
  const appKey = apiKeyOf(request.headers);
  const timestamp = header(request.headers, `${prefix}validate-timestamp`);
  const signature = header(request.headers, `${prefix}validate-signature`);
  if (appKey === undefined || timestamp === undefined || signature === undefined) {
    return { code: 'MISSING_HEADERS', message: 'send validate-appkey, validate-timestamp and validate-signature headers' };
  }
  const recvWindowHeader = header(request.headers, `${prefix}validate-recvwindow`);
  const recvWindow = recvWindowHeader === undefined ? DEFAULT_RECV_WINDOW_MS : Number(recvWindowHeader);
  if (!Number.isInteger(recvWindow) || recvWindow <= 0 || recvWindow > MAX_RECV_WINDOW_MS) {
    return { code: 'INVALID_TIMESTAMP', message: `validate-recvwindow must be a whole number of ms up to ${MAX_RECV_WINDOW_MS}` };
  }
  const sentAt = Number(timestamp);
  if (!/^\d{10,16}$/.test(timestamp) || now - sentAt > recvWindow || sentAt - now > MAX_CLOCK_AHEAD_MS) {
    return { code: 'INVALID_TIMESTAMP', message: `validate-timestamp must be the current time in ms, within ${recvWindow} ms (server time ${now})` };
  }
  const credential = credentials.find(appKey);
  if (credential === undefined) return { code: 'INVALID_APPKEY', message: 'unknown validate-appkey' };
  const expected = Buffer.from(sign(credential.secret, signaturePayload(prefix, appKey, timestamp, request)));
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { code: 'INVALID_SIGNATURE', message: 'validate-signature does not match: sign "validate-appkey=…&validate-timestamp=…#path[#sorted query][#body]" with HMAC-SHA256' };
  }
  return credential;
}
