/**
 * What one front door's rate limits are: the exchange's documented weights, windows, headers,
 * errors and bans (src/ratelimit/<dialect>.ts), judged per request before any handler runs
 * (mount.ts). Off by default; `server.rateLimits` (or --rate-limits) turns every front door's on.
 */

/** A request as a limit sees it. */
export interface RateRequest {
  method: string;
  /** The front door's prefix the request came through ('' is the root). */
  prefix: string;
  /** The path below the front door's prefix ("/fapi/v1/order"), without the query. */
  path: string;
  query: Readonly<Record<string, string | undefined>>;
  /** Whose request it is when it carries a known API key (the account id), else null. */
  account: number | null;
  ip: string;
}

export interface Refusal {
  status: number;
  /** The exchange's error code, in its own type (Binance -1003, Bybit 10006, KuCoin 429000, …). */
  code: string;
  message: string;
}

export interface Verdict {
  /** Headers the exchange returns with the answer (refused or not). */
  headers: Record<string, string>;
  refusal: Refusal | null;
  /** Which limit refused it (the metric's label). */
  limit?: string;
}

export interface RateLimitPolicy {
  /** The dialect (the metric's label). */
  readonly dialect: string;
  /** The front-door prefixes it applies to ('' is the root). */
  readonly prefixes: readonly string[];
  judge(request: RateRequest, now: number): Verdict;
}

/** Whole seconds until `until` (at least 1): a Retry-After value. */
export function secondsUntil(until: number, now: number): string {
  return String(Math.max(1, Math.ceil((until - now) / 1000)));
}
