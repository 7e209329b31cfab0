/**
 * Bybit conditional orders end to end over real REST and the real private stream (issue 13):
 * a plan order (triggerPrice) waits Untriggered, fires when the last price crosses it and the order
 * it places carries the same orderId (Untriggered → Triggered → New → Filled); take profit / stop
 * loss attached to an order and set by /v5/position/trading-stop show on the position and leave
 * with it; a take profit that fires cancels its stop loss; a trigger refused for margin; a mark-price
 * trigger, amend and cancel-all by orderFilter; refusals in Bybit's {retCode, retMsg} that change
 * nothing. Each step waits on a ping/pong barrier: the pushes of a command are queued before the
 * REST answer, so the pong comes after them. BTCUSDT: tick 0.1, 0.0001 BTC a contract; mark 60000.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BybitFixture, rows, type BybitAccount, type BybitStream, type Frame } from './client.js';

const BTC = { category: 'linear', symbol: 'BTCUSDT' };
type Row = Record<string, unknown>;

const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

describe('bybit conditional orders: REST and the private stream', () => {
  let f: BybitFixture;
  let maker: BybitAccount;
  let taker: BybitAccount;

  before(async () => {
    f = await BybitFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    maker = await f.account('100000');
    taker = await f.account('100000');
  });
  /** Every account a test made: between tests their orders and conditional orders go, so no test trades against another's leftovers. */
  const made: BybitAccount[] = [];
  async function account(deposit: string): Promise<BybitAccount> {
    const a = await f.account(deposit);
    made.push(a);
    return a;
  }
  afterEach(async () => {
    for (const x of [maker, taker, ...made]) await x.rest.must('/v5/order/cancel-all', { category: 'linear', settleCoin: 'USDT' });
    await f.admin.markPrice('btc_usdt', '60000');
  });
  after(async () => { await f.stop(); });

  const view = (a: BybitAccount) => f.server.exchange.engine.account(a.accountId)!.view;
  const position = (a: BybitAccount) => view(a).positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH');

  /** Waits until the stream answered a ping: every push of the commands made before it is in (they are queued ahead of the pong). */
  async function sync(s: BybitStream): Promise<void> {
    const pong = await s.request({ op: 'ping', req_id: 'sync' });
    assert.equal(pong.op, 'pong');
  }

  /** Everything pushed on `topic` since push `from`, once the stream is in sync. */
  async function pushed(s: BybitStream, topic: string, from: number): Promise<Row[]> {
    await sync(s);
    return s.pushes(topic).slice(from).flatMap((frame: Frame) => rows(frame));
  }

  /** How many pushes of `topic` the stream has had, once it is in sync: the mark for what comes next. */
  async function count(s: BybitStream, topic: string): Promise<number> {
    await sync(s);
    return s.pushes(topic).length;
  }

  /**
   * The maker rests `rest` at `price`, the taker takes `take` of it at market: the last price becomes
   * `price`, and what the taker left rests for orders that fire.
   */
  async function tradeAt(price: string, rest: string, take: string, takerSide: 'Buy' | 'Sell'): Promise<void> {
    await maker.rest.must('/v5/order/create', { ...BTC, side: takerSide === 'Buy' ? 'Sell' : 'Buy', orderType: 'Limit', qty: rest, price });
    await taker.rest.must('/v5/order/create', { ...BTC, side: takerSide, orderType: 'Market', qty: take });
  }

  it('a plan order: Untriggered (no margin held), listed as StopOrder; the last price crosses it: Triggered, then the placed order New / Filled with the same orderId', async () => {
    const a = await account('1000');
    const s = await f.stream(a, ['order', 'execution', 'position', 'wallet']);
    const walletBefore = view(a).wallets[0]!.availableBalance;
    const { orderId } = await a.rest.must<{ orderId: string; orderLinkId: string }>('/v5/order/create',
      { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001', triggerPrice: '61000', triggerDirection: 1, orderLinkId: 'plan-a' });
    const created = await pushed(s, 'order', 0);
    assert.deepEqual(created.map((r) => [r.orderId, r.orderLinkId, r.orderStatus, r.stopOrderType, r.createType, r.triggerPrice, r.triggerDirection, r.triggerBy, r.qty, r.orderType, r.side]),
      [[orderId, 'plan-a', 'Untriggered', 'Stop', 'CreateByStopOrder', '61000', 1, 'LastPrice', '0.001', 'Market', 'Buy']]);
    const waiting = view(a).conditionals;
    assert.deepEqual(waiting.map((c) => [String(c.conditionalId), c.kind, c.state, c.triggerPrice, c.triggerDirection, c.triggerSource, c.qty]),
      [[orderId, 'PLAN', 'WAITING', 610_000, 'RISE', 'LAST', 10]]);
    assert.equal(view(a).wallets[0]!.availableBalance, walletBefore, 'a conditional order holds no margin');
    assert.equal(s.pushes('wallet').length, 0);

    const list = async (query: Record<string, string>) =>
      (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, ...query })).result.list.map((r) => [r.orderId, r.orderStatus]);
    assert.deepEqual(await list({}), [[orderId, 'Untriggered']]);
    assert.deepEqual(await list({ orderFilter: 'StopOrder' }), [[orderId, 'Untriggered']]);
    assert.deepEqual(await list({ orderFilter: 'Order' }), []);
    assert.deepEqual(await list({ orderFilter: 'tpslOrder' }), [], 'tpslOrder is a spot order kind');

    // The maker rests 0.002 at 61000; the taker lifts 0.001: the last price is 61000, the plan fires and buys the rest.
    const orders = await count(s, 'order');
    await tradeAt('61000', '0.002', '0.001', 'Buy');
    const fired = await pushed(s, 'order', orders);
    assert.deepEqual(fired.map((r) => [r.orderId, r.orderStatus, r.stopOrderType, r.createType, r.triggerPrice, r.cumExecQty]), [
      [orderId, 'Triggered', 'Stop', 'CreateByStopOrder', '61000', '0'],
      [orderId, 'New', 'Stop', 'CreateByStopOrder', '61000', '0'],
      [orderId, 'Filled', 'Stop', 'CreateByStopOrder', '61000', '0.001'],
    ]);
    const executions = await pushed(s, 'execution', 0);
    assert.deepEqual(executions.map((e) => [e.orderId, e.execPrice, e.execQty, e.createType, e.stopOrderType, e.isMaker]),
      [[orderId, '61000', '0.001', 'CreateByStopOrder', 'Stop', false]]);
    const positions = await pushed(s, 'position', 0);
    assert.deepEqual([positions.at(-1)!.side, positions.at(-1)!.size, positions.at(-1)!.entryPrice], ['Buy', '0.001', '61000']);
    assert.equal(position(a)!.qty, 10);
    assert.deepEqual(view(a).conditionals, []);
    const placed = f.server.exchange.history.finishedOrder(a.accountId, Number(orderId))!;
    assert.deepEqual([placed.origin, placed.conditionalId, placed.clientOrderId, placed.state], ['PLAN', Number(orderId), 'plan-a', 'FILLED']);

    // History: one record per orderId (the filled order); StopOrder shows the conditional order as Triggered.
    const history = async (query: Record<string, string>) =>
      (await a.rest.get<{ list: Row[] }>('/v5/order/history', { ...BTC, ...query })).result.list.map((r) => [r.orderId, r.orderStatus, r.stopOrderType]);
    assert.deepEqual(await history({}), [[orderId, 'Filled', 'Stop']]);
    assert.deepEqual(await history({ orderFilter: 'StopOrder' }), [[orderId, 'Triggered', 'Stop']]);
    assert.deepEqual(await history({ orderFilter: 'Order' }), [[orderId, 'Filled', 'Stop']]);
    assert.deepEqual(await list({}), []);
    const gone = await a.rest.post('/v5/order/cancel', { ...BTC, orderId });
    assert.deepEqual([gone.retCode, gone.retMsg], [110008, 'The order has been completed or cancelled (Filled).']);
  });

  it('refusals in Bybit\'s codes change nothing: trigger on the wrong side (110092 / 110093), bad parameters, amend and cancel of what is not there, trading-stop without a position', async () => {
    const a = await account('1000');
    await tradeAt('60500', '0.001', '0.001', 'Buy');
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59000', orderLinkId: 'resting' });
    const { orderId: planId } = await a.rest.must<{ orderId: string }>('/v5/order/create',
      { ...BTC, side: 'Buy', orderType: 'Limit', price: '61500', qty: '0.001', triggerPrice: '61400', orderLinkId: 'plan-r' });
    assert.equal(view(a).conditionals[0]!.triggerDirection, 'RISE', 'triggerDirection left out: the trigger lies above the last price 60500');
    const before = json(view(a));
    const expect = async (path: string, body: Row, retCode: number, message: RegExp) => {
      const reply = await a.rest.post(path, body);
      assert.equal(reply.retCode, retCode, `${path} ${JSON.stringify(body)} → ${JSON.stringify(reply)}`);
      assert.match(reply.retMsg, message);
      assert.deepEqual(Object.keys(reply), ['retCode', 'retMsg', 'result', 'retExtInfo', 'time']);
    };
    const plan = { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001' };
    await expect('/v5/order/create', { ...plan, triggerPrice: '60000', triggerDirection: 1 }, 110092, /^expect Rising, but trigger_price\[60000\] <= current\[60500\]\?\?LastPrice/);
    await expect('/v5/order/create', { ...plan, triggerPrice: '61000', triggerDirection: 2 }, 110093, /^expect Falling, but trigger_price\[61000\] >= current\[60500\]\?\?LastPrice/);
    await expect('/v5/order/create', { ...plan, triggerPrice: '60500' }, 10001, /triggerDirection is required here .*equals the current LastPrice/);
    await expect('/v5/order/create', { ...plan, triggerPrice: '61000', triggerDirection: 1, triggerBy: 'Mark' }, 10001, /triggerBy must be one of LastPrice, MarkPrice, IndexPrice/);
    await expect('/v5/order/create', { ...plan, triggerPrice: '61000.05', triggerDirection: 1 }, 10001, /triggerPrice is not a multiple of the tick size 0\.1/);
    await expect('/v5/order/create', { ...plan, triggerPrice: '61000', triggerDirection: 1, orderLinkId: 'plan-r' }, 110072, /OrderLinkedID is duplicate/);
    await expect('/v5/order/create', { ...plan, triggerPrice: '61000', triggerDirection: 1, orderFilter: 'StopOrder' }, 10001, /orderFilter StopOrder is for spot orders/);
    await expect('/v5/order/create', { ...plan, takeProfit: '65000', reduceOnly: true }, 10001, /When reduceOnly is true, take profit\/stop loss cannot be set/);
    await expect('/v5/order/create', { ...plan, takeProfit: '65000', tpOrderType: 'Limit', tpLimitPrice: '64000' }, 10001, /tpOrderType only support Market when tpSlMode is Full/);
    await expect('/v5/order/create', { ...plan, qty: '0', triggerPrice: '61000', triggerDirection: 1 }, 10001, /qty 0 is invalid.*closes the position only on a conditional order with reduceOnly and closeOnTrigger/);
    await expect('/v5/order/amend', { ...BTC, orderId: planId, triggerPrice: '0' }, 10001, /triggerPrice must be positive/);
    await expect('/v5/order/amend', { ...BTC, orderId: planId, tpLimitPrice: '65000' }, 10001, /tpTriggerBy and tpLimitPrice need takeProfit: the order has no takeProfit to change/);
    await expect('/v5/order/amend', { ...BTC, orderId: planId, takeProfit: '65000', tpOrderType: 'Limit' }, 10001, /tpOrderType cannot be amended/);
    await expect('/v5/order/amend', { ...BTC, orderLinkId: 'resting', takeProfit: '58000' }, 10001, /take-profit 580000 must be above the order's price 590000/);
    await expect('/v5/order/amend', { ...BTC, orderId: planId }, 10001, /send triggerPrice, triggerBy, qty, price, takeProfit and\/or stopLoss/);
    await expect('/v5/order/amend', { ...BTC, orderLinkId: 'resting', triggerPrice: '61000' }, 10001, /triggerPrice can only be amended on a conditional order that has not triggered/);
    await expect('/v5/order/amend', { ...BTC, orderId: '999999', triggerPrice: '61000' }, 110001, /Order does not exist/);
    await expect('/v5/order/cancel', { ...BTC, orderId: planId, orderFilter: 'Order' }, 110001, /Order does not exist/);
    await expect('/v5/order/cancel', { ...BTC, orderLinkId: 'nope' }, 110001, /Order does not exist/);
    await expect('/v5/order/cancel-all', { ...BTC, orderFilter: 'tpslOrder' }, 10001, /orderFilter must be one of Order, StopOrder, OpenOrder/);
    await expect('/v5/order/cancel-all', { ...BTC, stopOrderType: 'Stop' }, 10001, /stopOrderType=Stop is only used with orderFilter=StopOrder/);
    await expect('/v5/position/trading-stop', { ...BTC, tpslMode: 'Full', positionIdx: 0, takeProfit: '65000' }, 10001, /can not set tp\/sl\/ts for zero position/);
    await expect('/v5/position/trading-stop', { ...BTC, tpslMode: 'Full', positionIdx: 1, takeProfit: '65000' }, 10001, /position idx not match position mode/);
    await expect('/v5/position/trading-stop', { ...BTC, tpslMode: 'Full', takeProfit: '65000', size: '1' }, 10001, /size is not a parameter of this endpoint/);
    assert.equal(json(view(a)), before, 'nothing changed');
  });

  it('an order shows the take profit / stop loss it will arm (takeProfit, tpTriggerBy, tpslMode); amend changes or cancels them ("0") until a fill arms them, on orders and plan orders', async () => {
    const a = await account('1000');
    const s = await f.stream(a, ['order']);
    const { orderId } = await a.rest.must<{ orderId: string }>('/v5/order/create',
      { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.002', price: '59000', takeProfit: '65000', tpTriggerBy: 'MarkPrice' });
    const fields = ['orderStatus', 'takeProfit', 'stopLoss', 'tpTriggerBy', 'slTriggerBy', 'tpslMode', 'tpLimitPrice', 'slLimitPrice'];
    const realtime = async () => pick((await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderId })).result.list[0]!, fields);
    assert.deepEqual(await realtime(),
      { orderStatus: 'New', takeProfit: '65000', stopLoss: '', tpTriggerBy: 'MarkPrice', slTriggerBy: '', tpslMode: 'Full', tpLimitPrice: '', slLimitPrice: '' });

    const mark = await count(s, 'order');
    await a.rest.must('/v5/order/amend', { ...BTC, orderId, takeProfit: '66000', stopLoss: '57000', slTriggerBy: 'LastPrice' });
    const amended = await pushed(s, 'order', mark);
    assert.deepEqual(amended.map((r) => pick(r, ['orderId', 'orderStatus', 'price', 'takeProfit', 'stopLoss', 'tpTriggerBy', 'slTriggerBy'])),
      [{ orderId, orderStatus: 'New', price: '59000', takeProfit: '66000', stopLoss: '57000', tpTriggerBy: 'MarkPrice', slTriggerBy: 'LastPrice' }]);
    await a.rest.must('/v5/order/amend', { ...BTC, orderId, takeProfit: '0' });
    assert.deepEqual(await realtime(),
      { orderStatus: 'New', takeProfit: '', stopLoss: '57000', tpTriggerBy: '', slTriggerBy: 'LastPrice', tpslMode: 'Full', tpLimitPrice: '', slLimitPrice: '' });

    // A fill arms the stop loss on the position; the order's TP/SL are then the position's to change.
    await taker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Market', qty: '0.001' });
    assert.equal(position(a)!.stopLossPrice, 570_000);
    const armed = await a.rest.post('/v5/order/amend', { ...BTC, orderId, stopLoss: '56000' });
    assert.equal(armed.retCode, 10001);
    assert.match(armed.retMsg, /armed on the position already/);

    // A plan order's TP/SL, for the order it will place.
    const { orderId: planId } = await a.rest.must<{ orderId: string }>('/v5/order/create',
      { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '58000', triggerPrice: '58100', triggerDirection: 2 });
    await a.rest.must('/v5/order/amend', { ...BTC, orderId: planId, tpslMode: 'Partial', takeProfit: '64000' });
    const plan = (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderId: planId })).result.list[0]!;
    assert.deepEqual(pick(plan, ['orderStatus', 'triggerPrice', 'takeProfit', 'tpslMode']), { orderStatus: 'Untriggered', triggerPrice: '58100', takeProfit: '64000', tpslMode: 'Partial' });
  });

  it('take profit / stop loss attached to an order, then trading-stop: the position shows them (seed topic too), the legs are StopOrder rows, and all leave when the position closes', async () => {
    const a = await account('1000');
    const s = await f.stream(a, ['order', 'position']);
    const seed = await f.stream(a, ['user.position.unifiedAccount']);
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty: '0.001', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001', takeProfit: '65000', stopLoss: '55000', slTriggerBy: 'MarkPrice' });
    const opened = await pushed(s, 'position', 0);
    assert.deepEqual(pick(opened.at(-1)!, ['side', 'size', 'takeProfit', 'stopLoss', 'trailingStop', 'tpslMode']),
      { side: 'Buy', size: '0.001', takeProfit: '65000', stopLoss: '55000', trailingStop: '0', tpslMode: 'Full' });
    await seed.request({ op: 'ping', req_id: 'seed-sync' });
    const seedLast = (seed.pushes('user.position.unifiedAccount').at(-1)!.data as { result: Row[] }).result.at(-1)!;
    assert.deepEqual([seedLast.takeProfit, seedLast.stopLoss], ['65000', '55000']);
    assert.deepEqual([position(a)!.takeProfitPrice, position(a)!.stopLossPrice], [650_000, 550_000]);

    const legs = async () => (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderFilter: 'StopOrder' })).result.list
      .map((r) => [r.stopOrderType, r.orderStatus, r.side, r.orderType, r.qty, r.triggerPrice, r.triggerBy, r.triggerDirection, r.tpslMode, r.reduceOnly, r.closeOnTrigger]);
    assert.deepEqual((await legs()).sort(), [
      ['StopLoss', 'Untriggered', 'Sell', 'Market', '0', '55000', 'MarkPrice', 2, 'Full', true, true],
      ['TakeProfit', 'Untriggered', 'Sell', 'Market', '0', '65000', 'LastPrice', 1, 'Full', true, true],
    ]);

    // trading-stop: a new stop loss, a trailing stop of 500 armed at 62000, the take profit cancelled ("0").
    const positionsBefore = await count(s, 'position');
    await a.rest.must('/v5/position/trading-stop', { ...BTC, tpslMode: 'Full', positionIdx: 0, stopLoss: '56000', trailingStop: '500', activePrice: '62000', takeProfit: '0' });
    const changed = await pushed(s, 'position', positionsBefore);
    assert.deepEqual(pick(changed.at(-1)!, ['takeProfit', 'stopLoss', 'trailingStop']), { takeProfit: '0', stopLoss: '56000', trailingStop: '500' });
    assert.deepEqual([position(a)!.takeProfitPrice, position(a)!.stopLossPrice, position(a)!.trailingDistance], [null, 560_000, 5_000]);
    assert.deepEqual((await legs()).map((l) => [l[0], l[5]]).sort(), [['StopLoss', '56000'], ['TrailingStop', '62000']]);
    const rest = (await a.rest.get<{ list: Row[] }>('/v5/position/list', BTC)).result.list[0]!;
    assert.deepEqual(pick(rest, ['takeProfit', 'stopLoss', 'trailingStop', 'tpslMode']), { takeProfit: '0', stopLoss: '56000', trailingStop: '500', tpslMode: 'Full' });

    // The position closes: its legs are cancelled (CancelByTpSlTsClear) and the position shows none.
    const ordersBefore = await count(s, 'order');
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Market', qty: '0.001', reduceOnly: true });
    const closed = await pushed(s, 'position', 0);
    assert.deepEqual(pick(closed.at(-1)!, ['side', 'size', 'takeProfit', 'stopLoss', 'trailingStop']), { side: '', size: '0', takeProfit: '0', stopLoss: '0', trailingStop: '0' });
    const cancelled = (await pushed(s, 'order', ordersBefore)).filter((r) => r.stopOrderType !== '');
    assert.deepEqual(cancelled.map((r) => [r.stopOrderType, r.orderStatus, r.cancelType]).sort(),
      [['StopLoss', 'Deactivated', 'CancelByTpSlTsClear'], ['TrailingStop', 'Deactivated', 'CancelByTpSlTsClear']]);
    assert.deepEqual(view(a).conditionals, []);
    assert.deepEqual(await legs(), []);
  });

  it('a take profit fires at the last price: Triggered, its order fills (CreateByTakeProfit), the stop loss is Deactivated (CancelByOCOSlCanceledByTpTriggered), the position is flat', async () => {
    const a = await account('1000');
    const s = await f.stream(a, ['order', 'position', 'execution']);
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty: '0.001', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001' });
    await a.rest.must('/v5/position/trading-stop', { ...BTC, tpslMode: 'Full', positionIdx: 0, takeProfit: '61000', stopLoss: '59000' });
    const [tp, sl] = ['TAKE_PROFIT', 'STOP_LOSS'].map((kind) => view(a).conditionals.find((c) => c.kind === kind)!);
    assert.ok(tp !== undefined && sl !== undefined);
    const ordersBefore = await count(s, 'order');
    // A bid for the take profit's market sell, then a trade at 61000.
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '60900' });
    await tradeAt('61000', '0.001', '0.001', 'Buy');
    const fired = await pushed(s, 'order', ordersBefore);
    const of = (id: number) => fired.filter((r) => r.orderId === String(id)).map((r) => [r.orderStatus, r.stopOrderType, r.createType, r.cancelType, r.closeOnTrigger]);
    assert.deepEqual(of(tp.conditionalId), [
      ['Triggered', 'TakeProfit', 'CreateByTakeProfit', 'UNKNOWN', true],
      ['New', 'TakeProfit', 'CreateByTakeProfit', 'UNKNOWN', true],
      ['Filled', 'TakeProfit', 'CreateByTakeProfit', 'UNKNOWN', true],
    ]);
    assert.deepEqual(of(sl.conditionalId), [['Deactivated', 'StopLoss', 'CreateByStopLoss', 'CancelByOCOSlCanceledByTpTriggered', true]]);
    const execution = (await pushed(s, 'execution', 0)).at(-1)!;
    assert.deepEqual([execution.orderId, execution.side, execution.execPrice, execution.createType, execution.stopOrderType], [String(tp.conditionalId), 'Sell', '60900', 'CreateByTakeProfit', 'TakeProfit']);
    assert.deepEqual(pick((await pushed(s, 'position', 0)).at(-1)!, ['size', 'takeProfit', 'stopLoss']), { size: '0', takeProfit: '0', stopLoss: '0' });
    assert.equal(position(a)!.qty, 0);
  });

  it('a trigger refused for margin: the placed order is Rejected (same orderId), nothing else changes', async () => {
    const a = await account('10');
    const s = await f.stream(a, ['order', 'position', 'wallet']);
    // 0.01 BTC at 61500 needs ≈ 30.8 USDT at leverage 20: accepted (conditional orders hold no margin), refused at the trigger.
    const { orderId } = await a.rest.must<{ orderId: string }>('/v5/order/create',
      { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.01', triggerPrice: '61500', triggerDirection: 1 });
    const before = json({ wallets: view(a).wallets, positions: view(a).positions, orders: view(a).orders });
    const ordersBefore = await count(s, 'order');
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty: '0.02', price: '61500' });
    await taker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001' });
    const refused = await pushed(s, 'order', ordersBefore);
    assert.ok(refused.length >= 1, 'a push for the refused trigger');
    assert.deepEqual(refused.map((r) => [r.orderId, r.orderStatus, r.stopOrderType]).at(-1), [orderId, 'Rejected', 'Stop']);
    assert.ok(refused.every((r) => r.orderId === orderId && r.cumExecQty === '0'));
    assert.equal(json({ wallets: view(a).wallets, positions: view(a).positions, orders: view(a).orders }), before);
    assert.equal(s.pushes('wallet').length, 0);
    assert.deepEqual(view(a).conditionals, []);
    const history = (await a.rest.get<{ list: Row[] }>('/v5/order/history', { ...BTC, orderFilter: 'StopOrder' })).result.list;
    assert.deepEqual(history.map((r) => [r.orderId, r.orderStatus]), [[orderId, 'Rejected']]);
  });

  it('a mark-price plan order, amended; cancel-all StopOrder + stopOrderType=Stop cancels plans only; the mark crosses: Triggered, then a resting order', async () => {
    const a = await account('1000');
    const s = await f.stream(a, ['order']);
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty: '0.001', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001', takeProfit: '65000' });
    const plan = { ...BTC, side: 'Buy', orderType: 'Limit', price: '59000', qty: '0.001', triggerBy: 'MarkPrice', triggerDirection: 2 };
    const { orderId: first } = await a.rest.must<{ orderId: string }>('/v5/order/create', { ...plan, triggerPrice: '59500' });
    const { orderId: second } = await a.rest.must<{ orderId: string }>('/v5/order/create', { ...plan, triggerPrice: '59400' });
    const ordersBefore = await count(s, 'order');
    await a.rest.must('/v5/order/amend', { ...BTC, orderId: second, triggerPrice: '59300', qty: '0.002' });
    const amended = await pushed(s, 'order', ordersBefore);
    assert.deepEqual(amended.map((r) => [r.orderId, r.orderStatus, r.triggerPrice, r.qty, r.triggerBy]), [[second, 'Untriggered', '59300', '0.002', 'MarkPrice']]);
    const c = view(a).conditionals.find((x) => String(x.conditionalId) === second)!;
    assert.deepEqual([c.triggerPrice, c.qty], [593_000, 20]);

    const cancelled = await a.rest.must<{ list: Row[] }>('/v5/order/cancel-all', { ...BTC, orderFilter: 'StopOrder', stopOrderType: 'Stop' });
    assert.deepEqual(cancelled.list.map((r) => r.orderId).sort(), [first, second].sort());
    assert.deepEqual(view(a).conditionals.map((x) => x.kind), ['TAKE_PROFIT'], 'TP/SL legs stay');
    const takeProfitId = String(view(a).conditionals[0]!.conditionalId);

    const { orderId: third } = await a.rest.must<{ orderId: string }>('/v5/order/create', { ...plan, triggerPrice: '59500' });
    const before = await count(s, 'order');
    await f.admin.markPrice('btc_usdt', '59500');
    const fired = await pushed(s, 'order', before);
    assert.deepEqual(fired.map((r) => [r.orderId, r.orderStatus, r.orderType, r.price, r.triggerBy]),
      [[third, 'Triggered', 'Limit', '59000', 'MarkPrice'], [third, 'New', 'Limit', '59000', 'MarkPrice']]);
    const open = (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderFilter: 'Order' })).result.list;
    assert.deepEqual(open.map((r) => [r.orderId, r.orderStatus, r.stopOrderType]), [[third, 'New', 'Stop']]);
    await a.rest.must('/v5/order/cancel', { ...BTC, orderId: third });
    const all = await a.rest.must<{ list: Row[] }>('/v5/order/cancel-all', { ...BTC });
    assert.deepEqual(all.list.map((r) => r.orderId), [takeProfitId]);
    assert.deepEqual(view(a).conditionals, [], 'cancel-all without orderFilter cancels the TP/SL legs too');
    assert.deepEqual(view(a).orders, []);
  });

  /** A fresh account holding `qty` BTC long at 60000, with an order and position stream. */
  async function long(qty: string): Promise<{ a: BybitAccount; s: BybitStream }> {
    const a = await account('1000');
    const s = await f.stream(a, ['order', 'position']);
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty, price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty });
    return { a, s };
  }

  it('a trailing stop (trading-stop trailingStop, no activePrice): it follows the last price up and fires on the retrace, closing the whole position (CreateByTrailingStop)', async () => {
    const { a, s } = await long('0.002');
    await a.rest.must('/v5/position/trading-stop', { ...BTC, tpslMode: 'Full', positionIdx: 0, trailingStop: '500' });
    const [trailing] = view(a).conditionals;
    assert.deepEqual([trailing?.kind, trailing?.callbackAmount, trailing?.activated, trailing?.triggerPrice], ['TRAILING', 5_000, true, 595_000]);
    const listed = (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderFilter: 'StopOrder' })).result.list;
    assert.deepEqual(listed.map((r) => [r.stopOrderType, r.orderStatus, r.triggerPrice, r.qty, r.side, r.closeOnTrigger]), [['TrailingStop', 'Untriggered', '', '0', 'Sell', true]],
      'no activation price: triggerPrice (its activation price, as Bybit documents it) is empty');
    await tradeAt('61000', '0.001', '0.001', 'Buy');
    assert.equal(view(a).conditionals[0]!.triggerPrice, 605_000, 'the best price 61000 less 500');
    const before = await count(s, 'order');
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.003', price: '60500' });
    await taker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Market', qty: '0.001' });
    const fired = await pushed(s, 'order', before);
    assert.deepEqual(fired.map((r) => [r.orderId, r.orderStatus, r.stopOrderType, r.createType, r.qty, r.cumExecQty]), [
      [String(trailing!.conditionalId), 'Triggered', 'TrailingStop', 'CreateByTrailingStop', '0', '0'],
      [String(trailing!.conditionalId), 'New', 'TrailingStop', 'CreateByTrailingStop', '0.002', '0'],
      [String(trailing!.conditionalId), 'Filled', 'TrailingStop', 'CreateByTrailingStop', '0.002', '0.002'],
    ]);
    assert.equal(position(a)!.qty, 0);
    assert.deepEqual(pick((await pushed(s, 'position', 0)).at(-1)!, ['size', 'trailingStop']), { size: '0', trailingStop: '0' });
  });

  it('a close-position plan order (qty "0", reduceOnly, closeOnTrigger) closes what the position holds when it fires', async () => {
    const { a, s } = await long('0.001');
    const { orderId } = await a.rest.must<{ orderId: string }>('/v5/order/create',
      { ...BTC, side: 'Sell', orderType: 'Market', qty: '0', reduceOnly: true, closeOnTrigger: true, triggerPrice: '59000', triggerDirection: 2 });
    const c = view(a).conditionals[0]!;
    assert.deepEqual([String(c.conditionalId), c.closePosition, c.qty], [orderId, true, 0]);
    const row = (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderId })).result.list[0]!;
    assert.deepEqual(pick(row, ['orderStatus', 'qty', 'reduceOnly', 'closeOnTrigger', 'triggerDirection']), { orderStatus: 'Untriggered', qty: '0', reduceOnly: true, closeOnTrigger: true, triggerDirection: 2 });
    // The position grows to 0.002 before the trigger: the order closes all of it.
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty: '0.001', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001' });
    const before = await count(s, 'order');
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.002', price: '58900' });
    await tradeAt('59000', '0.001', '0.001', 'Sell');
    const fired = (await pushed(s, 'order', before)).filter((r) => r.orderId === orderId);
    assert.deepEqual(fired.map((r) => [r.orderStatus, r.qty, r.cumExecQty, r.closeOnTrigger]),
      [['Triggered', '0', '0', true], ['New', '0.002', '0', true], ['Filled', '0.002', '0.002', true]]);
    assert.equal(position(a)!.qty, 0);
  });

  it('Partial TP/SL by trading-stop (tpSize = slSize, a Limit stop loss): PartialTakeProfit / PartialStopLoss rows that shrink with the position; cancel-all OpenOrder leaves closing orders', async () => {
    const { a, s } = await long('0.002');
    await a.rest.must('/v5/position/trading-stop',
      { ...BTC, tpslMode: 'Partial', positionIdx: 0, takeProfit: '62000', stopLoss: '58000', tpSize: '0.002', slSize: '0.002', slOrderType: 'Limit', slLimitPrice: '57900' });
    const legs = async () => (await a.rest.get<{ list: Row[] }>('/v5/order/realtime', { ...BTC, orderFilter: 'StopOrder' })).result.list
      .map((r) => [r.stopOrderType, r.tpslMode, r.qty, r.orderType, r.price, r.triggerPrice, r.closeOnTrigger]).sort();
    assert.deepEqual(await legs(), [
      ['PartialStopLoss', 'Partial', '0.002', 'Limit', '57900', '58000', false],
      ['PartialTakeProfit', 'Partial', '0.002', 'Market', '0', '62000', false],
    ]);
    assert.deepEqual([position(a)!.takeProfitPrice, position(a)!.stopLossPrice], [null, null], 'partial legs are not the position\'s own');
    const before = await count(s, 'order');
    await maker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Market', qty: '0.001', reduceOnly: true });
    const shrunk = (await pushed(s, 'order', before)).filter((r) => r.stopOrderType !== '');
    assert.deepEqual(shrunk.map((r) => [r.stopOrderType, r.orderStatus, r.qty]).sort(), [['PartialStopLoss', 'Untriggered', '0.001'], ['PartialTakeProfit', 'Untriggered', '0.001']]);
    assert.deepEqual((await legs()).map((l) => l[2]), ['0.001', '0.001']);

    const { orderId: opening } = await a.rest.must<{ orderId: string }>('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59000' });
    const { orderId: closing } = await a.rest.must<{ orderId: string }>('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Limit', qty: '0.001', price: '62500', reduceOnly: true });
    const cancelled = await a.rest.must<{ list: Row[] }>('/v5/order/cancel-all', { ...BTC, orderFilter: 'OpenOrder' });
    assert.deepEqual(cancelled.list.map((r) => r.orderId), [opening]);
    assert.deepEqual(view(a).orders.map((o) => String(o.orderId)), [closing]);
    assert.equal(view(a).conditionals.length, 2, 'OpenOrder leaves conditional orders');
    const cancelledLeg = await a.rest.must<{ orderId: string }>('/v5/order/cancel', { ...BTC, orderId: String(view(a).conditionals[0]!.conditionalId), orderFilter: 'StopOrder' });
    assert.equal(view(a).conditionals.some((c) => String(c.conditionalId) === cancelledLeg.orderId), false);
  });
});

function pick(row: Row, keys: string[]): Row {
  return Object.fromEntries(keys.map((k) => [k, row[k]]));
}
