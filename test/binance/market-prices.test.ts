/**
 * Binance USDⓈ-M mark / index / premium-index klines, open interest and its history, and the
 * all-symbol and liquidation streams, against the price scenario (test/support/market-scenario.ts:
 * known marks, index prices, price ticks, trades and a liquidation at known times on a held clock),
 * through ccxt 4.5.84 `binanceusdm` (fetchMarkOHLCV, fetchIndexOHLCV, fetchPremiumIndexOHLCV,
 * fetchOpenInterest, fetchOpenInterestHistory, watchMarkPrices on `!markPrice@arr@1s`,
 * watchBidsAsks on `!bookTicker`, watchLiquidations on `!forceOrder@arr` and
 * watchLiquidationsForSymbols on `btcusdt@forceOrder`), the `binance` npm client's USDMClient, and
 * plain HTTP for the exact rows and
 * Binance's refusals. Expected candles are computed from the scenario's samples alone (stepCandles).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { USDMClient } from 'binance';
import { formatScaled } from '../../src/engine/fixed.js';
import type { LiquidationEvent } from '../../src/engine/types.js';
import { playPriceScenario, stepCandles, type PriceScenario } from '../support/market-scenario.js';
import { withTimeout } from '../support/timeout.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
const MINUTE = 60_000;
type BinancePro = InstanceType<typeof ccxt.pro.binanceusdm>;

/** Ticks of btc_usdt (0.1) as ccxt's number. */
const price = (ticks: number): number => ticks / 10;
/** A premium index (10^-8) as ccxt's number. */
const premium = (units: bigint): number => Number(formatScaled(units, 8));

describe('Binance mark/index/premium klines, open interest, liquidation and all-symbol streams', () => {
  let f: PriceScenario;
  let ex: BinancePro;
  /** Subscription acknowledgements ccxt received (`{result: null, id}`), resolved in order. */
  const acks: ((id: unknown) => void)[] = [];
  const get = async (path: string, query: Record<string, string | number> = {}): Promise<{ status: number; body: unknown }> => {
    const url = new URL(`${f.harness.server.url}/binance${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const reply = await fetch(url);
    return { status: reply.status, body: await reply.json() };
  };
  const series = (pick: (s: PriceScenario['samples'][number]) => number | null) => f.samples.map((s) => ({ time: s.time, value: pick(s) }));
  /** The next subscription ack ccxt receives: the server has registered the streams of that SUBSCRIBE. */
  const nextAck = (): Promise<unknown> => new Promise((resolve) => acks.push(resolve));

  before(async () => {
    f = await playPriceScenario();
    const H = f.harness.server.url;
    ex = new ccxt.pro.binanceusdm({ enableRateLimit: false, has: { fetchCurrencies: false }, urls: { api: {
      fapiPublic: `${H}/binance/fapi/v1`, fapiPublicV2: `${H}/binance/fapi/v2`, fapiPrivate: `${H}/binance/fapi/v1`, fapiData: `${H}/binance/futures/data`,
      ws: { future: `${f.harness.server.wsUrl}/binance/ws` } } } });
    const handle = ex.handleMessage.bind(ex);
    ex.handleMessage = (client: unknown, message: unknown) => {
      const m = message as { result?: unknown; id?: unknown } | null;
      if (m !== null && typeof m === 'object' && 'result' in m && 'id' in m) acks.shift()?.(m.id);
      return handle(client as never, message as never);
    };
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
  });
  after(async () => {
    await ex?.close();
    await f?.harness.stop();
  });

  test('fetchMarkOHLCV / fetchIndexOHLCV / fetchPremiumIndexOHLCV: the recorded prices as 1m candles', async () => {
    const now = f.t0 + 200_000;
    const marks = stepCandles(series((s) => s.mark), MINUTE, now);
    assert.equal(marks.length, 4);
    assert.deepEqual(await withTimeout(ex.fetchMarkOHLCV(BTC, '1m', f.t0, 10), T, 'fetchMarkOHLCV'),
      marks.map((c) => [c.openTime, price(c.open), price(c.high), price(c.low), price(c.close), 0]));
    const indexes = stepCandles(series((s) => s.index), MINUTE, now);
    assert.equal(indexes[0]!.open, 600_050, 'the index from its first value at t0 + 30 s');
    assert.deepEqual(await withTimeout(ex.fetchIndexOHLCV(BTC, '1m', f.t0, 10), T, 'fetchIndexOHLCV'),
      indexes.map((c) => [c.openTime, price(c.open), price(c.high), price(c.low), price(c.close), 0]));
    const premiums = stepCandles(f.samples.map((s) => ({ time: s.time, value: s.premium })), MINUTE, now);
    assert.ok(premiums.length > 0);
    assert.deepEqual(await withTimeout(ex.fetchPremiumIndexOHLCV(BTC, '1m', f.t0, 10), T, 'fetchPremiumIndexOHLCV'),
      premiums.map((c) => [c.openTime, premium(c.open), premium(c.high), premium(c.low), premium(c.close), 0]));
    // The raw rows: Binance's twelve columns, the close time in the seventh.
    const { body } = await get('/fapi/v1/markPriceKlines', { symbol: 'BTCUSDT', interval: '1h', limit: 1 });
    const hour = stepCandles(series((s) => s.mark), 3600_000, now)[0]!;
    assert.deepEqual(body, [[f.t0, ...[hour.open, hour.high, hour.low, hour.close].map((t) => String(price(t))), '0', f.t0 + 3600_000 - 1, '0', 0, '0', '0', '0']]);
    const premiumRow = ((await get('/fapi/v1/premiumIndexKlines', { symbol: 'BTCUSDT', interval: '1h' })).body as string[][])[0]!;
    assert.match(premiumRow[4]!, /^-?\d+\.\d{8}$/, 'eight decimals, as Binance writes a premium index');
  });

  test('fetchOpenInterest: Σ of the long positions now; fetchOpenInterestHistory: the value at each period\'s start', async () => {
    const last = f.samples.at(-1)!.openInterest;
    assert.equal(last, 7);
    const current = await withTimeout(ex.fetchOpenInterest(BTC), T, 'fetchOpenInterest');
    assert.equal(current.openInterestAmount, 0.0007);
    assert.deepEqual((await get('/fapi/v1/openInterest', { symbol: 'BTCUSDT' })).body, { openInterest: '0.0007', symbol: 'BTCUSDT', time: f.t0 + 200_000 });
    // Half an hour later (the held clock): six 5-minute periods, 0 at t0, 7 at every later start.
    f.clock.fixed = f.t0 + 30 * MINUTE;
    try {
      const history = await withTimeout(ex.fetchOpenInterestHistory(BTC, '5m', f.t0), T, 'fetchOpenInterestHistory');
      const expected = stepCandles(series((s) => s.openInterest), 5 * MINUTE, f.t0 + 30 * MINUTE, 0);
      assert.deepEqual(history.map((h) => [h.timestamp, h.openInterestAmount]), expected.map((c) => [c.openTime, c.open / 10_000]));
      assert.deepEqual(history.map((h) => h.openInterestAmount), [0, 0.0007, 0.0007, 0.0007, 0.0007, 0.0007, 0.0007]);
      const { body } = await get('/futures/data/openInterestHist', { symbol: 'BTCUSDT', period: '5m', limit: 1 });
      const mark = f.samples.at(-1)!.mark!;
      assert.deepEqual(body, [{
        symbol: 'BTCUSDT', sumOpenInterest: '0.00070000', sumOpenInterestValue: formatScaled(7n * BigInt(mark) * 1000n, 8, 8), timestamp: String(f.t0 + 30 * MINUTE),
      }]);
    } finally {
      f.clock.fixed = f.t0 + 200_000;
    }
  });

  test('binance (npm, tiagosiebler) USDMClient: mark / index / premium klines, open interest and its statistics', async () => {
    const client = new USDMClient({ baseUrl: `${f.harness.server.url}/binance` });
    const now = f.t0 + 200_000;
    const marks = await withTimeout(client.getMarkPriceKlines({ symbol: 'BTCUSDT', interval: '1m', startTime: f.t0, limit: 10 }), T, 'getMarkPriceKlines');
    assert.deepEqual(marks.map((k) => [k[0], Number(k[1]), Number(k[4])]),
      stepCandles(series((s) => s.mark), MINUTE, now).map((c) => [c.openTime, price(c.open), price(c.close)]));
    const indexes = await withTimeout(client.getIndexPriceKlines({ pair: 'BTCUSDT', interval: '1h' }), T, 'getIndexPriceKlines');
    assert.equal(indexes.length, 1);
    const premiums = await withTimeout(client.getPremiumIndexKlines({ symbol: 'BTCUSDT', interval: '1h' }), T, 'getPremiumIndexKlines');
    assert.equal(premiums.length, 1);
    const interest = await withTimeout(client.getOpenInterest({ symbol: 'BTCUSDT' }), T, 'getOpenInterest');
    assert.deepEqual([Number(interest.openInterest), interest.symbol], [0.0007, 'BTCUSDT']);
    const statistics = await withTimeout(client.getOpenInterestStatistics({ symbol: 'BTCUSDT', period: '5m' }), T, 'getOpenInterestStatistics');
    assert.deepEqual(statistics.map((r) => [Number(r.timestamp), Number(r.sumOpenInterest)]), [[f.t0, 0]]);
  });

  test('bad input: Binance\'s codes for the new endpoints', async () => {
    const code = async (path: string, query: Record<string, string | number>): Promise<number> => ((await get(path, query)).body as { code: number }).code;
    assert.equal(await code('/fapi/v1/markPriceKlines', { symbol: 'BTCUSDT' }), -1102);
    assert.equal(await code('/fapi/v1/markPriceKlines', { symbol: 'BTCUSDT', interval: '7m' }), -1130);
    assert.equal(await code('/fapi/v1/markPriceKlines', { symbol: 'BTCUSDT', interval: '1m', price: 'mark' }), -1104);
    assert.equal(await code('/fapi/v1/indexPriceKlines', { symbol: 'BTCUSDT', interval: '1m' }), -1104, 'index klines take `pair`');
    assert.equal(await code('/fapi/v1/indexPriceKlines', { interval: '1m' }), -1102);
    assert.equal(await code('/fapi/v1/premiumIndexKlines', { symbol: 'NOPEUSDT', interval: '1m' }), -1121);
    assert.equal(await code('/fapi/v1/openInterest', { symbol: 'BTCUSDT', period: '5m' }), -1104);
    assert.equal(await code('/futures/data/openInterestHist', { symbol: 'BTCUSDT' }), -1102);
    assert.equal(await code('/futures/data/openInterestHist', { symbol: 'BTCUSDT', period: '1m' }), -1130);
    assert.equal(await code('/futures/data/openInterestHist', { symbol: 'BTCUSDT', period: '5m', limit: 501 }) < 0, true);
  });

  test('watchMarkPrices (`!markPrice@arr@1s`) and watchBidsAsks (`!bookTicker`): every symbol', async () => {
    const marks = await withTimeout(ex.watchMarkPrices(), T, 'watchMarkPrices');
    const engine = f.harness.server.exchange.engine;
    assert.equal(marks[BTC]?.markPrice, price(engine.prices('btc_usdt', f.t0)!.markPrice!));
    assert.equal(marks[BTC]?.indexPrice, price(engine.prices('btc_usdt', f.t0)!.indexPrice!));
    const acked = nextAck();
    const pending = ex.watchBidsAsks();
    await withTimeout(acked, T, '!bookTicker subscribed');
    // A new best bid on btc_usdt moves the top of book.
    const { result } = await f.harness.server.exchange.execute({
      type: 'placeOrder', accountId: f.maker, symbol: 'btc_usdt', side: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', timeInForce: 'GTC', price: 599_950, qty: 1, reduceOnly: false,
    });
    assert.equal(result.ok, true);
    const tops = await withTimeout(pending, T, 'watchBidsAsks');
    assert.deepEqual([tops[BTC]?.bid, tops[BTC]?.bidVolume], [59995, 0.0001]);
  });

  test('watchLiquidations (`!forceOrder@arr`) and watchLiquidationsForSymbols (`btcusdt@forceOrder`): the liquidation order', async () => {
    const acked = [nextAck(), nextAck()];
    const anySymbol = ex.watchLiquidationsForSymbols([]);
    const oneSymbol = ex.watchLiquidations(BTC);
    await withTimeout(Promise.all(acked), T, 'forceOrder streams subscribed');
    const event: LiquidationEvent = await f.liquidate();
    const average = Number(event.cumQuote) / event.filled / 10;
    for (const [pending, what] of [[anySymbol, '!forceOrder@arr'], [oneSymbol, 'btcusdt@forceOrder']] as const) {
      const [liquidation] = await withTimeout(pending, T, what);
      assert.deepEqual([liquidation?.symbol, liquidation?.side, liquidation?.contracts, liquidation?.timestamp], [BTC, 'sell', event.lastQty / 10_000, event.time], what);
      assert.ok(Math.abs((liquidation?.price ?? 0) - average) < 0.1, `${what}: the average price ${liquidation?.price} ≈ ${average}`);
      const info = liquidation!.info as Record<string, unknown>;
      assert.deepEqual([info.o, info.f, Number(info.q), Number(info.z), info.X], ['LIMIT', 'IOC', event.qty / 10_000, event.filled / 10_000, 'FILLED'], what);
    }
  });
});
