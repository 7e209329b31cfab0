/**
 * Conditional orders under seeded random command streams: the property streams (trades, marks,
 * cancels, mode changes, …) interleaved with plan orders on LAST and MARK, trailing stops, FULL and
 * PARTIAL take-profit / stop-loss legs, amendments and cancellations. After every command a naive
 * oracle, written from docs/engine-rules.md and independent of the engine's heaps, checks:
 *
 * - nothing that should have fired is still waiting (no waiting order's condition holds at its
 *   source's current price), and every TRIGGERED order's condition held at its triggered price;
 * - a conditional order ends at most once (TRIGGERED, CANCELED, EXPIRED, REJECTED), and an order it
 *   placed carries its id and origin, and appears only once it fired;
 * - no waiting leg references a position that is flat or on the side it does not close.
 * At the end, replaying the accepted stream on a fresh engine and continuing from a snapshot taken
 * mid-stream both give the same state hash and the same events (the engine audits itself on every
 * restore; the test audits every 50 commands).
 *
 * PERPSTREAM_PROPERTY_SEED picks one seed; PERPSTREAM_PROPERTY_COMMANDS the stream length.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import type { Command, ConditionalSnapshot, EngineEvent, TriggerDirection, TriggerSource } from '../../src/engine/types.js';
import type { StateView } from '../../src/engine/view.js';
import { generateCommands, Rng, type Scenario } from './generator.js';

const count = Number(process.env.PERPSTREAM_PROPERTY_COMMANDS ?? 1500);
const seeds = process.env.PERPSTREAM_PROPERTY_SEED ? [Number(process.env.PERPSTREAM_PROPERTY_SEED)] : [11, 12, 13, 14];

const holds = (direction: TriggerDirection, level: number, price: number): boolean => (direction === 'RISE' ? price >= level : price <= level);

function sourcePrice(view: StateView, symbol: string, source: TriggerSource): number | null {
  const book = view.books.find((b) => b.symbol === symbol)!;
  if (source === 'LAST') return book.lastPrice;
  if (source === 'MARK') return book.markPrice;
  return view.pricing.find((p) => p.symbol === symbol)?.indexPrice ?? null;
}

/** Conditional commands aimed at the current state (the oracle does not depend on how they are chosen). */
function conditionalCommand(rng: Rng, view: StateView, time: number): Command | null {
  const account = rng.pick(view.accounts);
  const book = rng.pick(view.books);
  const symbol = book.symbol;
  const reference = book.lastPrice ?? book.markPrice;
  if (reference === null) return null;
  const away = (sign: 1 | -1): number => Math.max(1, reference + sign * Math.max(1, Math.round(reference * rng.int(1, 30) / 1000)));
  const oneWay = account.positionMode === 'ONE_WAY';
  const roll = rng.next();
  if (roll < 0.45) {
    const direction: TriggerDirection = rng.chance(0.5) ? 'RISE' : 'FALL';
    const side = rng.chance(0.5) ? 'BUY' : 'SELL';
    const limit = rng.chance(0.3);
    return {
      type: 'placeConditional', time, accountId: account.accountId, symbol, kind: 'PLAN', side,
      positionSide: oneWay ? 'BOTH' : side === 'BUY' ? 'LONG' : 'SHORT', triggerSource: rng.chance(0.6) ? 'LAST' : 'MARK', triggerDirection: direction,
      triggerPrice: away(direction === 'RISE' ? 1 : -1), orderType: limit ? 'LIMIT' : 'MARKET', price: limit ? away(side === 'BUY' ? 1 : -1) : 0,
      timeInForce: limit ? 'GTC' : 'IOC', qty: rng.int(1, 3), reduceOnly: oneWay && rng.chance(0.3), closePosition: false,
      ...(rng.chance(0.2) ? { expireTime: time + rng.int(1, 20_000) } : {}),
    };
  }
  const open = account.positions.filter((p) => p.symbol === symbol && p.qty !== 0);
  if (roll < 0.65 && open.length > 0) {
    const position = rng.pick(open);
    const long = position.qty > 0;
    const tp = { triggerPrice: away(long ? 1 : -1), triggerSource: (rng.chance(0.5) ? 'LAST' : 'MARK') as TriggerSource, orderType: 'MARKET' as const };
    const sl = { triggerPrice: away(long ? -1 : 1), triggerSource: tp.triggerSource, orderType: 'MARKET' as const };
    const partial = rng.chance(0.4);
    return {
      type: 'setPositionTpsl', time, accountId: account.accountId, symbol, positionSide: position.positionSide, mode: partial ? 'PARTIAL' : 'FULL',
      takeProfit: tp, stopLoss: sl, ...(partial ? { qty: rng.int(1, Math.abs(position.qty)) } : {}),
    };
  }
  if (roll < 0.75 && open.length > 0) {
    const position = rng.pick(open);
    return {
      type: 'placeConditional', time, accountId: account.accountId, symbol, kind: 'TRAILING', side: position.qty > 0 ? 'SELL' : 'BUY',
      positionSide: position.positionSide, triggerSource: 'LAST', orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1,
      reduceOnly: oneWay, closePosition: false, ...(rng.chance(0.5) ? { callbackAmount: rng.int(1, 500) } : { callbackRate: BigInt(rng.int(100_000, 3_000_000)) }),
    };
  }
  const waiting = account.conditionals.filter((c) => c.symbol === symbol);
  if (waiting.length === 0) return null;
  const target = rng.pick(waiting);
  if (roll < 0.9) return { type: 'cancelConditional', time, accountId: account.accountId, symbol, conditionalId: target.conditionalId };
  if (target.kind === 'TRAILING') return null;
  return { type: 'amendConditional', time, accountId: account.accountId, symbol, conditionalId: target.conditionalId, triggerPrice: away(target.triggerDirection === 'RISE' ? 1 : -1) };
}

function oracle(view: StateView, events: readonly EngineEvent[], ended: Set<number>, triggered: Map<number, ConditionalSnapshot>, where: string): void {
  for (const account of view.accounts) {
    for (const c of account.conditionals) {
      const price = sourcePrice(view, c.symbol, c.triggerSource);
      if (price !== null && c.triggerPrice !== null && (c.kind !== 'TRAILING' || c.activated)) {
        assert.ok(!holds(c.triggerDirection, c.triggerPrice, price), `${where}: conditional ${c.conditionalId} still waits although ${c.triggerSource} ${price} meets ${c.triggerDirection} ${c.triggerPrice}`);
      }
      if (c.tpslMode !== null) {
        const position = account.positions.find((p) => p.symbol === c.symbol && p.positionSide === c.positionSide);
        assert.ok(position !== undefined && position.qty !== 0 && (position.qty > 0) === (c.side === 'SELL'), `${where}: leg ${c.conditionalId} without the position it closes`);
        if (c.tpslMode === 'PARTIAL') assert.ok(c.qty <= Math.abs(position.qty), `${where}: leg ${c.conditionalId} larger than its position`);
      }
    }
  }
  for (const e of events) {
    if (e.type === 'conditional' && e.change !== 'NEW' && e.change !== 'AMENDED') {
      const c = e.conditional;
      assert.ok(!ended.has(c.conditionalId), `${where}: conditional ${c.conditionalId} ended twice`);
      ended.add(c.conditionalId);
      if (e.change === 'TRIGGERED' || (e.change === 'REJECTED' && c.triggeredPrice !== null)) {
        assert.ok(c.triggeredPrice !== null && c.triggerPrice !== null && holds(c.triggerDirection, c.triggerPrice, c.triggeredPrice),
          `${where}: conditional ${c.conditionalId} fired at ${c.triggeredPrice} without meeting ${c.triggerDirection} ${c.triggerPrice}`);
        triggered.set(c.conditionalId, c);
      }
    }
    if (e.type === 'order' && e.order.conditionalId !== null) {
      const c = triggered.get(e.order.conditionalId);
      assert.ok(c !== undefined, `${where}: order ${e.order.orderId} claims conditional ${e.order.conditionalId}, which never fired`);
      assert.equal(e.order.orderId, c.conditionalId);
      assert.equal(e.order.origin, c.kind);
    }
  }
}

function run(seed: number): void {
  const { scenario, commands } = generateCommands(seed, count);
  const rng = new Rng(seed * 7919);
  const engine = newEngine(scenario);
  const accepted: Command[] = [];
  const ended = new Set<number>();
  const triggered = new Map<number, ConditionalSnapshot>();
  let fired = 0;
  let snapshotAt = -1;
  let snapshot: ReturnType<Engine['snapshot']> | null = null;
  const eventsAfterSnapshot: EngineEvent[][] = [];
  const apply = (cmd: Command, i: number): void => {
    const applied = engine.apply(cmd);
    accepted.push(cmd);
    fired += applied.events.filter((e) => e.type === 'conditional' && e.change === 'TRIGGERED').length;
    oracle(engine.view(), applied.events, ended, triggered, `seed ${seed} command ${i} (${cmd.type})`);
    if (snapshot !== null) eventsAfterSnapshot.push(applied.events);
  };
  commands.forEach((cmd, i) => {
    apply(cmd, i);
    if (rng.chance(0.25)) {
      const extra = conditionalCommand(rng, engine.view(), cmd.time);
      if (extra !== null) apply(extra, i);
    }
    if (i % 50 === 0) engine.audit();
    if (i === Math.floor(count / 2)) {
      snapshot = engine.snapshot();
      snapshotAt = accepted.length;
    }
  });
  engine.audit();
  assert.ok(fired > 0, `seed ${seed}: no conditional order fired; the stream does not exercise triggers`);

  const replayed = newEngine(scenario);
  for (const cmd of accepted) replayed.apply(cmd);
  assert.equal(replayed.stateHash(), engine.stateHash(), `seed ${seed}: replay gives another state`);

  const resumed = Engine.restore({ symbols: [...scenario.symbols], ...scenario.engineOptions }, snapshot!);
  accepted.slice(snapshotAt).forEach((cmd, k) => {
    assert.deepEqual(resumed.apply(cmd).events, eventsAfterSnapshot[k], `seed ${seed}: the restored engine diverges at command ${snapshotAt + k}`);
  });
  assert.equal(resumed.stateHash(), engine.stateHash(), `seed ${seed}: snapshot + continuation gives another state`);
}

const newEngine = (scenario: Scenario): Engine => new Engine({ symbols: [...scenario.symbols], ...scenario.engineOptions });

for (const seed of seeds) {
  test(`conditional orders under random streams, seed ${seed}`, () => run(seed));
}
