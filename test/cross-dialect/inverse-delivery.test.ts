/**
 * Issue 15: the cross-dialect agreement over coin-margined (inverse) and delivery contracts.
 *
 * One server with the demo symbols and the inverse / delivery ones (btc_usd inverse perpetual,
 * btc_usdt270326 linear quarterly, btc_usd270326 inverse quarterly), on a ManualTime clock that
 * starts a minute before their delivery (MARCH_2027_DELIVERY). Four accounts, each made for an
 * exchange with its defaults — X (XT, hedge), N (Binance, one-way), Y (Bybit, one-way), K (KuCoin,
 * one-way, contracts ISOLATED) — are funded with BTC and USDT, trade btc_usd through their own
 * exchange's front door (XT's Coin-M host /dapi, Binance /dapi/v1, Bybit category inverse, KuCoin
 * XBTUSDM) against M (an XT account, not watched), see a mark move and a funding settlement paid in
 * BTC, take positions and leave resting orders on both quarterlies (KuCoin lists no USDT quarterly),
 * and then cross the delivery: the clock moves past it and each quarterly is settled (admin
 * /delivery/settle), so every open order ends EXPIRED and every position closes at the delivery price.
 *
 * Each account is watched over every stream that carries these markets (venues.ts): XT /ws/user and
 * /dapi/ws/user, Binance fstream and dstream, Bybit private, KuCoin classic futures. After every step
 * each stream's pushes, decoded into the normalized model (quantities per each exchange's
 * convention → contracts × contract size, i.e. USD for an inverse contract; values in BTC; entry and
 * average prices the engine's exact harmonic mean), must equal the engine's own state restricted to
 * what that market shows; REST snapshots are compared after the trades, after the funding and after
 * the delivery. No step waits on a timer: SYNC and BTC deposits are the barriers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import type { Dialect } from '../support/xt-client.js';
import { CARRIES } from './account.js';
import { FrontDoors, signingClock } from './doors.js';
import { REST_CARRIES } from './rest.js';
import { unitsOf, type Units } from './model.js';
import type { Credentials } from './streams.js';
import { VenueWatch } from './venues.js';

const PERP = { xt: 'btc_usd', binance: 'BTCUSD_PERP', bybit: 'BTCUSD', kucoin: 'XBTUSDM' } as const;
const COIN_Q = { xt: 'btc_usd270326', binance: 'BTCUSD_270326', bybit: 'BTCUSDH27', kucoin: 'XBTMH27' } as const;
const USDT_Q = { xt: 'btc_usdt270326', binance: 'BTCUSDT_270326', bybit: 'BTCUSDT-26MAR27' } as const;
/** More than the engine's mark-event pace (1 s of engine time per position). */
const MARK_PACE_MS = 1_500;
type Who = 'X' | 'N' | 'Y' | 'K';
type Side = 'BOTH' | 'LONG' | 'SHORT';

describe('coin-margined and delivery contracts over every dialect at once: every push agrees with the engine, through the delivery', () => {
  const time = new ManualTime(MARCH_2027_DELIVERY - 60_000);
  const clock = signingClock(time);
  let h: Harness;
  const watched = new Map<Who, { watch: VenueWatch; doors: FrontDoors; coin: FrontDoors }>();
  let m: { doors: FrontDoors; coin: FrontDoors };
  const watches = (): VenueWatch[] => [...watched.values()].map((w) => w.watch);
  const doorsOf = (who: Who) => watched.get(who)!;

  const admin = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const reply = await h.admin.request('POST', path, body);
    if (reply.status !== 200) throw new Error(`admin ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  };
  const create = async (dialect: Dialect): Promise<Credentials> => h.admin.createAccount(dialect);
  const doorsFor = (account: Credentials) => ({ doors: new FrontDoors(h.server.url, account, clock), coin: new FrontDoors(`${h.server.url}/dapi`, account, clock) });

  before(async () => {
    h = await Harness.start({
      symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: time, timers: time, priceTickMs: 0,
      xtIdleMs: 600_000, dialectSettings: { 'kucoin.pingTimeoutMs': 600_000 },
    });
    // Index and mark at 60000 for the three symbols; the quarterlies' delivery price is the mean index
    // of the 30 minutes before their delivery, so 60000.
    for (const symbol of [PERP.xt, COIN_Q.xt, USDT_Q.xt]) {
      await admin('/index-price', { symbol, price: '60000' });
      await h.admin.markPrice(symbol, '60000');
    }
    const units = new Map<string, Units>(h.server.exchange.engine.symbols().map((config) => [config.symbol, unitsOf(config)]));
    const maker = await create('xt');
    await h.admin.deposit(maker.accountId, '100', 'BTC');
    await h.admin.deposit(maker.accountId, '1000000', 'USDT');
    m = doorsFor(maker);
    for (const [who, dialect, label] of [['X', 'xt', 'X hedge (XT account)'], ['N', 'binance', 'N one-way (Binance account)'], ['Y', 'bybit', 'Y one-way (Bybit account)'],
      ['K', 'kucoin', 'K one-way isolated (KuCoin account)']] as const) {
      const account = await create(dialect);
      watched.set(who, { watch: await VenueWatch.open(h.server, account, label, units), ...doorsFor(account) });
    }
  });
  after(async () => {
    for (const w of watches()) w.close();
    await h?.stop();
  });

  const viewOf = (who: Who) => h.server.exchange.engine.account(doorsOf(who).watch.account.accountId)!.view;
  const held = (who: Who, side: Side, symbol: string): number => viewOf(who).positions.find((p) => p.symbol === symbol && p.positionSide === side)?.qty ?? 0;

  /**
   * One step: the action, the barrier on every watched account, then every lens of every account
   * against the engine (and the REST snapshots when asked). `holds`: positions (contracts) the step must leave.
   */
  const step = (name: string, action: () => Promise<unknown>, options: { rest?: boolean; holds?: [Who, Side, string, number][] } = {}): void => {
    it(name, async () => {
      for (const w of watches()) w.beginStep();
      await action();
      for (const [who, side, symbol, contracts] of options.holds ?? []) assert.equal(held(who, side, symbol), contracts, `${who} ${side} ${symbol} after "${name}"`);
      for (const w of watches()) await w.barrier((id, amount, asset) => h.admin.deposit(id, amount, asset));
      for (const w of watches()) await w.caughtUp();
      const problems = watches().flatMap((w) => w.check(name));
      if (options.rest === true) for (const { watch, doors, coin } of watched.values()) problems.push(...await watch.checkRest(name, doors, coin));
      if (problems.length > 0) assert.fail(`${problems.length} disagreement(s):\n${problems.join('\n')}`);
    });
  };

  // Front doors, each as its exchange's client sends an order.
  const xtOrder = (doors: FrontDoors, symbol: string, side: 'BUY' | 'SELL', positionSide: 'LONG' | 'SHORT', contracts: number, price?: string) =>
    doors.xt('/future/trade/v1/order/create', {
      symbol, orderSide: side, positionSide, orderType: price === undefined ? 'MARKET' : 'LIMIT', origQty: String(contracts),
      ...(price === undefined ? {} : { price, timeInForce: 'GTC' }),
    });
  /** Binance: COIN-M (/dapi) quantities in contracts, USDⓈ-M (/fapi) in BTC. */
  const binanceOrder = (api: 'dapi' | 'fapi', symbol: string, side: 'BUY' | 'SELL', quantity: string, price?: string) =>
    doorsOf('N').doors.binance('POST', `/${api}/v1/order`, {
      symbol, side, quantity, type: price === undefined ? 'MARKET' : 'LIMIT', ...(price === undefined ? {} : { price, timeInForce: 'GTC' }),
    });
  /** Bybit: category inverse quantities in USD, linear in BTC; one-way (positionIdx 0). */
  const bybitOrder = (category: 'inverse' | 'linear', symbol: string, side: 'Buy' | 'Sell', qty: string, price?: string) =>
    doorsOf('Y').doors.bybit('/v5/order/create', {
      category, symbol, side, qty, positionIdx: 0, orderType: price === undefined ? 'Market' : 'Limit', ...(price === undefined ? {} : { price }),
    });
  let kucoinIds = 0;
  /** KuCoin: sizes in lots (one contract, 100 USD); no marginMode, as a client on a fresh (ISOLATED) account sends it. */
  const kucoinOrder = (symbol: string, side: 'buy' | 'sell', lots: number, price?: string) =>
    doorsOf('K').doors.kucoin('POST', '/api/v1/orders', {
      clientOid: `inverse-${++kucoinIds}`, symbol, side, size: lots, leverage: 5, type: price === undefined ? 'market' : 'limit', ...(price === undefined ? {} : { price }),
    }) as Promise<{ orderId: string }>;

  // --- Funding the accounts ------------------------------------------------------------------------
  step('deposit: 1 BTC and 10000 USDT to X, N, Y and K (admin)', async () => {
    for (const w of watches()) {
      await h.admin.deposit(w.account.accountId, '1', 'BTC');
      await h.admin.deposit(w.account.accountId, '10000', 'USDT');
    }
  });

  // --- The inverse perpetual, through each front door ------------------------------------------------
  step('M rests asks on btc_usd: 5 @ 60000 and 5 @ 60500 (XT /dapi)', async () => {
    await xtOrder(m.coin, PERP.xt, 'SELL', 'SHORT', 5, '60000');
    await xtOrder(m.coin, PERP.xt, 'SELL', 'SHORT', 5, '60500');
  });
  step('N buys 8 BTCUSD_PERP contracts at market, sweeping two levels: a harmonic entry (Binance /dapi/v1/order)', () => binanceOrder('dapi', PERP.binance, 'BUY', '8'), {
    holds: [['N', 'BOTH', PERP.xt, 8]],
  });
  step('X rests a bid 3 @ 59900, LONG (XT /dapi)', () => xtOrder(doorsOf('X').coin, PERP.xt, 'BUY', 'LONG', 3, '59900'));
  step('M sells 3 at market into it (XT /dapi)', () => xtOrder(m.coin, PERP.xt, 'SELL', 'SHORT', 3), { holds: [['X', 'LONG', PERP.xt, 3]] });
  step('M rests a bid 5 @ 59800 (XT /dapi)', () => xtOrder(m.coin, PERP.xt, 'BUY', 'LONG', 5, '59800'));
  step('Y sells 200 USD of BTCUSD at market (Bybit category inverse)', () => bybitOrder('inverse', PERP.bybit, 'Sell', '200'), { holds: [['Y', 'BOTH', PERP.xt, -2]] });
  step('K buys 2 XBTUSDM lots at market, isolated (KuCoin)', () => kucoinOrder(PERP.kucoin, 'buy', 2), { holds: [['K', 'BOTH', PERP.xt, 2]] });
  step('N: leverage to 10 on BTCUSD_PERP with the position open (Binance /dapi/v1/leverage)', () => doorsOf('N').doors.binance('POST', '/dapi/v1/leverage', { symbol: PERP.binance, leverage: 10 }));
  step('K rests a bid 1 lot @ 59000 on XBTUSDM (KuCoin)', () => kucoinOrder(PERP.kucoin, 'buy', 1, '59000'), { rest: true });

  // --- A mark move and funding paid in BTC -------------------------------------------------------------
  step('mark price 61000 on btc_usd (admin): mark-driven pushes of the inverse positions', async () => {
    await time.advance(MARK_PACE_MS);
    await h.admin.markPrice(PERP.xt, '61000');
  });
  step('funding settlement on btc_usd at 61000, paid in BTC (admin index-price + funding/settle)', async () => {
    await admin('/index-price', { symbol: PERP.xt, price: '61000' });
    await admin('/funding/settle', { symbol: PERP.xt });
  }, { rest: true });

  // --- The inverse quarterly ---------------------------------------------------------------------------
  step('M rests an ask 10 @ 60000 and a bid 10 @ 59000 on btc_usd270326 (XT /dapi)', async () => {
    await xtOrder(m.coin, COIN_Q.xt, 'SELL', 'SHORT', 10, '60000');
    await xtOrder(m.coin, COIN_Q.xt, 'BUY', 'LONG', 10, '59000');
  });
  step('X buys 3 btc_usd270326 at market, LONG (XT /dapi)', () => xtOrder(doorsOf('X').coin, COIN_Q.xt, 'BUY', 'LONG', 3), { holds: [['X', 'LONG', COIN_Q.xt, 3]] });
  step('N buys 2 BTCUSD_270326 at market (Binance /dapi/v1/order)', () => binanceOrder('dapi', COIN_Q.binance, 'BUY', '2'), { holds: [['N', 'BOTH', COIN_Q.xt, 2]] });
  step('Y sells 300 USD of BTCUSDH27 at market (Bybit category inverse)', () => bybitOrder('inverse', COIN_Q.bybit, 'Sell', '300'), { holds: [['Y', 'BOTH', COIN_Q.xt, -3]] });
  step('K buys 2 XBTMH27 lots at market (KuCoin)', () => kucoinOrder(COIN_Q.kucoin, 'buy', 2), { holds: [['K', 'BOTH', COIN_Q.xt, 2]] });
  step('resting orders on btc_usd270326: X bid 1 @ 58000 (XT /dapi), N bid 1 @ 58000 (Binance), Y ask 100 USD @ 62000 (Bybit), K bid 1 @ 58000 (KuCoin)', async () => {
    await xtOrder(doorsOf('X').coin, COIN_Q.xt, 'BUY', 'LONG', 1, '58000');
    await binanceOrder('dapi', COIN_Q.binance, 'BUY', '1', '58000');
    await bybitOrder('inverse', COIN_Q.bybit, 'Sell', '100', '62000');
    await kucoinOrder(COIN_Q.kucoin, 'buy', 1, '58000');
  });

  // --- The linear quarterly (KuCoin lists none) ------------------------------------------------------
  step('M rests an ask 100 @ 60000 and a bid 100 @ 59000 on btc_usdt270326 (XT USDT-M)', async () => {
    await xtOrder(m.doors, USDT_Q.xt, 'SELL', 'SHORT', 100, '60000');
    await xtOrder(m.doors, USDT_Q.xt, 'BUY', 'LONG', 100, '59000');
  });
  step('X buys 20 btc_usdt270326 contracts at market, LONG (XT)', () => xtOrder(doorsOf('X').doors, USDT_Q.xt, 'BUY', 'LONG', 20), { holds: [['X', 'LONG', USDT_Q.xt, 20]] });
  step('N buys 0.002 BTCUSDT_270326 at market (Binance /fapi/v1/order)', () => binanceOrder('fapi', USDT_Q.binance, 'BUY', '0.002'), { holds: [['N', 'BOTH', USDT_Q.xt, 20]] });
  step('Y sells 0.001 BTCUSDT-26MAR27 at market (Bybit category linear)', () => bybitOrder('linear', USDT_Q.bybit, 'Sell', '0.001'), { holds: [['Y', 'BOTH', USDT_Q.xt, -10]] });
  step('resting orders on btc_usdt270326: X ask 10 @ 61000 SHORT (XT), N bid 0.001 @ 58000 (Binance), Y bid 0.001 @ 58000 (Bybit)', async () => {
    await xtOrder(doorsOf('X').doors, USDT_Q.xt, 'SELL', 'SHORT', 10, '61000');
    await binanceOrder('fapi', USDT_Q.binance, 'BUY', '0.001', '58000');
    await bybitOrder('linear', USDT_Q.bybit, 'Buy', '0.001', '58000');
  }, { rest: true });

  // --- The delivery ----------------------------------------------------------------------------------
  /** The orders resting on the quarterlies when the delivery comes: each must end EXPIRED. */
  let resting: { id: string; symbol: string; who: Who }[] = [];
  step('the clock reaches the delivery time; btc_usd270326 is settled (admin delivery/settle): its orders EXPIRED, its positions closed at 60000', async () => {
    resting = [...watched].flatMap(([who]) => viewOf(who).orders.filter((o) => o.symbol !== PERP.xt).map((o) => ({ id: String(o.orderId), symbol: o.symbol, who })));
    assert.equal(resting.length, 7, JSON.stringify(resting));
    await time.advance(MARCH_2027_DELIVERY - time.now());
    await admin('/delivery/settle', { symbol: COIN_Q.xt });
    assert.equal(h.server.exchange.engine.prices(COIN_Q.xt, time.now())!.delivery!.settledPrice, 600_000);
  }, { holds: [['X', 'LONG', COIN_Q.xt, 0], ['N', 'BOTH', COIN_Q.xt, 0], ['Y', 'BOTH', COIN_Q.xt, 0], ['K', 'BOTH', COIN_Q.xt, 0]] });
  step('btc_usdt270326 is settled (admin delivery/settle): its orders EXPIRED, its positions closed at 60000', async () => {
    await admin('/delivery/settle', { symbol: USDT_Q.xt });
    assert.equal(h.server.exchange.engine.prices(USDT_Q.xt, time.now())!.delivery!.settledPrice, 600_000);
  }, { rest: true, holds: [['X', 'LONG', USDT_Q.xt, 0], ['N', 'BOTH', USDT_Q.xt, 0], ['Y', 'BOTH', USDT_Q.xt, 0]] });

  step('after the delivery an order on a settled quarterly is refused at every door (each exchange\'s own error), changes nothing and pushes nothing', async () => {
    // The engine refuses them (SYMBOL_NOT_TRADING): no event, no change to any account.
    const state = () => JSON.stringify([...watched].map(([who, w]) => [viewOf(who), w.watch.events.length]), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const before = state();
    const refusals: [string, () => Promise<unknown>][] = [
      ['XT /dapi btc_usd270326', () => xtOrder(doorsOf('X').coin, COIN_Q.xt, 'BUY', 'LONG', 1, '60000')],
      ['XT btc_usdt270326', () => xtOrder(doorsOf('X').doors, USDT_Q.xt, 'BUY', 'LONG', 1, '60000')],
      ['Binance /dapi BTCUSD_270326', () => binanceOrder('dapi', COIN_Q.binance, 'BUY', '1', '60000')],
      ['Binance /fapi BTCUSDT_270326', () => binanceOrder('fapi', USDT_Q.binance, 'BUY', '0.001', '60000')],
      ['Bybit BTCUSDH27', () => bybitOrder('inverse', COIN_Q.bybit, 'Buy', '100', '60000')],
      ['Bybit BTCUSDT-26MAR27', () => bybitOrder('linear', USDT_Q.bybit, 'Buy', '0.001', '60000')],
      ['KuCoin XBTMH27', () => kucoinOrder(COIN_Q.kucoin, 'buy', 1, '60000')],
    ];
    for (const [door, order] of refusals) await assert.rejects(order(), (e: Error) => e instanceof Error, door);
    assert.equal(state(), before, 'nothing changed, no event');
  });
  it('after the last step nothing more arrives: past one more barrier every stream pushed exactly the barrier\'s own messages', async () => {
    for (const w of watches()) w.beginStep();
    for (const w of watches()) await w.barrier((id, amount, asset) => h.admin.deposit(id, amount, asset));
    for (const w of watches()) await w.caughtUp();
    assert.deepEqual(watches().flatMap((w) => w.check('the closing barrier')), []);
  });
  it('every order resting at the delivery ended EXPIRED (reason DELIVERY) in the engine, and each dialect said so in its own words', () => {
    const words = { xt: 'EXPIRED', 'xt-dapi': 'EXPIRED', binance: 'EXPIRED', 'binance-dstream': 'EXPIRED', bybit: 'Cancelled CancelBySettle', kucoin: 'canceled' } as const;
    const problems: string[] = [];
    for (const { id, symbol, who } of resting) {
      const order = h.server.exchange.history.finishedOrder(doorsOf(who).watch.account.accountId, Number(id));
      if (order?.state !== 'EXPIRED' || order.reason !== 'DELIVERY') problems.push(`engine: order ${id} ${order?.state} ${order?.reason}`);
      const inverse = symbol === COIN_Q.xt;
      const said = doorsOf(who).watch.statusWords(id);
      for (const [lens, word] of Object.entries(words)) {
        const shows = lens === 'bybit' || (lens === 'kucoin' ? inverse : lens.endsWith('dapi') || lens.endsWith('dstream') ? inverse : !inverse);
        const got = said[lens];
        if (got !== (shows ? word : undefined)) problems.push(`${who} order ${id} (${symbol}) ${lens}: ${String(got)}, expected ${shows ? word : '(not shown)'}`);
      }
    }
    assert.deepEqual(problems, []);
  });
  it('funding and delivery happened as the scenario means, and every dialect was compared on every field it carries', () => {
    const count = (w: VenueWatch, type: string, symbol: string): number => w.events.filter((e) => e.type === type && 'symbol' in e && e.symbol === symbol).length;
    for (const [who, { watch }] of watched) {
      assert.equal(count(watch, 'funding', PERP.xt), 1, `${who}: one btc_usd funding settlement`);
      assert.equal(count(watch, 'delivery', COIN_Q.xt), 1, `${who}: btc_usd270326 delivered`);
      assert.equal(count(watch, 'delivery', USDT_Q.xt), who === 'K' ? 0 : 1, `${who}: btc_usdt270326 delivered`);
    }
    const bybitDeliveries = watches().flatMap((w) => w.model('bybit').deliveries);
    assert.equal(bybitDeliveries.length, 7, JSON.stringify(bybitDeliveries));
    for (const [dialect, carries] of [...Object.entries(CARRIES), ...Object.entries(REST_CARRIES)]) {
      const compared = new Set(watches().flatMap((w) => [...(w.coverage.get(dialect) ?? [])]));
      const carried = Object.entries(carries).flatMap(([kind, fields]) => fields.map((f) => `${kind}.${f}`));
      assert.deepEqual([...compared].sort(), carried.sort(), `${dialect}: the fields compared over the scenario`);
    }
  });
});
