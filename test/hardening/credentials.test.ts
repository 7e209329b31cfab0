/**
 * Stream credentials (issue 10, items 6 and 10): XT and Binance listen keys, KuCoin bullet tokens.
 *   - A key lives its documented life: a flood of requests from one account evicts no earlier key;
 *     it is served up to the exchange's documented rate and refused after it with the exchange's
 *     own rate-limit error; past the bound on live keys the answer is the same kind of refusal, and
 *     an expired key frees its place.
 *   - Keys are saved without a synchronous fsync on the event loop (group-committed), survive a
 *     restart on the same data directory, and a key that cannot be saved is refused with a 5xx in
 *     the dialect's shape (and logged) instead of being handed out or thrown into the event loop.
 * Real servers, real HTTP and WebSocket; the server's clock is moved instead of waiting for expiry.
 */
import assert from 'node:assert/strict';
import fs, { promises as fsp } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { sign, signaturePayload } from '../../src/dialects/xt/auth.js';
import type { ServerOptions } from '../../src/server/server.js';
import { DurableFile, DurableWriteError } from '../../src/service/durable-file.js';
import { BinanceRest, BinanceStream } from '../binance/client.js';
import { ShiftedClock } from '../cross-dialect/doors.js';
import { abandon, cleanup, startNode, tempDir, type Node } from '../durability/support.js';
import { KucoinRest, KucoinStream } from '../kucoin/client.js';
import { Harness } from '../support/harness.js';
import { StreamClient } from '../support/xt-client.js';

interface Account {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
}

interface XtReply {
  status: number;
  body: { returnCode: number; msgInfo: string; error: { code: string; msg: string } | null; result: string | null };
}

/** GET the XT listen key, signed with the server's clock; the HTTP status and the envelope. */
async function xtListenKey(baseUrl: string, account: Account, clock: { now(): number }): Promise<XtReply> {
  const path = '/future/user/v1/user/listen-key';
  const timestamp = String(clock.now());
  const signature = sign(account.secret, signaturePayload('', account.apiKey, timestamp, { method: 'GET', path, rawQuery: '', rawBody: '' }));
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { 'validate-appkey': account.apiKey, 'validate-timestamp': timestamp, 'validate-signature': signature, 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as XtReply['body'] };
}

const kucoin = (baseUrl: string, account: Account): KucoinRest => new KucoinRest(baseUrl, account.apiKey, account.secret, account.passphrase);

/** A bullet-private signed with the server's clock: the HTTP status and KuCoin's envelope. */
function bullet(rest: KucoinRest, clock: { now(): number }, host: 'futures' | 'spot' = 'futures', version: 'v1' | 'v2' = 'v1') {
  return rest.request<{ token: string; instanceServers: { endpoint: string }[] }>('POST', host, `/api/${version}/bullet-private`, { body: {}, timestamp: clock.now() });
}

/** Subscribes one XT connection with every key at once: code 0 only when every key is valid. */
async function xtKeysValid(wsUrl: string, keys: readonly string[]): Promise<{ code: number; msg: string }> {
  const stream = await StreamClient.connect(wsUrl);
  try {
    stream.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: keys.map((key) => `order@${key}`), id: 'all' }));
    await stream.until(() => stream.acks.length >= 1, 5_000, 'the subscribe ack');
    return stream.acks[0]!;
  } finally {
    stream.close();
  }
}

/** Connects to a KuCoin classic stream with `token`: the first frame (welcome, or the token error). */
async function kucoinFirstFrame(wsUrl: string, token: string): Promise<Record<string, unknown>> {
  const stream = await KucoinStream.connect(`${wsUrl}/kucoin/futures?token=${token}&connectId=probe`);
  try {
    await stream.until(() => stream.frames.length >= 1, 'the first frame');
    return stream.frames[0]!;
  } finally {
    stream.close();
  }
}

const harnesses: Harness[] = [];
async function server(options: Partial<ServerOptions>): Promise<{ h: Harness; clock: ShiftedClock }> {
  const clock = new ShiftedClock();
  const h = await Harness.start({ clock, ...options });
  harnesses.push(h);
  return { h, clock };
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});
after(cleanup);

describe('stream credentials keep their documented life; floods are refused, never served by eviction (issue 10, item 6)', () => {
  test('with the default bounds, the 17th XT listen key and the 17th KuCoin token leave the first one valid', async () => {
    const { h, clock } = await server({});
    const a = await h.admin.createAccount();
    const keys: string[] = [];
    for (let i = 0; i < 17; i++) keys.push((await xtListenKey(h.server.url, a, clock)).body.result!);
    assert.deepEqual(await xtKeysValid(h.server.wsUrl, [keys[0]!]), { code: 0, msg: 'success' }, 'XT: the first key still subscribes');
    const rest = kucoin(h.server.url, a);
    const tokens: string[] = [];
    for (let i = 0; i < 17; i++) tokens.push(KucoinRest.data(await bullet(rest, clock)).token);
    assert.equal((await kucoinFirstFrame(h.server.wsUrl, tokens[0]!)).type, 'welcome', 'KuCoin: the first token still connects');
  });

  test('XT: a flood of listen-key requests is served up to the rate, then refused with XT\'s 429; no earlier key is evicted, and another account is unaffected', async () => {
    const { h, clock } = await server({ dialectSettings: { 'xt.listenKeyRequests': 20, 'xt.listenKeyRequestIntervalMs': 3_600_000 } });
    const a = await h.admin.createAccount();
    const b = await h.admin.createAccount();
    const replies = await Promise.all(Array.from({ length: 60 }, () => xtListenKey(h.server.url, a, clock)));
    const served = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status !== 200);
    assert.equal(served.length, 20, 'exactly the bucket\'s 20 requests are served');
    for (const r of served) assert.equal(r.body.returnCode, 0);
    const keys = served.map((r) => r.body.result!);
    assert.equal(new Set(keys).size, 20, 'a new key each time');
    for (const r of refused) {
      assert.equal(r.status, 429);
      assert.equal(r.body.returnCode, 1);
      assert.equal(r.body.msgInfo, 'failure');
      assert.equal(r.body.result, null);
      assert.equal(r.body.error!.code, '429', 'XT\'s rate-limit code (ccxt: RateLimitExceeded)');
      assert.match(r.body.error!.msg, /^too many requests: at most 20 listen-key requests per 3600000 ms/);
    }
    // Every one of the 20 keys still works (the 17th used to expire the first).
    assert.deepEqual(await xtKeysValid(h.server.wsUrl, keys), { code: 0, msg: 'success' });
    const other = await xtListenKey(h.server.url, b, clock);
    assert.equal(other.status, 200, 'the limit is per account');
  });

  test('XT: past the bound on live keys a request is refused with 429 and every live key keeps working; an expired key frees its place', async () => {
    const { h, clock } = await server({ listenKeyTtlMs: 60_000, dialectSettings: { 'xt.maxLiveListenKeys': 5 } });
    const a = await h.admin.createAccount();
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await xtListenKey(h.server.url, a, clock);
      assert.equal(reply.status, 200);
      keys.push(reply.body.result!);
    }
    const sixth = await xtListenKey(h.server.url, a, clock);
    assert.equal(sixth.status, 429);
    assert.equal(sixth.body.error!.code, '429');
    assert.match(sixth.body.error!.msg, /holds 5 live listen keys, the most it may/);
    assert.deepEqual(await xtKeysValid(h.server.wsUrl, keys), { code: 0, msg: 'success' }, 'no live key was evicted');

    clock.advance(60_001);
    const fresh = await xtListenKey(h.server.url, a, clock);
    assert.equal(fresh.status, 200, 'the expired keys were dropped, which freed the bound');
    assert.equal((await xtKeysValid(h.server.wsUrl, [keys[0]!])).code, 2, 'an expired key is refused (invalid_listenkey)');
    assert.deepEqual(await xtKeysValid(h.server.wsUrl, [fresh.body.result!]), { code: 0, msg: 'success' });
  });

  test('KuCoin: a flood of bullet-private is served up to the rate, then refused with 429000 (HTTP 429); the first of 20 tokens still connects', async () => {
    const { h, clock } = await server({ dialectSettings: { 'kucoin.futuresBulletRequests': 20, 'kucoin.bulletRequestIntervalMs': 3_600_000 } });
    const a = await h.admin.createAccount();
    const rest = kucoin(h.server.url, a);
    const replies = await Promise.all(Array.from({ length: 50 }, () => bullet(rest, clock)));
    const served = replies.filter((r) => r.status === 200);
    assert.equal(served.length, 20);
    for (const r of replies.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 429);
      assert.equal(r.body.code, '429000', 'KuCoin\'s documented over-quota code');
      assert.match(r.body.msg!, /^Too Many Requests: at most 20 bullet-private requests per 3600000 ms per account/);
    }
    // The spot host's v1 bullet hands out the same classic tokens and draws from the same bucket.
    assert.equal((await bullet(rest, clock, 'spot', 'v1')).body.code, '429000');
    // UTA tokens have their own bucket.
    assert.equal((await bullet(rest, clock, 'spot', 'v2')).status, 200);
    const tokens = served.map((r) => r.body.data!.token);
    assert.equal(new Set(tokens).size, 20);
    for (const token of [tokens[0]!, tokens[16]!, tokens[19]!]) {
      assert.equal((await kucoinFirstFrame(h.server.wsUrl, token)).type, 'welcome', 'no token was expired by a newer one');
    }
  });

  test('KuCoin: past the bound on live tokens the answer is 429000 and the earlier tokens still connect; an expired token frees its place', async () => {
    const { h, clock } = await server({ dialectSettings: { 'kucoin.maxLiveTokens': 3, 'kucoin.tokenTtlMs': 60_000 } });
    const a = await h.admin.createAccount();
    const rest = kucoin(h.server.url, a);
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) tokens.push(KucoinRest.data(await bullet(rest, clock)).token);
    const fourth = await bullet(rest, clock);
    assert.equal(fourth.status, 429);
    assert.equal(fourth.body.code, '429000');
    assert.match(fourth.body.msg!, /holds 3 live tokens of this kind, the most it may/);
    for (const token of tokens) assert.equal((await kucoinFirstFrame(h.server.wsUrl, token)).type, 'welcome');

    clock.advance(60_001);
    const fresh = KucoinRest.data(await bullet(rest, clock)).token;
    assert.equal((await kucoinFirstFrame(h.server.wsUrl, fresh)).type, 'welcome');
    assert.deepEqual(await kucoinFirstFrame(h.server.wsUrl, tokens[0]!), { id: 'probe', type: 'error', code: 401, data: 'token is expired' });
  });

  test('Binance: one key per account (POST returns it again); POST, PUT and DELETE over the rate get -1003 with HTTP 429', async () => {
    const { h } = await server({ dialectSettings: { 'binance.listenKeyRequests': 10, 'binance.listenKeyRequestIntervalMs': 3_600_000 } });
    const a = await h.admin.createAccount();
    const rest = new BinanceRest(h.server.url, a.apiKey, a.secret);
    const posts = await Promise.all(Array.from({ length: 8 }, () => rest.keyed<{ listenKey: string }>('POST', '/fapi/v1/listenKey')));
    assert.deepEqual(posts.map((r) => r.status), Array(8).fill(200));
    assert.equal(new Set(posts.map((r) => r.body.listenKey)).size, 1, 'Binance\'s rule: POST returns the active key');
    const key = posts[0]!.body.listenKey;
    const puts = await Promise.all(Array.from({ length: 6 }, () => rest.keyed<Record<string, unknown>>('PUT', '/fapi/v1/listenKey')));
    assert.deepEqual(puts.map((r) => r.status).sort(), [200, 200, 429, 429, 429, 429], 'two more calls fit in the 10');
    for (const r of puts.filter((x) => x.status === 429)) {
      assert.equal(r.body.code, -1003);
      assert.match(String(r.body.msg), /^Too many requests; current limit is 10 requests per 3600000 ms/);
    }
    assert.equal((await rest.keyed<Record<string, unknown>>('DELETE', '/fapi/v1/listenKey')).body.code, -1003);
    const stream = await BinanceStream.connect(h.server.wsUrl, `/binance/private/ws?listenKey=${key}`);
    stream.close();
  });
});

describe('stream credentials on disk (issue 10, item 10)', () => {
  const nodes: Node[] = [];
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.server.close().catch(() => undefined);
  });

  test('no credential request fsyncs synchronously on the event loop (XT listen key, Binance POST and PUT, KuCoin bullets)', async () => {
    const dir = await tempDir('creds-sync');
    const node = await startNode(dir);
    nodes.push(node);
    const a = (await node.admin.request<Account>('POST', '/accounts')).body;
    const original = fs.fsyncSync;
    let syncFsyncs = 0;
    fs.fsyncSync = (fd: number): void => {
      syncFsyncs += 1;
      original(fd);
    };
    syncBuiltinESMExports();
    try {
      const clock = { now: () => node.server.exchange.now() };
      assert.equal((await xtListenKey(node.server.url, a, clock)).status, 200);
      const binance = new BinanceRest(node.server.url, a.apiKey, a.secret);
      assert.equal((await binance.keyed('POST', '/fapi/v1/listenKey')).status, 200);
      assert.equal((await binance.keyed('PUT', '/fapi/v1/listenKey')).status, 200);
      const rest = kucoin(node.server.url, a);
      assert.equal((await bullet(rest, clock)).status, 200);
      assert.equal((await bullet(rest, clock, 'spot', 'v2')).status, 200);
    } finally {
      fs.fsyncSync = original;
      syncBuiltinESMExports();
    }
    assert.equal(syncFsyncs, 0, 'credential writes go through fs.promises, off the event loop');
  });

  test('keys and tokens handed out survive a crash-like restart on the same data directory (XT, Binance, KuCoin classic and UTA)', async () => {
    const dir = await tempDir('creds-restart');
    const first = await startNode(dir);
    const a = (await first.admin.request<Account>('POST', '/accounts')).body;
    const clock = { now: () => first.server.exchange.now() };
    const xtKey = (await xtListenKey(first.server.url, a, clock)).body.result!;
    const binanceKey = (await new BinanceRest(first.server.url, a.apiKey, a.secret).listenKey());
    const rest = kucoin(first.server.url, a);
    const futuresToken = KucoinRest.data(await bullet(rest, clock)).token;
    const utaToken = KucoinRest.data(await bullet(rest, clock, 'spot', 'v2')).token;
    await abandon(first); // no closing snapshot: what a crash leaves

    const second = await startNode(dir);
    nodes.push(second);
    assert.deepEqual(await xtKeysValid(second.server.wsUrl, [xtKey]), { code: 0, msg: 'success' });
    const again = new BinanceRest(second.server.url, a.apiKey, a.secret);
    assert.equal(await again.listenKey(), binanceKey, 'the account\'s active key is the one handed out before the restart');
    (await BinanceStream.connect(second.server.wsUrl, `/binance/private/ws?listenKey=${binanceKey}`)).close();
    assert.equal((await kucoinFirstFrame(second.server.wsUrl, futuresToken)).type, 'welcome');
    const uta = await KucoinStream.connect(`${second.server.wsUrl}/kucoin/uta?token=${utaToken}`);
    await uta.until(() => uta.frames.length >= 1, 'the UTA welcome');
    assert.equal(uta.frames[0]!.message, 'welcome', 'the UTA stream\'s welcome');
    uta.close();
  });

  test('a credential that cannot be saved is refused with a 5xx in each dialect\'s shape and logged; nothing is issued, the server goes on, and once the disk takes writes again keys are issued and kept', async () => {
    const dir = await tempDir('creds-fail');
    const node = await startNode(dir);
    nodes.push(node);
    const a = (await node.admin.request<Account>('POST', '/accounts')).body;
    const clock = { now: () => node.server.exchange.now() };
    const binance = new BinanceRest(node.server.url, a.apiKey, a.secret);
    const rest = kucoin(node.server.url, a);
    // A directory where the temporary file must go: every write of these files fails (EISDIR).
    const blocked = ['listen-keys.json', 'binance-listen-keys.json', 'kucoin-futures-tokens.json'].map((name) => join(dir, `${name}.tmp`));
    for (const path of blocked) await fsp.mkdir(path);
    // Every dialect's credential files report through the server's log (no longer console.error).
    const errors = node.logs;
    {
      const xt = await xtListenKey(node.server.url, a, clock);
      assert.equal(xt.status, 503);
      assert.deepEqual([xt.body.returnCode, xt.body.msgInfo, xt.body.error!.code, xt.body.result], [1, 'failure', 'fail', null]);
      assert.match(xt.body.error!.msg, /could not be saved, none was issued; ask again/);
      assert.ok(node.logs.some((line) => /could not save .*listen-keys\.json/.test(line)), `logged: ${node.logs.join('\n')}`);

      const post = await binance.keyed<{ code: number; msg: string }>('POST', '/fapi/v1/listenKey');
      assert.equal(post.status, 503);
      assert.equal(post.body.code, -1001);
      const taken = await bullet(rest, clock);
      assert.equal(taken.status, 503);
      assert.equal(taken.body.code, '500000');
      assert.ok(errors.some((line) => /could not save .*binance-listen-keys\.json/.test(line)), 'Binance\'s failure is logged');
      assert.ok(errors.some((line) => /could not save .*kucoin-futures-tokens\.json/.test(line)), 'KuCoin\'s failure is logged');
      // Nothing was issued: Binance has no active key to hand out or extend.
      assert.equal((await binance.keyed<{ code: number }>('PUT', '/fapi/v1/listenKey')).body.code, -1125);
    }

    for (const path of blocked) await fsp.rmdir(path);
    const xtKey = (await xtListenKey(node.server.url, a, clock)).body.result!;
    const binanceKey = await binance.listenKey();
    const token = KucoinRest.data(await bullet(rest, clock)).token;
    await abandon(node);
    nodes.splice(0);
    const restarted = await startNode(dir);
    nodes.push(restarted);
    assert.deepEqual(await xtKeysValid(restarted.server.wsUrl, [xtKey]), { code: 0, msg: 'success' });
    assert.equal(await new BinanceRest(restarted.server.url, a.apiKey, a.secret).listenKey(), binanceKey);
    assert.equal((await kucoinFirstFrame(restarted.server.wsUrl, token)).type, 'welcome');
  });

  test('DurableFile group-commits (a burst of changes costs two writes), and a failed write rejects its callers after taking their changes back', async () => {
    const dir = await tempDir('durable-file');
    const path = join(dir, 'state.json');
    let state: number[] = [];
    const logs: string[] = [];
    const file = new DurableFile(path, () => JSON.stringify(state), (message) => logs.push(message));
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      state = [...state, i];
      saves.push(file.persist());
    }
    await Promise.all(saves);
    assert.deepEqual(file.stats, { writes: 2, failures: 0 }, 'the first change starts a write; the 99 made meanwhile share the next');
    assert.deepEqual(JSON.parse(await fsp.readFile(path, 'utf8')), state);

    await fsp.mkdir(`${path}.tmp`);
    state = [...state, 100];
    const failed = file.persist(() => { state = state.filter((n) => n !== 100); });
    await assert.rejects(failed, (error: unknown) => error instanceof DurableWriteError && /could not save .*state\.json/.test(error.message));
    assert.equal(state.includes(100), false, 'the refused change was taken back');
    assert.equal(logs.length, 1);
    await fsp.rmdir(`${path}.tmp`);
    state = [...state, 101];
    await file.persist();
    assert.deepEqual(JSON.parse(await fsp.readFile(path, 'utf8')), state);
    assert.deepEqual(file.stats, { writes: 3, failures: 1 });
  });
});
