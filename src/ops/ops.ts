/**
 * Operations endpoints of one server, unauthenticated and cheap:
 *   GET /healthz   200 while the process answers at all;
 *   GET /readyz    200 once recovery is over, 503 while starting or recovering, after the journal
 *                  failed for good (every command refused until a restart), while a dependency is
 *                  missing (a scale-out gateway: Redis or the engine) and while shutting down;
 *   GET /metrics   Prometheus text (path configurable).
 * They are served on the main port (unless turned off) and, when an ops port is configured, on a
 * listener of their own that opens *before* recovery, so an orchestrator can watch a long recovery
 * (the main port opens only once it is over). None collides with a front door: XT's REST is at the
 * root but only under /future/… and /v4/….
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';

export type Phase = 'starting' | 'recovering' | 'ready' | 'stopping';

export interface Readiness {
  ready: boolean;
  status: 'starting' | 'recovering' | 'ready' | 'journal-failed' | 'unavailable' | 'stopping';
  reason?: string;
}

export interface OpsOptions {
  logger: Logger;
  /** Where metrics are served ('/metrics' by default). */
  metricsPath?: string;
}

export interface OpsAnswer {
  status: number;
  contentType: string;
  body: string;
}

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

export class Ops {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly metricsPath: string;
  phase: Phase = 'starting';
  /** Why the journal refuses commands (set by the server once it has a journal). */
  journalFailure: () => Error | null = () => null;
  /** Why something the process depends on is missing (a gateway: Redis, the engine), or null. */
  dependencies: () => string | null = () => null;
  private listener: Server | null = null;

  constructor(options: OpsOptions) {
    this.logger = options.logger;
    this.metricsPath = options.metricsPath ?? '/metrics';
    this.metrics = new Metrics();
    this.metrics.ready = () => this.readiness().ready;
  }

  readiness(): Readiness {
    if (this.phase === 'stopping') return { ready: false, status: 'stopping', reason: 'the server is shutting down' };
    if (this.phase !== 'ready') return { ready: false, status: this.phase, reason: this.phase === 'recovering' ? 'recovering the data directory' : 'starting' };
    const failure = this.journalFailure();
    if (failure !== null) {
      return { ready: false, status: 'journal-failed', reason: `the journal refuses commands until a restart: ${failure.message}` };
    }
    const missing = this.dependencies();
    if (missing !== null) return { ready: false, status: 'unavailable', reason: missing };
    return { ready: true, status: 'ready' };
  }

  /** The answer for an ops path, or null when `path` is not one. */
  async answer(path: string): Promise<OpsAnswer | null> {
    if (path === HEALTH_PATH) return json(200, { status: 'ok' });
    if (path === READY_PATH) {
      const readiness = this.readiness();
      return json(readiness.ready ? 200 : 503, readiness);
    }
    if (path === this.metricsPath) return { status: 200, contentType: this.metrics.contentType, body: await this.metrics.text() };
    return null;
  }

  /** Opens the ops listener (before recovery); resolves with its URL. */
  async listen(port: number, host: string): Promise<string> {
    const server = createServer((request, response) => void this.serve(request, response));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listener = server;
    const address = server.address() as AddressInfo;
    const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
    this.logger.info({ url, metricsPath: this.metricsPath }, `ops endpoints on ${url} (${HEALTH_PATH}, ${READY_PATH}, ${this.metricsPath})`);
    return url;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    let answer: OpsAnswer | null = null;
    if (request.method === 'GET' || request.method === 'HEAD') {
      try {
        answer = await this.answer(path);
      } catch (error) {
        this.logger.error({ err: error, path }, 'ops endpoint failed');
        answer = json(500, { error: 'internal error' });
      }
    }
    answer ??= json(404, { error: `no ops endpoint ${request.method ?? '?'} ${path}: ${HEALTH_PATH}, ${READY_PATH}, ${this.metricsPath}` });
    this.logger.debug({ path, status: answer.status }, 'ops request');
    response.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body) });
    response.end(request.method === 'HEAD' ? undefined : answer.body);
  }

  /** Closes the ops listener (last, after the server's own shutdown). */
  async close(): Promise<void> {
    const server = this.listener;
    this.listener = null;
    if (server === null) return;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function json(status: number, value: unknown): OpsAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}
