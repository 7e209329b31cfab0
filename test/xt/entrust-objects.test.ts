/**
 * XT's conditional-order objects and pushes on constructed canonical snapshots: the order push's
 * sourceType / sourceId, conditional events (no XT channel), each engine state in XT's words, the
 * plan label, TP/SL pairs grouped into one profit object, and the order-entrust rows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import type { ConditionalEvent, ConditionalSnapshot, OrderEvent, OrderSnapshot, PositionSnapshot } from '../../src/engine/types.js';
import { groupProfits } from '../../src/dialects/xt/conditionals.js';
import { XtEncoder } from '../../src/dialects/xt/encode.js';
import { profitState, xtEntrustState, xtEntrustType, xtPlan, xtProfit, xtTrack } from '../../src/dialects/xt/entrust-objects.js';
import { entrustRow, orderRow } from '../../src/dialects/xt/order-entrust.js';

const config = buildSymbolConfig(BTC_USDT);
const T = 1_700_000_000_000;

function order(overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    orderId: 11, clientOrderId: null, accountId: 7, symbol: 'btc_usdt', side: 'SELL', positionSide: 'LONG', orderType: 'MARKET', timeInForce: 'IOC',
    price: 0, qty: 10, executedQty: 10, cumQuote: 5_900_000n, cumCost: 5_900_000n, state: 'FILLED', reason: 'NONE', reduceOnly: false, stpMode: 'EXPIRE_TAKER',
    closeQty: 10, marginFrozen: 0n, leverage: 20, marginMode: 'CROSSED', fees: 0n, realizedPnl: -1_000_000n, source: 'USER', origin: null, conditionalId: null, attachTpsl: null,
    createTime: T, updateTime: T, ...overrides,
  };
}

function conditional(overrides: Partial<ConditionalSnapshot> = {}): ConditionalSnapshot {
  return {
    conditionalId: 11, clientOrderId: null, accountId: 7, symbol: 'btc_usdt', kind: 'PLAN', side: 'BUY', positionSide: 'LONG', triggerSource: 'LAST',
    triggerDirection: 'RISE', triggerPrice: 610_000, orderType: 'LIMIT', price: 611_000, timeInForce: 'GTC', qty: 3, reduceOnly: false,
    closePosition: false, tpslMode: null, ocoId: null, pairId: overrides.conditionalId ?? 11, marginMode: 'CROSSED', attachTpsl: null, activationPrice: null, callbackRate: null, callbackAmount: null, activated: false,
    extremePrice: null, stpMode: 'EXPIRE_TAKER', expireTime: null, state: 'WAITING', reason: 'NONE', orderId: null, triggeredPrice: null,
    createTime: T, updateTime: T, ...overrides,
  };
}

function position(overrides: Partial<PositionSnapshot> = {}): PositionSnapshot {
  return {
    symbol: 'btc_usdt', positionSide: 'LONG', marginMode: 'CROSSED', leverage: 20, qty: 10, entryCost: 6_000_000n, margin: 300_000_000n,
    openOrderQty: 0, openOrderMarginFrozen: 0n, closeOrderQty: 0, realizedPnlTotal: 0n, realizedPnlCurrent: 0n, feesTotal: 0n, feesCurrent: 0n,
    markPrice: 600_000, unrealizedPnl: 0n, maintenanceMargin: 0n, initialMargin: 300_000_000n, maintenanceMarginRate: 400_000n,
    riskLevel: 1, riskLimit: 5_000_000_000_000n, liquidationPrice: null, bankruptcyPrice: null, marginRatio: 0n, adlQuantile: 0n, autoDeposit: false,
    status: 'NORMAL', fundingTotal: 0n, takeProfitPrice: null, stopLossPrice: null, trailingDistance: null, openTime: T, updateTime: T, ...overrides,
  };
}

const base = (seq: number) => ({ accountId: 7, seq, cmdSeq: 40, time: T, reason: 'ORDER' as const });

describe('xt user.order: the source of an order', () => {
  const encoder = new XtEncoder(new Map([['btc_usdt', config]]));
  const push = (o: OrderSnapshot) => JSON.parse(encoder.encode({ type: 'order', ...base(5), execType: 'NEW', order: o } satisfies OrderEvent)[0]!) as { data: Record<string, unknown> };

  it('DEFAULT with an empty sourceId when placed directly; ENTRUST for plan and trailing, PROFIT for TP/SL, sourceId the conditional id', () => {
    assert.deepEqual([push(order()).data.sourceType, push(order()).data.sourceId], ['DEFAULT', '']);
    for (const [origin, sourceType] of [['PLAN', 'ENTRUST'], ['TRAILING', 'ENTRUST'], ['TAKE_PROFIT', 'PROFIT'], ['STOP_LOSS', 'PROFIT']] as const) {
      const data = push(order({ orderId: 42, origin, conditionalId: 42 })).data;
      assert.deepEqual([data.sourceType, data.sourceId], [sourceType, '42'], origin);
    }
  });

  it('a conditional event has no XT topic and encodes to no frame (its seq is skipped by the stream)', () => {
    const event: ConditionalEvent = { type: 'conditional', ...base(6), change: 'NEW', conditional: conditional() };
    assert.equal(encoder.topicOf(event), null);
    assert.deepEqual(encoder.encode(event), []);
  });
});

describe('xt entrust objects', () => {
  it('every engine state in XT words', () => {
    const cases: [Partial<ConditionalSnapshot>, string][] = [
      [{}, 'NOT_TRIGGERED'],
      [{ kind: 'TRAILING', activated: false }, 'NOT_ACTIVATION'],
      [{ kind: 'TRAILING', activated: true }, 'NOT_TRIGGERED'],
      [{ state: 'TRIGGERED', orderId: 11 }, 'TRIGGERED'],
      [{ state: 'CANCELED', reason: 'USER_CANCELED' }, 'USER_REVOCATION'],
      [{ state: 'CANCELED', reason: 'POSITION_CLOSED' }, 'PLATFORM_REVOCATION'],
      [{ state: 'CANCELED', reason: 'OCO_PARTNER_FIRED' }, 'PLATFORM_REVOCATION'],
      [{ state: 'EXPIRED', reason: 'EXPIRED' }, 'EXPIRED'],
      [{ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN' }, 'DELEGATION_FAILED'],
    ];
    for (const [overrides, state] of cases) assert.equal(xtEntrustState(conditional(overrides)), state, JSON.stringify(overrides));
  });

  it('a plan is labelled by what its side and direction make it: STOP on a buy rise / sell fall, TAKE_PROFIT otherwise; _MARKET for market', () => {
    assert.equal(xtEntrustType(conditional({ side: 'BUY', triggerDirection: 'RISE' })), 'STOP');
    assert.equal(xtEntrustType(conditional({ side: 'SELL', triggerDirection: 'FALL', orderType: 'MARKET' })), 'STOP_MARKET');
    assert.equal(xtEntrustType(conditional({ side: 'BUY', triggerDirection: 'FALL' })), 'TAKE_PROFIT');
    assert.equal(xtEntrustType(conditional({ side: 'SELL', triggerDirection: 'RISE', orderType: 'MARKET' })), 'TAKE_PROFIT_MARKET');
  });

  it('the plan object: string ids and prices, XT trigger price type, the placed order\'s execution; no `type` field for ccxt to misread', () => {
    const plan = xtPlan(conditional({ state: 'TRIGGERED', orderId: 11, triggerSource: 'MARK', clientOrderId: 'p-1' }), config, order({ origin: 'PLAN', conditionalId: 11, executedQty: 3, cumQuote: 1_833_000n, cumCost: 1_833_000n }));
    assert.deepEqual(plan, {
      entrustId: '11', clientOrderId: 'p-1', symbol: 'btc_usdt', entrustType: 'STOP', orderSide: 'BUY', positionSide: 'LONG', timeInForce: 'GTC',
      closePosition: false, price: '61100', origQty: '3', stopPrice: '61000', triggerPriceType: 'MARK_PRICE', state: 'TRIGGERED',
      marketOrderLevel: null, ordinary: true, executedQty: '3', avgPrice: '61100', createdTime: T, updatedTime: T,
    });
  });

  it('a one-way plan shows the side it works on: a reduce-only sell works on the LONG', () => {
    assert.equal(xtPlan(conditional({ positionSide: 'BOTH', side: 'SELL', reduceOnly: true }), config, undefined).positionSide, 'LONG');
    assert.equal(xtPlan(conditional({ positionSide: 'BOTH', side: 'SELL' }), config, undefined).positionSide, 'SHORT');
  });

  it('the track object: callback PROPORTION as a fraction, FIXED as a price; stopPrice null until armed', () => {
    const rate = xtTrack(conditional({ kind: 'TRAILING', side: 'SELL', orderType: 'MARKET', price: 0, timeInForce: 'IOC', callbackRate: 1_000_000n, triggerPrice: null }), config, undefined, 600_000);
    assert.deepEqual([rate.callback, rate.callbackVal, rate.stopPrice, rate.state, rate.currentPrice, rate.configActivation], ['PROPORTION', '0.01', null, 'NOT_ACTIVATION', '60000', false]);
    const fixed = xtTrack(conditional({ kind: 'TRAILING', callbackAmount: 500, activated: true, activationPrice: 605_000, triggerPrice: 600_000 }), config, undefined, null);
    assert.deepEqual([fixed.callback, fixed.callbackVal, fixed.stopPrice, fixed.activationPrice, fixed.configActivation, fixed.state], ['FIXED', '50', '60000', '60500', true, 'NOT_TRIGGERED']);
  });
});

describe('xt profit objects: one object per TP/SL pair', () => {
  const tp = (o: Partial<ConditionalSnapshot> = {}) => conditional({ conditionalId: 20, kind: 'TAKE_PROFIT', side: 'SELL', orderType: 'MARKET', price: 0, timeInForce: 'IOC', triggerPrice: 650_000, triggerDirection: 'RISE', tpslMode: 'PARTIAL', qty: 4, ocoId: 21, pairId: 20, reduceOnly: true, ...o });
  const sl = (o: Partial<ConditionalSnapshot> = {}) => conditional({ conditionalId: 21, kind: 'STOP_LOSS', side: 'SELL', orderType: 'MARKET', price: 0, timeInForce: 'IOC', triggerPrice: 550_000, triggerDirection: 'FALL', tpslMode: 'PARTIAL', qty: 4, ocoId: 20, pairId: 20, reduceOnly: true, ...o });

  it('legs group by their pair id; a lone leg is its own object; a position\'s waiting FULL legs are one object', () => {
    const groups = groupProfits([tp(), sl(), conditional({ conditionalId: 30, kind: 'STOP_LOSS', side: 'SELL', tpslMode: 'PARTIAL' }),
      tp({ conditionalId: 40, ocoId: null, pairId: 40, tpslMode: 'FULL', qty: 0 }), sl({ conditionalId: 44, ocoId: null, pairId: 44, tpslMode: 'FULL', qty: 0 })]);
    assert.deepEqual(groups.map((g) => [g.profitId, g.takeProfit?.conditionalId ?? null, g.stopLoss?.conditionalId ?? null]), [[40, 40, 44], [30, null, 30], [20, 20, 21]]);
  });

  it('waiting: both prices, closeType FIXED with the legs\' quantity; ALL with the position\'s size for a whole-position pair', () => {
    const [group] = groupProfits([tp(), sl()]);
    const object = xtProfit(group!, config, position(), undefined);
    assert.deepEqual([object.profitId, object.state, object.triggerProfitPrice, object.triggerStopPrice, object.origQty, object.closeType, object.positionSide, object.triggerPriceType],
      ['20', 'NOT_TRIGGERED', '65000', '55000', '4', 'FIXED', 'LONG', 'LATEST_PRICE']);
    assert.deepEqual([object.profitDelegateOrderType, object.profitDelegateTimeInForce, object.profitDelegatePrice, object.entryPrice, object.positionSize], ['MARKET', 'IOC', null, '60000', '10']);
    const [whole] = groupProfits([tp({ tpslMode: 'FULL', qty: 0 })]);
    assert.deepEqual([xtProfit(whole!, config, position(), undefined).origQty, xtProfit(whole!, config, position(), undefined).closeType], ['10', 'ALL']);
  });

  it('ended: TRIGGERED by the leg that fired (triggerPriceSide), the partner cancelled; cancel and refusal states', () => {
    const fired = groupProfits([tp({ state: 'CANCELED', reason: 'OCO_PARTNER_FIRED' }), sl({ state: 'TRIGGERED', orderId: 21 })])[0]!;
    assert.equal(profitState(fired), 'TRIGGERED');
    const object = xtProfit(fired, config, position({ qty: 6 }), order({ orderId: 21, origin: 'STOP_LOSS', conditionalId: 21, qty: 4, executedQty: 4, cumQuote: 2_200_000n, cumCost: 2_200_000n }));
    assert.deepEqual([object.state, object.triggerPriceSide, object.executedQty, object.avgPrice, object.triggerProfitPrice, object.desc], ['TRIGGERED', 'STOP', '4', '55000', '65000', '']);
    assert.equal(profitState(groupProfits([tp({ state: 'CANCELED', reason: 'USER_CANCELED' }), sl({ state: 'CANCELED', reason: 'USER_CANCELED' })])[0]!), 'USER_REVOCATION');
    const closed = groupProfits([tp({ state: 'CANCELED', reason: 'POSITION_CLOSED' }), sl({ state: 'CANCELED', reason: 'POSITION_CLOSED' })])[0]!;
    assert.deepEqual([profitState(closed), xtProfit(closed, config, undefined, undefined).desc], ['PLATFORM_REVOCATION', 'POSITION_CLOSED']);
    assert.equal(profitState(groupProfits([tp({ state: 'REJECTED', reason: 'REDUCE_ONLY_WOULD_INCREASE' }), sl({ state: 'CANCELED', reason: 'OCO_PARTNER_FIRED' })])[0]!), 'DELEGATION_FAILED');
  });
});

describe('xt order-entrust/list rows', () => {
  it('ORDER rows mark orders placed by a TP/SL isProfit; ENTRUST rows carry the placed order id once fired (PLACED)', () => {
    const row = orderRow(order({ origin: 'STOP_LOSS', conditionalId: 11, state: 'PARTIALLY_CANCELED' }), config, 'LONG');
    assert.deepEqual([row.id, row.type, row.isProfit, row.state, row.entrustOrderId, row.sourceType], ['11', 'ORDER', true, 'CANCELED', null, 'API']);
    assert.equal(orderRow(order(), config, 'LONG').isProfit, false);
    const waiting = entrustRow(conditional(), config, undefined);
    assert.deepEqual([waiting.type, waiting.state, waiting.entrustOrderId, waiting.entrustType, waiting.stopPrice, waiting.isProfit], ['ENTRUST', 'NEW', null, 'STOP', '61000', false]);
    const placed = entrustRow(conditional({ conditionalId: 20, kind: 'TAKE_PROFIT', side: 'SELL', orderType: 'MARKET', state: 'TRIGGERED', orderId: 20 }), config, order({ orderId: 20 }));
    assert.deepEqual([placed.state, placed.entrustOrderId, placed.isProfit, placed.entrustType, placed.triggerProfitPrice, placed.profitDelegateOrderType, placed.executedQty],
      ['PLACED', '20', true, 'TAKE_PROFIT_MARKET', '61000', 'MARKET', '10']);
  });
});
