/**
 * XT, the native dialect: its REST API at the root (public market data included), its user stream
 * at /ws/user and its public market stream at /ws/market (market-stream.ts).
 */
import type { Dialect } from '../dialect.js';
import { setting } from '../dialect.js';
import { XtEncoder } from './encode.js';
import { XtMarketFeed, xtMarketStreamHandler } from './market-stream.js';
import { xtRoutes } from './rest.js';
import { xtStreamHandler } from './stream.js';

export const xtDialect: Dialect = {
  name: 'xt',
  async mount(app, context) {
    const { exchange, credentials, listenKeys, eventLog, olderHistory, limits, connections, router, timers } = context;
    await app.register(xtRoutes, { exchange, credentials, listenKeys });
    const encoder = new XtEncoder(new Map(exchange.engine.symbols().map((c) => [c.symbol, c])));
    const idleMs = setting(context, 'xt.idleMs', 30_000);
    router.route('/ws/user', xtStreamHandler({ exchange, listenKeys, encoder, eventLog, olderHistory, limits, connections, idleMs, timers }),
      undefined, { dialect: 'xt', stream: 'user' });
    const feed = new XtMarketFeed(exchange);
    app.addHook('onClose', async () => feed.stop());
    router.route('/ws/market', xtMarketStreamHandler({ exchange, feed, limits, connections, idleMs }), undefined, { dialect: 'xt', stream: 'market' });
  },
};
