/**
 * Funding settlement (docs/engine-rules.md, "Funding settlement"), with worked numbers:
 * who pays whom, the exact zero-sum rounding, the events each account gets and their order,
 * isolated margin, hedge mode, which positions take part, and refusals.
 *
 * BTC_USDT: K = 1000 units per contract-tick; 10 contracts at mark 600,000 ticks (60,000 USDT) are
 * worth 10 × 600,000 × 1000 = 6 × 10^9 units (60 USDT); at F = 0.01% they pay 600,000 units (0.006 USDT).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRate } from '../../src/engine/fixed.js';
import type { BalanceEvent, PositionEvent } from '../../src/engine/types.js';
import { BTC, errorOf, eventsOf, labels, usdt } from '../engine/helpers.js';
import { EIGHT_HOURS, GRID, Harness, V, fundingEvents } from './helpers.js';

const rate = parseRate;
const fees = (events: Parameters<typeof fundingEvents>[0]): [number, bigint][] => fundingEvents(events).map((e) => [e.accountId, e.fundingFee]);

describe('settleFunding: who pays, how much, and what is pushed', () => {
  it('positive F: the long pays the short notional at mark × F; funding, position, balance per account, in account order', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.open(a, b, 10, 600_000, BTC);
    h.mark(600_000);
    const before = { a: h.wallet(a).walletBalance, b: h.wallet(b).walletBalance, aPnl: h.position(a).realizedPnlCurrent };
    const settled = h.settle(BTC);
    assert.deepEqual(labels(settled.events), [`a${a} funding`, `a${a} position`, `a${a} balance`, `a${b} funding`, `a${b} position`, `a${b} balance`]);
    assert.ok(settled.events.every((e) => e.reason === 'FUNDING_FEE' && e.time === GRID));
    const [fa, fb] = fundingEvents(settled.events);
    assert.deepEqual({ ...fa, seq: 0 }, {
      type: 'funding', accountId: a, seq: 0, cmdSeq: settled.cmdSeq, time: GRID, reason: 'FUNDING_FEE',
      symbol: BTC, positionSide: 'BOTH', fundingTime: GRID, qty: 10, markPrice: 600_000, fundingRate: rate('0.0001'), fundingFee: -600_000n,
    });
    assert.deepEqual([fb!.qty, fb!.fundingFee], [-10, 600_000n]);
    const [ba, bb] = eventsOf(settled.events, 'balance') as BalanceEvent[];
    assert.deepEqual([ba!.walletChange, ba!.balance.walletBalance], [-600_000n, before.a - 600_000n]);
    assert.deepEqual([bb!.walletChange, bb!.balance.walletBalance], [600_000n, before.b + 600_000n]);
    const [pa, pb] = eventsOf(settled.events, 'position') as PositionEvent[];
    assert.deepEqual([pa!.position.fundingTotal, pa!.position.realizedPnlCurrent, pa!.position.updateTime], [-600_000n, before.aPnl - 600_000n, GRID]);
    assert.equal(pb!.position.fundingTotal, 600_000n);
    // Money moved between the two only: the fee account did not change, the audit (conservation) holds.
    h.audit();
  });

  it('negative F: the short pays the long', () => {
    const h = new Harness({ pricing: { interestRate: '-0.0002' } });
    const long = h.account('1000');
    const short = h.account('1000');
    h.open(long, short, 10, 30_000);
    h.mark(30_000, V);
    // 10 × 30,000 × 100,000 = 3 × 10^10 units (300 USDT) × 0.02% = 6,000,000 (0.06 USDT).
    assert.deepEqual(fees(h.settle(V).events), [[long, 6_000_000n], [short, -6_000_000n]]);
    assert.equal(h.engine.prices(V, h.time)!.lastFundingRate, rate('-0.0002'));
  });

  it('rounding: payers round up, the receivers share the total by largest remainder, ties to the lower account id', () => {
    const h = new Harness();
    const s1 = h.account('1000');
    const s2 = h.account('1000');
    const s3 = h.account('1000');
    const long = h.account('1000');
    for (const s of [s1, s2, s3]) h.open(long, s, 1, 600_000, BTC);
    h.mark(600_001);
    // Per contract 600,001 × 1000 × 0.0001 = 60,000.1 units: the long owes 180,000.3 → pays 180,001;
    // each short's claim is 60,000.1: 60,000 each and the one unit left to the lowest id.
    assert.deepEqual(fees(h.settle(BTC).events), [[s1, 60_001n], [s2, 60_000n], [s3, 60_000n], [long, -180_001n]]);
    h.audit();
  });

  it('larger remainders first: shares 2 : 1 of a total that does not divide', () => {
    const h = new Harness();
    const big = h.account('1000');
    const small = h.account('1000');
    const long = h.account('1000');
    h.open(long, big, 2, 600_001, BTC);
    h.open(long, small, 1, 600_001, BTC);
    h.mark(600_001);
    // Long owes 3 × 60,000.1 = 180,000.3 → 180,001. Shares 120,000.67 and 60,000.33: floors 120,000 and
    // 60,000, the unit left goes to the larger remainder (big).
    assert.deepEqual(fees(h.settle(BTC).events), [[big, 120_001n], [small, 60_000n], [long, -180_001n]]);
  });

  it('isolated positions take the fee from and to their isolated margin', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    for (const id of [a, b]) h.apply({ type: 'setMarginMode', accountId: id, symbol: BTC, marginMode: 'ISOLATED' });
    h.open(a, b, 10, 600_000, BTC);
    h.mark(600_000);
    const margins = [h.position(a).margin, h.position(b).margin];
    const isolated = [h.wallet(a).isolatedMargin, h.wallet(b).isolatedMargin];
    h.settle(BTC);
    assert.deepEqual([h.position(a).margin, h.position(b).margin], [margins[0]! - 600_000n, margins[1]! + 600_000n]);
    assert.deepEqual([h.wallet(a).isolatedMargin, h.wallet(b).isolatedMargin], [isolated[0]! - 600_000n, isolated[1]! + 600_000n]);
    h.audit();
  });

  it('a payment larger than the isolated margin empties it and takes the rest from the cross part of the wallet', () => {
    // F = 50% (clamp and cap raised for the test): far beyond any margin at 20x.
    const h = new Harness({ pricing: { interestRate: '0.5', premiumClamp: '0.9', fundingRateCap: '0.9' } });
    const a = h.account('1000');
    const b = h.account('1000');
    for (const id of [a, b]) h.apply({ type: 'setMarginMode', accountId: id, symbol: V, marginMode: 'ISOLATED' });
    h.open(a, b, 10, 30_000);
    h.mark(30_000, V);
    // Margin at 20x: 3 × 10^10 / 20 = 1.5 × 10^9 (15 USDT). Fee: 3 × 10^10 × 0.5 = 1.5 × 10^10 (150 USDT).
    assert.equal(h.position(a, V).margin, usdt('15'));
    assert.deepEqual(fees(h.settle(V).events), [[a, -usdt('150')], [b, usdt('150')]]);
    assert.deepEqual([h.position(a, V).margin, h.wallet(a).isolatedMargin, h.wallet(a).walletBalance], [0n, 0n, usdt('850')]);
    assert.deepEqual([h.position(b, V).margin, h.wallet(b).isolatedMargin, h.wallet(b).walletBalance], [usdt('165'), usdt('165'), usdt('1150')]);
    h.audit();
  });

  it('hedge mode: each side settles on its own; one balance event with the net change', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    for (const id of [a, b]) h.apply({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' });
    h.open(a, b, 5, 30_000, V, ['LONG', 'SHORT']);
    h.open(b, a, 3, 30_000, V, ['LONG', 'SHORT']);
    h.mark(30_000, V);
    const settled = h.settle(V);
    // Per contract 30,000 × 100,000 × 0.0001 = 300,000 units.
    assert.deepEqual(labels(settled.events), [
      `a${a} funding`, `a${a} funding`, `a${a} position`, `a${a} position`, `a${a} balance`,
      `a${b} funding`, `a${b} funding`, `a${b} position`, `a${b} position`, `a${b} balance`,
    ]);
    assert.deepEqual(fundingEvents(settled.events).map((e) => [e.accountId, e.positionSide, e.qty, e.fundingFee]), [
      [a, 'LONG', 5, -1_500_000n], [a, 'SHORT', -3, 900_000n], [b, 'LONG', 3, -900_000n], [b, 'SHORT', -5, 1_500_000n],
    ]);
    assert.deepEqual(eventsOf(settled.events, 'balance').map((e) => e.walletChange), [-600_000n, 600_000n]);
  });

  it('only positions open at the settlement take part; fundingTotal restarts when a position reopens from flat', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.open(a, b, 10, 30_000);
    h.open(c, a, 10, 30_000); // a closes; c is long, b short
    h.mark(30_000, V);
    assert.deepEqual(fees(h.settle(V).events).map(([id]) => id), [b, c]);
    assert.equal(h.position(c, V).fundingTotal, -3_000_000n);
    h.advance(EIGHT_HOURS);
    h.open(b, c, 10, 30_000); // c closes, b flat too
    h.open(c, b, 4, 30_000); // c reopens long
    assert.equal(h.position(c, V).fundingTotal, 0n);
    assert.deepEqual(fees(h.settle(V).events), [[b, 1_200_000n], [c, -1_200_000n]]);
    assert.equal(h.position(a, V).fundingTotal, 0n);
  });

  it('F = 0 moves nothing and pushes nothing, but is a settlement (samples restart, the time is recorded)', () => {
    const h = new Harness({ pricing: { interestRate: '0' } });
    const a = h.account('1000');
    const b = h.account('1000');
    h.open(a, b, 10, 30_000);
    assert.deepEqual(h.settle(V).events, []);
    const info = h.engine.prices(V, h.time)!;
    assert.deepEqual([info.lastFundingRate, info.lastFundingTime, info.nextFundingTime], [0n, GRID, GRID + EIGHT_HOURS]);
  });

  it('values the notional at the last trade price when no mark was ever set', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.open(a, b, 10, 30_000);
    assert.equal(h.markOf(), null);
    const [fa] = fundingEvents(h.settle(V).events);
    assert.deepEqual([fa!.markPrice, fa!.fundingFee], [30_000, -3_000_000n]);
  });

  it('refuses a funding time in the future, not whole, or not after the last settlement, changing nothing', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.open(a, b, 10, 30_000);
    h.settle(V, GRID - 1000);
    const before = h.stateKey();
    for (const fundingTime of [GRID + 1, 1.5, -1, GRID - 1000, GRID - 2000]) {
      assert.equal(errorOf(h.apply({ type: 'settleFunding', symbol: V, fundingTime })), 'INVALID_ARGUMENT', `fundingTime ${fundingTime}`);
    }
    assert.equal(h.stateKey(), before);
    assert.equal(h.settle(V, GRID).events.length, 6);
    assert.equal(errorOf(h.apply({ type: 'settleFunding', symbol: V })), 'INVALID_ARGUMENT', 'already settled at this time');
  });
});

describe('funding times', () => {
  it('lie on the grid k × interval + offset: 00/08/16 UTC by default, 04/12/20 with a 4-hour offset, hourly with a 1-hour interval', () => {
    // GRID is 16:00 UTC.
    assert.equal(new Harness().engine.prices(V, GRID)!.nextFundingTime, GRID + EIGHT_HOURS);
    assert.equal(new Harness().engine.prices(V, GRID - 1)!.nextFundingTime, GRID);
    assert.equal(new Harness({ pricing: { fundingOffsetMinutes: 240 } }).engine.prices(V, GRID)!.nextFundingTime, GRID + EIGHT_HOURS / 2);
    assert.equal(new Harness({ pricing: { fundingIntervalMinutes: 60 } }).engine.prices(V, GRID + 1)!.nextFundingTime, GRID + EIGHT_HOURS / 8);
  });

  it('after a settlement the next one is the grid time after it, whenever it was settled', () => {
    const h = new Harness();
    h.advance(1234);
    h.settle(V);
    assert.equal(h.engine.prices(V, h.time)!.nextFundingTime, GRID + EIGHT_HOURS);
    h.advance(3 * EIGHT_HOURS);
    assert.equal(h.engine.prices(V, h.time)!.nextFundingTime, GRID + EIGHT_HOURS, 'overdue: still the one after the last settlement');
    h.settle(V, GRID + 3 * EIGHT_HOURS);
    assert.equal(h.engine.prices(V, h.time)!.nextFundingTime, GRID + 4 * EIGHT_HOURS);
  });

  it('rejects a pricing configuration it cannot use, naming the field', () => {
    assert.throws(() => new Harness({ pricing: { fundingOffsetMinutes: 480 } }), /fundingOffsetMinutes/);
    assert.throws(() => new Harness({ pricing: { basisWindow: 0 } }), /basisWindow/);
    assert.throws(() => new Harness({ pricing: { markMethod: 'LAST' as never } }), /markMethod/);
    assert.throws(() => new Harness({ pricing: { fundingRateCap: '0' } }), /fundingRateCap/);
    assert.throws(() => new Harness({ pricing: { impactMarginNotional: '-1' } }), /impactMarginNotional/);
  });
});
