/**
 * Bybit account and position endpoints: the unified wallet, position list, leverage, position
 * mode, margin mode (account level for the unified account, per symbol for the classic
 * switch-isolated), and what ccxt asks to learn the account type. Account snapshots carry, in
 * `retExtInfo`, perpstream's `seq` (the account's last event) and the stream `epoch`.
 */
import type { FastifyInstance } from 'fastify';
import type { Applied } from '../../engine/engine.js';
import { formatRate } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { MarginMode, PositionMode, PositionSide, PositionSnapshot } from '../../engine/types.js';
import type { AccountView, WalletView } from '../../engine/view.js';
import type { Exchange } from '../../service/exchange.js';
import { echo } from '../front-door-bounds.js';
import { BybitError, Code, fromEngineError, ok, paramsError } from './envelope.js';
import { bybitPosition, bybitWallet, emptyPosition, type CoinBalance } from './encode.js';
import {
  callerOf, categoryOf, inCategory, leverageOf, optionalInteger, optionalString, paramsOf, requiredEnum, requiredString, requireContract, settleCoinOf, symbolOf,
} from './params.js';
import { page, type BybitRestOptions } from './rest.js';
import { bybitSymbol } from './symbols.js';
import { usdValueOf } from './usd-value.js';

export function snapshotOf(exchange: Exchange, accountId: number): { seq: number; view: AccountView } {
  const state = exchange.engine.account(accountId);
  if (state === undefined) throw new BybitError(Code.INVALID_KEY, 'API key is invalid: its account no longer exists.');
  return state;
}

/** The position sides the account's mode uses: BOTH (positionIdx 0), or LONG and SHORT (1, 2). */
export function modeSides(mode: PositionMode): PositionSide[] {
  return mode === 'HEDGE' ? ['LONG', 'SHORT'] : ['BOTH'];
}

/** A wallet with the position-derived figures Bybit's coin row needs, rebuilt from an account view. */
export function coinBalance(view: AccountView, wallet: WalletView, symbolOfPosition: (symbol: string) => SymbolConfig): CoinBalance {
  let unrealizedPnl = 0n;
  let realizedPnl = 0n;
  let maintenanceMargin = 0n;
  for (const p of view.positions) {
    if (symbolOfPosition(p.symbol).settleAsset !== wallet.asset) continue;
    realizedPnl += p.realizedPnlTotal - p.feesTotal;
    if (p.qty === 0) continue;
    unrealizedPnl += p.unrealizedPnl;
    maintenanceMargin += p.maintenanceMargin;
  }
  return { ...wallet, unrealizedPnl, realizedPnl, maintenanceMargin };
}

/** The unified account's margin mode: isolated when every symbol is isolated, else regular (cross). */
export function accountMarginMode(view: AccountView): 'ISOLATED_MARGIN' | 'REGULAR_MARGIN' {
  return view.settings.length > 0 && view.settings.every((s) => s.marginMode === 'ISOLATED') ? 'ISOLATED_MARGIN' : 'REGULAR_MARGIN';
}

/** Whether the symbol has an open position or a live order (what blocks a margin mode change). */
function busy(view: AccountView, symbol: string): boolean {
  return view.positions.some((p) => p.symbol === symbol && p.qty !== 0) || view.orders.some((o) => o.symbol === symbol);
}

export async function accountRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const stream = (seq: number) => ({ seq, epoch: exchange.epoch });
  const usdValue = usdValueOf(exchange, symbols.all());

  /** Runs an account command; a refusal becomes `refusal(error)` or the generic mapping. */
  const run = async (pending: Promise<Applied>, refusal?: (error: Extract<Applied['result'], { ok: false }>) => BybitError): Promise<void> => {
    const { result } = await pending;
    if (!result.ok) throw refusal?.(result) ?? fromEngineError(result);
  };

  app.get('/v5/account/wallet-balance', async (request) => {
    const params = paramsOf(request);
    const accountType = requiredString(params, 'accountType');
    if (accountType !== 'UNIFIED') throw paramsError(`accountType only supports UNIFIED (a unified trading account), got ${echo(accountType)}`);
    const coins = optionalString(params, 'coin')?.split(',');
    const { seq, view } = snapshotOf(exchange, callerOf(request));
    const wallets = view.wallets.filter((w) => coins === undefined || coins.includes(w.asset));
    const rows = wallets.map((w) => coinBalance(view, w, (s) => symbols.config(s)));
    return ok({ list: [bybitWallet(rows, usdValue)] }, exchange.now(), stream(seq));
  });

  app.get('/v5/position/list', async (request) => {
    const params = paramsOf(request);
    const category = categoryOf(params);
    if (category === 'spot') throw paramsError('category spot has no positions; use linear');
    const config = symbolOf(symbols, params, false);
    const settleCoin = settleCoinOf(params);
    const limit = optionalInteger(params, 'limit', 1, 200) ?? 20;
    if (category === 'linear' && config === undefined && settleCoin === undefined) throw paramsError('either symbol or settleCoin is required for linear');
    const { seq, view } = snapshotOf(exchange, callerOf(request));
    let rows: PositionSnapshot[] = [];
    if (category === 'linear' || category === 'inverse') {
      const sides = modeSides(view.positionMode);
      if (config !== undefined) {
        // With a symbol, Bybit answers whether or not there is a position.
        const settings = view.settings.find((s) => s.symbol === config.symbol)!;
        const mark = exchange.engine.market(config.symbol)?.markPrice ?? 0;
        rows = sides.map((side) => view.positions.find((p) => p.symbol === config.symbol && p.positionSide === side) ??
          emptyPosition(config.symbol, side, settings.leverage, settings.marginMode, mark, 0));
      } else {
        // Inverse: every inverse position when no settleCoin is sent.
        rows = view.positions.filter((p) => {
          const c = symbols.config(p.symbol);
          return p.qty !== 0 && sides.includes(p.positionSide) && inCategory(c, category) && (settleCoin === undefined || c.settleAsset === settleCoin);
        });
      }
    }
    const stamp = { version: seq, seq: exchange.engine.cmdSeq };
    const { items, nextPageCursor } = page(rows, optionalString(params, 'cursor'), limit);
    return ok({ category, list: items.map((p) => bybitPosition(p, symbols.config(p.symbol), stamp, true)), nextPageCursor }, exchange.now(), stream(seq));
  });

  // One leverage per symbol in the engine: buy and sell leverage must agree.
  app.post('/v5/position/set-leverage', async (request) => {
    const params = paramsOf(request);
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const buy = leverageOf(params, 'buyLeverage', config);
    const sell = leverageOf(params, 'sellLeverage', config);
    if (buy !== sell) throw paramsError('buyLeverage and sellLeverage must be equal: perpstream keeps one leverage per symbol');
    const accountId = callerOf(request);
    const { view } = snapshotOf(exchange, accountId);
    if (view.settings.find((s) => s.symbol === config.symbol)?.leverage === buy) {
      throw new BybitError(Code.LEVERAGE_NOT_MODIFIED, 'leverage not modified');
    }
    await run(exchange.execute({ type: 'setLeverage', accountId, symbol: config.symbol, leverage: buy }), (error) =>
      error.code === 'INSUFFICIENT_BALANCE' ? new BybitError(Code.INSUFFICIENT_MARGIN, `Available margin is insufficient. ${error.message}`) : fromEngineError(error));
    return ok({}, exchange.now());
  });

  // Position mode is per account in the engine: a symbol or a coin switches the whole account.
  app.post('/v5/position/switch-mode', async (request) => {
    const params = paramsOf(request);
    requireContract(params);
    const config = symbolOf(symbols, params, false);
    // position-mode.mdx: "USDT perpetual and Inverse futures"; an inverse perpetual is one-way only.
    if (config !== undefined && config.inverse && config.delivery === null) throw paramsError(`${bybitSymbol(config.symbol)} is an inverse perpetual: its position mode is one-way only`);
    if (optionalString(params, 'symbol') === undefined && optionalString(params, 'coin') === undefined) throw paramsError('either symbol or coin is required');
    const mode = optionalInteger(params, 'mode', 0, 3);
    if (mode !== 0 && mode !== 3) throw paramsError('mode must be 0 (one-way) or 3 (hedge)');
    const positionMode: PositionMode = mode === 3 ? 'HEDGE' : 'ONE_WAY';
    const accountId = callerOf(request);
    const { view } = snapshotOf(exchange, accountId);
    if (view.positionMode === positionMode) throw new BybitError(Code.MODE_NOT_MODIFIED, 'Position mode is not modified');
    await run(exchange.execute({ type: 'setPositionMode', accountId, positionMode }), (error) => {
      if (error.code !== 'HAS_OPEN_POSITION_OR_ORDER') return fromEngineError(error);
      return view.positions.some((p) => p.qty !== 0)
        ? new BybitError(Code.MODE_HAS_POSITION, 'You have an existing position, so position mode cannot be switched')
        : new BybitError(Code.MODE_HAS_ORDERS, 'You have existing open orders, so position mode cannot be switched');
    });
    return ok({}, exchange.now());
  });

  // The classic account's per-symbol switch (tradeMode 0 cross, 1 isolated) with its leverage.
  app.post('/v5/position/switch-isolated', async (request) => {
    const params = paramsOf(request);
    requireContract(params);
    const config = symbolOf(symbols, params, true);
    const tradeMode = optionalInteger(params, 'tradeMode', 0, 1);
    if (tradeMode === undefined) throw paramsError('tradeMode is required: 0 cross margin, 1 isolated margin');
    const buy = leverageOf(params, 'buyLeverage', config);
    const sell = leverageOf(params, 'sellLeverage', config);
    if (buy !== sell) throw paramsError('buyLeverage and sellLeverage must be equal: perpstream keeps one leverage per symbol');
    const marginMode: MarginMode = tradeMode === 1 ? 'ISOLATED' : 'CROSSED';
    const accountId = callerOf(request);
    const { view } = snapshotOf(exchange, accountId);
    const settings = view.settings.find((s) => s.symbol === config.symbol)!;
    if (settings.marginMode === marginMode) throw new BybitError(Code.MARGIN_MODE_NOT_MODIFIED, 'Cross/isolated margin mode is not modified');
    await run(exchange.execute({ type: 'setMarginMode', accountId, symbol: config.symbol, marginMode }), (error) =>
      error.code === 'HAS_OPEN_POSITION_OR_ORDER' ? new BybitError(Code.MODE_HAS_POSITION, `You have an existing position or open orders, so the margin mode cannot be switched. ${error.message}`) : fromEngineError(error));
    if (settings.leverage !== buy) await run(exchange.execute({ type: 'setLeverage', accountId, symbol: config.symbol, leverage: buy }));
    return ok({}, exchange.now());
  });

  // The unified account's margin mode is account wide: every symbol switches, or none does.
  app.post('/v5/account/set-margin-mode', async (request) => {
    const params = paramsOf(request);
    const wanted = requiredEnum(params, 'setMarginMode', ['ISOLATED_MARGIN', 'REGULAR_MARGIN', 'PORTFOLIO_MARGIN'] as const);
    const failed = (reasons: { reasonCode: string; reasonMsg: string }[]): BybitError =>
      new BybitError(Code.SET_MARGIN_MODE_FAILED, 'Set margin mode failed', 200, { reasons });
    if (wanted === 'PORTFOLIO_MARGIN') throw failed([{ reasonCode: String(Code.PARAMS), reasonMsg: 'portfolio margin is not offered: use ISOLATED_MARGIN or REGULAR_MARGIN' }]);
    const marginMode: MarginMode = wanted === 'ISOLATED_MARGIN' ? 'ISOLATED' : 'CROSSED';
    const accountId = callerOf(request);
    const { view } = snapshotOf(exchange, accountId);
    const changing = view.settings.filter((s) => s.marginMode !== marginMode);
    const blocked = changing.filter((s) => busy(view, s.symbol));
    if (blocked.length > 0) {
      throw failed(blocked.map((s) => ({
        reasonCode: String(Code.MODE_HAS_POSITION), reasonMsg: `${bybitSymbol(s.symbol)} has an open position or open orders: close and cancel them first`,
      })));
    }
    for (const { symbol } of changing) {
      const { result } = await exchange.execute({ type: 'setMarginMode', accountId, symbol, marginMode });
      if (!result.ok) throw failed([{ reasonCode: String(Code.MODE_HAS_POSITION), reasonMsg: `${bybitSymbol(symbol)}: ${result.message}` }]);
    }
    return ok({ reasons: [] }, exchange.now());
  });

  app.get('/v5/account/info', async (request) => {
    const { seq, view } = snapshotOf(exchange, callerOf(request));
    return ok({
      marginMode: accountMarginMode(view), updatedTime: '0', unifiedMarginStatus: 6, dcpStatus: 'OFF', timeWindow: 10, smpGroup: 0,
      isMasterTrader: false, spotHedgingStatus: 'OFF',
    }, exchange.now(), stream(seq));
  });

  // What ccxt's isUnifiedEnabled reads: a unified trading account (uta 1).
  app.get('/v5/user/query-api', async (request) => {
    const credential = request.bybitCredential!;
    const all = ['ContractTrade', 'Spot', 'Wallet', 'Options', 'Derivatives', 'CopyTrading', 'BlockTrade', 'Exchange', 'NFT', 'Affiliate', 'Earn'];
    return ok({
      id: String(credential.accountId), note: 'perpstream', apiKey: credential.apiKey, readOnly: 0, secret: '',
      permissions: Object.fromEntries(all.map((name) => [name, name === 'ContractTrade' ? ['Order', 'Position'] : []])),
      ips: ['*'], type: 1, deadlineDay: -1, expiredAt: '', createdAt: '', unified: 0, uta: 1, userID: credential.accountId, inviterID: 0,
      vipLevel: 'No VIP', mktMakerLevel: '0', affiliateID: 0, rsaPublicKey: '', isMaster: true, parentUid: '0', kycLevel: 'LEVEL_DEFAULT', kycRegion: '',
    }, exchange.now());
  });

  app.get('/v5/account/fee-rate', async (request) => {
    const params = paramsOf(request);
    const category = categoryOf(params);
    const config = symbolOf(symbols, params, false);
    const listed = (config === undefined ? symbols.all() : [config]).filter((c) => inCategory(c, category));
    return ok({
      category,
      list: listed.map((c) => ({ symbol: bybitSymbol(c.symbol), baseCoin: '', takerFeeRate: formatRate(c.takerFeeRate), makerFeeRate: formatRate(c.makerFeeRate) })),
    }, exchange.now());
  });

  // ccxt's fetchCurrencies (off in the recommended config): no coin network data here.
  app.get('/v5/asset/coin/query-info', async () => ok({ rows: [] }, exchange.now()));
}
