/**
 * Binance's words for a contract's kind and state in exchangeInfo: `contractType` (PERPETUAL, or a
 * quarterly's CURRENT_QUARTER / NEXT_QUARTER relative to now) and the symbol status (TRADING until
 * the delivery time, DELIVERING until the engine has settled it, then DELIVERED).
 */
import type { Exchange } from '../../service/exchange.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { BinanceSymbol } from './symbols.js';

/** The deliveryDate Binance gives a perpetual (2100-12-25; ccxt reads it as "no expiry"). */
export const PERPETUAL_DELIVERY_DATE = 4133404800000;

/** Binance's quarterlies deliver on the last Friday of March, June, September and December, 08:00 UTC. */
function quarterDelivery(year: number, quarter: number): number {
  const month = quarter * 3 + 2;
  const last = new Date(Date.UTC(year, month + 1, 0, 8));
  const back = (last.getUTCDay() - 5 + 7) % 7;
  return last.getTime() - back * 24 * 3600_000;
}

/** Quarters since year 0 (year × 4 + quarter) of the nearest quarterly delivery after `now`. */
function currentQuarter(now: number): number {
  const d = new Date(now);
  let index = d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3);
  if (now >= quarterDelivery(Math.floor(index / 4), index % 4)) index += 1;
  return index;
}

/**
 * PERPETUAL, or where the delivery falls among Binance's two listed quarters: the nearest
 * quarterly delivery after now is CURRENT_QUARTER, the one after NEXT_QUARTER (a contract farther
 * out takes NEXT_QUARTER, the farthest Binance names). From its delivery time on it stays CURRENT_QUARTER.
 */
export function contractTypeOf(config: SymbolConfig, now: number): string {
  if (config.delivery === null) return 'PERPETUAL';
  if (now >= config.delivery.time) return 'CURRENT_QUARTER';
  const d = new Date(config.delivery.time);
  const ahead = d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3) - currentQuarter(now);
  return ahead <= 0 ? 'CURRENT_QUARTER' : 'NEXT_QUARTER';
}

/** TRADING; a delivery contract from its delivery time DELIVERING, once settled DELIVERED. */
export function contractStatus(symbol: BinanceSymbol, exchange: Exchange, now: number): string {
  const delivery = symbol.config.delivery;
  if (delivery === null || now < delivery.time) return 'TRADING';
  const settled = exchange.engine.prices(symbol.config.symbol, now)?.delivery?.settledPrice ?? null;
  return settled === null ? 'DELIVERING' : 'DELIVERED';
}
