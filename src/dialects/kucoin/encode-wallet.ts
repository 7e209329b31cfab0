/**
 * The futures wallet in KuCoin's words: `/contractAccount/wallet` subjects (protocols.md §4.2) and
 * the REST account overview. Decimals are strings in the push, numbers in REST. One wallet per
 * settle asset, named as KuCoin names the currency (the BTC wallet of the inverse contracts is XBT).
 *
 * How the engine's wallet maps (amounts of the settle asset):
 *   isolatedPosMargin = isolatedMargin            crossPosMargin = crossedMargin
 *   isolatedOrderMargin / crossOrderMargin        = the order margin of isolated / cross positions
 *   holdBalance = crossPosMargin + crossOrderMargin + isolatedOrderMargin
 *     (so availableBalance + holdBalance + isolatedPosMargin = walletBalance, which is how ccxt
 *     totals a wallet push: free = availableBalance, used = holdBalance + isolatedPosMargin)
 *   equity = walletBalance + crossUnPnl + isolatedUnPnl
 *   totalCrossMargin = walletBalance − isolatedPosMargin − isolatedOrderMargin + crossUnPnl
 */
import type { BalanceSnapshot } from '../../engine/types.js';
import type { JsonObject } from './encode-position.js';
import { amountNum, amountText } from './values.js';
import { kucoinCurrency } from './symbols.js';

interface WalletFigures {
  crossOrderMargin: bigint;
  holdBalance: bigint;
  equity: bigint;
  unrealisedPnl: bigint;
  totalCrossMargin: bigint;
}

function walletFigures(b: BalanceSnapshot): WalletFigures {
  const crossOrderMargin = b.openOrderMarginFrozen - b.isolatedOrderMarginFrozen;
  const unrealisedPnl = b.crossUnrealizedPnl + b.isolatedUnrealizedPnl;
  return {
    crossOrderMargin,
    holdBalance: b.crossedMargin + crossOrderMargin + b.isolatedOrderMarginFrozen,
    equity: b.walletBalance + unrealisedPnl,
    unrealisedPnl,
    totalCrossMargin: b.walletBalance - b.isolatedMargin - b.isolatedOrderMarginFrozen + b.crossUnrealizedPnl,
  };
}

/** `walletBalance.change`, the current wallet subject. `version` is the account's seq. */
export function walletBalanceData(b: BalanceSnapshot, seq: number, time: number): JsonObject {
  const f = walletFigures(b);
  return {
    currency: kucoinCurrency(b.asset),
    walletBalance: amountText(b.walletBalance),
    availableBalance: amountText(b.availableBalance),
    holdBalance: amountText(f.holdBalance),
    isolatedOrderMargin: amountText(b.isolatedOrderMarginFrozen),
    isolatedPosMargin: amountText(b.isolatedMargin),
    isolatedUnPnl: amountText(b.isolatedUnrealizedPnl),
    isolatedFundingFeeMargin: '0',
    crossOrderMargin: amountText(f.crossOrderMargin),
    crossPosMargin: amountText(b.crossedMargin),
    crossUnPnl: amountText(b.crossUnrealizedPnl),
    equity: amountText(f.equity),
    totalCrossMargin: amountText(f.totalCrossMargin),
    maxWithdrawAmount: amountText(b.availableBalance),
    availableMargin: amountText(b.availableBalance),
    version: String(seq),
    timestamp: String(time),
  };
}

/**
 * The deprecated subjects KuCoin still sends to wallets that use no cross margin (it stops them once
 * a user first switches to cross): availableBalance.change, orderMargin.change, withdrawHold.change.
 * Empty for a wallet with cross margin or cross order margin in use.
 */
export function legacyWalletData(b: BalanceSnapshot, time: number): { subject: string; data: JsonObject }[] {
  const f = walletFigures(b);
  if (b.crossedMargin !== 0n || f.crossOrderMargin !== 0n) return [];
  const timestamp = String(time);
  return [
    { subject: 'availableBalance.change', data: { currency: kucoinCurrency(b.asset), holdBalance: amountText(f.holdBalance), availableBalance: amountText(b.availableBalance), timestamp } },
    { subject: 'orderMargin.change', data: { orderMargin: amountText(b.openOrderMarginFrozen), currency: kucoinCurrency(b.asset), timestamp } },
    // perpstream has no withdrawal holds.
    { subject: 'withdrawHold.change', data: { withdrawHold: '0', currency: kucoinCurrency(b.asset), timestamp } },
  ];
}

/** GET /api/v1/account-overview data (numbers). */
export function accountOverview(b: BalanceSnapshot): JsonObject {
  const f = walletFigures(b);
  return {
    accountEquity: amountNum(f.equity),
    unrealisedPNL: amountNum(f.unrealisedPnl),
    marginBalance: amountNum(b.walletBalance + f.unrealisedPnl),
    positionMargin: amountNum(b.isolatedMargin + b.crossedMargin),
    orderMargin: amountNum(b.openOrderMarginFrozen),
    frozenFunds: amountNum(0n),
    availableBalance: amountNum(b.availableBalance),
    currency: kucoinCurrency(b.asset),
    maxWithdrawAmount: amountNum(b.availableBalance),
  };
}
