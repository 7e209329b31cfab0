/**
 * Binance's history readers against the engine's own events: GET /fapi/v1/income (every income type
 * the engine produces, time window, incomeType, symbol, page and limit), /fapi/v1/forceOrders (the
 * liquidation of an under-margined account), /fapi/v1/symbolConfig; unknown parameters refused (-1104);
 * and the same rows after a restart on the data directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatAmount } from '../../src/engine/fixed.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { eventsOf, playHistoryScenario, type HistoryAccount, type HistoryScenario } from '../support/history-scenario.js';
import { BinanceRest, type Json } from './client.js';

const rest8 = (units: bigint): string => formatAmount(units, 8);

/** The income rows Binance must show for an account: one per money movement, from the engine's events. */
function expectedIncome(events: readonly EngineEvent[]): Json[] {
  const rows: Json[] = [];
  for (const e of events) {
    if (e.type === 'trade') {
      if (e.realizedPnl !== 0n) rows.push({ symbol: 'BTCUSDT', incomeType: 'REALIZED_PNL', income: rest8(e.realizedPnl), asset: 'USDT', time: e.time, tradeId: String(e.tradeId) });
      if (e.fee !== 0n) rows.push({ symbol: 'BTCUSDT', incomeType: 'COMMISSION', income: rest8(-e.fee), asset: e.feeAsset, time: e.time, tradeId: String(e.tradeId) });
    } else if (e.type === 'funding' && e.fundingFee !== 0n) {
      rows.push({ symbol: 'BTCUSDT', incomeType: 'FUNDING_FEE', income: rest8(e.fundingFee), asset: 'USDT', time: e.time, tradeId: '' });
    } else if (e.type === 'balance' && e.walletChange !== 0n && e.reason !== 'FUNDING_FEE') {
      const type = e.reason === 'LIQUIDATION' ? 'INSURANCE_CLEAR' : 'TRANSFER';
      rows.push({ symbol: '', incomeType: type, income: rest8(e.walletChange), asset: e.balance.asset, time: e.time, tradeId: '' });
    }
  }
  return rows;
}

const strip = (rows: Json[]): Json[] => rows.map(({ symbol, incomeType, income, asset, time, tradeId }) => ({ symbol, incomeType, income, asset, time, tradeId }));

describe('Binance history: income, forceOrders, symbolConfig', () => {
  let s: HistoryScenario;
  let dataDir: string;
  const client = (account: HistoryAccount, harness: Harness = s.harness): BinanceRest => new BinanceRest(harness.server.url, account.apiKey, account.secret);
  const income = async (account: HistoryAccount, params: Record<string, string | number> = {}, harness?: Harness): Promise<Json[]> =>
    client(account, harness).ok<Json[]>('GET', '/fapi/v1/income', params);

  before(async () => {
    dataDir = await tempDir('binance-history');
    s = await playHistoryScenario({ dataDir });
  });
  after(async () => {
    await s?.stop();
    await removeDir(dataDir);
  });

  test('income: every row of every account equals what the engine did, oldest first, with unique tranIds', async () => {
    for (const account of [s.a, s.b, s.v]) {
      const rows = await income(account, { limit: 1000 });
      assert.deepEqual(strip(rows), expectedIncome(s.events.get(account.accountId) ?? []), `account ${account.accountId}`);
      assert.equal(new Set(rows.map((r) => `${String(r.incomeType)}:${String(r.tranId)}`)).size, rows.length);
      assert.ok(rows.every((r) => typeof r.tranId === 'number' && r.info !== undefined));
    }
    const types = new Set((await income(s.a)).map((r) => r.incomeType));
    assert.deepEqual([...types].sort(), ['COMMISSION', 'FUNDING_FEE', 'REALIZED_PNL', 'TRANSFER']);
  });

  test('income: incomeType, symbol, startTime/endTime (inclusive), page and limit', async () => {
    const all = await income(s.a);
    const funding = await income(s.a, { incomeType: 'FUNDING_FEE' });
    assert.deepEqual(funding, all.filter((r) => r.incomeType === 'FUNDING_FEE'));
    assert.equal(funding.length, 1);
    assert.equal(funding[0]!.income, rest8(eventsOf(s, s.a.accountId, 'funding')[0]!.fundingFee));
    assert.deepEqual(await income(s.a, { symbol: 'BTCUSDT' }), all.filter((r) => r.symbol === 'BTCUSDT'));
    assert.deepEqual(await income(s.a, { startTime: s.times.funding, endTime: s.times.close }), all.filter((r) => (r.time as number) >= s.times.funding && (r.time as number) <= s.times.close));
    assert.deepEqual(await income(s.a, { startTime: s.times.withdraw }), all.filter((r) => (r.time as number) >= s.times.withdraw));
    const page1 = await income(s.a, { limit: 2, page: 1 });
    const page2 = await income(s.a, { limit: 2, page: 2 });
    assert.deepEqual([...page1, ...page2], all.slice(0, 4));
    assert.deepEqual(await income(s.a, { incomeType: 'WELCOME_BONUS' }), []);
  });

  test('income of the liquidated account: the liquidation fill as REALIZED_PNL without fee, then INSURANCE_CLEAR', async () => {
    const [liquidation] = eventsOf(s, s.v.accountId, 'trade').filter((t) => t.source === 'LIQUIDATION');
    const rows = await income(s.v);
    assert.deepEqual(rows.filter((r) => r.tradeId === String(liquidation!.tradeId)).map((r) => [r.incomeType, r.income]),
      [['REALIZED_PNL', rest8(liquidation!.realizedPnl)]]);
    const clearance = eventsOf(s, s.v.accountId, 'balance').find((b) => b.reason === 'LIQUIDATION' && b.walletChange !== 0n)!;
    assert.deepEqual(await income(s.v, { incomeType: 'INSURANCE_CLEAR' }).then((r) => r.map((x) => [x.income, x.time])), [[rest8(clearance.walletChange), clearance.time]]);
  });

  test('forceOrders: the account\'s liquidation / ADL orders, filtered by autoCloseType', async () => {
    const closes = eventsOf(s, s.v.accountId, 'order').filter((o) => o.order.source !== 'USER' && o.order.state === 'FILLED');
    assert.ok(closes.length > 0);
    const orders = await client(s.v).ok<Json[]>('GET', '/fapi/v1/forceOrders');
    assert.deepEqual(orders.map((o) => o.orderId).sort(), closes.map((o) => o.order.orderId).sort());
    assert.deepEqual(closes.map((o) => o.order.source), ['LIQUIDATION']);
    assert.deepEqual([orders[0]!.type, orders[0]!.side, orders[0]!.executedQty, orders[0]!.avgPrice], ['LIQUIDATION', 'SELL', '0.0100', '56300.00000']);
    assert.equal((await client(s.v).ok<Json[]>('GET', '/fapi/v1/forceOrders', { autoCloseType: 'LIQUIDATION' })).length, 1);
    assert.equal((await client(s.v).ok<Json[]>('GET', '/fapi/v1/forceOrders', { autoCloseType: 'ADL' })).length, 0);
    assert.deepEqual(await client(s.a).ok<Json[]>('GET', '/fapi/v1/forceOrders'), []);
    assert.deepEqual(await client(s.v).ok<Json[]>('GET', '/fapi/v1/forceOrders', { endTime: s.times.leveraged }), []);
  });

  test('symbolConfig: margin type, leverage and max notional per symbol', async () => {
    const rows = await client(s.v).ok<Json[]>('GET', '/fapi/v1/symbolConfig', { symbol: 'BTCUSDT' });
    assert.equal(rows.length, 1);
    assert.deepEqual({ ...rows[0], maxNotionalValue: undefined }, { symbol: 'BTCUSDT', marginType: 'CROSSED', isAutoAddMargin: 'false', leverage: 20, maxNotionalValue: undefined });
    assert.ok((await client(s.v).ok<Json[]>('GET', '/fapi/v1/symbolConfig')).length >= 2);
  });

  test('bad input: unknown parameters, bad incomeType, reversed window, limit over the maximum', async () => {
    const c = client(s.a);
    const unknown = await c.signed<Json>('GET', '/fapi/v1/income', { fromId: 1 });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, -1104);
    assert.equal((await c.signed<Json>('GET', '/fapi/v1/income', { incomeType: 'NOPE' })).body.code, -1130);
    assert.equal((await c.signed<Json>('GET', '/fapi/v1/income', { startTime: 10, endTime: 5 })).body.code, -1130);
    assert.equal((await c.signed<Json>('GET', '/fapi/v1/income', { limit: 1001 })).body.code, -1100);
    assert.equal((await c.signed<Json>('GET', '/fapi/v1/forceOrders', { autoCloseType: 'X' })).body.code, -1130);
    assert.equal((await c.signed<Json>('GET', '/fapi/v1/forceOrders', { limit: 101 })).body.code, -1100);
    assert.equal((await c.signed<Json>('GET', '/fapi/v1/symbolConfig', { leverage: 3 })).body.code, -1104);
  });

  test('a restart on the data directory keeps every row (snapshot + journal replay)', async () => {
    const before = new Map<number, Json[]>();
    for (const account of [s.a, s.b, s.v]) before.set(account.accountId, await income(account));
    const force = await client(s.v).ok<Json[]>('GET', '/fapi/v1/forceOrders');
    await s.stop();
    const restarted = await Harness.start({ dataDir });
    s = { ...s, harness: restarted, stop: () => restarted.stop() };
    for (const account of [s.a, s.b, s.v]) assert.deepEqual(await income(account, {}, restarted), before.get(account.accountId));
    assert.deepEqual(await client(s.v, restarted).ok<Json[]>('GET', '/fapi/v1/forceOrders'), force);

    // Without its snapshots the directory recovers by replaying the whole journal: the same rows.
    await restarted.stop();
    const replayDir = await tempDir('binance-history-replay');
    await cp(dataDir, replayDir, { recursive: true });
    await rm(join(replayDir, 'snapshots'), { recursive: true });
    const replayed = await Harness.start({ dataDir: replayDir });
    s = { ...s, harness: replayed, stop: async () => { await replayed.stop(); await removeDir(replayDir); } };
    assert.equal(replayed.server.recovery?.snapshotSeq, null, 'recovered from the journal alone');
    assert.ok((replayed.server.recovery?.replayed ?? 0) > 0);
    for (const account of [s.a, s.b, s.v]) assert.deepEqual(await income(account, {}, replayed), before.get(account.accountId));
    assert.deepEqual(await client(s.v, replayed).ok<Json[]>('GET', '/fapi/v1/forceOrders'), force);
  });
});
