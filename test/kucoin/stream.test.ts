/**
 * KuCoin's private streams over real sockets, push by push: a scripted account life on the classic
 * futures stream (deposit, open, partial fill, amend, close, margin-mode change, leverage change),
 * then the protocol's edges in KuCoin's shapes (welcome, ping/pong, acks, subscribe errors, bad and
 * expired tokens, idle close) and the UTA stream.
 *
 * Amend: KuCoin's API has no amend. A KuCoin client cancels and places again (two ordinary
 * messages: canceled, then open); an amendment made through perpstream's XT API on the same account
 * shows on the KuCoin stream as orderChange type "update" with the new size and price.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XtClient } from '../support/xt-client.js';
import { ManualTime } from '../support/manual-time.js';
import { KucoinRest, KucoinStream, type Frame } from './client.js';
import { position } from './events.js';
import { KucoinFixture, type KucoinAccount } from './fixture.js';

const ALL_TOPICS = ['/contractMarket/tradeOrders', '/contractAccount/wallet', '/contract/position:XBTUSDTM', '/contract/marginMode', '/contract/crossLeverage'];

/** A push summarized as "subject[:orderChange type]". */
const label = (f: Frame): string => (f.subject === 'orderChange' ? `orderChange:${String(f.data!.type)}` : String(f.subject));

async function connected(a: KucoinAccount, topics: readonly string[] = ALL_TOPICS, connectId = 'c1'): Promise<KucoinStream> {
  const stream = await KucoinStream.connect(await a.rest.futuresStreamUrl(connectId));
  await stream.until(() => stream.frames.length >= 1, 'welcome');
  for (const topic of topics) assert.deepEqual(await stream.subscribe(topic), { id: stream.frames.at(-1)!.id, type: 'ack' });
  return stream;
}

/** Runs `action` and returns the `count` pushes it caused, checking that no more follow. */
async function pushesOf(stream: KucoinStream, count: number, action: () => Promise<unknown>): Promise<Frame[]> {
  const from = stream.frames.length;
  await action();
  const pushes = await stream.nextPushes(from, count);
  await stream.sync();
  assert.equal(stream.pushes(from).length, count, `exactly ${count} pushes; got ${stream.pushes(from).map(label).join(', ')}`);
  return pushes;
}

describe('KuCoin classic stream: an account\'s life, push by push', () => {
  let f: KucoinFixture;
  before(async () => { f = await KucoinFixture.start(); });
  after(async () => { await f.stop(); });

  it('deposit, open, partial fill, amend, close, margin-mode change, leverage change', async () => {
    const a = await f.account('0');
    const m = await f.account('10000');
    // A life in cross margin: a KuCoin account's contracts start ISOLATED, so XBTUSDTM is switched
    // (before the stream connects) and every order of this account says CROSS, as KuCoin requires.
    KucoinRest.data(await a.rest.post('/api/v2/position/changeMarginMode', { symbol: 'XBTUSDTM', marginMode: 'CROSS' }));
    const s = await connected(a);
    assert.deepEqual(s.frames[0], { id: 'c1', type: 'welcome' }, 'the first frame is the welcome, with the connectId');
    let lastSeq = 0;
    const inOrder = (pushes: Frame[]): void => {
      for (const p of pushes) {
        assert.equal(p.type, 'message');
        assert.equal(p.userId, String(a.accountId));
        assert.equal(p.channelType, 'private');
        assert.ok((p.seq as number) >= lastSeq, 'seq never goes back');
        lastSeq = p.seq as number;
      }
    };

    // 1. Deposit: the wallet (no cross margin in use yet, so the deprecated subjects come too).
    const deposit = await pushesOf(s, 4, () => f.harness.admin.deposit(a.accountId, '1000'));
    inOrder(deposit);
    assert.deepEqual(deposit.map(label), ['availableBalance.change', 'orderMargin.change', 'withdrawHold.change', 'walletBalance.change']);
    assert.deepEqual([deposit[3]!.topic, deposit[3]!.data!.walletBalance, deposit[3]!.data!.availableBalance, deposit[3]!.data!.holdBalance], ['/contractAccount/wallet', '1000', '1000', '0']);

    // 2. Open: a limit buy of 10 lots at 60,000 rests. perContract(60,000) = 0.3036 USDT frozen per lot.
    let orderId = '';
    const open = await pushesOf(s, 3, async () => {
      orderId = KucoinRest.data(await a.rest.post<{ orderId: string }>('/api/v1/orders', { clientOid: 'life-1', side: 'buy', symbol: 'XBTUSDTM', price: '60000', size: 10, marginMode: 'CROSS' })).orderId;
    });
    inOrder(open);
    assert.deepEqual(open.map(label), ['orderChange:open', 'position.change', 'walletBalance.change']);
    assert.deepEqual([open[0]!.data!.orderId, open[0]!.data!.status, open[0]!.data!.size, open[0]!.data!.remainSize, open[0]!.data!.clientOid], [orderId, 'open', '10', '10', 'life-1']);
    assert.equal(open[1]!.data!.currentQty, 0, 'the position record appears, still flat');
    assert.deepEqual([open[2]!.data!.availableBalance, open[2]!.data!.crossOrderMargin, open[2]!.data!.holdBalance], ['996.964', '3.036', '3.036']);

    // 3. Partial fill: 4 of the 10 lots, as maker (fee 4 × 6 × 0.0002 = 0.0048).
    const fill = await pushesOf(s, 3, () => m.rest.post('/api/v1/orders', { clientOid: 'm-1', side: 'sell', symbol: 'XBTUSDTM', type: 'market', size: 4 }));
    inOrder(fill);
    assert.deepEqual(fill.map(label), ['orderChange:match', 'position.change', 'walletBalance.change']);
    const match = fill[0]!.data!;
    assert.deepEqual([match.status, match.matchPrice, match.matchSize, match.filledSize, match.remainSize, match.liquidity, match.fee], ['open', '60000', '4', '4', '6', 'maker', '0.0048']);
    const position = fill[1]!.data!;
    assert.deepEqual([position.currentQty, position.avgEntryPrice, position.posCost, position.posMargin, position.currentComm, position.realisedPnl, position.isOpen, position.changeReason],
      [4, 60000, 24, 1.2, 0.0048, -0.0048, true, 'positionChange']);
    assert.deepEqual([fill[2]!.data!.walletBalance, fill[2]!.data!.crossPosMargin, fill[2]!.data!.crossOrderMargin], ['999.9952', '1.2', '1.8216']);

    // 4a. Amend through perpstream's XT API (KuCoin has none): an "update" with the new size and price.
    const xt = new XtClient(f.url, a.apiKey, a.secret);
    const amend = await pushesOf(s, 3, () => xt.post('/future/trade/v1/order/update', { orderId, price: '59900', origQty: '8' }));
    inOrder(amend);
    assert.deepEqual(amend.map(label), ['orderChange:update', 'position.change', 'walletBalance.change']);
    assert.deepEqual([amend[0]!.data!.size, amend[0]!.data!.price, amend[0]!.data!.filledSize, amend[0]!.data!.remainSize, amend[0]!.data!.status], ['8', '59900', '4', '4', 'open']);
    // 4b. The KuCoin way: cancel, then place the replacement.
    const cancel = await pushesOf(s, 3, () => a.rest.delete(`/api/v1/orders/${orderId}`));
    assert.deepEqual(cancel.map(label), ['orderChange:canceled', 'position.change', 'walletBalance.change']);
    assert.deepEqual([cancel[0]!.data!.status, cancel[0]!.data!.canceledSize, cancel[0]!.data!.filledSize], ['done', '4', '4']);
    const replace = await pushesOf(s, 3, () => a.rest.post('/api/v1/orders', { clientOid: 'life-2', side: 'buy', symbol: 'XBTUSDTM', price: '59900', size: 4, marginMode: 'CROSS' }));
    assert.deepEqual(replace.map(label), ['orderChange:open', 'position.change', 'walletBalance.change']);
    inOrder([...cancel, ...replace]);

    // 5. Close: KuCoin's closeOrder against a resting bid; the taker sees match (status match), filled, the flat position, the wallet.
    KucoinRest.data(await m.rest.post('/api/v1/orders', { clientOid: 'm-2', side: 'buy', symbol: 'XBTUSDTM', price: '60000', size: 4 }));
    const close = await pushesOf(s, 6, () => a.rest.post('/api/v1/orders', { clientOid: 'life-close', symbol: 'XBTUSDTM', closeOrder: true, marginMode: 'CROSS' }));
    inOrder(close);
    assert.deepEqual(close.map(label), ['orderChange:open', 'position.change', 'orderChange:match', 'orderChange:filled', 'position.change', 'walletBalance.change']);
    assert.deepEqual([close[2]!.data!.side, close[2]!.data!.orderType, close[2]!.data!.status, close[2]!.data!.liquidity, close[2]!.data!.fee], ['sell', 'market', 'match', 'taker', '0.0144']);
    assert.deepEqual([close[3]!.data!.status, close[3]!.data!.remainSize], ['done', '0']);
    const flat = close[4]!.data!;
    assert.deepEqual([flat.currentQty, flat.isOpen, flat.posCost, flat.currentComm, flat.realisedPnl, flat.realisedGrossPnl], [0, false, 0, 0.0192, -0.0192, 0]);
    assert.equal(close[5]!.data!.walletBalance, '999.9808');
    const cancelAll = await pushesOf(s, 6, () => a.rest.delete('/api/v1/orders'));
    assert.deepEqual(cancelAll.map(label), ['orderChange:canceled', 'position.change', 'availableBalance.change', 'orderMargin.change', 'withdrawHold.change', 'walletBalance.change']);

    // 6. Margin-mode change: /contract/marginMode, then the position in the isolated field set.
    const mode = await pushesOf(s, 2, () => a.rest.post('/api/v2/position/changeMarginMode', { symbol: 'XBTUSDTM', marginMode: 'ISOLATED' }));
    inOrder(mode);
    assert.deepEqual(mode.map((p) => [p.topic, p.subject]), [['/contract/marginMode', 'user.config'], ['/contract/position:XBTUSDTM', 'position.change']]);
    assert.deepEqual(mode[0]!.data, { XBTUSDTM: 'ISOLATED' });
    assert.deepEqual([mode[1]!.data!.marginMode, mode[1]!.data!.crossMode, mode[1]!.data!.changeReason, mode[1]!.data!.autoDeposit], ['ISOLATED', false, 'marginChange', false]);

    // 7. Leverage change: /contract/crossLeverage, then the position.
    const leverage = await pushesOf(s, 2, () => a.rest.post('/api/v2/changeCrossUserLeverage', { symbol: 'XBTUSDTM', leverage: '10' }));
    inOrder(leverage);
    assert.deepEqual(leverage.map((p) => p.topic), ['/contract/crossLeverage', '/contract/position:XBTUSDTM']);
    assert.deepEqual(leverage[0]!.data, { XBTUSDTM: { leverage: '10' } });
    assert.deepEqual([leverage[1]!.data!.leverage, leverage[1]!.data!.changeReason], [10, 'marginChange']);
    s.close();
  });

  it('topics filter: per-symbol order topic, positionAll, unsubscribe; another account\'s events never show', async () => {
    const a = await f.account();
    const other = await f.account();
    const s = await connected(a, ['/contractMarket/tradeOrders:ETHUSDTM', '/contract/positionAll']);
    await pushesOf(s, 0, () => other.rest.post('/api/v1/orders', { clientOid: 'x-1', side: 'buy', symbol: 'ETHUSDTM', price: '2900', size: 1 }));
    // An XBT order: no order push (only ETHUSDTM orders are subscribed), but its position event on positionAll.
    const xbt = await pushesOf(s, 1, () => a.rest.post('/api/v1/orders', { clientOid: 'x-2', side: 'buy', symbol: 'XBTUSDTM', price: '59000', size: 1 }));
    assert.deepEqual(xbt.map((p) => [p.topic, p.data!.symbol]), [['/contract/positionAll', 'XBTUSDTM']]);
    const eth = await pushesOf(s, 2, () => a.rest.post('/api/v1/orders', { clientOid: 'x-3', side: 'buy', symbol: 'ETHUSDTM', price: '2900', size: 1 }));
    assert.deepEqual(eth.map((p) => [p.topic, p.subject]), [['/contractMarket/tradeOrders:ETHUSDTM', 'symbolOrderChange'], ['/contract/positionAll', 'position.change']]);
    assert.deepEqual(await s.request({ type: 'unsubscribe', topic: '/contract/positionAll', privateChannel: true, response: true }), { id: s.frames.at(-1)!.id, type: 'ack' });
    const after = await pushesOf(s, 1, () => a.rest.delete('/api/v1/orders', { symbol: 'ETHUSDTM' }));
    assert.deepEqual(after.map(label), ['symbolOrderChange']);
    await a.rest.delete('/api/v1/orders');
    await other.rest.delete('/api/v1/orders');
    s.close();
  });
});

describe('KuCoin streams: the risk engine\'s events (constructed until it exists) over real sockets', () => {
  let f: KucoinFixture;
  before(async () => { f = await KucoinFixture.start(); });
  after(async () => { await f.stop(); });

  it('a mark-price update, a funding settlement, a risk-limit result reach /contract/position:{symbol}; a WARN notice reaches UTA lw', async () => {
    const a = await f.account();
    const classic = await connected(a, ['/contract/position:XBTUSDTM', '/contract/positionAll']);
    const uta = await KucoinStream.connect(await a.rest.utaStreamUrl(f.wsUrl));
    await uta.until(() => uta.frames.length >= 1, 'welcome');
    assert.deepEqual(await uta.request({ id: 'w', action: 'subscribe', channel: 'lw', tradeType: 'FUTURES' }), { id: 'w', result: true });
    const base = { accountId: a.accountId, cmdSeq: f.cmdSeq, time: Date.now() };
    const p = position({ qty: 2, entryCost: 1_200_000n, margin: 60_000_000n, initialMargin: 60_000_000n, markPrice: 610_000, unrealizedPnl: 2_000_000n, maintenanceMargin: 488_000n });
    const seq = f.exchange.engine.account(a.accountId)!.seq;
    const from = classic.frames.length;
    f.exchange.events.publish([
      { ...base, type: 'position', seq: seq + 1, reason: 'MARK_PRICE', position: p, previousQty: 2, lastDirection: 'LONG' },
      { ...base, type: 'funding', seq: seq + 2, reason: 'FUNDING_FEE', symbol: 'btc_usdt', positionSide: 'BOTH', fundingTime: base.time, qty: 2, markPrice: 610_000, fundingRate: 10_000n, fundingFee: -12_200n },
      { ...base, type: 'riskLimit', seq: seq + 3, reason: 'RISK_LIMIT_CHANGE', symbol: 'btc_usdt', success: false, riskLevel: 1, message: 'balance insufficient' },
      { ...base, type: 'notice', seq: seq + 4, reason: 'MARK_PRICE', notice: 'WARN', position: p, marginRatio: 90_000_000n, crossWalletBalance: 99_000_000_000n, direction: 'LONG', qty: 2 },
    ]);
    const pushes = await classic.nextPushes(from, 6);
    assert.deepEqual(pushes.map((x) => [x.topic, x.subject]), [
      ['/contract/position:XBTUSDTM', 'position.change'], ['/contract/positionAll', 'position.change'],
      ['/contract/position:XBTUSDTM', 'position.settlement'], ['/contract/positionAll', 'position.settlement'],
      ['/contract/position:XBTUSDTM', 'position.adjustRiskLimit'], ['/contract/positionAll', 'position.adjustRiskLimit'],
    ]);
    assert.deepEqual(Object.keys(pushes[0]!.data!), ['markPrice', 'markValue', 'maintMargin', 'realLeverage', 'unrealisedPnl', 'unrealisedRoePcnt', 'unrealisedPnlPcnt', 'delevPercentage', 'currentTimestamp', 'settleCurrency']);
    assert.deepEqual([pushes[0]!.data!.markPrice, pushes[0]!.data!.markValue, pushes[0]!.data!.unrealisedPnl], [61000, 12.2, 0.02]);
    assert.deepEqual([pushes[2]!.data!.qty, pushes[2]!.data!.fundingRate, pushes[2]!.data!.fundingFee], [2, 0.0001, 0.000122]);
    assert.deepEqual(pushes[4]!.data, { success: false, riskLimitLevel: 1, msg: 'balance insufficient' });
    await uta.until(() => uta.pushes().length >= 1, 'the lw push');
    const lw = uta.pushes()[0]!;
    assert.equal(lw.T, 'lw.FUTURES');
    assert.deepEqual([lw.d!.eT, lw.d!.s, lw.d!.r], ['MARGIN_CALL', 'XBTUSDTM', '0.9']);
    classic.close();
    uta.close();
  });
});

describe('KuCoin classic stream: protocol edges', () => {
  let f: KucoinFixture;
  before(async () => {
    f = await KucoinFixture.start();
  });
  after(async () => { await f.stop(); });

  it('ping → pong with the same id; a subscription without response:true is silent but works', async () => {
    const a = await f.account();
    const s = await connected(a, []);
    assert.deepEqual(await s.request({ id: 'p-1', type: 'ping' }), { id: 'p-1', type: 'pong' });
    const from = s.frames.length;
    s.socket.send(JSON.stringify({ id: 'quiet', type: 'subscribe', topic: '/contractAccount/wallet', privateChannel: true }));
    await f.harness.admin.deposit(a.accountId, '1');
    await s.until(() => s.pushes(from).length >= 1, 'a wallet push');
    assert.equal(s.frames.slice(from).some((x) => x.id === 'quiet'), false, 'no ack without response:true');
    s.close();
  });

  it('subscribe errors in KuCoin\'s shape; the connection stays usable', async () => {
    const a = await f.account();
    const s = await connected(a, []);
    const error = (frame: Frame, code: number, data: RegExp) => {
      assert.equal(frame.type, 'error');
      assert.equal(frame.code, code);
      assert.match(String(frame.data), data);
    };
    error(await s.subscribe('/contract/nothing'), 404, /topic \/contract\/nothing is not found/);
    error(await s.subscribe('/contract/position:DOGEUSDTM'), 404, /DOGEUSDTM is not a contract here/);
    error(await s.subscribe('/contract/position'), 404, /needs symbols/);
    error(await s.subscribe('/contractAccount/wallet:XBTUSDTM'), 404, /takes no symbol/);
    error(await s.request({ type: 'subscribe', response: true }), 400, /topic is required/);
    error(await s.request({ type: 'openTunnel', newTunnelId: 'bt1', response: true }), 415, /type is not supported/);
    const from = s.frames.length;
    s.socket.send('not json');
    await s.until(() => s.frames.length > from, 'the error');
    error(s.frames[from]!, 400, /not JSON/);
    assert.deepEqual(await s.request({ id: 'still', type: 'ping' }), { id: 'still', type: 'pong' });
    s.close();
  });

  it('a bad token: {"type":"error","code":401,"data":"token is expired"}, then the socket closes (4001)', async () => {
    const s = await KucoinStream.connect(`${f.wsUrl}/kucoin/futures?token=nope&connectId=bad-1`);
    await s.until(() => s.closed !== null, 'the close');
    assert.deepEqual(s.frames, [{ id: 'bad-1', type: 'error', code: 401, data: 'token is expired' }]);
    assert.equal(s.closed!.code, 4001);
  });

  it('a REST auth error answers the bullet request: no token without a valid signature', async () => {
    const a = await f.account();
    const response = await a.rest.request('POST', 'futures', '/api/v1/bullet-private', { headers: { 'KC-API-PASSPHRASE': 'wrong' } });
    assert.deepEqual([response.status, response.body.code], [401, '400004']);
  });
});

describe('KuCoin classic stream: token lifetime and idle cut-off, on time moved by hand', () => {
  let f: KucoinFixture;
  let time: ManualTime;
  before(async () => {
    time = new ManualTime();
    f = await KucoinFixture.start({ dialectSettings: { 'kucoin.pingTimeoutMs': 1_500, 'kucoin.tokenTtlMs': 1_000 }, clock: time, timers: time });
  });
  after(async () => { await f.stop(); });

  it('token expiry: an expired token cannot connect; a socket connected before expiry keeps working', async () => {
    const a = await f.account();
    const early = await connected(a, ['/contractAccount/wallet']);
    const late = await a.rest.futuresStreamUrl('late');
    await time.advance(1_001); // the token lives 1 s here
    const refused = await KucoinStream.connect(late);
    await refused.until(() => refused.closed !== null, 'the close');
    assert.deepEqual(refused.frames, [{ id: 'late', type: 'error', code: 401, data: 'token is expired' }]);
    const from = early.frames.length;
    await f.harness.admin.deposit(a.accountId, '2');
    await early.until(() => early.pushes(from).length >= 1, 'a push after the token expired');
    early.close();
  });

  it('idle close: no ping for kucoin.pingTimeoutMs (1.5 s here) closes with 4000; pings keep it open', async () => {
    const a = await f.account();
    const idle = await connected(a, []);
    const pinging = await connected(a, []);
    // 400 ms steps, a ping (and its pong) after each: the idle one passes 1.5 s at the fourth step.
    for (let step = 0; step < 5; step++) {
      await time.advance(400);
      await pinging.sync();
    }
    await idle.until(() => idle.closed !== null, 'the idle close');
    assert.equal(idle.closed!.code, 4000);
    assert.match(idle.closed!.reason, /no ping for 1\.5 s/);
    assert.equal(pinging.closed, null, 'the pinging connection answered its ping at 2 s');
    pinging.close();
  });
});

describe('KuCoin UTA stream (/kucoin/uta)', () => {
  let f: KucoinFixture;
  before(async () => { f = await KucoinFixture.start(); });
  after(async () => { await f.stop(); });

  it('welcome with pingInterval, subscribe positionAll (ack result:true), positions pushed as T positionAll.FUTURES', async () => {
    const a = await f.account();
    const m = await f.account();
    const s = await KucoinStream.connect(await a.rest.utaStreamUrl(f.wsUrl));
    await s.until(() => s.frames.length >= 1, 'welcome');
    assert.equal(s.frames[0]!.message, 'welcome');
    assert.equal(s.frames[0]!.pingInterval, 18_000);
    assert.equal(typeof s.frames[0]!.sessionId, 'string');
    assert.deepEqual(await s.request({ id: 'u1', action: 'subscribe', channel: 'positionAll', tradeType: 'TRADE' }), { id: 'u1', result: true });
    assert.deepEqual(await s.request({ id: 'u2', action: 'SUBSCRIBE', channel: 'lw', tradeType: 'FUTURES' }), { id: 'u2', result: true });
    assert.deepEqual(await s.request({ id: 'u3', type: 'ping' }), { id: 'u3', type: 'pong' });
    KucoinRest.data(await m.rest.post('/api/v1/orders', { clientOid: 'u-m', side: 'sell', symbol: 'XBTUSDTM', price: '60000', size: 3 }));
    const from = s.frames.length;
    KucoinRest.data(await a.rest.post('/api/v1/orders', { clientOid: 'u-a', side: 'buy', symbol: 'XBTUSDTM', type: 'market', size: 3 }));
    await s.until(() => s.pushes(from).some((p) => p.d!.q === '3'), 'the long 3 position');
    const push = s.pushes(from).find((p) => p.d!.q === '3')!;
    assert.equal(push.T, 'positionAll.FUTURES');
    assert.match(String(push.P), /^\d{19}$/);
    const p = f.view(a.accountId).positions.find((x) => x.symbol === 'btc_usdt')!;
    assert.deepEqual(push.d, {
      // Isolated (a KuCoin account's default): 0.9 margin on 18 → bankrupt at 57,000; liquidated at (18 − 0.9) / (0.0003 × (1 − 0.004)).
      pi: `${a.accountId}-XBTUSDTM-BOTH`, s: 'XBTUSDTM', mM: 'ISOLATED', q: '3', eP: '60000', pV: '18', mP: '60000', lP: '57228.91566266', bP: '57000', l: '20',
      uPL: '0', rPL: '-0.0108', iM: '0.9', mmr: '0.004', mtM: '0.072', U: `${p.updateTime}250000`, O: Number(`${p.openTime}250000`),
    });
    s.close();
  });

  it('refusals in UTA\'s shape: UNIFIED-only channels and tradeType, a position channel without symbol; bad token', async () => {
    const a = await f.account();
    const s = await KucoinStream.connect(await a.rest.utaStreamUrl(f.wsUrl));
    await s.until(() => s.frames.length >= 1, 'welcome');
    const refused = async (message: Record<string, unknown>, reason: RegExp) => {
      const answer = await s.request(message);
      assert.equal(answer.result, false);
      assert.match(String(answer.reason), reason);
    };
    await refused({ action: 'subscribe', channel: 'orderAll', tradeType: 'TRADE' }, /not available for a CLASSIC account/);
    await refused({ action: 'subscribe', channel: 'positionAll', tradeType: 'UNIFIED' }, /account is CLASSIC/);
    await refused({ action: 'subscribe', channel: 'position', tradeType: 'FUTURES' }, /symbol/);
    await refused({ action: 'dance', channel: 'positionAll' }, /subscribe/);
    assert.deepEqual(await s.request({ id: 'ok', action: 'subscribe', channel: 'position', symbol: 'ETHUSDTM', tradeType: 'FUTURES' }), { id: 'ok', result: true });
    s.close();
    const bad = await KucoinStream.connect(`${f.wsUrl}/kucoin/uta?token=nope`);
    await bad.until(() => bad.closed !== null, 'the close');
    assert.deepEqual(bad.frames, [{ id: null, type: 'error', code: 401, data: 'token is expired' }]);
    // A classic token is not a UTA token (KuCoin's tokens cannot be mixed either).
    const classic = new URL(await a.rest.futuresStreamUrl()).searchParams.get('token')!;
    const mixed = await KucoinStream.connect(`${f.wsUrl}/kucoin/uta?token=${classic}`);
    await mixed.until(() => mixed.closed !== null, 'the close');
    assert.equal(mixed.closed!.code, 4001);
  });
});
