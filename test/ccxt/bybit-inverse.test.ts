/**
 * ccxt 4.5.84 (`ccxt.pro.bybit`, unified account) trading Bybit's `category=inverse` against a real
 * perpstream with the inverse and delivery demo symbols: BTC/USD:BTC is `btc_usd` (BTCUSD, a
 * contract is 100 USD, margin and PnL in BTC). Bybit counts inverse quantities in USD, so ccxt's
 * amount 300 is 3 engine contracts (its contractSize for an inverse market is minOrderQty, 100).
 *
 *   1 contract at 60000 is worth 100 / 60000 = 0.00166666 BTC (C / p, C = 10^11 amount units × ticks)
 *   3 contracts at 60000: 0.005 BTC; taker fee 0.0005 × 0.005 = 0.0000025 BTC
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import { valueOfCost } from '../../src/engine/margin.js';
import { cacheRows, num, rejectionOf, tap, watchUntil, withTimeout } from './helpers.js';
import { startFixture, T, type Account, type Fixture } from './bybit-fixture.js';

const INV = 'BTC/USD:BTC';
const INV_FUTURE = 'BTC/USD:BTC-270326';
const LIN_FUTURE = 'BTC/USDT:USDT-270326';

const subscribeAck = (message: Record<string, unknown>): boolean => message.op === 'subscribe' && message.success === true;

describe('ccxt bybit: category=inverse (BTC/USD:BTC)', () => {
  let f: Fixture;
  const btcWallet = (accountId: number) => f.view(accountId).wallets.find((w) => w.asset === 'BTC')!;
  /** A fresh account holding `btc` BTC, its ccxt loading linear and inverse markets. */
  const account = async (btc: string): Promise<Account> => {
    const a = await f.account('0', { fetchMarkets: { types: ['linear', 'inverse'] } });
    if (btc !== '0') await f.admin.deposit(a.accountId, btc, 'BTC');
    return a;
  };
  const place = async (a: Account, type: 'limit' | 'market', side: 'buy' | 'sell', usd: number, price?: number, params = {}): Promise<string> => {
    const order = await withTimeout(a.ex.createOrder(INV, type, side, usd, price, params), T, `createOrder ${side} ${usd}`);
    return order.id!;
  };

  before(async () => {
    f = await startFixture({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await f.admin.markPrice('btc_usdt', '60000');
    await f.admin.markPrice('btc_usd', '60000');
    await f.admin.request('POST', '/index-price', { symbol: 'btc_usd', price: '60000' });
  });
  afterEach(async () => { await f.cancelEverything(); });
  after(async () => { await f.close(); });

  it('loadMarkets: BTCUSD an inverse swap in USD (contractSize = minOrderQty 100), BTCUSDH27 and BTCUSDT-26MAR27 futures expiring 2027-03-26', async () => {
    const a = await account('0');
    const m = a.ex.market(INV);
    assert.deepEqual([m.id, m.type, m.swap, m.inverse, m.linear, m.settle, m.active, m.contractSize], ['BTCUSD', 'swap', true, true, false, 'BTC', true, 100]);
    assert.deepEqual(m.precision, { amount: 100, price: 0.1 });
    assert.deepEqual([m.maker, m.taker], [0.0001, 0.0005]);
    const inverseFuture = a.ex.market(INV_FUTURE);
    assert.deepEqual([inverseFuture.id, inverseFuture.type, inverseFuture.future, inverseFuture.inverse, inverseFuture.expiryDatetime],
      ['BTCUSDH27', 'future', true, true, '2027-03-26T08:00:00.000Z']);
    const linearFuture = a.ex.market(LIN_FUTURE);
    assert.deepEqual([linearFuture.id, linearFuture.type, linearFuture.linear, linearFuture.settle, linearFuture.contractSize],
      ['BTCUSDT-26MAR27', 'future', true, 'USDT', 1]);
    assert.equal(a.ex.market('BTC/USDT:USDT').id, 'BTCUSDT');
  });

  it('createOrder / fetchOpenOrders / fetchBalance / fetchPositions / fetchMyTrades in USD and BTC equal the engine', async () => {
    const maker = await account('1');
    const a = await account('1');
    const makerId = await place(maker, 'limit', 'sell', 500, 60_000);
    const engineMaker = f.order(maker.accountId, makerId)!;
    assert.deepEqual([engineMaker.symbol, engineMaker.qty, engineMaker.price, engineMaker.side], ['btc_usd', 5, 600_000, 'SELL']);
    const open = await withTimeout(maker.ex.fetchOpenOrders(INV), T, 'fetchOpenOrders');
    assert.deepEqual(open.map((o) => [o.id, o.symbol, o.amount, o.price, o.remaining, o.status]), [[makerId, INV, 500, 60_000, 500, 'open']]);
    assert.equal((open[0]!.info as Record<string, string>).leavesValue, '0.00833333', '500 USD at 60000 in BTC');

    const takerId = await place(a, 'market', 'buy', 300);
    const taker = f.order(a.accountId, takerId)!;
    assert.deepEqual([taker.state, taker.executedQty], ['FILLED', 3]);
    const config = f.server.exchange.engine.symbols().find((c) => c.symbol === 'btc_usd')!;
    const fetched = await withTimeout(a.ex.fetchOrder(takerId, INV, { acknowledged: true }), T, 'fetchOrder');
    assert.deepEqual([fetched.status, fetched.filled, fetched.average, (fetched.info as Record<string, string>).cumExecValue, fetched.fee?.currency],
      ['closed', 300, Number(formatEntryPrice(config, taker.cumCost, 3)), num(valueOfCost(config, taker.cumCost)).toString(), 'BTC']);
    assert.equal((fetched.info as Record<string, string>).cumExecValue, '0.005');
    assert.equal(fetched.fee?.cost, num(taker.fees));
    assert.equal(num(taker.fees), 0.0000025);

    await withTimeout(a.ex.setLeverage(25, INV), T, 'setLeverage');
    assert.equal(f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usd')!.leverage, 25);
    // The classic per-symbol switch (ccxt's setMarginMode is the unified account-wide one, blocked by the open BTCUSD position).
    await withTimeout(a.ex.privatePostV5PositionSwitchIsolated({ category: 'inverse', symbol: 'BTCUSDH27', tradeMode: 1, buyLeverage: '10', sellLeverage: '10' }), T, 'switch-isolated');
    assert.deepEqual([f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usd270326')!.marginMode, f.view(a.accountId).settings.find((s) => s.symbol === 'btc_usd270326')!.leverage], ['ISOLATED', 10]);
    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    const w = btcWallet(a.accountId);
    assert.deepEqual(balance['BTC'], { free: num(w.availableBalance), used: num(w.walletBalance - w.availableBalance), total: num(w.walletBalance), debt: 0 });
    assert.equal(balance['USDT'], undefined, 'no USDT was ever deposited');

    const positions = await withTimeout(a.ex.fetchPositions([INV]), T, 'fetchPositions');
    const p = f.position(a.accountId, 'btc_usd');
    assert.equal(positions.length, 1);
    const pos = positions[0]!;
    const info = pos.info as Record<string, string>;
    assert.deepEqual([pos.symbol, pos.side, pos.contracts, pos.entryPrice], [INV, 'long', 300, Number(formatEntryPrice(config, p.entryCost, 3))]);
    assert.deepEqual([info.size, info.positionValue, info.positionIM, info.positionMM, info.unrealisedPnl, info.cumRealisedPnl], [
      '300', num(valueOfCost(config, p.entryCost)).toString(), num(p.initialMargin).toString(), num(p.maintenanceMargin).toString(),
      num(p.unrealizedPnl).toString(), num(p.realizedPnlTotal - p.feesTotal).toString(),
    ]);
    assert.equal(info.positionValue, '0.005');

    const trades = await withTimeout(a.ex.fetchMyTrades(INV), T, 'fetchMyTrades');
    assert.deepEqual(trades.map((t) => [t.order, t.amount, t.price, t.fee?.currency, t.fee?.cost]), [[takerId, 300, 60_000, 'BTC', 0.0000025]]);

    // The day's statistics: volume in USD (300), turnover in BTC (300 USD at 60000).
    const ticker = await withTimeout(a.ex.fetchTicker(INV), T, 'fetchTicker');
    assert.deepEqual([(ticker.info as Record<string, string>).volume24h, (ticker.info as Record<string, string>).turnover24h], ['300', '0.005']);
  });

  it('watchBalance / watchPositions / watchOrders: the BTC coin, the inverse position and order as pushed equal the engine', async () => {
    const maker = await account('1');
    const a = await account('0');
    const unified = (): Record<string, { free?: number; used?: number; total?: number }> =>
      ((a.ex.balance as Record<string, unknown> | undefined)?.['unified'] ?? {}) as Record<string, { free?: number; used?: number; total?: number }>;
    const acked = tap(a.ex).next(subscribeAck, 'the wallet subscription');
    const first = a.ex.watchBalance();
    await acked;
    await f.admin.deposit(a.accountId, '0.5', 'BTC');
    await withTimeout(first, T, 'watchBalance');
    await watchUntil(() => a.ex.watchBalance(), () => unified()['BTC']?.total === 0.5, 'the BTC deposit');
    const coinRow = (a.ex.balance as { unified: { info: { coin: Record<string, string>[]; totalEquity: string }[] } }).unified.info[0]!;
    assert.equal(coinRow.coin[0]!.coin, 'BTC');
    assert.equal(coinRow.coin[0]!.usdValue, '30000', 'the coin at the BTCUSD index (60000)');

    const orderAck = tap(a.ex).next(subscribeAck, 'the order subscription');
    const pendingOrders = a.ex.watchOrders(INV);
    await orderAck;
    assert.deepEqual(await withTimeout(a.ex.watchPositions([INV]), T, 'watchPositions (snapshot)'), [], 'no position yet: an empty REST snapshot');
    const positionAck = tap(a.ex).next(subscribeAck, 'the position subscription');
    void a.ex.watchPositions([INV]).catch(() => undefined);
    await positionAck;

    await place(maker, 'limit', 'buy', 200, 60_000);
    const id = await place(a, 'market', 'sell', 200);
    await withTimeout(pendingOrders, T, 'watchOrders');
    await watchUntil(() => a.ex.watchOrders(INV), () => cacheRows(a.ex.orders).find((o) => o.id === id)?.status === 'closed', 'the filled sell');
    const row = cacheRows(a.ex.orders).find((o) => o.id === id) as unknown as { amount: number; filled: number; average: number; info: Record<string, string> };
    const engine = f.order(a.accountId, id)!;
    const config = f.server.exchange.engine.symbols().find((c) => c.symbol === 'btc_usd')!;
    assert.deepEqual([row.amount, row.filled, row.average, row.info.category, row.info.cumExecValue, row.info.cumExecFee],
      [200, 200, 60_000, 'inverse', num(valueOfCost(config, engine.cumCost)).toString(), num(engine.fees).toString()]);

    const positions = () => cacheRows(a.ex.positions) as unknown as { symbol: string; side: string; contracts: number; info: Record<string, string> }[];
    await watchUntil(() => a.ex.watchPositions([INV]), () => positions().some((p) => p.side === 'short' && p.contracts === 200), 'short 200 USD');
    const p = f.position(a.accountId, 'btc_usd');
    const pushed = positions().find((x) => x.side === 'short')!;
    assert.deepEqual([pushed.symbol, pushed.info.category, pushed.info.size, pushed.info.positionValue, pushed.info.positionIM, pushed.info.entryPrice],
      [INV, 'inverse', '200', num(valueOfCost(config, p.entryCost)).toString(), num(p.initialMargin).toString(), formatEntryPrice(config, p.entryCost, 2)]);

    const w = btcWallet(a.accountId);
    await watchUntil(() => a.ex.watchBalance(), () => unified()['BTC']?.free === num(w.availableBalance), 'balance after the fill');
    assert.equal(unified()['BTC']?.free, num(w.availableBalance));
  });

  it('bad input: a linear symbol with category=inverse, an inverse one with linear, a qty off the 100 USD step: Bybit\'s 10001, nothing changes', async () => {
    const a = await account('1');
    const before = f.view(a.accountId);
    const wrongCategory = await rejectionOf(a.ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.001, 60_000, { category: 'inverse' }), 'linear with inverse');
    assert.ok(wrongCategory instanceof ccxt.BadRequest, String(wrongCategory));
    assert.match(wrongCategory.message, /10001.*symbol invalid/);
    const wrongLinear = await rejectionOf(a.ex.createOrder(INV, 'limit', 'buy', 100, 60_000, { category: 'linear' }), 'inverse with linear');
    assert.match(wrongLinear.message, /10001.*symbol invalid/);
    const mode = await rejectionOf(a.ex.setPositionMode(true, INV), 'hedge mode on BTCUSD');
    assert.match(mode.message, /10001.*inverse perpetual: its position mode is one-way only/);
    const offStep = await rejectionOf(a.ex.privatePostV5OrderCreate({ category: 'inverse', symbol: 'BTCUSD', side: 'Buy', orderType: 'Limit', qty: '150', price: '60000' }), 'qty 150');
    assert.match(offStep.message, /10001.*qty 150 is invalid: send a multiple of the qtyStep 100 from 100 to 100000000/);
    assert.deepEqual(f.view(a.accountId), before);
  });
});
