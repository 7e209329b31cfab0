/**
 * "Nothing pushed twice, nothing missing": what each dialect must deliver for a run of the engine's
 * canonical events (captured in-process from the exchange's event bus), written from each dialect's
 * documented mapping (docs/dialects/*.md), and compared with what its stream actually delivered.
 *
 * - XT, KuCoin classic, KuCoin UTA carry the account's seq: the exact list of (message, seq).
 * - Bybit names the command in each frame id (`<account>-<cmdSeq>-<kind>`): one frame per command
 *   and topic, with the documented number of rows.
 * - Binance carries neither: the exact sequence of event types per step (with order ids, trade ids,
 *   execution types and ACCOUNT_UPDATE reasons).
 * Plus, for every dialect, the sequence of status updates of every order.
 */
import type { ConditionalEvent, EngineEvent, OrderEvent, PositionEvent, TradeEvent } from '../../src/engine/types.js';
import { binanceSymbolName } from './decode.js';
import { baseQty, statusOf, type Units } from './model.js';

export type DialectName = 'xt' | 'binance' | 'bybit' | 'kucoin' | 'kucoin-uta';

type Json = Record<string, unknown>;

/** Binance shows an algo order's id as 10^15 + the engine's id (docs/dialects/binance.md §2a, "Ids"). */
export const ALGO_ID_BASE = 1_000_000_000_000_000;

/** A one-way position that changed sign within one event (XT and Bybit show it as a close, then an open). */
const flipped = (e: PositionEvent): boolean =>
  e.position.positionSide === 'BOTH' && e.previousQty !== 0 && e.position.qty !== 0 && Math.sign(e.previousQty) !== Math.sign(e.position.qty);

/** Binance answers a refused placement over REST and never pushes it. */
const refusedAtPlacement = (e: OrderEvent): boolean =>
  e.execType === 'REJECTED' || (e.execType === 'EXPIRED' && e.order.reason === 'FOK_NOT_FILLABLE' && e.order.executedQty === 0);

/**
 * Orders a dialect never shows: Binance answers a refused placement (REJECTED, or a FOK that could
 * not fill) over REST only; KuCoin never shows a REJECTED order (for KuCoin it never existed).
 */
export function hiddenOrders(dialect: DialectName, events: readonly EngineEvent[]): Set<string> {
  const hidden = new Set<string>();
  for (const e of events) {
    if (e.type !== 'order') continue;
    if ((dialect === 'binance' && refusedAtPlacement(e)) || (dialect === 'kucoin' && e.execType === 'REJECTED')) hidden.add(String(e.order.orderId));
  }
  return hidden;
}

function groups(events: readonly EngineEvent[]): EngineEvent[][] {
  const out: EngineEvent[][] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last !== undefined && last[0]!.cmdSeq === e.cmdSeq) last.push(e);
    else out.push([e]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Order status sequences

/** Every status update of every order the dialect must push, as "STATUS filledQty" per order id. */
export function expectedOrderLog(dialect: DialectName, events: readonly EngineEvent[], units: ReadonlyMap<string, Units>): Map<string, string[]> {
  const log = new Map<string, string[]>();
  const add = (o: { orderId: number; symbol: string; state: TradeEvent['order']['state']; executedQty: number }, state = o.state): void => {
    const entry = `${statusOf(state)} ${baseQty(units.get(o.symbol)!, o.executedQty)}`;
    log.set(String(o.orderId), [...(log.get(String(o.orderId)) ?? []), entry]);
  };
  if (dialect === 'kucoin-uta') return log;
  for (const e of events) {
    if (dialect === 'kucoin') {
      // KuCoin: open, update, canceled from order events; a fill is a match (and "filled" when it completed the order).
      if (e.type === 'order' && e.execType !== 'TRADE' && e.execType !== 'REJECTED') add(e.order);
      if (e.type === 'trade') {
        add(e.order);
        if (e.order.state === 'FILLED') add(e.order);
      }
    } else if (e.type === 'order' && !(dialect === 'binance' && refusedAtPlacement(e))) {
      add(e.order);
    }
  }
  return log;
}

/** Funding as each dialect tells it (the engine's funding events, "symbol|side fee received"). */
export function expectedFundings(dialect: DialectName, events: readonly EngineEvent[], units: ReadonlyMap<string, Units>, amount: (units: bigint) => string): string[] {
  switch (dialect) {
    case 'bybit':
    case 'kucoin':
      return events.filter((e) => e.type === 'funding').map((e) => `${e.symbol}|${e.positionSide} ${amount(e.fundingFee)}`);
    case 'binance': {
      // One ACCOUNT_UPDATE FUNDING_FEE per settlement: bc is the account's funding per asset.
      const out: string[] = [];
      for (const group of groups(events)) {
        const byAsset = new Map<string, bigint>();
        for (const e of group) {
          if (e.type === 'funding') byAsset.set(units.get(e.symbol)!.settleAsset, (byAsset.get(units.get(e.symbol)!.settleAsset) ?? 0n) + e.fundingFee);
        }
        for (const [asset, total] of byAsset) out.push(`${asset} ${amount(total)}`);
      }
      return out;
    }
    default:
      // XT has no funding topic (the position's totalFundFee and the balance carry it); UTA neither.
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Messages per step

/** XT: one push per order, trade, position, balance and notice (`notify`) event, with its seq; a one-way flip pushes two position frames. */
export function expectedXt(events: readonly EngineEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'order' || e.type === 'trade' || e.type === 'balance') out.push(`${e.type}#${e.seq}`);
    if (e.type === 'notice') out.push(`notify#${e.seq}`);
    if (e.type === 'position') out.push(...(flipped(e) ? [`position#${e.seq}`, `position#${e.seq}`] : [`position#${e.seq}`]));
  }
  return out;
}

export const actualXt = (pushes: readonly { topic: string; seq: number }[]): string[] => pushes.map((p) => `${p.topic}#${p.seq}`);

/** KuCoin classic, every subscribed topic (legacy wallet subjects aside), with the account seq. */
export function expectedKucoin(events: readonly EngineEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'order': {
        const type = { NEW: 'open', AMENDMENT: 'update', CANCELED: 'canceled', EXPIRED: 'canceled', TRADE: null, REJECTED: null }[e.execType];
        if (type !== null) out.push(`orderChange:${type}#${e.seq}`);
        break;
      }
      case 'trade':
        out.push(`orderChange:match#${e.seq}`);
        if (e.order.state === 'FILLED') out.push(`orderChange:filled#${e.seq}`);
        break;
      case 'position': out.push(`position.change#${e.seq}`); break;
      case 'funding': out.push(`position.settlement#${e.seq}`); break;
      case 'riskLimit': out.push(`position.adjustRiskLimit#${e.seq}`); break;
      case 'balance': out.push(`walletBalance.change#${e.seq}`); break;
      case 'conditional': {
        // advancedOrders stopOrder (docs/dialects/kucoin.md, "Stop orders"): AMENDED has no message.
        const type = { NEW: 'open', TRIGGERED: 'triggered', REJECTED: 'triggered', CANCELED: 'cancel', EXPIRED: 'cancel', AMENDED: null }[e.change];
        if (type !== null) out.push(`stopOrder:${type}#${e.seq}`);
        break;
      }
      case 'config':
        if (e.symbol !== null && changesLeverage(e)) out.push(`user.config:/contract/crossLeverage#${e.seq}`);
        if (e.symbol !== null && e.reason === 'MARGIN_TYPE_CHANGE') out.push(`user.config:/contract/marginMode#${e.seq}`);
        break;
      default: break;
    }
  }
  return out;
}

const LEGACY_WALLET = new Set(['availableBalance.change', 'orderMargin.change', 'withdrawHold.change']);

export function actualKucoin(frames: readonly Json[]): string[] {
  return frames.filter((f) => f.type === 'message' && !LEGACY_WALLET.has(f.subject as string)).map((f) => {
    const label = f.subject === 'orderChange' || f.subject === 'stopOrder' ? `${f.subject}:${String((f.data as Json).type)}` : f.subject === 'user.config' ? `user.config:${String(f.topic)}` : String(f.subject);
    return `${label}#${String(f.seq)}`;
  });
}

/** KuCoin UTA: positionAll, one push per position event; `lw`, one per WARN notice. */
export const expectedUta = (events: readonly EngineEvent[]): string[] => events.flatMap((e) => utaCarries(e) ? [`${e.type === 'notice' ? 'lw' : 'positionAll'}.FUTURES#${e.seq}`] : []);

/** Whether the UTA stream (positionAll and lw subscribed) pushes the event. */
export const utaCarries = (e: EngineEvent): boolean => e.type === 'position' || (e.type === 'notice' && e.notice === 'WARN');

/** A config event that sets the leverage: a leverage change, or a risk-limit level that brought it down. */
export const changesLeverage = (e: EngineEvent): boolean => e.type === 'config' && e.leverage !== null && (e.reason === 'LEVERAGE_CHANGE' || e.reason === 'RISK_LIMIT_CHANGE');
export const actualUta = (frames: readonly Json[]): string[] => frames.filter((f) => f.T !== undefined).map((f) => `${String(f.T)}#${String(f.seq)}`);

/**
 * Bybit: per command, one frame per topic: order (a row per order event), execution (a row per
 * fill and funding), position (the last state of each position touched — a notice's position
 * too —, a flip as two rows, a row before it each time its status turned Liq or Adl, and empty rows
 * for a leverage or margin-mode change's sides without a record), wallet (one account row).
 */
export function expectedBybit(events: readonly EngineEvent[], hedge: (cmdSeq: number) => boolean): string[] {
  const out: string[] = [];
  for (const group of groups(events)) {
    const cmd = group[0]!.cmdSeq;
    // Conditional orders are rows of the order topic too (docs/dialects/bybit.md, "One orderId"); a
    // trigger refused at placement is the placed order's Rejected row alone.
    const ordered = new Set(group.flatMap((e) => (e.type === 'order' ? [e.order.orderId] : [])));
    const orders = group.filter((e) => e.type === 'order' || (e.type === 'conditional' && !(e.change === 'REJECTED' && ordered.has(e.conditional.conditionalId)))).length;
    // A position closed by its contract's delivery is an execution row too (createType CreateBySettle).
    const executions = group.filter((e) => e.type === 'trade' || e.type === 'funding' || e.type === 'delivery').length;
    // Per position: its first event (the quantity before the command) and its last (after it).
    const positions = new Map<string, { first: PositionEvent; last: PositionEvent }>();
    for (const e of group) {
      if (e.type !== 'position') continue;
      const key = `${e.position.symbol}|${e.position.positionSide}`;
      const seen = positions.get(key);
      if (seen === undefined) positions.set(key, { first: e, last: e });
      else seen.last = e;
    }
    // Rows telling positionStatus Liq / Adl: one each time a position's status turns to one of them,
    // unless that state is the position's last (its own row tells it).
    let statusRows = 0;
    for (const key of positions.keys()) {
      const list = group.filter((e): e is PositionEvent => e.type === 'position' && `${e.position.symbol}|${e.position.positionSide}` === key);
      list.forEach((e, i) => {
        const before = i === 0 ? 'NORMAL' : list[i - 1]!.position.status;
        if (e.position.status !== 'NORMAL' && e.position.status !== before && i < list.length - 1) statusRows += 1;
      });
    }
    const noticed = new Set(group.flatMap((e) => (e.type === 'notice' ? [`${e.position.symbol}|${e.position.positionSide}`] : [])).filter((key) => !positions.has(key)));
    let flips = 0;
    for (const { first, last } of positions.values()) {
      const before = first.previousQty;
      const after = last.position.qty;
      if (last.position.positionSide === 'BOTH' && before !== 0 && after !== 0 && Math.sign(before) !== Math.sign(after)) flips += 1;
    }
    let empty = 0;
    for (const e of group) {
      if (e.type !== 'config' || e.symbol === null || e.leverage === null || e.marginMode === null) continue;
      for (const side of hedge(cmd) ? ['LONG', 'SHORT'] : ['BOTH']) if (!positions.has(`${e.symbol}|${side}`)) empty += 1;
    }
    const assets = new Set(group.filter((e) => e.type === 'balance').map((e) => e.balance.asset)).size;
    if (orders > 0) out.push(`order@${cmd}:${orders}`);
    if (executions > 0) out.push(`execution@${cmd}:${executions}`);
    const rows = positions.size + noticed.size + statusRows + flips + empty;
    if (rows > 0) out.push(`position@${cmd}:${rows}`);
    if (assets > 0) out.push(`wallet@${cmd}:1x${assets}`);
  }
  return out.sort();
}

export function actualBybit(frames: readonly Json[]): string[] {
  return frames.filter((f) => f.topic !== undefined).map((f) => {
    const cmd = String(f.id).split('-')[1];
    const rows = f.data as Json[];
    return f.topic === 'wallet' ? `wallet@${cmd}:${rows.length}x${(rows[0]!.coin as unknown[]).length}` : `${String(f.topic)}@${cmd}:${rows.length}`;
  }).sort();
}

/**
 * Binance, per command in order: TRADE_LITE before each user fill's ORDER_TRADE_UPDATE, an
 * ACCOUNT_CONFIG_UPDATE per leverage change (a risk-limit level that brings the leverage down is
 * one), a MARGIN_CALL per WARN notice, and one ACCOUNT_UPDATE last when the command changed
 * something Binance shows (not for an order placed, amended or cancelled without a fill, nor for a
 * leverage, position-mode, risk-limit, auto-deposit-switch or mark-price change). A mark-price push
 * is no change Binance shows even within a command that changes the account otherwise (a mark tick
 * whose liquidation fills a resting order of this account): the ACCOUNT_UPDATE tells the other changes.
 */
export function expectedBinance(events: readonly EngineEvent[], units: ReadonlyMap<string, Units>): string[] {
  const out: string[] = [];
  const name = (symbol: string) => binanceSymbolName(units.get(symbol)!);
  for (const group of groups(events)) {
    for (let i = 0; i < group.length; i++) {
      const e = group[i]!;
      if (e.type === 'order' && !refusedAtPlacement(e)) {
        const trade = e.execType === 'TRADE' ? group.slice(i + 1).find((t): t is TradeEvent => t.type === 'trade' && t.orderId === e.order.orderId) : undefined;
        // TRADE_LITE is USDⓈ-M's only (docs/dialects/binance.md §0): COIN-M's dstream has none.
        if (trade !== undefined && trade.source === 'USER' && units.get(trade.symbol)!.inverse === null) out.push(`TRADE_LITE t${trade.tradeId}`);
        out.push(`ORDER_TRADE_UPDATE ${e.execType === 'TRADE' && e.order.source !== 'USER' ? 'CALCULATED' : e.execType} #${e.order.orderId}`);
      }
      if (e.type === 'config' && changesLeverage(e) && e.symbol !== null) out.push(`ACCOUNT_CONFIG_UPDATE ${name(e.symbol)} ${e.leverage}`);
      if (e.type === 'notice' && e.notice === 'WARN') out.push('MARGIN_CALL');
      if (e.type === 'conditional') out.push(...algoLabels(e));
    }
    const changes = group.filter((e) => e.reason !== 'MARK_PRICE');
    if (changes.length === 0) continue;
    const reason = changes[0]!.reason;
    const fill = changes.some((e) => e.type === 'trade');
    const shows = changes.some((e) => e.type === 'balance' || e.type === 'position' || (e.type === 'config' && e.reason === 'MARGIN_TYPE_CHANGE'));
    // A delivery's settlement of positions: ADJUSTMENT (docs/dialects/binance.md §0); its expiring orders alone change nothing Binance shows.
    const m = {
      DEPOSIT: 'DEPOSIT', WITHDRAW: 'WITHDRAW', MARGIN_TRANSFER: 'MARGIN_TRANSFER', AUTO_DEPOSIT: 'MARGIN_TRANSFER', MARGIN_TYPE_CHANGE: 'MARGIN_TYPE_CHANGE', FUNDING_FEE: 'FUNDING_FEE',
      DELIVERY: 'ADJUSTMENT',
    }[reason as string]
      ?? ((reason === 'ORDER' || reason === 'ADL') && fill ? 'ORDER' : reason === 'LIQUIDATION' ? (fill ? 'ORDER' : 'INSURANCE_CLEAR') : undefined)
      // A leverage change that topped up isolated margin shows the move (docs/dialects/binance.md).
      ?? (reason === 'LEVERAGE_CHANGE' && group.some((e) => e.type === 'config' && (e.isolatedTopUp ?? 0n) > 0n) ? 'MARGIN_TRANSFER' : undefined);
    if (m !== undefined && shows) out.push(`ACCOUNT_UPDATE ${m} ${accountUpdateContent(changes, name)}`);
    out.push(...finishedAlgos(group).map((id) => `ALGO_UPDATE FINISHED #${id}`));
  }
  return out;
}

/**
 * Binance's ALGO_UPDATE statuses of a conditional event (docs/dialects/binance.md §3 "ALGO_UPDATE"):
 * NEW; TRIGGERING then TRIGGERED; TRIGGERING, REJECTED and CONDITIONAL_ORDER_TRIGGER_REJECT; CANCELED
 * by the account, EXPIRED by the system; nothing for AMENDED.
 */
function algoLabels(e: ConditionalEvent): string[] {
  const id = e.conditional.conditionalId;
  switch (e.change) {
    case 'NEW': return [`ALGO_UPDATE NEW #${id}`];
    case 'AMENDED': return [];
    case 'TRIGGERED': return [`ALGO_UPDATE TRIGGERING #${id}`, `ALGO_UPDATE TRIGGERED #${id}`];
    case 'REJECTED': return [`ALGO_UPDATE TRIGGERING #${id}`, `ALGO_UPDATE REJECTED #${id}`, `CONDITIONAL_ORDER_TRIGGER_REJECT #${id}`];
    case 'CANCELED': return [`ALGO_UPDATE ${e.conditional.reason === 'USER_CANCELED' ? 'CANCELED' : 'EXPIRED'} #${id}`];
    case 'EXPIRED': return [`ALGO_UPDATE EXPIRED #${id}`];
  }
}

const ORDER_DONE = new Set(['FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'EXPIRED']);

/** Conditionals (ids) whose placed order ended in this command: FINISHED, after everything else (binance.md). */
function finishedAlgos(group: readonly EngineEvent[]): number[] {
  const ids: number[] = [];
  for (const e of group) {
    if (e.type !== 'order' || e.order.conditionalId === null || refusedAtPlacement(e) || !ORDER_DONE.has(e.order.state)) continue;
    if (!ids.includes(e.order.conditionalId)) ids.push(e.order.conditionalId);
  }
  return ids;
}

/**
 * What an ACCOUNT_UPDATE lists (seed 002 as docs/dialects/binance.md reads it): in B the assets whose
 * balance changed (a margin-type change: the symbol's settle asset); in P, per symbol whose position
 * or margin type changed, BOTH always and LONG/SHORT when initialised — except funding's short
 * form, where only isolated positions appear, alone.
 */
function accountUpdateContent(group: readonly EngineEvent[], name: (symbol: string) => string): string {
  const assets = new Set<string>();
  const sides = new Map<string, Set<string>>();
  const funding = group[0]!.reason === 'FUNDING_FEE';
  const touch = (symbol: string): Set<string> => {
    const set = sides.get(symbol) ?? new Set<string>(funding ? [] : ['BOTH']);
    sides.set(symbol, set);
    return set;
  };
  for (const e of group) {
    if (e.type === 'balance') assets.add(e.balance.asset);
    if (e.type === 'config' && e.reason === 'MARGIN_TYPE_CHANGE' && e.symbol !== null) {
      touch(e.symbol);
      if (e.settleBalance !== undefined) assets.add(e.settleBalance.asset);
    }
    if (e.type !== 'position') continue;
    if (funding) {
      if (e.position.marginMode === 'ISOLATED') touch(e.position.symbol).add(e.position.positionSide);
      continue;
    }
    const set = touch(e.position.symbol);
    if (e.initialised !== false) set.add(e.position.positionSide);
    for (const sibling of e.siblings ?? []) set.add(sibling.positionSide);
  }
  const p = [...sides].flatMap(([symbol, set]) => [...set].map((side) => `${name(symbol)}|${side}`)).sort();
  return `B[${[...assets].sort().join(',')}] P[${p.join(',')}]`;
}

export function actualBinance(events: readonly Json[]): string[] {
  return events.map((e) => {
    switch (e.e) {
      case 'TRADE_LITE': return `TRADE_LITE t${String(e.t)}`;
      case 'ORDER_TRADE_UPDATE': return `ORDER_TRADE_UPDATE ${String((e.o as Json).x)} #${String((e.o as Json).i)}`;
      case 'ACCOUNT_CONFIG_UPDATE': return `ACCOUNT_CONFIG_UPDATE ${String((e.ac as Json).s)} ${String((e.ac as Json).l)}`;
      case 'MARGIN_CALL': return 'MARGIN_CALL';
      case 'ALGO_UPDATE': return `ALGO_UPDATE ${String((e.o as Json).X)} #${Number((e.o as Json).aid) - ALGO_ID_BASE}`;
      case 'CONDITIONAL_ORDER_TRIGGER_REJECT': return `CONDITIONAL_ORDER_TRIGGER_REJECT #${String((e.or as Json).i)}`;
      case 'ACCOUNT_UPDATE': {
        const a = e.a as { m: string; B: Json[]; P: Json[] };
        const p = a.P.map((x) => `${String(x.s)}|${String(x.ps)}`).sort();
        return `ACCOUNT_UPDATE ${a.m} B[${a.B.map((x) => String(x.a)).sort().join(',')}] P[${p.join(',')}]`;
      }
      default: return String(e.e);
    }
  });
}
