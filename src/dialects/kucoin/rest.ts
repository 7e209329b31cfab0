/**
 * KuCoin's REST front doors, one per KuCoin host: the futures API under /kucoin-futures
 * (api-futures.kucoin.com) and the spot/UTA API under /kucoin-spot (api.kucoin.com), as
 * protocols.md §6.1 configures ccxt. Each host answers in KuCoin's envelope (json.ts writes its
 * numbers exactly), checks KuCoin's signature on private routes, and says "404000" for paths it
 * does not serve.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotDurableError } from '../../service/errors.js';
import { registerErrorShape, type ErrorShape } from '../../server/error-shapes.js';
import type { CredentialStore } from '../../service/credentials.js';
import type { Exchange } from '../../service/exchange.js';
import { apiKeyOf, verifyKucoinSignature } from './auth.js';
import { failure, KucoinError } from './envelope.js';
import { toJson, type JsonValue } from './json.js';
import { accountRoutes } from './rest-account.js';
import { marketRoutes } from './rest-market.js';
import { marketDataRoutes } from './rest-market-data.js';
import { indexHistoryRoutes } from './rest-index-history.js';
import { spotPrivateRoutes, spotPublicRoutes } from './rest-spot.js';
import { utaMarketRoutes } from './rest-uta-market.js';
import { tradeRoutes } from './rest-trade.js';
import { historyRoutes, spotHistoryRoutes } from './rest-history.js';
import type { KucoinSymbols } from './symbols.js';
import type { KucoinTokens } from './tokens.js';

export const FUTURES_PREFIX = '/kucoin-futures';
export const SPOT_PREFIX = '/kucoin-spot';
/** Where the classic futures stream is served (the endpoint bullet-private returns). */
export const FUTURES_STREAM_PATH = '/kucoin/futures';
/** Where the UTA stream is served (ccxt's urls.api.ws.private). */
export const UTA_STREAM_PATH = '/kucoin/uta';
/** What bullet-private advertises as pingTimeout: how long a client waits for a pong. */
export const ADVERTISED_PING_TIMEOUT_MS = 10_000;

export interface KucoinRestOptions {
  exchange: Exchange;
  credentials: CredentialStore;
  symbols: KucoinSymbols;
  tokens: KucoinTokens;
  /** The ping interval bullet-private recommends to clients. */
  pingIntervalMs: number;
}

/** The WebSocket URL of a stream on this server, as the client reached it. */
export function streamUrl(request: FastifyRequest, path: string): { endpoint: string; encrypt: boolean } {
  const encrypt = request.protocol === 'https';
  return { endpoint: `${encrypt ? 'wss' : 'ws'}://${request.headers.host ?? 'localhost'}${path}`, encrypt };
}

/** KuCoin's `{code, msg}` for a refusal by HTTP status: 404000, 415000, 500000, else 400100 (ccxt BadRequest). */
export const kucoinErrorShape: ErrorShape = (status, message, code) => {
  if (code !== undefined) return failure(code, message);
  if (status === 404) return failure('404000', message);
  if (status === 415) return failure('415000', `Unsupported Media Type: send application/json (${message})`);
  if (status >= 500) return failure('500000', message);
  return failure('400100', message);
};

/** The envelope, error shapes, 404 and serializer every KuCoin host shares. */
function hostCommon(app: FastifyInstance, prefix: string): void {
  app.setReplySerializer((payload) => toJson(payload as JsonValue));
  registerErrorShape(app, kucoinErrorShape, apiKeyOf);
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply: FastifyReply) => {
    if (error instanceof KucoinError) return reply.code(error.httpStatus).send(failure(error.code, error.message));
    // The disk refused the command: the message says whether it is safe to retry.
    if (error instanceof NotDurableError) return reply.code(503).send(failure('500000', error.message));
    if (error.statusCode !== undefined && error.statusCode < 500) {
      const status = error.statusCode === 413 || error.statusCode === 415 ? error.statusCode : 400;
      return reply.code(status).send(kucoinErrorShape(status, error.message));
    }
    request.log.error({ err: error }, 'KuCoin front door: a handler threw; answered 500');
    return reply.code(500).send(kucoinErrorShape(500, 'Internal Server Error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.slice(prefix.length);
    void reply.code(404).send(kucoinErrorShape(404, `Not Found: ${request.method} ${path} is not served on ${prefix}`));
  });
}

/** Checks KuCoin's signature before every route registered in `routes`. */
async function signed(app: FastifyInstance, prefix: string, credentials: CredentialStore, exchange: Exchange, routes: (app: FastifyInstance) => Promise<void>): Promise<void> {
  await app.register(async (scope) => {
    scope.decorateRequest('kucoinCredential', null);
    scope.addHook('preHandler', async (request: FastifyRequest) => {
      const verdict = verifyKucoinSignature({
        method: request.method,
        endpoint: request.url.slice(prefix.length),
        rawBody: request.rawBody,
        headers: request.headers,
      }, credentials, exchange.now());
      if ('code' in verdict) throw new KucoinError(verdict.code, verdict.message, 401);
      request.kucoinCredential = verdict;
    });
    await routes(scope);
  });
}

/** api-futures.kucoin.com under /kucoin-futures. */
export async function kucoinFuturesRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  hostCommon(app, FUTURES_PREFIX);
  await marketRoutes(app, options);
  await marketDataRoutes(app, options);
  await indexHistoryRoutes(app, options);
  await signed(app, FUTURES_PREFIX, options.credentials, options.exchange, async (scope) => {
    await accountRoutes(scope, options);
    await tradeRoutes(scope, options);
    await historyRoutes(scope, options);
  });
}

/** api.kucoin.com under /kucoin-spot: the bullets and what ccxt's kucoinfutures asks there. */
export async function kucoinSpotRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  hostCommon(app, SPOT_PREFIX);
  await spotPublicRoutes(app, options);
  await utaMarketRoutes(app, options);
  await signed(app, SPOT_PREFIX, options.credentials, options.exchange, async (scope) => {
    await spotPrivateRoutes(scope, options);
    await spotHistoryRoutes(scope);
  });
}

/** A bullet-private answer: a token for the stream at `path`, and how to reach it. */
export function bulletData(request: FastifyRequest, token: string, path: string, pingIntervalMs: number): JsonValue {
  const { endpoint, encrypt } = streamUrl(request, path);
  return { token, instanceServers: [{ endpoint, encrypt, protocol: 'websocket', pingInterval: pingIntervalMs, pingTimeout: ADVERTISED_PING_TIMEOUT_MS }] };
}

