/**
 * A gateway's one read loop over Redis: a blocking XREAD on every account shard's stream, the
 * market stream and the credential log, on a connection of its own — one consumer per gateway per
 * shard, whatever the number of client connections. Each entry is decoded once and applied to the
 * replica (replica.ts) one command at a time, which hands it to the streams through the EventBus,
 * where each dialect encodes it once and fans it out.
 *
 * Order and completeness are checked per account, not trusted: an event at or below the account's
 * seq is dropped (never sent twice), and one beyond seq + 1 holds the account's events back while
 * the missing ones are fetched from the engine (its window or journal), so a client never sees a
 * gap even if Redis lost entries. Book update ids are checked per symbol the same way: a jump (or a
 * reset entry) makes the gateway take the market state afresh from the engine.
 *
 * At start the loop reads the streams from their beginning: events up to the bootstrap's command
 * only fill the replay window; the rest are delivered.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { PriceInfo } from '../engine/engine.js';
import type { EngineEvent, PublicEvent } from '../engine/types.js';
import type { LogFn } from '../ops/log.js';
import { decodeBinary } from '../persistence/binary-codec.js';
import { compareIds, type CredentialMirror } from './credential-share.js';
import type { EngineClient } from './engine-client.js';
import { bytesOf, type ByteEntry, type Layout, type RawEntry } from './layout.js';
import type { MarketRecord } from './publisher.js';
import { send, sendForBytes, type Redis } from './redis.js';
import type { Replica } from './replica.js';

export interface ConsumerOptions {
  /** A connection for the blocking reads alone. */
  reader: Redis;
  /** A connection for everything else (credential reloads). */
  client: Redis;
  layout: Layout;
  shards: number;
  replica: Replica;
  credentials: CredentialMirror;
  /** The engine's history (gap repair) and market state (resynchronisation). */
  engine: Pick<EngineClient, 'history' | 'market'>;
  log: LogFn;
  /** Most events an account's repair may hold back (then the gap is accepted and logged). */
  maxHeldEvents: number;
  /** How long a resume may wait for events seen on another gateway. */
  awaitSeqMs?: number;
}

interface Repair {
  held: EngineEvent[];
}

interface SeqWaiter {
  seq: number;
  resolve: (arrived: boolean) => void;
}

export class Consumer {
  private readonly keys: string[];
  private readonly cursors: string[];
  private stopped = false;
  private running: Promise<void> | null = null;
  private readonly repairs = new Map<number, Repair>();
  private readonly waiters = new Map<number, SeqWaiter[]>();
  private marketResync: Promise<void> | null = null;
  private readonly marketHeld: ByteEntry[] = [];
  /** Each stream's last entry at start: reached, the gateway has caught up. */
  private startTops: (string | null)[] = [];
  private caughtUp = false;
  private readonly caughtUpWaiters: (() => void)[] = [];
  /** Whether the last read worked (readiness). */
  redisOk = false;
  private metrics: { lag: Histogram; events: Counter; duplicates: Counter; repaired: Counter; gaps: Counter; resyncs: Counter } | null = null;

  constructor(private readonly options: ConsumerOptions) {
    const { layout, shards } = options;
    this.keys = [layout.credLog, ...Array.from({ length: shards }, (_, shard) => layout.events(shard)), layout.market];
    this.cursors = this.keys.map(() => '0-0');
  }

  registerMetrics(registry: Registry): void {
    const registers = [registry];
    this.metrics = {
      lag: new Histogram({
        name: 'perpstream_redis_consume_lag_seconds', help: 'From an entry\'s publication by the engine to its reading by this gateway.', registers,
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      }),
      events: new Counter({ name: 'perpstream_redis_consumed_events_total', help: 'Events read from Redis, by stream kind.', labelNames: ['stream'], registers }),
      duplicates: new Counter({ name: 'perpstream_redis_duplicate_events_total', help: 'Account events at or below the account\'s seq, dropped.', registers }),
      repaired: new Counter({ name: 'perpstream_redis_repaired_events_total', help: 'Missing account events fetched from the engine.', registers }),
      gaps: new Counter({ name: 'perpstream_redis_unrepaired_gaps_total', help: 'Gaps the engine could not fill (its history no longer reaches): delivered with the gap.', registers }),
      resyncs: new Counter({ name: 'perpstream_redis_market_resyncs_total', help: 'Times the market state was taken afresh from the engine.', registers }),
    };
  }

  /** Starts reading; resolves once every stream is read up to where it stood at the start. */
  async start(): Promise<void> {
    const { client, credentials } = this.options;
    this.cursors[0] = credentials.cursor;
    this.startTops = await Promise.all(this.keys.map(async (key, i) => {
      if (i === 0) return null;
      const last = await send<RawEntry[]>(client, ['XREVRANGE', key, '+', '-', 'COUNT', '1']);
      return last.length === 0 ? null : last[0]![0];
    }));
    this.checkCaughtUp();
    this.running = this.loop();
    if (!this.caughtUp) await new Promise<void>((resolve) => this.caughtUpWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiters of [...this.waiters.values()]) for (const waiter of [...waiters]) waiter.resolve(false);
    this.waiters.clear();
    // The blocking read ends within its BLOCK time (or at once, when the connection is closed).
    await this.running?.catch(() => undefined);
  }

  /** XtStreamOptions.awaitSeq: resolves once the account's events through `seq` arrived here. */
  awaitSeq = (accountId: number, seq: number, signal: AbortSignal): Promise<boolean> => {
    if ((this.options.replica.engine.account(accountId)?.seq ?? 0) >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: SeqWaiter = { seq, resolve };
      let list = this.waiters.get(accountId);
      if (list === undefined) this.waiters.set(accountId, (list = []));
      list.push(waiter);
      const done = (arrived: boolean): void => {
        clearTimeout(timer);
        const waiting = this.waiters.get(accountId);
        const at = waiting?.indexOf(waiter) ?? -1;
        if (at >= 0) waiting!.splice(at, 1);
        if (waiting?.length === 0) this.waiters.delete(accountId);
        resolve(arrived);
      };
      waiter.resolve = done;
      const timer = setTimeout(() => done(false), this.options.awaitSeqMs ?? 5_000);
      signal.addEventListener('abort', () => done(false), { once: true });
    });
  };

  private async loop(): Promise<void> {
    const { reader, log } = this.options;
    while (!this.stopped) {
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        // Payloads are binary: read as bytes (ids and field names are ASCII).
        reply = await sendForBytes<[Buffer, [Buffer, Buffer[]][]][] | null>(reader, ['XREAD', 'COUNT', '500', 'BLOCK', '500', 'STREAMS', ...this.keys, ...this.cursors]);
        this.redisOk = true;
      } catch (error) {
        if (this.stopped) return;
        if (this.redisOk) log(`reading redis failed (${error instanceof Error ? error.message : String(error)}): not ready until it answers`, 'warn');
        this.redisOk = false;
        await new Promise<void>((resolve) => {
          if (reader.isReady) setTimeout(resolve, 100);
          else reader.once('ready', () => resolve());
        });
        continue;
      }
      if (reply !== null) {
        // Credentials first: a key issued before an event is known before the event is pushed.
        const byKey = new Map(reply.map(([key, entries]) => [key.toString('latin1'), entries]));
        for (let i = 0; i < this.keys.length; i++) {
          const entries = byKey.get(this.keys[i]!);
          if (entries === undefined) continue;
          for (const raw of entries) {
            const entry: ByteEntry = [raw[0].toString('latin1'), raw[1]];
            await this.handle(i, entry);
            this.cursors[i] = entry[0];
          }
        }
      }
      this.checkCaughtUp();
    }
  }

  private async handle(index: number, entry: ByteEntry): Promise<void> {
    const published = Number(bytesOf(entry, 't')?.toString('latin1') ?? 0);
    if (published > 0 && this.caughtUp) this.metrics?.lag.observe(Math.max(0, Date.now() - published) / 1000);
    if (index === 0) {
      const text: RawEntry = [entry[0], entry[1].map((b) => b.toString('utf8'))];
      return this.options.credentials.apply(this.options.client, text);
    }
    if (index === this.keys.length - 1) return this.onMarket(entry);
    const payload = bytesOf(entry, 'b');
    if (payload === undefined) return;
    const events = decodeBinary<EngineEvent[]>(payload);
    this.metrics?.events.inc({ stream: 'events' }, events.length);
    // One command at a time (the streams that push a command as one frame need its events together).
    let from = 0;
    for (let i = 1; i <= events.length; i++) {
      if (i < events.length && events[i]!.cmdSeq === events[from]!.cmdSeq) continue;
      this.onCommand(events.slice(from, i));
      from = i;
    }
  }

  /** One command's events of this shard's accounts. */
  private onCommand(events: EngineEvent[]): void {
    const { replica } = this.options;
    if (events[0]!.cmdSeq <= replica.bootCmdSeq) {
      // Already in the bootstrap's seqs: only the replay window takes them.
      for (const event of events) replica.eventLog.record(event);
      return;
    }
    this.deliver(events);
  }

  /** Delivers events in seq order per account: duplicates dropped, gaps repaired first. */
  private deliver(events: readonly EngineEvent[]): void {
    const { replica } = this.options;
    const accepted: EngineEvent[] = [];
    let seen: Map<number, number> | null = null;
    for (const event of events) {
      const repair = this.repairs.get(event.accountId);
      if (repair !== undefined) {
        this.hold(event.accountId, repair, event);
        continue;
      }
      const last = seen?.get(event.accountId) ?? replica.engine.account(event.accountId)?.seq ?? 0;
      if (event.seq <= last) {
        this.metrics?.duplicates.inc();
        continue;
      }
      if (event.seq > last + 1) {
        this.startRepair(event.accountId, last, event);
        continue;
      }
      accepted.push(event);
      (seen ??= new Map()).set(event.accountId, event.seq);
    }
    if (accepted.length === 0) return;
    replica.applyCommand(accepted);
    if (this.waiters.size > 0) for (const [accountId] of seen!) this.wakeSeq(accountId);
  }

  private hold(accountId: number, repair: Repair, event: EngineEvent): void {
    repair.held.push(event);
    if (repair.held.length > this.options.maxHeldEvents) {
      // The engine cannot fill the gap in time: go on with it (logged and counted).
      this.repairs.delete(accountId);
      this.metrics?.gaps.inc();
      this.options.log(`account ${accountId}: more than ${this.options.maxHeldEvents} events held while fetching missing ones; delivering with a gap`, 'error');
      this.release(repair.held, true);
    }
  }

  private startRepair(accountId: number, last: number, first: EngineEvent): void {
    const repair: Repair = { held: [first] };
    this.repairs.set(accountId, repair);
    const { engine, log, maxHeldEvents } = this.options;
    const attempt = async (tries: number): Promise<void> => {
      const result = await engine.history({ accountId, afterSeq: last, throughSeq: first.seq - 1, maxEvents: maxHeldEvents })
        .catch((error: unknown) => ({ recovered: false as const, reason: error instanceof Error ? error.message : String(error), retry: true }));
      if (this.repairs.get(accountId) !== repair) return; // given up meanwhile
      if (result.recovered) {
        this.repairs.delete(accountId);
        this.metrics?.repaired.inc(result.events.length);
        this.release([...result.events, ...repair.held], false);
        return;
      }
      if ('retry' in result && !this.stopped && tries < 50) {
        // The engine is away (restarting): try again.
        setTimeout(() => void attempt(tries + 1), 200).unref();
        return;
      }
      this.repairs.delete(accountId);
      this.metrics?.gaps.inc();
      log(`account ${accountId}: events ${last + 1}…${first.seq - 1} are missing and the engine cannot serve them (${result.reason}); delivering with a gap`, 'error');
      this.release(repair.held, true);
    };
    log(`account ${accountId}: seq ${first.seq} follows ${last}; fetching the missing events from the engine`, 'warn');
    void attempt(0);
  }

  /** Delivers held (and fetched) events command by command; `skipGap` accepts the first one's gap. */
  private release(events: EngineEvent[], skipGap: boolean): void {
    const { replica } = this.options;
    if (skipGap && events.length > 0) {
      const first = events[0]!;
      replica.engine.seqs.set(first.accountId, first.seq - 1);
    }
    let from = 0;
    for (let i = 1; i <= events.length; i++) {
      if (i < events.length && events[i]!.cmdSeq === events[from]!.cmdSeq) continue;
      this.deliver(events.slice(from, i));
      from = i;
    }
  }

  private wakeSeq(accountId: number): void {
    const list = this.waiters.get(accountId);
    if (list === undefined) return;
    const seq = this.options.replica.engine.account(accountId)?.seq ?? 0;
    for (const waiter of [...list]) if (waiter.seq <= seq) waiter.resolve(true);
  }

  // -- market ----------------------------------------------------------------------------------

  private onMarket(entry: ByteEntry): void {
    if (this.marketResync !== null) {
      this.marketHeld.push(entry);
      return;
    }
    if (bytesOf(entry, 'reset') !== undefined) return this.resyncMarket(entry, 'a reset entry (the engine lost public events)');
    const payload = bytesOf(entry, 'b');
    if (payload === undefined) return;
    const { replica } = this.options;
    const records = decodeBinary<MarketRecord[]>(payload);
    for (let r = 0; r < records.length; r++) {
      const [cmdSeq, events, prices] = records[r]! as [number, PublicEvent[], PriceInfo[]];
      if (cmdSeq <= replica.marketCmdSeq) continue;
      for (const event of events) {
        if (event.type !== 'book') continue;
        const expected = (replica.bookUpdateId(event.symbol) ?? 0) + 1;
        if (event.updateId !== expected) return this.resyncMarket(entry, `${event.symbol} book update ${event.updateId} where ${expected} was next`);
      }
      this.metrics?.events.inc({ stream: 'market' }, events.length);
      replica.applyMarket(cmdSeq, events, prices);
    }
  }

  /** Takes the market state afresh from the engine; entries read meanwhile wait, then those after it apply. */
  private resyncMarket(entry: ByteEntry, why: string): void {
    const { engine, replica, log } = this.options;
    this.metrics?.resyncs.inc();
    log(`market state: ${why}; taking it afresh from the engine`, 'warn');
    this.marketHeld.push(entry);
    const attempt = async (): Promise<void> => {
      for (;;) {
        try {
          replica.loadMarket(await engine.market());
          return;
        } catch (error) {
          if (this.stopped) return;
          log(`market state: the engine did not answer (${error instanceof Error ? error.message : String(error)}); trying again`, 'warn');
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    this.marketResync = attempt().then(() => {
      this.marketResync = null;
      const held = this.marketHeld.splice(0);
      // A reset entry among them is behind the state just taken: skip it.
      for (const e of held) if (bytesOf(e, 'reset') === undefined) this.onMarket(e);
    });
  }

  private checkCaughtUp(): void {
    if (this.caughtUp) return;
    for (let i = 1; i < this.keys.length; i++) {
      const top = this.startTops[i];
      if (top !== null && top !== undefined && compareIds(this.cursors[i]!, top) < 0) return;
    }
    this.caughtUp = true;
    for (const resolve of this.caughtUpWaiters.splice(0)) resolve();
  }

  /** Whether the gateway has read every stream up to where it stood at the start. */
  get isCaughtUp(): boolean {
    return this.caughtUp;
  }
}
