/**
 * Bybit's private stream at /bybit/v5/private (protocols.md §3.1): `auth` with
 * [apiKey, expires, sign("GET/realtime" + expires)], then `subscribe` / `unsubscribe` topics;
 * `ping` → `pong`. Replies carry `op`, `conn_id` and the client's `req_id`. One connection serves
 * the one account it authenticated as. A connection with no ping-pong and no data for `idleMs`
 * (Bybit: 10 min, or `max_active_time` = 30s…600s / 1m…10m in the URL) is cut.
 *
 * perpstream's extension: `"resume": {"epoch","seq"}` on the connection's first `subscribe` replays
 * every event after `seq` (resume.ts), a command per frame as live; the reply carries `epoch`,
 * `seq` and `resume` (the outcome). Every push carries the account's `seq` to resume from.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { EngineEvent } from '../../engine/types.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode } from '../../gateway/limits.js';
import { readJsonObject } from '../../gateway/inbound.js';
import { Session } from '../../gateway/session.js';
import { systemTimers, type Timer, type Timers } from '../../gateway/timers.js';
import type { CredentialStore } from '../../service/credentials.js';
import { AccountFeed, readResume, RESUME_SHAPE } from '../resume.js';
import type { ResumeSources } from '../resume.js';
import { verifyStreamAuth } from './auth.js';
import { TOPICS, type BybitPushEncoder } from './push.js';

export interface BybitStreamOptions extends ResumeSources {
  credentials: CredentialStore;
  encoder: BybitPushEncoder;
  connections: ConnectionCounter;
  /** Default idle cut-off (Bybit: 10 min). */
  idleMs: number;
  /** Bounds of `max_active_time` (Bybit: 30 s to 600 s). */
  minActiveTimeMs: number;
  maxActiveTimeMs: number;
  /** The idle timer (default: Node's). */
  timers?: Timers;
}

/** `max_active_time` ("45s", "2m") in ms, clamped to the bounds; undefined if absent or malformed. */
export function parseMaxActiveTime(text: string | null, min: number, max: number): number | undefined {
  if (text === null) return undefined;
  const match = /^(\d{1,6})(s|m)$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * (match[2] === 'm' ? 60_000 : 1_000);
  return Math.min(max, Math.max(min, ms));
}

interface Request {
  op?: unknown;
  args?: unknown;
  req_id?: unknown;
  resume?: unknown;
}

class BybitConnection {
  private readonly session: Session;
  private readonly connId = randomUUID();
  private accountId: number | null = null;
  private readonly topics = new Set<string>();
  /** The account's events a command at a time, live and (on a resume) replayed. */
  private readonly feed: AccountFeed;
  private readonly idleMs: number;
  private lastActive: number;
  private readonly timers: Timers;
  private idleTimer: Timer;

  constructor(private readonly socket: WebSocket, private readonly options: BybitStreamOptions, url: URL) {
    const now = options.exchange.now();
    this.session = new Session(socket, options.limits, now);
    this.feed = new AccountFeed(options, this.session, 'command', (events) => this.onCommand(events));
    this.idleMs = parseMaxActiveTime(url.searchParams.get('max_active_time'), options.minActiveTimeMs, options.maxActiveTimeMs) ?? options.idleMs;
    this.lastActive = now;
    this.timers = options.timers ?? systemTimers;
    this.idleTimer = this.armIdle(this.idleMs);
    this.session.onText((text) => this.onMessage(text));
    socket.once('close', () => this.onClose());
  }

  /** Bybit checks for idleness periodically; here a timer fires at the earliest possible cut-off. */
  private armIdle(delay: number): Timer {
    const timer = this.timers.setTimeout(() => {
      const quiet = this.options.exchange.now() - this.lastActive;
      if (quiet >= this.idleMs) this.session.close(CloseCode.IDLE, `no ping-pong and no data for ${Math.round(this.idleMs / 1000)} s`);
      else this.idleTimer = this.armIdle(this.idleMs - quiet);
    }, delay);
    timer.unref();
    return timer;
  }

  private onMessage(text: string): void {
    const now = this.options.exchange.now();
    if (!this.session.admitInbound(now)) return;
    this.lastActive = now;
    const parsed = readJsonObject(text);
    if (!parsed.ok) {
      return this.reply({ success: false, ret_msg: 'error:invalid json: send {"op": "auth" | "subscribe" | "unsubscribe" | "ping", "args": […], "req_id": "…"}', op: '' });
    }
    const request = parsed.value as Request;
    const reqId = typeof request.req_id === 'string' || typeof request.req_id === 'number' ? request.req_id : undefined;
    switch (request.op) {
      case 'ping': return this.reply({ req_id: reqId ?? '', op: 'pong', args: [String(now)] });
      case 'auth': return this.onAuth(request.args, reqId, now);
      case 'subscribe':
      case 'unsubscribe': return this.onSubscription(request.op, request.args, reqId, request.resume);
      default:
        return this.reply({ success: false, ret_msg: `error:invalid op ${JSON.stringify(request.op ?? null)}: ops are auth, subscribe, unsubscribe, ping`, op: typeof request.op === 'string' ? request.op : '' }, reqId);
    }
  }

  private onAuth(args: unknown, reqId: string | number | undefined, now: number): void {
    const request = { op: 'auth', args: Array.isArray(args) ? args : null };
    if (this.accountId !== null) return this.reply({ success: false, ret_msg: 'Repeat auth: this connection is already authenticated', op: 'auth', request }, reqId);
    const verdict = verifyStreamAuth(args, this.options.credentials, now);
    // `request` echoes the op, as Bybit's older streams did: ccxt then raises AuthenticationError.
    if (!verdict.ok) return this.reply({ success: false, ret_msg: verdict.message, op: 'auth', request }, reqId);
    const { accountId } = verdict.credential;
    if (!this.options.connections.bindAccount(accountId, this.socket)) {
      this.reply({ success: false, ret_msg: `too many sessions: the account already holds ${this.options.limits.maxConnectionsPerAccount} stream connections`, op: 'auth', request }, reqId);
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return;
    }
    this.accountId = accountId;
    this.feed.listen(accountId);
    this.reply({ success: true, ret_msg: '', op: 'auth' }, reqId);
  }

  private onSubscription(op: 'subscribe' | 'unsubscribe', args: unknown, reqId: string | number | undefined, resumeField: unknown): void {
    const fail = (message: string): void => this.reply({ success: false, ret_msg: message, op }, reqId);
    if (this.accountId === null) return fail('Request not authorized: send {"op":"auth","args":[apiKey, expires, signature]} first');
    const resume = readResume(resumeField);
    if (resume === 'invalid') return fail(`error:resume must be ${RESUME_SHAPE}`);
    if (resume !== null && op !== 'subscribe') return fail('error:resume goes on a subscribe');
    if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string')) {
      return fail('error:args must be a non-empty list of topics, e.g. ["position","execution","order","wallet"]');
    }
    const styles = new Set<string>();
    for (const topic of args as string[]) {
      const known = TOPICS.get(topic);
      if (known === undefined) return fail(`error:handler not found,topic:${topic}; topics are ${[...TOPICS.keys()].join(', ')}`);
      if (known.style !== 'neutral') styles.add(known.style);
    }
    if (styles.size > 1) return fail('error:all-in-one topics and categorised topics (.linear) cannot be in the same request');
    if (op === 'unsubscribe') {
      for (const topic of args as string[]) this.topics.delete(topic);
      return this.reply({ success: true, ret_msg: '', op }, reqId);
    }
    for (const topic of args as string[]) this.topics.add(topic);
    // The stream's position rides on the reply only when the client asked for a resume.
    this.feed.position(resume, (position) => this.reply({ success: true, ret_msg: '', op, ...(resume === null ? {} : position) }, reqId));
  }

  /** One command's events: one frame per subscribed topic. */
  private onCommand(batch: readonly EngineEvent[]): void {
    if (this.topics.size === 0) return;
    let sent = false;
    const seq = batch[batch.length - 1]!.seq;
    for (const topic of this.topics) {
      const frame = this.options.encoder.frame(batch, topic);
      if (frame === null || this.feed.skipFrame(seq)) continue;
      this.session.send(frame, topic);
      sent = true;
    }
    if (sent) this.lastActive = this.options.exchange.now();
  }

  private reply(message: Record<string, unknown>, reqId?: string | number): void {
    const body = reqId === undefined ? message : { ...message, req_id: reqId };
    this.session.send(JSON.stringify({ ...body, conn_id: this.connId }));
  }

  private onClose(): void {
    this.timers.clear(this.idleTimer);
    this.feed.close();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId, this.socket);
  }
}

export function bybitStreamHandler(options: BybitStreamOptions): (socket: WebSocket, request: unknown, url: URL) => void {
  return (socket, _request, url) => void new BybitConnection(socket, options, url);
}
