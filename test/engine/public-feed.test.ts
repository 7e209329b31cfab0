/**
 * The engine's public events beyond trades and books (src/engine/public-feed.ts): open interest kept
 * by every fill (opening, closing, a one-way flip, a hedge pair, ADL) and published once per command
 * when it changed; `prices` when a mark, index or premium index changed; a liquidation order's
 * `liquidation` event after its trades; and a restored engine that publishes exactly what the
 * uninterrupted one does. The harness audits after every command (audit.ts checks the open interest
 * against the positions).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import type { PublicEvent } from '../../src/engine/types.js';
import { BTC, Harness } from './helpers.js';
import { RiskHarness, spec } from '../risk/support.js';

/** The risk tests' symbol: a tick is 1 USDT, a contract 1 unit, no fees; tiers 1 % / 2 % / 5 % (risk/liquidation.test.ts). */
const SYMBOL = spec({
  maxLeverage: 50,
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 50 },
    { notionalFloor: '10000', maintenanceMarginRate: '0.02', maxLeverage: 25 },
    { notionalFloor: '50000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  ],
});
const of = <T extends PublicEvent['type']>(events: readonly PublicEvent[], type: T): Extract<PublicEvent, { type: T }>[] =>
  events.filter((e): e is Extract<PublicEvent, { type: T }> => e.type === type);
const oi = (h: Harness, symbol = BTC): number => h.engine.prices(symbol, h.time)!.openInterest;

describe('open interest', () => {
  test('Σ of the long contracts, moved by opening, closing and flipping fills, published when it changed', () => {
    const h = new Harness();
    const [a, b, c] = [h.account('1000000'), h.account('1000000'), h.account('1000000')];
    h.mark(600_000);
    assert.equal(oi(h), 0);
    // a buys 3 from b: a long 3, b short 3.
    let applied = h.trade(b, a, 'BUY', 3, 600_000);
    assert.equal(oi(h), 3);
    assert.deepEqual(of(applied.market, 'openInterest').map((e) => e.openInterest), [3]);
    // c buys 2 from a: a closes 2 (long 1), c opens 2 (long 2): unchanged, nothing published.
    applied = h.trade(a, c, 'BUY', 2, 600_000);
    assert.equal(oi(h), 3);
    assert.deepEqual(of(applied.market, 'openInterest'), []);
    // b buys 5 from c: b closes its short 3 and flips to long 2, c closes 2 and goes short 3: longs a 1 + b 2.
    applied = h.trade(c, b, 'BUY', 5, 600_000);
    assert.equal(oi(h), 3);
    // a sells its last 1 to b: longs b 3; shorts c 3.
    applied = h.trade(b, a, 'SELL', 1, 600_000);
    assert.equal(oi(h), 3);
    // c buys 3 back from b: flat everywhere.
    applied = h.trade(b, c, 'BUY', 3, 600_000);
    assert.equal(oi(h), 0);
    assert.deepEqual(of(applied.market, 'openInterest').map((e) => [e.symbol, e.openInterest, e.time]), [[BTC, 0, h.time]]);
    // The public events come before the command's book updates.
    const types = applied.market.map((e) => e.type);
    assert.ok(types.lastIndexOf('openInterest') < types.indexOf('book'));
  });

  test('hedge mode: a long leg and a short leg of one account both count on their side', () => {
    const h = new Harness({ defaultPositionMode: 'HEDGE' });
    const [a, b] = [h.account('1000000'), h.account('1000000')];
    h.mark(600_000);
    h.trade(b, a, 'BUY', 4, 600_000, { positionSide: 'LONG' }, { positionSide: 'SHORT' });
    h.trade(a, b, 'BUY', 1, 600_000, { positionSide: 'LONG' }, { positionSide: 'SHORT' });
    // a: LONG 4, SHORT 1; b: SHORT 4, LONG 1.
    assert.equal(oi(h), 5);
  });

  test('ADL moves it like any fill, and a restored engine keeps it and publishes what the original does', () => {
    const h = new RiskHarness('vec_usdt', { symbols: [SYMBOL] });
    const a = h.account('1000');
    const b = h.account('100000');
    h.setup(a, { isolated: true, leverage: 10 });
    h.open(b, a, 'BUY', 1, 1000);
    h.markAt(1000);
    assert.equal(oi(h, 'vec_usdt'), 1);
    // No bid at all: the long is taken over and deleveraged against b's short at the bankruptcy price.
    const applied = h.markAt(850);
    assert.equal(h.pos(a).qty, 0);
    assert.equal(oi(h, 'vec_usdt'), 0);
    assert.deepEqual(of(applied.market, 'openInterest').map((e) => e.openInterest), [0]);
    assert.deepEqual(of(applied.market, 'liquidation'), [], 'ADL is off the book: no public liquidation');

    // A snapshot midway: the restored engine has the same open interest and publishes the same events.
    const c = h.account('100000');
    h.open(c, b, 'BUY', 2, 900);
    assert.equal(oi(h, 'vec_usdt'), 2);
    const restored = Engine.restore({ symbols: [SYMBOL] }, h.engine.snapshot());
    assert.equal(restored.prices('vec_usdt', h.time)!.openInterest, oi(h, 'vec_usdt'));
    restored.audit();
    for (const price of [905, 905, 880]) {
      const command = { type: 'setMarkPrice', symbol: 'vec_usdt', price, time: h.time } as const;
      assert.deepEqual(restored.apply(command).market, h.engine.apply(command).market);
    }
    const close = { type: 'placeOrder', accountId: b, symbol: 'vec_usdt', side: 'SELL', positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: 2, reduceOnly: false, time: h.time } as const;
    h.on(c, 'BUY', 2, 880);
    restored.apply({ type: 'placeOrder', accountId: c, symbol: 'vec_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 880, qty: 2, reduceOnly: false, time: h.time });
    const closed = h.engine.apply(close);
    assert.deepEqual(restored.apply(close).market, closed.market);
    assert.deepEqual(of(closed.market, 'openInterest').map((e) => e.openInterest), [0]);
  });
});

describe('prices and liquidations', () => {
  test('a prices event when the mark, the index or the premium index changed; none when nothing did', () => {
    const h = new Harness();
    let applied = h.mark(600_000);
    assert.deepEqual(of(applied.market, 'prices').map((e) => [e.symbol, e.markPrice, e.indexPrice, e.premiumIndex]), [[BTC, 600_000, null, null]]);
    applied = h.mark(600_000);
    assert.deepEqual(of(applied.market, 'prices'), []);
    applied = h.apply({ type: 'setIndexPrice', symbol: BTC, price: 599_000 });
    const [prices] = of(applied.market, 'prices');
    assert.equal(prices?.indexPrice, 599_000);
    // The mark follows the index (MEDIAN with no samples: the index) and the event shows both as they ended.
    assert.equal(prices?.markPrice, h.engine.prices(BTC, h.time)!.markPrice);
    h.advance(5000);
    applied = h.apply({ type: 'sampleRisk', symbol: BTC });
    const [sampled] = of(applied.market, 'prices');
    assert.equal(sampled?.premiumIndex, h.engine.prices(BTC, h.time)!.premiumIndex, 'the premium sample is published');
  });

  test('a liquidation order through the book: its trades, then one liquidation event with its fills and the bankruptcy price', () => {
    const h = new RiskHarness('vec_usdt', { symbols: [SYMBOL] });
    const a = h.account('1000');
    const b = h.account('100000');
    h.setup(a, { isolated: true, leverage: 10 });
    h.open(b, a, 'BUY', 2, 1000);
    h.markAt(1000);
    const c = h.account('100000');
    h.on(c, 'BUY', 1, 906);
    h.on(c, 'BUY', 1, 905);
    const applied = h.markAt(905);
    const types = applied.market.map((e) => e.type);
    assert.deepEqual(types.filter((t) => t === 'publicTrade' || t === 'liquidation'), ['publicTrade', 'publicTrade', 'liquidation']);
    const [liquidation] = of(applied.market, 'liquidation');
    assert.deepEqual(liquidation, {
      type: 'liquidation', symbol: 'vec_usdt', side: 'SELL', price: liquidation!.price, qty: 2, filled: 2, cumQuote: 906n + 905n, cumCost: 906n + 905n, lastQty: 1,
      bankruptcyPrice: 900, state: 'FILLED', time: h.time,
    });
    assert.ok(liquidation!.price <= 905, 'the order went as deep as the book it took');
  });
});
