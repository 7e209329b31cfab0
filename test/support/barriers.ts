/**
 * Waiting on facts instead of on time. A test that must know "everything up to here has happened"
 * waits on a barrier: a round trip over the same connection (each test client's `sync()`), a marker
 * event, or — for state inside the server of an in-process test — the state itself, looked at after
 * every turn of the event loop (`eventually`). None of them sleeps: they finish as soon as the fact
 * holds, and a broken server fails them with a message instead of passing by luck.
 */
import type { EventBus } from '../../src/service/event-bus.js';

/** One turn of the event loop: pending I/O callbacks (the server's, in an in-process test) run first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Resolves once `condition` holds, checked now and after each turn of the event loop; rejects after
 * `timeoutMs` naming `what`. For in-process server state that no message announces (a listener gone
 * after a close, a file written by the store).
 */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await nextTurn();
  }
}

/**
 * Waits until an account has exactly `count` stream listeners on the server's event bus (per event
 * and per command). A stream subscribes there when it binds the account and unsubscribes when its
 * connection closes, so this is the server's own view of "the stream is live" / "the slot is free".
 */
export async function listeners(bus: EventBus, accountId: number, count: number, what = `${count} stream listener(s) of account ${accountId}`): Promise<void> {
  await eventually(() => bus.listenerCount(accountId) === count, what);
}
