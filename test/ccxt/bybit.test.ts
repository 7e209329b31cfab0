/**
 * ccxt 4.5.84 (`ccxt.pro.bybit`, unified account, linear) against a real perpstream, configured
 * exactly as protocols.md §6.1 says: REST under /bybit, the private stream at /bybit/v5/private.
 * Every value ccxt returns is compared with the engine's own state. BTCUSDT is btc_usdt: tick 0.1,
 * contract 0.0001 BTC; Bybit speaks base units (ccxt's contractSize for linear markets is 1), so
 * 0.001 BTC is 10 engine contracts.
 *
 *   perContract(60000) at leverage 20 = 0.3 (margin) + 0.0036 (taker fee reserve) = 0.3036 USDT
 *   a fill of q contracts at 60000: maker fee q × 0.0012, taker fee q × 0.0036, cross margin q × 0.3
 *
 * Bybit semantics ccxt shows (docs/dialects/bybit.md): fetchBalance total = walletBalance, free =
 * availableToWithdraw (available), used = total − free. watchBalance reads the stream's coin row:
 * free = availableToWithdraw, used = `locked` (Bybit's spot-order lock, 0 here), total = equity
 * (wallet + unrealised PnL).
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { BTC, cacheRows, num, rejectionOf, tap, watchUntil, withTimeout } from './helpers.js';
import { place, startFixture, T, type Fixture } from './bybit-fixture.js';

/** ccxt's REST balance for the engine wallet: Bybit's wallet-balance row. */
function restBalance(f: Fixture, accountId: number): { free: number; used: number; total: number; debt: number } {
  const w = f.wallet(accountId);
  return { free: num(w.availableBalance), used: num(w.walletBalance - w.availableBalance), total: num(w.walletBalance), debt: 0 };
}

/** Bybit's ack of a subscribe op, as ccxt handles it: from then on the topic's pushes reach its caches. */
const subscribeAck = (message: Record<string, unknown>): boolean => message.op === 'subscribe' && message.success === true;

describe('ccxt bybit: markets and REST', () => {
  let f: Fixture;
  before(async () => { f = await startFixture(); });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('loadMarkets: BTC/USDT:USDT is an active linear swap in base units (precision 0.0001 / 0.1) with the engine\'s fees', async () => {
    const a = await f.account();
    const m = a.ex.market(BTC);
    assert.deepEqual([m.id, m.symbol, m.type, m.swap, m.linear, m.contract, m.active, m.settle], ['BTCUSDT', BTC, 'swap', true, true, true, true, 'USDT']);
    assert.equal(m.contractSize, 1, 'ccxt: linear Bybit markets are quoted in base units');
    assert.deepEqual(m.precision, { amount: 0.0001, price: 0.1 });
    assert.deepEqual([m.limits.amount?.min, m.limits.amount?.max, m.limits.price?.min, m.limits.leverage?.max], [0.0001, 100, 0.1, 125]);
    assert.deepEqual([m.maker, m.taker], [0.0002, 0.0006]);
    assert.equal(a.ex.market('ETH/USDT:USDT').precision.amount, 0.01);
  });

  it('createOrder / fetchOpenOrders / fetchBalance / cancelOrder agree with the engine', async () => {
    const a = await f.account();
    const buyId = await place(a, 'limit', 'buy', 0.001, 60_000, { clientOrderId: 'cc-1' });
    const engine = f.order(a.accountId, buyId)!;
    assert.deepEqual([engine.state, engine.side, engine.qty, engine.price, engine.clientOrderId], ['NEW', 'BUY', 10, 600_000, 'cc-1']);
    assert.equal(num(engine.marginFrozen), 3.036);
    const sellId = await place(a, 'limit', 'sell', 0.0005, 61_000);

    const open = await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders');
    assert.deepEqual(open.map((o) => o.id).sort(), [buyId, sellId].sort());
    const buy = open.find((o) => o.id === buyId)!;
    assert.deepEqual({
      symbol: buy.symbol, type: buy.type, side: buy.side, status: buy.status, price: buy.price, amount: buy.amount, filled: buy.filled,
      remaining: buy.remaining, timeInForce: buy.timeInForce, clientOrderId: buy.clientOrderId, timestamp: buy.timestamp, reduceOnly: buy.reduceOnly,
    }, {
      symbol: BTC, type: 'limit', side: 'buy', status: 'open', price: 60_000, amount: 0.001, filled: 0, remaining: 0.001, timeInForce: 'GTC',
      clientOrderId: 'cc-1', timestamp: engine.createTime, reduceOnly: false,
    });
    assert.deepEqual(open.find((o) => o.id === sellId)!.amount, 0.0005);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders('ETH/USDT:USDT'), T, 'fetchOpenOrders ETH'), []);

    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], restBalance(f, a.accountId));
    assert.equal(balance['USDT']?.used, num(engine.marginFrozen + f.order(a.accountId, sellId)!.marginFrozen));

    const canceled = await withTimeout(a.ex.cancelOrder(buyId, BTC), T, 'cancelOrder');
    assert.equal(canceled.id, buyId);
    assert.equal(f.order(a.accountId, buyId)!.state, 'CANCELED');
    assert.deepEqual((await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders after cancel')).map((o) => o.id), [sellId]);
    const after = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance after cancel');
    assert.deepEqual(after['USDT'], restBalance(f, a.accountId));
    assert.equal(after['USDT']?.used, 1.5433); // 5 × perContract(61000) = 5 × (0.305 + 0.00366)
  });

  it('market orders trade: fetchPositions of both sides equal the engine positions; fetchBalance follows', async () => {
    const maker = await f.account();
    const taker = await f.account();
    await place(maker, 'limit', 'sell', 0.001, 60_000);
    await place(taker, 'market', 'buy', 0.001);
    const engine = f.position(taker.accountId);
    assert.equal(engine.qty, 10);
    const positions = await withTimeout(taker.ex.fetchPositions([BTC]), T, 'fetchPositions (taker)');
    assert.equal(positions.length, 1);
    const p = positions[0]!;
    assert.deepEqual({
      symbol: p.symbol, side: p.side, contracts: p.contracts, contractSize: p.contractSize, entryPrice: p.entryPrice, markPrice: p.markPrice,
      notional: p.notional, leverage: p.leverage, collateral: p.collateral, initialMargin: p.initialMargin, maintenanceMargin: p.maintenanceMargin,
      unrealizedPnl: p.unrealizedPnl, realizedPnl: p.realizedPnl, hedged: p.hedged, timestamp: p.timestamp, lastUpdateTimestamp: p.lastUpdateTimestamp,
    }, {
      symbol: BTC, side: 'long', contracts: 0.001, contractSize: 1, entryPrice: 60_000, markPrice: 60_000, notional: 60, leverage: 20,
      collateral: num(engine.margin), initialMargin: num(engine.initialMargin), maintenanceMargin: num(engine.maintenanceMargin),
      unrealizedPnl: undefined, realizedPnl: num(engine.realizedPnlCurrent), hedged: false, timestamp: engine.openTime, lastUpdateTimestamp: engine.updateTime,
    });
    assert.deepEqual([p.collateral, p.realizedPnl], [3, -0.036]);
    const makerPositions = await withTimeout(maker.ex.fetchPositions(), T, 'fetchPositions (maker, all)');
    assert.deepEqual(makerPositions.map((x) => [x.symbol, x.side, x.contracts, x.entryPrice, x.realizedPnl]), [[BTC, 'short', 0.001, 60_000, -0.012]]);
    assert.equal(f.position(maker.accountId).qty, -10);
    const tb = await withTimeout(taker.ex.fetchBalance(), T, 'fetchBalance (taker)');
    assert.deepEqual(tb['USDT'], { free: 996.964, used: 3, total: 999.964, debt: 0 });
    assert.deepEqual(tb['USDT'], restBalance(f, taker.accountId));
    // the unrealised PnL shows once the mark moves
    await f.admin.markPrice('btc_usdt', '60100');
    const moved = (await withTimeout(taker.ex.fetchPositions([BTC]), T, 'fetchPositions after mark'))[0]!;
    assert.deepEqual([moved.markPrice, moved.unrealizedPnl], [60_100, num(f.position(taker.accountId).unrealizedPnl)]);
    assert.equal(moved.unrealizedPnl, 0.1);
    await f.admin.markPrice('btc_usdt', '60000');
  });

  it('ccxt with its default options (no §6.1 options): the account-type and currency calls are served; setMarginMode, setLeverage, setPositionMode reach the engine', async () => {
    const created = await f.admin.createAccount();
    await f.admin.deposit(created.accountId, '100');
    const H = f.server.url;
    const ex = new ccxt.pro.bybit({ apiKey: created.apiKey, secret: created.secret, enableRateLimit: false,
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit` } } });
    try {
      await withTimeout(ex.loadMarkets(), T, 'loadMarkets (all categories)');
      assert.deepEqual(Object.keys(ex.markets ?? {}).sort(), [BTC, 'ETH/USDT:USDT']);
      assert.deepEqual((await withTimeout(ex.fetchBalance(), T, 'fetchBalance'))['USDT'], restBalance(f, created.accountId));
      assert.equal(ex.options['enableUnifiedAccount'], true, 'query-api said uta 1');
      await withTimeout(ex.setMarginMode('isolated'), T, 'setMarginMode');
      assert.deepEqual(f.view(created.accountId).settings.map((s) => s.marginMode), ['ISOLATED', 'ISOLATED']);
      await withTimeout(ex.setLeverage(10, BTC), T, 'setLeverage');
      assert.equal(f.view(created.accountId).settings[0]!.leverage, 10);
      await withTimeout(ex.setPositionMode(true), T, 'setPositionMode');
      assert.equal(f.view(created.accountId).positionMode, 'HEDGE');
      const positions = await withTimeout(ex.fetchPositions([BTC]), T, 'fetchPositions (hedge, empty)');
      assert.deepEqual(positions.map((p) => [p.side, p.contracts, p.leverage, p.hedged]), [['long', 0, 10, true], ['short', 0, 10, true]]);
    } finally {
      await ex.close();
    }
  });

  it('errors arrive as ccxt\'s classes: InsufficientFunds, OrderNotFound, InvalidOrder, AuthenticationError', async () => {
    const a = await f.account('10');
    const poor = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'buy', 0.1, 60_000), 'createOrder beyond the balance');
    assert.ok(poor instanceof ccxt.InsufficientFunds, `${poor.constructor.name}: ${poor.message}`);
    const missing = await rejectionOf(a.ex.cancelOrder('987654', BTC), 'cancelOrder unknown');
    assert.ok(missing instanceof ccxt.OrderNotFound, `${missing.constructor.name}: ${missing.message}`);
    const reduce = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'sell', 0.001, 61_000, { reduceOnly: true }), 'reduce-only with no position');
    assert.ok(reduce instanceof ccxt.InvalidOrder, `${reduce.constructor.name}: ${reduce.message}`);
    assert.deepEqual(f.view(a.accountId).orders, []);
    const stranger = f.ccxt({ apiKey: a.apiKey, secret: 'not-the-secret' });
    await withTimeout(stranger.loadMarkets(), T, 'loadMarkets (public)');
    const denied = await rejectionOf(stranger.fetchBalance(), 'fetchBalance with a wrong secret');
    assert.ok(denied instanceof ccxt.AuthenticationError, `${denied.constructor.name}: ${denied.message}`);
  });
});

describe('ccxt bybit: the private stream', () => {
  let f: Fixture;
  before(async () => { f = await startFixture(); });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('watchBalance: free = available, used = locked (0), total = equity; the margin rows add up to the engine\'s used', async () => {
    const a = await f.account('0');
    const unified = (): Record<string, { free?: number; used?: number; total?: number }> =>
      ((a.ex.balance as Record<string, unknown> | undefined)?.['unified'] ?? {}) as Record<string, { free?: number; used?: number; total?: number }>;
    // ccxt resolves on data only: once Bybit acknowledged the wallet subscription, a deposit is pushed.
    const acked = tap(a.ex).next(subscribeAck, 'the wallet subscription');
    const first = a.ex.watchBalance();
    await acked;
    await f.admin.deposit(a.accountId, '1000');
    await withTimeout(first, T, 'watchBalance');
    await watchUntil(() => a.ex.watchBalance(), () => unified()['USDT']?.total === 1000, 'the deposit');
    assert.deepEqual([unified()['USDT']?.free, unified()['USDT']?.used, unified()['USDT']?.total], [1000, 0, 1000]);

    await place(a, 'limit', 'buy', 0.001, 60_000);
    const w = f.wallet(a.accountId);
    await watchUntil(() => a.ex.watchBalance(), () => unified()['USDT']?.free === num(w.availableBalance), 'balance after the order');
    assert.deepEqual(unified()['USDT'], { free: num(w.availableBalance), used: 0, total: num(w.walletBalance) });
    assert.equal(w.walletBalance - w.availableBalance, 303_600_000n); // the order's margin and fee reserve: 3.036 USDT
    const info = (a.ex.balance as { unified: { info: { coin: Record<string, string>[] }[] } }).unified.info[0]!.coin[0]!;
    assert.equal(num(BigInt(Math.round(Number(info.totalOrderIM) * 1e8)) + BigInt(Math.round(Number(info.totalPositionIM) * 1e8))), num(w.walletBalance - w.availableBalance));
  });

  it('watchOrders: new → partly filled → filled, and a cancel; status, amounts, average and fee equal the engine order', async () => {
    const a = await f.account();
    const taker = await f.account();
    const orders = () => cacheRows(a.ex.orders);
    const acked = tap(a.ex).next(subscribeAck, 'the order subscription');
    const pending = a.ex.watchOrders();
    await acked;
    const id = await place(a, 'limit', 'sell', 0.002, 60_000, { clientOrderId: 'wo-1' });
    await withTimeout(pending, T, 'watchOrders (new)');
    let row = orders().find((o) => o.id === id) as unknown as Record<string, unknown>;
    assert.deepEqual([row.status, row.side, row.type, row.amount, row.filled, row.price, row.clientOrderId, row.symbol], ['open', 'sell', 'limit', 0.002, 0, 60_000, 'wo-1', BTC]);

    await place(taker, 'market', 'buy', 0.0005);
    await watchUntil(() => a.ex.watchOrders(), () => (orders().find((o) => o.id === id) as unknown as { filled: number }).filled === 0.0005, 'partial fill');
    row = orders().find((o) => o.id === id) as unknown as Record<string, unknown>;
    const engine = f.order(a.accountId, id)!;
    assert.equal(engine.executedQty, 5);
    assert.deepEqual([row.status, row.filled, row.remaining, row.average, row.cost, row.fee], ['open', 0.0005, 0.0015, 60_000, 30, { cost: num(engine.fees), currency: 'USDT' }]);

    await place(taker, 'market', 'buy', 0.0015);
    await watchUntil(() => a.ex.watchOrders(), () => orders().find((o) => o.id === id)?.status === 'closed', 'filled');
    row = orders().find((o) => o.id === id) as unknown as Record<string, unknown>;
    const filled = f.order(a.accountId, id)!;
    assert.equal(filled.state, 'FILLED');
    assert.deepEqual([row.filled, row.remaining, row.cost, (row.fee as { cost: number }).cost], [0.002, 0, 120, num(filled.fees)]);
    assert.equal((row.fee as { cost: number }).cost, 0.024);

    const cancelId = await place(a, 'limit', 'buy', 0.001, 59_000);
    await watchUntil(() => a.ex.watchOrders(), () => orders().some((o) => o.id === cancelId), 'new order');
    await withTimeout(a.ex.cancelOrder(cancelId, BTC), T, 'cancelOrder');
    await watchUntil(() => a.ex.watchOrders(), () => orders().find((o) => o.id === cancelId)?.status === 'canceled', 'canceled');
    assert.equal(f.order(a.accountId, cancelId)!.state, 'CANCELED');
  });

  it('watchMyTrades: one trade per fill with id, price, amount, cost, fee (rate and currency) and maker/taker as the engine recorded', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const trades = () => cacheRows(taker.ex.myTrades) as unknown as Record<string, unknown>[];
    const acked = tap(taker.ex).next(subscribeAck, 'the execution subscription');
    const pending = taker.ex.watchMyTrades();
    await acked;
    await place(maker, 'limit', 'sell', 0.001, 60_000);
    await place(maker, 'limit', 'sell', 0.001, 60_100);
    const takerId = await place(taker, 'market', 'buy', 0.0015);
    await withTimeout(pending, T, 'watchMyTrades');
    await watchUntil(() => taker.ex.watchMyTrades(), () => trades().length === 2, 'two fills');
    const engine = f.server.exchange.history.trades(taker.accountId).slice().reverse();
    assert.equal(engine.length, 2);
    assert.deepEqual(trades().map((t) => ({
      id: t.id, order: t.order, symbol: t.symbol, side: t.side, price: t.price, amount: t.amount, cost: t.cost, takerOrMaker: t.takerOrMaker,
      fee: t.fee, timestamp: t.timestamp, type: t.type,
    })), engine.map((e) => ({
      id: String(e.tradeId), order: takerId, symbol: BTC, side: 'buy', price: e.price / 10, amount: e.qty / 10_000, cost: (e.price / 10) * (e.qty / 10_000),
      takerOrMaker: 'taker', fee: { cost: num(e.fee), currency: 'USDT', rate: 0.0006 }, timestamp: e.time, type: 'market',
    })));
    assert.deepEqual(trades().map((t) => [t.price, t.amount, (t.fee as { cost: number }).cost]), [[60_000, 0.001, 0.036], [60_100, 0.0005, 0.01803]]);
  });

  it('watchPositions: the REST snapshot first, then pushes: long, flipped short (the long side cleared), closed', async () => {
    const maker = await f.account('10000');
    const a = await f.account();
    const cache = () => cacheRows(a.ex.positions) as unknown as { symbol: string; side: string; contracts: number; entryPrice: number; info: Record<string, unknown> }[];
    const snapshot = await withTimeout(a.ex.watchPositions(), T, 'watchPositions (snapshot)');
    assert.deepEqual(snapshot, [], 'no open position: an empty REST snapshot');
    const acked = tap(a.ex).next(subscribeAck, 'the position subscription');
    const live = a.ex.watchPositions();
    await acked;
    await place(maker, 'limit', 'sell', 0.001, 60_000);
    await place(a, 'market', 'buy', 0.001);
    await withTimeout(live, T, 'watchPositions (push)');
    await watchUntil(() => a.ex.watchPositions(), () => cache().some((p) => p.side === 'long' && p.contracts === 0.001), 'long 0.001');
    const long = cache().find((p) => p.side === 'long')!;
    const engineLong = f.position(a.accountId);
    assert.deepEqual([long.symbol, long.contracts, long.entryPrice], [BTC, num(BigInt(engineLong.qty) * 10_000n), 60_000]);
    assert.equal(long.info.version, f.server.exchange.engine.account(a.accountId)!.seq - 1, 'the position event came before the wallet event');

    // sell 0.0015 into a bid: long 0.001 closes, short 0.0005 opens (one fill, one command)
    await place(maker, 'limit', 'buy', 0.0015, 60_000);
    await place(a, 'market', 'sell', 0.0015);
    await watchUntil(() => a.ex.watchPositions(), () => cache().some((p) => p.side === 'short' && p.contracts === 0.0005), 'short 0.0005');
    assert.equal(f.position(a.accountId).qty, -5);
    assert.equal(cache().find((p) => p.side === 'long')!.contracts, 0, 'the empty row cleared the long side');
    const short = cache().find((p) => p.side === 'short')!;
    assert.deepEqual([short.entryPrice, short.info.curRealisedPnl], [60_000, String(num(f.position(a.accountId).realizedPnlCurrent))]);

    await place(maker, 'limit', 'sell', 0.0005, 60_000);
    await place(a, 'market', 'buy', 0.0005, undefined, { reduceOnly: true });
    await watchUntil(() => a.ex.watchPositions(), () => cache().every((p) => p.contracts === 0), 'closed');
    assert.equal(f.position(a.accountId).qty, 0);
    const rest = await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions after close');
    assert.deepEqual(rest.map((p) => [p.contracts, p.side]), [[0, undefined]]);
  });

  it('the stream keeps a wrong secret out: watchBalance rejects with AuthenticationError', async () => {
    const a = await f.account();
    const stranger = f.ccxt({ apiKey: a.apiKey, secret: 'not-the-secret' });
    await withTimeout(stranger.loadMarkets(), T, 'loadMarkets');
    await withTimeout(stranger.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    const error = await rejectionOf(stranger.watchBalance(), 'watchBalance with a wrong secret');
    assert.ok(error instanceof ccxt.AuthenticationError, `${error.constructor.name}: ${error.message}`);
  });
});
