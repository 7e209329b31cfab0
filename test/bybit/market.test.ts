/**
 * Bybit v5 public market data against known trades at known times (a clock the test holds), through
 * ccxt 4.5.84 `bybit` (no credentials: public calls only), the bybit-api npm client's RestClientV5
 * and plain HTTP: fetchOrderBook is the engine's book with its update id; fetchTrades; fetchOHLCV at
 * 1m and 1h (a minute without trades listed at the last close, no volume; newest first on the wire);
 * fetchTicker's 24-hour figures, mark and best bid/ask; Bybit's limits and refusals (10001).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { RestClientV5 } from 'bybit-api';
import { withTimeout } from '../support/timeout.js';
import { playMarketScenario, type MarketScenario } from '../support/market-scenario.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;

type Fixture = MarketScenario;

describe('Bybit public market data: orderbook, recent trades, klines, tickers', () => {
  let f: Fixture;
  let ex: InstanceType<typeof ccxt.bybit>;
  type Reply = { retCode: number; retMsg: string; result: Record<string, unknown> };
  const get = async (path: string, query: Record<string, string | number> = {}): Promise<Reply> => {
    const url = new URL(`${f.harness.server.url}/bybit${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const reply = await fetch(url);
    return (await reply.json()) as Reply;
  };

  before(async () => {
    f = await playMarketScenario();
    const H = f.harness.server.url;
    ex = new ccxt.bybit({ enableRateLimit: false, has: { fetchCurrencies: false },
      options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false },
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit` } } });
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
  });
  after(async () => {
    await f?.harness.stop();
  });

  test('fetchOrderBook: the engine\'s book; u and seq are its update id', async () => {
    const book = await withTimeout(ex.fetchOrderBook(BTC), T, 'fetchOrderBook');
    assert.deepEqual(book.bids, [[59990, 0.0003]]);
    assert.deepEqual(book.asks, [[60020, 0.0002]]);
    const depth = f.harness.server.exchange.engine.depth('btc_usdt', 25)!;
    const level = ([price, qty]: [number, number]): number[] => [price / 10, Number((qty * 0.0001).toFixed(4))];
    assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: depth.bids.map(level), asks: depth.asks.map(level) });
    const now = f.t0 + 200_000;
    const reply = await get('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', limit: 5 });
    assert.deepEqual(reply.result, { s: 'BTCUSDT', b: [['59990', '0.0003']], a: [['60020', '0.0002']], ts: now, u: depth.updateId, seq: depth.updateId, cts: now });
  });

  test('fetchTrades: every fill, newest first on the wire', async () => {
    const trades = await withTimeout(ex.fetchTrades(BTC), T, 'fetchTrades');
    assert.deepEqual(trades.map((t) => [t.timestamp, t.price, t.amount, t.side]), [
      [f.t0 + 10_000, 60010, 0.0002, 'buy'],
      [f.t0 + 70_000, 60010, 0.0003, 'buy'],
      [f.t0 + 70_000, 60020, 0.0001, 'buy'],
      [f.t0 + 190_000, 59990, 0.0001, 'sell'],
    ]);
    const reply = await get('/v5/market/recent-trade', { category: 'linear', symbol: 'BTCUSDT', limit: 2 });
    const list = reply.result.list as Record<string, unknown>[];
    assert.deepEqual(list.map((t) => [t.price, t.size, t.side, t.time]), [['59990', '0.0001', 'Sell', String(f.t0 + 190_000)], ['60020', '0.0001', 'Buy', String(f.t0 + 70_000)]]);
    assert.deepEqual(Object.keys(list[0]!), ['execId', 'symbol', 'price', 'size', 'side', 'time', 'isBlockTrade', 'isRPITrade', 'seq']);
  });

  test('fetchOHLCV 1m and 1h: candles from the trades, a quiet minute at the last close', async () => {
    const minutes = await withTimeout(ex.fetchOHLCV(BTC, '1m', f.t0, 10), T, 'fetchOHLCV 1m');
    assert.deepEqual(minutes, [
      [f.t0, 60010, 60010, 60010, 60010, 0.0002],
      [f.t0 + 60_000, 60010, 60020, 60010, 60020, 0.0004],
      [f.t0 + 120_000, 60020, 60020, 60020, 60020, 0],
      [f.t0 + 180_000, 59990, 59990, 59990, 59990, 0.0001],
    ]);
    const hours = await withTimeout(ex.fetchOHLCV(BTC, '1h', f.t0), T, 'fetchOHLCV 1h');
    assert.deepEqual(hours, [[f.t0, 60010, 60020, 59990, 59990, 0.0007]]);
    // Newest first, as Bybit lists them; without start, the newest `limit`.
    const reply = await get('/v5/market/kline', { category: 'linear', symbol: 'BTCUSDT', interval: '1', limit: 2 });
    assert.deepEqual(reply.result, { category: 'linear', symbol: 'BTCUSDT', list: [
      [String(f.t0 + 180_000), '59990', '59990', '59990', '59990', '0.0001', '5.999'],
      [String(f.t0 + 120_000), '60020', '60020', '60020', '60020', '0', '0'],
    ] });
    // With start and end: that range, oldest candles first in the page.
    const range = await get('/v5/market/kline', { symbol: 'BTCUSDT', interval: '1', start: f.t0 + 60_000, end: f.t0 + 120_000 });
    assert.deepEqual((range.result.list as string[][]).map((r) => r[0]), [String(f.t0 + 120_000), String(f.t0 + 60_000)]);
  });

  test('fetchTicker: the last 24 hours, mark, best bid and ask', async () => {
    const ticker = await withTimeout(ex.fetchTicker(BTC), T, 'fetchTicker');
    assert.deepEqual([ticker.open, ticker.high, ticker.low, ticker.last, ticker.baseVolume], [60010, 60020, 59990, 59990, 0.0007]);
    assert.equal(ticker.quoteVolume, 42.006); // 0.0005 × 60,010 + 0.0001 × 60,020 + 0.0001 × 59,990
    assert.deepEqual([ticker.bid, ticker.bidVolume, ticker.ask, ticker.askVolume], [59990, 0.0003, 60020, 0.0002]);
    assert.equal(ticker.markPrice, 60000);
    const reply = await get('/v5/market/tickers', { category: 'linear', symbol: 'BTCUSDT' });
    const [row] = reply.result.list as Record<string, string>[];
    assert.equal(row!.price24hPcnt, '-0.000333'); // (59,990 − 60,010) / 60,010
    assert.equal(row!.tickDirection, 'MinusTick');
    const all = await get('/v5/market/tickers', { category: 'linear' });
    assert.equal((all.result.list as unknown[]).length, f.harness.server.exchange.engine.symbols().length);
    assert.deepEqual((await get('/v5/market/tickers', { category: 'spot' })).result, { category: 'spot', list: [] });
  });

  test('bybit-api RestClientV5 (npm): getOrderbook and getKline', async () => {
    const client = new RestClientV5({ baseUrl: `${f.harness.server.url}/bybit` });
    const book = await withTimeout(client.getOrderbook({ category: 'linear', symbol: 'BTCUSDT', limit: 1 }), T, 'getOrderbook');
    assert.equal(book.retCode, 0, JSON.stringify(book));
    assert.deepEqual([book.result.b, book.result.a, book.result.u], [[['59990', '0.0003']], [['60020', '0.0002']], f.harness.server.exchange.engine.depth('btc_usdt', 0)!.updateId]);
    const kline = await withTimeout(client.getKline({ category: 'linear', symbol: 'BTCUSDT', interval: '60', start: f.t0 }), T, 'getKline');
    assert.equal(kline.retCode, 0, JSON.stringify(kline));
    assert.deepEqual(kline.result.list, [[String(f.t0), '60010', '60020', '59990', '59990', '0.0007', '42.006']]);
  });

  test('bad input: Bybit\'s 10001 with what to send instead', async () => {
    const code = async (path: string, query: Record<string, string | number>): Promise<number> => (await get(path, query)).retCode;
    assert.equal(await code('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', limit: 1001 }), 10001);
    assert.equal(await code('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', limit: 0 }), 10001);
    const unknown = await get('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', foo: 1 });
    assert.equal(unknown.retCode, 10001);
    assert.match(unknown.retMsg, /foo is not a parameter/);
    assert.equal(await code('/v5/market/orderbook', { category: 'linear' }), 10001);
    assert.equal(await code('/v5/market/orderbook', { symbol: 'BTCUSDT' }), 10001);
    assert.equal(await code('/v5/market/orderbook', { category: 'spot', symbol: 'BTCUSDT' }), 10001);
    assert.equal(await code('/v5/market/orderbook', { category: 'linear', symbol: 'NOPEUSDT' }), 10001);
    assert.equal(await code('/v5/market/recent-trade', { category: 'linear', symbol: 'BTCUSDT', limit: 1001 }), 10001);
    assert.equal(await code('/v5/market/kline', { symbol: 'BTCUSDT', interval: '7' }), 10001);
    assert.equal(await code('/v5/market/kline', { symbol: 'BTCUSDT' }), 10001);
    assert.equal(await code('/v5/market/kline', { symbol: 'BTCUSDT', interval: '1', limit: 1001 }), 10001);
    assert.equal(await code('/v5/market/kline', { symbol: 'BTCUSDT', interval: '1', start: 2, end: 1 }), 10001);
    assert.equal(await code('/v5/market/tickers', { symbol: 'BTCUSDT' }), 10001);
    assert.equal(await code('/v5/market/insurance', { coin: 'USDT' }), 10017, 'an endpoint not served');
  });
});
