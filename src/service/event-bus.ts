/**
 * Delivers the engine's events to whoever listens for an account (stream sessions) or for all
 * accounts (history, encoders' projections). Listeners run synchronously, in publication order.
 */
import type { EngineEvent } from '../engine/types.js';

export type EventListener = (event: EngineEvent) => void;
/** One command's events of one account, in order (dialects that push a command as one frame). */
export type CommandListener = (events: readonly EngineEvent[]) => void;

export class EventBus {
  private readonly byAccount = new Map<number, Set<EventListener>>();
  private readonly everyone = new Set<EventListener>();
  private readonly commandsByAccount = new Map<number, Set<CommandListener>>();

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

  /** Listens to one account's events a command at a time (after the per-event listeners). */
  subscribeCommands(accountId: number, listener: CommandListener): () => void {
    let listeners = this.commandsByAccount.get(accountId);
    if (listeners === undefined) {
      listeners = new Set();
      this.commandsByAccount.set(accountId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.commandsByAccount.get(accountId) === listeners) this.commandsByAccount.delete(accountId);
    };
  }

  /** Listens to every account's events (runs before the per-account listeners). */
  subscribeAll(listener: EventListener): () => void {
    this.everyone.add(listener);
    return () => this.everyone.delete(listener);
  }

  /** Delivers one command's events (the exchange publishes each command's events in one call). */
  publish(events: readonly EngineEvent[]): void {
    for (const event of events) {
      for (const listener of this.everyone) listener(event);
      const listeners = this.byAccount.get(event.accountId);
      if (listeners !== undefined) for (const listener of listeners) listener(event);
    }
    if (this.commandsByAccount.size === 0) return;
    const grouped = new Map<number, EngineEvent[]>();
    for (const event of events) {
      if (!this.commandsByAccount.has(event.accountId)) continue;
      const list = grouped.get(event.accountId);
      if (list === undefined) grouped.set(event.accountId, [event]);
      else list.push(event);
    }
    for (const [accountId, list] of grouped) for (const listener of this.commandsByAccount.get(accountId)!) listener(list);
  }

  /** An account's listeners, per event and per command (a test's view of which streams are live). */
  listenerCount(accountId: number): number {
    return (this.byAccount.get(accountId)?.size ?? 0) + (this.commandsByAccount.get(accountId)?.size ?? 0);
  }
}
