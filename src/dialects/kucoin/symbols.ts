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
