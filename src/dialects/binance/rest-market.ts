/**
 * Binance USDⓈ-M public market data (no credentials): order book with its `lastUpdateId` (the id
 * the depth stream's `U` / `u` / `pu` continue from), recent and aggregate trades, candles, 24-hour
 * tickers, prices and best bid/ask, the mark/index/funding of `premiumIndex`, mark / index /
 * premium-index klines, the open interest and its history (`/futures/data/openInterestHist`, from
 * the service's open-interest candles: the value at each period's start). Read from the
 * engine's book (Engine.depth) and the market-data service (src/service/market-data.ts); limits and
 * defaults as Binance documents them; parameters an endpoint does not read are refused (-1104).
 */
import type { FastifyInstance } from 'fastify';
import { formatAmount, formatRate, formatRatio, formatScaled, parseAmount } from '../../engine/fixed.js';
import { formatEntryPrice } from '../../engine/format.js';
import { buildPricingConfig } from '../../engine/pricing-config.js';
import {
  CANDLE_INTERVALS, nextCandleStart, OPEN_INTEREST_INTERVALS, type AggregateTrade, type Candle, type CandleInterval, type MarketData, type RangeOptions, type SeriesCandle,
} from '../../service/market-data.js';
import { BinanceError, ERR } from './errors.js';
import { enumParam, integerParam, optional, paramsOf, symbolParam, type Params } from './params.js';
import type { BinanceRestOptions } from './rest.js';
import { onlyParams } from './rest-history.js';
import { formatPrice, formatQty, pairOf, type BinanceSymbol } from './symbols.js';
import { contractTypeOf } from './contracts.js';
import { notional, valueOfCost } from '../../engine/margin.js';

/** `GET /fapi/v1/depth` limits Binance accepts. */
export const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000] as const;
const HOUR = 3600_000;

const invalidLimit = (): BinanceError => new BinanceError(ERR.INVALID_PARAM, "Invalid data sent for a parameter: 'limit' must be one of 5, 10, 20, 50, 100, 500, 1000.");
const invalidInterval = (): BinanceError => new BinanceError(ERR.INVALID_PARAM, `Invalid interval: use one of ${CANDLE_INTERVALS.join(', ')}.`);

/** A candle's quote volume (market-data.ts: Σ costs) as a decimal: USDⓈ-M in the quote asset, COIN-M in the coin ("base asset volume"). */
const quote = (symbol: BinanceSymbol, cost: bigint): string => formatAmount(valueOfCost(symbol.config, cost));

/** A Binance kline row: open time, OHLC, volume, close time, quote volume, trades, taker buy volume and quote volume, "0". */
export function klineRow(symbol: BinanceSymbol, c: Candle, closeTime: number): (number | string)[] {
  return [
    c.openTime, formatPrice(symbol, c.open), formatPrice(symbol, c.high), formatPrice(symbol, c.low), formatPrice(symbol, c.close),
    formatQty(symbol, c.volume), closeTime, quote(symbol, c.quoteVolume), c.trades, formatQty(symbol, c.takerBuyVolume),
    quote(symbol, c.takerBuyQuoteVolume), '0',
  ];
}

/**
 * A mark / index / premium-index kline row: open time, OHLC, then Binance's "ignore" columns (volume,
 * quote volume and taker figures "0", no count), with the close time in its place.
 */
function seriesRow<V extends number | bigint>(c: SeriesCandle<V>, interval: CandleInterval, text: (value: V) => string): (number | string)[] {
  return [c.openTime, text(c.open), text(c.high), text(c.low), text(c.close), '0', closeTimeOf(interval, c.openTime), '0', 0, '0', '0', '0'];
}

/** A premium index as Binance writes it: 8 decimals ("-0.00042931"). */
const premiumText = (value: bigint): string => formatScaled(value, 8, 8);

/** Contracts of a symbol as a base quantity with 8 decimals (`openInterestHist`: "20403.63700000"). */
const base8 = (symbol: BinanceSymbol, contracts: number): string => formatAmount(BigInt(contracts) * parseAmount(symbol.config.spec.contractSize), 8);

/** A symbol's 24-hour figures as Binance words them (REST `ticker/24hr` and the `@ticker` stream). */
export interface DayTicker {
  priceChange: string;
  priceChangePercent: string;
  weightedAvgPrice: string;
  lastPrice: string;
  lastQty: string;
  openPrice: string;
  highPrice: string;
  lowPrice: string;
  volume: string;
  quoteVolume: string;
  openTime: number;
  closeTime: number;
  firstId: number;
  lastId: number;
  count: number;
}

export function dayTicker(market: MarketData, symbol: BinanceSymbol, now: number): DayTicker {
  const stats = market.dayStats(symbol.config.symbol, now);
  const recent = market.trades(symbol.config.symbol);
  const trades = recent.filter((t) => t.time >= stats.openTime);
  const last = stats.last ?? 0;
  const open = stats.open ?? last;
  const change = last - open;
  const { config } = symbol;
  return {
    priceChange: change < 0 ? `-${formatPrice(symbol, -change)}` : formatPrice(symbol, change),
    priceChangePercent: open === 0 ? '0.000' : formatRatio(BigInt(change) * 100n, BigInt(open), 3),
    // Σ costs over Σ contracts: the mean price (linear), the harmonic mean (COIN-M), at the tick's decimals.
    weightedAvgPrice: stats.volume === 0 ? '0' : formatEntryPrice(config, stats.quoteVolume, stats.volume, 0),
    lastPrice: formatPrice(symbol, last),
    lastQty: formatQty(symbol, recent.at(-1)?.qty ?? 0),
    openPrice: formatPrice(symbol, open),
    highPrice: formatPrice(symbol, stats.high ?? 0),
    lowPrice: formatPrice(symbol, stats.low ?? 0),
    volume: formatQty(symbol, stats.volume),
    quoteVolume: quote(symbol, stats.quoteVolume),
    openTime: stats.openTime,
    closeTime: stats.closeTime,
    firstId: trades[0]?.tradeId ?? -1,
    lastId: trades.at(-1)?.tradeId ?? -1,
    count: stats.trades,
  };
}

/** An aggregate trade as `/fapi/v1/aggTrades` and the `aggTrade` stream's core fields name them. */
export function aggTradeRow(symbol: BinanceSymbol, t: AggregateTrade): Record<string, unknown> {
  return { a: t.aggId, p: formatPrice(symbol, t.price), q: formatQty(symbol, t.qty), f: t.firstTradeId, l: t.lastTradeId, T: t.time, m: t.takerSide === 'SELL' };
}

export async function marketRoutes(app: FastifyInstance, options: BinanceRestOptions): Promise<void> {
  const { exchange, symbols, api } = options;
  const coinm = api === 'dapi';
  const market = exchange.state.market;

  /** The symbol asked for, or every symbol (the endpoints that answer a list without one). */
  const symbolsOf = (params: Params): { one: boolean; list: BinanceSymbol[] } =>
    optional(params, 'symbol') === undefined ? { one: false, list: symbols.all() } : { one: true, list: [symbolParam(params, symbols)] };

  app.get(`/${api}/v1/depth`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'limit']);
    const symbol = symbolParam(params, symbols);
    const limit = integerParam(params, 'limit', 1, 1000) ?? 500;
    if (!(DEPTH_LIMITS as readonly number[]).includes(limit)) throw invalidLimit();
    const depth = exchange.engine.depth(symbol.config.symbol, limit)!;
    const now = exchange.now();
    const level = ([price, qty]: [number, number]): [string, string] => [formatPrice(symbol, price), formatQty(symbol, qty)];
    return { lastUpdateId: depth.updateId, E: now, T: now, bids: depth.bids.map(level), asks: depth.asks.map(level) };
  });

  app.get(`/${api}/v1/trades`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'limit']);
    const symbol = symbolParam(params, symbols);
    const limit = integerParam(params, 'limit', 1, 1000) ?? 500;
    const trades = market.trades(symbol.config.symbol);
    return trades.slice(Math.max(0, trades.length - limit)).map((t) => ({
      id: t.tradeId, price: formatPrice(symbol, t.price), qty: formatQty(symbol, t.qty),
      // COIN-M: the coin value of the trade (`baseQty`); USDⓈ-M: the quote value.
      ...(coinm ? { baseQty: formatAmount(notional(symbol.config, t.qty, t.price)) } : { quoteQty: quote(symbol, BigInt(t.qty) * BigInt(t.price)) }),
      time: t.time, isBuyerMaker: t.takerSide === 'SELL',
    }));
  });

  app.get(`/${api}/v1/aggTrades`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'fromId', 'startTime', 'endTime', 'limit']);
    const symbol = symbolParam(params, symbols);
    const limit = integerParam(params, 'limit', 1, 1000) ?? 500;
    const fromId = integerParam(params, 'fromId', 0, Number.MAX_SAFE_INTEGER);
    const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    // Binance: startTime and endTime together must be less than an hour apart.
    if (start !== undefined && end !== undefined && (end < start || end - start >= HOUR)) {
      throw new BinanceError(ERR.INVALID_PARAM, 'Invalid data sent for a parameter: startTime and endTime must be less than one hour apart, endTime not before startTime.');
    }
    const all = market.aggTrades(symbol.config.symbol);
    let rows: readonly AggregateTrade[];
    if (fromId !== undefined) rows = all.filter((t) => t.aggId >= fromId).slice(0, limit);
    else if (start !== undefined || end !== undefined) {
      const from = start ?? end! - HOUR + 1;
      const to = end ?? start! + HOUR - 1;
      rows = all.filter((t) => t.time >= from && t.time <= to).slice(0, limit);
    } else rows = all.slice(Math.max(0, all.length - limit));
    return rows.map((t) => aggTradeRow(symbol, t));
  });

  app.get(`/${api}/v1/klines`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'interval', 'startTime', 'endTime', 'limit']);
    const symbol = symbolParam(params, symbols);
    const interval = enumParam(params, 'interval', CANDLE_INTERVALS, invalidInterval());
    if (interval === undefined) throw new BinanceError(ERR.MANDATORY_PARAM, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
    const limit = integerParam(params, 'limit', 1, 1500) ?? 500;
    const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    const now = exchange.now();
    const candles = market.candles(symbol.config.symbol, interval, { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), limit, now });
    return candles.map((c) => klineRow(symbol, c, closeTimeOf(interval, c.openTime)));
  });

  /** interval (required), startTime, endTime, limit (default 500, at most 1500): the kline endpoints' range. */
  const klineRange = (params: Params): { interval: CandleInterval; range: RangeOptions } => {
    const interval = enumParam(params, 'interval', CANDLE_INTERVALS, invalidInterval());
    if (interval === undefined) throw new BinanceError(ERR.MANDATORY_PARAM, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
    const limit = integerParam(params, 'limit', 1, 1500) ?? 500;
    const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    return { interval, range: { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), limit, now: exchange.now() } };
  };

  app.get(`/${api}/v1/markPriceKlines`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'interval', 'startTime', 'endTime', 'limit']);
    const symbol = symbolParam(params, symbols);
    const { interval, range } = klineRange(params);
    return market.seriesCandles(symbol.config.symbol, 'mark', interval, range).map((c) => seriesRow(c, interval, (v) => formatPrice(symbol, v)));
  });

  /** Index klines are per pair (`pair`, as ccxt sends it: the perpetual's name). */
  app.get(`/${api}/v1/indexPriceKlines`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['pair', 'interval', 'startTime', 'endTime', 'limit']);
    const symbol = symbolParam(params, symbols, 'pair');
    const { interval, range } = klineRange(params);
    return market.seriesCandles(symbol.config.symbol, 'index', interval, range).map((c) => seriesRow(c, interval, (v) => formatPrice(symbol, v)));
  });

  app.get(`/${api}/v1/premiumIndexKlines`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'interval', 'startTime', 'endTime', 'limit']);
    const symbol = symbolParam(params, symbols);
    const { interval, range } = klineRange(params);
    return market.seriesCandles(symbol.config.symbol, 'premium', interval, range).map((c) => seriesRow(c, interval, premiumText));
  });

  /** The present open interest: Σ of the long positions, in the base asset. */
  app.get(`/${api}/v1/openInterest`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const symbol = symbolParam(params, symbols);
    const now = exchange.now();
    const openInterest = formatQty(symbol, exchange.engine.prices(symbol.config.symbol, now)!.openInterest);
    // COIN-M adds the pair and the contract type.
    if (coinm) return { symbol: symbol.name, pair: pairOf(symbol.config), openInterest, contractType: contractTypeOf(symbol.config, now), time: now };
    return { openInterest, symbol: symbol.name, time: now };
  });

  /**
   * Open interest statistics: per period (5m … 1d) the open interest at the period's start and its
   * value at the mark of that moment; the newest `limit` (default 30, at most 500), or from startTime.
   */
  if (!coinm) app.get('/futures/data/openInterestHist', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'period', 'limit', 'startTime', 'endTime']);
    const symbol = symbolParam(params, symbols);
    const period = enumParam(params, 'period', OPEN_INTEREST_INTERVALS,
      new BinanceError(ERR.INVALID_PARAM, `Invalid period: use one of ${OPEN_INTEREST_INTERVALS.join(', ')}.`));
    if (period === undefined) throw new BinanceError(ERR.MANDATORY_PARAM, "Mandatory parameter 'period' was not sent, was empty/null, or malformed.");
    const limit = integerParam(params, 'limit', 1, 500) ?? 30;
    const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    const range: RangeOptions = { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), limit, now: exchange.now() };
    const engineSymbol = symbol.config.symbol;
    const rows = market.seriesCandles(engineSymbol, 'openInterest', period, range);
    if (rows.length === 0) return [];
    const marks = new Map(market.seriesCandles(engineSymbol, 'mark', period, { start: rows[0]!.openTime, end: rows.at(-1)!.openTime, limit, now: range.now })
      .map((c) => [c.openTime, c.open]));
    return rows.map((c) => ({
      symbol: symbol.name, sumOpenInterest: base8(symbol, c.open),
      sumOpenInterestValue: formatAmount(BigInt(c.open) * BigInt(marks.get(c.openTime) ?? 0) * symbol.config.valuePerTickContract, 8),
      timestamp: String(c.openTime),
    }));
  });

  app.get(`/${api}/v1/ticker/24hr`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const { one, list } = symbolsOf(params);
    const now = exchange.now();
    const rows = list.map((symbol) => {
      const t = dayTicker(market, symbol, now);
      return {
        symbol: symbol.name, ...(coinm ? { pair: pairOf(symbol.config) } : {}), priceChange: t.priceChange, priceChangePercent: t.priceChangePercent, weightedAvgPrice: t.weightedAvgPrice,
        lastPrice: t.lastPrice, lastQty: t.lastQty, openPrice: t.openPrice, highPrice: t.highPrice, lowPrice: t.lowPrice, volume: t.volume,
        // COIN-M names the coin volume baseVolume (USDⓈ-M: quoteVolume in the quote asset).
        ...(coinm ? { baseVolume: t.quoteVolume } : { quoteVolume: t.quoteVolume }), openTime: t.openTime, closeTime: t.closeTime, firstId: t.firstId, lastId: t.lastId, count: t.count,
      };
    });
    return one && !coinm ? rows[0] : rows;
  });

  const priceTicker = (request: Parameters<typeof paramsOf>[0]) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const { one, list } = symbolsOf(params);
    const now = exchange.now();
    const rows = list.map((symbol) => ({ symbol: symbol.name, price: formatPrice(symbol, exchange.engine.market(symbol.config.symbol)?.lastPrice ?? 0), time: now }));
    return one ? rows[0] : rows;
  };
  app.get(`/${api}/v1/ticker/price`, async (request) => priceTicker(request));
  if (!coinm) app.get('/fapi/v2/ticker/price', async (request) => priceTicker(request));

  app.get(`/${api}/v1/ticker/bookTicker`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const { one, list } = symbolsOf(params);
    const now = exchange.now();
    const rows = list.map((symbol) => {
      const top = exchange.engine.depth(symbol.config.symbol, 1)!;
      const [bid, ask] = [top.bids[0], top.asks[0]];
      return {
        symbol: symbol.name, bidPrice: formatPrice(symbol, bid?.[0] ?? 0), bidQty: formatQty(symbol, bid?.[1] ?? 0),
        askPrice: formatPrice(symbol, ask?.[0] ?? 0), askQty: formatQty(symbol, ask?.[1] ?? 0), time: now, lastUpdateId: top.updateId,
      };
    });
    return one ? rows[0] : rows;
  });

  /** Funding-rate history, oldest first: the last `limit` settlements, or the first `limit` from startTime. */
  app.get(`/${api}/v1/fundingRate`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'startTime', 'endTime', 'limit']);
    const { list } = symbolsOf(params);
    const limit = integerParam(params, 'limit', 1, 1000) ?? 100;
    const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    const rows = list.flatMap((symbol) => market.fundings(symbol.config.symbol).map((f) => ({ symbol, f })))
      .filter(({ f }) => (start === undefined || f.fundingTime >= start) && (end === undefined || f.fundingTime <= end))
      .sort((x, y) => x.f.fundingTime - y.f.fundingTime);
    const picked = start === undefined ? rows.slice(Math.max(0, rows.length - limit)) : rows.slice(0, limit);
    return picked.map(({ symbol, f }) => ({
      symbol: symbol.name, fundingTime: f.fundingTime, fundingRate: formatRate(f.fundingRate), markPrice: f.markPrice === null ? '' : formatPrice(symbol, f.markPrice),
    }));
  });

  app.get(`/${api}/v1/premiumIndex`, async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const { one, list } = symbolsOf(params);
    const now = exchange.now();
    const rows = list.map((symbol) => {
      const info = exchange.engine.prices(symbol.config.symbol, now)!;
      // A delivery contract pays no funding: Binance leaves its rates empty and its funding time 0.
      const perpetual = symbol.config.delivery === null;
      return {
        symbol: symbol.name, ...(coinm ? { pair: pairOf(symbol.config) } : {}),
        markPrice: formatPrice(symbol, info.markPrice ?? 0), indexPrice: formatPrice(symbol, info.indexPrice ?? 0),
        estimatedSettlePrice: formatPrice(symbol, info.indexPrice ?? 0), lastFundingRate: perpetual ? formatRate(info.predictedFundingRate) : '',
        interestRate: perpetual ? formatRate(buildPricingConfig(symbol.config).interestRate) : '', nextFundingTime: perpetual ? info.nextFundingTime : 0, time: now,
      };
    });
    // COIN-M answers a list even for one symbol.
    return one && !coinm ? rows[0] : rows;
  });
}

/** A candle's close time as Binance gives it: the last millisecond before the next candle. */
function closeTimeOf(interval: CandleInterval, openTime: number): number {
  return nextCandleStart(interval, openTime) - 1;
}
