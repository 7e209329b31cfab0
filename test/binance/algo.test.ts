/**
 * Binance's algo (conditional) orders over real HTTP and the real user-data stream: POST / GET /
 * DELETE /fapi/v1/algoOrder, algoOpenOrders, openAlgoOrders, allAlgoOrders; -4120 on /fapi/v1/order
 * and batchOrders; ALGO_UPDATE through NEW, CANCELED, TRIGGERING, TRIGGERED, FINISHED, REJECTED and
 * EXPIRED; CONDITIONAL_ORDER_TRIGGER_REJECT; the placed order's ORDER_TRADE_UPDATE (`ot`, `sp`, `wt`,
 * `cp`, `AP`, `cr`). Every refusal is checked to have changed nothing: no algo order, no push.
 * Demo BTC_USDT: tick 0.1, quantity step 0.0001 BTC, mark 60000.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { ALGO_ID_BASE } from '../../src/dialects/binance/algo.js';
import { BinanceStream, type Json } from './client.js';
import { BinanceFixture, type BinanceAccount } from './support.js';

const BTC = 'BTCUSDT';
/** The engine id behind an algo id: the id of the order the algo order places. */
const orderIdOf = (algoId: unknown): number => (algoId as number) - ALGO_ID_BASE;

describe('Binance algo orders', () => {
  let f: BinanceFixture;
  let maker: BinanceAccount;
  let taker: BinanceAccount;
  const accounts: BinanceAccount[] = [];

  const error = async (account: BinanceAccount, method: string, path: string, params: Record<string, string | number | boolean> = {}) => {
    const reply = await account.rest.signed<{ code: number; msg: string }>(method, path, params);
    return [reply.status, reply.body.code, reply.body.msg] as const;
  };

  /** A one-way account with `usdt` and its open stream. */
  const trader = async (usdt = '10000'): Promise<{ a: BinanceAccount; s: BinanceStream }> => {
    const a = await f.account(usdt);
    await a.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' });
    accounts.push(a);
    return { a, s: await f.stream(a) };
  };

  /** `maker` rests `qty` at `price`, `taker` takes it: the last price becomes `price`. */
  const tradeAt = async (price: string, qty = '0.001', makerSide: 'BUY' | 'SELL' = 'BUY'): Promise<void> => {
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: makerSide, type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price });
    await taker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: makerSide === 'BUY' ? 'SELL' : 'BUY', type: 'MARKET', quantity: qty });
  };

  /** `a` opens a long of `qty` at 60000 against the maker. */
  const openLong = async (a: BinanceAccount, qty: string): Promise<void> => {
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price: '60000' });
    await a.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: qty });
  };

  const algo = (account: BinanceAccount, params: Record<string, string | number | boolean>) =>
    account.rest.ok<Json>('POST', '/fapi/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: BTC, ...params });

  const algoUpdates = (s: BinanceStream): Json[] => s.of('ALGO_UPDATE').map((e) => e.o as Json);

  before(async () => {
    f = await BinanceFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    maker = await f.account('1000000');
    taker = await f.account('1000000');
    for (const x of [maker, taker]) await x.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' });
    await tradeAt('60000');
  });
  afterEach(async () => {
    for (const x of [maker, taker, ...accounts]) {
      await x.rest.ok('DELETE', '/fapi/v1/allOpenOrders', { symbol: BTC });
      await x.rest.ok('DELETE', '/fapi/v1/algoOpenOrders', { symbol: BTC });
    }
    await f.admin.markPrice('btc_usdt', '60000');
  });
  after(async () => { await f.stop(); });

  it('exchangeInfo lists the conditional order types', async () => {
    const info = (await maker.rest.send<{ symbols: Json[] }>('GET', '/fapi/v1/exchangeInfo', undefined, undefined)).body;
    assert.deepEqual(info.symbols.find((s) => s.symbol === BTC)!.orderTypes,
      ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET']);
  });

  it('/fapi/v1/order and batchOrders refuse every conditional type with -4120, placing nothing', async () => {
    const { a, s } = await trader();
    const msg = 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.';
    for (const type of ['STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET']) {
      assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type, quantity: '0.001', stopPrice: '59000', price: '59000' }), [400, -4120, msg]);
    }
    const batch = await a.rest.ok<Json[]>('POST', '/fapi/v1/batchOrders', {
      batchOrders: JSON.stringify([{ symbol: BTC, side: 'SELL', type: 'STOP_MARKET', quantity: '0.001', stopPrice: '59000' }]),
    });
    assert.deepEqual(batch, [{ code: -4120, msg }]);
    assert.deepEqual([f.view(a.accountId).orders, f.view(a.accountId).conditionals, s.events], [[], [], []]);
  });

  it('STOP_MARKET SELL: the answer, ALGO_UPDATE NEW, the queries; a fall to the trigger sells and ALGO_UPDATE runs TRIGGERING → TRIGGERED → FINISHED', async () => {
    const { a, s } = await trader();
    await openLong(a, '0.002');
    const placed = await algo(a, { side: 'SELL', type: 'STOP_MARKET', quantity: '0.002', triggerPrice: '59500', reduceOnly: 'true', clientAlgoId: 'stop-1', newOrderRespType: 'RESULT' });
    const id = placed.algoId as number;
    const orderId = orderIdOf(id);
    assert.equal(f.view(a.accountId).conditionals[0]!.conditionalId, orderId, 'algo ids are ALGO_ID_BASE + the engine id');
    assert.deepEqual(placed, {
      algoId: id, clientAlgoId: 'stop-1', algoType: 'CONDITIONAL', orderType: 'STOP_MARKET', symbol: BTC, side: 'SELL', positionSide: 'BOTH',
      timeInForce: 'GTC', quantity: '0.0020', algoStatus: 'NEW', triggerPrice: '59500', price: '0', icebergQuantity: null,
      selfTradePreventionMode: 'EXPIRE_TAKER', workingType: 'CONTRACT_PRICE', priceMatch: 'NONE', closePosition: false, priceProtect: false,
      reduceOnly: true, activatePrice: '', callbackRate: '', createTime: placed.createTime, updateTime: placed.updateTime, triggerTime: 0, goodTillDate: 0,
    });
    await s.until(() => s.of('ALGO_UPDATE').length === 1, 5_000, 'ALGO_UPDATE NEW');
    assert.deepEqual(s.of('ALGO_UPDATE')[0], {
      e: 'ALGO_UPDATE', T: placed.createTime, E: placed.createTime, o: {
        caid: 'stop-1', aid: id, at: 'CONDITIONAL', o: 'STOP_MARKET', s: BTC, S: 'SELL', ps: 'BOTH', f: 'GTC', q: '0.0020', X: 'NEW', ai: '',
        tp: '59500', p: '0', V: 'EXPIRE_TAKER', wt: 'CONTRACT_PRICE', pm: 'NONE', cp: false, pP: false, R: true, tt: 0, gtd: 0,
      },
      // perpstream's resume position: the account's last event of the command (the placement).
      seq: f.exchange.engine.account(a.accountId)!.seq,
    });
    // Queries before the trigger: by algoId, by clientAlgoId, in the open list; no matching-engine order yet.
    const queried = await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: id });
    assert.deepEqual(Object.keys(queried), ['algoId', 'clientAlgoId', 'algoType', 'orderType', 'symbol', 'side', 'positionSide', 'timeInForce', 'quantity',
      'algoStatus', 'actualOrderId', 'actualPrice', 'triggerPrice', 'price', 'icebergQuantity', 'tpTriggerPrice', 'tpPrice', 'slTriggerPrice', 'slPrice',
      'tpOrderType', 'selfTradePreventionMode', 'workingType', 'priceMatch', 'closePosition', 'priceProtect', 'reduceOnly', 'createTime', 'updateTime',
      'triggerTime', 'goodTillDate']);
    assert.deepEqual([queried.algoStatus, queried.actualOrderId, queried.actualPrice, queried.triggerPrice, queried.tpTriggerPrice], ['NEW', '', '0.00000', '59500', '0']);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/algoOrder', { clientAlgoId: 'stop-1' }), queried);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/openAlgoOrders', { symbol: BTC }), [queried]);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/openAlgoOrders'), [queried]);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/openOrders', { symbol: BTC }), []);
    assert.deepEqual((await error(a, 'GET', '/fapi/v1/order', { symbol: BTC, orderId })).slice(0, 2), [400, -2013]);

    // A trade at 59500 fires it; the stop sells into the 59400 bid.
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.002', price: '59400' });
    const before = s.events.length;
    await tradeAt('59500');
    await s.until(() => algoUpdates(s).some((o) => o.X === 'FINISHED'), 5_000, 'FINISHED');
    const after = s.events.slice(before);
    assert.deepEqual(after.map((e) => e.e === 'ALGO_UPDATE' ? `ALGO_UPDATE ${(e.o as Json).X}` : e.e === 'ORDER_TRADE_UPDATE' ? `ORDER_TRADE_UPDATE ${(e.o as Json).x}` : e.e),
      ['ALGO_UPDATE TRIGGERING', 'ALGO_UPDATE TRIGGERED', 'ORDER_TRADE_UPDATE NEW', 'TRADE_LITE', 'ORDER_TRADE_UPDATE TRADE', 'ACCOUNT_UPDATE', 'ALGO_UPDATE FINISHED']);
    const [triggering, triggered] = [after[0]!.o as Json, after[1]!.o as Json];
    assert.deepEqual([triggering.ai, 'act' in triggering, triggering.tt === 0], ['', false, false]);
    assert.deepEqual([triggered.ai, triggered.ap, triggered.aq, triggered.act], [String(orderId), '0', '0', 'MARKET']);
    const newOrder = after[2]!.o as Json;
    assert.deepEqual([newOrder.i, newOrder.c, newOrder.o, newOrder.ot, newOrder.sp, newOrder.wt, newOrder.cp, newOrder.R, newOrder.S, 'AP' in newOrder],
      [orderId, 'stop-1', 'MARKET', 'STOP_MARKET', '59500', 'CONTRACT_PRICE', false, true, 'SELL', false]);
    const fill = after[4]!.o as Json;
    assert.deepEqual([fill.X, fill.L, fill.z, fill.ot], ['FILLED', '59400', '0.0020', 'STOP_MARKET']);
    const finished = after[6]!.o as Json;
    assert.deepEqual([finished.X, finished.aid, finished.ai, finished.ap, finished.aq, finished.act], ['FINISHED', id, String(orderId), '59400.00000', '0.0020', 'MARKET']);
    // The position is closed; the algo order is finished and points at the order it placed.
    assert.equal(f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH')!.qty, 0);
    const done = await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: id });
    assert.deepEqual([done.algoStatus, done.actualOrderId, done.actualPrice, done.actualType, done.actualQty, done.triggerTime === 0],
      ['FINISHED', String(orderId), '59400.00000', 'MARKET', '0.0020', false]);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/openAlgoOrders', { symbol: BTC }), []);
    const order = await a.rest.ok<Json>('GET', '/fapi/v1/order', { symbol: BTC, orderId });
    assert.deepEqual([order.type, order.origType, order.stopPrice, order.workingType, order.status, order.clientOrderId], ['MARKET', 'STOP_MARKET', '59500', 'CONTRACT_PRICE', 'FILLED', 'stop-1']);
    await tradeAt('60000');
  });

  it('-2021: a stop whose condition already holds is refused; nothing is created', async () => {
    const { a, s } = await trader();
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: BTC, side: 'SELL', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '60100' }),
      [400, -2021, 'Order would immediately trigger.']);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: BTC, side: 'BUY', type: 'TAKE_PROFIT_MARKET', quantity: '0.001', triggerPrice: '60100' }),
      [400, -2021, 'Order would immediately trigger.']);
    assert.deepEqual([f.view(a.accountId).conditionals, s.events], [[], []]);
  });

  it('parameter errors in Binance\'s words; every refusal changes nothing', async () => {
    const { a, s } = await trader();
    const base = { algoType: 'CONDITIONAL', symbol: BTC, side: 'SELL', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '59000' };
    const { algoType: _t, ...noAlgoType } = base;
    const { triggerPrice: _p, ...noTrigger } = base;
    const { quantity: _q, ...noQuantity } = base;
    const cases: [Record<string, string>, number][] = [
      [noAlgoType, -1102],
      [{ ...base, algoType: 'VP' }, -1130],
      [{ ...base, type: 'LIMIT' }, -1116],
      [{ ...base, side: 'HOLD' }, -1117],
      [{ ...base, symbol: 'DOGEUSDT' }, -1121],
      [noTrigger, -1102],
      [noQuantity, -1102],
      [{ ...base, triggerPrice: '0' }, -4006],
      [{ ...base, triggerPrice: '59000.05' }, -4014],
      [{ ...base, price: '59000' }, -1106],
      [{ ...base, workingType: 'INDEX_PRICE' }, -4031],
      [{ ...base, priceProtect: 'TRUE' }, -1130],
      [{ ...base, priceMatch: 'OPPONENT' }, -1130],
      [{ ...base, goodTillDate: '1900000000000' }, -1130],
      [{ ...base, timeInForce: 'IOC' }, -1115],
      [{ ...base, closePosition: 'true' }, -4137],
      [{ ...noQuantity, closePosition: 'true', reduceOnly: 'true' }, -1106],
      [{ ...base, type: 'STOP', price: '59000', closePosition: 'true' }, -4136],
      [{ ...base, type: 'STOP' }, -1102],
      [{ ...base, type: 'STOP', price: '59000', timeInForce: 'GTD' }, -1130],
      [{ ...base, callbackRate: '1' }, -1106],
      [{ ...noTrigger, type: 'TRAILING_STOP_MARKET' }, -1102],
      [{ ...noTrigger, type: 'TRAILING_STOP_MARKET', callbackRate: '20' }, -1130],
      [{ ...noTrigger, type: 'TRAILING_STOP_MARKET', callbackRate: '0.05' }, -1130],
      [{ ...base, type: 'TRAILING_STOP_MARKET', callbackRate: '1' }, -1106],
      // ccxt 4.5.84's name for the activation price: the algo service does not read it.
      [{ ...noTrigger, type: 'TRAILING_STOP_MARKET', callbackRate: '1', activationPrice: '61000' }, -1104],
      [{ ...base, stopPrice: '59000' }, -1104],
      [{ ...base, newOrderRespType: 'FULL' }, -1136],
      [{ ...base, positionSide: 'LONG' }, -4061],
      [{ ...base, clientAlgoId: 'bad id!' }, -1100],
    ];
    for (const [params, code] of cases) {
      const [status, got, msg] = await error(a, 'POST', '/fapi/v1/algoOrder', params);
      assert.deepEqual([status, got], [400, code], `${JSON.stringify(params)} → ${msg}`);
    }
    assert.deepEqual([f.view(a.accountId).conditionals, s.events], [[], []]);
    // Queries and cancels: -1102 without an id, -2013 / -2011 for an unknown one, -1104 for a stray parameter.
    assert.deepEqual((await error(a, 'GET', '/fapi/v1/algoOrder')).slice(0, 2), [400, -1102]);
    assert.deepEqual((await error(a, 'GET', '/fapi/v1/algoOrder', { algoId: 999_999 })).slice(0, 2), [400, -2013]);
    assert.deepEqual((await error(a, 'DELETE', '/fapi/v1/algoOrder', { algoId: 999_999 })), [400, -2011, 'Unknown order sent.']);
    assert.deepEqual((await error(a, 'GET', '/fapi/v1/openAlgoOrders', { orderId: 1 })).slice(0, 2), [400, -1104]);
    assert.deepEqual((await error(a, 'DELETE', '/fapi/v1/algoOpenOrders')).slice(0, 2), [400, -1102]);
    assert.deepEqual((await error(a, 'GET', '/fapi/v1/allAlgoOrders', { symbol: BTC, startTime: 0, endTime: 8 * 86_400_000 })).slice(0, 2), [400, -4165]);
    // A duplicate clientAlgoId among waiting algo orders: -4116, the first one untouched.
    await algo(a, { side: 'SELL', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '59000', clientAlgoId: 'dup' });
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', { ...base, clientAlgoId: 'dup' })).slice(0, 2), [400, -4116]);
    assert.equal(f.view(a.accountId).conditionals.length, 1);
  });

  it('cancel one (CANCELED), then all (algoOpenOrders); allAlgoOrders keeps the ended ones', async () => {
    const { a, s } = await trader();
    const one = await algo(a, { side: 'BUY', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '61000' });
    const two = await algo(a, { side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.001', triggerPrice: '59000', price: '59000', timeInForce: 'GTX' });
    const three = await algo(a, { side: 'SELL', type: 'STOP', quantity: '0.001', triggerPrice: '59000', price: '58900', workingType: 'MARK_PRICE' });
    assert.deepEqual([two.orderType, two.timeInForce, two.price, three.workingType, three.timeInForce], ['TAKE_PROFIT', 'GTX', '59000', 'MARK_PRICE', 'GTC']);
    const canceled = await a.rest.ok<Json>('DELETE', '/fapi/v1/algoOrder', { symbol: BTC, algoId: one.algoId as number });
    assert.deepEqual(canceled, { algoId: one.algoId, clientAlgoId: `perpstream-${orderIdOf(one.algoId)}`, code: '200', msg: 'success' });
    assert.deepEqual((await error(a, 'DELETE', '/fapi/v1/algoOrder', { algoId: one.algoId as number })).slice(0, 2), [400, -2011]);
    assert.deepEqual(await a.rest.ok('DELETE', '/fapi/v1/algoOpenOrders', { symbol: BTC }), { code: 200, msg: 'The operation of cancel all open order is done.' });
    await s.until(() => algoUpdates(s).filter((o) => o.X === 'CANCELED').length === 3, 5_000, 'three CANCELED');
    assert.deepEqual(algoUpdates(s).map((o) => [o.aid, o.X]),
      [[one.algoId, 'NEW'], [two.algoId, 'NEW'], [three.algoId, 'NEW'], [one.algoId, 'CANCELED'], [two.algoId, 'CANCELED'], [three.algoId, 'CANCELED']]);
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    const all = await a.rest.ok<Json[]>('GET', '/fapi/v1/allAlgoOrders', { symbol: BTC });
    assert.deepEqual(all.map((o) => [o.algoId, o.algoStatus]), [[one.algoId, 'CANCELED'], [two.algoId, 'CANCELED'], [three.algoId, 'CANCELED']]);
    const fromTwo = await a.rest.ok<Json[]>('GET', '/fapi/v1/allAlgoOrders', { symbol: BTC, algoId: two.algoId as number, limit: 1 });
    assert.deepEqual(fromTwo.map((o) => o.algoId), [two.algoId]);
    assert.equal((await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: one.algoId as number })).algoStatus, 'CANCELED');
  });

  it('TAKE_PROFIT on the mark: the placed limit order rests (TRIGGERED); cancelling it FINISHES the algo order in a later command', async () => {
    const { a, s } = await trader();
    const tp = await algo(a, { side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.001', triggerPrice: '60500', price: '60800', workingType: 'MARK_PRICE', clientAlgoId: 'tp-mark' });
    await f.admin.markPrice('btc_usdt', '60500');
    await s.until(() => s.of('ORDER_TRADE_UPDATE').length === 1, 5_000, 'the placed order');
    const placed = s.of('ORDER_TRADE_UPDATE')[0]!.o as Json;
    assert.deepEqual([placed.i, placed.c, placed.o, placed.ot, placed.sp, placed.wt, placed.p, placed.f, placed.X],
      [orderIdOf(tp.algoId), 'tp-mark', 'LIMIT', 'TAKE_PROFIT', '60500', 'MARK_PRICE', '60800', 'GTC', 'NEW']);
    assert.equal((await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: tp.algoId as number })).algoStatus, 'TRIGGERED');
    await a.rest.ok('DELETE', '/fapi/v1/order', { symbol: BTC, orderId: orderIdOf(tp.algoId) });
    await s.until(() => algoUpdates(s).some((o) => o.X === 'FINISHED'), 5_000, 'FINISHED');
    assert.deepEqual(algoUpdates(s).map((o) => o.X), ['NEW', 'TRIGGERING', 'TRIGGERED', 'FINISHED']);
    const finished = algoUpdates(s).at(-1)!;
    assert.deepEqual([finished.caid, finished.o, finished.tp, finished.wt, finished.ai, finished.aq, finished.act], ['tp-mark', 'TAKE_PROFIT', '60500', 'MARK_PRICE', String(orderIdOf(tp.algoId)), '0', 'LIMIT']);
    assert.equal((await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: tp.algoId as number })).algoStatus, 'FINISHED');
  });

  it('closePosition STOP_MARKET: GTE_GTC, quantity 0, R true; EXPIRED when the position closes', async () => {
    const { a, s } = await trader();
    await openLong(a, '0.001');
    const stop = await algo(a, { side: 'SELL', type: 'STOP_MARKET', triggerPrice: '59000', closePosition: 'true' });
    assert.deepEqual([stop.timeInForce, stop.quantity, stop.closePosition, stop.reduceOnly], ['GTE_GTC', '0', true, true]);
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60000' });
    await a.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'MARKET', quantity: '0.001' });
    await s.until(() => algoUpdates(s).some((o) => o.X === 'EXPIRED'), 5_000, 'EXPIRED');
    const expired = algoUpdates(s).at(-1)!;
    assert.deepEqual([expired.aid, expired.X, expired.f, expired.q, expired.cp, expired.R], [stop.algoId, 'EXPIRED', 'GTE_GTC', '0', true, true]);
    assert.equal((await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: stop.algoId as number })).algoStatus, 'EXPIRED');
  });

  it('close-all needs a position it closes (-4509) and is one per direction (-4130); a trailing activatePrice the market passed is -2021', async () => {
    const { a, s } = await trader();
    const closeAll = { algoType: 'CONDITIONAL', symbol: BTC, side: 'SELL', type: 'STOP_MARKET', triggerPrice: '59000', closePosition: 'true' };
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/algoOrder', closeAll),
      [400, -4509, 'Time in Force (TIF) GTE can only be used with open positions. Please ensure that positions are available.']);
    await openLong(a, '0.001');
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', { ...closeAll, side: 'BUY', triggerPrice: '61000' })).slice(0, 2), [400, -4509], 'a BUY closes a short, and there is none');
    await algo(a, { side: 'SELL', type: 'STOP_MARKET', triggerPrice: '59000', closePosition: 'true' });
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/algoOrder', { ...closeAll, triggerPrice: '58000' }),
      [400, -4130, 'An open stop or take profit order with GTE and closePosition in the direction is existing.']);
    await algo(a, { side: 'SELL', type: 'TAKE_PROFIT_MARKET', triggerPrice: '61000', closePosition: 'true' });
    assert.equal(f.view(a.accountId).conditionals.length, 2);
    const trailing = { algoType: 'CONDITIONAL', symbol: BTC, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '1' };
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/algoOrder', { ...trailing, activatePrice: '59900' }), [400, -2021, 'Order would immediately trigger.']);
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', { ...trailing, side: 'BUY', activatePrice: '60100' })).slice(0, 2), [400, -2021]);
    const ahead = await algo(a, { ...trailing, activatePrice: '60500' });
    assert.deepEqual([ahead.activatePrice, ahead.triggerPrice, f.view(a.accountId).conditionals.at(-1)!.activated], ['60500', '60500', false]);
    assert.equal(f.view(a.accountId).conditionals.length, 3);
    await s.until(() => s.of('ALGO_UPDATE').length === 3, 5_000, 'three ALGO_UPDATE NEW');
  });

  it('a MARK_PRICE stop filled in the mark tick pushes the fill and an ORDER ACCOUNT_UPDATE', async () => {
    const { a, s } = await trader();
    await openLong(a, '0.001');
    const stop = await algo(a, { side: 'SELL', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '59500', workingType: 'MARK_PRICE', reduceOnly: 'true' });
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '59600' });
    await s.until(() => s.of('ALGO_UPDATE').length === 1, 5_000, 'ALGO_UPDATE NEW');
    const before = s.events.length;
    await f.admin.markPrice('btc_usdt', '59500');
    await s.until(() => algoUpdates(s).some((o) => o.X === 'FINISHED'), 5_000, 'FINISHED');
    const after = s.events.slice(before);
    const update = after.find((e) => e.e === 'ACCOUNT_UPDATE')!;
    const { m, P } = update.a as { m: string; P: Json[] };
    assert.deepEqual([m, P.map((p) => [p.s, p.pa])], ['ORDER', [[BTC, '0']]]);
    const fill = after.map((e) => e.o as Json).find((o) => o?.x === 'TRADE')!;
    assert.deepEqual([fill.i, fill.ot, fill.wt, fill.L], [orderIdOf(stop.algoId), 'STOP_MARKET', 'MARK_PRICE', '59600']);
  });

  it('hedge mode: positionSide required (-4061), no reduceOnly (-1106); a close-all SELL on the LONG is its stop-loss leg; SELL on SHORT and BUY without a short refused', async () => {
    const a = await f.account('10000');
    accounts.push(a);
    if (f.view(a.accountId).positionMode !== 'HEDGE') await a.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'true' });
    const s = await f.stream(a);
    const base = { algoType: 'CONDITIONAL', symbol: BTC, side: 'SELL', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '59000' };
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', base)).slice(0, 2), [400, -4061]);
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', { ...base, positionSide: 'LONG', reduceOnly: 'true' })).slice(0, 2), [400, -1106]);
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60000' });
    await a.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', positionSide: 'LONG', type: 'MARKET', quantity: '0.001' });
    const { quantity: _q, ...closeAll } = base;
    const stop = await algo(a, { ...closeAll, positionSide: 'LONG', closePosition: 'true' });
    assert.deepEqual([stop.positionSide, stop.closePosition, stop.timeInForce], ['LONG', true, 'GTE_GTC']);
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => [c.kind, c.tpslMode, c.positionSide, c.side]), [['STOP_LOSS', 'FULL', 'LONG', 'SELL']]);
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', { ...closeAll, positionSide: 'SHORT', closePosition: 'true' })).slice(0, 2), [400, -1130]);
    assert.deepEqual((await error(a, 'POST', '/fapi/v1/algoOrder', { ...closeAll, side: 'BUY', triggerPrice: '61000', positionSide: 'SHORT', closePosition: 'true' })).slice(0, 2), [400, -4509]);
    const plan = await algo(a, { ...base, positionSide: 'LONG' });
    assert.deepEqual([plan.positionSide, plan.reduceOnly], ['LONG', false]);
    await s.until(() => s.of('ALGO_UPDATE').length === 2, 5_000, 'two ALGO_UPDATE NEW');
    assert.deepEqual(s.of('ALGO_UPDATE').map((e) => [(e.o as Json).ps, (e.o as Json).cp]), [['LONG', true], ['LONG', false]]);
  });

  it('the WebSocket API: algoOrder.place and algoOrder.cancel, signed over the sorted params (raw or percent-encoded values); -1022, -1102, -1104 change nothing', async () => {
    const { a, s } = await trader();
    const api = await BinanceStream.connect(f.h.server.wsUrl, '/binance/ws-fapi/v1');
    try {
      const call = async (id: string, method: string, params: Record<string, string | number>, encode: (v: string) => string = (v) => v, secret = a.secret): Promise<Json> => {
        const all: Record<string, string | number> = { ...params, apiKey: a.apiKey, timestamp: f.clock.now() };
        const payload = Object.keys(all).sort().map((k) => `${k}=${encode(String(all[k]))}`).join('&');
        api.socket.send(JSON.stringify({ id, method, params: { ...all, signature: createHmac('sha256', secret).update(payload).digest('hex') } }));
        await api.until(() => api.events.some((e) => e.id === id), 5_000, `the answer to ${id}`);
        return api.events.find((e) => e.id === id)!;
      };
      const stop = { algoType: 'CONDITIONAL', symbol: BTC, side: 'BUY', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: 61500 };
      const code = (answer: Json) => [answer.status, (answer.error as Json | undefined)?.code];
      assert.deepEqual(code(await call('bad', 'algoOrder.place', stop, (v) => v, 'wrong secret')), [400, -1022]);
      assert.deepEqual(code(await call('stray', 'algoOrder.place', { ...stop, stopPrice: 61500 })), [400, -1104]);
      api.socket.send(JSON.stringify({ id: 'unsigned', method: 'algoOrder.place', params: { ...stop, apiKey: a.apiKey, timestamp: f.clock.now() } }));
      await api.until(() => api.events.some((e) => e.id === 'unsigned'), 5_000, 'the unsigned answer');
      assert.deepEqual(code(api.events.find((e) => e.id === 'unsigned')!), [400, -1102]);
      assert.deepEqual([f.view(a.accountId).conditionals, s.events], [[], []]);
      const placed = await call('place', 'algoOrder.place', { ...stop, clientAlgoId: 'ws:stop/1' }, encodeURIComponent);
      assert.equal(placed.status, 200);
      const result = placed.result as Json;
      assert.deepEqual([result.clientAlgoId, result.orderType, result.algoStatus, result.triggerPrice], ['ws:stop/1', 'STOP_MARKET', 'NEW', '61500']);
      const canceled = await call('cancel', 'algoOrder.cancel', { algoId: result.algoId as number });
      assert.deepEqual(canceled.result, { algoId: result.algoId, clientAlgoId: 'ws:stop/1', code: '200', msg: 'success' });
      assert.deepEqual(code(await call('again', 'algoOrder.cancel', { clientAlgoId: 'ws:stop/1' })), [400, -2011]);
      await s.until(() => s.of('ALGO_UPDATE').length === 2, 5_000, 'NEW and CANCELED');
      assert.deepEqual(algoUpdates(s).map((o) => o.X), ['NEW', 'CANCELED']);
    } finally {
      api.close();
    }
  });

  it('a trigger refused for margin: TRIGGERING, REJECTED with rm, CONDITIONAL_ORDER_TRIGGER_REJECT; no order, no position', async () => {
    const { a, s } = await trader('100');
    const stop = await algo(a, { side: 'BUY', type: 'STOP_MARKET', quantity: '1', triggerPrice: '60500' });
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '2', price: '60600' });
    await tradeAt('60500', '0.001', 'SELL');
    await s.until(() => s.of('CONDITIONAL_ORDER_TRIGGER_REJECT').length === 1, 5_000, 'the trigger reject');
    assert.deepEqual(s.events.map((e) => e.e === 'ALGO_UPDATE' ? `ALGO_UPDATE ${(e.o as Json).X}` : e.e),
      ['ALGO_UPDATE NEW', 'ALGO_UPDATE TRIGGERING', 'ALGO_UPDATE REJECTED', 'CONDITIONAL_ORDER_TRIGGER_REJECT']);
    const rejected = algoUpdates(s)[2]!;
    assert.deepEqual([rejected.aid, rejected.rm, rejected.ai], [stop.algoId, 'Margin is insufficient.', '']);
    const reject = s.of('CONDITIONAL_ORDER_TRIGGER_REJECT')[0]!;
    assert.deepEqual(reject.or, { s: BTC, i: orderIdOf(stop.algoId), r: 'Margin is insufficient.' });
    assert.equal((await a.rest.ok<Json>('GET', '/fapi/v1/algoOrder', { algoId: stop.algoId as number })).algoStatus, 'REJECTED');
    assert.deepEqual([f.view(a.accountId).orders, f.view(a.accountId).positions.filter((p) => p.qty !== 0)], [[], []]);
  });

  it('TRAILING_STOP_MARKET SELL (1 %): follows the high to 61000, fires at 60390; AP and cr on the placed order', async () => {
    const { a, s } = await trader();
    await openLong(a, '0.001');
    const trail = await algo(a, { side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '1', reduceOnly: 'true' });
    assert.deepEqual([trail.orderType, trail.callbackRate, trail.activatePrice, trail.triggerPrice], ['TRAILING_STOP_MARKET', '1.0', '60000', '60000']);
    await tradeAt('61000', '0.001', 'SELL');
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60300' });
    await tradeAt('60400');
    assert.equal(f.view(a.accountId).conditionals.length, 1, '60400 is within 1 % of 61000');
    await tradeAt('60390');
    await s.until(() => algoUpdates(s).some((o) => o.X === 'FINISHED'), 5_000, 'FINISHED');
    const placed = s.of('ORDER_TRADE_UPDATE').map((e) => e.o as Json).find((o) => o.i === orderIdOf(trail.algoId))!;
    assert.deepEqual([placed.o, placed.ot, placed.AP, placed.cr, placed.R], ['MARKET', 'TRAILING_STOP_MARKET', '60000', '1.0', true]);
    assert.equal(f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH')!.qty, 0);
    await tradeAt('60000');
  });
});
