/**
 * Margin, fee and PnL formulas (docs/engine-rules.md, "Formulas"). Pure functions of integers.
 */
import { RATE_SCALE, ceilDiv, floorDiv } from './fixed.js';
import { maintenanceMargin, type SymbolConfig } from './symbol.js';

/** Value in amount units of `qty` contracts at `price` ticks. */
export function notional(config: SymbolConfig, qty: number, price: number): bigint {
  return BigInt(qty) * BigInt(price) * config.valuePerTickContract;
}

/** Margin one opening contract freezes at `price`: initial margin plus the taker fee it could pay. */
export function frozenPerContract(config: SymbolConfig, price: number, leverage: number): bigint {
  const value = BigInt(price) * config.valuePerTickContract;
  return ceilDiv(value, BigInt(leverage)) + ceilDiv(value * config.takerFeeRate, RATE_SCALE);
}

export function orderFrozen(config: SymbolConfig, openQty: number, price: number, leverage: number): bigint {
  return openQty === 0 ? 0n : BigInt(openQty) * frozenPerContract(config, price, leverage);
}

export function fee(config: SymbolConfig, qty: number, price: number, isMaker: boolean): bigint {
  const rate = isMaker ? config.makerFeeRate : config.takerFeeRate;
  return ceilDiv(notional(config, qty, price) * rate, RATE_SCALE);
}

/** Initial margin of an entry cost (ticks × contracts) at a leverage. */
export function initialMargin(config: SymbolConfig, entryCost: bigint, leverage: number): bigint {
  return ceilDiv(entryCost * config.valuePerTickContract, BigInt(leverage));
}

/** The part of `whole` that belongs to `part` of `total` contracts, rounded down; all of it for the last contract. */
export function proRata(whole: bigint, part: number, total: number): bigint {
  return part === total ? whole : floorDiv(whole * BigInt(part), BigInt(total));
}

/** PnL of closing `qty` contracts bought (long) or sold (short) for `costReleased`, at `price`. */
export function closePnl(config: SymbolConfig, isLong: boolean, qty: number, price: number, costReleased: bigint): bigint {
  const exitValue = BigInt(qty) * BigInt(price);
  return (isLong ? exitValue - costReleased : costReleased - exitValue) * config.valuePerTickContract;
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
