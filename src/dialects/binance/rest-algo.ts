/**
 * Binance's algo (conditional) order endpoints, where USDⓈ-M futures took STOP, STOP_MARKET,
 * TAKE_PROFIT, TAKE_PROFIT_MARKET and TRAILING_STOP_MARKET on 2025-12-09 (derivatives change log,
 * 2025-11-06): POST / GET / DELETE /fapi/v1/algoOrder, DELETE /fapi/v1/algoOpenOrders,
 * GET /fapi/v1/openAlgoOrders and GET /fapi/v1/allAlgoOrders. Modifying a waiting algo order is
 * not supported (same change log), so there is no PUT.
 *
 * GET and DELETE /fapi/v1/algoOrder take no symbol on Binance's pages; ccxt sends one anyway, and it
 * is used as a filter (an algo order of another symbol is not found) rather than ignored.
 */
import type { FastifyInstance } from 'fastify';
import type { ConditionalSnapshot, OrderSnapshot, PlaceConditional } from '../../engine/types.js';
import { algoIdOf, algoObject, conditionalIdOf, newAlgoObject } from './algo.js';
import { onlyKnownParams, readAlgoOrder } from './algo-params.js';
import { GENERATED_CLIENT_ID_PREFIX } from './encode.js';
import { BinanceError, ERR, fromEngine, illegal } from './errors.js';
import { clientOrderIdParam, integerParam, optional, optionalSymbol, symbolParam, type Params } from './params.js';
import { credentialOf } from './rest-account.js';
import type { BinanceRestOptions } from './rest.js';
import type { BinanceSymbol } from './symbols.js';
import { accountOf } from './views.js';

type AlgoRef = { conditionalId: number; clientOrderId?: undefined } | { conditionalId?: undefined; clientOrderId: string };

const SIGNED = ['recvWindow', 'timestamp', 'signature'];
const ONE_ALGO_PARAMS: ReadonlySet<string> = new Set(['algoId', 'clientAlgoId', 'symbol', ...SIGNED]);
const OPEN_ALGO_PARAMS: ReadonlySet<string> = new Set(['algoType', 'symbol', 'algoId', ...SIGNED]);
const ALL_ALGO_PARAMS: ReadonlySet<string> = new Set(['symbol', 'algoId', 'startTime', 'endTime', 'page', 'limit', ...SIGNED]);
const CANCEL_ALL_PARAMS: ReadonlySet<string> = new Set(['symbol', ...SIGNED]);

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

/** algoId or clientAlgoId ("Either algoId or clientAlgoId must be sent"); our generated client ids name the id. */
function algoRef(params: Params): AlgoRef {
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

const matches = (c: ConditionalSnapshot, ref: AlgoRef): boolean =>
  ref.conditionalId !== undefined ? c.conditionalId === ref.conditionalId : c.clientOrderId === ref.clientOrderId;

export async function algoRoutes(app: FastifyInstance, options: BinanceRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  /** The order a triggered conditional placed, live or finished. */
  const placedOrder = (accountId: number, c: ConditionalSnapshot): OrderSnapshot | undefined => {
    if (c.orderId === null) return undefined;
    return accountOf(exchange, accountId).view.orders.find((o) => o.orderId === c.orderId) ?? exchange.history.finishedOrder(accountId, c.orderId);
  };

  const shown = (accountId: number, c: ConditionalSnapshot): Record<string, unknown> => algoObject(symbols.of(c.symbol), c, placedOrder(accountId, c));

  /** A waiting algo order of the account (of `only`'s symbol when given). */
  const waiting = (accountId: number, ref: AlgoRef, only: BinanceSymbol | undefined): ConditionalSnapshot | undefined =>
    accountOf(exchange, accountId).view.conditionals.find((c) => matches(c, ref) && (only === undefined || c.symbol === only.config.symbol));

  /** The account's algo order, waiting or recently ended. */
  const findAlgo = (accountId: number, ref: AlgoRef, only: BinanceSymbol | undefined): ConditionalSnapshot | undefined => {
    const live = waiting(accountId, ref, only);
    if (live !== undefined) return live;
    const done = ref.conditionalId !== undefined ? exchange.history.finishedConditional(accountId, ref.conditionalId)
      : exchange.history.finishedConditionals(accountId).find((c) => matches(c, ref));
    return done !== undefined && (only === undefined || done.symbol === only.config.symbol) ? done : undefined;
  };

  app.post('/fapi/v1/algoOrder', async (request) => {
    const { accountId, params } = credentialOf(request);
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
  });

  app.get('/fapi/v1/algoOrder', async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyKnownParams(params, ONE_ALGO_PARAMS, 'GET /fapi/v1/algoOrder');
    const only = optionalSymbol(params, symbols);
    const found = findAlgo(accountId, algoRef(params), only);
    if (found === undefined) throw new BinanceError(ERR.NO_SUCH_ORDER, 'Order does not exist.');
    return shown(accountId, found);
  });

  app.delete('/fapi/v1/algoOrder', async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyKnownParams(params, ONE_ALGO_PARAMS, 'DELETE /fapi/v1/algoOrder');
    const only = optionalSymbol(params, symbols);
    const found = waiting(accountId, algoRef(params), only);
    // Ended (triggered, cancelled, expired) or unknown: nothing to cancel.
    if (found === undefined) throw new BinanceError(ERR.CANCEL_REJECTED, 'Unknown order sent.');
    const { result } = await exchange.execute({ type: 'cancelConditional', accountId, symbol: found.symbol, conditionalId: found.conditionalId });
    if (!result.ok) throw fromEngine(result);
    const { algoId, clientAlgoId } = algoObject(symbols.of(found.symbol), found, undefined);
    return { algoId, clientAlgoId, code: '200', msg: 'success' };
  });

  app.delete('/fapi/v1/algoOpenOrders', async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyKnownParams(params, CANCEL_ALL_PARAMS, 'DELETE /fapi/v1/algoOpenOrders');
    const symbol = symbolParam(params, symbols);
    const { result } = await exchange.execute({ type: 'cancelAllConditionals', accountId, symbol: symbol.config.symbol });
    if (!result.ok) throw fromEngine(result);
    return { code: 200, msg: 'The operation of cancel all open order is done.' };
  });

  app.get('/fapi/v1/openAlgoOrders', async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyKnownParams(params, OPEN_ALGO_PARAMS, 'GET /fapi/v1/openAlgoOrders');
    const algoType = optional(params, 'algoType');
    if (algoType !== undefined && algoType !== 'CONDITIONAL') {
      throw new BinanceError(ERR.INVALID_PARAM, "Data sent for parameter 'algoType' is not valid: only CONDITIONAL is supported.");
    }
    const only = optionalSymbol(params, symbols);
    const algoId = integerParam(params, 'algoId', 0, Number.MAX_SAFE_INTEGER);
    return accountOf(exchange, accountId).view.conditionals
      .filter((c) => (only === undefined || c.symbol === only.config.symbol) && (algoId === undefined || algoIdOf(c.conditionalId) === algoId))
      .map((c) => algoObject(symbols.of(c.symbol), c, undefined));
  });

  app.get('/fapi/v1/allAlgoOrders', async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyKnownParams(params, ALL_ALGO_PARAMS, 'GET /fapi/v1/allAlgoOrders');
    const symbol = symbolParam(params, symbols);
    const fromId = integerParam(params, 'algoId', 0, Number.MAX_SAFE_INTEGER);
    const startTime = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const endTime = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    const page = integerParam(params, 'page', 1, 1_000_000) ?? 1;
    const limit = integerParam(params, 'limit', 1, 1000) ?? 500;
    // "The query time period must be less then 7 days (default as the recent 7 days)."
    if (startTime !== undefined && endTime !== undefined && (endTime < startTime || endTime - startTime > SEVEN_DAYS_MS)) {
      throw new BinanceError(ERR.INVALID_TIME_INTERVAL, 'Invalid time interval: endTime must follow startTime, at most 7 days later.');
    }
    const from = startTime ?? (endTime !== undefined ? endTime - SEVEN_DAYS_MS : exchange.now() - SEVEN_DAYS_MS);
    const to = endTime ?? from + SEVEN_DAYS_MS;
    const name = symbol.config.symbol;
    const all = [
      ...accountOf(exchange, accountId).view.conditionals.filter((c) => c.symbol === name),
      ...exchange.history.finishedConditionals(accountId).filter((c) => c.symbol === name),
    ].filter((c) => c.createTime >= from && c.createTime <= to && (fromId === undefined || algoIdOf(c.conditionalId) >= fromId))
      .sort((a, b) => a.conditionalId - b.conditionalId);
    // From algoId on: the first ones; otherwise the most recent ones. `page` steps past `limit` at a time.
    const skip = (page - 1) * limit;
    const chosen = fromId !== undefined ? all.slice(skip, skip + limit) : all.slice(Math.max(0, all.length - skip - limit), Math.max(0, all.length - skip));
    return chosen.map((c) => shown(accountId, c));
  });
}
