/**
 * Margin, fee and PnL formulas (docs/engine-rules.md, "Formulas"). Pure functions of integers.
 */
import { RATE_SCALE, ceilDiv, floorDiv } from './fixed.js';
import { maintenanceMargin, type SymbolConfig } from './symbol.js';

/*
 * Costs. A position's `entryCost` and an order's `openCost` are sums of fill costs:
 * - linear: qty × price (ticks × contracts), worth cost × K amount units;
 * - inverse: the coin value floor(qty × inverseValue × S / price) in cost units of 10^-8 amount
 *   units (S = INVERSE_COST_SCALE, so 10^-16 coin): rounded once per fill, down, the same number for
 *   both sides of the trade. The finer unit keeps the harmonic (contract-weighted) entry price,
 *   qty × inverseValue × S / entryCost, exact to far below a tick even for a 1 USD contract (seed
 *   004 shows KuCoin's XBT values to 10 decimals). Money moves in amount units: a realized PnL is
 *   rounded down from cost units and the rest is the exchange's rounding dust (Core.roundingDust).
 */
export const INVERSE_COST_SCALE = 100_000_000n;

/** The cost of `qty` contracts at `price` ticks (see above). */
export function costOf(config: SymbolConfig, qty: number, price: number): bigint {
  if (config.inverse) return qty === 0 ? 0n : (BigInt(qty) * config.inverseValue * INVERSE_COST_SCALE) / BigInt(price);
  return BigInt(qty) * BigInt(price);
}

/** The value in amount units of a cost (inverse: rounded down). */
export function valueOfCost(config: SymbolConfig, cost: bigint): bigint {
  return config.inverse ? cost / INVERSE_COST_SCALE : cost * config.valuePerTickContract;
}

/** A cost in the unit the books are audited in: amount units × INVERSE_COST_SCALE for every asset. */
export function fineValueOfCost(config: SymbolConfig, cost: bigint): bigint {
  return config.inverse ? cost : cost * config.valuePerTickContract * INVERSE_COST_SCALE;
}

/**
 * What a position's cost counts for in Σ wallets (docs/engine-rules.md, "Invariants"): the value a
 * long paid (linear) or, inverse, the coin a long is owed at entry (so the sign turns: KuCoin's posCost
 * of a long is negative).
 */
export function signedPositionValue(config: SymbolConfig, qty: number, cost: bigint): bigint {
  const sign = BigInt(Math.sign(qty));
  return config.inverse ? -sign * cost : sign * fineValueOfCost(config, cost);
}

/** Value in amount units of `qty` contracts at `price` ticks. */
export function notional(config: SymbolConfig, qty: number, price: number): bigint {
  if (config.inverse) return (BigInt(qty) * config.inverseValue) / BigInt(price);
  return BigInt(qty) * BigInt(price) * config.valuePerTickContract;
}

/** Margin one opening contract freezes at `price`: initial margin plus the taker fee it could pay. */
export function frozenPerContract(config: SymbolConfig, price: number, leverage: number): bigint {
  if (config.inverse) {
    // Exact coin value C / p, each part rounded up once.
    const p = BigInt(price);
    return ceilDiv(config.inverseValue, p * BigInt(leverage)) + ceilDiv(config.inverseValue * config.takerFeeRate, p * RATE_SCALE);
  }
  const value = BigInt(price) * config.valuePerTickContract;
  return ceilDiv(value, BigInt(leverage)) + ceilDiv(value * config.takerFeeRate, RATE_SCALE);
}

export function orderFrozen(config: SymbolConfig, openQty: number, price: number, leverage: number): bigint {
  return openQty === 0 ? 0n : BigInt(openQty) * frozenPerContract(config, price, leverage);
}

export function fee(config: SymbolConfig, qty: number, price: number, isMaker: boolean): bigint {
  const rate = isMaker ? config.makerFeeRate : config.takerFeeRate;
  // Inverse: the exact coin value qty × C / p times the rate, rounded up once.
  if (config.inverse) return ceilDiv(BigInt(qty) * config.inverseValue * rate, BigInt(price) * RATE_SCALE);
  return ceilDiv(notional(config, qty, price) * rate, RATE_SCALE);
}

/** Initial margin of an entry cost at a leverage (value / leverage, rounded up once). */
export function initialMargin(config: SymbolConfig, entryCost: bigint, leverage: number): bigint {
  if (config.inverse) return ceilDiv(entryCost, INVERSE_COST_SCALE * BigInt(leverage));
  return ceilDiv(entryCost * config.valuePerTickContract, BigInt(leverage));
}

/** The part of `whole` that belongs to `part` of `total` contracts, rounded down; all of it for the last contract. */
export function proRata(whole: bigint, part: number, total: number): bigint {
  return part === total ? whole : floorDiv(whole * BigInt(part), BigInt(total));
}

/**
 * PnL of closing a long (bought) or short (sold) position part whose entry cost was `costReleased`,
 * at an exit cost `exitCost` (costOf the closing contracts at the exit price). Linear: a long gains
 * (exit − entry) × K. Inverse: a long gains entry coin − exit coin = qty × C × (1/entry − 1/exit).
 */
export function closePnlOfCost(config: SymbolConfig, isLong: boolean, exitCost: bigint, costReleased: bigint): bigint {
  if (config.inverse) return floorDiv(inversePnlCost(isLong, exitCost, costReleased), INVERSE_COST_SCALE);
  return (isLong ? exitCost - costReleased : costReleased - exitCost) * config.valuePerTickContract;
}

/** Inverse: the exact PnL in cost units (closePnlOfCost rounds it down to amount units). */
export function inversePnlCost(isLong: boolean, exitCost: bigint, costReleased: bigint): bigint {
  return isLong ? costReleased - exitCost : exitCost - costReleased;
}

/** PnL of closing `qty` contracts bought (long) or sold (short) for `costReleased`, at `price`. */
export function closePnl(config: SymbolConfig, isLong: boolean, qty: number, price: number, costReleased: bigint): bigint {
  return closePnlOfCost(config, isLong, costOf(config, qty, price), costReleased);
}

export function unrealizedPnl(config: SymbolConfig, qty: number, entryCost: bigint, mark: number | null): bigint {
  if (mark === null || qty === 0) return 0n;
  return closePnl(config, qty > 0, Math.abs(qty), mark, entryCost);
}

export function positionMaintenance(config: SymbolConfig, qty: number, mark: number | null): bigint {
  if (mark === null || qty === 0) return 0n;
  return maintenanceMargin(config.tiers, notional(config, Math.abs(qty), mark));
}

/** The band around the last reference price each symbol was asked about (the reference moves far less often than orders come). */
const bands = new WeakMap<SymbolConfig, { reference: number; buy: number; sell: number }>();

/** Highest price a buy may have / lowest a sell may have around a reference price (rules: price band). */
export function bandLimit(config: SymbolConfig, reference: number, isBuy: boolean): number {
  let band = bands.get(config);
  if (band === undefined || band.reference !== reference) {
    band = { reference, buy: bandEdge(config, reference, true), sell: bandEdge(config, reference, false) };
    bands.set(config, band);
  }
  return isBuy ? band.buy : band.sell;
}

function bandEdge(config: SymbolConfig, reference: number, isBuy: boolean): number {
  const ref = BigInt(reference);
  if (isBuy) return Number((ref * (RATE_SCALE + config.priceBandRate)) / RATE_SCALE);
  const low = Number(ceilDiv(ref * (RATE_SCALE - config.priceBandRate), RATE_SCALE));
  return Math.max(1, low);
}
