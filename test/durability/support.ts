/**
 * Helpers for the durability suite: temporary data directories, a seeded PRNG, fault-injecting
 * FileOps, the real perpstream process (spawned, SIGKILLed, restarted), a stream client that keeps
 * every raw push and full ack (for resume), a signed REST client with timeouts, crash images of a
 * running server's data directory, and a reference engine that replays a journal the way an
 * uninterrupted server would have run it (state hash, per-account XT push frames, results).
 */
import { withTimeout } from '../support/timeout.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { sign, signaturePayload } from '../../src/dialects/xt/auth.js';
import { XtEncoder } from '../../src/dialects/xt/encode.js';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import { Engine } from '../../src/engine/engine.js';
import type { Command, CommandResult } from '../../src/engine/types.js';
import { encodeJson } from '../../src/persistence/codec.js';
import { realFileOps, type FileHandleLike, type FileOps } from '../../src/persistence/file-ops.js';
import { readJournal, type RecoveredJournal } from '../../src/persistence/journal.js';
import type { RunningServer, ServerOptions } from '../../src/server/server.js';
import { ADMIN_TOKEN, Harness } from '../support/harness.js';

// ---------------------------------------------------------------------------------------------
// Temporary directories

const created = new Set<string>();

export async function tempDir(tag: string): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), `perpstream-${tag}-`));
  created.add(dir);
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  created.delete(dir);
}

/** Removes every directory tempDir made (call from `after`). */
export async function removeAllTempDirs(): Promise<void> {
  for (const dir of [...created]) await removeDir(dir);
}

/** A copy of a data directory as it is on disk right now: what a crash at this instant would leave. */
export async function crashImage(dataDir: string, tag = 'image'): Promise<string> {
  const dir = await tempDir(tag);
  const image = join(dir, 'data');
  await fs.cp(dataDir, image, { recursive: true });
  return image;
}

export { withTimeout };

// Seeded PRNG: test/support/rng.ts
export { rng, seedFrom, type Rng } from '../support/rng.js';

// ---------------------------------------------------------------------------------------------
// Fault injection

export type Errno = 'EIO' | 'ENOSPC' | 'EROFS' | 'EBADF';

export function errnoError(code: Errno, syscall: string, path = ''): NodeJS.ErrnoException {
  const text: Record<Errno, string> = {
    EIO: 'i/o error', ENOSPC: 'no space left on device', EROFS: 'read-only file system', EBADF: 'bad file descriptor',
  };
  return Object.assign(new Error(`${code}: ${text[code]}, ${syscall}${path ? ` '${path}'` : ''} (injected)`), { code, syscall, path });
}

/**
 * Switchable faults for journal-segment handles (paths under a `journal` directory) and for the
 * directory-level operations. Every switch stays on until the test turns it off.
 */
export interface Faults {
  /** A segment handle's write throws this (ENOSPC: half the bytes are written first, then it throws). */
  write: Errno | null;
  datasync: Errno | null;
  truncate: Errno | null;
  /** Opening a new journal segment (flags a+) throws. */
  openSegment: Errno | null;
  /** Writing a snapshot file (or the epoch file) throws. */
  writeFile: Errno | null;
  /** Fail only this many more writes / datasyncs with EIO (a flaky disk), besides the switches above. */
  failNext: { write: number; datasync: number };
  /** Counters, to see what was attempted. */
  calls: { write: number; datasync: number; truncate: number; failedWrites: number };
}

export function newFaults(): Faults {
  return {
    write: null, datasync: null, truncate: null, openSegment: null, writeFile: null, failNext: { write: 0, datasync: 0 },
    calls: { write: 0, datasync: 0, truncate: 0, failedWrites: 0 },
  };
}

const isJournalPath = (path: string): boolean => /[/\\]journal[/\\]journal-\d{16}\.log$/.test(path);

export function faultyOps(faults: Faults, base: FileOps = realFileOps): FileOps {
  const wrap = (inner: FileHandleLike, path: string): FileHandleLike => ({
    async write(buffer, offset, length, position) {
      faults.calls.write += 1;
      if (faults.write !== null || faults.failNext.write > 0) {
        const code = faults.write ?? 'EIO';
        if (faults.write === null) faults.failNext.write -= 1;
        faults.calls.failedWrites += 1;
        if (code === 'ENOSPC' && offset === 0 && length > 1) {
          // A full disk takes part of the batch, then refuses the rest: a short write, then ENOSPC.
          return inner.write(buffer, offset, Math.floor(length / 2), position);
        }
        throw errnoError(code, 'write', path);
      }
      return inner.write(buffer, offset, length, position);
    },
    async datasync() {
      faults.calls.datasync += 1;
      if (faults.datasync !== null) throw errnoError(faults.datasync, 'fdatasync', path);
      if (faults.failNext.datasync > 0) {
        faults.failNext.datasync -= 1;
        throw errnoError('EIO', 'fdatasync', path);
      }
      return inner.datasync();
    },
    async truncate(length) {
      faults.calls.truncate += 1;
      if (faults.truncate !== null) throw errnoError(faults.truncate, 'ftruncate', path);
      return inner.truncate(length);
    },
    close: () => inner.close(),
  });
  return {
    ...base,
    async open(path, flags) {
      if (faults.openSegment !== null && isJournalPath(path) && flags.startsWith('a')) throw errnoError(faults.openSegment, 'open', path);
      const handle = await base.open(path, flags);
      if (path.endsWith('.snap.tmp')) {
        // Snapshots are written chunk by chunk through a handle: the writeFile fault hits them here.
        return {
          ...handle,
          write: async (buffer, offset, length, position) => {
            if (faults.writeFile !== null) throw errnoError(faults.writeFile, 'write', path);
            return handle.write(buffer, offset, length, position);
          },
          datasync: () => handle.datasync(),
          truncate: (length) => handle.truncate(length),
          close: () => handle.close(),
        };
      }
      return isJournalPath(path) ? wrap(handle, path) : handle;
    },
    async writeFile(path, data) {
      if (faults.writeFile !== null) {
        // A full disk leaves a partial file behind.
        await base.writeFile(path, typeof data === 'string' ? data.slice(0, data.length >> 1) : data.subarray(0, data.length >> 1));
        throw errnoError(faults.writeFile, 'write', path);
      }
      return base.writeFile(path, data);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Signed XT REST with a timeout, the HTTP status, and network failures as values

export interface XtReply<T = unknown> {
  /** null: no answer (connection refused / reset / timed out). */
  status: number | null;
  body: { returnCode: number; msgInfo: string; error: { code: string; msg: string } | null; result: T; seq?: number; epoch?: string } | null;
  networkError?: string;
}

export class Rest {
  /** Where the signed timestamp comes from: the wall clock, or an in-process server's clock (ManualTime). */
  now: () => number = Date.now;

  constructor(readonly baseUrl: string, readonly apiKey: string, readonly secret: string, readonly timeoutMs = 5_000) {}

  private headers(path: string, method: string, rawQuery: string, rawBody: string): Record<string, string> {
    const ts = String(this.now());
    return {
      'validate-appkey': this.apiKey,
      'validate-timestamp': ts,
      'validate-signature': sign(this.secret, signaturePayload('', this.apiKey, ts, { method, path, rawQuery, rawBody })),
      'content-type': 'application/json',
    };
  }

  async get<T = unknown>(path: string, query: Record<string, string | number> = {}): Promise<XtReply<T>> {
    const rawQuery = new URLSearchParams(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return this.send<T>(`${this.baseUrl}${path}${rawQuery ? `?${rawQuery}` : ''}`, { headers: this.headers(path, 'GET', rawQuery, '') });
  }

  async post<T = unknown>(path: string, body: Record<string, unknown>): Promise<XtReply<T>> {
    const rawBody = JSON.stringify(body);
    return this.send<T>(`${this.baseUrl}${path}`, { method: 'POST', headers: this.headers(path, 'POST', '', rawBody), body: rawBody });
  }

  private async send<T>(url: string, init: RequestInit): Promise<XtReply<T>> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { status: null, body: null, networkError: `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}` };
    }
    let text = '';
    try {
      text = await response.text();
      return { status: response.status, body: JSON.parse(text) as XtReply<T>['body'] };
    } catch (error) {
      // The connection died mid-body, or the body was not JSON.
      return { status: response.status, body: null, networkError: `unreadable body (${(error as Error).message}): ${text.slice(0, 200)}` };
    }
  }
}

export interface Admin {
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export function admin(baseUrl: string, token: string, timeoutMs = 5_000): Admin {
  return {
    async request<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(`${baseUrl}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

export interface Funded {
  accountId: number;
  apiKey: string;
  secret: string;
}

export async function createFunded(adminApi: Admin, amount: string): Promise<Funded> {
  const created = await adminApi.request<Funded>('POST', '/accounts');
  if (created.status !== 200) throw new Error(`createAccount: ${created.status} ${JSON.stringify(created.body)}`);
  const deposit = await adminApi.request('POST', '/deposit', { accountId: created.body.accountId, asset: 'USDT', amount });
  if (deposit.status !== 200) throw new Error(`deposit: ${deposit.status} ${JSON.stringify(deposit.body)}`);
  return created.body;
}

// ---------------------------------------------------------------------------------------------
// XT stream client keeping raw pushes and whole acks

export interface RawPush {
  text: string;
  topic: string;
  seq: number;
  data: Record<string, unknown>;
}

export interface Ack {
  id: unknown;
  code: number;
  msg: string;
  epoch?: string;
  seq?: number;
  resume?: { recovered: true; from: number; to: number } | { recovered: false; reason: string };
}

export class ResumeStream {
  readonly pushes: RawPush[] = [];
  readonly acks: Ack[] = [];
  /** Everything received, in order (acks, pushes, pongs). */
  readonly log: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  private readonly pinger: NodeJS.Timeout;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      this.log.push(text);
      if (text !== 'pong') {
        const message = JSON.parse(text) as Record<string, unknown>;
        if (typeof message.topic === 'string') {
          this.pushes.push({ text, topic: message.topic, seq: message.seq as number, data: message.data as Record<string, unknown> });
        } else {
          this.acks.push(message as unknown as Ack);
        }
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      clearInterval(this.pinger);
      this.wake();
    });
    this.pinger = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.send('ping');
    }, 10_000);
    this.pinger.unref();
  }

  static async connect(wsUrl: string, timeoutMs = 5_000): Promise<ResumeStream> {
    const socket = new WebSocket(`${wsUrl}/ws/user`);
    await withTimeout(new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }), timeoutMs, 'stream connect');
    return new ResumeStream(socket);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.pushes.length} pushes, last seq ${this.lastSeq()}, ` +
          `acks ${JSON.stringify(this.acks)}, closed ${JSON.stringify(this.closed)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends SUBSCRIBE (with `resume` if given) without waiting. Returns the index its ack will have. */
  sendSubscribe(listenKey: string, topics: readonly string[], resume?: { epoch: string; seq: number } | unknown, id = `sub-${Math.random().toString(36).slice(2)}`): string {
    const request: Record<string, unknown> = { method: 'SUBSCRIBE', params: topics.map((t) => `${t}@${listenKey}`), id };
    if (resume !== undefined) request.resume = resume;
    this.socket.send(JSON.stringify(request));
    return id;
  }

  async ackOf(id: string, timeoutMs = 5_000): Promise<Ack> {
    await this.until(() => this.acks.some((a) => a.id === id), timeoutMs, `the ack of ${id}`);
    return this.acks.find((a) => a.id === id)!;
  }

  async subscribe(listenKey: string, topics: readonly string[] = ALL_TOPICS, resume?: { epoch: string; seq: number } | unknown): Promise<Ack> {
    return this.ackOf(this.sendSubscribe(listenKey, topics, resume));
  }

  lastSeq(): number | null {
    return this.pushes.at(-1)?.seq ?? null;
  }

  /**
   * The barrier: a ping/pong round trip. Pongs leave through the same outgoing queue as pushes, so
   * when the pong is here every push the server queued before it read the ping is here too.
   */
  async sync(timeoutMs = 5_000): Promise<void> {
    const pongs = (): number => this.log.filter((text) => text === 'pong').length;
    const before = pongs();
    this.socket.send('ping');
    await this.until(() => pongs() > before, timeoutMs, 'the pong of a sync ping');
  }

  /** Index in the message log of the ack with this id (to check what came before and after it). */
  logIndexOfAck(id: string): number {
    return this.log.findIndex((text) => text.startsWith('{"id"') && (JSON.parse(text) as { id: unknown }).id === id);
  }

  close(): void {
    clearInterval(this.pinger);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
  }

  terminate(): void {
    clearInterval(this.pinger);
    this.socket.terminate();
  }
}

export const ALL_TOPICS = ['balance', 'position', 'trade', 'order', 'notify'] as const;

/** Seqs strictly increasing by one from `first`, else a message naming the first break. */
export function gapFree(pushes: readonly { seq: number }[], first: number): string | null {
  for (let i = 0; i < pushes.length; i++) {
    if (pushes[i]!.seq !== first + i) {
      const around = pushes.slice(Math.max(0, i - 3), i + 4).map((p) => p.seq).join(', ');
      return `push #${i} has seq ${pushes[i]!.seq}, expected ${first + i} (around: ${around})`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The real process

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const live = new Set<ChildProcess>();

process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface RecoveryLine {
  snapshotSeq: number | null;
  replayed: number;
  hashesChecked: number;
  cmdSeq: number;
  epoch: string;
  newEpoch: boolean;
}

export class ServerProcess {
  readonly lines: string[] = [];
  url = '';
  wsUrl = '';
  recovery: RecoveryLine | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listening: Promise<void>;

  private constructor(readonly child: ChildProcess, readonly dataDir: string) {
    live.add(child);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }));
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        this.onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => this.lines.push(...chunk.toString().split('\n').filter((l) => l !== '').map((l) => `[stderr] ${l}`)));
    this.listening = new Promise((resolve, reject) => {
      this.onListening = resolve;
      void this.exited.then(({ code, signal }) => reject(new Error(`perpstream exited (code ${code}, signal ${signal}) before listening:\n${this.lines.join('\n')}`)));
    });
    this.listening.catch(() => undefined);
  }

  private onListening: () => void = () => undefined;
  /** Called after every line the process prints (lineMatching's waiters). */
  private lineWaiters = new Set<() => void>();

  /** Resolves once the process has printed a line that `matches` (already, or as it prints it). */
  lineMatching(matches: (line: string) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.lines.some(matches)) return;
        this.lineWaiters.delete(check);
        resolve();
      };
      this.lineWaiters.add(check);
      check();
    });
  }

  private onLine(raw: string): void {
    this.lines.push(raw);
    for (const waiter of [...this.lineWaiters]) waiter();
    // Log lines are JSON (pino); the demo's credentials are plain text.
    let line = raw;
    if (raw.startsWith('{')) {
      try {
        line = String((JSON.parse(raw) as { msg?: unknown }).msg ?? raw);
      } catch {
        line = raw;
      }
    }
    const recovered = /^recovered .* now at command (\d+), stream epoch ([0-9a-f]+)( \(new\))?/.exec(line);
    if (recovered) {
      const snapshot = /snapshot at command (\d+|none)/.exec(line)![1]!;
      this.recovery = {
        snapshotSeq: snapshot === 'none' ? null : Number(snapshot),
        replayed: Number(/(\d+) journal commands replayed/.exec(line)![1]),
        hashesChecked: Number(/(\d+) state hashes checked/.exec(line)![1]),
        cmdSeq: Number(recovered[1]), epoch: recovered[2]!, newEpoch: recovered[3] !== undefined,
      };
    }
    const listening = /^perpstream listening on (http:\/\/[^\s]+)/.exec(line);
    if (listening) {
      this.url = listening[1]!;
      this.wsUrl = this.url.replace(/^http/, 'ws');
      this.onListening();
    }
  }

  /** Starts `node dist/src/main.js --no-sim` on `dataDir` without waiting; `fileLimit` lowers its open-file limit (ulimit -n). */
  static spawn(dataDir: string, adminToken: string, fileLimit?: number): ServerProcess {
    const args = [MAIN_JS, '--no-sim', '--port', '0', '--data-dir', dataDir, '--admin-token', adminToken];
    const child = fileLimit === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${fileLimit} && exec "$0" "$@"`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServerProcess(child, dataDir);
  }

  /** Starts it and waits until it serves (and, on a fresh directory, has made its demo accounts). */
  static async start(dataDir: string, adminToken: string, timeoutMs = 20_000, fileLimit?: number): Promise<ServerProcess> {
    const server = ServerProcess.spawn(dataDir, adminToken, fileLimit);
    try {
      await withTimeout(server.listening, timeoutMs, `perpstream to listen on ${dataDir}`);
      if (server.recovery?.newEpoch && server.recovery.cmdSeq === 0) {
        // main.ts makes its demo accounts right after it starts listening.
        await withTimeout(server.lineMatching((l) => l.startsWith('demo account bob')), timeoutMs, 'the demo accounts');
      }
    } catch (error) {
      await server.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  get running(): boolean {
    return live.has(this.child);
  }

  async kill(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return withTimeout(this.exited, timeoutMs, `perpstream to exit after ${signal}`);
  }
}

export async function killAllServers(): Promise<void> {
  const exits = [...live].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  }));
  for (const child of [...live]) child.kill('SIGKILL');
  await Promise.all(exits);
}

// ---------------------------------------------------------------------------------------------
// Journal reading and the reference run

/** readJournal on a copy of `<dataDir>/journal` (it cuts a torn tail, which must never touch a live directory). */
export async function readJournalCopy(dataDir: string): Promise<RecoveredJournal> {
  const dir = await tempDir('journal-copy');
  try {
    await fs.cp(join(dataDir, 'journal'), join(dir, 'journal'), { recursive: true });
    return await readJournal(realFileOps, join(dir, 'journal'), 0);
  } finally {
    await removeDir(dir);
  }
}

export const canonical = (value: unknown): string => encodeJson(value);

/**
 * What an uninterrupted perpstream would have done with a command stream: the engine (the server's
 * symbols — the harness's DEMO_SYMBOLS unless given, DEFAULT_SYMBOLS for a spawned process — and HEDGE), the XT frames it would push per account (encoded in
 * the order the live server encodes them), and every command's result.
 */
export class Reference {
  readonly engine: Engine;
  private readonly encoder: XtEncoder;
  readonly frames = new Map<number, { seq: number; text: string }[]>();
  readonly results = new Map<number, { command: Command; result: CommandResult }>();
  /** accountId|clientOrderId → the first (non-duplicate) placeOrder result. */
  readonly placed = new Map<string, { seq: number; result: CommandResult }>();

  constructor(private readonly keepResults = true, symbols: readonly SymbolSpec[] = DEMO_SYMBOLS) {
    this.engine = new Engine({ symbols, defaultPositionMode: 'HEDGE' });
    this.encoder = new XtEncoder(new Map(this.engine.symbols().map((c) => [c.symbol, c])));
  }

  get cmdSeq(): number {
    return this.engine.cmdSeq;
  }

  apply(seq: number, command: Command): CommandResult {
    if (seq !== this.engine.cmdSeq + 1) throw new Error(`reference: command ${seq} after ${this.engine.cmdSeq}: the archived journal has a gap`);
    const applied = this.engine.apply(command);
    for (const event of applied.events) {
      if (this.encoder.topicOf(event) === null) continue;
      let list = this.frames.get(event.accountId);
      if (list === undefined) this.frames.set(event.accountId, (list = []));
      for (const text of this.encoder.encode(event)) list.push({ seq: event.seq, text });
    }
    if (this.keepResults) this.results.set(seq, { command, result: applied.result });
    if (command.type === 'placeOrder' && command.clientOrderId !== undefined) {
      const key = `${command.accountId}|${command.clientOrderId}`;
      const duplicate = applied.result.ok && applied.result.kind === 'order' && applied.result.duplicate;
      if (!duplicate && !this.placed.has(key)) this.placed.set(key, { seq, result: applied.result });
    }
    return applied.result;
  }

  framesAfter(accountId: number, seq: number): string[] {
    return (this.frames.get(accountId) ?? []).filter((f) => f.seq > seq).map((f) => f.text);
  }
}

/** Replays journal records into a fresh reference. */
export function referenceOf(records: readonly { seq: number; command: Command }[]): Reference {
  const reference = new Reference();
  for (const { seq, command } of records) reference.apply(seq, command);
  return reference;
}

/** The byte offsets of each frame in a journal segment: [start, end) per record. */
export function frameOffsets(buffer: Buffer): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const end = offset + 8 + buffer.readUInt32LE(offset);
    if (end > buffer.length) break;
    out.push({ start: offset, end });
    offset = end;
  }
  return out;
}

export async function segmentsOf(dataDir: string): Promise<string[]> {
  return (await fs.readdir(join(dataDir, 'journal'))).filter((n) => /^journal-\d{16}\.log$/.test(n)).sort();
}

export async function snapshotsOf(dataDir: string): Promise<string[]> {
  return (await fs.readdir(join(dataDir, 'snapshots'))).filter((n) => /^snapshot-\d{16}\.snap$/.test(n)).sort();
}

// ---------------------------------------------------------------------------------------------
// In-process servers on a data directory

export const ADMIN = ADMIN_TOKEN;

export interface Node {
  server: RunningServer;
  admin: Admin;
  logs: string[];
  dataDir: string;
}

const openNodes = new Set<RunningServer>();

/** An in-process server (the shared harness's) over `dataDir` (null: in memory), its log lines kept. */
export async function startNode(dataDir: string | null, options: Partial<ServerOptions> = {}): Promise<Node> {
  const logs: string[] = [];
  const { server } = await Harness.start({
    dataDir, log: (message) => logs.push(message), snapshotEveryCommands: 1_000_000, snapshotEveryMs: 3_600_000, ...options,
  });
  openNodes.add(server);
  const close = server.close.bind(server);
  (server as { close: () => Promise<void> }).close = () => {
    openNodes.delete(server);
    return close();
  };
  return { server, admin: admin(server.url, ADMIN), logs, dataDir: dataDir ?? '' };
}

/** Everything a test file may have left behind when it failed half way: servers, child processes, directories. */
export async function cleanup(): Promise<void> {
  for (const server of [...openNodes]) await withTimeout(server.close(), 5_000, 'closing a leftover server').catch(() => undefined);
  await killAllServers();
  await removeAllTempDirs();
}

export interface Trader extends Funded {
  rest: Rest;
  listenKey: string;
}

export async function trader(node: Node, deposit = '100000'): Promise<Trader> {
  const funded = await createFunded(node.admin, deposit);
  const rest = new Rest(node.server.url, funded.apiKey, funded.secret);
  rest.now = () => node.server.exchange.now();
  const key = await rest.get<string>('/future/user/v1/user/listen-key');
  if (key.body?.returnCode !== 0) throw new Error(`listen-key: ${JSON.stringify(key)}`);
  return { ...funded, rest, listenKey: key.body.result };
}

/** The same trader against another server (a restarted one): same keys, new base URL. */
export function rebind(t: Trader, url: string): Trader {
  return { ...t, rest: new Rest(url, t.apiKey, t.secret) };
}

/** A resting limit order far below the market (no fill): three events (order, position, balance). */
export function restingBuy(t: Trader, clientOrderId?: string, price = '50000'): Promise<XtReply<string>> {
  return t.rest.post<string>('/future/trade/v1/order/create', {
    symbol: 'btc_usdt', orderSide: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', price, origQty: '1', ...(clientOrderId ? { clientOrderId } : {}),
  });
}

export function expectOk<T>(reply: XtReply<T>, what: string): T {
  if (reply.body?.returnCode !== 0) throw new Error(`${what} failed: ${JSON.stringify(reply)}`);
  return reply.body.result;
}

/** The account's seq and epoch from a REST snapshot. */
export async function restSeq(t: Trader): Promise<{ seq: number; epoch: string }> {
  const reply = await t.rest.get('/future/user/v1/balance/list');
  if (reply.body?.returnCode !== 0 || reply.body.seq === undefined) throw new Error(`balance/list: ${JSON.stringify(reply)}`);
  return { seq: reply.body.seq, epoch: reply.body.epoch! };
}

/**
 * Stops an in-process server the way a crash would leave its data directory: no closing snapshot
 * (the journal handle and the HTTP side are closed so the test process stays clean).
 */
export async function abandon(node: Node): Promise<void> {
  const store = node.server.store as unknown as { timer: NodeJS.Timeout | null; journal: { close(): Promise<void> }; close: () => Promise<void> } | null;
  if (store !== null) {
    if (store.timer !== null) clearInterval(store.timer);
    store.close = () => store.journal.close();
  }
  await node.server.close();
}
