/**
 * Making a snapshot the way exchange replicas do: restore the newest valid snapshot (engine and
 * service state), re-execute the journal after it up to the rotation point, feeding the events to
 * a ServiceState of the same bounds, and write the result. Nothing of the live engine is needed,
 * so this runs on a replay worker thread (replay-worker.ts) while the engine goes on; the engine's
 * thread only rotated the journal and took a cheap fingerprint to check the result against. The
 * worker then keeps that state and follows the journal from it at the next snapshot (SnapshotMaker).
 * Recovery restores with the same helper (newestSnapshot).
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import { ServiceState, type ServiceStateOptions } from '../service/service-state.js';
import type { FileOps } from './file-ops.js';
import { listSegments, readJournalRange } from './journal.js';
import { listSnapshots, readSnapshot, writeSnapshot, type SnapshotData } from './snapshots.js';

/** The newest snapshot at or before `atMost` that reads, restores, audits and matches its hash; the names skipped on the way. */
export async function newestSnapshot(
  ops: FileOps, dir: string, options: EngineOptions, atMost: number, log: (message: string) => void,
): Promise<{ found: { snapshot: SnapshotData; engine: Engine } | null; skipped: string[] }> {
  const skipped: string[] = [];
  for (const { name, cmdSeq } of await listSnapshots(ops, dir)) {
    if (cmdSeq > atMost) continue;
    try {
      const snapshot = await readSnapshot(ops, dir, name);
      const engine = Engine.restore(options, snapshot.engine);
      const hash = engine.stateHash();
      if (hash !== snapshot.hash) throw new Error(`state hash ${hash} after restore, ${snapshot.hash} when taken`);
      return { found: { snapshot, engine }, skipped };
    } catch (error) {
      skipped.push(name);
      log(`skipping snapshot ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { found: null, skipped };
}

export interface SnapshotSource {
  ops: FileOps;
  journalDir: string;
  snapshotsDir: string;
  /** The live engine's options (with its symbols). */
  engine: EngineOptions;
  /** The live service state's bounds. */
  service: ServiceStateOptions;
}

export interface SnapshotRequest {
  kind: 'snapshot';
  /** The rotation point: every command through it is in the journal's closed segments. */
  throughCmdSeq: number;
  takenAt: number;
  /** The live engine's fingerprint at throughCmdSeq (null when it could not be taken there). */
  fingerprint: string | null;
}

export type SnapshotResult =
  | { ok: true; cmdSeq: number; hash: string; bytes: number; fromSeq: number; replayed: number; loadMs: number; replayMs: number; writeMs: number }
  | { ok: false; reason: string };

/**
 * Makes snapshots on one worker, one after the other. Between snapshots it keeps the engine and
 * service state of the last one it wrote (a replica at that command), so the next snapshot only
 * replays the journal since then instead of restoring the file again.
 */
export class SnapshotMaker {
  private replica: { engine: Engine; state: ServiceState } | null = null;

  constructor(private readonly source: SnapshotSource) {}

  /** Never throws: a failure is a result saying why (the store then snapshots on its own thread). */
  async make(request: SnapshotRequest): Promise<SnapshotResult> {
    try {
      return await this.attempt(request);
    } catch (error) {
      // Whatever state the replica was left in is not trusted again.
      this.replica = null;
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private async attempt({ throughCmdSeq, takenAt, fingerprint }: SnapshotRequest): Promise<SnapshotResult> {
    const { source } = this;
    const started = performance.now();
    let start = this.replica !== null && this.replica.engine.cmdSeq <= throughCmdSeq ? this.replica : null;
    this.replica = null;
    if (start === null) start = await this.load(throughCmdSeq);
    if (start === null) return { ok: false, reason: 'no valid snapshot and the journal no longer starts at command 1' };
    const { engine, state } = start;
    const fromSeq = engine.cmdSeq;
    const loaded = performance.now();
    if (throughCmdSeq > fromSeq) {
      for await (const records of readJournalRange(source.ops, source.journalDir, fromSeq, throughCmdSeq)) {
        for (const { seq, command } of records) {
          const applied = engine.apply(command);
          if (applied.cmdSeq !== seq) throw new Error(`journal seq ${seq} was applied as ${applied.cmdSeq}`);
          state.recordApplied(applied);
        }
      }
    }
    if (engine.cmdSeq !== throughCmdSeq) throw new Error(`the replay reached command ${engine.cmdSeq}, not ${throughCmdSeq}`);
    if (fingerprint !== null && engine.fingerprint() !== fingerprint) {
      throw new Error(`the replayed state differs from the live engine's at command ${throughCmdSeq} (fingerprint ${engine.fingerprint()} ≠ ${fingerprint})`);
    }
    const replayed = performance.now();
    const data: SnapshotData = { cmdSeq: throughCmdSeq, hash: engine.stateHash(), takenAt, engine: engine.snapshot(), service: state.capture() };
    const { bytes } = await writeSnapshot(source.ops, source.snapshotsDir, data);
    // Captures are copies: the engine and state go on from here at the next request.
    this.replica = { engine, state };
    return {
      ok: true, cmdSeq: throughCmdSeq, hash: data.hash, bytes, fromSeq, replayed: throughCmdSeq - fromSeq,
      loadMs: loaded - started, replayMs: replayed - loaded, writeMs: performance.now() - replayed,
    };
  }

  /** The newest valid snapshot at or before the point, or the empty state when the journal starts at command 1. */
  private async load(atMost: number): Promise<{ engine: Engine; state: ServiceState } | null> {
    const { source } = this;
    const { found } = await newestSnapshot(source.ops, source.snapshotsDir, source.engine, atMost, () => undefined);
    const state = new ServiceState(source.engine.symbols, source.service);
    if (found !== null) {
      state.restore(found.snapshot.service);
      return { engine: found.engine, state };
    }
    const segments = await listSegments(source.ops, source.journalDir);
    if (segments[0]?.firstSeq !== 1) return null;
    return { engine: new Engine(source.engine), state };
  }
}
