/**
 * Test clients for a running perpstream: a signed XT REST client, an admin client and an XT
 * stream client that records every push. Real HTTP and WebSocket connections, nothing mocked.
 */
import WebSocket from 'ws';
import { sign, signaturePayload } from '../../src/dialects/xt/auth.js';

export interface XtEnvelope<T = unknown> {
  returnCode: number;
  msgInfo: string;
  error: { code: string; msg: string } | null;
  result: T;
}

export class XtClient {
  /** Where the signed timestamp comes from: the wall clock, or a test's server clock (ManualTime). */
  now: () => number = Date.now;

  constructor(readonly baseUrl: string, readonly apiKey: string, readonly secret: string, readonly prefix: '' | 'xt-' = '') {}

  private headers(path: string, method: string, rawQuery: string, rawBody: string, timestamp = this.now()): Record<string, string> {
    const ts = String(timestamp);
    const signature = sign(this.secret, signaturePayload(this.prefix, this.apiKey, ts, { method, path, rawQuery, rawBody }));
    return {
      [`${this.prefix}validate-appkey`]: this.apiKey,
      [`${this.prefix}validate-timestamp`]: ts,
      [`${this.prefix}validate-signature`]: signature,
      'content-type': 'application/json',
    };
  }

  async get<T = unknown>(path: string, query: Record<string, string | number | boolean> = {}, options: { timestamp?: number } = {}): Promise<XtEnvelope<T>> {
    const rawQuery = new URLSearchParams(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const response = await fetch(`${this.baseUrl}${path}${rawQuery ? `?${rawQuery}` : ''}`, {
      headers: this.headers(path, 'GET', rawQuery, '', options.timestamp),
    });
    return (await response.json()) as XtEnvelope<T>;
  }

  async post<T = unknown>(path: string, body: Record<string, unknown> = {}): Promise<XtEnvelope<T>> {
    const rawBody = JSON.stringify(body);
    const response = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers: this.headers(path, 'POST', '', rawBody), body: rawBody });
    return (await response.json()) as XtEnvelope<T>;
  }

  async listenKey(): Promise<string> {
    const response = await this.get<string>('/future/user/v1/user/listen-key');
    if (response.returnCode !== 0) throw new Error(`listen-key failed: ${JSON.stringify(response)}`);
    return response.result;
  }
}

export type Dialect = 'xt' | 'binance' | 'bybit' | 'kucoin';

/** An account as `POST /admin/v1/accounts` answers it. */
export interface Created {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
  positionMode: string;
  marginMode: string;
}

export class AdminClient {
  constructor(readonly baseUrl: string, readonly token: string) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.baseUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** A new account; `dialect` gives it that exchange's defaults (position mode, margin mode). */
  async createAccount(dialect?: Dialect): Promise<Created> {
    const { status, body } = await this.request<Created>('POST', '/accounts', dialect === undefined ? undefined : { dialect });
    if (status !== 200) throw new Error(`createAccount: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async deposit(accountId: number, amount: string, asset = 'USDT'): Promise<void> {
    const { status, body } = await this.request('POST', '/deposit', { accountId, asset, amount });
    if (status !== 200) throw new Error(`deposit: ${status} ${JSON.stringify(body)}`);
  }

  async markPrice(symbol: string, price: string): Promise<void> {
    const { status, body } = await this.request('POST', '/mark-price', { symbol, price });
    if (status !== 200) throw new Error(`markPrice: ${status} ${JSON.stringify(body)}`);
  }
}

export interface Push {
  topic: string;
  event: string;
  seq: number;
  data: Record<string, unknown>;
}

/** An XT stream connection that records pushes and acks in arrival order. */
export class StreamClient {
  readonly pushes: Push[] = [];
  readonly acks: { code: number; msg: string }[] = [];
  readonly texts: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      this.texts.push(text);
      if (text !== 'pong') {
        const message = JSON.parse(text) as Push & { code?: number; msg?: string; id?: unknown };
        if (message.topic !== undefined) this.pushes.push(message);
        else this.acks.push({ code: message.code!, msg: message.msg! });
      }
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(wsUrl: string, path = '/ws/user'): Promise<StreamClient> {
    const socket = new WebSocket(`${wsUrl}${path}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new StreamClient(socket);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `condition` holds (checked on every message), or rejects after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; pushes so far: ${JSON.stringify(this.pushes.map((p) => [p.topic, p.seq]))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * The barrier: a ping/pong round trip. Pongs leave through the same outgoing queue as pushes, so
   * when the pong is here every push the server queued before it read the ping is here too.
   */
  async sync(): Promise<void> {
    const pongs = this.texts.filter((t) => t === 'pong').length;
    this.socket.send('ping');
    await this.until(() => this.texts.filter((t) => t === 'pong').length > pongs, 5_000, 'the pong of a sync ping');
  }

  async subscribe(listenKey: string, topics: readonly string[], id = `sub-${Date.now()}`): Promise<{ code: number; msg: string }> {
    const before = this.acks.length;
    this.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: topics.map((t) => `${t}@${listenKey}`), id }));
    await this.until(() => this.acks.length > before, 5_000, 'subscribe ack');
    return this.acks[before]!;
  }

  close(): void {
    this.socket.close();
  }
}
