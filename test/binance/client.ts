/**
 * Test clients for the Binance dialect: a REST client that signs like Binance's docs (and ccxt)
 * do, and a stream client that records events, pings and the close.
 */
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';

export type Json = Record<string, unknown>;

export interface Reply<T = unknown> {
  status: number;
  body: T;
}

export class BinanceRest {
  /** Shifts the timestamp sent (tests of -1021). */
  clockSkewMs = 0;
  /** Where the timestamp comes from: the wall clock, or a test's server clock. */
  now: () => number = Date.now;

  constructor(readonly baseUrl: string, readonly apiKey: string, readonly secret: string) {}

  /** A signed call: params in the query for GET/DELETE, in a form body for POST/PUT. */
  async signed<T = Json>(method: string, path: string, params: Record<string, string | number | boolean> = {}, options: { badSignature?: boolean; noKey?: boolean } = {}): Promise<Reply<T>> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) query.set(k, String(v));
    query.set('timestamp', String(this.now() + this.clockSkewMs));
    if (!query.has('recvWindow')) query.set('recvWindow', '10000');
    const payload = query.toString();
    const signature = createHmac('sha256', options.badSignature ? `${this.secret}x` : this.secret).update(payload).digest('hex');
    const signedText = `${payload}&signature=${signature}`;
    const inBody = method === 'POST' || method === 'PUT';
    return this.send<T>(method, inBody ? path : `${path}?${signedText}`, inBody ? signedText : undefined, options.noKey ? undefined : this.apiKey);
  }

  /** An API-key-only call (USER_STREAM endpoints). */
  async keyed<T = Json>(method: string, path: string, apiKey: string | undefined = this.apiKey, body?: string): Promise<Reply<T>> {
    return this.send<T>(method, path, body, apiKey);
  }

  async send<T>(method: string, path: string, body: string | undefined, apiKey: string | undefined): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (apiKey !== undefined) headers['x-mbx-apikey'] = apiKey;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${this.baseUrl}/binance${path}`, { method, headers, body });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** A signed call that must succeed (HTTP 200). */
  async ok<T = Json>(method: string, path: string, params: Record<string, string | number | boolean> = {}): Promise<T> {
    const reply = await this.signed<T>(method, path, params);
    if (reply.status !== 200) throw new Error(`${method} ${path} ${JSON.stringify(params)}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  async listenKey(): Promise<string> {
    const reply = await this.keyed<{ listenKey: string }>('POST', '/fapi/v1/listenKey');
    if (reply.status !== 200) throw new Error(`listenKey: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.listenKey;
  }
}

/** A Binance user-data stream connection recording every event in arrival order. */
export class BinanceStream {
  readonly events: Json[] = [];
  pings = 0;
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  /** Answers to sync() requests (kept out of `events`). */
  private syncs = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Json;
      if (typeof frame.id === 'string' && frame.id.startsWith('sync-')) this.syncs += 1;
      else this.events.push(frame);
      this.wake();
    });
    socket.on('ping', () => {
      this.pings += 1;
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  /** Connects to `${wsUrl}${path}`; `autoPong: false` leaves the server's pings unanswered. */
  static async connect(wsUrl: string, path: string, options: { autoPong?: boolean } = {}): Promise<BinanceStream> {
    const socket = new WebSocket(`${wsUrl}${path}`, { autoPong: options.autoPong ?? true });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new BinanceStream(socket);
  }

  /** An upgrade the server refuses: the HTTP status and body it answered with. */
  static async refused(wsUrl: string, path: string): Promise<{ status: number; body: string }> {
    const socket = new WebSocket(`${wsUrl}${path}`);
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      socket.once('open', () => reject(new Error('the upgrade was accepted')));
      socket.once('error', () => undefined);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  async until(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events so far: ${JSON.stringify(this.events.map((e) => e.e))}`);
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
   * The barrier: a LIST_SUBSCRIPTIONS round trip (Binance's user stream has no application ping).
   * Answers leave through the same outgoing queue as pushes, so when it is here every push the
   * server queued before it read the request is here too. The answer is not kept in `events`.
   */
  async sync(): Promise<void> {
    const answered = this.syncs;
    this.socket.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: `sync-${answered + 1}` }));
    await this.until(() => this.syncs > answered, 5_000, 'the answer to a sync request');
  }

  /** Waits for `count` events after index `from` and returns them. */
  async next(from: number, count: number, timeoutMs = 5_000): Promise<Json[]> {
    await this.until(() => this.events.length >= from + count, timeoutMs, `${count} events after #${from}`);
    return this.events.slice(from, from + count);
  }

  /** Events of one type, in order. */
  of(type: string): Json[] {
    return this.events.filter((e) => e.e === type);
  }

  close(): void {
    this.socket.close();
  }
}
