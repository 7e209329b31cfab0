/**
 * Real Redis for the scale-out tests: the machine's at 127.0.0.1:6379 when it answers, otherwise a
 * redis-server this process starts on a free port (and stops when it exits). Never skipped: without
 * either, the tests fail and say why. Each test works under a key prefix of its own and deletes it.
 */
import { randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import { decodeBinary } from '../../src/persistence/binary-codec.js';
import { redisAnswers, startRedisServer as startLocalRedis, type LocalRedis } from '../../src/scaleout/local-redis.js';

export { dropPrefix, freePort } from '../../src/scaleout/local-redis.js';

const MACHINE_REDIS = 'redis://127.0.0.1:6379';

/** A redis-server child for a test (on `port`, default a free one). */
export const startRedisServer = (port?: number): Promise<LocalRedis> =>
  startLocalRedis({ ...(port === undefined ? {} : { port }), unavailable: `redis is not reachable at ${MACHINE_REDIS}: install the redis-server package` });

let shared: Promise<string> | null = null;

/** The Redis the tests use (the machine's, or one started for this test process). */
export function testRedisUrl(): Promise<string> {
  shared ??= (async () => (await redisAnswers(MACHINE_REDIS)) ? MACHINE_REDIS : (await startRedisServer()).url)();
  return shared;
}

/** A key prefix no other test uses. */
export const uniquePrefix = (name: string): string => `pstest-${name}-${process.pid}-${randomBytes(4).toString('hex')}`;

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
