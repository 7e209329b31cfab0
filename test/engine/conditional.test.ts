/**
 * Conditional orders with worked numbers (docs/engine-rules.md, "Conditional orders"): plan orders on
 * each trigger source and direction, take-profit / stop-loss legs with one-cancels-the-other, legs
 * following their position, attach-on-fill, trailing stops, rejection at trigger, expiry, firing
 * order, and snapshot / restore. Prices in ticks of 0.1 USDT (600_000 = 60,000 USDT).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { Applied } from '../../src/engine/engine.js';
import type { ConditionalEvent, ConditionalSnapshot, EngineEvent, PlaceConditional, TpslLeg } from '../../src/engine/types.js';
import { BTC, Harness, orderOf } from './helpers.js';

type PlanOpts = Partial<Omit<PlaceConditional, 'type' | 'time' | 'accountId'>>;

function plan(h: Harness, accountId: number, o: PlanOpts): Applied {
  return h.apply({
    type: 'placeConditional', accountId, symbol: BTC, kind: 'PLAN', side: 'BUY', positionSide: 'BOTH', triggerSource: 'LAST',
    orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1, reduceOnly: false, closePosition: false, ...o,
  } as PlaceConditional);
}

function conditionalOf(applied: Applied): ConditionalSnapshot {
  const r = applied.result;
  assert.ok(r.ok && r.kind === 'conditional', `expected a conditional result, got ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  return r.conditional;
}

const conditionalEvents = (applied: Applied, accountId: number): ConditionalEvent[] =>
  applied.events.filter((e): e is ConditionalEvent => e.type === 'conditional' && e.accountId === accountId);
const mine = (applied: Applied, accountId: number): EngineEvent[] => applied.events.filter((e) => e.accountId === accountId);
const leg = (triggerPrice: number, extra: Partial<TpslLeg> = {}): TpslLeg => ({ triggerPrice, triggerSource: 'LAST', orderType: 'MARKET', ...extra });

/** Three funded accounts and a first trade at 600_000 (the LAST price). */
function market(): { h: Harness; a: number; m: number; t: number } {
  const h = new Harness();
  const a = h.account('100000');
  const m = h.account('1000000');
  const t = h.account('1000000');
  h.trade(m, t, 'BUY', 1, 600_000);
  return { h, a, m, t };
}

/** `a` long `qty` at 600_000 (bought from m). */
function long(h: Harness, a: number, m: number, qty: number): void {
  h.trade(m, a, 'BUY', qty, 600_000);
  assert.equal(h.position(a).qty, qty);
}

describe('plan orders', () => {
  it('wait without margin, then fire on the trade that crosses: TRIGGERED, then the order it places with its id and origin', () => {
    const { h, a, m, t } = market();
    const placed = plan(h, a, { triggerDirection: 'RISE', triggerPrice: 600_500, qty: 2, clientOrderId: 'stop-1' });
    const c = conditionalOf(placed);
    assert.equal(c.state, 'WAITING');
    assert.deepEqual(conditionalEvents(placed, a).map((e) => e.change), ['NEW']);
    assert.equal(h.wallet(a).openOrderMarginFrozen, 0n, 'a waiting conditional order reserves no margin');
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 1);

    h.sell(m, 2, 600_600); // liquidity for the market buy the stop will place
    const crossing = h.trade(m, t, 'BUY', 1, 600_500);
    const events = mine(crossing, a);
    assert.equal(events[0]!.type, 'conditional');
    assert.equal((events[0] as ConditionalEvent).change, 'TRIGGERED');
    assert.equal((events[0] as ConditionalEvent).conditional.triggeredPrice, 600_500);
    const placedOrder = events.find((e) => e.type === 'order' && e.execType === 'NEW');
    assert.ok(placedOrder !== undefined && placedOrder.type === 'order');
    assert.equal(placedOrder.order.orderId, c.conditionalId, 'the placed order has the conditional id');
    assert.equal(placedOrder.order.origin, 'PLAN');
    assert.equal(placedOrder.order.conditionalId, c.conditionalId);
    assert.equal(placedOrder.order.clientOrderId, 'stop-1');
    assert.equal(placedOrder.order.timeInForce, 'IOC');
    assert.equal(h.position(a).qty, 2);
    assert.equal(h.position(a).entryCost, 2n * 600_600n);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 0);
  });

  it('are refused when the condition already holds (would trigger immediately), and for bad fields, changing nothing', () => {
    const { h, a } = market();
    const accountView = () => JSON.stringify(h.view().accounts.find((x) => x.accountId === a), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const before = accountView();
    for (const [o, code] of [
      [{ triggerDirection: 'RISE', triggerPrice: 599_000 }, 'WOULD_TRIGGER_IMMEDIATELY'],
      [{ triggerDirection: 'FALL', triggerPrice: 600_000 }, 'WOULD_TRIGGER_IMMEDIATELY'],
      [{ triggerDirection: 'RISE', triggerPrice: 0 }, 'INVALID_ARGUMENT'],
      [{ triggerDirection: 'UP', triggerPrice: 601_000 }, 'INVALID_ARGUMENT'],
      [{ triggerDirection: 'RISE', triggerPrice: 601_000, triggerSource: 'BEST' }, 'INVALID_ARGUMENT'],
      [{ triggerDirection: 'RISE', triggerPrice: 601_000, callbackAmount: 5 }, 'INVALID_ARGUMENT'],
      [{ triggerDirection: 'RISE', triggerPrice: 601_000, closePosition: true, qty: 1 }, 'INVALID_ARGUMENT'],
      [{ triggerDirection: 'RISE', triggerPrice: 601_000, orderType: 'MARKET', timeInForce: 'GTC' }, 'INVALID_ARGUMENT'],
      [{ triggerDirection: 'RISE', triggerPrice: 601_000, expireTime: 5 }, 'INVALID_ARGUMENT'],
    ] as [PlanOpts, string][]) {
      const r = plan(h, a, o).result;
      assert.ok(!r.ok, `${JSON.stringify(o)} accepted`);
      assert.equal(r.code, code, JSON.stringify(o));
    }
    // The refusals are counted as commands but changed nothing else.
    assert.notEqual(h.engine.stateHash(), before);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 0);
  });

  it('fire on the mark and on the index, each watching only its own source', () => {
    const { h, a, m } = market();
    h.mark(600_000);
    long(h, a, m, 3);
    const byMark = conditionalOf(plan(h, a, { side: 'SELL', triggerSource: 'MARK', triggerDirection: 'FALL', triggerPrice: 599_000, qty: 1, reduceOnly: true }));
    const byIndex = conditionalOf(plan(h, a, { side: 'SELL', triggerSource: 'INDEX', triggerDirection: 'FALL', triggerPrice: 599_000, qty: 1, reduceOnly: true }));
    h.buy(m, 3, 598_500); // bids for the sells
    // A trade far below moves LAST only: neither fires.
    const m2 = h.account('100000');
    h.trade(m, m2, 'SELL', 1, 598_500);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 2);
    const marked = h.mark(598_900);
    const fired = conditionalEvents(marked, a);
    assert.deepEqual(fired.map((e) => [e.change, e.conditional.conditionalId]), [['TRIGGERED', byMark.conditionalId]]);
    assert.equal(h.position(a).qty, 2);
    const indexed = h.apply({ type: 'setIndexPrice', symbol: BTC, price: 598_800 });
    assert.deepEqual(conditionalEvents(indexed, a).filter((e) => e.change === 'TRIGGERED').map((e) => e.conditional.conditionalId), [byIndex.conditionalId]);
    assert.equal(h.position(a).qty, 1);
  });

  it('several fire on one price move in the documented order: the level crossed first, then creation', () => {
    const { h, a, m, t } = market();
    const ids = [600_200, 600_100, 600_300, 600_100].map((price) =>
      conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: price, orderType: 'LIMIT', price: 590_000, timeInForce: 'GTC' })).conditionalId);
    h.sell(m, 1, 600_100);
    h.sell(m, 1, 600_300);
    const move = h.buy(t, 2, 600_300);
    assert.equal(orderOf(move).state, 'FILLED');
    const order = conditionalEvents(move, a).filter((e) => e.change === 'TRIGGERED').map((e) => e.conditional.conditionalId);
    // The trade at 600_100 fires both 600_100 orders (older first); the one at 600_300 fires 600_200 and 600_300.
    assert.deepEqual(order, [ids[1], ids[3], ids[0], ids[2]]);
  });

  it('are rejected at trigger when the placed order fails its checks: REJECTED (same seq as the trigger), then the order event', () => {
    const { h, m, t } = market();
    const poor = h.account('0.5');
    const c = conditionalOf(plan(h, poor, { triggerDirection: 'RISE', triggerPrice: 600_500, orderType: 'LIMIT', price: 600_500, timeInForce: 'GTC', qty: 5 }));
    const crossing = h.trade(m, t, 'BUY', 1, 600_500);
    const events = mine(crossing, poor);
    assert.equal(events.length, 2);
    const rejected = events[0]!;
    const order = events[1]!;
    assert.ok(rejected.type === 'conditional' && order.type === 'order');
    assert.equal(rejected.change, 'REJECTED');
    assert.equal(rejected.conditional.reason, 'INSUFFICIENT_MARGIN');
    assert.equal(rejected.conditional.state, 'REJECTED');
    assert.equal(order.order.state, 'REJECTED');
    assert.equal(order.order.origin, 'PLAN');
    assert.equal(order.order.orderId, c.conditionalId);
    assert.equal(order.seq, rejected.seq + 1);
  });

  it('expire at their expiry time with the next command', () => {
    const { h, a } = market();
    const c = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000, expireTime: h.time + 500 }));
    h.advance(400);
    assert.equal(conditionalEvents(h.mark(600_000), a).length, 0);
    h.advance(100);
    const expired = conditionalEvents(h.mark(600_000), a);
    assert.deepEqual(expired.map((e) => [e.change, e.conditional.conditionalId, e.conditional.reason]), [['EXPIRED', c.conditionalId, 'EXPIRED']]);
  });

  it('are amended (re-filed at the new trigger) and cancelled by id or client id; unknown refs are refused', () => {
    const { h, a, m, t } = market();
    const c = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000, clientOrderId: 'p1' }));
    const amended = h.apply({ type: 'amendConditional', accountId: a, symbol: BTC, conditionalId: c.conditionalId, triggerPrice: 600_200 });
    assert.equal(conditionalOf(amended).triggerPrice, 600_200);
    assert.equal(conditionalEvents(amended, a)[0]!.change, 'AMENDED');
    const same = h.apply({ type: 'amendConditional', accountId: a, symbol: BTC, conditionalId: c.conditionalId, triggerPrice: 600_200 }).result;
    assert.ok(!same.ok && same.code === 'NO_CHANGE');
    h.sell(m, 1, 600_300);
    const crossing = h.trade(m, t, 'BUY', 1, 600_200);
    assert.equal(conditionalEvents(crossing, a)[0]!.change, 'TRIGGERED');
    const other = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 605_000, clientOrderId: 'p2' }));
    const cancelled = h.apply({ type: 'cancelConditional', accountId: a, symbol: BTC, clientOrderId: 'p2' });
    assert.equal(conditionalOf(cancelled).state, 'CANCELED');
    assert.equal(conditionalOf(cancelled).reason, 'USER_CANCELED');
    const again = h.apply({ type: 'cancelConditional', accountId: a, symbol: BTC, conditionalId: other.conditionalId }).result;
    assert.ok(!again.ok && again.code === 'UNKNOWN_ORDER');
  });

  it('a client order id is unique across live orders and waiting conditional orders; a retry answers the waiting one', () => {
    const { h, a } = market();
    const first = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000, clientOrderId: 'same' }));
    const retry = plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000, clientOrderId: 'same' }).result;
    assert.ok(retry.ok && retry.kind === 'conditional' && retry.duplicate && retry.conditional.conditionalId === first.conditionalId);
    const order = h.buy(a, 1, 590_000, { clientOrderId: 'same' }).result;
    assert.ok(!order.ok && order.code === 'INVALID_ARGUMENT');
    h.buy(a, 1, 590_000, { clientOrderId: 'resting' });
    const clash = plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000, clientOrderId: 'resting' }).result;
    assert.ok(!clash.ok && clash.code === 'INVALID_ARGUMENT');
  });

  it('closePosition closes the whole position at trigger, and is cancelled (POSITION_CLOSED) when there is none left', () => {
    const { h, a, m, t } = market();
    long(h, a, m, 3);
    const c = conditionalOf(plan(h, a, { side: 'SELL', triggerDirection: 'FALL', triggerPrice: 599_500, qty: 0, closePosition: true }));
    assert.equal(c.reduceOnly, true);
    h.buy(m, 5, 599_400);
    h.trade(t, m, 'BUY', 1, 599_500);
    assert.equal(h.position(a).qty, 0, 'the whole position closed');
    const flat = conditionalOf(plan(h, a, { side: 'SELL', triggerDirection: 'FALL', triggerPrice: 599_000, qty: 0, closePosition: true }));
    h.apply({ type: 'cancelAll', accountId: m, symbol: BTC });
    const crossing = h.trade(m, t, 'SELL', 1, 599_000);
    const ended = conditionalEvents(crossing, a);
    assert.deepEqual(ended.map((e) => [e.change, e.conditional.conditionalId, e.conditional.reason]), [['CANCELED', flat.conditionalId, 'POSITION_CLOSED']]);
  });
});

describe('take-profit / stop-loss legs', () => {
  it('FULL legs show on the position; the take-profit fires, closes it and cancels its stop-loss (one-cancels-the-other)', () => {
    const { h, a, m, t } = market();
    long(h, a, m, 2);
    const set = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(601_000), stopLoss: leg(599_000) });
    assert.ok(set.result.ok && set.result.kind === 'conditionals' && set.result.conditionals.length === 2);
    const [tp, sl] = set.result.conditionals;
    assert.equal(tp!.kind, 'TAKE_PROFIT');
    assert.equal(tp!.triggerDirection, 'RISE');
    assert.equal(sl!.triggerDirection, 'FALL');
    assert.equal(tp!.ocoId, sl!.conditionalId);
    assert.equal(tp!.qty, 0);
    const positionEvent = set.events.find((e) => e.type === 'position');
    assert.ok(positionEvent?.type === 'position');
    assert.equal(positionEvent.position.takeProfitPrice, 601_000);
    assert.equal(positionEvent.position.stopLossPrice, 599_000);
    assert.equal(h.position(a).takeProfitPrice, 601_000);

    h.buy(m, 2, 600_900);
    const crossing = h.trade(m, t, 'BUY', 1, 601_000);
    const changes = conditionalEvents(crossing, a).map((e) => [e.change, e.conditional.conditionalId, e.conditional.reason]);
    assert.deepEqual(changes, [['TRIGGERED', tp!.conditionalId, 'NONE'], ['CANCELED', sl!.conditionalId, 'OCO_PARTNER_FIRED']]);
    const placed = crossing.events.find((e) => e.type === 'order' && e.accountId === a && e.execType === 'NEW');
    assert.ok(placed?.type === 'order');
    assert.equal(placed.order.origin, 'TAKE_PROFIT');
    assert.equal(placed.order.reduceOnly, true);
    assert.equal(placed.order.qty, 2);
    assert.equal(h.position(a).qty, 0);
    assert.equal(h.position(a).takeProfitPrice, null);
    assert.equal(h.position(a).stopLossPrice, null);
  });

  it('FULL: a leg given again amends it in place, null cancels it, the same values are NO_CHANGE; no position is NO_POSITION', () => {
    const { h, a, m } = market();
    const none = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(601_000) }).result;
    assert.ok(!none.ok && none.code === 'NO_POSITION');
    long(h, a, m, 2);
    const first = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(601_000) });
    assert.ok(first.result.ok && first.result.kind === 'conditionals');
    const id = first.result.conditionals[0]!.conditionalId;
    const moved = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(602_000) });
    assert.ok(moved.result.ok && moved.result.kind === 'conditionals');
    assert.deepEqual(moved.result.conditionals.map((c) => [c.conditionalId, c.triggerPrice]), [[id, 602_000]]);
    const same = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(602_000) }).result;
    assert.ok(!same.ok && same.code === 'NO_CHANGE');
    const wrongSide = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', stopLoss: leg(600_500) }).result;
    assert.ok(!wrongSide.ok && wrongSide.code === 'WOULD_TRIGGER_IMMEDIATELY', 'a long stop-loss above the last price would fire at once');
    const cleared = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: null });
    assert.ok(cleared.result.ok && cleared.result.kind === 'conditionals');
    assert.equal(cleared.result.conditionals[0]!.state, 'CANCELED');
    assert.equal(h.position(a).takeProfitPrice, null);
  });

  it('follow the position: PARTIAL legs shrink with it, and every leg is cancelled when it closes', () => {
    const { h, a, m } = market();
    long(h, a, m, 5);
    const partial = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'PARTIAL', qty: 4, takeProfit: leg(605_000), stopLoss: leg(595_000) });
    assert.ok(partial.result.ok && partial.result.kind === 'conditionals');
    const full = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', stopLoss: leg(594_000) });
    assert.ok(full.result.ok);
    // Selling 2 leaves 3: the PARTIAL legs shrink from 4 to 3.
    h.trade(m, a, 'SELL', 2, 600_000);
    assert.deepEqual(h.view().accounts.find((x) => x.accountId === a)!.conditionals.map((c) => [c.kind, c.tpslMode, c.qty]),
      [['TAKE_PROFIT', 'PARTIAL', 3], ['STOP_LOSS', 'PARTIAL', 3], ['STOP_LOSS', 'FULL', 0]]);
    const closing = h.trade(m, a, 'SELL', 3, 600_000);
    const ended = conditionalEvents(closing, a);
    assert.deepEqual(ended.map((e) => [e.change, e.conditional.reason]), [['CANCELED', 'POSITION_CLOSED'], ['CANCELED', 'POSITION_CLOSED'], ['CANCELED', 'POSITION_CLOSED']]);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 0);
  });

  it('attached to an opening order: armed at its first fill sized to what filled, grown by later fills', () => {
    const { h, a, m } = market();
    const opening = h.apply({
      type: 'placeOrder', accountId: a, symbol: BTC, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 3,
      reduceOnly: false, attachTpsl: { mode: 'PARTIAL', takeProfit: leg(610_000), stopLoss: leg(590_000) },
    });
    assert.equal(orderOf(opening).state, 'NEW');
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 0, 'nothing armed before a fill');
    h.sell(m, 1, 600_000);
    assert.deepEqual(h.view().accounts.find((x) => x.accountId === a)!.conditionals.map((c) => [c.kind, c.qty]), [['TAKE_PROFIT', 1], ['STOP_LOSS', 1]]);
    h.sell(m, 2, 600_000);
    assert.deepEqual(h.view().accounts.find((x) => x.accountId === a)!.conditionals.map((c) => [c.kind, c.qty]), [['TAKE_PROFIT', 3], ['STOP_LOSS', 3]]);
    const bad = h.apply({
      type: 'placeOrder', accountId: a, symbol: BTC, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 1,
      reduceOnly: false, attachTpsl: { mode: 'FULL', takeProfit: leg(599_000) },
    }).result;
    assert.ok(!bad.ok && bad.code === 'WOULD_TRIGGER_IMMEDIATELY', 'a buy\'s take-profit below its price');
  });
});

describe('trailing stops', () => {
  it('track the best price since arming and fire on the retrace by the callback amount', () => {
    const { h, a, m, t } = market();
    long(h, a, m, 1);
    const c = conditionalOf(h.apply({
      type: 'placeConditional', accountId: a, symbol: BTC, kind: 'TRAILING', side: 'SELL', positionSide: 'BOTH', triggerSource: 'LAST',
      orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1, reduceOnly: true, closePosition: false, callbackAmount: 100,
    }));
    assert.equal(c.activated, true);
    assert.equal(c.extremePrice, 600_000);
    assert.equal(c.triggerPrice, 599_900);
    h.trade(m, t, 'BUY', 1, 601_000); // new high: trigger 600_900
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals[0]!.triggerPrice, 600_900);
    h.trade(m, t, 'BUY', 1, 600_950); // not a retrace of 100
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 1);
    h.buy(m, 1, 600_800);
    h.trade(t, m, 'BUY', 1, 600_900);
    assert.equal(h.position(a).qty, 0);
  });

  it('with an activation price and a callback rate: armed when the price reaches it, trigger rounded away from the best price', () => {
    const { h, a, m, t } = market();
    long(h, a, m, 1);
    const c = conditionalOf(h.apply({
      type: 'placeConditional', accountId: a, symbol: BTC, kind: 'TRAILING', side: 'SELL', positionSide: 'BOTH', triggerSource: 'LAST',
      orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1, reduceOnly: true, closePosition: false, activationPrice: 601_000, callbackRate: 1_000_000n,
    }));
    assert.equal(c.activated, false);
    h.trade(m, t, 'BUY', 1, 601_500);
    const armed = h.view().accounts.find((x) => x.accountId === a)!.conditionals[0]!;
    assert.equal(armed.activated, true);
    // 1% below 601_500 is 595_485 exactly.
    assert.equal(armed.triggerPrice, 595_485);
  });
});

describe('snapshots and replay', () => {
  it('a restored engine has the same state hash and fires the same way', () => {
    const { h, a, m, t } = market();
    long(h, a, m, 2);
    h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(601_000), stopLoss: leg(599_000) });
    plan(h, a, { triggerDirection: 'RISE', triggerPrice: 602_000, expireTime: h.time + 10_000 });
    h.apply({
      type: 'placeConditional', accountId: a, symbol: BTC, kind: 'TRAILING', side: 'SELL', positionSide: 'BOTH', triggerSource: 'MARK',
      orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1, reduceOnly: true, closePosition: false, activationPrice: 603_000, callbackAmount: 50,
    });
    const restored = Engine.restore({ symbols: DEMO_SYMBOLS }, h.engine.snapshot());
    assert.equal(restored.stateHash(), h.engine.stateHash());
    h.buy(m, 2, 600_900);
    const next = { type: 'placeOrder', time: h.time, accountId: t, symbol: BTC, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 601_000, qty: 1, reduceOnly: false } as const;
    h.sell(m, 1, 601_000);
    const mirrored = Engine.restore({ symbols: DEMO_SYMBOLS }, h.engine.snapshot());
    const a1 = h.engine.apply(next);
    const a2 = mirrored.apply(next);
    assert.deepEqual(a2.events, a1.events);
    assert.equal(mirrored.stateHash(), h.engine.stateHash());
    assert.ok(a1.events.some((e) => e.type === 'conditional' && e.change === 'TRIGGERED'));
  });
});

describe('triggerIfHolding', () => {
  it('a plan order whose condition already holds is created and fires in the same command', () => {
    const { h, a, m } = market();
    h.sell(m, 1, 600_100);
    const placed = plan(h, a, { triggerDirection: 'RISE', triggerPrice: 599_000, triggerIfHolding: true });
    const c = conditionalOf(placed);
    assert.deepEqual(conditionalEvents(placed, a).map((e) => e.change), ['NEW', 'TRIGGERED']);
    assert.equal(h.position(a).qty, 1);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 0);
    assert.equal(c.conditionalId, placed.events.find((e) => e.type === 'order')?.type === 'order' ? (placed.events.find((e) => e.type === 'order') as { order: { orderId: number } }).order.orderId : -1);
  });
});

describe('FULL legs amended in place', () => {
  it('a leg changed from MARKET to LIMIT becomes GTC, as a new LIMIT leg would be', () => {
    const { h, a, m } = market();
    long(h, a, m, 2);
    h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(601_000) });
    const changed = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(601_000, { orderType: 'LIMIT', price: 600_900 }) });
    assert.ok(changed.result.ok && changed.result.kind === 'conditionals');
    assert.deepEqual([changed.result.conditionals[0]!.orderType, changed.result.conditionals[0]!.timeInForce, changed.result.conditionals[0]!.price], ['LIMIT', 'GTC', 600_900]);
  });
});

describe('attach-on-fill after a reducing first fill', () => {
  it('the legs arm at the first fill that leaves the position on the order\'s side, sized to the opening part', () => {
    const { h, a, m } = market();
    h.trade(m, a, 'SELL', 2, 600_000);
    assert.equal(h.position(a).qty, -2);
    h.apply({
      type: 'placeOrder', accountId: a, symbol: BTC, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 5,
      reduceOnly: false, attachTpsl: { mode: 'PARTIAL', takeProfit: leg(610_000), stopLoss: leg(590_000) },
    });
    h.sell(m, 2, 600_000);
    assert.equal(h.position(a).qty, 0);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 0, 'closing the short armed nothing');
    h.sell(m, 3, 600_000);
    assert.deepEqual(h.view().accounts.find((x) => x.accountId === a)!.conditionals.map((c) => [c.kind, c.side, c.qty]), [['TAKE_PROFIT', 'SELL', 3], ['STOP_LOSS', 'SELL', 3]]);
  });
});

describe('amending an order\'s attached take-profit / stop-loss', () => {
  const opening = (h: Harness, a: number, extra: Record<string, unknown> = {}): number => orderOf(h.apply({
    type: 'placeOrder', accountId: a, symbol: BTC, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 599_000, qty: 3,
    reduceOnly: false, ...extra,
  })).orderId;
  const amend = (h: Harness, a: number, orderId: number, extra: Record<string, unknown>) =>
    h.apply({ type: 'amendOrder', accountId: a, symbol: BTC, orderId, ...extra });
  const refusal = (applied: Applied): string => (applied.result.ok ? 'ok' : applied.result.code);

  it('the order shows what it will arm; a leg is replaced or removed, TP/SL added to an order without, in one AMENDMENT event', () => {
    const { h, a } = market();
    const id = opening(h, a, { attachTpsl: { mode: 'PARTIAL', takeProfit: leg(610_000) } });
    assert.deepEqual(h.view().accounts.find((x) => x.accountId === a)!.orders[0]!.attachTpsl, { mode: 'PARTIAL', takeProfit: leg(610_000) });
    const moved = amend(h, a, id, { tpsl: { takeProfit: leg(612_000), stopLoss: leg(590_000) } });
    const events = mine(moved, a).filter((e) => e.type === 'order');
    assert.deepEqual(events.map((e) => e.type === 'order' && e.execType), ['AMENDMENT']);
    assert.deepEqual(orderOf(moved).attachTpsl, { mode: 'PARTIAL', takeProfit: leg(612_000), stopLoss: leg(590_000) });
    assert.equal(orderOf(moved).price, 599_000, 'price and place in the book unchanged');
    const noTp = amend(h, a, id, { tpsl: { takeProfit: null } });
    assert.deepEqual(orderOf(noTp).attachTpsl, { mode: 'PARTIAL', stopLoss: leg(590_000) });
    assert.equal(orderOf(amend(h, a, id, { tpsl: { stopLoss: null } })).attachTpsl, null, 'no leg left: no TP/SL');
    assert.equal(refusal(amend(h, a, id, { tpsl: { stopLoss: leg(590_000) } })), 'INVALID_ARGUMENT', 'adding to an order without needs a mode');
    assert.deepEqual(orderOf(amend(h, a, id, { tpsl: { mode: 'FULL', stopLoss: leg(590_000) } })).attachTpsl, { mode: 'FULL', stopLoss: leg(590_000) });
    assert.equal(refusal(amend(h, a, id, { tpsl: { stopLoss: leg(590_000) } })), 'NO_CHANGE');
  });

  it('is refused, changing nothing: a leg on the wrong side of the price, a mode change, a new price the legs no longer fit, legs armed already', () => {
    const { h, a, m } = market();
    const id = opening(h, a, { attachTpsl: { mode: 'PARTIAL', takeProfit: leg(610_000), stopLoss: leg(590_000) } });
    const accountView = () => JSON.stringify(h.view().accounts.find((x) => x.accountId === a), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const before = accountView();
    assert.equal(refusal(amend(h, a, id, { tpsl: { takeProfit: leg(598_000) } })), 'WOULD_TRIGGER_IMMEDIATELY', 'a buy\'s take-profit below its price');
    assert.equal(refusal(amend(h, a, id, { tpsl: { mode: 'FULL', takeProfit: leg(611_000) } })), 'INVALID_ARGUMENT');
    assert.equal(refusal(amend(h, a, id, { price: 589_000 })), 'WOULD_TRIGGER_IMMEDIATELY', 'the stop-loss 590_000 would be above the new price');
    assert.equal(accountView(), before);
    h.sell(m, 1, 599_000);
    assert.equal(h.view().accounts.find((x) => x.accountId === a)!.conditionals.length, 2, 'armed at the first fill');
    assert.equal(refusal(amend(h, a, id, { tpsl: { takeProfit: leg(611_000) } })), 'ORDER_NOT_AMENDABLE');
    assert.ok(amend(h, a, id, { price: 589_000 }).result.ok, 'once armed, the order moves freely: its legs are on the position');
  });

  it('the amended legs are the ones armed at the fill', () => {
    const { h, a, m } = market();
    const id = opening(h, a, { attachTpsl: { mode: 'FULL', takeProfit: leg(610_000) } });
    amend(h, a, id, { tpsl: { takeProfit: leg(615_000), stopLoss: leg(580_000) } });
    h.sell(m, 3, 599_000);
    assert.equal(h.position(a).takeProfitPrice, 615_000);
    assert.equal(h.position(a).stopLossPrice, 580_000);
  });

  it('a plan order\'s TP/SL change the same way (amendConditional tpsl); other kinds have none', () => {
    const { h, a, m } = market();
    const c = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000, orderType: 'LIMIT', price: 601_000, timeInForce: 'GTC' }));
    const amended = h.apply({ type: 'amendConditional', accountId: a, symbol: BTC, conditionalId: c.conditionalId, tpsl: { mode: 'FULL', takeProfit: leg(620_000) } });
    assert.deepEqual(conditionalOf(amended).attachTpsl, { mode: 'FULL', takeProfit: leg(620_000) });
    assert.deepEqual(conditionalEvents(amended, a).map((e) => e.change), ['AMENDED']);
    long(h, a, m, 1);
    const tp = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(630_000) });
    assert.ok(tp.result.ok && tp.result.kind === 'conditionals');
    const onLeg = h.apply({ type: 'amendConditional', accountId: a, symbol: BTC, conditionalId: tp.result.conditionals[0]!.conditionalId, tpsl: { stopLoss: leg(590_000) } });
    assert.equal(refusal(onLeg), 'INVALID_ARGUMENT');
  });
});

describe('TP/SL pair ids and the margin mode conditional orders show', () => {
  it('a position\'s TP/SL keep their pair id when a leg is cancelled and set again', () => {
    const { h, a, m } = market();
    long(h, a, m, 2);
    const set = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(610_000), stopLoss: leg(590_000) });
    assert.ok(set.result.ok && set.result.kind === 'conditionals');
    const [tp, sl] = set.result.conditionals;
    assert.equal(tp!.pairId, tp!.conditionalId);
    assert.equal(sl!.pairId, tp!.conditionalId, 'the pair is named by its first leg');
    h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: null });
    const again = h.apply({ type: 'setPositionTpsl', accountId: a, symbol: BTC, positionSide: 'BOTH', mode: 'FULL', takeProfit: leg(611_000) });
    assert.ok(again.result.ok && again.result.kind === 'conditionals');
    const newTp = again.result.conditionals[0]!;
    assert.notEqual(newTp.conditionalId, tp!.conditionalId);
    assert.equal(newTp.pairId, tp!.conditionalId, 'the new leg joins the pair under its id');
    const lone = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000 }));
    assert.equal(lone.pairId, lone.conditionalId);
  });

  it('show the margin mode the account had on the symbol when they were created', () => {
    const { h, a } = market();
    assert.equal(conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000 })).marginMode, 'CROSSED');
    assert.ok(h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' }).result.ok);
    assert.equal(conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_500 })).marginMode, 'ISOLATED');
  });
});

describe('position mode with waiting conditional orders', () => {
  it('a waiting conditional order blocks the change of position mode, as an open order does; cancelled, the change goes through', () => {
    const { h, a } = market();
    const c = conditionalOf(plan(h, a, { triggerDirection: 'RISE', triggerPrice: 601_000 }));
    const refused = h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' }).result;
    assert.ok(!refused.ok && refused.code === 'HAS_OPEN_POSITION_OR_ORDER');
    assert.ok(h.apply({ type: 'cancelConditional', accountId: a, symbol: BTC, conditionalId: c.conditionalId }).result.ok);
    assert.ok(h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' }).result.ok);
  });
});
