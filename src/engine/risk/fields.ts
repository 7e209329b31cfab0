/**
 * The risk fields of a position snapshot (docs/engine-rules.md, "Risk: position fields"), computed
 * when the snapshot is taken, so every event and view carries current values.
 */
import type { Position } from '../state.js';
import type { PositionSnapshot } from '../types.js';
import { bankruptcyPoint, liquidationPoint, netQty, unitsPerTick, type Inputs } from './liquidation-price.js';
import { scaleCeil, scaleFloor } from './rational.js';
import { levelInForce, tierCeiling, tierIndex } from './tiers.js';
import { RiskUnit } from './units.js';
import { valuationOf } from '../snapshots.js';
import { inputsFor, marginRatio, positionInitialMargin, unitPositionsOn } from './valuation.js';

export type RiskFields = Pick<PositionSnapshot,
  'initialMargin' | 'maintenanceMarginRate' | 'riskLevel' | 'riskLimit' | 'liquidationPrice' | 'bankruptcyPrice' | 'marginRatio' |
  'adlQuantile' | 'autoDeposit' | 'status'>;

/** The unit covering the position, as it stands (a transient one: the index's units are kept by liquidation-index.ts). */
function coverOf(p: Position): RiskUnit {
  const asset = p.symbol.config.settleAsset;
  return p.settings.marginMode === 'ISOLATED' ? new RiskUnit('ISOLATED', p.account, asset, p) : new RiskUnit('CROSSED', p.account, asset, null);
}

interface Prices {
  key: unknown[];
  liquidationPrice: bigint | null;
  bankruptcyPrice: bigint | null;
}

/**
 * Liquidation and bankruptcy prices of a position, as of their inputs (E0, M0, the legs, and the mark
 * when the legs net to zero): a pure function, so a position remembers its last result and reuses it
 * while the inputs are the same (most events change nothing they depend on).
 */
const lastPrices = new WeakMap<Position, Prices>();

function prices(p: Position, inputs: Inputs): Prices {
  const net = netQty(inputs.legs);
  const key: unknown[] = [inputs.equityBase, inputs.maintenanceBase, net === 0n ? p.symbol.markPrice : null];
  for (const leg of inputs.legs) key.push(leg.sign, leg.qty, leg.entryCost);
  const cached = lastPrices.get(p);
  if (cached !== undefined && cached.key.length === key.length && cached.key.every((x, i) => x === key[i])) return cached;
  const perTick = unitsPerTick(p.symbol.config);
  const lp = liquidationPoint(inputs, p.symbol.markPrice);
  const bp = bankruptcyPoint(inputs);
  const result: Prices = {
    key,
    // Rounded toward the safe side: a lower price up, an upper price down.
    liquidationPrice: lp === null ? null : lp.isLower ? scaleCeil(lp.point, perTick) : scaleFloor(lp.point, perTick),
    bankruptcyPrice: bp === null ? null : net > 0n ? scaleCeil(bp, perTick) : scaleFloor(bp, perTick),
  };
  lastPrices.set(p, result);
  return result;
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
    const found = prices(p, inputs);
    liquidationPrice = found.liquidationPrice;
    bankruptcyPrice = found.bankruptcyPrice;
    // The unit's state from the same pass: the other symbols' part is in the inputs' bases.
    let equity = inputs.equityBase;
    let maintenance = inputs.maintenanceBase;
    for (const leg of unit.position !== null ? [p] : unitPositionsOn(unit, p.symbol)) {
      const v = valuationOf(leg);
      equity += v.unrealizedPnl;
      maintenance += v.maintenanceMargin;
    }
    ratio = marginRatio({ equity, maintenance });
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
