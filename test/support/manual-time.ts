/**
 * Time a test moves by hand: the server's Clock and the streams' Timers (src/gateway/timers.ts) in
 * one object, passed to a server as `{ clock: time, timers: time }`. Nothing happens until the test
 * calls `advance(ms)`, which fires every timer that falls due on the way, in due order, each with
 * the clock at its due time. A heartbeat, idle cut-off or key expiry is then tested by stepping
 * over it, not by sleeping across it, and "it did not fire" is a fact, not a race.
 *
 * What the fired timers did reaches the client over the socket like anything else: the test waits
 * for it there (a close, a push) or proves its absence with a round trip after the advance.
 */
import type { Timer, Timers } from '../../src/gateway/timers.js';
import type { Clock } from '../../src/service/clock.js';

class ManualTimer implements Timer {
  constructor(readonly id: number, public at: number, readonly every: number | null, readonly callback: () => void) {}

  unref(): Timer {
    return this;
  }
}

export class ManualTime implements Clock, Timers {
  private current: number;
  private nextId = 1;
  private readonly pending = new Map<number, ManualTimer>();

  /** Starts at the wall clock's now, so that signatures stamped with Date.now() stay in their windows. */
  constructor(start = Date.now()) {
    this.current = start;
  }

  now = (): number => this.current;

  setTimeout(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, null);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, Math.max(1, ms));
  }

  clear(timer: Timer | undefined | null): void {
    if (timer instanceof ManualTimer) this.pending.delete(timer.id);
  }

  /** Timers waiting to fire. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * Moves the clock `ms` forward, firing what falls due on the way (ties: the order they were set).
   * After each timer the event loop gets a turn, so that what the callback started (a command's
   * promise, a timer re-armed when it settles) has happened before the next one is due.
   */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.pending.values()) if (timer.at <= end && (next === undefined || timer.at < next.at)) next = timer;
      if (next === undefined) break;
      this.current = next.at;
      if (next.every === null) this.pending.delete(next.id);
      else next.at += next.every;
      next.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = end;
  }

  private add(callback: () => void, ms: number, every: number | null): Timer {
    // Node runs a delay under 1 ms (or NaN) after 1 ms.
    const delay = Number.isFinite(ms) && ms >= 1 ? ms : 1;
    const timer = new ManualTimer(this.nextId++, this.current + delay, every, callback);
    this.pending.set(timer.id, timer);
    return timer;
  }
}
