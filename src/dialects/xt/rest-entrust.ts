/**
 * XT's conditional-order endpoints under /future/trade/v1/entrust (docs/futures/Entrust/*.mdx):
 * plan (trigger) orders, position take-profit / stop-loss (profit) and trailing (track) orders —
 * create, cancel, cancel-all, list, detail, history — and order-entrust/list (orders and plans in
 * one list). Requests become engine commands in entrust-params.ts; objects are built in
 * entrust-objects.ts. A create answers the new id as a string (ccxt reads `result` as the id; XT's
 * examples show an empty placeholder), a cancel the cancelled id, a cancel-all `true`.
 */
import type { FastifyInstance } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ConditionalKind, ConditionalSnapshot, CommandResult, OrderSnapshot } from '../../engine/types.js';
import type { CommandInput, Exchange } from '../../service/exchange.js';
import { AccountConditionals, familyOf, type ProfitGroup, type XtFamily } from './conditionals.js';
import {
  entrustStateMatches, profitState, XT_ENTRUST_STATES, xtConditionalSide, xtEntrustState, xtPlan, xtProfit, xtTrack, type XtEntrustState,
} from './entrust-objects.js';
import { planCommand, profitCommand, profitUpdateOf, sourcePrice, trackCommand } from './entrust-params.js';
import { fromEngineError, invalidParams, ok, XtError } from './envelope.js';
import { entrustRow, orderRow } from './order-entrust.js';
import { idPage, inTimeRange, page, XT_HISTORY_LIMITS } from './paging.js';
import {
  callerOf, onHost, onlyParams, optionalBoolean, optionalEnum, optionalInteger, paramsOf, requiredEnum, requiredInteger, symbolOf, type Params,
} from './params.js';
import { venueSymbols } from './venue.js';
import type { XtRestOptions } from './rest.js';
import { xtOrderPositionSide } from './encode.js';

const E = '/future/trade/v1/entrust';
const MAX_ID = Number.MAX_SAFE_INTEGER;
const KINDS: Record<XtFamily, readonly ConditionalKind[]> = { PLAN: ['PLAN'], PROFIT: ['TAKE_PROFIT', 'STOP_LOSS'], TRACK: ['TRAILING'] };
const LIST_STATES = [...XT_ENTRUST_STATES, 'UNFINISHED', 'HISTORY'] as const;
/** The id parameter and XT's error word for an unknown id, per family (plan-detail, profit-detail, track-detail). */
const ID_PARAM: Record<XtFamily, { name: string; unknown: string; what: string }> = {
  PLAN: { name: 'entrustId', unknown: 'invalid_entrust_Id', what: 'plan order' },
  PROFIT: { name: 'profitId', unknown: 'invalid_profit_id', what: 'take-profit / stop-loss' },
  TRACK: { name: 'trackId', unknown: 'invalid_track_Id', what: 'trailing order' },
};

/** An unknown or ended conditional id: ORDER_005 (ccxt InvalidOrder), with XT's own word first. */
const unknownId = (family: XtFamily, id: number, waiting: boolean): XtError =>
  new XtError('ORDER_005', `order not exist: ${ID_PARAM[family].unknown}: ${ID_PARAM[family].what} ${id} is not ${waiting ? 'a waiting' : 'an'} ${ID_PARAM[family].what} of this account`);

/** The engine's answer to a conditional command, or its XT error. */
async function run(exchange: Exchange, command: CommandInput): Promise<Extract<CommandResult, { ok: true }>> {
  const { result } = await exchange.execute(command);
  if (!result.ok) throw fromEngineError(result);
  return result;
}

export async function entrustRoutes(app: FastifyInstance, options: XtRestOptions): Promise<void> {
  const { exchange } = options;
  const configOf = (symbol: string): SymbolConfig => exchange.engine.symbols().find((c) => c.symbol === symbol)!;
  const book = (accountId: number) => AccountConditionals.of(exchange, accountId, options.venue);
  const positionOf = (accountId: number, c: ConditionalSnapshot) =>
    exchange.engine.account(accountId)?.view.positions.find((p) => p.symbol === c.symbol && p.positionSide === c.positionSide);

  const plan = (conditionals: AccountConditionals, c: ConditionalSnapshot) => xtPlan(c, configOf(c.symbol), conditionals.placedOrder(c));
  const track = (conditionals: AccountConditionals, c: ConditionalSnapshot) =>
    xtTrack(c, configOf(c.symbol), conditionals.placedOrder(c), sourcePrice(exchange, c.symbol, c.triggerSource));
  const profit = (conditionals: AccountConditionals, group: ProfitGroup) => {
    const legs = [group.takeProfit, group.stopLoss].filter((l): l is ConditionalSnapshot => l !== null);
    const fired = legs.find((l) => l.orderId !== null);
    return xtProfit(group, configOf(legs[0]!.symbol), positionOf(conditionals.accountId, legs[0]!), fired === undefined ? undefined : conditionals.placedOrder(fired));
  };

  /** A waiting conditional of the family by the request's id parameter, or ORDER_005. */
  const waitingOne = (conditionals: AccountConditionals, family: XtFamily, params: Params): ConditionalSnapshot => {
    const id = requiredInteger(params, ID_PARAM[family].name, 1, MAX_ID);
    const found = conditionals.waiting(family).find((c) => c.conditionalId === id);
    if (found === undefined) throw unknownId(family, id, true);
    return found;
  };

  /** Filters of the page lists: symbol, time window, state (XT's names, UNFINISHED / HISTORY). */
  const listed = <T>(items: T[], params: Params, symbolOfItem: (item: T) => string, timeOf: (item: T) => number, stateOf: ((item: T) => XtEntrustState) | null): T[] => {
    const symbol = symbolOf(options, params, false)?.symbol;
    const state = stateOf === null ? undefined : requiredEnum(params, 'state', LIST_STATES);
    return items.filter((item) => (symbol === undefined || symbolOfItem(item) === symbol) && inTimeRange(timeOf(item), params) &&
      (state === undefined || stateOf === null || entrustStateMatches(stateOf(item), state)));
  };

  /** Cancels every waiting conditional of the family, of one symbol or all. */
  const cancelAll = async (accountId: number, params: Params, family: XtFamily) => {
    onlyParams(params, ['symbol']);
    const config = symbolOf(options, params, false);
    // Without a symbol: every symbol of this host, never the other host's.
    for (const symbol of config === undefined ? venueSymbols(exchange, options.venue) : [config]) {
      await run(exchange, { type: 'cancelAllConditionals', accountId, symbol: symbol.symbol, kinds: KINDS[family] });
    }
    return ok(true);
  };

  const cancelOne = async (accountId: number, params: Params, family: XtFamily) => {
    onlyParams(params, [ID_PARAM[family].name]);
    const c = waitingOne(book(accountId), family, params);
    await run(exchange, { type: 'cancelConditional', accountId, symbol: c.symbol, conditionalId: c.conditionalId });
    return ok(String(c.conditionalId));
  };

  const created = (result: Extract<CommandResult, { ok: true }>): ConditionalSnapshot => {
    if (result.kind === 'conditional') return result.conditional;
    throw new XtError('fail', `internal error: unexpected engine answer ${result.kind}`, 500);
  };

  // --- plan (trigger) orders -------------------------------------------------------------------

  app.post(`${E}/create-plan`, async (request) => {
    const accountId = callerOf(request);
    return ok(String(created(await run(exchange, planCommand(options, accountId, paramsOf(request)))).conditionalId));
  });
  app.post(`${E}/cancel-plan`, async (request) => cancelOne(callerOf(request), paramsOf(request), 'PLAN'));
  app.post(`${E}/cancel-all-plan`, async (request) => cancelAll(callerOf(request), paramsOf(request), 'PLAN'));

  app.get(`${E}/plan-list`, async (request) => {
    const conditionals = book(callerOf(request));
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'page', 'size', 'startTime', 'endTime', 'state']);
    const items = listed(conditionals.all('PLAN'), params, (c) => c.symbol, (c) => c.createTime, xtEntrustState);
    const paged = page(items, params);
    return ok({ ...paged, items: paged.items.map((c) => plan(conditionals, c)) });
  });
  app.get(`${E}/plan-detail`, async (request) => detail(callerOf(request), paramsOf(request), 'PLAN'));
  app.get(`${E}/plan-list-history`, async (request) => history(callerOf(request), paramsOf(request), 'PLAN'));

  // --- position take-profit / stop-loss ---------------------------------------------------------

  app.post(`${E}/create-profit`, async (request) => {
    const accountId = callerOf(request);
    const result = await run(exchange, profitCommand(options, accountId, paramsOf(request)));
    const legs = result.kind === 'conditionals' ? result.conditionals.filter((c) => c.state === 'WAITING') : [];
    const group = book(accountId).profits(legs)[0];
    if (group === undefined) throw new XtError('fail', 'internal error: the engine created no take-profit / stop-loss', 500);
    return ok(String(group.profitId));
  });

  app.post(`${E}/update-profit-stop`, async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['profitId', 'triggerProfitPrice', 'triggerStopPrice']);
    const id = requiredInteger(params, 'profitId', 1, MAX_ID);
    const group = book(accountId).profit(id);
    if (group === undefined || profitState(group) !== 'NOT_TRIGGERED') throw unknownId('PROFIT', id, true);
    const first = (group.takeProfit ?? group.stopLoss)!;
    const prices = profitUpdateOf(exchange, params, configOf(first.symbol), xtConditionalSide(first), first.triggerSource);
    const amend = [
      { leg: group.takeProfit, price: prices.takeProfit, name: 'triggerProfitPrice', what: 'take-profit' },
      { leg: group.stopLoss, price: prices.stopLoss, name: 'triggerStopPrice', what: 'stop-loss' },
    ].filter((a) => a.price !== undefined);
    for (const a of amend) {
      if (a.leg === null || a.leg.state !== 'WAITING') throw invalidParams(`${a.name}: profit ${group.profitId} has no waiting ${a.what}; create one with create-profit`);
    }
    // One command per leg (the engine amends one conditional at a time); both were checked above. A leg
    // already at its price is left alone: amending it would be refused (NO_CHANGE) after the other leg
    // changed, answering an error for a request that half happened.
    const changing = amend.filter((a) => a.leg!.triggerPrice !== a.price);
    if (changing.length === 0) throw invalidParams(`profit ${group.profitId} already has these trigger prices`);
    for (const a of changing) {
      await run(exchange, { type: 'amendConditional', accountId, symbol: a.leg!.symbol, conditionalId: a.leg!.conditionalId, triggerPrice: a.price });
    }
    return ok(String(group.profitId));
  });

  app.post(`${E}/cancel-profit-stop`, async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['profitId']);
    const id = requiredInteger(params, 'profitId', 1, MAX_ID);
    const group = book(accountId).profit(id);
    const waiting = group === undefined ? [] : [group.takeProfit, group.stopLoss].filter((l): l is ConditionalSnapshot => l?.state === 'WAITING');
    if (group === undefined || waiting.length === 0) throw unknownId('PROFIT', id, true);
    for (const leg of waiting) await run(exchange, { type: 'cancelConditional', accountId, symbol: leg.symbol, conditionalId: leg.conditionalId });
    return ok(String(group.profitId));
  });
  app.post(`${E}/cancel-all-profit-stop`, async (request) => cancelAll(callerOf(request), paramsOf(request), 'PROFIT'));

  app.get(`${E}/profit-list`, async (request) => {
    const conditionals = book(callerOf(request));
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'page', 'size', 'startTime', 'endTime', 'state']);
    const groups = listed(conditionals.profits(conditionals.all('PROFIT')), params, symbolOfGroup, createTimeOfGroup, profitState);
    const paged = page(groups, params);
    return ok({ ...paged, items: paged.items.map((g) => profit(conditionals, g)) });
  });
  app.get(`${E}/profit-detail`, async (request) => detail(callerOf(request), paramsOf(request), 'PROFIT'));

  // History by page number `id` (from 1) as XT documents for this list; NEXT / PREVIOUS accepted.
  app.get(`${E}/profit-list-history`, async (request) => {
    const conditionals = book(callerOf(request));
    const params = paramsOf(request);
    onlyParams(params, ['id', 'limit', 'startTime', 'endTime', 'symbol', 'direction']);
    optionalEnum(params, 'direction', ['NEXT', 'PREVIOUS'] as const);
    const pageNumber = optionalInteger(params, 'id', 1, 1_000_000) ?? 1;
    const limit = optionalInteger(params, 'limit', 1, XT_HISTORY_LIMITS.maxLimit) ?? XT_HISTORY_LIMITS.defaultLimit;
    const groups = listed(conditionals.profits(conditionals.all('PROFIT')), params, symbolOfGroup, createTimeOfGroup, null);
    const items = groups.slice((pageNumber - 1) * limit, pageNumber * limit);
    return ok({ hasPrev: pageNumber > 1, hasNext: pageNumber * limit < groups.length, items: items.map((g) => profit(conditionals, g)) });
  });

  // --- trailing (track) orders -----------------------------------------------------------------

  app.post(`${E}/create-track`, async (request) => {
    const accountId = callerOf(request);
    return ok(String(created(await run(exchange, trackCommand(options, accountId, paramsOf(request)))).conditionalId));
  });
  app.post(`${E}/cancel-track`, async (request) => cancelOne(callerOf(request), paramsOf(request), 'TRACK'));
  app.post(`${E}/cancel-all-track`, async (request) => cancelAll(callerOf(request), paramsOf(request), 'TRACK'));

  // The active trailing orders (XT: "all active"); ended ones are in track-list-history.
  app.get(`${E}/track-list`, async (request) => {
    const conditionals = book(callerOf(request));
    const params = paramsOf(request);
    onlyParams(params, ['page', 'size', 'startTime', 'endTime', 'symbol']);
    const items = listed([...conditionals.waiting('TRACK')].reverse(), params, (c) => c.symbol, (c) => c.createTime, null);
    const paged = page(items, params);
    return ok({ ...paged, items: paged.items.map((c) => track(conditionals, c)) });
  });
  app.get(`${E}/track-detail`, async (request) => detail(callerOf(request), paramsOf(request), 'TRACK'));
  app.get(`${E}/track-list-history`, async (request) => history(callerOf(request), paramsOf(request), 'TRACK'));

  // --- shared readers --------------------------------------------------------------------------

  async function detail(accountId: number, params: Params, family: XtFamily) {
    onlyParams(params, [ID_PARAM[family].name]);
    const conditionals = book(accountId);
    const id = requiredInteger(params, ID_PARAM[family].name, 1, MAX_ID);
    if (family === 'PROFIT') {
      const group = conditionals.profit(id);
      if (group === undefined) throw unknownId(family, id, false);
      return ok(profit(conditionals, group));
    }
    const c = conditionals.find(id);
    if (c === undefined || familyOf(c) !== family) throw unknownId(family, id, false);
    return ok(family === 'PLAN' ? plan(conditionals, c) : track(conditionals, c));
  }

  /**
   * plan-list-history (every plan, as order/list-history lists every order) and track-list-history
   * (XT: the inactive ones): newest first, paged by `id` and `direction`.
   */
  async function history(accountId: number, params: Params, family: 'PLAN' | 'TRACK') {
    onlyParams(params, ['symbol', 'direction', 'id', 'limit', 'startTime', 'endTime']);
    const conditionals = book(accountId);
    const all = family === 'PLAN' ? conditionals.all(family) : conditionals.finished(family);
    const items = listed(all, params, (c) => c.symbol, (c) => c.createTime, null).reverse();
    const paged = idPage(items, (c) => c.conditionalId, params);
    const show = family === 'PLAN' ? plan : track;
    // XT's track history spells the flag hasPre.
    const flags = family === 'PLAN' ? { hasPrev: paged.hasPrev } : { hasPre: paged.hasPrev };
    return ok({ ...flags, hasNext: paged.hasNext, items: paged.items.map((c) => show(conditionals, c)) });
  }

  // --- order-entrust/list ----------------------------------------------------------------------

  const ORDER_ENTRUST_STATES = ['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'PLACED', 'UNFINISHED', 'HISTORY'] as const;
  app.get('/future/trade/v1/order-entrust/list', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['page', 'size', 'startTime', 'endTime', 'symbol', 'type', 'state', 'forceClose']);
    const symbol = symbolOf(options, params, false)?.symbol;
    const type = optionalEnum(params, 'type', ['ORDER', 'ENTRUST'] as const) ?? 'ORDER';
    const state = optionalEnum(params, 'state', ORDER_ENTRUST_STATES);
    const forceClose = optionalBoolean(params, 'forceClose');
    const keep = (s: string, itemSymbol: string, time: number): boolean =>
      (symbol === undefined || itemSymbol === symbol) && inTimeRange(time, params) && (state === undefined || stateMatches(s, state));
    if (type === 'ORDER') {
      const live = exchange.engine.account(accountId)?.view.orders ?? [];
      const orders: OrderSnapshot[] = [...live].reverse().concat(exchange.history.finishedOrders(accountId))
        .filter((o) => onHost(options, o.symbol) && (forceClose === undefined || (o.source !== 'USER') === forceClose));
      const rows = orders.map((o) => orderRow(o, configOf(o.symbol), xtOrderPositionSide(o))).filter((r) => keep(r.state as string, r.symbol as string, r.createdTime as number));
      return ok(page(rows, params));
    }
    const conditionals = book(accountId);
    const rows = forceClose === true ? [] : conditionals.all().map((c) => entrustRow(c, configOf(c.symbol), conditionals.placedOrder(c)))
      .filter((r) => keep(r.state as string, r.symbol as string, r.createdTime as number));
    return ok(page(rows, params));
  });
}

const legsOf = (g: ProfitGroup): ConditionalSnapshot[] => [g.takeProfit, g.stopLoss].filter((l): l is ConditionalSnapshot => l !== null);
const symbolOfGroup = (g: ProfitGroup): string => legsOf(g)[0]!.symbol;
const createTimeOfGroup = (g: ProfitGroup): number => Math.min(...legsOf(g).map((l) => l.createTime));

/** order-entrust/list's state filter: UNFINISHED = still working, HISTORY = ended. */
function stateMatches(state: string, wanted: string): boolean {
  const working = state === 'NEW' || state === 'PARTIALLY_FILLED';
  if (wanted === 'UNFINISHED') return working;
  if (wanted === 'HISTORY') return !working;
  return state === wanted;
}
