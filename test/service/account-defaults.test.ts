/**
 * Account defaults per exchange (issue 11, item 3): an account created for a dialect starts with
 * that exchange's position and margin mode, so each exchange's own client places its default order
 * on a fresh account unchanged; the admin call validates its body strictly; the defaults are
 * journaled (restarts keep them); `npm start` makes one demo account per exchange. Also XT's own
 * SDK's lower-case subscribe (item 4). Real HTTP, real WebSocket, a real process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { Engine } from '../../src/engine/engine.js';
import type { Command } from '../../src/engine/types.js';
import { BinanceRest } from '../binance/client.js';
import { BybitRest } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { abandon, ADMIN, cleanup, removeDir, ServerProcess, startNode, tempDir, type Node } from '../durability/support.js';
import { Harness } from '../support/harness.js';
import { AdminClient, StreamClient, XtClient, type Created } from '../support/xt-client.js';


let orders = 0;

/** Each exchange's client default order: what its own SDK sends when the caller gives only the essentials. */
const DEFAULT_ORDER = {
  // XT's own SDK (pyxt) requires positionSide: XT is hedge-only.
  xt: (c: Created, url: string) => new XtClient(url, c.apiKey, c.secret).post<string>('/future/trade/v1/order/create',
    { symbol: 'btc_usdt', orderSide: 'BUY', orderType: 'LIMIT', positionSide: 'LONG', price: '59000', origQty: '10' }),
  // A plain order, no positionSide (Binance's default BOTH).
  binance: (c: Created, url: string) => new BinanceRest(url, c.apiKey, c.secret).signed<{ orderId?: number; code?: number }>('POST', '/fapi/v1/order',
    { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '59000' }),
  // positionIdx 0: one-way.
  bybit: (c: Created, url: string) => new BybitRest(url, c.apiKey, c.secret).post('/v5/order/create',
    { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59000', positionIdx: 0 }),
  // KuCoin's official SDK (kucoin-universal-sdk AddOrderReq) fills in every default: marginMode ISOLATED, no positionSide.
  kucoin: (c: Created, url: string) => new KucoinRest(url, c.apiKey, c.secret, c.passphrase).post('/api/v1/orders', {
    clientOid: `sdk-${c.accountId}-${++orders}`, side: 'buy', symbol: 'XBTUSDTM', leverage: 3, type: 'limit', price: '59000', size: 10,
    reduceOnly: false, closeOrder: false, forceHold: false, marginMode: 'ISOLATED', timeInForce: 'GTC', postOnly: false, hidden: false, iceberg: false,
  }),
};

/** Whether the exchange's answer is a success, and its code otherwise. */
async function outcome(dialect: keyof typeof DEFAULT_ORDER, c: Created, url: string): Promise<{ ok: boolean; code: unknown }> {
  const reply = await DEFAULT_ORDER[dialect](c, url);
  switch (dialect) {
    case 'xt': { const r = reply as { returnCode: number; error?: { code: string } }; return { ok: r.returnCode === 0, code: r.error?.code }; }
    case 'binance': { const r = reply as { status: number; body: { code?: number } }; return { ok: r.status === 200, code: r.body.code }; }
    case 'bybit': { const r = reply as { retCode: number }; return { ok: r.retCode === 0, code: r.retCode }; }
    case 'kucoin': { const r = reply as { body: { code: string } }; return { ok: r.body.code === '200000', code: r.body.code }; }
  }
}

async function createAccount(admin: AdminClient, body?: unknown): Promise<Created> {
  const { status, body: created } = await admin.request<Created>('POST', '/accounts', body);
  assert.equal(status, 200, JSON.stringify(created));
  await admin.deposit(created.accountId, '10000');
  return created;
}

describe('account defaults per exchange', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await Harness.start();
    url = h.server.url;
    await h.admin.markPrice('btc_usdt', '60000');
  });
  after(() => h.stop());

  const view = (accountId: number) => h.server.exchange.engine.account(accountId)!.view;

  it('an account created for a dialect starts with that exchange\'s modes, on every symbol', async () => {
    const expected = { xt: ['HEDGE', 'CROSSED'], binance: ['ONE_WAY', 'CROSSED'], bybit: ['ONE_WAY', 'CROSSED'], kucoin: ['ONE_WAY', 'ISOLATED'] };
    for (const [dialect, [positionMode, marginMode]] of Object.entries(expected)) {
      const created = await createAccount(h.admin, { dialect });
      assert.deepEqual([created.positionMode, created.marginMode], [positionMode, marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS'], dialect);
      const v = view(created.accountId);
      assert.equal(v.positionMode, positionMode, dialect);
      assert.deepEqual(new Set(v.settings.map((s) => s.marginMode)), new Set([marginMode]), `${dialect}: every symbol ${marginMode}`);
      assert.equal(v.settings.length, DEMO_SYMBOLS.length);
    }
  });

  for (const dialect of ['xt', 'binance', 'bybit', 'kucoin'] as const) {
    it(`${dialect}: the exchange's own client default order succeeds on a fresh ${dialect} account`, async () => {
      const created = await createAccount(h.admin, { dialect });
      const result = await outcome(dialect, created, url);
      assert.ok(result.ok, `${dialect} default order refused: ${JSON.stringify(result)}`);
      assert.equal(view(created.accountId).orders.length, 1, 'the order rests');
    });
  }

  it('without a body an account keeps the server default (hedge, cross: XT\'s), where the others\' default orders are refused', async () => {
    const plain = await createAccount(h.admin);
    assert.deepEqual([plain.positionMode, plain.marginMode], ['HEDGE', 'CROSS']);
    assert.deepEqual(await outcome('xt', plain, url), { ok: true, code: undefined });
    // What every non-XT client met before accounts had defaults: Binance -4061, Bybit 10001, KuCoin 330005.
    assert.deepEqual(await outcome('binance', plain, url), { ok: false, code: -4061 });
    assert.deepEqual(await outcome('bybit', plain, url), { ok: false, code: 10001 });
    assert.deepEqual(await outcome('kucoin', plain, url), { ok: false, code: '330005' });
  });

  it('the exchanges\' own readers report the defaults', async () => {
    const binance = await createAccount(h.admin, { dialect: 'binance' });
    const dual = await new BinanceRest(url, binance.apiKey, binance.secret).ok<{ dualSidePosition: boolean }>('GET', '/fapi/v1/positionSide/dual');
    assert.equal(dual.dualSidePosition, false);
    const kucoin = await createAccount(h.admin, { dialect: 'kucoin' });
    const rest = new KucoinRest(url, kucoin.apiKey, kucoin.secret, kucoin.passphrase);
    assert.deepEqual(KucoinRest.data(await rest.get('/api/v2/position/getMarginMode', { symbol: 'XBTUSDTM' })), { symbol: 'XBTUSDTM', marginMode: 'ISOLATED' });
    assert.deepEqual(KucoinRest.data(await rest.get('/api/v2/position/getPositionMode')), { positionMode: 0 });
  });

  it('explicit positionMode / marginMode, alone or over a dialect\'s', async () => {
    const over = await createAccount(h.admin, { dialect: 'kucoin', marginMode: 'CROSS' });
    assert.deepEqual([over.positionMode, over.marginMode], ['ONE_WAY', 'CROSS']);
    const alone = await createAccount(h.admin, { positionMode: 'ONE_WAY' });
    assert.deepEqual([alone.positionMode, alone.marginMode], ['ONE_WAY', 'CROSS']);
    const isolatedHedge = await createAccount(h.admin, { positionMode: 'HEDGE', marginMode: 'ISOLATED' });
    assert.deepEqual([view(isolatedHedge.accountId).positionMode, view(isolatedHedge.accountId).settings[0]!.marginMode], ['HEDGE', 'ISOLATED']);
    assert.deepEqual([(await createAccount(h.admin, {})).positionMode], ['HEDGE'], 'an empty object is no body');
  });

  it('a bad body is refused with a clear {"error"} and creates nothing', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ dialect: 'okx' }, 400, /"dialect" must be one of xt, binance, bybit, kucoin \(got "okx"\)/],
      [{ dialect: 'Binance' }, 400, /"dialect" must be one of/],
      [{ positionMode: 'one_way' }, 400, /"positionMode" must be ONE_WAY or HEDGE/],
      [{ marginMode: 'CROSSED' }, 400, /"marginMode" must be CROSS or ISOLATED \(got "CROSSED"\)/],
      [{ marginMode: 1 }, 400, /"marginMode" must be CROSS or ISOLATED/],
      [{ dialect: 'xt', leverage: 10 }, 400, /unknown field "leverage": an account takes "dialect", "positionMode", "marginMode"/],
      [['xt'], 400, /the body must be a JSON object/],
      [null, 400, /the body must be a JSON object/],
    ];
    const before = h.server.exchange.engine.cmdSeq;
    for (const [body, status, message] of cases) {
      const reply = await h.admin.request<{ error: string }>('POST', '/accounts', body);
      assert.equal(reply.status, status, JSON.stringify(body));
      assert.match(reply.body.error, message, JSON.stringify(body));
    }
    const raw = async (contentType: string, body: string): Promise<[number, string]> => {
      const reply = await fetch(`${url}/admin/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${h.admin.token}`, 'content-type': contentType }, body });
      return [reply.status, ((await reply.json()) as { error: string }).error];
    };
    const [formStatus, formError] = await raw('application/x-www-form-urlencoded', 'dialect=kucoin');
    assert.equal(formStatus, 415);
    assert.match(formError, /send the body as JSON \(Content-Type: application\/json\)/);
    // Every front door refuses a media type it does not read (server/http.ts), the admin API included.
    const [textStatus, textError] = await raw('text/plain', '{"dialect":"kucoin"}');
    assert.equal(textStatus, 415);
    assert.match(textError, /text\/plain is not read/);
    const [brokenStatus] = await raw('application/json', '{"dialect":');
    assert.equal(brokenStatus, 400);
    assert.equal(h.server.exchange.engine.cmdSeq, before, 'nothing was sequenced');
  });
});

describe('the engine\'s createAccount command', () => {
  it('takes the modes as parameters, refuses bad ones without creating anything, and defaults as before', () => {
    const engine = new Engine({ symbols: DEMO_SYMBOLS, defaultPositionMode: 'HEDGE' });
    const apply = (command: Record<string, unknown>) => engine.apply({ time: 1, ...command } as unknown as Command);
    for (const bad of [{ positionMode: 'BOTH' }, { marginMode: 'CROSS' }, { positionMode: 1 }]) {
      const { result, events } = apply({ type: 'createAccount', ...bad });
      assert.deepEqual([result.ok, result.ok ? null : result.code, events.length], [false, 'INVALID_ARGUMENT', 0], JSON.stringify(bad));
    }
    assert.equal(engine.account(1), undefined, 'a refused createAccount creates nothing');
    const made = apply({ type: 'createAccount', positionMode: 'ONE_WAY', marginMode: 'ISOLATED' });
    assert.deepEqual(made.result, { ok: true, kind: 'account', accountId: 1 });
    const plain = apply({ type: 'createAccount' });
    assert.deepEqual(plain.result, { ok: true, kind: 'account', accountId: 2 });
    const modes = (id: number) => [engine.account(id)!.view.positionMode, [...new Set(engine.account(id)!.view.settings.map((x) => x.marginMode))].join()];
    assert.deepEqual([modes(1), modes(2)], [['ONE_WAY', 'ISOLATED'], ['HEDGE', 'CROSSED']]);
    engine.audit();
  });
});

describe('account defaults survive a restart (journal replay and snapshot)', () => {
  let dir: string;
  let node: Node | null = null;
  before(async () => {
    dir = await tempDir('defaults');
  });
  after(async () => {
    await node?.server.close();
    await removeDir(dir);
  });

  it('a recovered server has every account with the modes it was created with', async () => {
    node = await startNode(dir);
    const admin = new AdminClient(node.server.url, ADMIN);
    await admin.markPrice('btc_usdt', '60000');
    const kucoin = await createAccount(admin, { dialect: 'kucoin' });
    const binance = await createAccount(admin, { dialect: 'binance' });
    const hedgeIsolated = await createAccount(admin, { positionMode: 'HEDGE', marginMode: 'ISOLATED' });
    const ids = [kucoin.accountId, binance.accountId, hedgeIsolated.accountId];
    const settingsOf = (n: Node) => ids.map((id) => {
      const v = n.server.exchange.engine.account(id)!.view;
      return [v.positionMode, [...new Set(v.settings.map((x) => x.marginMode))].join()];
    });
    const expected = [['ONE_WAY', 'ISOLATED'], ['ONE_WAY', 'CROSSED'], ['HEDGE', 'ISOLATED']];
    assert.deepEqual(settingsOf(node), expected);
    // A crash (no snapshot): the journaled createAccount commands carry the modes.
    await abandon(node);
    node = await startNode(dir);
    assert.deepEqual([node.server.recovery?.snapshotSeq, (node.server.recovery?.replayed ?? 0) > 0], [null, true], 'recovered by replaying the journal');
    assert.deepEqual(settingsOf(node), expected, 'after a journal replay');
    // A graceful stop takes a snapshot; the next start restores from it.
    await node.server.close();
    node = await startNode(dir);
    assert.deepEqual(settingsOf(node), expected, 'after a snapshot restore');
    assert.ok((await outcome('kucoin', kucoin, node.server.url)).ok, 'KuCoin\'s default order after the restarts');
    assert.ok((await outcome('binance', binance, node.server.url)).ok, 'Binance\'s default order after the restarts');
  });
});

describe('npm start: one demo account per exchange', () => {
  const DEMO_ADMIN = 'demo-admin';
  let dir: string;
  let proc: ServerProcess | null = null;
  before(async () => {
    dir = await tempDir('demo');
  });
  after(async () => {
    await proc?.kill('SIGTERM');
    await cleanup();
  });

  /** Resolves when the process's output so far satisfies `done` (checked on every chunk it writes). */
  const linesUntil = (p: ServerProcess, done: (lines: readonly string[]) => boolean): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (!done(p.lines)) return;
      p.child.stdout!.off('data', onData);
      clearTimeout(timer);
      resolve();
    };
    // The process's own line splitter runs first (it was attached earlier), so lines are current here.
    const onData = (): void => check();
    const timer = setTimeout(() => reject(new Error(`timed out; output:\n${p.lines.join('\n')}`)), 10_000);
    p.child.stdout!.on('data', onData);
    check();
  });

  const demoAccounts = (lines: readonly string[]) => new Map(lines.flatMap((line) => {
    const m = /^demo account (\w+): accountId (\d+) apiKey (\S+) secret (\S+) passphrase (\S+)$/.exec(line);
    return m === null ? [] : [[m[1]!, { accountId: Number(m[2]), apiKey: m[3]!, secret: m[4]!, passphrase: m[5]!, positionMode: '', marginMode: '' }] as const];
  }));

  it('prints alice (XT), bob (Binance), carol (Bybit), dave (KuCoin); each takes its exchange\'s default order, before and after a restart', async () => {
    proc = await ServerProcess.start(dir, DEMO_ADMIN);
    await linesUntil(proc, (lines) => lines.some((l) => l.startsWith('  for KuCoin clients')));
    const demos = demoAccounts(proc.lines);
    assert.deepEqual([...demos.keys()], ['alice', 'bob', 'carol', 'dave']);
    assert.deepEqual([...demos.values()].map((d) => d.accountId), [1, 2, 3, 4]);
    assert.ok(proc.lines.includes('  for KuCoin clients: one-way mode, isolated margin'), proc.lines.join('\n'));
    assert.ok(proc.lines.includes('  for XT clients: hedge mode, cross margin'));
    const place = async (url: string, round: number) => {
      for (const [name, dialect] of [['alice', 'xt'], ['bob', 'binance'], ['carol', 'bybit'], ['dave', 'kucoin']] as const) {
        const account = demos.get(name)!;
        const result = await outcome(dialect, account, url);
        assert.ok(result.ok, `${name} (${dialect}) round ${round}: ${JSON.stringify(result)}`);
      }
    };
    await place(proc.url, 1);
    await proc.kill('SIGTERM');
    proc = await ServerProcess.start(dir, DEMO_ADMIN);
    assert.equal(demoAccounts(proc.lines).size, 0, 'a restart keeps the demo accounts, it does not make new ones');
    await place(proc.url, 2);
  });
});

describe('XT: lower-case method names, as XT\'s own SDK (pyxt) sends them', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('"subscribe" and "unsubscribe" work like SUBSCRIBE and UNSUBSCRIBE; an unknown method is still refused', async () => {
    const created = await h.admin.createAccount();
    const rest = new XtClient(h.server.url, created.apiKey, created.secret);
    const key = await rest.listenKey();
    const stream = await StreamClient.connect(h.server.wsUrl);
    const send = async (message: Record<string, unknown>) => {
      const before = stream.acks.length;
      stream.socket.send(JSON.stringify(message));
      await stream.until(() => stream.acks.length > before, 5_000, `ack of ${JSON.stringify(message)}`);
      return { ack: stream.acks[before]!, text: stream.texts.filter((t) => t !== 'pong').at(-1)! };
    };
    try {
      // pyxt: {"method":"subscribe","params":[…],"id":"<ms>"}, with its optional listenKey beside.
      const subscribed = await send({ method: 'subscribe', params: [`balance@${key}`], id: '1717000000000', listenKey: key });
      assert.equal(subscribed.ack.code, 0, subscribed.text);
      assert.equal(JSON.parse(subscribed.text).id, '1717000000000');
      await h.admin.deposit(created.accountId, '42');
      await stream.until(() => stream.pushes.some((p) => p.topic === 'balance'), 5_000, 'the balance push');
      // pyxt's heartbeat: the text ping every 15 s.
      const pongs = stream.texts.filter((t) => t === 'pong').length;
      stream.socket.send('ping');
      await stream.until(() => stream.texts.filter((t) => t === 'pong').length > pongs, 5_000, 'pong');
      assert.equal((await send({ method: 'unsubscribe', params: [`balance@${key}`], id: '2' })).ack.code, 0);
      assert.equal((await send({ method: 'Subscribe', params: [`order@${key}`], id: '3' })).ack.code, 0);
      const refused = await send({ method: 'subscribes', params: [`order@${key}`], id: '4' });
      assert.deepEqual([refused.ack.code, refused.ack.msg], [1, 'Invalid Parameter: method must be SUBSCRIBE or UNSUBSCRIBE']);
      const notText = await send({ method: 7, params: [`order@${key}`], id: '5' });
      assert.equal(notText.ack.code, 1);
      // After the unsubscribe, a deposit pushes nothing on balance: the order topic alone is on.
      const pushes = stream.pushes.length;
      await h.admin.deposit(created.accountId, '1');
      const pongsNow = stream.texts.filter((t) => t === 'pong').length;
      stream.socket.send('ping');
      await stream.until(() => stream.texts.filter((t) => t === 'pong').length > pongsNow, 5_000, 'pong after the deposit');
      assert.equal(stream.pushes.length, pushes, 'unsubscribed: no balance push');
    } finally {
      stream.close();
    }
  });
});
