/**
 * History older than a gateway holds: a resume the gateway's replay window cannot serve is
 * answered from the engine (its window, or its journal replayed on a worker), with every missed
 * event once and in order; without a journal and beyond every window, the answer is an explicit
 * `recovered: false`, as in a single process. An engine and a gateway in this process, small
 * windows on both, real Redis.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { engineMode } from '../../src/scaleout/engine-mode.js';
import { startGateway, type RunningGateway } from '../../src/scaleout/gateway.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { admin, ALL_TOPICS, gapFree, ResumeStream, Rest } from '../durability/support.js';
import { TOKEN } from './cluster.js';
import { dropPrefix, testRedisUrl, uniquePrefix } from './redis.js';

const dir = mkdtempSync(join(tmpdir(), 'perpstream-scaleout-history-'));
const running: { close(): Promise<void> }[] = [];
const prefixes: string[] = [];
after(async () => {
  for (const node of running.reverse()) await node.close();
  for (const prefix of prefixes) await dropPrefix(await testRedisUrl(), prefix);
  rmSync(dir, { recursive: true, force: true });
});

async function cluster(dataDir: string | null): Promise<{ server: RunningServer; gateway: RunningGateway }> {
  const prefix = uniquePrefix('history');
  prefixes.push(prefix);
  const scaleOut = { redisUrl: await testRedisUrl(), prefix, shards: 2, streamMaxLen: 10_000 };
  const mode = engineMode(scaleOut, TOKEN);
  // Windows of 4 events: a resume a dozen events back is beyond the engine's and the gateway's.
  const server = await startServer({ symbols: DEMO_SYMBOLS, adminToken: TOKEN, dataDir, port: 0, replayWindow: 4, extension: mode.extension });
  running.push(server);
  await mode.started;
  const gateway = await startGateway({ engineUrl: server.url, token: TOKEN, scaleOut, port: 0, fileLimit: null, replayWindow: 4 });
  running.push(gateway);
  return { server, gateway };
}

/** An account watched on the gateway, `n` deposits while it is away, then a resume from where it left. */
async function resumeAfter(gateway: RunningGateway, n: number): Promise<{ stream: ResumeStream; ack: Awaited<ReturnType<ResumeStream['subscribe']>>; left: number }> {
  const api = admin(gateway.url, TOKEN);
  const account = (await api.request<{ accountId: number; apiKey: string; secret: string }>('POST', '/accounts')).body;
  const listenKey = (await new Rest(gateway.url, account.apiKey, account.secret).get<string>('/future/user/v1/user/listen-key')).body!.result;
  const first = await ResumeStream.connect(gateway.wsUrl);
  const subscribed = await first.subscribe(listenKey);
  assert.equal((await api.request('POST', '/deposit', { accountId: account.accountId, asset: 'USDT', amount: '1' })).status, 200);
  await first.until(() => first.pushes.length === 1, 5_000, 'the first deposit');
  const left = first.pushes[0]!.seq;
  first.close();
  for (let i = 0; i < n; i++) assert.equal((await api.request('POST', '/deposit', { accountId: account.accountId, asset: 'USDT', amount: String(i + 2) })).status, 200);
  // Other accounts' events push this one's out of both windows (4 events each, over all accounts).
  for (let i = 0; i < 3; i++) {
    const other = (await api.request<{ accountId: number }>('POST', '/accounts')).body;
    await api.request('POST', '/deposit', { accountId: other.accountId, asset: 'USDT', amount: '1' });
  }
  const stream = await ResumeStream.connect(gateway.wsUrl);
  const ack = await stream.subscribe(listenKey, ALL_TOPICS, { epoch: subscribed.epoch, seq: left });
  return { stream, ack, left };
}

test('beyond the gateway\'s window and the engine\'s: served from the engine\'s journal, every missed event once, in order', async () => {
  const { gateway } = await cluster(join(dir, 'data'));
  const { stream, ack, left } = await resumeAfter(gateway, 12);
  assert.equal(ack.code, 0);
  assert.deepEqual(ack.resume, { recovered: true, from: left + 1, to: left + 12 });
  await stream.until(() => stream.pushes.length === 12, 10_000, 'the twelve missed deposits');
  assert.equal(gapFree(stream.pushes, left + 1), null);
  stream.close();
});

test('beyond every window and without a journal: recovered: false, said explicitly', async () => {
  const { gateway } = await cluster(null);
  const { stream, ack } = await resumeAfter(gateway, 12);
  assert.equal(ack.code, 0);
  assert.equal(ack.resume?.recovered, false);
  assert.match((ack.resume as { reason: string }).reason, /window/);
  stream.close();
});
