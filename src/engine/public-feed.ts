/**
 * The public side of a command: after it, each symbol whose mark, index or premium index changed
 * gets one `prices` event, each whose open interest changed one `openInterest` event, and each whose
 * book changed one book update with the changed levels' new totals under its next update id (book
 * updates last). Trades are added as they match (orders.ts), funding settlements as they settle
 * (funding.ts), liquidations as the risk engine's liquidation orders end (`publishLiquidation`).
 * The engine keeps no subscriber state: what a dialect's depth stream conflates, and how, is the
 * market-data service's business (src/service/market-data.ts).
 *
 * Changes are found by comparing with what was last published (SymbolState.published): a figure
 * changed and changed back within a command is not reported, and the comparison costs a few reads
 * per symbol per command. `published` is derived — after a restore it is the restored figures
 * (`restorePublished`), exactly what the uninterrupted engine had published by then.
 */
import type { Core } from './core.js';
import type { Order, SymbolState } from './state.js';
import type { PublicEvent } from './types.js';

/** A command without public events shares this one (frozen: nothing can leak into it). */
const NO_EVENTS: readonly PublicEvent[] = Object.freeze([]);

/** The command's public events, book updates last; the next command starts a fresh list. */
export function takePublicEvents(core: Core): readonly PublicEvent[] {
  const events = core.publicEvents;
  for (const pricing of core.pricing.values()) {
    const symbol = pricing.state;
    const shown = symbol.published;
    if (shown.markPrice !== symbol.markPrice || shown.indexPrice !== pricing.index || shown.premiumIndex !== pricing.lastPremium) {
      shown.markPrice = symbol.markPrice;
      shown.indexPrice = pricing.index;
      shown.premiumIndex = pricing.lastPremium;
      events.push({ type: 'prices', symbol: symbol.config.symbol, markPrice: shown.markPrice, indexPrice: shown.indexPrice, premiumIndex: shown.premiumIndex, time: core.time });
    }
    if (shown.openInterest !== symbol.openInterest) {
      shown.openInterest = symbol.openInterest;
      events.push({ type: 'openInterest', symbol: symbol.config.symbol, openInterest: symbol.openInterest, time: core.time });
    }
  }
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

/** Where a liquidation order's trades will start in the command's public events (call before it takes liquidity). */
export const publicMark = (core: Core): number => core.publicEvents.length;

/**
 * A liquidation order that has taken what it could: published after its trades (those from `from`
 * on) when it filled anything, with the bankruptcy price its position was taken over at.
 */
export function publishLiquidation(core: Core, order: Order, bankruptcyPrice: number, from: number): void {
  if (order.filled === 0) return;
  let lastQty = 0;
  for (let i = core.publicEvents.length - 1; i >= from; i--) {
    const event = core.publicEvents[i]!;
    if (event.type === 'publicTrade') {
      lastQty = event.qty;
      break;
    }
  }
  core.publicEvents.push({
    type: 'liquidation', symbol: order.symbol.config.symbol, side: order.side, price: order.price, qty: order.qty, filled: order.filled,
    cumQuote: order.cumQuote, cumCost: order.cumCost, lastQty, bankruptcyPrice, state: order.state, time: core.time,
  });
}

/** Σ of the long positions' contracts of each symbol, from the positions themselves (restore and audit). */
export function openInterestOf(core: Core): Map<SymbolState, number> {
  const sums = new Map<SymbolState, number>();
  for (const symbol of core.symbols.values()) sums.set(symbol, 0);
  for (const account of core.accounts.values()) {
    for (const position of account.positions.values()) {
      if (position.qty > 0) sums.set(position.symbol, sums.get(position.symbol)! + position.qty);
    }
  }
  return sums;
}

/** After a restore: open interest from the positions, and every figure counted as published. */
export function restorePublished(core: Core): void {
  for (const [symbol, openInterest] of openInterestOf(core)) symbol.openInterest = openInterest;
  for (const pricing of core.pricing.values()) {
    const symbol = pricing.state;
    Object.assign(symbol.published, {
      markPrice: symbol.markPrice, indexPrice: pricing.index, premiumIndex: pricing.lastPremium, openInterest: symbol.openInterest,
    });
  }
}
