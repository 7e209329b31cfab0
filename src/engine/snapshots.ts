/**
 * Immutable snapshots of engine records: what events, results and views carry.
 */
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
    source: order.source,
    createTime: order.createTime,
    updateTime: order.updateTime,
  };
}

/** Funding is not modelled yet (the prices/funding half of issue 5). */
const RISK_NOT_MODELLED = { fundingTotal: 0n } as const;

export function positionSnapshot(position: Position): PositionSnapshot {
  const { config, markPrice } = position.symbol;
  const settings = position.settings;
  const { unrealizedPnl, maintenanceMargin } = valuationOf(position);
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
    unrealizedPnl,
    maintenanceMargin,
    ...riskFields(position),
    ...RISK_NOT_MODELLED,
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
    if (position.settings.marginMode !== 'CROSSED') continue;
    crossUnrealizedPnl += valuationOf(position).unrealizedPnl;
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
