/**
 * `perpstream gateway`: serves every dialect's WebSocket streams, private and public, for a
 * perpstream engine process, from Redis Streams; any number of them run side by side.
 *
 * The dialects' own stream code runs here unchanged (Dialect.mountStreams) over a replica of the
 * exchange (replica.ts) fed by one read loop per gateway (consumer.ts), with the same gateway
 * (WsRouter, sessions, bounds, close codes) as a single process. Stream credentials are copies of
 * the engine's, kept current through Redis (credential-share.ts). Every REST request, and every
 * upgrade no stream takes (Binance's WebSocket API), is forwarded to the engine (proxy.ts), so a
 * client changes only its URL. Readiness (/readyz) requires Redis, the engine's link and a
 * replica that has caught up with the streams.
 *
 * Start-up: Redis, the engine's bootstrap (retried until the engine answers), the replica, the
 * streams mounted, the credential copies loaded, the streams read up to where they stood; then the
 * port opens.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DIALECTS } from '../dialects/registry.js';
import type { StreamContext } from '../dialects/dialect.js';
import { xtListenKeyPolicy } from '../dialects/xt/listen-key-policy.js';
import { ConnectionCounter } from '../gateway/connections.js';
import { connectionBudget, openFileLimit } from '../gateway/descriptors.js';
import { CloseCode, DEFAULT_LIMITS, type GatewayLimits } from '../gateway/limits.js';
import { systemTimers } from '../gateway/timers.js';
import { WsRouter } from '../gateway/ws-router.js';
import { logFnOf, silentLogger, type LogFn, type Logger } from '../ops/log.js';
import { HEALTH_PATH, Ops, READY_PATH } from '../ops/ops.js';
import { dialectOfPath } from '../server/http.js';
import { CredentialStore } from '../service/credentials.js';
import { ListenKeys } from '../service/listen-keys.js';
import type { Bootstrap } from './bootstrap.js';
import { Consumer } from './consumer.js';
import { CredentialMirror } from './credential-share.js';
import { EngineClient, type EngineLink } from './engine-client.js';
import type { ScaleOutSettings } from './engine-mode.js';
import { layoutOf } from './layout.js';
import { EngineProxy } from './proxy.js';
import { closeRedis, createRedis, redactUrl, type Redis } from './redis.js';
import { Replica } from './replica.js';

export interface GatewayOptions {
  /** The engine process's URL (http://host:port): its internal API, and where REST is forwarded. */
  engineUrl: string;
  /** The engine's admin token (its internal API takes it). */
  token: string;
  scaleOut: Pick<ScaleOutSettings, 'redisUrl' | 'prefix'>;
  port?: number;
  host?: string;
  limits?: Partial<GatewayLimits>;
  /** Dialect timing overrides by dotted name (as a single process's). */
  dialectSettings?: Readonly<Record<string, number>>;
  /** Events kept in memory for resume (default 100,000). */
  replayWindow?: number;
  drainMs?: number;
  fileLimit?: number | null;
  logger?: Logger;
  log?: LogFn;
  /** Readiness and metrics; pass one whose ops port already listens to watch the start-up. */
  ops?: Ops;
  opsOnMainPort?: boolean;
  /**
   * The engine's stream history changed under the gateway (its data directory was replaced: a new
   * epoch). The gateway has closed every stream (1012); its owner restarts it (main.ts exits).
   */
  onEpochChange?: (epoch: string) => void;
}

export interface RunningGateway {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly replica: Replica;
  readonly consumer: Consumer;
  readonly ops: Ops;
  /** Graceful: refuse new connections, drain, close streams with 1001, stop reading; logs one line. */
  shutdown(why: string): Promise<{ streams: number; ms: number }>;
  close(): Promise<void>;
}

/** Waits until a Redis connection is ready (it reconnects by itself), reporting once. */
async function connected(client: Redis, url: string, log: LogFn): Promise<void> {
  client.connect().catch(() => undefined);
  if (client.isReady) return;
  const warn = setTimeout(() => log(`waiting for redis at ${redactUrl(url)}`, 'warn'), 2_000);
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  clearTimeout(warn);
}

/** The engine's bootstrap, asked again until the engine answers. */
async function bootstrapOf(engine: EngineClient, log: LogFn): Promise<Bootstrap> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await engine.bootstrap();
    } catch (error) {
      if (attempt === 0 || attempt % 20 === 0) log(`waiting for the engine at ${engine.url} (${error instanceof Error ? error.message : String(error)})`, 'warn');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? silentLogger();
  const log: LogFn = options.log ?? logFnOf(logger);
  const ops = options.ops ?? new Ops({ logger });
  const { metrics } = ops;
  ops.phase = 'starting';
  const layout = layoutOf(options.scaleOut.prefix);
  const configured: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const budget = connectionBudget(configured.maxConnections, options.fileLimit === undefined ? openFileLimit() : options.fileLimit);
  const limits: GatewayLimits = { ...configured, maxConnections: budget.maxStreams, maxUnauthenticated: Math.min(configured.maxUnauthenticated, budget.maxStreams) };

  const client = createRedis({ url: options.scaleOut.redisUrl, name: 'gateway', log });
  const reader = createRedis({ url: options.scaleOut.redisUrl, name: 'gateway reader', log });
  await Promise.all([connected(client, options.scaleOut.redisUrl, log), connected(reader, options.scaleOut.redisUrl, log)]);
  const engine = new EngineClient(options.engineUrl, options.token);
  const boot = await bootstrapOf(engine, log);
  const replica = new Replica(boot, options.replayWindow ?? 100_000);

  // Copies of the engine's stream credentials.
  const mirror = new CredentialMirror(layout);
  const credentials = new CredentialStore(null);
  mirror.mirrorApiKeys(credentials);
  const listenKeys = new ListenKeys(xtListenKeyPolicy(undefined, options.dialectSettings ?? {}), null, log);
  mirror.mirrorListenKeys('xt-listen-keys', listenKeys);

  const consumer = new Consumer({
    reader, client, layout, shards: boot.shards, replica, credentials: mirror, engine, log, maxHeldEvents: limits.maxReplayEvents,
  });
  consumer.registerMetrics(metrics.registry);

  const proxy = new EngineProxy(options.engineUrl);
  let stopping = false;
  const opsPaths = new Set([HEALTH_PATH, READY_PATH, ops.metricsPath]);
  const opsOnMainPort = options.opsOnMainPort !== false;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (opsOnMainPort && opsPaths.has(path) && (request.method === 'GET' || request.method === 'HEAD')) {
      void ops.answer(path).then((answer) => {
        response.writeHead(answer!.status, { 'content-type': answer!.contentType, 'content-length': Buffer.byteLength(answer!.body) });
        response.end(request.method === 'HEAD' ? undefined : answer!.body);
      });
      return;
    }
    if (stopping) {
      response.writeHead(503, { connection: 'close' }).end();
      return;
    }
    const started = performance.now();
    proxy.forward(request, response, (status) => {
      const dialect = dialectOfPath(path);
      metrics.request(dialect, status);
      logger.debug({ dialect, method: request.method, path: path.slice(0, 200), status, ms: Math.round((performance.now() - started) * 100) / 100 }, 'forwarded');
    });
  });
  server.keepAliveTimeout = 5_000;
  if (budget.maxSockets !== null) server.maxConnections = budget.maxSockets;
  const connections = new ConnectionCounter(limits.maxConnectionsPerAccount, limits.maxConnections, limits.maxUnauthenticated);
  const router = new WsRouter(server, limits, connections, log, metrics);
  router.fallback = (request, socket, head) => proxy.forwardUpgrade(request, socket, head);
  // A credential the engine handed out before the client connected is known here before it is checked.
  router.beforeCheck = () => mirror.caughtUp(client, 2_000);
  metrics.log = log;
  metrics.accountOf = (socket) => connections.accountOf(socket);
  metrics.queuedBytes = () => router.queuedBytes().byDialect;

  const stoppers: (() => void)[] = [];
  const context: StreamContext = {
    exchange: replica, credentials, listenKeys, eventLog: replica.eventLog, olderHistory: engine, limits, connections, router,
    dataDir: null, settings: options.dialectSettings ?? {}, log, timers: systemTimers,
    shareCredentials: (name, store, onRemoved) => mirror.mirrorListenKeys(name, store, onRemoved),
    awaitSeq: consumer.awaitSeq,
    onClose: (stop) => stoppers.push(stop),
  };
  for (const dialect of DIALECTS) dialect.mountStreams(context);
  await mirror.load(client);
  await consumer.start();

  const link: EngineLink = engine.link((hello) => {
    if (hello !== null && hello.epoch !== replica.epoch) {
      log(`the engine's stream epoch is now ${hello.epoch} (was ${replica.epoch}): its history changed; closing every stream (1012) for a restart`, 'error');
      router.closeAll(CloseCode.SERVICE_RESTART, 'the stream history changed: reconnect');
      options.onEpochChange?.(hello.epoch);
    }
  }, log);
  ops.dependencies = () => {
    if (!client.isReady || !consumer.redisOk) return `redis at ${redactUrl(options.scaleOut.redisUrl)} is not reachable`;
    if (!link.isUp) return `the engine at ${options.engineUrl} is not reachable`;
    return null;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8081, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  ops.phase = 'ready';
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  log(`gateway for ${options.engineUrl} listening on http://${host}:${port}: ${boot.shards} account shards from ${redactUrl(options.scaleOut.redisUrl)} ` +
    `under "${layout.prefix}", bootstrapped at command ${boot.cmdSeq} (epoch ${boot.epoch}, ${boot.accounts.length} accounts)`, 'info');

  const shutdown = async (why: string): Promise<{ streams: number; ms: number }> => {
    const started = performance.now();
    ops.phase = 'stopping';
    stopping = true;
    router.stopAccepting();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await router.drain(options.drainMs ?? 5_000);
    const streams = router.closeAll(CloseCode.GOING_AWAY, 'server shutting down');
    link.stop();
    for (const stop of stoppers) stop();
    closeRedis(reader);
    await consumer.stop();
    closeRedis(client);
    proxy.close();
    server.closeAllConnections();
    await closed;
    const report = { streams, ms: Math.round(performance.now() - started) };
    logger.info({ shutdown: report, why }, `gateway shutdown (${why}): closed ${streams} streams with 1001; took ${report.ms} ms`);
    return report;
  };
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    replica,
    consumer,
    ops,
    shutdown,
    async close() {
      await shutdown('close');
    },
  };
}
