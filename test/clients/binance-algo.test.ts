/**
 * Binance's algo (conditional) orders through its two published Node clients, unchanged and with
 * their defaults, on fresh Binance accounts: `binance` (tiagosiebler: USDMClient.submitNewAlgoOrder,
 * getAlgoOrder, getOpenAlgoOrders, getAllAlgoOrders, cancelAlgoOrder, cancelAllAlgoOpenOrders; its
 * WebsocketClient's formatted ALGO_UPDATE) and `@binance/derivatives-trading-usds-futures` (Binance's
 * official connector: newAlgoOrder, queryAlgoOrder, currentAllAlgoOpenOrders, queryAllAlgoOrders,
 * cancelAlgoOrder, cancelAllAlgoOpenOrders; its userData stream). In each, a stop waits, the price
 * crosses, the position closes and the stream carried the algo order's life and the placed order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { USDMClient, WebsocketClient } from 'binance';
import { DerivativesTradingUsdsFutures } from '@binance/derivatives-trading-usds-futures';
import { ALGO_ID_BASE } from '../../src/dialects/binance/algo.js';
import { BinanceRest } from '../binance/client.js';
import { ClientsFixture, EventLog, within, type Created, unrefLongIntervals } from './support.js';

type Json = Record<string, unknown>;
type Connection = Awaited<ReturnType<DerivativesTradingUsdsFutures['websocketStreams']['connect']>>;
const SYMBOL = 'BTCUSDT';
/** The id of the order an algo order places (the engine's id; the algo id is ALGO_ID_BASE above it). */
const placedId = (algoId: number | bigint | undefined): number => Number(algoId) - ALGO_ID_BASE;

unrefLongIntervals();

/** Two accounts that make the market: `maker` rests, `taker` takes (the last price moves). */
async function market(f: ClientsFixture): Promise<{ maker: BinanceRest; taker: BinanceRest }> {
  const [m, t] = [await f.account('binance', '1000000'), await f.account('binance', '1000000')];
  return { maker: new BinanceRest(f.url, m.apiKey, m.secret), taker: new BinanceRest(f.url, t.apiKey, t.secret) };
}

const limit = (side: 'BUY' | 'SELL', quantity: string, price: string) => ({ symbol: SYMBOL, side, type: 'LIMIT', timeInForce: 'GTC', quantity, price });

describe('binance (npm, tiagosiebler): algo orders', () => {
  let f: ClientsFixture;
  let user: Created;
  let rest: USDMClient;
  let ws: WebsocketClient;
  const events = new EventLog<Json>();
  const formatted = new EventLog<Json>();
  const exceptions: unknown[] = [];

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('binance', '10000');
    const baseUrl = `${f.url}/binance`;
    rest = new USDMClient({ api_key: user.apiKey, api_secret: user.secret, baseUrl });
    const logger = { trace: () => undefined, info: () => undefined, error: (...args: unknown[]) => exceptions.push(args) };
    ws = new WebsocketClient({ api_key: user.apiKey, api_secret: user.secret, beautify: true, wsUrl: `${f.wsUrl}/binance`, restOptions: { baseUrl } }, logger);
    ws.on('message', (e) => events.push(e as unknown as Json));
    ws.on('formattedUserDataMessage', (e) => formatted.push(e as unknown as Json));
    ws.on('exception', (e) => exceptions.push(e));
  });
  after(async () => {
    ws.unsubscribeUsdFuturesUserDataStream();
    ws.closeAll(false);
    await f.stop();
  });

  it('submitNewAlgoOrder STOP_MARKET, the queries, the fall fires it; cancelAlgoOrder and cancelAllAlgoOpenOrders', async () => {
    const { maker, taker } = await market(f);
    const connected = await within(ws.subscribeUsdFuturesUserDataStream(), 'subscribeUsdFuturesUserDataStream');
    assert.ok(connected !== undefined, `the stream did not connect: ${JSON.stringify(exceptions)}`);
    await maker.ok('POST', '/fapi/v1/order', limit('SELL', '0.002', '60000'));
    await within(rest.submitNewOrder({ symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: 0.002 }), 'open the long');

    const stop = await within(rest.submitNewAlgoOrder({
      algoType: 'CONDITIONAL', symbol: SYMBOL, side: 'SELL', type: 'STOP_MARKET', quantity: '0.002', triggerPrice: '59500', reduceOnly: 'true',
    }), 'submitNewAlgoOrder');
    const [waiting] = f.view(user.accountId).conditionals;
    assert.deepEqual([stop.algoId, stop.clientAlgoId, stop.orderType, stop.algoStatus, stop.triggerPrice, stop.quantity],
      [waiting!.conditionalId + ALGO_ID_BASE, waiting!.clientOrderId, 'STOP_MARKET', 'NEW', '59500', '0.0020']);
    const isAlgo = (status: string) => (e: Json): boolean => e.eventType === 'ALGO_UPDATE' && (e.algoOrder as Json).algoId === stop.algoId && (e.algoOrder as Json).algoStatus === status;
    await formatted.find(isAlgo('NEW'), 'formatted ALGO_UPDATE NEW');
    assert.deepEqual((await within(rest.getOpenAlgoOrders({ symbol: SYMBOL }), 'getOpenAlgoOrders')).map((o) => o.algoId), [stop.algoId]);
    assert.equal((await within(rest.getAlgoOrder({ clientAlgoId: stop.clientAlgoId }), 'getAlgoOrder')).algoStatus, 'NEW');

    await maker.ok('POST', '/fapi/v1/order', limit('BUY', '0.002', '59400'));
    await maker.ok('POST', '/fapi/v1/order', limit('BUY', '0.001', '59500'));
    await taker.ok('POST', '/fapi/v1/order', { symbol: SYMBOL, side: 'SELL', type: 'MARKET', quantity: '0.001' });
    const finished = await formatted.find(isAlgo('FINISHED'), 'formatted ALGO_UPDATE FINISHED');
    const algoOrder = finished.algoOrder as Json;
    assert.deepEqual([algoOrder.orderId, algoOrder.clientAlgoId, algoOrder.triggerPrice, algoOrder.reduceOnly], [String(placedId(stop.algoId)), stop.clientAlgoId, 59500, true]);
    // `ap`, `aq`, `act` (the placed order's fill) are not in the library's beautifier map: read raw.
    const raw = (await events.find((e) => e.e === 'ALGO_UPDATE' && (e.o as Json).aid === stop.algoId && (e.o as Json).X === 'FINISHED', 'raw FINISHED')).o as Json;
    assert.deepEqual([raw.ap, raw.aq, raw.act], ['59400.00000', '0.0020', 'MARKET']);
    const fill = await events.find((e) => e.e === 'ORDER_TRADE_UPDATE' && (e.o as Json).i === placedId(stop.algoId) && (e.o as Json).X === 'FILLED', 'the placed order filled');
    assert.deepEqual([(fill.o as Json).ot, (fill.o as Json).c, (fill.o as Json).L], ['STOP_MARKET', stop.clientAlgoId, '59400']);
    assert.equal(f.position(user.accountId).qty, 0);
    const all = await within(rest.getAllAlgoOrders({ symbol: SYMBOL }), 'getAllAlgoOrders');
    assert.deepEqual(all.map((o) => [o.algoId, o.algoStatus, o.actualOrderId]), [[stop.algoId, 'FINISHED', String(placedId(stop.algoId))]]);

    // Two more waiting ones: one cancelled by id, the rest all at once.
    const one = await within(rest.submitNewAlgoOrder({ algoType: 'CONDITIONAL', symbol: SYMBOL, side: 'BUY', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '61000' }), 'one');
    const two = await within(rest.submitNewAlgoOrder({ algoType: 'CONDITIONAL', symbol: SYMBOL, side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.001', triggerPrice: '59000', price: '59000' }), 'two');
    const canceled = await within(rest.cancelAlgoOrder({ algoId: one.algoId }), 'cancelAlgoOrder');
    assert.deepEqual(canceled, { algoId: one.algoId, clientAlgoId: one.clientAlgoId, code: '200', msg: 'success' });
    assert.deepEqual(await within(rest.cancelAllAlgoOpenOrders({ symbol: SYMBOL }), 'cancelAllAlgoOpenOrders'), { code: 200, msg: 'The operation of cancel all open order is done.' });
    await formatted.find((e) => e.eventType === 'ALGO_UPDATE' && (e.algoOrder as Json).algoId === two.algoId && (e.algoOrder as Json).algoStatus === 'CANCELED', 'two CANCELED');
    assert.deepEqual(f.view(user.accountId).conditionals, []);
    const refused = await rest.cancelAlgoOrder({ algoId: one.algoId }).then(() => null, (error: unknown) => error as Json);
    assert.deepEqual([refused?.code, refused?.message], [-2011, 'Unknown order sent.']);
    assert.deepEqual(exceptions, []);
  });
});

describe('@binance/derivatives-trading-usds-futures (Binance\'s official connector): algo orders', () => {
  let f: ClientsFixture;
  let user: Created;
  let client: DerivativesTradingUsdsFutures;
  let connection: Connection | undefined;
  const events = new EventLog<Json>();
  const raw = new EventLog<Json>();

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('binance', '10000');
    client = new DerivativesTradingUsdsFutures({
      configurationRestAPI: { apiKey: user.apiKey, apiSecret: user.secret, basePath: `${f.url}/binance` },
      configurationWebsocketStreams: { wsURL: `${f.wsUrl}/binance` },
    });
  });
  after(async () => {
    await connection?.disconnect();
    await f.stop();
  });

  it('newAlgoOrder TAKE_PROFIT_MARKET on the mark price, queryAlgoOrder, currentAllAlgoOpenOrders; the mark rise fires it; queryAllAlgoOrders', async () => {
    const { maker } = await market(f);
    const rest = client.restAPI;
    const { listenKey } = await within((await rest.startUserDataStream()).data(), 'startUserDataStream');
    const opened = await within(client.websocketStreams.connect(), 'websocketStreams.connect');
    connection = opened;
    opened.on('message', (data: string) => raw.push(JSON.parse(data) as Json));
    opened.userData(listenKey!).on('message', (data) => events.push(data as unknown as Json));
    await raw.find((m) => 'result' in m && m.result === null && 'id' in m, 'the SUBSCRIBE answer');

    await maker.ok('POST', '/fapi/v1/order', limit('SELL', '0.001', '60000'));
    await within((await rest.newOrder({ symbol: SYMBOL, side: 'BUY' as never, type: 'MARKET' as never, quantity: 0.001 })).data(), 'open the long');
    const tp = await within((await rest.newAlgoOrder({
      algoType: 'CONDITIONAL' as never, symbol: SYMBOL, side: 'SELL' as never, type: 'TAKE_PROFIT_MARKET' as never, quantity: 0.001, triggerPrice: 60500,
      workingType: 'MARK_PRICE' as never, reduceOnly: 'true' as never, clientAlgoId: 'official-tp',
    })).data(), 'newAlgoOrder');
    const algoId = Number(tp.algoId);
    assert.deepEqual([tp.clientAlgoId, tp.orderType, tp.workingType, tp.algoStatus, tp.reduceOnly], ['official-tp', 'TAKE_PROFIT_MARKET', 'MARK_PRICE', 'NEW', true]);
    const queried = await within((await rest.queryAlgoOrder({ algoId })).data(), 'queryAlgoOrder');
    assert.deepEqual([Number(queried.algoId), queried.algoStatus, queried.actualOrderId, queried.triggerPrice], [algoId, 'NEW', '', '60500']);
    const open = await within((await rest.currentAllAlgoOpenOrders({ symbol: SYMBOL })).data(), 'currentAllAlgoOpenOrders');
    assert.deepEqual(open.map((o) => Number(o.algoId)), [algoId]);
    const algoEvent = (status: string) => (e: Json): boolean => e.e === 'ALGO_UPDATE' && Number((e.o as Json).aid) === algoId && (e.o as Json).X === status;
    await events.find(algoEvent('NEW'), 'ALGO_UPDATE NEW');

    await maker.ok('POST', '/fapi/v1/order', limit('BUY', '0.001', '60400'));
    await f.h.admin.markPrice('btc_usdt', '60500');
    await events.find(algoEvent('FINISHED'), 'ALGO_UPDATE FINISHED');
    const statuses = events.items.filter((e) => e.e === 'ALGO_UPDATE').map((e) => (e.o as Json).X);
    assert.deepEqual(statuses, ['NEW', 'TRIGGERING', 'TRIGGERED', 'FINISHED']);
    const placed = await events.find((e) => e.e === 'ORDER_TRADE_UPDATE' && Number((e.o as Json).i) === placedId(algoId) && (e.o as Json).X === 'FILLED', 'the placed order filled');
    assert.deepEqual([(placed.o as Json).ot, (placed.o as Json).wt, (placed.o as Json).sp], ['TAKE_PROFIT_MARKET', 'MARK_PRICE', '60500']);
    assert.equal(f.position(user.accountId).qty, 0);
    const all = await within((await rest.queryAllAlgoOrders({ symbol: SYMBOL })).data(), 'queryAllAlgoOrders');
    assert.deepEqual(all.map((o) => [Number(o.algoId), o.algoStatus]), [[algoId, 'FINISHED']]);

    // A waiting one, cancelled by clientAlgoId; then cancel-all on an empty book answers as Binance does.
    await within((await rest.newAlgoOrder({ algoType: 'CONDITIONAL' as never, symbol: SYMBOL, side: 'BUY' as never, type: 'STOP_MARKET' as never, quantity: 0.001, triggerPrice: 62000, clientAlgoId: 'official-2' })).data(), 'second');
    const canceled = await within((await rest.cancelAlgoOrder({ clientAlgoId: 'official-2' })).data(), 'cancelAlgoOrder');
    assert.deepEqual([canceled.clientAlgoId, canceled.code, canceled.msg], ['official-2', '200', 'success']);
    const cleared = await within((await rest.cancelAllAlgoOpenOrders({ symbol: SYMBOL })).data(), 'cancelAllAlgoOpenOrders');
    assert.deepEqual([Number(cleared.code), cleared.msg], [200, 'The operation of cancel all open order is done.']);
    await events.find((e) => e.e === 'ALGO_UPDATE' && (e.o as Json).caid === 'official-2' && (e.o as Json).X === 'CANCELED', 'ALGO_UPDATE CANCELED');
    await f.h.admin.markPrice('btc_usdt', '60000');
  });

  it('the WebSocket API: newAlgoOrder (algoOrder.place, signed) and cancelAlgoOrder (algoOrder.cancel) answer as REST does', async () => {
    const ws = new DerivativesTradingUsdsFutures({
      configurationWebsocketAPI: { apiKey: user.apiKey, apiSecret: user.secret, wsURL: `${f.wsUrl}/binance/ws-fapi/v1` },
    });
    const api = await within(ws.websocketAPI.connect(), 'websocketAPI.connect');
    try {
      const placed = await within(api.newAlgoOrder({
        algoType: 'CONDITIONAL' as never, symbol: SYMBOL, side: 'BUY' as never, type: 'STOP' as never, quantity: 0.001, price: 62000, triggerPrice: 61500,
        timeInForce: 'GTC' as never, clientAlgoId: 'ws-stop',
      }), 'websocketAPI newAlgoOrder');
      const algo = placed.data;
      assert.deepEqual([algo.clientAlgoId, algo.orderType, algo.algoStatus, algo.triggerPrice, algo.price, algo.timeInForce], ['ws-stop', 'STOP', 'NEW', '61500', '62000', 'GTC']);
      const [waiting] = f.view(user.accountId).conditionals;
      assert.deepEqual([Number(algo.algoId), waiting!.triggerDirection, waiting!.orderType, waiting!.price], [waiting!.conditionalId + ALGO_ID_BASE, 'RISE', 'LIMIT', 620_000]);
      const canceled = await within(api.cancelAlgoOrder({ algoId: Number(algo.algoId) }), 'websocketAPI cancelAlgoOrder');
      assert.deepEqual([Number(canceled.data.algoId), canceled.data.clientAlgoId, canceled.data.code, canceled.data.msg], [Number(algo.algoId), 'ws-stop', '200', 'success']);
      assert.deepEqual(f.view(user.accountId).conditionals, []);
      // A second cancel: the connector rejects with Binance's error object.
      const again = await api.cancelAlgoOrder({ algoId: Number(algo.algoId) }).then(() => null, (error: unknown) => error as Json);
      assert.deepEqual([again?.code, again?.msg], [-2011, 'Unknown order sent.'], JSON.stringify(again));
    } finally {
      await api.disconnect();
    }
  });
});
