/**
 * Binance USDⓈ-M public market data against known trades, through ccxt 4.5.84 `binanceusdm` (no
 * credentials: public calls only) and plain HTTP: fetchOrderBook is the engine's book with its
 * update id; fetchTrades (aggTrades: one taker's fills at one price are one aggregate);
 * fetchOHLCV at 1m and 1h (a minute without trades listed at the last close, no volume);
 * fetchTicker's 24-hour figures; fetchBidsAsks; fetchFundingRate's mark and index; Binance's limits
 * and refusals (-1130, -1104, -1102); the same candles after a restart on the data directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { playMarketScenario, type MarketScenario } from '../support/market-scenario.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
const HOUR = 3600_000;

type Fixture = MarketScenario;

describe('Binance public market data: depth, trades, klines, tickers, premium index', () => {
  let f: Fixture;
  let dataDir: string;
  let ex: InstanceType<typeof ccxt.binanceusdm>;
  const get = async (path: string, query: Record<string, string | number> = {}): Promise<{ status: number; body: unknown }> => {
    const url = new URL(`${f.harness.server.url}/binance${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const reply = await fetch(url);
    return { status: reply.status, body: await reply.json() };
  };

  before(async () => {
    dataDir = await tempDir('binance-market');
    f = await playMarketScenario({ dataDir });
    const H = f.harness.server.url;
    ex = new ccxt.binanceusdm({ enableRateLimit: false, has: { fetchCurrencies: false }, urls: { api: {
      fapiPublic: `${H}/binance/fapi/v1`, fapiPublicV2: `${H}/binance/fapi/v2`, fapiPrivate: `${H}/binance/fapi/v1` } } });
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
  });
  after(async () => {
    await f?.harness.stop();
    await removeDir(dataDir);
  });

  test('fetchOrderBook: the engine\'s book, with its update id', async () => {
    const book = await withTimeout(ex.fetchOrderBook(BTC), T, 'fetchOrderBook');
    assert.deepEqual(book.bids, [[59990, 0.0003]]);
    assert.deepEqual(book.asks, [[60020, 0.0002]]);
    const depth = f.harness.server.exchange.engine.depth('btc_usdt', 5)!;
    assert.equal(book.nonce, depth.updateId);
    const { body } = await get('/fapi/v1/depth', { symbol: 'BTCUSDT', limit: 5 });
    assert.deepEqual(body, { lastUpdateId: depth.updateId, E: f.t0 + 200_000, T: f.t0 + 200_000, bids: [['59990', '0.0003']], asks: [['60020', '0.0002']] });
  });

  test('fetchTrades: aggregate trades, one taker\'s fills at one price as one', async () => {
    const trades = await withTimeout(ex.fetchTrades(BTC), T, 'fetchTrades');
    assert.deepEqual(trades.map((t) => [t.timestamp, t.price, t.amount, t.side]), [
      [f.t0 + 10_000, 60010, 0.0002, 'buy'],
      [f.t0 + 70_000, 60010, 0.0003, 'buy'],
      [f.t0 + 70_000, 60020, 0.0001, 'buy'],
      [f.t0 + 190_000, 59990, 0.0001, 'sell'],
    ]);
    const { body } = await get('/fapi/v1/trades', { symbol: 'BTCUSDT', limit: 2 });
    assert.equal((body as unknown[]).length, 2, 'the two newest trades');
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
    const { body } = await get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 1 });
    const [row] = body as (string | number)[][];
    assert.deepEqual(row, [f.t0 + 180_000, '59990', '59990', '59990', '59990', '0.0001', f.t0 + 239_999, '5.999', 1, '0', '0', '0']);
  });

  test('fetchTicker: the last 24 hours', async () => {
    const ticker = await withTimeout(ex.fetchTicker(BTC), T, 'fetchTicker');
    assert.deepEqual([ticker.open, ticker.high, ticker.low, ticker.last, ticker.baseVolume], [60010, 60020, 59990, 59990, 0.0007]);
    assert.equal(ticker.quoteVolume, 42.006); // 0.0005 × 60,010 + 0.0001 × 60,020 + 0.0001 × 59,990
  });

  test('fetchBidsAsks and fetchFundingRate: best bid/ask, mark and index', async () => {
    const tops = await withTimeout(ex.fetchBidsAsks([BTC]), T, 'fetchBidsAsks');
    assert.deepEqual([tops[BTC]!.bid, tops[BTC]!.bidVolume, tops[BTC]!.ask, tops[BTC]!.askVolume], [59990, 0.0003, 60020, 0.0002]);
    const funding = await withTimeout(ex.fetchFundingRate(BTC), T, 'fetchFundingRate');
    assert.equal(funding.markPrice, 60000);
  });

  test('bad input: Binance\'s limits and codes', async () => {
    assert.deepEqual((await get('/fapi/v1/depth', { symbol: 'BTCUSDT', limit: 7 })).body, { code: -1130, msg: "Invalid data sent for a parameter: 'limit' must be one of 5, 10, 20, 50, 100, 500, 1000." });
    assert.equal(((await get('/fapi/v1/depth', { symbol: 'BTCUSDT', foo: 1 })).body as { code: number }).code, -1104);
    assert.equal(((await get('/fapi/v1/depth')).body as { code: number }).code, -1102);
    assert.equal(((await get('/fapi/v1/depth', { symbol: 'NOPEUSDT' })).body as { code: number }).code, -1121);
    assert.equal(((await get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '7m' })).body as { code: number }).code, -1130);
    assert.equal(((await get('/fapi/v1/klines', { symbol: 'BTCUSDT' })).body as { code: number }).code, -1102);
    assert.equal(((await get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 1501 })).body as { code: number }).code < 0, true);
    assert.equal(((await get('/fapi/v1/aggTrades', { symbol: 'BTCUSDT', startTime: 0, endTime: HOUR })).body as { code: number }).code, -1130);
  });

  test('a restart on the data directory serves the same candles and trades', async () => {
    const query = { symbol: 'BTCUSDT', interval: '1m', startTime: f.t0 };
    const candles = (await get('/fapi/v1/klines', query)).body;
    const trades = (await get('/fapi/v1/aggTrades', { symbol: 'BTCUSDT' })).body;
    await f.harness.stop();
    const harness = await Harness.start({ clock: f.clock, dataDir });
    f = { ...f, harness };
    assert.deepEqual((await get('/fapi/v1/klines', query)).body, candles);
    assert.deepEqual((await get('/fapi/v1/aggTrades', { symbol: 'BTCUSDT' })).body, trades);
  });
});
