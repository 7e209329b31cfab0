/**
 * A sorted list with ranks, for the ADL queue (adl.ts): items in blocks of at most 2 × blockSize,
 * each block sorted, blocks in order. Insert and remove cost a binary search plus a splice inside
 * one block; the rank of an item is its index in its block plus the sizes of the blocks before it
 * (n / blockSize additions). The order must be total (no two items compare equal), so an item is
 * found by its key alone. The engine has no other ordered structure with ranks: its indexed heap
 * (../indexed-heap.ts) gives the best item, not an item's rank.
 */
import { invariant } from '../assert.js';

export class RankedList<T> {
  private blocks: T[][] = [];
  private count = 0;

  constructor(private readonly compare: (a: T, b: T) => number, private readonly blockSize = 256) {
    invariant(Number.isSafeInteger(blockSize) && blockSize >= 2, 'blockSize must be ≥ 2');
  }

  get size(): number {
    return this.count;
  }

  /** The first block whose last item is ≥ `item` (the last block when none is). */
  private blockFor(item: T): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const block = blocks[mid]!;
      if (this.compare(block[block.length - 1]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first index in `block` whose item is ≥ `item`. */
  private indexIn(block: readonly T[], item: T): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(block[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(item: T): void {
    this.count += 1;
    if (this.blocks.length === 0) {
      this.blocks.push([item]);
      return;
    }
    const b = this.blockFor(item);
    const block = this.blocks[b]!;
    const i = this.indexIn(block, item);
    invariant(i === block.length || this.compare(block[i]!, item) !== 0, 'ranked list: an equal item is already in the list');
    block.splice(i, 0, item);
    if (block.length > 2 * this.blockSize) this.blocks.splice(b + 1, 0, block.splice(this.blockSize));
  }

  remove(item: T): void {
    const { b, i } = this.locate(item);
    const block = this.blocks[b]!;
    block.splice(i, 1);
    this.count -= 1;
    if (block.length === 0) this.blocks.splice(b, 1);
  }

  /** 0-based position of `item` (which must be in the list). */
  rank(item: T): number {
    const { b, i } = this.locate(item);
    let before = i;
    for (let k = 0; k < b; k++) before += this.blocks[k]!.length;
    return before;
  }

  /** The ranks of several items at once: one pass over the block sizes, whatever their number. */
  ranks(items: readonly T[]): number[] {
    const before: number[] = [];
    let sum = 0;
    for (const block of this.blocks) {
      before.push(sum);
      sum += block.length;
    }
    return items.map((item) => {
      const { b, i } = this.locate(item);
      return before[b]! + i;
    });
  }

  has(item: T): boolean {
    if (this.blocks.length === 0) return false;
    const block = this.blocks[this.blockFor(item)]!;
    return block[this.indexIn(block, item)] === item;
  }

  /** Replaces the contents with `sorted` (already in order: checked). */
  build(sorted: readonly T[]): void {
    for (let k = 1; k < sorted.length; k++) invariant(this.compare(sorted[k - 1]!, sorted[k]!) < 0, 'ranked list: build from unsorted items');
    this.blocks = [];
    for (let k = 0; k < sorted.length; k += this.blockSize) this.blocks.push(sorted.slice(k, k + this.blockSize));
    this.count = sorted.length;
  }

  /** Items in order. The list must not change meanwhile. */
  *inOrder(): Generator<T> {
    for (const block of this.blocks) yield* block;
  }

  /** Audit: blocks non-empty and within bounds, items strictly increasing, the count right. */
  check(): void {
    let count = 0;
    let previous: T | undefined;
    for (const block of this.blocks) {
      invariant(block.length > 0 && block.length <= 2 * this.blockSize, 'ranked list: a block out of bounds');
      for (const item of block) {
        invariant(previous === undefined || this.compare(previous, item) < 0, 'ranked list: out of order');
        previous = item;
        count += 1;
      }
    }
    invariant(count === this.count, 'ranked list: count out of step');
  }

  private locate(item: T): { b: number; i: number } {
    invariant(this.blocks.length > 0, 'ranked list: item not found');
    const b = this.blockFor(item);
    const block = this.blocks[b]!;
    const i = this.indexIn(block, item);
    invariant(block[i] === item, 'ranked list: item not found');
    return { b, i };
  }
}
