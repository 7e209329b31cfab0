/**
 * ccxt 4.5.84 (`ccxt.pro.bybit`) conditional orders against a real perpstream (issue 13), with
 * ccxt's own parameters and nothing else: `triggerPrice` (+ `triggerDirection`) makes a plan
 * order, `takeProfit` / `stopLoss` attach TP/SL to an order, `stopLossPrice` alone is a reduce-only
 * trigger order, `stopLossPrice` with `takeProfitPrice` and `trailingAmount` go to
 * /v5/position/trading-stop. `fetchOpenOrders` with `trigger: true` (orderFilter=StopOrder) lists
 * them before the trigger; after the price crosses, the position changed as intended and
 * `watchOrders` delivered the placed order under the same id. BTCUSDT: mark 60000.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { BTC, cacheRows, rejectionOf, watchUntil, withTimeout } from './helpers.js';
import { place, startFixture, T, type Account, type Fixture } from './bybit-fixture.js';

describe('ccxt bybit: conditional orders, TP/SL, trailing stops', () => {
  let f: Fixture;
  let maker: Account;
  let taker: Account;

  before(async () => {
    f = await startFixture();
    maker = await f.account('100000');
    taker = await f.account('100000');
  });
  /** Every account a test made: between tests their orders and conditional orders go, so no test trades against another's leftovers. */
  const made: Account[] = [];
  async function account(deposit: string): Promise<Account> {
    const a = await f.account(deposit);
    made.push(a);
    return a;
  }
  afterEach(async () => {
    await f.cancelEverything();
    for (const a of [maker, taker, ...made]) {
      await f.server.exchange.execute({ type: 'cancelAllConditionals', accountId: a.accountId });
    }
  });
  after(async () => { await f.close(); });

  /** The maker rests `rest` BTC at `price`; the taker takes `take` of it at market: the last price becomes `price`. */
  async function tradeAt(price: number, rest: number, take: number, takerSide: 'buy' | 'sell'): Promise<void> {
    await place(maker, 'limit', takerSide === 'buy' ? 'sell' : 'buy', rest, price);
    await place(taker, 'market', takerSide, take);
  }

  /**
   * Subscribes `a`'s `watch` (watchOrders / watchPositions) and returns once a push reached it: a
   * marker order (placed and cancelled, resting far from the market) is made on each round until
   * one of its pushes is in ccxt's cache, so nothing after this can be missed.
   */
  async function subscribed(a: Account, watch: () => Promise<unknown>, cache: () => unknown): Promise<void> {
    const before = cacheRows(cache()).length;
    await watchUntil(async () => {
      const id = await place(a, 'limit', 'buy', 0.0001, 57_500);
      await withTimeout(a.ex.cancelOrder(id, BTC), T, 'cancel marker');
      return watch();
    }, () => cacheRows(cache()).length > before, 'the subscription to carry a marker');
  }

  /** A fresh account holding 0.001 BTC long at 60000. */
  async function longAccount(params: Record<string, unknown> = {}): Promise<Account> {
    const a = await account('1000');
    await place(maker, 'limit', 'sell', 0.001, 60_000);
    await place(a, 'market', 'buy', 0.001, undefined, params);
    assert.equal(f.position(a.accountId).qty, 10);
    return a;
  }

  it('createOrder with triggerPrice: fetchOpenOrders {trigger: true} lists it; the last price crosses: watchOrders shows the placed order (same id) filled, the position is long', async () => {
    const a = await account('1000');
    await subscribed(a, () => a.ex.watchOrders(BTC), () => a.ex.orders);
    const id = await place(a, 'market', 'buy', 0.001, undefined, { triggerPrice: 61_000, triggerDirection: 'ascending', clientOrderId: 'cc-plan' });
    const [open] = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.ok(open !== undefined);
    assert.deepEqual([open.id, open.clientOrderId, open.status, open.type, open.side, open.amount, open.triggerPrice, open.info.orderStatus, open.info.stopOrderType],
      [id, 'cc-plan', 'open', 'market', 'buy', 0.001, 61_000, 'Untriggered', 'Stop']);
    assert.deepEqual((await a.ex.fetchOpenOrders(BTC)).map((o) => o.id), [id], 'without the flag every kind is listed');
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => String(c.conditionalId)), [id]);

    await tradeAt(61_000, 0.002, 0.001, 'buy');
    await watchUntil(() => a.ex.watchOrders(BTC), () => cacheRows(a.ex.orders).some((o) => o.id === id && o.status === 'closed'), 'the placed order filled');
    const placed = cacheRows(a.ex.orders).filter((o) => o.id === id);
    assert.equal(placed.length, 1, 'one cache entry: the conditional order and the order it placed share the id');
    assert.deepEqual([placed[0]!.info.orderStatus, placed[0]!.info.createType, placed[0]!.info.stopOrderType], ['Filled', 'CreateByStopOrder', 'Stop']);
    const [p] = await withTimeout(a.ex.fetchPositions([BTC]), T, 'fetchPositions');
    assert.deepEqual([p?.side, p?.contracts, p?.entryPrice], ['long', 0.001, 61_000]);
    assert.equal(f.position(a.accountId).qty, 10);
    assert.deepEqual(await a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), []);
  });

  it('a limit order with takeProfit / stopLoss: fetchOrder shows takeProfitPrice / stopLossPrice; editOrder moves them before the order fills', async () => {
    const a = await account('1000');
    const id = await place(a, 'limit', 'buy', 0.001, 58_000, { takeProfit: { triggerPrice: 64_000 }, stopLoss: { triggerPrice: 55_000 } });
    const open = await withTimeout(a.ex.fetchOpenOrder(id, BTC), T, 'fetchOpenOrder');
    assert.deepEqual([open.status, open.price, open.takeProfitPrice, open.stopLossPrice], ['open', 58_000, 64_000, 55_000]);
    // ccxt's editOrder sends its params over the amend request it built: a { triggerPrice } object would
    // reach the server as an object, which amend-order's string field does not take: prices as numbers.
    await withTimeout(a.ex.editOrder(id, BTC, 'limit', 'buy', 0.001, 58_000, { takeProfit: 66_000, stopLoss: 54_000 }), T, 'editOrder TP/SL');
    const edited = await withTimeout(a.ex.fetchOpenOrder(id, BTC), T, 'fetchOpenOrder after edit');
    assert.deepEqual([edited.price, edited.takeProfitPrice, edited.stopLossPrice], [58_000, 66_000, 54_000]);
    assert.deepEqual(f.view(a.accountId).orders.map((o) => [o.attachTpsl?.takeProfit?.triggerPrice, o.attachTpsl?.stopLoss?.triggerPrice]), [[660_000, 540_000]]);
  });

  it('createOrder with takeProfit / stopLoss: the position carries them (fetchPositions, watchPositions), the legs are trigger orders, and they leave when the position closes', async () => {
    const a = await account('1000');
    await subscribed(a, () => a.ex.watchPositions([BTC]), () => a.ex.positions);
    await place(maker, 'limit', 'sell', 0.001, 60_000);
    await place(a, 'market', 'buy', 0.001, undefined, { takeProfit: { triggerPrice: 65_000 }, stopLoss: { triggerPrice: 55_000 } });
    const [p] = await a.ex.fetchPositions([BTC]);
    assert.deepEqual([p?.contracts, p?.takeProfitPrice, p?.stopLossPrice], [0.001, 65_000, 55_000]);
    await watchUntil(() => a.ex.watchPositions([BTC]), () => cacheRows(a.ex.positions).some((x) => (x as { takeProfitPrice?: number }).takeProfitPrice === 65_000), 'the position push with its TP');
    const legs = await a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true });
    assert.deepEqual(legs.map((o) => [o.info.stopOrderType, o.side, o.reduceOnly, o.takeProfitPrice, o.stopLossPrice]).sort(),
      [['StopLoss', 'sell', true, undefined, 55_000], ['TakeProfit', 'sell', true, 65_000, undefined]]);

    await place(maker, 'limit', 'buy', 0.001, 60_000);
    await place(a, 'market', 'sell', 0.001, undefined, { reduceOnly: true });
    await watchUntil(() => a.ex.watchPositions([BTC]), () => cacheRows(a.ex.positions).every((x) => (x as { takeProfitPrice?: number }).takeProfitPrice !== 65_000),
      'the closed position pushed without its TP');
    // Asked by symbol, Bybit answers the empty position too: size 0, and no take profit / stop loss any more.
    assert.deepEqual((await a.ex.fetchPositions([BTC])).map((x) => [x.contracts, x.takeProfitPrice, x.stopLossPrice]), [[0, 0, 0]]);
    assert.deepEqual([f.position(a.accountId).takeProfitPrice, f.position(a.accountId).stopLossPrice], [null, null]);
    assert.deepEqual(await a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), []);
    assert.deepEqual(f.view(a.accountId).conditionals, []);
  });

  it('stopLossPrice alone: a reduce-only trigger order; it fires when the last price falls to it and closes the long', async () => {
    const a = await longAccount();
    await subscribed(a, () => a.ex.watchOrders(BTC), () => a.ex.orders);
    const id = await place(a, 'market', 'sell', 0.001, undefined, { stopLossPrice: 59_000 });
    const [o] = await a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true });
    assert.deepEqual([o?.id, o?.reduceOnly, o?.stopLossPrice, o?.triggerPrice, o?.info.triggerDirection], [id, true, 59_000, 59_000, 2]);
    await place(maker, 'limit', 'buy', 0.001, 58_900);
    await tradeAt(59_000, 0.001, 0.001, 'sell');
    await watchUntil(() => a.ex.watchOrders(BTC), () => cacheRows(a.ex.orders).some((x) => x.id === id && x.status === 'closed'), 'the stop filled');
    assert.equal(f.position(a.accountId).qty, 0);
  });

  it('stopLossPrice with takeProfitPrice (trading-stop, Partial for the amount) and trailingAmount (trading-stop trailingStop / activePrice)', async () => {
    const a = await longAccount();
    const pair = await withTimeout(a.ex.createOrder(BTC, 'market', 'sell', 0.001, undefined, { stopLossPrice: 55_000, takeProfitPrice: 65_000 }), T, 'tp/sl pair');
    assert.equal(pair.id, undefined, 'trading-stop answers no order');
    const legs = await a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true });
    assert.deepEqual(legs.map((o) => [o.info.stopOrderType, o.amount, o.info.tpslMode]).sort(),
      [['PartialStopLoss', 0.001, 'Partial'], ['PartialTakeProfit', 0.001, 'Partial']]);
    const [p] = await a.ex.fetchPositions([BTC]);
    assert.deepEqual([p?.takeProfitPrice, p?.stopLossPrice], [0, 0], 'partial legs are not the position\'s own TP/SL');

    await withTimeout(a.ex.createOrder(BTC, 'market', 'sell', 0.001, undefined, { trailingAmount: 500, trailingTriggerPrice: 62_000 }), T, 'trailing');
    const [q] = await a.ex.fetchPositions([BTC]);
    assert.equal(q?.info.trailingStop, '500');
    assert.equal(f.position(a.accountId).trailingDistance, 5_000);
    const trailing = (await a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true })).find((o) => o.info.stopOrderType === 'TrailingStop');
    assert.deepEqual([trailing?.info.triggerPrice, trailing?.side], ['62000', 'sell']);
  });

  it('editOrder and cancelOrder on a trigger order; the wrong side of the market is InvalidOrder (110092), and nothing is placed', async () => {
    const a = await account('1000');
    await tradeAt(60_000, 0.001, 0.001, 'buy');
    const id = await place(a, 'limit', 'buy', 0.001, 61_100, { triggerPrice: 61_000, triggerDirection: 'ascending' });
    await withTimeout(a.ex.editOrder(id, BTC, 'limit', 'buy', 0.002, 61_300, { triggerPrice: 61_200 }), T, 'editOrder');
    const c = f.view(a.accountId).conditionals[0]!;
    assert.deepEqual([String(c.conditionalId), c.triggerPrice, c.price, c.qty, c.triggerSource], [id, 612_000, 613_000, 20, 'LAST']);
    await withTimeout(a.ex.cancelOrder(id, BTC), T, 'cancelOrder');
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    const wrong = await rejectionOf(a.ex.createOrder(BTC, 'market', 'buy', 0.001, undefined, { triggerPrice: 59_000, triggerDirection: 'ascending' }), 'trigger below the market');
    assert.ok(wrong instanceof ccxt.InvalidOrder, `${wrong.constructor.name}: ${wrong.message}`);
    assert.match(wrong.message, /110092/);
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    assert.deepEqual(f.view(a.accountId).orders, []);
  });

  it('a trigger refused for margin: watchOrders shows the order rejected, the account is unchanged', async () => {
    const a = await account('10');
    await subscribed(a, () => a.ex.watchOrders(BTC), () => a.ex.orders);
    const id = await place(a, 'market', 'buy', 0.01, undefined, { triggerPrice: 61_500, triggerDirection: 'ascending' });
    const wallet = f.wallet(a.accountId);
    await tradeAt(61_500, 0.02, 0.001, 'buy');
    await watchUntil(() => a.ex.watchOrders(BTC), () => cacheRows(a.ex.orders).some((o) => o.id === id && o.status === 'rejected'), 'the refused trigger');
    assert.deepEqual(f.wallet(a.accountId), wallet);
    assert.equal(f.view(a.accountId).positions.find((p) => p.symbol === 'btc_usdt')?.qty ?? 0, 0);
  });
});
