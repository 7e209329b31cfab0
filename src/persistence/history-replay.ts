/**
 * The computation behind a resume beyond the window: the engine is deterministic, so an account's
 * past events are recomputed exactly by restoring a retained snapshot taken before them and
 * re-executing the journal after it in an Engine of its own. Runs on a replay worker thread
 * (replay-worker.ts) or, when the live engine's options cannot be sent to one, on the engine's
 * thread in time-boxed slices (journal-history.ts decides).
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { EngineEvent } from '../engine/types.js';
import type { ReplayResult } from '../service/event-log.js';
import type { FileOps } from './file-ops.js';
import { listSegments, readJournalRange } from './journal.js';
import { listSnapshots, readSnapshot } from './snapshots.js';

/** Where the history is and how the live engine was made: the replay must behave exactly like it. */
export interface HistorySource {
  ops: FileOps;
  journalDir: string;
  snapshotsDir: string;
  engine: EngineOptions;
}

/** One account's events with afterSeq < seq ≤ throughSeq, recomputed up to command throughCmdSeq. */
export interface HistoryRequest {
  accountId: number;
  afterSeq: number;
  throughSeq: number;
  /** The command that produced the account's event `throughSeq`, or any later one. */
  throughCmdSeq: number;
}

/**
 * Called after every command re-executed: a replay on the engine's thread yields there when its
 * time slice is spent (and throws to stop a cancelled one); null on a worker, which never yields.
 */
export type Pause = (() => Promise<void>) | null;

/** Where a replay starts: a retained snapshot, or the empty state when the journal reaches back to command 1. */
type Start = { engine: Engine; cmdSeq: number };

/** All or nothing: the events exactly afterSeq+1 … throughSeq, or a refusal that says why. Never throws. */
export async function replayHistory(source: HistorySource, request: HistoryRequest, pause: Pause): Promise<ReplayResult> {
  try {
    return await replay(source, request, pause);
  } catch (error) {
    return { recovered: false, reason: `the journal could not replay this history (${error instanceof Error ? error.message : String(error)}); fetch a REST snapshot` };
  }
}

async function replay(source: HistorySource, { accountId, afterSeq, throughSeq, throughCmdSeq }: HistoryRequest, pause: Pause): Promise<ReplayResult> {
  const start = await startBefore(source, accountId, afterSeq);
  if (start === null) return { recovered: false, reason: `the retained history starts after seq ${afterSeq + 1}; fetch a REST snapshot` };
  const { engine } = start;
  const events: EngineEvent[] = [];
  for await (const records of readJournalRange(source.ops, source.journalDir, start.cmdSeq, throughCmdSeq)) {
    for (const { seq, command } of records) {
      const applied = engine.apply(command);
      if (applied.cmdSeq !== seq) throw new Error(`journal seq ${seq} was applied as ${applied.cmdSeq}`);
      for (const event of applied.events) {
        if (event.accountId === accountId && event.seq > afterSeq && event.seq <= throughSeq) events.push(event);
      }
      if (pause !== null) await pause();
    }
  }
  // The events must be exactly afterSeq+1 … throughSeq; anything else is a bug, never sent.
  const complete = events.length === throughSeq - afterSeq && events.every((event, i) => event.seq === afterSeq + 1 + i);
  if (!complete) return { recovered: false, reason: `the journal replay produced seq ${events[0]?.seq ?? '-'}…${events.at(-1)?.seq ?? '-'}, not ${afterSeq + 1}…${throughSeq}` };
  return { recovered: true, events };
}

/** The newest retained state in which the account had not yet passed `afterSeq`. */
async function startBefore({ ops, snapshotsDir, journalDir, engine: options }: HistorySource, accountId: number, afterSeq: number): Promise<Start | null> {
  for (const { name } of await listSnapshots(ops, snapshotsDir)) {
    let engine: Engine;
    let cmdSeq: number;
    try {
      const snapshot = await readSnapshot(ops, snapshotsDir, name);
      engine = Engine.restore(options, snapshot.engine);
      cmdSeq = snapshot.cmdSeq;
    } catch {
      continue; // A damaged or vanished snapshot: an older one may do.
    }
    if ((engine.account(accountId)?.seq ?? 0) <= afterSeq) return { engine, cmdSeq };
  }
  // No snapshot is old enough; the journal alone will do if it was never pruned.
  const segments = await listSegments(ops, journalDir);
  if (segments[0]?.firstSeq === 1) return { engine: new Engine(options), cmdSeq: 0 };
  return null;
}
