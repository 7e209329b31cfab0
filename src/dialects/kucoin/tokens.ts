/**
 * KuCoin stream tokens (bullet-private): a random token bound to an account, valid for 24 h by
 * default. Classic futures tokens and UTA tokens are separate stores (KuCoin's tokens cannot be
 * mixed either). They are kept in the data directory, because ccxt caches the stream URL with its
 * token and reconnects with it after a restart.
 */
import { join } from 'node:path';
import { ListenKeys } from '../../service/listen-keys.js';

export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export interface KucoinTokens {
  /** Tokens for the classic futures stream (futures bullet-private, and the spot v1 bullet ccxt's watchPosition uses). */
  futures: ListenKeys;
  /** Tokens for the UTA stream (spot v2 bullet-private). */
  uta: ListenKeys;
}

export function kucoinTokens(ttlMs: number, dataDir: string | null): KucoinTokens {
  const file = (name: string): string | null => (dataDir === null ? null : join(dataDir, name));
  return {
    futures: new ListenKeys(ttlMs, file('kucoin-futures-tokens.json')),
    uta: new ListenKeys(ttlMs, file('kucoin-uta-tokens.json')),
  };
}
