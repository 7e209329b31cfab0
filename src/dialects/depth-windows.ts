/**
 * A depth-diff stream's conflation, shared by the dialects that publish one (Binance `@depth`, XT
 * `depth_update`): per symbol and update speed, the levels the book updates changed since the
 * window's last flush (a level's newest total wins), the first and last book update id in it, and
 * the previous window's last id — so every event's first id is the previous event's last + 1 and a
 * client sees a gap. Windows run on the caller's timer; one with no change sends nothing.
 */
import type { BookUpdateEvent } from '../engine/types.js';

/** What one window carries: ids, the engine time of its last update, changed levels best first. */
export interface DepthDelta {
  first: number;
  last: number;
  previous: number;
  time: number;
  bids: [number, number][];
  asks: [number, number][];
}

interface Window {
  first: number | null;
  last: number;
  previous: number;
  time: number;
  bids: Map<number, number>;
  asks: Map<number, number>;
  dueAt: number;
}

export class DepthWindows<Speed extends number> {
  private readonly bySymbol = new Map<string, Map<Speed, Window>>();

  /** `updateIdOf`: each symbol's book update id now (the first window continues from it). */
  constructor(symbols: readonly string[], speeds: readonly Speed[], updateIdOf: (symbol: string) => number, now: number) {
    for (const symbol of symbols) {
      const id = updateIdOf(symbol);
      this.bySymbol.set(symbol, new Map(speeds.map((speed) => [speed, {
        first: null, last: id, previous: id, time: now, bids: new Map(), asks: new Map(), dueAt: now + speed,
      }])));
    }
  }

  /** Adds a book update to every window of its symbol. */
  add(update: BookUpdateEvent): void {
    for (const window of this.bySymbol.get(update.symbol)!.values()) {
      window.first ??= update.updateId;
      window.last = update.updateId;
      window.time = update.time;
      for (const [price, qty] of update.bids) window.bids.set(price, qty);
      for (const [price, qty] of update.asks) window.asks.set(price, qty);
    }
  }

  /** The windows of `symbol` whose time has come, each with what it gathered (none when nothing changed); they start again. */
  due(symbol: string, now: number): [Speed, DepthDelta][] {
    const flushed: [Speed, DepthDelta][] = [];
    for (const [speed, window] of this.bySymbol.get(symbol)!) {
      if (now < window.dueAt) continue;
      window.dueAt = now + speed;
      if (window.first === null) continue;
      flushed.push([speed, {
        first: window.first, last: window.last, previous: window.previous, time: window.time,
        bids: [...window.bids].sort((x, y) => y[0] - x[0]), asks: [...window.asks].sort((x, y) => x[0] - y[0]),
      }]);
      window.previous = window.last;
      window.first = null;
      window.bids.clear();
      window.asks.clear();
    }
    return flushed;
  }
}
