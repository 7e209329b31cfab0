/**
 * A KuCoin quarterly (XBTMH27, the demo btc_usd270326) crossed by its delivery, on a ManualTime clock,
 * checked in the classic stream's pushes and in REST:
 * - from the delivery time on, an order is refused with KuCoin's 300015 ("under the settlement
 *   process"), the contract's status is BeingSettled; nothing changes;
 * - the settlement ends the open order (orderChange type canceled, status done: KuCoin has no expiry
 *   type), closes the position at the delivery price (position.change to 0, changeReason
 *   positionChange: KuCoin lists no reason of its own for a settlement) and moves the XBT wallet
 *   (walletBalance.change in XBT);
 * - REST shows the flat position, the done order, the Settled contract and the wallet; an order on
 *   the settled contract is refused with 100003 and changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { ManualTime } from '../support/manual-time.js';
import { KucoinRest, KucoinStream, type Frame } from './client.js';
import { KucoinFixture } from './fixture.js';

const Q = 'XBTMH27';

describe('KuCoin XBTMH27: a delivery crossed with an open order and a position', () => {
  const time = new ManualTime(MARCH_2027_DELIVERY - 10_000);
  let f: KucoinFixture;
  before(async () => {
    f = await KucoinFixture.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: time, timers: time, priceTickMs: 0 });
  });
  after(async () => { await f.stop(); });

  it('refused with 300015 from the delivery time, then settled: canceled order, closed position, XBT wallet; REST agrees', async () => {
    const { admin } = f.harness;
    for (const [path, body] of [['/index-price', { symbol: 'btc_usd270326', price: '60000' }], ['/mark-price', { symbol: 'btc_usd270326', price: '60000' }]] as const) {
      const answer = await admin.request('POST', path, body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    const a = await f.account('0');
    const m = await f.account('0');
    await admin.deposit(a.accountId, '1', 'BTC');
    await admin.deposit(m.accountId, '1', 'BTC');
    const contract = async (): Promise<Record<string, unknown>> => KucoinRest.data(await a.rest.get<Record<string, unknown>>(`/api/v1/contracts/${Q}`));
    const c0 = await contract();
    assert.deepEqual([c0.type, c0.expireDate, c0.settleDate, c0.isInverse, c0.settleCurrency, c0.rootSymbol, c0.status, c0.nextFundingRateTime, c0.multiplier],
      ['FFICSX', MARCH_2027_DELIVERY, MARCH_2027_DELIVERY, true, 'XBT', 'XBT', 'Open', null, -100]);

    KucoinRest.data(await m.rest.post('/api/v1/orders', { clientOid: 'd-m', side: 'sell', symbol: Q, price: '60000', size: 20 }));
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'd-a', side: 'buy', symbol: Q, price: '60000', size: 20 }));
    const resting = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', { clientOid: 'd-rest', side: 'buy', symbol: Q, price: '59000', size: 5 })).orderId;

    const stream = await KucoinStream.connect(await a.rest.futuresStreamUrl());
    await stream.until(() => stream.frames.length >= 1, 'welcome');
    for (const topic of ['/contractMarket/tradeOrders', '/contractAccount/wallet', `/contract/position:${Q}`]) assert.equal((await stream.subscribe(topic)).type, 'ack');

    // At the delivery time: refused (300015), nothing changes.
    await time.advance(10_000);
    const state = (): string => JSON.stringify(f.view(a.accountId), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const seq = state();
    const late = await a.rest.post('/api/v1/orders', { clientOid: 'd-late', side: 'buy', symbol: Q, price: '60000', size: 1 });
    assert.equal(late.body.code, '300015', late.text);
    assert.equal(state(), seq, 'the refusal changed nothing (the engine refused it: SYMBOL_NOT_TRADING)');
    assert.equal((await contract()).status, 'BeingSettled');

    const from = stream.frames.length;
    const settled = await admin.request('POST', '/delivery/settle', { symbol: 'btc_usd270326' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    const w = f.view(a.accountId).wallets.find((x) => x.asset === 'BTC')!;
    const isClosed = (x: Frame): boolean => x.subject === 'position.change' && x.data?.currentQty === 0 && x.data?.isOpen === false;
    const isCanceled = (x: Frame): boolean => x.subject === 'orderChange' && x.data?.orderId === resting && x.data?.type === 'canceled';
    const isWallet = (x: Frame): boolean => x.subject === 'walletBalance.change' && x.data?.walletBalance === formatAmount(w.walletBalance);
    await stream.until(() => [isClosed, isCanceled, isWallet].every((is) => stream.pushes(from).some(is)), 'the settlement\'s pushes');
    const pushes = stream.pushes(from);
    const canceled = pushes.find(isCanceled)!.data!;
    assert.deepEqual([canceled.status, canceled.symbol, canceled.canceledSize, canceled.remainSize], ['done', Q, '5', '0']);
    const closed = pushes.find(isClosed)!.data!;
    assert.deepEqual([closed.symbol, closed.changeReason, closed.settleCurrency, closed.posCost, closed.markValue], [Q, 'positionChange', 'XBT', 0, 0]);
    const walletPush = pushes.find(isWallet)!.data!;
    assert.deepEqual([walletPush.currency, walletPush.availableBalance], ['XBT', formatAmount(w.availableBalance)]);
    // The order came before the position closed; the wallet's last push is after both.
    assert.ok(pushes.indexOf(pushes.find(isCanceled)!) < pushes.indexOf(pushes.find(isClosed)!));

    // REST agrees.
    const p = f.view(a.accountId).positions.find((x) => x.symbol === 'btc_usd270326' && x.positionSide === 'BOTH')!;
    assert.equal(p.qty, 0);
    const position = KucoinRest.data(await a.rest.get<Record<string, unknown>>('/api/v1/position', { symbol: Q }));
    assert.deepEqual([position.currentQty, position.isOpen, position.realisedPnl], [0, false, Number(formatAmount(p.realizedPnlCurrent))]);
    const done = KucoinRest.data(await a.rest.get<{ items: Record<string, unknown>[] }>('/api/v1/orders', { status: 'done', symbol: Q })).items;
    assert.deepEqual(done.find((o) => o.id === resting) && [done.find((o) => o.id === resting)!.status, done.find((o) => o.id === resting)!.cancelExist], ['done', true]);
    assert.deepEqual(KucoinRest.data(await a.rest.get<unknown[]>('/api/v1/orders', { status: 'active', symbol: Q })), { currentPage: 1, pageSize: 50, totalNum: 0, totalPage: 0, items: [] });
    assert.equal((await contract()).status, 'Settled');
    const overview = KucoinRest.data(await a.rest.get<Record<string, unknown>>('/api/v1/account-overview', { currency: 'XBT' }));
    assert.deepEqual([overview.currency, overview.availableBalance, overview.accountEquity], ['XBT', Number(formatAmount(w.availableBalance)), Number(formatAmount(w.walletBalance))]);

    // A settled contract: 100003, nothing changes.
    const seq2 = state();
    const after = await a.rest.post('/api/v1/orders', { clientOid: 'd-after', side: 'sell', symbol: Q, price: '60000', size: 1 });
    assert.equal(after.body.code, '100003', after.text);
    assert.equal(state(), seq2);
    stream.close();
  });
});
