/**
 * KuCoin futures public market data over REST (no credentials), read from the engine's book
 * (Engine.depth) and the market-data service (src/service/market-data.ts):
 * - `GET /api/v1/level2/snapshot` (the whole book), `/api/v1/level2/depth20`, `/api/v1/level2/depth100`:
 *   `sequence` is the level2 sequence of the book shown (MarketData.bookSequence: one number per
 *   level change), so the `/contractMarket/level2` changes with a greater sequence continue it;
 * - `GET /api/v1/trade/history`: the last 100 trades, newest first;
 * - `GET /api/v1/kline/query`: candles of `granularity` minutes between `from` and `to`, at most 500;
 * - `GET /api/v1/ticker`, `GET /api/v1/allTickers`: the last trade and the best bid and ask;
 * - `GET /api/v1/mark-price/{symbol}/current`, `GET /api/v1/funding-rate/{symbol}/current`;
 * - `POST /api/v1/bullet-public`: a public stream token and the classic stream's address.
 * Fields, limits and defaults as KuCoin documents them; a parameter an endpoint does not read is
 * refused (400100), as every KuCoin route here does.
 */
import type { FastifyInstance } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { CandleInterval, MarketTrade } from '../../service/market-data.js';
import { buildPricingConfig } from '../../engine/pricing-config.js';
import { badParam, ok } from './envelope.js';
import type { JsonValue } from './json.js';
import { optionalInteger, paramsOf, requiredString, symbolOf, type Params } from './params.js';
import { bulletData, FUTURES_STREAM_PATH, type KucoinRestOptions } from './rest.js';
import { onlyParams } from './rest-history.js';
import { symbolParam } from './rest-market.js';
import { issuePublicToken } from './public-token.js';
import { fundingRateSymbol } from './symbols.js';
import { nsNum, priceNum, priceText, rateNum } from './values.js';

/** KuCoin's kline granularities (minutes) and the candle interval each is. */
export const KLINE_GRANULARITIES: ReadonlyMap<number, CandleInterval> = new Map([
  [1, '1m'], [5, '5m'], [15, '15m'], [30, '30m'], [60, '1h'], [120, '2h'], [240, '4h'], [480, '8h'], [720, '12h'], [1440, '1d'], [10080, '1w'],
]);
/** Klines per request (KuCoin: "at most 500 pieces of data"). */
export const KLINE_LIMIT = 500;
/** Trades `trade/history` returns (KuCoin: "the last 100 transaction records"). */
export const TRADE_HISTORY_LIMIT = 100;
/** The mark price's granularity as KuCoin states it (snapshots once per second). */
const MARK_GRANULARITY_MS = 1000;

/** A book side as KuCoin's REST gives it: [price (number), size (lots)]. */
export const levelsOf = (config: SymbolConfig, levels: readonly [number, number][]): JsonValue[] => levels.map(([price, qty]) => [priceNum(config, price), qty]);

/** A ticker (GET /api/v1/ticker, allTickers): the last trade and the best bid and ask. */
export function tickerData(options: Pick<KucoinRestOptions, 'exchange' | 'symbols'>, config: SymbolConfig): { [key: string]: JsonValue } {
  const { exchange, symbols } = options;
  const market = exchange.state.market;
  const last: MarketTrade | undefined = market.trades(config.symbol).at(-1);
  const top = exchange.engine.depth(config.symbol, 1)!;
  const [bid, ask] = [top.bids[0], top.asks[0]];
  return {
    sequence: market.bookSequence(config.symbol),
    symbol: symbols.name(config.symbol),
    side: last === undefined ? '' : last.takerSide === 'BUY' ? 'buy' : 'sell',
    size: last?.qty ?? 0,
    tradeId: last === undefined ? '' : String(last.tradeId),
    price: priceText(config, last?.price ?? 0),
    bestBidPrice: priceText(config, bid?.[0] ?? 0),
    bestBidSize: bid?.[1] ?? 0,
    bestAskPrice: priceText(config, ask?.[0] ?? 0),
    bestAskSize: ask?.[1] ?? 0,
    ts: nsNum(last?.time ?? exchange.now()),
  };
}

function granularityOf(params: Params): CandleInterval {
  const text = requiredString(params, 'granularity');
  const interval = /^\d+$/.test(text) ? KLINE_GRANULARITIES.get(Number(text)) : undefined;
  if (interval === undefined) throw badParam(`granularity must be one of ${[...KLINE_GRANULARITIES.keys()].join(', ')} (minutes)`);
  return interval;
}

function bookRoute(app: FastifyInstance, options: KucoinRestOptions, path: string, limit: number): void {
  const { exchange, symbols } = options;
  app.get(path, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const config = symbolOf(symbols, params, true);
    const depth = exchange.engine.depth(config.symbol, limit)!;
    return ok({
      sequence: exchange.state.market.bookSequence(config.symbol),
      symbol: symbols.name(config.symbol),
      bids: levelsOf(config, depth.bids),
      asks: levelsOf(config, depth.asks),
      ts: nsNum(exchange.now()),
    });
  });
}

export async function marketDataRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const market = exchange.state.market;

  bookRoute(app, options, '/api/v1/level2/snapshot', Number.MAX_SAFE_INTEGER);
  bookRoute(app, options, '/api/v1/level2/depth20', 20);
  bookRoute(app, options, '/api/v1/level2/depth100', 100);

  app.get('/api/v1/trade/history', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const config = symbolOf(symbols, params, true);
    const trades = market.trades(config.symbol).slice(-TRADE_HISTORY_LIMIT).reverse();
    return ok(trades.map((t) => ({
      sequence: t.tradeId,
      tradeId: String(t.tradeId),
      ts: nsNum(t.time),
      size: t.qty,
      price: priceText(config, t.price),
      side: t.takerSide === 'BUY' ? 'buy' : 'sell',
    })));
  });

  app.get('/api/v1/kline/query', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'granularity', 'from', 'to']);
    const config = symbolOf(symbols, params, true);
    const interval = granularityOf(params);
    const from = optionalInteger(params, 'from', 0, Number.MAX_SAFE_INTEGER);
    const to = optionalInteger(params, 'to', 0, Number.MAX_SAFE_INTEGER);
    if (from !== undefined && to !== undefined && from > to) throw badParam('from must not be after to');
    const candles = market.candles(config.symbol, interval, { start: from, end: to, limit: KLINE_LIMIT, now: exchange.now() });
    return ok(candles.map((c) => [c.openTime, priceNum(config, c.open), priceNum(config, c.high), priceNum(config, c.low), priceNum(config, c.close), c.volume]));
  });

  app.get('/api/v1/ticker', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    return ok(tickerData(options, symbolOf(symbols, params, true)));
  });

  /** Funding-rate history between `from` and `to` (both required), newest first. */
  app.get('/api/v1/contract/funding-rates', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'from', 'to']);
    const config = symbolOf(symbols, params, true);
    const from = optionalInteger(params, 'from', 0, Number.MAX_SAFE_INTEGER);
    const to = optionalInteger(params, 'to', 0, Number.MAX_SAFE_INTEGER);
    if (from === undefined || to === undefined) throw badParam('from and to are required (ms)');
    if (from > to) throw badParam('from must not be after to');
    const name = symbols.name(config.symbol);
    return ok(market.fundings(config.symbol).filter((f) => f.fundingTime >= from && f.fundingTime <= to).reverse()
      .map((f) => ({ symbol: name, fundingRate: rateNum(f.fundingRate), timepoint: f.fundingTime })));
  });

  app.get('/api/v1/allTickers', async (request) => {
    onlyParams(paramsOf(request), []);
    return ok(symbols.all().map((config) => tickerData(options, config)));
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/mark-price/:symbol/current', async (request) => {
    onlyParams(paramsOf(request), []);
    const config = symbolParam(symbols, request.params.symbol);
    const now = exchange.now();
    const info = exchange.engine.prices(config.symbol, now)!;
    return ok({
      symbol: symbols.name(config.symbol),
      granularity: MARK_GRANULARITY_MS,
      timePoint: Math.floor(now / MARK_GRANULARITY_MS) * MARK_GRANULARITY_MS,
      value: info.markPrice === null ? null : priceNum(config, info.markPrice),
      indexPrice: info.indexPrice === null ? null : priceNum(config, info.indexPrice),
    });
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/funding-rate/:symbol/current', async (request) => {
    onlyParams(paramsOf(request), []);
    const config = symbolParam(symbols, request.params.symbol);
    const info = exchange.engine.prices(config.symbol, exchange.now())!;
    const cap = buildPricingConfig(config).fundingRateCap;
    return ok({
      symbol: fundingRateSymbol(symbols.name(config.symbol)),
      granularity: info.fundingIntervalMs,
      // The previous settlement (before the first: where the running interval began).
      timePoint: info.lastFundingTime ?? info.nextFundingTime - info.fundingIntervalMs,
      // The rate the running interval settles at as things stand; the engine makes no separate forecast.
      value: rateNum(info.predictedFundingRate),
      predictedValue: rateNum(info.predictedFundingRate),
      fundingRateCap: rateNum(cap),
      fundingRateFloor: rateNum(-cap),
      period: 1,
      fundingTime: info.nextFundingTime,
    });
  });

  app.post('/api/v1/bullet-public', async (request) => {
    onlyParams(paramsOf(request), []);
    return ok(bulletData(request, issuePublicToken(exchange.now()), FUTURES_STREAM_PATH, options.pingIntervalMs));
  });
}
