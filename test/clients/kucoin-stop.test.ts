/**
 * `kucoin-universal-sdk` (KuCoin's official Node SDK) with stop orders, pointed at a started
 * perpstream with nothing but its endpoints, on a fresh KuCoin account with the SDK's defaults: its
 * futures private WebSocket subscribes `stopOrders` (/contractMarket/advancedOrders) and the
 * symbol's orders; addOrder with stop / stopPriceType / stopPrice, getStopOrderList, the mark
 * crosses the stop price (triggered, then the placed order under the same id), addTPSLOrder whose
 * take-profit and stop-loss are armed by the fill, cancelAllStopOrders, getOrderByOrderId of a
 * cancelled stop order. Every value is the engine's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientOptionBuilder, DefaultClient, Futures, TransportOptionBuilder, WebSocketClientOptionBuilder } from 'kucoin-universal-sdk';
import { KucoinRest } from '../kucoin/client.js';
import { ClientsFixture, EventLog, within, type Created } from './support.js';

type Json = Record<string, unknown>;
interface Push { topic: string; subject: string; data: Json }
const SYMBOL = 'XBTUSDTM';
const Order = Futures.Order;

describe('kucoin-universal-sdk (KuCoin\'s official SDK): stop orders over REST and the private WebSocket', () => {
  let f: ClientsFixture;
  let user: Created;
  let other: Created;
  let client: DefaultClient;
  let ws: Futures.FuturesPrivateWS | undefined;
  const pushes = new EventLog<Push>();

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('kucoin', '10000');
    other = await f.account('kucoin', '100000');
    client = new DefaultClient(new ClientOptionBuilder()
      .setKey(user.apiKey).setSecret(user.secret).setPassphrase(user.passphrase)
      .setSpotEndpoint(`${f.url}/kucoin-spot`).setFuturesEndpoint(`${f.url}/kucoin-futures`)
      .setTransportOption(new TransportOptionBuilder().build()).setWebSocketClientOption(new WebSocketClientOptionBuilder().build())
      .build());
  });
  after(async () => {
    await ws?.stop();
    await f.stop();
  });

  it('addOrder with a stop, listed, pushed open; the mark crosses: triggered and placed; addTPSLOrder legs; cancelAllStopOrders', async () => {
    const record = (topic: string, subject: string, data: unknown): void => pushes.push({ topic, subject, data: data as Json });
    const stream = client.wsService().newFuturesPrivateWS();
    ws = stream;
    await within(stream.start(), 'start the private WebSocket');
    await within(stream.stopOrders(record), 'subscribe stopOrders');
    await within(stream.order(SYMBOL, record), 'subscribe order');
    const orders = client.restService().getFuturesService().getOrderApi();
    const maker = new KucoinRest(f.url, other.apiKey, other.secret, other.passphrase);
    KucoinRest.data(await maker.post('/api/v1/orders', { clientOid: 'ask-1', side: 'sell', symbol: SYMBOL, type: 'limit', price: '61000', size: 5, marginMode: 'ISOLATED' }));

    const placed = await within(orders.addOrder(Order.AddOrderReq.builder()
      .setClientOid(`sdk-stop-${user.accountId}`).setSide(Order.AddOrderReq.SideEnum.BUY).setSymbol(SYMBOL).setLeverage(3)
      .setType(Order.AddOrderReq.TypeEnum.MARKET).setSize(5)
      .setStop(Order.AddOrderReq.StopEnum.UP).setStopPriceType(Order.AddOrderReq.StopPriceTypeEnum.MARK_PRICE).setStopPrice('61000').build()), 'addOrder stop');
    const id = placed.orderId;
    const c = f.view(user.accountId).conditionals[0]!;
    assert.deepEqual([String(c.conditionalId), c.triggerSource, c.triggerDirection, c.triggerPrice, c.qty, c.orderType], [id, 'MARK', 'RISE', 610_000, 5, 'MARKET']);

    const open = (await pushes.find((p) => p.subject === 'stopOrder' && p.data.orderId === id && p.data.type === 'open', 'stopOrder open')).data;
    assert.deepEqual([open.symbol, open.orderType, open.side, open.size, open.stop, open.stopPrice, open.stopPriceType, open.createdAt],
      [SYMBOL, 'stop', 'buy', 5, 'up', '61000', 'MP', c.createTime]);
    const listed = await within(orders.getStopOrderList(Order.GetStopOrderListReq.builder().setSymbol(SYMBOL).build()), 'getStopOrderList');
    assert.deepEqual(listed.items.map((o) => [o.id, o.side, o.type, o.size, o.stop, o.stopPriceType, o.stopPrice, o.stopTriggered, o.isActive, o.status, o.clientOid]),
      [[id, 'buy', 'market', 5, 'up', 'MP', '61000', false, true, 'open', `sdk-stop-${user.accountId}`]]);

    await f.h.admin.markPrice('btc_usdt', '61000');
    const triggered = (await pushes.find((p) => p.subject === 'stopOrder' && p.data.orderId === id && p.data.type === 'triggered', 'stopOrder triggered')).data;
    assert.equal(triggered.triggerSuccess, true);
    await pushes.find((p) => p.subject === 'symbolOrderChange' && p.data.orderId === id && p.data.type === 'filled', 'the placed order filled, same id');
    assert.equal(f.position(user.accountId).qty, 5);
    const detail = await within(orders.getOrderByOrderId(Order.GetOrderByOrderIdReq.builder().setOrderId(id).build()), 'getOrderByOrderId');
    assert.deepEqual([detail.status, detail.stopTriggered, detail.stop, detail.filledSize], ['done', true, 'up', 5]);

    // An order with a take-profit and a stop-loss: both armed by its fill, sized to it.
    KucoinRest.data(await maker.post('/api/v1/orders', { clientOid: 'ask-2', side: 'sell', symbol: SYMBOL, type: 'limit', price: '61000', size: 1, marginMode: 'ISOLATED' }));
    await within(orders.addTPSLOrder(Order.AddTPSLOrderReq.builder()
      .setClientOid(`sdk-tpsl-${user.accountId}`).setSide(Order.AddTPSLOrderReq.SideEnum.BUY).setSymbol(SYMBOL).setLeverage(3)
      .setType(Order.AddTPSLOrderReq.TypeEnum.LIMIT).setPrice('61000').setSize(1)
      .setTriggerStopUpPrice('64000').setTriggerStopDownPrice('57000').setStopPriceType(Order.AddTPSLOrderReq.StopPriceTypeEnum.TRADE_PRICE).build()), 'addTPSLOrder');
    assert.equal(f.position(user.accountId).qty, 6);
    const legs = (await within(orders.getStopOrderList(Order.GetStopOrderListReq.builder().setSymbol(SYMBOL).build()), 'getStopOrderList legs')).items;
    assert.deepEqual(legs.map((o) => [o.side, o.size, o.stop, o.stopPrice, o.stopPriceType, o.reduceOnly]).sort(),
      [['sell', 1, 'down', '57000', 'TP', true], ['sell', 1, 'up', '64000', 'TP', true]]);
    for (const leg of legs) await pushes.find((p) => p.subject === 'stopOrder' && p.data.orderId === leg.id && p.data.type === 'open', `leg ${leg.id} open`);

    const cancelled = await within(orders.cancelAllStopOrders(Order.CancelAllStopOrdersReq.builder().setSymbol(SYMBOL).build()), 'cancelAllStopOrders');
    assert.deepEqual([...cancelled.cancelledOrderIds].sort(), legs.map((o) => o.id).sort());
    for (const leg of legs) await pushes.find((p) => p.subject === 'stopOrder' && p.data.orderId === leg.id && p.data.type === 'cancel', `leg ${leg.id} cancel`);
    assert.deepEqual(f.view(user.accountId).conditionals, []);
    const gone = await within(orders.getOrderByOrderId(Order.GetOrderByOrderIdReq.builder().setOrderId(legs[0]!.id).build()), 'getOrderByOrderId of a cancelled leg');
    assert.deepEqual([gone.status, gone.isActive, gone.cancelExist, gone.stopTriggered], ['done', false, true, false]);
  });
});
