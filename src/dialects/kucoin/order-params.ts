/**
 * KuCoin's order parameters as an engine command (POST /api/v1/orders, each item of orders/multi,
 * POST /api/v1/st-orders): size in lots, marginMode and positionSide against the account's
 * settings, closeOrder / reduceOnly, time in force and post-only, self-trade prevention, and the
 * stop (stop-params.ts) that makes the order a stop order or the take-profit / stop-loss it attaches.
 */
import type { SymbolConfig } from '../../engine/symbol.js';
import type { PlaceConditional, PlaceOrder, PositionSide, StpMode, TimeInForce } from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import { echo } from '../front-door-bounds.js';
import { badParam, invalidOrder, KucoinError } from './envelope.js';
import { clientOidOf, optionalBoolean, optionalEnum, optionalString, priceOf, requiredString, symbolOf, type Params } from './params.js';
import { readStop, readTpsl, refuseTrailing } from './stop-params.js';
import type { KucoinSymbols } from './symbols.js';

const STP: Readonly<Record<string, StpMode>> = { CN: 'EXPIRE_TAKER', CO: 'EXPIRE_MAKER', CB: 'EXPIRE_BOTH' };

/** What an order request becomes: an order (with the take-profit / stop-loss st-orders attaches), or a stop order. */
export type PlaceCommand = Omit<PlaceOrder, 'time'> | Omit<PlaceConditional, 'time'>;

/**
 * KuCoin's order parameters as an engine command: POST /api/v1/orders (an order, or a stop order
 * when `stop` is sent) or POST /api/v1/st-orders (an order with a take-profit / stop-loss pair).
 */
export function placeCommand(symbols: KucoinSymbols, view: AccountView, params: Params, endpoint: 'orders' | 'st-orders' = 'orders'): PlaceCommand {
  const config = symbolOf(symbols, params, true);
  const clientOrderId = clientOidOf(params);
  refuseTrailing(params);
  const misplaced = endpoint === 'orders' ? ['triggerStopUpPrice', 'triggerStopDownPrice'] : ['stop', 'stopPrice'];
  for (const name of misplaced) {
    if (optionalString(params, name) === undefined) continue;
    throw badParam(endpoint === 'orders'
      ? `${name} is a parameter of POST /api/v1/st-orders (an order with a take-profit and stop-loss); a stop order here takes stop, stopPrice and stopPriceType`
      : `${name}: st-orders places an order with triggerStopUpPrice / triggerStopDownPrice; a stop order is POST /api/v1/orders with stop, stopPrice and stopPriceType`);
  }
  const stop = endpoint === 'orders' ? readStop(params, config) : undefined;
  const tpsl = endpoint === 'st-orders' ? readTpsl(params, config) : undefined;
  for (const unsupported of ['qty', 'valueQty']) {
    if (optionalString(params, unsupported) !== undefined) throw badParam(`${unsupported}: send size, the number of lots (contracts)`);
  }
  if (optionalBoolean(params, 'hidden') === true || optionalBoolean(params, 'iceberg') === true) throw badParam('hidden and iceberg orders are not supported here');
  const leverage = optionalString(params, 'leverage');
  // The symbol's leverage setting applies (set it with POST /api/v2/changeCrossUserLeverage); ccxt always sends 1.
  // What is sent must still be a leverage the contract offers.
  if (leverage !== undefined) {
    const match = /^(\d{1,4})(?:\.(\d+))?$/.exec(leverage);
    const whole = match === null ? NaN : Number(match[1]);
    const fraction = /[1-9]/.test(match?.[2] ?? '');
    if (!(whole >= 1) || whole > config.spec.maxLeverage || (whole === config.spec.maxLeverage && fraction)) {
      throw badParam(`leverage must be a number from 1 to ${config.spec.maxLeverage}`);
    }
  }

  // KuCoin: marginMode "ISOLATED, CROSS, default: ISOLATED", and an order never switches the
  // contract's mode: one that does not match it is refused (330005), so on a CROSS contract every
  // order must say CROSS. ccxt sends marginMode only when asked; KuCoin's SDK always sends it.
  const settings = view.settings.find((s) => s.symbol === config.symbol)!;
  const sentMarginMode = optionalEnum(params, 'marginMode', ['ISOLATED', 'CROSS'] as const, (s) => s.toUpperCase());
  const marginMode = sentMarginMode ?? 'ISOLATED';
  const current = settings.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS';
  if (marginMode !== current) {
    const ordered = sentMarginMode === undefined ? 'ISOLATED (no marginMode sent)' : marginMode;
    throw new KucoinError('330005',
      `The order's margin mode does not match the selected one: ${nameOf(symbols, config)} is ${current}, the order ${ordered}. Please switch and try again.`);
  }

  const hedge = view.positionMode === 'HEDGE';
  const positionSideParam = optionalEnum(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const, (s) => s.toUpperCase());
  if (hedge && (positionSideParam === undefined || positionSideParam === 'BOTH')) {
    throw new KucoinError('330012', 'Your order is in One-Way Mode, while your account is set to Hedge Mode: send positionSide LONG or SHORT');
  }
  if (!hedge && positionSideParam !== undefined && positionSideParam !== 'BOTH') {
    throw new KucoinError('330012', `Your order is in Hedge Mode (positionSide ${positionSideParam}), while your account is set to One-Way Mode`);
  }
  const positionSide: PositionSide = hedge ? positionSideParam! : 'BOTH';
  const position = view.positions.find((p) => p.symbol === config.symbol && p.positionSide === positionSide);
  const closeOrder = optionalBoolean(params, 'closeOrder') === true;

  let side = optionalEnum(params, 'side', ['buy', 'sell'] as const, (s) => s.toLowerCase());
  let qty: number;
  if (closeOrder) {
    // KuCoin: side and size may be left out; the whole position is closed.
    const open = position?.qty ?? 0;
    if (open === 0) throw new KucoinError('300009', `No open positions to close on ${nameOf(symbols, config)}`);
    side = open > 0 ? 'sell' : 'buy';
    qty = Math.abs(open);
  } else {
    if (side === undefined) throw badParam('side is required (buy or sell)');
    const sizeText = requiredString(params, 'size');
    const { minQty, maxQty } = config.spec;
    if (!/^\d+$/.test(sizeText) || Number(sizeText) < minQty || Number(sizeText) > maxQty) {
      throw invalidOrder(`size must be a whole number of lots from ${minQty} to ${maxQty} (got ${echo(sizeText)})`);
    }
    qty = Number(sizeText);
  }
  const engineSide = side === 'buy' ? 'BUY' : 'SELL';
  const closes = hedge && (positionSide === 'LONG') === (engineSide === 'SELL');
  const reduceOnly = closeOrder || optionalBoolean(params, 'reduceOnly') === true;
  if (hedge && reduceOnly && !closes) throw badParam(`reduceOnly: ${side} on the ${positionSide} position would open it, not reduce it`);
  // KuCoin: "Please DO NOT set the Reduce Only and Take Profit & Stop Loss at the same time … they are incompatible."
  if (tpsl !== undefined && (reduceOnly || closes)) {
    throw badParam(`triggerStopUpPrice / triggerStopDownPrice protect the position an order opens; ${closeOrder ? 'closeOrder' : reduceOnly ? 'reduceOnly' : `${side} on the ${positionSide} position`} only reduces it`);
  }

  const type = optionalEnum(params, 'type', ['limit', 'market'] as const, (s) => s.toLowerCase()) ?? (closeOrder && optionalString(params, 'price') === undefined ? 'market' : 'limit');
  let timeInForce: TimeInForce = optionalEnum(params, 'timeInForce', ['GTC', 'IOC', 'FOK'] as const, (s) => s.toUpperCase()) ?? 'GTC';
  if (optionalBoolean(params, 'postOnly') === true) {
    if (type === 'market' || timeInForce !== 'GTC') throw badParam('postOnly is for GTC limit orders only');
    timeInForce = 'GTX';
  }
  if (type === 'market' && timeInForce === 'GTC') timeInForce = 'IOC';
  const stpText = optionalString(params, 'stp');
  const stpMode = stpText === undefined ? undefined : STP[stpText.toUpperCase()];
  if (stpText !== undefined && stpMode === undefined) throw badParam(`stp must be CN, CO or CB (got ${echo(stpText)}; DC is not supported)`);

  const order = {
    accountId: view.accountId, symbol: config.symbol, side: engineSide, positionSide,
    orderType: type === 'limit' ? 'LIMIT' : 'MARKET', timeInForce, price: type === 'limit' ? priceOf(params, 'price', config) : 0, qty,
    // In hedge mode the closing side is reduce-only by nature; the engine takes no flag there.
    reduceOnly: !hedge && reduceOnly,
    clientOrderId, stpMode,
  } as const;
  if (stop !== undefined) {
    // A stop closeOrder closes the whole position as it is at trigger (qty 0: the whole position;
    // the engine makes it reduce-only itself and takes no flag with it). A stop whose condition
    // already holds fires at once, as KuCoin's does (triggerIfHolding), rather than being refused.
    return {
      ...order, type: 'placeConditional', kind: 'PLAN', ...stop, qty: closeOrder ? 0 : qty, reduceOnly: closeOrder ? false : order.reduceOnly,
      closePosition: closeOrder, triggerIfHolding: true,
    };
  }
  return tpsl === undefined ? { ...order, type: 'placeOrder' } : { ...order, type: 'placeOrder', attachTpsl: tpsl };
}

const nameOf = (symbols: KucoinSymbols, config: SymbolConfig): string => symbols.name(config.symbol);
