/**
 * What a gateway starts from: the engine's state as the streams see it, at one command — each
 * account's seq, ended conditional orders (Binance's encoder shows them on later fills), public
 * market data, every book and every symbol's prices. Taken by the engine in one turn (so it is
 * exactly the state after command `cmdSeq`); the gateway then applies the Redis streams' events
 * after that command. The market part alone is what a gateway takes again when its market state
 * must be resynchronised (a reset entry, a gap in a book's update ids).
 */
import type { Depth, PriceInfo } from '../engine/engine.js';
import type { SymbolSpec } from '../engine/symbol.js';
import type { Exchange } from '../service/exchange.js';

export interface MarketBootstrap {
  cmdSeq: number;
  /** MarketData.capture(). */
  market: unknown[];
  /** Every level of every book. */
  depth: Record<string, Depth>;
  prices: Record<string, PriceInfo>;
}

export interface Bootstrap extends MarketBootstrap {
  epoch: string;
  shards: number;
  symbols: SymbolSpec[];
  /** [accountId, seq] of every account. */
  accounts: [number, number][];
  /** History.capture() entries of ended conditional orders. */
  conditionals: unknown[];
}

export function captureMarket(exchange: Exchange): MarketBootstrap {
  const { engine } = exchange;
  const now = exchange.now();
  const depth: Record<string, Depth> = {};
  const prices: Record<string, PriceInfo> = {};
  for (const { symbol } of engine.symbols()) {
    depth[symbol] = engine.depth(symbol, Number.MAX_SAFE_INTEGER)!;
    prices[symbol] = engine.prices(symbol, now)!;
  }
  return { cmdSeq: engine.cmdSeq, market: exchange.state.market.capture(), depth, prices };
}

export function captureBootstrap(exchange: Exchange, shards: number): Bootstrap {
  const { engine } = exchange;
  const accounts: [number, number][] = [];
  // Account ids are handed out from 1 and never reused.
  for (let id = 1; ; id++) {
    const account = engine.account(id);
    if (account === undefined) break;
    accounts.push([id, account.seq]);
  }
  const conditionals = exchange.history.capture().filter((entry) => (entry as [string])[0] === 'conditional');
  return {
    ...captureMarket(exchange), epoch: exchange.epoch, shards, symbols: engine.symbols().map((c) => c.spec), accounts, conditionals,
  };
}
