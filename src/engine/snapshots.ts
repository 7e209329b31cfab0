/**
 * Immutable snapshots of engine records: what events, results and views carry.
 */
import { invariant } from './assert.js';
import { positionMaintenance, unrealizedPnl } from './margin.js';
import type { Account, Order, Position, SymbolSettings, Wallet } from './state.js';
import type { BalanceSnapshot, OrderSnapshot, PositionSnapshot } from './types.js';

/** Every account holds settings for every symbol from the moment it is created. */
export function settingsOf(account: Account, symbol: string): SymbolSettings {
  const settings = account.settings.get(symbol);
  invariant(settings !== undefined, () => `account ${account.id} has no settings for ${symbol}`);
  return settings;
}

export function orderSnapshot(order: Order, settings: SymbolSettings): OrderSnapshot {
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
    state: order.state,
    reason: order.reason,
    reduceOnly: order.reduceOnly,
    stpMode: order.stpMode,
    closeQty: order.closeQty,
    marginFrozen: order.frozen,
    leverage: settings.leverage,
    marginMode: settings.marginMode,
    fees: order.fees,
    realizedPnl: order.realizedPnl,
    createTime: order.createTime,
    updateTime: order.updateTime,
  };
}

export function positionSnapshot(position: Position, settings: SymbolSettings): PositionSnapshot {
  const { config, markPrice } = position.symbol;
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
    markPrice: markPrice ?? 0,
    unrealizedPnl: unrealizedPnl(config, position.qty, position.entryCost, markPrice),
    maintenanceMargin: positionMaintenance(config, position.qty, markPrice),
    openTime: position.openTime,
    updateTime: position.updateTime,
  };
}

export function availableBalance(wallet: Wallet): bigint {
  return wallet.balance - wallet.isolatedMargin - wallet.crossedMargin - wallet.frozen;
}

export function balanceSnapshot(account: Account, wallet: Wallet): BalanceSnapshot {
  let crossUnrealizedPnl = 0n;
  for (const position of account.positions.values()) {
    if (position.qty === 0 || position.symbol.config.settleAsset !== wallet.asset) continue;
    if (settingsOf(account, position.symbol.config.symbol).marginMode !== 'CROSSED') continue;
    crossUnrealizedPnl += unrealizedPnl(position.symbol.config, position.qty, position.entryCost, position.symbol.markPrice);
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
  };
}
