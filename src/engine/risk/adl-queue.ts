/**
 * The ADL queue of one symbol (docs/architecture.md, "Risk"): each side's open positions sorted by
 * their score as last ranked (a RankedList: the top for ADL, an item's rank for its quantile), and a
 * rotation (the engine's indexed heap) that says which positions the current ranking round has not
 * scored yet. A round starts every adlRankIntervalMs of engine time; each mark tick of the symbol
 * scores at most adlRankSlice positions of it (adl.ts rankSlice), so no tick pays for the whole
 * symbol. Everything here is derived from three persisted fields per position (adlScore, adlRound,
 * adlQuantile) and the symbol's round counter, so a restored engine ranks exactly as the original.
 */
import { invariant } from '../assert.js';
import { IndexedHeap } from '../indexed-heap.js';
import type { Position } from '../state.js';
import { RankedList } from './ranked-list.js';

const SIDE_ORDER = { BOTH: 0, LONG: 1, SHORT: 2 } as const;

/** Queue order: higher score first, then account id, then side (a total order: ties are impossible). */
export function byRank(a: Position, b: Position): number {
  const sa = a.adlScore!;
  const sb = b.adlScore!;
  if (sa !== sb) return sa > sb ? -1 : 1;
  return a.account.id - b.account.id || SIDE_ORDER[a.side] - SIDE_ORDER[b.side];
}

/** Open positions by the round that last scored them (oldest first), then account id, then side. */
class Rotation extends IndexedHeap<Position> {
  protected before(a: Position, b: Position): boolean {
    if (a.adlRound !== b.adlRound) return a.adlRound < b.adlRound;
    if (a.account.id !== b.account.id) return a.account.id < b.account.id;
    return SIDE_ORDER[a.side] < SIDE_ORDER[b.side];
  }

  protected slotOf(p: Position): number {
    return p.adlSlot;
  }

  protected setSlot(p: Position, slot: number): void {
    p.adlSlot = slot;
  }
}

export class AdlQueue {
  /** Ranked longs and shorts (positions with a score whose side it was scored on). */
  readonly longs = new RankedList<Position>(byRank);
  readonly shorts = new RankedList<Position>(byRank);
  /** Every open position of the symbol. */
  readonly rotation = new Rotation();
  /** Ranking rounds started; a position with adlRound below it is still to be scored in this round. */
  round = 0;

  sideOf(sign: number): RankedList<Position> {
    return sign > 0 ? this.longs : this.shorts;
  }

  /** A position that became open: scored from the next round on (like one opened after a full ranking). */
  opened(p: Position): void {
    p.adlScore = null;
    p.adlSide = 0;
    p.adlRound = this.round;
    this.rotation.push(p);
  }

  /** A restored open position, with its persisted score and round (the lists are built in `restored`). */
  restoredOpen(p: Position): void {
    p.adlSide = p.adlScore === null ? 0 : p.qty > 0 ? 1 : -1;
    this.rotation.push(p);
  }

  /** Builds both sides from the restored positions' scores. */
  restored(): void {
    const longs: Position[] = [];
    const shorts: Position[] = [];
    for (const p of this.rotation.unordered()) if (p.adlSide !== 0) (p.adlSide > 0 ? longs : shorts).push(p);
    this.longs.build(longs.sort(byRank));
    this.shorts.build(shorts.sort(byRank));
  }

  closed(p: Position): void {
    this.rotation.remove(p);
    this.unrank(p);
  }

  /** A position still open after a change: one that turned to the other side leaves its side's list. */
  changed(p: Position): void {
    if (p.adlSide !== 0 && Math.sign(p.qty) !== p.adlSide) this.unrank(p);
  }

  /** Re-places a position with a new score, scored in the current round. */
  rescored(p: Position, score: bigint): void {
    this.unrank(p);
    p.adlScore = score;
    p.adlSide = p.qty > 0 ? 1 : -1;
    this.sideOf(p.adlSide).insert(p);
    p.adlRound = this.round;
    this.rotation.update(p);
  }

  /** The next position the current round has yet to score, if any. */
  pending(): Position | undefined {
    const p = this.rotation.peek();
    return p !== undefined && p.adlRound < this.round ? p : undefined;
  }

  private unrank(p: Position): void {
    if (p.adlSide !== 0) this.sideOf(p.adlSide).remove(p);
    p.adlScore = null;
    p.adlSide = 0;
  }

  /** Audit against the symbol's open-position set. */
  check(open: ReadonlySet<Position>): void {
    invariant(this.rotation.size === open.size, 'ADL rotation out of step with the open positions');
    for (const p of open) {
      invariant(this.rotation.contains(p), 'an open position is not in the ADL rotation');
      invariant(p.adlRound <= this.round, 'a position scored in a future round');
      if (p.adlSide === 0) invariant(p.adlScore === null, 'an unranked position keeps a score');
      else invariant(p.adlScore !== null && p.adlSide === Math.sign(p.qty) && this.sideOf(p.adlSide).has(p), 'a ranked position is not in its side');
    }
    this.longs.check();
    this.shorts.check();
    let ranked = 0;
    for (const p of open) if (p.adlSide !== 0) ranked += 1;
    invariant(ranked === this.longs.size + this.shorts.size, 'ADL sides hold positions that are not open');
  }
}
