/**
 * Seed 004's isolated XBTUSDM example, field for field, from a real server. The server is configured
 * with an XBTUSDM-shaped inverse perpetual (configuration, as docs/dialects/kucoin.md says: KuCoin's
 * XBTUSDM is 1 USD a lot; the demo btc_usd is 100 USD a lot and tick 0.1, on which 69,999.09 is not a
 * price): contract size 1 USD, tick 0.01, settled in BTC (XBT), the first risk tier at a 2.5 %
 * maintenance rate up to 4 XBT (the seed's maintMarginReq 0.025 and riskLimit 4).
 *
 * An account opens 2 lots (long) at 69,999.09 with the mark at 71,509.37: its position.change on
 * /contract/position:XBTUSDM carries the seed's engine-determined values exactly:
 *   posCost = unrealisedCost = −2 / 69,999.09 = −0.0000285718
 *   markValue = −2 / 71,509.37 = −0.0000279684, unrealisedPnl = markValue − posCost = 0.0000006034
 *   unrealisedPnlPcnt = 0.0000006034 / 0.0000285718 = 0.0211
 * Fields that differ from the seed by design (asserted as the engine has them):
 *   - topic: the seed's topic says /contract/position:XBTUSDTM over XBTUSDM data (inconsistent,
 *     coverage.md §2.5); here the topic names the position's contract, XBTUSDM;
 *   - avgEntryPrice: the engine's harmonic mean of its exact cost (69999.0900000702); the seed's
 *     69999.0900118298 is 2 / its 10-decimal posCost;
 *   - posInit, posMargin, posCross, posComm, posLoss, posFunding, maintMargin, realLeverage,
 *     unrealisedRoePcnt, currentComm, realisedPnl, realisedGrossPnl / Cost, currentCost, realisedCost,
 *     liquidation and bankruptcy prices, delevPercentage, timestamps: the seed's account history
 *     (earlier trades, fees, funding, a leverage of about 15) is not this fresh account's; each is
 *     checked against the engine's state by KuCoin's identities instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USD, DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { KucoinRest, KucoinStream, type Frame } from './client.js';
import { KucoinFixture } from './fixture.js';

/** XBTUSDM as KuCoin lists it: the demo inverse perpetual with 1 USD a lot, tick 0.01 (so that 69,999.09 is a price), KuCoin's fees and first risk tiers. */
export const XBTUSDM_SEED: SymbolSpec = {
  ...BTC_USD,
  tickSize: '0.01',
  contractSize: '1',
  makerFeeRate: '0.0002',
  takerFeeRate: '0.0006',
  maxLeverage: 20,
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.025', maxLeverage: 20 },
    { notionalFloor: '4', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  ],
  maxPriceTicks: 1_000_000_000,
};

describe('KuCoin XBTUSDM: seed 004\'s isolated position.change', () => {
  let f: KucoinFixture;
  before(async () => { f = await KucoinFixture.start({ symbols: [...DEMO_SYMBOLS, XBTUSDM_SEED] }); });
  after(async () => { await f.stop(); });

  it('2 lots long at 69,999.09, mark 71,509.37: posCost, markValue, unrealisedPnl as the seed', async () => {
    const a = await f.account('0');
    const m = await f.account('0');
    await f.harness.admin.deposit(a.accountId, '1', 'BTC');
    await f.harness.admin.deposit(m.accountId, '1', 'BTC');
    await f.harness.admin.markPrice('btc_usd', '71509.37');

    const stream = await KucoinStream.connect(await a.rest.futuresStreamUrl());
    await stream.until(() => stream.frames.length >= 1, 'welcome');
    assert.equal((await stream.subscribe('/contract/position:XBTUSDM')).type, 'ack');
    const from = stream.frames.length;

    KucoinRest.data(await m.rest.post('/api/v1/orders', { clientOid: 'seed-maker', side: 'sell', symbol: 'XBTUSDM', price: '69999.09', size: 2 }));
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'seed-taker', side: 'buy', symbol: 'XBTUSDM', price: '69999.09', size: 2 }));
    const isOpen = (x: Frame): boolean => x.subject === 'position.change' && x.data?.currentQty === 2;
    await stream.until(() => stream.pushes(from).some(isOpen), 'the position.change of the 2 lots');
    const push = stream.pushes(from).find(isOpen)!;
    const text = stream.texts[stream.frames.indexOf(push)]!;
    const d = push.data!;
    const p = f.view(a.accountId).positions.find((x) => x.symbol === 'btc_usd' && x.positionSide === 'BOTH')!;
    assert.equal(p.qty, 2);

    // The seed's values, as KuCoin writes them (JSON numbers, 10 decimals of XBT).
    assert.equal(push.topic, '/contract/position:XBTUSDM');
    assert.equal(push.subject, 'position.change');
    for (const [field, value] of [
      ['symbol', '"XBTUSDM"'], ['maintMarginReq', '0.025'], ['riskLimit', '4'], ['crossMode', 'false'], ['autoDeposit', 'false'],
      ['currentQty', '2'], ['unrealisedCost', '-0.0000285718'], ['isOpen', 'true'], ['markPrice', '71509.37'],
      ['markValue', '-0.0000279684'], ['posCost', '-0.0000285718'], ['settleCurrency', '"XBT"'], ['changeReason', '"positionChange"'],
      ['riskLimitLevel', '1'], ['unrealisedPnl', '0.0000006034'], ['unrealisedPnlPcnt', '0.0211'], ['marginMode', '"ISOLATED"'], ['positionSide', '"BOTH"'],
    ] as const) {
      assert.ok(text.includes(`"${field}":${value},`) || text.includes(`"${field}":${value}}`), `${field} is ${value} in ${text}`);
    }
    // By design (see the header): the engine's exact harmonic entry, not 2 / the rounded posCost.
    assert.equal(d.avgEntryPrice, 69999.0900000702);
    assert.ok(text.includes('"avgEntryPrice":69999.0900000702,'));
    // The engine keeps 10⁻⁸ XBT: its unrealized PnL is the seed's, rounded down there.
    assert.equal(formatAmount(p.unrealizedPnl), '0.0000006');
    // KuCoin's identities over the engine's own state.
    const units = (n: unknown): bigint => BigInt(Math.round(Number(n) * 1e10));
    assert.equal(units(d.posInit), p.initialMargin * 100n);
    assert.equal(units(d.posMargin), p.margin * 100n);
    assert.equal(units(d.maintMargin), p.margin * 100n + 6034n, 'maintMargin = posMargin + unrealisedPnl');
    assert.equal(units(d.currentComm), p.feesCurrent * 100n);
    assert.equal(units(d.realisedPnl), p.realizedPnlCurrent * 100n);
    assert.equal(units(d.currentCost), -285718n - units(d.realisedGrossPnl), 'currentCost = posCost + realisedGrossCost');
    assert.equal(d.leverage, d.realLeverage);

    // The short side mirrors it: positive cost and value, the loss.
    const short = f.view(m.accountId).positions.find((x) => x.symbol === 'btc_usd' && x.positionSide === 'BOTH')!;
    const rest = KucoinRest.data(await m.rest.get<Record<string, unknown>>('/api/v1/position', { symbol: 'XBTUSDM' }));
    assert.equal(short.qty, -2);
    assert.deepEqual([rest.currentQty, rest.posCost, rest.markValue, rest.unrealisedPnl, rest.isInverse, rest.settleCurrency],
      [-2, 0.0000285718, 0.0000279684, -0.0000006034, true, 'XBT']);
    stream.close();

    // Bad input on the XBT position: a currency sent with the margin (KuCoin's margin endpoints take
    // none: the amount is XBT) and an amount the XBT wallet cannot cover; neither changes anything.
    const state = (): string => JSON.stringify(f.view(a.accountId), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const before = state();
    const withCurrency = await a.rest.post('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDM', margin: '100', currency: 'USDT', bizNo: 'm-1' });
    assert.deepEqual([withCurrency.status, withCurrency.body.code], [400, '400100'], withCurrency.text);
    assert.match(withCurrency.body.msg!, /settle currency XBT \(not USDT\)/);
    const tooMuch = await a.rest.post('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDM', margin: '100', bizNo: 'm-2' });
    assert.equal(tooMuch.body.code, '300003', tooMuch.text);
    const usdtQuarterly = await a.rest.get('/api/v1/position', { symbol: 'XBTUSDTMH27' });
    assert.equal(usdtQuarterly.body.code, '400100', usdtQuarterly.text);
    assert.equal(state(), before, 'nothing changed');
    // XBT margin itself goes in.
    const margin = KucoinRest.data(await a.rest.post<Record<string, unknown>>('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDM', margin: '0.0001', bizNo: 'm-3' }));
    const after = f.view(a.accountId).positions.find((x) => x.symbol === 'btc_usd' && x.positionSide === 'BOTH')!;
    assert.equal(after.margin, p.margin + 10_000n);
    assert.deepEqual([margin.posMargin, margin.settleCurrency], [Number(formatAmount(after.margin)), 'XBT']);
  });

  it('funding on XBTUSDM: position.settlement and funding-history in XBT', async () => {
    const account = await f.account('0');
    const other = await f.account('0');
    await f.harness.admin.deposit(account.accountId, '1', 'BTC');
    await f.harness.admin.deposit(other.accountId, '1', 'BTC');
    KucoinRest.data(await other.rest.post('/api/v1/orders', { clientOid: 'f-m', side: 'sell', symbol: 'XBTUSDM', price: '71509.37', size: 5 }));
    KucoinRest.data(await account.rest.post('/api/v1/orders', { clientOid: 'f-t', side: 'buy', symbol: 'XBTUSDM', price: '71509.37', size: 5 }));
    const stream = await KucoinStream.connect(await account.rest.futuresStreamUrl());
    await stream.until(() => stream.frames.length >= 1, 'welcome');
    assert.equal((await stream.subscribe('/contract/position:XBTUSDM')).type, 'ack');
    const from = stream.frames.length;
    const settled = await f.harness.admin.request('POST', '/funding/settle', { symbol: 'btc_usd' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    await stream.until(() => stream.pushes(from).some((x) => x.subject === 'position.settlement'), 'position.settlement');
    const d = stream.pushes(from).find((x) => x.subject === 'position.settlement')!.data!;
    const row = f.exchange.ledger.rows(account.accountId).find((r) => r.kind === 'FUNDING' && r.symbol === 'btc_usd')!;
    assert.deepEqual([d.qty, d.markPrice, d.settleCurrency, d.fundingFee], [5, 71509.37, 'XBT', Number(formatAmount(-row.amount))]);
    const history = KucoinRest.data(await account.rest.get<{ dataList: Record<string, unknown>[] }>('/api/v1/funding-history', { symbol: 'XBTUSDM' })).dataList;
    // positionCost: KuCoin's cost sign for a long on an inverse contract, −5 × 1 / 71,509.37 XBT (10⁻⁸).
    assert.deepEqual(history.map((h) => [h.symbol, h.positionQty, h.markPrice, h.positionCost, h.funding, h.settleCurrency]),
      [['XBTUSDM', 5, 71509.37, -0.00006992, Number(formatAmount(row.amount)), 'XBT']]);
    stream.close();
  });
});
