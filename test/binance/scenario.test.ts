/**
 * A scripted session over the real stream, pushed field by field: deposit, open, partial fill,
 * amend, cancel, close, margin-mode change, leverage change. Demo BTC_USDT (tick 0.1, contract
 * 0.0001 BTC, maker 0.0002, taker 0.0006), one-way account (set through positionSide/dual).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BinanceFixture, type BinanceAccount } from './support.js';
import type { BinanceStream, Json } from './client.js';

const BTC = 'BTCUSDT';

describe('Binance stream: a scripted session', () => {
  let f: BinanceFixture;
  let user: BinanceAccount;
  let other: BinanceAccount;
  let stream: BinanceStream;
  let seen = 0;
  let orderId = 0;

  /** The events pushed since the last call (all of them: past a sync round trip). */
  async function pushed(atLeast: number): Promise<Json[]> {
    await stream.until(() => stream.events.length >= seen + atLeast, 5_000, `${atLeast} events`);
    await stream.sync();
    const out = stream.events.slice(seen);
    seen = stream.events.length;
    return out;
  }

  before(async () => {
    f = await BinanceFixture.start();
    await f.admin.markPrice('btc_usdt', '60000');
    user = await f.account();
    other = await f.account('100000');
    for (const a of [user, other]) await a.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' });
    stream = await f.stream(user);
  });
  after(async () => { await f.stop(); });

  it('deposit: ACCOUNT_UPDATE DEPOSIT with USDT only and P empty', async () => {
    await f.admin.deposit(user.accountId, '1000');
    const [update, ...rest] = await pushed(1);
    assert.deepEqual(rest, []);
    assert.deepEqual(update!.a, { m: 'DEPOSIT', B: [{ a: 'USDT', wb: '1000.00000000', cw: '1000.00000000', bc: '1000.00000000' }], P: [] });
    assert.equal(update!.E, update!.T);
  });

  it('open: a resting limit order pushes ORDER_TRADE_UPDATE NEW and no ACCOUNT_UPDATE', async () => {
    const order = await user.rest.ok<Json>('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60000', newClientOrderId: 'scenario-1' });
    orderId = order.orderId as number;
    const events = await pushed(1);
    assert.deepEqual(events.map((e) => e.e), ['ORDER_TRADE_UPDATE']);
    const o = events[0]!.o as Json;
    assert.deepEqual([o.s, o.c, o.S, o.o, o.f, o.q, o.p, o.ap, o.x, o.X, o.i, o.l, o.z, o.L, o.t, o.m, o.R, o.ps, o.rp, o.er, 'N' in o],
      [BTC, 'scenario-1', 'BUY', 'LIMIT', 'GTC', '0.0100', '60000', '0', 'NEW', 'NEW', orderId, '0', '0', '0', 0, false, false, 'BOTH', '0', '0', false]);
  });

  it('partial fill: TRADE_LITE, ORDER_TRADE_UPDATE TRADE (maker, fee, PARTIALLY_FILLED), ACCOUNT_UPDATE ORDER', async () => {
    await other.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'MARKET', quantity: '0.004' });
    const events = await pushed(3);
    assert.deepEqual(events.map((e) => e.e), ['TRADE_LITE', 'ORDER_TRADE_UPDATE', 'ACCOUNT_UPDATE']);
    const fill = f.exchange.history.trades(user.accountId)[0]!;
    assert.deepEqual(events[0], { e: 'TRADE_LITE', E: fill.time, T: fill.time, s: BTC, q: '0.0100', p: '60000', m: true, c: 'scenario-1', S: 'BUY', L: '60000', l: '0.0040', t: fill.tradeId, i: orderId,
      seq: f.exchange.engine.account(user.accountId)!.seq /* perpstream's resume position: the command's last event */ });
    const o = events[1]!.o as Json;
    // Maker fee: 40 contracts × 600000 ticks × K 1000 × 0.0002 = 0.048 USDT.
    assert.deepEqual([o.x, o.X, o.l, o.z, o.L, o.ap, o.m, o.N, o.n, o.t, o.rp], ['TRADE', 'PARTIALLY_FILLED', '0.0040', '0.0040', '60000', '60000.00000', true, 'USDT', '0.048', fill.tradeId, '0']);
    const view = f.view(user.accountId);
    const w = view.wallets.find((x) => x.asset === 'USDT')!;
    assert.equal(w.walletBalance, 99_995_200_000n);
    assert.deepEqual(events[2]!.a, {
      m: 'ORDER',
      B: [{ a: 'USDT', wb: '999.95200000', cw: '999.95200000', bc: '0' }],
      P: [{ s: BTC, pa: '0.0040', ep: '60000.00000', bep: '60012.00000', cr: '0', up: '0', mt: 'cross', iw: '0', ps: 'BOTH', ma: 'USDT' }],
    });
  });

  it('amend: ORDER_TRADE_UPDATE AMENDMENT with the new price and quantity, no ACCOUNT_UPDATE', async () => {
    const amended = await user.rest.ok<Json>('PUT', '/fapi/v1/order', { symbol: BTC, orderId, side: 'BUY', quantity: '0.008', price: '59990' });
    assert.deepEqual([amended.origQty, amended.price, amended.executedQty, amended.status], ['0.0080', '59990', '0.0040', 'PARTIALLY_FILLED']);
    const events = await pushed(1);
    assert.deepEqual(events.map((e) => e.e), ['ORDER_TRADE_UPDATE']);
    const o = events[0]!.o as Json;
    assert.deepEqual([o.x, o.X, o.q, o.p, o.z], ['AMENDMENT', 'PARTIALLY_FILLED', '0.0080', '59990', '0.0040']);
  });

  it('cancel: x CANCELED, X CANCELED (a partly filled order), no ACCOUNT_UPDATE', async () => {
    const canceled = await user.rest.ok<Json>('DELETE', '/fapi/v1/order', { symbol: BTC, origClientOrderId: 'scenario-1' });
    assert.equal(canceled.status, 'CANCELED');
    const events = await pushed(1);
    assert.deepEqual(events.map((e) => [e.e, (e.o as Json).x, (e.o as Json).X]), [['ORDER_TRADE_UPDATE', 'CANCELED', 'CANCELED']]);
  });

  it('close: a market sell realizes PnL; the position goes flat', async () => {
    await other.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.004', price: '60100' });
    await user.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'MARKET', quantity: '0.004', reduceOnly: 'true' });
    const events = await pushed(4);
    assert.deepEqual(events.map((e) => e.e), ['ORDER_TRADE_UPDATE', 'TRADE_LITE', 'ORDER_TRADE_UPDATE', 'ACCOUNT_UPDATE']);
    const o = events[2]!.o as Json;
    // PnL 40 × 1000 ticks × K 1000 = 0.4; taker fee 40 × 601000 × 1000 × 0.0006 = 0.14424.
    assert.deepEqual([o.o, o.x, o.X, o.R, o.rp, o.n, o.m, o.ap], ['MARKET', 'TRADE', 'FILLED', true, '0.40000000', '0.14424', false, '60100.00000']);
    assert.deepEqual(events[3]!.a, {
      m: 'ORDER',
      B: [{ a: 'USDT', wb: '1000.20776000', cw: '1000.20776000', bc: '0' }],
      P: [{ s: BTC, pa: '0', ep: '0.00000', bep: '0.00000', cr: '0.40000000', up: '0', mt: 'cross', iw: '0', ps: 'BOTH', ma: 'USDT' }],
    });
  });

  it('margin-mode change: ACCOUNT_UPDATE MARGIN_TYPE_CHANGE with the margin asset and the BOTH entry', async () => {
    await user.rest.ok('POST', '/fapi/v1/marginType', { symbol: BTC, marginType: 'ISOLATED' });
    const events = await pushed(1);
    assert.deepEqual(events.map((e) => e.e), ['ACCOUNT_UPDATE']);
    assert.deepEqual(events[0]!.a, {
      m: 'MARGIN_TYPE_CHANGE',
      B: [{ a: 'USDT', wb: '1000.20776000', cw: '1000.20776000', bc: '0' }],
      P: [{ s: BTC, pa: '0', ep: '0.00000', bep: '0.00000', cr: '0.40000000', up: '0', mt: 'isolated', iw: '0', ps: 'BOTH', ma: 'USDT' }],
    });
  });

  it('leverage change: ACCOUNT_CONFIG_UPDATE ac {s, l} only', async () => {
    const reply = await user.rest.ok<Json>('POST', '/fapi/v1/leverage', { symbol: BTC, leverage: 10 });
    assert.deepEqual([reply.leverage, reply.symbol], [10, BTC]);
    const events = await pushed(1);
    assert.deepEqual(events.map((e) => e.e), ['ACCOUNT_CONFIG_UPDATE']);
    assert.deepEqual(events[0]!.ac, { s: BTC, l: 10 });
    assert.equal(events[0]!.E, events[0]!.T);
  });

  it('an isolated open and a margin transfer: iw and cw follow the isolated wallet', async () => {
    await other.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60000' });
    await user.rest.ok('POST', '/fapi/v1/order', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const opened = (await pushed(4)).at(-1)!;
    // Isolated margin at leverage 10: 100 × 600000 × 1000 / 10 = 60 USDT; taker fee 0.36.
    assert.deepEqual(opened.a, {
      m: 'ORDER',
      B: [{ a: 'USDT', wb: '999.84776000', cw: '939.84776000', bc: '0' }],
      P: [{ s: BTC, pa: '0.0100', ep: '60000.00000', bep: '60036.00000', cr: '0.40000000', up: '0', mt: 'isolated', iw: '60.00000000', ps: 'BOTH', ma: 'USDT' }],
    });
    await user.rest.ok('POST', '/fapi/v1/positionMargin', { symbol: BTC, amount: '5', type: 1 });
    const [transfer] = await pushed(1);
    assert.deepEqual(transfer!.a, {
      m: 'MARGIN_TRANSFER',
      B: [{ a: 'USDT', wb: '999.84776000', cw: '934.84776000', bc: '0' }],
      P: [{ s: BTC, pa: '0.0100', ep: '60000.00000', bep: '60036.00000', cr: '0.40000000', up: '0', mt: 'isolated', iw: '65.00000000', ps: 'BOTH', ma: 'USDT' }],
    });
  });
});
