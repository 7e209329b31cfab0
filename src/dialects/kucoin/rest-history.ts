/**
 * KuCoin futures' history readers over the service ledger (src/service/ledger.ts):
 * `GET /api/v1/funding-history` (funding settlements of a contract), `GET /api/v1/transaction-history`
 * (the futures account ledger) and `GET /api/v1/history-positions` (closed positions); on the spot
 * host `GET /api/v1/accounts` (ccxt's loadAccounts before fetchLedger: no spot accounts here).
 * Pagination and windows as KuCoin documents them; parameters it does not document are refused
 * with 400100.
 */
import type { FastifyInstance } from 'fastify';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ClosedPosition, LedgerRow } from '../../service/ledger.js';
import { byFill, sumOf, withinTime } from '../../service/ledger.js';
import { badParam, ok } from './envelope.js';
import type { JsonValue } from './json.js';
import { callerOf, optionalBoolean, optionalEnum, optionalInteger, optionalString, paramsOf, symbolOf, type Params } from './params.js';
import type { KucoinRestOptions } from './rest.js';
import { kucoinCurrency, type KucoinSymbols } from './symbols.js';
import { amountNum, averagePriceText, priceNum, rateNum, valueOf } from './values.js';

const DAY = 24 * 3600_000;

/** KuCoin's page sizes: funding-history 10 by default, transaction-history 50, history-positions 10 (max 200); our ceilings where KuCoin states none. */
export const FUNDING_HISTORY_LIMITS = { defaultCount: 10, maxCount: 100 } as const;
export const TRANSACTION_HISTORY_LIMITS = { defaultCount: 50, maxCount: 200, windowMs: DAY } as const;
export const POSITION_HISTORY_LIMITS = { defaultLimit: 10, maxLimit: 200 } as const;

const TRANSACTION_TYPES = ['RealisedPNL', 'Deposit', 'Withdrawal', 'TransferIn', 'TransferOut'] as const;

export function onlyParams(params: Params, allowed: readonly string[]): void {
  const unknown = Object.keys(params).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw badParam(`${unknown.join(', ')}: not a parameter of this endpoint (send ${allowed.join(', ')})`);
}

/**
 * KuCoin's offset paging over items that carry a unique increasing offset: newest first (or oldest
 * first with reverse=false); `offset` continues after that item in this order (forward=true, the
 * default) or returns the page before it (forward=false).
 */
export function offsetPage<T>(items: readonly T[], offsetOf: (item: T) => number, params: Params, count: number): { page: T[]; hasMore: boolean } {
  const reverse = optionalBoolean(params, 'reverse') ?? true;
  const forward = optionalBoolean(params, 'forward') ?? true;
  const offset = optionalInteger(params, 'offset', -1, Number.MAX_SAFE_INTEGER);
  const ordered = reverse ? [...items].reverse() : [...items];
  if (offset === undefined || offset < 0) return { page: ordered.slice(0, count), hasMore: ordered.length > count };
  const comesAfter = (item: T): boolean => (reverse ? offsetOf(item) < offset : offsetOf(item) > offset);
  if (forward) {
    const rest = ordered.filter(comesAfter);
    return { page: rest.slice(0, count), hasMore: rest.length > count };
  }
  const before = ordered.filter((item) => !comesAfter(item) && offsetOf(item) !== offset);
  return { page: before.slice(Math.max(0, before.length - count)), hasMore: before.length > count };
}

function transactionType(row: LedgerRow): (typeof TRANSACTION_TYPES)[number] {
  switch (row.kind) {
    case 'DEPOSIT': return 'Deposit';
    case 'WITHDRAW': return 'Withdrawal';
    // KuCoin books fills, funding and a liquidation's clearance as realised PnL.
    default: return 'RealisedPNL';
  }
}

function transactionRow(symbols: KucoinSymbols, group: readonly LedgerRow[]): JsonValue {
  const first = group[0]!;
  const last = group[group.length - 1]!;
  return {
    time: first.time,
    type: transactionType(first),
    amount: amountNum(sumOf(group)),
    fee: amountNum(-sumOf(group, 'FEE')),
    // The wallet after the entry (KuCoin's account equity without open positions' PnL).
    accountEquity: amountNum(last.balanceAfter),
    status: 'Completed',
    // A contract KuCoin does not list (a USDT-margined quarterly traded through another dialect) is not named.
    remark: first.symbol === null || !symbols.listed(first.symbol) ? '' : first.kind === 'FUNDING' ? `Funding fee ${symbols.name(first.symbol)}` : symbols.name(first.symbol),
    offset: first.id,
    currency: kucoinCurrency(first.asset),
  };
}

function fundingRow(symbols: KucoinSymbols, row: LedgerRow): JsonValue {
  const config = symbols.config(row.symbol!);
  // KuCoin's cost sign: qty × multiplier × price for linear, qty × multiplier / price for inverse (multiplier < 0).
  const value = BigInt(Math.sign(row.qty!) * (config.inverse ? -1 : 1)) * valueOf(config, Math.abs(row.qty!), row.price!);
  return {
    id: row.id,
    symbol: symbols.name(row.symbol!),
    timePoint: row.time,
    fundingRate: rateNum(row.fundingRate!),
    markPrice: priceNum(config, row.price!),
    positionQty: row.qty!,
    positionCost: amountNum(value),
    funding: amountNum(row.amount),
    settleCurrency: kucoinCurrency(row.asset),
    context: JSON.stringify({ positionSide: row.positionSide }),
  };
}

function closeType(c: ClosedPosition): string {
  const prefix = c.closedBy === 'LIQUIDATION' ? 'LIQUID' : c.closedBy === 'ADL' ? 'ADL' : 'CLOSE';
  return `${prefix}_${c.direction}`;
}

function positionRow(symbols: KucoinSymbols, config: SymbolConfig, c: ClosedPosition, accountId: number): JsonValue {
  const net = c.realizedPnl - c.openFees - c.closeFees + c.funding;
  return {
    closeId: String(c.id),
    positionId: `${c.id}-${c.openTime}`,
    userId: String(accountId),
    symbol: symbols.name(c.symbol),
    settleCurrency: kucoinCurrency(config.settleAsset),
    leverage: String(c.leverage),
    type: closeType(c),
    side: c.direction === 'LONG' ? 'LONG' : 'SHORT',
    closeSize: c.direction === 'LONG' ? -c.qty : c.qty,
    // Net of fees and funding; realisedGrossCost is the gross PnL's negative (KuCoin's cost sign).
    pnl: amountNum(net),
    realisedGrossCost: amountNum(-c.realizedPnl),
    withdrawPnl: amountNum(0n),
    tradeFee: amountNum(c.openFees + c.closeFees),
    fundingFee: amountNum(c.funding),
    openTime: c.openTime,
    closeTime: c.closeTime,
    openPrice: averagePriceText(config, c.openCost, c.qty),
    closePrice: averagePriceText(config, c.closeCost, c.qty),
    marginMode: c.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
  };
}

/** startAt / endAt of transaction-history: at most a day apart; one alone spans the day from (or to) it. */
function dayWindow(params: Params): { start: number | undefined; end: number | undefined } {
  const start = optionalInteger(params, 'startAt', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endAt', 0, Number.MAX_SAFE_INTEGER);
  if (start !== undefined && end !== undefined) {
    if (start >= end) throw badParam('startAt must be less than endAt');
    if (end - start > TRANSACTION_HISTORY_LIMITS.windowMs) throw badParam('endAt - startAt must be at most 1 day');
    return { start, end };
  }
  if (start !== undefined) return { start, end: start + TRANSACTION_HISTORY_LIMITS.windowMs };
  if (end !== undefined) return { start: end - TRANSACTION_HISTORY_LIMITS.windowMs, end };
  return { start: undefined, end: undefined };
}

export async function historyRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  app.get('/api/v1/funding-history', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'startAt', 'endAt', 'reverse', 'offset', 'forward', 'maxCount']);
    const config = symbolOf(symbols, params, true);
    const start = optionalInteger(params, 'startAt', 0, Number.MAX_SAFE_INTEGER);
    const end = optionalInteger(params, 'endAt', 0, Number.MAX_SAFE_INTEGER);
    const count = optionalInteger(params, 'maxCount', 1, FUNDING_HISTORY_LIMITS.maxCount) ?? FUNDING_HISTORY_LIMITS.defaultCount;
    const rows = withinTime(exchange.ledger.rows(accountId), (r) => r.time, start, end).filter((r) => r.kind === 'FUNDING' && r.symbol === config.symbol);
    const { page, hasMore } = offsetPage(rows, (r) => r.id, params, count);
    return ok({ dataList: page.map((r) => fundingRow(symbols, r)), hasMore });
  });

  app.get('/api/v1/transaction-history', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['startAt', 'endAt', 'type', 'offset', 'forward', 'maxCount', 'currency']);
    const type = optionalEnum(params, 'type', TRANSACTION_TYPES);
    const currency = optionalString(params, 'currency');
    const count = optionalInteger(params, 'maxCount', 1, TRANSACTION_HISTORY_LIMITS.maxCount) ?? TRANSACTION_HISTORY_LIMITS.defaultCount;
    const { start, end } = dayWindow(params);
    const groups = byFill(withinTime(exchange.ledger.rows(accountId), (r) => r.time, start, end))
      .filter((group) => (type === undefined || transactionType(group[0]!) === type) && (currency === undefined || kucoinCurrency(group[0]!.asset) === currency));
    const { page, hasMore } = offsetPage(groups, (group) => group[0]!.id, params, count);
    return ok({ hasMore, dataList: page.map((group) => transactionRow(symbols, group)) });
  });

  app.get('/api/v1/history-positions', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'from', 'to', 'limit', 'pageId']);
    const config = symbolOf(symbols, params, false);
    const from = optionalInteger(params, 'from', 0, Number.MAX_SAFE_INTEGER);
    const to = optionalInteger(params, 'to', 0, Number.MAX_SAFE_INTEGER);
    const limit = optionalInteger(params, 'limit', 1, POSITION_HISTORY_LIMITS.maxLimit) ?? POSITION_HISTORY_LIMITS.defaultLimit;
    const pageId = optionalInteger(params, 'pageId', 1, 1_000_000) ?? 1;
    const closed = withinTime(exchange.ledger.closedPositions(accountId), (c) => c.closeTime, from, to)
      .filter((c) => symbols.listed(c.symbol) && (config === undefined || c.symbol === config.symbol)).reverse();
    const items = closed.slice((pageId - 1) * limit, pageId * limit).map((c) => positionRow(symbols, symbols.config(c.symbol), c, accountId));
    return ok({ currentPage: pageId, pageSize: limit, totalNum: closed.length, totalPage: Math.ceil(closed.length / limit), items });
  });
}

/** The spot host's account list: ccxt's fetchLedger loads it first. Futures accounts are not spot accounts: none. */
export async function spotHistoryRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/accounts', async (request) => {
    callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['currency', 'type']);
    return ok([]);
  });
}
