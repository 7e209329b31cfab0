/**
 * What KuCoin's two private streams share: the token in the URL (resolved once, at connect: a
 * connected socket outlives its token, as on KuCoin), one account per connection (bound with the
 * gateway's ConnectionCounter), the JSON ping → pong, the close after `idleMs` without a ping, and
 * delivery of the encoder's frames whose key the connection subscribed, and resume by {epoch, seq}
 * on the first private subscription (a `resume` field on it: resume.ts).
 */
import type { WebSocket } from 'ws';
import type { EngineEvent } from '../../engine/types.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode } from '../../gateway/limits.js';
import { readJsonObject, requestIdOf } from '../../gateway/inbound.js';
import { Session } from '../../gateway/session.js';
import { systemTimers, type Timer, type Timers } from '../../gateway/timers.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import { AccountFeed, readResume, RESUME_SHAPE, type ResumeRequest, type ResumeSources, type StreamPosition } from '../resume.js';
import type { Frame } from './encode.js';
import { toJson, type JsonValue } from './json.js';

/** Close codes of the KuCoin streams beyond the gateway's (limits.ts). */
export const KucoinCloseCode = Object.freeze({
  /** The token in the URL is unknown or expired (an error frame says so first). */
  TOKEN: 4001,
});

/** Subscriptions one connection may hold (KuCoin: 100 topics per connection). */
export const MAX_SUBSCRIPTIONS = 100;

export interface ConnectionOptions extends ResumeSources {
  tokens: ListenKeys;
  encode: (event: EngineEvent) => readonly Frame[];
  connections: ConnectionCounter;
  /** Close a connection that sent no ping for this long (KuCoin: 60 s). */
  idleMs: number;
  /** The idle timer (default: Node's). */
  timers?: Timers;
}

export type Message = Record<string, unknown>;

export abstract class KucoinConnection {
  protected readonly session: Session;
  protected readonly keys = new Set<string>();
  private accountId: number | null = null;
  private idleTimer: Timer | null = null;
  /** The account's events, live and (on a resume) replayed. */
  private readonly feed: AccountFeed;

  constructor(protected readonly socket: WebSocket, protected readonly options: ConnectionOptions) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.feed = new AccountFeed(options, this.session, 'event', (events) => this.onEvent(events[0]!));
    socket.once('close', () => this.onClose());
  }

  /** Checks the token, binds the account and says welcome; called once the subclass is constructed. */
  start(url: URL): void {
    const { options, socket } = this;
    const token = url.searchParams.get('token') ?? '';
    const entry = token === '' ? undefined : options.tokens.resolve(token, options.exchange.now());
    if (entry === undefined && this.acceptsPublicToken(token)) {
      // A public connection: no account; it is bound (ConnectionCounter.bindPublic) by its first subscription.
      this.begin(url);
      return;
    }
    if (entry === undefined) {
      // Unknown and expired tokens get the same answer: either way the client must fetch a new one.
      this.error(url.searchParams.get('connectId'), 401, 'token is expired');
      this.session.close(KucoinCloseCode.TOKEN, 'token is expired');
      return;
    }
    if (!options.connections.bindAccount(entry.accountId, socket)) {
      this.error(url.searchParams.get('connectId'), 509, `the account already holds ${options.limits.maxConnectionsPerAccount} stream connections`);
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return;
    }
    this.accountId = entry.accountId;
    this.feed.listen(entry.accountId);
    this.begin(url);
  }

  private begin(url: URL): void {
    this.armIdle();
    this.session.onText((text) => this.onText(text));
    this.session.send(this.welcome(url));
  }

  /** The account this connection serves, or null for a public one (a bullet-public token). */
  protected get account(): number | null {
    return this.accountId;
  }

  /**
   * The `resume` field of a subscription message: absent (null), or well formed; otherwise the
   * connection has answered with an error in its shape and the result is 'refused'.
   */
  protected readResumeOf(request: Message, extras: readonly string[] = [], shape = RESUME_SHAPE): ResumeRequest | null | 'refused' {
    const resume = readResume(request.resume, extras);
    if (resume !== 'invalid') return resume;
    this.error(request.id, 400, `resume must be ${shape}, on a private subscribe`);
    return 'refused';
  }

  /**
   * Answers a private subscription. The first one takes the stream's position (and serves a resume,
   * whose outcome `answer` gets before any replayed event); without a resume the answer is the
   * stream's plain one, as on KuCoin.
   */
  protected answerSubscription(resume: ResumeRequest | null, answer: (position: StreamPosition | null) => void): void {
    this.feed.position(resume, (position) => answer(resume === null ? null : position));
  }

  /** Whether `token`, not a private token of this stream, opens a public connection (none do by default). */
  protected acceptsPublicToken(_token: string): boolean {
    return false;
  }

  /** Called once when the connection has closed, after the base has let go of its account. */
  protected onClosed(): void {}

  /** The first frame of a connection. */
  protected abstract welcome(url: URL): string;
  /** A message that is not a ping. */
  protected abstract onRequest(message: Message): void;
  /** An error in this stream's shape. */
  protected abstract error(id: unknown, code: number, text: string): void;

  protected send(value: JsonValue): void {
    this.session.send(toJson(value));
  }

  private armIdle(): void {
    const timers = this.options.timers ?? systemTimers;
    timers.clear(this.idleTimer);
    this.idleTimer = timers.setTimeout(() => this.session.close(CloseCode.IDLE, `no ping for ${this.options.idleMs / 1000} s`), this.options.idleMs);
  }

  private onText(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    const parsed = readJsonObject(text);
    if (!parsed.ok) {
      return this.error(null, 400, parsed.problem === 'not-json'
        ? 'the message is not JSON: send {"id":"…","type":"ping"} or a subscription'
        : 'the message must be a JSON object');
    }
    const request = parsed.value as Message;
    if (request.type === 'ping') {
      this.armIdle();
      return this.send({ id: requestIdOf(request.id), type: 'pong' });
    }
    this.onRequest(request);
  }

  private onEvent(event: EngineEvent): void {
    if (this.keys.size === 0) return;
    for (const frame of this.options.encode(event)) {
      if (this.keys.has(frame.key) && !this.feed.skipFrame(event.seq)) this.session.send(frame.text, event.type);
    }
  }

  private onClose(): void {
    (this.options.timers ?? systemTimers).clear(this.idleTimer);
    this.feed.close();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId, this.socket);
    this.onClosed();
  }
}

