/**
 * Recent finished orders, ended conditional orders and fills, for the REST queries the engine does not answer (it forgets an
 * order once it is done). Bounded per account and in total: past either bound the oldest entry
 * goes (the oldest of that account, or the oldest of all).
 */
import type { ConditionalSnapshot, EngineEvent, OrderSnapshot, TradeEvent } from '../engine/types.js';

const FINAL_STATES = new Set(['FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'REJECTED', 'EXPIRED']);

/**
 * Per-account FIFOs under a per-account and a global bound. The global order is a list of owners,
 * oldest first; an entry evicted by its account's own bound leaves a stale owner behind, skipped
 * (and compacted away) later, so every push is O(1) amortized.
 */
export class BoundedLog<T> {
  private readonly byAccount = new Map<number, T[]>();
  private order: number[] = [];
  private orderHead = 0;
  /** Per account: how many of its oldest places in `order` are stale. */
  private readonly stale = new Map<number, number>();
  private staleCount = 0;
  private size = 0;

  constructor(private readonly perAccount: number, private readonly total: number, private readonly onEvict: (item: T) => void) {}

  push(accountId: number, item: T): void {
    let items = this.byAccount.get(accountId);
    if (items === undefined) this.byAccount.set(accountId, (items = []));
    items.push(item);
    this.order.push(accountId);
    this.size += 1;
    if (items.length > this.perAccount) {
      this.dropOldest(accountId);
      this.stale.set(accountId, (this.stale.get(accountId) ?? 0) + 1);
      this.staleCount += 1;
    }
    while (this.size > this.total) {
      const owner = this.order[this.orderHead++]!;
      const skip = this.stale.get(owner) ?? 0;
      if (skip > 0) {
        this.setStale(owner, skip - 1);
        continue;
      }
      this.dropOldest(owner);
    }
    if (this.staleCount > 1024 && this.staleCount > this.size) this.compact();
    else if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      // Places consumed by global eviction: drop them, or the array grows with every record ever made.
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  private dropOldest(accountId: number): void {
    const items = this.byAccount.get(accountId)!;
    this.onEvict(items.shift()!);
    this.size -= 1;
    if (items.length === 0) this.byAccount.delete(accountId);
  }

  private setStale(accountId: number, count: number): void {
    this.staleCount -= 1;
    if (count === 0) this.stale.delete(accountId);
    else this.stale.set(accountId, count);
  }

  /** Rebuilds the global order without stale places. */
  private compact(): void {
    const live: number[] = [];
    const skips = new Map(this.stale);
    for (let i = this.orderHead; i < this.order.length; i++) {
      const owner = this.order[i]!;
      const skip = skips.get(owner) ?? 0;
      if (skip > 0) skips.set(owner, skip - 1);
      else live.push(owner);
    }
    this.order = live;
    this.orderHead = 0;
    this.stale.clear();
    this.staleCount = 0;
  }

  of(accountId: number): readonly T[] {
    return this.byAccount.get(accountId) ?? [];
  }

  /**
   * Puts `next` in the place of the account's newest entry that `matches` (entries are immutable:
   * a record that grows is replaced, never mutated, so a captured snapshot keeps what it saw).
   * The global order is unchanged. Returns false when no entry matches (evicted, or never there).
   */
  replaceNewest(accountId: number, matches: (item: T) => boolean, next: T): boolean {
    const items = this.byAccount.get(accountId);
    if (items === undefined) return false;
    for (let i = items.length - 1; i >= 0; i--) {
      if (matches(items[i]!)) {
        items[i] = next;
        return true;
      }
    }
    return false;
  }

  /** Every entry in global order (a copy: safe to keep while entries come and go). */
  entries(): T[] {
    const skips = new Map(this.stale);
    const cursors = new Map<number, number>();
    const out: T[] = [];
    for (let i = this.orderHead; i < this.order.length; i++) {
      const owner = this.order[i]!;
      const skip = skips.get(owner) ?? 0;
      if (skip > 0) {
        skips.set(owner, skip - 1);
        continue;
      }
      const index = cursors.get(owner) ?? 0;
      out.push(this.byAccount.get(owner)![index]!);
      cursors.set(owner, index + 1);
    }
    return out;
  }

  clear(): void {
    this.byAccount.clear();
    this.order = [];
    this.orderHead = 0;
    this.stale.clear();
    this.staleCount = 0;
    this.size = 0;
  }
}

export interface HistoryLimits {
  ordersPerAccount: number;
  tradesPerAccount: number;
  ordersTotal: number;
  tradesTotal: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { ordersPerAccount: 1000, tradesPerAccount: 1000, ordersTotal: 100_000, tradesTotal: 100_000 };

type Entry = ['order', OrderSnapshot] | ['trade', TradeEvent] | ['conditional', ConditionalSnapshot];

export class History {
  readonly name = 'history';
  private readonly ordersById = new Map<number, OrderSnapshot>();
  private readonly orderLog: BoundedLog<OrderSnapshot>;
  private readonly tradeLog: BoundedLog<TradeEvent>;
  /** Ended conditional orders (triggered, cancelled, expired, rejected), under the orders' bounds. */
  private readonly conditionalsById = new Map<number, ConditionalSnapshot>();
  private readonly conditionalLog: BoundedLog<ConditionalSnapshot>;

  constructor(limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {
    this.orderLog = new BoundedLog(limits.ordersPerAccount, limits.ordersTotal, (order) => this.ordersById.delete(order.orderId));
    this.conditionalLog = new BoundedLog(limits.ordersPerAccount, limits.ordersTotal, (c) => this.conditionalsById.delete(c.conditionalId));
    this.tradeLog = new BoundedLog(limits.tradesPerAccount, limits.tradesTotal, () => undefined);
  }

  record(event: EngineEvent): void {
    if (event.type === 'trade') {
      this.tradeLog.push(event.accountId, event);
    } else if (event.type === 'order' && FINAL_STATES.has(event.order.state)) {
      this.ordersById.set(event.order.orderId, event.order);
      this.orderLog.push(event.accountId, event.order);
    } else if (event.type === 'conditional' && event.conditional.state !== 'WAITING') {
      this.conditionalsById.set(event.conditional.conditionalId, event.conditional);
      this.conditionalLog.push(event.accountId, event.conditional);
    }
  }

  /** An ended conditional order of the account (while the log holds it). */
  finishedConditional(accountId: number, conditionalId: number): ConditionalSnapshot | undefined {
    const c = this.conditionalsById.get(conditionalId);
    return c?.accountId === accountId ? c : undefined;
  }

  /** Ended conditional orders, newest first. */
  finishedConditionals(accountId: number): ConditionalSnapshot[] {
    return [...this.conditionalLog.of(accountId)].reverse();
  }

  finishedOrder(accountId: number, orderId: number): OrderSnapshot | undefined {
    const order = this.ordersById.get(orderId);
    return order?.accountId === accountId ? order : undefined;
  }

  /** Finished orders, newest first. */
  finishedOrders(accountId: number): OrderSnapshot[] {
    return [...this.orderLog.of(accountId)].reverse();
  }

  /** Fills, newest first. */
  trades(accountId: number): TradeEvent[] {
    return [...this.tradeLog.of(accountId)].reverse();
  }

  /** Entries in the order they were recorded (a copy: the snapshot encodes it later). */
  capture(): unknown[] {
    const entries: Entry[] = [];
    for (const order of this.orderLog.entries()) entries.push(['order', order]);
    for (const trade of this.tradeLog.entries()) entries.push(['trade', trade]);
    for (const c of this.conditionalLog.entries()) entries.push(['conditional', c]);
    return entries;
  }

  restore(items: unknown[]): void {
    this.orderLog.clear();
    this.tradeLog.clear();
    this.ordersById.clear();
    this.conditionalLog.clear();
    this.conditionalsById.clear();
    for (const entry of items as Entry[]) {
      if (entry[0] === 'order') {
        this.ordersById.set(entry[1].orderId, entry[1]);
        this.orderLog.push(entry[1].accountId, entry[1]);
      } else if (entry[0] === 'conditional') {
        this.conditionalsById.set(entry[1].conditionalId, entry[1]);
        this.conditionalLog.push(entry[1].accountId, entry[1]);
      } else {
        this.tradeLog.push(entry[1].accountId, entry[1]);
      }
    }
  }
}
