/**
 * Binance USDⓈ-M's three listenKey calls (start, keepalive, close: "User Data Streams"), as the
 * WebSocket API's `userDataStream.start/ping/stop` make them. They act on the account's one active
 * key, exactly as REST's POST/PUT/DELETE /fapi/v1/listenKey without a `listenKey` parameter do
 * (rest.ts); each is answered once its change is on disk (a disk that refused it: -1001, HTTP 503).
 */
import type { ListenKeys } from '../../service/listen-keys.js';
import { BinanceError, ERR } from './errors.js';
import { savedOrBinanceError } from './listen-key-policy.js';

const unknownKey = (): BinanceError => new BinanceError(ERR.INVALID_LISTEN_KEY, 'This listenKey does not exist.');

/** The account's active key, extended by the key lifetime; a new key when it has none. */
export async function startListenKey(listenKeys: ListenKeys, accountId: number, now: number): Promise<string> {
  const current = listenKeys.current(accountId, now);
  if (current !== undefined && await savedOrBinanceError(listenKeys.extend(current, now))) return current;
  const issued = await savedOrBinanceError(listenKeys.issue(accountId, now));
  // Unreachable while Binance's rule holds (a live key is handed out again above): a guard, not a path.
  if (!issued.ok) throw new BinanceError(ERR.UNKNOWN, 'An unknown error occurred while processing the request. (the account already holds its one active listenKey)', 500);
  return issued.key;
}

/** Extends the account's active key; none: -1125. */
export async function keepaliveListenKey(listenKeys: ListenKeys, accountId: number, now: number): Promise<string> {
  const key = listenKeys.current(accountId, now);
  if (key === undefined || !await savedOrBinanceError(listenKeys.extend(key, now))) throw unknownKey();
  return key;
}

/** Invalidates the account's active key (its streams are told by `onClosed`); none: -1125. */
export async function closeListenKey(listenKeys: ListenKeys, accountId: number, now: number, onClosed: (key: string) => void): Promise<void> {
  const key = listenKeys.current(accountId, now);
  if (key === undefined) throw unknownKey();
  await savedOrBinanceError(listenKeys.revoke(key));
  onClosed(key);
}
