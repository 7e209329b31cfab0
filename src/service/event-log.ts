/**
 * The replay window: each account's most recent events, so a client that reconnects with its last
 * `seq` gets exactly what it missed. Bounded in total: past `capacity` events, the oldest event of
 * the whole log is dropped (from whichever account it belongs to).
 */
import type { EngineEvent } from '../engine/types.js';

class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  at(index: number): T | undefined {
    return this.items[this.head + index];
  }
}

export type ReplayResult =
  | { recovered: true; events: EngineEvent[] }
  | { recovered: false; reason: string; tooOld?: boolean };

/**
 * History older than the window (the durable store's journal), fetched asynchronously within a
 * budget (replay-budget.ts): a request over it is answered at once with `recovered: false` and a
 * reason, without doing the work.
 */
export interface OlderHistory {
  /**
   * Every event of the account with afterSeq < seq ≤ throughSeq, as of command throughCmdSeq; all
   * or nothing, never a rejection. Abort `signal` when the requester goes away: a waiting replay is
   * dropped, a running one stopped, and neither keeps using the budget.
   */
  eventsOf(accountId: number, afterSeq: number, throughSeq: number, throughCmdSeq: number, maxEvents: number, signal?: AbortSignal): Promise<ReplayResult>;
}

export class EventLog {
  readonly name = 'event-log';
  private readonly byAccount = new Map<number, Deque<EngineEvent>>();
  /** Account of every event in the log, oldest first: says whose event to drop when full. */
  private readonly order = new Deque<number>();

  constructor(private readonly capacity: number) {}

  record(event: EngineEvent): void {
    let events = this.byAccount.get(event.accountId);
    if (events === undefined) {
      events = new Deque();
      this.byAccount.set(event.accountId, events);
    }
    events.push(event);
    this.order.push(event.accountId);
    if (this.order.length > this.capacity) {
      const accountId = this.order.shift()!;
      const owner = this.byAccount.get(accountId)!;
      owner.shift();
      if (owner.length === 0) this.byAccount.delete(accountId);
    }
  }

  capture(): unknown[] {
    const events: EngineEvent[] = [];
    const cursors = new Map<number, number>();
    for (let i = 0; i < this.order.length; i++) {
      const accountId = this.order.at(i)!;
      const index = cursors.get(accountId) ?? 0;
      events.push(this.byAccount.get(accountId)!.at(index)!);
      cursors.set(accountId, index + 1);
    }
    return events;
  }

  restore(items: unknown[]): void {
    for (const event of items as EngineEvent[]) this.record(event);
  }

  /**
   * Every event of the account after `afterSeq`, up to its current `seq` — or an explicit refusal
   * if the window no longer holds all of them (never a partial replay); `tooOld` tells a caller
   * with older history (OlderHistory) that it may serve the request instead.
   */
  since(accountId: number, afterSeq: number, currentSeq: number): ReplayResult {
    if (afterSeq > currentSeq) return { recovered: false, reason: `seq ${afterSeq} is ahead of the account's ${currentSeq}: not this history` };
    if (afterSeq === currentSeq) return { recovered: true, events: [] };
    const events = this.byAccount.get(accountId);
    const oldest = events?.at(0)?.seq;
    if (events === undefined || oldest === undefined || oldest > afterSeq + 1) {
      return { recovered: false, reason: `the replay window starts after seq ${afterSeq + 1}; fetch a REST snapshot`, tooOld: true };
    }
    const found: EngineEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events.at(i)!;
      if (event.seq > afterSeq) found.push(event);
    }
    return { recovered: true, events: found };
  }
}
