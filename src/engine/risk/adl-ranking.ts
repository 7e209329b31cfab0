/**
 * ADL ranking: which opposite positions are closed first when the insurance fund cannot absorb a
 * liquidation (risk.md §5.6). Pluggable: a ranking turns one position's figures into a score
 * (1e-8 fixed point, higher = deleveraged first). Two are built in.
 */
import { RATE_SCALE, floorDiv } from '../fixed.js';
import type { Rational } from './rational.js';

export interface AdlRankInput {
  /** +1 long, −1 short. */
  side: 1 | -1;
  /** Contracts, > 0. */
  qty: bigint;
  /** The position's entry cost (margin.ts): ticks × contracts, or inverse its coin value. */
  entryCost: bigint;
  /** Inverse contracts: a contract's value in entry-cost units × price (inverseValue × INVERSE_COST_SCALE); 0 for linear. */
  inverseValue?: bigint;
  /** Mark, ticks. */
  mark: bigint;
  /** Bankruptcy price of what covers the position, rational ticks; null when there is none. */
  bankruptcy: Rational | null;
  /** Amount units. */
  unrealizedPnl: bigint;
  /** Wallet behind the position: isolated margin or the cross wallet. */
  walletBalance: bigint;
  /** Maintenance margin and equity of the position's risk unit. */
  maintenance: bigint;
  equity: bigint;
}

export interface AdlRanking {
  readonly name: string;
  score(input: AdlRankInput): bigint;
}

const RS = RATE_SCALE;
/** One unit of the settle asset, in amount units (Binance's max(1, walletBalance)). */
const ONE = 100_000_000n;

/**
 * Bybit / BitMEX / MEXC: PnL% × effective leverage when PnL% > 0, else PnL% / effective leverage,
 * with PnL% = side × (mark value − entry value) / entry value and effective leverage = mark value /
 * |mark value − bankruptcy value|. Values are contracts × price × K, so K and the size cancel.
 */
export const BYBIT_PNL_LEVERAGE: AdlRanking = {
  name: 'BYBIT_PNL_LEVERAGE',
  score(i: AdlRankInput): bigint {
    if (i.entryCost === 0n) return 0n;
    const inverse = i.inverseValue !== undefined && i.inverseValue > 0n;
    // Inverse, values are coin: PnL% = side × (E − Q·C/mark) / E, here multiplied through by the mark.
    const pnlN = inverse ? BigInt(i.side) * (i.entryCost * i.mark - i.qty * i.inverseValue!) : BigInt(i.side) * (i.mark * i.qty - i.entryCost);
    const pnlD = inverse ? i.entryCost * i.mark : i.entryCost;
    // Effective leverage = mark / side·(mark − bankruptcy); without a bankruptcy price it is 1, and
    // a position at or past its bankruptcy price counts as leveraged by its whole mark. Inverse, the
    // values Q·C/P give bankruptcy / side·(mark − bankruptcy).
    let levN = 1n;
    let levD = 1n;
    if (i.bankruptcy !== null) {
      const distance = BigInt(i.side) * (i.mark * i.bankruptcy.d - i.bankruptcy.n);
      levN = inverse ? i.bankruptcy.n : i.mark * i.bankruptcy.d;
      levD = distance > 0n ? distance : 1n;
    }
    return pnlN > 0n ? floorDiv(pnlN * levN * RS, pnlD * levD) : floorDiv(pnlN * levD * RS, pnlD * levN);
  },
};

/**
 * Binance "LeveragePnl": max(0, uPnL) / max(1, wallet) × margin ratio, margin ratio = maintenance /
 * equity when equity > 0, else 0.
 */
export const BINANCE_LEVERAGE_PNL: AdlRanking = {
  name: 'BINANCE_LEVERAGE_PNL',
  score(i: AdlRankInput): bigint {
    if (i.unrealizedPnl <= 0n || i.equity <= 0n) return 0n;
    const wallet = i.walletBalance > ONE ? i.walletBalance : ONE;
    return (i.unrealizedPnl * i.maintenance * RS) / (wallet * i.equity);
  },
};
