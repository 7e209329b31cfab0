/**
 * `perpstream engine`: a whole perpstream server (front doors, journal, engine, and its own streams
 * too) that also publishes every event to Redis Streams for the gateways (publisher.ts), shares the
 * stream credentials with them (credential-share.ts) and answers their internal requests
 * (internal-api.ts). It is a ServerExtension of startServer: the single-process server is unchanged.
 *
 * Redis being away never stops the engine (the journal is the truth): commands are taken and
 * acknowledged, events wait in memory (bounded) and are published once Redis answers again.
 */
import type { ServerExtension } from '../server/server.js';
import type { LogFn } from '../ops/log.js';
import { CredentialPublisher } from './credential-share.js';
import { mountInternalApi } from './internal-api.js';
import { layoutOf } from './layout.js';
import { Publisher } from './publisher.js';
import { closeRedis, createRedis, redactUrl, type Redis } from './redis.js';

export interface ScaleOutSettings {
  /** redis://host:port[/db] */
  redisUrl: string;
  /** Key prefix of this cluster's streams and credential stores. */
  prefix: string;
  /** Account shards of a new epoch's event streams. */
  shards: number;
  /** Approximate MAXLEN of each stream, in entries. */
  streamMaxLen: number;
}

export const DEFAULT_SCALE_OUT: Readonly<ScaleOutSettings> = Object.freeze({
  redisUrl: 'redis://127.0.0.1:6379', prefix: 'perpstream', shards: 8, streamMaxLen: 100_000,
});

export interface EngineMode {
  readonly extension: ServerExtension;
  readonly publisher: Publisher;
  /** Resolves once the publisher and the credential share have started (Redis answered once). */
  readonly started: Promise<void>;
}

/** The engine mode's extension of startServer; `token` is the admin token (the internal API's too). */
export function engineMode(settings: ScaleOutSettings, token: string, log: LogFn = () => undefined): EngineMode {
  const layout = layoutOf(settings.prefix);
  const credentials = new CredentialPublisher(layout, log);
  const publisher = new Publisher({ layout, shards: settings.shards, maxLen: settings.streamMaxLen, log });
  let redis: Redis | null = null;
  let resolveStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    resolveStarted = resolve;
  });
  const extension: ServerExtension = {
    // Before recovery: replayed commands reach the publisher as live ones do.
    observeExchange: (exchange) => publisher.observe(exchange),
    shareCredentials: (name, store) => credentials.shareListenKeys(name, store),
    async mount(app, parts) {
      credentials.shareListenKeys('xt-listen-keys', parts.listenKeys);
      credentials.shareApiKeys(parts.credentials);
      publisher.registerMetrics(parts.ops.metrics.registry);
      mountInternalApi(app, parts, publisher, token);
      // No answer leaves before the credentials it handed out are in Redis: a gateway knows them
      // when the client connects there.
      app.addHook('onSend', async () => credentials.settled());
      const client = createRedis({ url: settings.redisUrl, name: 'engine', log });
      redis = client;
      // In the background: the engine serves at once, with or without Redis.
      const start = async (): Promise<void> => {
        await publisher.start(client);
        await credentials.start(client);
        log(`publishing to ${redactUrl(settings.redisUrl)} under "${settings.prefix}" (${publisher.shards} account shards)`, 'info');
        resolveStarted();
      };
      const attempt = (): void => {
        start().catch((error: unknown) => {
          log(`the scale-out could not start publishing: ${error instanceof Error ? error.message : String(error)}; trying again when redis answers`, 'error');
          client.once('ready', attempt);
        });
      };
      client.once('ready', attempt);
      client.connect().catch((error: unknown) => log(`redis at ${redactUrl(settings.redisUrl)}: ${error instanceof Error ? error.message : String(error)}`, 'warn'));
    },
    async close() {
      await publisher.stop(2_000);
      await credentials.settled();
      if (redis !== null) closeRedis(redis);
    },
  };
  return { extension, publisher, started };
}
