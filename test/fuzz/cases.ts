/**
 * A fuzz case of a REST endpoint: the endpoint's valid request (the base, checked to be accepted by
 * the control test) with exactly one thing wrong — a parameter with a wrong value, a required one
 * missing, one nobody supports added, one sent twice, a body that is not what the endpoint reads —
 * or the base itself with its authentication wrong (bad or replayed signature, stale, future or
 * garbage timestamp, no or unknown key). Every case must be refused.
 */
import fc from 'fast-check';
import type { Dialect } from '../support/xt-client.js';
import { badFormBody, badJsonBody, badValue, unknownName, type Kind } from './bad-values.js';
import { AUTH_FAULTS, type AuthFault, type Carrier, type RawRequest } from './http.js';

export type Params = Record<string, string | number | boolean>;

export interface Field {
  name: string;
  kind: Kind;
  /** Required: leaving it out must be refused too. */
  required: boolean;
}

export interface Endpoint {
  /** "<dialect> <METHOD> <path>": how failures and PERPSTREAM_FUZZ_ONLY name it. */
  readonly name: string;
  readonly dialect: Dialect;
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  /** The path under the dialect's prefix; `{name}` is filled from the path parameter of that name. */
  readonly path: string;
  readonly carrier: Carrier;
  /** A valid request (the control test checks it is accepted). */
  base(): Params;
  readonly fields: readonly Field[];
  /** Path parameters (KuCoin's /orders/{orderId}) and their kinds. */
  readonly pathFields?: readonly Field[];
  /** Whether the endpoint changes state when it succeeds (its control is then undone). */
  readonly mutating: boolean;
}

export type Mutation =
  | { kind: 'value'; field: string; value: unknown }
  | { kind: 'path'; field: string; value: string }
  | { kind: 'missing'; field: string }
  | { kind: 'unknown'; name: string; value: string }
  | { kind: 'duplicate'; field: string; value: unknown }
  | { kind: 'body'; raw: string }
  | { kind: 'content-type'; contentType: string }
  | { kind: 'none' };

export interface Case {
  mutation: Mutation;
  auth: AuthFault;
}

/**
 * Parameters nobody supports ("foo", "SYMBOL", …). The front doors read the parameters they know and
 * ignore the rest, except Binance's history, market and algo endpoints (-1104): the standard says a
 * parameter that is not supported is refused, never dropped, so these cases fail today on every
 * other endpoint. They are off until that is decided (docs/testing.md, "Fuzzed front doors");
 * PERPSTREAM_FUZZ_UNKNOWN_PARAMS=1 turns them on.
 */
const UNKNOWN_PARAMETERS = process.env.PERPSTREAM_FUZZ_UNKNOWN_PARAMS === '1';

/** The arbitrary of an endpoint's cases: mostly parameter faults, a fifth authentication faults. */
export function casesOf(endpoint: Endpoint): fc.Arbitrary<Case> {
  const json = endpoint.carrier === 'json';
  const fields = endpoint.fields;
  const required = fields.filter((f) => f.required);
  const sent = fields.filter((f) => f.name in endpoint.base());
  const mutations: fc.Arbitrary<Mutation>[] = [];
  if (UNKNOWN_PARAMETERS) mutations.push(unknownName.map((name): Mutation => ({ kind: 'unknown', name, value: 'x' })));
  if (fields.length > 0) mutations.push(fc.constantFrom(...fields).chain((f) => badValue(f.kind, json).map((value): Mutation => ({ kind: 'value', field: f.name, value }))));
  if (sent.length > 0) mutations.push(fc.constantFrom(...sent).chain((f) => badValue(f.kind, false).map((value): Mutation => ({ kind: 'duplicate', field: f.name, value }))));
  if (required.length > 0) mutations.push(fc.constantFrom(...required).map((f): Mutation => ({ kind: 'missing', field: f.name })));
  if (endpoint.pathFields !== undefined && endpoint.pathFields.length > 0) {
    mutations.push(fc.constantFrom(...endpoint.pathFields).chain((f) => badValue(f.kind, false).map((value): Mutation => ({ kind: 'path', field: f.name, value: String(value) }))));
  }
  if (endpoint.carrier !== 'query') {
    mutations.push((json ? badJsonBody : badFormBody).map((raw): Mutation => ({ kind: 'body', raw })));
    mutations.push(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', json ? 'application/x-www-form-urlencoded' : 'application/json')
      .map((contentType): Mutation => ({ kind: 'content-type', contentType })));
  }
  const parameterFault = fc.oneof(...mutations).map((mutation): Case => ({ mutation, auth: 'none' }));
  const authFault = fc.constantFrom(...AUTH_FAULTS).map((auth): Case => ({ mutation: { kind: 'none' }, auth }));
  return fc.oneof({ weight: 4, arbitrary: parameterFault }, { weight: 1, arbitrary: authFault });
}

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const pair = (name: string, value: unknown): string => `${encodeURIComponent(name)}=${encodeURIComponent(text(value))}`;

/** The raw request of a case (before signing). */
export function requestOf(endpoint: Endpoint, mutation: Mutation, base: Params = endpoint.base()): RawRequest {
  const params: Record<string, unknown> = { ...base };
  const pathValues: Record<string, string> = {};
  for (const f of endpoint.pathFields ?? []) {
    pathValues[f.name] = String(params[f.name]);
    delete params[f.name];
  }
  if (mutation.kind === 'value') params[mutation.field] = mutation.value;
  if (mutation.kind === 'missing') delete params[mutation.field];
  if (mutation.kind === 'path') pathValues[mutation.field] = mutation.value;
  const path = endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathValues[name] ?? ''));
  const entries = Object.entries(params);
  let encoded: string;
  if (endpoint.carrier === 'json') {
    // Built by hand, so that a duplicate key or an unknown one goes on the wire as written.
    const members = entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`);
    if (mutation.kind === 'unknown') members.push(`${JSON.stringify(mutation.name)}:${JSON.stringify(mutation.value)}`);
    if (mutation.kind === 'duplicate') members.push(`${JSON.stringify(mutation.field)}:${JSON.stringify(mutation.value)}`);
    encoded = `{${members.join(',')}}`;
  } else {
    const pairs = entries.map(([name, value]) => pair(name, value));
    if (mutation.kind === 'unknown') pairs.push(pair(mutation.name, mutation.value));
    if (mutation.kind === 'duplicate') pairs.push(pair(mutation.field, mutation.value));
    encoded = pairs.join('&');
  }
  if (mutation.kind === 'body') encoded = mutation.raw;
  const inQuery = endpoint.carrier === 'query';
  const defaultType = endpoint.carrier === 'json' ? 'application/json' : endpoint.carrier === 'form' ? 'application/x-www-form-urlencoded' : undefined;
  return {
    dialect: endpoint.dialect,
    method: endpoint.method,
    path,
    rawQuery: inQuery ? encoded : '',
    rawBody: inQuery ? '' : encoded,
    contentType: mutation.kind === 'content-type' ? mutation.contentType : defaultType,
  };
}
