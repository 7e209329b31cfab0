/**
 * What the dialects' streams read of the exchange, and nothing more: the engine's few read-only
 * views a push needs (symbols, an account's seq, the book, prices), the event bus, public market
 * data, ended conditional orders, the stream epoch and the clock. The in-process `Exchange` is one
 * (`npm start`); a gateway process's replica fed from Redis Streams (src/scaleout/replica.ts) is
 * the other, so both run the same stream code.
 */
import type { Depth, PriceInfo } from '../engine/engine.js';
import type { SymbolConfig } from '../engine/symbol.js';
import type { EventBus } from './event-bus.js';
import type { History } from './history.js';
import type { MarketData } from './market-data.js';

/** The engine's read-only views that streams use (same names and meanings as Engine's). */
export interface StreamEngine {
  symbols(): SymbolConfig[];
  /** The account's last event seq, or undefined for an account that does not exist (yet). */
  account(accountId: number): { seq: number } | undefined;
  /** The last command whose events reached this process. */
  readonly cmdSeq: number;
  depth(symbol: string, limit: number): Depth | undefined;
  prices(symbol: string, now: number): PriceInfo | undefined;
}

export interface StreamExchange {
  readonly engine: StreamEngine;
  readonly events: EventBus;
  readonly state: { readonly market: MarketData };
  readonly history: Pick<History, 'finishedConditional'>;
  /** The stream history's identity (a client's {epoch, seq} continues only within it). */
  readonly epoch: string;
  now(): number;
}
