/**
 * XT user endpoints: the stream listenKey, balances, positions, break (liquidation) prices, account
 * info, and the account settings (leverage, margin type, isolated margin, position mode).
 * Account snapshots carry the `seq` they reflect, so "snapshot, then pushes with a higher seq" is exact.
 */
import type { FastifyInstance } from 'fastify';
import { formatAmount } from '../../engine/fixed.js';
import { formatPrice } from '../../engine/format.js';
import type { ConditionalSnapshot, PositionSide, PositionSnapshot } from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import type { Applied } from '../../engine/engine.js';
import type { Exchange } from '../../service/exchange.js';
import { fromEngineError, invalidParams, ok, XtError, type XtEnvelope } from './envelope.js';
import { AccountConditionals } from './conditionals.js';
import { xtBalance, xtPosition, xtPositionSide } from './encode.js';
import { XT_TRIGGER_PRICE_TYPE } from './entrust-objects.js';
import { issuedOrXtError, tooManyListenKeyRequests } from './listen-key-policy.js';
import { walletOnVenue } from './venue.js';
import {
  callerOf, marginAmountOf, onHost, type VenueScope, onlyParams, paramsOf, requiredEnum, requiredInteger, requiredString, symbolOf,
} from './params.js';
import type { XtRestOptions } from './rest.js';

function snapshot(exchange: Exchange, accountId: number): { seq: number; view: AccountView } {
  const state = exchange.engine.account(accountId);
  if (state === undefined) throw new XtError('AUTH_101', 'the account of this ApiKey no longer exists', 403);
  return state;
}

/**
 * Positions of the account's current mode on this host, LONG before SHORT within a symbol (ccxt's
 * fetchPosition takes the first).
 */
export function modePositions(scope: VenueScope, view: AccountView, symbol?: string): PositionSnapshot[] {
  return view.positions
    .filter((p) => (view.positionMode === 'HEDGE') === (p.positionSide !== 'BOTH') && (symbol === undefined ? onHost(scope, p.symbol) : p.symbol === symbol))
    .sort((a, b) => (a.symbol === b.symbol ? (xtPositionSide(a) === 'LONG' ? -1 : 1) : a.symbol < b.symbol ? -1 : 1));
}

/** The engine position side an XT request means by positionSide LONG / SHORT. */
export function enginePositionSide(view: AccountView, positionSide: 'LONG' | 'SHORT'): PositionSide {
  return view.positionMode === 'HEDGE' ? positionSide : 'BOTH';
}

export async function accountRoutes(app: FastifyInstance, options: XtRestOptions): Promise<void> {
  const { exchange, listenKeys, venue } = options;
  /** The account's wallets this host shows (venue.ts walletOnVenue), in XT's shape. */
  const wallets = (view: AccountView) => view.wallets.filter((w) => walletOnVenue(exchange.engine.symbols(), venue, w.asset)).map((w) => xtBalance(w, venue));
  const configOf = (symbol: string) => exchange.engine.symbols().find((c) => c.symbol === symbol)!;

  // A new key each time (XT's keys live 8 h and never give way to newer ones), within the rate and live-key bounds.
  const listenKey = async (request: Parameters<typeof callerOf>[0]) => {
    const accountId = callerOf(request);
    const now = exchange.now();
    if (!listenKeys.admitRequest(accountId, now)) throw tooManyListenKeyRequests(listenKeys.policy);
    return ok(await issuedOrXtError(listenKeys.issue(accountId, now)));
  };
  app.get('/future/user/v1/user/listen-key', listenKey);
  app.get('/future/v1/user/listen-key', listenKey);

  app.get('/future/user/v1/balance/list', async (request) => {
    const { seq, view } = snapshot(exchange, callerOf(request));
    return ok(wallets(view), { seq, epoch: exchange.epoch });
  });
  app.get('/future/user/v1/balance/detail', async (request) => {
    const coin = requiredString(paramsOf(request), 'coin').toUpperCase();
    const { seq, view } = snapshot(exchange, callerOf(request));
    const wallet = view.wallets.find((w) => w.asset === coin && walletOnVenue(exchange.engine.symbols(), venue, w.asset));
    return ok(wallet === undefined ? null : xtBalance(wallet, venue), { seq, epoch: exchange.epoch });
  });

  /**
   * The position's take-profit / stop-loss as XT's active-position query shows it (`profitId`,
   * `triggerProfitPrice`, `triggerStopPrice`, `triggerPriceType`; null when it has none): see
   * AccountConditionals.positionProfit for which pair a position shows.
   */
  const protection = (conditionals: AccountConditionals, p: PositionSnapshot): Record<string, unknown> => {
    const group = conditionals.positionProfit(p.symbol, p.positionSide);
    const config = configOf(p.symbol);
    const leg = group === undefined ? undefined : (group.takeProfit ?? group.stopLoss)!;
    const price = (c: ConditionalSnapshot | null | undefined) => (c?.triggerPrice === undefined || c.triggerPrice === null ? null : formatPrice(config, c.triggerPrice));
    return {
      profitId: group === undefined ? null : String(group.profitId),
      triggerProfitPrice: price(group?.takeProfit),
      triggerStopPrice: price(group?.stopLoss),
      triggerPriceType: leg === undefined ? null : XT_TRIGGER_PRICE_TYPE[leg.triggerSource],
    };
  };

  app.get('/future/user/v1/position/list', async (request) => {
    const symbol = symbolOf(options, paramsOf(request), false)?.symbol;
    const { seq, view } = snapshot(exchange, callerOf(request));
    return ok(modePositions(options, view, symbol).map((p) => ({ ...xtPosition(p, configOf(p.symbol)), autoMargin: p.autoDeposit })), { seq, epoch: exchange.epoch });
  });

  // XT's "Get active position information" (User/Get active position information.mdx): the position
  // with its break price, floating PnL and take-profit / stop-loss. position/list documents no TP/SL fields.
  app.get('/future/user/v1/position', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['symbol']);
    const symbol = symbolOf(options, params, false)?.symbol;
    const { seq, view } = snapshot(exchange, accountId);
    const conditionals = AccountConditionals.of(exchange, accountId);
    return ok(modePositions(options, view, symbol).map((p) => {
      const config = configOf(p.symbol);
      const row = xtPosition(p, config);
      return {
        autoMargin: p.autoDeposit, availableCloseSize: row.availableCloseSize,
        breakPrice: p.liquidationPrice === null || p.qty === 0 ? '0' : formatAmount(p.liquidationPrice),
        calMarkPrice: row.markPrice, closeOrderSize: row.closeOrderSize, contractType: row.contractType, entryPrice: row.entryPrice,
        floatingPL: row.unrealizedProfit, isolatedMargin: row.isolatedMargin, leverage: p.leverage, openOrderMarginFrozen: row.openOrderMarginFrozen,
        openOrderSize: row.openOrderSize, positionSide: row.positionSide, positionSize: row.positionSize, positionType: p.marginMode,
        realizedProfit: row.realizedProfit, symbol: p.symbol, ...protection(conditionals, p), welfareAccount: false,
      };
    }), { seq, epoch: exchange.epoch });
  });
  app.get('/future/user/v1/position/break-list', async (request) => {
    const symbol = symbolOf(options, paramsOf(request), false)?.symbol;
    const { seq, view } = snapshot(exchange, callerOf(request));
    return ok(modePositions(options, view, symbol).map((p) => {
      const row = xtPosition(p, configOf(p.symbol));
      // breakPrice is the liquidation price (risk engine, 1e-8 of the quote); "0" means none, as XT's docs say.
      return {
        symbol: p.symbol, positionSide: row.positionSide, positionType: p.marginMode, positionSize: row.positionSize,
        entryPrice: row.entryPrice, isolatedMargin: row.isolatedMargin, leverage: p.leverage, contractType: row.contractType,
        breakPrice: p.liquidationPrice === null || p.qty === 0 ? '0' : formatAmount(p.liquidationPrice),
        calMarkPrice: p.markPrice > 0 ? formatPrice(configOf(p.symbol), p.markPrice) : '0',
      };
    }), { seq, epoch: exchange.epoch });
  });

  app.get('/future/user/v1/account/info', async (request) => {
    const accountId = callerOf(request);
    const { seq, view } = snapshot(exchange, accountId);
    return ok({
      accountId, userId: accountId, allowOpenPosition: true, allowTrade: true, allowTransfer: true, openTime: 0, state: 1,
      positionMode: view.positionMode,
    }, { seq, epoch: exchange.epoch });
  });

  /** Waits for an account command and answers XT's empty success, or its error. */
  const command = async (pending: Promise<Applied>): Promise<XtEnvelope> => {
    const { result } = await pending;
    if (!result.ok) throw fromEngineError(result);
    return ok(null);
  };

  // Leverage is per symbol in the engine: both position sides of a symbol share it.
  app.post('/future/user/v1/position/adjust-leverage', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(options, params, true);
    requiredEnum(params, 'positionSide', ['LONG', 'SHORT'] as const);
    const leverage = requiredInteger(params, 'leverage', 1, config.spec.maxLeverage);
    return command(exchange.execute({ type: 'setLeverage', accountId, symbol: config.symbol, leverage }));
  });

  app.post('/future/user/v1/position/change-type', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(options, params, true);
    requiredEnum(params, 'positionSide', ['LONG', 'SHORT'] as const);
    const marginMode = requiredEnum(params, 'positionType', ['CROSSED', 'ISOLATED'] as const);
    return command(exchange.execute({ type: 'setMarginMode', accountId, symbol: config.symbol, marginMode }));
  });

  app.post('/future/user/v1/position/margin', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(options, params, true);
    const positionSide = requiredEnum(params, 'positionSide', ['LONG', 'SHORT'] as const);
    const direction = requiredEnum(params, 'type', ['ADD', 'SUB'] as const);
    const amount = marginAmountOf(params, 'margin', config);
    const { view } = snapshot(exchange, accountId);
    const side = enginePositionSide(view, positionSide);
    const position = view.positions.find((p) => p.symbol === config.symbol && p.positionSide === side);
    if (side === 'BOTH' && position !== undefined && position.qty !== 0 && xtPositionSide(position) !== positionSide) {
      throw invalidParams(`the ${config.symbol} position is ${xtPositionSide(position)}, not ${positionSide}`);
    }
    return command(exchange.execute({
      type: 'adjustIsolatedMargin', accountId, symbol: config.symbol, positionSide: side, amount: direction === 'ADD' ? amount : -amount,
    }));
  });

  // perpstream extension: XT itself is hedge-only; the engine also offers one-way mode.
  app.get('/future/user/v1/position/position-mode', async (request) => {
    const { seq, view } = snapshot(exchange, callerOf(request));
    return ok({ positionMode: view.positionMode }, { seq, epoch: exchange.epoch });
  });
  app.post('/future/user/v1/position/position-mode', async (request) => {
    const accountId = callerOf(request);
    const positionMode = requiredEnum(paramsOf(request), 'positionMode', ['ONE_WAY', 'HEDGE'] as const);
    return command(exchange.execute({ type: 'setPositionMode', accountId, positionMode }));
  });
}
