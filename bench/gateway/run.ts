/**
 * `npm run bench:gateway`: the private XT user stream under load, against a bare `ws` server as
 * the transport ceiling, in the same run.
 *
 * 1. perpstream: a server child (bench/gateway/server.ts) with N funded accounts, a client child
 *    (bench/gateway/client.ts) with one subscribed connection per account. Idle memory per
 *    connection is measured once all are subscribed; then the server's makers and takers trade for
 *    PERPSTREAM_BENCH_SECONDS at PERPSTREAM_BENCH_RATE pushes/s, and the client checks every seq,
 *    counts pushes and measures latency from the command's engine time to the push read.
 * 2. scale-out: the same server child as a `perpstream engine` publishing to Redis Streams, with
 *    one and then two `perpstream gateway` children (bench/gateway/gateway.ts) serving the
 *    connections (spread over the gateways), the same load and checks; pushes/s, p99 and gaps are
 *    compared with run 1 (the ratio); then two gateways again, offered run 1's delivered rate
 *    (latency at equal load: the saturated runs' latency is the length of their queues). Redis: PERPSTREAM_BENCH_REDIS_URL (redis://127.0.0.1:6379),
 *    or a redis-server started for the run when nothing answers there.
 * 3. bare ws: a bare `ws` server child (bench/gateway/bare-ws.ts) replays the pushes the client
 *    captured in run 1 to the same number of connections at the rate perpstream delivered.
 *
 * Both servers' CPU (user + system, all threads) is divided by the pushes the client received.
 * Everything is on 127.0.0.1 and stops by itself. The last line is one JSON object.
 *
 * Knobs (environment):
 *   PERPSTREAM_BENCH_CONNECTIONS  connected accounts, one connection each (10000)
 *   PERPSTREAM_BENCH_SECONDS      measured load per run (15); PERPSTREAM_BENCH_WARMUP unmeasured load first (3)
 *   PERPSTREAM_BENCH_RATE         pushes/s the driver offers (120000), or "max"
 *   PERPSTREAM_BENCH_DEFLATE      1: the client offers permessage-deflate, as `ws` and ccxt do (1)
 *   PERPSTREAM_BENCH_BARE_MAX     1: a third run, the bare server as fast as it goes (1)
 *   PERPSTREAM_BENCH_PROFILE      a directory: CPU profile of the perpstream server's load window, and
 *                                 its hot spots printed (the profiler inflates that run's figures)
 *   PERPSTREAM_BENCH_HEAPSNAPSHOT a directory: heap snapshots before and with the idle connections
 *   PERPSTREAM_BENCH_REPLAY_WINDOW the server's resume window (events); unset: its default
 *   PERPSTREAM_BENCH_SCALEOUT     0: skip the scale-out runs (1)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  nextMessage, readKnobs, round, type ClientConnected, type ClientReport, type IdleMemory, type ServerLoaded, type ServerReady, type ServerStopped,
} from './common.js';
import { summarizeProfile } from './profile-top.js';
import { randomBytes } from 'node:crypto';
import { benchRedis, dropPrefix } from './redis.js';

const knobs = readKnobs();
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

// ---------------------------------------------------------------------------------------------
// File descriptors: each side holds one socket per connection.

const needFds = knobs.connections + 512;
const shell = (script: string): string => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).trim();
const softFds = Number(shell('ulimit -n')) || 0;
const hardFdsText = shell('ulimit -Hn');
const hardFds = hardFdsText === 'unlimited' ? Infinity : Number(hardFdsText);
if (softFds < needFds && hardFds < needFds) {
  console.error(`need ${needFds} file descriptors per process for ${knobs.connections} connections, but the hard limit is ${hardFdsText}:`
    + ' raise it (ulimit -Hn, /etc/security/limits.conf) or set PERPSTREAM_BENCH_CONNECTIONS lower');
  process.exit(1);
}

/** Starts a child with an IPC channel, raising its soft fd limit first when needed. */
function child(script: string, execArgv: string[], env: Record<string, string> = {}): ChildProcess {
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  const options = { stdio, env: { ...process.env, ...env } };
  if (softFds >= needFds) return spawn(process.execPath, [...execArgv, here(script)], options);
  // `exec` keeps the IPC descriptor (NODE_CHANNEL_FD) open across the shell.
  return spawn('/bin/sh', ['-c', `ulimit -n ${needFds} && exec "$0" "$@"`, process.execPath, ...execArgv, here(script)], options);
}

const exited = (proc: ChildProcess): Promise<void> =>
  proc.exitCode !== null ? Promise.resolve() : new Promise((resolve) => proc.once('exit', () => resolve()));

/** Machine-wide busy and steal CPU time so far (ms), from /proc/stat; null off Linux. */
function machineCpu(): { busyMs: number; stealMs: number; softirqMs: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    const tick = 1000 / 100; // USER_HZ is 100 on Linux
    return { busyMs: (user + nice + system + irq + softirq + steal) * tick, stealMs: steal * tick, softirqMs: (irq + softirq) * tick };
  } catch {
    return null;
  }
}

interface RunResult {
  name: string;
  ready: ServerReady;
  connected: ClientConnected;
  /** Idle memory of the server process (not measured in scale-out runs: the connections are on the gateways). */
  memory: IdleMemory | null;
  /** Scale-out runs: the gateways' CPU over the load and drain, µs (included in cpuUsPerPush). */
  gatewayCpuUs: number | null;
  loaded: ServerLoaded;
  report: ClientReport;
  stopped: ServerStopped;
  pushesPerSec: number;
  cpuUsPerPush: number;
  kbPerConn: number;
  heapKbPerConn: number;
  gaps: number;
  /** CPU the rest of the machine used while this run's load and drain ran (ms per s of wall), and VM steal. */
  othersCpuPerSec: number | null;
  stealPerSec: number | null;
  softirqPerSec: number | null;
}

/** Scale-out runs: the engine child's settings and the gateways to start beside it. */
interface ScaleOut {
  gateways: number;
  redisUrl: string;
  prefix: string;
  token: string;
}

async function run(kind: 'perpstream' | 'bare', rate: number | 'max', sampleFile: string, name: string, scaleOut: ScaleOut | null = null): Promise<RunResult> {
  const scaleOutEnv: Record<string, string> = scaleOut === null ? {} : {
    PERPSTREAM_BENCH_SCALEOUT_PREFIX: scaleOut.prefix, PERPSTREAM_BENCH_REDIS_URL: scaleOut.redisUrl, PERPSTREAM_BENCH_TOKEN: scaleOut.token,
  };
  const server = child(kind === 'perpstream' ? 'server.js' : 'bare-ws.js', ['--expose-gc', '--max-old-space-size=8192'], scaleOutEnv);
  const gateways: ChildProcess[] = [];
  try {
    const ready = await nextMessage<ServerReady>(server, 'ready');
    const ports: number[] = [];
    for (let i = 0; i < (scaleOut?.gateways ?? 0); i++) {
      const gateway = child('gateway.js', ['--max-old-space-size=8192'], { ...scaleOutEnv, PERPSTREAM_BENCH_ENGINE_URL: `http://127.0.0.1:${ready.port}` });
      gateways.push(gateway);
      ports.push((await nextMessage<{ type: 'ready'; port: number }>(gateway, 'ready')).port);
    }
    const client = child('client.js', ['--max-old-space-size=8192']);
    try {
      await nextMessage(client, 'hello');
      server.send({ type: 'baseline' });
      await nextMessage(server, 'baseline');
      client.send({ type: 'connect', mode: kind, port: ready.port, ...(scaleOut === null ? {} : { ports }), keys: ready.keys, seqs: ready.seqs });
      const connected = await nextMessage<ClientConnected>(client, 'connected');
      if (connected.failed > 0) console.error(`${name}: ${connected.failed} connections failed: ${connected.errors.join('; ')}`);
      let memory: IdleMemory | null = null;
      if (scaleOut === null) {
        server.send({ type: 'memory' });
        memory = await nextMessage<IdleMemory>(server, 'memory');
      }

      if (knobs.warmupSeconds > 0) {
        server.send({ type: 'warmup', seconds: knobs.warmupSeconds, rate, sampleFile });
        await nextMessage(server, 'warm');
        // Let the warm-up's last pushes arrive before the client starts counting.
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      client.send({ type: 'start' });
      await nextMessage(client, 'started');
      for (const gateway of gateways) {
        gateway.send({ type: 'load' });
        await nextMessage(gateway, 'loading');
      }
      server.send({ type: 'load', seconds: knobs.seconds, rate, sampleFile });
      await nextMessage(server, 'loading');
      const machineBefore = machineCpu();
      const wallBefore = performance.now();
      const loaded = await nextMessage<ServerLoaded>(server, 'loaded');
      client.send({ type: 'drain', finalSeqs: loaded.finalSeqs, timeoutMs: 30_000, sampleFile: kind === 'perpstream' && scaleOut === null ? sampleFile : '' });
      const report = await nextMessage<ClientReport>(client, 'report');
      server.send({ type: 'stop' });
      const stopped = await nextMessage<ServerStopped>(server, 'stopped');
      let gatewayCpuUs: number | null = null;
      for (const gateway of gateways) {
        gateway.send({ type: 'stop' });
        const used = await nextMessage<ServerStopped>(gateway, 'stopped');
        gatewayCpuUs = (gatewayCpuUs ?? 0) + used.cpuUserUs + used.cpuSystemUs;
      }
      const machineAfter = machineCpu();
      const wallSeconds = (performance.now() - wallBefore) / 1000;
      server.send({ type: 'heap' });
      const heap = await nextMessage<{ type: 'heap'; heapUsedBytes: number; retainedHeapBytes: number }>(server, 'heap');
      stopped.heapUsedBytes = heap.heapUsedBytes;
      stopped.retainedHeapBytes = heap.retainedHeapBytes;
      const ours = (stopped.cpuUserUs + stopped.cpuSystemUs + (gatewayCpuUs ?? 0) + report.cpuUserUs + report.cpuSystemUs) / 1000;
      // Interrupt time (loopback packet processing) is not charged to any process: counted apart.
      const softirqPerSec = machineBefore && machineAfter ? (machineAfter.softirqMs - machineBefore.softirqMs) / wallSeconds : null;
      const othersCpuPerSec = machineBefore && machineAfter
        ? Math.max(0, machineAfter.busyMs - machineBefore.busyMs - (machineAfter.softirqMs - machineBefore.softirqMs) - ours) / wallSeconds : null;
      const stealPerSec = machineBefore && machineAfter ? (machineAfter.stealMs - machineBefore.stealMs) / wallSeconds : null;

      client.send({ type: 'close' });
      await exited(client);
      for (const gateway of gateways) {
        gateway.send({ type: 'close' });
        await exited(gateway);
      }
      server.send({ type: 'close' });
      await exited(server);

      const seconds = report.spanMs / 1000;
      const pushesPerSec = seconds > 0 ? report.pushes / seconds : 0;
      return {
        name, ready, connected, memory, gatewayCpuUs, loaded, report, stopped,
        pushesPerSec,
        cpuUsPerPush: report.pushes > 0 ? (stopped.cpuUserUs + stopped.cpuSystemUs + (gatewayCpuUs ?? 0)) / report.pushes : 0,
        kbPerConn: memory === null ? NaN : (memory.after.rss - memory.before.rss) / memory.connections / 1024,
        heapKbPerConn: memory === null ? NaN : (memory.after.heapUsed + memory.after.external - memory.before.heapUsed - memory.before.external) / memory.connections / 1024,
        gaps: report.missing + report.disorder,
        othersCpuPerSec,
        stealPerSec,
        softirqPerSec,
      };
    } finally {
      if (client.exitCode === null) client.kill();
    }
  } finally {
    for (const gateway of gateways) if (gateway.exitCode === null) gateway.kill();
    if (server.exitCode === null) server.kill();
    if (scaleOut !== null) await dropPrefix(scaleOut.redisUrl, scaleOut.prefix).catch(() => undefined);
  }
}

const cpus = os.cpus();
console.log(`gateway bench on ${cpus[0]?.model ?? 'unknown cpu'} (${cpus.length} cores), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${knobs.connections} connections over 127.0.0.1, ${knobs.seconds} s of load at ${knobs.rate === 'max' ? 'the highest rate the server sustains' : `${knobs.rate} pushes/s offered`},`
  + ` permessage-deflate ${knobs.deflate ? 'offered by the client' : 'off'}; fd limit ${softFds} (hard ${hardFdsText})`);
if (knobs.profileDir !== '') console.log(`profiling the perpstream server (figures inflated by the profiler): ${knobs.profileDir}`);

const work = mkdtempSync(join(os.tmpdir(), 'perpstream-gateway-bench-'));
try {
  const sampleFile = join(work, 'pushes.jsonl');
  const perp = await run('perpstream', knobs.rate, sampleFile, 'perpstream /ws/user');
  // Scale-out: the engine process plus one, then two gateway processes, over Redis.
  const scaleOutRuns: RunResult[] = [];
  let sameRate: RunResult | null = null;
  if ((process.env.PERPSTREAM_BENCH_SCALEOUT ?? '1') !== '0') {
    const redis = await benchRedis();
    try {
      const scaleOut = (gateways: number) => ({ gateways, redisUrl: redis.url, prefix: `bench-${process.pid}-${gateways}-${randomBytes(3).toString('hex')}`, token: randomBytes(16).toString('hex') });
      for (const gateways of [1, 2]) scaleOutRuns.push(await run('perpstream', knobs.rate, sampleFile, `engine + ${gateways} gateway${gateways > 1 ? 's' : ''}`, scaleOut(gateways)));
      // Latency at equal load: two gateways offered what the single process delivered (above,
      // every run is saturated, and a saturated pipeline's latency is its queue's length).
      sameRate = await run('perpstream', Math.max(100, Math.round(perp.pushesPerSec)), sampleFile, '2 gateways, same rate', scaleOut(2));
      scaleOutRuns.push(sameRate);
    } finally {
      redis.stop();
    }
  }
  const bare = await run('bare', Math.max(100, Math.round(perp.pushesPerSec)), sampleFile, 'bare ws, same rate');
  // The transport's own limit on this machine: the bare server as fast as it and the client go.
  const bareMax = knobs.bareMax ? await run('bare', 'max', sampleFile, 'bare ws, max rate') : null;
  const runs = [perp, ...scaleOutRuns, bare, ...(bareMax === null ? [] : [bareMax])];

  const fmt = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const rows: [string, (r: RunResult) => string][] = [
    ['connections (subscribed / failed)', (r) => `${fmt(r.connected.connected)} / ${fmt(r.connected.failed)}`],
    ['connect + subscribe all, s', (r) => fmt(r.connected.ms / 1000, 1)],
    ['pushes delivered', (r) => fmt(r.report.pushes)],
    ['pushes/s delivered', (r) => fmt(r.pushesPerSec)],
    ['MB/s delivered', (r) => fmt(r.report.bytes / (r.report.spanMs / 1000) / 1e6, 1)],
    ['mean push size, bytes', (r) => fmt(r.report.bytes / Math.max(1, r.report.pushes))],
    ['latency p50 / p99 / p99.9, ms', (r) => `${r.report.latency.p50} / ${r.report.latency.p99} / ${r.report.latency.p999}`],
    ['latency max, ms (samples)', (r) => `${r.report.latency.max} (${fmt(r.report.latency.samples)})`],
    ['gaps (missing + out of order)', (r) => `${fmt(r.gaps)} (${r.report.missing} + ${r.report.disorder})`],
    ['accounts not at final seq', (r) => fmt(r.report.unfinished)],
    ['connections closed early', (r) => `${r.report.closedEarly}${r.report.closedEarly > 0 ? ` ${JSON.stringify(r.report.closeCodes)}` : ''}`],
    ['server CPU µs / push', (r) => fmt(r.cpuUsPerPush, 2)],
    ['  of which user / system', (r) => (r.gatewayCpuUs === null ? `${fmt(r.stopped.cpuUserUs / r.report.pushes, 2)} / ${fmt(r.stopped.cpuSystemUs / r.report.pushes, 2)}` : 'n/a')],
    ['  of which engine / gateways', (r) => (r.gatewayCpuUs === null ? '—' : `${fmt((r.stopped.cpuUserUs + r.stopped.cpuSystemUs) / r.report.pushes, 2)} / ${fmt(r.gatewayCpuUs / r.report.pushes, 2)}`)],
    ['server CPU (user+sys) / wall', (r) => `${fmt(((r.stopped.cpuUserUs + r.stopped.cpuSystemUs + (r.gatewayCpuUs ?? 0)) / 1000 / r.stopped.wallMs) * 100, 0)}%`],
    ['server GC pauses: young / full, ms', (r) => `${fmt(r.stopped.gc.scavengeMs)} (${r.stopped.gc.scavenges}) / ${fmt(r.stopped.gc.markSweepMs + r.stopped.gc.otherMs)} (${r.stopped.gc.markSweeps + r.stopped.gc.other})`],
    ['server heap after GC: idle → end, MB', (r) => (r.memory === null ? `n/a → ${fmt((r.stopped.heapUsedBytes ?? 0) / 1e6)}` : `${fmt(r.memory.after.heapUsed / 1e6)} → ${fmt((r.stopped.heapUsedBytes ?? 0) / 1e6)}`)],
    ['heap retained by the load, bytes/push', (r) => fmt((r.stopped.retainedHeapBytes ?? 0) / Math.max(1, r.report.pushes), 0)],
    ['server event-loop utilization', (r) => `${fmt(r.loaded.elu * 100, 0)}%`],
    ['server longest stall / GC pause, ms', (r) => `${fmt(r.loaded.maxStallMs, 1)} / ${fmt(r.stopped.gc.maxPauseMs, 1)}`],
    ['pacer shortfall (pushes dropped)', (r) => fmt(r.loaded.shortfall)],
    ['client CPU / wall', (r) => `${fmt(((r.report.cpuUserUs + r.report.cpuSystemUs) / 1000 / r.stopped.wallMs) * 100, 0)}%`],
    ['other processes\' CPU during load', (r) => (r.othersCpuPerSec === null ? 'n/a' : `${fmt(r.othersCpuPerSec / 10, 0)}% of a core`)],
    ['interrupts (irq+softirq) during load', (r) => (r.softirqPerSec === null ? 'n/a' : `${fmt(r.softirqPerSec / 10, 0)}% of a core`)],
    ['VM steal during load', (r) => (r.stealPerSec === null ? 'n/a' : `${fmt(r.stealPerSec / 10, 0)}% of a core`)],
    ['idle memory / connection, KB (RSS)', (r) => (Number.isNaN(r.kbPerConn) ? 'n/a' : fmt(r.kbPerConn, 2))],
    ['idle heap+external / connection, KB', (r) => (Number.isNaN(r.heapKbPerConn) ? 'n/a' : fmt(r.heapKbPerConn, 2))],
  ];
  console.log('');
  console.log(`${''.padEnd(38)}${runs.map((r) => r.name.padStart(22)).join(' ')}`);
  for (const [label, value] of rows) console.log(`${label.padEnd(38)}${runs.map((r) => value(r).padStart(22)).join(' ')}`);

  const l = perp.loaded;
  console.log('');
  console.log(`perpstream engine activity: ${fmt(l.commands)} commands (${fmt(l.refused)} refused), ${fmt(l.events)} push events`
    + ` ${JSON.stringify(l.eventsByType)}, ${fmt(perp.report.flipRepeats)} position-flip pairs;`
    + ` ${fmt(l.executeMs)} ms of ${fmt(l.elapsedMs)} ms inside exchange.executeNow (engine + publish + encode + queue)`);
  console.log(`latency by topic: ${Object.entries(perp.report.latencyByTopic).map(([t, s]) => `${t} p50 ${s.p50} / p99 ${s.p99} ms (${fmt(s.samples)})`).join('; ')}`);
  if (perp.report.verifyMismatches > 0) console.log(`WARNING: ${perp.report.verifyMismatches} of ${perp.report.verified} spot-checked pushes disagreed with the fast parser`);

  const noisy = runs.some((r) => (r.othersCpuPerSec ?? 0) > 150);
  if (noisy) console.log('WARNING: other processes used more than 15% of a core during a load phase: the machine was not quiet, figures are pessimistic');
  const ratio = bare.cpuUsPerPush > 0 ? perp.cpuUsPerPush / bare.cpuUsPerPush : Infinity;
  const check = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log('');
  console.log('targets:');
  console.log(`  ≥ 100,000 pushes/s delivered: ${fmt(perp.pushesPerSec)} — ${check(perp.pushesPerSec >= 100_000)}`);
  console.log(`  p99 ≤ 50 ms: ${perp.report.latency.p99} ms — ${check(perp.report.latency.p99 <= 50)}`);
  console.log(`  zero gaps: ${perp.gaps} (accounts short at the end: ${perp.report.unfinished}) — ${check(perp.gaps === 0 && perp.report.unfinished === 0)}`);
  console.log(`  CPU / push ≤ 1.5× bare ws: ${fmt(perp.cpuUsPerPush, 2)} vs ${fmt(bare.cpuUsPerPush, 2)} µs = ${fmt(ratio, 2)}× — ${check(ratio <= 1.5)}`);
  console.log(`  ≤ 8 KB per idle connection: ${fmt(perp.kbPerConn, 2)} KB — ${check(perp.kbPerConn <= 8)}`);
  console.log(`  no event-loop stall over 50 ms: largest ${fmt(perp.loaded.maxStallMs, 1)} ms — ${check(perp.loaded.maxStallMs <= 50)}`);
  const two = scaleOutRuns.find((r) => r.name.startsWith('engine + 2'));
  if (scaleOutRuns.length > 0) {
    console.log('scale-out (engine + gateways over Redis; the same machine\'s two cores run the engine, Redis, the gateways and the client):');
    for (const r of scaleOutRuns) {
      console.log(`  ${r.name}: ${fmt(r.pushesPerSec)} pushes/s = ${fmt(r.pushesPerSec / perp.pushesPerSec, 2)}× the single process, ` +
        `p99 ${r.report.latency.p99} ms, gaps ${r.gaps} (short at the end: ${r.report.unfinished}), engine ELU ${fmt(r.loaded.elu * 100, 0)}%`);
    }
    if (two !== undefined) {
      console.log(`  ≥ 1.6× single-process pushes/s with 2 gateways: ${fmt(two.pushesPerSec / perp.pushesPerSec, 2)}× — ${check(two.pushesPerSec >= 1.6 * perp.pushesPerSec)}`);
      console.log(`  0 gaps, p99 ≤ 50 ms with 2 gateways: ${two.gaps} gaps, p99 ${two.report.latency.p99} ms saturated` +
        `${sameRate === null ? '' : `, ${sameRate.report.latency.p99} ms at the single process's rate (${sameRate.gaps} gaps)`} — ` +
        `${check(two.gaps === 0 && two.report.unfinished === 0 && (sameRate ?? two).report.latency.p99 <= 50 && (sameRate?.gaps ?? 0) === 0)}`);
    }
  }

  if (knobs.profileDir !== '') {
    console.log('');
    summarizeProfile(knobs.profileDir, perp.report.pushes);
  }

  console.log(JSON.stringify({
    bench: 'gateway',
    pushesPerSec: Math.round(perp.pushesPerSec),
    p99Ms: perp.report.latency.p99,
    cpuUsPerPush: round(perp.cpuUsPerPush, 2),
    bareWsCpuUsPerPush: round(bare.cpuUsPerPush, 2),
    bareWsMaxPushesPerSec: bareMax === null ? null : Math.round(bareMax.pushesPerSec),
    maxStallMs: round(perp.loaded.maxStallMs, 1),
    kbPerConn: round(perp.kbPerConn, 2),
    gaps: perp.gaps,
    scaleOutPushesPerSec: two === undefined ? null : Math.round(two.pushesPerSec),
    scaleOutRatio: two === undefined ? null : round(two.pushesPerSec / perp.pushesPerSec, 2),
    scaleOutP99Ms: two === undefined ? null : two.report.latency.p99,
    scaleOutGaps: two === undefined ? null : two.gaps + two.report.unfinished,
    scaleOutOneGatewayPushesPerSec: scaleOutRuns[0] === undefined ? null : Math.round(scaleOutRuns[0].pushesPerSec),
    scaleOutSameRateP99Ms: sameRate === null ? null : sameRate.report.latency.p99,
  }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
