/**
 * The peer baseline of `bench:engine`: the npm order book `nodejs-order-book` (a popular
 * matching-only limit order book: price-time priority, no accounts, margin, risk or events) driven
 * by the same command stream as the engine. Commands it has no notion of (accounts, deposits, mark
 * prices) are accepted and ignored; orders keep the engine's numeric ids (as strings for the peer).
 */
import { OrderBook, Side, type LimitOrderOptions } from 'nodejs-order-book';
import type { Command } from '../src/engine/types.js';

/** What the benchmark driver reads of a command's result (the engine's CommandResult fits it). */
/** The package does not export its TimeInForce enum; its IOC member is the string 'IOC'. */
const IOC = 'IOC' as NonNullable<LimitOrderOptions['timeInForce']>;

export interface Outcome {
  ok: boolean;
  code?: string;
  kind?: string;
  accountId?: number;
  order?: { accountId: number; orderId: number; state: string };
}

export class PeerOrderBook {
  private readonly book = new OrderBook();
  private nextAccountId = 1;
  private nextOrderId = 1;

  apply(command: Command): Outcome {
    switch (command.type) {
      case 'createAccount': return { ok: true, kind: 'account', accountId: this.nextAccountId++ };
      case 'placeOrder': {
        const orderId = this.nextOrderId++;
        const side = command.side === 'BUY' ? Side.BUY : Side.SELL;
        const id = String(orderId);
        const placed = command.orderType === 'MARKET' ? this.book.market({ side, size: command.qty })
          : command.timeInForce === 'IOC' ? this.book.limit({ id, side, size: command.qty, price: command.price, timeInForce: IOC })
            : this.book.limit({ id, side, size: command.qty, price: command.price });
        if (placed.err !== null) return { ok: false, code: 'REFUSED' };
        // A GTC order that did not fill completely rests.
        const resting = command.orderType === 'LIMIT' && command.timeInForce === 'GTC' && this.book.order(id) !== undefined;
        return { ok: true, kind: 'order', order: { accountId: command.accountId, orderId, state: resting ? 'NEW' : 'FILLED' } };
      }
      case 'cancelOrder': {
        const canceled = command.orderId === undefined ? undefined : this.book.cancel(String(command.orderId));
        return canceled === undefined ? { ok: false, code: 'UNKNOWN_ORDER' } : { ok: true, kind: 'order' };
      }
      case 'amendOrder': {
        if (command.orderId === undefined || command.qty === undefined) return { ok: false, code: 'INVALID_ARGUMENT' };
        const amended = this.book.modify(String(command.orderId), { size: command.qty });
        return amended.err !== null ? { ok: false, code: 'UNKNOWN_ORDER' } : { ok: true, kind: 'order' };
      }
      default: return { ok: true, kind: 'done' };
    }
  }
}
