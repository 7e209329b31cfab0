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

function mountXtStreams(context: StreamContext): void {
  const { exchange, listenKeys, eventLog, olderHistory, limits, connections, router, awaitSeq } = context;
  const encoder = new XtEncoder(new Map(exchange.engine.symbols().map((c) => [c.symbol, c])));
  const idleMs = setting(context, 'xt.idleMs', 30_000);
  router.route('/ws/user', xtStreamHandler({ exchange, listenKeys, encoder, eventLog, olderHistory, limits, connections, idleMs, timers: context.timers, awaitSeq }),
    undefined, { dialect: 'xt', stream: 'user' });
  const feed = new XtMarketFeed(exchange);
  context.onClose(() => feed.stop());
  router.route('/ws/market', xtMarketStreamHandler({ exchange, feed, limits, connections, idleMs }), undefined, { dialect: 'xt', stream: 'market' });
}

export const xtDialect: Dialect = {
  name: 'xt',
  async mount(app, context) {
    const { exchange, credentials, listenKeys } = context;
    await app.register(xtRoutes, { exchange, credentials, listenKeys });
    mountXtStreams(streamContextOf(app, context));
  },
  mountStreams: mountXtStreams,
};
