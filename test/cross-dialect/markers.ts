/**
 * The markers each dialect must push for a run of the engine's canonical events, written from
 * protocols.md §0.3 and each docs/dialects/<name>.md — never from the encoders — and compared, per
 * step and in order, with the markers the decoders read off the wire (Model.markers):
 *
 * - XT: a `notify` push per notice (seed 000 fields; `positionSize` the contracts concerned).
 * - Binance: `MARGIN_CALL` per WARN notice (p[] of the position, `cw` for cross only); every update of
 *   a risk-engine order as ORDER_TRADE_UPDATE with `c` autoclose-<id> / adl_autoclose, `o` = `ot` =
 *   LIQUIDATION and `x` CALCULATED for its fills (protocols.md §2.2).
 * - Bybit (one frame per topic and command: position, order, execution in the test's subscription
 *   order): `positionStatus` Liq / Adl for a position the risk engine takes over or deleverages — a row
 *   when its status turns to one of them, before the position's last state —, `createType`
 *   CreateByLiq (partial) / CreateByTakeOver_PassThrough / CreateByAdl_PassThrough, `cancelType`
 *   CancelAllBeforeLiq / CancelAllBeforeAdl for user orders the risk engine cancels, `execType`
 *   BustTrade / AdlTrade (funding rows are checked with the funding, delivery.ts).
 * - KuCoin classic: `changeReason` of every full position.change, `tradeType` liquid on the risk
 *   engine's orders, `position.adjustRiskLimit` per risk-limit request.
 * - KuCoin UTA: `lw` per WARN notice.
 */
import type { EngineEvent, NoticeEvent, OrderSnapshot, PositionSnapshot, PositionStatus } from '../../src/engine/types.js';
import type { DialectName } from './delivery.js';
import { amountText, baseQty, priceText, type Units } from './model.js';

const unit = (units: ReadonlyMap<string, Units>, symbol: string): Units => units.get(symbol) ?? (() => { throw new Error(`no units for ${symbol}`); })();

/** One command's events each (the dialects that group by command: Binance, Bybit). */
function commands(events: readonly EngineEvent[]): EngineEvent[][] {
  const out: EngineEvent[][] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last !== undefined && last[0]!.cmdSeq === e.cmdSeq) last.push(e);
    else out.push([e]);
  }
  return out;
}

const sideOf = (p: Pick<PositionSnapshot, 'symbol' | 'positionSide'>): string => `${p.symbol}|${p.positionSide}`;
const canceled = (o: OrderSnapshot): boolean => o.state === 'CANCELED' || o.state === 'PARTIALLY_CANCELED' || o.state === 'EXPIRED';

export function expectedMarkers(dialect: DialectName, events: readonly EngineEvent[], units: ReadonlyMap<string, Units>): string[] {
  switch (dialect) {
    case 'xt': return events.filter((e): e is NoticeEvent => e.type === 'notice')
      .map((n) => `notify(notify) ${n.position.symbol} ${n.position.marginMode} ${n.direction} ${n.qty} ${n.notice}`);
    case 'binance': return binance(events, units);
    case 'bybit': return commands(events).flatMap((batch) => bybit(batch, units));
    case 'kucoin': return kucoin(events);
    case 'kucoin-uta': return events.filter((e): e is NoticeEvent => e.type === 'notice' && e.notice === 'WARN').map((n) => lw(n));
  }
}

// ---------------------------------------------------------------------------------------------
// Binance

/** `X` (docs/dialects/binance.md): a partly filled cancel is CANCELED, a self-trade prevention EXPIRED_IN_MATCH. */
function binanceStatus(o: OrderSnapshot): string {
  if (o.state === 'PARTIALLY_CANCELED') return 'CANCELED';
  if (o.state === 'EXPIRED' && o.reason === 'SELF_TRADE_PREVENTION') return 'EXPIRED_IN_MATCH';
  return o.state;
}

function binance(events: readonly EngineEvent[], units: ReadonlyMap<string, Units>): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'order' && e.order.source !== 'USER') {
      const o = e.order;
      const c = o.source === 'LIQUIDATION' ? `autoclose-${o.orderId}` : 'adl_autoclose';
      const x = e.execType === 'TRADE' ? 'CALCULATED' : e.execType;
      out.push(`ORDER_TRADE_UPDATE #${o.orderId} c=${c} o=LIQUIDATION ot=LIQUIDATION x=${x} X=${binanceStatus(o)}`);
    }
    if (e.type === 'notice' && e.notice === 'WARN') {
      const p = e.position;
      const u = unit(units, p.symbol);
      const isolated = p.marginMode === 'ISOLATED';
      out.push(`MARGIN_CALL ${p.symbol} ${p.positionSide} pa=${baseQty(u, p.qty)} mt=${isolated ? 'isolated' : 'cross'} iw=${isolated ? amountText(p.margin) : '0'} `
        + `mp=${priceText(u, p.markPrice)} up=${amountText(p.unrealizedPnl)} mm=${amountText(p.maintenanceMargin)} cw=${isolated ? '-' : amountText(e.crossWalletBalance)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bybit

const BYBIT_STATUS: Record<PositionStatus, string> = { NORMAL: 'Normal', LIQUIDATING: 'Liq', ADL: 'Adl' };
const BYBIT_ORDER_STATUS: Record<OrderSnapshot['state'], string> = {
  NEW: 'New', PARTIALLY_FILLED: 'PartiallyFilled', FILLED: 'Filled', CANCELED: 'Cancelled', PARTIALLY_CANCELED: 'Cancelled', EXPIRED: 'Cancelled', REJECTED: 'Rejected',
};

/** Position status rows, then order markers, then execution markers of one command. */
function bybit(batch: readonly EngineEvent[], units: ReadonlyMap<string, Units>): string[] {
  const out: string[] = [];
  // Per position (first-touch order): its snapshots in the command; a notice's position counts when
  // no position event covers it.
  const snapshots = new Map<string, PositionSnapshot[]>();
  for (const e of batch) if (e.type === 'position') snapshots.set(sideOf(e.position), [...(snapshots.get(sideOf(e.position)) ?? []), e.position]);
  for (const e of batch) if (e.type === 'notice' && !snapshots.has(sideOf(e.position))) snapshots.set(sideOf(e.position), [e.position]);
  for (const [key, list] of snapshots) {
    const row = (p: PositionSnapshot) => `position ${key} ${BYBIT_STATUS[p.status]} size=${baseQty(unit(units, p.symbol), Math.abs(p.qty))}`;
    let previous: PositionStatus = 'NORMAL';
    list.forEach((p, i) => {
      const last = i === list.length - 1;
      if (p.status !== 'NORMAL' && (p.status !== previous || last)) out.push(row(p));
      previous = p.status;
    });
  }
  const partial = new Set(batch.filter((e): e is NoticeEvent => e.type === 'notice' && e.notice === 'PARTIAL').map((n) => sideOf(n.position)));
  for (const e of batch) {
    if (e.type !== 'order') continue;
    const o = e.order;
    const createType = o.source === 'USER' ? 'CreateByUser' : o.source === 'ADL' ? 'CreateByAdl_PassThrough'
      : partial.has(sideOf(o)) ? 'CreateByLiq' : 'CreateByTakeOver_PassThrough';
    const beforeRisk = o.source === 'USER' && canceled(o) && (e.reason === 'LIQUIDATION' || e.reason === 'ADL');
    if (o.source === 'USER' && !beforeRisk) continue;
    const cancelType = beforeRisk ? (e.reason === 'LIQUIDATION' ? 'CancelAllBeforeLiq' : 'CancelAllBeforeAdl') : bybitCancelType(o);
    out.push(`order #${o.orderId} ${createType} ${cancelType} ${BYBIT_ORDER_STATUS[o.state]}`);
  }
  for (const e of batch) {
    if (e.type === 'trade' && e.source !== 'USER') {
      const createType = e.source === 'ADL' ? 'CreateByAdl_PassThrough' : partial.has(sideOf(e)) ? 'CreateByLiq' : 'CreateByTakeOver_PassThrough';
      out.push(`execution ${e.tradeId} ${e.source === 'ADL' ? 'AdlTrade' : 'BustTrade'} ${createType}`);
    }
  }
  return out;
}

/** cancelType of a risk order that ended without a cancel by the risk engine (bybit.md: else UNKNOWN). */
function bybitCancelType(o: OrderSnapshot): string {
  if (!canceled(o)) return 'UNKNOWN';
  switch (o.reason) {
    case 'USER_CANCELED': return 'CancelByUser';
    case 'REDUCE_ONLY_WOULD_INCREASE': return 'CancelByReduceOnly';
    case 'INSUFFICIENT_MARGIN': return 'CancelByCannotAffordOrderCost';
    case 'SELF_TRADE_PREVENTION': return 'CancelBySmp';
    default: return 'UNKNOWN';
  }
}

// ---------------------------------------------------------------------------------------------
// KuCoin

/** changeReason per engine reason (docs/dialects/kucoin.md). */
const CHANGE_REASON: Partial<Record<EngineEvent['reason'], string>> = {
  ORDER: 'positionChange',
  MARGIN_TRANSFER: 'marginChange',
  AUTO_DEPOSIT: 'marginChange',
  LEVERAGE_CHANGE: 'marginChange',
  MARGIN_TYPE_CHANGE: 'marginChange',
  RISK_LIMIT_CHANGE: 'marginChange',
  FUNDING_FEE: 'marginChange',
  LIQUIDATION: 'liquidation',
  ADL: 'adl',
  AUTO_DEPOSIT_CHANGE: 'autoAppendMarginStatusChange',
};

function kucoin(events: readonly EngineEvent[]): string[] {
  const out: string[] = [];
  const liquid = (o: OrderSnapshot, type: string) => out.push(`orderChange #${o.orderId} ${type} liquid`);
  for (const e of events) {
    switch (e.type) {
      case 'position':
        // The mark-price form has no changeReason.
        if (e.reason !== 'MARK_PRICE') out.push(`position.change ${sideOf(e.position)} ${CHANGE_REASON[e.reason] ?? `(no mapping for ${e.reason})`}`);
        break;
      case 'order':
        if (e.order.source === 'USER') break;
        if (e.execType === 'NEW') liquid(e.order, 'open');
        if (e.execType === 'AMENDMENT') liquid(e.order, 'update');
        if (e.execType === 'CANCELED' || e.execType === 'EXPIRED') liquid(e.order, 'canceled');
        break;
      case 'trade':
        if (e.order.source === 'USER') break;
        liquid(e.order, 'match');
        if (e.order.state === 'FILLED') liquid(e.order, 'filled');
        break;
      case 'riskLimit':
        out.push(`position.adjustRiskLimit ${e.symbol} success=${String(e.success)} level=${e.riskLevel} msg=${e.message}`);
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * UTA `lw` (docs/dialects/kucoin.md): r the margin ratio, a the cross wallet, iM / mM the position's
 * initial and maintenance margin, e the margin backing it (isolated margin or the cross wallet) plus
 * its unrealized PnL, aM = e − mM, l 0.
 */
function lw(n: NoticeEvent): string {
  const p = n.position;
  const e = (p.marginMode === 'ISOLATED' ? p.margin : n.crossWalletBalance) + p.unrealizedPnl;
  return `lw ${p.symbol} eT=MARGIN_CALL r=${amountText(n.marginRatio)} a=${amountText(n.crossWalletBalance)} iM=${amountText(p.initialMargin)} `
    + `mM=${amountText(p.maintenanceMargin)} e=${amountText(e)} aM=${amountText(e - p.maintenanceMargin)} l=0`;
}
