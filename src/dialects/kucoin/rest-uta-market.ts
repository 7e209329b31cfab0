/**
 * KuCoin's unified-account (UTA) public market endpoints that ccxt 4.5.84 `kucoinfutures` calls
 * for price klines and open interest, on the spot/UTA host (api.kucoin.com, /kucoin-spot here).
 * They are public market data, so they serve classic accounts' contracts as well:
 *
 * - `GET /api/ua/v1/market/kline?tradeType=FUTURES&symbol=&interval=[&startAt=&endAt=]`: candles
 *   newest first, `{tradeType, symbol, list: [[start (s), open, close, high, low, volume,
 *   turnover], …]}`, all strings, times in seconds. `symbol` is a contract (trade candles: volume in
 *   lots, turnover in the quote currency) or a contract with `-mark-price`, `-index-price` or
 *   `-premium-index` appended (ccxt's fetchMarkOHLCV / fetchIndexOHLCV / fetchPremiumIndexOHLCV:
 *   the recorded series, volume and turnover "0"). At most UTA_KLINE_LIMIT candles: from the one
 *   holding `startAt`, or the newest up to `endAt` (default now) without it.
 * - `GET /api/ua/v1/market/open-interest`: without `interval`, the open interest now (lots) of up to
 *   10 contracts (`symbol` comma-separated; every contract without it), `[{symbol, openInterest,
 *   ts}]`; with `interval` (5min, 15min, 30min, 1hour, 4hour, 1day) the history of one contract,
 *   `[{openInterest, ts}]` newest first: the value at each period's start, `pageSize` (30 by
 *   default, at most 200) periods walking back from `endAt` (exclusive: KuCoin says endAt can be
 *   used as the last id), none before `startAt` (ms).
 *
 * Everything else (SPOT, other parameters) is refused with 400100, as every KuCoin route here does.
 */
import type { FastifyInstance } from 'fastify';
import { formatRate, formatScaled } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { CandleInterval, OpenInterestInterval, RangeOptions, SeriesCandle } from '../../service/market-data.js';
import { badParam, ok } from './envelope.js';
import type { JsonValue } from './json.js';
import { optionalInteger, optionalString, paramsOf, requiredString, type Params } from './params.js';
import type { KucoinRestOptions } from './rest.js';
import { onlyParams } from './rest-history.js';
import { turnoverOf } from './rest-market.js';
import type { KucoinSymbols } from './symbols.js';
import { priceText } from './values.js';

/** KuCoin's kline intervals (as ccxt's `timeframes` name them) and the candle interval each is. */
export const UTA_KLINE_INTERVALS: ReadonlyMap<string, CandleInterval> = new Map([
  ['1min', '1m'], ['3min', '3m'], ['5min', '5m'], ['15min', '15m'], ['30min', '30m'], ['1hour', '1h'], ['2hour', '2h'], ['4hour', '4h'],
  ['6hour', '6h'], ['8hour', '8h'], ['12hour', '12h'], ['1day', '1d'], ['1week', '1w'], ['1month', '1M'],
]);
/** Futures candles per request (KuCoin: up to 200 a call for futures). */
export const UTA_KLINE_LIMIT = 200;

/** The open-interest periods KuCoin names, and the recorded period each is. */
export const OPEN_INTEREST_PERIODS: ReadonlyMap<string, OpenInterestInterval> = new Map([
  ['5min', '5m'], ['15min', '15m'], ['30min', '30m'], ['1hour', '1h'], ['4hour', '4h'], ['1day', '1d'],
]);
export const OPEN_INTEREST_PAGE = { defaultSize: 30, maxSize: 200 } as const;
/** Contracts an open-interest request may name (KuCoin: "supports up to 10 unique symbols"). */
const OPEN_INTEREST_SYMBOLS = 10;

/** What a kline symbol names: a contract's trades or one of its recorded price series. */
type KlineSource = 'trades' | 'mark' | 'index' | 'premium';
const SERIES_SUFFIXES: readonly [string, KlineSource][] = [['-mark-price', 'mark'], ['-index-price', 'index'], ['-premium-index', 'premium']];

function klineSymbol(symbols: KucoinSymbols, text: string): { config: SymbolConfig; source: KlineSource } {
  const [suffix, source] = SERIES_SUFFIXES.find(([s]) => text.endsWith(s)) ?? ['', 'trades'];
  const config = symbols.find(text.slice(0, text.length - suffix.length));
  if (config === undefined) {
    throw badParam(`symbol ${text} is not a contract here: send one of ${symbols.names().join(', ')}, optionally with ${SERIES_SUFFIXES.map(([s]) => s).join(', ')} appended`);
  }
  return { config, source };
}

/** Seconds as KuCoin's kline times: whole seconds (a fraction of one is refused by the integer reader). */
const secondsParam = (params: Params, name: string): number | undefined => optionalInteger(params, name, 0, Math.floor(Number.MAX_SAFE_INTEGER / 1000));

const seriesRow = <V extends number | bigint>(c: SeriesCandle<V>, text: (v: V) => string): string[] =>
  [String(c.openTime / 1000), text(c.open), text(c.close), text(c.high), text(c.low), '0', '0'];

export async function utaMarketRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const market = exchange.state.market;

  app.get('/api/ua/v1/market/kline', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, ['tradeType', 'symbol', 'interval', 'startAt', 'endAt']);
    const tradeType = requiredString(params, 'tradeType');
    if (tradeType !== 'FUTURES') throw badParam(tradeType === 'SPOT' ? 'tradeType SPOT: there are no spot markets here; send FUTURES' : 'tradeType must be SPOT or FUTURES');
    const symbolText = requiredString(params, 'symbol');
    const { config, source } = klineSymbol(symbols, symbolText);
    const intervalText = requiredString(params, 'interval');
    const interval = UTA_KLINE_INTERVALS.get(intervalText);
    if (interval === undefined) throw badParam(`interval must be one of ${[...UTA_KLINE_INTERVALS.keys()].join(', ')}`);
    const startAt = secondsParam(params, 'startAt');
    const endAt = secondsParam(params, 'endAt');
    if (startAt !== undefined && endAt !== undefined && startAt > endAt) throw badParam('startAt must not be after endAt');
    const range: RangeOptions = {
      ...(startAt === undefined ? {} : { start: startAt * 1000 }), ...(endAt === undefined ? {} : { end: endAt * 1000 }), limit: UTA_KLINE_LIMIT, now: exchange.now(),
    };
    const price = (ticks: number): string => priceText(config, ticks);
    let list: string[][];
    switch (source) {
      case 'trades':
        list = market.candles(config.symbol, interval, range).map((c) => [
          String(c.openTime / 1000), price(c.open), price(c.close), price(c.high), price(c.low), String(c.volume),
          formatScaled(turnoverOf(config, c), 8, 0),
        ]);
        break;
      case 'premium':
        list = market.seriesCandles(config.symbol, 'premium', interval, range).map((c) => seriesRow(c, formatRate));
        break;
      default:
        list = market.seriesCandles(config.symbol, source, interval, range).map((c) => seriesRow(c, price));
    }
    return ok({ tradeType, symbol: symbolText, list: list.reverse() });
  });

  app.get('/api/ua/v1/market/open-interest', async (request) => {
    const params = paramsOf(request);
    const now = exchange.now();
    const intervalText = optionalString(params, 'interval');
    if (intervalText === undefined) {
      // The present open interest of the contracts named (every contract when none is).
      onlyParams(params, ['symbol']);
      const names = optionalString(params, 'symbol')?.split(',') ?? symbols.names();
      if (new Set(names).size > OPEN_INTEREST_SYMBOLS) throw badParam(`symbol names at most ${OPEN_INTEREST_SYMBOLS} contracts`);
      const rows: JsonValue[] = [...new Set(names)].map((name) => {
        const config = symbols.find(name);
        if (config === undefined) throw badParam(`symbol ${name} is not a contract here; see GET /api/v1/contracts/active (${symbols.names().join(', ')})`);
        return { symbol: name, openInterest: String(exchange.engine.prices(config.symbol, now)!.openInterest), ts: now };
      });
      return ok(rows);
    }
    onlyParams(params, ['symbol', 'interval', 'startAt', 'endAt', 'pageSize']);
    const period = OPEN_INTEREST_PERIODS.get(intervalText);
    if (period === undefined) throw badParam(`interval must be one of ${[...OPEN_INTEREST_PERIODS.keys()].join(', ')}`);
    const name = requiredString(params, 'symbol');
    const config = symbols.find(name);
    if (config === undefined) {
      throw badParam(name.includes(',') ? 'with interval, symbol is one contract' : `symbol ${name} is not a contract here; see GET /api/v1/contracts/active (${symbols.names().join(', ')})`);
    }
    const startAt = optionalInteger(params, 'startAt', 0, Number.MAX_SAFE_INTEGER);
    const endAt = optionalInteger(params, 'endAt', 0, Number.MAX_SAFE_INTEGER);
    if (startAt !== undefined && endAt !== undefined && startAt > endAt) throw badParam('startAt must not be after endAt');
    const pageSize = optionalInteger(params, 'pageSize', 1, OPEN_INTEREST_PAGE.maxSize) ?? OPEN_INTEREST_PAGE.defaultSize;
    // The newest pageSize periods starting before endAt (the last id), none before startAt.
    const periods = market.seriesCandles(config.symbol, 'openInterest', period, { ...(endAt === undefined ? {} : { end: endAt - 1 }), limit: pageSize, now })
      .filter((c) => startAt === undefined || c.openTime >= startAt).reverse();
    return ok(periods.map((c) => ({ openInterest: String(c.open), ts: c.openTime })));
  });
}
