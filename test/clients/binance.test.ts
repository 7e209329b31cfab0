/**
 * `binance` (tiagosiebler's Node SDK, USDMClient + WebsocketClient) against a started perpstream,
 * pointed at it with nothing but its base URLs (`baseUrl` for REST, `wsUrl` for the stream), on a
 * fresh account created for Binance, with the library's defaults for everything else. The scenario:
 * the library opens the user-data stream its own way (listen key, then /ws/<key>), places a limit
 * order, another account fills part of it, the library cancels the rest and reads back balances,
 * positions and orders; every value equals the engine's, and the stream carried this account's
 * events only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { USDMClient, WebsocketClient } from 'binance';
import { BinanceRest } from '../binance/client.js';
import { assertOnlyOwnBinanceEvents, average, base, ClientsFixture, dec, EventLog, price, within, type Created, unrefLongIntervals } from './support.js';

type Json = Record<string, unknown>;
const SYMBOL = 'BTCUSDT';

unrefLongIntervals();

describe('binance (npm, tiagosiebler) USDMClient + WebsocketClient', () => {
  let f: ClientsFixture;
  let user: Created;
  let other: Created;
  let rest: USDMClient;
  let ws: WebsocketClient;
  const events = new EventLog<Json>();
  const formatted = new EventLog<Json>();
  const exceptions: unknown[] = [];

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('binance', '10000');
    other = await f.account('binance', '100000');
    const baseUrl = `${f.url}/binance`;
    rest = new USDMClient({ api_key: user.apiKey, api_secret: user.secret, baseUrl });
    // The library's logger, quiet except for errors (which fail the test).
    const logger = { trace: () => undefined, info: () => undefined, error: (...args: unknown[]) => exceptions.push(args) };
    ws = new WebsocketClient({ api_key: user.apiKey, api_secret: user.secret, beautify: true, wsUrl: `${f.wsUrl}/binance`, restOptions: { baseUrl } }, logger);
    ws.on('message', (e) => events.push(e as unknown as Json));
    ws.on('formattedUserDataMessage', (e) => formatted.push(e as unknown as Json));
    ws.on('exception', (e) => exceptions.push(e));
  });
  after(async () => {
    ws.unsubscribeUsdFuturesUserDataStream();
    ws.closeAll(false);
    await f.stop();
  });

  it('stream, order, fill by another account, cancel, read back: every value is the engine\'s', async () => {
    // The library's way: POST /fapi/v1/listenKey, then a connection to <wsUrl>/ws/<listenKey>.
    const connected = await within(ws.subscribeUsdFuturesUserDataStream(), 'subscribeUsdFuturesUserDataStream');
    assert.ok(connected !== undefined, `the stream did not connect: ${JSON.stringify(exceptions)}`);

    const placed = await within(rest.submitNewOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 0.01, price: 60000 }), 'submitNewOrder');
    const orderId = placed.orderId;
    let o = f.order(user.accountId, orderId);
    assert.deepEqual([placed.status, dec(placed.origQty), dec(placed.price), placed.clientOrderId, placed.positionSide],
      ['NEW', base(o.qty), price(o.price), o.clientOrderId, 'BOTH']);
    const orderEvent = (status: string) => (e: Json): boolean => e.e === 'ORDER_TRADE_UPDATE' && (e.o as Json).i === orderId && (e.o as Json).X === status;
    await events.find(orderEvent('NEW'), 'ORDER_TRADE_UPDATE NEW');

    // Another account fills 0.004 of the 0.01.
    const taker = new BinanceRest(f.url, other.apiKey, other.secret);
    const taken = await taker.ok<Json>('POST', '/fapi/v1/order', { symbol: SYMBOL, side: 'SELL', type: 'MARKET', quantity: '0.004' });
    const fillEvent = await events.find(orderEvent('PARTIALLY_FILLED'), 'ORDER_TRADE_UPDATE PARTIALLY_FILLED');
    const accountEvent = await events.find((e) => e.e === 'ACCOUNT_UPDATE', 'ACCOUNT_UPDATE');
    const [fill] = f.trades(user.accountId);
    assert.ok(fill !== undefined);
    const fo = fillEvent.o as Json;
    assert.deepEqual([dec(fo.l as string), dec(fo.L as string), dec(fo.n as string), fo.t, fo.m], [base(fill.qty), price(fill.price), fill.fee, fill.tradeId, true]);
    const afterFill = f.wallet(user.accountId);
    const p = f.position(user.accountId);
    const a = accountEvent.a as { B: Json[]; P: Json[] };
    assert.deepEqual(a.B.map((b) => [b.a, dec(b.wb as string)]), [['USDT', afterFill.walletBalance]]);
    assert.deepEqual(a.P.map((x) => [x.s, dec(x.pa as string), dec(x.ep as string), x.ps]), [[SYMBOL, base(p.qty), average(p.entryCost, p.qty), 'BOTH']]);
    // The library's beautifier understood the same events.
    await formatted.find((e) => e.eventType === 'ORDER_TRADE_UPDATE' && (e.order as Json | undefined)?.orderStatus === 'PARTIALLY_FILLED', 'formatted ORDER_TRADE_UPDATE');
    await formatted.find((e) => e.eventType === 'ACCOUNT_UPDATE', 'formatted ACCOUNT_UPDATE');

    const canceled = await within(rest.cancelOrder({ symbol: SYMBOL, orderId }), 'cancelOrder');
    o = f.order(user.accountId, orderId);
    assert.equal(o.state, 'PARTIALLY_CANCELED');
    assert.deepEqual([canceled.status, dec(canceled.executedQty), dec(canceled.origQty)], ['CANCELED', base(o.executedQty), base(o.qty)]);
    await events.find(orderEvent('CANCELED'), 'ORDER_TRADE_UPDATE CANCELED');

    // Read back with the library.
    const w = f.wallet(user.accountId);
    const balances = await within(rest.getBalanceV3(), 'getBalanceV3');
    const usdt = balances.find((b) => b.asset === 'USDT')!;
    assert.deepEqual([dec(usdt.balance), dec(usdt.availableBalance), dec(usdt.crossWalletBalance), dec(usdt.crossUnPnl)],
      [w.walletBalance, w.availableBalance, w.walletBalance - w.isolatedMargin, p.unrealizedPnl]);
    const account = await within(rest.getAccountInformationV3(), 'getAccountInformationV3');
    assert.deepEqual([dec(account.totalWalletBalance), dec(account.availableBalance), dec(account.totalUnrealizedProfit)], [w.walletBalance, w.availableBalance, p.unrealizedPnl]);

    const positions = await within(rest.getPositionsV3({ symbol: SYMBOL }), 'getPositionsV3');
    assert.deepEqual(positions.map((x) => [x.symbol, x.positionSide, dec(x.positionAmt), dec(x.entryPrice), dec(x.unRealizedProfit), dec(x.positionInitialMargin)]),
      [[SYMBOL, 'BOTH', base(p.qty), average(p.entryCost, p.qty), p.unrealizedPnl, p.margin]]);

    assert.deepEqual(await within(rest.getAllOpenOrders({ symbol: SYMBOL }), 'getAllOpenOrders'), []);
    const all = await within(rest.getAllOrders({ symbol: SYMBOL }), 'getAllOrders');
    assert.deepEqual(all.map((x) => [x.orderId, x.status, dec(x.origQty), dec(x.executedQty), dec(x.price), dec(x.avgPrice)]),
      [[orderId, 'CANCELED', base(o.qty), base(o.executedQty), price(o.price), average(o.cumQuote, o.executedQty)]]);
    const trades = await within(rest.getAccountTrades({ symbol: SYMBOL }), 'getAccountTrades');
    assert.deepEqual(trades.map((t) => [t.id, t.orderId, t.side, dec(t.qty), dec(t.price), dec(t.commission), t.maker]),
      [[fill.tradeId, orderId, 'BUY', base(fill.qty), price(fill.price), fill.fee, true]]);

    // This account's events only: no order, trade or balance of the other account.
    assertOnlyOwnBinanceEvents(events.items, f.orderIds(user.accountId), f.orderIds(other.accountId), Number(taken.orderId), afterFill.walletBalance);
    assert.deepEqual(exceptions, []);
  });
});
