/**
 * Binance's request security (protocols.md §2.1): USER_STREAM endpoints need only the
 * `X-MBX-APIKEY` header; signed (USER_DATA / TRADE) endpoints also send `timestamp`, optional
 * `recvWindow` (default 5000, at most 60000 ms) and `signature` = hex HMAC-SHA256(secret,
 * totalParams), where totalParams is the query string (without `signature`) followed directly by
 * the body (without `signature`), exactly as sent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential, CredentialStore } from '../../service/credentials.js';
import { decodeComponent } from '../../server/form.js';
import { BinanceError, ERR, illegal, missing } from './errors.js';

export const DEFAULT_RECV_WINDOW_MS = 5_000;
export const MAX_RECV_WINDOW_MS = 60_000;
/** How far ahead of the server's clock a timestamp may be (Binance: 1000 ms). */
export const MAX_CLOCK_AHEAD_MS = 1_000;

export function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['x-mbx-apikey'];
  return Array.isArray(value) ? value[0] : value;
}

/** The credential of the `X-MBX-APIKEY` header (USER_STREAM security). */
export function verifyApiKey(headers: IncomingHttpHeaders, credentials: CredentialStore): Credential {
  const key = apiKeyOf(headers);
  if (key === undefined || key === '') throw new BinanceError(ERR.BAD_API_KEY_FMT, 'API-key format invalid.', 401);
  const credential = credentials.find(key);
  if (credential === undefined) throw new BinanceError(ERR.REJECTED_MBX_KEY, 'Invalid API-key, IP, or permissions for action.', 401);
  return credential;
}

/** Removes the `signature=…` pair from a raw parameter string; returns the rest and the signature. */
export function splitSignature(raw: string): { rest: string; signature: string | undefined } {
  if (raw === '') return { rest: '', signature: undefined };
  const pairs = raw.split('&');
  const index = pairs.findIndex((pair) => pair.startsWith('signature='));
  if (index < 0) return { rest: raw, signature: undefined };
  const signature = decodeComponent(pairs[index]!.slice('signature='.length));
  if (signature === undefined) throw illegal('signature', 'it is not valid percent-encoding; send the hex HMAC-SHA256');
  pairs.splice(index, 1);
  return { rest: pairs.join('&'), signature };
}

export const sign = (secret: string, payload: string): string => createHmac('sha256', secret).update(payload).digest('hex');

export interface SignedInput {
  rawQuery: string;
  rawBody: string;
  headers: IncomingHttpHeaders;
  /** Query and body parameters merged (the query wins, as on Binance). */
  params: Readonly<Record<string, string>>;
}

/** Checks a SIGNED request; throws BinanceError with Binance's code, else returns the credential. */
export function verifySigned(input: SignedInput, credentials: CredentialStore, now: number): Credential {
  const credential = verifyApiKey(input.headers, credentials);
  const query = splitSignature(input.rawQuery);
  const body = splitSignature(input.rawBody);
  const signature = query.signature ?? body.signature;
  checkTiming(input.params, signature, now);
  checkSignature(credential, [query.rest + body.rest], signature!);
  return credential;
}

/**
 * Checks a SIGNED WebSocket API request (`params` with `apiKey`, `timestamp`, optional `recvWindow`,
 * `signature`): the signature is HMAC-SHA256 over every other parameter sorted by name, as
 * `name=value` pairs joined by `&` (Binance's WebSocket API "SIGNED request security"); the values
 * are taken as sent, or percent-encoded as Binance's official connector encodes them.
 */
export function verifySignedParams(params: Readonly<Record<string, string>>, credentials: CredentialStore, now: number): Credential {
  const credential = verifyApiKey({ 'x-mbx-apikey': params.apiKey }, credentials);
  checkTiming(params, params.signature, now);
  const names = Object.keys(params).filter((name) => name !== 'signature').sort();
  const payload = (encode: (value: string) => string): string => names.map((name) => `${name}=${encode(params[name]!)}`).join('&');
  checkSignature(credential, [payload((value) => value), payload(encodeURIComponent)], params.signature!);
  return credential;
}

/** timestamp, recvWindow and the presence of a signature (-1102, -1131, -1130, -1021). */
function checkTiming(params: Readonly<Record<string, string>>, signature: string | undefined, now: number): void {
  const timestampText = params.timestamp;
  if (timestampText === undefined || timestampText === '') throw missing('timestamp');
  if (signature === undefined || signature === '') throw missing('signature');
  const recvText = params.recvWindow;
  const recvWindow = recvText === undefined ? DEFAULT_RECV_WINDOW_MS : Number(recvText);
  if (!/^\d+$/.test(recvText ?? '0') || recvWindow <= 0 || recvWindow > MAX_RECV_WINDOW_MS) {
    throw new BinanceError(ERR.BAD_RECV_WINDOW, `recvWindow must be less than ${MAX_RECV_WINDOW_MS}.`);
  }
  if (!/^\d{1,16}$/.test(timestampText)) throw new BinanceError(ERR.INVALID_PARAM, "Invalid data sent for a parameter: 'timestamp' must be ms since the epoch.");
  const timestamp = Number(timestampText);
  if (timestamp - now > MAX_CLOCK_AHEAD_MS) {
    throw new BinanceError(ERR.TIMESTAMP, `Timestamp for this request was ${MAX_CLOCK_AHEAD_MS}ms ahead of the server's time.`);
  }
  if (now - timestamp > recvWindow) throw new BinanceError(ERR.TIMESTAMP, 'Timestamp for this request is outside of the recvWindow.');
}

/** The signature must be the HMAC of one of `payloads` (-1022). */
function checkSignature(credential: Credential, payloads: readonly string[], signature: string): void {
  const given = Buffer.from(signature.toLowerCase());
  const valid = payloads.some((payload) => {
    const expected = Buffer.from(sign(credential.secret, payload));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new BinanceError(ERR.SIGNATURE, 'Signature for this request is not valid.');
}
