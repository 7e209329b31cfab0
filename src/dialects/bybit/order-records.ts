/**
 * Bybit's order records over the engine's orders and conditional orders. On Bybit a conditional
 * order and the order it places are one record with one orderId (Untriggered → Triggered → New …);
 * the engine gives them the same id too, so a record is an order (with the conditional order that
 * placed it, if any) or a conditional order that is not an order yet or never became one
 * (Untriggered, Deactivated, Rejected before any order). `orderFilter` (open-order.mdx,
 * order-list.mdx): `Order` the orders, `StopOrder` the conditional orders (TP/SL and trailing stops
 * included), absent both with one record per id; `tpslOrder`, `OcoOrder` and
 * `BidirectionalTpslOrder` are spot order kinds, which linear never has.
 */
import type { ConditionalSnapshot, OrderSnapshot } from '../../engine/types.js';
import type { Exchange } from '../../service/exchange.js';
import { bybitConditional, bybitOrder, orderStatus } from './encode.js';
import { conditionalStatus } from './conditional-names.js';
import { optionalEnum, type Params } from './params.js';
import { snapshotOf } from './rest-account.js';
import type { BybitSymbols } from './symbols.js';

export type OrderRecord =
  | { order: OrderSnapshot; conditional?: undefined }
  | { order?: undefined; conditional: ConditionalSnapshot };

export type OrderFilter = 'Order' | 'StopOrder' | 'tpslOrder' | 'OcoOrder' | 'BidirectionalTpslOrder';
const FILTERS: readonly OrderFilter[] = ['Order', 'StopOrder', 'tpslOrder', 'OcoOrder', 'BidirectionalTpslOrder'];

/** A query's `orderFilter` (absent: every kind). */
export function orderFilterOf(params: Params): OrderFilter | undefined {
  return optionalEnum(params, 'orderFilter', FILTERS);
}

const wantsOrders = (filter: OrderFilter | undefined): boolean => filter === undefined || filter === 'Order';
const wantsConditionals = (filter: OrderFilter | undefined): boolean => filter === undefined || filter === 'StopOrder';

/** One account's order records, as the REST queries and the cancel / amend lookups see them. */
export class OrderRecords {
  constructor(private readonly exchange: Exchange, private readonly symbols: BybitSymbols, readonly accountId: number) {}

  /** Open records (New, PartiallyFilled, Untriggered), newest first (ids follow creation). */
  open(filter: OrderFilter | undefined): OrderRecord[] {
    const { view } = snapshotOf(this.exchange, this.accountId);
    const records: OrderRecord[] = [];
    if (wantsOrders(filter)) for (const order of view.orders) records.push({ order });
    if (wantsConditionals(filter)) for (const conditional of view.conditionals) records.push({ conditional });
    return records.sort((x, y) => idOf(y) - idOf(x));
  }

  /**
   * Closed records, most recently updated first. Without a filter, an ended conditional order that
   * placed an order is that order's record, not a second one.
   */
  closed(filter: OrderFilter | undefined): OrderRecord[] {
    const orders = wantsOrders(filter) ? this.exchange.history.finishedOrders(this.accountId) : [];
    const placed = new Set(filter === undefined ? orders.map((o) => o.orderId) : []);
    const { view } = snapshotOf(this.exchange, this.accountId);
    if (filter === undefined) for (const o of view.orders) placed.add(o.orderId);
    const conditionals = wantsConditionals(filter)
      ? this.exchange.history.finishedConditionals(this.accountId).filter((c) => c.orderId === null || !placed.has(c.orderId))
      : [];
    return mergeNewestFirst(orders.map((order) => ({ order })), conditionals.map((conditional) => ({ conditional })));
  }

  /** Open records, then closed ones. */
  all(filter: OrderFilter | undefined): OrderRecord[] {
    return this.open(filter).concat(this.closed(filter));
  }

  /** A waiting conditional order of the symbol by id or orderLinkId. */
  waiting(symbol: string, ref: { id?: number; linkId?: string }): ConditionalSnapshot | undefined {
    return snapshotOf(this.exchange, this.accountId).view.conditionals.find((c) => c.symbol === symbol && matches(c.conditionalId, c.clientOrderId, ref));
  }

  /** A live order of the symbol by id or orderLinkId. */
  live(symbol: string, ref: { id?: number; linkId?: string }): OrderSnapshot | undefined {
    return snapshotOf(this.exchange, this.accountId).view.orders.find((o) => o.symbol === symbol && matches(o.orderId, o.clientOrderId, ref));
  }

  /** The Bybit status of an ended record of the symbol (an order, else a conditional order), if there is one. */
  endedStatus(symbol: string, ref: { id?: number; linkId?: string }, filter: OrderFilter | undefined): string | undefined {
    const record = this.closed(filter).find((r) => {
      const { id, linkId, symbol: s } = r.order !== undefined
        ? { id: r.order.orderId, linkId: r.order.clientOrderId, symbol: r.order.symbol }
        : { id: r.conditional.conditionalId, linkId: r.conditional.clientOrderId, symbol: r.conditional.symbol };
      return s === symbol && matches(id, linkId, ref);
    });
    if (record === undefined) return undefined;
    return record.order !== undefined ? orderStatus(record.order.state, record.order.reason) : conditionalStatus(record.conditional);
  }

  /** The ended conditional order of this id (the one that placed the order of the same id), if still kept. */
  conditional(conditionalId: number): ConditionalSnapshot | undefined {
    return this.exchange.history.finishedConditional(this.accountId, conditionalId);
  }

  /** A record as Bybit's order row; an order placed by a conditional order carries that order's trigger fields. */
  row(record: OrderRecord): Record<string, unknown> {
    if (record.order === undefined) return bybitConditional(record.conditional, this.symbols.config(record.conditional.symbol));
    const order = record.order;
    const conditional = order.conditionalId === null ? undefined : this.conditional(order.conditionalId);
    return bybitOrder(order, this.symbols.config(order.symbol), { conditional });
  }
}

/** The Bybit orderId of a record (a conditional order's id is the id of the order it places). */
export function idOf(record: OrderRecord): number {
  return record.order !== undefined ? record.order.orderId : record.conditional.conditionalId;
}

const updatedAt = (record: OrderRecord): number => (record.order !== undefined ? record.order.updateTime : record.conditional.updateTime);

function matches(id: number, linkId: string | null, ref: { id?: number; linkId?: string }): boolean {
  return ref.id !== undefined ? id === ref.id : linkId === ref.linkId;
}

/** Two newest-first lists as one, by update time (ties: the first list's record first). */
function mergeNewestFirst(a: OrderRecord[], b: OrderRecord[]): OrderRecord[] {
  const out: OrderRecord[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && updatedAt(a[i]!) >= updatedAt(b[j]!))) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
