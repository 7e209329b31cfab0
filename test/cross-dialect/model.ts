/**
 * One normalized model of an account, the same for every dialect and for the engine, so that what
 * four wire formats pushed can be compared field by field with each other and with the engine.
 *
 * Entities (keys): `wallet:<ASSET>`, `position:<symbol>|<BOTH|LONG|SHORT>`, `order:<orderId>`,
 * `fill:<tradeId>`, `setting:<symbol>` (engine symbol names, e.g. btc_usdt). Values are canonical
 * decimal text (quantities in base units, prices and amounts as decimals), enums, booleans, `null`
 * (no average / no mark), or, for averages, the engine's exact ratio vs the dialect's rounded text.
 */
import type { SymbolConfig } from '../../src/engine/symbol.js';
import type { EngineEvent, OrderSnapshot, OrderState, PositionSnapshot, TradeEvent } from '../../src/engine/types.js';
import type { AccountView } from '../../src/engine/view.js';
import { INVERSE_COST_SCALE } from '../../src/engine/margin.js';
import { dec, decAdd, decMul, decOf, exact, exactRatio, exactText, roundsFrom, type Exact, type Rounded } from './exact.js';

export type EntityKind = 'wallet' | 'position' | 'order' | 'fill' | 'setting';

/** What a dialect's push says about a field. */
export type WireValue = string | boolean | null | Rounded;
/** What the engine says about it. */
export type TruthValue = string | boolean | null | Exact;

export type Fields<V> = Map<string, V>;

/** The fields each entity kind has in the model (the engine provides all of them). */
export const FIELDS: Readonly<Record<EntityKind, readonly string[]>> = {
  wallet: ['walletBalance', 'availableBalance', 'orderMargin', 'positionMargin'],
  position: [
    'qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlTotal', 'realizedPnlCurrent', 'realizedNetTotal',
    'feesTotal', 'feesCurrent', 'fundingTotal', 'markPrice', 'unrealizedPnl',
  ],
  order: ['clientOrderId', 'side', 'positionSide', 'type', 'timeInForce', 'price', 'qty', 'status', 'filledQty', 'avgPrice', 'createTime'],
  fill: ['orderId', 'side', 'price', 'qty', 'fee', 'feeAsset', 'maker', 'realizedPnl', 'time'],
  setting: ['leverage', 'marginMode'],
};

/** The order states the four dialects can all tell apart (each folds cancel, partial cancel and expiry into one). */
export type Status = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED';

export function statusOf(state: OrderState): Status {
  switch (state) {
    case 'CANCELED':
    case 'PARTIALLY_CANCELED':
    case 'EXPIRED': return 'CANCELED';
    default: return state;
  }
}

export const kindOf = (key: string): EntityKind => key.slice(0, key.indexOf(':')) as EntityKind;

/** A dialect's picture of the account, built push by push. */
export class Model {
  readonly entities = new Map<string, Fields<WireValue>>();
  /** Per order id, every status update pushed, as "STATUS filledQty". */
  readonly orderLog = new Map<string, string[]>();
  /**
   * Per order id, the dialect's own words for its last status (before they fold into Status): XT
   * `state`, Binance `X`, Bybit `orderStatus cancelType`, KuCoin `type` — how each says EXPIRED at delivery.
   */
  readonly statusWords = new Map<string, string>();
  /** Every fill row pushed, by trade id, in arrival order (a duplicate shows twice). */
  readonly fillRows: string[] = [];
  /** Funding settlements, "symbol|side fee" (fee received +), in arrival order. */
  readonly fundings: string[] = [];
  /** Positions closed by a delivery, as a dialect that tells them apart pushes them (deliveryLine), in arrival order. */
  readonly deliveries: string[] = [];
  /** Entities a push touched since the last step ended. */
  readonly touched = new Set<string>();
  /** Pushes of the dialect that contradict each other (one message against another of the same change). */
  readonly inconsistencies: string[] = [];
  /**
   * The dialect's own markers of risk and change reasons (notices, liquidation and ADL order markers,
   * exec types, change reasons, position status), one line each, in arrival order (markers.ts).
   */
  readonly markers: string[] = [];
  /** The dialect's pushes of conditional orders themselves, one line each, in arrival order (conditionals.ts). */
  readonly conditionalLog: string[] = [];
  /** Per order id, every distinct origin (the conditional that placed it) its pushes showed (conditionals.ts). */
  readonly origins = new Map<string, Set<string>>();

  /** Per position key, the Full take profit / stop loss / trailing distance its last push showed, "tp/sl/ts" (Bybit; "0" when none). */
  readonly positionTpsl = new Map<string, string>();

  origin(orderId: string, text: string): void {
    const seen = this.origins.get(orderId) ?? new Set<string>();
    seen.add(text);
    this.origins.set(orderId, seen);
  }

  /**
   * Applies what a push says: a field given a value is set, a field given `undefined` is dropped
   * (the push says the wire no longer carries it, e.g. Binance's iw of a cross position); fields
   * the push does not mention keep their last value.
   */
  set(key: string, fields: Record<string, WireValue | undefined>): void {
    let entity = this.entities.get(key);
    if (entity === undefined) this.entities.set(key, (entity = new Map()));
    for (const [name, value] of Object.entries(fields)) {
      if (!FIELDS[kindOf(key)].includes(name)) throw new Error(`model: ${key} has no field ${name}`);
      if (value === undefined) entity.delete(name);
      else entity.set(name, value);
    }
    this.touched.add(key);
  }

  logOrder(orderId: string, status: Status, filledQty: string): void {
    const log = this.orderLog.get(orderId) ?? [];
    log.push(`${status} ${dec(filledQty)}`);
    this.orderLog.set(orderId, log);
  }

  wallet(asset: string): Fields<WireValue> | undefined {
    return this.entities.get(`wallet:${asset}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The engine's side

/** A symbol's units, from its configuration (decimal sizes only: nothing here formats like a dialect). */
export interface Units {
  symbol: string;
  tickSize: string;
  /** Base units per contract (linear), or the quote value of a contract (inverse: "100" USD). */
  contractSize: string;
  priceDecimals: number;
  settleAsset: string;
  /**
   * Coin-margined: a cost (margin.ts) is the coin value in 10^-16, so an average price is the
   * harmonic qty × C × S / cost (C = inverseValue, S = INVERSE_COST_SCALE), not cost / qty.
   */
  inverse: { inverseValue: bigint; tickUnits: bigint } | null;
  /** The delivery time of a delivery contract (each exchange names those by it), else null. */
  deliveryTime: number | null;
}

export const unitsOf = (config: SymbolConfig): Units => ({
  symbol: config.symbol, tickSize: config.spec.tickSize, contractSize: config.spec.contractSize, priceDecimals: config.priceDecimals,
  settleAsset: config.settleAsset, inverse: config.inverse ? { inverseValue: config.inverseValue, tickUnits: config.tickUnits } : null,
  deliveryTime: config.delivery?.time ?? null,
});

/**
 * The exact average price of `qty` contracts that cost `cost` (margin.ts costs: an entry cost, an
 * order's cumCost): linear cost × tick / qty; inverse the harmonic qty × C × S / cost, in decimals.
 */
export function averageOf(u: Units, cost: bigint, qty: number): Exact {
  const size = BigInt(Math.abs(qty));
  if (u.inverse === null) return exactRatio(cost, u.tickSize, size);
  return exact(size * u.inverse.inverseValue * INVERSE_COST_SCALE * u.inverse.tickUnits, cost * 10n ** BigInt(u.priceDecimals));
}

export const amountText = (units: bigint): string => decOf(units, 8);
export const baseQty = (u: Units, contracts: number): string => decMul(contracts, u.contractSize);
export const priceText = (u: Units, ticks: number): string => decMul(ticks, u.tickSize);

function positionTruth(p: PositionSnapshot, u: Units): Fields<TruthValue> {
  const size = Math.abs(p.qty);
  return new Map<string, TruthValue>([
    ['qty', baseQty(u, p.qty)],
    ['entryPrice', size === 0 ? null : averageOf(u, p.entryCost, size)],
    ['marginMode', p.marginMode],
    ['leverage', String(p.leverage)],
    ['margin', amountText(p.margin)],
    ['realizedPnlTotal', amountText(p.realizedPnlTotal)],
    ['realizedPnlCurrent', amountText(p.realizedPnlCurrent)],
    ['realizedNetTotal', amountText(p.realizedPnlTotal - p.feesTotal)],
    ['feesTotal', amountText(p.feesTotal)],
    ['feesCurrent', amountText(p.feesCurrent)],
    ['fundingTotal', amountText(p.fundingTotal)],
    ['markPrice', p.markPrice > 0 ? priceText(u, p.markPrice) : null],
    ['unrealizedPnl', amountText(p.unrealizedPnl)],
  ]);
}

function orderTruth(o: OrderSnapshot, u: Units): Fields<TruthValue> {
  return new Map<string, TruthValue>([
    ['clientOrderId', o.clientOrderId],
    ['side', o.side],
    ['positionSide', o.positionSide],
    ['type', o.orderType],
    ['timeInForce', o.timeInForce],
    ['price', priceText(u, o.price)],
    ['qty', baseQty(u, o.qty)],
    ['status', statusOf(o.state)],
    ['filledQty', baseQty(u, o.executedQty)],
    ['avgPrice', o.executedQty === 0 ? null : averageOf(u, o.cumCost, o.executedQty)],
    ['createTime', String(o.createTime)],
  ]);
}

function fillTruth(t: TradeEvent, u: Units): Fields<TruthValue> {
  return new Map<string, TruthValue>([
    ['orderId', String(t.orderId)],
    ['side', t.side],
    ['price', priceText(u, t.price)],
    ['qty', baseQty(u, t.qty)],
    ['fee', amountText(t.fee)],
    ['feeAsset', t.feeAsset],
    ['maker', t.isMaker],
    ['realizedPnl', amountText(t.realizedPnl)],
    ['time', String(t.time)],
  ]);
}

/** The engine's own account state in the model's terms. */
export interface Truth {
  entities: Map<string, Fields<TruthValue>>;
  /** The engine's fills, by trade id, in order. */
  fills: string[];
  /** Funding events, "symbol|side fee". */
  fundings: string[];
  /** Delivery events (deliveryLine). */
  deliveries: string[];
}

/** A position closed by a delivery: "symbol|side qty (base units, as held) @ price pnl fee". */
export const deliveryLine = (symbol: string, side: string, qty: string, price: string, pnl: string, fee: string): string =>
  `${symbol}|${side} ${dec(qty)} @ ${dec(price)} pnl ${dec(pnl)} fee ${dec(fee)}`;

export function truthOf(view: AccountView, finished: readonly OrderSnapshot[], trades: readonly TradeEvent[], events: readonly EngineEvent[], units: ReadonlyMap<string, Units>): Truth {
  const unit = (symbol: string): Units => units.get(symbol) ?? (() => { throw new Error(`no units for ${symbol}`); })();
  const entities = new Map<string, Fields<TruthValue>>();
  for (const w of view.wallets) {
    entities.set(`wallet:${w.asset}`, new Map<string, TruthValue>([
      ['walletBalance', amountText(w.walletBalance)],
      ['availableBalance', amountText(w.availableBalance)],
      ['orderMargin', amountText(w.openOrderMarginFrozen)],
      ['positionMargin', amountText(w.isolatedMargin + w.crossedMargin)],
    ]));
  }
  for (const p of view.positions) entities.set(`position:${p.symbol}|${p.positionSide}`, positionTruth(p, unit(p.symbol)));
  for (const o of [...finished, ...view.orders]) entities.set(`order:${o.orderId}`, orderTruth(o, unit(o.symbol)));
  for (const t of trades) entities.set(`fill:${t.tradeId}`, fillTruth(t, unit(t.symbol)));
  for (const s of view.settings) entities.set(`setting:${s.symbol}`, new Map<string, TruthValue>([['leverage', String(s.leverage)], ['marginMode', s.marginMode]]));
  const fundings = events.filter((e) => e.type === 'funding').map((e) => `${e.symbol}|${e.positionSide} ${amountText(e.fundingFee)}`);
  const deliveries = events.flatMap((e) => (e.type === 'delivery'
    ? [deliveryLine(e.symbol, e.positionSide, baseQty(unit(e.symbol), e.qty), priceText(unit(e.symbol), e.deliveryPrice), amountText(e.realizedPnl), amountText(e.fee))]
    : []));
  return { entities, fills: trades.map((t) => String(t.tradeId)), fundings, deliveries };
}

// ---------------------------------------------------------------------------------------------
// Comparison

export function agrees(wire: WireValue, truth: TruthValue): boolean {
  if (truth !== null && typeof truth === 'object') return wire !== null && typeof wire === 'object' && roundsFrom(wire, truth);
  if (wire !== null && typeof wire === 'object') return false;
  return wire === truth;
}

export function show(value: WireValue | TruthValue | undefined): string {
  if (value === undefined) return '(absent)';
  if (value === null) return 'null';
  if (typeof value === 'object') return value.kind === 'exact' ? exactText(value) : `${value.text} (to ${value.decimals} dp)`;
  return String(value);
}

/** One field on which a dialect and the engine disagree. */
export interface Disagreement {
  dialect: string;
  entity: string;
  field: string;
  wire: WireValue | undefined;
  truth: TruthValue | undefined;
}

/** Sum of decimal texts (KuCoin splits wallet margins into cross and isolated parts). */
export const sum = (...parts: string[]): string => parts.reduce((a, b) => decAdd(a, b), '0');
