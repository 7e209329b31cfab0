/**
 * `npm run bench:risk`: the cost of a mark tick with 1M open positions (the risk engine's
 * liquidation index and the mark-price pacing queues at work), when the tick crosses a few of them
 * (warnings, liquidations through the book with the insurance fund), against ticks that cross
 * nothing; the ADL ranking advanced a slice per tick, and a liquidation that ends in ADL.
 *
 * The state is built as an engine snapshot and restored (which builds the index and the queues from
 * scratch and audits everything; timed, and the heap it takes is measured per position): 500k
 * hedge-mode accounts with a LONG and a SHORT each on btc_usdt (half isolated — two risk units each —,
 * half cross), entries around 60,000 and leverage 2–20, none of them near the walk, each as just
 * pushed a MARK_PRICE event at the start price; 2,000 thin isolated longs ("victims") with
 * liquidation prices every 2 ticks below the start, one more far below, a cross whale short against
 * them, and a maker whose bids absorb the liquidations. The walk lowers the mark 3 ticks per tick:
 * each busy tick crosses one or two warning prices and one or two liquidation prices. The first 1,000
 * victims are walked untimed (so the liquidation path is compiled), the heap is collected, then the
 * price goes back up and the baseline and the timed walk over the other 1,000 follow. Then the ADL
 * ranking: one round over every position, a slice (engine option adlRankSlice) per tick, each tick
 * timed; then a liquidation the book cannot take, deleveraged from the ranked queue.
 *
 * The whole run is made twice in one process: first at 100k positions (the baseline the ratios are
 * taken against), then at the size asked for. Mark-price events are paced at 4 hours of engine time
 * here, so the ranking ticks (an hour later) measure the ranking, not a push for every position (one
 * per position per interval is the rule, and costs what a million events cost).
 *
 * Run with --expose-gc (setup garbage collected before timing) and a 64 MiB young generation (fewer
 * scavenges, each of which costs 15–30 ms on a 2 GB heap on this machine): the npm script does.
 *   PERPSTREAM_RISK_BENCH_POSITIONS=<n>   positions besides the victims (default 1,000,000)
 *   PERPSTREAM_RISK_BENCH_BASELINE=<n>    positions of the baseline run (default 100,000; 0: none)
 *   PERPSTREAM_RISK_BENCH_TRACE=1         print every busy tick over 0.5 ms
 */
import os from 'node:os';
import { Engine } from '../src/engine/engine.js';
import { BTC_USDT } from '../src/engine/demo-symbols.js';
import type { AccountRecord, EngineSnapshot, OrderRecord, PositionRecord } from '../src/engine/persist.js';
import { rng } from './rng.js';

const SYMBOL = 'btc_usdt';
const K = 1000n; // BTC_USDT: tick 0.1 × contract 0.0001 BTC × 1e8
const P0 = 600_000; // 60,000.0 in ticks
const T0 = 1_700_000_000_000;
const RANK_INTERVAL = 3_600_000;
const TIER1_MMR = 400_000n; // 0.4 %, 1e-8: the victims stay in BTC_USDT's first tier
const VICTIMS = 2000;
/** The first victims' range is walked untimed, to compile the liquidation path before measuring. */
const WARM_VICTIMS = 1000;
/** Liquidation price of the victim that goes to ADL, below every other victim's. */
const ADL_LP = P0 - 7000;
const VICTIM_QTY = 10;
const USDT = 100_000_000n;

const positionsWanted = Number(process.env.PERPSTREAM_RISK_BENCH_POSITIONS ?? 1_000_000);
const baselineWanted = Number(process.env.PERPSTREAM_RISK_BENCH_BASELINE ?? 100_000);
/** Mark pushes paced far beyond the ranking tick (see above). */
const MARK_EVENT_INTERVAL = 4 * RANK_INTERVAL;
const RANK_SLICE = 256;
let random = rng(7);
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

function position(side: 'BOTH' | 'LONG' | 'SHORT', qty: number, entryCost: bigint, margin: bigint): PositionRecord {
  return {
    symbol: SYMBOL, side, qty, entryCost, margin, realizedPnlTotal: 0n, realizedPnlCurrent: 0n, feesTotal: 0n,
    openTime: T0, updateTime: T0, emittedQty: qty, lastDirection: qty > 0 ? 'LONG' : qty < 0 ? 'SHORT' : null,
    emittedMark: P0, markEventTime: T0,
  };
}

function account(id: number, mode: 'ONE_WAY' | 'HEDGE', marginMode: 'ISOLATED' | 'CROSSED', leverage: number,
  positions: PositionRecord[], free: bigint, orders: OrderRecord[] = []): AccountRecord {
  let isolated = 0n;
  let crossed = 0n;
  for (const p of positions) {
    if (marginMode === 'ISOLATED') isolated += p.margin;
    else crossed += p.margin;
  }
  return {
    id, positionMode: mode, seq: 0,
    wallets: [{ asset: 'USDT', balance: isolated + crossed + free, isolatedMargin: isolated, crossedMargin: crossed }],
    settings: [{ symbol: SYMBOL, leverage, marginMode, riskLimitLevel: 1 }, { symbol: 'eth_usdt', leverage: 20, marginMode: 'CROSSED', riskLimitLevel: 1 }],
    positions, orders, recentClientIds: [],
  };
}

/** The whole state as a snapshot: population, victims, whale, maker. */
function buildSnapshot(positionsWanted: number): { snapshot: EngineSnapshot; positions: number; victims: number[]; maker: number } {
  const accounts: AccountRecord[] = [];
  const pairs = Math.floor(positionsWanted / 2);
  // Sizes chosen so that Σ LONG = Σ SHORT: account i is LONG a[i] and SHORT a[i + 1].
  const sizes = Array.from({ length: pairs }, () => int(1, 50));
  let signedValue = 0n;
  for (let i = 0; i < pairs; i++) {
    const long = sizes[i]!;
    const short = sizes[(i + 1) % pairs]!;
    const longCost = BigInt(long) * BigInt(int(590_000, 610_000));
    const shortCost = BigInt(short) * BigInt(int(590_000, 610_000));
    const leverage = int(2, 20);
    const isolated = i % 2 === 0;
    const im = (cost: bigint) => ceilDiv(cost * K, BigInt(leverage));
    const positions = [position('LONG', long, longCost, im(longCost)), position('SHORT', -short, shortCost, im(shortCost))];
    const free = isolated ? BigInt(int(0, 500)) * USDT : im(longCost) + im(shortCost) + BigInt(int(0, 500)) * USDT;
    accounts.push(account(i + 1, 'HEDGE', isolated ? 'ISOLATED' : 'CROSSED', leverage, positions, free));
    signedValue += (longCost - shortCost) * K;
  }
  // Victims: isolated longs of 10 at 60,000 whose liquidation prices sit every 2 ticks from 1,000 ticks below P0:
  // margin = K·Q·(E − LP·(1 − MMR)), so LP = (E − m) / (1 − MMR).
  const victims: number[] = [];
  for (let j = 0; j < VICTIMS; j++) {
    const lp = BigInt(P0 - 1000 - 2 * j);
    const margin = K * BigInt(VICTIM_QTY) * BigInt(P0) - (K * BigInt(VICTIM_QTY) * lp * (100_000_000n - TIER1_MMR)) / 100_000_000n;
    const id = accounts.length + 1;
    victims.push(id);
    accounts.push(account(id, 'ONE_WAY', 'ISOLATED', 100, [position('BOTH', VICTIM_QTY, BigInt(VICTIM_QTY * P0), margin)], 1000n * USDT));
    signedValue += BigInt(VICTIM_QTY * P0) * K;
  }
  // One more isolated long whose liquidation the book will not take (its bids are cancelled first): ADL.
  const adlLp = BigInt(ADL_LP);
  const adlMargin = K * BigInt(VICTIM_QTY) * BigInt(P0) - (K * BigInt(VICTIM_QTY) * adlLp * (100_000_000n - TIER1_MMR)) / 100_000_000n;
  accounts.push(account(accounts.length + 1, 'ONE_WAY', 'ISOLATED', 100, [position('BOTH', VICTIM_QTY, BigInt(VICTIM_QTY * P0), adlMargin)], 1000n * USDT));
  signedValue += BigInt(VICTIM_QTY * P0) * K;
  const whaleQty = (VICTIMS + 1) * VICTIM_QTY;
  const whaleCost = BigInt(whaleQty) * BigInt(P0);
  accounts.push(account(accounts.length + 1, 'ONE_WAY', 'CROSSED', 5, [position('BOTH', -whaleQty, whaleCost, ceilDiv(whaleCost * K, 5n))], 100_000_000n * USDT));
  signedValue -= whaleCost * K;
  // The maker: 20 contracts bid on every tick from P0 − 1 down to P0 − 6,000.
  const orders: OrderRecord[] = [];
  for (let level = 1; level <= 6000; level++) {
    orders.push({
      id: level, clientOrderId: null, positionSide: 'BOTH', side: 'BUY', orderType: 'LIMIT', timeInForce: 'GTC', reduceOnly: false,
      stpMode: 'EXPIRE_TAKER', createTime: T0, price: P0 - level, qty: 20, filled: 0, cumQuote: 0n, state: 'NEW', reason: 'NONE',
      priority: level, fees: 0n, realizedPnl: 0n, updateTime: T0, placeResult: null, symbol: SYMBOL,
    });
  }
  accounts.push(account(accounts.length + 1, 'ONE_WAY', 'CROSSED', 2, [], 100_000_000n * USDT, orders));
  let wallets = 0n;
  for (const a of accounts) wallets += a.wallets[0]!.balance;
  const snapshot: EngineSnapshot = {
    version: 1, cmdSeq: 0, time: T0, nextAccountId: accounts.length + 1, nextOrderId: orders.length + 1, nextTradeId: 1,
    nextPriority: orders.length + 1, fees: [], netDeposits: [['USDT', wallets - signedValue]],
    symbols: [
      { symbol: SYMBOL, markPrice: P0, lastPrice: P0, adlRankedAt: T0 },
      { symbol: 'eth_usdt', markPrice: null, lastPrice: null, adlRankedAt: T0 },
    ],
    accounts, insuranceFund: [],
  };
  return { snapshot, positions: pairs * 2 + VICTIMS + 2, victims, maker: accounts.length };
}

interface Stats { p50: number; p99: number; max: number; mean: number }

function stats(ms: number[]): Stats {
  if (ms.length === 0) return { p50: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]!, mean: ms.reduce((s, x) => s + x, 0) / ms.length };
}

const fmt = (s: Stats) => `p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms, max ${s.max.toFixed(3)} ms, mean ${s.mean.toFixed(3)} ms`;

/** Collects garbage (node --expose-gc; no-op without it). */
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

interface Figures {
  positions: number;
  tickP99Ms: number;
  idleTickP99Ms: number;
  maxStepMs: number;
  restoreS: number;
  bytesPerPosition: number;
  rankTicks: number;
  adlMs: number;
}

function run(wanted: number): Figures {
  random = rng(7);
  /** CPU time of every tick (process-wide user + system, so GC helper threads count too), beside wall time. */
  const cpu = { baseline: [] as number[], walk: [] as number[], rank: [] as number[], adl: [] as number[] };
  let cpuSink: number[] | null = null;
  let engine: Engine | null = null;
  const tick = (price: number, time = T0): { ms: number; events: number; crossed: number } => {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const applied = engine!.apply({ type: 'setMarkPrice', symbol: SYMBOL, price, time });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpuStart);
    const cpuMs = (used.user + used.system) / 1000;
    if (!applied.result.ok) throw new Error(`tick refused: ${applied.result.message}`);
    const crossed = applied.events.filter((e) => e.type === 'notice').length;
    if (cpuSink === cpu.walk) {
      if (crossed > 0) cpu.walk.push(cpuMs);
    } else if (cpuSink !== null) cpuSink.push(cpuMs);
    return { ms, events: applied.events.length, crossed };
  };

  console.log(`\n=== ${wanted.toLocaleString('en')} positions`);
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  let t = process.hrtime.bigint();
  let built: ReturnType<typeof buildSnapshot> | null = buildSnapshot(wanted);
  const { positions, maker } = built;
  console.log(`built a snapshot of ${positions.toLocaleString('en')} open positions in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);
  collect();
  t = process.hrtime.bigint();
  const restored = Engine.restore({
    symbols: [BTC_USDT, { ...BTC_USDT, symbol: 'eth_usdt' }], adlRankIntervalMs: RANK_INTERVAL, adlRankSlice: RANK_SLICE, markEventIntervalMs: MARK_EVENT_INTERVAL,
  }, built.snapshot);
  engine = restored;
  const restoreS = Number(process.hrtime.bigint() - t) / 1e9;
  built = null;
  collect();
  const heapAfter = process.memoryUsage().heapUsed;
  const bytesPerPosition = Math.round((heapAfter - heapBefore) / positions);
  console.log(`restored (index and queues built from scratch, full audit) in ${restoreS.toFixed(1)} s; heap ${(heapAfter / 2 ** 20).toFixed(0)} MiB, ${bytesPerPosition} bytes per open position (engine state only)`);

  // Warm-up: the no-op path, and the liquidation path through the first victims' range (untimed).
  for (let i = 0; i < 200; i++) tick(P0 + (i % 2));
  const warmBottom = P0 - 1000 - 2 * WARM_VICTIMS;
  let price = P0;
  for (; price > warmBottom; price -= 3) tick(price);
  // Back up above every remaining warning price (untimed: it re-arms the warned victims).
  price = P0 + 1000;
  tick(price);
  collect();
  // The baseline: ticks between two prices that cross nothing.
  const baseline: number[] = [];
  cpuSink = cpu.baseline;
  for (let i = 0; i < 5000; i++) {
    const r = tick(price + (i % 2));
    if (r.events !== 0) throw new Error('the baseline crossed something');
    baseline.push(r.ms);
  }
  // The walk: 3 ticks down per tick through the other victims' warning and liquidation prices. Ticks that
  // cross something (busy) and ticks that cross nothing (idle) are kept apart.
  const walk: number[] = [];
  const idle: number[] = [];
  let notices = 0;
  const bottom = P0 - 1000 - 2 * VICTIMS - 10;
  const trace = process.env.PERPSTREAM_RISK_BENCH_TRACE !== undefined;
  if (trace) console.log('--- walk begins');
  cpuSink = cpu.walk;
  const slow: string[] = [];
  for (price -= 3; price > bottom; price -= 3) {
    const r = tick(price);
    if (trace && r.ms > 0.5) console.log(`--- slow tick ${price}: ${r.ms.toFixed(2)} ms, ${r.events} events`);
    if (r.ms > 5) slow.push(`${price}: ${r.ms.toFixed(1)} ms, ${r.events} events`);
    if (r.crossed > 0) walk.push(r.ms);
    else idle.push(r.ms);
    notices += r.crossed;
  }
  cpuSink = null;
  if (trace) console.log(`--- walk ends; ticks over 5 ms: ${slow.join('; ')}`);
  // Baseline again, after the walk, at the bottom.
  const after: number[] = [];
  for (let i = 0; i < 2000; i++) after.push(tick(bottom + (i % 2)).ms);
  const views = restored.insuranceFund();
  // The ADL ranking round, an hour of engine time later: every position scored, a slice per tick.
  collect();
  const rank: number[] = [];
  const rankTicks = Math.ceil(positions / RANK_SLICE) + 1;
  cpuSink = cpu.rank;
  for (let i = 0; i < rankTicks; i++) rank.push(tick(bottom + (i % 2), T0 + RANK_INTERVAL + i).ms);
  cpuSink = null;
  const now = T0 + RANK_INTERVAL + rankTicks;
  // ADL: the maker's bids go (untimed), then one tick crosses the last victim's liquidation price: the
  // book takes nothing, the fund covers nothing below bankruptcy, so it is deleveraged against the
  // top of the ranked queue of the ~500k opposite (short) positions.
  restored.apply({ type: 'cancelAll', accountId: maker, symbol: SYMBOL, time: now });
  collect();
  cpuSink = cpu.adl;
  const adl = tick(ADL_LP - 1, now);
  cpuSink = null;
  restored.audit();

  const b = stats(baseline);
  const w = stats(walk);
  const i = stats(idle);
  const a = stats(after);
  const r = stats(rank);
  console.log(`positions open at the start: ${positions.toLocaleString('en')} on ${SYMBOL}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for clean timings)'}`);
  console.log(`baseline, tick crossing nothing        ${fmt(b)}   (${baseline.length} ticks)`);
  console.log(`walk, ticks crossing a few             ${fmt(w)}   (${walk.length} ticks; ${notices} notices: WARN and LIQUIDATION of ${VICTIMS - WARM_VICTIMS} positions)`);
  console.log(`walk, ticks in between crossing none   ${fmt(i)}   (${idle.length} ticks)`);
  console.log(`baseline after the walk                ${fmt(a)}`);
  console.log(`CPU time per tick (process-wide): baseline ${fmt(stats(cpu.baseline))}; ticks crossing a few ${fmt(stats(cpu.walk))}`);
  console.log(`machine load while measuring (1-min load average over ${os.cpus().length} cores): ${os.loadavg()[0]!.toFixed(2)}; ticks over 5 ms wall in the walk: ${slow.length}`);
  console.log(`busy p99 / baseline p99: ${(w.p99 / b.p99).toFixed(0)}×; insurance fund after the walk: ${views.map((f) => `${f.balance} ${f.asset} units`).join(', ')}`);
  console.log(`ADL ranking round over all ${positions.toLocaleString('en')} positions, ${RANK_SLICE} per tick: ${rank.length} ticks, ${fmt(r)}, ${(rank.reduce((x, y) => x + y, 0) / 1000).toFixed(1)} s in all`);
  console.log(`  CPU time per ranking tick (process-wide): ${fmt(stats(cpu.rank))}`);
  console.log(`a tick that liquidates one position by ADL (counterparties from the ranked queue): ${adl.ms.toFixed(2)} ms wall, ${(cpu.adl[0] ?? 0).toFixed(2)} ms CPU, ${adl.events} events`);
  return {
    positions, tickP99Ms: Number(w.p99.toFixed(3)), idleTickP99Ms: Number(b.p99.toFixed(3)), maxStepMs: Number(Math.max(r.max, adl.ms).toFixed(3)),
    restoreS: Number(restoreS.toFixed(2)), bytesPerPosition, rankTicks: rank.length, adlMs: Number(adl.ms.toFixed(3)),
  };
}

console.log(`risk bench on ${os.cpus()[0]?.model ?? 'unknown cpu'} (${os.cpus().length} cores), node ${process.version}`);
const base = baselineWanted > 0 ? run(baselineWanted) : null;
collect();
const main = run(positionsWanted);
const ratio = (x: number, y: number): string => (y > 0 ? (x / y).toFixed(2) : 'n/a');
console.log('');
if (base !== null) {
  console.log(`ratios ${main.positions.toLocaleString('en')} / ${base.positions.toLocaleString('en')} positions (×${ratio(main.positions, base.positions)}): ` +
    `busy tick p99 ×${ratio(main.tickP99Ms, base.tickP99Ms)}, idle tick p99 ×${ratio(main.idleTickP99Ms, base.idleTickP99Ms)}, ` +
    `max ADL step ×${ratio(main.maxStepMs, base.maxStepMs)}, restore ×${ratio(main.restoreS, base.restoreS)}, bytes per position ×${ratio(main.bytesPerPosition, base.bytesPerPosition)}`);
}
const verdict = (ok: boolean): string => (ok ? 'met' : 'missed');
console.log(`targets: busy tick p99 ≤ 1 ms — ${verdict(main.tickP99Ms <= 1)}; idle tick independent of n — ${base === null ? 'no baseline' : verdict(main.idleTickP99Ms <= Math.max(0.02, 3 * base.idleTickP99Ms))}; ` +
  `no ADL step over 10 ms — ${verdict(main.maxStepMs <= 10)}; restore ≤ 5 s — ${verdict(main.restoreS <= 5)}; ≤ 1 KB per position — ${verdict(main.bytesPerPosition <= 1024)}`);
const { rankTicks: _r, adlMs: _a, ...reported } = main;
console.log(JSON.stringify({ bench: 'risk', ...reported, baseline: base === null ? null : (({ rankTicks: _x, adlMs: _y, ...rest }) => rest)(base) }));
