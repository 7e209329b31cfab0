/**
 * Binance's error shape `{code, msg}` with its codes and HTTP statuses (4xx for the client's
 * mistakes, 401 for API-key problems, 503 when the disk refused a command), and the mapping from
 * the engine's refusals.
 */
import type { CommandError, OrderReason } from '../../engine/types.js';

export class BinanceError extends Error {
  constructor(readonly code: number, message: string, readonly httpStatus = 400) {
    super(message);
  }
}

export const ERR = Object.freeze({
  UNKNOWN: -1000,
  DISCONNECTED: -1001,
  TOO_MANY_REQUESTS: -1003,
  TIMESTAMP: -1021,
  SIGNATURE: -1022,
  ILLEGAL_CHARS: -1100,
  TOO_MANY_PARAMS: -1101,
  MANDATORY_PARAM: -1102,
  UNKNOWN_PARAM: -1104,
  PARAM_NOT_REQUIRED: -1106,
  BAD_PRECISION: -1111,
  INVALID_TIF: -1115,
  INVALID_ORDER_TYPE: -1116,
  INVALID_SIDE: -1117,
  BAD_SYMBOL: -1121,
  INVALID_SYMBOL_STATUS: -1122,
  INVALID_LISTEN_KEY: -1125,
  BAD_RECV_WINDOW: -1131,
  INVALID_PARAM: -1130,
  INVALID_NEW_ORDER_RESP_TYPE: -1136,
  NEW_ORDER_REJECTED: -2010,
  CANCEL_REJECTED: -2011,
  NO_SUCH_ORDER: -2013,
  BAD_API_KEY_FMT: -2014,
  REJECTED_MBX_KEY: -2015,
  MARGIN_INSUFFICIENT: -2019,
  ORDER_WOULD_IMMEDIATELY_TRIGGER: -2021,
  REDUCE_ONLY_REJECT: -2022,
  MAX_POSITION: -2027,
  PRICE_LESS_THAN_ZERO: -4001,
  PRICE_GREATER_THAN_MAX_PRICE: -4002,
  QTY_LESS_THAN_ZERO: -4003,
  QTY_GREATER_THAN_MAX_QTY: -4005,
  STOP_PRICE_LESS_THAN_ZERO: -4006,
  STOP_PRICE_GREATER_THAN_MAX_PRICE: -4007,
  INVALID_PRICE_TICK: -4014,
  PRICE_HIGHER_THAN_MULTIPLIER_UP: -4016,
  PRICE_LOWER_THAN_MULTIPLIER_DOWN: -4024,
  INVALID_LEVERAGE: -4028,
  INVALID_WORKING_TYPE: -4031,
  MAX_STOP_ORDER_EXCEEDED: -4045,
  NO_NEED_TO_CHANGE_MARGIN_TYPE: -4046,
  OPEN_ORDERS_MARGIN_TYPE: -4047,
  POSITION_MARGIN_TYPE: -4048,
  ADD_ISOLATED_MARGIN_REJECT: -4050,
  ISOLATED_BALANCE_INSUFFICIENT: -4051,
  NO_NEED_TO_CHANGE_POSITION_SIDE: -4059,
  INVALID_POSITION_SIDE: -4061,
  POSITION_SIDE_NOT_MATCH: -4061,
  OPEN_ORDERS_POSITION_SIDE: -4067,
  POSITION_POSITION_SIDE: -4068,
  STOP_ORDER_SWITCH_ALGO: -4120,
  NO_REFERENCE_PRICE: -4131,
  INVALID_ACTIVATION_PRICE: -4135,
  TARGET_STRATEGY_INVALID: -4136,
  QUANTITY_EXISTS_WITH_CLOSE_POSITION: -4137,
  DUPLICATED_CLIENT_ORDER_ID: -4116,
  INVALID_TIME_INTERVAL: -4165,
  GTE_CLOSE_POSITION_EXISTS: -4130,
  GTE_NEEDS_POSITION: -4509,
  FOK_REJECTED: -5021,
  GTX_REJECTED: -5022,
  NO_NEED_TO_MODIFY: -5027,
});

export const missing = (name: string): BinanceError =>
  new BinanceError(ERR.MANDATORY_PARAM, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

export const illegal = (name: string, why: string): BinanceError =>
  new BinanceError(ERR.ILLEGAL_CHARS, `Illegal characters found in parameter '${name}'; ${why}.`);

/** A refused engine command as Binance would say it (the engine's message keeps the detail). */
export function fromEngine(error: CommandError): BinanceError {
  switch (error.code) {
    case 'UNKNOWN_ORDER': return new BinanceError(ERR.CANCEL_REJECTED, `Unknown order sent. (${error.message})`);
    case 'UNKNOWN_SYMBOL': return new BinanceError(ERR.BAD_SYMBOL, 'Invalid symbol.');
    // A delivery contract from its delivery time on: no longer TRADING.
    case 'SYMBOL_NOT_TRADING': return new BinanceError(ERR.INVALID_SYMBOL_STATUS, `Invalid symbol status. (${error.message})`);
    case 'INSUFFICIENT_BALANCE': return new BinanceError(ERR.MARGIN_INSUFFICIENT, `Margin is insufficient. (${error.message})`);
    case 'NO_CHANGE': return new BinanceError(ERR.NO_NEED_TO_MODIFY, 'No need to modify the order.');
    case 'ORDER_NOT_AMENDABLE': return new BinanceError(ERR.NEW_ORDER_REJECTED, `Order would be rejected: ${error.message}`);
    case 'TOO_MANY_OPEN_ORDERS': return new BinanceError(ERR.NEW_ORDER_REJECTED, `Reach max open order limit. (${error.message})`);
    case 'NO_POSITION': return new BinanceError(ERR.ADD_ISOLATED_MARGIN_REJECT, `Cannot add position margin: ${error.message}`);
    case 'WOULD_TRIGGER_IMMEDIATELY': return new BinanceError(ERR.ORDER_WOULD_IMMEDIATELY_TRIGGER, 'Order would immediately trigger.');
    case 'TOO_MANY_CONDITIONAL_ORDERS': return new BinanceError(ERR.MAX_STOP_ORDER_EXCEEDED, 'Reach max stop order limit.');
    case 'UNKNOWN_ACCOUNT': return new BinanceError(ERR.REJECTED_MBX_KEY, 'Invalid API-key, IP, or permissions for action.', 401);
    case 'INJECTED_REJECTION': return new BinanceError(Number(error.exchangeCode), error.message);
    default: return new BinanceError(ERR.INVALID_PARAM, `Invalid data sent for a parameter: ${error.message}`);
  }
}

/** An order the engine refused at placement (REJECTED / EXPIRED without a fill) as Binance's error. */
export function fromRefusedOrder(reason: OrderReason): BinanceError {
  switch (reason) {
    case 'INSUFFICIENT_MARGIN': return new BinanceError(ERR.MARGIN_INSUFFICIENT, 'Margin is insufficient.');
    case 'POST_ONLY_WOULD_TAKE': return new BinanceError(ERR.GTX_REJECTED, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history');
    case 'FOK_NOT_FILLABLE': return new BinanceError(ERR.FOK_REJECTED, 'Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history');
    case 'REDUCE_ONLY_WOULD_INCREASE': return new BinanceError(ERR.REDUCE_ONLY_REJECT, 'ReduceOnly Order is rejected.');
    case 'POSITION_LIMIT': return new BinanceError(ERR.MAX_POSITION, 'Exceeded the maximum allowable position at current leverage.');
    case 'NO_REFERENCE_PRICE': return new BinanceError(ERR.NO_REFERENCE_PRICE, 'The counterparty\'s best price does not meet the PERCENT_PRICE filter limit.');
    case 'PRICE_OUTSIDE_BAND': return new BinanceError(ERR.PRICE_HIGHER_THAN_MULTIPLIER_UP, 'Limit price can\'t be outside the price band around the mark price.');
    default: return new BinanceError(ERR.NEW_ORDER_REJECTED, `Order would be rejected (${reason}).`);
  }
}
