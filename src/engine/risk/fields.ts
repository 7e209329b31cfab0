/**
 * The risk fields of a position snapshot (docs/engine-rules.md, "Risk: position fields"), computed
 * when the snapshot is taken, so every event and view carries current values.
 */
import type { Position } from '../state.js';
import type { PositionSnapshot } from '../types.js';
import { bankruptcyPoint, liquidationPoint, netQty, unitsPerTick } from './liquidation-price.js';
import { scaleCeil, scaleFloor } from './rational.js';
import { levelInForce, tierCeiling, tierIndex } from './tiers.js';
import { RiskUnit } from './units.js';
import { inputsFor, marginRatio, positionInitialMargin, unitState } from './valuation.js';

export type RiskFields = Pick<PositionSnapshot,
  'initialMargin' | 'maintenanceMarginRate' | 'riskLevel' | 'riskLimit' | 'liquidationPrice' | 'bankruptcyPrice' | 'marginRatio' |
  'adlQuantile' | 'autoDeposit' | 'status'>;

/** The unit covering the position, as it stands (a transient one: the index's units are kept by liquidation-index.ts). */
function coverOf(p: Position): RiskUnit {
  const asset = p.symbol.config.settleAsset;
  return p.settings.marginMode === 'ISOLATED' ? new RiskUnit('ISOLATED', p.account, asset, p) : new RiskUnit('CROSSED', p.account, asset, null);
}

export function riskFields(p: Position): RiskFields {
  const { config, markPrice } = p.symbol;
  const tiers = config.tiers;
  const notional = (markPrice === null ? p.entryCost : BigInt(Math.abs(p.qty)) * BigInt(markPrice)) * config.valuePerTickContract;
  const level = levelInForce(p);
  let liquidationPrice: bigint | null = null;
  let bankruptcyPrice: bigint | null = null;
  let ratio = 0n;
  if (p.qty !== 0) {
    const unit = coverOf(p);
    const inputs = inputsFor(unit, p.symbol);
    const perTick = unitsPerTick(config);
    const lp = liquidationPoint(inputs, markPrice);
    // Rounded toward the safe side: a lower price up, an upper price down.
    if (lp !== null) liquidationPrice = lp.isLower ? scaleCeil(lp.point, perTick) : scaleFloor(lp.point, perTick);
    const bp = bankruptcyPoint(inputs);
    if (bp !== null) bankruptcyPrice = netQty(inputs.legs) > 0n ? scaleCeil(bp, perTick) : scaleFloor(bp, perTick);
    ratio = marginRatio(unitState(unit));
  }
  return {
    initialMargin: positionInitialMargin(p),
    maintenanceMarginRate: tiers[tierIndex(tiers, notional)]!.mmr,
    riskLevel: level + 1,
    riskLimit: tierCeiling(tiers, level),
    liquidationPrice,
    bankruptcyPrice,
    marginRatio: ratio,
    adlQuantile: p.qty === 0 ? 0n : p.adlQuantile,
    autoDeposit: p.autoDeposit,
    status: p.status,
  };
}
