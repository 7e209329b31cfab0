/**
 * Collects one command's events in the documented order. Mutations mark positions and wallets
 * dirty; closing a step emits order events first, then the trade, then the dirty positions and
 * wallets as snapshots, each with the account's next `seq`.
 */
import { balanceSnapshot, orderSnapshot, positionSnapshot, showsOrder } from './snapshots.js';
import { riskLevelOf } from './risk/fields.js';
import { stopLossPriceOf, takeProfitPriceOf, trailingDistanceOf } from './conditional/records.js';
import type { Account, EmittedPosition, Order, Position, Wallet } from './state.js';
import type {
  BalanceSnapshot, ChangeReason, ConditionalEvent, ConditionalSnapshot, ConfigEvent, DeliveryEvent, EngineEvent, ExecType, FundingEvent, NoticeEvent, OrderSnapshot, PositionEvent, PositionSide, PositionSnapshot,
  RiskLimitEvent, TradeEvent,
} from './types.js';

/*
 * "Unchanged" below means: the same values apart from what moves without the record itself changing:
 * the mark price and what follows it (pushed at a paced rate by MARK_PRICE events: markPrice,
 * unrealizedPnl, maintenanceMargin, maintenanceMarginRate, the cross and isolated unrealized PnL), and
 * the risk values that depend on the rest of the account (a cross liquidation price moves with the
 * cross wallet and the other symbols' marks: liquidationPrice, bankruptcyPrice, marginRatio) or on the
 * symbol's ADL ranking (adlQuantile). Those fields may differ from the last event without a change.
 */

/**
 * Whether the position still shows what its last event showed. Compared on the record, before any
 * snapshot is built: an unchanged position costs neither a snapshot nor its risk fields. Every other
 * snapshot field is listed (initialMargin follows entry cost and leverage, riskLimit the level).
 */
function positionUnchanged(p: Position, last: EmittedPosition): boolean {
  const settings = p.settings;
  return last.qty === p.qty && last.entryCost === p.entryCost && last.margin === p.margin && last.openOrderQty === p.openOrderQty &&
    last.openOrderMarginFrozen === p.frozen && last.closeOrderQty === p.closeOrderQty && last.leverage === settings.leverage &&
    last.marginMode === settings.marginMode && last.realizedPnlTotal === p.realizedPnlTotal && last.realizedPnlCurrent === p.realizedPnlCurrent &&
    last.feesTotal === p.feesTotal && last.feesCurrent === p.feesCurrent && last.fundingTotal === p.fundingTotal && last.openTime === p.openTime &&
    last.updateTime === p.updateTime && last.autoDeposit === p.autoDeposit && last.status === p.status && last.riskLevel === riskLevelOf(p) &&
    (p.legs === null ? last.takeProfitPrice === null && last.stopLossPrice === null && last.trailingDistance === null
      : last.takeProfitPrice === takeProfitPriceOf(p) && last.stopLossPrice === stopLossPriceOf(p) && last.trailingDistance === trailingDistanceOf(p));
}

/** Whether two balance snapshots of one wallet are the same apart from the mark-derived fields. */
function sameBalance(a: BalanceSnapshot, b: BalanceSnapshot): boolean {
  return a.walletBalance === b.walletBalance && a.crossWalletBalance === b.crossWalletBalance && a.isolatedMargin === b.isolatedMargin &&
    a.crossedMargin === b.crossedMargin && a.openOrderMarginFrozen === b.openOrderMarginFrozen && a.availableBalance === b.availableBalance &&
    a.isolatedOrderMarginFrozen === b.isolatedOrderMarginFrozen && a.realizedPnl === b.realizedPnl;
}

const NO_SIBLINGS: PositionSnapshot[] = [];
const SIDES: readonly PositionSide[] = ['BOTH', 'LONG', 'SHORT'];

type TradeFields = Omit<TradeEvent, 'type' | 'accountId' | 'seq' | 'cmdSeq' | 'time' | 'reason'>;
type Fields<E> = Omit<E, 'type' | 'accountId' | 'seq' | 'cmdSeq' | 'time' | 'reason'>;

export class Emitter {
  events: EngineEvent[] = [];
  private cmdSeq = 0;
  private time = 0;
  private reason: ChangeReason = 'ORDER';
  private dirtyPositions: Position[] = [];
  private dirtyWallets: Wallet[] = [];
  /** Positions touched for a mark-price update: pushed even if only mark-derived fields moved. */
  private markTouched = new Set<Position>();
  /** Order snapshots taken inside a step (e.g. reduce-only knock-outs) that go out after its trade. */
  private pendingOrders: { account: Account; execType: ExecType; order: OrderSnapshot }[] = [];
  /** Positions and wallets changed since the risk engine last looked (it re-indexes their risk units). */
  private touchedPositions: Position[] = [];
  private touchedWallets: Wallet[] = [];
  /** takeTouched's result, and a spare for swapping its arrays with the touched ones. */
  private readonly taken: { positions: Position[]; wallets: Wallet[] } = { positions: [], wallets: [] };
  private readonly spare: { positions: Position[]; wallets: Wallet[] } = { positions: [], wallets: [] };
  /** The positions endStep emitted events for (reused across steps). */
  private readonly emitted: Position[] = [];
  /** The order of the last order event built, and its snapshot (snapshotOf). */
  private lastOrder: Order | null = null;
  private lastOrderSnapshot: OrderSnapshot | null = null;

  begin(cmdSeq: number, time: number, reason: ChangeReason): void {
    this.events = [];
    this.lastOrder = null;
    this.lastOrderSnapshot = null;
    this.cmdSeq = cmdSeq;
    this.time = time;
    this.reason = reason;
  }

  setReason(reason: ChangeReason): void {
    this.reason = reason;
  }

  get currentReason(): ChangeReason {
    return this.reason;
  }

  touchPosition(position: Position): void {
    if (position.dirty) return;
    position.dirty = true;
    this.dirtyPositions.push(position);
    this.touchedPositions.push(position);
  }

  /** A MARK_PRICE update of the position (prices.ts decides which positions and how often). */
  touchPositionForMark(position: Position): void {
    this.markTouched.add(position);
    this.touchPosition(position);
  }

  touchWallet(wallet: Wallet): void {
    if (wallet.dirty) return;
    wallet.dirty = true;
    this.dirtyWallets.push(wallet);
    this.touchedWallets.push(wallet);
  }

  /**
   * Hands the risk engine what changed since it last asked (each record at least once). The arrays
   * are the emitter's own, valid until the next call (this runs after every command).
   */
  takeTouched(): { positions: Position[]; wallets: Wallet[] } {
    const taken = this.taken;
    const spare = this.spare;
    spare.positions = taken.positions;
    spare.wallets = taken.wallets;
    taken.positions = this.touchedPositions;
    taken.wallets = this.touchedWallets;
    this.touchedPositions = spare.positions;
    this.touchedPositions.length = 0;
    this.touchedWallets = spare.wallets;
    this.touchedWallets.length = 0;
    return taken;
  }

  /** An order event; returns the snapshot it carries (a fill's trade event carries the same one). */
  order(order: Order, execType: ExecType): OrderSnapshot {
    const snapshot = orderSnapshot(order);
    this.orderEvent(order.account, execType, snapshot);
    this.lastOrder = order;
    this.lastOrderSnapshot = snapshot;
    return snapshot;
  }

  /** An order event that must follow the current step's trade; the snapshot is taken now. */
  deferOrder(order: Order, execType: ExecType): void {
    const snapshot = orderSnapshot(order);
    this.pendingOrders.push({ account: order.account, execType, order: snapshot });
    this.lastOrder = order;
    this.lastOrderSnapshot = snapshot;
  }

  /**
   * The order as it stands: the snapshot of its last event when that was the last order event and
   * the order has not changed since (a command's result usually shows what its last event showed).
   */
  snapshotOf(order: Order): OrderSnapshot {
    const last = this.lastOrderSnapshot;
    return this.lastOrder === order && last !== null && showsOrder(last, order) ? last : orderSnapshot(order);
  }

  trade(account: Account, fields: TradeFields): void {
    this.events.push({ type: 'trade', ...this.base(account), ...fields });
  }

  config(account: Account, fields: Omit<ConfigEvent, 'type' | 'accountId' | 'seq' | 'cmdSeq' | 'time' | 'reason'>): void {
    this.events.push({ type: 'config', ...this.base(account), ...fields });
  }

  funding(account: Account, fields: Fields<FundingEvent>): void {
    this.events.push({ type: 'funding', ...this.base(account), ...fields });
  }

  delivery(account: Account, fields: Fields<DeliveryEvent>): void {
    this.events.push({ type: 'delivery', ...this.base(account), ...fields });
  }

  notice(account: Account, fields: Fields<NoticeEvent>): void {
    this.events.push({ type: 'notice', ...this.base(account), ...fields });
  }

  riskLimit(account: Account, fields: Fields<RiskLimitEvent>): void {
    this.events.push({ type: 'riskLimit', ...this.base(account), ...fields });
  }

  /** A conditional order's event; returned so that a trigger rejected at placement can be rewritten in place (conditional/triggers.ts). */
  conditional(account: Account, change: ConditionalEvent['change'], conditional: ConditionalSnapshot): ConditionalEvent {
    const event: ConditionalEvent = { type: 'conditional', ...this.base(account), change, conditional };
    this.events.push(event);
    return event;
  }

  /** Forgets pending changes without emitting them (state restored from a snapshot is not news). */
  discardStep(): void {
    for (const position of this.dirtyPositions) position.dirty = false;
    for (const wallet of this.dirtyWallets) {
      wallet.dirty = false;
      wallet.stepChange = 0n;
    }
    this.dirtyPositions = [];
    this.dirtyWallets = [];
    this.pendingOrders = [];
    this.markTouched.clear();
    this.touchedPositions = [];
    this.touchedWallets = [];
    this.events = [];
  }

  /** Ends a step: deferred order events, then every dirty position and wallet (in first-change order). */
  endStep(): void {
    if (this.pendingOrders.length > 0) {
      for (const { account, execType, order } of this.pendingOrders) {
        this.orderEvent(account, execType, order);
      }
      this.pendingOrders = [];
    }
    if (this.dirtyPositions.length > 0) {
      const emitted = this.emitted;
      emitted.length = 0;
      for (const position of this.dirtyPositions) {
        position.dirty = false;
        // Touched but back where it was (e.g. an allocation undone within the step): nothing to say.
        const forMark = this.markTouched.size > 0 && this.markTouched.has(position);
        if (position.lastEmitted !== null && !forMark && positionUnchanged(position, position.lastEmitted)) continue;
        const snapshot = positionSnapshot(position);
        const account = position.account;
        if (position.qty !== 0) position.lastDirection = position.qty > 0 ? 'LONG' : 'SHORT';
        this.events.push({
          type: 'position', accountId: account.id, seq: ++account.seq, cmdSeq: this.cmdSeq, time: this.time, reason: this.reason,
          position: snapshot, previousQty: position.emittedQty, lastDirection: position.lastDirection,
          initialised: position.initialised, siblings: NO_SIBLINGS,
        });
        position.emittedQty = position.qty;
        position.lastEmitted = snapshot;
        position.emittedMark = snapshot.markPrice;
        emitted.push(position);
      }
      this.dirtyPositions = [];
      this.markTouched.clear();
      if (emitted.length > 0) this.addSiblings(emitted);
    }
    if (this.dirtyWallets.length > 0) {
      for (const wallet of this.dirtyWallets) {
        wallet.dirty = false;
        const account = wallet.account;
        const snapshot = balanceSnapshot(account, wallet);
        const change = wallet.stepChange;
        wallet.stepChange = 0n;
        if (change === 0n && wallet.lastEmitted !== null && sameBalance(snapshot, wallet.lastEmitted)) continue;
        this.events.push({
          type: 'balance', accountId: account.id, seq: ++account.seq, cmdSeq: this.cmdSeq, time: this.time, reason: this.reason,
          balance: snapshot, walletChange: change,
        });
        wallet.lastEmitted = snapshot;
      }
      this.dirtyWallets = [];
    }
  }

  /**
   * Gives each position event of the step the symbol's other records Binance pushes beside it (BOTH,
   * initialised LONG/SHORT) that have no event of their own here: the encoder stays stateless.
   */
  private addSiblings(emitted: readonly Position[]): void {
    let index = this.events.length - emitted.length;
    for (const position of emitted) {
      const event = this.events[index++] as PositionEvent;
      const keys = position.symbol.positionKeys;
      let siblings: PositionSnapshot[] | null = null;
      for (const side of SIDES) {
        if (side === position.side) continue;
        const sibling = position.account.positions.get(keys[side]);
        if (sibling === undefined || (side !== 'BOTH' && !sibling.initialised) || emitted.includes(sibling)) continue;
        (siblings ??= []).push(positionSnapshot(sibling));
      }
      if (siblings !== null) event.siblings = siblings;
    }
  }

  // Events are built as literals with every field in one place: object spreads cost on this path.
  private orderEvent(account: Account, execType: ExecType, order: OrderSnapshot): void {
    this.events.push({
      type: 'order', accountId: account.id, seq: ++account.seq, cmdSeq: this.cmdSeq, time: this.time, reason: this.reason, execType, order,
    });
  }

  private base(account: Account) {
    account.seq += 1;
    return { accountId: account.id, seq: account.seq, cmdSeq: this.cmdSeq, time: this.time, reason: this.reason };
  }
}
