/**
 * XT front-door authentication and input errors, the admin API's guard, and account isolation on
 * the stream: real HTTP and WebSocket connections against a started server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sign, signaturePayload } from '../../src/dialects/xt/auth.js';
import { Harness, type TestAccount } from '../support/harness.js';
import { StreamClient, XtClient } from '../support/xt-client.js';

describe('XT REST authentication', () => {
  let harness: Harness;
  let a: TestAccount;

  before(async () => {
    harness = await Harness.start();
    a = await harness.account('1000');
  });
  after(() => harness.stop());

  const balances = '/future/user/v1/balance/list';

  test('both header prefixes are accepted, each signed with its own prefix', async () => {
    for (const prefix of ['', 'xt-'] as const) {
      const reply = await new XtClient(harness.server.url, a.apiKey, a.secret, prefix).get(balances);
      assert.equal(reply.msgInfo, 'success', `prefix "${prefix}"`);
    }
  });

  test('a wrong secret is AUTH_103 with HTTP 403', async () => {
    const response = await fetch(`${harness.server.url}${balances}`, {
      headers: (() => {
        const ts = String(Date.now());
        return { 'validate-appkey': a.apiKey, 'validate-timestamp': ts, 'validate-signature': sign('wrong', signaturePayload('', a.apiKey, ts, { method: 'GET', path: balances, rawQuery: '', rawBody: '' })) };
      })(),
    });
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'AUTH_103');
  });

  test('stale and future timestamps are AUTH_105; unknown keys AUTH_101; missing headers AUTH_001', async () => {
    assert.equal((await a.rest.get(balances, {}, { timestamp: Date.now() - 6_000 })).error?.code, 'AUTH_105');
    assert.equal((await a.rest.get(balances, {}, { timestamp: Date.now() + 3_000 })).error?.code, 'AUTH_105');
    assert.equal((await new XtClient(harness.server.url, 'no-such-key', a.secret).get(balances)).error?.code, 'AUTH_101');
    const bare = (await (await fetch(`${harness.server.url}${balances}`)).json()) as { error: { code: string } };
    assert.equal(bare.error.code, 'AUTH_001');
  });

  test('a larger validate-recvwindow admits an older timestamp', async () => {
    const ts = String(Date.now() - 10_000);
    const signature = sign(a.secret, signaturePayload('', a.apiKey, ts, { method: 'GET', path: balances, rawQuery: '', rawBody: '' }));
    const response = await fetch(`${harness.server.url}${balances}`, {
      headers: { 'validate-appkey': a.apiKey, 'validate-timestamp': ts, 'validate-signature': signature, 'validate-recvwindow': '20000' },
    });
    assert.equal(((await response.json()) as { msgInfo: string }).msgInfo, 'success');
  });

  test('a body changed after signing is refused and places nothing', async () => {
    const path = '/future/trade/v1/order/create';
    const signedBody = JSON.stringify({ symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '100', origQty: '1' });
    const sentBody = signedBody.replace('"origQty":"1"', '"origQty":"9"');
    const ts = String(Date.now());
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const response = await fetch(`${harness.server.url}${path}`, {
      method: 'POST', body: sentBody,
      headers: { 'content-type': 'application/json', 'validate-appkey': a.apiKey, 'validate-timestamp': ts, 'validate-signature': sign(a.secret, signaturePayload('', a.apiKey, ts, { method: 'POST', path, rawQuery: '', rawBody: signedBody })) },
    });
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'AUTH_103');
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'the engine saw no command');
  });

  test('bad order input gets a clear XT error and never reaches the engine', async () => {
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const create = (body: Record<string, unknown>) => a.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '1', ...body });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ origQty: '1.5' }, 'ORDER_001', /whole number of contracts/],
      [{ origQty: '0' }, 'ORDER_001', /whole number of contracts/],
      [{ price: '60000.05' }, 'ORDER_001', /tick size 0.1/],
      [{ price: 'abc' }, 'ORDER_001', /invalid_price/],
      [{ orderSide: 'HOLD' }, 'COMMON_003', /orderSide must be one of BUY, SELL/],
      [{ positionSide: undefined }, 'COMMON_003', /positionSide is required/],
      [{ symbol: 'doge_usdt' }, 'SYMBOL_001', /not listed/],
      [{ timeInForce: 'GTD' }, 'COMMON_003', /timeInForce/],
      [{ orderType: 'MARKET', timeInForce: 'GTX' }, 'ORDER_001', /post-only/],
      [{ reduceOnly: true }, 'COMMON_003', /reduceOnly means closing/],
      // Attached take-profit / stop-loss: checked against the order's price, only on an order that opens.
      [{ triggerProfitPrice: '59000' }, 'ORDER_001', /^invalid_trigger_profit_price: a LONG take-profit must be above the order price/],
      [{ triggerStopPrice: '61000' }, 'ORDER_001', /^invalid_trigger_stop_price: a LONG stop-loss must be below the order price/],
      [{ triggerStopPrice: '50000.05' }, 'ORDER_001', /^invalid_trigger_stop_price: .*tick size 0.1/],
      [{ orderSide: 'SELL', triggerStopPrice: '50000' }, 'COMMON_003', /protect the position an order opens: SELL LONG closes it/],
      [{ triggerProfitPrice: '70000', profitDelegateOrderType: 'LIMIT' }, 'COMMON_003', /profitDelegatePrice is required/],
      [{ triggerProfitPrice: '70000', profitDelegateTimeInForce: 'FOK' }, 'ORDER_001', /^invalid_time_in_force: profitDelegateTimeInForce FOK/],
      [{ stopDelegateOrderType: 'MARKET' }, 'COMMON_003', /stopDelegateOrderType is for a stop-loss: send triggerStopPrice with it/],
      [{ followUpOrder: true }, 'COMMON_003', /followUpOrder: chase orders are not supported/],
    ];
    for (const [body, code, message] of cases) {
      const reply = await create(body);
      assert.equal(reply.msgInfo, 'failure', JSON.stringify(body));
      assert.equal(reply.error?.code, code, JSON.stringify(body));
      assert.match(reply.error!.msg, message);
    }
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'no refused input reached the engine');
    const chase = await a.rest.post('/future/trade/v1/order/update', { orderId: '999', price: '60000', origQty: '1', followUpOrder: true });
    assert.match(chase.error!.msg, /followUpOrder: chase orders are not supported/);
    const unknown = await a.rest.post('/future/trade/v1/order/cancel', { orderId: '999' });
    assert.equal(unknown.error?.code, 'ORDER_005');
    const notJson = await fetch(`${harness.server.url}/future/trade/v1/order/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(((await notJson.json()) as { msgInfo: string }).msgInfo, 'failure');
  });

  test('an order the engine refuses maps to XT error codes ccxt understands', async () => {
    const reply = await a.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '100000' });
    assert.equal(reply.error?.code, 'insufficient_balance');
    const close = await a.rest.post('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'LONG', orderType: 'LIMIT', price: '60000', origQty: '1' });
    assert.equal(close.error?.code, 'ORDER_001');
    assert.match(close.error!.msg, /more_than_available/);
  });
});

describe('admin API guard', () => {
  let harness: Harness;
  before(async () => {
    harness = await Harness.start();
  });
  after(() => harness.stop());

  test('no or a wrong token is 401 with an error that says what to send', async () => {
    for (const authorization of [undefined, 'Bearer nope', 'nope']) {
      const response = await fetch(`${harness.server.url}/admin/v1/symbols`, { headers: authorization ? { authorization } : {} });
      assert.equal(response.status, 401);
      assert.match(((await response.json()) as { error: string }).error, /Authorization: Bearer/);
    }
  });

  test('bad input is a 4xx {error} and changes nothing', async () => {
    const { accountId } = await harness.admin.createAccount();
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const cases: [string, unknown, number, RegExp][] = [
      ['/deposit', { accountId, asset: 'USDT', amount: '1.000000001' }, 400, /at most 8 decimals/],
      ['/deposit', { accountId, asset: 'USDT' }, 400, /"amount" is required/],
      ['/deposit', { accountId: 999, asset: 'USDT', amount: '1' }, 404, /does not exist/],
      ['/withdraw', { accountId, asset: 'USDT', amount: '5' }, 409, /available/],
      ['/mark-price', { symbol: 'btc_usdt', price: '60000.05' }, 400, /tick size/],
      ['/mark-price', { symbol: 'nope_usdt', price: '1' }, 404, /not listed/],
    ];
    for (const [path, body, status, message] of cases) {
      const reply = await harness.admin.request<{ error: string }>('POST', path, body);
      assert.equal(reply.status, status, `${path} ${JSON.stringify(body)}`);
      assert.match(reply.body.error, message);
    }
    // Refused engine commands consume a sequence number but change nothing; the rest never reach it.
    assert.equal(harness.server.exchange.engine.account(accountId)!.view.wallets.length, 0);
    assert.ok(harness.server.exchange.engine.cmdSeq - cmdSeq <= 2);
  });
});

describe('XT stream isolation and listenKeys', () => {
  let harness: Harness;
  before(async () => {
    harness = await Harness.start({ listenKeyTtlMs: 60_000 });
    await harness.admin.markPrice('btc_usdt', '60000');
  });
  after(() => harness.stop());

  test('an invalid listenKey is answered with topic@invalid_listenkey, code 2', async () => {
    const stream = await StreamClient.connect(harness.server.wsUrl);
    const ack = await stream.subscribe('not-a-key', ['balance']);
    assert.deepEqual(ack, { code: 2, msg: 'balance@invalid_listenkey' });
    stream.close();
  });

  test("a connection serves one account: someone else's listenKey is refused on it", async () => {
    const a = await harness.account('10');
    const b = await harness.account('10');
    const refused = await a.stream.subscribe(b.listenKey, ['order']);
    assert.equal(refused.code, 1);
    assert.match(refused.msg, /one account/);
    await harness.admin.deposit(b.accountId, '5');
    await b.stream.until(() => b.stream.pushes.length >= 1);
    await a.stream.sync();
    assert.ok(a.stream.pushes.every((p) => p.event.endsWith(`@${a.accountId}`)), 'a sees none of b');
  });

  test('many accounts trading at once: each stream sees only its own events, gap-free', async () => {
    const accounts = await Promise.all(Array.from({ length: 12 }, () => harness.account('100000')));
    await Promise.all(accounts.map(async (account, i) => {
      for (let k = 0; k < 5; k++) {
        const side = (i + k) % 2 === 0 ? 'BUY' : 'SELL';
        await account.rest.post('/future/trade/v1/order/create', {
          symbol: 'btc_usdt', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', orderType: 'LIMIT',
          price: side === 'BUY' ? '60010' : '59990', origQty: String(1 + k),
        });
      }
    }));
    for (const account of accounts) {
      const { seq } = harness.server.exchange.engine.account(account.accountId)!;
      await account.stream.until(() => account.stream.pushes.at(-1)?.seq === seq, 5_000, `account ${account.accountId} up to seq ${seq}`);
      assert.ok(account.stream.pushes.length > 0);
      // Gap-free: every seq from 2 on arrives, in order. (A one-way position that flips side is two
      // frames of one event: the side it left, cleared, then the new side, both with that event's seq.)
      let expected = 2;
      for (const push of account.stream.pushes) {
        assert.equal(push.event, `${push.topic}@${account.accountId}`);
        if (push.seq === expected - 1 && push.topic === 'position') continue;
        assert.equal(push.seq, expected, `account ${account.accountId}`);
        expected += 1;
      }
    }
  });
});
