/**
 * `xt-open-api` on XT's Coin-M host: the library's `futureC` module (its `futureCHost`, dapi.xt.com
 * by default) pointed at perpstream's /dapi, and its user stream (`futureSocketHostUser`, one URL;
 * the listen key comes from its futureU module, i.e. the USDT-M host) at /dapi/ws/user. A fresh
 * account created for XT holding only BTC trades the inverse perpetual btc_usd: the library's
 * order, pushes and read-backs equal the engine (BTC amounts, underlyingType 1 / COIN_BASED,
 * harmonic entry and average prices); each host refuses the other's symbol with XT's invalid_symbol.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import { Harness } from '../support/harness.js';
import { XtClient, type Created } from '../support/xt-client.js';
import { LibraryProcess, type Json } from './xt-open-api-process.js';

const SYMBOL = 'btc_usd';

describe('xt-open-api futureC (the Coin-M host) + futureWss on /dapi/ws/user', () => {
  let h: Harness;
  let user: Created;
  let other: Created;
  let lib: LibraryProcess;

  before(async () => {
    h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await h.admin.markPrice(SYMBOL, '60000');
    user = await h.admin.createAccount('xt');
    other = await h.admin.createAccount('xt');
    for (const account of [user, other]) await h.admin.deposit(account.accountId, '1', 'BTC');
    lib = await LibraryProcess.start({
      accessKey: user.apiKey,
      secretKey: user.secret,
      futureUHost: h.server.url,
      futureCHost: `${h.server.url}/dapi`,
      futureSocketHostUser: `${h.server.wsUrl}/dapi/ws/user`,
      futureSocketHostMarket: `${h.server.wsUrl}/ws/market`,
    });
  });
  after(async () => {
    await lib.close();
    await h.stop();
  });

  it('the library trades btc_usd; pushes and read-backs are in BTC and equal the engine', async () => {
    const topics = ['order', 'trade', 'position', 'balance', 'notify'];
    await lib.subscribePrivate(topics);
    const subscribe = await lib.sent.find((m) => m.method !== undefined, 'the subscribe frame');
    const ack = await lib.acks.find((m) => m.id === subscribe.id, 'the subscribe ack');
    assert.deepEqual([ack.code, ack.msg], [0, 'success']);

    const id = await lib.ok<string>('createOrder', { symbol: SYMBOL, orderSide: 'BUY', orderType: 'LIMIT', origQty: 10, price: 60000, positionSide: 'LONG' }, 'futureC');
    await lib.pushed('order', (d) => d.orderId === id && d.state === 'NEW', 'the order NEW');
    const taker = new XtClient(`${h.server.url}/dapi`, other.apiKey, other.secret);
    const taken = await taker.post('/future/trade/v1/order/create', { symbol: SYMBOL, orderSide: 'SELL', orderType: 'MARKET', origQty: '10', positionSide: 'SHORT' });
    assert.equal(taken.returnCode, 0, JSON.stringify(taken));

    const config = h.server.exchange.engine.symbols().find((c) => c.symbol === SYMBOL)!;
    const filled = await lib.pushed('order', (d) => d.orderId === id && d.state === 'FILLED', 'the order FILLED');
    const order = h.server.exchange.history.finishedOrder(user.accountId, Number(id))!;
    assert.equal(filled.avgPrice, formatEntryPrice(config, order.cumCost, order.executedQty));
    const view = h.server.exchange.engine.account(user.accountId)!.view;
    const p = view.positions.find((x) => x.symbol === SYMBOL && x.positionSide === 'LONG')!;
    const w = view.wallets.find((x) => x.asset === 'BTC')!;
    const position = await lib.pushed('position', (d) => d.positionSize === '10', 'the position LONG 10');
    assert.deepEqual([position.symbol, position.underlyingType, position.contractType, position.entryPrice, position.isolatedMargin],
      [SYMBOL, 'COIN_BASED', 'PERPUTUAL', formatEntryPrice(config, p.entryCost, p.qty), formatAmount(p.margin)]);
    const balance = await lib.pushed('balance', (d) => d.walletBalance === formatAmount(w.walletBalance), 'the BTC balance after the fill');
    assert.deepEqual([balance.coin, balance.underlyingType], ['btc', 1]);
    const trade = await lib.pushed('trade', (d) => d.orderId === id, 'the fill');
    assert.deepEqual([trade.price, trade.quantity, trade.feeCoin], ['60000', '10', 'btc']);

    const balances = await lib.ok<Json[]>('getBalanceList', undefined, 'futureC');
    assert.deepEqual(balances.map((x) => [x.coin, x.underlyingType, x.walletBalance, x.availableBalance]),
      [['btc', 1, formatAmount(w.walletBalance), formatAmount(w.availableBalance)]]);
    const positions = await lib.ok<Json[]>('getPositionList', { symbol: SYMBOL }, 'futureC');
    const long = positions.find((x) => x.positionSide === 'LONG')!;
    assert.deepEqual([long.positionSize, long.entryPrice, long.underlyingType], ['10', position.entryPrice, 'COIN_BASED']);
    const detail = await lib.ok<Json>('getOrderDetailById', { orderId: id }, 'futureC');
    assert.deepEqual([detail.state, detail.avgPrice], ['FILLED', filled.avgPrice]);
    // The USDT-M host knows none of it.
    const usdtM = await lib.call('getOrderDetailById', { orderId: id }, 'futureU');
    assert.deepEqual([usdtM.returnCode, usdtM.error?.code], [1, 'ORDER_005']);
  });

  it("each host refuses the other's symbol (invalid_symbol) and nothing changes", async () => {
    const before = JSON.stringify(h.server.exchange.engine.account(user.accountId)!.view, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const onCoinM = await lib.call('createOrder', { symbol: 'btc_usdt', orderSide: 'BUY', orderType: 'LIMIT', origQty: 1, price: 60000, positionSide: 'LONG' }, 'futureC');
    assert.deepEqual([onCoinM.returnCode, onCoinM.error?.code], [1, 'SYMBOL_001']);
    const onUsdtM = await lib.call('createOrder', { symbol: SYMBOL, orderSide: 'BUY', orderType: 'LIMIT', origQty: 1, price: 60000, positionSide: 'LONG' }, 'futureU');
    assert.deepEqual([onUsdtM.returnCode, onUsdtM.error?.code], [1, 'SYMBOL_001']);
    assert.equal(JSON.stringify(h.server.exchange.engine.account(user.accountId)!.view, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)), before);
  });
});
