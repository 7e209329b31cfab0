/**
 * XT's public futures stream at /ws/market (XT: wss://fstream.xt.com/ws/market): no listenKey;
 * `{"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":["<topic>@<symbol>[,<arg>…]"],"id"}` answered
 * `{id, code, msg}` (0 success, 1 failure), text `ping` → `pong`, closed after `idleMs` without a
 * ping; pushes `{topic, event, data}`. Topics:
 * - `depth_update@<s>[,<100|250|500|1000>[ms]]` (100 ms by default): the book's changed levels
 *   conflated over the window, `fu` the first and `u` the last book update id in it, `pu` the
 *   previous event's `u` (so `fu` = `pu` + 1 always), continuing from REST depth `u`;
 * - `depth@<s>,<5|10|20|50>[,<interval>]` (1000 ms by default): the top levels at the end of a
 *   window that changed the book;
 * - `trade@<s>` as each command trades; `kline@<s>,<interval>` the current candle after every
 *   command that traded;
 * - `ticker@<s>`, `agg_ticker@<s>`, `mark_price@<s>`, `index_price@<s>` every second,
 *   `fund_rate@<s>` every minute; a new subscriber gets the current value at the next tick.
 * Every frame is encoded once per topic and shared by its subscribers. Windows and periodic pushes
 * run on one 100 ms timer of the service clock. A connection with market topics is bound to no
 * account (the gateway's subscribe deadline no longer applies to it).
 */
import type { WebSocket } from 'ws';
import type { PublicEvent } from '../../engine/types.js';
import { formatPrice } from '../../engine/format.js';
import { formatRate } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode, type GatewayLimits } from '../../gateway/limits.js';
import { readJsonObject, requestIdOf } from '../../gateway/inbound.js';
import { Session } from '../../gateway/session.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import { CANDLE_INTERVALS, type CandleInterval } from '../../service/market-data.js';
import { changeRate, xtAggTicker, xtCandle, xtDeal, xtLevel, xtTicker } from './rest-market.js';
import { DepthWindows, type DepthDelta } from '../depth-windows.js';

const DEPTH_SPEEDS = [100, 250, 500, 1000] as const;
type DepthSpeed = (typeof DEPTH_SPEEDS)[number];
const DEPTH_LEVELS = [5, 10, 20, 50] as const;
type DepthLevels = (typeof DEPTH_LEVELS)[number];
const TICK_MS = 100;
const PERIODIC_MS = { ticker: 1000, agg_ticker: 1000, mark_price: 1000, index_price: 1000, fund_rate: 60_000 } as const;
type PeriodicTopic = keyof typeof PERIODIC_MS;

export type XtMarketTopic =
  | { topic: 'depth_update'; config: SymbolConfig; speedMs: DepthSpeed }
  | { topic: 'depth'; config: SymbolConfig; levels: DepthLevels; speedMs: DepthSpeed }
  | { topic: 'trade'; config: SymbolConfig }
  | { topic: 'kline'; config: SymbolConfig; interval: CandleInterval }
  | { topic: PeriodicTopic; config: SymbolConfig };

/** A topic and its key (one per distinct push: the canonical form of what was subscribed), or why not. */
export function readMarketTopic(param: string, symbols: ReadonlyMap<string, SymbolConfig>): { key: string; topic: XtMarketTopic } | { problem: string } {
  const at = param.indexOf('@');
  if (at < 0) return { problem: `"${param}" is not <topic>@<symbol>` };
  const topic = param.slice(0, at);
  const [name, ...args] = param.slice(at + 1).split(',');
  const config = symbols.get((name ?? '').toLowerCase());
  if (config === undefined) return { problem: `invalid_symbol: ${name} in "${param}" is not listed` };
  const s = config.symbol;
  const speedOf = (text: string | undefined, fallback: DepthSpeed): DepthSpeed | null => {
    if (text === undefined) return fallback;
    return DEPTH_SPEEDS.find((speed) => text === String(speed) || text === `${speed}ms`) ?? null;
  };
  switch (topic) {
    case 'depth_update': {
      const speedMs = args.length <= 1 ? speedOf(args[0], 100) : null;
      if (speedMs === null) return { problem: `"${param}": the interval is one of 100, 250, 500, 1000 (ms)` };
      return { key: `depth_update@${s},${speedMs}`, topic: { topic, config, speedMs } };
    }
    case 'depth': {
      const levels = DEPTH_LEVELS.find((l) => String(l) === args[0]);
      const speedMs = args.length <= 2 ? speedOf(args[1], 1000) : null;
      if (levels === undefined || speedMs === null) return { problem: `"${param}": depth@<symbol>,<5|10|20|50>[,<100|250|500|1000>ms]` };
      return { key: `depth@${s},${levels},${speedMs}`, topic: { topic, config, levels, speedMs } };
    }
    case 'kline': {
      const interval = args.length === 1 ? CANDLE_INTERVALS.find((i) => i === args[0]) : undefined;
      if (interval === undefined) return { problem: `"${param}": kline@<symbol>,<interval>, the interval one of ${CANDLE_INTERVALS.join(', ')}` };
      return { key: `kline@${s},${interval}`, topic: { topic, config, interval } };
    }
    case 'trade': case 'ticker': case 'agg_ticker': case 'mark_price': case 'index_price': case 'fund_rate':
      if (args.length > 0) return { problem: `"${param}": ${topic}@<symbol> takes no arguments` };
      return { key: `${topic}@${s}`, topic: { topic, config } };
    default:
      return { problem: `unknown topic in "${param}"; topics are depth_update, depth, trade, kline, ticker, agg_ticker, mark_price, index_price, fund_rate` };
  }
}

/** Where a market frame goes. */
export interface XtMarketSubscriber {
  deliverMarket(frame: string): void;
}

const frameOf = (topic: string, event: string, data: unknown): string => JSON.stringify({ topic, event, data });

export class XtMarketFeed {
  /** Per topic key: its subscribers, those of a periodic topic not served yet, and when it is next due. */
  private readonly subscribers = new Map<string, { topic: XtMarketTopic; set: Set<XtMarketSubscriber>; fresh: Set<XtMarketSubscriber>; dueAt: number }>();
  /** The `depth_update` diffs, per engine symbol and speed. */
  private readonly windows: DepthWindows<DepthSpeed>;
  readonly symbols: ReadonlyMap<string, SymbolConfig>;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly exchange: StreamExchange) {
    this.symbols = new Map(exchange.engine.symbols().map((c) => [c.symbol, c]));
    this.windows = new DepthWindows([...this.symbols.keys()], DEPTH_SPEEDS, (symbol) => exchange.engine.depth(symbol, 0)!.updateId, exchange.now());
    this.unsubscribe = exchange.state.market.subscribe((events) => this.onCommand(events));
    this.timer = setInterval(() => this.onTick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  add(key: string, topic: XtMarketTopic, subscriber: XtMarketSubscriber): void {
    let entry = this.subscribers.get(key);
    if (entry === undefined) this.subscribers.set(key, (entry = { topic, set: new Set(), fresh: new Set(), dueAt: 0 }));
    if (entry.set.has(subscriber)) return;
    entry.set.add(subscriber);
    // A periodic topic's newcomer gets the current value at the next tick, then the shared period.
    if (topic.topic in PERIODIC_MS) entry.fresh.add(subscriber);
  }

  remove(key: string, subscriber: XtMarketSubscriber): void {
    const entry = this.subscribers.get(key);
    entry?.set.delete(subscriber);
    entry?.fresh.delete(subscriber);
    if (entry?.set.size === 0) this.subscribers.delete(key);
  }

  private send(key: string, frame: () => string): void {
    const entry = this.subscribers.get(key);
    if (entry === undefined) return;
    const text = frame();
    for (const subscriber of entry.set) subscriber.deliverMarket(text);
  }

  private onCommand(events: readonly PublicEvent[]): void {
    const traded = new Set<string>();
    for (const event of events) {
      if (event.type === 'publicTrade') {
        traded.add(event.symbol);
        const config = this.symbols.get(event.symbol)!;
        this.send(`trade@${event.symbol}`, () => frameOf('trade', `trade@${event.symbol}`, xtDeal(config, event)));
      } else if (event.type === 'book') {
        this.windows.add(event);
      }
    }
    for (const symbol of traded) this.klines(this.symbols.get(symbol)!);
  }

  private klines(config: SymbolConfig): void {
    for (const interval of CANDLE_INTERVALS) {
      const key = `kline@${config.symbol},${interval}`;
      if (!this.subscribers.has(key)) continue;
      const c = this.exchange.state.market.lastCandle(config.symbol, interval)!;
      this.send(key, () => {
        const { p: _pair, ...candle } = xtCandle(config, c);
        return frameOf('kline', key, { ...candle, i: interval, ch: changeRate(c.open, c.close) });
      });
    }
  }

  private onTick(): void {
    const now = this.exchange.now();
    for (const config of this.symbols.values()) {
      for (const [speed, delta] of this.windows.due(config.symbol, now)) this.flushDepth(config, speed, delta);
    }
    for (const [key, entry] of this.subscribers) {
      const { topic } = entry;
      if (!(topic.topic in PERIODIC_MS)) continue;
      if (now >= entry.dueAt) {
        entry.dueAt = now + PERIODIC_MS[topic.topic as PeriodicTopic];
        entry.fresh.clear();
        this.send(key, () => this.periodic(topic.topic as PeriodicTopic, topic.config, now));
      } else if (entry.fresh.size > 0) {
        const text = this.periodic(topic.topic as PeriodicTopic, topic.config, now);
        for (const subscriber of entry.fresh) subscriber.deliverMarket(text);
        entry.fresh.clear();
      }
    }
  }

  private periodic(topic: PeriodicTopic, config: SymbolConfig, now: number): string {
    const event = `${topic}@${config.symbol}`;
    switch (topic) {
      case 'ticker': {
        const { r, ...ticker } = xtTicker(this.exchange, config, now);
        return frameOf(topic, event, { ...ticker, ch: r });
      }
      case 'agg_ticker': {
        const { r, ...ticker } = xtAggTicker(this.exchange, config, now);
        return frameOf(topic, event, { ...ticker, ch: r });
      }
      case 'mark_price':
      case 'index_price': {
        const prices = this.exchange.engine.prices(config.symbol, now)!;
        return frameOf(topic, event, { s: config.symbol, p: formatPrice(config, (topic === 'mark_price' ? prices.markPrice : prices.indexPrice) ?? 0), t: now });
      }
      case 'fund_rate': {
        const prices = this.exchange.engine.prices(config.symbol, now)!;
        return frameOf(topic, event, { s: config.symbol, r: formatRate(prices.predictedFundingRate), t: now });
      }
    }
  }

  private flushDepth(config: SymbolConfig, speed: DepthSpeed, delta: DepthDelta): void {
    const s = config.symbol;
    const row = xtLevel(config);
    const ids = { pu: delta.previous, fu: delta.first, u: delta.last };
    this.send(`depth_update@${s},${speed}`, () => frameOf('depth_update', `depth_update@${s}`, {
      s, ...ids, a: delta.asks.map(row), b: delta.bids.map(row), t: delta.time,
    }));
    for (const levels of DEPTH_LEVELS) {
      const key = `depth@${s},${levels},${speed}`;
      if (!this.subscribers.has(key)) continue;
      const top = this.exchange.engine.depth(s, levels)!;
      this.send(key, () => frameOf('depth', `depth@${s},${levels}`, { s, id: String(delta.last), ...ids, a: top.asks.map(row), b: top.bids.map(row), t: delta.time }));
    }
  }
}

export interface XtMarketStreamOptions {
  exchange: StreamExchange;
  feed: XtMarketFeed;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  /** Close a connection that sent no ping for this long (XT: 30 s). */
  idleMs: number;
  /** The symbols this host's stream serves (venue.ts); the feed's others are refused as unknown. */
  symbols: ReadonlyMap<string, SymbolConfig>;
}

const ACK_OK = 0;
const ACK_FAILED = 1;

class XtMarketConnection implements XtMarketSubscriber {
  private readonly session: Session;
  private readonly keys = new Set<string>();
  private idleTimer: NodeJS.Timeout;

  constructor(private readonly socket: WebSocket, private readonly options: XtMarketStreamOptions) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.idleTimer = this.armIdle();
    this.session.onText((text) => this.onMessage(text));
    socket.once('close', () => this.onClose());
  }

  deliverMarket(frame: string): void {
    this.session.send(frame, 'market');
  }

  private armIdle(): NodeJS.Timeout {
    return setTimeout(() => this.session.close(CloseCode.IDLE, `no ping for ${this.options.idleMs / 1000} s`), this.options.idleMs);
  }

  private onMessage(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = this.armIdle();
    if (text === 'ping') return this.session.send('pong');
    const parsed = readJsonObject(text);
    if (!parsed.ok) return this.ack(null, ACK_FAILED, 'Invalid Parameter: send JSON {"method":"SUBSCRIBE","params":["trade@btc_usdt"],"id":"…"} or the text ping');
    const request = parsed.value;
    const id = requestIdOf(request.id);
    // XT's docs show SUBSCRIBE; its SDKs send "subscribe".
    const method = typeof request.method === 'string' ? request.method.toUpperCase() : null;
    if (method !== 'SUBSCRIBE' && method !== 'UNSUBSCRIBE') return this.ack(id, ACK_FAILED, 'Invalid Parameter: method must be SUBSCRIBE or UNSUBSCRIBE');
    const params = request.params;
    if (!Array.isArray(params) || params.length === 0 || !params.every((p) => typeof p === 'string')) {
      return this.ack(id, ACK_FAILED, 'Invalid Parameter: params must be a non-empty list of "<topic>@<symbol>[,<arg>]"');
    }
    const wanted: { key: string; topic: XtMarketTopic }[] = [];
    for (const param of params as string[]) {
      const read = readMarketTopic(param, this.options.symbols);
      if ('problem' in read) return this.ack(id, ACK_FAILED, `Invalid Parameter: ${read.problem}`);
      wanted.push(read);
    }
    if (method === 'UNSUBSCRIBE') {
      for (const { key } of wanted) {
        this.keys.delete(key);
        this.options.feed.remove(key, this);
      }
      return this.ack(id, ACK_OK, 'success');
    }
    this.options.connections.bindPublic(this.socket);
    for (const { key, topic } of wanted) {
      this.keys.add(key);
      this.options.feed.add(key, topic, this);
    }
    this.ack(id, ACK_OK, 'success');
  }

  private ack(id: string | number | null, code: number, msg: string): void {
    this.session.send(JSON.stringify({ id, code, msg }));
  }

  private onClose(): void {
    clearTimeout(this.idleTimer);
    for (const key of this.keys) this.options.feed.remove(key, this);
    this.keys.clear();
    this.options.connections.unbindPublic(this.socket);
  }
}

export function xtMarketStreamHandler(options: XtMarketStreamOptions): (socket: WebSocket) => void {
  return (socket) => void new XtMarketConnection(socket, options);
}
