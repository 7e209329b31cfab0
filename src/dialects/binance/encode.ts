/**
 * Canonical engine events → Binance USDⓈ-M user-data events (protocols.md §2.2, seed 002). One
 * command's events are encoded together: its balance and position changes become ONE
 * ACCOUNT_UPDATE, its order changes ORDER_TRADE_UPDATE (+ TRADE_LITE for fills). Stateless:
 * everything comes from the events (position events carry `initialised` and `siblings`, margin-mode
 * config events `settleBalance`), so a replayed command encodes exactly like the live one.
 *
 * ACCOUNT_UPDATE rules (seed 002, docs/dialects/binance.md):
 * - B: only the assets whose balance changed (a margin-type change: the symbol's margin asset).
 * - P: `[]` when no position changed; else, per symbol whose positions or margin type changed, its
 *   BOTH entry always (zeros when it has no record), then LONG and SHORT when initialised — an
 *   order was placed on the side since the account's last position-mode change. Other symbols never.
 * - FUNDING_FEE short form: cross positions add nothing to P; isolated ones only themselves.
 */
import type {
  BalanceEvent, ChangeReason, ConditionalEvent, ConditionalSnapshot, ConfigEvent, EngineEvent, NoticeEvent, OrderEvent, OrderReason,
  OrderSnapshot, PositionEvent, PositionSide, PositionSnapshot, TradeEvent,
} from '../../engine/types.js';
import { algoStatus, algoUpdate, orderFinished, originPushFields, triggerReject } from './algo.js';
import { emptyPositionSnapshot } from '../../engine/snapshots.js';
import {
  amount, amount8, formatAverage, formatPrice, formatQty, formatUnitPrice, pnlAmount, type BinanceSymbol, type BinanceSymbols,
} from './symbols.js';
import { FrameMemo } from '../frame-memo.js';
import { INVERSE_COST_SCALE } from '../../engine/margin.js';

type Json = Record<string, unknown>;

const SIDES: readonly PositionSide[] = ['BOTH', 'LONG', 'SHORT'];

/** ChangeReason → `a.m`; null: the change pushes no ACCOUNT_UPDATE. */
function accountReason(reason: ChangeReason, hasTrade: boolean): string | null {
  switch (reason) {
    case 'DEPOSIT': return 'DEPOSIT';
    case 'WITHDRAW': return 'WITHDRAW';
    case 'ORDER': return 'ORDER';
    case 'MARGIN_TRANSFER': return 'MARGIN_TRANSFER';
    case 'AUTO_DEPOSIT': return 'MARGIN_TRANSFER';
    case 'MARGIN_TYPE_CHANGE': return 'MARGIN_TYPE_CHANGE';
    case 'FUNDING_FEE': return 'FUNDING_FEE';
    // A delivery settlement closes positions without an order; of Binance's reasons, ADJUSTMENT is
    // the one for a balance and position set by the exchange itself.
    case 'DELIVERY': return 'ADJUSTMENT';
    // A liquidation or ADL executes as orders (autoclose-… / adl_autoclose); what moves without a
    // fill is the insurance fund clearing the account.
    case 'LIQUIDATION': return hasTrade ? 'ORDER' : 'INSURANCE_CLEAR';
    case 'ADL': return 'ORDER';
    // LEVERAGE_CHANGE pushes ACCOUNT_CONFIG_UPDATE (plus a MARGIN_TRANSFER update when it topped up
    // isolated margin, see accountUpdate); POSITION_MODE_CHANGE, MARK_PRICE,
    // RISK_LIMIT_CHANGE, AUTO_DEPOSIT_CHANGE: nothing Binance shows.
    default: return null;
  }
}

/** Execution type `x` per engine execType; liquidation/ADL fills are Binance's CALCULATED. */
function executionType(event: OrderEvent): string {
  if (event.execType === 'TRADE' && event.order.source !== 'USER') return 'CALCULATED';
  return event.execType;
}

/** Order status `X`. A partly filled cancel is CANCELED; a self-trade-prevented order EXPIRED_IN_MATCH. */
export function orderStatus(order: OrderSnapshot): string {
  switch (order.state) {
    case 'PARTIALLY_CANCELED': return 'CANCELED';
    case 'EXPIRED': return order.reason === 'SELF_TRADE_PREVENTION' ? 'EXPIRED_IN_MATCH' : 'EXPIRED';
    default: return order.state;
  }
}

/** Expiry reason `er` (protocols.md §2.2). */
export function expiryReason(order: OrderSnapshot): string {
  const reasons: Partial<Record<OrderReason, string>> = {
    SELF_TRADE_PREVENTION: order.timeInForce === 'IOC' ? '3' : '1',
    IOC_REMAINDER: '2',
    REDUCE_ONLY_WOULD_INCREASE: '4',
    MARKET_REMAINDER: '9',
    FOK_NOT_FILLABLE: '10',
    POST_ONLY_WOULD_TAKE: '11',
  };
  return order.state === 'EXPIRED' ? (reasons[order.reason] ?? '0') : '0';
}

/** The client order id Binance shows: the client's, or one made from the source and the order id. */
export function clientId(order: Pick<OrderSnapshot, 'clientOrderId' | 'orderId' | 'source'>): string {
  if (order.source === 'LIQUIDATION') return `autoclose-${order.orderId}`;
  if (order.source === 'ADL') return 'adl_autoclose';
  return order.clientOrderId ?? `${GENERATED_CLIENT_ID_PREFIX}${order.orderId}`;
}

/** The account alias Binance shows (REST `accountAlias`, COIN-M's ACCOUNT_UPDATE `i`). */
export const accountAlias = (accountId: number): string => `perpstream${accountId}`;

/** Prefix of the client ids made for orders placed without one (REST accepts them back). */
export const GENERATED_CLIENT_ID_PREFIX = 'perpstream-';

const orderTypeOf = (order: OrderSnapshot): string => (order.source === 'USER' ? order.orderType : 'LIQUIDATION');

/** A placement the engine refused (no NEW before it): Binance answers it over REST and pushes nothing. */
export function refusedAtPlacement(event: OrderEvent): boolean {
  return event.execType === 'REJECTED' || (event.execType === 'EXPIRED' && event.order.reason === 'FOK_NOT_FILLABLE' && event.order.executedQty === 0);
}

export function mt(marginMode: string): 'isolated' | 'cross' {
  return marginMode === 'ISOLATED' ? 'isolated' : 'cross';
}

/** One `a.P[]` entry (seed 002 fields, plus `bep` and `ma` of the current format). */
export function positionEntry(symbol: BinanceSymbol, p: PositionSnapshot): Json {
  return {
    s: symbol.name,
    pa: formatQty(symbol, p.qty),
    ep: formatAverage(symbol, p.entryCost, p.qty),
    bep: breakEvenPrice(symbol, p),
    cr: amount8(p.realizedPnlTotal),
    up: pnlAmount(symbol, p.unrealizedPnl),
    mt: mt(p.marginMode),
    iw: p.marginMode === 'ISOLATED' ? amount8(p.margin) : '0',
    ps: p.positionSide,
    // USDⓈ-M names the margin asset; COIN-M's entries have no `ma` (the symbol's coin is its margin).
    ...(symbol.market === 'coinm' ? {} : { ma: symbol.config.settleAsset }),
  };
}

/**
 * Break-even price: the price at which closing all of the position would bring its realized PnL
 * since it opened (net of fees) to zero; zeros when flat.
 */
export function breakEvenPrice(symbol: BinanceSymbol, p: PositionSnapshot): string {
  if (p.qty === 0) return formatAverage(symbol, 0n, 0);
  const { config } = symbol;
  if (config.inverse) {
    // Closing at P pays |qty| × C / P coin against the entry value V: break-even where that difference
    // offsets what was realized, P = |qty| × C / (V ± realized) (long +, short −; C per contract).
    const realized = p.qty > 0 ? p.realizedPnlCurrent : -p.realizedPnlCurrent;
    const coin = p.entryCost + realized * INVERSE_COST_SCALE;
    return coin <= 0n ? formatAverage(symbol, 0n, 0) : formatAverage(symbol, coin, p.qty);
  }
  // Entry value in amount units, shifted by what the position has realized since it opened.
  const value = p.entryCost * config.valuePerTickContract + (p.qty > 0 ? -p.realizedPnlCurrent : p.realizedPnlCurrent);
  const baseUnits = BigInt(Math.abs(p.qty)) * symbol.contractUnits; // base in 10^-qtyDecimals
  // Price in amount units per whole base unit = value × 10^qtyDecimals / baseUnits.
  return formatUnitPrice(symbol, (value * 10n ** BigInt(symbol.qtyDecimals)) / baseUnits);
}

/** A zero BOTH entry for a symbol without a BOTH record (hedge accounts that never traded one-way). */
function emptyBoth(symbol: BinanceSymbol, marginMode: string): Json {
  return positionEntry(symbol, emptyPositionSnapshot({
    symbol: symbol.config.symbol, positionSide: 'BOTH', marginMode: marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSSED', leverage: 0,
  }));
}

/**
 * The conditional order an order was placed by, when the command that placed it is over (its
 * TRIGGERED event is not among the events being encoded): the service's History, which keeps
 * ended conditionals. Undefined when it no longer remembers it.
 */
export type ConditionalLookup = (accountId: number, conditionalId: number) => ConditionalSnapshot | undefined;

export class BinanceEncoder {
  /** Frames per command, memoized on the command's first event: encoded once whatever the sockets. */
  private readonly frames = new FrameMemo<readonly string[]>();

  constructor(private readonly symbols: BinanceSymbols, private readonly conditionalOf: ConditionalLookup = () => undefined) {}

  /**
   * The frames for one command's events of one account (in the order the engine emitted them).
   * Each carries perpstream's `seq` last: the account's last event in the command, the position a
   * client resumes from (stream.ts).
   */
  encode(events: readonly EngineEvent[]): readonly string[] {
    if (events.length === 0) return [];
    const seq = events[events.length - 1]!.seq;
    return this.frames.get(events[0]!, () => this.build(this.ownEvents(events)).map((e) => JSON.stringify({ ...e, seq })));
  }

  /**
   * The events of this encoder's market (fstream: USDⓈ-M, dstream: COIN-M): its symbols' changes and
   * its margin assets' balances; account-wide settings (position mode) belong to both.
   */
  private ownEvents(events: readonly EngineEvent[]): readonly EngineEvent[] {
    const symbols = this.symbols;
    if (symbols.market === undefined) return events;
    return events.filter((e) => {
      switch (e.type) {
        case 'balance': return symbols.showsAsset(e.balance.asset);
        case 'order': return symbols.lists(e.order.symbol);
        case 'conditional': return symbols.lists(e.conditional.symbol);
        case 'position': case 'notice': return symbols.lists(e.position.symbol);
        case 'config': return e.symbol === null || symbols.lists(e.symbol);
        case 'trade': case 'delivery': case 'funding': case 'riskLimit': return symbols.lists(e.symbol);
      }
    });
  }

  /** The events as objects (tests read them field by field). */
  build(events: readonly EngineEvent[]): Json[] {
    const out: Json[] = [];
    // The conditionals this command changed (latest snapshot), and the orders they placed that ended here.
    const conditionals = new Map<number, ConditionalSnapshot>();
    const finished = new Map<number, OrderSnapshot>();
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.type === 'conditional') {
        conditionals.set(event.conditional.conditionalId, event.conditional);
        out.push(...this.algoEvents(event, events, i));
      } else if (event.type === 'order') {
        if (refusedAtPlacement(event)) continue;
        const o = event.order;
        const origin = o.conditionalId === null ? undefined : conditionals.get(o.conditionalId) ?? this.conditionalOf(o.accountId, o.conditionalId);
        if (origin !== undefined && orderFinished(o)) finished.set(o.orderId, o);
        const trade = event.execType === 'TRADE' ? findTrade(events, i, o.orderId) : undefined;
        // TRADE_LITE is USDⓈ-M's (COIN-M's stream has no such event).
        if (trade !== undefined && trade.source === 'USER' && this.symbols.market !== 'coinm') out.push(this.tradeLite(trade, o));
        out.push(this.orderUpdate(event, trade, origin));
      } else if (event.type === 'config' && setsLeverage(event) && event.symbol !== null && event.leverage !== null) {
        out.push({ e: 'ACCOUNT_CONFIG_UPDATE', E: event.time, T: event.time, ac: { s: this.symbols.of(event.symbol).name, l: event.leverage } });
      } else if (event.type === 'notice' && event.notice === 'WARN') {
        out.push(this.marginCall(event));
      }
    }
    const update = this.accountUpdate(events);
    if (update !== null) out.push(update);
    // The algo service hears that the order it placed is done after the matching engine has told
    // the account: FINISHED comes last.
    for (const order of finished.values()) {
      const c = conditionals.get(order.conditionalId!) ?? this.conditionalOf(order.accountId, order.conditionalId!);
      if (c !== undefined && c.state === 'TRIGGERED') out.push(algoUpdate(this.symbols.of(c.symbol), c, 'FINISHED', order.updateTime, order));
    }
    return out;
  }

  /**
   * A conditional event's pushes. At trigger Binance forwards the order to the matching engine
   * (TRIGGERING), then has it placed (TRIGGERED, `ai` its id) or refused (REJECTED, `rm` why, and
   * CONDITIONAL_ORDER_TRIGGER_REJECT). A cancel by the account is CANCELED, one by the system
   * (position closed, OCO partner fired) EXPIRED. The engine's AMENDED (a partial TP/SL leg shrunk
   * with its position) has no Binance counterpart: Binance does not modify waiting algo orders.
   */
  private algoEvents(event: ConditionalEvent, events: readonly EngineEvent[], at: number): Json[] {
    const c = event.conditional;
    const symbol = this.symbols.of(c.symbol);
    switch (event.change) {
      case 'NEW': return [algoUpdate(symbol, c, 'NEW', event.time)];
      case 'AMENDED': return [];
      case 'TRIGGERED': {
        const placed = c.orderId === null ? undefined : firstOrderEvent(events, at, c.orderId);
        return [algoUpdate(symbol, c, 'TRIGGERING', event.time), algoUpdate(symbol, c, 'TRIGGERED', event.time, placed)];
      }
      case 'REJECTED': return [algoUpdate(symbol, c, 'TRIGGERING', event.time), algoUpdate(symbol, c, 'REJECTED', event.time), triggerReject(symbol, event)];
      case 'CANCELED': case 'EXPIRED': return [algoUpdate(symbol, c, algoStatus(c, undefined), event.time)];
    }
  }

  private accountUpdate(all: readonly EngineEvent[]): Json | null {
    // A mark-price push is no change Binance shows, even within a command that changes the account
    // otherwise (a mark tick whose liquidation fills this account's resting order after pushing its
    // position's new mark): the reason and contents come from the command's other events.
    const events = all.filter((e) => e.reason !== 'MARK_PRICE');
    const first = events[0];
    if (first === undefined) return null;
    const balances = new Map<string, { event: BalanceEvent['balance']; change: bigint }>();
    /** symbol → side → snapshot, latest wins; null marks a symbol to show with its margin mode. */
    const positions = new Map<string, { marginMode: string; sides: Map<PositionSide, PositionSnapshot> }>();
    let hasTrade = false;
    const touch = (symbol: string, marginMode: string) => {
      let entry = positions.get(symbol);
      if (entry === undefined) positions.set(symbol, (entry = { marginMode, sides: new Map() }));
      entry.marginMode = marginMode;
      return entry;
    };
    const funding = first.reason === 'FUNDING_FEE';
    for (const event of events) {
      switch (event.type) {
        case 'trade': hasTrade = true; break;
        case 'balance': {
          const seen = balances.get(event.balance.asset);
          balances.set(event.balance.asset, { event: event.balance, change: (seen?.change ?? 0n) + event.walletChange });
          break;
        }
        case 'config':
          if (event.reason === 'MARGIN_TYPE_CHANGE' && event.symbol !== null && event.marginMode !== null) {
            touch(event.symbol, event.marginMode);
            if (event.settleBalance !== undefined && !balances.has(event.settleBalance.asset)) {
              balances.set(event.settleBalance.asset, { event: event.settleBalance, change: 0n });
            }
          }
          break;
        case 'position': this.collectPosition(event, touch, funding); break;
        default: break;
      }
    }
    // An order placed, amended or cancelled without a fill changes nothing Binance shows (only frozen
    // margin and open-order quantities move): no ACCOUNT_UPDATE.
    if (first.reason === 'ORDER' && !hasTrade) return null;
    // Likewise the delivery's expiring orders: only the settlement of positions is an account update.
    if (first.reason === 'DELIVERY' && !events.some((e) => e.type === 'delivery')) return null;
    // A leverage change that topped up isolated margin moved money out of the cross wallet: shown as
    // Binance shows any move into isolated margin.
    const toppedUp = first.reason === 'LEVERAGE_CHANGE' && events.some((e) => e.type === 'config' && (e.isolatedTopUp ?? 0n) > 0n);
    const reason = toppedUp ? 'MARGIN_TRANSFER' : accountReason(first.reason, hasTrade);
    if (reason === null || (balances.size === 0 && positions.size === 0)) return null;
    const B = [...balances.values()].map(({ event: b, change }) => ({
      a: b.asset, wb: amount8(b.walletBalance), cw: this.isMarginAsset(b.asset) ? amount8(b.crossWalletBalance) : '0', bc: amount8(change),
    }));
    const P: Json[] = [];
    for (const [name, { marginMode, sides }] of positions) {
      const symbol = this.symbols.of(name);
      if (!funding) {
        const both = sides.get('BOTH');
        P.push(both === undefined ? emptyBoth(symbol, marginMode) : positionEntry(symbol, both));
      }
      for (const side of SIDES) {
        const snapshot = sides.get(side);
        if (snapshot !== undefined && (side !== 'BOTH' || funding)) P.push(positionEntry(symbol, snapshot));
      }
    }
    // COIN-M's update carries the account alias (`i`, as /dapi/v1/balance's accountAlias).
    const alias = this.symbols.market === 'coinm' ? { i: accountAlias(first.accountId) } : {};
    return { e: 'ACCOUNT_UPDATE', E: first.time, T: first.time, ...alias, a: { m: reason, B, P } };
  }

  private collectPosition(event: PositionEvent, touch: (symbol: string, marginMode: string) => { sides: Map<PositionSide, PositionSnapshot> }, funding: boolean): void {
    const p = event.position;
    if (funding) {
      // Short form: only an isolated position appears, alone.
      if (p.marginMode === 'ISOLATED') touch(p.symbol, p.marginMode).sides.set(p.positionSide, p);
      return;
    }
    const entry = touch(p.symbol, p.marginMode);
    if (p.positionSide === 'BOTH' || event.initialised !== false) entry.sides.set(p.positionSide, p);
    for (const sibling of event.siblings ?? []) entry.sides.set(sibling.positionSide, sibling);
  }

  /** Whether a symbol settles in the asset: only margin assets have a cross wallet (`cw`); BNB's is "0". */
  private isMarginAsset(asset: string): boolean {
    return this.symbols.all().some((s) => s.config.settleAsset === asset);
  }

  orderUpdate(event: OrderEvent, trade: TradeEvent | undefined, origin?: ConditionalSnapshot): Json {
    const o = event.order;
    const symbol = this.symbols.of(o.symbol);
    const placedBy = origin === undefined ? undefined : originPushFields(symbol, origin);
    const fields: Json = {
      s: symbol.name,
      c: clientId(o),
      S: o.side,
      o: orderTypeOf(o),
      f: o.timeInForce,
      q: formatQty(symbol, o.qty),
      p: formatPrice(symbol, o.price),
      ap: o.executedQty === 0 ? '0' : formatAverage(symbol, o.cumCost, o.executedQty),
      sp: placedBy?.sp ?? '0',
      x: executionType(event),
      X: orderStatus(o),
      i: o.orderId,
      l: trade === undefined ? '0' : formatQty(symbol, trade.qty),
      z: formatQty(symbol, o.executedQty),
      L: trade === undefined ? '0' : formatPrice(symbol, trade.price),
      // COIN-M names the margin asset.
      ...(symbol.market === 'coinm' ? { ma: symbol.config.settleAsset } : {}),
    };
    if (trade !== undefined && trade.fee > 0n) {
      fields.N = trade.feeAsset;
      fields.n = amount(trade.fee);
    }
    Object.assign(fields, {
      T: event.time,
      t: trade?.tradeId ?? 0,
      b: '0',
      a: '0',
      m: trade?.isMaker ?? false,
      R: o.reduceOnly,
      wt: placedBy?.wt ?? 'CONTRACT_PRICE',
      ot: placedBy?.ot ?? orderTypeOf(o),
      ps: o.positionSide,
      cp: placedBy?.cp ?? false,
      ...placedBy?.trailing,
      pP: false,
      si: 0,
      ss: 0,
      rp: trade === undefined ? '0' : amount8(trade.realizedPnl),
      V: o.stpMode,
      pm: 'NONE',
      gtd: 0,
      er: expiryReason(o),
    });
    // COIN-M's update carries the account alias (`i`).
    const alias = symbol.market === 'coinm' ? { i: accountAlias(o.accountId) } : {};
    return { e: 'ORDER_TRADE_UPDATE', E: event.time, T: event.time, ...alias, o: fields };
  }

  private tradeLite(trade: TradeEvent, order: OrderSnapshot): Json {
    const symbol = this.symbols.of(trade.symbol);
    return {
      e: 'TRADE_LITE', E: trade.time, T: trade.time, s: symbol.name, q: formatQty(symbol, order.qty), p: formatPrice(symbol, order.price),
      m: trade.isMaker, c: clientId(order), S: trade.side, L: formatPrice(symbol, trade.price), l: formatQty(symbol, trade.qty),
      t: trade.tradeId, i: trade.orderId,
    };
  }

  private marginCall(event: NoticeEvent): Json {
    const p = event.position;
    const symbol = this.symbols.of(p.symbol);
    const isolated = p.marginMode === 'ISOLATED';
    return {
      e: 'MARGIN_CALL',
      E: event.time,
      ...(isolated ? {} : { cw: amount8(event.crossWalletBalance) }),
      p: [{
        s: symbol.name, ps: p.positionSide, pa: formatQty(symbol, p.qty), mt: mt(p.marginMode), iw: isolated ? amount8(p.margin) : '0',
        mp: formatPrice(symbol, p.markPrice), up: pnlAmount(symbol, p.unrealizedPnl), mm: amount8(p.maintenanceMargin),
      }],
    };
  }
}

/** A config event that sets the leverage: a leverage change, or a risk-limit level that brought it down. */
const setsLeverage = (event: ConfigEvent): boolean => event.reason === 'LEVERAGE_CHANGE' || event.reason === 'RISK_LIMIT_CHANGE';

/** The first event of the order a conditional placed (it follows the TRIGGERED event). */
function firstOrderEvent(events: readonly EngineEvent[], from: number, orderId: number): OrderSnapshot | undefined {
  for (let j = from + 1; j < events.length; j++) {
    const e = events[j]!;
    if (e.type === 'order' && e.order.orderId === orderId) return e.order;
  }
  return undefined;
}

/** The trade event that belongs to the order's TRADE event (it follows it within the step). */
function findTrade(events: readonly EngineEvent[], from: number, orderId: number): TradeEvent | undefined {
  for (let j = from + 1; j < events.length; j++) {
    const e = events[j]!;
    if (e.type === 'trade' && e.orderId === orderId) return e;
    if (e.type === 'order' && e.order.orderId === orderId) return undefined;
  }
  return undefined;
}

