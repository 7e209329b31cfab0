/**
 * The server's Prometheus metrics, in a registry of its own (tests start many servers in one
 * process). Hot paths (a command, a push, a connection) only add to plain numbers held here,
 * found without allocating (a Map lookup by a constant string); prom-client reads them at scrape
 * time through `collect`. Histograms (engine apply, ack, fsync, batch, snapshot) are observed
 * directly: once per command or per batch, never per push. Process metrics (heap, GC, event-loop
 * delay, CPU, descriptors) are prom-client's defaults, collected once per process in a registry
 * shared by every server of the process and appended to each scrape.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WebSocket } from 'ws';
import type { StreamLabels, StreamObserver } from '../gateway/observer.js';
import type { LogFn } from './log.js';

/** Close codes counted by their number; anything else a peer sends is counted as "other". */
const KNOWN_CLOSE_CODES = new Set([1000, 1001, 1005, 1006, 1007, 1008, 1009, 1011, 1012, 4000, 4008, 4009, 4010, 4029]);

let processRegistry: Registry | null = null;

/** Process-wide metrics, collected once per process whatever the number of servers. */
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

interface CommandCounts {
  accepted: number;
  refused: number;
  failed: number;
}

/** One stream route's numbers. */
class StreamStats implements StreamObserver {
  connections = 0;
  readonly pushes = new Map<string, { n: number }>();
  readonly closes = new Map<string, { n: number }>();
  served = 0;
  refused = 0;
  slowConsumers = 0;

  constructor(readonly labels: StreamLabels, private readonly onSlowConsumer: (labels: StreamLabels, socket: WebSocket, queuedBytes: number, bound: number) => void) {}

  opened(): void {
    this.connections += 1;
  }

  closed(code: number): void {
    this.connections -= 1;
    const key = KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other';
    const counter = this.closes.get(key);
    if (counter === undefined) this.closes.set(key, { n: 1 });
    else counter.n += 1;
  }

  pushed(topic: string): void {
    const counter = this.pushes.get(topic);
    if (counter === undefined) this.pushes.set(topic, { n: 1 });
    else counter.n += 1;
  }

  resumed(served: boolean): void {
    if (served) this.served += 1;
    else this.refused += 1;
  }

  slowConsumer(socket: WebSocket, queuedBytes: number, bound: number): void {
    this.slowConsumers += 1;
    this.onSlowConsumer(this.labels, socket, queuedBytes, bound);
  }
}

export interface MetricsOptions {
  /** Who gets the slow-consumer log lines (with the account, when the connection is bound). */
  log?: LogFn;
  /** The account a connection is bound to, for log lines. */
  accountOf?: (socket: WebSocket) => number | undefined;
  /** Bytes waiting to be written on every open stream connection, by dialect (read at scrape time). */
  queuedBytes?: () => Map<string, number>;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly commands = new Map<string, CommandCounts>();
  private readonly streams = new Map<string, StreamStats>();
  private readonly requests = new Map<string, { n: number }>();
  private readonly applyHistogram: Histogram;
  private readonly ackHistogram: Histogram;
  private readonly fsyncHistogram: Histogram;
  private readonly batchHistogram: Histogram;
  private readonly snapshotHistogram: Histogram;
  private readonly snapshotPauseHistogram: Histogram;
  private journalBytes = 0;
  /** Operator-injected faults that fired, by kind (src/faults/board.ts). */
  private readonly faults = new Map<string, number>();
  /** Requests refused by an emulated rate limit (src/ratelimit/), by `dialect\0limit`. */
  private readonly rateLimits = new Map<string, number>();
  private journalFailures = 0;
  private lastSnapshotBytes = 0;
  private eventLoop: EventLoopUtilization = performance.eventLoopUtilization();
  /** 1 when /readyz says ready (set by the server's readiness). */
  ready: () => boolean = () => false;
  queuedBytes: () => Map<string, number>;
  log: LogFn;
  accountOf: (socket: WebSocket) => number | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.log = options.log ?? (() => undefined);
    this.accountOf = options.accountOf ?? (() => undefined);
    this.queuedBytes = options.queuedBytes ?? (() => new Map());
    // prom-client calls `collect` with the metric as `this`; the numbers are read from here.
    const self = (): Metrics => this;

    new Counter({
      name: 'perpstream_commands_total', help: 'Commands by type and result: accepted or refused by the engine, or failed (not journaled).',
      labelNames: ['type', 'result'], registers,
      collect() {
        this.reset();
        for (const [type, c] of self().commands) {
          for (const result of ['accepted', 'refused', 'failed'] as const) if (c[result] > 0) this.inc({ type, result }, c[result]);
        }
      },
    });
    this.applyHistogram = new Histogram({
      name: 'perpstream_engine_apply_seconds', help: 'Time the engine took to apply one command.', registers,
      buckets: [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1],
    });
    this.ackHistogram = new Histogram({
      name: 'perpstream_ack_seconds', help: 'From a command reaching the exchange to its answer (journaled, fsynced, applied).', registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    });
    this.fsyncHistogram = new Histogram({
      name: 'perpstream_journal_fsync_seconds', help: 'fdatasync of one journal batch.', registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    });
    this.batchHistogram = new Histogram({
      name: 'perpstream_journal_batch_records', help: 'Records in one journal batch (one write, one fsync).', registers,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 8192],
    });
    new Counter({
      name: 'perpstream_journal_bytes_total', help: 'Bytes appended to the journal.', registers,
      collect() {
        this.reset();
        this.inc(self().journalBytes);
      },
    });
    new Counter({
      name: 'perpstream_journal_failures_total', help: 'Journal batches that failed (disk errors).', registers,
      collect() {
        this.reset();
        this.inc(self().journalFailures);
      },
    });
    this.snapshotHistogram = new Histogram({
      name: 'perpstream_snapshot_seconds', help: 'One snapshot from capture to its file on disk.', registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.snapshotPauseHistogram = new Histogram({
      name: 'perpstream_snapshot_pause_seconds', help: 'How long a snapshot held the engine still (state capture and hash).', registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    });
    new Gauge({
      name: 'perpstream_snapshot_bytes', help: 'Size of the last snapshot written.', registers,
      collect() {
        this.set(self().lastSnapshotBytes);
      },
    });
    new Gauge({
      name: 'perpstream_eventloop_utilization', help: 'Event-loop utilization (0-1) since the previous scrape.', registers,
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(performance.eventLoopUtilization(now, self().eventLoop).utilization);
        self().eventLoop = now;
      },
    });
    new Gauge({
      name: 'perpstream_ready', help: '1 when the server is ready (recovered, journal working, not shutting down).', registers,
      collect() {
        this.set(self().ready() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'perpstream_ws_connections', help: 'Open stream connections by dialect and stream.', labelNames: ['dialect', 'stream'], registers,
      collect() {
        this.reset();
        for (const s of self().streams.values()) this.set({ dialect: s.labels.dialect, stream: s.labels.stream }, s.connections);
      },
    });
    new Counter({
      name: 'perpstream_ws_pushes_total', help: 'Pushes queued to stream connections by dialect and topic.', labelNames: ['dialect', 'topic'], registers,
      collect() {
        this.reset();
        for (const s of self().streams.values()) for (const [topic, c] of s.pushes) this.inc({ dialect: s.labels.dialect, topic }, c.n);
      },
    });
    new Counter({
      name: 'perpstream_ws_closes_total', help: 'Stream connections closed, by dialect and close code (the server\'s when it closed, else the peer\'s).',
      labelNames: ['dialect', 'code'], registers,
      collect() {
        this.reset();
        for (const s of self().streams.values()) for (const [code, c] of s.closes) this.inc({ dialect: s.labels.dialect, code }, c.n);
      },
    });
    new Counter({
      name: 'perpstream_resumes_total', help: 'Resumes answered: served (missed events replayed) or refused (recovered: false).',
      labelNames: ['dialect', 'result'], registers,
      collect() {
        this.reset();
        for (const s of self().streams.values()) {
          if (s.served > 0) this.inc({ dialect: s.labels.dialect, result: 'served' }, s.served);
          if (s.refused > 0) this.inc({ dialect: s.labels.dialect, result: 'refused' }, s.refused);
        }
      },
    });
    new Counter({
      name: 'perpstream_ws_slow_consumers_total', help: 'Stream connections closed because their outgoing queue passed maxQueueBytes (4008).',
      labelNames: ['dialect'], registers,
      collect() {
        this.reset();
        const byDialect = new Map<string, number>();
        for (const s of self().streams.values()) byDialect.set(s.labels.dialect, (byDialect.get(s.labels.dialect) ?? 0) + s.slowConsumers);
        for (const [dialect, n] of byDialect) this.inc({ dialect }, n);
      },
    });
    new Gauge({
      name: 'perpstream_ws_outgoing_queue_bytes', help: 'Bytes waiting to be written on open stream connections, by dialect.', labelNames: ['dialect'], registers,
      collect() {
        this.reset();
        for (const [dialect, bytes] of self().queuedBytes()) this.set({ dialect }, bytes);
      },
    });
    new Counter({
      name: 'perpstream_faults_injected_total', help: 'Faults an operator injected that fired (admin API /faults), by kind.', labelNames: ['kind'], registers,
      collect() {
        this.reset();
        for (const [kind, n] of self().faults) this.inc({ kind }, n);
      },
    });
    new Counter({
      name: 'perpstream_rate_limited_total', help: 'Requests refused by an emulated exchange rate limit (server.rateLimits), by dialect and limit.', labelNames: ['dialect', 'limit'], registers,
      collect() {
        this.reset();
        for (const [key, n] of self().rateLimits) {
          const [dialect, limit] = key.split('\u0000') as [string, string];
          this.inc({ dialect, limit }, n);
        }
      },
    });
    new Counter({
      name: 'perpstream_http_requests_total', help: 'HTTP requests answered, by dialect (front door) and status code.', labelNames: ['dialect', 'status'], registers,
      collect() {
        this.reset();
        for (const [key, c] of self().requests) {
          const at = key.indexOf(' ');
          this.inc({ dialect: key.slice(0, at), status: key.slice(at + 1) }, c.n);
        }
      },
    });
  }

  /** The exposition text: this server's metrics, then the process's. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // -- exchange ------------------------------------------------------------------------------

  private countsOf(type: string): CommandCounts {
    let counts = this.commands.get(type);
    if (counts === undefined) this.commands.set(type, (counts = { accepted: 0, refused: 0, failed: 0 }));
    return counts;
  }

  commandApplied(type: string, accepted: boolean, engineMs: number): void {
    const counts = this.countsOf(type);
    if (accepted) counts.accepted += 1;
    else counts.refused += 1;
    this.applyHistogram.observe(engineMs / 1000);
  }

  commandAnswered(ms: number): void {
    this.ackHistogram.observe(ms / 1000);
  }

  commandFailed(type: string): void {
    this.countsOf(type).failed += 1;
  }

  // -- journal and snapshots -----------------------------------------------------------------

  journalBatch(records: number, bytes: number, syncMs: number): void {
    this.journalBytes += bytes;
    this.batchHistogram.observe(records);
    this.fsyncHistogram.observe(syncMs / 1000);
  }

  rateLimited(dialect: string, limit: string): void {
    const key = `${dialect}\u0000${limit}`;
    this.rateLimits.set(key, (this.rateLimits.get(key) ?? 0) + 1);
  }

  faultInjected(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  journalFailed(): void {
    this.journalFailures += 1;
  }

  snapshotTaken(pauseMs: number, totalMs: number, bytes: number): void {
    this.snapshotPauseHistogram.observe(pauseMs / 1000);
    this.snapshotHistogram.observe(totalMs / 1000);
    this.lastSnapshotBytes = bytes;
  }

  // -- HTTP and streams ----------------------------------------------------------------------

  /** `key` is "<dialect> <status>" (built by the caller from constants and a number). */
  request(dialect: string, status: number): void {
    const key = `${dialect} ${status}`;
    const counter = this.requests.get(key);
    if (counter === undefined) this.requests.set(key, { n: 1 });
    else counter.n += 1;
  }

  /** The observer of one stream route (GatewayObserver). */
  stream(labels: StreamLabels): StreamObserver {
    const key = `${labels.dialect} ${labels.stream}`;
    let stats = this.streams.get(key);
    if (stats === undefined) {
      stats = new StreamStats(labels, (l, socket, queuedBytes, bound) => {
        const accountId = this.accountOf(socket);
        this.log(`closed a slow consumer (4008): ${l.dialect} ${l.stream} stream${accountId === undefined ? '' : ` of account ${accountId}`}, ` +
          `${queuedBytes} bytes queued, bound ${bound}`, 'warn');
      });
      this.streams.set(key, stats);
    }
    return stats;
  }
}
