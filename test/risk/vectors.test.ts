/**
 * risk.md §6 vectors V1, V2, V3, V4, V5, V5h, V8, V11, V16, V17 as exact tests: the formulas on
 * their own, and where the engine can hold the position, the engine's own figures too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTiers, buildSymbolConfig, maintenanceMargin } from '../../src/engine/symbol.js';
import { BINANCE_LEVERAGE_PNL, BYBIT_PNL_LEVERAGE, type AdlRankInput } from '../../src/engine/risk/adl-ranking.js';
import { bybitIsolatedLiquidationPrice, kucoinIsolatedLiquidationPrice } from '../../src/engine/risk/exchange-formulas.js';
import { isLiquidatable } from '../../src/engine/risk/liquidation-index.js';
import { liquidationPoint, positiveRegion } from '../../src/engine/risk/liquidation-price.js';
import { ratio } from '../../src/engine/risk/rational.js';
import { BINANCE_BTC_TIERS, BINANCE_ETH_TIERS, RiskHarness, gapAt, spec, usdt } from './support.js';

const RS = 100_000_000n;
/** 1 USDT = 1e8 units; with tick 1 USDT and contract 1 BTC, K = 1e8. */
const K = 100_000_000n;

describe('V1, V2: maintenance tiers (§5.1)', () => {
  test('V1: cum of tier 3 by the recurrence is 1,300 USDT', () => {
    const tiers = buildTiers({ tiers: BINANCE_BTC_TIERS, maxLeverage: 125 });
    assert.deepEqual(tiers.map((t) => t.cum), [0n, usdt('50'), usdt('1300'), usdt('16300')]);
  });

  test('V2: MM = notional × MMR − cum, exactly (BTCUSDT tier 4; ETHUSDT tier 6)', () => {
    const btc = buildTiers({ tiers: BINANCE_BTC_TIERS, maxLeverage: 125 });
    assert.equal(maintenanceMargin(btc, usdt('3500032.458')), usdt('71200.81145'));
    const eth = buildTiers({ tiers: BINANCE_ETH_TIERS, maxLeverage: 100 });
    assert.equal(eth[5]!.cum, usdt('135365'));
    assert.equal(maintenanceMargin(eth, usdt('4918775.081')), usdt('356512.5081'));
  });
});

describe('V3: cross liquidation trigger (§5.2)', () => {
  test('margin balance 25,923.05553202 − 17,444.086776 = 8,478.96875602 < TMM 8,501.442188 → liquidate', () => {
    const equity = usdt('25923.05553202') + usdt('-17444.086776');
    assert.equal(equity, usdt('8478.96875602'));
    assert.equal(isLiquidatable({ equity, maintenance: usdt('8501.442188') }), true);
    // One unit more equity than maintenance is safe; equal is liquidated (MM ≥ margin balance).
    assert.equal(isLiquidatable({ equity: usdt('8501.442188') + 1n, maintenance: usdt('8501.442188') }), false);
    assert.equal(isLiquidatable({ equity: usdt('8501.442188'), maintenance: usdt('8501.442188') }), true);
  });
});

describe('V4, V5, V5h: Binance USDⓈ-M liquidation price (§5.3)', () => {
  const config = buildSymbolConfig(spec());
  const tiers = config.tiers;

  test('V4 isolated one-way long: WB 3,000, 1 BTC @ 30,000, tier 1 → LP = 27,000 / 0.996 = 27,108.4337…', () => {
    const legs = [{ sign: 1n as const, qty: 1n, entryCost: 30_000n }];
    const lp = liquidationPoint({ config, legs, equityBase: usdt('3000'), maintenanceBase: 0n }, null);
    assert.ok(lp !== null && lp.isLower);
    assert.equal(lp.point.n * 996n, lp.point.d * 27_000_000n, 'LP = 27,000,000 / 996 exactly');
    // At the LP, equity = MM = 108.4337…: the gap is exactly zero.
    assert.equal(gapAt(K, tiers, legs, usdt('3000'), 0n, lp.point.n, lp.point.d), 0n);
  });

  test('V5 isolated one-way short: WB 6,000, 2 BTC @ 30,000, tier 2 at the LP → LP = 66,050 / 2.01 = 32,860.6965…', () => {
    const legs = [{ sign: -1n as const, qty: 2n, entryCost: 60_000n }];
    const lp = liquidationPoint({ config, legs, equityBase: usdt('6000'), maintenanceBase: 0n }, null);
    assert.ok(lp !== null && !lp.isLower);
    assert.equal(lp.point.n * 201n, lp.point.d * 6_605_000n, 'LP = 6,605,000 / 201 exactly');
    assert.equal(gapAt(K, tiers, legs, usdt('6000'), 0n, lp.point.n, lp.point.d), 0n);
  });

  test('V5h cross hedge: WB 10,000, LONG 1 @ 30,000, SHORT 0.5 @ 31,000 → one LP 4,500 / 0.494 = 9,109.3117…', () => {
    // Contracts of 0.5 BTC: LONG 2 contracts, SHORT 1; K = 0.5e8.
    const half = buildSymbolConfig(spec({ contractSize: '0.5' }));
    const legs = [{ sign: 1n as const, qty: 2n, entryCost: 60_000n }, { sign: -1n as const, qty: 1n, entryCost: 31_000n }];
    const lp = liquidationPoint({ config: half, legs, equityBase: usdt('10000'), maintenanceBase: 0n }, null);
    assert.ok(lp !== null && lp.isLower);
    assert.equal(lp.point.n * 494n, lp.point.d * 4_500_000n, 'LP = 4,500,000 / 494 exactly');
    assert.equal(gapAt(half.valuePerTickContract, half.tiers, legs, usdt('10000'), 0n, lp.point.n, lp.point.d), 0n);
  });

  test('tier re-check at the LP: a long entered in tier 2 whose LP lies in tier 1 is solved with tier 1', () => {
    // 2 BTC @ 26,000 (notional 52,000: tier 2) with WB 4,000: tier-2 algebra would give (52,000 − 4,000 − 50) / (2 × 0.995),
    // whose notional is below 50,000, so tier 1 applies: LP = 48,000 / (2 × 0.996) = 24,096.385…
    const legs = [{ sign: 1n as const, qty: 2n, entryCost: 52_000n }];
    const region = positiveRegion({ config, legs, equityBase: usdt('4000'), maintenanceBase: 0n }, RS);
    assert.ok(region.lower !== null);
    assert.equal(region.lower.n * 1992n, region.lower.d * 48_000_000n);
    assert.equal(gapAt(K, tiers, legs, usdt('4000'), 0n, region.lower.n, region.lower.d), 0n);
  });

  test('the engine shows the same figures in its position snapshots (rounded toward the mark)', () => {
    const h = new RiskHarness('vec_usdt', { symbols: [spec()], defaultPositionMode: 'ONE_WAY' });
    const long = h.account('3000');
    const short = h.account('6000');
    const other = h.account('100000');
    h.setup(long, { isolated: true, leverage: 10 });
    h.setup(short, { isolated: true, leverage: 10 });
    h.open(other, long, 'BUY', 1, 30_000);
    h.open(other, short, 'SELL', 2, 30_000);
    // V4: 27,108.43373493975… → 27,108.43373494 (a lower LP rounds up).
    assert.equal(h.pos(long).liquidationPrice, 2_710_843_373_494n);
    assert.equal(h.pos(long).margin, usdt('3000'));
    // V5: 32,860.69651741293… → 32,860.69651741 (an upper LP rounds down).
    assert.equal(h.pos(short).liquidationPrice, 3_286_069_651_741n);
    // Bankruptcy: where margin + PnL is 0: 27,000 and 33,000.
    assert.equal(h.pos(long).bankruptcyPrice, usdt('27000'));
    assert.equal(h.pos(short).bankruptcyPrice, usdt('33000'));
  });

  test('the engine: V5h in cross hedge mode shows one LP on both sides', () => {
    const h = new RiskHarness('vec_usdt', { symbols: [spec({ contractSize: '0.5' })], defaultPositionMode: 'HEDGE' });
    const a = h.account('10000');
    const other = h.account('100000');
    h.setup(a, { leverage: 10 });
    h.open(other, a, 'BUY', 2, 30_000, 'SHORT', 'LONG');
    h.open(other, a, 'SELL', 1, 31_000, 'LONG', 'SHORT');
    const lp = 910_931_174_090n; // 9,109.31174089068… rounded up
    assert.equal(h.pos(a, 'LONG').liquidationPrice, lp);
    assert.equal(h.pos(a, 'SHORT').liquidationPrice, lp);
  });
});

describe('V8, V11: Bybit and KuCoin isolated formulas (§5.7, §5.8)', () => {
  test('V8 Bybit: 1 BTC @ 20,000, 50x, MMR 0.5% → IM 400, MM 100, LP 19,700; the engine holds the same IM and MM', () => {
    const lp = bybitIsolatedLiquidationPrice({
      side: 1n, entry: ratio(20_000n, 1n), size: ratio(1n, 1n), initialMargin: ratio(400n, 1n), maintenanceMargin: ratio(100n, 1n),
    });
    assert.deepEqual([lp.n / lp.d, lp.n % lp.d], [19_700n, 0n]);
    const h = new RiskHarness('vec_usdt', {
      symbols: [spec({ tiers: [{ notionalFloor: '0', maintenanceMarginRate: '0.005', maxLeverage: 50 }], maxLeverage: 50 })],
      defaultPositionMode: 'ONE_WAY',
    });
    const a = h.account('1000');
    const other = h.account('100000');
    h.setup(a, { isolated: true, leverage: 50 });
    h.open(other, a, 'BUY', 1, 20_000);
    h.markAt(20_000);
    assert.equal(h.pos(a).initialMargin, usdt('400'));
    assert.equal(h.pos(a).maintenanceMargin, usdt('100'));
    // The engine's LP keeps MM at the mark (§5.3): 19,600 / 0.995 = 19,698.49246…, a little below Bybit's 19,700.
    assert.equal(h.pos(a).liquidationPrice, 1_969_849_246_232n);
  });

  test('V11 KuCoin: short HP 28,000, Vol 5, S 0.001, 100x, MMR 0.4% → IM 1.4, MM 0.56, LP 28,168 (long mirror 27,832)', () => {
    const size = ratio(5n, 1000n);
    const im = ratio(28_000n * 5n, 1000n * 100n);
    const mm = ratio(28_000n * 5n * 4n, 1000n * 1000n);
    assert.deepEqual([im.n * 10n / im.d, mm.n * 100n / mm.d], [14n, 56n]);
    const short = kucoinIsolatedLiquidationPrice({ side: -1n, entry: ratio(28_000n, 1n), size, initialMargin: im, maintenanceMargin: mm });
    const long = kucoinIsolatedLiquidationPrice({ side: 1n, entry: ratio(28_000n, 1n), size, initialMargin: im, maintenanceMargin: mm });
    assert.deepEqual([short.n % short.d, short.n / short.d], [0n, 28_168n]);
    assert.deepEqual([long.n % long.d, long.n / long.d], [0n, 27_832n]);
  });
});

describe('V16, V17: ADL ranking (§5.6)', () => {
  const base: AdlRankInput = {
    side: 1, qty: 1n, entryCost: 20_000n, mark: 22_000n, bankruptcy: ratio(18_000n, 1n),
    unrealizedPnl: 0n, walletBalance: 0n, maintenance: 0n, equity: 0n,
  };

  test('V16 Binance LeveragePnl: uPnL 40.2, WB 4.27, margin ratio 13.42 % → 9.4145… × 0.1342 = 1.2634…', () => {
    // Margin ratio 13.42 % of a margin balance of 4.27 + 40.2 = 44.47: maintenance 5.967874.
    const score = BINANCE_LEVERAGE_PNL.score({ ...base, unrealizedPnl: usdt('40.2'), walletBalance: usdt('4.27'), maintenance: usdt('5.967874'), equity: usdt('44.47') });
    // (40.2 / 4.27) × 0.1342 = 2211 / 1750 = 1.263428571… → 1.26342857 at 1e-8, floored.
    assert.equal(score, 126_342_857n);
  });

  test('V17 Bybit: long 1 @ 20,000, mark 22,000, bankruptcy 18,000 → PnL% 10 %, effective leverage 5.5, score 0.55', () => {
    assert.equal(BYBIT_PNL_LEVERAGE.score(base), 55_000_000n);
    // A losing position ranks by PnL% / leverage: mark 19,000 → −5 % / 19 = −0.00263157…
    assert.equal(BYBIT_PNL_LEVERAGE.score({ ...base, mark: 19_000n }), -263_158n);
  });
});
