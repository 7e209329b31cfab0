/**
 * Which open positions a mark change pushes a MARK_PRICE position event for (docs/engine-rules.md,
 * "Mark-price events"), found without walking the symbol's open positions.
 *
 * The rule: on a mark change (or a tick that recomputes the same mark), every open position of the
 * symbol whose last event shows another mark and whose last MARK_PRICE event is at least
 * markEventIntervalMs old gets one, in account id then side order, as one step. Each open position
 * is in exactly one of three places:
 * - `waiting`: its last MARK_PRICE event is younger than the interval, in a queue by that event's
 *   time (the engine's indexed heap), so a tick takes off only the positions whose interval ended;
 * - `current`: past its interval (or never pushed) and showing the mark the symbol's positions were
 *   last brought up to (`shownMark`): every event shows the mark of its moment, and the mark changes
 *   only through markChanged, so these all show `shownMark` and are all due when it changes;
 * - `stale`: past its interval and showing another mark (only after a restore, from the snapshot).
 * A tick therefore costs O(log n) per position it takes off the queue plus the positions it pushes;
 * a tick that pushes nothing costs O(1).
 */
import type { Core } from './core.js';
import { IndexedHeap } from './indexed-heap.js';
import type { Position, SymbolState } from './state.js';
import type { PositionSide } from './types.js';
import { invariant } from './assert.js';

/** Open positions inside their pacing interval, oldest MARK_PRICE event first. */
class MarkQueue extends IndexedHeap<Position> {
  protected before(a: Position, b: Position): boolean {
    return a.markEventTime! < b.markEventTime!;
  }

  protected slotOf(p: Position): number {
    return p.markSlot;
  }

  protected setSlot(p: Position, slot: number): void {
    p.markSlot = slot;
  }
}

export class MarkPacing {
  readonly waiting = new MarkQueue();
  readonly current = new Set<Position>();
  readonly stale = new Set<Position>();
  /** The mark every position in `current` shows (0 before the symbol's first mark). */
  shownMark = 0;
}

const SIDE_ORDER: Record<PositionSide, number> = { BOTH: 0, LONG: 1, SHORT: 2 };
export const byAccountThenSide = (a: Position, b: Position): number => a.account.id - b.account.id || SIDE_ORDER[a.side] - SIDE_ORDER[b.side];

/** A position that just became open (or was restored open) takes its place in the pacing state. */
export function paceOpened(core: Core, p: Position): void {
  const pacing = p.symbol.pacing;
  if (p.markEventTime !== null && core.time - p.markEventTime < core.markEventIntervalMs) pacing.waiting.push(p);
  else if (p.emittedMark === pacing.shownMark) pacing.current.add(p);
  else pacing.stale.add(p);
}

/** A position that just went flat leaves the pacing state. */
export function paceClosed(p: Position): void {
  const pacing = p.symbol.pacing;
  if (p.markSlot >= 0) pacing.waiting.remove(p);
  else if (!pacing.current.delete(p)) pacing.stale.delete(p);
}

/**
 * After the mark was set (or recomputed unchanged): the MARK_PRICE position events that are due,
 * exactly those a walk over every open position with the rule above would find.
 */
export function markChanged(core: Core, state: SymbolState): void {
  const pacing = state.pacing;
  const mark = state.markPrice ?? 0;
  const now = core.time;
  const interval = core.markEventIntervalMs;
  const due: Position[] = [];
  const { waiting, current, stale } = pacing;
  // Everything past its interval showed the previous mark: all due when the mark moved.
  if (mark !== pacing.shownMark) {
    for (const p of current) due.push(p);
    current.clear();
    pacing.shownMark = mark;
  }
  // Positions whose interval ended: due unless they already show this mark.
  for (let p = waiting.peek(); p !== undefined && now - p.markEventTime! >= interval; p = waiting.peek()) {
    waiting.remove(p);
    if (p.emittedMark !== mark) due.push(p);
    else current.add(p);
  }
  if (stale.size > 0) {
    for (const p of stale) {
      if (p.emittedMark !== mark) due.push(p);
      else current.add(p);
    }
    stale.clear();
  }
  if (due.length === 0) return;
  due.sort(byAccountThenSide);
  for (const p of due) {
    p.markEventTime = now;
    waiting.push(p);
    core.emitter.touchPositionForMark(p);
  }
  core.emitter.endStep();
}

/** Audit: every open position of the symbol is in exactly one place, consistent with its fields. */
export function auditPacing(core: Core, state: SymbolState): void {
  const { waiting, current, stale, shownMark } = state.pacing;
  invariant(waiting.size + current.size + stale.size === state.openPositions.size,
    () => `${state.config.symbol}: ${waiting.size} + ${current.size} + ${stale.size} paced positions for ${state.openPositions.size} open ones`);
  for (const p of state.openPositions) {
    const where = () => `${state.config.symbol} account ${p.account.id} ${p.side}`;
    const places = (waiting.contains(p) ? 1 : 0) + (current.has(p) ? 1 : 0) + (stale.has(p) ? 1 : 0);
    invariant(places === 1, () => `${where()}: in ${places} pacing places`);
    if (!waiting.contains(p)) {
      invariant(p.markEventTime === null || core.time - p.markEventTime >= core.markEventIntervalMs, () => `${where()}: inside its interval but not queued`);
    }
    if (current.has(p)) invariant(p.emittedMark === shownMark, () => `${where()}: shows ${p.emittedMark}, not ${shownMark}`);
  }
}
