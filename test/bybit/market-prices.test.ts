/**
 * Bybit v5 mark / index / premium-index klines, open interest (REST history and the tickers' fields),
 * all-symbol tickers and `allLiquidation.{symbol}`, against the price scenario
 * (test/support/market-scenario.ts, a held clock): ccxt 4.5.84 `bybit` fetchMarkOHLCV,
 * fetchIndexOHLCV, fetchPremiumIndexOHLCV, fetchOpenInterest, fetchOpenInterestHistory (and its
 * cursor), fetchTickers without symbols, watchLiquidations; the bybit-api npm client's
 * RestClientV5 getMarkPriceKline / getOpenInterest; plain HTTP for the rows and Bybit's refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { RestClientV5 } from 'bybit-api';
import { formatScaled } from '../../src/engine/fixed.js';
import { playPriceScenario, stepCandles, type PriceScenario } from '../support/market-scenario.js';
import { withTimeout } from '../support/timeout.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
const MINUTE = 60_000;
type BybitPro = InstanceType<typeof ccxt.pro.bybit>;

const price = (ticks: number): number => ticks / 10;
const premium = (units: bigint): number => Number(formatScaled(units, 8));

describe('Bybit price klines, open interest, all tickers, allLiquidation', () => {
  let f: PriceScenario;
  let ex: BybitPro;
  const acks: (() => void)[] = [];
  type Reply = { retCode: number; retMsg: string; result: Record<string, unknown> };
  const get = async (path: string, query: Record<string, string | number> = {}): Promise<Reply> => {
    const url = new URL(`${f.harness.server.url}/bybit${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    return (await (await fetch(url)).json()) as Reply;
  };
  const series = (pick: (s: PriceScenario['samples'][number]) => number | null) => f.samples.map((s) => ({ time: s.time, value: pick(s) }));
  const nextAck = (): Promise<void> => new Promise((resolve) => acks.push(resolve));
  const at = <R>(time: number, body: () => Promise<R>): Promise<R> => f.clock.at(time, body);

  before(async () => {
    f = await playPriceScenario();
    const H = f.harness.server.url;
    ex = new ccxt.pro.bybit({ enableRateLimit: false, has: { fetchCurrencies: false },
      options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false },
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit`,
        ws: { public: { linear: `${f.harness.server.wsUrl}/bybit/v5/public/linear` } } } } });
    const handle = ex.handleMessage.bind(ex);
    ex.handleMessage = (client: unknown, message: unknown) => {
      const m = message as { op?: unknown; success?: unknown } | null;
      if (m !== null && typeof m === 'object' && m.op === 'subscribe' && m.success === true) acks.shift()?.();
      return handle(client as never, message as never);
    };
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
  });
  after(async () => {
    await ex?.close();
    await f?.harness.stop();
  });

  test('fetchMarkOHLCV / fetchIndexOHLCV / fetchPremiumIndexOHLCV: the recorded prices, newest first on the wire', async () => {
    const now = f.t0 + 200_000;
    const row = (c: { openTime: number; open: number; high: number; low: number; close: number }): number[] =>
      [c.openTime, price(c.open), price(c.high), price(c.low), price(c.close)];
    const marks = stepCandles(series((s) => s.mark), MINUTE, now);
    const fetched = await withTimeout(ex.fetchMarkOHLCV(BTC, '1m', f.t0, 10), T, 'fetchMarkOHLCV');
    assert.deepEqual(fetched.map((c) => c.slice(0, 5)), marks.map(row));
    const indexes = stepCandles(series((s) => s.index), MINUTE, now);
    assert.deepEqual((await withTimeout(ex.fetchIndexOHLCV(BTC, '1m', f.t0, 10), T, 'fetchIndexOHLCV')).map((c) => c.slice(0, 5)), indexes.map(row));
    const premiums = stepCandles(f.samples.map((s) => ({ time: s.time, value: s.premium })), MINUTE, now);
    assert.deepEqual((await withTimeout(ex.fetchPremiumIndexOHLCV(BTC, '1m', f.t0, 10), T, 'fetchPremiumIndexOHLCV')).map((c) => c.slice(0, 5)),
      premiums.map((c) => [c.openTime, premium(c.open), premium(c.high), premium(c.low), premium(c.close)]));
    const reply = await get('/v5/market/mark-price-kline', { category: 'linear', symbol: 'BTCUSDT', interval: '1', start: f.t0, limit: 2 });
    assert.deepEqual(reply.result, { category: 'linear', symbol: 'BTCUSDT', list: marks.slice(0, 2).reverse().map((c) => row(c).map(String)) });
    const premiumList = (await get('/v5/market/premium-index-price-kline', { symbol: 'BTCUSDT', interval: '60' })).result.list as string[][];
    assert.match(premiumList[0]![1]!, /^-?\d+\.\d{6,8}$/);
  });

  test('open interest: the tickers\' fields (both sides and one side), fetchOpenInterest and its history by cursor', async () => {
    const engine = f.harness.server.exchange.engine;
    const tickers = await withTimeout(ex.fetchTickers(), T, 'fetchTickers');
    assert.deepEqual(Object.keys(tickers).sort(), ['BTC/USDT:USDT', 'ETH/USDT:USDT'], 'every symbol without a symbol parameter');
    const info = tickers[BTC]!.info as Record<string, string>;
    const mark = engine.prices('btc_usdt', f.t0)!.markPrice!;
    assert.deepEqual([info.openInterest, info.singleOpenInterest, info.openInterestValue, info.singleOpenInterestValue],
      ['0.0014', '0.0007', formatScaled(14n * BigInt(mark) * 1000n, 8, 0), formatScaled(7n * BigInt(mark) * 1000n, 8, 0)]);
    // An hour and a half on: the 1h periods start at t0 (0 open then) and t0 + 1 h (7).
    await at(f.t0 + 90 * MINUTE, async () => {
      const current = await withTimeout(ex.fetchOpenInterest(BTC), T, 'fetchOpenInterest');
      assert.deepEqual([current.timestamp, current.openInterestAmount], [f.t0 + 60 * MINUTE, 0.0014]);
      const expected = stepCandles(series((s) => s.openInterest), 5 * MINUTE, f.t0 + 90 * MINUTE, 0);
      const history = await withTimeout(ex.fetchOpenInterestHistory(BTC, '5m', f.t0, 10), T, 'fetchOpenInterestHistory');
      // ccxt asks up to since + 10 periods; Bybit walks back from there: the newest 10 of the 11 starts.
      assert.deepEqual(history.map((h) => [h.timestamp, h.openInterestAmount]), expected.slice(1, 11).map((c) => [c.openTime, 2 * c.open / 10_000]));
      // Paging: newest first, three at a time, until the cursor is empty.
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const reply = await get('/v5/market/open-interest', { category: 'linear', symbol: 'BTCUSDT', intervalTime: '15min', limit: 3, ...(cursor === undefined ? {} : { cursor }) });
        assert.equal(reply.retCode, 0, reply.retMsg);
        seen.push(...(reply.result.list as { timestamp: string }[]).map((r) => r.timestamp));
        cursor = reply.result.nextPageCursor as string;
        if (cursor === '') break;
      }
      assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0].map((k) => String(f.t0 + k * 15 * MINUTE)));
      const client = new RestClientV5({ baseUrl: `${f.harness.server.url}/bybit` });
      const oi = await withTimeout(client.getOpenInterest({ category: 'linear', symbol: 'BTCUSDT', intervalTime: '1h', limit: 1 }), T, 'getOpenInterest');
      assert.deepEqual(oi.result.list, [{ openInterest: '0.0014', singleOpenInterest: '0.0007', timestamp: String(f.t0 + 60 * MINUTE) }]);
      const klines = await withTimeout(client.getMarkPriceKline({ category: 'linear', symbol: 'BTCUSDT', interval: 'D', limit: 1 }), T, 'getMarkPriceKline');
      assert.equal(klines.retCode, 0, klines.retMsg);
      assert.equal(klines.result.list.length, 1);
    });
  });

  test('bad input: 10001 for a missing or unknown interval, an unknown parameter, a bad cursor', async () => {
    for (const [path, query] of [
      ['/v5/market/mark-price-kline', { symbol: 'BTCUSDT' }],
      ['/v5/market/index-price-kline', { symbol: 'BTCUSDT', interval: '7' }],
      ['/v5/market/premium-index-price-kline', { symbol: 'BTCUSDT', interval: '1', category: 'inverse' }],
      ['/v5/market/mark-price-kline', { symbol: 'BTCUSDT', interval: '1', price: 'mark' }],
      ['/v5/market/open-interest', { category: 'linear', symbol: 'BTCUSDT' }],
      ['/v5/market/open-interest', { category: 'linear', symbol: 'BTCUSDT', intervalTime: '2h' }],
      ['/v5/market/open-interest', { category: 'linear', symbol: 'BTCUSDT', intervalTime: '1h', limit: 201 }],
      ['/v5/market/open-interest', { category: 'linear', symbol: 'BTCUSDT', intervalTime: '1h', cursor: 'nope' }],
    ] as const) {
      assert.equal((await get(path, query)).retCode, 10001, `${path} ${JSON.stringify(query)}`);
    }
  });

  test('watchLiquidations (`allLiquidation.BTCUSDT`): the liquidated long, its executed size and bankruptcy price', async () => {
    const acked = nextAck();
    const pending = ex.watchLiquidations(BTC);
    await withTimeout(acked, T, 'allLiquidation subscribed');
    const event = await f.liquidate();
    const [liquidation] = await withTimeout(pending, T, 'watchLiquidations');
    assert.deepEqual([liquidation?.symbol, liquidation?.side, liquidation?.contracts, liquidation?.price, liquidation?.timestamp],
      [BTC, 'buy', event.filled / 10_000, price(event.bankruptcyPrice), event.time]);
  });
});
