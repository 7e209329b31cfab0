/**
 * Events (docs/engine-rules.md "Events" and the per-command event lists): step order within a
 * fill, per-account seq, cmdSeq, reasons, silence of refused and no-op commands, which wallets and
 * positions are emitted, trade event fields.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeReason } from '../../src/engine/types.js';
import { BTC, Harness, errorOf, eventsOf, labels, orderOf, usdt } from './helpers.js';

/** A scenario touching every command kind, for the counters below. */
function busyDay(): { h: Harness; a: number; b: number; c: number } {
  const h = new Harness();
  const a = h.account('1000');
  const b = h.account('1000');
  const c = h.account();
  h.deposit(c, '50');
  h.mark(600_000);
  h.trade(b, a, 'BUY', 10, 600_000);
  h.sell(a, 4, 601_000, { reduceOnly: true });
  h.buy(c, 3, 601_000); // takes 3 of a's reduce-only order
  h.apply({ type: 'withdraw', accountId: c, asset: 'USDT', amount: usdt('1') });
  h.apply({ type: 'withdraw', accountId: c, asset: 'USDT', amount: usdt('1000') }); // refused
  h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 });
  h.apply({ type: 'cancelAll', accountId: a, symbol: BTC });
  h.buy(b, 2, 590_000, { timeInForce: 'GTX' }); // #5: b closes 2 of its short 10
  h.amend(b, 99, { qty: 1 }); // refused: no such order
  h.amend(b, 5, { qty: 3 });
  h.place(c, { side: 'SELL', qty: 3, orderType: 'MARKET', timeInForce: 'IOC' }); // c sells its 3 to b: flat
  h.apply({ type: 'setMarginMode', accountId: c, symbol: BTC, marginMode: 'ISOLATED' });
  h.apply({ type: 'setPositionMode', accountId: c, positionMode: 'HEDGE' });
  return { h, a, b, c };
}

describe('events', () => {
  it('a fill emits the maker\'s step then the taker\'s step: order, trade, position, balance', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 5, 600_000); // #1
    const taken = h.buy(a, 5, 600_000); // #2
    assert.deepEqual(labels(taken.events), [
      'a1 order NEW #2', 'a1 position', 'a1 balance',
      'a2 order TRADE #1', 'a2 trade', 'a2 position', 'a2 balance',
      'a1 order TRADE #2', 'a1 trade', 'a1 position', 'a1 balance',
    ]);
    assert.ok(taken.events.every((e) => e.reason === 'ORDER' && e.cmdSeq === taken.cmdSeq && e.time === h.time));
    // snapshots are as of their event: the NEW order has no fill yet, the TRADE one is FILLED
    const orders = eventsOf(taken.events, 'order', a);
    assert.deepEqual(orders.map((e) => [e.execType, e.order.state, e.order.executedQty]), [['NEW', 'NEW', 0], ['TRADE', 'FILLED', 5]]);
    // the taker's position event after the fill is a full snapshot
    const pos = eventsOf(taken.events, 'position', a)[1]!.position;
    assert.equal(pos.qty, 5);
    assert.equal(pos.entryCost, 3_000_000n);
    assert.equal(pos.openOrderQty, 0);
    h.audit();
  });

  it('trade event fields: ids, side, price, qty, maker flag, fee, fee asset, realized PnL, margin unfrozen', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000); // trade 1, orders #1 (b) and #2 (a)
    h.sell(a, 4, 602_000, { clientOrderId: 'ask-1' }); // #3: a long 10 → closes 4 (freezes nothing)
    const taken = h.buy(c, 6, 602_000, { clientOrderId: 'bid-1' }); // #4: c opens 4, 2 rest
    const [makerTrade, takerTrade] = eventsOf(taken.events, 'trade');
    // Each trade carries its order as the fill left it: the very snapshot of the TRADE order event before it.
    const tradeOrders = eventsOf(taken.events, 'order').filter((e) => e.execType === 'TRADE');
    assert.equal(makerTrade!.order, tradeOrders.find((e) => e.order.orderId === 3)!.order);
    assert.equal(takerTrade!.order, tradeOrders.find((e) => e.order.orderId === 4)!.order);
    assert.equal(makerTrade!.order.executedQty, 4);
    assert.equal(takerTrade!.order.state, 'PARTIALLY_FILLED');
    assert.deepEqual({ ...makerTrade!, seq: 0, order: null }, {
      type: 'trade', accountId: a, seq: 0, cmdSeq: taken.cmdSeq, time: h.time, reason: 'ORDER',
      tradeId: 2, orderId: 3, clientOrderId: 'ask-1', symbol: BTC, side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT',
      price: 602_000, qty: 4, isMaker: true,
      fee: 481_600n, // ceil(4 × 602,000 × 1000 × 20,000 / 1e8) = ceil(4 × 602,000 / 5) = 481,600
      feeAsset: 'USDT',
      realizedPnl: 8_000_000n, // long closes 4: 1000 × (4 × 602,000 − floor(6,000,000 × 4 / 10)) = 1000 × 8,000
      marginUnfrozen: 0n, // a closing order froze nothing
      source: 'USER',
      order: null,
    });
    assert.deepEqual({ ...takerTrade!, seq: 0, order: null }, {
      type: 'trade', accountId: c, seq: 0, cmdSeq: taken.cmdSeq, time: h.time, reason: 'ORDER',
      tradeId: 2, orderId: 4, clientOrderId: 'bid-1', symbol: BTC, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT',
      price: 602_000, qty: 4, isMaker: false,
      fee: 1_444_800n, // ceil(3 × 4 × 602,000 / 5) = 1,444,800
      feeAsset: 'USDT',
      realizedPnl: 0n, // an add
      // perContract(602,000) = 30,100,000 + 361,200 = 30,461,200; 4 of the 6 frozen are released: 121,844,800
      marginUnfrozen: 121_844_800n,
      source: 'USER',
      order: null,
    });
    h.audit();
  });

  it('per-account seq runs 1, 2, 3, … without gaps; every event carries its command\'s cmdSeq; cmdSeq counts refused commands too', () => {
    const { h } = busyDay();
    const seqs = new Map<number, number[]>();
    h.log.forEach((applied, i) => {
      assert.equal(applied.cmdSeq, i + 1);
      for (const e of applied.events) {
        assert.equal(e.cmdSeq, applied.cmdSeq);
        seqs.set(e.accountId, [...(seqs.get(e.accountId) ?? []), e.seq]);
      }
    });
    assert.equal(seqs.size, 3);
    for (const [account, list] of seqs) {
      assert.deepEqual(list, list.map((_, i) => i + 1), `account ${account}`);
    }
    assert.ok(h.log.some((applied) => !applied.result.ok), 'the scenario has refused commands');
    h.audit();
  });

  it('reasons: DEPOSIT, WITHDRAW, ORDER, MARGIN_TRANSFER, MARGIN_TYPE_CHANGE, LEVERAGE_CHANGE, POSITION_MODE_CHANGE', () => {
    const h = new Harness();
    const a = h.account();
    const b = h.account('1000');
    const reasons = (events: { reason: ChangeReason }[]) => [...new Set(events.map((e) => e.reason))];
    assert.deepEqual(reasons(h.deposit(a, '100').events), ['DEPOSIT']);
    assert.deepEqual(reasons(h.apply({ type: 'withdraw', accountId: a, asset: 'USDT', amount: 1n }).events), ['WITHDRAW']);
    assert.deepEqual(reasons(h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' }).events), ['POSITION_MODE_CHANGE']);
    assert.deepEqual(reasons(h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' }).events), ['MARGIN_TYPE_CHANGE']);
    assert.deepEqual(reasons(h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 5 }).events), ['LEVERAGE_CHANGE']);
    h.sell(b, 1, 600_000);
    assert.deepEqual(reasons(h.buy(a, 1, 600_000, { positionSide: 'LONG' }).events), ['ORDER']);
    assert.deepEqual(reasons(h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'LONG', amount: 5n }).events), ['MARGIN_TRANSFER']);
    h.audit();
  });

  it('refused commands and commands that change nothing emit nothing', () => {
    const h = new Harness();
    const a = h.account('10');
    const o = orderOf(h.buy(a, 1, 590_000));
    const silent = [
      h.apply({ type: 'withdraw', accountId: a, asset: 'USDT', amount: usdt('100') }),
      h.apply({ type: 'deposit', accountId: a, asset: 'USDT', amount: 0n }),
      h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 20 }),
      h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'CROSSED' }),
      h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'ONE_WAY' }),
      h.apply({ type: 'setMarkPrice', symbol: BTC, price: 600_000 }),
      h.apply({ type: 'cancelAll', accountId: a, symbol: 'eth_usdt' }),
      h.amend(a, o.orderId, { qty: 1 }),
      h.cancel(a, 77),
      h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' }),
    ];
    for (const applied of silent) assert.deepEqual(applied.events, [], JSON.stringify(applied.result));
    // and the account's seq did not move: deposit 1, NEW 2, position 3, balance 4 → the next event is seq 5
    const next = h.deposit(a, '1');
    assert.equal(next.events[0]!.seq, 5);
    h.audit();
  });

  it('balance events only for wallets that changed: a pure closing order emits order and position only', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    const close = h.sell(a, 4, 610_000);
    assert.deepEqual(labels(close.events), [`a1 order NEW #${orderOf(close).orderId}`, 'a1 position']);
    assert.equal(eventsOf(close.events, 'position')[0]!.position.closeOrderQty, 4);
    // cancelling it frees nothing either
    assert.deepEqual(labels(h.cancel(a, orderOf(close).orderId).events), [`a1 order CANCELED #${orderOf(close).orderId}`, 'a1 position']);
    // a deposit in another asset touches only that wallet
    const btcDeposit = h.deposit(a, '1', 'BTC');
    assert.equal(eventsOf(btcDeposit.events, 'balance').length, 1);
    assert.equal(eventsOf(btcDeposit.events, 'balance')[0]!.balance.asset, 'BTC');
    h.audit();
  });

  it('a position event is a full snapshot, emitted once per step in the order the positions first changed', () => {
    const h = new Harness();
    const a = h.account('1000');
    h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' });
    h.buy(a, 1, 590_000, { positionSide: 'LONG' });
    h.sell(a, 1, 610_000, { positionSide: 'SHORT' });
    const changed = h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 10 });
    assert.deepEqual(labels(changed.events), ['a1 config', 'a1 position', 'a1 position', 'a1 balance']);
    assert.deepEqual(eventsOf(changed.events, 'position').map((e) => [e.position.positionSide, e.position.leverage]), [['LONG', 10], ['SHORT', 10]]);
    // 59,000 at L10: 59,000,000 + 354,000; 61,000 at L10: 61,000,000 + 366,000
    assert.equal(eventsOf(changed.events, 'balance')[0]!.balance.openOrderMarginFrozen, 59_354_000n + 61_366_000n);
    h.audit();
  });

  it('the busy scenario leaves a consistent state', () => {
    const { h, a, b, c } = busyDay();
    // money: wallets + fees − Σ K × signed entry cost = deposits − withdrawals (audit checks it; spot check the totals)
    const view = h.view();
    assert.deepEqual(view.netDeposits, [{ asset: 'USDT', amount: usdt('2049') }]);
    assert.equal(view.accounts.length, 3);
    assert.equal(view.accounts.find((x) => x.accountId === c)!.positionMode, 'HEDGE');
    assert.ok(view.accounts.find((x) => x.accountId === a) && view.accounts.find((x) => x.accountId === b));
    assert.equal(errorOf(h.apply({ type: 'withdraw', accountId: c, asset: 'USDT', amount: usdt('49.00000001') })), 'INSUFFICIENT_BALANCE');
    h.audit();
  });

  it('the engine is deterministic: the same commands give the same events and the same state hash', () => {
    const first = busyDay().h;
    const second = busyDay().h;
    assert.equal(first.engine.stateHash(), second.engine.stateHash());
    assert.deepEqual(first.log, second.log);
    // and the hash sees a difference
    second.deposit(1, '0.00000001');
    assert.notEqual(first.engine.stateHash(), second.engine.stateHash());
  });
});
