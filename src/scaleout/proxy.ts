/**
 * A gateway forwards what it does not serve itself to the engine, byte for byte: every REST request
 * (signatures are computed over the exact path, query and body, which pass unchanged) and every
 * WebSocket upgrade no stream route takes (Binance's WebSocket API, which takes commands). So a
 * client changes only the URL it points at: REST and streams both work through any gateway.
 * /internal paths are never forwarded (they are the gateways' own API on the engine).
 *
 * When the engine cannot be reached the answer is 503 in the front door's own error shape.
 */
import { request as httpRequest, Agent, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { binanceErrorShape } from '../dialects/binance/rest.js';
import { bybitErrorShape } from '../dialects/bybit/rest.js';
import { kucoinErrorShape } from '../dialects/kucoin/rest.js';
import { xtErrorShape } from '../dialects/xt/rest.js';
import type { ErrorShape } from '../server/error-shapes.js';
import { INTERNAL_PREFIX } from './internal-api.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

const SHAPES: [string, ErrorShape][] = [
  ['/binance', binanceErrorShape],
  ['/bybit', bybitErrorShape(() => Date.now())],
  ['/kucoin-futures', kucoinErrorShape],
  ['/kucoin-spot', kucoinErrorShape],
  ['/admin', (_status, message) => ({ error: message })],
];

/** The error body the front door serving `path` would give. */
export function errorBodyOf(path: string, status: number, message: string): unknown {
  for (const [prefix, shape] of SHAPES) if (path === prefix || path.startsWith(`${prefix}/`)) return shape(status, message);
  return xtErrorShape(status, message);
}

export const isInternalPath = (path: string): boolean => path === INTERNAL_PREFIX || path.startsWith(`${INTERNAL_PREFIX}/`);

/**
 * The request's end-to-end headers. Host stays the client's (the gateway's address): what the
 * engine builds from it — KuCoin's bullet endpoint — must point the client back at the gateway.
 */
function forwardedHeaders(headers: IncomingHttpHeaders, remote: string | undefined, host: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  out.host ??= host;
  if (remote !== undefined) out['x-forwarded-for'] = typeof headers['x-forwarded-for'] === 'string' ? `${headers['x-forwarded-for']}, ${remote}` : remote;
  return out;
}

export class EngineProxy {
  private readonly target: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(engineUrl: string) {
    this.target = new URL(engineUrl);
  }

  /** Forwards one request; `done(status)` when its answer has been sent (for log lines and metrics). */
  forward(request: IncomingMessage, response: ServerResponse, done: (status: number) => void): void {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (isInternalPath(path)) return this.refuse(response, path, 404, `no endpoint ${request.method ?? '?'} ${path}`, done);
    const upstream = httpRequest({
      host: this.target.hostname, port: this.target.port, method: request.method, path: request.url, agent: this.agent,
      headers: forwardedHeaders(request.headers, request.socket.remoteAddress, this.target.host),
    }, (answer) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      response.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(response);
      answer.once('end', () => done(answer.statusCode ?? 502));
      answer.once('error', () => response.destroy());
    });
    upstream.once('error', (error) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      this.refuse(response, path, 503, `the engine is not reachable (${error.message}); try again shortly`, done);
    });
    request.once('aborted', () => upstream.destroy());
    request.pipe(upstream);
  }

  /** Hands an upgrade over to the engine as it came (the engine's own stream routes answer it). */
  forwardUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (isInternalPath(path)) {
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const upstream = connect(Number(this.target.port || 80), this.target.hostname);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', () => {
      if (!connected && socket.writable) {
        const body = JSON.stringify(errorBodyOf(path, 503, 'the engine is not reachable; try again shortly'));
        socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else {
        socket.destroy();
      }
    });
    socket.on('error', () => upstream.destroy());
    socket.once('close', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
  }

  close(): void {
    this.agent.destroy();
  }

  private refuse(response: ServerResponse, path: string, status: number, message: string, done: (status: number) => void): void {
    const body = JSON.stringify(errorBodyOf(path, status, message));
    response.writeHead(status, STATUS_CODES[status] ?? '', { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    response.end(body);
    done(status);
  }
}
