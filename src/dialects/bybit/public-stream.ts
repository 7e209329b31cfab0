/**
 * Bybit v5's public streams, one per category: linear contracts at /bybit/v5/public/linear and
 * inverse ones at /bybit/v5/public/inverse (each knows its own category's symbols only; no authentication):
 * `subscribe` / `unsubscribe` topics, `ping` → Bybit's linear pong (`ret_msg` "pong", `op` "ping").
 * Topics (docs/dialects/bybit.md, "Public market data"):
 * - `orderbook.{1|50|200|1000}.{symbol}`: a snapshot at subscription, then, per window of Bybit's
 *   push frequency (10, 20, 100, 200 ms), a `delta` of the levels of the top-N view that changed
 *   (size "0": gone from the view), `u` +1 per push of the topic (1 after a start, as Bybit's
 *   "u=1: overwrite your book"), `seq` the engine's book update id the view was taken at. Level 1 is
 *   snapshots only, repeated with the same `u` after 3 s without a change;
 * - `publicTrade.{symbol}`: a command's trades, in match order, as it is applied;
 * - `tickers.{symbol}`: a snapshot at subscription, then every 100 ms a `delta` of the fields that changed;
 * - `kline.{interval}.{symbol}`: the current candle after each command that traded in it (`confirm`
 *   false), and the previous candle once more with `confirm` true when a trade opens a new one;
 * - `allLiquidation.{symbol}`: the risk engine's liquidation orders that took liquidity, every one,
 *   pushed at most every 500 ms (the first at once, later ones together at the window's end): `S`
 *   the liquidated position's side (Buy: a long), `v` the executed size, `p` the bankruptcy price.
 * Each push is encoded once per topic and shared by the topic's subscribers. The windows run on one
 * 10 ms timer of the service clock, running while an orderbook or tickers topic has a subscriber.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { LiquidationEvent, PublicEvent } from '../../engine/types.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { readJsonObject } from '../../gateway/inbound.js';
import { CloseCode, type GatewayLimits } from '../../gateway/limits.js';
import { Session } from '../../gateway/session.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import { nextCandleStart, type Candle, type CandleInterval } from '../../service/market-data.js';
import { formatPrice } from '../../engine/format.js';
import { KLINE_INTERVALS, level, tickDirection, tickerRow } from './rest-market.js';
import { baseQty, bybitSymbol, turnover, type BybitSymbols } from './symbols.js';

export const PUBLIC_LINEAR_PATH = '/bybit/v5/public/linear';
export const PUBLIC_INVERSE_PATH = '/bybit/v5/public/inverse';

/** Bybit's book depths for linear contracts and their push frequencies (ms). */
export const BOOK_DEPTHS: ReadonlyMap<number, number> = new Map([[1, 10], [50, 20], [200, 100], [1000, 200]]);
const TICKER_MS = 100;
/** Level 1: a snapshot again after this long without a change. */
const LEVEL1_REPEAT_MS = 3000;
const TICK_MS = 10;
/** allLiquidation: Bybit's push frequency. */
const LIQUIDATION_MS = 500;
/** Bybit: the `args` of one public request may not exceed 21,000 characters. */
const MAX_ARGS_CHARS = 21_000;

export type PublicTopic =
  | { kind: 'orderbook'; name: string; config: SymbolConfig; depth: number }
  | { kind: 'publicTrade' | 'tickers' | 'allLiquidation'; name: string; config: SymbolConfig }
  | { kind: 'kline'; name: string; config: SymbolConfig; interval: CandleInterval; bybitInterval: string };

/** A public topic this server publishes, or null. */
export function readPublicTopic(name: string, symbols: BybitSymbols): PublicTopic | null {
  const parts = name.split('.');
  const config = symbols.find(parts[parts.length - 1] ?? '');
  if (config === undefined) return null;
  if (parts.length === 2 && (parts[0] === 'publicTrade' || parts[0] === 'tickers' || parts[0] === 'allLiquidation')) return { kind: parts[0], name, config };
  if (parts.length !== 3) return null;
  if (parts[0] === 'orderbook') {
    const depth = Number(parts[1]);
    return BOOK_DEPTHS.has(depth) && String(depth) === parts[1] ? { kind: 'orderbook', name, config, depth } : null;
  }
  if (parts[0] === 'kline') {
    const interval = KLINE_INTERVALS.get(parts[1]!);
    return interval === undefined ? null : { kind: 'kline', name, config, interval, bybitInterval: parts[1]! };
  }
  return null;
}

/** Orderbook, tickers and liquidation topics push on the timer; trades and klines as commands are applied. */
const timed = (topic: PublicTopic): boolean => topic.kind === 'orderbook' || topic.kind === 'tickers' || topic.kind === 'allLiquidation';

export interface PublicSubscriber {
  deliver(frame: string): void;
}

/** The top-N view of a book last pushed on an orderbook topic, with its `u`. */
interface BookView {
  topic: Extract<PublicTopic, { kind: 'orderbook' }>;
  bids: Map<number, number>;
  asks: Map<number, number>;
  u: number;
  seq: number;
  dirty: boolean;
  dueAt: number;
  pushedAt: number;
}

interface TickerView {
  shown: Record<string, string>;
  dueAt: number;
}

export class BybitPublicFeed {
  private readonly subscribers = new Map<string, { topic: PublicTopic; set: Set<PublicSubscriber> }>();
  /** Per orderbook topic, kept after its last subscriber leaves so that `u` only grows. */
  private readonly books = new Map<string, BookView>();
  private readonly tickers = new Map<string, TickerView>();
  /** Per kline topic: the start of the candle last pushed. */
  private readonly klineStarts = new Map<string, number>();
  /** Engine time of each symbol's last book change (`cts`). */
  private readonly bookTimes = new Map<string, number>();
  /** Per allLiquidation topic: when it last pushed, and the liquidations since. */
  private readonly liquidations = new Map<string, { pushedAt: number; held: LiquidationEvent[] }>();
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly exchange: StreamExchange, private readonly symbols: BybitSymbols) {
    this.unsubscribe = exchange.state.market.subscribe((events) => this.onCommand(events));
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe();
  }

  /** Adds a subscriber; an orderbook or tickers topic sends it its snapshot at once. */
  add(topic: PublicTopic, subscriber: PublicSubscriber): void {
    let entry = this.subscribers.get(topic.name);
    const first = entry === undefined;
    if (entry === undefined) this.subscribers.set(topic.name, (entry = { topic, set: new Set() }));
    entry.set.add(subscriber);
    const now = this.exchange.now();
    if (topic.kind === 'orderbook') subscriber.deliver(this.bookSnapshot(topic, first, now));
    else if (topic.kind === 'tickers') subscriber.deliver(this.tickerSnapshot(topic, first, now));
    if (this.timer === null && timed(topic)) {
      this.timer = setInterval(() => this.onTick(), TICK_MS);
      this.timer.unref();
    }
  }

  remove(name: string, subscriber: PublicSubscriber): void {
    const entry = this.subscribers.get(name);
    entry?.set.delete(subscriber);
    if (entry?.set.size === 0) {
      this.subscribers.delete(name);
      // A later subscriber starts from the current candle (no confirm for one it never saw).
      this.klineStarts.delete(name);
      this.liquidations.delete(name);
    }
    if (this.timer !== null && ![...this.subscribers.values()].some((e) => timed(e.topic))) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private send(name: string, frame: () => string): void {
    const entry = this.subscribers.get(name);
    if (entry === undefined) return;
    const text = frame();
    for (const subscriber of entry.set) subscriber.deliver(text);
  }

  /** The topic's view as a snapshot; a topic nobody watched is brought up to the book first. */
  private bookSnapshot(topic: Extract<PublicTopic, { kind: 'orderbook' }>, first: boolean, now: number): string {
    let view = this.books.get(topic.name);
    if (view === undefined) {
      view = { topic, bids: new Map(), asks: new Map(), u: 0, seq: 0, dirty: true, dueAt: now, pushedAt: now };
      this.books.set(topic.name, view);
    }
    if (first) {
      // Nobody followed the deltas since it was last pushed: take the book as it is now.
      const changed = this.refresh(view);
      if (changed !== null || view.u === 0) view.u += 1;
      view.pushedAt = now;
      view.dueAt = now + BOOK_DEPTHS.get(topic.depth)!;
    }
    return this.bookFrame(view, 'snapshot', null, now);
  }

  /** Takes the top-N view from the engine; the changed levels (size 0: left the view), or null. */
  private refresh(view: BookView): { bids: [number, number][]; asks: [number, number][] } | null {
    view.dirty = false;
    const depth = this.exchange.engine.depth(view.topic.config.symbol, view.topic.depth)!;
    view.seq = depth.updateId;
    const diff = (shown: Map<number, number>, now: [number, number][], better: (a: number, b: number) => number): [number, number][] => {
      const out: [number, number][] = [];
      const fresh = new Map(now);
      for (const [price, qty] of now) if (shown.get(price) !== qty) out.push([price, qty]);
      for (const price of shown.keys()) if (!fresh.has(price)) out.push([price, 0]);
      shown.clear();
      for (const [price, qty] of now) shown.set(price, qty);
      return out.sort((a, b) => better(a[0], b[0]));
    };
    const bids = diff(view.bids, depth.bids, (a, b) => b - a);
    const asks = diff(view.asks, depth.asks, (a, b) => a - b);
    return bids.length === 0 && asks.length === 0 ? null : { bids, asks };
  }

  private bookFrame(view: BookView, type: 'snapshot' | 'delta', delta: { bids: [number, number][]; asks: [number, number][] } | null, now: number): string {
    const { config } = view.topic;
    const sorted = (levels: Map<number, number>, descending: boolean): [number, number][] =>
      [...levels].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
    const bids = delta === null ? sorted(view.bids, true) : delta.bids;
    const asks = delta === null ? sorted(view.asks, false) : delta.asks;
    const data = { s: bybitSymbol(config.symbol), b: bids.map((l) => level(config, l)), a: asks.map((l) => level(config, l)), u: view.u, seq: view.seq };
    const cts = this.bookTimes.get(config.symbol) ?? now;
    // Bybit's field order: level 1 puts `ts` before `type`, the other depths after it.
    return view.topic.depth === 1
      ? JSON.stringify({ topic: view.topic.name, ts: now, type, data, cts })
      : JSON.stringify({ topic: view.topic.name, type, ts: now, data, cts });
  }

  private tickerSnapshot(topic: PublicTopic, first: boolean, now: number): string {
    let view = this.tickers.get(topic.name);
    if (first || view === undefined) {
      view = { shown: tickerRow(this.exchange, topic.config, now), dueAt: now + TICKER_MS };
      this.tickers.set(topic.name, view);
    }
    return JSON.stringify({ topic: topic.name, type: 'snapshot', data: view.shown, cs: this.bookId(topic.config), ts: now });
  }

  private bookId(config: SymbolConfig): number {
    return this.exchange.engine.depth(config.symbol, 0)!.updateId;
  }

  private onCommand(events: readonly PublicEvent[]): void {
    const now = this.exchange.now();
    const traded = new Map<string, number>();
    for (const event of events) {
      if (event.type === 'book') {
        this.bookTimes.set(event.symbol, event.time);
        const name = bybitSymbol(event.symbol);
        for (const depth of BOOK_DEPTHS.keys()) {
          const view = this.books.get(`orderbook.${depth}.${name}`);
          if (view !== undefined) view.dirty = true;
        }
      } else if (event.type === 'publicTrade') traded.set(event.symbol, (traded.get(event.symbol) ?? 0) + 1);
      else if (event.type === 'liquidation') this.liquidation(event, now);
    }
    for (const [symbol, count] of traded) {
      // The other category's symbols are another feed's.
      const config = this.symbols.byEngine.get(symbol);
      if (config === undefined) continue;
      this.publicTrades(config, count, now);
      this.klines(config, now);
    }
  }

  /** The command's `count` trades of the symbol: the newest recorded ones. */
  private publicTrades(config: SymbolConfig, count: number, now: number): void {
    const name = `publicTrade.${bybitSymbol(config.symbol)}`;
    this.send(name, () => {
      const trades = this.exchange.state.market.trades(config.symbol);
      const data: Record<string, unknown>[] = [];
      for (let i = Math.max(0, trades.length - count); i < trades.length; i++) {
        const t = trades[i]!;
        data.push({
          T: t.time, s: bybitSymbol(config.symbol), S: t.takerSide === 'BUY' ? 'Buy' : 'Sell', v: baseQty(config, t.qty),
          p: formatPrice(config, t.price), L: tickDirection(trades, i), i: String(t.tradeId), BT: false, RPI: false, seq: t.tradeId,
        });
      }
      return JSON.stringify({ topic: name, type: 'snapshot', ts: now, data });
    });
  }

  private klines(config: SymbolConfig, now: number): void {
    const market = this.exchange.state.market;
    const name = bybitSymbol(config.symbol);
    for (const [bybitInterval, interval] of KLINE_INTERVALS) {
      const topic = `kline.${bybitInterval}.${name}`;
      if (!this.subscribers.has(topic)) continue;
      const current = market.lastCandle(config.symbol, interval)!;
      const shownStart = this.klineStarts.get(topic);
      if (shownStart !== undefined && shownStart !== current.openTime) {
        // The candle last pushed has closed: once more, confirmed.
        const [closed] = market.candles(config.symbol, interval, { start: shownStart, limit: 1, now });
        if (closed !== undefined && closed.openTime === shownStart) this.send(topic, () => this.klineFrame(topic, config, interval, bybitInterval, closed, true, now));
      }
      this.klineStarts.set(topic, current.openTime);
      this.send(topic, () => this.klineFrame(topic, config, interval, bybitInterval, current, false, now));
    }
  }

  private klineFrame(topic: string, config: SymbolConfig, interval: CandleInterval, bybitInterval: string, c: Candle, confirm: boolean, now: number): string {
    const trades = this.exchange.state.market.trades(config.symbol);
    const end = nextCandleStart(interval, c.openTime) - 1;
    let timestamp = c.openTime;
    for (let i = trades.length - 1; i >= 0; i--) {
      if (trades[i]!.time <= end) {
        timestamp = Math.max(c.openTime, trades[i]!.time);
        break;
      }
    }
    return JSON.stringify({
      topic, data: [{
        start: c.openTime, end, interval: bybitInterval, open: formatPrice(config, c.open), close: formatPrice(config, c.close),
        high: formatPrice(config, c.high), low: formatPrice(config, c.low), volume: baseQty(config, c.volume), turnover: turnover(config, c.quoteVolume),
        confirm, timestamp,
      }], ts: now, type: 'snapshot',
    });
  }

  /** A liquidation: pushed at once when its topic's last push is 500 ms old, else with the others at the window's end. */
  private liquidation(event: LiquidationEvent, now: number): void {
    const name = `allLiquidation.${bybitSymbol(event.symbol)}`;
    if (!this.subscribers.has(name)) return;
    const state = this.liquidations.get(name);
    if (state !== undefined && now - state.pushedAt < LIQUIDATION_MS) {
      state.held.push(event);
      return;
    }
    this.liquidations.set(name, { pushedAt: now, held: [] });
    this.pushLiquidations(name, [event], now);
  }

  private pushLiquidations(name: string, events: readonly LiquidationEvent[], now: number): void {
    this.send(name, () => JSON.stringify({
      topic: name, type: 'snapshot', ts: now, data: events.map((e) => {
        const config = this.symbols.config(e.symbol);
        // The order's side closes the position: a sell liquidates a long (Bybit's `Buy`).
        return { T: e.time, s: bybitSymbol(e.symbol), S: e.side === 'SELL' ? 'Buy' : 'Sell', v: baseQty(config, e.filled), p: formatPrice(config, e.bankruptcyPrice) };
      }),
    }));
  }

  private flushLiquidations(name: string, now: number): void {
    const state = this.liquidations.get(name);
    if (state === undefined || now - state.pushedAt < LIQUIDATION_MS) return;
    if (state.held.length === 0) {
      this.liquidations.delete(name);
      return;
    }
    const held = state.held;
    this.liquidations.set(name, { pushedAt: now, held: [] });
    this.pushLiquidations(name, held, now);
  }

  private onTick(): void {
    const now = this.exchange.now();
    for (const [name, entry] of this.subscribers) {
      if (entry.topic.kind === 'orderbook') this.flushBook(this.books.get(name)!, now);
      else if (entry.topic.kind === 'tickers') this.flushTicker(entry.topic, this.tickers.get(name)!, now);
      else if (entry.topic.kind === 'allLiquidation') this.flushLiquidations(name, now);
    }
  }

  private flushBook(view: BookView, now: number): void {
    if (now < view.dueAt) return;
    view.dueAt = now + BOOK_DEPTHS.get(view.topic.depth)!;
    const level1 = view.topic.depth === 1;
    const changed = view.dirty ? this.refresh(view) : null;
    if (changed !== null) {
      view.u += 1;
      view.pushedAt = now;
      this.send(view.topic.name, () => this.bookFrame(view, level1 ? 'snapshot' : 'delta', level1 ? null : changed, now));
    } else if (level1 && now - view.pushedAt >= LEVEL1_REPEAT_MS) {
      // Level 1 unchanged for 3 s: the snapshot again, same `u`.
      view.pushedAt = now;
      this.send(view.topic.name, () => this.bookFrame(view, 'snapshot', null, now));
    }
  }

  private flushTicker(topic: PublicTopic, view: TickerView, now: number): void {
    if (now < view.dueAt) return;
    view.dueAt = now + TICKER_MS;
    const row = tickerRow(this.exchange, topic.config, now);
    const changed: Record<string, string> = {};
    let any = false;
    for (const [key, value] of Object.entries(row)) {
      if (view.shown[key] === value) continue;
      changed[key] = value;
      any = true;
    }
    if (!any) return;
    view.shown = row;
    this.send(topic.name, () => JSON.stringify({ topic: topic.name, type: 'delta', data: { symbol: row.symbol, ...changed }, cs: this.bookId(topic.config), ts: now }));
  }
}

export interface BybitPublicStreamOptions {
  exchange: StreamExchange;
  symbols: BybitSymbols;
  feed: BybitPublicFeed;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  /** Idle cut-off (Bybit: 10 min without ping-pong or data). */
  idleMs: number;
}

interface Request {
  op?: unknown;
  args?: unknown;
  req_id?: unknown;
}

class BybitPublicConnection implements PublicSubscriber {
  private readonly session: Session;
  private readonly connId = randomUUID();
  private readonly topics = new Set<string>();
  private lastActive: number;
  private idleTimer: NodeJS.Timeout;

  constructor(private readonly socket: WebSocket, private readonly options: BybitPublicStreamOptions) {
    const now = options.exchange.now();
    this.session = new Session(socket, options.limits, now);
    this.lastActive = now;
    this.idleTimer = this.armIdle(options.idleMs);
    this.session.onText((text) => this.onMessage(text));
    socket.once('close', () => this.onClose());
  }

  private armIdle(delay: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const quiet = this.options.exchange.now() - this.lastActive;
      if (quiet >= this.options.idleMs) this.session.close(CloseCode.IDLE, `no ping-pong and no data for ${Math.round(this.options.idleMs / 1000)} s`);
      else this.idleTimer = this.armIdle(this.options.idleMs - quiet);
    }, delay);
    timer.unref();
    return timer;
  }

  deliver(frame: string): void {
    // Counted as market pushes, as Binance's are.
    this.session.send(frame, 'market');
    this.lastActive = this.options.exchange.now();
  }

  private onMessage(text: string): void {
    const now = this.options.exchange.now();
    if (!this.session.admitInbound(now)) return;
    this.lastActive = now;
    const parsed = readJsonObject(text);
    if (!parsed.ok) return this.reply(false, 'error:invalid json: send {"op": "subscribe" | "unsubscribe" | "ping", "args": […], "req_id": "…"}', '', '');
    const request = parsed.value as Request;
    const reqId = typeof request.req_id === 'string' || typeof request.req_id === 'number' ? request.req_id : '';
    switch (request.op) {
      case 'ping': return this.reply(true, 'pong', reqId, 'ping');
      case 'subscribe':
      case 'unsubscribe': return this.onSubscription(request.op, request.args, reqId);
      default: {
        const op = typeof request.op === 'string' ? request.op : '';
        return this.reply(false, `error:invalid op ${JSON.stringify(request.op ?? null)}: the public stream takes subscribe, unsubscribe and ping`, reqId, op);
      }
    }
  }

  private onSubscription(op: 'subscribe' | 'unsubscribe', args: unknown, reqId: string | number): void {
    if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string')) {
      return this.reply(false, 'error:args must be a non-empty list of topics, e.g. ["orderbook.50.BTCUSDT","publicTrade.BTCUSDT"]', reqId, op);
    }
    const names = args as string[];
    if (names.reduce((n, a) => n + a.length, 0) > MAX_ARGS_CHARS) return this.reply(false, `error:args exceed ${MAX_ARGS_CHARS} characters`, reqId, op);
    if (op === 'unsubscribe') {
      for (const name of names) {
        if (this.topics.delete(name)) this.options.feed.remove(name, this);
      }
      return this.reply(true, '', reqId, op);
    }
    const topics: PublicTopic[] = [];
    for (const name of names) {
      const topic = readPublicTopic(name, this.options.symbols);
      if (topic === null) return this.reply(false, `error:handler not found,topic:${name}`, reqId, op);
      if (this.topics.has(name) || topics.some((t) => t.name === name)) return this.reply(false, `error:already subscribed,topic:${name}`, reqId, op);
      topics.push(topic);
    }
    // A valid subscription binds the connection (the unauthenticated deadline no longer applies).
    this.options.connections.bindPublic(this.socket);
    // The acknowledgement first, then each orderbook / tickers snapshot.
    this.reply(true, '', reqId, op);
    for (const topic of topics) {
      this.topics.add(topic.name);
      this.options.feed.add(topic, this);
    }
  }

  /** Bybit's linear public reply: `{success, ret_msg, conn_id, req_id, op}` (req_id "" when none was sent). */
  private reply(success: boolean, message: string, reqId: string | number, op: string): void {
    this.session.send(JSON.stringify({ success, ret_msg: message, conn_id: this.connId, req_id: reqId, op }));
  }

  private onClose(): void {
    clearTimeout(this.idleTimer);
    for (const name of this.topics) this.options.feed.remove(name, this);
    this.topics.clear();
    this.options.connections.unbindPublic(this.socket);
  }
}

export function bybitPublicStreamHandler(options: BybitPublicStreamOptions): (socket: WebSocket) => void {
  return (socket) => void new BybitPublicConnection(socket, options);
}
