/**
 * Fastify set-up shared by every front door: request bodies are kept raw (signatures are computed
 * over the exact bytes the client sent) and parsed once, and bodies are bounded in size.
 */
import type { IncomingHttpHeaders } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received ('' when there was none). */
    rawBody: string;
  }
}

export const MAX_BODY_BYTES = 64 * 1024;

export class BodyParseError extends Error {
  override name = 'BodyParseError';
  readonly statusCode = 400;
}

export function createHttp(): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, return503OnClosing: true });
  app.decorateRequest('rawBody', '');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new BodyParseError('the body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  // Anything else (text/plain, no content type with a body) is kept raw and parsed as nothing.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    done(null, {});
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
