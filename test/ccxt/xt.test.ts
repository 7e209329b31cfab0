/**
 * ccxt 4.5.84 (`ccxt.pro.xt`, swap branch) against a real perpstream: REST over HTTP, the user
 * stream over WebSocket. Every value ccxt returns is compared with the engine's own state or with
 * numbers computed from docs/engine-rules.md "Formulas" for BTC_USDT (tick 0.1, contract 0.0001,
 * K = 1000, maker 0.0002, taker 0.0006, default leverage 20):
 *
 *   perContract(60000) = ceil(600000 × 1000 / 20) + ceil(600000 × 1000 × 60000 / 1e8)
 *                      = 30,000,000 + 360,000 units of 1e-8 = 0.3036 USDT
 *   fill of q contracts at 60000: maker fee q × 0.0012, taker fee q × 0.0036, cross margin q × 0.3 (L 20)
 *
 * Amount units (docs/dialects/xt-rest.md §4): createOrder amounts are contracts; REST orders and all
 * trades come back in base (contracts × 0.0001); WS orders in contracts; positions in contracts.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import type { OrderState } from '../../src/engine/types.js';
import { eventually } from '../support/barriers.js';
import {
  BTC, cacheRows, num, rejectionOf, startFixture, watchUntil, withTimeout, type Account, type Fixture,
} from './helpers.js';
import { place, primeStream, started } from './xt-orders.js';

const T = 5_000; // ms for any single await

/** ccxt's unified status for an engine order state (xt-rest.md §5.6, §7.4 with `st`). */
const STATUS: Record<OrderState, string> = {
  NEW: 'open', PARTIALLY_FILLED: 'open', FILLED: 'closed', CANCELED: 'canceled', PARTIALLY_CANCELED: 'canceled', REJECTED: 'rejected', EXPIRED: 'expired',
};

/** Units of 1e-8 USDT as a ccxt number. */
const usdt = (units: number | bigint): number => num(BigInt(units));
/** perContract(price) at leverage L for BTC_USDT, in 1e-8 USDT (engine-rules.md "Formulas"). */
const perContract = (ticks: number, leverage = 20): bigint => {
  const k = 1000n;
  const p = BigInt(ticks);
  const ceil = (a: bigint, b: bigint) => (a + b - 1n) / b;
  return ceil(p * k, BigInt(leverage)) + ceil(p * k * 60_000n, 100_000_000n);
};

/** `maker` rests a limit at 60000, `taker` takes it with a market order: both sides trade `qty`. */
async function trade(maker: Account, taker: Account, makerSide: 'buy' | 'sell', qty: number, price = 60_000): Promise<{ makerId: string; takerId: string }> {
  const makerId = await place(maker, 'limit', makerSide, qty, price);
  const takerId = await place(taker, 'market', makerSide === 'sell' ? 'buy' : 'sell', qty);
  return { makerId, takerId };
}

function balanceOf(f: Fixture, accountId: number): { free: number; used: number; total: number } {
  const w = f.wallet(accountId);
  return { free: num(w.availableBalance), used: num(w.walletBalance - w.availableBalance), total: num(w.walletBalance) };
}

// ---------------------------------------------------------------------------------------------

describe('ccxt xt: markets and REST trading', () => {
  let f: Fixture;
  before(async () => { f = await startFixture(); });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('loadMarkets: BTC/USDT:USDT is an active linear swap with contractSize 0.0001, precision 0.1 / 1, maker 0.0002, taker 0.0006', async () => {
    const a = await f.account();
    const m = a.ex.market(BTC);
    assert.equal(m.id, 'btc_usdt');
    assert.equal(m.symbol, BTC);
    assert.equal(m.type, 'swap');
    assert.equal(m.swap, true);
    assert.equal(m.contract, true);
    assert.equal(m.linear, true);
    assert.equal(m.inverse, false);
    assert.equal(m.base, 'BTC');
    assert.equal(m.quote, 'USDT');
    assert.equal(m.settle, 'USDT');
    assert.equal(m.contractSize, 0.0001);
    assert.equal(m.precision.price, 0.1);
    assert.equal(m.precision.amount, 1);
    assert.equal(m.maker, 0.0002);
    assert.equal(m.taker, 0.0006);
    assert.equal(m.active, true);
    assert.equal(m.expiry, undefined);
    assert.equal(m.limits.amount?.min, 1);
    const eth = a.ex.market('ETH/USDT:USDT');
    assert.equal(eth.contractSize, 0.01);
    assert.equal(eth.precision.price, 0.01);
    assert.equal(eth.taker, 0.0005);
  });

  it('limit buy / sell: the order, fetchOrder, fetchOpenOrders and fetchBalance agree with the engine; cancelOrder releases the margin', async () => {
    const a = await f.account();
    const buyId = await place(a, 'limit', 'buy', 10, 60_000);
    const engineBuy = f.order(a.accountId, buyId);
    assert.ok(engineBuy, 'the engine holds the order');
    assert.equal(engineBuy.state, 'NEW');
    assert.equal(engineBuy.side, 'BUY');
    assert.equal(engineBuy.qty, 10, 'createOrder amount is contracts (xt-rest.md §4)');
    assert.equal(engineBuy.price, 600_000);
    assert.equal(engineBuy.marginFrozen, 10n * perContract(600_000));
    assert.equal(usdt(engineBuy.marginFrozen), 3.036);

    const fetched = await withTimeout(a.ex.fetchOrder(buyId, BTC), T, 'fetchOrder');
    assert.equal(fetched.id, buyId);
    assert.equal(fetched.symbol, BTC);
    assert.equal(fetched.type, 'limit');
    assert.equal(fetched.side, 'buy');
    assert.equal(fetched.status, 'open');
    assert.equal(fetched.price, 60_000);
    assert.equal(fetched.amount, 0.001, 'REST orders come back in base: 10 × 0.0001');
    assert.equal(fetched.filled, 0);
    assert.equal(fetched.remaining, 0.001);
    assert.equal(fetched.timeInForce, 'GTC');
    assert.equal(fetched.postOnly, false);
    assert.equal(fetched.timestamp, engineBuy.createTime);

    const sellId = await place(a, 'limit', 'sell', 5, 61_000);
    const engineSell = f.order(a.accountId, sellId)!;
    assert.equal(engineSell.side, 'SELL');
    assert.equal(engineSell.marginFrozen, 5n * perContract(610_000));

    const open = await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders');
    assert.deepEqual(open.map((o) => o.id).sort(), [buyId, sellId].sort());
    assert.deepEqual(open.map((o) => o.status), ['open', 'open']);
    const openSell = open.find((o) => o.id === sellId)!;
    assert.equal(openSell.side, 'sell');
    assert.equal(openSell.price, 61_000);
    assert.equal(openSell.amount, 0.0005);

    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
    assert.equal(balance['USDT']?.total, 1000);
    assert.equal(balance['USDT']?.used, usdt(10n * perContract(600_000) + 5n * perContract(610_000)));

    const canceled = await withTimeout(a.ex.cancelOrder(buyId, BTC), T, 'cancelOrder');
    assert.equal(canceled.id, buyId);
    assert.equal(f.view(a.accountId).orders.some((o) => o.orderId === Number(buyId)), false, 'the engine no longer holds the order');
    assert.equal(f.order(a.accountId, buyId)?.state, 'CANCELED');
    const after = await withTimeout(a.ex.fetchOrder(buyId, BTC), T, 'fetchOrder after cancel');
    assert.equal(after.status, 'canceled');
    const canceledList = await withTimeout(a.ex.fetchCanceledOrders(BTC), T, 'fetchCanceledOrders');
    assert.deepEqual(canceledList.map((o) => o.id), [buyId]);
    assert.equal(canceledList[0]!.status, 'canceled');
    const balance2 = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance after cancel');
    assert.deepEqual(balance2['USDT'], balanceOf(f, a.accountId));
    assert.equal(balance2['USDT']?.used, usdt(5n * perContract(610_000)));
  });

  it('clientOrderId: createOrder passes it, fetchOrder and fetchOpenOrders return it', async () => {
    const a = await f.account();
    const id = await place(a, 'limit', 'buy', 3, 59_000, { clientOrderId: 'ccxt-cid-1' });
    assert.equal(f.order(a.accountId, id)?.clientOrderId, 'ccxt-cid-1');
    const fetched = await withTimeout(a.ex.fetchOrder(id, BTC), T, 'fetchOrder');
    assert.equal(fetched.clientOrderId, 'ccxt-cid-1');
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders');
    assert.equal(open.find((o) => o.id === id)?.clientOrderId, 'ccxt-cid-1');
  });

  it('market buy against a resting limit sell: fetchMyTrades, fetchClosedOrders, fetchPositions and fetchBalance of both sides', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const { makerId, takerId } = await trade(maker, taker, 'sell', 10);
    const engineTrade = f.server.exchange.history.trades(taker.accountId)[0]!;
    assert.equal(engineTrade.qty, 10);

    // Taker side.
    const takerTrades = await withTimeout(taker.ex.fetchMyTrades(BTC), T, 'fetchMyTrades (taker)');
    assert.equal(takerTrades.length, 1);
    const tt = takerTrades[0]!;
    assert.equal(tt.id, String(engineTrade.tradeId));
    assert.equal(tt.order, takerId);
    assert.equal(tt.symbol, BTC);
    assert.equal(tt.side, 'buy');
    assert.equal(tt.takerOrMaker, 'taker');
    assert.equal(tt.price, 60_000);
    assert.equal(tt.amount, 0.001, 'trades come back in base: 10 × 0.0001');
    assert.equal(tt.timestamp, engineTrade.time);
    assert.deepEqual(tt.fee, { cost: 0.036, currency: 'USDT' });
    assert.equal(tt.fee?.cost, usdt(engineTrade.fee));

    const makerTrades = await withTimeout(maker.ex.fetchMyTrades(BTC), T, 'fetchMyTrades (maker)');
    assert.equal(makerTrades.length, 1);
    const mt = makerTrades[0]!;
    assert.equal(mt.order, makerId);
    assert.equal(mt.side, 'sell');
    assert.equal(mt.takerOrMaker, 'maker');
    assert.equal(mt.amount, 0.001);
    assert.deepEqual(mt.fee, { cost: 0.012, currency: 'USDT' });

    const closed = await withTimeout(taker.ex.fetchClosedOrders(BTC), T, 'fetchClosedOrders (taker)');
    assert.deepEqual(closed.map((o) => o.id), [takerId]);
    const co = closed[0]!;
    assert.equal(co.status, 'closed');
    assert.equal(co.type, 'market');
    assert.equal(co.side, 'buy');
    assert.equal(co.filled, 0.001);
    assert.equal(co.amount, 0.001);
    assert.equal(co.remaining, 0);
    assert.equal(co.average, 60_000);
    const makerClosed = await withTimeout(maker.ex.fetchClosedOrders(BTC), T, 'fetchClosedOrders (maker)');
    assert.deepEqual(makerClosed.map((o) => [o.id, o.status, o.filled]), [[makerId, 'closed', 0.001]]);
    assert.deepEqual(await withTimeout(taker.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders'), []);

    const takerPositions = await withTimeout(taker.ex.fetchPositions([BTC]), T, 'fetchPositions (taker)');
    const long = takerPositions.filter((p) => (p.contracts ?? 0) > 0);
    assert.equal(long.length, 1, JSON.stringify(takerPositions.map((p) => p.info)));
    const p = long[0]!;
    const engineLong = f.position(taker.accountId);
    assert.equal(engineLong.qty, 10);
    assert.equal(p.symbol, BTC);
    assert.equal(p.side, 'long');
    assert.equal(p.contracts, 10);
    assert.equal(p.contractSize, 0.0001);
    assert.equal(p.entryPrice, 60_000);
    assert.equal(p.markPrice, 60_000);
    assert.equal(p.leverage, 20);
    assert.equal(p.marginMode, 'cross');
    const single = await withTimeout(taker.ex.fetchPosition(BTC), T, 'fetchPosition');
    assert.equal(single.contracts, 10);
    assert.equal(single.side, 'long');

    const makerPositions = await withTimeout(maker.ex.fetchPositions([BTC]), T, 'fetchPositions (maker)');
    const short = makerPositions.filter((x) => (x.contracts ?? 0) > 0);
    assert.deepEqual(short.map((x) => [x.side, x.contracts, x.entryPrice, x.leverage, x.marginMode]), [['short', 10, 60_000, 20, 'cross']]);
    assert.equal(f.position(maker.accountId).qty, -10);

    // Balances: taker paid 0.036 and holds 3 USDT of cross margin; maker paid 0.012.
    const tb = await withTimeout(taker.ex.fetchBalance(), T, 'fetchBalance (taker)');
    assert.deepEqual(tb['USDT'], balanceOf(f, taker.accountId));
    assert.deepEqual(tb['USDT'], { free: 996.964, used: 3, total: 999.964 });
    const mb = await withTimeout(maker.ex.fetchBalance(), T, 'fetchBalance (maker)');
    assert.deepEqual(mb['USDT'], balanceOf(f, maker.accountId));
    assert.deepEqual(mb['USDT'], { free: 996.988, used: 3, total: 999.988 });
  });

  it('fetchPositions: a cross position reports the margin it uses as collateral / initialMargin (xt-rest.md §5.2)', async () => {
    const maker = await f.account();
    const taker = await f.account();
    await trade(maker, taker, 'sell', 10);
    const engine = f.position(taker.accountId);
    assert.equal(engine.margin, 300_000_000n); // ceil(10 × 600000 × 1000 / 20)
    const [p] = (await withTimeout(taker.ex.fetchPositions([BTC]), T, 'fetchPositions')).filter((x) => (x.contracts ?? 0) > 0);
    assert.ok(p);
    assert.equal(p.collateral, usdt(engine.margin), 'position/list isolatedMargin: "for cross positions … send the margin used" (xt-rest.md §5.2)');
    assert.equal(p.initialMargin, 3);
  });

  it('reduceOnly: a limit close freezes no margin, a market close reduces the position, a too large close is InvalidOrder', async () => {
    const maker = await f.account();
    const a = await f.account();
    await trade(maker, a, 'sell', 10); // a is long 10
    const frozenBefore = f.wallet(a.accountId).openOrderMarginFrozen;

    const closeId = await place(a, 'limit', 'sell', 4, 61_000, { reduceOnly: true });
    const close = f.order(a.accountId, closeId)!;
    assert.equal(close.side, 'SELL');
    assert.equal(close.closeQty, 4, 'the whole order closes');
    assert.equal(close.marginFrozen, 0n);
    assert.equal(f.wallet(a.accountId).openOrderMarginFrozen, frozenBefore);
    const fetchedClose = await withTimeout(a.ex.fetchOrder(closeId, BTC), T, 'fetchOrder (reduce-only)');
    assert.equal(fetchedClose.side, 'sell');
    assert.equal(fetchedClose.amount, 0.0004);

    // 10 − 4 = 6 contracts left to close: 7 is too many.
    const ordersBefore = f.view(a.accountId).orders.length;
    const tooLarge = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'sell', 7, 61_000, { reduceOnly: true }), 'reduce-only 7 of 6');
    assert.ok(tooLarge instanceof ccxt.InvalidOrder, `InvalidOrder expected, got ${tooLarge.constructor.name}: ${tooLarge.message}`);
    assert.equal(f.view(a.accountId).orders.length, ordersBefore, 'no order was added');

    // Market reduce-only against a resting bid of the maker (who is short and buys back).
    await place(maker, 'limit', 'buy', 6, 59_000);
    const marketCloseId = await place(a, 'market', 'sell', 6, undefined, { reduceOnly: true });
    assert.equal(f.order(a.accountId, marketCloseId)?.state, 'FILLED');
    assert.equal(f.position(a.accountId).qty, 4);
    const positions = (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).filter((p) => (p.contracts ?? 0) > 0);
    assert.deepEqual(positions.map((p) => [p.side, p.contracts]), [['long', 4]]);
    // Closing 6 bought at 60000 for 59000: K × (6 × 590000 − 6 × 600000) = −60,000,000 units = −0.6 USDT.
    assert.equal(f.position(a.accountId).realizedPnlTotal, -60_000_000n);
    assert.equal(positions[0]!.realizedPnl, -0.6);
    const trades = await withTimeout(a.ex.fetchMyTrades(BTC), T, 'fetchMyTrades');
    assert.equal(trades.length, 2);
    const closeTrade = trades.find((t) => t.order === marketCloseId)!;
    assert.equal(closeTrade.side, 'sell');
    assert.equal(closeTrade.price, 59_000);
    assert.equal(closeTrade.amount, 0.0006);
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
  });

  it('postOnly: a resting post-only order is accepted (timeInForce PO); one that would take is rejected with InvalidOrder', async () => {
    const seller = await f.account();
    const a = await f.account();
    const askId = await place(seller, 'limit', 'sell', 5, 60_500);

    const restingId = await place(a, 'limit', 'buy', 5, 60_000, { postOnly: true });
    assert.equal(f.order(a.accountId, restingId)?.timeInForce, 'GTX');
    const resting = await withTimeout(a.ex.fetchOrder(restingId, BTC), T, 'fetchOrder (post-only)');
    assert.equal(resting.status, 'open');
    assert.equal(resting.timeInForce, 'PO');
    assert.equal(resting.postOnly, true);

    const error = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'buy', 5, 60_500, { postOnly: true }), 'post-only that crosses');
    assert.ok(error instanceof ccxt.InvalidOrder, `InvalidOrder expected, got ${error.constructor.name}: ${error.message}`);
    assert.deepEqual(f.view(a.accountId).orders.map((o) => String(o.orderId)), [restingId], 'only the resting post-only order is live');
    assert.equal(f.order(seller.accountId, askId)?.executedQty, 0, 'nothing traded');
  });

  it('editOrder: amends price and amount; engine order, fetchOrder and the frozen margin follow', async () => {
    const a = await f.account();
    const id = await place(a, 'limit', 'buy', 10, 59_000);
    const edited = await withTimeout(a.ex.editOrder(id, BTC, 'limit', 'buy', 12, 59_500), T, 'editOrder');
    assert.equal(edited.id, id);
    const engine = f.order(a.accountId, id)!;
    assert.equal(engine.state, 'NEW');
    assert.equal(engine.qty, 12);
    assert.equal(engine.price, 595_000);
    assert.equal(engine.marginFrozen, 12n * perContract(595_000));
    assert.equal(usdt(engine.marginFrozen), 3.61284);
    const fetched = await withTimeout(a.ex.fetchOrder(id, BTC), T, 'fetchOrder after edit');
    assert.equal(fetched.price, 59_500);
    assert.equal(fetched.amount, 0.0012);
    assert.equal(fetched.status, 'open');
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
    assert.equal(balance['USDT']?.used, 3.61284);
  });

  it('cancelAllOrders: every open order of the symbol is cancelled; fetchOpenOrders is empty, fetchCanceledOrders lists them', async () => {
    const a = await f.account();
    const ids = [
      await place(a, 'limit', 'buy', 1, 58_000),
      await place(a, 'limit', 'buy', 2, 58_500),
      await place(a, 'limit', 'sell', 3, 62_000),
    ];
    assert.equal(f.view(a.accountId).orders.length, 3);
    await withTimeout(a.ex.cancelAllOrders(BTC), T, 'cancelAllOrders');
    assert.deepEqual(f.view(a.accountId).orders, []);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders'), []);
    const canceled = await withTimeout(a.ex.fetchCanceledOrders(BTC), T, 'fetchCanceledOrders');
    assert.deepEqual(canceled.map((o) => o.id).sort(), [...ids].sort());
    assert.ok(canceled.every((o) => o.status === 'canceled'));
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], { free: 1000, used: 0, total: 1000 });

    // Without a symbol: all symbols.
    await place(a, 'limit', 'buy', 1, 58_000);
    await withTimeout(a.ex.cancelAllOrders(), T, 'cancelAllOrders()');
    assert.deepEqual(f.view(a.accountId).orders, []);
  });

  it('fetchOrders (list-history) returns open and finished orders', async () => {
    const a = await f.account();
    const openId = await place(a, 'limit', 'buy', 1, 58_000);
    const canceledId = await place(a, 'limit', 'buy', 1, 58_100);
    await withTimeout(a.ex.cancelOrder(canceledId, BTC), T, 'cancelOrder');
    const orders = await withTimeout(a.ex.fetchOrders(BTC), T, 'fetchOrders');
    const byId = new Map(orders.map((o) => [o.id, o.status]));
    assert.equal(byId.get(openId), 'open');
    assert.equal(byId.get(canceledId), 'canceled');
  });

  it('GET queries with several parameters are signed and filtered: since / limit on fetchOpenOrders, fetchClosedOrders, fetchMyTrades', async () => {
    const maker = await f.account();
    const a = await f.account();
    await trade(maker, a, 'sell', 1);
    const firstTime = f.server.exchange.history.trades(a.accountId)[0]!.time;
    await eventually(() => f.server.exchange.now() > firstTime, 'the server clock to pass the first trade\'s time');
    await trade(maker, a, 'sell', 2);
    const secondTime = f.server.exchange.history.trades(a.accountId)[0]!.time;
    assert.ok(secondTime > firstTime);
    const later = await withTimeout(a.ex.fetchMyTrades(BTC, secondTime, 20), T, 'fetchMyTrades(since, limit)');
    assert.deepEqual(later.map((t) => t.amount), [0.0002]);
    const all = await withTimeout(a.ex.fetchMyTrades(BTC, firstTime, 20), T, 'fetchMyTrades(since earlier)');
    assert.equal(all.length, 2);
    const closed = await withTimeout(a.ex.fetchClosedOrders(BTC, secondTime, 1), T, 'fetchClosedOrders(since, 1)');
    assert.equal(closed.length, 1);
    assert.equal(closed[0]!.filled, 0.0002);
    const openId = await place(a, 'limit', 'buy', 1, 58_000, { clientOrderId: 'q-1' });
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, firstTime, 50), T, 'fetchOpenOrders(since, limit)');
    assert.deepEqual(open.map((o) => o.id), [openId]);
  });

  it('a second market (ETH/USDT:USDT, contractSize 0.01) scales amounts by its own contract size', async () => {
    const a = await f.account();
    const id = (await withTimeout(a.ex.createOrder('ETH/USDT:USDT', 'limit', 'buy', 3, 2_999.99), T, 'createOrder ETH')).id!;
    const engine = f.order(a.accountId, id)!;
    assert.equal(engine.symbol, 'eth_usdt');
    assert.equal(engine.qty, 3);
    assert.equal(engine.price, 299_999);
    const fetched = await withTimeout(a.ex.fetchOrder(id, 'ETH/USDT:USDT'), T, 'fetchOrder ETH');
    assert.equal(fetched.symbol, 'ETH/USDT:USDT');
    assert.equal(fetched.amount, 0.03);
    assert.equal(fetched.price, 2_999.99);
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
    await withTimeout(a.ex.cancelAllOrders('ETH/USDT:USDT'), T, 'cancelAllOrders ETH');
    assert.deepEqual(f.view(a.accountId).orders, []);
  });

  it('a partly filled, then cancelled order is "canceled" in fetchOrder and fetchCanceledOrders (xt-rest.md §5.6, §8 #11, §9.12)', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const id = await place(maker, 'limit', 'sell', 5, 60_000);
    await place(taker, 'market', 'buy', 2);
    await withTimeout(maker.ex.cancelOrder(id, BTC), T, 'cancelOrder');
    assert.equal(f.order(maker.accountId, id)?.state, 'PARTIALLY_CANCELED');
    assert.equal(f.order(maker.accountId, id)?.executedQty, 2);
    const canceled = await withTimeout(maker.ex.fetchCanceledOrders(BTC), T, 'fetchCanceledOrders');
    assert.deepEqual(canceled.map((o) => o.id), [id], 'order/list state=CANCELED includes the partly cancelled order');
    assert.equal(canceled[0]!.filled, 0.0002);
    const fetched = await withTimeout(maker.ex.fetchOrder(id, BTC), T, 'fetchOrder');
    assert.equal(fetched.filled, 0.0002);
    assert.equal(fetched.average, 60_000);
    assert.equal(fetched.status, 'canceled', `order/detail state ${String(fetched.info['state'])}: "report a partly filled then cancelled order as CANCELED" (xt-rest.md §5.6, §9.12)`);
    assert.equal(canceled[0]!.status, 'canceled', `order/list state ${String(canceled[0]!.info['state'])}`);
  });

  it('setLeverage {positionSide: LONG}: the engine leverage changes, new orders freeze at it, positions report it', async () => {
    const maker = await f.account();
    const a = await f.account();
    await withTimeout(a.ex.setLeverage(10, BTC, { positionSide: 'LONG' }), T, 'setLeverage');
    assert.equal(f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usdt')?.leverage, 10);
    const id = await place(a, 'limit', 'buy', 10, 59_000);
    assert.equal(f.order(a.accountId, id)?.marginFrozen, 10n * perContract(590_000, 10));
    await withTimeout(a.ex.cancelOrder(id, BTC), T, 'cancelOrder');
    await trade(maker, a, 'sell', 10);
    const [p] = (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).filter((x) => (x.contracts ?? 0) > 0);
    assert.equal(p?.leverage, 10);
    assert.equal(f.position(a.accountId).margin, 600_000_000n); // ceil(6e9 / 10)
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
    assert.equal(balance['USDT']?.used, 6);
  });

  it('setMarginMode isolated → addMargin / reduceMargin on the isolated position → setMarginMode cross', async () => {
    const maker = await f.account();
    const a = await f.account();
    await withTimeout(a.ex.setMarginMode('isolated', BTC, { positionSide: 'LONG' }), T, 'setMarginMode isolated');
    assert.equal(f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usdt')?.marginMode, 'ISOLATED');
    await trade(maker, a, 'sell', 10);
    assert.equal(f.position(a.accountId).marginMode, 'ISOLATED');
    assert.equal(f.position(a.accountId).margin, 300_000_000n);

    const positionsOf = async () => (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).filter((x) => (x.contracts ?? 0) > 0);
    let [p] = await positionsOf();
    assert.equal(p?.marginMode, 'isolated');
    assert.equal(p?.collateral, 3);

    const added = await withTimeout(a.ex.addMargin(BTC, 5, { positionSide: 'LONG' }), T, 'addMargin');
    assert.equal(added.symbol, BTC);
    assert.equal(f.position(a.accountId).margin, 800_000_000n);
    assert.equal(f.wallet(a.accountId).isolatedMargin, 800_000_000n);
    [p] = await positionsOf();
    assert.equal(p?.collateral, 8);
    let balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
    assert.equal(balance['USDT']?.used, 8);

    await withTimeout(a.ex.reduceMargin(BTC, 2, { positionSide: 'LONG' }), T, 'reduceMargin');
    assert.equal(f.position(a.accountId).margin, 600_000_000n);
    [p] = await positionsOf();
    assert.equal(p?.collateral, 6);
    balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));

    // The switch is refused while the position is open (XT position_exists).
    const refused = await rejectionOf(a.ex.setMarginMode('cross', BTC, { positionSide: 'LONG' }), 'setMarginMode with an open position');
    assert.ok(refused instanceof ccxt.ExchangeError, `${refused.constructor.name}: ${refused.message}`);
    assert.equal(f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usdt')?.marginMode, 'ISOLATED');

    // Close, then back to cross.
    await place(maker, 'limit', 'buy', 10, 60_000);
    await place(a, 'market', 'sell', 10, undefined, { reduceOnly: true });
    assert.equal(f.position(a.accountId).qty, 0);
    await withTimeout(a.ex.setMarginMode('cross', BTC, { positionSide: 'LONG' }), T, 'setMarginMode cross');
    assert.equal(f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usdt')?.marginMode, 'CROSSED');
  });
});

// ---------------------------------------------------------------------------------------------

describe('ccxt xt: error classes', () => {
  let f: Fixture;
  before(async () => { f = await startFixture(); });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('a wrong secret (bad signature) is AuthenticationError', async () => {
    const a = await f.account();
    const wrong = f.ccxt({ apiKey: a.apiKey, secret: `${a.secret}x` });
    const error = await rejectionOf(wrong.fetchBalance(), 'fetchBalance with a wrong secret');
    assert.ok(error instanceof ccxt.AuthenticationError, `${error.constructor.name}: ${error.message}`);
    const error2 = await rejectionOf(wrong.createOrder(BTC, 'limit', 'buy', 1, 59_000), 'createOrder with a wrong secret');
    assert.ok(error2 instanceof ccxt.AuthenticationError, `${error2.constructor.name}: ${error2.message}`);
    assert.deepEqual(f.view(a.accountId).orders, []);
  });

  it('a request timestamp outside the 5 s window (stale, or more than 1 s ahead) is AuthenticationError', async () => {
    const a = await f.account();
    const clock = a.ex as unknown as { milliseconds: () => number };
    const real = clock.milliseconds.bind(a.ex);
    try {
      clock.milliseconds = () => real() - 10_000;
      const stale = await rejectionOf(a.ex.fetchBalance(), 'fetchBalance signed 10 s ago');
      assert.ok(stale instanceof ccxt.AuthenticationError, `${stale.constructor.name}: ${stale.message}`);
      clock.milliseconds = () => real() + 3_000;
      const ahead = await rejectionOf(a.ex.fetchBalance(), 'fetchBalance signed 3 s ahead');
      assert.ok(ahead instanceof ccxt.AuthenticationError, `${ahead.constructor.name}: ${ahead.message}`);
    } finally {
      clock.milliseconds = real;
    }
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance with the right clock');
    assert.equal(balance['USDT']?.total, 1000);
  });

  it('an unknown API key is AuthenticationError', async () => {
    const stranger = f.ccxt({ apiKey: 'no-such-key', secret: 'whatever' });
    const error = await rejectionOf(stranger.fetchBalance(), 'fetchBalance with an unknown key');
    assert.ok(error instanceof ccxt.AuthenticationError, `${error.constructor.name}: ${error.message}`);
  });

  it('an order without the margin for it is InsufficientFunds; nothing is frozen', async () => {
    const a = await f.account('1');
    const error = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'buy', 10, 60_000), 'limit buy needing 3.036 USDT with 1 USDT');
    assert.ok(error instanceof ccxt.InsufficientFunds, `${error.constructor.name}: ${error.message}`);
    assert.deepEqual(f.view(a.accountId).orders, []);
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], { free: 1, used: 0, total: 1 });
  });

  it('cancelOrder / fetchOrder of an unknown order is InvalidOrder (ORDER_005; ccxt xt cannot raise OrderNotFound)', async () => {
    const a = await f.account();
    const cancel = await rejectionOf(a.ex.cancelOrder('987654321', BTC), 'cancel of an unknown order');
    assert.ok(cancel instanceof ccxt.InvalidOrder, `${cancel.constructor.name}: ${cancel.message}`);
    const fetch = await rejectionOf(a.ex.fetchOrder('987654321', BTC), 'fetchOrder of an unknown order');
    assert.ok(fetch instanceof ccxt.InvalidOrder, `${fetch.constructor.name}: ${fetch.message}`);
    // Another account's order is unknown to this one.
    const b = await f.account();
    const theirs = await place(b, 'limit', 'buy', 1, 58_000);
    const foreign = await rejectionOf(a.ex.cancelOrder(theirs, BTC), 'cancel of another account\'s order');
    assert.ok(foreign instanceof ccxt.InvalidOrder, `${foreign.constructor.name}: ${foreign.message}`);
    assert.equal(f.order(b.accountId, theirs)?.state, 'NEW');
  });

  it('a limit price outside the 5 % band around the mark is InvalidOrder', async () => {
    const a = await f.account();
    const error = await rejectionOf(a.ex.createOrder(BTC, 'limit', 'buy', 1, 63_100), 'buy above the band');
    assert.ok(error instanceof ccxt.InvalidOrder, `${error.constructor.name}: ${error.message}`);
    assert.deepEqual(f.view(a.accountId).orders, []);
  });

  it('cancelling an already cancelled order is InvalidOrder', async () => {
    const a = await f.account();
    const id = await place(a, 'limit', 'buy', 1, 58_000);
    await withTimeout(a.ex.cancelOrder(id, BTC), T, 'cancelOrder');
    const again = await rejectionOf(a.ex.cancelOrder(id, BTC), 'second cancel');
    assert.ok(again instanceof ccxt.InvalidOrder, `${again.constructor.name}: ${again.message}`);
  });

  it('a reduce-only order larger than the position is InvalidOrder', async () => {
    const maker = await f.account();
    const a = await f.account();
    await trade(maker, a, 'sell', 3);
    const error = await rejectionOf(a.ex.createOrder(BTC, 'market', 'sell', 4, undefined, { reduceOnly: true }), 'reduce-only 4 of 3');
    assert.ok(error instanceof ccxt.InvalidOrder, `${error.constructor.name}: ${error.message}`);
    const flat = await f.account();
    const error2 = await rejectionOf(flat.ex.createOrder(BTC, 'limit', 'sell', 1, 61_000, { reduceOnly: true }), 'reduce-only without a position');
    assert.ok(error2 instanceof ccxt.InvalidOrder, `${error2.constructor.name}: ${error2.message}`);
    assert.equal(f.position(a.accountId).qty, 3);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ccxt xt: XT is hedge-mode only (xt-rest.md §5.4, §5.16)', () => {
  let f: Fixture;
  before(async () => { f = await startFixture('60000', 'HEDGE'); });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('on a fresh account, a sell without reduceOnly opens a SHORT next to an open LONG (SELL+SHORT = open short)', async () => {
    const maker = await f.account();
    const a = await f.account();
    await trade(maker, a, 'sell', 10); // a: long 10
    await trade(maker, a, 'buy', 10); // a sells 10 with positionSide SHORT: XT opens a short
    const rows = (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).map((p) => [p.side, p.contracts]);
    assert.deepEqual(rows.filter(([, c]) => c !== 0).sort(), [['long', 10], ['short', 10]],
      `XT semantics (xt-rest.md §5.4: SELL + SHORT opens/increases a short; XT is hedge-only): got ${JSON.stringify(rows)}`);
  });

  it('in hedge mode (perpstream position-mode extension) long and short coexist, reduceOnly closes one side, setLeverage applies', async () => {
    const maker = await f.account();
    const a = await f.account();
    const switched = await a.rest.post('/future/user/v1/position/position-mode', { positionMode: 'HEDGE' });
    assert.equal(switched.returnCode, 0, JSON.stringify(switched));
    assert.equal(f.view(a.accountId).positionMode, 'HEDGE');

    await trade(maker, a, 'sell', 10); // long 10
    await trade(maker, a, 'buy', 6); // short 6
    assert.equal(f.position(a.accountId, 'btc_usdt', 'LONG').qty, 10);
    assert.equal(f.position(a.accountId, 'btc_usdt', 'SHORT').qty, -6);
    let rows = (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).map((p) => [p.side, p.contracts, p.entryPrice]);
    assert.deepEqual(rows, [['long', 10, 60_000], ['short', 6, 60_000]]);

    // Close 4 of the long.
    await place(maker, 'limit', 'buy', 4, 60_000);
    await place(a, 'market', 'sell', 4, undefined, { reduceOnly: true });
    assert.equal(f.position(a.accountId, 'btc_usdt', 'LONG').qty, 6);
    assert.equal(f.position(a.accountId, 'btc_usdt', 'SHORT').qty, -6);
    rows = (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).map((p) => [p.side, p.contracts, p.entryPrice]);
    assert.deepEqual(rows, [['long', 6, 60_000], ['short', 6, 60_000]]);

    await withTimeout(a.ex.setLeverage(25, BTC, { positionSide: 'SHORT' }), T, 'setLeverage');
    const leverages = (await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions')).map((p) => p.leverage);
    assert.deepEqual(leverages, [25, 25], 'leverage is per symbol in the engine, both sides show it');
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
  });
});

// ---------------------------------------------------------------------------------------------

describe('ccxt xt: user stream (watchBalance, watchOrders, watchMyTrades, watchPositions)', () => {
  let f: Fixture;
  before(async () => { f = await startFixture(); });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('watchBalance resolves with the engine wallet after another account trades against a resting order', async () => {
    const a = await f.account();
    const b = await f.account();
    started(a.ex.watchBalance());
    await primeStream(a);
    await place(a, 'limit', 'sell', 10, 60_000);
    // The order's own balance push (margin frozen) must be in before the fill is triggered.
    const frozen = num(f.wallet(a.accountId).openOrderMarginFrozen);
    await watchUntil(() => a.ex.watchBalance(), () => (a.ex.balance as Record<string, { used?: number }>)['USDT']?.used === frozen, 'balance push of the new order');
    const pending = started(a.ex.watchBalance());
    await place(b, 'market', 'buy', 10);
    const balance = await withTimeout(pending, T, 'watchBalance after the fill');
    assert.deepEqual(balance['USDT'], balanceOf(f, a.accountId));
    assert.deepEqual(balance['USDT'], { free: 996.988, used: 3, total: 999.988 });
  });

  it('watchOrders: status open → open (partial) → closed, then canceled; amounts in contracts; only own orders', async () => {
    const a = await f.account();
    const b = await f.account();
    const c = await f.account();
    started(a.ex.watchOrders());
    const own = new Set<string>(await primeStream(a));
    const row = (id: string) => cacheRows(a.ex.orders).find((o) => o.id === id);

    let pending = started(a.ex.watchOrders());
    const sellId = await place(a, 'limit', 'sell', 10, 60_000);
    own.add(sellId);
    let orders = await withTimeout(pending, T, 'watchOrders (NEW)');
    let o = orders.find((x) => x.id === sellId);
    assert.ok(o, 'the new order is pushed');
    assert.equal(o.status, 'open');
    assert.equal(o.symbol, BTC);
    assert.equal(o.side, 'sell');
    assert.equal(o.price, 60_000);
    assert.equal(o.amount, 10, 'WS orders are in contracts (xt-rest.md §4)');
    assert.equal(o.filled, 0);
    assert.equal(o.timestamp, f.order(a.accountId, sellId)?.createTime);
    assert.equal(o.clientOrderId, undefined);

    pending = started(a.ex.watchOrders());
    await place(b, 'market', 'buy', 4);
    orders = await withTimeout(pending, T, 'watchOrders (partial fill)');
    o = orders.find((x) => x.id === sellId);
    assert.ok(o);
    assert.equal(f.order(a.accountId, sellId)?.state, 'PARTIALLY_FILLED');
    assert.equal(o.status, 'open');
    assert.equal(o.filled, 4);
    assert.equal(o.remaining, 6);
    assert.equal(o.average, 60_000);

    pending = started(a.ex.watchOrders());
    await place(c, 'market', 'buy', 6);
    orders = await withTimeout(pending, T, 'watchOrders (filled)');
    o = orders.find((x) => x.id === sellId);
    assert.ok(o);
    assert.equal(f.order(a.accountId, sellId)?.state, 'FILLED');
    assert.equal(o.status, 'closed');
    assert.equal(o.filled, 10);
    assert.equal(o.remaining, 0);
    assert.equal(o.cost, 60, 'cost = 10 × 60000 × 0.0001');

    const buyId = await place(a, 'limit', 'buy', 3, 59_000, { clientOrderId: 'ws-cid-7' });
    own.add(buyId);
    await watchUntil(() => a.ex.watchOrders(), () => row(buyId)?.status === 'open', 'buy pushed as open');
    assert.equal(row(buyId)?.info.clientOrderId, 'ws-cid-7');
    pending = started(a.ex.watchOrders());
    await withTimeout(a.ex.cancelOrder(buyId, BTC), T, 'cancelOrder');
    orders = await withTimeout(pending, T, 'watchOrders (canceled)');
    assert.equal(orders.find((x) => x.id === buyId)?.status, 'canceled');

    // Partly filled, then cancelled: XT's PARTIALLY_CANCELED must reach ccxt as canceled (xt-rest.md §9.12).
    const partId = await place(a, 'limit', 'sell', 5, 60_000);
    own.add(partId);
    await place(b, 'market', 'buy', 2);
    await withTimeout(a.ex.cancelOrder(partId, BTC), T, 'cancelOrder (partly filled)');
    assert.equal(f.order(a.accountId, partId)?.state, 'PARTIALLY_CANCELED');
    await watchUntil(() => a.ex.watchOrders(), () => row(partId)?.status === 'canceled', 'partly filled order canceled');
    assert.equal(row(partId)?.status, 'canceled');
    assert.equal((row(partId) as unknown as { filled: number }).filled, 2);

    for (const r of cacheRows(a.ex.orders)) {
      assert.ok(own.has(String(r.info.orderId)), `only own orders are pushed, got ${JSON.stringify(r.info)}`);
    }
  });

  it('watchMyTrades: two fills of one order are two cache rows with the engine trade ids; amounts in base; maker fees', async () => {
    const a = await f.account();
    const b = await f.account();
    const c = await f.account();
    started(a.ex.watchMyTrades());
    await primeStream(a);
    const sellId = await place(a, 'limit', 'sell', 10, 60_000);
    const pending = started(a.ex.watchMyTrades());
    await place(b, 'market', 'buy', 4);
    const first = await withTimeout(pending, T, 'watchMyTrades (first fill)');
    assert.equal(first.length, 1);
    await place(c, 'market', 'buy', 6);
    await watchUntil(() => a.ex.watchMyTrades(), () => cacheRows(a.ex.myTrades).length >= 2, 'second fill');

    const engineTrades = f.server.exchange.history.trades(a.accountId).slice().reverse();
    assert.equal(engineTrades.length, 2);
    const rows = cacheRows(a.ex.myTrades) as unknown as { id: string; order: string; side: string; price: number; amount: number; takerOrMaker: string; fee: { cost: number; currency: string }; timestamp: number; symbol: string }[];
    assert.equal(rows.length, 2, 'one cache row per fill (tradeId present)');
    assert.notEqual(rows[0]!.id, rows[1]!.id);
    assert.deepEqual(rows.map((t) => t.id), engineTrades.map((t) => String(t.tradeId)));
    assert.deepEqual(rows.map((t) => t.amount), [0.0004, 0.0006]);
    assert.deepEqual(rows.map((t) => t.fee), [{ cost: 0.0048, currency: 'USDT' }, { cost: 0.0072, currency: 'USDT' }]);
    assert.deepEqual(rows.map((t) => t.fee.cost), engineTrades.map((t) => usdt(t.fee)));
    for (const t of rows) {
      assert.equal(t.order, sellId);
      assert.equal(t.symbol, BTC);
      assert.equal(t.side, 'sell');
      assert.equal(t.price, 60_000);
      assert.equal(t.takerOrMaker, 'maker');
    }
    assert.deepEqual(rows.map((t) => t.timestamp), engineTrades.map((t) => t.time));
  });

  it('watchPositions (fetchPositionsSnapshot false) resolves with the engine position after a fill', async () => {
    const a = await f.account('1000', { options: { watchPositions: { fetchPositionsSnapshot: false } } });
    const b = await f.account();
    started(a.ex.watchPositions());
    await primeStream(a);
    await place(a, 'limit', 'sell', 10, 60_000);
    // The order's own position push (openOrderSize 10) must be in before the fill is triggered.
    await watchUntil(() => a.ex.watchPositions(), () => cacheRows(a.ex.positions).some((p) => p.info['openOrderSize'] === '10'), 'position push of the new order');
    const pending = started(a.ex.watchPositions());
    await place(b, 'market', 'buy', 10);
    const positions = await withTimeout(pending, T, 'watchPositions after the fill');
    const engine = f.position(a.accountId);
    assert.equal(engine.qty, -10);
    assert.equal(positions.length, 1, JSON.stringify(positions.map((p) => p.info)));
    const p = positions[0]!;
    assert.equal(p.symbol, BTC);
    assert.equal(p.side, 'short');
    assert.equal(p.contracts, Math.abs(engine.qty));
    assert.equal(p.entryPrice, 60_000);
    assert.equal(p.leverage, engine.leverage);
    assert.equal(p.marginMode, 'cross');
    assert.equal(p.markPrice, 60_000);
  });

  it('watchPositions pushes setLeverage, setMarginMode and addMargin changes (xt-rest.md §5.13; protocols.md §0.3)', async () => {
    const maker = await f.account();
    const taker = await f.account();
    const a = await f.account('1000', { options: { watchPositions: { fetchPositionsSnapshot: false } } });
    await trade(maker, a, 'buy', 2); // a: short 2, then flat again below
    await trade(maker, a, 'sell', 2);
    assert.equal(f.position(a.accountId).qty, 0);
    started(a.ex.watchPositions());
    started(a.ex.watchBalance());
    await primeStream(a);
    const rowsOf = () => cacheRows(a.ex.positions) as unknown as { side: string; contracts: number; leverage: number; marginMode: string; collateral: number; info: Record<string, unknown> }[];

    await withTimeout(a.ex.setLeverage(10, BTC, { positionSide: 'LONG' }), T, 'setLeverage');
    await watchUntil(() => a.ex.watchPositions(), () => rowsOf().some((p) => p.leverage === 10), 'position push with leverage 10');

    await withTimeout(a.ex.setMarginMode('isolated', BTC, { positionSide: 'LONG' }), T, 'setMarginMode');
    await watchUntil(() => a.ex.watchPositions(), () => rowsOf().some((p) => p.marginMode === 'isolated'), 'position push with marginMode isolated');

    await place(a, 'limit', 'buy', 10, 60_000);
    await place(taker, 'market', 'sell', 10);
    assert.equal(f.position(a.accountId).qty, 10);
    assert.equal(f.position(a.accountId).margin, 600_000_000n); // ceil(6e9 / 10)
    await watchUntil(() => a.ex.watchPositions(), () => rowsOf().some((p) => p.side === 'long' && p.contracts === 10), 'long 10 pushed');

    await withTimeout(a.ex.addMargin(BTC, 1.5, { positionSide: 'LONG' }), T, 'addMargin');
    assert.equal(f.position(a.accountId).margin, 750_000_000n);
    await watchUntil(() => a.ex.watchPositions(), () => rowsOf().some((p) => p.side === 'long' && p.collateral === 7.5), 'position push with isolatedMargin 7.5');
    await watchUntil(() => a.ex.watchBalance(), () => (a.ex.balance as Record<string, { used?: number }>)['USDT']?.used === 7.5, 'balance push after addMargin');
    const long = rowsOf().find((p) => p.side === 'long')!;
    assert.deepEqual([long.contracts, long.leverage, long.marginMode, long.collateral], [10, 10, 'isolated', 7.5]);
    assert.deepEqual((a.ex.balance as Record<string, unknown>)['USDT'], balanceOf(f, a.accountId));
  });

  it('watchPositions: a one-way position that flips from long to short clears the long row (no stale side in ccxt\'s cache)', async () => {
    const maker = await f.account();
    const a = await f.account('1000', { options: { watchPositions: { fetchPositionsSnapshot: false } } });
    started(a.ex.watchPositions());
    await primeStream(a);
    await trade(maker, a, 'sell', 10); // long 10
    await trade(maker, a, 'buy', 15); // sells 15 in one-way mode: short 5
    assert.equal(f.position(a.accountId).qty, -5);
    const rows = () => (cacheRows(a.ex.positions) as unknown as { side: string; contracts: number }[]).map((p) => [p.side, p.contracts]);
    await watchUntil(() => a.ex.watchPositions(), () => JSON.stringify(rows().sort()) === JSON.stringify([['long', 0], ['short', 5]]), 'long 0 and short 5');
    assert.deepEqual(rows().sort(), [['long', 0], ['short', 5]]);
  });

  it('watchPositions (default snapshot): the first call returns the REST snapshot, the second resolves on the next push', async () => {
    const maker = await f.account();
    const a = await f.account();
    await trade(maker, a, 'sell', 10); // a: long 10 before any watch
    const snapshot = await withTimeout(a.ex.watchPositions(), T, 'watchPositions (snapshot)');
    assert.deepEqual(snapshot.map((p) => [p.symbol, p.side, p.contracts, p.entryPrice]), [[BTC, 'long', 10, 60_000]]);
    started(a.ex.watchPositions());
    await primeStream(a);
    const pending = started(a.ex.watchPositions());
    await trade(maker, a, 'sell', 5, 60_200);
    const pushed = await withTimeout(pending, T, 'watchPositions (push)');
    assert.ok(pushed.length >= 1 && pushed.every((p) => p.symbol === BTC));
    const engine = f.position(a.accountId);
    assert.equal(engine.qty, 15);
    // The taker's NEW order pushes a position first (openOrderSize 5), the fill then: wait for the fill's.
    const rowOf = () => cacheRows(a.ex.positions).find((p) => p.side === 'long') as unknown as { contracts: number; side: string; entryPrice: number; info: Record<string, unknown> } | undefined;
    await watchUntil(() => a.ex.watchPositions(), () => rowOf()?.contracts === 15, 'position of 15 contracts');
    const row = rowOf()!;
    assert.equal(row.contracts, 15);
    assert.equal(row.side, 'long');
    // entry = (10 × 60000 + 5 × 60200) / 15 = 60066.666…
    assert.equal(row.entryPrice, Number(row.info['entryPrice']));
    assert.ok(Math.abs(row.entryPrice! - 60_066.6667) < 0.001, `entryPrice ${row.entryPrice}`);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ccxt xt: many accounts at once', () => {
  let f: Fixture;
  before(async () => { f = await startFixture(); });
  after(async () => {
    await f.cancelEverything();
    await f.close();
  });

  it('5 ccxt instances watch their own orders and fills while all trade; none receives another account\'s event', async () => {
    const accounts = await Promise.all([0, 1, 2, 3, 4].map(() => f.account()));
    for (const a of accounts) {
      started(a.ex.watchMyTrades());
      started(a.ex.watchBalance());
    }
    const probes = await Promise.all(accounts.map((a) => primeStream(a)));
    const own = probes.map((ids) => new Set<string>(ids));

    // Round 1: everyone rests a bid at a distinct price, everyone rests an ask; round 2: everyone
    // sends market orders both ways. Requests of all five run concurrently.
    const bids = await Promise.all(accounts.map((a, i) => place(a, 'limit', 'buy', 2, 59_900 - 10 * i)));
    const asks = await Promise.all(accounts.map((a, i) => place(a, 'limit', 'sell', 2, 60_100 + 10 * i)));
    bids.forEach((id, i) => own[i]!.add(id));
    asks.forEach((id, i) => own[i]!.add(id));
    for (let round = 0; round < 2; round++) {
      const ids = await Promise.all(accounts.map((a, i) => place(a, 'market', (i + round) % 2 === 0 ? 'buy' : 'sell', 1)));
      ids.forEach((id, i) => own[i]!.add(id));
    }
    const limitIds = await Promise.all(accounts.map((a, i) => place(a, 'limit', i % 2 === 0 ? 'sell' : 'buy', 1, i % 2 === 0 ? 59_850 : 60_150)));
    limitIds.forEach((id, i) => own[i]!.add(id));

    // Every account ends up with every one of its orders in its cache, at the engine's state.
    await Promise.all(accounts.map((a, i) => watchUntil(() => a.ex.watchOrders(), () => {
      const rows = cacheRows(a.ex.orders);
      return [...own[i]!].every((id) => rows.find((r) => r.id === id)?.status === STATUS[f.order(a.accountId, id)!.state]);
    }, `account ${a.accountId}: all own orders at their engine state`, 8_000)));

    const engineTradeCount = accounts.map((a) => f.server.exchange.history.trades(a.accountId).length);
    assert.ok(engineTradeCount.reduce((x, y) => x + y, 0) >= 10, `some trades happened: ${engineTradeCount.join(',')}`);
    await Promise.all(accounts.map((a, i) => watchUntil(() => a.ex.watchMyTrades(), () => cacheRows(a.ex.myTrades).length === engineTradeCount[i],
      `account ${a.accountId}: ${engineTradeCount[i]} fills`, 8_000).catch(() => undefined)));

    const usdtOf = (a: Account) => (a.ex.balance as Record<string, unknown>)['USDT'];
    await Promise.all(accounts.map((a) => watchUntil(() => a.ex.watchBalance(), () => {
      const b = usdtOf(a) as { total?: number } | undefined;
      return b?.total === balanceOf(f, a.accountId).total;
    }, `account ${a.accountId}: streamed balance`, 8_000).catch(() => undefined)));

    accounts.forEach((a, i) => {
      for (const r of cacheRows(a.ex.orders)) {
        const id = String(r.info.orderId);
        assert.ok(own[i]!.has(id), `account ${a.accountId} received order ${id} that is not its own: ${JSON.stringify(r.info)}`);
        assert.equal(r.status, STATUS[f.order(a.accountId, id)!.state], `order ${id}`);
      }
      const trades = cacheRows(a.ex.myTrades) as unknown as { id: string; order: string }[];
      assert.equal(trades.length, engineTradeCount[i], `account ${a.accountId}: one trade row per engine fill`);
      const engineIds = new Set(f.server.exchange.history.trades(a.accountId).map((t) => String(t.tradeId)));
      for (const t of trades) {
        assert.ok(own[i]!.has(t.order), `account ${a.accountId} received a fill of order ${t.order} that is not its own`);
        assert.ok(engineIds.has(t.id), `trade ${t.id} is one of the account's engine fills`);
      }
      assert.deepEqual(usdtOf(a), balanceOf(f, a.accountId), `account ${a.accountId}: streamed balance equals the engine wallet`);
    });
  });
});
