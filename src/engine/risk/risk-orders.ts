/**
 * Orders the risk engine places on an account's behalf (liquidation and ADL) and the cancels it makes
 * before acting. They are ordinary orders of the account (so its streams show them), IOC limit
 * orders that only close, with `source` LIQUIDATION or ADL, and they pay no fee (positions.ts).
 */
import { accountOrdersOf, type Core } from '../core.js';
import { attach, cancelState, finishOrder, ordersOf, reallocate } from '../positions.js';
import { isLive, type Account, type Order, type Position } from '../state.js';
import type { OrderReason, OrderSource, Side } from '../types.js';

export const closingSide = (position: Position): Side => (position.qty > 0 ? 'SELL' : 'BUY');

/** A closing IOC limit order for `qty` contracts of `position` at `price`, attached (not booked, no event). */
export function riskOrder(core: Core, position: Position, qty: number, price: number, source: OrderSource): Order {
  const account = position.account;
  const order: Order = {
    id: core.nextOrderId++, clientOrderId: null, account, symbol: position.symbol, position, side: closingSide(position),
    orderType: 'LIMIT', timeInForce: 'IOC', reduceOnly: position.side === 'BOTH', stpMode: 'EXPIRE_TAKER', createTime: core.time,
    price, freezePrice: price, qty, filled: 0, cumQuote: 0n, cumCost: 0n, state: 'NEW', reason: 'NONE', priority: core.nextPriority++,
    closeQty: 0, openQty: 0, frozen: 0n, openCost: 0n, perContract: 0n, perContractPrice: 0, perContractLeverage: 0, fees: 0n, realizedPnl: 0n,
    updateTime: core.time, placeResult: null, source, origin: null, conditionalId: null, attachTpsl: null, tpslArmed: false, level: null, prev: null, next: null,
  };
  accountOrdersOf(account).set(order.id, order);
  attach(core, order);
  return order;
}

/** Cancels the account's live orders on the symbols `which` accepts, in priority order, one step each. */
export function cancelOrders(core: Core, account: Account, which: (position: Position) => boolean, reason: OrderReason): void {
  const orders: Order[] = [];
  for (const position of account.positions.values()) if (which(position)) orders.push(...ordersOf(position));
  orders.sort((a, b) => a.priority - b.priority);
  for (const order of orders) {
    // An earlier cancel's reallocation may have ended it already.
    if (!isLive(order)) continue;
    const needsReallocation = finishOrder(core, order, cancelState(order), reason);
    core.emitter.order(order, 'CANCELED');
    if (needsReallocation) reallocate(core, order.position);
    core.emitter.endStep();
  }
}
