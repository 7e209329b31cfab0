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
 */
import { absBig } from '../../engine/fixed.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { ChangeReason, FundingEvent, PositionSnapshot, RiskLimitEvent } from '../../engine/types.js';
import { Num, type JsonValue } from './json.js';
import {
  amountNum, averagePriceNum, averagePriceText, amountText, DERIVED_DECIMALS, nsNum, nsText, PERCENT_DECIMALS, priceNum, priceText,
  rateNum, rateText, ratioNum, scaledPriceNum, valueOf,
} from './values.js';

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
    default:
      return 'positionChange';
  }
}

/** KuCoin's margin mode name. */
export const kucoinMarginMode = (p: Pick<PositionSnapshot, 'marginMode'>): 'ISOLATED' | 'CROSS' => (p.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS');

/** A stable position id, the same in REST, the classic stream and the UTA stream (ccxt keys its cache by it). */
export const positionId = (accountId: number, name: string, p: Pick<PositionSnapshot, 'positionSide'>): string => `${accountId}-${name}-${p.positionSide}`;

/** The exact amounts behind a position's KuCoin fields, all in 10⁻⁸ of the settle asset. */
interface Figures {
  size: number;
  posCost: bigint;
  markValue: bigint;
  realisedGrossPnl: bigint;
  posInit: bigint;
  posCross: bigint;
  maintMargin: bigint;
}

function figures(p: PositionSnapshot, config: SymbolConfig): Figures {
  const size = Math.abs(p.qty);
  const sign = p.qty < 0 ? -1n : 1n;
  const posCost = sign * p.entryCost * config.valuePerTickContract;
  // Without a mark the position is valued at entry, as the engine's unrealized PnL (0) says.
  const markValue = p.markPrice > 0 ? sign * valueOf(config, size, p.markPrice) : posCost;
  // realizedPnlCurrent is net of the position's fees and includes its funding; the gross PnL has neither.
  const realisedGrossPnl = p.realizedPnlCurrent + p.feesCurrent - p.fundingTotal;
  return {
    size, posCost, markValue, realisedGrossPnl,
    posInit: p.initialMargin,
    posCross: p.margin - p.initialMargin,
    maintMargin: p.margin + p.unrealizedPnl,
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
  const common = {
    currentQty: p.qty,
    currentCost: amountNum(f.posCost - f.realisedGrossPnl),
    currentComm: amountNum(p.feesCurrent),
    unrealisedCost: amountNum(f.posCost),
    realisedCost: amountNum(p.feesCurrent - f.realisedGrossPnl),
    isOpen: p.qty !== 0,
    markPrice: markPriceNum(p, config),
    markValue: amountNum(f.markValue),
    posCost: amountNum(f.posCost),
  };
  const tail = {
    realisedGrossCost: amountNum(-f.realisedGrossPnl),
    realisedGrossPnl: amountNum(f.realisedGrossPnl),
    realisedPnl: amountNum(p.realizedPnlCurrent),
    unrealisedPnl: amountNum(p.unrealizedPnl),
    unrealisedPnlPcnt: ratioNum(p.unrealizedPnl, absBig(f.posCost), PERCENT_DECIMALS),
    unrealisedRoePcnt: ratioNum(p.unrealizedPnl, f.posInit, PERCENT_DECIMALS),
  };
  const prices = {
    avgEntryPrice: averagePriceNum(config, p.entryCost, f.size),
    liquidationPrice: scaledPriceNum(p.liquidationPrice),
    bankruptPrice: scaledPriceNum(p.bankruptcyPrice),
    settleCurrency: config.settleAsset,
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
      posCross: amountNum(f.posCross),
      posInit: amountNum(f.posInit),
      posComm: Num.of('0'),
      posLoss: Num.of('0'),
      posMargin: amountNum(p.margin),
      posFunding: amountNum(p.fundingTotal),
      posMaint: amountNum(p.maintenanceMargin),
      maintMargin: amountNum(f.maintMargin),
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
    posInit: amountNum(f.posInit),
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
    markValue: amountNum(f.markValue),
    maintMargin: amountNum(f.maintMargin),
    realLeverage: realLeverage(p, f),
    unrealisedPnl: amountNum(p.unrealizedPnl),
    unrealisedRoePcnt: ratioNum(p.unrealizedPnl, f.posInit, PERCENT_DECIMALS),
    unrealisedPnlPcnt: ratioNum(p.unrealizedPnl, absBig(f.posCost), PERCENT_DECIMALS),
    delevPercentage: rateNum(p.adlQuantile),
    currentTimestamp: time,
    settleCurrency: config.settleAsset,
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
    isInverse: false,
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
    settleCurrency: config.settleAsset,
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
    pV: amountText(absBig(f.markValue)),
    mP: p.markPrice > 0 ? priceText(config, p.markPrice) : '0',
    lP: p.liquidationPrice === null ? '0' : amountText(p.liquidationPrice),
    bP: p.bankruptcyPrice === null ? '0' : amountText(p.bankruptcyPrice),
    l: String(p.leverage),
    uPL: amountText(p.unrealizedPnl),
    rPL: amountText(p.realizedPnlCurrent),
    iM: amountText(f.posInit),
    mmr: rateText(p.maintenanceMarginRate),
    mtM: amountText(p.maintenanceMargin),
    U: nsText(time),
    O: nsNum(p.openTime),
  };
}
