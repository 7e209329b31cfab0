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
import type { Worker } from 'node:worker_threads';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { Command } from '../engine/types.js';
import { systemTimers, type Timer, type Timers } from '../gateway/timers.js';
import type { LogFn } from '../ops/log.js';
import type { Clock } from '../service/clock.js';
import { ServiceState, type Persistable, type ServiceStateOptions } from '../service/service-state.js';
import { realFileOps, type FileOps } from './file-ops.js';
import { CorruptJournalError, Journal, readJournal } from './journal.js';
import { JournalHistory } from './journal-history.js';
import { startReplayWorker, transferableEngineOptions, type ReplayWorkerData } from './replay-transfer.js';
import { newestSnapshot, type SnapshotRequest, type SnapshotResult } from './snapshot-replay.js';
import { pruneSnapshots, writeSnapshot, type SnapshotData } from './snapshots.js';

/**
 * What the store recovers into, journals for and snapshots: the service around the engine (the
 * Exchange). The caller builds it (the store never does) from the engine the store restored.
 */
export interface DurableService {
  readonly engine: Engine;
  /** The service state, in snapshot section order. */
  readonly persistables: readonly Persistable[];
  /** Re-applies a recovered journal record: same engine, same events, no new journal record. */
  replay(seq: number, command: Command): void;
  /** From now on every command is journaled before it is applied. */
  attachJournal(journal: Journal): void;
  /** The stream history's id: the store sets the data directory's. */
  epoch: string;
}

/** The snapshot worker thread's nice value on Linux (replay-worker.ts): below the engine's thread. */
const SNAPSHOT_WORKER_NICENESS = 10;

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
  /** The periodic snapshot check's timer (default: Node's; tests move it by hand with `clock`). */
  timers?: Timers;
  /** Snapshots kept (the journal is kept back to the oldest of them). Default 2. */
  keepSnapshots?: number;
  segmentBytes?: number;
  /** Engine options besides the symbols (position mode of new accounts, risk and mark pacing). */
  engineOptions?: Omit<EngineOptions, 'symbols'>;
  /**
   * The service state's bounds, exactly as the service was built with: a snapshot worker rebuilds
   * that state from them. When the service's persistables do not match them (or the options cannot
   * cross to a worker, or file operations are injected), snapshots are captured on the engine's thread.
   */
  service?: ServiceStateOptions;
  /**
   * Where snapshots are made. Default: on a worker when possible (real file operations, options
   * that cross, persistables as `service` describes). 'worker': on a worker even with injected
   * file operations (it reads and writes the same paths with the real ones; benchmarks time the
   * engine's side). 'engine': always captured on the engine's thread.
   */
  snapshotMode?: 'worker' | 'engine';
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
  /** Where it was made: on a worker from the journal, or captured on the engine's thread. */
  madeOn: 'worker' | 'engine';
  /**
   * How long the engine's thread was held: on the engine's thread, the capture and state hash; with
   * a worker, the synchronous steps on the engine's thread (fingerprint, posting the request).
   */
  pauseMs: number;
  /** When the pause began (performance.now()), to attribute it (e.g. to a garbage collection meanwhile). */
  pauseAt?: number;
  /**
   * From the pause to the file in place: with a worker, restoring the previous snapshot, replaying
   * the journal to the rotation point, capturing, encoding and writing; on the engine's thread,
   * encoding and writing chunk by chunk. Commands flow meanwhile either way.
   */
  writeMs: number;
  bytes: number;
  /** With a worker: journal commands it replayed to reach the rotation point. */
  replayed?: number;
  /** With a worker: its time to restore the previous snapshot / replay the journal. */
  loadMs?: number;
  replayMs?: number;
}

export class DurableStore<S extends DurableService = DurableService> {
  private readonly ops: FileOps;
  private readonly log: LogFn;
  private timer: Timer | null = null;
  private lastSnapshotSeq: number;
  private lastSnapshotAt: number;
  private snapshotting: Promise<SnapshotStats | null> | null = null;
  lastSnapshot: SnapshotStats | null = null;
  /** Called after each snapshot is written (metrics); set by the server. */
  onSnapshot: ((stats: SnapshotStats) => void) | null = null;
  /** Resumes older than the in-memory window are served from here (retained snapshots + journal). */
  readonly history: JournalHistory;
  /** What a snapshot worker is started with; null: snapshots are captured on the engine's thread. */
  private readonly workerData: ReplayWorkerData | null;
  private worker: Worker | null = null;
  private closed = false;

  private constructor(
    private readonly options: StoreOptions,
    readonly service: S,
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
    this.workerData = this.snapshotWorkerData();
  }

  /** Whether snapshots are made on a worker thread (else captured on the engine's thread). */
  get snapshotsOffThread(): boolean {
    return this.workerData !== null;
  }

  private snapshotWorkerData(): ReplayWorkerData | null {
    const { options } = this;
    if (options.snapshotMode === 'engine' || (options.snapshotMode === undefined && this.ops !== realFileOps)) return null;
    const engine = transferableEngineOptions(DurableStore.engineOptions(options));
    if (engine === null) return null;
    // The worker rebuilds exactly the service state these bounds describe: the live one must be that.
    const service = options.service ?? {};
    const expected = ServiceState.componentNames(service);
    const actual = this.service.persistables.map((p) => p.name);
    if (actual.join(',') !== expected.join(',')) {
      this.log(`snapshots on the engine's thread: the service state (${actual.join(', ')}) is not what its options describe (${expected.join(', ')})`, 'warn');
      return null;
    }
    try {
      structuredClone(service);
    } catch {
      return null;
    }
    const dirs = DurableStore.dirs(options.dataDir);
    // Snapshots are background work: the engine's thread gets the CPU first.
    return { journalDir: dirs.journal, snapshotsDir: dirs.snapshots, engine, service, niceness: SNAPSHOT_WORKER_NICENESS };
  }

  /** The live engine's options; a history replay must use the very same. */
  private static engineOptions(options: StoreOptions): EngineOptions {
    return { ...options.engineOptions, symbols: options.symbols };
  }

  private static dirs(dataDir: string) {
    return { journal: join(dataDir, 'journal'), snapshots: join(dataDir, 'snapshots'), epoch: join(dataDir, 'epoch') };
  }

  /**
   * Recovers the data directory and returns the service, ready to serve. `build` makes the service
   * around the restored engine (null: start empty) and registers its event observers; everything
   * after the snapshot is then replayed into it.
   */
  static async open<S extends DurableService>(options: StoreOptions, build: (engine: Engine | null) => S): Promise<{ store: DurableStore<S>; report: RecoveryReport }> {
    const started = Date.now();
    const ops = options.ops ?? realFileOps;
    const log = options.log ?? (() => undefined);
    const dirs = DurableStore.dirs(options.dataDir);
    await ops.mkdir(dirs.journal);
    await ops.mkdir(dirs.snapshots);

    const { found, skipped: skippedSnapshots } = await newestSnapshot(
      ops, dirs.snapshots, DurableStore.engineOptions(options), Number.MAX_SAFE_INTEGER, (message) => log(`recovery: ${message}`, 'warn'),
    );
    const exchange = build(found?.engine ?? null);
    if (found !== null) {
      for (const component of exchange.persistables) {
        const items = found.snapshot.service[component.name];
        if (items !== undefined) component.restore(items);
      }
    }
    const snapshotTakenSeq = found?.snapshot.cmdSeq ?? null;

    const snapshotSeq = snapshotTakenSeq ?? 0;
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

    const fresh = snapshotTakenSeq === null && journal.records.length === 0;
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
      epoch, newEpoch, snapshotSeq: snapshotTakenSeq, skippedSnapshots, replayed: journal.records.length,
      checkpointsVerified, torn: journal.torn, cmdSeq: exchange.engine.cmdSeq, ms: Date.now() - started,
    };
    return { store, report };
  }

  /** Starts the periodic snapshot check (and the snapshot worker, so its start-up is not in the first snapshot's pause). */
  startSnapshots(): void {
    if (this.workerData !== null && this.worker === null) this.startWorker(this.workerData);
    const interval = Math.min(1_000, this.options.snapshotEveryMs ?? 300_000);
    this.timer = (this.options.timers ?? systemTimers).setInterval(() => {
      const seq = this.service.engine.cmdSeq;
      const byCount = seq - this.lastSnapshotSeq >= (this.options.snapshotEveryCommands ?? 100_000);
      const byTime = seq > this.lastSnapshotSeq && this.options.clock.now() - this.lastSnapshotAt >= (this.options.snapshotEveryMs ?? 300_000);
      if ((byCount || byTime) && this.snapshotting === null) void this.snapshot().catch((error: unknown) => this.log(`snapshot failed: ${String(error)}`, 'error'));
    }, interval);
    this.timer.unref();
  }

  /**
   * Takes a snapshot now. With a worker: the journal rotates, and the worker restores the previous
   * snapshot and replays the journal to the rotation point, while the engine goes on (the engine's
   * thread only takes a fingerprint to check the result against). On the engine's thread (`onThread`,
   * the closing snapshot, or no worker possible): the state is captured synchronously (the measured
   * pause), then encoded and written while commands keep flowing. Concurrent calls share one snapshot.
   */
  snapshot(options: { onThread?: boolean } = {}): Promise<SnapshotStats | null> {
    if (this.snapshotting !== null) return this.snapshotting;
    const onThread = options.onThread === true || this.workerData === null || this.closed;
    this.snapshotting = (onThread ? this.snapshotOnThread() : this.snapshotOnWorker(this.workerData!)).finally(() => {
      this.snapshotting = null;
    });
    return this.snapshotting;
  }

  private async snapshotOnThread(): Promise<SnapshotStats | null> {
    const { service } = this;
    const cmdSeq = service.engine.cmdSeq;
    if (cmdSeq === this.lastSnapshotSeq) return null;
    const pauseStart = performance.now();
    // Everything captured here is a copy or immutable: commands applied meanwhile cannot leak in.
    const data: SnapshotData = {
      cmdSeq, hash: service.engine.stateHash(), takenAt: this.options.clock.now(), engine: service.engine.snapshot(),
      service: Object.fromEntries(service.persistables.map((c) => [c.name, c.capture()])),
    };
    const pauseMs = performance.now() - pauseStart;
    // The hash goes into the journal too, so a replay through this point is checked even if the file is lost.
    await this.appendCheckpoint(cmdSeq, data.hash);
    const writeStart = performance.now();
    const dirs = DurableStore.dirs(this.options.dataDir);
    await this.journal.rotate();
    const { bytes } = await writeSnapshot(this.ops, dirs.snapshots, data);
    return this.snapshotWritten({ cmdSeq, madeOn: 'engine', pauseMs, writeMs: performance.now() - writeStart, bytes });
  }

  private async snapshotOnWorker(data: ReplayWorkerData): Promise<SnapshotStats | null> {
    // Every command through the rotation point is durable, applied, and in the closed segments.
    const throughCmdSeq = await this.journal.rotate();
    if (throughCmdSeq <= this.lastSnapshotSeq) return null;
    if (this.closed) return null;
    // Started with startSnapshots(); a store that never started them starts the worker once, here, outside the pause.
    if (this.worker === null) this.startWorker(data);
    const pauseStart = performance.now();
    const engine = this.service.engine;
    // The rotation resolves before the next batch is applied, so the engine is at the rotation point.
    const fingerprint = engine.cmdSeq === throughCmdSeq ? engine.fingerprint() : null;
    const request: SnapshotRequest = { kind: 'snapshot', throughCmdSeq, takenAt: this.options.clock.now(), fingerprint };
    const result = this.onWorker(data, request);
    const pauseMs = performance.now() - pauseStart;
    const outcome = await result;
    if (!outcome.ok) {
      if (this.closed) return null;
      this.log(`snapshot at command ${throughCmdSeq} on a worker failed (${outcome.reason}); capturing it on the engine's thread`, 'warn');
      return this.snapshotOnThread();
    }
    // Trailing the commands: a later replay through this point is checked against it.
    await this.appendCheckpoint(outcome.cmdSeq, outcome.hash);
    return this.snapshotWritten({
      cmdSeq: outcome.cmdSeq, madeOn: 'worker', pauseMs, pauseAt: pauseStart, writeMs: performance.now() - pauseStart, bytes: outcome.bytes,
      replayed: outcome.replayed, loadMs: outcome.loadMs, replayMs: outcome.replayMs,
    });
  }

  /** One request to the snapshot worker (started when first needed, kept for the next). */
  private onWorker(data: ReplayWorkerData, request: SnapshotRequest): Promise<SnapshotResult> {
    const worker = this.worker ?? this.startWorker(data);
    return new Promise<SnapshotResult>((resolve) => {
      const settle = (result: SnapshotResult): void => {
        worker.off('message', onResult);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(result);
      };
      const onResult = (result: SnapshotResult): void => settle(result);
      const onError = (error: Error): void => {
        this.worker = null;
        void worker.terminate();
        settle({ ok: false, reason: `the worker failed: ${error.message}` });
      };
      const onExit = (): void => {
        this.worker = null;
        settle({ ok: false, reason: 'the worker stopped' });
      };
      worker.once('message', onResult);
      worker.on('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(request);
    });
  }

  /** The snapshot worker, kept between snapshots; forgotten when it exits. */
  private startWorker(data: ReplayWorkerData): Worker {
    const worker = startReplayWorker(data);
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = null;
    });
    this.worker = worker;
    return worker;
  }

  private appendCheckpoint(seq: number, hash: string): Promise<void> {
    return new Promise<void>((resolve, reject) => this.journal.append({ seq, checkpoint: { hash } }, (e) => (e ? reject(e) : resolve())));
  }

  /** After the file is in place: prune, remember, log. */
  private async snapshotWritten(stats: SnapshotStats): Promise<SnapshotStats> {
    const dirs = DurableStore.dirs(this.options.dataDir);
    // A history replay reads the old snapshots and segments: pruning waits for the next snapshot.
    if (!this.history.busy) {
      const oldestKept = await pruneSnapshots(this.ops, dirs.snapshots, this.options.keepSnapshots ?? 2);
      if (oldestKept !== null) await this.journal.pruneThrough(oldestKept);
    }
    this.lastSnapshotSeq = stats.cmdSeq;
    this.lastSnapshotAt = this.options.clock.now();
    this.lastSnapshot = stats;
    this.onSnapshot?.(stats);
    const worker = stats.madeOn === 'worker'
      ? ` (on a worker: ${stats.replayed ?? 0} commands replayed; restore ${(stats.loadMs ?? 0).toFixed(0)} ms, replay ${(stats.replayMs ?? 0).toFixed(0)} ms)`
      : '';
    this.log(`snapshot at command ${stats.cmdSeq}: ${stats.bytes} bytes, engine held ${stats.pauseMs.toFixed(1)} ms, ` +
      `made and written in ${stats.writeMs.toFixed(1)} ms${worker}`);
    return stats;
  }

  /**
   * Graceful shutdown: a last snapshot, captured on the engine's thread since nothing runs any more
   * (recovery works without it, so a failure is logged, not thrown), then the journal is closed.
   */
  async close(): Promise<void> {
    (this.options.timers ?? systemTimers).clear(this.timer);
    // A snapshot still being made on the worker is superseded by the closing one: stop it rather than wait.
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
    try {
      await this.snapshotting?.catch(() => null);
      await this.snapshot({ onThread: true });
    } catch (error) {
      this.log(`no closing snapshot (${error instanceof Error ? error.message : String(error)}); the journal has everything, recovery replays it`, 'warn');
    }
    await this.journal.close();
  }
}
