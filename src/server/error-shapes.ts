/**
 * Each front door's error shape by path prefix, so that a refusal made before any front door's
 * code runs (by Fastify's router, an onRequest bound, or Node's HTTP parser) is still answered the
 * way the front door the request was for would answer it.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * How a front door words a refusal: the body for an HTTP status and a message, in its own shape,
 * with `code` as the exchange's error code when one is given (an operator's injected fault), else
 * the front door's code for the status. The HTTP status of a framework-level refusal is always the
 * one given.
 */
export type ErrorShape = (status: number, message: string, code?: string) => unknown;

/** The API key a front door's request carries (its own header), if any: whose request it is. */
export type ApiKeyOf = (headers: IncomingHttpHeaders) => string | undefined;

/** What the server knows of a front door before its handlers run. */
export interface FrontDoor {
  shape: ErrorShape;
  apiKeyOf: ApiKeyOf | null;
}

/** The front door assumed when none claims a path (none does only if nothing is mounted at the root). */
const plainDoor: FrontDoor = { shape: (_status, message) => ({ error: message }), apiKeyOf: null };

/** Front doors by path prefix; the longest matching prefix wins, '' is the root. */
class FrontDoors {
  private readonly entries: { prefix: string; door: FrontDoor }[] = [];

  add(prefix: string, door: FrontDoor): void {
    this.entries.push({ prefix, door });
    this.entries.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The front door that serves `url` (a path, with or without its query). */
  for(url: string): FrontDoor {
    const path = url.split('?')[0]!;
    const match = this.entries.find(({ prefix }) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`));
    return match?.door ?? plainDoor;
  }
}

const doorsByServer = new WeakMap<Server, FrontDoors>();

function doorsOf(server: Server): FrontDoors {
  let doors = doorsByServer.get(server);
  if (doors === undefined) doorsByServer.set(server, (doors = new FrontDoors()));
  return doors;
}

/**
 * Declares the error shape of the front door `app` is (its routes' prefix, '' at the root): the
 * refusals made before the front door's handlers run (head too large, malformed percent-encoding,
 * overlong path parameter, unparseable request, an operator's injected fault) are answered in it.
 * `apiKeyOf` reads the front door's API-key header, so that such a step knows whose request it is.
 */
export function registerErrorShape(app: FastifyInstance, shape: ErrorShape, apiKeyOf: ApiKeyOf | null = null): void {
  doorsOf(app.server).add(app.prefix, { shape, apiKeyOf });
}

/** The front door serving `url`. */
export function frontDoorFor(server: Server, url: string): FrontDoor {
  return doorsOf(server).for(url);
}

/** The error body of the front door serving `url`. */
export function errorBodyFor(server: Server, url: string, status: number, message: string): unknown {
  return frontDoorFor(server, url).shape(status, message);
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
