/**
 * Redis going away and coming back, with an engine and a gateway (in this process) on a
 * redis-server of the test's own: the gateway reports not ready while Redis is unreachable (and
 * keeps its client connections), the engine keeps taking commands, and once Redis is back the
 * gateway is ready again and the client gets everything, once, in order — including what
 * happened while Redis was away. A graceful gateway shutdown closes its streams with 1001.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { engineMode } from '../../src/scaleout/engine-mode.js';
import { startGateway, type RunningGateway } from '../../src/scaleout/gateway.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { admin, gapFree, ResumeStream, Rest } from '../durability/support.js';
import { TOKEN, readiness } from './cluster.js';
import { startRedisServer } from './redis.js';

let redis: Awaited<ReturnType<typeof startRedisServer>> | null = null;
let server: RunningServer | null = null;
let gateway: RunningGateway | null = null;
after(async () => {
  await gateway?.close().catch(() => undefined);
  await server?.close();
  await redis?.stop();
});

test('Redis unreachable: the gateway is not ready and keeps its clients; back: ready, and every event arrives once, in order', async () => {
  redis = await startRedisServer();
  const scaleOut = { redisUrl: redis.url, prefix: 'outage', shards: 2, streamMaxLen: 10_000 };
  const mode = engineMode(scaleOut, TOKEN);
  server = await startServer({ symbols: DEMO_SYMBOLS, adminToken: TOKEN, dataDir: null, port: 0, extension: mode.extension });
  await mode.started;
  gateway = await startGateway({ engineUrl: server.url, token: TOKEN, scaleOut, port: 0, fileLimit: null });
  await readiness(gateway.url, 200);

  const api = admin(gateway.url, TOKEN);
  const created = await api.request<{ accountId: number; apiKey: string; secret: string }>('POST', '/accounts');
  const account = created.body;
  const deposit = async (amount: string): Promise<void> => {
    assert.equal((await admin(server!.url, TOKEN).request('POST', '/deposit', { accountId: account.accountId, asset: 'USDT', amount })).status, 200);
  };
  await deposit('100');
  const listenKey = (await new Rest(gateway.url, account.apiKey, account.secret).get<string>('/future/user/v1/user/listen-key')).body!.result;
  const stream = await ResumeStream.connect(gateway.wsUrl);
  const ack = await stream.subscribe(listenKey);
  assert.equal(ack.code, 0);
  await deposit('1');
  await stream.until(() => stream.pushes.length === 1, 5_000, 'the first deposit');

  // Redis goes away: the gateway says so; the engine goes on taking commands.
  redis.process.kill('SIGKILL');
  await new Promise((resolve) => redis!.process.once('exit', resolve));
  const down = await readiness(gateway.url, 503);
  assert.equal(down.status, 'unavailable');
  assert.match(String(down.reason), /redis/);
  await deposit('2');
  await deposit('3');
  assert.equal(stream.closed, null, 'the client keeps its connection');

  // Redis is back (empty: it kept nothing); the engine publishes what it holds, the gateway reads on.
  redis = await startRedisServer(redis.port);
  await readiness(gateway.url, 200);
  await deposit('4');
  await stream.until(() => stream.pushes.length === 4, 10_000, 'the deposits made while Redis was away, and the next');
  assert.equal(gapFree(stream.pushes, ack.seq! + 1), null);
  assert.deepEqual(stream.pushes.map((p) => p.topic), ['balance', 'balance', 'balance', 'balance']);

  // Graceful shutdown: the stream is closed with 1001.
  const closed = new Promise<number>((resolve) => stream.socket.once('close', (code) => resolve(code)));
  await gateway.close();
  gateway = null;
  assert.equal(await closed, 1001);
});
