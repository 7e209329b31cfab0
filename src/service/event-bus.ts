/**
 * Delivers the engine's events to whoever listens for an account (stream sessions) or for all
 * accounts (history, encoders' projections). Listeners run synchronously, in publication order.
 */
import type { EngineEvent } from '../engine/types.js';

export type EventListener = (event: EngineEvent) => void;

export class EventBus {
  private readonly byAccount = new Map<number, Set<EventListener>>();
  private readonly everyone = new Set<EventListener>();

  /** Listens to one account's events; returns the function that stops listening. */
  subscribe(accountId: number, listener: EventListener): () => void {
    let listeners = this.byAccount.get(accountId);
    if (listeners === undefined) {
      listeners = new Set();
      this.byAccount.set(accountId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.byAccount.get(accountId) === listeners) this.byAccount.delete(accountId);
    };
  }

  /** Listens to every account's events (runs before the per-account listeners). */
  subscribeAll(listener: EventListener): () => void {
    this.everyone.add(listener);
    return () => this.everyone.delete(listener);
  }

  publish(events: readonly EngineEvent[]): void {
    for (const event of events) {
      for (const listener of this.everyone) listener(event);
      const listeners = this.byAccount.get(event.accountId);
      if (listeners !== undefined) for (const listener of listeners) listener(event);
    }
  }

  listenerCount(accountId: number): number {
    return this.byAccount.get(accountId)?.size ?? 0;
  }
}
