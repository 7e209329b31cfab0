/**
 * XT's user stream at /ws/user (protocols.md §1.1): SUBSCRIBE / UNSUBSCRIBE with `topic@listenKey`
 * params, acks `{id, code, msg}` (0 success, 1 failure, 2 invalid listenKey), text ping → pong, and
 * a close after `idleMs` without a ping. One connection serves one account.
 */
import type { WebSocket } from 'ws';
import type { EngineEvent } from '../../engine/types.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode, type GatewayLimits } from '../../gateway/limits.js';
import { readJsonObject, requestIdOf } from '../../gateway/inbound.js';
import { Session } from '../../gateway/session.js';
import { systemTimers, type Timer, type Timers } from '../../gateway/timers.js';
import type { AwaitSeq } from '../dialect.js';
import type { EventLog, OlderHistory, ReplayResult } from '../../service/event-log.js';
import type { StreamExchange } from '../../service/stream-exchange.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import { XT_TOPICS, type XtEncoder, type XtTopic } from './encode.js';

export interface XtStreamOptions {
  exchange: StreamExchange;
  listenKeys: ListenKeys;
  encoder: XtEncoder;
  /** Recent events, for clients that resume from their last {epoch, seq}. */
  eventLog: EventLog;
  /** History older than the window (the data directory's journal); null when there is none. */
  olderHistory: OlderHistory | null;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  /** Close a connection that sent no ping for this long (XT: 30 s). */
  idleMs: number;
  /** The idle and listen-key expiry timers (default: Node's). */
  timers?: Timers;
  /** Scale-out: wait for events a client saw on another gateway before resuming here (absent in one process). */
  awaitSeq?: AwaitSeq;
}

const ACK_OK = 0;
const ACK_FAILED = 1;
const ACK_INVALID_LISTEN_KEY = 2;

interface Resume {
  epoch: string;
  seq: number;
}

/** perpstream's extension on SUBSCRIBE: continue a stream from the last {epoch, seq} the client saw. */
function parseResume(value: unknown): Resume | null | 'invalid' {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  const { epoch, seq } = value as { epoch?: unknown; seq?: unknown };
  if (typeof epoch !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'invalid';
  return { epoch, seq };
}

class XtConnection {
  private readonly session: Session;
  private accountId: number | null = null;
  private readonly topics = new Set<XtTopic>();
  private stopListening: (() => void) | null = null;
  private readonly timers: Timers;
  private idleTimer: Timer;
  private expiryTimer: Timer | null = null;
  /**
   * While a resume replays, every event to send (the missed ones, then live ones as they come)
   * waits here in seq order and goes out as fast as the socket drains: a long replay neither
   * floods the outgoing queue nor lets a live event overtake history.
   */
  private backlog: EngineEvent[] | null = null;
  private backlogNext = 0;
  /** Aborted when the connection closes while its resume replays from the journal: frees its share of the replay budget. */
  private replayAbort: AbortController | null = null;

  constructor(private readonly socket: WebSocket, private readonly options: XtStreamOptions) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.timers = options.timers ?? systemTimers;
    this.idleTimer = this.armIdle();
    this.session.onText((text) => this.onMessage(text));
    socket.once('close', () => this.onClose());
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
      const resume = parseResume(request.resume);
      if (resume === 'invalid') return this.ack(id, ACK_FAILED, 'Invalid Parameter: resume must be {"epoch": "<epoch>", "seq": <last seq received>}');
      return this.onSubscription(id, method, request.params, resume);
    }
    this.ack(id, ACK_FAILED, 'Invalid Parameter: method must be SUBSCRIBE or UNSUBSCRIBE');
  }

  private onSubscription(id: string | number | null, method: 'SUBSCRIBE' | 'UNSUBSCRIBE', params: unknown, resume: Resume | null): void {
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
    const firstBinding = this.accountId === null;
    if (firstBinding && !this.bind(wanted[0]!.accountId)) return;
    for (const { topic } of wanted) this.topics.add(topic);
    this.watchExpiry(Math.min(...wanted.map((w) => w.expiresAt)), now);
    const accountId = this.accountId!;
    const seq = this.options.exchange.engine.account(accountId)?.seq ?? 0;
    const epoch = this.options.exchange.epoch;
    if (resume === null) return this.ackSubscribed(id, { epoch, seq });
    const awaitSeq = this.options.awaitSeq;
    if (firstBinding && resume.epoch === epoch && resume.seq > seq && awaitSeq !== undefined) {
      // The client saw events this process has not received yet (it came from another gateway of
      // the scale-out): live events wait in the backlog until they have, then the resume is served
      // as of then. Everything that waited is at or below the seq acknowledged then, so it is dropped.
      this.backlog = [];
      this.backlogNext = 0;
      const abort = new AbortController();
      this.replayAbort = abort;
      void awaitSeq(accountId, resume.seq, abort.signal).then((arrived) => {
        this.replayAbort = null;
        this.backlog = null;
        if (!this.session.isOpen) return;
        const now = this.options.exchange.engine.account(accountId)?.seq ?? 0;
        if (arrived) return this.resumeFrom(id, accountId, epoch, now, resume, true);
        this.startReplay(id, epoch, now, resume.seq, { recovered: false, reason: `seq ${resume.seq} is ahead of the account's ${now} on this gateway: not this history, or the events are late; resume again` }, []);
      });
      return;
    }
    this.resumeFrom(id, accountId, epoch, seq, resume, firstBinding);
  }

  /** Serves a resume at the account's current `seq`: from the window, or older history from the journal. */
  private resumeFrom(id: string | number | null, accountId: number, epoch: string, seq: number, resume: Resume, firstBinding: boolean): void {
    // Replay and live delivery happen in this same turn of the event loop, so no live event can
    // slip between them: the client gets every event after its seq exactly once, in order.
    const { maxReplayEvents } = this.options.limits;
    let outcome = !firstBinding ? { recovered: false as const, reason: 'resume only on the first SUBSCRIBE of a connection' }
      : resume.epoch !== epoch ? { recovered: false as const, reason: `epoch ${resume.epoch} is not this stream's history (${epoch})` }
        : this.options.eventLog.since(accountId, resume.seq, seq);
    if (outcome.recovered && outcome.events.length > maxReplayEvents) {
      outcome = { recovered: false, reason: `${outcome.events.length} events behind, more than one resume replays (${maxReplayEvents}); fetch a REST snapshot` };
    }
    const older = this.options.olderHistory;
    if (!outcome.recovered && outcome.tooOld === true && older !== null) {
      // Older than the window: recomputed from the journal, asynchronously. Live events wait in
      // the backlog meanwhile, and the ack (which must precede every push) waits for the answer.
      // Over the replay budget, the answer (recovered: false) comes at once, without the work.
      this.backlog = [];
      this.backlogNext = 0;
      const abort = new AbortController();
      this.replayAbort = abort;
      void older.eventsOf(accountId, resume.seq, seq, this.options.exchange.engine.cmdSeq, maxReplayEvents, abort.signal)
        .then((result) => {
          this.replayAbort = null;
          this.startReplay(id, epoch, seq, resume.seq, result, this.backlog ?? []);
        });
      return;
    }
    this.startReplay(id, epoch, seq, resume.seq, outcome, []);
  }

  /** Acks a resume with its outcome, then sends the missed events followed by the live ones that waited. */
  private startReplay(id: string | number | null, epoch: string, seq: number, afterSeq: number, outcome: ReplayResult, live: EngineEvent[]): void {
    if (!this.session.isOpen) return;
    this.session.observer.resumed(outcome.recovered);
    this.ackSubscribed(id, { epoch, seq, resume: outcome.recovered ? { recovered: true, from: afterSeq + 1, to: seq } : { recovered: false, reason: outcome.reason } });
    const pending = outcome.recovered ? [...outcome.events, ...live] : live;
    this.backlog = pending.length > 0 ? pending : null;
    this.backlogNext = 0;
    this.pump();
  }

  /** Sends backlog while the outgoing queue is under half its bound; comes back when it drains. */
  private pump(): void {
    const backlog = this.backlog;
    if (backlog === null || !this.session.isOpen) return;
    const room = this.options.limits.maxQueueBytes / 2;
    while (this.backlogNext < backlog.length && this.session.queuedBytes < room) this.send(backlog[this.backlogNext++]!);
    if (this.backlogNext < backlog.length) {
      setTimeout(() => this.pump(), 5).unref();
      return;
    }
    this.backlog = null;
  }

  /** The success ack, with perpstream's extension: the stream's epoch and the account's current seq. */
  private ackSubscribed(id: string | number | null, extension: Record<string, unknown>): void {
    this.session.send(JSON.stringify({ id, code: ACK_OK, msg: 'success', ...extension }));
  }

  private bind(accountId: number): boolean {
    if (!this.options.connections.bindAccount(accountId, this.socket)) {
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
    this.timers.clear(this.expiryTimer);
    this.expiryTimer = this.timers.setTimeout(() => {
      for (const topic of this.topics) this.ack(null, ACK_INVALID_LISTEN_KEY, `${topic}@invalid_listenkey`);
      this.topics.clear();
    }, Math.max(0, expiresAt - now));
    this.expiryTimer.unref();
  }

  private onEvent(event: EngineEvent): void {
    if (this.backlog === null) return this.send(event);
    this.backlog.push(event);
    if (this.backlog.length - this.backlogNext > this.options.limits.maxReplayEvents) {
      this.session.close(CloseCode.SLOW_CONSUMER, 'the resume backlog passed maxReplayEvents: the client reads too slowly', false);
    }
  }

  private send(event: EngineEvent): void {
    const topic = this.options.encoder.topicOf(event);
    if (topic === null || !this.topics.has(topic)) return;
    for (const frame of this.options.encoder.encode(event)) this.session.send(frame, topic);
  }

  private ack(id: string | number | null, code: number, msg: string): void {
    this.session.send(JSON.stringify({ id, code, msg }));
  }

  private onClose(): void {
    this.timers.clear(this.idleTimer);
    this.timers.clear(this.expiryTimer);
    this.replayAbort?.abort();
    this.stopListening?.();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId, this.socket);
  }
}

export function xtStreamHandler(options: XtStreamOptions): (socket: WebSocket) => void {
  return (socket) => void new XtConnection(socket, options);
}
