/**
 * Risk units and the liquidation index's data structures.
 *
 * A risk unit is what one margin covers: an open isolated position, or an account's open cross
 * positions settled in one asset (they share the cross wallet). Each unit has one index entry per
 * symbol it holds positions in: the interval of that symbol's mark inside which nothing about the
 * unit can change (no warning, no liquidation, no re-arming). Per symbol, two indexed heaps keep
 * the entries by the interval's ends, so a mark tick finds exactly the units whose interval it left
 * (liquidation-index.ts computes the intervals).
 */
import { invariant } from '../assert.js';
import type { Account, Position, SymbolState } from '../state.js';
import type { MarginMode } from '../types.js';

/** A key no mark reaches from below / above: the entry never triggers on that side. */
export const NEVER_BELOW = 0;
export const NEVER_ABOVE = Number.MAX_SAFE_INTEGER;

export class IndexEntry {
  /** The mark triggers the unit when it is ≤ lo or ≥ hi. */
  lo = NEVER_BELOW;
  hi = NEVER_ABOVE;
  loSlot = -1;
  hiSlot = -1;

  constructor(readonly unit: RiskUnit, readonly symbol: SymbolState) {}
}

export class RiskUnit {
  /** A margin-ratio warning was sent and the ratio has not fallen back below the threshold since. */
  warned = false;
  /** Index entries, one per symbol the unit holds open positions in. */
  entries: IndexEntry[] = [];
  /**
   * What the entries were computed from (wallet or margin, each open position with its quantity and
   * entry cost, the warning flag): a command that changes none of it leaves them valid.
   */
  basis: unknown[] = [];

  constructor(
    readonly kind: MarginMode,
    readonly account: Account,
    readonly asset: string,
    /** The position of an isolated unit; null for a cross unit. */
    readonly position: Position | null,
  ) {}
}

/**
 * An indexed binary heap of entries keyed by `lo` (largest first: "below" heap) or `hi` (smallest
 * first: "above" heap). Keys change in place; every entry knows its slot.
 */
export class RiskHeap {
  private readonly items: IndexEntry[] = [];

  constructor(private readonly byLo: boolean) {}

  get size(): number {
    return this.items.length;
  }

  private before(a: IndexEntry, b: IndexEntry): boolean {
    return this.byLo ? a.lo > b.lo : a.hi < b.hi;
  }

  private slotOf(e: IndexEntry): number {
    return this.byLo ? e.loSlot : e.hiSlot;
  }

  private place(e: IndexEntry, slot: number): void {
    this.items[slot] = e;
    if (this.byLo) e.loSlot = slot;
    else e.hiSlot = slot;
  }

  contains(e: IndexEntry): boolean {
    const slot = this.slotOf(e);
    return slot >= 0 && this.items[slot] === e;
  }

  insert(e: IndexEntry): void {
    invariant(!this.contains(e), 'risk entry is already in its heap');
    this.items.push(e);
    this.place(e, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** Restores the heap order after the entry's key changed. */
  update(e: IndexEntry): void {
    const slot = this.slotOf(e);
    invariant(this.items[slot] === e, 'risk entry is not in its heap slot');
    this.down(this.up(slot));
  }

  remove(e: IndexEntry): void {
    const slot = this.slotOf(e);
    invariant(this.items[slot] === e, 'risk entry is not in its heap slot');
    const last = this.items.pop()!;
    if (this.byLo) e.loSlot = -1;
    else e.hiSlot = -1;
    if (last === e) return;
    this.place(last, slot);
    this.down(this.up(slot));
  }

  /** Every entry the mark triggers (≤ lo for the below heap, ≥ hi for the above one), visiting only those. */
  collect(mark: number, out: IndexEntry[]): void {
    const items = this.items;
    if (items.length === 0) return;
    const stack = [0];
    while (stack.length > 0) {
      const slot = stack.pop()!;
      const e = items[slot];
      if (e === undefined || !(this.byLo ? e.lo >= mark : e.hi <= mark)) continue;
      out.push(e);
      stack.push(2 * slot + 1, 2 * slot + 2);
    }
  }

  /** All entries, unordered (audits only). */
  all(): readonly IndexEntry[] {
    return this.items;
  }

  private up(slot: number): number {
    const items = this.items;
    const e = items[slot]!;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      const p = items[parent]!;
      if (!this.before(e, p)) break;
      this.place(p, slot);
      slot = parent;
    }
    this.place(e, slot);
    return slot;
  }

  private down(slot: number): void {
    const items = this.items;
    const count = items.length;
    const e = items[slot]!;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= count) break;
      const right = left + 1;
      let child = left;
      if (right < count && this.before(items[right]!, items[left]!)) child = right;
      const c = items[child]!;
      if (!this.before(c, e)) break;
      this.place(c, slot);
      slot = child;
    }
    this.place(e, slot);
  }
}

/** The risk engine's state for one symbol. */
export class SymbolRisk {
  /** Entries that trigger when the mark falls to their `lo`. */
  readonly below = new RiskHeap(true);
  /** Entries that trigger when the mark rises to their `hi`. */
  readonly above = new RiskHeap(false);
  /** Open positions on the symbol, every account and side (ADL ranking walks these). */
  readonly open = new Set<Position>();
  /** Engine time of the last ADL ranking of the symbol's positions. */
  adlRankedAt = 0;
}
