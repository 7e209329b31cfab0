/**
 * Binance REST objects built from the engine's account view: assets, positions (positionRisk v2/v3,
 * account positions), orders and trades. Amounts are decimal strings with 8 places, quantities
 * base units, prices decimals.
 */
import { AMOUNT_DECIMALS, formatAmount } from '../../engine/fixed.js';
import type { ConditionalSnapshot, OrderSnapshot, PositionSnapshot, TradeEvent } from '../../engine/types.js';
import type { AccountView, WalletView } from '../../engine/view.js';
import type { Exchange } from '../../service/exchange.js';
import { originOrderFields } from './algo.js';
import { BinanceError, ERR } from './errors.js';
import { breakEvenPrice, clientId, mt, orderStatus } from './encode.js';
import { formatAverage, formatPrice, formatQty, formatUnitPrice, pairOf, type BinanceSymbol, type BinanceSymbols } from './symbols.js';
import { emptyPositionSnapshot } from '../../engine/snapshots.js';
import { notional, valueOfCost } from '../../engine/margin.js';

type Json = Record<string, unknown>;

/** REST amounts keep all 8 places, as Binance's REST does ("0.00000000"). */
export const rest8 = (units: bigint): string => formatAmount(units, AMOUNT_DECIMALS);

export function accountOf(exchange: Exchange, accountId: number): { seq: number; view: AccountView } {
  const state = exchange.engine.account(accountId);
  if (state === undefined) throw new BinanceError(ERR.REJECTED_MBX_KEY, 'Invalid API-key, IP, or permissions for action.', 401);
  return state;
}

/** Mark price, else last trade price (ticks); 0 when the symbol has neither. */
export function referenceTicks(exchange: Exchange, symbol: BinanceSymbol): number {
  const market = exchange.engine.market(symbol.config.symbol);
  return market?.markPrice ?? market?.lastPrice ?? 0;
}

/** Signed notional at the reference price, in amount units (COIN-M: the coin value, `notionalValue`). */
export function notionalOf(symbol: BinanceSymbol, p: PositionSnapshot, ticks: number): bigint {
  if (ticks === 0 || p.qty === 0) return 0n;
  return notional(symbol.config, p.qty, ticks);
}

/** The position a symbol and side show when the account has no record for them (never traded). */
export function emptyPosition(view: AccountView, symbol: BinanceSymbol, side: PositionSnapshot['positionSide']): PositionSnapshot {
  const settings = view.settings.find((s) => s.symbol === symbol.config.symbol)!;
  return emptyPositionSnapshot({ symbol: symbol.config.symbol, positionSide: side, marginMode: settings.marginMode, leverage: settings.leverage });
}

/** Isolated: wallet + unrealized PnL (Binance's isolatedMargin); cross: 0. */
const isolatedMarginOf = (p: PositionSnapshot): bigint => (p.marginMode === 'ISOLATED' ? p.margin + p.unrealizedPnl : 0n);
/** The margin the position holds: its isolated wallet, or a cross position's initial margin. */
const positionInitialMargin = (p: PositionSnapshot): bigint => p.margin;

/** One positionRisk row (v3 fields; v2 adds leverage, marginType and a few more). */
export function positionRisk(exchange: Exchange, symbol: BinanceSymbol, p: PositionSnapshot, version: 2 | 3): Json {
  const ticks = referenceTicks(exchange, symbol);
  const row: Json = {
    symbol: symbol.name,
    positionSide: p.positionSide,
    positionAmt: p.qty === 0 ? formatQty0(symbol) : formatQty(symbol, p.qty),
    entryPrice: formatAverage(symbol, p.entryCost, p.qty),
    breakEvenPrice: breakEvenPrice(symbol, p),
    markPrice: ticks === 0 ? '0' : formatPrice(symbol, ticks),
    unRealizedProfit: rest8(p.unrealizedPnl),
    liquidationPrice: p.liquidationPrice === null ? '0' : formatUnitPrice(symbol, p.liquidationPrice),
    isolatedMargin: rest8(isolatedMarginOf(p)),
    notional: rest8(notionalOf(symbol, p, ticks)),
    marginAsset: symbol.config.settleAsset,
    isolatedWallet: rest8(p.marginMode === 'ISOLATED' ? p.margin : 0n),
    initialMargin: rest8(positionInitialMargin(p) + p.openOrderMarginFrozen),
    maintMargin: rest8(p.maintenanceMargin),
    positionInitialMargin: rest8(positionInitialMargin(p)),
    openOrderInitialMargin: rest8(p.openOrderMarginFrozen),
    adl: Number((p.adlQuantile * 4n + 99_999_999n) / 100_000_000n),
    bidNotional: '0',
    askNotional: '0',
    updateTime: p.updateTime,
  };
  if (symbol.market === 'coinm') return coinmPositionRisk(symbol, p, row);
  if (version === 3) return row;
  return {
    ...row,
    leverage: String(p.leverage),
    maxNotionalValue: maxNotional(symbol, p.leverage),
    marginType: mt(p.marginMode),
    isAutoAddMargin: String(p.autoDeposit),
    isolated: p.marginMode === 'ISOLATED',
    adlQuantile: row.adl,
  };
}

/** /dapi/v1/positionRisk's row: quantities in contracts, `notionalValue` in the coin, `maxQty` for the leverage. */
function coinmPositionRisk(symbol: BinanceSymbol, p: PositionSnapshot, row: Json): Json {
  return {
    symbol: row.symbol, positionAmt: row.positionAmt, entryPrice: row.entryPrice, breakEvenPrice: row.breakEvenPrice, markPrice: row.markPrice,
    unRealizedProfit: row.unRealizedProfit, liquidationPrice: row.liquidationPrice, leverage: String(p.leverage), maxQty: maxQty(symbol, p.leverage),
    marginType: mt(p.marginMode), isolatedMargin: row.isolatedMargin, isAutoAddMargin: String(p.autoDeposit), positionSide: p.positionSide,
    notionalValue: row.notional, isolatedWallet: row.isolatedWallet, updateTime: row.updateTime,
  };
}

/**
 * COIN-M's leverage cap as a quantity (`maxQty`, contracts): the largest position of the tiers whose
 * max leverage allows `leverage`. Tier floors are coin notionals; with no price to turn them into
 * contracts, the symbol's position limit stands for every tier.
 */
export const maxQty = (symbol: BinanceSymbol, leverage: number): string =>
  symbol.config.tiers.some((t) => t.maxLeverage >= leverage) ? String(symbol.config.spec.maxPositionQty) : '0';

const formatQty0 = (symbol: BinanceSymbol): string => (symbol.qtyDecimals === 0 ? '0' : `0.${'0'.repeat(symbol.qtyDecimals)}`);

/** The highest notional of the tiers whose max leverage allows `leverage`. */
export function maxNotional(symbol: BinanceSymbol, leverage: number): string {
  const tiers = symbol.config.tiers;
  for (let i = tiers.length - 1; i >= 0; i--) {
    if (tiers[i]!.maxLeverage >= leverage) return i + 1 < tiers.length ? formatAmount(tiers[i + 1]!.floor) : formatAmount(lastCap(symbol));
  }
  return '0';
}

/** Notional cap of the last tier: the largest position at the highest price. */
export const lastCap = (symbol: BinanceSymbol): bigint =>
  BigInt(symbol.config.spec.maxPositionQty) * BigInt(symbol.config.spec.maxPriceTicks) * symbol.config.valuePerTickContract;

/** Every position Binance lists for the account: records and, for symbols without one, zero rows. */
export function positionRows(view: AccountView, symbols: BinanceSymbols, only?: BinanceSymbol): { symbol: BinanceSymbol; position: PositionSnapshot }[] {
  const sides: PositionSnapshot['positionSide'][] = view.positionMode === 'HEDGE' ? ['LONG', 'SHORT'] : ['BOTH'];
  const rows: { symbol: BinanceSymbol; position: PositionSnapshot }[] = [];
  for (const symbol of only === undefined ? symbols.all() : [only]) {
    for (const side of sides) {
      const position = view.positions.find((p) => p.symbol === symbol.config.symbol && p.positionSide === side) ?? emptyPosition(view, symbol, side);
      rows.push({ symbol, position });
    }
  }
  return rows;
}

/** Positions holding something: a quantity or open orders (positionRisk v3, account v3). */
export const isActive = (p: PositionSnapshot): boolean => p.qty !== 0 || p.openOrderQty > 0 || p.closeOrderQty > 0;

export interface AssetFigures {
  wallet: WalletView;
  unrealized: bigint;
  crossUnrealized: bigint;
  initialMargin: bigint;
  positionInitialMargin: bigint;
  maintMargin: bigint;
  crossWallet: bigint;
}

export function assetFigures(view: AccountView, symbols: BinanceSymbols, wallet: WalletView): AssetFigures {
  let unrealized = 0n;
  let crossUnrealized = 0n;
  let maintMargin = 0n;
  for (const p of view.positions) {
    if (symbols.of(p.symbol).config.settleAsset !== wallet.asset) continue;
    unrealized += p.unrealizedPnl;
    if (p.marginMode === 'CROSSED') crossUnrealized += p.unrealizedPnl;
    maintMargin += p.maintenanceMargin;
  }
  const positionInitialMargin = wallet.isolatedMargin + wallet.crossedMargin;
  return {
    wallet, unrealized, crossUnrealized, maintMargin, positionInitialMargin,
    initialMargin: positionInitialMargin + wallet.openOrderMarginFrozen,
    crossWallet: wallet.walletBalance - wallet.isolatedMargin,
  };
}

export function assetEntry(f: AssetFigures, updateTime: number): Json {
  return {
    asset: f.wallet.asset,
    walletBalance: rest8(f.wallet.walletBalance),
    unrealizedProfit: rest8(f.unrealized),
    marginBalance: rest8(f.wallet.walletBalance + f.unrealized),
    maintMargin: rest8(f.maintMargin),
    initialMargin: rest8(f.initialMargin),
    positionInitialMargin: rest8(f.positionInitialMargin),
    openOrderInitialMargin: rest8(f.wallet.openOrderMarginFrozen),
    crossWalletBalance: rest8(f.crossWallet),
    crossUnPnl: rest8(f.crossUnrealized),
    availableBalance: rest8(f.wallet.availableBalance),
    maxWithdrawAmount: rest8(f.wallet.availableBalance),
    marginAvailable: true,
    updateTime,
  };
}

/**
 * A REST order object (POST/GET/DELETE /fapi/v1/order, openOrders, allOrders). An order a
 * conditional placed (`origin`: that conditional) shows its original type and trigger (algo.ts).
 */
export function orderObject(symbol: BinanceSymbol, o: OrderSnapshot, origin?: ConditionalSnapshot): Json {
  const fields: Json = {
    orderId: o.orderId,
    symbol: symbol.name,
    status: orderStatus(o),
    clientOrderId: clientId(o),
    price: formatPrice(symbol, o.price),
    ...(symbol.market === 'coinm' ? { pair: pairOf(symbol.config) } : {}),
    avgPrice: o.executedQty === 0 ? '0' : formatAverage(symbol, o.cumCost, o.executedQty),
    origQty: formatQty(symbol, o.qty),
    executedQty: formatQty(symbol, o.executedQty),
    // USDⓈ-M: the quote filled (cumQty, cumQuote); COIN-M: the coin filled (cumBase).
    ...(symbol.market === 'coinm' ? { cumBase: rest8(valueOfCost(symbol.config, o.cumCost)) } : {
      cumQty: formatQty(symbol, o.executedQty), cumQuote: rest8(o.cumQuote * symbol.config.valuePerTickContract),
    }),
    timeInForce: o.timeInForce,
    type: o.source === 'USER' ? o.orderType : 'LIQUIDATION',
    reduceOnly: o.reduceOnly,
    closePosition: false,
    side: o.side,
    positionSide: o.positionSide,
    stopPrice: '0',
    workingType: 'CONTRACT_PRICE',
    priceProtect: false,
    origType: o.source === 'USER' ? o.orderType : 'LIQUIDATION',
    priceMatch: 'NONE',
    selfTradePreventionMode: o.stpMode,
    goodTillDate: 0,
    time: o.createTime,
    updateTime: o.updateTime,
  };
  return origin === undefined ? fields : { ...fields, ...originOrderFields(symbol, origin) };
}

/** A REST trade (userTrades). */
export function tradeObject(symbol: BinanceSymbol, t: TradeEvent): Json {
  return {
    symbol: symbol.name,
    id: t.tradeId,
    orderId: t.orderId,
    side: t.side,
    price: formatPrice(symbol, t.price),
    qty: formatQty(symbol, t.qty),
    realizedPnl: rest8(t.realizedPnl),
    // COIN-M: the pair, the margin asset and the coin value (`baseQty`) instead of the quote value.
    ...(symbol.market === 'coinm'
      ? { pair: pairOf(symbol.config), marginAsset: symbol.config.settleAsset, baseQty: rest8(notional(symbol.config, t.qty, t.price)) }
      : { quoteQty: rest8(BigInt(t.qty) * BigInt(t.price) * symbol.config.valuePerTickContract) }),
    commission: rest8(t.fee),
    commissionAsset: t.feeAsset,
    time: t.time,
    positionSide: t.positionSide,
    buyer: t.side === 'BUY',
    maker: t.isMaker,
  };
}
