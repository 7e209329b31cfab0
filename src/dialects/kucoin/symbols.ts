/**
 * KuCoin's contract names for the engine's symbols: USDT-margined perpetuals are BASE + QUOTE + "M",
 * and KuCoin calls bitcoin XBT (btc_usdt ↔ XBTUSDTM, eth_usdt ↔ ETHUSDTM). Quantities are lots of
 * one contract (engine contracts); `multiplier` is the contract size.
 */
import type { SymbolConfig } from '../../engine/symbol.js';

/** KuCoin's currency codes where they differ from the engine's asset names. */
const KUCOIN_CURRENCY: Readonly<Record<string, string>> = { BTC: 'XBT' };

export function kucoinCurrency(asset: string): string {
  return KUCOIN_CURRENCY[asset] ?? asset;
}

export function kucoinSymbolName(config: SymbolConfig): string {
  const { baseAsset, quoteAsset } = config.spec;
  return `${kucoinCurrency(baseAsset)}${quoteAsset}M`;
}

/** Both directions of the name mapping, over the configured symbols. */
export class KucoinSymbols {
  private readonly byEngine = new Map<string, { name: string; config: SymbolConfig }>();
  private readonly byKucoin = new Map<string, SymbolConfig>();

  constructor(configs: readonly SymbolConfig[]) {
    for (const config of configs) {
      const name = kucoinSymbolName(config);
      this.byEngine.set(config.symbol, { name, config });
      this.byKucoin.set(name, config);
    }
  }

  /** The KuCoin name of an engine symbol (every configured symbol has one). */
  name(engineSymbol: string): string {
    const entry = this.byEngine.get(engineSymbol);
    if (entry === undefined) throw new Error(`symbol ${engineSymbol} is not configured`);
    return entry.name;
  }

  config(engineSymbol: string): SymbolConfig {
    const entry = this.byEngine.get(engineSymbol);
    if (entry === undefined) throw new Error(`symbol ${engineSymbol} is not configured`);
    return entry.config;
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
