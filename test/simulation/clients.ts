/**
 * Simulated stream clients: one per account, each speaking one of the four dialects. A client
 * holds a listen key, opens a connection (a subscription on the service's event bus, as every
 * dialect's stream does), reads its pushes at its own pace, and, when the connection drops (a cut,
 * a slow-consumer close, an expired key, a crash of the service), reconnects and resumes by
 * {epoch, seq} through the resume every dialect's stream uses (src/dialects/resume.ts, AccountFeed):
 * the replay window, older history recomputed from the journal (ReplayBudget), or an explicit
 * `recovered: false`, after which the client re-snapshots the account over "REST" (the engine's
 * account view) and applies only the pushes after the snapshot's seq, as the README tells clients.
 * The connection is simulated (no socket): what the feed delivers lands in the client's inbox.
 *
 * Every event a client reads is checked: its seq is exactly the one after the last it read (no
 * gap, no duplicate), it is the very event the uninterrupted run emitted for that seq, and it goes
 * through the client's dialect encoder (every frame must be JSON). A caught-up client's picture of
 * the account, built from its events alone, must agree with the engine.
 */
import type { EngineEvent } from '../../src/engine/types.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { encodeJson } from '../../src/persistence/codec.js';
import { AccountFeed, type FeedSession, type StreamPosition } from '../../src/dialects/resume.js';
import { DEFAULT_LIMITS } from '../../src/gateway/limits.js';
import { NO_STREAM_OBSERVER } from '../../src/gateway/observer.js';
import type { Exchange } from '../../src/service/exchange.js';
import type { ListenKeys } from '../../src/service/listen-keys.js';
import type { ReplayBudget } from '../../src/persistence/replay-budget.js';
import { XtEncoder } from '../../src/dialects/xt/encode.js';
import { BinanceEncoder } from '../../src/dialects/binance/encode.js';
import { BinanceSymbols } from '../../src/dialects/binance/symbols.js';
import { BybitPushEncoder, TOPICS as BYBIT_TOPICS } from '../../src/dialects/bybit/push.js';
import { BybitSymbols } from '../../src/dialects/bybit/symbols.js';
import { KucoinEncoder } from '../../src/dialects/kucoin/encode.js';
import { KucoinSymbols } from '../../src/dialects/kucoin/symbols.js';
import type { Reference } from './reference.js';

export const DIALECTS = ['xt', 'binance', 'bybit', 'kucoin'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** The service incarnation a client talks to (replaced after every crash). */
export interface Service {
  exchange: Exchange;
  replays: ReplayBudget;
  listenKeys: ListenKeys;
  /** Most events one resume replays (the gateway's limit). */
  maxReplayEvents: number;
  /** The uninterrupted run, which a re-snapshot must agree with. */
  reference: Reference;
}

/** Where a client reports what it saw: counters and the first broken invariant. */
export interface Sink {
  count(kind: string, n?: number): void;
  fail(message: string): void;
  /** A planted bug: the connection drops this event (the simulator must notice). */
  dropEvent(event: EngineEvent): boolean;
}

/** Each dialect's stream encoder, built over one service incarnation's symbols. */
export class Encoders {
  private readonly xt: XtEncoder;
  private readonly binance: BinanceEncoder;
  private readonly bybit: BybitPushEncoder;
  private readonly kucoin: KucoinEncoder;
  readonly frames = new Map<Dialect, number>();

  constructor(symbols: readonly SymbolConfig[], exchange: Exchange) {
    this.xt = new XtEncoder(new Map(symbols.map((c) => [c.symbol, c])));
    this.binance = new BinanceEncoder(new BinanceSymbols(symbols), (accountId, id) => exchange.history.finishedConditional(accountId, id));
    this.bybit = new BybitPushEncoder(new BybitSymbols(symbols));
    this.kucoin = new KucoinEncoder(new KucoinSymbols(symbols));
  }

  /** The frames of one command's events of one account, in the dialect's wire shape. */
  encode(dialect: Dialect, events: readonly EngineEvent[]): string[] {
    const frames: string[] = [];
    switch (dialect) {
      case 'xt': for (const event of events) frames.push(...this.xt.encode(event)); break;
      case 'kucoin': for (const event of events) frames.push(...this.kucoin.encode(event).map((f) => f.text)); break;
      case 'binance': frames.push(...this.binance.encode(events)); break;
      case 'bybit':
        for (const topic of BYBIT_TOPICS.keys()) {
          const frame = this.bybit.frame(events, topic);
          if (frame !== null) frames.push(frame);
        }
        break;
    }
    this.frames.set(dialect, (this.frames.get(dialect) ?? 0) + frames.length);
    return frames;
  }
}

/** What a client knows of its account from its events alone. */
class AccountPicture {
  private wallets = new Map<string, bigint>();
  private positions = new Map<string, number>();
  private openOrders = new Map<number, string>();

  /** A REST snapshot: start over from the engine's view. */
  reset(view: { wallets: { asset: string; walletBalance: bigint }[]; positions: { symbol: string; positionSide: string; qty: number }[]; orders: { orderId: number; state: string }[] }): void {
    this.wallets = new Map(view.wallets.map((w) => [w.asset, w.walletBalance]));
    this.positions = new Map(view.positions.map((p) => [`${p.symbol}|${p.positionSide}`, p.qty]));
    this.openOrders = new Map(view.orders.map((o) => [o.orderId, o.state]));
  }

  apply(event: EngineEvent): void {
    if (event.type === 'balance') this.wallets.set(event.balance.asset, event.balance.walletBalance);
    else if (event.type === 'position') this.positions.set(`${event.position.symbol}|${event.position.positionSide}`, event.position.qty);
    else if (event.type === 'order') {
      const { orderId, state } = event.order;
      if (state === 'NEW' || state === 'PARTIALLY_FILLED') this.openOrders.set(orderId, state);
      else this.openOrders.delete(orderId);
    }
  }

  /** How the picture differs from the engine's account view, or null. */
  differsFrom(view: Parameters<AccountPicture['reset']>[0]): string | null {
    for (const w of view.wallets) {
      const mine = this.wallets.get(w.asset) ?? 0n;
      if (mine !== w.walletBalance) return `wallet ${w.asset}: the stream says ${mine}, the engine ${w.walletBalance}`;
    }
    for (const p of view.positions) {
      const mine = this.positions.get(`${p.symbol}|${p.positionSide}`) ?? 0;
      if (mine !== p.qty) return `position ${p.symbol} ${p.positionSide}: the stream says ${mine}, the engine ${p.qty}`;
    }
    const live = view.orders.map((o) => o.orderId).sort((a, b) => a - b).join(',');
    const mine = [...this.openOrders.keys()].sort((a, b) => a - b).join(',');
    if (live !== mine) return `open orders: the stream says [${mine}], the engine [${live}]`;
    return null;
  }
}

/** One open connection: what the server queued for the client and has not been read yet. */
class Connection implements FeedSession {
  open = true;
  /** Pushes sent and not yet read by the client (lost if the connection drops). */
  readonly inbox: EngineEvent[] = [];
  /** The server's side: the account's feed, live and resumed. */
  feed: AccountFeed | null = null;
  /** Settles a connect() still waiting for its answer when the connection goes. */
  onClose: () => void = () => undefined;
  readonly observer = NO_STREAM_OBSERVER;
  /** The inbox bound is the client's own (StreamClient.maxQueued): the feed never waits to pace a replay. */
  readonly queuedBytes = 0;

  get isOpen(): boolean {
    return this.open;
  }

  /** The feed closes a connection whose resume backlog grew past its bound. */
  close(): void {
    this.open = false;
    this.feed?.close();
    this.onClose();
  }
}

export class StreamClient {
  private connection: Connection | null = null;
  private key: string | null = null;
  /** The stream history the client's seq belongs to (null before its first connection). */
  private epoch: string | null = null;
  /** The last seq the client has read (or re-snapshotted at). */
  lastSeq = 0;
  /** The seq of the last REST re-snapshot: pushes up to it are already in it, and are skipped. */
  private snapshotSeq = 0;
  private readonly picture = new AccountPicture();

  constructor(
    readonly accountId: number,
    readonly dialect: Dialect,
    /** Events read per step (a slow consumer reads few). */
    readonly pace: number,
    /** Unread pushes the server queues before it closes the connection as a slow consumer. */
    readonly maxQueued: number,
    private readonly sink: Sink,
  ) {}

  get connected(): boolean {
    return this.connection?.open === true;
  }

  /** Drops the connection (a cut, a crash, an expiry): unread pushes are lost. */
  disconnect(): void {
    const connection = this.connection;
    if (connection === null) return;
    connection.close();
    this.connection = null;
  }

  /** Whether the key behind the connection has expired (the stream then stops pushing). */
  keyExpired(service: Service, now: number): boolean {
    return this.key !== null && service.listenKeys.resolve(this.key, now) === undefined;
  }

  /**
   * Connects (resuming from the last seq read, after the first time). Resolves once the resume is
   * answered; a resume from the journal is asynchronous, and live events wait meanwhile.
   */
  async connect(service: Service): Promise<void> {
    const { exchange } = service;
    const now = exchange.now();
    if (this.key === null || service.listenKeys.resolve(this.key, now) === undefined) {
      if (this.key !== null) this.sink.count('listen-key expired: new key');
      const issued = await service.listenKeys.issue(this.accountId, now);
      if (!issued.ok) return this.sink.fail(`account ${this.accountId}: no listen key (${issued.reason})`);
      this.key = issued.key;
    }
    const connection = new Connection();
    this.connection = connection;
    const olderHistory = {
      eventsOf: (...args: Parameters<ReplayBudget['eventsOf']>) => {
        this.sink.count('resume from the journal');
        return service.replays.eventsOf(...args);
      },
    };
    const limits = { ...DEFAULT_LIMITS, maxReplayEvents: service.maxReplayEvents };
    const feed = new AccountFeed({ exchange, eventLog: exchange.eventLog!, olderHistory, limits }, connection, 'event', (events) => {
      for (const event of events) this.push(connection, event);
    });
    connection.feed = feed;
    feed.listen(this.accountId);
    const account = exchange.engine.account(this.accountId);
    const seq = account?.seq ?? 0;
    if (this.epoch === null) {
      // First connection: a REST snapshot, then the stream from its seq.
      feed.position(null, () => undefined);
      this.epoch = exchange.epoch;
      this.lastSeq = seq;
      if (account !== undefined) this.picture.reset(account.view);
      return;
    }
    if (this.epoch === exchange.epoch && this.lastSeq > seq) {
      return this.sink.fail(`account ${this.accountId} (${this.dialect}): the client read seq ${this.lastSeq}, the service is back at ${seq}: pushed events were lost`);
    }
    const answer = await new Promise<StreamPosition | null>((resolve) => {
      connection.onClose = () => resolve(null);
      feed.position({ epoch: this.epoch!, seq: this.lastSeq, skip: 0 }, resolve);
    });
    if (answer === null || answer.resume === undefined) return;
    if (answer.resume.recovered) {
      this.sink.count('resume served');
      return;
    }
    // recovered: false — re-snapshot over REST; the pushes after it continue it, earlier ones are skipped.
    this.sink.count('resume not recovered: re-snapshot');
    const snapshot = exchange.engine.account(this.accountId);
    const expected = service.reference.engine.account(this.accountId);
    if (encodeJson(snapshot) !== encodeJson(expected)) {
      return this.sink.fail(`account ${this.accountId} (${this.dialect}): the REST snapshot after recovered:false differs from the uninterrupted run's account`);
    }
    this.epoch = exchange.epoch;
    this.lastSeq = snapshot?.seq ?? 0;
    this.snapshotSeq = this.lastSeq;
    if (snapshot !== undefined) this.picture.reset(snapshot.view);
  }

  /** The server sends one event on the connection. */
  private push(connection: Connection, event: EngineEvent): void {
    if (!connection.open) return;
    if (this.sink.dropEvent(event)) return;
    connection.inbox.push(event);
    if (connection.inbox.length > this.maxQueued) {
      this.sink.count('slow consumer closed');
      this.disconnect();
    }
  }

  /** Reads up to `pace` pushes, checking each; returns false once something is wrong. */
  read(reference: Reference, encoders: Encoders): boolean {
    const connection = this.connection;
    if (connection === null) return true;
    const batch = connection.inbox.splice(0, this.pace);
    let group: EngineEvent[] = [];
    const flush = (): boolean => {
      if (group.length === 0) return true;
      const frames = encoders.encode(this.dialect, group);
      group = [];
      for (const frame of frames) {
        try {
          JSON.parse(frame);
        } catch {
          this.sink.fail(`account ${this.accountId} (${this.dialect}): a frame that is not JSON: ${frame.slice(0, 200)}`);
          return false;
        }
      }
      return true;
    };
    for (const event of batch) {
      if (event.seq <= this.snapshotSeq) continue;
      if (event.seq !== this.lastSeq + 1) {
        this.sink.fail(`account ${this.accountId} (${this.dialect}): read seq ${event.seq} after ${this.lastSeq}: ` +
          (event.seq <= this.lastSeq ? 'a duplicate' : `seqs ${this.lastSeq + 1}…${event.seq - 1} never arrived`));
        return false;
      }
      const expected = reference.event(this.accountId, event.seq);
      if (expected !== encodeJson(event)) {
        this.sink.fail(`account ${this.accountId} (${this.dialect}): event seq ${event.seq} is not the one the uninterrupted run emitted:\n  got  ${encodeJson(event).slice(0, 300)}\n  want ${String(expected).slice(0, 300)}`);
        return false;
      }
      this.lastSeq = event.seq;
      this.picture.apply(event);
      if (group.length > 0 && group[0]!.cmdSeq !== event.cmdSeq && !flush()) return false;
      group.push(event);
    }
    return flush();
  }

  /** A caught-up client (nothing unread, at the account's seq) must picture the account as the engine has it. */
  checkCaughtUp(exchange: Exchange): boolean {
    const connection = this.connection;
    if (connection === null || connection.inbox.length > 0) return true;
    const account = exchange.engine.account(this.accountId);
    if (account === undefined || account.seq !== this.lastSeq) return true;
    const difference = this.picture.differsFrom(account.view);
    if (difference !== null) {
      this.sink.fail(`account ${this.accountId} (${this.dialect}), caught up at seq ${this.lastSeq}: ${difference}`);
      return false;
    }
    return true;
  }
}
