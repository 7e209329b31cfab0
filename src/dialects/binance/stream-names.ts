/**
 * What a Binance USDⓈ-M stream connection asks for, read from its URL and from its SUBSCRIBE
 * requests: stream names. A name is either
 * - `<listenKey>`: every event of the key's account,
 * - `<listenKey>@<EVENT>`: one user-data event type of it (Binance's `/private` "listenKey +
 *   events" form: `?listenKey=K&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE` is the two names
 *   `K@ORDER_TRADE_UPDATE` and `K@ACCOUNT_UPDATE`, and LIST_SUBSCRIPTIONS lists them that way), or
 * - a market stream (`btcusdt@aggTrade`, `!markPrice@arr`, …): published by market-stream.ts; one
 *   perpstream does not publish (e.g. `@compositeIndex`) is accepted and listed as Binance does for
 *   such a stream, and never delivered.
 *
 * URL forms (under /binance; Binance's "Important WebSocket Change Notice" split of fstream):
 * `/ws/<names>`, `/stream?streams=<names>` (legacy, unrouted), `/{private,public,market}/ws/<names>`,
 * `/{private,public,market}/stream?streams=<names>`, and on `/private` also
 * `?listenKey=K[&events=E1/E2]`, repeatable in pairs (`listenKey=K1&events=A&listenKey=K2&events=B`).
 * Names are separated by `/`. `ws` connections send raw payloads, `stream` connections wrap each
 * one as `{"stream":"<name>","data":{…}}` (the `combined` property; SET_PROPERTY changes it).
 */
import { decodePathSegment } from '../../server/form.js';
import { ERR } from './errors.js';
import { readResumeParam, type ResumeRequest } from '../resume.js';

/**
 * Binance USDⓈ-M ("Websocket Market Streams"): "A single connection can listen to a maximum of 200
 * streams." (1024 is spot's). Binance disconnects beyond it; here the URL is refused or the
 * SUBSCRIBE answered with code 2, and the connection keeps what it had.
 */
export const MAX_STREAMS_PER_CONNECTION = 200;
/** Longer than any stream name Binance publishes (a listenKey is 64 characters) and bounded. */
export const MAX_STREAM_NAME_LENGTH = 200;

/** The event types of Binance USDⓈ-M's user-data stream: what `events=` and `<listenKey>@<EVENT>` may name. */
export const USER_DATA_EVENTS: ReadonlySet<string> = new Set([
  'ACCOUNT_UPDATE', 'ORDER_TRADE_UPDATE', 'TRADE_LITE', 'ACCOUNT_CONFIG_UPDATE', 'MARGIN_CALL', 'listenKeyExpired',
  'ALGO_UPDATE', 'CONDITIONAL_ORDER_TRIGGER_REJECT', 'STRATEGY_UPDATE', 'GRID_UPDATE',
]);

/** One subscribed stream name and what it delivers. */
export type StreamName =
  | { kind: 'user'; name: string; key: string; event: string | null }
  | { kind: 'market'; name: string };

/** Why a name cannot be subscribed (the text goes into Binance's `{"code":2,"msg":"Invalid request: …"}`). */
export type NameProblem = string;

/**
 * Reads one stream name. `isLiveKey` says whether a string is a live listenKey: a name that is a
 * listenKey (no `@`, no leading `!`) or `<key>@<user-data event>` is user data; anything else is a
 * market stream name.
 */
export function readStreamName(name: string, isLiveKey: (key: string) => boolean, route: Route = 'legacy'): StreamName | NameProblem {
  if (name.length === 0) return 'empty stream name';
  if (name.length > MAX_STREAM_NAME_LENGTH) return `stream name longer than ${MAX_STREAM_NAME_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f/]/.test(name)) return `invalid stream name ${JSON.stringify(name)}`;
  // `/public` and `/market` carry no user data: every name there is a market stream (ccxt opens
  // them as `/public/ws/<n>` with a number, then SUBSCRIBEs), acknowledged even when not published.
  if (route === 'public' || route === 'market') return { kind: 'market', name };
  const at = name.lastIndexOf('@');
  if (at < 0) return name.startsWith('!') ? { kind: 'market', name } : { kind: 'user', name, key: name, event: null };
  const head = name.slice(0, at);
  const tail = name.slice(at + 1);
  if (USER_DATA_EVENTS.has(tail)) return { kind: 'user', name, key: head, event: tail };
  // A live key with an event Binance does not have is a mistake, not a market stream to keep silent on.
  if (isLiveKey(head)) return `unknown user-data event ${JSON.stringify(tail)}; one of ${[...USER_DATA_EVENTS].join(', ')}`;
  return { kind: 'market', name };
}

export type Route = 'legacy' | 'private' | 'public' | 'market';

/** A stream URL, read: where it is, whether payloads are wrapped, and the names it asks for. */
export interface StreamUrl {
  route: Route;
  combined: boolean;
  names: string[];
  /** `/private/ws` carries its listenKey in the URL (Binance's documented form); it may not be left out. */
  needsKey: boolean;
  /** perpstream's `resume=<epoch>:<seq>`: continue the user-data stream after `seq` (resume.ts). */
  resume: ResumeRequest | null;
}

/** A URL that is not a stream form: the HTTP status and Binance's REST-shaped body. */
export interface UrlProblem {
  status: number;
  code: number;
  msg: string;
}

/** fstream (USDⓈ-M) under /binance; dstream (COIN-M) under /binance/dstream (a client sets `<host>/binance/dstream` where Binance has `wss://dstream.binance.com`). */
export const FSTREAM_PREFIX = '/binance';
export const DSTREAM_PREFIX = '/binance/dstream';
const ROUTES: ReadonlySet<string> = new Set(['private', 'public', 'market']);

/** Whether an upgrade path is one of the Binance stream forms (the router's predicate). */
export function isBinanceStreamPath(path: string, prefix = FSTREAM_PREFIX): boolean {
  return readPath(path, prefix) !== null;
}

/** The route, the mode and the names composed in the path (ws mode), or null when it is no stream form. */
function readPath(path: string, prefix: string): { route: Route; mode: 'ws' | 'stream'; pathNames: string | null } | null {
  if (!path.startsWith(`${prefix}/`)) return null;
  const parts = path.slice(prefix.length + 1).split('/');
  let route: Route = 'legacy';
  if (ROUTES.has(parts[0]!)) route = parts.shift() as Route;
  const mode = parts.shift();
  if (mode === 'stream') return parts.length === 0 ? { route, mode, pathNames: null } : null;
  if (mode !== 'ws') return null;
  return { route, mode, pathNames: parts.length === 0 ? null : parts.join('/') };
}

const splitNames = (text: string): string[] => text.split('/').filter((name) => name.length > 0);

/** Reads a stream URL; every query parameter must be one the form takes (nothing is dropped). */
export function readStreamUrl(url: URL, prefix = FSTREAM_PREFIX): StreamUrl | UrlProblem {
  const path = readPath(url.pathname, prefix);
  if (path === null) return { status: 404, code: -1, msg: `no stream at ${url.pathname}` };
  const { route, mode } = path;
  const query = url.searchParams;
  const allowed = new Set<string>(['timeUnit']);
  if (mode === 'stream') allowed.add('streams');
  if (route === 'private') { allowed.add('listenKey'); allowed.add('events'); }
  // perpstream's resume is for streams that may carry user data (not /public, /market).
  if (route === 'private' || route === 'legacy') allowed.add('resume');
  // The legacy `/ws?listenKey=` is not Binance's, but ccxt's `/private/ws?listenKey=` keeps working either way.
  for (const name of new Set(query.keys())) {
    if (!allowed.has(name)) return { status: 400, code: ERR.UNKNOWN_PARAM, msg: `Not all sent parameters were read: ${name} is not a parameter of ${url.pathname}.` };
  }
  const timeUnit = query.get('timeUnit');
  if (timeUnit !== null && timeUnit.toUpperCase() !== 'MILLISECOND') {
    return { status: 400, code: ERR.ILLEGAL_CHARS, msg: `Illegal characters found in parameter 'timeUnit'; only MILLISECOND is served (times are the engine's milliseconds).` };
  }
  const resumes = query.getAll('resume');
  const resume = readResumeParam(resumes.length === 0 ? null : resumes.join(','));
  if (resume === 'invalid') {
    return { status: 400, code: ERR.ILLEGAL_CHARS, msg: 'Illegal characters found in parameter \'resume\'; send it once, as <epoch>:<last seq received>.' };
  }
  const names: string[] = [];
  if (path.pathNames !== null) {
    // A malformed escape (`/ws/%zz`) is no key at all: refused like an unknown one, never thrown.
    const decoded = decodePathSegment(path.pathNames);
    if (decoded === undefined) return { status: 400, code: ERR.INVALID_LISTEN_KEY, msg: 'This listenKey does not exist.' };
    names.push(...splitNames(decoded));
  }
  for (const streams of query.getAll('streams')) names.push(...splitNames(streams));
  const keys = query.getAll('listenKey');
  const events = query.getAll('events');
  if (events.length > keys.length) return { status: 400, code: ERR.MANDATORY_PARAM, msg: 'Mandatory parameter \'listenKey\' was not sent: every events parameter follows the listenKey it filters.' };
  keys.forEach((key, i) => {
    const filter = events[i];
    if (filter === undefined) names.push(key);
    else for (const event of splitNames(filter)) names.push(`${key}@${event}`);
  });
  for (const filter of events) {
    for (const event of splitNames(filter)) {
      if (!USER_DATA_EVENTS.has(event)) return { status: 400, code: ERR.ILLEGAL_CHARS, msg: `Illegal value in parameter 'events': ${JSON.stringify(event)} is not a user-data event (${[...USER_DATA_EVENTS].join(', ')}).` };
    }
    if (splitNames(filter).length === 0) return { status: 400, code: ERR.ILLEGAL_CHARS, msg: 'Illegal value in parameter \'events\': it names no event.' };
  }
  if (names.length > MAX_STREAMS_PER_CONNECTION) return { status: 400, code: ERR.INVALID_PARAM, msg: `A single connection can listen to a maximum of ${MAX_STREAMS_PER_CONNECTION} streams; ${names.length} were sent.` };
  return { route, combined: mode === 'stream', names: [...new Set(names)], needsKey: route === 'private' && mode === 'ws', resume };
}

export const isUrlProblem = (read: StreamUrl | UrlProblem): read is UrlProblem => 'status' in read;
