/**
 * Routes WebSocket upgrades on the HTTP server to the dialect streams by path, enforcing the
 * process-wide connection limit and the inbound frame size before any dialect code runs.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionCounter } from './connections.js';
import type { LogFn } from '../ops/log.js';
import { CloseCode, type GatewayLimits } from './limits.js';
import { attachConnection, connectionOf, NO_GATEWAY_OBSERVER, type ConnectionRecord, type GatewayObserver, type StreamLabels, type StreamObserver } from './observer.js';
import { StreamHandlerError } from './session.js';

export type StreamHandler = (socket: WebSocket, request: IncomingMessage, url: URL) => void;

/** Why a stream refuses an upgrade before the handshake: an HTTP status and a JSON body. */
export interface UpgradeRefusal {
  status: number;
  body: unknown;
}

/** Checks an upgrade before the handshake (e.g. the credential in the URL); null accepts it. */
export type UpgradeCheck = (url: URL) => UpgradeRefusal | null;

interface Route {
  matches: (path: string) => boolean;
  handler: StreamHandler;
  check?: UpgradeCheck;
  labels: StreamLabels;
  observer: StreamObserver;
}

/** What the gateway counts for operators (GET /admin/v1/status). */
export interface GatewayStats {
  /** Exceptions while handling an upgrade (a defect of ours): logged, answered 500, counted. */
  upgradeFaults: number;
  /** Exceptions from a stream's message handler (a defect of ours): logged, connection closed 1011. */
  messageFaults: number;
  /** Upgrades refused before the handshake (unknown path, over a limit, bad credential in the URL). */
  refusedUpgrades: number;
  /** Connections closed for not subscribing or authenticating within authDeadlineMs. */
  authTimeouts: number;
}

export class WsRouter {
  private readonly routes: Route[] = [];
  private readonly wss: WebSocketServer;
  readonly sockets = new Set<WebSocket>();
  readonly stats: GatewayStats = { upgradeFaults: 0, messageFaults: 0, refusedUpgrades: 0, authTimeouts: 0 };
  /** Connections not yet bound to an account, with when they opened (the deadline's clock). */
  private readonly awaitingAuth = new Map<WebSocket, number>();
  private sweeper: NodeJS.Timeout | null = null;
  /** Set at shutdown: further upgrades are refused (503). */
  private closing = false;
  /**
   * Scale-out gateways: awaited before an upgrade's credentials are checked, so that a credential
   * issued by the engine before the client connected is known here (src/scaleout/gateway.ts).
   */
  beforeCheck: (() => Promise<void>) | null = null;
  /** Upgrades no route serves go here instead of a 404 (a gateway hands them to the engine). */
  fallback: ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;

  constructor(
    server: Server,
    private readonly limits: GatewayLimits,
    private readonly counter: ConnectionCounter,
    private readonly log: LogFn,
    private readonly observer: GatewayObserver = NO_GATEWAY_OBSERVER,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxInboundFrameBytes,
      // XT recommends permessage-deflate; offer it without per-connection compression state.
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 },
    });
    server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
  }

  /**
   * Serves `path` exactly, or every path the predicate accepts; `check` may refuse an upgrade
   * first. `labels` name the stream in metrics and logs.
   */
  route(path: string | ((path: string) => boolean), handler: StreamHandler, check?: UpgradeCheck, labels: StreamLabels = { dialect: 'unknown', stream: 'unknown' }): void {
    this.routes.push({ matches: typeof path === 'string' ? (p) => p === path : path, handler, check, labels, observer: this.observer.stream(labels) });
  }

  /** Nothing thrown while handling one upgrade reaches the process: it is logged, answered and counted. */
  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node detaches its own error listener from an upgraded socket: a peer reset must not crash us.
    socket.on('error', () => undefined);
    try {
      this.dispatch(request, socket, head);
    } catch (error) {
      this.fault('upgradeFaults', `upgrade ${describe(request)}`, error);
      if (socket.writable) refuse(socket, 500, 'Internal Server Error', 'internal error while opening the stream; try again');
      else socket.destroy();
    }
  }

  private dispatch(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = URL.canParse(request.url ?? '/', 'http://localhost') ? new URL(request.url ?? '/', 'http://localhost') : null;
    if (url === null) return this.refuse(socket, 400, 'Bad Request', 'the request target is not a valid URL path');
    const route = this.routes.find((r) => r.matches(url.pathname));
    if (route === undefined && this.fallback !== null && !this.closing) return this.fallback(request, socket, head);
    if (route === undefined) return this.refuse(socket, 404, 'Not Found', `no stream at ${url.pathname}`);
    if (this.closing) return this.refuse(socket, 503, 'Service Unavailable', 'the server is shutting down; connect again shortly');
    const overLimit = this.counter.refusal();
    if (overLimit !== null) return this.refuse(socket, 503, 'Service Unavailable', `${overLimit}; try again later`);
    if (this.beforeCheck === null) return this.accept(request, socket, head, url, route);
    this.beforeCheck().then(() => {
      if (socket.destroyed) return;
      try {
        this.accept(request, socket, head, url, route);
      } catch (error) {
        this.fault('upgradeFaults', `upgrade ${describe(request)}`, error);
        if (socket.writable) refuse(socket, 500, 'Internal Server Error', 'internal error while opening the stream; try again');
        else socket.destroy();
      }
    }, (error: unknown) => {
      if (!socket.destroyed) this.refuse(socket, 503, 'Service Unavailable', `the stream credentials cannot be read now (${error instanceof Error ? error.message : String(error)}); try again shortly`);
    });
  }

  /** Checks the upgrade's credentials in its URL, then completes the handshake. */
  private accept(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL, route: Route): void {
    const refusal = route.check?.(url);
    if (refusal) return this.refuse(socket, refusal.status, refusal.status === 400 ? 'Bad Request' : 'Refused', JSON.stringify(refusal.body), 'application/json');
    // The slot is taken only once the handshake succeeds: a failed handshake never reaches the callback.
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.track(ws, route);
      try {
        route.handler(ws, request, url);
      } catch (error) {
        this.fault('upgradeFaults', `stream set-up ${describe(request)}`, error);
        closeWith(ws, CloseCode.INTERNAL_ERROR);
        ws.close(CloseCode.INTERNAL_ERROR, 'internal error while opening the stream; reconnect');
      }
    });
  }

  private refuse(socket: Duplex, status: number, text: string, body: string, contentType?: string): void {
    this.stats.refusedUpgrades += 1;
    refuse(socket, status, text, body, contentType);
  }

  private fault(counter: 'upgradeFaults' | 'messageFaults', what: string, error: unknown): void {
    this.stats[counter] += 1;
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.log(`gateway fault (${counter}) in ${what}: ${detail}`, 'error');
  }

  /**
   * Counts and tracks a connection. Its listeners are made here, not in the upgrade callback, so
   * they do not keep the upgrade request alive for the connection's lifetime (~1.5 KB each).
   */
  private track(ws: WebSocket, route: Route): void {
    const record: ConnectionRecord = { observer: route.observer, labels: route.labels, closeCode: null, fault: null };
    attachConnection(ws, record);
    route.observer.opened();
    this.counter.openConnection();
    this.sockets.add(ws);
    this.awaitingAuth.set(ws, Date.now());
    this.sweepUnauthenticated();
    // Protocol errors (oversized frame 1009, bad UTF-8 1007, …) close the socket themselves; an
    // unhandled 'error' event would take the whole process down with it. A StreamHandlerError is a
    // defect of ours that the session has already answered by closing the connection.
    ws.on('error', (error) => {
      if (error instanceof StreamHandlerError) this.fault('messageFaults', 'a stream message handler', error.cause);
    });
    ws.once('close', (code: number) => {
      record.observer.closed(record.closeCode ?? code);
      this.awaitingAuth.delete(ws);
      this.sockets.delete(ws);
      this.counter.closeConnection();
    });
  }

  /**
   * Closes connections that have not subscribed or authenticated within authDeadlineMs. One sweep
   * timer runs while any connection is unbound (none per connection: a bound connection costs
   * nothing here), so a connection is closed between its deadline and a quarter of it later.
   */
  private sweepUnauthenticated(): void {
    if (this.sweeper !== null || this.awaitingAuth.size === 0) return;
    const { authDeadlineMs } = this.limits;
    this.sweeper = setTimeout(() => {
      this.sweeper = null;
      const now = Date.now();
      for (const [ws, openedAt] of this.awaitingAuth) {
        if (this.counter.isBound(ws)) this.awaitingAuth.delete(ws);
        else if (now - openedAt >= authDeadlineMs) {
          this.awaitingAuth.delete(ws);
          this.stats.authTimeouts += 1;
          closeWith(ws, CloseCode.AUTH_TIMEOUT);
          ws.close(CloseCode.AUTH_TIMEOUT, `no valid subscribe or auth within ${authDeadlineMs / 1000} s`);
        }
      }
      this.sweepUnauthenticated();
    }, Math.max(10, Math.ceil(authDeadlineMs / 4)));
    this.sweeper.unref();
  }

  /** Refuses further upgrades (503): the first step of a graceful shutdown. */
  stopAccepting(): void {
    this.closing = true;
  }

  /** Bytes waiting in the sockets' buffers, in total and by dialect. */
  queuedBytes(): { total: number; byDialect: Map<string, number> } {
    const byDialect = new Map<string, number>();
    let total = 0;
    for (const socket of this.sockets) {
      const bytes = socket.bufferedAmount;
      total += bytes;
      const dialect = connectionOf(socket)?.labels.dialect ?? 'unknown';
      byDialect.set(dialect, (byDialect.get(dialect) ?? 0) + bytes);
    }
    return { total, byDialect };
  }

  /**
   * Waits until every connection's outgoing buffer is written, or `boundMs` passed; returns the
   * bytes still waiting (what a shutdown gives up on).
   */
  async drain(boundMs: number): Promise<number> {
    const deadline = Date.now() + boundMs;
    // The sessions' batches leave on the next turn; then the sockets' buffers empty as peers read.
    await new Promise((resolve) => setImmediate(resolve));
    let waiting = this.queuedBytes().total;
    while (waiting > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, Math.max(1, deadline - Date.now()))));
      waiting = this.queuedBytes().total;
    }
    return waiting;
  }

  /** Closes every stream connection (graceful shutdown); returns how many were open. */
  closeAll(code: number, reason: string): number {
    if (this.sweeper !== null) clearTimeout(this.sweeper);
    this.sweeper = null;
    const count = this.sockets.size;
    for (const socket of this.sockets) {
      closeWith(socket, code);
      socket.close(code, reason);
    }
    return count;
  }
}

/** Records the code the server closes a connection with, so the close is counted under it. */
function closeWith(ws: WebSocket, code: number): void {
  const record = connectionOf(ws);
  if (record !== undefined && record.closeCode === null) record.closeCode = code;
}

/** The request line of an upgrade, bounded and without its query (listen keys and tokens travel there), for a log line. */
function describe(request: IncomingMessage): string {
  return `${request.method ?? '?'} ${(request.url ?? '').split('?')[0]!.slice(0, 200)}`;
}

function refuse(socket: Duplex, status: number, text: string, body: string, contentType = 'text/plain'): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
