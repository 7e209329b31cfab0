/**
 * One symbol's order book: price-time priority. Each side keeps its levels in a Map (price → level)
 * and an indexed heap (best level first); each level is an intrusive FIFO of orders, so a cancel
 * unlinks in O(1) and a new level costs O(log levels). Nothing survives an order's removal, so
 * memory follows the live book, not the history. Each side also notes the prices whose total
 * changed since the last `takeChanges`: the public depth feed (public-feed.ts) reads only those.
 */
import { invariant } from '../assert.js';
import { PriceHeap, type HeapItem } from './price-heap.js';
import { remaining, type Order } from '../state.js';

export class PriceLevel implements HeapItem {
  readonly key: number;
  heapIndex = -1;
  head: Order | null = null;
  tail: Order | null = null;
  /** Σ remaining quantity of the level's orders. */
  qty = 0;
  count = 0;

  constructor(readonly price: number, isBid: boolean) {
    this.key = isBid ? -price : price;
  }
}

const NO_CHANGES: readonly [number, number][] = Object.freeze([]);

export class BookSide {
  private readonly levels = new Map<number, PriceLevel>();
  private readonly heap = new PriceHeap<PriceLevel>();
  /** Price → its level total before the first change since the last takeChanges. */
  private readonly changed = new Map<number, number>();

  constructor(readonly isBid: boolean) {}

  /** The level total at `price` (0 when no order rests there). */
  qtyAt(price: number): number {
    return this.levels.get(price)?.qty ?? 0;
  }

  /**
   * The prices whose total differs from what it was at the last takeChanges, with their totals now
   * (0: the level is gone), best first; and forgets them. A level changed and changed back is not listed.
   */
  takeChanges(): readonly [price: number, qty: number][] {
    // Most commands leave most books alone: no array is made for them.
    if (this.changed.size === 0) return NO_CHANGES;
    const levels: [number, number][] = [];
    for (const [price, before] of this.changed) {
      const now = this.qtyAt(price);
      if (now !== before) levels.push([price, now]);
    }
    this.changed.clear();
    return levels.sort(this.isBid ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
  }

  private noteChange(price: number, qtyBefore: number): void {
    if (!this.changed.has(price)) this.changed.set(price, qtyBefore);
  }

  /** Forgets the changes (a restored book is the starting point, not a change). */
  forgetChanges(): void {
    this.changed.clear();
  }

  best(): PriceLevel | undefined {
    return this.heap.peek();
  }

  get levelCount(): number {
    return this.heap.size;
  }

  /** Appends the order at the back of its price level. */
  add(order: Order): void {
    invariant(order.level === null, 'order is already in the book');
    let level = this.levels.get(order.price);
    this.noteChange(order.price, level?.qty ?? 0);
    if (level === undefined) {
      level = new PriceLevel(order.price, this.isBid);
      this.levels.set(order.price, level);
      this.heap.push(level);
    }
    order.prev = level.tail;
    order.next = null;
    if (level.tail) level.tail.next = order;
    else level.head = order;
    level.tail = order;
    order.level = level;
    level.qty += remaining(order);
    level.count += 1;
  }

  remove(order: Order): void {
    const level = order.level;
    invariant(level !== null, 'order is not in the book');
    if (order.prev) order.prev.next = order.next;
    else level.head = order.next;
    if (order.next) order.next.prev = order.prev;
    else level.tail = order.prev;
    order.prev = order.next = order.level = null;
    this.noteChange(level.price, level.qty);
    level.qty -= remaining(order);
    level.count -= 1;
    if (level.count === 0) {
      invariant(level.qty === 0, 'an empty level must hold no quantity');
      this.levels.delete(level.price);
      this.heap.remove(level);
    }
  }

  /** Keeps the level's quantity in step when an order in it shrinks (fill or amendment down). */
  reduce(order: Order, by: number): void {
    invariant(order.level !== null && by >= 0, 'can only reduce a resting order');
    this.noteChange(order.level.price, order.level.qty);
    order.level.qty -= by;
  }

  /** Levels best first, lazily (FOK checks walk only as deep as they need). */
  levelsBestFirst(): Generator<PriceLevel> {
    return this.heap.bestFirst();
  }

  /** Levels best first (views and audits only: sorts). */
  sortedLevels(): PriceLevel[] {
    return [...this.heap.unordered()].sort((a, b) => a.key - b.key);
  }
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);

  sideFor(order: Order): BookSide {
    return order.side === 'BUY' ? this.bids : this.asks;
  }

  oppositeOf(order: Order): BookSide {
    return order.side === 'BUY' ? this.asks : this.bids;
  }
}

export function levelOrders(level: PriceLevel): Order[] {
  const orders: Order[] = [];
  for (let o = level.head; o !== null; o = o.next) orders.push(o);
  return orders;
}
