/**
 * Seed 002 (Binance FAQ, Russian): the ACCOUNT_UPDATE push rules and their three worked examples,
 * reproduced field for field over the real stream. The account is set up in the seed's exact state
 * with Binance's 2020 specs of BTCUSDT and ETHUSDT (tick 0.01, step 0.001):
 *   USDT wallet 94.91018561 (cross wallet 93.70831461), BNB 0.01575839, BTCUSDT LONG 0.010 @
 *   11445.71 isolated with 1.20187100 in its wallet, ETHUSDT cross with BOTH cr −0.00057 (traded
 *   one-way earlier), LONG used in an earlier hedge period (so not initialised), SHORT −0.010 @ 375.74
 *   with cr −0.1916, and BNB fee burn on (BNB at 29.975 USDT).
 * Each example's push is compared with the seed's "after" JSON: every seed field equal; the fields
 * today's Binance adds (`bc` in B, `bep` and `ma` in P) are checked on their own. E equals T here: the
 * engine's event time is the command time (the seed's E is a few ms later, its push time).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BinanceFixture, SEED_SYMBOLS, lastAccountUpdate, type BinanceAccount } from './support.js';
import type { BinanceStream, Json } from './client.js';

const ETH = 'ETHUSDT';
const BTC = 'BTCUSDT';

/** The seed's "after" pushes, as printed there (comments dropped). */
const SEED = {
  deposit: {
    e: 'ACCOUNT_UPDATE', T: 1603093193280, E: 1603093193284,
    a: { B: [{ a: 'BNB', wb: '0.02575839', cw: '0' }], P: [], m: 'DEPOSIT' },
  },
  closeShort: {
    e: 'ACCOUNT_UPDATE', T: 1603093588546, E: 1603093588553,
    a: {
      B: [{ a: 'USDT', wb: '94.91428561', cw: '93.71241461' }, { a: 'BNB', wb: '0.02571331', cw: '0' }],
      P: [
        { s: 'ETHUSDT', pa: '0', ep: '0.00000', cr: '-0.00057000', up: '0', mt: 'cross', iw: '0', ps: 'BOTH' },
        { s: 'ETHUSDT', pa: '0', ep: '0.00000', cr: '-0.18750000', up: '0', mt: 'cross', iw: '0', ps: 'SHORT' },
      ],
      m: 'ORDER',
    },
  },
  marginType: {
    e: 'ACCOUNT_UPDATE', T: 1603094890011, E: 1603094890017,
    a: {
      B: [{ a: 'USDT', wb: '94.90282656', cw: '93.71241461' }],
      P: [
        { s: 'ETHUSDT', pa: '0', ep: '0.00000', cr: '-0.00057000', up: '0', mt: 'isolated', iw: '0', ps: 'BOTH' },
        { s: 'ETHUSDT', pa: '0', ep: '0.00000', cr: '-0.18750000', up: '0', mt: 'isolated', iw: '0', ps: 'SHORT' },
      ],
      m: 'MARGIN_TYPE_CHANGE',
    },
  },
} as const;

/** Our push, checked against the seed's: the seed's fields exactly, then the extra fields. */
function assertSeedPush(ours: Json, seed: (typeof SEED)[keyof typeof SEED], extras: { bc: string[]; bep: string[] }): void {
  assert.equal(ours.e, seed.e);
  assert.equal(ours.T, seed.T);
  assert.equal(ours.E, seed.T, 'E is the engine time of the command');
  const a = ours.a as { B: Json[]; P: Json[]; m: string };
  assert.equal(a.m, seed.a.m);
  assert.deepEqual(a.B.map(({ bc: _bc, ...rest }) => rest), seed.a.B);
  assert.deepEqual(a.B.map((b) => b.bc), extras.bc);
  assert.deepEqual(a.P.map(({ bep: _bep, ma: _ma, ...rest }) => rest), seed.a.P);
  assert.deepEqual(a.P.map((p) => p.bep), extras.bep);
  assert.ok(a.P.every((p) => p.ma === 'USDT'));
  // `seq` is perpstream's addition (the position a client resumes from), on every push.
  assert.deepEqual(Object.keys(ours).sort(), ['E', 'T', 'a', 'e', 'seq']);
  assert.deepEqual(Object.keys(a).sort(), ['B', 'P', 'm']);
}

describe('seed 002: ACCOUNT_UPDATE worked examples', () => {
  let f: BinanceFixture;
  let user: BinanceAccount;
  let maker: BinanceAccount;
  let stream: BinanceStream;

  /** `maker` rests the opposite side, then `user` takes it: one trade of `qty` (base) at `price`. */
  async function trade(side: 'BUY' | 'SELL', userSide: 'BOTH' | 'LONG' | 'SHORT', makerSide: 'LONG' | 'SHORT', symbol: string, qty: string, price: string): Promise<void> {
    await f.admin.markPrice(symbol === ETH ? 'eth_usdt' : 'btc_usdt', price);
    await maker.rest.ok('POST', '/fapi/v1/order', {
      symbol, side: side === 'BUY' ? 'SELL' : 'BUY', positionSide: makerSide, type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price,
    });
    const taken = await user.rest.ok<{ status: string }>('POST', '/fapi/v1/order', {
      symbol, side, positionSide: userSide, type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price,
    });
    assert.equal(taken.status, 'FILLED');
  }

  before(async () => {
    f = await BinanceFixture.start({ symbols: SEED_SYMBOLS });
    f.setTime(1603090000000);
    user = await f.account('1000');
    maker = await f.account('100000');
    f.setTime(1603090000000);
    // An earlier hedge period: ETHUSDT LONG is traded (and so has history) …
    await trade('BUY', 'LONG', 'SHORT', ETH, '0.001', '300.00');
    await trade('SELL', 'LONG', 'SHORT', ETH, '0.001', '299.00');
    // … then one-way trading leaves BOTH with cr −0.00057 …
    await user.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'false' });
    await trade('BUY', 'BOTH', 'SHORT', ETH, '0.001', '300.00');
    await trade('SELL', 'BOTH', 'SHORT', ETH, '0.001', '299.43');
    // … and back in hedge mode only SHORT is used (LONG is no longer initialised).
    await user.rest.ok('POST', '/fapi/v1/positionSide/dual', { dualSidePosition: 'true' });
    await trade('SELL', 'SHORT', 'LONG', ETH, '0.010', '300.00');
    await trade('BUY', 'SHORT', 'LONG', ETH, '0.010', '319.16');
    await trade('SELL', 'SHORT', 'LONG', ETH, '0.010', '375.74');
    // BTCUSDT LONG 0.010 @ 11445.71, isolated at leverage 100 (1.144571) plus 0.0573 added: 1.201871.
    await user.rest.ok('POST', '/fapi/v1/marginType', { symbol: BTC, marginType: 'ISOLATED' });
    await user.rest.ok('POST', '/fapi/v1/leverage', { symbol: BTC, leverage: 100 });
    await trade('BUY', 'LONG', 'SHORT', BTC, '0.010', '11445.71');
    await user.rest.ok('POST', '/fapi/v1/positionMargin', { symbol: BTC, positionSide: 'LONG', amount: '0.0573', type: 1 });
    // BNB 0.01575839, fee burn on, BNB at 29.975 USDT; the USDT wallet brought to 94.91018561.
    await f.admin.deposit(user.accountId, '0.01575839', 'BNB');
    assert.equal((await f.admin.request('POST', '/asset-price', { asset: 'BNB', quoteAsset: 'USDT', price: '29.975' })).status, 200);
    await user.rest.ok('POST', '/fapi/v1/feeBurn', { feeBurn: 'true' });
    const wallet = f.view(user.accountId).wallets.find((w) => w.asset === 'USDT')!.walletBalance;
    const target = 9_491_018_561n;
    const { status } = await f.admin.request('POST', '/withdraw', { accountId: user.accountId, asset: 'USDT', amount: formatUnits(wallet - target) });
    assert.equal(status, 200);
    await f.admin.markPrice('eth_usdt', '375.33');
    stream = await f.stream(user);
  });
  after(async () => { await f.stop(); });

  it('the state before the examples is the seed\'s', () => {
    const view = f.view(user.accountId);
    const usdt = view.wallets.find((w) => w.asset === 'USDT')!;
    assert.equal(usdt.walletBalance, 9_491_018_561n);
    assert.equal(usdt.walletBalance - usdt.isolatedMargin, 9_370_831_461n);
    assert.equal(view.wallets.find((w) => w.asset === 'BNB')!.walletBalance, 1_575_839n);
    const pos = (symbol: string, side: string) => view.positions.find((p) => p.symbol === symbol && p.positionSide === side)!;
    assert.equal(pos('btc_usdt', 'LONG').qty, 10);
    assert.equal(pos('btc_usdt', 'LONG').margin, 120_187_100n);
    assert.equal(pos('eth_usdt', 'BOTH').realizedPnlTotal, -57_000n);
    assert.equal(pos('eth_usdt', 'SHORT').qty, -10);
    assert.equal(pos('eth_usdt', 'SHORT').realizedPnlTotal, -19_160_000n);
    assert.notEqual(pos('eth_usdt', 'LONG').realizedPnlTotal, 0n, 'LONG has history from the earlier hedge period');
  });

  it('example 1: a BNB deposit pushes only BNB, with P empty', async () => {
    const from = stream.events.length;
    f.setTime(SEED.deposit.T);
    await f.admin.deposit(user.accountId, '0.01', 'BNB');
    const [push] = await stream.next(from, 1);
    assertSeedPush(push!, SEED.deposit, { bc: ['0.01000000'], bep: [] });
  });

  it('example 2: closing the ETH short pushes USDT and BNB (fee in BNB), ETH BOTH and SHORT, not the uninitialised LONG', async () => {
    f.setTime(1603093500000);
    await maker.rest.ok('POST', '/fapi/v1/order', { symbol: ETH, side: 'SELL', positionSide: 'LONG', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.010', price: '375.33' });
    await stream.sync(); // whatever the user's stream was still to get has come
    const from = stream.events.length;
    f.setTime(SEED.closeShort.T);
    await user.rest.ok('POST', '/fapi/v1/order', { symbol: ETH, side: 'BUY', positionSide: 'SHORT', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.010', price: '375.33' });
    await stream.until(() => stream.events.slice(from).some((e) => e.e === 'ACCOUNT_UPDATE'), 5_000, 'ACCOUNT_UPDATE');
    const pushes = stream.events.slice(from);
    assert.deepEqual(pushes.map((e) => e.e), ['ORDER_TRADE_UPDATE', 'TRADE_LITE', 'ORDER_TRADE_UPDATE', 'ACCOUNT_UPDATE']);
    assertSeedPush(lastAccountUpdate(pushes), SEED.closeShort, { bc: ['0', '0'], bep: ['0.00000', '0.00000'] });
    // The fill's commission is 0.00004508 BNB: 0.00150132 USDT × 0.9 / 29.975, rounded up.
    const fill = (pushes[2]!.o as Json);
    assert.deepEqual([fill.x, fill.X, fill.N, fill.n, fill.rp, fill.l, fill.L, fill.ps], ['TRADE', 'FILLED', 'BNB', '0.00004508', '0.00410000', '0.010', '375.33', 'SHORT']);
  });

  it('example 3: switching ETH from CROSS to ISOLATED pushes USDT and ETH BOTH and SHORT', async () => {
    f.setTime(1603094000000);
    await user.rest.ok('POST', '/fapi/v1/positionMargin', { symbol: BTC, positionSide: 'LONG', amount: '0.01145905', type: 2 });
    await f.admin.request('POST', '/withdraw', { accountId: user.accountId, asset: 'USDT', amount: '0.01145905' });
    await stream.until(() => stream.events.filter((e) => e.e === 'ACCOUNT_UPDATE').length >= 4, 5_000, 'the transfer and withdrawal pushes');
    const from = stream.events.length;
    f.setTime(SEED.marginType.T);
    await user.rest.ok('POST', '/fapi/v1/marginType', { symbol: ETH, marginType: 'ISOLATED' });
    const [push] = await stream.next(from, 1);
    assertSeedPush(push!, SEED.marginType, { bc: ['0'], bep: ['0.00000', '0.00000'] });
    await stream.sync();
    assert.equal(stream.events.length, from + 1, 'a margin-type change pushes no ACCOUNT_CONFIG_UPDATE');
  });
});

function formatUnits(units: bigint): string {
  const text = units.toString().padStart(9, '0');
  return `${text.slice(0, -8)}.${text.slice(-8)}`;
}
