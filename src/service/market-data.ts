/**
 * Public market data kept from the engine's public events (Applied.market): recent trades, trades
 * aggregated per taker order and price (Binance aggTrades), candles at every interval the
 * exchanges offer, built from trades in engine time, and funding settlements (the funding-rate
 * history, FUNDING_HISTORY per symbol). The book itself is the engine's (Engine.depth,
 * with its update id); tickers are read from the 1-minute candles and the book, never kept apart.
 *
 * Like the ledger it is service state: fed on every applied command (live and replayed), captured
 * in snapshots, so a restart serves the same candles. Bounded per symbol: RECENT_TRADES trades and
 * aggregated trades, CANDLES_PER_INTERVAL candles of each interval (the 1-minute ones cover more
 * than the 24 hours a ticker needs).
 *
 * It also keeps, per symbol, the mark, index and premium-index prices and the open interest over
 * time (`series`), from the engine's `prices` and `openInterest` events, as candles of a step
 * function: a candle's open is the value at its start (carried in from before), high and low the
 * extremes while it lasted, close the value at its end or now. Mark, index and premium candles are
 * kept at every interval, open interest at Binance's open-interest periods (OPEN_INTEREST_INTERVALS).
 *
 * Each symbol also counts the level changes its book updates have carried (`bookSequence`): KuCoin's
 * level2 feed numbers every single level change, so a dialect that splits a book update into one
 * message per level needs a count that a REST snapshot (taken at the engine's current book update
 * id) agrees with. It is service state like the rest, so a replay or a restored snapshot continues
 * the same numbering.
 */
import { costOf } from '../engine/margin.js';
import { buildSymbolConfig, type SymbolConfig, type SymbolSpec } from '../engine/symbol.js';
import type { FundingSettledEvent, PublicEvent, PublicTradeEvent, Side } from '../engine/types.js';

/** Every candle interval Binance offers (the others' are a subset, named their own way). */
export const CANDLE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

/** The open-interest periods (Binance's `openInterestHist`; Bybit's and KuCoin's are a subset). */
export const OPEN_INTEREST_INTERVALS = ['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d'] as const satisfies readonly CandleInterval[];
export type OpenInterestInterval = (typeof OPEN_INTEREST_INTERVALS)[number];

/** The recorded series: mark, index (ticks), premium index (10^-8), open interest (contracts). */
export type SeriesKind = 'mark' | 'index' | 'premium' | 'openInterest';
const SERIES_KINDS: readonly SeriesKind[] = ['mark', 'index', 'premium', 'openInterest'];
const seriesIntervals = (kind: SeriesKind): readonly CandleInterval[] => (kind === 'openInterest' ? OPEN_INTEREST_INTERVALS : CANDLE_INTERVALS);

/** A candle of a recorded value (a step function of engine time): open at its start, extremes, close at its end or now. */
export interface SeriesCandle<V extends number | bigint> {
  openTime: number;
  open: V;
  high: V;
  low: V;
  close: V;
}

export const RECENT_TRADES = 1000;
export const CANDLES_PER_INTERVAL = 1500;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const FIXED_MS: Record<Exclude<CandleInterval, '1w' | '1M'>, number> = {
  '1m': MINUTE, '3m': 3 * MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE, '1h': 60 * MINUTE, '2h': 120 * MINUTE,
  '4h': 240 * MINUTE, '6h': 360 * MINUTE, '8h': 480 * MINUTE, '12h': 720 * MINUTE, '1d': DAY, '3d': 3 * DAY,
};
/** 1970-01-01 was a Thursday; weeks start on Monday 00:00 UTC. */
const MONDAY_OFFSET = 4 * DAY;

/** The start of the candle of `interval` that holds `time` (UTC; weeks from Monday, months by the calendar). */
export function candleStart(interval: CandleInterval, time: number): number {
  if (interval === '1M') {
    const date = new Date(time);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  if (interval === '1w') return Math.floor((time - MONDAY_OFFSET) / (7 * DAY)) * 7 * DAY + MONDAY_OFFSET;
  const ms = FIXED_MS[interval];
  return Math.floor(time / ms) * ms;
}

/** The start of the candle after the one starting at `start`. */
export function nextCandleStart(interval: CandleInterval, start: number): number {
  if (interval === '1M') {
    const date = new Date(start);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return start + (interval === '1w' ? 7 * DAY : FIXED_MS[interval]);
}

/**
 * One candle: prices in ticks, volumes in contracts; the quote volumes are Σ the trades' costs
 * (margin.ts costOf): ticks × contracts for a linear symbol (valueOfCost makes it quote units), the
 * coin value in 10^-16 for an inverse one (valueOfCost makes it coin units: Binance COIN-M's "base
 * asset volume", Bybit's inverse turnover).
 */
export interface Candle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quoteVolume: bigint;
  trades: number;
  /** What takers bought: contracts and their cost. */
  takerBuyVolume: number;
  takerBuyQuoteVolume: bigint;
}

export interface MarketTrade {
  tradeId: number;
  price: number;
  qty: number;
  takerSide: Side;
  time: number;
}

/** Fills of one taker order at one price (Binance's aggregate trade). */
export interface AggregateTrade {
  aggId: number;
  price: number;
  qty: number;
  firstTradeId: number;
  lastTradeId: number;
  takerSide: Side;
  time: number;
}

interface SymbolMarket {
  /** The symbol's configuration: a trade's cost depends on its kind. */
  config: SymbolConfig;
  trades: MarketTrade[];
  aggTrades: AggregateTrade[];
  nextAggId: number;
  candles: Map<CandleInterval, Candle[]>;
  /** Level changes carried by the symbol's book updates so far (bids + asks of each). */
  bookChanges: number;
  /** Funding settlements, oldest first (the exchanges' funding-rate history). */
  fundings: FundingSettlement[];
  /** Mark, index, premium-index and open-interest candles per interval, oldest first. */
  series: Map<SeriesKind, Map<CandleInterval, SeriesCandle<number | bigint>[]>>;
}

/** One funding settlement of a symbol: when, at what rate (10^-8) and mark (ticks; null: none). */
export type FundingSettlement = Pick<FundingSettledEvent, 'fundingTime' | 'fundingRate' | 'markPrice'>;

/** Funding settlements kept per symbol (Binance serves up to 1000 a request; 3 a day is over 11 months). */
export const FUNDING_HISTORY = 1000;

/** 24-hour rolling statistics, from the 1-minute candles of the last 24 hours (whole minutes). */
export interface DayStats {
  openTime: number;
  closeTime: number;
  open: number | null;
  high: number | null;
  low: number | null;
  last: number | null;
  volume: number;
  quoteVolume: bigint;
  trades: number;
}

/** A command's public events, and the aggregate trades it made (each as it ended the command). */
export type MarketListener = (events: readonly PublicEvent[], aggregates: readonly AggregateTrade[]) => void;

export class MarketData {
  readonly name = 'market';
  private readonly bySymbol = new Map<string, SymbolMarket>();
  private readonly listeners = new Set<MarketListener>();

  constructor(symbols: readonly SymbolSpec[]) {
    for (const spec of symbols) this.bySymbol.set(spec.symbol, emptyMarket(buildSymbolConfig(spec)));
  }

  /** Takes one command's public events (in order) and tells the listeners (the public streams). */
  record(events: readonly PublicEvent[]): void {
    if (events.length === 0) return;
    let aggregate: AggregateTrade | null = null;
    const aggregates: AggregateTrade[] = [];
    for (const event of events) {
      if (event.type === 'book') {
        this.market(event.symbol).bookChanges += event.bids.length + event.asks.length;
        continue;
      }
      if (event.type === 'fundingSettled') {
        const { fundingTime, fundingRate, markPrice } = event;
        pushBounded(this.market(event.symbol).fundings, { fundingTime, fundingRate, markPrice }, FUNDING_HISTORY);
        continue;
      }
      if (event.type === 'prices') {
        const market = this.market(event.symbol);
        if (event.markPrice !== null) recordValue(market, 'mark', event.markPrice, event.time, null);
        if (event.indexPrice !== null) recordValue(market, 'index', event.indexPrice, event.time, null);
        if (event.premiumIndex !== null) recordValue(market, 'premium', event.premiumIndex, event.time, null);
        continue;
      }
      if (event.type === 'openInterest') {
        // Open interest is 0 until the first fill: the first candle opens at 0.
        recordValue(this.market(event.symbol), 'openInterest', event.openInterest, event.time, 0);
        continue;
      }
      if (event.type === 'liquidation') continue;
      const market = this.market(event.symbol);
      pushBounded(market.trades, { tradeId: event.tradeId, price: event.price, qty: event.qty, takerSide: event.takerSide, time: event.time }, RECENT_TRADES);
      // One command takes liquidity for one order: its fills at one price are one aggregate trade.
      if (aggregate !== null && aggregate === market.aggTrades[market.aggTrades.length - 1] && aggregate.price === event.price &&
        aggregate.takerSide === event.takerSide && aggregate.lastTradeId === event.tradeId - 1) {
        const grown: AggregateTrade = { ...aggregate, qty: aggregate.qty + event.qty, lastTradeId: event.tradeId };
        market.aggTrades[market.aggTrades.length - 1] = grown;
        aggregates[aggregates.length - 1] = grown;
        aggregate = grown;
      } else {
        aggregate = { aggId: market.nextAggId++, price: event.price, qty: event.qty, firstTradeId: event.tradeId, lastTradeId: event.tradeId, takerSide: event.takerSide, time: event.time };
        pushBounded(market.aggTrades, aggregate, RECENT_TRADES);
        aggregates.push(aggregate);
      }
      const cost = costOf(market.config, event.qty, event.price);
      for (const interval of CANDLE_INTERVALS) addToCandle(market.candles.get(interval)!, interval, event, cost);
    }
    for (const listener of this.listeners) listener(events, aggregates);
  }

  /** Public events as they are recorded; returns the unsubscribe. */
  subscribe(listener: MarketListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * How many level changes the symbol's book updates have carried so far: the sequence of the last
   * level change, when each changed level of an update is numbered in turn (bids, then asks, in the
   * update's order). It always describes the engine's current book (Engine.depth), as both move in
   * the same applied command.
   */
  /** Funding settlements, oldest first. */
  fundings(symbol: string): readonly FundingSettlement[] {
    return this.market(symbol).fundings;
  }

  bookSequence(symbol: string): number {
    return this.market(symbol).bookChanges;
  }

  /** The newest candle of `interval` (undefined before the first trade). */
  lastCandle(symbol: string, interval: CandleInterval): Candle | undefined {
    return this.market(symbol).candles.get(interval)!.at(-1);
  }

  /** Recent trades, oldest first. */
  trades(symbol: string): readonly MarketTrade[] {
    return this.market(symbol).trades;
  }

  /** Recent aggregate trades, oldest first. */
  aggTrades(symbol: string): readonly AggregateTrade[] {
    return this.market(symbol).aggTrades;
  }

  /**
   * Candles of `interval` from `start` (its candle included) up to `end`, oldest first, at most
   * `limit`: every interval is listed, one without trades at the last close with no volume (as the
   * exchanges list them), from the first trade on. `end` defaults to `now`.
   */
  candles(symbol: string, interval: CandleInterval, options: RangeOptions): Candle[] {
    return listRange(this.market(symbol).candles.get(interval)!, interval, options, (open, previous) => emptyCandle(open, previous.close));
  }

  /**
   * Candles of a recorded series, listed like `candles` (an interval in which the value did not
   * change at the value it had); [] before its first value, or for an interval the series is not kept at.
   */
  seriesCandles(symbol: string, kind: 'mark' | 'index' | 'openInterest', interval: CandleInterval, options: RangeOptions): SeriesCandle<number>[];
  seriesCandles(symbol: string, kind: 'premium', interval: CandleInterval, options: RangeOptions): SeriesCandle<bigint>[];
  seriesCandles(symbol: string, kind: SeriesKind, interval: CandleInterval, options: RangeOptions): SeriesCandle<number | bigint>[] {
    const stored = this.market(symbol).series.get(kind)!.get(interval);
    if (stored === undefined) return [];
    return listRange(stored, interval, options, (openTime, previous) => ({ openTime, open: previous.close, high: previous.close, low: previous.close, close: previous.close }));
  }

  /** The last 24 hours (the current minute and the 1,439 before it). */
  dayStats(symbol: string, now: number): DayStats {
    const minutes = this.market(symbol).candles.get('1m')!;
    const closeTime = now;
    const openTime = candleStart('1m', now) - DAY + MINUTE;
    const stats: DayStats = { openTime, closeTime, open: null, high: null, low: null, last: null, volume: 0, quoteVolume: 0n, trades: 0 };
    for (let i = lowerBound(minutes, openTime); i < minutes.length && minutes[i]!.openTime <= now; i++) {
      const c = minutes[i]!;
      stats.open ??= c.open;
      stats.high = Math.max(stats.high ?? c.high, c.high);
      stats.low = Math.min(stats.low ?? c.low, c.low);
      stats.volume += c.volume;
      stats.quoteVolume += c.quoteVolume;
      stats.trades += c.trades;
    }
    stats.last = minutes.length === 0 ? null : minutes[minutes.length - 1]!.close;
    return stats;
  }

  capture(): unknown[] {
    return [...this.bySymbol].map(([symbol, m]) => [
      symbol, m.nextAggId, [...m.trades], [...m.aggTrades], [...m.candles].map(([i, list]) => [i, [...list]]), m.bookChanges, [...m.fundings],
      [...m.series].map(([kind, byInterval]) => [kind, [...byInterval].map(([i, list]) => [i, [...list]])]),
    ]);
  }

  restore(items: unknown[]): void {
    for (const [symbol, m] of this.bySymbol) this.bySymbol.set(symbol, emptyMarket(m.config));
    type SeriesItem = [SeriesKind, [CandleInterval, SeriesCandle<number | bigint>[]][]];
    type Item = [string, number, MarketTrade[], AggregateTrade[], [CandleInterval, Candle[]][], number | undefined, FundingSettlement[] | undefined, SeriesItem[] | undefined];
    for (const item of items as Item[]) {
      const [symbol, nextAggId, trades, aggTrades, candles, bookChanges, fundings, series] = item;
      const config = this.bySymbol.get(symbol)?.config;
      if (config === undefined) continue; // a symbol no longer configured
      const market = emptyMarket(config);
      // Snapshots written before the mark/index/premium/open-interest series existed start them empty.
      for (const [kind, byInterval] of series ?? []) {
        const kept = market.series.get(kind);
        if (kept === undefined) continue;
        for (const [interval, list] of byInterval) if (kept.has(interval)) kept.set(interval, [...list]);
      }
      // A snapshot written before the count existed starts it at 0 (clients resynchronise on reconnect).
      this.bySymbol.set(symbol, {
        config, trades: [...trades], aggTrades: [...aggTrades], nextAggId, candles: new Map(candles.map(([i, list]) => [i, [...list]])), bookChanges: bookChanges ?? 0,
        // Snapshots written before the funding history existed start it empty.
        fundings: [...(fundings ?? [])],
        series: market.series,
      });
    }
  }

  private market(symbol: string): SymbolMarket {
    const market = this.bySymbol.get(symbol);
    if (market === undefined) throw new Error(`market data: symbol ${symbol} is not configured`);
    return market;
  }
}

function emptyMarket(config: SymbolConfig): SymbolMarket {
  return {
    config, trades: [], aggTrades: [], nextAggId: 1, candles: new Map(CANDLE_INTERVALS.map((i) => [i, []])), bookChanges: 0, fundings: [],
    series: new Map(SERIES_KINDS.map((kind) => [kind, new Map(seriesIntervals(kind).map((i) => [i, []]))])),
  };
}

/** Which candles a range read lists: from `start` (its candle included) up to `end` (default and at most `now`), at most `limit`. */
export interface RangeOptions {
  start?: number;
  end?: number;
  limit: number;
  now: number;
}

/**
 * The stored candles from `start` up to `end`, every interval listed (one without a stored candle
 * made by `empty` from the one before it) from the first stored on; with no start, the newest `limit`.
 */
function listRange<C extends { openTime: number }>(stored: readonly C[], interval: CandleInterval, options: RangeOptions, empty: (openTime: number, previous: C) => C): C[] {
  if (stored.length === 0) return [];
  const end = Math.min(options.end ?? options.now, options.now);
  const from = Math.max(candleStart(interval, options.start ?? 0), stored[0]!.openTime);
  // With no start, the newest `limit` candles up to end.
  let first = from;
  if (options.start === undefined) {
    first = candleStart(interval, end);
    for (let i = 1; i < options.limit && first > stored[0]!.openTime; i++) first = previousCandleStart(interval, first);
    first = Math.max(first, stored[0]!.openTime);
  }
  const out: C[] = [];
  let index = lowerBound(stored, first);
  let previous: C | undefined = index > 0 ? stored[index - 1] : undefined;
  for (let open = first; open <= end && out.length < options.limit; open = nextCandleStart(interval, open)) {
    const candle = stored[index];
    if (candle !== undefined && candle.openTime === open) {
      out.push(candle);
      previous = candle;
      index += 1;
    } else if (previous !== undefined) {
      out.push(empty(open, previous));
    }
  }
  return out;
}

/**
 * A new value of a series at `time`, into its candle of every interval kept (replaced, not mutated:
 * a captured snapshot keeps what it saw). A new candle opens at the value carried in from the one
 * before (`initial` before the first: null, the new value itself). An unchanged value changes nothing.
 */
function recordValue<V extends number | bigint>(market: SymbolMarket, kind: SeriesKind, value: V, time: number, initial: V | null): void {
  for (const [interval, untyped] of market.series.get(kind)!) {
    const candles = untyped as SeriesCandle<V>[];
    const openTime = candleStart(interval, time);
    const last = candles[candles.length - 1];
    if (last !== undefined && last.close === value) continue;
    if (last !== undefined && last.openTime === openTime) {
      candles[candles.length - 1] = { openTime, open: last.open, high: value > last.high ? value : last.high, low: value < last.low ? value : last.low, close: value };
      continue;
    }
    const open = last?.close ?? initial ?? value;
    // Engine time never goes back, so a new candle is always the newest.
    pushBounded(candles, { openTime, open, high: value > open ? value : open, low: value < open ? value : open, close: value }, CANDLES_PER_INTERVAL);
  }
}

function emptyCandle(openTime: number, price: number): Candle {
  return { openTime, open: price, high: price, low: price, close: price, volume: 0, quoteVolume: 0n, trades: 0, takerBuyVolume: 0, takerBuyQuoteVolume: 0n };
}

function previousCandleStart(interval: CandleInterval, start: number): number {
  return candleStart(interval, start - 1);
}

/** Candles are replaced, not mutated, when a trade joins one: a captured snapshot keeps what it saw. */
function addToCandle(candles: Candle[], interval: CandleInterval, trade: PublicTradeEvent, quote: bigint): void {
  const openTime = candleStart(interval, trade.time);
  const bought = trade.takerSide === 'BUY';
  const last = candles[candles.length - 1];
  if (last !== undefined && last.openTime === openTime) {
    candles[candles.length - 1] = {
      openTime, open: last.open, high: Math.max(last.high, trade.price), low: Math.min(last.low, trade.price), close: trade.price,
      volume: last.volume + trade.qty, quoteVolume: last.quoteVolume + quote, trades: last.trades + 1,
      takerBuyVolume: last.takerBuyVolume + (bought ? trade.qty : 0), takerBuyQuoteVolume: last.takerBuyQuoteVolume + (bought ? quote : 0n),
    };
    return;
  }
  // Engine time never goes back, so a new candle is always the newest.
  pushBounded(candles, {
    openTime, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volume: trade.qty, quoteVolume: quote, trades: 1,
    takerBuyVolume: bought ? trade.qty : 0, takerBuyQuoteVolume: bought ? quote : 0n,
  }, CANDLES_PER_INTERVAL);
}

function pushBounded<T>(list: T[], item: T, bound: number): void {
  list.push(item);
  if (list.length > bound) list.splice(0, list.length - bound);
}

/** The first candle opening at or after `time`. */
function lowerBound(candles: readonly { openTime: number }[], time: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid]!.openTime < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
