/**
 * Immutable snapshots of engine records: what events, results and views carry.
 */
import { stopLossPriceOf, takeProfitPriceOf, trailingDistanceOf } from './conditional/records.js';
import { positionMaintenance, unrealizedPnl } from './margin.js';
import { riskFields } from './risk/fields.js';
import type { Account, Order, Position, Valuation, Wallet } from './state.js';
import type { BalanceSnapshot, OrderSnapshot, PositionSnapshot } from './types.js';

/** Unrealized PnL and maintenance margin at the symbol's mark, recomputed only when an input moved. */
export function valuationOf(position: Position): Valuation {
  const cached = position.valuation;
  const mark = position.symbol.markPrice;
  if (cached.qty === position.qty && cached.entryCost === position.entryCost && cached.mark === mark) return cached;
  const { config } = position.symbol;
  position.valuation = {
    qty: position.qty,
    entryCost: position.entryCost,
    mark,
    unrealizedPnl: unrealizedPnl(config, position.qty, position.entryCost, mark),
    maintenanceMargin: positionMaintenance(config, position.qty, mark),
  };
  return position.valuation;
}

export function orderSnapshot(order: Order): OrderSnapshot {
  const settings = order.position.settings;
  return {
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    accountId: order.account.id,
    symbol: order.symbol.config.symbol,
    side: order.side,
    positionSide: order.position.side,
    orderType: order.orderType,
    timeInForce: order.timeInForce,
    price: order.price,
    qty: order.qty,
    executedQty: order.filled,
    cumQuote: order.cumQuote,
    cumCost: order.cumCost,
    state: order.state,
    reason: order.reason,
    reduceOnly: order.reduceOnly,
    stpMode: order.stpMode,
    closeQty: order.closeQty,
    marginFrozen: order.frozen,
    origin: order.origin,
    conditionalId: order.conditionalId,
    attachTpsl: order.attachTpsl,
    leverage: settings.leverage,
    marginMode: settings.marginMode,
    fees: order.fees,
    realizedPnl: order.realizedPnl,
    source: order.source,
    createTime: order.createTime,
    updateTime: order.updateTime,
  };
}

/** Whether an order snapshot still shows the order: every field that can change after the order is placed. */
export function showsOrder(snapshot: OrderSnapshot, order: Order): boolean {
  const settings = order.position.settings;
  return snapshot.price === order.price && snapshot.qty === order.qty && snapshot.executedQty === order.filled &&
    snapshot.cumQuote === order.cumQuote && snapshot.state === order.state && snapshot.reason === order.reason &&
    snapshot.closeQty === order.closeQty && snapshot.marginFrozen === order.frozen && snapshot.leverage === settings.leverage &&
    snapshot.marginMode === settings.marginMode && snapshot.fees === order.fees && snapshot.realizedPnl === order.realizedPnl &&
    snapshot.updateTime === order.updateTime && snapshot.attachTpsl === order.attachTpsl;
}

export function positionSnapshot(position: Position): PositionSnapshot {
  const { config, markPrice } = position.symbol;
  const settings = position.settings;
  const { unrealizedPnl, maintenanceMargin } = valuationOf(position);
  const risk = riskFields(position);
  // Every field written out (no spread): this runs for every position event.
  return {
    symbol: config.symbol,
    positionSide: position.side,
    marginMode: settings.marginMode,
    leverage: settings.leverage,
    qty: position.qty,
    entryCost: position.entryCost,
    margin: position.margin,
    openOrderQty: position.openOrderQty,
    openOrderMarginFrozen: position.frozen,
    closeOrderQty: position.closeOrderQty,
    realizedPnlTotal: position.realizedPnlTotal,
    realizedPnlCurrent: position.realizedPnlCurrent,
    feesTotal: position.feesTotal,
    feesCurrent: position.feesCurrent,
    markPrice: markPrice ?? 0,
    unrealizedPnl,
    maintenanceMargin,
    initialMargin: risk.initialMargin,
    maintenanceMarginRate: risk.maintenanceMarginRate,
    riskLevel: risk.riskLevel,
    riskLimit: risk.riskLimit,
    liquidationPrice: risk.liquidationPrice,
    bankruptcyPrice: risk.bankruptcyPrice,
    marginRatio: risk.marginRatio,
    adlQuantile: position.qty === 0 ? 0n : position.adlQuantile,
    autoDeposit: position.autoDeposit,
    status: position.status,
    fundingTotal: position.fundingTotal,
    takeProfitPrice: takeProfitPriceOf(position),
    stopLossPrice: stopLossPriceOf(position),
    trailingDistance: trailingDistanceOf(position),
    openTime: position.openTime,
    updateTime: position.updateTime,
  };
}

/** What a position with no record shows (never traded): flat, no margin, tier 1, the given settings. */
export function emptyPositionSnapshot(
  fields: Pick<PositionSnapshot, 'symbol' | 'positionSide' | 'marginMode' | 'leverage'> & Partial<Pick<PositionSnapshot, 'markPrice' | 'updateTime'>>,
): PositionSnapshot {
  return {
    qty: 0, entryCost: 0n, margin: 0n, openOrderQty: 0, openOrderMarginFrozen: 0n, closeOrderQty: 0, realizedPnlTotal: 0n, realizedPnlCurrent: 0n,
    feesTotal: 0n, feesCurrent: 0n, markPrice: 0, unrealizedPnl: 0n, maintenanceMargin: 0n, initialMargin: 0n, maintenanceMarginRate: 0n,
    riskLevel: 1, riskLimit: 0n, liquidationPrice: null, bankruptcyPrice: null, marginRatio: 0n, adlQuantile: 0n, autoDeposit: false,
    status: 'NORMAL', fundingTotal: 0n, takeProfitPrice: null, stopLossPrice: null, trailingDistance: null,
    openTime: 0, updateTime: 0, ...fields,
  };
}

export function availableBalance(wallet: Wallet): bigint {
  return wallet.balance - wallet.isolatedMargin - wallet.crossedMargin - wallet.frozen;
}

export function balanceSnapshot(account: Account, wallet: Wallet): BalanceSnapshot {
  let crossUnrealizedPnl = 0n;
  let isolatedUnrealizedPnl = 0n;
  let isolatedOrderMarginFrozen = 0n;
  let unrealizedPnl = 0n;
  let realizedPnl = 0n;
  let maintenanceMargin = 0n;
  for (const position of account.positions.values()) {
    if (position.symbol.config.settleAsset !== wallet.asset) continue;
    const isolated = position.settings.marginMode === 'ISOLATED';
    if (isolated) isolatedOrderMarginFrozen += position.frozen;
    realizedPnl += position.realizedPnlTotal - position.feesTotal;
    if (position.qty === 0) continue;
    const valuation = valuationOf(position);
    unrealizedPnl += valuation.unrealizedPnl;
    maintenanceMargin += valuation.maintenanceMargin;
    if (isolated) isolatedUnrealizedPnl += valuation.unrealizedPnl;
    else crossUnrealizedPnl += valuation.unrealizedPnl;
  }
  return {
    asset: wallet.asset,
    walletBalance: wallet.balance,
    crossWalletBalance: wallet.balance - wallet.isolatedMargin,
    isolatedMargin: wallet.isolatedMargin,
    crossedMargin: wallet.crossedMargin,
    openOrderMarginFrozen: wallet.frozen,
    availableBalance: availableBalance(wallet),
    crossUnrealizedPnl,
    isolatedOrderMarginFrozen,
    isolatedUnrealizedPnl,
    unrealizedPnl,
    realizedPnl,
    maintenanceMargin,
  };
}

/** The balance of an asset the account holds no wallet for (nothing is created). */
export function emptyBalance(asset: string): BalanceSnapshot {
  return {
    asset, walletBalance: 0n, crossWalletBalance: 0n, isolatedMargin: 0n, crossedMargin: 0n, openOrderMarginFrozen: 0n, availableBalance: 0n, crossUnrealizedPnl: 0n,
    isolatedOrderMarginFrozen: 0n, isolatedUnrealizedPnl: 0n, unrealizedPnl: 0n, realizedPnl: 0n, maintenanceMargin: 0n,
  };
}
