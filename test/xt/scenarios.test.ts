/**
 * The native XT stream end to end: real REST calls and real /ws/user connections, every push of
 * every step checked for its topic order and field values (amounts worked out in the comments).
 * BTC_USDT: tick 0.1, contract 0.0001 BTC (K = 1000 units of 1e-8 USDT per contract-tick),
 * maker 0.0002, taker 0.0006, default leverage 20. Price 60,000 = 600,000 ticks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, nextPushes, type TestAccount } from '../support/harness.js';
import type { Push } from '../support/xt-client.js';

/** Asserts the topics in order and, for each push, that every listed field has exactly that value. */
function expectPushes(pushes: Push[], expected: [topic: string, fields: Record<string, unknown>][]): void {
  assert.deepEqual(pushes.map((p) => p.topic), expected.map(([topic]) => topic), 'push topics in order');
  expected.forEach(([, fields], i) => {
    for (const [name, value] of Object.entries(fields)) {
      assert.deepEqual(pushes[i]!.data[name], value, `push #${i} (${pushes[i]!.topic}) field ${name}`);
    }
  });
}

/** Seq numbers of an account's pushes are consecutive when it listens to every topic. */
function assertGapFree(stream: TestAccount['stream'], first: number): void {
  stream.pushes.forEach((push, i) => assert.equal(push.seq, first + i, `push #${i} seq`));
}

describe('XT user stream: cross margin, hedge mode (the native default)', () => {
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
  });
  after(() => harness.stop());

  test('1. a limit buy pushes the NEW order, the position with its frozen margin, and the balance', async () => {
    const reply = await order(a, { orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '10' });
    assert.deepEqual(reply, { returnCode: 0, msgInfo: 'success', error: null, result: '1' });
    // Frozen per contract: ceil(600000×1000/20) + ceil(600000×1000×0.0006) = 30,000,000 + 360,000 units = 0.3036 USDT; ×10 = 3.036.
    expectPushes(await nextPushes(a.stream, 0, 3), [
      ['order', {
        symbol: 'btc_usdt', orderId: '1', clientOrderId: null, origQty: '10', price: '60000', avgPrice: '0', executedQty: '0',
        orderSide: 'BUY', orderType: 'LIMIT', timeInForce: 'GTC', positionSide: 'LONG', positionType: 'CROSSED', marginFrozen: '3.036',
        sourceType: 'DEFAULT', sourceId: '', type: 'ORDER', state: 'NEW', st: 'NEW', leverage: 20, reduceOnly: false,
      }],
      ['position', {
        symbol: 'btc_usdt', contractType: 'PERPUTUAL', positionType: 'CROSSED', positionSide: 'LONG', positionSize: '0',
        closeOrderSize: '0', availableCloseSize: '0', realizedProfit: '0', entryPrice: '0', isolatedMargin: '0',
        openOrderMarginFrozen: '3.036', openOrderSize: '10', underlyingType: 'U_BASED', leverage: 20, markPrice: '60000',
      }],
      ['balance', {
        coin: 'usdt', underlyingType: 2, walletBalance: '10000', openOrderMarginFrozen: '3.036', isolatedMargin: '0',
        crossedMargin: '0', availableBalance: '9996.964', coupon: '0', bonus: '0',
      }],
    ]);
    const push = a.stream.pushes[0]!;
    assert.equal(push.event, `order@${a.accountId}`);
    assert.equal(typeof push.data.createTime, 'number');
    assert.equal(push.data.createTime, push.data.createdTime);
  });

  test('2. a market sell partially fills the resting buy: maker step, then taker step', async () => {
    const reply = await order(b, { orderSide: 'SELL', positionSide: 'SHORT', orderType: 'MARKET', origQty: '4' });
    assert.equal(reply.result, '2');
    // B freezes at the best bid it will hit (60,000): 4 × 0.3036 = 1.2144.
    expectPushes(await nextPushes(b.stream, 0, 7), [
      ['order', { orderId: '2', orderType: 'MARKET', timeInForce: 'IOC', price: '0', origQty: '4', positionSide: 'SHORT', marginFrozen: '1.2144', state: 'NEW' }],
      ['position', { positionSize: '0', openOrderSize: '4', openOrderMarginFrozen: '1.2144' }],
      ['balance', { walletBalance: '10000', openOrderMarginFrozen: '1.2144', availableBalance: '9998.7856' }],
      // Taker fee: 4 × 600000 × 1000 = 2.4e9 units × 0.0006 = 1,440,000 = 0.0144.
      ['order', { orderId: '2', executedQty: '4', avgPrice: '60000', state: 'FILLED', st: 'FILLED', marginFrozen: '0', fee: '0.0144' }],
      ['trade', {
        orderId: '2', tradeId: '1', price: '60000', quantity: '4', orderSide: 'SELL', positionSide: 'SHORT', isMaker: false,
        fee: '0.0144', feeCoin: 'usdt', realizedProfit: '0', marginUnfrozen: '1.2144', symbol: 'btc_usdt',
      }],
      // Cross margin: ceil(4 × 600000 × 1000 / 20) = 120,000,000 = 1.2.
      ['position', { positionSide: 'SHORT', positionSize: '4', entryPrice: '60000', openOrderSize: '0', openOrderMarginFrozen: '0', availableCloseSize: '4' }],
      ['balance', { walletBalance: '9999.9856', crossedMargin: '1.2', openOrderMarginFrozen: '0', availableBalance: '9998.7856' }],
    ]);
    // Maker fee: 2.4e9 × 0.0002 = 480,000 = 0.0048; the order keeps 6 × 0.3036 = 1.8216 frozen.
    expectPushes(await nextPushes(a.stream, 3, 4), [
      ['order', { orderId: '1', executedQty: '4', avgPrice: '60000', state: 'PARTIALLY_FILLED', marginFrozen: '1.8216', fee: '0.0048' }],
      ['trade', { orderId: '1', tradeId: '1', price: '60000', quantity: '4', orderSide: 'BUY', positionSide: 'LONG', isMaker: true, fee: '0.0048', marginUnfrozen: '1.2144' }],
      ['position', { positionSide: 'LONG', positionSize: '4', entryPrice: '60000', openOrderSize: '6', openOrderMarginFrozen: '1.8216', availableCloseSize: '4' }],
      // 10000 − 0.0048 = 9999.9952; available 9999.9952 − 1.2 − 1.8216 = 9996.9736.
      ['balance', { walletBalance: '9999.9952', crossedMargin: '1.2', openOrderMarginFrozen: '1.8216', availableBalance: '9996.9736' }],
    ]);
  });

  test('3. amending price and quantity pushes the amended order and the margin it now freezes', async () => {
    const reply = await a.rest.post('/future/trade/v1/order/update', { orderId: '1', price: '60010', origQty: '8' });
    assert.equal(reply.result, '1');
    // 4 left at 60,010: 4 × (ceil(600100000/20) + ceil(600100000×0.0006)) = 4 × 30,365,060 = 1.2146024.
    expectPushes(await nextPushes(a.stream, 7, 3), [
      ['order', { orderId: '1', price: '60010', origQty: '8', executedQty: '4', state: 'PARTIALLY_FILLED', marginFrozen: '1.2146024' }],
      ['position', { openOrderSize: '4', openOrderMarginFrozen: '1.2146024' }],
      ['balance', { openOrderMarginFrozen: '1.2146024', availableBalance: '9997.5805976' }],
    ]);
  });

  test('4. cancelling a partly filled order: XT state PARTIALLY_CANCELED, ccxt status CANCELED, margin released', async () => {
    const reply = await a.rest.post('/future/trade/v1/order/cancel', { orderId: '1' });
    assert.equal(reply.result, '1');
    expectPushes(await nextPushes(a.stream, 10, 3), [
      ['order', { orderId: '1', state: 'PARTIALLY_CANCELED', st: 'CANCELED', reason: 'USER_CANCELED', marginFrozen: '0', executedQty: '4' }],
      ['position', { positionSize: '4', openOrderSize: '0', openOrderMarginFrozen: '0' }],
      ['balance', { openOrderMarginFrozen: '0', availableBalance: '9998.7952' }],
    ]);
  });

  test('5. a closing order freezes nothing: it pushes the order and closeOrderSize, and no balance', async () => {
    await order(a, { orderSide: 'SELL', positionSide: 'LONG', orderType: 'LIMIT', price: '60020', origQty: '4' });
    expectPushes(await nextPushes(a.stream, 13, 2), [
      ['order', { orderId: '3', orderSide: 'SELL', positionSide: 'LONG', reduceOnly: true, marginFrozen: '0', state: 'NEW' }],
      ['position', { positionSize: '4', closeOrderSize: '4', availableCloseSize: '0' }],
    ]);
    await a.stream.sync();
    assert.equal(a.stream.pushes.length, 15, 'no balance push: nothing in the balance changed');
  });

  test('6. both sides close: realized PnL, fees, and flat positions on the side they were', async () => {
    await order(b, { orderSide: 'BUY', positionSide: 'SHORT', orderType: 'MARKET', origQty: '4' });
    // PnL: 1000 × 4 × (600200 − 600000) = 800,000 units = 0.008 (A gains, B loses).
    // Fees on 4 × 600200 × 1000 = 2,400,800,000 units: maker 480,160 = 0.0048016; taker 1,440,480 = 0.0144048.
    expectPushes(await nextPushes(a.stream, 15, 4), [
      ['order', { orderId: '3', state: 'FILLED', executedQty: '4', avgPrice: '60020' }],
      ['trade', { orderId: '3', price: '60020', quantity: '4', isMaker: true, fee: '0.0048016', realizedProfit: '0.008' }],
      ['position', { positionSide: 'LONG', positionSize: '0', entryPrice: '0', closeOrderSize: '0', realizedProfit: '0.008' }],
      // 9999.9952 + 0.008 − 0.0048016
      ['balance', { walletBalance: '9999.9983984', crossedMargin: '0', availableBalance: '9999.9983984' }],
    ]);
    expectPushes(await nextPushes(b.stream, 7, 6), [
      ['order', { orderId: '4', orderSide: 'BUY', positionSide: 'SHORT', marginFrozen: '0', reduceOnly: true }],
      ['position', { positionSide: 'SHORT', positionSize: '4', closeOrderSize: '4', availableCloseSize: '0' }],
      ['order', { orderId: '4', state: 'FILLED', avgPrice: '60020' }],
      ['trade', { orderId: '4', isMaker: false, fee: '0.0144048', realizedProfit: '-0.008' }],
      ['position', { positionSide: 'SHORT', positionSize: '0', realizedProfit: '-0.008' }],
      // 9999.9856 − 0.008 − 0.0144048
      ['balance', { walletBalance: '9999.9631952', crossedMargin: '0', availableBalance: '9999.9631952' }],
    ]);
  });

  test('every push carries the account seq, gap-free; each account only ever sees its own events', async () => {
    await a.stream.sync();
    await b.stream.sync();
    assertGapFree(a.stream, 2); // seq 1 was the deposit, before the subscription
    assertGapFree(b.stream, 2);
    for (const push of a.stream.pushes) assert.equal(push.event, `${push.topic}@${a.accountId}`);
    for (const push of b.stream.pushes) assert.equal(push.event, `${push.topic}@${b.accountId}`);
    // Money is conserved: 19,999.9615936 in wallets + 0.0384064 in fees = the 20,000 deposited.
    const view = harness.server.exchange.engine.view();
    assert.deepEqual(view.fees, [{ asset: 'USDT', amount: 3_840_640n }]);
  });

  test('REST snapshots carry the seq they reflect and agree with the pushes', async () => {
    const balances = await a.rest.get<Record<string, unknown>[]>('/future/user/v1/balance/list');
    const lastBalance = [...a.stream.pushes].reverse().find((p) => p.topic === 'balance')!;
    assert.equal((balances as unknown as { seq: number }).seq, a.stream.pushes.at(-1)!.seq);
    assert.deepEqual(balances.result[0], lastBalance.data);
    const positions = await a.rest.get<Record<string, unknown>[]>('/future/user/v1/position/list');
    assert.equal(positions.result.length, 1);
    assert.equal(positions.result[0]!.positionSize, '0');
    const history = await a.rest.get<{ items: Record<string, unknown>[] }>('/future/trade/v1/order/list', { state: 'HISTORY' });
    // REST reports the partly filled cancel as CANCELED (ccxt knows no PARTIALLY_CANCELED); the push kept XT's exact state.
    assert.deepEqual(history.result.items.map((o) => [o.orderId, o.state, o.executedQty]), [['3', 'FILLED', '4'], ['1', 'CANCELED', '4']]);
    const fills = await a.rest.get<{ items: Record<string, unknown>[] }>('/future/trade/v1/order/trade-list');
    assert.deepEqual(fills.result.items.map((t) => [t.orderId, t.price, t.quantity, t.takerMaker]), [['3', '60020', '4', 'MAKER'], ['1', '60000', '4', 'MAKER']]);
  });
});

describe('XT user stream: hedge mode and isolated margin', () => {
  let harness: Harness;
  let a: TestAccount;
  let b: TestAccount;

  before(async () => {
    harness = await Harness.start();
    a = await harness.account('10000');
    b = await harness.account('10000');
    await harness.admin.markPrice('btc_usdt', '60000');
  });
  after(() => harness.stop());

  test('switching to hedge mode, isolated margin and leverage 10 pushes nothing until there is a position', async () => {
    assert.equal((await b.rest.post('/future/user/v1/position/position-mode', { positionMode: 'HEDGE' })).returnCode, 0);
    assert.equal((await b.rest.post('/future/user/v1/position/change-type', { symbol: 'btc_usdt', positionSide: 'LONG', positionType: 'ISOLATED' })).returnCode, 0);
    assert.equal((await b.rest.post('/future/user/v1/position/adjust-leverage', { symbol: 'btc_usdt', positionSide: 'LONG', leverage: 10 })).returnCode, 0);
    await b.stream.sync();
    assert.equal(b.stream.pushes.length, 0, 'no position records yet, no balance change');
  });

  test('an isolated long: margin moves into the position, add margin moves more', async () => {
    await a.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: '60000', origQty: '5' });
    await b.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '5' });
    // B at leverage 10 freezes 5 × (60,000,000 + 360,000) = 3.018; the fill moves ceil(5×600000×1000/10) = 3 into the position.
    // Taker fee 5 × 600000 × 1000 × 0.0006 = 0.018.
    expectPushes(await nextPushes(b.stream, 0, 7), [
      ['order', { orderId: '2', positionSide: 'LONG', positionType: 'ISOLATED', leverage: 10, marginFrozen: '3.018' }],
      ['position', { positionSide: 'LONG', positionType: 'ISOLATED', leverage: 10, openOrderMarginFrozen: '3.018', openOrderSize: '5' }],
      ['balance', { openOrderMarginFrozen: '3.018', availableBalance: '9996.982' }],
      ['order', { orderId: '2', state: 'FILLED', marginFrozen: '0' }],
      ['trade', { orderId: '2', positionSide: 'LONG', isMaker: false, fee: '0.018', marginUnfrozen: '3.018' }],
      ['position', { positionSide: 'LONG', positionType: 'ISOLATED', positionSize: '5', isolatedMargin: '3', entryPrice: '60000' }],
      ['balance', { walletBalance: '9999.982', isolatedMargin: '3', crossedMargin: '0', openOrderMarginFrozen: '0', availableBalance: '9996.982' }],
    ]);
    const added = await b.rest.post('/future/user/v1/position/margin', { symbol: 'btc_usdt', positionSide: 'LONG', margin: 1.5, type: 'ADD' });
    assert.equal(added.returnCode, 0);
    expectPushes(await nextPushes(b.stream, 7, 2), [
      ['position', { positionSide: 'LONG', isolatedMargin: '4.5' }],
      ['balance', { isolatedMargin: '4.5', availableBalance: '9995.482' }],
    ]);
  });

  test('closing the hedge long releases the isolated margin; the SHORT side of a hedge account is its own record', async () => {
    await a.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '5' });
    const closing = await b.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'LONG', orderType: 'MARKET', origQty: '5' });
    assert.equal(closing.returnCode, 0);
    expectPushes(await nextPushes(b.stream, 9, 6), [
      ['order', { orderSide: 'SELL', positionSide: 'LONG', marginFrozen: '0' }],
      ['position', { positionSide: 'LONG', closeOrderSize: '5', availableCloseSize: '0' }],
      ['order', { state: 'FILLED' }],
      ['trade', { realizedProfit: '0', fee: '0.018' }],
      ['position', { positionSide: 'LONG', positionSize: '0', isolatedMargin: '0' }],
      // 9999.982 − 0.018; everything free again.
      ['balance', { walletBalance: '9999.964', isolatedMargin: '0', availableBalance: '9999.964' }],
    ]);
    const positions = await b.rest.get<Record<string, unknown>[]>('/future/user/v1/position/list');
    assert.deepEqual(positions.result.map((p) => [p.positionSide, p.positionSize, p.positionType]), [['LONG', '0', 'ISOLATED']]);
  });

  test('changing margin type with an open position or order is refused with position_exists, and changes nothing', async () => {
    await b.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '59000', origQty: '1' });
    const before = harness.server.exchange.engine.account(b.accountId)!.view;
    const refused = await b.rest.post('/future/user/v1/position/change-type', { symbol: 'btc_usdt', positionSide: 'LONG', positionType: 'CROSSED' });
    assert.equal(refused.returnCode, 1);
    assert.equal(refused.msgInfo, 'failure');
    assert.equal(refused.error?.code, 'position_exists');
    assert.deepEqual(harness.server.exchange.engine.account(b.accountId)!.view, before);
    const modeRefused = await b.rest.post('/future/user/v1/position/position-mode', { positionMode: 'ONE_WAY' });
    assert.equal(modeRefused.error?.code, 'position_exists');
  });
});

describe('XT user stream: one-way mode (perpstream extension)', () => {
  let harness: Harness;
  let a: TestAccount;
  let b: TestAccount;
  const create = (account: TestAccount, body: Record<string, unknown>) =>
    account.rest.post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderType: 'LIMIT', price: '60000', ...body });

  before(async () => {
    harness = await Harness.start({ defaultPositionMode: 'ONE_WAY' });
    a = await harness.account('10000');
    b = await harness.account('10000');
    await harness.admin.markPrice('btc_usdt', '60000');
  });
  after(() => harness.stop());

  test('a one-way position that flips clears the side it left (two frames, one seq), then shows the new side', async () => {
    // b goes long 5, then sells 8: it closes 5 and opens 3 short in one fill.
    await create(a, { orderSide: 'SELL', positionSide: 'SHORT', origQty: '5' });
    await create(b, { orderSide: 'BUY', positionSide: 'LONG', origQty: '5' });
    await b.stream.until(() => b.stream.pushes.filter((p) => p.topic === 'position' && p.data.positionSize === '5').length === 1);
    const from = b.stream.pushes.length;
    await create(a, { orderSide: 'BUY', positionSide: 'LONG', origQty: '8' });
    // SELL + SHORT in one-way mode is a plain sell: not reduce-only, so it may flip.
    await create(b, { orderSide: 'SELL', positionSide: 'SHORT', origQty: '8' });
    const pushes = await nextPushes(b.stream, from, 8);
    expectPushes(pushes, [
      // 5 of the 8 close the long (no margin), 3 open a short: 3 × 0.3036 = 0.9108 frozen.
      // One-way orders show the side they work on now: this sell first closes the long.
      ['order', { orderSide: 'SELL', positionSide: 'LONG', origQty: '8', marginFrozen: '0.9108', reduceOnly: false }],
      ['position', { positionSide: 'LONG', positionSize: '5', closeOrderSize: '5', availableCloseSize: '0', openOrderSize: '3' }],
      ['balance', { openOrderMarginFrozen: '0.9108' }],
      ['order', { state: 'FILLED', executedQty: '8' }],
      ['trade', { quantity: '8', isMaker: false }],
      ['position', { positionSide: 'LONG', positionSize: '0', isolatedMargin: '0' }],
      ['position', { positionSide: 'SHORT', positionSize: '3', entryPrice: '60000', isolatedMargin: '0.9' }],
      ['balance', { crossedMargin: '0.9', openOrderMarginFrozen: '0' }],
    ]);
    assert.equal(pushes[5]!.seq, pushes[6]!.seq, 'the cleared side and the new side are one event');
    const positions = await b.rest.get<Record<string, unknown>[]>('/future/user/v1/position/list');
    assert.deepEqual(positions.result.map((p) => [p.positionSide, p.positionSize]), [['SHORT', '3']]);
  });

  test('closing a one-way short pushes SHORT with size 0, the side it was on', async () => {
    const from = b.stream.pushes.length;
    await create(a, { orderSide: 'SELL', positionSide: 'SHORT', origQty: '3' });
    await create(b, { orderSide: 'BUY', positionSide: 'SHORT', origQty: '3' });
    await b.stream.until(() => b.stream.pushes.slice(from).some((p) => p.topic === 'position' && p.data.positionSize === '0'));
    const flat = b.stream.pushes.slice(from).find((p) => p.topic === 'position' && p.data.positionSize === '0')!;
    assert.equal(flat.data.positionSide, 'SHORT');
  });
});
