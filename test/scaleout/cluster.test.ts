/**
 * The scale-out as an operator runs it: `perpstream engine` and two `perpstream gateway` processes
 * over real Redis. Through the gateways only (REST forwarded to the engine, streams served from
 * Redis), clients of every dialect — XT, Binance, Bybit, KuCoin classic and UTA, private and
 * public — get exactly the pushes the engine's own streams send for the same events, on both
 * gateways; an XT client resumes on the other gateway with no gap and no duplicate; the scale-out
 * metrics are scraped and move; /internal is not reachable through a gateway.
 * Every wait is on a push, an ack or a line a process writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BinanceRest, BinanceStream } from '../binance/client.js';
import { gapFree, ResumeStream, Rest, admin, ALL_TOPICS } from '../durability/support.js';
import { get, sample } from '../ops/support.js';
import { StreamClient } from '../support/xt-client.js';
import { readiness, startEngineAndTwoGateways, stop, TOKEN, writeConfig, type Node } from './cluster.js';
import { dropPrefix, freePort, testRedisUrl, uniquePrefix } from './redis.js';
import { keysOf, PrivateStreams, type Dialect } from './watchers.js';

const dir = mkdtempSync(join(tmpdir(), 'perpstream-scaleout-cluster-'));
const prefix = uniquePrefix('cluster');
let redisUrl = '';
let engine: Node | null = null;
let gatewayA: Node | null = null;
let gatewayB: Node | null = null;

before(async () => {
  redisUrl = await testRedisUrl();
  const config = writeConfig(dir);
  ({ engine, gateways: [gatewayA, gatewayB] } = await startEngineAndTwoGateways({ config, dataDir: join(dir, 'data'), redisUrl, prefix, port: await freePort() }));
});

after(async () => {
  await Promise.all([stop(gatewayA, 'SIGKILL'), stop(gatewayB, 'SIGKILL'), stop(engine, 'SIGKILL')]);
  await dropPrefix(redisUrl, prefix);
  rmSync(dir, { recursive: true, force: true });
});

interface Account {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
}

/** A funded account, created and funded through a gateway (admin requests are forwarded too). */
async function account(through: Node, dialect: string): Promise<Account> {
  const api = admin(through.url, TOKEN);
  const created = await api.request<Account>('POST', '/accounts', { dialect });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const deposit = await api.request('POST', '/deposit', { accountId: created.body.accountId, asset: 'USDT', amount: '100000' });
  assert.equal(deposit.status, 200, JSON.stringify(deposit.body));
  return created.body;
}

const price = (ticks: number): string => (ticks / 10).toFixed(1);

test('engine + two gateways: every dialect\'s private pushes on both gateways are the engine\'s own, public trades too, REST forwarded', async () => {
  const [a, b, e] = [gatewayA!, gatewayB!, engine!];
  assert.deepEqual(await readiness(a.url, 200), { ready: true, status: 'ready' });
  assert.deepEqual(await readiness(b.url, 200), { ready: true, status: 'ready' });
  const maker = await account(a, 'xt');
  const taker = await account(b, 'binance');
  const keys = await keysOf(a.url, maker);
  // The same account watched on the engine itself (the reference) and on both gateways.
  const [onEngine, onA, onB] = await Promise.all([PrivateStreams.open(e.wsUrl, keys), PrivateStreams.open(a.wsUrl, keys), PrivateStreams.open(b.wsUrl, keys)]);
  const market = await Promise.all([e, a, b].map(async (node) => {
    const stream = await StreamClient.connect(node.wsUrl, '/ws/market');
    stream.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['trade@btc_usdt', 'depth_update@btc_usdt'], id: 'm1' }));
    await stream.until(() => stream.texts.some((t) => t.includes('"m1"')), 5_000, 'the market subscribe ack');
    return stream;
  }));

  // Trading through the gateways' REST: the maker rests two orders, the taker takes one.
  const makerRest = new Rest(b.url, maker.apiKey, maker.secret);
  for (const [side, ticks] of [['SELL', 600_100], ['BUY', 599_900]] as const) {
    const reply = await makerRest.post<string>('/future/trade/v1/order/create', {
      symbol: 'btc_usdt', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', orderType: 'LIMIT', origQty: '3', price: price(ticks),
    });
    assert.equal(reply.body?.returnCode, 0, JSON.stringify(reply.body));
  }
  const takerRest = new Rest(a.url, taker.apiKey, taker.secret);
  const took = await takerRest.post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'MARKET', origQty: '2' });
  assert.equal(took.body?.returnCode, 0, JSON.stringify(took.body));
  // The barrier: a SYNC deposit, pushed by every dialect after everything before it.
  assert.equal((await admin(a.url, TOKEN).request('POST', '/deposit', { accountId: maker.accountId, asset: 'SYNC', amount: '1' })).status, 200);
  await onEngine.caughtUp(/sync/i, 0);
  // UTA carries positions only: caught up at the seq of the account's last position push.
  const utaSeq = onEngine.xt.pushes.filter((p) => p.topic === 'position').at(-1)!.seq;
  await Promise.all([onEngine, onA, onB].map((s) => s.caughtUp(/sync/i, utaSeq)));

  const reference = onEngine.pushes();
  for (const [name, streams] of [['gateway A', onA], ['gateway B', onB]] as const) {
    const got = streams.pushes();
    for (const dialect of Object.keys(reference) as Dialect[]) {
      assert.ok(reference[dialect].length > 0, `the engine pushed ${dialect} frames`);
      // Byte for byte: the same encoders over the same events (every time in a push is the engine's).
      assert.deepEqual(got[dialect], reference[dialect], `${name}: ${dialect} pushes`);
    }
  }
  // Public: the trade (and the book's updates) reach every node's market stream alike.
  await Promise.all(market.map((m) => m.until(() => m.texts.some((t) => t.includes('"trade@btc_usdt"')), 5_000, 'the public trade')));
  const trades = market.map((m) => m.texts.filter((t) => t.includes('"trade@btc_usdt"')));
  assert.deepEqual(trades[1], trades[0], 'gateway A: public trades');
  assert.deepEqual(trades[2], trades[0], 'gateway B: public trades');
  for (const s of [onEngine, onA, onB]) s.close();
  for (const m of market) m.close();

  // The gateways' own API is not reachable through them; the engine refuses it without the token.
  assert.equal((await get(`${a.url}/internal/v1/bootstrap`)).status, 404);
  assert.equal((await get(`${e.url}/internal/v1/bootstrap`)).status, 401);
});

test('a Binance listen key deleted through one gateway ends its streams on the other (listenKeyExpired, 4001)', async () => {
  const [a, b] = [gatewayA!, gatewayB!];
  const owner = await account(a, 'binance');
  const rest = new BinanceRest(a.url, owner.apiKey, owner.secret);
  const key = await rest.listenKey();
  const stream = await BinanceStream.connect(b.wsUrl, `/binance/ws/${key}`);
  const deleted = await rest.keyed('DELETE', '/fapi/v1/listenKey');
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  await stream.until(() => stream.closed !== null, 10_000, 'the stream to close');
  assert.deepEqual(stream.events.map((e) => e.e), ['listenKeyExpired']);
  assert.equal(stream.closed!.code, 4001);
});

test('an XT client resumes on the other gateway with no gap and no duplicate, while the account keeps trading', async () => {
  const [a, b] = [gatewayA!, gatewayB!];
  const trader = await account(a, 'xt');
  const rest = new Rest(a.url, trader.apiKey, trader.secret);
  const listenKey = (await rest.get<string>('/future/user/v1/user/listen-key')).body!.result;
  const first = await ResumeStream.connect(a.wsUrl);
  const ack = await first.subscribe(listenKey);
  assert.equal(ack.code, 0);
  const place = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const reply = await rest.post('/future/trade/v1/order/create', {
        symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', origQty: '1', price: price(590_000 - i),
      });
      assert.equal(reply.body?.returnCode, 0, JSON.stringify(reply.body));
    }
  };
  await place(5);
  await first.until(() => first.pushes.length >= 15, 10_000, 'the first pushes on gateway A');
  const seen = first.pushes.at(-1)!.seq;
  first.terminate();
  // Missed while away: more orders.
  await place(5);
  const second = await ResumeStream.connect(b.wsUrl);
  const resumed = await second.subscribe(listenKey, ALL_TOPICS, { epoch: ack.epoch, seq: seen });
  assert.equal(resumed.code, 0);
  assert.deepEqual(resumed.resume, { recovered: true, from: seen + 1, to: resumed.seq });
  await place(2);
  const all = [...first.pushes, ...second.pushes];
  await second.until(() => second.pushes.at(-1)?.seq === resumed.seq! + 6, 10_000, 'the live pushes after the resume');
  assert.equal(gapFree(all, ack.seq! + 1), null, 'no gap, no duplicate across the two gateways');
  second.close();
});

test('a client that saw events on one gateway before the other received them: the resume waits for them, no gap', async () => {
  const [a, b] = [gatewayA!, gatewayB!];
  const trader = await account(b, 'xt');
  const rest = new Rest(b.url, trader.apiKey, trader.secret);
  const listenKey = (await rest.get<string>('/future/user/v1/user/listen-key')).body!.result;
  const stream = await ResumeStream.connect(a.wsUrl);
  const ack = await stream.subscribe(listenKey);
  // A resume at a seq ahead of what the gateway has (here, the seq the next order will reach) is
  // answered once the events arrive, at the seq they bring.
  const other = await ResumeStream.connect(b.wsUrl);
  const ahead = ack.seq! + 3;
  const id = other.sendSubscribe(listenKey, ALL_TOPICS, { epoch: ack.epoch, seq: ahead });
  const reply = await rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', origQty: '1', price: price(580_000) });
  assert.equal(reply.body?.returnCode, 0);
  const resumed = await other.ackOf(id, 10_000);
  assert.equal(resumed.code, 0);
  assert.ok(resumed.resume?.recovered === true, JSON.stringify(resumed));
  assert.equal(resumed.seq, ack.seq! + 3, 'acknowledged at the seq the order brought (order, position, balance)');
  // The next event comes live, once, right after.
  await admin(a.url, TOKEN).request('POST', '/deposit', { accountId: trader.accountId, asset: 'USDT', amount: '1' });
  await other.until(() => other.pushes.length >= 1, 10_000, 'the next live push');
  assert.deepEqual(other.pushes.map((p) => p.seq), [ahead + 1]);
  stream.close();
  other.close();
});

test('metrics: the engine\'s publish and the gateways\' consume counters move, consume lag is measured, connections are counted', async () => {
  const [a, e] = [gatewayA!, engine!];
  const before = { engine: (await get(`${e.url}/metrics`)).text, gateway: (await get(`${a.url}/metrics`)).text };
  const trader = await account(a, 'xt');
  const rest = new Rest(a.url, trader.apiKey, trader.secret);
  const listenKey = (await rest.get<string>('/future/user/v1/user/listen-key')).body!.result;
  const stream = await ResumeStream.connect(a.wsUrl);
  await stream.subscribe(listenKey);
  await admin(a.url, TOKEN).request('POST', '/deposit', { accountId: trader.accountId, asset: 'USDT', amount: '5' });
  await stream.until(() => stream.pushes.length >= 1, 10_000, 'the deposit push');
  const now = { engine: (await get(`${e.url}/metrics`)).text, gateway: (await get(`${a.url}/metrics`)).text };
  assert.ok(sample(now.engine, 'perpstream_redis_published_events_total', { stream: 'events' }) > sample(before.engine, 'perpstream_redis_published_events_total', { stream: 'events' }));
  assert.ok(sample(now.engine, 'perpstream_redis_publish_seconds_count') > sample(before.engine, 'perpstream_redis_publish_seconds_count'));
  assert.equal(sample(now.engine, 'perpstream_redis_up'), 1);
  assert.match(now.engine, /^perpstream_redis_publish_lag_commands \d+$/m);
  assert.ok(sample(now.gateway, 'perpstream_redis_consumed_events_total', { stream: 'events' }) > sample(before.gateway, 'perpstream_redis_consumed_events_total', { stream: 'events' }));
  assert.ok(sample(now.gateway, 'perpstream_redis_consume_lag_seconds_count') > sample(before.gateway, 'perpstream_redis_consume_lag_seconds_count'));
  assert.ok(sample(now.gateway, 'perpstream_ws_connections', { dialect: 'xt', stream: 'user' }) >= 1);
  assert.ok(sample(now.gateway, 'perpstream_ws_pushes_total', { dialect: 'xt', topic: 'balance' }) >= 1);
  assert.equal(sample(now.gateway, 'perpstream_ready'), 1);
  stream.close();
});
