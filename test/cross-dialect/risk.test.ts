/**
 * Issues 5 and 6 together: the risk engine's scenario (test/risk/scenario.test.ts) with every
 * account involved watched over all four dialects at once, checked push by push and against the
 * engine after every step.
 *
 * One server (in memory), symbol risk_usdt (KuCoin RISKUSDTM, Binance / Bybit RISKUSDT): tick 1 USDT,
 * contract 1 unit, tiers 1 % / 2 % / 5 % from notional 0 / 10,000 / 50,000 (max leverage 50 / 25 /
 * 10), and — unlike the XT scenario — fees (maker 0.02 %, taker 0.05 %), so that "no fee on a
 * liquidation or ADL fill" is something a dialect can get wrong. Mark-driven position pushes are paced
 * to one per position per hour (`markEventIntervalMs`), so every push after the first mark move is the
 * risk engine's (WatchOptions.markEventsPaced: mark and unrealized PnL are compared as of each
 * dialect's last push). Accounts (all hedge mode, cross margin):
 *
 * - V (victim) 1,600 USDT, 10x, buys LONG 15 @ 1,000 (taker fee 7.5) from S1 (ask 10) and S2 (ask 5),
 *   both 20x with 10,000 USDT; V also rests a bid 1 @ 800, which the liquidation cancels.
 * - M 10,000 USDT bids 4 @ 903 and 3 @ 895 (the book the liquidation sells into). S1 rests an ask
 *   1 @ 1,200, which ADL cancels.
 *
 * V's equity at a mark P is 1,592.5 + 15 (P − 1,000), its maintenance 0.3 P − 100 (tier 2):
 * - 950: nothing but the (then paced) mark-price push of each open position;
 * - 906: equity 182.5, maintenance 171.8, ratio 0.94 ≥ 0.8: WARN (XT notify, Binance MARGIN_CALL,
 *   KuCoin UTA lw; Bybit pushes the position, KuCoin classic nothing);
 * - funding at 906 (rate 0.0001, no samples): V pays 1.359, S1 gets 0.906, S2 0.453;
 * - KuCoin risk-limit requests: V asks for level 1 while its 15,000 is in tier 2 (refused, by the
 *   push), then for level 4 of 3 (refused at the door), S2 chooses level 3, whose 10x maximum brings
 *   its leverage down from 20;
 * - 904: equity 151.141 ≤ maintenance 171.2: the bid is cancelled, then PARTIAL — keeping 11
 *   (9,944 < 10,000, tier 1: maintenance 99.44 < 151.141) — 4 sold to M at 903 by a liquidation order
 *   at the bankruptcy price (15,000 − 1,591.141) / 15 = 893.92… → 894, no fee; wallet 1,203.141;
 * - 898: equity 81.141 ≤ 98.78: LIQUIDATION, taken over at (11,000 − 1,203.141) / 11 = 890.62… → 891:
 *   3 sold to M at 895 (12 to the insurance fund), 8 deleveraged against S1 (more leveraged than S2)
 *   at 891, S1's ask cancelled first; V keeps 4.141;
 * - then V, flat, switches to isolated margin and auto-add margin on (KuCoin), deposits 1,000 and
 *   buys 10 @ 898 from S2 (isolated margin 898); at mark 818 (isolated equity 98, maintenance 81.8:
 *   the warning zone) auto-add margin moves the available 101.651 into the position, and no WARN.
 *
 * After every step each stream's pushes are decoded into the normalized model and checked against
 * the engine and each other (account.ts), the dialect-specific markers against what protocols.md and
 * docs/dialects/*.md call for (markers.ts: notices, autoclose / adl_autoclose, createType, cancelType,
 * execType, positionStatus, changeReason, tradeType, adjustRiskLimit, lw), exactly once and in order,
 * and the insurance fund (GET /admin/v1/insurance-fund) against the engine. Docs:
 * docs/dialects/cross-dialect.md.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import type { EngineEvent, PositionSide, TradeEvent } from '../../src/engine/types.js';
import { spec } from '../risk/support.js';
import { Harness } from '../support/harness.js';
import { WatchedAccount } from './account.js';
import { FrontDoors, ShiftedClock } from './doors.js';
import { unitsOf, type Units } from './model.js';
import type { Credentials } from './streams.js';

const RISK = { xt: 'risk_usdt', binance: 'RISKUSDT', bybit: 'RISKUSDT', kucoin: 'RISKUSDTM' } as const;

const SYMBOL: SymbolSpec = spec({
  symbol: RISK.xt,
  baseAsset: 'RISK',
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 50 },
    { notionalFloor: '10000', maintenanceMarginRate: '0.02', maxLeverage: 25 },
    { notionalFloor: '50000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  ],
  maxLeverage: 50,
  makerFeeRate: '0.0002',
  takerFeeRate: '0.0005',
});

type Who = 'V' | 'S1' | 'S2' | 'M';

describe('the risk engine over four dialects at once: WARN → PARTIAL → LIQUIDATION → ADL, every push agrees with the engine and with each other', () => {
  const clock = new ShiftedClock();
  let h: Harness;
  const watched = new Map<Who, WatchedAccount>();
  const doors = new Map<Who, FrontDoors>();

  const w = (who: Who): WatchedAccount => watched.get(who)!;
  const door = (who: Who): FrontDoors => doors.get(who)!;
  const id = (who: Who): number => w(who).account.accountId;
  const admin = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const reply = await h.admin.request('POST', path, body);
    if (reply.status !== 200) throw new Error(`admin ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  };

  before(async () => {
    h = await Harness.start({
      clock, symbols: [SYMBOL], engine: { markEventIntervalMs: 3_600_000 }, xtIdleMs: 600_000, dialectSettings: { 'kucoin.pingTimeoutMs': 600_000 },
    });
    await h.admin.markPrice(RISK.xt, '1000');
    const units = new Map<string, Units>(h.server.exchange.engine.symbols().map((config) => [config.symbol, unitsOf(config)]));
    for (const who of ['V', 'S1', 'S2', 'M'] as const) {
      // The walk trades both hedge sides through every front door: accounts made for XT (hedge-only).
      const created: Credentials = await h.admin.createAccount('xt');
      doors.set(who, new FrontDoors(h.server.url, created, clock));
      watched.set(who, await WatchedAccount.open(h.server, created, who, units, { markEventsPaced: true }));
    }
  });
  after(async () => {
    for (const account of watched.values()) account.close();
    await h.stop();
  });

  /** The engine's position of an account, in contracts. */
  const held = (who: Who, side: PositionSide): number =>
    h.server.exchange.engine.account(id(who))!.view.positions.find((p) => p.symbol === RISK.xt && p.positionSide === side)?.qty ?? 0;
  /** The account's canonical events since `from`. */
  const eventsOf = (who: Who, from: number): EngineEvent[] => w(who).events.slice(from);
  const fund = async (): Promise<string> => {
    const reply = await h.admin.request<{ balances: { asset: string; balance: string }[] }>('GET', '/insurance-fund');
    const engine = h.server.exchange.engine.insuranceFund();
    assert.deepEqual(reply.body.balances.map((b) => b.asset), engine.map((f) => f.asset), 'the admin API lists the engine\'s fund');
    const usdt = reply.body.balances.find((b) => b.asset === 'USDT')?.balance ?? '0';
    assert.equal(BigInt(Math.round(Number(usdt) * 1e8)), engine.find((f) => f.asset === 'USDT')?.balance ?? 0n, 'the admin API shows the engine\'s fund');
    return usdt;
  };

  interface StepOptions {
    /** REST account snapshots of every account checked too. */
    rest?: boolean;
    /** Positions the step must leave (contracts). */
    holds?: [Who, PositionSide, number][];
    /** The USDT insurance fund after the step. */
    fund?: string;
    /** Engine facts about the step's own events, per account (the events since the step began). */
    then?: (events: (who: Who) => EngineEvent[]) => void;
  }

  /**
   * One step: the action, then the SYNC barrier on every watched account, then every dialect's model
   * and markers checked against the engine (account.ts). Each step is its own test so a failure names it.
   */
  const step = (name: string, action: () => Promise<unknown>, options: StepOptions = {}): void => {
    it(name, async () => {
      const starts = new Map([...watched].map(([who, account]) => [who, account.events.length]));
      for (const account of watched.values()) account.beginStep();
      await action();
      for (const [who, side, contracts] of options.holds ?? []) assert.equal(held(who, side), contracts, `${who} ${side} after "${name}"`);
      assert.equal(await fund(), options.fund ?? '0', 'the insurance fund');
      options.then?.((who) => eventsOf(who, starts.get(who)!));
      for (const account of watched.values()) await account.barrier((accountId, amount, asset) => h.admin.deposit(accountId, amount, asset));
      for (const account of watched.values()) await account.caughtUp();
      const problems = [...watched.values()].flatMap((account) => account.check(name));
      if (options.rest === true) for (const [who, account] of watched) problems.push(...await account.checkRest(name, door(who)));
      if (problems.length > 0) assert.fail(`${problems.length} disagreement(s):\n${problems.join('\n')}`);
    });
  };

  const xtOrder = (who: Who, side: 'BUY' | 'SELL', positionSide: 'LONG' | 'SHORT', qty: number, price: string) =>
    door(who).xt('/future/trade/v1/order/create', { symbol: RISK.xt, orderSide: side, positionSide, orderType: 'LIMIT', origQty: String(qty), price, timeInForce: 'GTC' });
  let kucoinIds = 0;
  const kucoin = (who: Who, path: string, body: Record<string, unknown>) => door(who).kucoin('POST', path, { symbol: RISK.kucoin, ...body });
  // The walk's accounts trade cross; KuCoin reads an order without marginMode as ISOLATED and refuses
  // it on a cross contract (330005), so a KuCoin client says CROSS.
  const kucoinOrder = (who: Who, body: Record<string, unknown>) =>
    kucoin(who, '/api/v1/orders', { clientOid: `risk-${++kucoinIds}`, type: 'limit', marginMode: 'CROSS', ...body });
  const mark = (price: string) => () => h.admin.markPrice(RISK.xt, price);

  // --- Setup through the four front doors -------------------------------------------------------
  step('deposit: V 1,600 USDT, S1, S2 and M 10,000 each (admin)', async () => {
    for (const [who, usdt] of [['V', '1600'], ['S1', '10000'], ['S2', '10000'], ['M', '10000']] as const) await h.admin.deposit(id(who), usdt);
  });
  step('V: leverage 20 → 10 (Binance leverage)', () => door('V').binance('POST', '/fapi/v1/leverage', { symbol: RISK.binance, leverage: 10 }));
  step('S1 rests an ask 10 @ 1,000 SHORT (XT)', () => xtOrder('S1', 'SELL', 'SHORT', 10, '1000'));
  step('S2 rests an ask 5 @ 1,000 SHORT (Bybit)', () => door('S2').bybit('/v5/order/create', {
    category: 'linear', symbol: RISK.bybit, side: 'Sell', positionIdx: 2, orderType: 'Limit', qty: '5', price: '1000',
  }));
  step('V buys 15 @ 1,000 LONG, taking both asks (KuCoin)', () => kucoinOrder('V', { side: 'buy', price: '1000', size: 15, positionSide: 'LONG' }), {
    holds: [['V', 'LONG', 15], ['S1', 'SHORT', -10], ['S2', 'SHORT', -5]],
  });
  step('M rests bids 4 @ 903 (Binance) and 3 @ 895 (XT)', async () => {
    await door('M').binance('POST', '/fapi/v1/order', { symbol: RISK.binance, side: 'BUY', positionSide: 'LONG', type: 'LIMIT', timeInForce: 'GTC', quantity: '4', price: '903' });
    await xtOrder('M', 'BUY', 'LONG', 3, '895');
  });
  step('V rests a bid 1 @ 800 LONG (Bybit)', () => door('V').bybit('/v5/order/create', {
    category: 'linear', symbol: RISK.bybit, side: 'Buy', positionIdx: 1, orderType: 'Limit', qty: '1', price: '800',
  }));
  step('S1 rests an ask 1 @ 1,200 SHORT (KuCoin)', () => kucoinOrder('S1', { side: 'sell', price: '1200', size: 1, positionSide: 'SHORT' }));

  // --- The walk ------------------------------------------------------------------------------------
  step('mark 950 (admin): nothing crossed; each open position\'s one mark-price push', mark('950'), {
    then: (events) => {
      assert.deepEqual(['V', 'S1', 'S2', 'M'].map((who) => events(who as Who).map((e) => `${e.type} ${e.reason}`)),
        [['position MARK_PRICE'], ['position MARK_PRICE'], ['position MARK_PRICE'], []]);
    },
  });
  step('mark 906 (admin): V\'s margin ratio passes 0.8 — WARN', mark('906'), {
    then: (events) => {
      assert.deepEqual(events('V').map((e) => (e.type === 'notice' ? `${e.notice} ${e.direction} ${e.qty}` : e.type)), ['WARN LONG 15']);
      for (const who of ['S1', 'S2', 'M'] as const) assert.deepEqual(events(who), [], `${who}: nothing (mark pushes paced)`);
    },
  });
  step('funding settlement at 906 with V warned (admin funding/settle)', () => admin('/funding/settle', { symbol: RISK.xt }), {
    rest: true,
    then: (events) => {
      const fees = (['V', 'S1', 'S2', 'M'] as const).map((who) => events(who).flatMap((e) => (e.type === 'funding' ? [e.fundingFee] : [])));
      assert.deepEqual(fees, [[-135_900_000n], [90_600_000n], [45_300_000n], []], 'V pays 1.359; S1 gets 0.906, S2 0.453');
    },
  });
  step('V asks for risk-limit level 1 with 15,000 in tier 2: refused, by the push (KuCoin risk-limit-level/change)',
    () => kucoin('V', '/api/v1/position/risk-limit-level/change', { level: 1 }), {
      then: (events) => {
        const results = events('V').map((e) => (e.type === 'riskLimit' ? `${String(e.success)} ${e.riskLevel}` : e.type));
        assert.deepEqual(results, ['false 2'], 'one RiskLimitEvent, failed, level 2 still in force');
      },
    });
  step('V asks for risk-limit level 4 of 3: refused at the door in KuCoin\'s shape, nothing happens (KuCoin risk-limit-level/change)', async () => {
    const reply = await door('V').kucoinReply('POST', '/api/v1/position/risk-limit-level/change', { symbol: RISK.kucoin, level: 4 });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, '400100');
    assert.match(reply.body.msg ?? '', /level/);
  }, { then: (events) => assert.deepEqual(events('V'), [], 'no command reached the engine') });
  step('S2 chooses risk-limit level 3: its leverage comes down 20 → 10 (KuCoin risk-limit-level/change)',
    () => kucoin('S2', '/api/v1/position/risk-limit-level/change', { level: 3 }), {
      then: (events) => {
        assert.deepEqual(events('S2').map((e) => `${e.type} ${e.reason}`), ['config RISK_LIMIT_CHANGE', 'position RISK_LIMIT_CHANGE', 'balance RISK_LIMIT_CHANGE', 'riskLimit RISK_LIMIT_CHANGE']);
        assert.equal(h.server.exchange.engine.account(id('S2'))!.view.settings.find((s) => s.symbol === RISK.xt)!.leverage, 10);
      },
    });
  step('mark 904 (admin): PARTIAL — V\'s bid cancelled, 4 sold to M at 903 at no fee; V keeps 11', mark('904'), {
    holds: [['V', 'LONG', 11], ['M', 'LONG', 4]],
    then: (events) => {
      const v = events('V');
      assert.deepEqual(v.filter((e) => e.type === 'order' && e.order.source === 'USER').map((e) => e.type === 'order' && `${e.order.state} ${e.order.reason}`), ['CANCELED LIQUIDATION']);
      assert.deepEqual(v.filter((e) => e.type === 'notice').map((e) => e.type === 'notice' && `${e.notice} ${e.qty}`), ['PARTIAL 4']);
      const trades = v.filter((e): e is TradeEvent => e.type === 'trade');
      assert.deepEqual(trades.map((t) => [t.source, t.qty, t.price, t.fee]), [['LIQUIDATION', 4, 903, 0n]]);
    },
  });
  step('mark 898 (admin): LIQUIDATION — 3 sold to M at 895 (12 to the fund), 8 deleveraged against S1 at the bankruptcy price 891', mark('898'), {
    rest: true,
    fund: '12',
    holds: [['V', 'LONG', 0], ['M', 'LONG', 7], ['S1', 'SHORT', -2], ['S2', 'SHORT', -5]],
    then: (events) => {
      const v = events('V');
      // The bankruptcy price of the position taken over, as its first snapshot in the liquidation shows it, up to the tick.
      const takenOver = v.find((e) => e.type === 'position' && e.position.status === 'LIQUIDATING');
      assert.ok(takenOver?.type === 'position' && takenOver.position.bankruptcyPrice !== null);
      const bankruptcyTicks = Number((takenOver.position.bankruptcyPrice + 99_999_999n) / 100_000_000n);
      assert.equal(bankruptcyTicks, 891);
      const fills = (who: Who) => events(who).filter((e): e is TradeEvent => e.type === 'trade').map((t) => [t.source, t.qty, t.price, t.fee]);
      assert.deepEqual(fills('V'), [['LIQUIDATION', 3, 895, 0n], ['ADL', 8, bankruptcyTicks, 0n]], 'no fee on the liquidated side; ADL at the bankruptcy price');
      assert.deepEqual(fills('S1'), [['ADL', 8, bankruptcyTicks, 0n]], 'no fee for the ADL counterparty');
      assert.deepEqual(fills('M'), [['USER', 3, 895, 53_700_000n]], 'M\'s own order pays its maker fee');
      assert.deepEqual(events('S1').filter((e) => e.type === 'order' && e.order.source === 'USER').map((e) => e.type === 'order' && `${e.order.state} ${e.order.reason}`), ['CANCELED ADL']);
      assert.deepEqual(v.filter((e) => e.type === 'notice').map((e) => e.type === 'notice' && `${e.notice} ${e.qty}`), ['ADL 8', 'LIQUIDATION 11']);
      assert.deepEqual(events('S1').filter((e) => e.type === 'notice').map((e) => e.type === 'notice' && `${e.notice} ${e.direction} ${e.qty}`), ['ADL SHORT 8']);
      assert.deepEqual(events('S2'), [], 'S2 ranks below S1');
    },
  });

  // --- Afterwards: isolated margin and the auto-deposit switch (KuCoin) ------------------------------
  step('V, flat: margin mode → ISOLATED (KuCoin changeMarginMode)', () => kucoin('V', '/api/v2/position/changeMarginMode', { marginMode: 'ISOLATED' }), { fund: '12' });
  step('V: auto-add margin on (KuCoin auto-deposit-status → autoAppendMarginStatusChange)',
    () => kucoin('V', '/api/v1/position/margin/auto-deposit-status', { status: true, positionSide: 'LONG' }), {
      rest: true,
      fund: '12',
      then: (events) => assert.deepEqual(events('V').map((e) => `${e.type} ${e.reason} ${e.type === 'position' && String(e.position.autoDeposit)}`), ['position AUTO_DEPOSIT_CHANGE true']),
    });

  // Each step compared the markers with what the step's canonical events call for (markers.ts); this
  // spells out, literally, what the whole walk told the liquidated account and the deleveraged one.
  it('what V and S1 were told of the walk, dialect by dialect', () => {
    // Everything but KuCoin's ordinary change reasons (positionChange, marginChange).
    const ordinary = / (positionChange|marginChange)$/;
    const told = (who: Who) => Object.fromEntries([...w(who).markers()].map(([dialect, list]) => [dialect, list.filter((m) => !ordinary.test(m))]));
    assert.deepEqual(told('V'), {
      xt: [
        'notify(notify) risk_usdt CROSSED LONG 15 WARN',
        'notify(notify) risk_usdt CROSSED LONG 4 PARTIAL',
        'notify(notify) risk_usdt CROSSED LONG 8 ADL',
        'notify(notify) risk_usdt CROSSED LONG 11 LIQUIDATION',
      ],
      binance: [
        'MARGIN_CALL risk_usdt LONG pa=15 mt=cross iw=0 mp=906 up=-1410 mm=171.8 cw=1592.5',
        'ORDER_TRADE_UPDATE #8 c=autoclose-8 o=LIQUIDATION ot=LIQUIDATION x=NEW X=NEW',
        'ORDER_TRADE_UPDATE #8 c=autoclose-8 o=LIQUIDATION ot=LIQUIDATION x=CALCULATED X=FILLED',
        'ORDER_TRADE_UPDATE #9 c=autoclose-9 o=LIQUIDATION ot=LIQUIDATION x=NEW X=NEW',
        'ORDER_TRADE_UPDATE #9 c=autoclose-9 o=LIQUIDATION ot=LIQUIDATION x=CALCULATED X=FILLED',
        'ORDER_TRADE_UPDATE #10 c=adl_autoclose o=LIQUIDATION ot=LIQUIDATION x=CALCULATED X=FILLED',
      ],
      bybit: [
        'position risk_usdt|LONG Liq size=15',
        'order #6 CreateByUser CancelAllBeforeLiq Cancelled',
        'order #8 CreateByLiq UNKNOWN New',
        'order #8 CreateByLiq UNKNOWN Filled',
        'execution 3 BustTrade CreateByLiq',
        'position risk_usdt|LONG Liq size=11',
        'order #9 CreateByTakeOver_PassThrough UNKNOWN New',
        'order #9 CreateByTakeOver_PassThrough UNKNOWN Filled',
        'order #10 CreateByAdl_PassThrough UNKNOWN Filled',
        'execution 4 BustTrade CreateByTakeOver_PassThrough',
        'execution 5 AdlTrade CreateByAdl_PassThrough',
      ],
      kucoin: [
        'position.adjustRiskLimit risk_usdt success=false level=2 msg=the position value exceeds the risk limit of level 1: its open position and orders reach level 2',
        // 904: cancel, partial liquidation order, its fill, statuses back
        'position.change risk_usdt|LONG liquidation',
        'orderChange #8 open liquid',
        'position.change risk_usdt|LONG liquidation',
        'orderChange #8 match liquid',
        'orderChange #8 filled liquid',
        'position.change risk_usdt|LONG liquidation',
        'position.change risk_usdt|LONG liquidation',
        // 898: takeover order, its fill, the ADL order attached, its fill, statuses back
        'orderChange #9 open liquid',
        'position.change risk_usdt|LONG liquidation',
        'orderChange #9 match liquid',
        'orderChange #9 filled liquid',
        'position.change risk_usdt|LONG liquidation',
        'position.change risk_usdt|LONG liquidation',
        'orderChange #10 match liquid',
        'orderChange #10 filled liquid',
        'position.change risk_usdt|LONG adl',
        'position.change risk_usdt|LONG liquidation',
        'position.change risk_usdt|LONG autoAppendMarginStatusChange',
      ],
      'kucoin-uta': ['lw risk_usdt eT=MARGIN_CALL r=0.94136987 a=1592.5 iM=1500 mM=171.8 e=182.5 aM=10.7 l=0'],
    });
    assert.deepEqual(told('S1'), {
      xt: ['notify(notify) risk_usdt CROSSED SHORT 8 ADL'],
      binance: ['ORDER_TRADE_UPDATE #11 c=adl_autoclose o=LIQUIDATION ot=LIQUIDATION x=CALCULATED X=FILLED'],
      bybit: [
        'position risk_usdt|SHORT Adl size=2',
        'order #7 CreateByUser CancelAllBeforeAdl Cancelled',
        'order #11 CreateByAdl_PassThrough UNKNOWN Filled',
        'execution 5 AdlTrade CreateByAdl_PassThrough',
      ],
      kucoin: [
        'position.change risk_usdt|SHORT adl', // its ask cancelled
        'orderChange #11 match liquid',
        'orderChange #11 filled liquid',
        'position.change risk_usdt|SHORT adl',
        'position.change risk_usdt|SHORT adl', // status back to NORMAL
      ],
      'kucoin-uta': [],
    });
  });

  // --- Auto-add margin at work: V's isolated long, then a mark that would put it in the warning zone --
  step('deposit: V 1,000 USDT (admin)', () => h.admin.deposit(id('V'), '1000'), { fund: '12' });
  step('S2 rests an ask 10 @ 898 SHORT (Bybit)', () => door('S2').bybit('/v5/order/create', {
    category: 'linear', symbol: RISK.bybit, side: 'Sell', positionIdx: 2, orderType: 'Limit', qty: '10', price: '898',
  }), { fund: '12' });
  step('V opens an isolated long: buys 10 @ 898 (XT), margin 898', () => xtOrder('V', 'BUY', 'LONG', 10, '898'), {
    fund: '12', rest: true, holds: [['V', 'LONG', 10], ['S2', 'SHORT', -15]],
  });
  // Isolated equity at P: 898 + 10 (P − 898); maintenance 0.1 P (tier 1): the ratio would pass 0.8
  // below 818.4…, so auto-add margin moves what is available (101.651) in first, and no WARN follows.
  step('mark 818 (admin): auto-add margin tops V\'s isolated long up from the wallet instead of a WARN', mark('818'), {
    fund: '12',
    then: (events) => {
      // (V's LONG record had its hourly mark-price push at 950.)
      assert.deepEqual(events('V').map((e) => `${e.type} ${e.reason}`), ['position AUTO_DEPOSIT', 'balance AUTO_DEPOSIT']);
      const margin = h.server.exchange.engine.account(id('V'))!.view.positions.find((p) => p.positionSide === 'LONG')!.margin;
      assert.equal(margin, 99_965_100_000n, '898 + the available 101.651');
    },
  });

  it('after the last step nothing more arrives: past one more barrier, every stream pushed exactly the barrier\'s own messages', async () => {
    for (const account of watched.values()) account.beginStep();
    for (const account of watched.values()) await account.barrier((accountId, amount, asset) => h.admin.deposit(accountId, amount, asset));
    for (const account of watched.values()) await account.caughtUp();
    assert.deepEqual([...watched.values()].flatMap((account) => account.check('the closing barrier')), []);
  });
});
