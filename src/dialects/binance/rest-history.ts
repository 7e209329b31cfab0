/**
 * Binance's history readers over the service ledger (src/service/ledger.ts): income
 * (`GET /fapi/v1/income`), the account's liquidation and ADL orders (`GET /fapi/v1/forceOrders`)
 * and the per-symbol configuration (`GET /fapi/v1/symbolConfig`). Parameters Binance does not
 * document for an endpoint are refused (-1104), never dropped.
 */
import type { FastifyInstance } from 'fastify';
import type { LedgerKind, LedgerRow } from '../../service/ledger.js';
import { withinTime } from '../../service/ledger.js';
import { BinanceError, ERR } from './errors.js';
import { enumParam, integerParam, optionalSymbol, type Params } from './params.js';
import { credentialOf } from './rest-account.js';
import type { BinanceRestOptions } from './rest.js';
import { accountOf, maxNotional, orderObject, rest8 } from './views.js';

/** Every income type Binance documents for /fapi/v1/income; perpstream produces the first five and DELIVERED_SETTELMENT. */
const INCOME_TYPES = [
  'TRANSFER', 'REALIZED_PNL', 'FUNDING_FEE', 'COMMISSION', 'INSURANCE_CLEAR', 'WELCOME_BONUS', 'REFERRAL_KICKBACK', 'COMMISSION_REBATE',
  'API_REBATE', 'CONTEST_REWARD', 'CROSS_COLLATERAL_TRANSFER', 'OPTIONS_PREMIUM_FEE', 'OPTIONS_SETTLE_PROFIT', 'INTERNAL_TRANSFER',
  'AUTO_EXCHANGE', 'DELIVERED_SETTELMENT', 'COIN_SWAP_DEPOSIT', 'COIN_SWAP_WITHDRAW', 'POSITION_LIMIT_INCREASE_FEE',
  'STRATEGY_UMFUTURES_TRANSFER', 'FEE_RETURN', 'BFUSD_REWARD',
] as const;

const INCOME_TYPE: Record<LedgerKind, (typeof INCOME_TYPES)[number]> = {
  REALIZED_PNL: 'REALIZED_PNL', FEE: 'COMMISSION', FUNDING: 'FUNDING_FEE', DEPOSIT: 'TRANSFER', WITHDRAW: 'TRANSFER', INSURANCE_CLEAR: 'INSURANCE_CLEAR',
  // Binance's spelling.
  DELIVERY: 'DELIVERED_SETTELMENT',
};

/** Binance's limits: income 100 by default, at most 1000; forceOrders 50, at most 100. Without a window, the last 7 days. */
export const INCOME_LIMITS = { defaultLimit: 100, maxLimit: 1000, defaultWindowMs: 7 * 24 * 3600_000 } as const;
export const FORCE_ORDER_LIMITS = { defaultLimit: 50, maxLimit: 100, defaultWindowMs: 7 * 24 * 3600_000 } as const;

/** Signature parameters every signed endpoint reads. */
const SIGNED = ['timestamp', 'signature', 'recvWindow'];

/** Binance refuses parameters an endpoint does not read (-1104). */
export function onlyParams(params: Params, allowed: readonly string[]): void {
  const unread = Object.keys(params).filter((name) => !allowed.includes(name) && !SIGNED.includes(name));
  if (unread.length > 0) {
    const sent = Object.keys(params).length;
    throw new BinanceError(ERR.UNKNOWN_PARAM, `Not all sent parameters were read; read '${sent - unread.length}' parameter(s) but was sent '${sent}'. (not read: ${unread.join(', ')})`);
  }
}

/** startTime / endTime (inclusive); without either, the `defaultWindowMs` before endTime (or now). */
function timeWindow(params: Params, now: number, defaultWindowMs: number): { start: number; end: number } {
  const start = integerParam(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = integerParam(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  if (start !== undefined && end !== undefined && start > end) {
    throw new BinanceError(ERR.INVALID_PARAM, 'Start time is greater than end time.');
  }
  if (start === undefined) {
    const until = end ?? now;
    return { start: until - defaultWindowMs, end: until };
  }
  return { start, end: end ?? Number.MAX_SAFE_INTEGER };
}

function incomeObject(symbols: BinanceRestOptions['symbols'], row: LedgerRow): Record<string, unknown> {
  const type = INCOME_TYPE[row.kind];
  return {
    symbol: row.symbol === null ? '' : symbols.of(row.symbol).name,
    incomeType: type,
    income: rest8(row.amount),
    asset: row.asset,
    info: row.kind === 'DEPOSIT' ? 'DEPOSIT' : row.kind === 'WITHDRAW' ? 'WITHDRAW' : type,
    time: row.time,
    tranId: row.id,
    tradeId: row.tradeId === null ? '' : String(row.tradeId),
  };
}

export async function historyRoutes(app: FastifyInstance, options: BinanceRestOptions): Promise<void> {
  const { exchange, symbols, api } = options;

  app.get(`/${api}/v1/income`, async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyParams(params, ['symbol', 'incomeType', 'startTime', 'endTime', 'page', 'limit']);
    const symbol = optionalSymbol(params, symbols);
    const incomeType = enumParam(params, 'incomeType', INCOME_TYPES, new BinanceError(ERR.INVALID_PARAM, `Invalid incomeType: send one of ${INCOME_TYPES.join(', ')}.`));
    const limit = integerParam(params, 'limit', 1, INCOME_LIMITS.maxLimit) ?? INCOME_LIMITS.defaultLimit;
    const page = integerParam(params, 'page', 1, Number.MAX_SAFE_INTEGER) ?? 1;
    const { start, end } = timeWindow(params, exchange.now(), INCOME_LIMITS.defaultWindowMs);
    const rows = withinTime(exchange.ledger.rows(accountId), (row) => row.time, start, end)
      .filter((row) => (symbol === undefined || row.symbol === symbol.config.symbol) && (incomeType === undefined || INCOME_TYPE[row.kind] === incomeType))
      // Each API's income is its own market's: its symbols' rows, and transfers of its margin assets.
      .filter((row) => (row.symbol === null ? symbols.showsAsset(row.asset) : symbols.lists(row.symbol)));
    // Oldest first from startTime, `limit` a page.
    return rows.slice((page - 1) * limit, page * limit).map((row) => incomeObject(symbols, row));
  });

  app.get(`/${api}/v1/forceOrders`, async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyParams(params, ['symbol', 'autoCloseType', 'startTime', 'endTime', 'limit']);
    const symbol = optionalSymbol(params, symbols);
    const closeType = enumParam(params, 'autoCloseType', ['LIQUIDATION', 'ADL'] as const, new BinanceError(ERR.INVALID_PARAM, 'Invalid autoCloseType: send LIQUIDATION or ADL.'));
    const limit = integerParam(params, 'limit', 1, FORCE_ORDER_LIMITS.maxLimit) ?? FORCE_ORDER_LIMITS.defaultLimit;
    const { start, end } = timeWindow(params, exchange.now(), FORCE_ORDER_LIMITS.defaultWindowMs);
    const orders = exchange.history.finishedOrders(accountId)
      .filter((o) => o.source !== 'USER' && (closeType === undefined || o.source === closeType))
      .filter((o) => (symbol === undefined || o.symbol === symbol.config.symbol) && symbols.lists(o.symbol) && o.createTime >= start && o.createTime <= end);
    // Newest first (finishedOrders' order), as Binance lists them.
    return orders.slice(0, limit).map((o) => orderObject(symbols.of(o.symbol), o));
  });

  if (api === 'fapi') app.get('/fapi/v1/symbolConfig', async (request) => {
    const { accountId, params } = credentialOf(request);
    onlyParams(params, ['symbol']);
    const only = optionalSymbol(params, symbols);
    const { view } = accountOf(exchange, accountId);
    return view.settings
      .filter((s) => only === undefined || s.symbol === only.config.symbol)
      .map((s) => {
        const symbol = symbols.of(s.symbol);
        const autoDeposit = view.positions.some((p) => p.symbol === s.symbol && p.autoDeposit);
        return {
          symbol: symbol.name, marginType: s.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSSED', isAutoAddMargin: String(autoDeposit),
          leverage: s.leverage, maxNotionalValue: maxNotional(symbol, s.leverage),
        };
      });
  });
}
