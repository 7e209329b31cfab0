/**
 * Client libraries that schedule a listen-key keep-alive they never clear (ccxt: a 20-minute
 * setTimeout that close() leaves; the `binance` library: a 50-minute setInterval cleared only on
 * listenKeyExpired) would keep a test process alive long after its tests. A suite that uses one calls
 * these once: timers of a minute or more are unref'd from then on, nothing else changes.
 */
const LONG_MS = 60_000;

export function unrefLongTimeouts(): void {
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSetTimeout(handler, ms, ...args);
    if ((ms ?? 0) >= LONG_MS) timer.unref();
    return timer;
  }) as typeof setTimeout;
}

export function unrefLongIntervals(): void {
  const realSetInterval = globalThis.setInterval;
  globalThis.setInterval = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSetInterval(handler, ms, ...args);
    if ((ms ?? 0) >= LONG_MS) timer.unref();
    return timer;
  }) as typeof setInterval;
}
