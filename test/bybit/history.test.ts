/**
 * Bybit's history readers against the engine's own events: GET /v5/account/transaction-log (one row
 * per fill, funding settlement, transfer; cashBalance the wallet after it; type, currency, window
 * and cursor), GET /v5/execution/list (fills and Funding settlements in one list, newest first;
 * execType picks one), GET /v5/position/closed-pnl (one row per order that closed part of a
 * position, a liquidation included, the rows adding up to the position); unknown parameters refused
 * (10001); the same rows after a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatAmount } from '../../src/engine/fixed.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { eventsOf, playHistoryScenario, type HistoryAccount, type HistoryScenario } from '../support/history-scenario.js';
import { BybitRest } from './client.js';

type Row = Record<string, string>;

/** What Bybit must log for an account, newest first: type, change and the wallet after it. */
function expectedLog(events: readonly EngineEvent[]): { type: string; change: string; cashBalance: string; tradeId: string }[] {
  const rows: { type: string; change: string; cashBalance: string; tradeId: string }[] = [];
  let wallet = 0n;
  for (const e of events) {
    if (e.type === 'trade') {
      const change = e.realizedPnl - e.fee;
      if (e.realizedPnl === 0n && e.fee === 0n) continue;
      wallet += change;
      rows.push({ type: e.source === 'USER' ? 'TRADE' : e.source, change: formatAmount(change), cashBalance: formatAmount(wallet), tradeId: String(e.tradeId) });
    } else if (e.type === 'funding' && e.fundingFee !== 0n) {
      wallet += e.fundingFee;
      rows.push({ type: 'SETTLEMENT', change: formatAmount(e.fundingFee), cashBalance: formatAmount(wallet), tradeId: '' });
    } else if (e.type === 'balance') {
      if (e.walletChange !== 0n && e.reason !== 'FUNDING_FEE') {
        const type = e.reason === 'LIQUIDATION' ? 'LIQUIDATION' : e.walletChange > 0n ? 'TRANSFER_IN' : 'TRANSFER_OUT';
        rows.push({ type, change: formatAmount(e.walletChange), cashBalance: formatAmount(e.balance.walletBalance), tradeId: '' });
      }
      assert.equal(e.balance.walletBalance, wallet + (e.walletChange !== 0n && e.reason !== 'FUNDING_FEE' ? e.walletChange : 0n));
      wallet = e.balance.walletBalance;
    }
  }
  return rows.reverse();
}

describe('Bybit history: transaction-log, Funding executions, closed-pnl', () => {
  let s: HistoryScenario;
  let dataDir: string;
  const client = (account: HistoryAccount, harness: Harness = s.harness): BybitRest => new BybitRest(harness.server.url, account.apiKey, account.secret);
  const get = async <T = Record<string, unknown>>(account: HistoryAccount, path: string, query: Record<string, string | number> = {}, harness?: Harness): Promise<T> => {
    const reply = await client(account, harness).get<T>(path, query);
    assert.equal(reply.retCode, 0, `${path} ${JSON.stringify(query)}: ${reply.retMsg}`);
    return reply.result;
  };
  const log = async (account: HistoryAccount, query: Record<string, string | number> = {}, harness?: Harness): Promise<Row[]> =>
    (await get<{ list: Row[] }>(account, '/v5/account/transaction-log', { limit: 50, ...query }, harness)).list;

  before(async () => {
    dataDir = await tempDir('bybit-history');
    s = await playHistoryScenario({ dataDir });
  });
  after(async () => {
    await s?.stop();
    await removeDir(dataDir);
  });

  test('transaction-log: every fill, settlement and transfer of every account, newest first, with the wallet after it', async () => {
    for (const account of [s.a, s.b, s.v]) {
      const rows = await log(account);
      assert.deepEqual(rows.map(({ type, change, cashBalance, tradeId }) => ({ type, change, cashBalance, tradeId })), expectedLog(s.events.get(account.accountId) ?? []));
      for (const row of rows) {
        // change = cashFlow − funding − fee (Bybit's identity), every amount a decimal string.
        const num = (text: string): bigint => (text === '' ? 0n : BigInt(Math.round(Number(text) * 1e8)));
        assert.equal(num(row.change!), num(row.cashFlow!) - num(row.funding!) - num(row.fee!), JSON.stringify(row));
      }
    }
    const close = (await log(s.a, { type: 'TRADE' })).find((r) => r.side === 'Sell')!;
    assert.deepEqual([close.symbol, close.category, close.currency, close.qty, close.size, close.tradePrice], ['BTCUSDT', 'linear', 'USDT', '0.001', '0', '60100']);
  });

  test('transaction-log: type, currency, startTime/endTime, cursor pagination', async () => {
    const all = await log(s.a);
    assert.deepEqual(await log(s.a, { type: 'SETTLEMENT' }), all.filter((r) => r.type === 'SETTLEMENT'));
    assert.deepEqual(await log(s.a, { currency: 'USDT' }), all);
    assert.deepEqual(await log(s.a, { currency: 'BTC' }), []);
    assert.deepEqual(await log(s.a, { startTime: s.times.funding, endTime: s.times.close }),
      all.filter((r) => Number(r.transactionTime) >= s.times.funding && Number(r.transactionTime) <= s.times.close));
    const pages: Row[] = [];
    let cursor = '';
    for (;;) {
      const { list, nextPageCursor } = await get<{ list: Row[]; nextPageCursor: string }>(s.a, '/v5/account/transaction-log', { limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(...list);
      if (nextPageCursor === '') break;
      cursor = nextPageCursor;
    }
    assert.deepEqual(pages, all);
  });

  test('execution/list?execType=Funding: the settlement as a Funding execution', async () => {
    const funding = eventsOf(s, s.a.accountId, 'funding');
    const { list } = await get<{ list: Row[] }>(s.a, '/v5/execution/list', { category: 'linear', execType: 'Funding' });
    assert.equal(list.length, funding.length);
    assert.deepEqual([list[0]!.execType, list[0]!.symbol, list[0]!.execFee, list[0]!.side], ['Funding', 'BTCUSDT', formatAmount(-funding[0]!.fundingFee), 'Buy']);
    assert.deepEqual((await get<{ list: Row[] }>(s.a, '/v5/execution/list', { category: 'linear', execType: 'Funding', endTime: s.times.open })).list, []);
  });

  test('execution/list without execType: fills and Funding settlements in one list, newest first, as Bybit mixes them', async () => {
    const expected = (s.events.get(s.a.accountId) ?? []).filter((e) => e.type === 'trade' || (e.type === 'funding' && e.fundingFee !== 0n))
      .map((e) => (e.type === 'trade' ? { execType: 'Trade', execId: String(e.tradeId) } : { execType: 'Funding', execId: '' })).reverse();
    const { list } = await get<{ list: Row[] }>(s.a, '/v5/execution/list', { category: 'linear' });
    assert.deepEqual(list.map((r) => ({ execType: r.execType, execId: r.execType === 'Funding' ? '' : r.execId })), expected);
    assert.deepEqual((await get<{ list: Row[] }>(s.a, '/v5/execution/list', { category: 'linear', execType: 'Trade' })).list, list.filter((r) => r.execType === 'Trade'));
    // Paging walks the mixed list.
    const pages: Row[] = [];
    let cursor = '';
    for (;;) {
      const reply = await get<{ list: Row[]; nextPageCursor: string }>(s.a, '/v5/execution/list', { category: 'linear', limit: 1, ...(cursor ? { cursor } : {}) });
      pages.push(...reply.list);
      if (reply.nextPageCursor === '') break;
      cursor = reply.nextPageCursor;
    }
    assert.deepEqual(pages, list);
    // A search by order finds no settlement; a bad execType is refused.
    const fill = list.find((r) => r.execType === 'Trade')!;
    assert.ok((await get<{ list: Row[] }>(s.a, '/v5/execution/list', { category: 'linear', orderId: fill.orderId! })).list.every((r) => r.execType === 'Trade'));
    assert.equal((await client(s.a).get('/v5/execution/list', { category: 'linear', execType: 'Nope' })).retCode, 10001);
    assert.equal((await client(s.a).get('/v5/execution/list', { category: 'linear', settleCoin: 'USDT' })).retCode, 10001);
  });

  test('closed-pnl: a closed by hand, v by its liquidation; net of fees', async () => {
    const [closedA] = (await get<{ list: Row[] }>(s.a, '/v5/position/closed-pnl', { category: 'linear' })).list;
    const trades = eventsOf(s, s.a.accountId, 'trade').filter((t) => t.time <= s.times.close); // the round trip, not a's later bid
    const pnl = trades.reduce((sum, t) => sum + t.realizedPnl - t.fee, 0n);
    assert.deepEqual([closedA!.symbol, closedA!.side, closedA!.qty, closedA!.avgEntryPrice, closedA!.avgExitPrice, closedA!.closedPnl, closedA!.execType],
      ['BTCUSDT', 'Sell', '0.001', '60000', '60100', formatAmount(pnl), 'Trade']);
    const [closedV] = (await get<{ list: Row[] }>(s.v, '/v5/position/closed-pnl', { category: 'linear', symbol: 'BTCUSDT' })).list;
    assert.equal(closedV!.execType, 'BustTrade');
    assert.equal((await log(s.v, { type: 'LIQUIDATION' })).length, 2, 'the liquidation fill and the insurance clearance');
    assert.deepEqual([closedV!.closedSize, closedV!.fillCount], ['0.01', '1']);
  });

  test('closed-pnl: one row per closing order, the order\'s fills in one row, the rows adding up to the position', async () => {
    const harness = await Harness.start();
    try {
      const exchange = harness.server.exchange;
      const x = await harness.account('10000');
      const y = await harness.account('10000');
      // Hedge mode (an admin-created account's default): x holds a long, y the short side.
      const place = async (accountId: number, side: 'BUY' | 'SELL', qty: number, price: number | null): Promise<void> => {
        const { result } = await exchange.execute({
          type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide: accountId === x.accountId ? 'LONG' : 'SHORT', qty, reduceOnly: false,
          ...(price === null ? { orderType: 'MARKET', timeInForce: 'IOC', price: 0 } : { orderType: 'LIMIT', timeInForce: 'GTC', price }),
        });
        assert.equal(result.ok, true, JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
      };
      await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
      await place(y.accountId, 'SELL', 4, 600_000);
      await place(y.accountId, 'SELL', 6, 600_500);
      await place(x.accountId, 'BUY', 10, 600_500); // x long 10: 4 at 60,000, 6 at 60,050
      await place(x.accountId, 'SELL', 6, 601_000); // a limit order to close 6 at 60,100 …
      await place(y.accountId, 'BUY', 2, 601_000); // … filled 2
      await place(y.accountId, 'BUY', 4, 601_000); // … and 4
      await place(y.accountId, 'BUY', 4, 599_000);
      await place(x.accountId, 'SELL', 4, null); // a market order closes the last 4 at 59,900
      const xAccount = { ...x, passphrase: '' };
      const rows = (await get<{ list: Row[] }>(xAccount, '/v5/position/closed-pnl', { category: 'linear' }, harness)).list;
      const pick = (r: Row): string[] => [r.side!, r.qty!, r.orderType!, r.orderPrice!, r.closedSize!, r.fillCount!, r.avgEntryPrice!, r.avgExitPrice!, r.execType!];
      assert.deepEqual(rows.map(pick), [
        ['Sell', '0.0004', 'Market', '0', '0.0004', '1', '60030', '59900', 'Trade'],
        ['Sell', '0.0006', 'Limit', '60100', '0.0006', '2', '60030', '60100', 'Trade'],
      ]);
      const trades = (await exchange.history.trades(x.accountId)).filter((t) => t.side === 'SELL');
      const opening = (await exchange.history.trades(x.accountId)).filter((t) => t.side === 'BUY');
      const net = trades.reduce((sum, t) => sum + t.realizedPnl - t.fee, 0n) - opening.reduce((sum, t) => sum + t.fee, 0n);
      const dec = (text: string): bigint => BigInt(Math.round(Number(text) * 1e8));
      assert.equal(rows.reduce((sum, r) => sum + dec(r.closedPnl!), 0n), net);
      assert.equal(rows.reduce((sum, r) => sum + dec(r.openFee!), 0n), opening.reduce((sum, t) => sum + t.fee, 0n));
      assert.equal(dec(rows[1]!.cumExitValue!), dec('36.06'));
    } finally {
      await harness.stop();
    }
  });

  test('bad input: unknown parameters, a window over 7 days, limit over the maximum, bad type', async () => {
    const c = client(s.a);
    assert.equal((await c.get('/v5/account/transaction-log', { page: 2 })).retCode, 10001);
    assert.equal((await c.get('/v5/account/transaction-log', { startTime: 0, endTime: 8 * 24 * 3600_000 })).retCode, 10001);
    assert.equal((await c.get('/v5/account/transaction-log', { limit: 51 })).retCode, 10001);
    assert.equal((await c.get('/v5/account/transaction-log', { type: 'NOPE' })).retCode, 10001);
    assert.equal((await c.get('/v5/position/closed-pnl', { category: 'linear', foo: 1 })).retCode, 10001);
    assert.equal((await c.get('/v5/position/closed-pnl', {})).retCode, 10001);
  });

  test('a restart on the data directory keeps every row', async () => {
    const before = await log(s.a);
    const closed = await get(s.v, '/v5/position/closed-pnl', { category: 'linear' });
    await s.stop();
    const restarted = await Harness.start({ dataDir });
    s = { ...s, harness: restarted, stop: () => restarted.stop() };
    assert.deepEqual(await log(s.a, {}, restarted), before);
    assert.deepEqual(await get(s.v, '/v5/position/closed-pnl', { category: 'linear' }, restarted), closed);
  });
});
