/**
 * The four REST front doors of one account, each signed the way its dialect signs, with the
 * server's (shiftable) clock, and each insisting on success: a step that fails at the door says
 * which door and what it answered.
 */
import { sign, signaturePayload } from '../../src/dialects/xt/auth.js';
import type { Clock } from '../../src/service/clock.js';
import { BinanceRest } from '../binance/client.js';
import { BybitRest } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { XtClient } from '../support/xt-client.js';
import { parseExactJson } from './exact.js';
import type { Credentials } from './streams.js';

type Json = Record<string, unknown>;

/**
 * The server's clock, which the test moves forward: mark-price pushes are paced per position (at most
 * one per second of engine time), so a mark move is made a full interval after the previous one by
 * moving the clock rather than by waiting. Signed clients sign with this clock too.
 */
export class ShiftedClock implements Clock {
  offset = 0;
  now = (): number => Date.now() + this.offset;

  advance(ms: number): void {
    this.offset += ms;
  }
}

/** What a front door signs with: the server's now, and how far it is from the wall clock (Binance's client skews by it). */
export interface SigningClock {
  now(): number;
  readonly offset: number;
}

/** A ManualTime (or any Clock) as a SigningClock. */
export const signingClock = (clock: Clock): SigningClock => ({ now: () => clock.now(), get offset() { return clock.now() - Date.now(); } });

export class FrontDoors {
  private readonly binanceRest: BinanceRest;
  private readonly bybitRest: BybitRest;
  private readonly kucoinRest: KucoinRest;
  private readonly xtRest: XtClient;

  constructor(private readonly baseUrl: string, readonly account: Credentials, private readonly clock: SigningClock) {
    this.binanceRest = new BinanceRest(baseUrl, account.apiKey, account.secret);
    this.bybitRest = new BybitRest(baseUrl, account.apiKey, account.secret);
    this.kucoinRest = new KucoinRest(baseUrl, account.apiKey, account.secret, account.passphrase);
    this.xtRest = new XtClient(baseUrl, account.apiKey, account.secret);
  }

  /** XT: a signed POST with a JSON body; returns `result`. */
  async xt(path: string, body: Json): Promise<unknown> {
    const rawBody = JSON.stringify(body);
    const timestamp = String(this.clock.now());
    const signature = sign(this.account.secret, signaturePayload('', this.account.apiKey, timestamp, { method: 'POST', path, rawQuery: '', rawBody }));
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'validate-appkey': this.account.apiKey, 'validate-timestamp': timestamp, 'validate-signature': signature, 'content-type': 'application/json' },
      body: rawBody,
    });
    const reply = (await response.json()) as { returnCode: number; result: unknown };
    if (reply.returnCode !== 0) throw new Error(`XT ${path} ${rawBody}: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  /** XT: a signed GET; returns `result`. */
  async xtGet(path: string, query: Record<string, string> = {}): Promise<unknown> {
    const reply = await this.xtRest.get(path, query, { timestamp: this.clock.now() });
    if (reply.returnCode !== 0) throw new Error(`XT GET ${path}: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  /** Bybit: a signed GET; returns `result`. */
  async bybitGet(path: string, query: Record<string, string>): Promise<Json> {
    const reply = await this.bybitRest.get(path, query, { timestamp: this.clock.now() });
    if (reply.retCode !== 0) throw new Error(`Bybit GET ${path} ${JSON.stringify(query)}: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  /** KuCoin futures host: a signed GET; returns `data` read with every number as its exact text. */
  async kucoinGet(path: string, query: Record<string, string>): Promise<unknown> {
    const reply = await this.kucoinRest.request('GET', 'futures', path, { query, timestamp: this.clock.now() });
    const body = parseExactJson(reply.text) as { code: string; data?: unknown };
    if (body.code !== '200000') throw new Error(`KuCoin GET ${path} ${JSON.stringify(query)}: ${reply.status} ${reply.text}`);
    return body.data;
  }

  /** Binance: a signed call (query for GET/DELETE, form body for POST/PUT); returns the body. */
  async binance(method: string, path: string, params: Record<string, string | number | boolean>): Promise<Json> {
    this.binanceRest.clockSkewMs = this.clock.offset;
    const reply = await this.binanceRest.signed(method, path, params);
    if (reply.status !== 200) throw new Error(`Binance ${method} ${path} ${JSON.stringify(params)}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** Bybit: a signed POST; returns `result`. */
  async bybit(path: string, body: Json): Promise<Json> {
    const reply = await this.bybitRest.post(path, body, { timestamp: this.clock.now() });
    if (reply.retCode !== 0) throw new Error(`Bybit ${path} ${JSON.stringify(body)}: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  /** KuCoin futures host: a signed call, answered as it is (for calls that must be refused). */
  async kucoinReply(method: 'POST' | 'DELETE', path: string, body?: Json): Promise<{ status: number; body: { code: string; msg?: string } }> {
    const reply = await this.kucoinRest.request(method, 'futures', path, { body, timestamp: this.clock.now() });
    return { status: reply.status, body: reply.body as { code: string; msg?: string } };
  }

  /** KuCoin futures host: a signed call; returns `data`. */
  async kucoin(method: 'POST' | 'DELETE', path: string, body?: Json): Promise<unknown> {
    const reply = await this.kucoinRest.request(method, 'futures', path, { body, timestamp: this.clock.now() });
    if (reply.body.code !== '200000') throw new Error(`KuCoin ${method} ${path} ${JSON.stringify(body)}: ${reply.status} ${reply.text}`);
    return reply.body.data;
  }
}
