/**
 * The account ledger: every movement of an account's money (realized PnL and fees of fills,
 * funding, deposits and withdrawals, insurance clearance of a liquidation) as one row each, and
 * a record of each position once it is closed, and a record of each order that closed (part of) a
 * position. It is the one model behind every dialect's income, transaction-log, bills,
 * funding-history, position-history and closed-PnL readers.
 *
 * Fed only from canonical engine events (like History), so a journal replay rebuilds exactly what
 * the live events built; captured in snapshots as service state, so it survives restarts. Bounded:
 * per account and in total, past either bound the oldest row (or record) goes.
 */
import type { DeliveryEvent, EngineEvent, FundingEvent, MarginMode, OrderSource, OrderType, PositionEvent, PositionSide, Side, TradeEvent } from '../engine/types.js';
import { proRata } from '../engine/margin.js';
import type { SymbolSpec } from '../engine/symbol.js';
import { BoundedLog } from './history.js';

/** What moved the money. Liquidation and ADL fills are TRADE_PNL / FEE rows whose `source` says so. */
export type LedgerKind = 'REALIZED_PNL' | 'FEE' | 'FUNDING' | 'DEPOSIT' | 'WITHDRAW' | 'INSURANCE_CLEAR' | 'DELIVERY';

export interface LedgerRow {
  /**
   * Unique per account and stable over restarts and replays: the event's account seq × 4 plus the
   * row's place in it (a fill makes a PnL and a fee row from one event).
   */
  id: number;
  accountId: number;
  time: number;
  kind: LedgerKind;
  asset: string;
  /** Signed change of the wallet, 1e-8 of the asset: + in, − out. */
  amount: bigint;
  /** The wallet balance of the asset right after this row. */
  balanceAfter: bigint;
  symbol: string | null;
  positionSide: PositionSide | null;
  /** Fills: the fill's order, trade, side, price (ticks), contracts and who made the order. */
  orderId: number | null;
  tradeId: number | null;
  side: Side | null;
  price: number | null;
  qty: number | null;
  source: OrderSource | null;
  /** Fills: the fill's realized PnL and fee (both rows of one fill carry both), settle asset / fee asset. */
  tradePnl: bigint | null;
  tradeFee: bigint | null;
  feeAsset: string | null;
  /** Funding: the rate (1e-8), the signed position in contracts, the mark price (ticks). */
  fundingRate: bigint | null;
  /** Fills: the position's signed contracts right after the fill (Bybit `size`). */
  positionAfter: number | null;
}

/** A position from the first fill that opened it to the fill that made it flat. */
export interface ClosedPosition {
  /** The closing fill's trade id (unique per account). */
  id: number;
  accountId: number;
  symbol: string;
  positionSide: PositionSide;
  direction: 'LONG' | 'SHORT';
  marginMode: MarginMode;
  leverage: number;
  openTime: number;
  closeTime: number;
  /** Contracts opened (= closed) over the position's life, and the largest size it reached. */
  qty: number;
  maxQty: number;
  /** Σ contracts × price (ticks) of the opening and of the closing fills: average entry and exit. */
  openCost: bigint;
  closeCost: bigint;
  /** Realized PnL before fees, fees paid opening and closing it (settle asset), funding received (+) or paid (−). */
  realizedPnl: bigint;
  openFees: bigint;
  closeFees: bigint;
  funding: bigint;
  /** Who closed the last of it: the account, a liquidation, or ADL. */
  closedBy: OrderSource;
  /** The closing fill's order. */
  orderId: number;
}

/**
 * What one order closed of one position (Bybit's closed-PnL rows): its closing fills, in a row, with
 * the entry cost and opening fees of the contracts they closed (released pro rata, as the engine
 * releases entry cost) and the fees of the closing part. A one-way flip's opening part is not in it.
 */
export interface ClosingOrder {
  /** The first closing fill's trade id (unique per account). */
  id: number;
  accountId: number;
  symbol: string;
  positionSide: PositionSide;
  /** The position it closed. */
  direction: 'LONG' | 'SHORT';
  orderId: number;
  side: Side;
  orderType: OrderType;
  /** The order's limit price (ticks; 0 for a market order) and contracts. */
  orderPrice: number;
  orderQty: number;
  source: OrderSource;
  leverage: number;
  /** The order's creation, and its last closing fill. */
  createdTime: number;
  updatedTime: number;
  closedQty: number;
  /** Σ contracts × price (ticks) of the closed contracts' entry and of the closing fills. */
  entryCost: bigint;
  exitCost: bigint;
  /** Realized PnL before fees; the closed contracts' share of the opening fees; the closing fees. */
  realizedPnl: bigint;
  openFee: bigint;
  closeFee: bigint;
  fillCount: number;
}

/** A position being tracked while it is open (becomes a ClosedPosition). */
interface OpenPosition {
  key: string;
  accountId: number;
  symbol: string;
  positionSide: PositionSide;
  /** Signed contracts, followed from the fills. */
  qty: number;
  openTime: number;
  openedQty: number;
  maxQty: number;
  openCost: bigint;
  closeCost: bigint;
  realizedPnl: bigint;
  openFees: bigint;
  closeFees: bigint;
  funding: bigint;
  /** Entry cost of the contracts still open (the engine's rule: released pro rata on a close). */
  entryCost: bigint;
  /** Opening fees of the contracts still open (released pro rata on a close, like the entry cost). */
  openFeesHeld: bigint;
  /** The order whose closing fills the newest ClosingOrder of this position holds, or null. */
  closingOrderId: number | null;
}

export interface LedgerLimits {
  rowsPerAccount: number;
  rowsTotal: number;
  closedPositionsPerAccount: number;
  closedPositionsTotal: number;
  closingOrdersPerAccount: number;
  closingOrdersTotal: number;
}

/** Binance keeps three months of income; here a count bounds memory instead (docs/architecture.md). */
export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  rowsPerAccount: 10_000, rowsTotal: 200_000, closedPositionsPerAccount: 1_000, closedPositionsTotal: 50_000,
  closingOrdersPerAccount: 1_000, closingOrdersTotal: 50_000,
};

type Entry =
  | ['row', LedgerRow]
  | ['closed', ClosedPosition]
  | ['closing', ClosingOrder]
  | ['open', OpenPosition]
  | ['balance', [number, string, bigint]];

const ROWS_PER_EVENT = 4;

/** The account seq of the event a row came from (rows of one event, e.g. a delivery and its fee, share it). */
export const eventSeqOf = (row: Pick<LedgerRow, 'id'>): number => Math.floor(row.id / ROWS_PER_EVENT);

export class Ledger {
  readonly name = 'ledger';
  private readonly rowLog: BoundedLog<LedgerRow>;
  private readonly closedLog: BoundedLog<ClosedPosition>;
  private readonly closingLog: BoundedLog<ClosingOrder>;
  private readonly open = new Map<string, OpenPosition>();
  /** Wallet balance per account and asset as of the last event (the rows' balanceAfter). */
  private readonly balances = new Map<string, bigint>();
  private readonly settleAssets: ReadonlyMap<string, string>;

  constructor(symbols: readonly SymbolSpec[], limits: LedgerLimits = DEFAULT_LEDGER_LIMITS) {
    this.settleAssets = new Map(symbols.map((s) => [s.symbol, s.settleAsset]));
    this.rowLog = new BoundedLog(limits.rowsPerAccount, limits.rowsTotal, () => undefined);
    this.closedLog = new BoundedLog(limits.closedPositionsPerAccount, limits.closedPositionsTotal, () => undefined);
    this.closingLog = new BoundedLog(limits.closingOrdersPerAccount, limits.closingOrdersTotal, () => undefined);
  }

  record(event: EngineEvent): void {
    switch (event.type) {
      case 'trade': return this.fill(event);
      case 'funding': return this.funding(event);
      case 'delivery': return this.delivery(event);
      case 'position': return this.align(event);
      case 'balance': {
        const { balance, walletChange, reason } = event;
        // Non-PnL wallet changes: deposits, withdrawals and a liquidation's insurance clearance.
        // Funding also counts there, but its rows come from the funding events (per position).
        if (walletChange !== 0n) {
          const kind: LedgerKind | null = reason === 'DEPOSIT' || reason === 'WITHDRAW' ? (walletChange > 0n ? 'DEPOSIT' : 'WITHDRAW')
            : reason === 'LIQUIDATION' ? 'INSURANCE_CLEAR' : null;
          if (kind !== null) this.push(event, 0, kind, balance.asset, walletChange, {});
        }
        // The engine's figure is the authority: the running balance follows it.
        this.balances.set(balanceKey(event.accountId, balance.asset), balance.walletBalance);
        return;
      }
      default: return;
    }
  }

  /** Rows of the account, oldest first. */
  rows(accountId: number): readonly LedgerRow[] {
    return this.rowLog.of(accountId);
  }

  /** Closed positions of the account, oldest first. */
  closedPositions(accountId: number): readonly ClosedPosition[] {
    return this.closedLog.of(accountId);
  }

  /** What each order closed, oldest first (by its first closing fill). */
  closingOrders(accountId: number): readonly ClosingOrder[] {
    return this.closingLog.of(accountId);
  }

  private fill(trade: TradeEvent): void {
    const settleAsset = this.settleAssets.get(trade.symbol) ?? trade.feeAsset;
    const context = {
      symbol: trade.symbol, positionSide: trade.positionSide, orderId: trade.orderId, tradeId: trade.tradeId, side: trade.side,
      price: trade.price, qty: trade.qty, source: trade.source, tradePnl: trade.realizedPnl, tradeFee: trade.fee, feeAsset: trade.feeAsset,
    };
    const positionAfter = this.followPosition(trade, trade.feeAsset === settleAsset ? trade.fee : 0n);
    if (trade.realizedPnl !== 0n) this.push(trade, 0, 'REALIZED_PNL', settleAsset, trade.realizedPnl, { ...context, positionAfter });
    if (trade.fee !== 0n) this.push(trade, 1, 'FEE', trade.feeAsset, -trade.fee, { ...context, positionAfter });
  }

  /**
   * Follows the fill's position: its closing part ends a position record when it reaches flat.
   * Returns the position's signed contracts after the fill.
   */
  private followPosition(trade: TradeEvent, fee: bigint): number {
    const key = positionKey(trade.accountId, trade.symbol, trade.positionSide);
    const direction = trade.side === 'BUY' ? 1 : -1;
    let position = this.open.get(key);
    const held = position?.qty ?? 0;
    const closing = held !== 0 && Math.sign(held) !== direction ? Math.min(trade.qty, Math.abs(held)) : 0;
    const opening = trade.qty - closing;
    // A one-way flip: the closing part's share of the fee belongs to the position it closed.
    const closingFee = opening === 0 ? fee : (fee * BigInt(closing)) / BigInt(trade.qty);
    if (position !== undefined && closing > 0) {
      this.recordClosing(trade, position, closing, closingFee);
      position.qty += direction * closing;
      position.closeCost += BigInt(closing) * BigInt(trade.price);
      position.realizedPnl += trade.realizedPnl;
      position.closeFees += closingFee;
      if (position.qty === 0) {
        this.closedLog.push(trade.accountId, {
          id: trade.tradeId, accountId: trade.accountId, symbol: trade.symbol, positionSide: trade.positionSide,
          direction: direction > 0 ? 'SHORT' : 'LONG', marginMode: trade.order.marginMode, leverage: trade.order.leverage,
          openTime: position.openTime, closeTime: trade.time, qty: position.openedQty, maxQty: position.maxQty,
          openCost: position.openCost, closeCost: position.closeCost, realizedPnl: position.realizedPnl, openFees: position.openFees, closeFees: position.closeFees,
          funding: position.funding, closedBy: trade.source, orderId: trade.orderId,
        });
        this.open.delete(key);
        position = undefined;
      }
    }
    if (opening > 0) {
      if (position === undefined) {
        position = {
          key, accountId: trade.accountId, symbol: trade.symbol, positionSide: trade.positionSide, qty: 0, openTime: trade.time,
          openedQty: 0, maxQty: 0, openCost: 0n, closeCost: 0n, realizedPnl: 0n, openFees: 0n, closeFees: 0n, funding: 0n,
          entryCost: 0n, openFeesHeld: 0n, closingOrderId: null,
        };
        this.open.set(key, position);
      }
      position.qty += direction * opening;
      position.openedQty += opening;
      position.maxQty = Math.max(position.maxQty, Math.abs(position.qty));
      position.openCost += BigInt(opening) * BigInt(trade.price);
      position.openFees += fee - closingFee;
      position.entryCost += BigInt(opening) * BigInt(trade.price);
      position.openFeesHeld += fee - closingFee;
    }
    return position?.qty ?? 0;
  }

  /**
   * The closing part of a fill joins its order's record when that record is the position's newest
   * (the order's fills come in a row); otherwise it starts a record. Records are replaced, not
   * mutated (a captured snapshot may still hold the old one).
   */
  private recordClosing(trade: TradeEvent, position: OpenPosition, closing: number, closeFee: bigint): void {
    const size = Math.abs(position.qty);
    const entryCost = proRata(position.entryCost, closing, size);
    const openFee = proRata(position.openFeesHeld, closing, size);
    position.entryCost -= entryCost;
    position.openFeesHeld -= openFee;
    const exitCost = BigInt(closing) * BigInt(trade.price);
    const records = this.closingLog.of(trade.accountId);
    let newest: ClosingOrder | undefined;
    for (let i = records.length - 1; i >= 0 && newest === undefined; i--) {
      const record = records[i]!;
      if (record.symbol === trade.symbol && record.positionSide === trade.positionSide) newest = record;
    }
    if (newest !== undefined && position.closingOrderId === trade.orderId && newest.orderId === trade.orderId) {
      const next: ClosingOrder = {
        ...newest, updatedTime: trade.time, closedQty: newest.closedQty + closing, entryCost: newest.entryCost + entryCost,
        exitCost: newest.exitCost + exitCost, realizedPnl: newest.realizedPnl + trade.realizedPnl, openFee: newest.openFee + openFee,
        closeFee: newest.closeFee + closeFee, fillCount: newest.fillCount + 1,
        // A risk-engine fill of the same order cannot happen; the newest source stands regardless.
        source: trade.source,
      };
      if (this.closingLog.replaceNewest(trade.accountId, (record) => record === newest, next)) return;
    }
    position.closingOrderId = trade.orderId;
    const { order } = trade;
    this.closingLog.push(trade.accountId, {
      id: trade.tradeId, accountId: trade.accountId, symbol: trade.symbol, positionSide: trade.positionSide,
      direction: position.qty > 0 ? 'LONG' : 'SHORT', orderId: trade.orderId, side: trade.side, orderType: order.orderType,
      orderPrice: order.price, orderQty: order.qty, source: trade.source, leverage: order.leverage, createdTime: order.createTime,
      updatedTime: trade.time, closedQty: closing, entryCost, exitCost, realizedPnl: trade.realizedPnl, openFee, closeFee, fillCount: 1,
    });
  }

  /**
   * Keeps the followed position equal to the engine's. They agree whenever the ledger saw every fill
   * (every change of a position's size is a fill); they differ only after a restore from a snapshot
   * taken before the ledger existed, and then the engine's figure wins (no record is made of a
   * position whose opening was never seen).
   */
  private align(event: PositionEvent): void {
    const { position } = event;
    const key = positionKey(event.accountId, position.symbol, position.positionSide);
    const followed = this.open.get(key);
    if (position.qty === 0) {
      if (followed !== undefined) this.open.delete(key);
      return;
    }
    if (followed !== undefined && followed.qty === position.qty) return;
    this.open.set(key, {
      key, accountId: event.accountId, symbol: position.symbol, positionSide: position.positionSide, qty: position.qty,
      openTime: position.openTime, openedQty: Math.abs(position.qty), maxQty: Math.abs(position.qty), openCost: position.entryCost,
      closeCost: 0n, realizedPnl: 0n, openFees: position.feesCurrent, closeFees: 0n, funding: position.fundingTotal,
      entryCost: position.entryCost, openFeesHeld: position.feesCurrent, closingOrderId: null,
    });
  }

  private funding(event: FundingEvent): void {
    const asset = this.settleAssets.get(event.symbol);
    if (asset === undefined || event.fundingFee === 0n) return;
    this.push(event, 0, 'FUNDING', asset, event.fundingFee, {
      symbol: event.symbol, positionSide: event.positionSide, price: event.markPrice, qty: event.qty, fundingRate: event.fundingRate,
    });
    const position = this.open.get(positionKey(event.accountId, event.symbol, event.positionSide));
    if (position !== undefined) position.funding += event.fundingFee;
  }

  /**
   * A delivery settlement closed a position: its PnL (a DELIVERY row even when zero: the settlement
   * itself is the record, Binance's DELIVERED_SETTELMENT) and its delivery fee; the position ends.
   */
  private delivery(event: DeliveryEvent): void {
    const asset = this.settleAssets.get(event.symbol);
    if (asset === undefined) return;
    // The side that closed it (as a fill's): a long is sold at the delivery price, a short bought.
    const side: Side = event.qty > 0 ? 'SELL' : 'BUY';
    const context = { symbol: event.symbol, positionSide: event.positionSide, side, price: event.deliveryPrice, qty: Math.abs(event.qty), positionAfter: 0 };
    this.push(event, 0, 'DELIVERY', asset, event.realizedPnl, context);
    if (event.fee !== 0n) this.push(event, 1, 'FEE', asset, -event.fee, context);
    this.open.delete(positionKey(event.accountId, event.symbol, event.positionSide));
  }

  private push(event: EngineEvent, place: number, kind: LedgerKind, asset: string, amount: bigint, context: Partial<LedgerRow>): void {
    const key = balanceKey(event.accountId, asset);
    const balanceAfter = (this.balances.get(key) ?? 0n) + amount;
    this.balances.set(key, balanceAfter);
    this.rowLog.push(event.accountId, {
      id: event.seq * ROWS_PER_EVENT + place, accountId: event.accountId, time: event.time, kind, asset, amount, balanceAfter,
      symbol: null, positionSide: null, orderId: null, tradeId: null, side: null, price: null, qty: null, source: null,
      tradePnl: null, tradeFee: null, feeAsset: null, fundingRate: null, positionAfter: null, ...context,
    });
  }

  /** Everything, in the order it was recorded (a copy: the snapshot encodes it later). */
  capture(): unknown[] {
    const entries: Entry[] = [];
    for (const row of this.rowLog.entries()) entries.push(['row', row]);
    for (const closed of this.closedLog.entries()) entries.push(['closed', closed]);
    for (const closing of this.closingLog.entries()) entries.push(['closing', closing]);
    for (const position of this.open.values()) entries.push(['open', { ...position }]);
    for (const [key, balance] of this.balances) {
      const [account, asset] = key.split('|') as [string, string];
      entries.push(['balance', [Number(account), asset, balance]]);
    }
    return entries;
  }

  restore(items: unknown[]): void {
    this.rowLog.clear();
    this.closedLog.clear();
    this.closingLog.clear();
    this.open.clear();
    this.balances.clear();
    for (const entry of items as Entry[]) {
      switch (entry[0]) {
        case 'row': this.rowLog.push(entry[1].accountId, entry[1]); break;
        case 'closed': this.closedLog.push(entry[1].accountId, entry[1]); break;
        case 'closing': this.closingLog.push(entry[1].accountId, entry[1]); break;
        case 'open': this.open.set(entry[1].key, withHeldCosts(entry[1])); break;
        case 'balance': this.balances.set(balanceKey(entry[1][0], entry[1][1]), entry[1][2]); break;
      }
    }
  }
}

/**
 * An open position as restored. Snapshots written before closing-order records lack the held entry
 * cost and opening fees: they are taken pro rata from the position's totals (exact when it was
 * never partly closed and added to again).
 */
type HeldCosts = 'entryCost' | 'openFeesHeld' | 'closingOrderId';
function withHeldCosts(restored: Omit<OpenPosition, HeldCosts> & Partial<Pick<OpenPosition, HeldCosts>>): OpenPosition {
  const held = Math.abs(restored.qty);
  return {
    ...restored,
    entryCost: restored.entryCost ?? proRata(restored.openCost, held, restored.openedQty),
    openFeesHeld: restored.openFeesHeld ?? proRata(restored.openFees, held, restored.openedQty),
    closingOrderId: restored.closingOrderId ?? null,
  };
}

const positionKey = (accountId: number, symbol: string, side: PositionSide): string => `${accountId}|${symbol}|${side}`;
const balanceKey = (accountId: number, asset: string): string => `${accountId}|${asset}`;

/** Rows within [start, end] (ms, inclusive; either may be absent), oldest first. */
export function withinTime<T>(items: readonly T[], time: (item: T) => number, start: number | undefined, end: number | undefined): T[] {
  return items.filter((item) => (start === undefined || time(item) >= start) && (end === undefined || time(item) <= end));
}

/**
 * Rows grouped by the fill that made them (a fill's PnL and fee rows, same asset), every other row
 * alone, in the rows' order: the exchanges that log a fill as one entry (Bybit, KuCoin, XT) read these.
 */
export function byFill(rows: readonly LedgerRow[]): LedgerRow[][] {
  const groups: LedgerRow[][] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last !== undefined && row.tradeId !== null && last[0]!.tradeId === row.tradeId && last[0]!.asset === row.asset) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

/** The sum of the group's amounts of one kind (all kinds when absent). */
export function sumOf(group: readonly LedgerRow[], kind?: LedgerKind): bigint {
  return group.reduce((sum, row) => (kind === undefined || row.kind === kind ? sum + row.amount : sum), 0n);
}
