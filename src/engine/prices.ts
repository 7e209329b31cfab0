/**
 * Index, mark and premium per symbol (risk.md §5.5): the index price command, the price tick that
 * samples the basis and the premium index on their slots and recomputes the mark, and the paced
 * mark-price position events. Every mark change goes through the engine's setMarkPrice, which
 * calls `markChanged` here. Rules: docs/engine-rules.md, "Prices".
 */
import { accrueIndex, newDeliveryState, type DeliveryState } from './delivery.js';
import { invariant } from './assert.js';
import type { Core } from './core.js';
import { RATE_SCALE } from './fixed.js';
import { averagePremium, fundingRate, impactPrice, impactPriceInverse, premiumIndex } from './premium.js';
import { buildPricingConfig, type MarkMethod, type PricingConfig } from './pricing-config.js';
import { median, roundHalfAway, whole, type Ratio } from './rational.js';
import { refuse } from './refuse.js';
import type { Position, SymbolState } from './state.js';
import type { CommandResult, SampleRisk, SetIndexPrice } from './types.js';
import { auditPacing, byAccountThenSide, markChanged } from './mark-pacing.js';

/** The engine's own setMarkPrice: the one path every mark change takes. */
export type MarkSetter = (symbol: string, price: number) => CommandResult;

export interface SymbolPricing {
  readonly state: SymbolState;
  readonly config: PricingConfig;
  /** Index price in ticks; null until the first setIndexPrice (then no mark is computed). */
  index: number | null;
  /** The last `basisWindow` basis samples, oldest first, in half ticks: bid1 + ask1 − 2 × index. */
  basis: number[];
  /** floor(time / basisSampleMs) of the last basis tick (one sample per slot). */
  basisSlot: number | null;
  /** Premium samples of the current funding interval, and Σ i × P_i over them (i from 1). */
  premiumCount: number;
  premiumWeighted: bigint;
  /** floor(time / premiumSampleMs) of the last premium sample. */
  premiumSlot: number | null;
  /** The latest premium sample, 10^-8; null before the first. */
  lastPremium: bigint | null;
  /** Rate of the last settlement (10^-8), 0 before the first. */
  lastFundingRate: bigint;
  /** Funding time of the last settlement, null before the first. */
  lastFundingTime: number | null;
  /** DELIVERY symbols: the index over the delivery window and the settlement (delivery.ts); null for perpetuals. */
  delivery: DeliveryState | null;
}

export function newSymbolPricing(state: SymbolState): SymbolPricing {
  return {
    state, config: buildPricingConfig(state.config), index: null, basis: [], basisSlot: null, premiumCount: 0,
    premiumWeighted: 0n, premiumSlot: null, lastPremium: null, lastFundingRate: 0n, lastFundingTime: null,
    delivery: state.config.delivery === null ? null : newDeliveryState(),
  };
}

const DONE: CommandResult = { ok: true, kind: 'done' };

function pricingOf(core: Core, symbol: string): SymbolPricing | undefined {
  return core.pricing.get(symbol);
}

/** The first funding time strictly after `after` on the symbol's grid (k × interval + offset). */
export function fundingTimeAfter(config: PricingConfig, after: number): number {
  const { fundingIntervalMs: interval, fundingOffsetMs: offset } = config;
  return (Math.floor((after - offset) / interval) + 1) * interval + offset;
}

/** The next scheduled settlement: the grid time after the last one, or after `now` before any. */
export function nextFundingTime(pricing: SymbolPricing, now: number): number {
  return fundingTimeAfter(pricing.config, pricing.lastFundingTime ?? now);
}

/** The rate a settlement would use now: from the interval's premium samples. */
export function predictedFundingRate(pricing: SymbolPricing): bigint {
  return fundingRate(averagePremium(pricing.premiumCount, pricing.premiumWeighted), pricing.config);
}

// ---------------------------------------------------------------------------------------------
// The mark

/** P1 = Index × (1 + lastFundingRate × timeUntilFunding / fundingInterval), exact. */
export function fundingBasisPrice(pricing: SymbolPricing, index: number, time: number): Ratio {
  const interval = pricing.config.fundingIntervalMs;
  const until = Math.min(interval, Math.max(0, nextFundingTime(pricing, time) - time));
  const scale = RATE_SCALE * BigInt(interval);
  return { n: BigInt(index) * (scale + pricing.lastFundingRate * BigInt(until)), d: scale };
}

/** P2 = Index + the moving average of the basis samples (Index itself before the first sample). */
export function movingBasisPrice(pricing: SymbolPricing, index: number): Ratio {
  const count = pricing.basis.length;
  if (count === 0) return whole(index);
  let halfTicks = 0;
  for (const sample of pricing.basis) halfTicks += sample;
  return { n: BigInt(index) * BigInt(2 * count) + BigInt(halfTicks), d: BigInt(2 * count) };
}

/**
 * The computed mark in ticks, or null without an index: INDEX → the index; MEDIAN → median(P1, P2,
 * last trade price) (the mean of P1 and P2 when there is no trade yet), rounded to the nearest tick,
 * halves up, within [1, maxPriceTicks].
 */
export function computeMark(pricing: SymbolPricing, time: number): number | null {
  const index = pricing.index;
  if (index === null) return null;
  if (pricing.config.markMethod === 'INDEX') return index;
  const candidates = [fundingBasisPrice(pricing, index, time), movingBasisPrice(pricing, index)];
  const last = pricing.state.lastPrice;
  if (last !== null) candidates.push(whole(last));
  const ticks = roundHalfAway(median(candidates));
  const max = BigInt(pricing.state.config.spec.maxPriceTicks);
  return Number(ticks < 1n ? 1n : ticks > max ? max : ticks);
}

/** Sets the mark to the computed one when it differs; otherwise lets paced mark events catch up. */
function refreshMark(core: Core, pricing: SymbolPricing, setMark: MarkSetter): void {
  const mark = computeMark(pricing, core.time);
  if (mark === null) return;
  if (mark !== pricing.state.markPrice) {
    const result = setMark(pricing.state.config.symbol, mark);
    invariant(result.ok, () => `computed mark ${mark} refused`);
  } else {
    markChanged(core, pricing.state);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

export function setIndexPrice(core: Core, cmd: SetIndexPrice, setMark: MarkSetter): CommandResult {
  const pricing = pricingOf(core, cmd.symbol);
  if (pricing === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const max = pricing.state.config.spec.maxPriceTicks;
  if (!Number.isInteger(cmd.price) || cmd.price < 1 || cmd.price > max) {
    return refuse('INVALID_ARGUMENT', `index price must be a whole number of ticks from 1 to ${max}`);
  }
  // A delivery symbol's window averages the index as it stood over time: account for the old one first.
  if (pricing.delivery !== null) accrueIndex(pricing, core.time);
  pricing.index = cmd.price;
  refreshMark(core, pricing, setMark);
  return DONE;
}

export function sampleRisk(core: Core, cmd: SampleRisk, setMark: MarkSetter): CommandResult {
  let targets: SymbolPricing[];
  if (cmd.symbol === undefined) targets = [...core.pricing.values()];
  else {
    const pricing = pricingOf(core, cmd.symbol);
    if (pricing === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
    targets = [pricing];
  }
  for (const pricing of targets) {
    if (pricing.index === null) continue;
    sampleBasis(pricing, core.time);
    samplePremium(pricing, core.time);
    refreshMark(core, pricing, setMark);
  }
  return DONE;
}

/** One basis sample per basis slot, when both sides of the book have a best price. */
function sampleBasis(pricing: SymbolPricing, time: number): void {
  const slot = Math.floor(time / pricing.config.basisSampleMs);
  if (slot === pricing.basisSlot) return;
  pricing.basisSlot = slot;
  const bid = pricing.state.book.bids.best();
  const ask = pricing.state.book.asks.best();
  if (bid === undefined || ask === undefined) return;
  pricing.basis.push(bid.price + ask.price - 2 * pricing.index!);
  if (pricing.basis.length > pricing.config.basisWindow) pricing.basis.shift();
}

/** One premium sample per premium slot: impact bid and ask walked over the engine's own book. */
function samplePremium(pricing: SymbolPricing, time: number): void {
  const slot = Math.floor(time / pricing.config.premiumSampleMs);
  if (slot === pricing.premiumSlot) return;
  pricing.premiumSlot = slot;
  const { book, config } = pricing.state;
  const notional = pricing.config.impactMarginNotional;
  const impactBid = config.inverse
    ? impactPriceInverse(book.bids.levelsBestFirst(), notional, config.inverseValue)
    : impactPrice(book.bids.levelsBestFirst(), notional, config.valuePerTickContract);
  const impactAsk = config.inverse
    ? impactPriceInverse(book.asks.levelsBestFirst(), notional, config.inverseValue)
    : impactPrice(book.asks.levelsBestFirst(), notional, config.valuePerTickContract);
  const premium = premiumIndex(pricing.index!, impactBid, impactAsk);
  pricing.premiumCount += 1;
  pricing.premiumWeighted += BigInt(pricing.premiumCount) * premium;
  pricing.lastPremium = premium;
}

// ---------------------------------------------------------------------------------------------
// Mark-price position events

export { byAccountThenSide, markChanged } from './mark-pacing.js';

/** The symbol's open positions, sorted by account id then side (funding pays them in this order). */
export function openPositionsOf(state: SymbolState): Position[] {
  return [...state.openPositions].sort(byAccountThenSide);
}

// ---------------------------------------------------------------------------------------------
// Reads, persistence, view, audit

export interface PriceInfo {
  symbol: string;
  markMethod: MarkMethod;
  indexPrice: number | null;
  markPrice: number | null;
  lastPrice: number | null;
  /** The latest premium-index sample (10^-8), null before the first. */
  premiumIndex: bigint | null;
  premiumSamples: number;
  /** P̄ of the interval so far (10^-8). */
  averagePremium: bigint;
  predictedFundingRate: bigint;
  lastFundingRate: bigint;
  lastFundingTime: number | null;
  nextFundingTime: number;
  fundingIntervalMs: number;
  /** Open interest: Σ contracts of the long positions. */
  openInterest: number;
  /** DELIVERY symbols (null for perpetuals): the delivery time, and the delivery price once settled (ticks). */
  delivery: { time: number; settledPrice: number | null } | null;
}

export function priceInfo(pricing: SymbolPricing, now: number): PriceInfo {
  return {
    symbol: pricing.state.config.symbol,
    markMethod: pricing.config.markMethod,
    indexPrice: pricing.index,
    markPrice: pricing.state.markPrice,
    lastPrice: pricing.state.lastPrice,
    premiumIndex: pricing.lastPremium,
    premiumSamples: pricing.premiumCount,
    averagePremium: averagePremium(pricing.premiumCount, pricing.premiumWeighted),
    predictedFundingRate: predictedFundingRate(pricing),
    lastFundingRate: pricing.lastFundingRate,
    lastFundingTime: pricing.lastFundingTime,
    nextFundingTime: nextFundingTime(pricing, now),
    fundingIntervalMs: pricing.config.fundingIntervalMs,
    openInterest: pricing.state.openInterest,
    delivery: pricing.delivery === null ? null : { time: pricing.state.config.delivery!.time, settledPrice: pricing.delivery.settled?.price ?? null },
  };
}

/** The persisted (and viewed) price state of one symbol. */
export interface PricingRecord {
  symbol: string;
  indexPrice: number | null;
  basisSamples: number[];
  basisSlot: number | null;
  premiumSamples: number;
  premiumWeightedSum: bigint;
  premiumSlot: number | null;
  lastPremium: bigint | null;
  lastFundingRate: bigint;
  lastFundingTime: number | null;
  /** DELIVERY symbols only (absent for perpetuals, so their records and the view hash are unchanged). */
  delivery?: DeliveryState;
}

export function pricingRecord(pricing: SymbolPricing): PricingRecord {
  return {
    symbol: pricing.state.config.symbol, indexPrice: pricing.index, basisSamples: [...pricing.basis], basisSlot: pricing.basisSlot,
    premiumSamples: pricing.premiumCount, premiumWeightedSum: pricing.premiumWeighted, premiumSlot: pricing.premiumSlot,
    lastPremium: pricing.lastPremium, lastFundingRate: pricing.lastFundingRate, lastFundingTime: pricing.lastFundingTime,
    ...(pricing.delivery === null ? {} : { delivery: { ...pricing.delivery } }),
  };
}

/** Price state of every symbol, sorted by symbol (the canonical view and the snapshot). */
export function pricingRecords(core: Core): PricingRecord[] {
  return [...core.pricing.values()].map(pricingRecord).sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** Loads the price state (the open-position sets are rebuilt with the risk index: risk/liquidation-index.ts). */
export function restorePricing(core: Core, records: readonly PricingRecord[]): void {
  for (const r of records) {
    const pricing = core.pricing.get(r.symbol);
    invariant(pricing !== undefined, `the snapshot has prices of symbol ${r.symbol}, which is not configured`);
    Object.assign(pricing, {
      index: r.indexPrice, basis: [...r.basisSamples].slice(-pricing.config.basisWindow), basisSlot: r.basisSlot,
      premiumCount: r.premiumSamples, premiumWeighted: r.premiumWeightedSum, premiumSlot: r.premiumSlot, lastPremium: r.lastPremium,
      lastFundingRate: r.lastFundingRate, lastFundingTime: r.lastFundingTime,
      ...(pricing.delivery !== null && r.delivery !== undefined ? { delivery: { ...r.delivery } } : {}),
    });
  }
}

/** Every open position is in its symbol's set and paced; the sample window holds no more than its size. */
export function auditPricing(core: Core): void {
  for (const account of core.accounts.values()) {
    for (const position of account.positions.values()) {
      invariant(position.qty === 0 || position.symbol.openPositions.has(position),
        () => `account ${account.id} ${position.symbol.config.symbol} ${position.side}: open but not in the open-position set`);
    }
  }
  for (const state of core.symbols.values()) auditPacing(core, state);
  for (const pricing of core.pricing.values()) {
    invariant(pricing.basis.length <= pricing.config.basisWindow, `${pricing.state.config.symbol}: more basis samples than the window`);
    invariant(pricing.premiumCount >= 0 && (pricing.premiumCount > 0 || pricing.premiumWeighted === 0n),
      `${pricing.state.config.symbol}: premium samples out of step`);
    const { delivery } = pricing;
    invariant((delivery === null) === (pricing.state.config.delivery === null), `${pricing.state.config.symbol}: delivery record out of step with its contract type`);
    if (delivery !== null) {
      invariant(delivery.accruedTo <= core.time && delivery.indexMs <= pricing.state.config.delivery!.windowMs,
        `${pricing.state.config.symbol}: the delivery index record runs past the engine time or the window`);
      // Settled: nothing is left open or resting (delivery.ts closed and expired it all).
      invariant(delivery.settled === null || (pricing.state.openInterest === 0 && pricing.state.book.bids.levelsBestFirst()[Symbol.iterator]().next().done === true &&
        pricing.state.book.asks.levelsBestFirst()[Symbol.iterator]().next().done === true), `${pricing.state.config.symbol}: settled but still open`);
    }
  }
}
