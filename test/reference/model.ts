/**
 * A deliberately simple reference model of the engine, written from docs/engine-rules.md alone.
 *
 * It optimises for being obviously right, not for speed:
 * - the only stored money facts are wallet balances, position quantity / entry cost / isolated
 *   margin and the fee and deposit accounts; every total (allocation, frozen margin, cross margin,
 *   wallet sums, available balance) is recomputed from scratch whenever it is needed;
 * - the book is not a data structure: it is "the resting live orders of a symbol", filtered and
 *   sorted by price then priority whenever someone looks at it.
 *
 * It does not produce events; the property test compares its view() with the engine's after every
 * command. Section names in comments ("placeOrder check 4", "Reallocation step 2", …) refer to the
 * rules page.
 */
import type {
  AdjustIsolatedMargin, AmendOrder, CancelAll, CancelOrder, Command, CommandResult, Deposit, ErrorCode,
  MarginMode, OrderReason, OrderSnapshot, OrderState, OrderType, PlaceOrder, PositionMode, PositionSide,
  PositionSnapshot, SetAssetPrice, SetFeeBurn, SetLeverage, SetMarginMode, SetMarkPrice, SetPositionMode, Side, StpMode, TimeInForce, Withdraw, DepositInsurance,
} from '../../src/engine/types.js';
import type { AccountView, BookView, StateView, WalletView } from '../../src/engine/view.js';
import { RATE_SCALE, ceilDiv, floorDiv } from '../../src/engine/fixed.js';
import { buildSymbolConfig, maintenanceMargin, type SymbolConfig, type SymbolSpec, type Tier } from '../../src/engine/symbol.js';

export interface ModelOptions {
  symbols: readonly SymbolSpec[];
  maxOpenOrdersPerAccount?: number;
  clientOrderIdWindow?: number;
}


// ---------------------------------------------------------------------------------------------
// Stored state: only the facts that cannot be derived.

interface MSymbol {
  cfg: SymbolConfig;
  /** K: amount units per contract per tick. */
  k: bigint;
  mark: number | null;
  last: number | null;
  /** +1 for every command after which some price level's total differs from before it. */
  bookUpdateId: number;
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
  openTime: number;
  updateTime: number;
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
}

const RS = RATE_SCALE;
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
  private cmdSeq = 0;
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
      const cfg = buildSymbolConfig(spec);
      this.symbols.set(cfg.symbol, { cfg, k: cfg.valuePerTickContract, mark: null, last: null, bookUpdateId: 0 });
    }
    this.maxOpenOrders = options.maxOpenOrdersPerAccount ?? 200;
    this.clientOrderIdWindow = options.clientOrderIdWindow ?? 1000;
  }

  // =============================================================================================
  // Commands

  apply(cmd: Command): CommandResult {
    this.cmdSeq += 1;
    this.time = cmd.time;
    const before = [...this.symbols.keys()].map((symbol) => this.levelTotals(symbol));
    const result = this.dispatch(cmd);
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
      case 'setIndexPrice': case 'sampleRisk': case 'settleFunding':
        // Index, samples and funding are not modelled: test/funding checks them on their own.
        throw new Error(`the reference model does not model ${cmd.type}`);
      case 'depositInsurance': return this.depositInsurance(cmd);
      // Risk settings are not generated by the property streams (checked by test/risk instead).
      case 'adjustRiskLimit':
      case 'setAutoDeposit': return refuse('INVALID_ARGUMENT', `${cmd.type} is not modelled by the reference`);
      case 'placeConditional':
      case 'amendConditional':
      case 'cancelConditional':
      case 'cancelAllConditionals':
      case 'setPositionTpsl':
        return refuse('INVALID_ARGUMENT', 'conditional orders are being built (issue 13)');
    }
  }

  private createAccount(): CommandResult {
    const accountId = this.accounts.length + 1;
    this.accounts.push({
      accountId, positionMode: 'ONE_WAY', feeBurn: false, wallets: new Map(), settings: new Map(), positions: [], orders: [], clientOrderIds: [],
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
    if (acc.positions.some((p) => p.qty !== 0) || acc.orders.length > 0) {
      return refuse('HAS_OPEN_POSITION_OR_ORDER', 'position open or order live');
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
    if (acc.orders.length >= this.maxOpenOrders) return refuse('TOO_MANY_OPEN_ORDERS', 'too many open orders');

    const order = this.newOrder(acc, cmd);
    const result = this.runNewOrder(acc, sym, order);
    if (order.clientOrderId !== null) {
      order.placeResult = clone(result);
      acc.clientOrderIds.push({ clientOrderId: order.clientOrderId, result: clone(result) });
      while (acc.clientOrderIds.length > this.clientOrderIdWindow) acc.clientOrderIds.shift();
    }
    return result;
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

  private newOrder(acc: MAccount, cmd: PlaceOrder): MOrder {
    return {
      orderId: this.nextOrderId++,
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
    if (needed > this.wallet(acc, sym.cfg.settleAsset).availableBalance) return fail('REJECTED', 'INSUFFICIENT_MARGIN');

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
      this.fill(maker, q, p, sym.cfg.makerFeeRate, taker.orderId);
      this.fill(taker, q, p, sym.cfg.takerFeeRate, taker.orderId);
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
    sym.last = p;
    this.reallocate(acc, order.symbol, takerId);
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
    if (newPrice === order.price && newQty === order.qty) return refuse('NO_CHANGE', 'nothing would change');
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

  /** 0-based tier a notional reaches. */
  private tierAt(tiers: readonly Tier[], notional: bigint): number {
    let found = 0;
    tiers.forEach((t, i) => { if (notional >= t.floor) found = i; });
    return found;
  }

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
    return this.tierAt(this.symbols.get(symbol)!.cfg.tiers, this.exposure(acc, symbol, positionSide, extra));
  }

  private maxLeverageAt(acc: MAccount, symbol: string, positionSide: PositionSide, extra?: { side: Side; open: number; price: number }): number {
    return this.symbols.get(symbol)!.cfg.tiers[this.levelOf(acc, symbol, positionSide, extra)]!.maxLeverage;
  }

  /** Maintenance / equity of what covers the position (isolated: itself; cross: the account's open cross positions in the asset). */
  private marginRatio(acc: MAccount, pos: MPosition): bigint {
    if (pos.qty === 0) return 0n;
    const sym = this.symbols.get(pos.symbol)!;
    const asset = sym.cfg.settleAsset;
    const mmOf = (p: MPosition): bigint => {
      const s = this.symbols.get(p.symbol)!;
      return s.mark === null || p.qty === 0 ? 0n : maintenanceMargin(s.cfg.tiers, big(Math.abs(p.qty)) * big(s.mark) * s.k);
    };
    let equity: bigint;
    let mm: bigint;
    if (this.setting(acc, pos.symbol).marginMode === 'ISOLATED') {
      equity = pos.isolatedMargin + this.unrealizedPnl(pos);
      mm = mmOf(pos);
    } else {
      const w = this.wallet(acc, asset);
      equity = w.walletBalance - w.isolatedMargin;
      mm = 0n;
      for (const p of acc.positions) {
        if (p.qty === 0 || this.symbols.get(p.symbol)!.cfg.settleAsset !== asset || this.setting(acc, p.symbol).marginMode !== 'CROSSED') continue;
        equity += this.unrealizedPnl(p);
        mm += mmOf(p);
      }
    }
    const cap = 100n * RS;
    if (mm === 0n) return 0n;
    if (equity <= 0n) return cap;
    const ratio = ceilDiv(mm * RS, equity);
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
        feesTotal: 0n, feesCurrent: 0n, openTime: 0, updateTime: this.time,
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
      origin: null,
      conditionalId: null,
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
      maintenanceMargin: mark === null ? 0n : maintenanceMargin(sym.cfg.tiers, big(Math.abs(pos.qty)) * big(mark) * sym.k),
      // Risk fields (liquidation and bankruptcy prices are compared by test/risk, not here: null).
      initialMargin: ceilDiv(pos.entryCost * sym.k, big(setting.leverage)),
      maintenanceMarginRate: sym.cfg.tiers[this.tierAt(sym.cfg.tiers, (mark === null ? pos.entryCost : big(Math.abs(pos.qty)) * big(mark)) * sym.k)]!.mmr,
      riskLevel: this.levelOf(acc, pos.symbol, pos.positionSide) + 1,
      riskLimit: sym.cfg.tiers[this.levelOf(acc, pos.symbol, pos.positionSide) + 1]?.floor ?? 0n,
      liquidationPrice: null, bankruptcyPrice: null,
      marginRatio: this.marginRatio(acc, pos),
      adlQuantile: 0n, autoDeposit: false, status: 'NORMAL', fundingTotal: 0n, takeProfitPrice: null, stopLossPrice: null, trailingDistance: null,
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
      assetPrices: [...this.assetPrices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([pair, price]) => ({ pair, price })),
      books: [...this.symbols.keys()].sort().map((s) => this.bookView(s)),
      // Prices are not modelled: no index, no samples, no settlement.
      pricing: [...this.symbols.keys()].sort().map((symbol) => ({
        symbol, indexPrice: null, basisSamples: [], basisSlot: null, premiumSamples: 0, premiumWeightedSum: 0n, premiumSlot: null,
        lastPremium: null, lastFundingRate: 0n, lastFundingTime: null,
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
      conditionals: [],
    };
  }
}

// ---------------------------------------------------------------------------------------------

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
