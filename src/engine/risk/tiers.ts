/**
 * Risk tiers as limits (docs/engine-rules.md, "Risk: tiers and leverage"). The maintenance side of
 * the tiers (MM = notional × MMR − cum) lives in symbol.ts; here: which tier a position and its open
 * orders reach, the risk-limit level in force, and the leverage that level allows.
 *
 * Exposure is valued at entry and order prices, never at the mark, so a mark tick can neither refuse
 * nor change anything here: the level moves only when the position, its orders or the chosen level do.
 */
import type { Tier } from '../symbol.js';
import { costOf, valueOfCost } from '../margin.js';
import type { Order, Position } from '../state.js';

/** 0-based index of the tier a notional falls in (the last tier whose floor it reaches). */
export function tierIndex(tiers: readonly Tier[], notional: bigint): number {
  let found = 0;
  for (let i = 1; i < tiers.length; i++) {
    if (notional >= tiers[i]!.floor) found = i;
    else break;
  }
  return found;
}

/** Notional ceiling of a tier: the next tier's floor; 0 (no ceiling) for the last tier. */
export function tierCeiling(tiers: readonly Tier[], index: number): bigint {
  return tiers[index + 1]?.floor ?? 0n;
}

/** A hypothetical change of one order: its open part `openQty` at `price` on `side` (for checks before it happens). */
export interface OrderChange {
  side: Order['side'];
  openQty: number;
  price: number;
  /** The order being replaced (an amendment), whose current contribution is left out. */
  replaces?: Order;
}

/**
 * What the position and its orders reach, in amount units: the larger of the long direction
 * (a long position's entry value plus the open part of its buy orders) and the short direction.
 * Orders count at the price their margin is frozen at.
 */
export function exposure(position: Position, change?: OrderChange): bigint {
  // The open costs are kept in step by positions.ts (O(1) here, however many orders rest).
  let long = (position.qty > 0 ? position.entryCost : 0n) + position.openBuyCost;
  let short = (position.qty < 0 ? position.entryCost : 0n) + position.openSellCost;
  const replaced = change?.replaces;
  if (replaced !== undefined) {
    if (replaced.side === 'BUY') long -= replaced.openCost;
    else short -= replaced.openCost;
  }
  if (change !== undefined && change.openQty > 0) {
    const added = costOf(position.symbol.config, change.openQty, change.price);
    if (change.side === 'BUY') long += added;
    else short += added;
  }
  return valueOfCost(position.symbol.config, long > short ? long : short);
}

/** 0-based level in force: the tier the exposure reaches, but never below the level the account chose. */
export function levelInForce(position: Position, change?: OrderChange): number {
  const tiers = position.symbol.config.tiers;
  return Math.max(position.settings.riskLimitLevel - 1, tierIndex(tiers, exposure(position, change)));
}

/** The highest leverage the position's level in force allows. */
export function maxLeverageOf(position: Position, change?: OrderChange): number {
  return position.symbol.config.tiers[levelInForce(position, change)]!.maxLeverage;
}

/** Why a change would exceed the leverage its tier allows, or null when it fits. */
export function leverageExcess(position: Position, leverage: number, change?: OrderChange): string | null {
  const level = levelInForce(position, change);
  const allowed = position.symbol.config.tiers[level]!.maxLeverage;
  if (leverage <= allowed) return null;
  return `leverage ${leverage} is above ${allowed}, the most risk level ${level + 1} allows (the position and its open orders reach it); lower the leverage or the size`;
}
