/**
 * Bybit's public stream for `category=inverse` at /bybit/v5/public/inverse: ccxt 4.5.84 watches
 * BTC/USD:BTC's ticker and trades there (sizes in USD); each category's stream knows its own
 * symbols only, so the linear stream refuses an inverse topic and the inverse one a linear topic.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import WebSocket from 'ws';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { Harness } from '../support/harness.js';
import { withTimeout } from '../support/timeout.js';
import { subscribed, watchUntil } from '../ccxt/helpers.js';

const T = 5_000;
const INV = 'BTC/USD:BTC';

/** One subscribe request on a raw connection to `url`, and its reply. */
async function subscribeReply(url: string, topic: string): Promise<Record<string, unknown>> {
  const socket = new WebSocket(url);
  try {
    await withTimeout(new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); }), T, 'open');
    const reply = new Promise<Record<string, unknown>>((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>)));
    socket.send(JSON.stringify({ op: 'subscribe', args: [topic], req_id: 'r1' }));
    return await withTimeout(reply, T, `reply to ${topic}`);
  } finally {
    socket.close();
  }
}

describe('Bybit public inverse stream', () => {
  let harness: Harness;
  let ex: InstanceType<typeof ccxt.pro.bybit>;

  before(async () => {
    harness = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS] });
    await harness.admin.markPrice('btc_usd', '60000');
    const H = harness.server.url;
    const W = harness.server.wsUrl;
    ex = new ccxt.pro.bybit({ enableRateLimit: false, has: { fetchCurrencies: false },
      options: { fetchMarkets: { types: ['inverse'] }, enableUnifiedAccount: true, enableUnifiedMargin: false },
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit`,
        ws: { public: { inverse: `${W}/bybit/v5/public/inverse` } } } } });
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
  });
  after(async () => {
    await ex?.close();
    await harness?.stop();
  });

  test('ccxt watchTicker and watchTrades on BTC/USD:BTC: the mark, and a trade of 300 USD', async () => {
    const ticker = await withTimeout(ex.watchTicker(INV), T, 'watchTicker');
    assert.equal(ticker.symbol, INV);
    assert.equal(ticker.markPrice, 60_000);
    const accounts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await harness.admin.createAccount();
      await harness.admin.deposit(created.accountId, '1', 'BTC');
      accounts.push(created.accountId);
    }
    // From Bybit's ack of the publicTrade subscription on, a trade reaches ccxt's cache.
    await subscribed(ex, () => ex.watchTrades(INV), (m) => m.op === 'subscribe' && m.success === true, 'publicTrade.BTCUSD');
    const place = (accountId: number, side: 'BUY' | 'SELL') => harness.server.exchange.execute({
      type: 'placeOrder', accountId, symbol: 'btc_usd', side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 3, reduceOnly: false,
    });
    for (const [accountId, side] of [[accounts[0]!, 'SELL'], [accounts[1]!, 'BUY']] as const) assert.equal((await place(accountId, side)).result.ok, true);
    const cached = () => ((ex.trades as unknown as Record<string, unknown[]>)[INV] ?? []) as { symbol: string; price: number; amount: number; side: string }[];
    await watchUntil(() => ex.watchTrades(INV), () => cached().length === 1, 'the trade');
    const got = cached();
    assert.deepEqual([...got].map((t) => [t.symbol, t.price, t.amount, t.side]), [[INV, 60_000, 300, 'buy']]);
  });

  test('each category\'s stream refuses the other category\'s symbols', async () => {
    const W = harness.server.wsUrl;
    const onLinear = await subscribeReply(`${W}/bybit/v5/public/linear`, 'tickers.BTCUSD');
    assert.equal(onLinear.success, false, JSON.stringify(onLinear));
    const onInverse = await subscribeReply(`${W}/bybit/v5/public/inverse`, 'tickers.BTCUSDT');
    assert.equal(onInverse.success, false, JSON.stringify(onInverse));
    const own = await subscribeReply(`${W}/bybit/v5/public/inverse`, 'tickers.BTCUSDH27');
    assert.equal(own.success, true, JSON.stringify(own));
  });

});
