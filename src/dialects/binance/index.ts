/**
 * Binance USDⓈ-M futures: its REST API under /binance (fapi v1/v2/v3, sapi v1), its user-data
 * stream in every URL form Binance documents (stream-names.ts: /binance/ws/K, /binance/stream?streams=K,
 * /binance/private/ws?listenKey=K, /binance/private/stream?…, /public and /market, SUBSCRIBE…), and
 * the WebSocket API's userDataStream methods at /binance/ws-fapi/v1 (ws-api.ts).
 * Timings (defaults; tests shorten them): binance.listenKeyTtlMs 60 min, binance.pingIntervalMs
 * 3 min, binance.pongTimeoutMs 10 min, binance.maxConnectionLifeMs 24 h.
 */
import { join } from 'node:path';
import type { Dialect } from '../dialect.js';
import { setting } from '../dialect.js';
import { ListenKeys } from '../../service/listen-keys.js';
import { BinanceEncoder } from './encode.js';
import { binanceListenKeyPolicy } from './listen-key-policy.js';
import { binanceRoutes } from './rest.js';
import { BinanceMarketFeed } from './market-stream.js';
import { BinanceStreams, isBinanceStreamPath } from './stream.js';
import { BinanceSymbols } from './symbols.js';
import { BINANCE_WS_API_PATH, binanceWsApiHandler } from './ws-api.js';

export const binanceDialect: Dialect = {
  name: 'binance',
  async mount(app, context) {
    const { exchange, credentials, limits, connections, router, dataDir } = context;
    const symbols = new BinanceSymbols(exchange.engine.symbols());
    // Binance's own keys (60 min, one per account), kept apart from XT's 8 h keys.
    const listenKeys = new ListenKeys(binanceListenKeyPolicy(context), dataDir === null ? null : join(dataDir, 'binance-listen-keys.json'), context.log);
    const timings = {
      pingIntervalMs: setting(context, 'binance.pingIntervalMs', 3 * 60 * 1000),
      pongTimeoutMs: setting(context, 'binance.pongTimeoutMs', 10 * 60 * 1000),
      maxConnectionLifeMs: setting(context, 'binance.maxConnectionLifeMs', 24 * 60 * 60 * 1000),
      timers: context.timers,
    };
    const feed = new BinanceMarketFeed(exchange, symbols);
    app.addHook('onClose', async () => feed.stop());
    const streams = new BinanceStreams({ exchange, listenKeys, encoder: new BinanceEncoder(symbols, (accountId, id) => exchange.history.finishedConditional(accountId, id)), symbols, feed, limits, connections, ...timings });
    await app.register(binanceRoutes, {
      prefix: '/binance', exchange, credentials, listenKeys, symbols, onListenKeyClosed: (key: string) => streams.closeKey(key),
    });
    router.route(isBinanceStreamPath, streams.handler(), (url) => streams.check(url), { dialect: 'binance', stream: 'user' });
    router.route(BINANCE_WS_API_PATH, binanceWsApiHandler({
      exchange, credentials, listenKeys, symbols, limits, connections, ...timings, onListenKeyClosed: (key: string) => streams.closeKey(key),
    }), undefined, { dialect: 'binance', stream: 'ws-api' });
  },
};
