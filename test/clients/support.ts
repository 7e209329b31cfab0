/**
 * Shared pieces of the third-party client suites (issue 11): a started server with the demo
 * symbols, accounts created for a dialect (that exchange's defaults), the engine's state to compare
 * with, exact decimal conversions, and an event log that waits on what a library emitted.
 */
import assert from 'node:assert/strict';
import { withTimeout } from '../support/timeout.js';
import { parseAmount } from '../../src/engine/fixed.js';
import type { OrderSnapshot, PositionSnapshot, TradeEvent } from '../../src/engine/types.js';
import type { AccountView, WalletView } from '../../src/engine/view.js';
import { Harness } from '../support/harness.js';

import type { Created, Dialect } from '../support/xt-client.js';

export type { Created, Dialect };

/** Demo BTC_USDT: tick 0.1 (10⁷ amount units), contract 0.0001 BTC (10⁴ amount units). */
export const TICK_UNITS = 10_000_000n;
export const CONTRACT_UNITS = 10_000n;

/** A decimal string as exact 10⁻⁸ units (what the engine keeps); throws on more places. */
export const dec = (text: string | number): bigint => parseAmount(String(text));
/** Engine price ticks as 10⁻⁸ units of USDT. */
export const price = (ticks: number | bigint): bigint => BigInt(ticks) * TICK_UNITS;
/** Engine contracts as 10⁻⁸ units of BTC. */
export const base = (contracts: number): bigint => BigInt(contracts) * CONTRACT_UNITS;
/** An average price (ticks × contracts over contracts) as 10⁻⁸ units, rounded down. */
export const average = (cost: bigint, qty: number): bigint => (cost * TICK_UNITS) / BigInt(Math.abs(qty));

export class ClientsFixture {
  private constructor(readonly h: Harness) {}

  static async start(): Promise<ClientsFixture> {
    const h = await Harness.start();
    await h.admin.markPrice('btc_usdt', '60000');
    await h.admin.markPrice('eth_usdt', '3000');
    return new ClientsFixture(h);
  }

  get url(): string { return this.h.server.url; }
  get wsUrl(): string { return this.h.server.wsUrl; }

  /** A fresh account with `dialect`'s defaults and `deposit` USDT. */
  async account(dialect: Dialect, deposit: string): Promise<Created> {
    const { status, body } = await this.h.admin.request<Created>('POST', '/accounts', { dialect });
    if (status !== 200) throw new Error(`createAccount ${dialect}: ${status} ${JSON.stringify(body)}`);
    await this.h.admin.deposit(body.accountId, deposit);
    return body;
  }

  view(accountId: number): AccountView {
    const state = this.h.server.exchange.engine.account(accountId);
    if (state === undefined) throw new Error(`no account ${accountId}`);
    return state.view;
  }

  wallet(accountId: number, asset = 'USDT'): WalletView {
    const w = this.view(accountId).wallets.find((x) => x.asset === asset);
    if (w === undefined) throw new Error(`account ${accountId} has no ${asset} wallet`);
    return w;
  }

  position(accountId: number, symbol = 'btc_usdt', side: PositionSnapshot['positionSide'] = 'BOTH'): PositionSnapshot {
    const p = this.view(accountId).positions.find((x) => x.symbol === symbol && x.positionSide === side);
    if (p === undefined) throw new Error(`account ${accountId} has no ${symbol} ${side} position`);
    return p;
  }

  /** A live or finished order of the account. */
  order(accountId: number, orderId: number | string): OrderSnapshot {
    const id = Number(orderId);
    const o = this.view(accountId).orders.find((x) => x.orderId === id) ?? this.h.server.exchange.history.finishedOrder(accountId, id);
    if (o === undefined) throw new Error(`account ${accountId} has no order ${id}`);
    return o;
  }

  trades(accountId: number): TradeEvent[] {
    return this.h.server.exchange.history.trades(accountId);
  }

  /** Every order id the account ever had, live or finished. */
  orderIds(accountId: number): Set<number> {
    const ids = new Set(this.view(accountId).orders.map((o) => o.orderId));
    for (const o of this.h.server.exchange.history.finishedOrders(accountId)) ids.add(o.orderId);
    return ids;
  }

  async stop(): Promise<void> {
    await this.h.stop();
  }
}

/** What a library emitted, in order, with a wait that wakes on each new entry (no polling sleeps). */
export class EventLog<T> {
  readonly items: T[] = [];
  private waiters: (() => void)[] = [];

  push = (item: T): void => {
    this.items.push(item);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  /** Resolves with the first item (from index `from`) matching `match`; rejects after `ms`. */
  async find(match: (item: T) => boolean, what: string, ms = 5_000, from = 0): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.items.slice(from).find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; got ${JSON.stringify(this.items)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * A Binance user stream carried this account's events only: every order and trade event is of one
 * of `mine` and none of `theirs` (which must hold the other account's order `theirOrderId`, so the
 * check is not vacuous), and the one ACCOUNT_UPDATE carries `walletBalance`.
 */
export function assertOnlyOwnBinanceEvents(events: readonly Record<string, unknown>[], mine: Set<number>, theirs: Set<number>, theirOrderId: number, walletBalance: bigint): void {
  assert.ok(theirs.has(theirOrderId));
  for (const e of events) {
    const id = e.e === 'ORDER_TRADE_UPDATE' ? (e.o as Record<string, unknown>).i : e.e === 'TRADE_LITE' ? e.i : undefined;
    if (id !== undefined) assert.ok(mine.has(Number(id)) && !theirs.has(Number(id)), `an event of order ${String(id)}, not this account's`);
  }
  const updates = events.filter((e) => e.e === 'ACCOUNT_UPDATE');
  assert.deepEqual(updates.map((e) => (e.a as { B: Record<string, unknown>[] }).B.map((b) => dec(b.wb as string))), [[walletBalance]]);
}

/** Resolves like `promise`, or rejects after `ms` (5 s by default) naming `what`. */
export const within = <T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> => withTimeout(promise, ms, what);


export { unrefLongIntervals } from '../support/long-timers.js';
