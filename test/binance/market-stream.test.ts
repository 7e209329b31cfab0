/**
 * Binance USDⓈ-M market streams against the engine: ccxt 4.5.84 `pro.binanceusdm` watchOrderBook
 * (its REST snapshot, then `btcusdt@depth@100ms` on /binance/public/ws, ccxt checking `U`/`u`/`pu`
 * itself) equals the engine's book through seeded random orders, cancels and crosses; watchTrades
 * gets the aggregate trades; a raw combined connection sees consecutive `pu` → `U` ids, wrapped
 * frames, and SUBSCRIBE / LIST_SUBSCRIPTIONS of market names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import WebSocket from 'ws';
import type { Side } from '../../src/engine/types.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { Rng } from '../property/generator.js';
import { StepClock } from '../support/history-scenario.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
type BinancePro = InstanceType<typeof ccxt.pro.binanceusdm>;

describe('Binance market streams: depth, aggTrade, combined connections', () => {
  let harness: Harness;
  let ex: BinancePro;
  let maker: number;
  let taker: number;
  const orderIds: number[] = [];

  const place = async (accountId: number, side: Side, qty: number, price: number | null): Promise<void> => {
    const { result } = await harness.server.exchange.execute({
      type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', qty, reduceOnly: false,
      ...(price === null ? { orderType: 'MARKET', timeInForce: 'IOC', price: 0 } : { orderType: 'LIMIT', timeInForce: 'GTC', price }),
    });
    assert.equal(result.ok, true, JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    if (result.ok && result.kind === 'order' && accountId === maker) orderIds.push(result.order.orderId);
  };

  /** A ccxt instance with no credentials, pointed at the server. */
  const client = (): BinancePro => {
    const H = harness.server.url;
    return new ccxt.pro.binanceusdm({ enableRateLimit: false, has: { fetchCurrencies: false }, urls: { api: {
      fapiPublic: `${H}/binance/fapi/v1`, fapiPrivate: `${H}/binance/fapi/v1`, ws: { future: `${harness.server.wsUrl}/binance/ws` } } } });
  };

  /** The engine's book as ccxt shows it: [price, base qty] best first. */
  const engineBook = (): { bids: number[][]; asks: number[][]; nonce: number } => {
    const depth = harness.server.exchange.engine.depth('btc_usdt', 1000)!;
    const level = ([price, qty]: [number, number]): number[] => [price / 10, Number((qty * 0.0001).toFixed(4))];
    return { bids: depth.bids.map(level), asks: depth.asks.map(level), nonce: depth.updateId };
  };

  /** Waits on ccxt's own book until it has reached the engine's update id, then compares. */
  const bookCaughtUp = async (where: string): Promise<void> => {
    const expected = engineBook();
    // ccxt's cached book when it is already there; else its next update, until it is.
    const cached = (): { nonce?: number; bids: [number, number][]; asks: [number, number][] } | undefined =>
      (ex.orderbooks as unknown as Record<string, { nonce?: number; bids: [number, number][]; asks: [number, number][] }>)[BTC];
    let book = cached() ?? await withTimeout(ex.watchOrderBook(BTC), T, `watchOrderBook ${where}`);
    while ((book.nonce ?? 0) < expected.nonce) book = await withTimeout(ex.watchOrderBook(BTC), T, `watchOrderBook ${where}`);
    assert.equal(book.nonce, expected.nonce, where);
    const plain = (levels: readonly (readonly (number | undefined)[])[]): (number | undefined)[][] => Array.from(levels, (l) => [l[0], l[1]]);
    assert.deepEqual({ bids: plain(book.bids), asks: plain(book.asks) }, { bids: expected.bids, asks: expected.asks }, where);
  };

  before(async () => {
    harness = await Harness.start();
    const a = await harness.admin.createAccount();
    const b = await harness.admin.createAccount();
    maker = a.accountId;
    taker = b.accountId;
    for (const id of [maker, taker]) await harness.admin.deposit(id, '1000000');
    await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
    ex = client();
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent'); // ccxt's requirement for ws:// URLs
  });
  after(async () => {
    await ex?.close();
    await harness?.stop();
  });

  test('watchOrderBook follows the engine\'s book through random orders, cancels and crosses (seeded)', async () => {
    await place(maker, 'BUY', 5, 599_000);
    await place(maker, 'SELL', 5, 601_000);
    await bookCaughtUp('start');
    const rng = new Rng(20261207);
    for (let i = 0; i < 40; i++) {
      const roll = rng.int(0, 9);
      if (roll < 5) {
        const side: Side = rng.int(0, 1) === 0 ? 'BUY' : 'SELL';
        const price = side === 'BUY' ? rng.int(597_000, 599_900) : rng.int(600_100, 603_000);
        await place(maker, side, rng.int(1, 20), price);
      } else if (roll < 8 && orderIds.length > 0) {
        const [orderId] = orderIds.splice(rng.int(0, orderIds.length - 1), 1);
        await harness.server.exchange.execute({ type: 'cancelOrder', accountId: maker, symbol: 'btc_usdt', orderId: orderId! });
      } else {
        await place(taker, rng.int(0, 1) === 0 ? 'BUY' : 'SELL', rng.int(1, 8), null);
      }
      if (i % 8 === 7) await bookCaughtUp(`after step ${i}`);
    }
    await bookCaughtUp('end');
  });

  /** Starts a ccxt watchTrades and trades (two makers, one taker, at `price`) until its first answer comes. */
  const tradesWhileTrading = async (client: BinancePro, price: number, params: Record<string, unknown>) => {
    // An empty book first, so the taker fills exactly the two resting orders at one price.
    await harness.server.exchange.execute({ type: 'cancelAll', accountId: maker, symbol: 'btc_usdt' });
    const pending = client.watchTrades(BTC, undefined, undefined, params);
    let trades: Awaited<typeof pending> | null = null;
    for (let round = 0; trades === null && round < 50; round++) {
      await place(maker, 'SELL', 3, price);
      await place(maker, 'SELL', 2, price);
      await place(taker, 'BUY', 5, price);
      trades = await Promise.race([pending, harness.admin.request('GET', '/status').then(() => null)]);
    }
    trades ??= await withTimeout(pending, T, 'watchTrades');
    return trades.filter((t) => t.price === price / 10);
  };

  test('watchTrades: each fill on `trade` (ccxt\'s default), one aggregate of a taker\'s fills at one price on `aggTrade`', async () => {
    const fills = await tradesWhileTrading(ex, 610_000, {});
    assert.deepEqual(fills.slice(0, 2).map((t) => [t.amount, t.side]), [[0.0003, 'buy'], [0.0002, 'buy']]);
    // Its own connection: ccxt keeps `trade` and `aggTrade` messages in one cache.
    const aggregating = client();
    await withTimeout(aggregating.loadMarkets(), T, 'loadMarkets');
    await withTimeout(aggregating.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    try {
      const aggregates = await tradesWhileTrading(aggregating, 620_000, { name: 'aggTrade' });
      assert.deepEqual([aggregates[0]!.amount, aggregates[0]!.side], [0.0005, 'buy']);
    } finally {
      await aggregating.close();
    }
  });

  test('watchTicker (`@ticker`): the 24-hour figures, the last price the engine\'s', async () => {
    let ticker = await withTimeout(ex.watchTicker(BTC), T, 'watchTicker');
    const last = (): number => harness.server.exchange.engine.market('btc_usdt')!.lastPrice! / 10;
    while (ticker.last !== last()) ticker = await withTimeout(ex.watchTicker(BTC), T, 'watchTicker');
    assert.equal(ticker.last, last());
    assert.ok((ticker.baseVolume ?? 0) > 0 && ticker.high! >= ticker.low!, JSON.stringify(ticker));
  });

  test('watchTickers (`!ticker@arr`): every symbol\'s 24-hour figures in one push', async () => {
    const tickers = await withTimeout(ex.watchTickers(), T, 'watchTickers');
    const last = harness.server.exchange.engine.market('btc_usdt')!.lastPrice! / 10;
    let all = tickers;
    while (all[BTC]?.last !== last) all = await withTimeout(ex.watchTickers(), T, 'watchTickers');
    assert.ok(Object.keys(all).includes('ETH/USDT:USDT'), JSON.stringify(Object.keys(all)));
  });

  test('a raw combined connection: wrapped frames, pu → U consecutive, SUBSCRIBE and LIST_SUBSCRIPTIONS', async () => {
    const ws = new WebSocket(`${harness.server.wsUrl}/binance/stream?streams=btcusdt@depth@100ms`);
    const frames: { stream: string; data: Record<string, unknown> }[] = [];
    const answers: Record<string, unknown>[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if ('stream' in message) frames.push(message as { stream: string; data: Record<string, unknown> });
      else answers.push(message);
      wake?.();
    });
    const until = async (ready: () => boolean, what: string): Promise<void> => {
      await withTimeout((async () => {
        while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
      })(), T, what);
    };
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@forceOrder'], id: 7 }));
    await until(() => answers.some((a) => a.id === 7), 'SUBSCRIBE answer');
    assert.deepEqual(answers.find((a) => a.id === 7), { result: null, id: 7 });
    ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 8 }));
    await until(() => answers.some((a) => a.id === 8), 'LIST_SUBSCRIPTIONS answer');
    assert.deepEqual(answers.find((a) => a.id === 8), { result: ['btcusdt@depth@100ms', 'btcusdt@aggTrade', 'btcusdt@forceOrder'], id: 8 });
    for (let i = 0; i < 6; i++) {
      await place(maker, 'BUY', 1, 590_000 + i);
      await place(taker, 'SELL', 1, null);
    }
    const target = engineBook().nonce;
    await until(() => frames.some((f) => f.stream === 'btcusdt@depth@100ms' && f.data.u === target), 'depth frames up to the engine id');
    const depth = frames.filter((f) => f.stream === 'btcusdt@depth@100ms').map((f) => f.data);
    for (let i = 1; i < depth.length; i++) {
      assert.equal(depth[i]!.pu, depth[i - 1]!.u, 'pu is the previous u');
      assert.equal(depth[i]!.U, (depth[i]!.pu as number) + 1, 'U follows pu');
    }
    assert.ok(depth.every((d) => d.e === 'depthUpdate' && d.s === 'BTCUSDT'));
    await until(() => frames.filter((f) => f.stream === 'btcusdt@aggTrade').length >= 6, 'aggTrade frames');
    assert.ok(frames.every((f) => f.stream !== 'btcusdt@forceOrder'), 'a stream not published is acknowledged, never delivered');
    ws.close();
  });
});

describe('Binance kline close and miniTicker (a clock the test moves)', () => {
  test('a kline pushed open is pushed again with x true once its minute has passed; @miniTicker carries the day\'s figures', async () => {
    const clock = new StepClock();
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
    clock.fixed = start + 5_000;
    const harness = await Harness.start({ clock });
    const ws = new WebSocket(`${harness.server.wsUrl}/binance/stream?streams=btcusdt@kline_1m/btcusdt@miniTicker`);
    try {
      const frames: { stream: string; data: Record<string, unknown> }[] = [];
      let wake: (() => void) | null = null;
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { stream?: string; data: Record<string, unknown> };
        if (message.stream !== undefined) frames.push(message as { stream: string; data: Record<string, unknown> });
        wake?.();
      });
      const until = async (ready: () => boolean, what: string): Promise<void> => {
        await withTimeout((async () => {
          while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
        })(), T, what);
      };
      await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const a = await harness.admin.createAccount();
      const b = await harness.admin.createAccount();
      for (const id of [a.accountId, b.accountId]) await harness.admin.deposit(id, '100000');
      await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
      for (const [accountId, side, positionSide, orderType, price] of [[a.accountId, 'SELL', 'SHORT', 'LIMIT', 600_100], [b.accountId, 'BUY', 'LONG', 'MARKET', 0]] as const) {
        const { result } = await harness.server.exchange.execute({
          type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide, qty: 3, reduceOnly: false, orderType, timeInForce: orderType === 'LIMIT' ? 'GTC' : 'IOC', price,
        });
        assert.equal(result.ok, true);
      }
      const klines = () => frames.filter((f) => f.stream === 'btcusdt@kline_1m').map((f) => f.data.k as Record<string, unknown>);
      await until(() => klines().length > 0, 'the open candle');
      assert.deepEqual([klines()[0]!.t, klines()[0]!.x, klines()[0]!.c, klines()[0]!.n], [start, false, '60010', 1]);
      clock.fixed = start + 60_000; // the minute is over
      await until(() => klines().some((k) => k.x === true), 'the closed candle');
      const closed = klines().find((k) => k.x === true)!;
      assert.deepEqual([closed.t, closed.T, closed.c, closed.v], [start, start + 59_999, '60010', '0.0003']);
      await until(() => frames.some((f) => f.stream === 'btcusdt@miniTicker' && f.data.c === '60010'), 'a miniTicker with the last price');
      const mini = frames.find((f) => f.stream === 'btcusdt@miniTicker' && f.data.c === '60010')!.data;
      assert.deepEqual([mini.e, mini.o, mini.h, mini.l, mini.v], ['24hrMiniTicker', '60010', '60010', '60010', '0.0003']);
    } finally {
      ws.close();
      await harness.stop();
    }
  });
});
