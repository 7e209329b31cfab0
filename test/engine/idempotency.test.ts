/**
 * Client order id idempotency (docs/engine-rules.md "placeOrder", Idempotency): a repeated
 * clientOrderId returns the first command's result with duplicate: true, emits nothing and
 * changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, errorOf, orderOf } from './helpers.js';

describe('client order id idempotency', () => {
  it('a duplicate of a live order returns the original result, emits nothing, changes nothing', () => {
    const h = new Harness();
    const a = h.account('1000');
    const first = h.buy(a, 1, 599_000, { clientOrderId: 'c1' });
    assert.equal(first.result.ok && first.result.kind === 'order' && first.result.duplicate, false);
    const before = h.stateKey();
    // same id, entirely different order
    const again = h.sell(a, 2, 601_000, { clientOrderId: 'c1' });
    assert.deepEqual(again.result, { ...first.result, duplicate: true });
    assert.deepEqual(again.events, []);
    assert.equal(h.stateKey(), before);
    assert.equal(h.view().nextOrderId, 2);
    h.audit();
  });

  it('the duplicate check comes first: before argument checks and the open-order limit', () => {
    const h = new Harness({ maxOpenOrdersPerAccount: 1 });
    const a = h.account('1000');
    const first = h.buy(a, 1, 599_000, { clientOrderId: 'c1' });
    const before = h.stateKey();
    const invalid = h.buy(a, 0, -1, { clientOrderId: 'c1', symbol: 'doge_usdt' });
    assert.deepEqual(invalid.result, { ...first.result, duplicate: true });
    assert.equal(h.stateKey(), before);
    // a new id hits the limit of 1 live order
    assert.equal(errorOf(h.buy(a, 1, 599_000, { clientOrderId: 'c2' })), 'TOO_MANY_OPEN_ORDERS');
    h.audit();
  });

  it('the result is the snapshot at the end of the first command, even after the order changed', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const first = h.buy(a, 5, 600_000, { clientOrderId: 'c1' });
    assert.equal(orderOf(first).state, 'NEW');
    h.sell(b, 2, 600_000); // fills 2 of it
    h.amend(a, orderOf(first).orderId, { qty: 4 });
    const again = orderOf(h.buy(a, 5, 600_000, { clientOrderId: 'c1' }));
    assert.equal(again.state, 'NEW');
    assert.equal(again.executedQty, 0);
    assert.equal(again.qty, 5);
    // after it is canceled the id is still within the window: still a duplicate
    h.cancel(a, orderOf(first).orderId);
    const afterCancel = h.buy(a, 5, 600_000, { clientOrderId: 'c1' });
    assert.deepEqual(afterCancel.result, { ...first.result, duplicate: true });
    assert.deepEqual(afterCancel.events, []);
    h.audit();
  });

  it('a rejected order is remembered too: the duplicate is not re-evaluated', () => {
    const h = new Harness();
    const a = h.account();
    const first = h.buy(a, 1, 600_000, { clientOrderId: 'r1' });
    assert.equal(orderOf(first).state, 'REJECTED');
    assert.equal(orderOf(first).reason, 'INSUFFICIENT_MARGIN');
    h.deposit(a, '1000');
    const before = h.stateKey();
    const again = h.buy(a, 1, 600_000, { clientOrderId: 'r1' });
    assert.deepEqual(again.result, { ...first.result, duplicate: true });
    assert.deepEqual(again.events, []);
    assert.equal(h.stateKey(), before);
    h.audit();
  });

  it('an order refused with an error got no order id and is not remembered', () => {
    const h = new Harness();
    const a = h.account('1000');
    assert.equal(errorOf(h.buy(a, 0, 600_000, { clientOrderId: 'e1' })), 'INVALID_ARGUMENT');
    const retry = orderOf(h.buy(a, 1, 590_000, { clientOrderId: 'e1' }));
    assert.equal(retry.state, 'NEW');
    assert.equal(retry.orderId, 1);
    h.audit();
  });

  it('ids are per account', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.buy(a, 1, 590_000, { clientOrderId: 'same' });
    const other = h.buy(b, 1, 590_000, { clientOrderId: 'same' });
    assert.equal(orderOf(other).orderId, 2);
    assert.equal(other.result.ok && other.result.kind === 'order' && other.result.duplicate, false);
    h.audit();
  });

  it('window eviction (clientOrderIdWindow 2): only the last 2 placements are remembered; a live order always is', () => {
    const h = new Harness({ clientOrderIdWindow: 2 });
    const a = h.account('1000');
    const live = orderOf(h.buy(a, 1, 590_000, { clientOrderId: 'live' })); // #1, stays live
    const k1 = h.buy(a, 1, 630_000, { clientOrderId: 'k1', timeInForce: 'IOC' }); // #2 expires at once
    h.buy(a, 1, 630_000, { clientOrderId: 'k2', timeInForce: 'IOC' }); // #3
    const k3 = h.buy(a, 1, 630_000, { clientOrderId: 'k3', timeInForce: 'IOC' }); // #4; window is now {k2, k3}
    assert.equal(orderOf(k1).state, 'EXPIRED');
    // the live order fell out of the window but is still found as live
    const liveAgain = h.buy(a, 1, 590_000, { clientOrderId: 'live' });
    assert.equal(liveAgain.result.ok && liveAgain.result.kind === 'order' && liveAgain.result.duplicate, true);
    assert.equal(orderOf(liveAgain).orderId, live.orderId);
    // k3 is remembered
    assert.deepEqual(h.buy(a, 1, 630_000, { clientOrderId: 'k3', timeInForce: 'IOC' }).result, { ...k3.result, duplicate: true });
    // k1 was evicted: a new order (#5); the window becomes {k3, k1}
    const k1again = orderOf(h.buy(a, 1, 630_000, { clientOrderId: 'k1', timeInForce: 'IOC' }));
    assert.equal(k1again.orderId, 5);
    // so k2 is gone as well
    assert.equal(orderOf(h.buy(a, 1, 630_000, { clientOrderId: 'k2', timeInForce: 'IOC' })).orderId, 6);
    h.audit();
  });
});
