/**
 * Issue 13: conditional orders, one account watched over all four dialects at once, and all four
 * agree — push by push — with the engine's `conditional` events and with each other.
 *
 * The design is agreement.test.ts's: one server, accounts created per exchange, each watched over
 * the five private streams (XT /ws/user, Binance listenKey, Bybit private, KuCoin classic — now with
 * /contractMarket/advancedOrders — and KuCoin UTA), pushes decoded into the normalized model and
 * checked after every step against the engine (account.ts). On top of that (conditionals.ts):
 * every dialect's pushes of the conditional orders themselves (XT none; Binance ALGO_UPDATE and
 * CONDITIONAL_ORDER_TRIGGER_REJECT; Bybit Untriggered / Triggered / Deactivated rows; KuCoin
 * stopOrder open / triggered / cancel) exactly as the engine's conditional events call for, and the
 * origin every push of a placed order shows (XT sourceType + sourceId, Binance `ot` and ALGO_UPDATE
 * `ai`, Bybit stopOrderType + createType, KuCoin the stop order's own id).
 *
 * Each conditional order is placed through its exchange's own front door, on the account made for
 * that exchange; prices move by the admin mark (every trigger watches the mark) and trades through
 * the doors fill the orders they place:
 * - E (Binance account): a plan order (algoOrder STOP_MARKET) fires and buys;
 * - C (Bybit account): a Full take-profit / stop-loss pair (trading-stop); the TP fires, closes the
 *   position, and the SL is cancelled (OCO_PARTNER_FIRED);
 * - A (XT account, hedge): a trailing stop (create-track) arms, follows a new high, fires on the retrace;
 * - D (KuCoin account): a stop order (POST /api/v1/orders with stop) whose trigger is refused for margin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConditionalEvent, EngineEvent, OrderEvent } from '../../src/engine/types.js';
import { Harness } from '../support/harness.js';
import type { Dialect } from '../support/xt-client.js';
import { WatchedAccount } from './account.js';
import { FrontDoors, ShiftedClock } from './doors.js';
import { priceText, unitsOf, type Units } from './model.js';
import type { Credentials } from './streams.js';

const BTC = { xt: 'btc_usdt', binance: 'BTCUSDT', bybit: 'BTCUSDT', kucoin: 'XBTUSDTM' } as const;
const LINEAR = { category: 'linear', symbol: BTC.bybit };
/** More than the engine's mark-event pace (1 s of engine time per position). */
const MARK_PACE_MS = 1_500;
type Who = 'A' | 'C' | 'D' | 'E';

describe('conditional orders over four dialects at once: every push agrees with the engine\'s conditional events and with each other', () => {
  const clock = new ShiftedClock();
  let h: Harness;
  let b: FrontDoors;
  let watched: Map<Who, { account: WatchedAccount; doors: FrontDoors }>;
  const watchedAccounts = (): WatchedAccount[] => [...watched.values()].map((x) => x.account);
  const doors = (who: Who): FrontDoors => watched.get(who)!.doors;
  const events = (who: Who): EngineEvent[] => watched.get(who)!.account.events;

  const account = async (usdt: string, dialect: Dialect): Promise<Credentials> => {
    const created = await h.admin.createAccount(dialect);
    if (usdt !== '0') await h.admin.deposit(created.accountId, usdt);
    return created;
  };

  before(async () => {
    h = await Harness.start({ clock, xtIdleMs: 600_000, dialectSettings: { 'kucoin.pingTimeoutMs': 600_000 } });
    await h.admin.markPrice(BTC.xt, '60000');
    const units = new Map<string, Units>(h.server.exchange.engine.symbols().map((config) => [config.symbol, unitsOf(config)]));
    const [ca, cb, cc, cd, ce] = [
      await account('0', 'xt'), await account('100000', 'xt'), await account('0', 'bybit'), await account('0', 'kucoin'), await account('0', 'binance'),
    ];
    b = new FrontDoors(h.server.url, cb, clock);
    const open = async (who: Who, c: Credentials, label: string) => [who, { account: await WatchedAccount.open(h.server, c, label, units), doors: new FrontDoors(h.server.url, c, clock) }] as const;
    watched = new Map([
      await open('A', ca, 'A hedge (XT account)'), await open('C', cc, 'C one-way (Bybit account)'),
      await open('D', cd, 'D one-way isolated (KuCoin account)'), await open('E', ce, 'E one-way (Binance account)'),
    ]);
  });
  after(async () => {
    for (const w of watchedAccounts()) w.close();
    await h.stop();
  });

  const viewOf = (who: Who) => h.server.exchange.engine.account(watched.get(who)!.account.account.accountId)!.view;
  const held = (who: Who, side: 'BOTH' | 'LONG' | 'SHORT'): number => viewOf(who).positions.find((p) => p.symbol === BTC.xt && p.positionSide === side)?.qty ?? 0;

  /** The conditional events of a step, as "CHANGE KIND reason" by conditional id. */
  let stepStart = new Map<Who, number>();
  const stepConditionals = (who: Who): ConditionalEvent[] =>
    events(who).slice(stepStart.get(who) ?? 0).filter((e): e is ConditionalEvent => e.type === 'conditional');
  const stepOrders = (who: Who): OrderEvent[] => events(who).slice(stepStart.get(who) ?? 0).filter((e): e is OrderEvent => e.type === 'order');
  const changes = (who: Who): string[] => stepConditionals(who).map((e) => `${e.change} ${e.conditional.kind} #${e.conditional.conditionalId} ${e.conditional.reason}`);

  /**
   * One step: the action, the barrier on every watched account, then every dialect's model checked
   * against the engine (account.ts: entities, delivery, status sequences, fills, conditional pushes,
   * origins). `expect` checks the engine's own events of the step (what the dialects are held to).
   */
  const step = (name: string, action: () => Promise<unknown>, options: { holds?: [Who, 'BOTH' | 'LONG' | 'SHORT', number][]; expect?: () => void } = {}): void => {
    it(name, async () => {
      stepStart = new Map([...watched.keys()].map((who) => [who, events(who).length]));
      for (const w of watchedAccounts()) w.beginStep();
      await action();
      for (const [who, side, contracts] of options.holds ?? []) assert.equal(held(who, side), contracts, `${who} ${side} after "${name}"`);
      for (const w of watchedAccounts()) await w.barrier((id, amount, asset) => h.admin.deposit(id, amount, asset));
      for (const w of watchedAccounts()) await w.caughtUp();
      options.expect?.();
      const problems = watchedAccounts().flatMap((w) => w.check(name));
      if (problems.length > 0) assert.fail(`${problems.length} disagreement(s):\n${problems.join('\n')}`);
    });
  };
  const mark = (price: string) => async () => {
    clock.advance(MARK_PACE_MS);
    await h.admin.markPrice(BTC.xt, price);
  };
  const xtOrder = (doors: FrontDoors, side: 'BUY' | 'SELL', positionSide: 'LONG' | 'SHORT', lots: number, price?: string) =>
    doors.xt('/future/trade/v1/order/create', {
      symbol: BTC.xt, orderSide: side, positionSide, orderType: price === undefined ? 'MARKET' : 'LIMIT', origQty: String(lots),
      ...(price === undefined ? {} : { price, timeInForce: 'GTC' }),
    });
  const bybitTpsl = (who: Who): string | undefined => watched.get(who)!.account.conditionalPushes().get('bybit')!.positionTpsl[`${BTC.xt}|BOTH`];
  const engineTpsl = (who: Who) => {
    const p = viewOf(who).positions.find((x) => x.symbol === BTC.xt && x.positionSide === 'BOTH')!;
    const u = unitsOf(h.server.exchange.engine.symbols().find((c) => c.symbol === BTC.xt)!);
    return [p.takeProfitPrice, p.stopLossPrice, p.trailingDistance].map((x) => (x === null ? null : priceText(u, x)));
  };
  /** The order a conditional placed in this step: same id, origin its kind. */
  const placedBy = (who: Who, id: number, kind: string, state: string): void => {
    const placed = stepOrders(who).filter((e) => e.order.orderId === id);
    assert.ok(placed.length > 0, `${who}: the order of #${id} was placed`);
    for (const e of placed) assert.deepEqual([e.order.origin, e.order.conditionalId], [kind, id], `${who}: the order of #${id} carries its origin`);
    assert.equal(placed.at(-1)!.order.state, state);
  };

  step('deposit: 1000 USDT to A, C, D and E (admin)', async () => {
    for (const { account: w } of watched.values()) await h.admin.deposit(w.account.accountId, '1000');
  });

  // --- A plan order fires (E, Binance algoOrder) -----------------------------------------------------
  let plan = 0;
  step('E places a plan order: STOP_MARKET buy 0.001 when the mark rises to 60500 (Binance algoOrder)', async () => {
    const reply = await doors('E').binance('POST', '/fapi/v1/algoOrder', {
      algoType: 'CONDITIONAL', symbol: BTC.binance, side: 'BUY', positionSide: 'BOTH', type: 'STOP_MARKET', quantity: '0.001', triggerPrice: '60500', workingType: 'MARK_PRICE',
    });
    plan = Number(reply.algoId) - 1_000_000_000_000_000;
  }, { expect: () => assert.deepEqual(changes('E'), [`NEW PLAN #${plan} NONE`]) });
  step('B rests an ask 10 lots @ 60500 (XT)', () => xtOrder(b, 'SELL', 'SHORT', 10, '60500'));
  step('mark 60500 (admin): the plan fires, its market buy takes the ask', mark('60500'), {
    holds: [['E', 'BOTH', 10]],
    expect: () => {
      assert.deepEqual(changes('E'), [`TRIGGERED PLAN #${plan} NONE`]);
      placedBy('E', plan, 'PLAN', 'FILLED');
    },
  });

  // --- A Full TP/SL pair: the TP fires and cancels its SL (C, Bybit trading-stop) ---------------------
  step('B rests an ask 10 lots @ 60500 (XT)', () => xtOrder(b, 'SELL', 'SHORT', 10, '60500'));
  step('C buys 0.001 at market (Bybit)', () => doors('C').bybit('/v5/order/create', { ...LINEAR, side: 'Buy', positionIdx: 0, qty: '0.001', orderType: 'Market' }), {
    holds: [['C', 'BOTH', 10]],
  });
  let tp = 0;
  let sl = 0;
  step('C sets a Full take profit @ 61000 and stop loss @ 59000 on the mark (Bybit trading-stop)', async () => {
    await doors('C').bybit('/v5/position/trading-stop', {
      ...LINEAR, positionIdx: 0, tpslMode: 'Full', takeProfit: '61000', stopLoss: '59000', tpTriggerBy: 'MarkPrice', slTriggerBy: 'MarkPrice',
    });
  }, {
    expect: () => {
      const made = stepConditionals('C');
      tp = made.find((e) => e.conditional.kind === 'TAKE_PROFIT')?.conditional.conditionalId ?? 0;
      sl = made.find((e) => e.conditional.kind === 'STOP_LOSS')?.conditional.conditionalId ?? 0;
      assert.deepEqual(changes('C').sort(), [`NEW STOP_LOSS #${sl} NONE`, `NEW TAKE_PROFIT #${tp} NONE`].sort());
      // Bybit's position row shows the Full legs (bybit.md, position takeProfit / stopLoss), as the engine's position does.
      assert.equal(bybitTpsl('C'), '61000/59000/0');
      assert.deepEqual(engineTpsl('C'), ['61000', '59000', null]);
    },
  });
  step('B rests a bid 10 lots @ 61000 (XT)', () => xtOrder(b, 'BUY', 'LONG', 10, '61000'));
  step('mark 61000 (admin): the take profit fires and closes C, its stop loss is cancelled', mark('61000'), {
    holds: [['C', 'BOTH', 0]],
    expect: () => {
      assert.deepEqual(changes('C'), [`TRIGGERED TAKE_PROFIT #${tp} NONE`, `CANCELED STOP_LOSS #${sl} OCO_PARTNER_FIRED`]);
      placedBy('C', tp, 'TAKE_PROFIT', 'FILLED');
      assert.equal(bybitTpsl('C'), '0/0/0');
      assert.deepEqual(engineTpsl('C'), [null, null, null]);
    },
  });

  // --- A trailing stop arms, follows a new high, fires on the retrace (A, XT create-track) -----------
  step('B rests an ask 10 lots @ 61000 (XT)', () => xtOrder(b, 'SELL', 'SHORT', 10, '61000'));
  step('A opens a long: market buy 10 lots LONG (XT)', () => xtOrder(doors('A'), 'BUY', 'LONG', 10), { holds: [['A', 'LONG', 10]] });
  let track = '';
  const trackDetail = async () => await doors('A').xtGet('/future/trade/v1/entrust/track-detail', { trackId: track }) as { state: string; stopPrice: string | null };
  step('A places a trailing stop: sell 10 lots, 500 behind the best mark, armed at 61500 (XT create-track)', async () => {
    track = String(await doors('A').xt('/future/trade/v1/entrust/create-track', {
      symbol: BTC.xt, orderSide: 'SELL', positionSide: 'LONG', positionType: 'CROSSED', origQty: '10', callback: 'FIXED', callbackVal: '500',
      triggerPriceType: 'MARK_PRICE', activationPrice: '61500',
    }));
  }, { expect: () => assert.deepEqual(changes('A'), [`NEW TRAILING #${track} NONE`]) });
  step('mark 61500 (admin): the trailing stop arms (nothing pushed: arming is no event)', async () => {
    await mark('61500')();
    assert.deepEqual([(await trackDetail()).state, (await trackDetail()).stopPrice], ['NOT_TRIGGERED', '61000']);
  }, { expect: () => assert.deepEqual(changes('A'), []) });
  step('mark 62000 (admin): a new high, the trigger follows to 61500 (nothing pushed)', async () => {
    await mark('62000')();
    assert.deepEqual([(await trackDetail()).state, (await trackDetail()).stopPrice], ['NOT_TRIGGERED', '61500']);
  }, { expect: () => assert.deepEqual(changes('A'), []) });
  step('B rests a bid 10 lots @ 61500 (XT)', () => xtOrder(b, 'BUY', 'LONG', 10, '61500'));
  step('mark 61500 (admin): the retrace fires the trailing stop, its market sell closes A', mark('61500'), {
    holds: [['A', 'LONG', 0]],
    expect: () => {
      assert.deepEqual(changes('A'), [`TRIGGERED TRAILING #${track} NONE`]);
      placedBy('A', Number(track), 'TRAILING', 'FILLED');
    },
  });

  // --- A plan order whose trigger is refused for margin (D, KuCoin stop order) ----------------------
  let stop = '';
  step('D places a stop order: limit buy 10000 lots @ 63000 when the mark rises to 63000, far beyond its 1000 USDT (KuCoin)', async () => {
    stop = (await doors('D').kucoin('POST', '/api/v1/orders', {
      clientOid: 'cond-stop-1', symbol: BTC.kucoin, side: 'buy', type: 'limit', price: '63000', size: 10000, stop: 'up', stopPrice: '63000', stopPriceType: 'MP',
    }) as { orderId: string }).orderId;
  }, { expect: () => assert.deepEqual(changes('D'), [`NEW PLAN #${stop} NONE`]) });
  step('mark 63000 (admin): the stop fires, its order is refused for margin', mark('63000'), {
    holds: [['D', 'BOTH', 0]],
    expect: () => {
      assert.deepEqual(changes('D'), [`REJECTED PLAN #${stop} INSUFFICIENT_MARGIN`]);
      assert.deepEqual(stepOrders('D').map((e) => [e.execType, e.order.orderId, e.order.origin, e.order.conditionalId]), [['REJECTED', Number(stop), 'PLAN', Number(stop)]]);
    },
  });

  it('what each dialect pushed of the conditional orders, in its own words (the checks above were not vacuous)', () => {
    const pushed = (who: Who) => watched.get(who)!.account.conditionalPushes();
    const logs = (who: Who) => Object.fromEntries([...pushed(who)].filter(([name]) => name !== 'kucoin-uta').map(([name, x]) => [name, [x.log, x.origins]]));
    assert.deepEqual(logs('E'), {
      xt: [[], { [plan]: [`ENTRUST #${plan}`] }],
      binance: [[`#${plan} NEW`, `#${plan} TRIGGERING`, `#${plan} TRIGGERED ai=${plan}`, `#${plan} FINISHED ai=${plan}`], { [plan]: ['ot=STOP_MARKET'] }],
      bybit: [[`#${plan} Untriggered Stop CreateByStopOrder`, `#${plan} Triggered Stop CreateByStopOrder`], { [plan]: ['Stop CreateByStopOrder'] }],
      kucoin: [[`#${plan} open`, `#${plan} triggered success=true`], {}],
    });
    assert.deepEqual(logs('C'), {
      xt: [[], { [tp]: [`PROFIT #${tp}`] }],
      binance: [[`#${tp} NEW`, `#${sl} NEW`, `#${tp} TRIGGERING`, `#${tp} TRIGGERED ai=${tp}`, `#${sl} EXPIRED`, `#${tp} FINISHED ai=${tp}`], { [tp]: ['ot=TAKE_PROFIT_MARKET'] }],
      bybit: [[
        `#${tp} Untriggered TakeProfit CreateByTakeProfit`, `#${sl} Untriggered StopLoss CreateByStopLoss`, `#${tp} Triggered TakeProfit CreateByTakeProfit`,
        `#${sl} Deactivated StopLoss CreateByStopLoss CancelByOCOSlCanceledByTpTriggered`,
      ], { [tp]: ['TakeProfit CreateByTakeProfit'] }],
      kucoin: [[`#${tp} open`, `#${sl} open`, `#${tp} triggered success=true`, `#${sl} cancel`], {}],
    });
    assert.deepEqual(logs('A'), {
      xt: [[], { [track]: [`ENTRUST #${track}`] }],
      binance: [[`#${track} NEW`, `#${track} TRIGGERING`, `#${track} TRIGGERED ai=${track}`, `#${track} FINISHED ai=${track}`], { [track]: ['ot=TRAILING_STOP_MARKET'] }],
      bybit: [[`#${track} Untriggered TrailingStop CreateByTrailingStop`, `#${track} Triggered TrailingStop CreateByTrailingStop`], { [track]: ['TrailingStop CreateByTrailingStop'] }],
      kucoin: [[`#${track} open`, `#${track} triggered success=true`], {}],
    });
    // The refused order: XT pushes it REJECTED (sourceType ENTRUST), Bybit as the placed order's
    // Rejected row, Binance and KuCoin not at all (REJECTED + the trigger reject, triggerSuccess false).
    assert.deepEqual(logs('D'), {
      xt: [[], { [stop]: [`ENTRUST #${stop}`] }],
      binance: [[`#${stop} NEW`, `#${stop} TRIGGERING`, `#${stop} REJECTED rm=Margin is insufficient.`, `reject #${stop}`], {}],
      bybit: [[`#${stop} Untriggered Stop CreateByStopOrder`], { [stop]: ['Stop CreateByStopOrder'] }],
      kucoin: [[`#${stop} open`, `#${stop} triggered success=false error.createOrder.accountBalanceInsufficient`], {}],
    });
  });
  it('after the last step nothing more arrives: past one more barrier, every stream pushed exactly the barrier\'s own messages', async () => {
    for (const w of watchedAccounts()) w.beginStep();
    for (const w of watchedAccounts()) await w.barrier((id, amount, asset) => h.admin.deposit(id, amount, asset));
    for (const w of watchedAccounts()) await w.caughtUp();
    const problems = watchedAccounts().flatMap((w) => w.check('the closing barrier'));
    assert.deepEqual(problems, []);
  });
});
