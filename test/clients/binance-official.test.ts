/**
 * `@binance/derivatives-trading-usds-futures` (Binance's official Node connector) against a started
 * perpstream, pointed at it with nothing but its base URLs (`basePath` for REST, `wsURL` for the
 * streams), on a fresh account created for Binance, with the connector's defaults for everything
 * else. Its stream client opens combined connections to <wsURL>/market, /public and /private
 * (`/stream?streams=`) and subscribes the listen key with a SUBSCRIBE request on the private one.
 * The scenario: listen key over REST, userData(listenKey), a limit order, another account fills
 * part of it, the connector cancels the rest and reads back balances, positions and orders; every
 * value equals the engine's, and the stream carried this account's events only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DerivativesTradingUsdsFutures } from '@binance/derivatives-trading-usds-futures';
import { BinanceRest } from '../binance/client.js';
import { assertOnlyOwnBinanceEvents, average, base, ClientsFixture, dec, EventLog, price, within, type Created } from './support.js';

type Json = Record<string, unknown>;
type Connection = Awaited<ReturnType<DerivativesTradingUsdsFutures['websocketStreams']['connect']>>;
const SYMBOL = 'BTCUSDT';

describe('@binance/derivatives-trading-usds-futures (Binance\'s official connector) REST + WebSocket streams', () => {
  let f: ClientsFixture;
  let user: Created;
  let other: Created;
  let client: DerivativesTradingUsdsFutures;
  let connection: Connection | undefined;
  const events = new EventLog<Json>();
  const raw = new EventLog<Json>();

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('binance', '10000');
    other = await f.account('binance', '100000');
    client = new DerivativesTradingUsdsFutures({
      configurationRestAPI: { apiKey: user.apiKey, apiSecret: user.secret, basePath: `${f.url}/binance` },
      configurationWebsocketStreams: { wsURL: `${f.wsUrl}/binance` },
    });
  });
  after(async () => {
    await connection?.disconnect();
    await f.stop();
  });

  it('stream, order, fill by another account, cancel, read back: every value is the engine\'s', async () => {
    const rest = client.restAPI;
    const { listenKey } = await within((await rest.startUserDataStream()).data(), 'startUserDataStream');
    assert.ok(listenKey !== undefined);
    const opened = await within(client.websocketStreams.connect(), 'websocketStreams.connect');
    connection = opened;
    opened.on('message', (data: string) => raw.push(JSON.parse(data) as Json));
    opened.userData(listenKey).on('message', (data) => events.push(data as unknown as Json));
    // The connector sends {"method":"SUBSCRIBE","params":[listenKey],"id":…}; its answer is the barrier.
    await raw.find((m) => 'result' in m && m.result === null && 'id' in m, 'the SUBSCRIBE answer {"result":null,"id":…}');

    const placed = await within((await rest.newOrder({ symbol: SYMBOL, side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTC' as never, quantity: 0.01, price: 60000 })).data(), 'newOrder');
    const orderId = Number(placed.orderId);
    let o = f.order(user.accountId, orderId);
    assert.deepEqual([placed.status, dec(placed.origQty!), dec(placed.price!), placed.positionSide], ['NEW', base(o.qty), price(o.price), 'BOTH']);
    const orderEvent = (status: string) => (e: Json): boolean => e.e === 'ORDER_TRADE_UPDATE' && Number((e.o as Json).i) === orderId && (e.o as Json).X === status;
    await events.find(orderEvent('NEW'), 'ORDER_TRADE_UPDATE NEW');

    // Another account fills 0.004 of the 0.01.
    const taker = new BinanceRest(f.url, other.apiKey, other.secret);
    const taken = await taker.ok<Json>('POST', '/fapi/v1/order', { symbol: SYMBOL, side: 'SELL', type: 'MARKET', quantity: '0.004' });
    const fo = (await events.find(orderEvent('PARTIALLY_FILLED'), 'ORDER_TRADE_UPDATE PARTIALLY_FILLED')).o as Json;
    const [fill] = f.trades(user.accountId);
    assert.ok(fill !== undefined);
    assert.deepEqual([dec(fo.l as string), dec(fo.L as string), dec(fo.n as string), Number(fo.t), fo.m], [base(fill.qty), price(fill.price), fill.fee, fill.tradeId, true]);
    const afterFill = f.wallet(user.accountId);
    const p = f.position(user.accountId);
    const a = (await events.find((e) => e.e === 'ACCOUNT_UPDATE', 'ACCOUNT_UPDATE')).a as { B: Json[]; P: Json[] };
    assert.deepEqual(a.B.map((b) => [b.a, dec(b.wb as string)]), [['USDT', afterFill.walletBalance]]);
    assert.deepEqual(a.P.map((x) => [x.s, dec(x.pa as string), dec(x.ep as string), x.ps]), [[SYMBOL, base(p.qty), average(p.entryCost, p.qty), 'BOTH']]);

    const canceled = await within((await rest.cancelOrder({ symbol: SYMBOL, orderId })).data(), 'cancelOrder');
    o = f.order(user.accountId, orderId);
    assert.equal(o.state, 'PARTIALLY_CANCELED');
    assert.deepEqual([canceled.status, dec(canceled.executedQty!), dec(canceled.origQty!)], ['CANCELED', base(o.executedQty), base(o.qty)]);
    await events.find(orderEvent('CANCELED'), 'ORDER_TRADE_UPDATE CANCELED');

    // Read back with the connector.
    const w = f.wallet(user.accountId);
    const balances = await within((await rest.futuresAccountBalanceV3()).data(), 'futuresAccountBalanceV3');
    const usdt = balances.find((b) => b.asset === 'USDT')!;
    assert.deepEqual([dec(usdt.balance!), dec(usdt.availableBalance!), dec(usdt.crossWalletBalance!), dec(usdt.crossUnPnl!)],
      [w.walletBalance, w.availableBalance, w.walletBalance - w.isolatedMargin, p.unrealizedPnl]);
    const account = await within((await rest.accountInformationV3()).data(), 'accountInformationV3');
    assert.deepEqual([dec(account.totalWalletBalance!), dec(account.availableBalance!), dec(account.totalUnrealizedProfit!)], [w.walletBalance, w.availableBalance, p.unrealizedPnl]);
    const positions = await within((await rest.positionInformationV3({ symbol: SYMBOL })).data(), 'positionInformationV3');
    assert.deepEqual(positions.map((x) => [x.symbol, x.positionSide, dec(x.positionAmt!), dec(x.entryPrice!), dec(x.unRealizedProfit!), dec(x.positionInitialMargin!)]),
      [[SYMBOL, 'BOTH', base(p.qty), average(p.entryCost, p.qty), p.unrealizedPnl, p.margin]]);
    assert.deepEqual(await within((await rest.currentAllOpenOrders({ symbol: SYMBOL })).data(), 'currentAllOpenOrders'), []);
    const all = await within((await rest.allOrders({ symbol: SYMBOL })).data(), 'allOrders');
    assert.deepEqual(all.map((x) => [Number(x.orderId), x.status, dec(x.origQty!), dec(x.executedQty!), dec(x.price!), dec(x.avgPrice!)]),
      [[orderId, 'CANCELED', base(o.qty), base(o.executedQty), price(o.price), average(o.cumQuote, o.executedQty)]]);
    const trades = await within((await rest.accountTradeList({ symbol: SYMBOL })).data(), 'accountTradeList');
    assert.deepEqual(trades.map((t) => [Number(t.id), Number(t.orderId), t.side, dec(t.qty!), dec(t.price!), dec(t.commission!), t.maker]),
      [[fill.tradeId, orderId, 'BUY', base(fill.qty), price(fill.price), fill.fee, true]]);

    // This account's events only: no order, trade or balance of the other account.
    assertOnlyOwnBinanceEvents(events.items, f.orderIds(user.accountId), f.orderIds(other.accountId), Number(taken.orderId), afterFill.walletBalance);
  });
});
