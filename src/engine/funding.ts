/**
 * Funding settlement (risk.md §5.5): at a funding time every position open in the symbol pays or
 * receives notional at mark × F; longs pay shorts when F > 0. The fees sum to exactly zero by
 * construction (payers rounded up, their total shared among receivers by largest remainder).
 * Rules: docs/engine-rules.md, "Funding settlement".
 */
import { invariant } from './assert.js';
import type { Core } from './core.js';
import { RATE_SCALE, ceilDiv } from './fixed.js';
import { openPositionsOf, predictedFundingRate } from './prices.js';
import { refuse } from './refuse.js';
import type { Position } from './state.js';
import type { CommandResult, SettleFunding } from './types.js';

/**
 * Signed funding fees (+ received, − paid, amount units) for positions of signed quantities `qtys`
 * (in tie-break order) at `mark` ticks and rate `rate` (10^-8); `qtys` must sum to 0.
 * - A position's exact obligation is qty × mark × K × rate / 10^8 (> 0: it pays).
 * - Each payer pays its obligation rounded up; the payers' total T is split among the receivers in
 *   proportion to their exact claims: each gets the floor of its share, and the units left over go
 *   one each to the largest remainders, earlier in `qtys` first on equal remainders.
 * So Σ fees = 0 exactly, nobody pays less than owed, and receivers share any rounding surplus.
 */
export function allocateFunding(qtys: readonly number[], mark: number, valuePerTickContract: bigint, rate: bigint): bigint[] {
  return allocateFundingOf(qtys, BigInt(mark) * valuePerTickContract * rate, RATE_SCALE);
}

/**
 * The same allocation for an obligation of qty × perContract / scale amount units per position
 * (linear: perContract = mark × K × rate, scale 10^8; inverse: perContract = inverseValue × rate,
 * scale = mark × 10^8, the coin value of a contract at the mark times the rate).
 */
export function allocateFundingOf(qtys: readonly number[], perContract: bigint, scale: bigint): bigint[] {
  const obligations = qtys.map((qty) => BigInt(qty) * perContract);
  const fees = obligations.map((o) => (o > 0n ? -ceilDiv(o, scale) : 0n));
  const total = -fees.reduce((sum, fee) => sum + fee, 0n);
  if (total === 0n) return fees;
  let claims = 0n;
  for (const o of obligations) if (o < 0n) claims -= o;
  invariant(claims > 0n, 'funding has payers but no receivers: positions do not net to zero');
  const remainders: { index: number; remainder: bigint }[] = [];
  let given = 0n;
  obligations.forEach((o, index) => {
    if (o >= 0n) return;
    const weighted = total * -o;
    fees[index] = weighted / claims;
    given += fees[index]!;
    remainders.push({ index, remainder: weighted % claims });
  });
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (let left = total - given, i = 0; left > 0n; left -= 1n, i += 1) fees[remainders[i]!.index]! += 1n;
  return fees;
}

/**
 * Settles funding for the symbol at `fundingTime` (default: the command time), which must not be in
 * the future nor at or before the last settlement. The rate is the predicted one (the interval's
 * premium samples); the notional is valued at the mark (the last trade price if no mark was ever
 * set). Then the samples restart for the next interval.
 */
export function settleFunding(core: Core, cmd: SettleFunding): CommandResult {
  const pricing = core.pricing.get(cmd.symbol);
  if (pricing === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const fundingTime = cmd.fundingTime ?? core.time;
  if (!Number.isSafeInteger(fundingTime) || fundingTime < 0 || fundingTime > core.time) {
    return refuse('INVALID_ARGUMENT', `fundingTime must be a whole number of ms, not after the engine time ${core.time}`);
  }
  if (pricing.lastFundingTime !== null && fundingTime <= pricing.lastFundingTime) {
    return refuse('INVALID_ARGUMENT', `funding of ${cmd.symbol} is already settled up to ${pricing.lastFundingTime}`);
  }
  if (pricing.state.config.delivery !== null) {
    return refuse('INVALID_ARGUMENT', `${cmd.symbol} is a delivery contract: it pays no funding (it settles at its delivery time)`);
  }
  const rate = predictedFundingRate(pricing);
  const { state } = pricing;
  const mark = state.markPrice ?? state.lastPrice;
  const positions = openPositionsOf(state);
  if (rate !== 0n && mark !== null && positions.length > 0) {
    const qtys = positions.map((p) => p.qty);
    const { config } = state;
    const fees = config.inverse
      ? allocateFundingOf(qtys, config.inverseValue * rate, BigInt(mark) * RATE_SCALE)
      : allocateFunding(qtys, mark, config.valuePerTickContract, rate);
    // One step per account (its funding events, then its position and balance events), by account id.
    let step: { position: Position; fee: bigint }[] = [];
    const flush = (): void => {
      for (const { position, fee } of step) {
        core.emitter.funding(position.account, {
          symbol: state.config.symbol, positionSide: position.side, fundingTime, qty: position.qty, markPrice: mark, fundingRate: rate, fundingFee: fee,
        });
      }
      for (const { position, fee } of step) applyFundingFee(core, position, fee);
      if (step.length > 0) core.emitter.endStep();
      step = [];
    };
    positions.forEach((position, i) => {
      if (step.length > 0 && step[0]!.position.account !== position.account) flush();
      if (fees[i] !== 0n) step.push({ position, fee: fees[i]! });
    });
    flush();
  }
  pricing.lastFundingRate = rate;
  pricing.lastFundingTime = fundingTime;
  core.publicEvents.push({ type: 'fundingSettled', symbol: state.config.symbol, fundingTime, fundingRate: rate, markPrice: mark, time: core.time });
  pricing.premiumCount = 0;
  pricing.premiumWeighted = 0n;
  return { ok: true, kind: 'done' };
}

/**
 * Moves one position's fee through its wallet: a cross position's straight to the wallet; an
 * isolated position's into or out of its isolated margin (a payment larger than that margin empties
 * it and takes the rest from the cross part of the wallet).
 */
function applyFundingFee(core: Core, position: Position, fee: bigint): void {
  const wallet = core.wallet(position.account, position.symbol.config.settleAsset);
  wallet.balance += fee;
  wallet.stepChange += fee;
  if (position.settings.marginMode === 'ISOLATED') {
    const moved = fee >= 0n ? fee : -(position.margin < -fee ? position.margin : -fee);
    position.margin += moved;
    wallet.isolatedMargin += moved;
  }
  position.fundingTotal += fee;
  position.realizedPnlCurrent += fee;
  position.updateTime = core.time;
  core.emitter.touchPosition(position);
  core.emitter.touchWallet(wallet);
}
