/**
 * The full invariant audit: recomputes every derived number from the records and compares.
 * O(state); run by the tests after every command and by operators on demand (snapshots, recovery).
 */
import { invariant } from './assert.js';
import { levelOrders, type BookSide } from './book/order-book.js';
import type { Core } from './core.js';
import { INVERSE_COST_SCALE, costOf, initialMargin, orderFrozen, signedPositionValue } from './margin.js';
import { ordersOf } from './positions.js';
import { auditPricing } from './prices.js';
import { openInterestOf } from './public-feed.js';
import { isLive, remaining, sideSign, type Account } from './state.js';
import { auditIndex } from './risk/liquidation-index.js';
import { auditConditionals } from './conditional/audit.js';

export function auditState(core: Core): void {
  const positionValue = new Map<string, bigint>();
  const netQty = new Map<string, number>();
  for (const account of core.accounts.values()) auditAccount(core, account, positionValue, netQty);
  for (const [symbol, qty] of netQty) invariant(qty === 0, () => `${symbol}: positions sum to ${qty} contracts, not 0`);

  const assets = new Set([...core.netDeposits.keys(), ...core.fees.keys(), ...positionValue.keys(), ...core.risk.insuranceFund.keys()]);
  for (const account of core.accounts.values()) for (const asset of account.wallets.keys()) assets.add(asset);
  for (const asset of assets) {
    let wallets = 0n;
    for (const account of core.accounts.values()) wallets += account.wallets.get(asset)?.balance ?? 0n;
    const fund = core.risk.fund(asset);
    invariant(fund >= 0n, `${asset}: negative insurance fund ${fund}`);
    // In 10^-16 units (amount × INVERSE_COST_SCALE), the unit inverse entry values are kept in.
    const dust = core.roundingDust.get(asset) ?? 0n;
    invariant(dust >= 0n, `${asset}: negative rounding dust ${dust}`);
    const books = (wallets + (core.fees.get(asset) ?? 0n) + fund) * INVERSE_COST_SCALE + dust - (positionValue.get(asset) ?? 0n);
    const net = core.netDeposits.get(asset) ?? 0n;
    invariant(books === net * INVERSE_COST_SCALE,
      () => `${asset}: wallets + fees + insurance fund + rounding dust − open entry value = ${books}e-16, deposits − withdrawals = ${net}e-8`);
  }
  auditIndex(core);
  // Open interest is kept by every fill: it must be the Σ of the long positions, and published as it stands.
  for (const [symbol, openInterest] of openInterestOf(core)) {
    invariant(symbol.openInterest === openInterest, () => `${symbol.config.symbol}: open interest ${symbol.openInterest} ≠ Σ long positions ${openInterest}`);
    invariant(symbol.published.openInterest === openInterest, () => `${symbol.config.symbol}: open interest ${openInterest} not published`);
  }

  for (const symbol of core.symbols.values()) {
    const { bids, asks } = symbol.book;
    auditSide(bids);
    auditSide(asks);
    const bestBid = bids.best();
    const bestAsk = asks.best();
    invariant(bestBid === undefined || bestAsk === undefined || bestBid.price < bestAsk.price,
      () => `${symbol.config.symbol}: book crossed (${bestBid!.price} ≥ ${bestAsk!.price})`);
  }
  auditPricing(core);
  auditConditionals(core);
}

function auditSide(side: BookSide): void {
  let previousKey = -Infinity;
  for (const level of side.sortedLevels()) {
    invariant(level.key > previousKey, 'two levels share a price');
    previousKey = level.key;
    let qty = 0;
    let priority = 0;
    const orders = levelOrders(level);
    invariant(orders.length === level.count && orders.length > 0, `level ${level.price}: count mismatch or empty level`);
    for (const order of orders) {
      invariant(isLive(order) && order.level === level && order.price === level.price, `order ${order.id} misplaced in level ${level.price}`);
      invariant(order.account.orders.get(order.id) === order, `order ${order.id} rests but is not live in its account`);
      invariant(order.priority > priority, `level ${level.price}: orders out of time priority`);
      priority = order.priority;
      qty += remaining(order);
    }
    invariant(qty === level.qty, `level ${level.price}: quantity ${level.qty} ≠ Σ orders ${qty}`);
  }
}

function auditAccount(core: Core, account: Account, positionValue: Map<string, bigint>, netQty: Map<string, number>): void {
  const frozen = new Map<string, bigint>();
  const isolated = new Map<string, bigint>();
  const crossed = new Map<string, bigint>();
  const add = (map: Map<string, bigint>, asset: string, amount: bigint) => map.set(asset, (map.get(asset) ?? 0n) + amount);
  let liveOrders = 0;

  for (const position of account.positions.values()) {
    const { config } = position.symbol;
    const settings = core.settings(account, config.symbol);
    const where = `account ${account.id} ${config.symbol} ${position.side}`;
    const asset = config.settleAsset;
    invariant(position.side === 'BOTH' || (position.side === 'LONG' ? position.qty >= 0 : position.qty <= 0), `${where}: quantity on the wrong side`);
    invariant(position.entryCost >= 0n && (position.qty === 0) === (position.entryCost === 0n), `${where}: entry cost ${position.entryCost} with qty ${position.qty}`);
    invariant(position.margin >= 0n, `${where}: negative margin`);
    if (settings.marginMode === 'CROSSED') {
      invariant(position.margin === initialMargin(config, position.entryCost, settings.leverage), `${where}: cross margin is not entry value / leverage`);
      add(crossed, asset, position.margin);
    } else {
      invariant(position.qty !== 0 || position.margin === 0n, `${where}: a flat isolated position holds margin`);
      add(isolated, asset, position.margin);
    }
    add(positionValue, asset, signedPositionValue(config, position.qty, position.entryCost));
    netQty.set(config.symbol, (netQty.get(config.symbol) ?? 0) + position.qty);

    // Allocation from scratch, in priority order.
    let capacity = Math.abs(position.qty);
    let openQty = 0;
    let closeQty = 0;
    let positionFrozen = 0n;
    let buyCost = 0n;
    let sellCost = 0n;
    let previousPriority = 0;
    for (const order of ordersOf(position)) {
      invariant(isLive(order) && order.account === account && order.position === position, `${where}: order ${order.id} misfiled`);
      invariant(order.source === 'USER', `${where}: the risk engine's order ${order.id} outlived its command`);
      invariant(order.priority > previousPriority, `${where}: orders out of priority order`);
      previousPriority = order.priority;
      invariant(order.freezePrice === order.price && order.level !== null, `${where}: order ${order.id} is live but not resting at its price`);
      const rest = remaining(order);
      invariant(rest > 0 && order.filled >= 0, `${where}: order ${order.id} has nothing left`);
      const reduces = position.qty !== 0 && Math.sign(position.qty) === -sideSign(order.side);
      const close = reduces ? Math.min(rest, capacity) : 0;
      capacity -= close;
      invariant(order.closeQty === close && order.openQty === rest - close, `${where}: order ${order.id} allocation ${order.closeQty}/${order.openQty}, expected ${close}/${rest - close}`);
      const expected = orderFrozen(config, rest - close, order.price, settings.leverage);
      invariant(order.frozen === expected, `${where}: order ${order.id} freezes ${order.frozen}, requires ${expected}`);
      invariant(order.openCost === (rest === close ? 0n : costOf(config, rest - close, order.price)), `${where}: order ${order.id} open cost out of step`);
      if (order.side === 'BUY') buyCost += order.openCost;
      else sellCost += order.openCost;
      openQty += rest - close;
      closeQty += close;
      positionFrozen += order.frozen;
      liveOrders += 1;
    }
    invariant(position.openOrderQty === openQty && position.closeOrderQty === closeQty && position.frozen === positionFrozen,
      `${where}: order totals out of step`);
    invariant(position.openBuyCost === buyCost && position.openSellCost === sellCost, `${where}: open order cost out of step`);
    add(frozen, asset, positionFrozen);
  }
  invariant(liveOrders === account.orders.size, `account ${account.id}: ${account.orders.size} live orders, ${liveOrders} in positions`);
  for (const order of account.liveByClientId.values()) invariant(account.orders.get(order.id) === order, `account ${account.id}: stale client id`);
  for (const wallet of account.wallets.values()) {
    const where = `account ${account.id} ${wallet.asset}`;
    invariant(wallet.frozen === (frozen.get(wallet.asset) ?? 0n), `${where}: frozen ${wallet.frozen} ≠ Σ orders`);
    invariant(wallet.isolatedMargin === (isolated.get(wallet.asset) ?? 0n), `${where}: isolated margin out of step`);
    invariant(wallet.crossedMargin === (crossed.get(wallet.asset) ?? 0n), `${where}: cross margin out of step`);
    invariant(!wallet.dirty && wallet.stepChange === 0n, `${where}: unemitted change left behind`);
  }
}
