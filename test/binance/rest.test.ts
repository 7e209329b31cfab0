/**
 * The Binance REST front door: Binance's signature and its errors ({code, msg} with Binance's codes
 * and HTTP statuses), order entry and queries, account, balance and position views (v2 and v3),
 * and the settings endpoints (leverage, marginType, positionSide/dual, feeBurn).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from './client.js';
import { BinanceFixture, type BinanceAccount } from './support.js';

const BTC = 'BTCUSDT';

describe('Binance REST', () => {
  let f: BinanceFixture;
  let a: BinanceAccount;
  let b: BinanceAccount;

  const error = async (account: BinanceAccount, method: string, path: string, params: Record<string, string | number | boolean> = {}) => {
    const reply = await account.rest.signed<{ code: number; msg: string }>(method, path, params);
    return [reply.status, reply.body.code] as const;
  };

  before(async () => {
    f = await BinanceFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    a = await f.account('10000');
    b = await f.account('10000');
    for (const x of [a, b]) await x.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' });
  });
  after(async () => { await f.stop(); });

  it('public: ping, time, exchangeInfo with Binance names and base-unit filters', async () => {
    assert.deepEqual((await a.rest.send('GET', '/fapi/v1/ping', undefined, undefined)).body, {});
    const time = (await a.rest.send<{ serverTime: number }>('GET', '/fapi/v1/time', undefined, undefined)).body.serverTime;
    assert.ok(Math.abs(time - Date.now()) < 5_000);
    const info = (await a.rest.send<{ symbols: Json[] }>('GET', '/fapi/v1/exchangeInfo', undefined, undefined)).body;
    const btc = info.symbols.find((s) => s.symbol === BTC)!;
    assert.deepEqual([btc.pair, btc.contractType, btc.baseAsset, btc.quoteAsset, btc.marginAsset, btc.pricePrecision, btc.quantityPrecision],
      [BTC, 'PERPETUAL', 'BTC', 'USDT', 'USDT', 1, 4]);
    const filters = btc.filters as Json[];
    assert.deepEqual(filters.find((x) => x.filterType === 'LOT_SIZE'), { filterType: 'LOT_SIZE', stepSize: '0.0001', minQty: '0.0001', maxQty: '100.0000' });
    assert.deepEqual(filters.find((x) => x.filterType === 'PRICE_FILTER'), { filterType: 'PRICE_FILTER', tickSize: '0.1', minPrice: '0.1', maxPrice: '10000000' });
  });

  it('signature errors: -2014 (401), -1022 bad signature, -1021 timestamp, -1102 missing timestamp, -1131 recvWindow', async () => {
    const noKey = await a.rest.signed('GET', '/fapi/v2/balance', {}, { noKey: true });
    assert.deepEqual([noKey.status, (noKey.body as Json).code], [401, -2014]);
    const badSig = await a.rest.signed('GET', '/fapi/v2/balance', {}, { badSignature: true });
    assert.deepEqual([badSig.status, badSig.body], [400, { code: -1022, msg: 'Signature for this request is not valid.' }]);
    a.rest.clockSkewMs = -60_000;
    const old = await a.rest.signed('GET', '/fapi/v2/balance');
    a.rest.clockSkewMs = 5_000;
    const ahead = await a.rest.signed('GET', '/fapi/v2/balance');
    a.rest.clockSkewMs = 0;
    assert.deepEqual([old.status, (old.body as Json).code, ahead.status, (ahead.body as Json).code], [400, -1021, 400, -1021]);
    const bare = await a.rest.send<Json>('GET', '/fapi/v2/balance?signature=ab', undefined, a.apiKey);
    assert.deepEqual([bare.status, bare.body.code], [400, -1102]);
    assert.deepEqual(await error(a, 'GET', '/fapi/v2/balance', { recvWindow: 70_000 }), [400, -1131]);
    const foreign = await a.rest.send<Json>('GET', '/binance/fapi/v1/nothing', undefined, undefined);
    assert.equal(foreign.status, 404);
    // A signature over query + body as Binance concatenates them.
    assert.equal((await a.rest.signed('POST', '/fapi/v1/feeBurn', { feeBurn: false })).status, 200);
  });

  it('order parameter errors: -1121 symbol, -1102 missing, -1116 type, -1115 tif, -1111 step, -4014 tick, -4061 position side, -1117 side', async () => {
    const base = { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '59000' };
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, symbol: 'DOGEUSDT' }), [400, -1121]);
    const { quantity: _q, ...noQty } = base;
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', noQty), [400, -1102]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, type: 'LIMIT_MAKER' }), [400, -1116]);
    // Conditional types moved to /fapi/v1/algoOrder (test/binance/algo.test.ts covers -4120 in full).
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, type: 'STOP' }), [400, -4120]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, timeInForce: 'GTD' }), [400, -1115]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, quantity: '0.00015' }), [400, -1111]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, quantity: '0' }), [400, -4003]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, price: '59000.05' }), [400, -4014]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, positionSide: 'LONG' }), [400, -4061]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'HOLD' }), [400, -1117]);
    assert.deepEqual(f.view(a.accountId).orders, [], 'nothing was placed');
  });

  it('refused orders: -2019 margin, -5022 post-only would take, -5021 FOK, -2022 reduce-only, -4016/-4024 band; -4116 duplicate id', async () => {
    const base = { symbol: BTC, type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01' };
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'BUY', price: '59000', quantity: '100' }), [400, -2019]);
    await b.rest.ok('POST', '/fapi/v1/order', { ...base, side: 'SELL', price: '60500' });
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'BUY', price: '60500', timeInForce: 'GTX' }), [400, -5022]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'BUY', price: '60500', timeInForce: 'FOK', quantity: '0.02' }), [400, -5021]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'SELL', price: '60000', reduceOnly: 'true' }), [400, -2022]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'BUY', price: '70000' }), [400, -4016]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'SELL', price: '50000' }), [400, -4024]);
    await a.rest.ok('POST', '/fapi/v1/order', { ...base, side: 'BUY', price: '59000', newClientOrderId: 'dup-1' });
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/order', { ...base, side: 'BUY', price: '59000', newClientOrderId: 'dup-1' }), [400, -4116]);
    await a.rest.ok('DELETE', '/fapi/v1/allOpenOrders', { symbol: BTC });
    await b.rest.ok('DELETE', '/fapi/v1/allOpenOrders', { symbol: BTC });
    assert.deepEqual(f.view(a.accountId).orders, []);
  });

  it('order queries: GET order (live and finished), openOrder, openOrders, allOrders; -2011 and -2013', async () => {
    const placed = await a.rest.ok<Json>('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '59000' });
    assert.equal(placed.clientOrderId, `perpstream-${placed.orderId}`);
    const byGenerated = await a.rest.ok<Json>('GET', '/fapi/v1/order', { symbol: BTC, origClientOrderId: placed.clientOrderId as string });
    assert.deepEqual(byGenerated, placed);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/openOrder', { symbol: BTC, orderId: placed.orderId as number }), placed);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/openOrders', { symbol: BTC }), [placed]);
    const canceled = await a.rest.ok<Json>('DELETE', '/fapi/v1/order', { symbol: BTC, orderId: placed.orderId as number });
    assert.equal(canceled.status, 'CANCELED');
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/order', { symbol: BTC, orderId: placed.orderId as number }), canceled);
    const all = await a.rest.ok<Json[]>('GET', '/fapi/v1/allOrders', { symbol: BTC });
    assert.ok(all.some((o) => o.orderId === placed.orderId && o.status === 'CANCELED'));
    assert.ok(all.every((o) => o.status !== 'REJECTED'), 'refused placements are not in the history');
    assert.deepEqual(await error(a, 'DELETE', '/fapi/v1/order', { symbol: BTC, orderId: placed.orderId as number }), [400, -2011]);
    assert.deepEqual(await error(a, 'GET', '/fapi/v1/order', { symbol: BTC, orderId: 999_999 }), [400, -2013]);
    assert.deepEqual(await error(a, 'GET', '/fapi/v1/openOrder', { symbol: BTC, orderId: placed.orderId as number }), [400, -2013]);
    assert.deepEqual(await error(a, 'DELETE', '/fapi/v1/order', { symbol: BTC }), [400, -1102]);
  });

  it('a fill: userTrades, positionRisk v2/v3, account v2/v3 and balance match the engine', async () => {
    await b.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: '60000' });
    await a.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.02' });
    await f.admin.markPrice('btc_usdt', '60500');
    const trades = await a.rest.ok<Json[]>('GET', '/fapi/v1/userTrades', { symbol: BTC });
    const fill = f.exchange.history.trades(a.accountId)[0]!;
    assert.deepEqual(trades.at(-1), {
      symbol: BTC, id: fill.tradeId, orderId: fill.orderId, side: 'BUY', price: '60000', qty: '0.0200', realizedPnl: '0.00000000',
      quoteQty: '1200.00000000', commission: '0.72000000', commissionAsset: 'USDT', time: fill.time, positionSide: 'BOTH', buyer: true, maker: false,
    });
    const v3 = await a.rest.ok<Json[]>('GET', '/fapi/v3/positionRisk', { symbol: BTC });
    assert.equal(v3.length, 1);
    assert.deepEqual([v3[0]!.positionAmt, v3[0]!.entryPrice, v3[0]!.markPrice, v3[0]!.unRealizedProfit, v3[0]!.notional, v3[0]!.positionSide, v3[0]!.isolatedMargin, v3[0]!.initialMargin],
      ['0.0200', '60000.00000', '60500', '10.00000000', '1210.00000000', 'BOTH', '0.00000000', '60.00000000']);
    const v2 = await a.rest.ok<Json[]>('GET', '/fapi/v2/positionRisk');
    assert.deepEqual(v2.map((r) => [r.symbol, r.positionSide, r.positionAmt, r.leverage, r.marginType]),
      [[BTC, 'BOTH', '0.0200', '20', 'cross'], ['ETHUSDT', 'BOTH', '0.00', '20', 'cross']]);
    const w = f.view(a.accountId).wallets.find((x) => x.asset === 'USDT')!;
    const account = await a.rest.ok<Json>('GET', '/fapi/v3/account');
    const usdt = (account.assets as Json[]).find((x) => x.asset === 'USDT')!;
    assert.deepEqual([usdt.walletBalance, usdt.availableBalance, usdt.initialMargin, usdt.unrealizedProfit, usdt.marginBalance, account.totalWalletBalance],
      [fmt(w.walletBalance), fmt(w.availableBalance), fmt(w.crossedMargin + w.openOrderMarginFrozen + w.isolatedMargin), '10.00000000', fmt(w.walletBalance + 1_000_000_000n), fmt(w.walletBalance)]);
    assert.equal((account.positions as Json[]).length, 1);
    const v2account = await a.rest.ok<Json>('GET', '/fapi/v2/account');
    assert.equal((v2account.positions as Json[]).length, 2);
    const balance = await a.rest.ok<Json[]>('GET', '/fapi/v2/balance');
    assert.deepEqual(balance.map((x) => [x.asset, x.balance, x.availableBalance]), [['USDT', fmt(w.walletBalance), fmt(w.availableBalance)]]);
    const v3balance = await a.rest.ok<Json[]>('GET', '/fapi/v3/balance');
    assert.deepEqual(v3balance.map(({ updateTime: _t, ...rest }) => rest), balance.map(({ updateTime: _t, ...rest }) => rest));
    await f.admin.markPrice('btc_usdt', '60000');
  });

  it('settings: marginType -4046/-4048, positionSide/dual -4059/-4068, leverage -4028, leverageBracket tiers, feeBurn GET/POST', async () => {
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/marginType', { symbol: BTC, marginType: 'CROSSED' }), [400, -4046]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/marginType', { symbol: BTC, marginType: 'ISOLATED' }), [400, -4048]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' }), [400, -4059]);
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'true' }), [400, -4068]);
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/positionSide/dual'), { dualSidePosition: false });
    assert.deepEqual(await error(a, 'POST', '/fapi/v1/leverage', { symbol: BTC, leverage: 126 }), [400, -4028]);
    await b.rest.ok('POST', '/fapi/v1/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '2900' });
    assert.deepEqual(await error(b, 'POST', '/fapi/v1/marginType', { symbol: 'ETHUSDT', marginType: 'ISOLATED' }), [400, -4047]);
    assert.deepEqual(await error(b, 'POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'true' }), [400, -4068]);
    const brackets = await a.rest.ok<Json>('GET', '/fapi/v1/leverageBracket', { symbol: BTC });
    assert.deepEqual((brackets.brackets as Json[])[0], { bracket: 1, initialLeverage: 125, notionalCap: 50000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0 });
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/feeBurn'), { feeBurn: false });
    assert.deepEqual(await a.rest.ok('POST', '/fapi/v1/feeBurn', { feeBurn: 'true' }), { code: 200, msg: 'success' });
    assert.deepEqual(await a.rest.ok('GET', '/fapi/v1/feeBurn'), { feeBurn: true });
    assert.equal(f.view(a.accountId).feeBurn, true);
  });
});

function fmt(units: bigint): string {
  const negative = units < 0n;
  const text = (negative ? -units : units).toString().padStart(9, '0');
  return `${negative ? '-' : ''}${text.slice(0, -8)}.${text.slice(-8)}`;
}
