/**
 * Fills: entry cost, realized PnL, fees, flips, hedge mode, isolated and cross margin
 * (docs/engine-rules.md "Formulas", "A fill", "Other commands: adjustIsolatedMargin").
 *
 * BTC_USDT, K = 1000: maker fee ceil(q·p / 5), taker fee ceil(3·q·p / 5) (helpers.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import { formatAveragePrice } from '../../src/engine/format.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import { BTC, ETH, Harness, errorOf, eventsOf, labels, orderOf, usdt } from './helpers.js';

const btc = buildSymbolConfig(BTC_USDT);

describe('fills: entry cost and realized PnL', () => {
  it('adds accumulate entryCost = Σ qty × price: 10 @ 60,000 + 30 @ 60,100 → average 60,075', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000);
    h.trade(b, a, 'BUY', 30, 601_000);
    const p = h.position(a);
    assert.equal(p.qty, 40);
    // 10 × 600,000 + 30 × 601,000 = 6,000,000 + 18,030,000 = 24,030,000 tick-contracts
    assert.equal(p.entryCost, 24_030_000n);
    // 24,030,000 / 40 = 600,750 ticks = 60,075.0
    assert.equal(formatAveragePrice(btc, p.entryCost, Math.abs(p.qty)), '60075');
    // cross margin ceil(24,030,000 × 1000 / 20) = 1,201,500,000 (12.015 USDT)
    assert.equal(p.margin, usdt('12.015'));
    assert.equal(h.wallet(a).crossedMargin, usdt('12.015'));
    // taker fees: ceil(3 × 10 × 600,000 / 5) = 3,600,000 and ceil(3 × 30 × 601,000 / 5) = 10,818,000
    assert.equal(p.feesTotal, 14_418_000n);
    assert.equal(p.realizedPnlTotal, 0n);
    assert.equal(p.realizedPnlCurrent, -14_418_000n);
    assert.equal(h.wallet(a).walletBalance, usdt('1000') - 14_418_000n);
    // the short side mirrors the cost
    assert.equal(h.position(b).qty, -40);
    assert.equal(h.position(b).entryCost, 24_030_000n);
    h.audit();
  });

  it('a partial close releases floor(entryCost × r / |qty|) of the cost; the last contract takes the rest', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    h.trade(b, a, 'BUY', 3, 600_000); // taker fee ceil(3 × 3 × 600,000 / 5) = 1,080,000
    h.trade(b, a, 'BUY', 4, 600_001); // taker fee ceil(3 × 4 × 600,001 / 5) = ceil(1,440,002.4) = 1,440,003
    assert.equal(h.position(a).entryCost, 4_200_004n); // 1,800,000 + 2,400,004
    const closing = h.trade(c, a, 'SELL', 2, 600_100);
    // costReleased = floor(4,200,004 × 2 / 7) = floor(1,200,001.14…) = 1,200,001
    // PnL = 1000 × (2 × 600,100 − 1,200,001) = 1000 × 199 = 199,000
    const trade = eventsOf(closing.events, 'trade', a)[0]!;
    assert.equal(trade.realizedPnl, 199_000n);
    assert.equal(trade.fee, 720_120n); // ceil(3 × 2 × 600,100 / 5) = 720,120
    assert.equal(orderOf(closing).realizedPnl, 199_000n);
    assert.equal(orderOf(closing).fees, 720_120n);
    let p = h.position(a);
    assert.equal(p.qty, 5);
    assert.equal(p.entryCost, 3_000_003n); // 4,200,004 − 1,200,001
    assert.equal(p.realizedPnlTotal, 199_000n);
    // fees 1,080,000 + 1,440,003 + 720,120 = 3,240,123; current = 199,000 − 3,240,123
    assert.equal(p.feesTotal, 3_240_123n);
    assert.equal(p.realizedPnlCurrent, -3_041_123n);
    // cross margin follows the cost: ceil(3,000,003 × 1000 / 20) = ceil(150,000,150) = 150,000,150
    assert.equal(p.margin, 150_000_150n);

    h.trade(c, a, 'SELL', 5, 600_100);
    // all of the remaining cost: PnL = 1000 × (5 × 600,100 − 3,000,003) = 1000 × 497 = 497,000
    p = h.position(a);
    assert.equal(p.qty, 0);
    assert.equal(p.entryCost, 0n);
    assert.equal(p.margin, 0n);
    // 199,000 + 497,000 = 696,000 = 1000 × (7 × 600,100 − 4,200,004): no unit lost to rounding
    assert.equal(p.realizedPnlTotal, 696_000n);
    // fee of the last close: ceil(3 × 5 × 600,100 / 5) = 1,800,300
    assert.equal(h.wallet(a).walletBalance, usdt('1000') + 696_000n - 3_240_123n - 1_800_300n);
    h.audit();
  });

  it('a short closes with PnL = K × (costReleased − r × p)', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'SELL', 4, 601_000); // a short 4 @ 60,100
    const closing = h.trade(b, a, 'BUY', 4, 600_000);
    // PnL = 1000 × (2,404,000 − 2,400,000) = 4,000,000
    assert.equal(eventsOf(closing.events, 'trade', a)[0]!.realizedPnl, 4_000_000n);
    // and b, long 4 @ 60,100 closed at 60,000, loses as much
    assert.equal(eventsOf(closing.events, 'trade', b)[0]!.realizedPnl, -4_000_000n);
    h.audit();
  });
});

describe('fills: fees', () => {
  it('maker pays the maker rate, taker the taker rate, both rounded up, into the fee account', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const taken = h.trade(b, a, 'BUY', 1, 600_001);
    const makerTrade = eventsOf(taken.events, 'trade', b)[0]!;
    const takerTrade = eventsOf(taken.events, 'trade', a)[0]!;
    // maker: ceil(600,001 × 1000 × 20,000 / 1e8) = ceil(120,000.2) = 120,001
    assert.equal(makerTrade.fee, 120_001n);
    assert.equal(makerTrade.isMaker, true);
    assert.equal(makerTrade.feeAsset, 'USDT');
    // taker: ceil(600,001 × 1000 × 60,000 / 1e8) = ceil(360,000.6) = 360,001
    assert.equal(takerTrade.fee, 360_001n);
    assert.equal(takerTrade.isMaker, false);
    assert.equal(makerTrade.tradeId, takerTrade.tradeId);
    assert.equal(h.fees(), 480_002n); // 120,001 + 360,001
    assert.equal(h.wallet(b).walletBalance, usdt('1000') - 120_001n);
    assert.equal(h.wallet(a).walletBalance, usdt('1000') - 360_001n);

    // ETH_USDT (K = 10,000, maker 0.0002, taker 0.0005) settles in the same fee account
    h.trade(b, a, 'BUY', 1, 350_025, { symbol: ETH }, { symbol: ETH });
    // notional 350,025 × 10,000 = 3,500,250,000; maker 700,050, taker 1,750,125
    assert.equal(h.fees(), 480_002n + 700_050n + 1_750_125n);
    assert.deepEqual(h.view().fees, [{ asset: 'USDT', amount: 2_930_177n }]);
    h.audit();
  });
});

describe('fills: one-way flip', () => {
  it('long 10, sell 25 → short 15 at the sell price, new openTime, realizedPnlCurrent restarts', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    const t1 = h.time;
    h.trade(b, a, 'BUY', 10, 600_000); // taker fee 3,600,000
    assert.equal(h.position(a).openTime, t1);
    assert.equal(h.position(a).realizedPnlCurrent, -3_600_000n);
    const t2 = h.advance(60_000);
    h.buy(c, 25, 601_000);
    const placed = h.sell(a, 25, 601_000);
    const o = eventsOf(placed.events, 'order', a)[0]!.order;
    assert.equal(o.closeQty, 10);
    // open 15 at max(601,000, best bid 601,000): perContract = 30,050,000 + 360,600 = 30,410,600; × 15 = 456,159,000
    assert.equal(o.marginFrozen, 456_159_000n);
    const trade = eventsOf(placed.events, 'trade', a)[0]!;
    // close 10: PnL = 1000 × (10 × 601,000 − 6,000,000) = 10,000,000
    assert.equal(trade.realizedPnl, 10_000_000n);
    assert.equal(trade.fee, 9_015_000n); // ceil(3 × 25 × 601,000 / 5)
    assert.equal(trade.marginUnfrozen, 456_159_000n);
    const p = h.position(a);
    assert.equal(p.qty, -15);
    assert.equal(p.entryCost, 9_015_000n); // 15 × 601,000
    assert.equal(p.margin, 450_750_000n); // ceil(9,015,000 × 1000 / 20)
    assert.equal(p.openTime, t2);
    assert.equal(p.realizedPnlTotal, 10_000_000n); // lifetime, not reset
    assert.equal(p.feesTotal, 12_615_000n); // 3,600,000 + 9,015,000
    // rule "A fill" 3: on a flip the closing part's PnL and fee share floor(9,015,000 × 10 / 25) = 3,606,000
    // stay with the closed position; the new one starts at −(9,015,000 − 3,606,000)
    assert.equal(p.realizedPnlCurrent, -5_409_000n);
    // feesCurrent likewise: only the opening part's fee share counts for the new (short) position
    assert.equal(p.feesCurrent, 5_409_000n);
    h.audit();
  });

  it('closing to flat and reopening later restarts realizedPnlCurrent and openTime', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.trade(b, a, 'BUY', 10, 600_000); // fee 3,600,000
    h.advance();
    h.trade(b, a, 'SELL', 10, 601_000); // PnL 10,000,000, fee ceil(3 × 10 × 601,000 / 5) = 3,606,000
    let p = h.position(a);
    assert.equal(p.qty, 0);
    assert.equal(p.realizedPnlCurrent, -3_600_000n + 10_000_000n - 3_606_000n); // 2,794,000: kept while flat
    const t3 = h.advance();
    h.trade(b, a, 'BUY', 2, 600_000); // fee ceil(3 × 2 × 600,000 / 5) = 720,000
    p = h.position(a);
    assert.equal(p.openTime, t3);
    assert.equal(p.realizedPnlCurrent, -720_000n);
    assert.equal(p.realizedPnlTotal, 10_000_000n);
    h.audit();
  });
});

describe('fills: hedge mode', () => {
  it('long and short at once, each closed by its own closing side', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    const c = h.account('1000');
    assert.equal(h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' }).result.ok, true);
    // a closing order on a flat side is refused like a reduce-only order
    assert.equal(orderOf(h.sell(a, 1, 600_000, { positionSide: 'LONG' })).reason, 'REDUCE_ONLY_WOULD_INCREASE');
    h.trade(b, a, 'BUY', 10, 600_000, { positionSide: 'LONG' }); // b short 10
    h.trade(c, a, 'SELL', 4, 600_100, { positionSide: 'SHORT' }); // c long 4
    const long = h.position(a, BTC, 'LONG');
    const short = h.position(a, BTC, 'SHORT');
    assert.equal(long.qty, 10);
    assert.equal(long.entryCost, 6_000_000n);
    assert.equal(long.margin, 300_000_000n); // 6,000,000 × 1000 / 20
    assert.equal(short.qty, -4);
    assert.equal(short.entryCost, 2_400_400n);
    assert.equal(short.margin, 120_020_000n); // 2,400,400 × 1000 / 20
    assert.equal(h.wallet(a).crossedMargin, 420_020_000n);
    assert.equal(h.findPosition(a, BTC, 'BOTH'), undefined);

    // SELL-LONG 10 closes the long (b buys back at 60,020)
    const closeLong = h.trade(b, a, 'SELL', 10, 600_200, { positionSide: 'LONG' });
    assert.equal(eventsOf(closeLong.events, 'order', a)[0]!.order.closeQty, 10);
    assert.equal(eventsOf(closeLong.events, 'order', a)[0]!.order.marginFrozen, 0n);
    // PnL = 1000 × (10 × 600,200 − 6,000,000) = 2,000,000
    assert.equal(eventsOf(closeLong.events, 'trade', a)[0]!.realizedPnl, 2_000_000n);
    assert.equal(eventsOf(closeLong.events, 'trade', a)[0]!.positionSide, 'LONG');
    assert.equal(h.position(a, BTC, 'LONG').qty, 0);
    assert.equal(h.position(a, BTC, 'SHORT').qty, -4); // untouched
    assert.equal(h.wallet(a).crossedMargin, 120_020_000n);

    // BUY-SHORT 4 closes the short (c sells back at 60,000)
    const closeShort = h.trade(c, a, 'BUY', 4, 600_000, { positionSide: 'SHORT' });
    // PnL = 1000 × (2,400,400 − 4 × 600,000) = 400,000
    assert.equal(eventsOf(closeShort.events, 'trade', a)[0]!.realizedPnl, 400_000n);
    assert.equal(h.position(a, BTC, 'SHORT').qty, 0);
    assert.equal(h.wallet(a).crossedMargin, 0n);
    assert.equal(h.position(a, BTC, 'LONG').realizedPnlTotal, 2_000_000n);
    assert.equal(h.position(a, BTC, 'SHORT').realizedPnlTotal, 400_000n);
    h.audit();
  });

  it('in hedge mode a BUY-LONG opens even against a short: the sides are separate positions', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.apply({ type: 'setPositionMode', accountId: a, positionMode: 'HEDGE' });
    h.trade(b, a, 'SELL', 4, 600_000, { positionSide: 'SHORT' });
    const o = orderOf(h.buy(a, 3, 590_000, { positionSide: 'LONG' }));
    assert.equal(o.closeQty, 0);
    assert.equal(o.marginFrozen, 89_562_000n); // 3 × (29,500,000 + 354,000)
    const c = orderOf(h.buy(a, 3, 590_000, { positionSide: 'SHORT' }));
    assert.equal(c.closeQty, 3);
    assert.equal(c.marginFrozen, 0n);
    assert.equal(h.position(a, BTC, 'LONG').openOrderQty, 3);
    assert.equal(h.position(a, BTC, 'SHORT').closeOrderQty, 3);
    h.audit();
  });
});

describe('fills: margin', () => {
  it('isolated: margin added on open ceil(o·p·K/L), released pro rata (floor) on close, add and remove with the removal bound', () => {
    const h = new Harness();
    const a = h.account('100');
    const b = h.account('100');
    const c = h.account('100');
    assert.equal(h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' }).result.ok, true);
    assert.equal(h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 3 }).result.ok, true);
    h.sell(b, 10, 600_001);
    const open = h.buy(a, 10, 600_001);
    // frozen: perContract = ceil(600,001,000 / 3) + ceil(360,000.6) = 200,000,334 + 360,001 = 200,360,335; × 10
    assert.equal(eventsOf(open.events, 'order', a)[0]!.order.marginFrozen, 2_003_603_350n);
    let p = h.position(a);
    // added: ceil(10 × 600,001 × 1000 / 3) = ceil(2,000,003,333.3) = 2,000,003,334
    assert.equal(p.margin, 2_000_003_334n);
    assert.equal(p.marginMode, 'ISOLATED');
    let w = h.wallet(a);
    assert.equal(w.isolatedMargin, 2_000_003_334n);
    assert.equal(w.crossedMargin, 0n);
    // fee ceil(3 × 10 × 600,001 / 5) = 3,600,006; W = 10,000,000,000 − 3,600,006 = 9,996,399,994
    assert.equal(w.walletBalance, 9_996_399_994n);
    assert.equal(w.availableBalance, 7_996_396_660n); // − 2,000,003,334

    // close 3 @ 60,200
    const close = h.trade(c, a, 'SELL', 3, 602_000);
    p = h.position(a);
    // released floor(2,000,003,334 × 3 / 10) = floor(600,001,000.2) = 600,001,000
    assert.equal(p.margin, 1_400_002_334n);
    assert.equal(h.wallet(a).isolatedMargin, 1_400_002_334n);
    // cost released floor(6,000,010 × 3 / 10) = 1,800,003; PnL = 1000 × (1,806,000 − 1,800,003) = 5,997,000
    assert.equal(eventsOf(close.events, 'trade', a)[0]!.realizedPnl, 5_997_000n);
    assert.equal(p.entryCost, 4_200_007n);

    // removal bound: max(0, margin + min(0, uPnL) − ceil(entryCost × K / L))
    //   ceil(4,200,007,000 / 3) = ceil(1,400,002,333.3) = 1,400,002,334 → nothing removable
    let before = h.stateKey();
    assert.equal(errorOf(h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'BOTH', amount: -1n })), 'INSUFFICIENT_BALANCE');
    assert.equal(h.stateKey(), before);

    const added = h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'BOTH', amount: usdt('1') });
    assert.equal(added.result.ok, true);
    assert.deepEqual(labels(added.events), ['a1 position', 'a1 balance']);
    assert.ok(added.events.every((e) => e.reason === 'MARGIN_TRANSFER'));
    assert.equal(h.position(a).margin, 1_500_002_334n);
    w = h.wallet(a);
    assert.equal(w.isolatedMargin, 1_500_002_334n);
    // W unchanged by a transfer (9,996,399,994 − 1,083,600 fee of the close + 5,997,000 PnL = 10,001,313,394)
    assert.equal(w.walletBalance, 10_001_313_394n);
    const transfer = eventsOf(added.events, 'balance')[0]!;
    assert.equal(transfer.balance.crossWalletBalance, 10_001_313_394n - 1_500_002_334n); // W − isolated margin
    assert.equal(transfer.walletChange, 0n);

    // no mark: uPnL 0 → removable 100,000,000
    before = h.stateKey();
    assert.equal(errorOf(h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'BOTH', amount: -100_000_001n })), 'INSUFFICIENT_BALANCE');
    assert.equal(h.stateKey(), before);
    // mark 59,900: uPnL = 1000 × (7 × 599,000 − 4,200,007) = −7,007,000 → removable 92,993,000
    h.mark(599_000);
    assert.equal(h.position(a).unrealizedPnl, -7_007_000n);
    assert.equal(errorOf(h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'BOTH', amount: -92_993_001n })), 'INSUFFICIENT_BALANCE');
    assert.equal(h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'BOTH', amount: -92_993_000n }).result.ok, true);
    assert.equal(h.position(a).margin, 1_407_009_334n); // 1,500,002,334 − 92,993,000

    // closing the rest releases all of it
    h.trade(c, a, 'SELL', 7, 599_000);
    assert.equal(h.position(a).margin, 0n);
    assert.equal(h.wallet(a).isolatedMargin, 0n);
    h.audit();
  });

  it('adjustIsolatedMargin refusals: cross position, flat position, adding more than available, zero amount', () => {
    const h = new Harness();
    const a = h.account('10');
    const b = h.account('1000');
    const adjust = (amount: bigint) => h.apply({ type: 'adjustIsolatedMargin', accountId: a, symbol: BTC, positionSide: 'BOTH', amount });
    assert.equal(errorOf(adjust(1n)), 'NO_POSITION'); // no position record at all
    h.trade(b, a, 'BUY', 1, 600_000);
    assert.equal(errorOf(adjust(1n)), 'NO_POSITION'); // cross
    h.trade(b, a, 'SELL', 1, 600_000);
    h.apply({ type: 'setMarginMode', accountId: a, symbol: BTC, marginMode: 'ISOLATED' });
    assert.equal(errorOf(adjust(1n)), 'NO_POSITION'); // flat isolated
    h.trade(b, a, 'BUY', 1, 600_000);
    const available = h.wallet(a).availableBalance;
    assert.equal(errorOf(adjust(available + 1n)), 'INSUFFICIENT_BALANCE');
    assert.equal(errorOf(adjust(0n)), 'INVALID_ARGUMENT');
    assert.equal(adjust(available).result.ok, true);
    assert.equal(h.wallet(a).availableBalance, 0n);
    h.audit();
  });

  it('cross: margin = ceil(entryCost × K / L), recomputed (not pro rata) after a partial close', () => {
    const h = new Harness();
    const a = h.account('100');
    const b = h.account('100');
    h.apply({ type: 'setLeverage', accountId: a, symbol: BTC, leverage: 7 });
    h.trade(b, a, 'BUY', 10, 600_001);
    // ceil(6,000,010 × 1000 / 7) = ceil(857,144,285.7) = 857,144,286
    assert.equal(h.position(a).margin, 857_144_286n);
    assert.equal(h.wallet(a).crossedMargin, 857_144_286n);
    h.trade(b, a, 'SELL', 3, 602_000);
    // entryCost 6,000,010 − 1,800,003 = 4,200,007; ceil(4,200,007,000 / 7) = 600,001,000 exactly
    // (a pro-rata release would have left 857,144,286 − floor(857,144,286 × 3 / 10) = 600,001,001)
    assert.equal(h.position(a).margin, 600_001_000n);
    assert.equal(h.wallet(a).crossedMargin, 600_001_000n);
    h.audit();
  });
});
