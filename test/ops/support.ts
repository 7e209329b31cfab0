/**
 * Helpers of the operations tests: scraping and reading Prometheus text, capturing log records,
 * and a perpstream child process whose output lines are awaited (no sleeping).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../support/timeout.js';

/** GET a URL: status, content type and body text. */
export async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** The value of one sample in Prometheus text (labels given must all match), or 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = new Map([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) {
      total += Number(match[4]);
      found = true;
    }
  }
  return found ? total : 0;
}

/** Log records written as JSON lines to a destination the test holds. */
export class CapturedLog {
  readonly records: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly destination = {
    write: (line: string): void => {
      this.raw.push(line);
      this.records.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** `node dist/src/main.js …` with its stdout read line by line; waits are on lines, not time. */
export class Child {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];
  private hasExited = false;
  private readonly process: ChildProcess;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.process = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let buffered = '';
    this.process.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        this.lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      this.wake();
    });
    this.process.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => {
      this.hasExited = true;
      this.wake();
      resolve({ code, signal });
    }));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** JSON log records among the lines (the demo's credentials are plain text). */
  get records(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Resolves with the first line that satisfies `match` (already written or still to come). */
  async line(match: (line: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    return withTimeout((async () => {
      for (;;) {
        const found = this.lines.find(match);
        if (found !== undefined) return found;
        if (this.hasExited) throw new Error(`perpstream exited before ${what}:\n${this.lines.join('\n')}\n${this.stderr.join('')}`);
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    })(), timeoutMs, `${what}; output so far:\n${this.lines.join('\n')}\n${this.stderr.join('')}`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }
}
