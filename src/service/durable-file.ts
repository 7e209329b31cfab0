/**
 * A small file that mirrors some in-memory state, written with group commit off the event loop.
 *
 * `persist()` is called after a change to the state; it resolves once a write that rendered the
 * state after that change is on disk (temp file, fsync, rename, directory fsync:
 * writeFileAtomicAsync). One write is in flight at a time; every change made while it is in flight
 * shares the next write, so a burst of changes costs two writes, not one per change, and nothing
 * blocks the event loop but rendering the content.
 *
 * A failed write is logged and rejects the persist() calls it covered with DurableWriteError, so the
 * request that needed durability can answer a 5xx instead of the error reaching the event loop. Each
 * caller may pass an `undo` that takes its change back out of the state: they run synchronously
 * when the write fails, before the next write is rendered, so the state never keeps a change the
 * disk refused while a later write would save it behind the caller's back.
 */
import type { LogFn } from '../ops/log.js';
import { writeFileAtomicAsync } from './atomic-file.js';

export class DurableWriteError extends Error {
  override name = 'DurableWriteError';
  constructor(readonly path: string, cause: unknown) {
    super(`could not save ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

interface Waiter {
  resolve(): void;
  reject(error: DurableWriteError): void;
  undo: (() => void) | undefined;
}

export class DurableFile {
  /** Callers whose change is not yet in a write that has started. */
  private waiting: Waiter[] = [];
  private inFlight: Promise<void> | null = null;
  /** Writes completed and failed, for tests and metrics. */
  readonly stats = { writes: 0, failures: 0 };

  constructor(
    readonly path: string,
    private readonly render: () => string,
    private readonly log: LogFn = () => undefined,
  ) {}

  /** Resolves once the state as it is now is on disk; rejects with DurableWriteError (after running `undo`) if that write fails. */
  persist(undo?: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject, undo });
      this.startWrite();
    });
  }

  /** Resolves when nothing is being written or waiting to be (for a clean shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
  }

  private startWrite(): void {
    if (this.inFlight !== null || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    // Rendered now: it covers every change whose caller is in `batch`.
    const content = this.render();
    this.inFlight = writeFileAtomicAsync(this.path, content).then(
      () => {
        this.stats.writes += 1;
        for (const waiter of batch) waiter.resolve();
      },
      (cause: unknown) => {
        this.stats.failures += 1;
        const error = new DurableWriteError(this.path, cause);
        this.log(`${error.message} (${batch.length} change(s) refused and taken back)`, 'error');
        for (const waiter of batch) {
          try {
            waiter.undo?.();
          } catch (undoError) {
            this.log(`taking back a change to ${this.path} failed: ${String(undoError)}`, 'error');
          }
          waiter.reject(error);
        }
      },
    ).finally(() => {
      this.inFlight = null;
      this.startWrite();
    });
  }
}
