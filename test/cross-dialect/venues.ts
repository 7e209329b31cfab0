/**
 * One account watched over every stream that carries coin-margined (inverse) and delivery markets,
 * where the exchanges split their markets: XT USDT-M (/ws/user) and Coin-M (/dapi/ws/user),
 * Binance fstream (USDⓈ-M, /binance/private/ws) and dstream (COIN-M, /binance/dstream/private/ws),
 * the Bybit private stream (linear and inverse alike) and the KuCoin classic futures stream (KuCoin
 * lists no USDT quarterly). Each stream — a "lens" — is compared with the engine's state restricted
 * to the symbols and wallets its market shows, field by field (the same model, decoders, CARRIES
 * table and comparison as account.ts), plus every order's status sequence, the fills, funding and
 * (Bybit) the delivery executions.
 *
 * Barrier: the coin-margined hosts show their coins' wallets only, so the SYNC wallet never reaches
 * them. Each barrier deposits one SYNC unit (waited on as in account.ts) and 10^-8 BTC, whose
 * balance push the coin-margined streams carry: they are waited on by that event's account seq.
 */
import type { RunningServer } from '../../src/server/server.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { BinanceRest } from '../binance/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { XtClient } from '../support/xt-client.js';
import { AS_OF_LAST_PUSH, CARRIES, compareModel, disagreements, type Row } from './account.js';
import { kucoinSymbolName, type DecodeContext } from './decode.js';
import { expectedFundings, expectedOrderLog, hiddenOrders, utaCarries, type DialectName } from './delivery.js';
import type { FrontDoors } from './doors.js';
import { amountText, kindOf, type Fields, type Model, type Truth, type TruthValue, type Units } from './model.js';
import { binanceRestModel, bybitRestModel, kucoinRestModel, REST_CARRIES, restListsWallet, xtRestModel, type RestName } from './rest.js';
import { eventsIn, scopes, truthIn, type Scope } from './scope.js';
import { BinanceUserStream, BybitPrivateStream, KucoinClassicStream, KucoinUtaStream, SYNC_ASSET, XtStream, type Credentials, type DialectStream } from './streams.js';

/** The coin the barrier deposits for the coin-margined streams, and how much (one amount unit). */
export const COIN_BARRIER = { asset: 'BTC', amount: '0.00000001' } as const;


interface Lens extends Scope {
  label: string;
  dialect: DialectName;
  stream: DialectStream;
  /**
   * `sync`: waits on the SYNC wallet; `coin`: on the seq of the barrier's coin deposit; `uta`
   * (KuCoin UTA, no wallet): on the seq of the step's last event it carries.
   */
  barrier: 'sync' | 'coin' | 'uta';
}
export class VenueWatch {
  readonly events: EngineEvent[] = [];
  private lenses: Lens[] = [];
  private barriers = 0;
  /** Where the current step's events begin. */
  private stepEvents = 0;
  /** The account seq of the last barrier's coin deposit. */
  private coinSeq = 0;
  private readonly pushedTruth = new Map<string, Map<string, Fields<TruthValue>>>();
  /** Per dialect (and REST snapshot), every "kind.field" compared at least once. */
  readonly coverage = new Map<string, Set<string>>();
  private readonly ctx: DecodeContext;

  private constructor(readonly server: RunningServer, readonly account: Credentials, readonly label: string, private readonly units: ReadonlyMap<string, Units>) {
    const oneWay = server.exchange.engine.account(account.accountId)!.view.positionMode === 'ONE_WAY';
    // The scenario changes no position mode.
    this.ctx = { units, oneWay: () => oneWay };
  }

  static async open(server: RunningServer, account: Credentials, label: string, units: ReadonlyMap<string, Units>): Promise<VenueWatch> {
    const watch = new VenueWatch(server, account, label, units);
    server.exchange.events.subscribe(account.accountId, (event) => watch.events.push(event));
    const s = scopes(units);
    const { ctx } = watch;
    const { url, wsUrl } = server;
    // Every client signs with the server's clock (a test's ManualTime).
    const now = (): number => server.exchange.now();
    const binance = new BinanceRest(url, account.apiKey, account.secret);
    binance.now = now;
    const kucoin = new KucoinRest(url, account.apiKey, account.secret, account.passphrase);
    kucoin.now = now;
    const xt = (base: string): XtClient => Object.assign(new XtClient(base, account.apiKey, account.secret), { now });
    const kucoinSymbols = [...units.values()].flatMap((u) => kucoinSymbolName(u) ?? []);
    watch.lenses = [
      { label: 'xt', dialect: 'xt', ...s.linear, barrier: 'sync', stream: await XtStream.open(wsUrl, xt(url), ctx) },
      { label: 'xt-dapi', dialect: 'xt', ...s.coin, barrier: 'coin', stream: await XtStream.open(wsUrl, xt(`${url}/dapi`), ctx, '/dapi/ws/user') },
      { label: 'binance', dialect: 'binance', ...s.linear, barrier: 'sync', stream: await BinanceUserStream.open(wsUrl, binance, ctx, units) },
      { label: 'binance-dstream', dialect: 'binance', ...s.coin, barrier: 'coin', stream: await BinanceUserStream.open(wsUrl, binance, ctx, units, '/binance/dstream') },
      { label: 'bybit', dialect: 'bybit', ...s.all, barrier: 'sync', stream: await BybitPrivateStream.open(wsUrl, account, ctx, () => !ctx.oneWay(0), now) },
      { label: 'kucoin', dialect: 'kucoin', ...s.kucoin, barrier: 'sync', stream: await KucoinClassicStream.open(kucoin, ctx, kucoinSymbols) },
      { label: 'kucoin-uta', dialect: 'kucoin-uta', ...s.kucoin, barrier: 'uta', stream: await KucoinUtaStream.open(kucoin, wsUrl, ctx) },
    ];
    return watch;
  }

  beginStep(): void {
    this.stepEvents = this.events.length;
    for (const lens of this.lenses) lens.stream.beginStep();
  }

  /** One SYNC unit and one amount unit of BTC, each pushed after everything before it by the streams that show it. */
  async barrier(deposit: (accountId: number, amount: string, asset: string) => Promise<void>): Promise<void> {
    await deposit(this.account.accountId, COIN_BARRIER.amount, COIN_BARRIER.asset);
    this.coinSeq = this.events.filter((e) => e.type === 'balance' && e.balance.asset === COIN_BARRIER.asset).at(-1)!.seq;
    await deposit(this.account.accountId, '1', SYNC_ASSET);
    this.barriers += 1;
  }

  async caughtUp(): Promise<void> {
    await Promise.all(this.lenses.map((l) => {
      switch (l.barrier) {
        case 'sync': return l.stream.caughtUp(this.barriers, 0);
        case 'coin': return l.stream.reachedSeq(this.coinSeq);
        case 'uta': return l.stream.caughtUp(this.barriers, eventsIn(l, this.events.slice(this.stepEvents)).filter(utaCarries).at(-1)?.seq ?? 0);
      }
    }));
  }

  /** The dialects' own words for each order's last status, by lens. */
  statusWords(orderId: string): Record<string, string | undefined> {
    return Object.fromEntries(this.lenses.map((l) => [l.label, l.stream.model.statusWords.get(orderId)]));
  }

  /** The model of a lens (for a step's own assertions). */
  model(label: string): Model {
    return this.lenses.find((l) => l.label === label)!.stream.model;
  }

  private history() {
    const { exchange } = this.server;
    const id = this.account.accountId;
    return { view: exchange.engine.account(id)!.view, finished: exchange.history.finishedOrders(id), trades: exchange.history.trades(id) };
  }

  /** Every disagreement after a step, as readable lines (empty: all agree). */
  check(step: string): string[] {
    const { view, finished, trades } = this.history();
    const rows: Row[] = [];
    const problems: string[] = [];
    for (const lens of this.lenses) {
      const truth = truthIn(lens, view, finished, trades, this.events, this.units);
      const { model } = lens.stream;
      const pushed = this.pushedTruth.get(lens.label);
      const hidden = hiddenOrders(lens.dialect, this.events);
      rows.push(...compareModel(lens.label, model, truth, CARRIES[lens.dialect], this.covered(lens.dialect), {
        expected: (key, field, fields) => {
          const asPushed = kindOf(key) === 'position' && !model.touched.has(key)
            && (AS_OF_LAST_PUSH[lens.dialect].includes(field) || (field === 'markPrice' && fields.get('qty') === '0'));
          return asPushed ? pushed?.get(key)?.get(field) : fields.get(field);
        },
        required: (key) => !(key.startsWith('order:') && hidden.has(key.slice('order:'.length))),
      }));
      problems.push(...this.sequences(lens, truth).map((p) => `${lens.label} ${p}`));
      // Nothing twice, nothing missing: the messages the step's events of this market call for (delivery.ts).
      const { expected, actual } = lens.stream.delivery(eventsIn(lens, this.events.slice(this.stepEvents)));
      if (JSON.stringify(expected) !== JSON.stringify(actual)) problems.push(`${lens.label} delivered ${JSON.stringify(actual)}, the step's events call for ${JSON.stringify(expected)}`);
      this.remember(lens, truth);
    }
    return [...problems, ...disagreements(rows)].map((p) => `[${this.label}] after "${step}": ${p}`);
  }

  /** Order status sequences, fills (each once), funding and deliveries of one lens. */
  private sequences(lens: Lens, truth: Truth): string[] {
    const problems: string[] = [];
    const { model } = lens.stream;
    const events = eventsIn(lens, this.events);
    const log = expectedOrderLog(lens.dialect, events, this.units);
    for (const id of new Set([...log.keys(), ...model.orderLog.keys()])) {
      const want = log.get(id) ?? [];
      const got = model.orderLog.get(id) ?? [];
      if (JSON.stringify(want) !== JSON.stringify(got)) problems.push(`order ${id} status sequence ${JSON.stringify(got)}, engine ${JSON.stringify(want)}`);
    }
    const rows = model.fillRows;
    if (CARRIES[lens.dialect].fill.length > 0 && new Set(rows).size !== rows.length) problems.push(`pushed a fill twice: ${JSON.stringify(rows)}`);
    if (CARRIES[lens.dialect].fill.length > 0 && JSON.stringify([...rows].sort()) !== JSON.stringify([...truth.fills].sort())) problems.push(`pushed fills ${JSON.stringify(rows)}, the engine made ${JSON.stringify(truth.fills)}`);
    const fundings = expectedFundings(lens.dialect, events, this.units, amountText);
    if (JSON.stringify(fundings) !== JSON.stringify(model.fundings)) problems.push(`funding ${JSON.stringify(model.fundings)}, engine ${JSON.stringify(fundings)}`);
    // Only Bybit tells a delivery apart (its CreateBySettle execution, execType Settle / Delivery); the
    // others show the closed position and the balance, compared above.
    const deliveries = lens.dialect === 'bybit' ? truth.deliveries : [];
    if (JSON.stringify(deliveries) !== JSON.stringify(model.deliveries)) problems.push(`deliveries ${JSON.stringify(model.deliveries)}, engine ${JSON.stringify(deliveries)}`);
    // Nothing in this scenario calls for a risk marker: only Bybit's delivery executions (no order id).
    // (KuCoin's change reasons are not compared here; UTA has markers for WARN notices only.)
    const markers = lens.dialect === 'kucoin' ? [] : model.markers;
    const wanted = lens.dialect !== 'bybit' ? [] : events.flatMap((e) => (e.type === 'delivery'
      ? [`execution ${this.units.get(e.symbol)!.inverse === null ? 'Delivery' : 'Settle'} CreateBySettle orderId=`] : []));
    if (JSON.stringify(markers) !== JSON.stringify(wanted)) problems.push(`markers ${JSON.stringify(markers)}, the events call for ${JSON.stringify(wanted)}`);
    for (const inconsistency of model.inconsistencies.splice(0)) problems.push(`contradicts itself: ${inconsistency}`);
    return problems;
  }

  private remember(lens: Lens, truth: Truth): void {
    const pushed = this.pushedTruth.get(lens.label) ?? new Map<string, Fields<TruthValue>>();
    this.pushedTruth.set(lens.label, pushed);
    const { model } = lens.stream;
    for (const key of model.touched) {
      const fields = truth.entities.get(key);
      if (kindOf(key) === 'position' && fields !== undefined) pushed.set(key, fields);
    }
    model.touched.clear();
  }

  private covered(name: string): Set<string> {
    const covered = this.coverage.get(name) ?? new Set<string>();
    this.coverage.set(name, covered);
    return covered;
  }

  /**
   * The account read through each market's REST snapshot (wallets and positions) against the engine:
   * XT balance/list + position/list on both hosts, Binance /fapi/v2 and /dapi/v1 account +
   * positionRisk, Bybit wallet-balance + position/list (linear and inverse), KuCoin account-overview
   * (USDT, XBT) + position. `doors` sign at the root, `coinDoors` under XT's /dapi host.
   */
  async checkRest(step: string, doors: FrontDoors, coinDoors: FrontDoors): Promise<string[]> {
    const s = scopes(this.units);
    const seq = this.server.exchange.engine.account(this.account.accountId)!.seq;
    const symbols = [...this.units.values()];
    const snapshots: { label: string; name: RestName; scope: Scope; model: Model }[] = [
      { label: 'xt-rest', name: 'xt-rest', scope: s.linear, model: await xtRestModel(doors, this.ctx, seq) },
      { label: 'xt-rest /dapi', name: 'xt-rest', scope: s.coin, model: await xtRestModel(coinDoors, this.ctx, seq) },
      { label: 'binance-rest /fapi', name: 'binance-rest', scope: s.linear, model: await binanceRestModel(doors, this.ctx, this.units, 'fapi') },
      { label: 'binance-rest /dapi', name: 'binance-rest', scope: s.coin, model: await binanceRestModel(doors, this.ctx, this.units, 'dapi') },
      { label: 'bybit-rest', name: 'bybit-rest', scope: s.all, model: await bybitRestModel(doors, this.ctx, symbols) },
      { label: 'kucoin-rest', name: 'kucoin-rest', scope: s.kucoin, model: await kucoinRestModel(doors, this.ctx, symbols.filter((u) => s.kucoin.symbol(u.symbol)), seq) },
    ];
    const { view, finished, trades } = this.history();
    const rows: Row[] = [];
    for (const { label, name, scope, model } of snapshots) {
      const truth = truthIn(scope, view, finished, trades, this.events, this.units);
      rows.push(...compareModel(label, model, truth, REST_CARRIES[name], this.covered(name), {
        expected: (_key, field, fields) => fields.get(field),
        // KuCoin's account overview is asked for the settle assets only.
        required: (key) => !key.startsWith('wallet:') || restListsWallet(name, key.slice('wallet:'.length), this.units),
      }));
    }
    return disagreements(rows).map((p) => `[${this.label}] REST after "${step}": ${p}`);
  }

  close(): void {
    for (const lens of this.lenses) lens.stream.close();
  }
}
