/**
 * Signed futures account endpoints: the stream token, the account overview, positions, and the
 * position settings (margin mode, leverage, position mode, isolated margin, risk limit, auto-deposit).
 */
import type { FastifyInstance } from 'fastify';
import type { Applied } from '../../engine/engine.js';
import type { BalanceSnapshot, PositionSide, PositionSnapshot } from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Exchange } from '../../service/exchange.js';
import { restPosition } from './encode-position.js';
import type { JsonValue } from './json.js';
import { accountOverview } from './encode-wallet.js';
import { badParam, fromEngineError, KucoinError, ok } from './envelope.js';
import {
  callerOf, marginAmountOf, optionalBoolean, optionalEnum, optionalString, paramsOf, requiredInteger, requiredString, symbolOf, type Params,
} from './params.js';
import { bulletData, FUTURES_STREAM_PATH, type KucoinRestOptions } from './rest.js';
import { engineAsset, kucoinCurrency, type KucoinSymbols } from './symbols.js';
import { bulletToken } from './tokens.js';
import { rateNum } from './values.js';
import { emptyPositionSnapshot } from '../../engine/snapshots.js';

export function accountState(exchange: Exchange, accountId: number): { seq: number; view: AccountView } {
  const state = exchange.engine.account(accountId);
  if (state === undefined) throw new KucoinError('400003', 'the account of this KC-API-KEY no longer exists', 401);
  return state;
}

/** The account's positions of its current mode (BOTH in one-way mode, LONG and SHORT in hedge mode) on contracts KuCoin lists. */
export function modePositions(view: AccountView, symbols: KucoinSymbols, symbol?: string): PositionSnapshot[] {
  return view.positions.filter((p) => (view.positionMode === 'HEDGE') === (p.positionSide !== 'BOTH') && symbols.listed(p.symbol) &&
    (symbol === undefined || p.symbol === symbol));
}

/**
 * The engine asset of a KuCoin settle currency parameter (XBT → BTC), or KuCoin's parameter error:
 * KuCoin names bitcoin XBT, so BTC is not one of its currencies, and a currency no listed contract
 * settles in has no futures wallet here.
 */
export function settleAssetOf(symbols: KucoinSymbols, currency: string): string {
  const asset = engineAsset(currency);
  const known = symbols.settleCurrencies();
  if (asset === undefined || !known.includes(currency)) {
    throw badParam(`currency ${currency} is not a settle currency of KuCoin futures here${asset === undefined ? ` (KuCoin names it ${kucoinCurrency(currency)})` : ''}; use one of ${known.join(', ')}`);
  }
  return asset;
}

/** A wallet's full balance figures from the account view (the REST twin of a balance event). */
export function balanceOf(view: AccountView, asset: string, symbols: KucoinSymbols): BalanceSnapshot {
  const wallet = view.wallets.find((w) => w.asset === asset);
  let crossUnrealizedPnl = 0n;
  let isolatedUnrealizedPnl = 0n;
  let isolatedOrderMarginFrozen = 0n;
  let unrealizedPnl = 0n;
  let realizedPnl = 0n;
  let maintenanceMargin = 0n;
  for (const p of view.positions) {
    if (symbols.config(p.symbol).settleAsset !== asset) continue;
    const isolated = p.marginMode === 'ISOLATED';
    realizedPnl += p.realizedPnlTotal - p.feesTotal;
    unrealizedPnl += p.unrealizedPnl;
    maintenanceMargin += p.maintenanceMargin;
    if (isolated) isolatedOrderMarginFrozen += p.openOrderMarginFrozen;
    if (isolated) isolatedUnrealizedPnl += p.unrealizedPnl;
    else crossUnrealizedPnl += p.unrealizedPnl;
  }
  const walletBalance = wallet?.walletBalance ?? 0n;
  const isolatedMargin = wallet?.isolatedMargin ?? 0n;
  return {
    asset,
    walletBalance,
    crossWalletBalance: walletBalance - isolatedMargin,
    isolatedMargin,
    crossedMargin: wallet?.crossedMargin ?? 0n,
    openOrderMarginFrozen: wallet?.openOrderMarginFrozen ?? 0n,
    availableBalance: wallet?.availableBalance ?? 0n,
    crossUnrealizedPnl,
    isolatedOrderMarginFrozen,
    isolatedUnrealizedPnl,
    unrealizedPnl,
    realizedPnl,
    maintenanceMargin,
  };
}

/** The engine position side a request means: its positionSide in hedge mode (required), BOTH in one-way mode. */
export function requestedPositionSide(view: AccountView, params: Params): PositionSide {
  const side = optionalEnum(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const, (s) => s.toUpperCase());
  if (view.positionMode === 'HEDGE') {
    if (side === undefined || side === 'BOTH') throw new KucoinError('330012', 'the account is in Hedge Mode: send positionSide LONG or SHORT');
    return side;
  }
  if (side !== undefined && side !== 'BOTH') throw new KucoinError('330012', `the account is in One-Way Mode: positionSide must be BOTH (got ${side})`);
  return 'BOTH';
}

export async function accountRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols, tokens } = options;

  /** Waits for an account command; answers `data` or KuCoin's error. */
  const command = async (pending: Promise<Applied>, data: () => JsonValue): Promise<{ code: string; data: JsonValue }> => {
    const { result } = await pending;
    if (!result.ok) throw fromEngineError(result);
    return ok(data());
  };

  app.post('/api/v1/bullet-private', async (request) => {
    const token = await bulletToken(tokens.futures, callerOf(request), exchange.now());
    return ok(bulletData(request, token, FUTURES_STREAM_PATH, options.pingIntervalMs));
  });

  app.get('/api/v1/account-overview', async (request) => {
    // KuCoin's default is XBT, the wallet of its coin-margined contracts (XBTUSDM, XBTMH27).
    const asset = settleAssetOf(symbols, optionalString(paramsOf(request), 'currency') ?? 'XBT');
    const { view } = accountState(exchange, callerOf(request));
    return ok(accountOverview(balanceOf(view, asset, symbols)));
  });

  app.get('/api/v1/positions', async (request) => {
    const currency = optionalString(paramsOf(request), 'currency');
    // A filter: a currency nothing settles in lists nothing.
    const asset = currency === undefined ? undefined : engineAsset(currency) ?? '';
    const { view } = accountState(exchange, callerOf(request));
    const now = exchange.now();
    return ok(modePositions(view, symbols)
      .filter((p) => p.qty !== 0 && (asset === undefined || symbols.config(p.symbol).settleAsset === asset))
      .map((p) => restPosition(view.accountId, p, symbols.config(p.symbol), symbols.name(p.symbol), now)));
  });

  app.get('/api/v1/position', async (request) => {
    const config = symbolOf(symbols, paramsOf(request), true);
    const { view } = accountState(exchange, callerOf(request));
    const now = exchange.now();
    const name = symbols.name(config.symbol);
    const rows = modePositions(view, symbols, config.symbol).map((p) => restPosition(view.accountId, p, config, name, now));
    if (view.positionMode === 'HEDGE') return ok(rows);
    // A symbol never traded has no record yet: KuCoin answers a flat position.
    return ok(rows[0] ?? restPosition(view.accountId, flatPosition(view, config.symbol), config, name, now));
  });

  // Margin mode (ccxt 4.5.84 uses the first path; KuCoin's docs also list the second).
  const changeMarginMode = async (request: Parameters<typeof callerOf>[0]) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(symbols, params, true);
    const mode = optionalEnum(params, 'marginMode', ['ISOLATED', 'CROSS'] as const, (s) => s.toUpperCase());
    if (mode === undefined) throw badParam('marginMode is required (ISOLATED or CROSS)');
    return command(exchange.execute({ type: 'setMarginMode', accountId, symbol: config.symbol, marginMode: mode === 'CROSS' ? 'CROSSED' : 'ISOLATED' }),
      () => ({ symbol: symbols.name(config.symbol), marginMode: mode }));
  };
  app.post('/api/v2/position/changeMarginMode', changeMarginMode);
  app.post('/api/v2/changeMarginMode', changeMarginMode);
  app.get('/api/v2/position/getMarginMode', async (request) => {
    const config = symbolOf(symbols, paramsOf(request), true);
    const { view } = accountState(exchange, callerOf(request));
    const mode = view.settings.find((s) => s.symbol === config.symbol)!.marginMode;
    return ok({ symbol: symbols.name(config.symbol), marginMode: mode === 'ISOLATED' ? 'ISOLATED' : 'CROSS' });
  });

  // Leverage is per symbol in the engine, in both margin modes (KuCoin's cross leverage; isolated
  // orders use it too instead of a per-order leverage).
  app.post('/api/v2/changeCrossUserLeverage', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(symbols, params, true);
    const leverage = requiredInteger(params, 'leverage', 1, config.spec.maxLeverage);
    return command(exchange.execute({ type: 'setLeverage', accountId, symbol: config.symbol, leverage }), () => true);
  });
  app.get('/api/v2/getCrossUserLeverage', async (request) => {
    const config = symbolOf(symbols, paramsOf(request), true);
    const { view } = accountState(exchange, callerOf(request));
    return ok({ symbol: symbols.name(config.symbol), leverage: String(view.settings.find((s) => s.symbol === config.symbol)!.leverage) });
  });

  // Position mode: "0" one-way, "1" hedge.
  app.post('/api/v2/position/switchPositionMode', async (request) => {
    const accountId = callerOf(request);
    const mode = optionalEnum(paramsOf(request), 'positionMode', ['0', '1'] as const);
    if (mode === undefined) throw badParam('positionMode is required: 0 (one-way) or 1 (hedge)');
    return command(exchange.execute({ type: 'setPositionMode', accountId, positionMode: mode === '1' ? 'HEDGE' : 'ONE_WAY' }),
      () => ({ positionMode: Number(mode) }));
  });
  app.get('/api/v2/position/getPositionMode', async (request) => {
    const { view } = accountState(exchange, callerOf(request));
    return ok({ positionMode: view.positionMode === 'HEDGE' ? 1 : 0 });
  });

  // Isolated margin in and out.
  app.post('/api/v1/position/margin/deposit-margin', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(symbols, params, true);
    refuseCurrency(params, config);
    const amount = marginAmountOf(params, 'margin', config);
    const positionSide = requestedPositionSide(accountState(exchange, accountId).view, params);
    return command(exchange.execute({ type: 'adjustIsolatedMargin', accountId, symbol: config.symbol, positionSide, amount }), () => {
      const { view } = accountState(exchange, accountId);
      const position = view.positions.find((p) => p.symbol === config.symbol && p.positionSide === positionSide)!;
      return restPosition(accountId, position, config, symbols.name(config.symbol), exchange.now());
    });
  });
  app.post('/api/v1/margin/withdrawMargin', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(symbols, params, true);
    refuseCurrency(params, config);
    const amount = marginAmountOf(params, 'withdrawAmount', config);
    const positionSide = requestedPositionSide(accountState(exchange, accountId).view, params);
    return command(exchange.execute({ type: 'adjustIsolatedMargin', accountId, symbol: config.symbol, positionSide, amount: -amount }),
      () => requiredString(params, 'withdrawAmount'));
  });

  // Risk limit: accepted here (data true); the outcome, success or not, is the position.adjustRiskLimit push.
  app.post('/api/v1/position/risk-limit-level/change', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(symbols, params, true);
    const level = requiredInteger(params, 'level', 1, config.tiers.length);
    return command(exchange.execute({ type: 'adjustRiskLimit', accountId, symbol: config.symbol, level }), () => true);
  });
  // Auto-add margin of an isolated position (changeReason autoAppendMarginStatusChange).
  app.post('/api/v1/position/margin/auto-deposit-status', async (request) => {
    const params = paramsOf(request);
    const accountId = callerOf(request);
    const config = symbolOf(symbols, params, true);
    const enabled = optionalBoolean(params, 'status');
    if (enabled === undefined) throw badParam('status is required (true or false)');
    const positionSide = requestedPositionSide(accountState(exchange, accountId).view, params);
    return command(exchange.execute({ type: 'setAutoDeposit', accountId, symbol: config.symbol, positionSide, enabled }), () => true);
  });

  app.get('/api/v1/trade-fees', async (request) => {
    const config = symbolOf(symbols, paramsOf(request), true);
    callerOf(request);
    return ok({ symbol: symbols.name(config.symbol), takerFeeRate: rateNum(config.takerFeeRate), makerFeeRate: rateNum(config.makerFeeRate) });
  });
}

/**
 * KuCoin's margin endpoints take no currency: the amount is in the contract's settle currency (XBT for
 * XBTUSDM). A `currency` sent with it (a USDT amount meant for an XBT position) is refused rather than
 * read as XBT.
 */
function refuseCurrency(params: Params, config: SymbolConfig): void {
  const currency = optionalString(params, 'currency');
  if (currency === undefined) return;
  throw badParam(`currency is not a parameter of this endpoint: the margin is in the contract's settle currency ${kucoinCurrency(config.settleAsset)}` +
    (currency === kucoinCurrency(config.settleAsset) ? '' : ` (not ${currency})`));
}

/** A position with nothing in it, for a symbol the account never touched. */
function flatPosition(view: AccountView, symbol: string): PositionSnapshot {
  const settings = view.settings.find((s) => s.symbol === symbol)!;
  return emptyPositionSnapshot({ symbol, positionSide: 'BOTH', marginMode: settings.marginMode, leverage: settings.leverage });
}
