/**
 * Exact rationals over bigint, the engine's one fraction type: the price formulas (impact prices,
 * P1, P2, medians) and the risk formulas (liquidation and bankruptcy prices, risk/) whose
 * intermediate values are not whole ticks. Each result is rounded once, where the rules say.
 */
import { invariant } from './assert.js';
import { ceilDiv, floorDiv } from './fixed.js';

/** n / d with d > 0 (not reduced: values are short-lived). */
export interface Ratio {
  readonly n: bigint;
  /** Always > 0. */
  readonly d: bigint;
}

/** The same type under the name the risk modules use. */
export type Rational = Ratio;

export function ratio(n: bigint, d = 1n): Ratio {
  invariant(d !== 0n, 'ratio with a zero denominator');
  return d < 0n ? { n: -n, d: -d } : { n, d };
}

export const whole = (n: number | bigint): Ratio => ({ n: BigInt(n), d: 1n });
export const add = (a: Ratio, b: Ratio): Ratio => (a.d === b.d ? { n: a.n + b.n, d: a.d } : { n: a.n * b.d + b.n * a.d, d: a.d * b.d });
export const sub = (a: Ratio, b: Ratio): Ratio => add(a, { n: -b.n, d: b.d });
export const div = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d, a.d * b.n);
/** Sign of a − b. */
export const compare = (a: Ratio, b: Ratio): number => {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
export const floorOf = (r: Ratio): bigint => floorDiv(r.n, r.d);
export const ceilOf = (r: Ratio): bigint => ceilDiv(r.n, r.d);
/** r × k rounded up or down. */
export const scaleCeil = (r: Ratio, k: bigint): bigint => ceilDiv(r.n * k, r.d);
export const scaleFloor = (r: Ratio, k: bigint): bigint => floorDiv(r.n * k, r.d);
export const positivePart = (a: Ratio): Ratio => (a.n > 0n ? a : { n: 0n, d: 1n });

/** The median of one to three values; of two, their mean (exact). */
export function median(values: readonly Ratio[]): Ratio {
  invariant(values.length >= 1 && values.length <= 3, 'median of one to three values');
  const sorted = [...values].sort(compare);
  if (sorted.length === 2) {
    const sum = add(sorted[0]!, sorted[1]!);
    return { n: sum.n, d: sum.d * 2n };
  }
  return sorted[(sorted.length - 1) / 2]!;
}

/** round(a × scale) to the nearest integer, halves away from zero. */
export function roundHalfAway(a: Ratio, scale = 1n): bigint {
  const n = a.n * scale;
  const magnitude = ((n < 0n ? -n : n) * 2n + a.d) / (2n * a.d);
  return n < 0n ? -magnitude : magnitude;
}
