/**
 * Binance's algo (conditional) order endpoints, where USDⓈ-M futures took STOP, STOP_MARKET,
 * TAKE_PROFIT, TAKE_PROFIT_MARKET and TRAILING_STOP_MARKET on 2025-12-09 (derivatives change log,
 * 2025-11-06): POST / GET / DELETE /fapi/v1/algoOrder, DELETE /fapi/v1/algoOpenOrders,
 * GET /fapi/v1/openAlgoOrders and GET /fapi/v1/allAlgoOrders. Modifying a waiting algo order is
 * not supported (same change log), so there is no PUT.
 *
 * GET and DELETE /fapi/v1/algoOrder take no symbol on Binance's pages; ccxt sends one anyway, and it
 * is used as a filter (an algo order of another symbol is not found) rather than ignored. Placing
 * and cancelling one are shared with the WebSocket API (algo-calls.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ConditionalSnapshot, OrderSnapshot } from '../../engine/types.js';
import { algoIdOf, algoObject } from './algo.js';
import { algoRef, cancelAlgoOrder, matches, ONE_ALGO_PARAMS, placeAlgoOrder, waitingAlgo, type AlgoRef } from './algo-calls.js';
import { onlyKnownParams } from './algo-params.js';
import { BinanceError, ERR, fromEngine } from './errors.js';
import { integerParam, optional, optionalSymbol, symbolParam } from './params.js';
import { credentialOf } from './rest-account.js';
import type { BinanceRestOptions } from './rest.js';
import type { BinanceSymbol } from './symbols.js';
import { accountOf } from './views.js';

const SIGNED = ['recvWindow', 'timestamp', 'signature'];
const OPEN_ALGO_PARAMS: ReadonlySet<string> = new Set(['algoType', 'symbol', 'algoId', ...SIGNED]);
const ALL_ALGO_PARAMS: ReadonlySet<string> = new Set(['symbol', 'algoId', 'startTime', 'endTime', 'page', 'limit', ...SIGNED]);
const CANCEL_ALL_PARAMS: ReadonlySet<string> = new Set(['symbol', ...SIGNED]);

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

export async function algoRoutes(app: FastifyInstance, options: BinanceRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  /** The order a triggered conditional placed, live or finished. */
  const placedOrder = (accountId: number, c: ConditionalSnapshot): OrderSnapshot | undefined => {
    if (c.orderId === null) return undefined;
    return accountOf(exchange, accountId).view.orders.find((o) => o.orderId === c.orderId) ?? exchange.history.finishedOrder(accountId, c.orderId);
  };

  const shown = (accountId: number, c: ConditionalSnapshot): Record<string, unknown> => algoObject(symbols.of(c.symbol), c, placedOrder(accountId, c));

  /** The account's algo order, waiting or recently ended. */
  const findAlgo = (accountId: number, ref: AlgoRef, only: BinanceSymbol | undefined): ConditionalSnapshot | undefined => {
    const live = waitingAlgo(exchange, accountId, ref, only);
    if (live !== undefined) return live;
    const done = ref.conditionalId !== undefined ? exchange.history.finishedConditional(accountId, ref.conditionalId)
      : exchange.history.finishedConditionals(accountId).find((c) => matches(c, ref));
    return done !== undefined && (only === undefined || done.symbol === only.config.symbol) ? done : undefined;
  };

  app.post('/fapi/v1/algoOrder', async (request) => {
    const { accountId, params } = credentialOf(request);
    return placeAlgoOrder(exchange, symbols, accountId, params);
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
    return cancelAlgoOrder(exchange, symbols, accountId, params, 'DELETE /fapi/v1/algoOrder');
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
