/**
 * Assembles one perpstream process: the exchange service, the HTTP front doors (XT at the root,
 * the admin API under /admin/v1) and the WebSocket gateway, on one port.
 */
import type { AddressInfo } from 'node:net';
import { adminRoutes } from '../admin/routes.js';
import type { SymbolSpec } from '../engine/symbol.js';
import { ConnectionCounter } from '../gateway/connections.js';
import { CloseCode, DEFAULT_LIMITS, type GatewayLimits } from '../gateway/limits.js';
import { WsRouter } from '../gateway/ws-router.js';
import { XtEncoder } from '../dialects/xt/encode.js';
import { xtRoutes } from '../dialects/xt/rest.js';
import { xtStreamHandler } from '../dialects/xt/stream.js';
import { systemClock, type Clock } from '../service/clock.js';
import { CredentialStore } from '../service/credentials.js';
import { Exchange } from '../service/exchange.js';
import { ListenKeys } from '../service/listen-keys.js';
import { createHttp } from './http.js';

export interface ServerOptions {
  symbols: readonly SymbolSpec[];
  adminToken: string;
  /** Where state lives; null keeps everything in memory. */
  dataDir: string | null;
  port?: number;
  host?: string;
  limits?: Partial<GatewayLimits>;
  /** XT listenKey validity (default 8 h). */
  listenKeyTtlMs?: number;
  /** XT stream: close after this long without a ping (default 30 s). */
  xtIdleMs?: number;
  clock?: Clock;
}

export interface RunningServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly exchange: Exchange;
  readonly credentials: CredentialStore;
  readonly listenKeys: ListenKeys;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const exchange = new Exchange({ symbols: options.symbols, clock });
  const credentials = new CredentialStore(options.dataDir);
  // Until the journal exists, engine state starts empty: credentials for accounts that no longer exist go.
  credentials.retainAccounts((accountId) => exchange.engine.account(accountId) !== undefined);
  const listenKeys = new ListenKeys(options.listenKeyTtlMs ?? 8 * 60 * 60 * 1000);
  const symbols = new Map(exchange.engine.symbols().map((c) => [c.symbol, c]));
  const xtEncoder = new XtEncoder(symbols);
  exchange.events.subscribeAll((event) => xtEncoder.observe(event));

  const app = createHttp();
  await app.register(adminRoutes, { prefix: '/admin/v1', exchange, credentials, adminToken: options.adminToken });
  await app.register(xtRoutes, { exchange, credentials, listenKeys });

  const connections = new ConnectionCounter(limits.maxConnectionsPerAccount, limits.maxConnections);
  const router = new WsRouter(app.server, limits, connections);
  router.route('/ws/user', xtStreamHandler({ exchange, listenKeys, encoder: xtEncoder, limits, connections, idleMs: options.xtIdleMs ?? 30_000 }));

  await app.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
  const { port, address } = app.server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    exchange,
    credentials,
    listenKeys,
    async close() {
      router.closeAll(CloseCode.GOING_AWAY, 'server shutting down');
      await app.close();
    },
  };
}
