/**
 * The built-in market simulator, so a newcomer sees live pushes at once: an index random walk per
 * symbol is fed to the engine (setIndexPrice: the engine computes the mark from it, the book and
 * the trades), market makers quote a ladder around the index plus a small wandering basis (so the
 * premium index and the funding rate move), takers trade against it. It drives the exchange
 * exactly like a client would (through commands), with its own accounts.
 */
import { parseAmount } from '../engine/fixed.js';
import type { SymbolConfig } from '../engine/symbol.js';
import type { Exchange } from '../service/exchange.js';

export interface SimulatorOptions {
  exchange: Exchange;
  /** Where a failed step is reported (default: nowhere). */
  log?: (message: string) => void;
  /** Starting index price per symbol, in ticks. */
  startPrices: ReadonlyMap<string, number>;
  tickMs?: number;
  makers?: number;
  takers?: number;
  /** Existing accounts that also trade as takers (the demo accounts, so watching them shows live pushes). */
  guestTakers?: readonly number[];
  /** Quotes per side per maker. */
  levels?: number;
  /** Random source (tests pass a seeded one). */
  random?: () => number;
}

/** What each simulator account is given of a settle asset: 10 M USDT, or 200 of a coin (BTC) for the inverse symbols. */
const fundingOf = (asset: string): bigint => parseAmount(asset === 'USDT' ? '10000000' : '200');

export class Simulator {
  private readonly exchange: Exchange;
  private readonly symbols: SymbolConfig[];
  private readonly index = new Map<string, number>();
  /** Where the makers centre their quotes relative to the index, as a fraction (±0.0006 at most). */
  private readonly basis = new Map<string, number>();
  private readonly random: () => number;
  private readonly makers: number[] = [];
  private readonly takers: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly options: SimulatorOptions) {
    this.exchange = options.exchange;
    this.random = options.random ?? Math.random;
    this.symbols = this.exchange.engine.symbols().filter((c) => options.startPrices.has(c.symbol));
    for (const c of this.symbols) this.index.set(c.symbol, options.startPrices.get(c.symbol)!);
  }

  async start(): Promise<void> {
    for (let i = 0; i < (this.options.makers ?? 2); i++) this.makers.push(await this.fundedAccount());
    for (let i = 0; i < (this.options.takers ?? 3); i++) this.takers.push(await this.fundedAccount());
    for (const guest of this.options.guestTakers ?? []) this.takers.push(guest);
    for (const takerId of this.takers) {
      for (const c of this.symbols) await this.exchange.execute({ type: 'setLeverage', accountId: takerId, symbol: c.symbol, leverage: 5 });
    }
    this.running = true;
    this.schedule();
  }

  /** Stops stepping; resolves once a step under way has finished (its commands answered). */
  stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    return this.stepping ?? Promise.resolve();
  }

  private stepping: Promise<void> | null = null;

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.stepping = this.step()
        .catch((error: unknown) => this.options.log?.(`simulator step failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
        .finally(() => {
          this.stepping = null;
          this.schedule();
        });
    }, this.options.tickMs ?? 500);
  }

  private async fundedAccount(): Promise<number> {
    const { result } = await this.exchange.execute({ type: 'createAccount' });
    if (!result.ok || result.kind !== 'account') throw new Error('simulator could not create an account');
    for (const asset of new Set(this.symbols.map((c) => c.settleAsset))) {
      await this.exchange.execute({ type: 'deposit', accountId: result.accountId, asset, amount: fundingOf(asset) });
    }
    // The simulator trades one net position per symbol.
    await this.exchange.execute({ type: 'setPositionMode', accountId: result.accountId, positionMode: 'ONE_WAY' });
    return result.accountId;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** One tick: move each index and feed it to the engine, re-quote the makers, let one taker trade. */
  async step(): Promise<void> {
    const now = this.exchange.now();
    for (const config of this.symbols) {
      // A delivery symbol stops trading at its delivery time (the scheduler settles it): nothing to quote.
      if (config.delivery !== null && now >= config.delivery.time) continue;
      const previous = this.index.get(config.symbol)!;
      // ±0.05% per step, mean-reverting gently toward the start so a demo never drifts away.
      const start = this.options.startPrices.get(config.symbol)!;
      const drift = (start - previous) * 0.001;
      const next = Math.max(1, Math.round(previous * (1 + (this.random() - 0.5) * 0.001) + drift));
      this.index.set(config.symbol, next);
      const basis = Math.max(-0.0006, Math.min(0.0006, (this.basis.get(config.symbol) ?? 0) * 0.98 + (this.random() - 0.5) * 0.0001));
      this.basis.set(config.symbol, basis);
      await this.exchange.execute({ type: 'setIndexPrice', symbol: config.symbol, price: next });
      const mid = Math.max(1, Math.round(next * (1 + basis)));
      await this.requote(config, mid);
      await this.trade(config, mid);
    }
  }

  private async requote(config: SymbolConfig, mid: number): Promise<void> {
    const makerId = this.pick(this.makers);
    await this.exchange.execute({ type: 'cancelAll', accountId: makerId, symbol: config.symbol });
    const levels = this.options.levels ?? 5;
    const spread = Math.max(1, Math.round(mid * 0.0002));
    for (let level = 1; level <= levels; level++) {
      // The best level is deep, so the impact notional fills near the quotes and the premium index moves with the basis.
      const qty = level === 1 ? 3000 + Math.floor(this.random() * 3000) : 10 + Math.floor(this.random() * 90);
      for (const side of ['BUY', 'SELL'] as const) {
        const price = side === 'BUY' ? mid - spread * level : mid + spread * level;
        await this.exchange.execute({
          type: 'placeOrder', accountId: makerId, symbol: config.symbol, side, positionSide: 'BOTH', orderType: 'LIMIT',
          timeInForce: 'GTX', price, qty, reduceOnly: false,
        });
      }
    }
  }

  /**
   * One taker's market order. Takers lean toward flattening big positions, so they trade forever
   * without running dry; a hedge-mode taker (a demo account) opens and closes its LONG and SHORT.
   */
  private async trade(config: SymbolConfig, _mid: number): Promise<void> {
    if (this.random() < 0.4) return;
    const takerId = this.pick(this.takers);
    const view = this.exchange.engine.account(takerId)?.view;
    if (view === undefined) return;
    const hedge = view.positionMode === 'HEDGE';
    const held = (side: 'BOTH' | 'LONG' | 'SHORT'): number => view.positions.find((p) => p.symbol === config.symbol && p.positionSide === side)?.qty ?? 0;
    let qty = 1 + Math.floor(this.random() * 20);
    let side: 'BUY' | 'SELL' = this.random() < 0.5 ? 'BUY' : 'SELL';
    let positionSide: 'BOTH' | 'LONG' | 'SHORT' = hedge ? (side === 'BUY' ? 'LONG' : 'SHORT') : 'BOTH';
    const net = hedge ? held('LONG') + held('SHORT') : held('BOTH');
    if (Math.abs(net) > 200 && this.random() < 0.7) {
      side = net > 0 ? 'SELL' : 'BUY';
      // Closing in hedge mode is the opposite side of the bigger leg, never more than it holds.
      positionSide = hedge ? (net > 0 ? 'LONG' : 'SHORT') : 'BOTH';
      if (hedge) qty = Math.min(qty, Math.abs(held(positionSide)));
    }
    if (qty <= 0) return;
    await this.exchange.execute({
      type: 'placeOrder', accountId: takerId, symbol: config.symbol, side, positionSide, orderType: 'MARKET',
      timeInForce: 'IOC', price: 0, qty, reduceOnly: false,
    });
  }
}
