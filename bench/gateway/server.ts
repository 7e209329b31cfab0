/**
 * Child process of the gateway benchmark: a real perpstream server (startServer, in process, on
 * 127.0.0.1:0) with N funded accounts and a listen key each. On command it drives the engine with
 * makers and takers among those accounts for a fixed time, paced to a target push rate, so every
 * push the client receives was produced by a real engine command (order, trade, position and
 * balance pushes). It reports CPU, event-loop use and memory; with PERPSTREAM_BENCH_PROFILE set it
 * also writes a V8 CPU profile of the load window (the figures of such a run are inflated).
 *
 * Scale-out runs (PERPSTREAM_BENCH_SCALEOUT_PREFIX set): the same server is a `perpstream engine`
 * (src/scaleout/engine-mode.ts) publishing to the Redis at PERPSTREAM_BENCH_REDIS_URL under that
 * prefix; its 'ready' comes once Redis holds every event of the setup, so gateways started then
 * (bench/gateway/gateway.ts) are caught up when the clients subscribe.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import { parseAmount } from '../../src/engine/fixed.js';
import type { Applied } from '../../src/engine/engine.js';
import { startServer } from '../../src/server/server.js';
import { engineMode } from '../../src/scaleout/engine-mode.js';
import { memorySample, pace, trackGc, readKnobs, rng, send, serveParent, type MemorySample, startCpuProfile } from './common.js';

const knobs = readKnobs();
const SYMBOL = BTC_USDT.symbol;
const MID = 600_000; // 60,000.0 in ticks of 0.1
const PUSH_TYPES = new Set(['order', 'trade', 'position', 'balance']);

/** Live resting orders, with O(1) random pick and removal by id. */
class LiveOrders {
  private readonly ids: number[] = [];
  private readonly accounts: number[] = [];
  private readonly index = new Map<number, number>();

  get size(): number {
    return this.ids.length;
  }

  add(orderId: number, accountId: number): void {
    if (this.index.has(orderId)) return;
    this.index.set(orderId, this.ids.length);
    this.ids.push(orderId);
    this.accounts.push(accountId);
  }

  remove(orderId: number): void {
    const at = this.index.get(orderId);
    if (at === undefined) return;
    const last = this.ids.length - 1;
    this.index.set(this.ids[last]!, at);
    this.ids[at] = this.ids[last]!;
    this.accounts[at] = this.accounts[last]!;
    this.ids.pop();
    this.accounts.pop();
    this.index.delete(orderId);
  }

  pick(random: () => number): { orderId: number; accountId: number } | undefined {
    if (this.ids.length === 0) return undefined;
    const at = Math.floor(random() * this.ids.length);
    return { orderId: this.ids[at]!, accountId: this.accounts[at]! };
  }
}

const scaleOutPrefix = process.env.PERPSTREAM_BENCH_SCALEOUT_PREFIX ?? '';
const adminToken = process.env.PERPSTREAM_BENCH_TOKEN ?? randomBytes(16).toString('hex');
const scaleOut = scaleOutPrefix === '' ? null : engineMode({
  redisUrl: process.env.PERPSTREAM_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: scaleOutPrefix, shards: 8, streamMaxLen: 100_000,
}, adminToken, (message, level) => {
  if (level === 'warn' || level === 'error') console.error(`engine: ${message}`);
});
const server = await startServer({
  extension: scaleOut?.extension,
  symbols: [BTC_USDT],
  adminToken,
  dataDir: null,
  port: 0,
  host: '127.0.0.1',
  // The clients connect in a storm before they subscribe: no unauthenticated bound gets in the way.
  limits: { maxConnections: knobs.connections + 1_000, maxUnauthenticated: knobs.connections + 1_000, authDeadlineMs: 10 * 60_000, maxConnectionsPerAccount: 4 },
  // The client pings every 20 s anyway; a long idle limit keeps a slow setup from closing anything.
  xtIdleMs: 10 * 60_000,
  // The resume window (events kept in memory); unset: the server's default.
  ...(process.env.PERPSTREAM_BENCH_REPLAY_WINDOW ? { replayWindow: Number(process.env.PERPSTREAM_BENCH_REPLAY_WINDOW) } : {}),
});
const { exchange } = server;
await scaleOut?.started;

const setupStart = performance.now();
const accountIds: number[] = [];
exchange.executeNow({ type: 'setMarkPrice', symbol: SYMBOL, price: MID });
for (let i = 0; i < knobs.connections; i++) {
  const created = exchange.executeNow({ type: 'createAccount' });
  if (!created.result.ok || created.result.kind !== 'account') throw new Error('createAccount failed');
  const accountId = created.result.accountId;
  const deposit = exchange.executeNow({ type: 'deposit', accountId, asset: 'USDT', amount: parseAmount('1000000000') });
  if (!deposit.result.ok) throw new Error('deposit failed');
  accountIds.push(accountId);
}

const random = rng(0x9e3779b9);
const live = new LiveOrders();
const account = (): number => accountIds[Math.floor(random() * accountIds.length)]!;
const restingTarget = Math.max(200, knobs.connections * 2);

let commands = 0;
let refused = 0;
let events = 0;
const eventsByType: Record<string, number> = {};
let executeMs = 0;

/** Each account's closable contracts per hedge side, from its position events. */
const closable = { LONG: new Float64Array(knobs.connections + 2), SHORT: new Float64Array(knobs.connections + 2) };

function apply(command: Parameters<typeof exchange.executeNow>[0]): Applied {
  const t0 = performance.now();
  const applied = exchange.executeNow(command);
  executeMs += performance.now() - t0;
  commands++;
  if (!applied.result.ok) refused++;
  for (const event of applied.events) {
    if (PUSH_TYPES.has(event.type)) {
      events++;
      eventsByType[event.type] = (eventsByType[event.type] ?? 0) + 1;
    }
    // Makers filled by a taker leave the book.
    if (event.type === 'order' && event.order.state !== 'NEW' && event.order.state !== 'PARTIALLY_FILLED') live.remove(event.order.orderId);
    if (event.type === 'position' && event.position.positionSide !== 'BOTH') {
      closable[event.position.positionSide][event.accountId] = Math.abs(event.position.qty) - event.position.closeOrderQty;
    }
  }
  return applied;
}

/**
 * A passive GTC limit order 1..100 ticks from the mid that opens (BUY LONG below, SELL SHORT
 * above): it rests, with order, position and balance pushes.
 */
function placePassive(): boolean {
  const buy = random() < 0.5;
  const offset = 1 + Math.floor(random() * 100);
  const accountId = account();
  const { result } = apply({
    type: 'placeOrder', accountId, symbol: SYMBOL, side: buy ? 'BUY' : 'SELL', positionSide: buy ? 'LONG' : 'SHORT',
    orderType: 'LIMIT', timeInForce: 'GTC', price: buy ? MID - offset : MID + offset, qty: 1 + Math.floor(random() * 20), reduceOnly: false,
  });
  if (result.ok && result.kind === 'order' && (result.order.state === 'NEW' || result.order.state === 'PARTIALLY_FILLED')) {
    live.add(result.order.orderId, accountId);
    return true;
  }
  return false;
}

function cancel(): void {
  const picked = live.pick(random);
  if (picked === undefined) {
    placePassive();
    return;
  }
  live.remove(picked.orderId);
  apply({ type: 'cancelOrder', accountId: picked.accountId, symbol: SYMBOL, orderId: picked.orderId });
}

/**
 * An IOC limit 200 ticks through the mid: it takes from one or more makers (order, trade, position
 * and balance pushes on both sides). Half the takers close what they hold (SELL LONG / BUY SHORT),
 * realizing PnL; the others open.
 */
function take(): void {
  const accountId = account();
  const qty = 1 + Math.floor(random() * 10);
  let side: 'BUY' | 'SELL';
  let positionSide: 'LONG' | 'SHORT';
  let size = qty;
  if (random() < 0.5 && closable.LONG[accountId]! >= 1) {
    side = 'SELL'; positionSide = 'LONG'; size = Math.min(qty, closable.LONG[accountId]!);
  } else if (random() < 0.5 && closable.SHORT[accountId]! >= 1) {
    side = 'BUY'; positionSide = 'SHORT'; size = Math.min(qty, closable.SHORT[accountId]!);
  } else if (random() < 0.5) {
    side = 'BUY'; positionSide = 'LONG';
  } else {
    side = 'SELL'; positionSide = 'SHORT';
  }
  apply({
    type: 'placeOrder', accountId, symbol: SYMBOL, side, positionSide, orderType: 'LIMIT', timeInForce: 'IOC',
    price: side === 'BUY' ? MID + 200 : MID - 200, qty: size, reduceOnly: false,
  });
}

/** Mix: 40% passive place, 35% cancel, 25% take; the book leans back toward `restingTarget` orders. */
function step(): void {
  const roll = random();
  if (roll < 0.40) {
    if (live.size < restingTarget * 1.1) placePassive();
    else cancel();
  } else if (roll < 0.75) {
    if (live.size > restingTarget * 0.9) cancel();
    else placePassive();
  } else take();
}

// A resting book before anyone connects (its pushes go nowhere: no one listens yet).
for (let i = 0; live.size < restingTarget; i++) {
  if (!placePassive() && refused > 100) throw new Error('the engine refuses the benchmark\'s orders: check the position mode and symbol');
}
const keys = await Promise.all(accountIds.map(async (id) => {
  const issued = await server.listenKeys.issue(id, exchange.now());
  if (!issued.ok) throw new Error(`no listen key for account ${id}: ${issued.reason}`);
  return issued.key;
}));
const seqs = accountIds.map((id) => exchange.engine.account(id)!.seq);
// Scale-out: every event of the setup in Redis before the gateways start.
if (scaleOut !== null && !(await scaleOut.publisher.whenPublished(exchange.engine.cmdSeq, 120_000))) throw new Error('the setup\'s events did not reach Redis');
const setupMs = performance.now() - setupStart;
commands = 0;
refused = 0;
events = 0;
for (const k of Object.keys(eventsByType)) delete eventsByType[k];
executeMs = 0;

function drive(seconds: number, rate: number | 'max') {
  return pace({
    seconds,
    rate,
    maxBatch: 200,
    work: (owed) => {
      const before = events;
      // Bounded: never more than 1,000 commands in one turn, whatever is owed.
      for (let i = 0; i < 1_000 && events - before < owed; i++) step();
      return events - before;
    },
  });
}

let memoryBefore: MemorySample = memorySample();
let loadCpu: NodeJS.CpuUsage | null = null;
let loadStart = 0;
let gcTracker: ReturnType<typeof trackGc> | null = null;
let heapAtLoad = 0;
let profiler: Awaited<ReturnType<typeof startCpuProfile>> | null = null;

send({ type: 'ready', port: server.port, keys, seqs, setupMs });

serveParent(async (message) => {
  switch (message.type) {
    case 'baseline': {
      memoryBefore = memorySample();
      if ((process.env.PERPSTREAM_BENCH_HEAPSNAPSHOT ?? '') !== '') {
        console.error(`heap snapshot before connections: ${writeHeapSnapshot(join(process.env.PERPSTREAM_BENCH_HEAPSNAPSHOT!, `gateway-before-${Date.now()}.heapsnapshot`))}`);
      }
      send({ type: 'baseline' });
      break;
    }
    case 'memory': {
      // Let the handshakes' garbage go before measuring what the idle connections hold.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = memorySample();
      // Debugging aid: where idle connections' memory goes (PERPSTREAM_BENCH_HEAPSNAPSHOT=dir).
      const snapshotDir = process.env.PERPSTREAM_BENCH_HEAPSNAPSHOT ?? '';
      if (snapshotDir !== '') console.error(`heap snapshot with idle connections: ${writeHeapSnapshot(join(snapshotDir, `gateway-idle-${Date.now()}.heapsnapshot`))}`);
      send({ type: 'memory', before: memoryBefore, after, connections: knobs.connections });
      break;
    }
    case 'warmup': {
      // The same load, unmeasured, so that what follows runs optimized code.
      const rate = message.rate === 'max' ? 'max' : Number(message.rate);
      await drive(Number(message.seconds), rate);
      send({ type: 'warm' });
      break;
    }
    case 'load': {
      if (knobs.profileDir !== '') profiler = await startCpuProfile();
      commands = 0;
      refused = 0;
      events = 0;
      for (const k of Object.keys(eventsByType)) delete eventsByType[k];
      executeMs = 0;
      const rate = message.rate === 'max' ? 'max' : Number(message.rate);
      heapAtLoad = memorySample().heapUsed;
      // The orchestrator starts its machine-wide CPU count here, after the forced GCs above.
      send({ type: 'loading' });
      const eluStart = performance.eventLoopUtilization();
      // Stalls of any cause (GC, a long engine step, a big write): the loop's largest delay.
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      gcTracker = trackGc();
      loadStart = performance.now();
      loadCpu = process.cpuUsage();
      const { elapsedMs, shortfall } = await drive(Number(message.seconds), rate);
      const elu = performance.eventLoopUtilization(eluStart).utilization;
      loopDelay.disable();
      const maxStallMs = loopDelay.max / 1e6;
      const finalSeqs = accountIds.map((id) => exchange.engine.account(id)!.seq);
      send({ type: 'loaded', commands, refused, events, eventsByType, finalSeqs, elapsedMs, shortfall, elu, maxStallMs, executeMs });
      break;
    }
    case 'stop': {
      const cpu = process.cpuUsage(loadCpu ?? undefined);
      const gc = gcTracker!.stop();
      const wallMs = performance.now() - loadStart;
      if (profiler !== null) console.error(`cpu profile of the load window: ${await profiler.save(knobs.profileDir, 'gateway-server')}`);
      send({ type: 'stopped', cpuUserUs: cpu.user, cpuSystemUs: cpu.system, wallMs, gc });
      break;
    }
    case 'heap': {
      // Separate from 'stop' so the forced GCs stay out of the machine-wide CPU count.
      const heapUsedBytes = memorySample().heapUsed;
      send({ type: 'heap', heapUsedBytes, retainedHeapBytes: heapUsedBytes - heapAtLoad });
      break;
    }
    case 'close': {
      await server.close();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});

