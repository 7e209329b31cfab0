/**
 * amendOrder, cancelOrder, cancelAll (docs/engine-rules.md "amendOrder", "cancelOrder, cancelAll").
 *
 * BTC_USDT at leverage 20: perContract(p) = 50p + ceil(0.6p):
 *   599,000 → 29,950,000 + 359,400 = 30,309,400     600,000 → 30,360,000
 *   610,000 → 30,500,000 + 366,000 = 30,866,000     611,000 → 30,550,000 + 366,600 = 30,916,600
 *   610,100 → 30,505,000 + 366,060 = 30,871,060     601,000 → 30,050,000 + 360,600 = 30,410,600
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC, ETH, Harness, errorOf, eventsOf, labels, orderOf } from './helpers.js';

describe('amendOrder: time priority', () => {
  it('a qty decrease keeps the place in the level; a qty increase or a price change goes to the back', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const x = orderOf(h.buy(a, 2, 599_000)); // #1
    const y = orderOf(h.buy(b, 2, 599_000)); // #2
    assert.deepEqual(h.book().bids, [{ price: 599_000, orderIds: [1, 2] }]);

    const down = h.amend(a, x.orderId, { qty: 1 });
    assert.deepEqual(labels(down.events), ['a1 order AMENDMENT #1', 'a1 position', 'a1 balance']);
    assert.equal(orderOf(down).qty, 1);
    assert.equal(orderOf(down).marginFrozen, 30_309_400n); // 1 × perContract(599,000)
    assert.deepEqual(h.book().bids, [{ price: 599_000, orderIds: [1, 2] }]);

    const up = orderOf(h.amend(a, x.orderId, { qty: 3 }));
    assert.equal(up.marginFrozen, 90_928_200n); // 3 × 30,309,400
    assert.deepEqual(h.book().bids, [{ price: 599_000, orderIds: [2, 1] }]);

    h.amend(b, y.orderId, { price: 599_100 });
    assert.deepEqual(h.book().bids, [{ price: 599_100, orderIds: [2] }, { price: 599_000, orderIds: [1] }]);
    h.amend(b, y.orderId, { price: 599_000 });
    assert.deepEqual(h.book().bids, [{ price: 599_000, orderIds: [1, 2] }]);
    h.audit();
  });

  it('priority also decides the closing allocation: a price change hands capacity to the next order', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000); // a long 10
    const A = orderOf(h.sell(a, 6, 610_000)); // close 6
    const B = orderOf(h.sell(a, 6, 611_000)); // close 4, open 2: 2 × 30,916,600 = 61,833,200
    assert.equal(B.marginFrozen, 61_833_200n);
    h.amend(a, A.orderId, { price: 610_100 });
    // now B first: B close 6; A close 4, open 2: 2 × 30,871,060 = 61,742,120
    assert.equal(h.liveOrder(a, B.orderId)!.closeQty, 6);
    assert.equal(h.liveOrder(a, B.orderId)!.marginFrozen, 0n);
    assert.equal(h.liveOrder(a, A.orderId)!.closeQty, 4);
    assert.equal(h.liveOrder(a, A.orderId)!.marginFrozen, 61_742_120n);
    assert.equal(h.position(a).openOrderMarginFrozen, 61_742_120n);
    // B shrinks and keeps its priority: B close 5, A close 5 open 1 (30,871,060)
    h.amend(a, B.orderId, { qty: 5 });
    assert.equal(h.liveOrder(a, B.orderId)!.closeQty, 5);
    assert.equal(h.liveOrder(a, A.orderId)!.closeQty, 5);
    assert.equal(h.liveOrder(a, A.orderId)!.marginFrozen, 30_871_060n);
    h.audit();
  });
});

describe('amendOrder: taking and refusals', () => {
  it('an amendment whose new price crosses takes liquidity after its AMENDMENT step', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 5, 600_000); // #1 (b is account 2)
    const x = orderOf(h.buy(a, 8, 599_000)); // #2
    const amended = h.amend(a, x.orderId, { price: 600_000 });
    assert.deepEqual(labels(amended.events), [
      'a1 order AMENDMENT #2', 'a1 position', 'a1 balance',
      'a2 order TRADE #1', 'a2 trade', 'a2 position', 'a2 balance',
      'a1 order TRADE #2', 'a1 trade', 'a1 position', 'a1 balance',
    ]);
    const o = orderOf(amended);
    assert.equal(o.state, 'PARTIALLY_FILLED');
    assert.equal(o.executedQty, 5);
    assert.equal(o.cumQuote, 3_000_000n);
    assert.equal(o.marginFrozen, 91_080_000n); // rest 3 at 600,000: 3 × 30,360,000
    assert.deepEqual(h.book().bids, [{ price: 600_000, orderIds: [2] }]);
    assert.deepEqual(h.book().asks, []);
    h.audit();
  });

  it('a SELL amended through the bid freezes at the bid while it takes, then at its own price', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.buy(b, 5, 600_000);
    const x = orderOf(h.sell(a, 8, 601_000));
    assert.equal(x.marginFrozen, 243_284_800n); // 8 × 30,410,600
    const amended = h.amend(a, x.orderId, { price: 599_000 });
    // while taking: max(599,000, best bid 600,000) = 600,000: 8 × 30,360,000 = 242,880,000
    assert.equal(eventsOf(amended.events, 'order', a)[0]!.order.marginFrozen, 242_880_000n);
    const o = orderOf(amended);
    assert.equal(o.executedQty, 5);
    assert.equal(o.marginFrozen, 90_928_200n); // rests 3 at 599,000: 3 × 30,309,400
    h.audit();
  });

  it('NO_CHANGE: same price and qty (or nothing given) is refused and changes nothing', () => {
    const h = new Harness();
    const a = h.account('1000');
    const x = orderOf(h.buy(a, 2, 599_000));
    const before = h.stateKey();
    assert.equal(errorOf(h.amend(a, x.orderId, { price: 599_000, qty: 2 })), 'NO_CHANGE');
    assert.equal(errorOf(h.amend(a, x.orderId, {})), 'NO_CHANGE');
    assert.equal(h.stateKey(), before);
    h.audit();
  });

  it('a GTX amendment that would cross is refused and changes nothing', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 5, 600_000);
    const x = orderOf(h.buy(a, 5, 599_000, { timeInForce: 'GTX' }));
    const before = h.stateKey();
    assert.equal(errorOf(h.amend(a, x.orderId, { price: 600_000 })), 'ORDER_NOT_AMENDABLE');
    assert.equal(errorOf(h.amend(a, x.orderId, { price: 600_001, qty: 1 })), 'ORDER_NOT_AMENDABLE');
    assert.equal(h.stateKey(), before);
    assert.equal(orderOf(h.amend(a, x.orderId, { price: 599_999 })).price, 599_999);
    h.audit();
  });

  it('a reduce-only amendment beyond its capacity is refused and changes nothing', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    const A = orderOf(h.sell(a, 6, 610_000, { reduceOnly: true }));
    const B = orderOf(h.sell(a, 4, 611_000, { reduceOnly: true }));
    const before = h.stateKey();
    // A grows to 7 and loses priority: B 4, A min(7, 6) = 6 < 7
    assert.equal(errorOf(h.amend(a, A.orderId, { qty: 7 })), 'ORDER_NOT_AMENDABLE');
    assert.equal(errorOf(h.amend(a, B.orderId, { qty: 11 })), 'ORDER_NOT_AMENDABLE');
    assert.equal(h.stateKey(), before);
    // B shrinks to 3 (keeps priority), then A can grow to 7: B 3, A 7
    h.amend(a, B.orderId, { qty: 3 });
    const grown = orderOf(h.amend(a, A.orderId, { qty: 7 }));
    assert.equal(grown.closeQty, 7);
    assert.equal(h.position(a).closeOrderQty, 10);
    h.audit();
  });

  it('a reduce-only price change that would lose its capacity to an older normal order is refused', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    const A = orderOf(h.sell(a, 6, 610_000, { reduceOnly: true })); // close 6
    const B = orderOf(h.sell(a, 6, 611_000)); // close 4, open 2
    const before = h.stateKey();
    // a price change goes to the back: B close 6, A min(6, 4) = 4 < 6
    assert.equal(errorOf(h.amend(a, A.orderId, { price: 610_100 })), 'ORDER_NOT_AMENDABLE');
    assert.equal(h.stateKey(), before);
    // B, a normal order, may change its price: it just gets less capacity (B close 4, open 2 as before)
    assert.equal(orderOf(h.amend(a, B.orderId, { price: 611_100 })).closeQty, 4);
    h.audit();
  });

  it('an amendment that needs more margin than is available is refused and changes nothing', () => {
    const h = new Harness();
    const a = h.account('0.6'); // 60,000,000
    const x = orderOf(h.buy(a, 1, 600_000)); // 30,360,000 → available 29,640,000
    assert.equal(h.wallet(a).availableBalance, 29_640_000n);
    const before = h.stateKey();
    // qty 2 needs 30,360,000 more > 29,640,000
    assert.equal(errorOf(h.amend(a, x.orderId, { qty: 2 })), 'ORDER_NOT_AMENDABLE');
    assert.equal(h.stateKey(), before);
    // 2 @ 59,000: 2 × (29,500,000 + 354,000) = 59,708,000; 29,348,000 more ≤ 29,640,000
    const ok = orderOf(h.amend(a, x.orderId, { qty: 2, price: 590_000 }));
    assert.equal(ok.marginFrozen, 59_708_000n);
    assert.equal(h.wallet(a).availableBalance, 292_000n);
    h.audit();
  });

  it('other refusals: outside the band, qty not above executedQty, bad numbers, unknown order', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.mark(600_000);
    h.sell(b, 2, 600_000);
    const x = orderOf(h.buy(a, 5, 600_000)); // fills 2, rests 3
    assert.equal(x.state, 'PARTIALLY_FILLED');
    const before = h.stateKey();
    assert.equal(errorOf(h.amend(a, x.orderId, { price: 630_001 })), 'ORDER_NOT_AMENDABLE'); // > floor(600,000 × 1.05)
    assert.equal(errorOf(h.amend(a, x.orderId, { qty: 2 })), 'INVALID_ARGUMENT'); // executedQty is 2
    assert.equal(errorOf(h.amend(a, x.orderId, { qty: 1_000_001 })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.amend(a, x.orderId, { price: 0 })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.amend(a, x.orderId, { qty: 2.5 })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.amend(a, 999, { qty: 4 })), 'UNKNOWN_ORDER');
    assert.equal(errorOf(h.amend(b, x.orderId, { qty: 4 })), 'UNKNOWN_ORDER'); // not b's order
    assert.equal(errorOf(h.amend(a, x.orderId, { qty: 4 }, ETH)), 'UNKNOWN_ORDER'); // not on eth_usdt
    assert.equal(h.stateKey(), before);
    // qty 3 leaves 1 open; the order stays PARTIALLY_FILLED and keeps its place
    const shrunk = orderOf(h.amend(a, x.orderId, { qty: 3 }));
    assert.equal(shrunk.state, 'PARTIALLY_FILLED');
    assert.equal(shrunk.marginFrozen, 30_360_000n);
    h.audit();
  });
});

describe('cancelOrder / cancelAll', () => {
  it('cancel by order id and by client order id; a partly filled order ends PARTIALLY_CANCELED', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const x = orderOf(h.buy(a, 1, 590_000, { clientOrderId: 'bid-1' }));
    const byClient = h.apply({ type: 'cancelOrder', accountId: a, symbol: BTC, clientOrderId: 'bid-1' });
    assert.deepEqual(labels(byClient.events), [`a1 order CANCELED #${x.orderId}`, 'a1 position', 'a1 balance']);
    assert.equal(orderOf(byClient).state, 'CANCELED');
    assert.equal(orderOf(byClient).reason, 'USER_CANCELED');
    assert.equal(errorOf(h.apply({ type: 'cancelOrder', accountId: a, symbol: BTC, clientOrderId: 'bid-1' })), 'UNKNOWN_ORDER');

    h.sell(b, 2, 600_000);
    const y = orderOf(h.buy(a, 5, 600_000));
    const canceled = orderOf(h.cancel(a, y.orderId));
    assert.equal(canceled.state, 'PARTIALLY_CANCELED');
    assert.equal(canceled.executedQty, 2);
    assert.equal(canceled.marginFrozen, 0n);
    assert.equal(h.wallet(a).openOrderMarginFrozen, 0n);
    h.audit();
  });

  it('unknown orders: never placed, another account\'s, already finished, another symbol; unknown account or symbol', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const x = orderOf(h.buy(a, 1, 590_000));
    const filledMaker = orderOf(h.sell(b, 1, 600_000));
    h.buy(a, 1, 600_000); // fills b's order
    const before = h.stateKey();
    assert.equal(errorOf(h.cancel(a, 999)), 'UNKNOWN_ORDER');
    assert.equal(errorOf(h.cancel(b, x.orderId)), 'UNKNOWN_ORDER');
    assert.equal(errorOf(h.cancel(b, filledMaker.orderId)), 'UNKNOWN_ORDER');
    assert.equal(errorOf(h.cancel(a, x.orderId, ETH)), 'UNKNOWN_ORDER');
    assert.equal(errorOf(h.apply({ type: 'cancelOrder', accountId: a, symbol: BTC, clientOrderId: 'nope' })), 'UNKNOWN_ORDER');
    assert.equal(errorOf(h.cancel(42, x.orderId)), 'UNKNOWN_ACCOUNT');
    assert.equal(errorOf(h.cancel(a, x.orderId, 'doge_usdt')), 'UNKNOWN_SYMBOL');
    assert.equal(errorOf(h.apply({ type: 'cancelAll', accountId: 42, symbol: BTC })), 'UNKNOWN_ACCOUNT');
    assert.equal(errorOf(h.apply({ type: 'cancelAll', accountId: a, symbol: 'doge_usdt' })), 'UNKNOWN_SYMBOL');
    assert.equal(h.stateKey(), before);
    h.audit();
  });

  it('cancelAll cancels the symbol\'s orders one step each in priority order; other symbols stay', () => {
    const h = new Harness();
    const a = h.account('1000');
    const x = orderOf(h.buy(a, 1, 590_000)); // #1
    const y = orderOf(h.buy(a, 1, 591_000)); // #2
    const z = orderOf(h.sell(a, 1, 610_000)); // #3
    const e = orderOf(h.buy(a, 1, 300_000, { symbol: ETH })); // #4
    h.amend(a, x.orderId, { qty: 2 }); // x loses priority: now after z
    const all = h.apply({ type: 'cancelAll', accountId: a, symbol: BTC });
    assert.deepEqual(labels(all.events), [
      'a1 order CANCELED #2', 'a1 position', 'a1 balance',
      'a1 order CANCELED #3', 'a1 position', 'a1 balance',
      'a1 order CANCELED #1', 'a1 position', 'a1 balance',
    ]);
    assert.ok(all.result.ok && all.result.kind === 'orders');
    assert.deepEqual(all.result.orders.map((o) => [o.orderId, o.state]), [[y.orderId, 'CANCELED'], [z.orderId, 'CANCELED'], [x.orderId, 'CANCELED']]);
    assert.ok(h.liveOrder(a, e.orderId));
    assert.equal(h.position(a).openOrderQty, 0);
    // nothing left: not an error, no events
    const none = h.apply({ type: 'cancelAll', accountId: a, symbol: BTC });
    assert.deepEqual(none.result, { ok: true, kind: 'orders', orders: [] });
    assert.deepEqual(none.events, []);
    h.audit();
  });

  it('cancelAll in hedge mode covers both position sides, still in priority order', () => {
    const h = new Harness();
    const a = h.account('1000');
    h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' });
    h.sell(a, 1, 610_000, { positionSide: 'SHORT' }); // #1
    h.buy(a, 1, 590_000, { positionSide: 'LONG' }); // #2
    h.sell(a, 1, 611_000, { positionSide: 'SHORT' }); // #3
    const all = h.apply({ type: 'cancelAll', accountId: a, symbol: BTC });
    assert.deepEqual(eventsOf(all.events, 'order').map((e) => e.order.orderId), [1, 2, 3]);
    assert.equal(h.view().accounts[0]!.orders.length, 0);
    h.audit();
  });
});
