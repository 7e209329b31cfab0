/**
 * Snapshot files: the engine state plus the service's own state (history, encoders), one framed
 * record per file, written to a temporary name, synced, then renamed into place. The newest valid
 * snapshot wins at recovery; a damaged one is skipped for the one before.
 */
import { join } from 'node:path';
import type { EngineSnapshot } from '../engine/persist.js';
import { decodeJson, encodeJson } from './codec.js';
import type { FileOps } from './file-ops.js';
import { frame, readFrames } from './frames.js';

export interface SnapshotFile {
  version: 1;
  cmdSeq: number;
  /** Engine.stateHash() at cmdSeq: checked after every restore. */
  hash: string;
  takenAt: number;
  engine: EngineSnapshot;
  /** Per component (history, encoders…): whatever it captured. */
  service: Record<string, unknown>;
}

const SNAPSHOT_RE = /^snapshot-(\d{16})\.snap$/;
const snapshotName = (cmdSeq: number): string => `snapshot-${String(cmdSeq).padStart(16, '0')}.snap`;

export async function listSnapshots(ops: FileOps, dir: string): Promise<{ name: string; cmdSeq: number }[]> {
  const names = await ops.readdir(dir);
  return names.flatMap((name) => {
    const match = SNAPSHOT_RE.exec(name);
    return match ? [{ name, cmdSeq: Number(match[1]) }] : [];
  }).sort((a, b) => b.cmdSeq - a.cmdSeq);
}

export function encodeSnapshot(snapshot: SnapshotFile): Buffer {
  return frame(encodeJson(snapshot));
}

export async function writeSnapshot(ops: FileOps, dir: string, cmdSeq: number, bytes: Buffer): Promise<string> {
  const name = snapshotName(cmdSeq);
  const temp = join(dir, `${name}.tmp`);
  await ops.writeFile(temp, bytes);
  await ops.rename(temp, join(dir, name));
  await ops.syncDir(dir);
  return name;
}

export async function readSnapshot(ops: FileOps, dir: string, name: string): Promise<SnapshotFile> {
  const parsed = readFrames(await ops.readFile(join(dir, name)));
  if (parsed.tornReason !== null || parsed.payloads.length !== 1) {
    throw new Error(`snapshot ${name} is damaged (${parsed.tornReason ?? `${parsed.payloads.length} records`})`);
  }
  const snapshot = decodeJson<SnapshotFile>(parsed.payloads[0]!);
  if (snapshot.version !== 1) throw new Error(`snapshot ${name} has unknown version ${String(snapshot.version)}`);
  return snapshot;
}

/**
 * Keeps the newest `keep` snapshots. Returns the cmdSeq of the oldest one kept once there are
 * `keep` of them (the journal before it may go); until then null: with a single snapshot, the
 * whole journal stays as the fallback should that snapshot be damaged.
 */
export async function pruneSnapshots(ops: FileOps, dir: string, keep: number): Promise<number | null> {
  const snapshots = await listSnapshots(ops, dir);
  for (const old of snapshots.slice(keep)) await ops.unlink(join(dir, old.name));
  for (const name of await ops.readdir(dir)) if (name.endsWith('.tmp')) await ops.unlink(join(dir, name));
  return snapshots.length >= keep ? snapshots[keep - 1]!.cmdSeq : null;
}
