/**
 * The conditional-order commands: place (plan and trailing), amend, cancel, cancel-all, a
 * position's take-profit / stop-loss / trailing legs, and TP/SL attached to an opening order.
 * Rules: docs/engine-rules.md, "Conditional orders". Nothing here reserves margin: the order a
 * conditional places goes through every normal check when it fires (triggers.ts).
 */
import { tradingRefusal } from '../delivery.js';
import { CLIENT_ORDER_ID_RE, validatePlace } from '../orders.js';
import { refuse } from '../refuse.js';
import type { Core } from '../core.js';
import type { Account, Order, Position, SymbolState } from '../state.js';
import type {
  AmendConditional, AttachTpsl, CancelAllConditionals, CancelConditional, CommandError, CommandResult, ConditionalKind, ConditionalSnapshot,
  PlaceConditional, PlaceOrder, PositionSide, SetPositionTpsl, Side, TpslChange, TpslLeg, TpslMode, TriggerDirection, TriggerSource,
} from '../types.js';
import { endConditional, legPosition, refile, register } from './lifecycle.js';
import {
  activationDirection, armTrailing, conditionalSnapshot, fullLeg, holdsAt, SOURCES, trailingDirection, type Conditional,
} from './records.js';

const isWholeIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** The current price of a trigger source, null while the symbol has none. */
export function sourcePrice(core: Core, symbol: SymbolState, source: TriggerSource): number | null {
  if (source === 'LAST') return symbol.lastPrice;
  if (source === 'MARK') return symbol.markPrice;
  return core.pricing.get(symbol.config.symbol)!.index;
}

function lookup(core: Core, accountId: number, symbolName: string | undefined): { account: Account; symbol: SymbolState | undefined } | CommandError {
  const account = core.accounts.get(accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${accountId} does not exist`);
  if (symbolName === undefined) return { account, symbol: undefined };
  const symbol = core.symbols.get(symbolName);
  if (symbol === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${symbolName} is not listed`);
  return { account, symbol };
}

function checkTick(symbol: SymbolState, value: unknown, name: string): CommandError | null {
  const max = symbol.config.spec.maxPriceTicks;
  return isWholeIn(value, 1, max) ? null : refuse('INVALID_ARGUMENT', `${name} must be a whole number of ticks from 1 to ${max}`);
}

function checkSource(source: unknown): CommandError | null {
  return SOURCES.includes(source as TriggerSource) ? null : refuse('INVALID_ARGUMENT', 'triggerSource must be LAST, MARK or INDEX');
}

function checkExpiry(core: Core, expireTime: unknown): CommandError | null {
  if (expireTime === undefined) return null;
  return isWholeIn(expireTime, core.time + 1, Number.MAX_SAFE_INTEGER) ? null
    : refuse('INVALID_ARGUMENT', `expireTime must be a whole number of ms after the engine time ${core.time}`);
}

/** A client order id the account may give a new conditional order (the duplicate of a waiting one is answered separately). */
function checkClientId(account: Account, clientOrderId: string | undefined): CommandError | null {
  if (clientOrderId === undefined) return null;
  if (!CLIENT_ORDER_ID_RE.test(clientOrderId)) return refuse('INVALID_ARGUMENT', 'clientOrderId must be 1-40 characters of A-Z a-z 0-9 _ . : / -');
  if (account.liveByClientId.has(clientOrderId)) return refuse('INVALID_ARGUMENT', `clientOrderId ${clientOrderId} belongs to an open order; use another`);
  return null;
}

function checkRoom(core: Core, account: Account, adding: number): CommandError | null {
  return account.conditionals.size + adding > core.maxConditionalOrdersPerAccount
    ? refuse('TOO_MANY_CONDITIONAL_ORDERS', `an account may have at most ${core.maxConditionalOrdersPerAccount} waiting conditional orders; cancel some first`)
    : null;
}

/** Refuses a condition that already holds at the source's current price (it would fire at once). */
function checkNotHolding(core: Core, symbol: SymbolState, source: TriggerSource, direction: TriggerDirection, level: number): CommandError | null {
  const current = sourcePrice(core, symbol, source);
  if (current === null || !holdsAt(direction, level, current)) return null;
  return refuse('WOULD_TRIGGER_IMMEDIATELY',
    `the ${source} price ${current} is already ${direction === 'RISE' ? 'at or above' : 'at or below'} the trigger ${level}: the order would trigger immediately`);
}

interface NewConditional {
  account: Account; symbol: SymbolState; kind: ConditionalKind; side: Side; positionSide: PositionSide; triggerSource: TriggerSource;
  triggerDirection: TriggerDirection; triggerPrice: number | null; orderType: Conditional['orderType']; price: number;
  timeInForce: Conditional['timeInForce']; qty: number; reduceOnly: boolean; closePosition: boolean; tpslMode: TpslMode | null;
  activationPrice: number | null; callbackRate: bigint | null; callbackAmount: number | null; clientOrderId: string | null;
  stpMode: Conditional['stpMode']; expireTime: number | null; attachTpsl: AttachTpsl | null; parentOrderId: number | null;
}

/** A new waiting record (not yet registered). A trailing stop without an activation price arms at `armAt`. */
function newConditional(core: Core, f: NewConditional, armAt: number | null): Conditional {
  const trailing = f.kind === 'TRAILING';
  const id = core.nextOrderId++;
  const c: Conditional = {
    id, clientOrderId: f.clientOrderId, account: f.account, symbol: f.symbol, kind: f.kind, side: f.side,
    positionSide: f.positionSide, triggerSource: f.triggerSource, triggerDirection: f.triggerDirection, triggerPrice: f.triggerPrice,
    orderType: f.orderType, price: f.orderType === 'LIMIT' ? f.price : 0, timeInForce: f.timeInForce, qty: f.qty, reduceOnly: f.reduceOnly,
    closePosition: f.closePosition, tpslMode: f.tpslMode, partnerId: null, pairId: id, marginMode: f.account.settings.get(f.symbol.config.symbol)!.marginMode, activationPrice: f.activationPrice, callbackRate: f.callbackRate,
    callbackAmount: f.callbackAmount, activated: false, extremePrice: null, stpMode: f.stpMode, expireTime: f.expireTime,
    attachTpsl: f.attachTpsl, parentOrderId: f.parentOrderId, state: 'WAITING', reason: 'NONE', orderId: null, triggeredPrice: null,
    createTime: core.time, updateTime: core.time,
    watchPrice: trailing ? (f.activationPrice ?? 0) : f.triggerPrice!, watchDirection: trailing ? activationDirection(f.side) : f.triggerDirection,
    watchSlot: -1, extremeSlot: -1, expirySlot: -1,
  };
  if (trailing && f.activationPrice === null) armTrailing(c, armAt!);
  return c;
}

/** Registers a new record and emits its NEW event; returns its snapshot. */
function create(core: Core, c: Conditional, position: Position | undefined): ConditionalSnapshot {
  register(core, c, position);
  const snapshot = conditionalSnapshot(c);
  core.emitter.conditional(c.account, 'NEW', snapshot);
  return snapshot;
}

export function placeConditional(core: Core, cmd: PlaceConditional): CommandResult {
  const found = lookup(core, cmd.accountId, cmd.symbol);
  if ('ok' in found) return found;
  const { account } = found;
  const symbol = found.symbol!;
  const closed = tradingRefusal(core, symbol);
  if (closed) return closed;
  if (cmd.clientOrderId !== undefined) {
    const waiting = account.conditionalsByClientId.get(cmd.clientOrderId);
    if (waiting !== undefined) return { ok: true, kind: 'conditional', conditional: conditionalSnapshot(waiting), duplicate: true };
  }
  if (cmd.kind !== 'PLAN' && cmd.kind !== 'TRAILING') return refuse('INVALID_ARGUMENT', 'kind must be PLAN or TRAILING (take-profit / stop-loss legs: setPositionTpsl)');
  const invalid = checkSource(cmd.triggerSource) ?? checkClientId(account, cmd.clientOrderId) ?? checkExpiry(core, cmd.expireTime);
  if (invalid) return invalid;
  if (typeof cmd.closePosition !== 'boolean') return refuse('INVALID_ARGUMENT', 'closePosition must be true or false');
  if (cmd.closePosition && (cmd.qty !== 0 || cmd.reduceOnly)) {
    return refuse('INVALID_ARGUMENT', 'a closePosition order closes the whole position: send qty 0 and no reduceOnly');
  }
  const oneWay = account.positionMode === 'ONE_WAY';
  // The order it will place, checked now with a stand-in quantity for "the whole position".
  const placed: PlaceOrder = {
    type: 'placeOrder', time: cmd.time, accountId: cmd.accountId, symbol: cmd.symbol, side: cmd.side, positionSide: cmd.positionSide,
    orderType: cmd.orderType, timeInForce: cmd.timeInForce, price: cmd.price, qty: cmd.closePosition ? symbol.config.spec.minQty : cmd.qty,
    reduceOnly: cmd.closePosition ? oneWay : cmd.reduceOnly, ...(cmd.stpMode !== undefined ? { stpMode: cmd.stpMode } : {}),
  };
  const badOrder = validatePlace(account, symbol, placed) ??
    (cmd.attachTpsl !== undefined ? validateAttach(symbol, { ...placed, triggerPrice: cmd.kind === 'PLAN' ? cmd.triggerPrice : undefined }, cmd.attachTpsl) : null);
  if (badOrder) return badOrder;
  if (cmd.closePosition && !oneWay && ((cmd.positionSide === 'LONG') === (cmd.side === 'BUY'))) {
    return refuse('INVALID_ARGUMENT', `closePosition on the ${cmd.positionSide} position must ${cmd.positionSide === 'LONG' ? 'SELL' : 'BUY'}`);
  }
  let triggerDirection: TriggerDirection;
  let triggerPrice: number | null = null;
  let armAt: number | null = null;
  if (cmd.kind === 'PLAN') {
    if (cmd.activationPrice !== undefined || cmd.callbackRate !== undefined || cmd.callbackAmount !== undefined) {
      return refuse('INVALID_ARGUMENT', 'activationPrice and callbacks belong to trailing stops');
    }
    const badTrigger = checkTick(symbol, cmd.triggerPrice, 'triggerPrice');
    if (badTrigger) return badTrigger;
    if (cmd.triggerDirection !== 'RISE' && cmd.triggerDirection !== 'FALL') return refuse('INVALID_ARGUMENT', 'triggerDirection must be RISE or FALL');
    triggerDirection = cmd.triggerDirection;
    triggerPrice = cmd.triggerPrice!;
    if (cmd.triggerIfHolding !== undefined && typeof cmd.triggerIfHolding !== 'boolean') return refuse('INVALID_ARGUMENT', 'triggerIfHolding must be true or false');
    const holding = cmd.triggerIfHolding === true ? null : checkNotHolding(core, symbol, cmd.triggerSource, triggerDirection, triggerPrice);
    if (holding) return holding;
  } else {
    if (cmd.triggerPrice !== undefined || cmd.triggerDirection !== undefined) {
      return refuse('INVALID_ARGUMENT', 'a trailing stop has no trigger price or direction: it trails the best price by its callback');
    }
    const byRate = cmd.callbackRate !== undefined;
    if (byRate === (cmd.callbackAmount !== undefined)) return refuse('INVALID_ARGUMENT', 'a trailing stop needs exactly one of callbackRate and callbackAmount');
    if (byRate && (typeof cmd.callbackRate !== 'bigint' || cmd.callbackRate <= 0n || cmd.callbackRate >= 100_000_000n)) {
      return refuse('INVALID_ARGUMENT', 'callbackRate must be above 0 and below 1 (1e-8 units)');
    }
    if (!byRate && !isWholeIn(cmd.callbackAmount, 1, symbol.config.spec.maxPriceTicks)) {
      return refuse('INVALID_ARGUMENT', 'callbackAmount must be a whole number of ticks ≥ 1');
    }
    triggerDirection = trailingDirection(cmd.side);
    if (cmd.activationPrice !== undefined) {
      const badActivation = checkTick(symbol, cmd.activationPrice, 'activationPrice');
      if (badActivation) return badActivation;
    } else {
      armAt = sourcePrice(core, symbol, cmd.triggerSource);
      if (armAt === null) return refuse('INVALID_ARGUMENT', `${cmd.symbol} has no ${cmd.triggerSource} price to trail from yet; give an activationPrice`);
    }
  }
  const full = checkRoom(core, account, 1);
  if (full) return full;
  const c = newConditional(core, {
    account, symbol, kind: cmd.kind, side: cmd.side, positionSide: cmd.positionSide, triggerSource: cmd.triggerSource, triggerDirection,
    triggerPrice, orderType: cmd.orderType, price: cmd.price, timeInForce: cmd.timeInForce, qty: cmd.qty, reduceOnly: placed.reduceOnly,
    closePosition: cmd.closePosition, tpslMode: null, activationPrice: cmd.activationPrice ?? null,
    callbackRate: cmd.callbackRate ?? null, callbackAmount: cmd.callbackAmount ?? null, clientOrderId: cmd.clientOrderId ?? null,
    stpMode: cmd.stpMode ?? 'EXPIRE_TAKER', expireTime: cmd.expireTime ?? null, attachTpsl: cmd.attachTpsl ?? null, parentOrderId: null,
  }, armAt);
  return { ok: true, kind: 'conditional', conditional: create(core, c, undefined), duplicate: false };
}

function findWaiting(core: Core, cmd: CancelConditional | AmendConditional): { account: Account; c: Conditional } | CommandError {
  const found = lookup(core, cmd.accountId, cmd.symbol);
  if ('ok' in found) return found;
  const { account } = found;
  const c = cmd.conditionalId !== undefined ? account.conditionals.get(cmd.conditionalId)
    : cmd.clientOrderId !== undefined ? account.conditionalsByClientId.get(cmd.clientOrderId) : undefined;
  if (c === undefined || c.symbol.config.symbol !== cmd.symbol) {
    const which = cmd.conditionalId !== undefined ? `conditional order ${cmd.conditionalId}` : `client order id ${String(cmd.clientOrderId)}`;
    return refuse('UNKNOWN_ORDER', `${which} is not a waiting conditional order of this account on ${cmd.symbol}`);
  }
  return { account, c };
}

export function cancelConditional(core: Core, cmd: CancelConditional): CommandResult {
  const found = findWaiting(core, cmd);
  if ('ok' in found) return found;
  const event = endConditional(core, found.c, 'CANCELED', 'USER_CANCELED');
  core.emitter.endStep();
  return { ok: true, kind: 'conditional', conditional: event.conditional, duplicate: false };
}

export function cancelAllConditionals(core: Core, cmd: CancelAllConditionals): CommandResult {
  const found = lookup(core, cmd.accountId, cmd.symbol);
  if ('ok' in found) return found;
  const kinds = cmd.kinds;
  if (kinds !== undefined && (!Array.isArray(kinds) || kinds.some((k) => !['PLAN', 'TAKE_PROFIT', 'STOP_LOSS', 'TRAILING'].includes(k)))) {
    return refuse('INVALID_ARGUMENT', 'kinds must list PLAN, TAKE_PROFIT, STOP_LOSS or TRAILING');
  }
  const ended: ConditionalSnapshot[] = [];
  // In id order (creation order): the events come out in the order the orders were placed.
  for (const c of [...found.account.conditionals.values()].sort((a, b) => a.id - b.id)) {
    if (cmd.symbol !== undefined && c.symbol.config.symbol !== cmd.symbol) continue;
    if (kinds !== undefined && !kinds.includes(c.kind)) continue;
    ended.push(endConditional(core, c, 'CANCELED', 'USER_CANCELED').conditional);
  }
  core.emitter.endStep();
  return { ok: true, kind: 'conditionals', conditionals: ended };
}

export function amendConditional(core: Core, cmd: AmendConditional): CommandResult {
  const found = findWaiting(core, cmd);
  if ('ok' in found) return found;
  const { c } = found;
  const symbol = c.symbol;
  const closed = tradingRefusal(core, symbol);
  if (closed) return closed;
  if (cmd.triggerPrice === undefined && cmd.triggerSource === undefined && cmd.price === undefined && cmd.qty === undefined && cmd.tpsl === undefined) {
    return refuse('INVALID_ARGUMENT', 'give at least one of triggerPrice, triggerSource, price, qty, tpsl');
  }
  if (cmd.triggerPrice !== undefined) {
    if (c.kind === 'TRAILING') return refuse('INVALID_ARGUMENT', 'a trailing stop has no trigger price to amend');
    const bad = checkTick(symbol, cmd.triggerPrice, 'triggerPrice');
    if (bad) return bad;
  }
  if (cmd.triggerSource !== undefined) {
    const bad = checkSource(cmd.triggerSource);
    if (bad) return bad;
  }
  if (cmd.price !== undefined) {
    if (c.orderType !== 'LIMIT') return refuse('INVALID_ARGUMENT', 'only a conditional LIMIT order has a price to amend');
    const bad = checkTick(symbol, cmd.price, 'price');
    if (bad) return bad;
  }
  if (cmd.qty !== undefined) {
    if (c.qty === 0) return refuse('INVALID_ARGUMENT', 'this conditional order closes the whole position: it has no quantity to amend');
    const spec = symbol.config.spec;
    if (!isWholeIn(cmd.qty, spec.minQty, spec.maxQty)) return refuse('INVALID_ARGUMENT', `qty must be a whole number of contracts from ${spec.minQty} to ${spec.maxQty}`);
    const position = c.tpslMode === 'PARTIAL' ? legPosition(core, c) : undefined;
    if (position !== undefined && cmd.qty > Math.abs(position.qty)) {
      return refuse('INVALID_ARGUMENT', `a take-profit / stop-loss leg may close at most the position's ${Math.abs(position.qty)} contracts`);
    }
  }
  // The TP/SL its order will arm: changed, or checked again against a new price.
  let attach = c.attachTpsl;
  const opening = {
    side: c.side, positionSide: c.positionSide, reduceOnly: c.reduceOnly || c.closePosition, orderType: c.orderType, price: cmd.price ?? c.price,
    triggerPrice: cmd.triggerPrice ?? c.triggerPrice,
  };
  if (cmd.tpsl !== undefined) {
    if (c.kind !== 'PLAN') return refuse('INVALID_ARGUMENT', 'only a plan order carries a take-profit / stop-loss for the order it places');
    const changed = changedAttach(core, found.account, symbol, c.attachTpsl, cmd.tpsl, opening);
    if (changed !== null && 'ok' in changed) return changed;
    attach = changed;
  } else if (attach !== null && (cmd.price !== undefined || cmd.triggerPrice !== undefined)) {
    const bad = validateAttach(symbol, opening, attach);
    if (bad) return bad;
  }
  const source = cmd.triggerSource ?? c.triggerSource;
  const trigger = cmd.triggerPrice ?? c.triggerPrice;
  if (source === c.triggerSource && trigger === c.triggerPrice && (cmd.price ?? c.price) === c.price && (cmd.qty ?? c.qty) === c.qty &&
    sameAttach(attach, c.attachTpsl)) {
    return refuse('NO_CHANGE', 'the conditional order already has these values');
  }
  if (c.kind !== 'TRAILING') {
    const holding = checkNotHolding(core, symbol, source, c.triggerDirection, trigger!);
    if (holding) return holding;
  }
  refile(core, c, () => {
    c.triggerSource = source;
    if (c.kind !== 'TRAILING') {
      c.triggerPrice = trigger;
      c.watchPrice = trigger!;
    }
  });
  c.price = cmd.price ?? c.price;
  c.qty = cmd.qty ?? c.qty;
  c.attachTpsl = attach;
  c.updateTime = core.time;
  if (c.tpslMode === 'FULL') core.emitter.touchPosition(legPosition(core, c)!);
  const snapshot = conditionalSnapshot(c);
  core.emitter.conditional(c.account, 'AMENDED', snapshot);
  core.emitter.endStep();
  return { ok: true, kind: 'conditional', conditional: snapshot, duplicate: false };
}

// ---------------------------------------------------------------------------------------------
// Take-profit / stop-loss legs of a position.

/** The direction a leg fires in: a long's take-profit on a rise, its stop-loss on a fall; a short's the other way. */
const legDirection = (kind: 'TAKE_PROFIT' | 'STOP_LOSS', legSide: Side): TriggerDirection =>
  (kind === 'TAKE_PROFIT') === (legSide === 'SELL') ? 'RISE' : 'FALL';

function checkLeg(symbol: SymbolState, leg: TpslLeg, name: string): CommandError | null {
  if (typeof leg !== 'object' || leg === null) return refuse('INVALID_ARGUMENT', `${name} must be a leg`);
  const bad = checkTick(symbol, leg.triggerPrice, `${name}.triggerPrice`) ?? checkSource(leg.triggerSource);
  if (bad) return bad;
  if (leg.orderType === 'LIMIT') return checkTick(symbol, leg.price, `${name}.price`);
  if (leg.orderType !== 'MARKET') return refuse('INVALID_ARGUMENT', `${name}.orderType must be MARKET or LIMIT`);
  return leg.price === undefined ? null : refuse('INVALID_ARGUMENT', `${name}: a MARKET leg has no price`);
}

/**
 * What an attached TP/SL is checked against: the opening order, or the order a plan order places
 * (with the plan's trigger price: where its market order will open).
 */
type OpeningOrder = Pick<PlaceOrder, 'side' | 'positionSide' | 'reduceOnly' | 'orderType' | 'price'> & { triggerPrice?: number | null };

/**
 * The checks of an opening order's attached take-profit / stop-loss against the price it may open
 * at: a limit order's price; a plan's market order's trigger price; a market order's last (else
 * mark) price. Without any (a market order before the first price, refused when placed) the legs'
 * own fields are still checked.
 */
export function validateAttach(symbol: SymbolState, order: OpeningOrder, attach: AttachTpsl): CommandError | null {
  if (attach.mode !== 'FULL' && attach.mode !== 'PARTIAL') return refuse('INVALID_ARGUMENT', 'attachTpsl.mode must be FULL or PARTIAL');
  if (attach.takeProfit === undefined && attach.stopLoss === undefined) return refuse('INVALID_ARGUMENT', 'attachTpsl needs a takeProfit or a stopLoss');
  const closing = order.reduceOnly || (order.positionSide === 'LONG' && order.side === 'SELL') || (order.positionSide === 'SHORT' && order.side === 'BUY');
  if (closing) return refuse('INVALID_ARGUMENT', 'take-profit / stop-loss attach to an order that opens a position, not to one that closes it');
  const legSide: Side = order.side === 'BUY' ? 'SELL' : 'BUY';
  // Against the order's own price (a market order's: the last or mark price): a buy's take-profit above it, its stop-loss below.
  const basis = order.orderType === 'LIMIT' ? order.price : order.triggerPrice ?? symbol.lastPrice ?? symbol.markPrice;
  for (const [kind, leg] of [['TAKE_PROFIT', attach.takeProfit], ['STOP_LOSS', attach.stopLoss]] as const) {
    if (leg === undefined) continue;
    const bad = checkLeg(symbol, leg, kind === 'TAKE_PROFIT' ? 'takeProfit' : 'stopLoss');
    if (bad) return bad;
    if (basis !== null && holdsAt(legDirection(kind, legSide), leg.triggerPrice, basis)) {
      return refuse('WOULD_TRIGGER_IMMEDIATELY', `the ${kind === 'TAKE_PROFIT' ? 'take-profit' : 'stop-loss'} ${leg.triggerPrice} must be ` +
        `${legDirection(kind, legSide) === 'RISE' ? 'above' : 'below'} the order's price ${basis} for a ${order.side} order`);
    }
  }
  return null;
}

/**
 * The attached TP/SL after `change` (checked against `order`, with room for the legs it adds), or
 * the refusal. Null: no leg left.
 */
export function changedAttach(core: Core, account: Account, symbol: SymbolState, current: AttachTpsl | null, change: TpslChange,
  order: OpeningOrder): AttachTpsl | null | CommandError {
  if (typeof change !== 'object' || change === null) return refuse('INVALID_ARGUMENT', 'tpsl must be an object');
  if (change.takeProfit === undefined && change.stopLoss === undefined) return refuse('INVALID_ARGUMENT', 'tpsl needs a takeProfit or a stopLoss (null removes one)');
  const mode = current?.mode ?? change.mode;
  if (mode === undefined) return refuse('INVALID_ARGUMENT', 'tpsl.mode (FULL or PARTIAL) is needed: the order has no take-profit / stop-loss yet');
  if (change.mode !== undefined && change.mode !== mode) return refuse('INVALID_ARGUMENT', `the order's take-profit / stop-loss are ${mode}: the mode cannot change`);
  const takeProfit = change.takeProfit === undefined ? current?.takeProfit : change.takeProfit ?? undefined;
  const stopLoss = change.stopLoss === undefined ? current?.stopLoss : change.stopLoss ?? undefined;
  if (takeProfit === undefined && stopLoss === undefined) return null;
  const next: AttachTpsl = { mode, ...(takeProfit !== undefined ? { takeProfit } : {}), ...(stopLoss !== undefined ? { stopLoss } : {}) };
  const bad = validateAttach(symbol, order, next);
  if (bad) return bad;
  // An order with TP/SL counts two conditional orders against the account's limit, as at placement.
  return current === null ? checkRoom(core, account, 2) ?? next : next;
}

const sameLegs = (a: TpslLeg | undefined, b: TpslLeg | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.triggerPrice === b.triggerPrice && a.triggerSource === b.triggerSource &&
    a.orderType === b.orderType && a.price === b.price);

/** Whether two attached TP/SL are the same. */
export const sameAttach = (a: AttachTpsl | null, b: AttachTpsl | null): boolean =>
  a === b || (a !== null && b !== null && a.mode === b.mode && sameLegs(a.takeProfit, b.takeProfit) && sameLegs(a.stopLoss, b.stopLoss));

function legFields(position: Position, kind: 'TAKE_PROFIT' | 'STOP_LOSS', leg: TpslLeg, mode: TpslMode, qty: number): NewConditional {
  const legSide: Side = position.qty > 0 ? 'SELL' : 'BUY';
  return {
    account: position.account, symbol: position.symbol, kind, side: legSide, positionSide: position.side, triggerSource: leg.triggerSource,
    triggerDirection: legDirection(kind, legSide), triggerPrice: leg.triggerPrice, orderType: leg.orderType, price: leg.price ?? 0,
    timeInForce: leg.orderType === 'MARKET' ? 'IOC' : 'GTC', qty: mode === 'FULL' ? 0 : qty,
    reduceOnly: position.account.positionMode === 'ONE_WAY', closePosition: false, tpslMode: mode, activationPrice: null, callbackRate: null,
    callbackAmount: null, clientOrderId: null, stpMode: 'EXPIRE_TAKER', expireTime: null, attachTpsl: null, parentOrderId: null,
  };
}

/**
 * Partners a TP and an SL (one-cancels-the-other). The pair keeps the older pair id, so a position's
 * TP/SL object keeps its id when one leg is replaced (XT's profitId).
 */
function pair(a: Conditional | undefined, b: Conditional | undefined): void {
  if (a === undefined || b === undefined) return;
  a.partnerId = b.id;
  b.partnerId = a.id;
  a.pairId = b.pairId = Math.min(a.pairId, b.pairId);
}

/** Whether a FULL leg already shows `leg` exactly. */
const sameLeg = (c: Conditional, leg: TpslLeg): boolean =>
  c.triggerPrice === leg.triggerPrice && c.triggerSource === leg.triggerSource && c.orderType === leg.orderType && c.price === (leg.price ?? 0);

export function setPositionTpsl(core: Core, cmd: SetPositionTpsl): CommandResult {
  const found = lookup(core, cmd.accountId, cmd.symbol);
  if ('ok' in found) return found;
  const { account } = found;
  const symbol = found.symbol!;
  const closed = tradingRefusal(core, symbol);
  if (closed) return closed;
  const sides: PositionSide[] = account.positionMode === 'ONE_WAY' ? ['BOTH'] : ['LONG', 'SHORT'];
  if (!sides.includes(cmd.positionSide)) return refuse('INVALID_ARGUMENT', `positionSide must be ${sides.join(' or ')} in ${account.positionMode} mode`);
  const position = core.findPosition(account, symbol, cmd.positionSide);
  if (position === undefined || position.qty === 0) return refuse('NO_POSITION', `there is no open ${cmd.positionSide} position on ${cmd.symbol} to protect`);
  if (cmd.mode !== 'FULL' && cmd.mode !== 'PARTIAL') return refuse('INVALID_ARGUMENT', 'mode must be FULL or PARTIAL');
  const legSide: Side = position.qty > 0 ? 'SELL' : 'BUY';
  const invalid = checkExpiry(core, cmd.expireTime) ?? checkClientId(account, cmd.clientOrderId);
  if (invalid) return invalid;
  if (cmd.clientOrderId !== undefined && account.conditionalsByClientId.has(cmd.clientOrderId)) {
    return refuse('INVALID_ARGUMENT', `clientOrderId ${cmd.clientOrderId} belongs to a waiting conditional order; use another`);
  }
  for (const [kind, leg] of [['TAKE_PROFIT', cmd.takeProfit], ['STOP_LOSS', cmd.stopLoss]] as const) {
    if (leg === undefined || leg === null) continue;
    const bad = checkLeg(symbol, leg, kind === 'TAKE_PROFIT' ? 'takeProfit' : 'stopLoss') ??
      checkNotHolding(core, symbol, leg.triggerSource, legDirection(kind, legSide), leg.triggerPrice);
    if (bad) return bad;
  }
  const trailing = cmd.trailingStop;
  if (trailing !== undefined && trailing !== null) {
    if (cmd.mode !== 'FULL') return refuse('INVALID_ARGUMENT', 'a position trailing stop is FULL: it closes the whole position');
    if (!isWholeIn(trailing.distance, 1, symbol.config.spec.maxPriceTicks)) return refuse('INVALID_ARGUMENT', 'trailingStop.distance must be a whole number of ticks ≥ 1');
    const bad = checkSource(trailing.triggerSource) ?? (trailing.activationPrice !== undefined ? checkTick(symbol, trailing.activationPrice, 'trailingStop.activationPrice') : null);
    if (bad) return bad;
    if (trailing.activationPrice === undefined && sourcePrice(core, symbol, trailing.triggerSource) === null) {
      return refuse('INVALID_ARGUMENT', `${cmd.symbol} has no ${trailing.triggerSource} price to trail from yet; give an activationPrice`);
    }
  }
  const given = [cmd.takeProfit, cmd.stopLoss, cmd.trailingStop].filter((leg) => leg !== undefined);
  if (given.length === 0) return refuse('INVALID_ARGUMENT', 'give a takeProfit, a stopLoss or a trailingStop');
  if (cmd.mode === 'PARTIAL') return setPartial(core, account, position, cmd);

  if (cmd.qty !== undefined) return refuse('INVALID_ARGUMENT', 'a FULL take-profit / stop-loss closes the whole position: send no qty');
  const creating = (['TAKE_PROFIT', 'STOP_LOSS', 'TRAILING'] as const).filter((kind) => {
    const leg = kind === 'TAKE_PROFIT' ? cmd.takeProfit : kind === 'STOP_LOSS' ? cmd.stopLoss : cmd.trailingStop;
    return leg !== undefined && leg !== null && (fullLeg(position, kind) === undefined || kind === 'TRAILING');
  }).length;
  if (cmd.clientOrderId !== undefined && creating !== 1) return refuse('INVALID_ARGUMENT', 'a clientOrderId names one leg: create one leg per request to name it');
  const room = checkRoom(core, account, creating - (cmd.trailingStop && fullLeg(position, 'TRAILING') ? 1 : 0));
  if (room) return room;
  // Nothing to do is refused (Bybit "not modified"): every leg given is already exactly so.
  const unchanged = (cmd.takeProfit === undefined || (cmd.takeProfit === null ? !fullLeg(position, 'TAKE_PROFIT') : sameLegOf(position, 'TAKE_PROFIT', cmd.takeProfit))) &&
    (cmd.stopLoss === undefined || (cmd.stopLoss === null ? !fullLeg(position, 'STOP_LOSS') : sameLegOf(position, 'STOP_LOSS', cmd.stopLoss))) &&
    (cmd.trailingStop === undefined || (cmd.trailingStop === null && !fullLeg(position, 'TRAILING')));
  if (unchanged) return refuse('NO_CHANGE', 'the position already has this take-profit / stop-loss');

  const changed: ConditionalSnapshot[] = [];
  const made: Conditional[] = [];
  for (const kind of ['TAKE_PROFIT', 'STOP_LOSS'] as const) {
    const leg = kind === 'TAKE_PROFIT' ? cmd.takeProfit : cmd.stopLoss;
    const existing = fullLeg(position, kind);
    if (leg === undefined) continue;
    if (leg === null) {
      if (existing !== undefined) changed.push(endConditional(core, existing, 'CANCELED', 'USER_CANCELED').conditional);
      continue;
    }
    if (existing !== undefined) {
      if (sameLeg(existing, leg)) continue;
      refile(core, existing, () => {
        existing.triggerSource = leg.triggerSource;
        existing.triggerPrice = leg.triggerPrice;
        existing.watchPrice = leg.triggerPrice;
      });
      existing.orderType = leg.orderType;
      existing.price = leg.price ?? 0;
      // As a new leg of that type would have it (legFields): a market leg IOC, a limit leg GTC.
      existing.timeInForce = leg.orderType === 'MARKET' ? 'IOC' : 'GTC';
      existing.updateTime = core.time;
      const snapshot = conditionalSnapshot(existing);
      core.emitter.conditional(account, 'AMENDED', snapshot);
      changed.push(snapshot);
      continue;
    }
    made.push(newConditional(core, { ...legFields(position, kind, leg, 'FULL', 0), clientOrderId: cmd.clientOrderId ?? null, expireTime: cmd.expireTime ?? null }, null));
  }
  // The position's TP and SL are partners; new legs are paired before their NEW events show it.
  for (const c of made) pair(c, fullLeg(position, c.kind === 'TAKE_PROFIT' ? 'STOP_LOSS' : 'TAKE_PROFIT') ?? made.find((x) => x !== c));
  for (const c of made) changed.push(create(core, c, position));
  if (cmd.trailingStop !== undefined) {
    const existing = fullLeg(position, 'TRAILING');
    if (existing !== undefined) changed.push(endConditional(core, existing, 'CANCELED', cmd.trailingStop === null ? 'USER_CANCELED' : 'REPLACED').conditional);
    if (cmd.trailingStop !== null) {
      const t = cmd.trailingStop;
      const c = newConditional(core, {
        ...legFields(position, 'TAKE_PROFIT', { triggerPrice: 1, triggerSource: t.triggerSource, orderType: 'MARKET' }, 'FULL', 0),
        kind: 'TRAILING', triggerDirection: trailingDirection(legSide), triggerPrice: null, activationPrice: t.activationPrice ?? null,
        callbackAmount: t.distance, clientOrderId: cmd.clientOrderId ?? null, expireTime: cmd.expireTime ?? null,
      }, t.activationPrice === undefined ? sourcePrice(core, symbol, t.triggerSource) : null);
      changed.push(create(core, c, position));
    }
  }
  // The position shows its FULL legs: its event follows the legs' own.
  core.emitter.touchPosition(position);
  core.emitter.endStep();
  return { ok: true, kind: 'conditionals', conditionals: changed };
}

const sameLegOf = (position: Position, kind: ConditionalKind, leg: TpslLeg): boolean => {
  const existing = fullLeg(position, kind);
  return existing !== undefined && sameLeg(existing, leg);
};

function setPartial(core: Core, account: Account, position: Position, cmd: SetPositionTpsl): CommandResult {
  if (cmd.takeProfit === null || cmd.stopLoss === null || cmd.trailingStop !== undefined) {
    return refuse('INVALID_ARGUMENT', 'PARTIAL creates a take-profit / stop-loss pair: no null legs and no trailing stop (cancel a leg with cancelConditional)');
  }
  const size = Math.abs(position.qty);
  if (!isWholeIn(cmd.qty, 1, size)) return refuse('INVALID_ARGUMENT', `qty must be a whole number of contracts from 1 to the position's ${size}`);
  const legs = [cmd.takeProfit, cmd.stopLoss].filter((leg) => leg !== undefined).length;
  if (cmd.clientOrderId !== undefined && legs !== 1) return refuse('INVALID_ARGUMENT', 'a clientOrderId names one leg: create one leg per request to name it');
  const room = checkRoom(core, account, legs);
  if (room) return room;
  const made: Conditional[] = [];
  for (const [kind, leg] of [['TAKE_PROFIT', cmd.takeProfit], ['STOP_LOSS', cmd.stopLoss]] as const) {
    if (leg === undefined) continue;
    made.push(newConditional(core, { ...legFields(position, kind, leg, 'PARTIAL', cmd.qty!), clientOrderId: cmd.clientOrderId ?? null, expireTime: cmd.expireTime ?? null }, null));
  }
  pair(made[0], made[1]);
  const snapshots = made.map((c) => create(core, c, position));
  core.emitter.endStep();
  return { ok: true, kind: 'conditionals', conditionals: snapshots };
}

/**
 * An opening order with attached take-profit / stop-loss filled `qty` more: FULL legs are set on the
 * position at its first fill; PARTIAL legs are created at the first fill and grow with each later one.
 */
export function armAttached(core: Core, order: Order, qty: number): void {
  const attach = order.attachTpsl!;
  const position = order.position;
  // A fill that left the position flat or on the other side opened nothing these legs could protect.
  if (position.qty === 0 || (position.qty > 0) !== (order.side === 'BUY')) return;
  const account = order.account;
  if (order.tpslArmed) {
    // Armed already: PARTIAL legs still waiting grow with the fill (FULL legs cover the whole position).
    if (attach.mode === 'FULL') return;
    for (const leg of [...account.conditionals.values()].filter((c) => c.parentOrderId === order.id)) {
      leg.qty = Math.min(leg.qty + qty, Math.abs(position.qty));
      leg.updateTime = core.time;
      core.emitter.conditional(account, 'AMENDED', conditionalSnapshot(leg));
    }
    return;
  }
  order.tpslArmed = true;
  const made: Conditional[] = [];
  for (const [kind, leg] of [['TAKE_PROFIT', attach.takeProfit], ['STOP_LOSS', attach.stopLoss]] as const) {
    if (leg === undefined) continue;
    if (attach.mode === 'FULL') {
      const existing = fullLeg(position, kind);
      if (existing !== undefined) endConditional(core, existing, 'CANCELED', 'REPLACED');
    }
    made.push(newConditional(core, { ...legFields(position, kind, leg, attach.mode, Math.min(qty, Math.abs(position.qty))), parentOrderId: order.id }, null));
  }
  pair(made[0], made[1]);
  if (attach.mode === 'FULL' && made.length === 1) pair(made[0], fullLeg(position, made[0]!.kind === 'TAKE_PROFIT' ? 'STOP_LOSS' : 'TAKE_PROFIT'));
  for (const c of made) create(core, c, position);
  if (attach.mode === 'FULL') core.emitter.touchPosition(position);
  core.emitter.endStep();
}
