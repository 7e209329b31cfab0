/**
 * The mark price (docs/engine-rules.md, "Prices"): INDEX and MEDIAN methods, P1 from the last
 * funding rate and the time to the next funding, P2 from the basis window, the last trade price,
 * rounding, sampling slots, the admin override and refusals. V_USDT (tick 1) from GRID, a funding time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf } from '../engine/helpers.js';
import { EIGHT_HOURS, GRID, Harness, V } from './helpers.js';

/** A maker quoting `bid` / `ask` on V (10 contracts each). */
function quote(h: Harness, bid: number, ask: number): number {
  const maker = h.account('1000000');
  h.buy(maker, 10, bid, { symbol: V });
  h.sell(maker, 10, ask, { symbol: V });
  return maker;
}

const basisOf = (h: Harness): number[] => h.view().pricing.find((p) => p.symbol === V)!.basisSamples;

describe('mark price methods', () => {
  it('INDEX: the mark is the index, set at once by setIndexPrice', () => {
    const h = new Harness({ pricing: { markMethod: 'INDEX' } });
    quote(h, 30_100, 30_300);
    h.index(30_000);
    assert.equal(h.markOf(), 30_000);
    h.advance(1000);
    h.tick();
    assert.equal(h.markOf(), 30_000, 'the book does not move an INDEX mark');
    h.index(30_010);
    assert.equal(h.markOf(), 30_010);
  });

  it('MEDIAN with nothing but an index: P1 = P2 = index', () => {
    const h = new Harness();
    h.index(30_000);
    assert.equal(h.markOf(), 30_000);
    assert.equal(h.engine.prices(V, h.time)!.markMethod, 'MEDIAN');
  });

  it('P1 = index × (1 + lastFundingRate × timeUntilFunding / interval); without a trade the mark is the mean of P1 and P2', () => {
    const h = new Harness();
    h.settle(V); // no samples: F = I = 0.01%, at GRID; the next funding is GRID + 8 h
    assert.equal(h.engine.prices(V, h.time)!.nextFundingTime, GRID + EIGHT_HOURS);
    h.index(30_000);
    // P1 = 30,000 × 1.0001 = 30,003; P2 = 30,000; mean 30,001.5 → 30,002 (halves up).
    assert.equal(h.markOf(), 30_002);
    h.advance(EIGHT_HOURS / 2);
    h.index(30_000);
    // P1 = 30,000 × (1 + 0.0001 × 4/8) = 30,001.5; mean with 30,000 = 30,000.75 → 30,001.
    assert.equal(h.markOf(), 30_001);
    h.advance(EIGHT_HOURS / 2);
    h.index(30_000);
    assert.equal(h.markOf(), 30_000, 'due but not settled yet: no time left, P1 = index');
    h.settle(V);
    h.index(30_000);
    assert.equal(h.markOf(), 30_002, 'settled: a whole interval to the next funding again');
  });

  it('P2 = index + the moving average of (bid1 + ask1)/2 − index; with a last trade the mark is the median of three', () => {
    const h = new Harness();
    quote(h, 30_010, 30_030);
    h.index(30_000);
    h.tick(); // basis sample: 30,010 + 30,030 − 2 × 30,000 = 40 half ticks
    assert.deepEqual(basisOf(h), [40]);
    // P1 30,000, P2 30,020, no trade: mean 30,010.
    assert.equal(h.markOf(), 30_010);
    const seller = h.account('100000');
    const buyer = h.account('100000');
    h.trade(seller, buyer, 'BUY', 1, 30_015, { symbol: V }, { symbol: V });
    h.advance(1000);
    h.tick();
    // median(30,000, 30,020, 30,015) = 30,015.
    assert.equal(h.markOf(), 30_015);
    assert.equal(h.engine.prices(V, h.time)!.lastPrice, 30_015);
  });

  it('rounds the exact median to the nearest tick, halves up', () => {
    const h = new Harness();
    quote(h, 30_000, 30_002);
    h.index(30_000);
    h.tick();
    // P1 30,000, P2 30,001: mean 30,000.5 → 30,001.
    assert.equal(h.markOf(), 30_001);
  });

  it('samples the basis once per 1-second slot and keeps the last 30 samples', () => {
    const h = new Harness();
    quote(h, 30_010, 30_030);
    for (let k = 0; k <= 30; k++) {
      h.index(30_000 - k); // basis sample k: 40 + 2k half ticks
      h.tick();
      h.advance(400);
      h.tick(); // same slot: no second sample
      h.advance(600);
    }
    const samples = basisOf(h);
    assert.equal(samples.length, 30);
    assert.deepEqual(samples, Array.from({ length: 30 }, (_, i) => 40 + 2 * (i + 1)));
    // P2 = 29,970 + mean(42…100)/2 = 29,970 + 71/2 = 30,005.5; P1 = 29,970: mean 29,987.75 → 29,988.
    assert.equal(h.markOf(), 29_988);
  });

  it('takes no basis sample without both sides of the book', () => {
    const h = new Harness();
    const maker = h.account('100000');
    h.buy(maker, 10, 29_990, { symbol: V });
    h.index(30_000);
    h.tick();
    assert.deepEqual(basisOf(h), []);
    assert.equal(h.markOf(), 30_000);
  });

  it('an admin setMarkPrice holds until the next recomputation (setIndexPrice or a tick)', () => {
    const h = new Harness();
    h.index(30_000);
    h.mark(31_000, V);
    assert.equal(h.markOf(), 31_000);
    h.advance(1000);
    h.tick();
    assert.equal(h.markOf(), 30_000);
  });

  it('without an index nothing is computed: the mark stays as set, a tick changes nothing but cmdSeq', () => {
    const h = new Harness();
    h.mark(31_000, V);
    const before = h.stateKey();
    assert.deepEqual(h.tick().events, []);
    assert.equal(h.stateKey(), before);
    assert.equal(h.markOf(), 31_000);
  });

  it('refuses bad index prices and unknown symbols, changing nothing', () => {
    const h = new Harness();
    h.index(30_000);
    const before = h.stateKey();
    for (const price of [0, -1, 1.5, 100_000_001]) assert.equal(errorOf(h.apply({ type: 'setIndexPrice', symbol: V, price })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.apply({ type: 'setIndexPrice', symbol: 'doge_usdt', price: 1 })), 'UNKNOWN_SYMBOL');
    assert.equal(errorOf(h.apply({ type: 'sampleRisk', symbol: 'doge_usdt' })), 'UNKNOWN_SYMBOL');
    assert.equal(errorOf(h.apply({ type: 'settleFunding', symbol: 'doge_usdt' })), 'UNKNOWN_SYMBOL');
    assert.equal(h.stateKey(), before);
  });

  it('a tick without a symbol samples every symbol that has an index', () => {
    const h = new Harness();
    h.index(600_000, 'btc_usdt');
    h.index(30_000);
    const maker = h.account('10000000');
    h.buy(maker, 10, 599_990, { symbol: 'btc_usdt' });
    h.sell(maker, 10, 600_030, { symbol: 'btc_usdt' });
    h.advance(1000);
    h.tick();
    const pricing = h.view().pricing;
    assert.deepEqual(pricing.find((p) => p.symbol === 'btc_usdt')!.basisSamples, [20]);
    assert.equal(pricing.find((p) => p.symbol === 'btc_usdt')!.premiumSamples, 1);
    assert.equal(pricing.find((p) => p.symbol === V)!.premiumSamples, 1, 'V has an index: sampled (an empty book gives P = 0)');
    assert.equal(pricing.find((p) => p.symbol === 'eth_usdt')!.premiumSamples, 0, 'ETH has no index: not sampled');
  });
});
