/**
 * One restart, in a fresh process, on a data directory written with `startServer`'s wiring.
 * Prints one line `RECOVERY {json}`. Leaves the directory as it found it (the journal is closed
 * without the store's closing snapshot).
 *   node dist/bench/durable/recover.js <dataDir> store      openDurableExchange, as perpstream starts
 *
 * Split (from outside the store, which reports only the total):
 *   snapshot: start → `prepare` runs (snapshot read, decode, Engine.restore with audit, state hash);
 *   journal:  `prepare` → first replayed event (every segment read, framed, JSON-decoded);
 *   replay:   first replayed event → done (commands applied, events to observers, checkpoint
 *             hashes checked, journal reopened for appending).
 */
import { performance } from 'node:perf_hooks';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { systemClock } from '../../src/service/clock.js';
import { openDurableExchange } from '../../src/service/durable-exchange.js';
import type { Exchange } from '../../src/service/exchange.js';
import { SERVER_SERVICE, TimedOps } from './common.js';

const [dataDir, mode = 'store'] = process.argv.slice(2);
if (dataDir === undefined || mode !== 'store') {
  console.error('usage: node dist/bench/durable/recover.js <dataDir> [store]');
  process.exit(2);
}

const ops = new TimedOps();
let prepared = 0;
let firstEvent = 0;
let events = 0;
const prepare = (exchange: Exchange): void => {
  prepared = performance.now();
  exchange.events.subscribeAll(() => {
    if (events++ === 0) firstEvent = performance.now();
  });
};
const log = (message: string): void => console.error(`  store: ${message}`);

interface Outcome { snapshotSeq: number | null; skippedSnapshots: string[]; replayed: number; checkpointsVerified: number; cmdSeq: number }

async function viaStore(): Promise<Outcome> {
  const { store, report } = await openDurableExchange({ dataDir: dataDir!, symbols: DEMO_SYMBOLS, clock: systemClock, ops, log, service: SERVER_SERVICE }, prepare);
  await store.journal.close();
  return report;
}

const start = performance.now();
const outcome = await viaStore();
const done = performance.now();
if (firstEvent === 0) firstEvent = done;

console.log(`RECOVERY ${JSON.stringify({
  mode,
  totalMs: done - start,
  snapshotMs: prepared - start,
  journalMs: firstEvent - prepared,
  replayMs: done - firstEvent,
  fileReadMs: ops.readMs,
  bytesRead: ops.bytesRead,
  ...outcome,
  events,
  heapMb: process.memoryUsage().heapUsed / 1024 / 1024,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
})}`);
