/**
 * The risk fields of a position snapshot (docs/engine-rules.md, "Risk: position fields"), computed
 * when the snapshot is taken, so every event and view carries current values.
 *
 * Every position event carries them, so they are on the order path: each position keeps its last
 * values with the inputs they came from (RiskCache) and a field is recomputed only when one of its
 * own inputs moved. Most events change one or two inputs (an order's frozen margin moves the risk
 * level's exposure, a fill's fee the cross wallet), and the liquidation and bankruptcy prices, the
 * expensive part, depend only on the unit's equity and maintenance bases and the legs.
 */
import { notional as notionalOf, valueOfCost } from '../margin.js';
import type { Position } from '../state.js';
import type { PositionSnapshot } from '../types.js';
import { bankruptcyPoint, liquidationPoint, unitsPerTick, type Inputs } from './liquidation-price.js';
import { scaleCeil, scaleFloor } from './rational.js';
import { levelInForce, tierCeiling, tierIndex } from './tiers.js';
import { valuationOf } from '../snapshots.js';
import { isOpenCross, legOf, marginRatio, positionInitialMargin } from './valuation.js';

export type RiskFields = Pick<PositionSnapshot,
  'initialMargin' | 'maintenanceMarginRate' | 'riskLevel' | 'riskLimit' | 'liquidationPrice' | 'bankruptcyPrice' | 'marginRatio'>;

/** A position's risk fields as last computed, each with the inputs it was computed from (refreshed in place). */
class RiskCache implements RiskFields {
  initialMargin = 0n;
  maintenanceMarginRate = 0n;
  riskLevel = 1;
  riskLimit = 0n;
  liquidationPrice: bigint | null = null;
  bankruptcyPrice: bigint | null = null;
  marginRatio = 0n;

  // initialMargin's inputs (NaN leverage: never computed).
  imEntryCost = 0n;
  imLeverage = Number.NaN;
  // maintenanceMarginRate's: the notional's inputs.
  mmrQty = Number.NaN;
  mmrEntryCost = 0n;
  mmrMark: number | null = null;
  // riskLevel's and riskLimit's: the exposure's inputs and the chosen level.
  levelQty = Number.NaN;
  levelEntryCost = 0n;
  levelBuyCost = 0n;
  levelSellCost = 0n;
  levelChosen = 0;
  // The prices': the unit's bases, the legs on the symbol, and the mark when the legs net to zero.
  pricesValid = false;
  equityBase = 0n;
  maintenanceBase = 0n;
  priceMark: number | null = null;
  legQty: number[] = [];
  legCost: bigint[] = [];
  // marginRatio's: the unit's equity and maintenance.
  ratioEquity = 0n;
  ratioMaintenance = -1n;
}

/** The legs of the position being computed (reused: this runs for every position event). */
const legs: Position[] = [];

/** Whether `legs` are the cached prices' legs (quantity and entry cost each). */
function sameLegs(c: RiskCache): boolean {
  if (c.legQty.length !== legs.length) return false;
  for (let i = 0; i < legs.length; i++) if (c.legQty[i] !== legs[i]!.qty || c.legCost[i] !== legs[i]!.entryCost) return false;
  return true;
}

/**
 * Liquidation and bankruptcy prices of the legs (a pure function of the inputs compared here), into
 * the cache.
 */
function refreshPrices(p: Position, c: RiskCache, equityBase: bigint, maintenanceBase: bigint, net: number): void {
  const mark = p.symbol.markPrice;
  const priceMark = net === 0 ? mark : null;
  if (c.pricesValid && c.equityBase === equityBase && c.maintenanceBase === maintenanceBase && c.priceMark === priceMark && sameLegs(c)) return;
  const inputs: Inputs = { config: p.symbol.config, legs: legs.map(legOf), equityBase, maintenanceBase };
  const perTick = unitsPerTick(p.symbol.config);
  const lp = liquidationPoint(inputs, mark);
  const bp = bankruptcyPoint(inputs);
  // Rounded toward the safe side: a lower price up, an upper price down.
  c.liquidationPrice = lp === null ? null : lp.isLower ? scaleCeil(lp.point, perTick) : scaleFloor(lp.point, perTick);
  c.bankruptcyPrice = bp === null ? null : net > 0 ? scaleCeil(bp, perTick) : scaleFloor(bp, perTick);
  c.pricesValid = true;
  c.equityBase = equityBase;
  c.maintenanceBase = maintenanceBase;
  c.priceMark = priceMark;
  c.legQty = legs.map((leg) => leg.qty);
  c.legCost = legs.map((leg) => leg.entryCost);
}

/** The position's cache, kept on the record (a field read, where a side table would cost a hash lookup per event). */
function cacheOf(p: Position): RiskCache {
  if (p.riskCache === null) p.riskCache = new RiskCache();
  return p.riskCache as RiskCache;
}

/** The risk level in force and its ceiling, into the cache. */
function refreshLevel(p: Position, c: RiskCache): void {
  const chosen = p.settings.riskLimitLevel;
  if (c.levelQty === p.qty && c.levelEntryCost === p.entryCost && c.levelBuyCost === p.openBuyCost && c.levelSellCost === p.openSellCost && c.levelChosen === chosen) return;
  const level = levelInForce(p);
  c.riskLevel = level + 1;
  c.riskLimit = tierCeiling(p.symbol.config.tiers, level);
  c.levelQty = p.qty;
  c.levelEntryCost = p.entryCost;
  c.levelBuyCost = p.openBuyCost;
  c.levelSellCost = p.openSellCost;
  c.levelChosen = chosen;
}

/** The position's 1-based risk level in force (the snapshot's riskLevel), from the same cache. */
export function riskLevelOf(p: Position): number {
  const c = cacheOf(p);
  refreshLevel(p, c);
  return c.riskLevel;
}

/**
 * The position's risk fields. The object returned is the position's cache: read it at once (the
 * next call for the same position overwrites it).
 */
export function riskFields(p: Position): RiskFields {
  const c = cacheOf(p);
  const { config, markPrice } = p.symbol;
  const tiers = config.tiers;
  const leverage = p.settings.leverage;
  if (c.imEntryCost !== p.entryCost || c.imLeverage !== leverage) {
    c.initialMargin = positionInitialMargin(p);
    c.imEntryCost = p.entryCost;
    c.imLeverage = leverage;
  }
  if (c.mmrQty !== p.qty || c.mmrMark !== markPrice || (markPrice === null && c.mmrEntryCost !== p.entryCost)) {
    const notional = markPrice === null ? valueOfCost(config, p.entryCost) : notionalOf(config, Math.abs(p.qty), markPrice);
    c.maintenanceMarginRate = tiers[tierIndex(tiers, notional)]!.mmr;
    c.mmrQty = p.qty;
    c.mmrMark = markPrice;
    c.mmrEntryCost = p.entryCost;
  }
  refreshLevel(p, c);
  if (p.qty === 0) {
    c.liquidationPrice = null;
    c.bankruptcyPrice = null;
    c.marginRatio = 0n;
    // The 0 shown while flat is not the ratio of any inputs: the next open position recomputes it.
    c.ratioMaintenance = -1n;
    c.pricesValid = false;
    return c;
  }
  // What covers the position (an isolated position, or the account's cross positions in the settle
  // asset): its equity and maintenance bases (everything but this symbol, at the marks) and its legs here.
  let equityBase: bigint;
  let maintenanceBase = 0n;
  legs.length = 0;
  if (p.settings.marginMode === 'ISOLATED') {
    equityBase = p.margin;
    legs.push(p);
  } else {
    const asset = config.settleAsset;
    const wallet = p.account.wallets.get(asset);
    equityBase = wallet === undefined ? 0n : wallet.balance - wallet.isolatedMargin;
    for (const q of p.account.positions.values()) {
      if (!isOpenCross(q, asset)) continue;
      if (q.symbol === p.symbol) {
        legs.push(q);
      } else {
        const v = valuationOf(q);
        equityBase += v.unrealizedPnl;
        maintenanceBase += v.maintenanceMargin;
      }
    }
  }
  let net = 0;
  let equity = equityBase;
  let maintenance = maintenanceBase;
  for (const leg of legs) {
    net += leg.qty;
    const v = valuationOf(leg);
    equity += v.unrealizedPnl;
    maintenance += v.maintenanceMargin;
  }
  refreshPrices(p, c, equityBase, maintenanceBase, net);
  if (c.ratioEquity !== equity || c.ratioMaintenance !== maintenance) {
    c.marginRatio = marginRatio({ equity, maintenance });
    c.ratioEquity = equity;
    c.ratioMaintenance = maintenance;
  }
  return c;
}
