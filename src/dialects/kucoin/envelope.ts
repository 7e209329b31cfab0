/**
 * KuCoin's response envelope `{"code":"200000","data":…}` and its errors `{"code","msg"}`, with
 * codes chosen from KuCoin's own list so that clients (ccxt 4.5.84 among them) raise the intended
 * error: 400001–400005 → AuthenticationError (400002 InvalidNonce), 400100 → BadRequest,
 * 300000 → InvalidOrder, 300003 → InsufficientFunds, 300004 (too many stop orders) → ExchangeError, 100001 → OrderNotFound, 100004 → BadRequest,
 * 330005 / 330012 → InvalidOrder, 404000 → NotSupported, 500000 → ExchangeNotAvailable; 300015 (being settled)
 * and 100003 (a settled contract) have no ccxt class: ExchangeError.
 * Authentication errors come with HTTP 401, parameter errors with 400, unknown paths with 404;
 * business errors (orders, positions) with HTTP 200, as KuCoin sends them.
 */
import type { CommandError, OrderReason } from '../../engine/types.js';
import type { JsonValue } from './json.js';

export const SUCCESS = '200000';

export class KucoinError extends Error {
  override name = 'KucoinError';
  constructor(readonly code: string, message: string, readonly httpStatus = 200) {
    super(message);
  }
}

export const ok = (data: JsonValue): { code: string; data: JsonValue } => ({ code: SUCCESS, data });
export const failure = (code: string, msg: string): { code: string; msg: string } => ({ code, msg });

/** A parameter that is missing or malformed. */
export const badParam = (message: string): KucoinError => new KucoinError('400100', message, 400);
/** An order the rules refuse. */
export const invalidOrder = (message: string): KucoinError => new KucoinError('300000', message);
export const orderNotFound = (message: string): KucoinError => new KucoinError('100001', `order not exist: ${message}`);

/** KuCoin's 300015: no order placing while the contract is being settled (a quarterly from its delivery time on). */
export const beingSettled = (message: string): KucoinError => new KucoinError('300015',
  `The order placing/cancellation is currently not available. The Contract/Funding is under the settlement process: ${message}`);
/** KuCoin's 100003 for a contract that no longer trades: a quarterly delivered and settled (status Settled). */
export const settledContract = (name: string, message: string): KucoinError => new KucoinError('100003', `Contract parameter invalid: ${name} is settled (${message})`);

/** An engine refusal in KuCoin's words. */
export function fromEngineError(error: CommandError): KucoinError {
  switch (error.code) {
    case 'UNKNOWN_ORDER': return orderNotFound(error.message);
    case 'UNKNOWN_SYMBOL': return badParam(error.message);
    case 'INSUFFICIENT_BALANCE': return new KucoinError('300003', `Balance insufficient: ${error.message}`);
    case 'NO_POSITION': return new KucoinError('300009', `No open positions: ${error.message}`);
    case 'UNKNOWN_ACCOUNT': return new KucoinError('400003', `the account of this KC-API-KEY no longer exists: ${error.message}`, 401);
    case 'INVALID_ARGUMENT':
      return badParam(error.message);
    // A quarterly at or past its delivery time (rest-trade.ts says 100003 once it is settled).
    case 'SYMBOL_NOT_TRADING': return beingSettled(error.message);
    case 'INJECTED_REJECTION': return new KucoinError(error.exchangeCode!, error.message);
    // KuCoin: 300004 "Stop order quantity limit exceeded (limit: xxx, current: xxx)".
    case 'TOO_MANY_CONDITIONAL_ORDERS': return new KucoinError('300004', `Stop order quantity limit exceeded: ${error.message}`);
    // KuCoin fires such a stop order at once; the engine refuses it (docs/dialects/kucoin.md, "Stop orders").
    case 'WOULD_TRIGGER_IMMEDIATELY': return invalidOrder(`the stop condition already holds, so the order would trigger immediately: ${error.message}`);
    case 'TOO_MANY_OPEN_ORDERS':
    case 'HAS_OPEN_POSITION_OR_ORDER':
    case 'ORDER_NOT_AMENDABLE':
    case 'NO_CHANGE':
      return invalidOrder(error.message);
  }
}

/** An order the engine refused by a business rule (state REJECTED): KuCoin refuses such an order outright. */
export function fromRejection(reason: OrderReason, orderId: number): KucoinError {
  const id = `order ${orderId} rejected`;
  switch (reason) {
    case 'INSUFFICIENT_MARGIN': return new KucoinError('300003', `Balance insufficient: ${id}: not enough available margin`);
    case 'REDUCE_ONLY_WOULD_INCREASE': return new KucoinError('300009', `No open positions to close: ${id}: a reduce-only order may not exceed the position`);
    case 'POST_ONLY_WOULD_TAKE': return invalidOrder(`${id}: a post-only order would take liquidity`);
    case 'PRICE_OUTSIDE_BAND': return invalidOrder(`${id}: the price is outside the band around the mark price`);
    case 'NO_REFERENCE_PRICE': return invalidOrder(`${id}: no mark or last price yet for a market order`);
    case 'POSITION_LIMIT': return invalidOrder(`${id}: the position would exceed the contract's maximum`);
    default: return invalidOrder(`${id} (${reason})`);
  }
}
