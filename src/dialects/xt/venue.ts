/**
 * XT's two futures hosts (XtApis/xt-api "Basic Information of the Interface"): USDT-M at
 * fapi.xt.com and Coin-M at dapi.xt.com, with the same paths. perpstream serves USDT-M at the root
 * and Coin-M under `/dapi` (REST and the user stream `/dapi/ws/user`); each lists, accepts and
 * pushes only its own kind of contract (U_BASED / COIN_BASED) and the wallets those settle in.
 */
import type { SymbolConfig, UnderlyingType } from '../../engine/symbol.js';

export interface XtVenue {
  /** What the docs and messages call it. */
  readonly name: 'USDT-M' | 'Coin-M';
  readonly underlyingType: UnderlyingType;
  /** Path prefix on our server ('' at the root): not part of what the client signs. */
  readonly prefix: string;
  /** user.balance `underlyingType` (seed 000): 1 coin-margined, 2 USDT-margined. */
  readonly balanceType: 1 | 2;
}

export const USDT_M: XtVenue = Object.freeze({ name: 'USDT-M', underlyingType: 'U_BASED', prefix: '', balanceType: 2 });
export const COIN_M: XtVenue = Object.freeze({ name: 'Coin-M', underlyingType: 'COIN_BASED', prefix: '/dapi', balanceType: 1 });

/** Anything that knows the configured symbols (the front door's Exchange, a gateway's StreamExchange). */
export interface SymbolSource {
  readonly engine: { symbols(): readonly SymbolConfig[] };
}

/** Whether a symbol is traded on this host. */
export const onVenue = (venue: XtVenue, config: SymbolConfig): boolean => config.spec.underlyingType === venue.underlyingType;

/** The host's symbols, in configuration order. */
export const venueSymbols = (source: SymbolSource, venue: XtVenue): SymbolConfig[] => source.engine.symbols().filter((c) => onVenue(venue, c));

/**
 * Whether a wallet belongs to this host: Coin-M holds the coins its contracts settle in, USDT-M
 * every other wallet (so a server without coin-margined symbols shows every wallet at the root).
 */
export function walletOnVenue(symbols: readonly SymbolConfig[], venue: XtVenue, asset: string): boolean {
  const coinMargined = symbols.some((c) => c.spec.underlyingType === 'COIN_BASED' && c.settleAsset === asset);
  return coinMargined === (venue.underlyingType === 'COIN_BASED');
}
