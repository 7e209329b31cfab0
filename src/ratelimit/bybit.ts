/**
 * Bybit v5 rate limits, as Bybit documents them (docs/v5/rate-limit.mdx):
 * - per IP: 600 requests per 5 seconds; over it the IP is banned for 10 minutes and answered HTTP 403.
 * - per account (UID) and endpoint, per second: 10 for order create / amend / cancel / cancel-all
 *   and the batch ones, the position setters and fee-rate; 50 for the other private reads. Every
 *   private answer carries `X-Bapi-Limit` (the limit), `X-Bapi-Limit-Status` (what is left) and
 *   `X-Bapi-Limit-Reset-Timestamp` (when the limit resets if exceeded, else now). Over it: HTTP 200,
 *   retCode 10006 "Too many visits!".
 * Bybit's per-second windows roll; here they are whole seconds (a burst across a second boundary can
 * reach twice the limit, as on a fixed window).
 */
import { Bans, WindowCounter } from './windows.js';
import { secondsUntil, type RateLimitPolicy, type RateRequest, type Verdict } from './policy.js';

const IP_LIMIT = 600;
const IP_WINDOW_MS = 5_000;
const IP_BAN_MS = 10 * 60_000;

/** Per-second limits of the endpoints Bybit lists at 10 per second; other private endpoints: 50. */
const TEN_PER_SECOND = new Set([
  '/v5/order/create', '/v5/order/amend', '/v5/order/cancel', '/v5/order/cancel-all', '/v5/order/create-batch', '/v5/order/amend-batch',
  '/v5/order/cancel-batch', '/v5/position/set-leverage', '/v5/position/set-tpsl-mode', '/v5/position/set-risk-limit', '/v5/position/trading-stop',
  '/v5/position/switch-isolated', '/v5/position/switch-mode', '/v5/account/fee-rate',
]);
const DEFAULT_PER_SECOND = 50;

export class BybitRateLimits implements RateLimitPolicy {
  readonly dialect = 'bybit';
  readonly prefixes: readonly string[];
  private readonly ip = new WindowCounter(IP_WINDOW_MS, IP_LIMIT);
  private readonly ipBans = new Bans(IP_BAN_MS, IP_BAN_MS);
  private readonly perEndpoint = new Map<number, WindowCounter>();

  constructor(prefix: string) {
    this.prefixes = [prefix];
  }

  judge(request: RateRequest, now: number): Verdict {
    const bannedUntil = this.ipBans.bannedUntil(request.ip, now);
    if (bannedUntil !== null) return this.forbidden(bannedUntil, now);
    if (!this.ip.fits(request.ip, 1, now)) return this.forbidden(this.ipBans.ban(request.ip, now), now);
    this.ip.add(request.ip, 1, now);
    // Public endpoints and the WebSocket upgrade are limited by IP only.
    if (request.account === null || !request.path.startsWith('/v5/') || request.path.startsWith('/v5/market/')) return { headers: {}, refusal: null };

    const limit = TEN_PER_SECOND.has(request.path) ? 10 : DEFAULT_PER_SECOND;
    const counter = this.counter(limit);
    const key = `${request.account} ${request.path}`;
    const use = counter.peek(key, now);
    if (use.used + 1 > limit) {
      return {
        headers: { 'X-Bapi-Limit': String(limit), 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': String(use.resetAt) },
        refusal: { status: 200, code: '10006', message: 'Too many visits!' },
        limit: 'UID',
      };
    }
    const after = counter.add(key, 1, now);
    return { headers: { 'X-Bapi-Limit': String(limit), 'X-Bapi-Limit-Status': String(limit - after.used), 'X-Bapi-Limit-Reset-Timestamp': String(now) }, refusal: null };
  }

  private counter(limit: number): WindowCounter {
    let counter = this.perEndpoint.get(limit);
    if (counter === undefined) this.perEndpoint.set(limit, (counter = new WindowCounter(1000, limit)));
    return counter;
  }

  private forbidden(until: number, now: number): Verdict {
    return {
      headers: { 'Retry-After': secondsUntil(until, now) },
      refusal: { status: 403, code: '10006', message: `Access too frequent: this IP is banned until ${until} for exceeding ${IP_LIMIT} requests per ${IP_WINDOW_MS / 1000} seconds.` },
      limit: 'IP',
    };
  }
}
