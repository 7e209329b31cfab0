/**
 * XT's two hosts on one server (src/dialects/xt/venue.ts): USDT-M at the root (fapi.xt.com) and
 * Coin-M under /dapi (dapi.xt.com), each listing, accepting and pushing only its own contracts and
 * wallets; coin-margined values (balance underlyingType 1 / coin btc, position COIN_BASED, harmonic
 * entry and average prices); delivery contracts in the symbol list and crossed with open orders and
 * positions on both hosts (a ManualTime clock): orders EXPIRED, positions closed, balances pushed,
 * orders refused after, in pushes and REST. Every value is compared with the engine's own state.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { formatAmount } from '../../src/engine/fixed.js';
import { formatAveragePrice, formatEntryPrice } from '../../src/engine/format.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import { StreamClient, XtClient, type Push, type XtEnvelope } from '../support/xt-client.js';

const ALL_SYMBOLS = [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS];
const TOPICS = ['balance', 'position', 'trade', 'order', 'notify'];
type Row = Record<string, unknown>;

/** An account with a signed client and a subscribed user stream on each host. */
interface TwoHosts {
  accountId: number;
  root: XtClient;
  dapi: XtClient;
  rootStream: StreamClient;
  dapiStream: StreamClient;
}

async function twoHosts(h: Harness, streams: StreamClient[], deposits: { USDT?: string; BTC?: string }): Promise<TwoHosts> {
  const created = await h.admin.createAccount();
  for (const [asset, amount] of Object.entries(deposits)) await h.admin.deposit(created.accountId, amount, asset);
  const root = new XtClient(h.server.url, created.apiKey, created.secret);
  const dapi = new XtClient(`${h.server.url}/dapi`, created.apiKey, created.secret);
  root.now = dapi.now = () => h.now();
  const rootStream = await StreamClient.connect(h.server.wsUrl, '/ws/user');
  // A key from the Coin-M host's own listen-key route opens its stream.
  const dapiStream = await StreamClient.connect(h.server.wsUrl, '/dapi/ws/user');
  streams.push(rootStream, dapiStream);
  assert.equal((await rootStream.subscribe(await root.listenKey(), TOPICS)).code, 0);
  assert.equal((await dapiStream.subscribe(await dapi.listenKey(), TOPICS)).code, 0);
  return { accountId: created.accountId, root, dapi, rootStream, dapiStream };
}

const configOf = (h: Harness, symbol: string): SymbolConfig => h.server.exchange.engine.symbols().find((c) => c.symbol === symbol)!;
const viewOf = (h: Harness, accountId: number) => h.server.exchange.engine.account(accountId)!.view;

async function order(client: XtClient, body: Row): Promise<string> {
  const answer = await client.post<string>('/future/trade/v1/order/create', { orderType: 'LIMIT', timeInForce: 'GTC', ...body });
  assert.equal(answer.returnCode, 0, `order/create ${JSON.stringify(body)}: ${JSON.stringify(answer)}`);
  return answer.result;
}

async function publicGet<T>(base: string, path: string): Promise<XtEnvelope<T>> {
  return (await (await fetch(`${base}${path}`)).json()) as XtEnvelope<T>;
}

const symbolsIn = (pushes: Push[]): string[] =>
  [...new Set(pushes.map((p) => (p.topic === 'balance' ? `coin:${String(p.data.coin)}` : String(p.data.symbol))))].sort();

describe('xt Coin-M host: lists, refusals, coin-margined values', () => {
  let h: Harness;
  const streams: StreamClient[] = [];
  before(async () => {
    h = await Harness.start({ symbols: ALL_SYMBOLS });
    await h.admin.markPrice('btc_usd', '60000');
  });
  after(async () => {
    for (const s of streams) s.close();
    await h.stop();
  });

  it('each host lists only its own kind; delivery contracts carry deliveryDate, deliveryPrice, deliveryCompletion', async () => {
    const root = await publicGet<Row[]>(h.server.url, '/future/market/v1/public/symbol/list');
    const dapi = await publicGet<Row[]>(`${h.server.url}/dapi`, '/future/market/v1/public/symbol/list');
    assert.deepEqual(root.result.map((s) => s.symbol), ['btc_usdt', 'eth_usdt', 'btc_usdt270326']);
    assert.deepEqual(dapi.result.map((s) => s.symbol), ['btc_usd', 'btc_usd270326']);
    assert.ok(root.result.every((s) => s.underlyingType === 'U_BASED'));
    assert.ok(dapi.result.every((s) => s.underlyingType === 'COIN_BASED'));
    const perpetual = dapi.result[0]!;
    assert.deepEqual([perpetual.contractType, perpetual.productType, perpetual.contractSize, perpetual.deliveryDate, perpetual.deliveryCompletion],
      ['PERPETUAL', 'perpetual', '100', null, false]);
    for (const delivery of [root.result[2]!, dapi.result[1]!]) {
      assert.deepEqual([delivery.contractType, delivery.productType, delivery.deliveryDate, delivery.deliveryPrice, delivery.deliveryCompletion, delivery.tradeSwitch],
        ['DELIVERY', 'delivery', MARCH_2027_DELIVERY, null, false, true], String(delivery.symbol));
    }
    const detail = await publicGet<Row>(`${h.server.url}/dapi`, '/future/market/v1/public/symbol/detail?symbol=btc_usd270326');
    assert.equal(detail.result.deliveryDate, MARCH_2027_DELIVERY);
    // The other host's symbol is as unknown as any other (XT's invalid_symbol).
    const wrong = await publicGet<Row>(h.server.url, '/future/market/v1/public/symbol/detail?symbol=btc_usd');
    assert.deepEqual([wrong.returnCode, wrong.error?.code], [1, 'SYMBOL_001']);
    const wrongDapi = await publicGet<Row>(`${h.server.url}/dapi`, '/future/market/v1/public/q/ticker?symbol=btc_usdt');
    assert.deepEqual([wrongDapi.returnCode, wrongDapi.error?.code], [1, 'SYMBOL_001']);
  });

  it("each host's public stream subscribes its own symbols only", async () => {
    const subscribe = async (path: string, param: string): Promise<number> => {
      const stream = await StreamClient.connect(h.server.wsUrl, path);
      streams.push(stream);
      stream.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: [param], id: '1' }));
      await stream.until(() => stream.acks.length > 0, 5_000, `the ack of ${param} on ${path}`);
      return stream.acks[0]!.code;
    };
    assert.deepEqual([await subscribe('/dapi/ws/market', 'trade@btc_usd'), await subscribe('/dapi/ws/market', 'trade@btc_usdt'),
      await subscribe('/ws/market', 'trade@btc_usd270326'), await subscribe('/ws/market', 'trade@btc_usdt270326')], [0, 1, 1, 0]);
  });

  it("an order for the other host's symbol gets XT's invalid_symbol and changes nothing; the other host's orders are unknown", async () => {
    const a = await twoHosts(h, streams, { USDT: '1000', BTC: '1' });
    const seq = h.server.exchange.engine.cmdSeq;
    const base = { orderSide: 'BUY', positionSide: 'LONG', origQty: '1', price: '60000' };
    for (const [client, symbol] of [[a.root, 'btc_usd'], [a.root, 'btc_usd270326'], [a.dapi, 'btc_usdt'], [a.dapi, 'btc_usdt270326']] as const) {
      const answer = await client.post('/future/trade/v1/order/create', { ...base, symbol, orderType: 'LIMIT' });
      assert.deepEqual([answer.returnCode, answer.error?.code], [1, 'SYMBOL_001'], `${symbol} on ${client.baseUrl}: ${JSON.stringify(answer)}`);
      assert.match(answer.error!.msg, /^invalid_symbol: /);
    }
    const leverage = await a.root.post('/future/user/v1/position/adjust-leverage', { symbol: 'btc_usd', positionSide: 'LONG', leverage: 5 });
    assert.deepEqual([leverage.returnCode, leverage.error?.code], [1, 'SYMBOL_001']);
    assert.equal(h.server.exchange.engine.cmdSeq, seq, 'nothing was journaled');
    assert.deepEqual(viewOf(h, a.accountId).orders, []);

    const id = await order(a.dapi, { ...base, symbol: 'btc_usd', price: '55000' });
    const detail = await a.root.get('/future/trade/v1/order/detail', { orderId: id });
    assert.deepEqual([detail.returnCode, detail.error?.code], [1, 'ORDER_005'], 'a Coin-M order is not known on USDT-M');
    const cancel = await a.root.post('/future/trade/v1/order/cancel', { orderId: id });
    assert.deepEqual([cancel.returnCode, cancel.error?.code], [1, 'ORDER_005']);
    const rootOpen = await a.root.get<{ items: Row[] }>('/future/trade/v1/order/list', { state: 'NEW' });
    assert.deepEqual(rootOpen.result.items, []);
    const dapiOpen = await a.dapi.get<{ items: Row[] }>('/future/trade/v1/order/list', { state: 'NEW' });
    assert.deepEqual(dapiOpen.result.items.map((o) => o.orderId), [id]);
    assert.equal((await a.dapi.post('/future/trade/v1/order/cancel', { orderId: id })).returnCode, 0);

    // A cancel-all without a symbol stays on its host: the Coin-M plan survives the USDT-M cancel-all.
    const plan = await a.dapi.post<string>('/future/trade/v1/entrust/create-plan', {
      symbol: 'btc_usd', orderSide: 'BUY', positionSide: 'LONG', entrustType: 'STOP_MARKET', origQty: '1', stopPrice: '61000', timeInForce: 'IOC', triggerPriceType: 'MARK_PRICE',
    });
    assert.equal(plan.returnCode, 0, JSON.stringify(plan));
    for (const path of ['/future/trade/v1/entrust/cancel-all-plan', '/future/trade/v1/order/cancel-all']) assert.equal((await a.root.post(path, {})).returnCode, 0);
    assert.deepEqual(viewOf(h, a.accountId).conditionals.map((c) => String(c.conditionalId)), [plan.result]);
    const rootPlans = await a.root.get<{ items: Row[] }>('/future/trade/v1/entrust/plan-list', { state: 'NOT_TRIGGERED' });
    assert.deepEqual(rootPlans.result.items, []);
    const dapiPlans = await a.dapi.get<{ items: Row[] }>('/future/trade/v1/entrust/plan-list', { state: 'NOT_TRIGGERED' });
    assert.deepEqual(dapiPlans.result.items.map((p) => p.entrustId), [plan.result]);
    assert.equal((await a.dapi.post('/future/trade/v1/entrust/cancel-all-plan', {})).returnCode, 0);
    assert.deepEqual(viewOf(h, a.accountId).conditionals, []);
  });

  it('coin-margined trading: pushes and REST in BTC, underlyingType 1 / COIN_BASED, harmonic entry and average prices equal to the engine', async () => {
    const a = await twoHosts(h, streams, { USDT: '1000', BTC: '1' });
    const b = await twoHosts(h, streams, { BTC: '1' });
    const config = configOf(h, 'btc_usd');
    // Two fills at different prices: the harmonic mean (coin-weighted) differs from the arithmetic one.
    await order(b.dapi, { symbol: 'btc_usd', orderSide: 'SELL', positionSide: 'SHORT', origQty: '5', price: '60000' });
    await order(b.dapi, { symbol: 'btc_usd', orderSide: 'SELL', positionSide: 'SHORT', origQty: '3', price: '58000' });
    const taker = await order(a.dapi, { symbol: 'btc_usd', orderSide: 'BUY', positionSide: 'LONG', origQty: '8', price: '60000' });
    await a.dapiStream.until(() => a.dapiStream.pushes.some((p) => p.topic === 'order' && p.data.orderId === taker && p.data.state === 'FILLED'), 5_000, 'the taker FILLED');
    await a.dapiStream.sync();
    await a.rootStream.sync();

    const view = viewOf(h, a.accountId);
    const position = view.positions.find((p) => p.symbol === 'btc_usd' && p.positionSide === 'LONG')!;
    const wallet = view.wallets.find((w) => w.asset === 'BTC')!;
    const entry = formatEntryPrice(config, position.entryCost, position.qty);
    assert.notEqual(entry, formatAveragePrice(config, 5n * 600_000n + 3n * 580_000n, 8), 'harmonic, not arithmetic');

    const last = (topic: string): Row => [...a.dapiStream.pushes].reverse().find((p) => p.topic === topic)!.data;
    const balance = last('balance');
    assert.deepEqual([balance.coin, balance.underlyingType, balance.walletBalance, balance.availableBalance, balance.crossedMargin],
      ['btc', 1, formatAmount(wallet.walletBalance), formatAmount(wallet.availableBalance), formatAmount(wallet.crossedMargin)]);
    const pushed = last('position');
    assert.deepEqual([pushed.symbol, pushed.contractType, pushed.underlyingType, pushed.positionSize, pushed.entryPrice, pushed.isolatedMargin],
      ['btc_usd', 'PERPUTUAL', 'COIN_BASED', '8', entry, formatAmount(position.margin)]);
    const filled = h.server.exchange.history.finishedOrder(a.accountId, Number(taker))!;
    const pushedOrder = last('order');
    assert.equal(pushedOrder.avgPrice, formatEntryPrice(config, filled.cumCost, filled.executedQty));
    const trades = a.dapiStream.pushes.filter((p) => p.topic === 'trade');
    assert.deepEqual(trades.map((t) => [t.data.price, t.data.feeCoin]), [['58000', 'btc'], ['60000', 'btc']]);
    // The USDT-M stream carried none of it.
    assert.deepEqual(symbolsIn(a.rootStream.pushes), [], `root pushes: ${JSON.stringify(a.rootStream.pushes)}`);

    const dapiBalances = await a.dapi.get<Row[]>('/future/user/v1/balance/list');
    assert.deepEqual(dapiBalances.result.map((w) => [w.coin, w.underlyingType, w.walletBalance]), [['btc', 1, formatAmount(wallet.walletBalance)]]);
    const rootBalances = await a.root.get<Row[]>('/future/user/v1/balance/list');
    assert.deepEqual(rootBalances.result.map((w) => [w.coin, w.underlyingType]), [['usdt', 2]]);
    const dapiPositions = await a.dapi.get<Row[]>('/future/user/v1/position/list');
    assert.deepEqual(dapiPositions.result.filter((p) => p.positionSize !== '0').map((p) => [p.symbol, p.contractType, p.underlyingType, p.entryPrice]),
      [['btc_usd', 'PERPETUAL', 'COIN_BASED', entry]]);
    const rootPositions = await a.root.get<Row[]>('/future/user/v1/position/list');
    assert.ok(rootPositions.result.every((p) => p.symbol !== 'btc_usd'));
    const restOrder = await a.dapi.get<Row>('/future/trade/v1/order/detail', { orderId: taker });
    assert.equal(restOrder.result.avgPrice, pushedOrder.avgPrice);
    const fills = await a.dapi.get<{ items: Row[] }>('/future/trade/v1/order/trade-list', { symbol: 'btc_usd' });
    assert.equal(fills.result.items.length, 2);
    const rootFills = await a.root.get<{ items: Row[] }>('/future/trade/v1/order/trade-list');
    assert.deepEqual(rootFills.result.items, []);
    // Public market data in the inverse's units: `a` contracts, `v` their quote value (8 × 100 USD).
    const ticker = await publicGet<Row>(`${h.server.url}/dapi`, '/future/market/v1/public/q/ticker?symbol=btc_usd');
    assert.deepEqual([ticker.result.a, ticker.result.v, ticker.result.c], ['8', '800', '60000']);
  });
});

describe('xt delivery on both hosts (ManualTime)', () => {
  it('at the delivery time open orders end EXPIRED, positions close, balances follow; orders are refused after; REST agrees', async () => {
    const time = new ManualTime(MARCH_2027_DELIVERY - 2_000);
    const h = await Harness.start({ symbols: ALL_SYMBOLS, clock: time, timers: time, priceTickMs: 0, fundingSchedule: true });
    const streams: StreamClient[] = [];
    try {
      const a = await twoHosts(h, streams, { USDT: '10000', BTC: '1' });
      const b = await twoHosts(h, streams, { USDT: '10000', BTC: '1' });
      const cases = [{ symbol: 'btc_usdt270326', client: (x: TwoHosts) => x.root, stream: (x: TwoHosts) => x.rootStream, coin: 'usdt', type: 2 },
        { symbol: 'btc_usd270326', client: (x: TwoHosts) => x.dapi, stream: (x: TwoHosts) => x.dapiStream, coin: 'btc', type: 1 }];
      const resting: string[] = [];
      for (const c of cases) {
        await h.admin.request('POST', '/index-price', { symbol: c.symbol, price: '60000' });
        await order(c.client(b), { symbol: c.symbol, orderSide: 'SELL', positionSide: 'SHORT', origQty: '10', price: '60000' });
        await order(c.client(a), { symbol: c.symbol, orderSide: 'BUY', positionSide: 'LONG', origQty: '10', price: '60000' });
        resting.push(await order(c.client(a), { symbol: c.symbol, orderSide: 'BUY', positionSide: 'LONG', origQty: '5', price: '59000' }));
      }
      for (const s of [a.rootStream, a.dapiStream]) await s.sync();
      const from = [a.rootStream.pushes.length, a.dapiStream.pushes.length];

      await time.advance(2_000);
      for (const c of cases) assert.equal(h.server.exchange.engine.prices(c.symbol, h.now())!.delivery!.settledPrice, 600_000, `${c.symbol} settled`);
      for (const s of [a.rootStream, a.dapiStream]) await s.sync();

      for (const [i, c] of cases.entries()) {
        const stream = c.stream(a);
        const pushes = stream.pushes.slice(from[i]);
        assert.deepEqual(symbolsIn(pushes), [`coin:${c.coin}`, c.symbol].sort(), `${c.symbol}: only this host's pushes`);
        const expired = pushes.find((p) => p.topic === 'order' && p.data.orderId === resting[i]);
        assert.deepEqual([expired?.data.state, expired?.data.reason], ['EXPIRED', 'DELIVERY']);
        const closed = pushes.filter((p) => p.topic === 'position').at(-1)!.data;
        assert.deepEqual([closed.contractType, closed.positionSide, closed.positionSize], ['DELIVERY', 'LONG', '0']);
        const view = viewOf(h, a.accountId);
        const position = view.positions.find((p) => p.symbol === c.symbol && p.positionSide === 'LONG')!;
        assert.equal(closed.realizedProfit, formatAmount(position.realizedPnlTotal));
        const balance = pushes.filter((p) => p.topic === 'balance').at(-1)!.data;
        const wallet = view.wallets.find((w) => w.asset === c.coin.toUpperCase())!;
        assert.deepEqual([balance.underlyingType, balance.walletBalance, balance.openOrderMarginFrozen, balance.crossedMargin],
          [c.type, formatAmount(wallet.walletBalance), '0', '0']);

        // REST: the order EXPIRED, the symbol settled, no open position, and no more orders.
        const client = c.client(a);
        assert.equal((await client.get<Row>('/future/trade/v1/order/detail', { orderId: resting[i]! })).result.state, 'EXPIRED');
        const listed = await client.get<{ items: Row[] }>('/future/trade/v1/order/list', { state: 'EXPIRED', symbol: c.symbol });
        assert.deepEqual(listed.result.items.map((o) => o.orderId), [resting[i]]);
        const history = await client.get<{ items: Row[] }>('/future/trade/v1/order/list-history', { symbol: c.symbol });
        assert.ok(history.result.items.some((o) => o.orderId === resting[i] && o.state === 'EXPIRED'));
        const positions = await client.get<Row[]>('/future/user/v1/position/list', { symbol: c.symbol });
        assert.ok(positions.result.every((p) => p.positionSize === '0'));
        const detail = await publicGet<Row>(client.baseUrl, `/future/market/v1/public/symbol/detail?symbol=${c.symbol}`);
        assert.deepEqual([detail.result.deliveryCompletion, detail.result.deliveryPrice, detail.result.tradeSwitch], [true, '60000', false]);
        const before = JSON.stringify(viewOf(h, a.accountId), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
        const late = await client.post('/future/trade/v1/order/create', { symbol: c.symbol, orderType: 'LIMIT', orderSide: 'BUY', positionSide: 'LONG', origQty: '1', price: '60000' });
        assert.deepEqual([late.returnCode, late.error?.code], [1, 'symbol_is_not_trading'], JSON.stringify(late));
        assert.equal(JSON.stringify(viewOf(h, a.accountId), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)), before, 'the refused order changed nothing');
      }
    } finally {
      for (const s of streams) s.close();
      await h.stop();
    }
  });
});
