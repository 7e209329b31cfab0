/**
 * ccxt 4.5.84 `pro.xt` on XT's Coin-M host (dapi.xt.com; perpstream's /dapi): a fresh account
 * holding only BTC trades the inverse perpetual BTC/USD:BTC (contract 100 USD). ccxt routes inverse
 * markets to its `inverse` URL by itself; fetchPositions and fetchBalance take the Coin-M host with
 * `defaultSubType: 'inverse'` (ccxt's own option); ccxt's user stream has one URL (`ws.contract`)
 * and takes its listen key from the USDT-M host, so watchBalance / watchPositions of the Coin-M data
 * set `ws.contract` to /dapi/ws (a listen key is the account's, valid on either host's stream).
 * Every value is compared with the engine's own state.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import { cacheRows, num, rejectionOf, subscribed, tap, watchUntil, withTimeout, type XtPro } from './helpers.js';

const INVERSE = 'BTC/USD:BTC';
const T = 5_000;

describe('ccxt xt: the inverse perpetual BTC/USD:BTC on the Coin-M host', () => {
  let h: Harness;
  const instances: XtPro[] = [];
  let config: SymbolConfig;

  const makeCcxt = async (deposit: Record<string, string>, extra: Record<string, unknown> = {}): Promise<{ accountId: number; ex: XtPro }> => {
    const created = await h.created('0');
    for (const [asset, amount] of Object.entries(deposit)) await h.admin.deposit(created.accountId, amount, asset);
    const H = h.server.url;
    const ex = new ccxt.pro.xt({
      apiKey: created.apiKey,
      secret: created.secret,
      enableRateLimit: false,
      has: { fetchCurrencies: false },
      options: { defaultType: 'swap', defaultSubType: 'inverse', ...extra },
      urls: { api: { spot: H, linear: H, inverse: `${H}/dapi`, user: H, ws: { contract: `${h.server.wsUrl}/dapi/ws` } } },
    });
    tap(ex);
    instances.push(ex);
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    return { accountId: created.accountId, ex };
  };
  const view = (accountId: number) => h.server.exchange.engine.account(accountId)!.view;

  before(async () => {
    h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], defaultPositionMode: 'ONE_WAY' });
    await h.admin.markPrice('btc_usd', '60000');
    config = h.server.exchange.engine.symbols().find((c) => c.symbol === 'btc_usd')!;
  });
  after(async () => {
    await Promise.all(instances.map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
    await h.stop();
  });

  it('loadMarkets: BTC/USD:BTC is an inverse swap of 100 USD settled in BTC; the delivery contracts are futures expiring at their delivery date', async () => {
    const { ex } = await makeCcxt({ BTC: '1' });
    const m = ex.market(INVERSE);
    assert.deepEqual([m.id, m.type, m.inverse, m.linear, m.settle, m.contractSize, m.precision.price, m.expiry],
      ['btc_usd', 'swap', true, false, 'BTC', 100, 0.1, undefined]);
    const inverseFuture = ex.market('BTC/USD:BTC-270326');
    assert.deepEqual([inverseFuture.id, inverseFuture.type, inverseFuture.future, inverseFuture.inverse, inverseFuture.expiry],
      ['btc_usd270326', 'future', true, true, MARCH_2027_DELIVERY]);
    const linearFuture = ex.market('BTC/USDT:USDT-270326');
    assert.deepEqual([linearFuture.id, linearFuture.type, linearFuture.linear, linearFuture.expiry], ['btc_usdt270326', 'future', true, MARCH_2027_DELIVERY]);
  });

  it('createOrder, fetchPositions, fetchBalance, fetchOrder, watchBalance and watchPositions equal the engine (BTC, harmonic entry)', async () => {
    // As in xt.test.ts: without its REST snapshot, ccxt's first watchPositions subscribes at once (the ack is the barrier).
    const a = await makeCcxt({ BTC: '1' }, { watchPositions: { fetchPositionsSnapshot: false } });
    const b = await makeCcxt({ BTC: '1' });
    // Subscribe before trading; the acks are the barrier.
    await subscribed(a.ex, () => a.ex.watchBalance(), (m) => m.code === 0 && m.id !== undefined, 'watchBalance');
    await subscribed(a.ex, () => a.ex.watchPositions(), (m) => m.code === 0 && m.id !== undefined, 'watchPositions');

    await withTimeout(b.ex.createOrder(INVERSE, 'limit', 'sell', 5, 60_000), T, 'maker 5 @ 60000');
    await withTimeout(b.ex.createOrder(INVERSE, 'limit', 'sell', 3, 58_000), T, 'maker 3 @ 58000');
    const taker = await withTimeout(a.ex.createOrder(INVERSE, 'market', 'buy', 8), T, 'taker market buy 8');
    assert.equal(typeof taker.id, 'string');

    const position = view(a.accountId).positions.find((p) => p.symbol === 'btc_usd' && p.qty !== 0)!;
    const wallet = view(a.accountId).wallets.find((w) => w.asset === 'BTC')!;
    const entry = Number(formatEntryPrice(config, position.entryCost, position.qty));
    assert.ok(entry > 58_000 && entry < 59_250, `a harmonic mean, below the arithmetic 59250: ${entry}`);

    const positions = await withTimeout(a.ex.fetchPositions(), T, 'fetchPositions');
    const open = positions.filter((p) => (p.contracts ?? 0) > 0);
    assert.deepEqual(open.map((p) => [p.symbol, p.side, p.contracts, p.contractSize, p.entryPrice, p.collateral, p.marginMode]),
      [[INVERSE, 'long', 8, 100, entry, num(position.margin), 'cross']]);
    assert.equal(open[0]!.info.underlyingType, 'COIN_BASED');

    const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance');
    assert.deepEqual(balance.BTC, { free: num(wallet.availableBalance), used: num(wallet.walletBalance - wallet.availableBalance), total: num(wallet.walletBalance) });
    assert.equal(balance.USDT, undefined, 'the Coin-M host shows the BTC wallet only');

    const order = await withTimeout(a.ex.fetchOrder(taker.id!, INVERSE), T, 'fetchOrder');
    const snapshot = h.server.exchange.history.finishedOrder(a.accountId, Number(taker.id))!;
    assert.deepEqual([order.status, order.average], ['closed', Number(formatEntryPrice(config, snapshot.cumCost, snapshot.executedQty))]);

    await watchUntil(() => a.ex.watchBalance(), () => (a.ex.balance as unknown as Record<string, { total?: number }>).BTC?.total === num(wallet.walletBalance),
      'watchBalance: the BTC wallet after the fills');
    await watchUntil(() => a.ex.watchPositions(), () => cacheRows(a.ex.positions).some((p) => p.symbol === INVERSE && (p as unknown as { contracts: number }).contracts === 8),
      'watchPositions: the long of 8');
    const watched = cacheRows(a.ex.positions).find((p) => p.symbol === INVERSE)! as unknown as { entryPrice: number; info: Record<string, unknown> };
    assert.deepEqual([watched.entryPrice, watched.info.underlyingType, watched.info.contractType], [entry, 'COIN_BASED', 'PERPUTUAL']);
  });

  it("bad input: a USDT-M symbol sent to the Coin-M host is ccxt's BadSymbol; an account without BTC cannot open (InsufficientFunds); nothing changes", async () => {
    const usdtOnly = await makeCcxt({ USDT: '1000' });
    const before = h.server.exchange.engine.account(usdtOnly.accountId)!.view;
    const wrongHost = await rejectionOf(usdtOnly.ex.privateInversePostFutureTradeV1OrderCreate({
      symbol: 'btc_usdt', orderSide: 'BUY', orderType: 'LIMIT', origQty: '1', price: '60000', positionSide: 'LONG',
    }), 'btc_usdt on the Coin-M host');
    assert.ok(wrongHost instanceof ccxt.BadSymbol, `${wrongHost.constructor.name}: ${wrongHost.message}`);
    const noCoin = await rejectionOf(usdtOnly.ex.createOrder(INVERSE, 'limit', 'buy', 1, 59_000), 'an inverse order without BTC');
    assert.ok(noCoin instanceof ccxt.InsufficientFunds, `${noCoin.constructor.name}: ${noCoin.message}`);
    const afterView = h.server.exchange.engine.account(usdtOnly.accountId)!.view;
    assert.deepEqual(afterView.orders, before.orders);
    assert.deepEqual(afterView.wallets, before.wallets);
  });
});

describe('ccxt xt: a delivery crossed on the Coin-M host (ManualTime)', () => {
  it('BTC/USD:BTC-270326: the resting order is fetched expired, the position is gone, the wallet is the engine\'s; an order after is refused', async () => {
    const time = new ManualTime(MARCH_2027_DELIVERY - 2_000);
    const h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], defaultPositionMode: 'ONE_WAY', clock: time, timers: time, priceTickMs: 0, fundingSchedule: true });
    const instances: XtPro[] = [];
    try {
      const FUTURE = 'BTC/USD:BTC-270326';
      const make = async (): Promise<{ accountId: number; ex: XtPro }> => {
        const created = await h.created('0');
        await h.admin.deposit(created.accountId, '1', 'BTC');
        const H = h.server.url;
        const ex = new ccxt.pro.xt({
          apiKey: created.apiKey, secret: created.secret, enableRateLimit: false, has: { fetchCurrencies: false },
          options: { defaultType: 'swap', defaultSubType: 'inverse' },
          urls: { api: { spot: H, linear: H, inverse: `${H}/dapi`, user: H, ws: { contract: `${h.server.wsUrl}/dapi/ws` } } },
        });
        // Signed on the server's (hand-driven) clock.
        ex.nonce = () => h.now();
        instances.push(ex);
        await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
        return { accountId: created.accountId, ex };
      };
      const a = await make();
      const b = await make();
      await h.admin.request('POST', '/index-price', { symbol: 'btc_usd270326', price: '60000' });
      await withTimeout(b.ex.createOrder(FUTURE, 'limit', 'sell', 10, 60_000), T, 'maker');
      await withTimeout(a.ex.createOrder(FUTURE, 'limit', 'buy', 10, 60_000), T, 'taker');
      const resting = await withTimeout(a.ex.createOrder(FUTURE, 'limit', 'buy', 5, 59_000), T, 'resting');
      assert.equal((await withTimeout(a.ex.fetchPositions(), T, 'fetchPositions')).filter((p) => p.symbol === FUTURE && (p.contracts ?? 0) > 0).length, 1);

      await time.advance(2_000);
      const expired = await withTimeout(a.ex.fetchOrder(resting.id!, FUTURE), T, 'fetchOrder after the delivery');
      assert.equal(expired.status, 'expired');
      const open = (await withTimeout(a.ex.fetchPositions(), T, 'fetchPositions after')).filter((p) => (p.contracts ?? 0) > 0);
      assert.deepEqual(open, []);
      const wallet = h.server.exchange.engine.account(a.accountId)!.view.wallets.find((w) => w.asset === 'BTC')!;
      const balance = await withTimeout(a.ex.fetchBalance(), T, 'fetchBalance after');
      assert.deepEqual(balance.BTC, { free: num(wallet.availableBalance), used: num(wallet.walletBalance - wallet.availableBalance), total: num(wallet.walletBalance) });
      const late = await rejectionOf(a.ex.createOrder(FUTURE, 'limit', 'buy', 1, 60_000), 'an order after the delivery');
      assert.ok(late instanceof ccxt.ExchangeError && late.message.includes('symbol_is_not_trading'), `${late.constructor.name}: ${late.message}`);
    } finally {
      await Promise.all(instances.map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
      await h.stop();
    }
  });
});
