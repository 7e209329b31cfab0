/**
 * placeOrder: frozen margin, freeze prices, the price band, every reject / expiry reason, input
 * errors (docs/engine-rules.md "Formulas", "placeOrder", "Matching").
 *
 * BTC_USDT at the default leverage 20: perContract(p) = 50p + ceil(0.6p) amount units (helpers.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { BTC, Harness, errorOf, eventsOf, labels, orderOf, usdt } from './helpers.js';

describe('orders: frozen margin', () => {
  it('a limit buy freezes qty × perContract(limit) and cancel releases it', () => {
    const h = new Harness();
    const a = h.account('1000');
    const placed = h.buy(a, 10, 600_000);
    const o = orderOf(placed);
    assert.equal(o.state, 'NEW');
    assert.equal(o.closeQty, 0);
    // perContract(600,000) = ceil(600,000 × 1000 / 20) + ceil(600,000 × 1000 × 60,000 / 1e8)
    //                      = 30,000,000 + 360,000 = 30,360,000; × 10 = 303,600,000 (3.036 USDT)
    assert.equal(o.marginFrozen, 303_600_000n);
    assert.equal(o.marginFrozen, usdt('3.036'));
    assert.equal(h.wallet(a).openOrderMarginFrozen, usdt('3.036'));
    assert.equal(h.wallet(a).availableBalance, usdt('996.964')); // 1000 − 3.036
    const p = h.position(a);
    assert.equal(p.openOrderQty, 10);
    assert.equal(p.closeOrderQty, 0);
    assert.equal(p.openOrderMarginFrozen, 303_600_000n);

    const canceled = orderOf(h.cancel(a, o.orderId));
    assert.equal(canceled.state, 'CANCELED');
    assert.equal(canceled.reason, 'USER_CANCELED');
    assert.equal(canceled.marginFrozen, 0n);
    assert.equal(h.wallet(a).openOrderMarginFrozen, 0n);
    assert.equal(h.wallet(a).availableBalance, usdt('1000'));
    assert.equal(h.position(a).openOrderQty, 0);
    h.audit();
  });

  it('a limit sell freezes at its own price, both parts of perContract rounded up', () => {
    const h = new Harness();
    const a = h.account('1000');
    const o = orderOf(h.sell(a, 3, 600_001));
    // ceil(600,001,000 / 20) = 30,000,050 (exact); ceil(600,001 × 0.6 = 360,000.6) = 360,001
    // perContract = 30,360,051; × 3 = 91,080,153
    assert.equal(o.marginFrozen, 91_080_153n);
    // at leverage 7 the margin part rounds too: ceil(600,001,000 / 7) = ceil(85,714,428.57) = 85,714,429
    const b = h.account('1000');
    assert.equal(h.apply({ type: 'setLeverage', accountId: b, symbol: BTC, leverage: 7 }).result.ok, true);
    const o7 = orderOf(h.sell(b, 2, 600_001));
    // (85,714,429 + 360,001) × 2 = 86,074,430 × 2 = 172,148,860
    assert.equal(o7.marginFrozen, 172_148_860n);
    h.audit();
  });

  it('a SELL taker freezes at the best bid when that is above its limit, then at its own price once it rests', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.buy(b, 3, 600_000);
    const placed = h.sell(a, 10, 599_000);
    const newEvent = eventsOf(placed.events, 'order', a)[0]!;
    assert.equal(newEvent.execType, 'NEW');
    // freeze price max(599,000, best bid 600,000) = 600,000: 10 × 30,360,000 = 303,600,000
    assert.equal(newEvent.order.marginFrozen, 303_600_000n);
    const trade = eventsOf(placed.events, 'trade', a)[0]!;
    assert.equal(trade.price, 600_000); // the maker's price
    assert.equal(trade.qty, 3);
    // released for 3 contracts at the freeze price: 3 × 30,360,000 = 91,080,000
    assert.equal(trade.marginUnfrozen, 91_080_000n);
    const o = orderOf(placed);
    assert.equal(o.state, 'PARTIALLY_FILLED');
    assert.equal(o.executedQty, 3);
    // the rest (7) rests at 599,000: perContract = 29,950,000 + ceil(359,400) = 30,309,400; × 7 = 212,165,800
    assert.equal(o.marginFrozen, 212_165_800n);
    assert.equal(h.liveOrder(a, o.orderId)!.marginFrozen, 212_165_800n);
    assert.deepEqual(h.book().asks, [{ price: 599_000, orderIds: [o.orderId] }]);
    assert.deepEqual(h.book().bids, []);
    h.audit();
  });

  it('a BUY taker freezes at its own limit even when the best ask is lower', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 3, 599_000);
    const placed = h.buy(a, 10, 600_000);
    // freeze at the limit 600,000: 10 × 30,360,000
    assert.equal(eventsOf(placed.events, 'order', a)[0]!.order.marginFrozen, 303_600_000n);
    const o = orderOf(placed);
    assert.equal(o.executedQty, 3);
    assert.equal(o.cumQuote, 1_797_000n); // 3 × 599,000
    assert.equal(o.marginFrozen, 212_520_000n); // 7 × 30,360,000
    h.audit();
  });

  it('a closing order freezes nothing, so it needs no available balance', () => {
    const h = new Harness();
    const a = h.account('3.036'); // exactly 10 × perContract(600,000)
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000); // a long 10; fee ceil(3 × 10 × 600,000 / 5) = 3,600,000
    // W = 303,600,000 − 3,600,000 = 300,000,000; cross margin 300,000,000 → available 0
    assert.equal(h.wallet(a).availableBalance, 0n);
    const close = orderOf(h.sell(a, 10, 610_000));
    assert.equal(close.state, 'NEW');
    assert.equal(close.closeQty, 10);
    assert.equal(close.marginFrozen, 0n);
    // one more contract would open: REJECTED
    const more = orderOf(h.sell(a, 1, 610_000));
    assert.equal(more.state, 'REJECTED');
    assert.equal(more.reason, 'INSUFFICIENT_MARGIN');
    h.audit();
  });
});

describe('orders: market orders and the price band', () => {
  it('a market buy is priced at the band limit floor(ref × 1.05): it freezes there and fills no further', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.mark(600_000); // band: buy ≤ floor(600,000 × 1.05) = 630,000, sell ≥ ceil(600,000 × 0.95) = 570,000
    h.sell(b, 5, 620_000);
    h.sell(c, 5, 630_000);
    const far = orderOf(h.sell(c, 5, 630_001));
    const placed = h.place(a, { side: 'BUY', qty: 12, orderType: 'MARKET', timeInForce: 'IOC' });
    // freeze at 630,000: perContract = 31,500,000 + 378,000 = 31,878,000; × 12 = 382,536,000
    assert.equal(eventsOf(placed.events, 'order', a)[0]!.order.marginFrozen, 382_536_000n);
    const o = orderOf(placed);
    assert.equal(o.price, 0); // market orders carry no limit price
    assert.equal(o.executedQty, 10); // 5 @ 620,000 + 5 @ 630,000; 630,001 is beyond the band
    assert.equal(o.cumQuote, 6_250_000n); // 3,100,000 + 3,150,000
    assert.equal(o.state, 'EXPIRED');
    assert.equal(o.reason, 'MARKET_REMAINDER');
    assert.equal(o.marginFrozen, 0n);
    assert.deepEqual(h.book().asks, [{ price: 630_001, orderIds: [far.orderId] }]);
    assert.equal(h.book().lastPrice, 630_000);
    h.audit();
  });

  it('a market sell freezes at max(band, best bid) and fills down to the band', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.mark(600_000);
    h.buy(b, 5, 580_000);
    h.buy(c, 5, 569_999); // below the sell band 570,000
    const placed = h.place(a, { side: 'SELL', qty: 12, orderType: 'MARKET', timeInForce: 'IOC' });
    // freeze at max(570,000, 580,000) = 580,000: perContract = 29,000,000 + 348,000 = 29,348,000; × 12 = 352,176,000
    assert.equal(eventsOf(placed.events, 'order', a)[0]!.order.marginFrozen, 352_176_000n);
    const o = orderOf(placed);
    assert.equal(o.executedQty, 5);
    assert.equal(o.state, 'EXPIRED');
    assert.equal(o.reason, 'MARKET_REMAINDER');
    assert.equal(h.position(a).qty, -5);
    h.audit();
  });

  it('NO_REFERENCE_PRICE: a market order with neither mark nor last price is REJECTED (and uses an order id)', () => {
    const h = new Harness();
    const a = h.account('1000');
    const placed = h.place(a, { side: 'BUY', qty: 1, orderType: 'MARKET', timeInForce: 'IOC' });
    const o = orderOf(placed);
    assert.equal(o.orderId, 1);
    assert.equal(o.state, 'REJECTED');
    assert.equal(o.reason, 'NO_REFERENCE_PRICE');
    assert.deepEqual(labels(placed.events), ['a1 order REJECTED #1']);
    assert.equal(h.findPosition(a), undefined); // a refused order initializes no position
    assert.equal(h.view().nextOrderId, 2);
    h.audit();
  });

  it('the last trade price is the reference when there is no mark; the mark wins when set', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 1, 600_000); // last price 600,000
    // band from the last price: buy ≤ 630,000
    assert.equal(orderOf(h.buy(a, 1, 630_001)).reason, 'PRICE_OUTSIDE_BAND');
    assert.equal(orderOf(h.buy(a, 1, 630_000)).state, 'NEW');
    // market orders now have a reference
    const m = orderOf(h.place(b, { side: 'SELL', qty: 1, orderType: 'MARKET', timeInForce: 'IOC' }));
    assert.equal(m.state, 'FILLED'); // takes a's bid at 630,000
    h.mark(700_000); // buy ≤ floor(700,000 × 1.05) = 735,000
    assert.equal(orderOf(h.buy(a, 1, 735_000)).state, 'NEW');
    assert.equal(orderOf(h.buy(a, 1, 735_001)).reason, 'PRICE_OUTSIDE_BAND');
    h.audit();
  });

  it('PRICE_OUTSIDE_BAND: buy above floor(ref × 1.05), sell below ceil(ref × 0.95); the bounds themselves are fine', () => {
    const h = new Harness();
    const a = h.account('1000');
    h.mark(600_000);
    const high = orderOf(h.buy(a, 1, 630_001));
    assert.equal(high.state, 'REJECTED');
    assert.equal(high.reason, 'PRICE_OUTSIDE_BAND');
    const atHigh = orderOf(h.buy(a, 1, 630_000));
    assert.equal(atHigh.state, 'NEW');
    h.cancel(a, atHigh.orderId); // out of the way of the sells below
    const low = orderOf(h.sell(a, 1, 569_999));
    assert.equal(low.state, 'REJECTED');
    assert.equal(low.reason, 'PRICE_OUTSIDE_BAND');
    const atLow = orderOf(h.sell(a, 1, 570_000));
    assert.equal(atLow.state, 'NEW');
    h.cancel(a, atLow.orderId);
    // a buy far below and a sell far above the reference are fine
    assert.equal(orderOf(h.buy(a, 1, 1)).state, 'NEW');
    assert.equal(orderOf(h.sell(a, 1, 100_000_000)).state, 'NEW');
    // mark 600,001: floor(630,001.05) = 630,001; ceil(570,000.95) = 570,001
    h.mark(600_001);
    assert.equal(orderOf(h.sell(a, 1, 570_000)).reason, 'PRICE_OUTSIDE_BAND');
    assert.equal(orderOf(h.buy(a, 1, 630_001)).state, 'NEW');
    h.audit();
  });
});

describe('orders: reject and expiry reasons', () => {
  it('POST_ONLY_WOULD_TAKE: a GTX at or through the best opposite price, own orders included', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 5, 600_000);
    const taking = h.buy(a, 5, 600_000, { timeInForce: 'GTX' });
    assert.equal(orderOf(taking).state, 'REJECTED');
    assert.equal(orderOf(taking).reason, 'POST_ONLY_WOULD_TAKE');
    assert.deepEqual(labels(taking.events), [`a${a} order REJECTED #2`]);
    assert.equal(orderOf(h.buy(a, 5, 599_999, { timeInForce: 'GTX' })).state, 'NEW');
    // own orders count: b's GTX buy at its own ask price would take
    assert.equal(orderOf(h.buy(b, 1, 600_000, { timeInForce: 'GTX' })).reason, 'POST_ONLY_WOULD_TAKE');
    // and a GTX sell at the best bid (a's 599,999)
    assert.equal(orderOf(h.sell(b, 1, 599_999, { timeInForce: 'GTX' })).reason, 'POST_ONLY_WOULD_TAKE');
    h.audit();
  });

  it('REDUCE_ONLY_WOULD_INCREASE: reduce-only beyond the free closing capacity', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    // flat: nothing to reduce
    const flat = orderOf(h.sell(a, 1, 610_000, { reduceOnly: true }));
    assert.equal(flat.state, 'REJECTED');
    assert.equal(flat.reason, 'REDUCE_ONLY_WOULD_INCREASE');
    h.trade(b, a, 'BUY', 10, 600_000); // a long 10
    // same direction: a reduce-only BUY does not reduce a long
    assert.equal(orderOf(h.buy(a, 1, 590_000, { reduceOnly: true })).reason, 'REDUCE_ONLY_WOULD_INCREASE');
    const first = orderOf(h.sell(a, 6, 610_000, { reduceOnly: true }));
    assert.equal(first.closeQty, 6);
    // free capacity 10 − 6 = 4
    assert.equal(orderOf(h.sell(a, 5, 610_000, { reduceOnly: true })).reason, 'REDUCE_ONLY_WOULD_INCREASE');
    const second = orderOf(h.sell(a, 4, 611_000, { reduceOnly: true }));
    assert.equal(second.state, 'NEW');
    assert.equal(second.closeQty, 4);
    assert.equal(h.position(a).closeOrderQty, 10);
    h.audit();
  });

  it('POSITION_LIMIT: |qty| + openOrderQty + open > maxPositionQty (custom symbol, maxPositionQty 20)', () => {
    const tiny: SymbolSpec = { ...BTC_USDT, symbol: 'tiny_usdt', maxQty: 10, maxPositionQty: 20 };
    const h = new Harness({ symbols: [tiny] });
    const a = h.account('1000');
    const b = h.account('1000');
    const sym = { symbol: 'tiny_usdt' };
    h.trade(b, a, 'BUY', 5, 600_000, sym, sym); // a long 5
    assert.equal(orderOf(h.buy(a, 10, 590_000, sym)).state, 'NEW'); // 5 + 0 + 10 = 15
    assert.equal(orderOf(h.buy(a, 5, 589_000, sym)).state, 'NEW'); // 5 + 10 + 5 = 20, not above
    const over = orderOf(h.buy(a, 1, 588_000, sym)); // 5 + 15 + 1 = 21
    assert.equal(over.state, 'REJECTED');
    assert.equal(over.reason, 'POSITION_LIMIT');
    // opening sells count against the same position: sell 6 closes 5, opens 1 → 5 + 15 + 1 = 21
    assert.equal(orderOf(h.sell(a, 6, 610_000, sym)).reason, 'POSITION_LIMIT');
    // a pure close adds nothing
    assert.equal(orderOf(h.sell(a, 5, 610_000, sym)).state, 'NEW');
    h.audit();
  });

  it('FOK_NOT_FILLABLE: EXPIRED at placement unless the book fills all of it within the limit', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 5, 600_000);
    h.sell(b, 3, 600_100);
    const before = h.stateKey();
    // within 600,000 only 5 are offered
    const short = h.buy(a, 6, 600_000, { timeInForce: 'FOK' });
    assert.equal(orderOf(short).state, 'EXPIRED');
    assert.equal(orderOf(short).reason, 'FOK_NOT_FILLABLE');
    assert.equal(orderOf(short).executedQty, 0);
    assert.deepEqual(labels(short.events), [`a${a} order EXPIRED #3`]);
    // within 600,100: 5 + 3 = 8 < 9
    assert.equal(orderOf(h.buy(a, 9, 600_100, { timeInForce: 'FOK' })).reason, 'FOK_NOT_FILLABLE');
    assert.notEqual(h.stateKey(), before); // order ids were used…
    assert.deepEqual(h.book().asks.map((l) => l.price), [600_000, 600_100]); // …but the book is untouched
    const all = orderOf(h.buy(a, 8, 600_100, { timeInForce: 'FOK' }));
    assert.equal(all.state, 'FILLED');
    assert.equal(all.cumQuote, 4_800_300n); // 5 × 600,000 + 3 × 600,100
    h.audit();
  });

  it('FOK with an own order in the way: EXPIRE_TAKER / EXPIRE_BOTH stop the walk, EXPIRE_MAKER skips it', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const own = orderOf(h.sell(a, 2, 600_000));
    h.sell(b, 5, 600_100);
    assert.equal(orderOf(h.buy(a, 5, 600_100, { timeInForce: 'FOK' })).reason, 'FOK_NOT_FILLABLE');
    assert.equal(orderOf(h.buy(a, 5, 600_100, { timeInForce: 'FOK', stpMode: 'EXPIRE_BOTH' })).reason, 'FOK_NOT_FILLABLE');
    assert.ok(h.liveOrder(a, own.orderId), 'the own ask is untouched by the refused FOKs');
    const skip = h.buy(a, 5, 600_100, { timeInForce: 'FOK', stpMode: 'EXPIRE_MAKER' });
    assert.equal(orderOf(skip).state, 'FILLED');
    const expired = eventsOf(skip.events, 'order', a).find((e) => e.order.orderId === own.orderId)!;
    assert.equal(expired.execType, 'EXPIRED');
    assert.equal(expired.order.reason, 'SELF_TRADE_PREVENTION');
    assert.equal(h.liveOrder(a, own.orderId), undefined);
    h.audit();
  });

  it('INSUFFICIENT_MARGIN: open × perContract(fp) > availableBalance; equal is enough', () => {
    const h = new Harness();
    const a = h.account('3.03599999'); // one unit short of 10 × 30,360,000 = 303,600,000
    const rejected = h.buy(a, 10, 600_000);
    assert.equal(orderOf(rejected).state, 'REJECTED');
    assert.equal(orderOf(rejected).reason, 'INSUFFICIENT_MARGIN');
    assert.equal(orderOf(rejected).marginFrozen, 0n);
    assert.deepEqual(labels(rejected.events), [`a${a} order REJECTED #1`]);
    h.deposit(a, '0.00000001');
    assert.equal(orderOf(h.buy(a, 10, 600_000)).state, 'NEW');
    assert.equal(h.wallet(a).availableBalance, 0n);
    // no wallet at all
    const broke = h.account();
    assert.equal(orderOf(h.buy(broke, 1, 1)).reason, 'INSUFFICIENT_MARGIN');
    h.audit();
  });

  it('IOC_REMAINDER: an IOC fills what it can and the rest expires', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 3, 600_000);
    const placed = h.buy(a, 5, 600_000, { timeInForce: 'IOC' });
    const o = orderOf(placed);
    assert.equal(o.state, 'EXPIRED');
    assert.equal(o.reason, 'IOC_REMAINDER');
    assert.equal(o.executedQty, 3);
    assert.equal(o.marginFrozen, 0n);
    assert.deepEqual(labels(placed.events), [
      'a1 order NEW #2', 'a1 position', 'a1 balance',
      'a2 order TRADE #1', 'a2 trade', 'a2 position', 'a2 balance',
      'a1 order TRADE #2', 'a1 trade', 'a1 position', 'a1 balance',
      'a1 order EXPIRED #2', 'a1 position', 'a1 balance',
    ]);
    assert.equal(h.wallet(a).openOrderMarginFrozen, 0n);
    // with nothing to take it is accepted (NEW) and expires at once
    const empty = h.buy(a, 5, 600_000, { timeInForce: 'IOC' });
    assert.deepEqual(labels(empty.events), ['a1 order NEW #3', 'a1 position', 'a1 balance', 'a1 order EXPIRED #3', 'a1 position', 'a1 balance']);
    assert.equal(orderOf(empty).reason, 'IOC_REMAINDER');
    h.audit();
  });

  it('check order: the first failing check of the table decides the reason', () => {
    const h = new Harness();
    const a = h.account('1');
    // 1 before 4: a reduce-only market order with no reference
    assert.equal(orderOf(h.place(a, { side: 'SELL', qty: 1, orderType: 'MARKET', timeInForce: 'IOC', reduceOnly: true })).reason, 'NO_REFERENCE_PRICE');
    const b = h.account('1000');
    h.sell(b, 1, 600_000);
    h.mark(600_000);
    // 2 before 3: a GTX buy above the band (and through the ask)
    assert.equal(orderOf(h.buy(a, 1, 630_001, { timeInForce: 'GTX' })).reason, 'PRICE_OUTSIDE_BAND');
    // 3 before 4: reduce-only GTX that would take
    assert.equal(orderOf(h.buy(a, 1, 600_000, { timeInForce: 'GTX', reduceOnly: true })).reason, 'POST_ONLY_WOULD_TAKE');
    // 6 before 7: an unfillable FOK that also lacks margin (a has 1 USDT; 5 × 30,360,000 = 1.518 USDT)
    assert.equal(orderOf(h.buy(a, 5, 600_000, { timeInForce: 'FOK' })).reason, 'FOK_NOT_FILLABLE');
    // 7 alone: the same order as GTC
    assert.equal(orderOf(h.buy(a, 5, 590_000)).reason, 'INSUFFICIENT_MARGIN');
    h.audit();
  });
});

describe('orders: self-trade prevention', () => {
  it('EXPIRE_TAKER (default): the taker expires, the own maker stays', () => {
    const h = new Harness();
    const a = h.account('1000');
    const maker = orderOf(h.sell(a, 5, 600_000));
    const placed = h.buy(a, 5, 600_000);
    const o = orderOf(placed);
    assert.equal(o.state, 'EXPIRED');
    assert.equal(o.reason, 'SELF_TRADE_PREVENTION');
    assert.equal(o.stpMode, 'EXPIRE_TAKER');
    assert.equal(o.executedQty, 0);
    assert.deepEqual(labels(placed.events), ['a1 order NEW #2', 'a1 position', 'a1 balance', 'a1 order EXPIRED #2', 'a1 position', 'a1 balance']);
    assert.equal(h.liveOrder(a, maker.orderId)!.qty, 5);
    assert.deepEqual(h.book().asks, [{ price: 600_000, orderIds: [maker.orderId] }]);
    h.audit();
  });

  it('EXPIRE_TAKER after a partial fill: the taker keeps its fills and expires the rest', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.sell(b, 2, 600_000);
    h.sell(a, 5, 600_100);
    const o = orderOf(h.buy(a, 5, 600_100));
    assert.equal(o.executedQty, 2);
    assert.equal(o.state, 'EXPIRED');
    assert.equal(o.reason, 'SELF_TRADE_PREVENTION');
    assert.equal(h.position(a).qty, 2);
    h.audit();
  });

  it('EXPIRE_MAKER: the own maker expires (its own step), the taker goes on to fill', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const own = orderOf(h.sell(a, 5, 600_000)); // #1
    const other = orderOf(h.sell(b, 5, 600_100)); // #2
    const placed = h.buy(a, 5, 600_100, { stpMode: 'EXPIRE_MAKER' }); // #3
    assert.deepEqual(labels(placed.events), [
      'a1 order NEW #3', 'a1 position', 'a1 balance',
      'a1 order EXPIRED #1', 'a1 position', 'a1 balance',
      'a2 order TRADE #2', 'a2 trade', 'a2 position', 'a2 balance',
      'a1 order TRADE #3', 'a1 trade', 'a1 position', 'a1 balance',
    ]);
    const expired = eventsOf(placed.events, 'order', a)[1]!;
    assert.equal(expired.order.state, 'EXPIRED');
    assert.equal(expired.order.reason, 'SELF_TRADE_PREVENTION');
    const o = orderOf(placed);
    assert.equal(o.state, 'FILLED');
    assert.equal(o.cumQuote, 3_000_500n); // 5 × 600,100
    assert.equal(h.liveOrder(b, other.orderId), undefined);
    assert.equal(h.liveOrder(a, own.orderId), undefined);
    h.audit();
  });

  it('EXPIRE_BOTH: the own maker expires, then the taker', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const own = orderOf(h.sell(a, 5, 600_000));
    const other = orderOf(h.sell(b, 5, 600_100));
    const placed = h.buy(a, 5, 600_100, { stpMode: 'EXPIRE_BOTH' });
    assert.deepEqual(labels(placed.events), [
      'a1 order NEW #3', 'a1 position', 'a1 balance',
      'a1 order EXPIRED #1', 'a1 position', 'a1 balance',
      'a1 order EXPIRED #3', 'a1 position', 'a1 balance',
    ]);
    const o = orderOf(placed);
    assert.equal(o.state, 'EXPIRED');
    assert.equal(o.reason, 'SELF_TRADE_PREVENTION');
    assert.equal(o.executedQty, 0);
    assert.equal(h.liveOrder(a, own.orderId), undefined);
    assert.ok(h.liveOrder(b, other.orderId));
    assert.equal(h.wallet(a).openOrderMarginFrozen, 0n);
    h.audit();
  });
});

describe('orders: input errors (refused, no event, no order id used, nothing changed)', () => {
  it('bad qty, price, position side, reduceOnly in hedge mode, MARKET + GTC/GTX, stpMode, client order id', () => {
    const h = new Harness();
    const a = h.account('1000');
    const before = h.stateKey();
    const refused = (o: Parameters<Harness['place']>[1], code = 'INVALID_ARGUMENT') => {
      assert.equal(errorOf(h.place(a, o)), code, JSON.stringify(o));
      assert.equal(h.stateKey(), before, `state changed by ${JSON.stringify(o)}`);
    };
    for (const qty of [0, -1, 1.5, 1_000_001, Number.NaN]) refused({ side: 'BUY', qty, price: 600_000 });
    for (const price of [0, -5, 1.5, 100_000_001, Number.NaN]) refused({ side: 'BUY', qty: 1, price });
    refused({ side: 'BUY', qty: 1, price: 600_000, positionSide: 'LONG' });
    refused({ side: 'BUY', qty: 1, price: 600_000, positionSide: 'SHORT' });
    refused({ side: 'BUY', qty: 1, orderType: 'MARKET', timeInForce: 'GTC' });
    refused({ side: 'BUY', qty: 1, orderType: 'MARKET', timeInForce: 'GTX' });
    refused({ side: 'BUY', qty: 1, price: 600_000, stpMode: 'NONE' as never });
    refused({ side: 'HOLD' as never, qty: 1, price: 600_000 });
    refused({ side: 'BUY', qty: 1, price: 600_000, timeInForce: 'DAY' as never });
    for (const clientOrderId of ['', 'x'.repeat(41), 'a b', 'ü', 'a\\b', 'id#1']) {
      refused({ side: 'BUY', qty: 1, price: 600_000, clientOrderId });
    }
    refused({ side: 'BUY', qty: 1, price: 600_000, symbol: 'doge_usdt' }, 'UNKNOWN_SYMBOL');
    assert.equal(errorOf(h.place(99, { side: 'BUY', qty: 1, price: 600_000 })), 'UNKNOWN_ACCOUNT');

    // hedge mode: BOTH is wrong, reduceOnly is not allowed
    assert.equal(h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' }).result.ok, true);
    const hedged = h.stateKey();
    assert.equal(errorOf(h.place(a, { side: 'BUY', qty: 1, price: 600_000 })), 'INVALID_ARGUMENT');
    assert.equal(errorOf(h.place(a, { side: 'SELL', qty: 1, price: 600_000, positionSide: 'LONG', reduceOnly: true })), 'INVALID_ARGUMENT');
    assert.equal(h.stateKey(), hedged);

    // the limits themselves are fine; the first accepted order gets id 1
    const ok = orderOf(h.place(a, { side: 'BUY', qty: 1_000_000, price: 1, positionSide: 'LONG', clientOrderId: 'Az09_.:-'.padEnd(36, 'x') }));
    assert.equal(ok.orderId, 1);
    assert.equal(ok.state, 'NEW');
    assert.equal(ok.clientOrderId, 'Az09_.:-'.padEnd(36, 'x'));
    // a market order's price field is ignored
    h.mark(600_000);
    assert.equal(orderOf(h.place(a, { side: 'BUY', qty: 1, price: -7, orderType: 'MARKET', timeInForce: 'IOC', positionSide: 'LONG' })).orderId, 2);
    h.audit();
  });

  it('TOO_MANY_OPEN_ORDERS at maxOpenOrdersPerAccount live orders (2); a finished order frees a slot', () => {
    const h = new Harness({ maxOpenOrdersPerAccount: 2 });
    const a = h.account('1000');
    const b = h.account('1000');
    const first = orderOf(h.buy(a, 1, 590_000));
    orderOf(h.buy(a, 1, 591_000));
    const before = h.stateKey();
    assert.equal(errorOf(h.buy(a, 1, 592_000)), 'TOO_MANY_OPEN_ORDERS');
    assert.equal(h.stateKey(), before);
    // per account: b is not affected
    assert.equal(orderOf(h.sell(b, 1, 600_000)).state, 'NEW');
    h.cancel(a, first.orderId);
    const third = orderOf(h.buy(a, 1, 592_000));
    assert.equal(third.state, 'NEW');
    assert.equal(third.orderId, 4); // ids 1, 2 (a), 3 (b), 4: the refused one used none
    h.audit();
  });
});
