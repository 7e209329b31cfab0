/**
 * Bybit's documented HMAC signing variants (issue 11, item 1), over real HTTP: the X-BAPI-SIGN-TYPE
 * "2" header that Bybit's own samples and clients send with an HMAC signature, the optional receive
 * window (in the signed text only when its header is sent), the query string of a GET and the JSON
 * body of a POST, the window's bounds, and what is really refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { restPayload, sign } from '../../src/dialects/bybit/auth.js';
import { BybitFixture, type BybitAccount } from './client.js';

type Envelope = { retCode: number; retMsg: string; result: Record<string, unknown> };

describe('Bybit signing variants', () => {
  let f: BybitFixture;
  let account: BybitAccount;
  before(async () => {
    f = await BybitFixture.start();
    account = await f.account('1000');
  });
  after(() => f.stop());

  /** A signed request built by hand: `recvWindow` undefined sends no header (and signs none). */
  async function call(method: 'GET' | 'POST', path: string, params: Record<string, string>, options: { signType?: string; recvWindow?: string; signedRecvWindow?: string; timestamp?: number } = {}): Promise<Envelope> {
    const timestamp = String(options.timestamp ?? Date.now());
    const rawQuery = method === 'GET' ? new URLSearchParams(params).toString() : '';
    const rawBody = method === 'POST' ? JSON.stringify(params) : '';
    const signed = 'signedRecvWindow' in options ? options.signedRecvWindow : options.recvWindow;
    const headers: Record<string, string> = {
      'X-BAPI-API-KEY': account.apiKey,
      'X-BAPI-TIMESTAMP': timestamp,
      'X-BAPI-SIGN': sign(account.secret, restPayload(timestamp, account.apiKey, signed, { method, rawQuery, rawBody })),
      'content-type': 'application/json',
    };
    if (options.recvWindow !== undefined) headers['X-BAPI-RECV-WINDOW'] = options.recvWindow;
    if (options.signType !== undefined) headers['X-BAPI-SIGN-TYPE'] = options.signType;
    const response = await fetch(`${f.server.url}/bybit${path}${rawQuery === '' ? '' : `?${rawQuery}`}`, { method, headers, body: method === 'POST' ? rawBody : undefined });
    return (await response.json()) as Envelope;
  }

  const wallet = { accountType: 'UNIFIED' };
  const order = (linkId: string): Record<string, string> => ({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '50000', orderLinkId: linkId });

  test('X-BAPI-SIGN-TYPE 2 with an HMAC signature works for a GET (query) and a POST (JSON body)', async () => {
    const get = await call('GET', '/v5/account/wallet-balance', wallet, { signType: '2', recvWindow: '5000' });
    assert.equal(get.retCode, 0, get.retMsg);
    const post = await call('POST', '/v5/order/create', order('sign-type-2'), { signType: '2', recvWindow: '5000' });
    assert.equal(post.retCode, 0, post.retMsg);
    assert.ok(f.server.exchange.engine.account(account.accountId)!.view.orders.some((o) => o.clientOrderId === 'sign-type-2'));
  });

  test('without X-BAPI-RECV-WINDOW the signed text has no receive window (5,000 ms applies)', async () => {
    const get = await call('GET', '/v5/account/wallet-balance', wallet, { signType: '2' });
    assert.equal(get.retCode, 0, get.retMsg);
    const post = await call('POST', '/v5/order/create', order('no-window'), {});
    assert.equal(post.retCode, 0, post.retMsg);
    // Signing a window that was not sent is a different text: refused.
    const wrong = await call('GET', '/v5/account/wallet-balance', wallet, { signedRecvWindow: '5000' });
    assert.equal(wrong.retCode, 10004, wrong.retMsg);
    // The default window still bounds the timestamp.
    const old = await call('GET', '/v5/account/wallet-balance', wallet, { timestamp: Date.now() - 6_000 });
    assert.equal(old.retCode, 10002, old.retMsg);
  });

  test('the receive window: up to 60,000 ms; 0, negative, fractional, text or larger refused with 10001', async () => {
    const wide = await call('GET', '/v5/account/wallet-balance', wallet, { recvWindow: '60000', timestamp: Date.now() - 30_000 });
    assert.equal(wide.retCode, 0, wide.retMsg);
    for (const recvWindow of ['0', '-5', '1.5', 'abc', '60001']) {
      const reply = await call('GET', '/v5/account/wallet-balance', wallet, { recvWindow });
      assert.equal(reply.retCode, 10001, `${recvWindow}: ${reply.retMsg}`);
    }
  });

  test('a sign type other than 2 is refused with 10004 and places nothing', async () => {
    const before = f.server.exchange.engine.cmdSeq;
    for (const signType of ['1', 'RSA', '']) {
      const reply = await call('POST', '/v5/order/create', order(`type-${signType}`), { signType, recvWindow: '5000' });
      assert.equal(reply.retCode, 10004, `${signType}: ${reply.retMsg}`);
      assert.match(reply.retMsg, /X-BAPI-SIGN-TYPE/);
    }
    assert.equal(f.server.exchange.engine.cmdSeq, before);
  });
});
