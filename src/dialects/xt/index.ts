/**
 * XT, the native dialect: its REST API at the root (public market data included), its user stream
 * at /ws/user and its public market stream at /ws/market (market-stream.ts).
 */
import type { Dialect, StreamContext } from '../dialect.js';
import { setting, streamContextOf } from '../dialect.js';
import { XtEncoder } from './encode.js';
import { XtMarketFeed, xtMarketStreamHandler } from './market-stream.js';
import { xtRoutes } from './rest.js';
import { xtStreamHandler } from './stream.js';
import { COIN_M, USDT_M, venueSymbols } from './venue.js';

function mountXtStreams(context: StreamContext): void {
  const { exchange, listenKeys, eventLog, olderHistory, limits, connections, router, awaitSeq } = context;
  const symbols = new Map(exchange.engine.symbols().map((c) => [c.symbol, c]));
  const idleMs = setting(context, 'xt.idleMs', 30_000);
  // Each host's user stream pushes its own contracts and wallets; a listen key from either host opens either.
  for (const venue of [USDT_M, COIN_M]) {
    const encoder = new XtEncoder(symbols, venue);
    router.route(`${venue.prefix}/ws/user`, xtStreamHandler({ exchange, listenKeys, encoder, eventLog, olderHistory, limits, connections, idleMs, timers: context.timers, awaitSeq }),
      undefined, { dialect: 'xt', stream: 'user' });
  }
  // One market feed; each host's public stream subscribes only its own symbols.
  const feed = new XtMarketFeed(exchange);
  context.onClose(() => feed.stop());
  for (const venue of [USDT_M, COIN_M]) {
    const own = new Map(venueSymbols(exchange, venue).map((c) => [c.symbol, c]));
    router.route(`${venue.prefix}/ws/market`, xtMarketStreamHandler({ exchange, feed, limits, connections, idleMs, symbols: own }), undefined, { dialect: 'xt', stream: 'market' });
  }
}

export const xtDialect: Dialect = {
  name: 'xt',
  async mount(app, context) {
    const { exchange, credentials, listenKeys } = context;
    // USDT-M (fapi.xt.com) at the root, Coin-M (dapi.xt.com) under /dapi: the same routes over each host's symbols.
    await app.register(xtRoutes, { exchange, credentials, listenKeys, venue: USDT_M });
    await app.register(xtRoutes, { exchange, credentials, listenKeys, venue: COIN_M, prefix: COIN_M.prefix });
    mountXtStreams(streamContextOf(app, context));
  },
  mountStreams: mountXtStreams,
};
