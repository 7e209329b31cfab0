/** The four exchanges' rate-limit policies, on their front doors' prefixes. */
import { BYBIT_PREFIX } from '../dialects/bybit/index.js';
import { FUTURES_PREFIX, SPOT_PREFIX } from '../dialects/kucoin/rest.js';
import { COIN_M, USDT_M } from '../dialects/xt/venue.js';
import { BinanceRateLimits } from './binance.js';
import { BybitRateLimits } from './bybit.js';
import { KucoinRateLimits } from './kucoin.js';
import type { RateLimitPolicy } from './policy.js';
import { XtRateLimits } from './xt.js';

/** Fresh policies (each holds its own counters): one set per server; XT's two hosts count apart, as two services. */
export function rateLimitPolicies(): RateLimitPolicy[] {
  return [new BinanceRateLimits(), new BybitRateLimits(BYBIT_PREFIX), new KucoinRateLimits(FUTURES_PREFIX, SPOT_PREFIX), new XtRateLimits([USDT_M.prefix]), new XtRateLimits([COIN_M.prefix])];
}
