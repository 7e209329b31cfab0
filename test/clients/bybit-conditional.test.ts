/**
 * `bybit-api` (RestClientV5 + WebsocketClient, library defaults) with Bybit's conditional orders
 * (issue 13), on a fresh account created for Bybit: submitOrder with triggerPrice /
 * triggerDirection / triggerBy waits Untriggered (getActiveOrders orderFilter=StopOrder), fires when
 * another account trades at the trigger and the stream carries Triggered then the placed order under
 * the same orderId; setTradingStop sets the position's take profit and stop loss, which
 * getPositionInfo and the position topic show; a refusal comes back in Bybit's {retCode, retMsg}
 * and changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { BybitRest } from '../bybit/client.js';
import { ClientsFixture, EventLog, within, type Created } from './support.js';

type Json = Record<string, unknown>;
interface Update { topic: string; data: Json[] }
const SYMBOL = 'BTCUSDT';

describe('bybit-api with conditional orders and trading-stop', () => {
  let f: ClientsFixture;
  let user: Created;
  let maker: BybitRest;
  let taker: BybitRest;
  let rest: RestClientV5;
  let ws: WebsocketClient;
  const updates = new EventLog<Update>();
  const responses = new EventLog<Json>();
  const errors: unknown[] = [];

  async function ok<T extends { retCode: number }>(call: Promise<T>, what: string): Promise<T> {
    const reply = await within(call, what);
    assert.equal(reply.retCode, 0, `${what}: ${JSON.stringify(reply)}`);
    return reply;
  }

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('bybit', '1000');
    const m = await f.account('bybit', '100000');
    const t = await f.account('bybit', '100000');
    maker = new BybitRest(f.url, m.apiKey, m.secret);
    taker = new BybitRest(f.url, t.apiKey, t.secret);
    rest = new RestClientV5({ key: user.apiKey, secret: user.secret, baseUrl: `${f.url}/bybit` });
    const logger = { trace: () => undefined, info: () => undefined, error: (...args: unknown[]) => errors.push(args) };
    ws = new WebsocketClient({ key: user.apiKey, secret: user.secret, wsUrl: `${f.wsUrl}/bybit/v5/private` }, logger);
    ws.on('update', (e) => updates.push(e as unknown as Update));
    ws.on('response', (e) => responses.push(e as unknown as Json));
    ws.on('exception', (e) => errors.push(e));
  });
  after(async () => {
    ws.closeAll(true);
    await f.stop();
  });

  it('submitOrder with triggerPrice: Untriggered, then Triggered and the placed order under one orderId; setTradingStop on the position it opened', async () => {
    await within(Promise.all(ws.subscribeV5(['order', 'position'], 'linear')), 'subscribeV5');
    await responses.find((r) => r.op === 'subscribe' && r.success === true, 'the subscribe response');

    const placed = await ok(rest.submitOrder({
      category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Market', qty: '0.001', triggerPrice: '61000', triggerDirection: 1, triggerBy: 'LastPrice',
    }), 'submitOrder with triggerPrice');
    const orderId = placed.result.orderId;
    const row = (status: string) => (u: Update): boolean => u.topic === 'order' && u.data.some((r) => r.orderId === orderId && r.orderStatus === status);
    const untriggered = (await updates.find(row('Untriggered'), 'order Untriggered')).data.find((r) => r.orderId === orderId)!;
    assert.deepEqual([untriggered.stopOrderType, untriggered.triggerPrice, untriggered.triggerDirection, untriggered.triggerBy], ['Stop', '61000', 1, 'LastPrice']);
    const active = (await ok(rest.getActiveOrders({ category: 'linear', symbol: SYMBOL, orderFilter: 'StopOrder' }), 'getActiveOrders StopOrder')).result.list;
    assert.deepEqual(active.map((o) => [o.orderId, o.orderStatus, o.stopOrderType, o.triggerPrice]), [[orderId, 'Untriggered', 'Stop', '61000']]);
    assert.deepEqual(f.view(user.accountId).conditionals.map((c) => String(c.conditionalId)), [orderId]);

    // Another account rests 0.002 at 61000, a third takes 0.001: the last price reaches the trigger.
    assert.equal((await maker.post('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Limit', qty: '0.002', price: '61000' })).retCode, 0);
    assert.equal((await taker.post('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Market', qty: '0.001' })).retCode, 0);
    await updates.find(row('Filled'), 'the placed order Filled');
    const statuses = updates.items.filter((u) => u.topic === 'order').flatMap((u) => u.data).filter((r) => r.orderId === orderId).map((r) => r.orderStatus);
    assert.deepEqual(statuses, ['Untriggered', 'Triggered', 'New', 'Filled']);
    assert.equal(f.position(user.accountId).qty, 10);

    await ok(rest.setTradingStop({ category: 'linear', symbol: SYMBOL, tpslMode: 'Full', positionIdx: 0, takeProfit: '65000', stopLoss: '56000', slTriggerBy: 'MarkPrice' }), 'setTradingStop');
    await updates.find((u) => u.topic === 'position' && u.data.some((r) => r.takeProfit === '65000' && r.stopLoss === '56000'), 'the position with its TP/SL');
    const [position] = (await ok(rest.getPositionInfo({ category: 'linear', symbol: SYMBOL }), 'getPositionInfo')).result.list;
    assert.deepEqual([position?.takeProfit, position?.stopLoss, position?.trailingStop], ['65000', '56000', '0']);
    const legs = (await ok(rest.getActiveOrders({ category: 'linear', symbol: SYMBOL, orderFilter: 'StopOrder' }), 'getActiveOrders legs')).result.list;
    assert.deepEqual(legs.map((o) => [o.stopOrderType, o.triggerPrice, o.triggerBy]).sort(), [['StopLoss', '56000', 'MarkPrice'], ['TakeProfit', '65000', 'LastPrice']]);

    // A refusal: Bybit's shape, and the position keeps what it had.
    const before = JSON.stringify(f.view(user.accountId), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const refused = await within(rest.setTradingStop({ category: 'linear', symbol: SYMBOL, tpslMode: 'Full', positionIdx: 0, takeProfit: '65000', tpOrderType: 'Limit', tpLimitPrice: '64000' }), 'setTradingStop refused');
    assert.deepEqual([refused.retCode, refused.retMsg], [10001, 'params error: tpOrderType only support Market when tpSlMode is Full: send tpslMode=Partial for a limit takeProfit']);
    assert.equal(JSON.stringify(f.view(user.accountId), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), before);
    assert.deepEqual(errors, []);
  });

  it('submitOrder with takeProfit: getActiveOrders shows it on the order; amendOrder moves it and adds a stopLoss; the order push carries both', async () => {
    const placed = await ok(rest.submitOrder({
      category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '58000', takeProfit: '64000',
    }), 'submitOrder with takeProfit');
    const orderId = placed.result.orderId;
    const active = async () => (await ok(rest.getActiveOrders({ category: 'linear', symbol: SYMBOL, orderId }), 'getActiveOrders')).result.list
      .map((o) => [o.takeProfit, o.stopLoss, o.tpTriggerBy, o.slTriggerBy, o.tpslMode]);
    assert.deepEqual(await active(), [['64000', '', 'LastPrice', '', 'Full']]);
    await ok(rest.amendOrder({ category: 'linear', symbol: SYMBOL, orderId, takeProfit: '65000', stopLoss: '55000', slTriggerBy: 'MarkPrice' }), 'amendOrder TP/SL');
    assert.deepEqual(await active(), [['65000', '55000', 'LastPrice', 'MarkPrice', 'Full']]);
    await updates.find((u) => u.topic === 'order' && u.data.some((r) => r.orderId === orderId && r.takeProfit === '65000' && r.stopLoss === '55000'), 'the amended order push');
    await ok(rest.cancelOrder({ category: 'linear', symbol: SYMBOL, orderId }), 'cancelOrder');
    assert.deepEqual(errors, []);
  });
});
