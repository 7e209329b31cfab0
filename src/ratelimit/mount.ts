/**
 * Applies the exchanges' rate limits (policy.ts) to their front doors, before any handler runs: the
 * request's account is read with the front door's own API-key header (error-shapes.ts), the policy
 * of the longest matching prefix judges it, its headers go on the answer whatever it is, and a
 * refusal is answered in the front door's own error shape. Time is the server's clock, so tests step
 * over windows and bans with a hand-driven one.
 */
import type { FastifyInstance } from 'fastify';
import { frontDoorFor } from '../server/error-shapes.js';
import type { Clock } from '../service/clock.js';
import type { CredentialStore } from '../service/credentials.js';
import type { RateLimitPolicy } from './policy.js';

export interface RateLimitOptions {
  policies: readonly RateLimitPolicy[];
  credentials: CredentialStore;
  clock: Clock;
  /** Called for each refusal (metrics and the log). */
  onRefused?: (dialect: string, limit: string, ip: string, account: number | null) => void;
}

export function mountRateLimits(app: FastifyInstance, options: RateLimitOptions): void {
  const byPrefix = options.policies.flatMap((policy) => policy.prefixes.map((prefix) => ({ prefix, policy })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  app.addHook('onRequest', async (request, reply) => {
    const [path, search] = splitUrl(request.url);
    const match = byPrefix.find(({ prefix }) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`));
    if (match === undefined) return;
    const door = frontDoorFor(app.server, request.url);
    const apiKey = door.apiKeyOf?.(request.headers);
    const account = apiKey === undefined ? null : options.credentials.find(apiKey)?.accountId ?? null;
    const query = Object.fromEntries(new URLSearchParams(search));
    const verdict = match.policy.judge({ method: request.method, prefix: match.prefix, path: path.slice(match.prefix.length), query, account, ip: request.ip }, options.clock.now());
    void reply.headers(verdict.headers);
    if (verdict.refusal === null) return;
    options.onRefused?.(match.policy.dialect, verdict.limit ?? 'unknown', request.ip, account);
    const { status, message, code } = verdict.refusal;
    return reply.code(status).type('application/json').send(door.shape(status, message, code));
  });
}

function splitUrl(url: string): [path: string, search: string] {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}
