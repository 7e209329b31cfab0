/**
 * Rate-limit emulation (src/ratelimit/) through a real server with a hand-driven clock: each
 * exchange's weights, windows, headers, errors and bans, stepping over windows instead of waiting.
 * Requests carry a real account's API key in the exchange's own header; the limits are judged before
 * authentication (as at the exchanges' gateways), so an unsigned request is counted and then refused
 * by the front door for its signature, which is all these tests need.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(harness: Harness, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${harness.server.url}${path}`, { method, headers });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, unknown> };
}

/** Starts a clock at `offsetMs` into a minute, so the windows a test fills do not roll over under it. */
function clockAt(offsetMs: number): ManualTime {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  return new ManualTime(minute + offsetMs);
}

describe('rate limits are off by default', () => {
  test('no exchange answers with rate-limit headers or refuses for volume', async () => {
    const harness = await Harness.start();
    try {
      const answer = await call(harness, 'GET', '/binance/fapi/v1/depth?symbol=BTCUSDT&limit=1000');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('x-mbx-used-weight-1m'), null);
      const info = await call(harness, 'GET', '/binance/fapi/v1/exchangeInfo');
      assert.deepEqual(info.body.rateLimits, [], 'exchangeInfo states no limit when none is enforced');
    } finally {
      await harness.stop();
    }
  });
});

describe('rate limits (server.rateLimits on)', () => {
  let harness: Harness;
  let time: ManualTime;
  let apiKey: string;
  before(async () => {
    time = clockAt(1_000);
    harness = await Harness.start({ rateLimits: true, clock: time, timers: time });
    apiKey = (await harness.created('1000')).apiKey;
  });
  after(() => harness.stop());

  test('Binance: IP weight per minute by endpoint, 429 -1003 with Retry-After, then a 418 ban that grows; ccxt sees DDoSProtection', async () => {
    const depth = (limit: number) => call(harness, 'GET', `/binance/fapi/v1/depth?symbol=BTCUSDT&limit=${limit}`);
    assert.equal((await depth(5)).headers.get('x-mbx-used-weight-1m'), '2', 'depth limit 5 weighs 2');
    assert.equal((await depth(1000)).headers.get('x-mbx-used-weight-1m'), '22', 'depth limit 1000 weighs 20');
    const time1 = await call(harness, 'GET', '/binance/fapi/v1/time');
    assert.equal(time1.headers.get('x-mbx-used-weight-1m'), '23', 'time weighs 1');
    for (let used = 23; used + 20 <= 2400; used += 20) assert.equal((await depth(1000)).status, 200);
    const over = await depth(1000);
    assert.equal(over.status, 429);
    assert.deepEqual(over.body, { code: -1003, msg: `Too many requests; current limit of IP(${'127.0.0.1'}) is 2400 requests per minute. Please use the websocket for live updates to avoid using polling API.` });
    assert.equal(over.headers.get('retry-after'), '59', 'seconds to the end of the minute');
    const banned = await call(harness, 'GET', '/binance/fapi/v1/time');
    assert.equal(banned.status, 418, 'sending on after a 429 bans the IP');
    assert.equal(banned.body.code, -1003);
    assert.equal(banned.headers.get('retry-after'), '120', 'the first ban lasts 2 minutes');
    const client = new ccxt.binanceusdm({ enableRateLimit: false });
    client.urls.api = Object.fromEntries(Object.keys(client.urls.api as Record<string, string>).map((k) => [k, `${harness.server.url}/binance/fapi/v1`]));
    await assert.rejects(client.fapiPublicGetTime(), (error: unknown) => error instanceof ccxt.DDoSProtection, 'ccxt maps the ban to DDoSProtection');
    await time.advance(120_000);
    const back = await call(harness, 'GET', '/binance/fapi/v1/time');
    assert.equal(back.status, 200, 'the ban ended with a new minute');
    assert.equal(back.headers.get('x-mbx-used-weight-1m'), '1');
  });

  test('Binance: exchangeInfo states the limits enforced (fapi with its 10-second order limit, dapi without)', async () => {
    await time.advance(60_000 - (time.now() % 60_000) + 1_000);
    const fapi = await call(harness, 'GET', '/binance/fapi/v1/exchangeInfo');
    assert.deepEqual(fapi.body.rateLimits, [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ]);
    const dapi = await call(harness, 'GET', '/binance/dapi/v1/exchangeInfo');
    assert.deepEqual((dapi.body.rateLimits as { rateLimitType: string }[]).map((r) => r.rateLimitType), ['REQUEST_WEIGHT', 'ORDERS']);
  });

  test('Binance: order counts per account (10 s and 1 min) in headers, 429 -1015 over 300 per 10 s; exchangeInfo is not an order', async () => {
    await time.advance(60_000 - (time.now() % 60_000) + 1_000);
    const order = () => call(harness, 'POST', '/binance/fapi/v1/order?symbol=BTCUSDT', { 'X-MBX-APIKEY': apiKey });
    const first = await order();
    assert.equal(first.headers.get('x-mbx-order-count-10s'), '1');
    assert.equal(first.headers.get('x-mbx-order-count-1m'), '1');
    assert.equal(first.headers.get('x-mbx-used-weight-1m'), '0', 'placing an order weighs 0 on the IP limit');
    for (let n = 2; n <= 300; n++) await order();
    const over = await order();
    assert.equal(over.status, 429);
    assert.deepEqual(over.body, { code: -1015, msg: 'Too many new orders; current limit is 300 orders per TEN_SECONDS.' });
    await time.advance(10_000);
    assert.equal((await order()).headers.get('x-mbx-order-count-10s'), '1', 'a new 10-second window');
  });

  test('Bybit: per account and endpoint per second, X-Bapi-Limit headers, retCode 10006 over it; public endpoints carry none', async () => {
    await time.advance(1000 - (time.now() % 1000));
    const create = () => call(harness, 'POST', '/bybit/v5/order/create', { 'X-BAPI-API-KEY': apiKey });
    for (let n = 1; n <= 10; n++) {
      const answer = await create();
      assert.equal(answer.headers.get('x-bapi-limit'), '10');
      assert.equal(answer.headers.get('x-bapi-limit-status'), String(10 - n));
    }
    const over = await create();
    assert.equal(over.status, 200, 'Bybit answers its API limit with HTTP 200');
    assert.equal(over.body.retCode, 10006);
    assert.equal(over.body.retMsg, 'Too many visits!');
    assert.equal(over.headers.get('x-bapi-limit-reset-timestamp'), String(time.now() - (time.now() % 1000) + 1000));
    const list = await call(harness, 'GET', '/bybit/v5/position/list?category=linear', { 'X-BAPI-API-KEY': apiKey });
    assert.equal(list.headers.get('x-bapi-limit'), '50', 'another endpoint has its own limit');
    assert.equal((await call(harness, 'GET', '/bybit/v5/market/time')).headers.get('x-bapi-limit'), null);
    await time.advance(1000);
    assert.equal((await create()).headers.get('x-bapi-limit-status'), '9', 'a new second');
  });

  test('KuCoin: weights drawn from the account\'s Futures pool (2000 per 30 s) or the IP\'s Public pool, 429000 over it', async () => {
    await time.advance(30_000 - (time.now() % 30_000));
    const overview = () => call(harness, 'GET', '/kucoin-futures/api/v1/account-overview?currency=USDT', { 'KC-API-KEY': apiKey });
    const first = await overview();
    assert.equal(first.headers.get('gw-ratelimit-limit'), '2000');
    assert.equal(first.headers.get('gw-ratelimit-remaining'), '1995', 'account-overview weighs 5');
    assert.equal(first.headers.get('gw-ratelimit-reset'), '30000');
    const open = await call(harness, 'GET', '/kucoin-futures/api/v1/timestamp');
    assert.equal(open.headers.get('gw-ratelimit-remaining'), '1998', 'a public request draws on the IP\'s pool');
    for (let n = 2; n <= 400; n++) await overview();
    const over = await overview();
    assert.equal(over.status, 429);
    assert.equal(over.body.code, '429000');
    assert.equal(over.headers.get('gw-ratelimit-remaining'), '0');
    await time.advance(30_000);
    assert.equal((await overview()).status !== 429, true, 'the pool refills');
  });

  test('XT: 10 per second per account (3 for balances), over it the account is locked 10 minutes with HTTP 429', async () => {
    await time.advance(1000 - (time.now() % 1000));
    const balance = () => call(harness, 'GET', '/future/user/v1/balance/list', { 'validate-appkey': apiKey });
    for (let n = 1; n <= 3; n++) assert.notEqual((await balance()).status, 429);
    const over = await balance();
    assert.equal(over.status, 429);
    assert.equal((over.body.error as { code: string }).code, 'TOO_MANY_REQUESTS');
    await time.advance(1000);
    assert.equal((await call(harness, 'GET', '/future/trade/v1/order/list', { 'validate-appkey': apiKey })).status, 429, 'still locked the next second');
    assert.notEqual((await call(harness, 'GET', '/dapi/future/user/v1/balance/list', { 'validate-appkey': apiKey })).status, 429, 'the Coin-M host counts apart');
    await time.advance(10 * 60_000);
    assert.notEqual((await balance()).status, 429, 'unlocked after 10 minutes');
    assert.notEqual((await call(harness, 'GET', '/admin/v1/prices', { authorization: 'Bearer x' })).status, 429, 'the operator API is never limited');
  });

  test('every refusal is counted in the metrics by dialect and limit', async () => {
    const metrics = await (await fetch(`${harness.server.url}/metrics`)).text();
    for (const [dialect, limit] of [['binance', 'REQUEST_WEIGHT'], ['binance', 'IP_BAN'], ['binance', 'ORDERS'], ['bybit', 'UID'], ['kucoin', 'ACCOUNT'], ['xt', 'ACCOUNT']]) {
      assert.match(metrics, new RegExp(`perpstream_rate_limited_total\\{dialect="${dialect}",limit="${limit}"\\} [1-9]`), `${dialect} ${limit}`);
    }
  });
});
