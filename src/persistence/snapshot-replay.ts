/**
 * Making a snapshot the way exchange replicas do: restore the newest valid snapshot (engine and
 * service state), re-execute the journal after it up to the rotation point, feeding the events to
 * a ServiceState of the same bounds, and write the result. Nothing of the live engine is needed,
 * so this runs on a replay worker thread (replay-worker.ts) while the engine goes on; the engine's
 * thread only rotated the journal and took a cheap fingerprint to check the result against.
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

/** Never throws: a failure is a result saying why (the store then snapshots on its own thread). */
export async function makeSnapshot(source: SnapshotSource, request: SnapshotRequest): Promise<SnapshotResult> {
  try {
    return await make(source, request);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function make(source: SnapshotSource, { throughCmdSeq, takenAt, fingerprint }: SnapshotRequest): Promise<SnapshotResult> {
  const started = performance.now();
  const { found } = await newestSnapshot(source.ops, source.snapshotsDir, source.engine, throughCmdSeq, () => undefined);
  const state = new ServiceState(source.engine.symbols, source.service);
  let engine: Engine;
  let fromSeq: number;
  if (found !== null) {
    engine = found.engine;
    fromSeq = found.snapshot.cmdSeq;
    state.restore(found.snapshot.service);
  } else {
    const segments = await listSegments(source.ops, source.journalDir);
    if (segments[0]?.firstSeq !== 1) return { ok: false, reason: 'no valid snapshot and the journal no longer starts at command 1' };
    engine = new Engine(source.engine);
    fromSeq = 0;
  }
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
  return {
    ok: true, cmdSeq: throughCmdSeq, hash: data.hash, bytes, fromSeq, replayed: throughCmdSeq - fromSeq,
    loadMs: loaded - started, replayMs: replayed - loaded, writeMs: performance.now() - replayed,
  };
}
