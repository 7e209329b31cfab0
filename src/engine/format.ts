/**
 * Decimal strings for the wire, from the engine's integers: prices from ticks, quantities from
 * contracts, amounts from 10^-8 units. Shared by every dialect encoder.
 */
import { AMOUNT_DECIMALS, formatRatio, formatScaled, parseScaled } from './fixed.js';
import { INVERSE_COST_SCALE } from './margin.js';
import type { SymbolConfig } from './symbol.js';

/** A price in ticks as a decimal string with the symbol's price precision ("60010.0" → "60010"). */
export function formatPrice(config: SymbolConfig, ticks: number): string {
  return formatScaled(BigInt(ticks) * config.tickUnits, config.priceDecimals, 0);
}

/**
 * An average price (`cost` ticks × contracts over `qty` contracts), rounded half up to
 * `extraDecimals` more places than the tick; "0" for no quantity.
 */
export function formatAveragePrice(config: SymbolConfig, cost: bigint, qty: number, extraDecimals = 4): string {
  if (qty === 0) return '0';
  const decimals = config.priceDecimals + extraDecimals;
  return formatRatio(cost * config.tickUnits, BigInt(qty) * 10n ** BigInt(config.priceDecimals), decimals);
}

/**
 * A position's entry price from its entry cost, or an order's average fill price from its cumCost
 * (margin.ts costs): linear the mean cost / qty; inverse the
 * harmonic mean qty × C × S / cost (C = inverseValue, S = INVERSE_COST_SCALE), as the coin-margined exchanges show it.
 */
export function formatEntryPrice(config: SymbolConfig, entryCost: bigint, qty: number, extraDecimals = 4): string {
  if (!config.inverse) return formatAveragePrice(config, entryCost, qty, extraDecimals);
  if (qty === 0 || entryCost === 0n) return '0';
  const decimals = config.priceDecimals + extraDecimals;
  return formatRatio(BigInt(qty) * config.inverseValue * INVERSE_COST_SCALE * config.tickUnits, entryCost * 10n ** BigInt(config.priceDecimals), decimals);
}

/** Contracts as a base-asset quantity (Binance and Bybit speak in base units). */
export function formatBaseQty(config: SymbolConfig, contracts: number): string {
  return formatRatio(BigInt(contracts) * config.valuePerTickContract, config.tickUnits * 10n ** BigInt(AMOUNT_DECIMALS - config.priceDecimals), 8);
}

/** A decimal price string as ticks; undefined if it is not a positive multiple of the tick. */
export function parsePrice(config: SymbolConfig, text: string): number | undefined {
  let units: bigint;
  try {
    units = parseScaled(text, config.priceDecimals);
  } catch {
    return undefined;
  }
  if (units <= 0n || units % config.tickUnits !== 0n) return undefined;
  const ticks = units / config.tickUnits;
  return ticks <= BigInt(config.spec.maxPriceTicks) ? Number(ticks) : undefined;
}
