/**
 * The Bybit push encoder on constructed canonical events, including the risk events (notice,
 * funding, liquidation and ADL sources) that the engine does not produce yet: what each push
 * carries, how one command's events group, and what every Bybit enum is derived from.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import type {
  BalanceEvent, BalanceSnapshot, ChangeReason, ConfigEvent, EngineEvent, FundingEvent, NoticeEvent, OrderEvent, OrderSnapshot, PositionEvent,
  PositionSnapshot, TradeEvent,
} from '../../src/engine/types.js';
import { adlRank, orderStatus } from '../../src/dialects/bybit/encode.js';
import { BybitPushEncoder } from '../../src/dialects/bybit/push.js';
import { BybitSymbols } from '../../src/dialects/bybit/symbols.js';

const symbols = new BybitSymbols([buildSymbolConfig(BTC_USDT), buildSymbolConfig(ETH_USDT)]);
const T = 1_700_000_000_000;

const base = (seq: number, cmdSeq = 50, reason: ChangeReason = 'ORDER') => ({ accountId: 7, seq, cmdSeq, time: T, reason });

function position(overrides: Partial<PositionSnapshot> = {}): PositionSnapshot {
  return {
    symbol: 'btc_usdt', positionSide: 'BOTH', marginMode: 'CROSSED', leverage: 20, qty: 10, entryCost: 6_000_000n, margin: 300_000_000n,
    openOrderQty: 0, openOrderMarginFrozen: 0n, closeOrderQty: 0, realizedPnlTotal: 0n, realizedPnlCurrent: -3_600_000n, feesTotal: 3_600_000n, feesCurrent: 3_600_000n,
    markPrice: 605_000, unrealizedPnl: 5_000_000n, maintenanceMargin: 242_000n, initialMargin: 300_000_000n, maintenanceMarginRate: 400_000n,
    riskLevel: 1, riskLimit: 5_000_000_000_000n, liquidationPrice: null, bankruptcyPrice: null, marginRatio: 0n, adlQuantile: 0n, autoDeposit: false,
    status: 'NORMAL', fundingTotal: 0n, takeProfitPrice: null, stopLossPrice: null, trailingDistance: null, openTime: T - 1000, updateTime: T, ...overrides,
  };
}

function order(overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    orderId: 11, clientOrderId: null, accountId: 7, symbol: 'btc_usdt', side: 'SELL', positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC',
    price: 0, qty: 10, executedQty: 10, cumQuote: 5_900_000n, cumCost: 5_900_000n, state: 'FILLED', reason: 'NONE', reduceOnly: true, stpMode: 'EXPIRE_TAKER',
    closeQty: 0, marginFrozen: 0n, leverage: 20, marginMode: 'CROSSED', fees: 0n, realizedPnl: -1_000_000n, source: 'USER', origin: null, conditionalId: null, attachTpsl: null,
    createTime: T, updateTime: T, ...overrides,
  };
}

const positionEvent = (seq: number, p: PositionSnapshot, previousQty: number, cmdSeq = 50, reason: ChangeReason = 'ORDER'): PositionEvent =>
  ({ type: 'position', ...base(seq, cmdSeq, reason), position: p, previousQty, lastDirection: p.qty > 0 ? 'LONG' : p.qty < 0 ? 'SHORT' : null });
const orderEvent = (seq: number, o: OrderSnapshot, reason: ChangeReason = 'ORDER'): OrderEvent =>
  ({ type: 'order', ...base(seq, 50, reason), execType: o.state === 'FILLED' ? 'TRADE' : 'NEW', order: o });

function trade(seq: number, overrides: Partial<TradeEvent> = {}): TradeEvent {
  return {
    type: 'trade', ...base(seq), tradeId: 900, orderId: 11, clientOrderId: null, symbol: 'btc_usdt', side: 'SELL', positionSide: 'BOTH',
    orderType: 'MARKET', price: 590_000, qty: 10, isMaker: false, fee: 3_540_000n, feeAsset: 'USDT', realizedPnl: -10_000_000n,
    marginUnfrozen: 0n, source: 'USER', order: order(), ...overrides,
  };
}

function balance(seq: number, overrides: Partial<BalanceSnapshot> = {}, reason: ChangeReason = 'ORDER'): BalanceEvent {
  return {
    type: 'balance', ...base(seq, 50, reason), walletChange: 0n, balance: {
      asset: 'USDT', walletBalance: 100_000_000_000n, crossWalletBalance: 100_000_000_000n, isolatedMargin: 0n, crossedMargin: 300_000_000n,
      openOrderMarginFrozen: 30_360_000n, availableBalance: 99_669_640_000n, crossUnrealizedPnl: 5_000_000n, unrealizedPnl: 5_000_000n,
      realizedPnl: -3_600_000n, maintenanceMargin: 242_000n, isolatedOrderMarginFrozen: 0n, isolatedUnrealizedPnl: 0n, ...overrides,
    },
  };
}

const notice = (seq: number, kind: NoticeEvent['notice'], p: PositionSnapshot, reason: ChangeReason = 'LIQUIDATION'): NoticeEvent =>
  ({ type: 'notice', ...base(seq, 50, reason), notice: kind, position: p, marginRatio: 95_000_000n, crossWalletBalance: 0n, direction: p.qty < 0 ? 'SHORT' : 'LONG', qty: Math.abs(p.qty) });

const frameOf = (encoder: BybitPushEncoder, batch: EngineEvent[], topic: string) => {
  const text = encoder.frame(batch, topic);
  return text === null ? null : (JSON.parse(text) as { id: string; topic: string; creationTime: number; data: Record<string, unknown>[] });
};

describe('bybit push encoder: position', () => {
  it('a position push: v5 envelope, every field of seed 003 and what ccxt reads, version = the account seq, seq = the command', () => {
    const encoder = new BybitPushEncoder(symbols);
    const p = position({ liquidationPrice: 5_712_345_678_900n, bankruptcyPrice: 5_700_000_000_000n, adlQuantile: 55_000_000n, fundingTotal: -120_000n, realizedPnlCurrent: -3_720_000n }); // realizedPnlCurrent includes the funding
    const frame = frameOf(encoder, [positionEvent(3, p, 0)], 'position')!;
    assert.deepEqual(Object.keys(frame), ['id', 'topic', 'creationTime', 'data', 'seq']);
    assert.equal(frame.topic, 'position');
    assert.equal(frame.creationTime, T);
    assert.equal(frame.id, '7-50-position');
    assert.equal(frame.data.length, 1);
    const row = frame.data[0]!;
    assert.deepEqual(row, {
      category: 'linear', symbol: 'BTCUSDT', side: 'Buy', size: '0.001', positionIdx: 0, tradeMode: 0, riskId: 1, riskLimitValue: '50000',
      entryPrice: '60000', markPrice: '60500', leverage: '20', breakEvenPrice: row.breakEvenPrice, positionValue: '60', positionBalance: '3',
      autoAddMargin: 0, positionIM: '3', positionIMByMp: '3', positionMM: '0.00242', positionMMByMp: '0.00242', liqPrice: '57123.456789',
      bustPrice: '57000', tpslMode: 'Full', takeProfit: '0', stopLoss: '0', trailingStop: '0', unrealisedPnl: '0.05', curRealisedPnl: '-0.0372',
      cumRealisedPnl: '-0.036', sessionAvgPrice: '60000', positionStatus: 'Normal', adlRankIndicator: 3, isReduceOnly: false, mmrSysUpdatedTime: '',
      leverageSysUpdatedTime: '', createdTime: String(T - 1000), updatedTime: String(T), openTime: T - 1000, seq: 50, version: 3,
    });
  });

  it('one command\'s events: one push, the last state of each position; a one-way flip is preceded by an empty row', () => {
    const encoder = new BybitPushEncoder(symbols);
    const long = position();
    const flat = position({ qty: 0, entryCost: 0n, margin: 0n, unrealizedPnl: 0n, maintenanceMargin: 0n });
    const short = position({ qty: -5, entryCost: 2_950_000n, margin: 147_500_000n, markPrice: 605_000 });
    const eth = position({ symbol: 'eth_usdt', qty: 3, entryCost: 900_000n, markPrice: 0 });
    // two positions touched, btc three times (long → flat → short within one command)
    const batch = [positionEvent(4, flat, 10), positionEvent(5, eth, 0), positionEvent(6, short, 0)];
    const rows = frameOf(encoder, batch, 'position')!.data;
    assert.deepEqual(rows.map((r) => [r.symbol, r.side, r.size, r.version]), [['BTCUSDT', '', '0', 6], ['BTCUSDT', 'Sell', '0.0005', 6], ['ETHUSDT', 'Buy', '0.03', 5]]);
    assert.equal(rows[2]!.markPrice, '', 'no mark price yet');
    assert.equal(long.qty, 10);
    // a close to flat is one row with side ""
    const closed = frameOf(new BybitPushEncoder(symbols), [positionEvent(9, flat, 10)], 'position')!.data;
    assert.deepEqual(closed.map((r) => [r.side, r.size, r.openTime, r.breakEvenPrice]), [['', '0', 0, '0']]);
    // hedge positions never get the extra row
    const hedge = frameOf(new BybitPushEncoder(symbols), [positionEvent(9, position({ positionSide: 'SHORT', qty: -5 }), 3)], 'position')!.data;
    assert.deepEqual(hedge.map((r) => [r.positionIdx, r.side]), [[2, 'Sell']]);
  });

  it('risk status: a notice\'s position shows positionStatus Liq / Adl; with a position event in the command, that event wins', () => {
    const encoder = new BybitPushEncoder(symbols);
    const liq = position({ status: 'LIQUIDATING' });
    const fromNotice = frameOf(encoder, [notice(8, 'WARN', liq)], 'position')!.data;
    assert.deepEqual(fromNotice.map((r) => [r.positionStatus, r.version]), [['Liq', 8]]);
    const adl = position({ status: 'ADL', qty: 4, entryCost: 2_400_000n });
    const both = frameOf(encoder, [positionEvent(10, adl, 10, 50, 'ADL'), notice(11, 'ADL', adl, 'ADL')], 'position')!.data;
    assert.deepEqual(both.map((r) => [r.positionStatus, r.size, r.version]), [['Adl', '0.0004', 10]]);
    assert.equal(frameOf(encoder, [notice(8, 'WARN', liq)], 'order'), null, 'nothing for the other topics');
  });

  it('a leverage or margin mode change with no position record: an empty position row per side of the mode', () => {
    const encoder = new BybitPushEncoder(symbols);
    const config: ConfigEvent = { type: 'config', ...base(12, 60, 'LEVERAGE_CHANGE'), symbol: 'eth_usdt', leverage: 10, marginMode: 'CROSSED', positionMode: 'ONE_WAY' };
    assert.deepEqual(frameOf(encoder, [config], 'position')!.data.map((r) => [r.symbol, r.side, r.size, r.leverage, r.positionIdx, r.seq, r.version]),
      [['ETHUSDT', '', '0', '10', 0, 60, 12]]);
    const hedge: ConfigEvent = { ...config, seq: 13, marginMode: 'ISOLATED', positionMode: 'HEDGE' };
    assert.deepEqual(frameOf(encoder, [hedge], 'position')!.data.map((r) => [r.positionIdx, r.tradeMode]), [[1, 1], [2, 1]]);
    // a position event for the symbol takes precedence over the empty row
    const withPosition = frameOf(encoder, [{ ...config, seq: 14 }, positionEvent(15, position({ symbol: 'eth_usdt', leverage: 10, qty: 0 }), 0, 50, 'LEVERAGE_CHANGE')], 'position')!.data;
    assert.equal(withPosition.length, 1);
    assert.equal(withPosition[0]!.version, 15);
    const modeOnly: ConfigEvent = { ...config, symbol: null, leverage: null, marginMode: null, positionMode: 'HEDGE', reason: 'POSITION_MODE_CHANGE' };
    assert.equal(frameOf(encoder, [modeOnly], 'position'), null);
  });

  it('seed 003\'s topic user.position.unifiedAccount: its own envelope, data {result, version}', () => {
    const encoder = new BybitPushEncoder(symbols);
    const text = encoder.frame([positionEvent(21, position(), 0), positionEvent(22, position({ symbol: 'eth_usdt', qty: 1, entryCost: 300_000n }), 0)], 'user.position.unifiedAccount')!;
    const frame = JSON.parse(text) as { id: string; topic: string; ts: number; type: string; data: { result: Record<string, unknown>[]; version: number } };
    assert.deepEqual(Object.keys(frame), ['id', 'topic', 'ts', 'type', 'data', 'seq']);
    assert.deepEqual([frame.topic, frame.ts, frame.type, frame.data.version], ['user.position.unifiedAccount', T, 'snapshot', 22]);
    assert.deepEqual(frame.data.result.map((r) => r.symbol), ['BTCUSDT', 'ETHUSDT']);
    for (const field of ['positionIdx', 'riskId', 'symbol', 'side', 'size', 'entryPrice', 'leverage', 'markPrice', 'positionIM', 'positionMM', 'takeProfit',
      'stopLoss', 'trailingStop', 'positionValue', 'unrealisedPnl', 'cumRealisedPnl', 'createdTime', 'updatedTime', 'tpslMode', 'sessionAvgPrice']) {
      assert.ok(field in frame.data.result[0]!, field);
    }
  });

  it('adlRankIndicator: 0 when flat, 1–5 by quantile', () => {
    assert.equal(adlRank({ qty: 0, adlQuantile: 90_000_000n }), 0);
    assert.equal(adlRank({ qty: 1, adlQuantile: 0n }), 1);
    assert.equal(adlRank({ qty: -1, adlQuantile: 19_999_999n }), 1);
    assert.equal(adlRank({ qty: 1, adlQuantile: 20_000_000n }), 2);
    assert.equal(adlRank({ qty: 1, adlQuantile: 99_999_999n }), 5);
    assert.equal(adlRank({ qty: 1, adlQuantile: 100_000_000n }), 5);
  });
});

describe('bybit push encoder: order and execution', () => {
  it('orderStatus for every engine state; a post-only that would take is Cancelled', () => {
    assert.deepEqual((['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'EXPIRED', 'REJECTED'] as const).map((s) => orderStatus(s, 'NONE')),
      ['New', 'PartiallyFilled', 'Filled', 'Cancelled', 'Cancelled', 'Cancelled', 'Rejected']);
    assert.equal(orderStatus('REJECTED', 'POST_ONLY_WOULD_TAKE'), 'Cancelled');
  });

  it('createType from the order source: takeover, laddered (a PARTIAL notice in the command) and ADL; cancelType of orders cancelled for it', () => {
    const encoder = new BybitPushEncoder(symbols);
    const takeover = frameOf(encoder, [orderEvent(1, order({ source: 'LIQUIDATION' }), 'LIQUIDATION')], 'order')!.data[0]!;
    assert.deepEqual([takeover.createType, takeover.orderStatus, takeover.reduceOnly], ['CreateByTakeOver_PassThrough', 'Filled', true]);
    const p = position({ status: 'LIQUIDATING' });
    const laddered = frameOf(encoder, [orderEvent(2, order({ orderId: 12, source: 'LIQUIDATION', qty: 4, executedQty: 4 }), 'LIQUIDATION'), notice(3, 'PARTIAL', p)], 'order')!.data[0]!;
    assert.equal(laddered.createType, 'CreateByLiq');
    const adl = frameOf(encoder, [orderEvent(4, order({ orderId: 13, source: 'ADL', price: 570_000, orderType: 'LIMIT' }), 'ADL')], 'order')!.data[0]!;
    assert.deepEqual([adl.createType, adl.price], ['CreateByAdl_PassThrough', '57000']);
    const cancelled = order({ orderId: 14, state: 'CANCELED', reason: 'USER_CANCELED', executedQty: 0, cumQuote: 0n, cumCost: 0n, orderType: 'LIMIT', price: 600_000 });
    const byLiq = frameOf(encoder, [orderEvent(5, cancelled, 'LIQUIDATION')], 'order')!.data[0]!;
    assert.deepEqual([byLiq.cancelType, byLiq.createType, byLiq.orderStatus], ['CancelAllBeforeLiq', 'CreateByUser', 'Cancelled']);
    assert.equal(frameOf(encoder, [orderEvent(6, cancelled, 'ADL')], 'order')!.data[0]!.cancelType, 'CancelAllBeforeAdl');
    assert.equal(frameOf(encoder, [orderEvent(7, cancelled)], 'order')!.data[0]!.cancelType, 'CancelByUser');
    const expired = order({ orderId: 15, state: 'EXPIRED', reason: 'REDUCE_ONLY_WOULD_INCREASE', executedQty: 0, cumQuote: 0n, cumCost: 0n });
    assert.equal(frameOf(encoder, [orderEvent(8, expired)], 'order')!.data[0]!.cancelType, 'CancelByReduceOnly');
    const margin = order({ orderId: 16, state: 'CANCELED', reason: 'INSUFFICIENT_MARGIN', executedQty: 0, cumQuote: 0n, cumCost: 0n });
    assert.equal(frameOf(encoder, [orderEvent(9, margin)], 'order')!.data[0]!.cancelType, 'CancelByCannotAffordOrderCost');
  });

  it('every order change of a command goes out in order, in one push; fees and values in the settle coin', () => {
    const encoder = new BybitPushEncoder(symbols);
    const placed = order({ state: 'NEW', executedQty: 0, cumQuote: 0n, cumCost: 0n, fees: 0n, orderType: 'LIMIT', price: 590_000, timeInForce: 'GTX', clientOrderId: 'c1' });
    const filled = { ...placed, state: 'PARTIALLY_FILLED' as const, executedQty: 4, cumQuote: 2_360_000n, cumCost: 2_360_000n, fees: 472_000n };
    const rows = frameOf(encoder, [orderEvent(1, placed), orderEvent(2, filled)], 'order')!.data;
    assert.deepEqual(rows.map((r) => [r.orderStatus, r.cumExecQty, r.leavesQty, r.avgPrice, r.cumExecValue, r.cumExecFee, JSON.stringify(r.cumFeeDetail), r.timeInForce, r.orderLinkId]), [
      ['New', '0', '0.001', '', '0', '0', '{}', 'PostOnly', 'c1'],
      ['PartiallyFilled', '0.0004', '0.0006', '59000', '23.6', '0.00472', '{"USDT":"0.00472"}', 'PostOnly', 'c1'],
    ]);
    assert.equal(rows[1]!.leavesValue, '35.4');
    assert.ok('tpslMode' in rows[0]!, 'ccxt takes the key as a contract order');
  });

  it('execType: Trade, BustTrade (liquidation), AdlTrade (no fee); order fields from the order event before, closedSize and mark from the position event after', () => {
    const encoder = new BybitPushEncoder(symbols);
    const o = order({ source: 'LIQUIDATION', qty: 15, executedQty: 15, cumQuote: 8_850_000n, cumCost: 8_850_000n });
    const closedLong = position({ qty: -5, entryCost: 2_950_000n, markPrice: 592_000 });
    const batch = [orderEvent(1, o, 'LIQUIDATION'), trade(2, { source: 'LIQUIDATION', qty: 15 }), positionEvent(3, closedLong, 10, 50, 'LIQUIDATION'), balance(4, {}, 'LIQUIDATION')];
    const row = frameOf(encoder, batch, 'execution')!.data[0]!;
    assert.deepEqual({
      execType: row.execType, createType: row.createType, execQty: row.execQty, execPrice: row.execPrice, execValue: row.execValue, execFee: row.execFee,
      execPnl: row.execPnl, feeRate: row.feeRate, orderQty: row.orderQty, orderPrice: row.orderPrice, leavesQty: row.leavesQty, closedSize: row.closedSize,
      markPrice: row.markPrice, seq: row.seq, execId: row.execId, isMaker: row.isMaker, category: row.category, side: row.side,
    }, {
      execType: 'BustTrade', createType: 'CreateByTakeOver_PassThrough', execQty: '0.0015', execPrice: '59000', execValue: '88.5', execFee: '0.0354',
      execPnl: '-0.1', feeRate: '0.0006', orderQty: '0.0015', orderPrice: '0', leavesQty: '0', closedSize: '0.001', markPrice: '59200', seq: 50,
      execId: '900', isMaker: false, category: 'linear', side: 'Sell',
    });
    const adl = frameOf(new BybitPushEncoder(symbols), [trade(5, { source: 'ADL', fee: 0n, isMaker: false })], 'execution')!.data[0]!;
    assert.deepEqual([adl.execType, adl.createType, adl.execFee, adl.feeRate, adl.closedSize, adl.orderQty], ['AdlTrade', 'CreateByAdl_PassThrough', '0', '0', '', '']);
    const user = frameOf(new BybitPushEncoder(symbols), [trade(6, { isMaker: true, fee: 1_180_000n })], 'execution')!.data[0]!;
    assert.deepEqual([user.execType, user.feeRate, user.isMaker], ['Trade', '0.0002', true]);
  });

  it('execution.fast: the short row, user fills only', () => {
    const encoder = new BybitPushEncoder(symbols);
    const batch = [trade(1), trade(2, { tradeId: 901, source: 'LIQUIDATION' })];
    const rows = frameOf(encoder, batch, 'execution.fast')!.data;
    assert.deepEqual(rows, [{ category: 'linear', symbol: 'BTCUSDT', orderId: '11', isMaker: false, orderLinkId: '', execId: '900', execPrice: '59000', execQty: '0.001', side: 'Sell', execTime: String(T), seq: 50 }]);
    assert.equal(frameOf(encoder, [trade(3, { source: 'ADL' })], 'execution.fast'), null);
  });
});

describe('bybit push encoder: funding and wallet', () => {
  it('a funding settlement: an execution row of execType Funding and the wallet push, in one command', () => {
    const encoder = new BybitPushEncoder(symbols);
    const funding: FundingEvent = {
      type: 'funding', ...base(1, 70, 'FUNDING_FEE'), symbol: 'btc_usdt', positionSide: 'BOTH', fundingTime: T - 5, qty: -10, markPrice: 600_000,
      fundingRate: 10_000n, fundingFee: 600_000n,
    };
    const batch: EngineEvent[] = [funding, balance(2, { walletBalance: 100_006_000_000n }, 'FUNDING_FEE')];
    const execution = frameOf(encoder, batch, 'execution')!;
    assert.equal(execution.data.length, 1);
    const row = execution.data[0]!;
    assert.deepEqual({
      execType: row.execType, side: row.side, execQty: row.execQty, execPrice: row.execPrice, execValue: row.execValue, execFee: row.execFee,
      feeRate: row.feeRate, execTime: row.execTime, orderType: row.orderType, orderId: row.orderId, seq: row.seq, feeCurrency: row.feeCurrency,
    }, {
      execType: 'Funding', side: 'Sell', execQty: '0.001', execPrice: '60000', execValue: '60', execFee: '-0.006', feeRate: '0.0001',
      execTime: String(T - 5), orderType: 'UNKNOWN', orderId: '', seq: 70, feeCurrency: 'USDT',
    });
    const wallet = frameOf(encoder, batch, 'wallet')!.data;
    assert.equal(wallet.length, 1);
    assert.equal((wallet[0]!.coin as Record<string, unknown>[])[0]!.walletBalance, '1000.06');
    assert.equal(frameOf(encoder, batch, 'order'), null);
  });

  it('the wallet push: unified account, the last state of each coin the command changed, Bybit\'s coin fields', () => {
    const encoder = new BybitPushEncoder(symbols);
    const frame = frameOf(encoder, [balance(1, { walletBalance: 1n }), balance(2)], 'wallet')!;
    assert.equal(frame.data.length, 1);
    const account = frame.data[0]!;
    assert.deepEqual(Object.keys(account), ['accountType', 'accountIMRate', 'accountIMRateByMp', 'accountMMRate', 'accountMMRateByMp', 'totalEquity',
      'totalWalletBalance', 'totalMarginBalance', 'totalAvailableBalance', 'totalPerpUPL', 'totalInitialMargin', 'totalInitialMarginByMp',
      'totalMaintenanceMargin', 'totalMaintenanceMarginByMp', 'accountLTV', 'coin']);
    assert.deepEqual({
      accountType: account.accountType, totalEquity: account.totalEquity, totalWalletBalance: account.totalWalletBalance, totalPerpUPL: account.totalPerpUPL,
      totalAvailableBalance: account.totalAvailableBalance, totalInitialMargin: account.totalInitialMargin, totalMaintenanceMargin: account.totalMaintenanceMargin,
      accountIMRate: account.accountIMRate, accountMMRate: account.accountMMRate,
    }, {
      accountType: 'UNIFIED', totalEquity: '1000.05', totalWalletBalance: '1000', totalPerpUPL: '0.05', totalAvailableBalance: '996.6964',
      totalInitialMargin: '3.3036', totalMaintenanceMargin: '0.00242', accountIMRate: '0.0033', accountMMRate: '0',
    });
    assert.deepEqual(account.coin, [{
      coin: 'USDT', equity: '1000.05', usdValue: '1000.05', walletBalance: '1000', locked: '0', spotHedgingQty: '0', borrowAmount: '0', accruedInterest: '0',
      totalOrderIM: '0.3036', totalPositionIM: '3', totalPositionMM: '0.00242', unrealisedPnl: '0.05', cumRealisedPnl: '-0.036', bonus: '0',
      collateralSwitch: true, marginCollateral: true, colRes: '0', spotBorrow: '0', availableToBorrow: '', availableToWithdraw: '996.6964',
    }]);
  });
});

describe('bybit push encoder: grouping and topics', () => {
  it('frames are built once per command and topic (the same string for every socket), topic names echo the subscription', () => {
    const encoder = new BybitPushEncoder(symbols);
    const batch: EngineEvent[] = [orderEvent(1, order()), trade(2), positionEvent(3, position(), 0), balance(4)];
    const first = encoder.frame(batch, 'order');
    assert.equal(encoder.frame([...batch], 'order'), first, 'memoized by the command\'s first event');
    assert.equal(frameOf(encoder, batch, 'order.linear')!.topic, 'order.linear');
    assert.equal(frameOf(encoder, batch, 'execution.linear')!.topic, 'execution.linear');
    assert.equal(frameOf(encoder, batch, 'position.linear')!.data.length, 1);
    assert.equal(encoder.frame(batch, 'greeks'), null);
    assert.equal(encoder.frame([], 'order'), null);
  });
});
