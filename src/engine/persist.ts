/**
 * Engine state ↔ a plain, serializable snapshot. Only source records are kept: everything derived
 * (books, totals, caches) is rebuilt on restore and checked by the audit, so a snapshot can never
 * smuggle in an inconsistent state. Books are rebuilt by inserting each level's orders in priority
 * order, which is their time priority (the audit checks that invariant on every state).
 */
import { invariant } from './assert.js';
import { accountOrdersOf, liveByClientIdOf, recentClientIdsOf, type Core } from './core.js';
import { attach } from './positions.js';
import { balanceSnapshot } from './snapshots.js';
import { levelInForce } from './risk/tiers.js';
import { pricingRecords, restorePricing, type PricingRecord } from './prices.js';
import type { Account, EmittedPosition, Order, Position, Wallet } from './state.js';
import { rebuildIndex } from './risk/liquidation-index.js';
import {
  conditionalRecord, fromRecord, stopLossPriceOf, takeProfitPriceOf, trailingDistanceOf, type ConditionalRecord,
} from './conditional/records.js';
import { register } from './conditional/lifecycle.js';
import { restorePublished } from './public-feed.js';
import type {
  AttachTpsl, CommandResult, ConditionalKind, MarginMode, OrderReason, OrderState, OrderType, PositionMode, PositionSide, Side, StpMode, TimeInForce,
} from './types.js';

export const SNAPSHOT_VERSION = 1;

export interface OrderRecord {
  id: number; clientOrderId: string | null; positionSide: PositionSide; side: Side; orderType: OrderType; timeInForce: TimeInForce;
  reduceOnly: boolean; stpMode: StpMode; createTime: number; price: number; qty: number; filled: number; cumQuote: bigint;
  /** Order.cumCost (absent in snapshots from before inverse contracts, when it equalled cumQuote). */
  cumCost?: bigint;
  state: OrderState; reason: OrderReason; priority: number; fees: bigint; realizedPnl: bigint; updateTime: number;
  placeResult: CommandResult | null; symbol: string;
  /** The conditional order that placed it and the TP/SL it arms as it fills (absent before conditional orders: none). */
  origin?: ConditionalKind | null; conditionalId?: number | null; attachTpsl?: AttachTpsl | null; tpslArmed?: boolean;
}

export interface PositionRecord {
  symbol: string; side: PositionSide; qty: number; entryCost: bigint; margin: bigint; realizedPnlTotal: bigint;
  realizedPnlCurrent: bigint; feesTotal: bigint;
  /** Absent in snapshots written before it existed (read as 0). */
  feesCurrent?: bigint; openTime: number; updateTime: number;
  emittedQty: number; lastDirection: 'LONG' | 'SHORT' | null;
  /** Absent in snapshots older than funding: 0, 0, null. */
  fundingTotal?: bigint; emittedMark?: number; markEventTime?: number | null;
  /** False if no event was ever emitted for it (absent in older snapshots: true). */
  emitted?: boolean;
  /** Absent in snapshots from before it existed: such records count as initialised. */
  initialised?: boolean;
  /** Risk state (absent in snapshots from before the risk engine: defaults). */
  autoDeposit?: boolean; adlQuantile?: bigint; warned?: boolean;
  /** ADL score as last ranked (null: unranked) and the ranking round that last scored it (absent: null, 0). */
  adlScore?: bigint | null; adlRound?: number;
}

export interface AccountRecord {
  id: number;
  positionMode: PositionMode;
  /** Absent in snapshots from before the fee burn: off. */
  feeBurn?: boolean;
  seq: number;
  /** `emitted` as for positions. */
  wallets: { asset: string; balance: bigint; isolatedMargin: bigint; crossedMargin: bigint; emitted?: boolean; crossWarned?: boolean }[];
  settings: { symbol: string; leverage: number; marginMode: MarginMode; riskLimitLevel?: number }[];
  positions: PositionRecord[];
  orders: OrderRecord[];
  recentClientIds: [string, CommandResult][];
}

export interface EngineSnapshot {
  version: number;
  cmdSeq: number;
  time: number;
  nextAccountId: number;
  nextOrderId: number;
  nextTradeId: number;
  nextPriority: number;
  fees: [string, bigint][];
  netDeposits: [string, bigint][];
  /** setAssetPrice prices (absent in snapshots from before them). */
  assetPrices?: [string, bigint][];
  /** Core.roundingDust (absent in snapshots from before inverse contracts). */
  roundingDust?: [string, bigint][];
  symbols: { symbol: string; markPrice: number | null; lastPrice: number | null; adlRankedAt?: number; adlRound?: number; bookUpdateId?: number }[];
  accounts: AccountRecord[];
  /** Index, samples and funding state per symbol (absent in snapshots older than funding). */
  pricing?: PricingRecord[];
  /** Insurance fund per settle asset (absent before the risk engine). */
  insuranceFund?: [string, bigint][];
  /** Waiting conditional orders, by id (absent before conditional orders). */
  conditionals?: ConditionalRecord[];
}

function orderRecord(order: Order): OrderRecord {
  return {
    id: order.id, clientOrderId: order.clientOrderId, positionSide: order.position.side, side: order.side, orderType: order.orderType,
    timeInForce: order.timeInForce, reduceOnly: order.reduceOnly, stpMode: order.stpMode, createTime: order.createTime, price: order.price,
    qty: order.qty, filled: order.filled, cumQuote: order.cumQuote, cumCost: order.cumCost, state: order.state, reason: order.reason, priority: order.priority,
    fees: order.fees, realizedPnl: order.realizedPnl, updateTime: order.updateTime, placeResult: order.placeResult,
    symbol: order.symbol.config.symbol, origin: order.origin, conditionalId: order.conditionalId, attachTpsl: order.attachTpsl,
    tpslArmed: order.tpslArmed,
  };
}

function positionRecord(p: Position): PositionRecord {
  return {
    symbol: p.symbol.config.symbol, side: p.side, qty: p.qty, entryCost: p.entryCost, margin: p.margin, realizedPnlTotal: p.realizedPnlTotal,
    realizedPnlCurrent: p.realizedPnlCurrent, feesTotal: p.feesTotal, feesCurrent: p.feesCurrent, openTime: p.openTime, updateTime: p.updateTime,
    emittedQty: p.emittedQty, lastDirection: p.lastDirection, fundingTotal: p.fundingTotal, emittedMark: p.emittedMark, markEventTime: p.markEventTime,
    emitted: p.lastEmitted !== null, initialised: p.initialised,
    autoDeposit: p.autoDeposit, adlQuantile: p.adlQuantile, warned: p.riskUnit?.warned ?? false, adlScore: p.adlScore, adlRound: p.adlRound,
  };
}

/** Copies the state out. Results and snapshots inside are immutable, so they are shared, not copied. */
export function captureSnapshot(core: Core): EngineSnapshot {
  const accounts: AccountRecord[] = [];
  for (const account of core.accounts.values()) {
    accounts.push({
      id: account.id,
      positionMode: account.positionMode,
      feeBurn: account.feeBurn,
      seq: account.seq,
      wallets: [...account.wallets.values()].map((w) => ({
        asset: w.asset, balance: w.balance, isolatedMargin: w.isolatedMargin, crossedMargin: w.crossedMargin, emitted: w.lastEmitted !== null,
        crossWarned: w.crossUnit?.warned ?? false,
      })),
      settings: [...account.settings.entries()].map(([symbol, s]) => ({ symbol, leverage: s.leverage, marginMode: s.marginMode, riskLimitLevel: s.riskLimitLevel })),
      positions: [...account.positions.values()].map(positionRecord),
      orders: [...account.orders.values()].map(orderRecord).sort((a, b) => a.priority - b.priority),
      recentClientIds: [...account.recentClientIds.entries()],
    });
  }
  return {
    version: SNAPSHOT_VERSION,
    cmdSeq: core.cmdSeq, time: core.time, nextAccountId: core.nextAccountId, nextOrderId: core.nextOrderId,
    nextTradeId: core.nextTradeId, nextPriority: core.nextPriority,
    fees: [...core.fees.entries()], netDeposits: [...core.netDeposits.entries()], assetPrices: [...core.assetPrices.entries()],
    roundingDust: [...core.roundingDust.entries()],
    symbols: [...core.symbols.values()].map((s) => ({
      symbol: s.config.symbol, markPrice: s.markPrice, lastPrice: s.lastPrice, adlRankedAt: s.risk.adlRankedAt, adlRound: s.risk.adl.round,
      bookUpdateId: s.bookUpdateId,
    })),
    accounts,
    pricing: pricingRecords(core),
    insuranceFund: [...core.risk.insuranceFund.entries()],
    conditionals: [...core.conditionals.waiting.values()].sort((a, b) => a.id - b.id).map(conditionalRecord),
  };
}

/**
 * What a restored position's last event showed of the fields the emitter compares: its state now.
 * The same values positionSnapshot would copy, without building a snapshot or the risk fields.
 */
function emittedState(p: Position): EmittedPosition {
  const settings = p.settings;
  return {
    qty: p.qty, entryCost: p.entryCost, margin: p.margin, openOrderQty: p.openOrderQty, openOrderMarginFrozen: p.frozen,
    closeOrderQty: p.closeOrderQty, leverage: settings.leverage, marginMode: settings.marginMode, realizedPnlTotal: p.realizedPnlTotal,
    realizedPnlCurrent: p.realizedPnlCurrent, feesTotal: p.feesTotal, feesCurrent: p.feesCurrent, fundingTotal: p.fundingTotal,
    openTime: p.openTime, updateTime: p.updateTime, autoDeposit: p.autoDeposit, status: p.status, riskLevel: levelInForce(p) + 1,
    takeProfitPrice: takeProfitPriceOf(p), stopLossPrice: stopLossPriceOf(p), trailingDistance: trailingDistanceOf(p),
  };
}

/** Loads a snapshot into a freshly constructed core (same symbols); the caller audits the result. */
export function restoreSnapshot(core: Core, snapshot: EngineSnapshot): void {
  invariant(snapshot.version === SNAPSHOT_VERSION, `snapshot version ${snapshot.version} is not ${SNAPSHOT_VERSION}`);
  invariant(core.cmdSeq === 0 && core.accounts.size === 0, 'restore needs a fresh engine');
  Object.assign(core, {
    cmdSeq: snapshot.cmdSeq, time: snapshot.time, nextAccountId: snapshot.nextAccountId, nextOrderId: snapshot.nextOrderId,
    nextTradeId: snapshot.nextTradeId, nextPriority: snapshot.nextPriority,
  });
  for (const [asset, amount] of snapshot.fees) core.fees.set(asset, amount);
  for (const [asset, amount] of snapshot.netDeposits) core.netDeposits.set(asset, amount);
  for (const [pair, price] of snapshot.assetPrices ?? []) core.assetPrices.set(pair, price);
  for (const [asset, fine] of snapshot.roundingDust ?? []) core.roundingDust.set(asset, fine);
  for (const [asset, amount] of snapshot.insuranceFund ?? []) core.risk.insuranceFund.set(asset, amount);
  for (const s of snapshot.symbols) {
    const symbol = core.symbols.get(s.symbol);
    invariant(symbol !== undefined, `the snapshot has symbol ${s.symbol}, which is not configured`);
    symbol.markPrice = s.markPrice;
    symbol.pacing.shownMark = s.markPrice ?? 0;
    symbol.lastPrice = s.lastPrice;
    symbol.risk.adlRankedAt = s.adlRankedAt ?? 0;
    symbol.risk.adl.round = s.adlRound ?? 0;
    symbol.bookUpdateId = s.bookUpdateId ?? 0;
  }
  const warned = { positions: new Set<Position>(), wallets: new Set<Wallet>() };
  const allOrders: { account: Account; record: OrderRecord }[] = [];
  for (const record of snapshot.accounts) {
    core.nextAccountId = record.id;
    const account = core.createAccount();
    invariant(account.id === record.id, `account ids must be restored in order (${account.id} ≠ ${record.id})`);
    account.positionMode = record.positionMode;
    account.feeBurn = record.feeBurn ?? false;
    account.seq = record.seq;
    for (const s of record.settings) {
      Object.assign(core.settings(account, s.symbol), { leverage: s.leverage, marginMode: s.marginMode, riskLimitLevel: s.riskLimitLevel ?? 1 });
    }
    for (const w of record.wallets) {
      const wallet = core.wallet(account, w.asset);
      Object.assign(wallet, { balance: w.balance, isolatedMargin: w.isolatedMargin, crossedMargin: w.crossedMargin });
      if (w.crossWarned === true) warned.wallets.add(wallet);
    }
    for (const p of record.positions) {
      const position = core.position(account, core.symbols.get(p.symbol)!, p.side);
      Object.assign(position, {
        qty: p.qty, entryCost: p.entryCost, margin: p.margin, realizedPnlTotal: p.realizedPnlTotal, realizedPnlCurrent: p.realizedPnlCurrent,
        feesTotal: p.feesTotal, feesCurrent: p.feesCurrent ?? 0n, openTime: p.openTime, updateTime: p.updateTime, emittedQty: p.emittedQty, lastDirection: p.lastDirection,
        fundingTotal: p.fundingTotal ?? 0n, emittedMark: p.emittedMark ?? 0, markEventTime: p.markEventTime ?? null,
        initialised: p.initialised ?? true,
        autoDeposit: p.autoDeposit ?? false, adlQuantile: p.adlQuantile ?? 0n, adlScore: p.adlScore ?? null, adlRound: p.adlRound ?? 0,
      });
      if (p.warned === true) warned.positions.add(position);
    }
    for (const [clientOrderId, result] of record.recentClientIds) recentClientIdsOf(account).set(clientOrderId, result);
    for (const order of record.orders) allOrders.push({ account, record: order });
  }
  core.nextAccountId = snapshot.nextAccountId;
  // Orders go back in global priority order, so each level's FIFO and each side list come out as they were.
  allOrders.sort((a, b) => a.record.priority - b.record.priority);
  for (const { account, record } of allOrders) {
    const symbol = core.symbols.get(record.symbol)!;
    const order: Order = {
      id: record.id, clientOrderId: record.clientOrderId, account, symbol, position: core.position(account, symbol, record.positionSide),
      side: record.side, orderType: record.orderType, timeInForce: record.timeInForce, reduceOnly: record.reduceOnly, stpMode: record.stpMode,
      createTime: record.createTime, price: record.price, freezePrice: record.price, qty: record.qty, filled: record.filled,
      cumQuote: record.cumQuote, cumCost: record.cumCost ?? record.cumQuote, state: record.state, reason: record.reason, priority: record.priority, closeQty: 0, openQty: 0,
      frozen: 0n, openCost: 0n, perContract: 0n, perContractPrice: 0, perContractLeverage: 0, fees: record.fees, realizedPnl: record.realizedPnl,
      updateTime: record.updateTime, placeResult: record.placeResult, source: 'USER', origin: record.origin ?? null,
      conditionalId: record.conditionalId ?? null, attachTpsl: record.attachTpsl ?? null, tpslArmed: record.tpslArmed ?? false, level: null, prev: null, next: null,
    };
    accountOrdersOf(account).set(order.id, order);
    if (order.clientOrderId !== null) liveByClientIdOf(account).set(order.clientOrderId, order);
    attach(core, order);
    symbol.book.sideFor(order).add(order);
  }
  restorePricing(core, snapshot.pricing ?? []);
  for (const record of snapshot.conditionals ?? []) {
    const account = core.accounts.get(record.accountId)!;
    const symbol = core.symbols.get(record.symbol)!;
    register(core, fromRecord(record, account, symbol), core.findPosition(account, symbol, record.positionSide));
  }
  // Between commands every waiting order is in the heaps.
  for (const c of core.conditionals.pending) core.conditionals.book(c.symbol).add(c);
  core.conditionals.pending = [];
  // Restoring marked records as changed; nothing is to be emitted for them (nor for the book levels it filled).
  core.emitter.discardStep();
  for (const symbol of core.symbols.values()) {
    symbol.book.bids.forgetChanges();
    symbol.book.asks.forgetChanges();
  }
  // The liquidation index is derived: rebuilt from the positions, with the warnings in force.
  rebuildIndex(core, warned);
  // Open interest and what the public feed last published are derived too.
  restorePublished(core);
  // What clients were last sent of each record is its state now (apart from mark-derived fields,
  // which the emitter ignores): without it, a record touched but left unchanged by the next command
  // would emit an event the uninterrupted engine did not, and every later seq would shift.
  for (const record of snapshot.accounts) {
    const account = core.accounts.get(record.id)!;
    for (const p of record.positions) {
      const position = core.position(account, core.symbols.get(p.symbol)!, p.side);
      if (p.emitted !== false) position.lastEmitted = emittedState(position);
    }
    for (const w of record.wallets) {
      const wallet = core.wallet(account, w.asset);
      if (w.emitted !== false) wallet.lastEmitted = balanceSnapshot(account, wallet);
    }
  }
}
