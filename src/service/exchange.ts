/**
 * The exchange service: the one place commands enter the engine. Each command is stamped with the
 * time and a sequence number, made durable in the journal (when there is one), and only then
 * applied, answered and published, in sequence order. Reads therefore never see a command that a
 * crash could still lose. Everything with I/O (front doors, admin API, simulator) goes through here.
 */
import { randomBytes } from 'node:crypto';
import { Engine, type Applied, type EngineOptions } from '../engine/engine.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { Command, CommandError } from '../engine/types.js';
import type { Journal } from '../persistence/journal.js';
import type { Clock } from './clock.js';
import { EventBus } from './event-bus.js';
import type { EventLog } from './event-log.js';
import type { History } from './history.js';
import type { Ledger } from './ledger.js';
import { ServiceState, type Persistable, type ServiceStateOptions } from './service-state.js';

export type { Persistable } from './service-state.js';

/** A command as callers write it: the exchange stamps the time. */
export type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'time'> : never) : never;

/** Engine options a service passes through (everything but the symbols, which it holds itself). */
export type EngineSettings = Omit<EngineOptions, 'symbols'>;

/** Who watches commands go through (metrics): called on the service's thread, never inside the engine. */
export interface ExchangeObserver {
  /** A command was applied: accepted or refused by the engine, in `engineMs`. */
  applied(type: Command['type'], accepted: boolean, engineMs: number): void;
  /** A journaled command was answered `ms` after it reached execute. */
  answered(ms: number): void;
  /** The journal failed a command: it was not applied. */
  failed(type: Command['type']): void;
}

export interface ExchangeOptions {
  symbols: readonly SymbolSpec[];
  clock: Clock;
  /** Start from this engine (recovered from a snapshot) instead of an empty one. */
  engine?: Engine;
  /** Options of a new engine besides its symbols (position mode of new accounts, risk and mark pacing). */
  engineOptions?: EngineSettings;
  /** Bounds of the service state (replay window, history, ledger); no replay window when absent. */
  service?: ServiceStateOptions;
}

export class Exchange {
  readonly engine: Engine;
  readonly events = new EventBus();
  /** History, ledger and replay window: fed from every event, captured in snapshots. */
  readonly state: ServiceState;
  readonly symbols: readonly SymbolSpec[];
  /** Identifies this stream history; a durable store replaces it with the data directory's. */
  epoch = randomBytes(8).toString('hex');
  /** Set by the server once recovery is over (replayed commands are not counted). */
  observer: ExchangeObserver | null = null;
  /**
   * Told of every applied command, live or replayed at recovery, once its events are published
   * (the scale-out's publisher to Redis: src/scaleout/publisher.ts).
   */
  readonly appliedTaps = new Set<(applied: Applied, command: Command) => void>();
  /**
   * Consulted before a command is sequenced: a refusal returned here answers the command instead,
   * and nothing is journaled or applied (an operator's injected fault: src/faults/).
   */
  gate: ((input: CommandInput) => CommandError | null) | null = null;
  private readonly clock: Clock;
  private journal: Journal | null = null;
  /** The last sequence number handed out; ahead of engine.cmdSeq while commands wait for the disk. */
  private sequenced: number;

  constructor(options: ExchangeOptions) {
    this.clock = options.clock;
    this.symbols = options.symbols;
    this.engine = options.engine ?? new Engine({ ...options.engineOptions, symbols: options.symbols });
    this.sequenced = this.engine.cmdSeq;
    this.state = new ServiceState(options.symbols, options.service);
    this.events.subscribeAll((event) => this.state.record(event));
  }

  /** Recent finished orders and fills per account. */
  get history(): History {
    return this.state.history;
  }

  /** Money movements and closed positions per account (income, bills, funding and position history). */
  get ledger(): Ledger {
    return this.state.ledger;
  }

  /** The replay window for resume (null when the exchange was made without one). */
  get eventLog(): EventLog | null {
    return this.state.eventLog;
  }

  /** The service state captured in snapshots, in section order. */
  get persistables(): readonly Persistable[] {
    return this.state.persistables;
  }

  now(): number {
    return this.clock.now();
  }

  /** From now on every command is journaled before it is applied. */
  attachJournal(journal: Journal): void {
    this.journal = journal;
    // Recovery replayed the journal into the engine: numbering continues from there.
    this.sequenced = this.engine.cmdSeq;
  }

  /** Commands sequenced but not yet applied (waiting for the disk). */
  get inFlight(): number {
    return this.sequenced - this.engine.cmdSeq;
  }

  /** Applies a command once it is durable, publishes its events, and resolves with the outcome. */
  execute(input: CommandInput): Promise<Applied> {
    const refusal = this.gate?.(input) ?? null;
    if (refusal !== null) return Promise.resolve({ cmdSeq: this.engine.cmdSeq, result: refusal, events: [], market: [] });
    const command = { ...input, time: this.clock.now() } as Command;
    const journal = this.journal;
    if (journal === null) return Promise.resolve(this.apply(command));
    const seq = ++this.sequenced;
    const started = this.observer === null ? 0 : performance.now();
    return new Promise<Applied>((resolve, reject) => {
      journal.append({ seq, command }, (error) => {
        if (error !== null) {
          // The journal failed this command and everything queued behind it; none was applied.
          this.sequenced = this.engine.cmdSeq;
          this.observer?.failed(command.type);
          reject(error);
          return;
        }
        resolve(this.apply(command, seq));
        this.observer?.answered(performance.now() - started);
      });
    });
  }

  /** For in-memory drivers (tests, benchmarks): apply synchronously. Refused once a journal is attached. */
  executeNow(input: CommandInput): Applied {
    if (this.journal !== null) throw new Error('executeNow would skip the journal; use execute');
    return this.apply({ ...input, time: this.clock.now() } as Command);
  }

  /** Re-applies a recovered journal record (start-up): same engine, same events, no new journal record. */
  replay(seq: number, command: Command): void {
    this.apply(command, seq);
  }

  private apply(command: Command, seq?: number): Applied {
    const observer = this.observer;
    const started = observer === null ? 0 : performance.now();
    const applied = this.engine.apply(command);
    observer?.applied(command.type, applied.result.ok, performance.now() - started);
    if (seq !== undefined && applied.cmdSeq !== seq) {
      throw new Error(`journal seq ${seq} was applied as ${applied.cmdSeq}: the engine and the journal disagree`);
    }
    this.events.publish(applied.events);
    this.state.market.record(applied.market);
    for (const tap of this.appliedTaps) tap(applied, command);
    return applied;
  }
}
