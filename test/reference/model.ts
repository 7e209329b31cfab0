/**
 * A deliberately simple reference model of the engine, written from docs/engine-rules.md and
 * ../shared/spec/risk.md alone. It imports the engine's types and its decimal-string parser, never
 * its computations.
 *
 * What it computes itself (its own arithmetic: here and in symbol-rules.ts):
 * - contract math: K, fees (maker, taker, BNB fee burn), the price band, perContract and frozen
 *   margin, cross and isolated margin, PnL of a close, unrealized PnL at the mark;
 * - risk: the tiers' maintenance amounts (cum recurrence), maintenance margin, tier and risk level
 *   of an exposure, max leverage (placeOrder 5b, amendOrder, setLeverage), margin ratio, equity of a
 *   risk unit, when a unit is liquidatable, the bankruptcy price in ticks;
 * - funding: the rate of a settlement without premium samples (interest, clamp, interval scaling,
 *   cap), each position's fee (payers rounded up, receivers by largest remainder), isolated margin
 *   moving with it;
 * - liquidation on a mark tick: which units, in which order, the cancels, the full liquidation of a
 *   first-tier leg through the book within the band as far as the insurance fund covers the
 *   shortfall, the clearance between the wallet and the fund;
 * - orders, matching, allocation, reallocation, conditional orders and their trigger pass.
 * Not modelled (apply() throws, so a stream that needs them fails loudly): tiered partial
 * liquidation, ADL, index prices and premium samples, auto-deposit and risk-limit commands. Warning
 * flags are engine-internal and left out of the comparison.
 *
 * It optimises for being obviously right, not for speed:
 * - the only stored money facts are wallet balances, position quantity / entry cost / isolated
 *   margin / funding total and the fee, insurance and deposit accounts; every total (allocation,
 *   frozen margin, cross margin, wallet sums, available balance, unit equity) is recomputed from
 *   scratch whenever it is needed;
 * - the book is not a data structure: it is "the resting live orders of a symbol", filtered and
 *   sorted by price then priority whenever someone looks at it.
 * - conditional orders wait in a plain list per account; the trigger pass scans it at every price
 *   (no heaps), in the rules' order.
 *
 * It does not produce events, except the conditional-order events (change and snapshot, without seq:
 * conditionalEvents()), the legs a command liquidated (liquidations()) and each position's funding fee
 * (fundingFees()); the property test compares its results, its view() and those with the engine's
 * after every command. Section names in comments ("placeOrder check 4", "Reallocation step
 * 2", "the trigger pass, step 4", …) refer to the rules page. Where the rules leave a detail open
 * (when an event's snapshot is taken, the order of events within a step), the comment says the model
 * does what the engine does; ModelOptions.engineDeviations holds an older reading of the rules the
 * model can follow on request.
 */
import type {
  AdjustIsolatedMargin, AmendConditional, AmendOrder, AttachTpsl, CancelAll, CancelAllConditionals, CancelConditional, CancelOrder, Command,
  CommandResult, ConditionalEvent, ConditionalKind, ConditionalReason, ConditionalSnapshot, ConditionalState, Deposit, ErrorCode,
  MarginMode, OrderReason, OrderSnapshot, OrderState, OrderType, PlaceConditional, PlaceOrder, PositionMode, PositionSide,
  PositionSnapshot, SetAssetPrice, SetFeeBurn, SetLeverage, SetMarginMode, SetMarkPrice, SetPositionMode, SettleFunding, SetPositionTpsl, Side, StpMode,
  TimeInForce, TpslChange, TpslLeg, TpslMode, TriggerDirection, TriggerSource, Withdraw, DepositInsurance,
} from '../../src/engine/types.js';
import type { AccountView, BookView, StateView, WalletView } from '../../src/engine/view.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { RS, ceilDiv, floorDiv, maintenanceOf, readSymbolRules, tierIndexOf, type SymbolRules } from './symbol-rules.js';

export interface ModelOptions {
  symbols: readonly SymbolSpec[];
  maxOpenOrdersPerAccount?: number;
  clientOrderIdWindow?: number;
  maxConditionalOrdersPerAccount?: number;
  /**
   * Readings of docs/engine-rules.md that the model can switch (issue 13). Default: the rules.
   */
  engineDeviations?: {
    /**
     * Legs follow their positions (trigger pass step 2) again after every trade of step 3, as the
     * rules say since 2026-12-07 (default true); false runs the older once-per-round reading.
     */
    legsFollowEveryTrade?: boolean;
  };
}


// ---------------------------------------------------------------------------------------------
// Stored state: only the facts that cannot be derived.

interface MSymbol {
  cfg: SymbolRules;
  /** K: amount units per contract per tick. */
  k: bigint;
  mark: number | null;
  last: number | null;
  /** +1 for every command after which some price level's total differs from before it. */
  bookUpdateId: number;
  /** The last funding settlement's rate and time (rules: Prices, Funding settlement). */
  lastFundingRate: bigint;
  lastFundingTime: number | null;
}

interface MOrder {
  orderId: number;
  clientOrderId: string | null;
  accountId: number;
  symbol: string;
  side: Side;
  positionSide: PositionSide;
  orderType: OrderType;
  timeInForce: TimeInForce;
  price: number;
  qty: number;
  executedQty: number;
  cumQuote: bigint;
  state: OrderState;
  reason: OrderReason;
  reduceOnly: boolean;
  stpMode: StpMode;
  marginMode: MarginMode;
  fees: bigint;
  realizedPnl: bigint;
  createTime: number;
  updateTime: number;
  /** Allocation and book time priority: smaller is older. */
  priority: number;
  /** Price the open part freezes margin at: the worst fill price while taking, its own price when resting. */
  freezePrice: number;
  /** In the book (false while it is taking liquidity). */
  resting: boolean;
  /** The result its placement returned (a live order's client id stays idempotent beyond the window). */
  placeResult?: CommandResult;
  /** The conditional order that placed it (its id is this order's id), null when placed directly. */
  origin: ConditionalKind | null;
  conditionalId: number | null;
  /** TP/SL to set on the position when a fill leaves it on this order's side (rules: attachTpsl). */
  attach: AttachTpsl | null;
  /** Set at that fill: the PARTIAL legs created (they grow with later fills). */
  attachedLegs: number[] | null;
  /** A liquidation order: it pays no fee (rules: Liquidation). */
  feeFree: boolean;
}

/**
 * A waiting (or, in events and results, an ended) conditional order: the fields of its snapshot,
 * the trigger of a trailing stop derived from its best price.
 */
interface MConditional {
  conditionalId: number;
  clientOrderId: string | null;
  accountId: number;
  symbol: string;
  kind: ConditionalKind;
  side: Side;
  positionSide: PositionSide;
  triggerSource: TriggerSource;
  triggerDirection: TriggerDirection;
  /** The trigger of a plan order or a TP/SL leg (trailing stops: null, derived from extremePrice). */
  fixedTrigger: number | null;
  orderType: OrderType;
  price: number;
  timeInForce: TimeInForce;
  qty: number;
  reduceOnly: boolean;
  closePosition: boolean;
  tpslMode: TpslMode | null;
  ocoId: number | null;
  /** The TP/SL pair's id: the lower id of the legs ever paired with it (its own until paired). */
  pairId: number;
  /** The account's margin mode on the symbol when it was created. */
  marginMode: MarginMode;
  activationPrice: number | null;
  callbackRate: bigint | null;
  callbackAmount: number | null;
  activated: boolean;
  extremePrice: number | null;
  stpMode: StpMode;
  expireTime: number | null;
  state: ConditionalState;
  reason: ConditionalReason;
  orderId: number | null;
  triggeredPrice: number | null;
  createTime: number;
  updateTime: number;
  /** A plan order's TP/SL, passed on to the order it places. */
  attach: AttachTpsl | null;
  /**
   * Watching prices. False while it was created during the current command (placed, set on a
   * position, a leg armed by a fill) or re-filed by an amendment: the trigger pass lets it join only
   * after the command's trades (rules: the trigger pass, step 4).
   */
  watching: boolean;
}

/** What a conditional event says (the model keeps them to compare with the engine's, without seq). */
export interface ModelConditionalEvent {
  accountId: number;
  change: ConditionalEvent['change'];
  conditional: ConditionalSnapshot;
}

/** A leg taken over by a full liquidation (the LIQUIDATION notice). */
export interface ModelLiquidation {
  accountId: number;
  symbol: string;
  positionSide: PositionSide;
  /** Contracts at the start of the full liquidation. */
  qty: number;
}

interface MPosition {
  symbol: string;
  positionSide: PositionSide;
  qty: number;
  entryCost: bigint;
  /** Only meaningful for isolated positions: the isolated wallet. Cross margin is derived. */
  isolatedMargin: bigint;
  realizedPnlTotal: bigint;
  realizedPnlCurrent: bigint;
  feesTotal: bigint;
  feesCurrent: bigint;
  /** Funding received (+) or paid (−) since the position last opened from zero. */
  fundingTotal: bigint;
  openTime: number;
  updateTime: number;
}

/** A risk unit: an open isolated position, or an account's open cross positions settled in one asset. */
interface RiskUnit {
  acc: MAccount;
  asset: string;
  /** The isolated position; null for the cross unit. */
  pos: MPosition | null;
}

interface MAccount {
  accountId: number;
  positionMode: PositionMode;
  feeBurn: boolean;
  /** asset → walletBalance W. */
  wallets: Map<string, bigint>;
  /** Explicit per-symbol settings (absent = defaults). */
  settings: Map<string, { leverage: number; marginMode: MarginMode }>;
  positions: MPosition[];
  /** Live orders of the account (resting or taking). */
  orders: MOrder[];
  /** Remembered client order ids, oldest first, with the result of their first command. */
  clientOrderIds: { clientOrderId: string; result: CommandResult }[];
  /** Waiting conditional orders, a plain list in creation (id) order. */
  conditionals: MConditional[];
}

const CLIENT_ORDER_ID_RE = /^[A-Za-z0-9_.:/-]{1,40}$/;
const SIDE_ORDER: Record<PositionSide, number> = { BOTH: 0, LONG: 1, SHORT: 2 };

const big = (n: number): bigint => BigInt(n);
const minNum = (a: number, b: number): number => (a < b ? a : b);
const refuse = (code: ErrorCode, message: string): CommandResult => ({ ok: false, code, message });
const byAsset = (a: { asset: string }, b: { asset: string }): number => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0);
const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

/** Does an order on `side` reduce a position of signed quantity `qty`? (a flat position is reduced by nothing) */
const reduces = (side: Side, qty: number): boolean => (side === 'SELL' && qty > 0) || (side === 'BUY' && qty < 0);

/** Deep copy of plain data (bigint-safe); results handed out must not alias model state. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => clone(v) as unknown) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v);
    return out as T;
  }
  return value;
}

export class ReferenceModel {
  private readonly symbols = new Map<string, MSymbol>();
  private readonly accounts: MAccount[] = [];
  private readonly maxOpenOrders: number;
  private readonly clientOrderIdWindow: number;
  private readonly maxConditionals: number;
  private readonly legsFollowEveryTrade: boolean;
  private cmdSeq = 0;
  /** The trades of the current command, in order, as LAST prices for the trigger pass. */
  private trades: { symbol: string; price: number }[] = [];
  /** Positions filled since the trigger pass last made their legs follow them, in the order of their first fill. */
  private filledPositions: { acc: MAccount; pos: MPosition }[] = [];
  /** The conditional events of the current command, in order. */
  private conditionalEventLog: ModelConditionalEvent[] = [];
  /** The legs the current command liquidated, in order (contracts at the start of the full liquidation). */
  private liquidationLog: ModelLiquidation[] = [];
  /** The current command's funding settlement: the non-zero fee of each position. */
  private fundingSettled: { symbol: string; fees: { accountId: number; positionSide: PositionSide; fee: bigint }[] }[] = [];
  /** Events held back while legs are linked (see linkedEvents). */
  private heldEvents: { c: MConditional; change: ConditionalEvent['change'] }[] | null = null;
  private time = 0;
  private nextOrderId = 1;
  private nextTradeId = 1;
  private nextPriority = 1;
  private readonly fees = new Map<string, bigint>();
  private readonly netDeposits = new Map<string, bigint>();
  private readonly assetPrices = new Map<string, bigint>();
  private readonly insuranceFund = new Map<string, bigint>();

  constructor(options: ModelOptions) {
    for (const spec of options.symbols) {
      const cfg = readSymbolRules(spec);
      this.symbols.set(cfg.symbol, { cfg, k: cfg.k, mark: null, last: null, bookUpdateId: 0, lastFundingRate: 0n, lastFundingTime: null });
    }
    this.maxOpenOrders = options.maxOpenOrdersPerAccount ?? 200;
    this.clientOrderIdWindow = options.clientOrderIdWindow ?? 1000;
    this.maxConditionals = options.maxConditionalOrdersPerAccount ?? 200;
    this.legsFollowEveryTrade = options.engineDeviations?.legsFollowEveryTrade ?? true;
  }

  /** The legs the last command liquidated, in the order the rules liquidate them. */
  liquidations(): ModelLiquidation[] {
    return clone(this.liquidationLog);
  }

  /** The last command's funding fees per position (signed: + received), positions with a zero fee left out. */
  fundingFees(): { accountId: number; symbol: string; positionSide: PositionSide; fee: bigint }[] {
    return this.fundingSettled.flatMap((s) => s.fees.map((f) => ({ accountId: f.accountId, symbol: s.symbol, positionSide: f.positionSide, fee: f.fee })));
  }

  /** The conditional events of the last command, in the order the rules emit them (seq left out). */
  conditionalEvents(): ModelConditionalEvent[] {
    return clone(this.conditionalEventLog);
  }

  // =============================================================================================
  // Commands

  apply(cmd: Command): CommandResult {
    this.cmdSeq += 1;
    // Engine time never runs backwards (rules: Accounts and settings).
    this.time = Math.max(this.time, cmd.time);
    this.trades = [];
    this.filledPositions = [];
    this.conditionalEventLog = [];
    this.liquidationLog = [];
    this.fundingSettled = [];
    const before = [...this.symbols.keys()].map((symbol) => this.levelTotals(symbol));
    const result = this.dispatch(cmd);
    // The trigger pass runs after every accepted command (a refused one changed nothing).
    if (result.ok) this.triggerPass();
    [...this.symbols.values()].forEach((sym, i) => {
      if (this.levelTotals(sym.cfg.symbol) !== before[i]) sym.bookUpdateId += 1;
    });
    return result;
  }

  /** The symbol's aggregated book (price → total per side) as a string, to compare before and after a command. */
  private levelTotals(symbol: string): string {
    const totals = (side: Side): string => {
      const levels = new Map<number, number>();
      for (const o of this.bookSide(symbol, side)) levels.set(o.price, (levels.get(o.price) ?? 0) + o.qty - o.executedQty);
      return [...levels].map(([price, qty]) => `${price}:${qty}`).join(',');
    };
    return `${totals('BUY')}|${totals('SELL')}`;
  }

  private dispatch(cmd: Command): CommandResult {
    switch (cmd.type) {
      case 'createAccount': return this.createAccount();
      case 'deposit': return this.deposit(cmd);
      case 'withdraw': return this.withdraw(cmd);
      case 'setLeverage': return this.setLeverage(cmd);
      case 'setMarginMode': return this.setMarginMode(cmd);
      case 'setPositionMode': return this.setPositionMode(cmd);
      case 'adjustIsolatedMargin': return this.adjustIsolatedMargin(cmd);
      case 'placeOrder': return this.placeOrder(cmd);
      case 'amendOrder': return this.amendOrder(cmd);
      case 'cancelOrder': return this.cancelOrder(cmd);
      case 'cancelAll': return this.cancelAll(cmd);
      case 'setMarkPrice': return this.setMarkPrice(cmd);
      case 'setFeeBurn': return this.setFeeBurn(cmd);
      case 'setAssetPrice': return this.setAssetPrice(cmd);
      case 'settleFunding': return this.settleFunding(cmd);
      case 'setIndexPrice': case 'sampleRisk':
        // Index and samples are not modelled: test/funding checks them on their own.
        throw new Error(`the reference model does not model ${cmd.type}`);
      case 'depositInsurance': return this.depositInsurance(cmd);
      // Risk settings are not generated by the property streams (checked by test/risk instead).
      case 'adjustRiskLimit':
      case 'setAutoDeposit':
      case 'settleDelivery': // delivery contracts: test/engine/delivery.test.ts
        throw new Error(`the reference model does not model ${cmd.type}`);
      case 'placeConditional': return this.placeConditional(cmd);
      case 'amendConditional': return this.amendConditional(cmd);
      case 'cancelConditional': return this.cancelConditional(cmd);
      case 'cancelAllConditionals': return this.cancelAllConditionals(cmd);
      case 'setPositionTpsl': return this.setPositionTpsl(cmd);
    }
  }

  private createAccount(): CommandResult {
    const accountId = this.accounts.length + 1;
    this.accounts.push({
      accountId, positionMode: 'ONE_WAY', feeBurn: false, wallets: new Map(), settings: new Map(), positions: [], orders: [], clientOrderIds: [],
      conditionals: [],
    });
    return { ok: true, kind: 'account', accountId };
  }

  private deposit(cmd: Deposit): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (cmd.amount <= 0n) return refuse('INVALID_ARGUMENT', 'amount must be positive');
    acc.wallets.set(cmd.asset, (acc.wallets.get(cmd.asset) ?? 0n) + cmd.amount);
    this.netDeposits.set(cmd.asset, (this.netDeposits.get(cmd.asset) ?? 0n) + cmd.amount);
    return { ok: true, kind: 'done' };
  }

  private withdraw(cmd: Withdraw): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (cmd.amount <= 0n) return refuse('INVALID_ARGUMENT', 'amount must be positive');
    if (cmd.amount > this.wallet(acc, cmd.asset).availableBalance) return refuse('INSUFFICIENT_BALANCE', 'more than available');
    acc.wallets.set(cmd.asset, (acc.wallets.get(cmd.asset) ?? 0n) - cmd.amount);
    this.netDeposits.set(cmd.asset, (this.netDeposits.get(cmd.asset) ?? 0n) - cmd.amount);
    return { ok: true, kind: 'done' };
  }

  private setLeverage(cmd: SetLeverage): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    if (!isInt(cmd.leverage) || cmd.leverage < 1 || cmd.leverage > sym.cfg.spec.maxLeverage) {
      return refuse('INVALID_ARGUMENT', 'leverage out of range');
    }
    const before = this.setting(acc, cmd.symbol);
    if (before.leverage === cmd.leverage) return { ok: true, kind: 'done' };
    // Risk tiers: the tier the position and its open orders reach bounds the leverage.
    for (const side of ['BOTH', 'LONG', 'SHORT'] as const) {
      if (cmd.leverage > this.maxLeverageAt(acc, cmd.symbol, side)) return refuse('INVALID_ARGUMENT', 'leverage above the risk tier');
    }
    // Try it; cross margin and order margins follow the leverage by derivation, isolated margin
    // is topped up explicitly. Undo everything if it leaves the settle wallet negative.
    const savedIsolated = acc.positions.map((p) => p.isolatedMargin);
    acc.settings.set(cmd.symbol, { ...before, leverage: cmd.leverage });
    if (before.marginMode === 'ISOLATED') {
      for (const pos of acc.positions) {
        if (pos.symbol !== cmd.symbol) continue;
        const initial = ceilDiv(pos.entryCost * sym.k, big(cmd.leverage));
        if (pos.isolatedMargin < initial) pos.isolatedMargin = initial;
      }
    }
    if (this.wallet(acc, sym.cfg.settleAsset).availableBalance < 0n) {
      acc.settings.set(cmd.symbol, before);
      acc.positions.forEach((p, i) => { p.isolatedMargin = savedIsolated[i]!; });
      return refuse('INSUFFICIENT_BALANCE', 'the new margins exceed the available balance');
    }
    return { ok: true, kind: 'done' };
  }

  private setMarginMode(cmd: SetMarginMode): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (!this.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    if (cmd.marginMode !== 'CROSSED' && cmd.marginMode !== 'ISOLATED') return refuse('INVALID_ARGUMENT', 'bad margin mode');
    const before = this.setting(acc, cmd.symbol);
    if (before.marginMode === cmd.marginMode) return { ok: true, kind: 'done' };
    const busy = acc.positions.some((p) => p.symbol === cmd.symbol && p.qty !== 0)
      || acc.orders.some((o) => o.symbol === cmd.symbol);
    if (busy) return refuse('HAS_OPEN_POSITION_OR_ORDER', 'position open or order live');
    // Position records take their mode from the setting (derived), so this changes all of them.
    acc.settings.set(cmd.symbol, { ...before, marginMode: cmd.marginMode });
    return { ok: true, kind: 'done' };
  }

  private setPositionMode(cmd: SetPositionMode): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (cmd.positionMode !== 'ONE_WAY' && cmd.positionMode !== 'HEDGE') return refuse('INVALID_ARGUMENT', 'bad position mode');
    if (acc.positionMode === cmd.positionMode) return { ok: true, kind: 'done' };
    if (acc.positions.some((p) => p.qty !== 0) || acc.orders.length > 0 || acc.conditionals.length > 0) {
      return refuse('HAS_OPEN_POSITION_OR_ORDER', 'position open, order live or conditional order waiting');
    }
    acc.positionMode = cmd.positionMode;
    return { ok: true, kind: 'done' };
  }

  private adjustIsolatedMargin(cmd: AdjustIsolatedMargin): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const pos = acc.positions.find((p) => p.symbol === cmd.symbol && p.positionSide === cmd.positionSide);
    if (!pos || pos.qty === 0 || this.setting(acc, cmd.symbol).marginMode !== 'ISOLATED') {
      return refuse('NO_POSITION', 'no open isolated position');
    }
    if (cmd.amount === 0n) return refuse('INVALID_ARGUMENT', 'amount must not be zero');
    if (cmd.amount > 0n) {
      if (cmd.amount > this.wallet(acc, sym.cfg.settleAsset).availableBalance) return refuse('INSUFFICIENT_BALANCE', 'more than available');
    } else {
      const upnl = this.unrealizedPnl(pos);
      const initial = ceilDiv(pos.entryCost * sym.k, big(this.setting(acc, cmd.symbol).leverage));
      let removable = pos.isolatedMargin + (upnl < 0n ? upnl : 0n) - initial;
      if (removable < 0n) removable = 0n;
      if (-cmd.amount > removable) return refuse('INSUFFICIENT_BALANCE', 'more than removable');
    }
    pos.isolatedMargin += cmd.amount;
    pos.updateTime = this.time;
    return { ok: true, kind: 'done' };
  }

  private depositInsurance(cmd: DepositInsurance): CommandResult {
    if (cmd.amount <= 0n) return refuse('INVALID_ARGUMENT', 'amount must be positive');
    this.insuranceFund.set(cmd.asset, (this.insuranceFund.get(cmd.asset) ?? 0n) + cmd.amount);
    this.netDeposits.set(cmd.asset, (this.netDeposits.get(cmd.asset) ?? 0n) + cmd.amount);
    return { ok: true, kind: 'done' };
  }

  private setMarkPrice(cmd: SetMarkPrice): CommandResult {
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    if (!isInt(cmd.price) || cmd.price < 1 || cmd.price > sym.cfg.spec.maxPriceTicks) return refuse('INVALID_ARGUMENT', 'bad price');
    sym.mark = cmd.price;
    // Every tick, changed or not, runs the risk engine's work for the symbol.
    this.riskTick(sym);
    return { ok: true, kind: 'done' };
  }

  // ---------------------------------------------------------------------------------------------
  // Risk: liquidation on a mark tick (rules: "Risk", "On a mark tick", "Liquidation"). Modelled:
  // which units are liquidated and in what order, the cancels, the full liquidation of tier-1 legs
  // through the book within the band, limited by what the insurance fund can pay, and the clearance.
  // Not modelled (the model throws, so a stream that needs them says so): the tiered partial
  // liquidation (a leg above the first tier) and ADL (what the book cannot take). Warnings only
  // set engine-internal flags (left out of the comparison); auto-deposit is never switched on here.

  /** The risk units (rules: Margin balance) of every account holding an open position on `symbol`, in processing order. */
  private unitsHolding(symbol: string): RiskUnit[] {
    const units: RiskUnit[] = [];
    for (const acc of this.accounts) units.push(...this.unitsOf(acc).filter((u) => this.unitPositions(u).some((p) => p.symbol === symbol)));
    return units;
  }

  /** An account's units: cross per asset (by asset), then its isolated positions (by symbol, side). */
  private unitsOf(acc: MAccount): RiskUnit[] {
    const cross = new Set<string>();
    const isolated: RiskUnit[] = [];
    for (const pos of acc.positions) {
      if (pos.qty === 0) continue;
      const asset = this.symbols.get(pos.symbol)!.cfg.settleAsset;
      if (this.setting(acc, pos.symbol).marginMode === 'CROSSED') cross.add(asset);
      else isolated.push({ acc, asset, pos });
    }
    isolated.sort((a, b) => (a.asset !== b.asset ? (a.asset < b.asset ? -1 : 1) : positionOrder(a.pos!, b.pos!)));
    return [...[...cross].sort().map((asset) => ({ acc, asset, pos: null })), ...isolated];
  }

  /** The unit's open positions, in notice order (symbol name, then BOTH, LONG, SHORT). */
  private unitPositions(unit: RiskUnit): MPosition[] {
    if (unit.pos !== null) return unit.pos.qty !== 0 ? [unit.pos] : [];
    return unit.acc.positions.filter((p) => p.qty !== 0 && this.setting(unit.acc, p.symbol).marginMode === 'CROSSED'
      && this.symbols.get(p.symbol)!.cfg.settleAsset === unit.asset).sort(positionOrder);
  }

  /** Cross wallet: W − isolated margin of the asset. */
  private crossWallet(acc: MAccount, asset: string): bigint {
    const w = this.wallet(acc, asset);
    return w.walletBalance - w.isolatedMargin;
  }

  /** Equity (isolated: margin + uPnL; cross: cross wallet + Σ uPnL) and maintenance (Σ MM at the marks). */
  private unitState(unit: RiskUnit): { equity: bigint; maintenance: bigint } {
    let equity = unit.pos !== null ? unit.pos.isolatedMargin : this.crossWallet(unit.acc, unit.asset);
    let maintenance = 0n;
    for (const p of this.unitPositions(unit)) {
      equity += this.unrealizedPnl(p);
      maintenance += this.positionMaintenance(p);
    }
    return { equity, maintenance };
  }

  private positionMaintenance(p: MPosition): bigint {
    const s = this.symbols.get(p.symbol)!;
    return s.mark === null || p.qty === 0 ? 0n : maintenanceOf(s.cfg.tiers, big(Math.abs(p.qty)) * big(s.mark) * s.k);
  }

  private liquidatable(unit: RiskUnit): boolean {
    const { equity, maintenance } = this.unitState(unit);
    return maintenance > 0n && equity <= maintenance;
  }

  /** Which accounts would be liquidated if the mark of `symbol` became `price` (for the generator; changes nothing). */
  liquidatableAt(symbol: string, price: number): { accountId: number; positionSide: PositionSide; qty: number }[] {
    const sym = this.symbols.get(symbol)!;
    const saved = sym.mark;
    sym.mark = price;
    try {
      return this.unitsHolding(symbol).filter((u) => this.liquidatable(u))
        .flatMap((u) => this.unitPositions(u).filter((p) => p.symbol === symbol).map((p) => ({ accountId: u.acc.accountId, positionSide: p.positionSide, qty: p.qty })));
    } finally {
      sym.mark = saved;
    }
  }

  /**
   * A tick of `sym`: the units holding it, in order (account id, cross before isolated, asset,
   * symbol, side), each liquidated if it is liquidatable when its turn comes; units that a
   * liquidation's fills made liquidatable are examined in the same tick.
   */
  private riskTick(sym: MSymbol): void {
    const same = (a: RiskUnit, b: RiskUnit): boolean => a.acc === b.acc && a.asset === b.asset && a.pos === b.pos;
    const queue = this.unitsHolding(sym.cfg.symbol);
    while (queue.length > 0) {
      const unit = queue.shift()!;
      if (this.unitPositions(unit).length === 0 || !this.liquidatable(unit)) continue;
      const touchedFrom = this.filledPositions.length;
      this.liquidate(unit, sym);
      const touched = new Set(this.filledPositions.slice(touchedFrom).map((x) => x.acc));
      for (const acc of touched) {
        for (const u of this.unitsOf(acc)) {
          if (same(u, unit) || queue.some((q) => same(q, u)) || !this.liquidatable(u)) continue;
          queue.push(u);
        }
      }
      queue.sort(unitOrder);
    }
  }

  private liquidate(unit: RiskUnit, tickSym: MSymbol): void {
    const acc = unit.acc;
    // 1. Cancel orders: isolated — the account's orders on the symbol; cross — on its cross symbols of the asset.
    const victims = acc.orders.filter((o) => (unit.pos !== null
      ? o.symbol === unit.pos.symbol
      : this.setting(acc, o.symbol).marginMode === 'CROSSED' && this.symbols.get(o.symbol)!.cfg.settleAsset === unit.asset))
      .sort((a, b) => a.priority - b.priority);
    for (const o of victims) {
      if (!this.isLive(o)) continue; // an earlier cancel's reallocation ended it
      this.endOrder(o, o.executedQty > 0 ? 'PARTIALLY_CANCELED' : 'CANCELED', 'LIQUIDATION');
      this.reallocate(acc, o.symbol, null);
    }
    // 2. Per symbol: the tick's first, then the others by name while the unit stays liquidatable.
    for (let first = true; ; first = false) {
      const held = this.unitPositions(unit);
      if (held.length === 0 || (!first && !this.liquidatable(unit))) break;
      const symbol = held.some((p) => p.symbol === tickSym.cfg.symbol) ? tickSym.cfg.symbol : held[0]!.symbol;
      const sym = this.symbols.get(symbol)!;
      const legs = held.filter((p) => p.symbol === symbol);
      // 3. Partial: only for a leg whose notional at the mark is above the first tier.
      for (const leg of legs) {
        if (tierIndexOf(sym.cfg.tiers, big(Math.abs(leg.qty)) * big(sym.mark!) * sym.k) > 0) {
          throw new Error(`the reference model does not model partial liquidation (account ${acc.accountId} ${symbol} ${leg.positionSide} is above the first tier)`);
        }
      }
      // 4. Full, per leg.
      const sizes = legs.map((p) => Math.abs(p.qty));
      for (const leg of legs) this.fullLiquidation(unit, sym, leg);
      legs.forEach((leg, i) => {
        if (sizes[i]! > 0) this.liquidationLog.push({ accountId: acc.accountId, symbol, positionSide: leg.positionSide, qty: sizes[i]! });
      });
    }
  }

  /**
   * The leg is taken over at the bankruptcy price: a liquidation order (no fee) takes what the book
   * offers within the band while the fund plus the better fills' surplus covers the worse fills'
   * shortfall; the clearance moves between the wallet and the fund.
   */
  private fullLiquidation(unit: RiskUnit, sym: MSymbol, leg: MPosition): void {
    if (leg.qty === 0) return;
    const acc = unit.acc;
    const bankruptcy = this.bankruptcyTick(unit, sym);
    const selling = leg.qty > 0;
    const band = this.band(sym)!;
    const limit = selling ? band.low : band.high;
    const asset = sym.cfg.settleAsset;
    // How much the book can take.
    const want = Math.abs(leg.qty);
    let net = this.insuranceFund.get(asset) ?? 0n;
    let filled = 0;
    let worst = 0;
    for (const maker of this.bookSide(sym.cfg.symbol, selling ? 'BUY' : 'SELL')) {
      if (selling ? maker.price < limit : maker.price > limit) break;
      if (maker.accountId === acc.accountId) break;
      const per = sym.k * big(selling ? maker.price - bankruptcy : bankruptcy - maker.price);
      let take = minNum(remaining(maker), want - filled);
      if (per < 0n) take = minNum(take, Number(net / -per));
      if (take <= 0) break;
      net += big(take) * per;
      filled += take;
      worst = maker.price;
      if (filled === want) break;
    }
    if (filled > 0) {
      const order: MOrder = {
        ...this.newOrder(acc, {
          type: 'placeOrder', time: this.time, accountId: acc.accountId, symbol: sym.cfg.symbol, side: selling ? 'SELL' : 'BUY',
          positionSide: leg.positionSide, orderType: 'LIMIT', timeInForce: 'IOC', price: worst, qty: filled, reduceOnly: leg.positionSide === 'BOTH',
        }, this.nextOrderId++, null),
        priority: this.nextPriority++, freezePrice: worst, feeFree: true,
      };
      acc.orders.push(order);
      this.takeAndFinish(order, worst);
      if (order.executedQty !== filled) throw new Error(`model: liquidation order ${order.orderId} filled ${order.executedQty} of ${filled}`);
      const atBankruptcy = big(filled) * big(bankruptcy);
      const surplus = sym.k * (selling ? order.cumQuote - atBankruptcy : atBankruptcy - order.cumQuote);
      acc.wallets.set(asset, (acc.wallets.get(asset) ?? 0n) - surplus);
      this.insuranceFund.set(asset, (this.insuranceFund.get(asset) ?? 0n) + surplus);
    }
    if (leg.qty !== 0) {
      throw new Error(`the reference model does not model ADL (account ${acc.accountId} ${sym.cfg.symbol} ${leg.positionSide}: ${Math.abs(leg.qty)} contracts the book did not take)`);
    }
  }

  /**
   * The bankruptcy price in ticks (rules: Liquidation price and bankruptcy price): where the unit's
   * equity is zero, (K Σ σE − E0) / (K Σ σQ) over its legs on the symbol, E0 the isolated margin or
   * the cross wallet plus the other symbols' uPnL; up for a net long, down for a net short, within
   * [1, maxPriceTicks]; the mark with no net quantity; 1 / maxPriceTicks when it is not positive.
   */
  private bankruptcyTick(unit: RiskUnit, sym: MSymbol): number {
    let e0 = unit.pos !== null ? unit.pos.isolatedMargin : this.crossWallet(unit.acc, unit.asset);
    let signedQty = 0n;
    let signedCost = 0n;
    for (const p of this.unitPositions(unit)) {
      if (p.symbol !== sym.cfg.symbol) {
        e0 += this.unrealizedPnl(p);
        continue;
      }
      signedQty += big(p.qty);
      signedCost += p.qty > 0 ? p.entryCost : -p.entryCost;
    }
    const max = sym.cfg.spec.maxPriceTicks;
    if (signedQty === 0n) return sym.mark!;
    const num = sym.k * signedCost - e0;
    const den = sym.k * signedQty;
    // The point is positive when num / den > 0.
    if ((num > 0n) !== (den > 0n) || num === 0n) return signedQty > 0n ? 1 : max;
    const tick = signedQty > 0n ? ceilDiv(num, den) : floorDiv(num, den);
    return Number(tick < 1n ? 1n : tick > big(max) ? big(max) : tick);
  }

  /**
   * Rules "Funding settlement": the rate with no premium sample (symbol-rules.ts), the mark (else the
   * last trade price); payers pay their obligation rounded up, the receivers share the payers' total
   * by largest remainder; an isolated position's margin moves with its fee.
   */
  private settleFunding(cmd: SettleFunding): CommandResult {
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const fundingTime = cmd.fundingTime ?? this.time;
    if (!isInt(fundingTime) || fundingTime < 0 || fundingTime > this.time) return refuse('INVALID_ARGUMENT', 'bad funding time');
    if (sym.lastFundingTime !== null && fundingTime <= sym.lastFundingTime) return refuse('INVALID_ARGUMENT', 'already settled');
    const rate = sym.cfg.fundingRate;
    const mark = sym.mark ?? sym.last;
    // The positions open now, in account id then side order.
    const open = this.accounts.flatMap((acc) => acc.positions.filter((p) => p.symbol === cmd.symbol && p.qty !== 0)
      .sort((a, b) => SIDE_ORDER[a.positionSide] - SIDE_ORDER[b.positionSide]).map((pos) => ({ acc, pos })));
    if (rate !== 0n && mark !== null && open.length > 0) {
      const obligations = open.map(({ pos }) => big(pos.qty) * big(mark) * sym.k * rate);
      const fees = obligations.map((o) => (o > 0n ? -ceilDiv(o, RS) : 0n));
      const total = -fees.reduce((a, b) => a + b, 0n);
      const claims = obligations.reduce((a, o) => (o < 0n ? a - o : a), 0n);
      const remainders: { i: number; r: bigint }[] = [];
      let given = 0n;
      obligations.forEach((o, i) => {
        if (o >= 0n) return;
        fees[i] = floorDiv(total * -o, claims);
        given += fees[i]!;
        remainders.push({ i, r: (total * -o) % claims });
      });
      // Largest remainder first; on equal remainders the earlier position.
      remainders.sort((a, b) => (a.r !== b.r ? (a.r > b.r ? -1 : 1) : a.i - b.i));
      for (let k = 0; given < total; k++, given++) fees[remainders[k]!.i]! += 1n;
      open.forEach(({ acc, pos }, i) => {
        const fee = fees[i]!;
        if (fee === 0n) return;
        acc.wallets.set(sym.cfg.settleAsset, (acc.wallets.get(sym.cfg.settleAsset) ?? 0n) + fee);
        if (this.setting(acc, pos.symbol).marginMode === 'ISOLATED') {
          // A receipt joins the margin; a payment leaves it, the part it cannot cover from the wallet.
          pos.isolatedMargin += fee >= 0n ? fee : (-fee > pos.isolatedMargin ? -pos.isolatedMargin : fee);
        }
        pos.fundingTotal += fee;
        pos.realizedPnlCurrent += fee;
        pos.updateTime = this.time;
      });
      this.fundingSettled.push({ symbol: cmd.symbol, fees: open.map(({ acc, pos }, i) => ({ accountId: acc.accountId, positionSide: pos.positionSide, fee: fees[i]! })).filter((f) => f.fee !== 0n) });
    }
    sym.lastFundingRate = rate;
    sym.lastFundingTime = fundingTime;
    return { ok: true, kind: 'done' };
  }

  private setFeeBurn(cmd: SetFeeBurn): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (typeof cmd.feeBurn !== 'boolean') return refuse('INVALID_ARGUMENT', 'bad flag');
    acc.feeBurn = cmd.feeBurn;
    return { ok: true, kind: 'done' };
  }

  private setAssetPrice(cmd: SetAssetPrice): CommandResult {
    const re = /^[A-Z0-9]{1,16}$/;
    if (!re.test(cmd.asset) || !re.test(cmd.quoteAsset) || cmd.asset === cmd.quoteAsset) return refuse('INVALID_ARGUMENT', 'bad assets');
    if (cmd.price <= 0n || cmd.price > 10n ** 30n) return refuse('INVALID_ARGUMENT', 'bad price');
    this.assetPrices.set(`${cmd.asset}/${cmd.quoteAsset}`, cmd.price);
    return { ok: true, kind: 'done' };
  }

  /** Fee burn (rules: "Fee burn"): the BNB amount paying a settle-asset fee, or null. */
  private burnt(acc: MAccount, settle: string, fee: bigint): bigint | null {
    if (!acc.feeBurn || fee <= 0n || settle === 'BNB') return null;
    const price = this.assetPrices.get(`BNB/${settle}`);
    if (price === undefined || !acc.wallets.has('BNB')) return null;
    const bnb = ceilDiv(fee * 90n * 100_000_000n, 100n * price);
    return this.wallet(acc, 'BNB').availableBalance >= bnb ? bnb : null;
  }

  // ---------------------------------------------------------------------------------------------
  // placeOrder

  private placeOrder(cmd: PlaceOrder): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    // Idempotency comes first, right after the account is found.
    if (cmd.clientOrderId !== undefined) {
      const live = acc.orders.find((o) => o.clientOrderId === cmd.clientOrderId);
      if (live?.placeResult) return { ...clone(live.placeResult), duplicate: true } as CommandResult;
      const first = acc.clientOrderIds.find((c) => c.clientOrderId === cmd.clientOrderId);
      if (first) return { ...clone(first.result), duplicate: true } as CommandResult;
    }
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const invalid = this.invalidPlaceOrder(acc, sym, cmd);
    if (invalid !== null) return refuse('INVALID_ARGUMENT', invalid);
    // Client order ids are unique across live orders and waiting conditional orders.
    if (cmd.clientOrderId !== undefined && acc.conditionals.some((c) => c.clientOrderId === cmd.clientOrderId)) {
      return refuse('INVALID_ARGUMENT', 'a waiting conditional order has this client order id');
    }
    if (cmd.attachTpsl !== undefined) {
      const bad = this.invalidAttach(acc, sym, cmd);
      if (bad !== null) return bad;
    }
    if (acc.orders.length >= this.maxOpenOrders) return refuse('TOO_MANY_OPEN_ORDERS', 'too many open orders');

    const order = this.newOrder(acc, cmd, this.nextOrderId++, null);
    const result = this.runNewOrder(acc, sym, order);
    this.rememberClientId(acc, order, result);
    return result;
  }

  /** Idempotency window: the client order id of a placement that got an order id. */
  private rememberClientId(acc: MAccount, order: MOrder, result: CommandResult): void {
    if (order.clientOrderId === null) return;
    order.placeResult = clone(result);
    acc.clientOrderIds.push({ clientOrderId: order.clientOrderId, result: clone(result) });
    while (acc.clientOrderIds.length > this.clientOrderIdWindow) acc.clientOrderIds.shift();
  }

  /**
   * attachTpsl (rules: Conditional orders): only on an order that opens; the legs checked against
   * the order's price (a market order's: last, else mark); room for two more conditional orders.
   */
  private invalidAttach(acc: MAccount, sym: MSymbol,
    cmd: { side: Side; positionSide: PositionSide; reduceOnly: boolean; orderType: OrderType; price: number; triggerPrice?: number | null; attachTpsl?: AttachTpsl },
    needsRoom = true): CommandResult | null {
    const attach = cmd.attachTpsl!;
    if (attach.mode !== 'FULL' && attach.mode !== 'PARTIAL') return refuse('INVALID_ARGUMENT', 'bad TP/SL mode');
    if (attach.takeProfit === undefined && attach.stopLoss === undefined) return refuse('INVALID_ARGUMENT', 'no TP/SL leg');
    if (this.isClosingKind(acc, cmd)) return refuse('INVALID_ARGUMENT', 'TP/SL attach only to an opening order');
    for (const leg of [attach.takeProfit, attach.stopLoss]) {
      if (leg !== undefined && this.invalidLeg(sym, leg) !== null) return refuse('INVALID_ARGUMENT', this.invalidLeg(sym, leg)!);
    }
    // The price it opens at: a limit price; a plan's market order: its trigger; a market order: last,
    // else mark; none yet: only the legs' own fields are checked (the order itself will be refused).
    const price = cmd.orderType === 'LIMIT' ? cmd.price : cmd.triggerPrice ?? sym.last ?? sym.mark;
    // The legs will close the position this order opens: a BUY's legs fire as a long's.
    const long = cmd.side === 'BUY';
    if (price !== null && attach.takeProfit !== undefined && holds(legDirection('TAKE_PROFIT', long), attach.takeProfit.triggerPrice, price)) {
      return refuse('WOULD_TRIGGER_IMMEDIATELY', 'the take-profit would trigger at the order price');
    }
    if (price !== null && attach.stopLoss !== undefined && holds(legDirection('STOP_LOSS', long), attach.stopLoss.triggerPrice, price)) {
      return refuse('WOULD_TRIGGER_IMMEDIATELY', 'the stop-loss would trigger at the order price');
    }
    if (needsRoom && acc.conditionals.length + 2 > this.maxConditionals) return refuse('TOO_MANY_CONDITIONAL_ORDERS', 'no room for the TP/SL');
    return null;
  }

  /**
   * A TP/SL change before they are armed (rules: amendOrder / amendConditional `tpsl`): a leg given
   * replaces, null removes, absent keeps; the mode is the order's, or the change's when it has none.
   */
  private changedAttach(acc: MAccount, sym: MSymbol, current: AttachTpsl | null, change: TpslChange,
    opening: { side: Side; positionSide: PositionSide; reduceOnly: boolean; orderType: OrderType; price: number; triggerPrice?: number | null }): { attach: AttachTpsl | null } | CommandResult {
    if (change.takeProfit === undefined && change.stopLoss === undefined) return refuse('INVALID_ARGUMENT', 'no TP/SL leg to change');
    const mode = current !== null ? current.mode : change.mode;
    if (mode === undefined) return refuse('INVALID_ARGUMENT', 'a TP/SL mode is needed');
    if (change.mode !== undefined && change.mode !== mode) return refuse('INVALID_ARGUMENT', 'the TP/SL mode cannot change');
    const takeProfit = change.takeProfit === undefined ? current?.takeProfit : change.takeProfit ?? undefined;
    const stopLoss = change.stopLoss === undefined ? current?.stopLoss : change.stopLoss ?? undefined;
    if (takeProfit === undefined && stopLoss === undefined) return { attach: null };
    const attach: AttachTpsl = { mode };
    if (takeProfit !== undefined) attach.takeProfit = takeProfit;
    if (stopLoss !== undefined) attach.stopLoss = stopLoss;
    const bad = this.invalidAttach(acc, sym, { ...opening, attachTpsl: attach }, current === null);
    return bad ?? { attach };
  }

  private invalidPlaceOrder(acc: MAccount, sym: MSymbol, cmd: PlaceOrder): string | null {
    const spec = sym.cfg.spec;
    if (cmd.side !== 'BUY' && cmd.side !== 'SELL') return 'bad side';
    if (cmd.orderType !== 'LIMIT' && cmd.orderType !== 'MARKET') return 'bad order type';
    if (!['GTC', 'IOC', 'FOK', 'GTX'].includes(cmd.timeInForce)) return 'bad time in force';
    if (cmd.stpMode !== undefined && !['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'].includes(cmd.stpMode)) return 'bad stp mode';
    if (!isInt(cmd.qty) || cmd.qty < spec.minQty || cmd.qty > spec.maxQty) return 'bad qty';
    if (cmd.orderType === 'LIMIT' && (!isInt(cmd.price) || cmd.price < 1 || cmd.price > spec.maxPriceTicks)) return 'bad price';
    if (acc.positionMode === 'ONE_WAY' && cmd.positionSide !== 'BOTH') return 'positionSide must be BOTH in one-way mode';
    if (acc.positionMode === 'HEDGE' && cmd.positionSide !== 'LONG' && cmd.positionSide !== 'SHORT') return 'positionSide must be LONG or SHORT in hedge mode';
    if (acc.positionMode === 'HEDGE' && cmd.reduceOnly) return 'reduceOnly is not allowed in hedge mode';
    if (cmd.orderType === 'MARKET' && cmd.timeInForce !== 'IOC' && cmd.timeInForce !== 'FOK') return 'market orders are IOC or FOK';
    if (cmd.clientOrderId !== undefined && !CLIENT_ORDER_ID_RE.test(cmd.clientOrderId)) return 'bad clientOrderId';
    return null;
  }

  private newOrder(acc: MAccount, cmd: PlaceOrder, orderId: number, origin: ConditionalKind | null): MOrder {
    return {
      orderId,
      clientOrderId: cmd.clientOrderId ?? null,
      accountId: acc.accountId,
      symbol: cmd.symbol,
      side: cmd.side,
      positionSide: cmd.positionSide,
      orderType: cmd.orderType,
      timeInForce: cmd.timeInForce,
      price: cmd.orderType === 'MARKET' ? 0 : cmd.price,
      qty: cmd.qty,
      executedQty: 0,
      cumQuote: 0n,
      state: 'NEW',
      reason: 'NONE',
      reduceOnly: cmd.reduceOnly,
      stpMode: cmd.stpMode ?? 'EXPIRE_TAKER',
      marginMode: this.setting(acc, cmd.symbol).marginMode,
      fees: 0n,
      realizedPnl: 0n,
      createTime: this.time,
      updateTime: this.time,
      priority: 0,
      freezePrice: 0,
      resting: false,
      origin,
      conditionalId: origin === null ? null : orderId,
      attach: cmd.attachTpsl ?? null,
      attachedLegs: null,
      feeFree: false,
    };
  }

  /** The checks of the placeOrder table, then acceptance and matching. */
  private runNewOrder(acc: MAccount, sym: MSymbol, order: MOrder): CommandResult {
    const done = (): CommandResult => ({ ok: true, kind: 'order', order: this.snapshotOrder(order), duplicate: false });
    const fail = (state: OrderState, reason: OrderReason): CommandResult => {
      order.state = state;
      order.reason = reason;
      return done();
    };
    const band = this.band(sym);
    // 1. market without a reference price
    if (order.orderType === 'MARKET' && band === null) return fail('REJECTED', 'NO_REFERENCE_PRICE');
    // 2. limit outside the band
    if (order.orderType === 'LIMIT' && band !== null
      && ((order.side === 'BUY' && order.price > band.high) || (order.side === 'SELL' && order.price < band.low))) {
      return fail('REJECTED', 'PRICE_OUTSIDE_BAND');
    }
    // The worst price the order accepts: its limit, or for a market order the band price.
    const limit = order.orderType === 'LIMIT' ? order.price : order.side === 'BUY' ? band!.high : band!.low;
    const bestBid = this.bestPrice(sym.cfg.symbol, 'BUY');
    const bestAsk = this.bestPrice(sym.cfg.symbol, 'SELL');
    // 3. post-only would take (own orders count)
    if (order.timeInForce === 'GTX'
      && ((order.side === 'BUY' && bestAsk !== null && order.price >= bestAsk)
        || (order.side === 'SELL' && bestBid !== null && order.price <= bestBid))) {
      return fail('REJECTED', 'POST_ONLY_WOULD_TAKE');
    }
    // 4. reduce-only / closing order beyond the free closing capacity
    const target = this.targetSide(acc, order);
    const pos = this.positionOrZero(acc, order.symbol, target);
    const totals = this.positionOrderTotals(acc, order.symbol, target);
    const free = reduces(order.side, pos.qty) ? Math.abs(pos.qty) - totals.closeOrderQty : 0;
    if (this.isClosingKind(acc, order) && order.qty > free) return fail('REJECTED', 'REDUCE_ONLY_WOULD_INCREASE');
    const closeQty = minNum(order.qty, Math.max(free, 0));
    const open = order.qty - closeQty;
    // 5. position limit
    if (Math.abs(pos.qty) + totals.openOrderQty + open > sym.cfg.spec.maxPositionQty) return fail('REJECTED', 'POSITION_LIMIT');
    // 5b. the risk tier the position and its orders would reach must allow the leverage
    const worst = order.side === 'BUY' ? limit : Math.max(limit, bestBid ?? 0);
    if (open > 0 && this.setting(acc, order.symbol).leverage > this.maxLeverageAt(acc, order.symbol, target, { side: order.side, open, price: worst })) {
      return fail('REJECTED', 'RISK_LIMIT');
    }
    // 6. fill or kill
    if (order.timeInForce === 'FOK' && this.fokFillable(order, limit) < order.qty) return fail('EXPIRED', 'FOK_NOT_FILLABLE');
    // 7. margin, at the worst price the order can fill at now
    const freezePrice = order.side === 'BUY' ? limit : Math.max(limit, bestBid ?? 0);
    const needed = big(open) * this.perContract(acc, sym, freezePrice);
    if (open > 0 && needed > this.wallet(acc, sym.cfg.settleAsset).availableBalance) return fail('REJECTED', 'INSUFFICIENT_MARGIN');

    // Accepted: the order is live (not yet resting) and takes the next priority.
    order.priority = this.nextPriority++;
    order.freezePrice = freezePrice;
    acc.orders.push(order);
    this.ensurePosition(acc, order.symbol, target);
    this.reallocate(acc, order.symbol, order.orderId);

    this.takeAndFinish(order, limit);
    return done();
  }

  /** Matching, then the remainder rests (GTC, GTX) or expires (with the reason of the rules). */
  private takeAndFinish(taker: MOrder, limit: number): void {
    const acc = this.account(taker.accountId)!;
    const stopped = this.takeLiquidity(taker, limit);
    if (!this.isLive(taker)) return; // filled (or, defensively, ended by reallocation)
    let reason: OrderReason | null = null;
    if (stopped) reason = 'SELF_TRADE_PREVENTION';
    else if (taker.orderType === 'MARKET') reason = 'MARKET_REMAINDER';
    else if (taker.timeInForce === 'IOC') reason = 'IOC_REMAINDER';
    else if (taker.timeInForce === 'FOK') reason = 'FOK_NOT_FILLABLE';
    if (reason !== null) {
      this.endOrder(taker, 'EXPIRED', reason);
    } else {
      taker.resting = true;
      taker.freezePrice = taker.price;
    }
    this.reallocate(acc, taker.symbol, null);
  }

  /**
   * Price-time matching of `taker` against the book up to `limit`.
   * Returns true when self-trade prevention ended the taking.
   */
  private takeLiquidity(taker: MOrder, limit: number): boolean {
    const sym = this.symbols.get(taker.symbol)!;
    while (this.isLive(taker) && remaining(taker) > 0) {
      const maker = this.bookSide(taker.symbol, opposite(taker.side))[0];
      if (!maker || !crosses(taker.side, maker.price, limit)) return false;
      if (maker.accountId === taker.accountId) {
        if (taker.stpMode === 'EXPIRE_TAKER') return true;
        const acc = this.account(maker.accountId)!;
        this.endOrder(maker, 'EXPIRED', 'SELF_TRADE_PREVENTION');
        this.reallocate(acc, maker.symbol, taker.orderId);
        if (taker.stpMode === 'EXPIRE_BOTH') return true;
        continue;
      }
      const q = minNum(remaining(maker), remaining(taker));
      const p = maker.price;
      this.nextTradeId += 1;
      this.trades.push({ symbol: taker.symbol, price: p });
      this.fill(maker, q, p, sym.cfg.makerFeeRate, taker.orderId);
      this.fill(taker, q, p, taker.feeFree ? 0n : sym.cfg.takerFeeRate, taker.orderId);
    }
    return false;
  }

  /** One side of a fill (rules: "A fill"), then that position's reallocation. */
  private fill(order: MOrder, q: number, p: number, rate: bigint, takerId: number): void {
    const acc = this.account(order.accountId)!;
    const sym = this.symbols.get(order.symbol)!;
    const k = sym.k;
    const isolated = this.setting(acc, order.symbol).marginMode === 'ISOLATED';
    const leverage = big(this.setting(acc, order.symbol).leverage);
    const pos = this.ensurePosition(acc, order.symbol, this.targetSide(acc, order));

    // 1. split into closing r and opening o
    const r = reduces(order.side, pos.qty) ? minNum(q, Math.abs(pos.qty)) : 0;
    const o = q - r;
    // 2. close r, then open o (one-way positions flip through zero)
    let pnl = 0n;
    if (r > 0) {
      const abs = Math.abs(pos.qty);
      const costReleased = r === abs ? pos.entryCost : floorDiv(pos.entryCost * big(r), big(abs));
      const atPrice = big(r) * big(p);
      pnl = pos.qty > 0 ? k * (atPrice - costReleased) : k * (costReleased - atPrice);
      if (isolated) {
        pos.isolatedMargin -= r === abs ? pos.isolatedMargin : floorDiv(pos.isolatedMargin * big(r), big(abs));
      }
      pos.entryCost -= costReleased;
      pos.qty += pos.qty > 0 ? -r : r;
    }
    if (o > 0) {
      if (pos.qty === 0) {
        pos.openTime = this.time;
        pos.realizedPnlCurrent = 0n;
        pos.feesCurrent = 0n;
        pos.fundingTotal = 0n;
      }
      pos.entryCost += big(o) * big(p);
      if (isolated) pos.isolatedMargin += ceilDiv(big(o) * big(p) * k, leverage);
      pos.qty += order.side === 'BUY' ? o : -o;
    }
    // 3. fee and bookkeeping
    const settleFee = ceilDiv(big(q) * big(p) * k * rate, RS);
    const asset = sym.cfg.settleAsset;
    const bnb = this.burnt(acc, asset, settleFee);
    const fee = bnb === null ? settleFee : 0n;
    if (bnb !== null) {
      acc.wallets.set('BNB', acc.wallets.get('BNB')! - bnb);
      this.fees.set('BNB', (this.fees.get('BNB') ?? 0n) + bnb);
    }
    acc.wallets.set(asset, (acc.wallets.get(asset) ?? 0n) + pnl - fee);
    this.fees.set(asset, (this.fees.get(asset) ?? 0n) + fee);
    pos.realizedPnlTotal += pnl;
    // a flip: the new position starts with the fee share of its opening part, floor(fee × r / q) going to the closed one
    const flip = r > 0 && o > 0;
    if (flip) pos.realizedPnlCurrent = -(fee - floorDiv(fee * big(r), big(q)));
    else pos.realizedPnlCurrent += pnl - fee;
    pos.feesTotal += fee;
    pos.feesCurrent += flip ? fee - floorDiv(fee * big(r), big(q)) : fee;
    order.executedQty += q;
    order.cumQuote += big(q) * big(p);
    order.fees += fee;
    order.realizedPnl += pnl;
    order.updateTime = this.time;
    if (order.executedQty === order.qty) {
      order.state = 'FILLED';
      this.removeLive(order);
    } else {
      order.state = 'PARTIALLY_FILLED';
    }
    // 4. last price, reallocation. A position's updateTime is the time of its creation, last fill or
    // margin transfer (the rules do not define it; this is what the engine does).
    pos.updateTime = this.time;
    if (!this.filledPositions.some((x) => x.pos === pos)) this.filledPositions.push({ acc, pos });
    sym.last = p;
    this.reallocate(acc, order.symbol, takerId);
    if (order.attach !== null) this.attachOnFill(acc, order, pos, q);
  }

  // ---------------------------------------------------------------------------------------------
  // amendOrder, cancelOrder, cancelAll

  private amendOrder(cmd: AmendOrder): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const order = this.findLive(acc, cmd);
    if (!order) return refuse('UNKNOWN_ORDER', 'no such live order');
    const spec = sym.cfg.spec;
    if (cmd.price !== undefined && (!isInt(cmd.price) || cmd.price < 1 || cmd.price > spec.maxPriceTicks)) {
      return refuse('INVALID_ARGUMENT', 'bad price');
    }
    if (cmd.qty !== undefined
      && (!isInt(cmd.qty) || cmd.qty < spec.minQty || cmd.qty > spec.maxQty || cmd.qty <= order.executedQty)) {
      return refuse('INVALID_ARGUMENT', 'bad qty');
    }
    const newPrice = cmd.price ?? order.price;
    const newQty = cmd.qty ?? order.qty;
    // The TP/SL it will arm can change (or is checked again at a new price) until a fill armed them.
    const opening = { side: order.side, positionSide: order.positionSide, reduceOnly: order.reduceOnly, orderType: order.orderType, price: newPrice };
    let attach = order.attach;
    if (cmd.tpsl !== undefined) {
      if (order.attachedLegs !== null) return refuse('ORDER_NOT_AMENDABLE', 'its TP/SL are armed already');
      const changed = this.changedAttach(acc, sym, order.attach, cmd.tpsl, opening);
      if ('ok' in changed) return changed;
      attach = changed.attach;
    } else if (attach !== null && order.attachedLegs === null && newPrice !== order.price) {
      const bad = this.invalidAttach(acc, sym, { ...opening, attachTpsl: attach }, false);
      if (bad !== null) return bad;
    }
    if (newPrice === order.price && newQty === order.qty) {
      if (sameAttach(attach, order.attach)) return refuse('NO_CHANGE', 'nothing would change');
      order.attach = attach;
      order.updateTime = this.time;
      return { ok: true, kind: 'order', order: this.snapshotOrder(order), duplicate: false };
    }
    const priceChanged = newPrice !== order.price;
    const band = this.band(sym);
    // "the price is outside the band": the amended order's price, changed or not (a quantity-only
    // amendment of an order the mark has moved away from is refused too).
    if (band !== null
      && ((order.side === 'BUY' && newPrice > band.high) || (order.side === 'SELL' && newPrice < band.low))) {
      return refuse('ORDER_NOT_AMENDABLE', 'price outside the band');
    }
    const bestOpposite = this.bestPrice(order.symbol, opposite(order.side));
    const wouldCross = bestOpposite !== null && crosses(order.side, bestOpposite, newPrice);
    if (order.timeInForce === 'GTX' && wouldCross) return refuse('ORDER_NOT_AMENDABLE', 'post-only would take');

    // Try the amendment; undo it if the new allocation breaks a closing order or the margin.
    const saved = { price: order.price, qty: order.qty, priority: order.priority, freezePrice: order.freezePrice };
    const losesPriority = priceChanged || newQty > order.qty;
    order.price = newPrice;
    order.qty = newQty;
    order.freezePrice = newPrice;
    if (losesPriority) order.priority = this.nextPriority++;
    const broken = this.firstShortfall(acc, order.symbol) !== null
      || this.wallet(acc, sym.cfg.settleAsset).availableBalance < 0n
      || this.setting(acc, order.symbol).leverage > this.maxLeverageAt(acc, order.symbol, this.targetSide(acc, order));
    if (broken) {
      Object.assign(order, saved);
      return refuse('ORDER_NOT_AMENDABLE', 'capacity or margin');
    }
    order.attach = attach;
    order.updateTime = this.time;
    this.reallocate(acc, order.symbol, null);
    if (order.timeInForce === 'GTC' && wouldCross) {
      order.resting = false;
      this.takeAndFinish(order, order.price);
    }
    return { ok: true, kind: 'order', order: this.snapshotOrder(order), duplicate: false };
  }

  private cancelOrder(cmd: CancelOrder): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (!this.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const order = this.findLive(acc, cmd);
    if (!order) return refuse('UNKNOWN_ORDER', 'no such live order');
    this.userCancel(acc, order);
    return { ok: true, kind: 'order', order: this.snapshotOrder(order), duplicate: false };
  }

  private cancelAll(cmd: CancelAll): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (!this.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const victims = acc.orders.filter((o) => o.symbol === cmd.symbol).sort((a, b) => a.priority - b.priority);
    const orders: OrderSnapshot[] = [];
    for (const order of victims) {
      if (!this.isLive(order)) continue;
      this.userCancel(acc, order);
      orders.push(this.snapshotOrder(order));
    }
    return { ok: true, kind: 'orders', orders };
  }

  private userCancel(acc: MAccount, order: MOrder): void {
    this.endOrder(order, order.executedQty > 0 ? 'PARTIALLY_CANCELED' : 'CANCELED', 'USER_CANCELED');
    this.reallocate(acc, order.symbol, null);
  }

  private findLive(acc: MAccount, ref: { symbol: string; orderId?: number; clientOrderId?: string }): MOrder | undefined {
    return acc.orders.find((o) => o.symbol === ref.symbol
      && (ref.orderId !== undefined ? o.orderId === ref.orderId : o.clientOrderId === ref.clientOrderId));
  }

  // =============================================================================================
  // Conditional orders (rules: "Conditional orders"). Waiting ones are a plain list per account;
  // the trigger pass scans it.

  private static readonly SOURCES: readonly TriggerSource[] = ['LAST', 'MARK', 'INDEX'];

  private validPrice(sym: MSymbol, price: unknown): boolean {
    return isInt(price) && price >= 1 && price <= sym.cfg.spec.maxPriceTicks;
  }

  /** The current price of a trigger source (the model has no index: INDEX never has a price). */
  private sourcePrice(sym: MSymbol, source: TriggerSource): number | null {
    if (source === 'LAST') return sym.last;
    if (source === 'MARK') return sym.mark;
    return null;
  }

  private invalidLeg(sym: MSymbol, leg: TpslLeg): string | null {
    if (leg === null || typeof leg !== 'object') return 'bad TP/SL leg';
    if (!this.validPrice(sym, leg.triggerPrice)) return 'bad trigger price';
    if (!ReferenceModel.SOURCES.includes(leg.triggerSource)) return 'bad trigger source';
    if (leg.orderType !== 'LIMIT' && leg.orderType !== 'MARKET') return 'bad order type';
    if (leg.orderType === 'LIMIT' && !this.validPrice(sym, leg.price)) return 'bad limit price';
    return null;
  }

  private allWaiting(): MConditional[] {
    return this.accounts.flatMap((a) => a.conditionals);
  }

  private findConditional(acc: MAccount, ref: { symbol: string; conditionalId?: number; clientOrderId?: string }): MConditional | undefined {
    return acc.conditionals.find((c) => c.symbol === ref.symbol
      && (ref.conditionalId !== undefined ? c.conditionalId === ref.conditionalId : c.clientOrderId === ref.clientOrderId));
  }

  /** The position's FULL leg of a kind (TAKE_PROFIT, STOP_LOSS, or its trailing stop), if one waits. */
  private fullLeg(acc: MAccount, symbol: string, positionSide: PositionSide, kind: ConditionalKind): MConditional | undefined {
    return acc.conditionals.find((c) => c.tpslMode === 'FULL' && c.kind === kind && c.symbol === symbol && c.positionSide === positionSide);
  }

  private emitConditional(c: MConditional, change: ConditionalEvent['change']): number {
    if (this.heldEvents !== null && change === 'NEW') {
      this.heldEvents.push({ c, change });
      return -1;
    }
    this.conditionalEventLog.push({ accountId: c.accountId, change, conditional: snapshotConditional(c) });
    return this.conditionalEventLog.length - 1;
  }

  /**
   * Runs `change` holding back the NEW events of the orders it creates, then emits them in order
   * with the orders as they then stand: legs created together show each other as partners (ocoId).
   * Other events (AMENDED, CANCELED) are emitted as they happen, with the order as it stands then
   * (what the engine does; the rules do not say when an event's snapshot is taken: a FULL leg
   * amended in the same command that creates its new partner shows its previous partner's id).
   */
  private linkedEvents(change: () => void): void {
    this.heldEvents = [];
    change();
    const held = this.heldEvents;
    this.heldEvents = null;
    for (const { c, change: what } of held) this.emitConditional(c, what);
  }

  /** A waiting order ends: it leaves the list, with one event. */
  private endConditional(c: MConditional, state: ConditionalState, reason: ConditionalReason): void {
    const acc = this.account(c.accountId)!;
    acc.conditionals = acc.conditionals.filter((x) => x !== c);
    c.state = state;
    c.reason = reason;
    c.updateTime = this.time;
    this.emitConditional(c, state === 'EXPIRED' ? 'EXPIRED' : state === 'CANCELED' ? 'CANCELED' : state === 'REJECTED' ? 'REJECTED' : 'TRIGGERED');
  }

  /** A new waiting conditional order; it takes the next order id and starts watching after the command's trades. */
  private addConditional(acc: MAccount, fields: Omit<MConditional, 'conditionalId' | 'pairId' | 'marginMode' | 'accountId' | 'state' | 'reason' | 'orderId' | 'triggeredPrice' | 'createTime' | 'updateTime' | 'watching'>): MConditional {
    const id = this.nextOrderId++;
    const c: MConditional = {
      ...fields,
      conditionalId: id,
      pairId: id,
      marginMode: this.setting(acc, fields.symbol).marginMode,
      accountId: acc.accountId,
      state: 'WAITING',
      reason: 'NONE',
      orderId: null,
      triggeredPrice: null,
      createTime: this.time,
      updateTime: this.time,
      watching: false,
    };
    acc.conditionals.push(c);
    this.emitConditional(c, 'NEW');
    return c;
  }

  /** A take-profit or stop-loss leg of the position on (symbol, positionSide), long or short. */
  private newLeg(acc: MAccount, symbol: string, positionSide: PositionSide, long: boolean, kind: 'TAKE_PROFIT' | 'STOP_LOSS', leg: TpslLeg,
    mode: TpslMode, qty: number, expireTime: number | null): MConditional {
    return this.addConditional(acc, {
      clientOrderId: null, symbol, kind, side: long ? 'SELL' : 'BUY', positionSide,
      triggerSource: leg.triggerSource, triggerDirection: legDirection(kind, long), fixedTrigger: leg.triggerPrice,
      orderType: leg.orderType, price: leg.orderType === 'LIMIT' ? leg.price! : 0, timeInForce: leg.orderType === 'LIMIT' ? 'GTC' : 'IOC',
      qty, reduceOnly: acc.positionMode === 'ONE_WAY', closePosition: false, tpslMode: mode, ocoId: null,
      activationPrice: null, callbackRate: null, callbackAmount: null, activated: false, extremePrice: null,
      stpMode: 'EXPIRE_TAKER', expireTime, attach: null,
    });
  }

  /** A FULL leg's trigger, source and order differ from the leg given? */
  private static legDiffers(c: MConditional, leg: TpslLeg): boolean {
    return c.fixedTrigger !== leg.triggerPrice || c.triggerSource !== leg.triggerSource || c.orderType !== leg.orderType
      || c.price !== (leg.orderType === 'LIMIT' ? leg.price : 0);
  }

  /**
   * Sets a FULL take-profit or stop-loss leg of a position: replaces the existing one in place
   * (same id, AMENDED) or creates it. Returns the leg when something changed.
   */
  private setFullLeg(acc: MAccount, symbol: string, positionSide: PositionSide, long: boolean, kind: 'TAKE_PROFIT' | 'STOP_LOSS',
    leg: TpslLeg, expireTime: number | null): MConditional | null {
    const existing = this.fullLeg(acc, symbol, positionSide, kind);
    if (!existing) return this.newLeg(acc, symbol, positionSide, long, kind, leg, 'FULL', 0, expireTime);
    if (!ReferenceModel.legDiffers(existing, leg)) return null;
    existing.fixedTrigger = leg.triggerPrice;
    existing.triggerSource = leg.triggerSource;
    existing.orderType = leg.orderType;
    existing.price = leg.orderType === 'LIMIT' ? leg.price! : 0;
    existing.timeInForce = leg.orderType === 'LIMIT' ? 'GTC' : 'IOC';
    existing.updateTime = this.time;
    existing.watching = false;
    this.emitConditional(existing, 'AMENDED');
    return existing;
  }

  /**
   * The FULL take-profit and stop-loss of a position are one-cancels-the-other partners. A leg
   * whose partner ended keeps its id as ocoId until it gets a new partner (the rules do not say
   * what a lone leg's ocoId is; this is what the engine shows, and a partner that no longer waits
   * is never cancelled, so it changes nothing).
   */
  private linkFullLegs(acc: MAccount, symbol: string, positionSide: PositionSide): void {
    const tp = this.fullLeg(acc, symbol, positionSide, 'TAKE_PROFIT');
    const sl = this.fullLeg(acc, symbol, positionSide, 'STOP_LOSS');
    if (tp && sl) partner(tp, sl);
  }

  private placeConditional(cmd: PlaceConditional): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    // A retry with the client id of a waiting conditional order answers that one.
    if (cmd.clientOrderId !== undefined) {
      const waiting = acc.conditionals.find((c) => c.clientOrderId === cmd.clientOrderId);
      if (waiting) return { ok: true, kind: 'conditional', conditional: snapshotConditional(waiting), duplicate: true };
    }
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const invalid = this.invalidConditional(acc, sym, cmd);
    if (invalid !== null) return refuse('INVALID_ARGUMENT', invalid);
    if (cmd.clientOrderId !== undefined && acc.orders.some((o) => o.clientOrderId === cmd.clientOrderId)) {
      return refuse('INVALID_ARGUMENT', 'a live order has this client order id');
    }
    // Its TP/SL are checked now, against its limit price (a market order: its trigger); the room for them when its order is placed.
    if (cmd.attachTpsl !== undefined) {
      const bad = this.invalidAttach(acc, sym, { ...cmd, triggerPrice: cmd.kind === 'PLAN' ? cmd.triggerPrice : undefined }, false);
      if (bad !== null) return bad;
    }
    if (acc.conditionals.length + 1 > this.maxConditionals) return refuse('TOO_MANY_CONDITIONAL_ORDERS', 'too many conditional orders');
    const current = this.sourcePrice(sym, cmd.triggerSource);
    const trailing = cmd.kind === 'TRAILING';
    let direction: TriggerDirection;
    let activated = false;
    let extremePrice: number | null = null;
    if (!trailing) {
      direction = cmd.triggerDirection!;
      // Unless triggerIfHolding: then it is created and fires in this command's trigger pass (step 5).
      if (current !== null && holds(direction, cmd.triggerPrice!, current) && cmd.triggerIfHolding !== true) {
        return refuse('WOULD_TRIGGER_IMMEDIATELY', 'the condition already holds');
      }
    } else {
      // A SELL trails the highest price and fires on a fall; a BUY the lowest and fires on a rise.
      direction = cmd.side === 'SELL' ? 'FALL' : 'RISE';
      if (cmd.activationPrice === undefined) {
        if (current === null) return refuse('INVALID_ARGUMENT', 'no price to arm the trailing stop at');
        activated = true;
        extremePrice = current;
      }
    }
    const closing = cmd.closePosition;
    const c = this.addConditional(acc, {
      clientOrderId: cmd.clientOrderId ?? null, symbol: cmd.symbol, kind: cmd.kind, side: cmd.side, positionSide: cmd.positionSide,
      triggerSource: cmd.triggerSource, triggerDirection: direction, fixedTrigger: trailing ? null : cmd.triggerPrice!,
      orderType: cmd.orderType, price: cmd.orderType === 'LIMIT' ? cmd.price : 0, timeInForce: cmd.orderType === 'MARKET' ? 'IOC' : cmd.timeInForce,
      qty: closing ? 0 : cmd.qty, reduceOnly: closing ? acc.positionMode === 'ONE_WAY' : cmd.reduceOnly, closePosition: closing,
      tpslMode: null, ocoId: null,
      activationPrice: trailing ? cmd.activationPrice ?? null : null, callbackRate: trailing ? cmd.callbackRate ?? null : null,
      callbackAmount: trailing ? cmd.callbackAmount ?? null : null, activated, extremePrice,
      stpMode: cmd.stpMode ?? 'EXPIRE_TAKER', expireTime: cmd.expireTime ?? null, attach: cmd.attachTpsl ?? null,
    });
    return { ok: true, kind: 'conditional', conditional: snapshotConditional(c), duplicate: false };
  }

  private invalidConditional(acc: MAccount, sym: MSymbol, cmd: PlaceConditional): string | null {
    const spec = sym.cfg.spec;
    if (cmd.kind !== 'PLAN' && cmd.kind !== 'TRAILING') return 'bad kind';
    if (cmd.side !== 'BUY' && cmd.side !== 'SELL') return 'bad side';
    if (cmd.orderType !== 'LIMIT' && cmd.orderType !== 'MARKET') return 'bad order type';
    if (!['GTC', 'IOC', 'FOK', 'GTX'].includes(cmd.timeInForce)) return 'bad time in force';
    if (cmd.orderType === 'MARKET' && cmd.timeInForce !== 'IOC') return 'a market conditional order is IOC';
    if (cmd.orderType === 'LIMIT' && !this.validPrice(sym, cmd.price)) return 'bad price';
    if (!ReferenceModel.SOURCES.includes(cmd.triggerSource)) return 'bad trigger source';
    if (cmd.stpMode !== undefined && !['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'].includes(cmd.stpMode)) return 'bad stp mode';
    if (acc.positionMode === 'ONE_WAY' && cmd.positionSide !== 'BOTH') return 'positionSide must be BOTH in one-way mode';
    if (acc.positionMode === 'HEDGE' && cmd.positionSide !== 'LONG' && cmd.positionSide !== 'SHORT') return 'positionSide must be LONG or SHORT in hedge mode';
    if (acc.positionMode === 'HEDGE' && cmd.reduceOnly) return 'reduceOnly is not allowed in hedge mode';
    if (typeof cmd.closePosition !== 'boolean') return 'bad closePosition';
    if (cmd.closePosition) {
      if (cmd.qty !== 0) return 'closePosition takes qty 0';
      if (acc.positionMode === 'HEDGE' && !this.isClosingKind(acc, { ...cmd, reduceOnly: false })) return 'closePosition is on the closing side';
    } else if (!isInt(cmd.qty) || cmd.qty < spec.minQty || cmd.qty > spec.maxQty) {
      return 'bad qty';
    }
    if (cmd.kind === 'PLAN') {
      if (!this.validPrice(sym, cmd.triggerPrice)) return 'bad trigger price';
      if (cmd.triggerDirection !== 'RISE' && cmd.triggerDirection !== 'FALL') return 'bad trigger direction';
      if (cmd.callbackRate !== undefined || cmd.callbackAmount !== undefined || cmd.activationPrice !== undefined) return 'plan orders have no callback';
      if (cmd.triggerIfHolding !== undefined && typeof cmd.triggerIfHolding !== 'boolean') return 'bad triggerIfHolding';
    } else {
      if ((cmd.callbackRate === undefined) === (cmd.callbackAmount === undefined)) return 'exactly one of callbackRate, callbackAmount';
      if (cmd.callbackRate !== undefined && (typeof cmd.callbackRate !== 'bigint' || cmd.callbackRate <= 0n || cmd.callbackRate >= RS)) return 'bad callback rate';
      if (cmd.callbackAmount !== undefined && !this.validPrice(sym, cmd.callbackAmount)) return 'bad callback amount';
      if (cmd.activationPrice !== undefined && !this.validPrice(sym, cmd.activationPrice)) return 'bad activation price';
    }
    if (cmd.clientOrderId !== undefined && !CLIENT_ORDER_ID_RE.test(cmd.clientOrderId)) return 'bad clientOrderId';
    if (cmd.expireTime !== undefined && (!isInt(cmd.expireTime) || cmd.expireTime <= this.time)) return 'expireTime must be in the future';
    return null;
  }

  private setPositionTpsl(cmd: SetPositionTpsl): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    if (acc.positionMode === 'ONE_WAY' ? cmd.positionSide !== 'BOTH' : cmd.positionSide !== 'LONG' && cmd.positionSide !== 'SHORT') {
      return refuse('INVALID_ARGUMENT', 'bad position side');
    }
    if (cmd.mode !== 'FULL' && cmd.mode !== 'PARTIAL') return refuse('INVALID_ARGUMENT', 'bad mode');
    const pos = acc.positions.find((p) => p.symbol === cmd.symbol && p.positionSide === cmd.positionSide);
    if (!pos || pos.qty === 0) return refuse('NO_POSITION', 'the position holds no contracts');
    const long = pos.qty > 0;
    for (const leg of [cmd.takeProfit, cmd.stopLoss]) {
      if (leg !== undefined && leg !== null && this.invalidLeg(sym, leg) !== null) return refuse('INVALID_ARGUMENT', this.invalidLeg(sym, leg)!);
    }
    const trailingStop = cmd.trailingStop;
    if (trailingStop !== undefined && trailingStop !== null) {
      if (!this.validPrice(sym, trailingStop.distance)) return refuse('INVALID_ARGUMENT', 'bad trailing distance');
      if (trailingStop.activationPrice !== undefined && !this.validPrice(sym, trailingStop.activationPrice)) return refuse('INVALID_ARGUMENT', 'bad activation price');
      if (!ReferenceModel.SOURCES.includes(trailingStop.triggerSource)) return refuse('INVALID_ARGUMENT', 'bad trigger source');
    }
    if (cmd.expireTime !== undefined && (!isInt(cmd.expireTime) || cmd.expireTime <= this.time)) return refuse('INVALID_ARGUMENT', 'expireTime must be in the future');
    if (cmd.mode === 'PARTIAL') {
      if (cmd.takeProfit === null || cmd.stopLoss === null || trailingStop !== undefined) return refuse('INVALID_ARGUMENT', 'PARTIAL creates legs only');
      if (cmd.takeProfit === undefined && cmd.stopLoss === undefined) return refuse('INVALID_ARGUMENT', 'no leg');
      if (!isInt(cmd.qty) || cmd.qty < 1 || cmd.qty > Math.abs(pos.qty)) return refuse('INVALID_ARGUMENT', 'PARTIAL qty is at most the position');
    } else if (cmd.qty !== undefined) {
      return refuse('INVALID_ARGUMENT', 'FULL legs take the whole position');
    }
    // A leg whose condition already holds would trigger immediately.
    const holdsNow = (kind: 'TAKE_PROFIT' | 'STOP_LOSS', leg: TpslLeg | null | undefined): boolean => {
      if (leg === undefined || leg === null) return false;
      const current = this.sourcePrice(sym, leg.triggerSource);
      return current !== null && holds(legDirection(kind, long), leg.triggerPrice, current);
    };
    if (holdsNow('TAKE_PROFIT', cmd.takeProfit) || holdsNow('STOP_LOSS', cmd.stopLoss)) return refuse('WOULD_TRIGGER_IMMEDIATELY', 'the condition already holds');
    if (trailingStop && trailingStop.activationPrice === undefined && this.sourcePrice(sym, trailingStop.triggerSource) === null) {
      return refuse('INVALID_ARGUMENT', 'no price to arm the trailing stop at');
    }
    if (cmd.mode === 'PARTIAL') {
      if (acc.conditionals.length + (cmd.takeProfit ? 1 : 0) + (cmd.stopLoss ? 1 : 0) > this.maxConditionals) {
        return refuse('TOO_MANY_CONDITIONAL_ORDERS', 'too many conditional orders');
      }
    } else {
      // FULL: what would change (a given leg that differs or is new, a null that cancels one, any trailing stop given).
      const existing = (kind: ConditionalKind): MConditional | undefined => this.fullLeg(acc, cmd.symbol, cmd.positionSide, kind);
      const legChange = (kind: ConditionalKind, leg: TpslLeg | null | undefined): boolean =>
        leg === null ? existing(kind) !== undefined : leg !== undefined && (existing(kind) === undefined || ReferenceModel.legDiffers(existing(kind)!, leg));
      const anything = legChange('TAKE_PROFIT', cmd.takeProfit) || legChange('STOP_LOSS', cmd.stopLoss)
        || (trailingStop === null ? existing('TRAILING') !== undefined : trailingStop !== undefined);
      if (!anything) return refuse('NO_CHANGE', 'nothing would change');
      const adding = (cmd.takeProfit && !existing('TAKE_PROFIT') ? 1 : 0) + (cmd.stopLoss && !existing('STOP_LOSS') ? 1 : 0)
        + (trailingStop && !existing('TRAILING') ? 1 : 0);
      if (acc.conditionals.length + adding > this.maxConditionals) return refuse('TOO_MANY_CONDITIONAL_ORDERS', 'too many conditional orders');
    }
    // The result lists the orders it created, changed or cancelled as its events show them, in their order.
    const first = this.conditionalEventLog.length;
    this.linkedEvents(() => this.applyPositionTpsl(acc, sym, cmd, long));
    return { ok: true, kind: 'conditionals', conditionals: this.conditionalEventLog.slice(first).map((e) => clone(e.conditional)) };
  }

  /** setPositionTpsl after its checks. */
  private applyPositionTpsl(acc: MAccount, sym: MSymbol, cmd: SetPositionTpsl, long: boolean): void {
    const trailingStop = cmd.trailingStop;
    const expireTime = cmd.expireTime ?? null;
    const side = cmd.positionSide;

    if (cmd.mode === 'PARTIAL') {
      const tp = cmd.takeProfit ? this.newLeg(acc, cmd.symbol, side, long, 'TAKE_PROFIT', cmd.takeProfit, 'PARTIAL', cmd.qty!, expireTime) : null;
      const sl = cmd.stopLoss ? this.newLeg(acc, cmd.symbol, side, long, 'STOP_LOSS', cmd.stopLoss, 'PARTIAL', cmd.qty!, expireTime) : null;
      if (tp && sl) partner(tp, sl);
      return;
    }

    const existingTrailing = this.fullLeg(acc, cmd.symbol, side, 'TRAILING');
    for (const [kind, leg] of [['TAKE_PROFIT', cmd.takeProfit], ['STOP_LOSS', cmd.stopLoss]] as const) {
      const existing = this.fullLeg(acc, cmd.symbol, side, kind);
      if (leg === null && existing) this.endConditional(existing, 'CANCELED', 'USER_CANCELED');
      else if (leg) this.setFullLeg(acc, cmd.symbol, side, long, kind, leg, expireTime);
    }
    if (trailingStop !== undefined) {
      // A FULL trailing stop is replaced by cancel + new.
      if (existingTrailing) this.endConditional(existingTrailing, 'CANCELED', trailingStop === null ? 'USER_CANCELED' : 'REPLACED');
      if (trailingStop !== null) {
        const current = this.sourcePrice(sym, trailingStop.triggerSource);
        const armNow = trailingStop.activationPrice === undefined;
        this.addConditional(acc, {
          clientOrderId: null, symbol: cmd.symbol, kind: 'TRAILING', side: long ? 'SELL' : 'BUY', positionSide: side,
          triggerSource: trailingStop.triggerSource, triggerDirection: long ? 'FALL' : 'RISE', fixedTrigger: null,
          orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 0, reduceOnly: acc.positionMode === 'ONE_WAY', closePosition: false,
          tpslMode: 'FULL', ocoId: null, activationPrice: trailingStop.activationPrice ?? null, callbackRate: null,
          callbackAmount: trailingStop.distance, activated: armNow, extremePrice: armNow ? current : null,
          stpMode: 'EXPIRE_TAKER', expireTime, attach: null,
        });
      }
    }
    this.linkFullLegs(acc, cmd.symbol, side);
  }

  private amendConditional(cmd: AmendConditional): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    const sym = this.symbols.get(cmd.symbol);
    if (!sym) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const c = this.findConditional(acc, cmd);
    if (!c) return refuse('UNKNOWN_ORDER', 'no such waiting conditional order');
    if (cmd.triggerPrice === undefined && cmd.triggerSource === undefined && cmd.price === undefined && cmd.qty === undefined && cmd.tpsl === undefined) {
      return refuse('INVALID_ARGUMENT', 'nothing to amend');
    }
    if (cmd.triggerPrice !== undefined && (c.kind === 'TRAILING' || !this.validPrice(sym, cmd.triggerPrice))) return refuse('INVALID_ARGUMENT', 'bad trigger price');
    if (cmd.triggerSource !== undefined && !ReferenceModel.SOURCES.includes(cmd.triggerSource)) return refuse('INVALID_ARGUMENT', 'bad trigger source');
    if (cmd.price !== undefined && (c.orderType !== 'LIMIT' || !this.validPrice(sym, cmd.price))) return refuse('INVALID_ARGUMENT', 'bad price');
    if (cmd.qty !== undefined) {
      if (c.closePosition || c.tpslMode === 'FULL') return refuse('INVALID_ARGUMENT', 'a whole-position order has no qty');
      if (!isInt(cmd.qty) || cmd.qty < sym.cfg.spec.minQty || cmd.qty > sym.cfg.spec.maxQty) return refuse('INVALID_ARGUMENT', 'bad qty');
      if (c.tpslMode === 'PARTIAL' && cmd.qty > Math.abs(this.positionOrZero(acc, c.symbol, c.positionSide).qty)) {
        return refuse('INVALID_ARGUMENT', 'a PARTIAL leg is at most the position');
      }
    }
    const opening = {
      side: c.side, positionSide: c.positionSide, reduceOnly: c.reduceOnly || c.closePosition, orderType: c.orderType, price: cmd.price ?? c.price,
      triggerPrice: cmd.triggerPrice ?? c.fixedTrigger,
    };
    let attach = c.attach;
    if (cmd.tpsl !== undefined) {
      if (c.kind !== 'PLAN') return refuse('INVALID_ARGUMENT', 'only a plan order has TP/SL for its order');
      const changed = this.changedAttach(acc, sym, c.attach, cmd.tpsl, opening);
      if ('ok' in changed) return changed;
      attach = changed.attach;
    } else if (attach !== null && (cmd.price !== undefined || cmd.triggerPrice !== undefined)) {
      const bad = this.invalidAttach(acc, sym, { ...opening, attachTpsl: attach }, false);
      if (bad !== null) return bad;
    }
    const next = {
      fixedTrigger: cmd.triggerPrice ?? c.fixedTrigger, triggerSource: cmd.triggerSource ?? c.triggerSource,
      price: cmd.price ?? c.price, qty: cmd.qty ?? c.qty, attach,
    };
    if (next.fixedTrigger === c.fixedTrigger && next.triggerSource === c.triggerSource && next.price === c.price && next.qty === c.qty &&
      sameAttach(attach, c.attach)) {
      return refuse('NO_CHANGE', 'nothing would change');
    }
    const current = this.sourcePrice(sym, next.triggerSource);
    if (current !== null) {
      const level = c.kind !== 'TRAILING' ? next.fixedTrigger : c.activated ? trailingTrigger(c) : c.activationPrice;
      if (level !== null && holds(conditionOf(c).direction, level, current)) return refuse('WOULD_TRIGGER_IMMEDIATELY', 'the condition already holds');
    }
    Object.assign(c, next);
    c.updateTime = this.time;
    c.watching = false;
    this.emitConditional(c, 'AMENDED');
    return { ok: true, kind: 'conditional', conditional: snapshotConditional(c), duplicate: false };
  }

  private cancelConditional(cmd: CancelConditional): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (!this.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const c = this.findConditional(acc, cmd);
    if (!c) return refuse('UNKNOWN_ORDER', 'no such waiting conditional order');
    this.endConditional(c, 'CANCELED', 'USER_CANCELED');
    return { ok: true, kind: 'conditional', conditional: snapshotConditional(c), duplicate: false };
  }

  private cancelAllConditionals(cmd: CancelAllConditionals): CommandResult {
    const acc = this.account(cmd.accountId);
    if (!acc) return refuse('UNKNOWN_ACCOUNT', 'unknown account');
    if (cmd.symbol !== undefined && !this.symbols.has(cmd.symbol)) return refuse('UNKNOWN_SYMBOL', 'unknown symbol');
    const kinds: readonly string[] = ['PLAN', 'TAKE_PROFIT', 'STOP_LOSS', 'TRAILING'];
    if (cmd.kinds !== undefined && (!Array.isArray(cmd.kinds) || cmd.kinds.some((k) => !kinds.includes(k)))) return refuse('INVALID_ARGUMENT', 'bad kinds');
    const victims = acc.conditionals
      .filter((c) => (cmd.symbol === undefined || c.symbol === cmd.symbol) && (cmd.kinds === undefined || cmd.kinds.includes(c.kind)))
      .sort((a, b) => a.conditionalId - b.conditionalId);
    const conditionals: ConditionalSnapshot[] = [];
    for (const c of victims) {
      this.endConditional(c, 'CANCELED', 'USER_CANCELED');
      conditionals.push(snapshotConditional(c));
    }
    return { ok: true, kind: 'conditionals', conditionals };
  }

  /**
   * attachTpsl at a fill: the first fill that leaves the position on the order's side sets FULL legs
   * on it or creates PARTIAL legs for the filled quantity; later fills grow the PARTIAL legs (capped
   * at the position).
   */
  private attachOnFill(acc: MAccount, order: MOrder, pos: MPosition, q: number): void {
    const size = Math.abs(pos.qty);
    if (order.attachedLegs === null) {
      if (order.side === 'BUY' ? pos.qty > 0 : pos.qty < 0) this.linkedEvents(() => this.armAttached(acc, order, pos, minNum(q, size)));
      return;
    }
    for (const id of order.attachedLegs) {
      const c = acc.conditionals.find((x) => x.conditionalId === id);
      if (!c) continue;
      const grown = minNum(c.qty + q, size);
      if (grown === c.qty) continue;
      c.qty = grown;
      c.updateTime = this.time;
      this.emitConditional(c, 'AMENDED');
    }
  }

  /** The first qualifying fill: FULL legs set on the position, or PARTIAL legs of `qty` created. */
  private armAttached(acc: MAccount, order: MOrder, pos: MPosition, qty: number): void {
    const attach = order.attach!;
    const long = pos.qty > 0;
    const side = pos.positionSide;
    if (attach.mode === 'FULL') {
      // "Replacing its FULL legs": the engine cancels the existing leg (REPLACED) and creates a new
      // one (the rules do not say in place or not; setPositionTpsl amends in place).
      for (const [kind, leg] of [['TAKE_PROFIT', attach.takeProfit], ['STOP_LOSS', attach.stopLoss]] as const) {
        if (!leg) continue;
        const existing = this.fullLeg(acc, pos.symbol, side, kind);
        if (existing) this.endConditional(existing, 'CANCELED', 'REPLACED');
        this.newLeg(acc, pos.symbol, side, long, kind, leg, 'FULL', 0, null);
      }
      this.linkFullLegs(acc, pos.symbol, side);
      order.attachedLegs = [];
      return;
    }
    const tp = attach.takeProfit ? this.newLeg(acc, pos.symbol, side, long, 'TAKE_PROFIT', attach.takeProfit, 'PARTIAL', qty, null) : null;
    const sl = attach.stopLoss ? this.newLeg(acc, pos.symbol, side, long, 'STOP_LOSS', attach.stopLoss, 'PARTIAL', qty, null) : null;
    if (tp && sl) partner(tp, sl);
    order.attachedLegs = [tp, sl].flatMap((c) => (c ? [c.conditionalId] : []));
  }

  // ---------------------------------------------------------------------------------------------
  // The trigger pass

  private triggerPass(): void {
    // 1. expiry, earliest first
    const expired = this.allWaiting().filter((c) => c.expireTime !== null && c.expireTime <= this.time)
      .sort((a, b) => a.expireTime! - b.expireTime! || a.conditionalId - b.conditionalId);
    for (const c of expired) this.endConditional(c, 'EXPIRED', 'EXPIRED');
    let consumed = 0;
    for (;;) {
      let acted = false;
      // 2. legs follow their positions
      this.followPositions();
      // 3. each trade of the command, in order; the trades of the orders fired meanwhile follow (in
      // this step: they are appended to the list as they happen)
      while (consumed < this.trades.length) {
        const trade = this.trades[consumed++]!;
        if (this.atPrice(trade.symbol, 'LAST', trade.price)) acted = true;
        if (this.legsFollowEveryTrade) this.followPositions();
      }
      // 4. orders created or armed during the command join now
      for (const c of this.allWaiting()) c.watching = true;
      // 5. the current LAST, MARK, INDEX of every symbol with waiting orders
      for (const sym of this.symbols.values()) {
        for (const source of ReferenceModel.SOURCES) {
          if (!this.allWaiting().some((c) => c.symbol === sym.cfg.symbol)) break;
          const price = this.sourcePrice(sym, source);
          if (price !== null && this.atPrice(sym.cfg.symbol, source, price)) acted = true;
        }
      }
      if (!acted) return;
    }
  }

  /** Step 2: legs follow their positions. */
  private followPositions(): void {
    // Only a fill moves a position, so the legs to look at are those of the positions filled since
    // the last look: position by position in the order of their first fill, each one's legs oldest
    // first (the rules give no order; this is the engine's event order).
    const filled = this.filledPositions;
    this.filledPositions = [];
    for (const { acc, pos } of filled) {
      for (const c of acc.conditionals.filter((x) => x.tpslMode !== null && x.symbol === pos.symbol && x.positionSide === pos.positionSide)) this.followPosition(c, pos);
    }
  }

  /** A leg whose position is flat or on the other side is cancelled; a PARTIAL leg larger than it shrinks to it. */
  private followPosition(c: MConditional, pos: MPosition): void {
    if (!reduces(c.side, pos.qty)) {
      this.endConditional(c, 'CANCELED', 'POSITION_CLOSED');
    } else if (c.tpslMode === 'PARTIAL' && c.qty > Math.abs(pos.qty)) {
      c.qty = Math.abs(pos.qty);
      c.updateTime = this.time;
      this.emitConditional(c, 'AMENDED');
    }
  }

  /**
   * One price of one source of a symbol: armed trailing stops move their best price, then every
   * watching order whose condition holds arms (trailing, before activation) or fires, one at a time
   * in the rules' order (RISE before FALL, the level crossed first, then the older).
   * Returns whether anything armed or fired.
   */
  private atPrice(symbol: string, source: TriggerSource, price: number): boolean {
    const watching = (): MConditional[] => this.allWaiting().filter((c) => c.watching && c.symbol === symbol && c.triggerSource === source);
    for (const c of watching()) {
      if (c.kind === 'TRAILING' && c.activated && (c.side === 'SELL' ? price > c.extremePrice! : price < c.extremePrice!)) c.extremePrice = price;
    }
    let acted = false;
    for (;;) {
      const due = watching().filter((c) => {
        const { direction, level } = conditionOf(c);
        return level !== null && holds(direction, level, price);
      });
      if (due.length === 0) return acted;
      due.sort(firingOrder);
      const c = due[0]!;
      acted = true;
      if (c.kind === 'TRAILING' && !c.activated) {
        // Arming does not make it new: it watches the next prices (step 3's later trades included).
        c.activated = true;
        c.extremePrice = price;
      } else {
        this.fire(c, price);
      }
    }
  }

  /** Firing (rules: "Firing"). */
  private fire(c: MConditional, price: number): void {
    const acc = this.account(c.accountId)!;
    const sym = this.symbols.get(c.symbol)!;
    const pos = this.positionOrZero(acc, c.symbol, this.targetSide(acc, c));
    const whole = c.closePosition || c.tpslMode === 'FULL';
    // It fired at this price (the snapshot says so) even when it finds nothing to close.
    c.triggeredPrice = price;
    if ((whole || c.tpslMode !== null) && !reduces(c.side, pos.qty)) {
      this.endConditional(c, 'CANCELED', 'POSITION_CLOSED');
      return;
    }
    acc.conditionals = acc.conditionals.filter((x) => x !== c);
    const qty = whole ? Math.abs(pos.qty) : c.tpslMode === 'PARTIAL' ? minNum(c.qty, Math.abs(pos.qty)) : c.qty;
    c.state = 'TRIGGERED';
    c.orderId = c.conditionalId;
    c.updateTime = this.time;
    const slot = this.emitConditional(c, 'TRIGGERED');
    const rejected = (reason: ConditionalReason, orderId: number | null): void => {
      c.state = 'REJECTED';
      c.reason = reason;
      c.orderId = orderId;
      this.conditionalEventLog[slot] = { accountId: c.accountId, change: 'REJECTED', conditional: snapshotConditional(c) };
    };
    const cmd: PlaceOrder = {
      type: 'placeOrder', time: this.time, accountId: c.accountId, symbol: c.symbol, side: c.side, positionSide: c.positionSide,
      orderType: c.orderType, timeInForce: c.timeInForce, price: c.price, qty, reduceOnly: c.reduceOnly,
      ...(c.clientOrderId !== null ? { clientOrderId: c.clientOrderId } : {}), stpMode: c.stpMode,
      ...(c.attach !== null ? { attachTpsl: c.attach } : {}),
    };
    // "Through placeOrder's every check" (a plan order's TP/SL included); a refusal before the book.
    if (this.invalidPlaceOrder(acc, sym, cmd) !== null || (cmd.attachTpsl !== undefined && this.invalidAttach(acc, sym, cmd) !== null)
      || acc.orders.length >= this.maxOpenOrders) {
      rejected('ORDER_REFUSED', null);
      return;
    }
    const order = this.newOrder(acc, cmd, c.conditionalId, c.kind);
    const result = this.runNewOrder(acc, sym, order);
    this.rememberClientId(acc, order, result);
    if (order.state === 'REJECTED') {
      rejected(order.reason, order.orderId);
      return;
    }
    const partner = c.ocoId === null ? undefined : acc.conditionals.find((x) => x.conditionalId === c.ocoId);
    if (partner) this.endConditional(partner, 'CANCELED', 'OCO_PARTNER_FIRED');
  }

  // =============================================================================================
  // Allocation and reallocation

  /**
   * closeQty of every live order on a position: its closing capacity |qty| is allotted, in priority
   * order, to the orders that reduce it.
   */
  private allocation(acc: MAccount, symbol: string, positionSide: PositionSide): Map<MOrder, number> {
    const pos = this.positionOrZero(acc, symbol, positionSide);
    const orders = acc.orders
      .filter((o) => o.symbol === symbol && this.targetSide(acc, o) === positionSide)
      .sort((a, b) => a.priority - b.priority);
    let capacity = Math.abs(pos.qty);
    const result = new Map<MOrder, number>();
    for (const o of orders) {
      const closeQty = reduces(o.side, pos.qty) ? minNum(remaining(o), capacity) : 0;
      capacity -= closeQty;
      result.set(o, closeQty);
    }
    return result;
  }

  private closeQtyOf(acc: MAccount, order: MOrder): number {
    return this.allocation(acc, order.symbol, this.targetSide(acc, order)).get(order) ?? 0;
  }

  private frozenOf(acc: MAccount, order: MOrder): bigint {
    const open = remaining(order) - this.closeQtyOf(acc, order);
    return big(open) * this.perContract(acc, this.symbols.get(order.symbol)!, order.freezePrice);
  }

  /** Rules "Reallocation": expire short closing orders, then cancel for margin, newest first. */
  private reallocate(acc: MAccount, symbol: string, takerId: number | null): void {
    for (let victim = this.firstShortfall(acc, symbol); victim !== null; victim = this.firstShortfall(acc, symbol)) {
      this.endOrder(victim, 'EXPIRED', 'REDUCE_ONLY_WOULD_INCREASE');
    }
    const asset = this.symbols.get(symbol)!.cfg.settleAsset;
    while (this.wallet(acc, asset).availableBalance < 0n) {
      const candidates = acc.orders.filter((o) => o.symbol === symbol && o.orderId !== takerId
        && remaining(o) - this.closeQtyOf(acc, o) > 0);
      if (candidates.length === 0) break;
      const newest = candidates.reduce((a, b) => (b.priority > a.priority ? b : a));
      this.endOrder(newest, newest.executedQty > 0 ? 'PARTIALLY_CANCELED' : 'CANCELED', 'INSUFFICIENT_MARGIN');
    }
  }

  /** The oldest reduce-only / closing order (of any position of the symbol) that its allocation does not fully cover. */
  private firstShortfall(acc: MAccount, symbol: string): MOrder | null {
    let found: MOrder | null = null;
    for (const side of ['BOTH', 'LONG', 'SHORT'] as const) {
      for (const [o, closeQty] of this.allocation(acc, symbol, side)) {
        if (this.isClosingKind(acc, o) && closeQty < remaining(o) && (found === null || o.priority < found.priority)) found = o;
      }
    }
    return found;
  }

  /** Reduce-only in one-way mode; SELL-LONG / BUY-SHORT in hedge mode. */
  private isClosingKind(acc: MAccount, o: { side: Side; positionSide: PositionSide; reduceOnly: boolean }): boolean {
    if (acc.positionMode === 'ONE_WAY') return o.reduceOnly;
    return (o.side === 'SELL' && o.positionSide === 'LONG') || (o.side === 'BUY' && o.positionSide === 'SHORT');
  }

  private targetSide(acc: MAccount, o: { positionSide: PositionSide }): PositionSide {
    return acc.positionMode === 'ONE_WAY' ? 'BOTH' : o.positionSide;
  }

  private endOrder(order: MOrder, state: OrderState, reason: OrderReason): void {
    order.state = state;
    order.reason = reason;
    order.updateTime = this.time;
    this.removeLive(order);
  }

  private removeLive(order: MOrder): void {
    const acc = this.account(order.accountId)!;
    acc.orders = acc.orders.filter((o) => o !== order);
    order.resting = false;
  }

  private isLive(order: MOrder): boolean {
    return this.account(order.accountId)!.orders.includes(order);
  }

  // =============================================================================================
  // Derived money

  private perContract(acc: MAccount, sym: MSymbol, price: number): bigint {
    const leverage = big(this.setting(acc, sym.cfg.symbol).leverage);
    const value = big(price) * sym.k;
    return ceilDiv(value, leverage) + ceilDiv(value * sym.cfg.takerFeeRate, RS);
  }

  private positionMargin(acc: MAccount, pos: MPosition): bigint {
    const setting = this.setting(acc, pos.symbol);
    if (setting.marginMode === 'ISOLATED') return pos.isolatedMargin;
    return ceilDiv(pos.entryCost * this.symbols.get(pos.symbol)!.k, big(setting.leverage));
  }

  private positionOrderTotals(acc: MAccount, symbol: string, positionSide: PositionSide):
    { openOrderQty: number; closeOrderQty: number; openOrderMarginFrozen: bigint } {
    let openOrderQty = 0;
    let closeOrderQty = 0;
    let openOrderMarginFrozen = 0n;
    const sym = this.symbols.get(symbol)!;
    for (const [o, closeQty] of this.allocation(acc, symbol, positionSide)) {
      const open = remaining(o) - closeQty;
      openOrderQty += open;
      closeOrderQty += closeQty;
      openOrderMarginFrozen += big(open) * this.perContract(acc, sym, o.freezePrice);
    }
    return { openOrderQty, closeOrderQty, openOrderMarginFrozen };
  }

  private wallet(acc: MAccount, asset: string): WalletView {
    const walletBalance = acc.wallets.get(asset) ?? 0n;
    let isolatedMargin = 0n;
    let crossedMargin = 0n;
    let openOrderMarginFrozen = 0n;
    for (const pos of acc.positions) {
      if (this.symbols.get(pos.symbol)!.cfg.settleAsset !== asset) continue;
      if (this.setting(acc, pos.symbol).marginMode === 'ISOLATED') isolatedMargin += this.positionMargin(acc, pos);
      else crossedMargin += this.positionMargin(acc, pos);
    }
    for (const o of acc.orders) {
      if (this.symbols.get(o.symbol)!.cfg.settleAsset === asset) openOrderMarginFrozen += this.frozenOf(acc, o);
    }
    const availableBalance = walletBalance - isolatedMargin - crossedMargin - openOrderMarginFrozen;
    return { asset, walletBalance, isolatedMargin, crossedMargin, openOrderMarginFrozen, availableBalance };
  }

  private unrealizedPnl(pos: MPosition): bigint {
    const sym = this.symbols.get(pos.symbol)!;
    if (sym.mark === null || pos.qty === 0) return 0n;
    const atMark = big(Math.abs(pos.qty)) * big(sym.mark);
    return pos.qty > 0 ? sym.k * (atMark - pos.entryCost) : sym.k * (pos.entryCost - atMark);
  }

  private band(sym: MSymbol): { high: number; low: number } | null {
    const ref = sym.mark ?? sym.last;
    if (ref === null) return null;
    const b = sym.cfg.priceBandRate;
    const high = floorDiv(big(ref) * (RS + b), RS);
    const low = ceilDiv(big(ref) * (RS - b), RS);
    return { high: Number(high), low: Math.max(1, Number(low)) };
  }

  // =============================================================================================
  // Book (derived: the resting live orders)

  /** Resting orders of one side, best price first, then time priority. */
  private bookSide(symbol: string, side: Side): MOrder[] {
    const orders: MOrder[] = [];
    for (const acc of this.accounts) for (const o of acc.orders) if (o.resting && o.symbol === symbol && o.side === side) orders.push(o);
    return orders.sort((a, b) => (a.price !== b.price ? (side === 'BUY' ? b.price - a.price : a.price - b.price) : a.priority - b.priority));
  }

  private bestPrice(symbol: string, side: Side): number | null {
    return this.bookSide(symbol, side)[0]?.price ?? null;
  }

  /** FOK fillable quantity (rules placeOrder, "FOK fillable quantity"). */
  private fokFillable(order: MOrder, limit: number): number {
    let fillable = 0;
    for (const maker of this.bookSide(order.symbol, opposite(order.side))) {
      if (!crosses(order.side, maker.price, limit)) break;
      if (maker.accountId === order.accountId) {
        if (order.stpMode === 'EXPIRE_MAKER') continue;
        break;
      }
      fillable += remaining(maker);
    }
    return fillable;
  }

  // =============================================================================================
  // Accounts, positions, settings

  private account(id: number): MAccount | undefined {
    return isInt(id) && id >= 1 ? this.accounts[id - 1] : undefined;
  }

  private setting(acc: MAccount, symbol: string): { leverage: number; marginMode: MarginMode } {
    return acc.settings.get(symbol) ?? { leverage: Math.min(20, this.symbols.get(symbol)!.cfg.spec.maxLeverage), marginMode: 'CROSSED' };
  }

  // =============================================================================================
  // Risk (docs/engine-rules.md, "Risk"): tiers as limits, margin ratio. Liquidation and bankruptcy
  // prices are not modelled here; test/risk checks them against the formulas directly.

  /** max(long direction, short direction) × K: entry value plus the open part of the orders, at their freeze price. */
  private exposure(acc: MAccount, symbol: string, positionSide: PositionSide, extra?: { side: Side; open: number; price: number }): bigint {
    const pos = acc.positions.find((p) => p.symbol === symbol && p.positionSide === positionSide);
    let long = pos && pos.qty > 0 ? pos.entryCost : 0n;
    let short = pos && pos.qty < 0 ? pos.entryCost : 0n;
    for (const [o, closeQty] of this.allocation(acc, symbol, positionSide)) {
      const value = big(remaining(o) - closeQty) * big(o.freezePrice);
      if (o.side === 'BUY') long += value;
      else short += value;
    }
    if (extra) {
      if (extra.side === 'BUY') long += big(extra.open) * big(extra.price);
      else short += big(extra.open) * big(extra.price);
    }
    return (long > short ? long : short) * this.symbols.get(symbol)!.k;
  }

  private levelOf(acc: MAccount, symbol: string, positionSide: PositionSide, extra?: { side: Side; open: number; price: number }): number {
    return tierIndexOf(this.symbols.get(symbol)!.cfg.tiers, this.exposure(acc, symbol, positionSide, extra));
  }

  private maxLeverageAt(acc: MAccount, symbol: string, positionSide: PositionSide, extra?: { side: Side; open: number; price: number }): number {
    return this.symbols.get(symbol)!.cfg.tiers[this.levelOf(acc, symbol, positionSide, extra)]!.maxLeverage;
  }

  /** Maintenance / equity of what covers the position (isolated: itself; cross: the account's open cross positions in the asset). */
  private marginRatio(acc: MAccount, pos: MPosition): bigint {
    if (pos.qty === 0) return 0n;
    const asset = this.symbols.get(pos.symbol)!.cfg.settleAsset;
    const unit: RiskUnit = this.setting(acc, pos.symbol).marginMode === 'ISOLATED' ? { acc, asset, pos } : { acc, asset, pos: null };
    const { equity, maintenance } = this.unitState(unit);
    const cap = 100n * RS;
    if (maintenance === 0n) return 0n;
    if (equity <= 0n) return cap;
    const ratio = ceilDiv(maintenance * RS, equity);
    return ratio > cap ? cap : ratio;
  }

  private positionOrZero(acc: MAccount, symbol: string, positionSide: PositionSide): { qty: number } {
    return acc.positions.find((p) => p.symbol === symbol && p.positionSide === positionSide) ?? { qty: 0 };
  }

  private ensurePosition(acc: MAccount, symbol: string, positionSide: PositionSide): MPosition {
    let pos = acc.positions.find((p) => p.symbol === symbol && p.positionSide === positionSide);
    if (!pos) {
      pos = {
        symbol, positionSide, qty: 0, entryCost: 0n, isolatedMargin: 0n, realizedPnlTotal: 0n, realizedPnlCurrent: 0n,
        feesTotal: 0n, feesCurrent: 0n, fundingTotal: 0n, openTime: 0, updateTime: this.time,
      };
      acc.positions.push(pos);
    }
    return pos;
  }

  // =============================================================================================
  // Snapshots and view

  private snapshotOrder(o: MOrder): OrderSnapshot {
    const acc = this.account(o.accountId)!;
    const live = this.isLive(o);
    return {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      accountId: o.accountId,
      symbol: o.symbol,
      side: o.side,
      positionSide: o.positionSide,
      orderType: o.orderType,
      timeInForce: o.timeInForce,
      price: o.price,
      qty: o.qty,
      executedQty: o.executedQty,
      cumQuote: o.cumQuote,
      // Linear only (the model trades no inverse symbol): the fills' cost is Σ qty × price.
      cumCost: o.cumQuote,
      state: o.state,
      reason: o.reason,
      reduceOnly: o.reduceOnly,
      stpMode: o.stpMode,
      closeQty: live ? this.closeQtyOf(acc, o) : 0,
      marginFrozen: live ? this.frozenOf(acc, o) : 0n,
      leverage: this.setting(acc, o.symbol).leverage,
      marginMode: o.marginMode,
      fees: o.fees,
      realizedPnl: o.realizedPnl,
      source: 'USER',
      origin: o.origin,
      conditionalId: o.conditionalId,
      attachTpsl: o.attach,
      createTime: o.createTime,
      updateTime: o.updateTime,
    };
  }

  private snapshotPosition(acc: MAccount, pos: MPosition): PositionSnapshot {
    const sym = this.symbols.get(pos.symbol)!;
    const setting = this.setting(acc, pos.symbol);
    const totals = this.positionOrderTotals(acc, pos.symbol, pos.positionSide);
    const mark = sym.mark;
    return {
      symbol: pos.symbol,
      positionSide: pos.positionSide,
      marginMode: setting.marginMode,
      leverage: setting.leverage,
      qty: pos.qty,
      entryCost: pos.entryCost,
      margin: this.positionMargin(acc, pos),
      openOrderQty: totals.openOrderQty,
      openOrderMarginFrozen: totals.openOrderMarginFrozen,
      closeOrderQty: totals.closeOrderQty,
      realizedPnlTotal: pos.realizedPnlTotal,
      realizedPnlCurrent: pos.realizedPnlCurrent,
      feesTotal: pos.feesTotal,
      feesCurrent: pos.feesCurrent,
      markPrice: mark ?? 0,
      unrealizedPnl: this.unrealizedPnl(pos),
      maintenanceMargin: this.positionMaintenance(pos),
      // Risk fields (liquidation and bankruptcy prices are compared by test/risk, not here: null).
      initialMargin: ceilDiv(pos.entryCost * sym.k, big(setting.leverage)),
      maintenanceMarginRate: sym.cfg.tiers[tierIndexOf(sym.cfg.tiers, (mark === null ? pos.entryCost : big(Math.abs(pos.qty)) * big(mark)) * sym.k)]!.mmr,
      riskLevel: this.levelOf(acc, pos.symbol, pos.positionSide) + 1,
      riskLimit: sym.cfg.tiers[this.levelOf(acc, pos.symbol, pos.positionSide) + 1]?.floor ?? 0n,
      liquidationPrice: null, bankruptcyPrice: null,
      marginRatio: this.marginRatio(acc, pos),
      adlQuantile: 0n, autoDeposit: false, status: 'NORMAL', fundingTotal: pos.fundingTotal,
      // The position's FULL legs.
      takeProfitPrice: this.fullLeg(acc, pos.symbol, pos.positionSide, 'TAKE_PROFIT')?.fixedTrigger ?? null,
      stopLossPrice: this.fullLeg(acc, pos.symbol, pos.positionSide, 'STOP_LOSS')?.fixedTrigger ?? null,
      trailingDistance: this.fullLeg(acc, pos.symbol, pos.positionSide, 'TRAILING')?.callbackAmount ?? null,
      openTime: pos.openTime,
      updateTime: pos.updateTime,
    };
  }

  view(): StateView {
    const entries = (m: Map<string, bigint>): { asset: string; amount: bigint }[] =>
      [...m].map(([asset, amount]) => ({ asset, amount })).sort(byAsset);
    return {
      cmdSeq: this.cmdSeq,
      time: this.time,
      nextAccountId: this.accounts.length + 1,
      nextOrderId: this.nextOrderId,
      nextTradeId: this.nextTradeId,
      fees: entries(this.fees),
      netDeposits: entries(this.netDeposits),
      // Rounding dust arises only from inverse contracts, which the model does not trade.
      roundingDust: [],
      assetPrices: [...this.assetPrices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([pair, price]) => ({ pair, price })),
      books: [...this.symbols.keys()].sort().map((s) => this.bookView(s)),
      // Index and samples are not modelled (the streams never set an index nor sample); settlements are.
      pricing: [...this.symbols.keys()].sort().map((symbol) => ({
        symbol, indexPrice: null, basisSamples: [], basisSlot: null, premiumSamples: 0, premiumWeightedSum: 0n, premiumSlot: null,
        lastPremium: null, lastFundingRate: this.symbols.get(symbol)!.lastFundingRate, lastFundingTime: this.symbols.get(symbol)!.lastFundingTime,
      })),
      accounts: this.accounts.map((a) => this.accountView(a)),
      // Warnings are engine-internal episode state (not modelled: the comparison leaves them out);
      // the property streams run at time 0, so no ADL ranking is ever due.
      risk: { insuranceFund: entries(this.insuranceFund), warned: [], adlRankedAt: [...this.symbols.keys()].sort().map((symbol) => ({ symbol, time: 0 })) },
    };
  }

  private bookView(symbol: string): BookView {
    const levels = (side: Side): { price: number; orderIds: number[] }[] => {
      const out: { price: number; orderIds: number[] }[] = [];
      for (const o of this.bookSide(symbol, side)) {
        const lastLevel = out[out.length - 1];
        if (lastLevel && lastLevel.price === o.price) lastLevel.orderIds.push(o.orderId);
        else out.push({ price: o.price, orderIds: [o.orderId] });
      }
      return out;
    };
    const sym = this.symbols.get(symbol)!;
    return { symbol, markPrice: sym.mark, lastPrice: sym.last, bookUpdateId: sym.bookUpdateId, bids: levels('BUY'), asks: levels('SELL') };
  }

  private accountView(acc: MAccount): AccountView {
    return {
      accountId: acc.accountId,
      positionMode: acc.positionMode,
      feeBurn: acc.feeBurn,
      wallets: [...acc.wallets.keys()].sort().map((asset) => this.wallet(acc, asset)),
      // Every configured symbol is listed, defaults included (what the engine does; view.ts's
      // comment says "differ from the defaults or were ever set" — reported to the lead).
      settings: [...this.symbols.keys()].sort().map((symbol) => ({ symbol, ...this.setting(acc, symbol), riskLimitLevel: 1 })),
      positions: [...acc.positions]
        .sort((a, b) => (a.symbol !== b.symbol ? (a.symbol < b.symbol ? -1 : 1) : SIDE_ORDER[a.positionSide] - SIDE_ORDER[b.positionSide]))
        .map((p) => this.snapshotPosition(acc, p)),
      orders: [...acc.orders].sort((a, b) => a.orderId - b.orderId).map((o) => this.snapshotOrder(o)),
      conditionals: [...acc.conditionals].sort((a, b) => a.conditionalId - b.conditionalId).map((c) => snapshotConditional(c)),
    };
  }
}

// ---------------------------------------------------------------------------------------------

/** The order units are examined in within a tick: account id, cross before isolated, asset, symbol, side. */
function unitOrder(a: RiskUnit, b: RiskUnit): number {
  if (a.acc.accountId !== b.acc.accountId) return a.acc.accountId - b.acc.accountId;
  if ((a.pos === null) !== (b.pos === null)) return a.pos === null ? -1 : 1;
  if (a.asset !== b.asset) return a.asset < b.asset ? -1 : 1;
  return a.pos !== null && b.pos !== null ? positionOrder(a.pos, b.pos) : 0;
}

/** Symbol name, then BOTH, LONG, SHORT. */
function positionOrder(a: MPosition, b: MPosition): number {
  return a.symbol !== b.symbol ? (a.symbol < b.symbol ? -1 : 1) : SIDE_ORDER[a.positionSide] - SIDE_ORDER[b.positionSide];
}

function remaining(o: MOrder): number {
  return o.qty - o.executedQty;
}

function opposite(side: Side): Side {
  return side === 'BUY' ? 'SELL' : 'BUY';
}

/** Does a maker price cross a taker's limit? */
function crosses(takerSide: Side, makerPrice: number, limit: number): boolean {
  return takerSide === 'BUY' ? makerPrice <= limit : makerPrice >= limit;
}

/** RISE: the price reached the level or above; FALL: the level or below. */
function holds(direction: TriggerDirection, level: number, price: number): boolean {
  return direction === 'RISE' ? price >= level : price <= level;
}

/** A long's take-profit fires on a rise and its stop-loss on a fall; a short's the other way. */
function legDirection(kind: 'TAKE_PROFIT' | 'STOP_LOSS', long: boolean): TriggerDirection {
  return (kind === 'TAKE_PROFIT') === long ? 'RISE' : 'FALL';
}

/** An armed trailing stop's trigger: the best price minus (SELL) or plus (BUY) the callback. */
function trailingTrigger(c: MConditional): number {
  const best = c.extremePrice!;
  if (c.callbackAmount !== null) return c.side === 'SELL' ? best - c.callbackAmount : best + c.callbackAmount;
  const r = c.callbackRate!;
  return c.side === 'SELL' ? Number(floorDiv(big(best) * (RS - r), RS)) : Number(ceilDiv(big(best) * (RS + r), RS));
}

/**
 * What a waiting order watches for: its trigger, or for a trailing stop before activation its
 * activation price (a SELL arms on a rise to it, a BUY on a fall).
 */
function conditionOf(c: MConditional): { direction: TriggerDirection; level: number | null } {
  if (c.kind !== 'TRAILING') return { direction: c.triggerDirection, level: c.fixedTrigger };
  if (c.activated) return { direction: c.triggerDirection, level: trailingTrigger(c) };
  return { direction: c.side === 'SELL' ? 'RISE' : 'FALL', level: c.activationPrice };
}

/** At one price: RISE before FALL; the level crossed first (RISE: lowest, FALL: highest); then the older. */
function firingOrder(a: MConditional, b: MConditional): number {
  const ca = conditionOf(a);
  const cb = conditionOf(b);
  if (ca.direction !== cb.direction) return ca.direction === 'RISE' ? -1 : 1;
  if (ca.level !== cb.level) return ca.direction === 'RISE' ? ca.level! - cb.level! : cb.level! - ca.level!;
  return a.conditionalId - b.conditionalId;
}

const sameLeg = (a: TpslLeg | undefined, b: TpslLeg | undefined): boolean =>
  a === undefined || b === undefined ? a === b
    : a.triggerPrice === b.triggerPrice && a.triggerSource === b.triggerSource && a.orderType === b.orderType && a.price === b.price;
const sameAttach = (a: AttachTpsl | null, b: AttachTpsl | null): boolean =>
  a === null || b === null ? a === b : a.mode === b.mode && sameLeg(a.takeProfit, b.takeProfit) && sameLeg(a.stopLoss, b.stopLoss);

/** A take-profit and a stop-loss become one-cancels-the-other partners of one pair (the older pair id). */
function partner(tp: MConditional, sl: MConditional): void {
  tp.ocoId = sl.conditionalId;
  sl.ocoId = tp.conditionalId;
  tp.pairId = sl.pairId = Math.min(tp.pairId, sl.pairId);
}

function snapshotConditional(c: MConditional): ConditionalSnapshot {
  return {
    conditionalId: c.conditionalId,
    clientOrderId: c.clientOrderId,
    accountId: c.accountId,
    symbol: c.symbol,
    kind: c.kind,
    side: c.side,
    positionSide: c.positionSide,
    triggerSource: c.triggerSource,
    triggerDirection: c.triggerDirection,
    triggerPrice: c.kind === 'TRAILING' ? (c.activated ? trailingTrigger(c) : null) : c.fixedTrigger,
    orderType: c.orderType,
    price: c.price,
    timeInForce: c.timeInForce,
    qty: c.qty,
    reduceOnly: c.reduceOnly,
    closePosition: c.closePosition,
    tpslMode: c.tpslMode,
    ocoId: c.ocoId,
    pairId: c.pairId,
    activationPrice: c.activationPrice,
    callbackRate: c.callbackRate,
    callbackAmount: c.callbackAmount,
    activated: c.activated,
    extremePrice: c.extremePrice,
    stpMode: c.stpMode,
    expireTime: c.expireTime,
    marginMode: c.marginMode,
    attachTpsl: c.attach,
    state: c.state,
    reason: c.reason,
    orderId: c.orderId,
    triggeredPrice: c.triggeredPrice,
    createTime: c.createTime,
    updateTime: c.updateTime,
  };
}
