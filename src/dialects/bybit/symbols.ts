/**
 * Bybit names and units for the engine's symbols: `btc_usdt` is `BTCUSDT`, quantities are base
 * units (contracts × contractSize, Bybit's qtyStep is the contract size) and prices are decimal
 * strings at the tick's precision. Conversions are exact: a quantity that is not a whole number
 * of contracts, or a price off the tick, is refused rather than rounded.
 */
import { AMOUNT_DECIMALS, decimalPlaces, formatAmount, formatRatio, parseScaled } from '../../engine/fixed.js';
import { formatBaseQty, formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';

export type Symbols = ReadonlyMap<string, SymbolConfig>;

/** The Bybit symbol of an engine symbol: `btc_usdt` → `BTCUSDT`. */
export function bybitSymbol(engineSymbol: string): string {
  return engineSymbol.replace('_', '').toUpperCase();
}

/** Symbol lookups both ways, built once from the engine's configuration. */
export class BybitSymbols {
  private readonly byBybit = new Map<string, SymbolConfig>();
  readonly byEngine: Symbols;

  constructor(configs: readonly SymbolConfig[]) {
    this.byEngine = new Map(configs.map((c) => [c.symbol, c]));
    for (const config of configs) this.byBybit.set(bybitSymbol(config.symbol), config);
  }

  /** The configuration of a Bybit symbol name (upper case, as Bybit requires), if listed. */
  find(bybit: string): SymbolConfig | undefined {
    return this.byBybit.get(bybit);
  }

  config(engineSymbol: string): SymbolConfig {
    const config = this.byEngine.get(engineSymbol);
    if (config === undefined) throw new Error(`symbol ${engineSymbol} is not configured`);
    return config;
  }

  all(): SymbolConfig[] {
    return [...this.byEngine.values()];
  }
}

/** Contracts as Bybit's base quantity ("0.001" for 10 contracts of 0.0001). */
export function baseQty(config: SymbolConfig, contracts: number): string {
  return formatBaseQty(config, contracts);
}

/**
 * A Bybit base quantity as whole contracts; undefined if it is not a positive whole number of
 * contracts (more decimals than the contract size has, or not a multiple of it).
 */
export function parseBaseQty(config: SymbolConfig, text: string): number | undefined {
  const sizeDecimals = decimalPlaces(config.spec.contractSize);
  let units: bigint;
  let size: bigint;
  try {
    units = parseScaled(text, sizeDecimals);
    size = parseScaled(config.spec.contractSize, sizeDecimals);
  } catch {
    return undefined;
  }
  if (units <= 0n || units % size !== 0n) return undefined;
  const contracts = units / size;
  return contracts <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(contracts) : undefined;
}

/** A price in ticks as a Bybit price string; "0" for none. */
export function price(config: SymbolConfig, ticks: number): string {
  return ticks > 0 ? formatPrice(config, ticks) : '0';
}

/** Value of `contracts` at `ticks` in the settle asset (qty × price), exact. */
export function value(config: SymbolConfig, contracts: number, ticks: bigint | number): string {
  return formatAmount(BigInt(contracts) * BigInt(ticks) * config.valuePerTickContract);
}

/** Value of a ticks × contracts cost (an order's cumQuote, a position's entryCost). */
export function costValue(config: SymbolConfig, cost: bigint): string {
  return formatAmount(cost * config.valuePerTickContract);
}

/** An amount of 1e-8 settle units per base unit as a price string (liquidation, bankruptcy). */
export function unitPrice(amount: bigint | null): string {
  return amount === null ? '' : formatAmount(amount);
}

/** Exact quotient as a decimal with `decimals` places (half away from zero). */
export function ratio(num: bigint, den: bigint, decimals = AMOUNT_DECIMALS): string {
  return formatRatio(num, den, decimals);
}
