/**
 * The risk engine's hook into the mark-price path and its actions (docs/engine-rules.md, "Risk:
 * on a mark tick"): margin-ratio warnings, auto-add margin, tiered partial liquidation, full
 * liquidation through the book with the insurance fund, ADL.
 *
 * `onMarkPrice(core, symbol)` is called by the engine's setMarkPrice after it set the mark: it
 * examines only the units whose index interval the mark left, in a canonical order (account id,
 * cross before isolated, asset, symbol, side), and acts on those that are due. Whatever an action
 * changes is re-indexed at once, and units it made due are acted on in the same tick.
 * `afterCommand(core)` re-indexes what any other command touched.
 */
import { invariant } from '../assert.js';
import type { Core } from '../core.js';
import { ceilDiv, floorDiv } from '../fixed.js';
import { INVERSE_COST_SCALE, bandLimit, costOf, notional } from '../margin.js';
import { takeThenRestOrExpire } from '../orders.js';
import { publicMark, publishLiquidation } from '../public-feed.js';
import { availableBalance, valuationOf } from '../snapshots.js';
import { maintenanceMargin } from '../symbol.js';
import { remaining, type Order, type Position, type SymbolState } from '../state.js';
import { autoDeleverage, rankSlice } from './adl.js';
import { settleClearance } from './insurance.js';
import { roundRiskCloseOnce } from './round-once.js';
import { bankruptcyPoint, netQty } from './liquidation-price.js';
import { inWarnZone, indexTouched, isAttached, isDue, isLiquidatable, reindex } from './liquidation-index.js';
import { directionOf, inNoticeOrder, sendNotice } from './notices.js';
import { ceilOf, floorOf } from './rational.js';
import { cancelOrders, closingSide, riskOrder } from './risk-orders.js';
import { tierIndex } from './tiers.js';
import type { IndexEntry, RiskUnit } from './units.js';
import { inputsFor, unitPositions, unitState, type UnitState } from './valuation.js';

const SIDE_ORDER = { BOTH: 0, LONG: 1, SHORT: 2 } as const;

/** The canonical processing order of units within a tick. */
function unitOrder(a: RiskUnit, b: RiskUnit): number {
  if (a.account.id !== b.account.id) return a.account.id - b.account.id;
  if (a.kind !== b.kind) return a.kind === 'CROSSED' ? -1 : 1;
  if (a.asset !== b.asset) return a.asset < b.asset ? -1 : 1;
  if (a.position !== null && b.position !== null) {
    const sa = a.position.symbol.config.symbol;
    const sb = b.position.symbol.config.symbol;
    if (sa !== sb) return sa < sb ? -1 : 1;
    return SIDE_ORDER[a.position.side] - SIDE_ORDER[b.position.side];
  }
  return 0;
}

/** Units waiting in a tick, smallest first; a unit is in it at most once. */
class UnitQueue {
  private readonly units: RiskUnit[] = [];

  add(unit: RiskUnit): void {
    if (this.units.includes(unit)) return;
    let i = this.units.length;
    while (i > 0 && unitOrder(this.units[i - 1]!, unit) > 0) i--;
    this.units.splice(i, 0, unit);
  }

  next(): RiskUnit | undefined {
    return this.units.shift();
  }
}

/** Re-indexes whatever the command touched (every command but a mark tick, which does it itself). */
export function afterCommand(core: Core): void {
  indexTouched(core);
}

/** The risk engine's work for a new mark of `symbol` (engine.ts setMarkPrice calls it). */
export function onMarkPrice(core: Core, symbol: SymbolState): void {
  indexTouched(core);
  const mark = symbol.markPrice;
  invariant(mark !== null, 'onMarkPrice without a mark');
  const hits: IndexEntry[] = [];
  symbol.risk.below.collect(mark, hits);
  symbol.risk.above.collect(mark, hits);
  const queue = new UnitQueue();
  for (const entry of hits) queue.add(entry.unit);
  let rounds = 0;
  for (let unit = queue.next(); unit !== undefined; unit = queue.next()) {
    invariant(++rounds < 10_000_000, 'the risk engine does not settle within a tick');
    if (!isAttached(unit)) continue;
    const state = unitState(unit);
    if (isDue(core, unit, state)) {
      act(core, unit, state, symbol);
      for (const touched of indexTouched(core)) if (touched !== unit && isAttached(touched) && isDue(core, touched)) queue.add(touched);
    }
    reindex(core, unit);
  }
  rankSlice(core, symbol);
}

/** What a due unit's exact state calls for (docs/engine-rules.md, "Risk: on a mark tick"). */
function act(core: Core, unit: RiskUnit, initial: UnitState, tickSymbol: SymbolState): void {
  let state = initial;
  let triedTopUp = false;
  const autoDeposit = unit.position !== null && unit.position.autoDeposit;
  if (isLiquidatable(state)) {
    if (autoDeposit) {
      triedTopUp = true;
      if (topUp(core, unit, state)) state = unitState(unit);
    }
    if (isLiquidatable(state)) {
      liquidate(core, unit, tickSymbol);
      if (isAttached(unit)) unit.warned = inWarnZone(core, unitState(unit));
      return;
    }
  }
  const zone = inWarnZone(core, state);
  if (zone && !unit.warned) {
    if (autoDeposit && !triedTopUp && topUp(core, unit, state)) state = unitState(unit);
    if (inWarnZone(core, state)) {
      unit.warned = true;
      for (const p of inNoticeOrder(unitPositions(unit))) sendNotice(core, p, 'WARN', directionOf(p), Math.abs(p.qty));
    }
  } else if (!zone && unit.warned) {
    unit.warned = false;
  }
}

/**
 * Auto-add margin: moves from the available balance what brings the isolated position's equity up to
 * its initial margin at the mark (ceil(|qty| × mark × K / leverage)), or as much of it as is
 * available — only if that lifts equity above maintenance. Returns whether it moved anything.
 */
function topUp(core: Core, unit: RiskUnit, state: UnitState): boolean {
  const position = unit.position!;
  const mark = position.symbol.markPrice;
  if (mark === null) return false;
  const { config } = position.symbol;
  const target = ceilDiv(notional(config, Math.abs(position.qty), mark), BigInt(position.settings.leverage));
  const wallet = core.wallet(position.account, config.settleAsset);
  const needed = target - state.equity;
  const available = availableBalance(wallet);
  const amount = needed < available ? needed : available;
  if (amount <= 0n || state.equity + amount <= state.maintenance) return false;
  const previous = core.emitter.currentReason;
  core.emitter.setReason('AUTO_DEPOSIT');
  position.margin += amount;
  wallet.isolatedMargin += amount;
  position.updateTime = core.time;
  core.emitter.touchPosition(position);
  core.emitter.touchWallet(wallet);
  core.emitter.endStep();
  core.emitter.setReason(previous);
  return true;
}

/**
 * The bankruptcy price in ticks for closing the unit's positions on `symbol` now: the exact price
 * where the unit's equity is zero, rounded toward the account (up for a net long, down for a net
 * short) and kept within [1, maxPriceTicks]; with no net quantity, the mark.
 */
export function bankruptcyTick(unit: RiskUnit, symbol: SymbolState): number {
  const inputs = inputsFor(unit, symbol);
  const net = netQty(inputs.legs);
  const max = symbol.config.spec.maxPriceTicks;
  const point = bankruptcyPoint(inputs);
  let tick: bigint;
  if (net === 0n) tick = BigInt(symbol.markPrice!);
  else if (point === null) tick = net > 0n ? 1n : BigInt(max);
  else tick = net > 0n ? ceilOf(point) : floorOf(point);
  return Number(tick < 1n ? 1n : tick > BigInt(max) ? BigInt(max) : tick);
}

/**
 * Sets the legs' status. Going to LIQUIDATING it rides on the next step (the liquidation or ADL
 * order that takes the closing capacity); back to NORMAL it is a step of its own.
 */
function setStatus(core: Core, legs: readonly Position[], status: Position['status']): void {
  for (const leg of legs) {
    leg.status = status;
    core.emitter.touchPosition(leg);
  }
  if (status === 'NORMAL') core.emitter.endStep();
}

/**
 * Liquidates the unit: cancels its orders (isolated: the account's orders on the symbol; cross:
 * on every cross symbol of the asset), then per symbol — the tick's first, then the others by name
 * while the unit stays liquidatable — a tiered partial liquidation if it restores the margin, else
 * a full one.
 */
function liquidate(core: Core, unit: RiskUnit, tickSymbol: SymbolState): void {
  const previous = core.emitter.currentReason;
  core.emitter.setReason('LIQUIDATION');
  const account = unit.account;
  if (unit.position !== null) {
    const symbol = unit.position.symbol;
    cancelOrders(core, account, (p) => p.symbol === symbol, 'LIQUIDATION');
  } else {
    cancelOrders(core, account, (p) => p.settings.marginMode === 'CROSSED' && p.symbol.config.settleAsset === unit.asset, 'LIQUIDATION');
  }
  for (let first = true; ; first = false) {
    const positions = unitPositions(unit);
    if (positions.length === 0 || (!first && !isLiquidatable(unitState(unit)))) break;
    const held = inNoticeOrder(positions);
    const symbol = held.some((p) => p.symbol === tickSymbol) ? tickSymbol : held[0]!.symbol;
    const legs = held.filter((p) => p.symbol === symbol);
    setStatus(core, legs, 'LIQUIDATING');
    const partial = partialLiquidation(core, unit, symbol, legs);
    if (partial !== null) {
      const restored = !isLiquidatable(unitState(unit));
      if (restored) setStatus(core, legs, 'NORMAL');
      sendNotice(core, partial.leg, 'PARTIAL', partial.direction, partial.qty);
      if (restored) break;
    }
    const directions = legs.map(directionOf);
    const sizes = legs.map((p) => Math.abs(p.qty));
    fullLiquidation(core, unit, symbol, legs);
    setStatus(core, legs, 'NORMAL');
    legs.forEach((leg, i) => {
      if (sizes[i]! > 0) sendNotice(core, leg, 'LIQUIDATION', directions[i]!, sizes[i]!);
    });
  }
  core.emitter.setReason(previous);
}

/**
 * Tiered partial liquidation: if a leg's notional at the mark is above tier 1, the largest size in
 * a lower tier (tier by tier downward) whose maintenance the unit's equity then exceeds — assuming
 * the reduction closes at the mark — is kept, and the rest closed through the book by a liquidation
 * order no worse than the bankruptcy price. Null when no lower tier restores the margin or nothing
 * filled.
 */
function partialLiquidation(core: Core, unit: RiskUnit, symbol: SymbolState, legs: readonly Position[]): { leg: Position; qty: number; direction: 'LONG' | 'SHORT' } | null {
  const mark = symbol.markPrice!;
  const { config } = symbol;
  const { tiers } = config;
  // The value of one contract at the mark, n / d amount units (inverse: C / mark).
  const perN = config.inverse ? config.inverseValue : BigInt(mark) * config.valuePerTickContract;
  const perD = config.inverse ? BigInt(mark) : 1n;
  let best: Position | null = null;
  let bestTier = 0;
  let bestMm = 0n;
  for (const leg of legs) {
    const tier = tierIndex(tiers, notional(config, Math.abs(leg.qty), mark));
    const mm = valuationOf(leg).maintenanceMargin;
    if (best === null || tier > bestTier || (tier === bestTier && mm > bestMm)) {
      best = leg;
      bestTier = tier;
      bestMm = mm;
    }
  }
  if (best === null || bestTier === 0) return null;
  const state = unitState(unit);
  const size = BigInt(Math.abs(best.qty));
  for (let t = bestTier - 1; t >= 0; t--) {
    // The most contracts whose notional stays below the next tier's floor (a whole number: floor(v) < F ⇔ v < F).
    const keep = ceilDiv(tiers[t + 1]!.floor * perD, perN) - 1n;
    if (keep <= 0n || keep >= size) continue;
    const mmKeep = maintenanceMargin(tiers, notional(config, Number(keep), mark));
    const restores = unit.position !== null
      ? floorDiv(state.equity * keep, size) > mmKeep
      : state.equity > state.maintenance - bestMm + mmKeep;
    if (!restores) continue;
    const direction = directionOf(best);
    const price = bankruptcyTick(unit, symbol);
    const order = riskOrder(core, best, Number(size - keep), price, 'LIQUIDATION');
    core.emitter.order(order, 'NEW');
    core.emitter.endStep();
    const from = publicMark(core);
    takeThenRestOrExpire(core, order, price);
    publishLiquidation(core, order, price, from);
    return order.filled > 0 ? { leg: best, qty: order.filled, direction } : null;
  }
  return null;
}

/**
 * Full liquidation of the legs, one after the other (BOTH, LONG, SHORT): the position is taken over
 * at the bankruptcy price. A liquidation order closes what the book takes within the price band and
 * within what the insurance fund can pay for; the difference to the bankruptcy price (surplus or
 * shortfall) moves between the account and the fund; the rest is auto-deleveraged.
 */
function fullLiquidation(core: Core, unit: RiskUnit, symbol: SymbolState, legs: readonly Position[]): void {
  const { config } = symbol;
  const k = config.valuePerTickContract;
  for (const leg of legs) {
    if (leg.qty === 0) continue;
    const price = bankruptcyTick(unit, symbol);
    const selling = closingSide(leg) === 'SELL';
    // The orders that take the leg over (book, then ADL), and the entry cost they will release.
    const takeover: Order[] = [];
    const entryBefore = leg.entryCost;
    const band = bandLimit(symbol.config, symbol.markPrice!, !selling);
    const { qty, worst } = affordable(core, leg, price, band);
    if (qty > 0) {
      const order = riskOrder(core, leg, qty, worst, 'LIQUIDATION');
      core.emitter.order(order, 'NEW');
      core.emitter.endStep();
      const from = publicMark(core);
      takeThenRestOrExpire(core, order, worst);
      publishLiquidation(core, order, price, from);
      invariant(order.filled === qty, `liquidation order ${order.id} filled ${order.filled} of the ${qty} the book offered`);
      takeover.push(order);
      // What the fills gave beyond (or short of) closing at the bankruptcy price. Inverse: a sale at a
      // higher price costs less coin, so the sign turns.
      const atBankruptcy = costOf(config, order.filled, price);
      // (Inverse costs are in 10^-16 units: the surplus is rounded down to amount units, a transfer
      // between the account and the fund that any whole amount keeps exact.)
      const surplus = config.inverse
        ? floorDiv(selling ? atBankruptcy - order.cumCost : order.cumCost - atBankruptcy, INVERSE_COST_SCALE)
        : k * (selling ? order.cumCost - atBankruptcy : atBankruptcy - order.cumCost);
      settleClearance(core, leg.account, symbol.config.settleAsset, surplus);
    }
    if (leg.qty !== 0) takeover.push(autoDeleverage(core, leg, Math.abs(leg.qty), price));
    roundRiskCloseOnce(core, takeover, entryBefore - leg.entryCost);
  }
}

/**
 * How much of the leg the book can take right now, best price first and no further than `band`,
 * such that the insurance fund plus the surplus of the better fills covers the shortfall of the
 * worse ones; and the worst price that uses. Stops at an order of the same account.
 */
function affordable(core: Core, leg: Position, bankruptcy: number, band: number): { qty: number; worst: number } {
  const selling = leg.qty > 0;
  const { config } = leg.symbol;
  const k = config.valuePerTickContract;
  const book = leg.symbol.book;
  const opposite = selling ? book.bids : book.asks;
  const want = Math.abs(leg.qty);
  let net = core.risk.fund(config.settleAsset);
  // Inverse fills are valued in 1e-16 coin (margin.ts) and the clearance is rounded down to 1e-8
  // once: it may fall short of the exact per-contract figures below by up to one unit, so a shortfall
  // may use all of the fund but that unit.
  const slack = config.inverse ? 1n : 0n;
  let filled = 0;
  let worst = 0;
  outer: for (const level of opposite.levelsBestFirst()) {
    const p = level.price;
    if (selling ? p < band : p > band) break;
    // Surplus per contract, perN / perD amount units; inverse C/B − C/p for a sale (C/p − C/B for a buy).
    const perN = config.inverse
      ? config.inverseValue * BigInt(selling ? p - bankruptcy : bankruptcy - p)
      : k * BigInt(selling ? p - bankruptcy : bankruptcy - p);
    const perD = config.inverse ? BigInt(p) * BigInt(bankruptcy) : 1n;
    for (let maker = level.head; maker !== null; maker = maker.next) {
      if (maker.account === leg.account) break outer;
      let take = Math.min(remaining(maker), want - filled);
      if (perN < 0n) {
        const room = net - slack;
        const cap = room > 0n ? (room * perD) / -perN : 0n;
        if (BigInt(take) > cap) take = Number(cap);
      }
      if (take <= 0) break outer;
      net += floorDiv(BigInt(take) * perN, perD);
      filled += take;
      worst = p;
      if (filled === want) break outer;
    }
  }
  return { qty: filled, worst };
}
