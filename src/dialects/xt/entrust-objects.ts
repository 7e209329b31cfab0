/**
 * XT's conditional-order objects (docs/futures/Entrust/*.mdx): the plan (trigger) order of
 * plan-list / plan-detail, the take-profit / stop-loss object of profit-list / profit-detail, the
 * trailing (track) order of track-list / track-detail, and the rows of order-entrust/list. Ids,
 * prices and quantities are strings, as in ccxt's samples of XT's real answers; times are ms.
 * No object has a field named `type` or `orderType` where ccxt would read it as the order type.
 */
import { formatAmount, formatRate } from '../../engine/fixed.js';
import { formatEntryPrice, formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalSnapshot, OrderSnapshot, PositionSnapshot, TimeInForce, TriggerSource } from '../../engine/types.js';
import type { ProfitGroup } from './conditionals.js';

/** XT's conditional states (See Trigger Orders, Get track list, profit-list-history). */
export const XT_ENTRUST_STATES = [
  'NOT_ACTIVATION', 'NOT_TRIGGERED', 'TRIGGERING', 'TRIGGERED', 'USER_REVOCATION', 'PLATFORM_REVOCATION', 'EXPIRED', 'DELEGATION_FAILED',
] as const;
export type XtEntrustState = (typeof XT_ENTRUST_STATES)[number];

/** XT's `triggerPriceType` for each trigger source, and back. */
export const XT_TRIGGER_PRICE_TYPE: Record<TriggerSource, 'LATEST_PRICE' | 'MARK_PRICE' | 'INDEX_PRICE'> = {
  LAST: 'LATEST_PRICE', MARK: 'MARK_PRICE', INDEX: 'INDEX_PRICE',
};
export const TRIGGER_SOURCE_OF: Record<'LATEST_PRICE' | 'MARK_PRICE' | 'INDEX_PRICE', TriggerSource> = {
  LATEST_PRICE: 'LAST', MARK_PRICE: 'MARK', INDEX_PRICE: 'INDEX',
};

/**
 * One conditional's XT state. Waiting: NOT_TRIGGERED (a trailing order not armed yet:
 * NOT_ACTIVATION). Cancelled by the user: USER_REVOCATION; by the system (its position closed,
 * its TP/SL partner fired, replaced): PLATFORM_REVOCATION. Refused when it fired: DELEGATION_FAILED.
 * TRIGGERING never shows: firing and placing the order are one engine step.
 */
export function xtEntrustState(c: ConditionalSnapshot): XtEntrustState {
  switch (c.state) {
    case 'WAITING': return c.kind === 'TRAILING' && !c.activated ? 'NOT_ACTIVATION' : 'NOT_TRIGGERED';
    case 'TRIGGERED': return 'TRIGGERED';
    case 'CANCELED': return c.reason === 'USER_CANCELED' ? 'USER_REVOCATION' : 'PLATFORM_REVOCATION';
    case 'EXPIRED': return 'EXPIRED';
    case 'REJECTED': return 'DELEGATION_FAILED';
  }
}

/** Whether a conditional's XT state passes a state filter (UNFINISHED: still waiting; HISTORY: ended). */
export function entrustStateMatches(state: XtEntrustState, wanted: XtEntrustState | 'UNFINISHED' | 'HISTORY'): boolean {
  const waiting = state === 'NOT_ACTIVATION' || state === 'NOT_TRIGGERED' || state === 'TRIGGERING';
  if (wanted === 'UNFINISHED') return waiting;
  if (wanted === 'HISTORY') return !waiting;
  return state === wanted;
}

/**
 * The plan's `entrustType`. The engine keeps a plan's trigger direction, not XT's label, so the
 * label is the one its side and direction make (as XT's types read): a buy that fires on a rise and
 * a sell that fires on a fall are STOP; a buy on a fall and a sell on a rise are TAKE_PROFIT.
 */
export function xtEntrustType(c: ConditionalSnapshot): string {
  const stop = (c.side === 'BUY') === (c.triggerDirection === 'RISE');
  return `${stop ? 'STOP' : 'TAKE_PROFIT'}${c.orderType === 'MARKET' ? '_MARKET' : ''}`;
}

/** A conditional's position side as XT shows it: its hedge side, or on a one-way account the side it works on. */
export function xtConditionalSide(c: ConditionalSnapshot): 'LONG' | 'SHORT' {
  if (c.positionSide !== 'BOTH') return c.positionSide;
  // A TP/SL leg or a reduce-only order closes: a sell closes a long.
  const closes = c.reduceOnly || c.closePosition || c.kind === 'TAKE_PROFIT' || c.kind === 'STOP_LOSS';
  return (c.side === 'BUY') === !closes ? 'LONG' : 'SHORT';
}

const price = (config: SymbolConfig, ticks: number | null): string | null => (ticks === null ? null : formatPrice(config, ticks));
const limitPrice = (config: SymbolConfig, c: ConditionalSnapshot): string => (c.orderType === 'MARKET' ? '0' : formatPrice(config, c.price));

/** What the placed order did: executed quantity and average price ('0' before it fills or when none was placed). */
function execution(config: SymbolConfig, order: OrderSnapshot | undefined): { executedQty: string; avgPrice: string } {
  if (order === undefined) return { executedQty: '0', avgPrice: '0' };
  return { executedQty: String(order.executedQty), avgPrice: formatEntryPrice(config, order.cumCost, order.executedQty) };
}

/** The plan (trigger) order object (See Trigger Orders, plan-detail, plan-list-history). */
export function xtPlan(c: ConditionalSnapshot, config: SymbolConfig, placed: OrderSnapshot | undefined): Record<string, unknown> {
  return {
    entrustId: String(c.conditionalId),
    clientOrderId: c.clientOrderId,
    symbol: c.symbol,
    entrustType: xtEntrustType(c),
    orderSide: c.side,
    positionSide: xtConditionalSide(c),
    timeInForce: c.timeInForce,
    closePosition: c.closePosition,
    price: limitPrice(config, c),
    origQty: String(c.qty),
    stopPrice: price(config, c.triggerPrice),
    triggerPriceType: XT_TRIGGER_PRICE_TYPE[c.triggerSource],
    state: xtEntrustState(c),
    marketOrderLevel: null,
    ordinary: true,
    ...execution(config, placed),
    createdTime: c.createTime,
    updatedTime: c.updateTime,
  };
}

/** The trailing (track) order object (Get track list, track-detail, track-list-history). */
export function xtTrack(c: ConditionalSnapshot, config: SymbolConfig, placed: OrderSnapshot | undefined, currentPrice: number | null): Record<string, unknown> {
  return {
    trackId: String(c.conditionalId),
    clientOrderId: c.clientOrderId,
    symbol: c.symbol,
    orderSide: c.side,
    positionSide: xtConditionalSide(c),
    origQty: String(c.qty),
    price: limitPrice(config, c),
    callback: c.callbackRate !== null ? 'PROPORTION' : 'FIXED',
    callbackVal: c.callbackRate !== null ? formatRate(c.callbackRate) : formatPrice(config, c.callbackAmount ?? 0),
    activationPrice: price(config, c.activationPrice),
    configActivation: c.activationPrice !== null,
    // The current trigger (XT: stopPrice): the best price since arming, less the callback; null until armed.
    stopPrice: price(config, c.triggerPrice),
    currentPrice: price(config, currentPrice),
    triggerPriceType: XT_TRIGGER_PRICE_TYPE[c.triggerSource],
    state: xtEntrustState(c),
    desc: c.reason === 'NONE' ? '' : c.reason,
    ordinary: true,
    ...execution(config, placed),
    expireTime: c.expireTime,
    createdTime: c.createTime,
    updatedTime: c.updateTime,
  };
}

/** The state of a TP/SL pair: waiting while a leg waits; else what ended it (the fired leg, a refusal, expiry, a cancel). */
export function profitState(group: ProfitGroup): XtEntrustState {
  const legs = [group.takeProfit, group.stopLoss].filter((l): l is ConditionalSnapshot => l !== null);
  const states = legs.map(xtEntrustState);
  for (const wanted of ['NOT_TRIGGERED', 'TRIGGERED', 'DELEGATION_FAILED', 'EXPIRED', 'USER_REVOCATION'] as const) {
    if (states.includes(wanted)) return wanted;
  }
  return 'PLATFORM_REVOCATION';
}

/** XT's TIF number codes in profit-list-history (1 GTC, 2 FOK, 3 IOC, 4 GTX) are not used: the lists show names, as profit-list does. */
function delegate(config: SymbolConfig, leg: ConditionalSnapshot | null): { orderType: string | null; timeInForce: TimeInForce | null; price: string | null } {
  if (leg === null) return { orderType: null, timeInForce: null, price: null };
  return { orderType: leg.orderType, timeInForce: leg.timeInForce, price: leg.orderType === 'MARKET' ? null : formatPrice(config, leg.price) };
}

/**
 * The take-profit / stop-loss object (See Stop Limit, profit-detail, profit-list-history). `origQty`
 * is the contracts each leg closes; a leg for the whole position (qty 0 in the engine) shows the
 * position's size and `closeType` ALL, a fixed quantity FIXED. While the pair waits, a leg that
 * ended on its own (cancelled elsewhere) is not shown; after it ended, both prices stay visible.
 */
export function xtProfit(group: ProfitGroup, config: SymbolConfig, position: PositionSnapshot | undefined, placed: OrderSnapshot | undefined): Record<string, unknown> {
  const state = profitState(group);
  const shown = (leg: ConditionalSnapshot | null): ConditionalSnapshot | null =>
    leg !== null && (state !== 'NOT_TRIGGERED' || leg.state === 'WAITING') ? leg : null;
  const tp = shown(group.takeProfit);
  const sl = shown(group.stopLoss);
  const first = (tp ?? sl ?? group.takeProfit ?? group.stopLoss)!;
  const fired = [group.takeProfit, group.stopLoss].find((l) => l?.state === 'TRIGGERED' || l?.state === 'REJECTED') ?? null;
  const size = position === undefined ? 0 : Math.abs(position.qty);
  const whole = first.qty === 0;
  const profit = delegate(config, tp);
  const stop = delegate(config, sl);
  return {
    profitId: String(group.profitId),
    clientOrderId: first.clientOrderId,
    symbol: first.symbol,
    positionSide: xtConditionalSide(first),
    origQty: String(whole ? size : first.qty),
    closeType: whole ? 'ALL' : 'FIXED',
    triggerPriceType: XT_TRIGGER_PRICE_TYPE[first.triggerSource],
    triggerProfitPrice: tp === null ? null : price(config, tp.triggerPrice),
    triggerStopPrice: sl === null ? null : price(config, sl.triggerPrice),
    profitDelegateOrderType: profit.orderType,
    profitDelegateTimeInForce: profit.timeInForce,
    profitDelegatePrice: profit.price,
    stopDelegateOrderType: stop.orderType,
    stopDelegateTimeInForce: stop.timeInForce,
    stopDelegatePrice: stop.price,
    entryPrice: position === undefined || size === 0 ? null : formatEntryPrice(config, position.entryCost, size),
    positionSize: String(size),
    isolatedMargin: position === undefined ? null : formatAmount(position.margin),
    positionType: position?.marginMode ?? null,
    leverage: position?.leverage ?? null,
    state,
    triggerPriceSide: fired === null ? null : fired.kind === 'TAKE_PROFIT' ? 'PROFIT' : 'STOP',
    // Why it ended (the engine's reason: POSITION_CLOSED, OCO_PARTNER_FIRED, a refusal at trigger, …).
    desc: state === 'NOT_TRIGGERED' || state === 'TRIGGERED' ? '' : [group.takeProfit, group.stopLoss].find((l) => l !== null && l.reason !== 'NONE')?.reason ?? '',
    ...execution(config, placed),
    expireTime: first.expireTime,
    createdTime: first.createTime,
    updatedTime: Math.max(group.takeProfit?.updateTime ?? 0, group.stopLoss?.updateTime ?? 0),
  };
}
