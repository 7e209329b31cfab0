/**
 * Child process of the gateway benchmark's scale-out runs: one `perpstream gateway`
 * (src/scaleout/gateway.ts, in process, on 127.0.0.1:0) for the engine child (server.ts in
 * scale-out mode), with the same limits as the single-process server. Reports its port, then its
 * CPU over the load when asked (and writes a CPU profile of it with PERPSTREAM_BENCH_PROFILE).
 */
import { performance } from 'node:perf_hooks';
import { startGateway } from '../../src/scaleout/gateway.js';
import { readKnobs, send, serveParent, trackGc, startCpuProfile } from './common.js';

const knobs = readKnobs();
const gateway = await startGateway({
  engineUrl: process.env.PERPSTREAM_BENCH_ENGINE_URL!,
  token: process.env.PERPSTREAM_BENCH_TOKEN!,
  scaleOut: { redisUrl: process.env.PERPSTREAM_BENCH_REDIS_URL!, prefix: process.env.PERPSTREAM_BENCH_SCALEOUT_PREFIX! },
  port: 0,
  host: '127.0.0.1',
  limits: { maxConnections: knobs.connections + 1_000, maxUnauthenticated: knobs.connections + 1_000, authDeadlineMs: 10 * 60_000, maxConnectionsPerAccount: 4 },
  dialectSettings: { 'xt.idleMs': 10 * 60_000 },
  log: (message, level) => {
    if (level === 'warn' || level === 'error') console.error(`gateway: ${message}`);
  },
});

let cpu: NodeJS.CpuUsage | null = null;
let started = 0;
let gc: ReturnType<typeof trackGc> | null = null;
let profiler: Awaited<ReturnType<typeof startCpuProfile>> | null = null;


send({ type: 'ready', port: gateway.port });

serveParent(async (message) => {
  switch (message.type) {
    case 'load':
      if (knobs.profileDir !== '') profiler = await startCpuProfile();
      cpu = process.cpuUsage();
      started = performance.now();
      gc = trackGc();
      send({ type: 'loading' });
      break;
    case 'stop': {
      const used = process.cpuUsage(cpu ?? undefined);
      if (profiler !== null) console.error(`cpu profile of a gateway's load window: ${await profiler.save(knobs.profileDir, `gateway-child-${process.pid}`)}`);
      send({ type: 'stopped', cpuUserUs: used.user, cpuSystemUs: used.system, wallMs: performance.now() - started, gc: gc!.stop() });
      break;
    }
    case 'close':
      await gateway.close();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});
