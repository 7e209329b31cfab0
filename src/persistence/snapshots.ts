/**
 * Snapshot files: the engine state plus the service's own state (history, ledger, replay window),
 * written as a sequence of framed chunks — a header, then each section in chunks of at most
 * CHUNK_ITEMS items — so no single buffer grows with the state and a writer on the engine's thread
 * yields to the event loop between chunks. Written to a temporary name, synced, then renamed into
 * place. The newest valid snapshot wins at recovery; a damaged one is skipped for the one before.
 *
 * Format 3 (written now): the header is JSON text ({"format": 3, …}); each chunk is one
 * self-contained unit of binary-codec.ts (interned strings and object shapes, varint integers and
 * bigints), which decodes several times faster than JSON with a bigint reviver and is ~5× smaller.
 * Format 2 (every chunk JSON with {"$n"} bigints) is still read; any other format is refused
 * with a message naming it.
 */
import { join } from 'node:path';
import type { EngineSnapshot } from '../engine/persist.js';
import { decodeBinary, encodeBinary } from './binary-codec.js';
import { decodeJson, encodeJson } from './codec.js';
import type { FileOps } from './file-ops.js';
import { frame, readFrameBodies } from './frames.js';

export const SNAPSHOT_FORMAT = 3;
/** The JSON format of earlier releases: still read, never written. */
const JSON_SNAPSHOT_FORMAT = 2;
const CHUNK_ITEMS = 2000;

export interface SnapshotData {
  cmdSeq: number;
  /** Engine.stateHash() at cmdSeq: checked after every restore. */
  hash: string;
  takenAt: number;
  engine: EngineSnapshot;
  /** Per service component (history, replay window…): the items it captured. */
  service: Record<string, unknown[]>;
}

interface Header {
  format: number;
  cmdSeq: number;
  hash: string;
  takenAt: number;
  /** Sections in file order, with their chunk counts. */
  sections: { name: string; chunks: number }[];
}

const ENGINE = 'engine';
const ENGINE_ACCOUNTS = 'engine.accounts';

const SNAPSHOT_RE = /^snapshot-(\d{16})\.snap$/;
const snapshotName = (cmdSeq: number): string => `snapshot-${String(cmdSeq).padStart(16, '0')}.snap`;

export async function listSnapshots(ops: FileOps, dir: string): Promise<{ name: string; cmdSeq: number }[]> {
  const names = await ops.readdir(dir);
  return names.flatMap((name) => {
    const match = SNAPSHOT_RE.exec(name);
    return match ? [{ name, cmdSeq: Number(match[1]) }] : [];
  }).sort((a, b) => b.cmdSeq - a.cmdSeq);
}

function chunked(items: readonly unknown[]): unknown[][] {
  const chunks: unknown[][] = [];
  for (let i = 0; i < items.length; i += CHUNK_ITEMS) chunks.push(items.slice(i, i + CHUNK_ITEMS));
  return chunks;
}

/** Writes the snapshot chunk by chunk (each write yields); returns its file name and size. */
export async function writeSnapshot(ops: FileOps, dir: string, data: SnapshotData, format: 2 | 3 = SNAPSHOT_FORMAT): Promise<{ name: string; bytes: number }> {
  const sections: [string, unknown[][]][] = [
    [ENGINE, [[{ ...data.engine, accounts: [] }]]],
    [ENGINE_ACCOUNTS, chunked(data.engine.accounts)],
    ...Object.entries(data.service).map(([name, items]): [string, unknown[][]] => [name, chunked(items)]),
  ];
  const header: Header = {
    format, cmdSeq: data.cmdSeq, hash: data.hash, takenAt: data.takenAt,
    sections: sections.map(([name, chunks]) => ({ name, chunks: chunks.length })),
  };
  const name = snapshotName(data.cmdSeq);
  const temp = join(dir, `${name}.tmp`);
  const handle = await ops.open(temp, 'w');
  let bytes = 0;
  try {
    const put = async (payload: string | Uint8Array): Promise<void> => {
      const buffer = frame(payload);
      let written = 0;
      while (written < buffer.length) written += (await handle.write(buffer, written, buffer.length - written, bytes + written)).bytesWritten;
      bytes += buffer.length;
    };
    await put(encodeJson(header));
    const encode = format === JSON_SNAPSHOT_FORMAT ? encodeJson : encodeBinary;
    for (const [, chunks] of sections) for (const chunk of chunks) await put(encode(chunk));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await ops.rename(temp, join(dir, name));
  await ops.syncDir(dir);
  return { name, bytes };
}

export async function readSnapshot(ops: FileOps, dir: string, name: string): Promise<SnapshotData> {
  const parsed = readFrameBodies(await ops.readFile(join(dir, name)));
  if (parsed.tornReason !== null) throw new Error(`snapshot ${name} is damaged (${parsed.tornReason})`);
  const [first, ...rest] = parsed.bodies;
  if (first === undefined) throw new Error(`snapshot ${name} is empty`);
  const header = decodeJson<Header>(first.toString('utf8'));
  if (header.format !== SNAPSHOT_FORMAT && header.format !== JSON_SNAPSHOT_FORMAT) {
    throw new Error(`snapshot ${name} has format ${String(header.format)}; this release reads formats ${JSON_SNAPSHOT_FORMAT} (JSON) and ${SNAPSHOT_FORMAT} (binary)`);
  }
  const decode = header.format === JSON_SNAPSHOT_FORMAT ? (body: Buffer) => decodeJson<unknown[]>(body.toString('utf8')) : (body: Buffer) => decodeBinary<unknown[]>(body);
  const expected = header.sections.reduce((n, s) => n + s.chunks, 0);
  if (rest.length !== expected) throw new Error(`snapshot ${name} has ${rest.length} chunks, its header says ${expected}`);
  const items = new Map<string, unknown[]>();
  let next = 0;
  for (const section of header.sections) {
    const collected: unknown[] = [];
    for (let i = 0; i < section.chunks; i++) {
      const chunk = decode(rest[next++]!);
      if (!Array.isArray(chunk)) throw new Error(`snapshot ${name}: a chunk of section ${section.name} is not a list`);
      for (const item of chunk) collected.push(item);
    }
    items.set(section.name, collected);
  }
  const engineHead = items.get(ENGINE)?.[0] as EngineSnapshot | undefined;
  if (engineHead === undefined) throw new Error(`snapshot ${name} has no engine section`);
  const service: Record<string, unknown[]> = {};
  for (const [section, values] of items) if (section !== ENGINE && section !== ENGINE_ACCOUNTS) service[section] = values;
  return {
    cmdSeq: header.cmdSeq, hash: header.hash, takenAt: header.takenAt,
    engine: { ...engineHead, accounts: (items.get(ENGINE_ACCOUNTS) ?? []) as EngineSnapshot['accounts'] },
    service,
  };
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
