/**
 * KuCoin stream tokens (bullet-private): a random token bound to an account, valid for 24 h by
 * default. Classic futures tokens and UTA tokens are separate stores (KuCoin's tokens cannot be
 * mixed either). They are kept in the data directory, because ccxt caches the stream URL with its
 * token and reconnects with it after a restart.
 *
 * KuCoin's rules (kucoin.com/docs, "Apply connect token" / rate limit): a private token is valid
 * for 24 h and a newer one does not expire it; bullet-private weighs 10 in its host's resource pool,
 * 2000 per 30 s for futures and 4000 per 30 s for spot at VIP0, so 200 futures bullets and 400 spot
 * bullets per 30 s; over the quota the answer is HTTP 429 with code 429000. Here each kind of
 * token has its bucket: classic tokens at the futures pool's rate (the spot host's v1 bullet, which
 * hands out a classic token, draws from it too, so asking on both hosts gets no more tokens), UTA
 * tokens at the spot pool's. KuCoin documents no cap on live tokens; perpstream's is its own bound,
 * refused with the same 429000 rather than by expiring a token a client still holds.
 *
 * Settings (dialectSettings): kucoin.tokenTtlMs, kucoin.maxLiveTokens, kucoin.futuresBulletRequests
 * and kucoin.utaBulletRequests per kucoin.bulletRequestIntervalMs.
 */
import { join } from 'node:path';
import type { StreamContext } from '../dialect.js';
import { setting } from '../dialect.js';
import { DurableWriteError } from '../../service/durable-file.js';
import { ListenKeys, type ListenKeyPolicy } from '../../service/listen-keys.js';
import { KucoinError } from './envelope.js';

export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
/** Bullets per 30 s: the pool's VIP0 quota over bullet-private's weight of 10. */
export const FUTURES_BULLET_REQUESTS = { requests: 2000 / 10, intervalMs: 30_000 } as const;
export const SPOT_BULLET_REQUESTS = { requests: 4000 / 10, intervalMs: 30_000 } as const;
/** Live tokens per account and kind: a client that took a fresh token on every reconnect, every six minutes, stays below it over a token's 24 h. */
export const MAX_LIVE_TOKENS = 256;

export interface KucoinTokens {
  /** Tokens for the classic futures stream (futures bullet-private, and the spot v1 bullet ccxt's watchPosition uses). */
  futures: ListenKeys;
  /** Tokens for the UTA stream (spot v2 bullet-private). */
  uta: ListenKeys;
}

export function kucoinTokens(context: Pick<StreamContext, 'dataDir' | 'settings' | 'log'>): KucoinTokens {
  const { dataDir } = context;
  const file = (name: string): string | null => (dataDir === null ? null : join(dataDir, name));
  const policy = (requests: number): ListenKeyPolicy => ({
    ttlMs: setting(context, 'kucoin.tokenTtlMs', DEFAULT_TOKEN_TTL_MS),
    maxLivePerAccount: setting(context, 'kucoin.maxLiveTokens', MAX_LIVE_TOKENS),
    requests: { requests, intervalMs: setting(context, 'kucoin.bulletRequestIntervalMs', FUTURES_BULLET_REQUESTS.intervalMs) },
  });
  return {
    futures: new ListenKeys(policy(setting(context, 'kucoin.futuresBulletRequests', FUTURES_BULLET_REQUESTS.requests)), file('kucoin-futures-tokens.json'), context.log),
    uta: new ListenKeys(policy(setting(context, 'kucoin.utaBulletRequests', SPOT_BULLET_REQUESTS.requests)), file('kucoin-uta-tokens.json'), context.log),
  };
}

/** KuCoin's over-quota answer (HTTP 429, 429000: its documented rate-limit error). */
const tooManyRequests = (detail: string): KucoinError => new KucoinError('429000', `Too Many Requests: ${detail}`, 429);

/**
 * A new token from `tokens` for a bullet-private request, durable when returned; or KuCoin's error:
 * 429000 over the rate or the live-token bound, 500000 (HTTP 503: nothing issued, ask again) when
 * the token could not be saved.
 */
export async function bulletToken(tokens: ListenKeys, accountId: number, now: number): Promise<string> {
  const { requests } = tokens.policy;
  if (!tokens.admitRequest(accountId, now)) throw tooManyRequests(`at most ${requests.requests} bullet-private requests per ${requests.intervalMs} ms per account`);
  let issued;
  try {
    issued = await tokens.issue(accountId, now);
  } catch (error) {
    if (error instanceof DurableWriteError) throw new KucoinError('500000', 'Internal Server Error: the token could not be saved, none was issued; ask again', 503);
    throw error;
  }
  if (!issued.ok) throw tooManyRequests(`the account holds ${issued.live} live tokens of this kind, the most it may; reuse one, or ask again when one expires`);
  return issued.key;
}
