/**
 * The book's heap of price levels: the engine's indexed heap (../indexed-heap.ts) keyed by price,
 * best level first. Each level remembers its slot, so removing an emptied level needs no search.
 */
import { IndexedHeap } from '../indexed-heap.js';

export interface HeapItem {
  /** Smaller key = better price. Bids use −price, asks +price. */
  readonly key: number;
  heapIndex: number;
}

export class PriceHeap<T extends HeapItem> extends IndexedHeap<T> {
  protected before(a: T, b: T): boolean {
    return a.key < b.key;
  }

  protected slotOf(item: T): number {
    return item.heapIndex;
  }

  protected setSlot(item: T, slot: number): void {
    item.heapIndex = slot;
  }
}
