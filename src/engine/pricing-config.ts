/**
 * Per-symbol configuration of the mark price, premium index and funding (risk.md §5.5). An operator
 * writes a PricingSpec (optional on the SymbolSpec, every field defaulted); the engine computes
 * with the validated PricingConfig. Rules: docs/engine-rules.md, "Prices" and "Funding".
 */
import { invariant } from './assert.js';
import { RATE_SCALE, absBig, parseAmount, parseRate } from './fixed.js';
import type { SymbolConfig } from './symbol.js';

/** MEDIAN: median(P1, P2, last trade); INDEX: the mark is the index. */
export type MarkMethod = 'MEDIAN' | 'INDEX';

export interface PricingSpec {
  /** Default MEDIAN. */
  markMethod?: MarkMethod;
  /** One basis sample ((bid1 + ask1)/2 − index) per this many ms of engine time (default 1000). */
  basisSampleMs?: number;
  /** Basis samples in the moving average of P2 (default 30). */
  basisWindow?: number;
  /** One premium-index sample per this many ms of engine time (default 5000). */
  premiumSampleMs?: number;
  /** Impact margin notional, settle asset (default 200 / IMR at max leverage = 200 × maxLeverage). */
  impactMarginNotional?: string;
  /** Interest rate per 8 hours (default 0.0001, i.e. 0.01%). */
  interestRate?: string;
  /** Bound of clamp(I − P̄) (default 0.0005, i.e. ±0.05%). */
  premiumClamp?: string;
  /** Funding interval in minutes (default 480 = 8 h); the rate is scaled by interval / 8 h. */
  fundingIntervalMinutes?: number;
  /** Funding times are k × interval + offset after 1970-01-01T00:00Z (default 0: 00:00, 08:00, 16:00 UTC). */
  fundingOffsetMinutes?: number;
  /** |F| never exceeds this (default 0.75 × (IMR − MMR) at max leverage, tier 1). */
  fundingRateCap?: string;
}

export interface PricingConfig {
  readonly markMethod: MarkMethod;
  readonly basisSampleMs: number;
  readonly basisWindow: number;
  readonly premiumSampleMs: number;
  /** Amount units (10^-8 of the settle asset). */
  readonly impactMarginNotional: bigint;
  /** Rates in 10^-8. */
  readonly interestRate: bigint;
  readonly premiumClamp: bigint;
  readonly fundingRateCap: bigint;
  readonly fundingIntervalMs: number;
  readonly fundingOffsetMs: number;
}

const MINUTE = 60_000;
/** The interval the interest rate and the premium clamp are quoted for. */
export const EIGHT_HOURS_MS = 8 * 60 * MINUTE;

/**
 * The cap 0.75 × (IMR − MMR), rounded down to 10^-8 (risk.md §5.5, V15). With IMR given as the
 * exact fraction 1 / maxLeverage when `imr` is a leverage.
 */
export function defaultFundingCap(imr: bigint, mmr: bigint): bigint {
  return (3n * (imr - mmr)) / 4n;
}

function capAtMaxLeverage(maxLeverage: number, mmr: bigint): bigint {
  // 0.75 × (1/L − mmr) in 10^-8, exactly: floor(3 × (RS − mmr × L) / (4 × L)).
  const L = BigInt(maxLeverage);
  return (3n * (RATE_SCALE - mmr * L)) / (4n * L);
}

const positiveInt = (value: number, max: number): boolean => Number.isSafeInteger(value) && value >= 1 && value <= max;

export function buildPricingConfig(config: SymbolConfig): PricingConfig {
  const spec: PricingSpec = config.spec.pricing ?? {};
  const where = `symbol ${config.symbol} pricing`;
  const markMethod = spec.markMethod ?? 'MEDIAN';
  invariant(markMethod === 'MEDIAN' || markMethod === 'INDEX', `${where}: markMethod must be MEDIAN or INDEX`);
  const basisSampleMs = spec.basisSampleMs ?? 1000;
  const basisWindow = spec.basisWindow ?? 30;
  const premiumSampleMs = spec.premiumSampleMs ?? 5000;
  invariant(positiveInt(basisSampleMs, 86_400_000), `${where}: basisSampleMs must be a whole number of ms from 1 to one day`);
  invariant(positiveInt(basisWindow, 3600), `${where}: basisWindow must be a whole number from 1 to 3600`);
  invariant(positiveInt(premiumSampleMs, 86_400_000), `${where}: premiumSampleMs must be a whole number of ms from 1 to one day`);
  const maxLeverage = config.spec.maxLeverage;
  const impactMarginNotional = spec.impactMarginNotional === undefined
    ? parseAmount('200') * BigInt(maxLeverage) : parseAmount(spec.impactMarginNotional);
  invariant(impactMarginNotional > 0n, `${where}: impactMarginNotional must be positive`);
  const interestRate = parseRate(spec.interestRate ?? '0.0001');
  invariant(absBig(interestRate) < RATE_SCALE, `${where}: interestRate must be in (−1, 1)`);
  const premiumClamp = parseRate(spec.premiumClamp ?? '0.0005');
  invariant(premiumClamp >= 0n && premiumClamp < RATE_SCALE, `${where}: premiumClamp must be in [0, 1)`);
  const intervalMinutes = spec.fundingIntervalMinutes ?? 480;
  invariant(positiveInt(intervalMinutes, 1440), `${where}: fundingIntervalMinutes must be a whole number from 1 to 1440`);
  const offsetMinutes = spec.fundingOffsetMinutes ?? 0;
  invariant(Number.isSafeInteger(offsetMinutes) && offsetMinutes >= 0 && offsetMinutes < intervalMinutes,
    `${where}: fundingOffsetMinutes must be a whole number in [0, fundingIntervalMinutes)`);
  const fundingRateCap = spec.fundingRateCap === undefined
    ? capAtMaxLeverage(maxLeverage, config.tiers[0]!.mmr) : parseRate(spec.fundingRateCap);
  invariant(fundingRateCap > 0n && fundingRateCap < RATE_SCALE,
    `${where}: fundingRateCap must be in (0, 1) (the default 0.75 × (1/maxLeverage − tier-1 MMR) is not positive here: set it)`);
  return {
    markMethod, basisSampleMs, basisWindow, premiumSampleMs, impactMarginNotional, interestRate, premiumClamp, fundingRateCap,
    fundingIntervalMs: intervalMinutes * MINUTE, fundingOffsetMs: offsetMinutes * MINUTE,
  };
}
