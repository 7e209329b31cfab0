/**
 * Routes WebSocket upgrades on the HTTP server to the dialect streams by path, enforcing the
 * process-wide connection limit and the inbound frame size before any dialect code runs.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionCounter } from './connections.js';
import type { GatewayLimits } from './limits.js';

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
}

export class WsRouter {
  private readonly routes: Route[] = [];
  private readonly wss: WebSocketServer;
  readonly sockets = new Set<WebSocket>();

  constructor(server: Server, limits: GatewayLimits, private readonly counter: ConnectionCounter) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxInboundFrameBytes,
      // XT recommends permessage-deflate; offer it without per-connection compression state.
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 },
    });
    server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
  }

  /** Serves `path` exactly, or every path the predicate accepts; `check` may refuse an upgrade first. */
  route(path: string | ((path: string) => boolean), handler: StreamHandler, check?: UpgradeCheck): void {
    this.routes.push({ matches: typeof path === 'string' ? (p) => p === path : path, handler, check });
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = this.routes.find((r) => r.matches(url.pathname));
    if (route === undefined) return refuse(socket, 404, 'Not Found', `no stream at ${url.pathname}`);
    if (!this.counter.hasRoom()) return refuse(socket, 503, 'Service Unavailable', 'the server holds its maximum of stream connections');
    const refusal = route.check?.(url);
    if (refusal) return refuse(socket, refusal.status, refusal.status === 400 ? 'Bad Request' : 'Refused', JSON.stringify(refusal.body), 'application/json');
    // The slot is taken only once the handshake succeeds: a failed handshake never reaches the callback.
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.track(ws);
      route.handler(ws, request, url);
    });
  }

  /**
   * Counts and tracks a connection. Its listeners are made here, not in the upgrade callback, so
   * they do not keep the upgrade request alive for the connection's lifetime (~1.5 KB each).
   */
  private track(ws: WebSocket): void {
    this.counter.openConnection();
    this.sockets.add(ws);
    // Protocol errors (oversized frame 1009, bad UTF-8 1007, …) close the socket themselves; an
    // unhandled 'error' event would take the whole process down with it.
    ws.on('error', () => undefined);
    ws.once('close', () => {
      this.sockets.delete(ws);
      this.counter.closeConnection();
    });
  }

  /** Closes every stream connection (graceful shutdown). */
  closeAll(code: number, reason: string): void {
    for (const socket of this.sockets) socket.close(code, reason);
  }
}

function refuse(socket: Duplex, status: number, text: string, body: string, contentType = 'text/plain'): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
