/**
 * Binance names and units for the engine's symbols, split as Binance splits its markets:
 * USDⓈ-M (/fapi: linear, `btc_usdt` is `BTCUSDT`, a quarterly `BTCUSDT_270326`) and COIN-M (/dapi:
 * inverse, `BTCUSD_PERP`, `BTCUSD_270326`). USDⓈ-M quantities are base units (contracts ×
 * contractSize); COIN-M quantities are contracts, as Binance's COIN-M API counts them. Every
 * conversion is exact: a quantity that is not a whole number of contracts, or a price off the tick,
 * is refused rather than rounded.
 */
import { AMOUNT_DECIMALS, decimalPlaces, formatAmount, formatRatio, formatScaled, parseScaled } from '../../engine/fixed.js';
import { formatEntryPrice, formatPrice as enginePrice, parsePrice as enginePriceParse } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';

/** Binance's two futures markets: USDⓈ-M (/fapi, fstream) and COIN-M (/dapi, dstream). */
export type BinanceMarket = 'usdm' | 'coinm';

export const marketOf = (config: SymbolConfig): BinanceMarket => (config.inverse ? 'coinm' : 'usdm');

export interface BinanceSymbol {
  readonly name: string;
  readonly market: BinanceMarket;
  readonly config: SymbolConfig;
  /** Decimals of the base quantity: those of contractSize (0.001 → 3). */
  readonly qtyDecimals: number;
  /** contractSize in units of 10^-qtyDecimals of the base asset. */
  readonly contractUnits: bigint;
  /** Decimals of a wire amount that is a whole number of K (PnL at tick × contract precision). */
  readonly pnlDecimals: number;
}

/** A delivery time as Binance's symbol suffix: 2027-03-26 → `270326` (UTC). */
export function yymmdd(time: number): string {
  const d = new Date(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
}

/**
 * Binance's name: the pair (`BTCUSDT`, `BTCUSD`), then `_YYMMDD` for a delivery contract and `_PERP`
 * for a COIN-M perpetual (USDⓈ-M perpetuals are the bare pair).
 */
export function binanceName(config: SymbolConfig): string {
  const pair = pairOf(config);
  if (config.delivery !== null) return `${pair}_${yymmdd(config.delivery.time)}`;
  return config.inverse ? `${pair}_PERP` : pair;
}

/** The pair Binance groups a perpetual and its quarterlies under (`BTCUSD`). */
export const pairOf = (config: SymbolConfig): string => `${config.spec.baseAsset}${config.spec.quoteAsset}`.toUpperCase();

export class BinanceSymbols {
  private readonly byName = new Map<string, BinanceSymbol>();
  private readonly byEngine = new Map<string, BinanceSymbol>();

  /**
   * `market`: the API these symbols serve (find/all list only its kind, so a symbol of the other
   * market is Binance's -1121 Invalid symbol there); `of` still names any engine symbol, for the
   * account-wide figures. Undefined: both markets (tests, the WebSocket API).
   */
  constructor(configs: readonly SymbolConfig[], readonly market?: BinanceMarket) {
    for (const config of configs) {
      const inverse = config.inverse;
      // COIN-M quantities are whole contracts: no decimals, one unit per contract.
      const qtyDecimals = inverse ? 0 : decimalPlaces(config.spec.contractSize);
      let pnlDecimals = AMOUNT_DECIMALS;
      // Linear PnL moves in steps of K (tick × contract value); an inverse one in any coin unit.
      if (!inverse) for (let unit = config.valuePerTickContract; pnlDecimals > 0 && unit % 10n === 0n; unit /= 10n) pnlDecimals -= 1;
      const symbol: BinanceSymbol = {
        name: binanceName(config), market: marketOf(config), config, qtyDecimals,
        contractUnits: inverse ? 1n : parseScaled(config.spec.contractSize, qtyDecimals), pnlDecimals,
      };
      this.byEngine.set(config.symbol, symbol);
      if (market === undefined || symbol.market === market) this.byName.set(symbol.name, symbol);
    }
  }

  /** The same configuration restricted to one market. */
  only(market: BinanceMarket): BinanceSymbols {
    return new BinanceSymbols([...this.byEngine.values()].map((s) => s.config), market);
  }

  /** Whether an engine symbol is listed here (an event of the other market's symbol is not this API's). */
  lists(engineSymbol: string): boolean {
    const found = this.byEngine.get(engineSymbol);
    return found !== undefined && this.byName.get(found.name) === found;
  }

  /** Whether an asset is a margin asset of a symbol listed here. */
  marginAsset(asset: string): boolean {
    return this.all().some((s) => s.config.settleAsset === asset);
  }

  /**
   * Whether this market shows a wallet of the asset: COIN-M its margin coins; USDⓈ-M every other
   * asset (its margin assets and BNB, which pays its fees).
   */
  showsAsset(asset: string): boolean {
    if (this.market === undefined) return true;
    const coin = [...this.byEngine.values()].some((s) => s.market === 'coinm' && s.config.settleAsset === asset);
    return this.market === 'coinm' ? coin : !coin;
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
 * An average price (the engine's formatEntryPrice: cost / qty, inverse the harmonic mean) with a fixed number of decimals,
 * rounded half away from zero; zeros ("0.00000") when there is no quantity, as Binance sends `ep`.
 */
export function formatAverage(symbol: BinanceSymbol, cost: bigint, qty: number): string {
  const decimals = averageDecimals(symbol);
  if (qty === 0 || cost === 0n) return formatScaled(0n, decimals);
  return fixDecimals(formatEntryPrice(symbol.config, cost, Math.abs(qty), decimals - symbol.config.priceDecimals), decimals);
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
