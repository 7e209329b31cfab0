/**
 * Bybit v5 (linear, unified account): REST under /bybit (ccxt appends /v5/...) and the private
 * stream at /bybit/v5/private. Timings (DialectContext.settings): `bybit.idleMs` (default 10 min),
 * `bybit.minActiveTimeMs` / `bybit.maxActiveTimeMs` (bounds of `max_active_time`, 30 s / 600 s).
 */
import type { Dialect } from '../dialect.js';
import { setting } from '../dialect.js';
import { BybitPushEncoder } from './push.js';
import { bybitRoutes } from './rest.js';
import { bybitStreamHandler } from './stream.js';
import { BybitSymbols } from './symbols.js';

export const BYBIT_PREFIX = '/bybit';

export const bybitDialect: Dialect = {
  name: 'bybit',
  async mount(app, context) {
    const { exchange, credentials, limits, connections, router } = context;
    const symbols = new BybitSymbols(exchange.engine.symbols());
    await app.register(bybitRoutes, { prefix: BYBIT_PREFIX, exchange, credentials, symbols });
    router.route(`${BYBIT_PREFIX}/v5/private`, bybitStreamHandler({
      exchange, credentials, limits, connections, encoder: new BybitPushEncoder(symbols),
      idleMs: setting(context, 'bybit.idleMs', 600_000),
      minActiveTimeMs: setting(context, 'bybit.minActiveTimeMs', 30_000),
      maxActiveTimeMs: setting(context, 'bybit.maxActiveTimeMs', 600_000),
    }), undefined, { dialect: 'bybit', stream: 'private' });
  },
};
