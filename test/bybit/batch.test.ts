/**
 * Bybit's batch order endpoints over real HTTP: create-batch, amend-batch and cancel-batch answer
 * result.list and retExtInfo.list item by item (a bad item gets its own code and msg and does not
 * stop the others), more than 20 items or a malformed request is refused whole and changes
 * nothing, and the engine holds exactly what the answers say.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BybitFixture, type BybitAccount } from './client.js';

type Row = Record<string, string>;
type Batch = { list: Row[] };
const limit = (price: string, extra: Record<string, unknown> = {}) => ({ symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price, ...extra });

describe('bybit batch orders', () => {
  let f: BybitFixture;
  let a: BybitAccount;
  const liveOrders = () => f.server.exchange.engine.account(a.accountId)!.view.orders;
  const codes = (ext: Record<string, unknown>) => (ext.list as { code: number }[]).map((x) => x.code);

  before(async () => {
    f = await BybitFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    a = await f.account('10000');
  });
  after(async () => { await f.stop(); });

  it('create-batch: every item placed on its own, a bad item answered in both lists at its place', async () => {
    const reply = await a.rest.post<Batch>('/v5/order/create-batch', {
      category: 'linear',
      request: [limit('59000', { orderLinkId: 'grid-1' }), limit('59000', { qty: '0' }), limit('58000', { orderLinkId: 'grid-2' })],
    });
    assert.equal(reply.retCode, 0);
    const [first, bad, third] = reply.result.list;
    assert.deepEqual(codes(reply.retExtInfo), [0, 10001, 0]);
    assert.deepEqual((reply.retExtInfo.list as Row[])[0], { code: 0, msg: 'OK' });
    assert.deepEqual([first!.category, first!.symbol, first!.orderLinkId], ['linear', 'BTCUSDT', 'grid-1']);
    assert.ok(Number(first!.createAt) > 0);
    assert.deepEqual(bad, { category: 'linear', symbol: 'BTCUSDT', orderId: '', orderLinkId: '', createAt: '' });
    assert.deepEqual(liveOrders().map((o) => [String(o.orderId), o.clientOrderId, o.price]), [[first!.orderId, 'grid-1', 590000], [third!.orderId, 'grid-2', 580000]]);
  });

  it('amend-batch and cancel-batch: each item on its own; an unknown order is 110001 for that item only', async () => {
    const amended = await a.rest.post<Batch>('/v5/order/amend-batch', {
      category: 'linear',
      request: [{ symbol: 'BTCUSDT', orderLinkId: 'grid-1', price: '59100' }, { symbol: 'BTCUSDT', orderId: '999999', price: '59100' }],
    });
    assert.deepEqual(codes(amended.retExtInfo), [0, 110001]);
    assert.equal(amended.result.list[0]!.orderLinkId, 'grid-1');
    assert.equal(amended.result.list[1]!.orderId, '999999');
    assert.deepEqual(liveOrders().map((o) => o.price), [591000, 580000]);

    const cancelled = await a.rest.post<Batch>('/v5/order/cancel-batch', {
      category: 'linear',
      request: [{ symbol: 'BTCUSDT', orderLinkId: 'grid-1' }, { symbol: 'BTCUSDT', orderLinkId: 'nothing' }, { symbol: 'BTCUSDT', orderLinkId: 'grid-2' }],
    });
    assert.deepEqual(codes(cancelled.retExtInfo), [0, 110001, 0]);
    assert.deepEqual(cancelled.result.list.map((r) => r.orderLinkId), ['grid-1', 'nothing', 'grid-2']);
    assert.deepEqual(liveOrders(), []);
  });

  it('more than 20 items, no list, or a category other than linear: 10001 for the whole batch, nothing placed', async () => {
    const many = Array.from({ length: 21 }, (_, i) => limit('59000', { orderLinkId: `many-${i}` }));
    for (const body of [{ category: 'linear', request: many }, { category: 'linear' }, { category: 'linear', request: [] },
      { category: 'spot', request: [limit('59000')] }, { category: 'linear', request: ['x'] }]) {
      const reply = await a.rest.post('/v5/order/create-batch', body);
      assert.equal(reply.retCode, 10001, JSON.stringify(body).slice(0, 80));
    }
    assert.deepEqual(liveOrders(), []);
    const twenty = await a.rest.post<Batch>('/v5/order/create-batch', { category: 'linear', request: many.slice(0, 20) });
    assert.deepEqual(codes(twenty.retExtInfo), Array(20).fill(0));
    assert.equal(liveOrders().length, 20);
  });
});
