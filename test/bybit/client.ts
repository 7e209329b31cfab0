/**
 * Test clients for perpstream's Bybit dialect: a signed v5 REST client and a private-stream client
 * that records every frame. Real HTTP and WebSocket, nothing mocked.
 */
import WebSocket from 'ws';
import { restPayload, sign } from '../../src/dialects/bybit/auth.js';
import type { RunningServer, ServerOptions } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import type { AdminClient } from '../support/xt-client.js';

export { sign };

export interface Envelope<T = Record<string, unknown>> {
  retCode: number;
  retMsg: string;
  result: T;
  retExtInfo: Record<string, unknown>;
  time: number;
}

export class BybitRest {
  constructor(readonly baseUrl: string, readonly apiKey: string, readonly secret: string) {}

  headers(method: string, rawQuery: string, rawBody: string, options: { timestamp?: number; recvWindow?: string; secret?: string; apiKey?: string } = {}): Record<string, string> {
    const timestamp = String(options.timestamp ?? Date.now());
    const recvWindow = options.recvWindow ?? '5000';
    const apiKey = options.apiKey ?? this.apiKey;
    const payload = restPayload(timestamp, apiKey, recvWindow, { method, rawQuery, rawBody });
    return {
      'X-BAPI-API-KEY': apiKey,
      'X-BAPI-TIMESTAMP': timestamp,
      'X-BAPI-RECV-WINDOW': recvWindow,
      'X-BAPI-SIGN': sign(options.secret ?? this.secret, payload),
      'content-type': 'application/json',
    };
  }

  async get<T = Record<string, unknown>>(path: string, query: Record<string, string | number> = {}, options: Parameters<BybitRest['headers']>[3] = {}): Promise<Envelope<T>> {
    const rawQuery = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const response = await fetch(`${this.baseUrl}/bybit${path}${rawQuery ? `?${rawQuery}` : ''}`, { headers: this.headers('GET', rawQuery, '', options) });
    return (await response.json()) as Envelope<T>;
  }

  async post<T = Record<string, unknown>>(path: string, body: Record<string, unknown> = {}, options: Parameters<BybitRest['headers']>[3] = {}): Promise<Envelope<T>> {
    const rawBody = JSON.stringify(body);
    const response = await fetch(`${this.baseUrl}/bybit${path}`, { method: 'POST', headers: this.headers('POST', '', rawBody, options), body: rawBody });
    return (await response.json()) as Envelope<T>;
  }

  /** Posts and insists on retCode 0. */
  async must<T = Record<string, unknown>>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    const reply = await this.post<T>(path, body);
    if (reply.retCode !== 0) throw new Error(`${path} ${JSON.stringify(body)} → ${JSON.stringify(reply)}`);
    return reply.result;
  }
}

export type Frame = Record<string, unknown> & { topic?: string; op?: string; data?: unknown };

/** A Bybit private stream connection that records every frame in arrival order. */
export class BybitStream {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(wsUrl: string, query = ''): Promise<BybitStream> {
    const socket = new WebSocket(`${wsUrl}/bybit/v5/private${query}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new BybitStream(socket);
  }

  /** Pushes (frames with a topic), optionally of one topic. */
  pushes(topic?: string): Frame[] {
    return this.frames.filter((f) => f.topic !== undefined && (topic === undefined || f.topic === topic));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  async until(condition: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and returns the next frame that is not a push (the reply). */
  async request(message: unknown): Promise<Frame> {
    const before = this.frames.length;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    let found: Frame | undefined;
    await this.until(() => (found = this.frames.slice(before).find((f) => f.topic === undefined)) !== undefined, `reply to ${JSON.stringify(message)}`);
    return found!;
  }

  async auth(apiKey: string, secret: string, expires = Date.now() + 10_000, reqId?: string): Promise<Frame> {
    const signature = sign(secret, `GET/realtime${expires}`);
    return this.request({ op: 'auth', args: [apiKey, expires, signature], ...(reqId === undefined ? {} : { req_id: reqId }) });
  }

  async subscribe(topics: string[], reqId?: string | number): Promise<Frame> {
    return this.request({ op: 'subscribe', args: topics, ...(reqId === undefined ? {} : { req_id: reqId }) });
  }

  /**
   * The barrier: a ping/pong round trip. Replies leave through the same outgoing queue as pushes,
   * so when the pong is here every push the server queued before it read the ping is here too.
   */
  async sync(): Promise<void> {
    const pong = await this.request({ op: 'ping', req_id: 'sync' });
    if (pong.op !== 'pong') throw new Error(`sync: expected a pong, got ${JSON.stringify(pong)}`);
  }

  /** Waits for `count` pushes of `topic` after the first `from` ones, and returns them. */
  async next(topic: string, from: number, count = 1): Promise<Frame[]> {
    await this.until(() => this.pushes(topic).length >= from + count, `${count} ${topic} push(es) after #${from}`);
    return this.pushes(topic).slice(from, from + count);
  }

  close(): void {
    this.socket.close();
  }
}

export interface BybitAccount {
  accountId: number;
  apiKey: string;
  secret: string;
  rest: BybitRest;
}

/** The harness's server (one-way accounts, as on Bybit) with helpers to make funded accounts and streams. */
export class BybitFixture {
  private readonly streams: BybitStream[] = [];

  private constructor(readonly harness: Harness) {}

  static async start(options: Partial<ServerOptions> = {}): Promise<BybitFixture> {
    return new BybitFixture(await Harness.start({ defaultPositionMode: 'ONE_WAY', ...options }));
  }

  get server(): RunningServer {
    return this.harness.server;
  }

  get admin(): AdminClient {
    return this.harness.admin;
  }

  async account(deposit = '1000'): Promise<BybitAccount> {
    const created = await this.harness.created(deposit);
    return { accountId: created.accountId, apiKey: created.apiKey, secret: created.secret, rest: new BybitRest(this.server.url, created.apiKey, created.secret) };
  }

  /** An authenticated stream subscribed to `topics`. */
  async stream(account: Pick<BybitAccount, 'apiKey' | 'secret'>, topics: string[] = ['position', 'order', 'execution', 'wallet'], query = ''): Promise<BybitStream> {
    const stream = await this.connect(query);
    const auth = await stream.auth(account.apiKey, account.secret);
    if (auth.success !== true) throw new Error(`auth failed: ${JSON.stringify(auth)}`);
    if (topics.length > 0) {
      const ack = await stream.subscribe(topics);
      if (ack.success !== true) throw new Error(`subscribe failed: ${JSON.stringify(ack)}`);
    }
    return stream;
  }

  async connect(query = ''): Promise<BybitStream> {
    const stream = await BybitStream.connect(this.server.wsUrl, query);
    this.streams.push(stream);
    return stream;
  }

  async stop(): Promise<void> {
    for (const stream of this.streams) stream.close();
    await this.harness.stop();
  }
}

/** The rows of a push. */
export const rows = (frame: Frame): Record<string, unknown>[] => frame.data as Record<string, unknown>[];
