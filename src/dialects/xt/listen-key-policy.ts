/**
 * XT's listenKey rules (doc.xt.com, futures "Get ListenKey", GET /future/user/v1/user/listen-key):
 * a key is valid for 8 hours, the endpoint is limited to 200 requests per second per API key, and
 * a new key does not invalidate the older ones. XT documents no cap on live keys, so perpstream's is
 * its own bound, refused with XT's rate-limit error (code `429`, HTTP 429: ccxt's RateLimitExceeded,
 * docs/dialects/xt-rest.md §1.5) rather than by evicting a key a client still holds.
 *
 * Settings (ServerOptions.listenKeyTtlMs, dialectSettings): xt.maxLiveListenKeys,
 * xt.listenKeyRequests per xt.listenKeyRequestIntervalMs.
 */
import { DurableWriteError } from '../../service/durable-file.js';
import type { Issued, ListenKeyPolicy } from '../../service/listen-keys.js';
import { XtError } from './envelope.js';

export const XT_LISTEN_KEY_TTL_MS = 8 * 60 * 60 * 1000;
/** XT's documented rate for the listen-key endpoint: 200 per second per API key. */
export const XT_LISTEN_KEY_REQUESTS = { requests: 200, intervalMs: 1_000 } as const;
/**
 * Live keys per account: a client that took a fresh key on every reconnect, every two minutes,
 * stays below it over a key's 8 hours, and the keys file stays small.
 */
export const XT_MAX_LIVE_LISTEN_KEYS = 256;

export function xtListenKeyPolicy(ttlMs: number | undefined, settings: Readonly<Record<string, number>>): ListenKeyPolicy {
  return {
    ttlMs: ttlMs ?? XT_LISTEN_KEY_TTL_MS,
    maxLivePerAccount: settings['xt.maxLiveListenKeys'] ?? XT_MAX_LIVE_LISTEN_KEYS,
    requests: {
      requests: settings['xt.listenKeyRequests'] ?? XT_LISTEN_KEY_REQUESTS.requests,
      intervalMs: settings['xt.listenKeyRequestIntervalMs'] ?? XT_LISTEN_KEY_REQUESTS.intervalMs,
    },
  };
}

/** XT's answer to a request over the listen-key rate. */
export const tooManyListenKeyRequests = (policy: ListenKeyPolicy): XtError =>
  new XtError('429', `too many requests: at most ${policy.requests.requests} listen-key requests per ${policy.requests.intervalMs} ms per ApiKey`, 429);

/** The issued key, or XT's error: too many live keys (429), or the key could not be saved (`fail`, 503: ask again). */
export async function issuedOrXtError(issuing: Promise<Issued>): Promise<string> {
  let issued: Issued;
  try {
    issued = await issuing;
  } catch (error) {
    if (error instanceof DurableWriteError) throw new XtError('fail', 'internal error: the listen key could not be saved, none was issued; ask again', 503);
    throw error;
  }
  if (issued.ok) return issued.key;
  throw new XtError('429', `too many requests: the account holds ${issued.live} live listen keys, the most it may; reuse one, or ask again when one expires`, 429);
}
