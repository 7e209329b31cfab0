/**
 * Drives the engine's price and funding clocks with commands (the engine never reads a clock):
 * - every `tickMs`, one `sampleRisk` for all symbols, while any symbol has an index price (without
 *   an index nothing is sampled, so nothing is sent and the journal stays quiet);
 * - at each perpetual symbol's next funding time, `settleFunding` at that time. A wake-up that finds
 *   several funding times passed (the process was down) settles once, at the latest of them;
 * - at each delivery symbol's delivery time, `settleDelivery` (once: a settled symbol is left alone;
 *   the engine computes the delivery price from the index it recorded, so a late settlement after a
 *   restart gives the same price).
 * Each command goes through Exchange.execute like any other (journaled first). Both are off unless
 * the server is configured with them (tests drive the commands themselves).
 */
import { systemTimers, type Timer, type Timers } from '../gateway/timers.js';
import type { LogFn } from '../ops/log.js';
import type { Exchange } from './exchange.js';

export interface PriceSchedulerOptions {
  exchange: Exchange;
  /** Price tick period in ms; null or 0: no ticks. */
  tickMs: number | null;
  /** Settle funding on schedule. */
  funding: boolean;
  log?: LogFn;
  /** Default: Node's timers (tests drive them by hand with the exchange's clock). */
  timers?: Timers;
}

/** Funding checks wake at least this often, so a clock step or an admin settlement is noticed. */
const MAX_FUNDING_SLEEP_MS = 60_000;

export class PriceScheduler {
  private readonly exchange: Exchange;
  private readonly timers: Timers;
  private tickTimer: Timer | null = null;
  private fundingTimer: Timer | null = null;
  private running = false;

  constructor(private readonly options: PriceSchedulerOptions) {
    this.exchange = options.exchange;
    this.timers = options.timers ?? systemTimers;
  }

  start(): void {
    this.running = true;
    if (this.options.tickMs) this.scheduleTick();
    if (this.options.funding) this.scheduleFunding();
  }

  stop(): void {
    this.running = false;
    this.timers.clear(this.tickTimer);
    this.timers.clear(this.fundingTimer);
    this.tickTimer = this.fundingTimer = null;
  }

  private report(what: string, error: unknown): void {
    this.options.log?.(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
  }

  private scheduleTick(): void {
    if (!this.running) return;
    this.tickTimer = this.timers.setTimeout(() => {
      this.tick().catch((error: unknown) => this.report('price tick', error)).finally(() => this.scheduleTick());
    }, this.options.tickMs!);
  }

  private async tick(): Promise<void> {
    const engine = this.exchange.engine;
    const now = this.exchange.now();
    if (!engine.symbols().some((c) => engine.prices(c.symbol, now)?.indexPrice !== null)) return;
    await this.exchange.execute({ type: 'sampleRisk' });
  }

  /**
   * The settlement time each symbol is waiting for: a perpetual's funding time (the engine's next one,
   * fixed once seen: before the first settlement the engine's moves with `now`), a delivery symbol's
   * delivery time until it is settled (then it has none).
   */
  private readonly targets = new Map<string, number>();

  private targetOf(symbol: string, now: number): number | undefined {
    let target = this.targets.get(symbol);
    if (target === undefined) {
      const info = this.exchange.engine.prices(symbol, now)!;
      if (info.delivery !== null && info.delivery.settledPrice !== null) return undefined;
      target = info.delivery?.time ?? info.nextFundingTime;
      this.targets.set(symbol, target);
    }
    return target;
  }

  private scheduleFunding(): void {
    if (!this.running) return;
    const now = this.exchange.now();
    let next = Infinity;
    for (const config of this.exchange.engine.symbols()) next = Math.min(next, this.targetOf(config.symbol, now) ?? Infinity);
    if (next === Infinity) return;
    // Still due after a wake-up means the settlement failed (journal error): retry, but not in a spin.
    const delay = next <= now ? 1000 : Math.min(MAX_FUNDING_SLEEP_MS, next - now);
    this.fundingTimer = this.timers.setTimeout(() => {
      this.settleDue().catch((error: unknown) => this.report('funding settlement', error)).finally(() => this.scheduleFunding());
    }, delay);
  }

  /** Settles every symbol whose funding or delivery time has come (funding at the latest funding time passed). */
  private async settleDue(): Promise<void> {
    const engine = this.exchange.engine;
    for (const config of engine.symbols()) {
      const now = this.exchange.now();
      const target = this.targets.get(config.symbol);
      if (target === undefined || target > now) continue;
      if (config.delivery !== null) {
        const { result } = await this.exchange.execute({ type: 'settleDelivery', symbol: config.symbol });
        if (!result.ok) this.options.log?.(`delivery of ${config.symbol} refused: ${result.message}`, 'warn');
        // Settled (by us or an operator before us): nothing more to wait for. Refused (open positions and
        // no price at all): try again a minute later, when an index may have come.
        if (engine.prices(config.symbol, now)!.delivery!.settledPrice !== null) this.targets.delete(config.symbol);
        else this.targets.set(config.symbol, now + MAX_FUNDING_SLEEP_MS);
        continue;
      }
      const interval = engine.prices(config.symbol, now)!.fundingIntervalMs;
      const fundingTime = target + Math.floor((now - target) / interval) * interval;
      const { result } = await this.exchange.execute({ type: 'settleFunding', symbol: config.symbol, fundingTime });
      // Refused when an operator already settled past it: either way the engine knows the next one.
      if (!result.ok) this.options.log?.(`funding settlement of ${config.symbol} at ${fundingTime} refused: ${result.message}`, 'warn');
      this.targets.set(config.symbol, engine.prices(config.symbol, this.exchange.now())!.nextFundingTime);
    }
  }
}
