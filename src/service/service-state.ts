/**
 * The service's own state beside the engine — finished-order history, the ledger, public market
 * data and the replay window — as one model. It is fed only from the engine's events (canonical
 * account events and public market events), and every part of it is
 * captured in snapshots and restored from them. The live Exchange keeps one; a snapshot worker
 * (persistence/replay-worker.ts) builds another from the same options, restores it from the
 * previous snapshot and feeds it the replayed events, which yields exactly the live one's state
 * at the same command: the engine is deterministic and these components see nothing but events.
 */
import type { SymbolSpec } from '../engine/symbol.js';
import type { Applied } from '../engine/engine.js';
import type { EngineEvent } from '../engine/types.js';
import { EventLog } from './event-log.js';
import { DEFAULT_HISTORY_LIMITS, History, type HistoryLimits } from './history.js';
import { DEFAULT_LEDGER_LIMITS, Ledger, type LedgerLimits } from './ledger.js';
import { MarketData } from './market-data.js';

/** Service state that lives beside the engine and goes into snapshots. */
export interface Persistable {
  readonly name: string;
  /** A copy of the component's state as a list of items (snapshots store lists in chunks). */
  capture(): unknown[];
  restore(items: unknown[]): void;
}

/** How the service state is bounded: plain data, so a worker thread can build the same. */
export interface ServiceStateOptions {
  /** Events kept for resume over all accounts; null: no replay window (in-memory tools and tests). */
  replayWindow?: number | null;
  history?: HistoryLimits;
  ledger?: LedgerLimits;
}

export class ServiceState {
  readonly history: History;
  /** Money movements and closed positions per account (income, bills, funding and position history). */
  readonly ledger: Ledger;
  /** Recent trades and candles per symbol (the book is the engine's). */
  readonly market: MarketData;
  /** The replay window for resume, when configured. */
  readonly eventLog: EventLog | null;
  /** In snapshot section order. */
  readonly persistables: readonly Persistable[];

  constructor(symbols: readonly SymbolSpec[], options: ServiceStateOptions = {}) {
    this.history = new History(options.history ?? DEFAULT_HISTORY_LIMITS);
    this.ledger = new Ledger(symbols, options.ledger ?? DEFAULT_LEDGER_LIMITS);
    const window = options.replayWindow ?? null;
    this.eventLog = window === null ? null : new EventLog(window);
    this.market = new MarketData(symbols);
    const components: Persistable[] = [this.history, this.ledger, this.market];
    if (this.eventLog !== null) components.push(this.eventLog);
    this.persistables = components;
  }

  /** The names of the components a service state of these options holds, in snapshot section order. */
  static componentNames(options: ServiceStateOptions): string[] {
    return ['history', 'ledger', 'market', ...((options.replayWindow ?? null) === null ? [] : ['event-log'])];
  }

  /** Everything one applied command produced: its account events, then its public market events. */
  recordApplied(applied: Applied): void {
    for (const event of applied.events) this.record(event);
    this.market.record(applied.market);
  }

  record(event: EngineEvent): void {
    this.history.record(event);
    this.ledger.record(event);
    this.eventLog?.record(event);
  }

  /** Each component's captured items, by name. */
  capture(): Record<string, unknown[]> {
    return Object.fromEntries(this.persistables.map((c) => [c.name, c.capture()]));
  }

  /** Restores every component found in `sections` (a snapshot's service part). */
  restore(sections: Record<string, unknown[]>): void {
    for (const component of this.persistables) {
      const items = sections[component.name];
      if (items !== undefined) component.restore(items);
    }
  }
}
