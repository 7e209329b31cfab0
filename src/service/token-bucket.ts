/**
 * The one model of our own admission throttling: a token bucket. It holds at most `capacity` tokens
 * (the burst), is refilled continuously at `refillPerMs`, and each admitted request takes a token.
 * The gateway limits a connection's inbound messages with it; the front doors limit each account's
 * stream-credential requests with AccountRateLimiter. Time is passed in, never read, so callers use
 * their own clock (the exchange's) and tests can drive it. (The exchanges' documented request limits,
 * emulated on demand, count per fixed window instead, as their headers report: src/ratelimit/windows.ts.)
 */

/** `requests` per `intervalMs`, as exchanges state their limits; also the burst a full bucket allows. */
export interface RateLimit {
  readonly requests: number;
  readonly intervalMs: number;
}

export class TokenBucket {
  private tokens: number;
  private lastRefill: number;

  constructor(private readonly capacity: number, private readonly refillPerMs: number, now: number) {
    if (!(capacity >= 1) || !(refillPerMs >= 0)) throw new Error(`a token bucket needs capacity ≥ 1 and a refill rate ≥ 0, not ${capacity} and ${refillPerMs}`);
    this.tokens = capacity;
    this.lastRefill = now;
  }

  static of(limit: RateLimit, now: number): TokenBucket {
    if (!(limit.intervalMs > 0)) throw new Error(`a rate limit needs an interval > 0 ms, not ${limit.intervalMs}`);
    return new TokenBucket(limit.requests, limit.requests / limit.intervalMs, now);
  }

  /** Takes one token if there is one; false (and nothing taken) when the bucket is empty. */
  take(now: number): boolean {
    // A clock that steps back refills nothing (and takes nothing back).
    if (now > this.lastRefill) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.lastRefill) * this.refillPerMs);
      this.lastRefill = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One token bucket per account, for requests that exchanges limit per API key. The map holds one
 * small entry per account that ever asked (accounts are made by the operator, so it is bounded by
 * them).
 */
export class AccountRateLimiter {
  private readonly buckets = new Map<number, TokenBucket>();

  constructor(readonly limit: RateLimit) {
    TokenBucket.of(limit, 0); // checks the limit once, at construction
  }

  /** Takes one request from the account's bucket; false when the account is over the limit. */
  admit(accountId: number, now: number): boolean {
    let bucket = this.buckets.get(accountId);
    if (bucket === undefined) this.buckets.set(accountId, (bucket = TokenBucket.of(this.limit, now)));
    return bucket.take(now);
  }
}
