/**
 * The engine's shared state and the record factories every command module uses.
 */
import { invariant } from './assert.js';
import { OrderBook } from './book/order-book.js';
import { Emitter } from './emitter.js';
import { buildSymbolConfig, type SymbolSpec } from './symbol.js';
import { positionKey, type Account, type Order, type Position, type SymbolSettings, type SymbolState, type Wallet } from './state.js';
import type { CommandResult, MarginMode, PositionMode, PositionSide, PublicEvent } from './types.js';
import { newSymbolPricing, type SymbolPricing } from './prices.js';
import { RiskState, type RiskOptions } from './risk/risk-state.js';
import { SymbolRisk } from './risk/units.js';
import { MarkPacing } from './mark-pacing.js';
import { ConditionalOrders, type Conditional } from './conditional/records.js';

export interface EngineOptions extends RiskOptions {
  symbols: readonly SymbolSpec[];
  /** Live orders one account may have (default 200). */
  maxOpenOrdersPerAccount?: number;
  /** Client order ids remembered per account for idempotent retries, besides live orders' (default 1000). */
  clientOrderIdWindow?: number;
  /** The position mode new accounts start in (default ONE_WAY). */
  defaultPositionMode?: PositionMode;
  /** MARK_PRICE position events: at most one per position per this many ms of engine time (default 1000). */
  markEventIntervalMs?: number;
  /** Waiting conditional orders one account may have (default 200). */
  maxConditionalOrdersPerAccount?: number;
}

export const DEFAULT_LEVERAGE = 20;

/** A map that stays empty: the accounts without orders share one (~200 bytes saved per map and account). */
class EmptyMap<K, V> extends Map<K, V> {
  override set(): this {
    throw new Error('the shared empty map is never written: take the account\'s own (accountOrdersOf, …)');
  }
}

const NO_ORDERS: Map<number, Order> = new EmptyMap();
const NO_CLIENT_IDS: Map<string, Order> = new EmptyMap();
const NO_RESULTS: Map<string, CommandResult> = new EmptyMap();
const NO_CONDITIONALS: Map<number, Conditional> = new EmptyMap();
const NO_CONDITIONAL_CLIENT_IDS: Map<string, Conditional> = new EmptyMap();

/** The account's own maps of waiting conditional orders, by id and by client order id (created on first use). */
export function conditionalsOf(account: Account): { byId: Map<number, Conditional>; byClientId: Map<string, Conditional> } {
  if (account.conditionals === NO_CONDITIONALS) {
    account.conditionals = new Map();
    account.conditionalsByClientId = new Map();
  }
  return { byId: account.conditionals, byClientId: account.conditionalsByClientId };
}

/** The account's own map of live orders (created on first use). */
export function accountOrdersOf(account: Account): Map<number, Order> {
  if (account.orders === NO_ORDERS) account.orders = new Map();
  return account.orders;
}

/** The account's own map of live orders by client order id (created on first use). */
export function liveByClientIdOf(account: Account): Map<string, Order> {
  if (account.liveByClientId === NO_CLIENT_IDS) account.liveByClientId = new Map();
  return account.liveByClientId;
}

/** The account's own window of recent placement results (created on first use). */
export function recentClientIdsOf(account: Account): Map<string, CommandResult> {
  if (account.recentClientIds === NO_RESULTS) account.recentClientIds = new Map();
  return account.recentClientIds;
}

export class Core {
  readonly symbols = new Map<string, SymbolState>();
  readonly accounts = new Map<number, Account>();
  readonly emitter = new Emitter();
  readonly fees = new Map<string, bigint>();
  readonly netDeposits = new Map<string, bigint>();
  /**
   * Per asset, in 10^-16 units (amount units × INVERSE_COST_SCALE): what rounding inverse PnL down to
   * amount units kept (margin.ts). It belongs to the exchange; the audit counts it in the books.
   */
  readonly roundingDust = new Map<string, bigint>();
  /** `${asset}/${quoteAsset}` → price of one whole asset in 10^-8 quote units (setAssetPrice). */
  readonly assetPrices = new Map<string, bigint>();
  readonly maxOpenOrdersPerAccount: number;
  readonly clientOrderIdWindow: number;
  readonly defaultPositionMode: PositionMode;
  readonly markEventIntervalMs: number;
  readonly maxConditionalOrdersPerAccount: number;
  /** Waiting conditional orders and their trigger indexes (conditional/). */
  readonly conditionals = new ConditionalOrders();
  /** Index, samples and funding state per symbol (prices.ts). */
  readonly pricing = new Map<string, SymbolPricing>();
  cmdSeq = 0;
  time = 0;
  nextAccountId = 1;
  nextOrderId = 1;
  nextTradeId = 1;
  nextPriority = 1;
  /** The command's public market events so far (trades as they match; book updates at its end). */
  publicEvents: PublicEvent[] = [];
  /** The order currently taking liquidity: margin reallocation never cancels it. */
  activeTaker: Order | null = null;
  /** Insurance fund and risk settings (src/engine/risk). */
  readonly risk: RiskState;

  constructor(options: EngineOptions) {
    this.maxOpenOrdersPerAccount = options.maxOpenOrdersPerAccount ?? 200;
    this.clientOrderIdWindow = options.clientOrderIdWindow ?? 1000;
    this.defaultPositionMode = options.defaultPositionMode ?? 'ONE_WAY';
    this.risk = new RiskState(options);
    invariant(Number.isInteger(this.maxOpenOrdersPerAccount) && this.maxOpenOrdersPerAccount >= 1, 'maxOpenOrdersPerAccount must be ≥ 1');
    invariant(Number.isInteger(this.clientOrderIdWindow) && this.clientOrderIdWindow >= 0, 'clientOrderIdWindow must be ≥ 0');
    this.markEventIntervalMs = options.markEventIntervalMs ?? 1000;
    this.maxConditionalOrdersPerAccount = options.maxConditionalOrdersPerAccount ?? 200;
    invariant(Number.isInteger(this.maxConditionalOrdersPerAccount) && this.maxConditionalOrdersPerAccount >= 1, 'maxConditionalOrdersPerAccount must be ≥ 1');
    invariant(Number.isSafeInteger(this.markEventIntervalMs) && this.markEventIntervalMs >= 0, 'markEventIntervalMs must be a whole number ≥ 0');
    for (const spec of options.symbols) {
      invariant(!this.symbols.has(spec.symbol), `symbol ${spec.symbol} is configured twice`);
      const positionKeys = { BOTH: positionKey(spec.symbol, 'BOTH'), LONG: positionKey(spec.symbol, 'LONG'), SHORT: positionKey(spec.symbol, 'SHORT') };
      const state: SymbolState = {
        config: buildSymbolConfig(spec), book: new OrderBook(), positionKeys, markPrice: null, lastPrice: null, bookUpdateId: 0, openInterest: 0, openPositions: new Set(),
        published: { markPrice: null, indexPrice: null, premiumIndex: null, openInterest: 0 },
        pacing: new MarkPacing(), risk: new SymbolRisk(),
      };
      this.symbols.set(spec.symbol, state);
      this.pricing.set(spec.symbol, newSymbolPricing(state));
    }
  }

  createAccount(positionMode: PositionMode = this.defaultPositionMode, marginMode: MarginMode = 'CROSSED'): Account {
    const account: Account = {
      id: this.nextAccountId++,
      positionMode,
      feeBurn: false,
      seq: 0,
      wallets: new Map(),
      settings: new Map(),
      positions: new Map(),
      orders: NO_ORDERS,
      liveByClientId: NO_CLIENT_IDS,
      recentClientIds: NO_RESULTS,
      conditionals: NO_CONDITIONALS,
      conditionalsByClientId: NO_CONDITIONAL_CLIENT_IDS,
    };
    for (const { config } of this.symbols.values()) {
      account.settings.set(config.symbol, { leverage: Math.min(DEFAULT_LEVERAGE, config.spec.maxLeverage), marginMode, riskLimitLevel: 1 });
    }
    this.accounts.set(account.id, account);
    return account;
  }

  settings(account: Account, symbol: string): SymbolSettings {
    return account.settings.get(symbol)!;
  }

  wallet(account: Account, asset: string): Wallet {
    let wallet = account.wallets.get(asset);
    if (wallet === undefined) {
      wallet = { account, asset, balance: 0n, isolatedMargin: 0n, crossedMargin: 0n, frozen: 0n, dirty: false, stepChange: 0n, lastEmitted: null, crossUnit: null };
      account.wallets.set(asset, wallet);
    }
    return wallet;
  }

  findPosition(account: Account, symbol: SymbolState, side: PositionSide): Position | undefined {
    return account.positions.get(symbol.positionKeys[side]);
  }

  /** The position record, initialized on first use. */
  position(account: Account, symbol: SymbolState, side: PositionSide): Position {
    const key = symbol.positionKeys[side];
    let position = account.positions.get(key);
    if (position === undefined) {
      position = {
        account, symbol, side, settings: this.settings(account, symbol.config.symbol), qty: 0, entryCost: 0n, margin: 0n, realizedPnlTotal: 0n, realizedPnlCurrent: 0n,
        feesTotal: 0n, feesCurrent: 0n, openTime: 0, updateTime: this.time, buyOrders: [], sellOrders: [], closingOrders: 0, openOrderQty: 0, closeOrderQty: 0, frozen: 0n, openBuyCost: 0n, openSellCost: 0n, dirty: false, emittedQty: 0, lastEmitted: null, lastDirection: null, initialised: false,
        fundingTotal: 0n, emittedMark: 0, markEventTime: null, markSlot: -1,
        valuation: { qty: 0, entryCost: 0n, mark: null, unrealizedPnl: 0n, maintenanceMargin: 0n },
        autoDeposit: false, status: 'NORMAL', adlQuantile: 0n, adlScore: null, adlSide: 0, adlRound: 0, adlSlot: -1, riskUnit: null, riskCache: null, legs: null,
      };
      account.positions.set(key, position);
      this.emitter.touchPosition(position);
    }
    return position;
  }

  /** Position records of a symbol, in the order they were initialized. */
  positionsOf(account: Account, symbol: string): Position[] {
    const found: Position[] = [];
    for (const position of account.positions.values()) if (position.symbol.config.symbol === symbol) found.push(position);
    return found;
  }

  addDust(asset: string, fine: bigint): void {
    if (fine !== 0n) this.roundingDust.set(asset, (this.roundingDust.get(asset) ?? 0n) + fine);
  }

  addFee(asset: string, amount: bigint): void {
    if (amount !== 0n) this.fees.set(asset, (this.fees.get(asset) ?? 0n) + amount);
  }
}
