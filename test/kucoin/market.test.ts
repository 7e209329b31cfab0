/**
 * KuCoin futures public market data against known trades, through ccxt 4.5.84 `kucoinfutures` (no
 * credentials: public calls only), kucoin-universal-sdk 1.3.0 (KuCoin's official SDK, its futures
 * market API) and plain HTTP: fetchOrderBook is the engine's book, its `sequence` the level2
 * sequence; fetchTrades; fetchOHLCV at 1m and 1h (a minute without trades listed at the last
 * close, no volume); fetchTicker; fetchMarkPrice and fetchFundingRate; KuCoin's refusals (400100,
 * 404000); the same candles and sequence after a restart on the data directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { Futures } from 'kucoin-universal-sdk';
import { kucoinSdkFuturesMarket, listedNames, publicKucoinFutures } from './public-clients.js';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { playMarketScenario, type MarketScenario } from '../support/market-scenario.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
const HOUR = 3600_000;

type Fixture = MarketScenario;

describe('KuCoin futures public market data: order book, trades, klines, tickers, mark price, funding rate', () => {
  let f: Fixture;
  let dataDir: string;
  let ex: InstanceType<typeof ccxt.kucoinfutures>;
  const get = async (path: string, query: Record<string, string | number> = {}): Promise<{ status: number; body: { code: string; data?: unknown; msg?: string } }> => {
    const url = new URL(`${f.harness.server.url}/kucoin-futures${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const reply = await fetch(url);
    return { status: reply.status, body: await reply.json() as { code: string; data?: unknown; msg?: string } };
  };
  /** Level changes the engine's book updates carried (the level2 sequence), from the market-data service. */
  const sequence = (): number => f.harness.server.exchange.state.market.bookSequence('btc_usdt');

  before(async () => {
    dataDir = await tempDir('kucoin-market');
    f = await playMarketScenario({ dataDir });
    const H = f.harness.server.url;
    ex = await publicKucoinFutures(H, T);
  });
  after(async () => {
    await f?.harness.stop();
    await removeDir(dataDir);
  });

  test('fetchOrderBook: the engine\'s book (lots), its sequence the level2 sequence', async () => {
    // Book updates: 5@60,010 (1 level), 3@60,020 (1), 4@59,990 (1), the 2-lot buy (1), the 4-lot buy (2), the 1-lot sell (1).
    assert.equal(sequence(), 7);
    const book = await withTimeout(ex.fetchOrderBook(BTC), T, 'fetchOrderBook');
    assert.deepEqual(book.bids, [[59990, 3]]);
    assert.deepEqual(book.asks, [[60020, 2]]);
    assert.equal(book.nonce, 7);
    for (const limit of [20, 100] as const) {
      const part = await withTimeout(ex.fetchOrderBook(BTC, limit), T, `fetchOrderBook ${limit}`);
      assert.deepEqual([part.bids, part.asks, part.nonce], [[[59990, 3]], [[60020, 2]], 7]);
    }
    const reply = await fetch(`${f.harness.server.url}/kucoin-futures/api/v1/level2/snapshot?symbol=XBTUSDTM`);
    const text = await reply.text();
    assert.equal(text, `{"code":"200000","data":{"sequence":7,"symbol":"XBTUSDTM","bids":[[59990,3]],"asks":[[60020,2]],"ts":${f.t0 + 200_000}250000}}`);
  });

  test('fetchTrades: the last trades, taker side, lots', async () => {
    const trades = await withTimeout(ex.fetchTrades(BTC), T, 'fetchTrades');
    const rows = trades.map((t) => [Number(t.id), t.timestamp, t.price, t.amount, t.side]).sort((a, b) => (a[0] as number) - (b[0] as number));
    assert.deepEqual(rows.map((r) => r.slice(1)), [
      [f.t0 + 10_000, 60010, 2, 'buy'],
      [f.t0 + 70_000, 60010, 3, 'buy'],
      [f.t0 + 70_000, 60020, 1, 'buy'],
      [f.t0 + 190_000, 59990, 1, 'sell'],
    ]);
    const { body } = await get('/api/v1/trade/history', { symbol: 'XBTUSDTM' });
    const [newest] = body.data as Record<string, unknown>[];
    assert.deepEqual(newest, { sequence: rows[3]![0], tradeId: String(rows[3]![0]), ts: Number(`${f.t0 + 190_000}250000`), size: 1, price: '59990', side: 'sell' });
  });

  test('fetchOHLCV 1m and 1h: candles from the trades, a quiet minute at the last close', async () => {
    const minutes = await withTimeout(ex.fetchOHLCV(BTC, '1m', f.t0, 10), T, 'fetchOHLCV 1m');
    assert.deepEqual(minutes, [
      [f.t0, 60010, 60010, 60010, 60010, 2],
      [f.t0 + 60_000, 60010, 60020, 60010, 60020, 4],
      [f.t0 + 120_000, 60020, 60020, 60020, 60020, 0],
      [f.t0 + 180_000, 59990, 59990, 59990, 59990, 1],
    ]);
    const hours = await withTimeout(ex.fetchOHLCV(BTC, '1h', f.t0), T, 'fetchOHLCV 1h');
    assert.deepEqual(hours, [[f.t0, 60010, 60020, 59990, 59990, 7]]);
    const { body } = await get('/api/v1/kline/query', { symbol: 'XBTUSDTM', granularity: 1, from: f.t0 + 180_000, to: f.t0 + 200_000 });
    assert.deepEqual(body, { code: '200000', data: [[f.t0 + 180_000, 59990, 59990, 59990, 59990, 1]] });
  });

  test('fetchTicker: the last trade and the best bid and ask', async () => {
    const ticker = await withTimeout(ex.fetchTicker(BTC), T, 'fetchTicker');
    assert.deepEqual([ticker.last, ticker.bid, ticker.bidVolume, ticker.ask, ticker.askVolume, ticker.timestamp], [59990, 59990, 3, 60020, 2, f.t0 + 190_000]);
    const { body } = await get('/api/v1/allTickers');
    const all = body.data as Record<string, unknown>[];
    // Every contract KuCoin lists here (with the coin-margined ones when they are configured).
    assert.deepEqual(all.map((t) => t.symbol), listedNames(f.harness));
    assert.deepEqual(all[0], (await get('/api/v1/ticker', { symbol: 'XBTUSDTM' })).body.data);
    assert.deepEqual([all[1]!.price, all[1]!.size, all[1]!.tradeId], ['0', 0, ''], 'a contract without trades');
  });

  test('fetchMarkPrice and fetchFundingRate: the engine\'s prices', async () => {
    const mark = await withTimeout(ex.fetchMarkPrice(BTC), T, 'fetchMarkPrice');
    assert.equal(mark.markPrice, 60000);
    const rate = await withTimeout(ex.fetchFundingRate(BTC), T, 'fetchFundingRate');
    const info = f.harness.server.exchange.engine.prices('btc_usdt', f.clock.now())!;
    assert.equal(rate.fundingRate, Number(info.predictedFundingRate) / 1e8);
    assert.equal(rate.fundingTimestamp, info.nextFundingTime);
    const { body } = await get('/api/v1/funding-rate/XBTUSDTM/current');
    const data = body.data as Record<string, unknown>;
    assert.deepEqual([data.symbol, data.granularity, data.fundingTime], ['.XBTUSDTMFPI8H', info.fundingIntervalMs, info.nextFundingTime]);
  });

  test('contracts: open interest (lots) and the 24-hour fields; fetchTickers reads them for every contract', async () => {
    const { body } = await get('/api/v1/contracts/XBTUSDTM');
    const contract = body.data as Record<string, unknown>;
    // The taker's longs (2 + 4) and the maker's long leg (1, from the taker's short sale).
    assert.deepEqual([contract.openInterest, contract.markPrice, contract.lastTradePrice, contract.highPrice, contract.lowPrice, contract.volumeOf24h, contract.turnoverOf24h],
      ['7', 60000, 59990, 60020, 59990, 0.0007, 42.006]);
    assert.deepEqual([contract.priceChg, contract.priceChgPct], [-20, -0.0003]);
    const tickers = await withTimeout(ex.fetchTickers(), T, 'fetchTickers');
    assert.deepEqual(Object.keys(tickers).sort(), Object.keys(ex.markets ?? {}).sort());
    assert.ok(BTC in tickers && 'ETH/USDT:USDT' in tickers);
    assert.deepEqual([tickers[BTC]!.last, tickers[BTC]!.high, tickers[BTC]!.low, tickers[BTC]!.baseVolume, tickers[BTC]!.markPrice], [59990, 60020, 59990, 0.0007, 60000]);
  });

  test('kucoin-universal-sdk: part order book, klines, trade history, ticker, mark price, public token', async () => {
    const H = f.harness.server.url;
    const api = kucoinSdkFuturesMarket(H);
    const book = await withTimeout(api.getPartOrderBook(Futures.Market.GetPartOrderBookReq.builder().setSymbol('XBTUSDTM').setSize('20').build()), T, 'getPartOrderBook');
    assert.deepEqual([book.sequence, book.bids, book.asks], [7, [[59990, 3]], [[60020, 2]]]);
    const full = await withTimeout(api.getFullOrderBook(Futures.Market.GetFullOrderBookReq.builder().setSymbol('XBTUSDTM').build()), T, 'getFullOrderBook');
    assert.equal(full.sequence, 7);
    const klines = await withTimeout(api.getKlines(Futures.Market.GetKlinesReq.builder().setSymbol('XBTUSDTM')
      .setGranularity(Futures.Market.GetKlinesReq.GranularityEnum._60).setFrom(f.t0).setTo(f.t0 + HOUR).build()), T, 'getKlines');
    assert.deepEqual(klines.data, [[f.t0, 60010, 60020, 59990, 59990, 7]]);
    const trades = await withTimeout(api.getTradeHistory(Futures.Market.GetTradeHistoryReq.builder().setSymbol('XBTUSDTM').build()), T, 'getTradeHistory');
    assert.deepEqual(trades.data.map((t) => [t.price, t.size, t.side]), [['59990', 1, 'sell'], ['60020', 1, 'buy'], ['60010', 3, 'buy'], ['60010', 2, 'buy']]);
    const ticker = await withTimeout(api.getTicker(Futures.Market.GetTickerReq.builder().setSymbol('XBTUSDTM').build()), T, 'getTicker');
    assert.deepEqual([ticker.price, ticker.bestBidPrice, ticker.bestBidSize, ticker.bestAskPrice, ticker.bestAskSize, ticker.sequence], ['59990', '59990', 3, '60020', 2, 7]);
    const mark = await withTimeout(api.getMarkPrice(Futures.Market.GetMarkPriceReq.builder().setSymbol('XBTUSDTM').build()), T, 'getMarkPrice');
    assert.equal(mark.value, 60000);
    const token = await withTimeout(api.getPublicToken(), T, 'getPublicToken');
    assert.match(token.token, /^pub-/);
    assert.equal(token.instanceServers[0]!.endpoint, `${f.harness.server.wsUrl}/kucoin/futures`);
  });

  test('bad input: KuCoin\'s codes', async () => {
    const code = async (path: string, query: Record<string, string | number> = {}): Promise<[number, string]> => {
      const { status, body } = await get(path, query);
      return [status, body.code];
    };
    assert.deepEqual(await code('/api/v1/level2/snapshot'), [400, '400100'], 'no symbol');
    assert.deepEqual(await code('/api/v1/level2/snapshot', { symbol: 'NOPEUSDTM' }), [400, '400100'], 'unknown contract');
    assert.deepEqual(await code('/api/v1/level2/depth20', { symbol: 'XBTUSDTM', foo: 1 }), [400, '400100'], 'an unknown parameter');
    assert.deepEqual(await code('/api/v1/level2/depth50', { symbol: 'XBTUSDTM' }), [404, '404000'], 'depth 20 or 100 only');
    assert.deepEqual(await code('/api/v1/kline/query', { symbol: 'XBTUSDTM', granularity: 7 }), [400, '400100'], 'granularity');
    assert.deepEqual(await code('/api/v1/kline/query', { symbol: 'XBTUSDTM' }), [400, '400100'], 'no granularity');
    assert.deepEqual(await code('/api/v1/kline/query', { symbol: 'XBTUSDTM', granularity: 1, from: 2, to: 1 }), [400, '400100'], 'from after to');
    assert.deepEqual(await code('/api/v1/mark-price/NOPEUSDTM/current'), [400, '400100']);
    assert.deepEqual(await code('/api/v1/funding-rate/XBTUSDTM/current', { x: 1 }), [400, '400100']);
    const { body } = await get('/api/v1/kline/query', { symbol: 'XBTUSDTM', granularity: 7 });
    assert.match(body.msg!, /granularity must be one of 1, 5, 15, 30, 60, 120, 240, 480, 720, 1440, 10080/);
  });

  test('a restart on the data directory serves the same candles, trades and sequence', async () => {
    const query = { symbol: 'XBTUSDTM', granularity: 1, from: f.t0, to: f.t0 + 200_000 };
    const candles = (await get('/api/v1/kline/query', query)).body;
    const trades = (await get('/api/v1/trade/history', { symbol: 'XBTUSDTM' })).body;
    const book = (await get('/api/v1/level2/snapshot', { symbol: 'XBTUSDTM' })).body;
    await f.harness.stop();
    const harness = await Harness.start({ clock: f.clock, dataDir });
    f = { ...f, harness };
    assert.deepEqual((await get('/api/v1/kline/query', query)).body, candles);
    assert.deepEqual((await get('/api/v1/trade/history', { symbol: 'XBTUSDTM' })).body, trades);
    assert.deepEqual((await get('/api/v1/level2/snapshot', { symbol: 'XBTUSDTM' })).body, book);
  });
});
