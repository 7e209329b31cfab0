/**
 * Prices and funding through a real server: positions opened over XT REST, the index set and
 * funding settled over the admin API, and the exact XT pushes each account receives; the admin
 * price endpoints and their errors; the scheduler ticking prices and settling on the funding grid.
 *
 * BTC_USDT: tick 0.1, contract 0.0001 BTC, K = 1000. 10 contracts at mark 60,010 are worth
 * 10 × 600,100 × 1000 = 6,001,000,000 units = 60.01 USDT; at F = 0.01% they pay 0.006001 USDT.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BTC_USDT_0326, DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatAmount, parseAmount } from '../../src/engine/fixed.js';
import type { Exchange } from '../../src/service/exchange.js';
import { Harness, nextPushes, type TestAccount } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import type { Push } from '../support/xt-client.js';

const EIGHT_HOURS = 8 * 60 * 60 * 1000;

function expectPushes(pushes: Push[], expected: [topic: string, fields: Record<string, unknown>][]): void {
  assert.deepEqual(pushes.map((p) => p.topic), expected.map(([topic]) => topic), 'push topics in order');
  expected.forEach(([, fields], i) => {
    for (const [name, value] of Object.entries(fields)) assert.deepEqual(pushes[i]!.data[name], value, `push #${i} (${pushes[i]!.topic}) field ${name}`);
  });
}

/** `count` new accounts with 10,000 USDT each, made with engine commands (no dialect involved). */
async function fundedAccounts(exchange: Exchange, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const { result } = await exchange.execute({ type: 'createAccount' });
    assert.ok(result.ok && result.kind === 'account');
    ids.push(result.accountId);
    await exchange.execute({ type: 'deposit', accountId: result.accountId, asset: 'USDT', amount: parseAmount('10000') });
  }
  return ids;
}

const lastBalance = (account: TestAccount): bigint =>
  parseAmount([...account.stream.pushes].reverse().find((p) => p.topic === 'balance')!.data.walletBalance as string);

describe('funding through the server: admin index and settlement, XT pushes', () => {
  let harness: Harness;
  let a: TestAccount;
  let b: TestAccount;
  const order = (account: TestAccount, body: Record<string, unknown>) =>
    account.rest.post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', ...body });

  before(async () => {
    harness = await Harness.start();
    a = await harness.account('10000');
    b = await harness.account('10000');
    await harness.admin.markPrice('btc_usdt', '60000');
    assert.equal((await order(a, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '10' })).returnCode, 0);
    await nextPushes(a.stream, 0, 3);
    assert.equal((await order(b, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'MARKET', origQty: '10' })).returnCode, 0);
    // b: order NEW, position, balance, order FILLED, trade, position, balance; a: order, trade, position, balance.
    await nextPushes(b.stream, 0, 7);
    await nextPushes(a.stream, 3, 4);
  });
  after(() => harness.stop());

  test('1. setting the index recomputes the mark; each open position gets one position push with it, no balance push', async () => {
    const [aFrom, bFrom] = [a.stream.pushes.length, b.stream.pushes.length];
    const { status, body } = await harness.admin.request('POST', '/index-price', { symbol: 'btc_usdt', price: '60010' });
    assert.equal(status, 200);
    // P1 = index (no funding yet), P2 = index (no basis sample yet), last 60,000: median 60,010.
    assert.deepEqual([body.indexPrice, body.markPrice, body.lastPrice], ['60010', '60010', '60000']);
    // uPnL: 10 × (600,100 − 600,000) × 1000 = 1,000,000 units = 0.01 USDT.
    expectPushes(await nextPushes(a.stream, aFrom, 1), [['position', { positionSide: 'LONG', positionSize: '10', markPrice: '60010', unrealizedProfit: '0.01', totalFundFee: '0' }]]);
    expectPushes(await nextPushes(b.stream, bFrom, 1), [['position', { positionSide: 'SHORT', positionSize: '10', markPrice: '60010', unrealizedProfit: '-0.01' }]]);
    await a.stream.sync();
    await b.stream.sync();
    assert.equal(a.stream.pushes.length, aFrom + 1);
    assert.equal(b.stream.pushes.length, bFrom + 1);
  });

  test('2. a settlement over the admin API: the long pays, the short receives, each gets position then balance', async () => {
    const [aFrom, bFrom] = [a.stream.pushes.length, b.stream.pushes.length];
    const [aWallet, bWallet] = [lastBalance(a), lastBalance(b)];
    const { status, body } = await harness.admin.request('POST', '/funding/settle', { symbol: 'btc_usdt' });
    assert.equal(status, 200);
    assert.deepEqual([body.symbol, body.fundingRate, body.markPrice], ['btc_usdt', '0.0001', '60010']);
    assert.equal(typeof body.fundingTime, 'number');
    assert.equal(body.nextFundingTime, (Math.floor((body.fundingTime as number) / EIGHT_HOURS) + 1) * EIGHT_HOURS);
    const fee = parseAmount('0.006001');
    expectPushes(await nextPushes(a.stream, aFrom, 2), [
      ['position', { positionSide: 'LONG', positionSize: '10', totalFundFee: '-0.006001', markPrice: '60010' }],
      ['balance', { coin: 'usdt', walletBalance: formatAmount(aWallet - fee) }],
    ]);
    expectPushes(await nextPushes(b.stream, bFrom, 2), [
      ['position', { positionSide: 'SHORT', positionSize: '10', totalFundFee: '0.006001' }],
      ['balance', { coin: 'usdt', walletBalance: formatAmount(bWallet + fee) }],
    ]);
    // The FundingEvent takes the account's next seq but XT has no topic for it (as for config events):
    // the position push is two after the previous push, the balance right after it.
    const [aPos, aBal] = a.stream.pushes.slice(aFrom);
    assert.equal(aBal!.seq, aPos!.seq + 1);
    assert.equal(aPos!.seq, a.stream.pushes[aFrom - 1]!.seq + 2);
    await a.stream.sync();
    assert.equal(a.stream.pushes.length, aFrom + 2);
    // REST agrees: the wallet lost exactly the fee.
    const list = await a.rest.get<{ walletBalance: string }[]>('/future/user/v1/balance/list');
    assert.equal(list.result[0]!.walletBalance, formatAmount(aWallet - fee));
  });

  test('3. GET /prices shows index, mark, last, premium, the rates and the next funding time', async () => {
    const { status, body } = await harness.admin.request<Record<string, unknown>>('GET', '/prices/btc_usdt');
    assert.equal(status, 200);
    assert.deepEqual(
      [body.markMethod, body.indexPrice, body.markPrice, body.lastPrice, body.premiumIndex, body.premiumSamples, body.predictedFundingRate, body.lastFundingRate, body.fundingIntervalMinutes],
      ['MEDIAN', '60010', '60010', '60000', null, 0, '0.0001', '0.0001', 480],
    );
    assert.equal(body.nextFundingTime, (Math.floor((body.lastFundingTime as number) / EIGHT_HOURS) + 1) * EIGHT_HOURS);
    const all = await harness.admin.request<Record<string, unknown>[]>('GET', '/prices');
    assert.deepEqual(all.body.map((p) => [p.symbol, p.indexPrice]), [['btc_usdt', '60010'], ['eth_usdt', null]]);
  });

  test('4. bad requests get clear errors and change nothing', async () => {
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/index-price', { symbol: 'nope_usdt', price: '1' }, 404, /not listed/],
      ['POST', '/index-price', { symbol: 'btc_usdt', price: '60000.05' }, 400, /tick size/],
      ['POST', '/index-price', { symbol: 'btc_usdt' }, 400, /"price" is required/],
      ['GET', '/prices/nope_usdt', undefined, 404, /not listed/],
      ['POST', '/funding/settle', { symbol: 'nope_usdt' }, 404, /not listed/],
      ['POST', '/funding/settle', { symbol: 'btc_usdt', fundingTime: 'soon' }, 400, /"fundingTime" is malformed: fundingTime must be a whole number/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const reply = await harness.admin.request<{ error: string }>(method, path, body);
      assert.equal(reply.status, status, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match(reply.body.error, message);
    }
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'nothing reached the engine');
    // Refused by the engine (it takes a sequence number, changes nothing): the future, and a time already settled.
    const future = await harness.admin.request<{ error: string }>('POST', '/funding/settle', { symbol: 'btc_usdt', fundingTime: Date.now() + 60_000 });
    assert.equal(future.status, 400);
    assert.match(future.body.error, /not after the engine time/);
    const { body: prices } = await harness.admin.request<{ lastFundingTime: number }>('GET', '/prices/btc_usdt');
    const again = await harness.admin.request<{ error: string }>('POST', '/funding/settle', { symbol: 'btc_usdt', fundingTime: prices.lastFundingTime });
    assert.equal(again.status, 400);
    assert.match(again.body.error, /already settled/);
  });
});

describe('the price scheduler', () => {
  test('ticks sample prices while an index exists, and funding settles at the grid time it waited for', async () => {
    // Time moved by hand, from 2 s before a funding time: the set-up below happens at one instant.
    const target = (Math.floor(Date.now() / EIGHT_HOURS) + 1) * EIGHT_HOURS;
    const time = new ManualTime(target - 2_000);
    const harness = await Harness.start({ symbols: DEMO_SYMBOLS, clock: time, timers: time, priceTickMs: 20, fundingSchedule: true });
    try {
      const { exchange } = harness.server;
      const engine = exchange.engine;
      const idle = engine.cmdSeq;
      await time.advance(100);
      assert.equal(engine.cmdSeq, idle, 'no index: five ticks, no command');
      assert.equal(engine.prices('btc_usdt', exchange.now())!.premiumSamples, 0, 'no index: no ticks');
      const ids = await fundedAccounts(exchange, 2);
      const place = (accountId: number, side: 'BUY' | 'SELL', positionSide: 'LONG' | 'SHORT') => exchange.execute({
        type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide, orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 10, reduceOnly: false,
      });
      await place(ids[0]!, 'BUY', 'LONG');
      await place(ids[1]!, 'SELL', 'SHORT');
      await harness.admin.request('POST', '/index-price', { symbol: 'btc_usdt', price: '60000' });
      const ticking = engine.cmdSeq;
      await time.advance(1_000);
      assert.equal(engine.cmdSeq - ticking, 50, 'with an index: one sampleRisk every 20 ms');
      assert.equal(engine.prices('btc_usdt', exchange.now())!.lastFundingTime, null, '1 s before the funding time: not settled');
      await time.advance(900);
      assert.equal(engine.prices('btc_usdt', exchange.now())!.lastFundingTime, target, 'settled at the funding time');
      const info = engine.prices('btc_usdt', exchange.now())!;
      assert.equal(info.lastFundingTime, target, 'settled at the funding time');
      assert.equal(info.nextFundingTime, target + EIGHT_HOURS);
      assert.equal(engine.prices('eth_usdt', exchange.now())!.lastFundingTime, target, 'every symbol settles');
      const long = engine.account(ids[0]!)!.view.positions.find((p) => p.positionSide === 'LONG')!;
      assert.equal(long.fundingTotal, -600_000n, '10 × 600,000 × 1000 × 0.01%');
    } finally {
      await harness.stop();
    }
  });
});

describe('the price scheduler and delivery symbols', () => {
  test('a delivery symbol settles at its delivery time (once), never pays funding, and refuses orders after', async () => {
    const time = new ManualTime(MARCH_2027_DELIVERY - 2_000);
    const harness = await Harness.start({ symbols: [...DEMO_SYMBOLS, BTC_USDT_0326], clock: time, timers: time, priceTickMs: 0, fundingSchedule: true });
    try {
      const { exchange } = harness.server;
      const engine = exchange.engine;
      const symbol = BTC_USDT_0326.symbol;
      const ids = await fundedAccounts(exchange, 2);
      const place = (accountId: number, side: 'BUY' | 'SELL', positionSide: 'LONG' | 'SHORT', price = 600_000) => exchange.execute({
        type: 'placeOrder', accountId, symbol, side, positionSide, orderType: 'LIMIT', timeInForce: 'GTC', price, qty: 10, reduceOnly: false,
      });
      await harness.admin.request('POST', '/index-price', { symbol, price: '60000' });
      await place(ids[0]!, 'BUY', 'LONG');
      await place(ids[1]!, 'SELL', 'SHORT');
      const resting = await place(ids[0]!, 'BUY', 'LONG', 590_000);
      assert.ok(resting.result.ok);
      const early = await harness.admin.request('POST', '/delivery/settle', { symbol });
      assert.equal(early.status, 400, 'the admin API refuses a delivery before its time');
      await time.advance(1_000);
      assert.equal(engine.prices(symbol, exchange.now())!.delivery!.settledPrice, null, '1 s before the delivery time: not settled');
      await time.advance(1_000);
      const info = engine.prices(symbol, exchange.now())!;
      assert.equal(info.delivery!.settledPrice, 600_000, 'settled at the window mean of the index');
      assert.equal(info.lastFundingTime, null, 'a delivery symbol never pays funding');
      for (const id of ids) assert.deepEqual(engine.account(id)!.view.positions.filter((p) => p.symbol === symbol && p.qty !== 0), [], 'every position closed');
      assert.deepEqual(engine.account(ids[0]!)!.view.orders.filter((o) => o.symbol === symbol), [], 'the resting order ended');
      const late = await place(ids[0]!, 'BUY', 'LONG');
      assert.ok(!late.result.ok && late.result.code === 'SYMBOL_NOT_TRADING');
      const settled = engine.cmdSeq;
      await time.advance(120_000);
      assert.equal(engine.cmdSeq, settled, 'settled once: the scheduler leaves a settled symbol alone');
      const again = await harness.admin.request('POST', '/delivery/settle', { symbol });
      assert.equal(again.status, 400, 'a second delivery is refused');
      const prices = await harness.admin.request('GET', `/prices/${symbol}`);
      assert.equal((prices.body as { deliveryPrice: string }).deliveryPrice, '60000');
    } finally {
      await harness.stop();
    }
  });
});
