/**
 * `xt-open-api` (npm, the one published JavaScript client for XT futures: `futureU` REST +
 * `futureWss` user stream) against a started perpstream, pointed at it with nothing but the hosts
 * of its `.config.json`, on a fresh account created for XT, with the library's defaults for
 * everything else (it signs X = validate-appkey&validate-timestamp, Y = #path#sorted query#JSON
 * body, with `validate-recvwindow: 60000`). The library reads that file from the working
 * directory when first required and keeps module state, so it runs in a child process
 * (xt-open-api-child.ts). The scenario: the library opens the user stream its way (listen key,
 * then a lower-case `subscribe` of `topic@listenKey`), places a limit order that another account
 * fills, places and cancels a second one, and reads back balances, positions, orders and fills;
 * every value equals the engine's, and the stream carried this account's events only. Then its
 * conditional-order calls (createPlan … getTrackListHistory) with the fields the library sends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PositionSnapshot } from '../../src/engine/types.js';
import { XtClient } from '../support/xt-client.js';
import { average, ClientsFixture, dec, price, type Created } from './support.js';
import { LibraryProcess, type Json } from './xt-open-api-process.js';

const SYMBOL = 'btc_usdt';

describe('xt-open-api (npm, the JavaScript client for XT futures) futureU + futureWss', () => {
  let f: ClientsFixture;
  let user: Created;
  let other: Created;
  let lib: LibraryProcess;

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('xt', '10000');
    other = await f.account('xt', '100000');
    lib = await LibraryProcess.start({
      accessKey: user.apiKey,
      secretKey: user.secret,
      futureUHost: f.url,
      futureSocketHostUser: `${f.wsUrl}/ws/user`,
      // Never opened (the test subscribes no public topic); set so nothing can reach XT itself.
      futureSocketHostMarket: `${f.wsUrl}/ws/market`,
    });
  });
  after(async () => {
    await lib.close();
    await f.stop();
  });

  it('stream, order filled by another account, another order canceled, read back: every value is the engine\'s', async () => {
    // The library's way: GET /future/user/v1/user/listen-key, connect, then `subscribe` topic@listenKey.
    const topics = ['order', 'trade', 'position', 'balance', 'notify'];
    await lib.subscribePrivate(topics);
    const subscribe = await lib.sent.find((m) => m.method !== undefined, 'the subscribe frame');
    const listenKey = String((subscribe.params as string[])[0]).split('@')[1]!;
    assert.equal(f.h.server.listenKeys.resolve(listenKey, f.h.server.exchange.now())?.accountId, user.accountId, 'a listen key of this account');
    assert.deepEqual([subscribe.method, subscribe.params], ['subscribe', topics.map((t) => `${t}@${listenKey}`)]);
    // XT's ack {id, code, msg} (perpstream adds the stream's epoch and seq). The library looks for no
    // success ack: it checks only that a frame with `method: "subscribe"` has msg "SUCCESS", and XT's
    // ack has no `method`.
    const ack = await lib.acks.find((m) => m.id === subscribe.id, 'the subscribe ack');
    assert.deepEqual([ack.code, ack.msg], [0, 'success']);

    // Order A, a limit buy that another account fills.
    const a = await lib.ok<string>('createOrder', { symbol: SYMBOL, orderSide: 'BUY', orderType: 'LIMIT', origQty: 10, price: 60000, positionSide: 'LONG' });
    let oa = f.order(user.accountId, a);
    assert.deepEqual([oa.state, oa.side, oa.positionSide, oa.qty, oa.price, oa.timeInForce], ['NEW', 'BUY', 'LONG', 10, 600_000, 'GTC'], 'the library\'s order: hedge LONG, GTC');
    await lib.pushed('order', (d) => d.orderId === a && d.state === 'NEW', 'order A NEW');
    const taker = new XtClient(f.url, other.apiKey, other.secret);
    const taken = await taker.post<string>('/future/trade/v1/order/create', { symbol: SYMBOL, orderSide: 'SELL', orderType: 'MARKET', origQty: '10', positionSide: 'SHORT' });
    assert.equal(taken.returnCode, 0, JSON.stringify(taken));
    const filled = await lib.pushed('order', (d) => d.orderId === a && d.state === 'FILLED', 'order A FILLED');
    oa = f.order(user.accountId, a);
    assert.deepEqual([filled.origQty, filled.executedQty, dec(filled.avgPrice as string), dec(filled.price as string), dec(filled.fee as string)],
      [String(oa.qty), String(oa.executedQty), average(oa.cumQuote, oa.executedQty), price(oa.price), oa.fees]);
    const [fill] = f.trades(user.accountId);
    assert.ok(fill !== undefined);
    const trade = await lib.pushed('trade', (d) => d.orderId === a, 'trade of A');
    assert.deepEqual([trade.tradeId, trade.quantity, dec(trade.price as string), dec(trade.fee as string), trade.isMaker, trade.orderSide, trade.positionSide],
      [String(fill.tradeId), String(fill.qty), price(fill.price), fill.fee, true, 'BUY', 'LONG']);
    const p = f.position(user.accountId, SYMBOL, 'LONG');
    const position = await lib.pushed('position', (d) => d.positionSide === 'LONG' && d.positionSize === '10', 'position LONG 10');
    assert.deepEqual([position.symbol, position.positionType, dec(position.entryPrice as string), dec(position.isolatedMargin as string), position.leverage],
      [SYMBOL, 'CROSSED', average(p.entryCost, p.qty), p.margin, p.leverage]);
    const afterFill = f.wallet(user.accountId);
    await lib.pushed('balance', (d) => dec(d.walletBalance as string) === afterFill.walletBalance, 'the balance after the fill');

    // Order B, placed and canceled by the library.
    const b = await lib.ok<string>('createOrder', { symbol: SYMBOL, orderSide: 'BUY', orderType: 'LIMIT', origQty: 5, price: 59000, positionSide: 'LONG' });
    await lib.pushed('order', (d) => d.orderId === b && d.state === 'NEW', 'order B NEW');
    assert.equal(await lib.ok<string>('cancelOrder', { orderId: b }), b);
    const ob = f.order(user.accountId, b);
    assert.equal(ob.state, 'CANCELED');
    await lib.pushed('order', (d) => d.orderId === b && d.state === 'CANCELED', 'order B CANCELED');

    // Read back with the library.
    const w = f.wallet(user.accountId);
    const wallet = (x: Json): bigint[] => ['walletBalance', 'openOrderMarginFrozen', 'isolatedMargin', 'crossedMargin', 'availableBalance'].map((k) => dec(x[k] as string));
    const engineWallet = [w.walletBalance, w.openOrderMarginFrozen, w.isolatedMargin, w.crossedMargin, w.availableBalance];
    const balances = await lib.ok<Json[]>('getBalanceList');
    assert.deepEqual(balances.map((x) => [x.coin, ...wallet(x)]), [['usdt', ...engineWallet]]);
    assert.deepEqual(wallet(await lib.ok<Json>('getCoinBalance', { coin: 'usdt' })), engineWallet);
    const positionRow = (x: Json): unknown[] => [x.symbol, x.positionSide, x.positionType, x.positionSize, x.closeOrderSize, x.availableCloseSize, x.openOrderSize,
      dec(x.entryPrice as string), dec(x.isolatedMargin as string), dec(x.openOrderMarginFrozen as string), dec(x.unrealizedProfit as string), dec(x.realizedProfit as string), x.leverage];
    const enginePositionRow = (x: PositionSnapshot): unknown[] => [x.symbol, x.positionSide, x.marginMode, String(Math.abs(x.qty)), String(x.closeOrderQty), String(Math.abs(x.qty) - x.closeOrderQty),
      String(x.openOrderQty), x.qty === 0 ? 0n : average(x.entryCost, x.qty), x.margin, x.openOrderMarginFrozen, x.unrealizedPnl, x.realizedPnlTotal, x.leverage];
    const enginePositions = f.view(user.accountId).positions.filter((x) => x.symbol === SYMBOL && x.positionSide !== 'BOTH');
    assert.deepEqual((await lib.ok<Json[]>('getPositionList', { symbol: SYMBOL })).map(positionRow), enginePositions.map(enginePositionRow));
    const orderRow = (x: Json): unknown[] => [x.orderId, x.state, x.origQty, x.executedQty, dec(x.price as string), dec(x.avgPrice as string), dec(x.fee as string), x.positionSide];
    const engineRow = (o: typeof oa): unknown[] => [String(o.orderId), o.state, String(o.qty), String(o.executedQty), price(o.price), o.executedQty === 0 ? 0n : average(o.cumQuote, o.executedQty), o.fees, o.positionSide];
    assert.deepEqual(orderRow(await lib.ok<Json>('getOrderDetailById', { orderId: a })), engineRow(oa));
    assert.deepEqual(orderRow(await lib.ok<Json>('getOrderDetailById', { orderId: b })), engineRow(ob));
    assert.deepEqual((await lib.ok<{ items: Json[] }>('getOrderList', { symbol: SYMBOL })).items, [], 'no open order (state NEW by default)');
    const history = await lib.ok<{ items: Json[] }>('getOrderList', { symbol: SYMBOL, state: 'HISTORY' });
    assert.deepEqual(history.items.map(orderRow), [engineRow(ob), engineRow(oa)]);
    const fills = await lib.ok<{ items: Json[] }>('getTradeList', { symbol: SYMBOL });
    assert.deepEqual(fills.items.map((x) => [x.tradeId, x.orderId, x.orderSide, x.positionSide, x.quantity, dec(x.price as string), dec(x.fee as string), x.isMaker]),
      [[String(fill.tradeId), a, 'BUY', 'LONG', String(fill.qty), price(fill.price), fill.fee, true]]);

    // The stream carried this account's events only, up to the account's last event (its seq, which
    // every push carries), and its last balance and position are the engine's.
    const lastSeq = f.h.server.exchange.engine.account(user.accountId)!.seq;
    await lib.pushes.find((x) => x.seq === lastSeq, `the push of the account's last event (seq ${lastSeq})`);
    const mine = f.orderIds(user.accountId);
    const theirs = f.orderIds(other.accountId);
    assert.ok(theirs.has(Number(taken.result)));
    const pushes = lib.pushes.items;
    for (const x of pushes.filter((y) => y.topic === 'order' || y.topic === 'trade')) {
      assert.ok(mine.has(Number(x.data.orderId)) && !theirs.has(Number(x.data.orderId)), `a ${x.topic} push of order ${String(x.data.orderId)}, not this account's`);
    }
    assert.deepEqual([...new Set(pushes.map((x) => x.event))].sort(), ['balance', 'order', 'position', 'trade'].map((t) => `${t}@${user.accountId}`));
    assert.deepEqual(wallet(pushes.filter((x) => x.topic === 'balance').at(-1)!.data), engineWallet);
    const lastLong = pushes.filter((x) => x.topic === 'position' && x.data.positionSide === 'LONG').at(-1)!.data;
    assert.deepEqual(positionRow(lastLong), enginePositionRow(f.position(user.accountId, SYMBOL, 'LONG')));

    // XT documents the futures push as {"topic":"order","event":"order@123456",...} (its UserWebsocket
    // pages; ccxt's samples show the same), and perpstream sends that. The library routes a push to
    // its subscribePrivate callback only when `event` is exactly a topic it subscribed ("order"), as
    // XT's spot stream sends: so none of these pushes reaches the callback (only `notify`, whose
    // documented event is the bare topic, would). The library drops them without an error.
    assert.deepEqual(lib.callbacks.items, []);
  });

  it('conditional orders through the library: plan, profit (TP/SL) and track; a plan fires and its order is pushed with sourceType ENTRUST', async () => {
    const engine = f.h.server.exchange.engine;
    const waiting = () => engine.account(user.accountId)!.view.conditionals.map((c) => [String(c.conditionalId), c.kind]);
    const long = () => f.position(user.accountId, SYMBOL, 'LONG').qty;
    const held = long();
    assert.ok(held > 0, 'the first test left a LONG');

    // Plan (createPlan, getPlanList, getPlanDetail): a market buy when the mark reaches 61000.
    const plan = await lib.ok<string>('createPlan', {
      symbol: SYMBOL, orderSide: 'BUY', entrustType: 'STOP_MARKET', origQty: 1, stopPrice: 61000, timeInForce: 'IOC', triggerPriceType: 'MARK_PRICE', positionSide: 'LONG',
    });
    assert.deepEqual(waiting(), [[plan, 'PLAN']]);
    const plans = await lib.ok<{ items: Json[] }>('getPlanList', { symbol: SYMBOL, state: 'NOT_TRIGGERED' });
    assert.deepEqual(plans.items.map((x) => [x.entrustId, x.entrustType, x.stopPrice, x.state, x.triggerPriceType]), [[plan, 'STOP_MARKET', '61000', 'NOT_TRIGGERED', 'MARK_PRICE']]);
    assert.equal((await lib.ok<Json>('getPlanDetail', { entrustId: plan })).entrustId, plan);
    const taker = new XtClient(f.url, other.apiKey, other.secret);
    const ask = await taker.post<string>('/future/trade/v1/order/create', { symbol: SYMBOL, orderSide: 'SELL', orderType: 'LIMIT', price: '61000', origQty: '1', positionSide: 'SHORT' });
    assert.equal(ask.returnCode, 0, JSON.stringify(ask));
    await f.h.admin.markPrice(SYMBOL, '61000');
    const fired = await lib.pushed('order', (d) => d.orderId === plan && d.state === 'FILLED', 'the plan\'s order FILLED');
    assert.deepEqual([fired.sourceType, fired.sourceId, fired.orderSide, fired.executedQty], ['ENTRUST', plan, 'BUY', '1']);
    assert.equal(long(), held + 1);
    assert.equal((await lib.ok<Json>('getPlanDetail', { entrustId: plan })).state, 'TRIGGERED');
    assert.deepEqual((await lib.ok<{ items: Json[] }>('getPlanHistory', { symbol: SYMBOL })).items.map((x) => [x.entrustId, x.state]), [[plan, 'TRIGGERED']]);

    // Profit (createProfit with the library's fields: no delegate types), update, cancel.
    const profit = await lib.ok<string>('createProfit', { symbol: SYMBOL, origQty: held + 1, triggerProfitPrice: 65000, triggerStopPrice: 55000, positionSide: 'LONG' });
    assert.deepEqual(waiting().map(([, kind]) => kind), ['TAKE_PROFIT', 'STOP_LOSS']);
    const pairs = await lib.ok<{ items: Json[] }>('getProfitList', { symbol: SYMBOL, state: 'NOT_TRIGGERED' });
    assert.deepEqual(pairs.items.map((x) => [x.profitId, x.triggerProfitPrice, x.triggerStopPrice, x.origQty, x.triggerPriceType]), [[profit, '65000', '55000', String(held + 1), 'LATEST_PRICE']]);
    assert.equal(await lib.ok<string>('updateProfitStop', { profitId: profit, triggerStopPrice: 56000 }), profit);
    assert.equal((await lib.ok<Json>('getProfitDetail', { profitId: profit })).triggerStopPrice, '56000');
    assert.equal(await lib.ok<string>('cancelProfitStop', { profitId: profit }), profit);
    assert.equal((await lib.ok<Json>('getProfitDetail', { profitId: profit })).state, 'USER_REVOCATION');

    // Track (createTrack with every required field), listed, cancelled, in the history.
    const track = await lib.ok<string>('createTrack', {
      callback: 'PROPORTION', callbackVal: 0.02, orderSide: 'SELL', origQty: 5, positionSide: 'LONG', positionType: 'CROSSED', symbol: SYMBOL, triggerPriceType: 'MARK_PRICE',
    });
    const tracks = await lib.ok<{ items: Json[] }>('getTrackList', { symbol: SYMBOL });
    assert.deepEqual(tracks.items.map((x) => [x.trackId, x.callback, x.callbackVal, x.state, x.stopPrice]), [[track, 'PROPORTION', '0.02', 'NOT_TRIGGERED', '59780']], 'armed at once: 2 % below the mark 61000');
    assert.equal(await lib.ok<string>('cancelTrack', { trackId: track }), track);
    assert.deepEqual((await lib.ok<{ items: Json[] }>('getTrackListHistory', { symbol: SYMBOL })).items.map((x) => [x.trackId, x.state]), [[track, 'USER_REVOCATION']]);
    assert.deepEqual(waiting(), []);
  });
});
