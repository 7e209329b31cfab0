/**
 * Redis connections of the scale-out, through node-redis (Redis' own client; no protocol of ours).
 * Replies are read in RESP2 with raw commands (`sendCommand`): arrays of strings, parsed once where
 * they are used. A connection reconnects by itself after a failure (backoff up to 1 s); commands
 * are never queued while it is down (they fail at once, and the callers, which know what they were
 * doing, retry from their own state). The connection's errors are reported once per outage.
 */
import { createClient, RESP_TYPES } from 'redis';
import type { LogFn } from '../ops/log.js';

export type Redis = ReturnType<typeof createRedis>;

export interface RedisSettings {
  url: string;
  /** What the connection is for, in log lines ("publisher", "consumer", …). */
  name: string;
  log: LogFn;
}

export function createRedis(settings: RedisSettings) {
  const client = createClient({
    url: settings.url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 1_000) },
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    settings.log(`redis (${settings.name}) at ${redactUrl(settings.url)}: ${error.message}; reconnecting`, 'warn');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    settings.log(`redis (${settings.name}) at ${redactUrl(settings.url)}: connected again`, 'info');
  });
  return client;
}

/** Sends a raw command; the reply as node-redis gives it in RESP2 (strings, arrays, null, numbers). */
export function send<T = unknown>(client: Redis, args: readonly (string | Buffer)[]): Promise<T> {
  return client.sendCommand(args) as Promise<T>;
}

const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/** Sends a raw command whose reply's strings are read as bytes (the streams' binary payloads). */
export function sendForBytes<T = unknown>(client: Redis, args: readonly (string | Buffer)[]): Promise<T> {
  return client.sendCommand(args, AS_BUFFERS) as Promise<T>;
}

/** Closes a connection without waiting for anything it still had to do. */
export function closeRedis(client: Redis): void {
  if (client.isOpen) client.destroy();
}

/** A Redis URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis (unparseable URL)';
  }
}
