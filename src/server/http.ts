/**
 * Fastify set-up shared by every front door: request bodies are kept raw (signatures are computed
 * over the exact bytes the client sent) and parsed once, bodies and request heads are bounded in
 * size, percent-encoding is checked strictly, and every refusal the framework (or Node's HTTP
 * parser) makes before a front door's own code runs is still answered in the error shape of the
 * front door the request's path belongs to (error-shapes.ts). Percent-decoding: form.ts.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { silentLogger, type Logger } from '../ops/log.js';
import type { Metrics } from '../ops/metrics.js';
import { errorBodyFor, pathOfRawRequest } from './error-shapes.js';
import { MalformedEncodingError, parseForm } from './form.js';
import { repeatedKey } from './json-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received ('' when there was none). */
    rawBody: string;
  }
}

export const MAX_BODY_BYTES = 64 * 1024;
/** The longest request target (path and query) a front door reads; longer ones get 414. */
export const MAX_URL_BYTES = 16 * 1024;
/** The most header bytes (names and values) a request may carry; more gets 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * Node's own limit on a request head, above the two bounds so that those are enforced where the
 * path is known (and the answer takes the path's front door's shape). Beyond it Node's parser
 * refuses the request itself (onClientError); kept below Node's 64 KiB socket reads so that a head
 * which arrived in one read still shows its request line there.
 */
export const PARSER_MAX_HEAD_BYTES = 32 * 1024;
/** The longest path parameter (an order id in the path, …): Fastify's default of 100 characters. */
export const MAX_PARAM_LENGTH = 100;

export class BodyParseError extends Error {
  override name = 'BodyParseError';
  readonly statusCode = 400;
}

/** A body in a media type no front door reads. */
export class UnsupportedMediaTypeError extends Error {
  override name = 'UnsupportedMediaTypeError';
  readonly statusCode = 415;
  constructor(contentType: string | undefined) {
    super(`a body of type ${contentType ?? '(none)'} is not read: send application/json or application/x-www-form-urlencoded`);
  }
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** The bytes of a request's header lines, as the client sent them. */
function headerBytes(rawHeaders: readonly string[]): number {
  let total = 0;
  for (const text of rawHeaders) total += Buffer.byteLength(text) + 2;
  return total;
}

function answerFramework(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8')
    .send(JSON.stringify(errorBodyFor(request.server.server, request.url, status, message)));
}

/** Refusals of the router itself (Fastify's frameworkErrors): a malformed path, an overlong path parameter. */
function onFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void answerFramework(request, reply, 400, `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
  } else if (error.code === 'FST_ERR_BAD_URL') {
    void answerFramework(request, reply, 400, "the path is not valid percent-encoded UTF-8: encode every '%' as %25");
  } else {
    void answerFramework(request, reply, error.statusCode ?? 400, error.message);
  }
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (head over PARSER_MAX_HEAD_BYTES,
 * malformed request line or header, timeout): answered here, in the shape of the front door whose
 * path the refused bytes start with. Node hands over only the chunk it was reading, so when that
 * chunk no longer holds the request line (a head that came in several reads) the path is unknown
 * and the answer takes the root front door's shape (XT's envelope), as for any path at the root.
 */
function onClientError(this: FastifyInstance, error: { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, `the request head is larger than ${PARSER_MAX_HEAD_BYTES} bytes`]
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request did not arrive in time']
      : [400, `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`];
  const body = JSON.stringify(errorBodyFor(this.server, pathOfRawRequest(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined), status, message));
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  } else {
    socket.destroy();
  }
}

/** Which front door a path belongs to, for log lines and metrics. */
export function dialectOfPath(url: string): string {
  const match = /^\/(binance|bybit|kucoin-futures|kucoin-spot|admin)(\/|$)/.exec(url);
  if (match === null) return 'xt';
  return match[1]!.startsWith('kucoin') ? 'kucoin' : match[1]!;
}

/** The account a request authenticated as, whichever front door verified it. */
function accountOf(request: FastifyRequest): number | undefined {
  const credential = request.xtCredential ?? request.binanceCredential ?? request.bybitCredential ?? request.kucoinCredential;
  return credential?.accountId;
}

export interface HttpOptions {
  /** The logger every request's logger is a child of (default: silent). */
  logger?: Logger;
  /** Counts answered requests by front door and status. */
  metrics?: Metrics;
  /** Paths answered by the ops endpoints: their request lines are logged at debug, not info. */
  quietPaths?: ReadonlySet<string>;
}

export function createHttp(options: HttpOptions = {}): FastifyInstance {
  // Request ids: unique over restarts (a random prefix per process start) and cheap (a counter).
  const boot = randomBytes(4).toString('hex');
  let requests = 0;
  const app = Fastify({
    loggerInstance: (options.logger ?? silentLogger()) as FastifyBaseLogger,
    // Fastify's own two lines per request would log the URL with its query (signatures, listen
    // keys): replaced by the one line below.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `${boot}-${(requests += 1).toString(36)}`,
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: true,
    http: { maxHeaderSize: PARSER_MAX_HEAD_BYTES },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: onFrameworkError,
    clientErrorHandler: onClientError,
  });
  app.decorateRequest('rawBody', '');
  const { metrics } = options;
  const quiet = options.quietPaths ?? new Set<string>();
  // One line per request: its id (the logger's reqId), front door, account (once authenticated),
  // method, path without the query, status and time. Never headers, query or body.
  app.addHook('onResponse', (request, reply, done) => {
    const path = request.url.split('?', 1)[0]!;
    const dialect = quiet.has(path) ? 'ops' : dialectOfPath(path);
    metrics?.request(dialect, reply.statusCode);
    const line = { dialect, accountId: accountOf(request), method: request.method, path: path.slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
    if (quiet.has(path)) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
    done();
  });
  // Only the parsers below: Fastify's own (JSON, text/plain) would not keep the raw body.
  app.removeAllContentTypeParsers();
  // Before any route's code: bound the head and refuse a query whose percent-encoding is malformed
  // (Fastify's own query parser would keep "%zz" as it is), in the path's front door's shape.
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.length > MAX_URL_BYTES) {
      return answerFramework(request, reply, 414, `the URL is longer than ${MAX_URL_BYTES} bytes`);
    }
    if (headerBytes(request.raw.rawHeaders) > MAX_HEADER_BYTES) {
      return answerFramework(request, reply, 431, `the request headers are larger than ${MAX_HEADER_BYTES} bytes`);
    }
    // Fastify never reads the body of a GET or HEAD: refused rather than silently ignored.
    if ((request.method === 'GET' || request.method === 'HEAD') && hasBody(request.headers)) {
      return answerFramework(request, reply, 400, `a ${request.method} request's parameters go in its query string; its body is not read, so send none`);
    }
    try {
      parseForm(rawQuery(request.url), 'query');
    } catch (error) {
      if (error instanceof MalformedEncodingError) return answerFramework(request, reply, 400, error.message);
      throw error;
    }
    return undefined;
  });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') return done(null, {});
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(new BodyParseError('the body is not valid JSON'), undefined);
    }
    const repeated = repeatedKey(text);
    if (repeated !== undefined) return done(new BodyParseError(`the body has the key ${JSON.stringify(repeated.slice(0, 64))} more than once: send each parameter once`), undefined);
    done(null, parsed);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, Object.fromEntries(parseForm(body as string, 'body')));
    } catch (error) {
      done(error as MalformedEncodingError, undefined);
    }
  });
  // Any other body (text/plain, multipart, no content type) would be read as nothing: refused
  // rather than silently ignored. An empty one (ccxt's GETs say application/json or nothing) is fine.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    if (request.rawBody === '') return done(null, {});
    done(new UnsupportedMediaTypeError(request.headers['content-type']), undefined);
  });
  return app;
}

/** The raw query string of a request ('' when there is none). */
export function rawQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
}

/** A request header's value (the first, if it was sent more than once). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
