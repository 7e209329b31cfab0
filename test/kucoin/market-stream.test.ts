/**
 * KuCoin futures public market topics against the engine: ccxt 4.5.84 `pro.kucoinfutures`
 * watchOrderBook (bullet-public, `/contractMarket/level2`, its REST snapshot after five buffered
 * changes, then the changes whose sequence follows it) equals the engine's book through seeded random
 * orders, cancels and crosses; watchTrades gets `/contractMarket/execution`, watchTicker /
 * watchBidsAsks / watchOHLCV the ticker, tickerV2 and limitCandle topics, watchOrderBook(5) the
 * top five levels on level2Depth5; a raw socket goes
 * bullet-public → welcome → subscribe ack, sees every level2 sequence once and in order, rebuilds
 * the engine's book from a REST snapshot taken mid-stream plus the changes after its sequence, and
 * gets the depth, ticker, candle and instrument topics; kucoin-universal-sdk's futures public
 * WebSocket (KuCoin's official SDK) gets the level2 changes, trades and best bid/ask; a public
 * connection that subscribed outlives the subscribe deadline, one that did not is closed (4010).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { ClientOptionBuilder, DefaultClient, TransportOptionBuilder, WebSocketClientOptionBuilder, type Futures } from 'kucoin-universal-sdk';
import WebSocket from 'ws';
import type { Side } from '../../src/engine/types.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { KucoinRest } from './client.js';
import { Rng } from '../property/generator.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
type KucoinPro = InstanceType<typeof ccxt.pro.kucoinfutures>;
type Frame = Record<string, unknown> & { type: string; topic?: string; subject?: string; data?: Record<string, unknown> };

describe('KuCoin futures market topics: level2, execution, depth, tickers, candles, instrument', () => {
  let harness: Harness;
  let ex: KucoinPro;
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
  /** A round trip through the server: everything it pushed before answering is on the wire. */
  const barrier = (): Promise<null> => harness.admin.request('GET', '/status').then(() => null);

  /** A ccxt instance with no credentials, pointed at the server (the stream's address comes from bullet-public). */
  const client = (): KucoinPro => {
    const H = harness.server.url;
    return new ccxt.pro.kucoinfutures({ enableRateLimit: false, has: { fetchCurrencies: false }, options: { uta: false, hf: false },
      urls: { api: { public: `${H}/kucoin-spot`, private: `${H}/kucoin-spot`, utaPrivate: `${H}/kucoin-spot`, uta: `${H}/kucoin-spot`,
        utaV2: `${H}/kucoin-spot`, futuresPublic: `${H}/kucoin-futures`, futuresPrivate: `${H}/kucoin-futures` } } });
  };

  /** The engine's book as ccxt shows a KuCoin contract's: [price, lots] best first, and the level2 sequence. */
  const engineBook = (): { bids: number[][]; asks: number[][]; nonce: number } => {
    const depth = harness.server.exchange.engine.depth('btc_usdt', 1000)!;
    const level = ([price, qty]: [number, number]): number[] => [price / 10, qty];
    return { bids: depth.bids.map(level), asks: depth.asks.map(level), nonce: harness.server.exchange.state.market.bookSequence('btc_usdt') };
  };

  type Book = { nonce?: number; bids: [number, number][]; asks: [number, number][] };
  /** Waits on ccxt's own book until it has reached the engine's sequence, then compares. */
  const bookCaughtUp = async (where: string): Promise<void> => {
    const expected = engineBook();
    const cached = (): Book | undefined => (ex.orderbooks as unknown as Record<string, Book>)[BTC];
    let book = cached();
    while ((book?.nonce ?? 0) < expected.nonce) book = await withTimeout(ex.watchOrderBook(BTC), T, `watchOrderBook ${where}`) as unknown as Book;
    assert.equal(book!.nonce, expected.nonce, where);
    const plain = (levels: readonly (readonly (number | undefined)[])[]): (number | undefined)[][] => Array.from(levels, (l) => [l[0], l[1]]);
    assert.deepEqual({ bids: plain(book!.bids), asks: plain(book!.asks) }, { bids: expected.bids, asks: expected.asks }, where);
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
    // ccxt buffers five changes before it asks for the REST snapshot: make changes until its book comes.
    const first = ex.watchOrderBook(BTC);
    let ready = null;
    for (let i = 0; ready === null && i < 50; i++) {
      await place(maker, 'BUY', 1, 598_000 + i);
      ready = await Promise.race([first, barrier()]);
    }
    await withTimeout(first, T, 'the first watchOrderBook');
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

  test('watchTrades: each fill on /contractMarket/execution, taker side, lots', async () => {
    await harness.server.exchange.execute({ type: 'cancelAll', accountId: maker, symbol: 'btc_usdt' });
    const pending = ex.watchTrades(BTC);
    let trades: Awaited<typeof pending> | null = null;
    for (let round = 0; trades === null && round < 50; round++) {
      await place(maker, 'SELL', 3, 610_000);
      await place(maker, 'SELL', 2, 610_000);
      await place(taker, 'BUY', 5, 610_000);
      trades = await Promise.race([pending, barrier()]);
    }
    trades ??= await withTimeout(pending, T, 'watchTrades');
    const fills = trades.filter((t) => t.price === 61000);
    assert.deepEqual(fills.slice(0, 2).map((t) => [t.amount, t.side, t.symbol]), [[3, 'buy', BTC], [2, 'buy', BTC]]);
    const last = harness.server.exchange.state.market.trades('btc_usdt').at(-1)!;
    assert.ok(trades.some((t) => t.id === String(last.tradeId) || t.timestamp === last.time), 'the engine\'s trades');
  });

  test('watchTicker, watchBidsAsks, watchOHLCV: /contractMarket/ticker, tickerV2, limitCandle', async () => {
    await place(maker, 'BUY', 3, 590_000); // a bid to show
    const ticker = ex.watchTicker(BTC);
    const bidsAsks = ex.watchBidsAsks([BTC]);
    const candles = ex.watchOHLCV(BTC, '1m');
    const all = Promise.all([ticker, bidsAsks, candles]);
    let done: Awaited<typeof all> | null = null;
    for (let round = 0; done === null && round < 50; round++) {
      await place(maker, 'SELL', 2, 615_000 + round);
      await place(taker, 'BUY', 1, null);
      done = await Promise.race([all, barrier()]);
    }
    done ??= await withTimeout(all, T, 'watchTicker, watchBidsAsks, watchOHLCV');
    assert.equal(done.length, 3);
    // The newest of each once ccxt has caught up with the last command: its cache when it already has, else its next update.
    const latest = async <V>(cached: () => V | undefined, next: () => Promise<V>, ready: (v: V) => boolean, what: string): Promise<V> => {
      let value = cached();
      while (value === undefined || !ready(value)) value = await withTimeout(next(), T, what);
      return value;
    };
    const trade = harness.server.exchange.state.market.trades('btc_usdt').at(-1)!;
    const candle = harness.server.exchange.state.market.lastCandle('btc_usdt', '1m')!;
    const top = harness.server.exchange.engine.depth('btc_usdt', 1)!;
    const [bid, ask] = [top.bids[0]!, top.asks[0]!];
    const t = await latest(() => ex.tickers[BTC], () => ex.watchTicker(BTC), (v) => v.last === trade.price / 10 && v.timestamp === trade.time, 'watchTicker');
    assert.deepEqual([t.bid, t.bidVolume, t.ask, t.askVolume], [bid[0] / 10, bid[1], ask[0] / 10, ask[1]]);
    const b = await latest(() => ex.bidsasks[BTC], async () => (await ex.watchBidsAsks([BTC]))[BTC]!,
      (v) => v.ask === ask[0] / 10 && v.askVolume === ask[1] && v.bid === bid[0] / 10, 'watchBidsAsks');
    assert.deepEqual([b.bid, b.bidVolume, b.ask, b.askVolume], [bid[0] / 10, bid[1], ask[0] / 10, ask[1]]);
    const ohlcvs = ex.ohlcvs as unknown as Record<string, Record<string, number[][]>>;
    const c = await latest(() => ohlcvs[BTC]?.['1m']?.at(-1), async () => (await ex.watchOHLCV(BTC, '1m')).at(-1) as number[],
      (v) => v[0] === candle.openTime && v[5] === candle.volume, 'watchOHLCV');
    assert.deepEqual(c, [candle.openTime, candle.open / 10, candle.high / 10, candle.low / 10, candle.close / 10, candle.volume]);
  });

  test('watchOrderBook with limit 5: /contractMarket/level2Depth5, the top five levels at the engine\'s sequence', async () => {
    // Its own instance: ccxt keeps one book per symbol, and the depth topic replaces it whole.
    const top = client();
    await withTimeout(top.loadMarkets(), T, 'loadMarkets');
    await withTimeout(top.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    try {
      const first = top.watchOrderBook(BTC, 5);
      let ready = null;
      for (let i = 0; ready === null && i < 50; i++) {
        await place(maker, 'BUY', 1, 589_000 + i);
        ready = await Promise.race([first, barrier()]);
      }
      await withTimeout(first, T, 'the first level2Depth5');
      const expected = engineBook();
      const cached = (): Book | undefined => (top.orderbooks as unknown as Record<string, Book>)[BTC];
      let book = cached();
      while ((book?.nonce ?? 0) < expected.nonce) book = await withTimeout(top.watchOrderBook(BTC, 5), T, 'watchOrderBook 5') as unknown as Book;
      assert.equal(book!.nonce, expected.nonce);
      const plain = (levels: readonly (readonly (number | undefined)[])[]): (number | undefined)[][] => Array.from(levels, (l) => [l[0], l[1]]);
      assert.deepEqual({ bids: plain(book!.bids), asks: plain(book!.asks) }, { bids: expected.bids.slice(0, 5), asks: expected.asks.slice(0, 5) });
    } finally {
      await top.close();
    }
  });

  test('a raw socket: bullet-public, welcome, acks, level2 sequences in order, a snapshot plus the changes after it is the engine\'s book', async () => {
    const bullet = await fetch(`${harness.server.url}/kucoin-futures/api/v1/bullet-public`, { method: 'POST' });
    const { code, data } = await bullet.json() as { code: string; data: { token: string; instanceServers: { endpoint: string; pingInterval: number }[] } };
    assert.equal(code, '200000');
    const server = data.instanceServers[0]!;
    assert.equal(server.endpoint, `${harness.server.wsUrl}/kucoin/futures`);
    const ws = new WebSocket(`${server.endpoint}?token=${data.token}&connectId=raw-1`);
    const frames: Frame[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (raw) => {
      frames.push(JSON.parse(String(raw)) as Frame);
      wake?.();
    });
    const until = async <R>(find: () => R | undefined, what: string): Promise<R> => withTimeout((async () => {
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    })(), T, what);
    const answer = (id: string): Promise<Frame> => until(() => frames.find((f) => f.id === id), `answer ${id}`);
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    assert.deepEqual(await until(() => frames.find((f) => f.type === 'welcome'), 'welcome'), { id: 'raw-1', type: 'welcome' });
    ws.send(JSON.stringify({ id: 'p1', type: 'ping' }));
    assert.deepEqual(await answer('p1'), { id: 'p1', type: 'pong' });

    const topics = ['/contractMarket/level2:XBTUSDTM', '/contractMarket/level2Depth5:XBTUSDTM', '/contractMarket/execution:XBTUSDTM',
      '/contractMarket/tickerV2:XBTUSDTM', '/contractMarket/ticker:XBTUSDTM', '/contractMarket/limitCandle:XBTUSDTM_1min', '/contract/instrument:XBTUSDTM'];
    for (const [i, topic] of topics.entries()) {
      ws.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', topic, privateChannel: false, response: true }));
      assert.deepEqual(await answer(`s${i}`), { id: `s${i}`, type: 'ack' }, topic);
    }
    ws.send(JSON.stringify({ id: 'bad1', type: 'subscribe', topic: '/contractMarket/tradeOrders', response: true }));
    assert.deepEqual([(await answer('bad1')).type, (await answer('bad1')).code], ['error', 401], 'a private topic needs a private token');
    ws.send(JSON.stringify({ id: 'bad2', type: 'subscribe', topic: '/contractMarket/level2:NOPEUSDTM', response: true }));
    assert.deepEqual([(await answer('bad2')).type, (await answer('bad2')).code], ['error', 404]);
    ws.send(JSON.stringify({ id: 'bad3', type: 'subscribe', topic: '/contractMarket/limitCandle:XBTUSDTM_7min', response: true }));
    assert.equal((await answer('bad3')).code, 404);

    const start = engineBook().nonce;
    let snapshot: { sequence: number; bids: [number, number][]; asks: [number, number][] } | null = null;
    for (let i = 0; i < 12; i++) {
      await place(maker, 'BUY', 1 + i, 590_000 + (i % 4) * 10);
      await place(maker, 'SELL', 2, 605_000 + i);
      await place(taker, 'SELL', 1, null);
      if (i === 5) {
        const reply = await fetch(`${harness.server.url}/kucoin-futures/api/v1/level2/snapshot?symbol=XBTUSDTM`);
        snapshot = (await reply.json() as { data: typeof snapshot }).data;
      }
    }
    const target = engineBook();
    const level2 = (): Frame[] => frames.filter((f) => f.topic === '/contractMarket/level2:XBTUSDTM');
    await until(() => (level2().some((f) => f.data!.sequence === target.nonce) ? true : undefined), 'level2 up to the engine sequence');
    const sequences = level2().map((f) => f.data!.sequence as number);
    assert.deepEqual(sequences, Array.from({ length: target.nonce - start }, (_, i) => start + 1 + i), 'every sequence once, in order');
    assert.deepEqual(level2().map((f) => f.sn), sequences);
    assert.ok(level2().every((f) => f.type === 'message' && f.subject === 'level2' && /^\d+(\.\d+)?,(buy|sell),\d+$/.test(f.data!.change as string)));

    // KuCoin's procedure: the snapshot, then the changes with a greater sequence, none skipped.
    const book = { buy: new Map<string, number>(), sell: new Map<string, number>() };
    for (const [price, size] of snapshot!.bids) book.buy.set(String(price), size);
    for (const [price, size] of snapshot!.asks) book.sell.set(String(price), size);
    let at = snapshot!.sequence;
    for (const f of level2()) {
      const sequence = f.data!.sequence as number;
      if (sequence <= at) continue;
      assert.equal(sequence, at + 1, 'no gap');
      at = sequence;
      const [price, side, size] = (f.data!.change as string).split(',') as [string, 'buy' | 'sell', string];
      if (size === '0') book[side].delete(price);
      else book[side].set(price, Number(size));
    }
    const sorted = (side: Map<string, number>, descending: boolean): number[][] =>
      [...side].map(([p, s]) => [Number(p), s]).sort((x, y) => (descending ? y[0]! - x[0]! : x[0]! - y[0]!));
    assert.deepEqual({ bids: sorted(book.buy, true), asks: sorted(book.sell, false) }, { bids: target.bids, asks: target.asks });

    // The other topics.
    const execution = frames.filter((f) => f.topic === '/contractMarket/execution:XBTUSDTM');
    assert.equal(execution.length, 12);
    assert.deepEqual(Object.keys(execution[0]!.data!), ['symbol', 'sequence', 'side', 'size', 'price', 'tradeId', 'ts']);
    assert.equal(execution[0]!.subject, 'match');
    const tickers = frames.filter((f) => f.topic === '/contractMarket/ticker:XBTUSDTM');
    assert.equal(tickers.length, 12, 'one per trading command');
    const top = harness.server.exchange.engine.depth('btc_usdt', 1)!;
    const v2 = await until(() => frames.filter((f) => f.topic === '/contractMarket/tickerV2:XBTUSDTM').at(-1), 'tickerV2');
    assert.deepEqual([v2.data!.bestBidPrice, v2.data!.bestBidSize, v2.data!.bestAskPrice, v2.data!.bestAskSize],
      [String(top.bids[0]![0] / 10), top.bids[0]![1], String(top.asks[0]![0] / 10), top.asks[0]![1]]);
    const candle = frames.filter((f) => f.topic === '/contractMarket/limitCandle:XBTUSDTM_1min').at(-1)!;
    assert.equal(candle.subject, 'candle.stick');
    const last = harness.server.exchange.state.market.lastCandle('btc_usdt', '1m')!;
    assert.deepEqual((candle.data!.candles as string[]).slice(0, 6), [String(last.openTime / 1000), String(last.open / 10), String(last.close / 10),
      String(last.high / 10), String(last.low / 10), String(last.volume)]);
    const depth5 = await until(() => frames.filter((f) => f.topic === '/contractMarket/level2Depth5:XBTUSDTM')
      .find((f) => f.data!.sequence === target.nonce), 'level2Depth5 at the engine sequence');
    const top5 = harness.server.exchange.engine.depth('btc_usdt', 5)!;
    assert.deepEqual(depth5.data!.bids, top5.bids.map(([p, q]) => [String(p / 10), q]));
    assert.deepEqual(depth5.data!.asks, top5.asks.map(([p, q]) => [String(p / 10), q]));
    const mark = await until(() => frames.find((f) => f.subject === 'mark.index.price'), 'mark.index.price');
    assert.deepEqual([mark.topic, mark.data!.markPrice, mark.data!.granularity], ['/contract/instrument:XBTUSDTM', 60000, 1000]);
    const rate = await until(() => frames.find((f) => f.subject === 'funding.rate'), 'funding.rate');
    assert.equal(rate.data!.granularity, 60000);

    // Unsubscribed: no more level2 frames after the ack.
    ws.send(JSON.stringify({ id: 'u1', type: 'unsubscribe', topic: '/contractMarket/level2:XBTUSDTM', response: true }));
    assert.deepEqual(await answer('u1'), { id: 'u1', type: 'ack' });
    const seen = level2().length;
    await place(maker, 'BUY', 1, 580_000);
    await barrier();
    ws.send(JSON.stringify({ id: 'p2', type: 'ping' }));
    await answer('p2');
    assert.equal(level2().length, seen);
    ws.close();
  });

  test('a private connection (bullet-private) takes the public topics too, beside its own', async () => {
    const account = await harness.admin.createAccount('kucoin');
    const rest = new KucoinRest(harness.server.url, account.apiKey, account.secret, account.passphrase);
    const ws = new WebSocket(await rest.futuresStreamUrl('priv-1'));
    const frames: Frame[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (raw) => { frames.push(JSON.parse(String(raw)) as Frame); wake?.(); });
    const until = async (find: () => Frame | undefined, what: string): Promise<Frame> => withTimeout((async () => {
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    })(), T, what);
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await until(() => frames.find((f) => f.type === 'welcome'), 'welcome');
    for (const [id, topic] of [['a', '/contractMarket/tradeOrders'], ['b', '/contractMarket/execution:XBTUSDTM']]) {
      ws.send(JSON.stringify({ id, type: 'subscribe', topic, privateChannel: id === 'a', response: true }));
      assert.equal((await until(() => frames.find((f) => f.id === id), `ack ${id}`)).type, 'ack');
    }
    await place(maker, 'SELL', 1, 620_000);
    await place(taker, 'BUY', 1, null);
    const trade = harness.server.exchange.state.market.trades('btc_usdt').at(-1)!;
    const match = await until(() => frames.find((f) => f.topic === '/contractMarket/execution:XBTUSDTM' && f.data!.tradeId === String(trade.tradeId)), 'execution');
    assert.deepEqual([match.subject, match.data!.price, match.data!.size, match.data!.side], ['match', String(trade.price / 10), 1, 'buy']);
    assert.ok(frames.every((f) => f.topic !== '/contractMarket/tradeOrders'), 'another account\'s orders are not this one\'s');
    ws.close();
  });

  test('an unknown or stale public token is refused like a private one', async () => {
    for (const token of ['nope', `pub-${Date.now() - 25 * 3600_000}-0123456789abcdef`]) {
      const ws = new WebSocket(`${harness.server.wsUrl}/kucoin/futures?token=${token}&connectId=x`);
      const first = await withTimeout(new Promise<string>((resolve, reject) => ws.once('message', (m) => resolve(String(m))).once('error', reject)), T, 'refusal');
      assert.deepEqual(JSON.parse(first), { id: 'x', type: 'error', code: 401, data: 'token is expired' });
      ws.close();
    }
  });

  test('kucoin-universal-sdk futures public WebSocket: level2 changes, executions, tickerV2', async () => {
    const H = harness.server.url;
    const client = new DefaultClient(new ClientOptionBuilder().setSpotEndpoint(`${H}/kucoin-spot`).setFuturesEndpoint(`${H}/kucoin-futures`)
      .setTransportOption(new TransportOptionBuilder().build()).setWebSocketClientOption(new WebSocketClientOptionBuilder().build()).build());
    const ws = client.wsService().newFuturesPublicWS();
    const changes: Futures.FuturesPublic.OrderbookIncrementEvent[] = [];
    const executions: Futures.FuturesPublic.ExecutionEvent[] = [];
    const tops: Futures.FuturesPublic.TickerV2Event[] = [];
    let wake: (() => void) | null = null;
    const until = async (ready: () => boolean, what: string): Promise<void> => withTimeout((async () => {
      while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
    })(), T, what);
    try {
      await withTimeout(ws.start(), T, 'start the public WebSocket');
      await withTimeout(ws.orderbookIncrement('XBTUSDTM', (_t, _s, data) => { changes.push(data); wake?.(); }), T, 'orderbookIncrement');
      await withTimeout(ws.execution('XBTUSDTM', (_t, _s, data) => { executions.push(data); wake?.(); }), T, 'execution');
      await withTimeout(ws.tickerV2('XBTUSDTM', (_t, _s, data) => { tops.push(data); wake?.(); }), T, 'tickerV2');
      const from = engineBook().nonce;
      await place(maker, 'SELL', 4, 604_321);
      await place(taker, 'BUY', 3, null);
      const target = engineBook().nonce;
      await until(() => changes.some((c) => c.sequence === target), 'level2 changes up to the engine sequence');
      assert.deepEqual(changes.map((c) => c.sequence), Array.from({ length: target - from }, (_, i) => from + 1 + i));
      await until(() => executions.length > 0, 'an execution');
      const trade = harness.server.exchange.state.market.trades('btc_usdt').at(-1)!;
      assert.deepEqual([executions.at(-1)!.tradeId, executions.at(-1)!.side, executions.at(-1)!.size], [String(trade.tradeId), 'buy', trade.qty]);
      const top = harness.server.exchange.engine.depth('btc_usdt', 1)!;
      await until(() => tops.some((t) => t.sequence === target), 'tickerV2 at the engine sequence');
      assert.deepEqual([tops.at(-1)!.bestAskPrice, tops.at(-1)!.bestAskSize], [String(top.asks[0]![0] / 10), top.asks[0]![1]]);
    } finally {
      await ws.stop();
    }
  });
});

describe('KuCoin public connections and the subscribe deadline', () => {
  let harness: Harness;
  before(async () => {
    harness = await Harness.start({ limits: { authDeadlineMs: 800 } });
  });
  after(async () => {
    await harness?.stop();
  });

  test('a public connection that subscribed a market topic stays; one that did not is closed with 4010', async () => {
    const bullet = await fetch(`${harness.server.url}/kucoin-futures/api/v1/bullet-public`, { method: 'POST' });
    const { data } = await bullet.json() as { data: { token: string } };
    const open = async (id: string): Promise<{ ws: WebSocket; closed: Promise<number>; frames: Frame[] }> => {
      const ws = new WebSocket(`${harness.server.wsUrl}/kucoin/futures?token=${data.token}&connectId=${id}`);
      const frames: Frame[] = [];
      ws.on('message', (m) => frames.push(JSON.parse(String(m)) as Frame));
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return { ws, closed, frames };
    };
    const subscribed = await open('sub');
    const acked = new Promise<void>((resolve) => subscribed.ws.on('message', (m) => { if ((JSON.parse(String(m)) as Frame).type === 'ack') resolve(); }));
    subscribed.ws.send(JSON.stringify({ id: 'a', type: 'subscribe', topic: '/contractMarket/tickerV2:XBTUSDTM', response: true }));
    await withTimeout(acked, T, 'ack');
    // Opened after the subscribed one: when its deadline has closed it, the subscribed one's has passed too.
    const idle = await open('idle');
    assert.equal(await withTimeout(idle.closed, T, 'the idle connection closed'), 4010);
    assert.equal(subscribed.ws.readyState, WebSocket.OPEN);
    const pong = new Promise<Frame>((resolve) => subscribed.ws.on('message', (m) => { const f = JSON.parse(String(m)) as Frame; if (f.type === 'pong') resolve(f); }));
    subscribed.ws.send(JSON.stringify({ id: 'p', type: 'ping' }));
    assert.deepEqual(await withTimeout(pong, T, 'pong'), { id: 'p', type: 'pong' });
    subscribed.ws.close();
  });
});
