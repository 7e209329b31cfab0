/**
 * Redis for the gateway benchmark's scale-out runs: the one at PERPSTREAM_BENCH_REDIS_URL
 * (redis://127.0.0.1:6379) when it answers, else a redis-server child on a free port for the run
 * (nothing kept on disk). Each run works under a prefix of its own and deletes it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';

async function answers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function benchRedis(): Promise<{ url: string; stop(): void }> {
  const url = process.env.PERPSTREAM_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answers(url)) return { url, stop: () => undefined };
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`no Redis at ${url} and redis-server could not be started (${error.message}): install redis-server, or set PERPSTREAM_BENCH_SCALEOUT=0`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/** Deletes every key under `prefix`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => undefined);
  await client.connect();
  let cursor = '0';
  do {
    const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', '1000'])) as [string, string[]];
    if (keys.length > 0) await client.sendCommand(['DEL', ...keys]);
    cursor = next;
  } while (cursor !== '0');
  client.destroy();
}
