/**
 * An account watched over all five streams, its canonical events captured in-process, and the
 * check made after every step: each dialect's model against the engine's own state, field by field
 * where the dialect carries the field, plus delivery (nothing twice, nothing missing), order status
 * sequences, fills and funding. Failures name the step, the dialect, the entity, the field, and
 * every dialect's value next to the engine's.
 */
import type { RunningServer } from '../../src/server/server.js';
import type { EngineEvent, PositionMode } from '../../src/engine/types.js';
import type { DecodeContext } from './decode.js';
import { isZero } from './exact.js';
import { expectedFundings, expectedOrderLog, hiddenOrders, utaCarries, type DialectName } from './delivery.js';
import { expectedConditionalLog, expectedOrigins } from './conditionals.js';
import { expectedMarkers } from './markers.js';
import {
  agrees, amountText, FIELDS, kindOf, show, type EntityKind, type Fields, type Model, type Truth, type TruthValue, type Units, type WireValue,
} from './model.js';
import type { FrontDoors } from './doors.js';
import { REST_CARRIES, restListsWallet, restModels, type RestName } from './rest.js';
import { eventsIn, scopes, truthIn, type Scope } from './scope.js';
import { openStreams, SYNC_ASSET, type Credentials, type DialectStream } from './streams.js';

const ALL = FIELDS;

/**
 * What each dialect's pushes carry, per entity (docs/dialects/cross-dialect.md explains each gap).
 * Every field listed must be compared at least once over the scenario, and no other.
 */
export const CARRIES: Readonly<Record<DialectName, Readonly<Record<EntityKind, readonly string[]>>>> = {
  xt: {
    wallet: ALL.wallet,
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlTotal', 'feesTotal', 'fundingTotal', 'markPrice', 'unrealizedPnl'],
    order: ALL.order,
    fill: ALL.fill,
    setting: ALL.setting,
  },
  binance: {
    wallet: ['walletBalance'],
    position: ['qty', 'entryPrice', 'marginMode', 'margin', 'realizedPnlTotal', 'unrealizedPnl'],
    order: ALL.order.filter((f) => f !== 'createTime'),
    fill: ALL.fill,
    setting: ALL.setting,
  },
  bybit: {
    wallet: ALL.wallet,
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlCurrent', 'realizedNetTotal', 'markPrice', 'unrealizedPnl'],
    order: ALL.order,
    fill: ALL.fill,
    setting: ALL.setting,
  },
  kucoin: {
    wallet: ALL.wallet,
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlCurrent', 'feesCurrent', 'fundingTotal', 'markPrice', 'unrealizedPnl'],
    order: ['clientOrderId', 'side', 'positionSide', 'type', 'price', 'qty', 'status', 'filledQty', 'createTime'],
    fill: ['orderId', 'side', 'price', 'qty', 'fee', 'feeAsset', 'maker', 'time'],
    setting: ALL.setting,
  },
  'kucoin-uta': {
    wallet: [],
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'markPrice', 'unrealizedPnl', 'realizedPnlCurrent'],
    order: [],
    fill: [],
    setting: ALL.setting,
  },
};

/**
 * Position fields a dialect shows as of its last push of the position, by design. Such a field is
 * compared with the engine's value as of the step in which the dialect last pushed the position
 * (in a step where it pushes the position, with the current value like every other field).
 * - `markPrice` of a flat position, every dialect: mark-price events go to open positions only
 *   (docs/engine-rules.md), while the engine's view shows every record at the current mark.
 * - Binance `unrealizedPnl`: Binance pushes no ACCOUNT_UPDATE for a mark move.
 * That Binance's ACCOUNT_UPDATEs list exactly the positions they must (so that these fields are
 * refreshed whenever Binance refreshes a position) is checked by the delivery check (delivery.ts).
 */
export const AS_OF_LAST_PUSH: Readonly<Record<DialectName, readonly string[]>> = {
  xt: [],
  binance: ['unrealizedPnl'],
  bybit: [],
  kucoin: [],
  'kucoin-uta': [],
};

export interface WatchOptions {
  /**
   * The server paces mark-price pushes so that the scenario's marks push nothing of their own (the
   * engine option `markEventIntervalMs`): every dialect then shows a position's mark price and
   * unrealized PnL as of its last push of the position, while the engine's view has them at the
   * current mark. Those two fields are compared as of the dialect's last push (like AS_OF_LAST_PUSH).
   */
  markEventsPaced?: boolean;
}

/** One compared field (or a missing or unexpected entity) of one dialect. */
export interface Row {
  dialect: string;
  entity: string;
  field: string;
  value: WireValue | undefined;
  truth: TruthValue | undefined;
  ok: boolean;
}

export interface CompareRules {
  /** The engine value a field of an entity is expected to show. */
  expected(key: string, field: string, fields: Fields<TruthValue>): TruthValue | undefined;
  /** Whether an entity the kind-wide rule requires is really required of this dialect. */
  required(key: string): boolean;
}

/**
 * One row per (entity, field) the dialect has, or per entity it should have and lacks, or has and
 * the engine does not. A field the dialect has but is not documented as carrying fails too.
 */
export function compareModel(dialect: string, model: Model, truth: Truth, carries: Readonly<Record<EntityKind, readonly string[]>>, covered: Set<string>, rules: CompareRules): Row[] {
  const rows: Row[] = [];
  for (const [key, fields] of truth.entities) {
    const kind = kindOf(key);
    const wire = model.entities.get(key);
    if (wire === undefined) {
      if (required(kind, fields, carries) && rules.required(key)) rows.push({ dialect, entity: key, field: '(entity)', value: undefined, truth: 'present', ok: false });
      continue;
    }
    for (const [field, value] of wire) {
      const expected = rules.expected(key, field, fields);
      const carried = carries[kind].includes(field);
      covered.add(`${kind}.${field}`);
      rows.push({ dialect, entity: key, field: carried ? field : `${field} (not documented as carried)`, value, truth: expected, ok: carried && expected !== undefined && agrees(value, expected) });
    }
  }
  for (const [key, wire] of model.entities) {
    if (truth.entities.has(key)) continue;
    // A dialect may show a side the engine has no record of, flat (Binance's BOTH entry of a hedge
    // account, Bybit's empty rows for a symbol never traded).
    if (kindOf(key) === 'position' && wire.get('qty') === '0') continue;
    // Nor a wallet of zeros the engine never opened (KuCoin's account-overview asked for a settle
    // currency the account never held answers one).
    if (kindOf(key) === 'wallet' && [...wire.values()].every((v) => typeof v === 'string' && isZero(v))) continue;
    rows.push({ dialect, entity: key, field: '(entity)', value: 'present', truth: undefined, ok: false });
  }
  return rows;
}

/** Each (entity, field) some dialect gets wrong, with every dialect's value next to the engine's. */
export function disagreements(rows: readonly Row[]): string[] {
  const table = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.entity} · ${row.field}`;
    table.set(key, [...(table.get(key) ?? []), row]);
  }
  const out: string[] = [];
  for (const [key, group] of table) {
    if (group.every((r) => r.ok)) continue;
    const engine = group.find((r) => !r.ok)!.truth;
    const cells = group.map((r) => `${r.dialect}=${show(r.value)}${r.ok ? '' : ' ✗'}${r.ok || r.truth === engine ? '' : ` (engine then ${show(r.truth)})`}`);
    out.push(`${key}: engine=${show(engine)} | ${cells.join(' | ')}`);
  }
  return out;
}

export class WatchedAccount {
  readonly events: EngineEvent[] = [];
  /** Position-mode changes as (account seq, command seq, mode), oldest first. */
  private readonly modes: { seq: number; cmdSeq: number; mode: PositionMode }[];
  private streams: DialectStream[] = [];
  private stepEvents = 0;
  private barriers = 0;
  /** Per dialect, the engine's positions as of the step in which the dialect last pushed them. */
  private readonly pushedTruth = new Map<DialectName, Map<string, Fields<TruthValue>>>();
  /** Per dialect (and REST snapshot), every "kind.field" compared at least once. */
  readonly coverage = new Map<string, Set<string>>();
  /** Per dialect, how many of its markers earlier steps accounted for. */
  private readonly markersSeen = new Map<DialectName, number>();

  private readonly ctx: DecodeContext;

  private constructor(
    readonly server: RunningServer, readonly account: Credentials, readonly label: string, private readonly units: ReadonlyMap<string, Units>, mode: PositionMode,
    private readonly options: WatchOptions,
  ) {
    this.modes = [{ seq: 0, cmdSeq: 0, mode }];
    this.ctx = { units, oneWay: (seq) => this.modeAt((m) => m.seq <= seq) === 'ONE_WAY' };
  }

  static async open(server: RunningServer, account: Credentials, label: string, units: ReadonlyMap<string, Units>, options: WatchOptions = {}): Promise<WatchedAccount> {
    const mode = server.exchange.engine.account(account.accountId)!.view.positionMode;
    const watched = new WatchedAccount(server, account, label, units, mode, options);
    server.exchange.events.subscribe(account.accountId, (event) => {
      watched.events.push(event);
      if (event.type === 'config' && event.reason === 'POSITION_MODE_CHANGE') watched.modes.push({ seq: event.seq, cmdSeq: event.cmdSeq, mode: event.positionMode });
    });
    watched.streams = await openStreams(server, account, watched.ctx, units, (cmdSeq) => watched.modeAt((m) => m.cmdSeq <= cmdSeq) === 'HEDGE');
    return watched;
  }

  private modeAt(before: (m: { seq: number; cmdSeq: number }) => boolean): PositionMode {
    return this.modes.filter(before).at(-1)!.mode;
  }

  beginStep(): void {
    this.stepEvents = this.events.length;
    for (const s of this.streams) s.beginStep();
  }

  /** The barrier: one unit of SYNC, pushed by every dialect after everything before it. */
  async barrier(deposit: (accountId: number, amount: string, asset: string) => Promise<void>): Promise<void> {
    await deposit(this.account.accountId, '1', SYNC_ASSET);
    this.barriers += 1;
  }

  async caughtUp(): Promise<void> {
    const lastUtaSeq = this.events.slice(this.stepEvents).filter(utaCarries).at(-1)?.seq ?? 0;
    await Promise.all(this.streams.map((s) => s.caughtUp(this.barriers, lastUtaSeq)));
  }

  /** The engine's state as `scope` (a market: the streams of one host show only their own contracts and wallets) shows it. */
  private truth(scope: Scope): Truth {
    const { exchange } = this.server;
    const id = this.account.accountId;
    return truthIn(scope, exchange.engine.account(id)!.view, exchange.history.finishedOrders(id), exchange.history.trades(id), this.events, this.units);
  }

  /** The market each stream here shows: XT /ws/user and the Binance fstream USDⓈ-M; Bybit all; KuCoin what it lists. */
  private scopeOf(name: DialectName | RestName): Scope {
    const s = scopes(this.units);
    switch (name) {
      case 'xt': case 'binance': case 'xt-rest': case 'binance-rest': return s.linear;
      case 'bybit': case 'bybit-rest': return s.all;
      case 'kucoin': case 'kucoin-uta': case 'kucoin-rest': return s.kucoin;
    }
  }

  /** Every disagreement and delivery problem after a step, as readable lines (empty: all agree). */
  check(step: string): string[] {
    const problems: string[] = [];
    const rows: Row[] = [];
    for (const stream of this.streams) {
      const truth = this.truth(this.scopeOf(stream.name));
      const asOfPush = AS_OF_LAST_PUSH[stream.name];
      const pushed = this.pushedTruth.get(stream.name);
      const hidden = hiddenOrders(stream.name, this.events);
      rows.push(...compareModel(stream.name, stream.model, truth, CARRIES[stream.name], this.covered(stream.name), {
        expected: (key, field, fields) => {
          const paced = this.options.markEventsPaced === true && (field === 'markPrice' || field === 'unrealizedPnl');
          const asPushed = kindOf(key) === 'position' && !stream.model.touched.has(key)
            && (asOfPush.includes(field) || paced || (field === 'markPrice' && fields.get('qty') === '0'));
          return asPushed ? pushed?.get(key)?.get(field) : fields.get(field);
        },
        required: (key) => !(key.startsWith('order:') && hidden.has(key.slice('order:'.length))),
      }));
      problems.push(...this.deliveryProblems(stream, truth));
      this.remember(stream, truth);
    }
    return [...problems, ...disagreements(rows)].map((p) => `[${this.label}] after "${step}": ${p}`);
  }

  /** The account read through every dialect's REST snapshot (wallets, positions) against the engine. */
  async checkRest(step: string, doors: FrontDoors): Promise<string[]> {
    const models = await restModels(doors, this.ctx, this.units, this.server.exchange.engine.account(this.account.accountId)!.seq);
    const rows: Row[] = [];
    for (const { name, model } of models) {
      const truth = this.truth(this.scopeOf(name));
      rows.push(...compareModel(name, model, truth, REST_CARRIES[name], this.covered(name), {
        expected: (_key, field, fields) => fields.get(field),
        required: (key) => !key.startsWith('wallet:') || restListsWallet(name, key.slice('wallet:'.length), this.units),
      }));
    }
    return disagreements(rows).map((p) => `[${this.label}] REST after "${step}": ${p}`);
  }

  private covered(name: string): Set<string> {
    const covered = this.coverage.get(name) ?? new Set<string>();
    this.coverage.set(name, covered);
    return covered;
  }

  private deliveryProblems(stream: DialectStream, truth: Truth): string[] {
    const problems: string[] = [];
    const name = stream.name;
    const scope = this.scopeOf(name);
    const events = eventsIn(scope, this.events);
    const stepEvents = eventsIn(scope, this.events.slice(this.stepEvents));
    const { expected, actual } = stream.delivery(stepEvents);
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      problems.push(`${name} delivered ${JSON.stringify(actual)}, the step's events call for ${JSON.stringify(expected)}`);
    }
    const markers = stream.model.markers.slice(this.markersSeen.get(name) ?? 0);
    this.markersSeen.set(name, stream.model.markers.length);
    const wanted = expectedMarkers(name, stepEvents, this.units);
    if (JSON.stringify(markers) !== JSON.stringify(wanted)) {
      problems.push(`${name} markers (risk, change reasons) ${JSON.stringify(markers, null, 1)},\n  the step's events call for ${JSON.stringify(wanted, null, 1)}`);
    }
    const log = expectedOrderLog(name, events, this.units);
    for (const id of new Set([...log.keys(), ...stream.model.orderLog.keys()])) {
      const want = log.get(id) ?? [];
      const got = stream.model.orderLog.get(id) ?? [];
      if (JSON.stringify(want) !== JSON.stringify(got)) problems.push(`${name} order ${id} status sequence ${JSON.stringify(got)}, engine ${JSON.stringify(want)}`);
    }
    const conditionals = expectedConditionalLog(name, events);
    if (JSON.stringify(conditionals) !== JSON.stringify(stream.model.conditionalLog)) {
      problems.push(`${name} conditional-order pushes ${JSON.stringify(stream.model.conditionalLog)}, the engine's conditional events call for ${JSON.stringify(conditionals)}`);
    }
    const origins = expectedOrigins(name, events);
    for (const id of new Set([...origins.keys(), ...stream.model.origins.keys()])) {
      const got = [...(stream.model.origins.get(id) ?? [])];
      const want = origins.has(id) ? [origins.get(id)!] : [];
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${name} order ${id} origin ${JSON.stringify(got)}, engine ${JSON.stringify(want)}`);
    }
    for (const inconsistency of stream.model.inconsistencies.splice(0)) problems.push(`${name} contradicts itself: ${inconsistency}`);
    if (CARRIES[name].fill.length > 0) {
      const rows = stream.model.fillRows;
      if (new Set(rows).size !== rows.length) problems.push(`${name} pushed a fill twice: ${JSON.stringify(rows)}`);
      if (JSON.stringify([...rows].sort()) !== JSON.stringify([...truth.fills].sort())) {
        problems.push(`${name} pushed fills ${JSON.stringify(rows)}, the engine made ${JSON.stringify(truth.fills)}`);
      }
    }
    const fundings = expectedFundings(name, events, this.units, amountText);
    if (JSON.stringify(fundings) !== JSON.stringify(stream.model.fundings)) {
      problems.push(`${name} funding ${JSON.stringify(stream.model.fundings)}, engine ${JSON.stringify(fundings)}`);
    }
    return problems;
  }

  /** Records the engine's positions as of this step for the ones the dialect pushed in it. */
  private remember(stream: DialectStream, truth: Truth): void {
    const pushed = this.pushedTruth.get(stream.name) ?? new Map<string, Fields<TruthValue>>();
    this.pushedTruth.set(stream.name, pushed);
    for (const key of stream.model.touched) {
      const fields = truth.entities.get(key);
      if (kindOf(key) === 'position' && fields !== undefined) pushed.set(key, fields);
    }
    stream.model.touched.clear();
  }

  /** Every marker each dialect pushed so far (markers.ts), by dialect. */
  markers(): Map<DialectName, readonly string[]> {
    return new Map(this.streams.map((s) => [s.name, [...s.model.markers]]));
  }

  /** Every dialect's conditional-order pushes and placed-order origins so far (conditionals.ts), by dialect. */
  conditionalPushes(): Map<DialectName, { log: readonly string[]; origins: Record<string, string[]>; positionTpsl: Record<string, string> }> {
    return new Map(this.streams.map((s) => [s.name, {
      log: [...s.model.conditionalLog], positionTpsl: Object.fromEntries(s.model.positionTpsl),
      origins: Object.fromEntries([...s.model.origins].map(([id, texts]) => [id, [...texts]])),
    }]));
  }

  close(): void {
    for (const s of this.streams) s.close();
  }
}

/** Whether a dialect that carries the kind must show the entity: an open position, every wallet, order and fill. */
function required(kind: EntityKind, fields: Fields<TruthValue>, carries: Readonly<Record<EntityKind, readonly string[]>>): boolean {
  switch (kind) {
    case 'position': return fields.get('qty') !== '0';
    case 'order':
    case 'wallet':
    case 'fill': return carries[kind].length > 0;
    case 'setting': return false;
  }
}
