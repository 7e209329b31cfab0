/**
 * The one request-parameter reader (issue 11, item 7): every front door refuses malformed input the
 * same strict way, each in its own words. The reader's rules unit by unit, then the same malformed
 * values sent to each dialect over real HTTP, each refused in that dialect's shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  optionalChoice, optionalFlag, optionalText, optionalWholeNumber, requiredText, type ParamErrors,
} from '../../src/dialects/param-reader.js';
import { ADMIN_TOKEN, Harness } from '../support/harness.js';
import { BinanceRest } from '../binance/client.js';
import { BybitRest } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { XtClient } from '../support/xt-client.js';

class Refused extends Error {
  constructor(readonly kind: 'missing' | 'malformed', message: string) {
    super(message);
  }
}
const errors: ParamErrors = {
  missing: (name, hint) => new Refused('missing', `${name}${hint}`),
  malformed: (_name, problem) => new Refused('malformed', problem),
};
const refusal = (read: () => unknown): string => {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof Refused, String(error));
    return error.kind;
  }
  return 'accepted';
};

describe('the parameter reader', () => {
  test('absent: undefined, null and the empty string; a required one is "missing"', () => {
    for (const value of [undefined, null, '']) {
      assert.equal(optionalText({ x: value }, 'x', errors), undefined);
      assert.equal(refusal(() => requiredText({ x: value }, 'x', errors)), 'missing');
    }
  });

  test('strings: text and numbers within 2^53 as their text; booleans, objects, arrays, larger numbers and text with blanks around it or control characters refused', () => {
    assert.equal(optionalText({ x: 'a' }, 'x', errors), 'a');
    assert.equal(optionalText({ x: 'a b' }, 'x', errors), 'a b');
    assert.equal(optionalText({ x: 12.5 }, 'x', errors), '12.5');
    assert.equal(optionalText({ x: -3 }, 'x', errors), '-3');
    for (const value of [true, false, {}, [], [1], { a: 1 }, 2 ** 60, -(2 ** 60), ' 1', '1 ', '\t1', '1\n', 'a\u0000b', '\u00a01']) {
      assert.equal(refusal(() => optionalText({ x: value }, 'x', errors)), 'malformed', JSON.stringify(value));
    }
  });

  test('whole numbers: digits with an optional minus, or a safe-integer JSON number, within the bounds', () => {
    assert.equal(optionalWholeNumber({ x: '42' }, 'x', 0, 100, errors), 42);
    assert.equal(optionalWholeNumber({ x: 42 }, 'x', 0, 100, errors), 42);
    assert.equal(optionalWholeNumber({ x: '-5' }, 'x', -10, 10, errors), -5);
    for (const value of ['-1', '101', '1.5', 1.5, '1e3', '+1', ' 1', '1 ', '0x10', '١٢', 'NaN', true, [1], {}, '99999999999999999999']) {
      assert.equal(refusal(() => optionalWholeNumber({ x: value }, 'x', 0, 100, errors)), 'malformed', JSON.stringify(value));
    }
  });

  test('flags: true and false in any case, JSON or text; anything else refused', () => {
    assert.equal(optionalFlag({ x: 'TRUE' }, 'x', errors), true);
    assert.equal(optionalFlag({ x: false }, 'x', errors), false);
    for (const value of ['yes', '1', 1, 0, 'tru', {}]) assert.equal(refusal(() => optionalFlag({ x: value }, 'x', errors)), 'malformed', JSON.stringify(value));
  });

  test('choices: after the front door\'s normalisation, one of the allowed values', () => {
    assert.equal(optionalChoice({ x: 'buy' }, 'x', ['BUY', 'SELL'], errors, (t) => t.toUpperCase()), 'BUY');
    assert.equal(refusal(() => optionalChoice({ x: 'buy' }, 'x', ['BUY', 'SELL'], errors)), 'malformed');
    assert.equal(refusal(() => optionalChoice({ x: ['BUY'] }, 'x', ['BUY', 'SELL'], errors)), 'malformed');
  });
});

describe('every front door refuses the same malformed values, each in its own shape', () => {
  let harness: Harness;
  let xt: XtClient;
  let binance: BinanceRest;
  let bybit: BybitRest;
  let kucoin: KucoinRest;
  before(async () => {
    harness = await Harness.start();
    const account = await harness.admin.createAccount();
    xt = new XtClient(harness.server.url, account.apiKey, account.secret);
    binance = new BinanceRest(harness.server.url, account.apiKey, account.secret);
    bybit = new BybitRest(harness.server.url, account.apiKey, account.secret);
    kucoin = new KucoinRest(harness.server.url, account.apiKey, account.secret, account.passphrase);
  });
  after(() => harness.stop());

  // A page size / limit in each dialect's order history: a negative, a fraction, an exponent, text.
  for (const bad of ['-1', '1.5', '1e3', 'ten']) {
    test(`limit ${bad}`, async () => {
      const before = harness.server.exchange.engine.cmdSeq;
      const x = await xt.get('/future/trade/v1/order/list', { symbol: 'btc_usdt', size: bad });
      assert.equal(x.returnCode, 1, JSON.stringify(x));
      assert.equal((x.error as { code: string }).code, 'COMMON_003');
      const b = await binance.signed('GET', '/fapi/v1/allOrders', { symbol: 'BTCUSDT', limit: bad });
      assert.equal(b.status, 400, JSON.stringify(b.body));
      assert.equal((b.body as { code: number }).code, -1100);
      const y = await bybit.get('/v5/order/realtime', { category: 'linear', limit: bad });
      assert.equal(y.retCode, 10001, JSON.stringify(y));
      const k = await kucoin.get('/api/v1/orders', { status: 'done', pageSize: bad });
      assert.equal(k.body.code, '400100', k.text);
      assert.equal(harness.server.exchange.engine.cmdSeq, before);
    });
  }

  test('the admin API reads its fields the same way: {"error"} with what to send', async () => {
    const account = await harness.admin.createAccount();
    for (const accountId of [-1, 1.5, '1e3', 'one', [1]]) {
      const reply = await fetch(`${harness.server.url}/admin/v1/deposit`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ accountId, asset: 'USDT', amount: '1' }),
      });
      assert.equal(reply.status, 400, JSON.stringify(accountId));
      assert.match(((await reply.json()) as { error: string }).error, /"accountId" is malformed: accountId must be (a whole number|between)/);
    }
    const number = await fetch(`${harness.server.url}/admin/v1/deposit`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId: account.accountId, asset: 'USDT', amount: 100 }),
    });
    assert.equal(number.status, 400);
    assert.match(((await number.json()) as { error: string }).error, /"amount" is malformed: send it as a JSON string/);
  });
});
