/**
 * History older than the in-memory window, recomputed from the data directory (history-replay.ts),
 * off the engine's thread: each replay runs on a worker thread (replay-worker.ts), so however long
 * it takes, commands, acks and pushes keep flowing. Workers are started when first needed, reused,
 * never keep the process alive, and are stopped when their replay is cancelled (the CPU is freed at
 * once) or the history closes. How many run at once, and who may start one, is the caller's
 * budget (replay-budget.ts): this class runs what it is given.
 *
 * When the live engine's options cannot be sent to a worker (a custom ADL ranking is code) or the
 * store reads through injected file operations (tests), the replay runs on the engine's thread
 * instead, yielding whenever it has used `sliceMs`; reading and decoding a journal segment or a
 * snapshot is one step that cannot be cut there.
 */
import type { Worker } from 'node:worker_threads';
import type { EngineOptions } from '../engine/engine.js';
import type { ReplayResult } from '../service/event-log.js';
import { realFileOps, type FileOps } from './file-ops.js';
import { replayHistory, type HistoryRequest, type HistorySource, type Pause } from './history-replay.js';
import { startReplayWorker, transferableEngineOptions, type ReplayWorkerData } from './replay-transfer.js';

export interface JournalHistoryOptions {
  ops: FileOps;
  journalDir: string;
  snapshotsDir: string;
  /** The options the live engine was made with: the replay must behave exactly like it. */
  engine: EngineOptions;
  /** Only when a replay cannot go to a worker: the longest stretch it runs before yielding (default 2 ms). */
  sliceMs?: number;
}

export const CANCELLED: ReplayResult = { recovered: false, reason: 'the resume was cancelled: its connection closed' };

export class JournalHistory {
  /** What a worker is started with; null when replays must run on the engine's thread. */
  private readonly workerData: ReplayWorkerData | null;
  private readonly idle: Worker[] = [];
  private readonly workers = new Set<Worker>();
  private running = 0;
  private holds = 0;
  private closed = false;

  constructor(private readonly options: JournalHistoryOptions) {
    const engine = transferableEngineOptions(options.engine);
    this.workerData = engine === null || options.ops !== realFileOps ? null : { journalDir: options.journalDir, snapshotsDir: options.snapshotsDir, engine };
  }

  /** Replays in progress or promised (held): while any is, the store must not prune what they read. */
  get busy(): boolean {
    return this.running > 0 || this.holds > 0;
  }

  /** Whether replays run on worker threads (else in slices on the engine's thread). */
  get offThread(): boolean {
    return this.workerData !== null;
  }

  /** Keeps what replays read from being pruned until the returned release is called (a replay waiting its turn). */
  hold(): () => void {
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
    };
  }

  /**
   * Every event of the request's account with afterSeq < seq ≤ throughSeq, recomputed from the
   * journal up to command throughCmdSeq; all or nothing, never a rejection. Aborting `signal`
   * stops the replay (its worker is terminated) and answers CANCELLED.
   */
  run(request: HistoryRequest, signal?: AbortSignal): Promise<ReplayResult> {
    if (this.closed) return Promise.resolve({ recovered: false, reason: 'the server is shutting down; resume again once it is back' });
    if (signal?.aborted === true) return Promise.resolve(CANCELLED);
    this.running += 1;
    const replay = this.workerData === null ? this.inSlices(request, signal) : this.onWorker(this.workerData, request, signal);
    return replay.finally(() => {
      this.running -= 1;
    });
  }

  /** Stops every worker; replays in progress answer that the server is shutting down. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
  }

  private onWorker(data: ReplayWorkerData, request: HistoryRequest, signal: AbortSignal | undefined): Promise<ReplayResult> {
    const worker = this.idle.pop() ?? this.start(data);
    return new Promise<ReplayResult>((resolve) => {
      const settle = (result: ReplayResult, reusable: boolean): void => {
        worker.off('message', onResult);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        if (reusable && !this.closed) this.idle.push(worker);
        else void worker.terminate();
        resolve(result);
      };
      const onResult = (result: ReplayResult): void => settle(result, true);
      const onError = (error: Error): void => settle({ recovered: false, reason: `the replay worker failed (${error.message}); fetch a REST snapshot` }, false);
      const onExit = (): void => settle({ recovered: false, reason: this.closed ? 'the server is shutting down; resume again once it is back' : 'the replay worker stopped; retry, or fetch a REST snapshot' }, false);
      // The client is gone: terminating the worker frees its CPU now rather than when the replay ends.
      const onAbort = (): void => settle(CANCELLED, false);
      worker.on('message', onResult);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage(request);
    });
  }

  private start(data: ReplayWorkerData): Worker {
    // A worker never keeps the process alive; one that dies (or is stopped) is forgotten.
    const worker = startReplayWorker(data);
    this.workers.add(worker);
    worker.once('exit', () => {
      this.workers.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
    });
    return worker;
  }

  /** The fallback: on the engine's thread, yielding to the event loop whenever `sliceMs` is used up. */
  private inSlices(request: HistoryRequest, signal: AbortSignal | undefined): Promise<ReplayResult> {
    const { ops, journalDir, snapshotsDir, engine, sliceMs = 2 } = this.options;
    const source: HistorySource = { ops, journalDir, snapshotsDir, engine };
    let sliceStart = performance.now();
    const pause: Pause = async () => {
      if (performance.now() - sliceStart < sliceMs) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted === true) throw new Error('cancelled: the connection closed');
      sliceStart = performance.now();
    };
    return replayHistory(source, request, pause).then((result) => (signal?.aborted === true ? CANCELLED : result));
  }
}
