/**
 * Recent finished orders and fills per account, for the REST queries the engine does not answer
 * (it forgets an order once it is done). Bounded per account; the oldest entries give way.
 */
import type { EngineEvent, OrderSnapshot, TradeEvent } from '../engine/types.js';

const FINAL_STATES = new Set(['FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'REJECTED', 'EXPIRED']);

class Ring<T> {
  readonly items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(item: T): T | undefined {
    this.items.push(item);
    return this.items.length > this.capacity ? this.items.shift() : undefined;
  }
}

interface AccountHistory {
  orders: Ring<OrderSnapshot>;
  ordersById: Map<number, OrderSnapshot>;
  trades: Ring<TradeEvent>;
}

export class History {
  readonly name = 'history';
  private readonly accounts = new Map<number, AccountHistory>();

  constructor(private readonly ordersPerAccount = 1000, private readonly tradesPerAccount = 1000) {}

  record(event: EngineEvent): void {
    if (event.type === 'trade') {
      this.of(event.accountId).trades.push(event);
    } else if (event.type === 'order' && FINAL_STATES.has(event.order.state)) {
      const history = this.of(event.accountId);
      history.ordersById.set(event.order.orderId, event.order);
      const evicted = history.orders.push(event.order);
      if (evicted !== undefined) history.ordersById.delete(evicted.orderId);
    }
  }

  finishedOrder(accountId: number, orderId: number): OrderSnapshot | undefined {
    return this.accounts.get(accountId)?.ordersById.get(orderId);
  }

  /** Finished orders, newest first. */
  finishedOrders(accountId: number): OrderSnapshot[] {
    return [...(this.accounts.get(accountId)?.orders.items ?? [])].reverse();
  }

  /** Fills, newest first. */
  trades(accountId: number): TradeEvent[] {
    return [...(this.accounts.get(accountId)?.trades.items ?? [])].reverse();
  }

  capture(): unknown {
    return [...this.accounts.entries()].map(([accountId, h]) => ({ accountId, orders: h.orders.items, trades: h.trades.items }));
  }

  restore(data: unknown): void {
    this.accounts.clear();
    for (const saved of data as { accountId: number; orders: OrderSnapshot[]; trades: TradeEvent[] }[]) {
      const history = this.of(saved.accountId);
      for (const order of saved.orders) {
        history.orders.push(order);
        history.ordersById.set(order.orderId, order);
      }
      for (const trade of saved.trades) history.trades.push(trade);
    }
  }

  private of(accountId: number): AccountHistory {
    let history = this.accounts.get(accountId);
    if (history === undefined) {
      history = { orders: new Ring(this.ordersPerAccount), ordersById: new Map(), trades: new Ring(this.tradesPerAccount) };
      this.accounts.set(accountId, history);
    }
    return history;
  }
}
