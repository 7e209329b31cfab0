/**
 * The command journal: every sequenced command, appended in order to segment files and made
 * durable in groups (one write and one fdatasync per batch). Each batch is one frame, so a crash
 * can only tear the last frame: an intact frame after a damaged one means the damage is not a torn
 * tail but lost history, and recovery refuses instead of cutting acknowledged commands. A command is applied, acknowledged
 * and pushed only after its batch is durable. A failed write or sync fails that batch and
 * everything queued behind it, and truncates the file back to the last durable byte; if even that
 * fails, the journal refuses every further command until the process restarts and recovers.
 */
import { join } from 'node:path';
import type { Command } from '../engine/types.js';
import { NotDurableError } from '../service/errors.js';
import { decodeJson, encodeJson } from './codec.js';
import type { FileHandleLike, FileOps } from './file-ops.js';
import { crc32 } from 'node:zlib';
import { FRAME_HEADER_BYTES, frame, readFrames } from './frames.js';

/** A sequenced command, or a checkpoint: the state hash after command `seq`. */
export type JournalRecord = { seq: number; command: Command } | { seq: number; checkpoint: { hash: string } };

/** A command was not made durable: the service-level NotDurableError, named for the journal. */
export class JournalError extends NotDurableError {
  override name = 'JournalError';
}

export class CorruptJournalError extends Error {
  override name = 'CorruptJournalError';
}

const SEGMENT_RE = /^journal-(\d{16})\.log$/;

/**
 * A batch holds at most this many records or bytes: frames stay far below the frame limit, and a
 * burst is made durable (and applied) in slices instead of one long stall.
 */
export const MAX_BATCH_RECORDS = 8192;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const segmentName = (firstSeq: number): string => `journal-${String(firstSeq).padStart(16, '0')}.log`;

export interface Segment {
  name: string;
  firstSeq: number;
}

export async function listSegments(ops: FileOps, dir: string): Promise<Segment[]> {
  const names = await ops.readdir(dir);
  const named = names.flatMap((name) => {
    const match = SEGMENT_RE.exec(name);
    return match ? [{ name, firstSeq: Number(match[1]) }] : [];
  }).sort((a, b) => a.firstSeq - b.firstSeq);
  // An empty file makes no claim: its name says where its records would start, and a rotation whose
  // directory sync failed leaves one behind while the records go on in the segment before it.
  // Recovery, pruning and the journal's own reopening trust names, so they never see such a file.
  const sizes = await Promise.all(named.map((segment) => ops.size(join(dir, segment.name))));
  return named.filter((_, i) => sizes[i]! > 0);
}

export interface RecoveredJournal {
  /** Commands after `afterSeq`, in order. */
  records: { seq: number; command: Command }[];
  /** State hashes recorded at snapshots: seq → hash after that command. */
  checkpoints: Map<number, string>;
  /** The torn tail that was cut off, if any. */
  torn: { segment: string; offset: number; droppedBytes: number; reason: string } | null;
}

/**
 * Reads every record with seq > `afterSeq`. A torn tail of the last segment is cut off (only
 * never-acknowledged records can be there); damage anywhere else means acknowledged history is
 * gone, and recovery refuses to guess.
 */
export async function readJournal(ops: FileOps, dir: string, afterSeq: number): Promise<RecoveredJournal> {
  const segments = await listSegments(ops, dir);
  const records: RecoveredJournal['records'] = [];
  const checkpoints = new Map<number, string>();
  let torn: RecoveredJournal['torn'] = null;
  let expected: number | null = null;
  for (const [index, segment] of segments.entries()) {
    // A segment whose successor starts at or before afterSeq + 1 holds only what the snapshot covers.
    const next = segments[index + 1];
    if (next !== undefined && next.firstSeq <= afterSeq + 1) continue;
    const path = join(dir, segment.name);
    const buffer = await ops.readFile(path);
    const parsed = readFrames(buffer);
    const isLast = index === segments.length - 1;
    let validLength = parsed.validLength;
    let tornReason = parsed.tornReason;
    let offset = 0;
    for (const payload of parsed.payloads) {
      let batch: JournalRecord[];
      try {
        const decoded = decodeJson<JournalRecord | JournalRecord[]>(payload);
        batch = Array.isArray(decoded) ? decoded : [decoded];
      } catch {
        tornReason = 'a batch that is not JSON';
        validLength = offset;
        break;
      }
      offset += FRAME_HEADER_BYTES + Buffer.byteLength(payload, 'utf8');
      for (const record of batch) {
        if ('checkpoint' in record) {
          // A checkpoint names a command already written (the snapshot's); it may trail a few commands.
          if (expected !== null && record.seq >= expected) throw new CorruptJournalError(`${segment.name}: checkpoint ${record.seq} ahead of the commands`);
          checkpoints.set(record.seq, record.checkpoint.hash);
          continue;
        }
        if (expected !== null && record.seq !== expected) {
          throw new CorruptJournalError(`${segment.name}: record seq ${record.seq} where ${expected} was expected: the journal has a gap`);
        }
        expected = record.seq + 1;
        if (record.seq > afterSeq) records.push(record);
      }
    }
    if (tornReason !== null) {
      if (!isLast) throw new CorruptJournalError(`${segment.name} is damaged at byte ${validLength} (${tornReason}) and later segments exist: acknowledged history would be lost`);
      const intact = intactFrameAfter(buffer, validLength);
      if (intact !== null) {
        throw new CorruptJournalError(`${segment.name} is damaged at byte ${validLength} (${tornReason}) but an intact batch follows at byte ${intact}: ` +
          'this is not a torn tail, acknowledged commands would be lost; restore the file or move it aside knowingly');
      }
      torn = { segment: segment.name, offset: validLength, droppedBytes: buffer.length - validLength, reason: tornReason };
      const handle = await ops.open(path, 'r+');
      try {
        await handle.truncate(validLength);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
  }
  return { records, checkpoints, torn };
}

/**
 * Reads the commands with afterSeq < seq ≤ throughSeq while the journal stays live, one segment's
 * worth at a time. Read-only: the live tail may hold a batch being written (a partial frame after
 * throughSeq), which is neither judged nor cut; damage before throughSeq is an error.
 */
export async function* readJournalRange(ops: FileOps, dir: string, afterSeq: number, throughSeq: number): AsyncGenerator<{ seq: number; command: Command }[]> {
  const segments = await listSegments(ops, dir);
  let expected = afterSeq + 1;
  for (const [index, segment] of segments.entries()) {
    const next = segments[index + 1];
    if (next !== undefined && next.firstSeq <= afterSeq + 1) continue;
    if (segment.firstSeq > expected) throw new CorruptJournalError(`${segment.name} starts after command ${expected}: that part of the journal is gone`);
    const parsed = readFrames(await ops.readFile(join(dir, segment.name)));
    const records: { seq: number; command: Command }[] = [];
    for (const payload of parsed.payloads) {
      const decoded = decodeJson<JournalRecord | JournalRecord[]>(payload);
      for (const record of Array.isArray(decoded) ? decoded : [decoded]) {
        if ('checkpoint' in record || record.seq < expected) continue;
        if (record.seq !== expected) throw new CorruptJournalError(`${segment.name}: record seq ${record.seq} where ${expected} was expected`);
        if (record.seq > throughSeq) break;
        records.push(record);
        expected += 1;
      }
      if (expected > throughSeq) break;
    }
    if (records.length > 0) yield records;
    if (expected > throughSeq) return;
  }
  throw new CorruptJournalError(`the journal ends at command ${expected - 1}, before ${throughSeq}`);
}

/** The offset of the first intact frame after `from`, if any (a full scan: only run on damaged files). */
function intactFrameAfter(buffer: Buffer, from: number): number | null {
  for (let offset = from + 1; offset + FRAME_HEADER_BYTES <= buffer.length; offset++) {
    const length = buffer.readUInt32LE(offset);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (length === 0 || end > buffer.length) continue;
    if (crc32(buffer.subarray(offset + FRAME_HEADER_BYTES, end)) === buffer.readUInt32LE(offset + 4)) return offset;
  }
  return null;
}

interface Pending {
  /** The record as JSON: a batch is framed once, as a JSON array of its records. */
  json: string;
  /** The command's seq; null for a checkpoint. */
  seq: number | null;
  done: (error: Error | null) => void;
}

export interface JournalOptions {
  ops: FileOps;
  dir: string;
  /** Start a new segment once the current one passes this size (default 64 MiB). */
  segmentBytes?: number;
}

/** Who watches the journal's batches (metrics, logs); set by the server. */
export interface JournalObserver {
  batch(records: number, bytes: number, syncMs: number): void;
  /** A batch failed; `permanent` when the journal now refuses every command until a restart. */
  failed(error: Error, permanent: boolean): void;
}

export class Journal {
  observer: JournalObserver | null = null;
  private handle: FileHandleLike | null = null;
  private segment: Segment | null = null;
  private size = 0;
  private pending: Pending[] = [];
  private flushing = false;
  private failure: Error | null = null;
  private readonly segmentBytes: number;
  /** The seq the next command record will carry: names a new segment. */
  private nextSeq = 1;
  private rotationWaiters: ((throughSeq: number) => void)[] = [];
  /** Batches and records written, for metrics and benchmarks. */
  batches = 0;
  records = 0;

  private constructor(private readonly ops: FileOps, private readonly dir: string, segmentBytes: number) {
    this.segmentBytes = segmentBytes;
  }

  /** Opens the journal for appending after recovery; `nextSeq` is the first seq it will receive. */
  static async open(options: JournalOptions, nextSeq: number): Promise<Journal> {
    await options.ops.mkdir(options.dir);
    const journal = new Journal(options.ops, options.dir, options.segmentBytes ?? 64 * 1024 * 1024);
    journal.nextSeq = nextSeq;
    const segments = await listSegments(options.ops, options.dir);
    const last = segments.at(-1);
    if (last !== undefined) {
      const path = join(options.dir, last.name);
      journal.handle = await options.ops.open(path, 'r+');
      journal.segment = last;
      journal.size = await options.ops.size(path);
    } else {
      await journal.startSegment(nextSeq);
    }
    return journal;
  }

  /** Why the journal refuses commands, or null. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Queues a record; `done` runs once it is durable (null) or failed (the error). */
  append(record: JournalRecord, done: (error: Error | null) => void): void {
    if (this.failure !== null || this.handle === null) {
      done(new JournalError(`the journal is unavailable after a disk failure (${this.failure?.message ?? 'closed'}); restart perpstream to recover`));
      return;
    }
    this.pending.push({ json: encodeJson(record), seq: 'command' in record ? record.seq : null, done });
    this.kick();
  }

  private kick(): void {
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flushLoop());
    }
  }

  /**
   * Starts a new segment after what is queued now (after a snapshot, so old segments can be pruned
   * whole). Happens between batches, however busy the journal is. Resolves with the seq of the last
   * command before the new segment — durable and already applied when this resolves, before any
   * later batch is: the rotation point.
   */
  rotate(): Promise<number> {
    return new Promise((resolve) => {
      this.rotationWaiters.push(resolve);
      this.kick();
    });
  }

  /** Deletes segments that only hold records up to `seq` (all of whose successors are also kept). */
  async pruneThrough(seq: number): Promise<string[]> {
    const segments = await listSegments(this.ops, this.dir);
    const removed: string[] = [];
    for (let i = 0; i + 1 < segments.length; i++) {
      const next = segments[i + 1]!;
      if (next.firstSeq <= seq + 1 && segments[i] !== this.segment) {
        await this.ops.unlink(join(this.dir, segments[i]!.name));
        removed.push(segments[i]!.name);
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.whenIdle();
    await this.handle?.close();
    this.handle = null;
  }

  private async whenIdle(): Promise<void> {
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
  }

  private async startSegment(firstSeq: number): Promise<void> {
    const name = segmentName(firstSeq);
    const path = join(this.dir, name);
    const handle = await this.ops.open(path, 'a+');
    try {
      await this.ops.syncDir(this.dir);
    } catch (error) {
      // A name that may not survive a crash is not used: appending goes on in the current segment,
      // and the empty file is removed (if that fails too, listSegments ignores it).
      await handle.close().catch(() => undefined);
      await this.ops.unlink(path).catch(() => undefined);
      throw error;
    }
    const previous = this.handle;
    this.handle = handle;
    this.segment = { name, firstSeq };
    this.size = 0;
    await previous?.close().catch(() => undefined);
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0 || this.rotationWaiters.length > 0) {
        if (this.pending.length > 0) {
          const batch = this.takeBatch();
          const error = await this.writeBatch(batch);
          if (error !== null) {
            // Everything queued behind a failed batch fails too: its sequence numbers assumed the failed records.
            const queued = this.pending;
            this.pending = [];
            for (const item of [...batch, ...queued]) item.done(error);
            continue;
          }
          this.batches += 1;
          this.records += batch.length;
          for (const item of batch) if (item.seq !== null) this.nextSeq = item.seq + 1;
          for (const item of batch) item.done(null);
        }
        const waiters = this.rotationWaiters;
        this.rotationWaiters = [];
        if (this.failure === null && this.size > 0 && (this.size >= this.segmentBytes || waiters.length > 0)) {
          // The new segment is opened before the old one is let go: if it cannot be created (disk
          // full), appending simply continues in the current one and the next rotation tries again.
          await this.startSegment(this.nextSeq).catch(() => undefined);
        }
        for (const resolve of waiters) resolve(this.nextSeq - 1);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The oldest pending records, up to the batch bounds. */
  private takeBatch(): Pending[] {
    let count = 0;
    let bytes = 0;
    while (count < this.pending.length && count < MAX_BATCH_RECORDS && (count === 0 || bytes < MAX_BATCH_BYTES)) {
      bytes += this.pending[count]!.json.length;
      count += 1;
    }
    return this.pending.splice(0, count);
  }

  private async writeBatch(batch: Pending[]): Promise<Error | null> {
    const bytes = frame(`[${batch.map((p) => p.json).join(',')}]`);
    const before = this.size;
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await this.handle!.write(bytes, written, bytes.length - written, before + written);
        written += bytesWritten;
      }
      const syncStart = performance.now();
      await this.handle!.datasync();
      this.size = before + bytes.length;
      this.observer?.batch(batch.length, bytes.length, performance.now() - syncStart);
      return null;
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      try {
        await this.handle!.truncate(before);
        await this.handle!.datasync();
        this.observer?.failed(cause instanceof Error ? cause : new Error(message), false);
        return new JournalError(`the command was not saved (disk error: ${message}); nothing changed, try again`);
      } catch (truncateCause) {
        // Its bytes may be on disk after all: recovery will apply it if they are intact.
        this.failure = cause instanceof Error ? cause : new Error(message);
        this.observer?.failed(this.failure, true);
        return new JournalError(`the command may or may not have been saved (disk error: ${message}; repair failed: ` +
          `${truncateCause instanceof Error ? truncateCause.message : String(truncateCause)}); perpstream refuses commands until it is restarted, ` +
          'then check the order (e.g. by client order id) before retrying');
      }
    }
  }
}
