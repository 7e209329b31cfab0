/**
 * A conditional order's life in the engine's state: registered (account maps, position legs,
 * expiry, the heaps after the current command's trades), and ended (out of all of them, one event).
 */
import { invariant } from '../assert.js';
import { conditionalsOf, type Core } from '../core.js';
import type { Position } from '../state.js';
import type { ConditionalEvent, ConditionalReason, ConditionalState } from '../types.js';
import { conditionalSnapshot, isLeg, type Conditional } from './records.js';

/** The position a leg belongs to (legs exist only on positions that hold contracts). */
export function legPosition(core: Core, c: Conditional): Position | undefined {
  return core.findPosition(c.account, c.symbol, c.positionSide);
}

/**
 * Adds a new waiting order everywhere it is looked up. It joins the trigger heaps at the end of the
 * command's trades (triggers.ts): an order created or armed during a command watches prices from then on.
 */
export function register(core: Core, c: Conditional, position: Position | undefined): void {
  const cond = core.conditionals;
  const maps = conditionalsOf(c.account);
  maps.byId.set(c.id, c);
  if (c.clientOrderId !== null) maps.byClientId.set(c.clientOrderId, c);
  cond.waiting.set(c.id, c);
  if (c.expireTime !== null) cond.expiries.push(c);
  if (isLeg(c)) {
    invariant(position !== undefined && position.qty !== 0, 'a leg needs an open position');
    (position.legs ??= []).push(c);
  }
  cond.pending.push(c);
}

/** Takes a waiting order out of every index (its record keeps its last state). */
export function unregister(core: Core, c: Conditional): void {
  const cond = core.conditionals;
  invariant(cond.waiting.get(c.id) === c, `conditional ${c.id} is not waiting`);
  cond.waiting.delete(c.id);
  c.account.conditionals.delete(c.id);
  if (c.clientOrderId !== null) c.account.conditionalsByClientId.delete(c.clientOrderId);
  if (c.expirySlot >= 0) cond.expiries.remove(c);
  if (c.watchSlot >= 0) cond.book(c.symbol).remove(c);
  else {
    const at = cond.pending.indexOf(c);
    invariant(at >= 0, `conditional ${c.id} is in neither a heap nor the pending list`);
    cond.pending.splice(at, 1);
  }
  if (isLeg(c)) {
    const position = legPosition(core, c)!;
    const legs = position.legs!;
    legs.splice(legs.indexOf(c), 1);
    if (legs.length === 0) position.legs = null;
    // A FULL leg shows on the position: its event must go out.
    if (c.tpslMode === 'FULL') core.emitter.touchPosition(position);
  }
}

/** Ends a waiting order (cancelled, expired) with its one event. */
export function endConditional(core: Core, c: Conditional, state: ConditionalState, reason: ConditionalReason): ConditionalEvent {
  unregister(core, c);
  c.state = state;
  c.reason = reason;
  c.updateTime = core.time;
  const change = state === 'EXPIRED' ? 'EXPIRED' : state === 'REJECTED' ? 'REJECTED' : 'CANCELED';
  return core.emitter.conditional(c.account, change, conditionalSnapshot(c));
}

/** Re-files a waiting order after its watch price or source changed. */
export function refile(core: Core, c: Conditional, change: () => void): void {
  const inHeap = c.watchSlot >= 0;
  const book = core.conditionals.book(c.symbol);
  if (inHeap) book.remove(c);
  change();
  if (inHeap) book.add(c);
}
