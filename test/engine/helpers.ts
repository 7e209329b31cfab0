/**
 * Shared test harness for the engine unit tests: accounts with deposits, orders with defaults,
 * a clock that only moves when asked, and small readers over `view()` and the emitted events.
 *
 * Every command goes through `Harness.apply`, which also runs `engine.audit()` afterwards (the
 * rules page asks for the invariants to hold after every command).
 *
 * Numbers used throughout the tests (BTC_USDT, docs/engine-rules.md "Units"):
 *   price 60,000 USDT = 600,000 ticks (tick 0.1); K = 1000 amount units per contract per tick;
 *   1 USDT = 100,000,000 amount units; maker 0.0002 (20,000 / 1e8), taker 0.0006 (60,000 / 1e8).
 *   So at leverage 20:  perContract(p) = ceil(1000p / 20) + ceil(1000p × 60000 / 1e8) = 50p + ceil(0.6p)
 *   maker fee(q, p) = ceil(q·p·1000 × 20000 / 1e8) = ceil(q·p / 5)
 *   taker fee(q, p) = ceil(q·p·1000 × 60000 / 1e8) = ceil(3·q·p / 5)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Engine, type Applied, type EngineOptions } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { parseAmount } from '../../src/engine/fixed.js';
import type {
  Command, EngineEvent, OrderSnapshot, OrderType, PositionSide, PositionSnapshot, Side, StpMode, TimeInForce,
} from '../../src/engine/types.js';
import type { BookView, StateView, WalletView } from '../../src/engine/view.js';

export const BTC = 'btc_usdt';
export const ETH = 'eth_usdt';
/** Decimal string → amount units (10^-8), e.g. usdt('0.3036') = 30_360_000n. */
export const usdt = parseAmount;

type WithoutTime<C> = C extends unknown ? Omit<C, 'time'> : never;
/** A command without its time: the harness stamps it. */
export type Cmd = WithoutTime<Command>;

export interface OrderOpts {
  side: Side;
  qty: number;
  /** Ticks; ignored for MARKET. */
  price?: number;
  symbol?: string;
  orderType?: OrderType;
  timeInForce?: TimeInForce;
  positionSide?: PositionSide;
  reduceOnly?: boolean;
  clientOrderId?: string;
  stpMode?: StpMode;
}

export class Harness {
  readonly engine: Engine;
  /** Engine time stamped on the next command. */
  time = 1_000_000;
  /** Every command applied so far, in order. */
  readonly log: Applied[] = [];

  constructor(options: Partial<EngineOptions> = {}) {
    this.engine = new Engine({ symbols: DEMO_SYMBOLS, ...options });
  }

  /** Moves the clock on; returns the new time. */
  advance(ms = 1000): number {
    this.time += ms;
    return this.time;
  }

  apply(cmd: Cmd): Applied {
    const applied = this.engine.apply({ ...cmd, time: this.time } as Command);
    this.log.push(applied);
    this.engine.audit();
    return applied;
  }

  /** A new account; with `deposit` (USDT, decimal string) it is funded right away. */
  account(deposit?: string): number {
    const created = this.apply({ type: 'createAccount' });
    assert.ok(created.result.ok && created.result.kind === 'account', 'createAccount failed');
    const id = created.result.accountId;
    if (deposit !== undefined) this.deposit(id, deposit);
    return id;
  }

  deposit(accountId: number, amount: string, asset = 'USDT'): Applied {
    const applied = this.apply({ type: 'deposit', accountId, asset, amount: parseAmount(amount) });
    assert.equal(applied.result.ok, true, `deposit ${amount} ${asset} refused`);
    return applied;
  }

  mark(price: number, symbol = BTC): Applied {
    const applied = this.apply({ type: 'setMarkPrice', symbol, price });
    assert.equal(applied.result.ok, true, 'setMarkPrice refused');
    return applied;
  }

  place(accountId: number, o: OrderOpts): Applied {
    return this.apply({
      type: 'placeOrder',
      accountId,
      symbol: o.symbol ?? BTC,
      side: o.side,
      positionSide: o.positionSide ?? 'BOTH',
      orderType: o.orderType ?? 'LIMIT',
      timeInForce: o.timeInForce ?? 'GTC',
      price: o.price ?? 0,
      qty: o.qty,
      reduceOnly: o.reduceOnly ?? false,
      ...(o.clientOrderId !== undefined ? { clientOrderId: o.clientOrderId } : {}),
      ...(o.stpMode !== undefined ? { stpMode: o.stpMode } : {}),
    });
  }

  buy(accountId: number, qty: number, price: number, extra: Partial<OrderOpts> = {}): Applied {
    return this.place(accountId, { side: 'BUY', qty, price, ...extra });
  }

  sell(accountId: number, qty: number, price: number, extra: Partial<OrderOpts> = {}): Applied {
    return this.place(accountId, { side: 'SELL', qty, price, ...extra });
  }

  /**
   * One trade between two accounts: `maker` rests `qty` at `price` on the side opposite `takerSide`,
   * then `taker` takes all of it. Returns the taker's command.
   */
  trade(maker: number, taker: number, takerSide: Side, qty: number, price: number,
    takerExtra: Partial<OrderOpts> = {}, makerExtra: Partial<OrderOpts> = {}): Applied {
    const makerSide: Side = takerSide === 'BUY' ? 'SELL' : 'BUY';
    const resting = this.place(maker, { side: makerSide, qty, price, ...makerExtra });
    assert.equal(orderOf(resting).state, 'NEW', 'maker order of trade() did not rest');
    const taken = this.place(taker, { side: takerSide, qty, price, ...takerExtra });
    assert.equal(orderOf(taken).state, 'FILLED', 'taker order of trade() did not fill');
    return taken;
  }

  cancel(accountId: number, orderId: number, symbol = BTC): Applied {
    return this.apply({ type: 'cancelOrder', accountId, symbol, orderId });
  }

  amend(accountId: number, orderId: number, change: { price?: number; qty?: number }, symbol = BTC): Applied {
    return this.apply({ type: 'amendOrder', accountId, symbol, orderId, ...change });
  }

  view(): StateView {
    return this.engine.view();
  }

  wallet(accountId: number, asset = 'USDT'): WalletView {
    const account = this.view().accounts.find((a) => a.accountId === accountId);
    assert.ok(account, `no account ${accountId}`);
    const wallet = account.wallets.find((w) => w.asset === asset);
    assert.ok(wallet, `account ${accountId} has no ${asset} wallet`);
    return wallet;
  }

  position(accountId: number, symbol = BTC, side: PositionSide = 'BOTH'): PositionSnapshot {
    const found = this.findPosition(accountId, symbol, side);
    assert.ok(found, `account ${accountId} has no ${symbol} ${side} position record`);
    return found;
  }

  findPosition(accountId: number, symbol = BTC, side: PositionSide = 'BOTH'): PositionSnapshot | undefined {
    const account = this.view().accounts.find((a) => a.accountId === accountId);
    return account?.positions.find((p) => p.symbol === symbol && p.positionSide === side);
  }

  /** A live order as the view shows it, or undefined when it is not live. */
  liveOrder(accountId: number, orderId: number): OrderSnapshot | undefined {
    return this.view().accounts.find((a) => a.accountId === accountId)?.orders.find((o) => o.orderId === orderId);
  }

  book(symbol = BTC): BookView {
    const book = this.view().books.find((b) => b.symbol === symbol);
    assert.ok(book, `no book ${symbol}`);
    return book;
  }

  fees(asset = 'USDT'): bigint {
    return this.view().fees.find((f) => f.asset === asset)?.amount ?? 0n;
  }

  /**
   * A hash of the whole state except the command counter: `stateHash()` covers `cmdSeq`, which
   * every command (refused ones included, by the rules) moves on, so "changes nothing" is checked
   * on everything else.
   */
  stateKey(): string {
    const view = { ...this.view(), cmdSeq: 0 };
    const canonical = JSON.stringify(view, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    return createHash('sha256').update(canonical).digest('hex');
  }

  audit(): void {
    this.engine.audit();
  }
}

/** The order snapshot of a placeOrder / amendOrder / cancelOrder result (asserts it is one). */
export function orderOf(applied: Applied): OrderSnapshot {
  const result = applied.result;
  assert.ok(result.ok, `command refused: ${result.ok ? '' : `${result.code} ${result.message}`}`);
  assert.equal(result.kind, 'order');
  return (result as { order: OrderSnapshot }).order;
}

/** The error code of a refused command (asserts it was refused and emitted nothing). */
export function errorOf(applied: Applied): string {
  const result = applied.result;
  assert.equal(result.ok, false, 'expected the command to be refused');
  assert.deepEqual(applied.events, [], 'a refused command must emit nothing');
  return (result as { code: string }).code;
}

/** Compact event labels: `a1 order NEW`, `a2 trade`, `a1 position`, `a1 balance`, `a1 config`. */
export function labels(events: readonly EngineEvent[]): string[] {
  return events.map((e) => {
    const head = `a${e.accountId} ${e.type}`;
    return e.type === 'order' ? `${head} ${e.execType} #${e.order.orderId}` : head;
  });
}

export function eventsOf<T extends EngineEvent['type']>(events: readonly EngineEvent[], type: T, accountId?: number): Extract<EngineEvent, { type: T }>[] {
  return events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type && (accountId === undefined || e.accountId === accountId));
}
