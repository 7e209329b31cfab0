/**
 * XT's history readers over the service ledger (src/service/ledger.ts):
 * `GET /future/user/v1/balance/bills` (account flow), `GET /future/user/v1/balance/funding-rate-list`
 * (funding fees) and `GET /future/trade/v1/position/list-history` (closed positions). Paging as XT
 * documents it: bills and funding by record `id` and `direction` (NEXT: older, PREV: newer), newest
 * first; position history by page number `id`. Parameters XT does not document are refused
 * (COMMON_003 invalid_params).
 */
import type { FastifyInstance } from 'fastify';
import { formatAmount } from '../../engine/fixed.js';
import { formatAveragePrice } from '../../engine/format.js';
import type { Exchange } from '../../service/exchange.js';
import type { ClosedPosition, LedgerRow } from '../../service/ledger.js';
import { withinTime } from '../../service/ledger.js';
import { ok } from './envelope.js';
import { xtRestContractType } from './encode.js';
import { idPage, XT_HISTORY_LIMITS } from './paging.js';
import { walletOnVenue } from './venue.js';
import { callerOf, onHost, onlyParams, optionalEnum, optionalInteger, paramsOf, symbolOf, type Params } from './params.js';
import type { XtRestOptions } from './rest.js';

function billType(row: LedgerRow): string {
  switch (row.kind) {
    case 'DEPOSIT':
    case 'WITHDRAW': return 'EXCHANGE';
    case 'FUNDING': return 'FUND';
    case 'FEE': return 'FEE';
    case 'INSURANCE_CLEAR': return 'QIANG_PING_MANAGER';
    default: return row.source === 'ADL' ? 'ADL' : 'CLOSE_POSITION';
  }
}

const bill = (row: LedgerRow): Record<string, unknown> => ({
  id: row.id,
  symbol: row.symbol ?? '',
  coin: row.asset.toLowerCase(),
  type: billType(row),
  // The amount is unsigned: `side` says which way it went (ccxt reads it so).
  side: row.amount >= 0n ? 'ADD' : 'SUB',
  amount: formatAmount(row.amount < 0n ? -row.amount : row.amount),
  afterAmount: formatAmount(row.balanceAfter),
  createdTime: row.time,
});

const fundingFee = (row: LedgerRow): Record<string, unknown> => ({
  id: row.id,
  symbol: row.symbol!,
  coin: row.asset.toLowerCase(),
  positionSide: row.positionSide === 'BOTH' ? (row.qty! > 0 ? 'LONG' : 'SHORT') : row.positionSide,
  cast: formatAmount(row.amount),
  createdTime: row.time,
});

function historyPosition(exchange: Exchange, c: ClosedPosition): Record<string, unknown> {
  const config = exchange.engine.symbols().find((s) => s.symbol === c.symbol)!;
  return {
    id: String(c.id),
    positionSide: c.direction,
    contractType: xtRestContractType(config),
    symbol: c.symbol,
    positionType: c.marginMode === 'ISOLATED' ? 2 : 1,
    closeProfit: formatAmount(c.realizedPnl),
    closePositionSize: String(c.qty),
    closeOpenPrice: formatAveragePrice(config, c.openCost, c.qty),
    closePrice: formatAveragePrice(config, c.closeCost, c.qty),
    maxPositionSize: String(c.maxQty),
    openTime: c.openTime,
    closeTime: c.closeTime,
    startLeverage: c.leverage,
    endLeverage: c.leverage,
    working: false,
    force: c.closedBy !== 'USER',
    forceMarkPrice: null,
    totalFee: formatAmount(c.openFees + c.closeFees),
    totalFundFee: formatAmount(c.funding),
    welfareAccount: false,
  };
}

export async function historyRoutes(app: FastifyInstance, options: XtRestOptions): Promise<void> {
  const { exchange } = options;
  const timeOf = (row: LedgerRow): number => row.time;
  /** A ledger row of this host: its symbol's, or for a deposit or transfer its wallet's (venue.ts). */
  const rowOnHost = (row: LedgerRow): boolean =>
    (row.symbol === null || row.symbol === undefined ? walletOnVenue(exchange.engine.symbols(), options.venue, row.asset) : onHost(options, row.symbol));
  const window = (params: Params): [number | undefined, number | undefined] =>
    [optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER), optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER)];

  app.get('/future/user/v1/balance/bills', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'direction', 'id', 'limit', 'startTime', 'endTime']);
    const config = symbolOf(options, params, false);
    const rows = withinTime(exchange.ledger.rows(accountId), timeOf, ...window(params)).filter((r) => (config === undefined ? rowOnHost(r) : r.symbol === config.symbol));
    const page = idPage(rows, (r) => r.id, params);
    return ok({ hasPrev: page.hasPrev, hasNext: page.hasNext, items: page.items.map(bill) });
  });

  app.get('/future/user/v1/balance/funding-rate-list', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['symbol', 'direction', 'id', 'limit', 'startTime', 'endTime']);
    const config = symbolOf(options, params, false);
    const rows = withinTime(exchange.ledger.rows(accountId), timeOf, ...window(params))
      .filter((r) => r.kind === 'FUNDING' && (config === undefined ? rowOnHost(r) : r.symbol === config.symbol));
    const page = idPage(rows, (r) => r.id, params);
    return ok({ hasPrev: page.hasPrev, hasNext: page.hasNext, items: page.items.map(fundingFee) });
  });

  app.get('/future/trade/v1/position/list-history', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['id', 'direction', 'limit', 'symbol', 'startTime', 'endTime', 'positionType', 'isFullClose']);
    const config = symbolOf(options, params, false);
    optionalEnum(params, 'direction', ['NEXT', 'PREVIOUS'] as const);
    const pageNumber = optionalInteger(params, 'id', 1, 1_000_000) ?? 1;
    const limit = optionalInteger(params, 'limit', 1, XT_HISTORY_LIMITS.maxLimit) ?? XT_HISTORY_LIMITS.defaultLimit;
    const positionType = optionalInteger(params, 'positionType', 1, 2);
    // Every record here is a full close (a position is recorded when it is flat).
    const fullClose = optionalInteger(params, 'isFullClose', 0, 1);
    const closed = withinTime(exchange.ledger.closedPositions(accountId), (c) => c.closeTime, ...window(params)).filter((c) =>
      (config === undefined ? onHost(options, c.symbol) : c.symbol === config.symbol) && fullClose !== 0 &&
      (positionType === undefined || (positionType === 2) === (c.marginMode === 'ISOLATED'))).reverse();
    const items = closed.slice((pageNumber - 1) * limit, pageNumber * limit);
    return ok({ hasPrev: pageNumber > 1, hasNext: pageNumber * limit < closed.length, items: items.map((c) => historyPosition(exchange, c)) });
  });
}
