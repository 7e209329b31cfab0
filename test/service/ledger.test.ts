/**
 * The ledger model on its own (src/service/ledger.ts), fed with a real engine's events: the closed
 * position of a one-way flip, the bounds (oldest rows dropped), capture/restore giving the same
 * state, and a ledger that starts behind open positions (a snapshot from before it existed)
 * following the engine's figures instead of inventing a position.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { Applied } from '../../src/engine/engine.js';
import { Ledger } from '../../src/service/ledger.js';
import { Harness } from '../engine/helpers.js';

function fed(h: Harness, ledger: Ledger): (applied: Applied) => Applied {
  return (applied) => {
    for (const event of applied.events) ledger.record(event);
    return applied;
  };
}

describe('ledger', () => {
  test('a one-way flip closes the long with its share of the fee and opens the short', () => {
    const h = new Harness();
    const ledger = new Ledger(DEMO_SYMBOLS);
    const feed = fed(h, ledger);
    const a = h.account('10000');
    const b = h.account('10000');
    for (const applied of h.log) feed(applied);
    feed(h.mark(600_000));
    feed(h.sell(b, 10, 600_000));
    feed(h.buy(a, 10, 600_000)); // a long 10 at 60,000
    feed(h.buy(b, 30, 601_000));
    const flip = feed(h.sell(a, 30, 601_000)); // a sells 30 at 60,100: closes 10, opens a short of 20
    const [closed] = ledger.closedPositions(a);
    assert.ok(closed !== undefined);
    assert.deepEqual([closed.direction, closed.qty, closed.openCost, closed.closeCost], ['LONG', 10, 6_000_000n, 6_010_000n]);
    const fill = flip.events.find((e) => e.type === 'trade' && e.accountId === a);
    assert.ok(fill?.type === 'trade');
    assert.equal(closed.closeFees, (fill.fee * 10n) / 30n);
    assert.equal(closed.realizedPnl, fill.realizedPnl);
    assert.equal(h.position(a).qty, -20);
    const rows = ledger.rows(a);
    assert.deepEqual(rows.map((r) => r.kind), ['DEPOSIT', 'FEE', 'REALIZED_PNL', 'FEE']);
    assert.equal(rows[rows.length - 1]!.positionAfter, -20);
    assert.equal(rows[rows.length - 1]!.balanceAfter, h.wallet(a).walletBalance);
  });

  test('bounded per account: the oldest rows go; capture and restore give the same state', () => {
    const h = new Harness();
    const ledger = new Ledger(DEMO_SYMBOLS, { rowsPerAccount: 3, rowsTotal: 100, closedPositionsPerAccount: 1, closedPositionsTotal: 10, closingOrdersPerAccount: 1, closingOrdersTotal: 10 });
    const feed = fed(h, ledger);
    const a = h.account();
    for (const applied of h.log) feed(applied);
    for (const amount of ['1', '2', '3', '4', '5']) feed(h.deposit(a, amount));
    assert.deepEqual(ledger.rows(a).map((r) => r.amount), [300_000_000n, 400_000_000n, 500_000_000n]);
    const copy = new Ledger(DEMO_SYMBOLS);
    copy.restore(structuredClone(ledger.capture()));
    assert.deepEqual(copy.rows(a), ledger.rows(a));
    assert.deepEqual(copy.capture(), ledger.capture());
  });

  test('closing orders: one record per order that closed part of the position, its fills in a row; the records add up to the position', () => {
    const h = new Harness();
    const ledger = new Ledger(DEMO_SYMBOLS);
    const feed = fed(h, ledger);
    const a = h.account('10000');
    const b = h.account('10000');
    for (const applied of h.log) feed(applied);
    feed(h.mark(600_000));
    feed(h.sell(b, 4, 600_000));
    feed(h.sell(b, 6, 600_500));
    feed(h.buy(a, 10, 600_500)); // a long 10: 4 at 60,000 and 6 at 60,050 (two fills, two entry prices)
    const x = feed(h.sell(a, 6, 601_000)); // order X rests 6 at 60,100 …
    const orderX = x.events.find((e) => e.type === 'order' && e.accountId === a);
    assert.ok(orderX?.type === 'order');
    feed(h.buy(b, 2, 601_000)); // … filled 2
    feed(h.buy(b, 4, 601_000)); // … then 4: one record, two fills
    feed(h.buy(b, 4, 599_000));
    feed(h.sell(a, 4, 599_000)); // order Y closes the last 4 at 59,900
    const records = ledger.closingOrders(a);
    assert.equal(records.length, 2);
    const [first, second] = records as [NonNullable<(typeof records)[0]>, NonNullable<(typeof records)[0]>];
    assert.deepEqual([first.orderId, first.closedQty, first.fillCount, first.exitCost, first.direction, first.side, first.orderQty],
      [orderX.order.orderId, 6, 2, 6n * 601_000n, 'LONG', 'SELL', 6]);
    assert.deepEqual([second.closedQty, second.fillCount, second.exitCost], [4, 1, 4n * 599_000n]);
    // Entry cost released pro rata, as the engine releases it: 6/10 of 4×60,000 + 6×60,050, then the rest.
    const entry = 4n * 600_000n + 6n * 600_500n;
    assert.equal(first.entryCost, (entry * 6n) / 10n);
    assert.equal(first.entryCost + second.entryCost, entry);
    const [closed] = ledger.closedPositions(a);
    assert.ok(closed !== undefined);
    assert.equal(first.realizedPnl + second.realizedPnl, closed.realizedPnl);
    assert.equal(first.openFee + second.openFee, closed.openFees);
    assert.equal(first.closeFee + second.closeFee, closed.closeFees);
    // Capture and restore keep the records, and the open position's held costs.
    const copy = new Ledger(DEMO_SYMBOLS);
    copy.restore(structuredClone(ledger.capture()));
    assert.deepEqual(copy.capture(), ledger.capture());
  });

  test('closing orders: a one-way flip records only the closing part; another order in between starts a new record', () => {
    const h = new Harness();
    const ledger = new Ledger(DEMO_SYMBOLS);
    const feed = fed(h, ledger);
    const a = h.account('10000');
    const b = h.account('10000');
    for (const applied of h.log) feed(applied);
    feed(h.mark(600_000));
    feed(h.sell(b, 10, 600_000));
    feed(h.buy(a, 10, 600_000)); // a long 10
    feed(h.buy(b, 30, 601_000));
    const flip = feed(h.sell(a, 30, 601_000)); // closes 10, opens a short of 20
    const fill = flip.events.find((e) => e.type === 'trade' && e.accountId === a);
    assert.ok(fill?.type === 'trade');
    const [record] = ledger.closingOrders(a);
    assert.deepEqual([record!.closedQty, record!.orderQty, record!.closeFee, record!.entryCost], [10, 30, (fill.fee * 10n) / 30n, 6_000_000n]);
    // b's buy of 30 closed its short of 10 (a record of 10) and left it long 20, which two of b's
    // orders now close in turn.
    const y = feed(h.sell(b, 10, 602_000));
    const orderY = y.events.find((e) => e.type === 'order' && e.accountId === b);
    assert.ok(orderY?.type === 'order');
    feed(h.buy(a, 5, 602_000)); // Y fills 5
    feed(h.buy(a, 5, 601_500));
    feed(h.sell(b, 5, 601_500)); // order Z closes 5
    feed(h.buy(a, 5, 602_000)); // Y fills its other 5: after Z, so a new record
    const records = ledger.closingOrders(b);
    assert.deepEqual(records.map((r) => [r.orderId === orderY.order.orderId, r.direction, r.closedQty, r.fillCount]),
      [[false, 'SHORT', 10, 1], [true, 'LONG', 5, 1], [false, 'LONG', 5, 1], [true, 'LONG', 5, 1]]);
  });

  test('a ledger that never saw a position open follows the engine and records no invented position', () => {
    const h = new Harness();
    const a = h.account('10000');
    const b = h.account('10000');
    h.mark(600_000);
    h.sell(b, 10, 600_000);
    h.buy(a, 10, 600_000);
    const late = new Ledger(DEMO_SYMBOLS); // as if restored from a snapshot without a ledger
    const feed = fed(h, late);
    feed(h.buy(b, 4, 600_000));
    feed(h.sell(a, 4, 600_000)); // a closes 4 of its 10
    feed(h.buy(b, 6, 600_000));
    feed(h.sell(a, 6, 600_000)); // and the rest: now a closed position is recorded
    const closed = late.closedPositions(a);
    assert.equal(closed.length, 1);
    assert.equal(closed[0]!.direction, 'LONG');
    assert.equal(closed[0]!.qty, 10);
  });
});
