/**
 * History older than the in-memory replay window, served from the data directory: the engine is
 * deterministic, so an account's past events are recomputed exactly by restoring a retained
 * snapshot taken before them and re-executing the journal after it. This runs beside the live
 * engine (its own Engine instance), in chunks that yield to the event loop, one replay at a time.
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { EngineEvent } from '../engine/types.js';
import type { OlderHistory, ReplayResult } from '../service/event-log.js';
import type { FileOps } from './file-ops.js';
import { listSegments, readJournalRange } from './journal.js';
import { listSnapshots, readSnapshot } from './snapshots.js';

export interface JournalHistoryOptions {
  ops: FileOps;
  journalDir: string;
  snapshotsDir: string;
  /** The options the live engine was made with: the replay must behave exactly like it. */
  engine: EngineOptions;
  /** Commands re-executed between two yields to the event loop (default 2,000). */
  chunkCommands?: number;
  /** Replays allowed to wait behind the running one; more are refused as busy (default 8). */
  maxQueued?: number;
}

/** Where a replay starts: a retained snapshot, or the empty state when the journal reaches back to command 1. */
type Start = { engine: Engine; cmdSeq: number };

export class JournalHistory implements OlderHistory {
  private running: Promise<unknown> = Promise.resolve();
  private queued = 0;
  /** Replays in progress or waiting: while any is, the store must not prune what they read. */
  private active = 0;

  constructor(private readonly options: JournalHistoryOptions) {}

  get busy(): boolean {
    return this.active > 0;
  }

  /**
   * Every event of `accountId` with afterSeq < seq ≤ throughSeq, recomputed from the journal up
   * to command `throughCmdSeq` (the command that produced the account's event `throughSeq`, or
   * any later one). All or nothing: a refusal says why, never a partial list.
   */
  eventsOf(accountId: number, afterSeq: number, throughSeq: number, throughCmdSeq: number, maxEvents: number): Promise<ReplayResult> {
    if (this.queued >= (this.options.maxQueued ?? 8)) {
      return Promise.resolve({ recovered: false, reason: 'too many resumes are replaying history from the journal right now; retry shortly' });
    }
    this.queued += 1;
    this.active += 1;
    const run = this.running.then(() => {
      this.queued -= 1;
      return this.replay(accountId, afterSeq, throughSeq, throughCmdSeq, maxEvents);
    }).catch((error: unknown): ReplayResult => ({
      recovered: false, reason: `the journal could not replay this history (${error instanceof Error ? error.message : String(error)}); fetch a REST snapshot`,
    })).finally(() => {
      this.active -= 1;
    });
    this.running = run;
    return run;
  }

  private async replay(accountId: number, afterSeq: number, throughSeq: number, throughCmdSeq: number, maxEvents: number): Promise<ReplayResult> {
    if (throughSeq - afterSeq > maxEvents) {
      return { recovered: false, reason: `${throughSeq - afterSeq} events behind, more than one resume replays (${maxEvents}); fetch a REST snapshot` };
    }
    const start = await this.startBefore(accountId, afterSeq);
    if (start === null) return { recovered: false, reason: `the retained history starts after seq ${afterSeq + 1}; fetch a REST snapshot` };
    const { engine } = start;
    const events: EngineEvent[] = [];
    const chunk = this.options.chunkCommands ?? 2_000;
    let sinceYield = 0;
    for await (const records of readJournalRange(this.options.ops, this.options.journalDir, start.cmdSeq, throughCmdSeq)) {
      for (const { seq, command } of records) {
        const applied = engine.apply(command);
        if (applied.cmdSeq !== seq) throw new Error(`journal seq ${seq} was applied as ${applied.cmdSeq}`);
        for (const event of applied.events) {
          if (event.accountId === accountId && event.seq > afterSeq && event.seq <= throughSeq) events.push(event);
        }
        if (++sinceYield >= chunk) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    }
    // The events must be exactly afterSeq+1 … throughSeq; anything else is a bug, never sent.
    const complete = events.length === throughSeq - afterSeq && events.every((event, i) => event.seq === afterSeq + 1 + i);
    if (!complete) return { recovered: false, reason: `the journal replay produced seq ${events[0]?.seq ?? '-'}…${events.at(-1)?.seq ?? '-'}, not ${afterSeq + 1}…${throughSeq}` };
    return { recovered: true, events };
  }

  /** The newest retained state in which the account had not yet passed `afterSeq`. */
  private async startBefore(accountId: number, afterSeq: number): Promise<Start | null> {
    const { ops, snapshotsDir } = this.options;
    for (const { name } of await listSnapshots(ops, snapshotsDir)) {
      let engine: Engine;
      let cmdSeq: number;
      try {
        const snapshot = await readSnapshot(ops, snapshotsDir, name);
        engine = Engine.restore(this.options.engine, snapshot.engine);
        cmdSeq = snapshot.cmdSeq;
      } catch {
        continue; // A damaged or vanished snapshot: an older one may do.
      }
      if ((engine.account(accountId)?.seq ?? 0) <= afterSeq) return { engine, cmdSeq };
    }
    // No snapshot is old enough; the journal alone will do if it was never pruned.
    const segments = await listSegments(ops, this.options.journalDir);
    if (segments[0]?.firstSeq === 1) return { engine: new Engine(this.options.engine), cmdSeq: 0 };
    return null;
  }
}
