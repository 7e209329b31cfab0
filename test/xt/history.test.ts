/**
 * XT's history readers against the engine's own events: GET /future/user/v1/balance/bills (one
 * record per money movement, afterAmount the wallet after it; id/direction paging, symbol and time
 * filters), /future/user/v1/balance/funding-rate-list, /future/trade/v1/position/list-history;
 * unknown parameters refused (COMMON_003); the same records after a restart on the data directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatAmount } from '../../src/engine/fixed.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { removeDir, tempDir } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { eventsOf, playHistoryScenario, type HistoryAccount, type HistoryScenario } from '../support/history-scenario.js';
import { XtClient } from '../support/xt-client.js';

type Item = Record<string, unknown>;
interface Page { hasPrev: boolean; hasNext: boolean; items: Item[] }

/** The bills of an account, newest first: type, signed amount (side + unsigned amount on the wire), time. */
function expectedBills(events: readonly EngineEvent[]): { type: string; amount: string; createdTime: number }[] {
  const rows: { type: string; amount: string; createdTime: number }[] = [];
  for (const e of events) {
    if (e.type === 'trade') {
      if (e.realizedPnl !== 0n) rows.push({ type: e.source === 'ADL' ? 'ADL' : 'CLOSE_POSITION', amount: formatAmount(e.realizedPnl), createdTime: e.time });
      if (e.fee !== 0n) rows.push({ type: 'FEE', amount: formatAmount(-e.fee), createdTime: e.time });
    } else if (e.type === 'funding' && e.fundingFee !== 0n) {
      rows.push({ type: 'FUND', amount: formatAmount(e.fundingFee), createdTime: e.time });
    } else if (e.type === 'balance' && e.walletChange !== 0n && e.reason !== 'FUNDING_FEE') {
      rows.push({ type: e.reason === 'LIQUIDATION' ? 'QIANG_PING_MANAGER' : 'EXCHANGE', amount: formatAmount(e.walletChange), createdTime: e.time });
    }
  }
  return rows.reverse();
}

describe('XT history: balance/bills, balance/funding-rate-list, position/list-history', () => {
  let s: HistoryScenario;
  let dataDir: string;
  const client = (account: HistoryAccount, harness: Harness = s.harness): XtClient => new XtClient(harness.server.url, account.apiKey, account.secret);
  const result = async (account: HistoryAccount, path: string, query: Record<string, string | number> = {}, harness?: Harness): Promise<Page> => {
    const reply = await client(account, harness).get<Page>(path, query);
    assert.equal(reply.returnCode, 0, `${path}: ${JSON.stringify(reply)}`);
    return reply.result;
  };
  const bills = async (account: HistoryAccount, query: Record<string, string | number> = {}, harness?: Harness): Promise<Item[]> =>
    (await result(account, '/future/user/v1/balance/bills', { limit: 100, ...query }, harness)).items;

  before(async () => {
    dataDir = await tempDir('xt-history');
    s = await playHistoryScenario({ dataDir });
  });
  after(async () => {
    await s?.stop();
    await removeDir(dataDir);
  });

  test('bills: every money movement of every account, newest first, afterAmount the wallet after it', async () => {
    for (const account of [s.a, s.b, s.v]) {
      const items = await bills(account);
      const signed = items.map(({ type, side, amount, createdTime }) => ({ type, amount: side === 'SUB' ? `-${amount as string}` : amount, createdTime }));
      assert.deepEqual(signed, expectedBills(s.events.get(account.accountId) ?? []));
      assert.ok(items.every((i) => i.coin === 'usdt' && !(i.amount as string).startsWith('-')));
    }
    const balances = eventsOf(s, s.a.accountId, 'balance');
    assert.equal((await bills(s.a))[0]!.afterAmount, formatAmount(balances[balances.length - 1]!.balance.walletBalance));
  });

  test('bills: symbol, startTime/endTime, id + direction paging', async () => {
    const all = await bills(s.a);
    assert.deepEqual(await bills(s.a, { symbol: 'btc_usdt' }), all.filter((i) => i.symbol === 'btc_usdt'));
    assert.deepEqual(await bills(s.a, { startTime: s.times.funding, endTime: s.times.close }),
      all.filter((i) => (i.createdTime as number) >= s.times.funding && (i.createdTime as number) <= s.times.close));
    const first = await result(s.a, '/future/user/v1/balance/bills', { limit: 2 });
    assert.deepEqual([first.hasPrev, first.hasNext], [false, true]);
    const second = await result(s.a, '/future/user/v1/balance/bills', { limit: 2, id: first.items[1]!.id as number, direction: 'NEXT' });
    assert.deepEqual([...first.items, ...second.items], all.slice(0, 4));
    assert.equal(second.hasPrev, true);
    const back = await result(s.a, '/future/user/v1/balance/bills', { limit: 2, id: second.items[0]!.id as number, direction: 'PREV' });
    assert.deepEqual(back.items, first.items);
  });

  test('funding-rate-list: the settlement as XT lists a fund fee', async () => {
    const [funding] = eventsOf(s, s.a.accountId, 'funding');
    const items = (await result(s.a, '/future/user/v1/balance/funding-rate-list', { symbol: 'btc_usdt' })).items;
    assert.deepEqual(items.map(({ symbol, cast, coin, positionSide, createdTime }) => ({ symbol, cast, coin, positionSide, createdTime })),
      [{ symbol: 'btc_usdt', cast: formatAmount(funding!.fundingFee), coin: 'usdt', positionSide: 'LONG', createdTime: funding!.time }]);
    assert.deepEqual((await result(s.a, '/future/user/v1/balance/funding-rate-list', { endTime: s.times.open })).items, []);
  });

  test('position/list-history: a closed by hand, v by its liquidation (force)', async () => {
    const [closed] = (await result(s.a, '/future/trade/v1/position/list-history')).items;
    const trades = eventsOf(s, s.a.accountId, 'trade').filter((t) => t.time <= s.times.close); // the round trip, not a's later bid
    assert.deepEqual([closed!.symbol, closed!.positionSide, closed!.closePositionSize, closed!.closeOpenPrice, closed!.closePrice, closed!.force, closed!.positionType],
      ['btc_usdt', 'LONG', '10', '60000', '60100', false, 1]);
    assert.equal(closed!.closeProfit, formatAmount(trades.reduce((sum, t) => sum + t.realizedPnl, 0n)));
    assert.equal(closed!.totalFee, formatAmount(trades.reduce((sum, t) => sum + t.fee, 0n)));
    const [v] = (await result(s.v, '/future/trade/v1/position/list-history', { symbol: 'btc_usdt' })).items;
    assert.deepEqual([v!.force, v!.closePositionSize, v!.startLeverage, v!.closePrice], [true, '100', 20, '56300']);
    assert.equal((await bills(s.v)).filter((i) => i.type === 'QIANG_PING_MANAGER').length, 1);
    assert.deepEqual((await result(s.a, '/future/trade/v1/position/list-history', { positionType: 2 })).items, []);
  });

  test('bad input: unknown parameters, a bad direction, a limit over the maximum', async () => {
    const c = client(s.a);
    const unknown = await c.get('/future/user/v1/balance/bills', { page: 2 });
    assert.deepEqual([unknown.returnCode, (unknown.error as { code: string }).code], [1, 'COMMON_003']);
    assert.equal((await c.get('/future/user/v1/balance/bills', { direction: 'UP' })).returnCode, 1);
    assert.equal((await c.get('/future/user/v1/balance/funding-rate-list', { limit: 101 })).returnCode, 1);
    assert.equal((await c.get('/future/trade/v1/position/list-history', { size: 10 })).returnCode, 1);
  });

  test('a restart on the data directory keeps every record', async () => {
    const before = await bills(s.a);
    const positions = await result(s.v, '/future/trade/v1/position/list-history');
    await s.stop();
    const restarted = await Harness.start({ dataDir });
    s = { ...s, harness: restarted, stop: () => restarted.stop() };
    assert.deepEqual(await bills(s.a, {}, restarted), before);
    assert.deepEqual(await result(s.v, '/future/trade/v1/position/list-history', {}, restarted), positions);
  });
});
