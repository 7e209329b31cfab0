/**
 * Binance futures: USDⓈ-M's REST API under /binance (fapi v1/v2/v3, sapi v1) and COIN-M's under
 * /binance/dapi; the user-data and market streams in every URL form Binance documents
 * (stream-names.ts: /binance/ws/K, /binance/stream?streams=K, /binance/private/ws?listenKey=K,
 * /binance/private/stream?…, /public and /market, SUBSCRIBE…), fstream's under /binance and
 * dstream's (COIN-M) the same under /binance/dstream; and the WebSocket API's userDataStream
 * methods at /binance/ws-fapi/v1 (ws-api.ts, USDⓈ-M).
 * Timings (defaults; tests shorten them): binance.listenKeyTtlMs 60 min, binance.pingIntervalMs
 * 3 min, binance.pongTimeoutMs 10 min, binance.maxConnectionLifeMs 24 h.
 */
import { join } from 'node:path';
import type { Dialect, StreamContext } from '../dialect.js';
import { setting, streamContextOf } from '../dialect.js';
import { ListenKeys } from '../../service/listen-keys.js';
import { BinanceEncoder } from './encode.js';
import { binanceListenKeyPolicy } from './listen-key-policy.js';
import { binanceRoutes } from './rest.js';
import { BinanceMarketFeed } from './market-stream.js';
import { BinanceStreams, isBinanceStreamPath } from './stream.js';
import { DSTREAM_PREFIX, FSTREAM_PREFIX } from './stream-names.js';
import { BinanceSymbols } from './symbols.js';
import { resumeSourcesOf } from '../resume.js';
import { BINANCE_WS_API_PATH, binanceWsApiHandler } from './ws-api.js';

function timingsOf(context: Pick<StreamContext, 'settings' | 'timers'>) {
  return {
    pingIntervalMs: setting(context, 'binance.pingIntervalMs', 3 * 60 * 1000),
    pongTimeoutMs: setting(context, 'binance.pongTimeoutMs', 10 * 60 * 1000),
    maxConnectionLifeMs: setting(context, 'binance.maxConnectionLifeMs', 24 * 60 * 60 * 1000),
    timers: context.timers,
  };
}

/**
 * The user-data and market streams over `listenKeys` (shared with the front door, or with other
 * processes): fstream (USDⓈ-M) and dstream (COIN-M), each pushing its own market's events. A key
 * closed anywhere closes on both.
 */
function mountBinanceStreams(context: StreamContext, all: BinanceSymbols, listenKeys: ListenKeys): { closeKey: (key: string) => void } {
  const { exchange, connections, router } = context;
  const hosts = ([['usdm', FSTREAM_PREFIX], ['coinm', DSTREAM_PREFIX]] as const).map(([market, prefix]) => {
    const symbols = all.only(market);
    const feed = new BinanceMarketFeed(exchange, symbols);
    context.onClose(() => feed.stop());
    const encoder = new BinanceEncoder(symbols, (accountId, id) => exchange.history.finishedConditional(accountId, id));
    const streams = new BinanceStreams({ ...resumeSourcesOf(context), listenKeys, encoder, symbols, prefix, feed, connections, ...timingsOf(context) });
    router.route((path) => isBinanceStreamPath(path, prefix), streams.handler(), (url) => streams.check(url), { dialect: 'binance', stream: 'user' });
    return streams;
  });
  const closeKey = (key: string): void => hosts.forEach((streams) => streams.closeKey(key));
  context.shareCredentials?.('binance-listen-keys', listenKeys, closeKey);
  listenKeys.forcedExpiry.add((_accountId, keys) => keys.forEach(closeKey));
  return { closeKey };
}

export const binanceDialect: Dialect = {
  name: 'binance',
  async mount(app, context) {
    const { exchange, credentials, limits, connections, router, dataDir } = context;
    const symbols = new BinanceSymbols(exchange.engine.symbols());
    // Binance's own keys (60 min, one per account), kept apart from XT's 8 h keys.
    const listenKeys = new ListenKeys(binanceListenKeyPolicy(context), dataDir === null ? null : join(dataDir, 'binance-listen-keys.json'), context.log);
    const streams = mountBinanceStreams(streamContextOf(app, context), symbols, listenKeys);
    await app.register(binanceRoutes, {
      prefix: '/binance', exchange, credentials, listenKeys, symbols, onListenKeyClosed: (key: string) => streams.closeKey(key),
    });
    // The WebSocket API takes commands (listen keys, algo orders): it belongs to the front door, not to the streams.
    router.route(BINANCE_WS_API_PATH, binanceWsApiHandler({
      exchange, credentials, listenKeys, symbols: symbols.only('usdm'), limits, connections, ...timingsOf(context), onListenKeyClosed: (key: string) => streams.closeKey(key),
    }), undefined, { dialect: 'binance', stream: 'ws-api' });
  },
  mountStreams(context) {
    const symbols = new BinanceSymbols(context.exchange.engine.symbols());
    // A gateway holds no key of its own: the store mirrors the engine's (context.shareCredentials).
    mountBinanceStreams(context, symbols, new ListenKeys(binanceListenKeyPolicy(context), null, context.log));
  },
};
