/**
 * Binance's user-data stream (protocols.md §2.1): the listenKey is in the URL
 * (`/binance/private/ws?listenKey=K`, `/binance/private/ws/K`, `/binance/ws/K`), there is no
 * subscribe, and every event of the account is pushed. The server pings every `pingIntervalMs`
 * (3 min) and closes after `pongTimeoutMs` (10 min) without a pong; a connection lives at most
 * `maxConnectionLifeMs` (24 h). When the key expires (or is deleted) the stream says
 * `listenKeyExpired` and closes. An unknown or expired key is refused at the upgrade with HTTP 400
 * `{"code":-1125,"msg":"This listenKey does not exist."}`.
 */
import type { WebSocket } from 'ws';
import type { EngineEvent } from '../../engine/types.js';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode, type GatewayLimits } from '../../gateway/limits.js';
import { Session } from '../../gateway/session.js';
import type { UpgradeRefusal } from '../../gateway/ws-router.js';
import { decodePathSegment } from '../../server/form.js';
import type { Exchange } from '../../service/exchange.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import type { BinanceEncoder } from './encode.js';
import { ERR } from './errors.js';

export interface BinanceStreamOptions {
  exchange: Exchange;
  listenKeys: ListenKeys;
  encoder: BinanceEncoder;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxConnectionLifeMs: number;
}

/** Close codes of the Binance stream besides the gateway's own (limits.ts). */
export const BinanceClose = Object.freeze({
  /** The listenKey expired or was deleted (after the listenKeyExpired event). */
  KEY_EXPIRED: 4001,
  /** The connection reached its maximum life (Binance: 24 h). */
  MAX_LIFE: 4002,
});

const STREAM_PREFIXES = ['/binance/private/ws/', '/binance/ws/'];

export const isBinanceStreamPath = (path: string): boolean =>
  path === '/binance/private/ws' || STREAM_PREFIXES.some((prefix) => path.startsWith(prefix) && path.length > prefix.length);

/** The listenKey of a stream URL: the `listenKey` query parameter, else the last path segment. */
export function listenKeyOf(url: URL): string {
  const query = url.searchParams.get('listenKey');
  if (query !== null) return query;
  const prefix = STREAM_PREFIXES.find((p) => url.pathname.startsWith(p));
  // A malformed escape (`/ws/%zz`) is no key at all: refused like an unknown one, never thrown.
  return prefix === undefined ? '' : decodePathSegment(url.pathname.slice(prefix.length)) ?? '';
}

const INVALID_KEY: UpgradeRefusal = { status: 400, body: { code: ERR.INVALID_LISTEN_KEY, msg: 'This listenKey does not exist.' } };

/** Open streams by listenKey, so a deleted key closes them at once. */
export class BinanceStreams {
  private readonly byKey = new Map<string, Set<BinanceConnection>>();

  constructor(private readonly options: BinanceStreamOptions) {}

  /** Refuses an upgrade whose key is unknown or expired (before the handshake). */
  check(url: URL): UpgradeRefusal | null {
    return this.options.listenKeys.resolve(listenKeyOf(url), this.options.exchange.now()) === undefined ? INVALID_KEY : null;
  }

  handler(): (socket: WebSocket, request: unknown, url: URL) => void {
    return (socket, _request, url) => {
      const key = listenKeyOf(url);
      const entry = this.options.listenKeys.resolve(key, this.options.exchange.now());
      if (entry === undefined) {
        // Expired between the check and the handshake.
        socket.close(BinanceClose.KEY_EXPIRED, 'This listenKey does not exist.');
        return;
      }
      const connection = new BinanceConnection(socket, key, entry.accountId, this.options, () => this.forget(key, connection));
      let set = this.byKey.get(key);
      if (set === undefined) this.byKey.set(key, (set = new Set()));
      set.add(connection);
    };
  }

  /** The key was deleted (DELETE listenKey): its streams say so and close. */
  closeKey(key: string): void {
    for (const connection of [...(this.byKey.get(key) ?? [])]) connection.expire();
  }

  private forget(key: string, connection: BinanceConnection): void {
    const set = this.byKey.get(key);
    set?.delete(connection);
    if (set?.size === 0) this.byKey.delete(key);
  }
}

class BinanceConnection {
  private readonly session: Session;
  private readonly timers: NodeJS.Timeout[] = [];
  private pongTimer: NodeJS.Timeout;
  private expiryTimer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private bound = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly key: string,
    private readonly accountId: number,
    private readonly options: BinanceStreamOptions,
    private readonly onGone: () => void,
  ) {
    const now = options.exchange.now();
    this.session = new Session(socket, options.limits, now);
    socket.on('message', (data, isBinary) => this.onMessage(isBinary ? '' : data.toString()));
    socket.on('pong', () => this.armPongTimeout());
    socket.once('close', () => this.onClose());
    this.pongTimer = this.armPongTimeout();
    if (!options.connections.bindAccount(accountId)) {
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return;
    }
    this.bound = true;
    this.stopListening = options.exchange.events.subscribeCommands(accountId, (events) => this.onCommand(events));
    this.timers.push(setInterval(() => {
      if (this.session.isOpen) socket.ping();
    }, options.pingIntervalMs).unref());
    this.timers.push(setTimeout(() => this.session.close(BinanceClose.MAX_LIFE, 'the connection reached its maximum life; reconnect'), options.maxConnectionLifeMs).unref());
    this.watchExpiry();
  }

  private armPongTimeout(): NodeJS.Timeout {
    if (this.pongTimer !== undefined) clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.session.close(CloseCode.IDLE, `no pong for ${this.options.pongTimeoutMs / 1000} s`), this.options.pongTimeoutMs).unref();
    return this.pongTimer;
  }

  /** Wakes at the key's expiry; a PUT may have extended it meanwhile, then it sleeps again. */
  private watchExpiry(): void {
    const entry = this.options.listenKeys.resolve(this.key, this.options.exchange.now());
    if (entry === undefined) return this.expire();
    this.expiryTimer = setTimeout(() => this.watchExpiry(), Math.max(1, entry.expiresAt - this.options.exchange.now())).unref();
  }

  expire(): void {
    this.session.send(JSON.stringify({ e: 'listenKeyExpired', E: this.options.exchange.now(), listenKey: this.key }));
    this.session.close(BinanceClose.KEY_EXPIRED, 'listenKeyExpired: get a new listenKey (POST /fapi/v1/listenKey) and reconnect');
  }

  private onCommand(events: readonly EngineEvent[]): void {
    for (const frame of this.options.encoder.encode(events)) this.session.send(frame);
  }

  /** No requests are needed on this stream; answers keep Binance's error shape. */
  private onMessage(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    let id: unknown = null;
    try {
      id = (JSON.parse(text) as { id?: unknown }).id ?? null;
    } catch {
      return this.session.send(JSON.stringify({ id: null, code: 3, msg: 'Invalid JSON: this stream takes no requests; events are pushed as they happen' }));
    }
    this.session.send(JSON.stringify({ id, code: 2, msg: 'Invalid request: the user-data stream takes no requests; every event of the account is pushed' }));
  }

  private onClose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    clearTimeout(this.pongTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.stopListening?.();
    if (this.bound) this.options.connections.unbindAccount(this.accountId);
    this.onGone();
  }
}
