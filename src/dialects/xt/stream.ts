/**
 * XT's user stream at /ws/user (protocols.md §1.1): SUBSCRIBE / UNSUBSCRIBE with `topic@listenKey`
 * params, acks `{id, code, msg}` (0 success, 1 failure, 2 invalid listenKey), text ping → pong, and
 * a close after `idleMs` without a ping. One connection serves one account.
 */
import type { WebSocket } from 'ws';
import type { EngineEvent } from '../../engine/types.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode, type GatewayLimits } from '../../gateway/limits.js';
import { Session } from '../../gateway/session.js';
import type { Exchange } from '../../service/exchange.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import { XT_TOPICS, type XtEncoder, type XtTopic } from './encode.js';

export interface XtStreamOptions {
  exchange: Exchange;
  listenKeys: ListenKeys;
  encoder: XtEncoder;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  /** Close a connection that sent no ping for this long (XT: 30 s). */
  idleMs: number;
}

const ACK_OK = 0;
const ACK_FAILED = 1;
const ACK_INVALID_LISTEN_KEY = 2;

interface Request {
  method?: unknown;
  params?: unknown;
  id?: unknown;
}

class XtConnection {
  private readonly session: Session;
  private accountId: number | null = null;
  private readonly topics = new Set<XtTopic>();
  private stopListening: (() => void) | null = null;
  private idleTimer: NodeJS.Timeout;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly socket: WebSocket, private readonly options: XtStreamOptions) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.idleTimer = this.armIdle();
    socket.on('message', (data, isBinary) => this.onMessage(isBinary ? '' : data.toString()));
    socket.once('close', () => this.onClose());
  }

  private armIdle(): NodeJS.Timeout {
    return setTimeout(() => this.session.close(CloseCode.IDLE, `no ping for ${this.options.idleMs / 1000} s`), this.options.idleMs);
  }

  private onMessage(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = this.armIdle();
    if (text === 'ping') return this.session.send('pong');
    let request: Request;
    try {
      request = JSON.parse(text) as Request;
    } catch {
      return this.ack(null, ACK_FAILED, 'Invalid Parameter: send JSON {"method":"SUBSCRIBE","params":["topic@listenKey"],"id":"…"} or the text ping');
    }
    const id = typeof request.id === 'string' || typeof request.id === 'number' ? request.id : null;
    if (request.method === 'SUBSCRIBE' || request.method === 'UNSUBSCRIBE') {
      return this.onSubscription(id, request.method, request.params);
    }
    this.ack(id, ACK_FAILED, 'Invalid Parameter: method must be SUBSCRIBE or UNSUBSCRIBE');
  }

  private onSubscription(id: string | number | null, method: 'SUBSCRIBE' | 'UNSUBSCRIBE', params: unknown): void {
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
    this.ack(id, ACK_OK, 'success');
  }

  private bind(accountId: number): boolean {
    if (!this.options.connections.bindAccount(accountId)) {
      this.ack(null, ACK_FAILED, `the account already holds ${this.options.limits.maxConnectionsPerAccount} stream connections`);
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return false;
    }
    this.accountId = accountId;
    this.stopListening = this.options.exchange.events.subscribe(accountId, (event) => this.onEvent(event));
    return true;
  }

  /** When the listenKey behind the subscriptions expires, say so per topic and stop pushing. */
  private watchExpiry(expiresAt: number, now: number): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      for (const topic of this.topics) this.ack(null, ACK_INVALID_LISTEN_KEY, `${topic}@invalid_listenkey`);
      this.topics.clear();
    }, Math.max(0, expiresAt - now));
    this.expiryTimer.unref();
  }

  private onEvent(event: EngineEvent): void {
    const topic = this.options.encoder.topicOf(event);
    if (topic === null || !this.topics.has(topic)) return;
    for (const frame of this.options.encoder.encode(event)) this.session.send(frame);
  }

  private ack(id: string | number | null, code: number, msg: string): void {
    this.session.send(JSON.stringify({ id, code, msg }));
  }

  private onClose(): void {
    clearTimeout(this.idleTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.stopListening?.();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId);
  }
}

export function xtStreamHandler(options: XtStreamOptions): (socket: WebSocket) => void {
  return (socket) => void new XtConnection(socket, options);
}
