/**
 * The budget of resumes beyond the window: recomputing history from the journal costs a worker
 * thread for as long as the journal takes to re-execute, so one account must not be able to take
 * that from everyone. Replays run at most `maxConcurrentReplays` at once and one account's one
 * after another; at most `maxQueuedReplays` wait; one account may have `maxPendingReplaysPerAccount`
 * running or waiting and start `replaysPerAccountPerMinute` in any 60 s. Anything over the budget is
 * answered at once, without doing the work, with `recovered: false` and a reason that says what to
 * do. A requester that goes away (its signal aborts) leaves the queue or has its replay stopped.
 */
import type { GatewayLimits } from '../gateway/limits.js';
import type { Clock } from '../service/clock.js';
import type { OlderHistory, ReplayResult } from '../service/event-log.js';
import type { HistoryRequest } from './history-replay.js';
import { CANCELLED } from './journal-history.js';

export type ReplayLimits = Pick<GatewayLimits, 'maxConcurrentReplays' | 'maxQueuedReplays' | 'maxPendingReplaysPerAccount' | 'replaysPerAccountPerMinute'>;

/** What runs the replays (JournalHistory). */
export interface Replayer {
  run(request: HistoryRequest, signal?: AbortSignal): Promise<ReplayResult>;
  /** Keeps the history a waiting replay will read from being pruned, until released. */
  hold(): () => void;
}

interface Job {
  request: HistoryRequest;
  signal: AbortSignal | undefined;
  resolve: (result: ReplayResult) => void;
  release: () => void;
  onAbort: () => void;
}

const RATE_WINDOW_MS = 60_000;

export class ReplayBudget implements OlderHistory {
  private readonly waiting: Job[] = [];
  /** Accounts with a replay running (one each). */
  private readonly runningAccounts = new Set<number>();
  /** Replays running or waiting, per account. */
  private readonly pending = new Map<number, number>();
  /** When each account's replays in the last minute were admitted, oldest first. */
  private readonly starts = new Map<number, number[]>();
  private closed = false;

  constructor(private readonly replayer: Replayer, private readonly limits: ReplayLimits, private readonly clock: Clock) {}

  /** Replays running now. */
  get running(): number {
    return this.runningAccounts.size;
  }

  /** Replays waiting for a worker. */
  get queued(): number {
    return this.waiting.length;
  }

  eventsOf(accountId: number, afterSeq: number, throughSeq: number, throughCmdSeq: number, maxEvents: number, signal?: AbortSignal): Promise<ReplayResult> {
    if (signal?.aborted === true) return Promise.resolve(CANCELLED);
    const reason = this.refusal(accountId, throughSeq - afterSeq, maxEvents);
    if (reason !== null) return Promise.resolve({ recovered: false, reason });
    this.pending.set(accountId, (this.pending.get(accountId) ?? 0) + 1);
    const starts = this.starts.get(accountId) ?? [];
    starts.push(this.clock.now());
    this.starts.set(accountId, starts);
    return new Promise<ReplayResult>((resolve) => {
      const job: Job = {
        request: { accountId, afterSeq, throughSeq, throughCmdSeq }, signal, resolve, release: this.replayer.hold(),
        onAbort: () => this.drop(job),
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.waiting.push(job);
      this.next();
    });
  }

  /** Refuses what waits and stops taking new replays (the server is closing). */
  close(): void {
    this.closed = true;
    for (const job of this.waiting.splice(0)) this.finish(job, { recovered: false, reason: 'the server is shutting down; resume again once it is back' });
  }

  /** Why this request is over the budget, or null when it may go ahead. */
  private refusal(accountId: number, behind: number, maxEvents: number): string | null {
    const { maxConcurrentReplays, maxQueuedReplays, maxPendingReplaysPerAccount, replaysPerAccountPerMinute } = this.limits;
    if (this.closed) return 'the server is shutting down; resume again once it is back';
    if (behind > maxEvents) return `${behind} events behind, more than one resume replays (${maxEvents}); fetch a REST snapshot`;
    const pending = this.pending.get(accountId) ?? 0;
    if (pending >= maxPendingReplaysPerAccount) {
      return `this account already has ${pending} resumes replaying history from the journal (maxPendingReplaysPerAccount ${maxPendingReplaysPerAccount}); ` +
        'retry once they are answered, or fetch a REST snapshot';
    }
    const recent = this.recentStarts(accountId);
    if (recent.length >= replaysPerAccountPerMinute) {
      const retryInS = Math.max(1, Math.ceil((recent[0]! + RATE_WINDOW_MS - this.clock.now()) / 1000));
      return `this account started ${recent.length} resumes from the journal in the last minute (replaysPerAccountPerMinute ${replaysPerAccountPerMinute}); ` +
        `retry in ${retryInS} s, or fetch a REST snapshot`;
    }
    const mustWait = this.runningAccounts.size >= maxConcurrentReplays || this.runningAccounts.has(accountId);
    if (mustWait && this.waiting.length >= maxQueuedReplays) {
      return `${this.waiting.length} resumes are already waiting to replay history from the journal (maxQueuedReplays ${maxQueuedReplays}); ` +
        'retry shortly, or fetch a REST snapshot';
    }
    return null;
  }

  /** The account's admissions within the last minute (older ones are forgotten). */
  private recentStarts(accountId: number): number[] {
    const starts = this.starts.get(accountId);
    if (starts === undefined) return [];
    const since = this.clock.now() - RATE_WINDOW_MS;
    while (starts.length > 0 && starts[0]! <= since) starts.shift();
    if (starts.length === 0) this.starts.delete(accountId);
    return starts;
  }

  /** Starts waiting replays, oldest first, while workers are free, skipping accounts already replaying. */
  private next(): void {
    for (let i = 0; i < this.waiting.length && this.runningAccounts.size < this.limits.maxConcurrentReplays;) {
      const job = this.waiting[i]!;
      if (this.runningAccounts.has(job.request.accountId)) {
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      this.runningAccounts.add(job.request.accountId);
      void this.replayer.run(job.request, job.signal).then((result) => {
        this.runningAccounts.delete(job.request.accountId);
        this.finish(job, result);
        this.next();
      });
    }
  }

  /** A waiting replay whose requester went away: out of the queue (a running one is stopped by the replayer). */
  private drop(job: Job): void {
    const index = this.waiting.indexOf(job);
    if (index < 0) return;
    this.waiting.splice(index, 1);
    this.finish(job, CANCELLED);
  }

  private finish(job: Job, result: ReplayResult): void {
    job.signal?.removeEventListener('abort', job.onAbort);
    job.release();
    const left = (this.pending.get(job.request.accountId) ?? 1) - 1;
    if (left > 0) this.pending.set(job.request.accountId, left);
    else this.pending.delete(job.request.accountId);
    this.forgetIdle();
    job.resolve(result);
  }

  /** Accounts whose last admission left the rate window take no memory. */
  private forgetIdle(): void {
    const since = this.clock.now() - RATE_WINDOW_MS;
    for (const [accountId, starts] of this.starts) if (starts.at(-1)! <= since) this.starts.delete(accountId);
  }
}
