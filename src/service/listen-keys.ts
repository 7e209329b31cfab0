/**
 * Stream credentials (XT's and Binance's listenKey): a random key bound to an account, valid for a
 * while. Bounded: an account holds at most `maxPerAccount` keys, the oldest give way.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';

interface Entry {
  accountId: number;
  expiresAt: number;
}

export class ListenKeys {
  private readonly keys = new Map<string, Entry>();
  private readonly byAccount = new Map<number, string[]>();

  /**
   * `file` keeps keys across restarts (clients such as ccxt reconnect with the key they hold and
   * never ask for a new one); null keeps them in memory.
   */
  constructor(private readonly ttlMs: number, private readonly file: string | null = null, private readonly maxPerAccount = 16) {
    if (file === null) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as [string, Entry][];
      for (const [key, entry] of saved) {
        this.keys.set(key, entry);
        this.byAccount.set(entry.accountId, [...(this.byAccount.get(entry.accountId) ?? []), key]);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /**
   * Durable before the key is handed out: ccxt, for one, never asks for a new key, so a key lost in
   * a crash would leave its stream dead after the restart. Keys are issued rarely; expired ones go.
   */
  private save(now?: number): void {
    if (this.file === null) return;
    if (now !== undefined) for (const [key, entry] of this.keys) if (entry.expiresAt <= now) this.keys.delete(key);
    writeFileAtomic(this.file, JSON.stringify([...this.keys.entries()]));
  }

  issue(accountId: number, now: number): string {
    const key = randomBytes(24).toString('hex');
    this.keys.set(key, { accountId, expiresAt: now + this.ttlMs });
    const owned = this.byAccount.get(accountId) ?? [];
    owned.push(key);
    while (owned.length > this.maxPerAccount) this.keys.delete(owned.shift()!);
    this.byAccount.set(accountId, owned);
    this.save(now);
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
    this.save(now);
    return true;
  }

  revoke(key: string): void {
    this.keys.delete(key);
    this.save();
  }

  /** The account a valid key belongs to and when it expires, or undefined. */
  resolve(key: string, now: number): Entry | undefined {
    const entry = this.keys.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }
}
