/**
 * The engine process's internal API for its gateways, under /internal/v1 on the engine's port,
 * with the admin token (`Authorization: Bearer <token>`); gateways never forward /internal paths.
 *
 *   GET  /internal/v1/bootstrap   the state a gateway starts from (bootstrap.ts), answered once
 *                                 Redis holds every event up to its command (so the gateway's
 *                                 window can be filled from Redis)
 *   GET  /internal/v1/market      the market part alone (a gateway resynchronising its market state)
 *   POST /internal/v1/history     {accountId, afterSeq, throughSeq, maxEvents}: an
 *                                 account's events after afterSeq through throughSeq, from the
 *                                 engine's replay window or recomputed from its journal (the same
 *                                 budgeted replays as a resume here), or {recovered: false, reason}
 *   WS   /internal/v1/link        held open by every gateway: it closes when the engine stops or
 *                                 dies, which is how a gateway knows at once to report not ready;
 *                                 the engine says its epoch on it first.
 * Bodies are bigint-safe JSON (persistence/codec.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { encodeJson } from '../persistence/codec.js';
import type { ExtensionParts } from '../server/server.js';
import type { ReplayResult } from '../service/event-log.js';
import { captureBootstrap, captureMarket } from './bootstrap.js';
import type { Publisher } from './publisher.js';

export const INTERNAL_PREFIX = '/internal/v1';
export const LINK_PATH = `${INTERNAL_PREFIX}/link`;
/** The close code of a link whose token is wrong. */
export const LINK_REFUSED = 4003;

export interface HistoryRequest {
  accountId: number;
  afterSeq: number;
  throughSeq: number;
  maxEvents: number;
}

/** The hello the engine sends first on a link. */
export interface LinkHello {
  epoch: string;
  shards: number;
  cmdSeq: number;
}

export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

export function mountInternalApi(app: FastifyInstance, parts: ExtensionParts, publisher: Publisher, token: string): void {
  const { exchange, replays, router, connections } = parts;
  const json = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type('application/json; charset=utf-8').send(encodeJson(body));
  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (tokenMatches(request.headers.authorization, token)) return true;
    void json(reply, 401, { error: 'the internal API takes the admin token: "Authorization: Bearer <token>"' });
    return false;
  };

  app.get(`${INTERNAL_PREFIX}/bootstrap`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const boot = captureBootstrap(exchange, publisher.shards);
    // The gateway fills its window from Redis up to this command: wait until Redis holds it
    // (bounded: with Redis down the window simply starts later, and resumes go to the journal).
    await publisher.whenPublished(boot.cmdSeq, 2_000);
    return json(reply, 200, boot);
  });

  app.get(`${INTERNAL_PREFIX}/market`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return json(reply, 200, captureMarket(exchange));
  });

  app.post(`${INTERNAL_PREFIX}/history`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    let body: Partial<HistoryRequest>;
    try {
      body = JSON.parse(request.rawBody) as Partial<HistoryRequest>;
    } catch {
      return json(reply, 400, { error: 'send JSON {accountId, afterSeq, throughSeq, maxEvents}' });
    }
    const { accountId, afterSeq, throughSeq, maxEvents } = body;
    if (![accountId, afterSeq, throughSeq, maxEvents].every(isCount) || afterSeq! > throughSeq!) {
      return json(reply, 400, { error: 'accountId, afterSeq ≤ throughSeq and maxEvents must be whole numbers ≥ 0' });
    }
    const current = exchange.engine.account(accountId!)?.seq ?? 0;
    if (throughSeq! > current) return json(reply, 200, { recovered: false, reason: `seq ${throughSeq} is ahead of the account's ${current}: not this history` } satisfies ReplayResult);
    const fromWindow = exchange.eventLog?.since(accountId!, afterSeq!, current);
    if (fromWindow?.recovered === true) {
      const events = fromWindow.events.filter((e) => e.seq <= throughSeq!);
      if (events.length > maxEvents!) return json(reply, 200, { recovered: false, reason: `${events.length} events, more than ${maxEvents}` } satisfies ReplayResult);
      return json(reply, 200, { recovered: true, events } satisfies ReplayResult);
    }
    if (replays === null) return json(reply, 200, fromWindow ?? { recovered: false, reason: 'no replay window and no journal' });
    // The gateway went away before the answer: the replay is dropped (the request's own 'close'
    // only says its body was read).
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    // Replayed up to the engine's own last command: it is at or past the one that made throughSeq.
    const result = await replays.eventsOf(accountId!, afterSeq!, throughSeq!, exchange.engine.cmdSeq, maxEvents!, abort.signal);
    return json(reply, 200, result);
  });

  router.route(LINK_PATH, (socket, request) => {
    if (!tokenMatches(request.headers.authorization, token)) {
      socket.close(LINK_REFUSED, 'the link takes the admin token');
      return;
    }
    // Bound (to no account): the unauthenticated deadline does not apply to a gateway's link.
    connections.bindPublic(socket);
    socket.once('close', () => connections.unbindPublic(socket));
    socket.on('message', () => undefined);
    const hello: LinkHello = { epoch: exchange.epoch, shards: publisher.shards, cmdSeq: exchange.engine.cmdSeq };
    socket.send(JSON.stringify(hello));
  }, undefined, { dialect: 'internal', stream: 'link' });
}
