/**
 * KuCoin futures' batch endpoints over real HTTP: POST /api/v1/orders/multi (a JSON list of orders)
 * and DELETE /api/v1/orders/multi-cancel answer one `data` entry per item with its own code and msg
 * (a bad item does not stop the others), an oversized or malformed batch is refused whole (400100)
 * and changes nothing, and the engine holds exactly what the answers say.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KucoinRest } from './client.js';
import { KucoinFixture, type KucoinAccount } from './fixture.js';

type Item = Record<string, unknown>;
const limit = (clientOid: string, overrides: Item = {}): Item => ({ clientOid, side: 'buy', symbol: 'XBTUSDTM', type: 'limit', price: '59000', size: 2, leverage: 1, ...overrides });

describe('KuCoin batch orders', () => {
  let f: KucoinFixture;
  let a: KucoinAccount;
  const liveOrders = () => f.view(a.accountId).orders;
  const multi = (orders: unknown) => a.rest.request<Item[]>('POST', 'futures', '/api/v1/orders/multi', { body: orders as Item });
  const multiCancel = (body: Item) => a.rest.request<Item[]>('DELETE', 'futures', '/api/v1/orders/multi-cancel', { body });

  before(async () => {
    f = await KucoinFixture.start();
    a = await f.account('10000');
  });
  after(async () => { await f.stop(); });

  it('orders/multi: each order placed on its own; a bad one carries its own code and msg', async () => {
    const data = KucoinRest.data(await multi([limit('m-1'), limit('m-2', { size: 0 }), limit('m-3', { price: '58000', symbol: 'ETHUSDTM', size: 1 })]));
    assert.equal(data.length, 3);
    assert.deepEqual([data[0]!.clientOid, data[0]!.symbol, data[0]!.code, data[0]!.msg], ['m-1', 'XBTUSDTM', '200000', 'success']);
    assert.deepEqual([data[1]!.orderId, data[1]!.clientOid, data[1]!.symbol, data[1]!.code], [null, 'm-2', 'XBTUSDTM', '300000']);
    assert.match(String(data[1]!.msg), /size must be a whole number/);
    assert.equal(data[2]!.code, '300000', 'ETH at 58000 is outside its band around 3000: refused alone');
    assert.deepEqual(liveOrders().map((o) => [String(o.orderId), o.clientOrderId]), [[data[0]!.orderId, 'm-1']]);
    const more = KucoinRest.data(await multi([limit('m-4', { price: '58000' })]));
    assert.equal(more[0]!.code, '200000');
    assert.equal(liveOrders().length, 2);
  });

  it('multi-cancel by orderIdsList and by clientOidsList: each item answered on its own', async () => {
    const [first] = liveOrders();
    const byId = KucoinRest.data(await multiCancel({ orderIdsList: [String(first!.orderId), '424242'] }));
    assert.deepEqual(byId[0], { orderId: String(first!.orderId), clientOid: null, code: '200', msg: 'success' });
    assert.deepEqual([byId[1]!.orderId, byId[1]!.code], ['424242', '100001']);
    const byClientOid = KucoinRest.data(await multiCancel({ clientOidsList: [{ symbol: 'XBTUSDTM', clientOid: 'm-4' }, { symbol: 'XBTUSDTM', clientOid: 'gone' }] }));
    assert.deepEqual(byClientOid.map((x) => [x.clientOid, x.code]), [['m-4', '200'], ['gone', '100001']]);
    assert.deepEqual(liveOrders(), []);
  });

  it('orders/multi follows add-order\'s marginMode rule per item: left out is ISOLATED, a mode not the contract\'s is 330005', async () => {
    const b = await f.account('10000'); // created for KuCoin: every contract ISOLATED
    KucoinRest.data(await b.rest.post('/api/v2/position/changeMarginMode', { symbol: 'ETHUSDTM', marginMode: 'CROSS' }));
    const eth = (clientOid: string, overrides: Item = {}) => limit(clientOid, { symbol: 'ETHUSDTM', price: '2900', size: 1, ...overrides });
    const data = KucoinRest.data(await b.rest.request<Item[]>('POST', 'futures', '/api/v1/orders/multi', {
      body: [limit('mm-1'), eth('mm-2'), eth('mm-3', { marginMode: 'CROSS' }), limit('mm-4', { marginMode: 'CROSS' }), eth('mm-5', { marginMode: 'cross-margin' })] as unknown as Item,
    }));
    assert.deepEqual(data.map((x) => [x.clientOid, x.symbol, x.code]), [
      ['mm-1', 'XBTUSDTM', '200000'], ['mm-2', 'ETHUSDTM', '330005'], ['mm-3', 'ETHUSDTM', '200000'], ['mm-4', 'XBTUSDTM', '330005'], ['mm-5', 'ETHUSDTM', '400100'],
    ]);
    assert.match(String(data[1]!.msg), /ETHUSDTM is CROSS, the order ISOLATED \(no marginMode sent\)/);
    assert.match(String(data[3]!.msg), /XBTUSDTM is ISOLATED, the order CROSS/);
    assert.match(String(data[4]!.msg), /marginMode must be one of ISOLATED, CROSS/);
    const live = f.view(b.accountId).orders;
    assert.deepEqual(live.map((o) => [o.clientOrderId, o.marginMode]), [['mm-1', 'ISOLATED'], ['mm-3', 'CROSSED']], 'the refused items placed nothing');
    KucoinRest.data(await b.rest.delete('/api/v1/orders'));
  });

  it('more than 20 orders (10 cancels), an empty or non-list body: 400100 for the whole batch, nothing changes', async () => {
    const refused = async (response: Promise<{ status: number; body: { code: string } }>) => {
      const reply = await response;
      return [reply.status, reply.body.code];
    };
    const many = Array.from({ length: 21 }, (_, i) => limit(`many-${i}`));
    assert.deepEqual(await refused(multi(many)), [400, '400100']);
    assert.deepEqual(await refused(multi([])), [400, '400100']);
    assert.deepEqual(await refused(multi(limit('alone'))), [400, '400100']);
    assert.deepEqual(await refused(multi(['x'])), [400, '400100']);
    assert.deepEqual(liveOrders(), []);
    const twenty = KucoinRest.data(await multi(many.slice(0, 20)));
    assert.deepEqual(twenty.map((x) => x.code), Array(20).fill('200000'));
    const ids = liveOrders().map((o) => String(o.orderId));
    assert.deepEqual(await refused(multiCancel({ orderIdsList: ids.slice(0, 11) })), [400, '400100']);
    assert.deepEqual(await refused(multiCancel({})), [400, '400100']);
    assert.equal(liveOrders().length, 20);
    KucoinRest.data(await multiCancel({ orderIdsList: ids.slice(0, 10) }));
    assert.equal(liveOrders().length, 10);
  });
});
