/**
 * KuCoin's stop orders over REST (docs/dialects/kucoin.md, "Stop orders"): what the order routes
 * need to know of them (a stop order is cancelled and queried by its id and clientOid like any
 * order; an order a stop order placed shows its stop fields), and the stop-order routes:
 *   GET    /api/v1/stopOrders   the untriggered stop orders, newest first, paged as GET /api/v1/orders
 *   DELETE /api/v1/stopOrders   cancels every untriggered stop order (of `symbol` when given)
 */
import type { FastifyInstance } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalSnapshot, OrderSnapshot } from '../../engine/types.js';
import type { AccountView } from '../../engine/view.js';
import type { Exchange } from '../../service/exchange.js';
import { NO_STOP, restStopOrder, stopFields, type OrderSettings, type StopFields } from './encode-stop.js';
import { fromEngineError, ok } from './envelope.js';
import type { JsonObject } from './encode-position.js';
import { inTimeRange, page } from './paging.js';
import { callerOf, optionalEnum, paramsOf, symbolOf } from './params.js';
import { accountState } from './rest-account.js';
import type { KucoinSymbols } from './symbols.js';

/** The account's leverage and margin mode on the order's contract (a KuCoin order object shows both). */
export function settingsOf(view: AccountView, symbol: string): OrderSettings {
  const settings = view.settings.find((s) => s.symbol === symbol);
  return { leverage: settings?.leverage ?? 1, marginMode: settings?.marginMode ?? 'ISOLATED' };
}

/** The stop orders and their history as the order routes see them. */
export class StopOrders {
  constructor(private readonly exchange: Exchange, private readonly symbols: KucoinSymbols) {}

  /** The account's untriggered stop orders, newest first. */
  waiting(accountId: number): ConditionalSnapshot[] {
    return [...(this.exchange.engine.account(accountId)?.view.conditionals ?? [])].filter((c) => this.symbols.listed(c.symbol)).reverse();
  }

  findWaiting(accountId: number, match: (c: ConditionalSnapshot) => boolean): ConditionalSnapshot | undefined {
    return this.exchange.engine.account(accountId)?.view.conditionals.find((c) => this.symbols.listed(c.symbol) && match(c));
  }

  /**
   * A stop order that ended without an order KuCoin would show (cancelled, expired, or refused at
   * trigger); a triggered one is shown as the order it placed.
   */
  findEnded(accountId: number, match: (c: ConditionalSnapshot) => boolean): ConditionalSnapshot | undefined {
    return this.exchange.history.finishedConditionals(accountId).find((c) => c.state !== 'TRIGGERED' && this.symbols.listed(c.symbol) && match(c));
  }

  /** Whether `id` is a stop order that has ended (so it cannot be cancelled any more). */
  hasEnded(accountId: number, id: number): boolean {
    return this.exchange.history.finishedConditional(accountId, id) !== undefined;
  }

  /** The stop fields of an order: those of the stop order that placed it, if one did. */
  fieldsOf(order: OrderSnapshot, config: SymbolConfig): StopFields {
    if (order.conditionalId === null) return NO_STOP;
    const stop = this.exchange.history.finishedConditional(order.accountId, order.conditionalId);
    // Past History's bound the stop order itself is gone: the order still says it was one.
    return stop === undefined ? { ...NO_STOP, stopTriggered: true } : stopFields(stop, config);
  }

  /** The REST object of a stop order that has not placed an order. */
  restObject(c: ConditionalSnapshot): JsonObject {
    const view = accountState(this.exchange, c.accountId).view;
    return restStopOrder(c, this.symbols.config(c.symbol), this.symbols.name(c.symbol), settingsOf(view, c.symbol));
  }
}

export function stopOrderRoutes(app: FastifyInstance, exchange: Exchange, symbols: KucoinSymbols, stops: StopOrders): void {
  app.get('/api/v1/stopOrders', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    const symbol = symbolOf(symbols, params, false)?.symbol;
    const side = optionalEnum(params, 'side', ['buy', 'sell'] as const);
    const type = optionalEnum(params, 'type', ['limit', 'market'] as const);
    const waiting = stops.waiting(accountId).filter((c) => (symbol === undefined || c.symbol === symbol) &&
      (side === undefined || c.side === side.toUpperCase()) && (type === undefined || c.orderType === type.toUpperCase()) && inTimeRange(c.createTime, params));
    const paged = page(waiting, params);
    return ok({ ...paged, items: paged.items.map((c) => stops.restObject(c)) });
  });

  // KuCoin: "Cancel all untriggered stop orders … To cancel triggered stop orders, please use
  // 'Limit Order Mass Cancelation'" (DELETE /api/v1/orders).
  app.delete('/api/v1/stopOrders', async (request) => {
    const accountId = callerOf(request);
    const symbol = symbolOf(symbols, paramsOf(request), false);
    accountState(exchange, accountId);
    const { result } = await exchange.execute({ type: 'cancelAllConditionals', accountId, ...(symbol === undefined ? {} : { symbol: symbol.symbol }) });
    if (!result.ok) throw fromEngineError(result);
    const cancelled = result.kind === 'conditionals' ? result.conditionals.map((c) => String(c.conditionalId)) : [];
    return ok({ cancelledOrderIds: cancelled });
  });
}
