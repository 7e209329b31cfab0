/**
 * Shared parts of `npm run bench:durable`: the command mix, the closed- and open-loop drivers,
 * latency samples, the service wiring `startServer` uses, and FileOps that time every write,
 * fdatasync and file read.
 */
import { performance } from 'node:perf_hooks';
import type { Applied } from '../../src/engine/engine.js';
import { parseAmount } from '../../src/engine/fixed.js';
import type { CommandResult } from '../../src/engine/types.js';
import { realFileOps, type FileHandleLike, type FileOps } from '../../src/persistence/file-ops.js';
import type { CommandInput } from '../../src/service/exchange.js';
import type { ServiceStateOptions } from '../../src/service/service-state.js';

export const SYMBOL = 'btc_usdt';
export const MID = 600_000; // 60,000.0 in ticks

export type Execute = (input: CommandInput) => Promise<Applied>;
import { rng } from '../rng.js';

export { rng };

/**
 * The service state `startServer` builds (src/server/server.ts): History, the ledger and the
 * 100k-event replay window, fed from every event and part of every snapshot. (The XT encoder keeps
 * no state: the events carry what it needs.)
 */
export const SERVER_SERVICE: ServiceStateOptions = { replayWindow: 100_000 };

// ---------------------------------------------------------------------------------------------
// Latency samples (ms).

export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** Summary of the samples from index `from` on. */
  summary(from = 0): LatencySummary {
    const s = this.data.slice(from, this.length).sort();
    const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
    let sum = 0;
    for (const v of s) sum += v;
    return { count: s.length, mean: sum / Math.max(1, s.length), p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: s.length ? s[s.length - 1]! : NaN };
  }
}

export interface LatencySummary { count: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number }

// ---------------------------------------------------------------------------------------------
// The command mix: 45% passive limit place, 30% cancel, 5% amend, 10% market/IOC, 10% deposit,
// over `accounts` funded accounts on one symbol, leaning toward `targetResting` resting orders.

interface Live { accountId: number; orderId: number }

export class Mix {
  private readonly live: Live[] = [];
  refused = 0;
  issued = 0;
  private firstAccount = 1;
  private accounts = 0;

  constructor(private readonly random: () => number, private readonly targetResting: number) {}

  get resting(): number {
    return this.live.length;
  }

  /** Mark price, `accounts` funded accounts, then `targetResting` resting orders, `window` at a time. */
  async setup(execute: Execute, accounts: number, window: number): Promise<void> {
    await execute({ type: 'setMarkPrice', symbol: SYMBOL, price: MID });
    const ids: number[] = [];
    let next = 0;
    const openOne = async (): Promise<void> => {
      while (next < accounts) {
        next++;
        const { result } = await execute({ type: 'createAccount' });
        if (!result.ok || result.kind !== 'account') throw new Error('account creation failed');
        ids.push(result.accountId);
        await execute({ type: 'deposit', accountId: result.accountId, asset: 'USDT', amount: parseAmount('1000000000') });
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, accounts) }, openOne));
    ids.sort((a, b) => a - b);
    if (ids[ids.length - 1]! - ids[0]! !== accounts - 1) throw new Error('accounts are not contiguous');
    this.firstAccount = ids[0]!;
    this.accounts = accounts;
    const seed = async (): Promise<void> => {
      while (this.live.length < this.targetResting) {
        const input = this.placePassive();
        this.settle(input, await execute(input));
      }
    };
    // Seed from a few clients only, so the book does not overshoot by a whole window.
    await Promise.all(Array.from({ length: Math.min(64, window) }, seed));
  }

  private account(): number {
    return this.firstAccount + Math.floor(this.random() * this.accounts);
  }

  private placePassive(): CommandInput {
    const buy = this.random() < 0.5;
    const offset = 1 + Math.floor(this.random() * 2000);
    return {
      type: 'placeOrder', accountId: this.account(), symbol: SYMBOL, side: buy ? 'BUY' : 'SELL', positionSide: 'BOTH',
      orderType: 'LIMIT', timeInForce: 'GTC', price: buy ? MID - offset : MID + offset, qty: 10 + Math.floor(this.random() * 90), reduceOnly: false,
    };
  }

  private takeLive(): Live | undefined {
    if (this.live.length === 0) return undefined;
    const index = Math.floor(this.random() * this.live.length);
    const picked = this.live[index]!;
    this.live[index] = this.live[this.live.length - 1]!;
    this.live.pop();
    return picked;
  }

  private cancel(): CommandInput {
    const picked = this.takeLive();
    return picked ? { type: 'cancelOrder', symbol: SYMBOL, ...picked } : this.placePassive();
  }

  /** The next command; the live orders it names are taken out of the pool until it settles. */
  next(): CommandInput {
    this.issued++;
    const roll = this.random();
    if (roll < 0.45) return this.live.length < this.targetResting || this.random() < 0.5 ? this.placePassive() : this.cancel();
    if (roll < 0.75) return this.live.length > this.targetResting * 0.9 || this.random() < 0.5 ? this.cancel() : this.placePassive();
    if (roll < 0.80) {
      const picked = this.takeLive();
      if (!picked) return this.placePassive();
      return { type: 'amendOrder', symbol: SYMBOL, ...picked, qty: 10 + Math.floor(this.random() * 90) };
    }
    if (roll < 0.90) {
      const buy = this.random() < 0.5;
      return {
        type: 'placeOrder', accountId: this.account(), symbol: SYMBOL, side: buy ? 'BUY' : 'SELL', positionSide: 'BOTH',
        orderType: this.random() < 0.5 ? 'MARKET' : 'LIMIT', timeInForce: 'IOC', price: buy ? MID + 500 : MID - 500,
        qty: 1 + Math.floor(this.random() * 5), reduceOnly: false,
      };
    }
    return { type: 'deposit', accountId: this.account(), asset: 'USDT', amount: parseAmount(String(1 + Math.floor(this.random() * 1000))) };
  }

  /** Puts what the command left resting back into the pool. */
  settle(input: CommandInput, applied: Applied): void {
    const result: CommandResult = applied.result;
    if (!result.ok) this.refused++;
    if (input.type === 'placeOrder') {
      if (result.ok && result.kind === 'order' && (result.order.state === 'NEW' || result.order.state === 'PARTIALLY_FILLED') && input.timeInForce === 'GTC') {
        this.live.push({ accountId: result.order.accountId, orderId: result.order.orderId });
      }
    } else if (input.type === 'amendOrder') {
      if (result.ok ? result.kind === 'order' && (result.order.state === 'NEW' || result.order.state === 'PARTIALLY_FILLED') : result.code !== 'UNKNOWN_ORDER') {
        this.live.push({ accountId: input.accountId, orderId: input.orderId! });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Drivers.

export interface RunStats {
  acked: number;
  failed: number;
  seconds: number;
  ackedPerSec: number;
  latency: LatencySummary;
}

/**
 * Closed loop: `window` clients, each sending its next command as soon as the last one is acked
 * (many REST clients with one request in flight each). Runs for `durationMs`, or until `commands`
 * have been issued.
 */
export async function closedLoop(execute: Execute, mix: Mix, options: { window: number; durationMs?: number; commands?: number; onIssue?: (issued: number) => void }): Promise<RunStats> {
  const samples = new Samples();
  let failed = 0;
  let issued = 0;
  const limit = options.commands ?? Infinity;
  const start = performance.now();
  const end = options.durationMs === undefined ? Infinity : start + options.durationMs;
  const client = async (): Promise<void> => {
    while (issued < limit && performance.now() < end) {
      const input = mix.next();
      issued++;
      options.onIssue?.(issued);
      const sent = performance.now();
      try {
        const applied = await execute(input);
        samples.push(performance.now() - sent);
        mix.settle(input, applied);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.window }, client));
  const seconds = (performance.now() - start) / 1000;
  return { acked: samples.length, failed, seconds, ackedPerSec: samples.length / seconds, latency: samples.summary() };
}

export interface OpenLoopStats extends RunStats {
  offeredPerSec: number;
  /** The run was cut short: more than `maxOutstanding` commands were waiting. */
  saturated: boolean;
  maxOutstanding: number;
}

/**
 * Open loop: commands are sent at a fixed `rate` whatever the acks do (many independent clients),
 * and latency is measured from each command's scheduled send time, so a stall counts against
 * every command it delayed (no coordinated omission).
 */
export function openLoop(execute: Execute, mix: Mix, options: { rate: number; durationMs: number; maxOutstanding: number }): Promise<OpenLoopStats> {
  const samples = new Samples();
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  let sent = 0;
  let outstanding = 0;
  let maxOutstanding = 0;
  let failed = 0;
  let saturated = false;
  const start = performance.now();
  return new Promise((resolve) => {
    const finish = (): void => {
      const seconds = (performance.now() - start) / 1000;
      resolve({
        acked: samples.length, failed, seconds, ackedPerSec: samples.length / seconds, latency: samples.summary(),
        offeredPerSec: options.rate, saturated, maxOutstanding,
      });
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000));
      while (sent < due && !saturated) {
        const intended = start + (sent * 1000) / options.rate;
        sent++;
        outstanding++;
        if (outstanding > maxOutstanding) maxOutstanding = outstanding;
        if (outstanding > options.maxOutstanding) saturated = true;
        const input = mix.next();
        execute(input).then((applied) => {
          samples.push(performance.now() - intended);
          mix.settle(input, applied);
        }, () => {
          failed++;
        }).finally(() => {
          outstanding--;
          if ((sent === total || saturated) && outstanding === 0) finish();
        });
      }
      if (sent < total && !saturated) setImmediate(tick);
    };
    tick();
  });
}

// ---------------------------------------------------------------------------------------------
// FileOps that time every write, fdatasync and whole-file read.

export class TimedOps implements FileOps {
  readonly datasync = new Samples();
  readonly write = new Samples();
  bytesWritten = 0;
  readMs = 0;
  bytesRead = 0;

  open = async (path: string, flags: string): Promise<FileHandleLike> => {
    const handle = await realFileOps.open(path, flags);
    return {
      write: async (buffer, offset, length, position) => {
        const t = performance.now();
        const result = await handle.write(buffer, offset, length, position);
        this.write.push(performance.now() - t);
        this.bytesWritten += result.bytesWritten;
        return result;
      },
      datasync: async () => {
        const t = performance.now();
        await handle.datasync();
        this.datasync.push(performance.now() - t);
      },
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  };

  readFile = async (path: string): Promise<Buffer> => {
    const t = performance.now();
    const data = await realFileOps.readFile(path);
    this.readMs += performance.now() - t;
    this.bytesRead += data.length;
    return data;
  };

  writeFile = realFileOps.writeFile;
  rename = realFileOps.rename;
  unlink = realFileOps.unlink;
  readdir = realFileOps.readdir;
  mkdir = realFileOps.mkdir;
  syncDir = realFileOps.syncDir;
  size = realFileOps.size;
}

export const ms = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
