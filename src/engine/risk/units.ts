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
import { IndexedHeap } from '../indexed-heap.js';
import { AdlQueue } from './adl-queue.js';
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
 * The engine's indexed heap (../indexed-heap.ts) of entries keyed by `lo` (largest first: "below"
 * heap) or `hi` (smallest first: "above" heap). Keys change in place; every entry knows its slot in
 * each of the two heaps.
 */
export class RiskHeap extends IndexedHeap<IndexEntry> {
  constructor(private readonly byLo: boolean) {
    super();
  }

  protected before(a: IndexEntry, b: IndexEntry): boolean {
    return this.byLo ? a.lo > b.lo : a.hi < b.hi;
  }

  protected slotOf(e: IndexEntry): number {
    return this.byLo ? e.loSlot : e.hiSlot;
  }

  protected setSlot(e: IndexEntry, slot: number): void {
    if (this.byLo) e.loSlot = slot;
    else e.hiSlot = slot;
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
}

/** The risk engine's state for one symbol. */
export class SymbolRisk {
  /** Entries that trigger when the mark falls to their `lo`. */
  readonly below = new RiskHeap(true);
  /** Entries that trigger when the mark rises to their `hi`. */
  readonly above = new RiskHeap(false);
  /** Engine time the symbol's last ADL ranking round started. */
  adlRankedAt = 0;
  /** The ADL queue and its ranking rotation (adl-queue.ts). */
  readonly adl = new AdlQueue();
}
