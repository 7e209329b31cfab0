/**
 * Operator endpoints for prices and funding, under /admin/v1 like the rest (routes.ts):
 *   POST /index-price      {"symbol","price"}            sets the index; answers with the mark it gave
 *   GET  /prices           every symbol's prices and funding state
 *   GET  /prices/:symbol   one symbol's
 *   POST /funding/settle   {"symbol", "fundingTime"?}    settles funding now (or at fundingTime ms)
 *   POST /delivery/settle  {"symbol"}                    delivers a DELIVERY symbol whose delivery time has come
 * Prices are decimal strings at the symbol's precision, rates decimal strings (0.0001 = 0.01%),
 * times ms. Documented in docs/prices-and-funding.md.
 */
import type { FastifyInstance } from 'fastify';
import type { PriceInfo } from '../engine/engine.js';
import { formatRate } from '../engine/fixed.js';
import { formatPrice, parsePrice } from '../engine/format.js';
import type { SymbolConfig } from '../engine/symbol.js';
import type { Exchange } from '../service/exchange.js';
import { AdminError, field, refused } from './routes.js';

function symbolConfig(exchange: Exchange, symbol: string): SymbolConfig {
  const config = exchange.engine.symbols().find((s) => s.symbol === symbol);
  if (config === undefined) throw new AdminError(404, `symbol "${symbol}" is not listed; GET /admin/v1/symbols lists them`);
  return config;
}

function pricesOf(exchange: Exchange, config: SymbolConfig): Record<string, unknown> {
  const info: PriceInfo = exchange.engine.prices(config.symbol, exchange.now())!;
  const price = (ticks: number | null): string | null => (ticks === null ? null : formatPrice(config, ticks));
  return {
    symbol: info.symbol,
    markMethod: info.markMethod,
    indexPrice: price(info.indexPrice),
    markPrice: price(info.markPrice),
    lastPrice: price(info.lastPrice),
    premiumIndex: info.premiumIndex === null ? null : formatRate(info.premiumIndex),
    premiumSamples: info.premiumSamples,
    averagePremium: formatRate(info.averagePremium),
    predictedFundingRate: formatRate(info.predictedFundingRate),
    lastFundingRate: formatRate(info.lastFundingRate),
    lastFundingTime: info.lastFundingTime,
    nextFundingTime: info.nextFundingTime,
    fundingIntervalMinutes: info.fundingIntervalMs / 60_000,
    ...(info.delivery === null ? {} : { deliveryTime: info.delivery.time, deliveryPrice: price(info.delivery.settledPrice) }),
  };
}

export function priceRoutes(app: FastifyInstance, exchange: Exchange): void {
  app.post('/index-price', async (request) => {
    const symbol = field(request.body, 'symbol', 'string') as string;
    const config = symbolConfig(exchange, symbol);
    const text = field(request.body, 'price', 'string') as string;
    const price = parsePrice(config, text);
    if (price === undefined) throw new AdminError(400, `"price" must be a positive multiple of the tick size ${config.spec.tickSize} (got "${text}")`);
    const { result } = await exchange.execute({ type: 'setIndexPrice', symbol, price });
    if (!result.ok) refused(result);
    return pricesOf(exchange, config);
  });

  app.get('/prices', async () => exchange.engine.symbols().map((config) => pricesOf(exchange, config)));

  app.get('/prices/:symbol', async (request) => {
    const { symbol } = request.params as { symbol: string };
    return pricesOf(exchange, symbolConfig(exchange, symbol));
  });

  app.post('/funding/settle', async (request) => {
    const symbol = field(request.body, 'symbol', 'string') as string;
    const config = symbolConfig(exchange, symbol);
    const given = (request.body as Record<string, unknown> | null)?.fundingTime;
    const fundingTime = given === undefined ? undefined : field(request.body, 'fundingTime', 'integer') as number;
    const { result } = await exchange.execute({ type: 'settleFunding', symbol, ...(fundingTime === undefined ? {} : { fundingTime }) });
    if (!result.ok) refused(result);
    const info = exchange.engine.prices(symbol, exchange.now())!;
    return {
      symbol, fundingTime: info.lastFundingTime, fundingRate: formatRate(info.lastFundingRate),
      markPrice: info.markPrice === null ? null : formatPrice(config, info.markPrice), nextFundingTime: info.nextFundingTime,
    };
  });

  // The scheduler delivers at the delivery time on its own; this is for a server run without it (tests, manual clocks).
  app.post('/delivery/settle', async (request) => {
    const symbol = field(request.body, 'symbol', 'string') as string;
    const config = symbolConfig(exchange, symbol);
    const { result } = await exchange.execute({ type: 'settleDelivery', symbol });
    if (!result.ok) refused(result);
    return pricesOf(exchange, config);
  });
}
