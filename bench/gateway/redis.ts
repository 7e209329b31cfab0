/**
 * Redis for the gateway benchmark's scale-out runs: the one at PERPSTREAM_BENCH_REDIS_URL
 * (redis://127.0.0.1:6379) when it answers, else a redis-server child on a free port for the run
 * (nothing kept on disk). Each run works under a prefix of its own and deletes it afterwards
 * (dropPrefix, src/scaleout/local-redis.ts).
 */
import { redisAnswers, startRedisServer } from '../../src/scaleout/local-redis.js';

export { dropPrefix } from '../../src/scaleout/local-redis.js';

export async function benchRedis(): Promise<{ url: string; stop(): void }> {
  const url = process.env.PERPSTREAM_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, stop: () => undefined };
  const redis = await startRedisServer({ unavailable: `no Redis at ${url}: install redis-server, or set PERPSTREAM_BENCH_SCALEOUT=0` });
  return { url: redis.url, stop: () => void redis.stop() };
}
