/**
 * Child of the market-data benchmark: a perpstream server (no data directory, no simulator) and a
 * driver trading one busy symbol in the server's own event loop, as a server takes commands off its
 * sockets: a maker posts and cancels around the mid, a taker crosses. Each 'load' paces commands at
 * the offered rate from now until the end of the measured window; the pacer drops debt it cannot
 * catch up with within a second (bench/gateway/common.ts pace), so the commands applied in the window say what the
 * server sustained. CPU is measured from the window's start until the orchestrator asks (after
 * the clients have read everything).
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { startServer } from '../../src/server/server.js';
import type { CommandInput } from '../../src/service/exchange.js';
import { pace, rng, send, serveParent } from '../gateway/common.js';

const ADMIN = 'bench-market-admin';
const HOUR = 3_600_000;
const server = await startServer({
  symbols: DEMO_SYMBOLS, adminToken: ADMIN, dataDir: null, port: 0,
  // The subscribers send no pings: no stream may close them as idle during the run.
  xtIdleMs: HOUR, dialectSettings: { 'bybit.idleMs': HOUR, 'kucoin.pingTimeoutMs': HOUR },
});
const exchange = server.exchange;
const run = (input: CommandInput): void => {
  exchange.executeNow(input);
};
const account = (): number => {
  const applied = exchange.executeNow({ type: 'createAccount' } as CommandInput);
  const id = applied.result.ok && applied.result.kind === 'account' ? applied.result.accountId : 0;
  run({ type: 'deposit', accountId: id, asset: 'USDT', amount: 10n ** 17n });
  return id;
};
const maker = account();
const taker = account();
run({ type: 'setMarkPrice', symbol: 'btc_usdt', price: 600_000 });
const random = rng(20261207);
const live: number[] = [];

/** One command: post (60%), cancel (25%) or cross (15%), around 60,000. */
function step(): void {
  const roll = random();
  if (roll < 0.6 || live.length === 0) {
    const buy = random() < 0.5;
    const price = buy ? 599_000 + Math.floor(random() * 900) : 600_100 + Math.floor(random() * 900);
    const applied = exchange.executeNow({
      type: 'placeOrder', accountId: maker, symbol: 'btc_usdt', side: buy ? 'BUY' : 'SELL', positionSide: buy ? 'LONG' : 'SHORT',
      qty: 1 + Math.floor(random() * 20), reduceOnly: false, orderType: 'LIMIT', timeInForce: 'GTC', price,
    });
    if (applied.result.ok && applied.result.kind === 'order') live.push(applied.result.order.orderId);
  } else if (roll < 0.85) {
    const [orderId] = live.splice(Math.floor(random() * live.length), 1);
    run({ type: 'cancelOrder', accountId: maker, symbol: 'btc_usdt', orderId: orderId! });
  } else {
    const buy = random() < 0.5;
    run({
      type: 'placeOrder', accountId: taker, symbol: 'btc_usdt', side: buy ? 'BUY' : 'SELL', positionSide: buy ? 'LONG' : 'SHORT',
      qty: 1 + Math.floor(random() * 10), reduceOnly: false, orderType: 'MARKET', timeInForce: 'IOC', price: 0,
    });
  }
  if (live.length > 2_000) run({ type: 'cancelOrder', accountId: maker, symbol: 'btc_usdt', orderId: live.shift()! });
}

let cpuAtWindow: NodeJS.CpuUsage | null = null;
/** The event loop over the window: how busy, and its longest stalls (whatever holds it: engine, encoding, writes, GC). */
let eluAtWindow: EventLoopUtilization | null = null;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });

serveParent(async (message) => {
  if (message.type === 'load') {
    const rate = message.rate as number;
    const from = message.from as number;
    const until = from + (message.seconds as number) * 1000;
    let inWindow = 0;
    cpuAtWindow = null;
    const windowTimer = setTimeout(() => {
      cpuAtWindow = process.cpuUsage();
      eluAtWindow = performance.eventLoopUtilization();
      loopDelay.reset();
      loopDelay.enable();
    }, Math.max(0, from - Date.now()));
    const { produced, shortfall } = await pace({
      // A flush to every subscriber can hold the loop for tens of milliseconds: a second of debt may be caught up.
      seconds: (until - Date.now()) / 1000, rate, maxBatch: 64, maxBacklogMs: 1000,
      work: (owed) => {
        for (let i = 0; i < owed; i++) step();
        if (Date.now() >= from) inWindow += owed;
        return owed;
      },
    });
    clearTimeout(windowTimer);
    loopDelay.disable();
    const elu = eluAtWindow === null ? 0 : performance.eventLoopUtilization(eluAtWindow).utilization;
    send({
      type: 'loaded', produced, shortfall, applied: inWindow, windowMs: Date.now() - from,
      elu, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6,
    });
  } else if (message.type === 'cpu') {
    const used = process.cpuUsage(cpuAtWindow ?? undefined);
    send({ type: 'cpu', cpuUs: used.user + used.system });
  } else if (message.type === 'stop') {
    await server.close();
    send({ type: 'stopped' });
  }
});
send({ type: 'ready', port: server.port });
