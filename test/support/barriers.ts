/**
 * Waiting on facts instead of on time. A test that must know "everything up to here has happened"
 * waits on a barrier: a round trip over the same connection (each test client's `sync()`), a marker
 * event, or — for state inside the server of an in-process test — the state itself, looked at after
 * every turn of the event loop (`eventually`). None of them sleeps: they finish as soon as the fact
 * holds, and a broken server fails them with a message instead of passing by luck.
 */
import type { EventBus } from '../../src/service/event-bus.js';
import { withTimeout } from './timeout.js';

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
 * Resolves once `condition` holds: now, or after one of the events the server publishes (every
 * command that changes something publishes some). For state that moves with commands the test does
 * not send itself (a simulator's, a scheduler's).
 */
export async function afterEvents(bus: EventBus, condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  if (condition()) return;
  let stop = (): void => undefined;
  try {
    await withTimeout(new Promise<void>((resolve) => {
      stop = bus.subscribeAll(() => {
        if (condition()) resolve();
      });
    }), timeoutMs, what);
  } finally {
    stop();
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
