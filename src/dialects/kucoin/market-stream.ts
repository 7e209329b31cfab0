/**
 * KuCoin futures public market topics, served on the classic stream (/kucoin/futures) to any
 * connection — one opened with a bullet-public token, or a private one, as on KuCoin:
 * - `/contractMarket/level2:{symbol}`: one message per changed level, `change` "price,side,size"
 *   (size the level's new total in lots, 0: gone) and `sequence` +1 per change. The engine reports
 *   one book update per command with all its changed levels; each level of it is numbered in turn
 *   (bids, then asks, best first) from the count the market-data service keeps
 *   (MarketData.bookSequence), which is also the REST snapshot's `sequence`. So a client that takes
 *   the snapshot and applies the buffered changes with a greater sequence, checking that none is
 *   skipped, holds the engine's book.
 * - `/contractMarket/level2Depth5|50:{symbol}`: the top levels, at most every 100 ms, when the book changed;
 * - `/contractMarket/execution:{symbol}`: each trade (taker side);
 * - `/contractMarket/tickerV2:{symbol}`: the best bid and ask when either changes;
 * - `/contractMarket/ticker:{symbol}`: the last trade of a command, with the best bid and ask after it;
 * - `/contractMarket/limitCandle:{symbol}_{type}`: the current candle after each command that traded;
 * - `/contract/instrument:{symbol}`: `mark.index.price` every second, `funding.rate` (the predicted
 *   rate) every minute, each first at the next tick after it is subscribed.
 * Every frame is encoded once per topic and shared by its subscribers. Timers run on one 100 ms
 * interval of the service clock.
 */
import type { BookUpdateEvent, PublicEvent, PublicTradeEvent } from '../../engine/types.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import type { CandleInterval } from '../../service/market-data.js';
import { toJson, type JsonValue } from './json.js';
import type { KucoinSymbols } from './symbols.js';
import { nsNum, priceNum, priceText, rateNum } from './values.js';

export const MARKET_TOPICS = Object.freeze({
  level2: '/contractMarket/level2',
  depth5: '/contractMarket/level2Depth5',
  depth50: '/contractMarket/level2Depth50',
  execution: '/contractMarket/execution',
  ticker: '/contractMarket/ticker',
  tickerV2: '/contractMarket/tickerV2',
  candle: '/contractMarket/limitCandle',
  instrument: '/contract/instrument',
});

/** KuCoin's candle types for limitCandle and the candle interval each is. */
export const CANDLE_TYPES: ReadonlyMap<string, CandleInterval> = new Map([
  ['1min', '1m'], ['3min', '3m'], ['5min', '5m'], ['15min', '15m'], ['30min', '30m'], ['1hour', '1h'], ['2hour', '2h'], ['4hour', '4h'],
  ['8hour', '8h'], ['12hour', '12h'], ['1day', '1d'], ['1week', '1w'], ['1month', '1M'],
]);

const TICK_MS = 100;
const MARK_MS = 1000;
const FUNDING_RATE_MS = 60_000;
/** The granularity KuCoin states for the predicted funding rate on /contract/instrument. */
const FUNDING_RATE_GRANULARITY = 60_000;

type Kind = 'level2' | 'depth5' | 'depth50' | 'execution' | 'ticker' | 'tickerV2' | 'instrument';

/** One subscription of one symbol; `key` is its single-symbol topic, which its frames carry. */
export type MarketTopic =
  | { key: string; kind: Kind; config: SymbolConfig; name: string }
  | { key: string; kind: 'candle'; config: SymbolConfig; name: string; interval: CandleInterval };

/**
 * The single-symbol subscriptions a market topic stands for (`…:XBTUSDTM,ETHUSDTM` is two), the
 * reason it is refused, or null when it is not a market topic.
 */
export function readMarketTopic(topic: string, symbols: KucoinSymbols): MarketTopic[] | string | null {
  const at = topic.indexOf(':');
  const base = at < 0 ? topic : topic.slice(0, at);
  const kind = (Object.keys(MARKET_TOPICS) as (Kind | 'candle')[]).find((k) => MARKET_TOPICS[k] === base);
  if (kind === undefined) return null;
  const example = kind === 'candle' ? `${base}:XBTUSDTM_1min` : `${base}:XBTUSDTM`;
  if (at < 0) return `topic ${base} needs a contract: ${example}`;
  const out: MarketTopic[] = [];
  for (const part of topic.slice(at + 1).split(',').map((s) => s.trim())) {
    let symbolName = part;
    let interval: CandleInterval | undefined;
    if (kind === 'candle') {
      const cut = part.lastIndexOf('_');
      interval = cut < 0 ? undefined : CANDLE_TYPES.get(part.slice(cut + 1));
      if (interval === undefined) return `topic ${topic}: each entry is {symbol}_{type}, type one of ${[...CANDLE_TYPES.keys()].join(', ')}`;
      symbolName = part.slice(0, cut);
    }
    const config = symbols.find(symbolName);
    if (config === undefined) return `topic ${topic}: ${symbolName === '' ? 'an empty contract' : symbolName} is not a contract here (${symbols.names().join(', ')})`;
    const key = `${base}:${part}`;
    out.push(kind === 'candle' ? { key, kind, config, name: symbolName, interval: interval! } : { key, kind, config, name: symbolName });
  }
  return out;
}

/** Where a market frame goes (a stream connection). */
export interface MarketSubscriber {
  deliverMarket(text: string): void;
}

export class KucoinMarketFeed {
  private readonly subscribers = new Map<string, { topic: MarketTopic; set: Set<MarketSubscriber> }>();
  /** Engine symbols whose book changed since their last depth push. */
  private readonly depthDirty = new Set<string>();
  private readonly shownTop = new Map<string, string>();
  /** Next push time per instrument subject and topic. */
  private readonly due = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly exchange: StreamExchange, private readonly symbols: KucoinSymbols) {
    this.unsubscribe = exchange.state.market.subscribe((events) => this.onCommand(events));
    this.timer = setInterval(() => this.onTick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  add(topic: MarketTopic, subscriber: MarketSubscriber): void {
    let entry = this.subscribers.get(topic.key);
    if (entry === undefined) this.subscribers.set(topic.key, (entry = { topic, set: new Set() }));
    entry.set.add(subscriber);
  }

  remove(key: string, subscriber: MarketSubscriber): void {
    const entry = this.subscribers.get(key);
    entry?.set.delete(subscriber);
    if (entry?.set.size === 0) {
      this.subscribers.delete(key);
      this.shownTop.delete(key);
      for (const subject of ['mark.index.price', 'funding.rate']) this.due.delete(`${subject}|${key}`);
    }
  }

  private send(key: string, subject: string, data: () => JsonValue, sn?: number): void {
    const entry = this.subscribers.get(key);
    if (entry === undefined) return;
    const text = toJson({ topic: key, type: 'message', subject, sn, data: data() });
    for (const subscriber of entry.set) subscriber.deliverMarket(text);
  }

  private onCommand(events: readonly PublicEvent[]): void {
    const lastTrade = new Map<string, PublicTradeEvent>();
    for (const event of events) {
      // A contract KuCoin does not list has no public topic here.
      if (!this.symbols.listed(event.symbol)) continue;
      const config = this.symbols.config(event.symbol);
      const name = this.symbols.name(event.symbol);
      if (event.type === 'publicTrade') {
        lastTrade.set(event.symbol, event);
        this.send(`${MARKET_TOPICS.execution}:${name}`, 'match', () => ({
          symbol: name, sequence: event.tradeId, side: event.takerSide === 'BUY' ? 'buy' : 'sell', size: event.qty,
          price: priceText(config, event.price), tradeId: String(event.tradeId), ts: nsNum(event.time),
        }), event.tradeId);
      } else if (event.type === 'book') {
        this.level2(config, name, event);
        this.depthDirty.add(event.symbol);
        this.tickerV2(config, name, event.time);
      }
    }
    const now = this.exchange.now();
    for (const [symbol, trade] of lastTrade) {
      const config = this.symbols.config(symbol);
      const name = this.symbols.name(symbol);
      this.ticker(config, name, trade);
      this.candles(config, name, now);
    }
  }

  /** One message per changed level, numbered on from the symbol's level2 sequence before this update. */
  private level2(config: SymbolConfig, name: string, update: BookUpdateEvent): void {
    const key = `${MARKET_TOPICS.level2}:${name}`;
    if (!this.subscribers.has(key)) return;
    let sequence = this.exchange.state.market.bookSequence(update.symbol) - update.bids.length - update.asks.length;
    for (const [side, levels] of [['buy', update.bids], ['sell', update.asks]] as const) {
      for (const [price, qty] of levels) {
        sequence += 1;
        const n = sequence;
        this.send(key, 'level2', () => ({ sequence: n, change: `${priceText(config, price)},${side},${qty}`, timestamp: update.time }), n);
      }
    }
  }

  private top(config: SymbolConfig): { bid: [number, number]; ask: [number, number] } {
    const top = this.exchange.engine.depth(config.symbol, 1)!;
    return { bid: top.bids[0] ?? [0, 0], ask: top.asks[0] ?? [0, 0] };
  }

  private tickerV2(config: SymbolConfig, name: string, time: number): void {
    const key = `${MARKET_TOPICS.tickerV2}:${name}`;
    if (!this.subscribers.has(key)) return;
    const { bid, ask } = this.top(config);
    const shown = `${bid[0]}:${bid[1]}|${ask[0]}:${ask[1]}`;
    if (this.shownTop.get(key) === shown) return;
    this.shownTop.set(key, shown);
    const sequence = this.exchange.state.market.bookSequence(config.symbol);
    this.send(key, 'tickerV2', () => ({
      symbol: name, sequence, bestBidSize: bid[1], bestBidPrice: priceText(config, bid[0]), bestAskPrice: priceText(config, ask[0]),
      bestAskSize: ask[1], ts: nsNum(time),
    }), sequence);
  }

  private ticker(config: SymbolConfig, name: string, trade: PublicTradeEvent): void {
    const key = `${MARKET_TOPICS.ticker}:${name}`;
    if (!this.subscribers.has(key)) return;
    const { bid, ask } = this.top(config);
    const sequence = this.exchange.state.market.bookSequence(config.symbol);
    this.send(key, 'ticker', () => ({
      symbol: name, sequence, side: trade.takerSide === 'BUY' ? 'buy' : 'sell', size: trade.qty, price: priceText(config, trade.price),
      bestBidSize: bid[1], bestBidPrice: priceText(config, bid[0]), bestAskPrice: priceText(config, ask[0]), tradeId: String(trade.tradeId),
      bestAskSize: ask[1], ts: nsNum(trade.time),
    }), sequence);
  }

  private candles(config: SymbolConfig, name: string, now: number): void {
    for (const [type, interval] of CANDLE_TYPES) {
      const key = `${MARKET_TOPICS.candle}:${name}_${type}`;
      if (!this.subscribers.has(key)) continue;
      const c = this.exchange.state.market.lastCandle(config.symbol, interval)!;
      this.send(key, 'candle.stick', () => ({
        symbol: name,
        // Start (seconds), open, close, high, low, "transaction volume", "transaction amount": KuCoin's sample
        // gives the lots in both (21.0 and 21) and calls the first one wrong; ccxt reads the second as the volume.
        candles: [String(c.openTime / 1000), priceText(config, c.open), priceText(config, c.close), priceText(config, c.high), priceText(config, c.low),
          String(c.volume), String(c.volume)],
        time: now,
      }));
    }
  }

  private onTick(): void {
    const now = this.exchange.now();
    // Depth pushes every tick (100 ms) that follows a change of the book.
    for (const symbol of this.depthDirty) this.depth(this.symbols.config(symbol), now);
    this.depthDirty.clear();
    for (const { topic } of this.subscribers.values()) if (topic.kind === 'instrument') this.instrument(topic, now);
  }

  private depth(config: SymbolConfig, now: number): void {
    const name = this.symbols.name(config.symbol);
    for (const [levels, base] of [[5, MARKET_TOPICS.depth5], [50, MARKET_TOPICS.depth50]] as const) {
      const key = `${base}:${name}`;
      if (!this.subscribers.has(key)) continue;
      const book = this.exchange.engine.depth(config.symbol, levels)!;
      const sequence = this.exchange.state.market.bookSequence(config.symbol);
      const side = (list: [number, number][]): JsonValue[] => list.map(([price, qty]) => [priceText(config, price), qty]);
      this.send(key, 'level2', () => ({ bids: side(book.bids), sequence, timestamp: now, ts: now, asks: side(book.asks) }), now);
    }
  }

  private instrument(topic: MarketTopic, now: number): void {
    const { config, key } = topic;
    const info = this.exchange.engine.prices(config.symbol, now)!;
    const markDue = `mark.index.price|${key}`;
    if (now >= (this.due.get(markDue) ?? 0) && info.markPrice !== null) {
      this.due.set(markDue, now + MARK_MS);
      this.send(key, 'mark.index.price', () => ({
        markPrice: priceNum(config, info.markPrice!), indexPrice: info.indexPrice === null ? null : priceNum(config, info.indexPrice), granularity: MARK_MS,
        timestamp: now,
      }));
    }
    const rateDue = `funding.rate|${key}`;
    if (now >= (this.due.get(rateDue) ?? 0)) {
      this.due.set(rateDue, now + FUNDING_RATE_MS);
      this.send(key, 'funding.rate', () => ({ granularity: FUNDING_RATE_GRANULARITY, fundingRate: rateNum(info.predictedFundingRate), timestamp: now }));
    }
  }
}
