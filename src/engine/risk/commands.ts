/**
 * Risk settings commands (docs/engine-rules.md, "Risk: commands"): the risk-limit level (KuCoin
 * adjustRiskLimit) and auto-add margin (KuCoin autoDeposit).
 */
import { applyLeverage, leverageMarginDelta } from '../accounts.js';
import type { Core } from '../core.js';
import { refuse } from '../refuse.js';
import { availableBalance } from '../snapshots.js';
import type { AdjustRiskLimit, CommandResult, SetAutoDeposit } from '../types.js';
import { exposure, levelInForce, tierIndex } from './tiers.js';

const DONE: CommandResult = { ok: true, kind: 'done' };

/**
 * Chooses the risk-limit level. Accepted commands always end with a RiskLimitEvent; the two failures
 * (seed 004) change nothing else:
 * - the position and its open orders already reach a higher tier than the level;
 * - the level allows less leverage than the current one, and the margin at the lower leverage
 *   cannot be added from the available balance.
 * On success the leverage comes down to the level's maximum if needed (config, position and balance
 * events, reason RISK_LIMIT_CHANGE) and positions whose level in force changed are pushed.
 */
export function adjustRiskLimit(core: Core, cmd: AdjustRiskLimit): CommandResult {
  const account = core.accounts.get(cmd.accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${cmd.accountId} does not exist`);
  const symbol = core.symbols.get(cmd.symbol);
  if (symbol === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const tiers = symbol.config.tiers;
  if (!Number.isInteger(cmd.level) || cmd.level < 1 || cmd.level > tiers.length) {
    return refuse('INVALID_ARGUMENT', `level must be a whole number from 1 to ${tiers.length}`);
  }
  const settings = core.settings(account, cmd.symbol);
  const positions = core.positionsOf(account, cmd.symbol);
  const inForce = (): number => Math.max(settings.riskLimitLevel, ...positions.map((p) => levelInForce(p) + 1));
  const answer = (success: boolean, message: string): CommandResult => {
    core.emitter.endStep();
    core.emitter.riskLimit(account, { symbol: cmd.symbol, success, riskLevel: inForce(), message });
    return DONE;
  };
  const reached = Math.max(1, ...positions.map((p) => tierIndex(tiers, exposure(p)) + 1));
  if (cmd.level < reached) {
    return answer(false, `the position value exceeds the risk limit of level ${cmd.level}: its open position and orders reach level ${reached}`);
  }
  const maxLeverage = tiers[cmd.level - 1]!.maxLeverage;
  const lowerLeverage = settings.leverage > maxLeverage;
  if (lowerLeverage) {
    const wallet = account.wallets.get(symbol.config.settleAsset);
    const needed = leverageMarginDelta(core, account, symbol, maxLeverage);
    if (needed > (wallet === undefined ? 0n : availableBalance(wallet))) {
      return answer(false, `insufficient balance: level ${cmd.level} allows leverage ${maxLeverage}, and the ${needed} units of margin that needs could not be added`);
    }
  }
  core.emitter.setReason('RISK_LIMIT_CHANGE');
  const before = positions.map((p) => levelInForce(p));
  settings.riskLimitLevel = cmd.level;
  if (lowerLeverage) applyLeverage(core, account, symbol, maxLeverage);
  positions.forEach((p, i) => {
    if (levelInForce(p) !== before[i]) core.emitter.touchPosition(p);
  });
  return answer(true, '');
}

/** Switches auto-add margin of one isolated position record (created if it did not exist yet). */
export function setAutoDeposit(core: Core, cmd: SetAutoDeposit): CommandResult {
  const account = core.accounts.get(cmd.accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${cmd.accountId} does not exist`);
  const symbol = core.symbols.get(cmd.symbol);
  if (symbol === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  if (typeof cmd.enabled !== 'boolean') return refuse('INVALID_ARGUMENT', 'enabled must be true or false');
  const sides = account.positionMode === 'ONE_WAY' ? ['BOTH'] : ['LONG', 'SHORT'];
  if (!sides.includes(cmd.positionSide)) return refuse('INVALID_ARGUMENT', `positionSide must be ${sides.join(' or ')} in ${account.positionMode} mode`);
  if (core.settings(account, cmd.symbol).marginMode !== 'ISOLATED') {
    return refuse('INVALID_ARGUMENT', `auto-add margin applies to isolated positions; ${cmd.symbol} is in cross margin mode`);
  }
  const existing = core.findPosition(account, symbol, cmd.positionSide);
  if (existing === undefined && !cmd.enabled) return DONE;
  const position = existing ?? core.position(account, symbol, cmd.positionSide);
  if (position.autoDeposit !== cmd.enabled) {
    position.autoDeposit = cmd.enabled;
    position.updateTime = core.time;
    core.emitter.touchPosition(position);
  }
  core.emitter.endStep();
  return DONE;
}
