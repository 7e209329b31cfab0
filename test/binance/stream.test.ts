/**
 * The stream's connection rules with shortened timings: the three URL forms, an unknown key refused
 * at the upgrade, listenKeyExpired on expiry and on DELETE (then a close), PUT keeping it alive,
 * server pings, the close without pong, the maximum connection life, and the per-account bound.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '../../src/gateway/limits.js';
import { BinanceClose } from '../../src/dialects/binance/stream.js';
import { ManualTime } from '../support/manual-time.js';
import { BinanceStream } from './client.js';
import { BinanceFixture } from './support.js';

describe('Binance stream: URLs and keys', () => {
  let f: BinanceFixture;
  // Keys expire on time moved by hand: only when a test steps over their 1.5 s.
  const time = new ManualTime();
  before(async () => { f = await BinanceFixture.start({ dialectSettings: { 'binance.listenKeyTtlMs': 1_500 }, clock: time, timers: time }); });
  after(async () => { await f.stop(); });

  it('accepts the key as ?listenKey=, in /private/ws/<key> and in /ws/<key>; each gets the account\'s events', async () => {
    const a = await f.account();
    const paths = [(k: string) => `/binance/private/ws?listenKey=${k}`, (k: string) => `/binance/private/ws/${k}`, (k: string) => `/binance/ws/${k}`];
    const streams = [];
    for (const path of paths) streams.push(await f.stream(a, path));
    await f.admin.deposit(a.accountId, '5');
    for (const s of streams) {
      const [event] = await s.next(0, 1);
      assert.equal((event!.a as { m: string }).m, 'DEPOSIT');
    }
  });

  it('POST returns the same key while it is active; an unknown key is refused at the upgrade with -1125', async () => {
    const a = await f.account();
    const first = await a.rest.listenKey();
    assert.equal(await a.rest.listenKey(), first);
    const refused = await BinanceStream.refused(f.h.server.wsUrl, '/binance/private/ws?listenKey=nope');
    assert.deepEqual([refused.status, JSON.parse(refused.body)], [400, { code: -1125, msg: 'This listenKey does not exist.' }]);
    const missing = await BinanceStream.refused(f.h.server.wsUrl, '/binance/private/ws');
    assert.equal(missing.status, 400);
  });

  it('expiry: listenKeyExpired, then the connection closes; the key is then refused and POST makes a new one', async () => {
    const a = await f.account();
    const stream = await f.stream(a);
    const key = await a.rest.listenKey();
    await time.advance(1_499);
    await stream.sync();
    assert.equal(stream.events.length, 0, 'nothing before the key\'s expiry');
    await time.advance(1);
    await stream.until(() => stream.closed !== null, 5_000, 'the close');
    assert.deepEqual(stream.events.map((e) => [e.e, e.listenKey]), [['listenKeyExpired', key]]);
    assert.equal(typeof stream.events[0]!.E, 'number');
    assert.equal(stream.closed!.code, BinanceClose.KEY_EXPIRED);
    assert.equal((await BinanceStream.refused(f.h.server.wsUrl, `/binance/ws/${key}`)).status, 400);
    const put = await a.rest.keyed('PUT', '/fapi/v1/listenKey');
    assert.deepEqual([put.status, put.body], [400, { code: -1125, msg: 'This listenKey does not exist.' }]);
    assert.notEqual(await a.rest.listenKey(), key);
  });

  it('PUT keeps the key (and its stream) alive past its first expiry', async () => {
    const a = await f.account();
    const stream = await f.stream(a);
    for (let i = 0; i < 3; i++) {
      await time.advance(700);
      const put = await a.rest.keyed<{ listenKey: string }>('PUT', '/fapi/v1/listenKey');
      assert.equal(put.status, 200);
    }
    await time.advance(1_499);
    await stream.sync(); // 3.6 s after the key was made, 1.5 s after its last PUT: still open
    assert.equal(stream.closed, null);
    assert.deepEqual(stream.events, []);
  });

  it('DELETE invalidates the key: its streams get listenKeyExpired and close at once', async () => {
    const a = await f.account();
    const stream = await f.stream(a);
    const deleted = await a.rest.keyed('DELETE', '/fapi/v1/listenKey');
    assert.deepEqual([deleted.status, deleted.body], [200, {}]);
    await stream.until(() => stream.closed !== null, 1_000, 'the close');
    assert.equal(stream.events[0]!.e, 'listenKeyExpired');
  });

  it('listenKey errors: no API key -2014, unknown API key -2015 (HTTP 401), a foreign key -1125', async () => {
    const a = await f.account();
    const b = await f.account();
    const noKey = await a.rest.send('POST', '/fapi/v1/listenKey', undefined, undefined);
    assert.deepEqual([noKey.status, noKey.body], [401, { code: -2014, msg: 'API-key format invalid.' }]);
    const badKey = await a.rest.keyed('POST', '/fapi/v1/listenKey', 'not-a-key');
    assert.deepEqual([badKey.status, badKey.body], [401, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }]);
    const bKey = await b.rest.listenKey();
    const foreign = await a.rest.keyed('PUT', `/fapi/v1/listenKey?listenKey=${bKey}`);
    assert.deepEqual([foreign.status, (foreign.body as { code: number }).code], [400, -1125]);
  });
});

describe('Binance stream: heartbeat and lifetime', () => {
  let f: BinanceFixture;
  // Time moved by hand. After each step the client waits for what the step sent (a ping), answers,
  // and makes a sync round trip, so the server has its pong before the next step; a round trip
  // answered after a step also proves the connection was open then.
  const time = new ManualTime();
  before(async () => {
    f = await BinanceFixture.start({
      dialectSettings: { 'binance.pingIntervalMs': 100, 'binance.pongTimeoutMs': 600, 'binance.maxConnectionLifeMs': 60_000 },
      limits: { maxConnectionsPerAccount: 2 },
      clock: time,
      timers: time,
    });
  });
  after(async () => { await f.stop(); });

  it('pings every pingIntervalMs; a client that answers stays connected past the pong timeout', async () => {
    const a = await f.account();
    const stream = await f.stream(a);
    for (let i = 1; i <= 10; i++) {
      await time.advance(100);
      await stream.until(() => stream.pings === i, 5_000, `ping #${i}`);
      await stream.sync(); // its automatic pong went before this request
    }
    assert.equal(stream.pings, 10, 'one ping per 100 ms');
    assert.equal(stream.closed, null, 'open after 1 s of answered pings (the pong timeout is 600 ms)');
  });

  it('a client that never answers the pings is closed after pongTimeoutMs (4000)', async () => {
    const a = await f.account();
    const stream = await f.stream(a, undefined, { autoPong: false });
    await time.advance(599);
    await stream.sync(); // still open 1 ms before the pong timeout
    await time.advance(1);
    await stream.until(() => stream.closed !== null, 3_000, 'the close');
    assert.equal(stream.pings, 5, 'pinged every 100 ms, never answered');
    assert.equal(stream.closed!.code, CloseCode.IDLE);
  });

  it('an unsolicited pong counts as alive', async () => {
    const a = await f.account();
    const stream = await f.stream(a, undefined, { autoPong: false });
    for (let i = 0; i < 5; i++) {
      await time.advance(200);
      stream.socket.pong();
      await stream.sync();
    }
    assert.equal(stream.closed, null, 'open after 1 s of unsolicited pongs every 200 ms');
  });

  it('at most maxConnectionsPerAccount streams per account (4009)', async () => {
    const a = await f.account();
    const s1 = await f.stream(a);
    const s2 = await f.stream(a);
    const s3 = await f.stream(a);
    await s3.until(() => s3.closed !== null, 2_000, 'the third close');
    assert.equal(s3.closed!.code, CloseCode.TOO_MANY_CONNECTIONS);
    assert.deepEqual([s1.closed, s2.closed], [null, null]);
  });

  it('a connection lives at most maxConnectionLifeMs', async () => {
    const life = new ManualTime();
    const short = await BinanceFixture.start({ dialectSettings: { 'binance.maxConnectionLifeMs': 300 }, clock: life, timers: life });
    try {
      const a = await short.account();
      const stream = await short.stream(a);
      await life.advance(299);
      await stream.sync();
      await life.advance(1);
      await stream.until(() => stream.closed !== null, 3_000, 'the close');
      assert.equal(stream.closed!.code, BinanceClose.MAX_LIFE);
    } finally {
      await short.stop();
    }
  });
});

describe('Binance listen keys with a data directory', () => {
  it('are persisted: a key issued before a restart still opens the stream after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perpstream-binance-'));
    try {
      let f = await BinanceFixture.start({ dataDir: dir });
      const a = await f.account();
      const key = await a.rest.listenKey();
      await f.stop();
      f = await BinanceFixture.start({ dataDir: dir });
      try {
        const stream = await BinanceStream.connect(f.h.server.wsUrl, `/binance/private/ws?listenKey=${key}`);
        await f.admin.deposit(a.accountId, '1');
        const [event] = await stream.next(0, 1);
        assert.equal((event!.a as { m: string }).m, 'DEPOSIT');
        stream.close();
      } finally {
        await f.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
