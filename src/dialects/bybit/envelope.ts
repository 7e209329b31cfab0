/**
 * Bybit v5's response envelope `{retCode, retMsg, result, retExtInfo, time}` and its error codes
 * (docs/v5/error.mdx), chosen so that ccxt raises the intended exception class.
 */
import type { CommandError, OrderReason } from '../../engine/types.js';

export interface BybitEnvelope {
  retCode: number;
  retMsg: string;
  result: unknown;
  retExtInfo: Record<string, unknown>;
  time: number;
}

/** Error codes this dialect answers with (Bybit's numbers). */
export const Code = Object.freeze({
  OK: 0,
  /** Request parameter error (ccxt BadRequest). */
  PARAMS: 10001,
  /** Timestamp outside the receive window (ccxt InvalidNonce). */
  TIMESTAMP: 10002,
  /** API key is invalid (ccxt AuthenticationError). */
  INVALID_KEY: 10003,
  /** Error sign (ccxt AuthenticationError). */
  SIGN: 10004,
  /** Too many visits (ccxt RateLimitExceeded). */
  RATE_LIMIT: 10006,
  /** Server error. */
  SERVER: 10016,
  /** Route not found. */
  ROUTE: 10017,
  /** Order does not exist (ccxt OrderNotFound). */
  ORDER_NOT_EXISTS: 110001,
  /** The order has been completed or cancelled (ccxt InvalidOrder). */
  ORDER_FINISHED: 110008,
  /** Order price exceeds the allowable range (ccxt InvalidOrder). */
  PRICE_RANGE: 110003,
  /** The number of stop orders exceeds the maximum allowable limit (ccxt InvalidOrder). */
  STOP_ORDERS_LIMIT: 110009,
  /** Available balance is insufficient (ccxt InsufficientFunds). */
  INSUFFICIENT_BALANCE: 110007,
  /** Insufficient available balance (withdraw-like moves, ccxt InsufficientFunds). */
  INSUFFICIENT_AVAILABLE: 110012,
  /** Reduce-only rule not satisfied / qty truncated to zero (ccxt InvalidOrder). */
  REDUCE_ONLY: 110017,
  /** More than the allowed number of active orders (ccxt InvalidOrder). */
  TOO_MANY_ORDERS: 110020,
  /** Existing position: position mode cannot be switched. */
  MODE_HAS_POSITION: 110024,
  /** Position mode is not modified (ccxt NoChange). */
  MODE_NOT_MODIFIED: 110025,
  /** Cross/isolated margin mode is not modified (ccxt MarginModeAlreadySet). */
  MARGIN_MODE_NOT_MODIFIED: 110026,
  /** Open orders exist: position mode cannot be switched. */
  MODE_HAS_ORDERS: 110028,
  /** Set leverage has not been modified (ccxt BadRequest). */
  LEVERAGE_NOT_MODIFIED: 110043,
  /** Available margin is insufficient (ccxt InsufficientFunds). */
  INSUFFICIENT_MARGIN: 110044,
  /** The new quantity is not above the filled quantity (ccxt InvalidOrder). */
  QTY_BELOW_FILLED: 110064,
  /** orderLinkId is duplicate (ccxt InvalidOrder). */
  DUPLICATE_LINK_ID: 110072,
  /** The position may exceed its maximum (ccxt ExchangeError). */
  POSITION_LIMIT: 110090,
  /** expect Rising, but trigger_price <= current (ccxt InvalidOrder). */
  TRIGGER_RISING: 110092,
  /** expect Falling, but trigger_price >= current (ccxt InvalidOrder). */
  TRIGGER_FALLING: 110093,
  /** Not modified: the TP/SL value is already set (trading-stop). */
  NOT_MODIFIED: 34040,
  /** Settlement in progress: the delivery contract is not available for trading (error.mdx 110063). */
  SETTLING: 110063,
  /** This contract is not live: delivered and settled (error.mdx 110074). */
  NOT_LIVE: 110074,
  /** Set margin mode failed (ccxt ExchangeError). */
  SET_MARGIN_MODE_FAILED: 3400045,
});

export class BybitError extends Error {
  override name = 'BybitError';
  constructor(readonly retCode: number, message: string, readonly httpStatus = 200, readonly result: unknown = {}) {
    super(message);
  }
}

export const ok = (result: unknown, now: number, extInfo: Record<string, unknown> = {}): BybitEnvelope =>
  ({ retCode: Code.OK, retMsg: 'OK', result, retExtInfo: extInfo, time: now });

export const failure = (error: BybitError, now: number): BybitEnvelope =>
  ({ retCode: error.retCode, retMsg: error.message, result: error.result, retExtInfo: {}, time: now });

/** Parameter errors: 10001 with Bybit's "params error" wording and what to send instead. */
export const paramsError = (message: string): BybitError => new BybitError(Code.PARAMS, `params error: ${message}`);

/** An engine refusal in Bybit's words. */
export function fromEngineError(error: CommandError): BybitError {
  switch (error.code) {
    case 'UNKNOWN_ORDER': return new BybitError(Code.ORDER_NOT_EXISTS, `Order does not exist. ${error.message}`);
    case 'UNKNOWN_SYMBOL': return paramsError(`symbol invalid: ${error.message}`);
    case 'INSUFFICIENT_BALANCE': return new BybitError(Code.INSUFFICIENT_AVAILABLE, `Insufficient available balance. ${error.message}`);
    case 'TOO_MANY_OPEN_ORDERS': return new BybitError(Code.TOO_MANY_ORDERS, `Not allowed to have more active orders. ${error.message}`);
    case 'HAS_OPEN_POSITION_OR_ORDER': return new BybitError(Code.MODE_HAS_POSITION, `You have an existing position or open orders. ${error.message}`);
    case 'NO_POSITION': return paramsError(error.message);
    case 'INJECTED_REJECTION': return new BybitError(Number(error.exchangeCode), error.message);
    case 'NO_CHANGE': return paramsError(`The order remains unchanged as the parameters entered match the existing ones. ${error.message}`);
    case 'ORDER_NOT_AMENDABLE': return amendRefusal(error.message);
    case 'UNKNOWN_ACCOUNT': return new BybitError(Code.INVALID_KEY, 'API key is invalid: its account no longer exists.');
    case 'INVALID_ARGUMENT': return paramsError(error.message);
    // A plan order's own trigger is 110092 / 110093 (order-commands.ts); here a take profit / stop loss on the wrong side of its price.
    case 'WOULD_TRIGGER_IMMEDIATELY': return paramsError(error.message);
    case 'TOO_MANY_CONDITIONAL_ORDERS': return new BybitError(Code.STOP_ORDERS_LIMIT, `The number of stop orders exceeds the maximum allowable limit. ${error.message}`);
    // The engine says which: past the delivery time and being settled, or settled for good.
    case 'SYMBOL_NOT_TRADING': return error.message.includes('being settled')
      ? new BybitError(Code.SETTLING, `Settlement in progress! not available for trading. ${error.message}`)
      : new BybitError(Code.NOT_LIVE, `This contract is not live. ${error.message}`);
  }
}

/** The engine's amendment refusals carry their cause in the message; Bybit has a code for each. */
function amendRefusal(message: string): BybitError {
  if (message.includes('price band')) return new BybitError(Code.PRICE_RANGE, `Order price exceeds the allowable range. ${message}`);
  if (message.includes('available balance')) return new BybitError(Code.INSUFFICIENT_BALANCE, `Available balance is insufficient. ${message}`);
  if (message.includes('reduce-only') || message.includes('closing order')) return new BybitError(Code.REDUCE_ONLY, `Reduce-only rule not satisfied. ${message}`);
  return paramsError(message);
}

/** An order the engine refused by a business rule (state REJECTED) as the error Bybit's create answers. */
export function fromRejection(reason: OrderReason, orderId: number): BybitError {
  const id = `(order ${orderId} rejected)`;
  switch (reason) {
    case 'INSUFFICIENT_MARGIN': return new BybitError(Code.INSUFFICIENT_BALANCE, `Available balance is insufficient. ${id}`);
    case 'REDUCE_ONLY_WOULD_INCREASE': return new BybitError(Code.REDUCE_ONLY, `Reduce-only rule not satisfied: the quantity exceeds what the position can close. ${id}`);
    case 'PRICE_OUTSIDE_BAND': return new BybitError(Code.PRICE_RANGE, `Order price exceeds the allowable range around the mark price. ${id}`);
    case 'NO_REFERENCE_PRICE': return paramsError(`no mark or last price yet for a market order ${id}`);
    case 'POSITION_LIMIT': return new BybitError(Code.POSITION_LIMIT, `Order placement failed as your position may exceed the max limit. ${id}`);
    default: return paramsError(`order rejected: ${reason} ${id}`);
  }
}
