/**
 * Fixed time windows counting what each key (an IP, an account) used: the windows start at whole
 * multiples of their length, as Binance's minute and KuCoin's 30-second pools do. Every limit is
 * explicit: at most `maxKeys` keys are tracked; when a new key would exceed that, the keys whose
 * window has ended are dropped first, and if none has, the request is counted under one shared
 * overflow key (so a flood of new keys is limited together rather than not at all).
 */
export interface WindowUse {
  /** What the key used in the current window, this request included. */
  used: number;
  /** When the current window ends (ms). */
  resetAt: number;
}

const OVERFLOW_KEY = '\u0000overflow';

export class WindowCounter {
  private readonly slots = new Map<string, { start: number; used: number }>();

  constructor(readonly windowMs: number, readonly limit: number, private readonly maxKeys = 100_000) {}

  private startOf(now: number): number {
    return now - (now % this.windowMs);
  }

  /** What `key` has used in the window `now` falls in (a key without a slot: the overflow's count). */
  peek(key: string, now: number): WindowUse {
    const start = this.startOf(now);
    const slot = this.slots.get(key) ?? (this.slots.size > this.maxKeys ? this.slots.get(OVERFLOW_KEY) : undefined);
    return { used: slot !== undefined && slot.start === start ? slot.used : 0, resetAt: start + this.windowMs };
  }

  /** Whether adding `amount` for `key` now stays within the limit. */
  fits(key: string, amount: number, now: number): boolean {
    return this.peek(key, now).used + amount <= this.limit;
  }

  /** Counts `amount` for `key` in the window `now` falls in. */
  add(key: string, amount: number, now: number): WindowUse {
    const start = this.startOf(now);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.slots.size >= this.maxKeys && key !== OVERFLOW_KEY) this.prune(start);
      // The overflow key itself always has room: the one slot beyond maxKeys.
      if (this.slots.size >= this.maxKeys && key !== OVERFLOW_KEY) return this.add(OVERFLOW_KEY, amount, now);
      this.slots.set(key, (slot = { start, used: 0 }));
    }
    if (slot.start !== start) {
      slot.start = start;
      slot.used = 0;
    }
    slot.used += amount;
    return { used: slot.used, resetAt: start + this.windowMs };
  }

  private prune(currentStart: number): void {
    for (const [key, slot] of this.slots) if (slot.start !== currentStart) this.slots.delete(key);
  }
}

/**
 * Keys banned until a time, with the length of the next ban growing on each repeat (Binance: "from 2
 * minutes to 3 days"). A key's record is dropped once its ban ended and it has been quiet a day.
 */
export class Bans {
  private readonly bans = new Map<string, { until: number; strikes: number }>();

  constructor(private readonly firstMs: number, private readonly maxMs: number, private readonly maxKeys = 100_000) {}

  /** When the ban on `key` ends, or null if it is not banned now. */
  bannedUntil(key: string, now: number): number | null {
    const ban = this.bans.get(key);
    return ban !== undefined && ban.until > now ? ban.until : null;
  }

  /** Bans `key` from now, longer than its last ban; answers when it ends. */
  ban(key: string, now: number): number {
    if (this.bans.size >= this.maxKeys) {
      for (const [k, b] of this.bans) if (b.until + DAY_MS <= now) this.bans.delete(k);
    }
    const previous = this.bans.get(key);
    const strikes = previous === undefined || previous.until + DAY_MS <= now ? 0 : previous.strikes + 1;
    const until = now + Math.min(this.maxMs, this.firstMs * 2 ** Math.min(strikes, 30));
    this.bans.set(key, { until, strikes });
    return until;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
