/**
 * The insurance fund's movements (risk.md §5.6): operator deposits, and a liquidation's clearance —
 * the difference between where the liquidation order filled and the bankruptcy price, taken from the
 * liquidated account (surplus) or paid to it (shortfall). Only ever within what the fund holds.
 */
import type { Core } from '../core.js';
import { refuse } from '../refuse.js';
import type { Account } from '../state.js';
import type { CommandResult, DepositInsurance } from '../types.js';

const ASSET_RE = /^[A-Z0-9]{1,16}$/;
const MAX_AMOUNT = 10n ** 30n;

export function depositInsurance(core: Core, cmd: DepositInsurance): CommandResult {
  if (typeof cmd.asset !== 'string' || !ASSET_RE.test(cmd.asset)) return refuse('INVALID_ARGUMENT', 'asset must be 1-16 characters A-Z 0-9, e.g. USDT');
  if (typeof cmd.amount !== 'bigint' || cmd.amount <= 0n || cmd.amount > MAX_AMOUNT) return refuse('INVALID_ARGUMENT', 'amount must be positive and at most 10^22');
  core.risk.addToFund(cmd.asset, cmd.amount);
  core.netDeposits.set(cmd.asset, (core.netDeposits.get(cmd.asset) ?? 0n) + cmd.amount);
  return { ok: true, kind: 'done' };
}

/**
 * Moves a liquidation's clearance: `surplus` > 0 from the account's wallet into the fund, < 0 from
 * the fund to the wallet. One step (balance event, reason LIQUIDATION), counted as a non-PnL change.
 */
export function settleClearance(core: Core, account: Account, asset: string, surplus: bigint): void {
  if (surplus === 0n) return;
  const wallet = core.wallet(account, asset);
  wallet.balance -= surplus;
  wallet.stepChange -= surplus;
  core.risk.addToFund(asset, surplus);
  core.emitter.touchWallet(wallet);
  core.emitter.endStep();
}
