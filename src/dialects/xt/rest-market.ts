/**
 * XT futures public market data (no signature), under `/future/market/v1/public/q/`: the order
 * book with its update id `u` (the id the `depth_update` stream's `fu` / `u` / `pu` continue from),
 * recent trades, candles, 24-hour tickers (plain and aggregated with mark, index and best
 * bid/ask), best bid/ask, mark and index prices, the funding rate and the open interest
 * (`contract/open-interest`). Read from the engine's book
 * (Engine.depth), its prices (Engine.prices) and the market-data service
 * (src/service/market-data.ts). Shapes as XT's futures docs and ccxt 4.5.84 `xt` read them
 * (docs/dialects/xt-rest.md "Public market data"); quantities are contracts, as everywhere in XT.
 * Parameters an endpoint does not read are refused (COMMON_003 invalid_params).
 */
import type { FastifyInstance } from 'fastify';
import { formatAmount, formatRate, formatRatio, parseAmount } from '../../engine/fixed.js';
import { formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import { CANDLE_INTERVALS, type Candle, type CandleInterval, type MarketTrade } from '../../service/market-data.js';
import { notional } from '../../engine/margin.js';
import { invalidParams, ok } from './envelope.js';
import { venueSymbols } from './venue.js';
import { onlyParams, optionalString, paramsOf, symbolOf, type Params } from './params.js';
import type { XtRestOptions } from './rest.js';

const Q = '/future/market/v1/public/q';
/** XT's depth levels: 1 to 50. */
export const XT_MAX_DEPTH_LEVEL = 50;
/** `q/deal`: 50 by default (XT); at most the trades kept. */
const DEAL_DEFAULT = 50;
const DEAL_MAX = 1000;
/** `q/kline`: XT's 1 to 1500; 500 when not given (XT states no default). */
const KLINE_DEFAULT = 500;
const KLINE_MAX = 1500;

/**
 * The quote turnover `v` of a volume: linear Σ price × contracts × contract size (from Σ ticks ×
 * contracts); inverse the contracts × contract size in the quote currency (each contract is a fixed
 * 100 USD, whatever the price), so both are exact.
 */
export const xtQuote = (config: SymbolConfig, tickContracts: bigint, contracts: number): string =>
  formatAmount(config.inverse ? BigInt(contracts) * parseAmount(config.spec.contractSize) : tickContracts * config.valuePerTickContract);

/** A price level `[price, contracts]`. */
export const xtLevel = (config: SymbolConfig) => ([price, qty]: [number, number]): [string, string] => [formatPrice(config, price), String(qty)];

/** A whole number in [min, max], refused with XT's error name (e.g. `invalid_num`) as the message's start. */
function wholeNumber(params: Params, name: string, min: number, max: number, code: string): number | undefined {
  const text = optionalString(params, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw invalidParams(`${code}: ${name} must be an integer from ${min} to ${max}`);
  return Number(text);
}

/** A public trade as `q/deal` and the `trade` stream give it: `m` the taker's side (BID buy, ASK sell). */
export function xtDeal(config: SymbolConfig, t: MarketTrade): Record<string, unknown> {
  return { s: config.symbol, p: formatPrice(config, t.price), a: String(t.qty), m: t.takerSide === 'BUY' ? 'BID' : 'ASK', t: t.time };
}

/** A candle as `q/kline` gives it: `a` contracts, `v` quote turnover. */
export function xtCandle(config: SymbolConfig, c: Candle): Record<string, unknown> {
  return {
    s: config.symbol, p: config.symbol, t: c.openTime, o: formatPrice(config, c.open), c: formatPrice(config, c.close),
    h: formatPrice(config, c.high), l: formatPrice(config, c.low), a: String(c.volume), v: xtQuote(config, c.quoteVolume, c.volume),
  };
}

/** (close − open) / open to 4 places; "0" with no open. */
export function changeRate(open: number, close: number): string {
  return open === 0 ? '0' : formatRatio(BigInt(close - open), BigInt(open), 4);
}

/** The 24-hour ticker (`q/ticker`): the last 24 hours of 1-minute candles; `r` the change rate. */
export function xtTicker(exchange: StreamExchange, config: SymbolConfig, now: number): Record<string, unknown> {
  const stats = exchange.state.market.dayStats(config.symbol, now);
  const last = stats.last ?? 0;
  const open = stats.open ?? last;
  return {
    t: now, s: config.symbol, c: formatPrice(config, last), h: formatPrice(config, stats.high ?? last), l: formatPrice(config, stats.low ?? last),
    o: formatPrice(config, open), a: String(stats.volume), v: xtQuote(config, stats.quoteVolume, stats.volume), r: changeRate(open, last),
  };
}

/** Best bid and ask `[price, contracts]` ([0, 0] on an empty side) with the book's update id. */
export function bestOf(exchange: StreamExchange, config: SymbolConfig): { bid: [number, number]; ask: [number, number]; updateId: number } {
  const top = exchange.engine.depth(config.symbol, 1)!;
  return { bid: top.bids[0] ?? [0, 0], ask: top.asks[0] ?? [0, 0], updateId: top.updateId };
}

/** The aggregated ticker (`q/agg-ticker`): the ticker with index `i`, mark `m` and best bid `bp` / ask `ap`. */
export function xtAggTicker(exchange: StreamExchange, config: SymbolConfig, now: number): Record<string, unknown> {
  const prices = exchange.engine.prices(config.symbol, now)!;
  const { bid, ask } = bestOf(exchange, config);
  return {
    ...xtTicker(exchange, config, now), i: formatPrice(config, prices.indexPrice ?? 0), m: formatPrice(config, prices.markPrice ?? 0),
    bp: formatPrice(config, bid[0]), ap: formatPrice(config, ask[0]),
  };
}

/** The funding rate of the running interval (the predicted one), when it is collected and the interval in hours. */
export function xtFundingRate(exchange: StreamExchange, config: SymbolConfig, now: number): Record<string, unknown> {
  const prices = exchange.engine.prices(config.symbol, now)!;
  return {
    symbol: config.symbol, fundingRate: formatRate(prices.predictedFundingRate), nextCollectionTime: prices.nextFundingTime,
    collectionInternal: prices.fundingIntervalMs / 3_600_000,
  };
}

export async function marketRoutes(app: FastifyInstance, options: XtRestOptions): Promise<void> {
  const { exchange } = options;
  const market = exchange.state.market;
  const all = (): readonly SymbolConfig[] => venueSymbols(exchange, options.venue);
  /** One symbol's endpoint: `symbol` required, nothing else unless named. */
  const one = (params: Params, also: readonly string[] = []): SymbolConfig => {
    onlyParams(params, ['symbol', ...also]);
    return symbolOf(options, params, true);
  };
  /** An all-symbols endpoint: no parameters. */
  const none = (params: Params): void => onlyParams(params, []);

  app.get(`${Q}/depth`, async (request) => {
    const params = paramsOf(request);
    const config = one(params, ['level']);
    const level = wholeNumber(params, 'level', 1, XT_MAX_DEPTH_LEVEL, 'invalid_level');
    if (level === undefined) throw invalidParams(`invalid_level: level is required, an integer from 1 to ${XT_MAX_DEPTH_LEVEL}`);
    const depth = exchange.engine.depth(config.symbol, level)!;
    const row = xtLevel(config);
    return ok({ t: exchange.now(), s: config.symbol, u: depth.updateId, b: depth.bids.map(row), a: depth.asks.map(row) });
  });

  app.get(`${Q}/deal`, async (request) => {
    const params = paramsOf(request);
    const config = one(params, ['num']);
    const num = wholeNumber(params, 'num', 1, DEAL_MAX, 'invalid_num') ?? DEAL_DEFAULT;
    const trades = market.trades(config.symbol);
    // Newest first.
    return ok(trades.slice(Math.max(0, trades.length - num)).reverse().map((t) => xtDeal(config, t)));
  });

  app.get(`${Q}/kline`, async (request) => {
    const params = paramsOf(request);
    const config = one(params, ['interval', 'startTime', 'endTime', 'limit']);
    const text = optionalString(params, 'interval');
    if (text === undefined) throw invalidParams(`invalid_interval: interval is required, one of ${CANDLE_INTERVALS.join(', ')}`);
    const interval = CANDLE_INTERVALS.find((i) => i === text) as CandleInterval | undefined;
    if (interval === undefined) throw invalidParams(`invalid_interval: ${text} is not an interval; use one of ${CANDLE_INTERVALS.join(', ')}`);
    const start = wholeNumber(params, 'startTime', 0, Number.MAX_SAFE_INTEGER, 'invalid_startTime');
    const end = wholeNumber(params, 'endTime', 0, Number.MAX_SAFE_INTEGER, 'invalid_endTime');
    if (start !== undefined && end !== undefined && end < start) throw invalidParams('invalid_endTime: endTime is before startTime');
    const limit = wholeNumber(params, 'limit', 1, KLINE_MAX, 'invalid_limit') ?? KLINE_DEFAULT;
    const candles = market.candles(config.symbol, interval, { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), limit, now: exchange.now() });
    return ok(candles.map((c) => xtCandle(config, c)));
  });

  app.get(`${Q}/ticker`, async (request) => ok(xtTicker(exchange, one(paramsOf(request)), exchange.now())));
  app.get(`${Q}/tickers`, async (request) => {
    none(paramsOf(request));
    const now = exchange.now();
    return ok(all().map((config) => xtTicker(exchange, config, now)));
  });
  app.get(`${Q}/agg-ticker`, async (request) => ok(xtAggTicker(exchange, one(paramsOf(request)), exchange.now())));
  app.get(`${Q}/agg-tickers`, async (request) => {
    none(paramsOf(request));
    const now = exchange.now();
    return ok(all().map((config) => xtAggTicker(exchange, config, now)));
  });

  const bookTicker = (config: SymbolConfig, now: number): Record<string, unknown> => {
    const { bid, ask } = bestOf(exchange, config);
    return { t: now, s: config.symbol, ap: formatPrice(config, ask[0]), aq: String(ask[1]), bp: formatPrice(config, bid[0]), bq: String(bid[1]) };
  };
  app.get(`${Q}/ticker/book`, async (request) => ok(bookTicker(one(paramsOf(request)), exchange.now())));
  app.get(`${Q}/ticker/books`, async (request) => {
    none(paramsOf(request));
    const now = exchange.now();
    return ok(all().map((config) => bookTicker(config, now)));
  });

  const price = (kind: 'markPrice' | 'indexPrice') => (config: SymbolConfig, now: number): Record<string, unknown> =>
    ({ s: config.symbol, p: formatPrice(config, exchange.engine.prices(config.symbol, now)![kind] ?? 0), t: now });
  for (const [single, list, kind] of [['symbol-mark-price', 'mark-price', 'markPrice'], ['symbol-index-price', 'index-price', 'indexPrice']] as const) {
    app.get(`${Q}/${single}`, async (request) => ok(price(kind)(one(paramsOf(request)), exchange.now())));
    app.get(`${Q}/${list}`, async (request) => {
      none(paramsOf(request));
      const now = exchange.now();
      return ok(all().map((config) => price(kind)(config, now)));
    });
  }

  app.get(`${Q}/funding-rate`, async (request) => ok(xtFundingRate(exchange, one(paramsOf(request)), exchange.now())));

  /**
   * `contract/open-interest`: the open interest (Σ of the long positions) in the base coin, and its
   * value at the mark ("0" before a mark), as ccxt reads them (`openInterest`, `openInterestUsd`).
   */
  app.get('/future/market/v1/public/contract/open-interest', async (request) => {
    const config = one(paramsOf(request));
    const now = exchange.now();
    const prices = exchange.engine.prices(config.symbol, now)!;
    const contracts = BigInt(prices.openInterest);
    const mark = prices.markPrice ?? 0;
    // Linear: contracts are base coin, valued at the mark. Inverse: contracts are quote value (USD), worth contracts × size / mark in coin.
    const sizeValue = contracts * parseAmount(config.spec.contractSize);
    const coin = config.inverse ? (mark === 0 ? 0n : notional(config, prices.openInterest, mark)) : sizeValue;
    const usd = config.inverse ? sizeValue : contracts * BigInt(mark) * config.valuePerTickContract;
    return ok({ symbol: config.symbol, openInterest: formatAmount(coin), openInterestUsd: formatAmount(usd), time: now });
  });

  /**
   * Funding-rate history, newest first, paged by `id` (a record's id is its funding time in ms:
   * unique within a symbol; across symbols a page boundary is a time): NEXT (the default) pages to
   * older records, PREV to newer ones.
   */
  app.get(`${Q}/funding-rate-record`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'direction', 'id', 'limit']);
    const config = symbolOf(options, params, false);
    const direction = optionalString(params, 'direction') ?? 'NEXT';
    if (direction !== 'NEXT' && direction !== 'PREV') throw invalidParams('invalid_direction: direction must be PREV or NEXT');
    const id = wholeNumber(params, 'id', 0, Number.MAX_SAFE_INTEGER, 'invalid_id');
    const limit = wholeNumber(params, 'limit', 1, FUNDING_RECORD_MAX, 'invalid_limit') ?? FUNDING_RECORD_DEFAULT;
    const newestFirst = (config === undefined ? all() : [config])
      .flatMap((c) => market.fundings(c.symbol).map((f) => ({ c, f })))
      .sort((x, y) => y.f.fundingTime - x.f.fundingTime || (x.c.symbol < y.c.symbol ? -1 : 1));
    let from = 0;
    let to = newestFirst.length;
    if (id !== undefined && direction === 'NEXT') from = newestFirst.findIndex(({ f }) => f.fundingTime < id);
    if (id !== undefined && direction === 'PREV') to = newestFirst.findIndex(({ f }) => f.fundingTime <= id);
    if (from < 0) from = newestFirst.length;
    if (to < 0) to = newestFirst.length;
    const page = direction === 'PREV' && id !== undefined ? newestFirst.slice(Math.max(from, to - limit), to) : newestFirst.slice(from, Math.min(to, from + limit));
    const first = page.length === 0 ? from : newestFirst.indexOf(page[0]!);
    return ok({
      hasPrev: first > 0,
      hasNext: first + page.length < newestFirst.length,
      items: page.map(({ c, f }) => ({
        id: f.fundingTime, symbol: c.symbol, fundingRate: formatRate(f.fundingRate), createdTime: f.fundingTime,
        collectionInternal: exchange.engine.prices(c.symbol, exchange.now())!.fundingIntervalMs / 1000,
      })),
    });
  });
}

/** funding-rate-record page sizes: 10 by default (XT's documented default), at most 200 (what ccxt asks for; XT names no maximum). */
const FUNDING_RECORD_DEFAULT = 10;
const FUNDING_RECORD_MAX = 200;
