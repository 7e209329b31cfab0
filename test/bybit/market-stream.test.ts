/**
 * Bybit's public linear stream against the engine: ccxt 4.5.84 `pro.bybit` watchOrderBook
 * (`orderbook.50.BTCUSDT` on /bybit/v5/public/linear: a snapshot, then deltas) equals the engine's
 * book through seeded random orders, cancels and crosses; watchTrades gets each fill; a raw socket
 * sees Bybit's subscribe ack and pong, snapshot then deltas with consecutive `u` that rebuild the
 * book, level-1 snapshots, a second subscriber's snapshot at the shared `u`, tickers snapshot then
 * delta and kline pushes; bybit-api's WebsocketClient subscribes to the same topic. No sleeps: ccxt's
 * own message handler, the server's acknowledgements and the pushes' `seq` are the barriers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { WebsocketClient } from 'bybit-api';
import WebSocket from 'ws';
import type { Side } from '../../src/engine/types.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { Rng } from '../property/generator.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
type BybitPro = InstanceType<typeof ccxt.pro.bybit>;
type Json = Record<string, unknown>;
type Levels = [string, string][];
interface BookData { s: string; b: Levels; a: Levels; u: number; seq: number }

/** Waits for a condition that a callback re-checks whenever it is woken. */
class Waker {
  private wake: (() => void) | null = null;
  poke(): void {
    this.wake?.();
  }
  async until(ready: () => boolean, what: string): Promise<void> {
    await withTimeout((async () => {
      while (!ready()) await new Promise<void>((resolve) => (this.wake = resolve));
    })(), T, what);
  }
}

/** A raw socket on the public stream that records every message. */
class Raw {
  readonly messages: Json[] = [];
  private readonly waker = new Waker();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Json);
      this.waker.poke();
    });
  }
  static async open(url: string): Promise<Raw> {
    const ws = new WebSocket(url);
    const raw = new Raw(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return raw;
  }
  send(message: Json): void {
    this.ws.send(JSON.stringify(message));
  }
  async find(test: (m: Json) => boolean, what: string): Promise<Json> {
    await this.waker.until(() => this.messages.some(test), what);
    return this.messages.find(test)!;
  }
  async until(ready: () => boolean, what: string): Promise<void> {
    await this.waker.until(ready, what);
  }
  topic(name: string): Json[] {
    return this.messages.filter((m) => m.topic === name);
  }
}

describe('Bybit public linear stream: orderbook, publicTrade, tickers, kline', () => {
  let harness: Harness;
  /** The wall clock, moved forward by the kline test to open the next minute. */
  const clock = { offset: 0, now: (): number => Date.now() + clock.offset };
  let ex: BybitPro;
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

  const publicUrl = (): string => `${harness.server.wsUrl}/bybit/v5/public/linear`;

  /** A ccxt instance with no credentials, pointed at the server. */
  const client = (): BybitPro => {
    const H = harness.server.url;
    return new ccxt.pro.bybit({ enableRateLimit: false, has: { fetchCurrencies: false },
      options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false },
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit`,
        ws: { public: { linear: publicUrl() } } } } });
  };

  /** The engine's book as Bybit writes it: [price, base qty] strings, best first. */
  const engineLevels = (limit: number): { bids: Levels; asks: Levels; id: number } => {
    const depth = harness.server.exchange.engine.depth('btc_usdt', limit)!;
    const level = ([price, qty]: [number, number]): [string, string] => [String(price / 10), String(Number((qty * 0.0001).toFixed(4)))];
    return { bids: depth.bids.map(level), asks: depth.asks.map(level), id: depth.updateId };
  };

  before(async () => {
    harness = await Harness.start({ clock });
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
    // ccxt does not check Bybit's sequence: its handler is wrapped to see each push's `seq` (the
    // engine's book update id the view was taken at), which is the barrier.
    const waker = new Waker();
    let seen = 0;
    const pro = ex as unknown as { handleOrderBook: (client: unknown, message: { data?: { seq?: number } }) => void };
    const original = pro.handleOrderBook.bind(ex);
    pro.handleOrderBook = (c, message) => {
      original(c, message);
      seen = Math.max(seen, message.data?.seq ?? 0);
      waker.poke();
    };
    await place(maker, 'BUY', 5, 599_000);
    await place(maker, 'SELL', 5, 601_000);
    await withTimeout(ex.watchOrderBook(BTC), T, 'the first watchOrderBook');
    let sentinel = 596_000;
    /** A new level the view must show, then ccxt's book against the engine's. */
    const caughtUp = async (where: string): Promise<void> => {
      await place(maker, 'BUY', 1, sentinel++);
      const expected = engineLevels(50);
      assert.ok(expected.bids.length < 50 && expected.asks.length < 50, 'the whole book fits the 50-level view');
      await waker.until(() => seen >= expected.id, `ccxt at book update ${expected.id} (${where})`);
      const book = (ex.orderbooks as unknown as Record<string, { bids: [number, number][]; asks: [number, number][] }>)[BTC]!;
      const plain = (levels: readonly (readonly number[])[]): Levels => Array.from(levels, (l) => [String(l[0]), String(l[1])]);
      assert.deepEqual({ bids: plain(book.bids), asks: plain(book.asks) }, { bids: expected.bids, asks: expected.asks }, where);
    };
    await caughtUp('start');
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
      if (i % 8 === 7) await caughtUp(`after step ${i}`);
    }
    await caughtUp('end');
  });

  test('watchTrades: each fill of a taker order, in match order', async () => {
    await harness.server.exchange.execute({ type: 'cancelAll', accountId: maker, symbol: 'btc_usdt' });
    const trader = client();
    await withTimeout(trader.loadMarkets(), T, 'loadMarkets');
    await withTimeout(trader.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    try {
      // The server's subscribe acknowledgement is the barrier: the topic is live from it on.
      const waker = new Waker();
      let acked = false;
      const pro = trader as unknown as { handleSubscriptionStatus: (client: unknown, message: Json) => unknown };
      const original = pro.handleSubscriptionStatus.bind(trader);
      pro.handleSubscriptionStatus = (c, message) => {
        acked ||= message.success === true;
        waker.poke();
        return original(c, message);
      };
      const pending = trader.watchTrades(BTC);
      await waker.until(() => acked, 'the publicTrade subscription');
      await place(maker, 'SELL', 3, 610_000);
      await place(maker, 'SELL', 2, 610_000);
      await place(taker, 'BUY', 5, 610_000);
      const trades = await withTimeout(pending, T, 'watchTrades');
      assert.deepEqual(trades.map((t) => [t.price, t.amount, t.side]), [[61000, 0.0003, 'buy'], [61000, 0.0002, 'buy']]);
    } finally {
      await trader.close();
    }
  });

  test('watchTicker: the snapshot, then the deltas ccxt merges into it', async () => {
    const waker = new Waker();
    const pro = ex as unknown as { handleTicker: (client: unknown, message: Json) => void };
    const original = pro.handleTicker.bind(ex);
    pro.handleTicker = (c, message) => {
      original(c, message);
      waker.poke();
    };
    const top = harness.server.exchange.engine.depth('btc_usdt', 1)!;
    const first = await withTimeout(ex.watchTicker(BTC), T, 'watchTicker');
    assert.deepEqual([first.bid ?? null, first.ask ?? null, first.last, first.markPrice],
      [top.bids[0] === undefined ? null : top.bids[0][0] / 10, top.asks[0] === undefined ? null : top.asks[0][0] / 10, 61000, 60000]);
    await place(maker, 'SELL', 1, 615_000);
    await place(taker, 'BUY', 1, null);
    const cached = (): { last?: number; ask?: number; baseVolume?: number } | undefined => (ex.tickers as unknown as Record<string, { last?: number }>)[BTC];
    await waker.until(() => cached()?.last === 61500, 'the ticker delta with the new last price');
    const stats = harness.server.exchange.state.market.dayStats('btc_usdt', clock.now());
    assert.equal(cached()!.baseVolume, Number((stats.volume * 0.0001).toFixed(4)), 'the 24-hour volume');
  });

  test('a raw socket: ack, pong, snapshot then deltas with consecutive u, level 1, a second subscriber, tickers, kline', async () => {
    const unbound = async (): Promise<number> => ((await harness.admin.request('GET', '/status')).body as { gateway: { unauthenticated: number } }).gateway.unauthenticated;
    const raw = await Raw.open(publicUrl());
    const before = await unbound();
    assert.ok(before >= 1, 'a new connection is unbound');
    raw.send({ op: 'ping', req_id: 'p1' });
    const pong = await raw.find((m) => m.op === 'ping', 'pong');
    assert.deepEqual(Object.keys(pong), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.deepEqual([pong.success, pong.ret_msg, pong.req_id], [true, 'pong', 'p1']);
    raw.send({ op: 'subscribe', args: ['orderbook.51.BTCUSDT'] });
    const refused = await raw.find((m) => m.op === 'subscribe', 'refusal');
    assert.deepEqual([refused.success, refused.ret_msg, refused.req_id], [false, 'error:handler not found,topic:orderbook.51.BTCUSDT', '']);

    const topics = ['orderbook.1000.BTCUSDT', 'orderbook.1.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT', 'kline.1.BTCUSDT'];
    raw.send({ op: 'subscribe', args: topics, req_id: 's1' });
    const ack = await raw.find((m) => m.req_id === 's1', 'subscribe ack');
    assert.deepEqual(Object.keys(ack), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.deepEqual([ack.success, ack.ret_msg, ack.op], [true, '', 'subscribe']);
    // The ack comes before the snapshots.
    const ackAt = raw.messages.indexOf(ack);
    assert.equal(await unbound(), before - 1, 'a valid public subscription binds the connection (no unauthenticated deadline)');
    await raw.until(() => raw.topic('orderbook.1000.BTCUSDT').length > 0 && raw.topic('tickers.BTCUSDT').length > 0, 'snapshots');
    // Topics nobody else watches: the snapshot is the engine's book now.
    const [snapshot] = raw.topic('orderbook.1000.BTCUSDT');
    assert.ok(raw.messages.indexOf(snapshot!) > ackAt);
    assert.deepEqual(Object.keys(snapshot!), ['topic', 'type', 'ts', 'data', 'cts']);
    assert.equal(snapshot!.type, 'snapshot');
    const first = snapshot!.data as BookData;
    const engine = engineLevels(1000);
    assert.deepEqual([first.b, first.a, first.seq], [engine.bids, engine.asks, engine.id]);
    const [level1] = raw.topic('orderbook.1.BTCUSDT');
    assert.deepEqual(Object.keys(level1!), ['topic', 'ts', 'type', 'data', 'cts'], 'level 1 writes ts before type, as Bybit does');
    const ticker = raw.topic('tickers.BTCUSDT')[0]!;
    assert.equal(ticker.type, 'snapshot');
    assert.equal((ticker.data as Json).markPrice, '60000');

    // Trades and book changes; the last push of each book topic carries the engine's id as seq.
    for (let i = 0; i < 6; i++) {
      await place(maker, 'BUY', 1 + i, 590_000 + i * 10);
      await place(maker, 'SELL', 2, 620_000 - i * 10);
      await place(taker, 'SELL', 1, null);
    }
    const target = engineLevels(1000);
    const reached = (name: string) => (): boolean => raw.topic(name).some((m) => (m.data as BookData).seq === target.id);
    await raw.until(reached('orderbook.1000.BTCUSDT'), 'orderbook.1000 at the engine id');
    await raw.until(reached('orderbook.1.BTCUSDT'), 'orderbook.1 at the engine id');
    const pushes = raw.topic('orderbook.1000.BTCUSDT');
    const bids = new Map(first.b);
    const asks = new Map(first.a);
    for (let i = 1; i < pushes.length; i++) {
      const data = pushes[i]!.data as BookData;
      assert.equal(pushes[i]!.type, 'delta');
      assert.equal(data.u, (pushes[i - 1]!.data as BookData).u + 1, 'u is consecutive');
      assert.ok(data.seq > (pushes[i - 1]!.data as BookData).seq, 'seq grows');
      for (const [side, levels] of [[bids, data.b], [asks, data.a]] as const) {
        for (const [price, size] of levels) {
          if (size === '0') side.delete(price);
          else side.set(price, size);
        }
      }
    }
    const sorted = (side: Map<string, string>, descending: boolean): Levels => [...side].sort((x, y) => (descending ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0])));
    assert.deepEqual({ bids: sorted(bids, true), asks: sorted(asks, false) }, { bids: target.bids, asks: target.asks }, 'the deltas rebuild the book');
    const tops = raw.topic('orderbook.1.BTCUSDT');
    assert.ok(tops.every((m) => m.type === 'snapshot'), 'level 1 is snapshots only');
    for (let i = 1; i < tops.length; i++) {
      const [now, before] = [tops[i]!.data as BookData, tops[i - 1]!.data as BookData];
      // +1 per change; the same u only for the 3-second repeat of an unchanged top.
      if (now.u === before.u) assert.deepEqual([now.b, now.a], [before.b, before.a]);
      else assert.equal(now.u, before.u + 1);
    }
    assert.deepEqual([(tops.at(-1)!.data as BookData).b, (tops.at(-1)!.data as BookData).a], [target.bids.slice(0, 1), target.asks.slice(0, 1)]);

    // A second subscriber gets the view the first one holds, at the same u.
    const second = await Raw.open(publicUrl());
    second.send({ op: 'subscribe', args: ['orderbook.1000.BTCUSDT'] });
    await second.until(() => second.topic('orderbook.1000.BTCUSDT').length > 0, 'second snapshot');
    const joined = second.topic('orderbook.1000.BTCUSDT')[0]!.data as BookData;
    assert.deepEqual([joined.u, joined.b, joined.a], [(pushes.at(-1)!.data as BookData).u, target.bids, target.asks]);
    second.ws.close();

    // Trades: one push per command; tickers: a delta with what changed; kline: the current candle.
    const trades = raw.topic('publicTrade.BTCUSDT');
    assert.equal(trades.length, 6);
    const trade = (trades.at(-1)!.data as Json[])[0]!;
    assert.deepEqual([trade.s, trade.S, trade.v, trade.p, trade.BT], ['BTCUSDT', 'Sell', '0.0001', '59005', false]);
    await raw.until(() => raw.topic('tickers.BTCUSDT').some((m) => m.type === 'delta' && (m.data as Json).lastPrice === '59005'), 'ticker delta');
    const delta = raw.topic('tickers.BTCUSDT').find((m) => m.type === 'delta')!;
    assert.equal((delta.data as Json).symbol, 'BTCUSDT');
    assert.ok(!('fundingIntervalHour' in (delta.data as Json)), 'a delta carries only what changed');
    const kline = (raw.topic('kline.1.BTCUSDT').at(-1)!.data as Json[])[0]!;
    assert.deepEqual([kline.interval, kline.close, kline.confirm], ['1', '59005', false]);

    raw.send({ op: 'unsubscribe', args: topics, req_id: 'u1' });
    const unsubscribed = await raw.find((m) => m.req_id === 'u1', 'unsubscribe ack');
    assert.equal(unsubscribed.success, true);
    raw.ws.close();
  });

  test('malformed requests are answered in Bybit\'s shape and the connection stays usable', async () => {
    const raw = await Raw.open(publicUrl());
    const inputs = ['not json', '[]', '42', '"text"', 'null', '{"op":"auth","args":[]}', '{"op":"subscribe","args":"orderbook.50.BTCUSDT"}',
      '{"op":"subscribe","args":[1]}', '{"op":"subscribe"}', '{"op":"subscribe","args":[]}', '{"op":7}', `{"op":"subscribe","args":["${'x'.repeat(21_001)}"]}`];
    for (const [i, input] of inputs.entries()) {
      raw.ws.send(input);
      raw.send({ op: 'ping', req_id: `barrier-${i}` });
      await raw.find((m) => m.req_id === `barrier-${i}`, `the barrier after ${input.slice(0, 40)}`);
      const answers = raw.messages.splice(0);
      assert.equal(answers.length, 2, `one answer to ${input.slice(0, 40)}, then the pong`);
      const [answer] = answers;
      assert.equal(answer!.success, false, input.slice(0, 40));
      assert.equal(typeof answer!.ret_msg, 'string');
      assert.equal(typeof answer!.op, 'string');
      assert.equal(typeof answer!.conn_id, 'string');
    }
    raw.ws.close();
  });

  test('kline: the closed candle once more with confirm true when a trade opens the next one', async () => {
    const raw = await Raw.open(publicUrl());
    raw.send({ op: 'subscribe', args: ['kline.1.BTCUSDT'], req_id: 'k' });
    await raw.find((m) => m.req_id === 'k', 'subscribe ack');
    await place(maker, 'SELL', 2, 630_000);
    await place(taker, 'BUY', 1, null);
    await raw.until(() => raw.topic('kline.1.BTCUSDT').length === 1, 'the first kline push');
    const open = (raw.topic('kline.1.BTCUSDT')[0]!.data as Json[])[0]!;
    assert.equal(open.confirm, false);
    clock.offset += 60_000;
    await place(taker, 'BUY', 1, null);
    await raw.until(() => raw.topic('kline.1.BTCUSDT').length === 3, 'the closed and the new candle');
    const [closed, next] = raw.topic('kline.1.BTCUSDT').slice(1).map((m) => (m.data as Json[])[0]!);
    assert.deepEqual([closed!.start, closed!.end, closed!.confirm, closed!.volume], [open.start, open.end, true, open.volume]);
    // The next minute (or the one after, if the wall clock passed a minute boundary meanwhile).
    assert.ok((next!.start as number) >= (open.start as number) + 60_000);
    assert.equal(next!.confirm, false);
    raw.ws.close();
  });

  test('bybit-api WebsocketClient (npm) on the public stream: the orderbook snapshot is the engine\'s', async () => {
    const logger = { trace: () => undefined, info: () => undefined, error: () => undefined };
    const ws = new WebsocketClient({ wsUrl: publicUrl() }, logger);
    const updates: Json[] = [];
    const waker = new Waker();
    ws.on('update', (e) => {
      updates.push(e as unknown as Json);
      waker.poke();
    });
    try {
      await withTimeout(Promise.all(ws.subscribeV5(['orderbook.200.BTCUSDT'], 'linear')), T, 'subscribeV5');
      await waker.until(() => updates.some((u) => u.topic === 'orderbook.200.BTCUSDT'), 'the snapshot');
      const snapshot = updates.find((u) => u.topic === 'orderbook.200.BTCUSDT')!;
      const engine = engineLevels(200);
      assert.equal(snapshot.type, 'snapshot');
      assert.deepEqual([(snapshot.data as BookData).b, (snapshot.data as BookData).a], [engine.bids, engine.asks]);
    } finally {
      ws.closeAll(true);
    }
  });
});

describe('Bybit public orderbook: the top-N view at its boundary', () => {
  let harness: Harness;
  after(async () => {
    await harness?.stop();
  });

  test('levels entering and leaving the 50-level view are inserts and "0" deletes; changes below it push nothing', async () => {
    harness = await Harness.start();
    const { accountId } = await harness.admin.createAccount();
    await harness.admin.deposit(accountId, '1000000');
    await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
    const ids: number[] = [];
    const bid = async (price: number, qty = 1): Promise<void> => {
      const { result } = await harness.server.exchange.execute({
        type: 'placeOrder', accountId, symbol: 'btc_usdt', side: 'BUY', positionSide: 'LONG', qty, reduceOnly: false, orderType: 'LIMIT', timeInForce: 'GTC', price,
      });
      assert.ok(result.ok && result.kind === 'order');
      ids.push(result.order.orderId);
    };
    for (let i = 0; i < 55; i++) await bid(590_000 + i * 10); // 55 levels: 59,000.0 … 59,054.0
    const raw = await Raw.open(`${harness.server.wsUrl}/bybit/v5/public/linear`);
    raw.send({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    await raw.until(() => raw.topic('orderbook.50.BTCUSDT').length > 0, 'the snapshot');
    const snapshot = raw.topic('orderbook.50.BTCUSDT')[0]!.data as BookData;
    assert.equal(snapshot.b.length, 50);
    assert.deepEqual([snapshot.b[0], snapshot.b[49]], [['59054', '0.0001'], ['59005', '0.0001']]);

    await bid(580_000); // below the view
    for (const orderId of ids.slice(52, 55)) await harness.server.exchange.execute({ type: 'cancelOrder', accountId, symbol: 'btc_usdt', orderId }); // the best three go
    await bid(590_200, 2); // a level inside the view grows
    const target = harness.server.exchange.engine.depth('btc_usdt', 50)!;
    await raw.until(() => raw.topic('orderbook.50.BTCUSDT').some((m) => (m.data as BookData).seq === target.updateId), 'the view at the engine id');
    const deltas = raw.topic('orderbook.50.BTCUSDT').slice(1).map((m) => m.data as BookData);
    const book = new Map(snapshot.b);
    let u = snapshot.u;
    for (const delta of deltas) {
      assert.equal(delta.u, ++u);
      assert.ok(delta.b.every(([price]) => price !== '58000'), 'a level below the view is never pushed');
      for (const [price, size] of delta.b) {
        if (size === '0') book.delete(price);
        else book.set(price, size);
      }
    }
    const changed = new Map(deltas.flatMap((d) => d.b));
    assert.deepEqual([changed.get('59054'), changed.get('59002'), changed.get('59020')], ['0', '0.0001', '0.0003'], 'a delete, an insert from below, a change');
    const expected = target.bids.map(([price, qty]): [string, string] => [String(price / 10), String(Number((qty * 0.0001).toFixed(4)))]);
    assert.deepEqual([...book].sort((x, y) => Number(y[0]) - Number(x[0])), expected);
    raw.ws.close();
  });
});
