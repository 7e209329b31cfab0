/**
 * Operator-injected faults (admin API /faults): REST failures in each front door's own error
 * shape, "executed but answered with an error", stream drops (now, after N pushes) and push
 * delays, each counted in the metrics; and the admin API's refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BinanceRest, BinanceStream } from '../binance/client.js';
import { listeners } from '../support/barriers.js';
import { ADMIN_TOKEN, Harness, nextPushes } from '../support/harness.js';

let harness: Harness;
before(async () => {
  harness = await Harness.start();
});
after(async () => {
  await harness.stop();
});

const arm = (path: string, body: unknown) => harness.admin.request('POST', path, body);

/** A request carrying only the account's API key header: enough for a fault, which fires before any signature check. */
async function keyed(path: string, header: string, apiKey: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${harness.server.url}${path}`, { headers: { [header]: apiKey } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function faultMetric(kind: string): Promise<number> {
  const text = await (await fetch(`${harness.server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`perpstream_faults_injected_total{kind="${kind}"}`));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('REST faults', () => {
  it('fail the next N calls of the account with the status and the XT envelope, then stop', async () => {
    const a = await harness.account();
    const before = await faultMetric('rest');
    const armed = await arm('/faults/rest', { accountId: a.accountId, count: 2, status: 503, message: 'maintenance' });
    assert.equal(armed.status, 200, JSON.stringify(armed.body));
    assert.deepEqual((await harness.admin.request('GET', '/faults')).body, {
      rest: [{ accountId: a.accountId, rest: { count: 2, status: 503, message: 'maintenance', execute: false } }], orders: [],
    });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${harness.server.url}/future/user/v1/balance/list`, { headers: { 'validate-appkey': a.apiKey } });
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { returnCode: 1, msgInfo: 'failure', error: { code: '503', msg: 'maintenance' }, result: null });
    }
    const third = await a.rest.get('/future/user/v1/balance/list');
    assert.equal(third.returnCode, 0, JSON.stringify(third));
    assert.deepEqual((await harness.admin.request('GET', '/faults')).body, { rest: [], orders: [] });
    assert.equal(await faultMetric('rest'), before + 2);
  });

  it('answer in each front door\'s own shape with the exchange code given', async () => {
    const a = await harness.created();
    const cases = [
      { code: '-1001', path: '/binance/fapi/v2/balance', header: 'x-mbx-apikey', expected: { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' } },
      { code: '10016', path: '/bybit/v5/account/wallet-balance?accountType=UNIFIED', header: 'x-bapi-api-key', expected: { retCode: 10016, retMsg: 'Internal error; unable to process your request. Please try again.' } },
      { code: '500000', path: '/kucoin-futures/api/v1/account-overview', header: 'kc-api-key', expected: { code: '500000', msg: 'Internal error; unable to process your request. Please try again.' } },
    ];
    for (const c of cases) {
      await arm('/faults/rest', { accountId: a.accountId, count: 1, status: 503, code: c.code, message: 'Internal error; unable to process your request. Please try again.' });
      const answer = await keyed(c.path, c.header, a.apiKey);
      assert.equal(answer.status, 503, c.path);
      for (const [key, value] of Object.entries(c.expected)) assert.deepEqual(answer.body[key], value, `${c.path} ${key}: ${JSON.stringify(answer.body)}`);
    }
    // Another account's calls are untouched.
    const b = await harness.account();
    await arm('/faults/rest', { accountId: a.accountId, count: 1, status: 500 });
    assert.equal((await b.rest.get('/future/user/v1/balance/list')).returnCode, 0);
    assert.deepEqual(await harness.admin.request('DELETE', `/faults?accountId=${a.accountId}`), { status: 200, body: { cleared: 1 } });
  });

  it('with execute, run the request and answer with the error: the order exists and is pushed', async () => {
    const a = await harness.account();
    await arm('/faults/rest', { accountId: a.accountId, count: 1, status: 504, message: 'timeout waiting for the backend: execution status unknown', execute: true });
    const from = a.stream.pushes.length;
    const answer = await a.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '1' });
    assert.deepEqual(answer, { returnCode: 1, msgInfo: 'failure', error: { code: '504', msg: 'timeout waiting for the backend: execution status unknown' }, result: null });
    const open = await a.rest.get<{ items: unknown[] }>('/future/trade/v1/order/list', { state: 'NEW' });
    assert.equal(open.returnCode, 0, JSON.stringify(open));
    assert.equal(open.result.items.length, 1, 'the order was placed although its answer was an error');
    const pushes = await nextPushes(a.stream, from, 2);
    assert.ok(pushes.some((p) => p.topic === 'order'), JSON.stringify(pushes));
  });
});

describe('order rejections', () => {
  it('refuse the next orders with the exchange code, change nothing, then orders go through', async () => {
    const a = await harness.account();
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const armed = await arm('/faults/order', { accountId: a.accountId, count: 1, code: '110007', message: 'ab not enough for new order' });
    assert.deepEqual(armed.body, { accountId: a.accountId, reject: { count: 1, code: '110007', message: 'ab not enough for new order' } });
    const order = { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '1' };
    const refused = await a.rest.post('/future/trade/v1/order/create', order);
    assert.deepEqual(refused, { returnCode: 1, msgInfo: 'failure', error: { code: '110007', msg: 'ab not enough for new order' }, result: null });
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'nothing journaled or applied');
    const placed = await a.rest.post('/future/trade/v1/order/create', order);
    assert.equal(placed.returnCode, 0, JSON.stringify(placed));
  });

  it('reach every way in: one item of a Binance batch gets Binance\'s {code, msg}', async () => {
    const created = await harness.created();
    const rest = new BinanceRest(harness.server.url, created.apiKey, created.secret);
    await arm('/faults/order', { accountId: created.accountId, count: 1, code: '-2019', message: 'Margin is insufficient.' });
    const order = { symbol: 'BTCUSDT', side: 'BUY', positionSide: 'LONG', type: 'LIMIT', timeInForce: 'GTC', price: '60000', quantity: '0.001' };
    const answer = await rest.signed<unknown[]>('POST', '/fapi/v1/batchOrders', { batchOrders: JSON.stringify([order, order]) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body[0], { code: -2019, msg: 'Margin is insufficient.' });
    assert.equal((answer.body[1] as { status: string }).status, 'NEW', JSON.stringify(answer.body[1]));
  });
});

describe('stream faults', () => {
  it('drop now: the connection ends without a close frame (1006)', async () => {
    const a = await harness.account();
    const answer = await arm('/faults/stream', { accountId: a.accountId, action: 'drop' });
    assert.deepEqual(answer.body, { accountId: a.accountId, action: 'drop', connections: 1 });
    await a.stream.until(() => a.stream.closed !== null, 5_000, 'the drop');
    assert.equal(a.stream.closed!.code, 1006);
  });

  it('dropAfter N: exactly N more pushes arrive, then the connection drops', async () => {
    const a = await harness.account();
    const before = await faultMetric('stream-drop-after');
    await arm('/faults/stream', { accountId: a.accountId, action: 'dropAfter', pushes: 2 });
    const from = a.stream.pushes.length;
    for (let i = 0; i < 4; i++) await harness.admin.deposit(a.accountId, '1');
    await a.stream.until(() => a.stream.closed !== null, 5_000, 'the drop after 2 pushes');
    assert.equal(a.stream.closed!.code, 1006);
    assert.equal(a.stream.pushes.length - from, 2, JSON.stringify(a.stream.pushes.slice(from)));
    assert.equal(await faultMetric('stream-drop-after'), before + 1);
  });

  it('delay: pushes arrive no sooner than the delay, in order, and pongs wait behind them', async () => {
    const a = await harness.account();
    const delayMs = 300;
    await arm('/faults/stream', { accountId: a.accountId, action: 'delay', ms: delayMs });
    const from = a.stream.pushes.length;
    // Real time on purpose: what is asserted is the wall-clock delay itself.
    const started = performance.now();
    await harness.admin.deposit(a.accountId, '1');
    await harness.admin.deposit(a.accountId, '2');
    await a.stream.sync();
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= delayMs, `the pushes and the pong came after ${elapsed} ms`);
    const pushes = a.stream.pushes.slice(from);
    assert.ok(pushes.length >= 2, JSON.stringify(pushes));
    for (let i = 1; i < pushes.length; i++) assert.ok(pushes[i]!.seq > pushes[i - 1]!.seq, 'in seq order');
  });
});

describe('credential expiry', () => {
  it('XT: every subscribed topic gets invalid_listenkey now, and the key no longer subscribes', async () => {
    const a = await harness.account('1000', ['order', 'balance']);
    const before = a.stream.acks.length;
    const answer = await arm('/faults/credentials', { accountId: a.accountId });
    assert.deepEqual(answer.body, { accountId: a.accountId, expired: 1 });
    await a.stream.until(() => a.stream.acks.length >= before + 2, 5_000, 'the expiry acks');
    assert.deepEqual(a.stream.acks.slice(before).map((ack) => ack.code), [2, 2]);
    assert.deepEqual(a.stream.acks.slice(before).map((ack) => ack.msg).sort(), ['balance@invalid_listenkey', 'order@invalid_listenkey']);
    assert.equal((await a.stream.subscribe(a.listenKey, ['order'])).code, 2, 'the expired key subscribes nothing');
    assert.notEqual(await a.rest.listenKey(), a.listenKey, 'a new key is issued');
  });

  it('Binance: listenKeyExpired, then the connection closes', async () => {
    const created = await harness.created();
    const rest = new BinanceRest(harness.server.url, created.apiKey, created.secret);
    const key = await rest.listenKey();
    const stream = await BinanceStream.connect(harness.server.wsUrl, `/binance/ws/${key}`);
    await listeners(harness.server.exchange.events, created.accountId, 1);
    const before = await faultMetric('credentials-expired');
    assert.deepEqual((await arm('/faults/credentials', { accountId: created.accountId })).body, { accountId: created.accountId, expired: 1 });
    await stream.until(() => stream.closed !== null, 5_000, 'the close after listenKeyExpired');
    assert.deepEqual(stream.events.map((e) => (e as { e: string }).e), ['listenKeyExpired']);
    assert.equal((stream.events[0] as { listenKey: string }).listenKey, key);
    assert.equal(await faultMetric('credentials-expired'), before + 1);
  });
});

describe('the admin API refuses what it cannot do', () => {
  const refusals: [string, unknown, number, RegExp][] = [
    ['/faults/rest', { accountId: 1, count: 1, status: 503, colour: 'red' }, 400, /unknown field "colour"/],
    ['/faults/rest', { accountId: 999999, count: 1, status: 503 }, 404, /account 999999 does not exist/],
    ['/faults/rest', { accountId: 1, count: 0, status: 503 }, 400, /"count"/],
    ['/faults/rest', { accountId: 1, count: 1, status: 200 }, 400, /"status"/],
    ['/faults/rest', { accountId: 1, count: 1, status: 503, code: 'oops' }, 400, /"code" must be an exchange error code/],
    ['/faults/order', { accountId: 1, count: 1 }, 400, /"code" is required/],
    ['/faults/stream', { accountId: 1, action: 'explode' }, 400, /"action"/],
    ['/faults/stream', { accountId: 1, action: 'dropAfter' }, 400, /"pushes" is required/],
    ['/faults/stream', { accountId: 1, action: 'drop', ms: 5 }, 400, /"ms" does not apply to action "drop"/],
    ['/faults/stream', { accountId: 1, action: 'delay', ms: 10_000_000 }, 400, /"ms"/],
  ];
  it('with a 4xx naming the problem, and arms nothing', async () => {
    const a = await harness.created();
    for (const [path, body, status, pattern] of refusals) {
      const patched = { ...(body as Record<string, unknown>), ...((body as { accountId: number }).accountId === 1 ? { accountId: a.accountId } : {}) };
      const answer = await arm(path, patched);
      assert.equal(answer.status, status, `${path} ${JSON.stringify(patched)}: ${JSON.stringify(answer.body)}`);
      assert.match(String(answer.body.error), pattern);
    }
    assert.deepEqual((await harness.admin.request('GET', '/faults')).body, { rest: [], orders: [] });
    const unauthenticated = await fetch(`${harness.server.url}/admin/v1/faults`, { headers: { authorization: `Bearer not-${ADMIN_TOKEN}` } });
    assert.equal(unauthenticated.status, 401);
  });
});
