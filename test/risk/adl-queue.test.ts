/**
 * The ADL queue (src/engine/risk/adl-queue.ts, ranked-list.ts): the ranked list against a sorted
 * array; the ranking advanced a few positions per tick against a full re-rank of every position at
 * the same state; and random liquidation streams that deleverage from the queue (a slice smaller
 * than the symbol), audited after every command, with an engine restored midway pushing exactly
 * what the uninterrupted one pushes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Core } from '../../src/engine/core.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { fullRanking } from '../../src/engine/risk/adl.js';
import { RankedList } from '../../src/engine/risk/ranked-list.js';
import type { Command, PositionSide } from '../../src/engine/types.js';
import { seeded, vSymbol } from '../funding/helpers.js';

const V = 'v_usdt';
type Cmd = Command extends infer C ? (C extends Command ? Omit<C, 'time'> : never) : never;
const coreOf = (engine: Engine): Core => (engine as unknown as { core: Core }).core;

describe('RankedList', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: inserts, removes and ranks agree with a sorted array`, () => {
      const rng = seeded(seed);
      const list = new RankedList<{ v: number }>((a, b) => a.v - b.v, 2 + seed);
      const model: { v: number }[] = [];
      const used = new Set<number>();
      for (let i = 0; i < 3000; i++) {
        if (model.length === 0 || rng.chance(0.6)) {
          let v = rng.int(0, 100_000);
          while (used.has(v)) v = rng.int(0, 100_000);
          used.add(v);
          const item = { v };
          list.insert(item);
          model.push(item);
          model.sort((a, b) => a.v - b.v);
        } else {
          const item = model.splice(rng.int(0, model.length - 1), 1)[0]!;
          used.delete(item.v);
          list.remove(item);
        }
        list.check();
        assert.equal(list.size, model.length);
        if (model.length > 0) {
          const k = rng.int(0, model.length - 1);
          assert.equal(list.rank(model[k]!), k);
          const j = rng.int(0, model.length - 1);
          assert.deepEqual(list.ranks([model[j]!, model[k]!]), [j, k]);
          assert.ok(list.has(model[k]!));
        }
      }
      assert.deepEqual([...list.inOrder()], model);
      list.build(model);
      list.check();
      assert.deepEqual([...list.inOrder()], model);
    });
  }
});

/** A random stream on one symbol: orders, mark walks (liquidations, ADL with an empty fund), time jumps. */
function stream(seed: number, options: EngineOptions, engines: Engine[], onTick?: (i: number) => void): { adl: number; ticks: number } {
  const rng = seeded(seed);
  let time = 1_700_000_000_000;
  const apply = (cmd: Cmd) => {
    const command = { ...cmd, time } as Command;
    const results = engines.map((e) => e.apply(command));
    for (const r of results.slice(1)) assert.deepEqual(r, results[0], `seed ${seed}: engines differ on ${cmd.type}`);
    for (const e of engines) e.audit();
    return results[0]!;
  };
  const accounts = 24;
  const hedge = new Set<number>();
  for (let id = 1; id <= accounts; id++) {
    apply({ type: 'createAccount' });
    apply({ type: 'deposit', accountId: id, asset: 'USDT', amount: id <= 2 ? 100_000_000_000_000n : BigInt(rng.int(200, 5000)) * 100_000_000n });
    if (id > 2 && rng.chance(0.3)) {
      hedge.add(id);
      apply({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' });
    }
    if (rng.chance(0.5)) apply({ type: 'setMarginMode', accountId: id, symbol: V, marginMode: 'ISOLATED' });
    apply({ type: 'setLeverage', accountId: id, symbol: V, leverage: id <= 2 ? 2 : rng.int(5, 50) });
  }
  let mark = 30_000;
  apply({ type: 'setMarkPrice', symbol: V, price: mark });
  let adl = 0;
  let ticks = 0;
  for (let i = 0; i < 900; i++) {
    time += rng.chance(0.05) ? rng.int(1000, 20_000) : rng.int(0, 200);
    const roll = rng.next();
    if (roll < 0.5) {
      const accountId = rng.int(3, accounts);
      const positionSide: PositionSide = hedge.has(accountId) ? rng.pick(['LONG', 'SHORT'] as const) : 'BOTH';
      apply({
        type: 'placeOrder', accountId, symbol: V, side: rng.chance(0.5) ? 'BUY' : 'SELL', positionSide, orderType: 'LIMIT', timeInForce: rng.chance(0.5) ? 'IOC' : 'GTC',
        price: mark + rng.int(-20, 20), qty: rng.int(1, 30), reduceOnly: false,
      });
    } else if (roll < 0.6) {
      apply({ type: 'cancelAll', accountId: rng.int(3, accounts), symbol: V });
    } else {
      mark = Math.max(1000, mark + rng.int(-300, 300));
      const applied = apply({ type: 'setMarkPrice', symbol: V, price: mark });
      adl += applied.events.filter((e) => e.type === 'trade' && e.source === 'ADL').length;
      ticks += 1;
      onTick?.(i);
    }
  }
  return { adl, ticks };
}

describe('the ADL ranking, a slice per tick', () => {
  for (const seed of [11, 12, 13, 14]) {
    it(`seed ${seed}: once a round has gone through every position at an unchanged state, the queue is a full re-rank's order`, () => {
      const options: EngineOptions = { symbols: [vSymbol()], adlRankIntervalMs: 5000, adlRankSlice: 3, warnMarginRatio: null };
      const engine = new Engine(options);
      stream(seed, options, [engine]);
      // Freeze the state: a new round starts on the next tick; ticks at the same mark advance it 3 positions at a time.
      const core = coreOf(engine);
      const symbol = core.symbols.get(V)!;
      const mark = symbol.markPrice!;
      let time = core.time + 5000;
      const open = symbol.openPositions.size;
      assert.ok(open > 6, `coverage: ${open} open positions`);
      for (let t = 0; t <= Math.ceil(open / 3); t++) {
        engine.apply({ type: 'setMarkPrice', symbol: V, price: mark, time });
        engine.audit();
        time += 1;
      }
      assert.equal(symbol.risk.adl.pending(), undefined, 'the round is complete');
      const full = fullRanking(core, symbol);
      const byFull = (sign: number) => [...symbol.openPositions].filter((p) => Math.sign(p.qty) === sign).sort((a, b) => (full.get(a)! > full.get(b)! ? -1 : 1));
      assert.deepEqual([...symbol.risk.adl.longs.inOrder()], byFull(1), 'longs in full re-rank order');
      assert.deepEqual([...symbol.risk.adl.shorts.inOrder()], byFull(-1), 'shorts in full re-rank order');
      // (Each position's quantile is its rank when its slice was scored, so earlier slices' may differ from these.)
      // With a slice no smaller than the symbol, the round's first tick ranks everything: the quantiles are exactly a full re-rank's.
      const whole = new Engine({ ...options, adlRankSlice: 1000 });
      stream(seed, options, [whole]);
      const wholeCore = coreOf(whole);
      const wholeSymbol = wholeCore.symbols.get(V)!;
      whole.apply({ type: 'setMarkPrice', symbol: V, price: wholeSymbol.markPrice!, time: wholeCore.time + 5000 });
      const wholeFull = fullRanking(wholeCore, wholeSymbol);
      for (const p of wholeSymbol.openPositions) assert.equal(p.adlQuantile, wholeFull.get(p), `account ${p.account.id} ${p.side}: quantile`);
    });
  }
});

describe('ADL from the queue on a symbol larger than the slice', () => {
  for (const seed of [21, 22, 23, 24, 25]) {
    it(`seed ${seed}: audited after every command; an engine restored midway pushes the same events`, () => {
      const options: EngineOptions = { symbols: [vSymbol()], adlRankIntervalMs: 2000, adlRankSlice: 2 };
      const engine = new Engine(options);
      const twin = new Engine(options);
      const engines = [engine, twin];
      const { adl, ticks } = stream(seed, options, engines, (i) => {
        if (i > 400 && engines[1] === twin) engines[1] = Engine.restore(options, twin.snapshot());
      });
      assert.notEqual(engines[1], twin, 'restored midway');
      assert.ok(ticks > 100, `coverage: ${ticks} ticks`);
      console.log(`seed ${seed}: ${adl} ADL fills from the queue over ${ticks} ticks`);
    });
  }
  it('over the seeds, ADL does run from the queue', () => {
    let total = 0;
    for (const seed of [21, 22, 23, 24, 25]) {
      const options: EngineOptions = { symbols: [vSymbol()], adlRankIntervalMs: 2000, adlRankSlice: 2 };
      total += stream(seed, options, [new Engine(options)]).adl;
    }
    assert.ok(total > 0, 'no ADL in any seed');
  });
});
