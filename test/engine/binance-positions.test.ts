/**
 * What position and config events carry for Binance's ACCOUNT_UPDATE rules (docs/engine-rules.md
 * "Accounts and settings"): the `initialised` flag, the `siblings` of a position event, and the
 * settle balance of a margin-mode change.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { BTC, ETH, Harness, eventsOf } from './helpers.js';

const sides = (snapshots: readonly { positionSide: string }[] | undefined): string[] => (snapshots ?? []).map((p) => p.positionSide);

describe('initialised positions and siblings', () => {
  it('an order initialises its side; a fill on SHORT carries the initialised LONG as a sibling, not the unused BOTH', () => {
    const h = new Harness({ defaultPositionMode: 'HEDGE' });
    const a = h.account('10000');
    const b = h.account('10000');
    const placed = h.buy(a, 5, 590_000, { positionSide: 'LONG' });
    const [longEvent] = eventsOf(placed.events, 'position', a);
    assert.equal(longEvent!.position.positionSide, 'LONG');
    assert.equal(longEvent!.initialised, true);
    assert.deepEqual(longEvent!.siblings, []);
    const trade = h.trade(b, a, 'SELL', 2, 600_000, { positionSide: 'SHORT' }, { positionSide: 'LONG' });
    const shortEvents = eventsOf(trade.events, 'position', a).filter((e) => e.position.positionSide === 'SHORT');
    assert.ok(shortEvents.length > 0);
    for (const event of shortEvents) {
      assert.equal(event.initialised, true);
      assert.deepEqual(sides(event.siblings), ['LONG']);
      assert.equal(event.siblings![0]!.qty, h.position(a, BTC, 'LONG').qty);
    }
  });

  it('a position-mode change clears the flag; BOTH rides along as a sibling of hedge-side events', () => {
    const h = new Harness();
    const a = h.account('10000');
    const b = h.account('10000');
    h.trade(b, a, 'BUY', 1, 300_000, { symbol: ETH }, { symbol: ETH });
    h.trade(b, a, 'SELL', 1, 299_943, { symbol: ETH }, { symbol: ETH });
    const both = h.position(a, ETH, 'BOTH');
    assert.notEqual(both.realizedPnlTotal, 0n);
    for (const id of [a, b]) assert.equal(h.apply({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' }).result.ok, true);
    const opened = h.trade(b, a, 'SELL', 1, 300_000, { symbol: ETH, positionSide: 'SHORT' }, { symbol: ETH, positionSide: 'LONG' });
    const [short] = eventsOf(opened.events, 'position', a).filter((e) => e.position.positionSide === 'SHORT');
    assert.deepEqual(sides(short!.siblings), ['BOTH']);
    assert.equal(short!.siblings![0]!.realizedPnlTotal, both.realizedPnlTotal);
    // Back to one-way and to hedge again: the SHORT record is kept but no longer initialised.
    h.trade(b, a, 'BUY', 1, 300_000, { symbol: ETH, positionSide: 'SHORT' }, { symbol: ETH, positionSide: 'LONG' });
    for (const mode of ['ONE_WAY', 'HEDGE'] as const) {
      for (const id of [a, b]) assert.equal(h.apply({ type: 'setPositionMode', accountId: id, positionMode: mode }).result.ok, true);
    }
    const longOpened = h.trade(b, a, 'BUY', 1, 300_000, { symbol: ETH, positionSide: 'LONG' }, { symbol: ETH, positionSide: 'SHORT' });
    const [long] = eventsOf(longOpened.events, 'position', a).filter((e) => e.position.positionSide === 'LONG');
    assert.deepEqual(sides(long!.siblings), ['BOTH']);
  });

  it('a margin-mode change emits every record with its flag, and the config event carries the settle balance', () => {
    const h = new Harness({ defaultPositionMode: 'HEDGE' });
    const a = h.account('1000');
    const placed = h.buy(a, 1, 500_000, { positionSide: 'LONG' });
    h.cancel(a, eventsOf(placed.events, 'order', a)[0]!.order.orderId);
    for (const mode of ['ONE_WAY', 'HEDGE'] as const) h.apply({ type: 'setPositionMode', accountId: a, positionMode: mode });
    const placedShort = h.sell(a, 1, 700_000, { positionSide: 'SHORT' });
    h.cancel(a, eventsOf(placedShort.events, 'order', a)[0]!.order.orderId);
    const changed = h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' });
    const [config] = eventsOf(changed.events, 'config', a);
    assert.equal(config!.settleBalance!.asset, 'USDT');
    assert.equal(config!.settleBalance!.walletBalance, h.wallet(a).walletBalance);
    const flags = eventsOf(changed.events, 'position', a).map((e) => [e.position.positionSide, e.initialised]);
    assert.deepEqual(flags, [['LONG', false], ['SHORT', true]]);
    // An account without a USDT wallet gets a zero balance, and no wallet is created.
    const poor = h.account();
    const poorChange = h.apply({ type: 'setMarginMode', accountId: poor, symbol: ETH, marginMode: 'ISOLATED' });
    assert.equal(eventsOf(poorChange.events, 'config', poor)[0]!.settleBalance!.walletBalance, 0n);
    assert.deepEqual(h.view().accounts.find((x) => x.accountId === poor)!.wallets, []);
  });

  it('the flag survives snapshot/restore', () => {
    const h = new Harness({ defaultPositionMode: 'HEDGE' });
    const a = h.account('1000');
    h.buy(a, 1, 500_000, { positionSide: 'LONG' });
    const restored = Engine.restore({ symbols: DEMO_SYMBOLS, defaultPositionMode: 'HEDGE' }, h.engine.snapshot());
    const applied = restored.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED', time: h.time });
    assert.equal(applied.result.ok, false); // a live order: refused, nothing to see
    const snapshot = restored.snapshot();
    assert.deepEqual(snapshot.accounts[0]!.positions.map((p) => [p.side, p.initialised]), [['LONG', true]]);
  });
});
