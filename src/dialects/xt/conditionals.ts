/**
 * The account's conditional orders as XT's entrust endpoints read them: the waiting ones from the
 * engine's view, the ended ones from the service history, and the orders they placed. XT shows a
 * position take-profit and its stop-loss as one object (one `profitId`); the engine keeps each leg
 * as its own conditional, paired by `ocoId`, so legs are grouped here.
 */
import type { ConditionalKind, ConditionalSnapshot, OrderSnapshot } from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import type { Exchange } from '../../service/exchange.js';
import { venueSymbols, type XtVenue } from './venue.js';

/** The engine kinds behind XT's three families: plan (entrust), profit (TP/SL) and track (trailing). */
export type XtFamily = 'PLAN' | 'PROFIT' | 'TRACK';

const FAMILY: Record<ConditionalKind, XtFamily> = { PLAN: 'PLAN', TAKE_PROFIT: 'PROFIT', STOP_LOSS: 'PROFIT', TRAILING: 'TRACK' };
export const familyOf = (c: Pick<ConditionalSnapshot, 'kind'>): XtFamily => FAMILY[c.kind];

/** A TP/SL pair (or a lone leg) as XT's one profit object: `profitId` is the pair's id (the engine's `pairId`). */
export interface ProfitGroup {
  profitId: number;
  takeProfit: ConditionalSnapshot | null;
  stopLoss: ConditionalSnapshot | null;
}

/**
 * TP/SL legs grouped into XT profit objects, newest first: a pair by `ocoId`; a position's
 * waiting whole-position (FULL) legs, which may have been set one at a time, as one object.
 */
export function groupProfits(legs: readonly ConditionalSnapshot[]): ProfitGroup[] {
  const groups = new Map<string, ProfitGroup>();
  for (const leg of legs) {
    const pairId = leg.pairId;
    const key = leg.tpslMode === 'FULL' && leg.state === 'WAITING' ? `full ${leg.symbol} ${leg.positionSide}` : String(pairId);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { profitId: pairId, takeProfit: null, stopLoss: null }));
    group.profitId = Math.min(group.profitId, pairId);
    if (leg.kind === 'TAKE_PROFIT') group.takeProfit = leg;
    else group.stopLoss = leg;
  }
  return [...groups.values()].sort((a, b) => b.profitId - a.profitId);
}

/**
 * One request's reading of an account's conditional orders. The engine's account view is built once
 * per instance: make one per request, and read it before the request's commands run.
 */
export class AccountConditionals {
  private cachedView: AccountView | null | undefined;

  private constructor(private readonly exchange: Exchange, readonly accountId: number, private readonly onHost: (symbol: string) => boolean) {}

  /** The account's conditionals; with `venue`, only those of that host's symbols (the other host's are not listed there). */
  static of(exchange: Exchange, accountId: number, venue?: XtVenue): AccountConditionals {
    if (venue === undefined) return new AccountConditionals(exchange, accountId, () => true);
    const own = new Set(venueSymbols(exchange, venue).map((c) => c.symbol));
    return new AccountConditionals(exchange, accountId, (symbol) => own.has(symbol));
  }

  private get view(): AccountView | null {
    if (this.cachedView === undefined) this.cachedView = this.exchange.engine.account(this.accountId)?.view ?? null;
    return this.cachedView;
  }

  /** Waiting conditionals, oldest first (by id). */
  waiting(family?: XtFamily): ConditionalSnapshot[] {
    const all = (this.view?.conditionals ?? []).filter((c) => this.onHost(c.symbol));
    return family === undefined ? all : all.filter((c) => familyOf(c) === family);
  }

  /** Ended conditionals, newest first. */
  finished(family?: XtFamily): ConditionalSnapshot[] {
    const all = this.exchange.history.finishedConditionals(this.accountId).filter((c) => this.onHost(c.symbol));
    return family === undefined ? all : all.filter((c) => familyOf(c) === family);
  }

  /** Waiting and ended, newest first (ids come from one sequence, so newest = highest id). */
  all(family?: XtFamily): ConditionalSnapshot[] {
    return [...this.waiting(family), ...this.finished(family)].sort((a, b) => b.conditionalId - a.conditionalId);
  }

  /** One conditional by id, waiting or ended. */
  find(id: number): ConditionalSnapshot | undefined {
    return this.waiting().find((c) => c.conditionalId === id) ?? this.exchange.history.finishedConditional(this.accountId, id);
  }

  /** The order a conditional placed (its id is the conditional's), live or finished. */
  placedOrder(c: ConditionalSnapshot): OrderSnapshot | undefined {
    if (c.orderId === null) return undefined;
    const id = c.orderId;
    return this.view?.orders.find((o) => o.orderId === id) ?? this.exchange.history.finishedOrder(this.accountId, id);
  }

  /** TP/SL legs grouped into XT profit objects, newest first (groupProfits). */
  profits(legs: readonly ConditionalSnapshot[]): ProfitGroup[] {
    return groupProfits(legs);
  }

  /**
   * The take-profit / stop-loss a position shows (XT's active-position `profitId` and prices): its
   * whole-position (FULL) legs when it has them, else its oldest waiting pair.
   */
  positionProfit(symbol: string, positionSide: ConditionalSnapshot['positionSide']): ProfitGroup | undefined {
    const legs = this.waiting('PROFIT').filter((c) => c.symbol === symbol && c.positionSide === positionSide);
    const full = legs.filter((c) => c.tpslMode === 'FULL');
    const groups = this.profits(full.length > 0 ? full : legs);
    return groups[groups.length - 1];
  }

  /**
   * The profit object a profit id names: its pair id, or either leg's id (an order's sourceId is the
   * fired leg's id). A waiting leg of the pair wins over an ended one that had the id.
   */
  profit(id: number): ProfitGroup | undefined {
    const leg = this.waiting('PROFIT').find((c) => c.pairId === id || c.conditionalId === id) ?? this.find(id);
    if (leg === undefined || familyOf(leg) !== 'PROFIT') return undefined;
    if (leg.tpslMode === 'FULL' && leg.state === 'WAITING') return this.positionProfit(leg.symbol, leg.positionSide);
    const partner = leg.ocoId === null ? undefined : this.find(leg.ocoId);
    return this.profits(partner === undefined ? [leg] : [leg, partner])[0];
  }
}
