/**
 * KuCoin futures' history readers against the engine's own events: GET /api/v1/funding-history,
 * GET /api/v1/transaction-history (one entry per fill, settlement or transfer; type, currency,
 * one-day window, offset paging), GET /api/v1/history-positions (closed positions, a liquidation included);
 * unknown parameters refused (400100); the same rows after a restart on the data directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatAmount } from '../../src/engine/fixed.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { kucoinSymbolName } from '../../src/dialects/kucoin/symbols.js';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { eventsOf, playHistoryScenario, type HistoryAccount, type HistoryScenario } from '../support/history-scenario.js';
import { KucoinRest } from './client.js';

type Entry = Record<string, unknown>;

/** The transaction-history entries of an account, newest first: type, amount and the wallet after it. */
function expectedEntries(events: readonly EngineEvent[]): { type: string; amount: number; time: number }[] {
  const rows: { type: string; amount: number; time: number }[] = [];
  for (const e of events) {
    if (e.type === 'trade' && (e.realizedPnl !== 0n || e.fee !== 0n)) rows.push({ type: 'RealisedPNL', amount: Number(formatAmount(e.realizedPnl - e.fee)), time: e.time });
    else if (e.type === 'funding' && e.fundingFee !== 0n) rows.push({ type: 'RealisedPNL', amount: Number(formatAmount(e.fundingFee)), time: e.time });
    else if (e.type === 'balance' && e.walletChange !== 0n && e.reason !== 'FUNDING_FEE') {
      rows.push({ type: e.reason === 'LIQUIDATION' ? 'RealisedPNL' : e.walletChange > 0n ? 'Deposit' : 'Withdrawal', amount: Number(formatAmount(e.walletChange)), time: e.time });
    }
  }
  return rows.reverse();
}

describe('KuCoin history: funding-history, transaction-history, history-positions', () => {
  let s: HistoryScenario;
  let dataDir: string;
  let symbol: string;
  const client = (account: HistoryAccount, harness: Harness = s.harness): KucoinRest => new KucoinRest(harness.server.url, account.apiKey, account.secret, account.passphrase);
  const data = async <T = Entry>(account: HistoryAccount, path: string, query: Record<string, string | number | boolean> = {}, harness?: Harness): Promise<T> =>
    KucoinRest.data(await client(account, harness).get<T>(path, query));
  const entries = async (account: HistoryAccount, query: Record<string, string | number | boolean> = {}, harness?: Harness): Promise<Entry[]> =>
    (await data<{ dataList: Entry[] }>(account, '/api/v1/transaction-history', { maxCount: 200, ...query }, harness)).dataList;

  before(async () => {
    dataDir = await tempDir('kucoin-history');
    s = await playHistoryScenario({ dataDir });
    symbol = kucoinSymbolName(s.harness.server.exchange.engine.symbols().find((c) => c.symbol === 'btc_usdt')!)!;
  });
  after(async () => {
    await s?.stop();
    await removeDir(dataDir);
  });

  test('transaction-history: every entry of every account, newest first, each with the wallet after it', async () => {
    for (const account of [s.a, s.b, s.v]) {
      const rows = await entries(account);
      assert.deepEqual(rows.map(({ type, amount, time }) => ({ type, amount, time })), expectedEntries(s.events.get(account.accountId) ?? []));
      assert.ok(rows.every((r) => r.currency === 'USDT' && r.status === 'Completed' && typeof r.offset === 'number'));
    }
    const balances = eventsOf(s, s.a.accountId, 'balance');
    assert.equal((await entries(s.a))[0]!.accountEquity, Number(formatAmount(balances[balances.length - 1]!.balance.walletBalance)));
  });

  test('transaction-history: type, currency, one-day window, offset paging both ways', async () => {
    const all = await entries(s.a);
    assert.deepEqual(await entries(s.a, { type: 'Withdrawal' }), all.filter((r) => r.type === 'Withdrawal'));
    assert.deepEqual(await entries(s.a, { currency: 'XBT' }), []);
    assert.deepEqual(await entries(s.a, { startAt: s.times.funding, endAt: s.times.close }), all.filter((r) => (r.time as number) >= s.times.funding && (r.time as number) <= s.times.close));
    const first = await data<{ dataList: Entry[]; hasMore: boolean }>(s.a, '/api/v1/transaction-history', { maxCount: 2 });
    assert.equal(first.hasMore, true);
    const second = await data<{ dataList: Entry[] }>(s.a, '/api/v1/transaction-history', { maxCount: 2, offset: first.dataList[1]!.offset as number });
    assert.deepEqual([...first.dataList, ...second.dataList], all.slice(0, 4));
    const back = await data<{ dataList: Entry[] }>(s.a, '/api/v1/transaction-history', { maxCount: 2, offset: second.dataList[0]!.offset as number, forward: false });
    assert.deepEqual(back.dataList, first.dataList);
  });

  test('funding-history: the settlement of the contract, funding received (+) or paid (−)', async () => {
    const [funding] = eventsOf(s, s.a.accountId, 'funding');
    const { dataList, hasMore } = await data<{ dataList: Entry[]; hasMore: boolean }>(s.a, '/api/v1/funding-history', { symbol });
    assert.equal(hasMore, false);
    assert.equal(dataList.length, 1);
    assert.deepEqual([dataList[0]!.symbol, dataList[0]!.funding, dataList[0]!.positionQty, dataList[0]!.timePoint, dataList[0]!.settleCurrency],
      [symbol, Number(formatAmount(funding!.fundingFee)), funding!.qty, funding!.time, 'USDT']);
    const [received] = (await data<{ dataList: Entry[] }>(s.b, '/api/v1/funding-history', { symbol })).dataList;
    assert.ok((received!.funding as number) > 0);
    assert.deepEqual((await data<{ dataList: Entry[] }>(s.a, '/api/v1/funding-history', { symbol, endAt: s.times.open })).dataList, []);
  });

  test('history-positions: a closed by hand, v by its liquidation', async () => {
    const page = await data<{ items: Entry[]; totalNum: number; currentPage: number }>(s.a, '/api/v1/history-positions', { symbol });
    assert.equal(page.totalNum, 1);
    const [closed] = page.items;
    const trades = eventsOf(s, s.a.accountId, 'trade').filter((t) => t.time <= s.times.close); // the round trip, not a's later bid
    const funding = eventsOf(s, s.a.accountId, 'funding')[0]!.fundingFee;
    const net = trades.reduce((sum, t) => sum + t.realizedPnl - t.fee, 0n) + funding;
    assert.deepEqual([closed!.type, closed!.pnl, closed!.openPrice, closed!.closePrice, closed!.fundingFee],
      ['CLOSE_LONG', Number(formatAmount(net)), '60000', '60100', Number(formatAmount(funding))]);
    const [v] = (await data<{ items: Entry[] }>(s.v, '/api/v1/history-positions')).items;
    assert.equal(v!.type, 'LIQUID_LONG');
    assert.deepEqual((await data<{ items: Entry[] }>(s.a, '/api/v1/history-positions', { to: s.times.open })).items, []);
  });

  test('bad input: unknown parameters, a window over a day, missing symbol, bad type', async () => {
    const c = client(s.a);
    assert.equal((await c.get('/api/v1/transaction-history', { page: 2 })).body.code, '400100');
    assert.equal((await c.get('/api/v1/transaction-history', { startAt: 0, endAt: 2 * 24 * 3600_000 })).body.code, '400100');
    assert.equal((await c.get('/api/v1/transaction-history', { type: 'Nope' })).body.code, '400100');
    assert.equal((await c.get('/api/v1/funding-history', {})).body.code, '400100');
    assert.equal((await c.get('/api/v1/history-positions', { limit: 201 })).body.code, '400100');
  });

  test('a restart on the data directory keeps every row', async () => {
    const before = await entries(s.a);
    const positions = await data(s.v, '/api/v1/history-positions');
    const specs = s.harness.server.exchange.engine.symbols().map((c) => c.spec);
    await s.stop();
    // The same symbols as the scenario ran with, whatever the default set.
    const restarted = await Harness.start({ dataDir, symbols: specs });
    s = { ...s, harness: restarted, stop: () => restarted.stop() };
    assert.deepEqual(await entries(s.a, {}, restarted), before);
    assert.deepEqual(await data(s.v, '/api/v1/history-positions', {}, restarted), positions);
  });
});
