/**
 * A gateway process's exchange, as the dialects' streams see it (StreamExchange): no engine, but
 * what the streams read of one, kept from the engine's events — each account's seq (from its
 * events), the books (from book updates: changed levels' new totals), each symbol's prices (as the
 * engine published them after each command that changed them), public market data (MarketData,
 * fed exactly as the engine's own), ended conditional orders (History, fed the conditional events)
 * and the replay window (EventLog, fed every event, as in a single process). Started from a
 * bootstrap taken by the engine at one command (bootstrap.ts) and advanced by the consumer
 * (consumer.ts) one command at a time, through the same EventBus the single process uses.
 */
import type { Depth, PriceInfo } from '../engine/engine.js';
import type { BookUpdateEvent, EngineEvent, PublicEvent } from '../engine/types.js';
import { fundingTimeAfter } from '../engine/prices.js';
import { buildPricingConfig, type PricingConfig } from '../engine/pricing-config.js';
import { buildSymbolConfig, type SymbolConfig, type SymbolSpec } from '../engine/symbol.js';
import { EventBus } from '../service/event-bus.js';
import { EventLog } from '../service/event-log.js';
import { DEFAULT_HISTORY_LIMITS, History } from '../service/history.js';
import { MarketData } from '../service/market-data.js';
import type { StreamEngine, StreamExchange } from '../service/stream-exchange.js';
import type { Bootstrap, MarketBootstrap } from './bootstrap.js';

/** One side of a book: total contracts by price, and the prices best first. */
class BookSide {
  private readonly qty = new Map<number, number>();
  private prices: number[] = [];

  constructor(private readonly better: (a: number, b: number) => boolean) {}

  load(levels: readonly [number, number][]): void {
    this.qty.clear();
    for (const [price, qty] of levels) this.qty.set(price, qty);
    this.prices = levels.map(([price]) => price);
  }

  /** A level's new total (0: gone). */
  set(price: number, qty: number): void {
    const known = this.qty.has(price);
    if (qty === 0) {
      if (!known) return;
      this.qty.delete(price);
      this.prices.splice(this.indexOf(price), 1);
      return;
    }
    this.qty.set(price, qty);
    if (!known) this.prices.splice(this.indexOf(price), 0, price);
  }

  top(limit: number): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.prices.length && out.length < limit; i++) out.push([this.prices[i]!, this.qty.get(this.prices[i]!)!]);
    return out;
  }

  /** Where `price` is or would go (binary search on the best-first order). */
  private indexOf(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.prices[mid] === price) return mid;
      if (this.better(this.prices[mid]!, price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

class Book {
  readonly bids = new BookSide((a, b) => a > b);
  readonly asks = new BookSide((a, b) => a < b);
  updateId = 0;

  load(depth: Depth): void {
    this.bids.load(depth.bids);
    this.asks.load(depth.asks);
    this.updateId = depth.updateId;
  }

  apply(update: BookUpdateEvent): void {
    for (const [price, qty] of update.bids) this.bids.set(price, qty);
    for (const [price, qty] of update.asks) this.asks.set(price, qty);
    this.updateId = update.updateId;
  }
}

/** What a StreamEngine reads, kept from events. */
class ReplicaEngine implements StreamEngine {
  readonly seqs = new Map<number, number>();
  readonly books = new Map<string, Book>();
  readonly prices_ = new Map<string, PriceInfo>();
  cmdSeq = 0;
  private readonly pricing: Map<string, PricingConfig>;

  constructor(private readonly configs: SymbolConfig[]) {
    this.pricing = new Map(configs.map((c) => [c.symbol, buildPricingConfig(c)]));
    for (const c of configs) this.books.set(c.symbol, new Book());
  }

  symbols(): SymbolConfig[] {
    return [...this.configs];
  }

  account(accountId: number): { seq: number } | undefined {
    const seq = this.seqs.get(accountId);
    return seq === undefined ? undefined : { seq };
  }

  depth(symbol: string, limit: number): Depth | undefined {
    const book = this.books.get(symbol);
    return book === undefined ? undefined : { updateId: book.updateId, bids: book.bids.top(limit), asks: book.asks.top(limit) };
  }

  prices(symbol: string, now: number): PriceInfo | undefined {
    const info = this.prices_.get(symbol);
    if (info === undefined) return undefined;
    // Before the first settlement the next funding time is the first after `now` (Engine.prices).
    return info.lastFundingTime === null ? { ...info, nextFundingTime: fundingTimeAfter(this.pricing.get(symbol)!, now) } : info;
  }
}

export class Replica implements StreamExchange {
  readonly engine: ReplicaEngine;
  readonly events = new EventBus();
  readonly state: { readonly market: MarketData };
  readonly history = new History(DEFAULT_HISTORY_LIMITS);
  readonly eventLog: EventLog;
  epoch: string;
  /** Market events of commands up to this one are in the market state (bootstrap or resynchronisation). */
  marketCmdSeq: number;
  /** Events of commands up to this one are in the bootstrap's account seqs (the window still takes them). */
  readonly bootCmdSeq: number;

  constructor(boot: Bootstrap, replayWindow: number) {
    this.engine = new ReplicaEngine(boot.symbols.map((spec: SymbolSpec) => buildSymbolConfig(spec)));
    this.epoch = boot.epoch;
    this.eventLog = new EventLog(replayWindow);
    this.state = { market: new MarketData(boot.symbols) };
    for (const [accountId, seq] of boot.accounts) this.engine.seqs.set(accountId, seq);
    this.history.restore(boot.conditionals);
    this.engine.cmdSeq = boot.cmdSeq;
    this.bootCmdSeq = boot.cmdSeq;
    this.marketCmdSeq = boot.cmdSeq;
    this.loadMarket(boot);
    // As in the single process: the window and History see every event before any stream does.
    this.events.subscribeAll((event) => {
      this.eventLog.record(event);
      if (event.type === 'conditional') this.history.record(event);
    });
  }

  now(): number {
    return Date.now();
  }

  /** One command's account events (already checked for order: consumer.ts), to every stream. */
  applyCommand(events: readonly EngineEvent[]): void {
    for (const event of events) {
      this.engine.seqs.set(event.accountId, event.seq);
      if (event.cmdSeq > this.engine.cmdSeq) this.engine.cmdSeq = event.cmdSeq;
    }
    this.events.publish(events);
  }

  /** One command's public events and the prices after it. */
  applyMarket(cmdSeq: number, events: readonly PublicEvent[], prices: readonly PriceInfo[]): void {
    for (const event of events) if (event.type === 'book') this.engine.books.get(event.symbol)?.apply(event);
    for (const info of prices) this.engine.prices_.set(info.symbol, info);
    this.marketCmdSeq = cmdSeq;
    if (cmdSeq > this.engine.cmdSeq) this.engine.cmdSeq = cmdSeq;
    this.state.market.record(events);
  }

  /** The book update id a symbol's next update must follow. */
  bookUpdateId(symbol: string): number | undefined {
    return this.engine.books.get(symbol)?.updateId;
  }

  /** Takes the market state afresh (bootstrap, or a resynchronisation). */
  loadMarket(boot: MarketBootstrap): void {
    this.state.market.restore(boot.market);
    for (const [symbol, depth] of Object.entries(boot.depth)) this.engine.books.get(symbol)?.load(depth);
    for (const [symbol, info] of Object.entries(boot.prices)) this.engine.prices_.set(symbol, info);
    this.marketCmdSeq = boot.cmdSeq;
  }
}
