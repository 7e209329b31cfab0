/**
 * KuCoin's REST front doors over real HTTP: signing and its errors (400001–400005 with HTTP 401),
 * the envelope, public contracts, orders and their errors, the position settings, and the spot/UTA
 * host. Every refused request is checked to change nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kucoinSign, signaturePayload } from '../../src/dialects/kucoin/auth.js';
import { KucoinRest, type KucoinResponse } from './client.js';
import { KucoinFixture, type KucoinAccount } from './fixture.js';

let f: KucoinFixture;
before(async () => { f = await KucoinFixture.start(); });
after(async () => { await f.stop(); });

/** Asserts a KuCoin error answer: HTTP status, code, and a message matching `message`. */
function assertError(response: KucoinResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.code, code, response.text);
  assert.equal(response.body.data, undefined);
  if (message !== undefined) assert.match(response.body.msg ?? '', message);
}

/**
 * Runs `request` and checks that the account's state did not move. (An order the engine refuses by
 * a rule still takes an order id and emits its REJECTED event, which the KuCoin stream does not
 * show; the state is untouched.)
 */
async function refusedWithoutChange(a: KucoinAccount, request: () => Promise<KucoinResponse>): Promise<KucoinResponse> {
  const before = f.view(a.accountId);
  const response = await request();
  assert.deepEqual(f.view(a.accountId), before, `nothing changed after ${response.text}`);
  return response;
}

describe('KuCoin signing', () => {
  it('a correctly signed request (key version 2, HMAC passphrase) is served', async () => {
    const a = await f.account();
    const overview = KucoinRest.data(await a.rest.get<Record<string, unknown>>('/api/v1/account-overview', { currency: 'USDT' }));
    assert.equal(overview.availableBalance, 1000);
  });

  it('key version 1 signs the plain passphrase', async () => {
    const a = await f.account();
    const v1 = new KucoinRest(f.url, a.apiKey, a.secret, a.passphrase, '1');
    assert.equal((await v1.get('/api/v1/positions')).body.code, '200000');
  });

  it('400001: a missing KC-API-* header (HTTP 401), naming what is missing', async () => {
    const a = await f.account();
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { unsigned: true }), 401, '400001', /KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE/);
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { headers: { 'KC-API-SIGN': undefined } }), 401, '400001', /missing: KC-API-SIGN/);
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { headers: { 'KC-API-KEY-VERSION': '9' } }), 401, '400001', /KEY-VERSION/);
  });

  it('400002: a timestamp more than 5 s away from the server clock, either way', async () => {
    const a = await f.account();
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { timestamp: Date.now() - 10_000 }), 401, '400002', /5 seconds/);
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { timestamp: Date.now() + 10_000 }), 401, '400002');
  });

  it('400003: an unknown key; 400004: a wrong passphrase; 400005: a wrong signature', async () => {
    const a = await f.account();
    assertError(await new KucoinRest(f.url, 'no-such-key', a.secret, a.passphrase).get('/api/v1/positions'), 401, '400003', /KC-API-KEY not exists/);
    assertError(await new KucoinRest(f.url, a.apiKey, a.secret, 'wrong').get('/api/v1/positions'), 401, '400004', /PASSPHRASE/);
    // A v2 key sending the plain passphrase is a passphrase error too.
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { headers: { 'KC-API-PASSPHRASE': a.passphrase } }), 401, '400004');
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { headers: { 'KC-API-SIGN': kucoinSign('other-secret', 'x') } }), 401, '400005', /signature/);
  });

  it('the signed endpoint is KuCoin\'s path (/api/v1/…), not perpstream\'s prefixed one', async () => {
    const a = await f.account();
    const ts = String(Date.now());
    const withPrefix = kucoinSign(a.secret, signaturePayload(ts, 'GET', '/kucoin-futures/api/v1/positions', ''));
    assertError(await a.rest.request('GET', 'futures', '/api/v1/positions', { timestamp: Number(ts), headers: { 'KC-API-SIGN': withPrefix } }), 401, '400005', /without the \/kucoin-futures/);
  });

  it('a refused signature changes nothing: no order is placed', async () => {
    const a = await f.account();
    await refusedWithoutChange(a, () => a.rest.request('POST', 'futures', '/api/v1/orders', {
      body: { clientOid: 'sig-1', side: 'buy', symbol: 'XBTUSDTM', type: 'limit', price: '59000', size: 1 },
      headers: { 'KC-API-SIGN': kucoinSign('other-secret', 'x') },
    }));
  });
});

describe('KuCoin public futures endpoints', () => {
  it('contracts/active: XBTUSDTM and ETHUSDTM with multiplier = contract size, ticks, fees, a non-null nextFundingRateTime', async () => {
    const response = await fetch(`${f.url}/kucoin-futures/api/v1/contracts/active`);
    const text = await response.text();
    const body = JSON.parse(text) as { code: string; data: Record<string, unknown>[] };
    assert.equal(body.code, '200000');
    const [xbt, eth] = body.data;
    assert.deepEqual([xbt!.symbol, xbt!.baseCurrency, xbt!.quoteCurrency, xbt!.settleCurrency, xbt!.multiplier, xbt!.tickSize, xbt!.lotSize], ['XBTUSDTM', 'XBT', 'USDT', 'USDT', 0.0001, 0.1, 1]);
    assert.deepEqual([eth!.symbol, eth!.baseCurrency, eth!.multiplier, eth!.tickSize, eth!.takerFeeRate, eth!.maxLeverage], ['ETHUSDTM', 'ETH', 0.01, 0.01, 0.0005, 100]);
    assert.equal(xbt!.status, 'Open');
    assert.equal(xbt!.isInverse, false);
    assert.equal(typeof xbt!.nextFundingRateTime, 'number');
    assert.equal(xbt!.markPrice, 60000);
    assert.match(text, /"multiplier":0\.0001,/, 'numbers are JSON numbers');
  });

  it('one contract, its risk-limit levels, server time; an unknown contract is 400100, an unknown path 404000', async () => {
    const get = async (path: string) => {
      const response = await fetch(`${f.url}/kucoin-futures${path}`);
      return { status: response.status, body: (await response.json()) as { code: string; data?: unknown; msg?: string } };
    };
    assert.equal(((await get('/api/v1/contracts/ETHUSDTM')).body.data as { symbol: string }).symbol, 'ETHUSDTM');
    const levels = (await get('/api/v1/contracts/risk-limit/XBTUSDTM')).body.data as { level: number; maintainMargin: number; maxLeverage: number }[];
    assert.deepEqual(levels.map((l) => [l.level, l.maintainMargin, l.maxLeverage]), [[1, 0.004, 125], [2, 0.005, 100], [3, 0.01, 50], [4, 0.025, 20]]);
    const time = (await get('/api/v1/timestamp')).body.data as number;
    assert.ok(Math.abs(time - Date.now()) < 5_000);
    const unknown = await get('/api/v1/contracts/DOGEUSDTM');
    assert.deepEqual([unknown.status, unknown.body.code], [400, '400100']);
    assert.match(unknown.body.msg!, /XBTUSDTM, ETHUSDTM/);
    const missing = await get('/api/v1/no-such-thing');
    assert.deepEqual([missing.status, missing.body.code], [404, '404000']);
  });
});

describe('KuCoin orders', () => {
  const limit = (overrides: Record<string, unknown> = {}) => ({ clientOid: `o-${Math.random().toString(36).slice(2)}`, side: 'buy', symbol: 'XBTUSDTM', type: 'limit', price: '59000', size: 2, leverage: 1, ...overrides });

  it('place, read back, list, cancel: the order is the engine\'s', async () => {
    const a = await f.account();
    const placed = KucoinRest.data(await a.rest.post<{ orderId: string; clientOid: string }>('/api/v1/orders', limit({ clientOid: 'first-1', size: 3 })));
    assert.equal(placed.clientOid, 'first-1');
    const engine = f.view(a.accountId).orders.find((o) => String(o.orderId) === placed.orderId)!;
    assert.deepEqual([engine.side, engine.qty, engine.price, engine.positionSide, engine.reduceOnly], ['BUY', 3, 590_000, 'BOTH', false]);

    const byId = KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${placed.orderId}`));
    assert.deepEqual([byId.id, byId.symbol, byId.side, byId.size, byId.price, byId.isActive, byId.status, byId.clientOid], [placed.orderId, 'XBTUSDTM', 'buy', 3, '59000', true, 'open', 'first-1']);
    assert.equal(byId.createdAt, engine.createTime);
    const byClient = KucoinRest.data(await a.rest.get<Record<string, unknown>>('/api/v1/orders/byClientOid', { clientOid: 'first-1' }));
    assert.equal(byClient.id, placed.orderId);
    const active = KucoinRest.data(await a.rest.get<{ items: { id: string }[]; totalNum: number }>('/api/v1/orders', { status: 'active' }));
    assert.deepEqual(active.items.map((o) => o.id), [placed.orderId]);

    const cancelled = KucoinRest.data(await a.rest.delete<{ cancelledOrderIds: string[] }>(`/api/v1/orders/${placed.orderId}`));
    assert.deepEqual(cancelled.cancelledOrderIds, [placed.orderId]);
    assert.equal(f.view(a.accountId).orders.length, 0);
    const done = KucoinRest.data(await a.rest.get<{ items: Record<string, unknown>[] }>('/api/v1/orders', { status: 'done' }));
    assert.deepEqual(done.items.map((o) => [o.id, o.isActive, o.cancelExist, o.status]), [[placed.orderId, false, true, 'done']]);
    // Cancelling it again: not cancelable (100004); an id that never was: 100001.
    assertError(await a.rest.delete(`/api/v1/orders/${placed.orderId}`), 200, '100004', /not cancelable/);
    assertError(await a.rest.delete('/api/v1/orders/999999'), 200, '100001', /order not exist/);
    assertError(await a.rest.get('/api/v1/orders/999999'), 200, '100001');
  });

  it('cancel by clientOid and cancel all', async () => {
    const a = await f.account();
    KucoinRest.data(await a.rest.post('/api/v1/orders', limit({ clientOid: 'by-client' })));
    const two = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', limit({ symbol: 'ETHUSDTM', price: '2900' })));
    const three = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', limit({ price: '58000' })));
    assertError(await a.rest.request('DELETE', 'futures', '/api/v1/orders/client-order/by-client'), 400, '400100', /symbol is required/);
    assert.deepEqual(KucoinRest.data(await a.rest.delete('/api/v1/orders/client-order/by-client', { symbol: 'XBTUSDTM' })), { clientOid: 'by-client' });
    assertError(await a.rest.delete('/api/v1/orders/client-order/by-client', { symbol: 'XBTUSDTM' }), 200, '100001');
    const all = KucoinRest.data(await a.rest.delete<{ cancelledOrderIds: string[] }>('/api/v1/orders'));
    assert.deepEqual(all.cancelledOrderIds.sort(), [three.orderId, two.orderId].sort());
    assert.equal(f.view(a.accountId).orders.length, 0);
  });

  it('parameter and rule errors in KuCoin codes, each changing nothing', async () => {
    const a = await f.account('10');
    const post = (body: Record<string, unknown>) => refusedWithoutChange(a, () => a.rest.post('/api/v1/orders', body));
    assertError(await post(limit({ clientOid: undefined })), 400, '400100', /clientOid is required/);
    assertError(await post(limit({ side: 'up' })), 400, '400100', /side must be one of/);
    assertError(await post(limit({ symbol: 'DOGEUSDTM' })), 400, '400100', /not a contract here/);
    assertError(await post(limit({ size: 0 })), 200, '300000', /size must be a whole number of lots/);
    assertError(await post(limit({ size: '1.5' })), 200, '300000');
    assertError(await post(limit({ price: '59000.05' })), 200, '300000', /tick size 0\.1/);
    assertError(await post(limit({ stopPrice: '61000', stop: 'up' })), 400, '400100', /stopPriceType is required with stop up/);
    assertError(await post(limit({ valueQty: '100' })), 400, '400100', /send size/);
    assertError(await post(limit({ hidden: true })), 400, '400100', /hidden and iceberg/);
    assertError(await post(limit({ stp: 'DC' })), 400, '400100', /DC is not supported/);
    assertError(await post(limit({ marginMode: 'CROSS' })), 200, '330005', /margin mode does not match/);
    assertError(await post(limit({ positionSide: 'LONG' })), 200, '330012', /One-Way Mode/);
    assertError(await post(limit({ postOnly: true, timeInForce: 'IOC' })), 400, '400100', /postOnly/);
    assertError(await post(limit({ closeOrder: true })), 200, '300009', /No open positions to close/);
    // Rules the engine checks (it sees the order, refuses it, changes nothing the account shows).
    assertError(await post(limit({ size: 100, price: '60000' })), 200, '300003', /Balance insufficient/);
    assertError(await post(limit({ price: '70000' })), 200, '300000', /outside the band/);
    assertError(await post(limit({ reduceOnly: true })), 200, '300009', /reduce-only/);
  });

  it('marginMode: left out it is ISOLATED; an order whose mode is not the contract\'s is refused (330005), changing nothing', async () => {
    const a = await f.account(); // created for KuCoin: every contract ISOLATED
    const place = async (overrides: Record<string, unknown>) => KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', limit(overrides)));
    const engineOrder = (orderId: string) => f.view(a.accountId).orders.find((o) => String(o.orderId) === orderId)!;
    const refused = async (overrides: Record<string, unknown>) => {
      const seq = f.cmdSeq;
      const response = await refusedWithoutChange(a, () => a.rest.post('/api/v1/orders', limit(overrides)));
      assert.equal(f.cmdSeq, seq, `no engine command for ${response.text}`);
      return response;
    };

    // An ISOLATED contract: no marginMode is ISOLATED and goes through, as does ISOLATED said outright.
    const plain = await place({});
    assert.equal(engineOrder(plain.orderId).marginMode, 'ISOLATED');
    assert.equal(KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${plain.orderId}`)).marginMode, 'ISOLATED');
    assert.equal(engineOrder((await place({ marginMode: 'ISOLATED', price: '58900' })).orderId).marginMode, 'ISOLATED');
    assertError(await refused({ marginMode: 'CROSS' }), 200, '330005', /^The order's margin mode does not match the selected one: XBTUSDTM is ISOLATED, the order CROSS\. Please switch and try again\.$/);

    // A CROSS contract (switched by KuCoin's own endpoint): an order must say CROSS.
    KucoinRest.data(await a.rest.post('/api/v2/position/changeMarginMode', { symbol: 'ETHUSDTM', marginMode: 'CROSS' }));
    assertError(await refused({ symbol: 'ETHUSDTM', price: '2900' }), 200, '330005', /ETHUSDTM is CROSS, the order ISOLATED \(no marginMode sent\)/);
    assertError(await refused({ symbol: 'ETHUSDTM', price: '2900', marginMode: 'ISOLATED' }), 200, '330005', /ETHUSDTM is CROSS, the order ISOLATED\./);
    const cross = await place({ symbol: 'ETHUSDTM', price: '2900', marginMode: 'CROSS' });
    assert.equal(engineOrder(cross.orderId).marginMode, 'CROSSED');
    assert.equal(KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/orders/${cross.orderId}`)).marginMode, 'CROSS');

    // Anything but ISOLATED or CROSS is a bad parameter, whatever the contract's mode.
    for (const symbol of ['XBTUSDTM', 'ETHUSDTM']) {
      for (const marginMode of ['CROSSED', 'PORTFOLIO', 1, true]) {
        assertError(await refused({ symbol, price: symbol === 'XBTUSDTM' ? '59000' : '2900', marginMode }), 400, '400100', /marginMode must be (one of ISOLATED, CROSS|a string or a number)/);
      }
    }
    await a.rest.delete('/api/v1/orders');
  });

  it('a post-only order that would take, in KuCoin\'s words; the same clientOid twice is one order', async () => {
    const maker = await f.account();
    const a = await f.account();
    KucoinRest.data(await maker.rest.post('/api/v1/orders', limit({ side: 'sell', price: '60100', size: 1 })));
    assertError(await a.rest.post('/api/v1/orders', limit({ price: '60100', postOnly: true })), 200, '300000', /post-only/);
    const first = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', limit({ clientOid: 'twice' })));
    const again = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', limit({ clientOid: 'twice' })));
    assert.equal(again.orderId, first.orderId);
    assert.equal(f.view(a.accountId).orders.length, 1);
    await a.rest.delete('/api/v1/orders');
    await maker.rest.delete('/api/v1/orders');
  });

  it('fills: a market order against a resting one, seen from both sides', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const resting = KucoinRest.data(await maker.rest.post<{ orderId: string }>('/api/v1/orders', limit({ side: 'sell', price: '60000', size: 5 })));
    const market = KucoinRest.data(await taker.rest.post<{ orderId: string }>('/api/v1/orders', { clientOid: 'mkt-1', side: 'buy', symbol: 'XBTUSDTM', type: 'market', size: 5 }));
    const [takerFill] = KucoinRest.data(await taker.rest.get<{ items: Record<string, unknown>[] }>('/api/v1/fills')).items;
    const [makerFill] = KucoinRest.data(await maker.rest.get<{ items: Record<string, unknown>[] }>('/api/v1/fills', { orderId: resting.orderId })).items;
    assert.deepEqual([takerFill!.orderId, takerFill!.side, takerFill!.liquidity, takerFill!.price, takerFill!.size, takerFill!.value, takerFill!.fee, takerFill!.feeRate, takerFill!.orderType, takerFill!.tradeType],
      [market.orderId, 'buy', 'taker', '60000', 5, '30', '0.018', '0.0006', 'market', 'trade']);
    assert.deepEqual([makerFill!.orderId, makerFill!.side, makerFill!.liquidity, makerFill!.fee, makerFill!.tradeId], [resting.orderId, 'sell', 'maker', '0.006', takerFill!.tradeId]);
    const filled = KucoinRest.data(await taker.rest.get<Record<string, unknown>>(`/api/v1/orders/${market.orderId}`));
    assert.deepEqual([filled.type, filled.price, filled.dealSize, filled.filledValue, filled.avgDealPrice, filled.isActive, filled.cancelExist], ['market', null, 5, '30', '60000', false, false]);
    // Close both positions again.
    KucoinRest.data(await taker.rest.post('/api/v1/orders', limit({ clientOid: 'close-t', side: 'sell', price: '60000', size: 5, reduceOnly: true })));
    KucoinRest.data(await maker.rest.post('/api/v1/orders', { clientOid: 'close-m', symbol: 'XBTUSDTM', closeOrder: true }));
    assert.equal(f.view(taker.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.qty, 0);
    assert.equal(f.view(maker.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.qty, 0);
  });
});

describe('KuCoin account and position settings', () => {
  it('account-overview: numbers from the engine wallet; XBT (KuCoin\'s default) only where a contract settles in it', async () => {
    const a = await f.account('1234.5');
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'ov-1', side: 'buy', symbol: 'XBTUSDTM', type: 'limit', price: '59000', size: 10 }));
    const response = await a.rest.get('/api/v1/account-overview', { currency: 'USDT' });
    const w = f.view(a.accountId).wallets[0]!;
    // perContract(590,000) at 20x = 29,500,000 + 354,000 units; × 10 = 2.9854 USDT frozen
    assert.equal(w.openOrderMarginFrozen, 298_540_000n);
    assert.match(response.text, /"accountEquity":1234\.5,"unrealisedPNL":0,"marginBalance":1234\.5,"positionMargin":0,"orderMargin":2\.9854,"frozenFunds":0,"availableBalance":1231\.5146,"currency":"USDT"/);
    const xbtSettled = f.exchange.engine.symbols().some((c) => c.settleAsset === 'BTC');
    if (xbtSettled) assert.equal(KucoinRest.data(await a.rest.get<{ currency: string }>('/api/v1/account-overview')).currency, 'XBT');
    else assertError(await a.rest.get('/api/v1/account-overview'), 400, '400100', /XBT is not a settle currency/);
    // KuCoin names bitcoin XBT: BTC is no currency of its futures.
    assertError(await a.rest.get('/api/v1/account-overview', { currency: 'BTC' }), 400, '400100', /BTC is not a settle currency/);
    await a.rest.delete('/api/v1/orders');
  });

  it('position mode: switch to hedge and back; refused with an open order, changing nothing', async () => {
    const a = await f.account();
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/v2/position/getPositionMode')), { positionMode: 0 });
    assert.deepEqual(KucoinRest.data(await a.rest.post('/api/v2/position/switchPositionMode', { positionMode: '1' })), { positionMode: 1 });
    assert.equal(f.view(a.accountId).positionMode, 'HEDGE');
    assertError(await a.rest.post('/api/v2/position/switchPositionMode', { positionMode: 2 }), 400, '400100', /positionMode must be one of 0, 1/);
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'h-1', side: 'buy', positionSide: 'LONG', symbol: 'XBTUSDTM', price: '59000', size: 1 }));
    assertError(await a.rest.post('/api/v1/orders', { clientOid: 'h-2', side: 'buy', symbol: 'XBTUSDTM', price: '59000', size: 1 }), 200, '330012', /Hedge Mode/);
    assertError(await refusedWithoutChange(a, () => a.rest.post('/api/v2/position/switchPositionMode', { positionMode: 0 })), 200, '300000');
    await a.rest.delete('/api/v1/orders');
    KucoinRest.data(await a.rest.post('/api/v2/position/switchPositionMode', { positionMode: 0 }));
    assert.equal(f.view(a.accountId).positionMode, 'ONE_WAY');
  });

  it('margin mode (ccxt\'s path and KuCoin\'s), leverage, both read back', async () => {
    const a = await f.account();
    assert.deepEqual(KucoinRest.data(await a.rest.post('/api/v2/position/changeMarginMode', { symbol: 'XBTUSDTM', marginMode: 'ISOLATED' })), { symbol: 'XBTUSDTM', marginMode: 'ISOLATED' });
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/v2/position/getMarginMode', { symbol: 'XBTUSDTM' })), { symbol: 'XBTUSDTM', marginMode: 'ISOLATED' });
    KucoinRest.data(await a.rest.post('/api/v2/changeMarginMode', { symbol: 'XBTUSDTM', marginMode: 'CROSS' }));
    assert.equal(f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usdt')!.marginMode, 'CROSSED');
    assertError(await a.rest.post('/api/v2/position/changeMarginMode', { symbol: 'XBTUSDTM', marginMode: 'BOTH' }), 400, '400100');
    assert.equal(KucoinRest.data(await a.rest.post('/api/v2/changeCrossUserLeverage', { symbol: 'XBTUSDTM', leverage: '8' })), true);
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/v2/getCrossUserLeverage', { symbol: 'XBTUSDTM' })), { symbol: 'XBTUSDTM', leverage: '8' });
    assertError(await a.rest.post('/api/v2/changeCrossUserLeverage', { symbol: 'XBTUSDTM', leverage: '8.5' }), 400, '400100', /whole number/);
    assertError(await a.rest.post('/api/v2/changeCrossUserLeverage', { symbol: 'XBTUSDTM', leverage: 126 }), 400, '400100', /between 1 and 125/);
  });

  it('isolated margin in and out; risk-limit level and auto-deposit are refused clearly (no engine command yet)', async () => {
    const maker = await f.account();
    const a = await f.account();
    KucoinRest.data(await a.rest.post('/api/v2/position/changeMarginMode', { symbol: 'XBTUSDTM', marginMode: 'ISOLATED' }));
    assertError(await refusedWithoutChange(a, () => a.rest.post('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDTM', margin: '5', bizNo: 'b1' })), 200, '300009');
    KucoinRest.data(await maker.rest.post('/api/v1/orders', { clientOid: 'im-m', side: 'sell', symbol: 'XBTUSDTM', price: '60000', size: 10 }));
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'im-a', side: 'buy', symbol: 'XBTUSDTM', type: 'market', size: 10 }));
    const before = f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.margin;
    const after = KucoinRest.data(await a.rest.post<Record<string, unknown>>('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDTM', margin: '5', bizNo: 'b2' }));
    const margin = f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.margin;
    assert.equal(margin, before + 500_000_000n);
    assert.equal(after.posMargin, Number(margin) / 1e8);
    assert.equal(after.marginMode, 'ISOLATED');
    assert.equal(KucoinRest.data(await a.rest.post('/api/v1/margin/withdrawMargin', { symbol: 'XBTUSDTM', withdrawAmount: '2' })), '2');
    assert.equal(f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.margin, before + 300_000_000n);
    assertError(await a.rest.post('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDTM', margin: '-1' }), 400, '400100', /positive decimal/);

    assertError(await a.rest.post('/api/v1/position/risk-limit-level/change', { symbol: 'XBTUSDTM', level: 9 }), 400, '400100', /level must be between 1 and 4/);
    // Accepted (data true); the outcome is the position.adjustRiskLimit push (test/kucoin/stream.test.ts).
    assert.equal(KucoinRest.data(await a.rest.post('/api/v1/position/risk-limit-level/change', { symbol: 'XBTUSDTM', level: 2 })), true);
    assert.equal(f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.riskLevel, 2);
    assertError(await refusedWithoutChange(a, () => a.rest.post('/api/v1/position/margin/auto-deposit-status', { symbol: 'XBTUSDTM' })), 400, '400100', /status is required/);
    assert.equal(KucoinRest.data(await a.rest.post('/api/v1/position/margin/auto-deposit-status', { symbol: 'XBTUSDTM', status: true })), true);
    assert.equal(f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt')!.autoDeposit, true);
  });

  it('positions and position: the engine\'s numbers, JSON numbers; a never-traded symbol is a flat position', async () => {
    const maker = await f.account();
    const a = await f.account();
    KucoinRest.data(await maker.rest.post('/api/v1/orders', { clientOid: 'p-m', side: 'buy', symbol: 'ETHUSDTM', price: '3000', size: 7 }));
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'p-a', side: 'sell', symbol: 'ETHUSDTM', type: 'market', size: 7 }));
    const [row] = KucoinRest.data(await a.rest.get<Record<string, unknown>[]>('/api/v1/positions'));
    const p = f.view(a.accountId).positions.find((x) => x.symbol === 'eth_usdt')!;
    // 7 contracts × 0.01 ETH at 3000 = 210 USDT, short; taker fee 0.0005 → 0.105; isolated margin at 20x = 10.5
    assert.deepEqual([row!.id, row!.symbol, row!.currentQty, row!.posCost, row!.markValue, row!.avgEntryPrice, row!.posMargin, row!.currentComm, row!.realisedPnl, row!.isOpen, row!.crossMode],
      [`${a.accountId}-ETHUSDTM-BOTH`, 'ETHUSDTM', -7, -210, -210, 3000, 10.5, 0.105, -0.105, true, false]);
    assert.equal(p.margin, 1_050_000_000n);
    const one = KucoinRest.data(await a.rest.get<Record<string, unknown>>('/api/v1/position', { symbol: 'ETHUSDTM' }));
    assert.equal(one.currentQty, -7);
    const flat = KucoinRest.data(await a.rest.get<Record<string, unknown>>('/api/v1/position', { symbol: 'XBTUSDTM' }));
    assert.deepEqual([flat.currentQty, flat.isOpen, flat.leverage], [0, false, 20]);
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'p-c', symbol: 'ETHUSDTM', closeOrder: true, type: 'limit', price: '3000' }));
    KucoinRest.data(await maker.rest.post('/api/v1/orders', { clientOid: 'p-mc', symbol: 'ETHUSDTM', closeOrder: true }));
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/v1/positions')), []);
  });
});

describe('KuCoin spot/UTA host', () => {
  it('bullets (UTA v2 and the v1 ccxt\'s watchPosition uses), account mode CLASSIC, empty margin data', async () => {
    const a = await f.account();
    const uta = KucoinRest.data(await a.rest.post<{ token: string; instanceServers: { endpoint: string }[] }>('/api/v2/bullet-private', {}, 'spot'));
    assert.match(uta.token, /^[0-9a-f]{48}$/);
    assert.equal(uta.instanceServers[0]!.endpoint, `${f.wsUrl}/kucoin/uta`);
    const v1 = KucoinRest.data(await a.rest.post<{ instanceServers: { endpoint: string; pingInterval: number; pingTimeout: number; protocol: string; encrypt: boolean }[] }>('/api/v1/bullet-private', {}, 'spot'));
    assert.deepEqual(v1.instanceServers[0], { endpoint: `${f.wsUrl}/kucoin/futures`, encrypt: false, protocol: 'websocket', pingInterval: 18_000, pingTimeout: 10_000 });
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/ua/v1/account/mode', undefined, 'spot')), { selfAccountMode: 'CLASSIC' });
    assert.deepEqual((KucoinRest.data(await a.rest.get<{ items: unknown[] }>('/api/v3/margin/symbols', undefined, 'spot'))).items, []);
    assert.deepEqual(KucoinRest.data(await a.rest.get('/api/v1/isolated/symbols', undefined, 'spot')), []);
    assert.equal(KucoinRest.data(await a.rest.get('/api/v1/hf/accounts/opened', undefined, 'spot')), false);
    assertError(await a.rest.request('POST', 'spot', '/api/v2/bullet-private', { unsigned: true }), 401, '400001');
    assertError(await a.rest.get('/api/v1/orders', undefined, 'spot'), 404, '404000', /not served on \/kucoin-spot/);
  });
});
