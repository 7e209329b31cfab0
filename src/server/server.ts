/**
 * Assembles one perpstream process: the exchange service (recovered from its data directory when
 * it has one), the admin API under /admin/v1, every dialect's front door and streams (XT at the
 * root, the others under their prefixes: dialects/registry.ts) and the WebSocket gateway, on one
 * port. Traffic is served only once recovery has finished.
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { adminRoutes } from '../admin/routes.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { PositionMode } from '../engine/types.js';
import { ConnectionCounter } from '../gateway/connections.js';
import { CloseCode, DEFAULT_LIMITS, type GatewayLimits } from '../gateway/limits.js';
import { connectionBudget, openFileLimit } from '../gateway/descriptors.js';
import { systemTimers, type Timers } from '../gateway/timers.js';
import { WsRouter, type GatewayStats } from '../gateway/ws-router.js';
import type { ShareCredentials } from '../dialects/dialect.js';
import { DIALECTS } from '../dialects/registry.js';
import { xtListenKeyPolicy } from '../dialects/xt/listen-key-policy.js';
import { logFnOf, silentLogger, type LogFn, type Logger } from '../ops/log.js';
import { HEALTH_PATH, Ops, READY_PATH } from '../ops/ops.js';
import type { FileOps } from '../persistence/file-ops.js';
import { ReplayBudget } from '../persistence/replay-budget.js';
import type { DurableStore, RecoveryReport, SnapshotStats } from '../persistence/store.js';
import { systemClock, type Clock } from '../service/clock.js';
import { CredentialStore } from '../service/credentials.js';
import { openDurableExchange } from '../service/durable-exchange.js';
import { Exchange, type EngineSettings, type ExchangeObserver } from '../service/exchange.js';
import { ListenKeys } from '../service/listen-keys.js';
import { PriceScheduler } from '../service/price-scheduler.js';
import { createHttp } from './http.js';
import { FaultBoard } from '../faults/board.js';
import { mountRestFaults } from '../faults/rest-faults.js';
import { mountRateLimits } from '../ratelimit/mount.js';
import { rateLimitPolicies } from '../ratelimit/policies.js';
import { faultSlotOf } from '../gateway/observer.js';

/** The parts of a running server an extension works with. */
export interface ExtensionParts {
  exchange: Exchange;
  store: DurableStore<Exchange> | null;
  /** Resumes beyond the window (null without a data directory). */
  replays: ReplayBudget | null;
  credentials: CredentialStore;
  /** XT's listen keys. */
  listenKeys: ListenKeys;
  router: WsRouter;
  connections: ConnectionCounter;
  ops: Ops;
  log: LogFn;
}

/**
 * What the scale-out's engine mode adds to a server (src/scaleout/engine-mode.ts): the publisher
 * of events to Redis, the stream credentials shared with gateways, the gateways' internal API.
 * Absent in a single process.
 */
export interface ServerExtension {
  /** Sees the exchange before anything is replayed into it, so recovered commands reach it as live ones did. */
  observeExchange?(exchange: Exchange): void;
  /** The dialects' stream credential stores, declared as they are mounted. */
  shareCredentials?: ShareCredentials;
  /** Mounts its routes and hooks, before the dialects' front doors. */
  mount?(app: FastifyInstance, parts: ExtensionParts): Promise<void>;
  /** The last step of a graceful shutdown, once every command is applied (publish the last ones). */
  close?(): Promise<void>;
}

export interface ServerOptions {
  symbols: readonly SymbolSpec[];
  adminToken: string;
  /** Where state lives (journal, snapshots, credentials); null keeps everything in memory. */
  dataDir: string | null;
  port?: number;
  host?: string;
  limits?: Partial<GatewayLimits>;
  /** XT listenKey validity (default 8 h); its other bounds are dialectSettings (dialects/xt/listen-key-policy.ts). */
  listenKeyTtlMs?: number;
  /** XT stream: close after this long without a ping (default 30 s). */
  xtIdleMs?: number;
  /** Dialect timing overrides by dotted name (see DialectContext.settings). */
  dialectSettings?: Readonly<Record<string, number>>;
  /** Events kept in memory for resume, over all accounts (default 100,000). */
  replayWindow?: number;
  /** New accounts' position mode (default HEDGE: XT, the native protocol, is hedge-only). */
  defaultPositionMode?: PositionMode;
  /** Further engine options: risk (warnMarginRatio, adlRanking, …), markEventIntervalMs. */
  engine?: Omit<EngineSettings, 'defaultPositionMode'>;
  /** Send a price tick (sampleRisk) this often while any symbol has an index price; off when absent or 0. */
  priceTickMs?: number;
  /** Settle funding at each symbol's funding times (default off: tests settle through the admin API). */
  fundingSchedule?: boolean;
  snapshotEveryCommands?: number;
  snapshotEveryMs?: number;
  /** Snapshots kept; the journal (and so resume from it) reaches back to the oldest (default 2). */
  keepSnapshots?: number;
  clock?: Clock;
  /**
   * The timers of the streams' heartbeats, idle cut-offs and key expiries, of the price scheduler
   * and of the periodic snapshot check (default: Node's). Tests inject hand-driven ones together with `clock` (src/gateway/timers.ts).
   */
  timers?: Timers;
  /** The open-file limit to size connection limits by (default: the process's own; null: unbounded). */
  fileLimit?: number | null;
  /** File operations for the data directory (tests inject failures). */
  fileOps?: FileOps;
  /** The process's logger: request lines, start-up and recovery summaries, faults (default: silent). */
  logger?: Logger;
  /** Components' messages (store, listen keys, scheduler, gateway); default: onto `logger`. Tests capture them. */
  log?: LogFn;
  /**
   * Readiness and metrics. Pass one whose ops port is already listening to have /readyz answer
   * during recovery; by default the server makes its own.
   */
  ops?: Ops;
  /** Serve /healthz, /readyz and the metrics path on the main port too (default true). */
  opsOnMainPort?: boolean;
  /** Emulate each exchange's documented rate limits (src/ratelimit/; default off). */
  rateLimits?: boolean;
  /** At shutdown, wait at most this long for the streams' outgoing queues to be written (default 5 s). */
  drainMs?: number;
  /** The scale-out's engine mode (src/scaleout/engine-mode.ts); absent in a single process. */
  extension?: ServerExtension;
}

/** What a graceful shutdown did. */
export interface ShutdownReport {
  /** Stream connections closed with 1001. */
  streams: number;
  /** Bytes waiting in stream queues when the shutdown began, and still waiting at the drain bound. */
  queuedBytes: number;
  undrainedBytes: number;
  /** The closing snapshot, or null (nothing new since the last one, no data directory, or it failed: logged). */
  snapshot: SnapshotStats | null;
  cmdSeq: number;
  ms: number;
}

/** The gateway's connections, limits and fault counters (GET /admin/v1/status). */
export interface GatewayStatus extends GatewayStats {
  connections: number;
  unauthenticated: number;
  maxConnections: number;
  maxUnauthenticated: number;
  fileLimit: number | null;
  maxSockets: number | null;
}

export interface RunningServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly exchange: Exchange;
  readonly credentials: CredentialStore;
  readonly listenKeys: ListenKeys;
  readonly store: DurableStore<Exchange> | null;
  readonly recovery: RecoveryReport | null;
  /** Resumes beyond the window replaying from the journal, within their budget; null without a data directory. */
  readonly replays: ReplayBudget | null;
  /** Readiness and metrics of this server. */
  readonly ops: Ops;
  /**
   * Graceful shutdown: refuse new streams and requests, drain the streams' outgoing queues (up to
   * `drainMs`), close them with 1001, take the last snapshot, close the journal; logs one line
   * naming `why` (the signal) and returns what it did.
   */
  shutdown(why: string): Promise<ShutdownReport>;
  /** shutdown('close'). */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const logger = options.logger ?? silentLogger();
  const log: LogFn = options.log ?? logFnOf(logger);
  const ops = options.ops ?? new Ops({ logger });
  const { metrics } = ops;
  ops.phase = 'recovering';
  const configured: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // Stream connections never take the descriptors that REST, admin and the data files need.
  const budget = connectionBudget(configured.maxConnections, options.fileLimit === undefined ? openFileLimit() : options.fileLimit);
  const limits: GatewayLimits = { ...configured, maxConnections: budget.maxStreams, maxUnauthenticated: Math.min(configured.maxUnauthenticated, budget.maxStreams) };
  const engineOptions: EngineSettings = { ...options.engine, defaultPositionMode: options.defaultPositionMode ?? 'HEDGE' };
  // The replay window is part of the service state: replayed events fill it exactly as live ones did.
  const service = { replayWindow: options.replayWindow ?? 100_000 };

  let store: DurableStore<Exchange> | null = null;
  let recovery: RecoveryReport | null = null;
  let exchange: Exchange;
  if (options.dataDir === null) {
    exchange = new Exchange({ symbols: options.symbols, clock, engineOptions, service });
    options.extension?.observeExchange?.(exchange);
  } else {
    const opened = await openDurableExchange({
      dataDir: options.dataDir, symbols: options.symbols, clock, ops: options.fileOps, log, engineOptions, service,
      snapshotEveryCommands: options.snapshotEveryCommands, snapshotEveryMs: options.snapshotEveryMs, keepSnapshots: options.keepSnapshots, timers,
    }, (recovering) => options.extension?.observeExchange?.(recovering));
    store = opened.store;
    recovery = opened.report;
    exchange = opened.exchange;
    const { report } = opened;
    logger.info({ recovery: report },
      `recovered ${options.dataDir} in ${report.ms} ms: snapshot at command ${report.snapshotSeq ?? 'none'}, ` +
      `${report.replayed} journal commands replayed, ${report.checkpointsVerified} state hashes checked, now at command ${report.cmdSeq}, ` +
      `stream epoch ${report.epoch}${report.newEpoch ? ' (new)' : ''}`);
    store.journal.observer = {
      batch: (records, bytes, syncMs) => metrics.journalBatch(records, bytes, syncMs),
      failed: (error, permanent) => {
        metrics.journalFailed();
        log(permanent
          ? `journal failed and could not be repaired (${error.message}): every command is refused until a restart; /readyz answers 503`
          : `journal write failed (${error.message}): the batch was refused and taken back, later commands are tried again`, 'error');
      },
    };
    store.onSnapshot = (stats) => metrics.snapshotTaken(stats.pauseMs, stats.pauseMs + stats.writeMs, stats.bytes);
    const journal = store.journal;
    ops.journalFailure = () => journal.failed;
    store.startSnapshots();
  }
  const eventLog = exchange.eventLog!;
  const observer: ExchangeObserver = {
    applied: (type, accepted, engineMs) => metrics.commandApplied(type, accepted, engineMs),
    answered: (ms) => metrics.commandAnswered(ms),
    failed: (type) => metrics.commandFailed(type),
  };
  exchange.observer = observer;
  const credentials = new CredentialStore(options.dataDir);
  credentials.retainAccounts((accountId) => exchange.engine.account(accountId) !== undefined);
  const listenKeys = new ListenKeys(
    xtListenKeyPolicy(options.listenKeyTtlMs, options.dialectSettings ?? {}),
    options.dataDir === null ? null : join(options.dataDir, 'listen-keys.json'),
    log,
  );

  const opsPaths = new Set([HEALTH_PATH, READY_PATH, ops.metricsPath]);
  const app = createHttp({ logger, metrics, quietPaths: opsPaths });
  if (budget.maxSockets !== null) app.server.maxConnections = budget.maxSockets;
  const connections = new ConnectionCounter(limits.maxConnectionsPerAccount, limits.maxConnections, limits.maxUnauthenticated);
  const router = new WsRouter(app.server, limits, connections, log, metrics);
  metrics.log = log;
  metrics.accountOf = (socket) => connections.accountOf(socket);
  metrics.queuedBytes = () => router.queuedBytes().byDialect;
  if (options.opsOnMainPort !== false) {
    // Registered before the front doors: XT's routes are at the root too (under /future and /v4 only).
    for (const path of opsPaths) {
      app.get(path, async (_request, reply) => {
        const answer = (await ops.answer(path))!;
        return reply.code(answer.status).type(answer.contentType).send(answer.body);
      });
    }
  }
  const gateway = (): GatewayStatus => ({
    connections: connections.count, unauthenticated: connections.unbound, maxConnections: limits.maxConnections,
    maxUnauthenticated: limits.maxUnauthenticated, fileLimit: budget.fileLimit, maxSockets: budget.maxSockets, ...router.stats,
  });
  // Resumes beyond the window: the journal replays on worker threads, within the limits' budget.
  const replays = store === null ? null : new ReplayBudget(store.history, limits, clock);
  await options.extension?.mount?.(app, { exchange, store, replays, credentials, listenKeys, router, connections, ops, log });
  // Every stream-credential store (XT's here; the dialects declare theirs while mounting).
  const credentialStores = new Map<string, ListenKeys>([['xt-listen-keys', listenKeys]]);
  const shareCredentials: ShareCredentials = (name, store, onRemoved) => {
    credentialStores.set(name, store);
    options.extension?.shareCredentials?.(name, store, onRemoved);
  };
  const expireCredentials = async (accountId: number): Promise<number> => {
    let expired = 0;
    for (const store of credentialStores.values()) expired += (await store.expireNow(accountId, exchange.now())).length;
    return expired;
  };
  const faults = new FaultBoard({ socketsOf: (accountId) => connections.socketsOf(accountId), faultOf: faultSlotOf, expireCredentials }, (fault) => {
    metrics.faultInjected(fault.kind);
    logger.warn({ fault }, `injected fault (${fault.kind}) on account ${fault.accountId}: ${fault.detail}`);
  });
  // Before the front doors, so that an armed REST fault answers ahead of any of their handlers.
  mountRestFaults(app, faults, credentials);
  if (options.rateLimits === true) {
    mountRateLimits(app, {
      policies: rateLimitPolicies(), credentials, clock,
      onRefused: (dialect, limit, ip, account) => {
        metrics.rateLimited(dialect, limit);
        logger.info({ dialect, limit, ip, account }, `rate limit ${limit} of ${dialect} refused a request from ${account === null ? ip : `account ${account}`}`);
      },
    });
  }
  exchange.gate = (input) => (input.type === 'placeOrder' || input.type === 'placeConditional' ? faults.takeOrderReject(input.accountId) : null);
  await app.register(adminRoutes, { prefix: '/admin/v1', exchange, credentials, adminToken: options.adminToken, store, gateway, faults });
  const settings = { ...(options.xtIdleMs === undefined ? {} : { 'xt.idleMs': options.xtIdleMs }), ...options.dialectSettings };
  const olderHistory = replays;
  const context = {
    exchange, credentials, listenKeys, eventLog, olderHistory, limits, connections, router, dataDir: options.dataDir, settings, log, timers, shareCredentials,
    rateLimits: options.rateLimits === true,
  };
  for (const dialect of DIALECTS) await dialect.mount(app, context);

  const scheduler = new PriceScheduler({ exchange, tickMs: options.priceTickMs ?? null, funding: options.fundingSchedule ?? false, log, timers });

  await app.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
  scheduler.start();
  ops.phase = 'ready';
  const { port, address } = app.server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const shutdown = async (why: string): Promise<ShutdownReport> => {
    const started = performance.now();
    ops.phase = 'stopping';
    scheduler.stop();
    // Stop accepting: new upgrades are refused (503), the listener closes, requests on open
    // connections are answered 503 while those in flight finish (and may still push).
    router.stopAccepting();
    const httpClosed = app.close();
    const queuedBytes = router.queuedBytes().total;
    const undrainedBytes = await router.drain(options.drainMs ?? 5_000);
    const streams = router.closeAll(CloseCode.GOING_AWAY, 'server shutting down');
    await httpClosed;
    // Commands still on their way to the disk are applied first, so the last snapshot holds them.
    for (let turns = 0; exchange.inFlight > 0 && turns < 10_000; turns++) await new Promise((resolve) => setImmediate(resolve));
    await listenKeys.idle();
    replays?.close();
    await store?.history.close();
    const previous = store?.lastSnapshot ?? null;
    await store?.close();
    await options.extension?.close?.();
    const snapshot = store !== null && store.lastSnapshot !== previous ? store.lastSnapshot : null;
    const report: ShutdownReport = { streams, queuedBytes, undrainedBytes, snapshot, cmdSeq: exchange.engine.cmdSeq, ms: Math.round(performance.now() - started) };
    logger.info({ shutdown: report, why },
      `shutdown (${why}): stopped accepting; drained ${queuedBytes - undrainedBytes} of ${queuedBytes} queued bytes` +
      `${undrainedBytes > 0 ? ` (${undrainedBytes} left at the ${options.drainMs ?? 5_000} ms bound)` : ''}; closed ${streams} streams with 1001; ` +
      `${store === null ? 'no data directory' : snapshot !== null ? `snapshot at command ${snapshot.cmdSeq} (${snapshot.bytes} bytes)` : `no new snapshot (state at command ${exchange.engine.cmdSeq} already saved, or the attempt was logged)`}; ` +
      `${store === null ? '' : 'journal closed; '}took ${report.ms} ms`);
    return report;
  };
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    exchange,
    credentials,
    listenKeys,
    store,
    recovery,
    replays,
    ops,
    shutdown,
    async close() {
      await shutdown('close');
    },
  };
}
