/**
 * Resume by {epoch, seq}, for every dialect's private stream: one account's events to one
 * connection, live as they come and, when the client asks, first every event it missed after the
 * `seq` it last saw — exactly once, in order, then live, with no gap and no duplicate — or an
 * explicit `recovered: false` when that history is gone (another epoch, a seq ahead of the account,
 * older than the window and the journal, over the replay budget), so the client re-snapshots.
 *
 * Each dialect only reads the request in its own place (XT, Bybit and KuCoin: a `resume` field on
 * the subscribe message; Binance: a `resume` query parameter on the stream URL), hands the answer
 * back in its own shape, and encodes the events it is given. Dialects that push one command as
 * one frame (Binance, Bybit) get events a command at a time, replayed ones too.
 */
import type { EngineEvent } from '../engine/types.js';
import type { GatewayLimits } from '../gateway/limits.js';
import { CloseCode } from '../gateway/limits.js';
import type { Session } from '../gateway/session.js';
import type { EventLog, OlderHistory, ReplayResult } from '../service/event-log.js';
import type { StreamExchange } from '../service/stream-exchange.js';
import type { AwaitSeq } from './dialect.js';
import { systemTimers, type Timers } from '../gateway/timers.js';

/**
 * A client's last position: the stream's epoch, the account seq it resumes after, and `skip`: how
 * many frames of the next seq it already holds. One event (XT, KuCoin) or one command (Binance,
 * Bybit) can be several frames that share a seq, and a connection can break between them; a client
 * that keeps the seq before its last one and how many frames carried its last one resumes from
 * exactly the frame where it was cut.
 */
export interface ResumeRequest {
  epoch: string;
  seq: number;
  skip: number;
}

export type ResumeOutcome = { recovered: true; from: number; to: number } | { recovered: false; reason: string };

/** What a subscription is answered with: the stream's epoch, the account's seq, and a resume's outcome. */
export interface StreamPosition {
  epoch: string;
  seq: number;
  resume?: ResumeOutcome;
}

/** What a resume reads: the exchange, the replay window, the journal, the bounds. */
export interface ResumeSources {
  exchange: StreamExchange;
  eventLog: EventLog;
  /** History older than the window (the data directory's journal); null when there is none. */
  olderHistory: OlderHistory | null;
  limits: GatewayLimits;
  /** Scale-out: wait for events a client saw on another gateway (absent in one process). */
  awaitSeq?: AwaitSeq;
  /** The timers a replay's pacing waits on (default: Node's; tests move them by hand). */
  timers?: Timers;
}

/** What a feed needs of its connection: a gateway Session, or a simulated one (test/simulation). */
export type FeedSession = Pick<Session, 'isOpen' | 'queuedBytes' | 'observer' | 'close'>;

/** How the request should look, for the dialects' error messages. */
export const RESUME_SHAPE = '{"epoch": "<epoch>", "seq": <last seq received>, "skip"?: <frames of the next seq already received>}';

const isSeq = (seq: unknown): seq is number => typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0;

/**
 * A `resume` field of a subscribe message: absent (null), well formed, or 'invalid' — a field
 * besides `epoch`, `seq` and the dialect's `extras` included (nothing is silently dropped).
 */
export function readResume(value: unknown, extras: readonly string[] = []): ResumeRequest | null | 'invalid' {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  if (Object.keys(value).some((key) => key !== 'epoch' && key !== 'seq' && key !== 'skip' && !extras.includes(key))) return 'invalid';
  const { epoch, seq, skip = 0 } = value as { epoch?: unknown; seq?: unknown; skip?: unknown };
  if (typeof epoch !== 'string' || epoch === '' || !isSeq(seq) || !isSeq(skip)) return 'invalid';
  return { epoch, seq, skip };
}

/** A `resume=<epoch>:<seq>[:<skip>]` query parameter: absent (null), well formed, or 'invalid'. */
export function readResumeParam(text: string | null): ResumeRequest | null | 'invalid' {
  if (text === null) return null;
  const match = /^([0-9A-Za-z_-]{1,64}):(\d{1,16})(?::(\d{1,6}))?$/.exec(text);
  if (match === null) return 'invalid';
  const seq = Number(match[2]);
  return isSeq(seq) ? { epoch: match[1]!, seq, skip: match[3] === undefined ? 0 : Number(match[3]) } : 'invalid';
}

/** One connection's feed of one account's events. */
export class AccountFeed {
  private accountId: number | null = null;
  private stopListening: (() => void) | null = null;
  /** Whether a subscription has been answered already: a resume is served only on the first. */
  private positioned = false;
  /**
   * While a resume replays, everything to deliver (the missed events, then live ones as they come)
   * waits here in seq order and goes out as fast as the socket drains: a long replay neither floods
   * the outgoing queue nor lets a live event overtake history.
   */
  private backlog: (readonly EngineEvent[])[] | null = null;
  private backlogNext = 0;
  /** Aborted when the connection closes while its resume waits (journal, another gateway): frees its share of the budget. */
  private replayAbort: AbortController | null = null;
  /** A resume's `skip`: frames of the first replayed seq the client already holds (seq: null until the first one). */
  private skipping: { frames: number; seq: number | null; upTo: number } | null = null;

  /**
   * `deliver` gets live and replayed events alike: one event at a time (`unit: 'event'`), or one
   * command's events of the account together (`unit: 'command'`).
   */
  constructor(
    private readonly sources: ResumeSources,
    private readonly session: FeedSession,
    private readonly unit: 'event' | 'command',
    private readonly deliver: (events: readonly EngineEvent[]) => void,
  ) {}

  /** Starts delivering the account's live events (called once, when the connection binds to it). */
  listen(accountId: number): void {
    this.accountId = accountId;
    const bus = this.sources.exchange.events;
    this.stopListening = this.unit === 'command'
      ? bus.subscribeCommands(accountId, (events) => this.onLive(events))
      : bus.subscribe(accountId, (event) => this.onLive([event]));
  }

  /**
   * Answers a subscription with the stream's position; with a resume (on the connection's first
   * subscription only), serves every event after the client's seq before any live one. `answer` is
   * called once, before anything replayed is delivered — at once, or (a replay from the journal, a
   * wait for another gateway) when the outcome is known; never if the connection closed meanwhile.
   */
  position(resume: ResumeRequest | null, answer: (position: StreamPosition) => void): void {
    const accountId = this.accountId;
    if (accountId === null) throw new Error('AccountFeed.position before listen');
    const first = !this.positioned;
    this.positioned = true;
    const { exchange, awaitSeq } = this.sources;
    const epoch = exchange.epoch;
    const seq = this.seqOf(accountId);
    if (resume === null) return answer({ epoch, seq });
    if (first && resume.epoch === epoch && resume.seq > seq && awaitSeq !== undefined) {
      // The client saw events this process has not received yet (it came from another gateway of
      // the scale-out): live events wait in the backlog until they have, then the resume is served
      // as of then. Everything that waited is at or below the seq acknowledged then, so it is dropped.
      this.hold();
      const abort = new AbortController();
      this.replayAbort = abort;
      void awaitSeq(accountId, resume.seq, abort.signal).then((arrived) => {
        this.replayAbort = null;
        this.backlog = null;
        if (!this.session.isOpen) return;
        const now = this.seqOf(accountId);
        if (arrived) return this.resumeFrom(accountId, epoch, now, resume, true, answer);
        this.startReplay(epoch, now, resume.seq, 0, { recovered: false, reason: `seq ${resume.seq} is ahead of the account's ${now} on this gateway: not this history, or the events are late; resume again` }, [], answer);
      });
      return;
    }
    this.resumeFrom(accountId, epoch, seq, resume, first, answer);
  }

  /**
   * Whether the frame the dialect is about to send (one that passed its subscription filter),
   * carrying `seq`, is one the resuming client already holds: the first `skip` frames of the first
   * replayed seq. Dialects ask for every frame they send.
   */
  skipFrame(seq: number): boolean {
    const skipping = this.skipping;
    if (skipping === null) return false;
    skipping.seq ??= seq;
    if (seq === skipping.seq && seq <= skipping.upTo && skipping.frames > 0) {
      skipping.frames -= 1;
      return true;
    }
    this.skipping = null;
    return false;
  }

  /** Stops listening and drops a waiting replay (the connection closed). */
  close(): void {
    this.replayAbort?.abort();
    this.stopListening?.();
    this.stopListening = null;
  }

  private seqOf(accountId: number): number {
    return this.sources.exchange.engine.account(accountId)?.seq ?? 0;
  }

  /** From now on live events wait in the backlog. */
  private hold(): void {
    this.backlog = [];
    this.backlogNext = 0;
  }

  /** Serves a resume at the account's current `seq`: from the window, or older history from the journal. */
  private resumeFrom(accountId: number, epoch: string, seq: number, resume: ResumeRequest, first: boolean, answer: (position: StreamPosition) => void): void {
    // Replay and live delivery happen in this same turn of the event loop, so no live event can
    // slip between them: the client gets every event after its seq exactly once, in order.
    const { maxReplayEvents } = this.sources.limits;
    let outcome: ReplayResult = !first ? { recovered: false, reason: 'resume only on the first subscription of a connection' }
      : resume.epoch !== epoch ? { recovered: false, reason: `epoch ${resume.epoch} is not this stream's history (${epoch})` }
        : this.sources.eventLog.since(accountId, resume.seq, seq);
    if (outcome.recovered && outcome.events.length > maxReplayEvents) {
      outcome = { recovered: false, reason: `${outcome.events.length} events behind, more than one resume replays (${maxReplayEvents}); fetch a REST snapshot` };
    }
    const older = this.sources.olderHistory;
    if (!outcome.recovered && outcome.tooOld === true && older !== null) {
      // Older than the window: recomputed from the journal, asynchronously. Live events wait in
      // the backlog meanwhile, and the answer (which must precede every push) waits for the result.
      // Over the replay budget, the result (recovered: false) comes at once, without the work.
      this.hold();
      const abort = new AbortController();
      this.replayAbort = abort;
      void older.eventsOf(accountId, resume.seq, seq, this.sources.exchange.engine.cmdSeq, maxReplayEvents, abort.signal)
        .then((result) => {
          this.replayAbort = null;
          const live = this.backlog ?? [];
          this.backlog = null;
          this.startReplay(epoch, seq, resume.seq, resume.skip, result, live, answer);
        });
      return;
    }
    this.startReplay(epoch, seq, resume.seq, resume.skip, outcome, [], answer);
  }

  /** Answers a resume with its outcome, then delivers the missed events followed by the live ones that waited. */
  private startReplay(
    epoch: string, seq: number, afterSeq: number, skip: number, outcome: ReplayResult, live: (readonly EngineEvent[])[], answer: (position: StreamPosition) => void,
  ): void {
    if (!this.session.isOpen) return;
    this.session.observer.resumed(outcome.recovered);
    answer({ epoch, seq, resume: outcome.recovered ? { recovered: true, from: afterSeq + 1, to: seq } : { recovered: false, reason: outcome.reason } });
    this.skipping = outcome.recovered && skip > 0 ? { frames: skip, seq: null, upTo: seq } : null;
    const pending = outcome.recovered ? [...this.units(outcome.events), ...live] : live;
    this.backlog = pending.length > 0 ? pending : null;
    this.backlogNext = 0;
    this.pump();
  }

  /** Replayed events in delivery units: each alone, or grouped by command. */
  private units(events: readonly EngineEvent[]): (readonly EngineEvent[])[] {
    if (this.unit === 'event') return events.map((event) => [event]);
    const units: EngineEvent[][] = [];
    for (const event of events) {
      const last = units[units.length - 1];
      if (last !== undefined && last[0]!.cmdSeq === event.cmdSeq) last.push(event);
      else units.push([event]);
    }
    return units;
  }

  /** Delivers backlog while the outgoing queue is under half its bound; comes back when it drains. */
  private pump(): void {
    const backlog = this.backlog;
    if (backlog === null || !this.session.isOpen) return;
    const room = this.sources.limits.maxQueueBytes / 2;
    while (this.backlogNext < backlog.length && this.session.queuedBytes < room) this.deliver(backlog[this.backlogNext++]!);
    if (this.backlogNext < backlog.length) {
      // Pacing, not synchronisation: look again once the socket has had time to drain.
      (this.sources.timers ?? systemTimers).setTimeout(() => this.pump(), 5).unref();
      return;
    }
    this.backlog = null;
  }

  private onLive(events: readonly EngineEvent[]): void {
    if (this.backlog === null) return this.deliver(events);
    this.backlog.push(events);
    if (this.backlog.length - this.backlogNext > this.sources.limits.maxReplayEvents) {
      this.session.close(CloseCode.SLOW_CONSUMER, 'the resume backlog passed maxReplayEvents: the client reads too slowly', false);
    }
  }
}

/** A stream context's resume sources (what every dialect's private stream is given). */
export function resumeSourcesOf(context: ResumeSources): ResumeSources {
  const { exchange, eventLog, olderHistory, limits, awaitSeq, timers } = context;
  return { exchange, eventLog, olderHistory, limits, ...(awaitSeq === undefined ? {} : { awaitSeq }), ...(timers === undefined ? {} : { timers }) };
}
