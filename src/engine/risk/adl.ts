/**
 * Auto-deleveraging (risk.md §5.6; docs/engine-rules.md, "Risk: ADL"): what the book and the
 * insurance fund could not absorb of a liquidated position is closed against opposite positions, top
 * of the ranking first, at the liquidated position's bankruptcy price, without fees. ADL notices go to
 * both sides. On a symbol with at most adlRankSlice open positions the counterparties are scored
 * afresh when ADL runs (a heap for the top few); on a larger one they are taken from the symbol's ADL
 * queue (adl-queue.ts) as last ranked, so ADL costs O(k log n), not a score per position. The ranking
 * itself advances by at most adlRankSlice positions per mark tick (rankSlice), and sets their quantile.
 */
import { invariant } from '../assert.js';
import type { Core } from '../core.js';
import { RATE_SCALE } from '../fixed.js';
import { INVERSE_COST_SCALE } from '../margin.js';
import { fillStep } from '../orders.js';
import { valuationOf } from '../snapshots.js';
import type { Order, Position, SymbolState } from '../state.js';
import type { AdlRankInput } from './adl-ranking.js';
import { bankruptcyPoint } from './liquidation-price.js';
import { directionOf, sendNotice } from './notices.js';
import { cancelOrders, riskOrder } from './risk-orders.js';
import { RiskUnit } from './units.js';
import { crossWallet, inputsFor, unitState, type UnitState } from './valuation.js';

const SIDE_ORDER = { BOTH: 0, LONG: 1, SHORT: 2 } as const;

/**
 * What the ranking needs about one open position, at the symbol's mark. The figures only some
 * rankings read (the unit's equity and maintenance, the position's unrealized PnL, the wallet) are
 * computed when read: the default ranking needs none of them, and each costs a valuation per
 * position of the unit on the ranking's hot path.
 */
class RankInput implements AdlRankInput {
  readonly side: 1 | -1;
  readonly qty: bigint;
  readonly entryCost: bigint;
  readonly inverseValue: bigint;
  readonly mark: bigint;
  readonly bankruptcy: AdlRankInput['bankruptcy'];
  private state: UnitState | null = null;

  constructor(private readonly p: Position, private readonly unit: RiskUnit) {
    this.side = p.qty > 0 ? 1 : -1;
    this.qty = BigInt(Math.abs(p.qty));
    this.entryCost = p.entryCost;
    // Entry costs of inverse positions are in 10^-16 units (margin.ts): the ranking's C is scaled alike.
    this.inverseValue = p.symbol.config.inverseValue * INVERSE_COST_SCALE;
    this.mark = BigInt(p.symbol.markPrice ?? 0);
    this.bankruptcy = bankruptcyPoint(inputsFor(unit, p.symbol));
  }

  get unrealizedPnl(): bigint {
    return valuationOf(this.p).unrealizedPnl;
  }

  get walletBalance(): bigint {
    return this.unit.position !== null ? this.p.margin : crossWallet(this.unit);
  }

  get maintenance(): bigint {
    return (this.state ??= unitState(this.unit)).maintenance;
  }

  get equity(): bigint {
    return (this.state ??= unitState(this.unit)).equity;
  }
}

export function rankInput(p: Position): AdlRankInput {
  const asset = p.symbol.config.settleAsset;
  // The position's live unit when it has one (a unit's state is a function of its kind, account, asset
  // and position alone); a transient one for a position opened within the current action.
  const unit = p.settings.marginMode === 'ISOLATED'
    ? p.riskUnit ?? new RiskUnit('ISOLATED', p.account, asset, p)
    : p.account.wallets.get(asset)?.crossUnit ?? new RiskUnit('CROSSED', p.account, asset, null);
  return new RankInput(p, unit);
}

interface Ranked {
  position: Position;
  score: bigint;
}

/** Higher score first; ties by account id, then side: a total, deterministic order. */
function before(a: Ranked, b: Ranked): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.position.account.id !== b.position.account.id) return a.position.account.id < b.position.account.id;
  return SIDE_ORDER[a.position.side] < SIDE_ORDER[b.position.side];
}

function score(core: Core, p: Position): Ranked {
  return { position: p, score: p.symbol.markPrice === null ? 0n : core.risk.ranking.score(rankInput(p)) };
}

/** Binary heap of ranked positions (best first): ADL needs only the top few of possibly many. */
function heapify(items: Ranked[]): void {
  for (let i = (items.length >> 1) - 1; i >= 0; i--) siftDown(items, i);
}

function siftDown(items: Ranked[], i: number): void {
  const n = items.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) return;
    const r = l + 1;
    let best = l;
    if (r < n && before(items[r]!, items[l]!)) best = r;
    if (!before(items[best]!, items[i]!)) return;
    [items[i], items[best]] = [items[best]!, items[i]!];
    i = best;
  }
}

function popBest(items: Ranked[]): Ranked | undefined {
  const top = items[0];
  const last = items.pop();
  if (items.length > 0 && last !== undefined) {
    items[0] = last;
    siftDown(items, 0);
  }
  return top;
}

/**
 * Closes `qty` contracts of the liquidated `position` against opposite positions at `price`
 * (the bankruptcy price, ticks). Each counterparty: its orders on the symbol cancelled (reason ADL),
 * status ADL, an ADL order filled at `price` (maker side), the liquidated side's ADL order filled
 * against it (taker side), status back to NORMAL, an ADL notice. Then the liquidated side's notice.
 * Answers the liquidated side's ADL order (its fills' PnL is rounded once with the takeover's).
 */
export function autoDeleverage(core: Core, position: Position, qty: number, price: number): Order {
  const symbol = position.symbol;
  const previous = core.emitter.currentReason;
  const direction = directionOf(position);
  const wanted = position.qty > 0 ? -1 : 1;
  // The account's own opposite legs that are being liquidated too (a cross hedge) net first, at the
  // same price; then everyone else by rank.
  const own: Position[] = [];
  for (const side of ['BOTH', 'LONG', 'SHORT'] as const) {
    const p = position.account.positions.get(symbol.positionKeys[side]);
    if (p !== undefined && p !== position && p.status === 'LIQUIDATING' && Math.sign(p.qty) === wanted && symbol.openPositions.has(p)) own.push(p);
  }
  const isCandidate = (p: Position): boolean => p !== position && Math.sign(p.qty) === wanted && !(p.account === position.account && p.status === 'LIQUIDATING');
  const next = symbol.openPositions.size <= core.risk.adlRankSlice ? scoredAfresh(core, symbol, isCandidate) : fromQueue(core, symbol, wanted, isCandidate);
  // The ADL order holds the position's closing capacity from now on: its own step (in the
  // liquidation's name: the position is being taken over), then the deleveraging proper.
  const ownOrder = riskOrder(core, position, qty, price, 'ADL');
  core.emitter.endStep();
  core.emitter.setReason('ADL');
  let left = qty;
  while (left > 0) {
    const counterparty = own.shift() ?? next();
    invariant(counterparty !== undefined, `${symbol.config.symbol}: no opposite positions left for ADL of ${left} contracts`);
    if (counterparty.qty === 0) continue;
    const q = Math.min(left, Math.abs(counterparty.qty));
    const theirDirection = directionOf(counterparty);
    cancelOrders(core, counterparty.account, (p) => p.symbol === symbol, 'ADL');
    const liquidating = counterparty.status === 'LIQUIDATING';
    if (!liquidating) counterparty.status = 'ADL';
    const theirOrder = riskOrder(core, counterparty, q, price, 'ADL');
    const tradeId = core.nextTradeId++;
    fillStep(core, theirOrder, q, price, true, tradeId);
    fillStep(core, ownOrder, q, price, false, tradeId);
    if (!liquidating) {
      counterparty.status = 'NORMAL';
      core.emitter.touchPosition(counterparty);
      core.emitter.endStep();
    }
    sendNotice(core, counterparty, 'ADL', theirDirection, q);
    left -= q;
  }
  sendNotice(core, position, 'ADL', direction, qty);
  core.emitter.setReason(previous);
  return ownOrder;
}

/** Counterparties scored now, best first: every candidate scored, then a heap for the top few. */
function scoredAfresh(core: Core, symbol: SymbolState, isCandidate: (p: Position) => boolean): () => Position | undefined {
  const candidates: Ranked[] = [];
  for (const p of symbol.openPositions) if (isCandidate(p)) candidates.push(score(core, p));
  heapify(candidates);
  return () => popBest(candidates)?.position;
}

/**
 * Counterparties from the ADL queue's side, best first as last ranked (skipping any that closed or
 * turned since); once that side is used up, the side's unranked positions scored now (positions
 * opened since their symbol's last round: O(n), and only when the ranked ones do not cover the ADL).
 */
function fromQueue(core: Core, symbol: SymbolState, wanted: number, isCandidate: (p: Position) => boolean): () => Position | undefined {
  const ranked = symbol.risk.adl.sideOf(wanted).inOrder();
  let rest: (() => Position | undefined) | null = null;
  return () => {
    for (let r = ranked.next(); !r.done; r = ranked.next()) if (isCandidate(r.value)) return r.value;
    rest ??= scoredAfresh(core, symbol, (p) => isCandidate(p) && p.adlSide !== wanted);
    return rest();
  };
}

/**
 * Advances the symbol's ADL ranking: a round starts when adlRankIntervalMs of engine time have passed
 * since the last one; then at most adlRankSlice positions the round has not scored yet are scored
 * (in account id, side order), placed in their side of the queue, and given their quantile there:
 * (count − index) / count, the top position 1, the last 1/count. A symbol with no more open positions
 * than the slice is thus ranked whole in the tick the round starts, as a full re-rank would; a larger
 * one over several ticks, each bounded. Quantiles are stored on the positions (no event of their own).
 */
export function rankSlice(core: Core, symbol: SymbolState): void {
  const interval = core.risk.adlRankIntervalMs;
  const queue = symbol.risk.adl;
  if (interval > 0 && core.time - symbol.risk.adlRankedAt >= interval) {
    symbol.risk.adlRankedAt = core.time;
    queue.round += 1;
  }
  if (queue.pending() === undefined) return;
  const slice: Position[] = [];
  for (let p = queue.pending(); p !== undefined && slice.length < core.risk.adlRankSlice; p = queue.pending()) {
    queue.rescored(p, score(core, p).score);
    slice.push(p);
  }
  for (const sign of [1, -1]) {
    const side = queue.sideOf(sign);
    const mine = slice.filter((p) => p.adlSide === sign);
    if (mine.length === 0) continue;
    const count = BigInt(side.size);
    const ranks = side.ranks(mine);
    mine.forEach((p, i) => {
      p.adlQuantile = ((count - BigInt(ranks[i]!)) * RATE_SCALE) / count;
    });
  }
}

/** The reference: every open position of the symbol scored now and sorted (tests compare rankSlice with it). */
export function fullRanking(core: Core, symbol: SymbolState): Map<Position, bigint> {
  const longs: Ranked[] = [];
  const shorts: Ranked[] = [];
  for (const p of symbol.openPositions) (p.qty > 0 ? longs : shorts).push(score(core, p));
  const quantiles = new Map<Position, bigint>();
  for (const side of [longs, shorts]) {
    side.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    const count = BigInt(side.length);
    side.forEach((r, i) => quantiles.set(r.position, ((count - BigInt(i)) * RATE_SCALE) / count));
  }
  return quantiles;
}
