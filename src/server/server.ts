/**
 * Assembles one perpstream process: the exchange service (recovered from its data directory when
 * it has one), the admin API under /admin/v1, every dialect's front door and streams (XT at the
 * root, the others under their prefixes: dialects/registry.ts) and the WebSocket gateway, on one
 * port. Traffic is served only once recovery has finished.
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { adminRoutes } from '../admin/routes.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { PositionMode } from '../engine/types.js';
import { ConnectionCounter } from '../gateway/connections.js';
import { CloseCode, DEFAULT_LIMITS, type GatewayLimits } from '../gateway/limits.js';
import { connectionBudget, openFileLimit } from '../gateway/descriptors.js';
import { WsRouter, type GatewayStats } from '../gateway/ws-router.js';
import { DIALECTS } from '../dialects/registry.js';
import { xtListenKeyPolicy } from '../dialects/xt/listen-key-policy.js';
import type { FileOps } from '../persistence/file-ops.js';
import { ReplayBudget } from '../persistence/replay-budget.js';
import type { DurableStore, RecoveryReport } from '../persistence/store.js';
import { systemClock, type Clock } from '../service/clock.js';
import { CredentialStore } from '../service/credentials.js';
import { openDurableExchange } from '../service/durable-exchange.js';
import { Exchange, type EngineSettings } from '../service/exchange.js';
import { ListenKeys } from '../service/listen-keys.js';
import { PriceScheduler } from '../service/price-scheduler.js';
import { createHttp } from './http.js';

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
  /** The open-file limit to size connection limits by (default: the process's own; null: unbounded). */
  fileLimit?: number | null;
  /** File operations for the data directory (tests inject failures). */
  fileOps?: FileOps;
  log?: (message: string) => void;
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
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
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
  } else {
    const opened = await openDurableExchange({
      dataDir: options.dataDir, symbols: options.symbols, clock, ops: options.fileOps, log: options.log, engineOptions, service,
      snapshotEveryCommands: options.snapshotEveryCommands, snapshotEveryMs: options.snapshotEveryMs, keepSnapshots: options.keepSnapshots,
    });
    store = opened.store;
    recovery = opened.report;
    exchange = opened.exchange;
    store.startSnapshots();
  }
  const eventLog = exchange.eventLog!;
  const credentials = new CredentialStore(options.dataDir);
  credentials.retainAccounts((accountId) => exchange.engine.account(accountId) !== undefined);
  const listenKeys = new ListenKeys(
    xtListenKeyPolicy(options.listenKeyTtlMs, options.dialectSettings ?? {}),
    options.dataDir === null ? null : join(options.dataDir, 'listen-keys.json'),
    options.log,
  );

  const app = createHttp();
  if (budget.maxSockets !== null) app.server.maxConnections = budget.maxSockets;
  const connections = new ConnectionCounter(limits.maxConnectionsPerAccount, limits.maxConnections, limits.maxUnauthenticated);
  const router = new WsRouter(app.server, limits, connections, options.log ?? ((message) => console.error(message)));
  const gateway = (): GatewayStatus => ({
    connections: connections.count, unauthenticated: connections.unbound, maxConnections: limits.maxConnections,
    maxUnauthenticated: limits.maxUnauthenticated, fileLimit: budget.fileLimit, maxSockets: budget.maxSockets, ...router.stats,
  });
  await app.register(adminRoutes, { prefix: '/admin/v1', exchange, credentials, adminToken: options.adminToken, store, gateway });
  const settings = { ...(options.xtIdleMs === undefined ? {} : { 'xt.idleMs': options.xtIdleMs }), ...options.dialectSettings };
  // Resumes beyond the window: the journal replays on worker threads, within the limits' budget.
  const replays = store === null ? null : new ReplayBudget(store.history, limits, clock);
  const olderHistory = replays;
  const context = { exchange, credentials, listenKeys, eventLog, olderHistory, limits, connections, router, dataDir: options.dataDir, settings };
  for (const dialect of DIALECTS) await dialect.mount(app, context);

  const scheduler = new PriceScheduler({ exchange, tickMs: options.priceTickMs ?? null, funding: options.fundingSchedule ?? false, log: options.log });

  await app.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
  scheduler.start();
  const { port, address } = app.server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
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
    async close() {
      scheduler.stop();
      router.closeAll(CloseCode.GOING_AWAY, 'server shutting down');
      await app.close();
      await listenKeys.idle();
      replays?.close();
      await store?.history.close();
      await store?.close();
    },
  };
}
