/**
 * ccxt 4.5.84 `pro.binancecoinm` against perpstream's COIN-M API (REST under /binance/dapi/v1|v2,
 * user-data stream under /binance/dstream/ws, where Binance has dapi.binance.com and
 * dstream.binance.com), with the inverse and delivery demo symbols present. A fresh account with
 * BTC deposited trades BTCUSD_PERP (quantities in contracts of 100 USD, PnL and margin in BTC):
 * leverage and margin mode, a limit order filled by another account, a resting order cancelled,
 * then every read (balance, positions, orders, trades, funding rate, order book, ticker) and the
 * watched balance and positions equal the engine's. USDⓈ-M symbols are not COIN-M's: beside it,
 * binanceusdm lists and trades the USDⓈ-M quarterly BTCUSDT_270326.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { BinanceRest } from '../binance/client.js';
import { Harness } from '../support/harness.js';
import { cacheRows, watchUntil, withTimeout } from './helpers.js';
import { listeners } from '../support/barriers.js';
import { unrefLongTimeouts } from '../support/long-timers.js';

type Pro = InstanceType<typeof ccxt.pro.binancecoinm>;
const PERP = 'BTC/USD:BTC';
const T = 5_000;
const units = (value: bigint): number => Number(formatAmount(value));

unrefLongTimeouts();

describe('ccxt binancecoinm: COIN-M BTCUSD_PERP from a fresh BTC account', () => {
  let h: Harness;
  let ex: Pro;
  let accountId: number;
  let other: BinanceRest;
  let config: SymbolConfig;

  before(async () => {
    h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await h.admin.markPrice('btc_usd', '60000');
    config = h.server.exchange.engine.symbols().find((s) => s.symbol === 'btc_usd')!;
    const user = await h.created('0', 'binance');
    await h.admin.deposit(user.accountId, '1', 'BTC');
    accountId = user.accountId;
    const maker = await h.created('0', 'binance');
    await h.admin.deposit(maker.accountId, '10', 'BTC');
    other = new BinanceRest(h.server.url, maker.apiKey, maker.secret);
    const H = h.server.url;
    ex = new ccxt.pro.binancecoinm({
      apiKey: user.apiKey, secret: user.secret, enableRateLimit: false, has: { fetchCurrencies: false },
      options: { watchPositions: { fetchPositionsSnapshot: false } },
      urls: { api: {
        dapiPublic: `${H}/binance/dapi/v1`, dapiPrivate: `${H}/binance/dapi/v1`, dapiPrivateV2: `${H}/binance/dapi/v2`,
        sapi: `${H}/binance/sapi/v1`, ws: { delivery: `${h.server.wsUrl}/binance/dstream/ws` },
      } },
    });
  });
  after(async () => {
    await withTimeout(ex.close(), T, 'close').catch(() => undefined);
    await h.stop();
  });

  const view = () => h.server.exchange.engine.account(accountId)!.view;
  const wallet = () => view().wallets.find((w) => w.asset === 'BTC')!;
  const position = () => view().positions.find((p) => p.symbol === 'btc_usd' && p.positionSide === 'BOTH')!;

  it('loadMarkets lists the COIN-M contracts only: BTCUSD_PERP (contract 100 USD, settled in BTC) and BTCUSD_270326', async () => {
    const markets = await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    const perp = markets[PERP]!;
    assert.deepEqual([perp.id, perp.inverse, perp.swap, perp.contractSize, perp.settle, perp.active], ['BTCUSD_PERP', true, true, 100, 'BTC', true]);
    const quarterly = markets['BTC/USD:BTC-270326']!;
    assert.deepEqual([quarterly.id, quarterly.future, quarterly.inverse, quarterly.expiry], ['BTCUSD_270326', true, true, Date.UTC(2027, 2, 26, 8)]);
    assert.deepEqual(Object.values(markets).filter((m) => m!.linear === true), [], 'no USDⓈ-M market on /dapi');
  });

  it('beside it, binanceusdm lists the USDⓈ-M quarterly BTC/USDT:USDT-270326 (and no COIN-M market) and trades it', async () => {
    const usdm = await h.created('10000', 'binance');
    const H = h.server.url;
    const linear = new ccxt.pro.binanceusdm({
      apiKey: usdm.apiKey, secret: usdm.secret, enableRateLimit: false, has: { fetchCurrencies: false },
      urls: { api: {
        fapiPublic: `${H}/binance/fapi/v1`, fapiPrivate: `${H}/binance/fapi/v1`, fapiPrivateV2: `${H}/binance/fapi/v2`,
        fapiPrivateV3: `${H}/binance/fapi/v3`, sapi: `${H}/binance/sapi/v1`, ws: { future: `${h.server.wsUrl}/binance/ws` },
      } },
    });
    try {
      const markets = await withTimeout(linear.loadMarkets(), T, 'binanceusdm loadMarkets');
      const quarterly = markets['BTC/USDT:USDT-270326']!;
      assert.deepEqual([quarterly.id, quarterly.future, quarterly.linear, quarterly.contractSize, quarterly.expiry],
        ['BTCUSDT_270326', true, true, 1, Date.UTC(2027, 2, 26, 8)]);
      assert.deepEqual(Object.values(markets).filter((m) => m!.inverse === true), [], 'no COIN-M market on /fapi');
      const placed = await withTimeout(linear.createOrder('BTC/USDT:USDT-270326', 'limit', 'buy', 0.001, 59000), T, 'createOrder quarterly');
      const engineOrder = h.server.exchange.engine.account(usdm.accountId)!.view.orders.find((o) => o.orderId === Number(placed.id))!;
      assert.deepEqual([engineOrder.symbol, engineOrder.qty, engineOrder.price], ['btc_usdt270326', 10, 590_000]);
      const fetched = await withTimeout(linear.fetchOrder(placed.id!, 'BTC/USDT:USDT-270326'), T, 'fetchOrder quarterly');
      assert.deepEqual([fetched.status, fetched.amount, fetched.price], ['open', 0.001, 59000]);
    } finally {
      await withTimeout(linear.close(), T, 'close').catch(() => undefined);
    }
  });

  it('trades: leverage, margin mode, a fill, a cancel; every read and the watched balance and positions are the engine\'s', async () => {
    // A fresh Binance account is one-way already.
    assert.deepEqual(await withTimeout(ex.fetchPositionMode(PERP), T, 'fetchPositionMode').then((m) => m.hedged), false);
    const leverage = await withTimeout(ex.setLeverage(20, PERP), T, 'setLeverage');
    assert.equal((leverage as { leverage: number }).leverage, 20);
    await withTimeout(ex.setMarginMode('isolated', PERP), T, 'setMarginMode isolated');
    await withTimeout(ex.setMarginMode('cross', PERP), T, 'setMarginMode cross');

    // Subscribe first; the barrier is the server binding the account to ccxt's dstream connection.
    const watching = [ex.watchBalance(), ex.watchPositions([PERP]), ex.watchOrders(PERP)];
    for (const w of watching) w.catch(() => undefined);
    await listeners(h.server.exchange.events, accountId, 1, 'ccxt\'s dstream connection to be bound');
    // 10 contracts (1000 USD) bought at 60000, filled by the other account's market sell.
    const order = await withTimeout(ex.createOrder(PERP, 'limit', 'buy', 10, 60000), T, 'createOrder');
    const taken = await other.ok<{ orderId: number }>('POST', '/dapi/v1/order', { symbol: 'BTCUSD_PERP', side: 'SELL', type: 'MARKET', quantity: '10' });
    assert.ok(taken.orderId > 0);

    const cache = ex as unknown as { orders: unknown; balance: Record<string, Record<string, { total?: number }>>; positions: Record<string, unknown> };
    await watchUntil(() => ex.watchOrders(PERP), () => cacheRows(cache.orders).some((x) => x.id === order.id && x.status === 'closed'), 'the filled order');
    const w = wallet();
    await watchUntil(() => ex.watchBalance(), () => cache.balance?.delivery?.BTC?.total === units(w.walletBalance), `watchBalance: the BTC wallet ${units(w.walletBalance)}`);
    const p = position();
    assert.equal(p.qty, 10);
    const cached = () => cacheRows(cache.positions?.delivery) as unknown as { symbol: string; side: string; contracts: number; entryPrice: number; marginMode: string }[];
    await watchUntil(() => ex.watchPositions([PERP]), () => cached().some((x) => x.symbol === PERP && x.contracts === 10), 'watchPositions: 10 contracts');
    const wp = cached().find((x) => x.symbol === PERP)!;
    assert.deepEqual([wp.contracts, wp.side, wp.entryPrice, wp.marginMode], [10, 'long', Number(formatEntryPrice(config, p.entryCost, p.qty)), 'cross']);

    const fetched = await withTimeout(ex.fetchOrder(order.id!, PERP), T, 'fetchOrder');
    const o = h.server.exchange.history.finishedOrder(accountId, Number(order.id))!;
    assert.deepEqual([fetched.status, fetched.filled, fetched.amount, fetched.average], ['closed', 10, 10, Number(formatEntryPrice(config, o.cumCost, o.executedQty))]);

    const balance = await withTimeout(ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual([balance.BTC!.total, balance.BTC!.free], [units(w.walletBalance + p.unrealizedPnl), units(w.availableBalance)]);
    assert.equal(balance.USDT, undefined, 'no USDT in the COIN-M account');

    const risk = await withTimeout(ex.fetchPositions([PERP]), T, 'fetchPositions');
    const r = risk.find((x) => x.symbol === PERP)!;
    assert.deepEqual([r.contracts, r.contractSize, r.side, r.leverage, r.marginMode, r.unrealizedPnl],
      [10, 100, 'long', 20, 'cross', units(p.unrealizedPnl)]);
    // Coin notional: 10 × 100 USD at the 60000 mark.
    assert.equal((r.info as { notionalValue: string }).notionalValue, formatAmount((10n * config.inverseValue) / 600_000n, 8));

    const trades = await withTimeout(ex.fetchMyTrades(PERP), T, 'fetchMyTrades');
    const fill = h.server.exchange.history.trades(accountId).find((t) => t.symbol === 'btc_usd')!;
    assert.deepEqual(trades.map((t) => [t.order, t.amount, t.price, t.fee?.cost, t.fee?.currency]), [[order.id, 10, 60000, units(fill.fee), 'BTC']]);

    const resting = await withTimeout(ex.createOrder(PERP, 'limit', 'buy', 3, 59000), T, 'createOrder resting');
    const open = await withTimeout(ex.fetchOpenOrders(PERP), T, 'fetchOpenOrders');
    assert.deepEqual(open.map((x) => [x.id, x.amount, x.price, x.status]), [[resting.id, 3, 59000, 'open']]);
    const canceled = await withTimeout(ex.cancelOrder(resting.id!, PERP), T, 'cancelOrder');
    assert.equal(canceled.status, 'canceled');
    const all = await withTimeout(ex.fetchOrders(PERP), T, 'fetchOrders');
    assert.deepEqual(all.map((x) => [x.id, x.status]), [[order.id, 'closed'], [resting.id, 'canceled']]);

    const funding = await withTimeout(ex.fetchFundingRate(PERP), T, 'fetchFundingRate');
    assert.equal(funding.markPrice, 60000);
    const book = await withTimeout(ex.fetchOrderBook(PERP), T, 'fetchOrderBook');
    assert.ok(Array.isArray(book.bids));
    const ticker = await withTimeout(ex.fetchTicker(PERP), T, 'fetchTicker');
    assert.equal(ticker.last, 60000);
  });
});
