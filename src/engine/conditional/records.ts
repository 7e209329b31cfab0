/**
 * Conditional orders' records and their indexes (docs/engine-rules.md, "Conditional orders").
 *
 * A waiting conditional order watches one price of its symbol (its trigger source) for one
 * condition: the price rising to a level or falling to it. Each symbol keeps one heap per source
 * and direction, ordered by the level crossed first (RISE: lowest first; FALL: highest first), then
 * creation: the orders that fire on a price move are popped from the top, so finding them costs
 * O(log n) each whatever the number waiting. A trailing stop watches its activation price until it
 * arms, then its trigger, which follows the best price since arming; armed trailing stops also sit in
 * an "extreme" heap per source and side so that a new best price touches only the stops it moves.
 */
import { invariant } from '../assert.js';
import { IndexedHeap } from '../indexed-heap.js';
import type { Account, Position, SymbolState } from '../state.js';
import type {
  AttachTpsl, ConditionalKind, ConditionalReason, ConditionalSnapshot, ConditionalState, MarginMode, OrderType, PositionSide, Side, StpMode, TimeInForce,
  TpslMode, TriggerDirection, TriggerSource,
} from '../types.js';

export interface Conditional {
  /** From the order id sequence: the order it places gets this id. */
  readonly id: number;
  readonly clientOrderId: string | null;
  readonly account: Account;
  readonly symbol: SymbolState;
  readonly kind: ConditionalKind;
  readonly side: Side;
  readonly positionSide: PositionSide;
  triggerSource: TriggerSource;
  /** The direction of the trigger (a trailing stop's: FALL for a SELL, RISE for a BUY). */
  readonly triggerDirection: TriggerDirection;
  /** Ticks; a trailing stop's current trigger, null until armed. */
  triggerPrice: number | null;
  orderType: OrderType;
  price: number;
  timeInForce: TimeInForce;
  /** Contracts; 0: the whole position at trigger. */
  qty: number;
  readonly reduceOnly: boolean;
  readonly closePosition: boolean;
  readonly tpslMode: TpslMode | null;
  /** The TP/SL partner's id (one-cancels-the-other); it stays when the partner ends (look it up among the waiting). */
  partnerId: number | null;
  /** The TP/SL pair's id: the first leg's, kept through replacements (its own id while unpaired). */
  pairId: number;
  /** The account's margin mode on the symbol at creation. */
  readonly marginMode: MarginMode;
  readonly activationPrice: number | null;
  readonly callbackRate: bigint | null;
  readonly callbackAmount: number | null;
  activated: boolean;
  extremePrice: number | null;
  readonly stpMode: StpMode;
  readonly expireTime: number | null;
  /** Changed by amendConditional before it fires. */
  attachTpsl: AttachTpsl | null;
  /** A leg armed by an opening order's fills (PARTIAL legs grow with them), else null. */
  readonly parentOrderId: number | null;
  state: ConditionalState;
  reason: ConditionalReason;
  orderId: number | null;
  triggeredPrice: number | null;
  readonly createTime: number;
  updateTime: number;
  /** The level and direction it watches now (trigger, or activation price while unarmed). */
  watchPrice: number;
  watchDirection: TriggerDirection;
  /** Slots in the watch heap, the extreme heap (armed trailing stops) and the expiry heap; −1 when in none. */
  watchSlot: number;
  extremeSlot: number;
  expirySlot: number;
}

/** Whether this conditional order is a leg of its position (TP / SL / position trailing stop): it follows the position. */
export const isLeg = (c: Conditional): boolean => c.tpslMode !== null;

class WatchHeap extends IndexedHeap<Conditional> {
  constructor(private readonly rising: boolean) {
    super();
  }

  protected before(a: Conditional, b: Conditional): boolean {
    if (a.watchPrice !== b.watchPrice) return this.rising ? a.watchPrice < b.watchPrice : a.watchPrice > b.watchPrice;
    return a.id < b.id;
  }

  protected slotOf(c: Conditional): number {
    return c.watchSlot;
  }

  protected setSlot(c: Conditional, slot: number): void {
    c.watchSlot = slot;
  }
}

/**
 * Armed trailing stops of one source and side by their best price: a SELL stop tracks the highest
 * price (lowest extreme first: a new high reaches those first), a BUY stop the lowest.
 */
class ExtremeHeap extends IndexedHeap<Conditional> {
  constructor(private readonly tracksHigh: boolean) {
    super();
  }

  protected before(a: Conditional, b: Conditional): boolean {
    const x = a.extremePrice!;
    const y = b.extremePrice!;
    if (x !== y) return this.tracksHigh ? x < y : x > y;
    return a.id < b.id;
  }

  protected slotOf(c: Conditional): number {
    return c.extremeSlot;
  }

  protected setSlot(c: Conditional, slot: number): void {
    c.extremeSlot = slot;
  }
}

/** Waiting orders with an expiry, earliest first. */
export class ExpiryHeap extends IndexedHeap<Conditional> {
  protected before(a: Conditional, b: Conditional): boolean {
    return a.expireTime! !== b.expireTime! ? a.expireTime! < b.expireTime! : a.id < b.id;
  }

  protected slotOf(c: Conditional): number {
    return c.expirySlot;
  }

  protected setSlot(c: Conditional, slot: number): void {
    c.expirySlot = slot;
  }
}

export const SOURCES: readonly TriggerSource[] = ['LAST', 'MARK', 'INDEX'];

/** One symbol's waiting conditional orders, indexed by what they watch. */
export class ConditionalBook {
  private readonly rise = new Map<TriggerSource, WatchHeap>();
  private readonly fall = new Map<TriggerSource, WatchHeap>();
  /** Armed trailing stops: SELL stops by highest price seen, BUY stops by lowest. */
  private readonly highs = new Map<TriggerSource, ExtremeHeap>();
  private readonly lows = new Map<TriggerSource, ExtremeHeap>();
  size = 0;
  /** Armed trailing stops in the best-price heaps (none: a price move has no best price to move). */
  armedTrailing = 0;

  constructor(readonly symbol: SymbolState) {}

  watching(source: TriggerSource, direction: TriggerDirection): WatchHeap {
    const heaps = direction === 'RISE' ? this.rise : this.fall;
    let heap = heaps.get(source);
    if (heap === undefined) {
      heap = new WatchHeap(direction === 'RISE');
      heaps.set(source, heap);
    }
    return heap;
  }

  extremes(source: TriggerSource, side: Side): ExtremeHeap {
    const heaps = side === 'SELL' ? this.highs : this.lows;
    let heap = heaps.get(source);
    if (heap === undefined) {
      heap = new ExtremeHeap(side === 'SELL');
      heaps.set(source, heap);
    }
    return heap;
  }

  /** Puts a waiting order in the heaps for what it watches now. */
  add(c: Conditional): void {
    this.watching(c.triggerSource, c.watchDirection).push(c);
    if (c.kind === 'TRAILING' && c.activated) {
      this.extremes(c.triggerSource, c.side).push(c);
      this.armedTrailing += 1;
    }
    this.size += 1;
  }

  remove(c: Conditional): void {
    this.watching(c.triggerSource, c.watchDirection).remove(c);
    if (c.extremeSlot >= 0) {
      this.extremes(c.triggerSource, c.side).remove(c);
      this.armedTrailing -= 1;
    }
    this.size -= 1;
  }

  /** Whether `c` sits where its fields say (audits). */
  holds(c: Conditional): boolean {
    const inExtremes = c.kind === 'TRAILING' && c.activated;
    return this.watching(c.triggerSource, c.watchDirection).contains(c) && (!inExtremes || this.extremes(c.triggerSource, c.side).contains(c));
  }
}

/** The trailing stop's trigger for its best price: `callbackAmount` ticks or `callbackRate` behind it, rounded away from the best price. */
export function trailingTrigger(c: Conditional): number {
  const extreme = c.extremePrice!;
  const selling = c.side === 'SELL';
  if (c.callbackAmount !== null) return selling ? extreme - c.callbackAmount : extreme + c.callbackAmount;
  const rate = c.callbackRate!;
  const scaled = BigInt(extreme) * (selling ? 100_000_000n - rate : 100_000_000n + rate);
  return Number(selling ? scaled / 100_000_000n : (scaled + 99_999_999n) / 100_000_000n);
}

/** Arms a trailing stop at `price`: the best price so far, and the trigger behind it. */
export function armTrailing(c: Conditional, price: number): void {
  invariant(c.kind === 'TRAILING' && !c.activated, 'only an unarmed trailing stop arms');
  c.activated = true;
  c.extremePrice = price;
  c.triggerPrice = trailingTrigger(c);
  c.watchPrice = c.triggerPrice;
  c.watchDirection = c.triggerDirection;
}

/** What a trailing stop watches before it arms: SELL stops arm when the price rises to the activation price, BUY stops when it falls to it. */
export const activationDirection = (side: Side): TriggerDirection => (side === 'SELL' ? 'RISE' : 'FALL');
/** The trailing stop's trigger direction: a SELL fires on a fall from the high, a BUY on a rise from the low. */
export const trailingDirection = (side: Side): TriggerDirection => (side === 'SELL' ? 'FALL' : 'RISE');

/** Whether `price` meets a condition. */
export const holdsAt = (direction: TriggerDirection, level: number, price: number): boolean =>
  direction === 'RISE' ? price >= level : price <= level;

export function conditionalSnapshot(c: Conditional): ConditionalSnapshot {
  return {
    conditionalId: c.id, clientOrderId: c.clientOrderId, accountId: c.account.id, symbol: c.symbol.config.symbol, kind: c.kind, side: c.side,
    positionSide: c.positionSide, triggerSource: c.triggerSource, triggerDirection: c.triggerDirection, triggerPrice: c.triggerPrice,
    orderType: c.orderType, price: c.price, timeInForce: c.timeInForce, qty: c.qty, reduceOnly: c.reduceOnly, closePosition: c.closePosition,
    tpslMode: c.tpslMode, ocoId: c.partnerId, pairId: c.pairId, activationPrice: c.activationPrice, callbackRate: c.callbackRate,
    callbackAmount: c.callbackAmount, activated: c.activated, extremePrice: c.extremePrice, stpMode: c.stpMode, expireTime: c.expireTime,
    marginMode: c.marginMode, attachTpsl: c.attachTpsl, state: c.state, reason: c.reason, orderId: c.orderId, triggeredPrice: c.triggeredPrice, createTime: c.createTime, updateTime: c.updateTime,
  };
}

/** The engine's conditional-order state: per-symbol books, expiries, and the work a command left for the trigger pass. */
export class ConditionalOrders {
  readonly books = new Map<string, ConditionalBook>();
  readonly expiries = new ExpiryHeap();
  /** Every waiting conditional order, by id. */
  readonly waiting = new Map<number, Conditional>();
  /** Created or armed during the current command: they join the heaps after its trades (triggers.ts). */
  pending: Conditional[] = [];
  /** Positions with legs whose quantity changed in the current command (positions.ts applyFill notes them). */
  readonly moved = new Set<Position>();
  /** Engine time of the last trigger pass: a refused command moves the time but expires nothing (it changes nothing). */
  passTime = 0;

  book(symbol: SymbolState): ConditionalBook {
    let book = this.books.get(symbol.config.symbol);
    if (book === undefined) {
      book = new ConditionalBook(symbol);
      this.books.set(symbol.config.symbol, book);
    }
    return book;
  }
}

/** The position's FULL leg of a kind, if it has one. */
export function fullLeg(p: Position, kind: ConditionalKind): Conditional | undefined {
  if (p.legs === null) return undefined;
  for (const leg of p.legs) if (leg.kind === kind && leg.tpslMode === 'FULL') return leg;
  return undefined;
}

/** The position snapshot's take-profit / stop-loss trigger prices and trailing distance (FULL legs; null when none). */
export const takeProfitPriceOf = (p: Position): number | null => (p.legs === null ? null : fullLeg(p, 'TAKE_PROFIT')?.triggerPrice ?? null);
export const stopLossPriceOf = (p: Position): number | null => (p.legs === null ? null : fullLeg(p, 'STOP_LOSS')?.triggerPrice ?? null);
export const trailingDistanceOf = (p: Position): number | null => (p.legs === null ? null : fullLeg(p, 'TRAILING')?.callbackAmount ?? null);

/**
 * A waiting conditional order as persisted: its snapshot and what the snapshot does not show.
 * `pairId`, `marginMode` and `attachTpsl` may be absent in snapshots written before they were shown.
 */
export interface ConditionalRecord extends Omit<ConditionalSnapshot, 'pairId' | 'marginMode' | 'attachTpsl'> {
  parentOrderId: number | null;
  pairId?: number;
  marginMode?: MarginMode;
  attachTpsl?: AttachTpsl | null;
}

export const conditionalRecord = (c: Conditional): ConditionalRecord => ({ ...conditionalSnapshot(c), parentOrderId: c.parentOrderId });

/** The record back as a waiting order of `account` (the caller registers it). */
export function fromRecord(r: ConditionalRecord, account: Account, symbol: SymbolState): Conditional {
  const unarmed = r.kind === 'TRAILING' && !r.activated;
  return {
    id: r.conditionalId, clientOrderId: r.clientOrderId, account, symbol, kind: r.kind, side: r.side, positionSide: r.positionSide,
    triggerSource: r.triggerSource, triggerDirection: r.triggerDirection, triggerPrice: r.triggerPrice, orderType: r.orderType, price: r.price,
    timeInForce: r.timeInForce, qty: r.qty, reduceOnly: r.reduceOnly, closePosition: r.closePosition, tpslMode: r.tpslMode, partnerId: r.ocoId, pairId: r.pairId ?? r.conditionalId,
    marginMode: r.marginMode ?? account.settings.get(symbol.config.symbol)!.marginMode,
    activationPrice: r.activationPrice, callbackRate: r.callbackRate, callbackAmount: r.callbackAmount, activated: r.activated,
    extremePrice: r.extremePrice, stpMode: r.stpMode, expireTime: r.expireTime, attachTpsl: r.attachTpsl ?? null, parentOrderId: r.parentOrderId,
    state: r.state, reason: r.reason, orderId: r.orderId, triggeredPrice: r.triggeredPrice, createTime: r.createTime, updateTime: r.updateTime,
    watchPrice: unarmed ? r.activationPrice! : r.triggerPrice!, watchDirection: unarmed ? activationDirection(r.side) : r.triggerDirection,
    watchSlot: -1, extremeSlot: -1, expirySlot: -1,
  };
}
