/**
 * Binance USDⓈ-M (fapi) and COIN-M (dapi) rate limits, as Binance documents them ("General Info",
 * "LIMITS", each endpoint's "Request Weight"):
 * - REQUEST_WEIGHT: 2400 per minute per IP; every answer carries `X-MBX-USED-WEIGHT-1M`.
 * - ORDERS: 1200 per minute and (fapi) 300 per 10 seconds per account; an order request's answer
 *   carries `X-MBX-ORDER-COUNT-1M` (and `-10S`).
 * - Over the weight limit: HTTP 429, code -1003, `Retry-After` seconds to the window's end. An IP that
 *   keeps sending after a 429 in the same window is banned: HTTP 418, -1003, `Retry-After`, from 2
 *   minutes, doubling per repeat up to 3 days (a request during Retry-After is not backing off). Over an order limit: 429, -1015, no ban.
 * Refused requests do not count. The COIN-M weights are taken as the USDⓈ-M ones for the same path.
 */
import { Bans, WindowCounter } from './windows.js';
import { secondsUntil, type RateLimitPolicy, type RateRequest, type Verdict } from './policy.js';

const MINUTE = 60_000;

/** What exchangeInfo's `rateLimits` states when the limits are on (fapi; dapi has no 10-second order limit). */
export function binanceRateLimits(market: 'fapi' | 'dapi'): { rateLimitType: string; interval: string; intervalNum: number; limit: number }[] {
  return [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: WEIGHT_PER_MINUTE },
    { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: ORDERS_PER_MINUTE },
    ...(market === 'fapi' ? [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: ORDERS_PER_10S }] : []),
  ];
}

const WEIGHT_PER_MINUTE = 2400;
const ORDERS_PER_MINUTE = 1200;
const ORDERS_PER_10S = 300;
/** IPs remembered as answered 429 (entries of ended windows are dropped past this). */
const MAX_WARNED = 100_000;

const bySymbol = (withSymbol: number, without: number) => (q: RateRequest['query']) => (q.symbol === undefined ? without : withSymbol);
const byDepthLimit = (q: RateRequest['query']) => {
  const limit = Number(q.limit ?? 500);
  return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
};
const byKlineLimit = (q: RateRequest['query']) => {
  const limit = Number(q.limit ?? 500);
  return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
};

type Weight = number | ((query: RateRequest['query']) => number);

/** IP weight by "METHOD /v?/name" (the market's prefix taken off); unlisted endpoints weigh 1. */
const WEIGHTS: Record<string, Weight> = {
  'GET /v1/depth': byDepthLimit,
  'GET /v1/trades': 5,
  'GET /v1/historicalTrades': 20,
  'GET /v1/aggTrades': 20,
  'GET /v1/klines': byKlineLimit,
  'GET /v1/continuousKlines': byKlineLimit,
  'GET /v1/indexPriceKlines': byKlineLimit,
  'GET /v1/markPriceKlines': byKlineLimit,
  'GET /v1/premiumIndexKlines': byKlineLimit,
  'GET /v1/premiumIndex': bySymbol(1, 10),
  'GET /v1/ticker/24hr': bySymbol(1, 40),
  'GET /v1/ticker/price': bySymbol(1, 2),
  'GET /v2/ticker/price': bySymbol(1, 2),
  'GET /v1/ticker/bookTicker': bySymbol(2, 5),
  'POST /v1/order': 0,
  'POST /v1/batchOrders': 5,
  'PUT /v1/batchOrders': 5,
  'POST /v1/countdownCancelAll': 10,
  'GET /v1/openOrders': bySymbol(1, 40),
  'GET /v1/allOrders': 5,
  'GET /v1/account': 5,
  'GET /v2/account': 5,
  'GET /v3/account': 5,
  'GET /v1/balance': 5,
  'GET /v2/balance': 5,
  'GET /v3/balance': 5,
  'GET /v1/positionRisk': 5,
  'GET /v2/positionRisk': 5,
  'GET /v3/positionRisk': 5,
  'GET /v1/userTrades': 5,
  'GET /v1/income': 30,
  'GET /v1/commissionRate': 20,
  'GET /v1/positionSide/dual': 30,
  'GET /v1/multiAssetsMargin': 30,
  'GET /v1/adlQuantile': 5,
  'GET /v1/forceOrders': bySymbol(20, 50),
};

/** Order-rate counts (10 s, 1 min) of the requests that place or modify orders. */
const ORDER_COUNTS: Record<string, [tenSeconds: number, minute: number]> = {
  'POST /v1/order': [1, 1],
  'PUT /v1/order': [1, 1],
  'POST /v1/batchOrders': [5, 1],
  'PUT /v1/batchOrders': [5, 1],
};

const MARKET_PATH = /^\/(fapi|dapi)(\/v\d\/.*)$/;

export class BinanceRateLimits implements RateLimitPolicy {
  readonly dialect = 'binance';
  readonly prefixes = ['/binance'];
  private readonly weight = new WindowCounter(MINUTE, WEIGHT_PER_MINUTE);
  private readonly ordersMinute = new WindowCounter(MINUTE, ORDERS_PER_MINUTE);
  private readonly orders10s = new WindowCounter(10_000, ORDERS_PER_10S);
  /** IPs that were answered 429 in the window (ms of that window's end): the next request is a ban. */
  private readonly warned = new Map<string, number>();
  private readonly bans = new Bans(2 * MINUTE, 3 * 24 * 60 * MINUTE);

  judge(request: RateRequest, now: number): Verdict {
    const match = MARKET_PATH.exec(request.path);
    // The WebSocket upgrade and anything outside the two REST markets is not weighed here.
    if (match === null) return { headers: {}, refusal: null };
    const market = match[1] as 'fapi' | 'dapi';
    const key = `${request.method} ${match[2]!}`;
    const ip = request.ip;
    const bannedUntil = this.bans.bannedUntil(ip, now);
    if (bannedUntil !== null) return this.banned(ip, bannedUntil, now);

    const entry = WEIGHTS[key] ?? 1;
    const weight = typeof entry === 'number' ? entry : entry(request.query);
    const used = this.weight.peek(ip, now);
    // Not backing off after a 429 (any request before the window it was answered in ends) is a ban.
    if (this.warned.get(ip) === used.resetAt) return this.banned(ip, this.bans.ban(ip, now), now);
    if (used.used + weight > WEIGHT_PER_MINUTE) {
      if (this.warned.size >= MAX_WARNED) for (const [k, end] of this.warned) if (end <= now) this.warned.delete(k);
      this.warned.set(ip, used.resetAt);
      return {
        headers: { 'X-MBX-USED-WEIGHT-1M': String(used.used), 'Retry-After': secondsUntil(used.resetAt, now) },
        refusal: { status: 429, code: '-1003', message: `Too many requests; current limit of IP(${ip}) is ${WEIGHT_PER_MINUTE} requests per minute. Please use the websocket for live updates to avoid using polling API.` },
        limit: 'REQUEST_WEIGHT',
      };
    }

    const counts = ORDER_COUNTS[key];
    const headers: Record<string, string> = {};
    if (counts !== undefined && request.account !== null) {
      const account = String(request.account);
      const tenSeconds = market === 'fapi' ? counts[0] : 0;
      if (!this.orders10s.fits(account, tenSeconds, now) || !this.ordersMinute.fits(account, counts[1], now)) {
        const perTen = !this.orders10s.fits(account, tenSeconds, now);
        return {
          headers: { 'X-MBX-USED-WEIGHT-1M': String(used.used) },
          refusal: { status: 429, code: '-1015', message: `Too many new orders; current limit is ${perTen ? `${ORDERS_PER_10S} orders per TEN_SECONDS` : `${ORDERS_PER_MINUTE} orders per MINUTE`}.` },
          limit: 'ORDERS',
        };
      }
      if (market === 'fapi') headers['X-MBX-ORDER-COUNT-10S'] = String(this.orders10s.add(account, tenSeconds, now).used);
      headers['X-MBX-ORDER-COUNT-1M'] = String(this.ordersMinute.add(account, counts[1], now).used);
    }
    headers['X-MBX-USED-WEIGHT-1M'] = String(this.weight.add(ip, weight, now).used);
    return { headers, refusal: null };
  }

  private banned(ip: string, until: number, now: number): Verdict {
    return {
      headers: { 'Retry-After': secondsUntil(until, now) },
      refusal: { status: 418, code: '-1003', message: `Way too many requests; IP(${ip}) banned until ${until}. Please use the websocket for live updates to avoid bans.` },
      limit: 'IP_BAN',
    };
  }
}
