/**
 * Positions and the margin orders hold against them: closing-capacity allocation, reallocation
 * (reduce-only knock-outs, cancels for insufficient margin), and the effect of one fill.
 * Rules: docs/engine-rules.md, "Order direction and closing capacity" and "A fill".
 */
import type { Core } from './core.js';
import { FEE_BURN_ASSET, feeBurnCharge } from './fee-burn.js';
import { INVERSE_COST_SCALE, closePnlOfCost, costOf, fee as feeFor, frozenPerContract, initialMargin, inversePnlCost, proRata } from './margin.js';
import { availableBalance } from './snapshots.js';
import { remaining, sideSign, type Order, type Position } from './state.js';
import type { OrderReason, OrderState } from './types.js';

/** Whether an order must close: reduce-only, or a hedge-mode closing side. It may never open. */
export function mustClose(order: Order): boolean {
  if (order.reduceOnly) return true;
  const side = order.position.side;
  return (side === 'LONG' && order.side === 'SELL') || (side === 'SHORT' && order.side === 'BUY');
}

/** Whether an order on this side reduces the position as it stands. */
export function reduces(position: Position, side: Order['side']): boolean {
  return position.qty !== 0 && Math.sign(position.qty) === -sideSign(side);
}

/** Closing capacity not yet allotted: what a new lowest-priority order on `side` may close. */
export function freeCapacity(position: Position | undefined, side: Order['side']): number {
  if (position === undefined || !reduces(position, side)) return 0;
  return Math.abs(position.qty) - position.closeOrderQty;
}

/** Margin `open` contracts of the order freeze at its freeze price and the symbol's leverage. */
export function frozenFor(order: Order, open: number, leverage: number): bigint {
  if (order.perContractPrice !== order.freezePrice || order.perContractLeverage !== leverage) {
    order.perContract = frozenPerContract(order.symbol.config, order.freezePrice, leverage);
    order.perContractPrice = order.freezePrice;
    order.perContractLeverage = leverage;
  }
  return open === 0 ? 0n : open === 1 ? order.perContract : BigInt(open) * order.perContract;
}

export const sideOrders = (position: Position, side: Order['side']): Order[] =>
  side === 'BUY' ? position.buyOrders : position.sellOrders;

/** All live orders on the position in priority order (not for hot paths: it sorts). */
export function ordersOf(position: Position): Order[] {
  return [...position.buyOrders, ...position.sellOrders].sort((a, b) => a.priority - b.priority);
}

/** Closing capacity of the position for orders on `side`: |qty| if they reduce it, else 0. */
const capacityFor = (position: Position, side: Order['side']): number => (reduces(position, side) ? Math.abs(position.qty) : 0);

const leverageOf = (_core: Core, position: Position): number => position.settings.leverage;

function setTotals(core: Core, position: Position, openQty: number, closeQty: number, frozen: bigint): void {
  if (position.openOrderQty === openQty && position.closeOrderQty === closeQty && position.frozen === frozen) return;
  if (position.frozen !== frozen) {
    const wallet = core.wallet(position.account, position.symbol.config.settleAsset);
    wallet.frozen += frozen - position.frozen;
    core.emitter.touchWallet(wallet);
  }
  position.openOrderQty = openQty;
  position.closeOrderQty = closeQty;
  position.frozen = frozen;
  core.emitter.touchPosition(position);
}

/** Gives one order `close` contracts of closing capacity and moves the totals by the difference. */
function setAllocation(core: Core, order: Order, close: number, leverage: number): void {
  const position = order.position;
  const open = remaining(order) - close;
  const frozen = frozenFor(order, open, leverage);
  const openDelta = open - order.openQty;
  const closeDelta = close - order.closeQty;
  const frozenDelta = frozen - order.frozen;
  const openCost = open === 0 ? 0n : costOf(order.symbol.config, open, order.freezePrice);
  if (openCost !== order.openCost) {
    if (order.side === 'BUY') position.openBuyCost += openCost - order.openCost;
    else position.openSellCost += openCost - order.openCost;
    order.openCost = openCost;
  }
  order.closeQty = close;
  order.openQty = open;
  order.frozen = frozen;
  if (openDelta !== 0 || closeDelta !== 0 || frozenDelta !== 0n) {
    setTotals(core, position, position.openOrderQty + openDelta, position.closeOrderQty + closeDelta, position.frozen + frozenDelta);
  }
}

/** Brings one order's own numbers up to date after its quantity or freeze price changed, keeping its place. */
export function refreshOrder(core: Core, order: Order): void {
  setAllocation(core, order, Math.min(order.closeQty, remaining(order)), leverageOf(core, order.position));
}

/**
 * Greedy allocation of one side's closing capacity in priority order. The orders holding capacity
 * always form a prefix of the list, and every order beyond it is kept up to date individually, so
 * the walk stops at the first order past the capacity that holds none and is unchanged: most
 * commands touch one or two orders however many rest.
 */
function allocateSide(core: Core, orders: readonly Order[], capacity: number, leverage: number): void {
  for (const order of orders) {
    const rest = remaining(order);
    const close = rest < capacity ? rest : capacity;
    capacity -= close;
    const unchanged = close === order.closeQty && rest - close === order.openQty &&
      order.perContractLeverage === leverage && order.perContractPrice === order.freezePrice;
    if (!unchanged) setAllocation(core, order, close, leverage);
    else if (capacity === 0 && close === 0) break;
  }
}

/** Recomputes closeQty and frozen margin of the position's orders (docs/engine-rules.md, "Allocation"). */
export function allocate(core: Core, position: Position): void {
  const leverage = leverageOf(core, position);
  allocateSide(core, position.buyOrders, capacityFor(position, 'BUY'), leverage);
  allocateSide(core, position.sellOrders, capacityFor(position, 'SELL'), leverage);
}

/** Adds a new order at the lowest priority: only its own allocation is new. */
export function attach(core: Core, order: Order): void {
  const position = order.position;
  sideOrders(position, order.side).push(order);
  if (mustClose(order)) position.closingOrders += 1;
  setAllocation(core, order, Math.min(remaining(order), freeCapacity(position, order.side)), leverageOf(core, position));
}

/** Moves an order to the lowest priority (an amendment that loses time priority). */
export function requeue(core: Core, order: Order): void {
  const orders = sideOrders(order.position, order.side);
  orders.splice(orders.indexOf(order), 1);
  orders.push(order);
  order.priority = core.nextPriority++;
  // It gives up its capacity; the next allocation hands back whatever is left at the end of the queue.
  setAllocation(core, order, 0, leverageOf(core, order.position));
}

/**
 * Takes a finished order out of the book, its position and its account. Returns whether the rest
 * of the position's orders need reallocating (only if it held closing capacity others may now get).
 */
function retire(core: Core, order: Order): boolean {
  const { book } = order.symbol;
  if (order.level !== null) book.sideFor(order).remove(order);
  const position = order.position;
  const orders = sideOrders(position, order.side);
  const index = orders.indexOf(order);
  if (index >= 0) orders.splice(index, 1);
  if (mustClose(order)) position.closingOrders -= 1;
  order.account.orders.delete(order.id);
  if (order.clientOrderId !== null && order.account.liveByClientId.get(order.clientOrderId) === order) {
    order.account.liveByClientId.delete(order.clientOrderId);
  }
  const heldCapacity = order.closeQty > 0;
  setTotals(core, position, position.openOrderQty - order.openQty, position.closeOrderQty - order.closeQty, position.frozen - order.frozen);
  if (order.side === 'BUY') position.openBuyCost -= order.openCost;
  else position.openSellCost -= order.openCost;
  order.openCost = 0n;
  order.closeQty = 0;
  order.openQty = 0;
  order.frozen = 0n;
  return heldCapacity;
}

/** Ends a live order without a fill (cancel, expiry); the caller emits its event and reallocates. */
export function finishOrder(core: Core, order: Order, state: OrderState, reason: OrderReason): boolean {
  const needsReallocation = retire(core, order);
  order.state = state;
  order.reason = reason;
  order.updateTime = core.time;
  return needsReallocation;
}

export const cancelState = (order: Order): OrderState => (order.filled > 0 ? 'PARTIALLY_CANCELED' : 'CANCELED');

/** Full reallocation after the position or its orders changed: allocation, then its consequences. */
export function reallocate(core: Core, position: Position): void {
  allocate(core, position);
  enforceAllocation(core, position);
}

/**
 * The consequences of a fresh allocation: expire closing orders that lost their capacity, then
 * cancel the newest opening orders while the account's available balance is negative. Their events
 * are deferred to follow the current step's trade.
 */
export function enforceAllocation(core: Core, position: Position): void {
  while (position.closingOrders > 0) {
    const starved = ordersOf(position).find((o) => mustClose(o) && o.closeQty < remaining(o));
    if (starved === undefined) break;
    finishOrder(core, starved, 'EXPIRED', 'REDUCE_ONLY_WOULD_INCREASE');
    core.emitter.deferOrder(starved, 'EXPIRED');
    allocate(core, position);
  }
  const wallet = position.account.wallets.get(position.symbol.config.settleAsset);
  while (wallet !== undefined && availableBalance(wallet) < 0n) {
    const victim = newestOpeningOrder(core, position);
    if (victim === undefined) break;
    finishOrder(core, victim, cancelState(victim), 'INSUFFICIENT_MARGIN');
    core.emitter.deferOrder(victim, 'CANCELED');
    allocate(core, victim.position);
  }
}

function newestOpeningOrder(core: Core, position: Position): Order | undefined {
  let newest: Order | undefined;
  for (const sibling of core.positionsOf(position.account, position.symbol.config.symbol)) {
    for (const order of ordersOf(sibling)) {
      if (order === core.activeTaker || order.openQty <= 0) continue;
      if (newest === undefined || order.priority > newest.priority) newest = order;
    }
  }
  return newest;
}

export interface FillOutcome {
  /** The fee charged, in `feeAsset` (the settle asset, or BNB under the fee burn). */
  fee: bigint;
  feeAsset: string;
  realizedPnl: bigint;
}

/**
 * One side of a fill: `qty` at `price` for `order`. Closes what reduces the position, opens the
 * rest, charges the fee, updates the order. Leaves allocation to the caller (reallocate).
 */
export function applyFill(core: Core, order: Order, qty: number, price: number, isMaker: boolean): FillOutcome {
  const position = order.position;
  const { config } = position.symbol;
  const settings = position.settings;
  const isolated = settings.marginMode === 'ISOLATED';
  const wallet = core.wallet(order.account, config.settleAsset);
  const direction = sideSign(order.side);

  const closing = reduces(position, order.side) ? Math.min(qty, Math.abs(position.qty)) : 0;
  const opening = qty - closing;
  const longBefore = position.qty > 0 ? position.qty : 0;
  // The fill's cost, split between its closing and opening parts so that they add up to the same
  // cost the other side of the trade books (inverse costs are rounded once per fill: margin.ts).
  const tradeCost = costOf(config, qty, price);
  const closingCost = closing === qty ? tradeCost : costOf(config, closing, price);
  let realizedPnl = 0n;
  if (closing > 0) {
    const size = Math.abs(position.qty);
    const costReleased = proRata(position.entryCost, closing, size);
    realizedPnl = closePnlOfCost(config, position.qty > 0, closingCost, costReleased);
    // Inverse: what rounding the PnL down to amount units left over stays with the exchange.
    if (config.inverse) core.addDust(config.settleAsset, inversePnlCost(position.qty > 0, closingCost, costReleased) - realizedPnl * INVERSE_COST_SCALE);
    position.entryCost -= costReleased;
    if (isolated) {
      const released = proRata(position.margin, closing, size);
      position.margin -= released;
      wallet.isolatedMargin -= released;
    }
    position.qty += direction * closing;
  }
  if (opening > 0) {
    if (position.qty === 0) {
      position.openTime = core.time;
      position.realizedPnlCurrent = 0n;
      position.feesCurrent = 0n;
      position.fundingTotal = 0n;
    }
    const openingCost = tradeCost - closingCost;
    position.entryCost += openingCost;
    if (isolated) {
      const added = initialMargin(config, openingCost, settings.leverage);
      position.margin += added;
      wallet.isolatedMargin += added;
    }
    position.qty += direction * opening;
  }
  // Its take-profit / stop-loss legs follow the position (conditional/triggers.ts followPositions).
  if (position.legs !== null) core.conditionals.moved.add(position);
  // Open interest counts the long side: the change of this position's long contracts.
  position.symbol.openInterest += (position.qty > 0 ? position.qty : 0) - longBefore;
  if (!isolated) {
    const margin = initialMargin(config, position.entryCost, settings.leverage);
    wallet.crossedMargin += margin - position.margin;
    position.margin = margin;
  }

  // The risk engine's orders (liquidation, ADL) pay no trading fee: the insurance fund takes the
  // liquidation's clearance instead, and ADL is fee-free (risk.md §5.6).
  const settleFee = order.source === 'USER' ? feeFor(config, qty, price, isMaker) : 0n;
  const burn = feeBurnCharge(core, order.account, config.settleAsset, settleFee);
  // A fee paid in BNB leaves the settle asset untouched: the position's and order's fee totals
  // count settle-asset fees only; the trade event says what was paid and in which asset.
  const fee = burn === null ? settleFee : 0n;
  if (burn !== null) {
    burn.wallet.balance -= burn.amount;
    core.addFee(FEE_BURN_ASSET, burn.amount);
  }
  wallet.balance += realizedPnl - fee;
  core.addFee(config.settleAsset, fee);
  position.realizedPnlTotal += realizedPnl;
  const flip = closing > 0 && opening > 0;
  // A one-way flip: the closing part's PnL and fee belong to the position it closed; the new
  // position starts with the fee of the part that opened it (Bybit curRealisedPnl, KuCoin currentComm).
  const openingFee = flip ? fee - proRata(fee, closing, qty) : fee;
  if (flip) position.realizedPnlCurrent = -openingFee;
  else position.realizedPnlCurrent += realizedPnl - fee;
  position.feesTotal += fee;
  position.feesCurrent += openingFee;
  position.updateTime = core.time;

  order.filled += qty;
  order.cumQuote += BigInt(qty) * BigInt(price);
  order.cumCost += tradeCost;
  order.fees += fee;
  order.realizedPnl += realizedPnl;
  order.state = order.filled === order.qty ? 'FILLED' : 'PARTIALLY_FILLED';
  order.updateTime = core.time;
  if (order.state === 'FILLED') retire(core, order);
  else refreshOrder(core, order);

  core.emitter.touchPosition(position);
  core.emitter.touchWallet(wallet);
  // After the settle wallet: its balance event comes first (seed 002 example 2 lists USDT, then BNB).
  if (burn !== null) core.emitter.touchWallet(burn.wallet);
  return burn === null ? { fee, feeAsset: config.settleAsset, realizedPnl } : { fee: burn.amount, feeAsset: FEE_BURN_ASSET, realizedPnl };
}
