/**
 * ccxt 4.5.84 `pro.binanceusdm` against a real perpstream, configured exactly as protocols.md §6.1
 * says (binanceusdm-fixture.ts). Every value ccxt returns is compared with the engine's state or
 * history. Demo BTC_USDT: tick 0.1, contract 0.0001 BTC (Binance quantities are base units: 0.01
 * BTC = 100 contracts), maker 0.0002, taker 0.0006, default leverage 20.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BinanceCcxtFixture, BTC, base, T, units, type BinanceCcxtAccount as Account } from './binanceusdm-fixture.js';
import { listeners } from '../support/barriers.js';
import { cacheRows, watchUntil, withTimeout } from './helpers.js';

describe('ccxt binanceusdm (protocols.md §6.1 config)', () => {
  let f: BinanceCcxtFixture;
  let server: BinanceCcxtFixture['server'];
  let admin: BinanceCcxtFixture['admin'];
  const make = (apiKey: string, secret: string, options: Record<string, unknown> = {}, has?: Record<string, unknown>) => f.make(apiKey, secret, options, has);
  const account = (deposit?: string, options?: Record<string, unknown>): Promise<Account> => f.account(deposit, options);
  const view = (accountId: number) => f.view(accountId);
  const wallet = (accountId: number) => f.wallet(accountId);
  const position = (accountId: number) => f.position(accountId);
  const trade = (maker: Account, taker: Account, makerSide: 'buy' | 'sell', amount: number, price: number) => f.trade(maker, taker, makerSide, amount, price);

  before(async () => {
    f = await BinanceCcxtFixture.start();
    server = f.server;
    admin = f.admin;
  });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.stop(); });

  it('loadMarkets: BTC/USDT:USDT is a linear swap BTCUSDT with step 0.0001 and tick 0.1', async () => {
    const a = await account();
    const m = a.ex.market(BTC);
    assert.deepEqual([m.id, m.type, m.linear, m.settle, m.contractSize, m.precision.amount, m.precision.price], ['BTCUSDT', 'swap', true, 'USDT', 1, 0.0001, 0.1]);
    assert.equal(view(a.accountId).positionMode, 'ONE_WAY', 'setPositionMode(false) went to positionSide/dual');
  });

  it('with fetchCurrencies left on, loadMarkets also works (sapi capital/config/getall and margin/allPairs)', async () => {
    const created = await admin.createAccount();
    const ex = make(created.apiKey, created.secret, {}, {});
    const markets = await withTimeout(ex.loadMarkets(), T, 'loadMarkets with currencies');
    assert.ok(markets[BTC] !== undefined);
  });

  it('createOrder, fetchOpenOrders, cancelOrder: the engine\'s order, in base units', async () => {
    const a = await account();
    const created = await withTimeout(a.ex.createOrder(BTC, 'limit', 'buy', 0.01, 59_000), T, 'createOrder');
    const live = view(a.accountId).orders.find((o) => o.orderId === Number(created.id))!;
    assert.deepEqual([created.status, created.amount, created.price, created.filled, created.side, created.type], ['open', base(live.qty), live.price / 10, 0, 'buy', 'limit']);
    assert.equal(created.clientOrderId, live.clientOrderId);
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders');
    assert.deepEqual(open.map((o) => [o.id, o.amount, o.price, o.remaining]), [[created.id, 0.01, 59_000, 0.01]]);
    const canceled = await withTimeout(a.ex.cancelOrder(created.id!, BTC), T, 'cancelOrder');
    assert.equal(canceled.status, 'canceled');
    assert.equal(view(a.accountId).orders.length, 0);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders after'), []);
  });

  it('fetchBalance: free = available, used = margin in use, total = wallet + unrealized PnL', async () => {
    const a = await account('5000');
    const b = await account();
    await trade(b, a, 'sell', 0.01, 60_000);
    await withTimeout(a.ex.createOrder(BTC, 'limit', 'buy', 0.02, 59_000), T, 'resting order');
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    const w = wallet(a.accountId);
    const upnl = position(a.accountId).unrealizedPnl;
    assert.deepEqual(balance.USDT, {
      free: units(w.availableBalance), used: units(w.isolatedMargin + w.crossedMargin + w.openOrderMarginFrozen), total: units(w.walletBalance + upnl),
    });
  });

  it('fetchPositions and fetchMyTrades equal the engine\'s position and fills', async () => {
    const a = await account();
    const b = await account();
    await trade(b, a, 'sell', 0.03, 60_000);
    await admin.markPrice('btc_usdt', '60100');
    const positions = await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions');
    const p = position(a.accountId);
    assert.equal(positions.length, 1);
    const [got] = positions;
    assert.deepEqual([got!.symbol, got!.side, got!.contracts, got!.entryPrice, got!.markPrice, got!.unrealizedPnl, got!.marginMode, got!.hedged],
      [BTC, 'long', base(p.qty), Number(p.entryCost) / p.qty / 10, 60_100, units(p.unrealizedPnl), 'cross', false]);
    assert.equal(got!.notional, 0.03 * 60_100);
    const trades = await withTimeout(a.ex.fetchMyTrades(BTC), T, 'fetchMyTrades');
    const fills = server.exchange.history.trades(a.accountId).filter((t) => t.symbol === 'btc_usdt');
    assert.deepEqual(trades.map((t) => [t.id, t.order, t.side, t.amount, t.price, t.fee?.cost, t.fee?.currency, t.takerOrMaker]),
      fills.reverse().map((t) => [String(t.tradeId), String(t.orderId), 'buy', base(t.qty), t.price / 10, units(t.fee), 'USDT', t.isMaker ? 'maker' : 'taker']));
    await admin.markPrice('btc_usdt', '60000');
  });

  it('watchOrders, watchMyTrades, watchBalance, watchPositions (no snapshot) see a fill as the engine did', async () => {
    const a = await account();
    const b = await account();
    // Subscribe first: the first watch of each kind opens the stream. Binance acknowledges nothing on
    // a user-data stream: the barrier is the server binding the account to the connection.
    const watching = [a.ex.watchOrders(BTC), a.ex.watchMyTrades(BTC), a.ex.watchBalance(), a.ex.watchPositions([BTC])];
    for (const w of watching) w.catch(() => undefined);
    await listeners(server.exchange.events, a.accountId, 1, 'ccxt\'s user-data stream to be bound');
    const { takerId } = await trade(b, a, 'sell', 0.02, 60_000);
    const ex = a.ex as unknown as { orders: unknown; myTrades: unknown; balance: Record<string, Record<string, { total?: number }>>; positions: Record<string, unknown> };
    await watchUntil(() => a.ex.watchOrders(BTC), () => cacheRows(ex.orders).some((o) => o.id === takerId && o.status === 'closed'), 'the filled order');
    await watchUntil(() => a.ex.watchMyTrades(BTC), () => cacheRows(ex.myTrades).some((t) => t.info.i === Number(takerId)), 'the fill');
    const w = wallet(a.accountId);
    await watchUntil(() => a.ex.watchBalance(), () => ex.balance?.future?.USDT?.total === units(w.walletBalance), 'the balance');
    const p = position(a.accountId);
    const cached = () => cacheRows(ex.positions?.future) as unknown as { symbol: string; side: string; contracts: number; entryPrice: number; marginMode: string; hedged: boolean }[];
    await watchUntil(() => a.ex.watchPositions([BTC]), () => cached().some((x) => x.contracts === base(p.qty)), 'the position');
    const positions = cached();

    const order = cacheRows(ex.orders).find((o) => o.id === takerId) as unknown as { amount: number; filled: number; average: number; side: string; fee: { cost: number; currency: string } };
    const fill = server.exchange.history.trades(a.accountId).find((t) => String(t.orderId) === takerId)!;
    assert.deepEqual([order.amount, order.filled, order.average, order.side, order.fee.cost, order.fee.currency], [0.02, 0.02, 60_000, 'buy', units(fill.fee), 'USDT']);
    const trade0 = cacheRows(ex.myTrades).find((t) => t.info.i === Number(takerId)) as unknown as { id: string; price: number; amount: number; fee: { cost: number }; takerOrMaker: string };
    assert.deepEqual([trade0.id, trade0.price, trade0.amount, trade0.fee.cost, trade0.takerOrMaker], [String(fill.tradeId), 60_000, 0.02, units(fill.fee), 'taker']);
    const pos = positions.find((x) => x.symbol === BTC)!;
    assert.deepEqual([pos.side, pos.contracts, pos.entryPrice, pos.marginMode, pos.hedged], ['long', 0.02, 60_000, 'cross', false]);
  });

  it('watchPositions with fetchPositionsSnapshot: the first call is the REST snapshot (leverageBracket + positionRisk v3), then pushes', async () => {
    const a = await account('10000', { watchPositions: { fetchPositionsSnapshot: true } });
    const b = await account();
    await trade(b, a, 'buy', 0.01, 60_000); // a sells: short 0.01
    const snapshot = await withTimeout(a.ex.watchPositions([BTC]), T, 'watchPositions snapshot');
    const p = position(a.accountId);
    assert.deepEqual(snapshot.map((x) => [x.symbol, x.side, x.contracts, x.entryPrice]), [[BTC, 'short', base(Math.abs(p.qty)), 60_000]]);
    let positions: typeof snapshot = [];
    const pending = a.ex.watchPositions([BTC]).then((r) => { positions = r; });
    pending.catch(() => undefined);
    await listeners(server.exchange.events, a.accountId, 1, 'ccxt\'s user-data stream to be bound');
    await trade(b, a, 'buy', 0.01, 60_000);
    const after = position(a.accountId);
    await watchUntil(async () => { positions = await a.ex.watchPositions([BTC]); }, () => positions.some((x) => x.contracts === base(Math.abs(after.qty))), 'the pushed position');
    assert.equal(positions.find((x) => x.symbol === BTC)!.side, 'short');
  });
});
