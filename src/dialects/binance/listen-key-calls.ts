/**
 * Binance USDⓈ-M's three listenKey calls (start, keepalive, close: "User Data Streams"), as the
 * WebSocket API's `userDataStream.start/ping/stop` and REST's POST/PUT/DELETE /fapi/v1/listenKey
 * make them. They act on the account's one active key (REST may name it); each is answered once its
 * change is on disk (a disk that refused it: -1001, HTTP 503).
 */
import type { ListenKeys } from '../../service/listen-keys.js';
import { BinanceError, ERR } from './errors.js';
import { savedOrBinanceError } from './listen-key-policy.js';

export const unknownListenKey = (): BinanceError => new BinanceError(ERR.INVALID_LISTEN_KEY, 'This listenKey does not exist.');

/** The account's active key, extended by the key lifetime; a new key when it has none. */
export async function startListenKey(listenKeys: ListenKeys, accountId: number, now: number): Promise<string> {
  const current = listenKeys.current(accountId, now);
  if (current !== undefined && await savedOrBinanceError(listenKeys.extend(current, now))) return current;
  const issued = await savedOrBinanceError(listenKeys.issue(accountId, now));
  // Unreachable while Binance's rule holds (a live key is handed out again above): a guard, not a path.
  if (!issued.ok) throw new BinanceError(ERR.UNKNOWN, 'An unknown error occurred while processing the request. (the account already holds its one active listenKey)', 500);
  return issued.key;
}

/** Extends `key` (REST may name one), else the account's active key; none: -1125. */
export async function keepaliveListenKey(listenKeys: ListenKeys, accountId: number, now: number, key = listenKeys.current(accountId, now)): Promise<string> {
  if (key === undefined || !await savedOrBinanceError(listenKeys.extend(key, now))) throw unknownListenKey();
  return key;
}

/** Invalidates `key`, else the account's active key (its streams are told by `onClosed`); none: -1125. */
export async function closeListenKey(listenKeys: ListenKeys, accountId: number, now: number, onClosed: (key: string) => void, key = listenKeys.current(accountId, now)): Promise<void> {
  if (key === undefined) throw unknownListenKey();
  await savedOrBinanceError(listenKeys.revoke(key));
  onClosed(key);
}
