/**
 * symbol.ts: configuration validation, K, the maintenance tiers (cum recurrence) and the
 * maintenance margin.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantError } from '../../src/engine/assert.js';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { parseAmount } from '../../src/engine/fixed.js';
import { buildSymbolConfig, buildTiers, maintenanceMargin, tierFor, type SymbolSpec } from '../../src/engine/symbol.js';
import { Engine } from '../../src/engine/engine.js';
import { Harness, usdt } from './helpers.js';

describe('symbol: derived integers', () => {
  it('K = tickSize × contractSize × 1e8 (BTC 0.1 × 0.0001 → 1000, ETH 0.01 × 0.01 → 10000)', () => {
    const btc = buildSymbolConfig(BTC_USDT);
    assert.equal(btc.valuePerTickContract, 1000n);
    assert.equal(btc.priceDecimals, 1);
    assert.equal(btc.tickUnits, 1n);
    assert.equal(btc.makerFeeRate, 20_000n); // 0.0002 × 1e8
    assert.equal(btc.takerFeeRate, 60_000n); // 0.0006 × 1e8
    assert.equal(btc.priceBandRate, 5_000_000n); // 0.05 × 1e8
    const eth = buildSymbolConfig(ETH_USDT);
    assert.equal(eth.valuePerTickContract, 10_000n);
    assert.equal(eth.takerFeeRate, 50_000n);
    // tick 0.5 (tickUnits 5, 1 decimal) × contract 0.001: 0.0005 × 1e8 = 50,000
    const half = buildSymbolConfig({ ...BTC_USDT, symbol: 'half_usdt', tickSize: '0.5', contractSize: '0.001' });
    assert.equal(half.tickUnits, 5n);
    assert.equal(half.valuePerTickContract, 50_000n);
    // the smallest allowed product: 0.0001 × 0.0001 = 1e-8 → K = 1
    assert.equal(buildSymbolConfig({ ...BTC_USDT, tickSize: '0.0001', contractSize: '0.0001' }).valuePerTickContract, 1n);
  });
});

describe('symbol: maintenance tiers (risk.md §5.1)', () => {
  const tiers = buildTiers(BTC_USDT);

  it('cum(n) = floor(n) × (MMR(n) − MMR(n−1)) + cum(n−1): vector V1 on BTC_USDT', () => {
    assert.deepEqual(tiers.map((t) => t.floor), [0n, parseAmount('50000'), parseAmount('250000'), parseAmount('1000000')]);
    assert.deepEqual(tiers.map((t) => t.mmr), [400_000n, 500_000n, 1_000_000n, 2_500_000n]); // 0.4 %, 0.5 %, 1 %, 2.5 %
    // tier 2: 50,000 × (0.5 % − 0.4 %) + 0 = 50
    assert.equal(tiers[1]!.cum, parseAmount('50'));
    // V1, tier 3: 250,000 × (1 % − 0.5 %) + 50 = 1,250 + 50 = 1,300
    assert.equal(tiers[2]!.cum, parseAmount('1300'));
    // tier 4: 1,000,000 × (2.5 % − 1 %) + 1,300 = 15,000 + 1,300 = 16,300
    assert.equal(tiers[3]!.cum, parseAmount('16300'));
    assert.equal(tiers[0]!.cum, 0n);
    assert.deepEqual(tiers.map((t) => t.maxLeverage), [125, 100, 50, 20]);
  });

  it('V2: notional 3,500,032.458 is in tier 4: 3,500,032.458 × 2.5 % − 16,300 = 71,200.81145 exactly', () => {
    const notional = parseAmount('3500032.458');
    assert.equal(tierFor(tiers, notional).floor, parseAmount('1000000'));
    // 3,500,032.458 × 0.025 = 87,500.81145 (exact in 1e-8, so the ceil changes nothing); − 16,300 = 71,200.81145
    assert.equal(maintenanceMargin(tiers, notional), parseAmount('71200.81145'));
    assert.equal(maintenanceMargin(tiers, notional), 7_120_081_145_000n);
  });

  it('maintenance margin rounds up to 1e-8', () => {
    // 1 unit × 0.4 % = 0.004 units → 1
    assert.equal(maintenanceMargin(tiers, 1n), 1n);
    // 0.00000251 × 0.4 % = 251 × 400,000 / 1e8 = 1.004 units → 2
    assert.equal(maintenanceMargin(tiers, 251n), 2n);
    // 100.00000001 USDT (10,000,000,001 units) × 0.004 = 40,000,000.004 → 40,000,001 units
    assert.equal(maintenanceMargin(tiers, 10_000_000_001n), 40_000_001n);
    assert.equal(maintenanceMargin(tiers, 0n), 0n);
  });

  it('tier boundaries: a floor belongs to its own tier and the formula is continuous there', () => {
    assert.equal(tierFor(tiers, parseAmount('49999.99999999')).floor, 0n);
    assert.equal(tierFor(tiers, parseAmount('50000')).floor, parseAmount('50000'));
    // at 50,000: tier 2 gives 50,000 × 0.5 % − 50 = 200; tier 1 would give 50,000 × 0.4 % = 200
    assert.equal(maintenanceMargin(tiers, parseAmount('50000')), parseAmount('200'));
    // at 250,000: 250,000 × 1 % − 1,300 = 1,200 (= 250,000 × 0.5 % − 50)
    assert.equal(maintenanceMargin(tiers, parseAmount('250000')), parseAmount('1200'));
    // at 1,000,000: 1,000,000 × 2.5 % − 16,300 = 8,700 (= 1,000,000 × 1 % − 1,300)
    assert.equal(maintenanceMargin(tiers, parseAmount('1000000')), parseAmount('8700'));
    // just under 1,000,000 in tier 3: 999,999.99 × 1 % − 1,300 = 8,699.9999 (exact)
    assert.equal(maintenanceMargin(tiers, parseAmount('999999.99')), parseAmount('8699.9999'));
  });

  it('a position snapshot carries the maintenance margin and unrealized PnL at the mark', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 100, 600_000); // a long 100 contracts (0.01 BTC) @ 60,000
    h.mark(612_345); // 61,234.5
    const p = h.position(a);
    // notional = 100 × 612,345 × 1000 = 61,234,500,000 units = 612.345 USDT (tier 1): × 0.4 % = 2.44938 USDT
    assert.equal(p.maintenanceMargin, usdt('2.44938'));
    // uPnL = 1000 × (100 × 612,345 − 60,000,000) = 1000 × 1,234,500 = 1,234,500,000 = 12.345 USDT
    assert.equal(p.unrealizedPnl, usdt('12.345'));
    assert.equal(p.markPrice, 612_345);
    // the short side mirrors it
    assert.equal(h.position(b).unrealizedPnl, -usdt('12.345'));
    assert.equal(h.position(b).maintenanceMargin, usdt('2.44938'));
    // the next balance snapshot carries the cross uPnL; available does not count it
    const balance = h.deposit(a, '1').events[0]!;
    assert.ok(balance.type === 'balance');
    assert.equal(balance.balance.crossUnrealizedPnl, usdt('12.345'));
    // W = 1001 − taker fee ceil(3 × 100 × 600,000 / 5) = 36,000,000; margin 3,000,000,000 (30 USDT)
    assert.equal(balance.balance.availableBalance, usdt('1001') - 36_000_000n - usdt('30'));
    h.audit();
  });
});

describe('symbol: configuration validation', () => {
  const bad = (change: Partial<SymbolSpec>, why: string) =>
    assert.throws(() => buildSymbolConfig({ ...BTC_USDT, ...change }), InvariantError, why);

  it('tick × contract must be a multiple of 1e-8', () => {
    bad({ tickSize: '0.00001', contractSize: '0.0001' }, '1e-5 × 1e-4 = 1e-9');
    bad({ tickSize: '0.1', contractSize: '0.00000001' }, '1e-1 × 1e-8 = 1e-9');
    bad({ tickSize: '0.000000001', contractSize: '1' }, 'tick 1e-9');
  });

  it('tick and contract must be positive; quantities and prices must be in range', () => {
    bad({ tickSize: '0' }, 'zero tick');
    bad({ contractSize: '0' }, 'zero contract');
    bad({ minQty: 0 }, 'minQty 0');
    bad({ minQty: 5, maxQty: 4 }, 'maxQty < minQty');
    bad({ maxQty: 1_000_000_001 }, 'maxQty above LIMITS');
    bad({ maxPositionQty: 999_999 }, 'maxPositionQty < maxQty');
    bad({ maxPriceTicks: 0 }, 'maxPriceTicks 0');
    bad({ maxLeverage: 0 }, 'maxLeverage 0');
    bad({ maxLeverage: 1001 }, 'maxLeverage above LIMITS');
    bad({ symbol: 'BTC_USDT' }, 'upper-case name');
    bad({ symbol: 'btcusdt' }, 'name without underscore');
  });

  it('fee rates must not be negative; the price band must be in (0, 1)', () => {
    bad({ makerFeeRate: '-0.0001' }, 'negative maker rate');
    bad({ takerFeeRate: '-0.0001' }, 'negative taker rate');
    bad({ priceBandRate: '0' }, 'zero band');
    bad({ priceBandRate: '1' }, 'band 100 %');
    // zero fees are fine
    assert.equal(buildSymbolConfig({ ...BTC_USDT, makerFeeRate: '0', takerFeeRate: '0' }).takerFeeRate, 0n);
  });

  it('bad tiers are refused', () => {
    const t = BTC_USDT.tiers;
    bad({ tiers: [] }, 'no tiers');
    bad({ tiers: [{ ...t[0]!, notionalFloor: '1' }] }, 'first floor not 0');
    bad({ tiers: [t[0]!, { ...t[1]!, notionalFloor: '0' }] }, 'floors not rising');
    bad({ tiers: [t[0]!, t[2]!, t[1]!] }, 'floors out of order');
    bad({ tiers: [t[0]!, { ...t[1]!, maintenanceMarginRate: '0.003' }] }, 'rate falling');
    bad({ tiers: [{ ...t[0]!, maintenanceMarginRate: '0' }] }, 'rate 0');
    bad({ tiers: [{ ...t[0]!, maintenanceMarginRate: '1' }] }, 'rate 100 %');
    bad({ tiers: [{ ...t[0]!, maxLeverage: 126 }] }, 'tier leverage above the symbol maximum');
    bad({ tiers: [{ ...t[0]!, maxLeverage: 0 }] }, 'tier leverage 0');
  });

  it('the engine refuses a symbol configured twice', () => {
    assert.throws(() => new Engine({ symbols: [BTC_USDT, BTC_USDT] }), InvariantError);
  });
});
