/**
 * `npm run bench:engine`: commands per second through the engine alone (margin updates and event
 * generation included) for a mix of 45% limit place, 35% cancel, 10% amend, 10% market/IOC, at
 * 1k and at 100k resting orders; in the same run, two baselines at 1k: the same mix through the
 * reference model (test/reference), and through a peer, the npm order book `nodejs-order-book`
 * (matching only: bench/peer-order-book.ts). Then the same mix at 1k with 100k conditional orders
 * waiting on the symbol (none reached by the mix's prices), and one mark move that fires 100 of them
 * (µs per fired order). Prints a table, then one JSON line.
 */
import os from 'node:os';
import { Engine } from '../src/engine/engine.js';
import { BTC_USDT } from '../src/engine/demo-symbols.js';
import { parseAmount } from '../src/engine/fixed.js';
import type { Command } from '../src/engine/types.js';
import { ReferenceModel } from '../test/reference/model.js';
import { PeerOrderBook, type Outcome } from './peer-order-book.js';
import { rng } from './rng.js';

interface Target {
  apply(command: Command): Outcome;
}

const MID = 600_000; // 60,000.0 in ticks
const ACCOUNTS = 2_000;

class Driver {
  private time = 1;
  private readonly live: { accountId: number; orderId: number }[] = [];
  errors = 0;

  constructor(private readonly target: Target, private readonly random: () => number) {}

  apply(command: Command): Outcome {
    const result = this.target.apply({ ...command, time: this.time++ });
    if (!result.ok) this.errors++;
    return result;
  }

  setup(): void {
    this.apply({ type: 'setMarkPrice', symbol: 'btc_usdt', price: MID, time: 0 });
    for (let i = 0; i < ACCOUNTS; i++) {
      const created = this.apply({ type: 'createAccount', time: 0 });
      if (!created.ok || created.kind !== 'account' || created.accountId === undefined) throw new Error('account creation failed');
      this.apply({ type: 'deposit', accountId: created.accountId, asset: 'USDT', amount: parseAmount('1000000000'), time: 0 });
    }
  }

  private account(): number {
    return 1 + Math.floor(this.random() * ACCOUNTS);
  }

  /** A passive limit order 1..2000 ticks away from the mid, so it rests. */
  placePassive(): void {
    const buy = this.random() < 0.5;
    const offset = 1 + Math.floor(this.random() * 2000);
    const result = this.apply({
      type: 'placeOrder', accountId: this.account(), symbol: 'btc_usdt', side: buy ? 'BUY' : 'SELL', positionSide: 'BOTH',
      orderType: 'LIMIT', timeInForce: 'GTC', price: buy ? MID - offset : MID + offset, qty: 10 + Math.floor(this.random() * 90),
      reduceOnly: false, time: 0,
    });
    if (result.ok && result.kind === 'order' && result.order !== undefined && result.order.state === 'NEW') {
      this.live.push({ accountId: result.order.accountId, orderId: result.order.orderId });
    }
  }

  private takeLive(): { accountId: number; orderId: number } | undefined {
    if (this.live.length === 0) return undefined;
    const index = Math.floor(this.random() * this.live.length);
    const picked = this.live[index]!;
    this.live[index] = this.live[this.live.length - 1]!;
    this.live.pop();
    return picked;
  }

  cancel(): void {
    const picked = this.takeLive();
    if (picked) this.apply({ type: 'cancelOrder', symbol: 'btc_usdt', ...picked, time: 0 });
  }

  amend(): void {
    const picked = this.takeLive();
    if (!picked) return;
    const result = this.apply({ type: 'amendOrder', symbol: 'btc_usdt', ...picked, qty: 10 + Math.floor(this.random() * 90), time: 0 });
    // Whatever happened, the order is still live unless the amendment failed because it was gone.
    if (result.ok || result.code !== 'UNKNOWN_ORDER') this.live.push(picked);
  }

  take(): void {
    const buy = this.random() < 0.5;
    const market = this.random() < 0.5;
    this.apply({
      type: 'placeOrder', accountId: this.account(), symbol: 'btc_usdt', side: buy ? 'BUY' : 'SELL', positionSide: 'BOTH',
      orderType: market ? 'MARKET' : 'LIMIT', timeInForce: 'IOC', price: buy ? MID + 500 : MID - 500,
      qty: 1 + Math.floor(this.random() * 5), reduceOnly: false, time: 0,
    });
  }

  get resting(): number {
    return this.live.length;
  }

  /** Keeps the book near `target` resting orders: the 45/35 place/cancel split leans toward it. */
  step(target: number): void {
    const roll = this.random();
    if (roll < 0.45) {
      if (this.live.length < target || this.random() < 0.5) this.placePassive();
      else this.cancel();
    } else if (roll < 0.80) {
      if (this.live.length > target * 0.9 || this.random() < 0.5) this.cancel();
      else this.placePassive();
    } else if (roll < 0.90) this.amend();
    else this.take();
  }
}

function measure(makeTarget: () => Target, resting: number, commands: number, prepare: (driver: Driver) => void = () => undefined): { perSec: number; errorRate: number } {
  const driver = new Driver(makeTarget(), rng(42));
  driver.setup();
  while (driver.resting < resting) driver.placePassive();
  prepare(driver);
  for (let i = 0; i < Math.min(commands, 20_000); i++) driver.step(resting); // warm-up
  const errorsBefore = driver.errors;
  const start = process.hrtime.bigint();
  for (let i = 0; i < commands; i++) driver.step(resting);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSec: Math.round(commands / seconds), errorRate: (driver.errors - errorsBefore) / commands };
}

const engineTarget = (): Target => {
  const engine = new Engine({ symbols: [BTC_USDT] });
  return { apply: (command) => engine.apply(command).result };
};
/** Waiting plan orders far from the mix's prices: half rise to 3,000–8,000 ticks above the mid, half fall as far below. */
function addWaitingTriggers(driver: Driver, count: number): void {
  for (let i = 0; i < count; i++) {
    const rise = i % 2 === 0;
    const offset = 3_000 + (i % 5_000);
    const result = driver.apply({
      type: 'placeConditional', accountId: 1 + (i % ACCOUNTS), symbol: 'btc_usdt', kind: 'PLAN', side: rise ? 'BUY' : 'SELL', positionSide: 'BOTH',
      triggerSource: i % 4 < 2 ? 'LAST' : 'MARK', triggerDirection: rise ? 'RISE' : 'FALL', triggerPrice: rise ? MID + offset : MID - offset,
      orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1, reduceOnly: false, closePosition: false, time: 0,
    });
    if (!result.ok) throw new Error(`waiting trigger ${i} refused`);
  }
}

/** One mark move that fires `fired` waiting MARK plan orders (each places an IOC buy far below the book, so it expires): µs per fired order. */
function measureFiring(fired: number): number {
  const engine = new Engine({ symbols: [BTC_USDT] });
  const driver = new Driver({ apply: (command) => engine.apply(command).result }, rng(7));
  driver.setup();
  while (driver.resting < 1_000) driver.placePassive();
  addWaitingTriggers(driver, 100_000);
  for (let i = 0; i < fired; i++) {
    driver.apply({
      type: 'placeConditional', accountId: 1 + (i % ACCOUNTS), symbol: 'btc_usdt', kind: 'PLAN', side: 'BUY', positionSide: 'BOTH', triggerSource: 'MARK',
      triggerDirection: 'RISE', triggerPrice: MID + 1_000 + i, orderType: 'LIMIT', price: MID - 2_500, timeInForce: 'IOC', qty: 1, reduceOnly: false,
      closePosition: false, time: 0,
    });
  }
  const start = process.hrtime.bigint();
  const applied = engine.apply({ type: 'setMarkPrice', symbol: 'btc_usdt', price: MID + 1_000 + fired, time: 10_000_000 });
  const micros = Number(process.hrtime.bigint() - start) / 1e3;
  const triggered = applied.events.filter((e) => e.type === 'conditional' && e.change === 'TRIGGERED').length;
  if (triggered !== fired) throw new Error(`expected ${fired} triggered, saw ${triggered}`);
  return micros / fired;
}

const referenceTarget = (): Target => new ReferenceModel({ symbols: [BTC_USDT] });
const peerTarget = (): Target => new PeerOrderBook();

const commands = Number(process.env.PERPSTREAM_BENCH_COMMANDS ?? 300_000);
const engine1k = measure(engineTarget, 1_000, commands);
const engine100k = measure(engineTarget, 100_000, commands);
const baseline1k = measure(referenceTarget, 1_000, Math.max(1_000, Math.floor(commands / 30)));
const peer1k = measure(peerTarget, 1_000, commands);
const triggers1k = measure(engineTarget, 1_000, commands, (driver) => addWaitingTriggers(driver, 100_000));
const microsPerFired = measureFiring(100);

const row = (name: string, r: { perSec: number; errorRate: number }) =>
  console.log(`${name.padEnd(34)} ${String(r.perSec).padStart(10)} cmds/s   (refused ${(r.errorRate * 100).toFixed(1)}%)`);
console.log(`engine bench on ${os.cpus()[0]?.model ?? 'unknown cpu'} (${os.cpus().length} cores), node ${process.version}`);
console.log('mix: 45% limit place, 35% cancel, 10% amend, 10% market/IOC');
row('engine, 1k resting orders', engine1k);
row('engine, 100k resting orders', engine100k);
row('reference model, 1k (baseline)', baseline1k);
row('nodejs-order-book 10.1.1, 1k (peer)', peer1k);
row('engine, 1k + 100k waiting triggers', triggers1k);
console.log(`100k waiting conditional orders: ${((1 - triggers1k.perSec / engine1k.perSec) * 100).toFixed(1)}% slower than without (target ≤ 10%); ` +
  `a mark move firing 100 of them: ${microsPerFired.toFixed(1)} µs per fired order`);
console.log(`slowdown 1k → 100k: ${(engine1k.perSec / engine100k.perSec).toFixed(2)}×; engine / baseline at 1k: ${(engine1k.perSec / baseline1k.perSec).toFixed(1)}×; engine / peer at 1k: ${(engine1k.perSec / peer1k.perSec).toFixed(2)}×`);
console.log(JSON.stringify({
  bench: 'engine', cmdsPerSec1k: engine1k.perSec, cmdsPerSec100k: engine100k.perSec, baselineCmdsPerSec1k: baseline1k.perSec, peerCmdsPerSec1k: peer1k.perSec,
  cmdsPerSec1kWith100kTriggers: triggers1k.perSec, microsPerFiredTrigger: Math.round(microsPerFired * 10) / 10,
}));
