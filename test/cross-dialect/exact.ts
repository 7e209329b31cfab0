/**
 * Exact decimals for comparing what four wire formats say about one number, with no float anywhere:
 * canonical decimal text (so "1000.00000000", "1000" and KuCoin's JSON number 1000 compare equal),
 * products for unit conversions (contracts × contract size, ticks × tick size), exact ratios for
 * averages (entry and fill prices), and a JSON reader that keeps every number as its text.
 */

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d*))?$/;

/** A decimal as an integer count of 10^-scale. */
interface Scaled {
  units: bigint;
  scale: number;
}

function scaled(text: string): Scaled {
  const match = DECIMAL_RE.exec(text.trim());
  if (match === null) throw new RangeError(`not a plain decimal: ${JSON.stringify(text)}`);
  const [, sign, whole, frac = ''] = match;
  const units = BigInt(`${whole}${frac}`);
  return { units: sign === '-' ? -units : units, scale: frac.length };
}

function text(value: Scaled): string {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${frac === '' ? '' : `.${frac}`}`;
}

/** Canonical decimal text: no trailing fractional zeros, no leading zeros, no "-0". */
export function dec(value: string | number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`only whole numbers may come as JS numbers here (got ${value})`);
    return String(value);
  }
  return text(scaled(value));
}

/** An integer count of 10^-scale as canonical decimal text (engine amounts: scale 8). */
export const decOf = (units: bigint, scale: number): string => text({ units, scale });

export function decMul(a: string | number, b: string | number): string {
  const x = scaled(dec(a));
  const y = scaled(dec(b));
  return text({ units: x.units * y.units, scale: x.scale + y.scale });
}

export function decAdd(a: string, b: string): string {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return text({ units: x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale), scale });
}

export const decNeg = (a: string): string => dec(a.startsWith('-') ? a.slice(1) : `-${a}`);

/** `a` rounded down (toward −∞) to `places` decimals, as canonical text. */
export function decFloor(a: string, places: number): string {
  const x = scaled(dec(a));
  if (x.scale <= places) return dec(a);
  const divisor = 10n ** BigInt(x.scale - places);
  const q = x.units / divisor;
  const floored = x.units < 0n && x.units % divisor !== 0n ? q - 1n : q;
  return text({ units: floored, scale: places });
}

export const isZero = (a: string): boolean => dec(a) === '0';

/** An exact rational num / den (den > 0): the engine's averages before any wire rounds them. */
export interface Exact {
  readonly kind: 'exact';
  readonly num: bigint;
  readonly den: bigint;
}

export function exact(num: bigint, den: bigint): Exact {
  if (den === 0n) throw new RangeError('zero denominator');
  return den < 0n ? { kind: 'exact', num: -num, den: -den } : { kind: 'exact', num, den };
}

/** `units` × the decimal `factor`, divided by `divisor`: e.g. entry cost (ticks × contracts) × tick size / contracts. */
export function exactRatio(units: bigint, factor: string, divisor: bigint): Exact {
  const f = scaled(dec(factor));
  return exact(units * f.units, divisor * 10n ** BigInt(f.scale));
}

/**
 * A value a wire rounded to a declared number of decimals (an average price): it agrees with an
 * exact value when it is within half a unit of its last declared place, whatever the rounding rule.
 */
export interface Rounded {
  readonly kind: 'rounded';
  readonly text: string;
  readonly decimals: number;
}

export const rounded = (value: string, decimals: number): Rounded => ({ kind: 'rounded', text: dec(value), decimals });

export function roundsFrom(value: Rounded, truth: Exact): boolean {
  const v = scaled(value.text);
  // |v.units / 10^v.scale − num/den| ≤ ½ · 10^-decimals, all multiplied out to integers.
  const common = 10n ** BigInt(Math.max(v.scale, value.decimals));
  const diff = v.units * (common / 10n ** BigInt(v.scale)) * truth.den - truth.num * common;
  const abs = diff < 0n ? -diff : diff;
  return 2n * abs * 10n ** BigInt(value.decimals) <= common * truth.den;
}

/** An exact value for a failure message: 12 decimals, "…" when it goes on. */
export function exactText(value: Exact, decimals = 12): string {
  const scale = 10n ** BigInt(decimals);
  const negative = value.num < 0n;
  const num = negative ? -value.num : value.num;
  const units = (num * scale) / value.den;
  const more = (num * scale) % value.den !== 0n;
  return `${negative ? '-' : ''}${decOf(units, decimals)}${more ? '…' : ''}`;
}

/**
 * JSON.parse, except that every number becomes its exact source text (a string): KuCoin writes
 * positions and nanosecond times as JSON numbers that a double cannot hold.
 */
export function parseExactJson(source: string): unknown {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '"') {
      let j = i + 1;
      while (source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < source.length && /[0-9.eE+-]/.test(source[j]!)) j += 1;
      out += JSON.stringify(source.slice(i, j));
      i = j;
    } else {
      out += c;
      i += 1;
    }
  }
  return JSON.parse(out);
}
