/**
 * The spot/UTA host (/kucoin-spot): what ccxt 4.5.84's kucoinfutures asks there (protocols.md §4.4).
 *   POST /api/v2/bullet-private  UTA stream token (watchPositions)
 *   POST /api/v1/bullet-private  ccxt's watchPosition(symbol) negotiates the *spot* private bullet and
 *                                then subscribes /contract/position:{symbol} on it, so this answers a
 *                                classic futures token and endpoint
 *   GET  /api/ua/v1/account/mode CLASSIC: accounts here are classic, so ccxt keeps to classic channels
 *   GET  /api/ua/v1/market/kline, /api/ua/v1/market/open-interest: public, for every account
 *                                (rest-uta-market.ts: ccxt's price klines and open interest)
 *   GET  /api/v3/margin/symbols, /api/v1/isolated/symbols, /api/v1/hf/accounts/opened, /api/v3/currencies:
 *                                empty (no spot or margin markets here)
 */
import type { FastifyInstance } from 'fastify';
import { ok } from './envelope.js';
import { callerOf } from './params.js';
import { bulletData, FUTURES_STREAM_PATH, UTA_STREAM_PATH, type KucoinRestOptions } from './rest.js';
import { bulletToken } from './tokens.js';

export async function spotPublicRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  app.get('/api/v3/currencies', async () => ok([]));
  app.get('/api/v1/timestamp', async () => ok(options.exchange.now()));
}

export async function spotPrivateRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, tokens } = options;
  app.post('/api/v2/bullet-private', async (request) => {
    const token = await bulletToken(tokens.uta, callerOf(request), exchange.now());
    return ok(bulletData(request, token, UTA_STREAM_PATH, options.pingIntervalMs));
  });
  app.post('/api/v1/bullet-private', async (request) => {
    const token = await bulletToken(tokens.futures, callerOf(request), exchange.now());
    return ok(bulletData(request, token, FUTURES_STREAM_PATH, options.pingIntervalMs));
  });
  app.get('/api/ua/v1/account/mode', async (request) => {
    callerOf(request);
    return ok({ selfAccountMode: 'CLASSIC' });
  });
  app.get('/api/v3/margin/symbols', async () => ok({ timestamp: exchange.now(), items: [] }));
  app.get('/api/v1/isolated/symbols', async () => ok([]));
  app.get('/api/v1/hf/accounts/opened', async () => ok(false));
}
