/**
 * The timers the streams wait on (heartbeats, idle cut-offs, listen-key expiries), the price
 * scheduler's ticks and funding times and the store's periodic snapshot check. They are
 * injected (ServerOptions.timers, DialectContext.timers) so that a test can drive time by hand
 * instead of sleeping (test/support/manual-time.ts); the default is Node's own timers. A stream that
 * takes these timers reads the time from the exchange's Clock, so a test injects both together.
 */

/** A pending timer: only what the streams use of Node's Timeout. */
export interface Timer {
  /** Does not keep the process alive for this timer. */
  unref(): Timer;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): Timer;
  setInterval(callback: () => void, ms: number): Timer;
  /** Cancels a timeout or an interval (nothing when it already ran, or for undefined / null). */
  clear(timer: Timer | undefined | null): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  setInterval: (callback, ms) => setInterval(callback, ms),
  // Node's clearTimeout cancels intervals too.
  clear: (timer) => clearTimeout((timer ?? undefined) as NodeJS.Timeout | undefined),
};
