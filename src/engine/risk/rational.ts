/**
 * Exact non-negative-denominator rationals for prices that are not whole ticks (liquidation and
 * bankruptcy prices). Only what the risk formulas need: build, compare, round.
 */
import { invariant } from '../assert.js';
import { ceilDiv, floorDiv } from '../fixed.js';

export interface Rational {
  readonly n: bigint;
  /** Always > 0. */
  readonly d: bigint;
}

export function ratio(n: bigint, d: bigint): Rational {
  invariant(d !== 0n, 'rational with a zero denominator');
  return d < 0n ? { n: -n, d: -d } : { n, d };
}

/** Sign of a − b. */
export function compare(a: Rational, b: Rational): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

export const floorOf = (r: Rational): bigint => floorDiv(r.n, r.d);
export const ceilOf = (r: Rational): bigint => ceilDiv(r.n, r.d);

/** r × k rounded up or down. */
export const scaleCeil = (r: Rational, k: bigint): bigint => ceilDiv(r.n * k, r.d);
export const scaleFloor = (r: Rational, k: bigint): bigint => floorDiv(r.n * k, r.d);
