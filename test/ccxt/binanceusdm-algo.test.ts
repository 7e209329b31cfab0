/**
 * ccxt 4.5.84 `pro.binanceusdm` with conditional orders: createOrder with `triggerPrice`,
 * `stopLossPrice` / `takeProfitPrice` (close-all too) and `trailingPercent` goes to
 * POST /fapi/v1/algoOrder (ccxt binance.js createOrder: `isConditional` → fapiPrivatePostAlgoOrder);
 * fetchOpenOrders / fetchOrder / cancelOrder with `{trigger: true}` go to openAlgoOrders /
 * algoOrder. After the price crosses, the position is what the order meant and watchOrders
 * delivered the placed order (ORDER_TRADE_UPDATE) as well as the algo order's ALGO_UPDATEs.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BinanceCcxtFixture, BTC, base, T, type BinanceCcxtAccount } from './binanceusdm-fixture.js';
import { cacheRows, rejectionOf, watchUntil, withTimeout } from './helpers.js';

describe('ccxt binanceusdm: conditional orders through the algo endpoints', () => {
  let f: BinanceCcxtFixture;
  let maker: BinanceCcxtAccount;
  let taker: BinanceCcxtAccount;

  /** The last price becomes `price`: the maker rests `amount` there, the taker takes it. */
  const tradeAt = (price: number, makerSide: 'buy' | 'sell' = 'buy', amount = 0.001) => f.trade(maker, taker, makerSide, amount, price);

  /** `a` opens a long of `amount` at 60000. */
  const openLong = async (a: BinanceCcxtAccount, amount: number): Promise<void> => {
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'sell', amount, 60_000), T, 'maker sell');
    await withTimeout(a.ex.createOrder(BTC, 'market', 'buy', amount), T, 'open long');
  };

  /** ccxt's order cache (watchOrders), as rows. */
  const orders = (a: BinanceCcxtAccount) => cacheRows((a.ex as unknown as { orders: unknown }).orders);

  /**
   * Starts watchOrders and waits until its stream is open (ccxt's client `connected` future); the
   * first ALGO_UPDATE then arriving in the cache is the barrier the tests wait on.
   */
  const watching = async (a: BinanceCcxtAccount): Promise<void> => {
    a.ex.watchOrders(BTC).catch(() => undefined);
    await withTimeout((async () => {
      while (Object.keys(a.ex.clients).length === 0) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(Object.values(a.ex.clients).map((client) => (client as unknown as { connected: Promise<unknown> }).connected));
    })(), T, 'the user stream open');
  };

  before(async () => {
    f = await BinanceCcxtFixture.start();
    maker = await f.account('1000000');
    taker = await f.account('1000000');
    await tradeAt(60_000);
  });
  afterEach(async () => {
    await f.cancelEverything();
    for (const a of f.accounts) await f.server.exchange.execute({ type: 'cancelAllConditionals', accountId: a.accountId, symbol: 'btc_usdt' });
  });
  after(async () => { await f.stop(); });

  it('createOrder with triggerPrice: a STOP_MARKET algo order, listed by fetchOpenOrders({trigger}); the fall fills it, watchOrders delivers the placed order', async () => {
    const a = await f.account();
    await openLong(a, 0.002);
    await watching(a);
    const stop = await withTimeout(a.ex.createOrder(BTC, 'market', 'sell', 0.002, undefined, { triggerPrice: 59_500, reduceOnly: true }), T, 'createOrder triggerPrice');
    const waiting = f.view(a.accountId).conditionals;
    assert.deepEqual(waiting.map((c) => [String(c.conditionalId), c.kind, c.side, c.triggerPrice, c.triggerDirection, c.triggerSource, c.orderType, c.qty, c.reduceOnly]),
      [[stop.id, 'PLAN', 'SELL', 595_000, 'FALL', 'LAST', 'MARKET', 20, true]]);
    assert.deepEqual([stop.status, stop.type, stop.side, stop.amount, stop.triggerPrice, stop.clientOrderId, stop.reduceOnly],
      ['open', 'market', 'sell', 0.002, 59_500, waiting[0]!.clientOrderId, true]);
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.deepEqual(open.map((o) => [o.id, o.status, o.triggerPrice, o.amount]), [[stop.id, 'open', 59_500, 0.002]]);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders'), [], 'no matching-engine order before the trigger');
    // ccxt's cache saw ALGO_UPDATE NEW under the algo id.
    await watchUntil(() => a.ex.watchOrders(BTC), () => orders(a).some((o) => o.id === stop.id && o.info.X === 'NEW'), 'ALGO_UPDATE NEW');

    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 0.002, 59_400), T, 'bid under the stop');
    await tradeAt(59_500);
    await watchUntil(() => a.ex.watchOrders(BTC), () => orders(a).some((o) => o.id === stop.id && o.info.x === 'TRADE' && o.status === 'closed'), 'the placed order filled');
    const placed = orders(a).find((o) => o.id === stop.id && o.info.x === 'TRADE')!;
    assert.deepEqual([placed.info.o, placed.info.ot, placed.info.sp, placed.side], ['MARKET', 'STOP_MARKET', '59500', 'sell']);
    assert.equal(f.position(a.accountId).qty, 0, 'the stop closed the long');
    const fetched = await withTimeout(a.ex.fetchOrder(stop.id!, BTC, { trigger: true }), T, 'fetchOrder trigger');
    assert.deepEqual([fetched.status, (fetched.info as Record<string, unknown>).algoStatus, (fetched.info as Record<string, unknown>).actualOrderId], ['closed', 'FINISHED', stop.id]);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders after'), []);
    await tradeAt(60_000);
  });

  it('stopLossPrice and takeProfitPrice, close-all: both wait; the rise fires the take-profit, closes the long, and the stop-loss expires', async () => {
    const a = await f.account();
    await openLong(a, 0.003);
    await watching(a);
    const sl = await withTimeout(a.ex.createOrder(BTC, 'market', 'sell', 0.003, undefined, { stopLossPrice: 59_000, closePosition: true }), T, 'stop-loss');
    const tp = await withTimeout(a.ex.createOrder(BTC, 'market', 'sell', 0.003, undefined, { takeProfitPrice: 60_500, closePosition: true }), T, 'take-profit');
    const info = (o: { info: unknown }) => o.info as Record<string, unknown>;
    assert.deepEqual([info(sl).orderType, info(sl).closePosition, info(sl).quantity, info(tp).orderType, info(tp).closePosition], ['STOP_MARKET', true, '0.0000', 'TAKE_PROFIT_MARKET', true]);
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => [c.triggerPrice, c.triggerDirection, c.closePosition, c.qty]), [[590_000, 'FALL', true, 0], [605_000, 'RISE', true, 0]]);
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.deepEqual(open.map((o) => o.id).sort(), [sl.id, tp.id].sort());

    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 0.003, 60_400), T, 'bid for the take-profit');
    await tradeAt(60_500, 'sell');
    await watchUntil(() => a.ex.watchOrders(BTC), () => orders(a).some((o) => o.id === tp.id && o.info.x === 'TRADE' && o.status === 'closed'), 'the take-profit filled');
    await watchUntil(() => a.ex.watchOrders(BTC), () => orders(a).some((o) => o.id === sl.id && o.status === 'expired'), 'the stop-loss expired');
    assert.equal(f.position(a.accountId).qty, 0);
    const slAfter = await withTimeout(a.ex.fetchOrder(sl.id!, BTC, { trigger: true }), T, 'fetchOrder stop-loss');
    assert.equal(slAfter.status, 'expired');
    await tradeAt(60_000);
  });

  it('trailingPercent: a TRAILING_STOP_MARKET that follows the high and sells 1 % under it; trailingTriggerPrice is refused (ccxt sends activationPrice, which the algo endpoint does not read)', async () => {
    const a = await f.account();
    await openLong(a, 0.001);
    await watching(a);
    const refused = await rejectionOf(a.ex.createOrder(BTC, 'market', 'sell', 0.001, undefined, { trailingPercent: 1, trailingTriggerPrice: 61_000 }), 'trailingTriggerPrice');
    assert.match(refused.message, /-1104.*activatePrice/);
    assert.deepEqual(f.view(a.accountId).conditionals, []);
    const trail = await withTimeout(a.ex.createOrder(BTC, 'market', 'sell', 0.001, undefined, { trailingPercent: 1, reduceOnly: true }), T, 'trailing');
    const [c] = f.view(a.accountId).conditionals;
    assert.deepEqual([String(c!.conditionalId), c!.kind, c!.callbackRate, c!.activated], [trail.id, 'TRAILING', 1_000_000n, true]);
    await tradeAt(61_000, 'sell');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 0.001, 60_300), T, 'bid for the trailing stop');
    await tradeAt(60_390);
    await watchUntil(() => a.ex.watchOrders(BTC), () => orders(a).some((o) => o.id === trail.id && o.info.x === 'TRADE'), 'the trailing stop filled');
    const placed = orders(a).find((o) => o.id === trail.id && o.info.x === 'TRADE')!;
    assert.deepEqual([placed.info.ot, placed.info.cr], ['TRAILING_STOP_MARKET', '1.0']);
    assert.equal(f.position(a.accountId).qty, 0);
    assert.equal(base(Math.abs(f.position(a.accountId).qty)), 0);
    await tradeAt(60_000);
  });

  it('cancelOrder({trigger}) cancels a waiting algo order; one whose condition already holds is OrderImmediatelyFillable (-2021)', async () => {
    const a = await f.account();
    const stop = await withTimeout(a.ex.createOrder(BTC, 'market', 'buy', 0.001, undefined, { triggerPrice: 61_000 }), T, 'stop buy');
    const canceled = await withTimeout(a.ex.cancelOrder(stop.id!, BTC, { trigger: true }), T, 'cancelOrder trigger');
    assert.deepEqual([canceled.id, (canceled.info as Record<string, unknown>).msg], [stop.id, 'success']);
    assert.equal((await withTimeout(a.ex.fetchOrder(stop.id!, BTC, { trigger: true }), T, 'fetchOrder')).status, 'canceled');
    const immediate = await rejectionOf(a.ex.createOrder(BTC, 'market', 'sell', 0.001, undefined, { triggerPrice: 60_100 }), 'immediate trigger');
    assert.equal(immediate.constructor.name, 'OrderImmediatelyFillable');
    assert.deepEqual(f.view(a.accountId).conditionals, []);
  });
});
