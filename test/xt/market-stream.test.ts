/**
 * XT's public stream at /ws/market against the engine: ccxt 4.5.84 `pro.xt` watchOrderBook (with
 * its defaults: it buffers 25 `depth_update` events, loads the REST depth, then applies the
 * updates from its `u`) equals the engine's book through seeded random orders, cancels and
 * crosses; watchTrades gets each fill; a raw connection sees XT's subscribe answer and ping/pong,
 * `fu` = `pu` + 1 and `pu` = the previous `u`, continuous with REST depth `u`, the limited depth,
 * kline, ticker, mark price and funding rate pushes, and stays open past the subscribe deadline
 * (bound as public) while a connection that never subscribes is closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import WebSocket from 'ws';
import { formatRate } from '../../src/engine/fixed.js';
import type { Side } from '../../src/engine/types.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { Rng } from '../property/generator.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
type XtPro = InstanceType<typeof ccxt.pro.xt>;
type Json = Record<string, unknown>;

/** A raw /ws/market connection: every JSON frame and text frame it got, and a wait on them. */
class Raw {
  readonly frames: Json[] = [];
  readonly texts: string[] = [];
  private wake: (() => void) | null = null;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{')) this.frames.push(JSON.parse(text) as Json);
      else this.texts.push(text);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => {
      resolve(code);
      this.wake?.();
    }));
  }

  static async open(url: string): Promise<Raw> {
    const ws = new WebSocket(url);
    const raw = new Raw(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return raw;
  }

  async until(ready: () => boolean, what: string): Promise<void> {
    await withTimeout((async () => {
      while (!ready()) await new Promise<void>((resolve) => (this.wake = resolve));
    })(), T, what);
  }

  pushes(event: string): Json[] {
    return this.frames.filter((f) => f.event === event).map((f) => f.data as Json);
  }

  async request(body: Json): Promise<Json> {
    this.ws.send(JSON.stringify(body));
    await this.until(() => this.frames.some((f) => f.id === body.id && 'code' in f), `answer to ${String(body.id)}`);
    return this.frames.find((f) => f.id === body.id && 'code' in f)!;
  }
}

describe('XT market stream /ws/market: depth_update, depth, trade, kline, ticker, mark price, funding rate', () => {
  let harness: Harness;
  let ex: XtPro;
  let maker: number;
  let taker: number;
  /** Subscribed to depth_update@btc_usdt (100 ms): its frames are the barrier for "a window was pushed". */
  let monitor: Raw;
  const orderIds: number[] = [];

  const place = async (accountId: number, side: Side, qty: number, price: number | null): Promise<void> => {
    const { result } = await harness.server.exchange.execute({
      type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', qty, reduceOnly: false,
      ...(price === null ? { orderType: 'MARKET', timeInForce: 'IOC', price: 0 } : { orderType: 'LIMIT', timeInForce: 'GTC', price }),
    });
    assert.equal(result.ok, true, JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    if (result.ok && result.kind === 'order' && accountId === maker) orderIds.push(result.order.orderId);
  };

  const client = (): XtPro => {
    const H = harness.server.url;
    return new ccxt.pro.xt({ enableRateLimit: false, has: { fetchCurrencies: false }, options: { defaultType: 'swap' },
      urls: { api: { spot: H, linear: H, inverse: H, user: H, ws: { contract: `${harness.server.wsUrl}/ws` } } } });
  };

  /** The engine's book as ccxt shows it: [price, contracts] best first. */
  const engineBook = (): { bids: number[][]; asks: number[][]; nonce: number } => {
    const depth = harness.server.exchange.engine.depth('btc_usdt', 1000)!;
    const level = ([price, qty]: [number, number]): number[] => [price / 10, qty];
    return { bids: depth.bids.map(level), asks: depth.asks.map(level), nonce: depth.updateId };
  };

  /** Waits until the monitor got the depth_update window holding the engine's current book id. */
  const windowPushed = async (): Promise<void> => {
    const target = engineBook().nonce;
    await monitor.until(() => monitor.pushes('depth_update@btc_usdt').some((d) => d.u === target), `depth_update up to ${target}`);
  };

  type CachedBook = { nonce?: number; bids: [number, number][]; asks: [number, number][] };
  /** Waits on ccxt's own book until it has reached the engine's update id, then compares. */
  const bookCaughtUp = async (where: string): Promise<void> => {
    const expected = engineBook();
    const cached = (): CachedBook | undefined => (ex.orderbooks as unknown as Record<string, CachedBook>)[BTC];
    let book = cached()?.nonce !== undefined ? cached()! : await withTimeout(ex.watchOrderBook(BTC), T, `watchOrderBook ${where}`) as unknown as CachedBook;
    while ((book.nonce ?? 0) < expected.nonce) book = await withTimeout(ex.watchOrderBook(BTC), T, `watchOrderBook ${where}`) as unknown as CachedBook;
    assert.equal(book.nonce, expected.nonce, where);
    const plain = (levels: readonly (readonly (number | undefined)[])[]): (number | undefined)[][] => Array.from(levels, (l) => [l[0], l[1]]);
    assert.deepEqual({ bids: plain(book.bids), asks: plain(book.asks) }, { bids: expected.bids, asks: expected.asks }, where);
  };

  before(async () => {
    harness = await Harness.start({ limits: { authDeadlineMs: 1500 } });
    const a = await harness.admin.createAccount();
    const b = await harness.admin.createAccount();
    maker = a.accountId;
    taker = b.accountId;
    for (const id of [maker, taker]) await harness.admin.deposit(id, '1000000');
    await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
    monitor = await Raw.open(`${harness.server.wsUrl}/ws/market`);
    assert.deepEqual(await monitor.request({ method: 'SUBSCRIBE', params: ['depth_update@btc_usdt,100ms'], id: 'monitor' }), { id: 'monitor', code: 0, msg: 'success' });
    ex = client();
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent'); // ccxt's requirement for ws:// URLs
  });
  after(async () => {
    monitor?.ws.close();
    await ex?.close();
    await harness?.stop();
  });

  test('watchOrderBook follows the engine\'s book through random orders, cancels and crosses (seeded)', async () => {
    await place(maker, 'BUY', 5, 599_000);
    await place(maker, 'SELL', 5, 601_000);
    // ccxt buffers 25 updates before it loads the REST depth: one book change per pushed window until it has.
    const first = ex.watchOrderBook(BTC);
    let loaded: unknown = null;
    for (let round = 0; loaded === null && round < 60; round++) {
      await place(maker, 'BUY', 1, 590_000 + round);
      await windowPushed();
      loaded = await Promise.race([first, harness.admin.request('GET', '/status').then(() => null)]);
    }
    loaded ??= await withTimeout(first, T, 'the first watchOrderBook');
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

  test('watchTrades: each fill, the taker\'s side, amounts in base', async () => {
    await harness.server.exchange.execute({ type: 'cancelAll', accountId: maker, symbol: 'btc_usdt' });
    const pending = ex.watchTrades(BTC);
    let trades: Awaited<typeof pending> | null = null;
    for (let round = 0; trades === null && round < 50; round++) {
      await place(maker, 'SELL', 3, 610_000);
      await place(maker, 'SELL', 2, 610_000);
      await place(taker, 'BUY', 5, 610_000);
      trades = await Promise.race([pending, harness.admin.request('GET', '/status').then(() => null)]);
    }
    trades ??= await withTimeout(pending, T, 'watchTrades');
    const fills = trades.filter((t) => t.price === 61_000);
    assert.deepEqual(fills.slice(0, 2).map((t) => [t.amount, t.side, t.symbol]), [[0.0003, 'buy', BTC], [0.0002, 'buy', BTC]]);
  });

  test('watchTicker (ticker and agg_ticker), watchFundingRate and watchOHLCV', async () => {
    const ticker = await withTimeout(ex.watchTicker(BTC), T, 'watchTicker');
    assert.equal(ticker.symbol, BTC);
    assert.equal(ticker.last, 61_000);
    // As an option: ccxt sends a `method` param on as the request's method (SUBSCRIBE is then lost).
    ex.options.watchTicker = { method: 'agg_ticker' };
    const agg = await withTimeout(ex.watchTicker(BTC), T, 'watchTicker agg_ticker');
    assert.deepEqual([agg.symbol, (agg.info as Json).m], [BTC, '60000']);
    const prices = harness.server.exchange.engine.prices('btc_usdt', Date.now())!;
    const funding = await withTimeout(ex.watchFundingRate(BTC), T, 'watchFundingRate');
    assert.deepEqual([funding.symbol, funding.fundingRate], [BTC, Number(formatRate(prices.predictedFundingRate))]);
    const pending = ex.watchOHLCV(BTC, '1m');
    let candles: Awaited<typeof pending> | null = null;
    for (let round = 0; candles === null && round < 50; round++) {
      await place(maker, 'SELL', 1, 610_100);
      await place(taker, 'BUY', 1, null);
      candles = await Promise.race([pending, harness.admin.request('GET', '/status').then(() => null)]);
    }
    candles ??= await withTimeout(pending, T, 'watchOHLCV');
    const last = candles.at(-1)!;
    const engineCandle = harness.server.exchange.state.market.lastCandle('btc_usdt', '1m')!;
    assert.deepEqual(last.slice(0, 5), [engineCandle.openTime, engineCandle.open / 10, engineCandle.high / 10, engineCandle.low / 10, 61_010]);
  });

  test('a raw connection: XT\'s answers and ping, pu/fu/u continuous with REST depth u, and every topic', async () => {
    const raw = await Raw.open(`${harness.server.wsUrl}/ws/market`);
    raw.ws.send('ping');
    await raw.until(() => raw.texts.includes('pong'), 'pong');
    assert.deepEqual(await raw.request({ method: 'SUBSCRIBE', params: ['depth_update@nope_usdt'], id: 1 }),
      { id: 1, code: 1, msg: 'Invalid Parameter: invalid_symbol: nope_usdt in "depth_update@nope_usdt" is not listed' });
    assert.equal((await raw.request({ method: 'SUBSCRIBE', params: ['depth@btc_usdt,7'], id: 2 })).code, 1);
    assert.equal((await raw.request({ method: 'SUBSCRIBE', params: ['kline@btc_usdt,7m'], id: 3 })).code, 1);
    assert.equal((await raw.request({ method: 'PING', id: 4 })).code, 1);
    const snapshot = await (await fetch(`${harness.server.url}/future/market/v1/public/q/depth?symbol=btc_usdt&level=50`)).json() as { result: { u: number } };
    const lastUpdateId = snapshot.result.u;
    assert.deepEqual(await raw.request({ method: 'subscribe', id: 'all', params: [
      'depth_update@btc_usdt', 'depth@btc_usdt,5,100ms', 'trade@btc_usdt', 'kline@btc_usdt,1m', 'ticker@btc_usdt', 'agg_ticker@btc_usdt',
      'mark_price@btc_usdt', 'index_price@btc_usdt', 'fund_rate@btc_usdt',
    ] }), { id: 'all', code: 0, msg: 'success' });
    for (let i = 0; i < 6; i++) {
      await place(maker, 'BUY', 1, 590_000 + i);
      await place(taker, 'SELL', 1, null);
      if (i % 2 === 1) await windowPushed();
    }
    const target = engineBook().nonce;
    await raw.until(() => raw.pushes('depth_update@btc_usdt').some((d) => d.u === target), 'depth_update up to the engine id');
    const depth = raw.pushes('depth_update@btc_usdt');
    // XT's procedure: drop u <= lastUpdateId; the first kept has fu <= lastUpdateId + 1 <= u; then fu = previous u + 1.
    const kept = depth.filter((d) => (d.u as number) > lastUpdateId);
    assert.ok((kept[0]!.fu as number) <= lastUpdateId + 1 && (kept[0]!.u as number) >= lastUpdateId + 1, 'the first event after the snapshot covers it');
    for (let i = 1; i < depth.length; i++) {
      assert.equal(depth[i]!.pu, depth[i - 1]!.u, 'pu is the previous u');
      assert.equal(depth[i]!.fu, (depth[i]!.pu as number) + 1, 'fu follows pu');
    }
    assert.ok(depth.every((d) => d.s === 'btc_usdt' && Array.isArray(d.a) && Array.isArray(d.b) && typeof d.t === 'number'));
    await raw.until(() => raw.pushes('depth@btc_usdt,5').some((d) => d.u === target), 'limited depth');
    const top = harness.server.exchange.engine.depth('btc_usdt', 5)!;
    const limited = raw.pushes('depth@btc_usdt,5').find((d) => d.u === target)!;
    assert.deepEqual([limited.id, limited.b, limited.a], [String(target), top.bids.map(([p, q]) => [String(p / 10), String(q)]), top.asks.map(([p, q]) => [String(p / 10), String(q)])]);
    await raw.until(() => raw.pushes('trade@btc_usdt').length >= 6, 'trades');
    assert.deepEqual(raw.frames.find((f) => f.event === 'trade@btc_usdt'),
      { topic: 'trade', event: 'trade@btc_usdt', data: { s: 'btc_usdt', p: '59000', a: '1', m: 'ASK', t: (raw.pushes('trade@btc_usdt')[0]!.t as number) } });
    await raw.until(() => raw.pushes('kline@btc_usdt,1m').length >= 6, 'klines');
    const candle = raw.pushes('kline@btc_usdt,1m').at(-1)!;
    assert.deepEqual([candle.s, candle.i, candle.c], ['btc_usdt', '1m', '59000.5']);
    for (const event of ['ticker@btc_usdt', 'agg_ticker@btc_usdt', 'mark_price@btc_usdt', 'index_price@btc_usdt', 'fund_rate@btc_usdt']) {
      await raw.until(() => raw.pushes(event).length > 0, event);
    }
    assert.equal(raw.pushes('mark_price@btc_usdt')[0]!.p, '60000');
    assert.equal(raw.pushes('agg_ticker@btc_usdt')[0]!.m, '60000');
    assert.equal(typeof raw.pushes('fund_rate@btc_usdt')[0]!.r, 'string');
    assert.deepEqual(await raw.request({ method: 'UNSUBSCRIBE', params: ['trade@btc_usdt'], id: 'u' }), { id: 'u', code: 0, msg: 'success' });
    raw.ws.close();
  });

  test('a connection with public topics only stays past the subscribe deadline; one without any is closed (4010)', async () => {
    const idle = await Raw.open(`${harness.server.wsUrl}/ws/market`);
    const subscribed = await Raw.open(`${harness.server.wsUrl}/ws/market`);
    assert.equal((await subscribed.request({ method: 'SUBSCRIBE', params: ['mark_price@btc_usdt'], id: 1 })).code, 0);
    assert.equal(await withTimeout(idle.closed, T, 'the idle connection to close'), 4010);
    subscribed.ws.send('ping');
    await subscribed.until(() => subscribed.texts.includes('pong'), 'pong after the deadline');
    assert.equal(subscribed.ws.readyState, WebSocket.OPEN);
    subscribed.ws.close();
  });
});
