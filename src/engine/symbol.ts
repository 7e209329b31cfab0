/**
 * Symbol configuration: the contract's rules as data. A SymbolSpec is what an operator writes
 * (decimal strings); a SymbolConfig is the validated, integer form the engine computes with.
 */
import { invariant } from './assert.js';
import { AMOUNT_DECIMALS, RATE_SCALE, ceilDiv, decimalPlaces, parseAmount, parseRate, parseScaled } from './fixed.js';
import type { PricingSpec } from './pricing-config.js';

export type ContractType = 'PERPETUAL' | 'DELIVERY';
/** U_BASED = linear, margined and settled in the quote asset; COIN_BASED = inverse (not built yet). */
export type UnderlyingType = 'U_BASED' | 'COIN_BASED';

export interface TierSpec {
  /** Lowest position notional (settle asset) this tier applies to. */
  notionalFloor: string;
  maintenanceMarginRate: string;
  maxLeverage: number;
}

export interface SymbolSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  settleAsset: string;
  contractType: ContractType;
  underlyingType: UnderlyingType;
  tickSize: string;
  contractSize: string;
  minQty: number;
  maxQty: number;
  makerFeeRate: string;
  takerFeeRate: string;
  maxLeverage: number;
  /** Maintenance-margin tiers, lowest floor first (risk.md §5.1). The maintenance amount is derived. */
  tiers: TierSpec[];
  /** Limit orders may not be priced beyond reference × (1 ± band); market orders fill no further than that. */
  priceBandRate: string;
  /** Highest price accepted, in ticks. */
  maxPriceTicks: number;
  /** Most contracts one position may hold. */
  maxPositionQty: number;
  /** Mark price, premium and funding settings (pricing-config.ts); every field has a default. */
  pricing?: PricingSpec;
}

export interface Tier {
  floor: bigint;
  mmr: bigint;
  cum: bigint;
  maxLeverage: number;
}

export interface SymbolConfig {
  readonly spec: Readonly<SymbolSpec>;
  readonly symbol: string;
  readonly settleAsset: string;
  readonly priceDecimals: number;
  readonly tickUnits: bigint;
  /** Amount units (10^-8 of the settle asset) per contract per tick: tickSize × contractSize × 10^8. */
  readonly valuePerTickContract: bigint;
  readonly makerFeeRate: bigint;
  readonly takerFeeRate: bigint;
  readonly priceBandRate: bigint;
  readonly tiers: readonly Tier[];
}

/** Largest quantity, price or position a symbol may be configured with: keeps every product exact. */
export const LIMITS = Object.freeze({
  maxQty: 1_000_000_000,
  maxPriceTicks: 1_000_000_000_000,
  maxPositionQty: 1_000_000_000_000,
  maxLeverage: 1000,
});

const SYMBOL_RE = /^[a-z0-9]+_[a-z0-9]+$/;

export function buildSymbolConfig(spec: SymbolSpec): SymbolConfig {
  const where = `symbol ${spec.symbol}`;
  invariant(SYMBOL_RE.test(spec.symbol), `${where}: name must look like btc_usdt`);
  invariant(spec.underlyingType === 'U_BASED', `${where}: only U_BASED (linear) contracts are supported so far`);
  invariant(spec.contractType === 'PERPETUAL', `${where}: only PERPETUAL contracts are supported so far`);
  const priceDecimals = decimalPlaces(spec.tickSize);
  const tickUnits = parseScaled(spec.tickSize, priceDecimals);
  invariant(tickUnits > 0n, `${where}: tickSize must be positive`);
  const sizeDecimals = decimalPlaces(spec.contractSize);
  const sizeUnits = parseScaled(spec.contractSize, sizeDecimals);
  invariant(sizeUnits > 0n, `${where}: contractSize must be positive`);
  // tickSize × contractSize expressed in 10^-8 units must be a whole number, so that every
  // contract × tick product is an exact amount.
  const shift = AMOUNT_DECIMALS - priceDecimals - sizeDecimals;
  invariant(shift >= 0, `${where}: tickSize × contractSize must be a multiple of 1e-${AMOUNT_DECIMALS}`);
  const valuePerTickContract = tickUnits * sizeUnits * 10n ** BigInt(shift);
  invariant(Number.isSafeInteger(spec.minQty) && spec.minQty >= 1, `${where}: minQty must be a positive integer`);
  invariant(Number.isSafeInteger(spec.maxQty) && spec.maxQty >= spec.minQty && spec.maxQty <= LIMITS.maxQty,
    `${where}: maxQty must be an integer in [minQty, ${LIMITS.maxQty}]`);
  invariant(Number.isSafeInteger(spec.maxPriceTicks) && spec.maxPriceTicks >= 1 && spec.maxPriceTicks <= LIMITS.maxPriceTicks,
    `${where}: maxPriceTicks must be an integer in [1, ${LIMITS.maxPriceTicks}]`);
  invariant(Number.isSafeInteger(spec.maxPositionQty) && spec.maxPositionQty >= spec.maxQty && spec.maxPositionQty <= LIMITS.maxPositionQty,
    `${where}: maxPositionQty must be an integer in [maxQty, ${LIMITS.maxPositionQty}]`);
  invariant(Number.isInteger(spec.maxLeverage) && spec.maxLeverage >= 1 && spec.maxLeverage <= LIMITS.maxLeverage,
    `${where}: maxLeverage must be an integer in [1, ${LIMITS.maxLeverage}]`);
  const makerFeeRate = parseRate(spec.makerFeeRate);
  const takerFeeRate = parseRate(spec.takerFeeRate);
  invariant(makerFeeRate >= 0n && takerFeeRate >= 0n, `${where}: fee rates must not be negative (rebates are not supported yet)`);
  const priceBandRate = parseRate(spec.priceBandRate);
  invariant(priceBandRate > 0n && priceBandRate < RATE_SCALE, `${where}: priceBandRate must be in (0, 1)`);
  return {
    spec: Object.freeze({ ...spec, tiers: spec.tiers.map((t) => ({ ...t })), ...(spec.pricing ? { pricing: { ...spec.pricing } } : {}) }),
    symbol: spec.symbol,
    settleAsset: spec.settleAsset,
    priceDecimals,
    tickUnits,
    valuePerTickContract,
    makerFeeRate,
    takerFeeRate,
    priceBandRate,
    tiers: buildTiers(spec, where),
  };
}

/** Maintenance amounts by the recurrence cum(n) = floor(n) × (MMR(n) − MMR(n−1)) + cum(n−1) (risk.md §5.1). */
export function buildTiers(spec: Pick<SymbolSpec, 'tiers' | 'maxLeverage'>, where = 'tiers'): Tier[] {
  invariant(spec.tiers.length > 0, `${where}: at least one maintenance tier is required`);
  const tiers: Tier[] = [];
  for (const [i, t] of spec.tiers.entries()) {
    const floor = parseAmount(t.notionalFloor);
    const mmr = parseRate(t.maintenanceMarginRate);
    invariant(mmr > 0n && mmr < RATE_SCALE, `${where}: tier ${i + 1} maintenance rate must be in (0, 1)`);
    invariant(Number.isInteger(t.maxLeverage) && t.maxLeverage >= 1 && t.maxLeverage <= spec.maxLeverage,
      `${where}: tier ${i + 1} maxLeverage must be in [1, maxLeverage]`);
    const prev = tiers[i - 1];
    if (prev === undefined) {
      invariant(floor === 0n, `${where}: the first tier must start at notional 0`);
      tiers.push({ floor, mmr, cum: 0n, maxLeverage: t.maxLeverage });
    } else {
      invariant(floor > prev.floor && mmr >= prev.mmr, `${where}: tiers must rise in floor and rate`);
      invariant(t.maxLeverage <= prev.maxLeverage, `${where}: tier ${i + 1} may not allow more leverage than tier ${i}`);
      // The liquidation price formulas rely on MM being exactly continuous across tiers.
      invariant((floor * (mmr - prev.mmr)) % RATE_SCALE === 0n,
        `${where}: tier ${i + 1}: floor × (MMR − previous MMR) must be a whole number of 1e-8, so that the maintenance amount is exact`);
      const cum = (floor * (mmr - prev.mmr)) / RATE_SCALE + prev.cum;
      tiers.push({ floor, mmr, cum, maxLeverage: t.maxLeverage });
    }
  }
  return tiers;
}

/** The tier a notional falls in (the last tier whose floor it reaches). */
export function tierFor(tiers: readonly Tier[], notional: bigint): Tier {
  let found = tiers[0]!;
  for (const tier of tiers) {
    if (notional >= tier.floor) found = tier;
    else break;
  }
  return found;
}

/** Maintenance margin = notional × MMR(tier) − cum(tier), rounded up (risk.md §5.1). */
export function maintenanceMargin(tiers: readonly Tier[], notional: bigint): bigint {
  const tier = tierFor(tiers, notional);
  const mm = ceilDiv(notional * tier.mmr, RATE_SCALE) - tier.cum;
  return mm > 0n ? mm : 0n;
}
