/**
 * ccxt 4.5.84 `ccxt.pro.kucoinfutures` with KuCoin stop orders, configured as protocols.md §6.1 says
 * (the same constructor as kucoinfutures.test.ts), on fresh accounts with ccxt's defaults:
 * - createOrder with `triggerPrice` sends POST /api/v1/orders with stop (up for a buy, down for a
 *   sell), stopPrice and stopPriceType MP (ccxt's default trigger price type is the mark);
 * - createOrder with `stopLoss` / `takeProfit` sends POST /api/v1/st-orders;
 * - fetchOpenOrders / cancelAllOrders with `{trigger: true}` use GET / DELETE /api/v1/stopOrders;
 * - watchOrders with `{trigger: true}` subscribes /contractMarket/advancedOrders, without it
 *   /contractMarket/tradeOrders, where the order a stop order places arrives under the same id.
 * XBTUSDTM: tick 0.1, 0.0001 BTC a lot, leverage 20; the mark starts at 60,000 and each test puts it back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { AdminClient } from '../support/xt-client.js';
import { BTC, cacheRows, watchUntil, withTimeout, kucoinFuturesPro } from './helpers.js';

const T = 5_000;
const ADMIN = 'kucoin-ccxt-stop-admin';

type KucoinPro = InstanceType<typeof ccxt.pro.kucoinfutures>;
interface Account { accountId: number; ex: KucoinPro }
interface WsClient { subscriptions: Record<string, unknown> }

let server: RunningServer;
let admin: AdminClient;
const instances: KucoinPro[] = [];

async function account(deposit = '1000'): Promise<Account> {
  const created = await admin.createAccount('kucoin');
  if (deposit !== '0') await admin.deposit(created.accountId, deposit);
  const ex = kucoinFuturesPro(server, created);
  instances.push(ex);
  await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
  await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
  return { accountId: created.accountId, ex };
}

const view = (accountId: number) => server.exchange.engine.account(accountId)!.view;
const positionQty = (accountId: number): number => view(accountId).positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH')?.qty ?? 0;
const mark = (price: string) => admin.markPrice('btc_usdt', price);

/**
 * Starts `watch` and waits until KuCoin acknowledged its topic: ccxt's kucoin client keeps the
 * request id → topic entry of a subscription until the ack arrives (handleSubscriptionStatus, which
 * ccxt looks up on the instance for every message: wrapping it sees each ack as it is handled).
 */
async function subscribed(ex: KucoinPro, watch: () => Promise<unknown>, topic: string): Promise<void> {
  const target = ex as unknown as { handleSubscriptionStatus: (client: WsClient, message: unknown) => unknown };
  const original = target.handleSubscriptionStatus;
  const clients = (): WsClient[] => Object.values((ex as unknown as { clients: Record<string, WsClient> }).clients);
  const acked = (): boolean => clients().some((c) => topic in c.subscriptions && !Object.values(c.subscriptions).includes(topic));
  try {
    await withTimeout(new Promise<void>((resolve) => {
      target.handleSubscriptionStatus = function (this: unknown, client: WsClient, message: unknown): unknown {
        const handled = original.call(this, client, message);
        if (acked()) resolve();
        return handled;
      };
      void watch().catch(() => undefined);
      if (acked()) resolve(); // subscribed before: no new ack comes
    }), T, `the ack of ${topic}`);
  } finally {
    target.handleSubscriptionStatus = original;
  }
}

before(async () => {
  server = await startServer({ symbols: DEMO_SYMBOLS, adminToken: ADMIN, dataDir: null, port: 0 });
  admin = new AdminClient(server.url, ADMIN);
  await mark('60000');
  await admin.markPrice('eth_usdt', '3000');
});
after(async () => {
  await Promise.all(instances.splice(0).map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
  await server.close();
});

describe('ccxt kucoinfutures: stop orders', () => {
  it('createOrder with triggerPrice: listed by fetchOpenOrders({trigger}) only; the mark crosses: watchOrders gets the placed order under the same id, the position is long', async () => {
    const a = await account();
    const maker = await account('100000');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'sell', 5, 61_000), T, 'maker ask');
    await subscribed(a.ex, () => a.ex.watchOrders(BTC), '/contractMarket/tradeOrders');
    await subscribed(a.ex, () => a.ex.watchOrders(BTC, undefined, undefined, { trigger: true }), '/contractMarket/advancedOrders');

    const created = await withTimeout(a.ex.createOrder(BTC, 'market', 'buy', 3, undefined, { triggerPrice: 61_000, clientOrderId: 'ccxt-stop-1' }), T, 'createOrder triggerPrice');
    const id = created.id!;
    const c = view(a.accountId).conditionals[0]!;
    assert.deepEqual([String(c.conditionalId), c.kind, c.side, c.triggerSource, c.triggerDirection, c.triggerPrice, c.orderType, c.qty, c.clientOrderId],
      [id, 'PLAN', 'BUY', 'MARK', 'RISE', 610_000, 'MARKET', 3, 'ccxt-stop-1']);

    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.deepEqual(open.map((o) => [o.id, o.clientOrderId, o.symbol, o.type, o.side, o.amount, o.filled, o.status, o.triggerPrice, o.timestamp]),
      [[id, 'ccxt-stop-1', BTC, 'market', 'buy', 3, 0, 'open', 61_000, c.createTime]]);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders'), [], 'an untriggered stop order is not an open order');
    await watchUntil(() => a.ex.watchOrders(BTC, undefined, undefined, { trigger: true }),
      () => cacheRows((a.ex as unknown as { triggerOrders: unknown }).triggerOrders).some((o) => o.id === id && o.status === 'open'), 'the stop order open on advancedOrders');

    await mark('61000');
    await watchUntil(() => a.ex.watchOrders(BTC), () => cacheRows(a.ex.orders).find((o) => o.id === id)?.status === 'closed', 'the placed order filled on tradeOrders');
    const placed = cacheRows(a.ex.orders).find((o) => o.id === id)! as unknown as { clientOrderId: string; side: string; amount: number; filled: number; average: number };
    assert.deepEqual([placed.clientOrderId, placed.side, placed.amount, placed.filled, placed.average], ['ccxt-stop-1', 'buy', 3, 3, 61_000]);
    await watchUntil(() => a.ex.watchOrders(BTC, undefined, undefined, { trigger: true }),
      () => cacheRows((a.ex as unknown as { triggerOrders: unknown }).triggerOrders).some((o) => o.id === id && o.status === 'triggered'), 'the stop order triggered');
    assert.equal(positionQty(a.accountId), 3);
    const positions = await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions');
    assert.deepEqual(positions.map((p) => [p.side, p.contracts]), [['long', 3]]);
    const fetched = await withTimeout(a.ex.fetchOrder(id, BTC), T, 'fetchOrder');
    assert.deepEqual([fetched.status, fetched.triggerPrice, fetched.filled], ['closed', 61_000, 3]);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger after'), []);
    await mark('60000');
  });

  it('createOrder with stopLoss and takeProfit (st-orders): both armed when the order fills; the stop-loss fires on the mark and closes the long, the take-profit is cancelled', async () => {
    const a = await account();
    const maker = await account('100000');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'sell', 2, 60_000), T, 'maker ask');
    const created = await withTimeout(a.ex.createOrder(BTC, 'limit', 'buy', 2, 60_000, { stopLoss: { triggerPrice: 59_000 }, takeProfit: { triggerPrice: 63_000 } }), T, 'createOrder stopLoss takeProfit');
    assert.equal(positionQty(a.accountId), 2);
    const legs = view(a.accountId).conditionals;
    assert.deepEqual(legs.map((c) => [c.kind, c.side, c.qty, c.triggerSource, c.triggerDirection, c.triggerPrice]).sort(),
      [['STOP_LOSS', 'SELL', 2, 'MARK', 'FALL', 590_000], ['TAKE_PROFIT', 'SELL', 2, 'MARK', 'RISE', 630_000]]);
    assert.ok(legs.every((c) => String(c.conditionalId) !== created.id));

    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.deepEqual(open.map((o) => [o.side, o.amount, o.triggerPrice, o.reduceOnly, o.status]).sort(), [['sell', 2, 59_000, true, 'open'], ['sell', 2, 63_000, true, 'open']]);

    const sl = legs.find((c) => c.kind === 'STOP_LOSS')!;
    await subscribed(a.ex, () => a.ex.watchOrders(BTC), '/contractMarket/tradeOrders');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 2, 58_900), T, 'maker bid');
    await mark('59000');
    await watchUntil(() => a.ex.watchOrders(BTC), () => cacheRows(a.ex.orders).find((o) => o.id === String(sl.conditionalId))?.status === 'closed', 'the stop-loss order filled');
    assert.equal(positionQty(a.accountId), 0);
    assert.deepEqual(view(a.accountId).conditionals, [], 'the take-profit went with the position');
    await mark('60000');
  });

  it('cancelOrder and cancelAllOrders({trigger}) on stop orders; watchOrders({trigger}) sees them cancelled', async () => {
    const a = await account();
    await subscribed(a.ex, () => a.ex.watchOrders(undefined, undefined, undefined, { trigger: true }), '/contractMarket/advancedOrders');
    const one = await withTimeout(a.ex.createOrder(BTC, 'limit', 'sell', 1, 59_000, { triggerPrice: 59_000 }), T, 'stop sell');
    const two = await withTimeout(a.ex.createOrder(BTC, 'limit', 'sell', 1, 58_000, { triggerPrice: 58_000 }), T, 'stop sell 2');
    const three = await withTimeout(a.ex.createOrder(BTC, 'limit', 'buy', 1, 62_000, { triggerPrice: 62_000 }), T, 'stop buy');
    assert.deepEqual(view(a.accountId).conditionals.map((c) => [c.triggerDirection, c.triggerPrice]), [['FALL', 590_000], ['FALL', 580_000], ['RISE', 620_000]]);

    await withTimeout(a.ex.cancelOrder(one.id!, BTC), T, 'cancelOrder');
    const rows = () => cacheRows((a.ex as unknown as { triggerOrders: unknown }).triggerOrders);
    await watchUntil(() => a.ex.watchOrders(undefined, undefined, undefined, { trigger: true }), () => rows().some((o) => o.id === one.id && o.status === 'canceled'), 'the cancel push');
    await withTimeout(a.ex.cancelAllOrders(BTC, { trigger: true }), T, 'cancelAllOrders trigger');
    assert.deepEqual(view(a.accountId).conditionals, []);
    await watchUntil(() => a.ex.watchOrders(undefined, undefined, undefined, { trigger: true }),
      () => [two.id, three.id].every((id) => rows().some((o) => o.id === id && o.status === 'canceled')), 'both cancelled');
  });

  it('a trigger refused for margin: watchOrders({trigger}) shows it canceled (triggerSuccess false), nothing placed', async () => {
    const a = await account('5');
    const maker = await account('100000');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'sell', 100, 61_000), T, 'maker ask');
    await subscribed(a.ex, () => a.ex.watchOrders(BTC, undefined, undefined, { trigger: true }), '/contractMarket/advancedOrders');
    const created = await withTimeout(a.ex.createOrder(BTC, 'market', 'buy', 100, undefined, { triggerPrice: 61_000 }), T, 'createOrder 100 lots');
    const rows = () => cacheRows((a.ex as unknown as { triggerOrders: unknown }).triggerOrders);
    await mark('61000');
    await watchUntil(() => a.ex.watchOrders(BTC, undefined, undefined, { trigger: true }), () => rows().some((o) => o.id === created.id && o.status === 'canceled'), 'the refused trigger');
    const info = (rows().find((o) => o.id === created.id) as unknown as { info: Record<string, unknown> }).info;
    assert.deepEqual([info.type, info.triggerSuccess, info.error], ['triggered', false, 'error.createOrder.accountBalanceInsufficient']);
    assert.equal(positionQty(a.accountId), 0);
    assert.deepEqual(view(a.accountId).orders, []);
    await mark('60000');
  });

  it('a trigger price already reached fires at once, as on KuCoin: the order is placed and the position opens', async () => {
    const a = await account();
    const maker = await account('100000');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'sell', 1, 60_100), T, 'maker ask');
    const created = await withTimeout(a.ex.createOrder(BTC, 'market', 'buy', 1, undefined, { triggerPrice: 59_000 }), T, 'createOrder below the mark');
    assert.ok(created.id);
    assert.equal(positionQty(a.accountId), 1);
    assert.deepEqual(view(a.accountId).conditionals, []);
  });
});
