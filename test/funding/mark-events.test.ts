/**
 * Mark-price-driven position events (docs/engine-rules.md, "Mark-price events"): reason
 * MARK_PRICE, only open positions of the symbol, at most one per position per markEventIntervalMs
 * of engine time, never a repeat of the mark already shown, catch-up on a tick.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PositionEvent } from '../../src/engine/types.js';
import { eventsOf, labels } from '../engine/helpers.js';
import { Harness, V } from './helpers.js';

const K = 100_000n; // V_USDT units per contract-tick

function setup(options: ConstructorParameters<typeof Harness>[0] = {}): { h: Harness; a: number; b: number; c: number } {
  const h = new Harness(options);
  const a = h.account('100000');
  const b = h.account('100000');
  const c = h.account('100000');
  h.buy(c, 1, 20_000, { symbol: V }); // c has a resting order (a position record) but nothing open
  h.open(a, b, 10, 30_000);
  return { h, a, b, c };
}

const marks = (events: readonly PositionEvent[]): [number, string, number, bigint][] =>
  events.map((e) => [e.accountId, e.reason, e.position.markPrice, e.position.unrealizedPnl]);

describe('MARK_PRICE position events', () => {
  it('a mark change pushes each open position of the symbol once, in account order, with the mark-derived fields', () => {
    const { h, a, b } = setup();
    const applied = h.mark(30_100, V);
    assert.deepEqual(labels(applied.events), [`a${a} position`, `a${b} position`]);
    const events = eventsOf(applied.events, 'position');
    // uPnL: long 10 × (30,100 − 30,000) × K = 100,000,000 (1 USDT); the short the opposite.
    assert.deepEqual(marks(events), [[a, 'MARK_PRICE', 30_100, 1000n * K], [b, 'MARK_PRICE', 30_100, -1000n * K]]);
    assert.equal(events[0]!.position.qty, 10);
    assert.equal(events[0]!.previousQty, 10);
    h.audit();
  });

  it('at most one per position per markEventIntervalMs (default 1000 ms); the same mark is never pushed twice', () => {
    const { h } = setup();
    assert.equal(h.mark(30_100, V).events.length, 2);
    h.advance(999);
    assert.deepEqual(h.mark(30_200, V).events, [], 'too soon');
    h.advance(1);
    assert.equal(h.mark(30_300, V).events.length, 2, 'a second later');
    h.advance(5000);
    assert.deepEqual(h.mark(30_300, V).events, [], 'unchanged mark');
    h.advance(1000);
    assert.equal(h.mark(30_250, V).events.length, 2);
    h.advance(500);
    assert.deepEqual(h.mark(30_200, V).events, [], 'held back');
    h.advance(500);
    // Back to 30,250, the mark the positions last showed: nothing to push.
    assert.deepEqual(h.mark(30_250, V).events, []);
    h.advance(1000);
    assert.equal(h.mark(30_260, V).events.length, 2);
  });

  it('markEventIntervalMs 0 pushes every change', () => {
    const { h } = setup({ markEventIntervalMs: 0 });
    for (const price of [30_100, 30_200, 30_300]) assert.equal(h.mark(price, V).events.length, 2);
  });

  it('nothing for other symbols, flat positions or accounts without positions', () => {
    const { h, a, b } = setup();
    assert.deepEqual(h.mark(600_000, 'btc_usdt').events, []);
    // b closes its short: from then on only a's long is pushed... and a closes too: nothing.
    h.trade(a, b, 'BUY', 10, 30_000, { symbol: V }, { symbol: V });
    h.advance(1000);
    assert.deepEqual(h.mark(30_500, V).events, []);
  });

  it('hedge mode: the LONG and SHORT of one account are both pushed, LONG first', () => {
    const h = new Harness();
    const a = h.account('100000');
    const b = h.account('100000');
    for (const id of [a, b]) h.apply({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' });
    h.open(a, b, 5, 30_000, V, ['LONG', 'SHORT']);
    h.open(b, a, 3, 30_000, V, ['LONG', 'SHORT']);
    const events = eventsOf(h.mark(30_100, V).events, 'position');
    assert.deepEqual(events.map((e) => [e.accountId, e.position.positionSide, e.position.qty]), [[a, 'LONG', 5], [a, 'SHORT', -3], [b, 'LONG', 3], [b, 'SHORT', -5]]);
  });

  it('a tick catches up positions whose last update was held back, once the interval has passed', () => {
    const { h, a, b } = setup({ pricing: { markMethod: 'INDEX' } });
    assert.equal(h.index(30_100).events.length, 2);
    h.advance(300);
    assert.deepEqual(h.index(30_200).events, [], 'held back');
    h.advance(300);
    assert.deepEqual(h.tick().events, [], 'still too soon');
    h.advance(400);
    const caught = eventsOf(h.tick().events, 'position');
    assert.deepEqual(marks(caught), [[a, 'MARK_PRICE', 30_200, 2000n * K], [b, 'MARK_PRICE', 30_200, -2000n * K]]);
    h.advance(1000);
    assert.deepEqual(h.tick().events, [], 'up to date');
  });

  it('other events keep their own reason and reset nothing: a trade right after a mark update still pushes the position', () => {
    const { h, a, b } = setup();
    h.mark(30_100, V);
    const trade = h.trade(b, a, 'BUY', 1, 30_100, { symbol: V }, { symbol: V });
    assert.ok(eventsOf(trade.events, 'position').every((e) => e.reason === 'ORDER' && e.position.markPrice === 30_100));
  });
});
