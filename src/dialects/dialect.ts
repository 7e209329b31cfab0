/**
 * What a dialect is to the server: a front door (REST routes under its own path prefix) and one or
 * more streams (WebSocket routes), both written over the same exchange and canonical events. The
 * server mounts every dialect in `registry.ts` on one port; no dialect logic lives anywhere else.
 */
import type { FastifyInstance } from 'fastify';
import type { ConnectionCounter } from '../gateway/connections.js';
import type { GatewayLimits } from '../gateway/limits.js';
import type { Timers } from '../gateway/timers.js';
import type { WsRouter } from '../gateway/ws-router.js';
import type { CredentialStore } from '../service/credentials.js';
import type { EventLog, OlderHistory } from '../service/event-log.js';
import type { Exchange } from '../service/exchange.js';
import type { LogFn } from '../ops/log.js';
import type { ListenKeys } from '../service/listen-keys.js';

export interface DialectContext {
  exchange: Exchange;
  credentials: CredentialStore;
  /** XT's listen keys (the native protocol's stream credential). */
  listenKeys: ListenKeys;
  /** Recent events, for streams that resume from a {epoch, seq}. */
  eventLog: EventLog;
  /** History older than the window, from the journal (null without a data directory). */
  olderHistory: OlderHistory | null;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  router: WsRouter;
  /** Data directory for a dialect's own durable files (stream credentials); null keeps them in memory. */
  dataDir: string | null;
  /**
   * Timing overrides by dotted name (`binance.pingIntervalMs`, …): tests shorten heartbeats and key
   * lifetimes with them. A dialect reads its own with `setting()` and documents its defaults.
   */
  settings: Readonly<Record<string, number>>;
  /** The streams' heartbeat, idle and expiry timers (Node's, or a test's hand-driven ones). */
  timers: Timers;
  /** Where a dialect's components report (a stream-credential file that could not be saved, …). */
  log: LogFn;
}

export interface Dialect {
  readonly name: string;
  mount(app: FastifyInstance, context: DialectContext): Promise<void>;
}

/** A timing from the overrides, or the dialect's default. */
export function setting(context: DialectContext, name: string, fallback: number): number {
  const value = context.settings[name];
  return value === undefined ? fallback : value;
}
