/**
 * The durable store of one data directory: recovery at start-up (newest valid snapshot, then the
 * journal after it, torn tail cut, state hashes checked), the journal for new commands, periodic
 * snapshots, pruning, and the stream `epoch`. Layout:
 *   <dataDir>/epoch                       the stream history's id
 *   <dataDir>/journal/journal-<seq>.log   framed command records
 *   <dataDir>/snapshots/snapshot-<seq>.snap
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { LogFn } from '../ops/log.js';
import type { Clock } from '../service/clock.js';
import { Exchange, type EngineSettings } from '../service/exchange.js';
import { realFileOps, type FileOps } from './file-ops.js';
import { CorruptJournalError, Journal, readJournal } from './journal.js';
import { JournalHistory } from './journal-history.js';
import { listSnapshots, pruneSnapshots, readSnapshot, writeSnapshot, type SnapshotData } from './snapshots.js';

export interface StoreOptions {
  dataDir: string;
  symbols: readonly SymbolSpec[];
  clock: Clock;
  ops?: FileOps;
  log?: LogFn;
  /** Take a snapshot after this many commands (default 100,000)… */
  snapshotEveryCommands?: number;
  /** …or this long after the last one when anything happened (default 5 minutes). */
  snapshotEveryMs?: number;
  /** Snapshots kept (the journal is kept back to the oldest of them). Default 2. */
  keepSnapshots?: number;
  segmentBytes?: number;
  /** Engine options besides the symbols (position mode of new accounts, risk and mark pacing). */
  engineOptions?: EngineSettings;
}

export interface RecoveryReport {
  epoch: string;
  newEpoch: boolean;
  snapshotSeq: number | null;
  skippedSnapshots: string[];
  replayed: number;
  checkpointsVerified: number;
  torn: { segment: string; offset: number; droppedBytes: number; reason: string } | null;
  cmdSeq: number;
  ms: number;
}

export interface SnapshotStats {
  cmdSeq: number;
  /** How long the engine was held still to capture the state (copy and state hash). */
  pauseMs: number;
  /** Encoding and writing, chunk by chunk, while commands keep flowing between chunks. */
  writeMs: number;
  bytes: number;
}

export class DurableStore {
  private readonly ops: FileOps;
  private readonly log: LogFn;
  private timer: NodeJS.Timeout | null = null;
  private lastSnapshotSeq: number;
  private lastSnapshotAt: number;
  private snapshotting: Promise<SnapshotStats | null> | null = null;
  lastSnapshot: SnapshotStats | null = null;
  /** Called after each snapshot is written (metrics); set by the server. */
  onSnapshot: ((stats: SnapshotStats) => void) | null = null;
  /** Resumes older than the in-memory window are served from here (retained snapshots + journal). */
  readonly history: JournalHistory;

  private constructor(
    private readonly options: StoreOptions,
    readonly exchange: Exchange,
    readonly journal: Journal,
    readonly epoch: string,
    snapshotSeq: number,
  ) {
    this.ops = options.ops ?? realFileOps;
    this.log = options.log ?? (() => undefined);
    this.lastSnapshotSeq = snapshotSeq;
    this.lastSnapshotAt = options.clock.now();
    const dirs = DurableStore.dirs(options.dataDir);
    this.history = new JournalHistory({
      ops: this.ops, journalDir: dirs.journal, snapshotsDir: dirs.snapshots, engine: DurableStore.engineOptions(options),
    });
  }

  /** The live engine's options; a history replay must use the very same. */
  private static engineOptions(options: StoreOptions): EngineOptions {
    return { ...options.engineOptions, symbols: options.symbols };
  }

  private static dirs(dataDir: string) {
    return { journal: join(dataDir, 'journal'), snapshots: join(dataDir, 'snapshots'), epoch: join(dataDir, 'epoch') };
  }

  /**
   * Recovers the data directory and returns the exchange, ready to serve. `prepare` registers the
   * service components (persistables, event observers) before anything is replayed into them.
   */
  static async open(options: StoreOptions, prepare: (exchange: Exchange) => void): Promise<{ store: DurableStore; report: RecoveryReport }> {
    const started = Date.now();
    const ops = options.ops ?? realFileOps;
    const log = options.log ?? (() => undefined);
    const dirs = DurableStore.dirs(options.dataDir);
    await ops.mkdir(dirs.journal);
    await ops.mkdir(dirs.snapshots);

    const skippedSnapshots: string[] = [];
    let snapshot: SnapshotData | null = null;
    let engine: Engine | null = null;
    for (const { name } of await listSnapshots(ops, dirs.snapshots)) {
      try {
        const candidate = await readSnapshot(ops, dirs.snapshots, name);
        const restored = Engine.restore(DurableStore.engineOptions(options), candidate.engine);
        const hash = restored.stateHash();
        if (hash !== candidate.hash) throw new Error(`state hash ${hash} after restore, ${candidate.hash} when taken`);
        snapshot = candidate;
        engine = restored;
        break;
      } catch (error) {
        skippedSnapshots.push(name);
        log(`recovery: skipping snapshot ${name}: ${error instanceof Error ? error.message : String(error)}`, 'warn');
      }
    }
    const exchange = new Exchange({
      symbols: options.symbols, clock: options.clock, engine: engine ?? undefined, engineOptions: options.engineOptions,
    });
    prepare(exchange);
    if (snapshot !== null) {
      for (const component of exchange.persistables) {
        const items = snapshot.service[component.name];
        if (items !== undefined) component.restore(items);
      }
    }

    const snapshotSeq = snapshot?.cmdSeq ?? 0;
    const journal = await readJournal(ops, dirs.journal, snapshotSeq);
    if (journal.torn !== null) {
      log(`recovery: cut a torn journal tail in ${journal.torn.segment} at byte ${journal.torn.offset}: ` +
        `${journal.torn.droppedBytes} bytes (${journal.torn.reason}) of never-acknowledged commands dropped`, 'warn');
    }
    const first = journal.records[0];
    if (first !== undefined && first.seq !== snapshotSeq + 1) {
      throw new CorruptJournalError(`the journal resumes at command ${first.seq} but the state is at ${snapshotSeq}: commands are missing`);
    }
    let checkpointsVerified = 0;
    for (const { seq, command } of journal.records) {
      exchange.replay(seq, command);
      const expected = journal.checkpoints.get(seq);
      if (expected !== undefined) {
        const hash = exchange.engine.stateHash();
        if (hash !== expected) throw new CorruptJournalError(`state hash after command ${seq} is ${hash}, the journal recorded ${expected}`);
        checkpointsVerified += 1;
      }
    }

    const fresh = snapshot === null && journal.records.length === 0;
    let epoch: string;
    let newEpoch = false;
    const existing = await ops.readFile(dirs.epoch).then((b) => b.toString('utf8').trim()).catch(() => '');
    if (fresh || existing === '') {
      // Nothing recovered: whatever a client remembers of an earlier history cannot be resumed.
      epoch = randomBytes(8).toString('hex');
      newEpoch = true;
      await ops.writeFile(dirs.epoch, `${epoch}\n`);
      await ops.syncDir(options.dataDir);
    } else {
      epoch = existing;
    }

    const appender = await Journal.open({ ops, dir: dirs.journal, segmentBytes: options.segmentBytes }, exchange.engine.cmdSeq + 1);
    exchange.attachJournal(appender);
    exchange.epoch = epoch;
    const store = new DurableStore(options, exchange, appender, epoch, snapshotSeq);
    const report: RecoveryReport = {
      epoch, newEpoch, snapshotSeq: snapshot?.cmdSeq ?? null, skippedSnapshots, replayed: journal.records.length,
      checkpointsVerified, torn: journal.torn, cmdSeq: exchange.engine.cmdSeq, ms: Date.now() - started,
    };
    return { store, report };
  }

  /** Starts the periodic snapshot check. */
  startSnapshots(): void {
    const interval = Math.min(1_000, this.options.snapshotEveryMs ?? 300_000);
    this.timer = setInterval(() => {
      const seq = this.exchange.engine.cmdSeq;
      const byCount = seq - this.lastSnapshotSeq >= (this.options.snapshotEveryCommands ?? 100_000);
      const byTime = seq > this.lastSnapshotSeq && this.options.clock.now() - this.lastSnapshotAt >= (this.options.snapshotEveryMs ?? 300_000);
      if ((byCount || byTime) && this.snapshotting === null) void this.snapshot().catch((error: unknown) => this.log(`snapshot failed: ${String(error)}`, 'error'));
    }, interval);
    this.timer.unref();
  }

  /**
   * Takes a snapshot now: the state is captured synchronously (the measured pause), then encoded,
   * written and the journal pruned while commands keep flowing. Concurrent calls share one snapshot.
   */
  snapshot(): Promise<SnapshotStats | null> {
    if (this.snapshotting !== null) return this.snapshotting;
    this.snapshotting = this.takeSnapshot().finally(() => {
      this.snapshotting = null;
    });
    return this.snapshotting;
  }

  private async takeSnapshot(): Promise<SnapshotStats | null> {
    const { exchange } = this;
    const cmdSeq = exchange.engine.cmdSeq;
    if (cmdSeq === this.lastSnapshotSeq) return null;
    const pauseStart = performance.now();
    // Everything captured here is a copy or immutable: commands applied meanwhile cannot leak in.
    const data: SnapshotData = {
      cmdSeq, hash: exchange.engine.stateHash(), takenAt: this.options.clock.now(), engine: exchange.engine.snapshot(),
      service: Object.fromEntries(exchange.persistables.map((c) => [c.name, c.capture()])),
    };
    const pauseMs = performance.now() - pauseStart;
    // The hash goes into the journal too, so a replay through this point is checked even if the file is lost.
    await new Promise<void>((resolve, reject) => this.journal.append({ seq: cmdSeq, checkpoint: { hash: data.hash } }, (e) => (e ? reject(e) : resolve())));
    const writeStart = performance.now();
    const dirs = DurableStore.dirs(this.options.dataDir);
    await this.journal.rotate();
    const { bytes } = await writeSnapshot(this.ops, dirs.snapshots, data);
    // A history replay reads the old snapshots and segments: pruning waits for the next snapshot.
    if (!this.history.busy) {
      const oldestKept = await pruneSnapshots(this.ops, dirs.snapshots, this.options.keepSnapshots ?? 2);
      if (oldestKept !== null) await this.journal.pruneThrough(oldestKept);
    }
    const writeMs = performance.now() - writeStart;
    this.lastSnapshotSeq = cmdSeq;
    this.lastSnapshotAt = this.options.clock.now();
    this.lastSnapshot = { cmdSeq, pauseMs, writeMs, bytes };
    this.onSnapshot?.(this.lastSnapshot);
    this.log(`snapshot at command ${cmdSeq}: ${bytes} bytes, engine held ${pauseMs.toFixed(1)} ms, encoded and written in ${writeMs.toFixed(1)} ms`);
    return this.lastSnapshot;
  }

  /**
   * Graceful shutdown: a last snapshot (recovery works without it, so a failure is logged, not
   * thrown), then the journal is closed.
   */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    try {
      await this.snapshotting;
      await this.snapshot();
    } catch (error) {
      this.log(`no closing snapshot (${error instanceof Error ? error.message : String(error)}); the journal has everything, recovery replays it`, 'warn');
    }
    await this.journal.close();
  }
}
