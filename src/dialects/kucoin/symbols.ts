/**
 * KuCoin's contract names for the engine's symbols. KuCoin calls bitcoin XBT everywhere (contract
 * names, currencies, settle currencies). Its names:
 * - perpetuals (type FFWCSX): BASE + QUOTE + "M": USDT-margined btc_usdt ↔ XBTUSDTM, eth_usdt ↔
 *   ETHUSDTM; the coin-margined (inverse) btc_usd ↔ XBTUSDM (1 lot = `multiplier` USD, settled in XBT);
 * - coin-margined quarterlies (type FFICSX): BASE + "M" + the futures month code + the year's two
 *   digits: btc_usd270326 (March 2027) ↔ XBTMH27, as KuCoin's XBTMH25, XBTMU25.
 * KuCoin lists no USDT-margined delivery contract, so a linear DELIVERY symbol (btc_usdt270326) has
 * no KuCoin name: this dialect does not list it, refuses it when named (as any unknown contract), and
 * leaves its events out of every KuCoin push and list.
 * Quantities are lots of one engine contract; `multiplier` is the contract size (negative for inverse).
 */
import type { SymbolConfig } from '../../engine/symbol.js';

/** KuCoin's currency codes where they differ from the engine's asset names. */
const KUCOIN_CURRENCY: Readonly<Record<string, string>> = { BTC: 'XBT' };
const ENGINE_ASSET: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(KUCOIN_CURRENCY).map(([asset, code]) => [code, asset]));

export function kucoinCurrency(asset: string): string {
  return KUCOIN_CURRENCY[asset] ?? asset;
}

/** The engine asset of a KuCoin currency code (XBT → BTC); undefined for an engine name KuCoin does not use (BTC). */
export function engineAsset(currency: string): string | undefined {
  if (ENGINE_ASSET[currency] !== undefined) return ENGINE_ASSET[currency];
  return KUCOIN_CURRENCY[currency] === undefined ? currency : undefined;
}

/** The futures month codes (January F … December Z) KuCoin's quarterly names carry. */
const MONTH_CODES = 'FGHJKMNQUVXZ';

/** The KuCoin name of a configured symbol, or undefined when KuCoin has no such contract (a USDT-margined quarterly). */
export function kucoinSymbolName(config: SymbolConfig): string | undefined {
  const { baseAsset, quoteAsset } = config.spec;
  const base = kucoinCurrency(baseAsset);
  if (config.delivery === null) return `${base}${quoteAsset}M`;
  if (!config.inverse) return undefined;
  const expiry = new Date(config.delivery.time);
  return `${base}M${MONTH_CODES[expiry.getUTCMonth()]!}${String(expiry.getUTCFullYear() % 100).padStart(2, '0')}`;
}

/** Both directions of the name mapping, over the configured symbols KuCoin lists. */
export class KucoinSymbols {
  private readonly byEngine = new Map<string, { name: string; config: SymbolConfig }>();
  private readonly byKucoin = new Map<string, SymbolConfig>();
  private readonly configs = new Map<string, SymbolConfig>();

  constructor(configs: readonly SymbolConfig[]) {
    for (const config of configs) {
      this.configs.set(config.symbol, config);
      const name = kucoinSymbolName(config);
      if (name === undefined) continue;
      this.byEngine.set(config.symbol, { name, config });
      this.byKucoin.set(name, config);
    }
  }

  /** Whether KuCoin lists the engine symbol (every one but a USDT-margined quarterly). */
  listed(engineSymbol: string): boolean {
    return this.byEngine.has(engineSymbol);
  }

  /** The KuCoin name of a listed engine symbol. */
  name(engineSymbol: string): string {
    const entry = this.byEngine.get(engineSymbol);
    if (entry === undefined) throw new Error(`symbol ${engineSymbol} is not a KuCoin contract`);
    return entry.name;
  }

  /** The configuration of any configured symbol (listed or not: a wallet's figures count them all). */
  config(engineSymbol: string): SymbolConfig {
    const config = this.configs.get(engineSymbol);
    if (config === undefined) throw new Error(`symbol ${engineSymbol} is not configured`);
    return config;
  }

  /** The engine symbol of a KuCoin contract name, or undefined. */
  find(kucoinName: string): SymbolConfig | undefined {
    return this.byKucoin.get(kucoinName);
  }

  all(): SymbolConfig[] {
    return [...this.byKucoin.values()];
  }

  names(): string[] {
    return [...this.byKucoin.keys()];
  }

  /** KuCoin's currencies of the settle assets of the listed contracts (XBT, USDT). */
  settleCurrencies(): string[] {
    return [...new Set(this.all().map((c) => kucoinCurrency(c.settleAsset)))];
  }
}

/**
 * The names KuCoin gives a contract's price series (its contract object: `indexSymbol`,
 * `premiumsSymbol1M`, `premiumsSymbol8H`): the spot index `.K` + base + quote (`.KXBTUSDT`), the
 * premium index `.` + contract + `PI` (one a minute) or `PI8H` (per 8 hours).
 */
export function indexSymbolName(config: SymbolConfig): string {
  return `.K${kucoinCurrency(config.spec.baseAsset)}${config.spec.quoteAsset}`;
}
export const premiumSymbolName = (contract: string): string => `.${contract}PI`;
export const premium8hSymbolName = (contract: string): string => `.${contract}PI8H`;
/** The funding-rate symbol KuCoin names a contract's 8-hour funding index by (`.XBTUSDTMFPI8H`). */
export const fundingRateSymbol = (contract: string): string => `.${contract}FPI8H`;
