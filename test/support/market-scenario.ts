/**
 * Known trades at known times for the public market-data tests of every dialect
 * (test/<dialect>/market.test.ts): a started server on a clock the test holds, a maker's book
 * (asks 5 at 60,010 and 3 at 60,020, a bid of 4 at 59,990; btc_usdt contracts are 0.0001 BTC, ticks
 * 0.1) and a taker's trades — 2 at 60,010 in minute 0; 3 at 60,010 and 1 at 60,020 in minute 1 (one
 * taker order, two prices); 1 at 59,990 in minute 3 (minute 2 has none). The clock is left at
 * t0 + 200 s.
 */
import assert from 'node:assert/strict';
import type { LiquidationEvent, PositionSide, Side } from '../../src/engine/types.js';
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

/** A symbol's figures after one command of the price scenario (engine units: ticks, 10^-8, contracts). */
export interface PriceSample {
  time: number;
  mark: number | null;
  index: number | null;
  premium: bigint | null;
  openInterest: number;
}

export interface PriceScenario extends MarketScenario {
  /** btc_usdt's mark, index, premium index and open interest after every command, in order. */
  samples: PriceSample[];
  maker: number;
  taker: number;
  /**
   * At t0 + 250 s: v (40 USDT at 20×) buys 100 contracts at 60,000 from the taker, the maker bids 100
   * at 56,150 (above v's bankruptcy price, 56,000), and the mark is set to 56,200: v's liquidation
   * order sells into the bids (3 at 59,990, then 97 at 56,150). Returns the liquidation event.
   */
  liquidate(): Promise<LiquidationEvent>;
}

/**
 * The market scenario's book and trades with prices around them, on a held clock: the mark set at
 * t0; the index set at t0 + 30 s (60,005) and t0 + 130 s (59,980), each followed 35 s later by a
 * price tick (sampleRisk: basis and premium samples, the mark recomputed). Open interest: 2 after
 * t0 + 10 s, 6 after t0 + 70 s, 7 after t0 + 190 s (the taker's short leg against the maker's bid).
 * The clock is left at t0 + 200 s.
 */
export async function playPriceScenario(options: Partial<ServerOptions> = {}): Promise<PriceScenario> {
  const clock = new StepClock();
  const harness = await Harness.start({ clock, ...options });
  const exchange = harness.server.exchange;
  const samples: PriceSample[] = [];
  const sample = (): void => {
    const info = exchange.engine.prices('btc_usdt', exchange.now())!;
    samples.push({ time: exchange.now(), mark: info.markPrice, index: info.indexPrice, premium: info.premiumIndex, openInterest: info.openInterest });
  };
  const place = async (accountId: number, side: Side, positionSide: PositionSide, qty: number, price: number | null): Promise<void> => {
    await placeOrder(exchange, accountId, side, positionSide, qty, price);
    sample();
  };
  const admin = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const reply = await harness.admin.request('POST', path, body);
    assert.equal(reply.status, 200, `${path}: ${JSON.stringify(reply.body)}`);
    sample();
  };
  const tick = async (): Promise<void> => {
    const { result } = await exchange.execute({ type: 'sampleRisk' });
    assert.equal(result.ok, true);
    sample();
  };
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  clock.fixed = t0;
  const maker = (await harness.admin.createAccount()).accountId;
  const taker = (await harness.admin.createAccount()).accountId;
  for (const a of [maker, taker]) await harness.admin.deposit(a, '100000');
  await admin('/mark-price', { symbol: 'btc_usdt', price: '60000' });
  await place(maker, 'SELL', 'SHORT', 5, 600_100);
  await place(maker, 'SELL', 'SHORT', 3, 600_200);
  await place(maker, 'BUY', 'LONG', 4, 599_900);
  clock.fixed = t0 + 10_000;
  await place(taker, 'BUY', 'LONG', 2, null);
  clock.fixed = t0 + 30_000;
  await admin('/index-price', { symbol: 'btc_usdt', price: '60005' });
  clock.fixed = t0 + 65_000;
  await tick();
  clock.fixed = t0 + 70_000;
  await place(taker, 'BUY', 'LONG', 4, 600_200);
  clock.fixed = t0 + 130_000;
  await admin('/index-price', { symbol: 'btc_usdt', price: '59980' });
  clock.fixed = t0 + 165_000;
  await tick();
  clock.fixed = t0 + 190_000;
  await place(taker, 'SELL', 'SHORT', 1, null);
  clock.fixed = t0 + 200_000;

  const liquidate = async (): Promise<LiquidationEvent> => {
    const liquidations: LiquidationEvent[] = [];
    const stop = exchange.state.market.subscribe((events) => {
      for (const e of events) if (e.type === 'liquidation') liquidations.push(e);
    });
    try {
      clock.fixed = t0 + 250_000;
      const v = (await harness.admin.createAccount()).accountId;
      await harness.admin.deposit(v, '40');
      const { result } = await exchange.execute({ type: 'setLeverage', accountId: v, symbol: 'btc_usdt', leverage: 20 });
      assert.equal(result.ok, true);
      await place(v, 'BUY', 'LONG', 100, 600_000);
      await place(taker, 'SELL', 'SHORT', 100, null);
      await place(maker, 'BUY', 'LONG', 100, 561_500);
      await admin('/mark-price', { symbol: 'btc_usdt', price: '56200' });
    } finally {
      stop();
    }
    assert.equal(liquidations.length, 1, 'one liquidation order took liquidity');
    return liquidations[0]!;
  };
  return { harness, clock, t0, samples, maker, taker, liquidate };
}

/**
 * The candles a step function makes (what the exchanges' mark / index / premium / open-interest
 * klines show), computed from the samples alone: from the candle of the first change from `initial`
 * (null: the first value) to the one holding `now`; open the value at the start, high and low the
 * extremes while it lasted, close the value at the end (or now). Oldest first.
 */
export function stepCandles<V extends number | bigint>(
  points: readonly { time: number; value: V | null }[], intervalMs: number, now: number, initial: V | null = null,
): { openTime: number; open: V; high: V; low: V; close: V }[] {
  const known = points.filter((p): p is { time: number; value: V } => p.value !== null);
  const firstChange = known.findIndex((p, i) => p.value !== (i === 0 ? initial ?? undefined : known[i - 1]!.value));
  if (firstChange < 0) return [];
  const out: { openTime: number; open: V; high: V; low: V; close: V }[] = [];
  for (let start = Math.floor(known[firstChange]!.time / intervalMs) * intervalMs; start <= now; start += intervalMs) {
    const before = known.filter((p) => p.time < start).at(-1)?.value ?? initial ?? known[firstChange]!.value;
    const inside = known.filter((p) => p.time >= start && p.time < start + intervalMs).map((p) => p.value);
    const all = [before, ...inside];
    const max = all.reduce((a, b) => (b > a ? b : a));
    const min = all.reduce((a, b) => (b < a ? b : a));
    out.push({ openTime: start, open: before, high: max, low: min, close: all.at(-1)! });
  }
  return out;
}
