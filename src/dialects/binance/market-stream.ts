/**
 * Binance USDⓈ-M market streams, served on the same connections as user data (stream-names.ts
 * reads the names; stream.ts subscribes them here):
 * - `<symbol>@aggTrade`, `<symbol>@trade`: as each command trades;
 * - `<symbol>@depth[@100ms|@500ms]` (250 ms by default): the book's changed levels conflated over
 *   the window, `U` the first and `u` the last book update id in it, `pu` the previous event's `u`
 *   (so `U` = `pu` + 1 always: a gap is detectable), continuing from REST `lastUpdateId`;
 * - `<symbol>@depth<5|10|20>[@100ms|@500ms]`: the top levels, at the end of a window that changed the book;
 * - `<symbol>@bookTicker`: when the best bid or ask changes;
 * - `<symbol>@kline_<interval>`: the current candle after every command that traded, and once
 *   more with `x` true when its interval has passed (on the timer);
 * - `<symbol>@markPrice[@1s]`: mark, index, funding rate and next funding time every 3 s (1 s);
 *   `!markPrice@arr[@1s]`: every symbol's (that has a mark), as one array;
 * - `<symbol>@ticker`, `<symbol>@miniTicker`: the 24-hour figures every 500 ms; `!ticker@arr` and
 *   `!miniTicker@arr`: every symbol's, as one array, every 1 s;
 * - `!bookTicker`: every symbol's `bookTicker` event as its best bid or ask changes;
 * - `<symbol>@forceOrder`, `!forceOrder@arr`: the risk engine's liquidation orders that took
 *   liquidity, at most one per symbol per 1000 ms (Binance: "only the latest one liquidation order
 *   within 1000ms"): the first at once, a later one within the second at its end, the latest only.
 * Every frame is encoded once per stream and shared by its subscribers (wrapped per connection when
 * combined). Windows run on one timer at the finest speed (100 ms) of the service clock. A name
 * Binance publishes and this does not (`@compositeIndex`, `@assetIndex`, …) is acknowledged and never delivered.
 */
import type { BookUpdateEvent, LiquidationEvent, PublicEvent } from '../../engine/types.js';
import { formatAmount, formatRate, formatRatio } from '../../engine/fixed.js';
import { valueOfCost } from '../../engine/margin.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import { CANDLE_INTERVALS, nextCandleStart, type AggregateTrade, type Candle, type CandleInterval } from '../../service/market-data.js';
import { dayTicker } from './rest-market.js';
import { DepthWindows, type DepthDelta } from '../depth-windows.js';
import { formatPrice, formatQty, type BinanceSymbol, type BinanceSymbols } from './symbols.js';

export type MarketStream =
  | { type: 'aggTrade' | 'trade' | 'bookTicker' | 'ticker' | 'miniTicker'; symbol: BinanceSymbol }
  | { type: 'depth'; symbol: BinanceSymbol; speedMs: DepthSpeed; levels: 5 | 10 | 20 | null }
  | { type: 'kline'; symbol: BinanceSymbol; interval: CandleInterval }
  | { type: 'markPrice'; symbol: BinanceSymbol; speedMs: 1000 | 3000 }
  | { type: 'forceOrder'; symbol: BinanceSymbol }
  | { type: 'allTickers'; mini: boolean }
  | { type: 'allMarkPrices'; speedMs: 1000 | 3000 }
  | { type: 'allBookTickers' }
  | { type: 'allForceOrders' };

const DEPTH_SPEEDS = [100, 250, 500] as const;
type DepthSpeed = (typeof DEPTH_SPEEDS)[number];
const TICK_MS = 100;
/** Binance's update speeds of the 24-hour ticker streams: one symbol's, and every symbol's array. */
const TICKER_MS = 500;
const ALL_TICKERS_MS = 1000;
const ALL_TICKERS = '!ticker@arr';
const ALL_MINI_TICKERS = '!miniTicker@arr';
const ALL_MARK_PRICES = ['!markPrice@arr', 3000] as const;
const ALL_MARK_PRICES_1S = ['!markPrice@arr@1s', 1000] as const;
const ALL_BOOK_TICKERS = '!bookTicker';
const ALL_FORCE_ORDERS = '!forceOrder@arr';
/** Liquidation snapshots: at most one per symbol per this long. */
const FORCE_ORDER_MS = 1000;

/** A stream name this server publishes, or null (a name Binance has that is not served, or none at all). */
export function readMarketStream(name: string, symbols: BinanceSymbols): MarketStream | null {
  if (name === ALL_TICKERS || name === ALL_MINI_TICKERS) return { type: 'allTickers', mini: name === ALL_MINI_TICKERS };
  for (const [all, speedMs] of [ALL_MARK_PRICES, ALL_MARK_PRICES_1S]) if (name === all) return { type: 'allMarkPrices', speedMs };
  if (name === ALL_BOOK_TICKERS) return { type: 'allBookTickers' };
  if (name === ALL_FORCE_ORDERS) return { type: 'allForceOrders' };
  const [head, kind, speed, ...rest] = name.split('@');
  if (head === undefined || kind === undefined || rest.length > 0 || head !== head.toLowerCase()) return null;
  const symbol = symbols.find(head);
  if (symbol === undefined) return null;
  if (kind === 'aggTrade' || kind === 'trade' || kind === 'bookTicker' || kind === 'ticker' || kind === 'miniTicker' || kind === 'forceOrder') {
    return speed === undefined ? { type: kind, symbol } : null;
  }
  if (kind.startsWith('kline_')) {
    const interval = CANDLE_INTERVALS.find((i) => i === kind.slice('kline_'.length));
    return interval !== undefined && speed === undefined ? { type: 'kline', symbol, interval } : null;
  }
  if (kind === 'markPrice') return speed === undefined ? { type: 'markPrice', symbol, speedMs: 3000 } : speed === '1s' ? { type: 'markPrice', symbol, speedMs: 1000 } : null;
  const depth = /^depth(5|10|20)?$/.exec(kind);
  if (depth === null) return null;
  const speedMs = speed === undefined ? 250 : speed === '100ms' ? 100 : speed === '500ms' ? 500 : null;
  if (speedMs === null) return null;
  return { type: 'depth', symbol, speedMs, levels: depth[1] === undefined ? null : (Number(depth[1]) as 5 | 10 | 20) };
}

/** Where a market frame goes: a connection sends it raw or wrapped as its combined property says. */
export interface MarketSubscriber {
  deliverMarket(name: string, frame: string): void;
}

export class BinanceMarketFeed {
  private readonly subscribers = new Map<string, { stream: MarketStream; set: Set<MarketSubscriber> }>();
  /** The `@depth` diffs, per engine symbol and speed. */
  private readonly windows: DepthWindows<DepthSpeed>;
  private readonly shownTop = new Map<string, string>();
  /** Next push time per timed stream name (markPrice, ticker, miniTicker). */
  private readonly markDue = new Map<string, number>();
  /** Per kline stream: the last candle shown and whether it was shown closed. */
  private readonly klineShown = new Map<string, { openTime: number; closed: boolean }>();
  /** Per engine symbol: when its last liquidation was pushed, and the latest one held back since. */
  private readonly liquidations = new Map<string, { pushedAt: number; held: LiquidationEvent | null }>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly exchange: StreamExchange, private readonly symbols: BinanceSymbols) {
    this.windows = new DepthWindows(symbols.all().map((s) => s.config.symbol), DEPTH_SPEEDS,
      (symbol) => exchange.engine.depth(symbol, 0)!.updateId, exchange.now());
    this.unsubscribe = exchange.state.market.subscribe((events, aggregates) => this.onCommand(events, aggregates));
    this.timer = setInterval(() => this.onTick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  add(name: string, stream: MarketStream, subscriber: MarketSubscriber): void {
    let entry = this.subscribers.get(name);
    if (entry === undefined) this.subscribers.set(name, (entry = { stream, set: new Set() }));
    entry.set.add(subscriber);
  }

  remove(name: string, subscriber: MarketSubscriber): void {
    const entry = this.subscribers.get(name);
    entry?.set.delete(subscriber);
    if (entry?.set.size === 0) {
      // A later subscriber starts afresh: no close of a candle it never saw, its own push times.
      this.subscribers.delete(name);
      this.klineShown.delete(name);
      this.markDue.delete(name);
      this.shownTop.delete(name);
      if (name === ALL_BOOK_TICKERS) for (const key of [...this.shownTop.keys()]) if (key.startsWith(`${ALL_BOOK_TICKERS}|`)) this.shownTop.delete(key);
    }
  }

  private send(name: string, frame: () => string): void {
    const entry = this.subscribers.get(name);
    if (entry === undefined) return;
    const text = frame();
    for (const subscriber of entry.set) subscriber.deliverMarket(name, text);
  }

  /** One payload for several streams (a symbol's and the all-symbol one): encoded once if anyone listens. */
  private sendAll(names: readonly string[], frame: () => string): void {
    let text: string | undefined;
    for (const name of names) {
      const entry = this.subscribers.get(name);
      if (entry === undefined) continue;
      text ??= frame();
      for (const subscriber of entry.set) subscriber.deliverMarket(name, text);
    }
  }

  private onCommand(events: readonly PublicEvent[], aggregates: readonly AggregateTrade[]): void {
    const now = this.exchange.now();
    const traded = new Set<string>();
    for (const event of events) {
      // fstream publishes USDⓈ-M symbols, dstream COIN-M ones: the other host's are not this feed's.
      if (!this.symbols.lists(event.symbol)) continue;
      const symbol = this.symbols.of(event.symbol);
      const prefix = symbol.name.toLowerCase();
      if (event.type === 'publicTrade') {
        traded.add(event.symbol);
        this.send(`${prefix}@trade`, () => JSON.stringify({
          e: 'trade', E: now, T: event.time, s: symbol.name, t: event.tradeId, p: formatPrice(symbol, event.price), q: formatQty(symbol, event.qty),
          X: 'MARKET', m: event.takerSide === 'SELL',
        }));
      } else if (event.type === 'book') {
        this.windows.add(event);
        this.bookTicker(symbol, prefix, event, now);
      } else if (event.type === 'liquidation') {
        this.liquidation(symbol, prefix, event, now);
      }
    }
    for (const t of aggregates) {
      const engineSymbol = this.symbolOfAggregate(t, events);
      if (!this.symbols.lists(engineSymbol)) continue;
      const symbol = this.symbols.of(engineSymbol);
      this.send(`${symbol.name.toLowerCase()}@aggTrade`, () => JSON.stringify({
        e: 'aggTrade', E: now, s: symbol.name, a: t.aggId, p: formatPrice(symbol, t.price), q: formatQty(symbol, t.qty), f: t.firstTradeId,
        l: t.lastTradeId, T: t.time, m: t.takerSide === 'SELL',
      }));
    }
    for (const engineSymbol of traded) this.klines(this.symbols.of(engineSymbol), now);
  }

  /** The symbol of the command's trade that an aggregate starts with. */
  private symbolOfAggregate(t: AggregateTrade, events: readonly PublicEvent[]): string {
    for (const e of events) if (e.type === 'publicTrade' && e.tradeId === t.firstTradeId) return e.symbol;
    throw new Error(`aggregate trade ${t.aggId} has no trade in its command`);
  }

  /** `<symbol>@bookTicker` and `!bookTicker` (each remembers what it last showed of the symbol). */
  private bookTicker(symbol: BinanceSymbol, prefix: string, update: BookUpdateEvent, now: number): void {
    const names = [`${prefix}@bookTicker`, ALL_BOOK_TICKERS].filter((name) => this.subscribers.has(name));
    if (names.length === 0) return;
    const top = this.exchange.engine.depth(symbol.config.symbol, 1)!;
    const bid: [number, number] = top.bids[0] ?? [0, 0];
    const ask: [number, number] = top.asks[0] ?? [0, 0];
    const shown = `${bid[0]}:${bid[1]}|${ask[0]}:${ask[1]}`;
    const changed = names.filter((name) => {
      const key = name === ALL_BOOK_TICKERS ? `${ALL_BOOK_TICKERS}|${prefix}` : name;
      if (this.shownTop.get(key) === shown) return false;
      this.shownTop.set(key, shown);
      return true;
    });
    this.sendAll(changed, () => JSON.stringify({
      e: 'bookTicker', u: update.updateId, s: symbol.name, b: formatPrice(symbol, bid[0]), B: formatQty(symbol, bid[1]),
      a: formatPrice(symbol, ask[0]), A: formatQty(symbol, ask[1]), T: update.time, E: now,
    }));
  }

  /** A liquidation: pushed at once when the symbol's last one is 1000 ms old, else held (the latest) until then. */
  private liquidation(symbol: BinanceSymbol, prefix: string, event: LiquidationEvent, now: number): void {
    if (!this.subscribers.has(`${prefix}@forceOrder`) && !this.subscribers.has(ALL_FORCE_ORDERS)) return;
    const state = this.liquidations.get(event.symbol);
    if (state !== undefined && now - state.pushedAt < FORCE_ORDER_MS) {
      state.held = event;
      return;
    }
    this.liquidations.set(event.symbol, { pushedAt: now, held: null });
    this.pushLiquidation(symbol, prefix, event, now);
  }

  private pushLiquidation(symbol: BinanceSymbol, prefix: string, event: LiquidationEvent, now: number): void {
    const { config } = symbol;
    const average = formatRatio(event.cumQuote * config.tickUnits, BigInt(event.filled) * 10n ** BigInt(config.priceDecimals), config.priceDecimals);
    this.sendAll([`${prefix}@forceOrder`, ALL_FORCE_ORDERS], () => JSON.stringify({
      e: 'forceOrder', E: now, o: {
        s: symbol.name, S: event.side, o: 'LIMIT', f: 'IOC', q: formatQty(symbol, event.qty), p: formatPrice(symbol, event.price), ap: average,
        X: event.state === 'FILLED' ? 'FILLED' : 'EXPIRED', l: formatQty(symbol, event.lastQty), z: formatQty(symbol, event.filled), T: event.time,
      },
    }));
  }

  /** Held liquidations whose symbol's 1000 ms have passed. */
  private flushLiquidations(now: number): void {
    for (const [engineSymbol, state] of this.liquidations) {
      if (now - state.pushedAt < FORCE_ORDER_MS) continue;
      if (state.held === null) {
        this.liquidations.delete(engineSymbol);
        continue;
      }
      const symbol = this.symbols.of(engineSymbol);
      const held = state.held;
      state.held = null;
      state.pushedAt = now;
      this.pushLiquidation(symbol, symbol.name.toLowerCase(), held, now);
    }
  }

  private klines(symbol: BinanceSymbol, now: number): void {
    const prefix = symbol.name.toLowerCase();
    for (const interval of CANDLE_INTERVALS) {
      const name = `${prefix}@kline_${interval}`;
      if (!this.subscribers.has(name)) continue;
      const c = this.exchange.state.market.lastCandle(symbol.config.symbol, interval)!;
      // A candle shown open and not yet shown closed is closed now that a later one has begun.
      this.closeKline(symbol, interval, name, now, c.openTime);
      this.sendKline(symbol, interval, name, c, false, now);
      this.klineShown.set(name, { openTime: c.openTime, closed: false });
    }
  }

  /** The last candle shown on `name`, again with `x` true, once its interval is over (`before`: a later candle's start, or now). */
  private closeKline(symbol: BinanceSymbol, interval: CandleInterval, name: string, now: number, before: number): void {
    const shown = this.klineShown.get(name);
    if (shown === undefined || shown.closed || nextCandleStart(interval, shown.openTime) > before) return;
    const candle = this.exchange.state.market.candles(symbol.config.symbol, interval, { start: shown.openTime, end: shown.openTime, limit: 1, now })[0];
    shown.closed = true;
    if (candle !== undefined && candle.openTime === shown.openTime) this.sendKline(symbol, interval, name, candle, true, now);
  }

  private sendKline(symbol: BinanceSymbol, interval: CandleInterval, name: string, c: Candle, closed: boolean, now: number): void {
    const trades = this.exchange.state.market.trades(symbol.config.symbol);
    const end = nextCandleStart(interval, c.openTime);
    const inCandle = trades.filter((t) => t.time >= c.openTime && t.time < end);
    const quote = (cost: bigint): string => formatAmount(valueOfCost(symbol.config, cost));
    this.send(name, () => JSON.stringify({
      e: 'kline', E: now, s: symbol.name, k: {
        t: c.openTime, T: end - 1, s: symbol.name, i: interval, f: inCandle[0]?.tradeId ?? -1,
        L: inCandle.at(-1)?.tradeId ?? -1, o: formatPrice(symbol, c.open), c: formatPrice(symbol, c.close), h: formatPrice(symbol, c.high),
        l: formatPrice(symbol, c.low), v: formatQty(symbol, c.volume), n: c.trades, x: closed, q: quote(c.quoteVolume),
        V: formatQty(symbol, c.takerBuyVolume), Q: quote(c.takerBuyQuoteVolume), B: '0',
      },
    }));
  }

  /** `@ticker` and `@miniTicker` every 500 ms while subscribed. */
  private tickers(symbol: BinanceSymbol, prefix: string, now: number): void {
    for (const kind of ['ticker', 'miniTicker'] as const) {
      const name = `${prefix}@${kind}`;
      if (!this.subscribers.has(name) || now < (this.markDue.get(name) ?? 0)) continue;
      this.markDue.set(name, now + TICKER_MS);
      this.send(name, () => JSON.stringify(this.tickerEvent(symbol, kind === 'miniTicker', now)));
    }
  }

  /** `!ticker@arr` / `!miniTicker@arr`: every symbol's 24-hour event in one array, every second. */
  private allTickers(now: number): void {
    for (const name of [ALL_TICKERS, ALL_MINI_TICKERS]) {
      if (!this.subscribers.has(name) || now < (this.markDue.get(name) ?? 0)) continue;
      this.markDue.set(name, now + ALL_TICKERS_MS);
      this.send(name, () => JSON.stringify(this.symbols.all().map((symbol) => this.tickerEvent(symbol, name === ALL_MINI_TICKERS, now))));
    }
  }

  private tickerEvent(symbol: BinanceSymbol, mini: boolean, now: number): Record<string, unknown> {
    const t = dayTicker(this.exchange.state.market, symbol, now);
    if (mini) return { e: '24hrMiniTicker', E: now, s: symbol.name, c: t.lastPrice, o: t.openPrice, h: t.highPrice, l: t.lowPrice, v: t.volume, q: t.quoteVolume };
    return {
      e: '24hrTicker', E: now, s: symbol.name, p: t.priceChange, P: t.priceChangePercent, w: t.weightedAvgPrice, c: t.lastPrice, Q: t.lastQty,
      o: t.openPrice, h: t.highPrice, l: t.lowPrice, v: t.volume, q: t.quoteVolume, O: t.openTime, C: t.closeTime, F: t.firstId, L: t.lastId, n: t.count,
    };
  }

  private onTick(): void {
    const now = this.exchange.now();
    for (const symbol of this.symbols.all()) {
      const prefix = symbol.name.toLowerCase();
      for (const [speed, delta] of this.windows.due(symbol.config.symbol, now)) this.flushDepth(symbol, prefix, speed, delta, now);
      this.markPrice(symbol, prefix, now);
      this.tickers(symbol, prefix, now);
      for (const interval of CANDLE_INTERVALS) {
        const name = `${prefix}@kline_${interval}`;
        if (this.subscribers.has(name)) this.closeKline(symbol, interval, name, now, now + 1);
      }
    }
    this.allTickers(now);
    this.allMarkPrices(now);
    this.flushLiquidations(now);
  }

  private flushDepth(symbol: BinanceSymbol, prefix: string, speed: DepthSpeed, delta: DepthDelta, now: number): void {
    const suffix = speed === 250 ? '' : `@${speed}ms`;
    const header = { e: 'depthUpdate', E: now, T: delta.time, s: symbol.name, U: delta.first, u: delta.last, pu: delta.previous };
    const level = ([price, qty]: [number, number]): [string, string] => [formatPrice(symbol, price), formatQty(symbol, qty)];
    this.send(`${prefix}@depth${suffix}`, () => JSON.stringify({ ...header, b: delta.bids.map(level), a: delta.asks.map(level) }));
    for (const levels of [5, 10, 20] as const) {
      const name = `${prefix}@depth${levels}${suffix}`;
      if (!this.subscribers.has(name)) continue;
      const top = this.exchange.engine.depth(symbol.config.symbol, levels)!;
      this.send(name, () => JSON.stringify({ ...header, b: top.bids.map(level), a: top.asks.map(level) }));
    }
  }

  private markPrice(symbol: BinanceSymbol, prefix: string, now: number): void {
    for (const [suffix, speed] of [['', 3000], ['@1s', 1000]] as const) {
      const name = `${prefix}@markPrice${suffix}`;
      if (!this.subscribers.has(name)) continue;
      if (now < (this.markDue.get(name) ?? 0)) continue;
      this.markDue.set(name, now + speed);
      const update = this.markPriceEvent(symbol, now);
      // Nothing to tell before the symbol has a mark price.
      if (update !== null) this.send(name, () => JSON.stringify(update));
    }
  }

  /** `!markPrice@arr[@1s]`: every symbol's mark price event (those with a mark) in one array. */
  private allMarkPrices(now: number): void {
    for (const [name, speed] of [ALL_MARK_PRICES, ALL_MARK_PRICES_1S]) {
      if (!this.subscribers.has(name) || now < (this.markDue.get(name) ?? 0)) continue;
      this.markDue.set(name, now + speed);
      const updates = this.symbols.all().map((symbol) => this.markPriceEvent(symbol, now)).filter((u) => u !== null);
      if (updates.length > 0) this.send(name, () => JSON.stringify(updates));
    }
  }

  private markPriceEvent(symbol: BinanceSymbol, now: number): Record<string, unknown> | null {
    const info = this.exchange.engine.prices(symbol.config.symbol, now)!;
    if (info.markPrice === null) return null;
    return {
      e: 'markPriceUpdate', E: now, s: symbol.name, p: formatPrice(symbol, info.markPrice), i: formatPrice(symbol, info.indexPrice ?? 0),
      P: formatPrice(symbol, info.indexPrice ?? 0), r: formatRate(info.predictedFundingRate), T: info.nextFundingTime,
    };
  }
}
