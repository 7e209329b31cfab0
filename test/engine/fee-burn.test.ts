/**
 * Binance's BNB fee burn (docs/engine-rules.md "Fee burn"): setFeeBurn, setAssetPrice, the fee
 * paid in BNB at 90 % of the settle-asset fee converted at the BNB price (rounded up), its
 * fallbacks, and that the setting and prices survive snapshot/restore and move the state hash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { Engine } from '../../src/engine/engine.js';
import { burntFee } from '../../src/engine/fee-burn.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { ETH, Harness, errorOf, eventsOf, usdt } from './helpers.js';

/** ETHUSDT as Binance listed it in 2020: tick 0.01, step 0.001, maker 0.02 %, taker 0.04 % (K = 1000). */
const ETH_SEED: SymbolSpec = { ...ETH_USDT, contractSize: '0.001', makerFeeRate: '0.0002', takerFeeRate: '0.0004' };
const SYMBOLS = [BTC_USDT, ETH_SEED];

/** Two funded accounts; `b` burns fees with `bnb` BNB and BNB priced at `price` USDT (null: no price). */
function setUp(bnb: string, price: string | null = '29.975'): { h: Harness; a: number; b: number } {
  const h = new Harness({ symbols: SYMBOLS });
  const a = h.account('10000');
  const b = h.account('10000');
  if (bnb !== '0') h.deposit(b, bnb, 'BNB');
  if (price !== null) assert.equal(h.apply({ type: 'setAssetPrice', asset: 'BNB', quoteAsset: 'USDT', price: usdt(price) }).result.ok, true);
  assert.equal(h.apply({ type: 'setFeeBurn', accountId: b, feeBurn: true }).result.ok, true);
  return { h, a, b };
}

/** `a` rests a sell of 10 contracts (0.010 ETH) at 375.33, `b` buys it as taker. */
function takeTen(h: Harness, a: number, b: number) {
  h.sell(a, 10, 37533, { symbol: ETH });
  return h.buy(b, 10, 37533, { symbol: ETH });
}

describe('fee burn', () => {
  it('the BNB fee is ceil(fee × 0.9 × 10⁸ / price): seed 002 example 2 costs 0.00004508 BNB', () => {
    // Settle fee: 10 × 37533 × 1000 × 0.0004 = 150,132 units (0.00150132 USDT).
    assert.equal(burntFee(150_132n, usdt('29.975')), 4_508n); // 4507.72 rounded up
    assert.equal(burntFee(1n, usdt('600')), 1n); // never rounds a fee away
    assert.equal(burntFee(100_000_000n, usdt('1')), 90_000_000n); // exact: no rounding
  });

  it('off by default: the taker pays its fee in USDT', () => {
    const h = new Harness({ symbols: SYMBOLS });
    const a = h.account('10000');
    const b = h.account('10000');
    h.deposit(b, '1', 'BNB');
    h.apply({ type: 'setAssetPrice', asset: 'BNB', quoteAsset: 'USDT', price: usdt('29.975') });
    assert.equal(h.view().accounts[1]!.feeBurn, false);
    const taken = takeTen(h, a, b);
    const [trade] = eventsOf(taken.events, 'trade', b);
    assert.equal(trade!.fee, 150_132n);
    assert.equal(trade!.feeAsset, 'USDT');
    assert.equal(h.wallet(b, 'BNB').walletBalance, usdt('1'));
  });

  it('on, priced and covered: the fee leaves the BNB wallet for the BNB fee account; USDT sees only PnL', () => {
    const { h, a, b } = setUp('0.02575839');
    const usdtBefore = h.wallet(b).walletBalance;
    const feesUsdtBefore = h.fees('USDT');
    const taken = takeTen(h, a, b);
    const [trade] = eventsOf(taken.events, 'trade', b);
    assert.equal(trade!.fee, 4_508n);
    assert.equal(trade!.feeAsset, 'BNB');
    assert.equal(h.wallet(b, 'BNB').walletBalance, usdt('0.02571331')); // seed 002 example 2
    assert.equal(h.wallet(b).walletBalance, usdtBefore); // opening: no PnL, no USDT fee
    assert.equal(h.fees('BNB'), 4_508n);
    // The maker (no burn) still pays USDT: 10 × 37533 × 1000 × 0.0002 = 75,066.
    assert.equal(h.fees('USDT') - feesUsdtBefore, 75_066n);
    // The BNB balance event reports no non-fee change (Binance bc), the position counts no USDT fee.
    const bnbEvent = eventsOf(taken.events, 'balance', b).find((e) => e.balance.asset === 'BNB');
    assert.ok(bnbEvent);
    assert.equal(bnbEvent.walletChange, 0n);
    assert.equal(h.position(b, ETH).feesTotal, 0n);
    assert.equal(h.position(b, ETH).realizedPnlCurrent, 0n);
  });

  it('exactly enough BNB pays; one unit less falls back to USDT', () => {
    const enough = setUp('0.00004508');
    const [paid] = eventsOf(takeTen(enough.h, enough.a, enough.b).events, 'trade', enough.b);
    assert.deepEqual([paid!.fee, paid!.feeAsset], [4_508n, 'BNB']);
    assert.equal(enough.h.wallet(enough.b, 'BNB').walletBalance, 0n);

    const short = setUp('0.00004507');
    const [fallback] = eventsOf(takeTen(short.h, short.a, short.b).events, 'trade', short.b);
    assert.deepEqual([fallback!.fee, fallback!.feeAsset], [150_132n, 'USDT']);
    assert.equal(short.h.wallet(short.b, 'BNB').walletBalance, 4_507n);
  });

  it('without a BNB price or without a BNB wallet the fee stays in USDT', () => {
    const unpriced = setUp('1', null);
    assert.equal(eventsOf(takeTen(unpriced.h, unpriced.a, unpriced.b).events, 'trade', unpriced.b)[0]!.feeAsset, 'USDT');
    const empty = setUp('0');
    assert.equal(eventsOf(takeTen(empty.h, empty.a, empty.b).events, 'trade', empty.b)[0]!.feeAsset, 'USDT');
  });

  it('switching it off again charges USDT; setFeeBurn and setAssetPrice emit nothing', () => {
    const { h, a, b } = setUp('1');
    const off = h.apply({ type: 'setFeeBurn', accountId: b, feeBurn: false });
    assert.deepEqual(off.events, []);
    assert.equal(eventsOf(takeTen(h, a, b).events, 'trade', b)[0]!.feeAsset, 'USDT');
    assert.deepEqual(h.apply({ type: 'setAssetPrice', asset: 'BNB', quoteAsset: 'USDT', price: usdt('300') }).events, []);
  });

  it('bad arguments are refused and change nothing', () => {
    const { h, b } = setUp('1');
    const before = h.stateKey();
    assert.match(errorOf(h.apply({ type: 'setFeeBurn', accountId: 99, feeBurn: true })), /UNKNOWN_ACCOUNT/);
    assert.match(errorOf(h.apply({ type: 'setFeeBurn', accountId: b, feeBurn: 'yes' as unknown as boolean })), /INVALID_ARGUMENT/);
    assert.match(errorOf(h.apply({ type: 'setAssetPrice', asset: 'BNB', quoteAsset: 'BNB', price: usdt('1') })), /INVALID_ARGUMENT/);
    assert.match(errorOf(h.apply({ type: 'setAssetPrice', asset: 'bnb', quoteAsset: 'USDT', price: usdt('1') })), /INVALID_ARGUMENT/);
    assert.match(errorOf(h.apply({ type: 'setAssetPrice', asset: 'BNB', quoteAsset: 'USDT', price: 0n })), /INVALID_ARGUMENT/);
    assert.equal(h.stateKey(), before);
  });

  it('the setting and the prices are in the state hash and survive snapshot/restore', () => {
    const { h } = setUp('1');
    const view = h.view();
    assert.deepEqual(view.assetPrices, [{ pair: 'BNB/USDT', price: usdt('29.975') }]);
    assert.deepEqual(view.accounts.map((a) => a.feeBurn), [false, true]);
    const restored = Engine.restore({ symbols: SYMBOLS }, h.engine.snapshot());
    assert.equal(restored.stateHash(), h.engine.stateHash());
    // The same state but for the flag has another hash (stateKey: the hash without cmdSeq).
    const on = h.stateKey();
    h.apply({ type: 'setFeeBurn', accountId: 2, feeBurn: false });
    assert.notEqual(h.stateKey(), on);
    h.apply({ type: 'setFeeBurn', accountId: 2, feeBurn: true });
    assert.equal(h.stateKey(), on);
    h.apply({ type: 'setAssetPrice', asset: 'BNB', quoteAsset: 'USDT', price: usdt('30') });
    assert.notEqual(h.stateKey(), on);
  });

  it('conservation holds per asset with fees in BNB (the audit runs after every command)', () => {
    const { h, a, b } = setUp('1');
    takeTen(h, a, b);
    h.sell(b, 10, 37540, { symbol: ETH });
    h.buy(a, 10, 37540, { symbol: ETH });
    const view = h.view();
    const bnbWallets = view.accounts.reduce((sum, acc) => sum + (acc.wallets.find((w) => w.asset === 'BNB')?.walletBalance ?? 0n), 0n);
    assert.equal(bnbWallets + h.fees('BNB'), usdt('1'));
  });
});
