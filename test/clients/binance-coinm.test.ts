/**
 * `binance` (tiagosiebler's Node SDK) COIN-M: CoinMClient for /dapi and WebsocketClient's COIN-M
 * user-data stream, pointed at perpstream with nothing but base URLs (`baseUrl` = <host>/binance
 * where the library has https://dapi.binance.com, `wsUrl` = <ws host>/binance/dstream where it has
 * wss://dstream.binance.com), on a fresh Binance account holding BTC, with the inverse and
 * delivery demo symbols present. The library opens its stream (POST /dapi/v1/listenKey, then
 * /ws/<key>), sets leverage, places a BTCUSD_PERP limit order another account fills, cancels a
 * resting one and reads balances, account, positions, orders and trades back: every value is the
 * engine's, and the stream carries the fill's ORDER_TRADE_UPDATE and ACCOUNT_UPDATE (B in BTC, P
 * in contracts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoinMClient, WebsocketClient } from 'binance';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { BinanceRest } from '../binance/client.js';
import { Harness } from '../support/harness.js';
import { dec, EventLog, within, type Created } from './support.js';

type Json = Record<string, unknown>;
const SYMBOL = 'BTCUSD_PERP';

/** The library's 50-minute listen-key keep-alive interval would hold the process (binance.test.ts does the same). */
const realSetInterval = globalThis.setInterval;
globalThis.setInterval = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = realSetInterval(handler, ms, ...args);
  if ((ms ?? 0) >= 60_000) timer.unref();
  return timer;
}) as typeof setInterval;

describe('binance (npm, tiagosiebler) CoinMClient + WebsocketClient (COIN-M)', () => {
  let h: Harness;
  let user: Created;
  let other: Created;
  let rest: CoinMClient;
  let ws: WebsocketClient;
  let config: SymbolConfig;
  const events = new EventLog<Json>();
  const exceptions: unknown[] = [];

  before(async () => {
    h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await h.admin.markPrice('btc_usd', '60000');
    config = h.server.exchange.engine.symbols().find((s) => s.symbol === 'btc_usd')!;
    user = await h.created('0', 'binance');
    await h.admin.deposit(user.accountId, '1', 'BTC');
    other = await h.created('0', 'binance');
    await h.admin.deposit(other.accountId, '10', 'BTC');
    const baseUrl = `${h.server.url}/binance`;
    rest = new CoinMClient({ api_key: user.apiKey, api_secret: user.secret, baseUrl });
    const logger = { trace: () => undefined, info: () => undefined, error: (...args: unknown[]) => exceptions.push(args) };
    ws = new WebsocketClient({ api_key: user.apiKey, api_secret: user.secret, wsUrl: `${h.server.wsUrl}/binance/dstream`, restOptions: { baseUrl } }, logger);
    ws.on('message', (e) => events.push(e as unknown as Json));
    ws.on('exception', (e) => exceptions.push(e));
  });
  after(async () => {
    ws.unsubscribeCoinFuturesUserDataStream();
    ws.closeAll(false);
    await h.stop();
  });

  const view = () => h.server.exchange.engine.account(user.accountId)!.view;

  it('stream, leverage, order, fill by another account, cancel, read back: every value is the engine\'s', async () => {
    const connected = await within(ws.subscribeCoinFuturesUserDataStream(), 'subscribeCoinFuturesUserDataStream');
    assert.ok(connected !== undefined, `the stream did not connect: ${JSON.stringify(exceptions)}`);

    const leverage = await within(rest.setLeverage({ symbol: SYMBOL, leverage: 10 }), 'setLeverage');
    assert.equal(leverage.leverage, 10);

    const placed = await within(rest.submitNewOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 5, price: 60000 }), 'submitNewOrder');
    const orderId = placed.orderId;
    assert.deepEqual([placed.status, dec(placed.origQty), placed.symbol], ['NEW', dec('5'), SYMBOL]);
    const orderEvent = (status: string) => (e: Json): boolean => e.e === 'ORDER_TRADE_UPDATE' && (e.o as Json).i === orderId && (e.o as Json).X === status;
    await events.find(orderEvent('NEW'), 'ORDER_TRADE_UPDATE NEW');

    const taker = new BinanceRest(h.server.url, other.apiKey, other.secret);
    await taker.ok('POST', '/dapi/v1/order', { symbol: SYMBOL, side: 'SELL', type: 'MARKET', quantity: '5' });
    const fillEvent = await events.find(orderEvent('FILLED'), 'ORDER_TRADE_UPDATE FILLED');
    const accountEvent = await events.find((e) => e.e === 'ACCOUNT_UPDATE', 'ACCOUNT_UPDATE');
    const fill = h.server.exchange.history.trades(user.accountId)[0]!;
    const fo = fillEvent.o as Json;
    assert.deepEqual([fo.l, fo.L, fo.N, dec(fo.n as string)], ['5', '60000', 'BTC', fill.fee]);
    const w = view().wallets.find((x) => x.asset === 'BTC')!;
    const p = view().positions.find((x) => x.symbol === 'btc_usd' && x.positionSide === 'BOTH')!;
    const a = accountEvent.a as { B: Json[]; P: Json[] };
    assert.deepEqual(a.B.map((b) => [b.a, dec(b.wb as string)]), [['BTC', w.walletBalance]]);
    assert.deepEqual(a.P.map((x) => [x.s, x.pa, dec(x.ep as string), x.ps]), [[SYMBOL, '5', dec(formatEntryPrice(config, p.entryCost, p.qty, 4)), 'BOTH']]);

    const resting = await within(rest.submitNewOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 2, price: 59000 }), 'resting order');
    const canceled = await within(rest.cancelOrder({ symbol: SYMBOL, orderId: resting.orderId }), 'cancelOrder');
    assert.equal(canceled.status, 'CANCELED');

    const balances = await within(rest.getBalance(), 'getBalance');
    assert.deepEqual(balances.map((b) => [b.asset, dec(b.balance), dec(b.availableBalance)]), [['BTC', w.walletBalance, view().wallets.find((x) => x.asset === 'BTC')!.availableBalance]]);
    const account = await within(rest.getAccountInformation(), 'getAccountInformation');
    assert.deepEqual(account.assets.map((x) => [x.asset, dec(x.walletBalance)]), [['BTC', w.walletBalance]]);
    const positions = await within(rest.getPositions(), 'getPositions');
    const mine = positions.find((x) => x.symbol === SYMBOL)!;
    assert.deepEqual([mine.positionAmt, dec(mine.unRealizedProfit), mine.leverage], ['5', p.unrealizedPnl, '10']);
    const all = await within(rest.getAllOrders({ symbol: SYMBOL }), 'getAllOrders');
    assert.deepEqual(all.map((x) => [x.orderId, x.status, x.executedQty]), [[orderId, 'FILLED', '5'], [resting.orderId, 'CANCELED', '0']]);
    const trades = await within(rest.getAccountTrades({ symbol: SYMBOL }), 'getAccountTrades');
    assert.deepEqual(trades.map((t) => [t.orderId, t.qty, t.price, dec(t.commission), t.commissionAsset]), [[orderId, '5', '60000', fill.fee, 'BTC']]);
    assert.deepEqual(exceptions, []);
  });
});
