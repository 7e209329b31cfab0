/**
 * Failures of the scale-out with real processes, under load (orders and trades among a dozen
 * accounts, each watched over XT):
 *   - kill -9 a gateway: its clients reconnect to the other gateway and resume with no gap and no
 *     duplicate;
 *   - kill -9 the engine: the gateways keep every client connection, report not ready, and once
 *     the engine has recovered they report ready again and publishing resumes with no gap and no
 *     duplicate — in the clients' streams and in Redis itself (each event once per seq).
 * Waits are on pushes, acks, process lines and /readyz answers, never on time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EngineEvent } from '../../src/engine/types.js';
import { admin, ALL_TOPICS, gapFree, ResumeStream, Rest, type Ack, type RawPush } from '../durability/support.js';
import { rng } from '../support/rng.js';
import { readiness, startEngine, startEngineAndTwoGateways, startGateway, stop, TOKEN, writeConfig, type Node } from './cluster.js';
import { dropPrefix, freePort, redisCommand, streamEntries, testRedisUrl, uniquePrefix } from './redis.js';

const dir = mkdtempSync(join(tmpdir(), 'perpstream-scaleout-failover-'));
const prefix = uniquePrefix('failover');
const dataDir = join(dir, 'data');
let redisUrl = '';
let config = '';
let enginePort = 0;
let engine: Node | null = null;
let gatewayA: Node | null = null;
let gatewayB: Node | null = null;

before(async () => {
  redisUrl = await testRedisUrl();
  config = writeConfig(dir);
  enginePort = await freePort();
  ({ engine, gateways: [gatewayA, gatewayB] } = await startEngineAndTwoGateways({ config, dataDir, redisUrl, prefix, port: enginePort }));
});

after(async () => {
  await Promise.all([stop(gatewayA, 'SIGKILL'), stop(gatewayB, 'SIGKILL'), stop(engine, 'SIGKILL')]);
  await dropPrefix(redisUrl, prefix);
  rmSync(dir, { recursive: true, force: true });
});

interface Watched {
  accountId: number;
  apiKey: string;
  secret: string;
  listenKey: string;
  /** Every push received over all its connections, in order. */
  pushes: RawPush[];
  stream: ResumeStream;
  epoch: string;
  firstSeq: number;
}

const price = (ticks: number): string => (ticks / 10).toFixed(1);

async function watched(n: number, on: (i: number) => Node): Promise<Watched[]> {
  const api = admin(engine!.url, TOKEN);
  return Promise.all(Array.from({ length: n }, async (_, i) => {
    const created = await api.request<{ accountId: number; apiKey: string; secret: string }>('POST', '/accounts');
    assert.equal(created.status, 200);
    assert.equal((await api.request('POST', '/deposit', { accountId: created.body.accountId, asset: 'USDT', amount: '1000000' })).status, 200);
    const listenKey = (await new Rest(engine!.url, created.body.apiKey, created.body.secret).get<string>('/future/user/v1/user/listen-key')).body!.result;
    const stream = await ResumeStream.connect(on(i).wsUrl);
    const ack = await stream.subscribe(listenKey);
    assert.equal(ack.code, 0, JSON.stringify(ack));
    return { ...created.body, listenKey, pushes: stream.pushes, stream, epoch: ack.epoch!, firstSeq: ack.seq! + 1 };
  }));
}

/** Orders and trades among the accounts, through the engine's REST, until stopped (requests refused or unanswered while it is down are retried). */
function load(accounts: readonly Watched[], seed: number): { stop(): Promise<number> } {
  const r = rng(seed);
  let stopped = false;
  let placed = 0;
  const worker = async (w: number): Promise<void> => {
    while (!stopped) {
      const account = accounts[(w + Math.floor(r() * accounts.length)) % accounts.length]!;
      const rest = new Rest(engine!.url, account.apiKey, account.secret, 2_000);
      const buy = r() < 0.5;
      const market = r() < 0.3;
      const reply = await rest.post('/future/trade/v1/order/create', {
        symbol: 'btc_usdt', orderSide: buy ? 'BUY' : 'SELL', positionSide: buy ? 'LONG' : 'SHORT', orderType: market ? 'MARKET' : 'LIMIT', origQty: String(1 + Math.floor(r() * 3)),
        ...(market ? {} : { price: price(600_000 + Math.floor(r() * 40) - 20) }),
      });
      if (reply.body?.returnCode === 0) placed += 1;
      // The engine is down (killed, restarting): ask again after a breath, not in a tight loop.
      else if (reply.body === null) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const workers = Array.from({ length: 3 }, (_, w) => worker(w));
  return {
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return placed;
    },
  };
}

/** Each account's SYNC deposit, pushed after everything before it: once every stream shows it, all has arrived. */
async function barrier(accounts: readonly Watched[]): Promise<void> {
  const api = admin(engine!.url, TOKEN);
  for (const a of accounts) assert.equal((await api.request('POST', '/deposit', { accountId: a.accountId, asset: 'SYNC', amount: '1' })).status, 200);
  await Promise.all(accounts.map((a) => a.stream.until(() => a.pushes.some((p) => p.topic === 'balance' && /"sync"/i.test(p.text)), 20_000,
    `account ${a.accountId}: the SYNC barrier`)));
}

/** Resubscribes an account on `node` with resume from the last seq it saw. */
async function resume(a: Watched, node: Node): Promise<Ack> {
  const seen = a.pushes.at(-1)?.seq ?? a.firstSeq - 1;
  const stream = await ResumeStream.connect(node.wsUrl);
  const ack = await stream.subscribe(a.listenKey, ALL_TOPICS, { epoch: a.epoch, seq: seen });
  assert.equal(ack.code, 0, JSON.stringify(ack));
  assert.deepEqual(ack.resume, { recovered: true, from: seen + 1, to: ack.seq }, `account ${a.accountId}: resume on the other gateway`);
  // From now on its pushes are this connection's, after those already kept.
  const kept = a.pushes;
  stream.pushes.splice(0, 0, ...kept);
  a.pushes = stream.pushes;
  a.stream = stream;
  return ack;
}

test('kill -9 a gateway under load: its clients resume on the other gateway with no gap and no duplicate', async () => {
  const accounts = await watched(12, () => gatewayA!);
  const running = load(accounts, 11);
  await Promise.all(accounts.map((a) => a.stream.until(() => a.pushes.length >= 3, 20_000, `account ${a.accountId}: pushes under load`)));
  const closed = accounts.map((a) => new Promise<number>((resolve) => a.stream.socket.once('close', (code) => resolve(code))));
  gatewayA!.child.kill('SIGKILL');
  await gatewayA!.child.exited;
  // Every client sees its connection drop (no close frame: the process is gone) and moves over.
  assert.deepEqual(new Set(await Promise.all(closed)), new Set([1006]));
  for (const a of accounts) await resume(a, gatewayB!);
  await Promise.all(accounts.map((a) => {
    const at = a.pushes.length;
    return a.stream.until(() => a.pushes.length >= at + 3, 20_000, `account ${a.accountId}: pushes after the move`);
  }));
  const placed = await running.stop();
  assert.ok(placed > 20, `the load placed ${placed} orders`);
  await barrier(accounts);
  for (const a of accounts) assert.equal(gapFree(a.pushes, a.firstSeq), null, `account ${a.accountId}`);
  for (const a of accounts) a.stream.close();
  // Gateway A comes back (a new process) for the next test.
  gatewayA = await startGateway({ config, redisUrl, prefix, engineUrl: engine!.url });
});

test('kill -9 the engine under load: gateways keep their connections and report not ready; after recovery, ready again and publishing resumes with no gap or duplicate', async () => {
  const accounts = await watched(12, (i) => (i % 2 === 0 ? gatewayA! : gatewayB!));
  const running = load(accounts, 22);
  await Promise.all(accounts.map((a) => a.stream.until(() => a.pushes.length >= 3, 20_000, `account ${a.accountId}: pushes under load`)));
  engine!.child.kill('SIGKILL');
  await engine!.child.exited;
  // The gateways notice at once (their link to the engine drops) and say why.
  for (const gateway of [gatewayA!, gatewayB!]) {
    const answer = await readiness(gateway.url, 503);
    assert.equal(answer.status, 'unavailable');
    assert.match(String(answer.reason), /engine/);
  }
  // REST through a gateway: the engine is unreachable, said in the front door's own shape.
  const refused = await fetch(`${gatewayB!.url}/future/market/v1/public/symbol/list`);
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, '503');
  engine = await startEngine({ config, dataDir, redisUrl, prefix, port: enginePort });
  await readiness(gatewayA!.url, 200);
  await readiness(gatewayB!.url, 200);
  await Promise.all(accounts.map((a) => {
    const at = a.pushes.length;
    return a.stream.until(() => a.pushes.length >= at + 3, 20_000, `account ${a.accountId}: pushes after the engine's recovery`);
  }));
  await running.stop();
  await barrier(accounts);
  for (const a of accounts) {
    assert.equal(a.stream.closed, null, `account ${a.accountId}: the gateway kept the connection through the engine's restart`);
    assert.equal(gapFree(a.pushes, a.firstSeq), null, `account ${a.accountId}`);
  }

  // Redis itself: each account's events once per seq, in order, with nothing missing.
  const shards = Number(await redisCommand<string>(redisUrl, ['GET', `${prefix}:shards`]));
  const seqs = new Map<number, number[]>();
  for (let shard = 0; shard < shards; shard++) {
    for (const { payload } of await streamEntries<EngineEvent[]>(redisUrl, `${prefix}:ev:${shard}`)) {
      for (const event of payload!) {
        const list = seqs.get(event.accountId) ?? [];
        list.push(event.seq);
        seqs.set(event.accountId, list);
      }
    }
  }
  for (const a of accounts) {
    const list = seqs.get(a.accountId) ?? [];
    assert.deepEqual(list, Array.from({ length: list.length }, (_, i) => i + 1), `account ${a.accountId}: seqs in Redis`);
    assert.equal(list.at(-1), a.pushes.at(-1)!.seq, `account ${a.accountId}: Redis holds the last event pushed`);
  }
  for (const a of accounts) a.stream.close();
});
