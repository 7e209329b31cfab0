/**
 * The engine: one deterministic state machine, `apply(command) → result + events`.
 * No I/O, no clock, no randomness: the same commands in give the same state and events out.
 */
import { invariant } from './assert.js';
import { Core, type EngineOptions } from './core.js';
import { adjustIsolatedMargin, createAccount, deposit, setLeverage, setMarginMode, setPositionMode, withdraw } from './accounts.js';
import { auditState } from './audit.js';
import { setAssetPrice, setFeeBurn } from './fee-burn.js';
import { captureSnapshot, restoreSnapshot, type EngineSnapshot } from './persist.js';
import { amendOrder, cancelAll, cancelOrder, placeOrder } from './orders.js';
import { settleFunding } from './funding.js';
import { markChanged, priceInfo, sampleRisk, setIndexPrice, type MarkSetter, type PriceInfo } from './prices.js';
import { accountView, buildView, hashView, stateFingerprint } from './state-view.js';
import type { SymbolConfig } from './symbol.js';
import type { ChangeReason, Command, CommandResult, EngineEvent, PublicEvent } from './types.js';
import { settleDelivery } from './delivery.js';
import { takePublicEvents } from './public-feed.js';
import { amendConditional, cancelAllConditionals, cancelConditional, placeConditional, setPositionTpsl } from './conditional/commands.js';
import { runConditionals } from './conditional/triggers.js';
import { adjustRiskLimit, setAutoDeposit } from './risk/commands.js';
import { depositInsurance } from './risk/insurance.js';
import { afterCommand, onMarkPrice } from './risk/liquidation.js';
import type { AccountView, StateView } from './view.js';

export interface MarketState {
  markPrice: number | null;
  lastPrice: number | null;
  bestBid: { price: number; qty: number } | null;
  bestAsk: { price: number; qty: number } | null;
}

export type { EngineOptions } from './core.js';
export type { EngineSnapshot } from './persist.js';
export type { PriceInfo } from './prices.js';

/** An aggregated book: [price ticks, total contracts] per level, best first, and its update id. */
export interface Depth {
  updateId: number;
  bids: [number, number][];
  asks: [number, number][];
}

export interface Applied {
  cmdSeq: number;
  result: CommandResult;
  events: EngineEvent[];
  /** Public market data of the command: trades, then book updates (public-feed.ts). */
  market: readonly PublicEvent[];
}

const REASONS: Record<Command['type'], ChangeReason> = {
  createAccount: 'DEPOSIT',
  deposit: 'DEPOSIT',
  withdraw: 'WITHDRAW',
  setLeverage: 'LEVERAGE_CHANGE',
  setMarginMode: 'MARGIN_TYPE_CHANGE',
  setPositionMode: 'POSITION_MODE_CHANGE',
  adjustIsolatedMargin: 'MARGIN_TRANSFER',
  placeOrder: 'ORDER',
  amendOrder: 'ORDER',
  cancelOrder: 'ORDER',
  cancelAll: 'ORDER',
  setMarkPrice: 'MARK_PRICE',
  setIndexPrice: 'MARK_PRICE',
  sampleRisk: 'MARK_PRICE',
  settleFunding: 'FUNDING_FEE',
  settleDelivery: 'DELIVERY',
  // Neither emits an event.
  setFeeBurn: 'ORDER',
  setAssetPrice: 'MARK_PRICE',
  adjustRiskLimit: 'RISK_LIMIT_CHANGE',
  setAutoDeposit: 'AUTO_DEPOSIT_CHANGE',
  depositInsurance: 'DEPOSIT',
  placeConditional: 'ORDER',
  amendConditional: 'ORDER',
  cancelConditional: 'ORDER',
  cancelAllConditionals: 'ORDER',
  setPositionTpsl: 'ORDER',
};

export class Engine {
  private readonly core: Core;
  /** Computed marks (prices.ts) go through setMarkPrice like the admin's. */
  private readonly markSetter: MarkSetter = (symbol, price) => this.setMarkPrice(symbol, price);

  constructor(options: EngineOptions) {
    this.core = new Core(options);
  }

  /** An engine in the state of `snapshot` (taken with the same symbols), audited before it is returned. */
  static restore(options: EngineOptions, snapshot: EngineSnapshot): Engine {
    const engine = new Engine(options);
    restoreSnapshot(engine.core, snapshot);
    engine.audit();
    return engine;
  }

  /** The state as plain data, for persistence (see persist.ts). */
  snapshot(): EngineSnapshot {
    return captureSnapshot(this.core);
  }

  apply(command: Command): Applied {
    const core = this.core;
    invariant(Number.isSafeInteger(command.time) && command.time >= 0, 'command time must be a non-negative whole number of ms');
    core.cmdSeq += 1;
    core.time = Math.max(core.time, command.time);
    core.emitter.begin(core.cmdSeq, core.time, REASONS[command.type] ?? 'ORDER');
    const result = this.dispatch(command);
    if (result.ok) {
      // Conditional orders see the command's trades and prices (and may place orders), then the
      // risk engine re-indexes everything the command changed (docs/engine-rules.md, "Risk").
      runConditionals(core);
      afterCommand(core);
    }
    const events = core.emitter.events;
    const market = takePublicEvents(core);
    // The message is built only on failure: a closure here would be allocated for every command.
    if (!result.ok && (events.length > 0 || market.length > 0)) invariant(false, `refused command ${command.type} emitted events`);
    return { cmdSeq: core.cmdSeq, result, events, market };
  }

  private dispatch(command: Command): CommandResult {
    const core = this.core;
    switch (command.type) {
      case 'createAccount': return createAccount(core, command);
      case 'deposit': return deposit(core, command);
      case 'withdraw': return withdraw(core, command);
      case 'setLeverage': return setLeverage(core, command);
      case 'setMarginMode': return setMarginMode(core, command);
      case 'setPositionMode': return setPositionMode(core, command);
      case 'adjustIsolatedMargin': return adjustIsolatedMargin(core, command);
      case 'placeOrder': return placeOrder(core, command);
      case 'amendOrder': return amendOrder(core, command);
      case 'cancelOrder': return cancelOrder(core, command);
      case 'cancelAll': return cancelAll(core, command);
      case 'setMarkPrice': return this.setMarkPrice(command.symbol, command.price);
      case 'setIndexPrice': return setIndexPrice(core, command, this.markSetter);
      case 'sampleRisk': return sampleRisk(core, command, this.markSetter);
      case 'settleFunding': return settleFunding(core, command);
      case 'settleDelivery': return settleDelivery(core, command);
      case 'setFeeBurn': return setFeeBurn(core, command);
      case 'setAssetPrice': return setAssetPrice(core, command);
      case 'adjustRiskLimit': return adjustRiskLimit(core, command);
      case 'setAutoDeposit': return setAutoDeposit(core, command);
      case 'depositInsurance': return depositInsurance(core, command);
      case 'placeConditional': return placeConditional(core, command);
      case 'amendConditional': return amendConditional(core, command);
      case 'cancelConditional': return cancelConditional(core, command);
      case 'cancelAllConditionals': return cancelAllConditionals(core, command);
      case 'setPositionTpsl': return setPositionTpsl(core, command);
      default: {
        const unknown: { type?: unknown } = command;
        return { ok: false, code: 'INVALID_ARGUMENT', message: `unknown command type ${String(unknown.type)}` };
      }
    }
  }

  private setMarkPrice(symbolName: string, price: number): CommandResult {
    const symbol = this.core.symbols.get(symbolName);
    if (symbol === undefined) return { ok: false, code: 'UNKNOWN_SYMBOL', message: `symbol ${symbolName} is not listed` };
    const max = symbol.config.spec.maxPriceTicks;
    if (!Number.isInteger(price) || price < 1 || price > max) {
      return { ok: false, code: 'INVALID_ARGUMENT', message: `price must be a whole number of ticks from 1 to ${max}` };
    }
    const previous = symbol.markPrice;
    symbol.markPrice = price;
    if (price !== previous) markChanged(this.core, symbol);
    // Every mark change goes through here: the risk engine looks at what the new mark crossed.
    onMarkPrice(this.core, symbol);
    return { ok: true, kind: 'done' };
  }

  /** One account's state and the `seq` of its last event: a REST snapshot that pushes with a higher seq continue exactly. */
  account(accountId: number): { seq: number; view: AccountView } | undefined {
    const account = this.core.accounts.get(accountId);
    return account === undefined ? undefined : { seq: account.seq, view: accountView(account) };
  }

  /** Configured symbols, in configuration order. */
  symbols(): SymbolConfig[] {
    return [...this.core.symbols.values()].map((s) => s.config);
  }

  /** A symbol's prices and top of book (ticks), or undefined for an unknown symbol. */
  market(symbol: string): MarketState | undefined {
    const state = this.core.symbols.get(symbol);
    if (state === undefined) return undefined;
    const bid = state.book.bids.best();
    const ask = state.book.asks.best();
    return {
      markPrice: state.markPrice, lastPrice: state.lastPrice,
      bestBid: bid ? { price: bid.price, qty: bid.qty } : null, bestAsk: ask ? { price: ask.price, qty: ask.qty } : null,
    };
  }

  /**
   * A symbol's aggregated book, best first, at most `limit` levels a side, with the book update id
   * it reflects (the public feed's book updates continue from it); undefined for an unknown symbol.
   */
  depth(symbol: string, limit: number): Depth | undefined {
    const state = this.core.symbols.get(symbol);
    if (state === undefined) return undefined;
    const side = (levels: Generator<{ price: number; qty: number }>): [number, number][] => {
      const out: [number, number][] = [];
      for (const level of levels) {
        if (out.length >= limit) break;
        out.push([level.price, level.qty]);
      }
      return out;
    };
    return { updateId: state.bookUpdateId, bids: side(state.book.bids.levelsBestFirst()), asks: side(state.book.asks.levelsBestFirst()) };
  }

  /**
   * A symbol's index, mark, last and premium, the predicted and last funding rates and the next
   * funding time (before the first settlement: the first after `now`); undefined for an unknown symbol.
   */
  prices(symbol: string, now: number): PriceInfo | undefined {
    const pricing = this.core.pricing.get(symbol);
    return pricing === undefined ? undefined : priceInfo(pricing, now);
  }

  /** Insurance fund balances per settle asset, sorted by asset. */
  insuranceFund(): { asset: string; balance: bigint }[] {
    return [...this.core.risk.insuranceFund.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([asset, balance]) => ({ asset, balance }));
  }

  /** The last command sequence number applied. */
  get cmdSeq(): number {
    return this.core.cmdSeq;
  }

  /** The whole state as a canonical, sorted plain view. */
  view(): StateView {
    return buildView(this.core);
  }

  /** SHA-256 of the canonical view: equal states, equal hashes. */
  stateHash(): string {
    return hashView(this.view());
  }

  /** A cheap summary of the state (see stateFingerprint): equal states, equal fingerprints; not a hash. */
  fingerprint(): string {
    return stateFingerprint(this.core);
  }

  /** Recomputes every derived quantity from scratch and throws InvariantError on any mismatch. */
  audit(): void {
    auditState(this.core);
  }
}
