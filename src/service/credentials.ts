/**
 * API credentials: key → account and secret. Kept outside the engine (they are random and secret,
 * the engine is neither), persisted as one JSON file in the data directory, replaced atomically.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

export interface Credential {
  apiKey: string;
  secret: string;
  /** KuCoin's passphrase; the other dialects ignore it. */
  passphrase: string;
  accountId: number;
}

export class CredentialStore {
  private readonly byKey = new Map<string, Credential>();
  private readonly file: string | null;
  /** Told of every credential issued (the scale-out shares them with the gateways: src/scaleout/credential-share.ts). */
  onIssued: ((credential: Credential) => void) | null = null;

  /** `dataDir` null keeps credentials in memory only (tests, demos). */
  constructor(dataDir: string | null) {
    this.file = dataDir === null ? null : join(dataDir, 'credentials.json');
    if (this.file !== null) {
      mkdirSync(dataDir!, { recursive: true });
      try {
        const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Credential[];
        for (const credential of saved) this.byKey.set(credential.apiKey, credential);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  issue(accountId: number): Credential {
    const credential: Credential = {
      apiKey: randomBytes(16).toString('hex'),
      secret: randomBytes(32).toString('hex'),
      passphrase: randomBytes(8).toString('hex'),
      accountId,
    };
    this.byKey.set(credential.apiKey, credential);
    this.save();
    this.onIssued?.({ ...credential });
    return credential;
  }

  /** Every credential (what a full share sends). */
  all(): Credential[] {
    return [...this.byKey.values()].map((c) => ({ ...c }));
  }

  /** A mirror's copy of another process's credentials: replaces them all (never persisted, nobody told). */
  mirrorAll(credentials: readonly Credential[]): void {
    this.byKey.clear();
    for (const credential of credentials) this.byKey.set(credential.apiKey, { ...credential });
  }

  /** A mirror's write: one credential added. */
  mirror(credential: Credential): void {
    this.byKey.set(credential.apiKey, { ...credential });
  }

  find(apiKey: string | undefined): Credential | undefined {
    return apiKey === undefined ? undefined : this.byKey.get(apiKey);
  }

  forAccount(accountId: number): Credential | undefined {
    for (const credential of this.byKey.values()) if (credential.accountId === accountId) return credential;
    return undefined;
  }

  /** Drops the credentials of accounts that do not exist (their state was not kept). */
  retainAccounts(exists: (accountId: number) => boolean): void {
    let changed = false;
    for (const [key, credential] of this.byKey) {
      if (!exists(credential.accountId)) {
        this.byKey.delete(key);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  /** Durable before the key is handed out: a crash must not leave an account nobody can use. */
  private save(): void {
    if (this.file !== null) writeFileAtomic(this.file, JSON.stringify([...this.byKey.values()], null, 1));
  }
}
