/**
 * XT's futures REST API at the root (/future/..., /v4/public/...): public symbol lists, then the
 * signed user and trade endpoints. Shapes: docs/dialects/xt-rest.md; auth: auth.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatPrice } from '../../engine/format.js';
import { formatRate } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { CredentialStore } from '../../service/credentials.js';
import type { Exchange } from '../../service/exchange.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import { NotDurableError } from '../../service/errors.js';
import { registerErrorShape, type ErrorShape } from '../../server/error-shapes.js';
import { apiKeyOf, verifyXtSignature } from './auth.js';
import { failure, ok, XtError, type XtEnvelope } from './envelope.js';
import { accountRoutes } from './rest-account.js';
import { tradeRoutes } from './rest-trade.js';
import { entrustRoutes } from './rest-entrust.js';
import { historyRoutes } from './rest-history.js';
import { marketRoutes } from './rest-market.js';
import { listedSymbol } from './params.js';
import { venueSymbols, type XtVenue } from './venue.js';

export interface XtRestOptions {
  exchange: Exchange;
  /** The XT host these routes are (USDT-M at the root, Coin-M under /dapi): venue.ts. */
  venue: XtVenue;
  credentials: CredentialStore;
  listenKeys: ListenKeys;
}

const AUTH_CODES = { MISSING_HEADERS: 'AUTH_001', INVALID_TIMESTAMP: 'AUTH_105', INVALID_APPKEY: 'AUTH_101', INVALID_SIGNATURE: 'AUTH_103' } as const;

/**
 * The symbol-list entry ccxt and XT clients read (xt-rest.md §3.1). A delivery contract carries XT's
 * `deliveryDate` (ms), `deliveryPrice` (once settled) and `deliveryCompletion`, and a productType
 * other than `perpetual` (ccxt then lists it as a future expiring at deliveryDate); from its delivery
 * time on it no longer trades (`tradeSwitch` false).
 */
function symbolEntry(exchange: Exchange, config: SymbolConfig): Record<string, unknown> {
  const spec = config.spec;
  const now = exchange.now();
  const delivery = exchange.engine.prices(config.symbol, now)?.delivery ?? null;
  const settled = delivery?.settledPrice ?? null;
  return {
    symbol: spec.symbol,
    pair: spec.symbol,
    contractType: spec.contractType,
    productType: delivery === null ? 'perpetual' : 'delivery',
    underlyingType: spec.underlyingType,
    contractSize: spec.contractSize,
    baseCoin: spec.baseAsset.toLowerCase(),
    quoteCoin: spec.quoteAsset.toLowerCase(),
    baseCoinPrecision: 8,
    quoteCoinPrecision: 8,
    pricePrecision: config.priceDecimals,
    quantityPrecision: 0,
    minQty: String(spec.minQty),
    maxQty: String(spec.maxQty),
    minNotional: '0',
    maxNotional: formatPrice(config, spec.maxPriceTicks),
    minPrice: spec.tickSize,
    maxPrice: formatPrice(config, spec.maxPriceTicks),
    minStepPrice: spec.tickSize,
    makerFee: formatRate(config.makerFeeRate),
    takerFee: formatRate(config.takerFeeRate),
    maxLeverage: spec.maxLeverage,
    initLeverage: Math.min(20, spec.maxLeverage),
    initPositionType: 'CROSSED',
    supportOrderType: 'LIMIT,MARKET',
    supportTimeInForce: 'GTC,IOC,FOK,GTX',
    supportPositionType: 'CROSSED,ISOLATED',
    isOpenApi: true,
    isDisplay: true,
    tradeSwitch: delivery === null || now < delivery.time,
    state: 0,
    deliveryDate: delivery === null ? null : delivery.time,
    deliveryPrice: settled === null ? null : formatPrice(config, settled),
    deliveryCompletion: settled !== null,
  };
}

/** XT's envelope for a refusal by HTTP status: COMMON_003 (ccxt BadRequest) for the client's mistakes, never "400" (ccxt NetworkError). */
export const xtErrorShape: ErrorShape = (status, message, code) => {
  if (code !== undefined) return failure(code, message);
  if (status === 404) return failure('404', message);
  if (status >= 500) return failure(String(status), message);
  return failure('COMMON_003', `invalid_params: ${message}`);
};

const spotOk = (result: unknown) => ({ rc: 0, mc: 'SUCCESS', ma: [], result });

export async function xtRoutes(app: FastifyInstance, registered: XtRestOptions): Promise<void> {
  // Fastify hands a plugin its register options, the mount prefix included: the inner plugins get
  // only ours (else they would add the prefix a second time).
  const { exchange, credentials, listenKeys, venue } = registered;
  const options: XtRestOptions = { exchange, credentials, listenKeys, venue };

  registerErrorShape(app, xtErrorShape, apiKeyOf);
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply: FastifyReply) => {
    if (error instanceof XtError) return reply.code(error.httpStatus).send(failure(error.code, error.message));
    // The disk refused the command: the message says whether it is safe to retry.
    if (error instanceof NotDurableError) return reply.code(503).send(failure('fail', error.message));
    if (error.statusCode !== undefined && error.statusCode < 500) {
      // A body too large or unreadable keeps its status; other refusals reached the service (XT: HTTP 200).
      return reply.code(error.statusCode === 413 || error.statusCode === 415 ? error.statusCode : 200).send(xtErrorShape(error.statusCode, error.message));
    }
    request.log.error({ err: error }, 'XT front door: a handler threw; answered 500');
    return reply.code(500).send(xtErrorShape(500, 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(xtErrorShape(404, `no such endpoint: ${request.method} ${request.url.split('?')[0]}`));
  });

  // Public market data (xt-rest.md §3).
  app.get('/v4/public/symbol', async () => spotOk({ time: exchange.now(), version: '1', symbols: [] }));
  app.get('/v4/public/wallet/support/currency', async () => spotOk([]));
  app.get('/v4/public/currencies', async () => spotOk({ currencies: [] }));
  const symbolList = async (): Promise<XtEnvelope> => ok(venueSymbols(exchange, options.venue).map((c) => symbolEntry(exchange, c)));
  app.get('/future/market/v1/public/symbol/list', symbolList);
  app.get('/future/market/v3/public/symbol/list', symbolList);
  app.get('/future/market/v1/public/symbol/detail', async (request) => {
    const name = String((request.query as Record<string, unknown>).symbol ?? '').toLowerCase();
    return ok(symbolEntry(exchange, listedSymbol(options, name || '(none)')));
  });
  await app.register(marketRoutes, options);

  // Everything under /future/user and /future/trade is signed.
  await app.register(async (signed) => {
    signed.decorateRequest('xtCredential', null);
    signed.addHook('preHandler', async (request: FastifyRequest) => {
      const url = request.url;
      const at = url.indexOf('?');
      const verdict = verifyXtSignature({
        method: request.method,
        // The client signs XT's own path: without this host's prefix on our server.
        path: (at < 0 ? url : url.slice(0, at)).slice(options.venue.prefix.length),
        rawQuery: at < 0 ? '' : url.slice(at + 1),
        rawBody: request.rawBody,
        formBody: request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') === true,
        headers: request.headers,
      }, options.credentials, exchange.now());
      if ('code' in verdict) throw new XtError(AUTH_CODES[verdict.code], verdict.message, 403);
      request.xtCredential = verdict;
    });
    await signed.register(accountRoutes, options);
    await signed.register(tradeRoutes, options);
    await signed.register(entrustRoutes, options);
    await signed.register(historyRoutes, options);
  });
}
