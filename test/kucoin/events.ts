/**
 * Canonical events built by hand for the KuCoin encoder tests: the risk fields and risk events
 * (liquidation price, ADL quantile, notices, funding, risk limit) are produced by the risk engine,
 * which does not exist yet, so the encoders are tested on constructed events.
 */
import { buildSymbolConfig, type SymbolConfig } from '../../src/engine/symbol.js';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import type {
  BalanceSnapshot, ChangeReason, EngineEvent, OrderSnapshot, PositionEvent, PositionSnapshot, TradeEvent,
} from '../../src/engine/types.js';
import { KucoinSymbols } from '../../src/dialects/kucoin/symbols.js';

/** The demo BTC contract (tick 0.1, contract 0.0001: K = 1000) and ETH (tick 0.01, contract 0.01). */
export const BTC_CONFIG = buildSymbolConfig(BTC_USDT);
export const ETH_CONFIG = buildSymbolConfig(ETH_USDT);
/**
 * A contract shaped like seed 004's XBTUSDTM example (tick 0.01, multiplier 0.001: K = 1000 as well),
 * so the seed's cross numbers can be reproduced exactly.
 */
export const SEED_CONFIG: SymbolConfig = buildSymbolConfig({ ...BTC_USDT, tickSize: '0.01', contractSize: '0.001' });
export const SYMBOLS = new KucoinSymbols([BTC_CONFIG, ETH_CONFIG]);
export const SEED_SYMBOLS = new KucoinSymbols([SEED_CONFIG]);

export const T0 = 1_717_724_618_516;

export function position(overrides: Partial<PositionSnapshot> = {}): PositionSnapshot {
  return {
    symbol: 'btc_usdt', positionSide: 'BOTH', marginMode: 'CROSSED', leverage: 20, qty: 0, entryCost: 0n, margin: 0n,
    openOrderQty: 0, openOrderMarginFrozen: 0n, closeOrderQty: 0, realizedPnlTotal: 0n, realizedPnlCurrent: 0n, feesTotal: 0n, feesCurrent: 0n,
    markPrice: 0, unrealizedPnl: 0n, maintenanceMargin: 0n, initialMargin: 0n, maintenanceMarginRate: 0n, riskLevel: 1, riskLimit: 0n,
    liquidationPrice: null, bankruptcyPrice: null, marginRatio: 0n, adlQuantile: 0n, autoDeposit: false, status: 'NORMAL', fundingTotal: 0n, takeProfitPrice: null, stopLossPrice: null, trailingDistance: null,
    openTime: 0, updateTime: 0, ...overrides,
  };
}

export function positionEvent(p: PositionSnapshot, reason: ChangeReason = 'ORDER', seq = 7, time = T0): PositionEvent {
  return { type: 'position', accountId: 42, seq, cmdSeq: 100, time, reason, position: p, previousQty: 0, lastDirection: null };
}

export function order(overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    orderId: 5, clientOrderId: 'cid-5', accountId: 42, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT',
    timeInForce: 'GTC', price: 600_000, qty: 10, executedQty: 0, cumQuote: 0n, cumCost: 0n, state: 'NEW', reason: 'NONE', reduceOnly: false,
    stpMode: 'EXPIRE_TAKER', closeQty: 0, marginFrozen: 0n, leverage: 20, marginMode: 'CROSSED', fees: 0n, realizedPnl: 0n, source: 'USER', origin: null, conditionalId: null, attachTpsl: null,
    createTime: 1_717_724_600_000, updateTime: T0, ...overrides,
  };
}

export function orderEvent(o: OrderSnapshot, execType: 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT' | 'REJECTED', seq = 3): EngineEvent {
  return { type: 'order', accountId: 42, seq, cmdSeq: 100, time: T0, reason: 'ORDER', execType, order: o };
}

export function tradeEvent(o: OrderSnapshot, fill: { qty: number; price: number; isMaker: boolean; fee: bigint; tradeId?: number }, seq = 4): TradeEvent {
  return {
    type: 'trade', accountId: 42, seq, cmdSeq: 100, time: T0, reason: 'ORDER', tradeId: fill.tradeId ?? 9, orderId: o.orderId, clientOrderId: o.clientOrderId,
    symbol: o.symbol, side: o.side, positionSide: o.positionSide, orderType: o.orderType, price: fill.price, qty: fill.qty, isMaker: fill.isMaker,
    fee: fill.fee, feeAsset: 'USDT', realizedPnl: 0n, marginUnfrozen: 0n, source: o.source, order: o,
  };
}

export function balance(overrides: Partial<BalanceSnapshot> = {}): BalanceSnapshot {
  return {
    asset: 'USDT', walletBalance: 0n, crossWalletBalance: 0n, isolatedMargin: 0n, crossedMargin: 0n, openOrderMarginFrozen: 0n, availableBalance: 0n,
    crossUnrealizedPnl: 0n, isolatedOrderMarginFrozen: 0n, isolatedUnrealizedPnl: 0n, unrealizedPnl: 0n, realizedPnl: 0n, maintenanceMargin: 0n,
    ...overrides,
  };
}

/** A frame's parsed JSON. */
export const parse = (text: string): Record<string, unknown> & { data: Record<string, unknown> } => JSON.parse(text) as Record<string, unknown> & { data: Record<string, unknown> };
