/**
 * Symbol configuration: the contract's rules as data. A SymbolSpec is what an operator writes
 * (decimal strings); a SymbolConfig is the validated, integer form the engine computes with.
 */
import { invariant } from './assert.js';
import { AMOUNT_DECIMALS, RATE_SCALE, ceilDiv, decimalPlaces, parseAmount, parseRate, parseScaled } from './fixed.js';
import type { PricingSpec } from './pricing-config.js';

export type ContractType = 'PERPETUAL' | 'DELIVERY';
/**
 * U_BASED = linear, margined and settled in the quote asset, a contract is `contractSize` of the base
 * asset; COIN_BASED = inverse, margined and settled in the base coin, a contract is worth a fixed
 * `contractSize` of the quote currency (e.g. 100 USD), so its value in coin is contractSize / price.
 */
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
  /** DELIVERY contracts only: when they expire and settle (docs/engine-rules.md, "Delivery"). */
  delivery?: DeliverySpec;
}

export interface DeliverySpec {
  /** Delivery time, ms since 1970-01-01T00:00Z: trading stops at it. */
  deliveryTime: number;
  /** The delivery price is the mean of the index prices of this many ms before the delivery time (default 30 minutes). */
  averagingWindowMs?: number;
  /** Fee charged on the delivered notional, like a taker fee (default 0). */
  deliveryFeeRate?: string;
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
  /** Linear only (0 for inverse): amount units (10^-8 of the settle asset) per contract per tick, tickSize × contractSize × 10^8. */
  readonly valuePerTickContract: bigint;
  readonly makerFeeRate: bigint;
  readonly takerFeeRate: bigint;
  readonly priceBandRate: bigint;
  readonly tiers: readonly Tier[];
  /** COIN_BASED: PnL, margin and fees are in the base coin, and 1/price appears (inverse.ts). */
  readonly inverse: boolean;
  /**
   * Inverse only (0 for linear): amount units × ticks per contract, contractSize × 10^8 / tickSize, so
   * `qty` contracts at `price` ticks are worth qty × inverseValue / price amount units of the coin.
   */
  readonly inverseValue: bigint;
  /** DELIVERY only (null for perpetuals): the validated delivery settings. */
  readonly delivery: Readonly<{ time: number; windowMs: number; feeRate: bigint }> | null;
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
  invariant(spec.underlyingType === 'U_BASED' || spec.underlyingType === 'COIN_BASED', `${where}: underlyingType must be U_BASED or COIN_BASED`);
  invariant(spec.contractType === 'PERPETUAL' || spec.contractType === 'DELIVERY', `${where}: contractType must be PERPETUAL or DELIVERY`);
  const inverse = spec.underlyingType === 'COIN_BASED';
  const settledIn = inverse ? spec.baseAsset : spec.quoteAsset;
  invariant(spec.settleAsset === settledIn,
    `${where}: a ${spec.underlyingType} contract settles in its ${inverse ? 'base' : 'quote'} asset ${settledIn}, not ${spec.settleAsset}`);
  const priceDecimals = decimalPlaces(spec.tickSize);
  const tickUnits = parseScaled(spec.tickSize, priceDecimals);
  invariant(tickUnits > 0n, `${where}: tickSize must be positive`);
  const sizeDecimals = decimalPlaces(spec.contractSize);
  const sizeUnits = parseScaled(spec.contractSize, sizeDecimals);
  invariant(sizeUnits > 0n, `${where}: contractSize must be positive`);
  let valuePerTickContract = 0n;
  let inverseValue = 0n;
  if (inverse) {
    // contractSize (quote) × 10^8 / tickSize must be whole: then a contract's coin value at p ticks is inverseValue / p exactly.
    const numerator = sizeUnits * 10n ** BigInt(AMOUNT_DECIMALS + priceDecimals);
    const denominator = tickUnits * 10n ** BigInt(sizeDecimals);
    invariant(numerator % denominator === 0n, `${where}: contractSize × 1e${AMOUNT_DECIMALS} / tickSize must be a whole number`);
    inverseValue = numerator / denominator;
  } else {
    // tickSize × contractSize expressed in 10^-8 units must be a whole number, so that every
    // contract × tick product is an exact amount.
    const shift = AMOUNT_DECIMALS - priceDecimals - sizeDecimals;
    invariant(shift >= 0, `${where}: tickSize × contractSize must be a multiple of 1e-${AMOUNT_DECIMALS}`);
    valuePerTickContract = tickUnits * sizeUnits * 10n ** BigInt(shift);
  }
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
    spec: Object.freeze({
      ...spec, tiers: spec.tiers.map((t) => ({ ...t })),
      ...(spec.pricing ? { pricing: { ...spec.pricing } } : {}),
      ...(spec.delivery ? { delivery: { ...spec.delivery } } : {}),
    }),
    symbol: spec.symbol,
    settleAsset: spec.settleAsset,
    priceDecimals,
    tickUnits,
    valuePerTickContract,
    makerFeeRate,
    takerFeeRate,
    priceBandRate,
    tiers: buildTiers(spec, where),
    inverse,
    inverseValue,
    delivery: buildDelivery(spec, where),
  };
}

const DEFAULT_DELIVERY_WINDOW_MS = 30 * 60 * 1000;

function buildDelivery(spec: SymbolSpec, where: string): SymbolConfig['delivery'] {
  if (spec.contractType === 'PERPETUAL') {
    invariant(spec.delivery === undefined, `${where}: a PERPETUAL contract has no delivery settings`);
    return null;
  }
  const d = spec.delivery;
  invariant(d !== undefined, `${where}: a DELIVERY contract needs delivery.deliveryTime`);
  invariant(Number.isSafeInteger(d.deliveryTime) && d.deliveryTime > 0, `${where}: deliveryTime must be a positive whole number of ms`);
  const windowMs = d.averagingWindowMs ?? DEFAULT_DELIVERY_WINDOW_MS;
  invariant(Number.isSafeInteger(windowMs) && windowMs >= 1 && windowMs <= d.deliveryTime,
    `${where}: averagingWindowMs must be a whole number of ms in [1, deliveryTime]`);
  const feeRate = parseRate(d.deliveryFeeRate ?? '0');
  invariant(feeRate >= 0n && feeRate < RATE_SCALE, `${where}: deliveryFeeRate must be in [0, 1)`);
  return Object.freeze({ time: d.deliveryTime, windowMs, feeRate });
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
