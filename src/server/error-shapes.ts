/**
 * Each front door's error shape by path prefix, so that a refusal made before any front door's
 * code runs (by Fastify's router, an onRequest bound, or Node's HTTP parser) is still answered the
 * way the front door the request was for would answer it.
 */
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * How a front door words a refusal: the body for an HTTP status and a message, in its own shape.
 * The HTTP status of a framework-level refusal is always the one given.
 */
export type ErrorShape = (status: number, message: string) => unknown;

/** The shape used when no front door claims a path (none does only if nothing is mounted at the root). */
const plainShape: ErrorShape = (_status, message) => ({ error: message });

/** Front doors' error shapes by path prefix; the longest matching prefix wins, '' is the root. */
class ErrorShapes {
  private readonly entries: { prefix: string; shape: ErrorShape }[] = [];

  add(prefix: string, shape: ErrorShape): void {
    this.entries.push({ prefix, shape });
    this.entries.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The shape of the front door that serves `url` (a path, with or without its query). */
  for(url: string): ErrorShape {
    const path = url.split('?')[0]!;
    const match = this.entries.find(({ prefix }) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`));
    return match?.shape ?? plainShape;
  }
}

const shapesByServer = new WeakMap<Server, ErrorShapes>();

function shapesOf(server: Server): ErrorShapes {
  let shapes = shapesByServer.get(server);
  if (shapes === undefined) shapesByServer.set(server, (shapes = new ErrorShapes()));
  return shapes;
}

/**
 * Declares the error shape of the front door `app` is (its routes' prefix, '' at the root): the
 * refusals made before the front door's handlers run (head too large, malformed percent-encoding,
 * overlong path parameter, unparseable request) are answered in it.
 */
export function registerErrorShape(app: FastifyInstance, shape: ErrorShape): void {
  shapesOf(app.server).add(app.prefix, shape);
}

/** The error body of the front door serving `url`. */
export function errorBodyFor(server: Server, url: string, status: number, message: string): unknown {
  return shapesOf(server).for(url)(status, message);
}

/**
 * The request line's path from the bytes Node's parser refused, when they start with one
 * ("GET /binance/fapi/v1/order?… HTTP/1.1"); '/' (the root front door) when they do not.
 */
export function pathOfRawRequest(raw: Buffer | undefined): string {
  if (raw === undefined) return '/';
  const head = raw.subarray(0, 512).toString('latin1');
  const match = /^[A-Z]{1,16} (\/[^ \r\n?#]*)/.exec(head);
  return match === null ? '/' : match[1]!;
}
