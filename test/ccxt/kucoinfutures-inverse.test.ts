/**
 * ccxt 4.5.84 `ccxt.pro.kucoinfutures` on KuCoin's coin-margined contracts, against a real perpstream
 * with the demo inverse and delivery symbols: btc_usd is XBTUSDM (BTC/USD:BTC, 100 USD a lot here:
 * the demo's contract size), btc_usd270326 is XBTMH27 (BTC/USD:BTC-270326), and the USDT-margined
 * quarterly btc_usdt270326 is not a KuCoin market (KuCoin lists none). Accounts are fresh KuCoin
 * accounts holding BTC (KuCoin's XBT wallet); ccxt is configured as in kucoinfutures.test.ts.
 * Every value ccxt returns is compared with the engine's state.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import { costOf } from '../../src/engine/margin.js';
import type { PositionSnapshot } from '../../src/engine/types.js';
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import type { AdminClient } from '../support/xt-client.js';
import { cacheRows, num, tap, watchUntil, withTimeout } from './helpers.js';

const T = 5_000;
const INV = 'BTC/USD:BTC';
const QUARTERLY = 'BTC/USD:BTC-270326';

type KucoinPro = InstanceType<typeof ccxt.pro.kucoinfutures>;
interface Account { accountId: number; ex: KucoinPro }

let harness: Harness;
let server: RunningServer;
let admin: AdminClient;
const instances: KucoinPro[] = [];
const accountIds: number[] = [];

function kucoin(credentials: { apiKey: string; secret: string; passphrase: string }): KucoinPro {
  const H = server.url;
  const ex = new ccxt.pro.kucoinfutures({
    apiKey: credentials.apiKey, secret: credentials.secret, password: credentials.passphrase,
    enableRateLimit: false,
    has: { fetchCurrencies: false },
    options: { uta: false, hf: false },
    urls: { api: { public: `${H}/kucoin-spot`, private: `${H}/kucoin-spot`, utaPrivate: `${H}/kucoin-spot`,
      uta: `${H}/kucoin-spot`, utaV2: `${H}/kucoin-spot`,
      futuresPublic: `${H}/kucoin-futures`, futuresPrivate: `${H}/kucoin-futures`,
      ws: { private: `${server.wsUrl}/kucoin/uta` } } },
  });
  tap(ex);
  instances.push(ex);
  return ex;
}

/** A fresh KuCoin account holding `btc` BTC (its XBT wallet), markets loaded. */
async function account(btc = '1'): Promise<Account> {
  const created = await admin.createAccount('kucoin');
  accountIds.push(created.accountId);
  await admin.deposit(created.accountId, btc, 'BTC');
  const ex = kucoin(created);
  await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
  await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
  return { accountId: created.accountId, ex };
}

const view = (accountId: number) => server.exchange.engine.account(accountId)!.view;
const btcWallet = (accountId: number) => view(accountId).wallets.find((w) => w.asset === 'BTC')!;
const position = (accountId: number, symbol = 'btc_usd'): PositionSnapshot => view(accountId).positions.find((p) => p.symbol === symbol && p.positionSide === 'BOTH')!;
const config = (symbol: string) => server.exchange.engine.symbols().find((c) => c.symbol === symbol)!;

type WsClient = { subscriptions: Record<string, unknown> };

/** Starts `watch` and waits until ccxt holds the subscription `key` and no request waits for its ack. */
async function subscribed(ex: KucoinPro, watch: () => Promise<unknown>, key: string): Promise<void> {
  const clients = (): WsClient[] => Object.values((ex as unknown as { clients?: Record<string, WsClient> }).clients ?? {});
  const waiting = (c: WsClient): boolean => Object.entries(c.subscriptions).some(([k, v]) => /^\d+$/.test(k) && typeof v === 'string');
  void watch().catch(() => undefined);
  await tap(ex).until(() => clients().some((c) => key in c.subscriptions) && !clients().some(waiting), `the ack of ${key}`, T);
}

/** KuCoin's 10-decimal XBT value of an inverse cost (10⁻¹⁶ coin), as a number. */
const xbt = (cost: bigint): number => Number(cost) / 1e16;

before(async () => {
  harness = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
  ({ server, admin } = harness);
  for (const symbol of ['btc_usdt', 'btc_usd', 'btc_usd270326', 'btc_usdt270326']) await admin.markPrice(symbol, '60000');
  await admin.markPrice('eth_usdt', '3000');
});
afterEach(async () => {
  for (const accountId of accountIds) {
    for (const c of server.exchange.engine.symbols()) await server.exchange.execute({ type: 'cancelAll', accountId, symbol: c.symbol });
  }
});
after(async () => {
  await Promise.all(instances.splice(0).map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
  await harness.stop();
});

describe('ccxt kucoinfutures: XBTUSDM and XBTMH27', () => {
  it('loadMarkets: XBTUSDM an inverse swap, XBTMH27 an inverse future expiring at the delivery, no USDT quarterly', async () => {
    const a = await account();
    const m = a.ex.market(INV);
    assert.deepEqual([m.id, m.type, m.swap, m.future, m.linear, m.inverse, m.base, m.quote, m.settle, m.contractSize, m.precision.price, m.active],
      ['XBTUSDM', 'swap', true, false, false, true, 'BTC', 'USD', 'BTC', 100, 0.1, true]);
    const q = a.ex.market(QUARTERLY);
    assert.deepEqual([q.id, q.type, q.future, q.inverse, q.settle, q.contractSize, q.expiry, q.active],
      ['XBTMH27', 'future', true, true, 'BTC', 100, MARCH_2027_DELIVERY, true]);
    assert.ok(!Object.values(a.ex.markets ?? {}).some((x) => x.settle === 'USDT' && x.future), 'KuCoin lists no USDT-margined quarterly');
    assert.deepEqual(Object.keys(a.ex.markets ?? {}).sort(), ['BTC/USD:BTC', 'BTC/USD:BTC-270326', 'BTC/USDT:USDT', 'ETH/USDT:USDT']);
  });

  it('createOrder, fetchBalance({code: BTC}), fetchPositions on XBTUSDM: the engine\'s values in XBT', async () => {
    const maker = await account();
    const a = await account();
    const made = await withTimeout(maker.ex.createOrder(INV, 'limit', 'sell', 30, 60_000), T, 'maker createOrder');
    const resting = view(maker.accountId).orders.find((o) => o.orderId === Number(made.id))!;
    assert.deepEqual([resting.symbol, resting.side, resting.qty, resting.price], ['btc_usd', 'SELL', 30, 600_000]);
    const open = await withTimeout(maker.ex.fetchOpenOrders(INV), T, 'fetchOpenOrders');
    assert.deepEqual(open.map((o) => [o.id, o.symbol, o.amount, o.price, o.status]), [[made.id, INV, 30, 60_000, 'open']]);
    // KuCoin's value of an inverse order is its coin value: 30 × 100 / 60,000 = 0.05 XBT.
    assert.deepEqual([(open[0]!.info as { value: string }).value, (open[0]!.info as { settleCurrency: string }).settleCurrency], ['0.05', 'XBT']);

    await withTimeout(a.ex.createOrder(INV, 'market', 'buy', 30), T, 'taker createOrder');
    const p = position(a.accountId);
    assert.equal(p.qty, 30);
    const balance = await withTimeout(a.ex.fetchBalance({ code: 'BTC' }), T, 'fetchBalance BTC');
    const w = btcWallet(a.accountId);
    assert.deepEqual(balance['BTC'], { free: num(w.availableBalance), used: num(w.walletBalance + p.unrealizedPnl - w.availableBalance), total: num(w.walletBalance + p.unrealizedPnl) });
    assert.equal((balance.info as { data: { currency: string } }).data.currency, 'XBT');
    // KuCoin's own parameter: currency XBT, the same wallet.
    const byCurrency = await withTimeout(a.ex.fetchBalance({ currency: 'XBT' }), T, 'fetchBalance currency XBT');
    assert.deepEqual(byCurrency['BTC'], balance['BTC']);

    const [fetched] = await withTimeout(a.ex.fetchPositions([INV]), T, 'fetchPositions');
    assert.ok(fetched !== undefined);
    const c = config('btc_usd');
    assert.deepEqual([fetched.symbol, fetched.side, fetched.contracts, fetched.contractSize, fetched.marginMode],
      [INV, 'long', 30, 100, 'isolated']);
    // notional = |posCost| = the entry's coin value; entry the harmonic mean; PnL markValue − posCost.
    assert.equal(fetched.notional, xbt(p.entryCost));
    assert.equal(fetched.entryPrice, Number(formatEntryPrice(c, p.entryCost, p.qty, 10 - c.priceDecimals)));
    assert.equal(fetched.unrealizedPnl, xbt(p.entryCost - costOf(c, 30, 600_000)));
    assert.equal(fetched.initialMargin, num(p.initialMargin));
    assert.equal(fetched.maintenanceMargin, num(p.maintenanceMargin));
    assert.equal(fetched.realizedPnl, num(p.realizedPnlCurrent));
    assert.equal((fetched.info as { settleCurrency: string; isInverse: boolean }).settleCurrency, 'XBT');
    assert.equal((fetched.info as { isInverse: boolean }).isInverse, true);
    assert.equal(fetched.notional, 0.05);
    // Close both.
    await withTimeout(a.ex.createOrder(INV, 'limit', 'sell', 30, 60_000, { reduceOnly: true }), T, 'close limit');
    await withTimeout(maker.ex.createOrder(INV, 'market', 'buy', 30, undefined, { reduceOnly: true }), T, 'close market');
    assert.equal(position(a.accountId).qty, 0);
  });

  it('watchBalance (XBT wallet) and watchPositions (UTA) carry the engine\'s values', async () => {
    const maker = await account();
    const a = await account();
    await subscribed(a.ex, () => a.ex.watchBalance(), 'contract');
    assert.deepEqual(await withTimeout(a.ex.watchPositions(), T, 'watchPositions snapshot'), []);
    await subscribed(a.ex, () => a.ex.watchPositions(), 'positionAll');
    await withTimeout(maker.ex.createOrder(INV, 'limit', 'buy', 12, 60_000), T, 'maker');
    await withTimeout(a.ex.createOrder(INV, 'market', 'sell', 12), T, 'taker');
    const p = position(a.accountId);
    const w = btcWallet(a.accountId);
    await watchUntil(() => a.ex.watchBalance(), () => {
      const b = (a.ex.balance as Record<string, Record<string, { total?: number } | undefined>>)['contract']?.['BTC'];
      return b?.total === num(w.walletBalance);
    }, 'the XBT wallet after the fill');
    const b = (a.ex.balance as Record<string, Record<string, unknown>>)['contract']!['BTC'];
    assert.deepEqual(b, { free: num(w.availableBalance), used: num(w.walletBalance - w.availableBalance), total: num(w.walletBalance) });
    const rows = (): Record<string, unknown>[] => cacheRows(a.ex.positions) as unknown as Record<string, unknown>[];
    await watchUntil(() => a.ex.watchPositions(), () => rows().some((x) => x.contracts === 12), 'the short 12');
    const x = rows().find((r) => r.contracts === 12)!;
    const c = config('btc_usd');
    assert.deepEqual([x.symbol, x.side, x.contracts, x.entryPrice, x.markPrice, x.notional, x.unrealizedPnl, x.initialMargin, x.maintenanceMargin],
      [INV, 'short', 12, Number(formatEntryPrice(c, p.entryCost, 12, 10 - c.priceDecimals)), 60_000, xbt(costOf(c, 12, 600_000)), 0, num(p.initialMargin), num(p.maintenanceMargin)]);
    assert.equal(p.unrealizedPnl, 0n, 'entered at the mark');
    await withTimeout(a.ex.createOrder(INV, 'limit', 'buy', 12, 60_000, { reduceOnly: true }), T, 'close limit');
    await withTimeout(maker.ex.createOrder(INV, 'market', 'sell', 12, undefined, { reduceOnly: true }), T, 'close market');
  });

  it('bad input: BTC is not a KuCoin currency (XBT is), the USDT quarterly is no market', async () => {
    const a = await account();
    const before = server.exchange.engine.cmdSeq;
    const wrong = await withTimeout((a.ex as unknown as { futuresPrivateGetAccountOverview: (p: object) => Promise<unknown> })
      .futuresPrivateGetAccountOverview({ currency: 'BTC' }).then(() => undefined, (e: unknown) => e), T, 'account-overview BTC');
    assert.ok(wrong instanceof ccxt.BadRequest, String(wrong));
    assert.match(String(wrong), /400100/);
    const quarterly = await withTimeout((a.ex as unknown as { futuresPrivatePostOrders: (p: object) => Promise<unknown> })
      .futuresPrivatePostOrders({ clientOid: 'q-1', symbol: 'XBTUSDTMH27', side: 'buy', type: 'limit', price: '60000', size: 1 }).then(() => undefined, (e: unknown) => e), T, 'an order on a USDT quarterly');
    assert.ok(quarterly instanceof ccxt.BadRequest, String(quarterly));
    assert.equal(server.exchange.engine.cmdSeq, before, 'nothing changed');
  });
});
