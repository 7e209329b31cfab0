/**
 * Exact decimal arithmetic for money.
 *
 * Every amount (balances, margin, PnL, fees) is a bigint count of 10^-AMOUNT_DECIMALS units of its
 * asset. Rates (fees, maintenance margin rates, price bands) are bigint counts of 10^-RATE_DECIMALS.
 * Prices are integer ticks and quantities integer contracts (plain numbers, bounded at the symbol).
 * Nothing here ever touches a float; decimal strings are parsed and formatted digit by digit.
 */
import { invariant } from './assert.js';

export const AMOUNT_DECIMALS = 8;
export const AMOUNT_SCALE = 10n ** BigInt(AMOUNT_DECIMALS);
export const RATE_DECIMALS = 8;
export const RATE_SCALE = 10n ** BigInt(RATE_DECIMALS);

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Parses a decimal string into an integer count of 10^-decimals. Throws if it has more digits than that. */
export function parseScaled(text: string, decimals: number): bigint {
  const match = DECIMAL_RE.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal number: "${text}"`);
  const [, sign, whole, frac = ''] = match;
  const trimmedFrac = frac.replace(/0+$/, '');
  if (trimmedFrac.length > decimals) {
    throw new RangeError(`"${text}" has more than ${decimals} decimal places`);
  }
  const units = BigInt(whole! + trimmedFrac.padEnd(decimals, '0'));
  return sign === '-' ? -units : units;
}

/** Formats an integer count of 10^-decimals as a decimal string with exactly `decimals` places (or `minDecimals` after trimming). */
export function formatScaled(units: bigint, decimals: number, minDecimals = decimals): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  let frac = digits.slice(digits.length - decimals);
  while (frac.length > minDecimals && frac.endsWith('0')) frac = frac.slice(0, -1);
  const body = frac.length > 0 ? `${whole}.${frac}` : whole;
  return negative && units !== 0n ? `-${body}` : body;
}

export const parseAmount = (text: string): bigint => parseScaled(text, AMOUNT_DECIMALS);
export const formatAmount = (units: bigint, minDecimals = 0): string => formatScaled(units, AMOUNT_DECIMALS, minDecimals);
export const parseRate = (text: string): bigint => parseScaled(text, RATE_DECIMALS);
export const formatRate = (units: bigint): string => formatScaled(units, RATE_DECIMALS, 0);

/** Number of decimal places of a decimal string, ignoring trailing zeros ("0.10" → 1). */
export function decimalPlaces(text: string): number {
  const match = DECIMAL_RE.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal number: "${text}"`);
  return (match[3] ?? '').replace(/0+$/, '').length;
}

/** Floor division for bigints (rounds toward −∞, unlike `/` which truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  invariant(b !== 0n, 'division by zero');
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Ceiling division for bigints (rounds toward +∞). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  invariant(b !== 0n, 'division by zero');
  const q = a / b;
  return (a % b !== 0n && (a < 0n) === (b < 0n)) ? q + 1n : q;
}

export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const absBig = (a: bigint): bigint => (a < 0n ? -a : a);

/** Formats the exact quotient num/den (den > 0) rounded half away from zero to `decimals` places. */
export function formatRatio(num: bigint, den: bigint, decimals: number): string {
  invariant(den > 0n, 'ratio denominator must be positive');
  const scale = 10n ** BigInt(decimals);
  const scaled = num * scale;
  const half = den / 2n;
  const rounded = scaled >= 0n ? (scaled + half) / den : -((-scaled + half) / den);
  return formatScaled(rounded, decimals, 0);
}
