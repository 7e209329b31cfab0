/**
 * ccxt `xt` order helpers shared by the XT suites (xt.test.ts, xt-conditional.test.ts): placing
 * through createOrder, and priming ccxt's user stream before a test triggers anything.
 */
import assert from 'node:assert/strict';
import { BTC, cacheRows, watchUntil, withTimeout, type Account } from './helpers.js';

const T = 5_000;

/** Places an order through ccxt and returns its id (amounts are contracts: xt-rest.md §4). */
export async function place(a: Account, type: 'limit' | 'market', side: 'buy' | 'sell', amount: number, price?: number, params: Record<string, unknown> = {}): Promise<string> {
  const order = await withTimeout(a.ex.createOrder(BTC, type, side, amount, price, params), T, `createOrder ${type} ${side} ${amount}@${price ?? 'market'}`);
  assert.equal(typeof order.id, 'string', `createOrder returns the order id: ${JSON.stringify(order.info)}`);
  return order.id!;
}

/**
 * Makes sure the account's stream subscriptions are live on the server before the test triggers
 * anything: ccxt does not wait for the subscribe ack, so a push could otherwise go out before the
 * server knows the topic. Subscribes `order` (after whatever the caller started; one connection,
 * frames in order), then places probe orders far from the market until one is pushed back, and
 * cancels them. Returns the probe order ids (they are the account's own orders too).
 */
export async function primeStream(a: Account): Promise<string[]> {
  started(a.ex.watchOrders());
  const probes: string[] = [];
  const deadline = Date.now() + T;
  for (;;) {
    const probe = await place(a, 'limit', 'buy', 1, 57_500);
    probes.push(probe);
    const seen = await watchUntil(() => a.ex.watchOrders(), () => cacheRows(a.ex.orders).some((o) => o.id === probe), `probe order ${probe} pushed`, 300)
      .then(() => true, () => false);
    await withTimeout(a.ex.cancelOrder(probe, BTC), T, 'cancel probe');
    if (seen) break;
    if (Date.now() > deadline) throw new Error(`account ${a.accountId}: no order push within ${T} ms of subscribing`);
  }
  const last = probes[probes.length - 1]!;
  await watchUntil(() => a.ex.watchOrders(), () => cacheRows(a.ex.orders).some((o) => o.id === last && o.status === 'canceled'), `probe order ${last} canceled`);
  return probes;
}

/** Starts a watch call now and keeps its promise (never left unhandled). */
export function started<R>(promise: Promise<R>): Promise<R> {
  promise.catch(() => undefined);
  return promise;
}
