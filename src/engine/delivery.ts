/**
 * Delivery contracts (docs/engine-rules.md, "Delivery"): trading stops at the symbol's delivery
 * time; `settleDelivery` then expires its orders and conditional orders, closes every position at
 * the delivery price (the time-weighted mean of the index over the window before the delivery time,
 * from the index commands already journaled) with its realized PnL and the delivery fee, and marks
 * the symbol settled. Delivery symbols never pay funding (funding.ts refuses them).
 */
import type { Core } from './core.js';
import { RATE_SCALE, ceilDiv, floorDiv } from './fixed.js';
import { endConditional } from './conditional/lifecycle.js';
import { INVERSE_COST_SCALE, closePnlOfCost, costOf, inversePnlCost } from './margin.js';
import { ordersOf, finishOrder } from './positions.js';
import { openPositionsOf, type SymbolPricing } from './prices.js';
import { refuse } from './refuse.js';
import { roundHalfAway } from './rational.js';
import type { Position, SymbolState } from './state.js';
import type { CommandError, CommandResult, SettleDelivery } from './types.js';

/** A delivery symbol's index record and settlement (on its SymbolPricing; null for perpetuals). */
export interface DeliveryState {
  /** Σ index × ms over the part of the averaging window the index covered so far. */
  indexSum: bigint;
  /** Those ms. */
  indexMs: number;
  /** Engine time up to which the index is accounted for (the last index change or accrual). */
  accruedTo: number;
  /** The settlement, once done: delivery price (ticks) and time. */
  settled: { price: number; time: number } | null;
}

export const newDeliveryState = (): DeliveryState => ({ indexSum: 0n, indexMs: 0, accruedTo: 0, settled: null });

/**
 * Adds the current index's time in the window up to `now` (engine time) to the record. Called before
 * every index change and at settlement, so the record is the integral of the index's step function.
 */
export function accrueIndex(pricing: SymbolPricing, now: number): void {
  const record = pricing.delivery;
  const delivery = pricing.state.config.delivery;
  if (record === null || delivery === null) return;
  if (pricing.index !== null) {
    const from = Math.max(record.accruedTo, delivery.time - delivery.windowMs);
    const to = Math.min(now, delivery.time);
    if (to > from) {
      record.indexSum += BigInt(pricing.index) * BigInt(to - from);
      record.indexMs += to - from;
    }
  }
  if (now > record.accruedTo) record.accruedTo = now;
}

/**
 * Why `symbol` takes no new orders now, or null when it trades: a delivery symbol at or past its
 * delivery time (engine time), settled or not. One field test for perpetuals.
 */
export function tradingRefusal(core: Core, symbol: SymbolState): CommandError | null {
  const delivery = symbol.config.delivery;
  if (delivery === null || core.time < delivery.time) return null;
  const settled = core.pricing.get(symbol.config.symbol)!.delivery?.settled ?? null;
  // Engine time in ms since the epoch (the engine reads no clock and builds no Date).
  const when = `${delivery.time} ms`;
  return refuse('SYMBOL_NOT_TRADING', settled !== null
    ? `${symbol.config.symbol} was delivered at ${when} and is settled: it takes no more orders`
    : `${symbol.config.symbol} stopped trading at its delivery time ${when} and is being settled: it takes no more orders`);
}

/** The delivery price: the window's time-weighted mean index rounded to the tick (halves up); else the index, the mark, the last price. */
function deliveryPrice(pricing: SymbolPricing): number | null {
  const record = pricing.delivery!;
  if (record.indexMs > 0) return Number(roundHalfAway({ n: record.indexSum, d: BigInt(record.indexMs) }));
  return pricing.index ?? pricing.state.markPrice ?? pricing.state.lastPrice;
}

export function settleDelivery(core: Core, cmd: SettleDelivery): CommandResult {
  const pricing = core.pricing.get(cmd.symbol);
  if (pricing === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const { state } = pricing;
  const delivery = state.config.delivery;
  if (delivery === null || pricing.delivery === null) return refuse('INVALID_ARGUMENT', `${cmd.symbol} is a perpetual contract: it has no delivery`);
  if (pricing.delivery.settled !== null) return refuse('INVALID_ARGUMENT', `${cmd.symbol} is already settled`);
  if (core.time < delivery.time) {
    return refuse('INVALID_ARGUMENT', `${cmd.symbol} delivers at ${delivery.time} ms, after the engine time ${core.time} ms`);
  }
  // Settlement reads the record without changing it unless it goes ahead.
  const probe = { ...pricing, delivery: { ...pricing.delivery } };
  accrueIndex(probe, core.time);
  const price = deliveryPrice(probe);
  const positions = openPositionsOf(state);
  if (price === null && positions.length > 0) {
    return refuse('INVALID_ARGUMENT', `${cmd.symbol} has open positions but no index, mark or trade price to deliver them at`);
  }
  pricing.delivery = probe.delivery;

  expireConditionals(core, state);
  expireOrders(core, state);
  if (price !== null) closePositions(core, state, positions, price, delivery.time, delivery.feeRate);
  pricing.delivery.settled = { price: price ?? 0, time: delivery.time };
  return { ok: true, kind: 'done' };
}

/** Waiting conditional orders of the symbol end EXPIRED (reason DELIVERY), by account, then id; one step. */
function expireConditionals(core: Core, state: SymbolState): void {
  const accounts = [...core.accounts.values()].sort((a, b) => a.id - b.id);
  let any = false;
  for (const account of accounts) {
    for (const c of [...account.conditionals.values()].sort((a, b) => a.id - b.id)) {
      if (c.symbol !== state) continue;
      endConditional(core, c, 'EXPIRED', 'DELIVERY');
      any = true;
    }
  }
  if (any) core.emitter.endStep();
}

/** Live orders of the symbol end EXPIRED (reason DELIVERY), by account, then priority; one step each, like cancelAll. */
function expireOrders(core: Core, state: SymbolState): void {
  const accounts = [...core.accounts.values()].sort((a, b) => a.id - b.id);
  for (const account of accounts) {
    const orders = core.positionsOf(account, state.config.symbol).flatMap(ordersOf).sort((a, b) => a.priority - b.priority);
    for (const order of orders) {
      finishOrder(core, order, 'EXPIRED', 'DELIVERY');
      core.emitter.order(order, 'EXPIRED');
      core.emitter.endStep();
    }
  }
}

/**
 * Every open position closes at the delivery price: PnL as a close (margin.ts), margin released,
 * the delivery fee charged like a taker fee at that price. One step per account: its delivery
 * events, then its position and balance events.
 *
 * Inverse exit values are rounded against each side (a long's up, a short's down), so the longs'
 * total is at least the shorts': the difference, and each PnL's rounding, are rounding dust (margin.ts).
 */
function closePositions(core: Core, state: SymbolState, positions: readonly Position[], price: number, time: number, feeRate: bigint): void {
  const { config } = state;
  let imbalance = 0n;
  let step: { position: Position; qty: number; pnl: bigint; fee: bigint }[] = [];
  const flush = (): void => {
    for (const d of step) {
      core.emitter.delivery(d.position.account, {
        symbol: config.symbol, positionSide: d.position.side, deliveryTime: time, qty: d.qty, deliveryPrice: price, realizedPnl: d.pnl, fee: d.fee,
      });
    }
    if (step.length > 0) core.emitter.endStep();
    step = [];
  };
  for (const position of positions) {
    if (step.length > 0 && step[0]!.position.account !== position.account) flush();
    const qty = position.qty;
    const size = Math.abs(qty);
    const isLong = qty > 0;
    let exitCost = costOf(config, size, price);
    let pnl: bigint;
    if (config.inverse) {
      // costOf rounds down; a long's exit value is rounded up instead.
      if (isLong && (BigInt(size) * config.inverseValue * INVERSE_COST_SCALE) % BigInt(price) !== 0n) exitCost += 1n;
      imbalance += isLong ? exitCost : -exitCost;
      const fine = inversePnlCost(isLong, exitCost, position.entryCost);
      pnl = floorDiv(fine, INVERSE_COST_SCALE);
      core.addDust(config.settleAsset, fine - pnl * INVERSE_COST_SCALE);
    } else {
      pnl = closePnlOfCost(config, isLong, exitCost, position.entryCost);
    }
    const fee = feeRate === 0n ? 0n : config.inverse
      ? ceilDiv(BigInt(size) * config.inverseValue * feeRate, BigInt(price) * RATE_SCALE)
      : ceilDiv(BigInt(size) * BigInt(price) * config.valuePerTickContract * feeRate, RATE_SCALE);
    closeAt(core, position, pnl, fee);
    step.push({ position, qty, pnl, fee });
  }
  flush();
  if (imbalance !== 0n) core.addDust(config.settleAsset, imbalance);
}

function closeAt(core: Core, position: Position, pnl: bigint, fee: bigint): void {
  const { config } = position.symbol;
  const wallet = core.wallet(position.account, config.settleAsset);
  if (position.settings.marginMode === 'ISOLATED') wallet.isolatedMargin -= position.margin;
  else wallet.crossedMargin -= position.margin;
  if (position.qty > 0) position.symbol.openInterest -= position.qty;
  position.margin = 0n;
  position.entryCost = 0n;
  position.qty = 0;
  wallet.balance += pnl - fee;
  core.addFee(config.settleAsset, fee);
  position.realizedPnlTotal += pnl;
  position.realizedPnlCurrent += pnl - fee;
  position.feesTotal += fee;
  position.feesCurrent += fee;
  position.updateTime = core.time;
  if (position.legs !== null) core.conditionals.moved.add(position);
  core.emitter.touchPosition(position);
  core.emitter.touchWallet(wallet);
}
