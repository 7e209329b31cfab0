/**
 * A gateway's side of the engine's internal API (internal-api.ts): the bootstrap, the market state,
 * older history (the gateway's OlderHistory: what its window and Redis no longer hold is served
 * from the engine's window or journal), and the link whose presence says the engine is up.
 */
import WebSocket from 'ws';
import type { LogFn } from '../ops/log.js';
import { decodeJson } from '../persistence/codec.js';
import type { OlderHistory, ReplayResult } from '../service/event-log.js';
import type { Bootstrap, MarketBootstrap } from './bootstrap.js';
import { INTERNAL_PREFIX, LINK_PATH, type HistoryRequest, type LinkHello } from './internal-api.js';

export class EngineClient implements OlderHistory {
  private readonly base: string;

  constructor(engineUrl: string, private readonly token: string) {
    this.base = engineUrl.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  async bootstrap(): Promise<Bootstrap> {
    return this.get<Bootstrap>('bootstrap');
  }

  async market(): Promise<MarketBootstrap> {
    return this.get<MarketBootstrap>('market');
  }

  /** An account's events after afterSeq through throughSeq (all or none). */
  async history(request: HistoryRequest, signal?: AbortSignal): Promise<ReplayResult> {
    const response = await fetch(`${this.base}${INTERNAL_PREFIX}/history`, {
      method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' }, body: JSON.stringify(request), signal,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`the engine answered ${response.status} to a history request: ${text.slice(0, 200)}`);
    return decodeJson<ReplayResult>(text);
  }

  /** OlderHistory: history the gateway's window does not hold, from the engine (never a rejection). */
  async eventsOf(accountId: number, afterSeq: number, throughSeq: number, _throughCmdSeq: number, maxEvents: number, signal?: AbortSignal): Promise<ReplayResult> {
    try {
      return await this.history({ accountId, afterSeq, throughSeq, maxEvents }, signal);
    } catch (error) {
      return { recovered: false, reason: `older history comes from the engine, which did not answer (${error instanceof Error ? error.message : String(error)}); resume again shortly or fetch a REST snapshot` };
    }
  }

  private async get<T>(what: string): Promise<T> {
    const response = await fetch(`${this.base}${INTERNAL_PREFIX}/${what}`, { headers: { authorization: `Bearer ${this.token}` } });
    const text = await response.text();
    if (!response.ok) throw new Error(`the engine answered ${response.status} to ${what}: ${text.slice(0, 200)}`);
    return decodeJson<T>(text);
  }

  /** Opens the link and keeps it open (reconnecting) until stopped; `onChange` says up (with the engine's hello) or down. */
  link(onChange: (hello: LinkHello | null) => void, log: LogFn): EngineLink {
    return new EngineLink(`${this.base.replace(/^http/, 'ws')}${LINK_PATH}`, this.token, onChange, log);
  }
}

/** The gateway's open connection to the engine: closed (at once, by the kernel) when the engine dies. */
export class EngineLink {
  private socket: WebSocket | null = null;
  private stopped = false;
  private up = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly url: string, private readonly token: string, private readonly onChange: (hello: LinkHello | null) => void, private readonly log: LogFn) {
    this.connect();
  }

  get isUp(): boolean {
    return this.up;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.terminate();
  }

  private connect(): void {
    const socket = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.token}` } });
    this.socket = socket;
    socket.on('message', (data) => {
      if (this.up) return;
      this.up = true;
      this.log(`engine at ${this.url.replace(LINK_PATH, '')} is up`, 'info');
      this.onChange(JSON.parse(String(data)) as LinkHello);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.up && !this.stopped) this.log('the link to the engine closed: not ready until it is back', 'warn');
      const was = this.up;
      this.up = false;
      if (was) this.onChange(null);
      if (this.stopped) return;
      // Try again soon: the engine restarts in seconds, and readiness waits for it.
      this.timer = setTimeout(() => this.connect(), 200);
      this.timer.unref();
    });
  }
}
