/**
 * `bybit-api` (tiagosiebler's Node SDK, RestClientV5 + WebsocketClient) against a started
 * perpstream, pointed at it with nothing but its base URLs (`baseUrl` for REST, `wsUrl` for the
 * private stream), on a fresh account created for Bybit, with the library's defaults for everything
 * else (it signs with `X-BAPI-SIGN-TYPE: 2` and an HMAC signature, and authenticates the private
 * stream with its `auth` op). The scenario: the library subscribes to order, execution, position
 * and wallet, places a limit order, another account fills part of it, the library cancels the rest
 * and reads back balances, positions and orders; every value equals the engine's, and the stream
 * carried this account's events only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { BybitRest } from '../bybit/client.js';
import { average, base, ClientsFixture, dec, EventLog, price, within, type Created } from './support.js';

type Json = Record<string, unknown>;
interface Update { topic: string; data: Json[] }
const SYMBOL = 'BTCUSDT';

describe('bybit-api (npm, tiagosiebler) RestClientV5 + WebsocketClient', () => {
  let f: ClientsFixture;
  let user: Created;
  let other: Created;
  let rest: RestClientV5;
  let ws: WebsocketClient;
  const updates = new EventLog<Update>();
  const responses = new EventLog<Json>();
  const errors: unknown[] = [];

  /** A call of the library that Bybit answers with retCode 0; anything else fails the test with the answer. */
  async function ok<T extends { retCode: number }>(call: Promise<T>, what: string): Promise<T> {
    const reply = await within(call, what);
    assert.equal(reply.retCode, 0, `${what}: ${JSON.stringify(reply)}`);
    return reply;
  }

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('bybit', '10000');
    other = await f.account('bybit', '100000');
    rest = new RestClientV5({ key: user.apiKey, secret: user.secret, baseUrl: `${f.url}/bybit` });
    // The library's logger, quiet except for errors (which fail the test).
    const logger = { trace: () => undefined, info: () => undefined, error: (...args: unknown[]) => errors.push(args) };
    ws = new WebsocketClient({ key: user.apiKey, secret: user.secret, wsUrl: `${f.wsUrl}/bybit/v5/private` }, logger);
    ws.on('update', (e) => updates.push(e as unknown as Update));
    ws.on('response', (e) => responses.push(e as unknown as Json));
    ws.on('exception', (e) => errors.push(e));
  });
  after(async () => {
    ws.closeAll(true);
    await f.stop();
  });

  it('stream, order, fill by another account, cancel, read back: every value is the engine\'s', async () => {
    // The library's way: connect, `auth` op, then one `subscribe` op. subscribeV5's promises resolve
    // once connected; the subscription holds from the library's `response` event for it.
    await within(Promise.all(ws.subscribeV5(['order', 'execution', 'position', 'wallet'], 'linear')), 'subscribeV5');
    const ack = await responses.find((r) => r.op === 'subscribe', 'the subscribe response');
    assert.equal(ack.success, true, JSON.stringify(ack));

    const placed = await ok(rest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.01', price: '60000' }), 'submitOrder');
    const orderId = placed.result.orderId;
    let o = f.order(user.accountId, orderId);
    assert.equal(o.positionSide, 'BOTH', 'the library\'s default order (positionIdx left out) is one-way');
    const orderRow = (status: string) => (u: Update): boolean => u.topic === 'order' && u.data.some((r) => r.orderId === orderId && r.orderStatus === status);
    await updates.find(orderRow('New'), 'order New');

    // Another account fills 0.004 of the 0.01.
    const taker = new BybitRest(f.url, other.apiKey, other.secret);
    const taken = await taker.post<{ orderId: string }>('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Market', qty: '0.004' });
    assert.equal(taken.retCode, 0, JSON.stringify(taken));
    await updates.find(orderRow('PartiallyFilled'), 'order PartiallyFilled');
    const [fill] = f.trades(user.accountId);
    assert.ok(fill !== undefined);
    const execution = (await updates.find((u) => u.topic === 'execution', 'execution')).data[0]!;
    assert.deepEqual([execution.orderId, execution.execId, dec(execution.execQty as string), dec(execution.execPrice as string), dec(execution.execFee as string), execution.isMaker],
      [orderId, String(fill.tradeId), base(fill.qty), price(fill.price), fill.fee, true]);
    const afterFill = f.wallet(user.accountId);
    const p = f.position(user.accountId);
    const positionPush = await updates.find((u) => u.topic === 'position' && u.data.some((r) => r.size === '0.004'), 'position');
    const pp = positionPush.data[0]!;
    assert.deepEqual([pp.symbol, pp.side, dec(pp.size as string), dec(pp.entryPrice as string), pp.positionIdx], [SYMBOL, 'Buy', base(p.qty), average(p.entryCost, p.qty), 0]);
    const usdtOf = (u: Update): Json | undefined => (u.data[0]?.coin as Json[] | undefined)?.find((c) => c.coin === 'USDT');
    await updates.find((u) => u.topic === 'wallet' && dec(usdtOf(u)?.walletBalance as string) === afterFill.walletBalance, 'the wallet after the fill');

    await ok(rest.cancelOrder({ category: 'linear', symbol: SYMBOL, orderId }), 'cancelOrder');
    o = f.order(user.accountId, orderId);
    assert.equal(o.state, 'PARTIALLY_CANCELED');
    await updates.find(orderRow('Cancelled'), 'order Cancelled (Bybit: PartiallyFilledCanceled is spot only)');

    // Read back with the library.
    const w = f.wallet(user.accountId);
    const wallet = (await ok(rest.getWalletBalance({ accountType: 'UNIFIED' }), 'getWalletBalance')).result.list[0]!;
    const usdt = wallet.coin.find((c) => c.coin === 'USDT')!;
    assert.deepEqual([dec(usdt.walletBalance), dec(usdt.equity), dec(usdt.unrealisedPnl), dec(wallet.totalAvailableBalance)],
      [w.walletBalance, w.walletBalance + p.unrealizedPnl, p.unrealizedPnl, w.availableBalance]);
    const positions = (await ok(rest.getPositionInfo({ category: 'linear', symbol: SYMBOL }), 'getPositionInfo')).result.list;
    assert.deepEqual(positions.map((x) => [x.symbol, x.side, x.positionIdx, dec(x.size), dec(x.avgPrice), dec(x.unrealisedPnl), x.tradeMode]),
      [[SYMBOL, 'Buy', 0, base(p.qty), average(p.entryCost, p.qty), p.unrealizedPnl, 0]]);
    assert.deepEqual((await ok(rest.getActiveOrders({ category: 'linear', symbol: SYMBOL }), 'getActiveOrders')).result.list, []);
    const history = (await ok(rest.getHistoricOrders({ category: 'linear', symbol: SYMBOL }), 'getHistoricOrders')).result.list;
    assert.deepEqual(history.map((x) => [x.orderId, x.orderStatus, dec(x.qty), dec(x.cumExecQty), dec(x.price), dec(x.avgPrice), dec(x.cumExecFee)]),
      [[orderId, 'Cancelled', base(o.qty), base(o.executedQty), price(o.price), average(o.cumQuote, o.executedQty), o.fees]]);
    const executions = (await ok(rest.getExecutionList({ category: 'linear', symbol: SYMBOL }), 'getExecutionList')).result.list;
    assert.deepEqual(executions.map((x) => [x.execId, x.orderId, x.side, dec(x.execQty), dec(x.execPrice), dec(x.execFee), x.isMaker]),
      [[String(fill.tradeId), orderId, 'Buy', base(fill.qty), price(fill.price), fill.fee, true]]);

    // This account's events only: no order, execution or balance of the other account.
    const mine = f.orderIds(user.accountId);
    const theirs = f.orderIds(other.accountId);
    assert.ok(theirs.has(Number(taken.result.orderId)));
    for (const u of updates.items) {
      for (const row of u.data) {
        if (u.topic === 'order' || u.topic === 'execution') assert.ok(mine.has(Number(row.orderId)) && !theirs.has(Number(row.orderId)), `a ${u.topic} row of order ${String(row.orderId)}, not this account's`);
      }
    }
    const balances = updates.items.filter((u) => u.topic === 'wallet').map((u) => dec(usdtOf(u)!.walletBalance as string));
    assert.ok(balances.every((b) => b === dec('10000') || b === afterFill.walletBalance), `wallet pushes ${balances.join(', ')}: not all this account's`);
    assert.deepEqual(errors, []);
  });
});
