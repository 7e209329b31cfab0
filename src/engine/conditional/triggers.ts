/**
 * The trigger pass: after every accepted command, what the command did to prices and positions
 * reaches the waiting conditional orders (docs/engine-rules.md, "Conditional orders"):
 *
 * 1. expired orders end (EXPIRED);
 * 2. legs follow their positions: cancelled when the position closed or flipped, PARTIAL legs shrunk to it;
 * 3. each trade of the command, in order, is a LAST price: trailing stops' best prices move, then every
 *    order whose condition holds at that price arms (trailing) or fires, the level crossed first first,
 *    then creation order; the orders they place may trade, and those trades come next;
 * 4. orders created or armed during the command join the heaps;
 * 5. the current LAST, MARK and INDEX prices of every symbol with waiting orders are checked the same way;
 *    steps 2–5 repeat until nothing more fires. Each order fires at most once, so the pass ends.
 *
 * A fired order places its order through the normal path (placeOrderAs): MARKET as IOC, the whole
 * position when its quantity is 0. Its TRIGGERED event comes first; if the placement is refused the
 * same event becomes REJECTED (same seq), followed by the refused order's own event if it has one.
 */
import { invariant } from '../assert.js';
import type { Core } from '../core.js';
import { placeOrderAs } from '../orders.js';
import type { PlaceOrder, TriggerSource } from '../types.js';
import { sourcePrice } from './commands.js';
import { endConditional, unregister } from './lifecycle.js';
import { armTrailing, conditionalSnapshot, isLeg, SOURCES, trailingTrigger, type Conditional, type ConditionalBook } from './records.js';

export function runConditionals(core: Core): void {
  const cond = core.conditionals;
  cond.passTime = core.time;
  if (cond.waiting.size === 0) {
    cond.moved.clear();
    return;
  }
  expireDue(core);
  let cursor = 0;
  for (let rounds = 0; ; rounds++) {
    invariant(rounds < 1_000_000, 'the trigger pass does not settle');
    followPositions(core);
    const events = core.publicEvents;
    while (cursor < events.length) {
      const event = events[cursor++]!;
      if (event.type !== 'publicTrade') continue;
      const book = cond.books.get(event.symbol);
      if (book !== undefined && book.size > 0) reachPrice(core, book, 'LAST', event.price);
      followPositions(core);
    }
    if (cond.pending.length > 0) {
      const arrived = cond.pending;
      cond.pending = [];
      for (const c of arrived) cond.book(c.symbol).add(c);
    }
    let fired = false;
    // In the symbols' configured order, never the order their books were first made in: a restored
    // engine makes them in another order, and the order orders fire in is part of the events.
    for (const symbol of core.symbols.values()) {
      const book = cond.books.get(symbol.config.symbol);
      if (book === undefined || book.size === 0) continue;
      for (const source of SOURCES) {
        const price = sourcePrice(core, symbol, source);
        if (price !== null && reachPrice(core, book, source, price)) fired = true;
      }
    }
    if (!fired && cursor === core.publicEvents.length && cond.pending.length === 0 && cond.moved.size === 0) break;
  }
}

function expireDue(core: Core): void {
  const expiries = core.conditionals.expiries;
  let expired = false;
  for (let c = expiries.peek(); c !== undefined && c.expireTime! <= core.time; c = expiries.peek()) {
    endConditional(core, c, 'EXPIRED', 'EXPIRED');
    expired = true;
  }
  if (expired) core.emitter.endStep();
}

/** Legs of positions whose quantity changed: cancelled when the position closed or flipped, PARTIAL legs shrunk to it. */
function followPositions(core: Core): void {
  const moved = core.conditionals.moved;
  if (moved.size === 0) return;
  const positions = [...moved];
  moved.clear();
  for (const position of positions) {
    if (position.legs === null) continue;
    const size = Math.abs(position.qty);
    for (const leg of [...position.legs]) {
      // A leg closes by trading against the position: a SELL leg protects a long.
      const protects = position.qty !== 0 && (position.qty > 0) === (leg.side === 'SELL');
      if (!protects) endConditional(core, leg, 'CANCELED', 'POSITION_CLOSED');
      else if (leg.tpslMode === 'PARTIAL' && leg.qty > size) {
        leg.qty = size;
        leg.updateTime = core.time;
        core.emitter.conditional(leg.account, 'AMENDED', conditionalSnapshot(leg));
      }
    }
  }
  core.emitter.endStep();
}

/**
 * The source of `book` is at `price`: armed trailing stops' best prices follow it, then every order
 * whose condition holds fires (or arms, for a trailing stop before activation). Returns whether any fired.
 */
function reachPrice(core: Core, book: ConditionalBook, source: TriggerSource, price: number): boolean {
  trackExtremes(book, source, price);
  let fired = false;
  const rising = book.watching(source, 'RISE');
  for (let c = rising.peek(); c !== undefined && c.watchPrice <= price; c = rising.peek()) {
    fire(core, c, price);
    fired = true;
  }
  const falling = book.watching(source, 'FALL');
  for (let c = falling.peek(); c !== undefined && c.watchPrice >= price; c = falling.peek()) {
    fire(core, c, price);
    fired = true;
  }
  return fired;
}

/** Moves the best price of the armed trailing stops that `price` improves on (only those: each costs O(log n)). */
function trackExtremes(book: ConditionalBook, source: TriggerSource, price: number): void {
  if (book.armedTrailing === 0) return;
  // SELL stops track the high (a price above their best moves them), BUY stops the low.
  const highs = book.extremes(source, 'SELL');
  for (let c = highs.peek(); c !== undefined && c.extremePrice! < price; c = highs.peek()) moveExtreme(book, highs, c, price);
  const lows = book.extremes(source, 'BUY');
  for (let c = lows.peek(); c !== undefined && c.extremePrice! > price; c = lows.peek()) moveExtreme(book, lows, c, price);
}

function moveExtreme(book: ConditionalBook, extremes: ReturnType<ConditionalBook['extremes']>, c: Conditional, price: number): void {
  c.extremePrice = price;
  c.triggerPrice = trailingTrigger(c);
  c.watchPrice = c.triggerPrice;
  book.watching(c.triggerSource, c.watchDirection).update(c);
  extremes.update(c);
}

/** Its condition holds at `price`: a trailing stop before activation arms; any other order places its order. */
function fire(core: Core, c: Conditional, price: number): void {
  const book = core.conditionals.book(c.symbol);
  if (c.kind === 'TRAILING' && !c.activated) {
    book.remove(c);
    armTrailing(c, price);
    book.add(c);
    return;
  }
  const account = c.account;
  const position = core.findPosition(account, c.symbol, c.positionSide);
  unregister(core, c);
  c.triggeredPrice = price;
  c.updateTime = core.time;
  // The whole position (closePosition, FULL legs) or a PARTIAL leg's share of what is left.
  const size = Math.abs(position?.qty ?? 0);
  const closes = c.qty === 0 || isLeg(c);
  const protects = size > 0 && (position!.qty > 0) === (c.side === 'SELL');
  if (closes && !protects) {
    // Nothing left to close (its position closed within this command): a system cancel, not a placement.
    c.state = 'CANCELED';
    c.reason = 'POSITION_CLOSED';
    core.emitter.conditional(account, 'CANCELED', conditionalSnapshot(c));
    core.emitter.endStep();
    return;
  }
  c.state = 'TRIGGERED';
  c.orderId = c.id;
  const event = core.emitter.conditional(account, 'TRIGGERED', conditionalSnapshot(c));
  const qty = c.qty === 0 ? size : closes ? Math.min(c.qty, size) : c.qty;
  const cmd: PlaceOrder = {
    type: 'placeOrder', time: core.time, accountId: account.id, symbol: c.symbol.config.symbol, side: c.side, positionSide: c.positionSide,
    orderType: c.orderType, timeInForce: c.orderType === 'MARKET' ? 'IOC' : c.timeInForce, price: c.price, qty, reduceOnly: c.reduceOnly,
    stpMode: c.stpMode, ...(c.clientOrderId !== null ? { clientOrderId: c.clientOrderId } : {}),
    ...(c.attachTpsl !== null ? { attachTpsl: c.attachTpsl } : {}),
  };
  const reason = core.emitter.currentReason;
  core.emitter.setReason('ORDER');
  const eventsBefore = core.emitter.events.length;
  const result = placeOrderAs(core, cmd, { kind: c.kind, conditionalId: c.id });
  core.emitter.setReason(reason);
  const refused = !result.ok ? 'ORDER_REFUSED' : result.kind === 'order' && result.order.state === 'REJECTED' ? result.order.reason : null;
  if (refused !== null) {
    // The TRIGGERED event becomes the REJECTED one: same seq, and the refused order's event (if any) follows it.
    invariant(core.emitter.events.length <= eventsBefore + 1, 'a refused placement emits at most its own order event');
    c.state = 'REJECTED';
    c.reason = refused;
    c.orderId = result.ok ? c.id : null;
    event.change = 'REJECTED';
    event.conditional = conditionalSnapshot(c);
    core.emitter.endStep();
    return;
  }
  // One-cancels-the-other: the partner ends now that this leg placed its order.
  const partner = c.partnerId === null ? undefined : core.conditionals.waiting.get(c.partnerId);
  if (partner !== undefined) {
    endConditional(core, partner, 'CANCELED', 'OCO_PARTNER_FIRED');
    core.emitter.endStep();
  }
}
