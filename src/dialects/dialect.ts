/**
 * What a dialect is to the server: a front door (REST routes under its own path prefix) and one or
 * more streams (WebSocket routes), both written over the same exchange and canonical events. The
 * server mounts every dialect in `registry.ts` on one port; no dialect logic lives anywhere else.
 * A gateway process of the scale-out (src/scaleout/gateway.ts) mounts only the streams
 * (`mountStreams`), over a replica of the exchange fed from Redis Streams: the same stream code.
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
import type { StreamExchange } from '../service/stream-exchange.js';

/**
 * A dialect declares each of its stream-credential stores by a name: the server keeps them (an
 * operator's fault expires an account's keys in every store) and, in a scale-out, shares them with
 * other processes; `onRemoved` is called when another process removed a key (its streams say so, as
 * for a key removed here).
 */
export type ShareCredentials = (name: string, store: ListenKeys, onRemoved?: (key: string) => void) => void;

/**
 * Waits until this process has received the account's events through `seq` (a client resuming
 * here saw them from another gateway); false when they did not come within its bound. Absent in a
 * single process, where nothing can be ahead of it.
 */
export type AwaitSeq = (accountId: number, seq: number, signal: AbortSignal) => Promise<boolean>;

/** What the front doors and the streams have in common. */
interface ContextBase {
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
  shareCredentials?: ShareCredentials;
  awaitSeq?: AwaitSeq;
}

export interface DialectContext extends ContextBase {
  exchange: Exchange;
  /** Whether the server emulates the exchanges' rate limits (src/ratelimit/): what a front door states it enforces. */
  rateLimits: boolean;
}

/** What a dialect's streams are mounted with. */
export interface StreamContext extends ContextBase {
  exchange: StreamExchange;
  /** Registers what to stop when the server closes (the market feeds' timers). */
  onClose(stop: () => void): void;
}

export interface Dialect {
  readonly name: string;
  /** Front door and streams, on the server's one port. */
  mount(app: FastifyInstance, context: DialectContext): Promise<void>;
  /** Streams only (a gateway process); their credentials are the shared ones. */
  mountStreams(context: StreamContext): void;
}

/** The stream context of a server that mounts front doors and streams on `app`. */
export function streamContextOf(app: FastifyInstance, context: DialectContext): StreamContext {
  return { ...context, onClose: (stop) => app.addHook('onClose', async () => stop()) };
}

/** A timing from the overrides, or the dialect's default. */
export function setting(context: Pick<ContextBase, 'settings'>, name: string, fallback: number): number {
  const value = context.settings[name];
  return value === undefined ? fallback : value;
}
