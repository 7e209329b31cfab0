/**
 * `kucoin-universal-sdk` (KuCoin's official Node SDK) on XBTUSDM, KuCoin's coin-margined perpetual
 * (the demo btc_usd: 100 USD a lot, settled in XBT), with its defaults: only the endpoints are set.
 * A fresh KuCoin account holding BTC (its XBT wallet) streams its XBTUSDM orders and position and its
 * balance, places a limit buy with the SDK, another account fills 40 of its 100 lots, the SDK cancels
 * the rest and reads back the XBT account, the position, the orders and the fills: every value is the
 * engine's, in XBT (inverse: coin values, the harmonic entry price, a negative cost for a long).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Account, ClientOptionBuilder, DefaultClient, Futures, TransportOptionBuilder, WebSocketClientOptionBuilder } from 'kucoin-universal-sdk';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { formatEntryPrice } from '../../src/engine/format.js';
import { valueOfCost } from '../../src/engine/margin.js';
import type { PositionSnapshot } from '../../src/engine/types.js';
import { Harness } from '../support/harness.js';
import type { Created } from '../support/xt-client.js';
import { KucoinRest } from '../kucoin/client.js';
import { EventLog, within } from './support.js';

type Json = Record<string, unknown>;
interface Push { topic: string; subject: string; data: Json }
const SYMBOL = 'XBTUSDM';

describe('kucoin-universal-sdk on XBTUSDM (coin-margined): REST + private WebSocket in XBT', () => {
  let h: Harness;
  let user: Created;
  let other: Created;
  let client: DefaultClient;
  let ws: Futures.FuturesPrivateWS | undefined;
  const pushes = new EventLog<Push>();
  const view = (accountId: number) => h.server.exchange.engine.account(accountId)!.view;
  const config = () => h.server.exchange.engine.symbols().find((c) => c.symbol === 'btc_usd')!;
  const position = (accountId: number): PositionSnapshot => view(accountId).positions.find((p) => p.symbol === 'btc_usd' && p.positionSide === 'BOTH')!;
  const fund = async (btc: string): Promise<Created> => {
    const created = await h.admin.createAccount('kucoin');
    await h.admin.deposit(created.accountId, btc, 'BTC');
    return created;
  };

  before(async () => {
    h = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await h.admin.markPrice('btc_usd', '60000');
    user = await fund('1');
    other = await fund('1');
    const option = new ClientOptionBuilder()
      .setKey(user.apiKey).setSecret(user.secret).setPassphrase(user.passphrase)
      .setSpotEndpoint(`${h.server.url}/kucoin-spot`).setFuturesEndpoint(`${h.server.url}/kucoin-futures`)
      .setTransportOption(new TransportOptionBuilder().build()).setWebSocketClientOption(new WebSocketClientOptionBuilder().build())
      .build();
    client = new DefaultClient(option);
  });
  after(async () => {
    await ws?.stop();
    await h.stop();
  });

  it('stream, order, fill by another account, cancel, read back: XBT values equal to the engine\'s', async () => {
    const record = (topic: string, subject: string, data: unknown): void => pushes.push({ topic, subject, data: data as Json });
    const stream = client.wsService().newFuturesPrivateWS();
    ws = stream;
    await within(stream.start(), 'start the private WebSocket');
    await within(stream.order(SYMBOL, record), 'subscribe order');
    await within(stream.position(SYMBOL, record), 'subscribe position');
    await within(stream.balance(record), 'subscribe balance');

    const futures = client.restService().getFuturesService();
    const orders = futures.getOrderApi();
    const req = Futures.Order.AddOrderReq.builder()
      .setClientOid(`sdk-inv-${user.accountId}`).setSide(Futures.Order.AddOrderReq.SideEnum.BUY).setSymbol(SYMBOL).setLeverage(3)
      .setType(Futures.Order.AddOrderReq.TypeEnum.LIMIT).setPrice('60000').setSize(100).build();
    const orderId = (await within(orders.addOrder(req), 'addOrder')).orderId;
    const orderPush = (type: string) => (p: Push): boolean => p.subject === 'symbolOrderChange' && p.data.orderId === orderId && p.data.type === type;
    await pushes.find(orderPush('open'), 'order open');

    const taker = new KucoinRest(h.server.url, other.apiKey, other.secret, other.passphrase);
    KucoinRest.data(await taker.post('/api/v1/orders', { clientOid: `taker-${other.accountId}`, side: 'sell', symbol: SYMBOL, type: 'market', size: 40, marginMode: 'ISOLATED' }));
    const match = (await pushes.find(orderPush('match'), 'order match')).data;
    assert.deepEqual([match.matchSize, match.matchPrice, match.liquidity, match.feeCurrency], ['40', '60000', 'maker', 'XBT']);

    const c = config();
    const p = position(user.accountId);
    assert.equal(p.qty, 40);
    // 40 lots × 100 USD at 60,000: 0.0666666666… XBT; KuCoin's long cost is negative, at 10 decimals.
    const posCost = -Number(p.entryCost) / 1e16;
    const positionPush = (await pushes.find((x) => x.subject === 'position.change' && x.data.currentQty === 40, 'position.change')).data;
    assert.deepEqual([positionPush.symbol, positionPush.posCost, positionPush.markValue, positionPush.unrealisedPnl, positionPush.avgEntryPrice, positionPush.settleCurrency, positionPush.posMargin],
      [SYMBOL, -0.0666666667, -0.0666666667, 0, Number(formatEntryPrice(c, p.entryCost, 40, 10 - c.priceDecimals)), 'XBT', Number(formatAmount(p.margin))]);
    assert.ok(Math.abs(posCost - -0.0666666667) < 1e-10);
    const wallet = () => view(user.accountId).wallets.find((x) => x.asset === 'BTC')!;
    const afterFill = wallet();
    await pushes.find((x) => x.subject === 'walletBalance.change' && x.data.currency === 'XBT' && x.data.walletBalance === formatAmount(afterFill.walletBalance), 'walletBalance.change in XBT');

    await within(orders.cancelOrderById(Futures.Order.CancelOrderByIdReq.builder().setOrderId(orderId).build()), 'cancelOrderById');
    await pushes.find(orderPush('canceled'), 'order canceled');

    const w = wallet();
    const account = await within(client.restService().getAccountService().getAccountApi()
      .getFuturesAccount(Account.Account.GetFuturesAccountReq.builder().setCurrency('XBT').build()), 'getFuturesAccount XBT');
    assert.deepEqual([account.currency, account.availableBalance, account.positionMargin, account.orderMargin, account.marginBalance],
      ['XBT', Number(formatAmount(w.availableBalance)), Number(formatAmount(w.isolatedMargin + w.crossedMargin)), Number(formatAmount(w.openOrderMarginFrozen)), Number(formatAmount(w.walletBalance + p.unrealizedPnl))]);
    const details = await within(futures.getPositionsApi().getPositionDetails(Futures.Positions.GetPositionDetailsReq.builder().setSymbol(SYMBOL).build()), 'getPositionDetails');
    assert.deepEqual([details.symbol, details.currentQty, details.posCost, details.avgEntryPrice, details.isInverse, details.settleCurrency, details.posMargin, details.marginMode],
      [SYMBOL, 40, -0.0666666667, Number(formatEntryPrice(c, p.entryCost, 40, 10 - c.priceDecimals)), true, 'XBT', Number(formatAmount(p.margin)), 'ISOLATED']);

    const o = h.server.exchange.history.finishedOrder(user.accountId, Number(orderId))!;
    const done = await within(orders.getOrderList(Futures.Order.GetOrderListReq.builder().setStatus(Futures.Order.GetOrderListReq.StatusEnum.DONE).setSymbol(SYMBOL).build()), 'getOrderList done');
    assert.deepEqual(done.items.map((x) => [x.id, x.status, x.size, x.filledSize, x.value, x.filledValue, x.avgDealPrice, x.settleCurrency]),
      // value: 100 × 100 / 60,000 XBT; filled: 40 × 100 / 60,000, both to 10⁻⁸ XBT as the engine keeps them.
      [[orderId, 'done', 100, 40, '0.16666666', formatAmount(valueOfCost(c, o.cumCost)), formatEntryPrice(c, o.cumCost, 40, 10 - c.priceDecimals), 'XBT']]);
    assert.equal(formatAmount(valueOfCost(c, o.cumCost)), '0.06666666');
    const fills = await within(orders.getTradeHistory(Futures.Order.GetTradeHistoryReq.builder().setOrderId(orderId).build()), 'getTradeHistory');
    const [fill] = h.server.exchange.history.trades(user.accountId);
    assert.deepEqual(fills.items.map((x) => [x.tradeId, x.size, x.price, x.value, x.fee, x.feeCurrency, x.settleCurrency]),
      [[String(fill!.tradeId), 40, '60000', '0.06666666', formatAmount(fill!.fee), 'XBT', 'XBT']]);
  });
});
