/**
 * Seeded fuzz of every front door's URL and parameter decoding (issue 10): random paths, malformed
 * percent-encoding in paths, queries, form bodies and signatures, random JSON of every type as
 * bodies, odd content types, over-long URLs and headers, with and without credentials. Every answer
 * must be an HTTP answer (never a dropped connection), never a 500, in the shape of the dialect whose
 * prefix the path is under; the process stays up and no command reaches the engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { send, type Answer } from '../fuzz/http.js';
import { ADMIN_TOKEN, Harness } from '../support/harness.js';
import { rng, seedFrom, type Rng } from '../support/rng.js';

type Json = Record<string, unknown>;

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Each dialect by path prefix: whether an answer is in its shape (success or error). */
const DIALECTS: { name: string; prefix: string; paths: string[]; inShape(answer: Answer): boolean }[] = [
  {
    name: 'Binance', prefix: '/binance',
    paths: ['/fapi/v1/order', '/fapi/v2/account', '/fapi/v1/listenKey', '/fapi/v1/leverage', '/fapi/v1/positionSide/dual', '/fapi/v1/exchangeInfo', '/fapi/v1/time', '/fapi/v3/balance', '/sapi/v1/capital/config/getall', '/fapi/v9/nothing'],
    inShape: ({ status, body }) => {
      const value = parse(body);
      if (status >= 200 && status < 300) return value !== undefined;
      return isObject(value) && typeof value.code === 'number' && typeof value.msg === 'string';
    },
  },
  {
    name: 'Bybit', prefix: '/bybit',
    paths: ['/v5/order/create', '/v5/order/realtime', '/v5/position/list', '/v5/account/wallet-balance', '/v5/position/set-leverage', '/v5/market/time', '/v5/market/instruments-info', '/v5/nothing'],
    inShape: ({ body }) => {
      const value = parse(body);
      return isObject(value) && typeof value.retCode === 'number' && typeof value.retMsg === 'string';
    },
  },
  {
    name: 'KuCoin futures', prefix: '/kucoin-futures',
    paths: ['/api/v1/orders', '/api/v1/orders/abc', '/api/v1/position', '/api/v1/account-overview', '/api/v1/bullet-private', '/api/v1/contracts/active', '/api/v1/timestamp', '/api/v1/nothing'],
    inShape: ({ body }) => {
      const value = parse(body);
      return isObject(value) && typeof value.code === 'string' && (value.code === '200000' ? 'data' in value : typeof value.msg === 'string');
    },
  },
  {
    name: 'KuCoin spot', prefix: '/kucoin-spot',
    paths: ['/api/v1/bullet-private', '/api/v2/bullet-private', '/api/v1/accounts', '/api/v2/user-info', '/api/v1/nothing'],
    inShape: ({ body }) => {
      const value = parse(body);
      return isObject(value) && typeof value.code === 'string' && (value.code === '200000' ? 'data' in value : typeof value.msg === 'string');
    },
  },
  {
    name: 'Admin', prefix: '/admin/v1',
    paths: ['/accounts', '/deposit', '/withdraw', '/mark-price', '/prices/btc_usdt', '/status', '/symbols', '/nothing'],
    inShape: ({ status, body }) => {
      const value = parse(body);
      if (status >= 200 && status < 300) return value !== undefined;
      return isObject(value) && typeof value.error === 'string';
    },
  },
  {
    // XT last: it serves the root, so every other path falls to it.
    name: 'XT', prefix: '',
    paths: ['/future/trade/v1/order/create', '/future/trade/v1/order/detail', '/future/user/v1/balance/list', '/future/user/v1/position/margin', '/future/user/v1/user/listen-key', '/future/market/v1/public/symbol/list', '/future/market/v1/public/symbol/detail', '/v4/public/symbol', '/nothing/at/all'],
    inShape: ({ body }) => {
      const value = parse(body);
      if (!isObject(value)) return false;
      if ('returnCode' in value) return (value.returnCode === 0 || value.returnCode === 1) && 'error' in value && 'result' in value;
      return 'rc' in value && 'mc' in value; // XT's spot-style public envelope (/v4/public/...)
    },
  },
];

const PIECES = ['%', '%%', '%zz', '%E0%A4%A', '%00', '%2F', '%FF%FE', '%C0%AF', '..', '~', ';', 'a', '=', '&', '+', '%20'];

function mangled(random: Rng): string {
  return Array.from({ length: random.int(1, 5) }, () => random.pick(PIECES)).join('');
}

function randomJsonText(random: Rng): string {
  return random.pick(['null', '[]', '[null]', '123', '"x"', 'true', '{}', '{"symbol":null}', '{"symbol":{}}', '{"quantity":[1]}',
    '{"price":"1e999"}', '{"clientOrderId":{"a":1}}', '{"__proto__":{"a":1}}', '{', '{"a":', '\u0000', '"\ud800"',
    `{"orderQty":"${'9'.repeat(random.int(1, 80))}"}`, `{"size":${random.int(-5, 5)}.5}`]);
}

function randomHeaders(random: Rng, apiKey: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const contentType = random.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', '']);
  if (contentType !== '') headers['content-type'] = contentType;
  if (random.chance(0.5)) {
    // Credentials of every dialect, all made up or mangled.
    // A real API key half the time, so the signature checks behind the key lookup are reached too.
    const key = random.chance(0.5) ? apiKey : 'nokey';
    headers['x-mbx-apikey'] = key;
    headers['x-bapi-api-key'] = key;
    headers['x-bapi-sign'] = mangled(random);
    headers['x-bapi-timestamp'] = random.pick([String(Date.now()), '-1', '1e99', 'x', '']);
    headers['kc-api-key'] = key;
    headers['kc-api-sign'] = mangled(random);
    headers['kc-api-timestamp'] = String(Date.now());
    headers['kc-api-passphrase'] = 'x';
    headers['validate-appkey'] = key;
    headers['validate-timestamp'] = String(Date.now());
    headers['validate-signature'] = mangled(random);
  }
  if (random.chance(0.3)) headers.authorization = random.pick(['Bearer x', 'Bearer', 'Basic %%', `Bearer ${ADMIN_TOKEN}x`]);
  return headers;
}

describe('front-door decoding under hostile input', () => {
  let harness: Harness;
  let apiKey: string;
  before(async () => {
    harness = await Harness.start();
    apiKey = (await harness.admin.createAccount()).apiKey;
  });
  after(() => harness.stop());

  const dialectOf = (path: string): (typeof DIALECTS)[number] => DIALECTS.find((d) => d.prefix === '' || path === d.prefix || path.startsWith(`${d.prefix}/`) || path.startsWith(`${d.prefix}?`))!;

  async function check(method: string, path: string, headers: Record<string, string>, body?: string, seed?: number): Promise<void> {
    const dialect = dialectOf(path);
    const what = `${seed === undefined ? '' : `seed ${seed}: `}${method} ${path.slice(0, 120)} ${JSON.stringify(headers['content-type'] ?? '')} ${(body ?? '').slice(0, 60)}`;
    let answer: Answer;
    try {
      answer = await send(harness.server.port, method, path, headers, body);
    } catch (error) {
      throw new Error(`${what}: no HTTP answer (${(error as Error).message})`);
    }
    assert.ok(answer.status < 500, `${what} → ${answer.status} ${answer.body.slice(0, 200)}`);
    assert.ok(dialect.inShape(answer), `${what} → ${answer.status}, not in ${dialect.name}'s shape: ${answer.body.slice(0, 200)}`);
  }

  test('malformed percent-encoding in signatures and form bodies (Binance) is a 400 in Binance shape, never a 500', async () => {
    for (const signature of ['%zz', '%E0%A4%A', '%', 'abc%']) {
      await check('GET', `/binance/fapi/v2/account?timestamp=${Date.now()}&signature=${signature}`, { 'x-mbx-apikey': apiKey });
      await check('POST', '/binance/fapi/v1/order', { 'x-mbx-apikey': apiKey, 'content-type': 'application/x-www-form-urlencoded' }, `symbol=BTCUSDT&timestamp=${Date.now()}&signature=${signature}`);
    }
  });

  test('over-long URLs, headers and path parameters are answered in the shape of the dialect under whose prefix they are', async () => {
    for (const dialect of DIALECTS) {
      const base = `${dialect.prefix}${dialect.paths[0]!}`;
      await check('GET', `${base}?x=${'a'.repeat(20_000)}`, {});
      await check('GET', base, { 'x-filler': 'b'.repeat(20_000) });
      await check('POST', base, { 'content-type': 'application/json' }, `{"x":"${'c'.repeat(70 * 1024)}"}`);
      await check('POST', base, { 'content-type': 'application/xml' }, '<x/>');
    }
    await check('GET', `/kucoin-futures/api/v1/orders/${'d'.repeat(200)}`, {});
    await check('DELETE', `/kucoin-futures/api/v1/orders/${'d'.repeat(200)}`, {});
  });

  test('seeded fuzz over every dialect: paths, queries, bodies, content types and credentials', async () => {
    const seed = seedFrom('REST_FUZZ');
    const random = rng(seed);
    const before = harness.server.exchange.engine.cmdSeq;
    for (let i = 0; i < 600; i++) {
      const dialect = DIALECTS[i % DIALECTS.length]!;
      let path = `${dialect.prefix}${random.pick(dialect.paths)}`;
      if (random.chance(0.3)) path += `/${mangled(random)}`;
      if (random.chance(0.7)) path += `?${Array.from({ length: random.int(1, 4) }, () => `${random.pick(['symbol', 'signature', 'timestamp', 'price', mangled(random)])}=${mangled(random)}`).join('&')}`;
      const method = random.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
      const headers = randomHeaders(random, apiKey);
      const body = method === 'GET' || method === 'OPTIONS' || method === 'DELETE' ? undefined
        : headers['content-type'] === 'application/x-www-form-urlencoded' ? `${mangled(random)}=${mangled(random)}&signature=${mangled(random)}` : randomJsonText(random);
      await check(method, path, headers, body, seed);
    }
    assert.equal(harness.server.exchange.engine.cmdSeq, before, `seed ${seed}: no command reached the engine`);
    // Still serving.
    assert.equal((await fetch(`${harness.server.url}/future/market/v1/public/symbol/list`)).status, 200);
  });
});
