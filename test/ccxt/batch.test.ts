/**
 * ccxt 4.5.84's batch calls against a real perpstream, each exchange configured as in its own ccxt
 * test file (protocols.md §6.1): `createOrders`, `editOrders` and `cancelOrders` for binanceusdm
 * and bybit, `createOrders` and `cancelOrders` for kucoinfutures. ccxt 4.5.84's xt has no futures
 * `createOrders` (has.createOrders is undefined) and its `cancelOrders` is spot-only (NotSupported
 * for swaps), so for XT the test calls ccxt's own implicit method for order/create-batch. Every id
 * ccxt returns is checked against the engine's orders. Each exchange's client trades on an account
 * created for that exchange (its defaults: src/dialects/account-defaults.ts), as on a fresh account there.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import type { AdminClient, Dialect } from '../support/xt-client.js';
import { BTC, withTimeout, kucoinFuturesPro } from './helpers.js';

const T = 5_000;

describe('ccxt batch orders (createOrders / editOrders / cancelOrders)', () => {
  let harness: Harness;
  let server: RunningServer;
  let admin: AdminClient;
  const instances: { close(): Promise<unknown> }[] = [];

  const funded = async (dialect: Dialect): Promise<{ accountId: number; apiKey: string; secret: string; passphrase: string }> => {
    const created = await admin.createAccount(dialect);
    await admin.deposit(created.accountId, '10000');
    return created;
  };
  const live = (accountId: number) => server.exchange.engine.account(accountId)!.view.orders;
  const liveIds = (accountId: number) => live(accountId).map((o) => String(o.orderId));
  async function ready<E extends { loadMarkets(): Promise<unknown>; loadHttpProxyAgent(): Promise<unknown>; close(): Promise<unknown> }>(ex: E): Promise<E> {
    instances.push(ex);
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    return ex;
  }

  before(async () => {
    harness = await Harness.start();
    ({ server, admin } = harness);
    await admin.markPrice('btc_usdt', '60000');
    await admin.markPrice('eth_usdt', '3000');
  });
  after(async () => {
    await Promise.all(instances.splice(0).map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
    await harness.stop();
  });

  it('binanceusdm: createOrders (a bad item answered on its own), editOrders, cancelOrders', async () => {
    const a = await funded('binance');
    const H = server.url;
    const ex = await ready(new ccxt.pro.binanceusdm({
      apiKey: a.apiKey, secret: a.secret, enableRateLimit: false, has: { fetchCurrencies: false },
      options: { watchPositions: { fetchPositionsSnapshot: false } },
      urls: { api: { fapiPublic: `${H}/binance/fapi/v1`, fapiPrivate: `${H}/binance/fapi/v1`, fapiPrivateV2: `${H}/binance/fapi/v2`,
        fapiPrivateV3: `${H}/binance/fapi/v3`, sapi: `${H}/binance/sapi/v1`, ws: { future: `${server.wsUrl}/binance/ws` } } },
    }));
    const created = await withTimeout(ex.createOrders([
      { symbol: BTC, type: 'limit', side: 'buy', amount: 0.01, price: 59000 },
      { symbol: BTC, type: 'limit', side: 'buy', amount: 1000, price: 59000 },
      { symbol: BTC, type: 'limit', side: 'buy', amount: 0.01, price: 58000 },
    ]), T, 'createOrders');
    assert.equal(created.length, 3);
    assert.equal(created[1]!.id, undefined, 'the oversized item is refused on its own');
    assert.equal((created[1]!.info as { code: number }).code, -4005);
    assert.deepEqual(liveIds(a.accountId), [created[0]!.id, created[2]!.id]);
    assert.deepEqual([created[0]!.status, created[0]!.price, created[0]!.amount], ['open', 59000, 0.01]);

    const edited = await withTimeout(ex.editOrders([
      { id: created[0]!.id!, symbol: BTC, type: 'limit', side: 'buy', amount: 0.02, price: 59100 },
    ] as unknown as Parameters<typeof ex.editOrders>[0]), T, 'editOrders');
    assert.deepEqual([edited[0]!.price, edited[0]!.amount], [59100, 0.02]);
    assert.deepEqual(live(a.accountId).map((o) => [o.price, o.qty]), [[591000, 200], [580000, 100]]);

    const cancelled = await withTimeout(ex.cancelOrders([created[0]!.id!, created[2]!.id!], BTC), T, 'cancelOrders');
    assert.deepEqual(cancelled.map((o) => [o.id, o.status]), [[created[0]!.id, 'canceled'], [created[2]!.id, 'canceled']]);
    assert.deepEqual(live(a.accountId), []);
  });

  it('bybit: createOrders (a bad item answered on its own), editOrders, cancelOrders', async () => {
    const a = await funded('bybit');
    const H = server.url;
    const ex = await ready(new ccxt.pro.bybit({
      apiKey: a.apiKey, secret: a.secret, enableRateLimit: false, has: { fetchCurrencies: false },
      options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false },
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit`,
        ws: { private: { contract: `${server.wsUrl}/bybit/v5/private` } } } },
    }));
    const created = await withTimeout(ex.createOrders([
      { symbol: BTC, type: 'limit', side: 'buy', amount: 0.001, price: 59000 },
      { symbol: BTC, type: 'limit', side: 'buy', amount: 1000, price: 59000 },
      { symbol: BTC, type: 'limit', side: 'buy', amount: 0.001, price: 58000 },
    ]), T, 'createOrders');
    assert.equal(created.length, 3);
    assert.equal(created[1]!.id, undefined, 'the oversized item is refused on its own');
    assert.equal((created[1]!.info as { code: number }).code, 10001);
    assert.deepEqual(liveIds(a.accountId), [created[0]!.id, created[2]!.id]);

    const edited = await withTimeout(ex.editOrders([
      { id: created[0]!.id!, symbol: BTC, type: 'limit', side: 'buy', amount: 0.002, price: 59100 },
    ] as unknown as Parameters<typeof ex.editOrders>[0]), T, 'editOrders');
    assert.equal(edited[0]!.id, created[0]!.id);
    assert.deepEqual(live(a.accountId).map((o) => [o.price, o.qty]), [[591000, 20], [580000, 10]]);

    const cancelled = await withTimeout(ex.cancelOrders([created[0]!.id!, created[2]!.id!], BTC), T, 'cancelOrders');
    assert.deepEqual(cancelled.map((o) => o.id), [created[0]!.id, created[2]!.id]);
    assert.deepEqual(live(a.accountId), []);
  });

  it('kucoinfutures: createOrders (a bad item answered on its own) and cancelOrders', async () => {
    const a = await funded('kucoin');
    const ex = await ready(kucoinFuturesPro(server, a));
    const created = await withTimeout(ex.createOrders([
      { symbol: BTC, type: 'limit', side: 'buy', amount: 1, price: 59000 },
      { symbol: BTC, type: 'limit', side: 'buy', amount: 100_000_000, price: 59000 },
      { symbol: BTC, type: 'limit', side: 'buy', amount: 2, price: 58000 },
    ]), T, 'createOrders');
    assert.equal(created.length, 3);
    assert.equal(created[1]!.id, undefined, 'the item over the contract\'s maximum size is refused on its own');
    assert.equal((created[1]!.info as { code: string }).code, '300000');
    assert.deepEqual(liveIds(a.accountId), [created[0]!.id, created[2]!.id]);
    assert.deepEqual(live(a.accountId).map((o) => [o.price, o.qty]), [[590000, 1], [580000, 2]]);

    const cancelled = await withTimeout(ex.cancelOrders([created[0]!.id!, created[2]!.id!], BTC), T, 'cancelOrders');
    assert.deepEqual(cancelled.map((o) => o.id), [created[0]!.id, created[2]!.id]);
    assert.deepEqual(live(a.accountId), []);
  });

  it('xt: ccxt 4.5.84 has no futures createOrders/cancelOrders; its implicit create-batch method places the orders', async () => {
    const a = await funded('xt');
    const H = server.url;
    const ex = await ready(new ccxt.pro.xt({
      apiKey: a.apiKey, secret: a.secret, enableRateLimit: false, has: { fetchCurrencies: false },
      options: { defaultType: 'swap' }, urls: { api: { spot: H, linear: H, inverse: H, user: H, ws: { contract: `${server.wsUrl}/ws` } } },
    }));
    assert.equal(ex.has.createOrders, undefined);
    await assert.rejects(ex.cancelOrders(['1'], BTC), ccxt.NotSupported);
    const list = [59000, 58000].map((price) => ({ symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: String(price), origQty: '10' }));
    const reply = await withTimeout(ex.privateLinearPostFutureTradeV1OrderCreateBatch({ list: JSON.stringify(list) }), T, 'order/create-batch');
    assert.deepEqual([reply.returnCode, reply.result], [0, true]);
    assert.deepEqual(live(a.accountId).map((o) => [o.price, o.qty]), [[590000, 10], [580000, 10]]);
  });
});
