/**
 * One command's canonical events → Bybit private pushes, one frame per topic:
 * `{"id","topic","creationTime","data":[…]}` (protocols.md §3.2). Bybit pushes arrays, so the
 * events of one command (one EventBus publish, same cmdSeq) go out together: every order change
 * in order, every fill, the last state of each position touched and the wallet with the last
 * state of each coin touched. Frames are built once per batch and topic, whatever the number of
 * sockets, and depend on nothing but the batch: the encoder is stateless. Every frame carries
 * perpstream's `seq` (the account's last event in the command), the position a client resumes from.
 *
 * The seed-003 topic `user.position.unifiedAccount` is served too, in the seed's own envelope
 * (`{id, topic, ts, type: "snapshot", data: {result, version}}`).
 */
import type { ConditionalSnapshot, EngineEvent, FundingEvent, OrderEvent, PositionEvent, PositionSnapshot, TradeEvent } from '../../engine/types.js';
import {
  bybitConditional, bybitDeliveryExecution, bybitExecution, bybitFastExecution, bybitFundingExecution, bybitOrder, bybitPosition, bybitWallet, emptyPosition, fillOrder,
  type CoinBalance,
} from './encode.js';
import type { BybitSymbols, Category } from './symbols.js';
import { atPar, type UsdValue } from './usd-value.js';

export type TopicKind = 'position' | 'order' | 'execution' | 'execution.fast' | 'wallet' | 'seedPosition';

/** What a topic carries; a categorised topic (`order.inverse`) only its category's rows. */
export interface TopicInfo {
  kind: TopicKind;
  style: 'all-in-one' | 'categorised' | 'neutral';
  category?: Category;
}

/** Every topic name a client may subscribe to, and what it carries. */
export const TOPICS: ReadonlyMap<string, TopicInfo> = new Map<string, TopicInfo>([
  ['position', { kind: 'position', style: 'all-in-one' }],
  ['order', { kind: 'order', style: 'all-in-one' }],
  ['execution', { kind: 'execution', style: 'all-in-one' }],
  ['execution.fast', { kind: 'execution.fast', style: 'all-in-one' }],
  ...(['linear', 'inverse'] as const).flatMap((category) => (['position', 'order', 'execution', 'execution.fast'] as const)
    .map((kind): [string, TopicInfo] => [`${kind}.${category}`, { kind, style: 'categorised', category }])),
  ['wallet', { kind: 'wallet', style: 'neutral' }],
  ['user.position.unifiedAccount', { kind: 'seedPosition', style: 'neutral' }],
]);

const positionKey = (p: Pick<PositionSnapshot, 'symbol' | 'positionSide'>): string => `${p.symbol}|${p.positionSide}`;

export class BybitPushEncoder {
  /** Frames per batch (keyed by its first event) and topic name; null: nothing for that topic. */
  private readonly frames = new WeakMap<EngineEvent, Map<string, string | null>>();

  /** `usdValue`: the wallet's USD figures, read when a wallet frame is built (once per batch). */
  constructor(private readonly symbols: BybitSymbols, private readonly usdValue: UsdValue = atPar) {}

  /** The frame for `topic` (a key of TOPICS) from one command's events, or null. */
  frame(batch: readonly EngineEvent[], topic: string): string | null {
    const first = batch[0];
    if (first === undefined) return null;
    let byTopic = this.frames.get(first);
    if (byTopic === undefined) {
      byTopic = new Map();
      this.frames.set(first, byTopic);
    }
    let frame = byTopic.get(topic);
    if (frame === undefined) {
      frame = this.build(batch, topic);
      byTopic.set(topic, frame);
    }
    return frame;
  }

  private build(batch: readonly EngineEvent[], topic: string): string | null {
    const info = TOPICS.get(topic);
    const kind = info?.kind;
    const first = batch[0]!;
    const id = `${first.accountId}-${first.cmdSeq}-${kind}`;
    let data: unknown[];
    switch (kind) {
      case 'position':
      case 'seedPosition': data = this.positions(batch); break;
      case 'order': data = this.orders(batch); break;
      case 'execution': data = this.executions(batch, false); break;
      case 'execution.fast': data = this.executions(batch, true); break;
      case 'wallet': data = this.wallet(batch); break;
      default: return null;
    }
    // Every row of these topics carries its category.
    if (info?.category !== undefined) data = data.filter((row) => (row as { category?: string }).category === info.category);
    if (data.length === 0) return null;
    // perpstream's `seq`: the account's last event in the command, what a client resumes from.
    const seq = batch[batch.length - 1]!.seq;
    if (kind === 'seedPosition') {
      const version = Math.max(...data.map((row) => (row as { version: number }).version));
      return JSON.stringify({ id, topic, ts: first.time, type: 'snapshot', data: { result: data, version }, seq });
    }
    return JSON.stringify({ id, topic, creationTime: first.time, data, seq });
  }

  /** Positions in a partial (laddered) liquidation in this batch, by position key. */
  private partials(batch: readonly EngineEvent[]): Set<string> {
    const keys = new Set<string>();
    for (const e of batch) if (e.type === 'notice' && e.notice === 'PARTIAL') keys.add(positionKey(e.position));
    return keys;
  }

  /**
   * The last state of each position the command touched, in first-touch order. A notice's
   * position counts when no position event covers it. A one-way position that flipped is preceded
   * by an empty row (side ""), as a close then an open: a client keyed by (symbol, side) drops the
   * side the position left. The risk engine sets a position's status to LIQUIDATING or ADL and back
   * to NORMAL within the one command (a mark tick), so the last state alone would never show
   * `positionStatus` Liq / Adl: a row with the position as its status turned to one of them comes
   * before its last state (Bybit has no liquidation topic; this is how a client learns of it).
   */
  private positions(batch: readonly EngineEvent[]): unknown[] {
    type Touched = { first: PositionEvent | null; last: PositionSnapshot; version: number; seq: number; risk: { position: PositionSnapshot; version: number }[] };
    const touched = new Map<string, Touched>();
    for (const e of batch) {
      if (e.type !== 'position') continue;
      const key = positionKey(e.position);
      const seen = touched.get(key);
      const status = e.position.status;
      const turned = status !== 'NORMAL' && status !== (seen?.last.status ?? 'NORMAL');
      const risk = turned ? [{ position: e.position, version: e.seq }] : [];
      if (seen === undefined) {
        touched.set(key, { first: e, last: e.position, version: e.seq, seq: e.cmdSeq, risk });
      } else {
        Object.assign(seen, { last: e.position, version: e.seq });
        seen.risk.push(...risk);
      }
    }
    for (const e of batch) {
      if (e.type !== 'notice' || touched.has(positionKey(e.position))) continue;
      touched.set(positionKey(e.position), { first: null, last: e.position, version: e.seq, seq: e.cmdSeq, risk: [] });
    }
    // Bybit pushes the position on a leverage or margin mode change even when there is none: a
    // symbol whose position records do not exist yet shows as an empty position.
    for (const e of batch) {
      if (e.type !== 'config' || e.symbol === null || e.leverage === null || e.marginMode === null) continue;
      for (const side of e.positionMode === 'HEDGE' ? ['LONG', 'SHORT'] as const : ['BOTH'] as const) {
        if (touched.has(`${e.symbol}|${side}`)) continue;
        const empty = emptyPosition(e.symbol, side, e.leverage, e.marginMode, 0, e.time);
        touched.set(`${e.symbol}|${side}`, { first: null, last: empty, version: e.seq, seq: e.cmdSeq, risk: [] });
      }
    }
    const rows: unknown[] = [];
    for (const { first, last, version, seq, risk } of touched.values()) {
      const config = this.symbols.config(last.symbol);
      const stamp = { version, seq };
      // The last state tells its own status.
      for (const turned of risk) if (turned.position !== last) rows.push(bybitPosition(turned.position, config, { version: turned.version, seq }));
      const before = first?.previousQty ?? 0;
      if (last.positionSide === 'BOTH' && before !== 0 && last.qty !== 0 && Math.sign(before) !== Math.sign(last.qty)) {
        const closed: PositionSnapshot = {
          ...last, qty: 0, entryCost: 0n, margin: 0n, unrealizedPnl: 0n, maintenanceMargin: 0n, initialMargin: 0n,
          liquidationPrice: null, bankruptcyPrice: null, realizedPnlCurrent: 0n, fundingTotal: 0n, openTime: 0,
        };
        rows.push(bybitPosition(closed, config, stamp));
      }
      rows.push(bybitPosition(last, config, stamp));
    }
    return rows;
  }

  /**
   * Every order change in order, conditional orders included: a conditional order's own changes
   * (Untriggered, amended, Triggered, Deactivated) are rows with its id, and the order it places at
   * the trigger follows its Triggered row with the same id (Bybit: Untriggered → Triggered → New…).
   * A trigger refused at placement shows as the placed order's Rejected row; the conditional's
   * REJECTED event adds a row only when no order event of that id says it already.
   */
  private orders(batch: readonly EngineEvent[]): unknown[] {
    const partials = this.partials(batch);
    const conditionals = conditionalsOf(batch);
    const ordered = new Set<number>();
    for (const e of batch) if (e.type === 'order') ordered.add(e.order.orderId);
    const rows: unknown[] = [];
    for (const e of batch) {
      if (e.type === 'order') {
        rows.push(bybitOrder(e.order, this.symbols.config(e.order.symbol), {
          changeReason: e.reason, partialLiquidation: partials.has(positionKey(e.order)), conditional: conditionals.get(e.order.orderId),
        }));
      } else if (e.type === 'conditional' && !(e.change === 'REJECTED' && ordered.has(e.conditional.conditionalId))) {
        rows.push(bybitConditional(e.conditional, this.symbols.config(e.conditional.symbol)));
      }
    }
    return rows;
  }

  private executions(batch: readonly EngineEvent[], fast: boolean): unknown[] {
    const partials = fast ? new Set<string>() : this.partials(batch);
    const conditionals = fast ? new Map<number, ConditionalSnapshot>() : conditionalsOf(batch);
    const rows: unknown[] = [];
    batch.forEach((e, index) => {
      if (e.type === 'trade') {
        const config = this.symbols.config(e.symbol);
        if (fast) {
          if (e.source === 'USER') rows.push(bybitFastExecution(e, config));
          return;
        }
        const order = orderBefore(batch, index, e.orderId);
        const position = positionAfter(batch, index, e);
        rows.push(bybitExecution(e, config, {
          order: order === undefined ? undefined : fillOrder(order.order, config),
          markPrice: position?.position.markPrice,
          closedContracts: position === undefined ? undefined : closedBy(e, position.previousQty),
          partialLiquidation: partials.has(positionKey(e)),
          conditional: conditionals.get(e.orderId),
        }));
      } else if (e.type === 'funding' && !fast) {
        rows.push(bybitFundingExecution(e as FundingEvent, this.symbols.config(e.symbol)));
      } else if (e.type === 'delivery' && !fast) {
        rows.push(bybitDeliveryExecution(e, this.symbols.config(e.symbol)));
      }
    });
    return rows;
  }

  /** One wallet row with the last state of every coin this command changed. */
  private wallet(batch: readonly EngineEvent[]): unknown[] {
    const coins = new Map<string, CoinBalance>();
    for (const e of batch) if (e.type === 'balance') coins.set(e.balance.asset, e.balance);
    return coins.size === 0 ? [] : [bybitWallet([...coins.values()], this.usdValue)];
  }
}

/** The last state in the batch of each conditional order it touched, by id (= the id of the order it places). */
function conditionalsOf(batch: readonly EngineEvent[]): Map<number, ConditionalSnapshot> {
  const found = new Map<number, ConditionalSnapshot>();
  for (const e of batch) if (e.type === 'conditional') found.set(e.conditional.conditionalId, e.conditional);
  return found;
}

/** The fill's order as of the fill: its order event (execType TRADE) comes just before the trade. */
function orderBefore(batch: readonly EngineEvent[], index: number, orderId: number): OrderEvent | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const e = batch[i]!;
    if (e.type === 'order' && e.order.orderId === orderId) return e;
  }
  return undefined;
}

/** The position event of the fill's step: the first for its position after the trade. */
function positionAfter(batch: readonly EngineEvent[], index: number, t: TradeEvent): PositionEvent | undefined {
  for (let i = index + 1; i < batch.length; i++) {
    const e = batch[i]!;
    if (e.type === 'position' && e.position.symbol === t.symbol && e.position.positionSide === t.positionSide) return e;
  }
  return undefined;
}

/** Contracts of a fill that closed the position it had before (previousQty of the step's position event). */
function closedBy(t: TradeEvent, previousQty: number): number {
  const reduces = (t.side === 'SELL' && previousQty > 0) || (t.side === 'BUY' && previousQty < 0);
  return reduces ? Math.min(t.qty, Math.abs(previousQty)) : 0;
}

