/**
 * Bybit's history readers over the service ledger (src/service/ledger.ts):
 * `GET /v5/account/transaction-log` (one row per fill, funding settlement, transfer or insurance
 * clearance), `GET /v5/position/closed-pnl` (one row per order that closed part of a position), and
 * the Funding rows of `GET /v5/execution/list` (fundingExecutions, called from rest-trade.ts).
 * Time windows and page sizes follow Bybit's documentation; parameters Bybit does not document for
 * the endpoint are refused with 10001.
 */
import type { FastifyInstance } from 'fastify';
import { formatAmount, formatRate } from '../../engine/fixed.js';
import { formatAveragePrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { Exchange } from '../../service/exchange.js';
import type { ClosingOrder, LedgerRow } from '../../service/ledger.js';
import { byFill, eventSeqOf, sumOf, withinTime } from '../../service/ledger.js';
import { bybitFundingExecution, deliveryExecType, type Delivered } from './encode.js';
import { ok, paramsError } from './envelope.js';
import { callerOf, categoryOf, inCategory, optionalEnum, optionalInteger, optionalString, paramsOf, symbolOf, type Params } from './params.js';
import { page, type BybitRestOptions } from './rest.js';
import { baseQty, bybitSymbol, categoryOfConfig, price, ratio, type BybitSymbols } from './symbols.js';
import { costOf, valueOfCost } from '../../engine/margin.js';

const DAY = 24 * 3600_000;

/** Bybit's bounds: transaction-log 20 a page (1–50), 24 h by default, at most 7 days; closed-pnl 50 (1–100), 7 days. */
export const TRANSACTION_LOG_LIMITS = { defaultLimit: 20, maxLimit: 50, defaultWindowMs: DAY, maxWindowMs: 7 * DAY } as const;
export const CLOSED_PNL_LIMITS = { defaultLimit: 50, maxLimit: 100, defaultWindowMs: 7 * DAY, maxWindowMs: 7 * DAY } as const;
/** execution/list: 50 a page (1–100); neither time: the last 7 days, one: 7 days from or to it, both: at most 7 days apart. */
export const EXECUTION_LIMITS = { defaultLimit: 50, maxLimit: 100, defaultWindowMs: 7 * DAY, maxWindowMs: 7 * DAY } as const;

/** The transaction-log types Bybit documents; perpstream produces TRADE, SETTLEMENT, TRANSFER_IN/OUT, LIQUIDATION, ADL. */
const LOG_TYPES = [
  'TRANSFER_IN', 'TRANSFER_OUT', 'TRADE', 'SETTLEMENT', 'DELIVERY', 'LIQUIDATION', 'ADL', 'AIRDROP', 'BONUS', 'BONUS_RECOLLECT',
  'FEE_REFUND', 'INTEREST', 'CURRENCY_BUY', 'CURRENCY_SELL', 'BORROWED_AMOUNT_INS_LOAN', 'PRINCIPLE_REPAYMENT_INS_LOAN',
  'INTEREST_REPAYMENT_INS_LOAN', 'AUTO_SOLD_COLLATERAL_INS_LOAN', 'AUTO_BUY_LIABILITY_INS_LOAN', 'AUTO_PRINCIPLE_REPAYMENT_INS_LOAN',
  'AUTO_INTEREST_REPAYMENT_INS_LOAN', 'TRANSFER_IN_INS_LOAN', 'TRANSFER_OUT_INS_LOAN', 'SPOT_REPAYMENT_SELL', 'SPOT_REPAYMENT_BUY',
  'TOKENS_SUBSCRIPTION', 'TOKENS_REDEMPTION', 'AUTO_DEDUCTION', 'FLEXIBLE_STAKING_SUBSCRIPTION', 'FLEXIBLE_STAKING_REDEMPTION',
  'FIXED_STAKING_SUBSCRIPTION', 'PREMARKET_TRANSFER_OUT', 'PREMARKET_DELIVERY_SELL_NEW_COIN', 'PREMARKET_DELIVERY_BUY_NEW_COIN',
  'PREMARKET_DELIVERY_PLEDGE_PAY_SELLER', 'PREMARKET_DELIVERY_PLEDGE_BACK', 'PREMARKET_ROLLBACK_PLEDGE_BACK',
  'PREMARKET_ROLLBACK_PLEDGE_PENALTY_TO_BUYER', 'CUSTODY_NETWORK_FEE', 'CUSTODY_SETTLE_FEE', 'CUSTODY_LOCK', 'CUSTODY_UNLOCK',
  'CUSTODY_UNLOCK_REFUND', 'LOANS_BORROW_FUNDS', 'LOANS_PLEDGE_ASSET', 'BONUS_TRANSFER_IN', 'BONUS_TRANSFER_OUT', 'PEF_TRANSFER_IN',
  'PEF_TRANSFER_OUT', 'PEF_PROFIT_SHARE',
] as const;

/** Signature parameters a GET may carry in its query (Bybit's query-string signing form). */
const SIGNING = ['api_key', 'timestamp', 'recv_window', 'sign'];

/** Bybit answers a parameter it does not know with 10001 here: nothing is silently dropped. */
export function onlyParams(params: Params, allowed: readonly string[]): void {
  const unknown = Object.keys(params).filter((name) => !allowed.includes(name) && !SIGNING.includes(name));
  if (unknown.length > 0) throw paramsError(`${unknown.join(', ')} is not a parameter of this endpoint (send ${allowed.join(', ')})`);
}

/** startTime / endTime as Bybit reads them: one alone spans `defaultWindowMs` from it; both at most `maxWindowMs` apart. */
export function window(params: Params, now: number, limits: { defaultWindowMs: number; maxWindowMs: number }): { start: number; end: number } {
  const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  if (start !== undefined && end !== undefined) {
    if (start > end) throw paramsError('startTime must not be after endTime');
    if (end - start > limits.maxWindowMs) throw paramsError(`endTime - startTime must be at most ${limits.maxWindowMs / DAY} days`);
    return { start, end };
  }
  if (start !== undefined) return { start, end: start + limits.defaultWindowMs };
  const until = end ?? now;
  return { start: until - limits.defaultWindowMs, end: until };
}

function logType(row: LedgerRow): string {
  switch (row.kind) {
    case 'DEPOSIT': return 'TRANSFER_IN';
    case 'WITHDRAW': return 'TRANSFER_OUT';
    case 'FUNDING': return 'SETTLEMENT';
    case 'INSURANCE_CLEAR': return 'LIQUIDATION';
    // enum.mdx transaction-log type: DELIVERY "Inverse Futures delivery" (and USDC futures).
    case 'DELIVERY': return 'DELIVERY';
    default: return row.source === 'LIQUIDATION' ? 'LIQUIDATION' : row.source === 'ADL' ? 'ADL' : 'TRADE';
  }
}

function logRow(symbols: BybitSymbols, group: readonly LedgerRow[]): Record<string, unknown> {
  const first = group[0]!;
  const last = group[group.length - 1]!;
  const config = first.symbol === null ? undefined : symbols.config(first.symbol);
  const change = sumOf(group);
  const fee = -sumOf(group, 'FEE');
  const pnl = sumOf(group, 'REALIZED_PNL');
  const isTrade = first.tradeId !== null;
  // A delivery: the close's PnL is its cash flow, the delivery fee its fee (its FEE row is in the group).
  const isDelivery = first.kind === 'DELIVERY';
  const cashFlow = isTrade ? pnl : isDelivery ? first.amount : first.kind === 'FUNDING' ? 0n : change;
  const tradeValue = isTrade && config !== undefined ? tradeValueOf(config, first.qty!, first.price!) : 0n;
  return {
    id: String(first.id),
    symbol: config === undefined ? '' : bybitSymbol(config.symbol),
    category: config === undefined ? '' : categoryOfConfig(config),
    side: first.side === 'BUY' ? 'Buy' : first.side === 'SELL' ? 'Sell' : first.kind === 'FUNDING' ? (first.qty! > 0 ? 'Buy' : 'Sell') : 'None',
    transactionTime: String(first.time),
    type: logType(first),
    transSubType: '',
    qty: (isTrade || isDelivery) && config !== undefined ? baseQty(config, first.qty!) : '0',
    size: isTrade && config !== undefined ? baseQty(config, first.positionAfter ?? 0) : first.kind === 'FUNDING' && config !== undefined ? baseQty(config, first.qty!) : '0',
    currency: first.asset,
    tradePrice: first.price !== null && config !== undefined ? price(config, first.price) : '',
    // Bybit: funding and fee are expenses when positive; change = cashFlow − funding − fee.
    funding: first.kind === 'FUNDING' ? formatAmount(-first.amount) : '',
    fee: isTrade || isDelivery ? formatAmount(fee) : '',
    cashFlow: formatAmount(cashFlow),
    change: formatAmount(change),
    cashBalance: formatAmount(last.balanceAfter),
    feeRate: first.kind === 'FUNDING' ? formatRate(first.fundingRate!) : isTrade && tradeValue !== 0n ? rateOf(fee, tradeValue)
      : isDelivery ? formatRate(config?.delivery?.feeRate ?? 0n) : '',
    bonusChange: '',
    tradeId: first.tradeId === null ? '' : String(first.tradeId),
    orderId: first.orderId === null ? '' : String(first.orderId),
    orderLinkId: '',
    extraFees: '',
  };
}

/** A fill's value in amount units of the settle asset (inverse: the coin value, rounded down as the engine's cost is). */
function tradeValueOf(config: SymbolConfig, qty: number, ticks: number): bigint {
  return valueOfCost(config, costOf(config, qty, ticks));
}

/**
 * The value and average price of a ledger cost (Σ contracts × ticks). Inverse: the value of
 * `qty` contracts at that cost's mean price (exact when one price; the ledger keeps no coin cost).
 */
function ledgerCost(config: SymbolConfig, cost: bigint, qty: number): { value: string; price: string } {
  if (qty === 0 || cost === 0n) return { value: '0', price: '0' };
  const price = formatAveragePrice(config, cost, qty);
  if (!config.inverse) return { value: formatAmount(cost * config.valuePerTickContract), price };
  return { value: formatAmount((BigInt(qty) * BigInt(qty) * config.inverseValue) / cost), price };
}

/** A delivery's fee row joins its DELIVERY row (one event): Bybit logs a delivery as one row with its fee. */
function withDeliveryFees(groups: LedgerRow[][]): LedgerRow[][] {
  const out: LedgerRow[][] = [];
  for (const group of groups) {
    const last = out[out.length - 1];
    const row = group[0]!;
    if (last !== undefined && last[0]!.kind === 'DELIVERY' && row.kind === 'FEE' && row.tradeId === null && eventSeqOf(row) === eventSeqOf(last[0]!)) last.push(row);
    else out.push(group);
  }
  return out;
}

/** fee / value as a decimal rate (exact to 1e-8, as the engine's fee rates are). */
const rateOf = (fee: bigint, value: bigint): string => formatRate((fee * 100_000_000n) / value);

/** One closing order as Bybit lists it: what that order closed, its entry and exit, its net PnL. */
function closedPnlRow(config: SymbolConfig, c: ClosingOrder): Record<string, unknown> {
  return {
    symbol: bybitSymbol(c.symbol),
    orderId: String(c.orderId),
    side: c.side === 'BUY' ? 'Buy' : 'Sell',
    qty: baseQty(config, c.orderQty),
    orderPrice: c.orderPrice === 0 ? '0' : price(config, c.orderPrice),
    orderType: c.orderType === 'MARKET' ? 'Market' : 'Limit',
    execType: c.source === 'LIQUIDATION' ? 'BustTrade' : c.source === 'ADL' ? 'AdlTrade' : 'Trade',
    closedSize: baseQty(config, c.closedQty),
    cumEntryValue: ledgerCost(config, c.entryCost, c.closedQty).value,
    avgEntryPrice: ledgerCost(config, c.entryCost, c.closedQty).price,
    cumExitValue: ledgerCost(config, c.exitCost, c.closedQty).value,
    avgExitPrice: ledgerCost(config, c.exitCost, c.closedQty).price,
    // Bybit's closed PnL is net of the closed contracts' opening fees and the closing fees (funding is not in it).
    closedPnl: formatAmount(c.realizedPnl - c.openFee - c.closeFee),
    openFee: formatAmount(c.openFee),
    closeFee: formatAmount(c.closeFee),
    fillCount: String(c.fillCount),
    leverage: String(c.leverage),
    createdTime: String(c.createdTime),
    updatedTime: String(c.updatedTime),
  };
}

/**
 * A delivered position as a closed-PnL row: closed at the delivery price by no order, execType
 * Delivery / Settle. The entry value is the exit value less a long's PnL (plus a short's): exact
 * for linear, within the PnL's rounding (one 1e-8 coin) for inverse. The ledger keeps no opening
 * fees for it, so `openFee` is 0 and `closedPnl` nets the delivery fee only.
 */
function deliveryPnlRow(config: SymbolConfig, d: Delivered): Record<string, unknown> {
  const size = Math.abs(d.qty);
  const long = d.qty > 0;
  const exitUnits = valueOfCost(config, costOf(config, size, d.deliveryPrice));
  // Linear: PnL = ±(exit − entry); inverse: PnL = ±(entry − exit) in coin.
  const entryUnits = config.inverse === long ? exitUnits + d.realizedPnl : exitUnits - d.realizedPnl;
  const entryPrice = config.inverse
    ? (entryUnits > 0n ? ratio(BigInt(size) * config.inverseValue * config.tickUnits, entryUnits * 10n ** BigInt(config.priceDecimals), config.priceDecimals + 4) : '0')
    : formatAveragePrice(config, entryUnits / config.valuePerTickContract, size);
  return {
    symbol: bybitSymbol(d.symbol),
    orderId: '',
    side: long ? 'Sell' : 'Buy',
    qty: baseQty(config, size),
    orderPrice: '0',
    orderType: 'Market',
    execType: deliveryExecType(config),
    closedSize: baseQty(config, size),
    cumEntryValue: formatAmount(entryUnits),
    avgEntryPrice: entryPrice,
    cumExitValue: formatAmount(exitUnits),
    avgExitPrice: price(config, d.deliveryPrice),
    closedPnl: formatAmount(d.realizedPnl - d.fee),
    openFee: '0',
    closeFee: formatAmount(d.fee),
    fillCount: '1',
    leverage: '',
    createdTime: String(d.deliveryTime),
    updatedTime: String(d.deliveryTime),
  };
}

/** The account's funding settlements within [start, end] as ledger rows, oldest first; `symbols` the symbols asked for. */
export function fundingRows(exchange: Exchange, accountId: number, covered: ReadonlySet<string>, start: number, end: number): LedgerRow[] {
  return withinTime(exchange.ledger.rows(accountId), (r) => r.time, start, end).filter((r) => r.kind === 'FUNDING' && covered.has(r.symbol!));
}

/** A funding settlement's ledger row as Bybit's `Funding` execution (the stream's shape). */
export function fundingExecution(row: LedgerRow, accountId: number, config: SymbolConfig): Record<string, unknown> {
  return bybitFundingExecution({
    type: 'funding', accountId, seq: Math.floor(row.id / 4), cmdSeq: 0, time: row.time, reason: 'FUNDING_FEE', symbol: row.symbol!,
    positionSide: row.positionSide!, fundingTime: row.time, qty: row.qty!, markPrice: row.price!, fundingRate: row.fundingRate!, fundingFee: row.amount,
  }, config);
}

/**
 * The account's delivery settlements within [start, end] (the ledger's DELIVERY rows, with the FEE
 * row of the same event), oldest first; a row's side is the side that closed the position.
 */
export function deliveries(exchange: Exchange, accountId: number, symbols: BybitSymbols, covered: ReadonlySet<string>, start: number, end: number): Delivered[] {
  const rows = exchange.ledger.rows(accountId);
  const found: Delivered[] = [];
  rows.forEach((row, index) => {
    if (row.kind !== 'DELIVERY' || row.time < start || row.time > end || !covered.has(row.symbol!)) return;
    const fee = rows.slice(index + 1).find((r) => eventSeqOf(r) === eventSeqOf(row) && r.kind === 'FEE' && r.tradeId === null);
    found.push({
      symbol: row.symbol!, positionSide: row.positionSide!, qty: (row.side === 'BUY' ? -1 : 1) * row.qty!, deliveryPrice: row.price!,
      deliveryTime: symbols.config(row.symbol!).delivery?.time ?? row.time, realizedPnl: row.amount, fee: fee === undefined ? 0n : -fee.amount, cmdSeq: 0,
    });
  });
  return found;
}

export async function historyRoutes(app: FastifyInstance, options: BybitRestOptions): Promise<void> {
  const { exchange, symbols } = options;

  app.get('/v5/account/transaction-log', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['accountType', 'category', 'currency', 'baseCoin', 'type', 'transSubType', 'startTime', 'endTime', 'limit', 'cursor']);
    optionalEnum(params, 'accountType', ['UNIFIED'] as const);
    const category = optionalEnum(params, 'category', ['spot', 'linear', 'option', 'inverse'] as const);
    const currency = optionalString(params, 'currency');
    const baseCoin = optionalString(params, 'baseCoin');
    const type = optionalEnum(params, 'type', LOG_TYPES);
    const subType = optionalString(params, 'transSubType');
    const limit = optionalInteger(params, 'limit', 1, TRANSACTION_LOG_LIMITS.maxLimit) ?? TRANSACTION_LOG_LIMITS.defaultLimit;
    const { start, end } = window(params, exchange.now(), TRANSACTION_LOG_LIMITS);
    const groups = withDeliveryFees(byFill(withinTime(exchange.ledger.rows(accountId), (r) => r.time, start, end))).filter((group) => {
      const first = group[0]!;
      const linear = first.symbol !== null;
      return (category === undefined || (linear && inCategory(symbols.config(first.symbol!), category))) && (currency === undefined || first.asset === currency) &&
        (baseCoin === undefined || (linear && symbols.config(first.symbol!).spec.baseAsset === baseCoin)) &&
        (type === undefined || logType(first) === type) && subType === undefined;
    }).reverse();
    const { items, nextPageCursor } = page(groups, optionalString(params, 'cursor'), limit);
    return ok({ list: items.map((group) => logRow(symbols, group)), nextPageCursor }, exchange.now());
  });

  app.get('/v5/position/closed-pnl', async (request) => {
    const accountId = callerOf(request);
    const params = paramsOf(request);
    onlyParams(params, ['category', 'symbol', 'startTime', 'endTime', 'limit', 'cursor']);
    const category = categoryOf(params);
    const config = symbolOf(symbols, params, false);
    const limit = optionalInteger(params, 'limit', 1, CLOSED_PNL_LIMITS.maxLimit) ?? CLOSED_PNL_LIMITS.defaultLimit;
    const { start, end } = window(params, exchange.now(), CLOSED_PNL_LIMITS);
    // Newest first by the last closing fill (a record grows while its order fills, so the log's order is by first fill).
    const wanted = (symbol: string): boolean => (config === undefined || symbol === config.symbol) && inCategory(symbols.config(symbol), category);
    type Closed = { time: number; row: () => Record<string, unknown> };
    const closed: Closed[] = withinTime(exchange.ledger.closingOrders(accountId), (c) => c.updatedTime, start, end)
      .filter((c) => wanted(c.symbol)).map((c) => ({ time: c.updatedTime, row: () => closedPnlRow(symbols.config(c.symbol), c) }));
    const covered = new Set(symbols.all().map((c) => c.symbol).filter(wanted));
    for (const d of deliveries(exchange, accountId, symbols, covered, start, end)) closed.push({ time: d.deliveryTime, row: () => deliveryPnlRow(symbols.config(d.symbol), d) });
    closed.reverse().sort((x, y) => y.time - x.time);
    const { items, nextPageCursor } = page(closed, optionalString(params, 'cursor'), limit);
    return ok({ category, list: items.map((c) => c.row()), nextPageCursor }, exchange.now());
  });
}
