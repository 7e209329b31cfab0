/**
 * Binance USDⓈ-M's listenKey rules (developers.binance.com, USDⓈ-M futures "User Data Streams"):
 * a key is valid for 60 minutes; POST on an account with an active key returns that key and
 * extends it by 60 minutes, so an account holds one live key, and nothing is ever evicted; PUT
 * extends the key by 60 minutes; DELETE closes it. Each call weighs 1 against the REQUEST_WEIGHT
 * limit of 2400 per minute (Binance counts it per IP; here per account, the unit perpstream has),
 * and a request over it gets HTTP 429 with -1003 TOO_MANY_REQUESTS (ccxt: RateLimitExceeded).
 *
 * Settings (dialectSettings): binance.listenKeyTtlMs, binance.listenKeyRequests per
 * binance.listenKeyRequestIntervalMs.
 */
import type { StreamContext } from '../dialect.js';
import { setting } from '../dialect.js';
import { DurableWriteError } from '../../service/durable-file.js';
import type { ListenKeyPolicy } from '../../service/listen-keys.js';
import { BinanceError, ERR } from './errors.js';

export const BINANCE_LISTEN_KEY_TTL_MS = 60 * 60 * 1000;
/** REQUEST_WEIGHT 2400 per minute; a listenKey call weighs 1. */
export const BINANCE_LISTEN_KEY_REQUESTS = { requests: 2400, intervalMs: 60_000 } as const;
/** Binance's own rule: one active key per account (POST hands it out again). */
export const BINANCE_LIVE_KEYS_PER_ACCOUNT = 1;

export function binanceListenKeyPolicy(context: Pick<StreamContext, 'settings'>): ListenKeyPolicy {
  return {
    ttlMs: setting(context, 'binance.listenKeyTtlMs', BINANCE_LISTEN_KEY_TTL_MS),
    maxLivePerAccount: BINANCE_LIVE_KEYS_PER_ACCOUNT,
    requests: {
      requests: setting(context, 'binance.listenKeyRequests', BINANCE_LISTEN_KEY_REQUESTS.requests),
      intervalMs: setting(context, 'binance.listenKeyRequestIntervalMs', BINANCE_LISTEN_KEY_REQUESTS.intervalMs),
    },
  };
}

/** Binance's answer to a listenKey call over the rate. */
export const tooManyListenKeyRequests = (policy: ListenKeyPolicy): BinanceError => new BinanceError(
  ERR.TOO_MANY_REQUESTS,
  `Too many requests; current limit is ${policy.requests.requests} requests per ${policy.requests.intervalMs} ms for listenKey calls. Please use the websocket for live updates to avoid polling the API.`,
  429,
);

/** Waits for a listen-key change to be saved; a disk that refused it is Binance's -1001 with HTTP 503 (nothing changed: try again). */
export async function savedOrBinanceError<T>(saving: Promise<T>): Promise<T> {
  try {
    return await saving;
  } catch (error) {
    if (error instanceof DurableWriteError) throw new BinanceError(ERR.DISCONNECTED, 'Internal error; unable to process your request. Please try again. (the listenKey change could not be saved)', 503);
    throw error;
  }
}
