/**
 * Issue 10, item 7: refused input never reaches the engine or the journal. Every dialect's front
 * door checks lengths, ranges and formats itself; a refused request answers in the dialect's own
 * error shape, says what is wrong and what to send, and writes nothing: the engine's command
 * sequence and the journal (a data-dir server, so every command the engine sees is fsynced) are
 * exactly as before. Real HTTP against a started server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { BinanceRest, type Json } from '../binance/client.js';
import { BybitRest } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { Harness } from '../support/harness.js';
import { XtClient, type AdminClient } from '../support/xt-client.js';

/** The example: a client order id of 60,000 characters. */
const HUGE_ID = 'x'.repeat(60_000);
/** The example: a margin amount of 10^19. */
const HUGE_AMOUNT = '10000000000000000000';
/** A number of 60,000 digits: no message may repeat it whole. */
const HUGE_NUMBER = '9'.repeat(60_000);

let harness: Harness;
let server: RunningServer;
let dataDir: string;
let admin: AdminClient;
let xt: XtClient;
let binance: BinanceRest;
let bybit: BybitRest;
let kucoin: KucoinRest;

interface Written { cmdSeq: number; records: number; batches: number; journalBytes: number }

/** What the server has sequenced and journaled so far (engine, admin status counters, journal files). */
async function written(): Promise<Written> {
  const status = await admin.request<{ journal: { batches: number; records: number } | null }>('GET', '/status');
  assert.equal(status.status, 200);
  assert.ok(status.body.journal !== null, 'a data-dir server reports its journal');
  const dir = join(dataDir, 'journal');
  const journalBytes = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  return { cmdSeq: server.exchange.engine.cmdSeq, records: status.body.journal.records, batches: status.body.journal.batches, journalBytes };
}

/** Sends a request that must be refused, and checks that it wrote nothing. */
async function refused<T>(send: () => Promise<T>): Promise<T> {
  const before = await written();
  const reply = await send();
  assert.deepEqual(await written(), before, 'a refused request must not reach the engine or the journal');
  return reply;
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'perpstream-validation-'));
  harness = await Harness.start({ dataDir });
  ({ server, admin } = harness);
  // One account, watched through every dialect (one API key works in all four); hedge mode (the default).
  const account = await harness.created('10000');
  xt = new XtClient(server.url, account.apiKey, account.secret);
  binance = new BinanceRest(server.url, account.apiKey, account.secret);
  bybit = new BybitRest(server.url, account.apiKey, account.secret);
  kucoin = new KucoinRest(server.url, account.apiKey, account.secret, account.passphrase);
});

after(async () => {
  await harness.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('XT refuses at the front door', () => {
  const order = (overrides: Record<string, unknown>) => xt.post('/future/trade/v1/order/create', {
    symbol: 'btc_usdt', orderSide: 'BUY', orderType: 'LIMIT', origQty: '1', price: '60000', positionSide: 'LONG', ...overrides,
  });
  const expectError = async (send: () => Promise<{ returnCode: number; error: { code: string; msg: string } | null }>, code: string, msg: RegExp) => {
    const reply = await refused(send);
    assert.equal(reply.returnCode, 1, JSON.stringify(reply).slice(0, 300));
    assert.equal(reply.error?.code, code, reply.error?.msg);
    assert.match(reply.error!.msg, msg);
    assert.ok(reply.error!.msg.length < 300, 'the message does not echo the input');
  };

  it('a 60,000-character clientOrderId, and one with characters outside the rule', async () => {
    await expectError(() => order({ clientOrderId: HUGE_ID }), 'COMMON_003', /clientOrderId is 60000 characters long: send 1 to 36 characters of A-Z a-z 0-9 _ \. : -/);
    await expectError(() => order({ clientOrderId: 'a b' }), 'COMMON_003', /clientOrderId contains " ": send 1 to 36 characters/);
  });

  it('a negative, a fractional and an absurd quantity', async () => {
    for (const origQty of ['-1', '1.5', '1000000000000000000000', HUGE_NUMBER]) {
      await expectError(() => order({ origQty }), 'ORDER_001', /origQty must be a whole number of contracts from 1 to 1000000/);
    }
  });

  it('an absurd, a negative, an off-tick and a malformed price', async () => {
    await expectError(() => order({ price: '100000000000' }), 'ORDER_001', /price is above the highest price 10000000: send a price from 0\.1 to 10000000 in steps of 0\.1/);
    await expectError(() => order({ price: '-5' }), 'ORDER_001', /price must be positive/);
    await expectError(() => order({ price: '60000.05' }), 'ORDER_001', /price is not a multiple of the tick size 0\.1/);
    await expectError(() => order({ price: '1e30' }), 'ORDER_001', /price is not a decimal number/);
  });

  it('an absurd leverage', async () => {
    for (const leverage of [HUGE_AMOUNT, '0', '-3', '2.5']) {
      await expectError(() => xt.post('/future/user/v1/position/adjust-leverage', { symbol: 'btc_usdt', positionSide: 'LONG', leverage }),
        'COMMON_003', /leverage must be/);
    }
  });

  it('a 10^19 margin amount, a negative one and one with too many decimals', async () => {
    const margin = (amount: string) => xt.post('/future/user/v1/position/margin', { symbol: 'btc_usdt', positionSide: 'LONG', type: 'ADD', margin: amount });
    await expectError(() => margin(HUGE_AMOUNT), 'invalid_margin', /margin is more than a position of this symbol can ever hold .*: send a positive decimal with at most 8 decimal places, up to 10000000000 USDT/);
    await expectError(() => margin('-5'), 'invalid_margin', /margin must be positive/);
    await expectError(() => margin('1.123456789'), 'invalid_margin', /at most 8 decimal places/);
  });
});

describe('Binance refuses at the front door', () => {
  const order = (overrides: Record<string, string>) => binance.signed<Json>('POST', '/fapi/v1/order', {
    symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', positionSide: 'LONG', quantity: '0.001', price: '60000', ...overrides,
  });
  const expectError = async (send: () => Promise<{ status: number; body: Json }>, code: number, msg: RegExp) => {
    const reply = await refused(send);
    assert.equal(reply.status, 400, JSON.stringify(reply.body).slice(0, 300));
    assert.equal(reply.body.code, code, String(reply.body.msg));
    assert.match(String(reply.body.msg), msg);
    assert.ok(String(reply.body.msg).length < 300, 'the message does not echo the input');
  };

  it('a 60,000-character newClientOrderId (still) and a character Binance does not allow; a "/" Binance allows is accepted', async () => {
    await expectError(() => order({ newClientOrderId: HUGE_ID }), -1100, /parameter 'newClientOrderId'; newClientOrderId is 60000 characters long: send 1 to 36 characters/);
    await expectError(() => order({ newClientOrderId: 'a#b' }), -1100, /newClientOrderId contains "#"/);
    const accepted = await order({ newClientOrderId: 'bot/1:a.b' });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.clientOrderId, 'bot/1:a.b');
  });

  it('an over-long origClientOrderId on cancel', async () => {
    await expectError(() => binance.signed<Json>('DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'y'.repeat(5_000) }),
      -1100, /origClientOrderId is 5000 characters long/);
  });

  it('a negative, a fractional and an absurd quantity', async () => {
    await expectError(() => order({ quantity: '-1' }), -4003, /Quantity less than or equal to zero/);
    await expectError(() => order({ quantity: '0.00015' }), -1111, /multiple of 0\.0001/);
    await expectError(() => order({ quantity: '1000000' }), -4005, /Quantity greater than max quantity: send at most 100(\.0+)? \(LOT_SIZE maxQty\)/);
    await expectError(() => order({ quantity: HUGE_NUMBER }), -4005, /Quantity greater than max quantity/);
  });

  it('an absurd, a negative, an off-tick and a malformed price', async () => {
    await expectError(() => order({ price: '100000000000' }), -4002, /Price greater than max price: price is above the highest price 10000000/);
    await expectError(() => order({ price: '-5' }), -4001, /Price less than or equal to zero/);
    await expectError(() => order({ price: '60000.05' }), -4014, /tick size 0\.1/);
    await expectError(() => order({ price: '1e30' }), -1100, /parameter 'price'; price is not a decimal number: send a price from 0\.1 to 10000000/);
  });

  it('an absurd leverage', async () => {
    await expectError(() => binance.signed<Json>('POST', '/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: HUGE_AMOUNT }), -4028, /Leverage .* is not valid/);
  });

  it('a 10^19 margin amount, a negative one and one with too many decimals', async () => {
    const margin = (amount: string) => binance.signed<Json>('POST', '/fapi/v1/positionMargin', { symbol: 'BTCUSDT', positionSide: 'LONG', type: 1, amount });
    await expectError(() => margin(HUGE_AMOUNT), -1130, /Data sent for parameter 'amount' is not valid: amount is more than a position of this symbol can ever hold .*up to 10000000000 USDT/);
    await expectError(() => margin('-5'), -1100, /amount must be positive/);
    await expectError(() => margin('1.123456789'), -1100, /at most 8 decimal places/);
  });
});

describe('Bybit refuses at the front door', () => {
  const order = (overrides: Record<string, unknown>) => bybit.post('/v5/order/create', {
    category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '60000', positionIdx: 1, ...overrides,
  });
  const expectError = async (send: () => Promise<{ retCode: number; retMsg: string }>, code: number, msg: RegExp) => {
    const reply = await refused(send);
    assert.equal(reply.retCode, code, reply.retMsg.slice(0, 300));
    assert.match(reply.retMsg, msg);
    assert.ok(reply.retMsg.length < 300, 'the message does not echo the input');
  };

  it('a 60,000-character orderLinkId, and one with characters Bybit does not allow', async () => {
    await expectError(() => order({ orderLinkId: HUGE_ID }), 10001, /params error: orderLinkId is 60000 characters long: send 1 to 36 characters of A-Z a-z 0-9 _ -/);
    await expectError(() => order({ orderLinkId: 'a.b' }), 10001, /orderLinkId contains "\.": send 1 to 36 characters/);
  });

  it('a negative, a fractional and an absurd quantity', async () => {
    for (const qty of ['-0.001', '0.00015', HUGE_AMOUNT, HUGE_NUMBER]) {
      await expectError(() => order({ qty }), 10001, /send a multiple of the qtyStep 0\.0001 from 0\.0001 to 100\b/);
    }
  });

  it('an absurd, a negative, an off-tick and a malformed price', async () => {
    await expectError(() => order({ price: HUGE_NUMBER }), 110003, /price is above the highest price/);
    await expectError(() => order({ price: '100000000000' }), 110003, /price is above the highest price 10000000/);
    await expectError(() => order({ price: '-5' }), 10001, /price must be positive/);
    await expectError(() => order({ price: '60000.05' }), 10001, /not a multiple of the tick size 0\.1/);
    await expectError(() => order({ price: '1e30' }), 10001, /price is not a decimal number/);
  });

  it('an absurd leverage', async () => {
    await expectError(() => bybit.post('/v5/position/set-leverage', { category: 'linear', symbol: 'BTCUSDT', buyLeverage: HUGE_AMOUNT, sellLeverage: HUGE_AMOUNT }),
      10001, /buyLeverage .* is invalid: send a whole number from 1 to 125/);
  });

  it('Bybit\'s equivalent of a 10^19 margin amount: a 10^19 quantity, and add-margin, which this server does not offer', async () => {
    await expectError(() => order({ qty: HUGE_AMOUNT, orderType: 'Market', price: undefined }), 10001, /qtyStep/);
    const reply = await refused(() => bybit.post('/v5/position/add-margin', { category: 'linear', symbol: 'BTCUSDT', margin: HUGE_AMOUNT, positionIdx: 1 }));
    assert.notEqual(reply.retCode, 0);
  });
});

describe('KuCoin refuses at the front door', () => {
  // The account is hedge and cross (no dialect): a KuCoin order names its side and says CROSS
  // (KuCoin reads a missing marginMode as ISOLATED and refuses it on a cross contract, 330005).
  const order = (overrides: Record<string, unknown>) => kucoin.post('/api/v1/orders', {
    clientOid: 'kc-valid-1', symbol: 'XBTUSDTM', side: 'buy', type: 'limit', size: '1', price: '60000', positionSide: 'LONG', marginMode: 'CROSS', ...overrides,
  });
  const expectError = async (send: () => Promise<{ status: number; body: { code: string; msg?: string } }>, status: number, code: string, msg: RegExp) => {
    const reply = await refused(send);
    assert.equal(reply.status, status, JSON.stringify(reply.body).slice(0, 300));
    assert.equal(reply.body.code, code, reply.body.msg);
    assert.match(reply.body.msg ?? '', msg);
    assert.ok((reply.body.msg ?? '').length < 300, 'the message does not echo the input');
  };

  it('a 60,000-character clientOid, one over KuCoin\'s 40, and bad characters; 40 characters are accepted', async () => {
    await expectError(() => order({ clientOid: HUGE_ID }), 400, '400100', /clientOid is 60000 characters long: send 1 to 40 characters of A-Z a-z 0-9 _ -/);
    await expectError(() => order({ clientOid: 'k'.repeat(41) }), 400, '400100', /clientOid is 41 characters long/);
    await expectError(() => order({ clientOid: 'a:b' }), 400, '400100', /clientOid contains ":"/);
    const accepted = await order({ clientOid: 'k'.repeat(40) });
    assert.equal(accepted.body.code, '200000', JSON.stringify(accepted.body));
  });

  it('a negative, a fractional and an absurd size', async () => {
    for (const size of ['-1', '1.5', HUGE_AMOUNT, HUGE_NUMBER]) {
      await expectError(() => order({ size }), 200, '300000', /size must be a whole number of lots from 1 to 1000000/);
    }
  });

  it('an absurd, a negative, an off-tick and a malformed price', async () => {
    await expectError(() => order({ price: '100000000000' }), 200, '300000', /price is above the highest price 10000000/);
    await expectError(() => order({ price: '-5' }), 200, '300000', /price must be positive/);
    await expectError(() => order({ price: '60000.05' }), 200, '300000', /not a multiple of the tick size 0\.1/);
    await expectError(() => order({ price: '1e30' }), 200, '300000', /price is not a decimal number/);
  });

  it('an absurd leverage, on the leverage call and on an order', async () => {
    await expectError(() => kucoin.post('/api/v2/changeCrossUserLeverage', { symbol: 'XBTUSDTM', leverage: HUGE_AMOUNT }), 400, '400100', /leverage must be between 1 and 125/);
    await expectError(() => order({ leverage: HUGE_AMOUNT }), 400, '400100', /leverage must be a number from 1 to 125/);
  });

  it('a 10^19 margin amount in and out, and a negative one', async () => {
    await expectError(() => kucoin.post('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDTM', margin: HUGE_AMOUNT, positionSide: 'LONG' }),
      400, '400100', /margin is more than a position of this symbol can ever hold .*up to 10000000000 USDT/);
    await expectError(() => kucoin.post('/api/v1/margin/withdrawMargin', { symbol: 'XBTUSDTM', withdrawAmount: HUGE_AMOUNT, positionSide: 'LONG' }),
      400, '400100', /withdrawAmount is more than a position of this symbol can ever hold/);
    await expectError(() => kucoin.post('/api/v1/position/margin/deposit-margin', { symbol: 'XBTUSDTM', margin: '-5', positionSide: 'LONG' }),
      400, '400100', /margin must be positive/);
  });
});

describe('the measure itself', () => {
  it('an accepted order is sequenced and journaled, so "nothing written" above means something', async () => {
    const before = await written();
    const reply = await xt.post<string>('/future/trade/v1/order/create', {
      symbol: 'btc_usdt', orderSide: 'BUY', orderType: 'LIMIT', origQty: '1', price: '60000', positionSide: 'LONG', clientOrderId: 'a'.repeat(36),
    });
    assert.equal(reply.returnCode, 0, JSON.stringify(reply));
    const now = await written();
    assert.equal(now.cmdSeq, before.cmdSeq + 1);
    assert.equal(now.records, before.records + 1);
    assert.ok(now.journalBytes > before.journalBytes);
  });
});
