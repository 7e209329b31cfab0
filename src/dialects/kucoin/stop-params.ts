/**
 * KuCoin's stop parameters (docs/dialects/kucoin.md, "Stop orders"):
 * - POST /api/v1/orders (and each item of orders/multi): `stop` up / down with `stopPrice` and
 *   `stopPriceType` TP / MP / IP ("If stop is used, parameter stopPrice and stopPriceType also need
 *   to be provided") make the order a stop order: a conditional PLAN order placing it at trigger.
 * - POST /api/v1/st-orders: `triggerStopUpPrice` (KuCoin: "Take profit price") and
 *   `triggerStopDownPrice` ("Stop loss price"), one `stopPriceType` for both: a take-profit /
 *   stop-loss pair armed on the position when the order fills, sized to what filled.
 * KuCoin futures has no trailing stop: the trailing parameters ccxt would pass through are refused.
 */
import type { SymbolConfig } from '../../engine/symbol.js';
import type { AttachTpsl, PlaceConditional, PlaceOrder, TriggerDirection, TriggerSource } from '../../engine/types.js';
import { badParam, invalidOrder, type KucoinError } from './envelope.js';
import { stopOf, stopPriceTypeOf, TRIGGER_DIRECTIONS, TRIGGER_SOURCES, type StopDirection, type StopPriceType } from './encode-stop.js';
import { priceText } from './values.js';
import { optionalEnum, optionalString, priceOf, type Params } from './params.js';

const STOP_DIRECTIONS: readonly StopDirection[] = ['up', 'down'];
const STOP_PRICE_TYPES: readonly StopPriceType[] = ['TP', 'MP', 'IP'];

/** Trailing-stop parameters (ccxt's unified names and the usual exchange ones): KuCoin futures has none. */
const TRAILING_PARAMS = ['trailingPercent', 'trailingAmount', 'trailingTriggerPrice', 'callbackRate', 'activationPrice', 'trailingStop'];

export function refuseTrailing(params: Params): void {
  for (const name of TRAILING_PARAMS) {
    if (optionalString(params, name) !== undefined) throw badParam(`${name}: KuCoin futures has no trailing stop orders; use stop with stopPrice, or POST /api/v1/st-orders`);
  }
}

export interface StopTrigger {
  triggerPrice: number;
  triggerDirection: TriggerDirection;
  triggerSource: TriggerSource;
}

/** The stop of an order on POST /api/v1/orders, or undefined when `stop` is not sent. */
export function readStop(params: Params, config: SymbolConfig): StopTrigger | undefined {
  const stop = optionalEnum(params, 'stop', STOP_DIRECTIONS, (s) => s.toLowerCase());
  if (stop === undefined) {
    for (const name of ['stopPrice', 'stopPriceType']) {
      if (optionalString(params, name) !== undefined) throw badParam(`${name} is only for stop orders: send stop (up or down) with stopPrice and stopPriceType`);
    }
    return undefined;
  }
  if (optionalString(params, 'stopPrice') === undefined) throw badParam(`stopPrice is required with stop ${stop}: the trigger price`);
  const type = optionalEnum(params, 'stopPriceType', STOP_PRICE_TYPES, (s) => s.toUpperCase());
  if (type === undefined) throw badParam(`stopPriceType is required with stop ${stop}: TP (last trade price), MP (mark price) or IP (index price)`);
  return { triggerPrice: priceOf(params, 'stopPrice', config), triggerDirection: TRIGGER_DIRECTIONS[stop], triggerSource: TRIGGER_SOURCES[type] };
}

/**
 * The take-profit / stop-loss of POST /api/v1/st-orders, or undefined when neither price is sent.
 * KuCoin's own example sends `stopPriceType: ""`; an empty or absent one is TP, the last trade
 * price (the first of KuCoin's three and its app's default for TP/SL).
 */
export function readTpsl(params: Params, config: SymbolConfig): AttachTpsl | undefined {
  const up = optionalString(params, 'triggerStopUpPrice');
  const down = optionalString(params, 'triggerStopDownPrice');
  const typeText = optionalEnum(params, 'stopPriceType', STOP_PRICE_TYPES, (s) => s.toUpperCase());
  if (up === undefined && down === undefined) {
    if (typeText !== undefined) throw badParam('stopPriceType on st-orders applies to triggerStopUpPrice and triggerStopDownPrice: send at least one of them');
    return undefined;
  }
  const triggerSource = TRIGGER_SOURCES[typeText ?? 'TP'];
  const leg = (name: string) => ({ triggerPrice: priceOf(params, name, config), triggerSource, orderType: 'MARKET' as const });
  return {
    mode: 'PARTIAL',
    takeProfit: up === undefined ? undefined : leg('triggerStopUpPrice'),
    stopLoss: down === undefined ? undefined : leg('triggerStopDownPrice'),
  };
}

/**
 * The engine's WOULD_TRIGGER_IMMEDIATELY in KuCoin's terms (300000): an st-orders take-profit /
 * stop-loss on the wrong side of the order's price (a stop order whose condition already holds is
 * not refused: it fires at once, as on KuCoin).
 */
export function immediateTrigger(command: Omit<PlaceOrder, 'time'> | Omit<PlaceConditional, 'time'>, config: SymbolConfig, engineMessage: string): KucoinError {
  if (command.type === 'placeConditional' && command.triggerDirection !== undefined && command.triggerPrice !== undefined) {
    const stop = stopOf(command.triggerDirection);
    return invalidOrder(`stop ${stop} at stopPrice ${priceText(config, command.triggerPrice)} would trigger immediately: the ${stopPriceTypeOf(command.triggerSource)} price is ` +
      `already ${stop === 'up' ? 'at or above' : 'at or below'} it; send a stopPrice ${stop === 'up' ? 'above' : 'below'} the current price`);
  }
  if (command.type === 'placeOrder' && command.attachTpsl !== undefined) {
    const buy = command.side === 'BUY';
    return invalidOrder(`for a ${buy ? 'buy' : 'sell'} order, triggerStopUpPrice (take profit) must be ${buy ? 'above' : 'below'} and triggerStopDownPrice ` +
      `(stop loss) ${buy ? 'below' : 'above'} the order's price, or they would trigger immediately (${engineMessage})`);
  }
  return invalidOrder(`the order would trigger immediately: ${engineMessage}`);
}
