/**
 * Canonical engine snapshots → Bybit v5 objects (protocols.md §3.2, seed 003, docs/dialects/bybit.md):
 * the position, order, execution and wallet rows that the stream pushes and the REST endpoints
 * return. Quantities are base units, decimals are strings, times are ms (strings where Bybit sends
 * strings). Pure functions of their arguments: no state, no clock.
 */
import { formatAmount, formatRate, RATE_SCALE } from '../../engine/fixed.js';
import { formatEntryPrice } from '../../engine/format.js';
import { INVERSE_COST_SCALE } from '../../engine/margin.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type {
  AttachTpsl, BalanceSnapshot, ChangeReason, ConditionalSnapshot, ConditionalState, DeliveryEvent, FundingEvent, OrderReason, OrderSnapshot, OrderSource, OrderState, PositionSide,
  PositionSnapshot, PositionStatus, TpslLeg, TradeEvent,
} from '../../engine/types.js';
import { baseQty, bybitSymbol, categoryOfConfig, costValue, price, ratio, unitPrice, value } from './symbols.js';
import { emptyPositionSnapshot } from '../../engine/snapshots.js';
import { atPar, type UsdValue } from './usd-value.js';
import { conditionalCancelType, conditionalCreateType, conditionalStatus, originMode, stopOrderType, triggerByName, triggerFields } from './conditional-names.js';

/** Bybit's positionIdx: 0 one-way, 1 buy side of hedge mode, 2 sell side. */
export function positionIdx(side: PositionSide): 0 | 1 | 2 {
  return side === 'BOTH' ? 0 : side === 'LONG' ? 1 : 2;
}

const POSITION_STATUS: Record<PositionStatus, string> = { NORMAL: 'Normal', LIQUIDATING: 'Liq', ADL: 'Adl' };

/** Bybit's 1–5 ADL lights from the engine's quantile in [0, 1] (0: an empty position). */
export function adlRank(p: Pick<PositionSnapshot, 'qty' | 'adlQuantile'>): number {
  if (p.qty === 0) return 0;
  const rank = 1n + (p.adlQuantile * 5n) / RATE_SCALE;
  return Number(rank > 5n ? 5n : rank);
}

/**
 * Bybit's break-even price, (entry value ∓ current realised PnL) / (size × (1 ∓ max(taker, 0.00055))):
 * the price at which closing (paying the taker fee) returns what the position cost. "0" when flat.
 */
export function breakEvenPrice(p: PositionSnapshot, config: SymbolConfig, curRealisedPnl: bigint): string {
  const size = Math.abs(p.qty);
  if (size === 0) return '0';
  const minRate = 55_000n; // 0.00055 at 1e-8
  const feeRate = config.takerFeeRate > minRate ? config.takerFeeRate : minRate;
  const long = p.qty > 0;
  if (config.inverse) {
    // Coin value V = size × C / P: a long breaks even where V × (1 + fee) / P = entry value + realised,
    // a short where V × (1 − fee) / P = entry value − realised (entryCost and realised in 10^-16 coin).
    const held = p.entryCost + (long ? curRealisedPnl : -curRealisedPnl) * INVERSE_COST_SCALE;
    if (held <= 0n) return '0';
    const num = BigInt(size) * config.inverseValue * INVERSE_COST_SCALE * (long ? RATE_SCALE + feeRate : RATE_SCALE - feeRate) * config.tickUnits;
    return ratio(num, held * RATE_SCALE * 10n ** BigInt(config.priceDecimals), config.priceDecimals + 4);
  }
  const entryValue = p.entryCost * config.valuePerTickContract;
  const numerator = (long ? entryValue - curRealisedPnl : entryValue + curRealisedPnl) * RATE_SCALE * config.tickUnits;
  const denominator = BigInt(size) * config.valuePerTickContract * (long ? RATE_SCALE - feeRate : RATE_SCALE + feeRate) * 10n ** BigInt(config.priceDecimals);
  return ratio(numerator, denominator, config.priceDecimals + 4);
}

/** What identifies a position row to its reader: the engine's per-account seq and the command's seq. */
export interface Stamp {
  /** Monotonic per account (seed 003 `version`): the account `seq` this row reflects. */
  version: number;
  /** Bybit's cross sequence `seq`: the command that produced the row (fills and positions share it). */
  seq: number;
}

/**
 * A position row. The stream shape (`entryPrice`, `category`) by default; `rest` gives the
 * position-list shape (`avgPrice`, no `category`). Every field of seed 003 is present.
 */
export function bybitPosition(p: PositionSnapshot, config: SymbolConfig, stamp: Stamp, rest = false): Record<string, unknown> {
  const size = Math.abs(p.qty);
  const entry = formatEntryPrice(config, p.entryCost, size);
  const mark = p.markPrice > 0 ? price(config, p.markPrice) : '';
  // realizedPnlCurrent is already net of the position's fees and includes its funding (engine-rules).
  const curRealised = p.realizedPnlCurrent;
  const row: Record<string, unknown> = {
    ...(rest ? {} : { category: categoryOfConfig(config) }),
    symbol: bybitSymbol(p.symbol),
    side: p.qty > 0 ? 'Buy' : p.qty < 0 ? 'Sell' : '',
    size: baseQty(config, size),
    positionIdx: positionIdx(p.positionSide),
    // Deprecated for UTA (always 0 there); perpstream keeps the classic meaning: 0 cross, 1 isolated.
    tradeMode: p.marginMode === 'ISOLATED' ? 1 : 0,
    riskId: p.riskLevel,
    riskLimitValue: formatAmount(p.riskLimit),
    [rest ? 'avgPrice' : 'entryPrice']: entry,
    markPrice: mark,
    leverage: String(p.leverage),
    breakEvenPrice: breakEvenPrice(p, config, curRealised),
    positionValue: costValue(config, p.entryCost),
    positionBalance: formatAmount(p.margin),
    autoAddMargin: p.autoDeposit ? 1 : 0,
    positionIM: formatAmount(p.initialMargin),
    positionIMByMp: formatAmount(p.initialMargin),
    positionMM: formatAmount(p.maintenanceMargin),
    positionMMByMp: formatAmount(p.maintenanceMargin),
    liqPrice: unitPrice(p.liquidationPrice),
    bustPrice: unitPrice(p.bankruptcyPrice),
    // Deprecated on the v5 topic ("always Full"); the position's own TP/SL/trailing are its Full legs.
    tpslMode: 'Full',
    takeProfit: price(config, p.takeProfitPrice ?? 0),
    stopLoss: price(config, p.stopLossPrice ?? 0),
    trailingStop: price(config, p.trailingDistance ?? 0),
    unrealisedPnl: formatAmount(p.unrealizedPnl),
    curRealisedPnl: formatAmount(curRealised),
    cumRealisedPnl: formatAmount(p.realizedPnlTotal - p.feesTotal),
    sessionAvgPrice: entry,
    positionStatus: POSITION_STATUS[p.status],
    adlRankIndicator: adlRank(p),
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    createdTime: String(p.openTime > 0 ? p.openTime : p.updateTime),
    updatedTime: String(p.updateTime),
    openTime: size > 0 ? p.openTime : 0,
    seq: stamp.seq,
    version: stamp.version,
  };
  return row;
}

/** A position record that does not exist yet, as Bybit shows a symbol never traded. */
export function emptyPosition(symbol: string, positionSide: PositionSide, leverage: number, marginMode: PositionSnapshot['marginMode'], markPrice: number, time: number): PositionSnapshot {
  return emptyPositionSnapshot({ symbol, positionSide, marginMode, leverage, markPrice, updateTime: time });
}

// ---------------------------------------------------------------------------------------------
// Orders

const LIVE: ReadonlySet<OrderState> = new Set(['NEW', 'PARTIALLY_FILLED']);

/** Bybit's orderStatus. A post-only order that would take is cancelled, as Bybit does. */
export function orderStatus(state: OrderState, reason: OrderReason): string {
  switch (state) {
    case 'NEW': return 'New';
    case 'PARTIALLY_FILLED': return 'PartiallyFilled';
    case 'FILLED': return 'Filled';
    case 'CANCELED':
    case 'PARTIALLY_CANCELED':
    case 'EXPIRED': return 'Cancelled';
    case 'REJECTED': return reason === 'POST_ONLY_WOULD_TAKE' ? 'Cancelled' : 'Rejected';
  }
}

export function rejectReason(o: Pick<OrderSnapshot, 'state' | 'reason' | 'executedQty'>): string {
  switch (o.reason) {
    case 'POST_ONLY_WOULD_TAKE': return 'EC_PostOnlyWillTakeLiquidity';
    case 'FOK_NOT_FILLABLE': return 'EC_CancelForNoFullFill';
    case 'IOC_REMAINDER':
    case 'MARKET_REMAINDER': return o.executedQty === 0 ? 'EC_NoImmediateQtyToFill' : 'EC_NoError';
    case 'SELF_TRADE_PREVENTION': return 'EC_BySelfMatch';
    case 'PRICE_OUTSIDE_BAND': return 'EC_ReachRiskPriceLimit';
    case 'NONE':
    case 'USER_CANCELED': return 'EC_NoError';
    default: return o.state === 'REJECTED' ? 'EC_Others' : 'EC_NoError';
  }
}

/**
 * Bybit's cancelType. `changeReason` is the command's reason when known (a push): orders the risk
 * engine cancels while it liquidates or deleverages an account say so.
 */
export function cancelType(o: Pick<OrderSnapshot, 'state' | 'reason' | 'source'>, changeReason?: ChangeReason): string {
  if (o.state !== 'CANCELED' && o.state !== 'PARTIALLY_CANCELED' && o.state !== 'EXPIRED') return 'UNKNOWN';
  if (o.source === 'USER' && changeReason === 'LIQUIDATION') return 'CancelAllBeforeLiq';
  if (o.source === 'USER' && changeReason === 'ADL') return 'CancelAllBeforeAdl';
  switch (o.reason) {
    case 'USER_CANCELED': return 'CancelByUser';
    case 'REDUCE_ONLY_WOULD_INCREASE': return 'CancelByReduceOnly';
    case 'INSUFFICIENT_MARGIN': return 'CancelByCannotAffordOrderCost';
    case 'SELF_TRADE_PREVENTION': return 'CancelBySmp';
    // enum.mdx cancelType: CancelBySettle, "cancelled due to delisting contract" (a delivery).
    case 'DELIVERY': return 'CancelBySettle';
    default: return 'UNKNOWN';
  }
}

/**
 * Bybit's createType from the order's source. A liquidation order is `CreateByLiq` when it is
 * part of a partial (laddered) liquidation, else the takeover `CreateByTakeOver_PassThrough`. An
 * order a conditional order placed says which kind placed it (`CreateByStopOrder`, …).
 */
export function createType(source: OrderSource, partialLiquidation = false, origin?: Origin): string {
  switch (source) {
    case 'USER': return origin === undefined ? 'CreateByUser' : conditionalCreateType(origin.kind, origin.mode);
    case 'LIQUIDATION': return partialLiquidation ? 'CreateByLiq' : 'CreateByTakeOver_PassThrough';
    case 'ADL': return 'CreateByAdl_PassThrough';
  }
}

/** A hedge-mode order on the side it closes reduces only, whatever flag it was sent with. */
function reducesOnly(o: Pick<OrderSnapshot, 'reduceOnly' | 'positionSide' | 'side'>): boolean {
  return o.reduceOnly || (o.positionSide !== 'BOTH' && (o.positionSide === 'LONG') === (o.side === 'SELL'));
}

/** The conditional order an order came from: its kind and, for TP/SL legs, Full or Partial. */
export interface Origin {
  kind: NonNullable<OrderSnapshot['origin']>;
  mode: ConditionalSnapshot['tpslMode'];
}

/** The origin of an order placed by a conditional order (`conditional`: that order, when at hand); undefined for others. */
export function originOf(o: Pick<OrderSnapshot, 'origin' | 'orderType'>, conditional?: ConditionalSnapshot): Origin | undefined {
  // `?? null`: orders and fills recorded before conditional orders existed (older snapshots) have no origin.
  const kind = o.origin ?? null;
  return kind === null ? undefined : { kind, mode: originMode(o, conditional) };
}

export interface OrderContext {
  /** The command's change reason, when the row is pushed. */
  changeReason?: ChangeReason;
  /** The order belongs to a partial (laddered) liquidation. */
  partialLiquidation?: boolean;
  /**
   * The conditional order that placed it (same id), when at hand (the trigger's own push, REST
   * rows): its trigger price, direction and source are shown on the order, as Bybit keeps them.
   */
  conditional?: ConditionalSnapshot;
}

/** The order fields an order row is made of (a conditional order's row is made of the same). */
export type OrderRowInput = Pick<OrderSnapshot,
  'orderId' | 'clientOrderId' | 'symbol' | 'side' | 'positionSide' | 'orderType' | 'timeInForce' | 'price' | 'qty' | 'executedQty' | 'cumCost' |
  'state' | 'reason' | 'reduceOnly' | 'fees' | 'realizedPnl' | 'source' | 'origin' | 'attachTpsl' | 'createTime' | 'updateTime'>;

/** The TP/SL an order (or a plan order) will arm, in the row's takeProfit / stopLoss fields. */
function attachedTpslFields(attach: AttachTpsl, config: SymbolConfig): Record<string, unknown> {
  const { takeProfit: tp, stopLoss: sl } = attach;
  const limit = (leg: TpslLeg | undefined): string => (leg?.orderType === 'LIMIT' ? price(config, leg.price!) : '');
  return {
    takeProfit: tp === undefined ? '' : price(config, tp.triggerPrice),
    stopLoss: sl === undefined ? '' : price(config, sl.triggerPrice),
    tpslMode: attach.mode === 'FULL' ? 'Full' : 'Partial',
    tpLimitPrice: limit(tp),
    slLimitPrice: limit(sl),
    tpTriggerBy: tp === undefined ? '' : triggerByName(tp.triggerSource),
    slTriggerBy: sl === undefined ? '' : triggerByName(sl.triggerSource),
  };
}

/** An order row (stream and REST share it; `category` is harmless on REST rows). */
export function bybitOrder(o: OrderRowInput, config: SymbolConfig, context: OrderContext = {}): Record<string, unknown> {
  const origin = originOf(o, context.conditional);
  const conditional = context.conditional !== undefined && origin !== undefined ? triggerFields(context.conditional, config) : {};
  const live = LIVE.has(o.state);
  const leaves = live ? o.qty - o.executedQty : 0;
  const filled = o.executedQty > 0;
  return {
    category: categoryOfConfig(config),
    symbol: bybitSymbol(o.symbol),
    orderId: String(o.orderId),
    orderLinkId: o.clientOrderId ?? '',
    parentOrderLinkId: '',
    blockTradeId: '',
    isLeverage: '',
    side: o.side === 'BUY' ? 'Buy' : 'Sell',
    positionIdx: positionIdx(o.positionSide),
    orderType: o.orderType === 'LIMIT' ? 'Limit' : 'Market',
    price: o.orderType === 'LIMIT' ? price(config, o.price) : '0',
    qty: baseQty(config, o.qty),
    timeInForce: o.timeInForce === 'GTX' ? 'PostOnly' : o.timeInForce,
    orderStatus: orderStatus(o.state, o.reason),
    createType: createType(o.source, context.partialLiquidation, origin),
    cancelType: cancelType(o, context.changeReason),
    rejectReason: rejectReason(o),
    avgPrice: filled ? formatEntryPrice(config, o.cumCost, o.executedQty) : '',
    leavesQty: baseQty(config, leaves),
    leavesValue: o.orderType === 'LIMIT' ? value(config, leaves, o.price) : '0',
    cumExecQty: baseQty(config, o.executedQty),
    cumExecValue: costValue(config, o.cumCost),
    cumExecFee: formatAmount(o.fees),
    cumFeeDetail: filled ? { [config.settleAsset]: formatAmount(o.fees) } : {},
    closedPnl: formatAmount(o.realizedPnl),
    feeCurrency: '',
    stopOrderType: origin === undefined ? '' : stopOrderType(origin.kind, origin.mode),
    orderIv: '',
    triggerPrice: '',
    triggerDirection: 0,
    triggerBy: '',
    takeProfit: '',
    stopLoss: '',
    // The key's presence tells ccxt the order is a contract order (protocols.md §3.3).
    tpslMode: '',
    tpLimitPrice: '',
    slLimitPrice: '',
    tpTriggerBy: '',
    slTriggerBy: '',
    ...conditional,
    ...(o.attachTpsl === null ? {} : attachedTpslFields(o.attachTpsl, config)),
    lastPriceOnCreated: '',
    reduceOnly: reducesOnly(o),
    // A Full TP/SL and a close-position conditional close whatever the position holds (Bybit: closeOnTrigger).
    closeOnTrigger: context.conditional !== undefined && origin !== undefined && closesPosition(context.conditional),
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    marketUnit: '',
    slippageToleranceType: 'UNKNOWN',
    slippageTolerance: '0',
    ocoTriggerBy: '',
    createdTime: String(o.createTime),
    updatedTime: String(o.updateTime),
  };
}

/** A conditional order that closes the whole position when it fires (qty 0 in the snapshot). */
function closesPosition(c: Pick<ConditionalSnapshot, 'closePosition' | 'qty' | 'kind'>): boolean {
  return c.closePosition || (c.kind !== 'PLAN' && c.qty === 0);
}

/** The order state a conditional order's row reads as (leaves quantity while it waits). */
const ROW_STATE: Record<ConditionalState, OrderState> = { WAITING: 'NEW', TRIGGERED: 'NEW', CANCELED: 'CANCELED', EXPIRED: 'CANCELED', REJECTED: 'REJECTED' };

/**
 * A conditional order as Bybit's order row (REST lists, the `order` topic): the same id as the order
 * it places, `orderStatus` Untriggered / Triggered / Deactivated / Rejected, its `stopOrderType`,
 * `createType`, trigger fields, and the order it will place (type, price, qty: "0" when it closes the
 * whole position, with `closeOnTrigger`). TP/SL legs and trailing stops are reduce-only by nature.
 */
export function bybitConditional(c: ConditionalSnapshot, config: SymbolConfig): Record<string, unknown> {
  const order: OrderRowInput = {
    orderId: c.conditionalId, clientOrderId: c.clientOrderId, symbol: c.symbol, side: c.side, positionSide: c.positionSide, orderType: c.orderType,
    timeInForce: c.timeInForce, price: c.price, qty: c.qty, executedQty: 0, cumCost: 0n, state: ROW_STATE[c.state],
    reason: c.state === 'REJECTED' && c.reason !== 'ORDER_REFUSED' ? (c.reason as OrderReason) : 'NONE',
    reduceOnly: c.reduceOnly || c.closePosition || c.kind !== 'PLAN', fees: 0n, realizedPnl: 0n, source: 'USER', origin: c.kind,
    attachTpsl: c.attachTpsl, createTime: c.createTime, updateTime: c.updateTime,
  };
  const row = bybitOrder(order, config, { conditional: c });
  return {
    ...row,
    orderStatus: conditionalStatus(c),
    createType: conditionalCreateType(c.kind, c.tpslMode),
    cancelType: conditionalCancelType(c),
    rejectReason: c.state === 'REJECTED' ? (c.reason === 'ORDER_REFUSED' ? 'EC_Others' : rejectReason(order)) : 'EC_NoError',
  };
}

// ---------------------------------------------------------------------------------------------
// Executions

/** What an execution row needs from the fill's order, as of the fill. */
export interface FillOrder {
  orderPrice: string;
  orderQty: string;
  leavesQty: string;
}

export function fillOrder(o: OrderSnapshot, config: SymbolConfig): FillOrder {
  return {
    orderPrice: o.orderType === 'LIMIT' ? price(config, o.price) : '0',
    orderQty: baseQty(config, o.qty),
    leavesQty: baseQty(config, LIVE.has(o.state) ? o.qty - o.executedQty : 0),
  };
}

export interface ExecutionContext {
  order?: FillOrder;
  /** The conditional order that placed the fill's order, when at hand. */
  conditional?: ConditionalSnapshot;
  /** Mark price (ticks) at the fill, when known. */
  markPrice?: number;
  /** Contracts of this fill that closed a position, when known. */
  closedContracts?: number;
  partialLiquidation?: boolean;
}

/** Bybit's execType: a liquidation fill is a takeover (BustTrade), an ADL fill an AdlTrade. */
export function execType(source: OrderSource): string {
  return source === 'LIQUIDATION' ? 'BustTrade' : source === 'ADL' ? 'AdlTrade' : 'Trade';
}

/** An execution row for one own fill. */
export function bybitExecution(t: TradeEvent, config: SymbolConfig, context: ExecutionContext = {}): Record<string, unknown> {
  const feeRate = t.source === 'ADL' ? 0n : t.isMaker ? config.makerFeeRate : config.takerFeeRate;
  const origin = originOf(t.order, context.conditional);
  return {
    category: categoryOfConfig(config),
    symbol: bybitSymbol(t.symbol),
    isLeverage: '',
    orderId: String(t.orderId),
    orderLinkId: t.clientOrderId ?? '',
    side: t.side === 'BUY' ? 'Buy' : 'Sell',
    orderPrice: context.order?.orderPrice ?? '',
    orderQty: context.order?.orderQty ?? '',
    leavesQty: context.order?.leavesQty ?? '',
    createType: createType(t.source, context.partialLiquidation, origin),
    orderType: t.orderType === 'LIMIT' ? 'Limit' : 'Market',
    stopOrderType: origin === undefined ? '' : stopOrderType(origin.kind, origin.mode),
    execFee: formatAmount(t.fee),
    execId: String(t.tradeId),
    execPrice: price(config, t.price),
    execQty: baseQty(config, t.qty),
    execPnl: formatAmount(t.realizedPnl),
    execType: execType(t.source),
    execValue: value(config, t.qty, t.price),
    execTime: String(t.time),
    isMaker: t.isMaker,
    feeRate: formatRate(feeRate),
    tradeIv: '',
    markIv: '',
    markPrice: context.markPrice !== undefined && context.markPrice > 0 ? price(config, context.markPrice) : '',
    indexPrice: '',
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: context.closedContracts === undefined ? '' : baseQty(config, context.closedContracts),
    extraFees: '',
    seq: t.cmdSeq,
    feeCurrency: t.feeAsset,
    marketUnit: '',
  };
}

/** The fast execution row (Trade fills only): the short field list of `execution.fast`. */
export function bybitFastExecution(t: TradeEvent, config: SymbolConfig): Record<string, unknown> {
  return {
    category: categoryOfConfig(config),
    symbol: bybitSymbol(t.symbol),
    orderId: String(t.orderId),
    isMaker: t.isMaker,
    orderLinkId: t.clientOrderId ?? '',
    execId: String(t.tradeId),
    execPrice: price(config, t.price),
    execQty: baseQty(config, t.qty),
    side: t.side === 'BUY' ? 'Buy' : 'Sell',
    execTime: String(t.time),
    seq: t.cmdSeq,
  };
}

// ---------------------------------------------------------------------------------------------
// Wallet

/** The fields of a wallet the coin row reads (a balance event's snapshot, or one rebuilt from a view). */
export type CoinBalance = Pick<BalanceSnapshot,
  'asset' | 'walletBalance' | 'isolatedMargin' | 'crossedMargin' | 'openOrderMarginFrozen' | 'availableBalance' | 'unrealizedPnl' | 'realizedPnl' | 'maintenanceMargin'>;

/**
 * One coin of the unified wallet. `locked` is Bybit's spot-order lock, always 0 here (perpstream
 * has no spot); margin shows in totalPositionIM (position margin) and totalOrderIM (orders).
 * `availableToWithdraw` (deprecated by Bybit, still read by ccxt) is the available balance.
 */
export function bybitCoin(b: CoinBalance, usdValue: UsdValue = atPar): Record<string, unknown> {
  const equity = b.walletBalance + b.unrealizedPnl;
  return {
    coin: b.asset,
    equity: formatAmount(equity),
    usdValue: formatAmount(usdValue(b.asset, equity)),
    walletBalance: formatAmount(b.walletBalance),
    locked: '0',
    spotHedgingQty: '0',
    borrowAmount: '0',
    accruedInterest: '0',
    totalOrderIM: formatAmount(b.openOrderMarginFrozen),
    totalPositionIM: formatAmount(b.isolatedMargin + b.crossedMargin),
    totalPositionMM: formatAmount(b.maintenanceMargin),
    unrealisedPnl: formatAmount(b.unrealizedPnl),
    cumRealisedPnl: formatAmount(b.realizedPnl),
    bonus: '0',
    collateralSwitch: true,
    marginCollateral: true,
    colRes: '0',
    spotBorrow: '0',
    availableToBorrow: '',
    availableToWithdraw: formatAmount(b.availableBalance),
  };
}

/** A rate with 4 decimals (Bybit's account IM/MM rates); "0" when the base is not positive. */
function accountRate(part: bigint, whole: bigint): string {
  return whole > 0n ? ratio(part, whole, 4) : '0';
}

/**
 * The unified account row around its coins. Account totals are Bybit's USD figures: the sums of
 * the coins given, each at its USD value (usd-value.ts; a stablecoin at par, BTC at its index).
 */
export function bybitWallet(coins: readonly CoinBalance[], usdValue: UsdValue = atPar): Record<string, unknown> {
  let wallet = 0n;
  let upnl = 0n;
  let available = 0n;
  let initial = 0n;
  let maintenance = 0n;
  for (const c of coins) {
    const usd = (amount: bigint): bigint => usdValue(c.asset, amount);
    wallet += usd(c.walletBalance);
    upnl += usd(c.unrealizedPnl);
    available += usd(c.availableBalance);
    initial += usd(c.isolatedMargin + c.crossedMargin + c.openOrderMarginFrozen);
    maintenance += usd(c.maintenanceMargin);
  }
  const marginBalance = wallet + upnl;
  return {
    accountType: 'UNIFIED',
    accountIMRate: accountRate(initial, marginBalance),
    accountIMRateByMp: accountRate(initial, marginBalance),
    accountMMRate: accountRate(maintenance, marginBalance),
    accountMMRateByMp: accountRate(maintenance, marginBalance),
    totalEquity: formatAmount(marginBalance),
    totalWalletBalance: formatAmount(wallet),
    totalMarginBalance: formatAmount(marginBalance),
    totalAvailableBalance: formatAmount(available),
    totalPerpUPL: formatAmount(upnl),
    totalInitialMargin: formatAmount(initial),
    totalInitialMarginByMp: formatAmount(initial),
    totalMaintenanceMargin: formatAmount(maintenance),
    totalMaintenanceMarginByMp: formatAmount(maintenance),
    accountLTV: '0',
    coin: coins.map((c) => bybitCoin(c, usdValue)),
  };
}

/**
 * A funding settlement as Bybit's `Funding` execution: execFee is what the position paid
 * (negative when it received), feeRate the funding rate (positive: longs pay shorts).
 */
export function bybitFundingExecution(f: FundingEvent, config: SymbolConfig): Record<string, unknown> {
  const size = Math.abs(f.qty);
  return {
    category: categoryOfConfig(config),
    symbol: bybitSymbol(f.symbol),
    isLeverage: '',
    orderId: '',
    orderLinkId: '',
    side: f.qty > 0 ? 'Buy' : 'Sell',
    orderPrice: '0',
    orderQty: '0',
    leavesQty: '0',
    createType: '',
    orderType: 'UNKNOWN',
    stopOrderType: 'UNKNOWN',
    execFee: formatAmount(-f.fundingFee),
    execId: `funding-${f.symbol}-${positionIdx(f.positionSide)}-${f.fundingTime}`,
    execPrice: price(config, f.markPrice),
    execQty: baseQty(config, size),
    execPnl: '0',
    execType: 'Funding',
    execValue: value(config, size, f.markPrice),
    execTime: String(f.fundingTime),
    isMaker: false,
    feeRate: formatRate(f.fundingRate),
    tradeIv: '',
    markIv: '',
    markPrice: price(config, f.markPrice),
    indexPrice: '',
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: '0',
    extraFees: '',
    seq: f.cmdSeq,
    feeCurrency: config.settleAsset,
    marketUnit: '',
  };
}

/**
 * A position closed by its contract's delivery as Bybit's execution: createType `CreateBySettle`
 * ("recorded as a trade but not an order": no orderId), execType `Delivery` for a USDT future and
 * `Settle` for an inverse future (enum.mdx execType), at the delivery price, on the side that
 * closes the position, with the delivery fee and the close's PnL.
 */
/** enum.mdx execType: `Settle` "Inverse futures settlement", `Delivery` "USDT futures delivery". */
export const deliveryExecType = (config: SymbolConfig): 'Settle' | 'Delivery' => (config.inverse ? 'Settle' : 'Delivery');

export type Delivered = Pick<DeliveryEvent, 'symbol' | 'positionSide' | 'qty' | 'deliveryPrice' | 'deliveryTime' | 'realizedPnl' | 'fee' | 'cmdSeq'>;

export function bybitDeliveryExecution(d: Delivered, config: SymbolConfig): Record<string, unknown> {
  const size = Math.abs(d.qty);
  return {
    category: categoryOfConfig(config),
    symbol: bybitSymbol(d.symbol),
    isLeverage: '',
    orderId: '',
    orderLinkId: '',
    side: d.qty > 0 ? 'Sell' : 'Buy',
    orderPrice: '0',
    orderQty: '0',
    leavesQty: '0',
    createType: 'CreateBySettle',
    orderType: 'UNKNOWN',
    stopOrderType: 'UNKNOWN',
    execFee: formatAmount(d.fee),
    execId: `delivery-${d.symbol}-${positionIdx(d.positionSide)}-${d.deliveryTime}`,
    execPrice: price(config, d.deliveryPrice),
    execQty: baseQty(config, size),
    execPnl: formatAmount(d.realizedPnl),
    execType: deliveryExecType(config),
    execValue: value(config, size, d.deliveryPrice),
    execTime: String(d.deliveryTime),
    isMaker: false,
    feeRate: formatRate(config.delivery?.feeRate ?? 0n),
    tradeIv: '',
    markIv: '',
    markPrice: price(config, d.deliveryPrice),
    indexPrice: '',
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: baseQty(config, size),
    extraFees: '',
    seq: d.cmdSeq,
    feeCurrency: config.settleAsset,
    marketUnit: '',
  };
}
