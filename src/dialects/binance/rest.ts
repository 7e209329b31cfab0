/**
 * Binance's futures REST front door under /binance (protocols.md §2.1, §2.3, §6.1), split as Binance
 * splits it: USDⓈ-M under /fapi (linear symbols, perpetual and quarterly) and COIN-M under /dapi
 * (inverse symbols): public market data, the listenKey (API key only), ccxt's sapi calls, then the
 * signed account, trade, history and (USDⓈ-M only) algo order endpoints (rest-account.ts,
 * rest-trade.ts, rest-history.ts, rest-algo.ts), the same handlers for both with the API's symbols.
 * A symbol of the other market is Binance's -1121 Invalid symbol. Errors are `{code, msg}` with Binance's codes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatRate } from '../../engine/fixed.js';
import { NotDurableError } from '../../service/errors.js';
import { registerErrorShape, type ErrorShape } from '../../server/error-shapes.js';
import type { Credential, CredentialStore } from '../../service/credentials.js';
import type { Exchange } from '../../service/exchange.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import { apiKeyOf, verifyApiKey, verifySigned } from './auth.js';
import { closeListenKey, keepaliveListenKey, startListenKey, unknownListenKey } from './listen-key-calls.js';
import { BinanceError, ERR } from './errors.js';
import { tooManyListenKeyRequests } from './listen-key-policy.js';
import { paramsOf, optional, type Params } from './params.js';
import { accountRoutes } from './rest-account.js';
import { tradeRoutes } from './rest-trade.js';
import { algoRoutes } from './rest-algo.js';
import { historyRoutes } from './rest-history.js';
import { marketRoutes } from './rest-market.js';
import { formatPrice, pairOf, type BinanceSymbol, type BinanceSymbols } from './symbols.js';
import { contractStatus, contractTypeOf, PERPETUAL_DELIVERY_DATE } from './contracts.js';

declare module 'fastify' {
  interface FastifyRequest {
    binanceCredential: Credential | null;
    binanceParams: Params | null;
  }
}

/** fapi: USDⓈ-M; dapi: COIN-M. */
export type BinanceApi = 'fapi' | 'dapi';

export interface BinanceRestOptions {
  exchange: Exchange;
  /** The API these routes serve (their paths' first segment); `symbols` lists only its market. */
  api: BinanceApi;
  credentials: CredentialStore;
  listenKeys: ListenKeys;
  symbols: BinanceSymbols;
  /** Called when a listenKey is deleted: its streams close. */
  onListenKeyClosed: (key: string) => void;
}

/** The exchangeInfo entry ccxt and Binance clients read (protocols.md §2.3); COIN-M's as /dapi words it. */
function symbolInfo(symbol: BinanceSymbol, exchange: Exchange, now: number): Record<string, unknown> {
  const { config } = symbol;
  const spec = config.spec;
  const coinm = symbol.market === 'coinm';
  // USDⓈ-M steps are base quantities; COIN-M counts whole contracts.
  const step = coinm ? '1' : spec.contractSize;
  const status = contractStatus(symbol, exchange, now);
  return {
    symbol: symbol.name,
    pair: pairOf(config),
    contractType: contractTypeOf(config, now),
    deliveryDate: config.delivery?.time ?? PERPETUAL_DELIVERY_DATE,
    onboardDate: 1569398400000,
    ...(coinm ? { contractStatus: status, contractSize: Number(spec.contractSize) } : { status }),
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: spec.baseAsset,
    quoteAsset: spec.quoteAsset,
    marginAsset: config.settleAsset,
    pricePrecision: config.priceDecimals,
    quantityPrecision: symbol.qtyDecimals,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    ...(coinm ? { equalQtyPrecision: 4 } : {}),
    underlyingType: 'COIN',
    underlyingSubType: [],
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: formatRate(config.priceBandRate),
    maxMoveOrderLimit: 10000,
    filters: [
      { filterType: 'PRICE_FILTER', tickSize: spec.tickSize, minPrice: spec.tickSize, maxPrice: formatPrice(symbol, spec.maxPriceTicks) },
      { filterType: 'LOT_SIZE', stepSize: step, minQty: qtyText(symbol, spec.minQty), maxQty: qtyText(symbol, spec.maxQty) },
      { filterType: 'MARKET_LOT_SIZE', stepSize: step, minQty: qtyText(symbol, spec.minQty), maxQty: qtyText(symbol, spec.maxQty) },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      ...(coinm ? [] : [{ filterType: 'MIN_NOTIONAL', notional: '0' }]),
      { filterType: 'PERCENT_PRICE', multiplierUp: formatRate(100_000_000n + config.priceBandRate), multiplierDown: formatRate(100_000_000n - config.priceBandRate), multiplierDecimal: '4' },
    ],
    // USDⓈ-M: LIMIT and MARKET on /fapi/v1/order, the conditional types on /fapi/v1/algoOrder (as
    // Binance lists them). COIN-M: LIMIT and MARKET only (perpstream serves no conditional on /dapi).
    orderTypes: coinm ? ['LIMIT', 'MARKET'] : ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  };
}

/** exchangeInfo of one API: its symbols, and its margin assets. */
function exchangeInfo(options: BinanceRestOptions): Record<string, unknown> {
  const { exchange, symbols, api } = options;
  const now = exchange.now();
  const coinm = api === 'dapi';
  return {
    timezone: 'UTC',
    serverTime: now,
    ...(coinm ? {} : {
      futuresType: 'U_MARGINED',
      assets: [...new Set(symbols.all().map((s) => s.config.settleAsset))].map((asset) => ({ asset, marginAvailable: true, autoAssetExchange: '0' })),
    }),
    rateLimits: [],
    exchangeFilters: [],
    symbols: symbols.all().map((s) => symbolInfo(s, exchange, now)),
  };
}

const qtyText = (symbol: BinanceSymbol, contracts: number): string => {
  const units = BigInt(contracts) * symbol.contractUnits;
  const text = units.toString().padStart(symbol.qtyDecimals + 1, '0');
  return symbol.qtyDecimals === 0 ? text : `${text.slice(0, -symbol.qtyDecimals)}.${text.slice(-symbol.qtyDecimals)}`;
};

/**
 * Binance's `{code, msg}` for a refusal by HTTP status: a malformed request (bad percent-encoding,
 * unparseable body) is -1100 ILLEGAL_CHARS, other request problems -1130 INVALID_PARAM.
 */
export const binanceErrorShape: ErrorShape = (status, message, code) => {
  if (code !== undefined) return { code: Number(code), msg: message };
  if (status === 404 || status >= 500) return { code: ERR.UNKNOWN, msg: message };
  if (status === 400) return { code: ERR.ILLEGAL_CHARS, msg: `Illegal characters found in a parameter: ${message}` };
  return { code: ERR.INVALID_PARAM, msg: `Invalid data sent for a parameter: ${message}` };
};

/** `options.symbols`: every symbol; each API takes its market's. */
export async function binanceRoutes(app: FastifyInstance, options: Omit<BinanceRestOptions, 'api'>): Promise<void> {
  const { exchange, credentials, listenKeys, symbols } = options;
  app.decorateRequest('binanceCredential', null);
  app.decorateRequest('binanceParams', null);

  registerErrorShape(app, binanceErrorShape, apiKeyOf);
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply: FastifyReply) => {
    if (error instanceof BinanceError) return reply.code(error.httpStatus).send({ code: error.code, msg: error.message });
    // The disk refused the command: the message says whether it is safe to retry.
    if (error instanceof NotDurableError) return reply.code(503).send({ code: ERR.UNKNOWN, msg: error.message });
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send(binanceErrorShape(error.statusCode, error.message));
    }
    request.log.error({ err: error }, 'Binance front door: a handler threw; answered 500');
    return reply.code(500).send(binanceErrorShape(500, 'An unknown error occurred while processing the request.'));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(binanceErrorShape(404, `No such endpoint: ${request.method} ${request.url.split('?')[0]}`));
  });

  // Public, then the listenKey, then the signed endpoints: once per API with its own symbols.
  for (const api of ['fapi', 'dapi'] as const) {
    // Without the outer `prefix`, which would otherwise apply twice.
    const own: BinanceRestOptions = {
      exchange, credentials, listenKeys, api, symbols: symbols.only(api === 'fapi' ? 'usdm' : 'coinm'), onListenKeyClosed: options.onListenKeyClosed,
    };
    await app.register(marketRoutes, own);
    app.get(`/${api}/v1/ping`, async () => ({}));
    app.get(`/${api}/v1/time`, async () => ({ serverTime: exchange.now() }));
    app.get(`/${api}/v1/exchangeInfo`, async () => exchangeInfo(own));
  }

  // listenKey: USER_STREAM security (API key only). One key per account: POST returns the active
  // key (extended) while there is one. Every call passes the account's listenKey rate first, and is
  // answered once its change is on disk (listen-key-policy.ts).
  const keyOwner = (request: FastifyRequest): Credential => {
    const credential = verifyApiKey(request.headers, credentials);
    request.binanceCredential = credential;
    if (!listenKeys.admitRequest(credential.accountId, exchange.now())) throw tooManyListenKeyRequests(listenKeys.policy);
    return credential;
  };
  /** The key a PUT/DELETE names (it must be the account's, and live); undefined: the account's active one. */
  const namedKey = (request: FastifyRequest, accountId: number, now: number): string | undefined => {
    const given = optional(paramsOf(request), 'listenKey');
    if (given === undefined) return undefined;
    const entry = listenKeys.resolve(given, now);
    if (entry === undefined || entry.accountId !== accountId) throw unknownListenKey();
    return given;
  };
  // One key per account serves both streams (fstream and dstream each push their own market's events).
  for (const api of ['fapi', 'dapi'] as const) {
    app.post(`/${api}/v1/listenKey`, async (request) => ({ listenKey: await startListenKey(listenKeys, keyOwner(request).accountId, exchange.now()) }));
    app.put(`/${api}/v1/listenKey`, async (request) => {
      const { accountId } = keyOwner(request);
      const now = exchange.now();
      return { listenKey: await keepaliveListenKey(listenKeys, accountId, now, namedKey(request, accountId, now)) };
    });
    app.delete(`/${api}/v1/listenKey`, async (request) => {
      const { accountId } = keyOwner(request);
      const now = exchange.now();
      await closeListenKey(listenKeys, accountId, now, options.onListenKeyClosed, namedKey(request, accountId, now));
      return {};
    });
  }

  // Everything else is SIGNED.
  await app.register(async (signed) => {
    signed.addHook('preHandler', async (request: FastifyRequest) => {
      const params = paramsOf(request);
      const url = request.url;
      const at = url.indexOf('?');
      request.binanceCredential = verifySigned({
        rawQuery: at < 0 ? '' : url.slice(at + 1), rawBody: request.rawBody, headers: request.headers, params,
      }, credentials, exchange.now());
      request.binanceParams = params;
    });
    // ccxt's currency calls (fetchCurrencies) when not disabled: no spot wallet here.
    signed.get('/sapi/v1/capital/config/getall', async () => []);
    signed.get('/sapi/v1/margin/allPairs', async () => []);
    for (const api of ['fapi', 'dapi'] as const) {
      // Without the outer `prefix`, which would otherwise apply twice.
      const inner: BinanceRestOptions = {
        exchange, credentials, listenKeys, api, symbols: symbols.only(api === 'fapi' ? 'usdm' : 'coinm'), onListenKeyClosed: options.onListenKeyClosed,
      };
      await signed.register(accountRoutes, inner);
      await signed.register(tradeRoutes, inner);
      await signed.register(historyRoutes, inner);
      // Conditional orders: the USDⓈ-M Algo Service only.
      if (api === 'fapi') await signed.register(algoRoutes, inner);
    }
  });
}
