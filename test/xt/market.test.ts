/**
 * XT futures public market data against known trades at known times, through ccxt 4.5.84 `xt`
 * (defaultType swap, no credentials: public calls only), the xt-open-api client and plain HTTP:
 * fetchOrderBook is the engine's book with its update id `u`; fetchTrades each fill (`m` the
 * taker's side); fetchOHLCV at 1m and 1h (a minute without trades at the last close, no volume);
 * fetchTicker (agg-ticker) and the plain ticker's 24-hour figures; fetchBidsAsks; fetchFundingRate;
 * mark and index prices; fetchOpenInterest and fetchTickers of every symbol; XT's refusals (COMMON_003
 * invalid_params, SYMBOL_001); xt-open-api's
 * public REST calls and its public stream (/ws/market).
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { formatRate } from '../../src/engine/fixed.js';
import { withTimeout } from '../support/timeout.js';
import { playMarketScenario, type MarketScenario } from '../support/market-scenario.js';

const BTC = 'BTC/USDT:USDT';
const T = 10_000;
const HOUR = 3600_000;
const Q = '/future/market/v1/public/q';
const CHILD = fileURLToPath(new URL('../clients/xt-open-api-child.js', import.meta.url));

type Fixture = MarketScenario;

describe('XT public market data: depth, deals, klines, tickers, prices, funding rate', () => {
  let f: Fixture;
  let ex: InstanceType<typeof ccxt.xt>;
  const get = async (path: string, query: Record<string, string | number> = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
    const url = new URL(`${f.harness.server.url}${Q}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const reply = await fetch(url);
    return { status: reply.status, body: await reply.json() as Record<string, unknown> };
  };
  const result = async (path: string, query: Record<string, string | number> = {}): Promise<unknown> => {
    const { body } = await get(path, query);
    assert.equal(body.msgInfo, 'success', JSON.stringify(body));
    return body.result;
  };
  const refusal = async (path: string, query: Record<string, string | number>): Promise<{ code: string; msg: string }> => {
    const { body } = await get(path, query);
    assert.equal(body.returnCode, 1, JSON.stringify(body));
    return body.error as { code: string; msg: string };
  };

  before(async () => {
    f = await playMarketScenario();
    const H = f.harness.server.url;
    ex = new ccxt.xt({ enableRateLimit: false, has: { fetchCurrencies: false }, options: { defaultType: 'swap' }, urls: { api: { spot: H, linear: H, inverse: H, user: H } } });
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
  });
  after(async () => {
    await f?.harness.stop();
  });

  test('fetchOrderBook: the engine\'s book in contracts, nonce = the book update id', async () => {
    const book = await withTimeout(ex.fetchOrderBook(BTC), T, 'fetchOrderBook');
    const depth = f.harness.server.exchange.engine.depth('btc_usdt', 50)!;
    assert.deepEqual(book.bids, depth.bids.map(([p, q]) => [p / 10, q]));
    assert.deepEqual(book.asks, depth.asks.map(([p, q]) => [p / 10, q]));
    assert.deepEqual(book.bids, [[59990, 3]]);
    assert.deepEqual(book.asks, [[60020, 2]]);
    assert.equal(book.nonce, depth.updateId);
    assert.equal(book.timestamp, f.t0 + 200_000);
    assert.deepEqual(await result('/depth', { symbol: 'btc_usdt', level: 1 }),
      { t: f.t0 + 200_000, s: 'btc_usdt', u: depth.updateId, b: [['59990', '3']], a: [['60020', '2']] });
  });

  test('fetchTrades: each fill, the taker\'s side, amounts in base', async () => {
    const trades = await withTimeout(ex.fetchTrades(BTC), T, 'fetchTrades');
    const rows = trades.map((t) => [t.timestamp, t.price, t.amount, t.side]).sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number));
    assert.deepEqual(rows, [
      [f.t0 + 10_000, 60010, 0.0002, 'buy'],
      [f.t0 + 70_000, 60010, 0.0003, 'buy'],
      [f.t0 + 70_000, 60020, 0.0001, 'buy'],
      [f.t0 + 190_000, 59990, 0.0001, 'sell'],
    ]);
    assert.deepEqual(await result('/deal', { symbol: 'btc_usdt', num: 2 }), [
      { s: 'btc_usdt', p: '59990', a: '1', m: 'ASK', t: f.t0 + 190_000 },
      { s: 'btc_usdt', p: '60020', a: '1', m: 'BID', t: f.t0 + 70_000 },
    ]);
  });

  test('fetchOHLCV 1m and 1h: candles from the trades, volume in contracts, a quiet minute at the last close', async () => {
    const minutes = await withTimeout(ex.fetchOHLCV(BTC, '1m', f.t0, 10), T, 'fetchOHLCV 1m');
    assert.deepEqual(minutes, [
      [f.t0, 60010, 60010, 60010, 60010, 2],
      [f.t0 + 60_000, 60010, 60020, 60010, 60020, 4],
      [f.t0 + 120_000, 60020, 60020, 60020, 60020, 0],
      [f.t0 + 180_000, 59990, 59990, 59990, 59990, 1],
    ]);
    const hours = await withTimeout(ex.fetchOHLCV(BTC, '1h', f.t0), T, 'fetchOHLCV 1h');
    assert.deepEqual(hours, [[f.t0, 60010, 60020, 59990, 59990, 7]]);
    assert.deepEqual(await result('/kline', { symbol: 'btc_usdt', interval: '1m', limit: 1 }),
      [{ s: 'btc_usdt', p: 'btc_usdt', t: f.t0 + 180_000, o: '59990', c: '59990', h: '59990', l: '59990', a: '1', v: '5.999' }]);
    assert.deepEqual(await result('/kline', { symbol: 'btc_usdt', interval: '1m', startTime: f.t0 + 60_000, endTime: f.t0 + 120_000 }),
      [{ s: 'btc_usdt', p: 'btc_usdt', t: f.t0 + 60_000, o: '60010', c: '60020', h: '60020', l: '60010', a: '4', v: '24.005' },
        { s: 'btc_usdt', p: 'btc_usdt', t: f.t0 + 120_000, o: '60020', c: '60020', h: '60020', l: '60020', a: '0', v: '0' }]);
  });

  test('fetchTicker (agg-ticker) and the ticker: the last 24 hours, mark, index and best bid/ask', async () => {
    const ticker = await withTimeout(ex.fetchTicker(BTC), T, 'fetchTicker');
    assert.deepEqual([ticker.open, ticker.high, ticker.low, ticker.last, ticker.baseVolume, ticker.bid, ticker.ask], [60010, 60020, 59990, 59990, 7, 59990, 60020]);
    assert.equal(ticker.quoteVolume, 42.006); // 0.0005 × 60,010 + 0.0001 × 60,020 + 0.0001 × 59,990
    assert.equal(ticker.percentage, -0.03); // r = (59,990 − 60,010) / 60,010 to 4 places
    const info = ticker.info as Record<string, unknown>;
    assert.equal(info.m, '60000');
    assert.deepEqual(await result('/ticker', { symbol: 'btc_usdt' }),
      { t: f.t0 + 200_000, s: 'btc_usdt', c: '59990', h: '60020', l: '59990', o: '60010', a: '7', v: '42.006', r: '-0.0003' });
    const tickers = await withTimeout(ex.fetchTickers([BTC]), T, 'fetchTickers');
    assert.equal(tickers[BTC]!.last, 59990);
    assert.equal((await result('/tickers') as unknown[]).length, f.harness.server.exchange.engine.symbols().length);
  });

  test('fetchBidsAsks (ticker/books), ticker/book, mark and index prices', async () => {
    const tops = await withTimeout(ex.fetchBidsAsks([BTC]), T, 'fetchBidsAsks');
    assert.deepEqual([tops[BTC]!.bid, tops[BTC]!.bidVolume, tops[BTC]!.ask, tops[BTC]!.askVolume], [59990, 3, 60020, 2]);
    assert.deepEqual(await result('/ticker/book', { symbol: 'btc_usdt' }), { t: f.t0 + 200_000, s: 'btc_usdt', ap: '60020', aq: '2', bp: '59990', bq: '3' });
    assert.deepEqual(await result('/symbol-mark-price', { symbol: 'btc_usdt' }), { s: 'btc_usdt', p: '60000', t: f.t0 + 200_000 });
    const prices = f.harness.server.exchange.engine.prices('btc_usdt', f.t0 + 200_000)!;
    const index = await result('/symbol-index-price', { symbol: 'btc_usdt' }) as { p: string };
    assert.equal(Number(index.p), (prices.indexPrice ?? 0) / 10);
    const marks = await result('/mark-price') as { s: string }[];
    assert.deepEqual(marks.map((m) => m.s), f.harness.server.exchange.engine.symbols().map((c) => c.symbol));
    assert.equal((await result('/index-price') as unknown[]).length, marks.length);
  });

  test('fetchFundingRate: the running interval\'s rate, when it is collected, the interval in hours', async () => {
    const funding = await withTimeout(ex.fetchFundingRate(BTC), T, 'fetchFundingRate');
    const prices = f.harness.server.exchange.engine.prices('btc_usdt', f.t0 + 200_000)!;
    assert.equal(funding.fundingRate, Number(formatRate(prices.predictedFundingRate)));
    assert.equal(funding.fundingTimestamp, prices.nextFundingTime);
    assert.equal(funding.interval, `${prices.fundingIntervalMs / HOUR}h`);
  });

  test('fetchOpenInterest (contract/open-interest): Σ of the long positions in the base coin, its value at the mark; fetchTickers of every symbol', async () => {
    // The taker's longs (2 + 4) and the maker's long leg (1, from the taker's short sale): 7 contracts of 0.0001.
    assert.equal(f.harness.server.exchange.engine.prices('btc_usdt', f.t0)!.openInterest, 7);
    const interest = await withTimeout(ex.fetchOpenInterest(BTC), T, 'fetchOpenInterest');
    assert.deepEqual([interest.openInterestAmount, interest.openInterestValue, interest.timestamp], [0.0007, 42, f.t0 + 200_000]);
    const { body } = await get('/../contract/open-interest', { symbol: 'btc_usdt' });
    assert.deepEqual(body.result, { symbol: 'btc_usdt', openInterest: '0.0007', openInterestUsd: '42', time: f.t0 + 200_000 });
    assert.equal((await refusal('/../contract/open-interest', {})).code, 'COMMON_003');
    assert.match((await refusal('/../contract/open-interest', { symbol: 'btc_usdt', period: '5m' })).msg, /period is not a parameter/);
    const all = await withTimeout(ex.fetchTickers(), T, 'fetchTickers');
    assert.deepEqual(Object.keys(all).sort(), ['BTC/USDT:USDT', 'ETH/USDT:USDT']);
  });

  test('bad input: XT\'s refusals (COMMON_003 invalid_params → ccxt BadRequest, SYMBOL_001 → BadSymbol)', async () => {
    assert.equal((await refusal('/depth', { symbol: 'btc_usdt' })).code, 'COMMON_003');
    assert.match((await refusal('/depth', { symbol: 'btc_usdt', level: 51 })).msg, /^invalid_params: invalid_level/);
    assert.match((await refusal('/depth', { symbol: 'btc_usdt', level: 5, foo: 1 })).msg, /foo is not a parameter/);
    assert.equal((await refusal('/depth', { symbol: 'nope_usdt', level: 5 })).code, 'SYMBOL_001');
    assert.equal((await refusal('/depth', { level: 5 })).code, 'COMMON_003');
    assert.match((await refusal('/deal', { symbol: 'btc_usdt', num: 0 })).msg, /invalid_num/);
    assert.match((await refusal('/kline', { symbol: 'btc_usdt', interval: '7m' })).msg, /invalid_interval/);
    assert.match((await refusal('/kline', { symbol: 'btc_usdt' })).msg, /invalid_interval/);
    assert.match((await refusal('/kline', { symbol: 'btc_usdt', interval: '1m', limit: 1501 })).msg, /invalid_limit/);
    assert.equal((await refusal('/mark-price', { symbol: 'btc_usdt' })).code, 'COMMON_003');
    assert.equal((await refusal('/ticker', {})).code, 'COMMON_003');
    await assert.rejects(ex.fetchOrderBook(BTC, undefined, { foo: 1 }), ccxt.BadRequest);
    await assert.rejects(ex.fetchOHLCV(BTC, '1m', undefined, undefined, { interval: '7m' }), ccxt.BadRequest);
  });

  test('xt-open-api: its futureU REST (signing public calls too) getTradeDepth and getAggTicker, and its public futureWss stream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xt-open-api-market-'));
    try {
      // The library refuses to send without keys; public endpoints ignore its signature headers.
      await writeFile(join(dir, '.config.json'), JSON.stringify({
        accessKey: 'unused', secretKey: 'unused', futureUHost: f.harness.server.url, futureSocketHostMarket: `${f.harness.server.wsUrl}/ws/market`,
      }));
      const child = fork(CHILD, [], { cwd: dir, execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      const replies = new Map<number, (value: unknown) => void>();
      const callbacks: Record<string, unknown>[] = [];
      let onCallback: (() => void) | null = null;
      child.on('message', (message: { kind: string; id: number; value?: unknown; error?: unknown; data?: Record<string, unknown> }) => {
        if (message.kind === 'reply') replies.get(message.id)?.(message.error === undefined ? message.value : { error: message.error });
        if (message.kind === 'callback') {
          callbacks.push(message.data!);
          onCallback?.();
        }
      });
      let next = 1;
      const call = (method: string, args: Record<string, unknown>): Promise<unknown> => {
        const id = next++;
        const reply = new Promise<unknown>((resolve) => replies.set(id, resolve));
        child.send({ id, call: `futureU.${method}`, args });
        return withTimeout(reply, T, method);
      };
      try {
        const depth = await call('getTradeDepth', { symbol: 'btc_usdt', level: 5 }) as { result: Record<string, unknown> };
        const engine = f.harness.server.exchange.engine.depth('btc_usdt', 5)!;
        assert.deepEqual(depth.result, { t: f.t0 + 200_000, s: 'btc_usdt', u: engine.updateId, b: [['59990', '3']], a: [['60020', '2']] });
        const agg = await call('getAggTicker', { symbol: 'btc_usdt' }) as { returnCode: number; result: Record<string, unknown> };
        assert.equal(agg.returnCode, 0);
        assert.deepEqual([agg.result.c, agg.result.m, agg.result.bp, agg.result.ap], ['59990', '60000', '59990', '60020']);
        // Its public stream: a lower-case subscribe of mark_price@btc_usdt; the callback gets the push.
        child.send({ id: next++, call: 'futureWss.subscribe', topics: ['mark_price@btc_usdt'] });
        await withTimeout((async () => {
          while (!callbacks.some((c) => c.event === 'mark_price@btc_usdt')) await new Promise<void>((resolve) => (onCallback = resolve));
        })(), T, 'the library\'s mark_price callback');
        assert.deepEqual(callbacks.find((c) => c.event === 'mark_price@btc_usdt'),
          { topic: 'mark_price', event: 'mark_price@btc_usdt', data: { s: 'btc_usdt', p: '60000', t: f.t0 + 200_000 } });
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ id: 0, call: 'close' });
        await withTimeout(exited, T, 'the library\'s process to exit');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
