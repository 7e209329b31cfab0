/**
 * Stream credentials (XT's and Binance's listenKey, KuCoin's bullet tokens): a random key bound to
 * an account, valid for a while. One store per kind of credential, with that exchange's policy.
 *
 * A key lives its whole documented life: a newer key never evicts an older one (clients such as
 * ccxt reconnect with the key they hold and never ask again, so an evicted key is a stream that
 * hangs). What bounds the store is refusal instead: an account holding `maxLivePerAccount` live
 * keys gets none more until one expires (expired keys are dropped, which frees the place), and each
 * account's credential requests pass a token bucket (`requests`, the exchange's documented rate).
 *
 * With a file, every change is durable before it is answered (DurableFile: group-committed, off the
 * event loop). A key handed out must survive a crash: ccxt never asks for a new one after a restart.
 */
import type { LogFn } from '../ops/log.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DurableFile } from './durable-file.js';
import { AccountRateLimiter, type RateLimit } from './token-bucket.js';

export interface ListenKeyPolicy {
  /** How long a key is valid after it is issued or extended. */
  ttlMs: number;
  /** Live keys one account may hold; a request past it is refused (never served by evicting a live key). */
  maxLivePerAccount: number;
  /** Credential requests per account (issue, extend, revoke). */
  requests: RateLimit;
}

export interface ListenKeyEntry {
  accountId: number;
  expiresAt: number;
}
type Entry = ListenKeyEntry;

export type Issued = { ok: true; key: string } | { ok: false; reason: 'TOO_MANY_LIVE_KEYS'; live: number };

export class ListenKeys {
  private readonly keys = new Map<string, Entry>();
  /** Each account's keys in the order they were issued (live or not yet dropped). */
  private readonly byAccount = new Map<number, Set<string>>();
  private readonly file: DurableFile | null;
  private readonly requests: AccountRateLimiter;
  /**
   * Told of every change once it is durable (a key issued or extended: its entry; revoked: null):
   * the scale-out shares the keys with the gateways through it (src/scaleout/credential-share.ts).
   */
  onChange: ((key: string, entry: ListenKeyEntry | null) => void) | null = null;
  /** Told when an operator expires an account's keys at once (expireNow): the streams say so now. */
  readonly forcedExpiry = new Set<(accountId: number, keys: readonly string[]) => void>();

  /**
   * `file` keeps keys across restarts (the same JSON as ever: `[[key, {accountId, expiresAt}], …]`);
   * null keeps them in memory.
   */
  constructor(readonly policy: ListenKeyPolicy, file: string | null = null, log?: LogFn) {
    if (!(policy.ttlMs > 0) || !(policy.maxLivePerAccount >= 1)) throw new Error(`a listen-key policy needs ttlMs > 0 and maxLivePerAccount ≥ 1, not ${policy.ttlMs} and ${policy.maxLivePerAccount}`);
    this.requests = new AccountRateLimiter(policy.requests);
    this.file = file === null ? null : new DurableFile(file, () => JSON.stringify([...this.keys.entries()]), log);
    if (file === null) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as [string, Entry][];
      for (const [key, entry] of saved) this.add(key, entry);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Takes one credential request from the account's bucket; false when the account is over the rate. */
  admitRequest(accountId: number, now: number): boolean {
    return this.requests.admit(accountId, now);
  }

  /** A new key, durable when this resolves; refused when the account already holds maxLivePerAccount live keys. Rejects with DurableWriteError if the key could not be saved (it is not issued then). */
  async issue(accountId: number, now: number): Promise<Issued> {
    const live = this.dropExpired(accountId, now);
    if (live >= this.policy.maxLivePerAccount) return { ok: false, reason: 'TOO_MANY_LIVE_KEYS', live };
    const key = randomBytes(24).toString('hex');
    const entry = { accountId, expiresAt: now + this.policy.ttlMs };
    this.add(key, entry);
    await this.persist(() => this.remove(key));
    this.onChange?.(key, { ...entry });
    return { ok: true, key };
  }

  /** The account's newest key that is still valid, if any. */
  current(accountId: number, now: number): string | undefined {
    let newest: string | undefined;
    for (const key of this.byAccount.get(accountId) ?? []) if (this.keys.get(key)!.expiresAt > now) newest = key;
    return newest;
  }

  /**
   * Pushes the key's expiry to `now + ttl`, durable when this resolves; false if the key is unknown
   * or already expired. Extensions are saved like new keys (not lazily): they are group-committed
   * anyway, and a client told "extended" then keeps a key that really lasts that long.
   */
  async extend(key: string, now: number): Promise<boolean> {
    const entry = this.keys.get(key);
    if (entry === undefined || entry.expiresAt <= now) return false;
    const before = entry.expiresAt;
    const after = now + this.policy.ttlMs;
    entry.expiresAt = after;
    // Taken back only if no later extension has moved it since.
    await this.persist(() => {
      if (entry.expiresAt === after) entry.expiresAt = before;
    });
    if (entry.expiresAt === after) this.onChange?.(key, { ...entry });
    return true;
  }

  /**
   * Expires every live key of the account now (an operator's fault): durable when this resolves,
   * then `forcedExpiry` is told, so streams act as at a natural expiry. Returns the keys.
   */
  async expireNow(accountId: number, now: number): Promise<string[]> {
    const live = [...(this.byAccount.get(accountId) ?? [])].filter((key) => this.keys.get(key)!.expiresAt > now);
    const before = live.map((key) => this.keys.get(key)!.expiresAt);
    for (const key of live) this.keys.get(key)!.expiresAt = now;
    await this.persist(() => live.forEach((key, i) => {
      const entry = this.keys.get(key);
      if (entry !== undefined && entry.expiresAt === now) entry.expiresAt = before[i]!;
    }));
    for (const key of live) this.onChange?.(key, { ...this.keys.get(key)! });
    if (live.length > 0) for (const tell of this.forcedExpiry) tell(accountId, live);
    return live;
  }

  /** Invalidates the key, durable when this resolves (a revoked key must not come back after a restart). */
  async revoke(key: string): Promise<void> {
    const entry = this.keys.get(key);
    if (entry === undefined) return;
    this.remove(key);
    await this.persist(() => {
      if (!this.keys.has(key)) this.add(key, entry);
    });
    this.onChange?.(key, null);
  }

  /** Every key with its entry (expired ones not yet dropped included): what a full share sends. */
  entries(): [string, ListenKeyEntry][] {
    return [...this.keys].map(([key, entry]) => [key, { ...entry }]);
  }

  /**
   * A mirror's write (a gateway's copy of another process's keys): sets the key's entry, or removes
   * it (null), without persisting or telling `onChange`. Returns whether the key was known before.
   */
  mirror(key: string, entry: ListenKeyEntry | null): boolean {
    const known = this.keys.has(key);
    if (known) this.remove(key);
    if (entry !== null) this.add(key, { ...entry });
    return known;
  }

  /** The account a valid key belongs to and when it expires, or undefined. */
  resolve(key: string, now: number): Entry | undefined {
    const entry = this.keys.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }

  /** Resolves once every change made so far is written (or has failed): for shutdown. */
  async idle(): Promise<void> {
    await this.file?.idle();
  }

  private persist(undo: () => void): Promise<void> {
    return this.file === null ? Promise.resolve() : this.file.persist(undo);
  }

  private add(key: string, entry: Entry): void {
    this.keys.set(key, entry);
    let owned = this.byAccount.get(entry.accountId);
    if (owned === undefined) this.byAccount.set(entry.accountId, (owned = new Set()));
    owned.add(key);
  }

  private remove(key: string): void {
    const entry = this.keys.get(key);
    if (entry === undefined) return;
    this.keys.delete(key);
    const owned = this.byAccount.get(entry.accountId);
    owned?.delete(key);
    if (owned?.size === 0) this.byAccount.delete(entry.accountId);
  }

  /**
   * Forgets the account's expired keys (in memory: the file drops them with its next write, and a
   * reloaded expired key is refused anyway) and returns how many live ones it holds. At most
   * maxLivePerAccount + the expired ones, so this stays cheap.
   */
  private dropExpired(accountId: number, now: number): number {
    const owned = this.byAccount.get(accountId);
    if (owned === undefined) return 0;
    for (const key of [...owned]) if (this.keys.get(key)!.expiresAt <= now) this.remove(key);
    return this.byAccount.get(accountId)?.size ?? 0;
  }
}
