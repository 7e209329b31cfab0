/**
 * The risk engine through the real server: XT REST to open the positions, the admin mark-price
 * endpoint to walk the price, and the XT user stream of every account involved, checked push by
 * push. The walk takes one account through WARN → PARTIAL → LIQUIDATION → ADL.
 *
 * Symbol risk_usdt: tick 1 USDT, contract 1 unit, no fees, tiers 1 % / 2 % / 5 % from notional
 * 0 / 10,000 / 50,000 (maintenance amount 0 / 100 / 1,600), max leverage 50 / 25 / 10.
 *
 * V (victim): cross, 10x, 1,600 USDT, buys LONG 15 @ 1,000 from S1 (10) and S2 (5), both shorts
 * at 20x with 10,000 USDT. M bids 4 @ 903 and 3 @ 895.
 * V's equity at a mark P is 15P − 13,400 and its maintenance 0.3P − 100 (tier 2):
 * - ratio 0.8 at P ≤ 10,620 / 11.7 = 907.69…: the walk to 906 warns;
 * - liquidated at P ≤ 13,300 / 14.7 = 904.76…: at 904 (equity 160 ≤ 171.2) keeping 11 contracts
 *   (9,944 < 10,000, tier 1: maintenance 99.44 < 160) restores the margin: PARTIAL, 4 sold to M at 903
 *   (no worse than bankruptcy 13,400 / 15 = 893.3… → 894);
 * - then long 11, wallet 1,212: liquidated at P ≤ 9,788 / 10.89 = 898.8…: at 898 the full liquidation
 *   takes over at bankruptcy 9,788 / 11 = 889.8… → 890, sells 3 to M at 895 (surplus 15 to the fund),
 *   and the fund (15) cannot pay for anything below 890: nothing is left in the book anyway, so 8
 *   are deleveraged against the top short: S1 (bankruptcy 2,000 vs S2's 3,000: more leveraged).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { Harness, nextPushes, type TestAccount } from '../support/harness.js';
import type { Push } from '../support/xt-client.js';
import { spec } from './support.js';

const SYMBOL: SymbolSpec = spec({
  symbol: 'risk_usdt',
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 50 },
    { notionalFloor: '10000', maintenanceMarginRate: '0.02', maxLeverage: 25 },
    { notionalFloor: '50000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  ],
  maxLeverage: 50,
});

/** Topic and the listed fields of each push, exactly. */
function expectPushes(pushes: Push[], expected: [topic: string, fields: Record<string, unknown>][]): void {
  assert.deepEqual(pushes.map((p) => p.topic), expected.map(([topic]) => topic), `push topics in order: ${JSON.stringify(pushes.map((p) => [p.topic, p.data]))}`);
  expected.forEach(([, fields], i) => {
    for (const [name, value] of Object.entries(fields)) {
      assert.deepEqual(pushes[i]!.data[name], value, `push #${i} (${pushes[i]!.topic}) field ${name}: ${JSON.stringify(pushes[i]!.data)}`);
    }
  });
}

describe('risk through the server: WARN → PARTIAL → LIQUIDATION → ADL on the XT stream', () => {
  let harness: Harness;
  let v: TestAccount;
  let s1: TestAccount;
  let s2: TestAccount;
  let m: TestAccount;
  const seen = new Map<TestAccount, number>();

  /** The next `count` pushes of an account (after the ones already checked). */
  async function next(account: TestAccount, count: number): Promise<Push[]> {
    const from = seen.get(account) ?? 0;
    const pushes = await nextPushes(account.stream, from, count);
    seen.set(account, from + count);
    return pushes;
  }

  /** Nothing more arrived for these accounts (past a ping/pong round trip on each stream). */
  async function quiet(...accounts: TestAccount[]): Promise<void> {
    for (const account of accounts) await account.stream.sync();
    for (const account of accounts) {
      const extra = account.stream.pushes.slice(seen.get(account) ?? 0);
      assert.deepEqual(extra.map((p) => [p.topic, p.data]), [], `account ${account.accountId} got unexpected pushes`);
    }
  }

  const order = (account: TestAccount, body: Record<string, unknown>) =>
    account.rest.post<string>('/future/trade/v1/order/create', { symbol: 'risk_usdt', orderType: 'LIMIT', timeInForce: 'GTC', ...body });

  before(async () => {
    // Mark-driven position pushes at most once an hour: the first comes with the first move (950),
    // none in between, so every push below is the risk engine's.
    harness = await Harness.start({ symbols: [SYMBOL], engine: { markEventIntervalMs: 3_600_000 } });
    v = await harness.account('1600');
    s1 = await harness.account('10000');
    s2 = await harness.account('10000');
    m = await harness.account('10000');
    await harness.admin.markPrice('risk_usdt', '1000');
    const leverage = await v.rest.post('/future/user/v1/position/adjust-leverage', { symbol: 'risk_usdt', positionSide: 'LONG', leverage: 10 });
    assert.equal(leverage.returnCode, 0);
    for (const [account, qty] of [[s1, '10'], [s2, '5']] as const) {
      assert.equal((await order(account, { orderSide: 'SELL', positionSide: 'SHORT', price: '1000', origQty: qty })).returnCode, 0);
    }
    assert.equal((await order(v, { orderSide: 'BUY', positionSide: 'LONG', price: '1000', origQty: '15' })).returnCode, 0);
    assert.equal((await order(m, { orderSide: 'BUY', positionSide: 'LONG', price: '903', origQty: '4' })).returnCode, 0);
    assert.equal((await order(m, { orderSide: 'BUY', positionSide: 'LONG', price: '895', origQty: '3' })).returnCode, 0);
    // Everything so far: the setup's pushes (checked by the XT scenarios elsewhere), skipped here.
    for (const account of [v, s1, s2, m]) await account.stream.sync();
    for (const account of [v, s1, s2, m]) seen.set(account, account.stream.pushes.length);
    const fund = await harness.admin.request<{ balances: unknown[] }>('GET', '/insurance-fund');
    assert.deepEqual(fund.body, { balances: [] });
  });
  after(() => harness.stop());

  const pos = (size: string, fields: Record<string, unknown> = {}) => ['position', { positionSide: 'LONG', positionSize: size, ...fields }] as [string, Record<string, unknown>];
  const notify = (side: 'LONG' | 'SHORT', size: string, type: string) =>
    ['notify', { symbol: 'risk_usdt', positionType: 'CROSSED', positionSide: side, positionSize: size, notifyType: type }] as [string, Record<string, unknown>];

  test('950: nothing crossed; the open positions get their (paced) mark-price push, nothing else', async () => {
    await harness.admin.markPrice('risk_usdt', '950');
    expectPushes(await next(v, 1), [pos('15', { markPrice: '950', unrealizedProfit: '-750' })]);
    for (const [short, size] of [[s1, '10'], [s2, '5']] as const) {
      expectPushes(await next(short, 1), [['position', { positionSide: 'SHORT', positionSize: size, markPrice: '950' }]]);
    }
    await quiet(v, s1, s2, m);
  });

  test('906: V\'s margin ratio passes 0.8 (equity 190, maintenance 171.8: 0.904): one WARN', async () => {
    await harness.admin.markPrice('risk_usdt', '906');
    const [warn] = await next(v, 1);
    expectPushes([warn!], [notify('LONG', '15', 'WARN')]);
    assert.equal(warn!.event, 'notify');
    await quiet(v, s1, s2, m);
  });

  test('904: PARTIAL — 4 contracts sold to M at 903 by a liquidation order no worse than 894; V keeps 11', async () => {
    await harness.admin.markPrice('risk_usdt', '904');
    expectPushes(await next(v, 8), [
      ['order', { orderId: '6', orderSide: 'SELL', positionSide: 'LONG', orderType: 'LIMIT', timeInForce: 'IOC', price: '894', origQty: '4', executedQty: '0', state: 'NEW', reduceOnly: true }],
      pos('15', { closeOrderSize: '4', isolatedMargin: '1500' }),
      ['order', { orderId: '6', executedQty: '4', avgPrice: '903', state: 'FILLED', fee: '0', realizedProfit: '-388' }],
      ['trade', { orderId: '6', tradeId: '3', orderSide: 'SELL', price: '903', quantity: '4', isMaker: false, fee: '0', realizedProfit: '-388' }],
      pos('11', { closeOrderSize: '0', realizedProfit: '-388', entryPrice: '1000', isolatedMargin: '1100' }),
      ['balance', { walletBalance: '1212', crossedMargin: '1100', availableBalance: '112' }],
      pos('11', { realizedProfit: '-388' }), // back to NORMAL
      notify('LONG', '4', 'PARTIAL'),
    ]);
    expectPushes(await next(m, 4), [
      ['order', { orderId: '4', orderSide: 'BUY', price: '903', executedQty: '4', state: 'FILLED' }],
      ['trade', { orderId: '4', tradeId: '3', price: '903', quantity: '4', isMaker: true }],
      pos('4', { entryPrice: '903', isolatedMargin: '180.6' }),
      ['balance', { walletBalance: '10000', crossedMargin: '180.6', availableBalance: '9685.15' }],
    ]);
    await quiet(v, s1, s2, m);
  });

  test('898: LIQUIDATION — 3 sold to M at 895 (surplus 3 × 5 = 15 to the fund), 8 deleveraged against S1 at bankruptcy 890', async () => {
    await harness.admin.markPrice('risk_usdt', '898');
    expectPushes(await next(v, 15), [
      ['order', { orderId: '7', orderSide: 'SELL', timeInForce: 'IOC', price: '895', origQty: '3', state: 'NEW', reduceOnly: true }],
      pos('11', { closeOrderSize: '3' }),
      ['order', { orderId: '7', executedQty: '3', avgPrice: '895', state: 'FILLED', fee: '0' }],
      ['trade', { orderId: '7', tradeId: '4', price: '895', quantity: '3', isMaker: false, fee: '0', realizedProfit: '-315' }],
      pos('8', { closeOrderSize: '0', realizedProfit: '-703', isolatedMargin: '800' }),
      ['balance', { walletBalance: '897', crossedMargin: '800', availableBalance: '97' }],
      ['balance', { walletBalance: '882', availableBalance: '82' }], // the clearance: 15 to the insurance fund
      pos('8', { closeOrderSize: '8' }), // taken over: the ADL order holds the rest
      ['order', { orderId: '8', orderSide: 'SELL', price: '890', origQty: '8', executedQty: '8', avgPrice: '890', state: 'FILLED', fee: '0' }],
      ['trade', { orderId: '8', tradeId: '5', price: '890', quantity: '8', isMaker: false, fee: '0', realizedProfit: '-880' }],
      pos('0', { realizedProfit: '-1583', entryPrice: '0', isolatedMargin: '0' }),
      ['balance', { walletBalance: '2', crossedMargin: '0', availableBalance: '2' }], // 882 − 880: the bankruptcy price rounds up to 890
      notify('LONG', '8', 'ADL'),
      pos('0'), // back to NORMAL
      notify('LONG', '11', 'LIQUIDATION'),
    ]);
    // M's position (opened at 904) gets its first mark-price push before the liquidation's fill.
    expectPushes(await next(m, 1), [pos('4', { markPrice: '898', unrealizedProfit: '-20' })]);
    expectPushes(await next(m, 4), [
      ['order', { orderId: '5', price: '895', executedQty: '3', state: 'FILLED' }],
      ['trade', { orderId: '5', tradeId: '4', price: '895', quantity: '3', isMaker: true }],
      pos('7', { entryPrice: '899.5714', isolatedMargin: '314.85' }),
      ['balance', { walletBalance: '10000', crossedMargin: '314.85' }],
    ]);
    // S1 ranks first: bankruptcy (10,000 + 10,000) / 10 = 2,000 against S2's 3,000 — more leveraged.
    expectPushes(await next(s1, 6), [
      ['order', { orderId: '9', orderSide: 'BUY', positionSide: 'SHORT', price: '890', origQty: '8', executedQty: '8', state: 'FILLED', fee: '0', reduceOnly: true }],
      ['trade', { orderId: '9', tradeId: '5', orderSide: 'BUY', price: '890', quantity: '8', isMaker: true, fee: '0', realizedProfit: '880' }],
      ['position', { positionSide: 'SHORT', positionSize: '2', realizedProfit: '880', isolatedMargin: '100' }],
      ['balance', { walletBalance: '10880', crossedMargin: '100', availableBalance: '10780' }],
      ['position', { positionSide: 'SHORT', positionSize: '2' }], // back to NORMAL
      notify('SHORT', '8', 'ADL'),
    ]);
    await quiet(v, s1, s2, m);
    for (const account of [v, s1, s2, m]) {
      const first = account.stream.pushes[0]!.seq; // the deposit before the stream connected came first
      account.stream.pushes.forEach((p, i) => assert.equal(p.seq, first + i, `account ${account.accountId}: seq without a gap`));
    }
  });

  test('afterwards: the fund holds the clearance, REST shows the liquidation prices', async () => {
    const fund = await harness.admin.request<{ balances: { asset: string; balance: string }[] }>('GET', '/insurance-fund');
    assert.deepEqual(fund.body, { balances: [{ asset: 'USDT', balance: '15' }] });
    const top = await harness.admin.request<{ asset: string; balance: string }>('POST', '/insurance-fund', { asset: 'usdt', amount: '5' });
    assert.deepEqual(top.body, { asset: 'USDT', balance: '20' });
    const bad = await harness.admin.request('POST', '/insurance-fund', { asset: 'USDT', amount: '-1' });
    assert.equal(bad.status, 400);
    const rows = async (account: TestAccount) => (await account.rest.get<{ positionSide: string; positionSize: string; breakPrice: string }[]>(
      '/future/user/v1/position/break-list', { symbol: 'risk_usdt' })).result;
    // S1: short 2 @ 1,000, cross wallet 10,880: tier 1 would give (10,880 + 2,000) / 2.02 = 6,376.2…, but the
    // notional there (12,752) is in tier 2, so the re-check gives (12,880 + 100) / 2.04 = 6,362.745…, rounded down.
    assert.deepEqual((await rows(s1)).find((r) => r.positionSide === 'SHORT'), {
      symbol: 'risk_usdt', positionSide: 'SHORT', positionType: 'CROSSED', positionSize: '2', entryPrice: '1000', isolatedMargin: '100',
      leverage: 20, contractType: 'PERPETUAL', breakPrice: '6362.74509803', calMarkPrice: '898',
    });
    assert.equal((await rows(v)).find((r) => r.positionSide === 'LONG')!.breakPrice, '0', 'flat: no liquidation price');
  });

  test('the leverage is bounded by the risk tier: an order that would pass it is refused with a clear error', async () => {
    // M: long 7 (6,297 at entry), now at 30x — tier 1 allows 50x, tier 2 (from 10,000) only 25x.
    assert.equal((await m.rest.post('/future/user/v1/position/adjust-leverage', { symbol: 'risk_usdt', positionSide: 'LONG', leverage: 30 })).returnCode, 0);
    const refused = await order(m, { orderSide: 'BUY', positionSide: 'LONG', price: '900', origQty: '5' });
    assert.equal(refused.returnCode, 1);
    assert.equal(refused.error?.code, 'ORDER_001');
    assert.match(refused.error!.msg, /risk tier whose maximum leverage is below the leverage/);
    assert.equal((await order(m, { orderSide: 'BUY', positionSide: 'LONG', price: '900', origQty: '4' })).returnCode, 0, '6,297 + 3,600 stays in tier 1');
    const tooHigh = await m.rest.post('/future/user/v1/position/adjust-leverage', { symbol: 'risk_usdt', positionSide: 'LONG', leverage: 40 });
    assert.equal(tooHigh.returnCode, 0, 'still tier 1: 40x is allowed');
  });
});
