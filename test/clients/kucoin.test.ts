/**
 * `kucoin-universal-sdk` (KuCoin's official Node SDK) against a started perpstream, pointed at it
 * with nothing but its endpoints (`setFuturesEndpoint`, `setSpotEndpoint`; the stream's address
 * comes from bullet-private, as on KuCoin), on a fresh account created for KuCoin, with the SDK's
 * defaults for everything else (its AddOrderReq sends marginMode ISOLATED on every order). The
 * scenario: the SDK starts its futures private WebSocket and subscribes to the symbol's orders and
 * position and to the balance, places a limit order, another account fills part of it, the SDK
 * cancels the rest and reads back the account, the position and the orders; every value equals the
 * engine's, and the stream carried this account's events only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Account, type DefaultClient, Futures } from 'kucoin-universal-sdk';
import { KucoinRest } from '../kucoin/client.js';
import { futuresPrivateStream, kucoinSdkClient } from './kucoin-sdk.js';
import { average, base, ClientsFixture, dec, EventLog, price, within, type Created } from './support.js';

type Json = Record<string, unknown>;
interface Push { topic: string; subject: string; data: Json }
const SYMBOL = 'XBTUSDTM';

/** A number the SDK parsed from JSON, as exact 10⁻⁸ units (its decimal text round-trips). */
const num = (value: number | string): bigint => dec(String(value));

describe('kucoin-universal-sdk (KuCoin\'s official SDK) futures REST + private WebSocket', () => {
  let f: ClientsFixture;
  let user: Created;
  let other: Created;
  let client: DefaultClient;
  let ws: Futures.FuturesPrivateWS | undefined;
  const pushes = new EventLog<Push>();

  before(async () => {
    f = await ClientsFixture.start();
    user = await f.account('kucoin', '10000');
    other = await f.account('kucoin', '100000');
    client = kucoinSdkClient(f.url, user);
  });
  after(async () => {
    await ws?.stop();
    await f.stop();
  });

  it('stream, order, fill by another account, cancel, read back: every value is the engine\'s', async () => {
    const record = (topic: string, subject: string, data: unknown): void => pushes.push({ topic, subject, data: data as Json });
    ws = await futuresPrivateStream(client, SYMBOL, record);

    const futures = client.restService().getFuturesService();
    const orders = futures.getOrderApi();
    const req = Futures.Order.AddOrderReq.builder()
      .setClientOid(`sdk-${user.accountId}-1`).setSide(Futures.Order.AddOrderReq.SideEnum.BUY).setSymbol(SYMBOL).setLeverage(3)
      .setType(Futures.Order.AddOrderReq.TypeEnum.LIMIT).setPrice('60000').setSize(100).build();
    const placed = await within(orders.addOrder(req), 'addOrder');
    const orderId = placed.orderId;
    let o = f.order(user.accountId, orderId);
    assert.deepEqual([o.positionSide, o.marginMode, o.qty, o.price], ['BOTH', 'ISOLATED', 100, 600_000], 'the SDK\'s default order: one-way, isolated');
    const orderPush = (type: string) => (p: Push): boolean => p.subject === 'symbolOrderChange' && p.data.orderId === orderId && p.data.type === type;
    await pushes.find(orderPush('open'), 'order open');

    // Another account fills 40 of the 100 lots.
    const taker = new KucoinRest(f.url, other.apiKey, other.secret, other.passphrase);
    const taken = await taker.post<{ orderId: string }>('/api/v1/orders', { clientOid: `taker-${other.accountId}`, side: 'sell', symbol: SYMBOL, type: 'market', size: 40, marginMode: 'ISOLATED' });
    assert.equal(taken.body.code, '200000', JSON.stringify(taken.body));
    const match = (await pushes.find(orderPush('match'), 'order match')).data;
    const [fill] = f.trades(user.accountId);
    assert.ok(fill !== undefined);
    assert.deepEqual([dec(match.matchSize as string), dec(match.matchPrice as string), match.tradeId, match.liquidity, dec(match.filledSize as string), dec(match.remainSize as string)],
      [dec(String(fill.qty)), price(fill.price), String(fill.tradeId), 'maker', dec('40'), dec('60')]);
    const afterFill = f.wallet(user.accountId);
    const p = f.position(user.accountId);
    const positionPush = (await pushes.find((x) => x.subject === 'position.change' && x.data.currentQty === 40, 'position.change')).data;
    assert.deepEqual([positionPush.symbol, positionPush.currentQty, num(positionPush.avgEntryPrice as number), positionPush.marginMode, positionPush.positionSide, num(positionPush.posMargin as number)],
      [SYMBOL, p.qty, average(p.entryCost, p.qty), 'ISOLATED', 'BOTH', p.margin]);
    await pushes.find((x) => x.subject === 'walletBalance.change' && dec(x.data.walletBalance as string) === afterFill.walletBalance, 'walletBalance.change after the fill');

    const canceled = await within(orders.cancelOrderById(Futures.Order.CancelOrderByIdReq.builder().setOrderId(orderId).build()), 'cancelOrderById');
    assert.deepEqual(canceled.cancelledOrderIds, [orderId]);
    o = f.order(user.accountId, orderId);
    assert.equal(o.state, 'PARTIALLY_CANCELED');
    await pushes.find(orderPush('canceled'), 'order canceled');

    // Read back with the SDK.
    const w = f.wallet(user.accountId);
    const account = await within(client.restService().getAccountService().getAccountApi()
      .getFuturesAccount(Account.Account.GetFuturesAccountReq.builder().setCurrency('USDT').build()), 'getFuturesAccount');
    assert.deepEqual([account.currency, num(account.availableBalance), num(account.positionMargin), num(account.orderMargin), num(account.unrealisedPNL), num(account.marginBalance)],
      ['USDT', w.availableBalance, w.isolatedMargin + w.crossedMargin, w.openOrderMarginFrozen, p.unrealizedPnl, w.walletBalance]);
    const position = await within(futures.getPositionsApi().getPositionDetails(Futures.Positions.GetPositionDetailsReq.builder().setSymbol(SYMBOL).build()), 'getPositionDetails');
    assert.deepEqual([position.symbol, position.currentQty, num(position.avgEntryPrice), num(position.posMargin), num(position.unrealisedPnl), position.marginMode, position.positionSide, position.isOpen],
      [SYMBOL, p.qty, average(p.entryCost, p.qty), p.margin, p.unrealizedPnl, 'ISOLATED', 'BOTH', true]);
    const Status = Futures.Order.GetOrderListReq.StatusEnum;
    const open = await within(orders.getOrderList(Futures.Order.GetOrderListReq.builder().setStatus(Status.ACTIVE).setSymbol(SYMBOL).build()), 'getOrderList active');
    assert.deepEqual(open.items, []);
    const done = await within(orders.getOrderList(Futures.Order.GetOrderListReq.builder().setStatus(Status.DONE).setSymbol(SYMBOL).build()), 'getOrderList done');
    assert.deepEqual(done.items.map((x) => [x.id, x.status, x.isActive, x.cancelExist, x.size, x.filledSize, dec(x.price), dec(x.avgDealPrice), x.marginMode]),
      [[orderId, 'done', false, true, o.qty, o.executedQty, price(o.price), average(o.cumQuote, o.executedQty), 'ISOLATED']]);
    const fills = await within(orders.getTradeHistory(Futures.Order.GetTradeHistoryReq.builder().setOrderId(orderId).build()), 'getTradeHistory');
    assert.deepEqual(fills.items.map((x) => [x.tradeId, x.orderId, x.side, x.liquidity, x.size, dec(x.price), dec(x.fee)]),
      [[String(fill.tradeId), orderId, 'buy', 'maker', fill.qty, price(fill.price), fill.fee]]);
    assert.equal(base(fill.qty), base(40));

    // This account's events only: no order or balance of the other account.
    const mine = f.orderIds(user.accountId);
    const theirs = f.orderIds(other.accountId);
    assert.ok(theirs.has(Number(taken.body.data!.orderId)));
    for (const x of pushes.items.filter((y) => y.subject === 'symbolOrderChange')) {
      assert.ok(mine.has(Number(x.data.orderId)) && !theirs.has(Number(x.data.orderId)), `an order push of ${String(x.data.orderId)}, not this account's`);
    }
    const balances = pushes.items.filter((x) => x.subject === 'walletBalance.change').map((x) => dec(x.data.walletBalance as string));
    assert.ok(balances.every((b) => b === dec('10000') || b === afterFill.walletBalance), `wallet pushes ${balances.join(', ')}: not all this account's`);
  });
});
