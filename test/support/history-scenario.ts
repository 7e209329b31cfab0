/**
 * One account history for the history readers of every dialect (test/<dialect>/history.test.ts,
 * test/ccxt/history.test.ts): trades with fees and realized PnL, a funding settlement, a deposit
 * and a withdrawal, and the liquidation of an under-margined long through the book, with its insurance clearance — all through a
 * started server (admin HTTP for money, prices and funding; orders through the exchange service,
 * the one way in that every front door uses). Each step happens at its own second of a clock the
 * test holds, so time filters can cut between steps; every canonical event is kept, so readers
 * are checked against exactly what the engine did.
 */
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { EngineEvent, PositionSide, Side } from '../../src/engine/types.js';
import type { ServerOptions } from '../../src/server/server.js';
import type { CommandInput } from '../../src/service/exchange.js';
import { Harness } from './harness.js';

/** A clock the test sets; null follows the wall clock. */
export class StepClock {
  fixed: number | null = null;
  now = (): number => this.fixed ?? Date.now();

  /** Runs `body` with the clock held at `time`, then puts it back. */
  async at<R>(time: number, body: () => Promise<R>): Promise<R> {
    const held = this.fixed;
    this.fixed = time;
    try {
      return await body();
    } finally {
      this.fixed = held;
    }
  }
}

export interface HistoryAccount {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
}

export interface HistoryScenario {
  harness: Harness;
  clock: StepClock;
  /** Trader a (maker, later the bid v's liquidation sells into), b (taker), v (liquidated). */
  a: HistoryAccount;
  b: HistoryAccount;
  v: HistoryAccount;
  /** Engine time of each step by name. */
  times: Record<Step, number>;
  /** Every canonical event, per account, in order. */
  events: Map<number, EngineEvent[]>;
  stop(): Promise<void>;
}

export const SYMBOL = 'btc_usdt';

export type Step = 'accounts' | 'open' | 'funding' | 'close' | 'withdraw' | 'leveraged' | 'liquidation';

/** Starts a server and plays the scenario; the clock follows the wall clock again afterwards. */
export async function playHistoryScenario(options: Partial<ServerOptions> = {}): Promise<HistoryScenario> {
  const clock = new StepClock();
  const harness = await Harness.start({ symbols: DEMO_SYMBOLS, clock, ...options });
  const events = new Map<number, EngineEvent[]>();
  const unsubscribe = harness.server.exchange.events.subscribeAll((event) => {
    const list = events.get(event.accountId) ?? [];
    list.push(event);
    events.set(event.accountId, list);
  });
  const exchange = harness.server.exchange;
  const run = async (input: CommandInput): Promise<void> => {
    const { result } = await exchange.execute(input);
    assert.equal(result.ok, true, `${input.type}: ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  };
  const admin = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const reply = await harness.admin.request('POST', path, body);
    assert.equal(reply.status, 200, `${path}: ${JSON.stringify(reply.body)}`);
  };
  const order = (accountId: number, side: Side, positionSide: PositionSide, qty: number, price: number | null): Promise<void> => run({
    type: 'placeOrder', accountId, symbol: SYMBOL, side, positionSide, qty, reduceOnly: false,
    ...(price === null ? { orderType: 'MARKET', timeInForce: 'IOC', price: 0 } : { orderType: 'LIMIT', timeInForce: 'GTC', price }),
  } as CommandInput);

  // Steps a minute in the past, one second apart, so a reader's "last 7 days" default holds them all.
  const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const times = {} as Record<Step, number>;
  let step = 0;
  const at = (name: Step): void => {
    clock.fixed = start + 1000 * step++;
    times[name] = clock.fixed;
  };

  at('accounts');
  const make = async (deposit: string): Promise<HistoryAccount> => {
    const created = await harness.admin.createAccount();
    await admin('/deposit', { accountId: created.accountId, asset: 'USDT', amount: deposit });
    await run({ type: 'setPositionMode', accountId: created.accountId, positionMode: 'HEDGE' }).catch(() => undefined);
    return created;
  };
  const a = await make('10000');
  const b = await make('10000');
  const v = await make('40');
  await admin('/mark-price', { symbol: SYMBOL, price: '60000' });

  at('open'); // a rests a bid of 10 at 60,000 (ticks of 0.1), b sells into it.
  await order(a.accountId, 'BUY', 'LONG', 10, 600_000);
  await order(b.accountId, 'SELL', 'SHORT', 10, null);

  at('funding'); // longs pay at the mark's funding rate.
  await admin('/funding/settle', { symbol: SYMBOL });

  at('close'); // a offers its 10 at 60,100, b buys them back: a gains, b loses.
  await order(a.accountId, 'SELL', 'LONG', 10, 601_000);
  await order(b.accountId, 'BUY', 'SHORT', 10, null);

  at('withdraw');
  await admin('/withdraw', { accountId: a.accountId, asset: 'USDT', amount: '100' });

  at('leveraged'); // v: 100 contracts (600 USDT) at 20× on 40 USDT; b is the short side.
  await run({ type: 'setLeverage', accountId: v.accountId, symbol: SYMBOL, leverage: 20 });
  await order(v.accountId, 'BUY', 'LONG', 100, 601_000);
  await order(b.accountId, 'SELL', 'SHORT', 100, null);

  at('liquidation');
  // a bids 100 at 56,300, above v's bankruptcy price (about 56,136): at that mark v's equity (about
  // 1.64 USDT) is under its maintenance margin, so a liquidation order sells into the bid and the
  // surplus over the bankruptcy price goes to the insurance fund (v's INSURANCE_CLEAR).
  await order(a.accountId, 'BUY', 'LONG', 100, 563_000);
  await admin('/mark-price', { symbol: SYMBOL, price: '56300' });
  const vEvents = events.get(v.accountId) ?? [];
  assert.ok(vEvents.some((e) => e.type === 'trade' && e.source !== 'USER'), 'v was liquidated or deleveraged');

  clock.fixed = null;
  return {
    harness, clock, a, b, v, times, events,
    async stop() {
      unsubscribe();
      await harness.stop();
    },
  };
}

/** Events of one account of the kind asked for. */
export function eventsOf<K extends EngineEvent['type']>(scenario: HistoryScenario, accountId: number, type: K): Extract<EngineEvent, { type: K }>[] {
  return (scenario.events.get(accountId) ?? []).filter((e): e is Extract<EngineEvent, { type: K }> => e.type === type);
}
