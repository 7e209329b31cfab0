/**
 * ccxt 4.5.84 `kucoinfutures` across the delivery of XBTMH27 (BTC/USD:BTC-270326), on a ManualTime
 * clock that starts 20 s before MARCH_2027_DELIVERY. ccxt keeps its signatures in the server's time
 * window the way it does against a skewed clock on KuCoin: `loadTimeDifference()` (KuCoin's
 * GET /api/v1/timestamp) after each step of the clock.
 *
 * An account holds a long of 20 lots and a resting buy; from the delivery time ccxt's order is refused
 * (300015); the settlement cancels the resting order (watchOrders: canceled), closes the position
 * (watchPositions: 0 contracts) and moves the XBT wallet (watchBalance), and REST (fetchOrder,
 * fetchPositions, fetchBalance) agrees with the engine; an order on the settled contract is refused
 * (100003).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import { cacheRows, num, rejectionOf, tap, watchUntil, withTimeout } from './helpers.js';

const T = 5_000;
const Q = 'BTC/USD:BTC-270326';
type KucoinPro = InstanceType<typeof ccxt.pro.kucoinfutures>;
type WsClient = { subscriptions: Record<string, unknown> };

describe('ccxt kucoinfutures: XBTMH27 crossed by its delivery', () => {
  const time = new ManualTime(MARCH_2027_DELIVERY - 20_000);
  let harness: Harness;
  let server: RunningServer;
  const instances: KucoinPro[] = [];

  const kucoin = async (): Promise<{ accountId: number; ex: KucoinPro }> => {
    const created = await harness.admin.createAccount('kucoin');
    await harness.admin.deposit(created.accountId, '1', 'BTC');
    const H = server.url;
    const ex = new ccxt.pro.kucoinfutures({
      apiKey: created.apiKey, secret: created.secret, password: created.passphrase, enableRateLimit: false,
      has: { fetchCurrencies: false }, options: { uta: false, hf: false },
      urls: { api: { public: `${H}/kucoin-spot`, private: `${H}/kucoin-spot`, utaPrivate: `${H}/kucoin-spot`, uta: `${H}/kucoin-spot`, utaV2: `${H}/kucoin-spot`,
        futuresPublic: `${H}/kucoin-futures`, futuresPrivate: `${H}/kucoin-futures`, ws: { private: `${server.wsUrl}/kucoin/uta` } } },
    });
    tap(ex);
    instances.push(ex);
    await withTimeout(ex.loadTimeDifference(), T, 'loadTimeDifference');
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    return { accountId: created.accountId, ex };
  };
  const subscribed = async (ex: KucoinPro, watch: () => Promise<unknown>, key: string): Promise<void> => {
    const clients = (): WsClient[] => Object.values((ex as unknown as { clients?: Record<string, WsClient> }).clients ?? {});
    const waiting = (c: WsClient): boolean => Object.entries(c.subscriptions).some(([k, v]) => /^\d+$/.test(k) && typeof v === 'string');
    void watch().catch(() => undefined);
    await tap(ex).until(() => clients().some((c) => key in c.subscriptions) && !clients().some(waiting), `the ack of ${key}`, T);
  };
  const view = (accountId: number) => server.exchange.engine.account(accountId)!.view;

  before(async () => {
    harness = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: time, timers: time, priceTickMs: 0 });
    server = harness.server;
    for (const path of ['/index-price', '/mark-price']) {
      const answer = await harness.admin.request('POST', path, { symbol: 'btc_usd270326', price: '60000' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
  });
  after(async () => {
    await Promise.all(instances.splice(0).map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
    await harness.stop();
  });

  it('300015 at the delivery time; settlement: canceled order, closed position, XBT wallet, in pushes and REST; 100003 after', async () => {
    const maker = await kucoin();
    const a = await kucoin();
    assert.deepEqual([a.ex.market(Q).id, a.ex.market(Q).expiry], ['XBTMH27', MARCH_2027_DELIVERY]);
    await withTimeout(maker.ex.createOrder(Q, 'limit', 'sell', 20, 60_000), T, 'maker sell');
    await withTimeout(a.ex.createOrder(Q, 'limit', 'buy', 20, 60_000), T, 'taker buy');
    const resting = (await withTimeout(a.ex.createOrder(Q, 'limit', 'buy', 5, 59_000), T, 'resting buy')).id!;
    await subscribed(a.ex, () => a.ex.watchOrders(), '/contractMarket/tradeOrders');
    await subscribed(a.ex, () => a.ex.watchBalance(), 'contract');
    await withTimeout(a.ex.watchPositions(), T, 'watchPositions snapshot');
    await subscribed(a.ex, () => a.ex.watchPositions(), 'positionAll');

    await time.advance(20_000);
    await withTimeout(a.ex.loadTimeDifference(), T, 'loadTimeDifference');
    const late = await rejectionOf(a.ex.createOrder(Q, 'limit', 'buy', 1, 60_000), 'an order at the delivery time');
    assert.ok(late instanceof ccxt.ExchangeError, String(late));
    assert.match(late.message, /300015/);

    const settled = await harness.admin.request('POST', '/delivery/settle', { symbol: 'btc_usd270326' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    const w = view(a.accountId).wallets.find((x) => x.asset === 'BTC')!;
    await watchUntil(() => a.ex.watchOrders(), () => cacheRows(a.ex.orders).some((o) => o.id === resting && o.status === 'canceled'), 'the resting order canceled');
    const rows = (): Record<string, unknown>[] => cacheRows(a.ex.positions) as unknown as Record<string, unknown>[];
    await watchUntil(() => a.ex.watchPositions(), () => rows().some((p) => p.symbol === Q && p.contracts === 0), 'the position closed');
    await watchUntil(() => a.ex.watchBalance(), () => {
      const b = (a.ex.balance as Record<string, Record<string, { total?: number } | undefined>>)['contract']?.['BTC'];
      return b?.total === num(w.walletBalance);
    }, 'the XBT wallet after the settlement');
    assert.deepEqual((a.ex.balance as Record<string, Record<string, unknown>>)['contract']!['BTC'], { free: num(w.availableBalance), used: 0, total: num(w.walletBalance) });

    const order = await withTimeout(a.ex.fetchOrder(resting, Q), T, 'fetchOrder');
    // ccxt's remaining is amount − filled, whatever the state.
    assert.deepEqual([order.status, order.filled, order.remaining], ['canceled', 0, 5]);
    assert.deepEqual(await withTimeout(a.ex.fetchPositions([Q]), T, 'fetchPositions'), []);
    const balance = await withTimeout(a.ex.fetchBalance({ code: 'BTC' }), T, 'fetchBalance');
    assert.deepEqual(balance['BTC'], { free: num(w.availableBalance), used: 0, total: num(w.walletBalance) });
    const p = view(a.accountId).positions.find((x) => x.symbol === 'btc_usd270326' && x.positionSide === 'BOTH')!;
    assert.equal(p.qty, 0);

    const after = await rejectionOf(a.ex.createOrder(Q, 'limit', 'buy', 1, 60_000), 'an order on the settled contract');
    assert.match(after.message, /100003/);
    assert.deepEqual(view(a.accountId).orders, []);
  });
});
