/**
 * XT, the native dialect: its REST API at the root and its user stream at /ws/user.
 */
import type { Dialect } from '../dialect.js';
import { setting } from '../dialect.js';
import { XtEncoder } from './encode.js';
import { xtRoutes } from './rest.js';
import { xtStreamHandler } from './stream.js';

export const xtDialect: Dialect = {
  name: 'xt',
  async mount(app, context) {
    const { exchange, credentials, listenKeys, eventLog, olderHistory, limits, connections, router } = context;
    await app.register(xtRoutes, { exchange, credentials, listenKeys });
    const encoder = new XtEncoder(new Map(exchange.engine.symbols().map((c) => [c.symbol, c])));
    router.route('/ws/user', xtStreamHandler({
      exchange, listenKeys, encoder, eventLog, olderHistory, limits, connections, idleMs: setting(context, 'xt.idleMs', 30_000),
    }), undefined, { dialect: 'xt', stream: 'user' });
  },
};
