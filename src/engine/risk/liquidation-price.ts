/**
 * Liquidation and bankruptcy prices, exactly (docs/engine-rules.md, "Risk: liquidation price";
 * risk.md §5.1–5.3). Prices here are rational numbers of ticks.
 *
 * What covers positions on one symbol (an isolated position, or the account's cross positions in
 * that symbol) is described by its legs (sign σ, contracts Q, entry cost E), the equity base E0
 * (isolated margin, or cross wallet + unrealized PnL of the account's cross positions on other
 * symbols at their marks) and the maintenance base M0 (those other positions' maintenance). At a
 * mark P of this symbol, with K the value of a contract-tick and each leg in the tier its notional
 * Q·P·K reaches:
 *
 *   equity(P) = E0 + K·Σ σ(Q·P − E)          MM(P) = M0 + Σ (Q·P·K·MMR/RS − cum)
 *
 * G_a(P) = a·equity(P) − MM(P) is continuous (the cum recurrence makes MM continuous; symbol.ts
 * checks every cum is exact) and concave (MM is convex: MMR rises with the tier), so {G_a > 0} is one
 * open interval (lower, upper), either end possibly absent. a = 1 gives the liquidation prices
 * (equity = MM, §5.3, with the tier re-checked at the root — every tier segment is tried), a = θ
 * the margin-ratio warning prices. Between tier breakpoints G is linear: RS·G = A + B·P.
 *
 * Inverse contracts (coin-margined, risk.md §5.4) are the same problem in x = 1/P: with C the coin
 * value of a contract at one tick (SymbolConfig.inverseValue), S = INVERSE_COST_SCALE and E each
 * leg's entry value in cost units (amount units × S),
 *
 *   S·equity(x) = S·E0 + Σ σ(E − S·Q·C·x)     S·MM(x) = S·M0 + Σ (S·Q·C·x·MMR/RS − S·cum)
 *
 * is linear in x between the tiers' breakpoints Q·C·x = floor, and concave the same way, so the
 * same exact piecewise-linear roots are found in x and turned back into prices (the interval
 * (x1, x2) is the price interval (1/x2, 1/x1)). The linear path pays one flag test.
 */
import { RATE_SCALE } from '../fixed.js';
import { INVERSE_COST_SCALE } from '../margin.js';
import type { SymbolConfig } from '../symbol.js';
import { compare, ratio, type Rational } from './rational.js';

export interface Leg {
  /** +1 long, −1 short. */
  sign: 1n | -1n;
  /** Contracts, > 0. */
  qty: bigint;
  /** The position's entry cost (margin.ts): ticks × contracts, or inverse the coin value in amount units. */
  entryCost: bigint;
}

export interface Inputs {
  config: SymbolConfig;
  legs: readonly Leg[];
  /** E0, amount units. */
  equityBase: bigint;
  /** M0, amount units. */
  maintenanceBase: bigint;
}

interface Segment {
  start: Rational;
  a: bigint;
  b: bigint;
}

const ZERO: Rational = { n: 0n, d: 1n };
const RS = RATE_SCALE;

/**
 * The linear pieces of RS·G_a, where a = aR / RS (aR = RS for the liquidation function). Pieces
 * start at 0 and at every price where a leg's notional reaches a tier floor.
 */
function segments(inputs: Inputs, aR: bigint): Segment[] {
  const { config, legs } = inputs;
  const inverse = config.inverse;
  // Inverse: the variable is x = 1/P and a contract is worth C·x, a long gains E − Q·C·x.
  const k = inverse ? config.inverseValue * INVERSE_COST_SCALE : config.valuePerTickContract;
  // The constant terms' unit: inverse equations are multiplied through by S.
  const unit = inverse ? INVERSE_COST_SCALE : 1n;
  const tiers = config.tiers;
  let signedQty = 0n;
  let signedCost = 0n;
  let mmrQty = 0n;
  for (const leg of legs) {
    signedQty += leg.sign * leg.qty;
    signedCost += leg.sign * leg.entryCost;
    mmrQty += leg.qty * tiers[0]!.mmr;
  }
  let a = inverse
    ? aR * (unit * inputs.equityBase + signedCost) - RS * unit * inputs.maintenanceBase
    : aR * (inputs.equityBase - k * signedCost) - RS * inputs.maintenanceBase;
  let b = k * ((inverse ? -aR : aR) * signedQty - mmrQty);
  const breaks: { at: Rational; leg: number; tier: number }[] = [];
  legs.forEach((leg, index) => {
    for (let t = 1; t < tiers.length; t++) breaks.push({ at: ratio(tiers[t]!.floor * unit, leg.qty * k), leg: index, tier: t });
  });
  // One leg's breakpoints are already in order (floors rise); several legs' are merged.
  if (legs.length > 1) breaks.sort((x, y) => compare(x.at, y.at) || x.leg - y.leg || x.tier - y.tier);
  const out: Segment[] = [{ start: ZERO, a, b }];
  const tierOf = legs.map(() => 0);
  for (const brk of breaks) {
    const from = tiers[tierOf[brk.leg]!]!;
    const to = tiers[brk.tier]!;
    tierOf[brk.leg] = brk.tier;
    a += RS * unit * (to.cum - from.cum);
    b -= k * legs[brk.leg]!.qty * (to.mmr - from.mmr);
    const last = out[out.length - 1]!;
    if (compare(last.start, brk.at) === 0) out[out.length - 1] = { start: last.start, a, b };
    else out.push({ start: brk.at, a, b });
  }
  return out;
}

/** Sign of A + B·P at a rational P. */
const signAt = (s: Segment, p: Rational): number => {
  const v = s.a * p.d + s.b * p.n;
  return v > 0n ? 1 : v < 0n ? -1 : 0;
};

const rootOf = (s: Segment): Rational => ratio(-s.a, s.b);

/** The open interval where G_a > 0: `lower`/`upper` null when unbounded (down to 0 / up), or `empty`. */
export interface Region {
  empty: boolean;
  lower: Rational | null;
  upper: Rational | null;
}

export function positiveRegion(inputs: Inputs, aR: bigint): Region {
  if (!inputs.config.inverse) return positiveRegionOf(segments(inputs, aR));
  // Found in x = 1/P: x's interval (lower, upper) is the price interval (1/upper, 1/lower).
  const inX = positiveRegionOf(segments(inputs, aR));
  if (inX.empty) return inX;
  if (inX.upper !== null && inX.upper.n <= 0n) return { empty: true, lower: null, upper: null };
  return {
    empty: false,
    lower: inX.upper === null ? null : ratio(inX.upper.d, inX.upper.n),
    upper: inX.lower === null || inX.lower.n === 0n ? null : ratio(inX.lower.d, inX.lower.n),
  };
}

function positiveRegionOf(pieces: Segment[]): Region {
  // Slopes never rise (concave), so the peak is where the first non-rising piece starts.
  let peak = pieces.findIndex((s) => s.b <= 0n);
  if (peak < 0) peak = pieces.length;
  let lower: Rational | null = null;
  if (signAt(pieces[0]!, ZERO) <= 0) {
    if (peak === 0) return { empty: true, lower: null, upper: null };
    let found = false;
    for (let i = 0; i < peak; i++) {
      const end = pieces[i + 1]?.start;
      if (end === undefined || signAt(pieces[i]!, end) > 0) {
        lower = rootOf(pieces[i]!);
        found = true;
        break;
      }
    }
    // Still not above zero at the peak: nowhere.
    if (!found) return { empty: true, lower: null, upper: null };
  }
  let upper: Rational | null = null;
  for (let i = peak; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const end = pieces[i + 1]?.start;
    const endSign = end === undefined ? (piece.b !== 0n ? (piece.b > 0n ? 1 : -1) : (piece.a > 0n ? 1 : piece.a < 0n ? -1 : 0)) : signAt(piece, end);
    if (endSign <= 0) {
      if (signAt(piece, piece.start) <= 0) {
        // Not above zero even where the falling part starts (only possible at the peak itself).
        if (lower === null && i === 0) return { empty: true, lower: null, upper: null };
        if (lower !== null && compare(piece.start, lower) <= 0) return { empty: true, lower: null, upper: null };
        upper = piece.start;
      } else {
        upper = rootOf(piece);
      }
      break;
    }
  }
  return { empty: false, lower, upper };
}

/** Price where equity is zero (rational ticks), or null if none above 0 (no net quantity, or never bankrupt). */
export function bankruptcyPoint(inputs: Inputs): Rational | null {
  const { config } = inputs;
  let signedQty = 0n;
  let signedCost = 0n;
  for (const leg of inputs.legs) {
    signedQty += leg.sign * leg.qty;
    signedCost += leg.sign * leg.entryCost;
  }
  if (signedQty === 0n) return null;
  if (config.inverse) {
    // S·equity(x) = S·E0 + Σσ E − S·C·x·Σσ Q = 0  ⇒  P = 1/x = S·C·Σσ Q / (S·E0 + Σσ E).
    const denominator = INVERSE_COST_SCALE * inputs.equityBase + signedCost;
    if (denominator === 0n) return null;
    const point = ratio(INVERSE_COST_SCALE * config.inverseValue * signedQty, denominator);
    return point.n > 0n ? point : null;
  }
  const k = config.valuePerTickContract;
  const point = ratio(k * signedCost - inputs.equityBase, k * signedQty);
  return point.n > 0n ? point : null;
}

/** Net signed contracts of the legs. */
export function netQty(legs: readonly Leg[]): bigint {
  let net = 0n;
  for (const leg of legs) net += leg.sign * leg.qty;
  return net;
}

/**
 * The liquidation price shown for the legs: the lower end of the safe interval for a net long, the
 * upper for a net short; with no net quantity the end nearer to `mark` (the lower one on a tie or
 * without a mark, if it exists). Null when that end does not exist (never liquidated that way) or
 * the interval is empty.
 */
export function liquidationPoint(inputs: Inputs, mark: number | null): { point: Rational; isLower: boolean } | null {
  const region = positiveRegion(inputs, RS);
  if (region.empty) return null;
  const net = netQty(inputs.legs);
  if (net > 0n) return region.lower === null ? null : { point: region.lower, isLower: true };
  if (net < 0n) return region.upper === null ? null : { point: region.upper, isLower: false };
  if (region.lower === null) return region.upper === null ? null : { point: region.upper, isLower: false };
  if (region.upper === null || mark === null) return { point: region.lower, isLower: true };
  const m = ratio(BigInt(mark), 1n);
  const below = ratio(m.n * region.lower.d - region.lower.n, region.lower.d);
  const above = ratio(region.upper.n - m.n * region.upper.d, region.upper.d);
  return compare(above, below) < 0 ? { point: region.upper, isLower: false } : { point: region.lower, isLower: true };
}

/** 1e-8 units of the settle asset per tick (a tick expressed as a decimal price at 10^-8). */
export function unitsPerTick(config: SymbolConfig): bigint {
  return config.tickUnits * 10n ** BigInt(8 - config.priceDecimals);
}
