/**
 * `npm run bench:market`: public market data under load, measured at the server, against a bare
 * `ws` server replaying the same deliveries in the same run.
 *
 * 1. perpstream: a server child trades one busy symbol (bench/market/server.ts) while
 *    PERPSTREAM_BENCH_CLIENT_PROCS client children hold PERPSTREAM_BENCH_SUBSCRIBERS public
 *    subscribers split over every dialect's depth-delta and trade streams (common.ts PLANS). The
 *    offered command rate steps up (PERPSTREAM_BENCH_RATES): at each, a warm-up, then a measured
 *    window: commands offered and applied, delivered messages/s, p99 latency from the engine time a
 *    frame carries, sequence gaps, server CPU per delivered message. The ladder stops at the first
 *    rate that misses the p99 target, falls behind the offered rate or sees a gap; the headline is
 *    the highest rate that kept them all (the lowest tried when none did).
 * 2. bare ws: a bare server (bare.ts) replays what perpstream's subscribers received in the headline
 *    window to the same clients, twice: each TCP read of one subscriber per plan when it arrived, to
 *    every socket of the plan — the same frames in the same writes, batched per event-loop turn with
 *    the socket corked as perpstream's gateway does — for CPU per delivered message measured the same
 *    way (the target's baseline); and each frame at the engine time its content carries, for the
 *    transport's own latency with these frames on this machine (the floor of perpstream's p99).
 *
 * Knobs: PERPSTREAM_BENCH_SUBSCRIBERS (10000), PERPSTREAM_BENCH_CLIENT_PROCS (2),
 * PERPSTREAM_BENCH_SECONDS (15 per rate), PERPSTREAM_BENCH_WARMUP (3), PERPSTREAM_BENCH_RATES
 * (5,10,25,50,100,200,400 commands/s), PERPSTREAM_BENCH_P99_MS (50), PERPSTREAM_BENCH_PROFILE (a
 * directory: the perpstream server runs with --cpu-prof). The last line is one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Histogram, nextMessage, round } from '../gateway/common.js';
import { PLANS, readMarketKnobs, type ClientReport, type Recording, type ReplayMode } from './common.js';

const knobs = readMarketKnobs();
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
// The server keeps a tenth of its descriptors (at least 64) and 64 more for REST, admin and files (gateway/descriptors.ts).
const needFds = Math.ceil(knobs.subscribers * 1.12) + 1024;

/** A child with an IPC channel and a soft descriptor limit raised to what the subscribers need. */
function child(script: string, nodeFlags: string[] = []): ChildProcess {
  return spawn('/bin/sh', ['-c', `ulimit -n ${needFds} 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$0" "$@"`, process.execPath,
    '--max-old-space-size=4096', ...nodeFlags, here(script)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** Every client child's answer to one request. */
async function all<T extends { type: string }>(clients: ChildProcess[], request: Record<string, unknown>, answer: T['type']): Promise<T[]> {
  const answers = clients.map((c) => nextMessage<T>(c, answer));
  for (const c of clients) c.send(request);
  return Promise.all(answers);
}

/** The clients connect to a server: each holds its share of the subscribers, every plan in it. */
async function connect(clients: ChildProcess[], port: number, bare: boolean): Promise<void> {
  const share = (i: number): number => Math.floor(knobs.subscribers / clients.length) + (i < knobs.subscribers % clients.length ? 1 : 0);
  await Promise.all(clients.map((c, i) => {
    const done = nextMessage(c, 'connected');
    c.send({ type: 'connect', port, subscribers: share(i), bare, recorders: i === 0 });
    return done;
  }));
}

interface Window {
  messages: number;
  depthMessages: number;
  gaps: number;
  unread: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  windowedP99Ms: number;
  p99ByDialect: Record<string, number>;
  clientCpuUs: number;
  serverCpuUs: number;
  recordings: Recording[];
}

/** Ends a measured window: the clients read up to a ping barrier and report, then the server says its CPU. */
async function closeWindow(clients: ChildProcess[], server: ChildProcess): Promise<Window> {
  const reports = await all<ClientReport>(clients, { type: 'report' }, 'report');
  const cpu = nextMessage<{ type: 'cpu'; cpuUs: number }>(server, 'cpu');
  server.send({ type: 'cpu' });
  const { cpuUs } = await cpu;
  const latency = new Histogram();
  const windowed = new Histogram();
  const byPlan = PLANS.map(() => new Histogram());
  for (const r of reports) {
    latency.add(r.latency);
    windowed.add(r.windowedLatency);
    r.latencyByPlan.forEach((counts, plan) => byPlan[plan]!.add(counts));
  }
  const sum = (pick: (r: ClientReport) => number): number => reports.reduce((s, r) => s + pick(r), 0);
  const summary = latency.summary();
  return {
    messages: sum((r) => r.messages), depthMessages: sum((r) => r.depthMessages), gaps: sum((r) => r.gaps), unread: sum((r) => r.unread),
    p50Ms: summary.p50, p99Ms: summary.p99, maxMs: summary.max, windowedP99Ms: windowed.summary().p99,
    p99ByDialect: Object.fromEntries(PLANS.map((p, i) => [p.dialect, byPlan[i]!.summary().p99])),
    clientCpuUs: sum((r) => r.cpuUs), serverCpuUs: cpuUs, recordings: reports.find((r) => r.recordings !== null)?.recordings ?? [],
  };
}

interface Step extends Window {
  rate: number;
  applied: number;
  msgsPerSec: number;
  cpuUsPerMsg: number;
  passed: boolean;
}

const startLoad = load();
console.log(`bench:market — ${knobs.subscribers} subscribers in ${knobs.clientProcesses} client processes over ${PLANS.map((p) => p.dialect).join(', ')} ` +
  `(depth delta + trades); rates ${knobs.rates.join(', ')} commands/s, ${knobs.warmupSeconds} + ${knobs.seconds} s each; ` +
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${startLoad}`);

const clients = Array.from({ length: knobs.clientProcesses }, () => child('client.js'));
const steps: Step[] = [];
const bareWindows: Partial<Record<ReplayMode, Window>> = {};
let headline: Step | undefined;
try {
  await Promise.all(clients.map((c) => nextMessage(c, 'hello')));

  // 1. perpstream, rate by rate.
  const profile = knobs.profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${knobs.profileDir}`];
  const server = child('server.js', profile);
  const { port } = await nextMessage<{ type: 'ready'; port: number }>(server, 'ready');
  await connect(clients, port, false);
  for (const rate of knobs.rates) {
    const from = Date.now() + knobs.warmupSeconds * 1000 + 100;
    await all(clients, { type: 'window', from }, 'window-set');
    const loaded = nextMessage<{ type: 'loaded'; applied: number; windowMs: number; elu: number; loopDelayP99Ms: number; loopDelayMaxMs: number }>(server, 'loaded');
    server.send({ type: 'load', rate, from, seconds: knobs.seconds });
    const { applied, windowMs, elu, loopDelayP99Ms, loopDelayMaxMs } = await loaded;
    const window = await closeWindow(clients, server);
    const msgsPerSec = window.messages / (windowMs / 1000);
    const cpuUsPerMsg = window.messages === 0 ? 0 : window.serverCpuUs / window.messages;
    const passed = window.p99Ms <= knobs.p99TargetMs && applied >= 0.95 * rate * knobs.seconds && window.gaps === 0 && window.unread === 0;
    const step: Step = { ...window, rate, applied, msgsPerSec, cpuUsPerMsg, passed };
    steps.push(step);
    console.log(`  ${rate} cmds/s offered, ${round(applied / knobs.seconds, 1)} applied: ${round(msgsPerSec, 0)} msgs/s delivered ` +
      `(${window.depthMessages} depth), latency p50 ${window.p50Ms} / p99 ${window.p99Ms} / max ${window.maxMs} ms ` +
      `(by dialect ${Object.entries(window.p99ByDialect).map(([d, p]) => `${d} ${p}`).join(', ')}; ` +
      `XT depth_update, its 100 ms window included: p99 ${window.windowedP99Ms} ms), gaps ${window.gaps}, unread ${window.unread}, ` +
      `server CPU ${round(cpuUsPerMsg, 3)} µs/msg (${round(window.serverCpuUs / 1e4 / (windowMs / 1000), 0)} % of a core; event loop ` +
      `${round(elu * 100, 0)} % busy, delay p99 ${round(loopDelayP99Ms, 1)} / max ${round(loopDelayMaxMs, 1)} ms), ` +
      `clients ${round(window.clientCpuUs / 1e4 / (windowMs / 1000), 0)} % — ${passed ? 'kept' : 'missed'} the targets; load ${load()}`);
    if (!passed) break;
  }
  const stopped = nextMessage(server, 'stopped');
  server.send({ type: 'stop' });
  await stopped;
  server.disconnect();
  headline = steps.filter((s) => s.passed).at(-1) ?? steps[0]!;

  // 2. bare ws: the headline window's deliveries, replayed to the same clients, once as perpstream wrote them (CPU), once at content time (latency).
  const bare = child('bare.js');
  const barePort = (await nextMessage<{ type: 'ready'; port: number }>(bare, 'ready')).port;
  await connect(clients, barePort, true);
  for (const mode of ['delivered', 'content'] as const) {
    const from = Date.now() + 1000;
    await all(clients, { type: 'window', from, replay: { recordings: headline.recordings, mode } }, 'window-set');
    const replayed = nextMessage(bare, 'replayed');
    bare.send({ type: 'replay', recordings: headline.recordings, mode, from, seconds: knobs.seconds });
    await replayed;
    bareWindows[mode] = await closeWindow(clients, bare);
  }
  const bareStopped = nextMessage(bare, 'stopped');
  bare.send({ type: 'stop' });
  await bareStopped;
  bare.disconnect();
} finally {
  for (const c of clients) c.kill();
}

const h = headline!;
const asWritten = bareWindows.delivered!;
const atContent = bareWindows.content!;
const bareCpuUsPerMsg = asWritten.messages === 0 ? 0 : asWritten.serverCpuUs / asWritten.messages;
const highest = steps.filter((s) => s.passed).at(-1);
console.log(`perpstream at ${h.rate} cmds/s (${highest === undefined ? 'no rate kept the targets: the lowest tried' : 'the highest rate that kept the targets'}): ` +
  `${round(h.msgsPerSec, 0)} msgs/s, p99 ${h.p99Ms} ms, server CPU ${round(h.cpuUsPerMsg, 3)} µs/msg, gaps ${h.gaps}`);
console.log(`bare ws, the same writes: ${asWritten.messages} messages (perpstream ${h.messages}; unread or unscheduled ${asWritten.unread}), ` +
  `server CPU ${round(bareCpuUsPerMsg, 3)} µs/msg; delay behind perpstream's delivery p50 ${asWritten.p50Ms} / p99 ${asWritten.p99Ms} ms`);
console.log(`bare ws, the same frames at the time their content was current: latency p50 ${atContent.p50Ms} / p99 ${atContent.p99Ms} / max ${atContent.maxMs} ms ` +
  `(XT depth_update from its arrival in perpstream: p99 ${atContent.windowedP99Ms} ms), server CPU ${round(atContent.messages === 0 ? 0 : atContent.serverCpuUs / atContent.messages, 3)} µs/msg`);
console.log(`ratio CPU per message perpstream / bare ws: ${bareCpuUsPerMsg === 0 ? 'n/a' : round(h.cpuUsPerMsg / bareCpuUsPerMsg, 2)}×; load average ${startLoad} at the start, ${load()} at the end`);
console.log(JSON.stringify({
  bench: 'market', msgsPerSec: round(h.msgsPerSec, 0), p99Ms: h.p99Ms, cpuUsPerMsg: round(h.cpuUsPerMsg, 3), bareWsCpuUsPerMsg: round(bareCpuUsPerMsg, 3),
  gaps: steps.reduce((s, step) => s + step.gaps, 0), offeredRate: h.rate, appliedRate: round(h.applied / knobs.seconds, 1),
  highestRateKeepingP99: highest?.rate ?? null, bareWsP99Ms: atContent.p99Ms, xtDepthWindowedP99Ms: h.windowedP99Ms, subscribers: knobs.subscribers,
  dialects: PLANS.map((p) => p.dialect),
}));
