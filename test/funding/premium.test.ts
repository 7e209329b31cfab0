/**
 * Premium index pieces: the impact price walk over a real engine book (whole levels, the fraction
 * of the last one, too thin a side), the premium with a missing side, the linear TWAP weights,
 * interval scaling and the sampling slots.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAmount, parseRate } from '../../src/engine/fixed.js';
import { averagePremium, fundingRate, impactPrice, premiumIndex } from '../../src/engine/premium.js';
import { compare, ratio, whole } from '../../src/engine/rational.js';
import { EIGHT_HOURS, Harness, V } from './helpers.js';

const rate = parseRate;
const K = 100_000n; // V_USDT: units per contract-tick

/** The levels of one side of the engine's V book, best first, as the engine walks them. */
function depth(h: Harness, side: 'bids' | 'asks'): { price: number; qty: number }[] {
  return h.book(V)[side].map((level) => ({
    price: level.price,
    qty: level.orderIds.reduce((sum, id) => {
      const order = h.view().accounts.flatMap((a) => a.orders).find((o) => o.orderId === id)!;
      return sum + order.qty - order.executedQty;
    }, 0),
  }));
}

describe('impact price: the average fill price of the impact notional over the book', () => {
  it('walks whole levels best first, then the fraction of a contract the notional needs', () => {
    const h = new Harness();
    const maker = h.account('10000000');
    h.buy(maker, 1000, 30_010, { symbol: V });
    h.buy(maker, 100, 30_020, { symbol: V });
    h.buy(maker, 5, 29_000, { symbol: V });
    const bids = depth(h, 'bids');
    assert.deepEqual(bids, [{ price: 30_020, qty: 100 }, { price: 30_010, qty: 1000 }, { price: 29_000, qty: 5 }]);
    // 25,000 USDT: 100 contracts at 30,020 (3,002 USDT), then 21,998 USDT at 30,010 = 21,998/30.01 contracts.
    // Average = 25,000 / (0.1 + 21,998/30,010) = 25,000 × 1,000 × 30,010 / (100 × 30,010 + 21,998 × 1,000).
    const impact = impactPrice(bids, parseAmount('25000'), K)!;
    assert.equal(compare(impact, ratio(25_000n * 1_000n * 30_010n, 100n * 30_010n + 21_998n * 1_000n)), 0);
    // A notional that ends exactly at a level boundary is that average of whole levels.
    const boundary = impactPrice(bids, parseAmount('3002') + parseAmount('30010'), K)!;
    assert.equal(compare(boundary, ratio((3_002n + 30_010n) * 1_000n, 1_100n)), 0);
  });

  it('is absent when the side is thinner than the notional', () => {
    const h = new Harness();
    const maker = h.account('10000000');
    h.sell(maker, 100, 30_100, { symbol: V });
    assert.equal(impactPrice(depth(h, 'asks'), parseAmount('25000'), K), null);
    assert.equal(impactPrice([], parseAmount('1'), K), null);
  });
});

describe('premium index', () => {
  it('only the impact price beyond the index counts; a missing side counts 0', () => {
    assert.equal(premiumIndex(30_000, whole(30_015), whole(30_021)), rate('0.0005'));
    // Both impact prices below the index: P = −(I − IA)/I.
    assert.equal(premiumIndex(30_000, whole(29_970), whole(29_985)), rate('-0.0005'));
    // Index inside the impact spread: 0.
    assert.equal(premiumIndex(30_000, whole(29_990), whole(30_010)), 0n);
    assert.equal(premiumIndex(30_000, null, whole(29_970)), rate('-0.001'));
    assert.equal(premiumIndex(30_000, whole(30_030), null), rate('0.001'));
    assert.equal(premiumIndex(30_000, null, null), 0n);
  });

  it('rounds to 10^-8 half away from zero', () => {
    // 1/30,000 = 0.0000333…: 3,333.33 → 3,333; 1/600,000 = 166.67 → 167; 1/200,000,000 = 0.5 → 1 (−1 below).
    assert.equal(premiumIndex(30_000, whole(30_001), null), 3_333n);
    assert.equal(premiumIndex(600_000, whole(600_001), null), 167n);
    assert.equal(premiumIndex(200_000_000, whole(200_000_001), null), 1n);
    assert.equal(premiumIndex(200_000_000, null, whole(199_999_999)), -1n);
  });
});

describe('time-weighted premium: P̄ = Σ i·P_i / Σ i', () => {
  it('weights later samples linearly more', () => {
    // Samples 0.01%, 0.02%, 0.06%: (1×0.01 + 2×0.02 + 3×0.06) / 6 = 0.23/6 % = 0.038333…% → 38,333 units.
    const samples = [rate('0.0001'), rate('0.0002'), rate('0.0006')];
    const weighted = samples.reduce((sum, p, i) => sum + BigInt(i + 1) * p, 0n);
    assert.equal(averagePremium(3, weighted), 38_333n);
    assert.equal(averagePremium(0, 0n), 0n);
    assert.equal(averagePremium(1, rate('-0.0007')), rate('-0.0007'));
  });

  it('the engine accumulates one sample per premium slot (5 s), with the sample number as weight', () => {
    const h = new Harness();
    const maker = h.account('10000000');
    h.buy(maker, 2000, 30_015, { symbol: V });
    h.sell(maker, 2000, 30_021, { symbol: V });
    h.index(30_000);
    h.tick(V); // slot 0: P = 0.05%
    h.advance(4_000);
    h.tick(V); // same slot (GRID is a multiple of 5 s): no sample
    assert.equal(h.engine.prices(V, h.time)!.premiumSamples, 1);
    h.advance(1_000);
    h.index(29_985); // the impact bid 30,015 is now 30 above the index: P = 30/29,985 = 0.10005…% → 100,050 units
    h.tick(V);
    const info = h.engine.prices(V, h.time)!;
    assert.equal(info.premiumSamples, 2);
    assert.equal(info.premiumIndex, 100_050n);
    // P̄ = (1 × 50,000 + 2 × 100,050) / 3 = 83,366.67 → 83,367.
    assert.equal(info.averagePremium, 83_367n);
    // F = P̄ + clamp(0.01% − P̄, ±0.05%) = 83,367 − 50,000 = 33,367.
    assert.equal(info.predictedFundingRate, 33_367n);
    // A settlement uses it and starts the next interval without samples.
    h.settle(V);
    const after = h.engine.prices(V, h.time)!;
    assert.deepEqual([after.lastFundingRate, after.premiumSamples, after.averagePremium, after.predictedFundingRate], [33_367n, 0, 0n, rate('0.0001')]);
  });
});

describe('funding rate: interval scaling and the no-sample rule', () => {
  const config = { interestRate: rate('0.0001'), premiumClamp: rate('0.0005'), fundingRateCap: rate('0.003') };

  it('a 4-hour interval halves the 8-hour rate, a 1-hour one divides it by 8 (rounded half away from zero)', () => {
    assert.equal(fundingRate(rate('0.0008'), { ...config, fundingIntervalMs: EIGHT_HOURS / 2 }), rate('0.00015'));
    // 0.0003 / 8 = 0.0000375 → 3,750 units exactly; −0.0001/8 = −1,250.
    assert.equal(fundingRate(rate('0.0008'), { ...config, fundingIntervalMs: EIGHT_HOURS / 8 }), 3_750n);
    assert.equal(fundingRate(rate('-0.0014'), { ...config, fundingIntervalMs: EIGHT_HOURS / 8 }), -rate('0.0009') / 8n);
    // 0.0001 × 5/480 = 0.0000010416… → 104.17 → 104.
    assert.equal(fundingRate(0n, { ...config, fundingIntervalMs: 5 * 60_000 }), 104n);
  });

  it('with no samples F = I, clamped to ±0.05% and capped', () => {
    assert.equal(fundingRate(averagePremium(0, 0n), { ...config, fundingIntervalMs: EIGHT_HOURS }), rate('0.0001'));
    assert.equal(fundingRate(0n, { ...config, interestRate: rate('0.002'), fundingIntervalMs: EIGHT_HOURS }), rate('0.0005'));
    assert.equal(fundingRate(0n, { ...config, interestRate: rate('0.002'), premiumClamp: rate('0.01'), fundingRateCap: rate('0.001'), fundingIntervalMs: EIGHT_HOURS }), rate('0.001'));
  });
});
