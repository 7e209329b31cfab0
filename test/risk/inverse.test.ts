/**
 * Inverse (coin-margined) liquidation and bankruptcy prices (docs/engine-rules.md, "Inverse
 * contracts"; risk.md §5.4, §5.7, §5.8, §6 V6, V9, V10): the exchanges' published formulas, the
 * engine's exact roots in x = 1/P, and an isolated position liquidated where Binance COIN-M's
 * formula says.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COIN_M_BTC_TIERS } from '../../src/engine/demo-symbols.js';
import { formatRatio } from '../../src/engine/fixed.js';
import { costOf } from '../../src/engine/margin.js';
import { bybitInverseBankruptcyPrice, inverseIsolatedLiquidationPrice } from '../../src/engine/risk/exchange-formulas.js';
import { bankruptcyPoint, liquidationPoint } from '../../src/engine/risk/liquidation-price.js';
import { compare, ratio } from '../../src/engine/risk/rational.js';
import { buildSymbolConfig, type SymbolSpec } from '../../src/engine/symbol.js';
import { RiskHarness, spec, usdt as amount } from './support.js';

/** An inverse symbol whose numbers read like the vectors: tick 1 USD, a contract 100 USD, no fees, settled in VEC. */
const INVERSE: SymbolSpec = spec({
  symbol: 'vec_usd', quoteAsset: 'USD', settleAsset: 'VEC', underlyingType: 'COIN_BASED', contractSize: '100', tiers: COIN_M_BTC_TIERS,
});
const config = buildSymbolConfig(INVERSE);

describe('published inverse formulas (exchange-formulas.ts)', () => {
  test('V10 Bybit inverse isolated: 60,000 USD long @ 50,000, 10x, MMR 0.5 % → LP 45,662.100…; the short mirror 55,248.618…', () => {
    const pv = ratio(6n, 5n); // 1.2 BTC
    const inputs = { entry: ratio(50_000n), size: ratio(60_000n), initialMargin: ratio(12n, 100n), maintenanceMargin: ratio(6n, 1000n) };
    assert.equal(compare(ratio(60_000n * 5n, 6n), ratio(50_000n)), 0, 'PV = 1.2 BTC');
    void pv;
    const long = inverseIsolatedLiquidationPrice({ side: 1n, ...inputs })!;
    const short = inverseIsolatedLiquidationPrice({ side: -1n, ...inputs })!;
    // 60,000 / (1.2 + 0.114) and 60,000 / (1.2 − 0.114), exactly.
    assert.equal(compare(long, ratio(60_000_000n, 1314n)), 0);
    assert.equal(compare(short, ratio(60_000_000n, 1086n)), 0);
    assert.equal(formatRatio(long.n, long.d, 3), '45662.1');
    assert.equal(formatRatio(short.n, short.d, 3), '55248.619');
  });

  test('V9 Bybit inverse cross (older rules): 10,000 USD long @ 8,000 on 0.5 BTC, taker 0.075 % → bankruptcy 5,718.57', () => {
    const bp = bybitInverseBankruptcyPrice(1n, ratio(10_000n), ratio(8_000n), ratio(1n, 2n), ratio(75n, 100_000n))!;
    assert.equal(compare(bp, ratio(10_007_500n, 1750n)), 0);
    assert.equal(formatRatio(bp.n, bp.d, 2), '5718.57');
  });
});

describe('the engine’s inverse liquidation price (liquidation-price.ts, in x = 1/P)', () => {
  test('V6 Binance COIN-M: WB 101 BTC, 100,000 × 100 USD long @ 45,000, tier 200–400 BTC (12.5 %, cum 11.605) → 33,599.419', () => {
    assert.equal(config.tiers[6]!.cum, amount('11.605'));
    const legs = [{ sign: 1n as const, qty: 100_000n, entryCost: costOf(config, 100_000, 45_000) }];
    const lp = liquidationPoint({ config, legs, equityBase: amount('101'), maintenanceBase: 0n }, null);
    assert.ok(lp !== null && lp.isLower);
    assert.equal(formatRatio(lp.point.n, lp.point.d, 3), '33599.419');
    // The exact figure is 1e7 × 1.125 / (101 + 11.605 + 1e7 / 45,000) = 20,250,000,000 / 602,689; the
    // engine's entry value is rounded down to 1e-16 BTC, which moves the root by less than 1e-9 USD.
    const exact = ratio(20_250_000_000n, 602_689n);
    const gap = ratio(lp.point.n * exact.d - exact.n * lp.point.d, lp.point.d * exact.d);
    assert.ok(compare(gap, ratio(1n, 1_000_000_000n)) < 0 && compare(gap, ratio(-1n, 1_000_000_000n)) > 0);
  });

  test('a short’s liquidation price is above its entry, its bankruptcy price where equity is zero', () => {
    // 10,000 USD short @ 50,000 on an isolated 0.02 VEC: BP = 10,000 / (0.2 − 0.02) = 55,555.5…
    const legs = [{ sign: -1n as const, qty: 100n, entryCost: costOf(config, 100, 50_000) }];
    const inputs = { config, legs, equityBase: amount('0.02'), maintenanceBase: 0n };
    const bp = bankruptcyPoint(inputs)!;
    assert.equal(compare(bp, ratio(1_000_000n, 18n)), 0);
    // LP: 0.02 + 0.2 − 10,000/P = 0.004 × 10,000/P  ⇒  P = 10,000 × 1.004 / 0.22... for the short: 0.22 − ... see below.
    const lp = liquidationPoint(inputs, null)!;
    assert.equal(lp.isLower, false);
    // Short equity: 0.02 + (10,000/P − 0.2) = MM 40/P  ⇒  P = 9,960 / 0.18 = 55,333.3…
    assert.equal(compare(lp.point, ratio(996_000n, 18n)), 0);
    // A short that holds its whole value as margin is never bankrupt (1/P never goes below 0).
    assert.equal(bankruptcyPoint({ ...inputs, equityBase: amount('0.2') }), null);
    assert.equal(liquidationPoint({ ...inputs, equityBase: amount('0.3') }, null), null);
  });
});

describe('an isolated inverse long in the engine', () => {
  const SYMBOL = 'vec_usd';
  /** A: long 100 contracts (10,000 USD) @ 50,000, isolated 10x: entry 0.2 VEC, margin 0.02 VEC; B the short. */
  function opened(): { h: RiskHarness; a: number; b: number } {
    const h = new RiskHarness(SYMBOL, { symbols: [INVERSE] });
    const a = h.account();
    const b = h.account();
    h.deposit(a, '1', 'VEC');
    h.deposit(b, '1', 'VEC');
    h.setup(a, { isolated: true, leverage: 10 });
    h.setup(b, { leverage: 10 });
    h.markAt(50_000);
    h.open(b, a, 'BUY', 100, 50_000);
    return { h, a, b };
  }

  test('its liquidation price is Binance COIN-M’s Q·CM·(1 + MMR) / (WB + cum + Q·CM / EP) = 10,040 / 0.22, bankruptcy 10,000 / 0.22', () => {
    const { h, a } = opened();
    const p = h.pos(a);
    assert.equal(p.margin, amount('0.02'));
    assert.equal(p.initialMargin, amount('0.02'));
    // Rounded to 1e-8 USD toward safety (up for a long).
    assert.equal(p.liquidationPrice, 4_563_636_363_637n); // 45,636.36363636…
    assert.equal(p.bankruptcyPrice, 4_545_454_545_455n); // 45,454.54545454…
  });

  test('a mark one tick above the liquidation price leaves it; at 45,636 it is liquidated and Σ stays exact', () => {
    const { h, a, b } = opened();
    h.markAt(45_637);
    assert.equal(h.pos(a).qty, 100);
    const applied = h.markAt(45_636);
    assert.equal(h.pos(a).qty, 0, 'liquidated');
    assert.equal(h.pos(b).qty, 0, 'the short was auto-deleveraged (no book)');
    assert.ok(applied.events.some((e) => e.type === 'order' && e.order.source !== 'USER'));
    // A lost its isolated margin: the position closed at its bankruptcy price 45,455 (rounded up).
    const wallet = h.wallet(a, 'VEC');
    assert.ok(wallet.walletBalance < amount('1') && wallet.walletBalance >= amount('0.98'));
  });

  test('liquidated through the book: a bid at 45,500 above the bankruptcy price 45,455 takes it, and the coin surplus goes to the fund', () => {
    const { h, a } = opened();
    const c = h.account();
    h.deposit(c, '1', 'VEC');
    h.setup(c, { leverage: 10 });
    assert.equal(h.on(c, 'BUY', 100, 45_500).result.ok, true);
    h.markAt(45_636);
    assert.equal(h.pos(a).qty, 0);
    assert.equal(h.pos(c).qty, 100, 'the bid took the whole position');
    // The long closed at 45,500 instead of its bankruptcy price 45,455 (ticks, rounded up): the sale
    // costs 10,000/45,500 BTC instead of 10,000/45,455, so the account's surplus is the difference,
    // rounded down to 1e-8: 0.21978021… − 0.21999780… (in 1e-16) → 0.00021758 to the fund.
    const fund = h.view().risk.insuranceFund.find((f) => f.asset === 'VEC')?.amount ?? 0n;
    const exact = (10_000n * 10n ** 16n) / 45_455n - (10_000n * 10n ** 16n) / 45_500n;
    assert.equal(fund, exact / 100_000_000n);
    // A lost its isolated margin but what equity is left at the bankruptcy tick 45,455 (45,454.54…
    // rounded up, so the account never pays past bankruptcy): 0.02 + 0.2 − 10,000/45,455 = 0.0000022.
    assert.equal(h.wallet(a, 'VEC').walletBalance, amount('0.98') + 220n);
  });
});
