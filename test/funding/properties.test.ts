/**
 * Seeded random properties of prices and funding (reproduce one seed with PERPSTREAM_FUNDING_SEED=<s>):
 * - allocateFunding over random position sets sums to exactly zero, payers pay their obligation
 *   rounded up, each receiver is within one unit of its exact share of the total;
 * - random command streams (trades, index walks, ticks, marks, settlements, both position and
 *   margin modes): the audit (money conservation included) holds after every command, every
 *   settlement's fees and FUNDING_FEE wallet changes sum to zero, MARK_PRICE events never repeat
 *   the mark a position last showed and keep their pace;
 * - replay: the same stream on a second engine gives the same events and state hash, and so does a
 *   restore from a (JSON round-tripped) snapshot taken midway.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { Engine, type Applied, type EngineOptions } from '../../src/engine/engine.js';
import { RATE_SCALE, parseAmount } from '../../src/engine/fixed.js';
import { allocateFunding } from '../../src/engine/funding.js';
import type { PricingSpec } from '../../src/engine/pricing-config.js';
import type { Command, EngineEvent, PositionSide, Side } from '../../src/engine/types.js';
import { decodeJson, encodeJson } from '../../src/persistence/codec.js';
import type { Cmd } from '../engine/helpers.js';
import { describeDifference, firstDifference } from '../property/support.js';
import { GRID, V, seeded, vSymbol } from './helpers.js';

function seeds(count: number): number[] {
  const single = process.env.PERPSTREAM_FUNDING_SEED;
  return single ? [Number(single)] : Array.from({ length: count }, (_, i) => i + 1);
}

describe('allocateFunding over random position sets', () => {
  for (const seed of seeds(200)) {
    it(`seed ${seed}: sums to zero, payers round up, receivers within one unit of their share`, () => {
      const rng = seeded(seed);
      const n = rng.int(2, 12);
      const qtys = Array.from({ length: n - 1 }, () => rng.int(-5000, 5000) || 1);
      qtys.push(-qtys.reduce((a, b) => a + b, 0));
      const mark = rng.int(1, 100_000_000);
      const k = BigInt(rng.pick([1, 1000, 100_000, 1_000_000]));
      const rate = BigInt(rng.int(-300_000, 300_000));
      const fees = allocateFunding(qtys, mark, k, rate);
      assert.equal(fees.reduce((a, b) => a + b, 0n), 0n, `Σ fees = 0 (${qtys} at ${mark} × ${rate})`);
      const obligations = qtys.map((q) => BigInt(q) * BigInt(mark) * k * rate);
      const total = fees.filter((f) => f < 0n).reduce((a, b) => a - b, 0n);
      const claims = obligations.filter((o) => o < 0n).reduce((a, b) => a - b, 0n);
      obligations.forEach((o, i) => {
        const fee = fees[i]!;
        if (o > 0n) assert.equal(-fee, (o + RATE_SCALE - 1n) / RATE_SCALE, 'a payer pays its obligation rounded up');
        else if (o === 0n) assert.equal(fee, 0n);
        else {
          // Exact share of the total: total × claim / claims; the fee is its floor or floor + 1.
          const floor = (total * -o) / claims;
          assert.ok(fee === floor || fee === floor + 1n, `receiver ${i}: ${fee} vs share ${floor}…`);
          assert.ok(fee * RATE_SCALE >= -o - RATE_SCALE, 'a receiver gets at least its claim less one unit');
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Random command streams

interface Scenario {
  options: EngineOptions;
  commands: Command[];
}

const SYMBOLS = ['btc_usdt', V] as const;
const CENTRE: Record<string, number> = { btc_usdt: 600_000, [V]: 30_000 };

function generate(seed: number, count: number): Scenario {
  const rng = seeded(seed * 7919);
  const pricing: PricingSpec = {
    markMethod: rng.chance(0.2) ? 'INDEX' : 'MEDIAN',
    fundingIntervalMinutes: rng.pick([60, 240, 480]),
    // A small impact notional, so the thin random book still gives impact prices.
    impactMarginNotional: rng.pick(['50', '500', '25000']),
    basisWindow: rng.pick([3, 30]),
    interestRate: rng.pick(['0.0001', '-0.0003', '0']),
  };
  const options: EngineOptions = {
    symbols: [...DEMO_SYMBOLS, vSymbol(pricing)], markEventIntervalMs: rng.pick([0, 1000, 3000]), defaultPositionMode: 'ONE_WAY',
  };
  const commands: Command[] = [];
  let time = GRID - rng.int(0, 10_000_000);
  const push = (command: Cmd): void => {
    commands.push({ ...command, time } as Command);
  };
  const accounts = rng.int(3, 7);
  const hedge = new Set<number>();
  for (let id = 1; id <= accounts; id++) {
    push({ type: 'createAccount' });
    push({ type: 'deposit', accountId: id, asset: 'USDT', amount: parseAmount('10000000') });
    if (rng.chance(0.4)) {
      hedge.add(id);
      push({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' });
    }
    for (const symbol of SYMBOLS) {
      if (rng.chance(0.4)) push({ type: 'setMarginMode', accountId: id, symbol, marginMode: 'ISOLATED' });
      push({ type: 'setLeverage', accountId: id, symbol, leverage: rng.int(2, 20) });
    }
  }
  const index: Record<string, number> = { ...CENTRE };
  while (commands.length < count) {
    time += rng.chance(0.02) ? rng.int(600_000, 7_200_000) : rng.int(0, 1500);
    const symbol = rng.pick(SYMBOLS);
    const roll = rng.next();
    if (roll < 0.45) {
      const accountId = rng.int(1, accounts);
      const side: Side = rng.chance(0.5) ? 'BUY' : 'SELL';
      const positionSide: PositionSide = hedge.has(accountId) ? rng.pick(['LONG', 'SHORT'] as const) : 'BOTH';
      const offset = Math.round(index[symbol]! * 0.0005 * (rng.next() * 2 - 1));
      push({
        type: 'placeOrder', accountId, symbol, side, positionSide, orderType: rng.chance(0.2) ? 'MARKET' : 'LIMIT',
        timeInForce: rng.chance(0.2) ? 'IOC' : 'GTC', price: index[symbol]! + offset, qty: rng.int(1, 40), reduceOnly: false,
      });
    } else if (roll < 0.5) {
      push({ type: 'cancelAll', accountId: rng.int(1, accounts), symbol });
    } else if (roll < 0.65) {
      index[symbol] = Math.max(1, index[symbol]! + Math.round(index[symbol]! * 0.001 * (rng.next() * 2 - 1)));
      push({ type: 'setIndexPrice', symbol, price: index[symbol]! });
    } else if (roll < 0.85) {
      push(rng.chance(0.5) ? { type: 'sampleRisk' } : { type: 'sampleRisk', symbol });
    } else if (roll < 0.9) {
      push({ type: 'setMarkPrice', symbol, price: index[symbol]! + rng.int(-20, 20) });
    } else if (roll < 0.97) {
      push({ type: 'settleFunding', symbol, ...(rng.chance(0.5) ? { fundingTime: time - rng.int(0, 1000) } : {}) });
    } else {
      // An occasional invalid command: refused, nothing changes.
      push(rng.pick([
        { type: 'settleFunding', symbol, fundingTime: time + 1 },
        { type: 'setIndexPrice', symbol, price: 0 },
        { type: 'sampleRisk', symbol: 'doge_usdt' },
      ] as Cmd[]));
    }
  }
  return { options, commands };
}

const positionKey = (e: { accountId: number; position: { symbol: string; positionSide: string } }): string =>
  `${e.accountId}|${e.position.symbol}|${e.position.positionSide}`;

/** Checks one command's events; `shown` and `paced` carry each position's last event and last MARK_PRICE time. */
function checkEvents(applied: Applied, command: Command, interval: number, shown: Map<string, number>, paced: Map<string, number>): void {
  const { events } = applied;
  if (command.type === 'settleFunding') {
    const funding = events.filter((e) => e.type === 'funding');
    assert.equal(funding.reduce((sum, e) => sum + e.fundingFee, 0n), 0n, 'Σ funding fees = 0');
    const balances = events.filter((e) => e.type === 'balance');
    assert.equal(balances.reduce((sum, e) => sum + e.walletChange, 0n), 0n, 'Σ FUNDING_FEE wallet changes = 0');
    assert.ok(events.every((e) => e.reason === 'FUNDING_FEE'));
    assert.ok(funding.every((e) => e.fundingFee !== 0n && e.qty !== 0));
  }
  for (const e of events as EngineEvent[]) {
    if (e.type !== 'position') continue;
    const key = positionKey(e);
    if (e.reason === 'MARK_PRICE') {
      assert.notEqual(e.position.markPrice, shown.get(key), `${key}: a MARK_PRICE event repeats the mark already shown`);
      assert.notEqual(e.position.qty, 0, `${key}: a MARK_PRICE event for a flat position`);
      const last = paced.get(key);
      assert.ok(last === undefined || e.time - last >= interval, `${key}: MARK_PRICE events ${e.time - (last ?? 0)} ms apart`);
      paced.set(key, e.time);
    }
    shown.set(key, e.position.markPrice);
  }
}

function compareApplied(a: Applied, b: Applied, where: string): void {
  const d = firstDifference(b, a, '$applied');
  if (d) assert.fail(`${where}: ${describeDifference(d, b, a)}`);
}

describe('random streams of trades, prices, ticks and settlements', () => {
  for (const seed of seeds(12)) {
    it(`seed ${seed}: audit after every command, zero-sum settlements, paced mark events, deterministic replay and restore`, () => {
      const { options, commands } = generate(seed, 900);
      const engine = new Engine(options);
      const twin = new Engine(options);
      const half = Math.floor(commands.length / 2);
      let restored: Engine | null = null;
      const shown = new Map<string, number>();
      const paced = new Map<string, number>();
      let settlements = 0;
      let fundingEventCount = 0;
      let markEvents = 0;
      commands.forEach((command, i) => {
        const where = `seed ${seed} (PERPSTREAM_FUNDING_SEED=${seed}) command #${i} ${JSON.stringify(command, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
        const applied = engine.apply(command);
        try {
          engine.audit();
          checkEvents(applied, command, options.markEventIntervalMs!, shown, paced);
        } catch (error) {
          assert.fail(`${where}: ${String(error)}`);
        }
        if (command.type === 'settleFunding' && applied.result.ok) settlements += 1;
        fundingEventCount += applied.events.filter((e) => e.type === 'funding').length;
        markEvents += applied.events.filter((e) => e.reason === 'MARK_PRICE').length;
        compareApplied(applied, twin.apply(command), `${where} (replay)`);
        if (restored !== null) compareApplied(applied, restored.apply(command), `${where} (restored)`);
        if (i === half) {
          const snapshot = decodeJson<ReturnType<Engine['snapshot']>>(encodeJson(engine.snapshot()));
          restored = Engine.restore(options, snapshot);
          assert.equal(restored.stateHash(), engine.stateHash(), `${where}: restored state hash`);
        }
      });
      assert.equal(twin.stateHash(), engine.stateHash());
      assert.equal(restored!.stateHash(), engine.stateHash());
      // The streams must exercise what they claim to.
      assert.ok(settlements > 5 && fundingEventCount > 0 && markEvents > 0, `coverage: ${settlements} settlements, ${fundingEventCount} funding events, ${markEvents} mark events`);
    });
  }
});
