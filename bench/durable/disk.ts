/**
 * The disk ceiling: a bare append loop, one positional write + one fdatasync per batch, exactly
 * the journal's I/O pattern with nothing else on the thread. What group commit can at most reach
 * with batches of a given size on this disk.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Samples, type LatencySummary } from './common.js';

export interface DiskResult {
  recordBytes: number;
  batchRecords: number;
  batchesPerSec: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** write + fdatasync of one batch. */
  batch: LatencySummary;
  datasync: LatencySummary;
}

export async function appendLoop(dir: string, recordBytes: number, batchRecords: number, durationMs: number): Promise<DiskResult> {
  const path = join(dir, `ceiling-${recordBytes}x${batchRecords}.log`);
  const handle = await fs.open(path, 'a+');
  const bytes = Buffer.alloc(recordBytes * batchRecords, 0x61);
  const batch = new Samples();
  const datasync = new Samples();
  let position = 0;
  const start = performance.now();
  try {
    while (performance.now() - start < durationMs) {
      const t = performance.now();
      let written = 0;
      while (written < bytes.length) written += (await handle.write(bytes, written, bytes.length - written, position + written)).bytesWritten;
      position += bytes.length;
      const s = performance.now();
      await handle.datasync();
      const now = performance.now();
      datasync.push(now - s);
      batch.push(now - t);
    }
  } finally {
    await handle.close();
    await fs.unlink(path);
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    recordBytes, batchRecords, batchesPerSec: batch.length / seconds, recordsPerSec: (batch.length * batchRecords) / seconds,
    mbPerSec: position / seconds / 1024 / 1024, batch: batch.summary(), datasync: datasync.summary(),
  };
}
