/**
 * A plain, canonical view of the whole engine state: what tests compare against the reference
 * model and what the state hash is computed over. Sorted so that equal states give equal views.
 */
import type { PricingRecord } from './prices.js';
import type { ConditionalSnapshot, MarginMode, OrderSnapshot, PositionMode, PositionSnapshot } from './types.js';

export interface WalletView {
  asset: string;
  walletBalance: bigint;
  isolatedMargin: bigint;
  crossedMargin: bigint;
  openOrderMarginFrozen: bigint;
  availableBalance: bigint;
}

export interface AccountView {
  accountId: number;
  positionMode: PositionMode;
  /** Binance's BNB fee burn. */
  feeBurn: boolean;
  /** Sorted by asset. */
  wallets: WalletView[];
  /** Settings of every configured symbol, sorted by symbol. */
  settings: { symbol: string; leverage: number; marginMode: MarginMode; riskLimitLevel: number }[];
  /** Every position record ever initialized, sorted by symbol then side (BOTH, LONG, SHORT). */
  positions: PositionSnapshot[];
  /** Live orders, sorted by orderId. */
  orders: OrderSnapshot[];
  /** Waiting conditional orders, sorted by conditionalId. */
  conditionals: ConditionalSnapshot[];
}

export interface BookView {
  symbol: string;
  markPrice: number | null;
  lastPrice: number | null;
  bookUpdateId: number;
  /** Best price first; each level lists its order ids in time priority. */
  bids: { price: number; orderIds: number[] }[];
  asks: { price: number; orderIds: number[] }[];
}

export interface StateView {
  cmdSeq: number;
  time: number;
  nextAccountId: number;
  nextOrderId: number;
  nextTradeId: number;
  /** Fee account per asset, sorted by asset. */
  fees: { asset: string; amount: bigint }[];
  /** Net deposits minus withdrawals per asset, sorted by asset. */
  netDeposits: { asset: string; amount: bigint }[];
  /** Rounding dust of inverse contracts per asset (10^-16 units, margin.ts), sorted by asset. */
  roundingDust: { asset: string; amount: bigint }[];
  /** setAssetPrice prices, sorted by `asset/quoteAsset`. */
  assetPrices: { pair: string; price: bigint }[];
  books: BookView[];
  /** Index, basis and premium samples and funding state per symbol, sorted by symbol. */
  pricing: PricingRecord[];
  accounts: AccountView[];
  risk: RiskView;
}

/** The risk engine's own state (src/engine/risk). */
export interface RiskView {
  /** Insurance fund per settle asset, sorted by asset. */
  insuranceFund: { asset: string; amount: bigint }[];
  /** Risk units with a margin-ratio warning in force: `accountId:ASSET` (cross) or `accountId:symbol:side` (isolated), sorted. */
  warned: string[];
  /** Engine time of each symbol's last ADL ranking, sorted by symbol. */
  adlRankedAt: { symbol: string; time: number }[];
}
