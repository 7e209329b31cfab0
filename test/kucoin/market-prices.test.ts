/**
 * KuCoin futures price histories and open interest against the price scenario
 * (test/support/market-scenario.ts, a held clock; expected values computed from its samples alone):
 * ccxt 4.5.84 `kucoinfutures` (classic account options, as the other KuCoin suites configure it)
 * fetchMarkOHLCV, fetchIndexOHLCV, fetchPremiumIndexOHLCV (the UTA kline endpoint on the spot host,
 * where ccxt sends every `price` kline), fetchOpenInterest and fetchOpenInterestHistory (the UTA
 * open-interest endpoint); kucoin-universal-sdk 1.3.0's classic getSpotIndexPrice / getPremiumIndex
 * (`/api/v1/index/query`, `/api/v1/premium/query`) and plain HTTP for their paging and KuCoin's
 * refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { Futures } from 'kucoin-universal-sdk';
import { kucoinSdkFuturesMarket, listedNames, publicKucoinFutures } from './public-clients.js';
import { formatScaled } from '../../src/engine/fixed.js';
import { playPriceScenario, stepCandles, type PriceScenario } from '../support/market-scenario.js';
import { withTimeout } from '../support/timeout.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
const MINUTE = 60_000;

const price = (ticks: number): number => ticks / 10;
const premium = (units: bigint): number => Number(formatScaled(units, 8));

describe('KuCoin price klines (UTA), index and premium histories (classic), open interest (UTA)', () => {
  let f: PriceScenario;
  let ex: InstanceType<typeof ccxt.kucoinfutures>;
  type Reply = { status: number; body: { code: string; data?: unknown; msg?: string } };
  const get = async (host: 'futures' | 'spot', path: string, query: Record<string, string | number | boolean> = {}): Promise<Reply> => {
    const url = new URL(`${f.harness.server.url}/kucoin-${host}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const reply = await fetch(url);
    return { status: reply.status, body: await reply.json() as Reply['body'] };
  };
  const series = <V extends number | bigint>(pick: (s: PriceScenario['samples'][number]) => V | null) => f.samples.map((s) => ({ time: s.time, value: pick(s) }));
  /** The value a series held at `time`: its last sample before then (a sample at `time` itself starts what follows). */
  const heldAt = <V>(points: readonly { time: number; value: V | null }[], time: number): V | null =>
    points.filter((p) => p.time < time && p.value !== null).at(-1)?.value ?? null;
  const at = <R>(time: number, body: () => Promise<R>): Promise<R> => f.clock.at(time, body);

  before(async () => {
    f = await playPriceScenario();
    const H = f.harness.server.url;
    ex = await publicKucoinFutures(H, T);
  });
  after(async () => {
    await f?.harness.stop();
  });

  test('fetchMarkOHLCV / fetchIndexOHLCV / fetchPremiumIndexOHLCV: the recorded prices; the wire newest first, in seconds', async () => {
    const now = f.t0 + 200_000;
    const row = (c: { openTime: number; open: number; high: number; low: number; close: number }): number[] =>
      [c.openTime, price(c.open), price(c.high), price(c.low), price(c.close)];
    const marks = stepCandles(series((s) => s.mark), MINUTE, now);
    assert.ok(marks.length >= 3);
    const fetched = await withTimeout(ex.fetchMarkOHLCV(BTC, '1m', f.t0, 10), T, 'fetchMarkOHLCV');
    assert.deepEqual(fetched.map((c) => c.slice(0, 5)), marks.map(row));
    const indexes = stepCandles(series((s) => s.index), MINUTE, now);
    assert.deepEqual((await withTimeout(ex.fetchIndexOHLCV(BTC, '1m', f.t0, 10), T, 'fetchIndexOHLCV')).map((c) => c.slice(0, 5)), indexes.map(row));
    const premiums = stepCandles(series((s) => s.premium), MINUTE, now);
    assert.deepEqual((await withTimeout(ex.fetchPremiumIndexOHLCV(BTC, '1m', f.t0, 10), T, 'fetchPremiumIndexOHLCV')).map((c) => c.slice(0, 5)),
      premiums.map((c) => [c.openTime, premium(c.open), premium(c.high), premium(c.low), premium(c.close)]));

    const { body } = await get('spot', '/api/ua/v1/market/kline', { tradeType: 'FUTURES', symbol: 'XBTUSDTM-mark-price', interval: '1min', startAt: f.t0 / 1000 });
    const text = (ticks: number): string => formatScaled(BigInt(ticks), 1, 0);
    assert.deepEqual(body, { code: '200000', data: { tradeType: 'FUTURES', symbol: 'XBTUSDTM-mark-price', list: [...marks].reverse().map((c) =>
      [String(c.openTime / 1000), text(c.open), text(c.close), text(c.high), text(c.low), '0', '0']) } });
    // A contract without a suffix: its trade candles (lots; turnover in USDT: 0.0001 BTC a lot).
    const trades = await get('spot', '/api/ua/v1/market/kline', { tradeType: 'FUTURES', symbol: 'XBTUSDTM', interval: '1hour', endAt: now / 1000 });
    assert.deepEqual(trades.body.data, { tradeType: 'FUTURES', symbol: 'XBTUSDTM', list: [[String(f.t0 / 1000), '60010', '59990', '60020', '59990', '7', '42.006']] });
    // ccxt's fetchOHLCV without `price` keeps to the classic kline endpoint (its 1h candle of the same trades).
    assert.deepEqual(await withTimeout(ex.fetchOHLCV(BTC, '1h', f.t0), T, 'fetchOHLCV'), [[f.t0, 60010, 60020, 59990, 59990, 7]]);
  });

  test('fetchOpenInterest and fetchOpenInterestHistory: lots now, and the value at each period\'s start, walking back from endAt', async () => {
    const engine = f.harness.server.exchange.engine;
    const current = await withTimeout(ex.fetchOpenInterest(BTC), T, 'fetchOpenInterest');
    assert.deepEqual([current.symbol, current.openInterestAmount, current.timestamp], [BTC, engine.prices('btc_usdt', f.t0)!.openInterest, f.t0 + 200_000]);
    const all = (await get('spot', '/api/ua/v1/market/open-interest')).body.data as { symbol: string; openInterest: string }[];
    assert.deepEqual(all.map((r) => [r.symbol, r.openInterest]), listedNames(f.harness).map((name) => [name, name === 'XBTUSDTM' ? '7' : '0']));
    await at(f.t0 + 90 * MINUTE, async () => {
      const expected = stepCandles(series((s) => s.openInterest), 5 * MINUTE, f.t0 + 90 * MINUTE, 0);
      assert.equal(expected.length, 19);
      const history = await withTimeout(ex.fetchOpenInterestHistory(BTC, '5m', f.t0, 10), T, 'fetchOpenInterestHistory');
      // No endAt: the newest 10 of the 19 periods since t0.
      assert.deepEqual(history.map((h) => [h.timestamp, h.openInterestAmount]), expected.slice(-10).map((c) => [c.openTime, c.open]));
      // Paging by hand: the last ts as the next endAt, four at a time, back to startAt.
      const seen: number[] = [];
      let endAt: number | undefined;
      for (let page = 0; page < 10; page++) {
        const query = { symbol: 'XBTUSDTM', interval: '15min', startAt: f.t0, pageSize: 4, ...(endAt === undefined ? {} : { endAt }) };
        const rows = (await get('spot', '/api/ua/v1/market/open-interest', query)).body.data as { openInterest: string; ts: number }[];
        seen.push(...rows.map((r) => r.ts));
        if (rows.length < 4) break;
        endAt = rows.at(-1)!.ts;
      }
      assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0].map((k) => f.t0 + k * 15 * MINUTE));
      const [newest] = (await get('spot', '/api/ua/v1/market/open-interest', { symbol: 'XBTUSDTM', interval: '1hour' })).body.data as unknown[];
      assert.deepEqual(newest, { openInterest: '7', ts: f.t0 + 60 * MINUTE });
    });
  });

  test('index/query and premium/query (kucoin-universal-sdk): one point a minute, the value held then, newest first', async () => {
    const now = f.t0 + 200_000;
    const minutes = [1, 2, 3].map((k) => f.t0 + k * MINUTE).filter((t) => t <= now);
    const H = f.harness.server.url;
    const api = kucoinSdkFuturesMarket(H);

    const indexes = series((s) => s.index);
    const index = await withTimeout(api.getSpotIndexPrice(Futures.Market.GetSpotIndexPriceReq.builder().setSymbol('.KXBTUSDT').build()), T, 'getSpotIndexPrice');
    assert.equal(index.hasMore, false);
    assert.deepEqual(index.dataList.map((p) => [p.symbol, p.granularity, p.timePoint, p.value, p.decomposionList]),
      [...minutes].reverse().map((t) => ['.KXBTUSDT', MINUTE, t, price(heldAt(indexes, t)!), []]));

    const premiums = series((s) => s.premium);
    const expected = [...minutes].reverse().filter((t) => heldAt(premiums, t) !== null).map((t) => [t, premium(heldAt(premiums, t)!)]);
    assert.ok(expected.length >= 2, 'the scenario has premium samples before two minute marks');
    const premiumPage = await withTimeout(api.getPremiumIndex(Futures.Market.GetPremiumIndexReq.builder().setSymbol('.XBTUSDTMPI').setMaxCount(1).build()), T, 'getPremiumIndex');
    assert.equal(premiumPage.hasMore, true);
    assert.deepEqual(premiumPage.dataList.map((p) => [p.timePoint, p.value]), expected.slice(0, 1));

    // Paging: offset = the last timePoint; forward continues, forward=false returns the page before it; reverse=false is oldest first.
    const page = async (query: Record<string, string | number | boolean>): Promise<[number[], boolean]> => {
      const { body } = await get('futures', '/api/v1/premium/query', { symbol: '.XBTUSDTMPI', ...query });
      assert.equal(body.code, '200000', body.msg);
      const data = body.data as { dataList: { timePoint: number }[]; hasMore: boolean };
      return [data.dataList.map((p) => p.timePoint), data.hasMore];
    };
    const times = expected.map(([t]) => t as number);
    assert.deepEqual(await page({ maxCount: 1, offset: times[0]! }), [[times[1]], times.length > 2]);
    assert.deepEqual(await page({ maxCount: 1, offset: times[1]!, forward: false }), [[times[0]], false]);
    assert.deepEqual(await page({ reverse: false }), [[...times].reverse(), false]);
    assert.deepEqual(await page({ startAt: times[1]!, endAt: times[1]! }), [[times[1]], false]);

    const { body } = await get('futures', '/api/v1/contracts/XBTUSDTM');
    const contract = body.data as Record<string, unknown>;
    assert.deepEqual([contract.indexSymbol, contract.premiumsSymbol1M, contract.premiumsSymbol8H, contract.fundingRateSymbol],
      ['.KXBTUSDT', '.XBTUSDTMPI', '.XBTUSDTMPI8H', '.XBTUSDTMFPI8H']);
  });

  test('bad input: 400100 in KuCoin\'s envelope, with what to send', async () => {
    for (const [host, path, query] of [
      ['futures', '/api/v1/index/query', {}],
      ['futures', '/api/v1/index/query', { symbol: 'XBTUSDTM' }],
      ['futures', '/api/v1/index/query', { symbol: '.KXBTUSDT', maxCount: 101 }],
      ['futures', '/api/v1/index/query', { symbol: '.KXBTUSDT', reverse: 'maybe' }],
      ['futures', '/api/v1/index/query', { symbol: '.KXBTUSDT', startAt: 2, endAt: 1 }],
      ['futures', '/api/v1/premium/query', { symbol: '.XBTUSDTMPI8H' }],
      ['futures', '/api/v1/premium/query', { symbol: '.XBTUSDTMPI', limit: 5 }],
      ['spot', '/api/ua/v1/market/kline', { tradeType: 'SPOT', symbol: 'XBTUSDTM', interval: '1min' }],
      ['spot', '/api/ua/v1/market/kline', { tradeType: 'FUTURES', symbol: 'XBTUSDTM-last-price', interval: '1min' }],
      ['spot', '/api/ua/v1/market/kline', { tradeType: 'FUTURES', symbol: 'XBTUSDTM', interval: '1m' }],
      ['spot', '/api/ua/v1/market/kline', { tradeType: 'FUTURES', symbol: 'XBTUSDTM', interval: '1min', startAt: 1.5 }],
      ['spot', '/api/ua/v1/market/kline', { tradeType: 'FUTURES', symbol: 'XBTUSDTM', interval: '1min', limit: 10 }],
      ['spot', '/api/ua/v1/market/open-interest', { symbol: 'XBTUSDTM', interval: '2hour' }],
      ['spot', '/api/ua/v1/market/open-interest', { symbol: 'XBTUSDTM,ETHUSDTM', interval: '1hour' }],
      ['spot', '/api/ua/v1/market/open-interest', { symbol: 'XBTUSDTM', pageSize: 5 }],
      ['spot', '/api/ua/v1/market/open-interest', { symbol: 'XBTUSDTM', interval: '1hour', pageSize: 201 }],
      ['spot', '/api/ua/v1/market/open-interest', { symbol: 'NOPEUSDTM' }],
    ] as const) {
      const { status, body } = await get(host, path, query);
      assert.deepEqual([status, body.code], [400, '400100'], `${path} ${JSON.stringify(query)}: ${JSON.stringify(body)}`);
      assert.ok((body.msg ?? '').length > 10, body.msg);
    }
    const { body } = await get('futures', '/api/v1/premium/query', { symbol: '.XBTUSDTMPI8H' });
    assert.match(body.msg!, /\.XBTUSDTMPI/);
  });
});
