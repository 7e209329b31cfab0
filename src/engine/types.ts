/**
 * The engine's language: commands in, results and canonical events out.
 * Prices are integer ticks, quantities integer contracts, amounts bigint 10^-8 units (fixed.ts).
 */

export type Side = 'BUY' | 'SELL';
/** BOTH in one-way mode; LONG / SHORT in hedge mode. */
export type PositionSide = 'BOTH' | 'LONG' | 'SHORT';
export type PositionMode = 'ONE_WAY' | 'HEDGE';
export type MarginMode = 'ISOLATED' | 'CROSSED';
export type OrderType = 'LIMIT' | 'MARKET';
/** GTX is post-only: rejected if any part would take liquidity. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'GTX';
export type StpMode = 'EXPIRE_TAKER' | 'EXPIRE_MAKER' | 'EXPIRE_BOTH';
/** The order states exactly as XT lists them. */
export type OrderState = 'NEW' | 'PARTIALLY_FILLED' | 'PARTIALLY_CANCELED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';

/** Why an order ended without filling (or was refused). */
export type OrderReason =
  | 'NONE'
  | 'USER_CANCELED'
  | 'INSUFFICIENT_MARGIN'
  | 'POST_ONLY_WOULD_TAKE'
  | 'FOK_NOT_FILLABLE'
  | 'IOC_REMAINDER'
  | 'MARKET_REMAINDER'
  | 'REDUCE_ONLY_WOULD_INCREASE'
  | 'SELF_TRADE_PREVENTION'
  | 'PRICE_OUTSIDE_BAND'
  | 'NO_REFERENCE_PRICE'
  | 'POSITION_LIMIT';

/** Why an account changed: Binance's `m` codes and KuCoin's changeReason derive from this. */
export type ChangeReason =
  | 'DEPOSIT'
  | 'WITHDRAW'
  | 'ORDER'
  | 'MARGIN_TRANSFER'
  | 'MARGIN_TYPE_CHANGE'
  | 'LEVERAGE_CHANGE'
  | 'POSITION_MODE_CHANGE'
  | 'MARK_PRICE';

// ---------------------------------------------------------------------------------------------
// Commands. `time` is the engine time (ms) the sequencer stamped; the engine never reads a clock.

interface CommandBase {
  time: number;
}

export interface CreateAccount extends CommandBase { type: 'createAccount' }
export interface Deposit extends CommandBase { type: 'deposit'; accountId: number; asset: string; amount: bigint }
export interface Withdraw extends CommandBase { type: 'withdraw'; accountId: number; asset: string; amount: bigint }
export interface SetLeverage extends CommandBase { type: 'setLeverage'; accountId: number; symbol: string; leverage: number }
export interface SetMarginMode extends CommandBase { type: 'setMarginMode'; accountId: number; symbol: string; marginMode: MarginMode }
export interface SetPositionMode extends CommandBase { type: 'setPositionMode'; accountId: number; positionMode: PositionMode }
/** Moves margin into (amount > 0) or out of (amount < 0) an isolated position. */
export interface AdjustIsolatedMargin extends CommandBase {
  type: 'adjustIsolatedMargin'; accountId: number; symbol: string; positionSide: PositionSide; amount: bigint;
}
export interface PlaceOrder extends CommandBase {
  type: 'placeOrder';
  accountId: number;
  symbol: string;
  side: Side;
  positionSide: PositionSide;
  orderType: OrderType;
  timeInForce: TimeInForce;
  /** Limit price in ticks; ignored for MARKET. */
  price: number;
  qty: number;
  reduceOnly: boolean;
  clientOrderId?: string;
  stpMode?: StpMode;
}
/** Identifies an order by engine id or by the account's client order id. */
export type OrderRef = { orderId: number; clientOrderId?: undefined } | { orderId?: undefined; clientOrderId: string };
export type AmendOrder = CommandBase & OrderRef & { type: 'amendOrder'; accountId: number; symbol: string; price?: number; qty?: number };
export type CancelOrder = CommandBase & OrderRef & { type: 'cancelOrder'; accountId: number; symbol: string };
export interface CancelAll extends CommandBase { type: 'cancelAll'; accountId: number; symbol: string }
export interface SetMarkPrice extends CommandBase { type: 'setMarkPrice'; symbol: string; price: number }

export type Command =
  | CreateAccount | Deposit | Withdraw | SetLeverage | SetMarginMode | SetPositionMode | AdjustIsolatedMargin
  | PlaceOrder | AmendOrder | CancelOrder | CancelAll | SetMarkPrice;

// ---------------------------------------------------------------------------------------------
// Results. A refused command (ok: false) changed nothing and emitted nothing.

export type ErrorCode =
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_SYMBOL'
  | 'UNKNOWN_ORDER'
  | 'INVALID_ARGUMENT'
  | 'INSUFFICIENT_BALANCE'
  | 'HAS_OPEN_POSITION_OR_ORDER'
  | 'NO_POSITION'
  | 'TOO_MANY_OPEN_ORDERS'
  | 'ORDER_NOT_AMENDABLE'
  | 'NO_CHANGE';

export interface CommandError { ok: false; code: ErrorCode; message: string }

export type CommandResult =
  | CommandError
  | { ok: true; kind: 'account'; accountId: number }
  | { ok: true; kind: 'order'; order: OrderSnapshot; duplicate: boolean }
  | { ok: true; kind: 'orders'; orders: OrderSnapshot[] }
  | { ok: true; kind: 'done' };

// ---------------------------------------------------------------------------------------------
// Canonical events, one model for every dialect. Every event carries the account's gap-free
// `seq`, the global command sequence `cmdSeq`, the engine `time` and the command's `reason`.

interface EventBase {
  accountId: number;
  seq: number;
  cmdSeq: number;
  time: number;
  reason: ChangeReason;
}

export interface OrderSnapshot {
  orderId: number;
  clientOrderId: string | null;
  accountId: number;
  symbol: string;
  side: Side;
  positionSide: PositionSide;
  orderType: OrderType;
  timeInForce: TimeInForce;
  /** Limit price in ticks (0 for market orders). */
  price: number;
  qty: number;
  executedQty: number;
  /** Σ fill qty × fill price (ticks × contracts); avg price = cumQuote / executedQty. */
  cumQuote: bigint;
  state: OrderState;
  reason: OrderReason;
  reduceOnly: boolean;
  stpMode: StpMode;
  /** Part of the remaining quantity that closes a position (freezes no margin). */
  closeQty: number;
  /** Margin (and fee reserve) this order holds frozen. */
  marginFrozen: bigint;
  leverage: number;
  marginMode: MarginMode;
  fees: bigint;
  realizedPnl: bigint;
  createTime: number;
  updateTime: number;
}

/** What happened to an order in this event (Binance's execution type). */
export type ExecType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT' | 'REJECTED';

export interface OrderEvent extends EventBase {
  type: 'order';
  execType: ExecType;
  order: OrderSnapshot;
}

export interface TradeEvent extends EventBase {
  type: 'trade';
  tradeId: number;
  orderId: number;
  clientOrderId: string | null;
  symbol: string;
  side: Side;
  positionSide: PositionSide;
  orderType: OrderType;
  price: number;
  qty: number;
  isMaker: boolean;
  fee: bigint;
  feeAsset: string;
  /** PnL realized by this fill, before fees. */
  realizedPnl: bigint;
  /** Margin this fill released from the order (XT marginUnfrozen). */
  marginUnfrozen: bigint;
}

export interface PositionSnapshot {
  symbol: string;
  positionSide: PositionSide;
  marginMode: MarginMode;
  leverage: number;
  /** Signed contracts: > 0 long, < 0 short. */
  qty: number;
  /** Σ |qty| × entry price of the open contracts, ticks × contracts; entry price = entryCost / |qty|. */
  entryCost: bigint;
  /** Isolated: the isolated wallet. Cross: the initial margin the position holds. */
  margin: bigint;
  openOrderQty: number;
  openOrderMarginFrozen: bigint;
  closeOrderQty: number;
  /** Lifetime realized PnL of this symbol and side, before fees (Binance `cr`). */
  realizedPnlTotal: bigint;
  /** Realized PnL of the current position, net of its fees (Bybit curRealisedPnl). */
  realizedPnlCurrent: bigint;
  feesTotal: bigint;
  markPrice: number;
  unrealizedPnl: bigint;
  maintenanceMargin: bigint;
  openTime: number;
  updateTime: number;
}

export interface PositionEvent extends EventBase {
  type: 'position';
  position: PositionSnapshot;
  /** The quantity this position had in its previous event (0 for its first): tells a flip. */
  previousQty: number;
  /** The side the position was last open on (null if never): where a flat one-way position "is". */
  lastDirection: 'LONG' | 'SHORT' | null;
}

export interface BalanceSnapshot {
  asset: string;
  walletBalance: bigint;
  /** Wallet minus isolated margin (Binance `cw`). */
  crossWalletBalance: bigint;
  isolatedMargin: bigint;
  crossedMargin: bigint;
  openOrderMarginFrozen: bigint;
  availableBalance: bigint;
  crossUnrealizedPnl: bigint;
}

export interface BalanceEvent extends EventBase {
  type: 'balance';
  balance: BalanceSnapshot;
  /** Change of the wallet in this step that is not PnL or commission (Binance `bc`). */
  walletChange: bigint;
}

/** Leverage, margin mode or position mode changed (Binance ACCOUNT_CONFIG_UPDATE, KuCoin user.config). */
export interface ConfigEvent extends EventBase {
  type: 'config';
  symbol: string | null;
  leverage: number | null;
  marginMode: MarginMode | null;
  positionMode: PositionMode;
}

export type EngineEvent = OrderEvent | TradeEvent | PositionEvent | BalanceEvent | ConfigEvent;
