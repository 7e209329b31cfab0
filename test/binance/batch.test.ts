/**
 * Binance's batch order endpoints over real HTTP: POST/PUT/DELETE /fapi/v1/batchOrders answer one
 * entry per item in order (the order object, or that item's {code, msg}), a bad item does not stop
 * the others, an oversized or malformed batch is refused whole and changes nothing, and the engine
 * holds exactly what the answers say.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from './client.js';
import { BinanceFixture, type BinanceAccount } from './support.js';

const BTC = 'BTCUSDT';

describe('Binance batchOrders', () => {
  let f: BinanceFixture;
  let a: BinanceAccount;

  const liveOrders = () => f.exchange.engine.account(a.accountId)!.view.orders;
  const order = (price: string, extra: Json = {}): Json => ({ symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price, ...extra });

  before(async () => {
    f = await BinanceFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    a = await f.account('10000');
    await a.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' });
  });
  after(async () => { await f.stop(); });

  it('POST places each item on its own: good items rest, a bad item gets its own {code, msg}', async () => {
    const answers = await a.rest.ok<Json[]>('POST', '/fapi/v1/batchOrders', {
      batchOrders: JSON.stringify([order('59000'), order('59000', { quantity: '0' }), order('58000', { newClientOrderId: 'grid-2' })]),
    });
    assert.equal(answers.length, 3);
    assert.deepEqual([answers[0]!.status, answers[0]!.price, answers[0]!.origQty], ['NEW', '59000', '0.0100']);
    assert.deepEqual(answers[1], { code: -4003, msg: 'Quantity less than or equal to zero.' });
    assert.deepEqual([answers[2]!.status, answers[2]!.clientOrderId], ['NEW', 'grid-2']);
    assert.deepEqual(liveOrders().map((o) => [o.orderId, o.price]), [[answers[0]!.orderId, 590000], [answers[2]!.orderId, 580000]]);
  });

  it('PUT modifies each item on its own; an unknown order is -2013 for that item only', async () => {
    const [first, second] = liveOrders();
    const answers = await a.rest.ok<Json[]>('PUT', '/fapi/v1/batchOrders', {
      batchOrders: JSON.stringify([
        { symbol: BTC, orderId: first!.orderId, side: 'BUY', quantity: '0.02', price: '59100' },
        { symbol: BTC, orderId: 987654, side: 'BUY', quantity: '0.01', price: '59100' },
        { symbol: BTC, origClientOrderId: 'grid-2', side: 'BUY', quantity: '0.01', price: '58100' },
      ]),
    });
    assert.deepEqual([answers[0]!.price, answers[0]!.origQty], ['59100', '0.0200']);
    assert.deepEqual(answers[1], { code: -2013, msg: 'Order does not exist.' });
    assert.equal(answers[2]!.price, '58100');
    assert.deepEqual(liveOrders().map((o) => [o.orderId, o.price, o.qty]), [[first!.orderId, 591000, 200], [second!.orderId, 581000, 100]]);
  });

  it('DELETE cancels by orderIdList (and by origClientOrderIdList); an unknown id is -2011 for that item only', async () => {
    const [first] = liveOrders();
    const byId = await a.rest.ok<Json[]>('DELETE', '/fapi/v1/batchOrders', { symbol: BTC, orderIdList: `[${first!.orderId},424242]` });
    assert.deepEqual([byId[0]!.status, byId[0]!.orderId], ['CANCELED', first!.orderId]);
    assert.equal(byId[1]!.code, -2011);
    const byClientId = await a.rest.ok<Json[]>('DELETE', '/fapi/v1/batchOrders', { symbol: BTC, origClientOrderIdList: '["grid-2"]' });
    assert.deepEqual([byClientId[0]!.status, byClientId[0]!.clientOrderId], ['CANCELED', 'grid-2']);
    assert.deepEqual(liveOrders(), []);
  });

  it('limits and malformed batches are refused whole, with Binance codes, and place nothing', async () => {
    const refused = async (method: string, params: Record<string, string>) => {
      const reply = await a.rest.signed<{ code: number }>(method, '/fapi/v1/batchOrders', params);
      return [reply.status, reply.body.code];
    };
    const six = JSON.stringify(Array.from({ length: 6 }, () => order('59000')));
    assert.deepEqual(await refused('POST', { batchOrders: six }), [400, -4082]);
    assert.deepEqual(await refused('PUT', { batchOrders: six }), [400, -4082]);
    assert.deepEqual(await refused('POST', { batchOrders: '[]' }), [400, -4082]);
    assert.deepEqual(await refused('POST', {}), [400, -1102]);
    assert.deepEqual(await refused('POST', { batchOrders: '{"symbol":"BTCUSDT"}' }), [400, -1130]);
    assert.deepEqual(await refused('POST', { batchOrders: 'not json' }), [400, -1130]);
    const eleven = `[${Array.from({ length: 11 }, (_, i) => i + 1).join(',')}]`;
    assert.deepEqual(await refused('DELETE', { symbol: BTC, orderIdList: eleven }), [400, -1130]);
    assert.deepEqual(await refused('DELETE', { symbol: BTC, orderIdList: '[1]', origClientOrderIdList: '["x"]' }), [400, -1128]);
    assert.deepEqual(await refused('DELETE', { symbol: BTC }), [400, -1102]);
    assert.deepEqual(liveOrders(), []);
  });
});
