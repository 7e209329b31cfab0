/**
 * Placing and cancelling one algo order, for REST (`POST` / `DELETE /fapi/v1/algoOrder`,
 * rest-algo.ts) and the WebSocket API (`algoOrder.place` / `algoOrder.cancel`, ws-api.ts), which
 * Binance documents with the same parameters and answers.
 */
import type { ConditionalSnapshot, PlaceConditional } from '../../engine/types.js';
import type { Exchange } from '../../service/exchange.js';
import { algoObject, conditionalIdOf, newAlgoObject } from './algo.js';
import { onlyKnownParams, readAlgoOrder } from './algo-params.js';
import { GENERATED_CLIENT_ID_PREFIX } from './encode.js';
import { BinanceError, ERR, fromEngine, illegal } from './errors.js';
import { clientOrderIdParam, optional, optionalSymbol, type Params } from './params.js';
import type { BinanceSymbol, BinanceSymbols } from './symbols.js';
import { accountOf } from './views.js';

type Json = Record<string, unknown>;

export type AlgoRef = { conditionalId: number; clientOrderId?: undefined } | { conditionalId?: undefined; clientOrderId: string };

const SIGNED = ['recvWindow', 'timestamp', 'signature'];
/** GET and DELETE /fapi/v1/algoOrder (and algoOrder.cancel): the page's parameters, and the symbol ccxt sends. */
export const ONE_ALGO_PARAMS: ReadonlySet<string> = new Set(['algoId', 'clientAlgoId', 'symbol', ...SIGNED]);

/** algoId or clientAlgoId ("Either algoId or clientAlgoId must be sent"); our generated client ids name the id. */
export function algoRef(params: Params): AlgoRef {
  const algoId = optional(params, 'algoId');
  if (algoId !== undefined) {
    if (!/^\d{1,16}$/.test(algoId)) throw illegal('algoId', 'send the numeric algo id');
    // A number that is no algo id names nothing (0 is no engine id).
    return { conditionalId: conditionalIdOf(Number(algoId)) ?? 0 };
  }
  const clientAlgoId = clientOrderIdParam(params, 'clientAlgoId');
  if (clientAlgoId === undefined) throw new BinanceError(ERR.MANDATORY_PARAM, 'Param algoId or clientAlgoId must be sent, but both were empty/null!');
  const generated = clientAlgoId.slice(GENERATED_CLIENT_ID_PREFIX.length);
  if (clientAlgoId.startsWith(GENERATED_CLIENT_ID_PREFIX) && /^\d{1,15}$/.test(generated)) return { conditionalId: Number(generated) };
  return { clientOrderId: clientAlgoId };
}

/**
 * A trailing stop's activation price. Sent: it must still be ahead of the market — "For
 * TRAILING_STOP_MARKET, -2021 Order would immediately trigger means … BUY: activatePrice should be
 * smaller than latest price. SELL: activatePrice should be larger than latest price" (New Algo
 * Order); the engine would arm it at once instead. Not sent: "default as the latest price
 * (supporting different workingType)", so the order records the price it armed at.
 */
function withActivation(command: Omit<PlaceConditional, 'time'>, market: { lastPrice: number | null; markPrice: number | null } | undefined): Omit<PlaceConditional, 'time'> {
  if (command.kind !== 'TRAILING' || market === undefined) return command;
  const latest = command.triggerSource === 'MARK' ? market.markPrice : market.lastPrice;
  // No price yet: the engine refuses a trailing stop with nothing to trail from.
  if (latest === null) return command;
  if (command.activationPrice === undefined) return { ...command, activationPrice: latest };
  if (command.side === 'SELL' ? command.activationPrice <= latest : command.activationPrice >= latest) {
    throw new BinanceError(ERR.ORDER_WOULD_IMMEDIATELY_TRIGGER, 'Order would immediately trigger.');
  }
  return command;
}

export const matches = (c: ConditionalSnapshot, ref: AlgoRef): boolean =>
  ref.conditionalId !== undefined ? c.conditionalId === ref.conditionalId : c.clientOrderId === ref.clientOrderId;

/** The account's waiting algo order (of `only`'s symbol when given). */
export function waitingAlgo(exchange: Exchange, accountId: number, ref: AlgoRef, only: BinanceSymbol | undefined): ConditionalSnapshot | undefined {
  return accountOf(exchange, accountId).view.conditionals.find((c) => matches(c, ref) && (only === undefined || c.symbol === only.config.symbol));
}

/** New Algo Order: the algo object as Binance answers it. */
export async function placeAlgoOrder(exchange: Exchange, symbols: BinanceSymbols, accountId: number, params: Params): Promise<Json> {
  const { view } = accountOf(exchange, accountId);
  const read = readAlgoOrder(params, symbols, accountId, view.positionMode);
  const clientOrderId = read.command.clientOrderId;
  // Client ids are unique across live orders and waiting algo orders.
  if (clientOrderId !== undefined && (view.orders.some((o) => o.clientOrderId === clientOrderId) || (read.closeAll && view.conditionals.some((c) => c.clientOrderId === clientOrderId)))) {
    throw new BinanceError(ERR.DUPLICATED_CLIENT_ORDER_ID, 'ClientOrderId is duplicated.');
  }
  if (read.closeAll) {
    const { command, leg, side } = read;
    // GTE_GTC: a position this order closes ("If triggered, close all current long position (if SELL)
    // or current short position (if BUY)"), and no other close-all order of its kind on it.
    const position = view.positions.find((p) => p.symbol === command.symbol && p.positionSide === command.positionSide);
    if (position === undefined || position.qty === 0 || (position.qty > 0) !== (side === 'SELL')) {
      throw new BinanceError(ERR.GTE_NEEDS_POSITION, 'Time in Force (TIF) GTE can only be used with open positions. Please ensure that positions are available.');
    }
    if (view.conditionals.some((c) => c.symbol === command.symbol && c.positionSide === command.positionSide && c.kind === leg && c.tpslMode === 'FULL')) {
      throw new BinanceError(ERR.GTE_CLOSE_POSITION_EXISTS, 'An open stop or take profit order with GTE and closePosition in the direction is existing.');
    }
    const { result } = await exchange.execute(command);
    if (!result.ok) throw fromEngine(result);
    const made = result.kind === 'conditionals' ? result.conditionals.find((c) => c.kind === leg && c.state === 'WAITING') : undefined;
    if (made === undefined) throw new BinanceError(ERR.UNKNOWN, 'An unknown error occurred while processing the request.', 500);
    return newAlgoObject(read.symbol, made);
  }
  const command = withActivation(read.command, exchange.engine.market(read.command.symbol));
  const { result } = await exchange.execute(command);
  if (!result.ok) throw fromEngine(result);
  if (result.kind !== 'conditional') throw new BinanceError(ERR.UNKNOWN, 'An unknown error occurred while processing the request.', 500);
  if (result.duplicate) throw new BinanceError(ERR.DUPLICATED_CLIENT_ORDER_ID, 'ClientOrderId is duplicated.');
  return newAlgoObject(read.symbol, result.conditional);
}

/** Cancel Algo Order: `{algoId, clientAlgoId, code: "200", msg: "success"}`; -2011 unless it is waiting. */
export async function cancelAlgoOrder(exchange: Exchange, symbols: BinanceSymbols, accountId: number, params: Params, endpoint: string): Promise<Json> {
  onlyKnownParams(params, ONE_ALGO_PARAMS, endpoint);
  const only = optionalSymbol(params, symbols);
  const found = waitingAlgo(exchange, accountId, algoRef(params), only);
  // Ended (triggered, cancelled, expired) or unknown: nothing to cancel.
  if (found === undefined) throw new BinanceError(ERR.CANCEL_REJECTED, 'Unknown order sent.');
  const { result } = await exchange.execute({ type: 'cancelConditional', accountId, symbol: found.symbol, conditionalId: found.conditionalId });
  if (!result.ok) throw fromEngine(result);
  const { algoId, clientAlgoId } = algoObject(symbols.of(found.symbol), found, undefined);
  return { algoId, clientAlgoId, code: '200', msg: 'success' };
}
