/**
 * Shared pieces of the gateway benchmark (bench/gateway/run.ts): the knobs, the IPC messages
 * between the orchestrator and its three child processes, a paced load loop, and small helpers.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import { join } from 'node:path';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { rng } from '../rng.js';

export { rng };

export interface Knobs {
  /** Connected accounts (one stream connection each). */
  connections: number;
  /** Seconds of engine activity (and of bare-ws replay). */
  seconds: number;
  /** Seconds of the same load before measuring (JIT warm-up); its pushes are checked but not counted. */
  warmupSeconds: number;
  /** Target pushes per second offered by the driver, or 'max' (as fast as the event loop allows). */
  rate: number | 'max';
  /** Whether the client offers permessage-deflate (what the `ws` package and ccxt do by default). */
  deflate: boolean;
  /** Write a V8 CPU profile of the perpstream server into this directory (empty: no profile). */
  profileDir: string;
  /** Also run the bare server at the highest rate it and the client reach (the transport's limit here). */
  bareMax: boolean;
  /** Connections opened concurrently by the client. */
  connectConcurrency: number;
}

/** A whole-number knob from the environment: `fallback` when unset, refused out of [min, max]. */
export function intKnob(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export function readKnobs(env: NodeJS.ProcessEnv = process.env): Knobs {
  const int = (name: string, fallback: number, min: number, max: number): number => intKnob(env, name, fallback, min, max);
  const rawRate = env.PERPSTREAM_BENCH_RATE ?? '';
  return {
    connections: int('PERPSTREAM_BENCH_CONNECTIONS', 10_000, 1, 15_000),
    seconds: int('PERPSTREAM_BENCH_SECONDS', 15, 1, 120),
    warmupSeconds: int('PERPSTREAM_BENCH_WARMUP', 3, 0, 60),
    rate: rawRate === 'max' ? 'max' : int('PERPSTREAM_BENCH_RATE', 120_000, 100, 2_000_000),
    deflate: (env.PERPSTREAM_BENCH_DEFLATE ?? '1') !== '0',
    profileDir: env.PERPSTREAM_BENCH_PROFILE ?? '',
    bareMax: (env.PERPSTREAM_BENCH_BARE_MAX ?? '1') !== '0',
    connectConcurrency: int('PERPSTREAM_BENCH_CONNECT_CONCURRENCY', 256, 1, 5_000),
  };
}

// ---------------------------------------------------------------------------------------------
// Messages. Server = the perpstream or the bare-ws child; client = the receiving child.

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface ServerReady {
  type: 'ready';
  port: number;
  /** perpstream: the listen key of each connection's account (index = connection). */
  keys: string[];
  /** perpstream: each account's seq before the load (the client expects seq + 1 next). */
  seqs: number[];
  setupMs: number;
}

export interface ServerLoaded {
  type: 'loaded';
  commands: number;
  refused: number;
  /** Events published to subscribed accounts' topics (pushes, before position-flip doubles). */
  events: number;
  eventsByType: Record<string, number>;
  /** Each account's seq after the load: the client must end at exactly this. */
  finalSeqs: number[];
  elapsedMs: number;
  /** Pushes the pacer owed but dropped because it fell more than its backlog bound behind. */
  shortfall: number;
  /** Event-loop utilization over the load (0–1). */
  elu: number;
  /** The longest event-loop stall during the load (monitorEventLoopDelay, 1 ms resolution), ms. */
  maxStallMs: number;
  /** Wall time spent inside exchange.executeNow (engine + publish + encode + queueing), ms. */
  executeMs: number;
}

export interface GcStats {
  /** Pauses by kind: count and total ms (scavenge = young generation, mark-sweep = full). */
  scavenges: number;
  scavengeMs: number;
  markSweeps: number;
  markSweepMs: number;
  other: number;
  otherMs: number;
  /** The longest single pause, ms. */
  maxPauseMs: number;
}

export interface ServerStopped {
  type: 'stopped';
  gc: GcStats;
  /** Heap (after a full GC) at the end minus at the start of the load: what the load left behind (filled in by a later 'heap' request). */
  retainedHeapBytes?: number;
  /** Heap used after a full GC at the end of the load (likewise). */
  heapUsedBytes?: number;
  /** process.cpuUsage() from the start of the load until the client had everything, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  wallMs: number;
}

export interface IdleMemory {
  type: 'memory';
  before: MemorySample;
  after: MemorySample;
  connections: number;
}

export interface ClientConnected {
  type: 'connected';
  connected: number;
  failed: number;
  ms: number;
  errors: string[];
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface ClientReport {
  type: 'report';
  pushes: number;
  bytes: number;
  /** ms between the first and the last push received. */
  spanMs: number;
  /** Seq numbers skipped (a push never received), counting a short tail at the end. */
  missing: number;
  /** Pushes whose seq was not last + 1 nor a position repeat (duplicate, reordered). */
  disorder: number;
  /** Accounts whose last seq differs from the server's final seq after draining. */
  unfinished: number;
  /** Position frames that repeated the previous seq (one-way flips: clear + current). */
  flipRepeats: number;
  closedEarly: number;
  closeCodes: Record<string, number>;
  latency: LatencySummary;
  latencyByTopic: Record<string, LatencySummary>;
  bytesByTopic: Record<string, number>;
  pushesByTopic: Record<string, number>;
  drainMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Every push checked with JSON.parse against the fast path this many times; mismatches: */
  verified: number;
  verifyMismatches: number;
}

// ---------------------------------------------------------------------------------------------
// IPC helpers.

/** Waits for the next message of `type` from a child (rejects if the child exits first). */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs = 600_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: { type?: string; error?: string }) => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(`${child.spawnfile} child failed: ${message.error}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (${code}) while waiting for "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${type}"`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export function send(message: unknown): void {
  process.send!(message);
}

/** Runs the child's message handler, turning any failure into an 'error' message and an exit. */
export function serveParent(handler: (message: { type: string } & Record<string, unknown>) => Promise<void> | void): void {
  process.on('message', (message: { type: string } & Record<string, unknown>) => {
    Promise.resolve()
      .then(() => handler(message))
      .catch((error: unknown) => {
        send({ type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        setTimeout(() => process.exit(1), 100);
      });
  });
  // The orchestrator going away ends the child too: nothing is left running.
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

/** Counts GC pauses from now until `stop()`. */
export function trackGc(): { stop(): GcStats } {
  const stats: GcStats = { scavenges: 0, scavengeMs: 0, markSweeps: 0, markSweepMs: 0, other: 0, otherMs: 0, maxPauseMs: 0 };
  const count = (entries: PerformanceEntry[]) => {
    for (const entry of entries as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      const kind = entry.detail?.kind;
      stats.maxPauseMs = Math.max(stats.maxPauseMs, entry.duration);
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        stats.scavenges++;
        stats.scavengeMs += entry.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        stats.markSweeps++;
        stats.markSweepMs += entry.duration;
      } else {
        stats.other++;
        stats.otherMs += entry.duration;
      }
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      count(observer.takeRecords());
      observer.disconnect();
      return stats;
    },
  };
}

export function memorySample(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * Runs `work(n)` for `seconds`, asking for at most `maxBatch` pushes a turn: as many as the target
 * rate owes by now. `work` returns how many it produced. While more is owed the next turn follows
 * with setImmediate, after the gateway's flush of this turn's output (so, like a server taking
 * commands off its sockets, output leaves between small slices of work); when nothing is owed it
 * waits for a 1 ms timer. The pacer never keeps more than `maxBacklogMs` of debt: beyond that it
 * drops the debt (reported as shortfall), so a saturated process is measured at what it can do,
 * not at an ever-growing queue. With rate 'max' every turn asks for `maxBatch`.
 */
export function pace(options: {
  seconds: number;
  rate: number | 'max';
  maxBatch: number;
  maxBacklogMs?: number;
  work: (owed: number) => number;
}): Promise<{ produced: number; elapsedMs: number; shortfall: number }> {
  const { seconds, rate, maxBatch, work } = options;
  const maxBacklogMs = options.maxBacklogMs ?? 50;
  return new Promise((resolve) => {
    const start = performance.now();
    const end = start + seconds * 1000;
    let produced = 0;
    let shortfall = 0;
    let credited = 0; // pushes the schedule forgave after falling behind
    const turn = () => {
      const now = performance.now();
      if (now >= end) {
        resolve({ produced, elapsedMs: now - start, shortfall });
        return;
      }
      if (rate === 'max') {
        produced += work(maxBatch);
        setImmediate(turn);
        return;
      }
      let owed = Math.floor(((now - start) * rate) / 1000) - produced - credited;
      const bound = Math.ceil((rate * maxBacklogMs) / 1000);
      if (owed > bound) {
        shortfall += owed - bound;
        credited += owed - bound;
        owed = bound;
      }
      if (owed > 0) produced += work(Math.min(owed, maxBatch));
      if (owed > maxBatch) setImmediate(turn);
      else setTimeout(turn, 1);
    };
    setTimeout(turn, 1);
  });
}

/** Fixed-resolution latency histogram (0.1 ms buckets up to 60 s; beyond counts as 60 s). */
export class Histogram {
  private readonly buckets: Uint32Array;
  private count = 0;
  private sum = 0;
  private maxSeen = 0;

  constructor(private readonly resolutionMs = 0.1, maxMs = 60_000) {
    this.buckets = new Uint32Array(Math.ceil(maxMs / resolutionMs) + 1);
  }

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const i = Math.min(this.buckets.length - 1, Math.floor(v / this.resolutionMs));
    this.buckets[i]! += 1;
    this.count += 1;
    this.sum += v;
    if (v > this.maxSeen) this.maxSeen = v;
  }

  /** The non-empty buckets as [bucket, count] pairs: what another process sends to be merged with `add`. */
  counts(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.buckets.length; i++) if (this.buckets[i]! > 0) out.push([i, this.buckets[i]!]);
    return out;
  }

  /** Adds another histogram's `counts()` (same resolution); the mean and max take each bucket's lower bound. */
  add(counts: readonly [number, number][]): void {
    for (const [i, n] of counts) {
      this.buckets[i]! += n;
      this.count += n;
      this.sum += i * this.resolutionMs * n;
      this.maxSeen = Math.max(this.maxSeen, i * this.resolutionMs);
    }
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(p * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return (i + 1) * this.resolutionMs;
    }
    return this.maxSeen;
  }

  summary(): LatencySummary {
    return {
      samples: this.count,
      p50: round(this.percentile(0.5), 1),
      p99: round(this.percentile(0.99), 1),
      p999: round(this.percentile(0.999), 1),
      max: round(this.maxSeen, 1),
      mean: this.count === 0 ? 0 : round(this.sum / this.count, 2),
    };
  }
}

export const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** A CPU profile of this process from now on (200 µs sampling); `save` writes it and returns the file. */
export async function startCpuProfile(): Promise<{ save(dir: string, name: string): Promise<string> }> {
  const session = new InspectorSession();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    async save(dir, name) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      const file = join(dir, `${name}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return file;
    },
  };
}
