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
import { rejectionOf, withTimeout } from './helpers.js';
import { EventLog } from '../clients/support.js';
import { ALGO_ID_BASE } from '../../src/dialects/binance/algo.js';

/** The id of the order an algo order places: the engine's id, which the algo id is ALGO_ID_BASE above. */
const placedId = (algoId: string | undefined): string => String(Number(algoId) - ALGO_ID_BASE);

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

  /**
   * Every order update watchOrders delivered, in order, as copies: the algo order and the order it
   * placed share one id, so ccxt's cache keeps only the latest of them; this log keeps each one.
   * Each watchOrders call resolves on the next message, before the stream's next message is read.
   */
  type Delivered = { id: string; status: string; info: Record<string, unknown> };
  const delivered = new Map<number, EventLog<Delivered>>();
  const log = (a: BinanceCcxtAccount): Delivered[] => delivered.get(a.accountId)?.items ?? [];

  /** Starts recording watchOrders and waits until its stream is open (ccxt's client `connected` future). */
  const watching = async (a: BinanceCcxtAccount): Promise<void> => {
    const updates = new EventLog<Delivered>();
    delivered.set(a.accountId, updates);
    void (async () => {
      for (;;) {
        const list = await a.ex.watchOrders(BTC).catch(() => null);
        if (list === null) return;
        for (const o of list) updates.push({ id: o.id!, status: o.status!, info: structuredClone(o.info as Record<string, unknown>) });
      }
    })();
    // ccxt keys its WebSocket clients by URL (beside bookkeeping entries such as authenticationFlights).
    const stream = () => Object.entries(a.ex.clients).find(([url]) => url.includes('listenKey='))?.[1] as { connected: Promise<unknown> } | undefined;
    await withTimeout((async () => {
      while (stream() === undefined) await new Promise((resolve) => setImmediate(resolve));
      await stream()!.connected;
    })(), T, 'the user stream open');
  };

  /** Waits until watchOrders delivered an update matching `match`. */
  const deliveredUpdate = (a: BinanceCcxtAccount, match: (o: Delivered) => boolean, what: string): Promise<Delivered> => delivered.get(a.accountId)!.find(match, what, T);

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
    assert.deepEqual(waiting.map((c) => [String(c.conditionalId + ALGO_ID_BASE), c.kind, c.side, c.triggerPrice, c.triggerDirection, c.triggerSource, c.orderType, c.qty, c.reduceOnly]),
      [[stop.id, 'PLAN', 'SELL', 595_000, 'FALL', 'LAST', 'MARKET', 20, true]]);
    assert.deepEqual([stop.status, stop.type, stop.side, stop.amount, stop.triggerPrice, stop.clientOrderId, stop.reduceOnly],
      ['open', 'market', 'sell', 0.002, 59_500, waiting[0]!.clientOrderId, true]);
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.deepEqual(open.map((o) => [o.id, o.status, o.triggerPrice, o.amount]), [[stop.id, 'open', 59_500, 0.002]]);
    assert.deepEqual(await withTimeout(a.ex.fetchOpenOrders(BTC), T, 'fetchOpenOrders'), [], 'no matching-engine order before the trigger');
    // watchOrders delivered ALGO_UPDATE NEW under the algo id.
    await deliveredUpdate(a, (o) => o.id === stop.id && o.info.X === 'NEW' && o.status === 'open', 'ALGO_UPDATE NEW');

    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 0.002, 59_400), T, 'bid under the stop');
    await tradeAt(59_500);
    const placed = await deliveredUpdate(a, (o) => o.id === placedId(stop.id) && o.info.x === 'TRADE' && o.status === 'closed', 'the placed order filled');
    assert.deepEqual([placed.info.o, placed.info.ot, placed.info.sp, placed.info.S], ['MARKET', 'STOP_MARKET', '59500', 'SELL']);
    await deliveredUpdate(a, (o) => o.id === stop.id && o.info.X === 'FINISHED', 'ALGO_UPDATE FINISHED');
    const finished = log(a).find((o) => o.id === stop.id && o.info.X === 'FINISHED')!;
    assert.deepEqual([finished.status, finished.info.ai, finished.info.aq], ['closed', placedId(stop.id), '0.0020']);
    assert.equal(f.position(a.accountId).qty, 0, 'the stop closed the long');
    const fetched = await withTimeout(a.ex.fetchOrder(stop.id!, BTC, { trigger: true }), T, 'fetchOrder trigger');
    assert.deepEqual([fetched.status, (fetched.info as Record<string, unknown>).algoStatus, (fetched.info as Record<string, unknown>).actualOrderId], ['closed', 'FINISHED', placedId(stop.id)]);
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
    assert.deepEqual([info(sl).orderType, info(sl).closePosition, info(sl).quantity, info(tp).orderType, info(tp).closePosition], ['STOP_MARKET', true, '0', 'TAKE_PROFIT_MARKET', true]);
    // Close-all orders are the position's whole-position stop-loss and take-profit legs.
    assert.deepEqual(f.view(a.accountId).conditionals.map((c) => [c.kind, c.tpslMode, c.triggerPrice, c.triggerDirection, c.qty]),
      [['STOP_LOSS', 'FULL', 590_000, 'FALL', 0], ['TAKE_PROFIT', 'FULL', 605_000, 'RISE', 0]]);
    const open = await withTimeout(a.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true }), T, 'fetchOpenOrders trigger');
    assert.deepEqual(open.map((o) => o.id).sort(), [sl.id, tp.id].sort());

    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 0.003, 60_400), T, 'bid for the take-profit');
    await tradeAt(60_500, 'sell');
    const filled = await deliveredUpdate(a, (o) => o.id === placedId(tp.id) && o.info.x === 'TRADE' && o.status === 'closed', 'the take-profit filled');
    assert.deepEqual([filled.info.ot, filled.info.cp, filled.info.R], ['TAKE_PROFIT_MARKET', true, true]);
    await deliveredUpdate(a, (o) => o.id === sl.id && o.status === 'expired', 'the stop-loss expired');
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
    assert.deepEqual([String(c!.conditionalId + ALGO_ID_BASE), c!.kind, c!.callbackRate, c!.activationPrice], [trail.id, 'TRAILING', 1_000_000n, 600_000]);
    await tradeAt(61_000, 'sell');
    await withTimeout(maker.ex.createOrder(BTC, 'limit', 'buy', 0.001, 60_300), T, 'bid for the trailing stop');
    await tradeAt(60_390);
    const placed = await deliveredUpdate(a, (o) => o.id === placedId(trail.id) && o.info.x === 'TRADE', 'the trailing stop filled');
    assert.deepEqual([placed.info.ot, placed.info.cr], ['TRAILING_STOP_MARKET', '1.0']);
    assert.equal(f.position(a.accountId).qty, 0);
    assert.equal(base(Math.abs(f.position(a.accountId).qty)), 0);
    await tradeAt(60_000);
  });

  it('cancelOrder({trigger}) cancels a waiting algo order; one whose condition already holds is refused with -2021', async () => {
    const a = await f.account();
    await tradeAt(60_000);
    const stop = await withTimeout(a.ex.createOrder(BTC, 'market', 'buy', 0.001, undefined, { triggerPrice: 61_000 }), T, 'stop buy');
    const canceled = await withTimeout(a.ex.cancelOrder(stop.id!, BTC, { trigger: true }), T, 'cancelOrder trigger');
    assert.deepEqual([canceled.id, (canceled.info as Record<string, unknown>).msg], [stop.id, 'success']);
    assert.equal((await withTimeout(a.ex.fetchOrder(stop.id!, BTC, { trigger: true }), T, 'fetchOrder')).status, 'canceled');
    const immediate = await rejectionOf(a.ex.createOrder(BTC, 'market', 'sell', 0.001, undefined, { triggerPrice: 60_100 }), 'immediate trigger');
    assert.match(immediate.message, /\{"code":-2021,"msg":"Order would immediately trigger\."\}/);
    assert.deepEqual(f.view(a.accountId).conditionals, []);
  });
});
