/**
 * Binance names and units for the engine's symbols: `btc_usdt` is `BTCUSDT`; quantities are base
 * units (contracts × contractSize), prices decimals. Every conversion is exact: a quantity that is
 * not a whole number of contracts, or a price off the tick, is refused rather than rounded.
 */
import { AMOUNT_DECIMALS, decimalPlaces, formatAmount, formatRatio, formatScaled, parseScaled } from '../../engine/fixed.js';
import { formatPrice as enginePrice, parsePrice as enginePriceParse } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';

export interface BinanceSymbol {
  readonly name: string;
  readonly config: SymbolConfig;
  /** Decimals of the base quantity: those of contractSize (0.001 → 3). */
  readonly qtyDecimals: number;
  /** contractSize in units of 10^-qtyDecimals of the base asset. */
  readonly contractUnits: bigint;
  /** Decimals of a wire amount that is a whole number of K (PnL at tick × contract precision). */
  readonly pnlDecimals: number;
}

/** `btc_usdt` → `BTCUSDT`. */
export const binanceName = (symbol: string): string => symbol.replace('_', '').toUpperCase();

export class BinanceSymbols {
  private readonly byName = new Map<string, BinanceSymbol>();
  private readonly byEngine = new Map<string, BinanceSymbol>();

  constructor(configs: readonly SymbolConfig[]) {
    for (const config of configs) {
      const qtyDecimals = decimalPlaces(config.spec.contractSize);
      const k = config.valuePerTickContract;
      let pnlDecimals = AMOUNT_DECIMALS;
      for (let unit = k; pnlDecimals > 0 && unit % 10n === 0n; unit /= 10n) pnlDecimals -= 1;
      const symbol: BinanceSymbol = {
        name: binanceName(config.symbol), config, qtyDecimals, contractUnits: parseScaled(config.spec.contractSize, qtyDecimals), pnlDecimals,
      };
      this.byName.set(symbol.name, symbol);
      this.byEngine.set(config.symbol, symbol);
    }
  }

  all(): BinanceSymbol[] {
    return [...this.byName.values()];
  }

  /** By Binance name (`BTCUSDT`, case-insensitive). */
  find(name: string | undefined): BinanceSymbol | undefined {
    return name === undefined ? undefined : this.byName.get(name.toUpperCase());
  }

  /** By engine symbol (`btc_usdt`). */
  of(symbol: string): BinanceSymbol {
    const found = this.byEngine.get(symbol);
    if (found === undefined) throw new Error(`symbol ${symbol} is not configured`);
    return found;
  }
}

/** Contracts as a base quantity with the symbol's step decimals; "0" for none (seed 002's `pa`). */
export function formatQty(symbol: BinanceSymbol, contracts: number): string {
  if (contracts === 0) return '0';
  return formatScaled(BigInt(contracts) * symbol.contractUnits, symbol.qtyDecimals);
}

/** A base quantity as whole contracts: undefined if not a positive multiple of contractSize. */
export function parseQty(symbol: BinanceSymbol, text: string): number | undefined {
  let units: bigint;
  try {
    units = parseScaled(text, symbol.qtyDecimals);
  } catch {
    return undefined;
  }
  if (units <= 0n || units % symbol.contractUnits !== 0n) return undefined;
  const contracts = units / symbol.contractUnits;
  return contracts <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(contracts) : undefined;
}

export function formatPrice(symbol: BinanceSymbol, ticks: number): string {
  return ticks === 0 ? '0' : enginePrice(symbol.config, ticks);
}

export function parsePrice(symbol: BinanceSymbol, text: string): number | undefined {
  return enginePriceParse(symbol.config, text);
}

/** Decimals of an average (entry, break-even) price: 3 past the tick, at least 5 ("375.74000"). */
export const averageDecimals = (symbol: BinanceSymbol): number => Math.max(5, symbol.config.priceDecimals + 3);

/**
 * An average price `cost / qty` (ticks × contracts over contracts) with a fixed number of decimals,
 * rounded half away from zero; zeros ("0.00000") when there is no quantity, as Binance sends `ep`.
 */
export function formatAverage(symbol: BinanceSymbol, cost: bigint, qty: number): string {
  const decimals = averageDecimals(symbol);
  if (qty === 0) return formatScaled(0n, decimals);
  const { config } = symbol;
  const text = formatRatio(cost * config.tickUnits, BigInt(Math.abs(qty)) * 10n ** BigInt(config.priceDecimals), decimals);
  return fixDecimals(text, decimals);
}

/** A settle-asset price given in amount units (10^-8) per base unit, with the average decimals. */
export function formatUnitPrice(symbol: BinanceSymbol, units: bigint): string {
  const decimals = averageDecimals(symbol);
  return fixDecimals(formatRatio(units, 10n ** BigInt(AMOUNT_DECIMALS), decimals), decimals);
}

function fixDecimals(text: string, decimals: number): string {
  const [whole, frac = ''] = text.split('.');
  return decimals === 0 ? whole! : `${whole}.${frac.padEnd(decimals, '0')}`;
}

/** An amount (10^-8 units) with all 8 decimals, or "0" (seed 002: `wb`, `cw`, `cr`, `iw`). */
export const amount8 = (units: bigint): string => (units === 0n ? '0' : formatAmount(units, AMOUNT_DECIMALS));

/** A PnL-like amount at the symbol's tick × contract precision, or "0" (seed 002: `up` "0.17770"). */
export function pnlAmount(symbol: BinanceSymbol, units: bigint): string {
  if (units === 0n) return '0';
  return formatAmount(units, units % 10n ** BigInt(AMOUNT_DECIMALS - symbol.pnlDecimals) === 0n ? symbol.pnlDecimals : AMOUNT_DECIMALS);
}

/** An amount for REST objects: plain decimal, trailing zeros trimmed. */
export const amount = (units: bigint): string => formatAmount(units);
