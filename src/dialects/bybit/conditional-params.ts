/**
 * Reading Bybit's conditional-order and TP/SL parameters (docs/v5/order/create-order.mdx,
 * amend-order.mdx, position/trading-stop.mdx) into the engine's terms: the trigger source
 * (`triggerBy`), the direction (`triggerDirection` 1 rise / 2 fall), the TP/SL legs an order arms
 * (`takeProfit`, `stopLoss`, `tpslMode`, `tp/slTriggerBy`, `tp/slOrderType`, `tp/slLimitPrice`) and
 * the position's TP/SL and trailing stop. Every refusal is a 10001 that says what to send instead;
 * nothing is dropped silently.
 */
import { decimalPlaces, parseScaled } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { AttachTpsl, TpslChange, TpslLeg, TpslMode, TriggerDirection, TriggerSource } from '../../engine/types.js';
import { paramsError } from './envelope.js';
import { optionalEnum, optionalString, priceOf, type Params } from './params.js';

/** Bybit's `triggerBy` names (docs/v5/enum.mdx triggerBy) and the engine's sources. */
const TRIGGER_BY = { LastPrice: 'LAST', MarkPrice: 'MARK', IndexPrice: 'INDEX' } as const satisfies Record<string, TriggerSource>;
type TriggerBy = keyof typeof TRIGGER_BY;
const TRIGGER_BY_NAMES = Object.keys(TRIGGER_BY) as TriggerBy[];

/** A `triggerBy`-like parameter as a trigger source; undefined when absent. */
export function triggerSourceOf(params: Params, name: string): TriggerSource | undefined {
  const by = optionalEnum(params, name, TRIGGER_BY_NAMES);
  return by === undefined ? undefined : TRIGGER_BY[by];
}

/** `triggerDirection`: 1 rises to the trigger price, 2 falls to it; undefined when absent. */
export function triggerDirectionOf(params: Params): TriggerDirection | undefined {
  const value = optionalString(params, 'triggerDirection');
  if (value === undefined) return undefined;
  if (value === '1') return 'RISE';
  if (value === '2') return 'FALL';
  throw paramsError(`triggerDirection must be 1 (triggered when the price rises to triggerPrice) or 2 (when it falls to it)`);
}

/** Whether a decimal text is zero ("0", "0.00"): Bybit's "none" / "cancel" for TP/SL prices, "the whole position" for qty. */
export function isZero(text: string): boolean {
  try {
    return parseScaled(text, decimalPlaces(text)) === 0n;
  } catch {
    return false;
  }
}

/**
 * A price parameter that may be "0": undefined when absent, 0 when zero (Bybit: none, or cancel
 * where the endpoint says so), else ticks on the symbol's tick.
 */
export function optionalPriceOrZero(params: Params, name: string, config: SymbolConfig): number | undefined {
  const text = optionalString(params, name);
  if (text === undefined) return undefined;
  return isZero(text) ? 0 : priceOf(params, name, config);
}

/** A price parameter given and not zero, in ticks. */
export function optionalPrice(params: Params, name: string, config: SymbolConfig): number | undefined {
  const ticks = optionalPriceOrZero(params, name, config);
  return ticks === 0 ? undefined : ticks;
}

type LegName = 'tp' | 'sl';
const LEG_PRICE: Record<LegName, 'takeProfit' | 'stopLoss'> = { tp: 'takeProfit', sl: 'stopLoss' };

/** `tpslMode`: Full (the default: the whole position) or Partial. */
export function tpslModeOf(params: Params): TpslMode | undefined {
  const mode = optionalEnum(params, 'tpslMode', ['Full', 'Partial'] as const);
  return mode === undefined ? undefined : mode === 'Full' ? 'FULL' : 'PARTIAL';
}

/**
 * One leg's order: `tp/slOrderType` Market (the default) or Limit at `tp/slLimitPrice`. Full
 * TP/SL supports Market only, and a limit price needs the Limit type (Bybit: "only works when
 * tpslMode=Partial and tpOrderType=Limit"): sent otherwise, it is refused rather than ignored.
 */
function legOrder(params: Params, leg: LegName, mode: TpslMode, config: SymbolConfig): Pick<TpslLeg, 'orderType' | 'price'> {
  const typeName = `${leg}OrderType`;
  const limitName = `${leg}LimitPrice`;
  const type = optionalEnum(params, typeName, ['Market', 'Limit'] as const) ?? 'Market';
  const limit = optionalPrice(params, limitName, config);
  if (type === 'Market') {
    if (limit !== undefined) throw paramsError(`${limitName} only works with ${typeName}=Limit and tpslMode=Partial`);
    return { orderType: 'MARKET' };
  }
  if (mode === 'FULL') throw paramsError(`${typeName} only support Market when tpSlMode is Full: send tpslMode=Partial for a limit ${LEG_PRICE[leg]}`);
  if (limit === undefined) throw paramsError(`${limitName} is required with ${typeName}=Limit`);
  return { orderType: 'LIMIT', price: limit };
}

/** One TP or SL leg from its price (ticks), `tp/slTriggerBy` (LastPrice by default) and its order. */
function leg(params: Params, which: LegName, triggerPrice: number, mode: TpslMode, config: SymbolConfig): TpslLeg {
  return { triggerPrice, triggerSource: triggerSourceOf(params, `${which}TriggerBy`) ?? 'LAST', ...legOrder(params, which, mode, config) };
}

/** The parameters that shape a leg, refused when its price is not given (they would do nothing). */
function refuseOrphanLegParams(params: Params, which: LegName): void {
  for (const name of [`${which}TriggerBy`, `${which}OrderType`, `${which}LimitPrice`]) {
    if (optionalString(params, name) !== undefined) throw paramsError(`${name} needs ${LEG_PRICE[which]}: send the ${LEG_PRICE[which]} price it belongs to`);
  }
}

/**
 * The TP/SL an order arms on the position it opens (`takeProfit` / `stopLoss` on create, "0" or
 * absent: none). Undefined when it sets neither. Bybit: "When reduceOnly is true, take profit/stop
 * loss cannot be set".
 */
export function attachTpslOf(params: Params, config: SymbolConfig, reduceOnly: boolean): AttachTpsl | undefined {
  const mode = tpslModeOf(params) ?? 'FULL';
  const takeProfit = optionalPrice(params, 'takeProfit', config);
  const stopLoss = optionalPrice(params, 'stopLoss', config);
  if (takeProfit === undefined) refuseOrphanLegParams(params, 'tp');
  if (stopLoss === undefined) refuseOrphanLegParams(params, 'sl');
  if (takeProfit === undefined && stopLoss === undefined) return undefined;
  if (reduceOnly) throw paramsError('When reduceOnly is true, take profit/stop loss cannot be set');
  return {
    mode,
    ...(takeProfit === undefined ? {} : { takeProfit: leg(params, 'tp', takeProfit, mode, config) }),
    ...(stopLoss === undefined ? {} : { stopLoss: leg(params, 'sl', stopLoss, mode, config) }),
  };
}

/**
 * amend-order's TP/SL of an order (or an untriggered conditional order) that has not armed them:
 * `takeProfit` / `stopLoss` (a price replaces the leg, "0" cancels it), `tp/slTriggerBy` and
 * `tp/slLimitPrice` (alone: they change the existing leg), `tpslMode` (needed only by an order
 * without TP/SL; Full by default, as on create). A leg keeps its order type (amend-order has no
 * tp/slOrderType). Undefined when none of them is sent.
 */
export function tpslAmendOf(params: Params, config: SymbolConfig, current: AttachTpsl | null): TpslChange | undefined {
  for (const name of ['tpOrderType', 'slOrderType']) {
    if (optionalString(params, name) !== undefined) throw paramsError(`${name} cannot be amended: amend-order keeps each leg's order type (cancel and create the order to change it)`);
  }
  const mode = tpslModeOf(params);
  const change: TpslChange = {};
  for (const which of ['tp', 'sl'] as const) {
    const key = LEG_PRICE[which];
    const existing = current?.[key];
    const triggerPrice = optionalPriceOrZero(params, key, config);
    const triggerSource = triggerSourceOf(params, `${which}TriggerBy`);
    const limit = optionalPrice(params, `${which}LimitPrice`, config);
    if (triggerPrice === 0) {
      if (triggerSource !== undefined || limit !== undefined) throw paramsError(`${key} "0" cancels the ${key}: send no ${which}TriggerBy or ${which}LimitPrice with it`);
      change[key] = null;
      continue;
    }
    if (triggerPrice === undefined && triggerSource === undefined && limit === undefined) continue;
    if (triggerPrice === undefined && existing === undefined) throw paramsError(`${which}TriggerBy and ${which}LimitPrice need ${key}: the order has no ${key} to change`);
    const orderType = existing?.orderType ?? 'MARKET';
    if (limit !== undefined && orderType !== 'LIMIT') throw paramsError(`${which}LimitPrice only works when the order's ${key} is a Limit order (${which}OrderType=Limit with tpslMode=Partial at create)`);
    change[key] = {
      triggerPrice: triggerPrice ?? existing!.triggerPrice, triggerSource: triggerSource ?? existing?.triggerSource ?? 'LAST', orderType,
      ...(orderType === 'LIMIT' ? { price: limit ?? existing!.price! } : {}),
    };
  }
  if (change.takeProfit === undefined && change.stopLoss === undefined) {
    if (mode !== undefined) throw paramsError('tpslMode needs takeProfit or stopLoss');
    return undefined;
  }
  return current === null ? { mode: mode ?? 'FULL', ...change } : { ...(mode === undefined ? {} : { mode }), ...change };
}

/** What `/v5/position/trading-stop` asks of the position, before the engine command is built. */
export interface TradingStop {
  mode: TpslMode;
  /** FULL: a leg, null to cancel it ("0"), absent to leave it. PARTIAL: legs to add. */
  takeProfit?: TpslLeg | null;
  stopLoss?: TpslLeg | null;
  trailingStop?: { distance: number; activationPrice?: number; triggerSource: TriggerSource } | null;
  /** PARTIAL: contracts each new leg closes (tpSize = slSize). */
  qty?: number;
}

/**
 * trading-stop's TP/SL part. `tpslMode` is documented as required; ccxt's trailing-stop request
 * (createOrder with trailingAmount) leaves it out and Bybit takes that as Full, so absent is Full.
 * `trailingStop` is a price distance ("0" cancels); `activePrice` arms it. `tpSize` / `slSize`
 * (Partial only) must be equal; `sizeOf` reads them as contracts.
 */
export function tradingStopOf(params: Params, config: SymbolConfig, sizeOf: (name: string) => number | undefined): TradingStop {
  const mode = tpslModeOf(params) ?? 'FULL';
  const tp = optionalPriceOrZero(params, 'takeProfit', config);
  const sl = optionalPriceOrZero(params, 'stopLoss', config);
  const trailing = optionalPriceOrZero(params, 'trailingStop', config);
  const activePrice = optionalPrice(params, 'activePrice', config);
  if (tp === undefined || tp === 0) refuseOrphanLegParams(params, 'tp');
  if (sl === undefined || sl === 0) refuseOrphanLegParams(params, 'sl');
  if (activePrice !== undefined && (trailing === undefined || trailing === 0)) throw paramsError('activePrice arms a trailing stop: send trailingStop (a price distance) with it');
  const tpSize = sizeOf('tpSize');
  const slSize = sizeOf('slSize');
  if (mode === 'FULL') {
    if (tpSize !== undefined || slSize !== undefined) throw paramsError('tpSize and slSize are for tpslMode=Partial: Full TP/SL closes the whole position');
    if (tp === undefined && sl === undefined && trailing === undefined) throw paramsError('send takeProfit, stopLoss and/or trailingStop ("0" cancels one)');
    return {
      mode,
      ...(tp === undefined ? {} : { takeProfit: tp === 0 ? null : leg(params, 'tp', tp, mode, config) }),
      ...(sl === undefined ? {} : { stopLoss: sl === 0 ? null : leg(params, 'sl', sl, mode, config) }),
      // Bybit's trailing stop has no trigger-by parameter: it follows the last traded price.
      ...(trailing === undefined ? {} : { trailingStop: trailing === 0 ? null : { distance: trailing, triggerSource: 'LAST' as const, ...(activePrice === undefined ? {} : { activationPrice: activePrice }) } }),
    };
  }
  if (trailing !== undefined) throw paramsError('trailingStop is for tpslMode=Full: a trailing stop follows the whole position');
  if (tp === 0 || sl === 0) throw paramsError('Partial TP/SL adds new orders: "0" cancels nothing here; cancel a partial TP/SL order by its orderId with /v5/order/cancel');
  if (tp === undefined && sl === undefined) throw paramsError('send takeProfit and/or stopLoss with tpslMode=Partial');
  if (tp !== undefined && tpSize === undefined) throw paramsError('tpSize is required with takeProfit under tpslMode=Partial');
  if (sl !== undefined && slSize === undefined) throw paramsError('slSize is required with stopLoss under tpslMode=Partial');
  if (tp === undefined && tpSize !== undefined) throw paramsError('tpSize needs takeProfit');
  if (sl === undefined && slSize !== undefined) throw paramsError('slSize needs stopLoss');
  if (tpSize !== undefined && slSize !== undefined && tpSize !== slSize) throw paramsError('the value of tpSize and slSize must equal');
  return {
    mode,
    ...(tp === undefined ? {} : { takeProfit: leg(params, 'tp', tp, mode, config) }),
    ...(sl === undefined ? {} : { stopLoss: leg(params, 'sl', sl, mode, config) }),
    qty: tpSize ?? slSize!,
  };
}
