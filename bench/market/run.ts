/**
 * `npm run bench:market`: public market data under load, against a bare `ws` server in the same run.
 *
 * 1. perpstream: a server child trades one busy symbol (bench/market/server.ts) while a client
 *    child holds PERPSTREAM_BENCH_SUBSCRIBERS public subscribers split over every dialect's depth
 *    delta and trade streams (bench/market/common.ts PLANS): delivered messages/s, p99 latency from
 *    the engine time a frame carries, sequence gaps seen by the subscribers, and server CPU per
 *    delivered message.
 * 2. bare ws: a bare server broadcasts the frames perpstream delivered to as many connections at
 *    the same delivery rate: its CPU per delivered message is the transport's floor.
 *
 * Knobs: PERPSTREAM_BENCH_SUBSCRIBERS (10000), PERPSTREAM_BENCH_SECONDS (15), PERPSTREAM_BENCH_WARMUP
 * (3), PERPSTREAM_BENCH_COMMAND_RATE (2000 engine commands/s). The last line is one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { nextMessage, round } from '../gateway/common.js';
import { PLANS, readMarketKnobs, type ClientReport } from './common.js';

const knobs = readMarketKnobs();
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
// The server keeps a tenth of its descriptors (at least 64) and 64 more for REST, admin and files (gateway/descriptors.ts).
const needFds = Math.ceil(knobs.subscribers * 1.12) + 1024;

/** A child with an IPC channel and a soft descriptor limit raised to what the subscribers need. */
function child(script: string): ChildProcess {
  return spawn('/bin/sh', ['-c', `ulimit -n ${needFds} 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$0" "$@"`, process.execPath, '--max-old-space-size=4096', here(script)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

interface Loaded { type: 'loaded'; commands: number; elapsedMs: number; cpuUs: number }

/**
 * One run: a server child (perpstream, or the bare server sending `bare.frames` at
 * `bare.deliveriesPerSec`) and the client child with every subscriber; perpstream warms up first.
 */
async function run(bare: { frames: string[]; deliveriesPerSec: number } | null): Promise<{ report: ClientReport; loaded: Loaded }> {
  const server = child(bare === null ? 'server.js' : 'bare.js');
  const client = child('client.js');
  try {
    const { port } = await nextMessage<{ type: 'ready'; port: number }>(server, 'ready');
    await nextMessage(client, 'hello');
    client.send({ type: 'connect', port, subscribers: knobs.subscribers, bare: bare !== null });
    await nextMessage(client, 'connected');
    client.send({ type: 'count' });
    await nextMessage(client, 'counting');
    if (bare === null && knobs.warmupSeconds > 0) {
      server.send({ type: 'load', seconds: knobs.warmupSeconds, rate: knobs.commandRate });
      await nextMessage(server, 'loaded');
      client.send({ type: 'warm-done' });
      await nextMessage(client, 'reset');
    }
    server.send(bare === null ? { type: 'load', seconds: knobs.seconds, rate: knobs.commandRate } : { type: 'load', seconds: knobs.seconds, ...bare });
    const loaded = await nextMessage<Loaded>(server, 'loaded');
    client.send({ type: 'report' });
    const report = await nextMessage<ClientReport>(client, 'report');
    server.send({ type: 'stop' });
    await nextMessage(server, 'stopped');
    return { report, loaded };
  } finally {
    server.kill();
    client.kill();
  }
}

console.log(`bench:market — ${knobs.subscribers} subscribers over ${PLANS.map((p) => p.dialect).join(', ')} (depth delta + trades), ` +
  `${knobs.commandRate} commands/s for ${knobs.seconds} s; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`);
const ours = await run(null);
const msgsPerSec = ours.report.messages / (ours.loaded.elapsedMs / 1000);
const cpuUsPerMsg = ours.report.messages === 0 ? 0 : ours.loaded.cpuUs / ours.report.messages;
console.log(`perpstream: ${round(msgsPerSec, 0)} msgs/s delivered (${ours.report.depthMessages} depth), p50 ${ours.report.p50Ms} ms, ` +
  `p99 ${ours.report.p99Ms} ms, max ${ours.report.maxMs} ms, gaps ${ours.report.gaps}, server CPU ${round(cpuUsPerMsg, 2)} µs/msg ` +
  `(${ours.loaded.commands} commands)`);
const baseline = await run({ frames: ours.report.samples, deliveriesPerSec: msgsPerSec });
const bareMsgs = baseline.report.messages;
const bareCpuUsPerMsg = bareMsgs === 0 ? 0 : baseline.loaded.cpuUs / bareMsgs;
console.log(`bare ws:    ${round(bareMsgs / (baseline.loaded.elapsedMs / 1000), 0)} msgs/s delivered, server CPU ${round(bareCpuUsPerMsg, 2)} µs/msg ` +
  `(baseline, same frames and rate)`);
console.log(`ratio CPU per message perpstream / bare ws: ${bareCpuUsPerMsg === 0 ? 'n/a' : round(cpuUsPerMsg / bareCpuUsPerMsg, 2)}×`);
console.log(JSON.stringify({
  bench: 'market', msgsPerSec: round(msgsPerSec, 0), p99Ms: ours.report.p99Ms, cpuUsPerMsg: round(cpuUsPerMsg, 3),
  bareWsCpuUsPerMsg: round(bareCpuUsPerMsg, 3), gaps: ours.report.gaps, dialects: PLANS.map((p) => p.dialect),
}));
