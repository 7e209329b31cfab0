/**
 * An indexed binary heap of price levels: the best level in O(1), insert and removal of any level
 * in O(log levels). Each level remembers its slot, so removing an emptied level needs no search.
 */
import { invariant } from '../assert.js';

export interface HeapItem {
  /** Smaller key = better price. Bids use −price, asks +price. */
  readonly key: number;
  heapIndex: number;
}

export class PriceHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.siftUp(item.heapIndex);
  }

  remove(item: T): void {
    const index = item.heapIndex;
    invariant(this.items[index] === item, 'price level is not in its heap slot');
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.siftDown(index);
    this.siftUp(last.heapIndex);
  }

  /**
   * Items best first without disturbing the heap: a frontier heap of slots, so visiting the k best
   * levels costs O(k log k) whatever the size of the book. The heap must not change meanwhile.
   */
  *bestFirst(): Generator<T> {
    const items = this.items;
    if (items.length === 0) return;
    const frontier: number[] = [0];
    const keyAt = (slot: number): number => items[frontier[slot]!]!.key;
    while (frontier.length > 0) {
      const top = frontier[0]!;
      const last = frontier.pop()!;
      if (frontier.length > 0) {
        frontier[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < frontier.length && keyAt(l) < keyAt(m)) m = l;
          if (r < frontier.length && keyAt(r) < keyAt(m)) m = r;
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
          if (keyAt(parent) <= keyAt(i)) break;
          [frontier[i], frontier[parent]] = [frontier[parent]!, frontier[i]!];
          i = parent;
        }
      }
    }
  }

  /** All items in unspecified order (for views and audits, not hot paths). */
  unordered(): readonly T[] {
    return this.items;
  }

  private siftUp(index: number): void {
    const items = this.items;
    const item = items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.key <= item.key) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  private siftDown(index: number): void {
    const items = this.items;
    const count = items.length;
    const item = items[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= count) break;
      const right = left + 1;
      let child = left;
      if (right < count && items[right]!.key < items[left]!.key) child = right;
      const candidate = items[child]!;
      if (candidate.key >= item.key) break;
      items[index] = candidate;
      candidate.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
