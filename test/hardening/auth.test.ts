/**
 * Hardening of the front doors' authentication and request reading (issue 10), over real HTTP and
 * WebSocket against a started server:
 *  - parameter provenance: no front door reads a parameter its signature did not cover (XT signs
 *    #path#query#body, Bybit refuses the unsigned part, names sent twice are refused);
 *  - malformed percent-encoding (query, form body, path, Binance's signature) is a clean 4xx in the
 *    front door's own error shape, never a 500;
 *  - every framework-level refusal under a front door's prefix (URL or head too large, body too
 *    large, unsupported media type, malformed JSON, unknown path or method, overlong path
 *    parameter, unparseable request) comes in that front door's error shape;
 *  - a Bybit stream auth whose `expires` is far ahead is refused.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { restPayload, sign as bybitSign } from '../../src/dialects/bybit/auth.js';
import { sign as xtSign, signaturePayload as xtPayload } from '../../src/dialects/xt/auth.js';
import { MAX_HEADER_BYTES, MAX_URL_BYTES, PARSER_MAX_HEAD_BYTES } from '../../src/server/http.js';
import { BybitStream } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { Harness, type TestAccount } from '../support/harness.js';
import { ADMIN_TOKEN } from '../support/harness.js';

type Json = Record<string, unknown>;

/** One HTTP/1.1 exchange written byte for byte on a raw socket (the server closes the connection). */
async function rawExchange(port: number, request: string): Promise<{ status: number; body: Json }> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { received += chunk; });
    socket.on('end', () => resolve(received));
    socket.on('error', (error: NodeJS.ErrnoException) => (received !== '' && error.code === 'ECONNRESET' ? resolve(received) : reject(error)));
  });
  const [head, ...rest] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]);
  return { status, body: JSON.parse(rest.join('\r\n\r\n')) as Json };
}

/** The error shape of each front door, by path prefix. */
const SHAPES: Record<string, (body: Json) => boolean> = {
  '': (b) => b.returnCode === 1 && b.msgInfo === 'failure' && typeof (b.error as Json | null)?.code === 'string' && typeof (b.error as Json).msg === 'string',
  '/binance': (b) => typeof b.code === 'number' && (b.code as number) < 0 && typeof b.msg === 'string' && Object.keys(b).length === 2,
  '/bybit': (b) => typeof b.retCode === 'number' && b.retCode !== 0 && typeof b.retMsg === 'string' && typeof b.time === 'number',
  '/kucoin-futures': (b) => typeof b.code === 'string' && b.code !== '200000' && typeof b.msg === 'string' && Object.keys(b).length === 2,
  '/kucoin-spot': (b) => typeof b.code === 'string' && b.code !== '200000' && typeof b.msg === 'string' && Object.keys(b).length === 2,
  '/admin/v1': (b) => typeof b.error === 'string' && Object.keys(b).length === 1,
};

/** A path that exists under each prefix (public, so that no credential is needed to reach it). */
const PUBLIC_PATH: Record<string, string> = {
  '': '/future/market/v1/public/symbol/list',
  '/binance': '/binance/fapi/v1/ping',
  '/bybit': '/bybit/v5/market/time',
  '/kucoin-futures': '/kucoin-futures/api/v1/contracts/active',
  '/kucoin-spot': '/kucoin-spot/api/v1/timestamp',
  '/admin/v1': '/admin/v1/symbols',
};

/** A POST route under each prefix that reads a body. */
const POST_PATH: Record<string, string> = {
  '': '/future/trade/v1/order/create',
  '/binance': '/binance/fapi/v1/order',
  '/bybit': '/bybit/v5/order/create',
  '/kucoin-futures': '/kucoin-futures/api/v1/orders',
  '/kucoin-spot': '/kucoin-spot/api/v1/bullet-private',
  '/admin/v1': '/admin/v1/deposit',
};

function assertShape(prefix: string, reply: { status: number; body: Json }, status: number, what: string): void {
  assert.equal(reply.status, status, `${what} on "${prefix}": HTTP status (${JSON.stringify(reply.body)})`);
  assert.ok(SHAPES[prefix]!(reply.body), `${what} on "${prefix}": the front door's error shape, got ${JSON.stringify(reply.body)}`);
}

const adminAuth = `Authorization: Bearer ${ADMIN_TOKEN}\r\n`;
const head = (method: string, target: string, extra = ''): string => `${method} ${target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n${adminAuth}${extra}`;

describe('parameter provenance: only signed parameters are read', () => {
  let harness: Harness;
  let a: TestAccount & { passphrase: string };
  before(async () => {
    harness = await Harness.start();
    const account = await harness.account('100000');
    const created = harness.server.credentials.find(account.apiKey)!;
    a = { ...account, passphrase: created.passphrase };
  });
  after(() => harness.stop());

  const xtHeaders = (path: string, rawQuery: string, rawBody: string, method = 'POST'): Record<string, string> => {
    const ts = String(Date.now());
    return {
      'content-type': 'application/json', 'validate-appkey': a.apiKey, 'validate-timestamp': ts,
      'validate-signature': xtSign(a.secret, xtPayload('', a.apiKey, ts, { method, path, rawQuery, rawBody })),
    };
  };
  const orderBody = JSON.stringify({ symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price: '50000', origQty: '1' });

  test('XT: a query added to a POST whose body alone was signed is refused (AUTH_103) and places nothing', async () => {
    const path = '/future/trade/v1/order/create';
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    // Signed as a POST with no query (the old payload: #path#body); the query is added afterwards.
    const ts = String(Date.now());
    const bodyOnly = `validate-appkey=${a.apiKey}&validate-timestamp=${ts}#${path}#${orderBody}`;
    const response = await fetch(`${harness.server.url}${path}?price=59300&clientOrderId=INJECTED`, {
      method: 'POST', body: orderBody,
      headers: { 'content-type': 'application/json', 'validate-appkey': a.apiKey, 'validate-timestamp': ts, 'validate-signature': xtSign(a.secret, bodyOnly) },
    });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'AUTH_103');
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'the engine saw no command');
  });

  test('XT: a POST signed over #path#query#body (XT\'s documented form) is accepted and reads both', async () => {
    const path = '/future/trade/v1/order/create';
    const query = 'clientOrderId=both-signed';
    const response = await fetch(`${harness.server.url}${path}?${query}`, { method: 'POST', body: orderBody, headers: xtHeaders(path, query, orderBody) });
    const reply = (await response.json()) as { msgInfo: string; result: string };
    assert.equal(reply.msgInfo, 'success', JSON.stringify(reply));
    const detail = await a.rest.get<{ clientOrderId: string; price: string }>('/future/trade/v1/order/detail', { orderId: reply.result });
    assert.equal(detail.result.clientOrderId, 'both-signed');
    assert.equal(Number(detail.result.price), 50000);
  });

  test('a GET (whose query alone is signed) cannot carry parameters in a body, on any front door', async () => {
    // fetch refuses a GET with a body: the requests are written by hand.
    const path = '/future/trade/v1/order/list';
    const ts = String(Date.now());
    const queryOnly = `validate-appkey=${a.apiKey}&validate-timestamp=${ts}#${path}#state=NEW`;
    const body = '{"symbol":"eth_usdt"}';
    const xt = await rawExchange(harness.server.port, `GET ${path}?state=NEW HTTP/1.1\r\nHost: test\r\nConnection: close\r\ncontent-type: application/json\r\n`
      + `validate-appkey: ${a.apiKey}\r\nvalidate-timestamp: ${ts}\r\nvalidate-signature: ${xtSign(a.secret, queryOnly)}\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    assertShape('', xt, 400, 'GET with a body');
    assert.match(String((xt.body.error as Json).msg), /body is not read/);
    for (const prefix of Object.keys(SHAPES)) {
      const reply = await rawExchange(harness.server.port, `${head('GET', PUBLIC_PATH[prefix]!, `content-type: application/json\r\ncontent-length: ${body.length}\r\n`)}\r\n${body}`);
      assertShape(prefix, reply, 400, 'GET with a body');
    }
  });

  test('XT and KuCoin: a parameter given in both the query and the body is refused, not overridden', async () => {
    const path = '/future/trade/v1/order/create';
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const query = 'price=59300';
    const response = await fetch(`${harness.server.url}${path}?${query}`, { method: 'POST', body: orderBody, headers: xtHeaders(path, query, orderBody) });
    const reply = (await response.json()) as { error: { code: string; msg: string } };
    assert.equal(reply.error.code, 'COMMON_003');
    assert.match(reply.error.msg, /price is given in both the query and the body/);

    const kucoin = new KucoinRest(harness.server.url, a.apiKey, a.secret, a.passphrase);
    const both = await kucoin.request('POST', 'futures', '/api/v1/orders', {
      query: { price: '59300' },
      body: { clientOid: 'dup-1', side: 'buy', symbol: 'XBTUSDTM', type: 'limit', price: '50000', size: 1, leverage: 1 },
    });
    assert.equal(both.status, 400);
    assert.equal(both.body.code, '400100');
    assert.match(String(both.body.msg), /price is given in both the query and the body/);
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'the engine saw no command');
  });

  test('Bybit: a query on a signed POST (the body is what is signed) is refused and places nothing', async () => {
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const body = JSON.stringify({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '50000', positionIdx: 1 });
    const ts = String(Date.now());
    const headers = {
      'content-type': 'application/json', 'X-BAPI-API-KEY': a.apiKey, 'X-BAPI-TIMESTAMP': ts, 'X-BAPI-RECV-WINDOW': '5000',
      'X-BAPI-SIGN': bybitSign(a.secret, restPayload(ts, a.apiKey, '5000', { method: 'POST', rawQuery: '', rawBody: body })),
    };
    const response = await fetch(`${harness.server.url}/bybit/v5/order/create?price=59300&orderLinkId=INJECTED`, { method: 'POST', headers, body });
    const reply = (await response.json()) as { retCode: number; retMsg: string };
    assert.equal(reply.retCode, 10001);
    assert.match(reply.retMsg, /query string is not read/);
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'the engine saw no command');

  });

  test('Binance: moving the unsigned point between query and body (same signature) cannot change a parameter', async () => {
    // Binance's own mixed example: part of the parameters in the query, the rest in a form body,
    // signed as query + body with nothing in between.
    const query = 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&positionSide=LONG&price=50000';
    const body = `recvWindow=10000&timestamp=${Date.now()}`;
    const signature = createHmac('sha256', a.secret).update(query + body).digest('hex');
    const send = (q: string, b: string): Promise<Response> => fetch(`${harness.server.url}/binance/fapi/v1/order?${q}`, {
      method: 'POST', headers: { 'x-mbx-apikey': a.apiKey, 'content-type': 'application/x-www-form-urlencoded' }, body: `${b}&signature=${signature}`,
    });
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    // The same bytes split one character earlier: price=5000 and a junk name "0recvWindow".
    const shifted = await send(query.slice(0, -1), `0${body}`);
    assert.equal(shifted.status, 400);
    const reply = (await shifted.json()) as { code: number; msg: string };
    assert.equal(reply.code, -1104);
    assert.match(reply.msg, /'0recvWindow' is not a parameter here/);
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'the engine saw no command');
    // The split as signed is accepted.
    const legit = await send(query, body);
    const order = (await legit.json()) as { price: string; status: string };
    assert.equal(legit.status, 200, JSON.stringify(order));
    assert.equal(Number(order.price), 50000);
  });

  test('Binance: a name sent twice in the signed query or body is -1101, not one of them silently', async () => {
    const signedText = (params: string): string => {
      const payload = `${params}&timestamp=${Date.now()}`;
      return `${payload}&signature=${createHmac('sha256', a.secret).update(payload).digest('hex')}`;
    };
    const inQuery = await fetch(`${harness.server.url}/binance/fapi/v1/openOrders?${signedText('symbol=BTCUSDT&symbol=ETHUSDT')}`, { headers: { 'x-mbx-apikey': a.apiKey } });
    assert.equal(inQuery.status, 400);
    assert.equal(((await inQuery.json()) as { code: number }).code, -1101);
    const cmdSeq = harness.server.exchange.engine.cmdSeq;
    const inBody = await fetch(`${harness.server.url}/binance/fapi/v1/order`, {
      method: 'POST', headers: { 'x-mbx-apikey': a.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: signedText('symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=50000&price=59300&positionSide=LONG'),
    });
    assert.equal(inBody.status, 400);
    assert.equal(((await inBody.json()) as { code: number }).code, -1101);
    assert.equal(harness.server.exchange.engine.cmdSeq, cmdSeq, 'the engine saw no command');
  });
});

describe('malformed percent-encoding is a clean 4xx in the front door\'s shape', () => {
  let harness: Harness;
  let a: TestAccount;
  before(async () => {
    harness = await Harness.start();
    a = await harness.account('1000');
  });
  after(() => harness.stop());

  test('Binance: a badly encoded signature (query or form body) is HTTP 400 -1100, not 500', async () => {
    const payload = `timestamp=${Date.now()}`;
    for (const signature of ['%zz', '%E0%A4%A', '%']) {
      const query = await fetch(`${harness.server.url}/binance/fapi/v2/balance?${payload}&signature=${signature}`, { headers: { 'x-mbx-apikey': a.apiKey } });
      assert.equal(query.status, 400, `query signature=${signature}`);
      assert.equal(((await query.json()) as { code: number }).code, -1100);
      const body = await fetch(`${harness.server.url}/binance/fapi/v1/listenKey`, { method: 'POST', headers: { 'x-mbx-apikey': a.apiKey, 'content-type': 'application/x-www-form-urlencoded' }, body: `a=${signature}` });
      assert.equal(body.status, 400, `form body a=${signature}`);
      assert.equal(((await body.json()) as { code: number }).code, -1100);
      // A signature in a body Binance does not read as a form (JSON) is split out too: still -1100, not 500.
      const json = await fetch(`${harness.server.url}/binance/fapi/v2/balance?${payload}`, {
        headers: { 'x-mbx-apikey': a.apiKey, 'content-type': 'application/json' }, body: `{"x":"&signature=${signature}"}`, method: 'POST',
      });
      assert.ok(json.status === 400 || json.status === 404, `JSON body signature=${signature}: ${json.status}`);
      assert.ok(SHAPES['/binance']!((await json.json()) as Json));
    }
    const signed = await fetch(`${harness.server.url}/binance/fapi/v2/balance?${payload}&signature=${'%zz'.repeat(2)}`, { headers: { 'x-mbx-apikey': a.apiKey } });
    assert.equal(signed.status, 400);
  });

  test('every front door: a malformed query, form body or path is 400 in its own shape', async () => {
    for (const prefix of Object.keys(SHAPES)) {
      for (const bad of ['%zz', '%E0%A4%A', '%']) {
        const query = await rawExchange(harness.server.port, `${head('GET', `${PUBLIC_PATH[prefix]}?symbol=${bad}`)}\r\n`);
        assertShape(prefix, query, 400, `query symbol=${bad}`);
        assert.match(JSON.stringify(query.body), /not valid percent-encoded UTF-8/);
        const path = await rawExchange(harness.server.port, `${head('GET', `${prefix}/x${bad}y`)}\r\n`);
        assertShape(prefix, path, 400, `path ${bad}`);
        const form = `symbol=${bad}`;
        const body = await rawExchange(harness.server.port, `${head('POST', POST_PATH[prefix]!, `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${form.length}\r\n`)}\r\n${form}`);
        assert.ok(body.status >= 400 && body.status < 500 || body.status === 200, `form body on "${prefix}": ${body.status}`);
        assert.ok(SHAPES[prefix]!(body.body), `form body ${bad} on "${prefix}": ${JSON.stringify(body.body)}`);
      }
    }
  });

  test('XT: a malformed form body is COMMON_003, not read as garbage', async () => {
    const form = 'symbol=btc%zz_usdt';
    const reply = await rawExchange(harness.server.port, `${head('POST', '/future/trade/v1/order/create', `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${form.length}\r\n`)}\r\n${form}`);
    assert.equal((reply.body.error as Json).code, 'COMMON_003');
    assert.match(String((reply.body.error as Json).msg), /not valid percent-encoded UTF-8/);
  });
});

describe('framework-level refusals come in the front door\'s error shape', () => {
  let harness: Harness;
  before(async () => {
    harness = await Harness.start();
  });
  after(() => harness.stop());

  test(`a URL over ${MAX_URL_BYTES} bytes is 414, headers over ${MAX_HEADER_BYTES} bytes 431, on every prefix`, async () => {
    for (const prefix of Object.keys(SHAPES)) {
      const longUrl = await rawExchange(harness.server.port, `${head('GET', `${PUBLIC_PATH[prefix]}?pad=${'x'.repeat(MAX_URL_BYTES)}`)}\r\n`);
      assertShape(prefix, longUrl, 414, 'long URL');
      const bigHeader = await rawExchange(harness.server.port, `${head('GET', PUBLIC_PATH[prefix]!, `x-pad: ${'x'.repeat(MAX_HEADER_BYTES)}\r\n`)}\r\n`);
      assertShape(prefix, bigHeader, 431, 'large header');
    }
  });

  test(`a head over Node's own ${PARSER_MAX_HEAD_BYTES} bytes is 431 in the path's shape (or the root's once the request line is gone); an unreadable request the root's (XT)`, async () => {
    for (const prefix of Object.keys(SHAPES)) {
      const huge = await rawExchange(harness.server.port, `${head('GET', PUBLIC_PATH[prefix]!, `x-pad: ${'x'.repeat(PARSER_MAX_HEAD_BYTES)}\r\n`)}\r\n`);
      assert.equal(huge.status, 431);
      assert.ok(SHAPES[prefix]!(huge.body) || SHAPES['']!(huge.body), `head beyond the parser limit on "${prefix}": ${JSON.stringify(huge.body)}`);
    }
    const garbage = await rawExchange(harness.server.port, 'NOT HTTP AT ALL\r\n\r\n');
    assertShape('', garbage, 400, 'garbage request');
    const badHeader = await rawExchange(harness.server.port, 'GET /binance/fapi/v1/ping HTTP/1.1\r\nBad Header Name: x\r\n\r\n');
    assertShape('/binance', badHeader, 400, 'malformed header line');
  });

  test('body too large (413), unsupported media type (415), malformed JSON, unknown path (404), unknown method, on every prefix', async () => {
    for (const prefix of Object.keys(SHAPES)) {
      const big = 'x'.repeat(70 * 1024);
      const tooLarge = await rawExchange(harness.server.port, `${head('POST', POST_PATH[prefix]!, `content-type: application/json\r\ncontent-length: ${big.length}\r\n`)}\r\n${big}`);
      assertShape(prefix, tooLarge, 413, 'body too large');
      const text = 'hello';
      const media = await rawExchange(harness.server.port, `${head('POST', POST_PATH[prefix]!, `content-type: text/plain\r\ncontent-length: ${text.length}\r\n`)}\r\n${text}`);
      assertShape(prefix, media, 415, 'unsupported media type');
      const json = '{"x":';
      const malformed = await rawExchange(harness.server.port, `${head('POST', POST_PATH[prefix]!, `content-type: application/json\r\ncontent-length: ${json.length}\r\n`)}\r\n${json}`);
      assert.ok(SHAPES[prefix]!(malformed.body), `malformed JSON on "${prefix}": ${JSON.stringify(malformed.body)}`);
      assert.ok(malformed.status === 400 || malformed.status === 200, `malformed JSON on "${prefix}": ${malformed.status}`);
      const missing = await rawExchange(harness.server.port, `${head('GET', `${prefix}/no/such/endpoint`)}\r\n`);
      assertShape(prefix, missing, 404, 'unknown path');
      const method = await rawExchange(harness.server.port, `${head('PATCH', PUBLIC_PATH[prefix]!)}\r\n`);
      assertShape(prefix, method, 404, 'unknown method');
    }
  });

  test('a KuCoin path parameter over 100 characters is 400 400100, not FST_ERR_MAX_PARAM_LENGTH', async () => {
    for (const prefix of ['/kucoin-futures', '/binance', '']) {
      const path = prefix === '/kucoin-futures' ? `/kucoin-futures/api/v1/contracts/${'X'.repeat(120)}` : `${prefix}/future/${'X'.repeat(120)}`;
      const reply = await rawExchange(harness.server.port, `${head('GET', path)}\r\n`);
      assert.ok(reply.status === 400 || reply.status === 404, `${path}: ${reply.status}`);
      assert.ok(SHAPES[prefix]!(reply.body), `${prefix}: ${JSON.stringify(reply.body)}`);
      assert.doesNotMatch(JSON.stringify(reply.body), /FST_ERR/);
    }
    const order = await rawExchange(harness.server.port, `${head('GET', `/kucoin-futures/api/v1/orders/${'1'.repeat(120)}`)}\r\n`);
    assertShape('/kucoin-futures', order, 400, 'overlong orderId');
    assert.equal(order.body.code, '400100');
  });
});

describe('Bybit stream auth: expires must be near', () => {
  let harness: Harness;
  let a: TestAccount;
  before(async () => {
    harness = await Harness.start();
    a = await harness.account('1000');
  });
  after(() => harness.stop());

  test('an auth frame with expires far in the future is refused; clients\' now + 1 s and now + 10 s pass', async () => {
    const stream = await BybitStream.connect(harness.server.wsUrl);
    for (const ahead of [24 * 60 * 60 * 1000, 100 * 365 * 24 * 60 * 60 * 1000]) {
      const reply = await stream.auth(a.apiKey, a.secret, Date.now() + ahead);
      assert.equal(reply.success, false, `expires now + ${ahead} ms`);
      assert.match(String(reply.ret_msg), /^Params Error: expires \d+ is more than 60000 ms after the server time/);
    }
    // The connection is still usable, and what pybit (1 s) and ccxt (10 s) send is accepted.
    assert.equal((await stream.auth(a.apiKey, a.secret, Date.now() + 1_000)).success, true);
    const ccxtLike = await BybitStream.connect(harness.server.wsUrl);
    assert.equal((await ccxtLike.auth(a.apiKey, a.secret, Date.now() + 10_000)).success, true);
    stream.socket.close();
    ccxtLike.socket.close();
  });
});
