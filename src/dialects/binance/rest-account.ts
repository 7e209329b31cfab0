/**
 * Binance's signed account endpoints: account and balance (v2, v3), positionRisk (v2, v3),
 * leverageBracket, leverage, marginType, positionSide/dual, positionMargin, feeBurn,
 * multiAssetsMargin, commissionRate.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatAmount, formatRate } from '../../engine/fixed.js';
import { echo, readMarginAmount } from '../front-door-bounds.js';
import type { CommandInput } from '../../service/exchange.js';
import { accountAlias } from './encode.js';
import type { Params } from './params.js';
import { booleanParam, enumParam, integerParam, optional, optionalSymbol, required, symbolParam } from './params.js';
import { onlyParams } from './rest-history.js';
import { pairOf } from './symbols.js';
import { BinanceError, ERR, fromEngine, illegal, missing } from './errors.js';
import type { BinanceRestOptions } from './rest.js';
import {
  accountOf, assetEntry, assetFigures, isActive, lastCap, maxNotional, maxQty, positionRisk, positionRows, rest8, type AssetFigures,
} from './views.js';
import type { AccountView } from '../../engine/view.js';
import { notional } from '../../engine/margin.js';

const SUCCESS = { code: 200, msg: 'success' };

export function credentialOf(request: FastifyRequest): { accountId: number; params: Params } {
  return { accountId: request.binanceCredential!.accountId, params: request.binanceParams! };
}

export async function accountRoutes(app: FastifyInstance, options: BinanceRestOptions): Promise<void> {
  const { exchange, symbols, api } = options;
  const coinm = api === 'dapi';

  const run = async (input: CommandInput): Promise<void> => {
    const { result } = await exchange.execute(input);
    if (!result.ok) throw fromEngine(result);
  };

  const account = (version: 2 | 3) => async (request: FastifyRequest) => {
    const { accountId } = credentialOf(request);
    const { view } = accountOf(exchange, accountId);
    const now = exchange.now();
    // COIN-M's account holds its margin coins only; USDⓈ-M's every wallet (BNB for fees too).
    const figures = view.wallets.filter((w) => symbols.showsAsset(w.asset)).map((w) => assetFigures(view, symbols, w));
    // Totals are in the margin assets (single-asset mode): every symbol settles in one of them.
    const margin = figures.filter((f) => symbols.all().some((s) => s.config.settleAsset === f.wallet.asset));
    const sum = (pick: (f: (typeof figures)[number]) => bigint): string => rest8(margin.reduce((acc, f) => acc + pick(f), 0n));
    if (coinm) return coinmAccount(view, figures, now);
    const positions = positionRows(view, symbols)
      .filter(({ position }) => version === 2 || isActive(position))
      .map(({ symbol, position }) => {
        const row = positionRisk(exchange, symbol, position, version);
        return {
          symbol: row.symbol, positionSide: row.positionSide, positionAmt: row.positionAmt, unrealizedProfit: row.unRealizedProfit,
          isolatedMargin: row.isolatedMargin, notional: row.notional, isolatedWallet: row.isolatedWallet, initialMargin: row.initialMargin,
          maintMargin: row.maintMargin, updateTime: row.updateTime,
          ...(version === 2 ? {
            positionInitialMargin: row.positionInitialMargin, openOrderInitialMargin: row.openOrderInitialMargin, leverage: row.leverage,
            isolated: row.isolated, entryPrice: row.entryPrice, breakEvenPrice: row.breakEvenPrice, maxNotional: row.maxNotionalValue,
            bidNotional: '0', askNotional: '0',
          } : {}),
        };
      });
    return {
      ...(version === 2 ? { feeTier: 0, feeBurn: view.feeBurn, canTrade: true, canDeposit: true, canWithdraw: true, updateTime: 0, multiAssetsMargin: false, tradeGroupId: -1 } : {}),
      totalInitialMargin: sum((f) => f.initialMargin),
      totalMaintMargin: sum((f) => f.maintMargin),
      totalWalletBalance: sum((f) => f.wallet.walletBalance),
      totalUnrealizedProfit: sum((f) => f.unrealized),
      totalMarginBalance: sum((f) => f.wallet.walletBalance + f.unrealized),
      totalPositionInitialMargin: sum((f) => f.positionInitialMargin),
      totalOpenOrderInitialMargin: sum((f) => f.wallet.openOrderMarginFrozen),
      totalCrossWalletBalance: sum((f) => f.crossWallet),
      totalCrossUnPnl: sum((f) => f.crossUnrealized),
      availableBalance: sum((f) => f.wallet.availableBalance),
      maxWithdrawAmount: sum((f) => f.wallet.availableBalance),
      assets: figures.map((f) => assetEntry(f, now)),
      positions,
    };
  };
  /** /dapi/v1/account: per coin its figures, per symbol its position in contracts (`maxQty` for the leverage). */
  const coinmAccount = (view: AccountView, figures: AssetFigures[], now: number) => ({
    feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, updateTime: 0,
    assets: figures.map((f) => assetEntry(f, now)),
    positions: positionRows(view, symbols).map(({ symbol, position: p }) => {
      const row = positionRisk(exchange, symbol, p, 2);
      return {
        symbol: symbol.name, positionAmt: row.positionAmt, initialMargin: rest8(p.margin + p.openOrderMarginFrozen), maintMargin: rest8(p.maintenanceMargin),
        unrealizedProfit: row.unRealizedProfit, positionInitialMargin: rest8(p.margin), openOrderInitialMargin: rest8(p.openOrderMarginFrozen),
        leverage: row.leverage, isolated: p.marginMode === 'ISOLATED', positionSide: p.positionSide, entryPrice: row.entryPrice,
        breakEvenPrice: row.breakEvenPrice, maxQty: row.maxQty, notionalValue: row.notionalValue, isolatedWallet: row.isolatedWallet, updateTime: p.updateTime,
      };
    }),
  });
  if (coinm) app.get('/dapi/v1/account', account(2));
  else {
    app.get('/fapi/v2/account', account(2));
    app.get('/fapi/v3/account', account(3));
  }

  const balance = async (request: FastifyRequest) => {
    const { accountId } = credentialOf(request);
    const { view } = accountOf(exchange, accountId);
    const now = exchange.now();
    return view.wallets.filter((w) => symbols.showsAsset(w.asset)).map((w) => {
      const f = assetFigures(view, symbols, w);
      return {
        accountAlias: accountAlias(accountId), asset: w.asset, balance: rest8(w.walletBalance), crossWalletBalance: rest8(f.crossWallet),
        crossUnPnl: rest8(f.crossUnrealized), availableBalance: rest8(w.availableBalance),
        // COIN-M names what may be withdrawn `withdrawAvailable`.
        ...(coinm ? { withdrawAvailable: rest8(w.availableBalance) } : { maxWithdrawAmount: rest8(w.availableBalance), marginAvailable: true }),
        updateTime: now,
      };
    });
  };
  if (coinm) app.get('/dapi/v1/balance', balance);
  else {
    app.get('/fapi/v2/balance', balance);
    app.get('/fapi/v3/balance', balance);
  }

  const risk = (version: 2 | 3) => async (request: FastifyRequest) => {
    const { accountId, params } = credentialOf(request);
    const only = optionalSymbol(params, symbols);
    const { view } = accountOf(exchange, accountId);
    return positionRows(view, symbols, only)
      .filter(({ position }) => version === 2 || isActive(position))
      .map(({ symbol, position }) => positionRisk(exchange, symbol, position, version));
  };
  // COIN-M's positionRisk also narrows by `marginAsset` or `pair` (Binance: one of them, or neither).
  const coinmRisk = async (request: FastifyRequest) => {
    const { accountId, params } = credentialOf(request);
    onlyParams(params, ['symbol', 'marginAsset', 'pair']);
    const only = optionalSymbol(params, symbols);
    const marginAsset = optional(params, 'marginAsset');
    const pair = optional(params, 'pair');
    if (marginAsset !== undefined && pair !== undefined) {
      throw new BinanceError(ERR.INVALID_PARAM, 'Invalid data sent for a parameter: send marginAsset or pair, not both.');
    }
    const { view } = accountOf(exchange, accountId);
    return positionRows(view, symbols, only)
      .filter(({ symbol }) => (marginAsset === undefined || symbol.config.settleAsset === marginAsset.toUpperCase())
        && (pair === undefined || pairOf(symbol.config) === pair.toUpperCase()))
      .map(({ symbol, position }) => positionRisk(exchange, symbol, position, 2));
  };
  if (coinm) app.get('/dapi/v1/positionRisk', coinmRisk);
  else {
    app.get('/fapi/v2/positionRisk', risk(2));
    app.get('/fapi/v3/positionRisk', risk(3));
  }

  // COIN-M's brackets (v2, per symbol) are coin quantities: qtyFloor / qtyCap (the last: the position
  // limit's value at the lowest price, as USDⓈ-M's last notionalCap is its value at the highest).
  if (coinm) {
    app.get('/dapi/v2/leverageBracket', async (request) => {
      const { params } = credentialOf(request);
      const only = optionalSymbol(params, symbols);
      return (only === undefined ? symbols.all() : [only]).map((symbol) => ({
        symbol: symbol.name,
        notionalCoef: 1.0,
        brackets: symbol.config.tiers.map((tier, i, tiers) => ({
          bracket: i + 1,
          initialLeverage: tier.maxLeverage,
          qtyCap: Number(formatAmount(i + 1 < tiers.length ? tiers[i + 1]!.floor : notional(symbol.config, symbol.config.spec.maxPositionQty, 1))),
          qtyFloor: Number(formatAmount(tier.floor)),
          maintMarginRatio: Number(formatRate(tier.mmr)),
          cum: Number(formatAmount(tier.cum)),
        })),
      }));
    });
  }

  if (!coinm) app.get('/fapi/v1/leverageBracket', async (request) => {
    const { params } = credentialOf(request);
    const only = optionalSymbol(params, symbols);
    const entries = (only === undefined ? symbols.all() : [only]).map((symbol) => ({
      symbol: symbol.name,
      notionalCoef: 1.0,
      brackets: symbol.config.tiers.map((tier, i, tiers) => ({
        bracket: i + 1,
        initialLeverage: tier.maxLeverage,
        notionalCap: Number(formatAmount(i + 1 < tiers.length ? tiers[i + 1]!.floor : lastCap(symbol))),
        notionalFloor: Number(formatAmount(tier.floor)),
        maintMarginRatio: Number(formatRate(tier.mmr)),
        cum: Number(formatAmount(tier.cum)),
      })),
    }));
    return only === undefined ? entries : entries[0];
  });

  app.get(`/${api}/v1/commissionRate`, async (request) => {
    const symbol = symbolParam(credentialOf(request).params, symbols);
    return { symbol: symbol.name, makerCommissionRate: formatRate(symbol.config.makerFeeRate), takerCommissionRate: formatRate(symbol.config.takerFeeRate) };
  });

  app.post(`/${api}/v1/leverage`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const max = symbol.config.spec.maxLeverage;
    const text = required(params, 'leverage');
    const leverage = Number(text);
    if (!/^\d+$/.test(text) || leverage < 1 || leverage > max) throw new BinanceError(ERR.INVALID_LEVERAGE, `Leverage ${echo(text)} is not valid`);
    await run({ type: 'setLeverage', accountId, symbol: symbol.config.symbol, leverage });
    return coinm ? { leverage, maxQty: maxQty(symbol, leverage), symbol: symbol.name } : { leverage, maxNotionalValue: maxNotional(symbol, leverage), symbol: symbol.name };
  });

  app.post(`/${api}/v1/marginType`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const marginType = enumParam(params, 'marginType', ['ISOLATED', 'CROSSED', 'CROSS'] as const, illegal('marginType', 'send ISOLATED or CROSSED'));
    if (marginType === undefined) throw missing('marginType');
    const marginMode = marginType === 'ISOLATED' ? 'ISOLATED' : 'CROSSED';
    const { view } = accountOf(exchange, accountId);
    if (view.settings.find((s) => s.symbol === symbol.config.symbol)!.marginMode === marginMode) {
      throw new BinanceError(ERR.NO_NEED_TO_CHANGE_MARGIN_TYPE, 'No need to change margin type.');
    }
    const mine = view.positions.filter((p) => p.symbol === symbol.config.symbol);
    if (mine.some((p) => p.qty !== 0)) throw new BinanceError(ERR.POSITION_MARGIN_TYPE, 'Margin type cannot be changed if there exists position.');
    if (mine.some((p) => p.openOrderQty > 0 || p.closeOrderQty > 0)) throw new BinanceError(ERR.OPEN_ORDERS_MARGIN_TYPE, 'Margin type cannot be changed if there exists open orders.');
    await run({ type: 'setMarginMode', accountId, symbol: symbol.config.symbol, marginMode });
    return SUCCESS;
  });

  app.get(`/${api}/v1/positionSide/dual`, async (request) => ({ dualSidePosition: accountOf(exchange, credentialOf(request).accountId).view.positionMode === 'HEDGE' }));
  app.post(`/${api}/v1/positionSide/dual`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const dual = booleanParam(params, 'dualSidePosition');
    if (dual === undefined) throw missing('dualSidePosition');
    const { view } = accountOf(exchange, accountId);
    const positionMode = dual ? 'HEDGE' : 'ONE_WAY';
    if (view.positionMode === positionMode) throw new BinanceError(ERR.NO_NEED_TO_CHANGE_POSITION_SIDE, 'No need to change position side.');
    if (view.positions.some((p) => p.qty !== 0)) throw new BinanceError(ERR.POSITION_POSITION_SIDE, 'Position side cannot be changed if there exists position.');
    if (view.orders.length > 0) throw new BinanceError(ERR.OPEN_ORDERS_POSITION_SIDE, 'Position side cannot be changed if there exists open orders.');
    await run({ type: 'setPositionMode', accountId, positionMode });
    return SUCCESS;
  });

  app.post(`/${api}/v1/positionMargin`, async (request) => {
    const { accountId, params } = credentialOf(request);
    const symbol = symbolParam(params, symbols);
    const positionSide = enumParam(params, 'positionSide', ['BOTH', 'LONG', 'SHORT'] as const, new BinanceError(ERR.INVALID_POSITION_SIDE, 'Invalid position side.')) ?? 'BOTH';
    const type = integerParam(params, 'type', 1, 2);
    if (type === undefined) throw missing('type');
    const reading = readMarginAmount(symbol.config, 'amount', required(params, 'amount'));
    if (!reading.ok) throw reading.tooLarge ? new BinanceError(ERR.INVALID_PARAM, `Data sent for parameter 'amount' is not valid: ${reading.problem}.`) : illegal('amount', reading.problem);
    const amount = reading.amount;
    const { result } = await exchange.execute({
      type: 'adjustIsolatedMargin', accountId, symbol: symbol.config.symbol, positionSide, amount: type === 1 ? amount : -amount,
    });
    if (!result.ok) {
      if (result.code === 'INSUFFICIENT_BALANCE' && type === 2) throw new BinanceError(ERR.ISOLATED_BALANCE_INSUFFICIENT, `Isolated balance insufficient. (${result.message})`);
      throw fromEngine(result);
    }
    return { amount: Number(formatAmount(amount)), code: 200, msg: 'Successfully modify position margin.', type };
  });

  // USDⓈ-M only: BNB fee burn and the multi-assets mode.
  if (coinm) return;
  app.get('/fapi/v1/feeBurn', async (request) => ({ feeBurn: accountOf(exchange, credentialOf(request).accountId).view.feeBurn }));
  app.post('/fapi/v1/feeBurn', async (request) => {
    const { accountId, params } = credentialOf(request);
    const feeBurn = booleanParam(params, 'feeBurn');
    if (feeBurn === undefined) throw missing('feeBurn');
    await run({ type: 'setFeeBurn', accountId, feeBurn });
    return SUCCESS;
  });

  app.get('/fapi/v1/multiAssetsMargin', async () => ({ multiAssetsMargin: false }));
}
