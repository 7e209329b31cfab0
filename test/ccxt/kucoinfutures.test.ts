/**
 * ccxt 4.5.84 `ccxt.pro.kucoinfutures` against a real perpstream, configured exactly as
 * protocols.md §6.1 says (REST hosts under /kucoin-futures and /kucoin-spot, the UTA stream at
 * /kucoin/uta; the classic stream URL comes from bullet-private). Every value ccxt returns is
 * compared with the engine's own state, or with numbers worked out from docs/engine-rules.md for
 * BTC_USDT (XBTUSDTM here: tick 0.1, multiplier 0.0001, K = 1000, maker 0.0002, taker 0.0006,
 * leverage 20):
 *
 *   perContract(60,000) = 30,000,000 + 360,000 units = 0.3036 USDT frozen per opening lot
 *   a fill of q lots at 60,000: maker fee q × 0.0012, taker fee q × 0.0036, position margin q × 0.3
 *
 * Amounts: ccxt's KuCoin amounts are lots (contracts) for orders, trades and positions alike.
 * Accounts are created for KuCoin (one-way, every contract ISOLATED, as a fresh KuCoin account is):
 * ccxt sends no `marginMode` unless asked, which KuCoin reads as ISOLATED.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import type { PositionSnapshot } from '../../src/engine/types.js';
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import type { AdminClient } from '../support/xt-client.js';
import { BTC, cacheRows, ETH, num, rejectionOf, tap, watchUntil, withTimeout, kucoinFuturesPro } from './helpers.js';

const T = 5_000;

type KucoinPro = InstanceType<typeof ccxt.pro.kucoinfutures>;

interface Account {
  accountId: number;
  ex: KucoinPro;
}

let harness: Harness;
let server: RunningServer;
let admin: AdminClient;
const instances: KucoinPro[] = [];
const accountIds: number[] = [];

/** The §6.1 constructor config, verbatim. */
function kucoin(credentials: { apiKey: string; secret: string; passphrase: string }, options: Record<string, unknown> = {}): KucoinPro {
  const ex = kucoinFuturesPro(server, credentials, options);
  tap(ex);
  instances.push(ex);
  return ex;
}

type WsClient = { subscriptions: Record<string, unknown> };

/**
 * Starts the watches and waits until KuCoin acknowledged every subscription they sent: ccxt's
 * subscriptions (`keys`, its subscription hashes: a topic, 'contract' for the balance, a UTA channel)
 * are there and no request is waiting for its ack (ccxt keeps a request id → topic entry until the
 * ack: handleSubscriptionStatus). The tap re-checks after every message ccxt handles.
 */
async function subscribed(ex: KucoinPro, watches: (() => Promise<unknown>)[], keys: string[]): Promise<void> {
  const clients = (): WsClient[] => Object.values((ex as unknown as { clients?: Record<string, WsClient> }).clients ?? {});
  const waiting = (c: WsClient): boolean => Object.entries(c.subscriptions).some(([key, value]) => /^\d+$/.test(key) && typeof value === 'string');
  const acked = (): boolean => keys.every((key) => clients().some((c) => key in c.subscriptions)) && !clients().some(waiting);
  for (const watch of watches) void watch().catch(() => undefined);
  await tap(ex).until(acked, `the acks of ${keys.join(', ')}`, T);
}

/** A funded account created for KuCoin (one-way, every contract ISOLATED), markets loaded. */
async function account(deposit = '1000', options: Record<string, unknown> = {}): Promise<Account> {
  const created = await admin.createAccount('kucoin');
  accountIds.push(created.accountId);
  if (deposit !== '0') await admin.deposit(created.accountId, deposit);
  const ex = kucoin(created, options);
  await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
  await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
  return { accountId: created.accountId, ex };
}

const view = (accountId: number) => server.exchange.engine.account(accountId)!.view;
const wallet = (accountId: number) => view(accountId).wallets.find((w) => w.asset === 'USDT')!;
const position = (accountId: number, symbol = 'btc_usdt'): PositionSnapshot => view(accountId).positions.find((p) => p.symbol === symbol && p.positionSide === 'BOTH')!;
const order = (accountId: number, id: string | undefined) => view(accountId).orders.find((o) => o.orderId === Number(id)) ?? server.exchange.history.finishedOrder(accountId, Number(id));

/** ccxt's balance of an account as the engine's wallet says it: free = available, used = the rest, total = wallet (+ unrealized PnL, 0 at these marks). */
function engineBalance(accountId: number): { free: number; used: number; total: number } {
  const w = wallet(accountId);
  return { free: num(w.availableBalance), used: num(w.walletBalance - w.availableBalance), total: num(w.walletBalance) };
}

async function place(a: Account, type: 'limit' | 'market', side: 'buy' | 'sell', amount: number, price?: number, params: Record<string, unknown> = {}): Promise<string> {
  const created = await withTimeout(a.ex.createOrder(BTC, type, side, amount, price, params), T, `createOrder ${type} ${side} ${amount}@${price ?? 'market'}`);
  assert.equal(typeof created.id, 'string');
  return created.id!;
}

before(async () => {
  harness = await Harness.start();
  ({ server, admin } = harness);
  await admin.markPrice('btc_usdt', '60000');
  await admin.markPrice('eth_usdt', '3000');
});
afterEach(async () => {
  for (const accountId of accountIds) {
    for (const config of server.exchange.engine.symbols()) await server.exchange.execute({ type: 'cancelAll', accountId, symbol: config.symbol });
  }
});
after(async () => {
  await Promise.all(instances.splice(0).map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
  await harness.stop();
});

describe('ccxt kucoinfutures: markets and REST', () => {
  it('loadMarkets: BTC/USDT:USDT is XBTUSDTM, a linear swap with contractSize 0.0001; ETH/USDT:USDT is ETHUSDTM', async () => {
    const a = await account();
    const m = a.ex.market(BTC);
    assert.deepEqual([m.id, m.symbol, m.type, m.swap, m.linear, m.inverse, m.base, m.quote, m.settle, m.contractSize, m.precision.price, m.precision.amount, m.maker, m.taker, m.active],
      ['XBTUSDTM', BTC, 'swap', true, true, false, 'BTC', 'USDT', 'USDT', 0.0001, 0.1, 1, 0.0002, 0.0006, true]);
    assert.equal(m.limits.leverage?.max, 125);
    const eth = a.ex.market(ETH);
    assert.deepEqual([eth.id, eth.contractSize, eth.precision.price, eth.taker], ['ETHUSDTM', 0.01, 0.01, 0.0005]);
    assert.equal(view(a.accountId).positionMode, 'ONE_WAY', 'a KuCoin account starts one-way');
    await withTimeout(a.ex.setPositionMode(true), T, 'setPositionMode(true)');
    assert.equal(view(a.accountId).positionMode, 'HEDGE', 'setPositionMode(true) reached the engine');
    await withTimeout(a.ex.setPositionMode(false), T, 'setPositionMode(false)');
    assert.equal(view(a.accountId).positionMode, 'ONE_WAY', 'setPositionMode(false) reached the engine');
  });

  it('createOrder, fetchOpenOrders, fetchBalance, cancelOrder: the engine\'s orders and wallet', async () => {
    const a = await account();
    const id = await place(a, 'limit', 'buy', 10, 60_000, { clientOrderId: 'ccxt-kc-1' });
    const engine = order(a.accountId, id)!;
    assert.deepEqual([engine.side, engine.qty, engine.price, engine.clientOrderId, engine.state], ['BUY', 10, 600_000, 'ccxt-kc-1', 'NEW']);
    assert.equal(engine.marginFrozen, 30_360_000n * 10n);

    const open = await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders');
    assert.equal(open.length, 1);
    const o = open[0]!;
    assert.deepEqual([o.id, o.clientOrderId, o.symbol, o.type, o.side, o.status, o.price, o.amount, o.filled, o.remaining, o.timestamp, o.timeInForce, o.postOnly, o.reduceOnly],
      [id, 'ccxt-kc-1', BTC, 'limit', 'buy', 'open', 60_000, 10, 0, 10, engine.createTime, 'GTC', false, false]);

    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], engineBalance(a.accountId));
    assert.deepEqual(balance['USDT'], { free: 996.964, used: 3.036, total: 1000 });

    await withTimeout(a.ex.cancelOrder(id, BTC), T, 'cancelOrder');
    assert.equal(order(a.accountId, id)!.state, 'CANCELED');
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders after cancel'), []);
    assert.deepEqual((await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance after cancel'))['USDT'], { free: 1000, used: 0, total: 1000 });
  });

  it('fetchPositions: side, contracts, entry, mark, notional, leverage, collateral, PnL as the engine has them', async () => {
    const maker = await account();
    const taker = await account();
    await place(maker, 'limit', 'sell', 10, 60_000);
    await place(taker, 'market', 'buy', 10);
    const engine = position(taker.accountId);
    assert.deepEqual([engine.qty, engine.margin, engine.feesCurrent, engine.realizedPnlCurrent], [10, 300_000_000n, 3_600_000n, -3_600_000n]);
    const positions = await withTimeout(taker.ex.fetchPositions([BTC]), T, 'fetchPositions');
    assert.equal(positions.length, 1);
    const p = positions[0]!;
    assert.deepEqual([p.id, p.symbol, p.side, p.contracts, p.contractSize, p.entryPrice, p.markPrice, p.notional, p.marginMode, p.unrealizedPnl, p.realizedPnl],
      [`${taker.accountId}-XBTUSDTM-BOTH`, BTC, 'long', 10, 0.0001, 60_000, 60_000, 60, 'isolated', 0, num(engine.realizedPnlCurrent)]);
    // realLeverage = mark value / (position margin + unrealized PnL) = 60 / 3; collateral = maintMargin = 3
    assert.equal(p.leverage, 20);
    assert.equal(p.collateral, num(engine.margin + engine.unrealizedPnl));
    assert.equal(p.maintenanceMargin, num(engine.maintenanceMargin));
    assert.equal(p.initialMargin, num(engine.initialMargin));
    assert.equal(p.timestamp !== undefined && Math.abs(p.timestamp - Date.now()) < 5_000, true);
    const makerPositions = await withTimeout(maker.ex.fetchPositions(), T, 'fetchPositions (maker)');
    assert.deepEqual(makerPositions.map((x) => [x.side, x.contracts, x.entryPrice, x.notional]), [['short', 10, 60_000, 60]]);
    // Close both, back to flat.
    await place(taker, 'limit', 'sell', 10, 60_000, { reduceOnly: true });
    await place(maker, 'market', 'buy', 10, undefined, { reduceOnly: true });
    assert.deepEqual(await withTimeout(taker.ex.fetchPositions(), T, 'fetchPositions when flat'), []);
  });

  it('errors map to ccxt\'s classes: a wrong password, insufficient margin, an unknown order, a bad price', async () => {
    const created = await admin.createAccount('kucoin');
    const wrong = kucoin({ ...created, passphrase: 'not-it' });
    await wrong.loadHttpProxyAgent();
    const auth = await rejectionOf(wrong.fetchBalance(), 'fetchBalance with a wrong password');
    assert.ok(auth instanceof ccxt.AuthenticationError, String(auth));
    assert.match(auth.message, /400004/);
    const a = await account('10');
    const poor = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'buy', 100, 60_000), 'createOrder beyond the margin');
    assert.ok(poor instanceof ccxt.InsufficientFunds, String(poor));
    const missing = await rejectionOf(a.ex.cancelOrder('987654', BTC), 'cancelOrder of an unknown id');
    assert.ok(missing instanceof ccxt.OrderNotFound, String(missing));
    const band = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'buy', 1, 70_000), 'createOrder outside the band');
    assert.ok(band instanceof ccxt.InvalidOrder, String(band));
    assert.equal(view(a.accountId).orders.length, 0);
  });

  it('setMarginMode and setLeverage reach the engine; on a cross contract an order must say marginMode cross', async () => {
    const a = await account();
    const eth = () => view(a.accountId).settings.find((s) => s.symbol === 'eth_usdt')!;
    assert.equal(eth().marginMode, 'ISOLATED', 'a KuCoin account starts isolated');
    await withTimeout(a.ex.setMarginMode('cross', ETH), T, 'setMarginMode');
    assert.equal(eth().marginMode, 'CROSSED');
    await withTimeout(a.ex.setLeverage(7, ETH), T, 'setLeverage');
    assert.equal(eth().leverage, 7);
    // ccxt sends no marginMode unless asked; KuCoin reads that as ISOLATED and refuses it here (330005).
    const unsaid = await rejectionOf(a.ex.createOrder(ETH, 'limit', 'buy', 1, 2_900), 'createOrder without marginMode on a cross contract');
    assert.ok(unsaid instanceof ccxt.InvalidOrder, String(unsaid));
    assert.match(unsaid.message, /330005/);
    assert.equal(view(a.accountId).orders.length, 0);
    const placed = await withTimeout(a.ex.createOrder(ETH, 'limit', 'buy', 1, 2_900, { marginMode: 'cross' }), T, 'createOrder with marginMode cross');
    assert.equal(order(a.accountId, placed.id)!.marginMode, 'CROSSED');
  });
});

describe('ccxt kucoinfutures: the private streams', () => {
  it('watchBalance, watchOrders, watchMyTrades over the classic stream: a partial then a full fill', async () => {
    const maker = await account();
    const taker = await account();
    const ex = maker.ex;
    // Start the watchers (they subscribe), then trade.
    await subscribed(ex, [() => ex.watchBalance(), () => ex.watchOrders(), () => ex.watchMyTrades()], ['contract', '/contractMarket/tradeOrders']);
    const makerId = await place(maker, 'limit', 'sell', 10, 60_000);
    await watchUntil(() => ex.watchOrders(), () => cacheRows(ex.orders).some((o) => o.id === makerId), 'the open order in ccxt\'s cache');
    const opened = cacheRows(ex.orders).find((o) => o.id === makerId)!;
    assert.deepEqual([opened.status, opened.side, opened.symbol], ['open', 'sell', BTC]);

    await place(taker, 'market', 'buy', 4);
    await watchUntil(() => ex.watchMyTrades(), () => cacheRows(ex.myTrades).length >= 1, 'the first fill');
    await place(taker, 'market', 'buy', 6);
    await watchUntil(() => ex.watchMyTrades(), () => cacheRows(ex.myTrades).length >= 2, 'the second fill');
    await watchUntil(() => ex.watchOrders(), () => cacheRows(ex.orders).find((o) => o.id === makerId)?.status === 'closed', 'the order closed');

    const engineTrades = server.exchange.history.trades(maker.accountId).slice().reverse();
    assert.equal(engineTrades.length, 2);
    const trades = cacheRows(ex.myTrades) as unknown as { id: string; order: string; symbol: string; side: string; amount: number; price: number; takerOrMaker: string; timestamp: number; fee: { cost: number; rate: number; currency: string } }[];
    assert.deepEqual(trades.map((t) => [t.id, t.order, t.symbol, t.side, t.amount, t.price, t.takerOrMaker, t.timestamp]),
      engineTrades.map((t) => [String(t.tradeId), makerId, BTC, 'sell', t.qty, 60_000, 'maker', t.time]));
    assert.deepEqual(trades.map((t) => t.fee), engineTrades.map((t) => ({ cost: num(t.fee), rate: 0.0002, currency: 'USDT' })));
    assert.deepEqual(trades.map((t) => t.fee.cost), [0.0048, 0.0072]);

    const done = cacheRows(ex.orders).find((o) => o.id === makerId) as unknown as { status: string; amount: number; filled: number; average: number; timestamp: number };
    const engineOrder = order(maker.accountId, makerId)!;
    assert.deepEqual([done.status, done.amount, done.filled, done.average, done.timestamp], ['closed', engineOrder.qty, engineOrder.executedQty, 60_000, engineOrder.createTime]);

    await watchUntil(() => ex.watchBalance(), () => {
      const b = (ex.balance as Record<string, Record<string, unknown>>)['contract']?.['USDT'] as { total?: number } | undefined;
      return b?.total === num(wallet(maker.accountId).walletBalance);
    }, 'the balance after both fills');
    const balance = (ex.balance as Record<string, Record<string, unknown>>)['contract']!['USDT'];
    assert.deepEqual(balance, engineBalance(maker.accountId));
    // 1000 − 0.012 of fees; 3 USDT of (isolated) margin for the short 10
    assert.deepEqual(balance, { free: 996.988, used: 3, total: 999.988 });
  });

  it('watchPositions over the UTA stream (second call subscribes): the engine\'s position', async () => {
    const maker = await account();
    const a = await account();
    const first = await withTimeout(a.ex.watchPositions(), T, 'watchPositions (the REST snapshot)');
    assert.deepEqual(first, []);
    await subscribed(a.ex, [() => a.ex.watchPositions()], ['positionAll']);
    await place(maker, 'limit', 'buy', 7, 60_000);
    await place(a, 'market', 'sell', 7);
    const rows = (): { contracts?: number; side?: string }[] => cacheRows(a.ex.positions) as unknown as { contracts?: number; side?: string }[];
    await watchUntil(() => a.ex.watchPositions(), () => rows().some((p) => p.contracts === 7), 'the short 7 position');
    const engine = position(a.accountId);
    const p = rows().find((x) => x.contracts === 7) as unknown as Record<string, unknown>;
    assert.deepEqual([p.id, p.symbol, p.side, p.contracts, p.contractSize, p.entryPrice, p.markPrice, p.notional, p.leverage, p.marginMode, p.unrealizedPnl, p.realizedPnl, p.maintenanceMargin, p.initialMargin, p.liquidationPrice],
      [`${a.accountId}-XBTUSDTM-BOTH`, BTC, 'short', 7, 0.0001, 60_000, 60_000, 42, engine.leverage, 'isolated', num(engine.unrealizedPnl), num(engine.realizedPnlCurrent),
        num(engine.maintenanceMargin), num(engine.initialMargin), num(engine.liquidationPrice ?? 0n)]);
    assert.ok(engine.liquidationPrice !== null && engine.liquidationPrice > 0n, 'an isolated short has a liquidation price');
    assert.equal(p.timestamp, engine.openTime);
    assert.equal(p.lastUpdateTimestamp, engine.updateTime);
    await place(a, 'limit', 'buy', 7, 60_000, { reduceOnly: true });
    await place(maker, 'market', 'sell', 7, undefined, { reduceOnly: true });
  });

  it('watchPosition(symbol): /contract/position:XBTUSDTM (seed 004) through the spot bullet ccxt negotiates', async () => {
    const maker = await account();
    const a = await account();
    const snapshot = await withTimeout(a.ex.watchPosition(BTC), T, 'watchPosition (the REST snapshot)');
    assert.equal(cacheRows(snapshot).length, 1, 'the snapshot: one (flat) position from GET /api/v1/position');
    await subscribed(a.ex, [() => a.ex.watchPosition(BTC)], ['/contract/position:XBTUSDTM']);
    await place(maker, 'limit', 'sell', 3, 60_000);
    await place(a, 'market', 'buy', 3);
    const rows = (): Record<string, unknown>[] => cacheRows(a.ex.positions) as unknown as Record<string, unknown>[];
    await watchUntil(() => a.ex.watchPosition(BTC), () => rows().some((x) => x.contracts === 3), 'the long 3 position');
    const p = rows().find((x) => x.contracts === 3)!;
    const engine = position(a.accountId);
    assert.deepEqual([p.symbol, p.side, p.contracts, p.entryPrice, p.markPrice, p.notional, p.marginMode, p.realizedPnl, p.leverage],
      [BTC, 'long', 3, 60_000, 60_000, 18, 'isolated', num(engine.realizedPnlCurrent), engine.leverage]);
  });
});
