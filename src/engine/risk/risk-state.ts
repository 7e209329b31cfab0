/**
 * The risk engine's engine-wide state and settings: the insurance fund per settle asset, the
 * margin-ratio warning threshold, the ADL ranking and how often positions' ADL quantiles are
 * refreshed.
 */
import { invariant } from '../assert.js';
import { RATE_SCALE, parseRate } from '../fixed.js';
import { BYBIT_PNL_LEVERAGE, type AdlRanking } from './adl-ranking.js';

export interface RiskOptions {
  /**
   * Margin ratio (maintenance / margin balance, a decimal in (0, 1)) at which a WARN notice is sent,
   * once per episode; null switches warnings off. Default "0.8".
   */
  warnMarginRatio?: string | null;
  /** How ADL ranks opposite positions (default: Bybit's PnL% × effective leverage, risk.md §5.6). */
  adlRanking?: AdlRanking;
  /**
   * A mark tick re-ranks the symbol's positions for their ADL quantile when this much engine time
   * has passed since the last ranking (default 60,000 ms; 0: only when ADL runs).
   */
  adlRankIntervalMs?: number;
  /**
   * The most positions one mark tick scores for the ADL ranking (default 256): a larger symbol is
   * ranked over several ticks. It also bounds ADL's fresh scoring: on a symbol with more open
   * positions than this, ADL takes its counterparties from the ranked queue instead.
   */
  adlRankSlice?: number;
}

export class RiskState {
  /** Warning threshold as a rate (1e-8), or null. */
  readonly warnRate: bigint | null;
  readonly ranking: AdlRanking;
  readonly adlRankIntervalMs: number;
  readonly adlRankSlice: number;
  /** Insurance fund per settle asset (part of the ledger: audit.ts). */
  readonly insuranceFund = new Map<string, bigint>();

  constructor(options: RiskOptions) {
    const warn = options.warnMarginRatio === undefined ? '0.8' : options.warnMarginRatio;
    this.warnRate = warn === null ? null : parseRate(warn);
    invariant(this.warnRate === null || (this.warnRate > 0n && this.warnRate < RATE_SCALE), 'warnMarginRatio must be in (0, 1)');
    this.ranking = options.adlRanking ?? BYBIT_PNL_LEVERAGE;
    this.adlRankIntervalMs = options.adlRankIntervalMs ?? 60_000;
    invariant(Number.isSafeInteger(this.adlRankIntervalMs) && this.adlRankIntervalMs >= 0, 'adlRankIntervalMs must be a whole number ≥ 0');
    this.adlRankSlice = options.adlRankSlice ?? 256;
    invariant(Number.isSafeInteger(this.adlRankSlice) && this.adlRankSlice >= 1 && this.adlRankSlice <= 1_000_000, 'adlRankSlice must be a whole number from 1 to 1,000,000');
  }

  fund(asset: string): bigint {
    return this.insuranceFund.get(asset) ?? 0n;
  }

  addToFund(asset: string, amount: bigint): void {
    const balance = this.fund(asset) + amount;
    invariant(balance >= 0n, `insurance fund ${asset} would go negative`);
    this.insuranceFund.set(asset, balance);
  }
}
