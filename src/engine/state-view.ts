/**
 * Builds the canonical StateView (view.ts) and its hash.
 */
import { conditionalSnapshot } from './conditional/records.js';
import { createHash } from 'node:crypto';
import type { Core } from './core.js';
import { levelOrders, type BookSide } from './book/order-book.js';
import { pricingRecords } from './prices.js';
import { availableBalance, orderSnapshot, positionSnapshot } from './snapshots.js';
import type { Account } from './state.js';
import type { PositionSide } from './types.js';
import type { AccountView, BookView, RiskView, StateView } from './view.js';

const SIDE_ORDER: Record<PositionSide, number> = { BOTH: 0, LONG: 1, SHORT: 2 };
const byKey = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function levelsOf(side: BookSide): BookView['bids'] {
  return side.sortedLevels().map((level) => ({ price: level.price, orderIds: levelOrders(level).map((o) => o.id) }));
}

export function accountView(account: Account): AccountView {
  return {
    accountId: account.id,
    positionMode: account.positionMode,
    feeBurn: account.feeBurn,
    wallets: [...account.wallets.values()].sort(byKey((w) => w.asset)).map((w) => ({
      asset: w.asset,
      walletBalance: w.balance,
      isolatedMargin: w.isolatedMargin,
      crossedMargin: w.crossedMargin,
      openOrderMarginFrozen: w.frozen,
      availableBalance: availableBalance(w),
    })),
    settings: [...account.settings.entries()].sort(byKey(([symbol]) => symbol))
      .map(([symbol, s]) => ({ symbol, leverage: s.leverage, marginMode: s.marginMode, riskLimitLevel: s.riskLimitLevel })),
    positions: [...account.positions.values()]
      .sort((a, b) => byKey<typeof a>((p) => p.symbol.config.symbol)(a, b) || SIDE_ORDER[a.side] - SIDE_ORDER[b.side])
      .map((p) => positionSnapshot(p)),
    orders: [...account.orders.values()].sort((a, b) => a.id - b.id)
      .map((o) => orderSnapshot(o)),
    conditionals: [...account.conditionals.values()].sort((a, b) => a.id - b.id).map(conditionalSnapshot),
  };
}

export function buildView(core: Core): StateView {
  const accounts: AccountView[] = [...core.accounts.values()].sort((a, b) => a.id - b.id).map(accountView);
  const books: BookView[] = [...core.symbols.values()].sort(byKey((s) => s.config.symbol)).map((s) => ({
    symbol: s.config.symbol,
    markPrice: s.markPrice,
    lastPrice: s.lastPrice,
    bookUpdateId: s.bookUpdateId,
    bids: levelsOf(s.book.bids),
    asks: levelsOf(s.book.asks),
  }));
  const amounts = (map: Map<string, bigint>) =>
    [...map.entries()].sort(byKey(([asset]) => asset)).map(([asset, amount]) => ({ asset, amount }));
  return {
    cmdSeq: core.cmdSeq,
    time: core.time,
    nextAccountId: core.nextAccountId,
    nextOrderId: core.nextOrderId,
    nextTradeId: core.nextTradeId,
    fees: amounts(core.fees),
    netDeposits: amounts(core.netDeposits),
    roundingDust: amounts(core.roundingDust),
    assetPrices: [...core.assetPrices.entries()].sort(byKey(([pair]) => pair)).map(([pair, price]) => ({ pair, price })),
    books,
    pricing: pricingRecords(core),
    accounts,
    risk: riskView(core, amounts),
  };
}

function riskView(core: Core, amounts: (map: Map<string, bigint>) => { asset: string; amount: bigint }[]): RiskView {
  const warned: string[] = [];
  for (const account of core.accounts.values()) {
    for (const wallet of account.wallets.values()) if (wallet.crossUnit?.warned === true) warned.push(`${account.id}:${wallet.asset}`);
    for (const p of account.positions.values()) if (p.riskUnit?.warned === true) warned.push(`${account.id}:${p.symbol.config.symbol}:${p.side}`);
  }
  return {
    insuranceFund: amounts(core.risk.insuranceFund),
    warned: warned.sort(),
    adlRankedAt: [...core.symbols.values()].sort(byKey((s) => s.config.symbol)).map((s) => ({ symbol: s.config.symbol, time: s.risk.adlRankedAt })),
  };
}

export function hashView(view: StateView): string {
  const canonical = JSON.stringify(view, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * A cheap summary of the state (counters, totals per asset, Σ account seq, wallets and open
 * contracts), O(accounts + positions) and no hashing of the whole state: a snapshot made by
 * replaying the journal elsewhere is checked against the live engine's at the same command.
 */
export function stateFingerprint(core: Core): string {
  let seqs = 0;
  let balances = 0n;
  let contracts = 0;
  for (const account of core.accounts.values()) {
    seqs += account.seq;
    for (const wallet of account.wallets.values()) balances += wallet.balance;
    for (const position of account.positions.values()) contracts += position.qty;
  }
  const sorted = (map: ReadonlyMap<string, bigint>): string => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(',');
  return [
    core.cmdSeq, core.time, core.nextAccountId, core.nextOrderId, core.nextTradeId, core.nextPriority, core.accounts.size, seqs, balances, contracts,
    sorted(core.fees), sorted(core.netDeposits), sorted(core.risk.insuranceFund), sorted(core.roundingDust),
  ].join('|');
}
