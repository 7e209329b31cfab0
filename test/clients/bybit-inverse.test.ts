/**
 * `bybit-api` (RestClientV5 + WebsocketClient, defaults except the base URLs) trading BTCUSD, Bybit's
 * `category=inverse` perpetual (btc_usd: a contract is 100 USD, margin and PnL in BTC), from a fresh
 * Bybit account holding only BTC. The library subscribes to the private topics for `inverse`, places
 * a limit order that another account fills, and reads back orders, executions, the position and the
 * BTC wallet: quantities in USD, values in BTC, every one equal to the engine's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import { valueOfCost } from '../../src/engine/margin.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { Harness } from '../support/harness.js';
import { BybitRest } from '../bybit/client.js';
import { EventLog, within, type Created } from './support.js';

type Json = Record<string, unknown>;
interface Update { topic: string; data: Json[] }
const SYMBOL = 'BTCUSD';

describe('bybit-api RestClientV5 + WebsocketClient on category=inverse (BTCUSD)', () => {
  let h: Harness;
  let user: Created;
  let other: Created;
  let rest: RestClientV5;
  let ws: WebsocketClient;
  let config: SymbolConfig;
  const updates = new EventLog<Update>();
  const responses = new EventLog<Json>();
  const errors: unknown[] = [];
  const view = (accountId: number) => h.server.exchange.engine.account(accountId)!.view;

  async function ok<T extends { retCode: number }>(call: Promise<T>, what: string): Promise<T> {
    const reply = await within(call, what);
    assert.equal(reply.retCode, 0, `${what}: ${JSON.stringify(reply)}`);
    return reply;
  }
  /** A fresh account with Bybit's defaults holding `btc` BTC and nothing else. */
  const account = async (btc: string): Promise<Created> => {
    const created = await h.admin.createAccount('bybit');
    await h.admin.deposit(created.accountId, btc, 'BTC');
    return created;
  };

  before(async () => {
    h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await h.admin.markPrice('btc_usd', '60000');
    await h.admin.request('POST', '/index-price', { symbol: 'btc_usd', price: '60000' });
    config = h.server.exchange.engine.symbols().find((c) => c.symbol === 'btc_usd')!;
    user = await account('1');
    other = await account('1');
    rest = new RestClientV5({ key: user.apiKey, secret: user.secret, baseUrl: `${h.server.url}/bybit` });
    const logger = { trace: () => undefined, info: () => undefined, error: (...args: unknown[]) => errors.push(args) };
    ws = new WebsocketClient({ key: user.apiKey, secret: user.secret, wsUrl: `${h.server.wsUrl}/bybit/v5/private` }, logger);
    ws.on('update', (e) => updates.push(e as unknown as Update));
    ws.on('response', (e) => responses.push(e as unknown as Json));
    ws.on('exception', (e) => errors.push(e));
  });
  after(async () => {
    ws.closeAll(true);
    await h.stop();
  });

  it('instruments, order, fill, pushes and read-back in USD quantities and BTC values', async () => {
    const instruments = (await ok(rest.getInstrumentsInfo({ category: 'inverse' }), 'getInstrumentsInfo')).result.list;
    assert.deepEqual(instruments.map((i) => [i.symbol, i.contractType, i.settleCoin]), [['BTCUSD', 'InversePerpetual', 'BTC'], ['BTCUSDH27', 'InverseFutures', 'BTC']]);

    await within(Promise.all(ws.subscribeV5(['order', 'execution', 'position', 'wallet'], 'inverse')), 'subscribeV5');
    const ack = await responses.find((r) => r.op === 'subscribe', 'the subscribe response');
    assert.equal(ack.success, true, JSON.stringify(ack));

    const placed = await ok(rest.submitOrder({ category: 'inverse', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '500', price: '60000' }), 'submitOrder');
    const orderId = placed.result.orderId;
    const orderRow = (status: string) => (u: Update): boolean => u.topic === 'order' && u.data.some((r) => r.orderId === orderId && r.orderStatus === status);
    const created = (await updates.find(orderRow('New'), 'order New')).data.find((r) => r.orderId === orderId)!;
    assert.deepEqual([created.category, created.symbol, created.qty, created.leavesValue], ['inverse', SYMBOL, '500', '0.00833333']);

    const taker = new BybitRest(h.server.url, other.apiKey, other.secret);
    const taken = await taker.post('/v5/order/create', { category: 'inverse', symbol: SYMBOL, side: 'Sell', orderType: 'Market', qty: '300' });
    assert.equal(taken.retCode, 0, JSON.stringify(taken));
    await updates.find(orderRow('PartiallyFilled'), 'order PartiallyFilled');
    const fill = h.server.exchange.history.trades(user.accountId)[0]!;
    const execution = (await updates.find((u) => u.topic === 'execution', 'execution')).data[0]!;
    assert.deepEqual([execution.category, execution.execId, execution.execQty, execution.execPrice, execution.execValue, execution.execFee, execution.feeCurrency, execution.isMaker],
      ['inverse', String(fill.tradeId), '300', '60000', '0.005', formatAmount(fill.fee), 'BTC', true]);
    const p = view(user.accountId).positions.find((x) => x.symbol === 'btc_usd')!;
    const pushed = (await updates.find((u) => u.topic === 'position' && u.data.some((r) => r.size === '300'), 'position 300')).data[0]!;
    assert.deepEqual([pushed.category, pushed.side, pushed.entryPrice, pushed.positionValue, pushed.positionIM, pushed.unrealisedPnl], [
      'inverse', 'Buy', formatEntryPrice(config, p.entryCost, 3), formatAmount(valueOfCost(config, p.entryCost)), formatAmount(p.initialMargin), formatAmount(p.unrealizedPnl),
    ]);
    const btcOf = (u: Update): Json | undefined => (u.data[0]?.coin as Json[] | undefined)?.find((c) => c.coin === 'BTC');
    const w = view(user.accountId).wallets.find((x) => x.asset === 'BTC')!;
    await updates.find((u) => u.topic === 'wallet' && btcOf(u)?.availableToWithdraw === formatAmount(w.availableBalance), 'the BTC wallet after the fill');

    // Read back with the library.
    const wallet = (await ok(rest.getWalletBalance({ accountType: 'UNIFIED', coin: 'BTC' }), 'getWalletBalance')).result.list[0]!;
    const btc = wallet.coin.find((c) => c.coin === 'BTC')!;
    assert.deepEqual([btc.walletBalance, btc.availableToWithdraw, btc.totalPositionIM, btc.totalOrderIM],
      [formatAmount(w.walletBalance), formatAmount(w.availableBalance), formatAmount(w.crossedMargin + w.isolatedMargin), formatAmount(w.openOrderMarginFrozen)]);
    const positions = (await ok(rest.getPositionInfo({ category: 'inverse', symbol: SYMBOL }), 'getPositionInfo')).result.list;
    assert.deepEqual(positions.map((x) => [x.symbol, x.side, x.size, x.avgPrice, x.positionValue]),
      [[SYMBOL, 'Buy', '300', formatEntryPrice(config, p.entryCost, 3), '0.005']]);
    const open = (await ok(rest.getActiveOrders({ category: 'inverse', symbol: SYMBOL }), 'getActiveOrders')).result.list;
    const o = view(user.accountId).orders.find((x) => String(x.orderId) === orderId)!;
    assert.deepEqual(open.map((x) => [x.orderId, x.orderStatus, x.qty, x.cumExecQty, x.leavesQty, x.avgPrice, x.cumExecValue]),
      [[orderId, 'PartiallyFilled', '500', '300', '200', formatEntryPrice(config, o.cumCost, 3), formatAmount(valueOfCost(config, o.cumCost))]]);
    const executions = (await ok(rest.getExecutionList({ category: 'inverse', symbol: SYMBOL }), 'getExecutionList')).result.list;
    assert.deepEqual(executions.map((x) => [x.execId, x.orderId, x.execQty, x.execValue]), [[String(fill.tradeId), orderId, '300', '0.005']]);
    assert.deepEqual((await ok(rest.getExecutionList({ category: 'linear', symbol: 'BTCUSDT' }), 'linear executions')).result.list, []);

    await ok(rest.cancelOrder({ category: 'inverse', symbol: SYMBOL, orderId }), 'cancelOrder');
    await updates.find(orderRow('Cancelled'), 'order Cancelled');
    const wrong = await within(rest.cancelAllOrders({ category: 'linear', symbol: SYMBOL }), 'cancelAll with linear');
    assert.equal(wrong.retCode, 10001);
    assert.match(wrong.retMsg, /symbol invalid/);
    assert.deepEqual(errors, []);
  });
});
