/**
 * Known trades at known times for the public market-data tests of every dialect
 * (test/<dialect>/market.test.ts): a started server on a clock the test holds, a maker's book
 * (asks 5 at 60,010 and 3 at 60,020, a bid of 4 at 59,990; btc_usdt contracts are 0.0001 BTC, ticks
 * 0.1) and a taker's trades — 2 at 60,010 in minute 0; 3 at 60,010 and 1 at 60,020 in minute 1 (one
 * taker order, two prices); 1 at 59,990 in minute 3 (minute 2 has none). The clock is left at
 * t0 + 200 s.
 */
import assert from 'node:assert/strict';
import type { PositionSide, Side } from '../../src/engine/types.js';
import type { ServerOptions } from '../../src/server/server.js';
import type { Exchange } from '../../src/service/exchange.js';
import { Harness } from './harness.js';
import { StepClock } from './history-scenario.js';

const HOUR = 3600_000;

export interface MarketScenario {
  harness: Harness;
  clock: StepClock;
  /** The start of the hour the trades happened in (two hours before now). */
  t0: number;
}

/** One btc_usdt order through the exchange service (limit GTC, or market IOC when `price` is null); it must be accepted. */
export async function placeOrder(exchange: Exchange, accountId: number, side: Side, positionSide: PositionSide, qty: number, price: number | null): Promise<void> {
  const { result } = await exchange.execute({
    type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide, qty, reduceOnly: false,
    ...(price === null ? { orderType: 'MARKET', timeInForce: 'IOC', price: 0 } : { orderType: 'LIMIT', timeInForce: 'GTC', price }),
  });
  assert.equal(result.ok, true, JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
}

export async function playMarketScenario(options: Partial<ServerOptions> = {}): Promise<MarketScenario> {
  const clock = new StepClock();
  const harness = await Harness.start({ clock, ...options });
  const place = (accountId: number, side: Side, positionSide: PositionSide, qty: number, price: number | null): Promise<void> =>
    placeOrder(harness.server.exchange, accountId, side, positionSide, qty, price);
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  clock.fixed = t0;
  const maker = await harness.admin.createAccount();
  const taker = await harness.admin.createAccount();
  for (const a of [maker, taker]) await harness.admin.deposit(a.accountId, '100000');
  await harness.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' });
  await place(maker.accountId, 'SELL', 'SHORT', 5, 600_100);
  await place(maker.accountId, 'SELL', 'SHORT', 3, 600_200);
  await place(maker.accountId, 'BUY', 'LONG', 4, 599_900);
  clock.fixed = t0 + 10_000;
  await place(taker.accountId, 'BUY', 'LONG', 2, null);
  clock.fixed = t0 + 70_000;
  await place(taker.accountId, 'BUY', 'LONG', 4, 600_200);
  clock.fixed = t0 + 190_000;
  await place(taker.accountId, 'SELL', 'SHORT', 1, null);
  clock.fixed = t0 + 200_000;
  return { harness, clock, t0 };
}
