/**
 * Funding-rate history in every dialect, through ccxt 4.5.84's fetchFundingRateHistory (public
 * calls, no credentials): two settlements of btc_usdt at known times, listed by Binance
 * `/fapi/v1/fundingRate`, Bybit `/v5/market/funding/history`, KuCoin `/api/v1/contract/funding-rates`
 * and XT `q/funding-rate-record`, each with the engine's rate and time; the same after a restart on
 * the data directory; and the exchanges' refusals of bad windows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { formatRate } from '../../src/engine/fixed.js';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { StepClock } from '../support/history-scenario.js';
import { BTC, withTimeout } from './helpers.js';

const T = 10_000;
type Dialect = 'binanceusdm' | 'bybit' | 'kucoinfutures' | 'xt';
interface RateHistory { fetchFundingRateHistory(symbol?: string, since?: number, limit?: number): Promise<{ timestamp?: number; fundingRate?: number; symbol?: string }[]>; loadMarkets(): Promise<unknown> }

describe('ccxt fetchFundingRateHistory in every dialect', () => {
  let harness: Harness;
  let dataDir: string;
  const clock = new StepClock();
  const times: number[] = [];

  const make = (dialect: Dialect): RateHistory => {
    const H = harness.server.url;
    const base = { enableRateLimit: false, has: { fetchCurrencies: false } };
    switch (dialect) {
      case 'binanceusdm':
        return new ccxt.binanceusdm({ ...base, urls: { api: { fapiPublic: `${H}/binance/fapi/v1`, fapiPrivate: `${H}/binance/fapi/v1` } } }) as unknown as RateHistory;
      case 'bybit':
        return new ccxt.bybit({ ...base, options: { fetchMarkets: { types: ['linear'] } },
          urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit` } } }) as unknown as RateHistory;
      case 'kucoinfutures':
        return new ccxt.kucoinfutures({ ...base, options: { uta: false, hf: false },
          urls: { api: { public: `${H}/kucoin-spot`, private: `${H}/kucoin-spot`, futuresPublic: `${H}/kucoin-futures`, futuresPrivate: `${H}/kucoin-futures` } } }) as unknown as RateHistory;
      case 'xt':
        return new ccxt.xt({ ...base, options: { defaultType: 'swap' }, urls: { api: { spot: H, linear: H, inverse: H, user: H } } }) as unknown as RateHistory;
    }
  };

  before(async () => {
    dataDir = await tempDir('funding-history');
    const start = Math.floor(Date.now() / 1000) * 1000 - 3 * 3600_000;
    clock.fixed = start;
    harness = await Harness.start({ clock, dataDir });
    await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
    for (const hours of [1, 2]) {
      clock.fixed = start + hours * 3600_000;
      const reply = await harness.admin.request('POST', '/funding/settle', { symbol: 'btc_usdt' });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      times.push(clock.fixed);
    }
    clock.fixed = null;
  });
  after(async () => {
    await harness?.stop();
    await removeDir(dataDir);
  });

  const expected = (): { timestamp: number; fundingRate: number }[] =>
    harness.server.exchange.state.market.fundings('btc_usdt').map((f) => ({ timestamp: f.fundingTime, fundingRate: Number(formatRate(f.fundingRate)) }));

  for (const dialect of ['binanceusdm', 'bybit', 'kucoinfutures', 'xt'] as const) {
    test(`${dialect}: the two settlements, oldest first, at the engine's rate and time`, async () => {
      const ex = make(dialect);
      await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
      const history = await withTimeout(ex.fetchFundingRateHistory(BTC, times[0]! - 1000), T, 'fetchFundingRateHistory');
      assert.deepEqual(history.map((h) => ({ timestamp: h.timestamp, fundingRate: h.fundingRate })), expected());
      assert.deepEqual(expected().map((e) => e.timestamp), times);
      assert.ok(history.every((h) => h.symbol === BTC));
    });
  }

  test('refusals: Bybit startTime alone, KuCoin without from/to, XT a bad direction, Binance an unknown parameter', async () => {
    const H = harness.server.url;
    const json = async (path: string): Promise<Record<string, unknown>> => (await fetch(`${H}${path}`)).json() as Promise<Record<string, unknown>>;
    assert.equal((await json(`/bybit/v5/market/funding/history?category=linear&symbol=BTCUSDT&startTime=${times[0]}`)).retCode, 10001);
    assert.equal((await json('/kucoin-futures/api/v1/contract/funding-rates?symbol=XBTUSDTM')).code, '400100');
    assert.equal(((await json('/future/market/v1/public/q/funding-rate-record?symbol=btc_usdt&direction=UP')) as { returnCode: number }).returnCode, 1);
    assert.equal((await json('/binance/fapi/v1/fundingRate?symbol=BTCUSDT&page=2')).code, -1104);
  });

  test('a restart on the data directory lists the same history', async () => {
    const before = await (await fetch(`${harness.server.url}/binance/fapi/v1/fundingRate?symbol=BTCUSDT`)).json() as unknown;
    await harness.stop();
    harness = await Harness.start({ clock, dataDir });
    assert.deepEqual(await (await fetch(`${harness.server.url}/binance/fapi/v1/fundingRate?symbol=BTCUSDT`)).json(), before);
  });
});
