/**
 * Keeps every risk unit's index entries current (docs/engine-rules.md, "Risk: the liquidation
 * index").
 *
 * After every command, the units whose positions or wallet the command touched are re-indexed: for
 * each symbol the unit holds, the interval of that symbol's mark inside which the unit's state cannot
 * change is computed from the exact formulas (liquidation-price.ts) and stored in the symbol's heaps.
 * A mark tick then looks only at the entries whose interval it left. The interval is conservative:
 *
 * - positions' maintenance margins are rounded up one unit each, so the formulas get that slack;
 * - a cross unit on several symbols depends on every one of their marks. Its interval for symbol s
 *   holds the other symbols t inside a band [m_t − d_t, m_t + d_t] at their worst (a bound on how
 *   much G can move per tick of t), and its entry on t also triggers when t leaves its band. The
 *   bands share half the unit's cushion, so a unit far from trouble gets wide bands (rarely touched)
 *   and one near it narrow ones.
 *
 * A unit whose state must change now (due) gets entries that any tick of its symbols triggers.
 */
import { invariant } from '../assert.js';
import type { Core } from '../core.js';
import { RATE_SCALE, ceilDiv } from '../fixed.js';
import type { Position, SymbolState, Wallet } from '../state.js';
import { ceilOf, compare, floorOf, ratio } from './rational.js';
import { positiveRegion, type Inputs } from './liquidation-price.js';
import { IndexEntry, NEVER_ABOVE, NEVER_BELOW, RiskUnit } from './units.js';
import { paceClosed, paceOpened } from '../mark-pacing.js';
import { crossWallet, inputsFor, unitPositions, unitState, type UnitState } from './valuation.js';

const RS = RATE_SCALE;

/** Whether the exact state calls for liquidation. */
export const isLiquidatable = (s: UnitState): boolean => s.maintenance > 0n && s.equity <= s.maintenance;

/** Whether the margin ratio is at or above the warning threshold. */
export function inWarnZone(core: Core, s: UnitState): boolean {
  const threshold = core.risk.warnRate;
  return threshold !== null && s.maintenance > 0n && s.maintenance * RS >= threshold * s.equity;
}

/** Whether something must happen to the unit at the current marks. */
export function isDue(core: Core, unit: RiskUnit, s: UnitState = unitState(unit)): boolean {
  return isLiquidatable(s) || inWarnZone(core, s) !== unit.warned;
}

/** Whether the unit is still the live unit of its position or wallet. */
export function isAttached(unit: RiskUnit): boolean {
  if (unit.position !== null) return unit.position.riskUnit === unit;
  return unit.account.wallets.get(unit.asset)?.crossUnit === unit;
}

/** The unit covering an open position (created on demand), or null for a flat one. */
export function unitOf(core: Core, position: Position): RiskUnit | null {
  if (position.qty === 0) return null;
  if (position.settings.marginMode === 'ISOLATED') {
    position.riskUnit ??= new RiskUnit('ISOLATED', position.account, position.symbol.config.settleAsset, position);
    return position.riskUnit;
  }
  const wallet = core.wallet(position.account, position.symbol.config.settleAsset);
  wallet.crossUnit ??= new RiskUnit('CROSSED', position.account, wallet.asset, null);
  return wallet.crossUnit;
}

function detach(unit: RiskUnit): void {
  for (const entry of unit.entries) removeEntry(entry);
  unit.entries = [];
  if (unit.position !== null) {
    if (unit.position.riskUnit === unit) unit.position.riskUnit = null;
  } else {
    const wallet = unit.account.wallets.get(unit.asset);
    if (wallet !== undefined && wallet.crossUnit === unit) wallet.crossUnit = null;
  }
}

function removeEntry(entry: IndexEntry): void {
  const { below, above } = entry.symbol.risk;
  if (below.contains(entry)) below.remove(entry);
  if (above.contains(entry)) above.remove(entry);
}

function setKeys(entry: IndexEntry, lo: number, hi: number): void {
  const { below, above } = entry.symbol.risk;
  entry.lo = lo;
  entry.hi = hi;
  if (below.contains(entry)) below.update(entry);
  else below.push(entry);
  if (above.contains(entry)) above.update(entry);
  else above.push(entry);
}

/** Keys that the next tick of the symbol triggers whatever the mark. */
const triggerNow = (entry: IndexEntry): void => setKeys(entry, NEVER_ABOVE, NEVER_BELOW);

const toNumber = (v: bigint, min: number, max: number): number => Number(v < BigInt(min) ? BigInt(min) : v > BigInt(max) ? BigInt(max) : v);

/**
 * The mark interval (lo, hi) around `mark` inside which G_a stays > 0 (pessimistic slack `slack`
 * added to the maintenance side); null when `mark` itself is not safely inside.
 */
function safeInterval(inputs: Inputs, aR: bigint, slack: bigint, mark: number): { lo: number; hi: number } | null {
  const region = positiveRegion({ ...inputs, maintenanceBase: inputs.maintenanceBase + slack }, aR);
  if (region.empty) return null;
  const m = ratio(BigInt(mark), 1n);
  if (region.lower !== null && compare(region.lower, m) >= 0) return null;
  if (region.upper !== null && compare(region.upper, m) <= 0) return null;
  return {
    lo: region.lower === null ? NEVER_BELOW : toNumber(floorOf(region.lower), NEVER_BELOW, NEVER_ABOVE),
    hi: region.upper === null ? NEVER_ABOVE : toNumber(ceilOf(region.upper), NEVER_BELOW, NEVER_ABOVE),
  };
}

/**
 * For a warned unit: where the ratio could fall back below the threshold (optimistic by `slack`).
 * Returns the trigger keys, or null when `mark` may already be there.
 */
function rearmKeys(inputs: Inputs, aR: bigint, slack: bigint, mark: number): { lo: number; hi: number } | null {
  const region = positiveRegion({ ...inputs, maintenanceBase: inputs.maintenanceBase - slack }, aR);
  if (region.empty) return { lo: NEVER_BELOW, hi: NEVER_ABOVE };
  const m = ratio(BigInt(mark), 1n);
  const aboveLower = region.lower === null || compare(region.lower, m) < 0;
  const belowUpper = region.upper === null || compare(region.upper, m) > 0;
  if (aboveLower && belowUpper) return null;
  // The region lies wholly on one side of the mark.
  if (!aboveLower) return { lo: NEVER_BELOW, hi: toNumber(floorOf(region.lower!) + 1n, NEVER_BELOW, NEVER_ABOVE) };
  return { lo: toNumber(ceilOf(region.upper!) - 1n, NEVER_BELOW, NEVER_ABOVE), hi: NEVER_ABOVE };
}

/**
 * Largest change of a·uPnL − MM per tick of the symbol for these positions (a ≤ 1): K·ΣQ·(1 + top MMR).
 * Inverse, a contract's value C/P changes by at most C per tick (at P = 1 tick): C·ΣQ·(1 + top MMR),
 * a loose bound that keeps the bands correct at the cost of re-examining the unit more often.
 */
function slopeBound(positions: readonly Position[], symbol: SymbolState): bigint {
  let qty = 0n;
  for (const p of positions) if (p.symbol === symbol) qty += BigInt(Math.abs(p.qty));
  const { tiers, valuePerTickContract, inverse, inverseValue } = symbol.config;
  return ceilDiv((inverse ? inverseValue : valuePerTickContract) * qty * (RS + tiers[tiers.length - 1]!.mmr), RS);
}

/** What a unit's entries depend on besides the marks (see RiskUnit.basis). */
function basisOf(unit: RiskUnit, positions: readonly Position[]): unknown[] {
  const basis: unknown[] = [unit.warned, unit.position !== null ? unit.position.margin : crossWallet(unit)];
  for (const p of positions) basis.push(p, p.qty, p.entryCost);
  return basis;
}

/** Whether the unit's basis is still `positions` as they stand (compared in place: this runs after most commands). */
function sameBasis(unit: RiskUnit, positions: readonly Position[]): boolean {
  const b = unit.basis;
  if (b.length !== 2 + 3 * positions.length || b[0] !== unit.warned) return false;
  if (b[1] !== (unit.position !== null ? unit.position.margin : crossWallet(unit))) return false;
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    if (b[2 + 3 * i] !== p || b[3 + 3 * i] !== p.qty || b[4 + 3 * i] !== p.entryCost) return false;
  }
  return true;
}

/**
 * Recomputes the unit's entries (or drops the unit when it holds nothing open any more). Unless
 * `force`d (a tick examined the unit: the marks moved), entries whose basis did not change are kept:
 * single-symbol intervals do not depend on the mark, and several symbols' bands guard their marks.
 */
export function reindex(core: Core, unit: RiskUnit, force = true): void {
  if (!isAttached(unit)) return;
  const positions = unitPositions(unit);
  if (positions.length === 0) {
    detach(unit);
    return;
  }
  if (!force && sameBasis(unit, positions)) return;
  unit.basis = basisOf(unit, positions);
  const symbols: SymbolState[] = [];
  for (const p of positions) if (!symbols.includes(p.symbol)) symbols.push(p.symbol);
  // Entries exactly for the unit's symbols, in that order.
  const entries = symbols.map((s) => unit.entries.find((e) => e.symbol === s) ?? new IndexEntry(unit, s));
  for (const old of unit.entries) if (!entries.includes(old)) removeEntry(old);
  unit.entries = entries;

  const state = unitState(unit);
  if (isDue(core, unit, state)) {
    for (const entry of entries) triggerNow(entry);
    return;
  }
  const warnRate = core.risk.warnRate;
  const bands = new Map<SymbolState, { d: bigint; slope: bigint }>();
  const marked = symbols.filter((s) => s.markPrice !== null);
  if (symbols.length > 1 && marked.length > 0) {
    // Cushion: how far G is from the boundary that matters now (amount units).
    const g1 = state.equity - state.maintenance;
    const gw = warnRate === null ? g1 : (warnRate * state.equity - RS * state.maintenance) / RS;
    const cushion = unit.warned ? (g1 < -gw ? g1 : -gw) : gw;
    for (const s of marked) {
      const slope = slopeBound(positions, s);
      const share = BigInt(2 * marked.length) * slope;
      bands.set(s, { d: cushion > 0n && share > 0n ? cushion / share : 0n, slope });
    }
  }
  for (const entry of entries) {
    const s = entry.symbol;
    const mark = s.markPrice;
    if (mark === null) {
      // No mark yet: the first one decides.
      triggerNow(entry);
      continue;
    }
    let slack = 0n;
    for (const [t, band] of bands) if (t !== s) slack += band.d * band.slope;
    const inputs = inputsFor(unit, s, positions);
    const rounding = BigInt(inputs.legs.length);
    let keys: { lo: number; hi: number } | null;
    if (!unit.warned) {
      keys = safeInterval(inputs, warnRate ?? RS, rounding + slack, mark);
    } else {
      const liquidation = safeInterval(inputs, RS, rounding + slack, mark);
      const rearm = warnRate === null ? null : rearmKeys(inputs, warnRate, slack, mark);
      keys = liquidation === null || rearm === null ? null
        : { lo: Math.max(liquidation.lo, rearm.lo), hi: Math.min(liquidation.hi, rearm.hi) };
    }
    if (keys === null) {
      triggerNow(entry);
      continue;
    }
    const band = bands.get(s);
    if (band !== undefined) {
      const d = band.d > BigInt(NEVER_ABOVE) ? NEVER_ABOVE : Number(band.d);
      keys = { lo: Math.max(keys.lo, mark - d - 1), hi: Math.min(keys.hi, mark + d + 1 > NEVER_ABOVE ? NEVER_ABOVE : mark + d + 1) };
    }
    setKeys(entry, keys.lo, keys.hi);
  }
}

/** Keeps the symbol's open-position set, and the mark pacing of its members, in step with one position. */
function trackOpen(core: Core, position: Position, restoring = false): void {
  const open = position.symbol.openPositions;
  const adl = position.symbol.risk.adl;
  if (position.qty !== 0) {
    if (open.has(position)) {
      adl.changed(position);
      return;
    }
    open.add(position);
    paceOpened(core, position);
    if (restoring) adl.restoredOpen(position);
    else adl.opened(position);
  } else {
    if (open.delete(position)) {
      paceClosed(position);
      adl.closed(position);
    }
    position.adlQuantile = 0n;
  }
}

/** Adds a unit to `units` once (`seen` mirrors it when there are many). */
function addUnit(units: RiskUnit[], seen: Set<RiskUnit> | null, unit: RiskUnit): void {
  if (seen !== null ? seen.has(unit) : units.includes(unit)) return;
  seen?.add(unit);
  units.push(unit);
}

/**
 * Brings the index up to date with what the current step(s) touched; returns the units it
 * re-indexed (so the caller can look for ones that became due).
 */
export function indexTouched(core: Core): RiskUnit[] {
  const { positions, wallets } = core.emitter.takeTouched();
  if (positions.length === 0 && wallets.length === 0) return [];
  // A command usually touches a handful of units: an array beats a set then (a mark tick may touch many).
  const units: RiskUnit[] = [];
  const seen = positions.length + wallets.length > 8 ? new Set<RiskUnit>() : null;
  for (const p of positions) {
    trackOpen(core, p);
    if (p.riskUnit !== null && (p.qty === 0 || p.settings.marginMode !== 'ISOLATED')) addUnit(units, seen, p.riskUnit);
    const unit = unitOf(core, p);
    if (unit !== null) addUnit(units, seen, unit);
    else if (p.settings.marginMode === 'CROSSED') {
      const crossUnit = p.account.wallets.get(p.symbol.config.settleAsset)?.crossUnit;
      if (crossUnit) addUnit(units, seen, crossUnit);
    }
  }
  for (const w of wallets) if (w.crossUnit !== null) addUnit(units, seen, w.crossUnit);
  for (const unit of units) reindex(core, unit, false);
  return units;
}

/** Builds the index from scratch (after a restore): every open position's unit. */
export function rebuildIndex(core: Core, warned: { positions: Set<Position>; wallets: Set<Wallet> }): void {
  core.emitter.takeTouched();
  const units = new Set<RiskUnit>();
  for (const account of core.accounts.values()) {
    for (const p of account.positions.values()) {
      trackOpen(core, p, true);
      const unit = unitOf(core, p);
      if (unit !== null) units.add(unit);
    }
  }
  for (const symbol of core.symbols.values()) symbol.risk.adl.restored();
  for (const unit of units) {
    unit.warned = unit.position !== null ? warned.positions.has(unit.position) : warned.wallets.has(unit.account.wallets.get(unit.asset)!);
    reindex(core, unit);
  }
}

/** Audit: every open position is in its symbol's open set and has an indexed unit; no due unit is hidden from the next tick. */
export function auditIndex(core: Core): void {
  for (const symbol of core.symbols.values()) {
    symbol.risk.adl.check(symbol.openPositions);
    for (const p of symbol.openPositions) invariant(p.qty !== 0 && p.symbol === symbol, `${symbol.config.symbol}: a flat or foreign position is in the open set`);
    for (const heap of [symbol.risk.below, symbol.risk.above]) {
      for (const entry of heap.unordered()) invariant(isAttached(entry.unit) && entry.unit.entries.includes(entry), `${symbol.config.symbol}: stale risk index entry`);
    }
  }
  for (const account of core.accounts.values()) {
    for (const p of account.positions.values()) {
      const where = `account ${account.id} ${p.symbol.config.symbol} ${p.side}`;
      invariant(p.status === 'NORMAL', `${where}: status ${p.status} outside a liquidation`);
      if (p.qty === 0) {
        invariant(p.riskUnit === null && !p.symbol.openPositions.has(p), `${where}: a flat position is still tracked`);
        continue;
      }
      invariant(p.symbol.openPositions.has(p), `${where}: open but not in the symbol's open set`);
      const unit = p.settings.marginMode === 'ISOLATED' ? p.riskUnit : account.wallets.get(p.symbol.config.settleAsset)?.crossUnit;
      invariant(unit !== null && unit !== undefined, `${where}: no risk unit`);
      const entry = unit.entries.find((e) => e.symbol === p.symbol);
      invariant(entry !== undefined && p.symbol.risk.below.contains(entry) && p.symbol.risk.above.contains(entry), `${where}: not indexed`);
      const mark = p.symbol.markPrice;
      if (mark !== null && isDue(core, unit)) {
        invariant(entry.lo >= mark || entry.hi <= mark, `${where}: due but the next tick at ${mark} would not see it (lo ${entry.lo}, hi ${entry.hi})`);
      }
    }
  }
}
