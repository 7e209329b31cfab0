/**
 * KuCoin stop orders on a started server, raw REST and the raw classic stream: POST /api/v1/orders
 * with stop / stopPrice / stopPriceType, POST /api/v1/st-orders, GET / DELETE /api/v1/stopOrders,
 * cancel and detail by id and clientOid, and the `/contractMarket/advancedOrders` pushes beside the
 * placed order's `/contractMarket/tradeOrders` ones. XBTUSDTM: tick 0.1, 0.0001 BTC a lot; the
 * fixture's mark is 60,000.
 *
 * Barrier: every push a request caused is on the socket before the pong of a ping sent after the
 * request's answer (the exchange publishes a command's events before it answers, and a connection
 * sends in order), so "these and no others" is checked without waiting for silence.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KucoinRest, KucoinStream, type Frame } from './client.js';
import { KucoinFixture, type KucoinAccount } from './fixture.js';

const SYMBOL = 'XBTUSDTM';
const TOPICS = ['/contractMarket/advancedOrders', '/contractMarket/tradeOrders', '/contract/position:XBTUSDTM'];

/** A push summarized as "stopOrder:type", "orderChange:type" or its subject. */
const label = (f: Frame): string => (f.subject === 'stopOrder' || f.subject === 'orderChange' ? `${f.subject}:${String(f.data!.type)}` : String(f.subject));

async function connected(a: KucoinAccount, topics: readonly string[] = TOPICS): Promise<KucoinStream> {
  const stream = await KucoinStream.connect(await a.rest.futuresStreamUrl('stops'));
  await stream.until(() => stream.frames.length >= 1, 'welcome');
  for (const topic of topics) assert.equal((await stream.subscribe(topic)).type, 'ack');
  return stream;
}

/** Runs `action`, then returns every push it caused (up to the pong of a ping sent after it). */
async function pushesOf(stream: KucoinStream, action: () => Promise<unknown>): Promise<Frame[]> {
  const from = stream.frames.length;
  await action();
  await stream.request({ type: 'ping' });
  return stream.pushes(from);
}

describe('KuCoin stop orders: REST and /contractMarket/advancedOrders', () => {
  let f: KucoinFixture;
  before(async () => { f = await KucoinFixture.start(); });
  after(async () => { await f.stop(); });

  const wallet = (a: KucoinAccount) => f.view(a.accountId).wallets.find((w) => w.asset === 'USDT')!;
  const position = (a: KucoinAccount) => f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH');
  const order = (a: KucoinAccount, body: Record<string, unknown>) => a.rest.post<{ orderId: string; clientOid: string }>('/api/v1/orders', { symbol: SYMBOL, leverage: 1, ...body });
  const mark = (price: string) => f.harness.admin.markPrice('btc_usdt', price);

  it('stop up on the mark: open pushed, listed, no margin held; the mark reaches it: triggered, the same orderId on tradeOrders, the position opened', async () => {
    const a = await f.account('1000');
    const maker = await f.account('100000');
    KucoinRest.data(await order(maker, { clientOid: 'ask-1', side: 'sell', type: 'limit', price: '61000', size: 3 }));
    const s = await connected(a);
    const free = wallet(a).availableBalance;

    let orderId = '';
    const opened = await pushesOf(s, async () => {
      const placed = KucoinRest.data(await order(a, { clientOid: 'stop-1', side: 'buy', type: 'market', size: 3, stop: 'up', stopPrice: '61000', stopPriceType: 'MP' }));
      assert.equal(placed.clientOid, 'stop-1');
      orderId = placed.orderId;
    });
    assert.deepEqual(opened.map(label), ['stopOrder:open']);
    const open = opened[0]!;
    assert.deepEqual([open.topic, open.subject, open.userId, open.channelType], ['/contractMarket/advancedOrders', 'stopOrder', String(a.accountId), 'private']);
    const c = f.view(a.accountId).conditionals[0]!;
    assert.deepEqual(open.data, {
      orderId, symbol: SYMBOL, type: 'open', orderType: 'stop', side: 'buy', size: 3, orderPrice: null,
      stop: 'up', stopPrice: '61000', stopPriceType: 'MP', marginMode: 'ISOLATED', createdAt: c.createTime, ts: open.data!.ts,
    });
    assert.match(s.texts.find((t) => t.includes('"stopOrder"'))!, new RegExp(`"ts":${c.createTime}250000\\}`), 'ts in ns, written exactly');
    assert.deepEqual([String(c.conditionalId), c.kind, c.triggerSource, c.triggerDirection, c.triggerPrice, c.qty], [orderId, 'PLAN', 'MARK', 'RISE', 610_000, 3]);
    assert.equal(wallet(a).availableBalance, free, 'KuCoin: "the system will not pre-freeze the funds"');

    const listed = KucoinRest.data(await a.rest.get<{ totalNum: number; items: Record<string, unknown>[] }>('/api/v1/stopOrders', { symbol: SYMBOL }));
    assert.equal(listed.totalNum, 1);
    const item = listed.items[0]!;
    assert.deepEqual([item.id, item.type, item.side, item.size, item.stop, item.stopPriceType, item.stopPrice, item.stopTriggered, item.status, item.isActive, item.clientOid, item.leverage, item.marginMode],
      [orderId, 'market', 'buy', 3, 'up', 'MP', '61000', false, 'open', true, 'stop-1', '20', 'ISOLATED']);
    assert.deepEqual(KucoinRest.data(await a.rest.get(`/api/v1/orders/${orderId}`)), item, 'the order detail shows the stop order as the list does');
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/v1/orders/byClientOid', { clientOid: 'stop-1' })), item);
    assert.deepEqual(KucoinRest.data(await a.rest.get<{ items: unknown[] }>('/api/v1/orders', { status: 'active' })).items, [], 'an untriggered stop order is not an active order');

    const fired = await pushesOf(s, () => mark('61000'));
    const stopAndOrders = fired.filter((p) => p.subject !== 'position.change');
    assert.deepEqual(stopAndOrders.map(label), ['stopOrder:triggered', 'orderChange:open', 'orderChange:match', 'orderChange:filled']);
    assert.deepEqual([stopAndOrders[0]!.data!.orderId, stopAndOrders[0]!.data!.triggerSuccess, 'error' in stopAndOrders[0]!.data!], [orderId, true, false]);
    for (const p of stopAndOrders.slice(1)) assert.deepEqual([p.data!.orderId, p.data!.clientOid], [orderId, 'stop-1'], 'KuCoin keeps the order id at trigger');
    assert.deepEqual([stopAndOrders[2]!.data!.matchPrice, stopAndOrders[2]!.data!.matchSize, stopAndOrders[2]!.data!.liquidity], ['61000', '3', 'taker']);
    assert.equal(fired.filter((p) => p.subject === 'position.change').at(-1)!.data!.currentQty, 3);

    assert.equal(position(a)!.qty, 3);
    const placed = f.exchange.history.finishedOrder(a.accountId, Number(orderId))!;
    assert.deepEqual([placed.state, placed.origin, placed.conditionalId, placed.clientOrderId], ['FILLED', 'PLAN', Number(orderId), 'stop-1']);
    const detail = KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${orderId}`));
    assert.deepEqual([detail.id, detail.status, detail.isActive, detail.filledSize, detail.stop, detail.stopPriceType, detail.stopPrice, detail.stopTriggered, detail.avgDealPrice],
      [orderId, 'done', false, 3, 'up', 'MP', '61000', true, '61000']);
    assert.equal(KucoinRest.data(await a.rest.get<{ totalNum: number }>('/api/v1/stopOrders')).totalNum, 0);
    s.close();
    await mark('60000');
  });

  it('stop down on the last trade price (TP), reduce-only: trades at the stop price fire it and close the long', async () => {
    const a = await f.account('1000');
    const maker = await f.account('100000');
    const other = await f.account('1000');
    KucoinRest.data(await order(maker, { clientOid: 'ask-2', side: 'sell', type: 'limit', price: '60000', size: 3 }));
    KucoinRest.data(await order(a, { clientOid: 'open-2', side: 'buy', type: 'market', size: 3 }));
    assert.equal(position(a)!.qty, 3);
    const s = await connected(a);
    let stopId = '';
    await pushesOf(s, async () => { stopId = KucoinRest.data(await order(a, { clientOid: 'sl-2', side: 'sell', type: 'market', size: 3, reduceOnly: true, stop: 'down', stopPrice: '59000', stopPriceType: 'TP' })).orderId; });
    KucoinRest.data(await order(maker, { clientOid: 'bid-2', side: 'buy', type: 'limit', price: '59000', size: 4 }));
    assert.equal(position(a)!.qty, 3, 'a resting bid at the stop price is no trade');

    const fired = await pushesOf(s, () => order(other, { clientOid: 'print-2', side: 'sell', type: 'market', size: 1 }));
    const labels = fired.filter((p) => p.subject !== 'position.change').map(label);
    assert.deepEqual(labels, ['stopOrder:triggered', 'orderChange:open', 'orderChange:match', 'orderChange:filled']);
    assert.equal(fired[0]!.data!.orderId, stopId);
    assert.deepEqual([fired[0]!.data!.stop, fired[0]!.data!.stopPriceType, fired[0]!.data!.side], ['down', 'TP', 'sell']);
    assert.equal(position(a)!.qty, 0, 'the stop closed the long at 59,000');
    s.close();
  });

  it('a stop closeOrder closes the whole position as it is at trigger, grown since', async () => {
    const a = await f.account('1000');
    const maker = await f.account('100000');
    KucoinRest.data(await order(maker, { clientOid: 'ask-c1', side: 'sell', type: 'limit', price: '60000', size: 3 }));
    KucoinRest.data(await order(a, { clientOid: 'open-c1', side: 'buy', type: 'market', size: 2 }));
    const s = await connected(a);
    let stopId = '';
    const opened = await pushesOf(s, async () => {
      stopId = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', { clientOid: 'close-c1', symbol: SYMBOL, closeOrder: true, stop: 'down', stopPrice: '59500', stopPriceType: 'MP' })).orderId;
    });
    assert.deepEqual(opened.map((p) => [label(p), p.data!.side, p.data!.size, p.data!.stop]), [['stopOrder:open', 'sell', 0, 'down']]);
    const listed = KucoinRest.data(await a.rest.get<{ items: Record<string, unknown>[] }>('/api/v1/stopOrders')).items;
    assert.deepEqual(listed.map((o) => [o.id, o.closeOrder, o.reduceOnly, o.size, o.type]), [[stopId, true, true, 0, 'market']]);
    KucoinRest.data(await order(a, { clientOid: 'more-c1', side: 'buy', type: 'market', size: 1 }));
    assert.equal(position(a)!.qty, 3);

    KucoinRest.data(await order(maker, { clientOid: 'bid-c1', side: 'buy', type: 'limit', price: '59400', size: 5 }));
    const fired = await pushesOf(s, () => mark('59500'));
    assert.deepEqual(fired.filter((p) => p.subject !== 'position.change').map((p) => [label(p), p.data!.orderId]),
      [['stopOrder:triggered', stopId], ['orderChange:open', stopId], ['orderChange:match', stopId], ['orderChange:filled', stopId]]);
    assert.equal(fired.find((p) => label(p) === 'orderChange:open')!.data!.size, '3', 'the whole position at trigger');
    assert.equal(position(a)!.qty, 0);
    const detail = KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${stopId}`));
    assert.deepEqual([detail.closeOrder, detail.stopTriggered, detail.size, detail.filledSize, detail.reduceOnly], [true, true, 3, 3, true]);
    KucoinRest.data(await maker.rest.delete('/api/v1/orders'));
    s.close();
    await mark('60000');
  });

  it('cancel by id and by clientOid (push cancel), again: 100004; DELETE /api/v1/stopOrders by symbol, then all; a cancelled one reads as done', async () => {
    const a = await f.account('1000');
    const s = await connected(a);
    const stop = (clientOid: string, symbol = SYMBOL, stopPrice = '59000') =>
      a.rest.post<{ orderId: string }>('/api/v1/orders', { clientOid, symbol, side: 'sell', type: 'limit', price: stopPrice, size: 1, leverage: 1, stop: 'down', stopPrice, stopPriceType: 'MP' });
    let first = '';
    assert.deepEqual((await pushesOf(s, async () => { first = KucoinRest.data(await stop('c-1')).orderId; })).map(label), ['stopOrder:open']);
    const cancelled = await pushesOf(s, async () => assert.deepEqual(KucoinRest.data(await a.rest.delete(`/api/v1/orders/${first}`)), { cancelledOrderIds: [first] }));
    assert.deepEqual(cancelled.map(label), ['stopOrder:cancel']);
    assert.deepEqual([cancelled[0]!.data!.orderId, cancelled[0]!.data!.orderPrice, cancelled[0]!.data!.stopPrice], [first, '59000', '59000']);
    const again = await a.rest.delete(`/api/v1/orders/${first}`);
    assert.deepEqual([again.status, again.body.code], [200, '100004']);
    const done = KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${first}`));
    assert.deepEqual([done.status, done.isActive, done.cancelExist, done.stopTriggered, done.stop], ['done', false, true, false, 'down']);

    await pushesOf(s, () => stop('c-2'));
    const byOid = await pushesOf(s, async () => assert.deepEqual(KucoinRest.data(await a.rest.delete('/api/v1/orders/client-order/c-2', { symbol: SYMBOL })), { clientOid: 'c-2' }));
    assert.deepEqual(byOid.map(label), ['stopOrder:cancel']);

    const x1 = KucoinRest.data(await stop('c-3')).orderId;
    const x2 = KucoinRest.data(await stop('c-4')).orderId;
    const e1 = KucoinRest.data(await stop('c-5', 'ETHUSDTM', '2900')).orderId;
    // Paged as KuCoin documents it, newest first; filtered by symbol, side, type.
    type Page = { currentPage: number; pageSize: number; totalNum: number; totalPage: number; items: { id: string }[] };
    const pageOf = async (query: Record<string, string | number>) => {
      const p = KucoinRest.data(await a.rest.get<Page>('/api/v1/stopOrders', query));
      return [p.currentPage, p.pageSize, p.totalNum, p.totalPage, p.items.map((o) => o.id)];
    };
    assert.deepEqual(await pageOf({ pageSize: 2 }), [1, 2, 3, 2, [e1, x2]]);
    assert.deepEqual(await pageOf({ pageSize: 2, currentPage: 2 }), [2, 2, 3, 2, [x1]]);
    assert.deepEqual(await pageOf({ symbol: 'ETHUSDTM' }), [1, 50, 1, 1, [e1]]);
    assert.deepEqual(await pageOf({ side: 'buy' }), [1, 50, 0, 0, []]);
    assert.deepEqual(await pageOf({ type: 'limit', side: 'sell' }), [1, 50, 3, 1, [e1, x2, x1]]);
    const badPage = await a.rest.get('/api/v1/stopOrders', { pageSize: 1001 });
    assert.deepEqual([badPage.status, badPage.body.code], [400, '400100']);
    const bySymbol = KucoinRest.data(await a.rest.delete<{ cancelledOrderIds: string[] }>('/api/v1/stopOrders', { symbol: SYMBOL }));
    assert.deepEqual([...bySymbol.cancelledOrderIds].sort(), [x1, x2].sort());
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => String(c.conditionalId)), [e1]);
    assert.deepEqual(KucoinRest.data(await a.rest.delete('/api/v1/stopOrders')), { cancelledOrderIds: [e1] });
    assert.deepEqual(f.view(a.accountId).conditionals, []);

    const unknown = await a.rest.delete('/api/v1/orders/999999');
    assert.deepEqual([unknown.body.code, typeof unknown.body.msg], ['100001', 'string']);
    s.close();
  });

  it('a trigger refused for margin: triggered with triggerSuccess false and error.createOrder.accountBalanceInsufficient; no order, nothing else changed', async () => {
    const a = await f.account('5');
    const maker = await f.account('100000');
    KucoinRest.data(await order(maker, { clientOid: 'ask-4', side: 'sell', type: 'limit', price: '61000', size: 100 }));
    const s = await connected(a);
    // 100 lots need about 30 USDT of margin at 61,000; the account has 5. Placing it holds nothing, so it is accepted.
    let stopId = '';
    await pushesOf(s, async () => { stopId = KucoinRest.data(await order(a, { clientOid: 'big-4', side: 'buy', type: 'market', size: 100, stop: 'up', stopPrice: '61000', stopPriceType: 'MP' })).orderId; });
    const walletBefore = wallet(a);
    const fired = await pushesOf(s, () => mark('61000'));
    assert.deepEqual(fired.filter((p) => p.subject !== 'position.change').map(label), ['stopOrder:triggered'], 'the refused order never existed on tradeOrders');
    assert.deepEqual([fired[0]!.data!.orderId, fired[0]!.data!.triggerSuccess, fired[0]!.data!.error], [stopId, false, 'error.createOrder.accountBalanceInsufficient']);
    assert.deepEqual(wallet(a), walletBefore);
    assert.equal(position(a)?.qty ?? 0, 0);
    const detail = KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${stopId}`));
    assert.deepEqual([detail.status, detail.isActive, detail.cancelExist, detail.stopTriggered, detail.filledSize], ['done', false, true, true, 0]);
    KucoinRest.data(await maker.rest.delete('/api/v1/orders'));
    s.close();
    await mark('60000');
  });

  it('st-orders: the order fills, its take-profit and stop-loss are armed as stop orders; the take-profit fires and cancels the stop-loss', async () => {
    const a = await f.account('1000');
    const maker = await f.account('100000');
    KucoinRest.data(await order(maker, { clientOid: 'ask-5', side: 'sell', type: 'limit', price: '60000', size: 2 }));
    const s = await connected(a);
    let orderId = '';
    const filled = await pushesOf(s, async () => {
      orderId = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/st-orders', {
        clientOid: 'tpsl-5', symbol: SYMBOL, side: 'buy', type: 'limit', price: '60000', size: 2, leverage: 1,
        triggerStopUpPrice: '61200', triggerStopDownPrice: '58800', stopPriceType: 'MP',
      })).orderId;
    });
    assert.equal(position(a)!.qty, 2);
    const legs = filled.filter((p) => p.subject === 'stopOrder');
    assert.deepEqual(legs.map((p) => [p.data!.type, p.data!.side, p.data!.size, p.data!.stop, p.data!.stopPrice, p.data!.stopPriceType, p.data!.orderPrice]).sort(),
      [['open', 'sell', 2, 'down', '58800', 'MP', null], ['open', 'sell', 2, 'up', '61200', 'MP', null]]);
    assert.deepEqual(filled.filter((p) => p.subject === 'orderChange').map(label), ['orderChange:open', 'orderChange:match', 'orderChange:filled']);
    assert.ok(filled.findIndex((p) => p.subject === 'stopOrder') > filled.findIndex((p) => label(p) === 'orderChange:match'), 'armed by the fill');
    const tp = legs.find((p) => p.data!.stop === 'up')!.data!.orderId as string;
    const sl = legs.find((p) => p.data!.stop === 'down')!.data!.orderId as string;

    const listed = KucoinRest.data(await a.rest.get<{ items: Record<string, unknown>[] }>('/api/v1/stopOrders'));
    assert.deepEqual(listed.items.map((o) => [o.id, o.side, o.size, o.stop, o.stopPrice, o.reduceOnly, o.isActive]).sort(),
      [[tp, 'sell', 2, 'up', '61200', true, true], [sl, 'sell', 2, 'down', '58800', true, true]].sort());
    assert.notEqual(tp, orderId);

    KucoinRest.data(await order(maker, { clientOid: 'bid-5', side: 'buy', type: 'limit', price: '61100', size: 2 }));
    const fired = await pushesOf(s, () => mark('61200'));
    const stops = fired.filter((p) => p.subject === 'stopOrder');
    assert.deepEqual(stops.map((p) => [p.data!.orderId, p.data!.type, p.data!.triggerSuccess]), [[tp, 'triggered', true], [sl, 'cancel', undefined]]);
    assert.deepEqual(fired.filter((p) => p.subject === 'orderChange').map((p) => [p.data!.orderId, p.data!.type]), [[tp, 'open'], [tp, 'match'], [tp, 'filled']]);
    assert.ok(fired.indexOf(stops[0]!) < fired.findIndex((p) => p.subject === 'orderChange'), 'triggered before the placed order');
    assert.equal(position(a)!.qty, 0, 'the take-profit closed the position');
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    s.close();
    await mark('60000');
  });

  it('refusals in KuCoin\'s {code,msg}, nothing changed: bad stop parameters, reduceOnly with a TP/SL, trailing, a TP/SL on the wrong side', async () => {
    const a = await f.account('1000');
    const s = await connected(a);
    const before = { seq: f.exchange.engine.account(a.accountId)!.seq, view: f.view(a.accountId) };
    const cases: [string, Record<string, unknown>, number, string, RegExp][] = [
      ['/api/v1/orders', { stop: 'up', stopPrice: '61000' }, 400, '400100', /stopPriceType is required/],
      ['/api/v1/orders', { stop: 'sideways', stopPrice: '61000', stopPriceType: 'MP' }, 400, '400100', /stop must be one of up, down/],
      ['/api/v1/orders', { stopPrice: '61000' }, 400, '400100', /stopPrice is only for stop orders/],
      ['/api/v1/orders', { triggerStopUpPrice: '63000' }, 400, '400100', /st-orders/],
      ['/api/v1/orders', { trailingPercent: '1' }, 400, '400100', /no trailing stop/],
      ['/api/v1/st-orders', { reduceOnly: true, triggerStopDownPrice: '58000' }, 400, '400100', /reduceOnly only reduces it/],
      ['/api/v1/st-orders', { stop: 'up', stopPrice: '61000', stopPriceType: 'MP' }, 400, '400100', /stop: st-orders places an order/],
      // A buy's take-profit below its price would fire at once too.
      ['/api/v1/st-orders', { type: 'limit', price: '60000', triggerStopUpPrice: '59000' }, 200, '300000', /for a buy order, triggerStopUpPrice \(take profit\) must be above/],
    ];
    const pushes = await pushesOf(s, async () => {
      for (const [path, extra, status, code, message] of cases) {
        const r = await a.rest.post(path, { clientOid: 'bad', symbol: SYMBOL, side: 'buy', type: 'market', size: 1, leverage: 1, ...extra });
        assert.deepEqual([r.status, r.body.code, 'data' in r.body], [status, code, false], `${path} ${JSON.stringify(extra)}: ${r.text}`);
        assert.match(r.body.msg!, message);
      }
    });
    assert.deepEqual(pushes, []);
    assert.deepEqual({ seq: f.exchange.engine.account(a.accountId)!.seq, view: f.view(a.accountId) }, before);
    s.close();
  });

  it('a stop whose condition already holds fires at once, as on KuCoin: open, then triggered, the order under the same id, the position opened', async () => {
    const a = await f.account('1000');
    const maker = await f.account('100000');
    KucoinRest.data(await order(maker, { clientOid: 'ask-now', side: 'sell', type: 'limit', price: '60100', size: 1 }));
    const s = await connected(a);
    let orderId = '';
    // The mark is 60,000: "up" at 59,000 already holds.
    const pushes = await pushesOf(s, async () => {
      orderId = KucoinRest.data(await order(a, { clientOid: 'stop-now', side: 'buy', type: 'market', size: 1, stop: 'up', stopPrice: '59000', stopPriceType: 'MP' })).orderId;
    });
    const stopAndOrders = pushes.filter((p) => p.subject !== 'position.change');
    assert.deepEqual(stopAndOrders.map(label), ['stopOrder:open', 'stopOrder:triggered', 'orderChange:open', 'orderChange:match', 'orderChange:filled']);
    for (const p of stopAndOrders) assert.equal(p.data!.orderId, orderId);
    assert.equal(position(a)!.qty, 1);
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    s.close();
  });

  it('orders/multi: a stop order is an item like any other, each with its own code', async () => {
    const a = await f.account('1000');
    const r = KucoinRest.data(await a.rest.request<{ orderId: string | null; code: string }[]>('POST', 'futures', '/api/v1/orders/multi', {
      body: [
        { clientOid: 'm-1', symbol: SYMBOL, side: 'buy', type: 'market', size: 1, leverage: 1, stop: 'up', stopPrice: '62000', stopPriceType: 'TP' },
        { clientOid: 'm-2', symbol: SYMBOL, side: 'buy', type: 'market', size: 1, leverage: 1, stop: 'up', stopPrice: '62000' },
      ] as unknown as Record<string, unknown>,
    }));
    assert.deepEqual(r.map((x) => x.code), ['200000', '400100']);
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => [String(c.conditionalId), c.triggerSource, c.clientOrderId]), [[r[0]!.orderId, 'LAST', 'm-1']]);
  });
});
