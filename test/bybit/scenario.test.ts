/**
 * A scripted account life over the real Bybit stream, push by push: deposit, open (a resting
 * limit buy), partial fill, amend, close, cancel, margin-mode change, leverage change. After each
 * step the test waits for exactly the pushes that step must produce and checks them against the
 * engine, then checks that nothing else came. BTCUSDT: tick 0.1, 0.0001 BTC a contract, maker
 * 0.0002, taker 0.0006, default leverage 20.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAmount } from '../../src/engine/fixed.js';
import { BybitFixture, rows, type BybitAccount, type BybitStream, type Frame } from './client.js';

const BTC = { category: 'linear', symbol: 'BTCUSDT' };
const TOPICS = ['position', 'order', 'execution', 'wallet'] as const;

describe('bybit scenario: one account\'s life, push by push', () => {
  let f: BybitFixture;
  let a: BybitAccount;
  let b: BybitAccount;
  let s: BybitStream;
  const seen: Record<string, number> = { position: 0, order: 0, execution: 0, wallet: 0 };

  before(async () => {
    f = await BybitFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    a = await f.account('0');
    b = await f.account('10000');
    s = await f.stream(a, [...TOPICS]);
  });
  after(async () => { await f.stop(); });

  const engine = () => f.server.exchange.engine.account(a.accountId)!;
  const wallet = () => engine().view.wallets.find((w) => w.asset === 'USDT')!;
  const btcPosition = () => engine().view.positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH')!;

  /** Waits for exactly `expected` new pushes per topic, checks that no others come, returns them. */
  async function step(expected: Partial<Record<(typeof TOPICS)[number], number>>): Promise<Record<string, Frame[]>> {
    const got: Record<string, Frame[]> = {};
    for (const topic of TOPICS) {
      const count = expected[topic] ?? 0;
      got[topic] = count === 0 ? [] : await s.next(topic, seen[topic]!, count);
    }
    await s.sync();
    for (const topic of TOPICS) {
      assert.equal(s.pushes(topic).length, seen[topic]! + (expected[topic] ?? 0), `${topic} pushes: expected ${expected[topic] ?? 0} new`);
      seen[topic] = s.pushes(topic).length;
    }
    return got;
  }

  const coin = (frame: Frame) => (rows(frame)[0]!.coin as Record<string, unknown>[])[0]!;

  it('1. deposit: one wallet push, nothing else', async () => {
    await f.admin.deposit(a.accountId, '1000');
    const got = await step({ wallet: 1 });
    const push = got.wallet![0]!;
    assert.deepEqual(Object.keys(push), ['id', 'topic', 'creationTime', 'data', 'seq']);
    assert.equal(rows(push)[0]!.accountType, 'UNIFIED');
    const c = coin(push);
    assert.deepEqual([c.coin, c.walletBalance, c.equity, c.availableToWithdraw, c.totalPositionIM, c.totalOrderIM, c.locked],
      ['USDT', '1000', '1000', '1000', '0', '0', '0']);
  });

  let orderId = '';
  it('2. open: a limit buy 0.002 @ 60000 rests: order New, position (no size yet), wallet with the order margin', async () => {
    const created = await a.rest.must<{ orderId: string }>('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.002', price: '60000', orderLinkId: 'scn-1' });
    orderId = created.orderId;
    const got = await step({ order: 1, position: 1, wallet: 1 });
    const o = rows(got.order![0]!);
    assert.equal(o.length, 1);
    assert.deepEqual([o[0]!.orderId, o[0]!.orderLinkId, o[0]!.orderStatus, o[0]!.qty, o[0]!.leavesQty, o[0]!.price, o[0]!.side, o[0]!.positionIdx],
      [orderId, 'scn-1', 'New', '0.002', '0.002', '60000', 'Buy', 0]);
    const p = rows(got.position![0]!)[0]!;
    assert.deepEqual([p.symbol, p.side, p.size, p.positionIdx, p.leverage], ['BTCUSDT', '', '0', 0, '20']);
    // 20 contracts × perContract(60000) = 20 × (0.3 + 0.0036) = 6.072
    assert.deepEqual([coin(got.wallet![0]!).totalOrderIM, coin(got.wallet![0]!).availableToWithdraw], ['6.072', '993.928']);
  });

  it('3. partial fill: 0.0005 of it fills as maker: order PartiallyFilled, execution Trade, position long 0.0005, wallet', async () => {
    await b.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Market', qty: '0.0005' });
    const got = await step({ order: 1, execution: 1, position: 1, wallet: 1 });
    const o = rows(got.order![0]!)[0]!;
    assert.deepEqual([o.orderStatus, o.cumExecQty, o.leavesQty, o.avgPrice, o.cumExecValue, o.cumFeeDetail], ['PartiallyFilled', '0.0005', '0.0015', '60000', '30', { USDT: '0.006' }]);
    const e = rows(got.execution![0]!)[0]!;
    const trade = f.server.exchange.history.trades(a.accountId)[0]!;
    assert.deepEqual([e.execId, e.orderId, e.execType, e.isMaker, e.execQty, e.execPrice, e.execFee, e.feeRate, e.closedSize, e.leavesQty, e.orderQty],
      [String(trade.tradeId), orderId, 'Trade', true, '0.0005', '60000', '0.006', '0.0002', '0', '0.0015', '0.002']);
    const p = rows(got.position![0]!)[0]!;
    assert.deepEqual([p.side, p.size, p.entryPrice, p.positionValue, p.positionBalance, p.curRealisedPnl, p.cumRealisedPnl, p.markPrice],
      ['Buy', '0.0005', '60000', '30', '1.5', '-0.006', '-0.006', '60000']);
    assert.equal(e.seq, p.seq, 'a fill and its position update share the cross sequence');
    const c = coin(got.wallet![0]!);
    assert.deepEqual([c.walletBalance, c.totalPositionIM, c.totalOrderIM, c.availableToWithdraw],
      ['999.994', '1.5', '4.554', formatAmount(wallet().availableBalance)]);
  });

  it('4. amend: price 59900, qty 0.003 (0.0025 left): order push with the new values, position and wallet', async () => {
    await a.rest.must('/v5/order/amend', { ...BTC, orderId, price: '59900', qty: '0.003' });
    const got = await step({ order: 1, position: 1, wallet: 1 });
    const o = rows(got.order![0]!)[0]!;
    assert.deepEqual([o.orderStatus, o.price, o.qty, o.leavesQty, o.cumExecQty], ['PartiallyFilled', '59900', '0.003', '0.0025', '0.0005']);
    assert.equal(coin(got.wallet![0]!).totalOrderIM, formatAmount(wallet().openOrderMarginFrozen));
    assert.equal(rows(got.position![0]!)[0]!.size, '0.0005');
  });

  it('5. close: a reduce-only market sell of 0.0005 against a bid at 60000: execution closes it, the position is empty', async () => {
    await b.rest.must('/v5/order/create', { ...BTC, side: 'Buy', orderType: 'Limit', qty: '0.0005', price: '60000' });
    await a.rest.must('/v5/order/create', { ...BTC, side: 'Sell', orderType: 'Market', qty: '0.0005', reduceOnly: true });
    const got = await step({ order: 1, execution: 1, position: 1, wallet: 1 });
    const orders = rows(got.order![0]!);
    // both changes of the command, in order: accepted, then filled
    assert.deepEqual(orders.map((o) => [o.side, o.orderType, o.orderStatus, o.reduceOnly, o.timeInForce, o.cumExecQty]),
      [['Sell', 'Market', 'New', true, 'IOC', '0'], ['Sell', 'Market', 'Filled', true, 'IOC', '0.0005']]);
    const e = rows(got.execution![0]!)[0]!;
    assert.deepEqual([e.side, e.isMaker, e.execFee, e.closedSize, e.execPnl, e.feeRate], ['Sell', false, '0.018', '0.0005', '0', '0.0006']);
    const p = rows(got.position![0]!)[0]!;
    assert.deepEqual([p.side, p.size, p.positionValue, p.curRealisedPnl, p.cumRealisedPnl], ['', '0', '0', '-0.024', '-0.024']);
    assert.equal(btcPosition().qty, 0);
    assert.deepEqual([coin(got.wallet![0]!).walletBalance, coin(got.wallet![0]!).totalPositionIM], ['999.976', '0']);
  });

  it('6. cancel the resting rest: order Cancelled (cancelType CancelByUser, filled part kept), position, wallet', async () => {
    await a.rest.must('/v5/order/cancel', { ...BTC, orderId });
    const got = await step({ order: 1, position: 1, wallet: 1 });
    const o = rows(got.order![0]!)[0]!;
    assert.deepEqual([o.orderStatus, o.cancelType, o.cumExecQty, o.leavesQty], ['Cancelled', 'CancelByUser', '0.0005', '0']);
    assert.deepEqual([coin(got.wallet![0]!).totalOrderIM, coin(got.wallet![0]!).availableToWithdraw], ['0', '999.976']);
  });

  it('7. margin-mode change (unified account, all symbols): a position push per symbol, tradeMode 1', async () => {
    await a.rest.must('/v5/account/set-margin-mode', { setMarginMode: 'ISOLATED_MARGIN' });
    const got = await step({ position: 2 });
    const all = got.position!.flatMap(rows);
    assert.deepEqual(all.map((p) => [p.symbol, p.side, p.size, p.tradeMode, p.leverage]), [['BTCUSDT', '', '0', 1, '20'], ['ETHUSDT', '', '0', 1, '20']]);
    assert.deepEqual(engine().view.settings.map((x) => x.marginMode), ['ISOLATED', 'ISOLATED']);
  });

  it('8. leverage change: BTCUSDT to 10, one position push', async () => {
    await a.rest.must('/v5/position/set-leverage', { ...BTC, buyLeverage: '10', sellLeverage: '10' });
    const got = await step({ position: 1 });
    const p = rows(got.position![0]!)[0]!;
    assert.deepEqual([p.symbol, p.leverage, p.tradeMode], ['BTCUSDT', '10', 1]);
  });

  it('over the whole life: version rises with every position push and ends at the account seq; creationTime is the engine time', () => {
    const versions = s.pushes('position').flatMap(rows).map((p) => p.version as number);
    assert.deepEqual([...versions].sort((x, y) => x - y), versions);
    assert.equal(new Set(versions).size, versions.length, 'one position push per command, each a later account seq');
    assert.ok(versions.at(-1)! <= engine().seq);
    for (const push of s.pushes()) assert.equal(typeof push.creationTime, 'number');
  });
});
