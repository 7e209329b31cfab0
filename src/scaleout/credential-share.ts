/**
 * Stream credentials shared through Redis: the engine process issues every credential (API keys,
 * XT and Binance listen keys, KuCoin tokens) and keeps it in its data directory as before; the
 * gateways must check them too. Each store is a Redis hash (`<p>:cred:<store>`, key → JSON entry)
 * and every change is also appended to `<p>:credlog`, which the gateways follow in their one read
 * loop (consumer.ts). The engine writes a change before the request that made it is answered (an
 * onSend barrier: engine-mode.ts), and a gateway brings its copy up to the log's last entry before
 * it checks the credentials of a new connection (WsRouter.beforeCheck), so a key handed out by the
 * engine works on any gateway at once.
 *
 * The engine rewrites every store whole at start-up and whenever Redis comes back (a `reload`
 * entry tells the gateways to read the hash again), so what changed while Redis was away is not lost.
 */
import type { Credential, CredentialStore } from '../service/credentials.js';
import type { ListenKeyEntry, ListenKeys } from '../service/listen-keys.js';
import type { LogFn } from '../ops/log.js';
import { fieldOf, type Layout, type RawEntry } from './layout.js';
import { send, type Redis } from './redis.js';

/** The API keys' store name (Bybit's stream authenticates with them). */
export const API_KEYS = 'api-keys';
/** Changes kept in the log (a gateway further behind reloads the hashes). */
const LOG_MAXLEN = 10_000;

interface SharedStore {
  entries(): [string, unknown][];
}

/** The engine's side: writes every change of the registered stores to Redis. */
export class CredentialPublisher {
  private readonly stores = new Map<string, SharedStore>();
  private redis: Redis | null = null;
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly layout: Layout, private readonly log: LogFn) {}

  /** Shares a stream-credential store under `name`. */
  shareListenKeys(name: string, store: ListenKeys): void {
    this.stores.set(name, store);
    store.onChange = (key, entry) => this.write(name, key, entry);
  }

  shareApiKeys(credentials: CredentialStore): void {
    this.stores.set(API_KEYS, { entries: () => credentials.all().map((c) => [c.apiKey, c]) });
    credentials.onIssued = (credential) => this.write(API_KEYS, credential.apiKey, credential);
  }

  /** Writes every store whole, now and each time Redis comes back. */
  async start(redis: Redis): Promise<void> {
    this.redis = redis;
    redis.on('ready', () => void this.track(this.writeAll()));
    await this.track(this.writeAll());
  }

  /** Resolves once every change made so far has been written (or has failed: then the next reload covers it). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private write(name: string, key: string, value: unknown): void {
    const redis = this.redis;
    if (redis === null || !redis.isReady) return; // the whole store is written at start and when Redis is back
    const hash = this.layout.credStore(name);
    const multi = redis.multi()
      .addCommand(value === null ? ['HDEL', hash, key] : ['HSET', hash, key, JSON.stringify(value)])
      .addCommand(['XADD', this.layout.credLog, 'MAXLEN', '~', String(LOG_MAXLEN), '*', 'n', name, 'k', key, 'v', value === null ? '' : JSON.stringify(value)]);
    void this.track(multi.exec().then(() => undefined));
  }

  private async writeAll(): Promise<void> {
    const redis = this.redis;
    if (redis === null || !redis.isReady) return;
    for (const [name, store] of this.stores) {
      const hash = this.layout.credStore(name);
      const multi = redis.multi().addCommand(['DEL', hash]);
      const entries = store.entries();
      for (let i = 0; i < entries.length; i += 1000) {
        multi.addCommand(['HSET', hash, ...entries.slice(i, i + 1000).flatMap(([key, value]) => [key, JSON.stringify(value)])]);
      }
      multi.addCommand(['XADD', this.layout.credLog, 'MAXLEN', '~', String(LOG_MAXLEN), '*', 'n', name, 'reload', '1']);
      await multi.exec();
    }
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => {
      this.log(`sharing stream credentials through redis failed (${error instanceof Error ? error.message : String(error)}); they are written whole when redis is back`, 'warn');
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }
}

interface MirrorStore {
  /** Replaces the whole store. */
  load(entries: [string, string][]): void;
  /** One change: a JSON entry, or '' for a removed key. */
  apply(key: string, value: string): void;
}

/** A gateway's side: copies of the engine's stores, kept current from the change log. */
export class CredentialMirror {
  private readonly stores = new Map<string, MirrorStore>();
  /** The last change log entry applied. */
  cursor = '0-0';
  private readonly waiters: { id: string; resolve: () => void }[] = [];

  constructor(private readonly layout: Layout) {}

  mirrorListenKeys(name: string, store: ListenKeys, onRemoved?: (key: string) => void): void {
    this.stores.set(name, {
      load: (entries) => {
        const next = new Map(entries.map(([key, value]) => [key, JSON.parse(value) as ListenKeyEntry]));
        for (const [key] of store.entries()) {
          if (!next.has(key)) {
            store.mirror(key, null);
            onRemoved?.(key);
          }
        }
        for (const [key, entry] of next) store.mirror(key, entry);
      },
      apply: (key, value) => {
        if (value !== '') store.mirror(key, JSON.parse(value) as ListenKeyEntry);
        else if (store.mirror(key, null)) onRemoved?.(key);
      },
    });
  }

  mirrorApiKeys(credentials: CredentialStore): void {
    this.stores.set(API_KEYS, {
      load: (entries) => credentials.mirrorAll(entries.map(([, value]) => JSON.parse(value) as Credential)),
      apply: (_key, value) => {
        if (value !== '') credentials.mirror(JSON.parse(value) as Credential);
      },
    });
  }

  /** Reads every store whole; the change log is to be followed from `cursor` on. */
  async load(redis: Redis): Promise<void> {
    const last = await send<RawEntry[]>(redis, ['XREVRANGE', this.layout.credLog, '+', '-', 'COUNT', '1']);
    const cursor = last.length === 0 ? '0-0' : last[0]![0];
    for (const name of this.stores.keys()) await this.reload(redis, name);
    this.advance(cursor);
  }

  /** Applies one change log entry (from the consumer's read loop). */
  async apply(redis: Redis, entry: RawEntry): Promise<void> {
    const name = fieldOf(entry, 'n');
    const store = name === undefined ? undefined : this.stores.get(name);
    if (store !== undefined) {
      if (fieldOf(entry, 'reload') !== undefined) await this.reload(redis, name!);
      else store.apply(fieldOf(entry, 'k') ?? '', fieldOf(entry, 'v') ?? '');
    }
    this.advance(entry[0]);
  }

  /** Resolves once the copies hold every change Redis holds now (a new connection's credentials are then known). */
  async caughtUp(redis: Redis, timeoutMs: number): Promise<void> {
    const last = await send<RawEntry[]>(redis, ['XREVRANGE', this.layout.credLog, '+', '-', 'COUNT', '1']);
    if (last.length === 0 || compareIds(last[0]![0], this.cursor) <= 0) return;
    const id = last[0]![0];
    await new Promise<void>((resolve, reject) => {
      const waiter = { id, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at < 0) return;
        this.waiters.splice(at, 1);
        reject(new Error(`the credential log did not reach ${id} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  private async reload(redis: Redis, name: string): Promise<void> {
    const flat = await send<string[]>(redis, ['HGETALL', this.layout.credStore(name)]);
    const entries: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i]!, flat[i + 1]!]);
    this.stores.get(name)!.load(entries);
  }

  private advance(id: string): void {
    if (compareIds(id, this.cursor) > 0) this.cursor = id;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (compareIds(this.waiters[i]!.id, this.cursor) <= 0) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }
}

/** Orders two stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}
