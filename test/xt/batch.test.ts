/**
 * XT's batch endpoints over real HTTP: order/create-batch (`list`, as a JSON list or its text in a
 * JSON or form body) and order/cancel-batch (`orderIds` / `clientOrderIds`). XT answers `true` with
 * no per-item results, so a malformed item or an unknown id refuses the whole batch naming the item
 * and changes nothing; an item the engine refuses does not stop the others and the answer names it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sign, signaturePayload } from '../../src/dialects/xt/auth.js';
import { Harness, type TestAccount } from '../support/harness.js';

const CREATE = '/future/trade/v1/order/create-batch';
const CANCEL = '/future/trade/v1/order/cancel-batch';
const order = (price: string, extra: Record<string, unknown> = {}) =>
  ({ symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price, origQty: '1', ...extra });

describe('XT batch orders', () => {
  let harness: Harness;
  let a: TestAccount;
  const liveOrders = () => harness.server.exchange.engine.account(a.accountId)!.view.orders;

  before(async () => {
    harness = await Harness.start();
    await harness.admin.markPrice('btc_usdt', '60000');
    a = await harness.account('1000');
  });
  after(() => harness.stop());

  test('create-batch places every order as its own command; the list may come as JSON text', async () => {
    const asList = await a.rest.post<boolean>(CREATE, { list: [order('59000', { clientOrderId: 'x-1' }), order('58000')] });
    assert.deepEqual([asList.returnCode, asList.result], [0, true]);
    const asText = await a.rest.post<boolean>(CREATE, { list: JSON.stringify([order('57000', { clientOrderId: 'x-3' })]) });
    assert.deepEqual([asText.returnCode, asText.result], [0, true]);
    assert.deepEqual(liveOrders().map((o) => [o.price, o.clientOrderId ?? null]), [[590000, 'x-1'], [580000, null], [570000, 'x-3']]);
  });

  test('create-batch as XT\'s own SDK sends it: a form field `list`', async () => {
    const rawBody = `list=${encodeURIComponent(JSON.stringify([order('56000')]))}`;
    const ts = String(Date.now());
    const response = await fetch(`${harness.server.url}${CREATE}`, {
      method: 'POST',
      headers: {
        'validate-appkey': a.apiKey, 'validate-timestamp': ts, 'content-type': 'application/x-www-form-urlencoded',
        'validate-signature': sign(a.secret, signaturePayload('', a.apiKey, ts, { method: 'POST', path: CREATE, rawQuery: '', rawBody })),
      },
      body: rawBody,
    });
    const body = (await response.json()) as { returnCode: number; result: unknown };
    assert.deepEqual([body.returnCode, body.result], [0, true]);
    assert.equal(liveOrders().length, 4);
  });

  test('a malformed item, an empty list or more than 20 orders refuse the whole batch and place nothing', async () => {
    const before = liveOrders().length;
    const bad = await a.rest.post(CREATE, { list: [order('55000'), order('55000', { origQty: '0' })] });
    assert.equal(bad.returnCode, 1);
    assert.match(bad.error!.msg, /^list\[1\]: /);
    for (const list of [[], Array.from({ length: 21 }, () => order('55000')), 'not json', undefined]) {
      const reply = await a.rest.post(CREATE, list === undefined ? {} : { list });
      assert.equal(reply.error?.code, 'COMMON_003', String(JSON.stringify(list)).slice(0, 40));
    }
    assert.equal(liveOrders().length, before);
  });

  test('an item the engine refuses does not stop the others; the failure names it and what was placed', async () => {
    const before = liveOrders().length;
    const reply = await a.rest.post(CREATE, { list: [order('55000'), order('55000', { origQty: '100000' }), order('54000')] });
    assert.equal(reply.error?.code, 'insufficient_balance');
    assert.match(reply.error!.msg, /list\[1\]: insufficient balance/);
    assert.match(reply.error!.msg, /done: list\[0\] placed as order \d+, list\[2\] placed as order \d+/);
    assert.deepEqual(liveOrders().slice(before).map((o) => o.price), [550000, 540000]);
  });

  test('cancel-batch by orderIds (comma or JSON list) and clientOrderIds; an unknown id refuses the batch and cancels nothing', async () => {
    const [first, second, third] = liveOrders();
    const unknown = await a.rest.post(CANCEL, { orderIds: `${first!.orderId},424242` });
    assert.equal(unknown.error?.code, 'ORDER_005');
    assert.match(unknown.error!.msg, /orderIds\[1\]/);
    assert.equal(liveOrders().length, 6);
    const comma = await a.rest.post<boolean>(CANCEL, { orderIds: `${first!.orderId},${second!.orderId}` });
    assert.deepEqual([comma.returnCode, comma.result], [0, true]);
    const mixed = await a.rest.post<boolean>(CANCEL, { orderIds: JSON.stringify([liveOrders().at(-1)!.orderId]), clientOrderIds: 'x-3' });
    assert.deepEqual([mixed.returnCode, mixed.result], [0, true]);
    assert.ok(!liveOrders().some((o) => o.orderId === third!.orderId));
    assert.equal(liveOrders().length, 2);
    assert.equal((await a.rest.post(CANCEL, {})).error?.code, 'COMMON_003');
  });
});
