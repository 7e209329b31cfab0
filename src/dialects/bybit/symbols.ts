/**
 * Bybit names and units for the engine's symbols (enum.mdx "symbol"): `btc_usdt` is `BTCUSDT`,
 * the inverse perpetual `btc_usd` is `BTCUSD`, an inverse quarterly `btc_usd270326` is `BTCUSDH27`
 * (H/M/U/Z: the quarter, then the year) and a USDT quarterly `btc_usdt270326` is `BTCUSDT-26MAR27`.
 * Linear quantities are base units (contracts × contractSize, Bybit's qtyStep is the contract
 * size); inverse quantities are USD, as Bybit counts them (contracts × the contract's USD value,
 * 100 for `btc_usd`). Prices are decimal strings at the tick's precision. Conversions are exact:
 * a quantity that is not a whole number of contracts, or a price off the tick, is refused rather
 * than rounded.
 */
import { AMOUNT_DECIMALS, decimalPlaces, formatAmount, formatRatio, formatScaled, parseScaled } from '../../engine/fixed.js';
import { formatBaseQty, formatPrice } from '../../engine/format.js';
import { valueOfCost } from '../../engine/margin.js';
import type { SymbolConfig } from '../../engine/symbol.js';

export type Symbols = ReadonlyMap<string, SymbolConfig>;

/** Bybit's product category of a contract: inverse (coin-margined) or linear. */
export type Category = 'linear' | 'inverse';
export const categoryOfConfig = (config: Pick<SymbolConfig, 'inverse'>): Category => (config.inverse ? 'inverse' : 'linear');

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** Bybit's inverse futures quarter letter by delivery month (enum.mdx: H first quarter … Z fourth). */
const QUARTER_LETTER: Record<number, string> = { 3: 'H', 6: 'M', 9: 'U', 12: 'Z' };

/**
 * The Bybit symbol of an engine symbol. An engine delivery symbol ends in its delivery date
 * (`yymmdd`, checked against the configuration by BybitSymbols); a `usd` quote is a coin-margined
 * contract, as every Bybit `…USD` symbol is.
 */
export function bybitSymbol(engineSymbol: string): string {
  const match = /^([a-z0-9]+)_([a-z0-9]+?)(?:(\d{2})(\d{2})(\d{2}))?$/.exec(engineSymbol);
  if (match === null || match[3] === undefined) return engineSymbol.replace('_', '').toUpperCase();
  const [, base, quote, yy, mm, dd] = match as unknown as [string, string, string, string, string, string];
  const month = Number(mm);
  if (quote === 'usd') {
    const letter = QUARTER_LETTER[month];
    // Bybit's inverse futures deliver in March, June, September or December; another month has no Bybit name (not listed).
    if (letter === undefined) return engineSymbol.replace('_', '').toUpperCase();
    return `${base.toUpperCase()}USD${letter}${yy}`;
  }
  return `${base.toUpperCase()}${quote.toUpperCase()}-${Number(dd)}${MONTHS[month - 1]!}${yy}`;
}

/** The delivery date an engine symbol's name says (`yymmdd`, UTC), if it has one. */
function namedDeliveryDay(engineSymbol: string): string | undefined {
  return /(\d{6})$/.exec(engineSymbol)?.[1];
}

/** Symbol lookups both ways, built once from the engine's configuration. */
export class BybitSymbols {
  private readonly byBybit = new Map<string, SymbolConfig>();
  readonly byEngine: Symbols;

  constructor(configs: readonly SymbolConfig[]) {
    this.byEngine = new Map(configs.map((c) => [c.symbol, c]));
    for (const config of configs) {
      // Listed only when the Bybit name tells the contract right: a delivery symbol's name carries its
      // configured delivery date (a perpetual's none), an inverse one is a …USD symbol, an inverse
      // future delivers in a quarter month. Another exchange's symbol that does not fit is not listed here.
      const named = namedDeliveryDay(config.symbol);
      const actual = config.delivery === null ? undefined : new Date(config.delivery.time).toISOString().slice(2, 10).replaceAll('-', '');
      const name = bybitSymbol(config.symbol);
      const quarterly = !config.inverse || config.delivery === null || /USD[HMUZ]\d{2}$/.test(name);
      if (named !== actual || config.inverse !== /_usd(\d{6})?$/.test(config.symbol) || !quarterly || this.byBybit.has(name)) continue;
      this.byBybit.set(name, config);
    }
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

  /** The listed symbols (those with a Bybit name, see the constructor). */
  all(): SymbolConfig[] {
    return [...this.byBybit.values()];
  }
}

/** Contracts as Bybit's quantity: base units ("0.001" for 10 contracts of 0.0001), or USD for inverse ("300" for 3 contracts of 100 USD). */
export function baseQty(config: SymbolConfig, contracts: number): string {
  if (!config.inverse) return formatBaseQty(config, contracts);
  const decimals = decimalPlaces(config.spec.contractSize);
  return formatScaled(BigInt(contracts) * parseScaled(config.spec.contractSize, decimals), decimals, 0);
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

/** Value of `contracts` at `ticks` in the settle asset: qty × price (linear, exact), qty / price in coin (inverse, to 1e-8). */
export function value(config: SymbolConfig, contracts: number, ticks: bigint | number): string {
  if (!config.inverse) return formatAmount(BigInt(contracts) * BigInt(ticks) * config.valuePerTickContract);
  return BigInt(ticks) > 0n ? formatRatio(BigInt(contracts) * config.inverseValue, BigInt(ticks) * 10n ** BigInt(AMOUNT_DECIMALS), AMOUNT_DECIMALS) : '0';
}

/** Value of a cost (margin.ts: an order's cumCost, a position's entryCost) in the settle asset. */
export function costValue(config: SymbolConfig, cost: bigint): string {
  return formatAmount(valueOfCost(config, cost));
}

/** An amount of 1e-8 settle units per base unit as a price string (liquidation, bankruptcy). */
export function unitPrice(amount: bigint | null): string {
  return amount === null ? '' : formatAmount(amount);
}

/** Exact quotient as a decimal with `decimals` places (half away from zero). */
export function ratio(num: bigint, den: bigint, decimals = AMOUNT_DECIMALS): string {
  return formatRatio(num, den, decimals);
}

/** A market-data turnover (market-data.ts: Σ the trades' costs) in the settle asset: USDT, or the coin of an inverse contract. */
export function turnover(config: SymbolConfig, quoteVolume: bigint): string {
  return formatAmount(valueOfCost(config, quoteVolume));
}
