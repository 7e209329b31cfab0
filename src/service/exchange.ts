/**
 * The exchange service: the one place commands enter the engine. It stamps each command with the
 * time, applies it, records history and publishes the events, in command order. Everything with
 * I/O (front doors, admin API, simulator) goes through `execute`.
 */
import { Engine, type Applied } from '../engine/engine.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { Command } from '../engine/types.js';
import type { Clock } from './clock.js';
import { EventBus } from './event-bus.js';
import { History } from './history.js';

/** A command as callers write it: the exchange stamps the time. */
export type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'time'> : never) : never;

export interface ExchangeOptions {
  symbols: readonly SymbolSpec[];
  clock: Clock;
  maxOpenOrdersPerAccount?: number;
}

export class Exchange {
  readonly engine: Engine;
  readonly events = new EventBus();
  readonly history = new History();
  private readonly clock: Clock;

  constructor(options: ExchangeOptions) {
    this.clock = options.clock;
    this.engine = new Engine({ symbols: options.symbols, maxOpenOrdersPerAccount: options.maxOpenOrdersPerAccount });
    this.events.subscribeAll((event) => this.history.record(event));
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Applies a command and publishes its events. Async because acknowledgement will wait for the
   * journal (commands are applied in call order either way).
   */
  async execute(input: CommandInput): Promise<Applied> {
    return this.executeNow(input);
  }

  /** The synchronous core of `execute`, for in-process drivers that need no acknowledgement. */
  executeNow(input: CommandInput): Applied {
    const applied = this.engine.apply({ ...input, time: this.clock.now() } as Command);
    this.events.publish(applied.events);
    return applied;
  }
}
