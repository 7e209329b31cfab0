/**
 * KuCoin futures' classic price-index histories (public, api-futures host), read from the
 * market-data service's recorded series (src/service/market-data.ts: index and premium index as
 * candles of a step function):
 * - `GET /api/v1/index/query?symbol=.KXBTUSDT`: the spot index, `{symbol, granularity, timePoint,
 *   value, decomposionList}`;
 * - `GET /api/v1/premium/query?symbol=.XBTUSDTMPI`: the premium index, `{symbol, granularity,
 *   timePoint, value}`;
 * each as `{dataList, hasMore}`, paged the way KuCoin documents it: `startAt` / `endAt` (ms, both
 * inclusive), `reverse` (newest first, the default), `offset` (the `timePoint` of the last item of
 * the previous page: a point's time is its unique attribute here) with `forward`, `maxCount` (10 by
 * default, at most 100).
 *
 * A point is the value held at its `timePoint`, one per minute (granularity 60000): the close of the
 * one-minute candle that ends there, so every point is exact, and the newest is at the start of the
 * current minute. KuCoin snapshots its spot index once a second; the service keeps the index as
 * candles, not second by second, so the index is listed per minute too (docs/dialects/kucoin.md).
 * The premium index is KuCoin's per-minute one (`premiumsSymbol1M`); the 8-hour symbol
 * (`premiumsSymbol8H`) and `/api/v1/interest/query` (KuCoin's per-currency interest indices; the
 * engine has one interest rate per contract, in its configuration) are not served.
 */
import type { FastifyInstance } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import { CANDLES_PER_INTERVAL } from '../../service/market-data.js';
import { badParam, ok } from './envelope.js';
import type { JsonValue } from './json.js';
import { optionalInteger, paramsOf, requiredString, type Params } from './params.js';
import type { KucoinRestOptions } from './rest.js';
import { offsetPage, onlyParams } from './rest-history.js';
import { indexSymbolName, premium8hSymbolName, premiumSymbolName } from './symbols.js';
import { priceNum, rateNum } from './values.js';

/** One point a minute. */
export const INDEX_GRANULARITY_MS = 60_000;
/** KuCoin: "The default record count is 10; the maximum length cannot exceed 100". */
export const INDEX_QUERY_LIMITS = { defaultCount: 10, maxCount: 100 } as const;

const PAGING = ['symbol', 'startAt', 'endAt', 'reverse', 'offset', 'forward', 'maxCount'];

/** A value of a recorded series at a point in time (engine units: ticks, or 10^-8 for the premium index). */
interface Point<V> {
  timePoint: number;
  value: V;
}

/** The points of a series, oldest first: each minute start up to now with the value held then. */
function minutePoints<V extends number | bigint>(candles: readonly { openTime: number; close: V }[], now: number): Point<V>[] {
  const points: Point<V>[] = [];
  for (const c of candles) {
    const timePoint = c.openTime + INDEX_GRANULARITY_MS;
    if (timePoint <= now) points.push({ timePoint, value: c.close });
  }
  return points;
}

/** The page a query asks for, from the points (oldest first) between startAt and endAt. */
function pageOf<V>(points: readonly Point<V>[], params: Params): { page: Point<V>[]; hasMore: boolean } {
  const start = optionalInteger(params, 'startAt', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endAt', 0, Number.MAX_SAFE_INTEGER);
  if (start !== undefined && end !== undefined && start > end) throw badParam('startAt must not be after endAt');
  const count = optionalInteger(params, 'maxCount', 1, INDEX_QUERY_LIMITS.maxCount) ?? INDEX_QUERY_LIMITS.defaultCount;
  const inWindow = points.filter((p) => (start === undefined || p.timePoint >= start) && (end === undefined || p.timePoint <= end));
  return offsetPage(inWindow, (p) => p.timePoint, params, count);
}

/** The series symbol asked for: one of `names` (series name → contract), or 400100 saying which are served. */
function seriesSymbol(params: Params, names: ReadonlyMap<string, SymbolConfig>, refused: ReadonlyMap<string, string>): [string, SymbolConfig] {
  const name = requiredString(params, 'symbol');
  const config = names.get(name);
  if (config !== undefined) return [name, config];
  const why = refused.get(name);
  throw badParam(why ?? `symbol ${name} is not served here: send one of ${[...names.keys()].join(', ')}`);
}

export async function indexHistoryRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const market = exchange.state.market;
  const indexNames = new Map(symbols.all().map((config) => [indexSymbolName(config), config]));
  const premiumNames = new Map(symbols.all().map((config) => [premiumSymbolName(symbols.name(config.symbol)), config]));
  const contractHint = (kind: string, names: ReadonlyMap<string, SymbolConfig>) => new Map(symbols.all().map((config) => [
    symbols.name(config.symbol), `symbol is the ${kind} symbol of a contract (its contract object's field), not the contract: send one of ${[...names.keys()].join(', ')}`,
  ]));
  const premiumRefused = new Map([
    ...contractHint('premium index (premiumsSymbol1M)', premiumNames),
    ...symbols.all().map((config): [string, string] => {
      const contract = symbols.name(config.symbol);
      return [premium8hSymbolName(contract), `${premium8hSymbolName(contract)} (the 8-hour premium index) is not served here; the 1-minute premium index is ${premiumSymbolName(contract)}`];
    }),
  ]);

  app.get('/api/v1/index/query', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, PAGING);
    const [name, config] = seriesSymbol(params, indexNames, contractHint('index (indexSymbol)', indexNames));
    const now = exchange.now();
    // Every minute the service keeps (CANDLES_PER_INTERVAL of each interval).
    const kept = market.seriesCandles(config.symbol, 'index', '1m', { limit: CANDLES_PER_INTERVAL, now });
    const { page, hasMore } = pageOf(minutePoints(kept, now), params);
    // The index is the operator's (admin API or simulator): there are no constituent exchanges to list.
    const dataList: JsonValue[] = page.map((p) => ({
      symbol: name, granularity: INDEX_GRANULARITY_MS, timePoint: p.timePoint, value: priceNum(config, p.value), decomposionList: [],
    }));
    return ok({ hasMore, dataList });
  });

  app.get('/api/v1/premium/query', async (request) => {
    const params = paramsOf(request);
    onlyParams(params, PAGING);
    const [name, config] = seriesSymbol(params, premiumNames, premiumRefused);
    const now = exchange.now();
    const kept = market.seriesCandles(config.symbol, 'premium', '1m', { limit: CANDLES_PER_INTERVAL, now });
    const { page, hasMore } = pageOf(minutePoints(kept, now), params);
    const dataList: JsonValue[] = page.map((p) => ({ symbol: name, granularity: INDEX_GRANULARITY_MS, timePoint: p.timePoint, value: rateNum(p.value) }));
    return ok({ hasMore, dataList });
  });
}
