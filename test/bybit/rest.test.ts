/**
 * The Bybit v5 REST front door over real HTTP: signing and its errors, market data, the unified
 * wallet, positions, orders (create / amend / cancel / cancel-all / lists), executions, leverage,
 * position mode and margin mode, each checked against the engine's own state. BTCUSDT here is
 * the engine's btc_usdt: tick 0.1, contract 0.0001 BTC (qtyStep), maker 0.0002, taker 0.0006.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAmount } from '../../src/engine/fixed.js';
import { BybitFixture, type BybitAccount } from './client.js';

const BTC = { category: 'linear', symbol: 'BTCUSDT' };
const limit = (side: 'Buy' | 'Sell', qty: string, price: string, extra: Record<string, unknown> = {}) =>
  ({ ...BTC, side, orderType: 'Limit', qty, price, ...extra });

describe('bybit REST: signing, market data', () => {
  let f: BybitFixture;
  let a: BybitAccount;
  before(async () => {
    f = await BybitFixture.start();
    a = await f.account();
  });
  after(async () => { await f.stop(); });

  it('GET /v5/market/time: seconds and nanoseconds of the server clock, in the v5 envelope', async () => {
    const before = Date.now();
    const response = await fetch(`${f.server.url}/bybit/v5/market/time`);
    const body = (await response.json()) as { retCode: number; retMsg: string; result: { timeSecond: string; timeNano: string }; retExtInfo: object; time: number };
    assert.deepEqual(Object.keys(body), ['retCode', 'retMsg', 'result', 'retExtInfo', 'time']);
    assert.equal(body.retCode, 0);
    assert.equal(body.retMsg, 'OK');
    assert.ok(body.time >= before);
    assert.equal(body.result.timeNano, `${body.time}000000`);
    assert.equal(body.result.timeSecond, String(Math.floor(body.time / 1000)));
  });

  it('instruments-info: linear perpetuals in base units; PreLaunch and other categories are empty; bad input is 10001', async () => {
    const get = async (query: string) => (await (await fetch(`${f.server.url}/bybit/v5/market/instruments-info?${query}`)).json()) as
      { retCode: number; retMsg: string; result: { category: string; list: Record<string, unknown>[]; nextPageCursor: string } };
    const linear = await get('category=linear&limit=1000');
    assert.equal(linear.retCode, 0);
    assert.equal(linear.result.category, 'linear');
    assert.equal(linear.result.nextPageCursor, '');
    assert.deepEqual(linear.result.list.map((i) => i.symbol), ['BTCUSDT', 'ETHUSDT']);
    const btc = linear.result.list[0]!;
    assert.equal(btc.contractType, 'LinearPerpetual');
    assert.equal(btc.status, 'Trading');
    assert.deepEqual([btc.baseCoin, btc.quoteCoin, btc.settleCoin], ['BTC', 'USDT', 'USDT']);
    assert.deepEqual(btc.lotSizeFilter, { maxOrderQty: '100', minOrderQty: '0.0001', qtyStep: '0.0001', postOnlyMaxOrderQty: '100', maxMktOrderQty: '100', minNotionalValue: '0' });
    assert.deepEqual(btc.priceFilter, { minPrice: '0.1', maxPrice: '10000000', tickSize: '0.1' });
    assert.deepEqual(btc.leverageFilter, { minLeverage: '1', maxLeverage: '125', leverageStep: '1' });
    assert.deepEqual([btc.makerFee, btc.takerFee, btc.priceScale], ['0.0002', '0.0006', '1']);
    assert.deepEqual((await get('category=linear&status=PreLaunch')).result.list, []);
    assert.deepEqual((await get('category=inverse')).result.list, []);
    assert.deepEqual((await get('category=linear&symbol=ETHUSDT')).result.list.map((i) => i.symbol), ['ETHUSDT']);
    const paged = await get('category=linear&limit=1');
    assert.equal(paged.result.list.length, 1);
    assert.equal(paged.result.nextPageCursor, '1');
    assert.deepEqual((await get('category=linear&limit=1&cursor=1')).result.list.map((i) => i.symbol), ['ETHUSDT']);
    const bad = await get('category=futures');
    assert.equal(bad.retCode, 10001);
    assert.match(bad.retMsg, /^params error: category must be one of/);
    assert.equal((await get('')).retCode, 10001);
  });

  it('signing: unknown key 10003, bad signature 10004 (with the origin string), stale or future timestamp 10002, missing key 10003', async () => {
    const wallet = '/v5/account/wallet-balance';
    const query = { accountType: 'UNIFIED' };
    assert.equal((await a.rest.get(wallet, query)).retCode, 0);
    const unknown = await a.rest.get(wallet, query, { apiKey: 'no-such-key' });
    assert.equal(unknown.retCode, 10003);
    assert.match(unknown.retMsg, /^API key is invalid/);
    const badSign = await a.rest.get(wallet, query, { secret: 'wrong' });
    assert.equal(badSign.retCode, 10004);
    assert.match(badSign.retMsg, /^error sign! origin_string\[\d+[0-9a-f]{32}5000accountType=UNIFIED\]$/);
    const stale = await a.rest.get(wallet, query, { timestamp: Date.now() - 6_000 });
    assert.equal(stale.retCode, 10002);
    assert.match(stale.retMsg, /recv_window\[5000\]/);
    assert.equal((await a.rest.get(wallet, query, { timestamp: Date.now() - 6_000, recvWindow: '10000' })).retCode, 0, 'a wider receive window accepts it');
    assert.equal((await a.rest.get(wallet, query, { timestamp: Date.now() + 5_000 })).retCode, 10002);
    const bare = (await (await fetch(`${f.server.url}/bybit${wallet}?accountType=UNIFIED`)).json()) as { retCode: number };
    assert.equal(bare.retCode, 10003);
    // POST signs the raw body: a body changed after signing is refused
    const body = JSON.stringify(limit('Buy', '0.001', '50000'));
    const headers = a.rest.headers('POST', '', body);
    const tampered = await fetch(`${f.server.url}/bybit/v5/order/create`, { method: 'POST', headers, body: body.replace('0.001', '0.002') });
    assert.equal(((await tampered.json()) as { retCode: number }).retCode, 10004);
    assert.equal(f.server.exchange.engine.account(a.accountId)!.view.orders.length, 0, 'nothing was placed');
  });

  it('unknown path: HTTP 404 with 10017', async () => {
    const response = await fetch(`${f.server.url}/bybit/v5/nothing/here`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { retCode: number }).retCode, 10017);
  });
});

describe('bybit REST: orders, executions, wallet, positions', () => {
  let f: BybitFixture;
  before(async () => {
    f = await BybitFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
  });
  afterEach(async () => {
    for (const config of f.server.exchange.engine.symbols()) {
      for (let id = 1; id <= 40; id++) {
        if (f.server.exchange.engine.account(id) !== undefined) await f.server.exchange.execute({ type: 'cancelAll', accountId: id, symbol: config.symbol });
      }
    }
  });
  after(async () => { await f.stop(); });

  const view = (a: BybitAccount) => f.server.exchange.engine.account(a.accountId)!.view;

  it('create: base qty → contracts, the order in the engine; realtime lists it with every field ccxt reads', async () => {
    const a = await f.account();
    const created = await a.rest.post<{ orderId: string; orderLinkId: string }>('/v5/order/create', limit('Buy', '0.001', '59000', { orderLinkId: 'link-1' }));
    assert.equal(created.retCode, 0);
    const engine = view(a).orders[0]!;
    assert.deepEqual(created.result, { orderId: String(engine.orderId), orderLinkId: 'link-1' });
    assert.deepEqual([engine.qty, engine.price, engine.side, engine.positionSide, engine.timeInForce], [10, 590_000, 'BUY', 'BOTH', 'GTC']);
    const open = await a.rest.get<{ list: Record<string, unknown>[]; nextPageCursor: string }>('/v5/order/realtime', { category: 'linear', settleCoin: 'USDT' });
    assert.equal(open.retCode, 0);
    assert.deepEqual(open.retExtInfo, { seq: f.server.exchange.engine.account(a.accountId)!.seq, epoch: f.server.exchange.epoch });
    const row = open.result.list[0]!;
    assert.deepEqual({
      orderId: row.orderId, orderLinkId: row.orderLinkId, symbol: row.symbol, side: row.side, orderType: row.orderType, price: row.price, qty: row.qty,
      orderStatus: row.orderStatus, timeInForce: row.timeInForce, leavesQty: row.leavesQty, leavesValue: row.leavesValue, cumExecQty: row.cumExecQty,
      cumExecValue: row.cumExecValue, avgPrice: row.avgPrice, positionIdx: row.positionIdx, reduceOnly: row.reduceOnly, createType: row.createType,
      cancelType: row.cancelType, rejectReason: row.rejectReason, cumFeeDetail: row.cumFeeDetail, tpslMode: row.tpslMode,
      createdTime: row.createdTime, updatedTime: row.updatedTime,
    }, {
      orderId: String(engine.orderId), orderLinkId: 'link-1', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', price: '59000', qty: '0.001',
      orderStatus: 'New', timeInForce: 'GTC', leavesQty: '0.001', leavesValue: '59', cumExecQty: '0', cumExecValue: '0', avgPrice: '',
      positionIdx: 0, reduceOnly: false, createType: 'CreateByUser', cancelType: 'UNKNOWN', rejectReason: 'EC_NoError', cumFeeDetail: {}, tpslMode: '',
      createdTime: String(engine.createTime), updatedTime: String(engine.updateTime),
    });
    assert.deepEqual((await a.rest.get<{ list: unknown[] }>('/v5/order/realtime', { category: 'linear', symbol: 'ETHUSDT' })).result.list, []);
    const byLink = await a.rest.get<{ list: { orderId: string }[] }>('/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'link-1' });
    assert.deepEqual(byLink.result.list.map((o) => o.orderId), [String(engine.orderId)]);
  });

  it('create refusals in Bybit\'s codes, and none of them changes the account', async () => {
    const a = await f.account('10');
    const before = JSON.stringify(view(a), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const expect = async (body: Record<string, unknown>, retCode: number, message: RegExp) => {
      const reply = await a.rest.post('/v5/order/create', body);
      assert.equal(reply.retCode, retCode, `${JSON.stringify(body)} → ${JSON.stringify(reply)}`);
      assert.match(reply.retMsg, message);
    };
    await expect(limit('Buy', '0.00015', '59000'), 10001, /qty 0\.00015 is invalid: send a multiple of the qtyStep 0\.0001/);
    await expect(limit('Buy', '0', '59000'), 10001, /qty 0 is invalid/);
    await expect(limit('Buy', '0.001', '59000.05'), 10001, /price is not a multiple of the tick size 0\.1: send a price from 0\.1 to 10000000 in steps of 0\.1/);
    await expect(limit('Buy', '0.001', '59000', { positionIdx: 1 }), 10001, /position idx not match position mode/);
    await expect({ ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001', timeInForce: 'PostOnly' }, 10001, /cannot be PostOnly/);
    await expect(limit('Buy', '0.001', '59000', { triggerPrice: '61000', triggerDirection: 3 }), 10001, /triggerDirection must be 1 .* or 2/);
    await expect(limit('Buy', '0.001', '59000', { triggerBy: 'MarkPrice' }), 10001, /triggerBy is a conditional order parameter: send triggerPrice with it/);
    await expect({ ...limit('Buy', '0.001', '59000'), side: 'Hold' }, 10001, /side must be one of Buy, Sell/);
    await expect({ ...limit('Buy', '0.001', '59000'), symbol: 'BTC-PERP' }, 10001, /symbol invalid: BTC-PERP/);
    await expect({ ...limit('Buy', '0.001', '59000'), category: 'inverse' }, 10001, /symbol invalid: BTCUSDT is not listed under category=inverse/);
    await expect(limit('Buy', '0.1', '59000'), 110007, /Available balance is insufficient/);
    await expect(limit('Sell', '0.001', '61000', { reduceOnly: true }), 110017, /Reduce-only rule not satisfied/);
    await expect(limit('Buy', '0.001', '70000'), 110003, /allowable range/);
    const after = JSON.stringify(view(a), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    assert.equal(after.replace(/"orders":\[[^\]]*\]/, ''), before.replace(/"orders":\[[^\]]*\]/, ''), 'wallet and positions unchanged');
    assert.deepEqual(view(a).orders, []);
  });

  it('orderLinkId reuse is 110072; a post-only order that would take is accepted, then Cancelled (EC_PostOnlyWillTakeLiquidity)', async () => {
    const a = await f.account();
    const b = await f.account();
    await a.rest.must('/v5/order/create', limit('Buy', '0.001', '59000', { orderLinkId: 'dup' }));
    const dup = await a.rest.post('/v5/order/create', limit('Buy', '0.001', '58000', { orderLinkId: 'dup' }));
    assert.equal(dup.retCode, 110072);
    await b.rest.must('/v5/order/create', limit('Sell', '0.001', '60000'));
    const post = await a.rest.must<{ orderId: string }>('/v5/order/create', limit('Buy', '0.001', '60000', { timeInForce: 'PostOnly' }));
    const history = await a.rest.get<{ list: Record<string, unknown>[] }>('/v5/order/history', { category: 'linear', orderId: post.orderId });
    const row = history.result.list[0]!;
    assert.deepEqual([row.orderStatus, row.rejectReason, row.timeInForce, row.cumExecQty], ['Cancelled', 'EC_PostOnlyWillTakeLiquidity', 'PostOnly', '0']);
  });

  it('a fill: execution/list and order history agree with the engine (fees, values, maker/taker)', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const made = await maker.rest.must<{ orderId: string }>('/v5/order/create', limit('Sell', '0.002', '60000'));
    const took = await taker.rest.must<{ orderId: string }>('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.0015' });
    const trade = f.server.exchange.history.trades(taker.accountId)[0]!;
    const execs = await taker.rest.get<{ list: Record<string, unknown>[]; nextPageCursor: string }>('/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT', execType: 'Trade' });
    assert.equal(execs.retCode, 0);
    const e = execs.result.list[0]!;
    assert.deepEqual({
      execId: e.execId, orderId: e.orderId, side: e.side, execPrice: e.execPrice, execQty: e.execQty, execValue: e.execValue, execFee: e.execFee,
      feeRate: e.feeRate, isMaker: e.isMaker, execType: e.execType, execTime: e.execTime, orderType: e.orderType, createType: e.createType,
      orderQty: e.orderQty, leavesQty: e.leavesQty, seq: e.seq, feeCurrency: e.feeCurrency, markPrice: e.markPrice,
    }, {
      execId: String(trade.tradeId), orderId: took.orderId, side: 'Buy', execPrice: '60000', execQty: '0.0015', execValue: '90', execFee: '0.054',
      feeRate: '0.0006', isMaker: false, execType: 'Trade', execTime: String(trade.time), orderType: 'Market', createType: 'CreateByUser',
      orderQty: '0.0015', leavesQty: '0', seq: trade.cmdSeq, feeCurrency: 'USDT', markPrice: '60000',
    });
    assert.equal(formatAmount(trade.fee), '0.054');
    assert.deepEqual((await taker.rest.get<{ list: unknown[] }>('/v5/execution/list', { category: 'linear', execType: 'Funding' })).result.list, []);
    const makerExec = (await maker.rest.get<{ list: Record<string, unknown>[] }>('/v5/execution/list', { category: 'linear' })).result.list[0]!;
    assert.deepEqual([makerExec.isMaker, makerExec.execFee, makerExec.feeRate, makerExec.orderQty, makerExec.leavesQty], [true, '0.018', '0.0002', '0.002', '0.0005']);
    const hist = await maker.rest.get<{ list: Record<string, unknown>[] }>('/v5/order/history', { category: 'linear', orderId: made.orderId });
    const h = hist.result.list[0]!;
    assert.deepEqual([h.orderStatus, h.cumExecQty, h.leavesQty, h.avgPrice, h.cumExecValue, h.cumExecFee, h.cumFeeDetail], ['PartiallyFilled', '0.0015', '0.0005', '60000', '90', '0.018', { USDT: '0.018' }]);
    const takerHist = await taker.rest.get<{ list: Record<string, unknown>[] }>('/v5/order/history', { category: 'linear', orderStatus: 'Filled' });
    assert.deepEqual(takerHist.result.list.map((o) => [o.orderId, o.orderStatus, o.timeInForce]), [[took.orderId, 'Filled', 'IOC']]);
  });

  it('wallet-balance: the unified account\'s USDT row equals the engine wallet; accountType other than UNIFIED is 10001', async () => {
    const maker = await f.account();
    const taker = await f.account();
    await maker.rest.must('/v5/order/create', limit('Sell', '0.001', '60000'));
    await taker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001' });
    await taker.rest.must('/v5/order/create', limit('Buy', '0.001', '59000'));
    await f.admin.markPrice('btc_usdt', '60500');
    const reply = await taker.rest.get<{ list: Record<string, unknown>[] }>('/v5/account/wallet-balance', { accountType: 'UNIFIED' });
    assert.equal(reply.retCode, 0);
    const account = reply.result.list[0]!;
    const coin = (account.coin as Record<string, unknown>[])[0]!;
    const w = view(taker).wallets[0]!;
    const p = view(taker).positions.find((x) => x.symbol === 'btc_usdt')!;
    assert.equal(p.unrealizedPnl, 50_000_000n); // 10 contracts × 500 USDT move × 0.0001
    assert.deepEqual({
      coin: coin.coin, walletBalance: coin.walletBalance, equity: coin.equity, availableToWithdraw: coin.availableToWithdraw, locked: coin.locked,
      totalPositionIM: coin.totalPositionIM, totalOrderIM: coin.totalOrderIM, totalPositionMM: coin.totalPositionMM, unrealisedPnl: coin.unrealisedPnl,
      cumRealisedPnl: coin.cumRealisedPnl,
    }, {
      coin: 'USDT', walletBalance: formatAmount(w.walletBalance), equity: formatAmount(w.walletBalance + p.unrealizedPnl),
      availableToWithdraw: formatAmount(w.availableBalance), locked: '0', totalPositionIM: formatAmount(w.crossedMargin + w.isolatedMargin),
      totalOrderIM: formatAmount(w.openOrderMarginFrozen), totalPositionMM: formatAmount(p.maintenanceMargin), unrealisedPnl: '0.5', cumRealisedPnl: '-0.036',
    });
    assert.deepEqual([coin.walletBalance, coin.totalPositionIM, coin.totalOrderIM], ['999.964', '3', '2.9854']);
    assert.deepEqual([account.accountType, account.totalWalletBalance, account.totalEquity, account.totalPerpUPL, account.totalAvailableBalance],
      ['UNIFIED', '999.964', '1000.464', '0.5', formatAmount(w.availableBalance)]);
    const bad = await taker.rest.get('/v5/account/wallet-balance', { accountType: 'CONTRACT' });
    assert.equal(bad.retCode, 10001);
    await f.admin.markPrice('btc_usdt', '60000');
  });

  it('position list: by symbol (an empty row when there is none), by settleCoin (open positions only), every seed-003 field', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const none = await taker.rest.get<{ list: Record<string, unknown>[]; category: string }>('/v5/position/list', { category: 'linear', symbol: 'ETHUSDT' });
    assert.equal(none.retCode, 0);
    assert.deepEqual(none.result.list.map((p) => [p.symbol, p.side, p.size, p.positionIdx, p.leverage]), [['ETHUSDT', '', '0', 0, '20']]);
    assert.deepEqual((await taker.rest.get<{ list: unknown[] }>('/v5/position/list', { category: 'linear', settleCoin: 'USDT' })).result.list, []);
    assert.equal((await taker.rest.get('/v5/position/list', { category: 'linear' })).retCode, 10001);
    await maker.rest.must('/v5/order/create', limit('Sell', '0.002', '60000'));
    await taker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.002' });
    const list = await taker.rest.get<{ list: Record<string, unknown>[] }>('/v5/position/list', { category: 'linear', settleCoin: 'USDT' });
    assert.equal(list.result.list.length, 1);
    const row = list.result.list[0]!;
    const p = view(taker).positions.find((x) => x.symbol === 'btc_usdt')!;
    for (const field of ['positionIdx', 'riskId', 'symbol', 'side', 'size', 'leverage', 'markPrice', 'positionIM', 'positionMM', 'takeProfit', 'stopLoss',
      'trailingStop', 'positionValue', 'unrealisedPnl', 'cumRealisedPnl', 'createdTime', 'updatedTime', 'tpslMode', 'sessionAvgPrice', 'version',
      'liqPrice', 'bustPrice', 'positionStatus', 'positionBalance', 'autoAddMargin', 'curRealisedPnl', 'tradeMode', 'adlRankIndicator', 'seq', 'avgPrice']) {
      assert.ok(field in row, `position row has ${field}`);
    }
    assert.deepEqual({
      side: row.side, size: row.size, avgPrice: row.avgPrice, positionValue: row.positionValue, positionBalance: row.positionBalance, leverage: row.leverage,
      markPrice: row.markPrice, curRealisedPnl: row.curRealisedPnl, cumRealisedPnl: row.cumRealisedPnl, positionStatus: row.positionStatus,
      adlRankIndicator: row.adlRankIndicator, version: row.version, seq: row.seq, liqPrice: row.liqPrice, openTime: row.openTime, tradeMode: row.tradeMode,
    }, {
      side: 'Buy', size: '0.002', avgPrice: '60000', positionValue: '120', positionBalance: formatAmount(p.margin), leverage: '20', markPrice: '60000',
      curRealisedPnl: '-0.072', cumRealisedPnl: '-0.072', positionStatus: 'Normal', adlRankIndicator: 1,
      version: f.server.exchange.engine.account(taker.accountId)!.seq, seq: f.server.exchange.engine.cmdSeq, liqPrice: '', openTime: p.openTime, tradeMode: 0,
    });
    assert.equal(row.positionBalance, '6');
    // break-even: (120 + 0.072) / (0.002 × (1 − 0.0006)) = 60072.04322...
    assert.equal(row.breakEvenPrice, '60072.04323');
  });

  it('amend: qty and price change the engine order; refusals 110064, 110001, 10001', async () => {
    const a = await f.account();
    const created = await a.rest.must<{ orderId: string }>('/v5/order/create', limit('Buy', '0.001', '59000', { orderLinkId: 'am-1' }));
    const amended = await a.rest.post<{ orderId: string; orderLinkId: string }>('/v5/order/amend', { ...BTC, orderId: created.orderId, qty: '0.002', price: '59500' });
    assert.equal(amended.retCode, 0);
    assert.deepEqual(amended.result, { orderId: created.orderId, orderLinkId: 'am-1' });
    const o = view(a).orders[0]!;
    assert.deepEqual([o.qty, o.price], [20, 595_000]);
    assert.equal((await a.rest.post('/v5/order/amend', { ...BTC, orderLinkId: 'am-1', price: '59400' })).retCode, 0, 'by orderLinkId');
    assert.equal(view(a).orders[0]!.price, 594_000);
    assert.equal((await a.rest.post('/v5/order/amend', { ...BTC, orderId: '999999', qty: '0.002' })).retCode, 110001);
    assert.equal((await a.rest.post('/v5/order/amend', { ...BTC, orderId: created.orderId })).retCode, 10001);
    const same = await a.rest.post('/v5/order/amend', { ...BTC, orderId: created.orderId, price: '59400' });
    assert.equal(same.retCode, 10001);
    assert.match(same.retMsg, /remains unchanged/);
    const far = await a.rest.post('/v5/order/amend', { ...BTC, orderId: created.orderId, price: '70000' });
    assert.equal(far.retCode, 110003);
  });

  it('amend below the filled quantity is 110064', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const made = await maker.rest.must<{ orderId: string }>('/v5/order/create', limit('Sell', '0.002', '60000'));
    await taker.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001' });
    const reply = await maker.rest.post('/v5/order/amend', { ...BTC, orderId: made.orderId, qty: '0.001' });
    assert.equal(reply.retCode, 110064);
  });

  it('cancel: by id or link id; unknown is 110001, finished is 110008; cancel-all lists what it cancelled', async () => {
    const a = await f.account();
    const one = await a.rest.must<{ orderId: string }>('/v5/order/create', limit('Buy', '0.001', '59000', { orderLinkId: 'c-1' }));
    const cancelled = await a.rest.post('/v5/order/cancel', { ...BTC, orderLinkId: 'c-1' });
    assert.deepEqual([cancelled.retCode, cancelled.result], [0, { orderId: one.orderId, orderLinkId: 'c-1' }]);
    assert.equal((await a.rest.post('/v5/order/cancel', { ...BTC, orderId: one.orderId })).retCode, 110008);
    assert.equal((await a.rest.post('/v5/order/cancel', { ...BTC, orderId: '424242' })).retCode, 110001);
    assert.equal((await a.rest.post('/v5/order/cancel', { ...BTC })).retCode, 10001);
    const x = await a.rest.must<{ orderId: string }>('/v5/order/create', limit('Buy', '0.001', '58000'));
    const y = await a.rest.must<{ orderId: string }>('/v5/order/create', limit('Buy', '0.002', '58100'));
    const all = await a.rest.post<{ list: { orderId: string }[]; success: string }>('/v5/order/cancel-all', { category: 'linear', settleCoin: 'USDT' });
    assert.equal(all.retCode, 0);
    assert.equal(all.result.success, '1');
    assert.deepEqual(all.result.list.map((o) => o.orderId).sort(), [x.orderId, y.orderId].sort());
    assert.deepEqual(view(a).orders, []);
    const history = await a.rest.get<{ list: Record<string, unknown>[] }>('/v5/order/history', { category: 'linear', orderStatus: 'Cancelled' });
    assert.deepEqual(history.result.list.map((o) => o.cancelType), ['CancelByUser', 'CancelByUser', 'CancelByUser']);
  });

  it('set-leverage: changes the engine leverage; unchanged is 110043, unequal sides and decimals are 10001', async () => {
    const a = await f.account();
    const set = await a.rest.post('/v5/position/set-leverage', { ...BTC, buyLeverage: '10', sellLeverage: '10' });
    assert.deepEqual([set.retCode, set.result], [0, {}]);
    assert.equal(view(a).settings.find((s) => s.symbol === 'btc_usdt')!.leverage, 10);
    assert.equal((await a.rest.post('/v5/position/set-leverage', { ...BTC, buyLeverage: '10', sellLeverage: '10' })).retCode, 110043);
    assert.equal((await a.rest.post('/v5/position/set-leverage', { ...BTC, buyLeverage: '10', sellLeverage: '5' })).retCode, 10001);
    assert.equal((await a.rest.post('/v5/position/set-leverage', { ...BTC, buyLeverage: '2.5', sellLeverage: '2.5' })).retCode, 10001);
    assert.equal((await a.rest.post('/v5/position/set-leverage', { ...BTC, buyLeverage: '126', sellLeverage: '126' })).retCode, 10001);
  });

  it('switch-mode: hedge (3) and back (0); unchanged 110025, open orders 110028, open position 110024; hedge orders use positionIdx 1 / 2', async () => {
    const a = await f.account();
    const b = await f.account();
    assert.equal((await a.rest.post('/v5/position/switch-mode', { category: 'linear', coin: 'USDT', mode: 0 })).retCode, 110025);
    await a.rest.must('/v5/order/create', limit('Buy', '0.001', '59000'));
    assert.equal((await a.rest.post('/v5/position/switch-mode', { category: 'linear', coin: 'USDT', mode: 3 })).retCode, 110028);
    await a.rest.must('/v5/order/cancel-all', { category: 'linear' });
    assert.equal((await a.rest.post('/v5/position/switch-mode', { category: 'linear', coin: 'USDT', mode: 1 })).retCode, 10001);
    assert.deepEqual((await a.rest.post('/v5/position/switch-mode', { ...BTC, mode: 3 })).result, {});
    assert.equal(view(a).positionMode, 'HEDGE');
    assert.equal((await a.rest.post('/v5/order/create', limit('Buy', '0.001', '59000'))).retCode, 10001, 'positionIdx 0 in hedge mode');
    await b.rest.must('/v5/order/create', limit('Sell', '0.001', '60000'));
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Market', qty: '0.001', positionIdx: 1 });
    assert.equal(view(a).positions.find((p) => p.positionSide === 'LONG')!.qty, 10);
    const reduce = await a.rest.post('/v5/order/create', limit('Buy', '0.001', '59000', { positionIdx: 1, reduceOnly: true }));
    assert.equal(reduce.retCode, 110017, 'reduce-only on the side that opens');
    const rows = await a.rest.get<{ list: Record<string, unknown>[] }>('/v5/position/list', { ...BTC });
    assert.deepEqual(rows.result.list.map((p) => [p.positionIdx, p.side, p.size]), [[1, 'Buy', '0.001'], [2, '', '0']]);
    assert.equal((await a.rest.post('/v5/position/switch-mode', { category: 'linear', coin: 'USDT', mode: 0 })).retCode, 110024);
  });

  it('margin mode: account-wide set-margin-mode (3400045 with reasons when a symbol is busy), per-symbol switch-isolated (110026 unchanged), account/info', async () => {
    const a = await f.account();
    const info = await a.rest.get<{ marginMode: string; unifiedMarginStatus: number }>('/v5/account/info');
    assert.deepEqual([info.result.marginMode, info.result.unifiedMarginStatus], ['REGULAR_MARGIN', 6]);
    const order = await a.rest.must<{ orderId: string }>('/v5/order/create', limit('Buy', '0.001', '59000'));
    const blocked = await a.rest.post<{ reasons: { reasonCode: string; reasonMsg: string }[] }>('/v5/account/set-margin-mode', { setMarginMode: 'ISOLATED_MARGIN' });
    assert.equal(blocked.retCode, 3400045);
    assert.deepEqual(blocked.result.reasons.map((r) => r.reasonCode), ['110024']);
    assert.match(blocked.result.reasons[0]!.reasonMsg, /^BTCUSDT has an open position or open orders/);
    assert.deepEqual(view(a).settings.map((s) => s.marginMode), ['CROSSED', 'CROSSED'], 'no symbol changed');
    await a.rest.must('/v5/order/cancel', { ...BTC, orderId: order.orderId });
    const set = await a.rest.post('/v5/account/set-margin-mode', { setMarginMode: 'ISOLATED_MARGIN' });
    assert.deepEqual([set.retCode, set.result], [0, { reasons: [] }]);
    assert.deepEqual(view(a).settings.map((s) => s.marginMode), ['ISOLATED', 'ISOLATED']);
    assert.equal((await a.rest.get<{ marginMode: string }>('/v5/account/info')).result.marginMode, 'ISOLATED_MARGIN');
    assert.equal((await a.rest.post('/v5/account/set-margin-mode', { setMarginMode: 'PORTFOLIO_MARGIN' })).retCode, 3400045);
    const same = await a.rest.post('/v5/position/switch-isolated', { ...BTC, tradeMode: 1, buyLeverage: '20', sellLeverage: '20' });
    assert.equal(same.retCode, 110026);
    const back = await a.rest.post('/v5/position/switch-isolated', { ...BTC, tradeMode: 0, buyLeverage: '15', sellLeverage: '15' });
    assert.equal(back.retCode, 0);
    assert.deepEqual(view(a).settings.map((s) => [s.symbol, s.marginMode, s.leverage]), [['btc_usdt', 'CROSSED', 15], ['eth_usdt', 'ISOLATED', 20]]);
    assert.equal((await a.rest.get<{ marginMode: string }>('/v5/account/info')).result.marginMode, 'REGULAR_MARGIN');
  });

  it('query-api says unified trading account (uta 1); fee-rate gives the symbol rates', async () => {
    const a = await f.account();
    const api = await a.rest.get<{ uta: number; unified: number; apiKey: string; readOnly: number }>('/v5/user/query-api');
    assert.deepEqual([api.retCode, api.result.uta, api.result.unified, api.result.apiKey, api.result.readOnly], [0, 1, 0, a.apiKey, 0]);
    const fees = await a.rest.get<{ list: { symbol: string; takerFeeRate: string; makerFeeRate: string }[] }>('/v5/account/fee-rate', { category: 'linear', symbol: 'ETHUSDT' });
    assert.deepEqual(fees.result.list, [{ symbol: 'ETHUSDT', baseCoin: '', takerFeeRate: '0.0005', makerFeeRate: '0.0002' }]);
  });
});
