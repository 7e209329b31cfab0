/**
 * `POST /v5/position/trading-stop` (position/trading-stop.mdx): the take profit, stop loss and
 * trailing stop of a position, as the engine's setPositionTpsl. Full: the position's one TP, SL
 * and trailing stop (each replaced when given, cancelled by "0", left alone when absent), closing
 * the whole position at Market. Partial: a new TP/SL pair for `tpSize` = `slSize`, Market or
 * Limit. "Passing these parameters will create conditional orders by the system internally": they
 * are listed and pushed as conditional orders (stopOrderType TakeProfit, StopLoss, TrailingStop,
 * PartialTakeProfit, PartialStopLoss), and the position shows its Full ones.
 */
import type { FastifyInstance } from 'fastify';
import type { PositionSide, SetPositionTpsl } from '../../engine/types.js';
import { tradingStopOf } from './conditional-params.js';
import { BybitError, Code, fromEngineError, ok, paramsError } from './envelope.js';
import { callerOf, contractsOf, optionalInteger, optionalString, paramsOf, requireContract, symbolOf } from './params.js';
import type { BybitRestOptions } from './rest.js';
import { onlyParams } from './rest-history.js';
import { snapshotOf } from './rest-account.js';

/** trading-stop's documented parameters; anything else is refused, not ignored. */
const PARAMS = [
  'category', 'symbol', 'tpslMode', 'positionIdx', 'takeProfit', 'stopLoss', 'trailingStop', 'tpTriggerBy', 'slTriggerBy', 'activePrice',
  'tpSize', 'slSize', 'tpLimitPrice', 'slLimitPrice', 'tpOrderType', 'slOrderType',
];

export async function tpslRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  app.post('/v5/position/trading-stop', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, PARAMS);
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    // Documented as required; ccxt's requests (trailingAmount, stopLossPrice with takeProfitPrice)
    // leave it out in one-way mode and Bybit takes 0, so absent is 0.
    const idx = optionalInteger(params, 'positionIdx', 0, 2) ?? 0;
    const mode = snapshotOf(exchange, accountId).view.positionMode;
    if ((mode === 'HEDGE') !== (idx !== 0)) {
      throw paramsError(`position idx not match position mode: the account is in ${mode === 'HEDGE' ? 'hedge mode (positionIdx 1 buy side, 2 sell side)' : 'one-way mode (positionIdx 0)'}`);
    }
    const positionSide: PositionSide = idx === 0 ? 'BOTH' : idx === 1 ? 'LONG' : 'SHORT';
    const stop = tradingStopOf(params, config, (name) => (optionalString(params, name) === undefined ? undefined : contractsOf(params, name, config)));
    const position = snapshotOf(exchange, accountId).view.positions.find((p) => p.symbol === config.symbol && p.positionSide === positionSide);
    if (position === undefined || position.qty === 0) throw paramsError('can not set tp/sl/ts for zero position');
    const command: Omit<SetPositionTpsl, 'time'> = { type: 'setPositionTpsl', accountId, symbol: config.symbol, positionSide, ...stop };
    const { result } = await exchange.execute(command);
    if (!result.ok) {
      if (result.code === 'NO_CHANGE') throw new BybitError(Code.NOT_MODIFIED, `not modified: ${result.message}`);
      if (result.code === 'NO_POSITION') throw paramsError(`can not set tp/sl/ts for zero position. ${result.message}`);
      throw fromEngineError(result);
    }
    return ok({}, exchange.now());
  });
}
