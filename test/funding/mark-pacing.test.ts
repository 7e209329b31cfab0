/**
 * Mark pacing from due-time queues (src/engine/mark-pacing.ts) against the rule it replaces, a walk
 * over every open position: seeded random streams of orders, marks (set, indexed, recomputed
 * unchanged), closes and flips, with time jumps around the interval. Before each price command the
 * oracle lists, from the events pushed so far, every open position whose last event shows another
 * mark and whose last MARK_PRICE event is at least the interval old; the command must push exactly
 * those, in account then side order, as its first step. An engine restored from a snapshot midway
 * must push byte-identical events to the uninterrupted one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { Command, EngineEvent, PositionEvent, PositionSide } from '../../src/engine/types.js';
import { seeded, vSymbol } from './helpers.js';

const SYMBOLS = ['v_usdt', 'w_usdt'];
const str = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
const SIDES: Record<PositionSide, number> = { BOTH: 0, LONG: 1, SHORT: 2 };
type Cmd = Command extends infer C ? (C extends Command ? Omit<C, 'time'> : never) : never;

interface Shown { qty: number; mark: number; paced: number | null }

function run(seed: number): { pushed: number; checked: number } {
  const rng = seeded(seed);
  const interval = rng.pick([0, 1000, 3000]);
  const options: EngineOptions = { symbols: SYMBOLS.map((s) => vSymbol(undefined, s)), markEventIntervalMs: interval, warnMarginRatio: null, adlRankIntervalMs: 0 };
  let engine = new Engine(options);
  const twin = new Engine(options);
  let time = 1_700_000_000_000;
  const apply = (cmd: Cmd): EngineEvent[] => {
    const command = { ...cmd, time } as Command;
    const applied = engine.apply(command);
    const again = twin.apply(command);
    assert.deepEqual(applied, again, `seed ${seed}: the restored engine and the uninterrupted one differ on ${str(cmd)}`);
    return applied.events;
  };
  const accounts = 8;
  const hedge = new Set<number>();
  for (let id = 1; id <= accounts; id++) {
    apply({ type: 'createAccount' });
    apply({ type: 'deposit', accountId: id, asset: 'USDT', amount: 100_000_000_000_000n });
    if (rng.chance(0.3)) {
      hedge.add(id);
      apply({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' });
    }
    for (const symbol of SYMBOLS) apply({ type: 'setLeverage', accountId: id, symbol, leverage: 2 });
  }
  const shown = new Map<string, Shown & { accountId: number; symbol: string; side: PositionSide }>();
  const observe = (events: readonly EngineEvent[]): void => {
    for (const e of events) {
      if (e.type !== 'position') continue;
      const key = `${e.accountId}|${e.position.symbol}|${e.position.positionSide}`;
      const before = shown.get(key);
      shown.set(key, {
        accountId: e.accountId, symbol: e.position.symbol, side: e.position.positionSide, qty: e.position.qty, mark: e.position.markPrice,
        paced: e.reason === 'MARK_PRICE' && e.time !== undefined && isPaced(e) ? e.time : before?.paced ?? null,
      });
    }
  };
  // A MARK_PRICE event of a price command's first step is a paced one (risk actions carry their own reasons).
  let pacedKeys = new Set<PositionEvent>();
  const isPaced = (e: PositionEvent): boolean => pacedKeys.has(e);
  const expectedDue = (symbol: string, mark: number): string[] => {
    const due = [...shown.values()].filter((s) => s.symbol === symbol && s.qty !== 0 && s.mark !== mark && (s.paced === null || time - s.paced >= interval));
    due.sort((a, b) => a.accountId - b.accountId || SIDES[a.side] - SIDES[b.side]);
    return due.map((s) => `${s.accountId}|${s.side}|${mark}`);
  };
  const price: Record<string, number> = { v_usdt: 30_000, w_usdt: 30_000 };
  let checked = 0;
  let pushed = 0;
  for (let i = 0; i < 1500; i++) {
    time += rng.chance(0.05) ? rng.int(interval, 3 * interval + 10) : rng.int(0, Math.max(1, interval / 3));
    const symbol = rng.pick(SYMBOLS);
    const roll = rng.next();
    if (i === 700) {
      engine = Engine.restore(options, engine.snapshot());
      continue;
    }
    if (roll < 0.5) {
      const accountId = rng.int(1, accounts);
      const positionSide: PositionSide = hedge.has(accountId) ? rng.pick(['LONG', 'SHORT'] as const) : 'BOTH';
      const side = rng.chance(0.5) ? 'BUY' : 'SELL';
      const events = apply({
        type: 'placeOrder', accountId, symbol, side, positionSide, orderType: rng.chance(0.3) ? 'MARKET' : 'LIMIT', timeInForce: 'GTC',
        price: price[symbol]! + rng.int(-3, 3), qty: rng.int(1, 5), reduceOnly: false,
      } as Cmd);
      observe(events);
      continue;
    }
    if (roll < 0.55) {
      observe(apply({ type: 'cancelAll', accountId: rng.int(1, accounts), symbol }));
      continue;
    }
    // A price command: setMarkPrice, setIndexPrice (INDEX marks are not configured: MEDIAN) or sampleRisk.
    let cmd: Cmd;
    const kind = rng.next();
    if (kind < 0.5) {
      price[symbol] = Math.max(100, price[symbol]! + rng.int(-3, 3));
      cmd = { type: 'setMarkPrice', symbol, price: price[symbol]! };
    } else if (kind < 0.75) {
      cmd = { type: 'setIndexPrice', symbol, price: price[symbol]! + rng.int(-2, 2) };
    } else {
      cmd = { type: 'sampleRisk', symbol };
    }
    const before = engine.market(symbol)!.markPrice;
    const hasIndex = engine.prices(symbol, time)!.indexPrice !== null;
    const command = { ...cmd, time } as Command;
    // The oracle needs the new mark first: ask a throwaway copy of the twin.
    const probe = Engine.restore(options, twin.snapshot());
    probe.apply(command);
    const mark = probe.market(symbol)!.markPrice!;
    const calls = cmd.type === 'setMarkPrice' ? mark !== before : cmd.type === 'setIndexPrice' || hasIndex;
    const expected = calls ? expectedDue(symbol, mark) : [];
    const events = apply(cmd);
    const firstStep = events.filter((e): e is PositionEvent => e.type === 'position' && e.reason === 'MARK_PRICE');
    const paced = firstStep.slice(0, expected.length);
    pacedKeys = new Set(paced);
    assert.deepEqual(paced.map((e) => `${e.accountId}|${e.position.positionSide}|${e.position.markPrice}`), expected,
      `seed ${seed} #${i} ${str(cmd)}: paced pushes differ from a walk over every open position`);
    if (expected.length > 0) assert.equal(events[expected.length - 1], paced[paced.length - 1], 'the paced pushes are the first step');
    assert.equal(firstStep.length, expected.length, `seed ${seed} #${i}: more MARK_PRICE position events than due`);
    checked += 1;
    pushed += expected.length;
    observe(events);
    engine.audit();
  }
  return { pushed, checked };
}

describe('mark pacing from due-time queues equals a walk over every open position', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: same positions, same order, same engine time; restore midway changes nothing`, () => {
      const { pushed, checked } = run(seed);
      assert.ok(pushed > 50 && checked > 200, `coverage: ${pushed} paced pushes over ${checked} price commands`);
    });
  }
});
