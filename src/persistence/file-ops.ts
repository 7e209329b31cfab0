/**
 * The few file operations persistence needs, behind an interface so tests can inject failing
 * writes, fsyncs and full disks without touching the real disk's behaviour.
 */
import { promises as fs } from 'node:fs';

export interface FileHandleLike {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileOps {
  open(path: string, flags: string): Promise<FileHandleLike>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  /** fsyncs a directory, so a rename or a new file inside it survives a crash. */
  syncDir(path: string): Promise<void>;
  size(path: string): Promise<number>;
}

export const realFileOps: FileOps = {
  open: (path, flags) => fs.open(path, flags),
  readFile: (path) => fs.readFile(path),
  writeFile: async (path, data) => {
    const handle = await fs.open(path, 'w');
    try {
      await handle.writeFile(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
  unlink: (path) => fs.unlink(path),
  readdir: (path) => fs.readdir(path),
  mkdir: async (path) => {
    await fs.mkdir(path, { recursive: true });
  },
  syncDir: async (path) => {
    const handle = await fs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  size: async (path) => (await fs.stat(path)).size,
};
