/**
 * The KuCoin encoders on constructed canonical events (the risk fields and risk events come from
 * the risk engine, which is built in parallel): every field of seed 004's position.change for an
 * isolated and a cross position, every changeReason, the mark-price set, position.settlement,
 * position.adjustRiskLimit, orderChange of every type, the wallet subjects, user.config, and the
 * UTA positionAll / lw pushes. Expected texts are written out in full: the numbers must come out
 * exactly, as JSON numbers where KuCoin sends numbers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KucoinEncoder } from '../../src/dialects/kucoin/encode.js';
import { UtaEncoder } from '../../src/dialects/kucoin/encode-uta.js';
import { changeReason } from '../../src/dialects/kucoin/encode-position.js';
import { Num, toJson } from '../../src/dialects/kucoin/json.js';
import type { ChangeReason, EngineEvent } from '../../src/engine/types.js';
import {
  balance, order, orderEvent, parse, position, positionEvent, SEED_SYMBOLS, SYMBOLS, T0, tradeEvent,
} from './events.js';

/** Seed 004, isolated example: the data keys in order. */
const ISOLATED_SEED_KEYS = ['symbol', 'maintMarginReq', 'riskLimit', 'realLeverage', 'crossMode', 'delevPercentage', 'openingTimestamp', 'autoDeposit',
  'currentTimestamp', 'currentQty', 'currentCost', 'currentComm', 'unrealisedCost', 'realisedCost', 'isOpen', 'markPrice', 'markValue', 'posCost',
  'posCross', 'posInit', 'posComm', 'posLoss', 'posMargin', 'posFunding', 'posMaint', 'maintMargin', 'avgEntryPrice', 'liquidationPrice', 'bankruptPrice',
  'settleCurrency', 'changeReason', 'riskLimitLevel', 'realisedGrossCost', 'realisedGrossPnl', 'realisedPnl', 'unrealisedPnl', 'unrealisedPnlPcnt',
  'unrealisedRoePcnt', 'leverage', 'marginMode', 'positionSide'];
/** Seed 004, cross example, plus posMaint and riskLimitLevel (common fields per protocols.md §4.2). */
const CROSS_SEED_KEYS = ['symbol', 'crossMode', 'delevPercentage', 'openingTimestamp', 'currentTimestamp', 'currentQty', 'currentCost', 'currentComm',
  'unrealisedCost', 'realisedCost', 'isOpen', 'markPrice', 'markValue', 'posCost', 'posInit', 'posMargin', 'posMaint', 'avgEntryPrice', 'liquidationPrice',
  'bankruptPrice', 'settleCurrency', 'changeReason', 'riskLimitLevel', 'realisedGrossCost', 'realisedGrossPnl', 'realisedPnl', 'unrealisedPnl',
  'unrealisedPnlPcnt', 'unrealisedRoePcnt', 'leverage', 'marginMode', 'positionSide'];
/** Seed 004, position change caused by the mark price. */
const MARK_SEED_KEYS = ['markPrice', 'markValue', 'maintMargin', 'realLeverage', 'unrealisedPnl', 'unrealisedRoePcnt', 'unrealisedPnlPcnt', 'delevPercentage',
  'currentTimestamp', 'settleCurrency'];

const encoder = new KucoinEncoder(SYMBOLS);
const frames = (event: EngineEvent, key?: string) => encoder.encode(event).filter((f) => key === undefined || f.key === key);
const only = (event: EngineEvent, key: string): string => {
  const found = frames(event, key);
  assert.equal(found.length, 1, `one ${key} frame: ${JSON.stringify(found)}`);
  return found[0]!.text;
};
/** The raw text of the `data` member (numbers exactly as written). */
const dataText = (frame: string): string => {
  const at = frame.indexOf('"data":') + '"data":'.length;
  return frame.slice(at, frame.lastIndexOf(',"seq":'));
};

/**
 * An isolated long, BTC_USDT (tick 0.1, contract 0.0001, K = 1000): 20 contracts bought at 60,000
 * (entry value 120 USDT), mark 61,000 (mark value 122, unrealized +2), margin 7 of which 6 initial,
 * current position's fees 0.08 and gross realized 0.5 (net 0.42), funding paid 0.01.
 */
const ISOLATED = position({
  marginMode: 'ISOLATED', qty: 20, entryCost: 12_000_000n, margin: 700_000_000n, initialMargin: 600_000_000n, markPrice: 610_000,
  unrealizedPnl: 200_000_000n, maintenanceMargin: 48_800_000n, maintenanceMarginRate: 400_000n, riskLevel: 1, riskLimit: 5_000_000_000_000n,
  liquidationPrice: 5_750_012_345_678n, bankruptcyPrice: 5_700_000_000_000n, adlQuantile: 60_000_000n, autoDeposit: true, fundingTotal: -1_000_000n,
  realizedPnlCurrent: 42_000_000n, feesCurrent: 8_000_000n, openTime: 1_717_582_301_254,
});

describe('KuCoin position.change (seed 004)', () => {
  it('isolated: every field of the seed, in its order, with exact numbers', () => {
    const text = only(positionEvent(ISOLATED), 'position:XBTUSDTM');
    const frame = parse(text);
    assert.deepEqual(Object.keys(frame.data), ISOLATED_SEED_KEYS);
    assert.equal(dataText(text), '{"symbol":"XBTUSDTM","maintMarginReq":0.004,"riskLimit":50000,"realLeverage":13.5555555556,"crossMode":false,' +
      '"delevPercentage":0.6,"openingTimestamp":1717582301254,"autoDeposit":true,"currentTimestamp":1717724618516,"currentQty":20,' +
      // currentCost = posCost + realisedGrossCost = 120 − 0.5; realisedCost = currentComm + realisedGrossCost = 0.08 − 0.5
      '"currentCost":119.49,"currentComm":0.08,"unrealisedCost":120,"realisedCost":-0.43,"isOpen":true,"markPrice":61000,"markValue":122,"posCost":120,' +
      // posMargin = posInit + posCross + posComm − posLoss = 6 + 1 + 0 − 0; maintMargin = posMargin + unrealisedPnl = 7 + 2
      '"posCross":1,"posInit":6,"posComm":0,"posLoss":0,"posMargin":7,"posFunding":-0.01,"posMaint":0.488,"maintMargin":9,' +
      '"avgEntryPrice":60000,"liquidationPrice":57500.12345678,"bankruptPrice":57000,"settleCurrency":"USDT","changeReason":"positionChange",' +
      // unrealisedPnlPcnt = 2 / 120; unrealisedRoePcnt = 2 / 6; realLeverage = markValue / maintMargin = 122 / 9 (also `leverage`, per the seed)
      '"riskLimitLevel":1,"realisedGrossCost":-0.51,"realisedGrossPnl":0.51,"realisedPnl":0.42,"unrealisedPnl":2,"unrealisedPnlPcnt":0.0167,' +
      '"unrealisedRoePcnt":0.3333,"leverage":13.5555555556,"marginMode":"ISOLATED","positionSide":"BOTH"}');
    assert.equal(frame.topic, '/contract/position:XBTUSDTM');
    assert.equal(frame.subject, 'position.change');
    assert.equal(frame.type, 'message');
    assert.equal(frame.userId, '42');
    assert.equal(frame.channelType, 'private');
    assert.equal(frame.seq, 7);
  });

  it('cross: the seed\'s cross example reproduced number for number (contract 0.001, tick 0.01)', () => {
    const seed = new KucoinEncoder(SEED_SYMBOLS);
    const p = position({
      qty: -2, entryCost: 13_600_200n, margin: 567_359_038n, initialMargin: 545_098_196n, markPrice: 7_077_804, unrealizedPnl: -555_408_000n,
      maintenanceMargin: 56_622_432n, adlQuantile: 6_000_000n, liquidationPrice: 8_070_049_720_065n, bankruptcyPrice: 8_115_242_267_235n,
      feesCurrent: 6_739_824n, realizedPnlCurrent: -6_739_824n, leverage: 25, openTime: 1_717_639_498_983,
    });
    const text = seed.encode(positionEvent(p, 'ORDER', 7, 1_717_724_686_618)).find((f) => f.key === 'position:XBTUSDTM')!.text;
    assert.deepEqual(Object.keys(parse(text).data), CROSS_SEED_KEYS);
    // The seed's values, except realisedPnl (the seed's also holds funding, −0.0284…), posInit/posMargin (8 decimals here)
    // and leverage (an integer here).
    assert.equal(dataText(text), '{"symbol":"XBTUSDTM","crossMode":true,"delevPercentage":0.06,"openingTimestamp":1717639498983,' +
      '"currentTimestamp":1717724686618,"currentQty":-2,"currentCost":-136.002,"currentComm":0.06739824,"unrealisedCost":-136.002,' +
      '"realisedCost":0.06739824,"isOpen":true,"markPrice":70778.04,"markValue":-141.55608,"posCost":-136.002,"posInit":5.45098196,' +
      '"posMargin":5.67359038,"posMaint":0.56622432,"avgEntryPrice":68001,"liquidationPrice":80700.49720065,"bankruptPrice":81152.42267235,' +
      '"settleCurrency":"USDT","changeReason":"positionChange","riskLimitLevel":1,"realisedGrossCost":0,"realisedGrossPnl":0,' +
      '"realisedPnl":-0.06739824,"unrealisedPnl":-5.55408,"unrealisedPnlPcnt":-0.0408,"unrealisedRoePcnt":-1.0189,"leverage":25,' +
      '"marginMode":"CROSS","positionSide":"BOTH"}');
  });

  it('every changeReason of the seed, from the engine reasons', () => {
    const expected: Record<ChangeReason, string> = {
      ORDER: 'positionChange', DEPOSIT: 'positionChange', WITHDRAW: 'positionChange', POSITION_MODE_CHANGE: 'positionChange',
      MARGIN_TRANSFER: 'marginChange', AUTO_DEPOSIT: 'marginChange', LEVERAGE_CHANGE: 'marginChange', MARGIN_TYPE_CHANGE: 'marginChange',
      RISK_LIMIT_CHANGE: 'marginChange', FUNDING_FEE: 'marginChange',
      LIQUIDATION: 'liquidation', ADL: 'adl', AUTO_DEPOSIT_CHANGE: 'autoAppendMarginStatusChange',
      MARK_PRICE: 'positionChange', DELIVERY: 'positionChange',
    };
    for (const [reason, kucoin] of Object.entries(expected) as [ChangeReason, string][]) {
      assert.equal(changeReason(reason), kucoin, reason);
      if (reason === 'MARK_PRICE') continue; // the reduced set, below
      assert.equal(parse(only(positionEvent(ISOLATED, reason), 'position:XBTUSDTM')).data.changeReason, kucoin, reason);
    }
    assert.deepEqual(new Set(Object.values(expected)), new Set(['positionChange', 'marginChange', 'liquidation', 'adl', 'autoAppendMarginStatusChange']));
  });

  it('a liquidation closing the position to flat: isOpen false, zeros, the ADL reason on ADL', () => {
    const flat = position({ marginMode: 'ISOLATED', qty: 0, realizedPnlCurrent: -700_000_000n, feesCurrent: 0n, markPrice: 570_000, openTime: 1_717_582_301_254 });
    const data = parse(only(positionEvent(flat, 'LIQUIDATION'), 'position:XBTUSDTM')).data;
    assert.equal(data.changeReason, 'liquidation');
    assert.equal(data.isOpen, false);
    assert.equal(data.currentQty, 0);
    assert.equal(data.avgEntryPrice, 0);
    assert.equal(data.realisedPnl, -7);
    assert.equal(data.realLeverage, 20, 'flat: the leverage setting');
    assert.equal(parse(only(positionEvent(flat, 'ADL'), 'positionAll')).data.changeReason, 'adl');
  });

  it('the same data goes to /contract/positionAll', () => {
    const event = positionEvent(ISOLATED);
    const all = parse(only(event, 'positionAll'));
    assert.equal(all.topic, '/contract/positionAll');
    assert.deepEqual(all.data, parse(only(event, 'position:XBTUSDTM')).data);
  });

  it('mark-price-driven: exactly the seed\'s reduced set; positionAll adds symbol, hedge mode adds positionSide', () => {
    const event = positionEvent(ISOLATED, 'MARK_PRICE');
    const text = only(event, 'position:XBTUSDTM');
    assert.deepEqual(Object.keys(parse(text).data), MARK_SEED_KEYS);
    assert.equal(dataText(text), '{"markPrice":61000,"markValue":122,"maintMargin":9,"realLeverage":13.5555555556,"unrealisedPnl":2,' +
      '"unrealisedRoePcnt":0.3333,"unrealisedPnlPcnt":0.0167,"delevPercentage":0.6,"currentTimestamp":1717724618516,"settleCurrency":"USDT"}');
    assert.equal(parse(text).subject, 'position.change');
    assert.deepEqual(Object.keys(parse(only(event, 'positionAll')).data), ['symbol', ...MARK_SEED_KEYS]);
    const hedge = parse(only(positionEvent({ ...ISOLATED, positionSide: 'LONG' }, 'MARK_PRICE'), 'position:XBTUSDTM')).data;
    assert.deepEqual(Object.keys(hedge), [...MARK_SEED_KEYS, 'positionSide']);
    assert.equal(hedge.positionSide, 'LONG');
  });

  it('a short cross position in hedge mode keeps its side and negative values', () => {
    const p = position({ positionSide: 'SHORT', qty: -5, entryCost: 3_000_000n, margin: 150_000_000n, initialMargin: 150_000_000n, markPrice: 590_000, unrealizedPnl: 50_000_000n });
    const data = parse(only(positionEvent(p), 'position:XBTUSDTM')).data;
    assert.equal(data.positionSide, 'SHORT');
    assert.equal(data.currentQty, -5);
    assert.equal(data.posCost, -30);
    assert.equal(data.markValue, -29.5);
    assert.equal(data.unrealisedPnl, 0.5);
    assert.equal(data.avgEntryPrice, 60000);
  });
});

describe('KuCoin position.settlement and position.adjustRiskLimit', () => {
  it('settlement: the funding event, fee as KuCoin signs it (paid > 0), ts in ns', () => {
    // A long of 100 contracts at mark 3,610.8 and rate −0.002966 receives 0.10709633 (seed 004's shape: a negative fee).
    const event: EngineEvent = {
      type: 'funding', accountId: 42, seq: 11, cmdSeq: 100, time: T0, reason: 'FUNDING_FEE', symbol: 'btc_usdt', positionSide: 'BOTH',
      fundingTime: 1_551_770_400_000, qty: 100, markPrice: 36_108, fundingRate: -296_600n, fundingFee: 10_709_633n,
    };
    const text = only(event, 'position:XBTUSDTM');
    assert.equal(parse(text).subject, 'position.settlement');
    assert.equal(dataText(text), '{"fundingTime":1551770400000,"qty":100,"markPrice":3610.8,"fundingRate":-0.002966,"fundingFee":-0.10709633,' +
      '"ts":1717724618516250000,"settleCurrency":"USDT"}');
    assert.equal(parse(only(event, 'positionAll')).subject, 'position.settlement');
  });

  it('adjustRiskLimit: success and failure with its reason', () => {
    const base = { type: 'riskLimit' as const, accountId: 42, seq: 12, cmdSeq: 100, time: T0, reason: 'RISK_LIMIT_CHANGE' as const, symbol: 'eth_usdt' };
    const ok = only({ ...base, success: true, riskLevel: 2, message: '' }, 'position:ETHUSDTM');
    assert.equal(parse(ok).topic, '/contract/position:ETHUSDTM');
    assert.equal(parse(ok).subject, 'position.adjustRiskLimit');
    assert.equal(dataText(ok), '{"success":true,"riskLimitLevel":2,"msg":""}');
    const refused = only({ ...base, success: false, riskLevel: 1, message: 'position value exceeds the level\'s limit' }, 'position:ETHUSDTM');
    assert.equal(dataText(refused), '{"success":false,"riskLimitLevel":1,"msg":"position value exceeds the level\'s limit"}');
  });
});

describe('KuCoin orderChange (/contractMarket/tradeOrders)', () => {
  it('a new order: type open, status open, sizes in lots, orderTime and ts in ns; on both order topics', () => {
    const event = orderEvent(order(), 'NEW');
    const all = only(event, 'orders');
    assert.equal(dataText(all), '{"symbol":"XBTUSDTM","orderType":"limit","side":"buy","canceledSize":"0","orderId":"5","positionSide":"BOTH",' +
      '"marginMode":"CROSS","type":"open","orderTime":1717724600000250000,"size":"10","filledSize":"0","price":"60000","remainSize":"10",' +
      '"clientOid":"cid-5","tradeType":"trade","status":"open","ts":1717724618516250000}');
    assert.equal(parse(all).topic, '/contractMarket/tradeOrders');
    assert.equal(parse(all).subject, 'orderChange');
    const bySymbol = parse(only(event, 'orders:XBTUSDTM'));
    assert.equal(bySymbol.topic, '/contractMarket/tradeOrders:XBTUSDTM');
    assert.equal(bySymbol.subject, 'symbolOrderChange');
    assert.deepEqual(bySymbol.data, parse(all).data);
  });

  it('a maker fill: type match, status open, with the fill (matchPrice, matchSize, tradeId, liquidity, fee, feeRate)', () => {
    const o = order({ executedQty: 4, cumQuote: 2_400_000n, state: 'PARTIALLY_FILLED', fees: 480_000n });
    const text = only(tradeEvent(o, { qty: 4, price: 600_000, isMaker: true, fee: 480_000n }), 'orders');
    assert.equal(dataText(text), '{"symbol":"XBTUSDTM","orderType":"limit","side":"buy","canceledSize":"0","orderId":"5","positionSide":"BOTH",' +
      '"marginMode":"CROSS","type":"match","orderTime":1717724600000250000,"size":"10","filledSize":"4","price":"60000","remainSize":"6",' +
      '"clientOid":"cid-5","tradeType":"trade","status":"open","ts":1717724618516250000,"liquidity":"maker","feeType":"makerFee",' +
      '"matchPrice":"60000","matchSize":"4","tradeId":"9","fee":"0.0048","feeRate":"0.0002","feeCurrency":"USDT"}');
  });

  it('a taker fill that completes the order: match (status match), then filled (status done)', () => {
    const o = order({ side: 'SELL', orderType: 'MARKET', price: 0, timeInForce: 'IOC', executedQty: 10, cumQuote: 6_000_000n, state: 'FILLED' });
    const got = frames(tradeEvent(o, { qty: 10, price: 600_000, isMaker: false, fee: 3_600_000n }), 'orders').map((f) => parse(f.text).data);
    assert.deepEqual(got.map((d) => [d.type, d.status, d.filledSize, d.remainSize, d.price, d.orderType]), [
      ['match', 'match', '10', '0', '0', 'market'],
      ['filled', 'done', '10', '0', '0', 'market'],
    ]);
    assert.equal(got[0]!.liquidity, 'taker');
    assert.equal(got[0]!.feeType, 'takerFee');
    assert.equal(got[0]!.fee, '0.036');
    assert.equal(got[0]!.feeRate, '0.0006');
    assert.equal(got[1]!.tradeId, undefined, 'filled is not a fill: ccxt must not count a trade for it');
  });

  it('cancels and expiries: type canceled, status done, canceledSize = what was left', () => {
    const partly = order({ executedQty: 4, cumQuote: 2_400_000n, state: 'PARTIALLY_CANCELED', reason: 'USER_CANCELED' });
    const data = parse(only(orderEvent(partly, 'CANCELED'), 'orders')).data;
    assert.deepEqual([data.type, data.status, data.canceledSize, data.remainSize, data.filledSize], ['canceled', 'done', '6', '0', '4']);
    const expired = order({ timeInForce: 'IOC', executedQty: 0, state: 'EXPIRED', reason: 'IOC_REMAINDER' });
    const e = parse(only(orderEvent(expired, 'EXPIRED'), 'orders')).data;
    assert.deepEqual([e.type, e.status, e.canceledSize], ['canceled', 'done', '10']);
  });

  it('an amendment made elsewhere (XT order/update) shows as type update', () => {
    const data = parse(only(orderEvent(order({ qty: 7, price: 599_000 }), 'AMENDMENT'), 'orders')).data;
    assert.deepEqual([data.type, data.status, data.size, data.price], ['update', 'open', '7', '59900']);
  });

  it('nothing for the TRADE order event (the trade event tells it) nor for a rejected order', () => {
    assert.deepEqual(frames(orderEvent(order({ state: 'PARTIALLY_FILLED', executedQty: 1 }), 'TRADE')), []);
    assert.deepEqual(frames(orderEvent(order({ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN' }), 'REJECTED')), []);
  });

  it('tradeType liquid for the risk engine\'s liquidation and ADL orders; hedge sides and isolated margin pass through', () => {
    for (const source of ['LIQUIDATION', 'ADL'] as const) {
      const o = order({ source, side: 'SELL', positionSide: 'LONG', marginMode: 'ISOLATED', executedQty: 10, cumQuote: 5_700_000n, state: 'FILLED', clientOrderId: null });
      const [match] = frames(tradeEvent(o, { qty: 10, price: 570_000, isMaker: false, fee: 0n }), 'orders').map((f) => parse(f.text).data);
      assert.equal(match!.tradeType, 'liquid', source);
      assert.equal(match!.positionSide, 'LONG');
      assert.equal(match!.marginMode, 'ISOLATED');
      assert.equal(match!.clientOid, undefined, 'no client id: the field is left out');
    }
  });
});

describe('KuCoin /contractAccount/wallet', () => {
  const CROSS_WALLET = balance({
    walletBalance: 100_000_000_000n, isolatedMargin: 2_000_000_000n, crossedMargin: 500_000_000n, openOrderMarginFrozen: 300_000_000n,
    isolatedOrderMarginFrozen: 100_000_000n, availableBalance: 97_200_000_000n, crossUnrealizedPnl: -150_000_000n, isolatedUnrealizedPnl: 25_000_000n,
  });

  it('walletBalance.change: every field, decimals as strings; available + hold + isolatedPosMargin = walletBalance', () => {
    const event: EngineEvent = { type: 'balance', accountId: 42, seq: 7, cmdSeq: 100, time: T0, reason: 'ORDER', balance: CROSS_WALLET, walletChange: 0n };
    const found = frames(event, 'wallet');
    assert.equal(found.length, 1, 'cross margin in use: only the current subject');
    const frame = parse(found[0]!.text);
    assert.equal(frame.topic, '/contractAccount/wallet');
    assert.equal(frame.subject, 'walletBalance.change');
    assert.equal(dataText(found[0]!.text), '{"currency":"USDT","walletBalance":"1000","availableBalance":"972","holdBalance":"8",' +
      '"isolatedOrderMargin":"1","isolatedPosMargin":"20","isolatedUnPnl":"0.25","isolatedFundingFeeMargin":"0","crossOrderMargin":"2",' +
      '"crossPosMargin":"5","crossUnPnl":"-1.5","equity":"998.75","totalCrossMargin":"977.5","maxWithdrawAmount":"972","availableMargin":"972",' +
      '"version":"7","timestamp":"1717724618516"}');
  });

  it('an isolated-only wallet also gets the deprecated subjects, before walletBalance.change', () => {
    const isolatedOnly = balance({ walletBalance: 100_000_000_000n, isolatedMargin: 2_000_000_000n, openOrderMarginFrozen: 100_000_000n, isolatedOrderMarginFrozen: 100_000_000n, availableBalance: 97_900_000_000n });
    const event: EngineEvent = { type: 'balance', accountId: 42, seq: 8, cmdSeq: 100, time: T0, reason: 'ORDER', balance: isolatedOnly, walletChange: 0n };
    const got = frames(event, 'wallet').map((f) => parse(f.text));
    assert.deepEqual(got.map((f) => f.subject), ['availableBalance.change', 'orderMargin.change', 'withdrawHold.change', 'walletBalance.change']);
    assert.deepEqual(got[0]!.data, { currency: 'USDT', holdBalance: '1', availableBalance: '979', timestamp: '1717724618516' });
    assert.deepEqual(got[1]!.data, { orderMargin: '1', currency: 'USDT', timestamp: '1717724618516' });
    assert.deepEqual(got[2]!.data, { withdrawHold: '0', currency: 'USDT', timestamp: '1717724618516' });
  });
});

describe('KuCoin user.config', () => {
  const config = (reason: ChangeReason, extra: object): EngineEvent => ({
    type: 'config', accountId: 42, seq: 9, cmdSeq: 100, time: T0, reason, symbol: 'eth_usdt', leverage: 8, marginMode: 'ISOLATED', positionMode: 'ONE_WAY', ...extra,
  });
  it('leverage → /contract/crossLeverage, margin mode → /contract/marginMode, position mode → nothing', () => {
    const lev = parse(only(config('LEVERAGE_CHANGE', {}), 'crossLeverage'));
    assert.deepEqual([lev.topic, lev.subject, lev.data], ['/contract/crossLeverage', 'user.config', { ETHUSDTM: { leverage: '8' } }]);
    const mode = parse(only(config('MARGIN_TYPE_CHANGE', {}), 'marginMode'));
    assert.deepEqual([mode.topic, mode.subject, mode.data], ['/contract/marginMode', 'user.config', { ETHUSDTM: 'ISOLATED' }]);
    assert.deepEqual(frames(config('POSITION_MODE_CHANGE', { symbol: null, leverage: null, marginMode: null })), []);
  });
});

describe('KuCoin notices', () => {
  const notice = (kind: 'WARN' | 'PARTIAL' | 'LIQUIDATION' | 'ADL'): EngineEvent => ({
    type: 'notice', accountId: 42, seq: 13, cmdSeq: 100, time: T0, reason: 'MARK_PRICE', notice: kind, position: ISOLATED,
    marginRatio: 85_000_000n, crossWalletBalance: 98_000_000_000n, direction: 'LONG', qty: Math.abs(ISOLATED.qty),
  });
  it('the classic stream has no notice topic (liquidations show as changeReason and tradeType liquid)', () => {
    for (const kind of ['WARN', 'PARTIAL', 'LIQUIDATION', 'ADL'] as const) assert.deepEqual(frames(notice(kind)), [], kind);
  });
  it('UTA: WARN becomes the liquidation warning lw; the other notices send nothing', () => {
    const uta = new UtaEncoder(SYMBOLS);
    const [lw] = uta.encode(notice('WARN'));
    assert.equal(lw!.key, 'lw');
    // e = the isolated margin 7 + unrealized 2; aM = e − maintenance 0.488
    assert.equal(lw!.text, '{"T":"lw.FUTURES","P":"1717724618516250000","d":{"eT":"MARGIN_CALL","s":"XBTUSDTM","r":"0.85","a":"980","iM":"6",' +
      '"mM":"0.488","aM":"8.512","e":"9","l":"0","U":"1717724618516250000"},"seq":13}');
    for (const kind of ['PARTIAL', 'LIQUIDATION', 'ADL'] as const) assert.deepEqual(uta.encode(notice(kind)), [], kind);
  });
});

describe('KuCoin UTA positionAll', () => {
  it('the fields ccxt reads (s, q, eP, pV, mP, lP, l, uPL, rPL, iM, mmr, mtM, pi, U, O), U and O in ns', () => {
    const uta = new UtaEncoder(SYMBOLS);
    const got = uta.encode(positionEvent(ISOLATED));
    assert.deepEqual(got.map((f) => f.key), ['positionAll', 'position:XBTUSDTM']);
    assert.equal(got[0]!.text, '{"T":"positionAll.FUTURES","P":"1717724618516250000","d":{"pi":"42-XBTUSDTM-BOTH","s":"XBTUSDTM","mM":"ISOLATED",' +
      '"q":"20","eP":"60000","pV":"122","mP":"61000","lP":"57500.12345678","bP":"57000","l":"20","uPL":"2","rPL":"0.42","iM":"6","mmr":"0.004",' +
      '"mtM":"0.488","U":"1717724618516250000","O":1717582301254250000},"seq":7}');
    assert.equal(parse(got[1]!.text).T, 'position.FUTURES');
    assert.deepEqual(uta.encode(orderEvent(order(), 'NEW')), [], 'orders are UNIFIED-only channels');
  });
});

describe('KuCoin JSON numbers', () => {
  it('Num is written verbatim; plain numbers must be whole; ns beyond 2^53 stay exact', () => {
    assert.equal(toJson({ a: Num.of('-0.0408'), b: Num.of('1717724618516250000'), c: 3, d: undefined, e: [null, 'x'] }), '{"a":-0.0408,"b":1717724618516250000,"c":3,"e":[null,"x"]}');
    assert.throws(() => Num.of('1e5'), /not a JSON number/);
    assert.throws(() => Num.of('.5'), /not a JSON number/);
    assert.throws(() => toJson({ x: 0.1 }), /whole numbers/);
    assert.equal(toJson(Num.of('-0')), '0');
  });

  it('frames are memoized per event: one encoding whatever the number of sockets', () => {
    const event = positionEvent(ISOLATED);
    assert.equal(encoder.encode(event), encoder.encode(event));
  });
});
