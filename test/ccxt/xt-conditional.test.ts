/**
 * ccxt 4.5.84 `xt` conditional orders against a real perpstream (fresh one-way accounts, library
 * defaults): createOrder with `triggerPrice` (entrust/create-plan), with `stopLoss` / `takeProfit`
 * (entrust/create-profit), with `trailingAmount` (entrust/create-track); fetchOpenOrders,
 * fetchOrder, editOrder, cancelOrder and cancelAllOrders with ccxt's `trigger` /
 * `stopLossTakeProfit` / `trailing` flags; after the price crosses, the position changed and
 * watchOrders delivered the placed order, whose raw push carries sourceType and sourceId.
 *
 * Amounts: createOrder's amount is contracts; REST orders come back in base (× 0.0001), WS orders
 * in contracts (xt-rest.md §4).
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { BTC, cacheRows, rejectionOf, startFixture, watchUntil, withTimeout, type Account, type Fixture } from './helpers.js';
import { place, primeStream, started } from './xt-orders.js';

const T = 5_000;

describe('ccxt xt: conditional orders', () => {
  let f: Fixture;
  let mm: Account;
  before(async () => {
    f = await startFixture();
    mm = await f.account('1000000');
  });
  afterEach(async () => {
    await f.cancelEverything();
    await f.admin.markPrice('btc_usdt', '60000');
  });
  after(async () => { await f.close(); });

  /** The market maker rests a limit order of `qty` contracts (raw XT REST; one-way account). */
  const rest = async (side: 'BUY' | 'SELL', price: string, qty: string) => {
    const reply = await mm.rest.post('/future/trade/v1/order/create', {
      symbol: 'btc_usdt', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', orderType: 'LIMIT', price, origQty: qty,
    });
    assert.equal(reply.msgInfo, 'success', JSON.stringify(reply.error));
  };
  /** A LONG of `qty` contracts at 60000 for `a`. */
  const openLong = async (a: Account, qty: number) => {
    await rest('SELL', '60000', String(qty));
    await place(a, 'market', 'buy', qty);
    assert.equal(f.position(a.accountId).qty, qty);
  };
  const pushedOrder = (a: Account, id: string) => cacheRows(a.ex.orders).find((o) => o.id === id);
  /** xt's parseOrder sets `stopLoss` / `takeProfit` (from triggerStopPrice / triggerProfitPrice), which ccxt's Order type does not declare. */
  const protection = (o: object) => o as { stopLoss?: number; takeProfit?: number };

  it('createOrder with triggerPrice: a plan; fetchOpenOrders({trigger}) lists it; the mark crosses, watchOrders delivers the order (sourceType ENTRUST, sourceId)', async () => {
    const a = await f.account();
    started(a.ex.watchOrders());
    await primeStream(a);
    const id = await place(a, 'market', 'buy', 2, undefined, { triggerPrice: 61_000, timeInForce: 'IOC', triggerPriceType: 'MARK_PRICE' });
    assert.equal(f.view(a.accountId).conditionals.map((c) => String(c.conditionalId)).join(), id);

    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.equal(open.length, 1);
    const o = open[0]!;
    assert.deepEqual([o.id, o.symbol, o.side, o.status, o.triggerPrice, o.amount, o.timeInForce], [id, BTC, 'buy', 'open', 61_000, 0.0002, 'IOC']);
    const fetched = await withTimeout(a.ex.fetchOrder(id, BTC, { trigger: true }), T, 'fetchOrder trigger');
    assert.deepEqual([fetched.id, fetched.status, fetched.triggerPrice], [id, 'open', 61_000]);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders (plain)'), [], 'a waiting plan is not an open order');

    await rest('SELL', '61000', '5');
    await f.admin.markPrice('btc_usdt', '61000');
    await watchUntil(() => a.ex.watchOrders(), () => pushedOrder(a, id)?.status === 'closed', 'the plan\'s order closed');
    const pushed = pushedOrder(a, id)!;
    assert.deepEqual([pushed.side, pushed.info.sourceType, pushed.info.sourceId, pushed.info.orderType], ['buy', 'ENTRUST', id, 'MARKET']);
    const positions = await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions');
    assert.deepEqual(positions.filter((p) => (p.contracts ?? 0) > 0).map((p) => [p.side, p.contracts, p.entryPrice]), [['long', 2, 61_000]]);
    const closed = await withTimeout(a.ex.fetchClosedOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchClosedOrders trigger');
    assert.deepEqual(closed.map((c) => [c.id, c.status]), [[id, 'closed']]);
    const history = await withTimeout(a.ex.fetchOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOrders trigger');
    assert.deepEqual(history.map((c) => c.id), [id]);
  });

  it('trigger orders: cancelOrder and cancelAllOrders with {trigger}; a market trigger without IOC/FOK is an InvalidOrder that places nothing', async () => {
    const a = await f.account();
    const one = await place(a, 'limit', 'buy', 1, 59_000, { triggerPrice: 59_500, triggerPriceType: 'MARK_PRICE' });
    const two = await place(a, 'limit', 'sell', 1, 61_000, { triggerPrice: 60_500 });
    // ccxt's default timeInForce for a trigger order is GTC: XT refuses it for a market plan.
    const error = await rejectionOf(a.ex.createOrder(BTC, 'market', 'buy', 1, undefined, { triggerPrice: 61_000 }), 'market trigger, GTC');
    assert.ok(error instanceof ccxt.InvalidOrder, `${error.name}: ${error.message}`);
    assert.match(error.message, /market_plan_entrust_must_be_ioc_or_fok/);
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => String(c.conditionalId)), [one, two]);

    const canceled = await withTimeout(a.ex.cancelOrder(one, BTC, { trigger: true }), T, 'cancelOrder trigger');
    assert.equal(canceled.id, one);
    await withTimeout(a.ex.cancelAllOrders(BTC, { trigger: true }), T, 'cancelAllOrders trigger');
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    const canceledPlans = await withTimeout(a.ex.fetchCanceledOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchCanceledOrders trigger');
    assert.deepEqual(canceledPlans.map((c) => [c.id, c.status]).sort(), [[one, 'canceled'], [two, 'canceled']].sort());
  });

  it('createOrder with stopLoss / takeProfit: TP/SL of the position; fetch, editOrder, cancel with {stopLossTakeProfit}; the take-profit fires on the mark (sourceType PROFIT)', async () => {
    const a = await f.account();
    await openLong(a, 2);
    started(a.ex.watchOrders());
    await primeStream(a);

    const sl = await place(a, 'market', 'buy', 2, undefined, { stopLoss: 59_000 });
    const tp = await place(a, 'market', 'buy', 2, undefined, { takeProfit: 62_000, triggerPriceType: 'MARK_PRICE' });
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { stopLossTakeProfit: true }), T, 'fetchOpenOrders stopLossTakeProfit');
    assert.deepEqual(open.map((o) => [o.id, o.side, o.status, protection(o).stopLoss, protection(o).takeProfit, o.amount]).sort(),
      [[sl, 'sell', 'open', 59_000, undefined, 0.0002], [tp, 'sell', 'open', undefined, 62_000, 0.0002]].sort());

    const edited = await withTimeout(a.ex.editOrder(sl, BTC, 'market', 'sell', 2, undefined, { stopLoss: 58_500 }), T, 'editOrder stopLoss');
    assert.equal(edited.id, sl);
    const fetched = await withTimeout(a.ex.fetchOrder(sl, BTC, { stopLossTakeProfit: true }), T, 'fetchOrder stopLossTakeProfit');
    assert.deepEqual([fetched.id, protection(fetched).stopLoss, fetched.status], [sl, 58_500, 'open']);
    const [row] = (await a.rest.get<Record<string, unknown>[]>('/future/user/v1/position', { symbol: 'btc_usdt' })).result;
    assert.ok(row!.profitId === sl || row!.profitId === tp, 'the position shows one of its TP/SL pairs');

    const canceled = await withTimeout(a.ex.cancelOrder(sl, BTC, { stopLossTakeProfit: true }), T, 'cancelOrder stopLossTakeProfit');
    assert.equal(canceled.id, sl);

    await rest('BUY', '61900', '5');
    await f.admin.markPrice('btc_usdt', '62000');
    await watchUntil(() => a.ex.watchOrders(), () => pushedOrder(a, tp)?.status === 'closed', 'the take-profit order closed');
    const pushed = pushedOrder(a, tp)!;
    assert.deepEqual([pushed.side, pushed.info.sourceType, pushed.info.sourceId], ['sell', 'PROFIT', tp]);
    assert.equal(f.position(a.accountId).qty, 0);
    const closed = await withTimeout(a.ex.fetchClosedOrders(BTC, undefined, undefined, { stopLossTakeProfit: true }), T, 'fetchClosedOrders stopLossTakeProfit');
    assert.deepEqual(closed.map((o) => [o.id, o.status]), [[tp, 'closed']]);
    const canceledPairs = await withTimeout(a.ex.fetchCanceledOrders(BTC, undefined, undefined, { stopLossTakeProfit: true }), T, 'fetchCanceledOrders stopLossTakeProfit');
    assert.deepEqual(canceledPairs.map((o) => [o.id, o.status]), [[sl, 'canceled']]);
  });

  it('createOrder with trailingAmount: a track order; fetchOpenOrders({trailing}); the mark runs up and retraces, watchOrders delivers the sell (sourceType ENTRUST)', async () => {
    const a = await f.account();
    await openLong(a, 2);
    started(a.ex.watchOrders());
    await primeStream(a);
    const id = await place(a, 'market', 'sell', 2, undefined, { trailingAmount: 500, trailingTriggerPrice: 61_000, reduceOnly: true, triggerPriceType: 'MARK_PRICE' });
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trailing: true }), T, 'fetchOpenOrders trailing');
    assert.deepEqual(open.map((o) => [o.id, o.side, o.status, o.amount]), [[id, 'sell', 'open', 0.0002]]);
    assert.equal(open[0]!.info.state, 'NOT_ACTIVATION');

    await f.admin.markPrice('btc_usdt', '61500');
    await rest('BUY', '60900', '5');
    await f.admin.markPrice('btc_usdt', '61000');
    await watchUntil(() => a.ex.watchOrders(), () => pushedOrder(a, id)?.status === 'closed', 'the trailing order closed');
    assert.deepEqual([pushedOrder(a, id)!.info.sourceType, pushedOrder(a, id)!.info.sourceId], ['ENTRUST', id]);
    assert.equal(f.position(a.accountId).qty, 0);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trailing: true }), T, 'no open trailing orders'), []);
    const closed = await withTimeout(a.ex.fetchClosedOrders(BTC, undefined, undefined, { trailing: true }), T, 'fetchClosedOrders trailing');
    assert.deepEqual(closed.map((o) => [o.id, o.status]), [[id, 'closed']]);
  });

  it('trailing: cancelOrder with {trailing}; a callback of 100 % is refused and places nothing', async () => {
    const a = await f.account();
    await openLong(a, 2);
    const id = await place(a, 'market', 'sell', 1, undefined, { trailingPercent: 1, reduceOnly: true });
    const error = await rejectionOf(a.ex.createOrder(BTC, 'market', 'sell', 1, undefined, { trailingPercent: 100, reduceOnly: true }), 'trailing 100 %');
    assert.ok(error instanceof ccxt.InvalidOrder, `${error.name}: ${error.message}`);
    assert.match(error.message, /invalid_exceed_max_rate_limit/);
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => [String(c.conditionalId), c.callbackRate]), [[id, 1_000_000n]], 'trailingPercent 1 is a callback of 0.01');
    await withTimeout(a.ex.cancelOrder(id, BTC, { trailing: true }), T, 'cancelOrder trailing');
    assert.deepEqual(f.view(a.accountId).conditionals, []);
  });
});
