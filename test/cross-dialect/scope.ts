/**
 * What each exchange's market shows of an account, where the exchanges split their markets: XT
 * USDT-M (/ws/user) and Coin-M (/dapi/ws/user), Binance USDⓈ-M (fstream) and COIN-M (dstream) each
 * show their own contracts and the wallets those settle in; Bybit's unified account everything;
 * KuCoin every contract it lists (no USDT quarterly). The engine's state and events restricted to a
 * market are what that market's streams and REST snapshots must agree with.
 */
import type { EngineEvent } from '../../src/engine/types.js';
import type { AccountView } from '../../src/engine/view.js';
import { kucoinSymbolName } from './decode.js';
import { truthOf, type Truth, type Units } from './model.js';

/** Which markets a stream (or a REST snapshot) shows. */
export interface Scope {
  symbol(symbol: string): boolean;
  asset(asset: string): boolean;
}

/** What each market shows, from the symbols' configuration. */
export function scopes(units: ReadonlyMap<string, Units>) {
  const inverse = (symbol: string): boolean => units.get(symbol)?.inverse !== null;
  const coins = new Set([...units.values()].filter((u) => u.inverse !== null).map((u) => u.settleAsset));
  return {
    /** XT USDT-M, Binance USDⓈ-M: linear contracts, every wallet but the coin-margined ones' coins. */
    linear: { symbol: (s: string) => !inverse(s), asset: (a: string) => !coins.has(a) },
    /** XT Coin-M, Binance COIN-M: inverse contracts and the coins they settle in. */
    coin: { symbol: inverse, asset: (a: string) => coins.has(a) },
    /** Bybit's unified account: everything. */
    all: { symbol: () => true, asset: () => true },
    /** KuCoin: every contract it lists (no USDT quarterly), every wallet. */
    kucoin: { symbol: (s: string) => units.get(s) !== undefined && kucoinSymbolName(units.get(s)!) !== undefined, asset: () => true },
  } satisfies Record<string, Scope>;
}

/** The symbol an engine event is about (null: account-wide). */
function symbolOf(e: EngineEvent): string | null {
  switch (e.type) {
    case 'order': return e.order.symbol;
    case 'conditional': return e.conditional.symbol;
    case 'position': case 'notice': return e.position.symbol;
    case 'trade': case 'funding': case 'delivery': case 'riskLimit': return e.symbol;
    case 'config': return e.symbol;
    case 'balance': return null;
  }
}

/** The engine's account state as a market shows it. */
export function truthIn(scope: Scope, view: AccountView, finished: Parameters<typeof truthOf>[1], trades: Parameters<typeof truthOf>[2], events: readonly EngineEvent[], units: ReadonlyMap<string, Units>): Truth {
  const shown: AccountView = {
    ...view,
    wallets: view.wallets.filter((w) => scope.asset(w.asset)),
    positions: view.positions.filter((p) => scope.symbol(p.symbol)),
    orders: view.orders.filter((o) => scope.symbol(o.symbol)),
    settings: view.settings.filter((s) => scope.symbol(s.symbol)),
  };
  return truthOf(shown, finished.filter((o) => scope.symbol(o.symbol)), trades.filter((t) => scope.symbol(t.symbol)), eventsIn(scope, events), units);
}

export const eventsIn = (scope: Scope, events: readonly EngineEvent[]): EngineEvent[] =>
  events.filter((e) => (e.type === 'balance' ? scope.asset(e.balance.asset) : symbolOf(e) === null || scope.symbol(symbolOf(e)!)));

