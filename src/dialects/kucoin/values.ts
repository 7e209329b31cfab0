/**
 * The engine's integers as KuCoin values: JSON numbers (Num) where KuCoin sends numbers, decimal
 * strings where it sends strings. Everything is formatted from exact integers (fixed.ts, format.ts).
 */
import { formatAmount, formatRate, formatRatio, formatScaled } from '../../engine/fixed.js';
import { formatEntryPrice, formatPrice } from '../../engine/format.js';
import { costOf, INVERSE_COST_SCALE, valueOfCost } from '../../engine/margin.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import { Num } from './json.js';

/** Decimal places of ratios KuCoin shows as fractions (unrealisedPnlPcnt -0.0408, unrealisedRoePcnt -1.0189). */
export const PERCENT_DECIMALS = 4;
/** Decimal places of derived prices and leverages (seed 004 shows about ten: 69999.0900118298). */
export const DERIVED_DECIMALS = 10;

/** An amount (10⁻⁸ units of the settle asset) as a JSON number. */
export const amountNum = (units: bigint): Num => Num.of(formatAmount(units));
export const amountText = (units: bigint): string => formatAmount(units);

/** A rate (10⁻⁸) as a JSON number: fee rates, maintenance margin rates, the ADL quantile. */
export const rateNum = (units: bigint): Num => Num.of(formatRate(units));
export const rateText = (units: bigint): string => formatRate(units);

/** A price in ticks. */
export const priceNum = (config: SymbolConfig, ticks: number): Num => Num.of(formatPrice(config, ticks));
export const priceText = (config: SymbolConfig, ticks: number): string => formatPrice(config, ticks);

/** A price given in 10⁻⁸ units of the settle asset (liquidation and bankruptcy prices); 0 when there is none. */
export const scaledPriceNum = (units: bigint | null): Num => Num.of(units === null ? '0' : formatAmount(units));

/**
 * The average price of a cost (margin.ts: ticks × contracts for linear, 10⁻¹⁶ coin for inverse) over
 * `qty` contracts: a position's entry price or an order's average fill price (the harmonic mean for
 * inverse, as KuCoin shows XBTUSDM's); 0 for no quantity.
 */
export function averagePriceText(config: SymbolConfig, cost: bigint, qty: number): string {
  return formatEntryPrice(config, cost, qty, Math.max(0, DERIVED_DECIMALS - config.priceDecimals));
}
export const averagePriceNum = (config: SymbolConfig, cost: bigint, qty: number): Num => Num.of(averagePriceText(config, cost, qty));

/** num / den rounded half away from zero; 0 when the denominator is not positive. */
export function ratioNum(num: bigint, den: bigint, decimals: number): Num {
  return Num.of(den > 0n ? formatRatio(num, den, decimals) : '0');
}

/**
 * Value of `contracts` at `ticks` in amount units of the settle asset: quote for linear, the coin
 * for inverse (floor(q × C / p): what KuCoin's order `value` and fill `value` show in XBT).
 */
export function valueOf(config: SymbolConfig, contracts: number, ticks: number): bigint {
  return valueOfCost(config, costOf(config, contracts, ticks));
}

/**
 * The decimals of a position's values on KuCoin: the engine's 8 for linear contracts; 10 for
 * inverse ones, as KuCoin shows XBTUSDM's XBT values (seed 004: posCost −0.0000285718, markValue
 * −0.0000279684), which the engine's inverse costs (10⁻¹⁶ coin) carry exactly.
 */
export const INVERSE_VALUE_DECIMALS = 10;
export const valueDecimals = (config: SymbolConfig): number => (config.inverse ? INVERSE_VALUE_DECIMALS : 8);

/** An engine amount (10⁻⁸) in units of 10^-valueDecimals. */
export const amountInValueUnits = (config: SymbolConfig, amount: bigint): bigint => amount * 10n ** BigInt(valueDecimals(config) - 8);

/** An inverse cost (10⁻¹⁶ coin) in units of 10^-INVERSE_VALUE_DECIMALS, rounded half away from zero. */
export function inverseCostInValueUnits(cost: bigint): bigint {
  const den = INVERSE_COST_SCALE * 10n ** 8n / 10n ** BigInt(INVERSE_VALUE_DECIMALS);
  const half = den / 2n;
  return cost >= 0n ? (cost + half) / den : -((-cost + half) / den);
}

/** A value in units of 10^-valueDecimals as a JSON number / as text. */
export const valueNum = (config: SymbolConfig, units: bigint): Num => Num.of(formatScaled(units, valueDecimals(config), 0));
export const valueText = (config: SymbolConfig, units: bigint): string => formatScaled(units, valueDecimals(config), 0);

/**
 * Milliseconds as KuCoin's nanosecond timestamps (orderTime, ts, tradeTime, UTA U/O/P), written
 * exactly (they pass 2^53). The engine's clock has millisecond resolution, so the instant is somewhere
 * in that millisecond; it is reported at a fixed 250 µs into it. That way a client that turns ns into
 * ms through a double and truncates (ccxt: ns × 0.000001, then Math.trunc), floors or rounds gets the
 * engine's millisecond back: ms × 10⁶ exactly comes out as (ms − 1).9999… for many values.
 */
export const NS_INTO_MS = 250_000;
export const nsText = (ms: number): string => (ms > 0 ? `${ms}${String(NS_INTO_MS).padStart(6, '0')}` : '0');
export const nsNum = (ms: number): Num => Num.of(nsText(ms));
