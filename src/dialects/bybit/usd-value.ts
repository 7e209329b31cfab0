/**
 * Bybit's USD figures of a unified wallet (wallet-balance.mdx: `usdValue`, and the account totals
 * "∑ … by USD value of each asset"). A coin that some linear symbol is quoted in (USDT) counts
 * one for one; a coin that margins inverse contracts (BTC) counts at the index price of its
 * inverse perpetual (else any of its inverse symbols), rounded down to 1e-8 USD; a coin with no
 * price yet counts nothing.
 */
import type { SymbolConfig } from '../../engine/symbol.js';
import type { StreamExchange } from '../../service/stream-exchange.js';

/** An amount of `asset` (1e-8) in USD (1e-8). */
export type UsdValue = (asset: string, amount: bigint) => bigint;

/** Every coin at par: the linear-only wallets. */
export const atPar: UsdValue = (_asset, amount) => amount;

export function usdValueOf(exchange: Pick<StreamExchange, 'engine' | 'now'>, configs: readonly SymbolConfig[]): UsdValue {
  const pricedBy = new Map<string, SymbolConfig>();
  for (const c of configs) {
    if (!c.inverse) continue;
    const known = pricedBy.get(c.settleAsset);
    if (known === undefined || (known.delivery !== null && c.delivery === null)) pricedBy.set(c.settleAsset, c);
  }
  return (asset, amount) => {
    const config = pricedBy.get(asset);
    if (config === undefined) return amount;
    const ticks = exchange.engine.prices(config.symbol, exchange.now())?.indexPrice ?? null;
    if (ticks === null) return 0n;
    return (amount * BigInt(ticks) * config.tickUnits) / 10n ** BigInt(config.priceDecimals);
  };
}
