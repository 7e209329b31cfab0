/**
 * Positions in KuCoin's words (seed 004, protocols.md §4.2): the `position.change` data for an
 * isolated and for a cross position (every field of the seed, numbers as JSON numbers), the
 * reduced set a mark-price move sends, `position.settlement` (funding), `position.adjustRiskLimit`,
 * and the REST position object (the union of the fields, plus `id`).
 *
 * KuCoin's position bookkeeping, as the seed's numbers show it (linear contracts, settle asset):
 *   posCost = unrealisedCost = sign × entry value          markValue = sign × |qty| × mark × multiplier
 *   unrealisedPnl = markValue − posCost                    realisedGrossCost = −realisedGrossPnl
 *   realisedCost = currentComm + realisedGrossCost          currentCost = posCost + realisedGrossCost
 *   posMargin = posInit + posCross + posComm − posLoss      maintMargin = posMargin + unrealisedPnl
 *   unrealisedPnlPcnt = unrealisedPnl / |posCost|           unrealisedRoePcnt = unrealisedPnl / posInit
 * perpstream keeps no closing-fee reserve in a position (posComm 0) and reports funding in
 * posFunding (posLoss 0), so posCross is what the margin holds beyond posInit.
 * Inverse contracts (XBTUSDM, XBTMH27) follow the same identities in XBT with KuCoin's negative
 * multiplier (a long's posCost and markValue are negative) and 10 decimals: see `figures`.
 */
import { absBig } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ChangeReason, FundingEvent, PositionSnapshot, RiskLimitEvent } from '../../engine/types.js';
import { Num, type JsonValue } from './json.js';
import {
  amountInValueUnits, amountNum, averagePriceNum, averagePriceText, amountText, DERIVED_DECIMALS, inverseCostInValueUnits, nsNum, nsText, PERCENT_DECIMALS,
  priceNum, priceText, rateNum, rateText, ratioNum, scaledPriceNum, valueNum, valueOf, valueText,
} from './values.js';
import { costOf } from '../../engine/margin.js';
import { kucoinCurrency } from './symbols.js';

export type JsonObject = { [key: string]: JsonValue };

/** KuCoin's changeReason for what moved a position (seed 004's five values). */
export function changeReason(reason: ChangeReason): string {
  switch (reason) {
    case 'LIQUIDATION': return 'liquidation';
    case 'ADL': return 'adl';
    case 'AUTO_DEPOSIT_CHANGE': return 'autoAppendMarginStatusChange';
    // Margin moved without the quantity moving: a transfer, the risk engine's auto-add, a leverage,
    // margin-mode or risk-limit change re-margining the position, a funding settlement.
    case 'MARGIN_TRANSFER':
    case 'AUTO_DEPOSIT':
    case 'LEVERAGE_CHANGE':
    case 'MARGIN_TYPE_CHANGE':
    case 'RISK_LIMIT_CHANGE':
    case 'FUNDING_FEE':
      return 'marginChange';
    // KuCoin lists no reason of its own for a delivery: the contract's settlement closes the position, a position change.
    case 'DELIVERY':
    default:
      return 'positionChange';
  }
}

/** KuCoin's margin mode name. */
export const kucoinMarginMode = (p: Pick<PositionSnapshot, 'marginMode'>): 'ISOLATED' | 'CROSS' => (p.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS');

/** A stable position id, the same in REST, the classic stream and the UTA stream (ccxt keys its cache by it). */
export const positionId = (accountId: number, name: string, p: Pick<PositionSnapshot, 'positionSide'>): string => `${accountId}-${name}-${p.positionSide}`;

/**
 * The exact values behind a position's KuCoin fields, in units of 10^-valueDecimals of the settle
 * asset (values.ts: 10⁻⁸ for linear, 10⁻¹⁰ for inverse, KuCoin's decimals for XBT).
 *
 * Inverse (XBTUSDM, multiplier −contractSize): KuCoin values a position at qty × multiplier / price,
 * so a long has a negative cost and mark value: posCost = −sign × entryCost (the engine's coin value
 * of the entry, 10⁻¹⁶ coin), markValue = −sign × qty × C / mark (the same exit cost the engine's PnL
 * uses), each rounded to 10 decimals, and unrealisedPnl = markValue − posCost from those (seed 004:
 * −0.0000279684 − −0.0000285718 = 0.0000006034; the engine books the 0.00000060 of it its 10⁻⁸ hold).
 */
interface Figures {
  size: number;
  posCost: bigint;
  markValue: bigint;
  unrealisedPnl: bigint;
  realisedGrossPnl: bigint;
  posInit: bigint;
  posCross: bigint;
  maintMargin: bigint;
}

function figures(p: PositionSnapshot, config: SymbolConfig): Figures {
  const size = Math.abs(p.qty);
  const sign = p.qty < 0 ? -1n : 1n;
  const units = (amount: bigint): bigint => amountInValueUnits(config, amount);
  let posCost: bigint;
  let markValue: bigint;
  let unrealisedPnl: bigint;
  if (config.inverse) {
    posCost = -sign * inverseCostInValueUnits(p.entryCost);
    markValue = p.markPrice > 0 && size > 0 ? -sign * inverseCostInValueUnits(costOf(config, size, p.markPrice)) : posCost;
    unrealisedPnl = markValue - posCost;
  } else {
    posCost = sign * p.entryCost * config.valuePerTickContract;
    // Without a mark the position is valued at entry, as the engine's unrealized PnL (0) says.
    markValue = p.markPrice > 0 ? sign * valueOf(config, size, p.markPrice) : posCost;
    unrealisedPnl = p.unrealizedPnl;
  }
  // realizedPnlCurrent is net of the position's fees and includes its funding; the gross PnL has neither.
  const realisedGrossPnl = units(p.realizedPnlCurrent + p.feesCurrent - p.fundingTotal);
  return {
    size, posCost, markValue, unrealisedPnl, realisedGrossPnl,
    posInit: units(p.initialMargin),
    posCross: units(p.margin - p.initialMargin),
    maintMargin: units(p.margin) + unrealisedPnl,
  };
}

/** Position value at mark over the margin that backs it; the leverage setting while flat or unvalued. */
function realLeverage(p: PositionSnapshot, f: Figures): Num {
  if (f.size === 0 || f.maintMargin <= 0n) return Num.of(String(p.leverage));
  return ratioNum(absBig(f.markValue), f.maintMargin, DERIVED_DECIMALS);
}

const markPriceNum = (p: PositionSnapshot, config: SymbolConfig): Num => (p.markPrice > 0 ? priceNum(config, p.markPrice) : Num.of('0'));

/**
 * `position.change` data caused by an operation: the isolated field set of seed 004 for an isolated
 * position, the cross set (plus posMaint and riskLimitLevel, common per protocols.md §4.2) for a
 * cross one, in the seed's order.
 */
export function positionChangeData(p: PositionSnapshot, config: SymbolConfig, name: string, reason: ChangeReason, time: number): JsonObject {
  const f = figures(p, config);
  const value = (units: bigint): Num => valueNum(config, units);
  const fees = amountInValueUnits(config, p.feesCurrent);
  const common = {
    currentQty: p.qty,
    currentCost: value(f.posCost - f.realisedGrossPnl),
    currentComm: value(fees),
    unrealisedCost: value(f.posCost),
    realisedCost: value(fees - f.realisedGrossPnl),
    isOpen: p.qty !== 0,
    markPrice: markPriceNum(p, config),
    markValue: value(f.markValue),
    posCost: value(f.posCost),
  };
  const tail = {
    realisedGrossCost: value(-f.realisedGrossPnl),
    realisedGrossPnl: value(f.realisedGrossPnl),
    realisedPnl: amountNum(p.realizedPnlCurrent),
    unrealisedPnl: value(f.unrealisedPnl),
    unrealisedPnlPcnt: ratioNum(f.unrealisedPnl, absBig(f.posCost), PERCENT_DECIMALS),
    unrealisedRoePcnt: ratioNum(f.unrealisedPnl, f.posInit, PERCENT_DECIMALS),
  };
  const prices = {
    avgEntryPrice: averagePriceNum(config, p.entryCost, f.size),
    liquidationPrice: scaledPriceNum(p.liquidationPrice),
    bankruptPrice: scaledPriceNum(p.bankruptcyPrice),
    settleCurrency: kucoinCurrency(config.settleAsset),
  };
  if (p.marginMode === 'ISOLATED') {
    const leverage = realLeverage(p, f);
    return {
      symbol: name,
      maintMarginReq: rateNum(p.maintenanceMarginRate),
      riskLimit: amountNum(p.riskLimit),
      realLeverage: leverage,
      crossMode: false,
      delevPercentage: rateNum(p.adlQuantile),
      openingTimestamp: p.openTime,
      autoDeposit: p.autoDeposit,
      currentTimestamp: time,
      ...common,
      posCross: value(f.posCross),
      posInit: value(f.posInit),
      posComm: Num.of('0'),
      posLoss: Num.of('0'),
      posMargin: amountNum(p.margin),
      posFunding: amountNum(p.fundingTotal),
      posMaint: amountNum(p.maintenanceMargin),
      maintMargin: value(f.maintMargin),
      ...prices,
      changeReason: changeReason(reason),
      riskLimitLevel: p.riskLevel,
      ...tail,
      leverage,
      marginMode: 'ISOLATED',
      positionSide: p.positionSide,
    };
  }
  return {
    symbol: name,
    crossMode: true,
    delevPercentage: rateNum(p.adlQuantile),
    openingTimestamp: p.openTime,
    currentTimestamp: time,
    ...common,
    posInit: value(f.posInit),
    posMargin: amountNum(p.margin),
    posMaint: amountNum(p.maintenanceMargin),
    ...prices,
    changeReason: changeReason(reason),
    riskLimitLevel: p.riskLevel,
    ...tail,
    // The contract's leverage setting ("合约维度的全局杠杆" in the seed).
    leverage: Num.of(String(p.leverage)),
    marginMode: 'CROSS',
    positionSide: p.positionSide,
  };
}

/**
 * `position.change` data caused by the mark price: seed 004's reduced set. `symbol` is added where
 * the topic does not name it (/contract/positionAll), and `positionSide` in hedge mode, where one
 * symbol has two positions.
 */
export function markPriceData(p: PositionSnapshot, config: SymbolConfig, name: string, time: number, withSymbol: boolean): JsonObject {
  const f = figures(p, config);
  return {
    symbol: withSymbol ? name : undefined,
    markPrice: markPriceNum(p, config),
    markValue: valueNum(config, f.markValue),
    maintMargin: valueNum(config, f.maintMargin),
    realLeverage: realLeverage(p, f),
    unrealisedPnl: valueNum(config, f.unrealisedPnl),
    unrealisedRoePcnt: ratioNum(f.unrealisedPnl, f.posInit, PERCENT_DECIMALS),
    unrealisedPnlPcnt: ratioNum(f.unrealisedPnl, absBig(f.posCost), PERCENT_DECIMALS),
    delevPercentage: rateNum(p.adlQuantile),
    currentTimestamp: time,
    settleCurrency: kucoinCurrency(config.settleAsset),
    positionSide: p.positionSide === 'BOTH' ? undefined : p.positionSide,
  };
}

/** The REST position object (GET /api/v1/positions, /api/v1/position): every field of both sets. */
export function restPosition(accountId: number, p: PositionSnapshot, config: SymbolConfig, name: string, now: number): JsonObject {
  const f = figures(p, config);
  const full = positionChangeData({ ...p, marginMode: 'ISOLATED' }, config, name, 'ORDER', now);
  const cross = p.marginMode === 'CROSSED';
  return {
    id: positionId(accountId, name, p),
    ...full,
    crossMode: cross,
    marginMode: kucoinMarginMode(p),
    leverage: cross ? Num.of(String(p.leverage)) : full.leverage,
    changeReason: undefined,
    realLeverage: realLeverage(p, f),
    isInverse: config.inverse,
  };
}

/**
 * `position.settlement`. KuCoin's fundingFee is what the position paid (seed 004: a long of 100 at
 * a negative rate shows a negative fee, i.e. it received), so it is the engine's received amount
 * negated.
 */
export function settlementData(e: FundingEvent, config: SymbolConfig): JsonObject {
  return {
    fundingTime: e.fundingTime,
    qty: e.qty,
    markPrice: priceNum(config, e.markPrice),
    fundingRate: rateNum(e.fundingRate),
    fundingFee: amountNum(-e.fundingFee),
    ts: nsNum(e.time),
    settleCurrency: kucoinCurrency(config.settleAsset),
  };
}

export function adjustRiskLimitData(e: RiskLimitEvent): JsonObject {
  return { success: e.success, riskLimitLevel: e.riskLevel, msg: e.message };
}

/** UTA `positionAll` / `position` data (protocols.md §4.3): decimals as strings, like KuCoin's sample. */
export function utaPositionData(accountId: number, p: PositionSnapshot, config: SymbolConfig, name: string, time: number): JsonObject {
  const f = figures(p, config);
  return {
    pi: positionId(accountId, name, p),
    s: name,
    mM: kucoinMarginMode(p),
    q: String(p.qty),
    eP: averagePriceText(config, p.entryCost, f.size),
    pV: valueText(config, absBig(f.markValue)),
    mP: p.markPrice > 0 ? priceText(config, p.markPrice) : '0',
    lP: p.liquidationPrice === null ? '0' : amountText(p.liquidationPrice),
    bP: p.bankruptcyPrice === null ? '0' : amountText(p.bankruptcyPrice),
    l: String(p.leverage),
    uPL: valueText(config, f.unrealisedPnl),
    rPL: amountText(p.realizedPnlCurrent),
    iM: amountText(p.initialMargin),
    mmr: rateText(p.maintenanceMarginRate),
    mtM: amountText(p.maintenanceMargin),
    U: nsText(time),
    O: nsNum(p.openTime),
  };
}
