/**
 * KuCoin rate limits, as KuCoin documents them ("Rate Limit": resource pools, VIP 0 quotas):
 * - private requests draw on the account's pool: Futures 2000 and Spot 4000 per 30 seconds;
 *   public requests on the IP's Public pool, 2000 per 30 seconds.
 * - each endpoint has a weight (its page's "API-RATE-LIMIT-WEIGHT"); the endpoints listed below are
 *   weighed as documented, others at 2 (KuCoin's most common weight).
 * - every answer carries `gw-ratelimit-limit` (the pool's quota), `gw-ratelimit-remaining` and
 *   `gw-ratelimit-reset` (ms until the pool refills). Over it: HTTP 429, code 429000.
 */
import { WindowCounter } from './windows.js';
import type { RateLimitPolicy, RateRequest, Verdict } from './policy.js';

const WINDOW_MS = 30_000;
const FUTURES_POOL = 2000;
const SPOT_POOL = 4000;
const PUBLIC_POOL = 2000;
const DEFAULT_WEIGHT = 2;

/** Documented weights by "METHOD path" (futures host paths, then spot host paths). */
const WEIGHTS: Record<string, number> = {
  'POST /api/v1/orders': 2,
  'POST /api/v1/orders/test': 2,
  'POST /api/v1/orders/multi': 20,
  'POST /api/v1/st-orders': 2,
  'DELETE /api/v1/orders': 10,
  'DELETE /api/v3/orders': 10,
  'DELETE /api/v1/stopOrders': 15,
  'GET /api/v1/orders': 2,
  'GET /api/v1/recentDoneOrders': 5,
  'GET /api/v1/stopOrders': 6,
  'GET /api/v1/fills': 5,
  'GET /api/v1/recentFills': 3,
  'GET /api/v1/openOrderStatistics': 10,
  'GET /api/v1/account-overview': 5,
  'GET /api/v1/transaction-history': 2,
  'GET /api/v1/positions': 2,
  'GET /api/v1/position': 2,
  'GET /api/v1/history-positions': 2,
  'GET /api/v1/funding-history': 5,
  'GET /api/v1/contracts/active': 3,
  'GET /api/v1/ticker': 2,
  'GET /api/v1/allTickers': 5,
  'GET /api/v1/level2/snapshot': 3,
  'GET /api/v1/level2/depth20': 5,
  'GET /api/v1/level2/depth100': 10,
  'GET /api/v1/trade/history': 5,
  'GET /api/v1/kline/query': 3,
  'GET /api/v1/timestamp': 2,
  'GET /api/v1/status': 4,
  'POST /api/v1/bullet-private': 10,
  'POST /api/v1/bullet-public': 10,
};

export class KucoinRateLimits implements RateLimitPolicy {
  readonly dialect = 'kucoin';
  readonly prefixes: readonly string[];
  private readonly futures = new WindowCounter(WINDOW_MS, FUTURES_POOL);
  private readonly spot = new WindowCounter(WINDOW_MS, SPOT_POOL);
  private readonly public = new WindowCounter(WINDOW_MS, PUBLIC_POOL);

  constructor(futuresPrefix: string, private readonly spotPrefix: string) {
    this.prefixes = [futuresPrefix, spotPrefix];
  }

  judge(request: RateRequest, now: number): Verdict {
    const prefix = request.prefix;
    const weight = WEIGHTS[`${request.method} ${request.path}`] ?? DEFAULT_WEIGHT;
    const pool = request.account === null ? this.public : prefix === this.spotPrefix ? this.spot : this.futures;
    const key = request.account === null ? request.ip : String(request.account);
    const use = pool.peek(key, now);
    const headers = (used: number) => ({
      'gw-ratelimit-limit': String(pool.limit), 'gw-ratelimit-remaining': String(Math.max(0, pool.limit - used)), 'gw-ratelimit-reset': String(use.resetAt - now),
    });
    if (use.used + weight > pool.limit) {
      return { headers: headers(use.used), refusal: { status: 429, code: '429000', message: 'Too Many Requests' }, limit: pool === this.public ? 'PUBLIC' : 'ACCOUNT' };
    }
    return { headers: headers(pool.add(key, weight, now).used), refusal: null };
  }
}
