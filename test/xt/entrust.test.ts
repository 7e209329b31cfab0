/**
 * XT's conditional orders end to end over real HTTP and /ws/user (hedge mode, the native default):
 * plan (trigger) orders on the latest and the mark price, position take-profit / stop-loss
 * (create-profit, update, cancel, and the TP/SL order/create attaches), trailing (track) orders,
 * a plan refused when it fires, and refusals that change nothing. XT has no channel for
 * conditional orders: their creation and cancellation push nothing (checked with a marker order
 * whose push must come next, one seq further on), and the order one places is pushed on `order`
 * with sourceType ENTRUST / PROFIT and sourceId = the conditional's id (= the order's id).
 *
 * BTC_USDT: tick 0.1, contract 0.0001 BTC, taker fee 0.0006, default leverage 20.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, nextPushes, type TestAccount } from '../support/harness.js';
import { StreamClient, type Push, type XtEnvelope } from '../support/xt-client.js';

type Row = Record<string, unknown>;
const E = '/future/trade/v1/entrust';

describe('XT conditional orders (entrust, profit, track)', () => {
  let harness: Harness;
  let mm: TestAccount;
  let taker: TestAccount;

  const order = (account: TestAccount, body: Row) => account.rest.post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', ...body });
  const post = (account: TestAccount, path: string, body: Row) => account.rest.post<string>(`${E}/${path}`, body);
  const get = <T = Row>(account: TestAccount, path: string, query: Record<string, string | number | boolean> = {}) => account.rest.get<T>(path.startsWith('/') ? path : `${E}/${path}`, query);
  const ok = <T>(reply: XtEnvelope<T>, what: string): T => {
    assert.equal(reply.msgInfo, 'success', `${what}: ${JSON.stringify(reply.error)}`);
    return reply.result;
  };
  const mark = (price: string) => harness.admin.markPrice('btc_usdt', price);
  /** A trade of one contract at `price` between the market maker and the taker: moves the latest price. */
  const tradeAt = async (price: string) => {
    ok(await order(mm, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price, origQty: '1' }), 'maker ask');
    ok(await order(taker, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'MARKET', origQty: '1' }), 'taker buy');
  };
  const clearBook = async () => {
    for (const account of [mm, taker]) ok(await account.rest.post('/future/trade/v1/order/cancel-all', { symbol: 'btc_usdt' }), 'cancel-all');
  };
  /** Opens a LONG of `qty` for `account` at `price` against a maker ask, and waits for its seven pushes (NEW, position, balance, FILLED, trade, position, balance). */
  const openLong = async (account: TestAccount, qty: string, price = '60000') => {
    ok(await order(mm, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price, origQty: qty }), 'maker ask');
    const from = account.stream.pushes.length;
    ok(await order(account, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'MARKET', origQty: qty }), 'open long');
    await nextPushes(account.stream, from, 7);
  };

  /**
   * The barrier that proves nothing was pushed: a far limit order and its cancel. Its NEW order
   * push must be the next push on the stream, with the seq the engine gave it.
   */
  const marker = async (account: TestAccount, from: number): Promise<Push> => {
    const id = ok(await order(account, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '30000', origQty: '1' }), 'marker');
    const [first] = await nextPushes(account.stream, from, 1);
    assert.deepEqual([first!.topic, first!.data.orderId], ['order', id], 'the marker order is the next push: nothing came before it');
    ok(await account.rest.post('/future/trade/v1/order/cancel', { orderId: id }), 'marker cancel');
    await nextPushes(account.stream, from, 6);
    return first!;
  };
  const engineSeq = (account: TestAccount) => harness.server.exchange.engine.account(account.accountId)!.seq;
  const pushesOf = (account: TestAccount, from: number, orderId: string) => account.stream.pushes.slice(from).filter((p) => p.topic === 'order' && p.data.orderId === orderId);
  const position = (account: TestAccount, side: 'LONG' | 'SHORT') =>
    harness.server.exchange.engine.account(account.accountId)!.view.positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === side)?.qty ?? 0;

  before(async () => {
    harness = await Harness.start();
    mm = await harness.account('1000000');
    taker = await harness.account('100000');
    await mark('60000');
  });
  after(() => harness.stop());

  test('a plan on the latest price: refused without one; listed while it waits, pushed nothing; fires when a trade crosses, its order pushed with sourceType ENTRUST', async () => {
    const a = await harness.account('10000');
    const plan = { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', entrustType: 'STOP_MARKET', origQty: '2', stopPrice: '61000', timeInForce: 'IOC', triggerPriceType: 'LATEST_PRICE' };
    const noLast = await post(a, 'create-plan', plan);
    assert.equal(noLast.error?.code, 'ORDER_001');
    assert.match(noLast.error!.msg, /^invalid_stop_price: btc_usdt has no latest price yet/);

    await tradeAt('60000');
    const before = a.stream.pushes.length;
    const seqBefore = engineSeq(a);
    const id = ok(await post(a, 'create-plan', { ...plan, clientOrderId: 'plan-1' }), 'create-plan');
    assert.match(id, /^\d+$/, 'create-plan answers the entrust id');
    assert.equal(engineSeq(a), seqBefore + 1, 'the plan took one seq (its conditional event)');
    const first = await marker(a, before);
    assert.equal(first.seq, seqBefore + 2, 'the stream skipped the plan\'s seq: conditional events push nothing');

    const listed = ok(await get<{ items: Row[]; total: number }>(a, 'plan-list', { symbol: 'btc_usdt', state: 'NOT_TRIGGERED' }), 'plan-list');
    assert.equal(listed.total, 1);
    assert.deepEqual(listed.items[0], {
      entrustId: id, clientOrderId: 'plan-1', symbol: 'btc_usdt', entrustType: 'STOP_MARKET', orderSide: 'BUY', positionSide: 'LONG', timeInForce: 'IOC',
      closePosition: false, price: '0', origQty: '2', stopPrice: '61000', triggerPriceType: 'LATEST_PRICE', state: 'NOT_TRIGGERED',
      marketOrderLevel: null, ordinary: true, executedQty: '0', avgPrice: '0', createdTime: listed.items[0]!.createdTime, updatedTime: listed.items[0]!.updatedTime,
    });
    assert.deepEqual(ok(await get(a, 'plan-detail', { entrustId: id }), 'plan-detail'), listed.items[0]);
    const entrusts = ok(await get<{ items: Row[] }>(a, '/future/trade/v1/order-entrust/list', { type: 'ENTRUST' }), 'order-entrust/list');
    assert.deepEqual(entrusts.items.map((r) => [r.id, r.type, r.state, r.entrustOrderId, r.isProfit]), [[id, 'ENTRUST', 'NEW', null, false]]);

    // A trade at 61000 crosses the trigger: the plan's market buy takes the maker's ask at 61000.
    ok(await order(mm, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: '61000', origQty: '5' }), 'maker ask 61000');
    const from = a.stream.pushes.length;
    ok(await order(taker, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'MARKET', origQty: '1' }), 'taker buy at 61000');
    await a.stream.until(() => pushesOf(a, from, id).some((p) => p.data.state === 'FILLED'), 5_000, 'the plan\'s order FILLED');
    for (const push of pushesOf(a, from, id)) {
      assert.deepEqual([push.data.sourceType, push.data.sourceId, push.data.clientOrderId, push.data.orderType, push.data.timeInForce], ['ENTRUST', id, 'plan-1', 'MARKET', 'IOC']);
    }
    assert.equal(position(a, 'LONG'), 2);

    const fired = ok(await get(a, 'plan-detail', { entrustId: id }), 'plan-detail after');
    assert.deepEqual([fired.state, fired.executedQty, fired.avgPrice], ['TRIGGERED', '2', '61000']);
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'plan-list', { state: 'NOT_TRIGGERED' }), 'open plans').items, []);
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'plan-list', { state: 'HISTORY' }), 'ended plans').items.map((p) => p.entrustId), [id]);
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'plan-list-history'), 'plan-list-history').items.map((p) => [p.entrustId, p.state]), [[id, 'TRIGGERED']]);
    const detail = ok(await get(a, '/future/trade/v1/order/detail', { orderId: id }), 'order/detail');
    assert.deepEqual([detail.sourceType, detail.sourceId, detail.state], ['ENTRUST', id, 'FILLED']);
    const placed = ok(await get<{ items: Row[] }>(a, '/future/trade/v1/order-entrust/list', { type: 'ENTRUST', state: 'PLACED' }), 'entrust rows');
    assert.deepEqual(placed.items.map((r) => [r.id, r.entrustOrderId, r.executedQty]), [[id, id, '2']]);
    await clearBook();
  });

  test('create-profit on a position: listed and shown on the position; update and cancel; a TP on the mark fires, its SL partner ends, the order pushed with sourceType PROFIT', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    await openLong(a, '3');
    assert.equal(position(a, 'LONG'), 3);

    // A pair to amend and cancel: nothing is pushed, the barrier comes next.
    let from = a.stream.pushes.length;
    const first = ok(await post(a, 'create-profit', { symbol: 'btc_usdt', origQty: '1', positionSide: 'LONG', triggerProfitPrice: '63000', triggerStopPrice: '57000', triggerPriceType: 'MARK_PRICE' }), 'create-profit');
    ok(await post(a, 'update-profit-stop', { profitId: first, triggerProfitPrice: '63500' }), 'update-profit-stop');
    const updated = ok(await get(a, 'profit-detail', { profitId: first }), 'profit-detail');
    assert.deepEqual([updated.profitId, updated.state, updated.triggerProfitPrice, updated.triggerStopPrice, updated.origQty, updated.closeType, updated.positionSize],
      [first, 'NOT_TRIGGERED', '63500', '57000', '1', 'FIXED', '3']);
    // A leg given at the price it has is left as it is: the other one changes, and the answer is a success.
    ok(await post(a, 'update-profit-stop', { profitId: first, triggerProfitPrice: '63600', triggerStopPrice: '57000' }), 'update one of two');
    const again = ok(await get(a, 'profit-detail', { profitId: first }), 'profit-detail');
    assert.deepEqual([again.triggerProfitPrice, again.triggerStopPrice], ['63600', '57000']);
    const unchanged = await post(a, 'update-profit-stop', { profitId: first, triggerProfitPrice: '63600' });
    assert.match(unchanged.error!.msg, /already has these trigger prices/);
    ok(await post(a, 'cancel-profit-stop', { profitId: first }), 'cancel-profit-stop');
    assert.equal(ok(await get(a, 'profit-detail', { profitId: first }), 'profit-detail').state, 'USER_REVOCATION');
    assert.equal((await post(a, 'cancel-profit-stop', { profitId: first })).error?.code, 'ORDER_005', 'an ended pair cannot be cancelled again');
    await marker(a, from);

    // The pair that fires: the whole position, on the mark.
    const profitId = ok(await post(a, 'create-profit', { symbol: 'btc_usdt', origQty: '3', positionSide: 'LONG', triggerProfitPrice: '62000', triggerStopPrice: '58000', triggerPriceType: 'MARK_PRICE' }), 'create-profit 2');
    const list = ok(await get<{ items: Row[] }>(a, 'profit-list', { symbol: 'btc_usdt', state: 'NOT_TRIGGERED' }), 'profit-list');
    assert.deepEqual(list.items.map((p) => [p.profitId, p.triggerProfitPrice, p.triggerStopPrice, p.origQty, p.triggerPriceType, p.positionSide]),
      [[profitId, '62000', '58000', '3', 'MARK_PRICE', 'LONG']]);
    const [active] = ok(await get<Row[]>(a, '/future/user/v1/position', { symbol: 'btc_usdt' }), 'active position');
    assert.deepEqual([active!.positionSide, active!.profitId, active!.triggerProfitPrice, active!.triggerStopPrice, active!.triggerPriceType, active!.positionSize],
      ['LONG', profitId, '62000', '58000', 'MARK_PRICE', '3']);

    ok(await order(mm, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '61900', origQty: '5' }), 'maker bid');
    from = a.stream.pushes.length;
    await mark('62000');
    const filled = () => a.stream.pushes.slice(from).find((p) => p.topic === 'order' && p.data.state === 'FILLED');
    await a.stream.until(() => filled() !== undefined, 5_000, 'the take-profit order FILLED');
    const tp = filled()!;
    assert.deepEqual([tp.data.sourceType, tp.data.orderSide, tp.data.positionSide, tp.data.executedQty, tp.data.avgPrice], ['PROFIT', 'SELL', 'LONG', '3', '61900']);
    assert.equal(position(a, 'LONG'), 0);
    const ended = ok(await get(a, 'profit-detail', { profitId: String(tp.data.sourceId) }), 'profit-detail by the order\'s sourceId');
    assert.deepEqual([ended.profitId, ended.state, ended.triggerPriceSide, ended.executedQty], [profitId, 'TRIGGERED', 'PROFIT', '3']);
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'profit-list', { state: 'NOT_TRIGGERED' }), 'open pairs').items, []);
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'profit-list-history'), 'profit-list-history').items.map((p) => [p.profitId, p.state]),
      [[profitId, 'TRIGGERED'], [first, 'USER_REVOCATION']]);
    const [flat] = ok(await get<Row[]>(a, '/future/user/v1/position', { symbol: 'btc_usdt' }), 'active position after');
    assert.deepEqual([flat!.positionSize, flat!.profitId, flat!.triggerProfitPrice], ['0', null, null]);
    const rows = ok(await get<{ items: Row[] }>(a, '/future/trade/v1/order-entrust/list', { state: 'FILLED' }), 'order rows');
    assert.deepEqual(rows.items.filter((r) => r.isProfit === true).map((r) => r.id), [tp.data.orderId]);
    await clearBook();
  });

  test('order/create with triggerStopPrice: the stop-loss is armed for what filled, shown on the position, and fires on the mark', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    ok(await order(mm, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: '60000', origQty: '2' }), 'maker ask');
    const from = a.stream.pushes.length;
    const id = ok(await order(a, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '3', triggerStopPrice: '59000', triggerPriceType: 'MARK_PRICE' }), 'buy with SL');
    await a.stream.until(() => pushesOf(a, from, id).some((p) => p.data.state === 'PARTIALLY_FILLED'), 5_000, 'the buy partly filled');
    const [pair] = ok(await get<{ items: Row[] }>(a, 'profit-list', { state: 'NOT_TRIGGERED' }), 'profit-list').items;
    assert.deepEqual([pair!.triggerStopPrice, pair!.triggerProfitPrice, pair!.origQty, pair!.closeType], ['59000', null, '2', 'FIXED'], 'sized to what filled');
    const [active] = ok(await get<Row[]>(a, '/future/user/v1/position', { symbol: 'btc_usdt' }), 'active position');
    assert.deepEqual([active!.profitId, active!.triggerStopPrice, active!.triggerProfitPrice, active!.triggerPriceType], [pair!.profitId, '59000', null, 'MARK_PRICE']);
    ok(await a.rest.post('/future/trade/v1/order/cancel', { orderId: id }), 'cancel the rest');

    ok(await order(mm, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '58900', origQty: '5' }), 'maker bid');
    const before = a.stream.pushes.length;
    await mark('59000');
    await a.stream.until(() => a.stream.pushes.slice(before).some((p) => p.topic === 'order' && p.data.state === 'FILLED'), 5_000, 'the stop-loss order FILLED');
    const sl = a.stream.pushes.slice(before).find((p) => p.topic === 'order')!;
    assert.deepEqual([sl.data.sourceType, sl.data.sourceId, sl.data.orderId, sl.data.orderSide, sl.data.origQty], ['PROFIT', pair!.profitId, pair!.profitId, 'SELL', '2']);
    assert.equal(position(a, 'LONG'), 0);
    await clearBook();
  });

  test('order/update moves the take-profit / stop-loss an open order will arm; order/detail shows them; refused once armed', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    const id = ok(await order(a, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '59000', origQty: '2', triggerProfitPrice: '64000' }), 'buy with TP');
    const detail = async () => {
      const o = ok(await get<Row>(a, '/future/trade/v1/order/detail', { orderId: id }), 'order/detail');
      return [o.price, o.triggerProfitPrice, o.triggerStopPrice];
    };
    assert.deepEqual(await detail(), ['59000', '64000', null]);
    ok(await a.rest.post('/future/trade/v1/order/update', { orderId: id, price: '59000', origQty: '2', triggerProfitPrice: '65000', triggerStopPrice: '57000' }), 'update TP/SL');
    assert.deepEqual(await detail(), ['59000', '65000', '57000']);
    const wrongSide = await a.rest.post('/future/trade/v1/order/update', { orderId: id, price: '59000', origQty: '2', triggerStopPrice: '59500' });
    assert.deepEqual([wrongSide.error?.code, wrongSide.error?.msg.split(':')[0]], ['ORDER_001', 'invalid_trigger_stop_price']);
    const tooLow = await a.rest.post('/future/trade/v1/order/update', { orderId: id, price: '56000', origQty: '2' });
    assert.equal(tooLow.msgInfo, 'failure', 'a new price below the stop-loss it will arm is refused');
    assert.deepEqual(await detail(), ['59000', '65000', '57000']);

    ok(await order(mm, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: '59000', origQty: '1' }), 'maker ask fills one');
    const [pair] = ok(await get<{ items: Row[] }>(a, 'profit-list', { state: 'NOT_TRIGGERED' }), 'profit-list').items;
    assert.deepEqual([pair!.triggerProfitPrice, pair!.triggerStopPrice, pair!.origQty], ['65000', '57000', '1'], 'armed with the amended prices');
    const armed = await a.rest.post('/future/trade/v1/order/update', { orderId: id, price: '59000', origQty: '2', triggerProfitPrice: '66000' });
    assert.equal(armed.msgInfo, 'failure');
    assert.match(armed.error!.msg, /armed on the position already/);
    ok(await a.rest.post('/future/trade/v1/order/cancel', { orderId: id }), 'cancel the rest');
    await clearBook();
  });

  test('a whole-position pair keeps its profitId when a leg is cancelled and set again elsewhere', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    await openLong(a, '2');
    const leg = (triggerPrice: number) => ({ triggerPrice, triggerSource: 'LAST' as const, orderType: 'MARKET' as const });
    const set = (fields: Row) => harness.server.exchange.execute({ type: 'setPositionTpsl', accountId: a.accountId, symbol: 'btc_usdt', positionSide: 'LONG', mode: 'FULL', ...fields });
    assert.ok((await set({ takeProfit: leg(640_000), stopLoss: leg(560_000) })).result.ok);
    const profitId = async () => ok(await get<Row[]>(a, '/future/user/v1/position', { symbol: 'btc_usdt' }), 'active position')[0]!.profitId;
    const first = await profitId();
    assert.ok((await set({ takeProfit: null })).result.ok);
    assert.ok((await set({ takeProfit: leg(650_000) })).result.ok);
    assert.equal(await profitId(), first);
    ok(await post(a, 'update-profit-stop', { profitId: String(first), triggerProfitPrice: '66000' }), 'update by the same profitId');
    ok(await post(a, 'cancel-all-profit-stop', { symbol: 'btc_usdt' }), 'cancel-all-profit-stop');
    await clearBook();
  });

  test('a whole-position TP/SL set through another dialect (engine FULL legs) is one profit object, closeType ALL, sized to the position', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    await openLong(a, '3');
    const { result } = await harness.server.exchange.execute({
      type: 'setPositionTpsl', accountId: a.accountId, symbol: 'btc_usdt', positionSide: 'LONG', mode: 'FULL',
      takeProfit: { triggerPrice: 640_000, triggerSource: 'LAST', orderType: 'MARKET' }, stopLoss: { triggerPrice: 560_000, triggerSource: 'LAST', orderType: 'MARKET' },
    });
    assert.ok(result.ok);
    const [whole] = ok(await get<{ items: Row[] }>(a, 'profit-list', { state: 'NOT_TRIGGERED' }), 'profit-list').items;
    assert.deepEqual([whole!.triggerProfitPrice, whole!.triggerStopPrice, whole!.origQty, whole!.closeType], ['64000', '56000', '3', 'ALL']);
    const [active] = ok(await get<Row[]>(a, '/future/user/v1/position', { symbol: 'btc_usdt' }), 'active position');
    assert.deepEqual([active!.profitId, active!.triggerProfitPrice, active!.triggerStopPrice], [whole!.profitId, '64000', '56000']);
    ok(await post(a, 'update-profit-stop', { profitId: String(whole!.profitId), triggerStopPrice: '57000' }), 'update a FULL pair');
    assert.equal(harness.server.exchange.engine.account(a.accountId)!.view.positions.find((p) => p.positionSide === 'LONG')!.stopLossPrice, 570_000);
    ok(await post(a, 'cancel-all-profit-stop', { symbol: 'btc_usdt' }), 'cancel-all-profit-stop');
    assert.deepEqual(harness.server.exchange.engine.account(a.accountId)!.view.conditionals, []);
    await clearBook();
  });

  test('create-track on the mark: NOT_ACTIVATION, armed past the activation price, fires on the callback, its order pushed with sourceType ENTRUST', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    await openLong(a, '2');
    const from = a.stream.pushes.length;
    const id = ok(await post(a, 'create-track', {
      symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'LONG', positionType: 'CROSSED', origQty: '2', callback: 'FIXED', callbackVal: '500',
      triggerPriceType: 'MARK_PRICE', activationPrice: '61000',
    }), 'create-track');
    await marker(a, from);
    const waiting = ok(await get<{ items: Row[] }>(a, 'track-list'), 'track-list').items;
    assert.deepEqual(waiting.map((t) => [t.trackId, t.state, t.callback, t.callbackVal, t.activationPrice, t.stopPrice]), [[id, 'NOT_ACTIVATION', 'FIXED', '500', '61000', null]]);
    await mark('61500');
    const armed = ok(await get(a, 'track-detail', { trackId: id }), 'track-detail');
    assert.deepEqual([armed.state, armed.stopPrice], ['NOT_TRIGGERED', '61000'], 'armed: 500 below the best mark since');
    ok(await order(mm, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60900', origQty: '5' }), 'maker bid');
    const before = a.stream.pushes.length;
    await mark('61000');
    await a.stream.until(() => pushesOf(a, before, id).some((p) => p.data.state === 'FILLED'), 5_000, 'the trailing order FILLED');
    assert.deepEqual(pushesOf(a, before, id).map((p) => [p.data.sourceType, p.data.sourceId]).at(-1), ['ENTRUST', id]);
    assert.equal(position(a, 'LONG'), 0);
    assert.equal(ok(await get(a, 'track-detail', { trackId: id }), 'track-detail after').state, 'TRIGGERED');
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'track-list'), 'track-list after').items, []);
    assert.deepEqual(ok(await get<{ items: Row[] }>(a, 'track-list-history'), 'track-list-history').items.map((t) => [t.trackId, t.state]), [[id, 'TRIGGERED']]);
    await clearBook();
  });

  test('a plan on the index price: refused before there is one; fires when the index reaches it', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    const plan = { symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'SHORT', entrustType: 'STOP_MARKET', origQty: '1', stopPrice: '59500', timeInForce: 'IOC', triggerPriceType: 'INDEX_PRICE' };
    const none = await post(a, 'create-plan', plan);
    assert.match(none.error?.msg ?? '', /^invalid_stop_price: btc_usdt has no index price yet/);
    const index = async (price: string) => {
      const { status } = await harness.admin.request('POST', '/index-price', { symbol: 'btc_usdt', price });
      assert.equal(status, 200);
    };
    await index('60000');
    const id = ok(await post(a, 'create-plan', plan), 'create-plan');
    assert.equal(ok(await get(a, 'plan-detail', { entrustId: id }), 'plan-detail').triggerPriceType, 'INDEX_PRICE');
    ok(await order(mm, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '59400', origQty: '5' }), 'maker bid');
    const from = a.stream.pushes.length;
    await index('59500');
    await a.stream.until(() => pushesOf(a, from, id).some((p) => p.data.state === 'FILLED'), 5_000, 'the plan\'s sell FILLED');
    assert.deepEqual(pushesOf(a, from, id).map((p) => [p.data.sourceType, p.data.sourceId, p.data.avgPrice]).at(-1), ['ENTRUST', id, '59400']);
    assert.equal(position(a, 'SHORT'), -1);
    await clearBook();
  });

  test('a plan refused when it fires (not enough margin): its order pushed REJECTED with sourceType ENTRUST, the plan DELEGATION_FAILED', async () => {
    await mark('60000');
    const a = await harness.account('10');
    ok(await order(mm, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: '60600', origQty: '100' }), 'maker ask');
    const id = ok(await post(a, 'create-plan', {
      symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', entrustType: 'STOP', origQty: '100', price: '60600', stopPrice: '60500', timeInForce: 'GTC', triggerPriceType: 'MARK_PRICE',
    }), 'create-plan');
    const from = a.stream.pushes.length;
    await mark('60500');
    await a.stream.until(() => pushesOf(a, from, id).length > 0, 5_000, 'the refused order\'s push');
    assert.deepEqual(pushesOf(a, from, id).map((p) => [p.data.state, p.data.sourceType, p.data.sourceId]), [['REJECTED', 'ENTRUST', id]]);
    const plan = ok(await get(a, 'plan-detail', { entrustId: id }), 'plan-detail');
    assert.equal(plan.state, 'DELEGATION_FAILED');
    assert.equal(position(a, 'LONG'), 0);
    await clearBook();
  });

  test('a resume from before a plan: the plan\'s seq is skipped, the next push follows', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    ok(await order(a, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '30000', origQty: '1' }), 'a resting order');
    await nextPushes(a.stream, 0, 3);
    const seen = a.stream.pushes.at(-1)!.seq;
    ok(await post(a, 'create-plan', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', entrustType: 'STOP_MARKET', origQty: '1', stopPrice: '60100', timeInForce: 'IOC', triggerPriceType: 'MARK_PRICE' }), 'create-plan');
    const resumed = await StreamClient.connect(harness.server.wsUrl);
    try {
      resumed.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['order@' + a.listenKey, 'position@' + a.listenKey, 'balance@' + a.listenKey], id: 'r', resume: { epoch: harness.server.exchange.epoch, seq: seen } }));
      await resumed.until(() => resumed.acks.length > 0, 5_000, 'resume ack');
      assert.equal(resumed.acks[0]!.code, 0);
      const ack = JSON.parse(resumed.texts[0]!) as { resume: { recovered: boolean; from: number; to: number } };
      assert.deepEqual(ack.resume, { recovered: true, from: seen + 1, to: seen + 1 }, 'the plan\'s event is the one missed');
      ok(await a.rest.post('/future/trade/v1/order/cancel-all', { symbol: 'btc_usdt' }), 'cancel-all');
      await resumed.until(() => resumed.pushes.length > 0, 5_000, 'the next push');
      assert.deepEqual([resumed.pushes[0]!.topic, resumed.pushes[0]!.seq], ['order', seen + 2]);
    } finally {
      resumed.close();
    }
  });

  test('odd values in every parameter of every endpoint: a refusal in XT\'s shape, never an internal error', async () => {
    const a = await harness.account('10000');
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const endpoints: [method: 'GET' | 'POST', path: string, params: string[]][] = [
      ['POST', 'create-plan', ['symbol', 'orderSide', 'entrustType', 'origQty', 'price', 'stopPrice', 'timeInForce', 'triggerPriceType', 'positionSide', 'clientOrderId', 'reduceOnly']],
      ['POST', 'create-profit', ['symbol', 'origQty', 'triggerProfitPrice', 'triggerStopPrice', 'expireTime', 'positionSide', 'profitDelegateOrderType', 'profitDelegatePrice', 'stopDelegateTimeInForce', 'triggerPriceType']],
      ['POST', 'create-track', ['symbol', 'callback', 'callbackVal', 'orderSide', 'origQty', 'positionSide', 'positionType', 'triggerPriceType', 'activationPrice', 'expireTime']],
      ['POST', 'update-profit-stop', ['profitId', 'triggerProfitPrice', 'triggerStopPrice']],
      ['POST', 'cancel-plan', ['entrustId']], ['POST', 'cancel-profit-stop', ['profitId']], ['POST', 'cancel-track', ['trackId']],
      ['POST', 'cancel-all-plan', ['symbol']], ['POST', 'cancel-all-profit-stop', ['symbol']], ['POST', 'cancel-all-track', ['symbol']],
      ['GET', 'plan-list', ['symbol', 'state', 'page', 'size', 'startTime']], ['GET', 'profit-list', ['symbol', 'state', 'page', 'size', 'endTime']],
      ['GET', 'track-list', ['symbol', 'page', 'size']], ['GET', 'plan-detail', ['entrustId']], ['GET', 'profit-detail', ['profitId']], ['GET', 'track-detail', ['trackId']],
      ['GET', 'plan-list-history', ['id', 'direction', 'limit']], ['GET', 'profit-list-history', ['id', 'direction', 'limit']], ['GET', 'track-list-history', ['id', 'limit']],
      ['GET', '/future/trade/v1/order-entrust/list', ['type', 'state', 'forceClose', 'page', 'size']],
    ];
    const odd: unknown[] = ['', 'abc', '-1', '0', '1e3', '99999999999999999999999', '0.00000000001', 'NaN', true, -5, [1], { a: 1 }];
    for (const [method, path, names] of endpoints) {
      for (const name of names) {
        for (const value of odd) {
          if (method === 'GET' && typeof value === 'object') continue; // a query holds text only
          const params = { [name]: typeof value === 'object' || method === 'POST' ? value : String(value) };
          const reply = method === 'POST' ? await post(a, path, params) : await get(a, path, params as Record<string, string>);
          assert.ok(reply.msgInfo !== 'success' || method === 'GET' || path.startsWith('cancel-all'), `${path} ${name}=${JSON.stringify(value)} succeeded`);
          if (reply.msgInfo === 'failure') {
            assert.ok(!['500', 'fail'].includes(reply.error!.code), `${path} ${name}=${JSON.stringify(value)}: ${JSON.stringify(reply.error)}`);
          }
        }
      }
    }
    assert.deepEqual(harness.server.exchange.engine.account(a.accountId)!.view.conditionals, [], 'nothing was created');
    assert.ok(harness.server.exchange.engine.cmdSeq - cmdSeq <= 3 * odd.length, 'only the cancel-alls reached the engine');
  });

  test('bad input is refused in XT\'s shape and changes nothing', async () => {
    await mark('60000');
    const a = await harness.account('10000');
    await openLong(a, '2');
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const plan = { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', entrustType: 'STOP', origQty: '1', price: '61000', stopPrice: '61000', timeInForce: 'GTC', triggerPriceType: 'MARK_PRICE' };
    const profit = { symbol: 'btc_usdt', origQty: '1', positionSide: 'LONG', triggerProfitPrice: '62000', triggerPriceType: 'MARK_PRICE' };
    const track = { symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'LONG', positionType: 'CROSSED', origQty: '1', callback: 'PROPORTION', callbackVal: '0.01', triggerPriceType: 'MARK_PRICE' };
    const cases: [string, Row, string, RegExp][] = [
      ['create-plan', { ...plan, entrustType: 'STOP_MARKET' }, 'ORDER_001', /^market_plan_entrust_must_be_ioc_or_fok: /],
      ['create-plan', { ...plan, stopPrice: '60000' }, 'ORDER_001', /^invalid_stop_price: stopPrice equals the current mark price/],
      ['create-plan', { ...plan, stopPrice: '61000.05' }, 'ORDER_001', /^invalid_stop_price: stopPrice is not a multiple of the tick size/],
      ['create-plan', { ...plan, price: undefined }, 'COMMON_003', /price is required/],
      ['create-plan', { ...plan, entrustType: 'TRAILING' }, 'COMMON_003', /entrustType must be one of/],
      ['create-plan', { ...plan, triggerPriceType: undefined }, 'COMMON_003', /triggerPriceType is required/],
      ['create-plan', { ...plan, expireTime: '1' }, 'COMMON_003', /expireTime is not a parameter of this endpoint/],
      ['create-plan', { ...plan, origQty: '1.5' }, 'ORDER_001', /^invalid_quantity_scale/],
      ['create-profit', { ...profit, origQty: '3' }, 'ORDER_001', /^more_than_available: origQty 3 is more than the LONG position of 2 contracts/],
      ['create-profit', { ...profit, triggerProfitPrice: '59000' }, 'ORDER_001', /^trigger_profit_price_less_than_mark_price: /],
      ['create-profit', { ...profit, triggerProfitPrice: undefined, triggerStopPrice: '61000' }, 'ORDER_001', /^trigger_stop_price_more_than_mark_price: /],
      ['create-profit', { ...profit, triggerProfitPrice: undefined }, 'COMMON_003', /send triggerProfitPrice and\/or triggerStopPrice/],
      ['create-profit', { ...profit, positionSide: 'SHORT' }, 'ORDER_001', /^more_than_available: .* SHORT position of 0/],
      ['create-profit', { ...profit, expireTime: '1000' }, 'COMMON_003', /expireTime 1000 has passed/],
      ['create-track', { ...track, callbackVal: '1' }, 'ORDER_001', /^invalid_exceed_max_rate_limit/],
      ['create-track', { ...track, callbackVal: '0' }, 'ORDER_001', /^invalid_below_min_rate_limit/],
      ['create-track', { ...track, positionType: 'ISOLATED' }, 'COMMON_003', /positionType ISOLATED: btc_usdt is CROSSED/],
      ['create-track', { ...track, activationPrice: '59000' }, 'ORDER_001', /^invalid_activation_price: a SELL trailing order activates above/],
      ['create-track', { ...track, positionSide: 'BOTH' }, 'COMMON_003', /positionSide BOTH is for a one-way account/],
      ['cancel-plan', { entrustId: '999999' }, 'ORDER_005', /invalid_entrust_Id/],
      ['update-profit-stop', { profitId: '999999', triggerStopPrice: '1' }, 'ORDER_005', /invalid_profit_id/],
      ['cancel-track', { trackId: '999999' }, 'ORDER_005', /invalid_track_Id/],
    ];
    for (const [path, body, code, message] of cases) {
      const reply = await post(a, path, body);
      assert.equal(reply.msgInfo, 'failure', `${path} ${JSON.stringify(body)}`);
      assert.equal(reply.error?.code, code, `${path} ${JSON.stringify(body)}: ${reply.error?.msg}`);
      assert.match(reply.error!.msg, message, path);
    }
    for (const [path, query, code, message] of [
      ['plan-list', {}, 'COMMON_003', /state is required/],
      ['plan-list', { state: 'OPEN' }, 'COMMON_003', /state must be one of/],
      ['plan-detail', { entrustId: '999999' }, 'ORDER_005', /invalid_entrust_Id/],
      ['profit-detail', { profitId: '999999' }, 'ORDER_005', /invalid_profit_id/],
      ['track-list-history', { state: 'TRIGGERED' }, 'COMMON_003', /state is not a parameter of this endpoint/],
    ] as const) {
      const reply = await get(a, path, query);
      assert.equal(reply.error?.code, code, path);
      assert.match(reply.error!.msg, message, path);
    }
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'no refused request reached the engine');
    assert.deepEqual(harness.server.exchange.engine.account(a.accountId)!.view.conditionals, []);
    await clearBook();
  });
});
