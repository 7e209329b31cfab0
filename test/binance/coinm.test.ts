/**
 * Binance's split of its futures markets with the inverse and delivery demo symbols present:
 * /fapi lists and accepts the USDⓈ-M symbols only (BTCUSDT, ETHUSDT, BTCUSDT_270326), /dapi the
 * COIN-M ones only (BTCUSD_PERP, BTCUSD_270326); a symbol of the other market is Binance's -1121
 * and changes nothing. One account trading both: fstream carries its USDⓈ-M events only (USDT),
 * dstream its COIN-M ones only (BTC, quantities in contracts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { contractTypeOf } from '../../src/dialects/binance/contracts.js';
import { BinanceFixture, type BinanceAccount } from './support.js';

type Json = Record<string, unknown>;

describe('Binance USDⓈ-M (/fapi) and COIN-M (/dapi) are separate markets', () => {
  let f: BinanceFixture;
  let a: BinanceAccount;
  let b: BinanceAccount;

  before(async () => {
    f = await BinanceFixture.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    f.setTime(Date.UTC(2026, 11, 1));
    await f.admin.markPrice('btc_usdt', '60000');
    await f.admin.markPrice('btc_usd', '60000');
    a = await f.account('10000');
    b = await f.account('10000');
    for (const x of [a, b]) await f.admin.deposit(x.accountId, '1', 'BTC');
    for (const x of [a, b]) await x.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' }).catch(() => undefined);
  });
  after(async () => {
    await f.stop();
  });

  it('exchangeInfo: each API lists its own market; COIN-M in contracts of 100 USD, margined in BTC', async () => {
    const fapi = await a.rest.keyed<{ symbols: Json[] }>('GET', '/fapi/v1/exchangeInfo');
    // 2026-12-01: the nearest quarterly delivery is 2026-12-25, so March 2027 is the next quarter.
    assert.deepEqual(fapi.body.symbols.map((s) => [s.symbol, s.contractType, s.deliveryDate, s.marginAsset]), [
      ['BTCUSDT', 'PERPETUAL', 4133404800000, 'USDT'], ['ETHUSDT', 'PERPETUAL', 4133404800000, 'USDT'],
      ['BTCUSDT_270326', 'NEXT_QUARTER', MARCH_2027_DELIVERY, 'USDT'],
    ]);
    const dapi = await a.rest.keyed<{ symbols: Json[] }>('GET', '/dapi/v1/exchangeInfo');
    assert.deepEqual(dapi.body.symbols.map((s) => [s.symbol, s.pair, s.contractSize, s.marginAsset, s.contractStatus]),
      [['BTCUSD_PERP', 'BTCUSD', 100, 'BTC', 'TRADING'], ['BTCUSD_270326', 'BTCUSD', 100, 'BTC', 'TRADING']]);
    const lot = (dapi.body.symbols[0]!.filters as Json[]).find((x) => x.filterType === 'LOT_SIZE')!;
    assert.deepEqual([lot.stepSize, lot.minQty], ['1', '1']);
  });

  it('contractType as Binance names it relative to now: the nearest quarterly delivery is CURRENT_QUARTER', () => {
    const config = f.exchange.engine.symbols().find((x) => x.symbol === 'btc_usd270326')!;
    assert.equal(contractTypeOf(config, Date.UTC(2026, 11, 25, 7)), 'NEXT_QUARTER', 'before the December delivery');
    assert.equal(contractTypeOf(config, Date.UTC(2026, 11, 25, 8)), 'CURRENT_QUARTER', 'from the December delivery on');
    assert.equal(contractTypeOf(config, MARCH_2027_DELIVERY - 1), 'CURRENT_QUARTER');
    assert.equal(contractTypeOf(f.exchange.engine.symbols().find((x) => x.symbol === 'btc_usd')!, 0), 'PERPETUAL');
  });

  it('symbolConfig (USDⓈ-M) lists the USDⓈ-M contracts only, though the account has settings for the COIN-M ones too', async () => {
    const rows = await a.rest.signed<Json[]>('GET', '/fapi/v1/symbolConfig');
    assert.equal(rows.status, 200);
    assert.deepEqual(rows.body.map((r) => r.symbol).sort(), ['BTCUSDT', 'BTCUSDT_270326', 'ETHUSDT']);
  });

  it('a symbol under the other market\'s API is -1121 and changes nothing', async () => {
    const orders = () => f.view(a.accountId).orders.length;
    const before = orders();
    const cases: [string, string, Record<string, string>][] = [
      ['POST', '/fapi/v1/order', { symbol: 'BTCUSD_PERP', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: '60000' }],
      ['POST', '/dapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60000' }],
      ['POST', '/dapi/v1/order', { symbol: 'BTCUSDT_270326', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60000' }],
      ['POST', '/fapi/v1/leverage', { symbol: 'BTCUSD_270326', leverage: '5' }],
      ['POST', '/dapi/v1/leverage', { symbol: 'ETHUSDT', leverage: '5' }],
      ['GET', '/fapi/v2/positionRisk', { symbol: 'BTCUSD_PERP' }],
    ];
    for (const [method, path, params] of cases) {
      const reply = await a.rest.signed<Json>(method, path, params);
      assert.deepEqual([reply.status, reply.body.code], [400, -1121], `${method} ${path} ${params.symbol}`);
    }
    const stop = await a.rest.signed<Json>('POST', '/dapi/v1/order', { symbol: 'BTCUSD_PERP', side: 'SELL', type: 'STOP_MARKET', quantity: '1', stopPrice: '50000' });
    assert.deepEqual([stop.status, stop.body.code], [400, -1116], 'no conditional order on COIN-M');
    const depth = await a.rest.keyed<Json>('GET', '/dapi/v1/depth?symbol=BTCUSDT');
    assert.deepEqual([depth.status, depth.body.code], [400, -1121]);
    assert.equal(orders(), before);
    assert.ok(f.view(a.accountId).settings.every((s) => s.leverage !== 5), 'no leverage changed');
  });

  it('/dapi/v1/positionRisk narrows by pair or marginAsset, refuses what it does not read; openInterest names pair and contractType', async () => {
    const names = (rows: Json[]) => rows.map((r) => r.symbol);
    assert.deepEqual(names(await a.rest.ok<Json[]>('GET', '/dapi/v1/positionRisk', { pair: 'BTCUSD' })), ['BTCUSD_PERP', 'BTCUSD_270326']);
    assert.deepEqual(names(await a.rest.ok<Json[]>('GET', '/dapi/v1/positionRisk', { marginAsset: 'BTC' })), ['BTCUSD_PERP', 'BTCUSD_270326']);
    assert.deepEqual(names(await a.rest.ok<Json[]>('GET', '/dapi/v1/positionRisk', { pair: 'ETHUSD' })), []);
    const unread = await a.rest.signed<Json>('GET', '/dapi/v1/positionRisk', { marginAsset: 'BTC', pair: 'BTCUSD' });
    assert.deepEqual([unread.status, unread.body.code], [400, -1130]);
    const unknown = await a.rest.signed<Json>('GET', '/dapi/v1/positionRisk', { side: 'BUY' });
    assert.deepEqual([unknown.status, unknown.body.code], [400, -1104]);
    const oi = await a.rest.keyed<Json>('GET', '/dapi/v1/openInterest?symbol=BTCUSD_PERP');
    assert.deepEqual([oi.body.symbol, oi.body.pair, oi.body.contractType], ['BTCUSD_PERP', 'BTCUSD', 'PERPETUAL']);
  });

  it('fstream carries USDⓈ-M events only, dstream COIN-M ones only', async () => {
    const fstream = await f.stream(a, (key) => `/binance/ws/${key}`);
    const dstream = await f.stream(a, (key) => `/binance/dstream/ws/${key}`);
    await b.rest.ok('POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60000' });
    await a.rest.ok('POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' });
    await b.rest.ok('POST', '/dapi/v1/order', { symbol: 'BTCUSD_PERP', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '3', price: '60000' });
    await a.rest.ok('POST', '/dapi/v1/order', { symbol: 'BTCUSD_PERP', side: 'BUY', type: 'MARKET', quantity: '3' });
    await fstream.until(() => fstream.of('ACCOUNT_UPDATE').length >= 1, 5_000, 'fstream ACCOUNT_UPDATE');
    await dstream.until(() => dstream.of('ACCOUNT_UPDATE').length >= 1, 5_000, 'dstream ACCOUNT_UPDATE');
    await fstream.sync();
    await dstream.sync();
    const symbolsOf = (events: Json[]) => [...new Set(events.flatMap((e) => {
      if (e.e === 'ORDER_TRADE_UPDATE') return [(e.o as Json).s];
      if (e.e === 'TRADE_LITE') return [e.s];
      if (e.e === 'ACCOUNT_UPDATE') return [...((e.a as { P: Json[] }).P.map((p) => p.s)), ...((e.a as { B: Json[] }).B.map((x) => x.a))];
      return [];
    }))];
    assert.deepEqual(symbolsOf(fstream.events).sort(), ['BTCUSDT', 'USDT']);
    assert.deepEqual(symbolsOf(dstream.events).sort(), ['BTC', 'BTCUSD_PERP']);
    // COIN-M's update: the account alias `i`, P in contracts without `ma`.
    const update = dstream.of('ACCOUNT_UPDATE')[0]!;
    const p = (update.a as { P: Json[] }).P[0]!;
    assert.deepEqual([update.i, p.s, p.pa, 'ma' in p], [`perpstream${a.accountId}`, 'BTCUSD_PERP', '3', false]);
    assert.equal('i' in fstream.of('ACCOUNT_UPDATE')[0]!, false, 'USDⓈ-M has no alias in ACCOUNT_UPDATE');
    // COIN-M's order update: the alias and the margin asset `ma`; no TRADE_LITE (USDⓈ-M's only).
    const filled = dstream.of('ORDER_TRADE_UPDATE').find((e) => (e.o as Json).X === 'FILLED')!;
    assert.deepEqual([filled.i, (filled.o as Json).ma, (filled.o as Json).z], [`perpstream${a.accountId}`, 'BTC', '3']);
    assert.deepEqual([dstream.of('TRADE_LITE').length, fstream.of('TRADE_LITE').length], [0, 1]);
    // Public trades: COIN-M gives the coin value (3 × 100 USD at 60000 = 0.005 BTC).
    const trades = await a.rest.keyed<Json[]>('GET', '/dapi/v1/trades?symbol=BTCUSD_PERP');
    assert.deepEqual(trades.body.map((t) => [t.qty, t.price, t.baseQty, 'quoteQty' in t]), [['3', '60000', '0.005', false]]);
    // The candle and the day: volume in contracts, the "base asset volume" (kline column 7, ticker
    // baseVolume) in the coin, the weighted average price the harmonic one.
    const kline = await a.rest.keyed<(string | number)[][]>('GET', '/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=1');
    // a bought with a market order: the taker bought all 3 (columns 9 and 10).
    assert.deepEqual([5, 7, 9, 10].map((i) => kline.body[0]![i]), ['3', '0.005', '3', '0.005']);
    const day = await a.rest.keyed<Json[]>('GET', '/dapi/v1/ticker/24hr?symbol=BTCUSD_PERP');
    assert.deepEqual([day.body[0]!.volume, day.body[0]!.baseVolume, day.body[0]!.weightedAvgPrice, 'quoteVolume' in day.body[0]!], ['3', '0.005', '60000', false]);
  });
});
