/**
 * Bybit v5 public market data (no signature), category `linear`:
 * - `GET /v5/market/orderbook`: the engine's book (Engine.depth), `limit` 1–1000 (default 25), `u`
 *   and `seq` the symbol's book update id (the `seq` of the public stream's orderbook pushes);
 * - `GET /v5/market/recent-trade`: the newest trades first, `limit` 1–1000 (default 500);
 * - `GET /v5/market/kline`: every Bybit interval, `start` / `end` / `limit` (1–1000, default 200),
 *   newest first as Bybit lists them (candles from the market-data service, engine time);
 * - `GET /v5/market/mark-price-kline`, `index-price-kline`, `premium-index-price-kline`: the mark,
 *   index and premium index recorded by the market-data service, listed like `kline`;
 * - `GET /v5/market/open-interest`: per `intervalTime` the open interest at each period's start,
 *   newest first, `limit` (1–200, default 50) up to `endTime` (default now) and from `startTime`,
 *   paged to older periods by `cursor`;
 * - `GET /v5/market/tickers`: 24-hour figures from the 1-minute candles, mark, index, funding, best
 *   bid/ask, open interest (both sides and single side, and their value at the mark).
 * Parameters an endpoint does not document are refused with 10001, as every Bybit reader here does.
 */
import type { FastifyInstance } from 'fastify';
import { formatRate, formatRatio, formatScaled } from '../../engine/fixed.js';
import { formatPrice } from '../../engine/format.js';
import { buildPricingConfig } from '../../engine/pricing-config.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import { candleStart, type Candle, type CandleInterval, type MarketTrade, type OpenInterestInterval, type RangeOptions, type SeriesCandle } from '../../service/market-data.js';
import { ok, paramsError } from './envelope.js';
import { categoryOf, inCategory, optionalInteger, optionalString, paramsOf, requireContract, symbolOf, type Params } from './params.js';
import { page, type BybitRestOptions } from './rest.js';
import { onlyParams } from './rest-history.js';
import { baseQty, bybitSymbol, categoryOfConfig, turnover, value } from './symbols.js';

/** Bybit's kline intervals and the market-data interval each one is. */
export const KLINE_INTERVALS: ReadonlyMap<string, CandleInterval> = new Map([
  ['1', '1m'], ['3', '3m'], ['5', '5m'], ['15', '15m'], ['30', '30m'], ['60', '1h'], ['120', '2h'], ['240', '4h'], ['360', '6h'],
  ['720', '12h'], ['D', '1d'], ['W', '1w'], ['M', '1M'],
] as [string, CandleInterval][]);

/** Bybit's open-interest `intervalTime`s and the market-data period each is. */
export const OPEN_INTEREST_TIMES: ReadonlyMap<string, OpenInterestInterval> = new Map([
  ['5min', '5m'], ['15min', '15m'], ['30min', '30m'], ['1h', '1h'], ['4h', '4h'], ['1d', '1d'],
] as [string, OpenInterestInterval][]);

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A mark / index / premium kline row: start, open, high, low, close. */
const seriesRow = <V extends number | bigint>(c: SeriesCandle<V>, text: (v: V) => string): string[] =>
  [String(c.openTime), text(c.open), text(c.high), text(c.low), text(c.close)];

/** A premium index as Bybit writes it: at least six decimals ("-0.000587"), exact. */
const premiumText = (units: bigint): string => formatScaled(units, 8, 6);

/** A price in ticks as Bybit's decimal ("" when there is none: no trade, no mark yet). */
const priceText = (config: SymbolConfig, ticks: number | null | undefined): string => (ticks === null || ticks === undefined ? '' : formatPrice(config, ticks));

/** A book level as Bybit writes it: [price, base size]. */
export const level = (config: SymbolConfig, [price, qty]: readonly [number, number]): [string, string] => [formatPrice(config, price), baseQty(config, qty)];

/** A kline row: start, open, high, low, close, volume (base), turnover (quote), all strings. */
export function klineRow(config: SymbolConfig, c: Candle): string[] {
  return [String(c.openTime), formatPrice(config, c.open), formatPrice(config, c.high), formatPrice(config, c.low), formatPrice(config, c.close),
    baseQty(config, c.volume), turnover(config, c.quoteVolume)];
}

/** Bybit's tick direction of `trades[index]`: up or down from the previous different price. */
export function tickDirection(trades: readonly MarketTrade[], index: number): string {
  const price = trades[index]!.price;
  const previous = trades[index - 1]?.price;
  if (previous === undefined) return 'ZeroPlusTick';
  if (price > previous) return 'PlusTick';
  if (price < previous) return 'MinusTick';
  for (let i = index - 2; i >= 0; i--) {
    const earlier = trades[i]!.price;
    if (earlier !== price) return earlier < price ? 'ZeroPlusTick' : 'ZeroMinusTick';
  }
  return 'ZeroPlusTick';
}

/** The price at `time`: the open of the 1-minute candle holding it (the last close when it had no trade). */
function priceAt(exchange: StreamExchange, config: SymbolConfig, time: number, now: number): number | null {
  const [candle] = exchange.state.market.candles(config.symbol, '1m', { start: candleStart('1m', time), limit: 1, now });
  return candle?.open ?? null;
}

/**
 * A linear ticker as `/v5/market/tickers` lists it and the `tickers.{symbol}` stream pushes it.
 * Open interest: `openInterest` both sides (Bybit: "Open interest size (both sides)"), `single…` one
 * side (the engine's Σ of the longs), values at the mark ("" before a mark).
 */
export function tickerRow(exchange: StreamExchange, config: SymbolConfig, now: number): Record<string, string> {
  const market = exchange.state.market;
  const stats = market.dayStats(config.symbol, now);
  const info = exchange.engine.prices(config.symbol, now)!;
  const top = exchange.engine.depth(config.symbol, 1)!;
  const last = stats.last;
  const prev24h = priceAt(exchange, config, now - DAY + 60_000, now) ?? last;
  const prev1h = priceAt(exchange, config, now - HOUR + 60_000, now) ?? last;
  const change = last === null || prev24h === null || prev24h === 0 ? '0' : formatRatio(BigInt(last - prev24h), BigInt(prev24h), 6);
  const trades = market.trades(config.symbol);
  const pricing = buildPricingConfig(config);
  const delivery = config.delivery;
  return {
    symbol: bybitSymbol(config.symbol),
    tickDirection: trades.length === 0 ? 'ZeroPlusTick' : tickDirection(trades, trades.length - 1),
    lastPrice: priceText(config, last),
    indexPrice: priceText(config, info.indexPrice),
    markPrice: priceText(config, info.markPrice),
    prevPrice24h: priceText(config, prev24h),
    price24hPcnt: change,
    highPrice24h: priceText(config, stats.high),
    lowPrice24h: priceText(config, stats.low),
    prevPrice1h: priceText(config, prev1h),
    openInterest: baseQty(config, 2 * info.openInterest),
    openInterestValue: info.markPrice === null ? '' : value(config, 2 * info.openInterest, info.markPrice),
    singleOpenInterest: baseQty(config, info.openInterest),
    singleOpenInterestValue: info.markPrice === null ? '' : value(config, info.openInterest, info.markPrice),
    turnover24h: turnover(config, stats.quoteVolume),
    volume24h: baseQty(config, stats.volume),
    // A delivery contract has no funding (Bybit: "" and "0"), but a delivery time and fee rate.
    fundingRate: delivery === null ? formatRate(info.predictedFundingRate) : '',
    nextFundingTime: delivery === null ? String(info.nextFundingTime) : '0',
    predictedDeliveryPrice: delivery === null ? '' : priceText(config, info.delivery?.settledPrice ?? null),
    basisRate: '',
    deliveryFeeRate: delivery === null ? '' : formatRate(delivery.feeRate),
    deliveryTime: delivery === null ? '0' : String(delivery.time),
    ask1Size: top.asks[0] === undefined ? '' : baseQty(config, top.asks[0][1]),
    bid1Price: priceText(config, top.bids[0]?.[0]),
    ask1Price: priceText(config, top.asks[0]?.[0]),
    bid1Size: top.bids[0] === undefined ? '' : baseQty(config, top.bids[0][1]),
    basis: '',
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
    fundingIntervalHour: String(info.fundingIntervalMs / HOUR),
    fundingCap: formatRate(pricing.fundingRateCap),
  };
}

/** `interval`, required, one of Bybit's. */
export function intervalOf(params: Params): CandleInterval {
  const text = optionalString(params, 'interval');
  if (text === undefined) throw paramsError('interval is required: 1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, W or M');
  const interval = KLINE_INTERVALS.get(text);
  if (interval === undefined) throw paramsError(`Invalid period! interval ${JSON.stringify(text)}: send 1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, W or M`);
  return interval;
}

export async function marketRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const market = exchange.state.market;

  app.get('/v5/market/orderbook', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'limit']);
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const limit = optionalInteger(params, 'limit', 1, 1000) ?? 25;
    const depth = exchange.engine.depth(config.symbol, limit)!;
    const now = exchange.now();
    return ok({
      s: bybitSymbol(config.symbol), b: depth.bids.map((l) => level(config, l)), a: depth.asks.map((l) => level(config, l)),
      ts: now, u: depth.updateId, seq: depth.updateId, cts: now,
    }, now);
  });

  app.get('/v5/market/recent-trade', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'baseCoin', 'optionType', 'limit']);
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const limit = optionalInteger(params, 'limit', 1, 1000) ?? 500;
    const trades = market.trades(config.symbol);
    const list: Record<string, unknown>[] = [];
    for (let i = trades.length - 1; i >= 0 && list.length < limit; i--) {
      const t = trades[i]!;
      list.push({
        execId: String(t.tradeId), symbol: bybitSymbol(config.symbol), price: formatPrice(config, t.price), size: baseQty(config, t.qty),
        side: t.takerSide === 'BUY' ? 'Buy' : 'Sell', time: String(t.time), isBlockTrade: false, isRPITrade: false, seq: String(t.tradeId),
      });
    }
    return ok({ category: categoryOfConfig(config), list }, exchange.now());
  });

  app.get('/v5/market/kline', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'interval', 'start', 'end', 'limit']);
    // `category` is optional here (linear by default).
    if (optionalString(params, 'category') !== undefined) requireContract(params);
    const config = symbolOf(symbols, params, true);
    const interval = intervalOf(params);
    const start = optionalInteger(params, 'start', 0, Number.MAX_SAFE_INTEGER);
    const end = optionalInteger(params, 'end', 0, Number.MAX_SAFE_INTEGER);
    if (start !== undefined && end !== undefined && start > end) throw paramsError('start must not be after end');
    const limit = optionalInteger(params, 'limit', 1, 1000) ?? 200;
    const now = exchange.now();
    const candles = market.candles(config.symbol, interval, { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), limit, now });
    return ok({ category: categoryOfConfig(config), symbol: bybitSymbol(config.symbol), list: candles.reverse().map((c) => klineRow(config, c)) }, now);
  });

  /** `category` (optional; linear, or the kinds the endpoint names), symbol, interval, start/end/limit: what the price klines read. */
  const seriesKline = (params: Params, categories: readonly string[]): { config: SymbolConfig; interval: CandleInterval; range: RangeOptions } => {
    onlyParams(params, ['category', 'symbol', 'interval', 'start', 'end', 'limit']);
    const category = optionalString(params, 'category');
    if (category !== undefined && !categories.includes(category)) throw paramsError(`category must be one of ${categories.join(', ')}`);
    if (category !== undefined) requireContract(params);
    const config = symbolOf(symbols, params, true);
    const interval = intervalOf(params);
    const start = optionalInteger(params, 'start', 0, Number.MAX_SAFE_INTEGER);
    const end = optionalInteger(params, 'end', 0, Number.MAX_SAFE_INTEGER);
    if (start !== undefined && end !== undefined && start > end) throw paramsError('start must not be after end');
    const limit = optionalInteger(params, 'limit', 1, 1000) ?? 200;
    return { config, interval, range: { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), limit, now: exchange.now() } };
  };
  for (const [path, kind, categories] of [
    ['mark-price-kline', 'mark', ['linear', 'inverse', 'option']], ['index-price-kline', 'index', ['linear', 'inverse']],
  ] as const) {
    app.get(`/v5/market/${path}`, async (request) => {
      const { config, interval, range } = seriesKline(paramsOf(request), categories);
      const list = market.seriesCandles(config.symbol, kind, interval, range).reverse().map((c) => seriesRow(c, (v) => formatPrice(config, v)));
      return ok({ category: categoryOfConfig(config), symbol: bybitSymbol(config.symbol), list }, range.now);
    });
  }
  app.get('/v5/market/premium-index-price-kline', async (request) => {
    const { config, interval, range } = seriesKline(paramsOf(request), ['linear']);
    const list = market.seriesCandles(config.symbol, 'premium', interval, range).reverse().map((c) => seriesRow(c, premiumText));
    return ok({ category: categoryOfConfig(config), symbol: bybitSymbol(config.symbol), list }, range.now);
  });

  /**
   * Open interest per period, newest first: the value at each period's start (both sides and one
   * side, in the base coin). Bybit walks back from endTime (default now), not before startTime;
   * `cursor` (the `nextPageCursor` of the page before) continues with older periods.
   */
  app.get('/v5/market/open-interest', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'intervalTime', 'startTime', 'endTime', 'limit', 'cursor']);
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const text = optionalString(params, 'intervalTime');
    if (text === undefined) throw paramsError(`intervalTime is required: ${[...OPEN_INTEREST_TIMES.keys()].join(', ')}`);
    const period = OPEN_INTEREST_TIMES.get(text);
    if (period === undefined) throw paramsError(`intervalTime invalid: ${JSON.stringify(text)}; send ${[...OPEN_INTEREST_TIMES.keys()].join(', ')}`);
    const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    let end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    if (start !== undefined && end !== undefined && start > end) throw paramsError('startTime must not be after endTime');
    const limit = optionalInteger(params, 'limit', 1, 200) ?? 50;
    const cursor = optionalString(params, 'cursor');
    if (cursor !== undefined) {
      const before = /^lasttime=(\d{1,16})$/.exec(decodeCursor(cursor));
      if (before === null) throw paramsError('cursor invalid: pass the nextPageCursor of the previous page');
      end = Math.min(end ?? Number.MAX_SAFE_INTEGER, Number(before[1]) - 1);
    }
    const now = exchange.now();
    // The newest `limit` periods up to end, none before startTime.
    const rows = market.seriesCandles(config.symbol, 'openInterest', period, { ...(end === undefined ? {} : { end }), limit, now })
      .filter((c) => start === undefined || c.openTime >= start).reverse();
    const older = rows.length === limit && market.seriesCandles(config.symbol, 'openInterest', period, { end: rows.at(-1)!.openTime - 1, limit: 1, now })
      .some((c) => start === undefined || c.openTime >= start);
    return ok({
      symbol: bybitSymbol(config.symbol), category: categoryOfConfig(config),
      list: rows.map((c) => ({ openInterest: baseQty(config, 2 * c.open), singleOpenInterest: baseQty(config, c.open), timestamp: String(c.openTime) })),
      nextPageCursor: older ? encodeURIComponent(`lasttime=${rows.at(-1)!.openTime}`) : '',
    }, now);
  });

  /** Funding-rate history, newest first: `limit` (200 at most) settlements up to endTime (or now), from startTime. */
  app.get('/v5/market/funding/history', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'startTime', 'endTime', 'limit']);
    const category = categoryOf(params);
    const config = symbolOf(symbols, params, true);
    const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    // Bybit: startTime alone is refused; endTime alone or both are fine.
    if (start !== undefined && end === undefined) throw paramsError('startTime needs endTime: pass both, or endTime alone, or neither');
    if (start !== undefined && end !== undefined && start > end) throw paramsError('startTime must not be after endTime');
    const limit = optionalInteger(params, 'limit', 1, 200) ?? 200;
    const list = category !== categoryOfConfig(config) ? [] : exchange.state.market.fundings(config.symbol)
      .filter((f) => (start === undefined || f.fundingTime >= start) && (end === undefined || f.fundingTime <= end))
      .slice(-limit).reverse()
      .map((f) => ({ symbol: bybitSymbol(config.symbol), fundingRate: formatRate(f.fundingRate), fundingRateTimestamp: String(f.fundingTime) }));
    return ok({ category, list }, exchange.now());
  });

  /**
   * Delivery prices (market/delivery-price.mdx) of the category's delivery contracts once settled,
   * newest delivery first; `settleCoin` narrows when sent. A contract not delivered yet is not listed.
   */
  app.get('/v5/market/delivery-price', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'baseCoin', 'settleCoin', 'limit', 'cursor']);
    const category = categoryOf(params);
    if (category === 'spot') throw paramsError('category only supports linear, inverse or option here');
    const config = symbolOf(symbols, params, false);
    const settleCoin = optionalString(params, 'settleCoin');
    const limit = optionalInteger(params, 'limit', 1, 200) ?? 50;
    const now = exchange.now();
    const settled = (config === undefined ? symbols.all() : [config]).flatMap((c) => {
      const delivery = c.delivery === null || !inCategory(c, category) || (settleCoin !== undefined && c.settleAsset !== settleCoin)
        ? null : exchange.engine.prices(c.symbol, now)?.delivery ?? null;
      return delivery === null || delivery.settledPrice === null ? [] : [{ config: c, time: delivery.time, price: delivery.settledPrice }];
    }).sort((x, y) => y.time - x.time);
    const { items, nextPageCursor } = page(settled, optionalString(params, 'cursor'), limit);
    return ok({
      category, nextPageCursor,
      list: items.map((d) => ({ symbol: bybitSymbol(d.config.symbol), deliveryPrice: formatPrice(d.config, d.price), deliveryTime: String(d.time) })),
    }, now);
  });

  app.get('/v5/market/tickers', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'baseCoin', 'expDate']);
    const category = categoryOf(params);
    const config = symbolOf(symbols, params, false);
    const now = exchange.now();
    // Spot and option list nothing, as instruments-info does.
    const list = (config === undefined ? symbols.all() : [config]).filter((c) => inCategory(c, category)).map((c) => tickerRow(exchange, c, now));
    return ok({ category, list }, now);
  });
}

/** A cursor as sent: once URL-encoded (as `nextPageCursor` gives it) or already decoded. */
function decodeCursor(cursor: string): string {
  try {
    return decodeURIComponent(cursor);
  } catch {
    return cursor;
  }
}
