/**
 * Inverse (coin-margined) contracts in the engine (docs/engine-rules.md, "Inverse contracts"): costs
 * in coin, the harmonic entry price, PnL, fees, margin and funding in the base coin, with published
 * worked examples (coverage.md §2.5 seed 004, risk.md §6 V7 and V12) as exact numbers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USD, DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatRatio, parseAmount } from '../../src/engine/fixed.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import { allocateFundingOf } from '../../src/engine/funding.js';
import { INVERSE_COST_SCALE, costOf, fee, frozenPerContract, initialMargin, notional, positionMaintenance, unrealizedPnl } from '../../src/engine/margin.js';
import { buildSymbolConfig, type SymbolSpec } from '../../src/engine/symbol.js';
import { Engine } from '../../src/engine/engine.js';
import { Harness, orderOf } from './helpers.js';

const S = INVERSE_COST_SCALE;
const btcUsd = buildSymbolConfig(BTC_USD);

/** KuCoin's XBTUSDM as seed 004 shows it: 1 USD a lot, tick 0.01 (prices with 2 decimals), settled in XBT. */
const XBTUSDM: SymbolSpec = {
  ...BTC_USD, symbol: 'xbt_usdm', baseAsset: 'XBT', quoteAsset: 'USD', settleAsset: 'XBT', tickSize: '0.01', contractSize: '1',
  maxPriceTicks: 1_000_000_000, pricing: { impactMarginNotional: '1' },
};
const xbt = buildSymbolConfig(XBTUSDM);

/** A coin amount (10^-16 units, an inverse cost) to 10 decimals, half away from zero. */
const coin10 = (fine: bigint): string => formatRatio(fine, S * 100_000_000n, 10);

describe('inverse symbol configuration', () => {
  test('btc_usd: a contract is 100 USD, so C = 100 × 1e8 / 0.1 = 1e11 amount units × ticks', () => {
    assert.equal(btcUsd.inverse, true);
    assert.equal(btcUsd.inverseValue, 100_000_000_000n);
    assert.equal(btcUsd.valuePerTickContract, 0n);
    assert.equal(xbt.inverseValue, 10_000_000_000n);
  });

  test('an inverse contract settles in its base coin; a linear one in its quote asset', () => {
    assert.throws(() => buildSymbolConfig({ ...BTC_USD, settleAsset: 'USD' }), /COIN_BASED contract settles in its base asset BTC/);
    assert.throws(() => buildSymbolConfig({ ...DEMO_SYMBOLS[0]!, settleAsset: 'BTC' }), /U_BASED contract settles in its quote asset USDT/);
    assert.throws(() => buildSymbolConfig({ ...BTC_USD, tickSize: '0.3', contractSize: '1' }), /contractSize × 1e8 \/ tickSize must be a whole number/);
  });

  test('the demo inverse and delivery symbols build', () => {
    for (const spec of INVERSE_AND_DELIVERY_DEMO_SYMBOLS) assert.ok(buildSymbolConfig(spec));
  });
});

describe('inverse formulas (margin.ts)', () => {
  test('risk.md V7: 100 contracts × 100 USD at mark 25,000 are 0.4 BTC; tier 1 MMR 0.4 % → MM 0.0016 BTC', () => {
    assert.equal(notional(btcUsd, 100, 250_000), parseAmount('0.4'));
    assert.equal(positionMaintenance(btcUsd, 100, 250_000), parseAmount('0.0016'));
  });

  test('cost, margin and fees of 10 contracts (1,000 USD) at 50,000: 0.02 BTC, IM at 20x 0.001, taker 0.00001, maker 0.000002', () => {
    const cost = costOf(btcUsd, 10, 500_000);
    assert.equal(cost, parseAmount('0.02') * S);
    assert.equal(initialMargin(btcUsd, cost, 20), parseAmount('0.001'));
    assert.equal(fee(btcUsd, 10, 500_000, false), parseAmount('0.00001'));
    assert.equal(fee(btcUsd, 10, 500_000, true), parseAmount('0.000002'));
    // Per contract: ceil(0.002 / 20) + ceil(0.002 × 0.0005) in 1e-8 = 10,000 + 100.
    assert.equal(frozenPerContract(btcUsd, 500_000, 20), 10_100n);
  });

  test('coverage.md §2.5, seed 004 (KuCoin XBTUSDM): posCost −0.0000285718, markValue −0.0000279684, unrealisedPnl 0.0000006034', () => {
    const entry = 6_999_909; // 69,999.09
    const mark = 7_150_937; // 71,509.37
    const posCost = -costOf(xbt, 2, entry);
    const markValue = -costOf(xbt, 2, mark);
    assert.equal(coin10(posCost), '-0.0000285718');
    assert.equal(coin10(markValue), '-0.0000279684');
    assert.equal(coin10(markValue - posCost), '0.0000006034');
    // The entry price comes back exactly from the cost (harmonic mean of one fill).
    assert.equal(formatEntryPrice(xbt, -posCost, 2, 0), '69999.09');
    // In the engine's 1e-8 amounts the unrealized PnL is rounded down once: 0.00000060.
    assert.equal(unrealizedPnl(xbt, 2, -posCost, mark), 60n);
  });

  test('risk.md V12 (KuCoin): 10,000 XBTUSDM lots at mark 5,000, F 0.025 % → PV 2 BTC, the long pays 0.0005 BTC', () => {
    const mark = 500_000;
    assert.equal(notional(xbt, 10_000, mark), parseAmount('2'));
    const rate = 25_000n;
    const fees = allocateFundingOf([10_000, -10_000], xbt.inverseValue * rate, BigInt(mark) * 100_000_000n);
    assert.deepEqual(fees, [-parseAmount('0.0005'), parseAmount('0.0005')]);
  });
});

describe('inverse positions in the engine', () => {
  const symbols = [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS, XBTUSDM];
  /** A harness over the inverse symbols with two accounts holding `amount` of `coin` each. */
  const twoFunded = (amount: string, coin: string): { h: Harness; first: number; second: number } => {
    const h = new Harness({ symbols });
    const first = h.account();
    const second = h.account();
    h.deposit(first, amount, coin);
    h.deposit(second, amount, coin);
    return { h, first, second };
  };
  const BTCUSD = 'btc_usd';

  test('seed 004 reproduced: 2 lots bought at 69,999.09, mark 71,509.37', () => {
    const { h, first: a, second: b } = twoFunded('1', 'XBT');
    h.mark(7_000_000, 'xbt_usdm');
    h.trade(b, a, 'BUY', 2, 6_999_909, { symbol: 'xbt_usdm' }, { symbol: 'xbt_usdm' });
    h.mark(7_150_937, 'xbt_usdm');
    const long = h.position(a, 'xbt_usdm');
    assert.equal(long.qty, 2);
    assert.equal(coin10(-long.entryCost), '-0.0000285718');
    assert.equal(formatEntryPrice(xbt, long.entryCost, 2, 0), '69999.09');
    assert.equal(long.unrealizedPnl, 60n);
    const short = h.position(b, 'xbt_usdm');
    assert.equal(short.entryCost, long.entryCost, 'both sides book the same coin value');
    assert.equal(short.unrealizedPnl, -61n, 'the short’s loss is rounded down too (away from it)');
  });

  test('a long opened at 50,000 and closed at 55,000: PnL = 1,000 USD × (1/50,000 − 1/55,000) BTC, fees in BTC, Σ exact', () => {
    const { h, first: maker, second: taker } = twoFunded('1', 'BTC');
    h.mark(500_000, BTCUSD);
    h.trade(maker, taker, 'BUY', 10, 500_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    let long = h.position(taker, BTCUSD);
    assert.equal(long.entryCost, parseAmount('0.02') * S);
    assert.equal(long.margin, parseAmount('0.001'), 'cross IM at 20x');
    assert.equal(h.wallet(taker, 'BTC').walletBalance, parseAmount('1') - parseAmount('0.00001'), 'taker fee 0.05 % of 0.02 BTC');
    assert.equal(h.wallet(maker, 'BTC').walletBalance, parseAmount('1') - parseAmount('0.000002'), 'maker fee 0.01 % of 0.02 BTC');
    // The price rises 10 %: the long's coin profit is 1000 × (1/50000 − 1/55000) = 0.00181818… BTC.
    h.mark(550_000, BTCUSD);
    long = h.position(taker, BTCUSD);
    assert.equal(long.unrealizedPnl, 181_818n);
    const closed = h.trade(maker, taker, 'SELL', 10, 550_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    assert.equal(orderOf(closed).realizedPnl, 181_818n);
    assert.equal(h.position(taker, BTCUSD).qty, 0);
    assert.equal(h.position(maker, BTCUSD).realizedPnlTotal, -181_819n, 'the short’s loss rounds down as well');
    // Fees: 0.00001 + 0.000002 at 50,000; at 55,000 the same 1,000 USD is 0.01818… BTC.
    const fees = h.fees('BTC');
    assert.equal(fees, parseAmount('0.00001') + parseAmount('0.000002') + 910n + 182n);
    // The harness audited the books after every command: Σ wallets + fees + dust = deposits.
  });

  test('the entry price is the harmonic (contract-weighted) mean: 1 @ 52,500 and 1 @ 57,500 → 54,886.3636…', () => {
    const { h, first: maker, second: taker } = twoFunded('1', 'BTC');
    h.mark(550_000, BTCUSD);
    h.trade(maker, taker, 'BUY', 1, 525_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    h.trade(maker, taker, 'BUY', 1, 575_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    const p = h.position(taker, BTCUSD);
    // 2 / (1/52,500 + 1/57,500) = 54,886.3636…
    assert.equal(formatEntryPrice(btcUsd, p.entryCost, 2, 4), '54886.36364');
  });

  test('an inverse position does not touch the USDT wallet; margin without BTC is refused', () => {
    const h = new Harness({ symbols });
    const a = h.account('10000');
    h.mark(500_000, BTCUSD);
    const placed = h.place(a, { side: 'BUY', qty: 1, price: 500_000, symbol: BTCUSD });
    assert.equal(orderOf(placed).state, 'REJECTED');
    assert.equal(orderOf(placed).reason, 'INSUFFICIENT_MARGIN');
  });

  test('cross positions on two BTC-settled inverse symbols share the BTC wallet; funding is paid in BTC', () => {
    const { h, first: a, second: b } = twoFunded('1', 'BTC');
    h.mark(500_000, BTCUSD);
    h.mark(500_000, 'btc_usd270326');
    h.trade(b, a, 'BUY', 10, 500_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    h.trade(b, a, 'BUY', 10, 500_000, { symbol: 'btc_usd270326' }, { symbol: 'btc_usd270326' });
    // Two positions of 0.02 BTC at 20x: 0.001 BTC each, both in the one BTC wallet.
    assert.equal(h.wallet(a, 'BTC').crossedMargin, parseAmount('0.002'));
    // Funding with no premium samples: F = I = 0.0001; the long pays 10 × 100 × 0.0001 / 50,000 = 0.000002 BTC.
    const before = h.wallet(a, 'BTC').walletBalance;
    const settled = h.apply({ type: 'settleFunding', symbol: BTCUSD });
    assert.equal(settled.result.ok, true);
    const funding = settled.events.filter((e) => e.type === 'funding');
    assert.deepEqual(funding.map((e) => (e.type === 'funding' ? e.fundingFee : 0n)), [-parseAmount('0.000002'), parseAmount('0.000002')]);
    assert.equal(h.wallet(a, 'BTC').walletBalance, before - parseAmount('0.000002'));
  });

  // Published worked examples (coverage.md §2.5; Bybit help center "P&L calculations (Inverse
  // Contracts)" and "What is Inverse Contract"; Binance "A Beginner's Guide to Futures Trading",
  // COIN-M): 1 USD contracts on xbt_usdm (Bybit's BTCUSD), 100 USD contracts on btc_usd.
  test('Bybit AEP: 1,000 @ 5,000 then 2,000 @ 6,000 → total value 0.5333… BTC, average entry 3,000 / 0.5333… = 5,625.00', () => {
    const { h, first: maker, second: taker } = twoFunded('10', 'XBT');
    h.mark(500_000, 'xbt_usdm');
    h.trade(maker, taker, 'BUY', 1_000, 500_000, { symbol: 'xbt_usdm' }, { symbol: 'xbt_usdm' });
    h.mark(600_000, 'xbt_usdm');
    h.trade(maker, taker, 'BUY', 2_000, 600_000, { symbol: 'xbt_usdm' }, { symbol: 'xbt_usdm' });
    const p = h.position(taker, 'xbt_usdm');
    // 0.2 + 0.3333… BTC (Bybit shows 0.53333334, its 8th decimal rounded up; the engine keeps 1e-16).
    assert.equal(formatRatio(p.entryCost, S * 100_000_000n, 8), '0.53333333');
    assert.equal(formatEntryPrice(xbt, p.entryCost, 3_000, 2), '5625');
    // Bybit's unrealized PnL example: 1,000 long @ 5,000 at 5,500 is 1,000 × (1/5,000 − 1/5,500) =
    // 0.0181818… BTC (its page shows 0.01819: 1/5,000 − 1/5,500 rounded up to 8 decimals first).
    assert.equal(unrealizedPnl(xbt, 1_000, costOf(xbt, 1_000, 500_000), 550_000), 1_818_181n);
  });

  test('Bybit: 10,000 contracts long @ 8,000 closed @ 12,500 → 1.25 − 0.8 = 0.45 BTC exactly', () => {
    const { h, first: maker, second: taker } = twoFunded('1', 'XBT');
    h.mark(800_000, 'xbt_usdm');
    h.trade(maker, taker, 'BUY', 10_000, 800_000, { symbol: 'xbt_usdm' }, { symbol: 'xbt_usdm' });
    assert.equal(h.position(taker, 'xbt_usdm').entryCost, parseAmount('1.25') * S);
    h.mark(1_250_000, 'xbt_usdm');
    const closed = h.trade(maker, taker, 'SELL', 10_000, 1_250_000, { symbol: 'xbt_usdm' }, { symbol: 'xbt_usdm' });
    assert.equal(orderOf(closed).realizedPnl, parseAmount('0.45'));
    assert.equal(h.position(maker, 'xbt_usdm').realizedPnlTotal, -parseAmount('0.45'));
  });

  test('Binance COIN-M: 10,000 USD long @ 50,000 closed @ 55,000 → 0.2 − 0.1818 = 0.0182 BTC (exactly 0.0181818…)', () => {
    const { h, first: maker, second: taker } = twoFunded('1', 'BTC');
    h.mark(500_000, BTCUSD);
    h.trade(maker, taker, 'BUY', 100, 500_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    h.mark(550_000, BTCUSD);
    const closed = h.trade(maker, taker, 'SELL', 100, 550_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    const pnl = orderOf(closed).realizedPnl;
    assert.equal(pnl, 1_818_181n);
    assert.equal(formatRatio(pnl, 100_000_000n, 4), '0.0182');
  });

  test('an open inverse position and the rounding dust survive a snapshot: restored, audited, the same snapshot and the same next events', () => {
    const { h, first: maker, second: taker } = twoFunded('1', 'BTC');
    h.mark(500_000, BTCUSD);
    h.trade(maker, taker, 'BUY', 10, 500_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    h.mark(525_000, BTCUSD);
    h.trade(maker, taker, 'SELL', 3, 525_000, { symbol: BTCUSD }, { symbol: BTCUSD });
    const snapshot = h.engine.snapshot();
    assert.ok((snapshot.roundingDust ?? []).some(([asset, fine]) => asset === 'BTC' && fine > 0n), 'the partial close left dust');
    const restored = Engine.restore({ symbols }, snapshot);
    assert.deepEqual(restored.snapshot(), snapshot);
    assert.equal(restored.stateHash(), h.engine.stateHash());
    const next = { type: 'placeOrder', accountId: taker, symbol: BTCUSD, side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC',
      price: 530_000, qty: 7, reduceOnly: false, time: h.time } as const;
    assert.deepEqual(restored.apply(next).events, h.engine.apply(next).events);
    restored.audit();
  });
});
