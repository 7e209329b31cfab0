/**
 * Bybit v5 (linear, unified account): REST under /bybit (ccxt appends /v5/...), the private
 * stream at /bybit/v5/private and the public streams at /bybit/v5/public/linear and /inverse. Timings
 * (DialectContext.settings): `bybit.idleMs` (default 10 min),
 * `bybit.minActiveTimeMs` / `bybit.maxActiveTimeMs` (bounds of `max_active_time`, 30 s / 600 s).
 */
import type { Dialect, StreamContext } from '../dialect.js';
import { setting, streamContextOf } from '../dialect.js';
import { BybitPushEncoder } from './push.js';
import { BybitPublicFeed, bybitPublicStreamHandler, PUBLIC_INVERSE_PATH, PUBLIC_LINEAR_PATH } from './public-stream.js';
import { bybitRoutes } from './rest.js';
import { bybitStreamHandler } from './stream.js';
import { resumeSourcesOf } from '../resume.js';
import { BybitSymbols } from './symbols.js';
import { usdValueOf } from './usd-value.js';

export const BYBIT_PREFIX = '/bybit';

function mountBybitStreams(context: StreamContext): void {
  const { exchange, credentials, limits, connections, router } = context;
  const symbols = new BybitSymbols(exchange.engine.symbols());
  router.route(`${BYBIT_PREFIX}/v5/private`, bybitStreamHandler({
    ...resumeSourcesOf(context), credentials, connections, encoder: new BybitPushEncoder(symbols, usdValueOf(exchange, symbols.all())),
    idleMs: setting(context, 'bybit.idleMs', 600_000),
    timers: context.timers,
    minActiveTimeMs: setting(context, 'bybit.minActiveTimeMs', 30_000),
    maxActiveTimeMs: setting(context, 'bybit.maxActiveTimeMs', 600_000),
  }), undefined, { dialect: 'bybit', stream: 'private' });
  // One public stream per category, each with its own symbols (Bybit's public/linear and public/inverse).
  for (const [path, inverse] of [[PUBLIC_LINEAR_PATH, false], [PUBLIC_INVERSE_PATH, true]] as const) {
    const own = new BybitSymbols(symbols.all().filter((c) => c.inverse === inverse));
    const feed = new BybitPublicFeed(exchange, own);
    context.onClose(() => feed.stop());
    router.route(path, bybitPublicStreamHandler({
      exchange, symbols: own, feed, limits, connections, idleMs: setting(context, 'bybit.idleMs', 600_000),
    }), undefined, { dialect: 'bybit', stream: 'public' });
  }
}

export const bybitDialect: Dialect = {
  name: 'bybit',
  async mount(app, context) {
    const { exchange, credentials } = context;
    const symbols = new BybitSymbols(exchange.engine.symbols());
    await app.register(bybitRoutes, { prefix: BYBIT_PREFIX, exchange, credentials, symbols });
    mountBybitStreams(streamContextOf(app, context));
  },
  mountStreams: mountBybitStreams,
};
