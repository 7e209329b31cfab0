/**
 * Public market data survives a crash of the real process (`node dist/src/main.js --no-sim` on a
 * data directory, killed with SIGKILL): trades, aggregate trades, candles, the mark-price klines and
 * the open interest read over Binance's REST before the kill are read back identically after the
 * restart — once recovered from the journal alone, once from a snapshot (taken by the off-thread
 * snapshot worker) plus the journal after it. No index price is set, so nothing but the test's own
 * commands changes the market (the price scheduler stays idle); every read names its time range, so
 * the wall clock moving on between reads changes nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { admin, cleanup, createFunded, expectOk, Rest, ServerProcess, tempDir } from './support.js';

const TOKEN = 'market-crash-admin-token';

after(cleanup);

describe('market data across SIGKILL', { timeout: 120_000 }, () => {
  test('trades, candles, mark klines and open interest are served the same after kill -9 and restart (journal only, then snapshot + journal)', async () => {
    const dir = join(await tempDir('market-crash'), 'data');
    let proc = await ServerProcess.start(dir, TOKEN);
    try {
      const api = () => admin(proc.url, TOKEN);
      const maker = await createFunded(api(), '100000');
      const taker = await createFunded(api(), '100000');
      const start = Date.now() - 60_000;
      const order = (who: typeof maker, body: Record<string, unknown>): Promise<string> =>
        new Rest(proc.url, who.apiKey, who.secret).post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', ...body })
          .then((reply) => expectOk(reply, `order ${JSON.stringify(body)}`));
      const mark = async (price: string): Promise<void> => {
        assert.equal((await api().request('POST', '/mark-price', { symbol: 'btc_usdt', price })).status, 200);
      };
      /** Some trading: the maker offers and bids, the taker takes both sides (open interest moves), the mark moves. */
      const trade = async (round: number): Promise<void> => {
        await mark(String(60000 + round * 10));
        await order(maker, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: String(60010 + round), origQty: '5' });
        await order(maker, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: String(59990 - round), origQty: '3' });
        await order(taker, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'MARKET', origQty: '4' });
        await order(taker, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'MARKET', origQty: '2' });
        await mark(String(60005 + round * 10));
      };
      /** What a client reads of btc_usdt, every range ending at `end`. */
      const read = async (end: number): Promise<Record<string, unknown>> => {
        const out: Record<string, unknown> = {};
        for (const [name, path, query] of [
          ['klines 1m', '/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', startTime: start, endTime: end }],
          ['klines 1h', '/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1h', startTime: start, endTime: end }],
          ['mark 1m', '/fapi/v1/markPriceKlines', { symbol: 'BTCUSDT', interval: '1m', startTime: start, endTime: end }],
          ['mark 1d', '/fapi/v1/markPriceKlines', { symbol: 'BTCUSDT', interval: '1d', startTime: start, endTime: end }],
          ['open interest 5m', '/futures/data/openInterestHist', { symbol: 'BTCUSDT', period: '5m', startTime: start, endTime: end }],
          ['trades', '/fapi/v1/trades', { symbol: 'BTCUSDT', limit: 1000 }],
          ['aggTrades', '/fapi/v1/aggTrades', { symbol: 'BTCUSDT', limit: 1000 }],
        ] as const) {
          const url = new URL(`${proc.url}/binance${path}`);
          for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
          const reply = await fetch(url);
          assert.equal(reply.status, 200, `${name}: ${reply.status}`);
          out[name] = await reply.json();
        }
        const interest = await fetch(`${proc.url}/binance/fapi/v1/openInterest?symbol=BTCUSDT`);
        out['open interest'] = ((await interest.json()) as { openInterest: string }).openInterest;
        return out;
      };
      /** Reads, kills the process with SIGKILL, restarts it on the same directory, reads again: the same. */
      const killAndCompare = async (what: string): Promise<void> => {
        const end = Date.now();
        const before = await read(end);
        assert.ok((before.trades as unknown[]).length > 0 && (before['mark 1m'] as unknown[]).length > 0, `${what}: something to compare`);
        assert.equal((await proc.kill('SIGKILL')).signal, 'SIGKILL');
        proc = await ServerProcess.start(dir, TOKEN);
        assert.equal(proc.recovery?.newEpoch, false, `${what}: recovered, not a fresh directory`);
        assert.deepEqual(await read(end), before, `${what}: the same market data after the restart`);
      };

      for (let round = 0; round < 3; round++) await trade(round);
      await killAndCompare('journal only');
      assert.equal(proc.recovery?.snapshotSeq, null, 'recovered from the journal alone');

      await trade(3);
      const snapshot = await api().request('POST', '/snapshot');
      assert.equal(snapshot.status, 200, JSON.stringify(snapshot.body));
      await trade(4);
      await killAndCompare('snapshot + journal');
      assert.ok((proc.recovery?.snapshotSeq ?? 0) > 0 && (proc.recovery?.replayed ?? 0) > 0, `recovered from the snapshot and the journal after it: ${JSON.stringify(proc.recovery)}`);
    } finally {
      await proc.kill('SIGKILL').catch(() => undefined);
    }
  });
});
