/**
 * Account commands: deposits and withdrawals, leverage, margin mode, position mode and isolated
 * margin transfers. Rules: docs/engine-rules.md, "Other commands".
 */
import type { Core } from './core.js';
import { refuse } from './refuse.js';
import { initialMargin, orderFrozen, unrealizedPnl } from './margin.js';
import { ordersOf, reallocate } from './positions.js';
import { availableBalance, balanceSnapshot, emptyBalance } from './snapshots.js';
import type { Account, Position, SymbolState } from './state.js';
import { leverageExcess } from './risk/tiers.js';
import type {
  AdjustIsolatedMargin, CommandError, CommandResult, CreateAccount, Deposit, SetLeverage, SetMarginMode, SetPositionMode, Withdraw,
} from './types.js';

/** Upper bound on one deposit or transfer: keeps balances far from anything a client could mis-parse. */
export const MAX_AMOUNT = 10n ** 30n;
const ASSET_RE = /^[A-Z0-9]{1,16}$/;
const DONE: CommandResult = { ok: true, kind: 'done' };


function accountOf(core: Core, accountId: number): Account | CommandError {
  return core.accounts.get(accountId) ?? refuse('UNKNOWN_ACCOUNT', `account ${accountId} does not exist`);
}

/**
 * A new account with the defaults the command carries (the exchange its owner trades through:
 * src/dialects/account-defaults.ts); the command is journaled with them, so a replay creates the
 * same account whatever the engine's own default.
 */
export function createAccount(core: Core, cmd: CreateAccount): CommandResult {
  if (cmd.positionMode !== undefined && cmd.positionMode !== 'ONE_WAY' && cmd.positionMode !== 'HEDGE') {
    return refuse('INVALID_ARGUMENT', 'positionMode must be ONE_WAY or HEDGE');
  }
  if (cmd.marginMode !== undefined && cmd.marginMode !== 'ISOLATED' && cmd.marginMode !== 'CROSSED') {
    return refuse('INVALID_ARGUMENT', 'marginMode must be ISOLATED or CROSSED');
  }
  return { ok: true, kind: 'account', accountId: core.createAccount(cmd.positionMode, cmd.marginMode).id };
}

function checkAmount(asset: string, amount: bigint): CommandError | null {
  if (typeof asset !== 'string' || !ASSET_RE.test(asset)) return refuse('INVALID_ARGUMENT', 'asset must be 1-16 characters A-Z 0-9, e.g. USDT');
  if (typeof amount !== 'bigint' || amount <= 0n || amount > MAX_AMOUNT) return refuse('INVALID_ARGUMENT', 'amount must be positive and at most 10^22');
  return null;
}

export function deposit(core: Core, cmd: Deposit): CommandResult {
  const account = accountOf(core, cmd.accountId);
  if ('ok' in account) return account;
  const invalid = checkAmount(cmd.asset, cmd.amount);
  if (invalid) return invalid;
  moveFunds(core, account, cmd.asset, cmd.amount);
  return DONE;
}

export function withdraw(core: Core, cmd: Withdraw): CommandResult {
  const account = accountOf(core, cmd.accountId);
  if ('ok' in account) return account;
  const invalid = checkAmount(cmd.asset, cmd.amount);
  if (invalid) return invalid;
  const wallet = account.wallets.get(cmd.asset);
  const available = wallet === undefined ? 0n : availableBalance(wallet);
  if (cmd.amount > available) return refuse('INSUFFICIENT_BALANCE', `only ${available} units of ${cmd.asset} are available to withdraw`);
  moveFunds(core, account, cmd.asset, -cmd.amount);
  return DONE;
}

function moveFunds(core: Core, account: Account, asset: string, amount: bigint): void {
  const wallet = core.wallet(account, asset);
  wallet.balance += amount;
  wallet.stepChange += amount;
  core.netDeposits.set(asset, (core.netDeposits.get(asset) ?? 0n) + amount);
  core.emitter.touchWallet(wallet);
  core.emitter.endStep();
}

export function setLeverage(core: Core, cmd: SetLeverage): CommandResult {
  const account = accountOf(core, cmd.accountId);
  if ('ok' in account) return account;
  const symbol = core.symbols.get(cmd.symbol);
  if (symbol === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const max = symbol.config.spec.maxLeverage;
  if (!Number.isInteger(cmd.leverage) || cmd.leverage < 1 || cmd.leverage > max) {
    return refuse('INVALID_ARGUMENT', `leverage must be a whole number from 1 to ${max}`);
  }
  const settings = core.settings(account, cmd.symbol);
  if (settings.leverage === cmd.leverage) return DONE;
  // The tier the position and its open orders reach bounds the leverage (risk/tiers.ts).
  for (const position of core.positionsOf(account, cmd.symbol)) {
    const excess = leverageExcess(position, cmd.leverage);
    if (excess !== null) return refuse('INVALID_ARGUMENT', excess);
  }
  const delta = leverageMarginDelta(core, account, symbol, cmd.leverage);
  const wallet = account.wallets.get(symbol.config.settleAsset);
  if (delta > (wallet === undefined ? 0n : availableBalance(wallet))) {
    return refuse('INSUFFICIENT_BALANCE', `leverage ${cmd.leverage} needs ${delta} more units of ${symbol.config.settleAsset} margin than are available`);
  }
  applyLeverage(core, account, symbol, cmd.leverage);
  core.emitter.endStep();
  return DONE;
}

/** Margin a position holds at `leverage`: cross is recomputed, isolated is only ever topped up. */
function marginAt(position: Position, leverage: number): bigint {
  const required = initialMargin(position.symbol.config, position.entryCost, leverage);
  return position.settings.marginMode === 'ISOLATED' && position.margin > required ? position.margin : required;
}

/** How much more margin (positions and orders) the symbol's records would hold at `leverage`. */
export function leverageMarginDelta(core: Core, account: Account, symbol: SymbolState, leverage: number): bigint {
  let delta = 0n;
  for (const position of core.positionsOf(account, symbol.config.symbol)) {
    delta += marginAt(position, leverage) - position.margin;
    for (const order of ordersOf(position)) delta += orderFrozen(symbol.config, order.openQty, order.freezePrice, leverage) - order.frozen;
  }
  return delta;
}

/** Sets the leverage and moves every margin to it (config, position and balance events; the caller ends the step). */
export function applyLeverage(core: Core, account: Account, symbol: SymbolState, leverage: number): void {
  const settings = core.settings(account, symbol.config.symbol);
  const isolated = settings.marginMode === 'ISOLATED';
  settings.leverage = leverage;
  let isolatedTopUp = 0n;
  if (isolated) for (const position of core.positionsOf(account, symbol.config.symbol)) isolatedTopUp += marginAt(position, leverage) - position.margin;
  core.emitter.config(account, { symbol: symbol.config.symbol, leverage, marginMode: settings.marginMode, positionMode: account.positionMode, isolatedTopUp });
  for (const position of core.positionsOf(account, symbol.config.symbol)) {
    const margin = marginAt(position, leverage);
    if (margin !== position.margin) {
      // A position holding margin has had fills, so its wallet exists.
      const holder = core.wallet(account, symbol.config.settleAsset);
      if (isolated) holder.isolatedMargin += margin - position.margin;
      else holder.crossedMargin += margin - position.margin;
      core.emitter.touchWallet(holder);
    }
    position.margin = margin;
    core.emitter.touchPosition(position);
    reallocate(core, position);
  }
}

function hasExposure(positions: readonly Position[]): boolean {
  return positions.some((p) => p.qty !== 0 || p.buyOrders.length > 0 || p.sellOrders.length > 0);
}

export function setMarginMode(core: Core, cmd: SetMarginMode): CommandResult {
  const account = accountOf(core, cmd.accountId);
  if ('ok' in account) return account;
  if (!core.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  if (cmd.marginMode !== 'ISOLATED' && cmd.marginMode !== 'CROSSED') return refuse('INVALID_ARGUMENT', 'marginMode must be ISOLATED or CROSSED');
  const settings = core.settings(account, cmd.symbol);
  if (settings.marginMode === cmd.marginMode) return DONE;
  const positions = core.positionsOf(account, cmd.symbol);
  if (hasExposure(positions)) {
    return refuse('HAS_OPEN_POSITION_OR_ORDER', `close the ${cmd.symbol} position and cancel its open orders before changing the margin mode`);
  }
  settings.marginMode = cmd.marginMode;
  const settleAsset = core.symbols.get(cmd.symbol)!.config.settleAsset;
  const wallet = account.wallets.get(settleAsset);
  core.emitter.config(account, {
    symbol: cmd.symbol, leverage: settings.leverage, marginMode: cmd.marginMode, positionMode: account.positionMode,
    settleBalance: wallet === undefined ? emptyBalance(settleAsset) : balanceSnapshot(account, wallet),
  });
  for (const position of positions) core.emitter.touchPosition(position);
  core.emitter.endStep();
  return DONE;
}

export function setPositionMode(core: Core, cmd: SetPositionMode): CommandResult {
  const account = accountOf(core, cmd.accountId);
  if ('ok' in account) return account;
  if (cmd.positionMode !== 'ONE_WAY' && cmd.positionMode !== 'HEDGE') return refuse('INVALID_ARGUMENT', 'positionMode must be ONE_WAY or HEDGE');
  if (account.positionMode === cmd.positionMode) return DONE;
  // Waiting conditional orders count as open orders (Binance refuses the change with open algo orders):
  // one made in one mode could not place its order in the other.
  if (hasExposure([...account.positions.values()]) || account.conditionals.size > 0) {
    return refuse('HAS_OPEN_POSITION_OR_ORDER', 'close every position and cancel every open order and conditional order before changing the position mode');
  }
  account.positionMode = cmd.positionMode;
  // Binance: sides are initialised anew in the new mode (docs/engine-rules.md, "Accounts and settings").
  for (const position of account.positions.values()) position.initialised = false;
  core.emitter.config(account, { symbol: null, leverage: null, marginMode: null, positionMode: cmd.positionMode });
  core.emitter.endStep();
  return DONE;
}

export function adjustIsolatedMargin(core: Core, cmd: AdjustIsolatedMargin): CommandResult {
  const account = accountOf(core, cmd.accountId);
  if ('ok' in account) return account;
  const symbol = core.symbols.get(cmd.symbol);
  if (symbol === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  if (typeof cmd.amount !== 'bigint' || cmd.amount === 0n || cmd.amount > MAX_AMOUNT || cmd.amount < -MAX_AMOUNT) {
    return refuse('INVALID_ARGUMENT', 'amount must be a non-zero amount (positive adds margin, negative removes it)');
  }
  const settings = core.settings(account, cmd.symbol);
  const position = core.findPosition(account, symbol, cmd.positionSide);
  if (position === undefined || position.qty === 0 || settings.marginMode !== 'ISOLATED') {
    return refuse('NO_POSITION', `there is no open isolated ${cmd.positionSide} position on ${cmd.symbol}`);
  }
  const { config } = symbol;
  const wallet = core.wallet(account, config.settleAsset);
  if (cmd.amount > 0n && cmd.amount > availableBalance(wallet)) {
    return refuse('INSUFFICIENT_BALANCE', `only ${availableBalance(wallet)} units of ${config.settleAsset} are available`);
  }
  if (cmd.amount < 0n) {
    const upnl = unrealizedPnl(config, position.qty, position.entryCost, symbol.markPrice);
    const removable = position.margin + (upnl < 0n ? upnl : 0n) - initialMargin(config, position.entryCost, settings.leverage);
    if (-cmd.amount > removable) {
      return refuse('INSUFFICIENT_BALANCE', `at most ${removable > 0n ? removable : 0n} units can be removed from this position`);
    }
  }
  position.margin += cmd.amount;
  wallet.isolatedMargin += cmd.amount;
  position.updateTime = core.time;
  core.emitter.touchPosition(position);
  core.emitter.touchWallet(wallet);
  core.emitter.endStep();
  return DONE;
}
