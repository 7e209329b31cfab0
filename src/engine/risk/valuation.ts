/**
 * What a risk unit is worth right now, with the engine's own rounding (docs/engine-rules.md, "Risk:
 * margin balance"): equity (margin balance) and maintenance margin, and the inputs of the
 * liquidation-price formulas for one of its symbols.
 *
 * Cross: equity = wallet − isolated margin (the cross wallet; open orders' margin is part of it) + Σ
 * unrealized PnL of the account's open cross positions in the asset; isolated: the position's margin
 * + its unrealized PnL. Maintenance = Σ of the positions' maintenance margins (symbol.ts, at the mark;
 * a symbol without a mark counts 0 for both).
 */
import { RATE_SCALE } from '../fixed.js';
import { initialMargin } from '../margin.js';
import { valuationOf } from '../snapshots.js';
import type { Position, SymbolState } from '../state.js';
import type { Inputs, Leg } from './liquidation-price.js';
import type { RiskUnit } from './units.js';

/** Margin ratio reported when equity is not positive: 100 (10,000 %). */
export const RATIO_CAP = 100n * RATE_SCALE;

export const isOpenCross = (p: Position, asset: string): boolean =>
  p.qty !== 0 && p.settings.marginMode === 'CROSSED' && p.symbol.config.settleAsset === asset;

/** The unit's open positions: the account's positions map order (stable, and restored in the same order). */
export function unitPositions(unit: RiskUnit): Position[] {
  if (unit.position !== null) return unit.position.qty !== 0 ? [unit.position] : [];
  const out: Position[] = [];
  for (const p of unit.account.positions.values()) if (isOpenCross(p, unit.asset)) out.push(p);
  return out;
}

/** A cross unit's open positions on one symbol. */
export function unitPositionsOn(unit: RiskUnit, symbol: SymbolState): Position[] {
  const out: Position[] = [];
  for (const p of unit.account.positions.values()) if (p.symbol === symbol && isOpenCross(p, unit.asset)) out.push(p);
  return out;
}

/** Cross wallet: wallet balance minus isolated margin (Binance crossWalletBalance). */
export function crossWallet(unit: RiskUnit): bigint {
  const wallet = unit.account.wallets.get(unit.asset);
  return wallet === undefined ? 0n : wallet.balance - wallet.isolatedMargin;
}

export interface UnitState {
  equity: bigint;
  maintenance: bigint;
}

export function unitState(unit: RiskUnit): UnitState {
  let equity = unit.position !== null ? unit.position.margin : crossWallet(unit);
  let maintenance = 0n;
  for (const p of unitPositions(unit)) {
    const v = valuationOf(p);
    equity += v.unrealizedPnl;
    maintenance += v.maintenanceMargin;
  }
  return { equity, maintenance };
}

/** Maintenance / equity, 1e-8, rounded up; RATIO_CAP when equity ≤ 0 (and there is maintenance). */
export function marginRatio(state: UnitState): bigint {
  if (state.maintenance === 0n) return 0n;
  if (state.equity <= 0n) return RATIO_CAP;
  const ratio = (state.maintenance * RATE_SCALE + state.equity - 1n) / state.equity;
  return ratio > RATIO_CAP ? RATIO_CAP : ratio;
}

export const legOf = (p: Position): Leg => ({ sign: p.qty > 0 ? 1n : -1n, qty: BigInt(Math.abs(p.qty)), entryCost: p.entryCost });

/** Formula inputs for the unit's positions on `symbol`, every other symbol held at its mark. */
export function inputsFor(unit: RiskUnit, symbol: SymbolState, positions: readonly Position[] = unitPositions(unit)): Inputs {
  const legs: Leg[] = [];
  let equityBase = unit.position !== null ? unit.position.margin : crossWallet(unit);
  let maintenanceBase = 0n;
  for (const p of positions) {
    if (p.symbol === symbol) {
      legs.push(legOf(p));
    } else {
      const v = valuationOf(p);
      equityBase += v.unrealizedPnl;
      maintenanceBase += v.maintenanceMargin;
    }
  }
  return { config: symbol.config, legs, equityBase, maintenanceBase };
}

/** Initial margin of a position at its entry value and leverage (Bybit positionIM, KuCoin posInit). */
export const positionInitialMargin = (p: Position): bigint => initialMargin(p.symbol.config, p.entryCost, p.settings.leverage);
