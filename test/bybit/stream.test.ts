/**
 * The Bybit private stream's protocol over a real socket: auth (success, every failure, expired
 * `expires`, repeat), ping/pong, subscribe / unsubscribe acks and errors, idle cut-off
 * (`bybit.idleMs` shortened, `max_active_time` honoured), one account per connection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from '../../src/dialects/bybit/auth.js';
import { parseMaxActiveTime } from '../../src/dialects/bybit/stream.js';
import { listeners } from '../support/barriers.js';
import { ManualTime } from '../support/manual-time.js';
import { BybitFixture, type BybitAccount } from './client.js';

describe('bybit stream: auth, ping, subscribe', () => {
  let f: BybitFixture;
  let a: BybitAccount;
  before(async () => {
    f = await BybitFixture.start();
    a = await f.account();
  });
  after(async () => { await f.stop(); });

  it('auth success: {success: true, ret_msg: "", op: "auth", conn_id}, req_id echoed when sent', async () => {
    const s = await f.connect();
    const reply = await s.auth(a.apiKey, a.secret, Date.now() + 10_000, 'auth-1');
    assert.deepEqual(Object.keys(reply).sort(), ['conn_id', 'op', 'req_id', 'ret_msg', 'success']);
    assert.equal(reply.success, true);
    assert.equal(reply.ret_msg, '');
    assert.equal(reply.op, 'auth');
    assert.equal(reply.req_id, 'auth-1');
    assert.match(String(reply.conn_id), /^[0-9a-f-]{36}$/);
    // expires as a string (what ccxt sends) works too, on another connection
    const s2 = await f.connect();
    const expires = String(Date.now() + 10_000);
    const reply2 = await s2.request({ op: 'auth', args: [a.apiKey, expires, sign(a.secret, `GET/realtime${expires}`)] });
    assert.equal(reply2.success, true);
    assert.equal('req_id' in reply2, false, 'no req_id when none was sent');
    // repeat auth on an authenticated connection
    const again = await s.auth(a.apiKey, a.secret);
    assert.equal(again.success, false);
    assert.match(String(again.ret_msg), /^Repeat auth/);
  });

  it('auth failures: expired expires, bad signature, unknown key, malformed args; the connection stays usable', async () => {
    const s = await f.connect();
    const expired = await s.auth(a.apiKey, a.secret, Date.now() - 1);
    assert.equal(expired.success, false);
    assert.equal(expired.op, 'auth');
    assert.match(String(expired.ret_msg), /^Params Error: request expired/);
    assert.deepEqual((expired.request as { op: string }).op, 'auth', 'the request is echoed (ccxt raises AuthenticationError)');
    const expires = Date.now() + 10_000;
    const badSign = await s.request({ op: 'auth', args: [a.apiKey, expires, sign('wrong-secret', `GET/realtime${expires}`)] });
    assert.equal(badSign.success, false);
    assert.match(String(badSign.ret_msg), /^Invalid sign/);
    const unknown = await s.request({ op: 'auth', args: ['no-such-key', expires, 'ab'] });
    assert.equal(unknown.ret_msg, 'Invalid apikey');
    const malformed = await s.request({ op: 'auth', args: [a.apiKey, 'soon', 'ab'], req_id: 7 });
    assert.equal(malformed.success, false);
    assert.equal(malformed.req_id, 7);
    assert.match(String(malformed.ret_msg), /^Params Error/);
    const short = await s.request({ op: 'auth', args: [a.apiKey] });
    assert.match(String(short.ret_msg), /^Params Error: args must be/);
    // still not authenticated: subscribing is refused
    const sub = await s.subscribe(['order']);
    assert.equal(sub.success, false);
    // and a correct auth now succeeds
    assert.equal((await s.auth(a.apiKey, a.secret)).success, true);
  });

  it('ping → {req_id, op: "pong", args: [server ms], conn_id}, before and after auth', async () => {
    const s = await f.connect();
    const before = Date.now();
    const pong = await s.request({ req_id: '100001', op: 'ping' });
    assert.deepEqual(Object.keys(pong), ['req_id', 'op', 'args', 'conn_id']);
    assert.equal(pong.req_id, '100001');
    assert.equal(pong.op, 'pong');
    const [ms] = pong.args as string[];
    assert.equal(typeof ms, 'string');
    assert.ok(Number(ms) >= before && Number(ms) <= Date.now());
    const numeric = await s.request({ req_id: 12, op: 'ping' });
    assert.equal(numeric.req_id, 12, 'a numeric req_id (ccxt) comes back as sent');
    const bare = await s.request({ op: 'ping' });
    assert.equal(bare.req_id, '');
    await s.auth(a.apiKey, a.secret);
    assert.equal((await s.request({ op: 'ping' })).op, 'pong');
  });

  it('subscribe before auth: Bybit\'s "Request not authorized"', async () => {
    const s = await f.connect();
    const reply = await s.subscribe(['position'], 'r1');
    assert.deepEqual({ success: reply.success, op: reply.op, req_id: reply.req_id }, { success: false, op: 'subscribe', req_id: 'r1' });
    assert.match(String(reply.ret_msg), /^Request not authorized/);
  });

  it('subscribe / unsubscribe acks; unknown topics, mixed topic kinds and bad args are errors that change nothing', async () => {
    const s = await f.connect();
    await s.auth(a.apiKey, a.secret);
    const ok = await s.subscribe(['position', 'execution', 'order', 'wallet'], 1);
    assert.deepEqual(Object.keys(ok).sort(), ['conn_id', 'op', 'req_id', 'ret_msg', 'success']);
    assert.deepEqual({ success: ok.success, ret_msg: ok.ret_msg, op: ok.op, req_id: ok.req_id }, { success: true, ret_msg: '', op: 'subscribe', req_id: 1 });
    const categorised = await s.subscribe(['position.linear', 'order.linear', 'execution.linear', 'execution.fast.linear', 'wallet']);
    assert.equal(categorised.success, true);
    const mixed = await s.subscribe(['position', 'order.linear'], 'mix');
    assert.equal(mixed.success, false);
    assert.match(String(mixed.ret_msg), /cannot be in the same request/);
    const unknown = await s.subscribe(['greeks'], 'x');
    assert.equal(unknown.success, false);
    assert.match(String(unknown.ret_msg), /^error:handler not found,topic:greeks/);
    const empty = await s.request({ op: 'subscribe', args: [] });
    assert.equal(empty.success, false);
    const unsub = await s.request({ op: 'unsubscribe', args: ['order'], req_id: 'u1' });
    assert.deepEqual({ success: unsub.success, op: unsub.op, req_id: unsub.req_id }, { success: true, op: 'unsubscribe', req_id: 'u1' });
    const badOp = await s.request({ op: 'login', req_id: 'z' });
    assert.equal(badOp.success, false);
    assert.match(String(badOp.ret_msg), /^error:invalid op/);
    const notJson = await s.request('hello');
    assert.equal(notJson.success, false);
    assert.match(String(notJson.ret_msg), /^error:invalid json/);
  });

  it('pushes follow the subscriptions: an unsubscribed topic stops, the others go on', async () => {
    const s = await f.stream(a, ['order', 'wallet']);
    await a.rest.must('/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '50000' });
    await s.next('order', 0);
    await s.next('wallet', 0);
    await s.request({ op: 'unsubscribe', args: ['order'] });
    await a.rest.must('/v5/order/cancel-all', { category: 'linear', symbol: 'BTCUSDT' });
    await s.next('wallet', 1);
    await s.sync();
    assert.equal(s.pushes('order').length, 1);
    assert.equal(s.pushes('position').length, 0, 'not subscribed');
  });

  it('a connection serves one account; a pushed frame never carries retCode, code or success', async () => {
    const b = await f.account();
    const s = await f.stream(a, ['order', 'position', 'execution', 'wallet']);
    await b.rest.must('/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '50000' });
    await a.rest.must('/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.001', price: '70000' });
    await s.next('order', 0);
    await s.sync();
    assert.equal(s.pushes('order').length, 1);
    assert.equal((s.pushes('order')[0]!.data as { side: string }[])[0]!.side, 'Sell');
    for (const push of s.pushes()) {
      assert.equal('retCode' in push || 'code' in push || 'success' in push, false);
    }
    await a.rest.must('/v5/order/cancel-all', { category: 'linear' });
    await b.rest.must('/v5/order/cancel-all', { category: 'linear' });
  });
});

describe('bybit stream: idle cut-off', () => {
  let f: BybitFixture;
  // Time moved by hand: a connection idles out only when a test steps over its deadline. A ping
  // round trip after a step proves the connection was still open then (a cut one answers nothing).
  const time = new ManualTime();
  before(async () => { f = await BybitFixture.start({ dialectSettings: { 'bybit.idleMs': 400, 'bybit.minActiveTimeMs': 200 }, clock: time, timers: time }); });
  after(async () => { await f.stop(); });

  it('no ping-pong and no data for bybit.idleMs: the server cuts the connection (4000)', async () => {
    const s = await f.connect();
    await time.advance(399);
    await s.sync(); // open 1 ms before the idle time; the ping is activity: the cut is now due 400 ms later
    await time.advance(400);
    await s.until(() => s.closed !== null, 'the idle close', 5_000);
    assert.equal(s.closed!.code, 4000);
    assert.match(s.closed!.reason, /no ping-pong and no data/);
  });

  it('pings keep it open past the idle time', async () => {
    const s = await f.connect();
    for (let i = 0; i < 4; i++) {
      await time.advance(200);
      assert.equal((await s.request({ op: 'ping' })).op, 'pong');
    }
    assert.equal(s.closed, null, 'alive after 800 ms of pings at 200 ms');
    await time.advance(400);
    await s.until(() => s.closed !== null, 'the idle close after pings stop', 5_000);
  });

  it('max_active_time in the URL sets the cut-off (clamped to its bounds), as Bybit does', async () => {
    const s = await f.connect('?max_active_time=1s');
    await time.advance(999);
    await s.sync(); // not cut after the default 400 ms
    await time.advance(1_000);
    await s.until(() => s.closed !== null, 'the idle close', 5_000);
    assert.equal(parseMaxActiveTime('45s', 30_000, 600_000), 45_000);
    assert.equal(parseMaxActiveTime('2m', 30_000, 600_000), 120_000);
    assert.equal(parseMaxActiveTime('10s', 30_000, 600_000), 30_000, 'below 30 s: 30 s');
    assert.equal(parseMaxActiveTime('20m', 30_000, 600_000), 600_000, 'above 10 min: 10 min');
    assert.equal(parseMaxActiveTime('soon', 30_000, 600_000), undefined);
    assert.equal(parseMaxActiveTime(null, 30_000, 600_000), undefined);
  });
});

describe('bybit stream: connections per account', () => {
  let f: BybitFixture;
  before(async () => { f = await BybitFixture.start({ limits: { maxConnectionsPerAccount: 1 } }); });
  after(async () => { await f.stop(); });

  it('an account over its connection limit is refused at auth (4009); closing one frees its slot', async () => {
    const a = await f.account();
    const first = await f.stream(a, ['wallet']);
    const second = await f.connect();
    const refused = await second.auth(a.apiKey, a.secret);
    assert.equal(refused.success, false);
    assert.match(String(refused.ret_msg), /^too many sessions/);
    await second.until(() => second.closed !== null, 'the close');
    assert.equal(second.closed!.code, 4009);
    first.close();
    await listeners(f.server.exchange.events, a.accountId, 0, 'the first connection to be released');
    const third = await f.connect();
    assert.equal((await third.auth(a.apiKey, a.secret)).success, true);
  });
});
