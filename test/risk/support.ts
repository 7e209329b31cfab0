/**
 * Shared pieces of the risk tests: symbols with round numbers, an engine harness bound to one symbol,
 * and exact helpers (equity and maintenance at a rational price, straight from risk.md §5.1–5.3,
 * written independently of src/engine/risk).
 */
import assert from 'node:assert/strict';
import { parseAmount } from '../../src/engine/fixed.js';
import type { SymbolSpec, Tier } from '../../src/engine/symbol.js';
import type { EngineEvent, PositionSide } from '../../src/engine/types.js';
import { Harness, type OrderOpts } from '../engine/helpers.js';
import type { EngineOptions } from '../../src/engine/engine.js';

export const usdt = parseAmount;

/** The old Binance BTCUSDT bracket table of risk.md §5.1 (as the demo BTC symbol carries it). */
export const BINANCE_BTC_TIERS: SymbolSpec['tiers'] = [
  { notionalFloor: '0', maintenanceMarginRate: '0.004', maxLeverage: 125 },
  { notionalFloor: '50000', maintenanceMarginRate: '0.005', maxLeverage: 100 },
  { notionalFloor: '250000', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  { notionalFloor: '1000000', maintenanceMarginRate: '0.025', maxLeverage: 20 },
];

/** Binance's old ETHUSDT brackets: tier 6 has MMR 10 % and cum 135,365 (risk.md V2). */
export const BINANCE_ETH_TIERS: SymbolSpec['tiers'] = [
  { notionalFloor: '0', maintenanceMarginRate: '0.005', maxLeverage: 100 },
  { notionalFloor: '10000', maintenanceMarginRate: '0.0065', maxLeverage: 75 },
  { notionalFloor: '100000', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  { notionalFloor: '500000', maintenanceMarginRate: '0.02', maxLeverage: 25 },
  { notionalFloor: '1000000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  { notionalFloor: '2000000', maintenanceMarginRate: '0.1', maxLeverage: 5 },
];

/**
 * A symbol whose numbers read like the vectors: a tick is 1 USDT, a contract `contractSize` BTC, no
 * fees (so a wallet holds exactly what the vector says), a 50 % price band (liquidations may walk).
 */
export function spec(overrides: Partial<SymbolSpec> = {}): SymbolSpec {
  return {
    symbol: 'vec_usdt', baseAsset: 'VEC', quoteAsset: 'USDT', settleAsset: 'USDT', contractType: 'PERPETUAL', underlyingType: 'U_BASED',
    tickSize: '1', contractSize: '1', minQty: 1, maxQty: 1_000_000, makerFeeRate: '0', takerFeeRate: '0', maxLeverage: 125,
    tiers: BINANCE_BTC_TIERS, priceBandRate: '0.5', maxPriceTicks: 10_000_000, maxPositionQty: 10_000_000, ...overrides,
  };
}

/** The engine test harness, every order on one symbol. */
export class RiskHarness extends Harness {
  constructor(readonly symbol: string, options: Partial<EngineOptions> & { symbols: EngineOptions['symbols'] }) {
    super(options);
  }

  on(accountId: number, side: 'BUY' | 'SELL', qty: number, price: number, extra: Partial<OrderOpts> = {}) {
    return this.place(accountId, { side, qty, price, symbol: this.symbol, ...extra });
  }

  markAt(price: number) {
    return this.mark(price, this.symbol);
  }

  pos(accountId: number, side: PositionSide = 'BOTH') {
    return this.position(accountId, this.symbol, side);
  }

  setup(accountId: number, opts: { leverage?: number; isolated?: boolean; hedge?: boolean }): void {
    if (opts.hedge) assert.equal(this.apply({ type: 'setPositionMode', accountId, positionMode: 'HEDGE' }).result.ok, true);
    if (opts.isolated) assert.equal(this.apply({ type: 'setMarginMode', accountId, symbol: this.symbol, marginMode: 'ISOLATED' }).result.ok, true);
    if (opts.leverage !== undefined) {
      const applied = this.apply({ type: 'setLeverage', accountId, symbol: this.symbol, leverage: opts.leverage });
      assert.equal(applied.result.ok, true, `setLeverage ${opts.leverage}: ${JSON.stringify(applied.result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
  }

  /** `maker` rests, `taker` takes it all: both get positions (qty contracts at price). */
  open(maker: number, taker: number, takerSide: 'BUY' | 'SELL', qty: number, price: number, makerSide?: PositionSide, takerSide2?: PositionSide): void {
    this.trade(maker, taker, takerSide, qty, price, { symbol: this.symbol, ...(takerSide2 ? { positionSide: takerSide2 } : {}) },
      { symbol: this.symbol, ...(makerSide ? { positionSide: makerSide } : {}) });
  }
}

// ---------------------------------------------------------------------------------------------
// Exact formulas, written from risk.md alone (independent of src/engine/risk)

export interface TestLeg {
  sign: 1n | -1n;
  /** Base units per contract × contracts, as contracts; K converts. */
  qty: bigint;
  entryCost: bigint;
}

/** The tier (index) a notional falls in. */
export function tierOf(tiers: readonly Tier[], notional: bigint): Tier {
  let found = tiers[0]!;
  for (const t of tiers) if (notional >= t.floor) found = t;
  return found;
}

/**
 * equity − maintenance at the rational price n/d (ticks), scaled by d × RS so it is an integer:
 * (E0 + K Σσ(Q·P − E)) − (M0 + Σ (Q·P·K·MMR/RS − cum)), each leg in the tier of its notional at P.
 */
export function gapAt(k: bigint, tiers: readonly Tier[], legs: readonly TestLeg[], equityBase: bigint, maintenanceBase: bigint, n: bigint, d: bigint): bigint {
  const RS = 100_000_000n;
  let scaled = (equityBase - maintenanceBase) * d * RS;
  for (const leg of legs) {
    scaled += RS * k * leg.sign * (leg.qty * n - leg.entryCost * d);
    // Tier at the rational price: notional·d = Q·K·n compared with floor·d.
    const tier = tierOf(tiers.map((t) => ({ ...t, floor: t.floor * d })), leg.qty * k * n);
    scaled -= leg.qty * n * k * tier.mmr - RS * tier.cum * d;
  }
  return scaled;
}

export function eventsFor(events: readonly EngineEvent[], accountId: number): EngineEvent[] {
  return events.filter((e) => e.accountId === accountId);
}

/** `type[:detail]` labels of events, for asserting exact push order. */
export function describe(events: readonly EngineEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'order': return `a${e.accountId} order ${e.execType} ${e.order.source} ${e.order.state}${e.order.reason === 'NONE' ? '' : ` ${e.order.reason}`}`;
      case 'trade': return `a${e.accountId} trade ${e.source} ${e.qty}@${e.price}`;
      case 'position': return `a${e.accountId} position ${e.position.positionSide} ${e.position.qty} ${e.position.status} (${e.reason})`;
      case 'balance': return `a${e.accountId} balance (${e.reason})`;
      case 'notice': return `a${e.accountId} notice ${e.notice} ${e.direction} ${e.qty}`;
      case 'riskLimit': return `a${e.accountId} riskLimit ${e.success} ${e.riskLevel}`;
      default: return `a${e.accountId} ${e.type}`;
    }
  });
}
