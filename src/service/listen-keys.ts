/**
 * Stream credentials (XT's and Binance's listenKey): a random key bound to an account, valid for a
 * while. Bounded: an account holds at most `maxPerAccount` keys, the oldest give way.
 */
import { randomBytes } from 'node:crypto';

interface Entry {
  accountId: number;
  expiresAt: number;
}

export class ListenKeys {
  private readonly keys = new Map<string, Entry>();
  private readonly byAccount = new Map<number, string[]>();

  constructor(private readonly ttlMs: number, private readonly maxPerAccount = 16) {}

  issue(accountId: number, now: number): string {
    const key = randomBytes(24).toString('hex');
    this.keys.set(key, { accountId, expiresAt: now + this.ttlMs });
    const owned = this.byAccount.get(accountId) ?? [];
    owned.push(key);
    while (owned.length > this.maxPerAccount) this.keys.delete(owned.shift()!);
    this.byAccount.set(accountId, owned);
    return key;
  }

  /** The account's newest key that is still valid, if any. */
  current(accountId: number, now: number): string | undefined {
    const owned = this.byAccount.get(accountId) ?? [];
    for (let i = owned.length - 1; i >= 0; i--) {
      const entry = this.keys.get(owned[i]!);
      if (entry !== undefined && entry.expiresAt > now) return owned[i];
    }
    return undefined;
  }

  /** Pushes the key's expiry to `now + ttl`; false if the key is unknown or already expired. */
  extend(key: string, now: number): boolean {
    const entry = this.keys.get(key);
    if (entry === undefined || entry.expiresAt <= now) return false;
    entry.expiresAt = now + this.ttlMs;
    return true;
  }

  revoke(key: string): void {
    this.keys.delete(key);
  }

  /** The account a valid key belongs to and when it expires, or undefined. */
  resolve(key: string, now: number): Entry | undefined {
    const entry = this.keys.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }
}
