/**
 * Binance USDⓈ-M's user-data stream (protocols.md §2.1) in every URL form Binance documents and
 * its connectors use (stream-names.ts): the raw `/ws/<listenKey>`, `/private/ws?listenKey=K` and
 * `/private/ws/K`; the combined `/stream?streams=K` and `/private/stream?streams=K` /
 * `?listenKey=K[&events=…]`, whose pushes are wrapped `{"stream":"<name>","data":{…}}`; and any of
 * them with no stream yet, then `{"method":"SUBSCRIBE","params":["<listenKey>"],"id":N}`
 * (stream-requests.ts). Market stream names (`btcusdt@depth@100ms`, `btcusdt@aggTrade`, …) are
 * served by market-stream.ts on any of these connections (ccxt opens them on `/public` and
 * `/market`); a connection holding only market streams is bound to no account. A market name
 * Binance has and this server does not publish is acknowledged and listed, and nothing is pushed.
 *
 * One connection serves one account: its first listenKey binds it (the gateway's per-account bound
 * counts the connection once), and a listenKey of another account is refused with code 2.
 *
 * The server pings every `pingIntervalMs` (3 min) and closes after `pongTimeoutMs` (10 min) without a
 * pong; a connection lives at most `maxConnectionLifeMs` (24 h). When a key expires (or is deleted)
 * each of its names that takes `listenKeyExpired` gets that event (wrapped on a combined
 * connection) and the key's names are dropped; a raw connection then closes with 4001, a combined
 * one stays open for a new key, as Binance's does. An unknown or expired key in the URL is refused
 * at the upgrade with HTTP 400 `{"code":-1125,"msg":"This listenKey does not exist."}`.
 *
 * perpstream's extension: every user-data push carries `seq` (the account's last event in its
 * command), and `resume=<epoch>:<seq>[:<skip>]` on the URL (any user-data form) continues the stream after
 * `seq` (resume.ts) when the connection binds to its account: first the event
 * `{"e":"STREAM_RESUME","E","epoch","seq","resume":{…}}` (wrapped on a combined connection), then
 * every missed command's frames, then live ones. A malformed value is refused at the upgrade (-1100).
 */
import type { WebSocket } from 'ws';
import type { EngineEvent } from '../../engine/types.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode } from '../../gateway/limits.js';
import { Session } from '../../gateway/session.js';
import { systemTimers, type Timer, type Timers } from '../../gateway/timers.js';
import { BinanceHeartbeat, MAX_LIFE_CLOSE } from './heartbeat.js';
import type { UpgradeRefusal } from '../../gateway/ws-router.js';
import { AccountFeed, type ResumeRequest, type ResumeSources, type StreamPosition } from '../resume.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import type { BinanceEncoder } from './encode.js';
import { ERR } from './errors.js';
import { readMarketStream, type BinanceMarketFeed, type MarketSubscriber } from './market-stream.js';
import type { BinanceSymbols } from './symbols.js';
import { isUrlProblem, MAX_STREAMS_PER_CONNECTION, readStreamName, readStreamUrl, type Route, type StreamName } from './stream-names.js';
import { errorFrame, isRequestError, readStreamRequest, resultFrame, type RequestId, type StreamRequest } from './stream-requests.js';

export { isBinanceStreamPath } from './stream-names.js';

export interface BinanceStreamOptions extends ResumeSources {
  listenKeys: ListenKeys;
  encoder: BinanceEncoder;
  /** This stream host's symbols (fstream: USDⓈ-M, dstream: COIN-M). */
  symbols: BinanceSymbols;
  /** Where its URLs start: stream-names.ts FSTREAM_PREFIX or DSTREAM_PREFIX. */
  prefix: string;
  feed: BinanceMarketFeed;
  connections: ConnectionCounter;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxConnectionLifeMs: number;
  /** The heartbeat's and the listen keys' expiry timers (default: Node's). */
  timers?: Timers;
}

/** Close codes of the Binance stream besides the gateway's own (limits.ts). */
export const BinanceClose = Object.freeze({
  /** The listenKey of a raw connection expired or was deleted (after the listenKeyExpired event). */
  KEY_EXPIRED: 4001,
  /** The connection reached its maximum life (Binance: 24 h). */
  MAX_LIFE: MAX_LIFE_CLOSE,
});

const UNKNOWN_KEY_MSG = 'This listenKey does not exist.';
const refusal = (status: number, code: number, msg: string): UpgradeRefusal => ({ status, body: { code, msg } });

/** The event type of an encoded push: every frame the encoder builds starts with `{"e":"<type>"`. */
function eventOf(frame: string): string {
  const prefix = '{"e":"';
  if (frame.startsWith(prefix)) return frame.slice(prefix.length, frame.indexOf('"', prefix.length));
  return String((JSON.parse(frame) as { e?: unknown }).e);
}

/** Binance's combined-stream wrapper; the payload is already JSON text. */
const wrap = (name: string, frame: string): string => `{"stream":${JSON.stringify(name)},"data":${frame}}`;

/**
 * A market frame wrapped for combined streams, made once per frame: the feed hands one frame to
 * every subscriber of its stream in turn, so the last wrapping is what the next subscriber needs,
 * and every combined subscriber is sent the same string (not a copy made for each).
 */
let lastMarketWrap: { name: string; frame: string; text: string } | null = null;
function wrapMarket(name: string, frame: string): string {
  if (lastMarketWrap === null || lastMarketWrap.frame !== frame || lastMarketWrap.name !== name) lastMarketWrap = { name, frame, text: wrap(name, frame) };
  return lastMarketWrap.text;
}

/** Open connections by listenKey, so a deleted key reaches them at once. */
export class BinanceStreams {
  private readonly byKey = new Map<string, Set<BinanceConnection>>();

  constructor(private readonly options: BinanceStreamOptions) {}

  private accountOf = (key: string): number | undefined => this.options.listenKeys.resolve(key, this.options.exchange.now())?.accountId;

  /** Refuses an upgrade whose URL is no stream form, names an unknown or expired key, or keys of two accounts. */
  check(url: URL): UpgradeRefusal | null {
    const read = readStreamUrl(url, this.options.prefix);
    if (isUrlProblem(read)) return refusal(read.status, read.code, read.msg);
    const accounts = new Set<number>();
    let keys = 0;
    for (const text of read.names) {
      const name = readStreamName(text, (key) => this.accountOf(key) !== undefined, read.route);
      if (typeof name === 'string') return refusal(400, ERR.ILLEGAL_CHARS, `Illegal stream name: ${name}.`);
      if (name.kind !== 'user') continue;
      const account = this.accountOf(name.key);
      if (account === undefined) return refusal(400, ERR.INVALID_LISTEN_KEY, UNKNOWN_KEY_MSG);
      accounts.add(account);
      keys += 1;
    }
    if (read.needsKey && keys === 0) return refusal(400, ERR.INVALID_LISTEN_KEY, UNKNOWN_KEY_MSG);
    if (accounts.size > 1) return refusal(400, ERR.INVALID_PARAM, 'Invalid data sent for a parameter: one connection serves the listenKeys of one account; open one connection per account.');
    return null;
  }

  handler(): (socket: WebSocket, request: unknown, url: URL) => void {
    return (socket, _request, url) => {
      const read = readStreamUrl(url, this.options.prefix);
      if (isUrlProblem(read)) {
        socket.close(1008, read.msg.slice(0, 120));
        return;
      }
      const connection = new BinanceConnection(socket, read.combined, read.route, read.resume, this.options, {
        accountOf: this.accountOf,
        watch: (key, c) => this.watch(key, c),
        unwatch: (key, c) => this.unwatch(key, c),
      });
      if (!connection.open(read.names)) {
        // A key expired between the check and the handshake.
        connection.closeExpired();
      }
    };
  }

  /** The key was deleted (DELETE listenKey): its streams say so. */
  closeKey(key: string): void {
    for (const connection of [...(this.byKey.get(key) ?? [])]) connection.expire(key);
  }

  private watch(key: string, connection: BinanceConnection): void {
    let set = this.byKey.get(key);
    if (set === undefined) this.byKey.set(key, (set = new Set()));
    set.add(connection);
  }

  private unwatch(key: string, connection: BinanceConnection): void {
    const set = this.byKey.get(key);
    set?.delete(connection);
    if (set?.size === 0) this.byKey.delete(key);
  }
}

interface Registry {
  accountOf: (key: string) => number | undefined;
  watch: (key: string, connection: BinanceConnection) => void;
  unwatch: (key: string, connection: BinanceConnection) => void;
}

class BinanceConnection implements MarketSubscriber {
  private readonly session: Session;
  private readonly heartbeat: BinanceHeartbeat;
  /** Subscribed names in the order they were subscribed (LIST_SUBSCRIPTIONS answers in that order). */
  private readonly names = new Map<string, StreamName>();
  /** Per listenKey on this connection: the timer that wakes at its expiry. */
  private readonly keyTimers = new Map<string, Timer>();
  private accountId: number | null = null;
  /** The account's events a command at a time, live and (on a resume) replayed. */
  private readonly accountFeed: AccountFeed;
  /** The name that bound the connection to its account, until the stream's position is taken. */
  private boundBy: string | null = null;

  constructor(
    private readonly socket: WebSocket,
    /** Binance's `combined` property: pushes wrapped `{"stream","data"}`; SET_PROPERTY changes it. */
    private combined: boolean,
    /** Where the connection was opened: on `/public` and `/market` every name is a market stream. */
    private readonly route: Route,
    /** The URL's `resume`, served when the connection binds to its account. */
    private readonly resume: ResumeRequest | null,
    private readonly options: BinanceStreamOptions,
    private readonly registry: Registry,
  ) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.accountFeed = new AccountFeed(options, this.session, 'command', (events) => this.onCommand(events));
    this.session.onText((text) => this.onMessage(text));
    this.heartbeat = new BinanceHeartbeat(socket, this.session, options);
    socket.once('close', () => this.onClose());
  }

  /** Subscribes the URL's names; false when one of its keys is no longer live. */
  open(names: readonly string[]): boolean {
    const read = this.readNames(names);
    if (typeof read === 'string') return false;
    this.subscribe(read);
    this.positionOnceBound();
    return true;
  }

  closeExpired(): void {
    this.session.close(BinanceClose.KEY_EXPIRED, 'listenKeyExpired: get a new listenKey (POST /fapi/v1/listenKey) and reconnect');
  }

  /** Reads names for a subscription: every user-data key live and of one account (this one's, once bound). */
  private readNames(texts: readonly string[]): StreamName[] | string {
    const read: StreamName[] = [];
    let account = this.accountId;
    for (const text of texts) {
      const name = readStreamName(text, (key) => this.registry.accountOf(key) !== undefined, this.route);
      if (typeof name === 'string') return name;
      if (name.kind === 'user') {
        const owner = this.registry.accountOf(name.key);
        if (owner === undefined) return `${UNKNOWN_KEY_MSG} (${name.name})`;
        if (account !== null && owner !== account) return `this connection serves the listenKeys of one account; ${name.name} is another account's (open one connection per account)`;
        account = owner;
      }
      read.push(name);
    }
    const added = read.filter((name) => !this.names.has(name.name)).length;
    if (this.names.size + added > MAX_STREAMS_PER_CONNECTION) return `a single connection can listen to a maximum of ${MAX_STREAMS_PER_CONNECTION} streams`;
    return read;
  }

  /** Adds names (already read); the first user-data key binds the connection to its account. */
  private subscribe(names: readonly StreamName[]): boolean {
    let bindingKey: string | null = null;
    for (const name of names) {
      if (name.kind === 'user' && this.accountId === null) {
        if (!this.bind(this.registry.accountOf(name.key)!)) return false;
        bindingKey = name.name;
      }
    }
    for (const name of names) {
      this.names.set(name.name, name);
      if (name.kind === 'user' && !this.keyTimers.has(name.key)) {
        this.registry.watch(name.key, this);
        this.watchExpiry(name.key);
      }
      if (name.kind === 'market') {
        const stream = readMarketStream(name.name, this.options.symbols);
        if (stream !== null) this.options.feed.add(name.name, stream, this);
        // A valid subscribe binds the connection (the unauthenticated deadline no longer applies).
        if (this.accountId === null) this.options.connections.bindPublic(this.socket);
      }
    }
    if (bindingKey !== null) this.boundBy = bindingKey;
    return true;
  }

  /**
   * Just bound, with its names in place: the stream's position, and a resume's replay before any
   * live push. Called once the request that bound it has been answered (a SUBSCRIBE's result first).
   */
  private positionOnceBound(): void {
    const name = this.boundBy;
    if (name === null) return;
    this.boundBy = null;
    this.accountFeed.position(this.resume, (position) => this.announce(name, position));
  }

  /** A resume's outcome, as a user-data event; nothing for a connection that asked for none. */
  private announce(name: string, position: StreamPosition): void {
    if (this.resume === null) return;
    const frame = JSON.stringify({ e: 'STREAM_RESUME', E: this.options.exchange.now(), ...position });
    this.session.send(this.combined ? wrap(name, frame) : frame);
  }

  deliverMarket(name: string, frame: string): void {
    this.session.send(this.combined ? wrapMarket(name, frame) : frame, 'market');
  }

  private bind(accountId: number): boolean {
    if (!this.options.connections.bindAccount(accountId, this.socket)) {
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return false;
    }
    this.accountId = accountId;
    this.accountFeed.listen(accountId);
    return true;
  }

  private unsubscribe(texts: readonly string[]): void {
    const keys = new Set<string>();
    for (const text of texts) {
      const name = this.names.get(text);
      if (name === undefined) continue;
      this.names.delete(text);
      if (name.kind === 'user') keys.add(name.key);
      else this.options.feed.remove(text, this);
    }
    for (const key of keys) if (!this.hasKey(key)) this.forgetKey(key);
  }

  private hasKey(key: string): boolean {
    for (const name of this.names.values()) if (name.kind === 'user' && name.key === key) return true;
    return false;
  }

  private forgetKey(key: string): void {
    (this.options.timers ?? systemTimers).clear(this.keyTimers.get(key));
    this.keyTimers.delete(key);
    this.registry.unwatch(key, this);
  }

  /** Wakes at the key's expiry; a PUT may have extended it meanwhile, then it sleeps again. */
  private watchExpiry(key: string): void {
    const entry = this.options.listenKeys.resolve(key, this.options.exchange.now());
    if (entry === undefined) return this.expire(key);
    this.keyTimers.set(key, (this.options.timers ?? systemTimers).setTimeout(() => this.watchExpiry(key), Math.max(1, entry.expiresAt - this.options.exchange.now())).unref());
  }

  /** The key expired or was deleted: its names that take the event get listenKeyExpired, then they go. */
  expire(key: string): void {
    const frame = JSON.stringify({ e: 'listenKeyExpired', E: this.options.exchange.now(), listenKey: key });
    for (const name of [...this.names.values()]) {
      if (name.kind !== 'user' || name.key !== key) continue;
      if (name.event === null || name.event === 'listenKeyExpired') this.session.send(this.combined ? wrap(name.name, frame) : frame);
      this.names.delete(name.name);
    }
    this.forgetKey(key);
    if (!this.combined) this.closeExpired();
  }

  private onCommand(events: readonly EngineEvent[]): void {
    const frames = this.options.encoder.encode(events);
    if (frames.length === 0) return;
    const seq = events[events.length - 1]!.seq;
    for (const frame of frames) {
      let type: string | undefined;
      for (const name of this.names.values()) {
        if (name.kind !== 'user') continue;
        if (name.event !== null && name.event !== (type ??= eventOf(frame))) continue;
        if (this.accountFeed.skipFrame(seq)) continue;
        this.session.send(this.combined ? wrap(name.name, frame) : frame, type ??= eventOf(frame));
      }
    }
  }

  private onMessage(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    const request = readStreamRequest(text);
    if (isRequestError(request)) return this.session.send(errorFrame(request));
    this.session.send(this.answer(request));
    this.positionOnceBound();
  }

  private answer(request: StreamRequest): string {
    const fail = (msg: string, id: RequestId) => errorFrame({ code: 2, msg: `Invalid request: ${msg}`, id });
    switch (request.method) {
      case 'SUBSCRIBE': {
        const read = this.readNames(request.names);
        if (typeof read === 'string') return fail(read, request.id);
        if (!this.subscribe(read)) return fail('too many connections for this account', request.id);
        return resultFrame(null, request.id);
      }
      case 'UNSUBSCRIBE':
        this.unsubscribe(request.names);
        return resultFrame(null, request.id);
      case 'LIST_SUBSCRIPTIONS':
        return resultFrame([...this.names.keys()], request.id);
      case 'SET_PROPERTY':
        this.combined = request.value;
        return resultFrame(null, request.id);
      case 'GET_PROPERTY':
        return resultFrame(this.combined, request.id);
    }
  }

  private onClose(): void {
    this.heartbeat.stop();
    for (const key of [...this.keyTimers.keys()]) this.forgetKey(key);
    for (const name of this.names.values()) if (name.kind === 'market') this.options.feed.remove(name.name, this);
    this.options.connections.unbindPublic(this.socket);
    this.accountFeed.close();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId, this.socket);
  }
}
