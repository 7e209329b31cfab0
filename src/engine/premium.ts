/**
 * Premium index and funding rate (risk.md §5.5), as pure functions of integers: the impact price
 * walk over one book side, the premium of one sample, the linearly weighted average of the
 * interval's samples, and the funding rate with its clamp, interval scaling and cap.
 * Rules: docs/engine-rules.md, "Premium index" and "Funding rate".
 */
import { RATE_SCALE } from './fixed.js';
import { EIGHT_HOURS_MS, type PricingConfig } from './pricing-config.js';
import { div, positivePart, roundHalfAway, sub, whole, type Ratio } from './rational.js';

export interface DepthLevel {
  readonly price: number;
  readonly qty: number;
}

/**
 * The average price (ticks, exact) of filling `notional` amount units against `levels` (best
 * first): whole levels, then the part of the last one that completes the notional, which may be a
 * fraction of a contract. Null when the side holds less than `notional`.
 */
export function impactPrice(levels: Iterable<DepthLevel>, notional: bigint, valuePerTickContract: bigint): Ratio | null {
  let filledNotional = 0n;
  let filledContracts = 0n;
  for (const level of levels) {
    const price = BigInt(level.price);
    const levelNotional = BigInt(level.qty) * price * valuePerTickContract;
    if (filledNotional + levelNotional >= notional) {
      const rest = notional - filledNotional;
      // Average = notional / (K × contracts), contracts = filledContracts + rest / (price × K).
      return { n: notional * price, d: valuePerTickContract * price * filledContracts + rest };
    }
    filledNotional += levelNotional;
    filledContracts += BigInt(level.qty);
  }
  return null;
}

/**
 * The same for an inverse contract, whose levels are worth qty × C / price in coin (C the symbol's
 * inverseValue): the whole levels' coin W, then r = (N − W) × p / C contracts of the last level; the
 * average is the harmonic one, contracts × C / N = (Q·C + (N − W)·p) / N.
 */
export function impactPriceInverse(levels: Iterable<DepthLevel>, notional: bigint, inverseValue: bigint): Ratio | null {
  let wn = 0n;
  let wd = 1n;
  let contracts = 0n;
  for (const level of levels) {
    const price = BigInt(level.price);
    const levelN = BigInt(level.qty) * inverseValue;
    // W + levelN / price ≥ N ?
    if ((wn * price + levelN * wd) >= notional * wd * price) {
      return { n: contracts * inverseValue * wd + (notional * wd - wn) * price, d: notional * wd };
    }
    wn = wn * price + levelN * wd;
    wd *= price;
    contracts += BigInt(level.qty);
  }
  return null;
}

/**
 * P = [max(0, ImpactBid − Index) − max(0, Index − ImpactAsk)] / Index in 10^-8, rounded half away
 * from zero. A side too thin for the impact notional contributes 0.
 */
export function premiumIndex(index: number, impactBid: Ratio | null, impactAsk: Ratio | null): bigint {
  const I = whole(index);
  const above = impactBid === null ? whole(0) : positivePart(sub(impactBid, I));
  const below = impactAsk === null ? whole(0) : positivePart(sub(I, impactAsk));
  return roundHalfAway(div(sub(above, below), I), RATE_SCALE);
}

/**
 * P̄ = Σ i·P_i / Σ i over samples i = 1…count, from `weightedSum` = Σ i·P_i; rounded half away
 * from zero to 10^-8. No samples: 0.
 */
export function averagePremium(count: number, weightedSum: bigint): bigint {
  if (count === 0) return 0n;
  const weights = (BigInt(count) * BigInt(count + 1)) / 2n;
  return roundHalfAway({ n: weightedSum, d: weights });
}

const clamp = (value: bigint, bound: bigint): bigint => (value > bound ? bound : value < -bound ? -bound : value);

/**
 * F = [P̄ + clamp(I − P̄, ±clamp)] × interval / 8 h, rounded half away from zero to 10^-8, then
 * capped at ±cap. I and the clamp are per 8 hours.
 */
export function fundingRate(premium: bigint, config: Pick<PricingConfig, 'interestRate' | 'premiumClamp' | 'fundingIntervalMs' | 'fundingRateCap'>): bigint {
  const perEightHours = premium + clamp(config.interestRate - premium, config.premiumClamp);
  const scaled = roundHalfAway({ n: perEightHours * BigInt(config.fundingIntervalMs), d: BigInt(EIGHT_HOURS_MS) });
  return clamp(scaled, config.fundingRateCap);
}
