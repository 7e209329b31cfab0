/**
 * Seeded, reproducible random command streams for the property tests.
 *
 * The generator keeps its own ReferenceModel to look at the state (live orders, positions, book,
 * marks) so that it can aim: cross the book, close or flip positions, trip self-trade prevention,
 * amend live orders, flatten an account before switching modes. The stream for a seed is a pure
 * function of the seed (and of the reference model), whatever the engine does.
 *
 * Safety regime for the traders (no trader's position may lose more than its margin, so liquidations
 * happen only where the generator aims them, at the victims below):
 * - every account sets leverage 1..5 on both symbols before it trades (the default is 20);
 * - the mark random-walks within ±4% of a fixed centre per symbol; limit prices stay within ±4%
 *   of the reference price and within [0.96², 1.04²] × centre. Trades happen only at resting
 *   prices, so an entry and an exit differ by at most 0.16 × centre while the margin at leverage 5
 *   is at least 0.2 × 0.9216 × centre ≈ 0.184 × centre, which also leaves room for the fees.
 *   (±5% / ±5% would allow a 0.2 × centre loss against 0.18 × centre of margin.)
 * - Prices outside the band are generated only to be rejected.
 * - Conditional orders (see conditionalCommand) are the traders' only, with limit prices inside the
 *   absolute safe range; what they place at trigger goes through placeOrder like any other order.
 *
 * Liquidations and funding (the reference model models both):
 * - victims (see victim()) trade one symbol at leverage 40–100 with barely enough margin, on the side
 *   the mark has room to move against, then the mark moves until they are liquidatable;
 * - every mark tick goes through tick(): when it would liquidate someone, the book must hold what
 *   the full liquidations take within the band (else a liquidity provider quotes first), and the
 *   insurance fund (funded at the start) covers any shortfall, so no ADL and no partial liquidation
 *   (victims stay in the first tier) is ever needed — the reference model does not model those;
 * - settleFunding on every symbol now and then (EDGE_USDT has a negative rate: shorts pay, and an
 *   interval of 4 h, so the rate is rounded half away from zero), plus refused settlements.
 *
 * Inverse and delivery streams (generateCommands(seed, count, true), see KindsPlan): the same mix
 * over the linear perpetuals and the inverse and delivery demo symbols, with BTC wallets, index
 * prices and a crossed delivery; looked at through an engine, since the model trades linear symbols
 * only. The linear streams are unchanged by them (the kinds-only draws happen only in kinds streams).
 */
import type {
  Command, MarginMode, OrderType, PlaceConditional, PlaceOrder, PositionSide, Side, StpMode, TimeInForce, TpslLeg, TriggerDirection, TriggerSource,
} from '../../src/engine/types.js';
import type { AccountView, BookView, StateView } from '../../src/engine/view.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { BTC_USDT, ETH_USDT, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { Engine } from '../../src/engine/engine.js';
import { ReferenceModel } from '../reference/model.js';
import { RS, ceilDiv, inverseValueOf, readSymbolRules, type SymbolRules } from '../reference/symbol-rules.js';

// ---------------------------------------------------------------------------------------------
// PRNG

/** mulberry32: a tiny 32-bit PRNG; plenty for test data and fully reproducible. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks a key with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: what a seed configures

export const SYMBOLS: readonly SymbolSpec[] = [BTC_USDT, ETH_USDT];

/**
 * A synthetic third symbol with edge-case parameters, added in every third seed: maxLeverage 10
 * (so the default leverage is 10, not 20), minQty 2, a zero maker fee, a 3% band, a large K
 * (100,000 per contract-tick), a second maintenance tier, a position limit that ordinary
 * accounts reach, and a negative funding rate.
 */
export const EDGE_USDT: SymbolSpec = {
  symbol: 'edge_usdt',
  baseAsset: 'EDGE',
  quoteAsset: 'USDT',
  settleAsset: 'USDT',
  contractType: 'PERPETUAL',
  underlyingType: 'U_BASED',
  tickSize: '0.0001',
  contractSize: '10',
  minQty: 2,
  maxQty: 5000,
  makerFeeRate: '0',
  takerFeeRate: '0.0007',
  maxLeverage: 10,
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 10 },
    { notionalFloor: '20000', maintenanceMarginRate: '0.02', maxLeverage: 10 },
  ],
  priceBandRate: '0.03',
  maxPriceTicks: 1_000_000,
  maxPositionQty: 20_000,
  // Funding with a negative rate (shorts pay longs) over a 4-hour interval: F = round(−0.00012345 × 4/8) = −0.00006173.
  pricing: { interestRate: '-0.00012345', fundingIntervalMinutes: 240 },
};

/** Fixed centre price (ticks) the mark walks around: 60,000.0 USDT and 3,000.00 USDT. */
const CENTRE: Record<string, number> = {
  btc_usdt: 600_000, eth_usdt: 300_000, edge_usdt: 5_000, btc_usd: 600_000, btc_usdt270326: 600_000, btc_usd270326: 600_000,
};
/** Price grid step (ticks) so that orders share levels: 0.05% of the centre. */
const GRID: Record<string, number> = { btc_usdt: 300, eth_usdt: 150, edge_usdt: 3, btc_usd: 300, btc_usdt270326: 300, btc_usd270326: 300 };
/** 1 BTC in amount units (the inverse symbols' wallet). */
const BTC = 100_000_000n;
const WALK = 0.04;
const UNIT = 100_000_000n; // 1 USDT in amount units
/** Share of the random mix that is a conditional-order command (drawn from its own PRNG). */
const CONDITIONAL_RATE = 0.1;
/** Largest position of the stress account (see stress()). */
const STRESS_MAX = 6;
/** Victims per seed (see victim()); each is liquidated, refunded and liquidated again. */
const VICTIMS = 2;
/** The insurance fund deposited at the start: covers any shortfall of the victims' liquidations. */
const INSURANCE = 1_000_000n * UNIT;

export interface Scenario {
  seed: number;
  accounts: number;
  symbols: readonly SymbolSpec[];
  engineOptions: { maxOpenOrdersPerAccount?: number; clientOrderIdWindow?: number; maxConditionalOrdersPerAccount?: number };
  /** Inverse and delivery streams (see kindsScenarioFor); null for the linear streams the reference model checks. */
  kinds: KindsPlan | null;
}

/**
 * An inverse-and-delivery stream: the linear perpetuals plus btc_usd (inverse perpetual),
 * btc_usdt270326 (linear quarterly) and btc_usd270326 (inverse quarterly). The reference model does
 * not model inverse or delivery contracts, so such a stream's generator looks at the state through an
 * engine of its own (the stream is then a pure function of the seed and of the engine's rules) and the
 * tests check it by invariants, replay and snapshot hashes, not against the model.
 *
 * `cross`: the stream crosses MARCH_2027_DELIVERY. Time starts 50 minutes before it; after command
 * `windowAt` it jumps into the 30-minute averaging window, after `deliverAt` to the delivery time or
 * just past it (orders on the delivery symbols are refused SYMBOL_NOT_TRADING from then on), and
 * SETTLE_AFTER commands later both delivery symbols are settled (and once more: refused). Without
 * `cross` the stream ends well before the delivery time.
 */
export interface KindsPlan {
  cross: { windowAt: number; deliverAt: number } | null;
}

/** Commands between the delivery time and the settlement (refused orders while "being settled"). */
const SETTLE_AFTER = 6;
const DELIVERY_SYMBOLS = INVERSE_AND_DELIVERY_DEMO_SYMBOLS.filter((s) => s.contractType === 'DELIVERY').map((s) => s.symbol);

/**
 * Every fifth seed runs with tight limits so that TOO_MANY_OPEN_ORDERS, TOO_MANY_CONDITIONAL_ORDERS
 * and the client order id window are exercised; every third seed lists the synthetic EDGE_USDT as well.
 */
export function scenarioFor(seed: number): Scenario {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const tight = seed % 5 === 4;
  return {
    seed,
    accounts: rng.int(8, 20),
    symbols: seed % 3 === 0 ? [...SYMBOLS, EDGE_USDT] : SYMBOLS,
    engineOptions: tight ? { maxOpenOrdersPerAccount: 6, clientOrderIdWindow: 5, maxConditionalOrdersPerAccount: 4 } : {},
    kinds: null,
  };
}

/**
 * The inverse-and-delivery stream of a seed (see KindsPlan): odd seeds cross the delivery time
 * (early enough that the smoke size, 400 commands, settles); every fifth seed has the tight limits.
 */
export function kindsScenarioFor(seed: number): Scenario {
  const rng = new Rng(seed ^ 0x1b873593);
  const tight = seed % 5 === 4;
  const windowAt = rng.int(120, 220);
  return {
    seed,
    accounts: rng.int(8, 16),
    symbols: [...SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS],
    engineOptions: tight ? { maxOpenOrdersPerAccount: 6, clientOrderIdWindow: 5, maxConditionalOrdersPerAccount: 4 } : {},
    kinds: { cross: seed % 2 === 1 ? { windowAt, deliverAt: windowAt + rng.int(60, 120) } : null },
  };
}

/** The full command list of a seed: its linear stream, or (`kinds`) its inverse-and-delivery stream. */
export function generateCommands(seed: number, count: number, kinds = false): { scenario: Scenario; commands: Command[] } {
  const gen = new CommandGenerator(kinds ? kindsScenarioFor(seed) : scenarioFor(seed));
  const commands: Command[] = [];
  for (let i = 0; i < count; i++) commands.push(gen.next());
  return { scenario: gen.scenario, commands };
}

// ---------------------------------------------------------------------------------------------
// Generator

/**
 * rich / poor: ordinary traders (poor ones run out of margin); whale: maximum-size orders up to the
 * position limit; stress: see CommandGenerator.stress(); victim: see victim(); provider: a rich
 * account (leverage 5) that quotes the liquidity a liquidation needs (see tick()).
 */
type Profile = 'rich' | 'poor' | 'whale' | 'stress' | 'victim' | 'provider';
/** A scripted step, built when it is due so that it sees the state of that moment. */
type Step = (view: StateView) => Command | null;

const abs = (n: number): number => (n < 0 ? -n : n);

export class CommandGenerator {
  readonly scenario: Scenario;
  private readonly rng: Rng;
  /** Conditional-order commands draw from their own PRNG (see conditionalCommand). */
  private readonly condRng: Rng;
  /** What the generator looks at: the reference model (linear streams) or, for inverse and delivery streams, an engine. */
  private readonly model: ReferenceModel | null;
  private readonly engine: Engine | null;
  private view: StateView;
  private time = 1_700_000_000_000;
  /** Delivery symbols settled so far (kinds streams). */
  private readonly settled = new Set<string>();
  private readonly profiles = new Map<number, Profile>();
  private readonly clientIds = new Map<number, string[]>();
  private clientCounter = 0;
  private readonly script: Step[] = [];
  /** Mark walk state per symbol; null until the symbol's mark is first set. */
  private readonly marks = new Map<string, number | null>();
  /** The one symbol each victim trades, and its leverage there. */
  private readonly victims = new Map<number, { symbol: string; leverage: number }>();
  private readonly rules: Map<string, SymbolRules>;
  private emitted = 0;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.rng = new Rng(scenario.seed);
    this.condRng = new Rng(scenario.seed ^ 0x2c1b3c6d);
    if (scenario.kinds === null) {
      this.model = new ReferenceModel({ symbols: this.scenario.symbols, ...scenario.engineOptions });
      this.engine = null;
      this.view = this.model.view();
    } else {
      this.model = null;
      this.engine = new Engine({ symbols: [...this.scenario.symbols], ...scenario.engineOptions });
      this.view = this.engine.view();
      // A crossing stream starts 50 minutes before the delivery; the others a day before (2000
      // commands take at most 2000 s), so they never reach it.
      this.time = MARCH_2027_DELIVERY - (scenario.kinds.cross !== null ? 50 * 60_000 : 24 * 3_600_000) - this.rng.int(0, 60_000);
    }
    this.rules = new Map(this.scenario.symbols.map((s) => [s.symbol, readSymbolRules(s)]));
    for (const s of this.scenario.symbols) this.marks.set(s.symbol, null);
    // Setup: accounts, money, leverage (never trade at the default 20), some hedge / isolated accounts.
    for (let i = 1; i <= scenario.accounts; i++) {
      const profile: Profile = i === 1 ? 'whale' : i === 2 ? 'stress' : this.rng.chance(0.25) ? 'poor' : 'rich';
      this.queueNewAccount(profile);
    }
    this.queueNewAccount('provider');
    this.script.push(() => ({ type: 'depositInsurance', time: 0, asset: 'USDT', amount: INSURANCE }));
    if (scenario.kinds !== null) this.script.push(() => ({ type: 'depositInsurance', time: 0, asset: 'BTC', amount: 20n * BTC }));
    for (let i = 0; i < VICTIMS; i++) this.queueVictim();
  }

  next(): Command {
    this.crossDelivery();
    const cmd = this.choose();
    this.time += this.rng.int(1, 1000);
    const stamped = { ...cmd, time: this.time } as Command;
    if (this.model !== null) {
      this.model.apply(stamped);
      this.view = this.model.view();
    } else {
      this.engine!.apply(stamped);
      this.view = this.engine!.view();
    }
    if (stamped.type === 'settleDelivery' && DELIVERY_SYMBOLS.includes(stamped.symbol) && this.engine!.prices(stamped.symbol, this.time)?.delivery?.settledPrice != null) {
      this.settled.add(stamped.symbol);
    }
    this.emitted += 1;
    return stamped;
  }

  /**
   * Kinds streams that cross the delivery (KindsPlan): time jumps into the averaging window, then to
   * the delivery time; just before it each delivery symbol gets an open position and a resting order
   * if it has none (so that the settlement closes and expires something), and SETTLE_AFTER commands
   * after it both delivery symbols are settled, then one again (refused: already settled).
   */
  private crossDelivery(): void {
    const cross = this.scenario.kinds?.cross ?? null;
    if (cross === null) return;
    if (this.emitted === cross.windowAt) this.time = Math.max(this.time, MARCH_2027_DELIVERY - this.rng.int(10, 25) * 60_000);
    if (this.emitted === cross.deliverAt - 8) for (const symbol of DELIVERY_SYMBOLS) this.queueDeliveryExposure(symbol);
    if (this.emitted === cross.deliverAt) this.time = Math.max(this.time, MARCH_2027_DELIVERY - this.rng.int(0, 800));
    if (this.emitted === cross.deliverAt + SETTLE_AFTER) {
      const order = this.rng.chance(0.5) ? DELIVERY_SYMBOLS : [...DELIVERY_SYMBOLS].reverse();
      for (const symbol of order) this.script.push(() => ({ type: 'settleDelivery', time: 0, symbol }));
      this.script.push(() => ({ type: 'settleDelivery', time: 0, symbol: this.rng.pick(DELIVERY_SYMBOLS) }));
    }
  }

  /** Scripted before the delivery: a trade between two traders and a resting order on `symbol`, unless it has both already. */
  private queueDeliveryExposure(symbol: string): void {
    this.script.push((view) => {
      const traders = this.traders().filter((a) => this.profiles.get(a.accountId) === 'rich');
      if (traders.length < 2 || view.accounts.some((a) => a.positions.some((p) => p.symbol === symbol && p.qty !== 0))) return null;
      const maker = traders[0]!;
      this.script.unshift(() => this.order(traders[1]!, symbol, {
        side: 'BUY', orderType: 'LIMIT', timeInForce: 'IOC', price: this.ref(symbol), qty: 3, reduceOnly: false,
        positionSide: traders[1]!.positionMode === 'HEDGE' ? 'LONG' : 'BOTH', clientOrderId: undefined, stpMode: undefined,
      }));
      return this.order(maker, symbol, {
        side: 'SELL', orderType: 'LIMIT', timeInForce: 'GTC', price: this.ref(symbol), qty: 3, reduceOnly: false,
        positionSide: maker.positionMode === 'HEDGE' ? 'SHORT' : 'BOTH', clientOrderId: undefined, stpMode: undefined,
      });
    });
    this.script.push((view) => {
      const traders = this.traders().filter((a) => this.profiles.get(a.accountId) === 'rich');
      const acc = traders[traders.length - 1];
      if (acc === undefined || view.accounts.some((a) => a.orders.some((o) => o.symbol === symbol))) return null;
      const { lo } = this.safeRange(symbol);
      return this.order(acc, symbol, {
        side: 'BUY', orderType: 'LIMIT', timeInForce: 'GTC', price: lo, qty: 2, reduceOnly: false,
        positionSide: acc.positionMode === 'HEDGE' ? 'LONG' : 'BOTH', clientOrderId: undefined, stpMode: undefined,
      });
    });
  }

  private choose(): Command {
    // Setup and scripts run first; a scripted step that no longer applies returns null.
    while (this.script.length > 0) {
      const step = this.script.shift()!;
      const cmd = step(this.view);
      if (cmd) return cmd;
    }
    for (;;) {
      const cmd = this.randomCommand();
      if (cmd) return cmd;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Accounts

  private queueNewAccount(profile: Profile): void {
    const id = this.view.nextAccountId + this.pendingAccounts();
    this.profiles.set(id, profile);
    this.script.push(() => ({ type: 'createAccount', time: 0 }));
    const amount = profile === 'whale' ? 200_000_000n * UNIT : profile === 'poor' ? BigInt(this.rng.int(200, 900)) * UNIT : BigInt(this.rng.int(50_000, 300_000)) * UNIT;
    if (profile === 'stress') return; // keeps the defaults (leverage 20, cross, one-way); funds itself
    if (this.scenario.kinds !== null) {
      // The inverse symbols margin in BTC: 1 BTC holds about 3,000 contracts of 100 USD at leverage 5.
      const btc = profile === 'whale' || profile === 'provider' ? 5_000n * BTC : profile === 'poor' ? BigInt(this.rng.int(200_000, 2_000_000)) : BigInt(this.rng.int(50, 500)) * (BTC / 100n);
      this.script.push(() => ({ type: 'deposit', time: 0, accountId: id, asset: 'BTC', amount: btc }));
    }
    if (profile === 'provider') {
      this.script.push(() => ({ type: 'deposit', time: 0, accountId: id, asset: 'USDT', amount: 100_000_000n * UNIT }));
      for (const s of this.scenario.symbols) this.script.push(() => ({ type: 'setLeverage', time: 0, accountId: id, symbol: s.symbol, leverage: 5 }));
      return;
    }
    this.script.push(() => ({ type: 'deposit', time: 0, accountId: id, asset: 'USDT', amount }));
    for (const s of this.scenario.symbols) {
      const leverage = profile === 'whale' ? 5 : profile === 'poor' ? this.rng.int(1, 3) : this.rng.int(1, 5);
      this.script.push(() => ({ type: 'setLeverage', time: 0, accountId: id, symbol: s.symbol, leverage }));
      if (this.rng.chance(0.3)) this.script.push(() => ({ type: 'setMarginMode', time: 0, accountId: id, symbol: s.symbol, marginMode: 'ISOLATED' }));
    }
    if (this.rng.chance(0.3)) this.script.push(() => ({ type: 'setPositionMode', time: 0, accountId: id, positionMode: 'HEDGE' }));
  }

  /**
   * A victim: one symbol (btc or eth) at leverage 40–100, cross or isolated, one-way or hedge. It
   * trades only through victim(), never in the random mix.
   */
  private queueVictim(): void {
    const id = this.view.nextAccountId + this.pendingAccounts();
    this.profiles.set(id, 'victim');
    // Kinds streams: the inverse perpetual (liquidated without aim, see liquidationTick).
    const symbol = this.scenario.kinds !== null ? 'btc_usd' : this.rng.pick(['btc_usdt', 'eth_usdt'] as const);
    const leverage = symbol === 'eth_usdt' ? this.rng.int(40, 75) : this.rng.int(50, 100);
    this.victims.set(id, { symbol, leverage });
    this.script.push(() => ({ type: 'createAccount', time: 0 }));
    this.script.push(() => ({ type: 'setLeverage', time: 0, accountId: id, symbol, leverage }));
    if (this.rng.chance(0.4)) this.script.push(() => ({ type: 'setMarginMode', time: 0, accountId: id, symbol, marginMode: 'ISOLATED' }));
    if (this.rng.chance(0.3)) this.script.push(() => ({ type: 'setPositionMode', time: 0, accountId: id, positionMode: 'HEDGE' }));
  }

  private pendingAccounts(): number {
    return [...this.profiles.keys()].filter((id) => id >= this.view.nextAccountId).length;
  }

  /** Accounts allowed to trade: leverage explicitly set to ≤ 5 on both symbols (never a victim or the provider). */
  private traders(): AccountView[] {
    return this.view.accounts.filter((a) => !['victim', 'provider'].includes(this.profiles.get(a.accountId)!) && this.scenario.symbols.every((s) => {
      const setting = a.settings.find((x) => x.symbol === s.symbol);
      return setting !== undefined && setting.leverage <= 5;
    }));
  }

  private pickTrader(): AccountView | null {
    const traders = this.traders();
    if (traders.length === 0) return null;
    // The whale trades rarely; everybody else evenly.
    const nonWhales = traders.filter((a) => this.profiles.get(a.accountId) !== 'whale');
    if (nonWhales.length === 0 || this.rng.chance(0.05)) return this.rng.pick(traders);
    return this.rng.pick(nonWhales);
  }

  // -------------------------------------------------------------------------------------------
  // The random mix

  private randomCommand(): Command | null {
    this.maybeStartMarks();
    if (this.condRng.chance(CONDITIONAL_RATE)) return this.conditionalCommand();
    const kind = this.rng.weighted({
      place: 46, close: 6, stress: 12, flip: 3, selfCross: 3, postOnly: 3, fok: 3,
      cancel: 9, cancelAll: 1.5, amend: 8, mark: 7,
      deposit: 1.5, withdraw: 2, leverage: 2, marginMode: 1.5, positionMode: 1, flatten: 0.8, isolated: 3,
      unknown: 0.8, newAccount: 0.2, whale: 4, squeeze: 3, feeBurn: 1.5, victim: 4, funding: 1.2,
      // Kinds streams only (a zero weight draws nothing: the linear streams stay as they were).
      index: this.scenario.kinds !== null ? 8 : 0, delivery: this.scenario.kinds !== null ? 0.6 : 0, coinFunding: this.scenario.kinds !== null ? 0.8 : 0,
    });
    switch (kind) {
      case 'place': return this.placeRandom();
      case 'close': return this.closePosition();
      case 'flip': return this.flipPosition();
      case 'selfCross': return this.selfCross();
      case 'postOnly': return this.postOnly();
      case 'fok': return this.fillOrKill();
      case 'cancel': return this.cancel();
      case 'cancelAll': return this.cancelAll();
      case 'amend': return this.amend();
      case 'mark': return this.markPrice();
      case 'deposit': return this.deposit();
      case 'withdraw': return this.withdraw();
      case 'leverage': return this.leverage();
      case 'marginMode': return this.marginMode();
      case 'positionMode': return this.positionMode();
      case 'flatten': return this.flatten();
      case 'isolated': return this.adjustIsolated();
      case 'unknown': return this.unknownTarget();
      case 'whale': return this.whaleOrder();
      case 'squeeze': return this.squeeze();
      case 'stress': return this.stress();
      case 'feeBurn': return this.feeBurn();
      case 'victim': return this.victim();
      case 'funding': return this.funding();
      case 'index': return this.indexPrice();
      case 'delivery': return this.refusedDelivery();
      // Funding paid in BTC (the random mix's funding spreads over all five symbols).
      case 'coinFunding': return { type: 'settleFunding', time: 0, symbol: 'btc_usd' };
      case 'newAccount':
        this.queueNewAccount(this.rng.chance(0.3) ? 'poor' : 'rich');
        return null;
    }
  }

  /** Marks start unset (so MARKET orders can meet NO_REFERENCE_PRICE and limits have no band), then appear. */
  private maybeStartMarks(): void {
    for (const s of this.scenario.symbols) {
      if (this.marks.get(s.symbol) === null && this.rng.chance(0.015)) {
        const centre = CENTRE[s.symbol]!;
        this.marks.set(s.symbol, centre + this.rng.int(-5, 5) * GRID[s.symbol]!);
        const price = this.marks.get(s.symbol)!;
        this.script.push(() => ({ type: 'setMarkPrice', time: 0, symbol: s.symbol, price }));
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Prices and quantities

  private book(symbol: string): BookView {
    return this.view.books.find((b) => b.symbol === symbol)!;
  }

  /** The engine's reference price (mark, else last trade), or the centre when there is none yet. */
  private ref(symbol: string): number {
    const b = this.book(symbol);
    return b.markPrice ?? b.lastPrice ?? CENTRE[symbol]!;
  }

  /** The safe price range (see the header): within ±4% of the reference and of centre × 1.04^±2. */
  private safeRange(symbol: string): { lo: number; hi: number } {
    const ref = this.ref(symbol);
    const centre = CENTRE[symbol]!;
    const lo = Math.max(Math.ceil(ref * (1 - WALK)), Math.ceil(centre * (1 - WALK) * (1 - WALK)));
    const hi = Math.min(Math.floor(ref * (1 + WALK)), Math.floor(centre * (1 + WALK) * (1 + WALK)));
    return { lo, hi };
  }

  private clampSafe(symbol: string, price: number): number {
    const { lo, hi } = this.safeRange(symbol);
    return Math.min(hi, Math.max(lo, price));
  }

  /** Snaps to the grid most of the time so that levels hold several orders. */
  private snap(symbol: string, price: number): number {
    const grid = GRID[symbol]!;
    const snapped = Math.round(price / grid) * grid;
    return this.rng.chance(0.9) ? snapped : snapped + this.rng.int(-grid + 1, grid - 1);
  }

  private limitPrice(symbol: string, side: Side): number {
    const b = this.book(symbol);
    const grid = GRID[symbol]!;
    const bestBid = b.bids[0]?.price ?? null;
    const bestAsk = b.asks[0]?.price ?? null;
    const sameBest = side === 'BUY' ? bestBid : bestAsk;
    const oppBest = side === 'BUY' ? bestAsk : bestBid;
    const dir = side === 'BUY' ? 1 : -1;
    const style = this.rng.weighted({ aggressive: 33, passive: 47, anywhere: 14, outside: 4, invalid: 2 });
    let price: number | undefined;
    switch (style) {
      case 'aggressive':
        // Through the opposite best by 0..4 grid steps: fills, partial fills and level sweeps.
        price = (oppBest ?? this.ref(symbol)) + dir * this.rng.int(0, 4) * grid;
        break;
      case 'passive':
        price = (sameBest ?? this.ref(symbol) - dir * grid) - dir * this.rng.int(0, 5) * grid;
        break;
      case 'anywhere': {
        const { lo, hi } = this.safeRange(symbol);
        price = this.rng.int(lo, hi);
        break;
      }
      case 'outside': {
        // Beyond the band on the side the band restricts: rejected with PRICE_OUTSIDE_BAND.
        const ref = b.markPrice ?? b.lastPrice;
        if (ref === null) break;
        return side === 'BUY' ? Math.floor(ref * 1.05) + this.rng.int(1, 50) : Math.ceil(ref * 0.95) - this.rng.int(1, 50);
      }
      case 'invalid':
        return this.rng.pick([0, -grid, 1.5, 100_000_001]);
    }
    price ??= this.ref(symbol);
    return this.clampSafe(symbol, this.snap(symbol, price));
  }

  private maxQty(symbol: string): number {
    return this.scenario.symbols.find((s) => s.symbol === symbol)!.maxQty;
  }

  private quantity(accountId: number, symbol: string): number {
    const maxQty = this.maxQty(symbol);
    if (this.profiles.get(accountId) === 'whale' && this.rng.chance(0.5)) return this.rng.int(Math.floor(maxQty / 5), maxQty);
    const bucket = this.rng.weighted({ small: 60, medium: 25, large: 12, invalid: 3 });
    switch (bucket) {
      case 'small': return this.rng.int(1, 10);
      case 'medium': return this.rng.int(11, 60);
      case 'large': return this.rng.int(61, 400);
      case 'invalid': return this.rng.pick([0, -3, 2.5, maxQty + 1]);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Orders

  private positionSideFor(acc: AccountView): PositionSide {
    if (acc.positionMode === 'ONE_WAY') return this.rng.chance(0.02) ? 'LONG' : 'BOTH';
    return this.rng.chance(0.02) ? 'BOTH' : this.rng.pick(['LONG', 'SHORT'] as const);
  }

  private clientOrderId(accountId: number): string | undefined {
    const recent = this.clientIds.get(accountId) ?? [];
    const roll = this.rng.weighted({ none: 50, fresh: 40, duplicate: 7, otherAccount: 1.5, invalid: 1.5, evicted: 1.5 });
    switch (roll) {
      case 'none': return undefined;
      case 'duplicate':
        // Only the last three ids: they are inside any window we configure (≥ 5).
        if (recent.length > 0) return this.rng.pick(recent.slice(-3));
        return undefined;
      case 'otherAccount': {
        const other = this.clientIds.get(this.rng.int(1, this.view.accounts.length));
        if (other && other.length > 0 && other !== recent) return this.rng.pick(other);
        return undefined;
      }
      case 'invalid': return this.rng.pick(['', 'has space', 'x'.repeat(37), 'bad/slash']);
      case 'evicted': {
        // An id older than the configured window: forgotten, so it places a new order. Only when
        // no live order still carries it (cancel by client id would be ambiguous otherwise).
        const window = this.scenario.engineOptions.clientOrderIdWindow ?? 1000;
        const id = recent[recent.length - window - 1 - this.rng.int(0, 2)];
        const live = this.view.accounts.find((a) => a.accountId === accountId)?.orders.some((o) => o.clientOrderId === id);
        return id !== undefined && !live ? id : undefined;
      }
      case 'fresh': {
        const id = `c${accountId}-${++this.clientCounter}`;
        recent.push(id);
        this.clientIds.set(accountId, recent);
        return id;
      }
    }
  }

  private stpMode(): StpMode | undefined {
    return this.rng.pick([undefined, 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const);
  }

  private order(acc: AccountView, symbol: string, fields: Partial<PlaceOrder>): PlaceOrder {
    const side = fields.side ?? this.rng.pick(['BUY', 'SELL'] as const);
    const orderType: OrderType = fields.orderType ?? 'LIMIT';
    return {
      type: 'placeOrder',
      time: 0,
      accountId: acc.accountId,
      symbol,
      side,
      positionSide: fields.positionSide ?? this.positionSideFor(acc),
      orderType,
      timeInForce: fields.timeInForce ?? 'GTC',
      price: fields.price ?? (orderType === 'MARKET' ? 0 : this.limitPrice(symbol, side)),
      qty: fields.qty ?? this.quantity(acc.accountId, symbol),
      reduceOnly: fields.reduceOnly ?? false,
      clientOrderId: 'clientOrderId' in fields ? fields.clientOrderId : this.clientOrderId(acc.accountId),
      stpMode: 'stpMode' in fields ? fields.stpMode : this.stpMode(),
    };
  }

  private placeRandom(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    const market = this.rng.chance(0.14);
    const timeInForce: TimeInForce = market
      ? this.rng.weighted({ IOC: 45, FOK: 45, GTC: 5, GTX: 5 })
      : this.rng.weighted({ GTC: 55, IOC: 17, FOK: 10, GTX: 18 });
    const reduceOnly = acc.positionMode === 'ONE_WAY' ? this.rng.chance(0.1) : this.rng.chance(0.02);
    return this.order(acc, symbol, { orderType: market ? 'MARKET' : 'LIMIT', timeInForce, reduceOnly });
  }

  /** The whale posts maximum-size passive orders until POSITION_LIMIT (rule 5) stops it. */
  private whaleOrder(): Command | null {
    const whale = this.traders().find((a) => this.profiles.get(a.accountId) === 'whale');
    if (!whale) return null;
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    const side = this.rng.pick(['BUY', 'SELL'] as const);
    const b = this.book(symbol);
    const same = side === 'BUY' ? b.bids[0]?.price : b.asks[0]?.price;
    const dir = side === 'BUY' ? 1 : -1;
    const price = this.clampSafe(symbol, (same ?? this.ref(symbol)) - dir * this.rng.int(1, 8) * GRID[symbol]!);
    return this.order(whale, symbol, { side, price, qty: this.rng.int(Math.floor(this.maxQty(symbol) / 2), this.maxQty(symbol)), timeInForce: 'GTC', positionSide: whale.positionMode === 'ONE_WAY' ? 'BOTH' : (side === 'BUY' ? 'LONG' : 'SHORT') });
  }

  /** Accounts with an open position on some symbol, with that position. */
  private openPositions(): { acc: AccountView; symbol: string; positionSide: PositionSide; qty: number }[] {
    const out: { acc: AccountView; symbol: string; positionSide: PositionSide; qty: number }[] = [];
    for (const acc of this.traders()) {
      for (const p of acc.positions) {
        if (p.qty !== 0) out.push({ acc, symbol: p.symbol, positionSide: p.positionSide, qty: p.qty });
      }
    }
    return out;
  }

  /** Reduce-only (one-way) or closing (hedge) orders: exact, partial and too-large sizes. */
  private closePosition(): Command | null {
    const open = this.openPositions();
    if (open.length === 0) return null;
    const { acc, symbol, positionSide, qty } = this.rng.pick(open);
    const side: Side = qty > 0 ? 'SELL' : 'BUY';
    const size = abs(qty);
    const closeQty = this.rng.weighted({ all: 45, part: 35, tooMuch: 20 }) === 'all'
      ? size : this.rng.chance(0.65) ? this.rng.int(1, size) : size + this.rng.int(1, 5);
    const market = this.rng.chance(0.4);
    return this.order(acc, symbol, {
      side,
      positionSide,
      orderType: market ? 'MARKET' : 'LIMIT',
      timeInForce: market ? this.rng.pick(['IOC', 'FOK'] as const) : this.rng.pick(['GTC', 'GTC', 'IOC', 'GTX'] as const),
      qty: closeQty,
      reduceOnly: acc.positionMode === 'ONE_WAY',
    });
  }

  /** One-way: an order larger than the position on the other side, so that it passes through zero. */
  private flipPosition(): Command | null {
    const open = this.openPositions().filter((p) => p.acc.positionMode === 'ONE_WAY');
    if (open.length === 0) return null;
    const { acc, symbol, qty } = this.rng.pick(open);
    const side: Side = qty > 0 ? 'SELL' : 'BUY';
    const book = this.book(symbol);
    const opp = side === 'BUY' ? book.asks[0]?.price : book.bids[0]?.price;
    const market = this.rng.chance(0.4) || opp === undefined;
    return this.order(acc, symbol, {
      side,
      positionSide: 'BOTH',
      orderType: market ? 'MARKET' : 'LIMIT',
      timeInForce: market ? 'IOC' : 'GTC',
      price: market ? 0 : this.clampSafe(symbol, opp! + (side === 'BUY' ? 2 : -2) * GRID[symbol]!),
      qty: abs(qty) + this.rng.int(1, 30),
    });
  }

  /**
   * One-way: an unrestricted order that closes the whole position although resting orders hold
   * its closing capacity. After the fill those orders lose their closeQty (reallocation): reduce-only
   * ones expire, the others need margin and, on a poor account, get cancelled for INSUFFICIENT_MARGIN.
   */
  private squeeze(): Command | null {
    const candidates = this.openPositions().filter(({ acc, symbol, qty }) => acc.positionMode === 'ONE_WAY'
      && acc.orders.some((o) => o.symbol === symbol && o.closeQty > 0 && (o.side === 'SELL') === (qty > 0)));
    if (candidates.length === 0) return null;
    const poor = candidates.filter((c) => this.profiles.get(c.acc.accountId) === 'poor');
    const { acc, symbol, qty } = this.rng.pick(poor.length > 0 && this.rng.chance(0.7) ? poor : candidates);
    const side: Side = qty > 0 ? 'SELL' : 'BUY';
    const market = this.rng.chance(0.6);
    const b = this.book(symbol);
    const opp = side === 'BUY' ? b.asks[0]?.price : b.bids[0]?.price;
    return this.order(acc, symbol, {
      side,
      positionSide: 'BOTH',
      orderType: market || opp === undefined ? 'MARKET' : 'LIMIT',
      timeInForce: 'IOC',
      price: market || opp === undefined ? 0 : this.clampSafe(symbol, opp + (side === 'BUY' ? 2 : -2) * GRID[symbol]!),
      qty: abs(qty),
      reduceOnly: false,
    });
  }

  /**
   * The stress account exercises reallocation step 2 (cancel for INSUFFICIENT_MARGIN), which the
   * safe regime never reaches: there a closing fill always releases more margin than it loses.
   * It keeps the default leverage 20 (5% margin), trades only eth_usdt, only long, only with IOC /
   * market orders of at most STRESS_MAX contracts: it buys when the reference is high, withdraws
   * what is left, and sells (reduce-only) when the reference is low, so a close can lose more than
   * the position's margin and leave available < 0 until orders are cancelled.
   * Two BUY anchors far below the market (the band does not restrict low bids; it keeps every SELL
   * above 0.95 × mark, so they never fill — which is why they wait for the mark to be set)
   * freeze more margin than the worst loss (6 × 0.16 × 30 USDT ≈ 29 USDT against ≈ 87 USDT), so
   * cancelling them newest first always restores available ≥ 0. It trades only while both anchors
   * exist; its position changes only through its own takers.
   */
  private stress(): Command | null {
    const acc = this.view.accounts.find((a) => this.profiles.get(a.accountId) === 'stress');
    if (!acc) return null;
    const symbol = 'eth_usdt';
    const centre = CENTRE[symbol]!;
    // The anchors are safe only under a band, i.e. once the mark is set (it never goes away):
    // without a reference price a limit SELL could be priced down onto them.
    if (this.book(symbol).markPrice === null) return null;
    const anchors = [
      { price: centre / 2, qty: 60, need: 46n * UNIT },
      { price: (centre * 2) / 5, qty: 60, need: 37n * UNIT },
    ];
    const available = this.usdt(acc);
    for (const anchor of anchors) {
      if (acc.orders.some((o) => o.side === 'BUY' && o.price === anchor.price)) continue;
      if (available < anchor.need + UNIT) {
        return { type: 'deposit', time: 0, accountId: acc.accountId, asset: 'USDT', amount: anchor.need + BigInt(this.rng.int(5, 25)) * UNIT - available };
      }
      return this.order(acc, symbol, { side: 'BUY', price: anchor.price, qty: anchor.qty, positionSide: 'BOTH', timeInForce: 'GTC', clientOrderId: undefined });
    }
    const ref = this.ref(symbol);
    const qty = acc.positions.find((p) => p.symbol === symbol)?.qty ?? 0;
    const taker = (side: Side, size: number, reduceOnly: boolean): PlaceOrder => this.order(acc, symbol, {
      side, qty: size, reduceOnly, positionSide: 'BOTH', orderType: 'MARKET', timeInForce: this.rng.chance(0.8) ? 'IOC' : 'FOK',
      clientOrderId: undefined,
    });
    if (qty === 0) {
      if (available < 12n * UNIT) return { type: 'deposit', time: 0, accountId: acc.accountId, asset: 'USDT', amount: BigInt(this.rng.int(10, 20)) * UNIT };
      return ref >= centre * 1.01 || this.rng.chance(0.15) ? taker('BUY', this.rng.int(1, STRESS_MAX), false) : null;
    }
    // Holding: keep almost nothing available, then close when the price is low (or now and then).
    if (available > UNIT) {
      return { type: 'withdraw', time: 0, accountId: acc.accountId, asset: 'USDT', amount: available - BigInt(this.rng.int(0, 100)) * (UNIT / 100n) };
    }
    return ref <= centre * 0.98 || this.rng.chance(0.08) ? taker('SELL', qty, true) : null;
  }

  /** An order against the account's own resting order: every STP mode. */
  private selfCross(): Command | null {
    const candidates = this.traders().flatMap((acc) => acc.orders.map((o) => ({ acc, o })));
    if (candidates.length === 0) return null;
    const { acc, o } = this.rng.pick(candidates);
    const side: Side = o.side === 'BUY' ? 'SELL' : 'BUY';
    // Cross its price, or a bit beyond, so the own order may sit behind other makers.
    const price = this.clampSafe(o.symbol, o.price + (side === 'BUY' ? 1 : -1) * this.rng.int(0, 2) * GRID[o.symbol]!);
    return this.order(acc, o.symbol, {
      side,
      price,
      timeInForce: this.rng.pick(['GTC', 'IOC', 'FOK'] as const),
      positionSide: acc.positionMode === 'ONE_WAY' ? 'BOTH' : this.rng.pick(['LONG', 'SHORT'] as const),
      stpMode: this.rng.pick(['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', undefined] as const),
    });
  }

  /** GTX at or through the opposite best (rejected) or just behind it (rests). */
  private postOnly(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    const side = this.rng.pick(['BUY', 'SELL'] as const);
    const b = this.book(symbol);
    const opp = side === 'BUY' ? b.asks[0]?.price : b.bids[0]?.price;
    if (opp === undefined) return null;
    const dir = side === 'BUY' ? 1 : -1;
    const price = this.clampSafe(symbol, opp + dir * this.rng.int(-1, 1) * (this.rng.chance(0.5) ? 1 : GRID[symbol]!));
    return this.order(acc, symbol, { side, price, timeInForce: 'GTX' });
  }

  /** FOK sized around the liquidity in reach: some fill, some expire. */
  private fillOrKill(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    const side = this.rng.pick(['BUY', 'SELL'] as const);
    const b = this.book(symbol);
    const levels = side === 'BUY' ? b.asks : b.bids;
    // Only levels inside the safe range (never the stress account's anchors).
    const { lo, hi } = this.safeRange(symbol);
    const reach = levels.filter((l) => l.price >= lo && l.price <= hi).slice(0, this.rng.int(1, 3));
    const last = reach[reach.length - 1];
    if (!last) return null;
    const orders = this.view.accounts.flatMap((a) => a.orders);
    const available = reach.flatMap((l) => l.orderIds).reduce((s, id) => {
      const o = orders.find((x) => x.orderId === id);
      return s + (o ? o.qty - o.executedQty : 0);
    }, 0);
    const market = this.rng.chance(0.25);
    return this.order(acc, symbol, {
      side,
      orderType: market ? 'MARKET' : 'LIMIT',
      timeInForce: 'FOK',
      price: market ? 0 : last.price,
      qty: Math.max(1, available + this.rng.int(-3, 3)),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Cancel and amend

  /**
   * Live orders that random cancels and amendments may touch: not the stress account's anchors,
   * and mostly not the whale's (its exposure has to build up to the position limit).
   */
  private liveOrders(): { acc: AccountView; o: AccountView['orders'][number] }[] {
    const skipWhale = this.rng.chance(0.85);
    return this.view.accounts.filter((acc) => {
      const profile = this.profiles.get(acc.accountId);
      return profile !== 'stress' && profile !== 'provider' && !(skipWhale && profile === 'whale');
    }).flatMap((acc) => acc.orders.map((o) => ({ acc, o })));
  }

  private cancel(): Command | null {
    const live = this.liveOrders();
    const roll = this.rng.weighted({ byId: 60, byClientId: 20, unknownId: 10, unknownClientId: 5, wrongSymbol: 5 });
    const acc = this.pickTrader();
    if (!acc) return null;
    if (roll === 'unknownId' || live.length === 0) {
      const orderId = this.rng.chance(0.5) ? this.view.nextOrderId + 10 : this.rng.int(1, Math.max(1, this.view.nextOrderId - 1));
      return { type: 'cancelOrder', time: 0, accountId: acc.accountId, symbol: this.rng.pick(this.scenario.symbols).symbol, orderId };
    }
    if (roll === 'unknownClientId') {
      return { type: 'cancelOrder', time: 0, accountId: acc.accountId, symbol: this.rng.pick(this.scenario.symbols).symbol, clientOrderId: 'nope-1' };
    }
    // Prefer accounts with many orders so the book does not grow without bound.
    const { acc: owner, o } = this.rng.pick(live);
    const symbol = roll === 'wrongSymbol' ? this.scenario.symbols.find((s) => s.symbol !== o.symbol)!.symbol : o.symbol;
    if (roll === 'byClientId' && o.clientOrderId !== null) {
      return { type: 'cancelOrder', time: 0, accountId: owner.accountId, symbol, clientOrderId: o.clientOrderId };
    }
    return { type: 'cancelOrder', time: 0, accountId: owner.accountId, symbol, orderId: o.orderId };
  }

  private cancelAll(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    return { type: 'cancelAll', time: 0, accountId: acc.accountId, symbol: this.rng.pick(this.scenario.symbols).symbol };
  }

  private amend(): Command | null {
    const live = this.liveOrders();
    if (live.length === 0) return null;
    const { acc, o } = this.rng.pick(live);
    const grid = GRID[o.symbol]!;
    const dir = o.side === 'BUY' ? 1 : -1;
    const ref = o.clientOrderId !== null && this.rng.chance(0.25) ? { clientOrderId: o.clientOrderId } : { orderId: o.orderId };
    const base = { type: 'amendOrder' as const, time: 0, accountId: acc.accountId, symbol: o.symbol, ...ref };
    const remaining = o.qty - o.executedQty;
    switch (this.rng.weighted({ price: 30, down: 20, up: 17, both: 12, same: 5, cross: 8, invalid: 5, outside: 3 })) {
      case 'price': return { ...base, price: this.clampSafe(o.symbol, o.price + this.rng.int(-3, 3) * grid) };
      case 'down': return remaining > 1 ? { ...base, qty: o.qty - this.rng.int(1, remaining - 1) } : { ...base, qty: o.qty };
      case 'up': return { ...base, qty: o.qty + this.rng.int(1, 20) };
      case 'both': return { ...base, qty: o.executedQty + this.rng.int(1, remaining + 10), price: this.clampSafe(o.symbol, o.price - dir * grid) };
      case 'same': return this.rng.chance(0.5) ? { ...base, price: o.price, qty: o.qty } : { ...base };
      case 'cross': {
        const b = this.book(o.symbol);
        const opp = o.side === 'BUY' ? b.asks[0]?.price : b.bids[0]?.price;
        if (opp === undefined) return null;
        return { ...base, price: this.clampSafe(o.symbol, opp + dir * this.rng.int(0, 2) * grid) };
      }
      case 'invalid': return { ...base, qty: this.rng.pick([o.executedQty, 0, -1, 1.5]) };
      case 'outside': {
        const b = this.book(o.symbol);
        const r = b.markPrice ?? b.lastPrice;
        if (r === null) return null;
        return { ...base, price: o.side === 'BUY' ? Math.floor(r * 1.05) + 10 : Math.ceil(r * 0.95) - 10 };
      }
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Account commands

  private markPrice(): Command | null {
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    const current = this.marks.get(symbol);
    if (current === null || current === undefined) return null;
    if (this.rng.chance(0.03)) return { type: 'setMarkPrice', time: 0, symbol, price: this.rng.pick([0, -1, 2.5]) };
    const centre = CENTRE[symbol]!;
    const lo = Math.ceil(centre * (1 - WALK));
    const hi = Math.floor(centre * (1 + WALK));
    // Mostly small steps; sometimes a jump anywhere in the ±4% corridor (the safety argument only
    // needs the corridor), which makes big realized losses for the stress account possible.
    const step = Math.round(centre * 0.003 * (this.rng.next() * 2 - 1));
    const next = this.rng.chance(0.12) ? this.rng.int(lo, hi) : Math.min(hi, Math.max(lo, current + step));
    return this.tick(symbol, next);
  }

  /** The symbol's price band around `reference` (rules: Formulas, price band). */
  private bandAround(symbol: string, reference: number): { low: number; high: number } {
    const b = this.rules.get(symbol)!.priceBandRate;
    const ref = BigInt(reference);
    return { high: Number((ref * (RS + b)) / RS), low: Math.max(1, Number(ceilDiv(ref * (RS - b), RS))) };
  }

  /** Remaining contracts on one side of the book within the band around `mark`. */
  private depthInBand(symbol: string, side: Side, mark: number): number {
    const band = this.bandAround(symbol, mark);
    const remaining = new Map(this.view.accounts.flatMap((a) => a.orders.map((o) => [o.orderId, o.qty - o.executedQty] as const)));
    const levels = side === 'BUY' ? this.book(symbol).bids : this.book(symbol).asks;
    let depth = 0;
    for (const level of levels) {
      if (side === 'BUY' ? level.price < band.low : level.price > band.high) break;
      for (const id of level.orderIds) depth += remaining.get(id) ?? 0;
    }
    return depth;
  }

  /**
   * Every mark tick goes through here. If it would liquidate someone, the book must hold within the
   * band what the full liquidations take (longs sell into bids, shorts buy from asks); if it does
   * not, the liquidity provider quotes first and the tick waits for a later turn. The insurance fund
   * covers any shortfall, so no liquidation here ever needs ADL.
   */
  private tick(symbol: string, price: number): Command | null {
    // Kinds streams have no victims and no model to aim with: their traders' safety regime is all (see kindsScenarioFor).
    const doomed = this.model?.liquidatableAt(symbol, price) ?? [];
    for (const long of [true, false]) {
      const need = doomed.filter((d) => (d.qty > 0) === long).reduce((sum, d) => sum + abs(d.qty), 0);
      if (need === 0) continue;
      const side: Side = long ? 'BUY' : 'SELL';
      const depth = this.depthInBand(symbol, side, price);
      if (depth < need) return this.providerQuote(symbol, side, need - depth + this.rng.int(0, 10), price);
    }
    this.marks.set(symbol, price);
    return { type: 'setMarkPrice', time: 0, symbol, price };
  }

  /** A resting quote of the provider on `side`, inside the band around the coming mark and not crossing. */
  private providerQuote(symbol: string, side: Side, qty: number, coming: number): Command | null {
    const provider = this.view.accounts.find((a) => this.profiles.get(a.accountId) === 'provider');
    if (!provider) return null;
    const b = this.book(symbol);
    const grid = GRID[symbol]!;
    const bandComing = this.bandAround(symbol, coming);
    const reference = b.markPrice ?? b.lastPrice;
    const bandNow = reference === null ? null : this.bandAround(symbol, reference);
    let price = this.clampAbsolute(symbol, Math.round(coming / grid) * grid);
    if (side === 'BUY') {
      if (b.asks[0]) price = Math.min(price, b.asks[0].price - 1);
      if (bandNow) price = Math.min(price, bandNow.high);
      if (price < bandComing.low) return null;
    } else {
      if (b.bids[0]) price = Math.max(price, b.bids[0].price + 1);
      if (bandNow) price = Math.max(price, bandNow.low);
      if (price > bandComing.high) return null;
    }
    return this.order(provider, symbol, { side, price, qty, timeInForce: 'GTC', positionSide: 'BOTH', reduceOnly: false, clientOrderId: undefined, stpMode: undefined });
  }

  /**
   * A victim's next step: fund exactly the margin a market order freezes (plus a sliver), open on
   * the side the mark has room to move against (long when the mark is at or above the centre), and
   * once it holds a position, move the mark (through tick()) just past where it is liquidatable.
   * After its liquidation it starts again.
   */
  private victim(): Command | null {
    const ids = [...this.victims.keys()].filter((id) => id < this.view.nextAccountId);
    if (ids.length === 0) return null;
    const id = this.rng.pick(ids);
    const { symbol, leverage } = this.victims.get(id)!;
    const acc = this.view.accounts.find((a) => a.accountId === id)!;
    const b = this.book(symbol);
    const mark = b.markPrice;
    if (mark === null) return null;
    const held = acc.positions.find((p) => p.symbol === symbol && p.qty !== 0);
    if (held) {
      // Now and then a resting closing order first (it needs no margin): the liquidation cancels it.
      if (acc.orders.length === 0 && this.rng.chance(0.35)) {
        const long = held.qty > 0;
        return this.order(acc, symbol, {
          side: long ? 'SELL' : 'BUY', positionSide: held.positionSide, qty: this.rng.int(1, abs(held.qty)), timeInForce: 'GTC',
          price: this.clampAbsolute(symbol, mark + (long ? 1 : -1) * this.rng.int(5, 20) * GRID[symbol]!),
          reduceOnly: held.positionSide === 'BOTH', clientOrderId: undefined, stpMode: undefined,
        });
      }
      return this.liquidationTick(id, symbol, held.qty > 0);
    }
    const side: Side = mark >= CENTRE[symbol]! ? 'BUY' : 'SELL';
    const qty = this.rng.int(1, 12);
    const band = this.bandAround(symbol, mark);
    if (this.depthInBand(symbol, side === 'BUY' ? 'SELL' : 'BUY', mark) < qty) {
      return this.providerQuote(symbol, side === 'BUY' ? 'SELL' : 'BUY', qty + this.rng.int(0, 10), mark);
    }
    // placeOrder rule 7: a market order freezes margin at its band price (a sell: at least the best bid).
    const rules = this.rules.get(symbol)!;
    const freeze = BigInt(side === 'BUY' ? band.high : Math.max(band.low, b.bids[0]?.price ?? 0));
    // Inverse (rules: Inverse contracts, frozen per contract): ceil(C / (p × L)) + ceil(C × taker / (p × RS)),
    // largest at the lowest price the order may freeze at.
    const c = inverseValueOf(rules.spec);
    const perContract = c === null
      ? ceilDiv(freeze * rules.k, BigInt(leverage)) + ceilDiv(freeze * rules.k * rules.takerFeeRate, RS)
      : ceilDiv(c, BigInt(band.low) * BigInt(leverage)) + ceilDiv(c * rules.takerFeeRate, BigInt(band.low) * RS);
    const need = BigInt(qty) * perContract;
    const available = acc.wallets.find((w) => w.asset === rules.settleAsset)?.availableBalance ?? 0n;
    if (available < need) {
      return { type: 'deposit', time: 0, accountId: id, asset: rules.settleAsset, amount: need - available + BigInt(this.rng.int(0, 20)) * (c === null ? UNIT / 100n : 1000n) };
    }
    return this.order(acc, symbol, {
      side, qty, orderType: 'MARKET', timeInForce: 'IOC', price: 0, reduceOnly: false, clientOrderId: undefined, stpMode: undefined,
      positionSide: acc.positionMode === 'HEDGE' ? (side === 'BUY' ? 'LONG' : 'SHORT') : 'BOTH',
    });
  }

  /**
   * The first grid step from the mark, against the victim's position and inside the corridor, at
   * which it is liquidatable (liquidatability only grows with the adverse move: binary search),
   * and sometimes a little further.
   */
  private liquidationTick(id: number, symbol: string, long: boolean): Command | null {
    const mark = this.book(symbol).markPrice!;
    const grid = GRID[symbol]!;
    const centre = CENTRE[symbol]!;
    const lo = Math.ceil(centre * (1 - WALK));
    const hi = Math.floor(centre * (1 + WALK));
    const dir = long ? -1 : 1;
    if (this.model === null) {
      // Kinds streams (no model to aim with): 1–3% against the victim; at leverage 50–100 that liquidates it,
      // through the book, the insurance fund or ADL, whichever the engine needs.
      return this.tick(symbol, Math.min(hi, Math.max(lo, Math.round(mark + dir * centre * this.rng.int(10, 30) / 1000))));
    }
    const at = (steps: number): number => mark + dir * steps * grid;
    const liquidates = (steps: number): boolean => this.model!.liquidatableAt(symbol, at(steps)).some((d) => d.accountId === id);
    let top = Math.floor((long ? mark - lo : hi - mark) / grid);
    if (top < 0 || !liquidates(top)) return null;
    let bottom = 0;
    while (top - bottom > 1) {
      const mid = (top + bottom) >> 1;
      if (liquidates(mid)) top = mid;
      else bottom = mid;
    }
    const price = Math.min(hi, Math.max(lo, at(top + this.rng.int(0, 2))));
    return this.tick(symbol, price);
  }

  /** Funding settlements on every symbol, and refused ones (a time already settled, in the future, an unknown symbol). */
  private funding(): Command | null {
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    const last = this.view.pricing.find((p) => p.symbol === symbol)?.lastFundingTime ?? null;
    switch (this.rng.weighted({ now: 80, explicit: 8, settled: 5, future: 4, unknown: 3 })) {
      case 'now': return { type: 'settleFunding', time: 0, symbol };
      case 'explicit': return { type: 'settleFunding', time: 0, symbol, fundingTime: this.time };
      case 'settled': return last === null ? null : { type: 'settleFunding', time: 0, symbol, fundingTime: last };
      case 'future': return { type: 'settleFunding', time: 0, symbol, fundingTime: this.time + 3_600_000 };
      case 'unknown': return { type: 'settleFunding', time: 0, symbol: 'doge_usdt' };
    }
    return null;
  }

  /**
   * Kinds streams: the index of the inverse and delivery symbols (what a delivery price averages),
   * walking within ±4% of the centre like the mark; now and then an invalid one (refused).
   */
  private indexPrice(): Command | null {
    const symbol = this.rng.pick(INVERSE_AND_DELIVERY_DEMO_SYMBOLS).symbol;
    if (this.rng.chance(0.03)) return { type: 'setIndexPrice', time: 0, symbol, price: this.rng.pick([0, -1, 2.5]) };
    const centre = CENTRE[symbol]!;
    const price = this.engine!.prices(symbol, this.time)?.indexPrice ?? centre;
    const next = Math.round(price + centre * 0.003 * (this.rng.next() * 2 - 1));
    return { type: 'setIndexPrice', time: 0, symbol, price: Math.min(Math.floor(centre * (1 + WALK)), Math.max(Math.ceil(centre * (1 - WALK)), next)) };
  }

  /** Kinds streams: settleDelivery that must be refused (before the delivery time, once settled, a perpetual, an unknown symbol). */
  private refusedDelivery(): Command | null {
    switch (this.rng.weighted({ delivery: 70, perpetual: 20, unknown: 10 })) {
      case 'delivery': {
        // Before the delivery time (refused), or once settled (refused); never in between: that is the script's settlement.
        const symbol = this.rng.pick(DELIVERY_SYMBOLS);
        return this.time + 1000 < MARCH_2027_DELIVERY || this.settled.has(symbol) ? { type: 'settleDelivery', time: 0, symbol } : null;
      }
      case 'perpetual': return { type: 'settleDelivery', time: 0, symbol: this.rng.pick(['btc_usd', 'btc_usdt']) };
      case 'unknown': return { type: 'settleDelivery', time: 0, symbol: 'btc_usd270925' };
    }
    return null;
  }

  private usdt(acc: AccountView): bigint {
    return acc.wallets.find((w) => w.asset === 'USDT')?.availableBalance ?? 0n;
  }

  private deposit(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    switch (this.rng.weighted({ usdt: 80, btc: 10, invalid: 10 })) {
      case 'usdt': return { type: 'deposit', time: 0, accountId: acc.accountId, asset: 'USDT', amount: BigInt(this.rng.int(100, 5000)) * UNIT };
      case 'btc': return { type: 'deposit', time: 0, accountId: acc.accountId, asset: 'BTC', amount: BigInt(this.rng.int(1, 1_000_000)) };
      case 'invalid': return { type: 'deposit', time: 0, accountId: acc.accountId, asset: 'USDT', amount: this.rng.pick([0n, -UNIT]) };
    }
    return null;
  }

  private withdraw(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const available = this.usdt(acc);
    switch (this.rng.weighted({ small: 45, all: 5, tooMuch: 25, btc: 10, invalid: 15 })) {
      case 'small': return available > 10n ? { type: 'withdraw', time: 0, accountId: acc.accountId, asset: 'USDT', amount: 1n + available / BigInt(this.rng.int(10, 100)) } : null;
      case 'all': return available > 0n ? { type: 'withdraw', time: 0, accountId: acc.accountId, asset: 'USDT', amount: available } : null;
      case 'tooMuch': return { type: 'withdraw', time: 0, accountId: acc.accountId, asset: 'USDT', amount: available + 1n };
      case 'btc': {
        const btc = acc.wallets.find((w) => w.asset === 'BTC')?.availableBalance ?? 0n;
        return { type: 'withdraw', time: 0, accountId: acc.accountId, asset: 'BTC', amount: btc > 1n ? btc / 2n : 1n };
      }
      case 'invalid': return { type: 'withdraw', time: 0, accountId: acc.accountId, asset: 'USDT', amount: this.rng.pick([0n, -5n]) };
    }
    return null;
  }

  /** Binance's BNB fee burn: switch it, price BNB, fund BNB (sometimes too little to pay a fee). */
  private feeBurn(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    switch (this.rng.weighted({ toggle: 50, price: 20, fund: 25, invalid: 5 })) {
      case 'toggle': return { type: 'setFeeBurn', time: 0, accountId: acc.accountId, feeBurn: this.rng.chance(0.7) };
      case 'price': return { type: 'setAssetPrice', time: 0, asset: 'BNB', quoteAsset: 'USDT', price: BigInt(this.rng.int(100, 60_000)) * (UNIT / 100n) };
      case 'fund': return { type: 'deposit', time: 0, accountId: acc.accountId, asset: 'BNB', amount: BigInt(this.rng.int(1, 200_000)) };
      case 'invalid': return this.rng.chance(0.5)
        ? { type: 'setAssetPrice', time: 0, asset: 'BNB', quoteAsset: this.rng.pick(['BNB', 'usdt']), price: UNIT }
        : { type: 'setAssetPrice', time: 0, asset: 'BNB', quoteAsset: 'USDT', price: this.rng.pick([0n, -UNIT]) };
    }
    return null;
  }

  private leverage(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    // Valid values stay ≤ 5 (the safety regime); invalid ones must be refused.
    const leverage = this.rng.chance(0.85) ? this.rng.int(1, 5) : this.rng.pick([0, -2, 2.5, 126, 101]);
    return { type: 'setLeverage', time: 0, accountId: acc.accountId, symbol, leverage };
  }

  private marginMode(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const marginMode: MarginMode = this.rng.pick(['CROSSED', 'ISOLATED'] as const);
    return { type: 'setMarginMode', time: 0, accountId: acc.accountId, symbol: this.rng.pick(this.scenario.symbols).symbol, marginMode };
  }

  private positionMode(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    return { type: 'setPositionMode', time: 0, accountId: acc.accountId, positionMode: this.rng.pick(['ONE_WAY', 'HEDGE'] as const) };
  }

  /**
   * Script: cancel everything, close every position with market orders, then switch the position
   * mode and/or a margin mode (succeeds only if the closes filled completely).
   */
  private flatten(): Command | null {
    const acc = this.pickTrader();
    if (!acc) return null;
    const id = acc.accountId;
    const closeAll: Step = (view) => {
      const a = view.accounts.find((x) => x.accountId === id)!;
      const p = a.positions.find((x) => x.qty !== 0);
      if (!p) return null;
      return {
        type: 'placeOrder', time: 0, accountId: id, symbol: p.symbol, side: p.qty > 0 ? 'SELL' : 'BUY', positionSide: p.positionSide,
        orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: abs(p.qty), reduceOnly: a.positionMode === 'ONE_WAY',
      };
    };
    for (const s of this.scenario.symbols) this.script.push(() => ({ type: 'cancelAll', time: 0, accountId: id, symbol: s.symbol }));
    for (let i = 0; i < 4; i++) this.script.push(closeAll);
    if (this.rng.chance(0.5)) {
      this.script.push((view) => {
        const a = view.accounts.find((x) => x.accountId === id)!;
        return { type: 'setPositionMode', time: 0, accountId: id, positionMode: a.positionMode === 'HEDGE' ? 'ONE_WAY' : 'HEDGE' };
      });
    }
    const symbol = this.rng.pick(this.scenario.symbols).symbol;
    this.script.push((view) => {
      const a = view.accounts.find((x) => x.accountId === id)!;
      const mode = a.settings.find((x) => x.symbol === symbol)?.marginMode ?? 'CROSSED';
      return { type: 'setMarginMode', time: 0, accountId: id, symbol, marginMode: mode === 'CROSSED' ? 'ISOLATED' : 'CROSSED' };
    });
    return null;
  }

  private adjustIsolated(): Command | null {
    const isolated = this.traders().flatMap((acc) => acc.positions
      .filter((p) => p.qty !== 0 && p.marginMode === 'ISOLATED').map((p) => ({ acc, p })));
    const roll = this.rng.weighted({ add: 45, remove: 40, tooMuch: 5, zero: 3, noPosition: 7 });
    if (isolated.length === 0 || roll === 'noPosition') {
      const acc = this.pickTrader();
      if (!acc) return null;
      return {
        type: 'adjustIsolatedMargin', time: 0, accountId: acc.accountId, symbol: this.rng.pick(this.scenario.symbols).symbol,
        positionSide: this.rng.pick(['BOTH', 'LONG', 'SHORT'] as const), amount: UNIT,
      };
    }
    const { acc, p } = this.rng.pick(isolated);
    const base = { type: 'adjustIsolatedMargin' as const, time: 0, accountId: acc.accountId, symbol: p.symbol, positionSide: p.positionSide };
    // The wallet of the position's settle asset (BTC for the inverse symbols; USDT for every linear one).
    const asset = this.scenario.symbols.find((s) => s.symbol === p.symbol)!.settleAsset;
    const available = acc.wallets.find((w) => w.asset === asset)?.availableBalance ?? 0n;
    switch (roll) {
      case 'add': return { ...base, amount: available > 4n ? 1n + available / BigInt(this.rng.int(4, 50)) : UNIT };
      case 'remove': return { ...base, amount: -(1n + p.margin / BigInt(this.rng.int(5, 40))) };
      case 'tooMuch': return { ...base, amount: this.rng.chance(0.5) ? available + 1n : -p.margin };
      case 'zero': return { ...base, amount: 0n };
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Conditional orders (rules: "Conditional orders"). Drawn from their own PRNG (condRng), at
  // CONDITIONAL_RATE of the random mix. Trigger sources are LAST and MARK only: the streams never
  // set an index. Safety: a conditional order's limit price lies in the absolute safe range
  // [0.96², 1.04²] × centre (the part of the header's argument that matters: trades happen at
  // resting prices, and every resting price stays in that range); market orders placed at trigger
  // trade at resting prices like any other. The stress account never gets conditional orders
  // (only traders do), so its position still changes only through its own takers.

  private conditionalCommand(): Command | null {
    switch (this.condRng.weighted({ plan: 30, trailing: 10, tpsl: 20, attach: 9, amend: 12, amendAttached: 5, cancel: 8, cancelAll: 2, invalid: 5 })) {
      case 'plan': return this.planOrder();
      case 'trailing': return this.trailingStop();
      case 'tpsl': return this.positionTpsl();
      case 'attach': return this.attachOrder();
      case 'amend': return this.amendConditional();
      case 'amendAttached': return this.amendAttached();
      case 'cancel': return this.cancelConditional();
      case 'cancelAll': return this.cancelAllConditionals();
      case 'invalid': return this.invalidConditional();
    }
  }

  /** The current price of a trigger source, or the reference (centre) when it has none yet. */
  private sourceNow(symbol: string, source: TriggerSource): number {
    const b = this.book(symbol);
    return (source === 'MARK' ? b.markPrice : b.lastPrice) ?? this.ref(symbol);
  }

  /** Limit prices of conditional orders: the range every resting price stays in (see above). */
  private clampAbsolute(symbol: string, price: number): number {
    const centre = CENTRE[symbol]!;
    const lo = Math.ceil(centre * (1 - WALK) * (1 - WALK));
    const hi = Math.floor(centre * (1 + WALK) * (1 + WALK));
    return Math.min(hi, Math.max(lo, price));
  }

  /**
   * A level 1..12 grid steps beyond `from` in `direction` (RISE: above) — so that it does not hold
   * yet; with probability `wrong` on the other side (it holds: refused as WOULD_TRIGGER_IMMEDIATELY).
   */
  private levelAway(symbol: string, from: number, direction: TriggerDirection, wrong = 0.04): number {
    const r = this.condRng;
    const sign = (direction === 'RISE' ? 1 : -1) * (r.chance(wrong) ? -1 : 1);
    return Math.max(1, from + sign * r.int(1, 12) * GRID[symbol]!);
  }

  /** A LIMIT price for the order placed at `trigger`: a little through it on the order's side. */
  private conditionalLimit(symbol: string, side: Side, trigger: number): number {
    const dir = side === 'BUY' ? 1 : -1;
    return this.clampAbsolute(symbol, Math.round(trigger / GRID[symbol]!) * GRID[symbol]! + dir * this.condRng.int(-2, 3) * GRID[symbol]!);
  }

  private conditionalSource(): TriggerSource {
    return this.condRng.chance(0.6) ? 'LAST' : 'MARK';
  }

  /** Mostly none; some fresh ids, a few retries of a waiting order's id (answered as a duplicate) or a live order's (refused). */
  private conditionalClientId(acc: AccountView): string | undefined {
    const r = this.condRng;
    switch (r.weighted({ none: 72, fresh: 22, waiting: 4, liveOrder: 2 })) {
      case 'none': return undefined;
      case 'fresh': return `k${acc.accountId}-${++this.clientCounter}`;
      case 'waiting': {
        const ids = acc.conditionals.flatMap((c) => (c.clientOrderId === null ? [] : [c.clientOrderId]));
        return ids.length > 0 ? r.pick(ids) : undefined;
      }
      case 'liveOrder': {
        const ids = acc.orders.flatMap((o) => (o.clientOrderId === null ? [] : [o.clientOrderId]));
        return ids.length > 0 ? r.pick(ids) : undefined;
      }
    }
    return undefined;
  }

  /** An open position of the account on the symbol, if any. */
  private openPosition(acc: AccountView, symbol: string): AccountView['positions'][number] | undefined {
    const open = acc.positions.filter((p) => p.symbol === symbol && p.qty !== 0);
    return open.length > 0 ? this.condRng.pick(open) : undefined;
  }

  /** PLAN orders: both sources, both directions, MARKET and LIMIT, some reduce-only, closePosition, expiring. */
  private planOrder(): Command | null {
    const r = this.condRng;
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = r.pick(this.scenario.symbols).symbol;
    const hedge = acc.positionMode === 'HEDGE';
    const triggerSource = this.conditionalSource();
    const triggerDirection: TriggerDirection = r.chance(0.5) ? 'RISE' : 'FALL';
    // KuCoin's stop orders (triggerIfHolding): created and fired at once when the condition holds;
    // most of them here are on the holding side.
    const triggerIfHolding = r.chance(0.06);
    const triggerPrice = this.levelAway(symbol, this.sourceNow(symbol, triggerSource), triggerDirection, triggerIfHolding ? 0.7 : 0.04);
    const closePosition = r.chance(0.12);
    const position = this.openPosition(acc, symbol);
    let side: Side = r.chance(0.5) ? 'BUY' : 'SELL';
    let positionSide: PositionSide = hedge ? r.pick(['LONG', 'SHORT'] as const) : 'BOTH';
    if (closePosition || (position && r.chance(0.4))) {
      // Against a position (closePosition: its closing side; else mostly that too).
      if (position && r.chance(0.85)) {
        side = position.qty > 0 ? 'SELL' : 'BUY';
        positionSide = position.positionSide;
      } else if (hedge) {
        side = positionSide === 'LONG' ? 'SELL' : 'BUY';
      }
    }
    const market = r.chance(0.5);
    const clientOrderId = this.conditionalClientId(acc);
    const price = market ? 0 : this.conditionalLimit(symbol, side, triggerPrice);
    const reduceOnly = !hedge && !closePosition && r.chance(0.25);
    // Some LIMIT plan orders that open carry TP/SL for the order they place (checked against its
    // limit price); hedge mode only, where every fill of an opening order leaves the position on its
    // side (see attachOrder: the engine arms them only if the first fill does).
    const opening = !closePosition && !reduceOnly && hedge && (side === 'BUY') === (positionSide === 'LONG');
    const attachTpsl = !market && opening && r.chance(0.12)
      ? { mode: r.chance(0.5) ? 'FULL' as const : 'PARTIAL' as const, takeProfit: this.tpslLeg(symbol, side === 'BUY', 'TAKE_PROFIT', price), stopLoss: this.tpslLeg(symbol, side === 'BUY', 'STOP_LOSS', price) }
      : undefined;
    return {
      type: 'placeConditional', time: 0, accountId: acc.accountId, symbol, kind: 'PLAN', side, positionSide, triggerSource, triggerPrice, triggerDirection,
      orderType: market ? 'MARKET' : 'LIMIT', price,
      timeInForce: market ? 'IOC' : r.weighted({ GTC: 70, IOC: 20, GTX: 10 }),
      qty: closePosition ? 0 : r.chance(0.85) ? r.int(1, 10) : r.int(11, 80),
      reduceOnly, closePosition,
      ...(attachTpsl !== undefined ? { attachTpsl } : {}),
      ...(triggerIfHolding ? { triggerIfHolding } : {}),
      ...(r.chance(0.15) ? { expireTime: this.time + r.int(1001, 30_000) } : {}),
      ...(clientOrderId !== undefined ? { clientOrderId } : {}),
      ...(r.chance(0.2) ? { stpMode: r.pick(['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const) } : {}),
    };
  }

  /** Trailing stops: callbackAmount or callbackRate, armed at once or at an activation price. */
  private trailingStop(): Command | null {
    const r = this.condRng;
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = r.pick(this.scenario.symbols).symbol;
    const hedge = acc.positionMode === 'HEDGE';
    const position = this.openPosition(acc, symbol);
    let side: Side = r.chance(0.5) ? 'BUY' : 'SELL';
    let positionSide: PositionSide = hedge ? r.pick(['LONG', 'SHORT'] as const) : 'BOTH';
    if (position && r.chance(0.75)) {
      side = position.qty > 0 ? 'SELL' : 'BUY';
      positionSide = position.positionSide;
    }
    const triggerSource = this.conditionalSource();
    const activationPrice = r.chance(0.4) ? this.activation(symbol, triggerSource, side) : undefined;
    const callback = r.chance(0.5) ? { callbackAmount: r.int(1, 8) * GRID[symbol]! } : { callbackRate: BigInt(r.int(50_000, 2_000_000)) };
    return {
      type: 'placeConditional', time: 0, accountId: acc.accountId, symbol, kind: 'TRAILING', side, positionSide, triggerSource,
      orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: position ? r.int(1, Math.min(10, abs(position.qty))) : r.int(1, 10),
      reduceOnly: !hedge && r.chance(0.6), closePosition: false, ...callback,
      ...(activationPrice !== undefined ? { activationPrice } : {}),
    };
  }

  /**
   * A trailing stop's activation price: a SELL arms when the price rises to it, a BUY when it falls
   * to it; from already reached to 8 grid steps away.
   */
  private activation(symbol: string, source: TriggerSource, side: Side): number {
    return Math.max(1, this.sourceNow(symbol, source) + (side === 'SELL' ? 1 : -1) * this.condRng.int(-1, 8) * GRID[symbol]!);
  }

  /** One TP/SL leg of a position: beyond the source's current price in the leg's direction; some LIMIT. */
  private tpslLeg(symbol: string, long: boolean, kind: 'TAKE_PROFIT' | 'STOP_LOSS', from?: number): TpslLeg {
    const r = this.condRng;
    const triggerSource = this.conditionalSource();
    const rise = (kind === 'TAKE_PROFIT') === long;
    const triggerPrice = this.levelAway(symbol, from ?? this.sourceNow(symbol, triggerSource), rise ? 'RISE' : 'FALL');
    if (!r.chance(0.25)) return { triggerPrice, triggerSource, orderType: 'MARKET' };
    return { triggerPrice, triggerSource, orderType: 'LIMIT', price: this.conditionalLimit(symbol, long ? 'SELL' : 'BUY', triggerPrice) };
  }

  /** setPositionTpsl on open positions: FULL (set, replace, cancel, trailing) and PARTIAL. */
  private positionTpsl(): Command | null {
    const r = this.condRng;
    const open = this.openPositions();
    if (open.length === 0 || r.chance(0.04)) {
      // A flat (or never opened) position: NO_POSITION.
      const acc = this.pickTrader();
      if (!acc) return null;
      const symbol = r.pick(this.scenario.symbols).symbol;
      if (acc.positions.some((p) => p.symbol === symbol && p.qty !== 0)) return null;
      return {
        type: 'setPositionTpsl', time: 0, accountId: acc.accountId, symbol, positionSide: acc.positionMode === 'HEDGE' ? 'LONG' : 'BOTH', mode: 'FULL',
        takeProfit: this.tpslLeg(symbol, true, 'TAKE_PROFIT'),
      };
    }
    const { acc, symbol, positionSide, qty } = r.pick(open);
    const long = qty > 0;
    const base = { type: 'setPositionTpsl' as const, time: 0, accountId: acc.accountId, symbol, positionSide };
    if (r.chance(0.4)) {
      const size = r.chance(0.95) ? r.int(1, abs(qty)) : abs(qty) + 1;
      const legs = r.weighted({ both: 70, tp: 15, sl: 15 });
      return {
        ...base, mode: 'PARTIAL', qty: size,
        ...(legs !== 'sl' ? { takeProfit: this.tpslLeg(symbol, long, 'TAKE_PROFIT') } : {}),
        ...(legs !== 'tp' ? { stopLoss: this.tpslLeg(symbol, long, 'STOP_LOSS') } : {}),
      };
    }
    const full = { ...base, mode: 'FULL' as const };
    const waiting = acc.conditionals.filter((c) => c.symbol === symbol && c.positionSide === positionSide && c.tpslMode === 'FULL');
    const leg = (kind: 'TAKE_PROFIT' | 'STOP_LOSS'): TpslLeg => this.tpslLeg(symbol, long, kind);
    // A waiting FULL trailing stop is often replaced (cancel + new, REPLACED).
    const trailingWaits = waiting.some((c) => c.kind === 'TRAILING');
    switch (r.weighted({ both: 35, tp: 14, sl: 14, trailing: trailingWaits ? 35 : 15, cancelTp: 6, cancelSl: 6, cancelTrailing: trailingWaits ? 8 : 4, same: 6 })) {
      case 'both': return { ...full, takeProfit: leg('TAKE_PROFIT'), stopLoss: leg('STOP_LOSS') };
      case 'tp': return { ...full, takeProfit: leg('TAKE_PROFIT') };
      case 'sl': return { ...full, stopLoss: leg('STOP_LOSS') };
      case 'trailing': {
        const triggerSource = this.conditionalSource();
        const activationPrice = r.chance(0.4) ? this.activation(symbol, triggerSource, long ? 'SELL' : 'BUY') : undefined;
        return { ...full, trailingStop: { distance: r.int(1, 8) * GRID[symbol]!, triggerSource, ...(activationPrice !== undefined ? { activationPrice } : {}) } };
      }
      case 'cancelTp': return { ...full, takeProfit: null };
      case 'cancelSl': return { ...full, stopLoss: null };
      case 'cancelTrailing': return { ...full, trailingStop: null };
      case 'same': {
        // The FULL take-profit as it stands: nothing changes (NO_CHANGE).
        const tp = waiting.find((c) => c.kind === 'TAKE_PROFIT');
        if (!tp || tp.triggerPrice === null) return null;
        return {
          ...full,
          takeProfit: { triggerPrice: tp.triggerPrice, triggerSource: tp.triggerSource, orderType: tp.orderType, ...(tp.orderType === 'LIMIT' ? { price: tp.price } : {}) },
        };
      }
    }
    return null;
  }

  /**
   * Opening orders with attached TP/SL (FULL or PARTIAL), resting or IOC, in both position modes and
   * on either side of a one-way position (an order against it reduces first and arms its legs only if
   * it flips the position); a few on reduce-only orders or with a leg that would trigger (refused).
   */
  private attachOrder(): Command | null {
    const r = this.condRng;
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = r.pick(this.scenario.symbols).symbol;
    const side: Side = r.chance(0.5) ? 'BUY' : 'SELL';
    const hedge = acc.positionMode === 'HEDGE';
    const b = this.book(symbol);
    const grid = GRID[symbol]!;
    const market = r.chance(0.15);
    let price = 0;
    if (!market) {
      const dir = side === 'BUY' ? 1 : -1;
      const opp = side === 'BUY' ? b.asks[0]?.price : b.bids[0]?.price;
      const same = side === 'BUY' ? b.bids[0]?.price : b.asks[0]?.price;
      price = r.chance(0.45)
        ? this.clampSafe(symbol, (opp ?? this.ref(symbol)) + dir * r.int(0, 2) * grid)
        : this.clampSafe(symbol, (same ?? this.ref(symbol) - dir * grid) - dir * r.int(0, 4) * grid);
    }
    const checkedAt = market ? b.lastPrice ?? b.markPrice : price;
    if (checkedAt === null) return null;
    const long = side === 'BUY';
    const legs = r.weighted({ both: 60, tp: 20, sl: 20 });
    const reduceOnly = !hedge && r.chance(0.04);
    return {
      type: 'placeOrder', time: 0, accountId: acc.accountId, symbol, side, positionSide: hedge ? (long ? 'LONG' : 'SHORT') : 'BOTH',
      orderType: market ? 'MARKET' : 'LIMIT', timeInForce: market ? 'IOC' : r.weighted({ GTC: 80, IOC: 20 }), price,
      qty: r.chance(0.85) ? r.int(1, 10) : r.int(11, 60), reduceOnly,
      attachTpsl: {
        mode: r.chance(0.5) ? 'FULL' : 'PARTIAL',
        ...(legs !== 'sl' ? { takeProfit: this.tpslLeg(symbol, long, 'TAKE_PROFIT', checkedAt) } : {}),
        ...(legs !== 'tp' ? { stopLoss: this.tpslLeg(symbol, long, 'STOP_LOSS', checkedAt) } : {}),
      },
    };
  }

  /**
   * Changes the TP/SL a resting opening order or a plan order will arm (amendOrder /
   * amendConditional `tpsl`): a leg replaced or removed, both, or TP/SL added to an order without
   * (hedge mode only, as attachOrder: in one-way mode attached orders stay IOC); some refused (a leg
   * on the wrong side of the price, a mode change, an order whose legs are armed already).
   */
  private amendAttached(): Command | null {
    const r = this.condRng;
    const hedgeTraders = this.traders().filter((acc) => acc.positionMode === 'HEDGE');
    const targets = [
      ...hedgeTraders.flatMap((acc) => acc.orders.filter((o) => o.attachTpsl !== null || r.chance(0.2)).map((o) => ({ acc, order: o, plan: undefined }))),
      ...hedgeTraders.flatMap((acc) => acc.conditionals.filter((c) => c.kind === 'PLAN' && (c.attachTpsl !== null || r.chance(0.2))).map((c) => ({ acc, order: undefined, plan: c }))),
    ];
    if (targets.length === 0) return null;
    const { acc, order, plan } = r.pick(targets);
    const current = (order ?? plan)!.attachTpsl;
    const symbol = (order ?? plan)!.symbol;
    const long = (order ?? plan)!.side === 'BUY';
    // Where its order opens: a limit price, a plan's market order at its trigger (the engine checks the legs against it).
    const basis = (order ?? plan)!.orderType === 'LIMIT' ? (order ?? plan)!.price : plan?.triggerPrice ?? this.sourceNow(symbol, 'LAST');
    const leg = (kind: 'TAKE_PROFIT' | 'STOP_LOSS') => this.tpslLeg(symbol, long, kind, basis);
    const wrongSide = (): TpslLeg => ({ triggerPrice: this.clampAbsolute(symbol, basis + (long ? -1 : 1) * GRID[symbol]!), triggerSource: 'LAST', orderType: 'MARKET' });
    const mode = current?.mode ?? (r.chance(0.5) ? 'FULL' as const : 'PARTIAL' as const);
    const tpsl = r.weighted({ tp: 25, sl: 25, both: 20, removeTp: 10, removeSl: 10, wrongSide: 5, modeChange: 5 });
    const change =
      tpsl === 'tp' ? { takeProfit: leg('TAKE_PROFIT') }
      : tpsl === 'sl' ? { stopLoss: leg('STOP_LOSS') }
      : tpsl === 'both' ? { takeProfit: leg('TAKE_PROFIT'), stopLoss: leg('STOP_LOSS') }
      : tpsl === 'removeTp' ? { takeProfit: null }
      : tpsl === 'removeSl' ? { stopLoss: null }
      : tpsl === 'wrongSide' ? { takeProfit: wrongSide() }
      : { mode: mode === 'FULL' ? 'PARTIAL' as const : 'FULL' as const, stopLoss: leg('STOP_LOSS') };
    const withMode = current === null && tpsl !== 'modeChange' ? { mode, ...change } : change;
    if (order !== undefined) {
      return { type: 'amendOrder', time: 0, accountId: acc.accountId, symbol, orderId: order.orderId, tpsl: withMode,
        ...(r.chance(0.2) ? { price: this.clampSafe(symbol, order.price + r.int(-2, 2) * GRID[symbol]!) } : {}) };
    }
    return { type: 'amendConditional', time: 0, accountId: acc.accountId, symbol, conditionalId: plan!.conditionalId, tpsl: withMode };
  }

  /** Waiting conditional orders of the traders. */
  private waitingConditionals(): { acc: AccountView; c: AccountView['conditionals'][number] }[] {
    return this.traders().flatMap((acc) => acc.conditionals.map((c) => ({ acc, c })));
  }

  private amendConditional(): Command | null {
    const r = this.condRng;
    const waiting = this.waitingConditionals();
    if (waiting.length === 0) return null;
    const { acc, c } = r.pick(waiting);
    const grid = GRID[c.symbol]!;
    const ref = c.clientOrderId !== null && r.chance(0.25) ? { clientOrderId: c.clientOrderId } : { conditionalId: c.conditionalId };
    const base = { type: 'amendConditional' as const, time: 0, accountId: acc.accountId, symbol: c.symbol, ...ref };
    const trailing = c.kind === 'TRAILING';
    const whole = c.closePosition || c.tpslMode === 'FULL';
    switch (r.weighted({ trigger: 35, source: 12, price: 14, qty: 15, same: 8, invalid: 8, wrongSymbol: 4 })) {
      case 'trigger':
        if (trailing) return null;
        return { ...base, triggerPrice: this.levelAway(c.symbol, this.sourceNow(c.symbol, c.triggerSource), c.triggerDirection, 0.06) };
      case 'source': {
        // Not for trailing stops: where an armed one's best price would come from is not specified.
        if (trailing) return null;
        return { ...base, triggerSource: c.triggerSource === 'LAST' ? 'MARK' : 'LAST' };
      }
      case 'price':
        if (c.orderType !== 'LIMIT') return null;
        return { ...base, price: this.clampAbsolute(c.symbol, c.price + r.int(-3, 3) * grid) };
      case 'qty': {
        if (whole) return null;
        if (c.tpslMode === 'PARTIAL') {
          const size = abs(acc.positions.find((p) => p.symbol === c.symbol && p.positionSide === c.positionSide)?.qty ?? 0);
          return size > 0 ? { ...base, qty: r.chance(0.9) ? r.int(1, size) : size + 1 } : null;
        }
        return { ...base, qty: r.int(1, 15) };
      }
      case 'same':
        return trailing ? { ...base, ...(whole ? {} : { qty: c.qty }) } : { ...base, triggerPrice: c.triggerPrice! };
      case 'invalid':
        return r.pick([
          { ...base, qty: whole ? 3 : 0 },
          { ...base, triggerPrice: trailing ? this.sourceNow(c.symbol, c.triggerSource) : 0 },
          { ...base, price: c.orderType === 'MARKET' ? this.sourceNow(c.symbol, c.triggerSource) : -1 },
        ]);
      case 'wrongSymbol':
        return { ...base, symbol: this.scenario.symbols.find((s) => s.symbol !== c.symbol)!.symbol };
    }
    return null;
  }

  private cancelConditional(): Command | null {
    const r = this.condRng;
    const waiting = this.waitingConditionals();
    const roll = r.weighted({ byId: 70, byClientId: 15, unknown: 10, wrongSymbol: 5 });
    if (waiting.length === 0 || roll === 'unknown') {
      const acc = this.pickTrader();
      if (!acc) return null;
      return { type: 'cancelConditional', time: 0, accountId: acc.accountId, symbol: r.pick(this.scenario.symbols).symbol, conditionalId: this.view.nextOrderId + r.int(0, 5) };
    }
    const { acc, c } = r.pick(waiting);
    const symbol = roll === 'wrongSymbol' ? this.scenario.symbols.find((s) => s.symbol !== c.symbol)!.symbol : c.symbol;
    if (roll === 'byClientId' && c.clientOrderId !== null) return { type: 'cancelConditional', time: 0, accountId: acc.accountId, symbol, clientOrderId: c.clientOrderId };
    return { type: 'cancelConditional', time: 0, accountId: acc.accountId, symbol, conditionalId: c.conditionalId };
  }

  private cancelAllConditionals(): Command | null {
    const r = this.condRng;
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = r.pick(this.scenario.symbols).symbol;
    const kinds = r.pick([['PLAN'], ['TAKE_PROFIT', 'STOP_LOSS'], ['TRAILING'], ['PLAN', 'TRAILING']] as const);
    switch (r.weighted({ symbol: 40, kinds: 30, both: 20, all: 10 })) {
      case 'symbol': return { type: 'cancelAllConditionals', time: 0, accountId: acc.accountId, symbol };
      case 'kinds': return { type: 'cancelAllConditionals', time: 0, accountId: acc.accountId, kinds };
      case 'both': return { type: 'cancelAllConditionals', time: 0, accountId: acc.accountId, symbol, kinds };
      case 'all': return { type: 'cancelAllConditionals', time: 0, accountId: acc.accountId };
    }
    return null;
  }

  /** Conditional commands that must be refused. */
  private invalidConditional(): Command | null {
    const r = this.condRng;
    const acc = this.pickTrader();
    if (!acc) return null;
    const symbol = r.pick(this.scenario.symbols).symbol;
    const now = this.sourceNow(symbol, 'LAST');
    const plan: PlaceConditional = {
      type: 'placeConditional', time: 0, accountId: acc.accountId, symbol, kind: 'PLAN', side: 'BUY', positionSide: acc.positionMode === 'HEDGE' ? 'LONG' : 'BOTH',
      triggerSource: 'LAST', triggerPrice: now + 10 * GRID[symbol]!, triggerDirection: 'RISE', orderType: 'MARKET', price: 0, timeInForce: 'IOC', qty: 1,
      reduceOnly: false, closePosition: false,
    };
    switch (r.int(0, 9)) {
      case 0: return { ...plan, accountId: this.view.nextAccountId + 50 };
      case 1: return { ...plan, symbol: 'doge_usdt' };
      case 2: return { ...plan, qty: 0 };
      case 3: return { ...plan, timeInForce: 'GTC' };
      case 4: return { ...plan, closePosition: true, qty: 2 };
      case 5: return { ...plan, expireTime: this.time - 1 };
      case 6: return { ...plan, triggerPrice: 0 };
      case 7: return { ...plan, kind: 'TRAILING', triggerPrice: undefined, triggerDirection: undefined, callbackAmount: 5, callbackRate: 1_000_000n };
      case 8: return { ...plan, positionSide: acc.positionMode === 'HEDGE' ? 'BOTH' : 'LONG' };
      default: return { type: 'cancelAllConditionals', time: 0, accountId: acc.accountId, kinds: ['STOP'] as unknown as ['PLAN'] };
    }
  }

  /** Unknown accounts and symbols on assorted commands. */
  private unknownTarget(): Command | null {
    const accountId = this.rng.chance(0.5) ? this.view.nextAccountId + 50 : 1;
    const symbol = accountId === 1 ? 'doge_usdt' : 'btc_usdt';
    switch (this.rng.int(0, 6)) {
      case 0: return { type: 'deposit', time: 0, accountId, asset: 'USDT', amount: UNIT };
      case 1: return { type: 'setLeverage', time: 0, accountId, symbol, leverage: 2 };
      case 2: return { type: 'cancelAll', time: 0, accountId, symbol };
      case 3: return { type: 'setMarkPrice', time: 0, symbol: 'doge_usdt', price: 100 };
      case 4: return { type: 'setPositionMode', time: 0, accountId: this.view.nextAccountId + 50, positionMode: 'HEDGE' };
      case 5: return { type: 'amendOrder', time: 0, accountId, symbol, orderId: 1, price: 10 };
      default: return {
        type: 'placeOrder', time: 0, accountId, symbol, side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC',
        price: CENTRE.btc_usdt!, qty: 1, reduceOnly: false,
      };
    }
  }
}
