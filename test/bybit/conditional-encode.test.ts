/**
 * Bybit's conditional orders on constructed canonical events (issue 13): the order row of a
 * conditional order in each state (Untriggered / Triggered / Deactivated / Rejected) and kind
 * (stopOrderType, createType), what the order topic pushes at the trigger (the conditional's
 * Triggered row, then the placed order with the same orderId), a trigger refused at placement, the
 * position's TP/SL fields, and the parameter readers' refusals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import type {
  ChangeReason, ConditionalEvent, ConditionalSnapshot, EngineEvent, OrderEvent, OrderSnapshot, PositionSnapshot, TradeEvent,
} from '../../src/engine/types.js';
import { bybitConditional, bybitExecution, bybitOrder, bybitPosition } from '../../src/dialects/bybit/encode.js';
import { attachTpslOf, tradingStopOf } from '../../src/dialects/bybit/conditional-params.js';
import { BybitError } from '../../src/dialects/bybit/envelope.js';
import { BybitPushEncoder } from '../../src/dialects/bybit/push.js';
import { BybitSymbols } from '../../src/dialects/bybit/symbols.js';
import { emptyPositionSnapshot } from '../../src/engine/snapshots.js';

const config = buildSymbolConfig(BTC_USDT);
const symbols = new BybitSymbols([config]);
const T = 1_700_000_000_000;
const base = (seq: number, reason: ChangeReason = 'ORDER') => ({ accountId: 7, seq, cmdSeq: 90, time: T, reason });

function conditional(overrides: Partial<ConditionalSnapshot> = {}): ConditionalSnapshot {
  return {
    conditionalId: 31, clientOrderId: 'plan-1', accountId: 7, symbol: 'btc_usdt', kind: 'PLAN', side: 'BUY', positionSide: 'BOTH', triggerSource: 'LAST',
    triggerDirection: 'RISE', triggerPrice: 610_000, orderType: 'LIMIT', price: 611_000, timeInForce: 'GTC', qty: 10, reduceOnly: false, closePosition: false,
    tpslMode: null, ocoId: null, pairId: 31, marginMode: 'CROSSED', attachTpsl: null, activationPrice: null, callbackRate: null, callbackAmount: null, activated: false, extremePrice: null, stpMode: 'EXPIRE_TAKER',
    expireTime: null, state: 'WAITING', reason: 'NONE', orderId: null, triggeredPrice: null, createTime: T - 5000, updateTime: T - 5000, ...overrides,
  };
}

function order(overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    orderId: 31, clientOrderId: 'plan-1', accountId: 7, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC',
    price: 611_000, qty: 10, executedQty: 0, cumQuote: 0n, cumCost: 0n, state: 'NEW', reason: 'NONE', reduceOnly: false, stpMode: 'EXPIRE_TAKER',
    closeQty: 0, marginFrozen: 0n, leverage: 20, marginMode: 'CROSSED', fees: 0n, realizedPnl: 0n, source: 'USER', origin: 'PLAN', conditionalId: 31, attachTpsl: null,
    createTime: T, updateTime: T, ...overrides,
  };
}

const conditionalEvent = (seq: number, change: ConditionalEvent['change'], c: ConditionalSnapshot): ConditionalEvent =>
  ({ type: 'conditional', ...base(seq), change, conditional: c });
const orderEvent = (seq: number, o: OrderSnapshot, execType: OrderEvent['execType']): OrderEvent => ({ type: 'order', ...base(seq), execType, order: o });

const orderRows = (batch: EngineEvent[]): Record<string, unknown>[] => {
  const text = new BybitPushEncoder(symbols).frame(batch, 'order');
  return text === null ? [] : (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
};

const pick = (row: Record<string, unknown>, keys: string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, row[k]]));
const TRIGGER_KEYS = ['orderId', 'orderLinkId', 'orderStatus', 'stopOrderType', 'createType', 'cancelType', 'triggerPrice', 'triggerDirection', 'triggerBy', 'tpslMode'];

describe('bybit conditional orders: order rows', () => {
  it('a waiting plan order: Untriggered, stopOrderType Stop, its trigger and the order it will place; the same keys as an order row', () => {
    const row = bybitConditional(conditional(), config);
    assert.deepEqual(pick(row, [...TRIGGER_KEYS, 'side', 'orderType', 'price', 'qty', 'leavesQty', 'timeInForce', 'reduceOnly', 'closeOnTrigger', 'rejectReason']), {
      orderId: '31', orderLinkId: 'plan-1', orderStatus: 'Untriggered', stopOrderType: 'Stop', createType: 'CreateByStopOrder', cancelType: 'UNKNOWN',
      triggerPrice: '61000', triggerDirection: 1, triggerBy: 'LastPrice', tpslMode: '', side: 'Buy', orderType: 'Limit', price: '61100', qty: '0.001',
      leavesQty: '0.001', timeInForce: 'GTC', reduceOnly: false, closeOnTrigger: false, rejectReason: 'EC_NoError',
    });
    assert.deepEqual(Object.keys(row).sort(), Object.keys(bybitOrder(order({ origin: null, conditionalId: null }), config)).sort());
  });

  it('states: Triggered, Deactivated (user, position closed, OCO partner fired, expired), Rejected', () => {
    const status = (c: Partial<ConditionalSnapshot>) => pick(bybitConditional(conditional(c), config), ['orderStatus', 'cancelType', 'rejectReason', 'leavesQty']);
    assert.deepEqual(status({ state: 'TRIGGERED', orderId: 31 }), { orderStatus: 'Triggered', cancelType: 'UNKNOWN', rejectReason: 'EC_NoError', leavesQty: '0.001' });
    assert.deepEqual(status({ state: 'CANCELED', reason: 'USER_CANCELED' }), { orderStatus: 'Deactivated', cancelType: 'CancelByUser', rejectReason: 'EC_NoError', leavesQty: '0' });
    assert.deepEqual(status({ state: 'CANCELED', reason: 'POSITION_CLOSED', kind: 'STOP_LOSS', tpslMode: 'FULL' }).cancelType, 'CancelByTpSlTsClear');
    assert.deepEqual(status({ state: 'CANCELED', reason: 'OCO_PARTNER_FIRED', kind: 'TAKE_PROFIT', tpslMode: 'FULL' }).cancelType, 'CancelByOCOTpCanceledBySlTriggered');
    assert.deepEqual(status({ state: 'CANCELED', reason: 'OCO_PARTNER_FIRED', kind: 'STOP_LOSS', tpslMode: 'FULL' }).cancelType, 'CancelByOCOSlCanceledByTpTriggered');
    assert.deepEqual(status({ state: 'EXPIRED', reason: 'EXPIRED' }).orderStatus, 'Deactivated');
    assert.deepEqual(status({ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN' }), { orderStatus: 'Rejected', cancelType: 'UNKNOWN', rejectReason: 'EC_Others', leavesQty: '0' });
  });

  it('kinds: TakeProfit / StopLoss (Full: qty 0, closeOnTrigger), Partial legs, TrailingStop (triggerPrice is the activation price)', () => {
    const fields = (c: Partial<ConditionalSnapshot>) => pick(bybitConditional(conditional(c), config),
      ['stopOrderType', 'createType', 'tpslMode', 'triggerPrice', 'triggerDirection', 'triggerBy', 'qty', 'reduceOnly', 'closeOnTrigger', 'orderType']);
    const leg = { side: 'SELL' as const, orderType: 'MARKET' as const, price: 0, timeInForce: 'IOC' as const, qty: 0, reduceOnly: true };
    assert.deepEqual(fields({ ...leg, kind: 'TAKE_PROFIT', tpslMode: 'FULL', triggerPrice: 650_000, triggerSource: 'MARK' }), {
      stopOrderType: 'TakeProfit', createType: 'CreateByTakeProfit', tpslMode: 'Full', triggerPrice: '65000', triggerDirection: 1, triggerBy: 'MarkPrice',
      qty: '0', reduceOnly: true, closeOnTrigger: true, orderType: 'Market',
    });
    assert.deepEqual(fields({ ...leg, kind: 'STOP_LOSS', tpslMode: 'FULL', triggerPrice: 550_000, triggerDirection: 'FALL', triggerSource: 'INDEX' }), {
      stopOrderType: 'StopLoss', createType: 'CreateByStopLoss', tpslMode: 'Full', triggerPrice: '55000', triggerDirection: 2, triggerBy: 'IndexPrice',
      qty: '0', reduceOnly: true, closeOnTrigger: true, orderType: 'Market',
    });
    assert.deepEqual(fields({ ...leg, kind: 'TAKE_PROFIT', tpslMode: 'PARTIAL', qty: 5, orderType: 'LIMIT', price: 649_000, timeInForce: 'GTC' }),
      { stopOrderType: 'PartialTakeProfit', createType: 'CreateByPartialTakeProfit', tpslMode: 'Partial', triggerPrice: '61000', triggerDirection: 1,
        triggerBy: 'LastPrice', qty: '0.0005', reduceOnly: true, closeOnTrigger: false, orderType: 'Limit' });
    assert.equal(fields({ ...leg, kind: 'STOP_LOSS', tpslMode: 'PARTIAL', qty: 5 }).stopOrderType, 'PartialStopLoss');
    assert.deepEqual(pick(fields({ ...leg, kind: 'TRAILING', tpslMode: 'FULL', triggerPrice: 590_000, activationPrice: 620_000, triggerDirection: 'FALL' }),
      ['stopOrderType', 'createType', 'triggerPrice']), { stopOrderType: 'TrailingStop', createType: 'CreateByTrailingStop', triggerPrice: '62000' });
  });

  it('the order a conditional order placed: createType and stopOrderType from its origin, the trigger fields when the conditional is at hand', () => {
    const placed = order({ state: 'FILLED', executedQty: 10, cumQuote: 6_110_000n, cumCost: 6_110_000n });
    const withConditional = bybitOrder(placed, config, { conditional: conditional({ state: 'TRIGGERED', orderId: 31 }) });
    assert.deepEqual(pick(withConditional, TRIGGER_KEYS), {
      orderId: '31', orderLinkId: 'plan-1', orderStatus: 'Filled', stopOrderType: 'Stop', createType: 'CreateByStopOrder', cancelType: 'UNKNOWN',
      triggerPrice: '61000', triggerDirection: 1, triggerBy: 'LastPrice', tpslMode: '',
    });
    // Without the conditional (a later push): the origin still names it; a Limit TP/SL order is a Partial one (Full legs are Market).
    const later = bybitOrder(order({ origin: 'TAKE_PROFIT', side: 'SELL', reduceOnly: true }), config);
    assert.deepEqual(pick(later, ['stopOrderType', 'createType', 'triggerPrice']), { stopOrderType: 'PartialTakeProfit', createType: 'CreateByPartialTakeProfit', triggerPrice: '' });
    const direct = bybitOrder(order({ origin: null, conditionalId: null }), config);
    assert.deepEqual(pick(direct, ['stopOrderType', 'createType', 'triggerDirection', 'closeOnTrigger']), { stopOrderType: '', createType: 'CreateByUser', triggerDirection: 0, closeOnTrigger: false });
  });

  it('an execution of a placed order: createType and stopOrderType from the order\'s origin', () => {
    const placed = order({ origin: 'STOP_LOSS', orderType: 'MARKET', side: 'SELL', state: 'FILLED', executedQty: 10, cumQuote: 5_500_000n, cumCost: 5_500_000n });
    const t: TradeEvent = {
      type: 'trade', ...base(3), tradeId: 500, orderId: 31, clientOrderId: null, symbol: 'btc_usdt', side: 'SELL', positionSide: 'BOTH', orderType: 'MARKET',
      price: 550_000, qty: 10, isMaker: false, fee: 1n, feeAsset: 'USDT', realizedPnl: 0n, marginUnfrozen: 0n, source: 'USER', order: placed,
    };
    assert.deepEqual(pick(bybitExecution(t, config), ['createType', 'stopOrderType', 'execType']), { createType: 'CreateByStopLoss', stopOrderType: 'StopLoss', execType: 'Trade' });
  });
});

describe('bybit conditional orders: the order topic', () => {
  it('at the trigger: the conditional\'s Triggered row, then the placed order (same orderId) New and Filled, with its trigger fields', () => {
    const triggered = conditional({ state: 'TRIGGERED', orderId: 31, triggeredPrice: 610_000, updateTime: T });
    const rows = orderRows([
      conditionalEvent(1, 'TRIGGERED', triggered),
      orderEvent(2, order(), 'NEW'),
      orderEvent(3, order({ state: 'FILLED', executedQty: 10, cumQuote: 6_110_000n, cumCost: 6_110_000n }), 'TRADE'),
    ]);
    assert.deepEqual(rows.map((r) => [r.orderId, r.orderStatus, r.stopOrderType, r.createType, r.triggerPrice]), [
      ['31', 'Triggered', 'Stop', 'CreateByStopOrder', '61000'],
      ['31', 'New', 'Stop', 'CreateByStopOrder', '61000'],
      ['31', 'Filled', 'Stop', 'CreateByStopOrder', '61000'],
    ]);
  });

  it('created, amended, cancelled: one Untriggered row each, then Deactivated', () => {
    assert.deepEqual(orderRows([conditionalEvent(1, 'NEW', conditional())]).map((r) => r.orderStatus), ['Untriggered']);
    assert.deepEqual(orderRows([conditionalEvent(2, 'AMENDED', conditional({ triggerPrice: 612_000 }))]).map((r) => [r.orderStatus, r.triggerPrice]), [['Untriggered', '61200']]);
    assert.deepEqual(orderRows([conditionalEvent(3, 'CANCELED', conditional({ state: 'CANCELED', reason: 'USER_CANCELED' }))]).map((r) => [r.orderStatus, r.cancelType]),
      [['Deactivated', 'CancelByUser']]);
  });

  it('a trigger refused at placement: the placed order\'s Rejected row says it (no second row); refused before any order: the conditional\'s Rejected row', () => {
    const refused = order({ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN', orderType: 'MARKET', price: 0, timeInForce: 'IOC' });
    const rows = orderRows([orderEvent(1, refused, 'REJECTED'), conditionalEvent(2, 'REJECTED', conditional({ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN', orderId: 31 }))]);
    assert.deepEqual(rows.map((r) => [r.orderId, r.orderStatus, r.stopOrderType, r.createType, r.triggerPrice]), [['31', 'Rejected', 'Stop', 'CreateByStopOrder', '61000']]);
    const early = orderRows([conditionalEvent(1, 'REJECTED', conditional({ state: 'REJECTED', reason: 'ORDER_REFUSED' }))]);
    assert.deepEqual(early.map((r) => [r.orderId, r.orderStatus, r.rejectReason]), [['31', 'Rejected', 'EC_Others']]);
  });
});

describe('bybit conditional orders: the position', () => {
  it('takeProfit / stopLoss / trailingStop are the position\'s Full legs ("0" when none); tpslMode Full', () => {
    const p: PositionSnapshot = { ...emptyPositionSnapshot({ symbol: 'btc_usdt', positionSide: 'BOTH', leverage: 20, marginMode: 'CROSSED' }), qty: 10, entryCost: 6_000_000n,
      takeProfitPrice: 650_000, stopLossPrice: 550_000, trailingDistance: 5_000 };
    assert.deepEqual(pick(bybitPosition(p, config, { version: 1, seq: 1 }), ['takeProfit', 'stopLoss', 'trailingStop', 'tpslMode']),
      { takeProfit: '65000', stopLoss: '55000', trailingStop: '500', tpslMode: 'Full' });
    assert.deepEqual(pick(bybitPosition({ ...p, takeProfitPrice: null, stopLossPrice: null, trailingDistance: null }, config, { version: 1, seq: 1 }, true),
      ['takeProfit', 'stopLoss', 'trailingStop']), { takeProfit: '0', stopLoss: '0', trailingStop: '0' });
  });
});

describe('bybit conditional orders: reading TP/SL parameters', () => {
  const refused = (fn: () => unknown, message: RegExp): void => {
    assert.throws(fn, (error: unknown) => error instanceof BybitError && error.retCode === 10001 && message.test(error.message));
  };

  it('attached TP/SL: Full Market legs by default, Partial limit legs, triggerBy per leg', () => {
    assert.equal(attachTpslOf({}, config, false), undefined);
    assert.equal(attachTpslOf({ takeProfit: '0', stopLoss: '0' }, config, false), undefined);
    assert.deepEqual(attachTpslOf({ takeProfit: '65000', stopLoss: '55000', slTriggerBy: 'MarkPrice' }, config, false), {
      mode: 'FULL', takeProfit: { triggerPrice: 650_000, triggerSource: 'LAST', orderType: 'MARKET' },
      stopLoss: { triggerPrice: 550_000, triggerSource: 'MARK', orderType: 'MARKET' },
    });
    assert.deepEqual(attachTpslOf({ takeProfit: '65000', tpslMode: 'Partial', tpOrderType: 'Limit', tpLimitPrice: '64900' }, config, false), {
      mode: 'PARTIAL', takeProfit: { triggerPrice: 650_000, triggerSource: 'LAST', orderType: 'LIMIT', price: 649_000 },
    });
  });

  it('attached TP/SL refusals: Full limit legs, a limit price without Limit, a leg parameter without its price, with reduceOnly, off the tick', () => {
    refused(() => attachTpslOf({ takeProfit: '65000', tpOrderType: 'Limit', tpLimitPrice: '64900' }, config, false), /tpOrderType only support Market when tpSlMode is Full/);
    refused(() => attachTpslOf({ takeProfit: '65000', tpslMode: 'Partial', tpLimitPrice: '64900' }, config, false), /tpLimitPrice only works with tpOrderType=Limit/);
    refused(() => attachTpslOf({ takeProfit: '65000', tpslMode: 'Partial', tpOrderType: 'Limit' }, config, false), /tpLimitPrice is required with tpOrderType=Limit/);
    refused(() => attachTpslOf({ slTriggerBy: 'MarkPrice' }, config, false), /slTriggerBy needs stopLoss/);
    refused(() => attachTpslOf({ stopLoss: '55000' }, config, true), /When reduceOnly is true, take profit\/stop loss cannot be set/);
    refused(() => attachTpslOf({ stopLoss: '55000.05' }, config, false), /stopLoss is not a multiple of the tick size 0\.1/);
    refused(() => attachTpslOf({ stopLoss: '55000', slTriggerBy: 'Last' }, config, false), /slTriggerBy must be one of LastPrice, MarkPrice, IndexPrice/);
  });

  it('trading-stop: Full legs, "0" cancels, trailing distance and activation; Partial pairs with equal sizes', () => {
    const size = (params: Record<string, unknown>) => (name: string) => (params[name] === undefined ? undefined : Number(params[name]));
    const full = { takeProfit: '65000', stopLoss: '0', trailingStop: '500', activePrice: '62000' };
    assert.deepEqual(tradingStopOf(full, config, size(full)), {
      mode: 'FULL', takeProfit: { triggerPrice: 650_000, triggerSource: 'LAST', orderType: 'MARKET' }, stopLoss: null,
      trailingStop: { distance: 5_000, triggerSource: 'LAST', activationPrice: 620_000 },
    });
    const trailingOnly = { trailingStop: '100' };
    assert.deepEqual(tradingStopOf(trailingOnly, config, size(trailingOnly)), { mode: 'FULL', trailingStop: { distance: 1_000, triggerSource: 'LAST' } });
    const partial = { tpslMode: 'Partial', takeProfit: '65000', stopLoss: '55000', tpSize: 5, slSize: 5, slOrderType: 'Limit', slLimitPrice: '54900' };
    assert.deepEqual(tradingStopOf(partial, config, size(partial)), {
      mode: 'PARTIAL', takeProfit: { triggerPrice: 650_000, triggerSource: 'LAST', orderType: 'MARKET' },
      stopLoss: { triggerPrice: 550_000, triggerSource: 'LAST', orderType: 'LIMIT', price: 549_000 }, qty: 5,
    });
  });

  it('trading-stop refusals', () => {
    const check = (params: Record<string, unknown>, message: RegExp) =>
      refused(() => tradingStopOf(params, config, (name) => (params[name] === undefined ? undefined : Number(params[name]))), message);
    check({}, /send takeProfit, stopLoss and\/or trailingStop/);
    check({ takeProfit: '65000', tpSize: 5 }, /tpSize and slSize are for tpslMode=Partial/);
    check({ takeProfit: '65000', tpOrderType: 'Limit', tpLimitPrice: '64900' }, /tpOrderType only support Market when tpSlMode is Full/);
    check({ activePrice: '62000' }, /activePrice arms a trailing stop/);
    check({ tpslMode: 'Partial', takeProfit: '65000', stopLoss: '55000', tpSize: 5, slSize: 4 }, /the value of tpSize and slSize must equal/);
    check({ tpslMode: 'Partial', takeProfit: '65000' }, /tpSize is required with takeProfit/);
    check({ tpslMode: 'Partial', takeProfit: '0', tpSize: 5 }, /"0" cancels nothing here/);
    check({ tpslMode: 'Partial', trailingStop: '100' }, /trailingStop is for tpslMode=Full/);
    check({ tpslMode: 'Both', takeProfit: '65000' }, /tpslMode must be one of Full, Partial/);
    check({ trailingStop: '-5' }, /trailingStop must be positive/);
  });
});
