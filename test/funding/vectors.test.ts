/**
 * risk.md §6 vectors for prices and funding, exact: V13 (funding clamp), V14 (premium index, also
 * through a real book and a settlement), V15 (cap), and V12's fee rule on a linear contract.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRate } from '../../src/engine/fixed.js';
import { fundingRate, premiumIndex } from '../../src/engine/premium.js';
import { buildPricingConfig, defaultFundingCap } from '../../src/engine/pricing-config.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { whole } from '../../src/engine/rational.js';
import { usdt } from '../engine/helpers.js';
import { EIGHT_HOURS, Harness, V, fundingEvents, vSymbol } from './helpers.js';

const rate = parseRate;
const EIGHT_HOUR_CONFIG = { interestRate: rate('0.0001'), premiumClamp: rate('0.0005'), fundingIntervalMs: EIGHT_HOURS, fundingRateCap: rate('0.003') };

describe('V13: funding clamp, F = P̄ + clamp(I − P̄, ±0.05%) with I = 0.01%', () => {
  for (const [premium, expected] of [['0.0003', '0.0001'], ['0.0008', '0.0003'], ['-0.0002', '0.0001'], ['0.00012', '0.0001']] as const) {
    it(`P̄ ${premium} → F ${expected}`, () => {
      assert.equal(fundingRate(rate(premium), EIGHT_HOUR_CONFIG), rate(expected));
    });
  }
});

describe('V14: premium index, index 30,000, impact bid 30,015, impact ask 30,021', () => {
  it('P = 0.05% and F (I = 0.01%) = 0.01%', () => {
    const P = premiumIndex(30_000, whole(30_015), whole(30_021));
    assert.equal(P, rate('0.0005'));
    assert.equal(fundingRate(P, EIGHT_HOUR_CONFIG), rate('0.0001'));
  });

  it('through the engine: the impact prices walked over a real book, one sample, then a settlement at that rate', () => {
    const h = new Harness();
    const maker = h.account('1000000');
    // 1,000 contracts a side = 30,015 / 30,021 USDT of depth, more than the 25,000 USDT impact notional.
    h.buy(maker, 1000, 30_015, { symbol: V });
    h.sell(maker, 1000, 30_021, { symbol: V });
    h.index(30_000);
    h.tick(V);
    const prices = h.engine.prices(V, h.time)!;
    assert.equal(prices.premiumIndex, rate('0.0005'));
    assert.equal(prices.premiumSamples, 1);
    assert.equal(prices.predictedFundingRate, rate('0.0001'));
    h.settle(V);
    assert.equal(h.engine.prices(V, h.time)!.lastFundingRate, rate('0.0001'));
  });
});

describe('V15: funding cap 0.75 × (IMR − MMR)', () => {
  it('ADAUSDT IMR 1.3%, MMR 0.65% → ±0.4875%; BTCUSDT 0.8%, 0.4% → ±0.30%', () => {
    assert.equal(defaultFundingCap(rate('0.013'), rate('0.0065')), rate('0.004875'));
    assert.equal(defaultFundingCap(rate('0.008'), rate('0.004')), rate('0.003'));
  });

  it('is the default cap of a symbol: 1/maxLeverage as IMR, tier-1 MMR', () => {
    assert.equal(buildPricingConfig(buildSymbolConfig(BTC_USDT)).fundingRateCap, rate('0.003'));
    // ETH_USDT: 100x (IMR 1%), tier-1 MMR 0.5% → 0.375%.
    assert.equal(buildPricingConfig(buildSymbolConfig(ETH_USDT)).fundingRateCap, rate('0.00375'));
    assert.equal(buildPricingConfig(buildSymbolConfig(vSymbol({ fundingRateCap: '0.004875' }))).fundingRateCap, rate('0.004875'));
  });

  it('caps F both ways', () => {
    assert.equal(fundingRate(rate('0.01'), EIGHT_HOUR_CONFIG), rate('0.003'));
    assert.equal(fundingRate(rate('-0.01'), EIGHT_HOUR_CONFIG), rate('-0.003'));
  });
});

describe('V12 (fee = position value at mark × F), on a linear contract', () => {
  it('a long of 10,000 contracts of 0.001 V at mark 5,000 with F 0.025% pays 12.5 USDT, the short receives it', () => {
    // V12 is inverse (10,000 USD contracts → 2 BTC, fee 0.0005 BTC); the linear analogue values 10 V at 5,000 = 50,000 USDT.
    const h = new Harness({ pricing: { interestRate: '0.00025', fundingRateCap: '0.003' } });
    const long = h.account('100000');
    const short = h.account('100000');
    h.open(long, short, 10_000, 5_000);
    h.mark(5_000, V);
    const settled = h.settle(V);
    const fees = fundingEvents(settled.events).map((e) => [e.accountId, e.fundingRate, e.fundingFee]);
    assert.deepEqual(fees, [[long, rate('0.00025'), -usdt('12.5')], [short, rate('0.00025'), usdt('12.5')]]);
  });
});
