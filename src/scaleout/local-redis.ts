/**
 * A Redis on this machine for the one-machine recipe (`npm run start:cluster`), the gateway
 * benchmark and the scale-out tests: whether one answers at a URL, and a `redis-server` child
 * started when none does (nothing kept on disk), plus removing a cluster's keys by prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

/** Whether a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = createClient({ url, RESP: 2, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return String(await client.sendCommand(['PING'])) === 'PONG';
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** A port no one listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface LocalRedis {
  url: string;
  port: number;
  process: ChildProcess;
  /** Kills it and removes its working directory. */
  stop(): Promise<void>;
}

/**
 * A redis-server child on `port` (default: a free one) bound to `host`, killed when this process
 * exits; resolves once it accepts connections. `detached` puts it in a process group of its own
 * (a terminal's Ctrl-C then reaches only the launcher). `unavailable` says what to do when it
 * cannot be started, in the caller's words.
 */
export async function startRedisServer(options: { port?: number; host?: string; detached?: boolean; unavailable: string }): Promise<LocalRedis> {
  const port = options.port ?? await freePort();
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'perpstream-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', (error) => reject(new Error(`redis-server could not be started (${error.message}): ${options.unavailable}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before accepting connections: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://${host}:${port}`, port, process: child, stop };
}

/** Deletes every key under `prefix` (nothing when the Redis is gone). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, RESP: 2, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', '1000'])) as [string, string[]];
      if (keys.length > 0) await client.sendCommand(['DEL', ...keys]);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // The Redis is gone (a test stopped it): nothing left to delete.
  } finally {
    if (client.isOpen) client.destroy();
  }
}
