/**
 * Other exchanges' published isolated liquidation-price formulas (risk.md §5.7, §5.8), exactly, for
 * dialects that want to show their exchange's own figure. The engine itself liquidates by §5.3
 * (maintenance at the mark: liquidation-price.ts); these keep maintenance at the entry value, so
 * they differ slightly (docs/engine-rules.md, "Risk: liquidation price").
 *
 * Prices, sizes and margins are exact rationals in any consistent unit (price per base unit, base
 * units, settle-asset amounts).
 */
import { ratio, type Rational } from './rational.js';

export interface IsolatedInputs {
  /** +1 long, −1 short. */
  side: 1n | -1n;
  /** Entry (average holding) price. */
  entry: Rational;
  /** Position size in base units. */
  size: Rational;
  /** Initial margin. */
  initialMargin: Rational;
  /** Maintenance margin. */
  maintenanceMargin: Rational;
  /** Margin added beyond the initial margin (Bybit ExtraMargin; 0 for KuCoin's formula). */
  extraMargin?: Rational;
}

const add = (a: Rational, b: Rational): Rational => ratio(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Rational, b: Rational): Rational => ratio(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Rational, b: Rational): Rational => ratio(a.n * b.n, a.d * b.d);
const div = (a: Rational, b: Rational): Rational => ratio(a.n * b.d, a.d * b.n);

/** Bybit USDT isolated: LP = Entry ∓ (IM − MM)/Size ∓ ExtraMargin/Size (− for a long). */
export function bybitIsolatedLiquidationPrice(i: IsolatedInputs): Rational {
  const cushion = add(sub(i.initialMargin, i.maintenanceMargin), i.extraMargin ?? ratio(0n, 1n));
  const move = div(cushion, i.size);
  return i.side > 0n ? sub(i.entry, move) : add(i.entry, move);
}

/** KuCoin USDT isolated: LP = [HP·Vol·S ∓ (IM − MM)] / (Vol·S) (− for a long); size = Vol·S. */
export function kucoinIsolatedLiquidationPrice(i: IsolatedInputs): Rational {
  const value = mul(i.entry, i.size);
  const cushion = sub(i.initialMargin, i.maintenanceMargin);
  return div(i.side > 0n ? sub(value, cushion) : add(value, cushion), i.size);
}
