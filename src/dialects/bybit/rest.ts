/**
 * Bybit v5's REST front door under /bybit (ccxt's `urls.api.*` point there and append /v5/...):
 * public market endpoints, then the signed account, position and trade endpoints. Every answer is
 * Bybit's envelope; errors are HTTP 200 with a non-zero retCode, as Bybit does (404 for a path
 * that does not exist). Shapes: docs/dialects/bybit.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerErrorShape, type ErrorShape } from '../../server/error-shapes.js';
import { rawQuery } from '../../server/http.js';
import { NotDurableError } from '../../service/errors.js';
import type { CredentialStore } from '../../service/credentials.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Exchange } from '../../service/exchange.js';
import { apiKeyOf, verifyRest } from './auth.js';
import { BybitError, Code, failure, ok } from './envelope.js';
import { instrument, type InstrumentStatus } from './instruments.js';
import { categoryOf, inCategory, optionalEnum, optionalInteger, optionalString, paramsOf } from './params.js';
import { accountRoutes } from './rest-account.js';
import { tradeRoutes } from './rest-trade.js';
import { tpslRoutes } from './rest-tpsl.js';
import { historyRoutes } from './rest-history.js';
import { marketRoutes } from './rest-market.js';
import { bybitSymbol, type BybitSymbols } from './symbols.js';

export interface BybitRestOptions {
  exchange: Exchange;
  credentials: CredentialStore;
  symbols: BybitSymbols;
}

/** A page of `items` from an offset cursor ("" once there is nothing more). */
export function page<T>(items: readonly T[], cursor: string | undefined, limit: number): { items: T[]; nextPageCursor: string } {
  const start = cursor === undefined ? 0 : Number(cursor);
  if (!Number.isSafeInteger(start) || start < 0) throw new BybitError(Code.PARAMS, 'params error: cursor is invalid; pass back the nextPageCursor of the previous page');
  const end = start + limit;
  return { items: items.slice(start, end), nextPageCursor: end < items.length ? String(end) : '' };
}

/** Bybit's envelope for a refusal by HTTP status: 10017 route not found, 10016 server error, else 10001 params error. */
export function bybitErrorShape(clock: () => number): ErrorShape {
  return (status, message, code) => {
    const now = clock();
    if (code !== undefined) return failure(new BybitError(Number(code), message), now);
    if (status === 404) return failure(new BybitError(Code.ROUTE, message), now);
    if (status >= 500) return failure(new BybitError(Code.SERVER, `Server error. ${message}`), now);
    return failure(new BybitError(Code.PARAMS, `params error: ${message}`), now);
  };
}

export async function bybitRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  const errorShape = bybitErrorShape(() => exchange.now());
  registerErrorShape(app, errorShape, apiKeyOf);
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply: FastifyReply) => {
    const now = exchange.now();
    if (error instanceof BybitError) return reply.code(error.httpStatus).send(failure(error, now));
    // The disk refused the command: the message says whether it is safe to retry.
    if (error instanceof NotDurableError) return reply.code(503).send(failure(new BybitError(Code.SERVER, `Server error. ${error.message}`), now));
    if (error.statusCode !== undefined && error.statusCode < 500) {
      // Bybit answers request errors with HTTP 200 and a retCode; a body too large or unreadable keeps its status.
      return reply.code(error.statusCode === 413 || error.statusCode === 415 ? error.statusCode : 200).send(errorShape(error.statusCode, error.message));
    }
    request.log.error({ err: error }, 'Bybit front door: a handler threw; answered 500');
    return reply.code(500).send(errorShape(500, 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    void reply.code(404).send(errorShape(404, `Route not found: ${request.method} ${path}`));
  });

  app.get('/v5/market/time', async () => {
    const now = exchange.now();
    return ok({ timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` }, now);
  });

  /** A symbol's status now: a delivery contract is Delivering from its delivery time, Closed once settled. */
  const statusOf = (config: SymbolConfig, now: number): InstrumentStatus => {
    const delivery = exchange.engine.prices(config.symbol, now)?.delivery ?? null;
    if (delivery === null || now < delivery.time) return 'Trading';
    return delivery.settledPrice === null ? 'Delivering' : 'Closed';
  };

  // Instruments of the category (linear or inverse; spot and option exist and are empty). Bybit's
  // default status filter is Trading (ccxt also asks for PreLaunch, which nothing is here).
  app.get('/v5/market/instruments-info', async (request) => {
    const params = paramsOf(request);
    const category = categoryOf(params);
    const symbol = optionalString(params, 'symbol');
    const status = optionalEnum(params, 'status', ['PreLaunch', 'Trading', 'Delivering', 'Closed'] as const) ?? 'Trading';
    const baseCoin = optionalString(params, 'baseCoin');
    const limit = optionalInteger(params, 'limit', 1, 1000) ?? 500;
    const now = exchange.now();
    const listed = symbols.all().map((c) => ({ c, status: statusOf(c, now) })).filter(({ c, status: s }) => inCategory(c, category) && s === status &&
      (symbol === undefined || bybitSymbol(c.symbol) === symbol) && (baseCoin === undefined || c.spec.baseAsset === baseCoin));
    const { items, nextPageCursor } = page(listed, optionalString(params, 'cursor'), limit);
    return ok({ category, list: items.map(({ c, status: s }) => instrument(c, s)), nextPageCursor }, now);
  });

  // Public market data (rest-market.ts): no signature.
  await app.register(marketRoutes, { exchange, credentials: options.credentials, symbols });

  await app.register(async (signed) => {
    signed.decorateRequest('bybitCredential', null);
    signed.addHook('preHandler', async (request: FastifyRequest) => {
      request.bybitCredential = verifyRest({
        method: request.method, rawQuery: rawQuery(request.url), rawBody: request.rawBody, headers: request.headers,
      }, options.credentials, exchange.now());
    });
    // Not `options` itself: it carries this plugin's prefix, which would apply twice.
    const inner: BybitRestOptions = { exchange, credentials: options.credentials, symbols };
    await signed.register(accountRoutes, inner);
    await signed.register(tradeRoutes, inner);
    await signed.register(tpslRoutes, inner);
    await signed.register(historyRoutes, inner);
  });
}
