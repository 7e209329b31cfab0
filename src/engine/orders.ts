/**
 * Order entry: place, amend, cancel, cancel-all, and matching (price-time priority with
 * self-trade prevention). Rules: docs/engine-rules.md, "placeOrder" to "cancelOrder, cancelAll".
 */
import { tradingRefusal } from './delivery.js';
import type { BookSide, PriceLevel } from './book/order-book.js';
import { accountOrdersOf, liveByClientIdOf, recentClientIdsOf, type Core } from './core.js';
import { armAttached, changedAttach, sameAttach, validateAttach } from './conditional/commands.js';
import { refuse } from './refuse.js';
import { bandLimit, frozenPerContract, notional, orderFrozen } from './margin.js';
import {
  allocate, applyFill, attach, cancelState, enforceAllocation, finishOrder, freeCapacity, mustClose, ordersOf, reallocate, reduces, refreshOrder, requeue, sideOrders,
} from './positions.js';
import { availableBalance } from './snapshots.js';
import { leverageExcess, tierIndex } from './risk/tiers.js';
import type { SymbolConfig } from './symbol.js';
import { isLive, remaining, type Account, type Order, type SymbolSettings, type SymbolState } from './state.js';
import type {
  AmendOrder, CancelAll, CancelOrder, CommandError, CommandResult, ConditionalKind, OrderReason, OrderSnapshot, OrderState, PlaceOrder,
} from './types.js';

/**
 * The longest client order id the engine keeps (docs/engine-rules.md): KuCoin's 40, the longest any
 * dialect's exchange allows; each front door refuses what its own exchange would (front-door-bounds.ts).
 */
export const CLIENT_ORDER_ID_MAX_LENGTH = 40;
/** What the engine accepts as a client order id: 1 to CLIENT_ORDER_ID_MAX_LENGTH of these characters ("/" for Binance). */
export const CLIENT_ORDER_ID_RE = new RegExp(`^[A-Za-z0-9_.:/-]{1,${CLIENT_ORDER_ID_MAX_LENGTH}}$`);


const TIME_IN_FORCE: ReadonlySet<string> = new Set(['GTC', 'IOC', 'FOK', 'GTX']);
const STP_MODES: ReadonlySet<string> = new Set(['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH']);

const isWholeIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

export const referencePrice = (symbol: SymbolState): number | null => symbol.markPrice ?? symbol.lastPrice;

/** Whether a price on `side` would take from the best opposite level. */
function crosses(side: PlaceOrder['side'], price: number, opposite: PriceLevel | undefined): boolean {
  if (opposite === undefined) return false;
  return side === 'BUY' ? price >= opposite.price : price <= opposite.price;
}

/** The worst price an order can fill at right now: the margin it needs is frozen at this price. */
function worstFillPrice(symbol: SymbolState, side: PlaceOrder['side'], limit: number): number {
  if (side === 'BUY') return limit;
  const bestBid = symbol.book.bids.best();
  return bestBid !== undefined && bestBid.price > limit ? bestBid.price : limit;
}

/** The checks of an order's own fields (conditional orders run them at creation for the order they will place). */
export function validatePlace(account: Account, symbol: SymbolState, cmd: PlaceOrder): CommandError | null {
  const spec = symbol.config.spec;
  if (cmd.side !== 'BUY' && cmd.side !== 'SELL') return refuse('INVALID_ARGUMENT', 'side must be BUY or SELL');
  if (!isWholeIn(cmd.qty, spec.minQty, spec.maxQty)) {
    return refuse('INVALID_ARGUMENT', `qty must be a whole number of contracts from ${spec.minQty} to ${spec.maxQty}`);
  }
  if (cmd.orderType !== 'LIMIT' && cmd.orderType !== 'MARKET') return refuse('INVALID_ARGUMENT', 'orderType must be LIMIT or MARKET');
  if (cmd.orderType === 'LIMIT' && !isWholeIn(cmd.price, 1, spec.maxPriceTicks)) {
    return refuse('INVALID_ARGUMENT', `price must be a whole number of ticks from 1 to ${spec.maxPriceTicks}`);
  }
  if (!TIME_IN_FORCE.has(cmd.timeInForce)) return refuse('INVALID_ARGUMENT', 'timeInForce must be GTC, IOC, FOK or GTX');
  if (cmd.orderType === 'MARKET' && cmd.timeInForce !== 'IOC' && cmd.timeInForce !== 'FOK') {
    return refuse('INVALID_ARGUMENT', 'a MARKET order is IOC or FOK');
  }
  if (account.positionMode === 'ONE_WAY' && cmd.positionSide !== 'BOTH') {
    return refuse('INVALID_ARGUMENT', 'positionSide must be BOTH in one-way mode');
  }
  if (account.positionMode === 'HEDGE' && cmd.positionSide !== 'LONG' && cmd.positionSide !== 'SHORT') {
    return refuse('INVALID_ARGUMENT', 'positionSide must be LONG or SHORT in hedge mode');
  }
  if (account.positionMode === 'HEDGE' && cmd.reduceOnly) {
    return refuse('INVALID_ARGUMENT', 'reduceOnly is implied by the position side in hedge mode; do not send it');
  }
  if (cmd.stpMode !== undefined && !STP_MODES.has(cmd.stpMode)) {
    return refuse('INVALID_ARGUMENT', 'stpMode must be EXPIRE_TAKER, EXPIRE_MAKER or EXPIRE_BOTH');
  }
  if (cmd.clientOrderId !== undefined && !CLIENT_ORDER_ID_RE.test(cmd.clientOrderId)) {
    return refuse('INVALID_ARGUMENT', 'clientOrderId must be 1-36 characters of A-Z a-z 0-9 _ . : -');
  }
  if (cmd.attachTpsl !== undefined) {
    const invalid = validateAttach(symbol, cmd, cmd.attachTpsl);
    if (invalid) return invalid;
  }
  return null;
}

/** Whether opening `openQty` at `price` on a position that has no record yet would exceed the leverage its tier allows. */
function newPositionExcess(config: SymbolConfig, settings: SymbolSettings, openQty: number, price: number): boolean {
  const level = Math.max(settings.riskLimitLevel - 1, tierIndex(config.tiers, notional(config, openQty, price)));
  return settings.leverage > config.tiers[level]!.maxLeverage;
}

/** The snapshot of an order refused by a business rule: it never entered the book or a position. */
function refusedSnapshot(core: Core, account: Account, cmd: PlaceOrder, by: PlacedBy | null, id: number, state: OrderState, reason: OrderReason): OrderSnapshot {
  const settings = core.settings(account, cmd.symbol);
  return {
    orderId: id, clientOrderId: cmd.clientOrderId ?? null, accountId: account.id, symbol: cmd.symbol, side: cmd.side,
    positionSide: cmd.positionSide, orderType: cmd.orderType, timeInForce: cmd.timeInForce,
    price: cmd.orderType === 'LIMIT' ? cmd.price : 0, qty: cmd.qty, executedQty: 0, cumQuote: 0n, cumCost: 0n, state, reason,
    reduceOnly: cmd.reduceOnly, stpMode: cmd.stpMode ?? 'EXPIRE_TAKER', closeQty: 0, marginFrozen: 0n,
    leverage: settings.leverage, marginMode: settings.marginMode, fees: 0n, realizedPnl: 0n, source: 'USER', origin: by?.kind ?? null,
    conditionalId: by?.conditionalId ?? null, attachTpsl: cmd.attachTpsl ?? null, createTime: core.time, updateTime: core.time,
  };
}

/** Ends a placement refused by a business rule: the order's one event (REJECTED or EXPIRED) and the result. */
function refusePlaced(core: Core, account: Account, cmd: PlaceOrder, by: PlacedBy | null, id: number, state: OrderState, reason: OrderReason): CommandResult {
  const snapshot = refusedSnapshot(core, account, cmd, by, id, state, reason);
  core.emitter.events.push({
    type: 'order', accountId: account.id, seq: ++account.seq, cmdSeq: core.cmdSeq, time: core.time, reason: 'ORDER',
    execType: state === 'REJECTED' ? 'REJECTED' : 'EXPIRED', order: snapshot,
  });
  const result: CommandResult = { ok: true, kind: 'order', order: snapshot, duplicate: false };
  rememberClientId(core, account, cmd.clientOrderId, result);
  return result;
}

function rememberClientId(core: Core, account: Account, clientOrderId: string | undefined, result: CommandResult): void {
  if (clientOrderId === undefined || core.clientOrderIdWindow === 0) return;
  recentClientIdsOf(account).set(clientOrderId, result);
  if (account.recentClientIds.size > core.clientOrderIdWindow) {
    account.recentClientIds.delete(account.recentClientIds.keys().next().value!);
  }
}

/** Quantity the book could fill for a FOK order right now, honouring self-trade prevention. */
function fillableQty(symbol: SymbolState, account: Account, cmd: PlaceOrder, limit: number, wanted: number): number {
  const opposite = cmd.side === 'BUY' ? symbol.book.asks : symbol.book.bids;
  const stp = cmd.stpMode ?? 'EXPIRE_TAKER';
  let total = 0;
  for (const level of opposite.levelsBestFirst()) {
    if (!crosses(cmd.side, limit, level)) break;
    for (let maker = level.head; maker !== null; maker = maker.next) {
      if (maker.account === account) {
        if (stp === 'EXPIRE_MAKER') continue;
        return total;
      }
      total += remaining(maker);
      if (total >= wanted) return total;
    }
  }
  return total;
}

export function placeOrder(core: Core, cmd: PlaceOrder): CommandResult {
  return placeOrderAs(core, cmd, null);
}

/** The conditional order placing an order at its trigger: the order takes its id and shows its kind. */
export interface PlacedBy { kind: ConditionalKind; conditionalId: number }

/**
 * Places an order for the account or, at a trigger, for one of its conditional orders (`by`): then
 * the client order id was reserved by the conditional order, so an earlier result with it is not a retry.
 */
export function placeOrderAs(core: Core, cmd: PlaceOrder, by: PlacedBy | null): CommandResult {
  const account = core.accounts.get(cmd.accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${cmd.accountId} does not exist`);
  if (cmd.clientOrderId !== undefined && by === null) {
    const earlier = account.liveByClientId.get(cmd.clientOrderId)?.placeResult ?? account.recentClientIds.get(cmd.clientOrderId);
    if (earlier !== undefined && earlier.ok && earlier.kind === 'order') return { ...earlier, duplicate: true };
    if (account.conditionalsByClientId.has(cmd.clientOrderId)) {
      return refuse('INVALID_ARGUMENT', `clientOrderId ${cmd.clientOrderId} belongs to a waiting conditional order; use another`);
    }
  }
  const symbol = core.symbols.get(cmd.symbol);
  if (symbol === undefined) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const closed = tradingRefusal(core, symbol);
  if (closed) return closed;
  const invalid = validatePlace(account, symbol, cmd);
  if (invalid) return invalid;
  if (account.orders.size >= core.maxOpenOrdersPerAccount) {
    return refuse('TOO_MANY_OPEN_ORDERS', `an account may have at most ${core.maxOpenOrdersPerAccount} open orders; cancel some first`);
  }
  // The legs it may arm are counted now (armed at its fills, they are not refused then).
  if (cmd.attachTpsl !== undefined && account.conditionals.size + 2 > core.maxConditionalOrdersPerAccount) {
    return refuse('TOO_MANY_CONDITIONAL_ORDERS', `an account may have at most ${core.maxConditionalOrdersPerAccount} waiting conditional orders; cancel some first`);
  }

  const { config } = symbol;
  const id = by?.conditionalId ?? core.nextOrderId++;
  const isBuy = cmd.side === 'BUY';
  const opposite = isBuy ? symbol.book.asks : symbol.book.bids;
  const reference = referencePrice(symbol);

  // 1–2: price reference and band.
  let limit: number;
  if (cmd.orderType === 'MARKET') {
    if (reference === null) return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'NO_REFERENCE_PRICE');
    limit = bandLimit(config, reference, isBuy);
  } else {
    limit = cmd.price;
    if (reference !== null && (isBuy ? limit > bandLimit(config, reference, true) : limit < bandLimit(config, reference, false))) {
      return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'PRICE_OUTSIDE_BAND');
    }
  }
  // 3: post-only must not take.
  if (cmd.timeInForce === 'GTX' && crosses(cmd.side, limit, opposite.best())) return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'POST_ONLY_WOULD_TAKE');
  // 4: closing orders must fit the free closing capacity.
  const positionSide = cmd.positionSide;
  const existing = core.findPosition(account, symbol, positionSide);
  const capacity = freeCapacity(existing, cmd.side);
  const closingOnly = cmd.reduceOnly || (positionSide === 'LONG' && !isBuy) || (positionSide === 'SHORT' && isBuy);
  if (closingOnly && cmd.qty > capacity) return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'REDUCE_ONLY_WOULD_INCREASE');
  const closeQty = Math.min(cmd.qty, capacity);
  const openQty = cmd.qty - closeQty;
  // 5: position limit.
  if (openQty > 0 && Math.abs(existing?.qty ?? 0) + (existing?.openOrderQty ?? 0) + openQty > config.spec.maxPositionQty) {
    return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'POSITION_LIMIT');
  }
  // The worst price the order can fill at: its margin is frozen at it (5b and 7).
  const freezePrice = worstFillPrice(symbol, cmd.side, limit);
  const settings = core.settings(account, config.symbol);
  // 5b: the position and its open orders may not reach a risk tier that allows less than the leverage.
  if (openQty > 0) {
    const excess = existing !== undefined ? leverageExcess(existing, settings.leverage, { side: cmd.side, openQty, price: freezePrice }) !== null
      : newPositionExcess(config, settings, openQty, freezePrice);
    if (excess) return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'RISK_LIMIT');
  }
  // 6: fill-or-kill must be fillable in full.
  if (cmd.timeInForce === 'FOK' && fillableQty(symbol, account, cmd, limit, cmd.qty) < cmd.qty) {
    return refusePlaced(core, account, cmd, by, id, 'EXPIRED', 'FOK_NOT_FILLABLE');
  }
  // 7: margin for the opening part at that price (the per-contract figure is the new order's first cache).
  const perContract = openQty > 0 ? frozenPerContract(config, freezePrice, settings.leverage) : 0n;
  const needed = openQty === 0 ? 0n : BigInt(openQty) * perContract;
  const wallet = account.wallets.get(config.settleAsset);
  if (needed > 0n && (wallet === undefined || needed > availableBalance(wallet))) return refusePlaced(core, account, cmd, by, id, 'REJECTED', 'INSUFFICIENT_MARGIN');

  const order: Order = {
    id, clientOrderId: cmd.clientOrderId ?? null, account, symbol, position: core.position(account, symbol, positionSide),
    side: cmd.side, orderType: cmd.orderType, timeInForce: cmd.timeInForce, reduceOnly: cmd.reduceOnly,
    stpMode: cmd.stpMode ?? 'EXPIRE_TAKER', createTime: core.time, price: cmd.orderType === 'LIMIT' ? cmd.price : 0,
    freezePrice, qty: cmd.qty, filled: 0, cumQuote: 0n, cumCost: 0n, state: 'NEW', reason: 'NONE', priority: core.nextPriority++,
    closeQty: 0, openQty: 0, frozen: 0n, openCost: 0n, perContract,
    perContractPrice: openQty > 0 ? freezePrice : 0, perContractLeverage: openQty > 0 ? settings.leverage : 0, fees: 0n, realizedPnl: 0n,
    updateTime: core.time, placeResult: null, source: 'USER', origin: by?.kind ?? null, conditionalId: by?.conditionalId ?? null,
    attachTpsl: cmd.attachTpsl ?? null, tpslArmed: false, level: null, prev: null, next: null,
  };
  accountOrdersOf(account).set(order.id, order);
  if (order.clientOrderId !== null) liveByClientIdOf(account).set(order.clientOrderId, order);
  order.position.initialised = true;
  attach(core, order);
  core.emitter.order(order, 'NEW');
  core.emitter.endStep();

  takeThenRestOrExpire(core, order, limit);

  const result: CommandResult = { ok: true, kind: 'order', order: core.emitter.snapshotOf(order), duplicate: false };
  order.placeResult = result;
  rememberClientId(core, account, cmd.clientOrderId, result);
  return result;
}

/** Lets an accepted order take liquidity up to `limit`, then rests its remainder or expires it. */
export function takeThenRestOrExpire(core: Core, order: Order, limit: number): void {
  const stoppedBySelfTrade = match(core, order, limit);
  if (!isLive(order)) return;
  let reason: OrderReason | null = null;
  if (stoppedBySelfTrade) reason = 'SELF_TRADE_PREVENTION';
  else if (order.orderType === 'MARKET') reason = 'MARKET_REMAINDER';
  else if (order.timeInForce === 'IOC') reason = 'IOC_REMAINDER';
  else if (order.timeInForce === 'FOK') reason = 'FOK_NOT_FILLABLE';
  if (reason !== null) {
    const needsReallocation = finishOrder(core, order, 'EXPIRED', reason);
    core.emitter.order(order, 'EXPIRED');
    if (needsReallocation) reallocate(core, order.position);
    core.emitter.endStep();
    return;
  }
  // Resting: only its own freeze price changes (fills, if any, were reallocated as they happened).
  order.freezePrice = order.price;
  order.symbol.book.sideFor(order).add(order);
  refreshOrder(core, order);
  core.emitter.endStep();
}

/**
 * Takes liquidity for `taker` from the opposite side while it crosses `limit`. Each fill is two
 * steps (maker, then taker). Returns true if self-trade prevention stopped the taker.
 */
function match(core: Core, taker: Order, limit: number): boolean {
  const opposite = taker.symbol.book.oppositeOf(taker);
  core.activeTaker = taker;
  try {
    while (remaining(taker) > 0) {
      const level = opposite.best();
      if (!crosses(taker.side, limit, level)) break;
      const maker = level!.head!;
      if (maker.account === taker.account) {
        if (taker.stpMode === 'EXPIRE_TAKER') return true;
        expireForSelfTrade(core, maker);
        if (taker.stpMode === 'EXPIRE_BOTH') return true;
        continue;
      }
      const qty = Math.min(remaining(taker), remaining(maker));
      const price = maker.price;
      const tradeId = core.nextTradeId++;
      opposite.reduce(maker, qty);
      fillStep(core, maker, qty, price, true, tradeId);
      fillStep(core, taker, qty, price, false, tradeId);
      taker.symbol.lastPrice = price;
      core.publicEvents.push({ type: 'publicTrade', symbol: taker.symbol.config.symbol, tradeId, price, qty, takerSide: taker.side, time: core.time });
    }
    return false;
  } finally {
    core.activeTaker = null;
  }
}

function expireForSelfTrade(core: Core, maker: Order): void {
  const needsReallocation = finishOrder(core, maker, 'EXPIRED', 'SELF_TRADE_PREVENTION');
  core.emitter.order(maker, 'EXPIRED');
  if (needsReallocation) reallocate(core, maker.position);
  core.emitter.endStep();
}

/**
 * One side of a fill as one step. The TRADE event shows the order as the fill left it; if the new
 * allocation then knocks the order (or others) out, those events follow the trade.
 */
export function fillStep(core: Core, order: Order, qty: number, price: number, isMaker: boolean, tradeId: number): void {
  // A user order's fill is an ORDER change even when a liquidation took its liquidity.
  const reason = core.emitter.currentReason;
  if (order.source === 'USER') core.emitter.setReason('ORDER');
  const frozenBefore = order.frozen;
  const { fee, feeAsset, realizedPnl } = applyFill(core, order, qty, price, isMaker);
  allocate(core, order.position);
  const unfrozen = frozenBefore - order.frozen;
  const snapshot = core.emitter.order(order, 'TRADE');
  core.emitter.trade(order.account, {
    tradeId, orderId: order.id, clientOrderId: order.clientOrderId, symbol: order.symbol.config.symbol, side: order.side,
    positionSide: order.position.side, orderType: order.orderType, price, qty, isMaker, fee,
    feeAsset, realizedPnl, marginUnfrozen: unfrozen > 0n ? unfrozen : 0n, source: order.source,
    order: snapshot,
  });
  enforceAllocation(core, order.position);
  core.emitter.endStep();
  // An opening order with take-profit / stop-loss arms them on its position as it fills.
  if (order.attachTpsl !== null) armAttached(core, order, qty);
  core.emitter.setReason(reason);
}

function findLiveOrder(account: Account, ref: { orderId?: number; clientOrderId?: string }, symbol: string): Order | undefined {
  const order = ref.orderId !== undefined ? account.orders.get(ref.orderId)
    : ref.clientOrderId !== undefined ? account.liveByClientId.get(ref.clientOrderId) : undefined;
  return order !== undefined && order.symbol.config.symbol === symbol ? order : undefined;
}

function orderLookup(core: Core, cmd: CancelOrder | AmendOrder): { account: Account; order: Order } | CommandError {
  const account = core.accounts.get(cmd.accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${cmd.accountId} does not exist`);
  if (!core.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const order = findLiveOrder(account, cmd, cmd.symbol);
  if (order === undefined) {
    const which = cmd.orderId !== undefined ? `order ${cmd.orderId}` : `client order id ${cmd.clientOrderId}`;
    return refuse('UNKNOWN_ORDER', `${which} is not an open order of this account on ${cmd.symbol}`);
  }
  return { account, order };
}

function cancelOne(core: Core, order: Order): OrderSnapshot {
  const needsReallocation = finishOrder(core, order, cancelState(order), 'USER_CANCELED');
  // A finished order does not change any more: the event's snapshot is the result's.
  const snapshot = core.emitter.order(order, 'CANCELED');
  if (needsReallocation) reallocate(core, order.position);
  core.emitter.endStep();
  return snapshot;
}

export function cancelOrder(core: Core, cmd: CancelOrder): CommandResult {
  const found = orderLookup(core, cmd);
  if ('ok' in found) return found;
  return { ok: true, kind: 'order', order: cancelOne(core, found.order), duplicate: false };
}

export function cancelAll(core: Core, cmd: CancelAll): CommandResult {
  const account = core.accounts.get(cmd.accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${cmd.accountId} does not exist`);
  if (!core.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', `symbol ${cmd.symbol} is not listed`);
  const orders = core.positionsOf(account, cmd.symbol).flatMap(ordersOf).sort((a, b) => a.priority - b.priority);
  const canceled: OrderSnapshot[] = [];
  for (const order of orders) if (isLive(order)) canceled.push(cancelOne(core, order));
  return { ok: true, kind: 'orders', orders: canceled };
}

/**
 * What amending `order` to `rest` remaining at `freezePrice` (moved to the lowest priority if
 * `last`) would do, without changing anything: the change of the position's frozen margin, and
 * the closing part the order would get. Only the order's own side can be affected.
 */
function plannedAllocation(core: Core, order: Order, rest: number, freezePrice: number, last: boolean): { frozenDelta: bigint; close: number } {
  const position = order.position;
  const { config } = position.symbol;
  const leverage = core.settings(order.account, config.symbol).leverage;
  let capacity = reduces(position, order.side) ? Math.abs(position.qty) : 0;
  let frozenDelta = 0n;
  let orderClose = -1;
  const planOrder = (): void => {
    orderClose = Math.min(rest, capacity);
    capacity -= orderClose;
    frozenDelta += orderFrozen(config, rest - orderClose, freezePrice, leverage) - order.frozen;
  };
  for (const other of sideOrders(position, order.side)) {
    if (other === order) {
      if (!last) planOrder();
      continue;
    }
    const close = Math.min(remaining(other), capacity);
    capacity -= close;
    if (close !== other.closeQty) frozenDelta += orderFrozen(config, remaining(other) - close, other.freezePrice, leverage) - other.frozen;
    else if (capacity === 0 && close === 0 && orderClose >= 0) break;
  }
  if (orderClose < 0) planOrder();
  return { frozenDelta, close: orderClose };
}

export function amendOrder(core: Core, cmd: AmendOrder): CommandResult {
  const found = orderLookup(core, cmd);
  if ('ok' in found) return found;
  const { order } = found;
  const { symbol } = order;
  const closed = tradingRefusal(core, symbol);
  if (closed) return closed;
  const spec = symbol.config.spec;
  const price = cmd.price ?? order.price;
  const qty = cmd.qty ?? order.qty;
  if (!isWholeIn(price, 1, spec.maxPriceTicks)) return refuse('INVALID_ARGUMENT', `price must be a whole number of ticks from 1 to ${spec.maxPriceTicks}`);
  if (!isWholeIn(qty, spec.minQty, spec.maxQty)) return refuse('INVALID_ARGUMENT', `qty must be a whole number of contracts from ${spec.minQty} to ${spec.maxQty}`);
  if (qty <= order.filled) return refuse('INVALID_ARGUMENT', `qty must be more than the ${order.filled} contracts already filled`);
  // The TP/SL it will arm: changed, or checked again against a new price, until a fill has armed them on the position.
  let attach = order.attachTpsl;
  const opening = { side: order.side, positionSide: order.position.side, reduceOnly: order.reduceOnly, orderType: order.orderType, price };
  if (cmd.tpsl !== undefined) {
    if (order.tpslArmed) {
      return refuse('ORDER_NOT_AMENDABLE', 'its take-profit / stop-loss are armed on the position already: amend those conditional orders instead');
    }
    const changed = changedAttach(core, found.account, symbol, order.attachTpsl, cmd.tpsl, opening);
    if (changed !== null && 'ok' in changed) return changed;
    attach = changed;
  } else if (attach !== null && !order.tpslArmed && price !== order.price) {
    const invalid = validateAttach(symbol, opening, attach);
    if (invalid) return invalid;
  }
  if (price === order.price && qty === order.qty) {
    if (sameAttach(attach, order.attachTpsl)) return refuse('NO_CHANGE', 'the amendment changes neither price, quantity nor take-profit / stop-loss');
    // Only the TP/SL: the order keeps its place and margin.
    order.attachTpsl = attach;
    order.updateTime = core.time;
    core.emitter.order(order, 'AMENDMENT');
    core.emitter.endStep();
    return { ok: true, kind: 'order', order: core.emitter.snapshotOf(order), duplicate: false };
  }

  const isBuy = order.side === 'BUY';
  const reference = referencePrice(symbol);
  if (reference !== null && (isBuy ? price > bandLimit(symbol.config, reference, true) : price < bandLimit(symbol.config, reference, false))) {
    return refuse('ORDER_NOT_AMENDABLE', 'the new price is outside the price band around the mark price');
  }
  const opposite: BookSide = symbol.book.oppositeOf(order);
  const takes = crosses(order.side, price, opposite.best());
  if (takes && order.timeInForce === 'GTX') return refuse('ORDER_NOT_AMENDABLE', 'a post-only order may not be amended to a price that takes');
  const losesPriority = price !== order.price || qty > order.qty;
  const freezePrice = takes ? worstFillPrice(symbol, order.side, price) : price;
  const rest = qty - order.filled;
  const plan = plannedAllocation(core, order, rest, freezePrice, losesPriority);
  if (mustClose(order) && plan.close < rest) return refuse('ORDER_NOT_AMENDABLE', 'a reduce-only or closing order may not exceed the position it closes');
  const open = rest - plan.close;
  const leverageProblem = open > 0 ? leverageExcess(order.position, order.position.settings.leverage, { side: order.side, openQty: open, price: freezePrice, replaces: order }) : null;
  if (leverageProblem !== null) return refuse('ORDER_NOT_AMENDABLE', leverageProblem);
  const wallet = core.wallet(order.account, symbol.config.settleAsset);
  if (plan.frozenDelta > availableBalance(wallet)) {
    return refuse('ORDER_NOT_AMENDABLE', 'not enough available balance for the margin the amended order needs');
  }

  const side = symbol.book.sideFor(order);
  if (losesPriority) side.remove(order);
  else side.reduce(order, remaining(order) - rest);
  order.price = price;
  order.qty = qty;
  order.attachTpsl = attach;
  order.freezePrice = freezePrice;
  order.updateTime = core.time;
  if (losesPriority) requeue(core, order);
  else refreshOrder(core, order);
  if (!takes && losesPriority) side.add(order);
  reallocate(core, order.position);
  core.emitter.order(order, 'AMENDMENT');
  core.emitter.endStep();
  if (takes) takeThenRestOrExpire(core, order, price);
  return { ok: true, kind: 'order', order: core.emitter.snapshotOf(order), duplicate: false };
}

