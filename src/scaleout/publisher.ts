/**
 * The engine process's publisher: every applied command's account events go to the Redis stream
 * of their accounts' shard, its public market events (and the prices of the symbols they touched)
 * to the market stream, in command order.
 *
 * Idempotent, whatever crashes in between (the journal is the truth, Redis a cache): an entry's id
 * is `<cmdSeq>-0` of the last command it holds, and Redis refuses an id not above a stream's last.
 * The publisher never sends an event whose command is at or below its stream's last entry: it
 * reads each stream's last id whenever it (re)starts — at start-up, after Redis was unreachable,
 * after any failed write — and publishes only the commands after it. An event is therefore in
 * Redis at most once; and at least once because what is not there yet is still here:
 *   - every command applied since the process started (recovery's journal replay included: the
 *     tap sees replayed commands as live ones) waits in `pending` until its entries are written;
 *   - account events of commands before that (the snapshot's) are in the replay window (EventLog),
 *     which the snapshot restored;
 *   - public events before that cannot be recomputed here: when the market stream's last entry is
 *     older than what `pending` covers, a `reset` entry tells the gateways to resynchronise their
 *     market state from the engine instead (consumer.ts).
 * A gateway also checks every account's seq and fetches from the engine's journal what it finds
 * missing (consumer.ts), so even a Redis that lost data yields no gap.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Applied, PriceInfo } from '../engine/engine.js';
import type { Command, EngineEvent, PublicEvent } from '../engine/types.js';
import type { LogFn } from '../ops/log.js';
import { BinaryWriter } from '../persistence/binary-codec.js';
import type { Exchange } from '../service/exchange.js';
import { cmdSeqOfId, entryId, shardOf, type Layout } from './layout.js';
import { send, type Redis } from './redis.js';

/** One applied command with something to publish. */
interface Pending {
  cmdSeq: number;
  events: readonly EngineEvent[];
  market: readonly PublicEvent[];
  prices: PriceInfo[];
}

/** A market stream record: one command's public events and the prices of the symbols after it. */
export type MarketRecord = [cmdSeq: number, events: readonly PublicEvent[], prices: PriceInfo[]];

/** Commands that change prices without a public event of their own (a premium sample equal to the last). */
const PRICE_COMMANDS = new Set<Command['type']>(['sampleRisk', 'settleFunding', 'setIndexPrice', 'setMarkPrice']);

/**
 * One entry's payload in the binary codec, its buffer sized for the entry (about 125 bytes an
 * event) rather than the codec's 64 KiB default, which a flush's several entries would each keep
 * alive until written.
 */
function encodeEntry(value: readonly unknown[], bytesPerItem: number): Buffer {
  const writer = new BinaryWriter(Math.max(256, value.length * bytesPerItem));
  writer.write(value);
  return writer.finish();
}

/** Whether two PriceInfos agree field by field (every field is a number, bigint, string or null). */
function samePrices(a: PriceInfo, b: PriceInfo): boolean {
  for (const key in a) if (a[key as keyof PriceInfo] !== b[key as keyof PriceInfo]) return false;
  return true;
}

export interface PublisherOptions {
  layout: Layout;
  /** Shards of new streams (streams of this epoch already in Redis keep theirs). */
  shards: number;
  /** Approximate MAXLEN of each stream (entries; an entry holds one flush's commands). */
  maxLen: number;
  log: LogFn;
  /** Most commands kept while Redis is unreachable; past it the oldest are dropped (the window and gateways' repair cover them). */
  maxPending?: number;
  /** Most commands in one entry. */
  maxBatch?: number;
  /** How long a partial entry waits for more commands before it is written (default 2 ms). */
  flushDelayMs?: number;
}

export class Publisher {
  private pending: Pending[] = [];
  private pendingHead = 0;
  /** `pending` holds every command with something to publish from this one on (nothing dropped since). */
  private coveredFrom = 1;
  /** Each stream's last entry's command, as last read or written; null until read. */
  private eventTops: number[] | null = null;
  private marketTop = 0;
  private exchange: Exchange | null = null;
  private redis: Redis | null = null;
  /** Shards in use (the epoch's, once started). */
  shards: number;
  private running = false;
  private flushing = false;
  private needsResync = true;
  private stopped = false;
  private readonly lastPrices = new Map<string, PriceInfo>();
  private readonly waiters: { cmdSeq: number; resolve: (ok: boolean) => void }[] = [];
  private readonly maxPending: number;
  private readonly maxBatch: number;
  private readonly flushDelayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private publishedNotedAt = 0;
  private metrics: { lag: Gauge; seconds: Histogram; entries: Counter; events: Counter; resyncs: Counter; connected: Gauge } | null = null;
  /** The last command applied (what the lag is measured against). */
  private appliedCmdSeq = 0;
  private publishedCmdSeq = 0;

  constructor(private readonly options: PublisherOptions) {
    this.shards = options.shards;
    this.maxPending = options.maxPending ?? 500_000;
    this.maxBatch = options.maxBatch ?? 256;
    this.flushDelayMs = options.flushDelayMs ?? 2;
  }

  /** Exports the publisher's metrics in `registry` (the server's). */
  registerMetrics(registry: Registry): void {
    const registers = [registry];
    const self = (): Publisher => this;
    this.metrics = {
      lag: new Gauge({
        name: 'perpstream_redis_publish_lag_commands', help: 'Commands applied by the engine whose events are not in Redis yet.', registers,
        collect() {
          this.set(self().lag);
        },
      }),
      seconds: new Histogram({
        name: 'perpstream_redis_publish_seconds', help: 'One publish round trip to Redis (every stream written for a batch of commands).', registers,
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
      }),
      entries: new Counter({ name: 'perpstream_redis_published_entries_total', help: 'Stream entries written to Redis, by stream kind.', labelNames: ['stream'], registers }),
      events: new Counter({ name: 'perpstream_redis_published_events_total', help: 'Events written to Redis, by stream kind (account events, public events).', labelNames: ['stream'], registers }),
      resyncs: new Counter({ name: 'perpstream_redis_publish_resyncs_total', help: 'Times the publisher re-read the streams\' last entries (start, Redis back, a failed write).', registers }),
      connected: new Gauge({
        name: 'perpstream_redis_up', help: '1 while the process\'s Redis connection works.', registers,
        collect() {
          this.set(self().redis?.isReady === true ? 1 : 0);
        },
      }),
    };
  }

  /** Commands applied but not yet in Redis. */
  get lag(): number {
    return this.pendingHead < this.pending.length ? this.appliedCmdSeq - this.publishedCmdSeq : 0;
  }

  /** Sees every applied command from now on (called before recovery replays anything). */
  observe(exchange: Exchange): void {
    this.exchange = exchange;
    this.coveredFrom = exchange.engine.cmdSeq + 1;
    exchange.appliedTaps.add((applied, command) => this.onApplied(applied, command));
  }

  /** Starts publishing (after recovery): settles the epoch, reads the streams' last entries, catches up. */
  async start(redis: Redis): Promise<void> {
    this.redis = redis;
    this.running = true;
    redis.on('ready', () => {
      // Back after an outage: what was written meanwhile is unknown, read it again.
      this.needsResync = true;
      this.schedule();
    });
    await this.settleEpoch();
    this.schedule();
  }

  /** Resolves true once every command up to `cmdSeq` is in Redis, false after `timeoutMs`. */
  whenPublished(cmdSeq: number, timeoutMs: number): Promise<boolean> {
    if (this.publishedThrough(cmdSeq)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { cmdSeq, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(false);
      }, timeoutMs).unref();
    });
  }

  /** Publishes what is pending (bounded by `timeoutMs`), then stops: graceful shutdown's last step. */
  async stop(timeoutMs: number): Promise<void> {
    const last = this.exchange?.engine.cmdSeq ?? 0;
    if (this.running && this.redis?.isReady === true && (await this.whenPublished(last, timeoutMs))) await this.notePublished(true);
    this.stopped = true;
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }

  private publishedThrough(cmdSeq: number): boolean {
    // Until the streams' last entries are read (and what they lack caught up) nothing is known.
    if (this.needsResync) return false;
    return this.pendingHead >= this.pending.length || this.pending[this.pendingHead]!.cmdSeq > cmdSeq;
  }

  private onApplied(applied: Applied, command: Command): void {
    this.appliedCmdSeq = applied.cmdSeq;
    const prices = this.changedPrices(applied, command);
    if (applied.events.length === 0 && applied.market.length === 0 && prices.length === 0) return;
    this.pending.push({ cmdSeq: applied.cmdSeq, events: applied.events, market: applied.market, prices });
    if (this.pending.length - this.pendingHead > this.maxPending) {
      // Redis has been away too long to keep everything: the oldest go (the window, a market
      // reset and the gateways' repair cover them once it is back).
      const dropped = this.pending[this.pendingHead++]!;
      this.coveredFrom = dropped.cmdSeq + 1;
      this.compact();
    }
    this.schedule();
  }

  /** The prices of the symbols a command may have changed, where they differ from the last published. */
  private changedPrices(applied: Applied, command: Command): PriceInfo[] {
    const engine = this.exchange!.engine;
    let symbols: Iterable<string>;
    if (PRICE_COMMANDS.has(command.type)) symbols = engine.symbols().map((c) => c.symbol);
    else if (applied.market.length === 0) return [];
    else symbols = new Set(applied.market.map((e) => e.symbol));
    const out: PriceInfo[] = [];
    for (const symbol of symbols) {
      const info = engine.prices(symbol, command.time);
      if (info === undefined) continue;
      const last = this.lastPrices.get(symbol);
      if (last !== undefined && samePrices(last, info)) continue;
      this.lastPrices.set(symbol, info);
      out.push(info);
    }
    return out;
  }

  /**
   * Publishes soon: at once when a whole entry's worth is waiting (or the streams must be read
   * again), otherwise after `flushDelayMs`, so that a trickle of commands makes a few entries of
   * several commands rather than one Redis write per command (each entry carries its own string
   * and shape tables, and each write its round trip).
   */
  private schedule(): void {
    if (!this.running || this.flushing || this.stopped) return;
    const waiting = this.pending.length - this.pendingHead;
    if (waiting >= this.maxBatch || this.needsResync) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.flushing = true;
      setImmediate(() => this.startFlush());
      return;
    }
    if (waiting === 0 || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.flushing || !this.running || this.stopped) return;
      this.flushing = true;
      this.startFlush();
    }, this.flushDelayMs);
  }

  private startFlush(): void {
    this.flush().catch((error: unknown) => {
      this.needsResync = true;
      this.options.log(`publishing to redis failed (${error instanceof Error ? error.message : String(error)}); will resume from the streams' last entries`, 'warn');
    }).finally(() => {
      this.flushing = false;
      // Go on while there is more and Redis answers; after a failure the 'ready' event restarts it.
      if (this.pendingHead < this.pending.length && this.redis?.isReady === true && !this.needsResync) this.schedule();
      else if (this.needsResync && this.redis?.isReady === true) setTimeout(() => this.schedule(), 100).unref();
    });
  }

  private async flush(): Promise<void> {
    const redis = this.redis!;
    if (!redis.isReady) return;
    if (this.needsResync) await this.resync();
    while (this.pendingHead < this.pending.length && this.running) {
      // Everything pending in one round trip (up to a bound), as entries of at most maxBatch
      // commands: a busy engine that applies more commands per turn than one entry holds is not
      // left behind by its own publisher.
      const take = Math.min(this.pending.length - this.pendingHead, this.maxBatch * 64);
      const chunks: Pending[][] = [];
      for (let i = 0; i < take; i += this.maxBatch) chunks.push(this.pending.slice(this.pendingHead + i, this.pendingHead + Math.min(take, i + this.maxBatch)));
      await this.write(chunks, []);
      this.pendingHead += take;
      this.publishedCmdSeq = this.pending[this.pendingHead - 1]!.cmdSeq;
      this.compact();
      this.wake();
    }
    if (this.pendingHead >= this.pending.length) void this.notePublished();
    this.wake();
  }

  /**
   * Writes each chunk's events after each stream's last entry (and, first, `catchUp`: older account
   * events from the window), one entry per stream per chunk, all in one round trip.
   */
  private async write(chunks: readonly (readonly Pending[])[], catchUp: readonly EngineEvent[]): Promise<void> {
    const { layout, maxLen } = this.options;
    const tops = [...this.eventTops!];
    let marketTop = this.marketTop;
    const now = String(Date.now());
    const writes: Promise<unknown>[] = [];
    let entries = 0;
    let marketEntries = 0;
    const addEvents = (byShard: EngineEvent[][]): void => {
      for (let shard = 0; shard < this.shards; shard++) {
        const events = byShard[shard]!;
        if (events.length === 0) continue;
        const top = events[events.length - 1]!.cmdSeq;
        writes.push(send(this.redis!, ['XADD', layout.events(shard), 'MAXLEN', '~', String(maxLen), entryId(top), 'b', encodeEntry(events, 160), 't', now]));
        tops[shard] = top;
        entries += 1;
        this.metrics?.events.inc({ stream: 'events' }, events.length);
      }
    };
    if (catchUp.length > 0) {
      const byShard: EngineEvent[][] = Array.from({ length: this.shards }, () => []);
      for (const event of catchUp) {
        const shard = shardOf(event.accountId, this.shards);
        if (event.cmdSeq > tops[shard]!) byShard[shard]!.push(event);
      }
      addEvents(byShard);
    }
    for (const chunk of chunks) {
      const byShard: EngineEvent[][] = Array.from({ length: this.shards }, () => []);
      const market: MarketRecord[] = [];
      for (const command of chunk) {
        for (const event of command.events) {
          const shard = shardOf(event.accountId, this.shards);
          if (command.cmdSeq > tops[shard]!) byShard[shard]!.push(event);
        }
        if ((command.market.length > 0 || command.prices.length > 0) && command.cmdSeq > marketTop) market.push([command.cmdSeq, command.market, command.prices]);
      }
      addEvents(byShard);
      if (market.length > 0) {
        marketTop = market[market.length - 1]![0];
        writes.push(send(this.redis!, ['XADD', layout.market, 'MAXLEN', '~', String(maxLen), entryId(marketTop), 'b', encodeEntry(market, 400), 't', now]));
        marketEntries += 1;
        this.metrics?.events.inc({ stream: 'market' }, market.reduce((n, r) => n + r[1].length, 0));
      }
    }
    if (writes.length === 0) return;
    const started = performance.now();
    await Promise.all(writes);
    this.metrics?.seconds.observe((performance.now() - started) / 1000);
    this.eventTops = tops;
    this.marketTop = marketTop;
    this.metrics?.entries.inc({ stream: 'events' }, entries);
    if (marketEntries > 0) this.metrics?.entries.inc({ stream: 'market' }, marketEntries);
  }

  /**
   * Records in Redis the last command every stream holds (everything before the first pending
   * command), at most every 50 ms unless `now`: a restart that reads it skips streams that had
   * nothing to write for a while, and does not mistake commands without public events for lost
   * ones. Only a hint (a stale one costs a restart some reading), so not awaited: later writes
   * queue behind it on the same connection, and a failure makes the next flush resync.
   */
  private notePublished(now = false): Promise<void> {
    const at = Date.now();
    if (!now && at - this.publishedNotedAt < 50) return Promise.resolve();
    this.publishedNotedAt = at;
    // With nothing pending every command applied so far is published (those without events included).
    const through = this.pendingHead < this.pending.length ? this.pending[this.pendingHead]!.cmdSeq - 1 : this.exchange!.engine.cmdSeq;
    return send(this.redis!, ['SET', this.options.layout.published, String(through)]).then(() => undefined, () => {
      this.needsResync = true;
    });
  }

  /**
   * Reads every stream's last entry and publishes what follows it that `pending` does not hold:
   * account events from the window, and a market reset when public events are missing.
   */
  private async resync(): Promise<void> {
    const redis = this.redis!;
    const { layout } = this.options;
    this.metrics?.resyncs.inc();
    // The stream's last generated id, which is what Redis compares a new id with (its last entry
    // may have been trimmed or deleted since).
    const lastOf = async (key: string): Promise<number> => {
      const info = await send<unknown[]>(redis, ['XINFO', 'STREAM', key]).catch((error: unknown) => {
        if (error instanceof Error && /no such key/i.test(error.message)) return null;
        throw error;
      });
      if (info === null) return 0;
      const at = info.indexOf('last-generated-id');
      return at < 0 ? 0 : cmdSeqOfId(String(info[at + 1]));
    };
    // Every command through `published` is in every stream, whether it had anything for it or not.
    const published = Number(await send<string | null>(redis, ['GET', layout.published]) ?? 0);
    this.eventTops = await Promise.all(Array.from({ length: this.shards }, async (_, shard) => Math.max(published, await lastOf(layout.events(shard)))));
    this.marketTop = Math.max(published, await lastOf(layout.market));
    // Account events older than what pending holds come from the replay window.
    const oldest = Math.min(...this.eventTops);
    if (oldest + 1 < this.coveredFrom) {
      const window = (this.exchange!.eventLog?.capture() ?? []) as EngineEvent[];
      const missing = window.filter((e) => e.cmdSeq < this.coveredFrom && e.cmdSeq > this.eventTops![shardOf(e.accountId, this.shards)]!);
      const reaches = window.length > 0 ? window[0]!.cmdSeq : this.coveredFrom;
      if (reaches > oldest + 1) {
        this.options.log(`redis holds account events only through command ${oldest} and the replay window starts at ${reaches}: ` +
          'events in between, if any, are fetched by the gateways from the journal', 'warn');
      }
      for (let i = 0; i < missing.length; i += this.maxBatch * 4) await this.write([], missing.slice(i, i + this.maxBatch * 4));
    }
    if (this.marketTop + 1 < this.coveredFrom) {
      // Public events of commands this process never saw: the gateways take the market state afresh.
      // `<cmdSeq>-*`: after the last entry's id whatever its sequence part (Redis numbers it).
      await send(redis, ['XADD', layout.market, 'MAXLEN', '~', String(this.options.maxLen), `${this.marketTop}-*`, 'reset', String(this.coveredFrom - 1), 't', String(Date.now())]);
      this.marketTop = this.coveredFrom - 1;
      this.options.log(`redis lacks public events before command ${this.coveredFrom}: published a market reset (gateways resynchronise their market state)`, 'warn');
    }
    // Every stream is as complete through coveredFrom - 1 as it can be made.
    if (this.coveredFrom - 1 > published) await send(redis, ['SET', layout.published, String(this.coveredFrom - 1)]);
    // Everything pending at or below every stream's last entry is there already.
    const floor = Math.min(this.marketTop, ...this.eventTops);
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.cmdSeq <= floor) this.pendingHead += 1;
    this.compact();
    this.needsResync = false;
  }

  /** Makes sure Redis holds this epoch's streams: another epoch's are deleted (their history is not this one's). */
  private async settleEpoch(): Promise<void> {
    const redis = this.redis!;
    const { layout, log } = this.options;
    const epoch = this.exchange!.epoch;
    const [stored, storedShards] = await Promise.all([send<string | null>(redis, ['GET', layout.epoch]), send<string | null>(redis, ['GET', layout.shardCount])]);
    if (stored === epoch && storedShards !== null) {
      const shards = Number(storedShards);
      if (shards !== this.shards) log(`redis streams of epoch ${epoch} are split in ${shards} shards: keeping ${shards} (configured ${this.shards} applies to a new epoch)`, 'warn');
      this.shards = shards;
      return;
    }
    const old: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await send<[string, string[]]>(redis, ['SCAN', cursor, 'MATCH', `${layout.prefix}:ev:*`, 'COUNT', '1000']);
      old.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    await send(redis, ['DEL', layout.market, layout.published, ...old]);
    await send(redis, ['MSET', layout.epoch, epoch, layout.shardCount, String(this.shards)]);
    if (stored !== null) log(`redis held streams of epoch ${stored}: deleted, publishing epoch ${epoch}`, 'warn');
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (this.publishedThrough(waiter.cmdSeq)) {
        this.waiters.splice(i, 1);
        waiter.resolve(true);
      }
    }
  }

  private compact(): void {
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }
}
