/**
 * KuCoin futures: the futures REST host under /kucoin-futures, the spot/UTA host under
 * /kucoin-spot, the classic futures private stream at /kucoin/futures (the endpoint bullet-private
 * returns) and the UTA private stream at /kucoin/uta. docs/dialects/kucoin.md has the details.
 *
 * Settings (DialectContext.settings): kucoin.pingTimeoutMs (close after this long without a ping,
 * 60 s), kucoin.pingIntervalMs (the ping interval advertised to clients, 18 s), kucoin.tokenTtlMs
 * (stream token validity, 24 h), kucoin.publicTokenTtlMs (bullet-public token validity, 24 h); the
 * tokens' other bounds are in tokens.ts. Public market data: rest-market-data.ts, market-stream.ts.
 */
import type { Dialect, StreamContext } from '../dialect.js';
import { setting, streamContextOf } from '../dialect.js';
import { KucoinEncoder } from './encode.js';
import { KucoinMarketFeed } from './market-stream.js';
import { PUBLIC_TOKEN_TTL_MS } from './public-token.js';
import { UtaEncoder } from './encode-uta.js';
import { FUTURES_PREFIX, FUTURES_STREAM_PATH, kucoinFuturesRoutes, kucoinSpotRoutes, SPOT_PREFIX, UTA_STREAM_PATH, type KucoinRestOptions } from './rest.js';
import { futuresStreamHandler } from './stream.js';
import { KucoinSymbols } from './symbols.js';
import { kucoinTokens, type KucoinTokens } from './tokens.js';
import { utaStreamHandler } from './uta-stream.js';
import { resumeSourcesOf } from '../resume.js';

/** The classic and UTA streams over `tokens` (shared with the front door, or with other processes). */
function mountKucoinStreams(context: StreamContext, symbols: KucoinSymbols, tokens: KucoinTokens): void {
  const { exchange, limits, connections, router } = context;
  const pingIntervalMs = setting(context, 'kucoin.pingIntervalMs', 18_000);
  const idleMs = setting(context, 'kucoin.pingTimeoutMs', 60_000);
  context.shareCredentials?.('kucoin-futures-tokens', tokens.futures);
  context.shareCredentials?.('kucoin-uta-tokens', tokens.uta);
  const classic = new KucoinEncoder(symbols);
  const feed = new KucoinMarketFeed(exchange, symbols);
  context.onClose(() => feed.stop());
  const onFutures = futuresStreamHandler({
    ...resumeSourcesOf(context), tokens: tokens.futures, encode: (event) => classic.encode(event), limits, connections, idleMs, timers: context.timers, symbols, feed,
    publicTokenTtlMs: setting(context, 'kucoin.publicTokenTtlMs', PUBLIC_TOKEN_TTL_MS),
  });
  // KuCoin's endpoints are sometimes written with a trailing slash; both forms are served.
  router.route((path) => path === FUTURES_STREAM_PATH || path === `${FUTURES_STREAM_PATH}/`, (socket, _request, url) => onFutures(socket, url), undefined, { dialect: 'kucoin', stream: 'futures' });
  const uta = new UtaEncoder(symbols);
  const onUta = utaStreamHandler({
    ...resumeSourcesOf(context), tokens: tokens.uta, encode: (event) => uta.encode(event), limits, connections, idleMs, timers: context.timers, symbols, pingIntervalMs,
  });
  router.route((path) => path === UTA_STREAM_PATH || path === `${UTA_STREAM_PATH}/`, (socket, _request, url) => onUta(socket, url), undefined, { dialect: 'kucoin', stream: 'uta' });
}

export const kucoinDialect: Dialect = {
  name: 'kucoin',
  async mount(app, context) {
    const { exchange, credentials } = context;
    const symbols = new KucoinSymbols(exchange.engine.symbols());
    const tokens = kucoinTokens(context);
    const pingIntervalMs = setting(context, 'kucoin.pingIntervalMs', 18_000);
    const rest: KucoinRestOptions = { exchange, credentials, symbols, tokens, pingIntervalMs };
    await app.register(kucoinFuturesRoutes, { ...rest, prefix: FUTURES_PREFIX });
    await app.register(kucoinSpotRoutes, { ...rest, prefix: SPOT_PREFIX });
    mountKucoinStreams(streamContextOf(app, context), symbols, tokens);
  },
  mountStreams(context) {
    // A gateway holds no token of its own (no data directory): the stores mirror the engine's.
    mountKucoinStreams(context, new KucoinSymbols(context.exchange.engine.symbols()), kucoinTokens({ ...context, dataDir: null }));
  },
};
