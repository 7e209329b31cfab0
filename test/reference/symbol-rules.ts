/**
 * The reference model's own reading of a symbol's configuration and its own contract math, written
 * from docs/engine-rules.md ("Units", "Formulas", "Risk: tiers", "Prices", "Funding settlement")
 * and ../shared/spec/risk.md §5.1 and §5.5. Nothing here calls the engine's computations: the only
 * imports are types and the plain decimal-string parser (to read "0.0001" as 10000 × 10⁻⁸).
 *
 * It computes: K (the value of one contract per tick), fee, band and maintenance rates, the tiers'
 * maintenance amounts (cum recurrence), the tier of a notional, maintenance margin, and the funding
 * rate a settlement uses when there are no premium samples (the property streams never sample).
 */
import { decimalPlaces, parseScaled } from '../../src/engine/fixed.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';

/** The rate scale RS = 10⁸ (rules: Units). */
export const RS = 100_000_000n;
/** Amounts are counts of 10⁻⁸ of the asset. */
const AMOUNT_DECIMALS = 8;
const EIGHT_HOURS_MS = 8 * 60 * 60 * 1000;

/** floor(a / b) for bigints (b ≠ 0). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** ceil(a / b) for bigints (b ≠ 0). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** The nearest integer to a / b, halves away from zero (rules: Prices, `round`). */
export function roundDiv(a: bigint, b: bigint): bigint {
  const negative = (a < 0n) !== (b < 0n);
  const n = a < 0n ? -a : a;
  const d = b < 0n ? -b : b;
  const q = (2n * n + d) / (2n * d);
  return negative ? -q : q;
}

const rate = (text: string): bigint => parseScaled(text, 8);
const exact = (text: string): { units: bigint; decimals: number } => {
  const decimals = decimalPlaces(text);
  return { units: parseScaled(text, decimals), decimals };
};

export interface RefTier {
  /** Notional floor, amount units. */
  floor: bigint;
  mmr: bigint;
  /** Maintenance amount: cum(1) = 0, cum(n) = floor(n) × (MMR(n) − MMR(n−1)) / RS + cum(n−1). */
  cum: bigint;
  maxLeverage: number;
}

export interface SymbolRules {
  spec: Readonly<SymbolSpec>;
  symbol: string;
  settleAsset: string;
  /** K = tickSize × contractSize × 10⁸: amount units per contract per tick. */
  k: bigint;
  makerFeeRate: bigint;
  takerFeeRate: bigint;
  priceBandRate: bigint;
  tiers: readonly RefTier[];
  /** The funding rate of a settlement with no premium sample, 10⁻⁸ (see fundingRateWithoutSamples). */
  fundingRate: bigint;
}

export function readSymbolRules(spec: SymbolSpec): SymbolRules {
  const tick = exact(spec.tickSize);
  const size = exact(spec.contractSize);
  const k = tick.units * size.units * 10n ** BigInt(AMOUNT_DECIMALS - tick.decimals - size.decimals);
  const tiers: RefTier[] = [];
  for (const t of spec.tiers) {
    const floor = parseScaled(t.notionalFloor, AMOUNT_DECIMALS);
    const mmr = rate(t.maintenanceMarginRate);
    const prev = tiers[tiers.length - 1];
    const cum = prev === undefined ? 0n : (floor * (mmr - prev.mmr)) / RS + prev.cum;
    tiers.push({ floor, mmr, cum, maxLeverage: t.maxLeverage });
  }
  const rules: Omit<SymbolRules, 'fundingRate'> = {
    spec, symbol: spec.symbol, settleAsset: spec.settleAsset, k,
    makerFeeRate: rate(spec.makerFeeRate), takerFeeRate: rate(spec.takerFeeRate), priceBandRate: rate(spec.priceBandRate), tiers,
  };
  return { ...rules, fundingRate: fundingRateWithoutSamples(spec, tiers[0]!.mmr) };
}

/** 0-based index of the tier a notional falls in: the last tier whose floor it reaches. */
export function tierIndexOf(tiers: readonly RefTier[], notional: bigint): number {
  let found = 0;
  tiers.forEach((t, i) => { if (notional >= t.floor) found = i; });
  return found;
}

/** Maintenance margin of a notional: ceil(notional × MMR / RS) − cum of its tier, never below 0. */
export function maintenanceOf(tiers: readonly RefTier[], notional: bigint): bigint {
  const tier = tiers[tierIndexOf(tiers, notional)]!;
  const mm = ceilDiv(notional * tier.mmr, RS) - tier.cum;
  return mm > 0n ? mm : 0n;
}

/**
 * Rules "Prices", funding rate with no premium sample (P̄ = 0): F = round(clamp(I, ±premiumClamp) ×
 * interval / 8 h), then clamped to ±fundingRateCap, whose default is
 * floor(0.75 × (10⁸ / maxLeverage − MMR₁)) (computed exactly).
 */
function fundingRateWithoutSamples(spec: SymbolSpec, firstMmr: bigint): bigint {
  const pricing = spec.pricing ?? {};
  const interest = rate(pricing.interestRate ?? '0.0001');
  const clampBound = rate(pricing.premiumClamp ?? '0.0005');
  const intervalMs = BigInt((pricing.fundingIntervalMinutes ?? 480) * 60_000);
  const leverage = BigInt(spec.maxLeverage);
  const cap = pricing.fundingRateCap !== undefined ? rate(pricing.fundingRateCap) : floorDiv(3n * (RS - firstMmr * leverage), 4n * leverage);
  const clamp = (x: bigint, bound: bigint): bigint => (x > bound ? bound : x < -bound ? -bound : x);
  return clamp(roundDiv(clamp(interest, clampBound) * intervalMs, BigInt(EIGHT_HOURS_MS)), cap);
}

// ---------------------------------------------------------------------------------------------
// Inverse and delivery contracts (rules: "Inverse contracts", "Delivery"): only what a delivery
// settlement needs. The reference model itself trades linear symbols only; the property tests use
// these to check every delivery event of the inverse-and-delivery streams independently.

/** The inverse cost scale S = 10⁸: inverse costs are in 10⁻¹⁶ of the coin. */
export const INVERSE_S = 100_000_000n;

export interface DeliveryRules {
  inverse: boolean;
  /** Linear: K (amount units per contract per tick). */
  k: bigint;
  /** Inverse: C (q contracts at p ticks are worth q × C / p amount units); 0 for a linear symbol. */
  c: bigint;
  time: number;
  windowMs: number;
  feeRate: bigint;
}

/** An inverse symbol's C = contractSize × 10⁸ / tickSize (amount units × ticks per contract); null for a linear one. */
export function inverseValueOf(spec: SymbolSpec): bigint | null {
  if (spec.underlyingType !== 'COIN_BASED') return null;
  const tick = exact(spec.tickSize);
  const size = exact(spec.contractSize);
  // C = (size.units / 10^size.decimals) × 10⁸ / (tick.units / 10^tick.decimals).
  const num = size.units * 10n ** BigInt(AMOUNT_DECIMALS + tick.decimals);
  const den = tick.units * 10n ** BigInt(size.decimals);
  if (num % den !== 0n) throw new Error(`${spec.symbol}: contractSize × 10⁸ / tickSize is not whole`);
  return num / den;
}

export function readDeliveryRules(spec: SymbolSpec): DeliveryRules | null {
  if (spec.contractType !== 'DELIVERY' || spec.delivery === undefined) return null;
  const c = inverseValueOf(spec);
  return {
    inverse: c !== null,
    k: readSymbolRules(spec).k,
    c: c ?? 0n,
    time: spec.delivery.deliveryTime,
    windowMs: spec.delivery.averagingWindowMs ?? 30 * 60_000,
    feeRate: rate(spec.delivery.deliveryFeeRate ?? '0'),
  };
}

/**
 * The delivery price from the accepted index changes (time, price) of the symbol, in command order:
 * the time-weighted mean over [time − window, time], each index holding until the next change, the
 * part of the window before the first index not counted; rounded to the tick, halves up. Without an
 * index in the window: the index as it stands, else `fallback` (the mark, else the last price).
 */
export function deliveryPriceOf(rules: DeliveryRules, index: readonly { time: number; price: number }[], fallback: number | null): number | null {
  const start = rules.time - rules.windowMs;
  let sum = 0n;
  let ms = 0n;
  index.forEach((change, i) => {
    const until = Math.min(index[i + 1]?.time ?? rules.time, rules.time);
    const from = Math.max(change.time, start);
    if (until > from) {
      sum += BigInt(change.price) * BigInt(until - from);
      ms += BigInt(until - from);
    }
  });
  if (ms > 0n) return Number(roundDiv(sum, ms));
  return index[index.length - 1]?.price ?? fallback;
}

/**
 * A position closed by the delivery at `price`: realized PnL (before the fee) and the fee, amount
 * units. Linear: PnL = K × (q × D − entryCost) for a long (q > 0), K × (entryCost − |q| × D) for a
 * short; fee = ceil(K × |q| × D × rate / RS). Inverse: the exit cost X = |q| × C × S / D rounded up
 * for a long, down for a short; PnL = floor((entryCost − X) / S) for a long, floor((X − entryCost) / S)
 * for a short; fee = ceil(|q| × C × rate / (D × RS)).
 */
export function deliveryCloseOf(rules: DeliveryRules, qty: number, entryCost: bigint, price: number): { realizedPnl: bigint; fee: bigint } {
  const q = BigInt(Math.abs(qty));
  const d = BigInt(price);
  if (!rules.inverse) {
    const exit = q * d;
    return {
      realizedPnl: rules.k * (qty > 0 ? exit - entryCost : entryCost - exit),
      fee: ceilDiv(rules.k * exit * rules.feeRate, RS),
    };
  }
  const exact = q * rules.c * INVERSE_S;
  const exit = qty > 0 ? ceilDiv(exact, d) : floorDiv(exact, d);
  return {
    realizedPnl: floorDiv(qty > 0 ? entryCost - exit : exit - entryCost, INVERSE_S),
    fee: ceilDiv(q * rules.c * rules.feeRate, d * RS),
  };
}
