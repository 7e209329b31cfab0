/**
 * Delivery in Bybit's words, crossed on a ManualTime clock with open orders and positions in both
 * delivery contracts: BTCUSDH27 (btc_usd270326, inverse, USD quantities, BTC money) and
 * BTCUSDT-26MAR27 (btc_usdt270326, USDT). Before the delivery time they are Trading futures with
 * their deliveryTime and fee rate; from it Delivering (orders refused, 110063), and at settlement
 * the resting orders end Cancelled (CancelBySettle), each position closes by a CreateBySettle
 * execution (execType Settle inverse, Delivery linear) at the delivery price with the fee, followed
 * by the position and the wallet; then Closed, orders refused 110074, and /v5/market/delivery-price
 * lists the price.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatAmount, parseAmount } from '../../src/engine/fixed.js';
import { ManualTime } from '../support/manual-time.js';
import { BybitFixture, BybitRest, rows, type BybitStream, type Envelope } from './client.js';

const INVERSE = { bybit: 'BTCUSDH27', engine: 'btc_usd270326', category: 'inverse', qty: '300', rest: '100' } as const;
const LINEAR = { bybit: 'BTCUSDT-26MAR27', engine: 'btc_usdt270326', category: 'linear', qty: '0.001', rest: '0.0005' } as const;

describe('bybit delivery: BTCUSDH27 and BTCUSDT-26MAR27 crossed with open orders and positions', () => {
  const time = new ManualTime(MARCH_2027_DELIVERY - 60_000);
  let f: BybitFixture;
  /** Signed with the server's (manual) clock, as a client synchronised with Bybit's time would. */
  const client = (a: { apiKey: string; secret: string }) => {
    const rest = new BybitRest(f.server.url, a.apiKey, a.secret);
    return {
      get: <T = Record<string, unknown>>(path: string, query: Record<string, string | number>): Promise<Envelope<T>> => rest.get<T>(path, query, { timestamp: time.now() }),
      post: <T = Record<string, unknown>>(path: string, body: Record<string, unknown>): Promise<Envelope<T>> => rest.post<T>(path, body, { timestamp: time.now() }),
    };
  };
  type Client = ReturnType<typeof client>;
  type Trader = { accountId: number; apiKey: string; secret: string; rest: Client };
  let long: Trader;
  let short: Trader;
  let stream: BybitStream;
  /** Subscribed to the categorised linear topics only. */
  let linearStream: BybitStream;
  const restingIds: Record<string, string> = {};

  const account = async () => {
    const created = await f.harness.created('10000');
    await f.admin.deposit(created.accountId, '1', 'BTC');
    return { ...created, rest: client(created) };
  };
  const order = (c: typeof INVERSE | typeof LINEAR, side: 'Buy' | 'Sell', qty: string, price: string) =>
    ({ category: c.category, symbol: c.bybit, side, orderType: 'Limit', qty, price });
  const publicGet = async (path: string, query: Record<string, string>): Promise<Envelope<{ list: Record<string, unknown>[] }>> =>
    (await fetch(`${f.server.url}/bybit${path}?${new URLSearchParams(query).toString()}`)).json() as Promise<Envelope<{ list: Record<string, unknown>[] }>>;

  before(async () => {
    f = await BybitFixture.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: time, timers: time, priceTickMs: 0 });
    for (const c of [INVERSE, LINEAR]) {
      // The index (what the delivery price averages) at 61000 for the whole window; the mark at the trade price.
      await f.admin.request('POST', '/index-price', { symbol: c.engine, price: '61000' });
      await f.admin.markPrice(c.engine, '60000');
    }
    long = await account();
    short = await account();
    stream = await f.connect();
    const auth = await stream.auth(long.apiKey, long.secret, time.now() + 10_000);
    assert.equal(auth.success, true, JSON.stringify(auth));
    assert.equal((await stream.subscribe(['position', 'order', 'execution', 'wallet'])).success, true);
    linearStream = await f.connect();
    assert.equal((await linearStream.auth(long.apiKey, long.secret, time.now() + 10_000)).success, true);
    assert.equal((await linearStream.subscribe(['order.linear', 'execution.linear'])).success, true);
    for (const c of [INVERSE, LINEAR]) {
      for (const [who, side] of [[short, 'Sell'], [long, 'Buy']] as const) {
        const reply = await who.rest.post('/v5/order/create', order(c, side, c.qty, '60000'));
        assert.equal(reply.retCode, 0, JSON.stringify(reply));
      }
      const resting = await long.rest.post<{ orderId: string }>('/v5/order/create', order(c, 'Buy', c.rest, '59000'));
      assert.equal(resting.retCode, 0, JSON.stringify(resting));
      restingIds[c.bybit] = resting.result.orderId;
    }
    const conditional = await long.rest.post<{ orderId: string }>('/v5/order/create', {
      ...order(INVERSE, 'Buy', '100', '62000'), orderType: 'Market', triggerPrice: '62000', triggerDirection: 1, price: undefined,
    });
    assert.equal(conditional.retCode, 0, JSON.stringify(conditional));
    restingIds.conditional = conditional.result.orderId;
    // Every push of the set-up is in before a test counts pushes from here.
    await stream.sync();
    await linearStream.sync();
  });
  after(async () => { await f.stop(); });

  it('before: LinearFutures / InverseFutures, Trading, with deliveryTime, deliveryFeeRate and no funding; the positions in their units', async () => {
    const inverse = await publicGet('/v5/market/instruments-info', { category: 'inverse' });
    assert.deepEqual(inverse.result.list.map((i) => [i.symbol, i.contractType, i.status, i.settleCoin, i.deliveryTime, i.deliveryFeeRate, i.fundingInterval]), [
      ['BTCUSD', 'InversePerpetual', 'Trading', 'BTC', '0', '', 480],
      ['BTCUSDH27', 'InverseFutures', 'Trading', 'BTC', String(MARCH_2027_DELIVERY), '0.0001', 0],
    ]);
    assert.deepEqual((inverse.result.list[1]!.lotSizeFilter as Record<string, string>).qtyStep, '100');
    const linear = await publicGet('/v5/market/instruments-info', { category: 'linear' });
    assert.deepEqual(linear.result.list.map((i) => [i.symbol, i.contractType, i.settleCoin, i.deliveryTime, i.deliveryFeeRate]), [
      ['BTCUSDT', 'LinearPerpetual', 'USDT', '0', ''], ['ETHUSDT', 'LinearPerpetual', 'USDT', '0', ''],
      ['BTCUSDT-26MAR27', 'LinearFutures', 'USDT', String(MARCH_2027_DELIVERY), '0.0002'],
    ]);
    const tickers = await publicGet('/v5/market/tickers', { category: 'inverse', symbol: 'BTCUSDH27' });
    assert.deepEqual([tickers.result.list[0]!.deliveryTime, tickers.result.list[0]!.fundingRate], [String(MARCH_2027_DELIVERY), '']);
    const p = await long.rest.get<{ list: Record<string, string>[] }>('/v5/position/list', { category: 'inverse', symbol: 'BTCUSDH27' });
    assert.deepEqual([p.result.list[0]!.size, p.result.list[0]!.positionValue, p.result.list[0]!.side], ['300', '0.005', 'Buy']);
    const wrong = await long.rest.get('/v5/position/list', { category: 'linear', symbol: 'BTCUSDH27' });
    assert.equal(wrong.retCode, 10001);
    assert.match(wrong.retMsg, /symbol invalid/);
  });

  it('at the delivery time: Delivering, every order refused with 110063 and nothing changes', async () => {
    await time.advance(60_000);
    const delivering = await publicGet('/v5/market/instruments-info', { category: 'inverse', status: 'Delivering' });
    assert.deepEqual(delivering.result.list.map((i) => i.symbol), ['BTCUSDH27']);
    const before = f.server.exchange.engine.account(long.accountId)!.view;
    for (const c of [INVERSE, LINEAR]) {
      const refused = await long.rest.post('/v5/order/create', order(c, 'Buy', c.rest, '59000'));
      assert.equal(refused.retCode, 110063, JSON.stringify(refused));
      assert.match(refused.retMsg, /^Settlement in progress!/);
      const amend = await long.rest.post('/v5/order/amend', { category: c.category, symbol: c.bybit, orderId: restingIds[c.bybit], price: '58000' });
      assert.equal(amend.retCode, 110063);
    }
    assert.deepEqual(f.server.exchange.engine.account(long.accountId)!.view, before);
  });

  it('settlement: orders Cancelled (CancelBySettle), a CreateBySettle execution per position, then the position and the wallet', async () => {
    const from = { order: stream.pushes('order').length, execution: stream.pushes('execution').length, position: stream.pushes('position').length, wallet: stream.pushes('wallet').length };
    for (const c of [INVERSE, LINEAR]) {
      const settled = await f.admin.request('POST', '/delivery/settle', { symbol: c.engine });
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
    }
    const orders = (await stream.next('order', from.order, 2)).flatMap(rows);
    assert.deepEqual(orders.map((o) => [o.symbol, o.category, o.orderId, o.orderStatus, o.cancelType, o.leavesQty]), [
      ['BTCUSDH27', 'inverse', restingIds.conditional, 'Deactivated', 'CancelBySettle', '0'],
      ['BTCUSDH27', 'inverse', restingIds.BTCUSDH27, 'Cancelled', 'CancelBySettle', '0'],
      ['BTCUSDT-26MAR27', 'linear', restingIds['BTCUSDT-26MAR27'], 'Cancelled', 'CancelBySettle', '0'],
    ]);
    const executions = (await stream.next('execution', from.execution, 2)).flatMap(rows);
    const view = f.server.exchange.engine.account(long.accountId)!.view;
    const closed = (symbol: string) => view.positions.find((p) => p.symbol === symbol)!;
    assert.deepEqual(executions.map((e) => [e.symbol, e.category, e.execType, e.createType, e.orderId, e.side, e.execPrice, e.execQty, e.closedSize, e.execTime, e.feeCurrency]), [
      ['BTCUSDH27', 'inverse', 'Settle', 'CreateBySettle', '', 'Sell', '61000', '300', '300', String(MARCH_2027_DELIVERY), 'BTC'],
      ['BTCUSDT-26MAR27', 'linear', 'Delivery', 'CreateBySettle', '', 'Sell', '61000', '0.001', '0.001', String(MARCH_2027_DELIVERY), 'USDT'],
    ]);
    // PnL before the fee is the position's realised total (it was never closed before); the fee is the rest of the net.
    for (const [row, symbol] of [[executions[0]!, INVERSE.engine], [executions[1]!, LINEAR.engine]] as const) {
      const p = closed(symbol);
      assert.equal(p.qty, 0);
      assert.equal(row.execPnl, formatAmount(p.realizedPnlTotal));
    }
    // 300 USD at 61000: 0.00491803 BTC, fee 0.0001 of it rounded up; 0.001 BTC at 61000: 61 USDT, fee 0.0002 of it.
    assert.deepEqual([executions[0]!.execValue, executions[0]!.execFee, executions[0]!.feeRate], ['0.00491803', '0.0000005', '0.0001']);
    assert.deepEqual([executions[1]!.execValue, executions[1]!.execFee, executions[1]!.feeRate], ['61', '0.0122', '0.0002']);
    assert.equal(executions[0]!.execPnl, '0.00008196', '300 × (1/60000 − 1/61000) BTC, rounded down');
    assert.equal(executions[1]!.execPnl, '1', '0.001 × (61000 − 60000) USDT');

    // The categorised linear topics carry the linear rows only.
    await linearStream.sync();
    const linearRows = linearStream.pushes().flatMap(rows).filter((r) => r.execType === 'Delivery' || r.cancelType === 'CancelBySettle');
    assert.deepEqual(linearRows.map((r) => [r.symbol, r.category]), [['BTCUSDT-26MAR27', 'linear'], ['BTCUSDT-26MAR27', 'linear']]);
    assert.ok(linearStream.pushes().flatMap(rows).every((r) => r.category === 'linear'));

    await stream.next('position', from.position, 2);
    const positions = stream.pushes('position').slice(from.position).flatMap(rows);
    for (const symbol of ['BTCUSDH27', 'BTCUSDT-26MAR27']) {
      const last = positions.filter((p) => p.symbol === symbol).at(-1)!;
      assert.deepEqual([last.size, last.side], ['0', ''], `${symbol} closed`);
    }
    await stream.next('wallet', from.wallet, 2);
    const coins = stream.pushes('wallet').slice(from.wallet).flatMap(rows).flatMap((w) => w.coin as Record<string, string>[]);
    for (const asset of ['BTC', 'USDT']) {
      const wallet = view.wallets.find((w) => w.asset === asset)!;
      assert.equal(coins.filter((c) => c.coin === asset).at(-1)!.walletBalance, formatAmount(wallet.walletBalance), `${asset} wallet pushed`);
    }
  });

  it('after: Closed, orders refused with 110074, delivery-price and REST rows show the settlement', async () => {
    const closedList = await publicGet('/v5/market/instruments-info', { category: 'linear', status: 'Closed' });
    assert.deepEqual(closedList.result.list.map((i) => [i.symbol, i.status]), [['BTCUSDT-26MAR27', 'Closed']]);
    for (const c of [INVERSE, LINEAR]) {
      const refused = await long.rest.post('/v5/order/create', order(c, 'Buy', c.rest, '59000'));
      assert.equal(refused.retCode, 110074, JSON.stringify(refused));
      assert.match(refused.retMsg, /^This contract is not live/);
      const prices = await publicGet('/v5/market/delivery-price', { category: c.category });
      assert.deepEqual(prices.result.list, [{ symbol: c.bybit, deliveryPrice: '61000', deliveryTime: String(MARCH_2027_DELIVERY) }]);
      const history = await long.rest.get<{ list: Record<string, string>[] }>('/v5/order/history', { category: c.category, symbol: c.bybit, orderId: restingIds[c.bybit]! });
      assert.deepEqual(history.result.list.map((o) => [o.orderStatus, o.cancelType]), [['Cancelled', 'CancelBySettle']]);
      const position = await long.rest.get<{ list: Record<string, string>[] }>('/v5/position/list', { category: c.category, symbol: c.bybit });
      assert.equal(position.result.list[0]!.size, '0');
    }
    // The settlement in the REST history: execution list, closed PnL, transaction log.
    const view = f.server.exchange.engine.account(long.accountId)!.view;
    // The inverse entry is derived from the floored PnL: 0.00499999 + ... BTC, so 60000.12 rather than 60000 (docs/dialects/bybit.md).
    for (const [c, execType, pnl, fee, entry] of [[INVERSE, 'Settle', '0.00008196', '0.0000005', '60000.12'], [LINEAR, 'Delivery', '1', '0.0122', '60000']] as const) {
      const listed = await long.rest.get<{ list: Record<string, unknown>[] }>('/v5/execution/list', { category: c.category, symbol: c.bybit, execType });
      assert.deepEqual(listed.result.list.map((e) => [e.execType, e.createType, e.orderId, e.side, e.execPrice, e.execQty, e.execPnl, e.execFee, e.execTime]),
        [[execType, 'CreateBySettle', '', 'Sell', '61000', c.qty, pnl, fee, String(MARCH_2027_DELIVERY)]], `${c.bybit} execution list`);
      const trades = await long.rest.get<{ list: Record<string, unknown>[] }>('/v5/execution/list', { category: c.category, symbol: c.bybit, execType: 'Trade' });
      assert.equal(trades.result.list.length, 1, 'the opening fill only');
      const closedPnl = await long.rest.get<{ list: Record<string, string>[] }>('/v5/position/closed-pnl', { category: c.category, symbol: c.bybit });
      const row = closedPnl.result.list[0]!;
      assert.deepEqual([row.execType, row.side, row.closedSize, row.avgExitPrice, row.avgEntryPrice, row.closeFee, row.orderId], [execType, 'Sell', c.qty, '61000', entry, fee, '']);
      const p = view.positions.find((x) => x.symbol === c.engine)!;
      assert.equal(row.closedPnl, formatAmount(p.realizedPnlTotal - parseAmount(fee)), 'the delivery PnL net of the delivery fee');
    }
    const log = await long.rest.get<{ list: Record<string, string>[] }>('/v5/account/transaction-log', { type: 'DELIVERY' });
    assert.deepEqual(log.result.list.map((r) => [r.symbol, r.category, r.type, r.qty, r.cashFlow, r.fee, r.currency]), [
      ['BTCUSDT-26MAR27', 'linear', 'DELIVERY', '0.001', '1', '0.0122', 'USDT'], ['BTCUSDH27', 'inverse', 'DELIVERY', '300', '0.00008196', '0.0000005', 'BTC'],
    ]);
    const wrongCategory = await publicGet('/v5/market/delivery-price', { category: 'linear', symbol: 'BTCUSDH27' });
    assert.equal(wrongCategory.retCode, 10001);
    const shortView = f.server.exchange.engine.account(short.accountId)!.view;
    assert.deepEqual(shortView.positions.filter((p) => p.qty !== 0).map((p) => p.symbol), [], 'the short side was delivered too');
  });
});
