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
  | 'POSITION_LIMIT'
  /** Refused: the position and its open orders would reach a risk tier allowing less than the leverage. */
  | 'RISK_LIMIT'
  /** Cancelled by the risk engine before it liquidated the account's position. */
  | 'LIQUIDATION'
  /** Cancelled by the risk engine before it auto-deleveraged the account's position. */
  | 'ADL'
  /** Ended (EXPIRED) by its delivery contract's settlement (XT's EXPIRED orders at delivery). */
  | 'DELIVERY';

/** Why an account changed: Binance's `m` codes and KuCoin's changeReason derive from this. */
export type ChangeReason =
  | 'DEPOSIT'
  | 'WITHDRAW'
  | 'ORDER'
  | 'MARGIN_TRANSFER'
  | 'MARGIN_TYPE_CHANGE'
  | 'LEVERAGE_CHANGE'
  | 'POSITION_MODE_CHANGE'
  | 'MARK_PRICE'
  /** The risk engine took over and closed (part of) a position; also the insurance-fund clearance. */
  | 'LIQUIDATION'
  /** Auto-deleveraging closed (part of) a position at a liquidated position's bankruptcy price. */
  | 'ADL'
  /** A funding settlement moved money between longs and shorts. */
  | 'FUNDING_FEE'
  /** The position's risk-limit level changed (KuCoin position.adjustRiskLimit). */
  | 'RISK_LIMIT_CHANGE'
  /** Auto-add margin was switched on or off (KuCoin autoAppendMarginStatusChange). */
  | 'AUTO_DEPOSIT_CHANGE'
  /** The risk engine added margin to an isolated position from the wallet (auto-add margin). */
  | 'AUTO_DEPOSIT'
  /** A delivery contract settled: its orders expired and its positions closed at the delivery price (Binance DELIVERED_SETTELMENT). */
  | 'DELIVERY';

/** Who created an order: the account, or the risk engine closing a position for it. */
export type OrderSource = 'USER' | 'LIQUIDATION' | 'ADL';

/** The risk engine's notices (XT user.notify notifyType, Binance MARGIN_CALL for WARN). */
export type NoticeType = 'WARN' | 'PARTIAL' | 'LIQUIDATION' | 'ADL';

/** A position's state as the risk engine sees it (Bybit positionStatus Normal / Liq / Adl). */
export type PositionStatus = 'NORMAL' | 'LIQUIDATING' | 'ADL';

// ---------------------------------------------------------------------------------------------
// Commands. `time` is the engine time (ms) the sequencer stamped; the engine never reads a clock.

interface CommandBase {
  time: number;
}

/**
 * A new account. Its position mode and every symbol's margin mode start as given (the defaults of
 * the exchange its owner trades through); absent, the engine's `defaultPositionMode` and CROSSED.
 */
export interface CreateAccount extends CommandBase { type: 'createAccount'; positionMode?: PositionMode; marginMode?: MarginMode }
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
  /**
   * Take-profit / stop-loss armed on the position this order opens, when it fills (conditional
   * orders, below): sized to what filled (PARTIAL) or the whole position (FULL).
   */
  attachTpsl?: AttachTpsl;
}
/** Identifies an order by engine id or by the account's client order id. */
export type OrderRef = { orderId: number; clientOrderId?: undefined } | { orderId?: undefined; clientOrderId: string };
/** Changes a live order's price, quantity and/or the take-profit / stop-loss it will arm (only the fields given). */
export type AmendOrder = CommandBase & OrderRef & { type: 'amendOrder'; accountId: number; symbol: string; price?: number; qty?: number; tpsl?: TpslChange };
export type CancelOrder = CommandBase & OrderRef & { type: 'cancelOrder'; accountId: number; symbol: string };
export interface CancelAll extends CommandBase { type: 'cancelAll'; accountId: number; symbol: string }
export interface SetMarkPrice extends CommandBase { type: 'setMarkPrice'; symbol: string; price: number }
/** The symbol's index price in ticks; the mark is recomputed from it (docs/engine-rules.md, "Prices"). */
export interface SetIndexPrice extends CommandBase { type: 'setIndexPrice'; symbol: string; price: number }
/** A price tick: samples basis and premium when their slot is due and recomputes the mark (all symbols when absent). */
export interface SampleRisk extends CommandBase { type: 'sampleRisk'; symbol?: string }
/** Funding settlement of a symbol at `fundingTime` (default: the command time). */
export interface SettleFunding extends CommandBase { type: 'settleFunding'; symbol: string; fundingTime?: number }
/** Settles a DELIVERY symbol at (or after) its delivery time (docs/engine-rules.md, "Delivery"). */
export interface SettleDelivery extends CommandBase { type: 'settleDelivery'; symbol: string }

/** Binance's BNB fee burn for the account: fees paid in BNB at a discount when it covers them. */
export interface SetFeeBurn extends CommandBase { type: 'setFeeBurn'; accountId: number; feeBurn: boolean }
/** The price of one whole `asset` in `quoteAsset` (10^-8 units), e.g. BNB in USDT for the fee burn. */
export interface SetAssetPrice extends CommandBase { type: 'setAssetPrice'; asset: string; quoteAsset: string; price: bigint }

/** Chooses the account's risk-limit level on a symbol (KuCoin adjustRiskLimit); the outcome is a RiskLimitEvent. */
export interface AdjustRiskLimit extends CommandBase { type: 'adjustRiskLimit'; accountId: number; symbol: string; level: number }
/** Switches auto-add margin of an isolated position on or off (KuCoin autoDeposit). */
export interface SetAutoDeposit extends CommandBase {
  type: 'setAutoDeposit'; accountId: number; symbol: string; positionSide: PositionSide; enabled: boolean;
}
/** Operator money into the insurance fund of a settle asset (counts as a deposit in the ledger). */
export interface DepositInsurance extends CommandBase { type: 'depositInsurance'; asset: string; amount: bigint }

// ---------------------------------------------------------------------------------------------
// Conditional orders (docs/engine-rules.md, "Conditional orders"): they wait, reserving no margin,
// until their trigger source crosses the trigger price, then place an ordinary order (same id as
// the conditional, same client order id) that goes through every normal check.

/** The price a conditional order watches: last trade (Binance CONTRACT_PRICE, Bybit LastPrice, KuCoin TP, XT LATEST_PRICE), mark, index. */
export type TriggerSource = 'LAST' | 'MARK' | 'INDEX';
/** RISE: fires when the source reaches the trigger price or above; FALL: at or below. */
export type TriggerDirection = 'RISE' | 'FALL';
/**
 * What a conditional order is: a plan (stop / trigger) order, a position's take-profit or stop-loss
 * leg, or a trailing stop. The order it places carries it as its `origin`.
 */
export type ConditionalKind = 'PLAN' | 'TAKE_PROFIT' | 'STOP_LOSS' | 'TRAILING';
/** FULL: the leg closes the whole position whatever its size; PARTIAL: a fixed quantity (shrunk with the position). */
export type TpslMode = 'FULL' | 'PARTIAL';
/** WAITING → TRIGGERED (order placed), or CANCELED (user or system), EXPIRED, REJECTED (the placed order was refused). */
export type ConditionalState = 'WAITING' | 'TRIGGERED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
/** Why a conditional order ended (NONE while waiting and when triggered). */
export type ConditionalReason =
  | 'NONE'
  | 'USER_CANCELED'
  /** The position it protects (or must reduce) closed or flipped. */
  | 'POSITION_CLOSED'
  /** Its take-profit / stop-loss partner fired. */
  | 'OCO_PARTNER_FIRED'
  /** Its expiry time passed. */
  | 'EXPIRED'
  /** Replaced by a new FULL take-profit / stop-loss of the position. */
  | 'REPLACED'
  /** Rejected at trigger: the placed order's refusal (INSUFFICIENT_MARGIN, REDUCE_ONLY_WOULD_INCREASE, PRICE_OUTSIDE_BAND, …). */
  | OrderReason
  /** Rejected at trigger by a check before the book (too many open orders, quantity out of range). */
  | 'ORDER_REFUSED';

/** One take-profit or stop-loss leg: its trigger and the order it places (MARKET, or LIMIT at `price`). */
export interface TpslLeg {
  triggerPrice: number;
  triggerSource: TriggerSource;
  orderType: OrderType;
  /** Limit price in ticks (LIMIT only). */
  price?: number;
}

/** TP/SL to arm on the position an order opens, when it fills. */
export interface AttachTpsl {
  mode: TpslMode;
  takeProfit?: TpslLeg;
  stopLoss?: TpslLeg;
}

/**
 * A change of the TP/SL an order (or plan order) will arm, before it has armed them: a leg given
 * replaces that leg, `null` removes it, absent keeps it. `mode` is needed only when the order has
 * none yet (it cannot change once set); removing every leg leaves the order without TP/SL.
 */
export interface TpslChange {
  mode?: TpslMode;
  takeProfit?: TpslLeg | null;
  stopLoss?: TpslLeg | null;
}

export interface PlaceConditional extends CommandBase {
  type: 'placeConditional';
  accountId: number;
  symbol: string;
  /** PLAN or TRAILING here; TAKE_PROFIT / STOP_LOSS legs of a position come from setPositionTpsl or attachTpsl. */
  kind: 'PLAN' | 'TRAILING';
  side: Side;
  positionSide: PositionSide;
  triggerSource: TriggerSource;
  /** PLAN: the trigger price (ticks) and direction. Refused when the condition already holds (Binance -2021)… */
  triggerPrice?: number;
  triggerDirection?: TriggerDirection;
  /** …unless this is set: then it fires at the end of the command (KuCoin triggers such a stop order at once). */
  triggerIfHolding?: boolean;
  /** The order placed at trigger. MARKET orders are IOC. */
  orderType: OrderType;
  price: number;
  timeInForce: TimeInForce;
  /** Contracts; 0 with closePosition (the whole position at trigger). */
  qty: number;
  reduceOnly: boolean;
  /** Close the whole position on this side at trigger (Binance closePosition); implies reduce-only. */
  closePosition: boolean;
  /**
   * TRAILING: arms when the source reaches `activationPrice` (immediately when absent), then tracks
   * the best price since (highest for a SELL, lowest for a BUY) and fires when the source retraces
   * from it by `callbackRate` (1e-8 of the extreme) or `callbackAmount` (ticks): exactly one of them.
   */
  activationPrice?: number;
  callbackRate?: bigint;
  callbackAmount?: number;
  clientOrderId?: string;
  stpMode?: StpMode;
  /** Engine time (ms) after which a waiting order expires; absent: never. */
  expireTime?: number;
  /** TP/SL armed on the position when the placed order fills. */
  attachTpsl?: AttachTpsl;
}

/** Identifies a conditional order by id or by the account's client order id. */
export type ConditionalRef = { conditionalId: number; clientOrderId?: undefined } | { conditionalId?: undefined; clientOrderId: string };

/** Changes a waiting conditional order (only the fields given). */
export type AmendConditional = CommandBase & ConditionalRef & {
  type: 'amendConditional'; accountId: number; symbol: string;
  triggerPrice?: number; triggerSource?: TriggerSource; price?: number; qty?: number;
  /** A plan order's attached take-profit / stop-loss (armed on the position its order opens). */
  tpsl?: TpslChange;
};
export type CancelConditional = CommandBase & ConditionalRef & { type: 'cancelConditional'; accountId: number; symbol: string };
/** Cancels the account's waiting conditional orders of a symbol (every symbol when absent), of the kinds listed (all when absent). */
export interface CancelAllConditionals extends CommandBase {
  type: 'cancelAllConditionals'; accountId: number; symbol?: string; kinds?: readonly ConditionalKind[];
}

/**
 * Sets a position's take-profit, stop-loss and trailing stop (Bybit trading-stop, XT create-profit).
 * FULL: the position has at most one full leg of each kind; a leg given replaces it, `null` cancels
 * it, absent leaves it. PARTIAL: creates a new TP/SL pair for `qty` contracts (`null` is not allowed).
 * The TP and SL created together are one-cancels-the-other.
 */
export interface SetPositionTpsl extends CommandBase {
  type: 'setPositionTpsl';
  accountId: number;
  symbol: string;
  positionSide: PositionSide;
  mode: TpslMode;
  takeProfit?: TpslLeg | null;
  stopLoss?: TpslLeg | null;
  /** FULL only: a trailing stop at `distance` ticks behind the best price, armed at `activationPrice` when given. */
  trailingStop?: { distance: number; activationPrice?: number; triggerSource: TriggerSource } | null;
  /** PARTIAL only: contracts each leg closes. */
  qty?: number;
  clientOrderId?: string;
  expireTime?: number;
}

export type Command =
  | CreateAccount | Deposit | Withdraw | SetLeverage | SetMarginMode | SetPositionMode | AdjustIsolatedMargin
  | PlaceOrder | AmendOrder | CancelOrder | CancelAll | SetMarkPrice | SetIndexPrice | SampleRisk | SettleFunding
  | SetFeeBurn | SetAssetPrice | AdjustRiskLimit | SetAutoDeposit | DepositInsurance
  | PlaceConditional | AmendConditional | CancelConditional | CancelAllConditionals | SetPositionTpsl | SettleDelivery;

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
  /** A conditional order whose condition already holds (Binance -2021 "Order would immediately trigger"). */
  | 'WOULD_TRIGGER_IMMEDIATELY'
  | 'TOO_MANY_CONDITIONAL_ORDERS'
  /** A delivery contract at or past its delivery time: it no longer trades (and once settled, never again). */
  | 'SYMBOL_NOT_TRADING'
  | 'NO_CHANGE'
  /**
   * Never the engine's: an operator armed the service to refuse the account's next order with an
   * exchange's own error code (src/faults/), which `exchangeCode` carries to the front door.
   */
  | 'INJECTED_REJECTION';

export interface CommandError { ok: false; code: ErrorCode; message: string; exchangeCode?: string }

export type CommandResult =
  | CommandError
  | { ok: true; kind: 'account'; accountId: number }
  | { ok: true; kind: 'order'; order: OrderSnapshot; duplicate: boolean }
  | { ok: true; kind: 'orders'; orders: OrderSnapshot[] }
  | { ok: true; kind: 'conditional'; conditional: ConditionalSnapshot; duplicate: boolean }
  /** Every conditional order the command created, changed or cancelled (setPositionTpsl, cancelAllConditionals). */
  | { ok: true; kind: 'conditionals'; conditionals: ConditionalSnapshot[] }
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
  /** Σ fill qty × fill price (ticks × contracts): a linear order's avg price = cumQuote / executedQty. */
  cumQuote: bigint;
  /**
   * Σ the fills' costs (margin.ts costOf): equal to cumQuote for a linear symbol, the coin value in
   * 10^-16 for an inverse one. The average fill price of every kind is formatEntryPrice(config, cumCost, executedQty)
   * (inverse: the harmonic mean, as the coin-margined exchanges show it); the filled value valueOfCost(config, cumCost).
   */
  cumCost: bigint;
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
  /** USER, or the risk engine's liquidation / ADL order (Binance autoclose-, Bybit createType, KuCoin liquid). */
  source: OrderSource;
  /** The kind of conditional order that placed it (XT sourceType ENTRUST / PROFIT, Bybit createType), null when placed directly. */
  origin: ConditionalKind | null;
  /** The conditional order that placed it (XT sourceId, Binance algoId); equal to orderId by construction, null when placed directly. */
  conditionalId: number | null;
  /** The take-profit / stop-loss it arms on the position it opens (Bybit takeProfit / stopLoss, XT triggerProfitPrice), null when none. */
  attachTpsl: AttachTpsl | null;
  createTime: number;
  updateTime: number;
}

/** A conditional order as it stands (events, results, views). */
export interface ConditionalSnapshot {
  /** Taken from the order id sequence: the order it places has this id. */
  conditionalId: number;
  clientOrderId: string | null;
  accountId: number;
  symbol: string;
  kind: ConditionalKind;
  side: Side;
  positionSide: PositionSide;
  triggerSource: TriggerSource;
  triggerDirection: TriggerDirection;
  /** Ticks; for a trailing stop the current trigger (null until it is armed). */
  triggerPrice: number | null;
  orderType: OrderType;
  /** Limit price in ticks (0 for MARKET). */
  price: number;
  timeInForce: TimeInForce;
  /** Contracts; 0 when it closes the whole position (closePosition, FULL TP/SL). */
  qty: number;
  reduceOnly: boolean;
  closePosition: boolean;
  /** TAKE_PROFIT / STOP_LOSS / position trailing: FULL or PARTIAL; null for plan and standalone trailing orders. */
  tpslMode: TpslMode | null;
  /** The TP/SL partner it is one-cancels-the-other with. */
  ocoId: number | null;
  /**
   * The TP/SL pair it belongs to (XT's one profitId for a take-profit and its stop-loss): the first
   * leg's id, kept when either leg is replaced; its own id when it has no partner.
   */
  pairId: number;
  /** Trailing: activation price (null: none), callback (one of the two), armed, and the best price since arming. */
  activationPrice: number | null;
  callbackRate: bigint | null;
  callbackAmount: number | null;
  activated: boolean;
  extremePrice: number | null;
  stpMode: StpMode;
  expireTime: number | null;
  /**
   * The account's margin mode on the symbol when the conditional order was created (KuCoin's stop
   * order shows it); the order it places takes the mode the account has then.
   */
  marginMode: MarginMode;
  /** The take-profit / stop-loss the order it places arms (plan orders), null when none. */
  attachTpsl: AttachTpsl | null;
  state: ConditionalState;
  reason: ConditionalReason;
  /** The order it placed (TRIGGERED, and REJECTED when the order got an id), else null. */
  orderId: number | null;
  /** The source price that fired it. */
  triggeredPrice: number | null;
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
  /** The order's source: a liquidation fill (Bybit BustTrade) or an ADL fill (AdlTrade, no fee). */
  source: OrderSource;
  /**
   * The order as this fill left it (the same snapshot as the TRADE order event before it): encoders
   * that report a fill and its order in one message (KuCoin `match`) need both.
   */
  order: OrderSnapshot;
}

export interface PositionSnapshot {
  symbol: string;
  positionSide: PositionSide;
  marginMode: MarginMode;
  leverage: number;
  /** Signed contracts: > 0 long, < 0 short. */
  qty: number;
  /**
   * Linear: Σ |qty| × entry price of the open contracts, ticks × contracts; entry price = entryCost / |qty|.
   * Inverse (COIN_BASED): Σ of the fills' coin values in 10^-16 coin (margin.ts costOf); the harmonic
   * entry price is |qty| × inverseValue × 10^8 / entryCost ticks (format.ts formatEntryPrice).
   */
  entryCost: bigint;
  /** Isolated: the isolated wallet. Cross: the initial margin the position holds. */
  margin: bigint;
  openOrderQty: number;
  openOrderMarginFrozen: bigint;
  closeOrderQty: number;
  /** Lifetime realized PnL of this symbol and side, before fees (Binance `cr`). */
  realizedPnlTotal: bigint;
  /** Realized PnL of the current position, net of its fees and funding (Bybit curRealisedPnl). */
  realizedPnlCurrent: bigint;
  feesTotal: bigint;
  /** Fees paid over the current position's life (since it last opened from flat; KuCoin currentComm). */
  feesCurrent: bigint;
  markPrice: number;
  unrealizedPnl: bigint;
  maintenanceMargin: bigint;
  /** Initial margin of the position at entry value and leverage (Bybit positionIM, KuCoin posInit). */
  initialMargin: bigint;
  /** Maintenance margin rate of the position's tier, 1e-8 (KuCoin maintMarginReq). */
  maintenanceMarginRate: bigint;
  /** 1-based risk tier the position (plus open orders) reaches (Bybit riskId, KuCoin riskLimitLevel). */
  riskLevel: number;
  /** Notional ceiling of that tier, settle asset (KuCoin riskLimit). */
  riskLimit: bigint;
  /** Mark price at which it is liquidated, settle asset 1e-8 per unit of base; null when flat or unreachable. */
  liquidationPrice: bigint | null;
  /** Price at which its margin is exactly zero, 1e-8; null when flat. */
  bankruptcyPrice: bigint | null;
  /**
   * Maintenance margin / margin balance of what covers the position (isolated: the position; cross:
   * the account's cross positions in the settle asset), 1e-8; 0 when flat (docs/engine-rules.md, Risk).
   */
  marginRatio: bigint;
  /** ADL queue quantile in [0, 1], 1e-8 (KuCoin delevPercentage; Binance's 0–4 lights derive from it). */
  adlQuantile: bigint;
  /** Auto-add margin for an isolated position (KuCoin autoDeposit). */
  autoDeposit: boolean;
  status: PositionStatus;
  /** Funding received (+) or paid (−) over the current position's life (KuCoin posFunding). */
  fundingTotal: bigint;
  /**
   * The position's FULL take-profit and stop-loss trigger prices and its trailing stop's distance
   * (ticks), null when none is set (Bybit takeProfit / stopLoss / trailingStop, XT triggerProfitPrice / triggerStopPrice).
   */
  takeProfitPrice: number | null;
  stopLossPrice: number | null;
  trailingDistance: number | null;
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
  /**
   * Binance's "initialised" side: an order was placed on it since the account's last position-mode
   * change (docs/engine-rules.md). Absent on events made outside the engine: read as true.
   */
  initialised?: boolean;
  /**
   * The symbol's other position records that Binance pushes with this one and that have no event of
   * their own in this step: its BOTH record and its initialised LONG/SHORT records, as they stand now.
   */
  siblings?: PositionSnapshot[];
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
  /** Part of openOrderMarginFrozen held by orders on isolated positions (KuCoin isolatedOrderMargin). */
  isolatedOrderMarginFrozen: bigint;
  /** Unrealized PnL of the asset's isolated positions at mark (KuCoin isolatedUnPnl). */
  isolatedUnrealizedPnl: bigint;
  /** Unrealized PnL of every open position settled in this asset, cross and isolated (Bybit coin equity). */
  unrealizedPnl: bigint;
  /** Lifetime realized PnL net of trading fees of every position settled in this asset (Bybit coin cumRealisedPnl). */
  realizedPnl: bigint;
  /** Maintenance margin of every open position settled in this asset (Bybit coin totalPositionMM). */
  maintenanceMargin: bigint;
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
  /** Margin-mode changes only: the symbol's settle-asset balance (Binance pushes it with MARGIN_TYPE_CHANGE). */
  settleBalance?: BalanceSnapshot;
  /**
   * Leverage changes only: margin moved from the wallet into isolated positions to meet the new
   * leverage (isolated margin is only ever topped up); 0 when none moved (Binance then shows only
   * ACCOUNT_CONFIG_UPDATE, otherwise also the moved margin as an ACCOUNT_UPDATE).
   */
  isolatedTopUp?: bigint;
}

/**
 * The risk engine's notice about one position (XT user.notify; Binance MARGIN_CALL for WARN). WARN
 * is sent once per episode (margin ratio crossing the threshold), the others once per action.
 */
export interface NoticeEvent extends EventBase {
  type: 'notice';
  notice: NoticeType;
  /** The position as it stands after the action (for WARN: now). */
  position: PositionSnapshot;
  /** The side the position was on when the action began (a liquidated one-way position is flat afterwards). */
  direction: 'LONG' | 'SHORT';
  /** Contracts the action concerned: liquidated or deleveraged; for WARN the position's size. */
  qty: number;
  /** Maintenance margin / margin balance of what the position's margin covers, 1e-8. */
  marginRatio: bigint;
  /** Wallet balance minus isolated margin of the settle asset (Binance MARGIN_CALL cw). */
  crossWalletBalance: bigint;
}

/** One position's funding settlement (KuCoin position.settlement, Bybit execType Funding). */
export interface FundingEvent extends EventBase {
  type: 'funding';
  symbol: string;
  positionSide: PositionSide;
  /** The settlement instant (ms). */
  fundingTime: number;
  /** Signed contracts the position held at settlement. */
  qty: number;
  /** Mark price used, in ticks. */
  markPrice: number;
  /** 1e-8; positive: longs pay shorts. */
  fundingRate: bigint;
  /** Signed: received (+) or paid (−), settle asset 1e-8. */
  fundingFee: bigint;
}

/** Result of a risk-limit level adjustment request (KuCoin position.adjustRiskLimit). */
export interface RiskLimitEvent extends EventBase {
  type: 'riskLimit';
  symbol: string;
  success: boolean;
  /** The level in force after the request. */
  riskLevel: number;
  /** Why it failed ('' on success). */
  message: string;
}

/**
 * Public market data, one list per command (Applied.market), owned by no account: a trade on the
 * book (liquidations included; ADL is off the book and not a market trade), a funding settlement,
 * and per symbol whose
 * book changed, the changed price levels with their new totals (0: the level is gone) under the
 * symbol's next book update id (one id per command that changed the book).
 */
export interface PublicTradeEvent {
  type: 'publicTrade';
  symbol: string;
  tradeId: number;
  /** Ticks and contracts. */
  price: number;
  qty: number;
  /** The side of the order that took liquidity. */
  takerSide: Side;
  time: number;
}

export interface BookUpdateEvent {
  type: 'book';
  symbol: string;
  /** The symbol's book update id after this command (consecutive per symbol, from 1). */
  updateId: number;
  time: number;
  /** Changed levels as [price ticks, total contracts], best first. */
  bids: readonly [number, number][];
  asks: readonly [number, number][];
}

/** A funding settlement of a symbol (public: the exchanges publish their funding-rate history). */
export interface FundingSettledEvent {
  type: 'fundingSettled';
  symbol: string;
  fundingTime: number;
  /** 10^-8; positive: longs paid shorts. */
  fundingRate: bigint;
  /** The mark price (ticks) the fees were computed at, null when the symbol had none. */
  markPrice: number | null;
  time: number;
}

/**
 * A conditional order was created, changed (amended, re-sized, trailing trigger moved — only
 * amendments and re-sizes are events: a trailing trigger moving is not pushed), triggered, or ended.
 * At trigger it comes before the placed order's own events.
 */
export interface ConditionalEvent extends EventBase {
  type: 'conditional';
  change: 'NEW' | 'AMENDED' | 'TRIGGERED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
  conditional: ConditionalSnapshot;
}

/**
 * A symbol's mark, index or premium index changed in this command (public-feed.ts, once per symbol
 * at the command's end, with all three as they now are): what the service records as mark, index
 * and premium-index klines.
 */
export interface PricesEvent {
  type: 'prices';
  symbol: string;
  /** Ticks; null before the first. */
  markPrice: number | null;
  indexPrice: number | null;
  /** The latest premium-index sample, 10^-8; null before the first. */
  premiumIndex: bigint | null;
  time: number;
}

/** A symbol's open interest (Σ long contracts) changed in this command: its new value, once per symbol at the command's end. */
export interface OpenInterestEvent {
  type: 'openInterest';
  symbol: string;
  /** Contracts. */
  openInterest: number;
  time: number;
}

/**
 * A liquidation order of the risk engine took liquidity on the book (after its trades; one that
 * filled nothing is not published): what the exchanges' public liquidation streams show. ADL is off
 * the book and not a market event.
 */
export interface LiquidationEvent {
  type: 'liquidation';
  symbol: string;
  /** The liquidation order's side: SELL closes a long. */
  side: Side;
  /** Its limit price and quantity (ticks, contracts). */
  price: number;
  qty: number;
  filled: number;
  /** Σ price × contracts of its fills (the average price is cumQuote / filled). */
  cumQuote: bigint;
  /** Σ the fills' costs (as OrderSnapshot.cumCost: the average price of any kind is formatEntryPrice(config, cumCost, filled)). */
  cumCost: bigint;
  /** The contracts of its last fill. */
  lastQty: number;
  /** The bankruptcy price the position was taken over at (ticks). */
  bankruptcyPrice: number;
  state: OrderState;
  time: number;
}

export type PublicEvent = PublicTradeEvent | BookUpdateEvent | FundingSettledEvent | PricesEvent | OpenInterestEvent | LiquidationEvent;

/**
 * A position closed by its delivery contract's settlement (Binance income DELIVERED_SETTELMENT, Bybit
 * execution CreateBySettle: a trade without an order). Followed by the position and balance events.
 */
export interface DeliveryEvent extends EventBase {
  type: 'delivery';
  symbol: string;
  positionSide: PositionSide;
  /** The delivery instant (ms, the symbol's delivery time). */
  deliveryTime: number;
  /** Signed contracts the position held. */
  qty: number;
  /** Delivery price, ticks. */
  deliveryPrice: number;
  /** Realized PnL of the close, before the fee, settle asset 1e-8. */
  realizedPnl: bigint;
  /** Delivery fee paid, settle asset 1e-8 (0 when the symbol charges none). */
  fee: bigint;
}

export type EngineEvent =
  | OrderEvent | TradeEvent | PositionEvent | BalanceEvent | ConfigEvent | NoticeEvent | FundingEvent | RiskLimitEvent | ConditionalEvent
  | DeliveryEvent;
