/**
 * `xt-open-api` in its own process (xt-open-api-child.ts), in a directory holding its
 * `.config.json`: what its socket sent and received, and its REST calls by module (`futureU` for
 * the USDT-M host, `futureC` for the Coin-M host). Shared by xt-open-api.test.ts and xt-inverse.test.ts.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XtEnvelope } from '../support/xt-client.js';
import { EventLog, within } from './support.js';

export type Json = Record<string, unknown>;
export interface Push { topic: string; event: string; seq: number; data: Json }
const CHILD = fileURLToPath(new URL('./xt-open-api-child.js', import.meta.url));

/** The library in its own process, in a directory holding its `.config.json`; what its socket sent and received. */
export class LibraryProcess {
  /** JSON frames the library sent on its socket. */
  readonly sent = new EventLog<Json>();
  /** Pushes (frames with a topic) the server sent to the library's socket. */
  readonly pushes = new EventLog<Push>();
  /** Other JSON frames the server sent: the acks. */
  readonly acks = new EventLog<Json>();
  /** What the library passed its subscribePrivate callback. */
  readonly callbacks = new EventLog<unknown>();
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly dir: string) {
    child.stdout!.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    child.on('message', (message: Json) => this.onMessage(message));
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`the library's process exited (${code}); it wrote: ${this.output}`));
      this.pending.clear();
      resolve();
    }));
  }

  static async start(config: Json): Promise<LibraryProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'xt-open-api-'));
    await writeFile(join(dir, '.config.json'), JSON.stringify(config));
    return new LibraryProcess(fork(CHILD, [], { cwd: dir, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), dir);
  }

  private onMessage(message: Json): void {
    const text = String(message.text);
    if (message.kind === 'sent' && text.startsWith('{')) this.sent.push(JSON.parse(text) as Json);
    if (message.kind === 'received' && text.startsWith('{')) {
      const frame = JSON.parse(text) as Json;
      if (typeof frame.topic === 'string') this.pushes.push(frame as unknown as Push);
      else this.acks.push(frame);
    }
    if (message.kind === 'callback') this.callbacks.push(message.data);
    if (message.kind === 'reply') {
      const waiter = this.pending.get(message.id as number);
      this.pending.delete(message.id as number);
      if (message.error !== undefined) waiter?.reject(new Error(`the library's call failed: ${JSON.stringify(message.error)}`));
      else waiter?.resolve(message.value);
    }
  }

  private request(message: Json): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, ...message });
    });
  }

  /** `<module>.<method>(args)` as the library answers it (XT's envelope, success or not). */
  async call<T = unknown>(method: string, args?: Json, module: 'futureU' | 'futureC' = 'futureU'): Promise<XtEnvelope<T>> {
    return await within(this.request({ call: `${module}.${method}`, args }), method) as XtEnvelope<T>;
  }

  /** `<module>.<method>(args)`, which XT answers with returnCode 0; anything else fails the test with the answer. */
  async ok<T = unknown>(method: string, args?: Json, module: 'futureU' | 'futureC' = 'futureU'): Promise<T> {
    const reply = await this.call<T>(method, args, module);
    assert.equal(reply.returnCode, 0, `${module}.${method}: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  async subscribePrivate(topics: string[]): Promise<void> {
    await within(this.request({ call: 'futureWss.subscribePrivate', topics }), 'subscribePrivate');
  }

  /** The first push of `topic` whose data matches. */
  async pushed(topic: string, match: (data: Json) => boolean, what: string): Promise<Json> {
    return (await this.pushes.find((p) => p.topic === topic && match(p.data), what)).data;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      await within(this.request({ call: 'close' }), 'close the library\'s socket').catch(() => undefined);
      await within(this.exited, 'the library\'s process to exit').catch(() => this.child.kill());
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

