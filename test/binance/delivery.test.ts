/**
 * Quarterly delivery through Binance's front door, for the USDⓈ-M BTCUSDT_270326 (/fapi, fstream,
 * USDT) and the COIN-M BTCUSD_270326 (/dapi, dstream, BTC): a long and a short with a resting
 * order cross the delivery time on a ManualTime clock (the price scheduler settles at the delivery
 * index). The stream pushes the open order EXPIRED and an ACCOUNT_UPDATE closing the position with
 * the engine's wallet; REST shows the position flat, the order EXPIRED, the income
 * DELIVERED_SETTELMENT equal to the engine's PnL, the symbol DELIVERED, and refuses new orders
 * (-1122, nothing placed). A symbol under the other market's API is -1121 and changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import { BinanceRest, BinanceStream } from './client.js';

type Json = Record<string, unknown>;

interface Case {
  name: string;
  engine: string;
  api: 'fapi' | 'dapi';
  stream: string;
  asset: string;
  deposit: string;
  /** 10 contracts as the API's quantity. */
  qty: string;
  /** The other market's API, where the symbol is unknown. */
  wrongApi: 'fapi' | 'dapi';
}

const CASES: Case[] = [
  { name: 'BTCUSDT_270326', engine: 'btc_usdt270326', api: 'fapi', stream: '/binance/ws', asset: 'USDT', deposit: '10000', qty: '0.001', wrongApi: 'dapi' },
  { name: 'BTCUSD_270326', engine: 'btc_usd270326', api: 'dapi', stream: '/binance/dstream/ws', asset: 'BTC', deposit: '1', qty: '10', wrongApi: 'fapi' },
];

const amount8 = (units: bigint): string => formatAmount(units, 8);

for (const c of CASES) {
  describe(`Binance delivery of ${c.name} (/${c.api})`, () => {
    it('open orders EXPIRED, the position closed (pushes), income DELIVERED_SETTELMENT, orders refused after', async () => {
      const time = new ManualTime(MARCH_2027_DELIVERY - 60_000);
      const h = await Harness.start({
        symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: time, timers: time, priceTickMs: 0, fundingSchedule: true,
      });
      const streams: BinanceStream[] = [];
      try {
        const { exchange } = h.server;
        const client = async (): Promise<{ id: number; rest: BinanceRest }> => {
          const created = await h.created('0', 'binance');
          await h.admin.deposit(created.accountId, c.deposit, c.asset);
          const rest = new BinanceRest(h.server.url, created.apiKey, created.secret);
          rest.now = () => h.now();
          return { id: created.accountId, rest };
        };
        const long = await client();
        const short = await client();
        await h.admin.request('POST', '/index-price', { symbol: c.engine, price: '60000' });
        await h.admin.markPrice(c.engine, '60000');

        const info = await long.rest.keyed<{ symbols: Json[] }>('GET', `/${c.api}/v1/exchangeInfo`);
        const listed = info.body.symbols.find((s) => s.symbol === c.name)!;
        assert.deepEqual([listed.contractType, listed.deliveryDate, listed.status ?? listed.contractStatus], ['CURRENT_QUARTER', MARCH_2027_DELIVERY, 'TRADING']);

        const key = await long.rest.keyed<{ listenKey: string }>('POST', `/${c.api}/v1/listenKey`);
        const stream = await BinanceStream.connect(h.server.wsUrl, `${c.stream}/${key.body.listenKey}`);
        streams.push(stream);
        const order = (who: BinanceRest, params: Record<string, string>) => who.signed<Json>('POST', `/${c.api}/v1/order`, { symbol: c.name, ...params });
        const opened = await order(long.rest, { side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: c.qty, price: '60000' });
        assert.equal(opened.status, 200, JSON.stringify(opened.body));
        assert.equal((await order(short.rest, { side: 'SELL', type: 'MARKET', quantity: c.qty })).status, 200);
        const resting = await order(long.rest, { side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: c.qty, price: '59000' });
        const restingId = resting.body.orderId as number;
        await stream.until(() => stream.of('ACCOUNT_UPDATE').length === 1, 5_000, 'the fill\'s ACCOUNT_UPDATE');
        await stream.until(() => stream.of('ORDER_TRADE_UPDATE').some((e) => (e.o as Json).i === restingId), 5_000, 'the resting order\'s NEW');
        const before = stream.events.length;

        // Across the delivery time: the scheduler settles at the delivery index.
        await time.advance(60_000);
        assert.equal(exchange.engine.prices(c.engine, exchange.now())!.delivery!.settledPrice, 600_000);
        await stream.until(() => stream.events.slice(before).some((e) => e.e === 'ACCOUNT_UPDATE'), 5_000, 'the settlement ACCOUNT_UPDATE');
        const pushed = stream.events.slice(before);
        const expired = pushed.find((e) => e.e === 'ORDER_TRADE_UPDATE')?.o as Json;
        assert.deepEqual([expired.i, expired.x, expired.X, expired.s], [restingId, 'EXPIRED', 'EXPIRED', c.name]);
        const update = pushed.find((e) => e.e === 'ACCOUNT_UPDATE')!.a as { m: string; B: Json[]; P: Json[] };
        const wallet = exchange.engine.account(long.id)!.view.wallets.find((w) => w.asset === c.asset)!;
        assert.deepEqual(update.B.map((b) => [b.a, b.wb]), [[c.asset, amount8(wallet.walletBalance)]]);
        assert.deepEqual(update.P.map((p) => [p.s, p.pa, p.ps]), [[c.name, '0', 'BOTH']]);
        assert.equal(update.m, 'ADJUSTMENT');

        // REST: flat, EXPIRED, the income row, the symbol delivered.
        const risk = await long.rest.ok<Json[]>('GET', `/${c.api}/${c.api === 'fapi' ? 'v2' : 'v1'}/positionRisk`, { symbol: c.name });
        assert.equal(Number(risk[0]!.positionAmt), 0);
        assert.deepEqual(await long.rest.ok('GET', `/${c.api}/v1/openOrders`, { symbol: c.name }), []);
        const queried = await long.rest.ok<Json>('GET', `/${c.api}/v1/order`, { symbol: c.name, orderId: restingId });
        assert.equal(queried.status, 'EXPIRED');
        const rows = exchange.ledger.rows(long.id).filter((r) => r.kind === 'DELIVERY');
        assert.equal(rows.length, 1);
        const income = await long.rest.ok<Json[]>('GET', `/${c.api}/v1/income`, { incomeType: 'DELIVERED_SETTELMENT' });
        assert.deepEqual(income.map((r) => [r.symbol, r.incomeType, r.income, r.asset]), [[c.name, 'DELIVERED_SETTELMENT', amount8(rows[0]!.amount), c.asset]]);
        const after = await long.rest.keyed<{ symbols: Json[] }>('GET', `/${c.api}/v1/exchangeInfo`);
        const settled = after.body.symbols.find((s) => s.symbol === c.name)!;
        assert.equal(settled.status ?? settled.contractStatus, 'DELIVERED');

        // A settled symbol takes no order: -1122, nothing placed.
        const orders = exchange.engine.account(long.id)!.view.orders.length;
        const late = await order(long.rest, { side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: c.qty, price: '60000' });
        assert.deepEqual([late.status, late.body.code], [400, -1122]);
        assert.equal(exchange.engine.account(long.id)!.view.orders.length, orders);

        // The symbol under the other market's API: Binance's -1121, nothing placed.
        const wrong = await long.rest.signed<Json>('POST', `/${c.wrongApi}/v1/order`, {
          symbol: c.name, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: c.qty, price: '60000',
        });
        assert.deepEqual([wrong.status, wrong.body.code], [400, -1121]);
        assert.equal(exchange.engine.account(long.id)!.view.orders.length, orders);
        const wrongInfo = await long.rest.keyed<{ symbols: Json[] }>('GET', `/${c.wrongApi}/v1/exchangeInfo`);
        assert.ok(!wrongInfo.body.symbols.some((s) => s.symbol === c.name), `/${c.wrongApi} does not list ${c.name}`);
      } finally {
        for (const s of streams) s.close();
        await h.stop();
      }
    });
  });
}

describe('Binance between the delivery time and the settlement (scheduler off, admin settle)', () => {
  it('DELIVERING refuses orders with -1122 before the settlement; the admin settlement then pushes and DELIVERED', async () => {
    const time = new ManualTime(MARCH_2027_DELIVERY - 60_000);
    const h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: time, timers: time, priceTickMs: 0 });
    try {
      const created = await h.created('0', 'binance');
      await h.admin.deposit(created.accountId, '1', 'BTC');
      const rest = new BinanceRest(h.server.url, created.apiKey, created.secret);
      rest.now = () => h.now();
      await h.admin.request('POST', '/index-price', { symbol: 'btc_usd270326', price: '60000' });
      await h.admin.markPrice('btc_usd270326', '60000');
      const resting = await rest.ok<Json>('POST', '/dapi/v1/order', { symbol: 'BTCUSD_270326', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '2', price: '59000' });
      await time.advance(61_000);
      const status = async () => (await rest.keyed<{ symbols: Json[] }>('GET', '/dapi/v1/exchangeInfo')).body.symbols.find((s) => s.symbol === 'BTCUSD_270326')!.contractStatus;
      assert.equal(await status(), 'DELIVERING');
      const late = await rest.signed<Json>('POST', '/dapi/v1/order', { symbol: 'BTCUSD_270326', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '2', price: '59000' });
      assert.deepEqual([late.status, late.body.code], [400, -1122]);
      assert.equal(h.server.exchange.engine.account(created.accountId)!.view.orders.length, 1, 'only the resting order');
      const settled = await h.admin.request('POST', '/delivery/settle', { symbol: 'btc_usd270326' });
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
      assert.equal(await status(), 'DELIVERED');
      const order = await rest.ok<Json>('GET', '/dapi/v1/order', { symbol: 'BTCUSD_270326', orderId: resting.orderId as number });
      assert.equal(order.status, 'EXPIRED');
    } finally {
      await h.stop();
    }
  });
});
