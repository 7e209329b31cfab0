/**
 * POST /fapi/v1/algoOrder's parameters (USDⓈ-M "New Algo Order") → the engine's placeConditional.
 * Every documented parameter is read: implemented, or refused with Binance's words when perpstream
 * cannot honour it (priceProtect true, priceMatch, GTD / goodTillDate) — never dropped. A name the
 * page does not list is refused (-1104), as Binance does with parameters it did not read.
 */
import { readPrice, priceProblemText } from '../front-door-bounds.js';
import type { PlaceConditional, PositionMode, SetPositionTpsl, StpMode, TimeInForce } from '../../engine/types.js';
import { ALGO_TYPES, triggerDirection, triggerSourceOf, WORKING_TYPES, type AlgoOrderType } from './algo.js';
import { GENERATED_CLIENT_ID_PREFIX } from './encode.js';
import { BinanceError, ERR, illegal, missing } from './errors.js';
import { booleanParam, clientOrderIdParam, enumParam, optional, quantityParam, required, symbolParam, type Params } from './params.js';
import type { BinanceSymbol, BinanceSymbols } from './symbols.js';

/** Every parameter New Algo Order lists (plus the signature). */
const ALGO_ORDER_PARAMS: ReadonlySet<string> = new Set([
  'algoType', 'symbol', 'side', 'positionSide', 'type', 'timeInForce', 'quantity', 'price', 'triggerPrice', 'workingType',
  'priceMatch', 'closePosition', 'priceProtect', 'reduceOnly', 'activatePrice', 'callbackRate', 'clientAlgoId',
  'newOrderRespType', 'selfTradePreventionMode', 'goodTillDate', 'recvWindow', 'timestamp', 'signature',
]);

/** A parameter the endpoint does not read: Binance's -1104. */
export function unreadParam(name: string, known: ReadonlySet<string>, total: number, endpoint: string): BinanceError {
  // ccxt 4.5.84 sends the old /fapi/v1/order name for a trailing stop's activation price: Binance's
  // algo service does not read it (the stop arms at the latest price instead), so it is refused here
  // rather than followed or dropped.
  const hint = name === 'activationPrice' ? ': the algo order\'s activation price is activatePrice' : ` (${endpoint} reads ${[...known].filter((n) => n !== 'signature').join(', ')})`;
  return new BinanceError(ERR.UNKNOWN_PARAM, `Not all sent parameters were read; read '${total - 1}' parameter(s) but was sent '${total}'. '${name}' is not a parameter of ${endpoint}${hint}.`);
}

/** Refuses any name outside `known` (-1104). */
export function onlyKnownParams(params: Params, known: ReadonlySet<string>, endpoint: string): void {
  const names = Object.keys(params);
  const unknown = names.find((name) => !known.has(name));
  if (unknown !== undefined) throw unreadParam(unknown, known, names.length, endpoint);
}

const notRequired = (name: string, why: string): BinanceError =>
  new BinanceError(ERR.PARAM_NOT_REQUIRED, `Parameter '${name}' sent when not required: ${why}.`);

const invalid = (name: string, why: string): BinanceError =>
  new BinanceError(ERR.INVALID_PARAM, `Data sent for parameter '${name}' is not valid: ${why}.`);

/** triggerPrice / activatePrice in ticks, refused with the stop-price codes. */
function stopPriceParam(params: Params, name: string, symbol: BinanceSymbol, notPositive: BinanceError): number {
  const price = readPrice(symbol.config, required(params, name));
  if (price.ok) return price.ticks;
  const detail = priceProblemText(symbol.config, name, price.problem);
  switch (price.problem) {
    case 'notPositive': throw notPositive;
    case 'tooHigh': throw new BinanceError(ERR.STOP_PRICE_GREATER_THAN_MAX_PRICE, `Stop price greater than max price: ${detail}.`);
    case 'offTick': throw new BinanceError(ERR.INVALID_PRICE_TICK, `Price not increased by tick size ${symbol.config.spec.tickSize}: ${detail}.`);
    case 'malformed': throw illegal(name, detail);
  }
}

function limitPriceParam(params: Params, symbol: BinanceSymbol): number {
  const price = readPrice(symbol.config, required(params, 'price'));
  if (price.ok) return price.ticks;
  const detail = priceProblemText(symbol.config, 'price', price.problem);
  switch (price.problem) {
    case 'notPositive': throw new BinanceError(ERR.PRICE_LESS_THAN_ZERO, `Price less than or equal to zero: ${detail}.`);
    case 'tooHigh': throw new BinanceError(ERR.PRICE_GREATER_THAN_MAX_PRICE, `Price greater than max price: ${detail}.`);
    case 'offTick': throw new BinanceError(ERR.INVALID_PRICE_TICK, `Price not increased by tick size ${symbol.config.spec.tickSize}: ${detail}.`);
    case 'malformed': throw illegal('price', detail);
  }
}

/** callbackRate "min 0.1, max 10 where 1 for 1%" → the engine's 10^-8 fraction of the extreme. */
function callbackRateParam(params: Params): bigint {
  const text = required(params, 'callbackRate');
  const match = /^(\d{1,2})(?:\.(\d{1,6}))?$/.exec(text);
  if (match === null) throw invalid('callbackRate', 'a percentage from 0.1 to 10 (1 for 1 %) with at most 6 decimals');
  const rate = BigInt(match[1]! + (match[2] ?? '').padEnd(6, '0'));
  if (rate < 100_000n || rate > 10_000_000n) throw invalid('callbackRate', 'min 0.1, max 10 (1 for 1 %)');
  return rate;
}

/**
 * What a New Algo Order request asks for: a plan or trailing order (placeConditional), or — for a
 * close-all STOP_MARKET / TAKE_PROFIT_MARKET — the position's whole-position stop-loss or
 * take-profit leg (setPositionTpsl FULL). Binance's close-all orders are GTE_GTC: they need a
 * position, one per direction (-4130), and expire with the position, which is what the engine's
 * FULL legs do; a plan order would keep waiting after the position closed.
 */
export type AlgoOrderRequest = { symbol: BinanceSymbol } & (
  | { closeAll: false; command: Omit<PlaceConditional, 'time'> }
  | { closeAll: true; leg: 'TAKE_PROFIT' | 'STOP_LOSS'; side: 'BUY' | 'SELL'; command: Omit<SetPositionTpsl, 'time'> });

/** Reads one New Algo Order request for an account in `positionMode`. */
export function readAlgoOrder(params: Params, symbols: BinanceSymbols, accountId: number, positionMode: PositionMode): AlgoOrderRequest {
  onlyKnownParams(params, ALGO_ORDER_PARAMS, 'POST /fapi/v1/algoOrder');
  const algoType = optional(params, 'algoType');
  if (algoType === undefined) throw missing('algoType');
  if (algoType !== 'CONDITIONAL') throw invalid('algoType', 'only CONDITIONAL is supported');
  const symbol = symbolParam(params, symbols);
  const side = enumParam(params, 'side', ['BUY', 'SELL'] as const, new BinanceError(ERR.INVALID_SIDE, 'Invalid side.'));
  if (side === undefined) throw missing('side');
  const type: AlgoOrderType | undefined = enumParam(params, 'type', ALGO_TYPES, new BinanceError(ERR.INVALID_ORDER_TYPE,
    `Invalid orderType: algo orders are ${ALGO_TYPES.join(', ')} (LIMIT and MARKET go to /fapi/v1/order).`));
  if (type === undefined) throw missing('type');
  const trailing = type === 'TRAILING_STOP_MARKET';
  const limit = type === 'STOP' || type === 'TAKE_PROFIT';

  const positionSide = enumParam(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const, new BinanceError(ERR.INVALID_POSITION_SIDE, 'Invalid position side.')) ?? 'BOTH';
  if ((positionMode === 'HEDGE') === (positionSide === 'BOTH')) {
    throw new BinanceError(ERR.POSITION_SIDE_NOT_MATCH, "Order's position side does not match user's setting.");
  }
  const workingType = enumParam(params, 'workingType', WORKING_TYPES, new BinanceError(ERR.INVALID_WORKING_TYPE,
    `Invalid parameter working type: ${optional(params, 'workingType') ?? ''}`)) ?? 'CONTRACT_PRICE';
  // Price protection needs the symbol's triggerProtect check at trigger time, which the engine does not make.
  if (booleanParam(params, 'priceProtect') === true) {
    throw invalid('priceProtect', 'perpstream does not implement trigger price protection (triggerProtect); send FALSE or leave it out');
  }
  const priceMatch = optional(params, 'priceMatch');
  if (priceMatch !== undefined && priceMatch !== 'NONE') throw invalid('priceMatch', 'perpstream does not trade price-match orders; send the price');
  if (optional(params, 'goodTillDate') !== undefined) throw invalid('goodTillDate', 'perpstream does not trade GTD orders');

  const closePosition = booleanParam(params, 'closePosition') ?? false;
  if (closePosition) {
    if (type !== 'STOP_MARKET' && type !== 'TAKE_PROFIT_MARKET') {
      throw new BinanceError(ERR.TARGET_STRATEGY_INVALID, `Target strategy invalid for orderType ${type},closePosition true`);
    }
    if (optional(params, 'quantity') !== undefined) throw new BinanceError(ERR.QUANTITY_EXISTS_WITH_CLOSE_POSITION, 'Quantity must be zero with closePosition equals true');
    if (optional(params, 'reduceOnly') !== undefined) throw notRequired('reduceOnly', 'closePosition=true already reduces only');
    if ((side === 'BUY' && positionSide === 'LONG') || (side === 'SELL' && positionSide === 'SHORT')) {
      throw invalid('closePosition', `a ${side} close-all order closes ${side === 'BUY' ? 'SHORT' : 'LONG'} positions, not ${positionSide}`);
    }
  }
  const reduceOnly = booleanParam(params, 'reduceOnly') ?? false;
  if (reduceOnly && positionMode === 'HEDGE') throw new BinanceError(ERR.PARAM_NOT_REQUIRED, "Parameter 'reduceOnly' sent when not required.");

  let timeInForce: TimeInForce = 'IOC';
  const tif = optional(params, 'timeInForce');
  if (limit) {
    if (tif === 'GTD') throw invalid('timeInForce', 'perpstream does not trade GTD orders');
    const chosen = enumParam(params, 'timeInForce', ['GTC', 'IOC', 'FOK', 'GTX'] as const, new BinanceError(ERR.INVALID_TIF, 'Invalid timeInForce.'));
    timeInForce = chosen ?? 'GTC';
  } else if (tif !== undefined && tif !== 'GTC' && !(closePosition && tif === 'GTE_GTC')) {
    // The order placed at trigger is a market order (IOC); GTC is the documented default it shows.
    throw new BinanceError(ERR.INVALID_TIF, `Invalid timeInForce: ${type} places a market order at trigger; send GTC or leave it out.`);
  }

  const qty = closePosition ? 0 : quantityParam(params, symbol);
  let price = 0;
  if (limit) price = limitPriceParam(params, symbol);
  else if (optional(params, 'price') !== undefined) throw notRequired('price', `${type} places a market order at trigger`);

  let triggerPrice: number | undefined;
  let activationPrice: number | undefined;
  let callbackRate: bigint | undefined;
  if (trailing) {
    if (optional(params, 'triggerPrice') !== undefined) throw notRequired('triggerPrice', 'a trailing stop triggers on callbackRate from its activatePrice');
    if (optional(params, 'activatePrice') !== undefined) {
      activationPrice = stopPriceParam(params, 'activatePrice', symbol, new BinanceError(ERR.INVALID_ACTIVATION_PRICE, 'Invalid activation price.'));
    }
    callbackRate = callbackRateParam(params);
  } else {
    if (optional(params, 'activatePrice') !== undefined) throw notRequired('activatePrice', 'used with TRAILING_STOP_MARKET orders');
    if (optional(params, 'callbackRate') !== undefined) throw notRequired('callbackRate', 'used with TRAILING_STOP_MARKET orders');
    triggerPrice = stopPriceParam(params, 'triggerPrice', symbol, new BinanceError(ERR.STOP_PRICE_LESS_THAN_ZERO, 'Stop price less than zero.'));
  }

  const clientOrderId = clientOrderIdParam(params, 'clientAlgoId');
  if (clientOrderId?.startsWith(GENERATED_CLIENT_ID_PREFIX) === true) {
    throw illegal('clientAlgoId', `ids starting with ${GENERATED_CLIENT_ID_PREFIX} name this server's own orders: choose another`);
  }
  enumParam(params, 'newOrderRespType', ['ACK', 'RESULT'] as const, new BinanceError(ERR.INVALID_NEW_ORDER_RESP_TYPE, 'Invalid newOrderRespType.'));
  const stp = enumParam(params, 'selfTradePreventionMode', ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const,
    illegal('selfTradePreventionMode', 'send NONE, EXPIRE_TAKER, EXPIRE_MAKER or EXPIRE_BOTH'));

  if (closePosition) {
    // STOP_MARKET closes at a loss (stop-loss), TAKE_PROFIT_MARKET at a profit; the order type is a MARKET leg.
    const leg = type === 'STOP_MARKET' ? 'STOP_LOSS' : 'TAKE_PROFIT';
    if (stp !== undefined && stp !== 'NONE' && stp !== 'EXPIRE_TAKER') {
      throw invalid('selfTradePreventionMode', 'a close-all order trades with the engine\'s default EXPIRE_TAKER');
    }
    const tpsl = { triggerPrice: triggerPrice!, triggerSource: triggerSourceOf(workingType), orderType: 'MARKET' as const };
    return {
      symbol, closeAll: true, leg, side,
      command: {
        type: 'setPositionTpsl', accountId, symbol: symbol.config.symbol, positionSide, mode: 'FULL',
        ...(leg === 'TAKE_PROFIT' ? { takeProfit: tpsl } : { stopLoss: tpsl }),
        ...(clientOrderId === undefined ? {} : { clientOrderId }),
      },
    };
  }
  const command: Omit<PlaceConditional, 'time'> = {
    type: 'placeConditional', accountId, symbol: symbol.config.symbol, kind: trailing ? 'TRAILING' : 'PLAN', side, positionSide,
    triggerSource: triggerSourceOf(workingType),
    ...(triggerPrice === undefined ? {} : { triggerPrice, triggerDirection: triggerDirection(type as Exclude<AlgoOrderType, 'TRAILING_STOP_MARKET'>, side) }),
    orderType: limit ? 'LIMIT' : 'MARKET', price, timeInForce, qty, reduceOnly, closePosition,
    ...(activationPrice === undefined ? {} : { activationPrice }),
    ...(callbackRate === undefined ? {} : { callbackRate }),
    ...(clientOrderId === undefined ? {} : { clientOrderId }),
    // perpstream always prevents self-trades; NONE (Binance's default) takes the taker-expiry rule.
    ...(stp === undefined || stp === 'NONE' ? {} : { stpMode: stp as StpMode }),
  };
  return { symbol, closeAll: false, command };
}
