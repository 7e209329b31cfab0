/**
 * Test clients for perpstream's KuCoin dialect: a signed REST client for both KuCoin hosts and a
 * stream client that records every frame. Real HTTP and WebSocket, nothing mocked.
 */
import WebSocket from 'ws';
import { kucoinSign, passphraseHeader, signaturePayload } from '../../src/dialects/kucoin/auth.js';

export interface KucoinResponse<T = unknown> {
  status: number;
  body: { code: string; data?: T; msg?: string };
  /** The body exactly as received (numbers as the server wrote them). */
  text: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean>;
  body?: Record<string, unknown>;
  /** Sign with this timestamp instead of now. */
  timestamp?: number;
  /** Replace or drop (undefined) signed headers. */
  headers?: Record<string, string | undefined>;
  /** Send without any KC-API-* header. */
  unsigned?: boolean;
}

export class KucoinRest {
  /** Where the signed timestamp comes from: the wall clock, or a test's server clock (ManualTime). */
  now: () => number = Date.now;

  constructor(readonly baseUrl: string, readonly apiKey: string, readonly secret: string, readonly passphrase: string, readonly keyVersion = '2') {}

  async request<T = unknown>(method: string, host: 'futures' | 'spot', path: string, options: RequestOptions = {}): Promise<KucoinResponse<T>> {
    const query = options.query === undefined ? '' : new URLSearchParams(Object.entries(options.query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const endpoint = query === '' ? path : `${path}?${query}`;
    const body = options.body === undefined ? '' : JSON.stringify(options.body);
    const timestamp = String(options.timestamp ?? this.now());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!options.unsigned) {
      Object.assign(headers, {
        'KC-API-KEY': this.apiKey,
        'KC-API-TIMESTAMP': timestamp,
        'KC-API-KEY-VERSION': this.keyVersion,
        'KC-API-PASSPHRASE': passphraseHeader(this.secret, this.passphrase, this.keyVersion),
        'KC-API-SIGN': kucoinSign(this.secret, signaturePayload(timestamp, method, endpoint, body)),
      });
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const prefix = host === 'futures' ? '/kucoin-futures' : '/kucoin-spot';
    const response = await fetch(`${this.baseUrl}${prefix}${endpoint}`, { method, headers, body: body === '' ? undefined : body });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as KucoinResponse<T>['body'], text };
  }

  get<T = unknown>(path: string, query?: Record<string, string | number | boolean>, host: 'futures' | 'spot' = 'futures'): Promise<KucoinResponse<T>> {
    return this.request<T>('GET', host, path, { query });
  }

  post<T = unknown>(path: string, body: Record<string, unknown> = {}, host: 'futures' | 'spot' = 'futures'): Promise<KucoinResponse<T>> {
    return this.request<T>('POST', host, path, { body });
  }

  delete<T = unknown>(path: string, query?: Record<string, string | number | boolean>): Promise<KucoinResponse<T>> {
    return this.request<T>('DELETE', 'futures', path, { query });
  }

  /** A data payload, or a thrown error with the whole response. */
  static data<T>(response: KucoinResponse<T>): T {
    if (response.body.code !== '200000') throw new Error(`KuCoin error: ${response.status} ${response.text}`);
    return response.body.data as T;
  }

  /** A classic futures stream URL from the futures bullet-private. */
  async futuresStreamUrl(connectId = 'c1'): Promise<string> {
    const bullet = KucoinRest.data(await this.post<{ token: string; instanceServers: { endpoint: string }[] }>('/api/v1/bullet-private'));
    return `${bullet.instanceServers[0]!.endpoint}?token=${bullet.token}&connectId=${connectId}`;
  }

  /** A UTA stream URL (token from the spot host's v2 bullet). */
  async utaStreamUrl(wsBase: string): Promise<string> {
    const bullet = KucoinRest.data(await this.post<{ token: string }>('/api/v2/bullet-private', {}, 'spot'));
    return `${wsBase}/kucoin/uta?token=${bullet.token}`;
  }
}

export type Frame = Record<string, unknown> & { type?: string; topic?: string; subject?: string; data?: Record<string, unknown>; T?: string; d?: Record<string, unknown> };

/** A KuCoin stream connection that records every frame in arrival order (text and parsed). */
export class KucoinStream {
  readonly frames: Frame[] = [];
  readonly texts: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      this.texts.push(text);
      this.frames.push(JSON.parse(text) as Frame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(url: string): Promise<KucoinStream> {
    const socket = new WebSocket(url);
    const stream = new KucoinStream(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return stream;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  async until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames so far:\n${this.texts.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `message` (with a fresh id unless it has one) and waits for the frame answering that id. */
  async request(message: Record<string, unknown>): Promise<Frame> {
    const id = message.id ?? String(this.nextId++);
    const from = this.frames.length;
    this.socket.send(JSON.stringify({ ...message, id }));
    await this.until(() => this.frames.slice(from).some((f) => f.id === id), `an answer to ${JSON.stringify(message)}`);
    return this.frames.slice(from).find((f) => f.id === id)!;
  }

  subscribe(topic: string): Promise<Frame> {
    return this.request({ type: 'subscribe', topic, privateChannel: true, response: true });
  }

  /**
   * The barrier: a ping/pong round trip. Pongs leave through the same outgoing queue as pushes, so
   * when the pong is here every push the server queued before it read the ping is here too.
   */
  async sync(): Promise<void> {
    const pong = await this.request({ type: 'ping' });
    if (pong.type !== 'pong') throw new Error(`sync: expected a pong, got ${JSON.stringify(pong)}`);
  }

  /** Pushes (type message, or UTA frames with T) after index `from`. */
  pushes(from = 0): Frame[] {
    return this.frames.slice(from).filter((f) => f.type === 'message' || f.T !== undefined);
  }

  /** Waits until `count` pushes arrived after `from`, and returns them. */
  async nextPushes(from: number, count: number): Promise<Frame[]> {
    await this.until(() => this.pushes(from).length >= count, `${count} pushes after frame #${from}`);
    return this.pushes(from).slice(0, count);
  }

  close(): void {
    this.socket.close();
  }
}
