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
import type { Dialect } from '../dialect.js';
import { setting } from '../dialect.js';
import { KucoinEncoder } from './encode.js';
import { KucoinMarketFeed } from './market-stream.js';
import { PUBLIC_TOKEN_TTL_MS } from './public-token.js';
import { UtaEncoder } from './encode-uta.js';
import { FUTURES_PREFIX, FUTURES_STREAM_PATH, kucoinFuturesRoutes, kucoinSpotRoutes, SPOT_PREFIX, UTA_STREAM_PATH, type KucoinRestOptions } from './rest.js';
import { futuresStreamHandler } from './stream.js';
import { KucoinSymbols } from './symbols.js';
import { kucoinTokens } from './tokens.js';
import { utaStreamHandler } from './uta-stream.js';

export const kucoinDialect: Dialect = {
  name: 'kucoin',
  async mount(app, context) {
    const { exchange, credentials, limits, connections, router } = context;
    const symbols = new KucoinSymbols(exchange.engine.symbols());
    const tokens = kucoinTokens(context);
    const pingIntervalMs = setting(context, 'kucoin.pingIntervalMs', 18_000);
    const idleMs = setting(context, 'kucoin.pingTimeoutMs', 60_000);

    const rest: KucoinRestOptions = { exchange, credentials, symbols, tokens, pingIntervalMs };
    await app.register(kucoinFuturesRoutes, { ...rest, prefix: FUTURES_PREFIX });
    await app.register(kucoinSpotRoutes, { ...rest, prefix: SPOT_PREFIX });

    const classic = new KucoinEncoder(symbols);
    const feed = new KucoinMarketFeed(exchange, symbols);
    app.addHook('onClose', async () => feed.stop());
    const onFutures = futuresStreamHandler({
      exchange, tokens: tokens.futures, encode: (event) => classic.encode(event), limits, connections, idleMs, timers: context.timers, symbols, feed,
      publicTokenTtlMs: setting(context, 'kucoin.publicTokenTtlMs', PUBLIC_TOKEN_TTL_MS),
    });
    // KuCoin's endpoints are sometimes written with a trailing slash; both forms are served.
    router.route((path) => path === FUTURES_STREAM_PATH || path === `${FUTURES_STREAM_PATH}/`, (socket, _request, url) => onFutures(socket, url), undefined, { dialect: 'kucoin', stream: 'futures' });
    const uta = new UtaEncoder(symbols);
    const onUta = utaStreamHandler({
      exchange, tokens: tokens.uta, encode: (event) => uta.encode(event), limits, connections, idleMs, timers: context.timers, symbols, pingIntervalMs,
    });
    router.route((path) => path === UTA_STREAM_PATH || path === `${UTA_STREAM_PATH}/`, (socket, _request, url) => onUta(socket, url), undefined, { dialect: 'kucoin', stream: 'uta' });
  },
};
