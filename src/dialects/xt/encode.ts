/**
 * Canonical engine events → XT futures user pushes (seeds 000/001, protocols.md §1.2). Each field
 * of both seed languages is sent, plus what ccxt reads (§1.3: `st`, `createTime`, `tradeId`,
 * `markPrice`, `availableBalance`). Decimals are strings, times ms. Our extension: every push
 * carries the account's `seq` in its envelope.
 */
import { formatAmount } from '../../engine/fixed.js';
import { formatEntryPrice, formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import type { BalanceSnapshot, ConditionalKind, EngineEvent, NoticeEvent, OrderSnapshot, PositionSnapshot, TradeEvent } from '../../engine/types.js';
import { FrameMemo } from '../frame-memo.js';
import { onVenue, USDT_M, walletOnVenue, type XtVenue } from './venue.js';

export type XtTopic = 'balance' | 'position' | 'trade' | 'order' | 'notify';
export const XT_TOPICS: readonly XtTopic[] = ['balance', 'position', 'trade', 'order', 'notify'];

export type Symbols = ReadonlyMap<string, SymbolConfig>;

/** XT has no BOTH side: a one-way position shows as LONG or SHORT by its sign (flat: LONG). */
export function xtPositionSide(position: Pick<PositionSnapshot, 'positionSide' | 'qty'>): 'LONG' | 'SHORT' {
  if (position.positionSide !== 'BOTH') return position.positionSide;
  return position.qty < 0 ? 'SHORT' : 'LONG';
}

/** The side an order works on: its hedge side, or in one-way mode the side it closes or opens. */
export function xtOrderPositionSide(order: Pick<OrderSnapshot, 'positionSide' | 'side' | 'closeQty' | 'reduceOnly'>): 'LONG' | 'SHORT' {
  if (order.positionSide !== 'BOTH') return order.positionSide;
  const closes = order.reduceOnly || order.closeQty > 0;
  return (order.side === 'BUY') === !closes ? 'LONG' : 'SHORT';
}

/** A wallet as XT shows it; `underlyingType` is the host's (seed 000: 1 coin-margined, 2 USDT-margined). */
export function xtBalance(b: Pick<BalanceSnapshot, 'asset' | 'walletBalance' | 'openOrderMarginFrozen' | 'isolatedMargin' | 'crossedMargin' | 'availableBalance'>, venue: XtVenue = USDT_M): Record<string, unknown> {
  return {
    coin: b.asset.toLowerCase(),
    underlyingType: venue.balanceType,
    walletBalance: formatAmount(b.walletBalance),
    openOrderMarginFrozen: formatAmount(b.openOrderMarginFrozen),
    isolatedMargin: formatAmount(b.isolatedMargin),
    crossedMargin: formatAmount(b.crossedMargin),
    availableBalance: formatAmount(b.availableBalance),
    coupon: '0',
    bonus: '0',
  };
}

/**
 * XT's contractType of a position as its user.position push spells it (seed 000, XT's "Change
 * position" page: PERPUTUAL, DELIVERY); the REST position objects say PERPETUAL (xtRestContractType).
 */
export const xtPushContractType = (config: SymbolConfig): 'PERPUTUAL' | 'DELIVERY' => (config.delivery === null ? 'PERPUTUAL' : 'DELIVERY');
/** contractType in XT's REST answers (symbol list, position list: PERPETUAL / DELIVERY). */
export const xtRestContractType = (config: SymbolConfig): 'PERPETUAL' | 'DELIVERY' => config.spec.contractType;

/**
 * A position (push and REST row). Amounts are in the settle asset (the coin for COIN_BASED), the
 * entry price is the contract-weighted mean (harmonic for inverse: formatEntryPrice).
 */
export function xtPosition(p: PositionSnapshot, config: SymbolConfig, side = xtPositionSide(p), contractType: string = xtRestContractType(config)): Record<string, unknown> {
  const size = Math.abs(p.qty);
  return {
    symbol: p.symbol,
    contractType,
    positionType: p.marginMode,
    positionSide: side,
    positionSize: String(size),
    closeOrderSize: String(p.closeOrderQty),
    availableCloseSize: String(size - p.closeOrderQty),
    realizedProfit: formatAmount(p.realizedPnlTotal),
    entryPrice: formatEntryPrice(config, p.entryCost, size),
    // The margin the position holds: its isolated wallet, or for a cross position its initial margin
    // (ccxt reads this field as the position's collateral either way).
    isolatedMargin: formatAmount(p.margin),
    openOrderMarginFrozen: formatAmount(p.openOrderMarginFrozen),
    openOrderSize: String(p.openOrderQty),
    underlyingType: config.spec.underlyingType,
    leverage: p.leverage,
    markPrice: p.markPrice > 0 ? formatPrice(config, p.markPrice) : '0',
    unrealizedProfit: formatAmount(p.unrealizedPnl),
    maintenanceMargin: formatAmount(p.maintenanceMargin),
    totalFee: formatAmount(p.feesTotal),
    // Funding received (+) or paid (−) over the position's life (ccxt's sample has totalFundFee).
    totalFundFee: formatAmount(p.fundingTotal),
    updatedTime: p.updateTime,
  };
}

/**
 * XT's `sourceType` of an order (seeds 000/001, `User Order.mdx`): DEFAULT when placed directly,
 * ENTRUST when a plan or trailing (track) order placed it, PROFIT when a take-profit / stop-loss did.
 * The order's `sourceId` is then that conditional order's id.
 */
export function xtSourceType(origin: ConditionalKind | null): 'DEFAULT' | 'ENTRUST' | 'PROFIT' {
  if (origin === null) return 'DEFAULT';
  return origin === 'TAKE_PROFIT' || origin === 'STOP_LOSS' ? 'PROFIT' : 'ENTRUST';
}

/** Order fields shared by the push and the REST order object. */
export function xtOrderFields(o: OrderSnapshot, config: SymbolConfig): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: String(o.orderId),
    clientOrderId: o.clientOrderId,
    origQty: String(o.qty),
    // The mean fill price over the order's fill costs (harmonic for inverse), never Σ qty × price.
    avgPrice: formatEntryPrice(config, o.cumCost, o.executedQty),
    price: o.orderType === 'MARKET' ? '0' : formatPrice(config, o.price),
    executedQty: String(o.executedQty),
    orderSide: o.side,
    orderType: o.orderType,
    timeInForce: o.timeInForce,
    positionSide: xtOrderPositionSide(o),
    positionType: o.marginMode,
    // A hedge-mode closing side is reduce-only by nature.
    reduceOnly: o.reduceOnly || (o.positionSide !== 'BOTH' && (o.positionSide === 'LONG') === (o.side === 'SELL')),
    marginFrozen: formatAmount(o.marginFrozen),
    sourceType: xtSourceType(o.origin),
    sourceId: o.conditionalId === null ? '' : String(o.conditionalId),
    state: o.state,
    reason: o.reason,
    leverage: o.leverage,
    fee: formatAmount(o.fees),
    realizedProfit: formatAmount(o.realizedPnl),
    createdTime: o.createTime,
    updatedTime: o.updateTime,
  };
}

/**
 * The `order` push: seed fields plus ccxt's `createTime` and `st`. `st` maps PARTIALLY_CANCELED to
 * CANCELED because ccxt does not know that state; `state` keeps XT's exact value.
 */
export function xtOrder(o: OrderSnapshot, config: SymbolConfig): Record<string, unknown> {
  return {
    ...xtOrderFields(o, config),
    type: 'ORDER',
    st: o.state === 'PARTIALLY_CANCELED' ? 'CANCELED' : o.state,
    createTime: o.createTime,
  };
}

export function xtTrade(t: TradeEvent, config: SymbolConfig): Record<string, unknown> {
  return {
    symbol: t.symbol,
    orderId: String(t.orderId),
    clientOrderId: t.clientOrderId,
    tradeId: String(t.tradeId),
    price: formatPrice(config, t.price),
    quantity: String(t.qty),
    orderSide: t.side,
    orderType: t.orderType,
    positionSide: t.positionSide === 'BOTH' ? (t.side === 'BUY' ? 'LONG' : 'SHORT') : t.positionSide,
    isMaker: t.isMaker,
    takerMaker: t.isMaker ? 'MAKER' : 'TAKER',
    fee: formatAmount(t.fee),
    feeCoin: t.feeAsset.toLowerCase(),
    realizedProfit: formatAmount(t.realizedPnl),
    marginUnfrozen: formatAmount(t.marginUnfrozen),
    timestamp: t.time,
  };
}

/**
 * The `notify` push (seed 000 user.notify): exactly the seed's fields. `positionSide` is the side the
 * position was on when the action began; `positionSize` the contracts the notice is about (for WARN
 * the position's size; for PARTIAL, LIQUIDATION and ADL the contracts liquidated or deleveraged).
 */
export function xtNotify(n: NoticeEvent): Record<string, unknown> {
  return {
    symbol: n.position.symbol,
    positionType: n.position.marginMode,
    positionSide: n.direction,
    positionSize: String(n.qty),
    notifyType: n.notice,
  };
}

function envelope(topic: XtTopic, accountId: number, seq: number, data: unknown): string {
  return JSON.stringify({ topic, event: topic === 'notify' ? 'notify' : `${topic}@${accountId}`, seq, data });
}

/**
 * Encodes events once per event, whatever the number of sockets: the frames are memoized on the
 * event object. XT has no BOTH side, so a one-way position is shown on the side of its sign; a flat
 * one stays on the side it was last open on (closing a short pushes SHORT with size 0), and one that
 * flips also clears the side it left, so a client keyed by (symbol, side) never keeps a stale row.
 * Everything it needs is in the event itself, so replayed events encode exactly like live ones.
 */
export class XtEncoder {
  private readonly frames = new FrameMemo<readonly string[]>();

  constructor(private readonly symbols: Symbols, private readonly venue: XtVenue = USDT_M) {}

  /** Whether the event is this host's: its symbol is, or (balance) its wallet is (venue.ts). */
  private onHost(event: EngineEvent): boolean {
    const symbolOnHost = (symbol: string): boolean => {
      const config = this.symbols.get(symbol);
      return config !== undefined && onVenue(this.venue, config);
    };
    switch (event.type) {
      case 'balance': return walletOnVenue([...this.symbols.values()], this.venue, event.balance.asset);
      case 'position': return symbolOnHost(event.position.symbol);
      case 'trade': return symbolOnHost(event.symbol);
      case 'order': return symbolOnHost(event.order.symbol);
      case 'notice': return symbolOnHost(event.position.symbol);
      default: return false;
    }
  }

  topicOf(event: EngineEvent): XtTopic | null {
    if (!this.onHost(event)) return null;
    switch (event.type) {
      case 'balance': return 'balance';
      case 'position': return 'position';
      case 'trade': return 'trade';
      case 'order': return 'order';
      case 'notice': return 'notify';
      // XT has no channel for conditional (entrust / profit / track) orders: they are seen over REST,
      // and the order one places is pushed on `order` with its sourceType and sourceId. Like config and
      // funding events, a conditional event takes a seq and sends nothing: a stream's seqs may skip.
      case 'conditional':
      default: return null;
    }
  }

  encode(event: EngineEvent): readonly string[] {
    return this.frames.get(event, () => this.build(event));
  }

  private build(event: EngineEvent): readonly string[] {
    const { accountId, seq } = event;
    switch (event.type) {
      case 'balance':
        return [envelope('balance', accountId, seq, xtBalance(event.balance, this.venue))];
      case 'position': {
        const config = this.symbols.get(event.position.symbol)!;
        const { qty, positionSide } = event.position;
        const contractType = xtPushContractType(config);
        if (positionSide !== 'BOTH') return [envelope('position', accountId, seq, xtPosition(event.position, config, undefined, contractType))];
        const side = qty > 0 ? 'LONG' : qty < 0 ? 'SHORT' : (event.lastDirection ?? 'LONG');
        const current = envelope('position', accountId, seq, xtPosition(event.position, config, side, contractType));
        if (qty === 0 || event.previousQty === 0 || Math.sign(event.previousQty) === Math.sign(qty)) return [current];
        const left = side === 'LONG' ? 'SHORT' : 'LONG';
        const cleared = { ...event.position, qty: 0, entryCost: 0n, margin: 0n, closeOrderQty: 0, unrealizedPnl: 0n, maintenanceMargin: 0n };
        return [envelope('position', accountId, seq, xtPosition(cleared, config, left, contractType)), current];
      }
      case 'order':
        return [envelope('order', accountId, seq, xtOrder(event.order, this.symbols.get(event.order.symbol)!))];
      case 'trade':
        return [envelope('trade', accountId, seq, xtTrade(event, this.symbols.get(event.symbol)!))];
      case 'notice':
        return [envelope('notify', accountId, seq, xtNotify(event))];
      default:
        return [];
    }
  }
}
