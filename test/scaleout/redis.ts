/**
 * Real Redis for the scale-out tests: the machine's at 127.0.0.1:6379 when it answers, otherwise a
 * redis-server this process starts on a free port (and stops when it exits). Never skipped: without
 * either, the tests fail and say why. Each test works under a key prefix of its own and deletes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, RESP_TYPES } from 'redis';
import { decodeBinary } from '../../src/persistence/binary-codec.js';

const MACHINE_REDIS = 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
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

/** A redis-server child on a free port; resolves once it says it accepts connections. */
export async function startRedisServer(port?: number): Promise<{ url: string; port: number; process: ChildProcess; stop(): Promise<void> }> {
  const chosen = port ?? await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'perpstream-redis-'));
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    child.once('error', (error) => reject(new Error(`redis is not reachable at ${MACHINE_REDIS} and redis-server could not be started (${error.message}): install the redis-server package`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before accepting connections: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${chosen}`, port: chosen, process: child, stop };
}

let shared: Promise<string> | null = null;

/** The Redis the tests use (the machine's, or one started for this test process). */
export function testRedisUrl(): Promise<string> {
  shared ??= (async () => (await answers(MACHINE_REDIS)) ? MACHINE_REDIS : (await startRedisServer()).url)();
  return shared;
}

/** A key prefix no other test uses. */
export const uniquePrefix = (name: string): string => `pstest-${name}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Deletes every key under `prefix`. */
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

/** A raw command on a short-lived connection (tests read the streams directly); `bytes`: replies as Buffers. */
export async function redisCommand<T>(url: string, args: (string | Buffer)[], bytes = false): Promise<T> {
  const client = createClient({ url, RESP: 2, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.sendCommand(args, bytes ? { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } : undefined)) as T;
  } finally {
    client.destroy();
  }
}

/** A stream's entries: id, and the decoded binary payload (field `b`) or null (a reset entry). */
export async function streamEntries<T>(url: string, key: string, from = '-', to = '+'): Promise<{ id: string; payload: T | null; fields: string[] }[]> {
  const raw = await redisCommand<[Buffer, Buffer[]][]>(url, ['XRANGE', key, from, to], true);
  return raw.map(([id, fields]) => {
    const names = fields.filter((_, i) => i % 2 === 0).map((b) => b.toString('latin1'));
    const at = names.indexOf('b');
    return { id: id.toString('latin1'), payload: at < 0 ? null : decodeBinary<T>(fields[2 * at + 1]!), fields: names };
  });
}
