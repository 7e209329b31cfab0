/**
 * Delivery contracts (docs/engine-rules.md, "Delivery"): trading stops at the delivery time, the
 * delivery price is the time-weighted mean index of the window before it (from the setIndexPrice
 * commands), and settleDelivery expires every order and conditional order (EXPIRED, DELIVERY),
 * closes every position at that price with its PnL and the delivery fee, and settles the symbol.
 * No funding. Linear and inverse; the harness audits the books after every command.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Applied } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { parseAmount } from '../../src/engine/fixed.js';
import type { DeliveryEvent, PlaceConditional } from '../../src/engine/types.js';
import { Harness, orderOf } from './helpers.js';

const T = MARCH_2027_DELIVERY;
const MIN = 60_000;
const LINEAR = 'btc_usdt270326';
const INVERSE = 'btc_usd270326';
const symbols = [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS];

/** The delivery settlement, applied and audited. */
function deliver(h: Harness, symbol: string): Applied {
  const applied = h.engine.apply({ type: 'settleDelivery', symbol, time: h.time });
  h.log.push(applied);
  h.engine.audit();
  return applied;
}

function index(h: Harness, symbol: string, price: number): void {
  assert.equal(h.apply({ type: 'setIndexPrice', symbol, price }).result.ok, true);
}

/** Long `a` and short `b` of `qty` at `price`, with the index path of the window: 600,000 before it, 610,000 from T − 15 min. */
function market(symbol: string, qty: number, price: number, deposit: string, asset: string): { h: Harness; a: number; b: number } {
  const h = new Harness({ symbols });
  h.time = T - 60 * MIN;
  const a = h.account();
  const b = h.account();
  h.deposit(a, deposit, asset);
  h.deposit(b, deposit, asset);
  index(h, symbol, 600_000);
  h.mark(price, symbol);
  h.trade(b, a, 'BUY', qty, price, { symbol }, { symbol });
  return { h, a, b };
}

describe('a linear quarterly delivery (btc_usdt270326)', () => {
  test('before the delivery time it trades and cannot be settled; funding is refused', () => {
    const { h } = market(LINEAR, 10, 600_000, '10000', 'USDT');
    assert.equal(deliver(h, LINEAR).result.ok, false);
    const funding = h.apply({ type: 'settleFunding', symbol: LINEAR });
    assert.equal(funding.result.ok, false);
    assert.match(funding.result.ok ? '' : funding.result.message, /delivery contract: it pays no funding/);
  });

  test('at the delivery time: orders refused (SYMBOL_NOT_TRADING); settled at the window’s mean index, orders EXPIRED, positions closed with PnL and fee', () => {
    const { h, a, b } = market(LINEAR, 10, 600_000, '10000', 'USDT');
    // An open order and a waiting plan order of the long.
    const resting = orderOf(h.place(a, { side: 'BUY', qty: 1, price: 590_000, symbol: LINEAR }));
    const plan = h.apply({
      type: 'placeConditional', accountId: b, symbol: LINEAR, kind: 'PLAN', side: 'SELL', positionSide: 'BOTH', triggerSource: 'LAST',
      triggerPrice: 500_000, triggerDirection: 'FALL', orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1, reduceOnly: false, closePosition: false,
    } as Omit<PlaceConditional, 'time'>);
    assert.equal(plan.result.ok, true);
    // The index is 600,000 until T − 15 min, then 610,000: the 30-minute window's mean is 605,000.
    h.time = T - 15 * MIN;
    index(h, LINEAR, 610_000);
    h.time = T;
    const late = h.place(a, { side: 'BUY', qty: 1, price: 600_000, symbol: LINEAR });
    assert.equal(late.result.ok, false);
    assert.equal(late.result.ok ? '' : late.result.code, 'SYMBOL_NOT_TRADING');
    assert.match(late.result.ok ? '' : late.result.message, new RegExp(`stopped trading at its delivery time ${T} ms`));
    assert.equal(h.amend(a, resting.orderId, { price: 591_000 }, LINEAR).result.ok, false);

    h.time = T + 5_000;
    const settled = deliver(h, LINEAR);
    assert.equal(settled.result.ok, true);
    const kinds = settled.events.map((e) => `a${e.accountId} ${e.type}${e.type === 'order' ? ` ${e.order.state} ${e.order.reason}` : ''}${e.type === 'conditional' ? ` ${e.conditional.state} ${e.conditional.reason}` : ''}`);
    assert.deepEqual(kinds, [
      'a2 conditional EXPIRED DELIVERY',
      'a1 order EXPIRED DELIVERY', 'a1 position', 'a1 balance',
      'a1 delivery', 'a1 position', 'a1 balance',
      'a2 delivery', 'a2 position', 'a2 balance',
    ]);
    assert.ok(settled.events.every((e) => e.reason === 'DELIVERY'));
    const deliveries = settled.events.filter((e): e is DeliveryEvent => e.type === 'delivery');
    // PnL 10 × (605,000 − 600,000) ticks × K 1000 = 0.5 USDT; fee 0.02 % of 10 × 60,500 × 0.0001 BTC = 60.5 USDT → 0.0121.
    assert.deepEqual(deliveries.map((d) => [d.qty, d.deliveryPrice, d.realizedPnl, d.fee, d.deliveryTime]), [
      [10, 605_000, parseAmount('0.5'), parseAmount('0.0121'), T],
      [-10, 605_000, -parseAmount('0.5'), parseAmount('0.0121'), T],
    ]);
    assert.equal(h.position(a, LINEAR).qty, 0);
    assert.equal(h.position(b, LINEAR).qty, 0);
    assert.equal(h.wallet(a).crossedMargin, 0n);
    assert.equal(h.wallet(a).openOrderMarginFrozen, 0n);
    // Settled: refused with its own message; a second settlement too.
    const after = h.place(b, { side: 'SELL', qty: 1, price: 600_000, symbol: LINEAR });
    assert.match(after.result.ok ? '' : after.result.message, new RegExp(`was delivered at ${T} ms and is settled`));
    assert.equal(deliver(h, LINEAR).result.ok, false);
    // The perpetuals trade on.
    assert.equal(h.place(a, { side: 'BUY', qty: 1, price: 600_000 }).result.ok, true);
  });

  test('the settlement survives a snapshot and replays to the same state', () => {
    const { h } = market(LINEAR, 10, 600_000, '10000', 'USDT');
    h.time = T - 15 * MIN;
    index(h, LINEAR, 610_000);
    h.time = T + 1;
    const snapshot = h.engine.snapshot();
    const restored = Engine.restore({ symbols }, snapshot);
    assert.deepEqual(restored.snapshot(), snapshot);
    const a = deliver(h, LINEAR);
    const b = restored.apply({ type: 'settleDelivery', symbol: LINEAR, time: h.time });
    assert.deepEqual(b.events, a.events);
    assert.deepEqual(restored.snapshot(), h.engine.snapshot());
  });

  test('with no index in the window the last index is the price; with none at all, the mark', () => {
    const h = new Harness({ symbols });
    h.time = T - 60 * MIN;
    const a = h.account();
    const b = h.account();
    h.deposit(a, '10000');
    h.deposit(b, '10000');
    h.mark(600_000, LINEAR);
    h.trade(b, a, 'BUY', 1, 600_000, { symbol: LINEAR }, { symbol: LINEAR });
    h.time = T;
    const settled = deliver(h, LINEAR);
    const d = settled.events.find((e): e is DeliveryEvent => e.type === 'delivery')!;
    assert.equal(d.deliveryPrice, 600_000, 'the mark');
  });
});

describe('an inverse quarterly delivery (btc_usd270326)', () => {
  test('100 × 100 USD long @ 50,000 delivered at 55,000: PnL 10,000 × (1/50,000 − 1/55,000) BTC, rounded against each side', () => {
    const { h, a, b } = market(INVERSE, 100, 500_000, '1', 'BTC');
    h.time = T - 30 * MIN;
    index(h, INVERSE, 550_000);
    h.time = T;
    const settled = deliver(h, INVERSE);
    assert.equal(settled.result.ok, true);
    const deliveries = settled.events.filter((e): e is DeliveryEvent => e.type === 'delivery');
    // Exactly 0.0181818…: the long gets 0.01818181, the short pays 0.01818182.
    assert.deepEqual(deliveries.map((d) => [d.deliveryPrice, d.realizedPnl]), [[550_000, 1_818_181n], [550_000, -1_818_182n]]);
    // Fee 0.01 % of the delivered value 10,000 / 55,000 = 0.181818… BTC, rounded up: 0.00001819.
    assert.deepEqual(deliveries.map((d) => d.fee), [1_819n, 1_819n]);
    assert.equal(h.position(a, INVERSE).qty, 0);
    assert.equal(h.position(b, INVERSE).qty, 0);
    assert.equal(h.wallet(a, 'BTC').crossedMargin, 0n);
  });
});
