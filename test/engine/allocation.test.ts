/**
 * Closing-capacity allocation and reallocation (docs/engine-rules.md "Order direction and closing
 * capacity"): closeQty in priority order, open parts, reduce-only knock-outs, INSUFFICIENT_MARGIN
 * cancels.
 *
 * BTC_USDT at leverage 20: perContract(p) = 50p + ceil(0.6p).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, eventsOf, labels, orderOf } from './helpers.js';

describe('allocation', () => {
  it('capacity |qty| goes to reducing orders in priority order (not price order); the rest is open', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000); // a long 10
    const A = orderOf(h.sell(a, 4, 610_000)); // priority 1 of the position's orders, worst price
    const B = orderOf(h.sell(a, 3, 609_000, { reduceOnly: true }));
    const C = orderOf(h.sell(a, 6, 608_000)); // best price, newest
    const D = orderOf(h.buy(a, 2, 590_000)); // does not reduce a long
    assert.equal(A.closeQty, 4);
    assert.equal(B.closeQty, 3);
    // C: min(6, 10 − 4 − 3) = 3 close, 3 open; 3 × (30,400,000 + ceil(364,800)) = 3 × 30,764,800 = 92,294,400
    assert.equal(h.liveOrder(a, C.orderId)!.closeQty, 3);
    assert.equal(h.liveOrder(a, C.orderId)!.marginFrozen, 92_294_400n);
    // D: 2 × (29,500,000 + 354,000) = 59,708,000
    assert.equal(D.closeQty, 0);
    assert.equal(D.marginFrozen, 59_708_000n);
    let p = h.position(a);
    assert.equal(p.closeOrderQty, 10);
    assert.equal(p.qty - p.closeOrderQty, 0); // availableCloseSize = |qty| − closeOrderQty
    assert.equal(p.openOrderQty, 5); // 3 (C) + 2 (D)
    assert.equal(p.openOrderMarginFrozen, 152_002_400n); // 92,294,400 + 59,708,000
    assert.equal(h.wallet(a).openOrderMarginFrozen, 152_002_400n);

    // cancelling A hands its capacity on: B 3, C 6 (all of it closes now)
    const cancel = h.cancel(a, A.orderId);
    assert.deepEqual(labels(cancel.events), [`a1 order CANCELED #${A.orderId}`, 'a1 position', 'a1 balance']);
    assert.equal(h.liveOrder(a, C.orderId)!.closeQty, 6);
    assert.equal(h.liveOrder(a, C.orderId)!.marginFrozen, 0n);
    p = h.position(a);
    assert.equal(p.closeOrderQty, 9);
    assert.equal(p.qty - p.closeOrderQty, 1);
    assert.equal(p.openOrderQty, 2);
    assert.equal(p.openOrderMarginFrozen, 59_708_000n);
    // a new reduce-only order gets the one free contract
    assert.equal(orderOf(h.sell(a, 1, 612_000, { reduceOnly: true })).closeQty, 1);
    assert.equal(orderOf(h.sell(a, 1, 612_000, { reduceOnly: true })).reason, 'REDUCE_ONLY_WOULD_INCREASE');
    h.audit();
  });

  it('a normal order in one-way mode can close part and open the rest', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    const placed = h.sell(a, 25, 610_000);
    const o = orderOf(placed);
    assert.equal(o.closeQty, 10);
    // open 15 × (30,500,000 + 366,000) = 15 × 30,866,000 = 462,990,000
    assert.equal(o.marginFrozen, 462_990_000n);
    const p = h.position(a);
    assert.equal(p.closeOrderQty, 10);
    assert.equal(p.openOrderQty, 15);
    assert.deepEqual(labels(placed.events), [`a1 order NEW #${o.orderId}`, 'a1 position', 'a1 balance']);
    h.audit();
  });

  it('reduce-only knock-out when the position shrinks: EXPIRED REDUCE_ONLY_WOULD_INCREASE, after the trade event', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000); // a long 10
    const A = orderOf(h.sell(a, 6, 610_000, { reduceOnly: true }));
    const B = orderOf(h.sell(a, 4, 611_000, { reduceOnly: true }));
    h.buy(c, 3, 600_000);
    // C gets no capacity (all allotted), so it is an opening order, but its fill reduces the position
    const placed = h.sell(a, 3, 600_000, { timeInForce: 'IOC' });
    const C = orderOf(placed);
    assert.equal(eventsOf(placed.events, 'order', a)[0]!.order.closeQty, 0);
    assert.equal(C.state, 'FILLED');
    assert.equal(h.position(a).qty, 7);
    // capacity 7: A 6, B min(4, 1) = 1 < 4 → B expires
    assert.deepEqual(labels(placed.events), [
      `a1 order NEW #${C.orderId}`, 'a1 position', 'a1 balance',
      `a3 order TRADE #${C.orderId - 1}`, 'a3 trade', 'a3 position', 'a3 balance',
      `a1 order TRADE #${C.orderId}`, 'a1 trade', `a1 order EXPIRED #${B.orderId}`, 'a1 position', 'a1 balance',
    ]);
    const expired = eventsOf(placed.events, 'order', a).find((e) => e.order.orderId === B.orderId)!;
    assert.equal(expired.order.state, 'EXPIRED');
    assert.equal(expired.order.reason, 'REDUCE_ONLY_WOULD_INCREASE');
    assert.equal(h.liveOrder(a, B.orderId), undefined);
    assert.equal(h.liveOrder(a, A.orderId)!.closeQty, 6);
    assert.equal(h.position(a).closeOrderQty, 6);
    h.audit();
  });

  it('reduce-only knock-out when the position flips', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    const ro = orderOf(h.sell(a, 10, 610_000, { reduceOnly: true }));
    h.buy(c, 25, 600_000);
    const placed = h.sell(a, 25, 600_000);
    assert.equal(orderOf(placed).state, 'FILLED');
    assert.equal(h.position(a).qty, -15);
    // a SELL does not reduce a short: closeQty 0 < 10 → expired
    const expired = eventsOf(placed.events, 'order', a).find((e) => e.order.orderId === ro.orderId)!;
    assert.equal(expired.execType, 'EXPIRED');
    assert.equal(expired.order.reason, 'REDUCE_ONLY_WOULD_INCREASE');
    assert.equal(h.view().accounts[0]!.orders.length, 0);
    assert.equal(h.position(a).closeOrderQty, 0);
    h.audit();
  });

  it('a normal order keeps its place when the position shrinks: its closing part turns into an opening part', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    const A = orderOf(h.sell(a, 10, 610_000)); // close 10
    h.buy(c, 4, 600_000);
    h.sell(a, 4, 600_000, { timeInForce: 'IOC' }); // long 6
    const after = h.liveOrder(a, A.orderId)!;
    assert.equal(after.state, 'NEW');
    assert.equal(after.closeQty, 6);
    // 4 now open: 4 × 30,866,000 = 123,464,000
    assert.equal(after.marginFrozen, 123_464_000n);
    h.audit();
  });

  it('reallocation cancels the newest opening orders (INSUFFICIENT_MARGIN) while available < 0', () => {
    const h = new Harness();
    const a = h.account('7');
    const b = h.account('1000');
    h.mark(600_000);
    h.trade(b, a, 'BUY', 10, 600_000);
    // a: W = 700,000,000 − 3,600,000 = 696,400,000; cross margin 300,000,000; available 396,400,000
    const P = orderOf(h.buy(a, 5, 540_000)); // 5 × (27,000,000 + 324,000) = 136,620,000
    const Q = orderOf(h.buy(a, 3, 530_000)); // 3 × (26,500,000 + 318,000) = 80,454,000
    assert.equal(h.wallet(a).availableBalance, 179_326_000n); // 396,400,000 − 136,620,000 − 80,454,000
    h.mark(545_000); // sell band ≥ ceil(517,750) = 517,750
    h.buy(b, 10, 550_000); // b closes its short
    const placed = h.sell(a, 10, 550_000, { timeInForce: 'IOC' });
    // a closes 10 @ 55,000: PnL = 1000 × (5,500,000 − 6,000,000) = −500,000,000; fee ceil(3 × 10 × 550,000 / 5) = 3,300,000
    // W = 696,400,000 − 500,000,000 − 3,300,000 = 193,100,000; cross margin 0; frozen 217,074,000
    // available = 193,100,000 − 217,074,000 = −23,974,000 < 0 → cancel Q (newest): + 80,454,000 = 56,480,000 ≥ 0
    const sellId = orderOf(placed).orderId;
    assert.deepEqual(labels(placed.events).slice(-5), [
      `a1 order TRADE #${sellId}`, 'a1 trade', `a1 order CANCELED #${Q.orderId}`, 'a1 position', 'a1 balance',
    ]);
    const canceled = eventsOf(placed.events, 'order', a).find((e) => e.order.orderId === Q.orderId)!;
    assert.equal(canceled.order.state, 'CANCELED');
    assert.equal(canceled.order.reason, 'INSUFFICIENT_MARGIN');
    assert.equal(canceled.order.marginFrozen, 0n);
    assert.ok(h.liveOrder(a, P.orderId), 'the older opening order survives');
    const w = h.wallet(a);
    assert.equal(w.walletBalance, 193_100_000n);
    assert.equal(w.openOrderMarginFrozen, 136_620_000n);
    assert.equal(w.availableBalance, 56_480_000n);
    h.audit();
  });

  it('INSUFFICIENT_MARGIN cancels go on to older orders when one is not enough; a partly filled one becomes PARTIALLY_CANCELED', () => {
    const h = new Harness();
    const a = h.account('6');
    const b = h.account('1000');
    const c = h.account('1000');
    h.mark(600_000);
    h.trade(b, a, 'BUY', 10, 600_000);
    // W = 596,400,000; margin 300,000,000; available 296,400,000
    const P = orderOf(h.buy(a, 5, 540_000)); // 136,620,000
    h.mark(545_000); // sell band ≥ 517,750
    h.sell(c, 1, 540_000);
    // c's ask fills 1 of P as maker: P is PARTIALLY_FILLED with 4 left (4 × 27,324,000 = 109,296,000 frozen)
    assert.equal(h.liveOrder(a, P.orderId)!.executedQty, 1);
    const Q = orderOf(h.buy(a, 3, 530_000)); // 80,454,000
    h.buy(b, 11, 550_000);
    const placed = h.sell(a, 11, 550_000, { timeInForce: 'IOC' });
    // a long 11: cost 6,000,000 + 540,000 = 6,540,000 → closes all: PnL = 1000 × (11 × 550,000 − 6,540,000) = −490,000,000
    // fees so far: 3,600,000 (taker) + ceil(540,000 / 5) = 108,000 (P's maker fill); this fill ceil(3 × 11 × 550,000 / 5) = 3,630,000
    // W = 600,000,000 − 3,600,000 − 108,000 − 490,000,000 − 3,630,000 = 102,662,000
    // frozen 109,296,000 + 80,454,000 = 189,750,000 → available −87,088,000
    // cancel Q → −6,634,000, still < 0 → cancel P → 102,662,000
    const cancels = eventsOf(placed.events, 'order', a).filter((e) => e.execType === 'CANCELED');
    assert.deepEqual(cancels.map((e) => [e.order.orderId, e.order.state, e.order.reason]), [
      [Q.orderId, 'CANCELED', 'INSUFFICIENT_MARGIN'],
      [P.orderId, 'PARTIALLY_CANCELED', 'INSUFFICIENT_MARGIN'],
    ]);
    assert.equal(h.wallet(a).walletBalance, 102_662_000n);
    assert.equal(h.wallet(a).availableBalance, 102_662_000n);
    h.audit();
  });

  it('the order taking liquidity is never cancelled for INSUFFICIENT_MARGIN: an older opening order goes instead', () => {
    const h = new Harness();
    const a = h.account('5.2'); // 520,000,000
    const b = h.account('1000');
    const c = h.account('1000');
    h.mark(600_000);
    h.trade(b, a, 'BUY', 10, 600_000); // W = 516,400,000; cross margin 300,000,000
    const P = orderOf(h.buy(a, 2, 540_000)); // 2 × (27,000,000 + 324,000) = 54,648,000
    h.mark(580_000);
    h.buy(b, 10, 565_000); // b closes its short here
    h.buy(c, 5, 564_000);
    // a's taker: close 10, open 5 frozen at max(564,000, best bid 565,000): 5 × (28,250,000 + 339,000) = 142,945,000
    // available before: 516,400,000 − 300,000,000 − 54,648,000 − 142,945,000 = 18,807,000
    const placed = h.sell(a, 15, 564_000, { timeInForce: 'IOC' });
    const T = orderOf(placed);
    // fill 1: 10 @ 56,500 closes: PnL −350,000,000, fee ceil(3 × 10 × 565,000 / 5) = 3,390,000, margin +300,000,000
    //   available = 18,807,000 + 300,000,000 − 350,000,000 − 3,390,000 = −34,583,000 → the taker T (newest, open 5) is
    //   exempt; P goes: + 54,648,000 = 20,065,000
    // fill 2: 5 @ 56,400 opens short 5: frozen −142,945,000, margin + ceil(5 × 564,000 × 1000 / 20) = 141,000,000,
    //   fee ceil(3 × 5 × 564,000 / 5) = 1,692,000 → available 20,318,000
    const mine = labels(placed.events.filter((e) => e.accountId === a));
    assert.deepEqual(mine, [
      `a1 order NEW #${T.orderId}`, 'a1 position', 'a1 balance',
      `a1 order TRADE #${T.orderId}`, 'a1 trade', `a1 order CANCELED #${P.orderId}`, 'a1 position', 'a1 balance',
      `a1 order TRADE #${T.orderId}`, 'a1 trade', 'a1 position', 'a1 balance',
    ]);
    assert.equal(T.state, 'FILLED');
    assert.equal(h.position(a).qty, -5);
    assert.equal(h.wallet(a).walletBalance, 161_318_000n); // 516,400,000 − 350,000,000 − 3,390,000 − 1,692,000
    assert.equal(h.wallet(a).crossedMargin, 141_000_000n);
    assert.equal(h.wallet(a).availableBalance, 20_318_000n);
    h.audit();
  });

  it('a maker cancelled for INSUFFICIENT_MARGIN in its own fill step: its TRADE event still shows the fill (PARTIALLY_FILLED), the cancel follows', () => {
    // Rule "A fill" step 3 sets the state PARTIALLY_FILLED; step 4 reallocates (and may cancel); step 5 emits
    // order (TRADE), trade, then the orders cancelled by reallocation. "Order snapshots are full snapshots as
    // of that event": the TRADE snapshot is the filled order, the CANCELED one the cancelled order.
    const h = new Harness();
    const a = h.account('4.5'); // 450,000,000
    const b = h.account('1000');
    h.mark(600_000);
    h.trade(b, a, 'BUY', 10, 600_000);
    // a: W = 450,000,000 − 3,600,000 = 446,400,000; cross margin 300,000,000; available 146,400,000
    h.mark(580_000); // sell band ≥ ceil(551,000) = 551,000
    const ask = orderOf(h.sell(a, 15, 565_000));
    // close 10, open 5: 5 × (28,250,000 + 339,000) = 142,945,000 → available 3,455,000
    assert.equal(ask.marginFrozen, 142_945_000n);
    assert.equal(h.wallet(a).availableBalance, 3_455_000n);
    const taken = h.buy(b, 10, 565_000); // b closes its short against a's ask
    // a (maker) closes 10 @ 56,500: PnL = 1000 × (5,650,000 − 6,000,000) = −350,000,000; fee ceil(10 × 565,000 / 5) = 1,130,000
    // W = 446,400,000 − 350,000,000 − 1,130,000 = 95,270,000; margin 0; the ask's 5 left are open: 142,945,000
    // available = −47,675,000 → the ask (a's newest opening order, not the taker) is cancelled → 95,270,000
    const mine = taken.events.filter((e) => e.accountId === a);
    assert.deepEqual(labels(mine), [`a1 order TRADE #${ask.orderId}`, 'a1 trade', `a1 order CANCELED #${ask.orderId}`, 'a1 position', 'a1 balance']);
    const [tradeEvent, cancelEvent] = eventsOf(mine, 'order');
    assert.equal(cancelEvent!.order.state, 'PARTIALLY_CANCELED');
    assert.equal(cancelEvent!.order.reason, 'INSUFFICIENT_MARGIN');
    assert.equal(cancelEvent!.order.executedQty, 10);
    assert.equal(h.wallet(a).availableBalance, 95_270_000n);
    assert.equal(tradeEvent!.order.executedQty, 10);
    // the TRADE snapshot is the order right after its fill: PARTIALLY_FILLED, reason NONE; the fill itself closed
    // 10 contracts and released none of the margin of the 5 open ones (that is the cancel's doing)
    assert.deepEqual({
      state: tradeEvent!.order.state, reason: tradeEvent!.order.reason, marginUnfrozen: eventsOf(mine, 'trade')[0]!.marginUnfrozen,
    }, { state: 'PARTIALLY_FILLED', reason: 'NONE', marginUnfrozen: 0n });
    h.audit();
  });
});
