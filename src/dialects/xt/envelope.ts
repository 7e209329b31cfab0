/**
 * XT's futures response envelope `{returnCode, msgInfo, error, result}` and its error codes,
 * chosen so that ccxt raises the intended exception class (docs/dialects/xt-rest.md §1.5).
 */
import type { CommandError, OrderReason } from '../../engine/types.js';

export interface XtEnvelope {
  returnCode: 0 | 1;
  msgInfo: 'success' | 'failure';
  error: { code: string; msg: string } | null;
  result: unknown;
  /** perpstream extension: the account `seq` an account snapshot reflects, and the stream's epoch. */
  seq?: number;
  epoch?: string;
}

export class XtError extends Error {
  override name = 'XtError';
  constructor(readonly code: string, message: string, readonly httpStatus = 200) {
    super(message);
  }
}

export const ok = (result: unknown, stream?: { seq: number; epoch: string }): XtEnvelope =>
  stream === undefined
    ? { returnCode: 0, msgInfo: 'success', error: null, result }
    : { returnCode: 0, msgInfo: 'success', error: null, result, seq: stream.seq, epoch: stream.epoch };

export const failure = (code: string, msg: string): XtEnvelope => ({ returnCode: 1, msgInfo: 'failure', error: { code, msg }, result: null });

/** Parameter errors: BadRequest in ccxt. */
export const invalidParams = (message: string): XtError => new XtError('COMMON_003', `invalid_params: ${message}`);
/** Order-shaped errors: InvalidOrder in ccxt. */
export const invalidOrder = (message: string): XtError => new XtError('ORDER_001', message);

/** An engine refusal in XT's words. */
export function fromEngineError(error: CommandError): XtError {
  switch (error.code) {
    case 'UNKNOWN_ORDER': return new XtError('ORDER_005', `order not exist: ${error.message}`);
    case 'UNKNOWN_SYMBOL': return new XtError('SYMBOL_001', `invalid_symbol: ${error.message}`);
    case 'INSUFFICIENT_BALANCE': return new XtError('insufficient_balance', `insufficient balance: ${error.message}`);
    case 'TOO_MANY_OPEN_ORDERS': return new XtError('ORDER_006', `too many open orders: ${error.message}`);
    case 'HAS_OPEN_POSITION_OR_ORDER': return new XtError('position_exists', `position_exists: ${error.message}`);
    case 'NO_POSITION': return new XtError('invalid_params', `invalid_params: ${error.message}`);
    case 'ORDER_NOT_AMENDABLE':
    case 'NO_CHANGE': return invalidOrder(`invalid_order: ${error.message}`);
    case 'WOULD_TRIGGER_IMMEDIATELY': return invalidOrder(`invalid_stop_price: ${error.message}`);
    case 'TOO_MANY_CONDITIONAL_ORDERS': return new XtError('ORDER_006', `too many open orders: ${error.message}`);
    // A delivery contract at or past its delivery time (XT's order and entrust pages: symbol_is_not_trading).
    case 'SYMBOL_NOT_TRADING': return new XtError('symbol_is_not_trading', `symbol_is_not_trading: ${error.message}`);
    case 'UNKNOWN_ACCOUNT':
    case 'INVALID_ARGUMENT': return invalidParams(error.message);
    case 'INJECTED_REJECTION': return new XtError(error.exchangeCode!, error.message);
  }
}

/** An order the engine refused by a business rule (state REJECTED). */
export function fromRejection(reason: OrderReason, orderId: number): XtError {
  const id = `order ${orderId} rejected`;
  switch (reason) {
    case 'INSUFFICIENT_MARGIN': return new XtError('insufficient_balance', `insufficient balance: ${id}: not enough available margin`);
    case 'REDUCE_ONLY_WOULD_INCREASE': return invalidOrder(`more_than_available: ${id}: the close quantity exceeds availableCloseSize`);
    case 'POST_ONLY_WOULD_TAKE': return invalidOrder(`post_only_would_take: ${id}: a GTX order may not take liquidity`);
    case 'PRICE_OUTSIDE_BAND': return invalidOrder(`invalid_price: ${id}: the price is outside the band around the mark price`);
    case 'NO_REFERENCE_PRICE': return invalidOrder(`invalid_order: ${id}: no mark or last price yet for a market order`);
    case 'POSITION_LIMIT': return invalidOrder(`invalid_quantity: ${id}: the position would exceed the symbol's maximum`);
    case 'RISK_LIMIT': return invalidOrder(`invalid_quantity: ${id}: the position and open orders would reach a risk tier whose maximum leverage is below the leverage; lower the leverage or the size`);
    default: return invalidOrder(`invalid_order: ${id} (${reason})`);
  }
}
