/**
 * The public side of a command: after it, each symbol whose book changed gets one book update with
 * the changed levels' new totals under its next update id. Trades are added as they match
 * (orders.ts), funding settlements as they settle (funding.ts). The engine keeps no subscriber state: what a dialect's depth stream conflates, and
 * how, is the market-data service's business (src/service/market-data.ts).
 */
import type { Core } from './core.js';
import type { PublicEvent } from './types.js';

/** A command without public events shares this one (frozen: nothing can leak into it). */
const NO_EVENTS: readonly PublicEvent[] = Object.freeze([]);

/** The command's public events, book updates last; the next command starts a fresh list. */
export function takePublicEvents(core: Core): readonly PublicEvent[] {
  const events = core.publicEvents;
  for (const symbol of core.symbols.values()) {
    const bids = symbol.book.bids.takeChanges();
    const asks = symbol.book.asks.takeChanges();
    if (bids.length === 0 && asks.length === 0) continue;
    symbol.bookUpdateId += 1;
    events.push({ type: 'book', symbol: symbol.config.symbol, updateId: symbol.bookUpdateId, time: core.time, bids, asks });
  }
  if (events.length === 0) return NO_EVENTS;
  core.publicEvents = [];
  return events;
}
