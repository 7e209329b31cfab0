/**
 * `npm run bench:durable`: acknowledged commands per second and ack latency with the journal on
 * (every ack waits for its batch's fdatasync), and restart time for 1M journal records with and
 * without a snapshot. Baselines in the same run: the same command stream through the in-memory
 * exchange (no journal), and a bare write + fdatasync append loop (the disk ceiling).
 *
 * Everything is wired as `startServer` wires it (200k-event replay window, History):
 * 5,000 funded accounts, ~10k resting orders on btc_usdt; mix 45% passive limit place, 30% cancel,
 * 5% amend, 10% market/IOC, 10% deposit.
 *
 * 1. acks, on one data directory:
 *    - closed loop: N clients, each with one command in flight (N = 1 … 4000), periodic snapshots
 *      off, so the figures are the journal's;
 *    - open loop: commands offered at a fixed rate (PERPSTREAM_BENCH_RATE and half of it), latency
 *      from each command's scheduled send time;
 *    - as deployed: after one unmeasured snapshot, the headline client count with the server's
 *      snapshot policy (every 100k commands, checked each second; made on the snapshot worker), and
 *      16 clients (p99 within 10 ms without snapshots) with a snapshot every 20k commands.
 * 2. recovery: a fresh directory filled with PERPSTREAM_BENCH_RECORDS (1M) journal records by the
 *    same mix, one snapshot taken under load 10k commands before the end; then fresh processes
 *    (bench/durable/recover.ts) open it: with the snapshot, and with the snapshot moved away (the
 *    journal-only restart gives the journal replay rate, reading and decoding included).
 *
 * Knobs: PERPSTREAM_BENCH_SECONDS (5 per load run), PERPSTREAM_BENCH_RECORDS (1000000),
 * PERPSTREAM_BENCH_RATE (open-loop rate, 50000), PERPSTREAM_BENCH_WINDOW (headline closed-loop
 * clients, 1000), PERPSTREAM_BENCH_PHASES ("ack,recover"), PERPSTREAM_BENCH_DIR (parent of the
 * temporary data directories; os.tmpdir()), PERPSTREAM_BENCH_PROFILE (a directory: CPU profiles of
 * the headline durable run, ack-<pid>.cpuprofile, and of each recovery process go there; the
 * profiled run is slower), PERPSTREAM_BENCH_KEEP=1 (keep the data directories).
 * The last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { SnapshotStats } from '../../src/persistence/store.js';
import { openDurableExchange } from '../../src/service/durable-exchange.js';
import { systemClock } from '../../src/service/clock.js';
import { Exchange } from '../../src/service/exchange.js';
import { appendLoop, type DiskResult } from './disk.js';
import {
  closedLoop, Mix, ms, openLoop, rng, round, SERVER_SERVICE, TimedOps, type Execute, type LatencySummary, type OpenLoopStats, type RunStats,
} from './common.js';

const SECONDS = Number(process.env.PERPSTREAM_BENCH_SECONDS ?? 5);
const RECORDS = Number(process.env.PERPSTREAM_BENCH_RECORDS ?? 1_000_000);
const RATE = Number(process.env.PERPSTREAM_BENCH_RATE ?? 50_000);
const WINDOW = Number(process.env.PERPSTREAM_BENCH_WINDOW ?? 1000);
const PHASES = new Set((process.env.PERPSTREAM_BENCH_PHASES ?? 'ack,recover').split(','));
const PROFILE = process.env.PERPSTREAM_BENCH_PROFILE;
const ACCOUNTS = 5_000;
const RESTING = 10_000;
const SWEEP = [1, 16, 64, 256, WINDOW, 4000].filter((w, i, all) => all.indexOf(w) === i).sort((a, b) => a - b);
const SNAPSHOT_BEFORE_END = 10_000;
/** The low-latency as-deployed run: clients, and a snapshot every so many commands. */
const LOW_WINDOW = 16;
const LOW_SNAPSHOT_EVERY = 20_000;

/** Garbage collections of this thread (start, duration in ms): a snapshot's measured pause may contain one. */
const gcs: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push({ start: entry.startTime, duration: entry.duration });
}).observe({ entryTypes: ['gc'] });
/** GC time of this thread inside [from, from + ms]. */
function gcWithin(from: number | undefined, ms: number): number {
  if (from === undefined) return NaN;
  let total = 0;
  for (const gc of gcs) total += Math.max(0, Math.min(gc.start + gc.duration, from + ms) - Math.max(gc.start, from));
  return total;
}

const base = process.env.PERPSTREAM_BENCH_DIR ?? os.tmpdir();
mkdirSync(base, { recursive: true });
const root = mkdtempSync(join(base, 'perpstream-durable-'));
let cleaned = false;
const cleanup = (): void => {
  if (!cleaned && process.env.PERPSTREAM_BENCH_KEEP !== '1') rmSync(root, { recursive: true, force: true });
  cleaned = true;
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

// ---------------------------------------------------------------------------------------------
// Machine.

/** Machine-wide busy CPU time (ms) from /proc/stat; null off Linux. */
function machineBusyMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return null;
  }
}

/**
 * CPU other processes used while a run was going on, in % of one core: machine busy time minus
 * this process's (all its threads) and its children's that report their own. The machine has few
 * cores, so anything else running shows up in the figures.
 */
function loadMeter(): (childCpuMs?: number) => number | null {
  const busy = machineBusyMs();
  const own = process.cpuUsage();
  const started = performance.now();
  return (childCpuMs = 0) => {
    const now = machineBusyMs();
    if (busy === null || now === null) return null;
    const used = process.cpuUsage(own);
    const others = now - busy - (used.user + used.system) / 1000 - childCpuMs;
    return Math.max(0, (100 * others) / (performance.now() - started));
  };
}

/** " (other load N% of a core)" when other processes were busy enough to matter. */
const loadNote = (other: number | null): string => (other !== null && other > 15 ? `  ** other load ${other.toFixed(0)}% of a core **` : '');

const freeGb = (() => {
  const s = statfsSync(root);
  return (s.bavail * s.bsize) / 1024 ** 3;
})();
const cpus = os.cpus();
console.log(`durable bench on ${cpus[0]?.model ?? 'unknown cpu'} (${cpus.length} cores), node ${process.version}, ${new Date().toISOString()}`);
console.log(`data under ${root} (${freeGb.toFixed(0)} GiB free); ${SECONDS} s per load run, ${RECORDS.toLocaleString('en')} records for recovery`);
{
  const meter = loadMeter();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const other = meter();
  if (other !== null) console.log(`other load before start: ${other.toFixed(0)}% of one core${other > 15 ? '  ** WARNING: the machine is not idle; figures will be low **' : ''}`);
}
if (freeGb < 3) {
  console.error(`only ${freeGb.toFixed(1)} GiB free under ${base}: the recovery phase needs ~1 GiB per million records; set PERPSTREAM_BENCH_DIR`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Reporting helpers.

const lat = (l: LatencySummary): string =>
  `p50 ${ms(l.p50).padStart(7)}  p99 ${ms(l.p99).padStart(7)}  p99.9 ${ms(l.p999).padStart(7)}  max ${ms(l.max).padStart(7)} ms`;

interface Run extends RunStats {
  name: string;
  loopDelayMaxMs: number;
  /** % of one core other processes used during the run. */
  otherLoad: number | null;
}

interface DurableRun extends Run {
  batches: number;
  records: number;
  avgBatch: number;
  datasync: LatencySummary;
  snapshots: SnapshotStats[];
}

function printRun(run: Run | DurableRun): void {
  let extra = '';
  if ('avgBatch' in run) {
    extra = `  batch ${run.avgBatch.toFixed(0).padStart(4)}  fdatasync p50 ${ms(run.datasync.p50)} p99 ${ms(run.datasync.p99)} ms`;
    if (run.snapshots.length > 0) {
      extra += `  ${run.snapshots.length} snapshot(s): held ${run.snapshots.map((s) => ms(s.pauseMs, 0)).join('/')} ms, written in ` +
        `${run.snapshots.map((s) => ms(s.writeMs, 0)).join('/')} ms, ${run.snapshots.map((s) => (s.bytes / 1024 / 1024).toFixed(0)).join('/')} MiB`;
    }
  }
  console.log(`${run.name.padEnd(34)} ${Math.round(run.ackedPerSec).toString().padStart(7)} acks/s  ${lat(run.latency)}  stall ${ms(run.loopDelayMaxMs, 0).padStart(4)} ms${extra}${loadNote(run.otherLoad)}`);
}

/** Runs `body` under the V8 CPU profiler when PERPSTREAM_BENCH_PROFILE is set, writing `<name>-<pid>.cpuprofile`. */
async function profiled<T>(name: string, body: () => Promise<T>): Promise<T> {
  if (PROFILE === undefined) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE, { recursive: true });
    writeFileSync(join(PROFILE, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/** Runs `body`, noting the longest event-loop stall and the other processes' load meanwhile. */
async function withLoopDelay<T>(body: () => Promise<T>): Promise<T & { loopDelayMaxMs: number; otherLoad: number | null }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const meter = loadMeter();
  const result = await body();
  histogram.disable();
  return { ...result, loopDelayMaxMs: histogram.max / 1e6, otherLoad: meter() };
}

// ---------------------------------------------------------------------------------------------
// 1. Acks.

interface AckPhase {
  memory: Run;
  sweep: DurableRun[];
  open: (DurableRun & OpenLoopStats)[];
  deployed: DurableRun;
  /** As deployed at LOW_WINDOW clients (p99 within 10 ms without snapshots), a snapshot every LOW_SNAPSHOT_EVERY commands. */
  deployedLow: DurableRun;
  disk: DiskResult[];
  recordBytes: number;
}

async function ackPhase(): Promise<AckPhase> {
  console.log(`\n— acks: ${ACCOUNTS} accounts, ~${RESTING} resting orders; latency = execute() call → its promise resolves (durable and applied)`);
  // Baseline: the same stream, the same wiring, no journal (execute applies at once).
  const memoryExchange = new Exchange({ symbols: DEMO_SYMBOLS, clock: systemClock, service: SERVER_SERVICE });
  const memoryMix = new Mix(rng(42), RESTING);
  const memoryExecute: Execute = (input) => memoryExchange.execute(input);
  await memoryMix.setup(memoryExecute, ACCOUNTS, WINDOW);
  await closedLoop(memoryExecute, memoryMix, { window: WINDOW, durationMs: 1000 }); // warm-up
  const memory: Run = { name: `in-memory (baseline), ${WINDOW} clients`, ...(await withLoopDelay(() => closedLoop(memoryExecute, memoryMix, { window: WINDOW, durationMs: SECONDS * 1000 }))) };
  printRun(memory);

  const ops = new TimedOps();
  const snapshots: SnapshotStats[] = [];
  // As startServer has it; the snapshot worker uses the real file operations (only the journal is timed).
  const { store, exchange } = await openDurableExchange({
    dataDir: join(root, 'ack'), symbols: DEMO_SYMBOLS, clock: systemClock, ops, service: SERVER_SERVICE, snapshotMode: 'worker',
    log: (message) => {
      if (message.startsWith('snapshot at') && store.lastSnapshot !== null) snapshots.push(store.lastSnapshot);
      else console.log(`  store: ${message}`);
    },
  });
  const execute: Execute = (input) => exchange.execute(input);
  const mix = new Mix(rng(42), RESTING);
  await mix.setup(execute, ACCOUNTS, WINDOW);
  await closedLoop(execute, mix, { window: WINDOW, durationMs: 1000 }); // warm-up

  const measure = async <T extends RunStats>(name: string, body: () => Promise<T>): Promise<DurableRun & T> => {
    const batches = store.journal.batches;
    const records = store.journal.records;
    const syncsBefore = ops.datasync.length;
    const snapshotsBefore = snapshots.length;
    const stats = await withLoopDelay(body);
    const b = store.journal.batches - batches;
    const r = store.journal.records - records;
    // A snapshot still being written when a run ends is counted in the next run.
    return { ...stats, name, batches: b, records: r, avgBatch: r / Math.max(1, b), datasync: ops.datasync.summary(syncsBefore), snapshots: snapshots.slice(snapshotsBefore) };
  };

  const sweep: DurableRun[] = [];
  for (const window of SWEEP) {
    const load = (): Promise<RunStats> => closedLoop(execute, mix, { window, durationMs: SECONDS * 1000 });
    const run = await measure(`durable, ${window} clients`, window === WINDOW ? () => profiled('ack', load) : load);
    printRun(run);
    sweep.push(run);
  }
  const open: (DurableRun & OpenLoopStats)[] = [];
  for (const rate of [RATE / 2, RATE]) {
    const run = await measure(`durable, open loop ${rate / 1000}k/s`, () => openLoop(execute, mix, { rate, durationMs: SECONDS * 1000, maxOutstanding: 200_000 }));
    printRun(run);
    if (run.saturated) console.log(`  saturated: over 200k commands waiting after ${run.seconds.toFixed(1)} s; stopped`);
    else if (run.ackedPerSec < rate * 0.95) console.log(`  fell behind: ${Math.round(run.ackedPerSec)}/s acked of ${rate}/s offered (up to ${run.maxOutstanding} waiting)`);
    open.push(run);
  }
  // A running server has a recent snapshot: take one first (unmeasured; on the worker it replays the
  // whole journal so far), so the as-deployed snapshots replay only what came after it.
  const firstSnapshot = await store.snapshot();
  if (firstSnapshot !== null) {
    console.log(`a first snapshot before the as-deployed runs (not measured): ${firstSnapshot.madeOn}, ${(firstSnapshot.replayed ?? 0).toLocaleString('en')} commands replayed, ` +
      `${ms(firstSnapshot.writeMs, 0)} ms, engine held ${ms(firstSnapshot.pauseMs, 1)} ms`);
  }
  snapshots.length = 0;
  // As deployed: the server's snapshot policy on (every 100k commands, checked once a second).
  store.startSnapshots();
  const deployed = await measure(`as deployed (snapshots), ${WINDOW} cl.`, () => closedLoop(execute, mix, { window: WINDOW, durationMs: 2 * SECONDS * 1000 }));
  printRun(deployed);
  // The same at a client count whose p99 is within 10 ms without snapshots, with snapshots often
  // enough that several fall inside the run: do they disturb acks at that latency?
  let issuedLow = 0;
  const deployedLow = await measure(`as deployed, ${LOW_WINDOW} cl., snap/${LOW_SNAPSHOT_EVERY / 1000}k`, () => closedLoop(execute, mix, {
    window: LOW_WINDOW, durationMs: 2 * SECONDS * 1000,
    onIssue: () => {
      if (++issuedLow % LOW_SNAPSHOT_EVERY === 0) void store.snapshot().catch(() => undefined);
    },
  }));
  printRun(deployedLow);
  const recordBytes = ops.bytesWritten / Math.max(1, store.journal.records);
  const closing = performance.now();
  await store.close();
  const closeMs = performance.now() - closing;
  const last = store.lastSnapshot;
  for (const snap of [...deployed.snapshots, ...deployedLow.snapshots]) {
    console.log(`  as-deployed snapshot at command ${snap.cmdSeq.toLocaleString('en')}: engine held ${ms(snap.pauseMs, 1)} ms (GC inside it ${ms(gcWithin(snap.pauseAt, snap.pauseMs), 1)} ms), made in ${ms(snap.writeMs, 0)} ms`);
  }
  console.log(`graceful close (a last snapshot, then the journal): ${ms(closeMs, 0)} ms` +
    (last !== null ? `; snapshot of ${(last.bytes / 1024 / 1024).toFixed(0)} MiB at command ${last.cmdSeq.toLocaleString('en')}` : ''));

  // The disk ceiling with the journal's record size: one record per fdatasync, and the batch sizes
  // the headline run and the open loop formed.
  const headline = sweep.find((r) => r.name === `durable, ${WINDOW} clients`)!;
  const diskDir = join(root, 'disk');
  mkdirSync(diskDir);
  const disk: DiskResult[] = [];
  const sizes = [1, ...open.map((r) => Math.round(r.avgBatch)), Math.round(headline.avgBatch)].map((s) => Math.max(1, s)).filter((s, i, all) => all.indexOf(s) === i);
  for (const size of sizes) {
    const result = await appendLoop(diskDir, Math.round(recordBytes), size, Math.min(3000, SECONDS * 1000));
    disk.push(result);
    console.log(`${`disk ceiling, ${size}-record batches`.padEnd(34)} ${Math.round(result.recordsPerSec).toString().padStart(7)} rec/s   ` +
      `${Math.round(result.batchesPerSec)} batches/s; write+fdatasync p50 ${ms(result.batch.p50)} p99 ${ms(result.batch.p99)} ms, fdatasync alone p50 ${ms(result.datasync.p50)} p99 ${ms(result.datasync.p99)} ms`);
  }
  return { memory, sweep, open, deployed, deployedLow, disk, recordBytes };
}

// ---------------------------------------------------------------------------------------------
// 2. Recovery.

interface Recovery {
  mode: string; totalMs: number; snapshotMs: number; journalMs: number; replayMs: number; fileReadMs: number; bytesRead: number;
  snapshotSeq: number | null; skippedSnapshots: string[]; replayed: number; checkpointsVerified: number; cmdSeq: number; events: number;
  heapMb: number; maxRssMb: number; cpuMs: number; otherLoad: number | null;
}

function recoverOnce(dataDir: string, mode: 'store', label: string): Promise<Recovery> {
  const script = fileURLToPath(new URL('./recover.js', import.meta.url));
  const execArgv = PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`, `--cpu-prof-name=recover-${label}-${process.pid}.cpuprofile`];
  const meter = loadMeter();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, script, dataDir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RECOVERY '));
      if (code !== 0 || line === undefined) reject(new Error(`recovery process exited with ${code}: ${out}`));
      else {
        const recovery = JSON.parse(line.slice('RECOVERY '.length)) as Recovery;
        resolve({ ...recovery, otherLoad: meter(recovery.cpuMs) });
      }
    });
  });
}

interface RecoveryPhase {
  records: number;
  journalBytes: number;
  segments: number;
  snapshot: SnapshotStats;
  fillPerSec: number;
  withSnapshot: Recovery;
  noSnapshot: Recovery;
}

async function recoveryPhase(): Promise<RecoveryPhase> {
  console.log(`\n— recovery: ${RECORDS.toLocaleString('en')} journal records, one snapshot ${SNAPSHOT_BEFORE_END.toLocaleString('en')} commands before the end; each restart in a fresh process`);
  const dataDir = join(root, 'recover');
  // No periodic snapshots: exactly one, taken by hand near the end.
  const { store, exchange } = await openDurableExchange({
    dataDir, symbols: DEMO_SYMBOLS, clock: systemClock, service: SERVER_SERVICE, log: (m) => console.log(`  store: ${m}`),
  });
  const execute: Execute = (input) => exchange.execute(input);
  const mix = new Mix(rng(7), RESTING);
  const started = performance.now();
  await mix.setup(execute, ACCOUNTS, 4000);
  const remaining = RECORDS - exchange.engine.cmdSeq;
  let snapshotting: Promise<SnapshotStats | null> | null = null;
  let lastReport = performance.now();
  await closedLoop(execute, mix, {
    window: 4000, commands: remaining,
    onIssue: (issued) => {
      if (issued === remaining - SNAPSHOT_BEFORE_END) snapshotting = store.snapshot();
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        console.log(`  filling the journal: ${exchange.engine.cmdSeq.toLocaleString('en')} commands`);
      }
    },
  });
  const snapshot = await (snapshotting as Promise<SnapshotStats | null> | null);
  const fillPerSec = exchange.engine.cmdSeq / ((performance.now() - started) / 1000);
  if (snapshot === null || exchange.engine.cmdSeq !== RECORDS) throw new Error(`expected ${RECORDS} commands and a snapshot, have ${exchange.engine.cmdSeq}`);
  // Close the journal only: store.close() would take another snapshot at the very end.
  await store.journal.close();

  const journalDir = join(dataDir, 'journal');
  const segments = readdirSync(journalDir);
  const journalBytes = segments.reduce((sum, name) => sum + statSync(join(journalDir, name)).size, 0);
  console.log(`journal: ${RECORDS.toLocaleString('en')} commands + 1 checkpoint, ${(journalBytes / 1024 / 1024).toFixed(0)} MiB in ${segments.length} segments, ` +
    `filled at ${Math.round(fillPerSec)} cmds/s (4000 clients)`);
  console.log(`snapshot at command ${snapshot.cmdSeq.toLocaleString('en')}: ${(snapshot.bytes / 1024 / 1024).toFixed(1)} MiB; engine held ${ms(snapshot.pauseMs, 1)} ms, ` +
    (snapshot.madeOn === 'worker'
      ? `made on a worker in ${ms(snapshot.writeMs, 0)} ms (${(snapshot.replayed ?? 0).toLocaleString('en')} commands replayed in ${ms(snapshot.replayMs ?? 0, 0)} ms; commands flow meanwhile)`
      : `encoded and written chunk by chunk in ${ms(snapshot.writeMs, 0)} ms (commands flow between chunks)`));

  const withSnapshot = await recoverOnce(dataDir, 'store', 'with-snapshot');
  printRecovery('restart, snapshot + journal', withSnapshot);
  if (withSnapshot.snapshotSeq === null) {
    console.log(`  ** DurableStore refused the snapshot (${withSnapshot.skippedSnapshots.join(', ')}); the restart above replayed the whole journal **`);
  }
  const snapshotDir = join(dataDir, 'snapshots');
  const aside = join(root, 'snapshots-aside');
  mkdirSync(aside);
  for (const name of readdirSync(snapshotDir)) renameSync(join(snapshotDir, name), join(aside, name));
  const noSnapshot = await recoverOnce(dataDir, 'store', 'no-snapshot');
  printRecovery('restart, journal only', noSnapshot);
  return { records: RECORDS, journalBytes, segments: segments.length, snapshot, fillPerSec, withSnapshot, noSnapshot };
}

/** Journal commands replayed per second in a restart: reading, decoding and applying. */
function replayRate(r: Recovery): number {
  return r.replayed / ((r.journalMs + r.replayMs) / 1000);
}

function printRecovery(name: string, r: Recovery): void {
  console.log(`${name.padEnd(34)} ${(r.totalMs / 1000).toFixed(2).padStart(6)} s   snapshot ${ms(r.snapshotMs / 1000)} s | ` +
    `journal read+decode ${ms(r.journalMs / 1000)} s (file reads ${ms(r.fileReadMs / 1000)} s, ${(r.bytesRead / 1024 / 1024).toFixed(0)} MiB in all) | ` +
    `replay ${ms(r.replayMs / 1000)} s of ${r.replayed.toLocaleString('en')} commands; ${r.checkpointsVerified} checkpoint(s) checked; max RSS ${r.maxRssMb.toFixed(0)} MiB${loadNote(r.otherLoad)}`);
}

// ---------------------------------------------------------------------------------------------

try {
  const ack = PHASES.has('ack') ? await ackPhase() : null;
  const recovery = PHASES.has('recover') ? await recoveryPhase() : null;
  const headline = ack?.sweep.find((r) => r.name === `durable, ${WINDOW} clients`);
  const best = ack === null ? null : ack.sweep.reduce((a, b) => (b.ackedPerSec > a.ackedPerSec ? b : a));
  const within10 = ack?.sweep.filter((r) => r.latency.p99 <= 10).reduce<DurableRun | null>((a, b) => (a === null || b.ackedPerSec > a.ackedPerSec ? b : a), null) ?? null;
  const openAtRate = ack?.open.at(-1);

  console.log('\ntargets: ≥ 50,000 durable acks/s with p99 ≤ 10 ms; recovery ≤ 5 s for 1M records with a snapshot');
  if (ack !== null && headline !== undefined && best !== null && openAtRate !== undefined) {
    console.log(`  closed loop, ${WINDOW} clients: ${Math.round(headline.ackedPerSec)} acks/s, p50 ${ms(headline.latency.p50)} ms, p99 ${ms(headline.latency.p99)} ms ` +
      `(in-memory ${Math.round(ack.memory.ackedPerSec)}/s: durable is ${(100 * headline.ackedPerSec / ack.memory.ackedPerSec).toFixed(0)}% of it); ` +
      `most acks/s: ${Math.round(best.ackedPerSec)} at ${best.name.replace('durable, ', '')} (p99 ${ms(best.latency.p99)} ms)`);
    console.log(`  most acks/s with p99 ≤ 10 ms: ${within10 === null ? 'none' : `${Math.round(within10.ackedPerSec)} at ${within10.name.replace('durable, ', '')} (p99 ${ms(within10.latency.p99)} ms)`}`);
    console.log(`  open loop at ${RATE}/s: ${Math.round(openAtRate.ackedPerSec)} acks/s, p50 ${ms(openAtRate.latency.p50)} ms, p99 ${ms(openAtRate.latency.p99)} ms` +
      `${openAtRate.saturated ? ' (saturated)' : ''}`);
    console.log(`  as deployed (snapshots every 100k): ${Math.round(ack.deployed.ackedPerSec)} acks/s, p99 ${ms(ack.deployed.latency.p99)} ms, longest stall ${ms(ack.deployed.loopDelayMaxMs, 0)} ms`);
    const low = ack.deployedLow;
    console.log(`  as deployed at ${LOW_WINDOW} clients (a snapshot every ${LOW_SNAPSHOT_EVERY.toLocaleString('en')} commands): ${Math.round(low.ackedPerSec)} acks/s, ` +
      `p99 ${ms(low.latency.p99)} ms, longest stall ${ms(low.loopDelayMaxMs, 0)} ms, ${low.snapshots.length} snapshot(s) completed, engine held ≤ ${ms(Math.max(0, ...low.snapshots.map((x) => x.pauseMs)), 1)} ms`);
    console.log(`  fdatasync of one ${ack.recordBytes.toFixed(0)}-byte record: p50 ${ms(ack.disk[0]!.datasync.p50, 3)} ms, p99 ${ms(ack.disk[0]!.datasync.p99, 3)} ms`);
  }
  if (recovery !== null) {
    console.log(`  recovery of ${RECORDS.toLocaleString('en')} records: ${(recovery.withSnapshot.totalMs / 1000).toFixed(2)} s with a snapshot` +
      `${recovery.withSnapshot.snapshotSeq === null ? ' (snapshot refused, whole journal replayed)' : ''}, ${(recovery.noSnapshot.totalMs / 1000).toFixed(2)} s journal only`);
    console.log(`  journal replay (journal-only restart, reading and decoding included): ${Math.round(replayRate(recovery.noSnapshot))} commands/s; ` +
      `applying alone ${Math.round(recovery.noSnapshot.replayed / (recovery.noSnapshot.replayMs / 1000))} commands/s; target ≥ 300,000`);
    console.log(`  snapshot at ~${(recovery.snapshot.cmdSeq / 1e6).toFixed(2)}M commands: engine held ${ms(recovery.snapshot.pauseMs, 1)} ms ` +
      `(${recovery.snapshot.madeOn}; garbage collection inside it ${ms(gcWithin(recovery.snapshot.pauseAt, recovery.snapshot.pauseMs), 1)} ms); target ≤ 20 ms`);
  }
  console.log(JSON.stringify({
    bench: 'durable',
    ackedPerSec: headline ? Math.round(headline.ackedPerSec) : null,
    ackP99Ms: headline ? round(headline.latency.p99) : null,
    recover1MWithSnapshotS: recovery ? round(recovery.withSnapshot.totalMs / 1000) : null,
    recover1MNoSnapshotS: recovery ? round(recovery.noSnapshot.totalMs / 1000) : null,
    clients: WINDOW,
    ackP50Ms: headline ? round(headline.latency.p50) : null,
    maxAckedPerSec: best ? Math.round(best.ackedPerSec) : null,
    maxAckedPerSecP99Within10Ms: within10 ? Math.round(within10.ackedPerSec) : null,
    inMemoryPerSec: ack ? Math.round(ack.memory.ackedPerSec) : null,
    openLoopRate: RATE,
    openLoopAckedPerSec: openAtRate ? Math.round(openAtRate.ackedPerSec) : null,
    openLoopP99Ms: openAtRate ? round(openAtRate.latency.p99) : null,
    deployedAckedPerSec: ack ? Math.round(ack.deployed.ackedPerSec) : null,
    deployedP99Ms: ack ? round(ack.deployed.latency.p99) : null,
    fdatasyncP50Ms: ack ? round(ack.disk[0]!.datasync.p50, 3) : null,
    snapshotUsed: recovery ? recovery.withSnapshot.snapshotSeq !== null : null,
    snapshotMiB: recovery ? round(recovery.snapshot.bytes / 1024 / 1024, 1) : null,
    snapshotPauseMs: recovery ? round(recovery.snapshot.pauseMs, 1) : null,
    snapshotWriteMs: recovery ? round(recovery.snapshot.writeMs, 1) : null,
    records: recovery?.records ?? null,
    replayCmdsPerSec: recovery ? Math.round(replayRate(recovery.noSnapshot)) : null,
    snapshotMadeOn: recovery ? recovery.snapshot.madeOn : null,
    deployedSnapshotPauseMaxMs: ack && ack.deployed.snapshots.length > 0 ? round(Math.max(...ack.deployed.snapshots.map((x) => x.pauseMs)), 1) : null,
    deployedLowClients: LOW_WINDOW,
    deployedLowAckedPerSec: ack ? Math.round(ack.deployedLow.ackedPerSec) : null,
    deployedLowP99Ms: ack ? round(ack.deployedLow.latency.p99) : null,
  }));
} finally {
  cleanup();
}
