/**
 * A simulated disk behind the persistence layer's `FileOps`: everything lives in memory, and the
 * disk remembers what a power cut would keep. A file's bytes become durable only when its handle is
 * fdatasync'ed; a name (create, rename, unlink) only when its directory is synced. `crashImage()`
 * builds the disk a restarted process finds: the durable names with their durable bytes, plus
 * (when asked) part of a file's unsynced tail, possibly with a flipped byte: a torn or corrupted
 * journal tail.
 *
 * Faults come from the simulator's PRNG: a write that throws EIO, a full disk (a short write, then
 * ENOSPC), an fdatasync or a truncation that throws, a rename or directory sync that fails. A crash
 * is scheduled at a disk operation: that operation and every later one never completes, which
 * freezes the old process wherever it was (between a write and its fsync, mid-snapshot, …).
 *
 * Directories themselves always exist once made (mkdir is durable at once): the store makes them
 * at start-up, before anything else happens.
 */
import { posix } from 'node:path';
import type { FileHandleLike, FileOps } from '../../src/persistence/file-ops.js';
import type { Rng } from '../support/rng.js';

class Inode {
  /** What reads see (the page cache). */
  data: Buffer;
  /** What survives a crash. */
  durable: Buffer;
  constructor(data = Buffer.alloc(0), durable = Buffer.alloc(0)) {
    this.data = data;
    this.durable = durable;
  }
}

interface Dir {
  entries: Map<string, Inode>;
  /** The entries as of the last directory sync. */
  durable: Map<string, Inode>;
}

export type DiskFaultKind = 'write EIO' | 'ENOSPC' | 'fsync EIO' | 'truncate EIO' | 'rename EIO' | 'dir sync EIO';

export interface DiskFaults {
  /** Chance that one data operation fails (0: a perfect disk). */
  rate: number;
  /** Only files whose path contains one of these fail (the journal and snapshots). */
  paths: readonly string[];
}

/** The deliberate bugs a test may plant in the disk, to prove the simulator catches them. */
export interface DiskBugs {
  /** fdatasync reports success without making anything durable (a lying disk cache). */
  lyingFsync?: boolean;
}

const errno = (code: string, op: string, path: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: simulated ${op} failure, ${path}`), { code });

export class SimDisk {
  private readonly dirs = new Map<string, Dir>();
  private ops = 0;
  /** The disk operation at which the process crashes (that one and all later never complete). */
  crashAtOp: number | null = null;
  crashed = false;
  /** Injected faults; off while the process recovers. */
  faults: DiskFaults = { rate: 0, paths: [] };
  faultsOn = false;
  /** A disk full: the next write to this path throws ENOSPC (after a short write). */
  private full = new Set<string>();
  /** The operation the process crashed at (a write, an fdatasync, …). */
  crashedAt: string | null = null;

  /** `injected` counts the faults by kind, carried from one crash image to the next. */
  constructor(private readonly rng: Rng, readonly bugs: DiskBugs = {}, readonly injected = new Map<DiskFaultKind, number>()) {}

  /** Operations done so far (a crash is scheduled relative to it). */
  get operations(): number {
    return this.ops;
  }

  /** Crashes at the `n`-th disk operation from now (1: the very next one). */
  scheduleCrash(n: number): void {
    this.crashAtOp = this.ops + n;
  }

  /**
   * The disk a restarted process finds. `tear`: for each file with an unsynced tail, keep a random
   * part of it; `corrupt`: flip one byte in what was kept of it.
   */
  crashImage(options: { tear: boolean; corrupt: boolean }): { disk: SimDisk; torn: number; corrupted: number } {
    const disk = new SimDisk(this.rng, this.bugs, this.injected);
    disk.faults = this.faults;
    const copies = new Map<Inode, Inode>();
    let torn = 0;
    let corrupted = 0;
    for (const [path, dir] of this.dirs) {
      const entries = new Map<string, Inode>();
      for (const [name, inode] of dir.durable) {
        let copy = copies.get(inode);
        if (copy === undefined) {
          let bytes = Buffer.from(inode.durable);
          const tail = inode.data.length - inode.durable.length;
          if (options.tear && tail > 0 && inode.data.subarray(0, inode.durable.length).equals(inode.durable)) {
            const kept = this.rng.int(0, tail);
            if (kept > 0) {
              bytes = Buffer.concat([bytes, inode.data.subarray(inode.durable.length, inode.durable.length + kept)]);
              torn += 1;
              if (options.corrupt) {
                const at = inode.durable.length + this.rng.int(0, kept - 1);
                bytes[at] = bytes[at]! ^ (1 << this.rng.int(0, 7));
                corrupted += 1;
              }
            }
          }
          copy = new Inode(bytes, Buffer.from(bytes));
          copies.set(inode, copy);
        }
        entries.set(name, copy);
      }
      disk.dirs.set(path, { entries, durable: new Map(entries) });
    }
    return { disk, torn, corrupted };
  }

  /** Every file and its size (for a failure report). */
  listing(): string[] {
    const out: string[] = [];
    for (const [path, dir] of this.dirs) for (const [name, inode] of dir.entries) out.push(`${path}/${name} ${inode.data.length} (durable ${inode.durable.length})`);
    return out.sort();
  }

  /** Counts one operation; false once the process has crashed (the caller then never completes). */
  private step(op: string): boolean {
    if (this.crashed) return false;
    this.ops += 1;
    if (this.crashAtOp !== null && this.ops >= this.crashAtOp) {
      this.crashed = true;
      this.crashedAt = op;
      this.crashAtOp = null;
      return false;
    }
    return true;
  }

  /** Makes the next operation of this kind fail, whatever the rate (a test's targeted fault). */
  failNext(kind: DiskFaultKind): void {
    this.armed.add(kind);
  }

  private readonly armed = new Set<DiskFaultKind>();

  private fault(path: string, kind: DiskFaultKind): boolean {
    if (this.armed.delete(kind)) {
      this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
      return true;
    }
    if (!this.faultsOn || this.faults.rate === 0 || !this.faults.paths.some((p) => path.includes(p))) return false;
    if (!this.rng.chance(this.faults.rate)) return false;
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return true;
  }

  private dir(path: string): Dir {
    const dir = this.dirs.get(path);
    if (dir === undefined) throw errno('ENOENT', 'open dir', path);
    return dir;
  }

  private lookup(path: string): Inode | undefined {
    return this.dirs.get(posix.dirname(path))?.entries.get(posix.basename(path));
  }

  /** The FileOps the store is given. */
  readonly fileOps: FileOps = {
    open: (path, flags) => this.run('open', () => {
      const dir = this.dir(posix.dirname(path));
      const name = posix.basename(path);
      let inode = dir.entries.get(name);
      if (inode === undefined) {
        if (flags === 'r' || flags === 'r+') throw errno('ENOENT', 'open', path);
        inode = new Inode();
        dir.entries.set(name, inode);
      } else if (flags === 'w') {
        inode.data = Buffer.alloc(0);
      }
      return this.handle(path, inode);
    }),
    readFile: (path) => this.run('readFile', () => {
      const inode = this.lookup(path);
      if (inode === undefined) throw errno('ENOENT', 'read', path);
      return Buffer.from(inode.data);
    }),
    writeFile: (path, data) => this.run('writeFile', () => {
      const dir = this.dir(posix.dirname(path));
      const name = posix.basename(path);
      const inode = dir.entries.get(name) ?? new Inode();
      dir.entries.set(name, inode);
      inode.data = Buffer.from(data);
      if (!this.bugs.lyingFsync) inode.durable = Buffer.from(inode.data);
    }),
    rename: (from, to) => this.run('rename', () => {
      if (this.fault(to, 'rename EIO')) throw errno('EIO', 'rename', to);
      const source = this.dir(posix.dirname(from));
      const inode = source.entries.get(posix.basename(from));
      if (inode === undefined) throw errno('ENOENT', 'rename', from);
      source.entries.delete(posix.basename(from));
      this.dir(posix.dirname(to)).entries.set(posix.basename(to), inode);
    }),
    unlink: (path) => this.run('unlink', () => {
      const dir = this.dir(posix.dirname(path));
      if (!dir.entries.delete(posix.basename(path))) throw errno('ENOENT', 'unlink', path);
    }),
    readdir: (path) => this.run('readdir', () => [...this.dir(path).entries.keys()].sort()),
    mkdir: (path) => this.run('mkdir', () => {
      // Recursive, and durable at once (see the header).
      for (let p = path; p !== '/' && p !== '.' && !this.dirs.has(p); p = posix.dirname(p)) this.dirs.set(p, { entries: new Map(), durable: new Map() });
    }),
    syncDir: (path) => this.run('syncDir', () => {
      if (this.fault(`${path}/`, 'dir sync EIO')) throw errno('EIO', 'fsync dir', path);
      const dir = this.dir(path);
      dir.durable = new Map(dir.entries);
    }),
    size: (path) => this.run('size', () => {
      const inode = this.lookup(path);
      if (inode === undefined) throw errno('ENOENT', 'stat', path);
      return inode.data.length;
    }),
  };

  private handle(path: string, inode: Inode): FileHandleLike {
    return {
      write: (buffer, offset, length, position) => this.run(path.includes('/snapshots/') ? 'snapshot write' : 'write', () => {
        if (this.full.delete(path)) throw errno('ENOSPC', 'write', path);
        if (this.fault(path, 'write EIO')) throw errno('EIO', 'write', path);
        let count = length;
        if (length > 1 && this.fault(path, 'ENOSPC')) {
          // A full disk: part of the bytes go in, the next write is refused.
          count = this.rng.int(1, length - 1);
          this.full.add(path);
        }
        const end = position + count;
        if (end > inode.data.length) {
          const grown = Buffer.alloc(end);
          inode.data.copy(grown);
          inode.data = grown;
        }
        buffer.copy(inode.data, position, offset, offset + count);
        return { bytesWritten: count };
      }),
      datasync: () => this.run(path.includes('/snapshots/') ? 'snapshot fdatasync' : 'fdatasync', () => {
        if (this.fault(path, 'fsync EIO')) throw errno('EIO', 'fdatasync', path);
        if (!this.bugs.lyingFsync) inode.durable = Buffer.from(inode.data);
      }),
      truncate: (length) => this.run('truncate', () => {
        if (this.fault(path, 'truncate EIO')) throw errno('EIO', 'truncate', path);
        inode.data = Buffer.from(inode.data.subarray(0, length));
      }),
      close: () => this.run('close', () => undefined),
    };
  }

  /** One operation: done at once, or never (the process crashed). */
  private run<T>(op: string, body: () => T): Promise<T> {
    if (!this.step(op)) return new Promise<T>(() => undefined);
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
