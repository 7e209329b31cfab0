/**
 * Helpers for the ccxt compatibility suites: a started perpstream, funded accounts with a real
 * ccxt 4.5.84 `pro.xt` instance each (configured as protocols.md §6.1 says), timeouts around every
 * await, and waiting on ccxt's own WebSocket caches.
 */
import { withTimeout } from '../support/timeout.js';
import ccxt from 'ccxt';
import { formatAmount } from '../../src/engine/fixed.js';
import type { OrderSnapshot, PositionSnapshot, PositionMode } from '../../src/engine/types.js';
import type { AccountView, WalletView } from '../../src/engine/view.js';
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import { XtClient, type AdminClient } from '../support/xt-client.js';

export const BTC = 'BTC/USDT:USDT';
export const ETH = 'ETH/USDT:USDT';

export type XtPro = InstanceType<typeof ccxt.pro.xt>;

/** The parts of ccxt's WebSocket caches these tests read (ccxt types them loosely). */
export interface CacheRow {
  id?: string;
  symbol?: string;
  side?: string;
  status?: string;
  info: Record<string, unknown>;
}

export interface Credentials {
  accountId: number;
  apiKey: string;
  secret: string;
}

export interface Account extends Credentials {
  ex: XtPro;
  rest: XtClient;
}

export { withTimeout };

/** Wakes whoever waits on any tapped instance's next message (watchUntil). */
const messageWaiters = new Set<() => void>();
const nextMessage = (): Promise<void> => new Promise((resolve) => messageWaiters.add(resolve));

/**
 * The messages ccxt handled on an instance's sockets, seen as they are handled: the wake-up of
 * watchUntil and the barrier of `subscribed` (an exchange's ack, seen as ccxt handles it). ccxt binds
 * `handleMessage` when it opens a socket, so the tap wraps the instance's (for sockets opened later)
 * and the callback of every socket already open. The fixtures tap each instance they make.
 */
export class MessageTap {
  private readonly waiters = new Set<(message: unknown) => void>();

  constructor(ex: object) {
    const target = ex as { handleMessage: (client: unknown, message: unknown) => unknown; clients?: Record<string, { onMessageCallback: (client: unknown, message: unknown) => unknown }> };
    const seen = (message: unknown): void => this.seen(message);
    const original = target.handleMessage;
    target.handleMessage = function (this: unknown, client: unknown, message: unknown): unknown {
      try {
        return original.call(this, client, message);
      } finally {
        seen(message);
      }
    };
    for (const client of Object.values(target.clients ?? {})) {
      const callback = client.onMessageCallback;
      client.onMessageCallback = (c, message) => {
        try {
          return callback(c, message);
        } finally {
          seen(message);
        }
      };
    }
  }

  /** The first message handled from now on that `matches`, within `ms`. */
  next(matches: (message: Record<string, unknown>) => boolean, what: string, ms = 5_000): Promise<Record<string, unknown>> {
    return withTimeout(new Promise((resolve) => {
      const waiter = (message: unknown): void => {
        if (typeof message === 'object' && message !== null && matches(message as Record<string, unknown>)) {
          this.waiters.delete(waiter);
          resolve(message as Record<string, unknown>);
        }
      };
      this.waiters.add(waiter);
    }), ms, what);
  }

  /** Resolves once `condition` holds: now, or after a message ccxt handled (within `ms`). */
  until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => {
      const waiter = (): void => {
        if (!condition()) return;
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    }), ms, what);
  }

  private seen(message: unknown): void {
    for (const waiter of [...this.waiters]) waiter(message);
    const waiting = [...messageWaiters];
    messageWaiters.clear();
    for (const wake of waiting) wake();
  }
}

const taps = new WeakMap<object, MessageTap>();

/** The instance's tap (made on first use: before its first watch, so that every socket is seen). */
export function tap(ex: object): MessageTap {
  let found = taps.get(ex);
  if (found === undefined) {
    found = new MessageTap(ex);
    taps.set(ex, found);
  }
  return found;
}

/**
 * Starts `watch` and waits until ccxt handled the exchange's ack of its subscription (`isAck`):
 * from then on every push of the subscribed topics reaches ccxt's caches. The watch keeps running.
 */
export async function subscribed(ex: object, watch: () => Promise<unknown>, isAck: (message: Record<string, unknown>) => boolean, what: string, ms = 5_000): Promise<void> {
  const ack = tap(ex).next(isAck, `the ack of ${what}`, ms);
  void watch().catch(() => undefined);
  await ack;
}

/**
 * Calls `watch` until `check` holds. `check` should read ccxt's caches (ex.orders, ex.myTrades,
 * ex.balance, ex.positions): a push that arrives while no watch is pending is merged into the cache
 * but resolves nothing, so the result of one watch call alone can miss it. The cache is re-checked
 * whenever the watch settles and whenever ccxt handles a message on a tapped instance.
 */
export async function watchUntil(watch: () => Promise<unknown>, check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (!check()) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError === undefined ? '' : ` (last watch error: ${String(lastError)})`}`);
    const pending = watch();
    pending.catch((error: unknown) => {
      lastError = error;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadlineReached = new Promise<void>((resolve) => { timer = setTimeout(resolve, left); });
    await Promise.race([pending.then(() => undefined, () => undefined), nextMessage(), deadlineReached]);
    clearTimeout(timer);
  }
}

/** Awaits a promise that must reject, and returns the error. */
export async function rejectionOf(promise: Promise<unknown>, what: string, ms = 5_000): Promise<Error> {
  try {
    const value = await withTimeout(promise, ms, what);
    throw new Error(`${what}: expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${what}: expected a rejection`)) throw error;
    if (error instanceof Error && error.message.startsWith('timed out')) throw error;
    return error as Error;
  }
}

/** An engine amount (10⁻⁸ units) as the number ccxt shows for it. */
export const num = (units: bigint): number => Number(formatAmount(units));

export interface Fixture {
  server: RunningServer;
  admin: AdminClient;
  /** A funded account with a ccxt instance (markets loaded) and a plain XT REST client. */
  account(deposit?: string, options?: XtOptions): Promise<Account>;
  /** A ccxt instance for given credentials (markets not loaded). */
  ccxt(credentials: Pick<Credentials, 'apiKey' | 'secret'>, options?: XtOptions): XtPro;
  view(accountId: number): AccountView;
  wallet(accountId: number, asset?: string): WalletView;
  position(accountId: number, symbol?: string, side?: 'BOTH' | 'LONG' | 'SHORT'): PositionSnapshot;
  order(accountId: number, orderId: string | number): OrderSnapshot | undefined;
  /** Cancels every live order of the accounts made so far (book hygiene between tests). */
  cancelEverything(): Promise<void>;
  close(): Promise<void>;
}

export interface XtOptions {
  /** Extra ccxt `options` (deep-merged). */
  options?: Record<string, unknown>;
}

/**
 * A server for one test file. Accounts start one-way unless `positionMode` says HEDGE (the server's
 * native default: XT is hedge-only); most tests here exercise the one-way mode perpstream adds.
 */
export async function startFixture(markPrice = '60000', positionMode: PositionMode = 'ONE_WAY'): Promise<Fixture> {
  const harness = await Harness.start({ defaultPositionMode: positionMode });
  const { server, admin } = harness;
  await admin.markPrice('btc_usdt', markPrice);
  await admin.markPrice('eth_usdt', '3000');
  const instances: XtPro[] = [];
  const accountIds: number[] = [];
  const H = server.url;
  const W = server.wsUrl;

  const makeCcxt = (credentials: Pick<Credentials, 'apiKey' | 'secret'>, extra: XtOptions = {}): XtPro => {
    const ex = new ccxt.pro.xt({
      apiKey: credentials.apiKey,
      secret: credentials.secret,
      enableRateLimit: false, // ccxt's client-side throttle only slows the suite down; the wire is the same
      has: { fetchCurrencies: false },
      options: { defaultType: 'swap', ...extra.options },
      urls: { api: { spot: H, linear: H, inverse: H, user: H, ws: { contract: `${W}/ws` } } },
    });
    tap(ex);
    instances.push(ex);
    return ex;
  };

  const fixture: Fixture = {
    server,
    admin,
    ccxt: makeCcxt,
    async account(deposit = '1000', extra = {}) {
      const created = await harness.created(deposit);
      accountIds.push(created.accountId);
      const ex = makeCcxt(created, extra);
      await withTimeout(ex.loadMarkets(), 5_000, 'loadMarkets');
      await withTimeout(ex.loadHttpProxyAgent(), 5_000, 'loadHttpProxyAgent');
      return { accountId: created.accountId, apiKey: created.apiKey, secret: created.secret, ex, rest: new XtClient(H, created.apiKey, created.secret) };
    },
    view(accountId) {
      const state = server.exchange.engine.account(accountId);
      if (state === undefined) throw new Error(`no account ${accountId}`);
      return state.view;
    },
    wallet(accountId, asset = 'USDT') {
      const wallet = fixture.view(accountId).wallets.find((w) => w.asset === asset);
      if (wallet === undefined) throw new Error(`account ${accountId} has no ${asset} wallet`);
      return wallet;
    },
    position(accountId, symbol = 'btc_usdt', side = 'BOTH') {
      const position = fixture.view(accountId).positions.find((p) => p.symbol === symbol && p.positionSide === side);
      if (position === undefined) throw new Error(`account ${accountId} has no ${symbol} ${side} position record`);
      return position;
    },
    order(accountId, orderId) {
      const id = Number(orderId);
      return fixture.view(accountId).orders.find((o) => o.orderId === id) ?? server.exchange.history.finishedOrder(accountId, id);
    },
    async cancelEverything() {
      for (const accountId of accountIds) {
        for (const config of server.exchange.engine.symbols()) {
          await server.exchange.execute({ type: 'cancelAll', accountId, symbol: config.symbol });
        }
      }
    },
    async close() {
      const closing = instances.splice(0).map((ex) => withTimeout(ex.close(), 5_000, 'ccxt close').catch(() => undefined));
      await Promise.all(closing);
      await harness.stop();
    },
  };
  return fixture;
}

/** ccxt's order cache rows, whatever ccxt's loose typing says. */
export function cacheRows(cache: unknown): CacheRow[] {
  return Array.isArray(cache) ? Array.from(cache as CacheRow[]) : [];
}

export type KucoinFuturesPro = InstanceType<typeof ccxt.pro.kucoinfutures>;

/**
 * ccxt 4.5.84 `pro.kucoinfutures` pointed at perpstream (protocols.md §6.4): every REST family at the
 * server's two KuCoin hosts, the private stream at /kucoin/uta, the classic (non-UTA, non-HF) API;
 * no client-side throttle (it only slows a suite down: the wire is the same) and no currency list.
 */
export function kucoinFuturesPro(server: { url: string; wsUrl: string }, credentials: Partial<Pick<Credentials, 'apiKey' | 'secret'>> & { passphrase?: string } = {}, options: Record<string, unknown> = {}): KucoinFuturesPro {
  const H = server.url;
  return new ccxt.pro.kucoinfutures({
    ...(credentials.apiKey === undefined ? {} : { apiKey: credentials.apiKey, secret: credentials.secret, password: credentials.passphrase }),
    enableRateLimit: false,
    has: { fetchCurrencies: false },
    options: { uta: false, hf: false, ...options },
    urls: { api: { public: `${H}/kucoin-spot`, private: `${H}/kucoin-spot`, utaPrivate: `${H}/kucoin-spot`, uta: `${H}/kucoin-spot`, utaV2: `${H}/kucoin-spot`,
      futuresPublic: `${H}/kucoin-futures`, futuresPrivate: `${H}/kucoin-futures`, ws: { private: `${server.wsUrl}/kucoin/uta` } } },
  });
}
