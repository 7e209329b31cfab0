/**
 * XT's conditional-order requests as engine commands (docs/futures/Entrust/*.mdx): create-plan
 * (trigger orders), create-profit and update-profit-stop (position take-profit / stop-loss),
 * create-track (trailing), and the take-profit / stop-loss attached to order/create. Every refusal
 * is XT's error code in ccxt's class (envelope.ts): order-shaped problems ORDER_001 with XT's code
 * first in the message, parameter problems COMMON_003 invalid_params.
 */
import { parseRate, RATE_SCALE } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type {
  AttachTpsl, OrderSnapshot, OrderType, PlaceConditional, PositionSide, PositionSnapshot, SetPositionTpsl, Side, TimeInForce, TpslChange, TpslLeg,
  TriggerDirection, TriggerSource,
} from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import type { Exchange } from '../../service/exchange.js';
import { priceProblemText, readPrice } from '../front-door-bounds.js';
import { TRIGGER_SOURCE_OF } from './entrust-objects.js';
import { invalidOrder, invalidParams, XtError } from './envelope.js';
import {
  clientOrderIdOf, contractsOf, onlyParams, optionalBoolean, optionalEnum, optionalInteger, optionalString, priceOf, requiredEnum, requiredString, symbolOf, type VenueScope,
  type Params,
} from './params.js';

const TRIGGER_PRICE_TYPES = ['LATEST_PRICE', 'MARK_PRICE', 'INDEX_PRICE'] as const;
const TIME_IN_FORCE = ['GTC', 'IOC', 'FOK', 'GTX'] as const;
/** ccxt appends clientMedia to every create it signs; XT documents both on create-track. Nothing reads them. */
const CLIENT_MEDIA = ['clientMedia', 'clientMediaChannel'] as const;

function account(exchange: Exchange, accountId: number): AccountView {
  const state = exchange.engine.account(accountId);
  if (state === undefined) throw new XtError('AUTH_101', 'the account of this ApiKey no longer exists', 403);
  return state.view;
}

/** The current price of a trigger source, in ticks (null: none yet). */
export function sourcePrice(exchange: Exchange, symbol: string, source: TriggerSource): number | null {
  if (source === 'INDEX') return exchange.engine.prices(symbol, exchange.now())?.indexPrice ?? null;
  const market = exchange.engine.market(symbol);
  return (source === 'MARK' ? market?.markPrice : market?.lastPrice) ?? null;
}

const SOURCE_WORDS: Record<TriggerSource, string> = { LAST: 'latest', MARK: 'mark', INDEX: 'index' };

/** A price parameter in ticks; `code` is XT's error for it (invalid_stop_price, invalid_trigger_profit_price, …). */
function triggerPriceOf(params: Params, name: string, config: SymbolConfig, code: string): number {
  const reading = readPrice(config, requiredString(params, name));
  if (!reading.ok) throw invalidOrder(`${code}: ${priceProblemText(config, name, reading.problem)}`);
  return reading.ticks;
}

function triggerSourceOf(params: Params, required: boolean): TriggerSource {
  const type = required ? requiredEnum(params, 'triggerPriceType', TRIGGER_PRICE_TYPES) : optionalEnum(params, 'triggerPriceType', TRIGGER_PRICE_TYPES);
  return TRIGGER_SOURCE_OF[type ?? 'LATEST_PRICE'];
}

function expireTimeOf(exchange: Exchange, params: Params): number | undefined {
  const expireTime = optionalInteger(params, 'expireTime', 0, Number.MAX_SAFE_INTEGER);
  if (expireTime !== undefined && expireTime <= exchange.now()) throw invalidParams(`expireTime ${expireTime} has passed: send a later time (ms), or none`);
  return expireTime;
}

/**
 * XT's (orderSide, positionSide) pair on the account's mode, as placeCommand reads it: on a hedge
 * account the side itself; on a one-way account the single position, a closing pair reduce-only.
 * A `reduceOnly` that clients such as ccxt send along must agree with the pair.
 */
function sides(view: AccountView, params: Params, side: Side, positionSide: 'LONG' | 'SHORT'): { positionSide: PositionSide; reduceOnly: boolean } {
  const closes = (side === 'SELL') === (positionSide === 'LONG');
  if (optionalBoolean(params, 'reduceOnly') === true && !closes) {
    throw invalidParams(`reduceOnly means closing: ${side} with positionSide ${positionSide} opens a position`);
  }
  return view.positionMode === 'HEDGE' ? { positionSide, reduceOnly: false } : { positionSide: 'BOTH', reduceOnly: closes };
}

export const PLAN_PARAMS = [
  'clientOrderId', 'symbol', 'orderSide', 'entrustType', 'origQty', 'price', 'stopPrice', 'timeInForce', 'triggerPriceType', 'positionSide', 'reduceOnly',
] as const;

/**
 * create-plan as a PLAN conditional. XT's request names no trigger direction: the plan fires when
 * the trigger source reaches `stopPrice` from where it stands now (above it: on a rise; below: on a
 * fall), and a stopPrice it already stands at is refused (invalid_stop_price). entrustType's
 * `_MARKET` suffix makes a market order (IOC or FOK only, market_plan_entrust_must_be_ioc_or_fok);
 * its STOP / TAKE_PROFIT part does not change when the plan fires (ccxt sends STOP for every
 * trigger order, and its xt.js notes that entrustType is not enforced by XT).
 */
export function planCommand(scope: VenueScope, accountId: number, params: Params): Omit<PlaceConditional, 'time'> {
  onlyParams(params, [...PLAN_PARAMS, ...CLIENT_MEDIA]);
  const { exchange } = scope;
  const config = symbolOf(scope, params, true);
  const view = account(exchange, accountId);
  const side = requiredEnum(params, 'orderSide', ['BUY', 'SELL'] as const);
  const entrustType = requiredEnum(params, 'entrustType', ['TAKE_PROFIT', 'STOP', 'TAKE_PROFIT_MARKET', 'STOP_MARKET'] as const);
  const orderType: OrderType = entrustType.endsWith('_MARKET') ? 'MARKET' : 'LIMIT';
  const qty = contractsOf(params, 'origQty', config);
  const positionSide = requiredEnum(params, 'positionSide', ['LONG', 'SHORT'] as const);
  const timeInForce = requiredEnum(params, 'timeInForce', TIME_IN_FORCE);
  if (orderType === 'MARKET' && timeInForce !== 'IOC' && timeInForce !== 'FOK') {
    throw invalidOrder(`market_plan_entrust_must_be_ioc_or_fok: a ${entrustType} plan places a market order: send timeInForce IOC or FOK (got ${timeInForce})`);
  }
  const price = orderType === 'LIMIT' ? priceOf(params, 'price', config) : 0;
  const triggerPrice = triggerPriceOf(params, 'stopPrice', config, 'invalid_stop_price');
  const triggerSource = triggerSourceOf(params, true);
  const triggerDirection = directionTo(exchange, config, triggerSource, triggerPrice, 'stopPrice', 'invalid_stop_price');
  return {
    type: 'placeConditional', accountId, symbol: config.symbol, kind: 'PLAN', side, ...sides(view, params, side, positionSide),
    triggerSource, triggerPrice, triggerDirection, orderType, price, timeInForce, qty, closePosition: false,
    clientOrderId: clientOrderIdOf(params, 'clientOrderId'),
  };
}

/** Which way the source must move to reach `triggerPrice` from where it stands now. */
function directionTo(exchange: Exchange, config: SymbolConfig, source: TriggerSource, triggerPrice: number, name: string, code: string): TriggerDirection {
  const now = sourcePrice(exchange, config.symbol, source);
  if (now === null) throw invalidOrder(`${code}: ${config.symbol} has no ${SOURCE_WORDS[source]} price yet, so ${name} has no side to be reached from; use another triggerPriceType`);
  if (triggerPrice === now) throw invalidOrder(`${code}: ${name} equals the current ${SOURCE_WORDS[source]} price: the order would trigger immediately`);
  return triggerPrice > now ? 'RISE' : 'FALL';
}

// ---------------------------------------------------------------------------------------------
// Take-profit / stop-loss

/**
 * One leg's order: `<leg>DelegateOrderType` (default MARKET, as ccxt sends none),
 * `<leg>DelegateTimeInForce` and `<leg>DelegatePrice` (LIMIT). The engine's TP/SL legs place IOC
 * market orders or GTC limit orders (a TpslLeg has no time in force), so other pairs are refused.
 */
function delegateOf(params: Params, leg: 'profit' | 'stop', config: SymbolConfig): Pick<TpslLeg, 'orderType' | 'price'> {
  const orderType = optionalEnum(params, `${leg}DelegateOrderType`, ['LIMIT', 'MARKET'] as const) ?? 'MARKET';
  const timeInForce = optionalEnum(params, `${leg}DelegateTimeInForce`, TIME_IN_FORCE);
  const supported: TimeInForce = orderType === 'MARKET' ? 'IOC' : 'GTC';
  if (timeInForce !== undefined && timeInForce !== supported) {
    throw invalidOrder(`invalid_time_in_force: ${leg}DelegateTimeInForce ${timeInForce} is not supported here for a ${orderType} ${leg === 'profit' ? 'take-profit' : 'stop-loss'} order: send ${supported} (or none)`);
  }
  if (orderType === 'MARKET') {
    if (optionalString(params, `${leg}DelegatePrice`) !== undefined) throw invalidParams(`${leg}DelegatePrice is for a LIMIT ${leg}DelegateOrderType; a MARKET order has no price`);
    return { orderType };
  }
  return { orderType, price: priceOf(params, `${leg}DelegatePrice`, config) };
}

/** The TP/SL parameters of create-profit and of order/create, on the side of a position. */
export const TPSL_PARAMS = [
  'triggerProfitPrice', 'triggerStopPrice', 'triggerPriceType', 'profitDelegateOrderType', 'profitDelegateTimeInForce', 'profitDelegatePrice',
  'stopDelegateOrderType', 'stopDelegateTimeInForce', 'stopDelegatePrice',
] as const;

/**
 * The take-profit and stop-loss legs a request asks for (at least one), checked against `reference`
 * (ticks: the trigger source's price now, or an opening order's price): on a long the take-profit
 * above it and the stop-loss below, on a short the other way round, with XT's error codes.
 */
function legsOf(params: Params, config: SymbolConfig, direction: 'LONG' | 'SHORT', source: TriggerSource, reference: number | null, against: string): { takeProfit?: TpslLeg; stopLoss?: TpslLeg } {
  const hasProfit = optionalString(params, 'triggerProfitPrice') !== undefined;
  const hasStop = optionalString(params, 'triggerStopPrice') !== undefined;
  for (const name of ['profitDelegateOrderType', 'profitDelegateTimeInForce', 'profitDelegatePrice'] as const) {
    if (!hasProfit && optionalString(params, name) !== undefined) throw invalidParams(`${name} is for a take-profit: send triggerProfitPrice with it`);
  }
  for (const name of ['stopDelegateOrderType', 'stopDelegateTimeInForce', 'stopDelegatePrice'] as const) {
    if (!hasStop && optionalString(params, name) !== undefined) throw invalidParams(`${name} is for a stop-loss: send triggerStopPrice with it`);
  }
  if (!hasProfit && !hasStop) throw invalidParams('send triggerProfitPrice and/or triggerStopPrice');
  const legs: { takeProfit?: TpslLeg; stopLoss?: TpslLeg } = {};
  const word = SOURCE_WORDS[source] === 'latest' ? null : SOURCE_WORDS[source];
  if (hasProfit) {
    const triggerPrice = triggerPriceOf(params, 'triggerProfitPrice', config, 'invalid_trigger_profit_price');
    if (reference !== null && (direction === 'LONG' ? triggerPrice <= reference : triggerPrice >= reference)) {
      const code = word === null || against !== 'current' ? 'invalid_trigger_profit_price'
        : `trigger_profit_price_${direction === 'LONG' ? 'less' : 'more'}_than_${word}_price`;
      throw invalidOrder(`${code}: a ${direction} take-profit must be ${direction === 'LONG' ? 'above' : 'below'} the ${against === 'current' ? `current ${SOURCE_WORDS[source]}` : against} price`);
    }
    legs.takeProfit = { triggerPrice, triggerSource: source, ...delegateOf(params, 'profit', config) };
  }
  if (hasStop) {
    const triggerPrice = triggerPriceOf(params, 'triggerStopPrice', config, 'invalid_trigger_stop_price');
    if (reference !== null && (direction === 'LONG' ? triggerPrice >= reference : triggerPrice <= reference)) {
      const code = word === null || against !== 'current' ? 'invalid_trigger_stop_price'
        : `trigger_stop_price_${direction === 'LONG' ? 'more' : 'less'}_than_${word}_price`;
      throw invalidOrder(`${code}: a ${direction} stop-loss must be ${direction === 'LONG' ? 'below' : 'above'} the ${against === 'current' ? `current ${SOURCE_WORDS[source]}` : against} price`);
    }
    legs.stopLoss = { triggerPrice, triggerSource: source, ...delegateOf(params, 'stop', config) };
  }
  return legs;
}

/** The position a LONG / SHORT request means on the account's mode (one-way: the single position, on the side of its sign). */
export function positionFor(view: AccountView, symbol: string, positionSide: 'LONG' | 'SHORT'): { side: PositionSide; position: PositionSnapshot | undefined } {
  const side: PositionSide = view.positionMode === 'HEDGE' ? positionSide : 'BOTH';
  const position = view.positions.find((p) => p.symbol === symbol && p.positionSide === side);
  const onSide = position !== undefined && (side !== 'BOTH' || (positionSide === 'LONG' ? position.qty > 0 : position.qty < 0));
  return { side, position: onSide ? position : undefined };
}

export const PROFIT_PARAMS = ['symbol', 'origQty', 'expireTime', 'positionSide', 'reduceOnly', ...TPSL_PARAMS] as const;

/**
 * create-profit as a PARTIAL take-profit / stop-loss pair of `origQty` contracts. XT requires
 * origQty (the legs close that many contracts; its history calls such a pair closeType FIXED), and
 * no create parameter asks for the whole position whatever its size, so this is never FULL. ccxt
 * sends one leg and no expireTime, delegate types or triggerPriceType: those default to none, a
 * MARKET order and LATEST_PRICE (order/update's documented default). The legs close the position
 * named by positionSide; a `reduceOnly: true` that ccxt passes along is what they do anyway.
 */
export function profitCommand(scope: VenueScope, accountId: number, params: Params): Omit<SetPositionTpsl, 'time'> {
  onlyParams(params, [...PROFIT_PARAMS, ...CLIENT_MEDIA]);
  const { exchange } = scope;
  const config = symbolOf(scope, params, true);
  const view = account(exchange, accountId);
  if (optionalBoolean(params, 'reduceOnly') === false) throw invalidParams('reduceOnly: a take-profit / stop-loss always reduces its position');
  const qty = contractsOf(params, 'origQty', config);
  const positionSide = requiredEnum(params, 'positionSide', ['LONG', 'SHORT'] as const);
  const { side, position } = positionFor(view, config.symbol, positionSide);
  const size = position === undefined ? 0 : Math.abs(position.qty);
  if (qty > size) throw invalidOrder(`more_than_available: origQty ${qty} is more than the ${positionSide} position of ${size} contracts`);
  const source = triggerSourceOf(params, false);
  const legs = legsOf(params, config, positionSide, source, sourcePrice(exchange, config.symbol, source), 'current');
  return {
    type: 'setPositionTpsl', accountId, symbol: config.symbol, positionSide: side, mode: 'PARTIAL', qty, ...legs,
    expireTime: expireTimeOf(exchange, params),
  };
}

/**
 * order/create's take-profit / stop-loss (`triggerProfitPrice`, `triggerStopPrice`, and the leg
 * parameters order/update documents with them) as TP/SL armed when the order fills, sized to what
 * filled (PARTIAL): XT's TP/SL objects always close a fixed quantity. Only an order that opens can
 * carry them; the take-profit must lie beyond the order's price (a market order: the trigger
 * source's price now) and the stop-loss on the other side. undefined when none is sent.
 */
export function attachOf(exchange: Exchange, params: Params, config: SymbolConfig, side: Side, positionSide: 'LONG' | 'SHORT', orderPrice: number | null): AttachTpsl | undefined {
  if (TPSL_PARAMS.every((name) => optionalString(params, name) === undefined)) return undefined;
  if ((side === 'SELL') === (positionSide === 'LONG')) {
    throw invalidParams(`triggerProfitPrice / triggerStopPrice protect the position an order opens: ${side} ${positionSide} closes it`);
  }
  const source = triggerSourceOf(params, false);
  const reference = orderPrice ?? sourcePrice(exchange, config.symbol, source);
  const legs = legsOf(params, config, positionSide, source, reference, orderPrice === null ? 'current' : 'order');
  return { mode: 'PARTIAL', ...legs };
}

/**
 * order/update's take-profit / stop-loss (the parameters order/create takes, documented on update
 * too): a leg sent replaces the one the order will arm, a leg not sent stays. Checked against the
 * order's (amended) price like create's. An order that has none gets PARTIAL legs, as on create.
 * undefined when none is sent.
 */
export function attachChangeOf(params: Params, config: SymbolConfig, order: OrderSnapshot, price: number): TpslChange | undefined {
  if (TPSL_PARAMS.every((name) => optionalString(params, name) === undefined)) return undefined;
  const closes = order.reduceOnly || (order.positionSide === 'LONG' && order.side === 'SELL') || (order.positionSide === 'SHORT' && order.side === 'BUY');
  if (closes) {
    throw invalidParams('triggerProfitPrice / triggerStopPrice protect the position an order opens: this order closes one');
  }
  const direction = order.side === 'BUY' ? 'LONG' : 'SHORT';
  const legs = legsOf(params, config, direction, triggerSourceOf(params, false), price, 'order');
  return order.attachTpsl === null ? { mode: 'PARTIAL', ...legs } : legs;
}

/** update-profit-stop: the new trigger prices of a waiting pair's legs (at least one), checked like create-profit's. */
export function profitUpdateOf(exchange: Exchange, params: Params, config: SymbolConfig, direction: 'LONG' | 'SHORT', source: TriggerSource): { takeProfit?: number; stopLoss?: number } {
  const legs = legsOf(params, config, direction, source, sourcePrice(exchange, config.symbol, source), 'current');
  return { takeProfit: legs.takeProfit?.triggerPrice, stopLoss: legs.stopLoss?.triggerPrice };
}

// ---------------------------------------------------------------------------------------------
// Trailing (track)

export const TRACK_PARAMS = [
  'callback', 'callbackVal', 'orderSide', 'origQty', 'positionSide', 'positionType', 'symbol', 'triggerPriceType', 'activationPrice',
  'clientOrderId', 'expireTime', 'reduceOnly',
] as const;

/**
 * create-track as a TRAILING conditional that places a market order. `callback` PROPORTION:
 * `callbackVal` is a fraction of the best price since arming (0.01 = 1 %, as ccxt sends
 * trailingPercent / 100), above 0 and below 1; FIXED: a price distance, on the tick. An
 * `activationPrice` must still lie ahead (a sell trails a rise: above the source's price now; a buy
 * below), else invalid_activation_price. positionType must be the symbol's margin mode.
 */
export function trackCommand(scope: VenueScope, accountId: number, params: Params): Omit<PlaceConditional, 'time'> {
  onlyParams(params, [...TRACK_PARAMS, ...CLIENT_MEDIA]);
  const { exchange } = scope;
  const config = symbolOf(scope, params, true);
  const view = account(exchange, accountId);
  const callback = requiredEnum(params, 'callback', ['FIXED', 'PROPORTION'] as const);
  const side = requiredEnum(params, 'orderSide', ['BUY', 'SELL'] as const);
  const qty = contractsOf(params, 'origQty', config);
  const requested = requiredEnum(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const);
  if (requested === 'BOTH' && view.positionMode === 'HEDGE') throw invalidParams('positionSide BOTH is for a one-way account: this account is in hedge mode, send LONG or SHORT');
  const positionType = requiredEnum(params, 'positionType', ['CROSSED', 'ISOLATED'] as const);
  const marginMode = view.settings.find((s) => s.symbol === config.symbol)?.marginMode;
  if (marginMode !== undefined && marginMode !== positionType) {
    throw invalidParams(`positionType ${positionType}: ${config.symbol} is ${marginMode} on this account (change it with /future/user/v1/position/change-type)`);
  }
  const triggerSource = triggerSourceOf(params, true);
  const callbackVal = requiredString(params, 'callbackVal');
  let callbackRate: bigint | undefined;
  let callbackAmount: number | undefined;
  if (callback === 'PROPORTION') {
    let rate: bigint;
    try {
      rate = parseRate(callbackVal);
    } catch {
      throw invalidParams(`callbackVal must be a decimal fraction such as 0.01 (1 %), at most 8 decimals (got ${callbackVal})`);
    }
    if (rate <= 0n) throw invalidOrder(`invalid_below_min_rate_limit: callbackVal must be above 0 (got ${callbackVal})`);
    if (rate >= RATE_SCALE) throw invalidOrder(`invalid_exceed_max_rate_limit: callbackVal is a fraction of the price and must be below 1 (got ${callbackVal})`);
    callbackRate = rate;
  } else {
    const reading = readPrice(config, callbackVal);
    if (!reading.ok) throw invalidParams(priceProblemText(config, 'callbackVal', reading.problem));
    callbackAmount = reading.ticks;
  }
  let activationPrice: number | undefined;
  if (optionalString(params, 'activationPrice') !== undefined) {
    activationPrice = triggerPriceOf(params, 'activationPrice', config, 'invalid_activation_price');
    const now = sourcePrice(exchange, config.symbol, triggerSource);
    if (now !== null && (side === 'SELL' ? activationPrice <= now : activationPrice >= now)) {
      throw invalidOrder(`invalid_activation_price: a ${side} trailing order activates ${side === 'SELL' ? 'above' : 'below'} the current ${SOURCE_WORDS[triggerSource]} price`);
    }
  }
  const positionSide = requested === 'BOTH' ? (side === 'BUY' ? 'LONG' : 'SHORT') : requested;
  return {
    type: 'placeConditional', accountId, symbol: config.symbol, kind: 'TRAILING', side, ...sides(view, params, side, positionSide),
    triggerSource, orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty, closePosition: false,
    activationPrice, callbackRate, callbackAmount, clientOrderId: clientOrderIdOf(params, 'clientOrderId'), expireTime: expireTimeOf(exchange, params),
  };
}
