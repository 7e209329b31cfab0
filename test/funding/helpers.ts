/**
 * Shared pieces of the price and funding tests: a symbol with round numbers for the vectors, an
 * engine harness that knows it, and a seeded PRNG.
 *
 * V_USDT: tick 1, contract 0.001, no fees, max leverage 125 (IMR 0.8%), tier-1 MMR 0.4%, so
 * K = 1 × 0.001 × 10^8 = 100,000 units per contract-tick, one contract at 30,000 is 30 USDT, and
 * the default impact notional is 200 × 125 = 25,000 USDT, the default cap 0.75 × 0.4% = 0.3%.
 */
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { EngineOptions } from '../../src/engine/engine.js';
import type { PricingSpec } from '../../src/engine/pricing-config.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import type { EngineEvent, FundingEvent, PositionSide } from '../../src/engine/types.js';
import { Harness as EngineHarness } from '../engine/helpers.js';

export const V = 'v_usdt';
export const EIGHT_HOURS = 8 * 60 * 60 * 1000;
/** 2023-11-14T16:00:00Z: a funding time on the 8-hour grid. */
export const GRID = 1_699_977_600_000;

export function vSymbol(pricing?: PricingSpec, symbol = V): SymbolSpec {
  return {
    symbol, baseAsset: 'V', quoteAsset: 'USDT', settleAsset: 'USDT', contractType: 'PERPETUAL', underlyingType: 'U_BASED',
    tickSize: '1', contractSize: '0.001', minQty: 1, maxQty: 1_000_000, makerFeeRate: '0', takerFeeRate: '0', maxLeverage: 125,
    tiers: [{ notionalFloor: '0', maintenanceMarginRate: '0.004', maxLeverage: 125 }],
    priceBandRate: '0.5', maxPriceTicks: 100_000_000, maxPositionQty: 10_000_000,
    ...(pricing === undefined ? {} : { pricing }),
  };
}

/** The engine test harness over the demo symbols plus V_USDT (with `pricing`), starting on a funding time. */
export class Harness extends EngineHarness {
  constructor(options: Partial<EngineOptions> & { pricing?: PricingSpec } = {}) {
    const { pricing, ...rest } = options;
    super({ symbols: [...DEMO_SYMBOLS, vSymbol(pricing)], ...rest });
    this.time = GRID;
  }

  index(price: number, symbol = V): ReturnType<EngineHarness['apply']> {
    const applied = this.apply({ type: 'setIndexPrice', symbol, price });
    assert.equal(applied.result.ok, true, `setIndexPrice ${price} refused`);
    return applied;
  }

  tick(symbol?: string): ReturnType<EngineHarness['apply']> {
    const applied = this.apply({ type: 'sampleRisk', ...(symbol === undefined ? {} : { symbol }) });
    assert.equal(applied.result.ok, true, 'sampleRisk refused');
    return applied;
  }

  settle(symbol = V, fundingTime?: number): ReturnType<EngineHarness['apply']> {
    const applied = this.apply({ type: 'settleFunding', symbol, ...(fundingTime === undefined ? {} : { fundingTime }) });
    assert.equal(applied.result.ok, true, `settleFunding refused: ${JSON.stringify(applied.result)}`);
    return applied;
  }

  /** Opens `qty` contracts long for `long` and short for `short` at `price` (one trade). */
  open(long: number, short: number, qty: number, price: number, symbol = V, sides: [PositionSide, PositionSide] = ['BOTH', 'BOTH']): void {
    this.trade(short, long, 'BUY', qty, price, { symbol, positionSide: sides[0] }, { symbol, positionSide: sides[1] });
  }

  markOf(symbol = V): number | null {
    return this.engine.market(symbol)!.markPrice;
  }
}

export function fundingEvents(events: readonly EngineEvent[]): FundingEvent[] {
  return events.filter((e): e is FundingEvent => e.type === 'funding');
}

/** mulberry32: a small seeded PRNG, so random tests reproduce from their seed. */
export function seeded(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(items: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}
