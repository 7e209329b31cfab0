/**
 * Every bound of the stream gateway, with safe defaults. Operators override any of them.
 */
export interface GatewayLimits {
  /** Bytes a connection may have waiting to be written (socket buffer + batch) before it is closed as a slow consumer. */
  maxQueueBytes: number;
  /** Largest inbound frame; larger frames close the connection (1009). */
  maxInboundFrameBytes: number;
  /** Inbound messages per second a connection may send on average… */
  inboundPerSecond: number;
  /** …and in a burst. */
  inboundBurst: number;
  /** Stream connections one account may hold at once. */
  maxConnectionsPerAccount: number;
  /**
   * Stream connections the whole process accepts. The server lowers it to what the process's open-
   * file limit leaves after a reserve for REST, admin and data files (descriptors.ts).
   */
  maxConnections: number;
  /** Connections that have not subscribed or authenticated yet, at once (further upgrades: 503). */
  maxUnauthenticated: number;
  /** A connection that has not subscribed or authenticated within this long is closed (AUTH_TIMEOUT). */
  authDeadlineMs: number;
  /** Most events one resume may replay (more: "not recovered", re-snapshot over REST). */
  maxReplayEvents: number;
  /**
   * Resumes beyond the window recompute history from the journal, each on a worker thread: this
   * many at once over all accounts (one account's run one after another)…
   */
  maxConcurrentReplays: number;
  /** …this many more may wait for a worker; past that a resume is answered "not recovered" at once… */
  maxQueuedReplays: number;
  /** …one account may have this many running or waiting… */
  maxPendingReplaysPerAccount: number;
  /** …and start this many in any 60 s. */
  replaysPerAccountPerMinute: number;
}

export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxQueueBytes: 4 * 1024 * 1024,
  maxInboundFrameBytes: 64 * 1024,
  inboundPerSecond: 20,
  inboundBurst: 50,
  maxConnectionsPerAccount: 32,
  maxConnections: 50_000,
  maxUnauthenticated: 1_000,
  authDeadlineMs: 10_000,
  maxReplayEvents: 100_000,
  maxConcurrentReplays: 1,
  maxQueuedReplays: 8,
  maxPendingReplaysPerAccount: 4,
  replaysPerAccountPerMinute: 10,
});

/**
 * Close codes the gateway uses (4000–4999 are application codes). Documented in docs/architecture.md.
 */
export const CloseCode = Object.freeze({
  /** The client stopped sending heartbeats. */
  IDLE: 4000,
  /** The outgoing queue passed maxQueueBytes: the client reads too slowly. */
  SLOW_CONSUMER: 4008,
  /** The account already holds maxConnectionsPerAccount connections. */
  TOO_MANY_CONNECTIONS: 4009,
  /** No valid subscribe or auth within authDeadlineMs of connecting. */
  AUTH_TIMEOUT: 4010,
  /** The client sent more than inboundPerSecond / inboundBurst messages. */
  RATE_LIMITED: 4029,
  /** A stream's handler failed on this connection's message (a defect of ours, logged and counted). */
  INTERNAL_ERROR: 1011,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** The server's stream history changed under the connection (a scale-out gateway whose engine started a new epoch): reconnect. */
  SERVICE_RESTART: 1012,
});
