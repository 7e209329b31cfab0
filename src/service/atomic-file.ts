/**
 * Replaces a small file atomically and durably: write a temporary file, fsync it, rename it over
 * the old one, fsync the directory. A crash leaves either the old file or the new one.
 *
 * Two forms of the one procedure: `writeFileAtomic` blocks the event loop (only for rare writes,
 * such as the operator creating an account), `writeFileAtomicAsync` does not (anything a client can
 * trigger: see durable-file.ts, which also coalesces writes).
 */
import { closeSync, fsyncSync, openSync, promises as fs, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The temporary file a replacement is written to before it is renamed over `path`. */
export const tempPathOf = (path: string): string => `${path}.tmp`;

export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const temp = tempPathOf(path);
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** The same replacement through fs.promises: every step runs off the event loop. One at a time per path (the temporary file is shared). */
export async function writeFileAtomicAsync(path: string, content: string, mode = 0o600): Promise<void> {
  const temp = tempPathOf(path);
  const file = await fs.open(temp, 'w', mode);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, path);
  const dir = await fs.open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
