/**
 * The engine's mutable state records. Only the engine's own modules mutate them; everything that
 * leaves the engine is a snapshot (snapshots.ts).
 */
import type { SymbolConfig } from './symbol.js';
import type {
  AttachTpsl, BalanceSnapshot, ConditionalKind, PositionSnapshot, CommandResult, MarginMode, OrderReason, OrderSource, OrderState, OrderType, PositionMode, PositionSide,
  PositionStatus, Side, StpMode, TimeInForce,
} from './types.js';
import type { OrderBook, PriceLevel } from './book/order-book.js';
import type { RiskUnit, SymbolRisk } from './risk/units.js';
import type { MarkPacing } from './mark-pacing.js';
import type { Conditional } from './conditional/records.js';

export interface SymbolState {
  readonly config: SymbolConfig;
  readonly book: OrderBook;
  /** `${symbol}:${side}` for each side, built once: position lookups are on the hot path. */
  readonly positionKeys: Readonly<Record<PositionSide, string>>;
  markPrice: number | null;
  lastPrice: number | null;
  /** The book's update id: +1 for every command that changed a level (public depth sequencing). */
  bookUpdateId: number;
  /**
   * Open interest: Σ contracts of the long positions (= Σ of the shorts'), moved by every fill
   * (positions.ts applyFill), recomputed on restore; audit.ts checks it against the positions.
   */
  openInterest: number;
  /** What the public feed last published of this symbol (public-feed.ts; derived, set again on restore). */
  readonly published: PublishedFigures;
  /**
   * The symbol's open positions (qty ≠ 0), every account and side: the one open-position set. Kept
   * exact by the risk engine's hand-off after every step batch (risk/liquidation-index.ts trackOpen);
   * funding and ADL walk it, mark pacing keeps its own queues of the same positions.
   */
  readonly openPositions: Set<Position>;
  /** Where each open position stands for MARK_PRICE events (mark-pacing.ts). */
  readonly pacing: MarkPacing;
  /** The risk engine's per-symbol state: the liquidation index, ADL ranking. */
  readonly risk: SymbolRisk;
}

/** The figures the public feed reports when they change: mark, index, premium index, open interest. */
export interface PublishedFigures {
  markPrice: number | null;
  indexPrice: number | null;
  premiumIndex: bigint | null;
  openInterest: number;
}

export interface SymbolSettings {
  leverage: number;
  marginMode: MarginMode;
  /** The risk-limit level the account chose (1-based; the level in force may be higher: risk/tiers.ts). */
  riskLimitLevel: number;
}

export interface Wallet {
  readonly account: Account;
  readonly asset: string;
  balance: bigint;
  isolatedMargin: bigint;
  crossedMargin: bigint;
  frozen: bigint;
  /** Set while the wallet has changes not yet emitted in the current step. */
  dirty: boolean;
  /** Wallet change in the current step that is not PnL or commission. */
  stepChange: bigint;
  /** The last snapshot pushed (see Position.lastEmitted). */
  lastEmitted: BalanceSnapshot | null;
  /** The risk unit of the account's cross positions settled in this asset, while any is open. */
  crossUnit: RiskUnit | null;
}

export interface Position {
  readonly account: Account;
  readonly symbol: SymbolState;
  /** The account's settings object for this symbol (shared, mutated in place by leverage and mode changes). */
  readonly settings: SymbolSettings;
  readonly side: PositionSide;
  /** Signed contracts, > 0 long. */
  qty: number;
  entryCost: bigint;
  margin: bigint;
  realizedPnlTotal: bigint;
  realizedPnlCurrent: bigint;
  feesTotal: bigint;
  /** Fees paid since the position last opened from flat (KuCoin currentComm). */
  feesCurrent: bigint;
  openTime: number;
  updateTime: number;
  /** Live buy and sell orders targeting this position, each in priority order. */
  readonly buyOrders: Order[];
  readonly sellOrders: Order[];
  /** How many of them must close (reduce-only or hedge closing side): only then can one be starved. */
  closingOrders: number;
  openOrderQty: number;
  closeOrderQty: number;
  frozen: bigint;
  /** Σ open quantity × freeze price of the buy / sell orders (ticks × contracts): the risk tier's exposure, kept in step. */
  openBuyCost: bigint;
  openSellCost: bigint;
  dirty: boolean;
  /** Quantity as of the last event pushed for this position. */
  emittedQty: number;
  /**
   * What the last event pushed showed of the fields that change only with the record: the event's
   * own snapshot after an event, a copy of just these fields after a restore (no snapshot, and no
   * risk fields, is built per restored position). A change undone within the step is not pushed again.
   */
  lastEmitted: EmittedPosition | null;
  /** The side the position was last open on. */
  lastDirection: 'LONG' | 'SHORT' | null;
  /** Funding received (+) or paid (−) since the position last opened from flat. */
  fundingTotal: bigint;
  /** Mark price (ticks, 0 for none) shown in the last event pushed for this position. */
  emittedMark: number;
  /** Engine time of the last MARK_PRICE event for this position (paces them), null if none yet. */
  markEventTime: number | null;
  /** Slot in the symbol's MARK_PRICE pacing queue while inside its interval, else −1 (mark-pacing.ts). */
  markSlot: number;
  /**
   * Binance's "initialised" position: an order was placed on it since the account last changed
   * position mode (a mode change clears it; margin-mode and leverage changes do not set it).
   */
  initialised: boolean;
  /** Unrealized PnL and maintenance margin, cached for the (qty, entry cost, mark) they were computed at. */
  valuation: Valuation;
  /** Auto-add margin (isolated only): the risk engine tops the margin up from the wallet near liquidation. */
  autoDeposit: boolean;
  /** NORMAL except while the risk engine liquidates (LIQUIDATING) or deleverages (ADL) it within a command. */
  status: PositionStatus;
  /** ADL queue quantile, 1e-8, as of the ranking round that last scored it (risk/adl.ts). */
  adlQuantile: bigint;
  /** ADL score as last ranked, null while unranked; the side's queue it is in (0: none); risk/adl-queue.ts. */
  adlScore: bigint | null;
  adlSide: -1 | 0 | 1;
  /** The ranking round that last scored it (or that was current when it opened), and its rotation slot. */
  adlRound: number;
  adlSlot: number;
  /** The risk unit of an open isolated position (null when flat or cross). */
  riskUnit: RiskUnit | null;
  /** The snapshot's risk fields as last computed, with their inputs (risk/fields.ts owns it). */
  riskCache: object | null;
  /** Its waiting take-profit / stop-loss / trailing legs (conditional/), null when none. */
  legs: Conditional[] | null;
}

/** The fields of a position snapshot that the emitter compares to decide whether a position changed (emitter.ts). */
export type EmittedPosition = Pick<PositionSnapshot,
  'qty' | 'entryCost' | 'margin' | 'openOrderQty' | 'openOrderMarginFrozen' | 'closeOrderQty' | 'leverage' | 'marginMode' | 'realizedPnlTotal' |
  'realizedPnlCurrent' | 'feesTotal' | 'feesCurrent' | 'fundingTotal' | 'openTime' | 'updateTime' | 'autoDeposit' | 'status' | 'riskLevel' |
  'takeProfitPrice' | 'stopLossPrice' | 'trailingDistance'>;

export interface Valuation {
  qty: number;
  entryCost: bigint;
  mark: number | null;
  unrealizedPnl: bigint;
  maintenanceMargin: bigint;
}

export interface Order {
  readonly id: number;
  readonly clientOrderId: string | null;
  readonly account: Account;
  readonly symbol: SymbolState;
  readonly position: Position;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  readonly stpMode: StpMode;
  readonly createTime: number;
  price: number;
  /** The price margin is frozen at: the order's own price once it rests, the worst fill price while it takes. */
  freezePrice: number;
  qty: number;
  filled: number;
  cumQuote: bigint;
  /**
   * Σ costOf of the fills (margin.ts): cumQuote for a linear contract, the coin value for an inverse one
   * (its average price is their harmonic mean; the liquidation clearance reads it too).
   */
  cumCost: bigint;
  state: OrderState;
  reason: OrderReason;
  priority: number;
  /** As last allocated: the part of the remaining quantity that closes the position… */
  closeQty: number;
  /** …the part that opens it, and the margin that part freezes. */
  openQty: number;
  frozen: bigint;
  /** openQty × freezePrice, as last added to its position's open cost. */
  openCost: bigint;
  /** frozenPerContract(freezePrice, leverage), cached: recomputed only when either changes. */
  perContract: bigint;
  perContractPrice: number;
  perContractLeverage: number;
  fees: bigint;
  realizedPnl: bigint;
  updateTime: number;
  /** The result the placing command returned, for idempotent retries. */
  placeResult: CommandResult | null;
  /** USER, or an order the risk engine placed for the account (liquidation, ADL). */
  readonly source: OrderSource;
  /** The kind of conditional order that placed it and that order's id (null when placed directly). */
  readonly origin: ConditionalKind | null;
  readonly conditionalId: number | null;
  /** TP/SL to arm on its position as it fills (conditional/commands.ts armAttached), null when none; amendable until armed. */
  attachTpsl: AttachTpsl | null;
  /** Whether a fill has armed them (at the first fill that left the position on the order's side). */
  tpslArmed: boolean;
  // Intrusive links of the price level's FIFO queue.
  level: PriceLevel | null;
  prev: Order | null;
  next: Order | null;
}

export interface Account {
  readonly id: number;
  positionMode: PositionMode;
  /** Binance's BNB fee burn (fee-burn.ts). */
  feeBurn: boolean;
  seq: number;
  readonly wallets: Map<string, Wallet>;
  readonly settings: Map<string, SymbolSettings>;
  /** Keyed `${symbol}:${side}`; insertion order is the order records were initialized in. */
  readonly positions: Map<string, Position>;
  /**
   * Live orders by id, live orders by client order id, and the results of the most recent placements
   * by client order id (bounded window, oldest first). Until its first order an account shares one
   * empty map for each (most accounts hold positions and no orders): write only through
   * core.ts accountOrdersOf / liveByClientIdOf / recentClientIdsOf.
   */
  orders: Map<number, Order>;
  liveByClientId: Map<string, Order>;
  recentClientIds: Map<string, CommandResult>;
  /** Waiting conditional orders by id and by client order id (shared empty maps until the first: core.ts). */
  conditionals: Map<number, Conditional>;
  conditionalsByClientId: Map<string, Conditional>;
}

export const remaining = (order: Order): number => order.qty - order.filled;
export const sideSign = (side: Side): 1 | -1 => (side === 'BUY' ? 1 : -1);
export const positionKey = (symbol: string, side: PositionSide): string => `${symbol}:${side}`;
export const isLive = (order: Order): boolean => order.state === 'NEW' || order.state === 'PARTIALLY_FILLED';
