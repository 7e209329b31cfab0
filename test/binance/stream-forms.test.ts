/**
 * Every Binance USDⓈ-M user-data stream URL form over real WebSockets: raw and combined (wrapped
 * `{"stream","data"}`) connections, Binance's /private split with `listenKey` + `events`, the
 * official connector's empty `/private/stream?streams=` plus SUBSCRIBE, live SUBSCRIBE /
 * UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY and Binance's error codes, one
 * account per connection, expiry on a combined connection, /public and /market connections, and the
 * WebSocket API's userDataStream.start/ping/stop (/binance/ws-fapi/v1).
 *
 * Barriers, not sleeps: "nothing was pushed" is read after a reference connection of the same
 * account has received the push (the server writes one command's pushes to every socket in the
 * same turn) and a request on the connection under test has been answered after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode } from '../../src/gateway/limits.js';
import { BinanceClose } from '../../src/dialects/binance/stream.js';
import { BinanceStream } from './client.js';
import { BinanceFixture, type BinanceAccount } from './support.js';

type Json = Record<string, unknown>;

/** Sends a request and waits for the answer carrying its id (or, for `id: null`, the next message). */
async function ask(stream: BinanceStream, request: unknown, id: unknown = (request as { id?: unknown }).id): Promise<Json> {
  const from = stream.events.length;
  stream.socket.send(typeof request === 'string' ? request : JSON.stringify(request));
  const answered = () => stream.events.slice(from).find((e) => ('result' in e || 'code' in e) && e.id === id);
  await stream.until(() => answered() !== undefined, 5_000, `the answer to ${JSON.stringify(request)}`);
  return answered()!;
}

/** The pushes (not request answers) a stream received, in order. */
const pushes = (stream: BinanceStream): Json[] => stream.events.filter((e) => !('id' in e));

/** A leverage change: one ACCOUNT_CONFIG_UPDATE and nothing else. */
const setLeverage = (a: BinanceAccount, leverage: number) => a.rest.ok('POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage });

describe('Binance stream URL forms', () => {
  let f: BinanceFixture;
  const open: BinanceStream[] = [];
  const connect = async (path: string): Promise<BinanceStream> => {
    const stream = await BinanceStream.connect(f.h.server.wsUrl, path);
    open.push(stream);
    return stream;
  };
  before(async () => { f = await BinanceFixture.start(); });
  after(async () => {
    for (const stream of open) stream.close();
    await f.stop();
  });

  it('raw forms push the payload as it is; combined forms wrap it as {"stream":<listenKey>,"data":…}', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const raw = [`/binance/ws/${key}`, `/binance/private/ws?listenKey=${key}`, `/binance/private/ws/${key}`];
    const combined = [`/binance/stream?streams=${key}`, `/binance/private/stream?streams=${key}`, `/binance/private/stream?listenKey=${key}`];
    const rawStreams = await Promise.all(raw.map(connect));
    const combinedStreams = await Promise.all(combined.map(connect));
    await f.admin.deposit(a.accountId, '5');
    for (const s of rawStreams) {
      const [event] = await s.next(0, 1);
      assert.equal(event!.e, 'ACCOUNT_UPDATE');
      assert.equal((event!.a as { m: string }).m, 'DEPOSIT');
    }
    for (const s of combinedStreams) {
      const [event] = await s.next(0, 1);
      assert.deepEqual(Object.keys(event!), ['stream', 'data']);
      assert.equal(event!.stream, key);
      assert.deepEqual(event!.data, rawStreams[0]!.events[0]);
    }
  });

  it('/private listenKey + events: only the named events, wrapped with <listenKey>@<EVENT> in stream mode', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const all = await connect(`/binance/private/ws?listenKey=${key}`);
    const onlyAccount = await connect(`/binance/private/ws?listenKey=${key}&events=ACCOUNT_UPDATE`);
    const both = await connect(`/binance/private/stream?listenKey=${key}&events=ACCOUNT_CONFIG_UPDATE/ACCOUNT_UPDATE`);
    await setLeverage(a, 7);
    await f.admin.deposit(a.accountId, '5');
    await all.next(0, 2);
    assert.deepEqual(all.events.map((e) => e.e), ['ACCOUNT_CONFIG_UPDATE', 'ACCOUNT_UPDATE']);
    const [first] = await onlyAccount.next(0, 1);
    assert.equal(first!.e, 'ACCOUNT_UPDATE');
    const wrapped = await both.next(0, 2);
    assert.deepEqual(wrapped.map((e) => [e.stream, (e.data as Json).e]), [
      [`${key}@ACCOUNT_CONFIG_UPDATE`, 'ACCOUNT_CONFIG_UPDATE'], [`${key}@ACCOUNT_UPDATE`, 'ACCOUNT_UPDATE'],
    ]);
    assert.deepEqual((await ask(both, { method: 'LIST_SUBSCRIPTIONS', id: 1 })).result, [`${key}@ACCOUNT_CONFIG_UPDATE`, `${key}@ACCOUNT_UPDATE`]);
    // The leverage change reached `all` before the deposit did, and `onlyAccount` got the deposit: nothing more is coming.
    assert.equal(pushes(onlyAccount).length, 1);
  });

  it('the official connector\'s way: /private/stream?streams= (and /market, /public) with no stream, then SUBSCRIBE the key with a hex id', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const market = await connect('/binance/market/stream?streams=');
    const pub = await connect('/binance/public/stream?streams=');
    const priv = await connect('/binance/private/stream?streams=');
    const id = '0f5e2a9c41d84b7e9a3c2b1d0e4f6a7b';
    assert.deepEqual(await ask(priv, { method: 'SUBSCRIBE', params: [key], id }), { result: null, id });
    await f.admin.deposit(a.accountId, '3');
    const [event] = await priv.next(1, 1);
    assert.equal(event!.stream, key);
    assert.equal((event!.data as Json).e, 'ACCOUNT_UPDATE');
    // Market streams on /market and /public: acknowledged and listed; a published one pushes (the
    // book changed: a depth event), one this server does not publish (`@compositeIndex`) never does.
    assert.deepEqual(await ask(market, { method: 'SUBSCRIBE', params: ['btcusdt@compositeIndex'], id: 7 }), { result: null, id: 7 });
    assert.deepEqual((await ask(market, { method: 'LIST_SUBSCRIPTIONS', id: 8 })).result, ['btcusdt@compositeIndex']);
    assert.deepEqual(await ask(pub, { method: 'SUBSCRIBE', params: ['btcusdt@depth@100ms'], id: 9 }), { result: null, id: 9 });
    const trader = await f.account('1000');
    await trader.rest.ok('POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', positionSide: 'LONG', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000' });
    await pub.until(() => pushes(pub).length > 0, 5_000, 'the depth event of the new bid');
    assert.deepEqual((pushes(pub)[0]!.data as Json).b, [['50000', '0.0010']]); // the symbol's quantity step: 0.0001
    assert.deepEqual([pushes(market), market.closed, pub.closed], [[], null, null]);
  });

  it('live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / GET_PROPERTY / SET_PROPERTY on a combined connection', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const reference = await connect(`/binance/ws/${key}`);
    const c = await connect('/binance/stream');
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: [], id: 1 });
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: [key, `${key}@ACCOUNT_CONFIG_UPDATE`], id: 2 }), { result: null, id: 2 });
    assert.deepEqual((await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 3 })).result, [key, `${key}@ACCOUNT_CONFIG_UPDATE`]);
    await setLeverage(a, 9);
    const got = await c.next(c.events.length, 2);
    assert.deepEqual(got.map((e) => [e.stream, (e.data as Json).e]), [[key, 'ACCOUNT_CONFIG_UPDATE'], [`${key}@ACCOUNT_CONFIG_UPDATE`, 'ACCOUNT_CONFIG_UPDATE']]);
    assert.deepEqual(await ask(c, { method: 'GET_PROPERTY', params: ['combined'], id: 4 }), { result: true, id: 4 });
    assert.deepEqual(await ask(c, { method: 'UNSUBSCRIBE', params: [`${key}@ACCOUNT_CONFIG_UPDATE`], id: 5 }), { result: null, id: 5 });
    assert.deepEqual(await ask(c, { method: 'SET_PROPERTY', params: ['combined', false], id: 6 }), { result: null, id: 6 });
    assert.deepEqual(await ask(c, { method: 'GET_PROPERTY', params: ['combined'], id: 7 }), { result: false, id: 7 });
    await f.admin.deposit(a.accountId, '2');
    const [plain] = await c.next(c.events.length, 1);
    assert.equal(plain!.e, 'ACCOUNT_UPDATE');
    // Unsubscribed: the next push reaches the reference connection, and not this one.
    assert.deepEqual(await ask(c, { method: 'UNSUBSCRIBE', params: [key], id: 8 }), { result: null, id: 8 });
    const before = pushes(c).length;
    const seen = reference.events.length;
    await f.admin.deposit(a.accountId, '1');
    await reference.next(seen, 1);
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 9 }), { result: [], id: 9 });
    assert.equal(pushes(c).length, before);
    assert.equal(c.closed, null);
  });

  it('bad requests get Binance\'s codes (0 unknown property, 1 not a boolean, 2 invalid request, 3 invalid JSON) and change nothing', async () => {
    const a = await f.account();
    const b = await f.account();
    const key = await a.rest.listenKey();
    const bKey = await b.rest.listenKey();
    const c = await connect(`/binance/stream?streams=${key}`);
    const cases: [unknown, unknown, number][] = [
      ['{"method":', null, 3],
      ['[1,2]', null, 2],
      [{ params: [key], id: 1 }, 1, 2],
      [{ method: 'PUBLISH', params: [key], id: 2 }, 2, 2],
      [{ method: 'SUBSCRIBE', params: [key], id: -3 }, null, 2],
      [{ method: 'SUBSCRIBE', params: [key], id: 4, extra: true }, 4, 2],
      [{ method: 'SUBSCRIBE', params: 'nope', id: 5 }, 5, 2],
      [{ method: 'SUBSCRIBE', params: ['0123456789abcdef0123456789abcdef0123456789abcdef'], id: 6 }, 6, 2],
      [{ method: 'SUBSCRIBE', params: [bKey], id: 7 }, 7, 2],
      [{ method: 'SUBSCRIBE', params: [`${key}@NOT_AN_EVENT`], id: 8 }, 8, 2],
      [{ method: 'SET_PROPERTY', params: ['compressed', true], id: 9 }, 9, 0],
      [{ method: 'SET_PROPERTY', params: ['combined', 'yes'], id: 10 }, 10, 1],
      [{ method: 'GET_PROPERTY', params: [3], id: 11 }, 11, 2],
      [{ method: 'LIST_SUBSCRIPTIONS', params: ['x'], id: 12 }, 12, 2],
    ];
    for (const [request, id, code] of cases) {
      const answer = await ask(c, request, id);
      assert.equal(answer.code, code, JSON.stringify(request));
      assert.equal(typeof answer.msg, 'string');
      assert.ok(!('result' in answer));
    }
    assert.match((await ask(c, { method: 'SUBSCRIBE', params: [bKey], id: 13 })).msg as string, /one account/);
    // Binance USDⓈ-M's 200 streams per connection: the key plus 200 more is one too many, and nothing is added.
    const many = Array.from({ length: 200 }, (_, i) => `s${i}usdt@aggTrade`);
    assert.match((await ask(c, { method: 'SUBSCRIBE', params: many, id: 16 })).msg as string, /maximum of 200 streams/);
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 14 }), { result: [key], id: 14 });
    assert.deepEqual(await ask(c, { method: 'GET_PROPERTY', params: ['combined'], id: 15 }), { result: true, id: 15 });
    assert.equal(c.closed, null);
  });

  it('upgrades refused before the handshake: unknown key -1125, keys of two accounts, an unknown parameter or event', async () => {
    const a = await f.account();
    const b = await f.account();
    const [key, bKey] = [await a.rest.listenKey(), await b.rest.listenKey()];
    const refused = async (path: string) => {
      const r = await BinanceStream.refused(f.h.server.wsUrl, path);
      return [r.status, (JSON.parse(r.body) as Json).code];
    };
    assert.deepEqual(await refused('/binance/stream?streams=nope'), [400, -1125]);
    assert.deepEqual(await refused(`/binance/private/stream?streams=${key}/nope`), [400, -1125]);
    assert.deepEqual(await refused(`/binance/private/stream?listenKey=${key}&listenKey=${bKey}`), [400, -1130]);
    assert.deepEqual(await refused(`/binance/stream?streams=${key}&foo=1`), [400, -1104]);
    assert.deepEqual(await refused(`/binance/private/ws?listenKey=${key}&events=NOPE`), [400, -1100]);
    assert.deepEqual(await refused(`/binance/private/ws?events=ACCOUNT_UPDATE`), [400, -1102]);
    assert.deepEqual(await refused(`/binance/ws?listenKey=${key}`), [400, -1104]);
    // A market stream in the legacy raw form is accepted (Binance's answer to a stream it does not publish).
    const marketRaw = await connect('/binance/ws/btcusdt@aggTrade');
    assert.deepEqual((await ask(marketRaw, { method: 'LIST_SUBSCRIPTIONS', id: 1 })).result, ['btcusdt@aggTrade']);
  });

  it('an empty connection is unbound until its first key; two names of the key still bind it once', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const unbound = async () => ((await f.admin.request<{ gateway: { unauthenticated: number } }>('GET', '/status')).body.gateway.unauthenticated);
    const before = await unbound();
    const c = await connect('/binance/private/stream?streams=');
    assert.equal(await unbound(), before + 1);
    await ask(c, { method: 'SUBSCRIBE', params: [key], id: 1 });
    assert.equal(await unbound(), before);
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: [`${key}@ORDER_TRADE_UPDATE`], id: 2 }), { result: null, id: 2 });
    assert.equal(await unbound(), before);
  });
});

describe('Binance WebSocket API: userDataStream.start / ping / stop', () => {
  let f: BinanceFixture;
  const open: BinanceStream[] = [];
  before(async () => { f = await BinanceFixture.start(); });
  after(async () => {
    for (const stream of open) stream.close();
    await f.stop();
  });
  const call = async (api: BinanceStream, id: string, method: string, params: Json | undefined): Promise<Json> => {
    const from = api.events.length;
    api.socket.send(JSON.stringify({ id, method, ...(params === undefined ? {} : { params }) }));
    await api.until(() => api.events.slice(from).some((e) => e.id === id), 5_000, `the answer to ${method}`);
    return api.events.slice(from).find((e) => e.id === id)!;
  };

  it('start hands out the account\'s active key (REST\'s too), ping keeps it, stop closes it and tells its streams; errors in Binance\'s shape', async () => {
    const a = await f.account();
    const api = await BinanceStream.connect(f.h.server.wsUrl, '/binance/ws-fapi/v1');
    open.push(api);
    const started = await call(api, 'd3df8a6198ea4fe08f4e0fcea5d418b0', 'userDataStream.start', { apiKey: a.apiKey });
    assert.equal(started.status, 200);
    const key = (started.result as { listenKey: string }).listenKey;
    assert.equal(await a.rest.listenKey(), key);
    assert.deepEqual(await call(api, 'p1', 'userDataStream.ping', { apiKey: a.apiKey }), { id: 'p1', status: 200, result: { listenKey: key } });
    const stream = await BinanceStream.connect(f.h.server.wsUrl, `/binance/private/stream?listenKey=${key}`);
    open.push(stream);
    assert.deepEqual(await call(api, 's1', 'userDataStream.stop', { apiKey: a.apiKey }), { id: 's1', status: 200, result: {} });
    const [expired] = await stream.next(0, 1);
    assert.deepEqual([expired!.stream, (expired!.data as Json).e], [key, 'listenKeyExpired']);
    const errors: [string, string, Json | undefined, number, number][] = [
      ['e1', 'userDataStream.stop', { apiKey: a.apiKey }, 400, -1125],
      ['e2', 'userDataStream.ping', { apiKey: a.apiKey }, 400, -1125],
      ['e3', 'userDataStream.start', undefined, 401, -2014],
      ['e4', 'userDataStream.start', { apiKey: 'nope' }, 401, -2015],
      ['e5', 'userDataStream.start', { apiKey: a.apiKey, listenKey: key }, 400, -1104],
      ['e6', 'order.place', { apiKey: a.apiKey }, 400, -1020],
    ];
    for (const [id, method, params, status, code] of errors) {
      const answer = await call(api, id, method, params);
      assert.deepEqual([answer.status, (answer.error as Json).code], [status, code], `${method} ${JSON.stringify(params)}`);
    }
    api.socket.send('not json');
    await api.until(() => api.events.some((e) => e.id === null), 5_000, 'the malformed answer');
    assert.deepEqual((api.events.find((e) => e.id === null)!.error as Json).code, -1100);
    // A new start after the stop: a new key.
    const again = await call(api, 'n1', 'userDataStream.start', { apiKey: a.apiKey });
    assert.notEqual((again.result as { listenKey: string }).listenKey, key);
    assert.equal(api.closed, null);
  });
});

describe('Binance stream forms: expiry and the subscribe deadline', () => {
  let f: BinanceFixture;
  const open: BinanceStream[] = [];
  before(async () => {
    f = await BinanceFixture.start({ dialectSettings: { 'binance.listenKeyTtlMs': 1_500 }, limits: { authDeadlineMs: 800 } });
  });
  after(async () => {
    for (const stream of open) stream.close();
    await f.stop();
  });
  const connect = async (path: string): Promise<BinanceStream> => {
    const stream = await BinanceStream.connect(f.h.server.wsUrl, path);
    open.push(stream);
    return stream;
  };

  it('a key expiring on a combined connection: the wrapped listenKeyExpired, the key dropped, the connection open for a new key', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const c = await connect(`/binance/private/stream?listenKey=${key}`);
    await c.until(() => pushes(c).length > 0, 5_000, 'the expiry');
    const [expired] = pushes(c);
    assert.equal(expired!.stream, key);
    assert.deepEqual([(expired!.data as Json).e, (expired!.data as Json).listenKey], ['listenKeyExpired', key]);
    assert.deepEqual(await ask(c, { method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: [], id: 1 });
    assert.equal(c.closed, null);
    const fresh = await a.rest.listenKey();
    assert.notEqual(fresh, key);
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: [key], id: 2 }), { code: 2, msg: `Invalid request: This listenKey does not exist. (${key})`, id: 2 });
    assert.deepEqual(await ask(c, { method: 'SUBSCRIBE', params: [fresh], id: 3 }), { result: null, id: 3 });
    await f.admin.deposit(a.accountId, '1');
    await c.until(() => pushes(c).length > 1, 2_000, 'the deposit');
    assert.equal(pushes(c)[1]!.stream, fresh);
  });

  it('DELETE on a combined connection: the wrapped event at once, only to the names that take it', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const c = await connect(`/binance/private/stream?listenKey=${key}&events=listenKeyExpired`);
    const filtered = await connect(`/binance/private/stream?listenKey=${key}&events=ACCOUNT_UPDATE`);
    const raw = await connect(`/binance/private/ws?listenKey=${key}&events=ACCOUNT_UPDATE`);
    await a.rest.keyed('DELETE', '/fapi/v1/listenKey');
    await c.until(() => pushes(c).length > 0, 2_000, 'the event');
    assert.deepEqual([pushes(c)[0]!.stream, (pushes(c)[0]!.data as Json).e], [`${key}@listenKeyExpired`, 'listenKeyExpired']);
    // A raw connection closes with its key (as before); a combined one stays, with nothing subscribed.
    await raw.until(() => raw.closed !== null, 2_000, 'the raw close');
    assert.deepEqual([raw.closed!.code, pushes(raw)], [BinanceClose.KEY_EXPIRED, []]);
    assert.deepEqual(await ask(filtered, { method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: [], id: 1 });
    assert.deepEqual(pushes(filtered), []);
  });

  it('a combined connection that subscribes a key within authDeadlineMs stays; one that does not is closed with 4010', async () => {
    const a = await f.account();
    const key = await a.rest.listenKey();
    const idle = await connect('/binance/stream');
    const subscribed = await connect('/binance/stream');
    await ask(subscribed, { method: 'SUBSCRIBE', params: [key], id: 1 });
    await idle.until(() => idle.closed !== null, 3_000, 'the deadline');
    assert.equal(idle.closed!.code, CloseCode.AUTH_TIMEOUT);
    assert.deepEqual(await ask(subscribed, { method: 'LIST_SUBSCRIPTIONS', id: 2 }), { result: [key], id: 2 });
    assert.equal(subscribed.closed, null);
  });
});
