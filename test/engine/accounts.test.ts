/**
 * Account commands (docs/engine-rules.md "Accounts and settings", "Other commands"): accounts,
 * deposit, withdraw, setLeverage, setMarginMode, setPositionMode, setMarkPrice, engine time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { BTC, ETH, Harness, errorOf, eventsOf, labels, orderOf, usdt } from './helpers.js';

describe('accounts', () => {
  it('ids count from 1; a new account is one-way with leverage min(20, maxLeverage) and CROSSED on every symbol', () => {
    const low: SymbolSpec = {
      ...BTC_USDT, symbol: 'low_usdt', maxLeverage: 10,
      tiers: [{ notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 10 }],
    };
    const h = new Harness({ symbols: [BTC_USDT, low] });
    const created = h.apply({ type: 'createAccount' });
    assert.deepEqual(created.result, { ok: true, kind: 'account', accountId: 1 });
    assert.deepEqual(created.events, []);
    assert.equal(h.account(), 2);
    const view = h.view().accounts[0]!;
    assert.equal(view.positionMode, 'ONE_WAY');
    assert.deepEqual(view.settings, [
      { symbol: 'btc_usdt', leverage: 20, marginMode: 'CROSSED', riskLimitLevel: 1 },
      { symbol: 'low_usdt', leverage: 10, marginMode: 'CROSSED', riskLimitLevel: 1 },
    ]);
    assert.deepEqual(view.positions, []);
    assert.deepEqual(view.orders, []);
    h.audit();
  });

  it('engine time is max(previous time, command time)', () => {
    const h = new Harness();
    h.time = 5_000;
    const a = h.account();
    h.time = 4_000; // a clock stepping back
    const d = h.deposit(a, '1');
    assert.equal(d.events[0]!.time, 5_000);
    assert.equal(h.view().time, 5_000);
    h.time = 6_000;
    assert.equal(h.deposit(a, '1').events[0]!.time, 6_000);
  });
});

describe('deposit / withdraw', () => {
  it('deposit adds to W and emits one balance event (DEPOSIT) with walletChange', () => {
    const h = new Harness();
    const a = h.account();
    const d = h.deposit(a, '123.45678901');
    assert.deepEqual(labels(d.events), ['a1 balance']);
    const e = eventsOf(d.events, 'balance')[0]!;
    assert.equal(e.reason, 'DEPOSIT');
    assert.equal(e.walletChange, 12_345_678_901n);
    assert.deepEqual(e.balance, {
      asset: 'USDT', walletBalance: 12_345_678_901n, crossWalletBalance: 12_345_678_901n, isolatedMargin: 0n,
      crossedMargin: 0n, openOrderMarginFrozen: 0n, availableBalance: 12_345_678_901n, crossUnrealizedPnl: 0n,
      isolatedOrderMarginFrozen: 0n, isolatedUnrealizedPnl: 0n, unrealizedPnl: 0n, realizedPnl: 0n, maintenanceMargin: 0n,
    });
    // another asset is another wallet
    h.deposit(a, '0.5', 'BTC');
    assert.equal(h.wallet(a, 'BTC').walletBalance, 50_000_000n);
    assert.deepEqual(h.view().netDeposits, [{ asset: 'BTC', amount: 50_000_000n }, { asset: 'USDT', amount: 12_345_678_901n }]);
    h.audit();
  });

  it('deposit refusals: amount ≤ 0, bad asset, unknown account', () => {
    const h = new Harness();
    const a = h.account('1');
    const before = h.stateKey();
    const dep = (asset: string, amount: bigint, accountId = a) => h.apply({ type: 'deposit', accountId, asset, amount });
    assert.equal(errorOf(dep('USDT', 0n)), 'INVALID_ARGUMENT');
    assert.equal(errorOf(dep('USDT', -1n)), 'INVALID_ARGUMENT');
    for (const asset of ['usdt', '', 'US-DT', 'A'.repeat(17), 'USDT ']) assert.equal(errorOf(dep(asset, 1n)), 'INVALID_ARGUMENT', asset);
    assert.equal(errorOf(dep('USDT', 1n, 9)), 'UNKNOWN_ACCOUNT');
    assert.equal(h.stateKey(), before);
    h.audit();
  });

  it('withdraw up to the available balance (W minus margins and frozen); more is INSUFFICIENT_BALANCE', () => {
    const h = new Harness();
    const a = h.account('10');
    h.buy(a, 10, 600_000); // freezes 303,600,000 → available 696,400,000 (6.964 USDT)
    const before = h.stateKey();
    assert.equal(errorOf(h.apply({ type: 'withdraw', accountId: a, asset: 'USDT', amount: usdt('6.96400001') })), 'INSUFFICIENT_BALANCE');
    assert.equal(errorOf(h.apply({ type: 'withdraw', accountId: a, asset: 'BTC', amount: 1n })), 'INSUFFICIENT_BALANCE'); // no BTC wallet
    assert.equal(errorOf(h.apply({ type: 'withdraw', accountId: a, asset: 'USDT', amount: 0n })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.apply({ type: 'withdraw', accountId: a, asset: 'usdt', amount: 1n })), 'INVALID_ARGUMENT');
    assert.equal(h.stateKey(), before);
    const w = h.apply({ type: 'withdraw', accountId: a, asset: 'USDT', amount: usdt('6.964') });
    assert.deepEqual(labels(w.events), ['a1 balance']);
    const e = eventsOf(w.events, 'balance')[0]!;
    assert.equal(e.reason, 'WITHDRAW');
    assert.equal(e.walletChange, -696_400_000n);
    assert.equal(e.balance.walletBalance, 303_600_000n);
    assert.equal(e.balance.availableBalance, 0n);
    assert.deepEqual(h.view().netDeposits, [{ asset: 'USDT', amount: 303_600_000n }]);
    h.audit();
  });
});

describe('setLeverage', () => {
  it('range [1, maxLeverage] in whole numbers', () => {
    const h = new Harness();
    const a = h.account('1');
    const before = h.stateKey();
    const lev = (leverage: number, symbol = BTC) => h.apply({ type: 'setLeverage', accountId: a, symbol, leverage });
    for (const bad of [0, -1, 2.5, 126, Number.NaN]) assert.equal(errorOf(lev(bad)), 'INVALID_ARGUMENT', String(bad));
    assert.equal(errorOf(lev(101, ETH)), 'INVALID_ARGUMENT'); // ETH max 100
    assert.equal(errorOf(lev(5, 'doge_usdt')), 'UNKNOWN_SYMBOL');
    assert.equal(h.stateKey(), before);
    assert.equal(lev(125).result.ok, true);
    assert.equal(lev(1).result.ok, true);
    assert.equal(lev(100, ETH).result.ok, true);
    assert.deepEqual(h.view().accounts[0]!.settings, [
      { symbol: 'btc_usdt', leverage: 1, marginMode: 'CROSSED', riskLimitLevel: 1 },
      { symbol: 'eth_usdt', leverage: 100, marginMode: 'CROSSED', riskLimitLevel: 1 },
    ]);
    h.audit();
  });

  it('recomputes cross margin and order frozen margin; events config, position, balance (LEVERAGE_CHANGE)', () => {
    const h = new Harness();
    const a = h.account('100');
    const b = h.account('100');
    h.trade(b, a, 'BUY', 10, 600_000); // margin 6,000,000 × 1000 / 20 = 300,000,000
    const o = orderOf(h.buy(a, 10, 590_000)); // 10 × (29,500,000 + 354,000) = 298,540,000
    assert.equal(o.marginFrozen, 298_540_000n);
    const changed = h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 });
    assert.deepEqual(labels(changed.events), ['a1 config', 'a1 position', 'a1 balance']);
    assert.ok(changed.events.every((e) => e.reason === 'LEVERAGE_CHANGE'));
    const config = eventsOf(changed.events, 'config')[0]!;
    assert.deepEqual([config.symbol, config.leverage, config.marginMode, config.positionMode], [BTC, 10, 'CROSSED', 'ONE_WAY']);
    const p = eventsOf(changed.events, 'position')[0]!.position;
    assert.equal(p.leverage, 10);
    assert.equal(p.margin, 600_000_000n); // 6,000,000,000 / 10
    // 10 × (59,000,000 + 354,000) = 593,540,000
    assert.equal(p.openOrderMarginFrozen, 593_540_000n);
    assert.equal(h.liveOrder(a, o.orderId)!.marginFrozen, 593_540_000n);
    assert.equal(h.liveOrder(a, o.orderId)!.leverage, 10);
    const bal = eventsOf(changed.events, 'balance')[0]!.balance;
    assert.equal(bal.crossedMargin, 600_000_000n);
    assert.equal(bal.openOrderMarginFrozen, 593_540_000n);
    h.audit();
  });

  it('refused when the new margins would leave available < 0; exactly 0 is fine', () => {
    // a: long 10 @ 60,000 and a bid 10 @ 59,000.
    // At L20: margin 300,000,000 + frozen 298,540,000 = 598,540,000.
    // At L10: margin 600,000,000 + frozen 593,540,000 = 1,193,540,000 → needs 595,000,000 more.
    // W must be 1,193,540,000 for available 0 at L10: deposit W + taker fee 3,600,000 = 1,197,140,000.
    const h = new Harness();
    const a = h.account('11.97139999'); // one unit short
    const b = h.account('100');
    h.trade(b, a, 'BUY', 10, 600_000);
    h.buy(a, 10, 590_000);
    assert.equal(h.wallet(a).availableBalance, 594_999_999n); // 1,193,539,999 − 598,540,000
    const before = h.stateKey();
    assert.equal(errorOf(h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 })), 'INSUFFICIENT_BALANCE');
    assert.equal(h.stateKey(), before);
    h.deposit(a, '0.00000001');
    assert.equal(h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 }).result.ok, true);
    assert.equal(h.wallet(a).availableBalance, 0n);
    // raising leverage frees margin and is never refused
    assert.equal(h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 20 }).result.ok, true);
    assert.equal(h.wallet(a).availableBalance, 595_000_000n);
    h.audit();
  });

  it('isolated: margin is topped up to ceil(entryCost × K / L) when below it, never taken back', () => {
    const h = new Harness();
    const a = h.account('100');
    const b = h.account('100');
    h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' });
    h.trade(b, a, 'BUY', 10, 600_000); // isolated margin 300,000,000
    h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 });
    assert.equal(h.position(a).margin, 600_000_000n);
    assert.equal(h.wallet(a).isolatedMargin, 600_000_000n);
    h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 20 });
    assert.equal(h.position(a).margin, 600_000_000n); // not reduced
    assert.equal(h.position(a).leverage, 20);
    h.audit();
  });

  it('changing the leverage of an account that holds no wallet creates none (no money moved)', () => {
    // "Wallets exist per asset": a wallet appears with money (deposit, fill), not with a setting.
    const h = new Harness();
    const a = h.account();
    const changed = h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 });
    assert.deepEqual(labels(changed.events), ['a1 config']);
    assert.deepEqual(h.view().accounts[0]!.wallets, []);
    h.audit();
  });

  it('the same leverage succeeds and emits nothing', () => {
    const h = new Harness();
    const a = h.account('1');
    const same = h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 20 });
    assert.deepEqual(same.result, { ok: true, kind: 'done' });
    assert.deepEqual(same.events, []);
  });
});

describe('setMarginMode / setPositionMode', () => {
  it('margin mode: refused with an open position or a live order of the symbol; events config, position (MARGIN_TYPE_CHANGE)', () => {
    const h = new Harness();
    const a = h.account('100');
    const b = h.account('100');
    const mode = (marginMode: 'ISOLATED' | 'CROSSED', symbol = BTC) => h.apply({ type: 'setMarginMode', accountId: a, symbol, marginMode });
    const o = orderOf(h.buy(a, 1, 590_000));
    let before = h.stateKey();
    assert.equal(errorOf(mode('ISOLATED')), 'HAS_OPEN_POSITION_OR_ORDER');
    assert.equal(h.stateKey(), before);
    // another symbol is not affected
    const eth = h.apply({ type: 'setMarginMode', accountId: a, symbol: ETH, marginMode: 'ISOLATED' });
    assert.deepEqual(labels(eth.events), ['a1 config']); // no ETH position record yet
    h.cancel(a, o.orderId);
    h.trade(b, a, 'BUY', 1, 600_000);
    before = h.stateKey();
    assert.equal(errorOf(mode('ISOLATED')), 'HAS_OPEN_POSITION_OR_ORDER');
    assert.equal(h.stateKey(), before);
    h.trade(b, a, 'SELL', 1, 600_000); // flat again
    const changed = mode('ISOLATED');
    assert.deepEqual(labels(changed.events), ['a1 config', 'a1 position']);
    assert.ok(changed.events.every((e) => e.reason === 'MARGIN_TYPE_CHANGE'));
    const config = eventsOf(changed.events, 'config')[0]!;
    assert.deepEqual([config.symbol, config.leverage, config.marginMode, config.positionMode], [BTC, 20, 'ISOLATED', 'ONE_WAY']);
    assert.equal(eventsOf(changed.events, 'position')[0]!.position.marginMode, 'ISOLATED');
    // same value: ok, nothing emitted
    const same = mode('ISOLATED');
    assert.deepEqual(same.result, { ok: true, kind: 'done' });
    assert.deepEqual(same.events, []);
    assert.equal(errorOf(h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'PORTFOLIO' as never })), 'INVALID_ARGUMENT');
    h.audit();
  });

  it('position mode: refused with any open position or live order on any symbol; config only (POSITION_MODE_CHANGE)', () => {
    const h = new Harness();
    const a = h.account('100');
    const b = h.account('100');
    const mode = (positionMode: 'HEDGE' | 'ONE_WAY') => h.apply({ type: 'setPositionMode', accountId: a, positionMode });
    const o = orderOf(h.buy(a, 1, 300_000, { symbol: ETH }));
    assert.equal(errorOf(mode('HEDGE')), 'HAS_OPEN_POSITION_OR_ORDER');
    h.cancel(a, o.orderId, ETH);
    h.trade(b, a, 'SELL', 1, 600_000);
    const before = h.stateKey();
    assert.equal(errorOf(mode('HEDGE')), 'HAS_OPEN_POSITION_OR_ORDER');
    assert.equal(h.stateKey(), before);
    h.trade(b, a, 'BUY', 1, 600_000);
    const changed = mode('HEDGE');
    assert.deepEqual(labels(changed.events), ['a1 config']);
    const config = eventsOf(changed.events, 'config')[0]!;
    assert.deepEqual([config.symbol, config.leverage, config.marginMode, config.positionMode, config.reason],
      [null, null, null, 'HEDGE', 'POSITION_MODE_CHANGE']);
    assert.equal(h.view().accounts[0]!.positionMode, 'HEDGE');
    assert.deepEqual(mode('HEDGE').events, []);
    assert.equal(errorOf(h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'BOTH' as never })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.apply({ type: 'setPositionMode', accountId: 9, positionMode: 'HEDGE' })), 'UNKNOWN_ACCOUNT');
    h.audit();
  });
});

describe('setMarkPrice', () => {
  it('sets the mark (reference price and PnL) and emits nothing; bad prices and symbols are refused', () => {
    const h = new Harness();
    const set = h.apply({ type: 'setMarkPrice', symbol: BTC, price: 600_000 });
    assert.deepEqual(set.result, { ok: true, kind: 'done' });
    assert.deepEqual(set.events, []);
    assert.equal(h.book().markPrice, 600_000);
    for (const price of [0, -1, 1.5, 100_000_001]) assert.equal(errorOf(h.apply({ type: 'setMarkPrice', symbol: BTC, price })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.apply({ type: 'setMarkPrice', symbol: 'doge_usdt', price: 1 })), 'UNKNOWN_SYMBOL');
    assert.equal(h.book().markPrice, 600_000);
  });
});
