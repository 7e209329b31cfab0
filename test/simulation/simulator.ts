/**
 * The whole-service deterministic simulation (TigerBeetle-style; docs/testing.md, "Whole-service
 * simulation"). One seed drives everything through one PRNG: the command stream (the property
 * tests' generator, test/property/generator.ts, plus funding, index and insurance commands), the
 * clients (one per account, over the four dialects), the time (hand-moved, with jumps forward and
 * back) and the faults. The real service runs in this process — the real Exchange, journal,
 * snapshots, recovery and resume paths — over a simulated disk (sim-disk.ts), below HTTP and
 * WebSocket: commands go to Exchange.execute as the dialects' front doors send them, and streams
 * subscribe and resume through the service API every dialect's stream uses.
 *
 * A step: time moves; connections drop or expire; clients reconnect and resume; a handful of
 * commands go in at once (one group commit), maybe with a snapshot; the disk may fail operations,
 * or the process may crash at any disk operation. A crash (or a journal that could not be repaired)
 * throws the service away and recovers a new one from what the disk kept, through the real
 * recovery code; commands that were never acknowledged are retried, as a client would.
 *
 * After every step: the service's cmdSeq and state hash equal the uninterrupted run's (reference.ts),
 * which also checked every command and its events as they were applied or replayed; money is
 * conserved (wallets + fees + insurance fund − open entry value = deposits − withdrawals, and those
 * are exactly what was accepted); every client read every seq once, in order, each the event the
 * uninterrupted run emitted; a caught-up client's picture of its account agrees with the engine.
 * After every recovery: nothing acknowledged was lost.
 */
import type { Applied, EngineOptions } from '../../src/engine/engine.js';
import type { Command } from '../../src/engine/types.js';
import type { SymbolConfig } from '../../src/engine/symbol.js';
import { DEFAULT_LIMITS } from '../../src/gateway/limits.js';
import { encodeJson } from '../../src/persistence/codec.js';
import { ReplayBudget } from '../../src/persistence/replay-budget.js';
import type { DurableStore } from '../../src/persistence/store.js';
import type { Clock } from '../../src/service/clock.js';
import { openDurableExchange } from '../../src/service/durable-exchange.js';
import { NotDurableError } from '../../src/service/errors.js';
import type { CommandInput, Exchange } from '../../src/service/exchange.js';
import { ListenKeys } from '../../src/service/listen-keys.js';
import { CommandGenerator, scenarioFor } from '../property/generator.js';
import { ManualTime } from '../support/manual-time.js';
import { rng, type Rng } from '../support/rng.js';
import { DIALECTS, Encoders, StreamClient, type Service, type Sink } from './clients.js';
import { Reference } from './reference.js';
import { SimDisk, type DiskBugs } from './sim-disk.js';

/** Bugs a test plants to prove the simulator catches them (never set by `npm run sim`). */
export interface PlantedBugs extends DiskBugs {
  /** The stream drops one event (the 20th pushed to any client). */
  dropEvent?: boolean;
}

export interface SimOptions {
  seed: number;
  steps: number;
  bugs?: PlantedBugs;
  /** Overrides of the per-seed chances (tests force crashes, or run without faults). */
  profile?: Partial<Profile>;
  /** Called with the uninterrupted run when a seed fails (to reproduce the failure outside the simulator). */
  onFailure?: (reference: Reference) => void;
}

export interface SimResult {
  seed: number;
  /** Steps completed without a failure. */
  steps: number;
  commands: number;
  failure: { step: number; message: string } | null;
  /** Faults injected and notable events, by kind. */
  counts: Map<string, number>;
  /** Frames encoded per dialect. */
  frames: Map<string, number>;
  /** Commands applied per type, accepted and refused (what the run covered). */
  outcomes: Map<string, { accepted: number; refused: number }>;
  /** Events by notable reason (funding fees, liquidations, ADL, auto-add margin). */
  eventKinds: Map<string, number>;
}

const DATA_DIR = '/sim/data';
const START_TIME = 1_700_000_000_000;
const HOUR = 3_600_000;
/** A small replay window and small journal segments: resumes reach the journal, segments rotate and get pruned. */
const REPLAY_WINDOW = 64;
const SEGMENT_BYTES = 16 * 1024;
/** Listen keys expire after this long: clock jumps forward make them expire. */
const LISTEN_KEY_TTL_MS = 2 * HOUR;
/** The event loop turns one phase of a step may take before the service counts as hung. */
const MAX_TURNS = 20_000;

/** A command sent and not yet applied (its outcome decides whether it is retried). */
interface InFlight {
  input: CommandInput;
  json: string;
  state: 'pending' | 'acked' | 'failed';
}

/** Chances per step, drawn once per seed so seeds differ in character (quiet, flaky, crashy). */
export interface Profile {
  diskFaultRate: number;
  crash: number;
  snapshot: number;
  drop: number;
  jump: number;
  reconnect: number;
  restart: number;
}

class Failure extends Error {}

export async function simulate(options: SimOptions): Promise<SimResult> {
  const sim = new Simulation(options);
  return sim.run();
}

class Simulation {
  private readonly r: Rng;
  private readonly generator: CommandGenerator;
  private readonly engineOptions: EngineOptions;
  /** The engine options besides the symbols. */
  private readonly settings: Omit<EngineOptions, 'symbols'>;
  private readonly reference: Reference;
  private readonly time = new ManualTime(START_TIME);
  /** Backward clock jumps: the service's clock is the hand-moved time plus this (never below zero). */
  private skew = 0;
  private readonly clock: Clock = { now: () => Math.max(0, this.time.now() + this.skew) };
  private disk: SimDisk;
  private readonly profile: Profile;
  private readonly counts = new Map<string, number>();
  private readonly clients: StreamClient[] = [];
  private readonly pending: CommandInput[] = [];
  private inflight: InFlight[] = [];
  private maxAcked = 0;
  private commands = 0;
  private failure: string | null = null;
  private step = 0;
  private pushed = 0;
  /** The current service incarnation. */
  private service!: Service & { store: DurableStore<Exchange>; encoders: Encoders };
  private readonly listenKeys = new ListenKeys({ ttlMs: LISTEN_KEY_TTL_MS, maxLivePerAccount: 64, requests: { requests: 1_000, intervalMs: 1_000 } });
  private readonly frames = new Map<string, number>();

  constructor(private readonly options: SimOptions) {
    this.r = rng(options.seed);
    const scenario = scenarioFor(options.seed);
    this.generator = new CommandGenerator(scenario);
    this.settings = { ...scenario.engineOptions };
    this.engineOptions = { symbols: scenario.symbols, ...this.settings };
    this.reference = new Reference(this.engineOptions);
    this.disk = new SimDisk(this.r, options.bugs ?? {}, new Map());
    const r = this.r;
    this.profile = {
      diskFaultRate: r.pick([0, 0, 0.005, 0.02, 0.05]),
      crash: r.pick([0.01, 0.03, 0.08]),
      snapshot: r.pick([0.02, 0.08, 0.2]),
      drop: r.pick([0.01, 0.05]),
      jump: r.pick([0.005, 0.02]),
      reconnect: r.pick([0.3, 0.8]),
      restart: 0.004,
      ...options.profile,
    };
    this.disk.faults = { rate: this.profile.diskFaultRate, paths: ['/journal/', '/snapshots/'] };
  }

  private readonly sink: Sink = {
    count: (kind, n = 1) => this.count(kind, n),
    fail: (message) => this.fail(message),
    dropEvent: () => this.options.bugs?.dropEvent === true && ++this.pushed === 20,
  };

  private count(kind: string, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  private fail(message: string): void {
    this.failure ??= message;
  }

  private check(condition: boolean, message: () => string): void {
    if (!condition) this.fail(message());
    this.stopIfFailed();
  }

  /** Ends the run once anything (a client, the reference, a command's outcome) reported a failure. */
  private stopIfFailed(): void {
    if (this.failure !== null) throw new Failure(this.failure);
  }

  async run(): Promise<SimResult> {
    let completed = 0;
    try {
      await this.boot();
      for (this.step = 1; this.step <= this.options.steps; this.step++) {
        await this.oneStep();
        this.checkInvariants();
        completed = this.step;
      }
    } catch (error) {
      if (!(error instanceof Failure)) this.fail(`the simulator itself threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
    for (const [kind, n] of this.disk.injected) this.count(`disk: ${kind}`, n);
    if (this.failure !== null) this.options.onFailure?.(this.reference);
    return {
      seed: this.options.seed, steps: completed, commands: this.commands,
      failure: this.failure === null ? null : { step: this.step, message: this.failure },
      counts: this.counts, frames: this.frames, outcomes: this.reference.outcomes, eventKinds: this.reference.eventKinds,
    };
  }

  // -------------------------------------------------------------------------------------------
  // The service's life: boot, crash, recover

  private async boot(): Promise<void> {
    this.disk.faultsOn = false;
    let opened: Awaited<ReturnType<typeof openDurableExchange>> | undefined;
    void openDurableExchange({
      dataDir: DATA_DIR, symbols: this.engineOptions.symbols, clock: this.clock, ops: this.disk.fileOps,
      engineOptions: this.settings,
      service: { replayWindow: REPLAY_WINDOW }, snapshotMode: 'engine', keepSnapshots: 2, segmentBytes: SEGMENT_BYTES,
    }, (exchange) => exchange.appliedTaps.add((applied, command) => this.applied(applied, command)))
      .then((value) => { opened = value; }, (error: unknown) => this.fail(`recovery failed: ${error instanceof Error ? error.message : String(error)}\n  disk: ${this.disk.listing().join('\n        ')}`));
    await this.until(() => opened === undefined && this.failure === null, 'recovery');
    this.check(opened !== undefined, () => 'recovery did not finish');
    const { exchange, store, report } = opened!;
    if (report.torn !== null) this.count('recovery: torn journal tail cut');
    if (report.skippedSnapshots.length > 0) this.count('recovery: damaged snapshot skipped', report.skippedSnapshots.length);
    // Nothing acknowledged may be lost; the recovered state is the uninterrupted run's.
    this.check(exchange.engine.cmdSeq >= this.maxAcked, () => `recovered to command ${exchange.engine.cmdSeq}, but command ${this.maxAcked} had been acknowledged: acknowledged commands were lost`);
    this.check(exchange.engine.cmdSeq === this.reference.cmdSeq,
      () => `recovered to command ${exchange.engine.cmdSeq}, but ${this.reference.cmdSeq} had been applied and acknowledged before the crash`);
    this.check(exchange.engine.stateHash() === this.reference.engine.stateHash(), () => `the recovered state (command ${exchange.engine.cmdSeq}) differs from the uninterrupted run's`);
    this.service = {
      exchange, store, listenKeys: this.listenKeys, maxReplayEvents: DEFAULT_LIMITS.maxReplayEvents, reference: this.reference,
      replays: new ReplayBudget(store.history, DEFAULT_LIMITS, this.clock),
      encoders: new Encoders(exchange.engine.symbols() as SymbolConfig[], exchange),
    };
    // Commands in flight at the crash that recovery did not find were never acknowledged: retried.
    this.requeue();
    this.disk.faultsOn = true;
  }

  /**
   * A crash: the process and everything in memory is gone; the next one starts from what the disk
   * kept (maybe with a torn or corrupted unsynced tail).
   */
  private async crashAndRecover(why: string): Promise<void> {
    this.count(why);
    this.collectFrames();
    for (const client of this.clients) client.disconnect();
    const tear = this.r.chance(0.6);
    const corrupt = tear && this.r.chance(0.4);
    const image = this.disk.crashImage({ tear, corrupt });
    if (image.torn > 0) this.count('crash image: unsynced tail kept in part', image.torn);
    if (image.corrupted > 0) this.count('crash image: byte flipped in the unsynced tail', image.corrupted);
    this.disk = image.disk;
    await this.boot();
  }

  /** A clean stop (closing snapshot) and start. */
  private async restart(): Promise<void> {
    this.disk.faultsOn = false;
    let closed = false;
    void this.service.store.close().catch(() => undefined).finally(() => { closed = true; });
    const outcome = await this.until(() => !closed, 'a clean shutdown');
    await this.crashAndRecover(outcome === 'crashed' ? `crash during a clean shutdown (at a ${this.disk.crashedAt ?? '?'})` : 'clean restart');
  }

  /** The service applied a command: the reference checks it; a new one was the oldest in flight. */
  private applied(applied: Applied, command: Command): void {
    const seq = applied.cmdSeq;
    const isNew = seq > this.reference.cmdSeq;
    const problem = this.reference.observe(applied, command);
    if (problem !== null) this.fail(problem);
    if (!isNew) return;
    this.commands += 1;
    const sent = this.inflight.shift();
    const { time: _time, ...input } = command;
    void _time;
    if (sent === undefined) this.fail(`command ${seq} (${command.type}) was applied, but nobody sent it`);
    else if (sent.json !== encodeJson(input)) this.fail(`command ${seq} was applied as ${encodeJson(input)}, but the oldest in flight was ${sent.json}`);
  }

  /** Commands sent but not applied go back to the front of the queue, in order. */
  private requeue(): void {
    const left = this.inflight;
    this.inflight = [];
    for (const sent of left) this.check(sent.state !== 'acked', () => `command ${sent.json} was acknowledged but is not in the state`);
    this.pending.unshift(...left.map((sent) => sent.input));
  }

  /** Turns the event loop until `busy()` is false or the process crashed; a service that never settles is a failure. */
  private async until(busy: () => boolean, what: string): Promise<'done' | 'crashed'> {
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      if (!busy()) return 'done';
      if (this.disk.crashed) return 'crashed';
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.check(false, () => `${what} never finished (${MAX_TURNS} event-loop turns)`);
    return 'done';
  }

  // -------------------------------------------------------------------------------------------
  // One step

  private async oneStep(): Promise<void> {
    const r = this.r;
    const { profile } = this;
    await this.moveTime();

    // Connections drop, keys expire, slow clients fall behind.
    const now = this.clock.now();
    for (const client of this.clients) {
      if (!client.connected) continue;
      if (client.keyExpired(this.service, now)) {
        this.count('listen key expired: stream closed');
        client.disconnect();
      } else if (r.chance(profile.drop)) {
        this.count('connection dropped');
        client.disconnect();
      }
    }

    // Clients reconnect and resume, one at a time (a resume from the journal is asynchronous).
    for (const client of this.clients) {
      if (client.connected || !r.chance(profile.reconnect)) continue;
      let done = false;
      void client.connect(this.service).finally(() => { done = true; });
      if ((await this.until(() => !done && this.failure === null, 'a resume')) === 'crashed') return this.crashAndRecover('crash during a resume');
      this.stopIfFailed();
    }

    // A burst of commands (one group commit), maybe a snapshot, maybe a crash somewhere in them.
    if (r.chance(profile.crash)) {
      this.disk.scheduleCrash(r.int(1, 24));
      this.count('crash scheduled');
    }
    const burst = r.int(1, 6);
    const settled: (() => boolean)[] = [];
    let snapshotting = false;
    const snapshotAt = r.chance(profile.snapshot) ? r.int(0, burst) : -1;
    for (let i = 0; i <= burst; i++) {
      if (i === snapshotAt) {
        snapshotting = true;
        let done = false;
        this.count('snapshot started');
        void this.service.store.snapshot().then(
          () => this.count('snapshot written'),
          () => this.count('snapshot failed (disk fault)'),
        ).finally(() => { done = true; snapshotting = false; });
        settled.push(() => done);
      }
      if (i < burst) settled.push(this.send(this.nextCommand()));
    }
    const outcome = await this.until(() => settled.some((s) => !s()) && this.failure === null, 'a burst of commands');
    this.stopIfFailed();
    if (outcome === 'crashed') {
      const at = this.disk.crashedAt ?? '?';
      await this.crashAndRecover(snapshotting ? `crash mid-snapshot (at a ${at})` : `crash with commands in flight (at a ${at})`);
    } else if (this.service.store.journal.failed !== null) {
      await this.crashAndRecover('restart after an unrepairable journal');
    } else {
      this.requeue();
      if (r.chance(profile.restart)) await this.restart();
    }

    // New accounts get a client; everybody reads what arrived.
    this.addClients();
    for (const client of this.clients) this.check(client.read(this.reference, this.service.encoders), () => 'a stream check failed');
  }

  private async moveTime(): Promise<void> {
    const r = this.r;
    if (r.chance(this.profile.jump)) {
      if (r.chance(0.6)) {
        this.count('clock jump forward');
        await this.time.advance(r.int(HOUR / 6, 9 * HOUR));
      } else {
        this.count('clock jump back');
        this.skew -= r.int(1_000, 10 * 60_000);
      }
      return;
    }
    await this.time.advance(r.int(1, 3_000));
  }

  /** The next command: a retried one first, else the generator's, with funding and insurance now and then. */
  private nextCommand(): CommandInput {
    const retried = this.pending.shift();
    if (retried !== undefined) return retried;
    if (this.r.chance(0.04)) {
      const extra = this.extraCommand();
      if (extra !== null) return extra;
    }
    const { time: _time, ...input } = this.generator.next();
    void _time;
    return input as CommandInput;
  }

  /** Index prices, market shocks, funding settlements, risk samples and insurance deposits (the generator does not make them). */
  private extraCommand(): CommandInput | null {
    const r = this.r;
    const symbols = this.engineOptions.symbols;
    const symbol = r.pick(symbols).symbol;
    const kind = r.int(0, 4);
    if (kind <= 1) {
      const book = this.reference.engine.view().books.find((b) => b.symbol === symbol);
      const at = book?.markPrice ?? book?.lastPrice ?? null;
      if (at === null) return null;
      if (kind === 0) {
        const band = Math.max(1, Math.floor(at / 200));
        return { type: 'setIndexPrice', symbol, price: at + r.int(-band, band) };
      }
      // A market shock: the mark moves 8–30% at once, past what the generator's traders are safe
      // against, so positions are liquidated, the insurance fund pays or gains, and ADL may run.
      const move = Math.floor((at * r.int(8, 30)) / 100);
      return { type: 'setMarkPrice', symbol, price: r.chance(0.5) ? at + move : Math.max(1, at - move) };
    }
    switch (kind) {
      case 2: return { type: 'settleFunding', symbol };
      case 3: return { type: 'sampleRisk' };
      default: return { type: 'depositInsurance', asset: 'USDT', amount: BigInt(r.int(1, 1_000)) * 100_000_000n };
    }
  }

  /** Sends one command; returns whether its outcome is in. */
  private send(input: CommandInput): () => boolean {
    const sent: InFlight = { input, json: encodeJson(input), state: 'pending' };
    this.inflight.push(sent);
    this.service.exchange.execute(input).then((applied) => {
      sent.state = 'acked';
      this.maxAcked = Math.max(this.maxAcked, applied.cmdSeq);
    }, (error: unknown) => {
      sent.state = 'failed';
      if (error instanceof NotDurableError) this.count('command refused: not durable');
      else this.fail(`command ${sent.json} failed with an unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    });
    return () => sent.state !== 'pending';
  }

  private addClients(): void {
    const engine = this.service.exchange.engine;
    while (engine.account(this.clients.length + 1) !== undefined) {
      const accountId = this.clients.length + 1;
      const slow = this.r.chance(0.2);
      const client = new StreamClient(accountId, DIALECTS[(accountId - 1) % DIALECTS.length]!, slow ? this.r.int(1, 3) : this.r.int(8, 40), 60, this.sink);
      this.clients.push(client);
      if (slow) this.count('slow consumer');
    }
  }

  private collectFrames(): void {
    for (const [dialect, n] of this.service.encoders.frames) this.frames.set(dialect, (this.frames.get(dialect) ?? 0) + n);
    this.service.encoders.frames.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Invariants after every step

  private checkInvariants(): void {
    const { exchange } = this.service;
    const engine = exchange.engine;
    this.check(this.inflight.length === 0, () => `${this.inflight.length} commands still in flight after the step`);
    this.check(engine.cmdSeq === this.reference.cmdSeq, () => `the service is at command ${engine.cmdSeq}, the uninterrupted run at ${this.reference.cmdSeq}`);
    this.check(engine.stateHash() === this.reference.engine.stateHash(), () => `state hash at command ${engine.cmdSeq} differs from the uninterrupted run's`);
    this.checkMoney();
    for (const client of this.clients) this.check(client.checkCaughtUp(exchange), () => 'a caught-up client disagrees with the engine');
    if (this.step === this.options.steps) this.collectFrames();
  }

  /** Wallets + fees + insurance fund − open entry value = deposits − withdrawals (+ insurance deposits), per asset. */
  private checkMoney(): void {
    const engine = this.service.exchange.engine;
    const view = engine.view();
    const configs = new Map(engine.symbols().map((c) => [c.symbol, c]));
    const books = new Map<string, bigint>();
    const add = (asset: string, amount: bigint) => books.set(asset, (books.get(asset) ?? 0n) + amount);
    for (const account of view.accounts) {
      for (const wallet of account.wallets) add(wallet.asset, wallet.walletBalance);
      for (const position of account.positions) {
        const config = configs.get(position.symbol)!;
        add(config.settleAsset, -BigInt(Math.sign(position.qty)) * position.entryCost * config.valuePerTickContract);
      }
    }
    for (const fee of view.fees) add(fee.asset, fee.amount);
    for (const fund of view.risk.insuranceFund) add(fund.asset, fund.amount);
    const assets = new Set([...books.keys(), ...view.netDeposits.map((d) => d.asset), ...this.reference.moneyIn.keys(), ...this.reference.insuranceIn.keys()]);
    for (const asset of assets) {
      const net = view.netDeposits.find((d) => d.asset === asset)?.amount ?? 0n;
      const accepted = (this.reference.moneyIn.get(asset) ?? 0n) + (this.reference.insuranceIn.get(asset) ?? 0n);
      this.check(net === accepted, () => `${asset}: the engine counts ${net} deposited net, the accepted deposits, withdrawals and insurance deposits sum to ${accepted}`);
      const held = books.get(asset) ?? 0n;
      this.check(held === net, () => `${asset}: wallets + fees + insurance fund − open entry value = ${held}, but ${net} came in net: money was made or lost`);
    }
  }
}
