/**
 * The engine's one indexed binary heap: best item in O(1); insert, removal and re-keying of any item
 * in O(log n), because every item knows its slot (a subclass says where the slot is kept, so one
 * record can sit in several heaps). Used for the book's price levels (book/price-heap.ts), the
 * liquidation index (risk/units.ts), the mark-price pacing queue (mark-pacing.ts) and the ADL
 * ranking rotation (risk/adl-queue.ts).
 */
import { invariant } from './assert.js';

export abstract class IndexedHeap<T> {
  protected readonly items: T[] = [];

  /** Whether `a` comes out before `b` (a strict order; ties keep their places). */
  protected abstract before(a: T, b: T): boolean;
  /** The item's slot in this heap, −1 when it is in none. */
  protected abstract slotOf(item: T): number;
  protected abstract setSlot(item: T, slot: number): void;

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  contains(item: T): boolean {
    const slot = this.slotOf(item);
    return slot >= 0 && this.items[slot] === item;
  }

  push(item: T): void {
    invariant(!this.contains(item), 'item is already in its heap');
    this.items.push(item);
    this.setSlot(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** Restores the heap order after the item's key changed. */
  update(item: T): void {
    const slot = this.slotOf(item);
    invariant(slot >= 0 && this.items[slot] === item, 'item is not in its heap slot');
    this.down(this.up(slot));
  }

  remove(item: T): void {
    const slot = this.slotOf(item);
    invariant(slot >= 0 && this.items[slot] === item, 'item is not in its heap slot');
    const last = this.items.pop()!;
    this.setSlot(item, -1);
    if (last === item) return;
    this.items[slot] = last;
    this.setSlot(last, slot);
    this.down(this.up(slot));
  }

  /** Removes and returns the best item. */
  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /**
   * Items best first without disturbing the heap: a frontier heap of slots, so visiting the k best
   * costs O(k log k) whatever the size of the heap. The heap must not change meanwhile.
   */
  *bestFirst(): Generator<T> {
    const items = this.items;
    if (items.length === 0) return;
    const frontier: number[] = [0];
    const better = (i: number, j: number): boolean => this.before(items[frontier[i]!]!, items[frontier[j]!]!);
    while (frontier.length > 0) {
      const top = frontier[0]!;
      const last = frontier.pop()!;
      if (frontier.length > 0) {
        frontier[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < frontier.length && better(l, m)) m = l;
          if (r < frontier.length && better(r, m)) m = r;
          if (m === i) break;
          [frontier[i], frontier[m]] = [frontier[m]!, frontier[i]!];
          i = m;
        }
      }
      yield items[top]!;
      for (const child of [2 * top + 1, 2 * top + 2]) {
        if (child >= items.length) continue;
        frontier.push(child);
        for (let i = frontier.length - 1; i > 0;) {
          const parent = (i - 1) >> 1;
          if (!better(i, parent)) break;
          [frontier[i], frontier[parent]] = [frontier[parent]!, frontier[i]!];
          i = parent;
        }
      }
    }
  }

  /** All items in unspecified order (views, audits, restore). */
  unordered(): readonly T[] {
    return this.items;
  }

  private up(slot: number): number {
    const items = this.items;
    const item = items[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = items[parentSlot]!;
      if (!this.before(item, parent)) break;
      items[slot] = parent;
      this.setSlot(parent, slot);
      slot = parentSlot;
    }
    items[slot] = item;
    this.setSlot(item, slot);
    return slot;
  }

  private down(slot: number): void {
    const items = this.items;
    const count = items.length;
    const item = items[slot]!;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= count) break;
      const right = left + 1;
      let child = left;
      if (right < count && this.before(items[right]!, items[left]!)) child = right;
      const candidate = items[child]!;
      if (!this.before(candidate, item)) break;
      items[slot] = candidate;
      this.setSlot(candidate, slot);
      slot = child;
    }
    items[slot] = item;
    this.setSlot(item, slot);
  }
}
