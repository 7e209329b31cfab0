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

/**
 * Inverse (coin-margined) isolated, Bybit's and KuCoin's shape (risk.md §5.7, §5.8): with the position
 * value PV = Qty / Entry in coin, LP = Qty / [PV ± (IM − MM)] (+ for a long). `size` here is the
 * quantity in quote currency (contracts × contract value); margins in coin.
 */
export function inverseIsolatedLiquidationPrice(i: IsolatedInputs): Rational | null {
  const value = div(i.size, i.entry);
  const cushion = add(sub(i.initialMargin, i.maintenanceMargin), i.extraMargin ?? ratio(0n, 1n));
  const denominator = i.side > 0n ? add(value, cushion) : sub(value, cushion);
  return denominator.n > 0n ? div(i.size, denominator) : null;
}

/**
 * Bybit's older inverse bankruptcy price, which leaves room for the taker fee of closing there:
 * BP = (1 ± fee) · Qty / (Qty / Entry ± balance) for a long (+ fee, + balance) or a short (− each)
 * (risk.md §5.7, vector V9). Quantities in quote currency, balance in coin.
 */
export function bybitInverseBankruptcyPrice(side: 1n | -1n, qty: Rational, entry: Rational, balance: Rational, takerFeeRate: Rational): Rational | null {
  const one = ratio(1n, 1n);
  const factor = side > 0n ? add(one, takerFeeRate) : sub(one, takerFeeRate);
  const value = div(qty, entry);
  const denominator = side > 0n ? add(value, balance) : sub(value, balance);
  return denominator.n > 0n ? div(mul(factor, qty), denominator) : null;
}
