/**
 * Bybit's create and amend parameters as engine commands (create-order.mdx, amend-order.mdx). A
 * create with `triggerPrice` is a conditional order (placeConditional PLAN: it waits, reserving no
 * margin, and places the order when `triggerBy`'s price crosses `triggerPrice` in
 * `triggerDirection`); `takeProfit` / `stopLoss` arm TP/SL on the position the order opens
 * (attachTpsl), on an order or on a conditional order. An amend changes an order's price and
 * quantity, or a waiting conditional order's trigger price, trigger source, price and quantity.
 */
import type { SymbolConfig } from '../../engine/symbol.js';
import type {
  AmendConditional, ConditionalSnapshot, PlaceConditional, PlaceOrder, PositionSide, StpMode, TimeInForce, TriggerDirection, TriggerSource,
} from '../../engine/types.js';
import type { Exchange } from '../../service/exchange.js';
import { attachTpslOf, isZero, optionalPrice, optionalPriceOrZero, tpslAmendOf, triggerDirectionOf, triggerSourceOf } from './conditional-params.js';
import { triggerByName } from './conditional-names.js';
import { BybitError, Code, paramsError } from './envelope.js';
import {
  contractsOf, optionalBoolean, optionalEnum, optionalInteger, optionalString, orderLinkIdOf, priceOf, requiredEnum, requireContract, symbolOf, type Params,
} from './params.js';
import { snapshotOf } from './rest-account.js';
import { price as priceText, type BybitSymbols } from './symbols.js';

const SMP: Record<string, StpMode> = { CancelMaker: 'EXPIRE_MAKER', CancelTaker: 'EXPIRE_TAKER', CancelBoth: 'EXPIRE_BOTH' };

/** `orderFilter` on create is for spot only (create-order.mdx): a linear order is conditional by its `triggerPrice`. */
function refuseSpotFilter(params: Params): void {
  const filter = optionalString(params, 'orderFilter');
  if (filter !== undefined && filter !== 'Order') {
    throw paramsError(`orderFilter ${filter} is for spot orders: a linear order becomes a conditional order by its triggerPrice`);
  }
}

/** The price `source` shows now (ticks), null before it has one. */
export function currentPrice(exchange: Exchange, symbol: string, source: TriggerSource): number | null {
  if (source === 'INDEX') return exchange.engine.prices(symbol, exchange.now())?.indexPrice ?? null;
  const market = exchange.engine.market(symbol);
  return (source === 'LAST' ? market?.lastPrice : market?.markPrice) ?? null;
}

/**
 * `triggerDirection`, or when it is left out the direction the trigger price lies in from the
 * source's current price, as Bybit decides it then (a trigger above the market rises to it).
 */
function directionOf(exchange: Exchange, config: SymbolConfig, params: Params, source: TriggerSource, trigger: number): TriggerDirection {
  const sent = triggerDirectionOf(params);
  if (sent !== undefined) return sent;
  const current = currentPrice(exchange, config.symbol, source);
  if (current === null || current === trigger) {
    throw paramsError(`triggerDirection is required here (1: rises to triggerPrice, 2: falls to it): ${current === null ? `no ${triggerByName(source)} yet` : `triggerPrice equals the current ${triggerByName(source)}`}`);
  }
  return trigger > current ? 'RISE' : 'FALL';
}

export type PlaceCommand = Omit<PlaceOrder, 'time'> | Omit<PlaceConditional, 'time'>;

/** Bybit's create parameters as an engine command: an order, or a conditional order when `triggerPrice` is set. */
export function placeCommand(exchange: Exchange, symbols: BybitSymbols, accountId: number, params: Params): PlaceCommand {
  requireContract(params);
  refuseSpotFilter(params);
  const config = symbolOf(symbols, params, true);
  const side = requiredEnum(params, 'side', ['Buy', 'Sell'] as const) === 'Buy' ? 'BUY' : 'SELL';
  const orderType = requiredEnum(params, 'orderType', ['Market', 'Limit'] as const) === 'Limit' ? 'LIMIT' : 'MARKET';
  const tif = optionalEnum(params, 'timeInForce', ['GTC', 'IOC', 'FOK', 'PostOnly'] as const);
  let timeInForce: TimeInForce = tif === undefined ? (orderType === 'MARKET' ? 'IOC' : 'GTC') : tif === 'PostOnly' ? 'GTX' : tif;
  if (orderType === 'MARKET') {
    if (timeInForce === 'GTX') throw paramsError('a market order cannot be PostOnly (EC_MarketOrderCannotBePostOnly)');
    if (timeInForce === 'GTC') timeInForce = 'IOC';
  }
  const price = orderType === 'LIMIT' ? priceOf(params, 'price', config) : 0;
  const idx = optionalInteger(params, 'positionIdx', 0, 2) ?? 0;
  const mode = snapshotOf(exchange, accountId).view.positionMode;
  if ((mode === 'HEDGE') !== (idx !== 0)) {
    throw paramsError(`position idx not match position mode: the account is in ${mode === 'HEDGE' ? 'hedge mode (positionIdx 1 buy side, 2 sell side)' : 'one-way mode (positionIdx 0)'}`);
  }
  const closeOnTrigger = optionalBoolean(params, 'closeOnTrigger') === true;
  const reduceOnly = optionalBoolean(params, 'reduceOnly') === true || closeOnTrigger;
  let positionSide: PositionSide = 'BOTH';
  if (mode === 'HEDGE') {
    positionSide = idx === 1 ? 'LONG' : 'SHORT';
    const closes = (side === 'SELL') === (positionSide === 'LONG');
    if (reduceOnly && !closes) throw new BybitError(Code.REDUCE_ONLY, `Reduce-only rule not satisfied: ${side === 'BUY' ? 'Buy' : 'Sell'} on positionIdx ${idx} opens a position`);
  }
  const smpType = optionalEnum(params, 'smpType', ['None', 'CancelMaker', 'CancelTaker', 'CancelBoth'] as const);
  const attachTpsl = attachTpslOf(params, config, reduceOnly);
  const triggerPrice = optionalPrice(params, 'triggerPrice', config);
  const common = {
    accountId, symbol: config.symbol, side, orderType, timeInForce, price, clientOrderId: orderLinkIdOf(params), positionSide,
    // The engine takes hedge-mode closing sides as closing by nature; reduceOnly is one-way only.
    reduceOnly: mode === 'ONE_WAY' && reduceOnly,
    ...(smpType !== undefined && smpType !== 'None' ? { stpMode: SMP[smpType] } : {}),
    ...(attachTpsl === undefined ? {} : { attachTpsl }),
  } as const;
  if (triggerPrice === undefined) {
    for (const name of ['triggerDirection', 'triggerBy']) {
      if (optionalString(params, name) !== undefined) throw paramsError(`${name} is a conditional order parameter: send triggerPrice with it`);
    }
    return { type: 'placeOrder', ...common, qty: orderQty(params, config) };
  }
  const triggerSource = triggerSourceOf(params, 'triggerBy') ?? 'LAST';
  // qty "0" with reduceOnly and closeOnTrigger closes the whole position (create-order.mdx, qty).
  const closePosition = reduceOnly && closeOnTrigger && isZero(optionalString(params, 'qty') ?? '');
  return {
    type: 'placeConditional', ...common, kind: 'PLAN', triggerSource, triggerPrice,
    triggerDirection: directionOf(exchange, config, params, triggerSource, triggerPrice),
    // closePosition is reduce-only by nature: the engine takes it without the flag.
    qty: closePosition ? 0 : orderQty(params, config), closePosition, ...(closePosition ? { reduceOnly: false } : {}),
  };
}

function orderQty(params: Params, config: SymbolConfig): number {
  try {
    return contractsOf(params, 'qty', config);
  } catch (error) {
    if (error instanceof BybitError && isZero(optionalString(params, 'qty') ?? '')) {
      throw paramsError(`${error.message.replace(/^params error: /, '')} (qty "0" closes the position only on a conditional order with reduceOnly and closeOnTrigger true)`);
    }
    throw error;
  }
}

/** A trigger as the engine checks it: source, direction and price. */
export interface Trigger {
  symbol: string;
  triggerSource: TriggerSource;
  triggerDirection: TriggerDirection;
  triggerPrice: number;
}

/** Whether the trigger's condition holds at its source's current price (it would fire at once). */
export function holdsNow(exchange: Exchange, t: Trigger): boolean {
  const current = currentPrice(exchange, t.symbol, t.triggerSource);
  return current !== null && (t.triggerDirection === 'RISE' ? current >= t.triggerPrice : current <= t.triggerPrice);
}

/** The refusal of a conditional order whose condition already holds: Bybit's 110092 / 110093 with the price it compared. */
export function wouldTriggerError(exchange: Exchange, config: SymbolConfig, t: Trigger, detail: string): BybitError {
  const current = currentPrice(exchange, t.symbol, t.triggerSource);
  const trigger = priceText(config, t.triggerPrice);
  const now = current === null ? '' : priceText(config, current);
  const by = triggerByName(t.triggerSource);
  return t.triggerDirection === 'FALL'
    ? new BybitError(Code.TRIGGER_FALLING, `expect Falling, but trigger_price[${trigger}] >= current[${now}]??${by}. ${detail}`)
    : new BybitError(Code.TRIGGER_RISING, `expect Rising, but trigger_price[${trigger}] <= current[${now}]??${by}. ${detail}`);
}

/** Amend parameters that only a conditional order has. */
const TRIGGER_PARAMS = ['triggerPrice', 'triggerBy'] as const;

/** An order that is not conditional has no trigger to amend. */
export function refuseTriggerAmend(params: Params): void {
  for (const name of TRIGGER_PARAMS) {
    if (optionalString(params, name) !== undefined) throw paramsError(`${name} can only be amended on a conditional order that has not triggered (Untriggered)`);
  }
}

/**
 * A waiting conditional order's amendment: `triggerPrice`, `triggerBy`, `price` (Limit), `qty`, and
 * a plan order's TP/SL (tpslAmendOf).
 */
export function amendConditionalCommand(params: Params, config: SymbolConfig, accountId: number, c: ConditionalSnapshot): Omit<Extract<AmendConditional, { conditionalId: number }>, 'time'> {
  const tpsl = tpslAmendOf(params, config, c.attachTpsl);
  if (tpsl !== undefined && c.kind !== 'PLAN') throw paramsError('a take profit / stop loss order has no TP/SL of its own: amend its triggerPrice, or the position\'s with /v5/position/trading-stop');
  const trigger = optionalPriceOrZero(params, 'triggerPrice', config);
  if (trigger === 0) throw paramsError('triggerPrice must be positive: cancel the conditional order with /v5/order/cancel');
  if (trigger !== undefined && c.kind === 'TRAILING') throw paramsError('a trailing stop\'s trigger follows the price: set its distance with /v5/position/trading-stop');
  const triggerSource = triggerSourceOf(params, 'triggerBy');
  const price = optionalString(params, 'price') === undefined ? undefined : priceOf(params, 'price', config);
  if (price !== undefined && c.orderType === 'MARKET') throw paramsError('a market order has no price to amend');
  const qty = optionalString(params, 'qty') === undefined ? undefined : contractsOf(params, 'qty', config);
  if (trigger === undefined && triggerSource === undefined && price === undefined && qty === undefined && tpsl === undefined) {
    throw paramsError('send triggerPrice, triggerBy, qty, price, takeProfit and/or stopLoss to amend the conditional order');
  }
  return {
    type: 'amendConditional', accountId, symbol: config.symbol, conditionalId: c.conditionalId,
    ...(trigger === undefined ? {} : { triggerPrice: trigger }),
    ...(triggerSource === undefined ? {} : { triggerSource }),
    ...(price === undefined ? {} : { price }),
    ...(qty === undefined ? {} : { qty }),
    ...(tpsl === undefined ? {} : { tpsl }),
  };
}
