/**
 * The requests a Binance USDⓈ-M stream connection takes ("Live Subscribing/Unsubscribing to
 * streams"): SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY and GET_PROPERTY (the one
 * property is `combined`), answered `{"result": …, "id": N}`; a bad request is answered with
 * Binance's documented errors `{"code": 0|1|2|3, "msg": …, "id": …}`:
 *   0 Unknown property · 1 Invalid value type: expected Boolean · 2 Invalid request: … · 3 Invalid JSON: …
 *
 * The id: Binance's page says an unsigned integer; its own connector
 * (@binance/derivatives-trading-usds-futures) sends 32 hexadecimal characters, so a string id of
 * 1–36 letters, digits, `-` or `_` is taken too (Binance's stream documentation allows such strings).
 */
import { readJsonObject } from '../../gateway/inbound.js';

export const STREAM_METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'] as const;

export type RequestId = number | string;

export type StreamRequest =
  | { method: 'SUBSCRIBE' | 'UNSUBSCRIBE'; names: string[]; id: RequestId }
  | { method: 'LIST_SUBSCRIPTIONS'; id: RequestId }
  | { method: 'SET_PROPERTY'; property: 'combined'; value: boolean; id: RequestId }
  | { method: 'GET_PROPERTY'; property: 'combined'; id: RequestId };

/** A request refused: Binance's code and message, and the id to echo (null when it could not be read). */
export interface StreamRequestError {
  code: 0 | 1 | 2 | 3;
  msg: string;
  id: RequestId | null;
}

const ID_STRING = /^[A-Za-z0-9_-]{1,36}$/;

function readId(value: unknown): RequestId | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && ID_STRING.test(value)) return value;
  return null;
}

const invalid = (msg: string, id: RequestId | null): StreamRequestError => ({ code: 2, msg: `Invalid request: ${msg}`, id });

/** Reads one text frame into a request, or the error Binance answers it with. */
export function readStreamRequest(text: string): StreamRequest | StreamRequestError {
  const parsed = readJsonObject(text);
  if (!parsed.ok) {
    return parsed.problem === 'not-json'
      ? { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1', id: null }
      : invalid('expected a JSON object {"method", "params", "id"}', null);
  }
  const body = parsed.value;
  const id = readId(body.id);
  if (!('method' in body)) return invalid('missing field `method`', id);
  const method = body.method;
  if (typeof method !== 'string' || !(STREAM_METHODS as readonly string[]).includes(method)) {
    return invalid(`unknown variant ${JSON.stringify(method)}, expected one of ${STREAM_METHODS.map((m) => `\`${m}\``).join(', ')}`, id);
  }
  const extra = Object.keys(body).filter((key) => key !== 'method' && key !== 'params' && key !== 'id');
  if (extra.length > 0) return invalid(`too many parameters (${extra.join(', ')})`, id);
  if (id === null) return invalid('request ID must be an unsigned integer (or a string of 1-36 letters, digits, - or _)', null);
  const params = body.params;
  switch (method) {
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE': {
      if (!Array.isArray(params) || params.length === 0 || !params.every((p): p is string => typeof p === 'string')) {
        return invalid('params must be a non-empty array of stream names', id);
      }
      return { method, names: [...new Set(params)], id };
    }
    case 'LIST_SUBSCRIPTIONS':
      if (params !== undefined && !(Array.isArray(params) && params.length === 0)) return invalid('too many parameters', id);
      return { method, id };
    case 'SET_PROPERTY':
    case 'GET_PROPERTY': {
      const wanted = method === 'SET_PROPERTY' ? 2 : 1;
      if (!Array.isArray(params) || params.length === 0 || typeof params[0] !== 'string') return invalid('property name must be a string', id);
      if (params.length > wanted) return invalid('too many parameters', id);
      if (params[0] !== 'combined') return { code: 0, msg: 'Unknown property', id };
      if (method === 'GET_PROPERTY') return { method, property: 'combined', id };
      if (typeof params[1] !== 'boolean') return { code: 1, msg: 'Invalid value type: expected Boolean', id };
      return { method, property: 'combined', value: params[1], id };
    }
  }
  return invalid('unknown method', id);
}

export const isRequestError = (read: StreamRequest | StreamRequestError): read is StreamRequestError => 'code' in read;

/** Binance's answer to a request that succeeded. */
export const resultFrame = (result: unknown, id: RequestId): string => JSON.stringify({ result, id });

/** Binance's answer to a request that failed. */
export const errorFrame = (error: StreamRequestError): string => JSON.stringify({ code: error.code, msg: error.msg, id: error.id });
