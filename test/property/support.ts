/**
 * Helpers shared by the property tests: a bigint-aware structural diff, compact formatting,
 * view and event invariants checked independently of Engine.audit(), and a coverage tally.
 */
import assert from 'node:assert/strict';
import type { Command, CommandResult, EngineEvent } from '../../src/engine/types.js';
import type { StateView } from '../../src/engine/view.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { readSymbolRules } from '../reference/symbol-rules.js';

/** The inverse cost scale S = 10⁸: inverse costs and the rounding dust are in 10⁻¹⁶ of the coin (rules: Inverse contracts). */
const S = 100_000_000n;

// ---------------------------------------------------------------------------------------------
// Formatting and diff

/** JSON with bigints written as `123n`; undefined properties are dropped. */
export function fmt(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

export interface Difference {
  path: string;
  actual: unknown;
  expected: unknown;
}

/**
 * Fails a property run at one command with everything needed to reproduce it: `header` (which seed
 * and how to rerun it), the scenario with its symbols named, the command, what went wrong, and the
 * last commands applied.
 */
export function failAt(header: string, scenario: { symbols: readonly SymbolSpec[] }, cmd: Command, history: readonly string[], what: string): never {
  return assert.fail([
    header,
    `scenario: ${fmt({ ...scenario, symbols: scenario.symbols.map((x) => x.symbol) })}`,
    `command: ${fmt(cmd)}`,
    what,
    'last commands:',
    ...history.slice(-8),
  ].join('\n'));
}

/**
 * The first path at which two plain values differ (arrays by index, objects by key; a key whose
 * value is undefined counts as absent), or null when they are equal.
 */
export function firstDifference(actual: unknown, expected: unknown, path = '$'): Difference | null {
  if (Object.is(actual, expected)) return null;
  const bothObjects = typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null;
  if (!bothObjects) return { path, actual, expected };
  if (Array.isArray(actual) !== Array.isArray(expected)) return { path, actual, expected };
  if (Array.isArray(actual) && Array.isArray(expected)) {
    const n = Math.max(actual.length, expected.length);
    for (let i = 0; i < n; i++) {
      if (i >= actual.length || i >= expected.length) {
        return { path: `${path}.length`, actual: actual.length, expected: expected.length };
      }
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(e)])].sort();
  for (const k of keys) {
    const d = firstDifference(a[k], e[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/** Resolves a `$.a[1].b` path inside `root`, to show the enclosing object of a difference. */
export function atPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.replace(/^\$/, '').match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part.slice(1);
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

export function describeDifference(d: Difference, actualRoot: unknown, expectedRoot: unknown): string {
  const parent = d.path.replace(/(\.[^.[]+|\[\d+\])$/, '');
  return [
    `first difference at ${d.path}: engine ${fmt(d.actual)}, reference ${fmt(d.expected)}`,
    `  engine    ${parent}: ${fmt(atPath(actualRoot, parent))}`,
    `  reference ${parent}: ${fmt(atPath(expectedRoot, parent))}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// View invariants (rules: Invariants), computed from the view alone

/**
 * `mayBeNegative` names the wallets (`accountId|asset`) whose available balance may be negative after
 * this command: funding never cancels orders (rules: Funding settlement), so a payment can leave a
 * wallet below zero until its owner or the liquidation engine acts; every other command keeps
 * available ≥ 0 (reallocation step 2) unless it was negative already.
 */
export function viewInvariantViolations(view: StateView, symbols: readonly SymbolSpec[], mayBeNegative: (key: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  const configs = new Map(symbols.map((s) => [s.symbol, readSymbolRules(s)]));
  // Money: Σ W + fees − Σ K × signed entryCost = deposits − withdrawals, per asset, in 10⁻¹⁶ units
  // (amounts × S) so that the inverse rounding dust counts; an inverse position's entry cost is in
  // 10⁻¹⁶ coin already and counts −signed (rules: Invariants, Inverse contracts).
  const lhs = new Map<string, bigint>();
  const add = (asset: string, amount: bigint): void => { lhs.set(asset, (lhs.get(asset) ?? 0n) + amount * S); };
  const addFine = (asset: string, amount: bigint): void => { lhs.set(asset, (lhs.get(asset) ?? 0n) + amount); };
  for (const d of view.roundingDust) {
    addFine(d.asset, d.amount);
    if (d.amount < 0n) problems.push(`rounding dust ${d.asset} is negative: ${d.amount}`);
  }
  for (const f of view.fees) add(f.asset, f.amount);
  for (const f of view.risk.insuranceFund) {
    add(f.asset, f.amount);
    if (f.amount < 0n) problems.push(`insurance fund ${f.asset} is negative: ${f.amount}`);
  }
  const netQty = new Map<string, number>();
  for (const acc of view.accounts) {
    for (const w of acc.wallets) {
      add(w.asset, w.walletBalance);
      if (w.availableBalance < 0n && !mayBeNegative(`${acc.accountId}|${w.asset}`)) problems.push(`account ${acc.accountId} ${w.asset}: negative availableBalance ${w.availableBalance}`);
      const parts = w.walletBalance - w.isolatedMargin - w.crossedMargin - w.openOrderMarginFrozen;
      if (parts !== w.availableBalance) problems.push(`account ${acc.accountId} ${w.asset}: availableBalance ${w.availableBalance} ≠ W − margins − frozen = ${parts}`);
    }
    for (const p of acc.positions) {
      const cfg = configs.get(p.symbol)!;
      const signed = p.qty > 0 ? p.entryCost : p.qty < 0 ? -p.entryCost : 0n;
      if (p.qty === 0 && p.entryCost !== 0n) problems.push(`account ${acc.accountId} ${p.symbol} ${p.positionSide}: flat with entryCost ${p.entryCost}`);
      if (cfg.spec.underlyingType === 'COIN_BASED') addFine(cfg.settleAsset, signed);
      else add(cfg.settleAsset, -cfg.k * signed);
      netQty.set(p.symbol, (netQty.get(p.symbol) ?? 0) + p.qty);
      if (Math.abs(p.qty) > cfg.spec.maxPositionQty) problems.push(`account ${acc.accountId} ${p.symbol}: |qty| ${p.qty} above maxPositionQty`);
    }
  }
  const deposits = new Map(view.netDeposits.map((d) => [d.asset, d.amount]));
  for (const asset of new Set([...lhs.keys(), ...deposits.keys()])) {
    const got = lhs.get(asset) ?? 0n;
    const want = (deposits.get(asset) ?? 0n) * S;
    if (got !== want) problems.push(`money ${asset} (10⁻¹⁶): Σ W + fees + insurance fund + dust − Σ K × signed entryCost = ${got} ≠ net deposits ${want} (off by ${got - want})`);
  }
  for (const [symbol, qty] of netQty) if (qty !== 0) problems.push(`${symbol}: Σ signed position qty = ${qty}`);
  // The book is never crossed; every booked order is live.
  const live = new Set(view.accounts.flatMap((a) => a.orders.map((o) => o.orderId)));
  for (const b of view.books) {
    const bid = b.bids[0]?.price;
    const ask = b.asks[0]?.price;
    if (bid !== undefined && ask !== undefined && bid >= ask) problems.push(`${b.symbol}: crossed book, best bid ${bid} ≥ best ask ${ask}`);
    for (const level of [...b.bids, ...b.asks]) {
      for (const id of level.orderIds) if (!live.has(id)) problems.push(`${b.symbol}: booked order ${id} is not live`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Event invariants across a run

export class EventChecker {
  private readonly seqs = new Map<number, number>();

  /** Violations of: gap-free per-account seq from 1, cmdSeq/time of the command, silence of refusals. */
  check(cmd: Command, cmdSeq: number, expectedCmdSeq: number, result: CommandResult, events: readonly EngineEvent[]): string[] {
    const problems: string[] = [];
    if (cmdSeq !== expectedCmdSeq) problems.push(`apply returned cmdSeq ${cmdSeq}, expected ${expectedCmdSeq}`);
    if (!result.ok && events.length > 0) problems.push(`refused command (${result.code}) emitted ${events.length} events`);
    for (const [i, e] of events.entries()) {
      if (e.cmdSeq !== cmdSeq) problems.push(`event ${i} (${e.type}) has cmdSeq ${e.cmdSeq}, command has ${cmdSeq}`);
      if (e.time !== cmd.time) problems.push(`event ${i} (${e.type}) has time ${e.time}, command has ${cmd.time}`);
      const next = (this.seqs.get(e.accountId) ?? 0) + 1;
      if (e.seq !== next) problems.push(`event ${i} (${e.type}) of account ${e.accountId} has seq ${e.seq}, expected ${next}`);
      this.seqs.set(e.accountId, e.seq);
    }
    return problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Coverage: what the generated streams exercised, from the engine's results and events

export class Coverage {
  private readonly counts = new Map<string, number>();
  private readonly positionQty = new Map<string, number>();

  private inc(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  record(cmd: Command, result: CommandResult, events: readonly EngineEvent[]): void {
    let outcome: string = result.ok ? 'ok' : `refused ${result.code}`;
    if (result.ok && (result.kind === 'order' || result.kind === 'conditional') && result.duplicate) outcome = 'ok duplicate';
    this.inc(`command ${cmd.type}: ${outcome}`);
    if (cmd.type === 'placeOrder' && cmd.attachTpsl !== undefined) this.inc(`command placeOrder with attachTpsl ${cmd.attachTpsl.mode}: ${outcome}`);
    if (cmd.type === 'placeConditional') {
      const callback = cmd.callbackRate !== undefined ? ' callbackRate' : cmd.callbackAmount !== undefined ? ' callbackAmount' : '';
      this.inc(`command placeConditional ${cmd.kind} ${cmd.triggerSource} ${cmd.orderType}${callback}: ${outcome}`);
      const flags = [
        cmd.closePosition ? 'closePosition' : '', cmd.reduceOnly ? 'reduceOnly' : '', cmd.expireTime !== undefined ? 'expireTime' : '',
        cmd.activationPrice !== undefined ? 'activationPrice' : '', cmd.attachTpsl !== undefined ? `attachTpsl ${cmd.attachTpsl.mode}` : '',
        cmd.triggerIfHolding === true ? 'triggerIfHolding' : '', cmd.clientOrderId !== undefined ? 'clientOrderId' : '',
      ];
      for (const flag of flags) if (flag !== '') this.inc(`command placeConditional with ${flag}: ${outcome}`);
    }
    if (cmd.type === 'setPositionTpsl') {
      const legs = [cmd.takeProfit !== undefined ? 'TP' : '', cmd.stopLoss !== undefined ? 'SL' : '', cmd.trailingStop !== undefined ? 'trailing' : ''].filter((x) => x !== '');
      this.inc(`command setPositionTpsl ${cmd.mode} ${legs.join('+')}: ${outcome}`);
    }
    if (cmd.type === 'amendOrder' && events.some((e) => e.type === 'trade')) this.inc('amendment took liquidity');
    if (cmd.type === 'settleFunding' && events.some((e) => e.type === 'funding')) this.inc('funding settlement that moved money');
    if (cmd.type === 'setMarkPrice' && events.some((e) => e.type === 'notice' && e.notice === 'LIQUIDATION')) this.inc('mark tick that liquidated');
    if (cmd.type === 'placeOrder' && cmd.stpMode !== undefined && events.some((e) => e.type === 'order' && e.order.reason === 'SELF_TRADE_PREVENTION')) {
      this.inc(`self-trade prevention under ${cmd.stpMode}`);
    }
    for (const e of events) {
      switch (e.type) {
        case 'order': {
          const o = e.order;
          const partial = o.executedQty > 0 && o.executedQty < o.qty ? ' (after partial fill)' : '';
          if (e.execType !== 'TRADE' && e.execType !== 'NEW') this.inc(`order ${e.execType} → ${o.state} ${o.reason}${partial}`);
          if (e.execType === 'TRADE' && o.state === 'PARTIALLY_FILLED') this.inc('fill: partial');
          if (e.execType === 'TRADE' && o.state === 'FILLED') this.inc('fill: completes the order');
          if (e.execType === 'NEW') this.inc(`order NEW ${o.orderType} ${o.timeInForce}${o.reduceOnly ? ' reduceOnly' : ''}${o.positionSide === 'BOTH' ? '' : ' hedge'}`);
          break;
        }
        case 'trade':
          this.inc(e.isMaker ? 'trade: maker side' : 'trade: taker side');
          if ((e.positionSide === 'LONG' && e.side === 'SELL') || (e.positionSide === 'SHORT' && e.side === 'BUY')) this.inc('trade: hedge-mode close');
          if (e.realizedPnl !== 0n) this.inc(`trade: realized ${e.realizedPnl > 0n ? 'profit' : 'loss'}`);
          if (e.feeAsset !== 'USDT') this.inc(`trade: fee paid in ${e.feeAsset}`);
          break;
        case 'position': {
          const p = e.position;
          const key = `${e.accountId}|${p.symbol}|${p.positionSide}`;
          const before = this.positionQty.get(key) ?? 0;
          if ((before > 0 && p.qty < 0) || (before < 0 && p.qty > 0)) this.inc('position: one-way flip');
          if (before !== 0 && p.qty === 0) this.inc('position: closed to flat');
          if (before === 0 && p.qty !== 0) this.inc(`position: opened (${p.marginMode})`);
          this.positionQty.set(key, p.qty);
          break;
        }
        case 'balance':
          this.inc(`balance event ${e.reason}`);
          break;
        case 'notice':
          this.inc(`notice ${e.notice}`);
          if (e.notice === 'LIQUIDATION') {
            this.inc('liquidation');
            this.inc(`liquidation: ${e.position.marginMode}`);
            this.inc(`liquidation: ${e.position.positionSide === 'BOTH' ? 'one-way' : 'hedge'}`);
            this.inc(`liquidation: ${e.direction}`);
          }
          break;
        case 'funding': {
          const way = e.fundingFee > 0n ? 'received' : 'paid';
          this.inc(`funding: ${way}`);
          this.inc(`funding: a ${e.qty > 0 ? 'long' : 'short'} ${way}`);
          break;
        }
        case 'config':
          this.inc(`config event ${e.reason}`);
          break;
        case 'conditional': {
          const c = e.conditional;
          this.inc(`conditional ${e.change} ${c.kind}${c.tpslMode !== null ? ` ${c.tpslMode}` : ''}${c.reason !== 'NONE' ? ` ${c.reason}` : ''}`);
          // The headline outcomes (the rules' "Firing" and "the trigger pass").
          if (e.change === 'TRIGGERED') this.inc('conditional: fired (TRIGGERED, order placed)');
          if (e.change === 'REJECTED') {
            this.inc('conditional: rejected at trigger');
            this.inc(`conditional: rejected at trigger, ${c.reason}`);
          }
          if (e.change === 'CANCELED' && c.reason === 'OCO_PARTNER_FIRED') {
            this.inc(c.kind === 'STOP_LOSS' ? 'conditional: a take-profit cancelled its stop-loss (OCO)' : 'conditional: a stop-loss cancelled its take-profit (OCO)');
          }
          if (e.change === 'CANCELED' && c.reason === 'POSITION_CLOSED') {
            this.inc(c.tpslMode !== null ? 'conditional: a leg was cancelled when its position closed' : 'conditional: a closePosition order found no position');
          }
          if (e.change === 'AMENDED' && c.tpslMode === 'PARTIAL' && cmd.type !== 'amendConditional' && cmd.type !== 'setPositionTpsl') {
            this.inc('conditional: a PARTIAL leg resized with its position or its opening order');
          }
          if (e.change === 'EXPIRED') this.inc('conditional: expired');
          break;
        }
      }
      if (e.type === 'order' && e.execType === 'NEW' && e.order.origin !== null) this.inc(`order placed by a conditional (${e.order.origin})`);
    }
  }

  /**
   * The inverse-and-delivery paths (kinds streams), by the symbols' configuration: `inverse` and
   * `delivery` name the COIN_BASED and the DELIVERY symbols.
   */
  recordKinds(cmd: Command, result: CommandResult, events: readonly EngineEvent[], inverse: ReadonlySet<string>, delivery: ReadonlySet<string>): void {
    const symbol = 'symbol' in cmd ? cmd.symbol : undefined;
    const outcome = result.ok ? 'ok' : `refused ${result.code}`;
    if (symbol !== undefined && inverse.has(symbol)) this.inc(`inverse: ${cmd.type} ${outcome}`);
    if (symbol !== undefined && delivery.has(symbol)) this.inc(`delivery symbol: ${cmd.type} ${outcome}`);
    if (cmd.type === 'settleDelivery' && result.ok) {
      if (events.some((e) => e.type === 'delivery')) this.inc(`delivery: settled with open positions (${inverse.has(cmd.symbol) ? 'inverse' : 'linear'})`);
      if (events.some((e) => e.type === 'order' && e.order.reason === 'DELIVERY')) this.inc('delivery: settlement expired resting orders');
      if (events.some((e) => e.type === 'conditional' && e.conditional.reason === 'DELIVERY')) this.inc('delivery: settlement expired conditional orders');
    }
    for (const e of events) {
      if (e.type === 'trade' && inverse.has(e.symbol)) {
        this.inc('inverse: fill');
        if (e.realizedPnl !== 0n) this.inc(`inverse: close with realized ${e.realizedPnl > 0n ? 'profit' : 'loss'}`);
      }
      if (e.type === 'trade' && delivery.has(e.symbol)) this.inc('delivery symbol: fill');
      if (e.type === 'funding' && inverse.has(e.symbol)) this.inc(`inverse: funding ${e.fundingFee > 0n ? 'received' : 'paid'}`);
      if (e.type === 'delivery') this.inc(`delivery: position closed ${e.realizedPnl > 0n ? 'in profit' : e.realizedPnl < 0n ? 'at a loss' : 'even'}`);
      if (e.type === 'notice' && e.notice === 'LIQUIDATION' && inverse.has(e.position.symbol)) this.inc('inverse: liquidation');
    }
  }

  note(key: string): void {
    this.inc(key);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  format(title: string): string {
    const lines = [...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${String(v).padStart(8)}  ${k}`);
    return [`${title}`, ...lines].join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Events against state: events are full snapshots, emitted exactly when something changed

/**
 * Position fields that move without the position changing (no event of their own): with the mark
 * price, and the risk values that depend on the rest of the account or the ADL ranking.
 */
const MARK_FIELDS = new Set([
  'markPrice', 'unrealizedPnl', 'maintenanceMargin', 'maintenanceMarginRate', 'liquidationPrice', 'bankruptcyPrice', 'marginRatio', 'adlQuantile',
]);

/**
 * The view without what the reference model does not model: liquidation and bankruptcy prices
 * (test/risk checks them against the formulas) and the engine's warning episodes.
 */
export function comparableView(view: StateView): StateView {
  return {
    ...view,
    accounts: view.accounts.map((a) => ({ ...a, positions: a.positions.map((p) => ({ ...p, liquidationPrice: null, bankruptcyPrice: null })) })),
    risk: { ...view.risk, warned: [] },
  };
}
/** Wallet fields a balance event must agree with. */
const WALLET_FIELDS = ['walletBalance', 'isolatedMargin', 'crossedMargin', 'openOrderMarginFrozen', 'availableBalance'] as const;
/**
 * Conditional-order fields that change without an event: a trailing stop's moving trigger and best
 * price, and its arming (rules: "a trailing stop's moving trigger is not an event"); the link to a
 * new partner.
 */
const SILENT_CONDITIONAL_FIELDS = new Set(['ocoId']);
const SILENT_TRAILING_FIELDS = new Set(['triggerPrice', 'extremePrice', 'activated', 'ocoId']);
/** Order fields that may change without an order event of their own (rules: Events). */
const SILENT_ORDER_FIELDS = new Set(['closeQty', 'marginFrozen', 'leverage']);

function without(value: object, skip: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !skip.has(k)));
}

/**
 * Checks one command's events against the states before and after it:
 * - the last position / balance / order event of each key equals that key's state afterwards
 *   (orders: except closeQty, marginFrozen, leverage);
 * - a position or wallet whose state changed has an event; a live order that changed (beyond the
 *   silent fields) has an event;
 * - an event does not repeat the previous snapshot of its key unchanged ("emitted only if
 *   something in them changed").
 */
export function eventStateViolations(before: StateView, after: StateView, events: readonly EngineEvent[]): string[] {
  const problems: string[] = [];
  const posKey = (a: number, symbol: string, side: string): string => `${a}|${symbol}|${side}`;
  const beforePositions = new Map<string, object>();
  const afterPositions = new Map<string, object>();
  const beforeWallets = new Map<string, object>();
  const afterWallets = new Map<string, object>();
  const beforeOrders = new Map<number, object>();
  const afterOrders = new Map<number, object>();
  const collect = (view: StateView, positions: Map<string, object>, wallets: Map<string, object>, orders: Map<number, object>): void => {
    for (const acc of view.accounts) {
      for (const p of acc.positions) positions.set(posKey(acc.accountId, p.symbol, p.positionSide), p);
      for (const w of acc.wallets) wallets.set(`${acc.accountId}|${w.asset}`, w);
      for (const o of acc.orders) orders.set(o.orderId, o);
    }
  };
  collect(before, beforePositions, beforeWallets, beforeOrders);
  collect(after, afterPositions, afterWallets, afterOrders);
  const pick = (w: object): Record<string, unknown> => {
    const r = w as Record<string, unknown>;
    return Object.fromEntries(WALLET_FIELDS.map((f) => [f, r[f]]));
  };

  // Walk the events, remembering the latest snapshot of every key.
  const lastPosition = new Map<string, object>(beforePositions);
  const lastWallet = new Map<string, Record<string, unknown>>([...beforeWallets].map(([k, w]) => [k, pick(w)]));
  const positionEvents = new Set<string>();
  const walletEvents = new Set<string>();
  const lastOrder = new Map<number, object>();
  for (const [i, e] of events.entries()) {
    if (e.type === 'position') {
      const key = posKey(e.accountId, e.position.symbol, e.position.positionSide);
      const previous = lastPosition.get(key);
      if (previous && !firstDifference(without(e.position, new Set(['updateTime'])), without(previous, new Set(['updateTime'])))) {
        problems.push(`event ${i}: position ${key} emitted without a change`);
      }
      lastPosition.set(key, e.position);
      positionEvents.add(key);
    } else if (e.type === 'balance') {
      const key = `${e.accountId}|${e.balance.asset}`;
      const snapshot = pick(e.balance);
      const previous = lastWallet.get(key);
      if (previous && !firstDifference(snapshot, previous)) problems.push(`event ${i}: balance ${key} emitted without a change`);
      lastWallet.set(key, snapshot);
      walletEvents.add(key);
    } else if (e.type === 'order') {
      lastOrder.set(e.order.orderId, e.order);
    }
  }

  for (const [key, state] of afterPositions) {
    const last = lastPosition.get(key);
    if (positionEvents.has(key)) {
      // Silent fields may move after the position's last event within the same command (a later
      // step changes the cross wallet, say), so they are left out here too.
      const d = firstDifference(last && without(last, MARK_FIELDS), without(state, MARK_FIELDS), `position ${key}`);
      if (d) problems.push(`last position event of ${key} differs from the state: ${describeDifference(d, last, state)}`);
    } else {
      // Without an event only the mark-driven fields may have moved (mark updates are paced).
      const d = firstDifference(last && without(last, MARK_FIELDS), without(state, MARK_FIELDS), `position ${key}`);
      if (d) problems.push(`position ${key} changed without a position event: ${d.path} was ${fmt(d.actual)} now ${fmt(d.expected)}`);
    }
  }
  for (const [key, state] of afterWallets) {
    const d = firstDifference(lastWallet.get(key), pick(state), `wallet ${key}`);
    if (d) {
      problems.push(walletEvents.has(key)
        ? `last balance event of ${key} differs from the state: ${d.path} event ${fmt(d.actual)} state ${fmt(d.expected)}`
        : `wallet ${key} changed without a balance event: ${d.path} was ${fmt(d.actual)} now ${fmt(d.expected)}`);
    }
  }
  // Conditional orders: a waiting one's last event (or, without one, its state before) equals its
  // state except for the fields that move silently (a trailing stop's best price and trigger, its
  // arming; the partner link); one that stopped waiting ended with an event; a new one has one.
  const beforeConditionals = new Map(before.accounts.flatMap((a) => a.conditionals.map((c) => [c.conditionalId, c] as const)));
  const afterConditionals = new Map(after.accounts.flatMap((a) => a.conditionals.map((c) => [c.conditionalId, c] as const)));
  const lastConditional = new Map<number, { change: string; conditional: object }>();
  for (const e of events) if (e.type === 'conditional') lastConditional.set(e.conditional.conditionalId, e);
  for (const [id, state] of afterConditionals) {
    const event = lastConditional.get(id);
    const reference = event?.conditional ?? beforeConditionals.get(id);
    if (!reference) {
      problems.push(`conditional ${id} waits without a NEW event`);
      continue;
    }
    const silent = state.kind === 'TRAILING' ? SILENT_TRAILING_FIELDS : SILENT_CONDITIONAL_FIELDS;
    const d = firstDifference(without(reference, silent), without(state, silent), `conditional ${id}`);
    if (d) problems.push(event ? `last conditional event of ${id} differs from the state: ${d.path} event ${fmt(d.actual)} state ${fmt(d.expected)}` : `conditional ${id} changed without an event: ${d.path}`);
  }
  for (const id of beforeConditionals.keys()) {
    const change = lastConditional.get(id)?.change;
    if (!afterConditionals.has(id) && (change === undefined || change === 'NEW' || change === 'AMENDED')) problems.push(`conditional ${id} stopped waiting without an event that ends it`);
  }
  for (const [id, state] of afterOrders) {
    const event = lastOrder.get(id);
    const reference = event ?? beforeOrders.get(id);
    const d = firstDifference(reference && without(reference, SILENT_ORDER_FIELDS), without(state, SILENT_ORDER_FIELDS), `order ${id}`);
    if (d) problems.push(event ? `last order event of ${id} differs from the state: ${d.path} event ${fmt(d.actual)} state ${fmt(d.expected)}` : `order ${id} changed without an order event: ${d.path}`);
  }
  return problems.map((p) => p.replace(/\n/g, '\n    '));
}
