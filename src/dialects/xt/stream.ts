/**
 * XT's user stream at /ws/user (protocols.md §1.1): SUBSCRIBE / UNSUBSCRIBE with `topic@listenKey`
 * params, acks `{id, code, msg}` (0 success, 1 failure, 2 invalid listenKey), text ping → pong, and
 * a close after `idleMs` without a ping. One connection serves one account.
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
import { XT_TOPICS, type XtEncoder, type XtTopic } from './encode.js';

export interface XtStreamOptions extends ResumeSources {
  listenKeys: ListenKeys;
  encoder: XtEncoder;
  connections: ConnectionCounter;
  /** Close a connection that sent no ping for this long (XT: 30 s). */
  idleMs: number;
  /** The idle and listen-key expiry timers (default: Node's). */
  timers?: Timers;
}

const ACK_OK = 0;
const ACK_FAILED = 1;
const ACK_INVALID_LISTEN_KEY = 2;

/** Each socket's connection, for a forced key expiry (ListenKeys.expireNow) of the account it is bound to. */
type ConnectionsBySocket = WeakMap<WebSocket, XtConnection>;

class XtConnection {
  private readonly session: Session;
  private accountId: number | null = null;
  private readonly topics = new Set<XtTopic>();
  private readonly timers: Timers;
  private idleTimer: Timer;
  private expiryTimer: Timer | null = null;
  /** The account's events, live and (on a resume) replayed: resume.ts. */
  private readonly feed: AccountFeed;

  constructor(private readonly socket: WebSocket, private readonly options: XtStreamOptions, live: ConnectionsBySocket) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.feed = new AccountFeed(options, this.session, 'event', (events) => this.send(events[0]!));
    this.timers = options.timers ?? systemTimers;
    this.idleTimer = this.armIdle();
    this.session.onText((text) => this.onMessage(text));
    socket.once('close', () => this.onClose());
    live.set(socket, this);
  }

  private armIdle(): Timer {
    return this.timers.setTimeout(() => this.session.close(CloseCode.IDLE, `no ping for ${this.options.idleMs / 1000} s`), this.options.idleMs);
  }

  private onMessage(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    this.timers.clear(this.idleTimer);
    this.idleTimer = this.armIdle();
    if (text === 'ping') return this.session.send('pong');
    const parsed = readJsonObject(text);
    if (!parsed.ok) {
      return this.ack(null, ACK_FAILED, 'Invalid Parameter: send JSON {"method":"SUBSCRIBE","params":["topic@listenKey"],"id":"…"} or the text ping');
    }
    const request = parsed.value;
    const id = requestIdOf(request.id);
    // XT's docs show both SUBSCRIBE and "subscribe"; its own SDK (pyxt) sends "subscribe".
    const method = typeof request.method === 'string' ? request.method.toUpperCase() : null;
    if (method === 'SUBSCRIBE' || method === 'UNSUBSCRIBE') {
      const resume = readResume(request.resume);
      if (resume === 'invalid') return this.ack(id, ACK_FAILED, `Invalid Parameter: resume must be ${RESUME_SHAPE}`);
      return this.onSubscription(id, method, request.params, resume);
    }
    this.ack(id, ACK_FAILED, 'Invalid Parameter: method must be SUBSCRIBE or UNSUBSCRIBE');
  }

  private onSubscription(id: string | number | null, method: 'SUBSCRIBE' | 'UNSUBSCRIBE', params: unknown, resume: ResumeRequest | null): void {
    if (!Array.isArray(params) || params.length === 0 || !params.every((p) => typeof p === 'string')) {
      return this.ack(id, ACK_FAILED, 'Invalid Parameter: params must be a non-empty list of "topic@listenKey"');
    }
    const now = this.options.exchange.now();
    const wanted: { topic: XtTopic; accountId: number; expiresAt: number }[] = [];
    for (const param of params as string[]) {
      const at = param.indexOf('@');
      const topic = param.slice(0, at) as XtTopic;
      if (at < 0 || !XT_TOPICS.includes(topic)) {
        return this.ack(id, ACK_FAILED, `Invalid Parameter: unknown topic in "${param}"; topics are ${XT_TOPICS.join(', ')}`);
      }
      const key = this.options.listenKeys.resolve(param.slice(at + 1), now);
      if (key === undefined) return this.ack(id, ACK_INVALID_LISTEN_KEY, `${topic}@invalid_listenkey`);
      if (this.accountId !== null && key.accountId !== this.accountId) {
        return this.ack(id, ACK_FAILED, 'a connection serves one account: open another connection for this listenKey');
      }
      wanted.push({ topic, accountId: key.accountId, expiresAt: key.expiresAt });
    }
    if (method === 'UNSUBSCRIBE') {
      for (const { topic } of wanted) this.topics.delete(topic);
      return this.ack(id, ACK_OK, 'success');
    }
    if (this.accountId === null && !this.bind(wanted[0]!.accountId)) return;
    for (const { topic } of wanted) this.topics.add(topic);
    this.watchExpiry(Math.min(...wanted.map((w) => w.expiresAt)), now);
    this.feed.position(resume, (position) => this.ackSubscribed(id, position));
  }

  /** The success ack, with perpstream's extension: the stream's epoch and the account's current seq. */
  private ackSubscribed(id: string | number | null, extension: StreamPosition): void {
    this.session.send(JSON.stringify({ id, code: ACK_OK, msg: 'success', ...extension }));
  }

  private bind(accountId: number): boolean {
    if (!this.options.connections.bindAccount(accountId, this.socket)) {
      this.ack(null, ACK_FAILED, `the account already holds ${this.options.limits.maxConnectionsPerAccount} stream connections`);
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return false;
    }
    this.accountId = accountId;
    this.feed.listen(accountId);
    return true;
  }

  /** When the listenKey behind the subscriptions expires, say so per topic and stop pushing. */
  private watchExpiry(expiresAt: number, now: number): void {
    this.timers.clear(this.expiryTimer);
    this.expiryTimer = this.timers.setTimeout(() => this.keyExpired(), Math.max(0, expiresAt - now));
    this.expiryTimer.unref();
  }

  /** The listenKey expired (at its time, or now by an operator's fault). */
  keyExpired(): void {
    this.timers.clear(this.expiryTimer);
    this.expiryTimer = null;
    for (const topic of this.topics) this.ack(null, ACK_INVALID_LISTEN_KEY, `${topic}@invalid_listenkey`);
    this.topics.clear();
  }

  private send(event: EngineEvent): void {
    const topic = this.options.encoder.topicOf(event);
    if (topic === null || !this.topics.has(topic)) return;
    for (const frame of this.options.encoder.encode(event)) {
      if (!this.feed.skipFrame(event.seq)) this.session.send(frame, topic);
    }
  }

  private ack(id: string | number | null, code: number, msg: string): void {
    this.session.send(JSON.stringify({ id, code, msg }));
  }

  private onClose(): void {
    this.timers.clear(this.idleTimer);
    this.timers.clear(this.expiryTimer);
    this.feed.close();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId, this.socket);
  }
}

export function xtStreamHandler(options: XtStreamOptions): (socket: WebSocket) => void {
  const live: ConnectionsBySocket = new WeakMap();
  // An account's keys expired at once: every connection of the account says so, as at their time.
  options.listenKeys.forcedExpiry.add((accountId) => {
    for (const socket of options.connections.socketsOf(accountId)) live.get(socket)?.keyExpired();
  });
  return (socket) => void new XtConnection(socket, options, live);
}
