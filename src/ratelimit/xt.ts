/**
 * XT futures rate limits, as XT documents them ("Frequency Limiting Rules"): per account, the asset
 * (balance) endpoints 3 per second and every other endpoint 10 per second; per IP 1000 per minute.
 * Over a limit the account (or the IP) is locked for 10 minutes: HTTP 429 TOO_MANY_REQUESTS (XT's
 * "Error Code" page) in XT's error body. XT documents no rate-limit headers, so none are sent.
 */
import { Bans, WindowCounter } from './windows.js';
import { secondsUntil, type RateLimitPolicy, type RateRequest, type Verdict } from './policy.js';

const LOCK_MS = 10 * 60_000;

export class XtRateLimits implements RateLimitPolicy {
  readonly dialect = 'xt';
  private readonly assets = new WindowCounter(1000, 3);
  private readonly others = new WindowCounter(1000, 10);
  private readonly ip = new WindowCounter(60_000, 1000);
  private readonly locks = new Bans(LOCK_MS, LOCK_MS);

  /** One host's prefix: USDT-M at the root, Coin-M under /dapi (src/dialects/xt/venue.ts). */
  constructor(readonly prefixes: readonly string[]) {}

  judge(request: RateRequest, now: number): Verdict {
    // The root serves the operator's and the ops endpoints too: only XT's own API is limited.
    if (!request.path.startsWith('/future/')) return { headers: {}, refusal: null };
    const ipKey = `ip ${request.ip}`;
    const accountKey = request.account === null ? null : `account ${request.account}`;
    for (const key of [ipKey, accountKey]) {
      const until = key === null ? null : this.locks.bannedUntil(key, now);
      if (until !== null) return this.locked(key === ipKey ? 'IP' : 'ACCOUNT', until, now);
    }
    if (!this.ip.fits(request.ip, 1, now)) return this.locked('IP', this.locks.ban(ipKey, now), now);
    if (accountKey !== null) {
      const counter = /\/balance(\/|$)/.test(request.path) ? this.assets : this.others;
      if (!counter.fits(accountKey, 1, now)) return this.locked('ACCOUNT', this.locks.ban(accountKey, now), now);
      counter.add(accountKey, 1, now);
    }
    this.ip.add(request.ip, 1, now);
    return { headers: {}, refusal: null };
  }

  private locked(limit: 'IP' | 'ACCOUNT', until: number, now: number): Verdict {
    return {
      headers: { 'Retry-After': secondsUntil(until, now) },
      refusal: { status: 429, code: 'TOO_MANY_REQUESTS', message: `Rate limit exceeded: this ${limit === 'IP' ? 'IP' : 'account'} is locked until ${until} (10 minutes)` },
      limit,
    };
  }
}
