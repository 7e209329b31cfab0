/**
 * The risk engine's actions through the engine, with worked numbers: warnings, liquidation through
 * the book with the insurance fund, ADL, tiered partial liquidation, auto-add margin, risk limits,
 * and persistence. Symbol: a tick is 1 USDT, a contract 1 unit of base, no fees unless said, tiers
 * 1 % / 2 % / 5 % from notional 0 / 10,000 / 50,000 (cum 0 / 100 / 1,600), max leverage 50 / 25 / 10.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import type { EngineEvent, NoticeEvent, PositionMode, RiskLimitEvent } from '../../src/engine/types.js';
import { RiskHarness, describe as labels, spec, usdt } from './support.js';

const TIERS: SymbolSpec['tiers'] = [
  { notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  { notionalFloor: '10000', maintenanceMarginRate: '0.02', maxLeverage: 25 },
  { notionalFloor: '50000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
];
const SYMBOL = spec({ tiers: TIERS, maxLeverage: 50 });

function harness(mode: PositionMode = 'ONE_WAY', symbols: SymbolSpec[] = [SYMBOL]): RiskHarness {
  return new RiskHarness('vec_usdt', { symbols, defaultPositionMode: mode });
}

const fund = (h: RiskHarness): bigint => h.view().risk.insuranceFund.find((f) => f.asset === 'USDT')?.amount ?? 0n;
const notices = (events: readonly EngineEvent[]): NoticeEvent[] => events.filter((e): e is NoticeEvent => e.type === 'notice');

/** A long of 1 @ 1,000, isolated at 10x (margin 100): bankruptcy 900, liquidation 900 / 0.99 = 909.09…, warning (0.8) at 720 / 0.79 = 911.39… */
function isolatedLong(h: RiskHarness, deposit = '1000'): { a: number; b: number } {
  const a = h.account(deposit);
  const b = h.account('100000');
  h.setup(a, { isolated: true, leverage: 10 });
  h.open(b, a, 'BUY', 1, 1000);
  h.markAt(1000);
  return { a, b };
}

describe('margin-ratio warnings', () => {
  test('WARN once per episode: sent when the ratio reaches 0.8, re-armed when it falls back below', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    assert.equal(h.pos(a).marginRatio, 10_000_000n, 'MM 10 / equity 100 = 0.1');
    assert.deepEqual(labels(h.markAt(912).events), [], 'ratio 9.12 / 12 = 0.76');
    const warn = h.markAt(911);
    assert.deepEqual(labels(warn.events), ['a1 notice WARN LONG 1']);
    const notice = notices(warn.events)[0]!;
    assert.equal(notice.reason, 'MARK_PRICE');
    assert.equal(notice.marginRatio, 82_818_182n, '9.11 / 11 = 0.8281818…, rounded up');
    assert.equal(notice.position.qty, 1);
    assert.deepEqual(h.view().risk.warned, ['1:vec_usdt:BOTH']);
    assert.deepEqual(labels(h.markAt(910).events), [], 'still the same episode');
    assert.deepEqual(labels(h.markAt(920).events), [], 're-armed silently');
    assert.deepEqual(h.view().risk.warned, []);
    assert.deepEqual(labels(h.markAt(911).events), ['a1 notice WARN LONG 1'], 'a new episode');
  });

  test('a cross account warns once for each of its open cross positions, then both legs are liquidated at one bankruptcy price', () => {
    const h = harness('HEDGE');
    const a = h.account('300');
    const b = h.account('100000');
    h.setup(a, { leverage: 10 });
    h.open(b, a, 'BUY', 2, 1000, 'SHORT', 'LONG');
    h.open(b, a, 'SELL', 1, 1000, 'LONG', 'SHORT');
    h.markAt(1000);
    // Equity 300 + 2(P − 1,000) − (P − 1,000) = P − 700; MM 0.03 P. Warning at 560 / 0.77 = 727.27…, liquidation at 700 / 0.97 = 721.64…
    assert.equal(h.pos(a, 'LONG').liquidationPrice, h.pos(a, 'SHORT').liquidationPrice);
    assert.equal(h.pos(a, 'LONG').liquidationPrice, 72_164_948_454n);
    assert.deepEqual(labels(h.markAt(728).events), []);
    assert.deepEqual(labels(h.markAt(727).events), ['a1 notice WARN LONG 2', 'a1 notice WARN SHORT 1']);
    assert.deepEqual(h.view().risk.warned, ['1:USDT']);
    const applied = h.markAt(721);
    const own = notices(applied.events).filter((n) => n.accountId === a).map((n) => `${n.notice} ${n.direction} ${n.qty}`);
    // The LONG's ADL nets the account's own SHORT first (it is being liquidated at the same price), then b's short.
    assert.deepEqual(own, ['ADL SHORT 1', 'ADL LONG 2', 'LIQUIDATION LONG 2', 'LIQUIDATION SHORT 1']);
    const trades = applied.events.filter((e) => e.type === 'trade' && e.accountId === a);
    assert.ok(trades.every((t) => t.type === 'trade' && t.price === 700), 'both legs close at the shared bankruptcy price 700');
    assert.equal(h.wallet(a).walletBalance, 0n, '300 − 2 × 300 + 300');
    assert.deepEqual(h.view().risk.warned, [], 'the episode ends with the positions');
  });
});

describe('cross liquidation across symbols', () => {
  test('cancels the orders of every cross symbol, liquidates the ticking symbol first, then the others while still liquidatable', () => {
    const two = spec({ symbol: 'two_usdt', tiers: TIERS, maxLeverage: 50 });
    const h = harness('ONE_WAY', [SYMBOL, two]);
    const a = h.account('300');
    const b = h.account('100000');
    h.setup(a, { leverage: 10 });
    assert.equal(h.apply({ type: 'setLeverage', accountId: a, symbol: 'two_usdt', leverage: 10 }).result.ok, true);
    h.open(b, a, 'BUY', 1, 1000);
    h.trade(b, a, 'BUY', 1, 1000, { symbol: 'two_usdt' }, { symbol: 'two_usdt' });
    h.markAt(1000);
    h.mark(1000, 'two_usdt');
    h.on(a, 'SELL', 1, 1200); // a reduce-side order on vec
    h.place(a, { symbol: 'two_usdt', side: 'BUY', qty: 1, price: 500 }); // an opening order on two (freezes 50)
    // Equity 300 + (P_vec − 1,000) + (P_two − 1,000); MM 0.01 (P_vec + P_two). With P_two at 1,000: liquidated below 700 / 0.99.
    const applied = h.markAt(700);
    const own = labels(applied.events).filter((l) => l.startsWith('a1 ') && (l.includes('order') || l.includes('notice')));
    assert.deepEqual(own, [
      'a1 order CANCELED USER CANCELED LIQUIDATION',
      'a1 order CANCELED USER CANCELED LIQUIDATION',
      'a1 order TRADE ADL FILLED',
      'a1 notice ADL LONG 1',
      'a1 notice LIQUIDATION LONG 1',
      'a1 order TRADE ADL FILLED',
      'a1 notice ADL LONG 1',
      'a1 notice LIQUIDATION LONG 1',
    ]);
    const adl = applied.events.filter((e) => e.type === 'trade' && e.accountId === a).map((e) => e.type === 'trade' && `${e.symbol}@${e.price}`);
    // vec at its bankruptcy price with two at its mark: 1,000 − 300 = 700; then the account has nothing left: two at its mark.
    assert.deepEqual(adl, ['vec_usdt@700', 'two_usdt@1000']);
    assert.equal(h.wallet(a).walletBalance, 0n);
    assert.equal(h.view().accounts[0]!.orders.length, 0);
  });
});

describe('full liquidation', () => {
  test('through the book at a better price than bankruptcy: the surplus goes to the insurance fund', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    const c = h.account('100000');
    h.on(c, 'BUY', 1, 905);
    const applied = h.markAt(905);
    assert.deepEqual(labels(applied.events), [
      'a1 order NEW LIQUIDATION NEW',
      'a1 position BOTH 1 LIQUIDATING (LIQUIDATION)', // taken over: the liquidation order holds the closing capacity
      'a3 order TRADE USER FILLED',
      'a3 trade USER 1@905',
      'a3 position BOTH 1 NORMAL (ORDER)',
      'a3 balance (ORDER)',
      'a1 order TRADE LIQUIDATION FILLED',
      'a1 trade LIQUIDATION 1@905',
      'a1 position BOTH 0 LIQUIDATING (LIQUIDATION)',
      'a1 balance (LIQUIDATION)',
      'a1 balance (LIQUIDATION)', // the clearance: 5 to the fund
      'a1 position BOTH 0 NORMAL (LIQUIDATION)',
      'a1 notice LIQUIDATION LONG 1',
    ]);
    const order = applied.events.find((e) => e.type === 'order' && e.accountId === a && e.execType === 'NEW');
    assert.ok(order?.type === 'order');
    assert.deepEqual([order.order.orderType, order.order.timeInForce, order.order.price, order.order.reduceOnly], ['LIMIT', 'IOC', 905, true]);
    const trade = applied.events.find((e) => e.type === 'trade' && e.accountId === a);
    assert.ok(trade?.type === 'trade');
    assert.equal(trade.fee, 0n, 'the liquidated side pays no trading fee');
    const clearance = applied.events.filter((e) => e.type === 'balance' && e.accountId === a)[1];
    assert.ok(clearance?.type === 'balance');
    assert.equal(clearance.walletChange, -usdt('5'));
    assert.equal(fund(h), usdt('5'));
    // As if taken over at the bankruptcy price: 1,000 − (1,000 − 900).
    assert.equal(h.wallet(a).walletBalance, usdt('900'));
  });

  test('through the book at a worse price: the insurance fund pays the shortfall', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    h.apply({ type: 'depositInsurance', asset: 'USDT', amount: usdt('20') });
    const c = h.account('100000');
    h.on(c, 'BUY', 1, 890);
    const applied = h.markAt(905);
    assert.ok(labels(applied.events).includes('a1 trade LIQUIDATION 1@890'));
    assert.equal(fund(h), usdt('10'), '20 − (900 − 890)');
    assert.equal(h.wallet(a).walletBalance, usdt('900'));
    assert.equal(h.pos(a).qty, 0);
  });

  test('the book is walked only as deep as the fund (plus the better fills) can pay for; the rest is ADL', () => {
    const h = harness();
    const a = h.account('1000');
    const b = h.account('100000');
    h.setup(a, { isolated: true, leverage: 10 });
    h.open(b, a, 'BUY', 3, 1000); // margin 300, bankruptcy 900
    h.markAt(1000);
    h.apply({ type: 'depositInsurance', asset: 'USDT', amount: usdt('10') });
    const c = h.account('100000');
    h.on(c, 'BUY', 1, 905); // +5
    h.on(c, 'BUY', 1, 890); // −10: affordable with 10 + 5
    h.on(c, 'BUY', 1, 880); // −20: not any more
    const applied = h.markAt(905);
    const own = labels(applied.events).filter((l) => l.startsWith('a1 '));
    assert.deepEqual(own.filter((l) => l.includes('trade')), ['a1 trade LIQUIDATION 1@905', 'a1 trade LIQUIDATION 1@890', 'a1 trade ADL 1@900']);
    assert.equal(fund(h), usdt('5'), '10 + 5 − 10; ADL at the bankruptcy price moves nothing');
    assert.equal(h.wallet(a).walletBalance, usdt('700'), '1,000 − 3 × 100');
    assert.equal(h.book('vec_usdt').bids.length, 1, 'the 880 bid is still there');
  });

  test('ADL when the fund cannot cover: opposite positions by rank, at the bankruptcy price, no fee, notices to both sides', () => {
    const h = harness();
    const a = h.account('1000');
    const b = h.account('100000');
    const c = h.account('100000');
    h.setup(a, { isolated: true, leverage: 10 });
    h.open(b, a, 'BUY', 2, 1000); // b short 2 @ 1,000
    h.open(c, a, 'BUY', 1, 1000); // c short 1 @ 1,000
    h.on(c, 'BUY', 1, 700); // c has an order on the symbol: ADL cancels it
    h.markAt(1000);
    // a: long 3, margin 300, bankruptcy 900, nothing in the book to sell to, an empty fund.
    // Ranking (Bybit): same PnL %, b's effective leverage (bankruptcy 51,000) beats c's (101,000).
    const applied = h.markAt(905);
    assert.deepEqual(labels(applied.events), [
      'a1 position BOTH 3 LIQUIDATING (LIQUIDATION)', // taken over: the ADL order holds the closing capacity
      'a2 order TRADE ADL FILLED',
      'a2 trade ADL 2@900',
      'a2 position BOTH 0 ADL (ADL)',
      'a2 balance (ADL)',
      'a1 order TRADE ADL PARTIALLY_FILLED',
      'a1 trade ADL 2@900',
      'a1 position BOTH 1 LIQUIDATING (ADL)',
      'a1 balance (ADL)',
      'a2 position BOTH 0 NORMAL (ADL)',
      'a2 notice ADL SHORT 2',
      'a3 order CANCELED USER CANCELED ADL',
      'a3 position BOTH -1 NORMAL (ADL)', // the cancelled buy was closing it
      'a3 order TRADE ADL FILLED',
      'a3 trade ADL 1@900',
      'a3 position BOTH 0 ADL (ADL)',
      'a3 balance (ADL)',
      'a1 order TRADE ADL FILLED',
      'a1 trade ADL 1@900',
      'a1 position BOTH 0 LIQUIDATING (ADL)',
      'a1 balance (ADL)',
      'a3 position BOTH 0 NORMAL (ADL)',
      'a3 notice ADL SHORT 1',
      'a1 notice ADL LONG 3',
      'a1 position BOTH 0 NORMAL (LIQUIDATION)',
      'a1 notice LIQUIDATION LONG 3',
    ]);
    const trades = applied.events.filter((e) => e.type === 'trade');
    assert.ok(trades.every((t) => t.type === 'trade' && t.fee === 0n && t.source === 'ADL' && t.price === 900));
    assert.deepEqual(trades.map((t) => t.type === 'trade' && t.isMaker), [true, false, true, false], 'the counterparty is the maker side');
    assert.equal(fund(h), 0n);
    assert.equal(h.wallet(a).walletBalance, usdt('700'));
    // b closed 2 at 900 from 1,000: +200; c closed 1: +100.
    assert.equal(h.wallet(b).walletBalance, usdt('100200'));
    assert.equal(h.wallet(c).walletBalance, usdt('100100'));
  });
});

describe('tiered partial liquidation', () => {
  /** Cross long 15 @ 1,000 at 10x with 1,600: tier 2 (MM 0.3P − 100); liquidated below 13,300 / 14.7 = 904.76… */
  function crossLong(h: RiskHarness): { a: number; b: number; c: number } {
    const a = h.account('1600');
    const b = h.account('100000');
    const c = h.account('100000');
    h.setup(a, { leverage: 10 });
    h.open(b, a, 'BUY', 15, 1000);
    h.markAt(1000);
    return { a, b, c };
  }

  test('reducing to tier 1 restores the margin: PARTIAL, the rest stays open', () => {
    const h = harness();
    const { a, c } = crossLong(h);
    h.on(c, 'BUY', 4, 903);
    const applied = h.markAt(904);
    // At 904: equity 160 ≤ MM 171.2. Kept: the most contracts under the tier-2 floor, 11 (9,944 < 10,000):
    // MM 99.44 < equity 160. Sold 4 no worse than bankruptcy (13,400 / 15 = 893.3 → 894).
    assert.deepEqual(labels(applied.events), [
      'a1 order NEW LIQUIDATION NEW',
      'a1 position BOTH 15 LIQUIDATING (LIQUIDATION)',
      'a3 order TRADE USER FILLED',
      'a3 trade USER 4@903',
      'a3 position BOTH 4 NORMAL (ORDER)',
      'a3 balance (ORDER)',
      'a1 order TRADE LIQUIDATION FILLED',
      'a1 trade LIQUIDATION 4@903',
      'a1 position BOTH 11 LIQUIDATING (LIQUIDATION)',
      'a1 balance (LIQUIDATION)',
      'a1 position BOTH 11 NORMAL (LIQUIDATION)',
      'a1 notice PARTIAL LONG 4',
    ]);
    const order = applied.events.find((e) => e.type === 'order' && e.execType === 'NEW');
    assert.ok(order?.type === 'order');
    assert.deepEqual([order.order.qty, order.order.price, order.order.source], [4, 894, 'LIQUIDATION']);
    assert.equal(h.pos(a).qty, 11);
    assert.equal(fund(h), 0n, 'a partial liquidation keeps its fills: no clearance');
    assert.equal(h.wallet(a).walletBalance, usdt('1212'), '1,600 − 4 × 97');
  });

  test('when the book cannot take the reduction within the bankruptcy price: full liquidation', () => {
    const h = harness();
    const { a, c } = crossLong(h);
    h.on(c, 'BUY', 20, 850); // below bankruptcy 894: the partial order finds nothing
    const applied = h.markAt(904);
    const own = labels(applied.events).filter((l) => l.startsWith('a1 '));
    assert.deepEqual(own, [
      'a1 order NEW LIQUIDATION NEW',
      'a1 position BOTH 15 LIQUIDATING (LIQUIDATION)',
      'a1 order EXPIRED LIQUIDATION EXPIRED IOC_REMAINDER',
      'a1 position BOTH 15 LIQUIDATING (LIQUIDATION)',
      'a1 position BOTH 15 LIQUIDATING (LIQUIDATION)',
      'a1 order TRADE ADL FILLED',
      'a1 trade ADL 15@894',
      'a1 position BOTH 0 LIQUIDATING (ADL)',
      'a1 balance (ADL)',
      'a1 notice ADL LONG 15',
      'a1 position BOTH 0 NORMAL (LIQUIDATION)',
      'a1 notice LIQUIDATION LONG 15',
    ]);
    assert.equal(h.pos(a).qty, 0);
  });
});

describe('auto-add margin', () => {
  test('the toggle is a position change (AUTO_DEPOSIT_CHANGE); only isolated positions take it', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    const applied = h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: true });
    assert.deepEqual(labels(applied.events), ['a1 position BOTH 1 NORMAL (AUTO_DEPOSIT_CHANGE)']);
    assert.equal(h.pos(a).autoDeposit, true);
    assert.deepEqual(h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: true }).events, [], 'no change, no event');
    const cross = h.account('100');
    assert.equal(h.apply({ type: 'setAutoDeposit', accountId: cross, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: true }).result.ok, false);
    assert.equal(h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'LONG', enabled: true }).result.ok, false);
  });

  test('near liquidation the margin is topped up to the initial margin at the mark, instead of a warning', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: true });
    const applied = h.markAt(911);
    // Equity 11, target 91.1 (911 / 10): 80.1 moves from the 900 available.
    assert.deepEqual(labels(applied.events), ['a1 position BOTH 1 NORMAL (AUTO_DEPOSIT)', 'a1 balance (AUTO_DEPOSIT)']);
    assert.equal(h.pos(a).margin, usdt('180.1'));
    assert.equal(h.wallet(a).walletBalance, usdt('1000'), 'the wallet keeps the money: it only moves into the position');
    assert.equal(h.wallet(a).availableBalance, usdt('819.9'));
  });

  test('a gap past the liquidation price: topped up instead of liquidated when the balance allows', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: true });
    assert.deepEqual(labels(h.markAt(850).events), ['a1 position BOTH 1 NORMAL (AUTO_DEPOSIT)', 'a1 balance (AUTO_DEPOSIT)']);
    assert.equal(h.pos(a).qty, 1);
    assert.equal(h.pos(a).margin, usdt('235'), 'equity −50 + 135 = 85 = 850 / 10');
  });

  test('nothing available: no transfer, the warning goes out as usual', () => {
    const h = harness();
    const { a } = isolatedLong(h, '100');
    h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: true });
    assert.deepEqual(labels(h.markAt(911).events), ['a1 notice WARN LONG 1']);
    assert.equal(h.pos(a).margin, usdt('100'));
  });
});

describe('risk tiers and levels', () => {
  const riskEvent = (events: readonly EngineEvent[]): RiskLimitEvent => {
    const found = events.find((e): e is RiskLimitEvent => e.type === 'riskLimit');
    assert.ok(found, 'a riskLimit event');
    return found;
  };

  test('leverage is bounded by the tier the position and its open orders reach', () => {
    const h = harness();
    const a = h.account('100000');
    const b = h.account('100000');
    h.setup(a, { leverage: 30 });
    h.markAt(1000);
    // 9 @ 1,000 stays in tier 1 (max 50x); one more contract reaches tier 2 (max 25x): rejected.
    h.open(b, a, 'BUY', 9, 1000);
    const rejected = h.on(a, 'BUY', 1, 1000);
    assert.equal(rejected.result.ok && rejected.result.kind === 'order' && rejected.result.order.reason, 'RISK_LIMIT');
    assert.equal(h.pos(a).riskLevel, 1);
    assert.equal(h.pos(a).riskLimit, usdt('10000'));
    // At 25x it fits, and the order then lifts the level in force: 50x is refused with the reason.
    h.setup(a, { leverage: 25 });
    assert.equal(h.on(a, 'BUY', 2, 1000).result.ok, true);
    assert.equal(h.pos(a).riskLevel, 2, '9,000 + an open order for 2,000');
    const refused = h.apply({ type: 'setLeverage', accountId: a, symbol: 'vec_usdt', leverage: 30 });
    assert.equal(refused.result.ok, false);
    assert.match(!refused.result.ok ? refused.result.message : '', /above 25, the most risk level 2 allows/);
  });

  test('adjustRiskLimit: a higher level lowers the leverage to its maximum and adds the margin (RISK_LIMIT_CHANGE)', () => {
    const h = harness();
    const a = h.account('1000');
    const b = h.account('100000');
    h.setup(a, { leverage: 25 });
    h.open(b, a, 'BUY', 5, 1000); // cross margin 200
    const applied = h.apply({ type: 'adjustRiskLimit', accountId: a, symbol: 'vec_usdt', level: 3 });
    assert.deepEqual(labels(applied.events), ['a1 config', 'a1 position BOTH 5 NORMAL (RISK_LIMIT_CHANGE)', 'a1 balance (RISK_LIMIT_CHANGE)', 'a1 riskLimit true 3']);
    assert.equal(riskEvent(applied.events).message, '');
    assert.equal(h.pos(a).leverage, 10);
    assert.equal(h.pos(a).margin, usdt('500'));
    assert.equal(h.pos(a).riskLevel, 3);
    assert.equal(h.view().accounts[0]!.settings[0]!.riskLimitLevel, 3);
    // Back down to level 1: allowed (the position is in tier 1), the leverage stays.
    const down = h.apply({ type: 'adjustRiskLimit', accountId: a, symbol: 'vec_usdt', level: 1 });
    assert.deepEqual(labels(down.events), ['a1 position BOTH 5 NORMAL (RISK_LIMIT_CHANGE)', 'a1 riskLimit true 1']);
  });

  test('adjustRiskLimit fails (seed 004): the position value exceeds the level; or the margin cannot be added', () => {
    const h = harness();
    const a = h.account('1000');
    const b = h.account('100000');
    h.setup(a, { leverage: 25 });
    h.open(b, a, 'BUY', 15, 1000); // tier 2, margin 600
    const before = h.stateKey();
    const tooBig = h.apply({ type: 'adjustRiskLimit', accountId: a, symbol: 'vec_usdt', level: 1 });
    assert.deepEqual(labels(tooBig.events), ['a1 riskLimit false 2']);
    assert.match(riskEvent(tooBig.events).message, /position value exceeds the risk limit of level 1/);
    // Level 3 allows 10x: the margin would be 1,500, 900 more than the 400 available.
    const poor = h.apply({ type: 'adjustRiskLimit', accountId: a, symbol: 'vec_usdt', level: 3 });
    assert.deepEqual(labels(poor.events), ['a1 riskLimit false 2']);
    assert.match(riskEvent(poor.events).message, /insufficient balance/);
    assert.equal(h.stateKey(), before, 'a failed adjustment changes nothing');
    assert.equal(h.apply({ type: 'adjustRiskLimit', accountId: a, symbol: 'vec_usdt', level: 4 }).result.ok, false, 'no such level');
  });
});

describe('persistence', () => {
  test('a snapshot carries the fund, the warnings, the risk settings; the restored engine acts exactly like the original', () => {
    const h = harness();
    const { a } = isolatedLong(h);
    h.apply({ type: 'depositInsurance', asset: 'USDT', amount: usdt('3') });
    h.apply({ type: 'setAutoDeposit', accountId: a, symbol: 'vec_usdt', positionSide: 'BOTH', enabled: false });
    const w = h.account('100');
    const z = h.account('100000');
    h.setup(w, { isolated: true, leverage: 10 });
    h.open(z, w, 'SELL', 1, 1000); // w short 1: warned above 1,000 + …
    h.markAt(911); // a warned
    assert.deepEqual(h.view().risk.warned, ['1:vec_usdt:BOTH']);
    const c = h.account('100000');
    const restored = Engine.restore({ symbols: [SYMBOL], defaultPositionMode: 'ONE_WAY' }, h.engine.snapshot());
    assert.equal(restored.stateHash(), h.engine.stateHash());
    const next = [
      { type: 'placeOrder' as const, accountId: c, symbol: 'vec_usdt', side: 'BUY' as const, positionSide: 'BOTH' as const, orderType: 'LIMIT' as const, timeInForce: 'GTC' as const, price: 905, qty: 1, reduceOnly: false },
      { type: 'setMarkPrice' as const, symbol: 'vec_usdt', price: 910 },
      { type: 'setMarkPrice' as const, symbol: 'vec_usdt', price: 905 },
      { type: 'setMarkPrice' as const, symbol: 'vec_usdt', price: 1090 },
    ];
    for (const cmd of next) {
      const original = h.apply(cmd);
      const again = restored.apply({ ...cmd, time: h.time });
      assert.deepEqual(again.events, original.events, `${cmd.type}: the restored engine emits the same events`);
      assert.equal(restored.stateHash(), h.engine.stateHash());
    }
    assert.equal(h.pos(a).qty, 0, 'a was liquidated');
    assert.ok(fund(h) > usdt('3'));
  });
});
