/**
 * One account watched over every dialect at once: the XT stream (/ws/user, all five topics), the
 * Binance user-data stream (listenKey), the Bybit private stream (auth + position, order,
 * execution, wallet), the KuCoin classic futures stream (position, orders, stop orders, wallet, margin mode and
 * leverage topics) and the KuCoin UTA stream (positionAll and lw). Each stream's frames are decoded into its
 * own normalized model as they arrive.
 *
 * Barrier: after a step, the test deposits one unit of the asset SYNC into the account. Every
 * dialect pushes that wallet change after everything the step caused (a connection delivers an
 * account's events in order), so "the SYNC wallet shows n" means every push of steps 1…n has
 * arrived — no sleeping. The UTA stream carries positions and liquidation warnings only; it is
 * waited on by the seq of the step's last event it carries.
 */
import type { EngineEvent } from '../../src/engine/types.js';
import { BinanceRest, BinanceStream } from '../binance/client.js';
import { BybitStream } from '../bybit/client.js';
import { KucoinRest, KucoinStream } from '../kucoin/client.js';
import { StreamClient, XtClient, type Push } from '../support/xt-client.js';
import { decodeBinance, decodeBybit, decodeKucoin, decodeKucoinUta, decodeXt, kucoinSymbolName, type DecodeContext } from './decode.js';
import {
  actualBinance, actualBybit, actualKucoin, actualUta, actualXt, expectedBinance, expectedBybit, expectedKucoin, expectedUta, expectedXt,
  type DialectName,
} from './delivery.js';
import { parseExactJson } from './exact.js';
import { Model, type Units } from './model.js';

type Json = Record<string, unknown>;

export const SYNC_ASSET = 'SYNC';
const WAIT_MS = 10_000;

export interface Credentials {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
}

/** One dialect's stream of one account, decoded into its model. */
export interface DialectStream {
  readonly name: DialectName;
  readonly model: Model;
  /**
   * Waits until the pushes of every command up to the `sync`-th barrier have arrived (UTA, which
   * carries no wallet: up to the seq of the step's last event it carries).
   */
  caughtUp(sync: number, lastUtaSeq: number): Promise<void>;
  /** Waits until a frame with account seq ≥ `seq` has arrived (XT and Binance frames carry it). */
  reachedSeq(seq: number): Promise<void>;
  /** Marks the start of a step (the frames delivered from now on are the step's). */
  beginStep(): void;
  /** What the step's canonical events required vs what the stream delivered, as labels. */
  delivery(events: readonly EngineEvent[]): { expected: string[]; actual: string[] };
  close(): void;
}

/** Frames kept by a client, decoded once each, in arrival order. */
abstract class Recorded<F> implements DialectStream {
  readonly model = new Model();
  private decoded = 0;
  protected stepStart = 0;

  constructor(readonly name: DialectName, protected readonly ctx: DecodeContext) {}

  protected abstract frames(): readonly F[];
  protected abstract decode(frame: F): void;
  protected abstract until(condition: () => boolean, what: string): Promise<void>;
  abstract delivery(events: readonly EngineEvent[]): { expected: string[]; actual: string[] };
  abstract close(): void;

  protected ingest(): void {
    const frames = this.frames();
    while (this.decoded < frames.length) this.decode(frames[this.decoded++]!);
  }

  protected syncBalance(): string | undefined {
    this.ingest();
    const value = this.model.wallet(SYNC_ASSET)?.get('walletBalance');
    return typeof value === 'string' ? value : undefined;
  }

  async caughtUp(sync: number, _lastUtaSeq: number): Promise<void> {
    await this.until(() => this.syncBalance() === String(sync), `${this.name}: the SYNC barrier #${sync}`);
  }

  beginStep(): void {
    this.ingest();
    this.stepStart = this.frames().length;
  }

  /** A frame's account seq, for the dialects whose frames carry it (XT; Binance: its command's last event's). */
  protected seqOf(_frame: F): number | undefined {
    return undefined;
  }

  /**
   * Waits until a frame with account seq ≥ `seq` has arrived: the barrier of a stream that does not
   * carry the SYNC wallet (the coin-margined hosts show their coins' wallets only).
   */
  async reachedSeq(seq: number): Promise<void> {
    await this.until(() => this.frames().some((f) => (this.seqOf(f) ?? -1) >= seq), `${this.name}: a push with seq ≥ ${seq}`);
    this.ingest();
  }

  protected stepFrames(): readonly F[] {
    this.ingest();
    return this.frames().slice(this.stepStart);
  }
}

export class XtStream extends Recorded<Push> {
  constructor(ctx: DecodeContext, private readonly client: StreamClient) {
    super('xt', ctx);
  }

  /** `path`: /ws/user (USDT-M), /dapi/ws/user (Coin-M, with a key from the /dapi host's `rest`). */
  static async open(wsUrl: string, rest: XtClient, ctx: DecodeContext, path = '/ws/user'): Promise<XtStream> {
    const client = await StreamClient.connect(wsUrl, path);
    const ack = await client.subscribe(await rest.listenKey(), ['balance', 'position', 'trade', 'order', 'notify']);
    if (ack.code !== 0) throw new Error(`XT subscribe: ${JSON.stringify(ack)}`);
    return new XtStream(ctx, client);
  }

  protected frames() { return this.client.pushes; }
  protected decode(push: Push) { decodeXt(this.model, push, this.ctx); }
  protected override seqOf(push: Push) { return push.seq; }
  protected until(condition: () => boolean, what: string) { return this.client.until(condition, WAIT_MS, what); }
  delivery(events: readonly EngineEvent[]) { return { expected: expectedXt(events), actual: actualXt(this.stepFrames()) }; }
  close() { this.client.close(); }
}

export class BinanceUserStream extends Recorded<Json> {
  constructor(ctx: DecodeContext, private readonly client: BinanceStream, private readonly units: ReadonlyMap<string, Units>) {
    super('binance', ctx);
  }

  /** `prefix`: /binance (fstream, USDⓈ-M) or /binance/dstream (dstream, COIN-M); one listenKey serves both. */
  static async open(wsUrl: string, rest: BinanceRest, ctx: DecodeContext, units: ReadonlyMap<string, Units>, prefix = '/binance'): Promise<BinanceUserStream> {
    const client = await BinanceStream.connect(wsUrl, `${prefix}/private/ws?listenKey=${await rest.listenKey()}`);
    return new BinanceUserStream(ctx, client, units);
  }

  protected frames() { return this.client.events; }
  protected decode(event: Json) { decodeBinance(this.model, event, this.ctx); }
  protected override seqOf(event: Json) { return typeof event.seq === 'number' ? event.seq : undefined; }
  protected until(condition: () => boolean, what: string) { return this.client.until(condition, WAIT_MS, what); }
  delivery(events: readonly EngineEvent[]) { return { expected: expectedBinance(events, this.units), actual: actualBinance(this.stepFrames()) }; }
  close() { this.client.close(); }
}

export class BybitPrivateStream extends Recorded<Json> {
  constructor(ctx: DecodeContext, private readonly client: BybitStream, private readonly hedge: (cmdSeq: number) => boolean) {
    super('bybit', ctx);
  }

  /** `now`: the server's clock (the auth's `expires` must be ahead of it). */
  static async open(wsUrl: string, account: Credentials, ctx: DecodeContext, hedge: (cmdSeq: number) => boolean, now: () => number = Date.now): Promise<BybitPrivateStream> {
    const client = await BybitStream.connect(wsUrl);
    const auth = await client.auth(account.apiKey, account.secret, now() + 10_000);
    if (auth.success !== true) throw new Error(`Bybit auth: ${JSON.stringify(auth)}`);
    const ack = await client.subscribe(['position', 'order', 'execution', 'wallet']);
    if (ack.success !== true) throw new Error(`Bybit subscribe: ${JSON.stringify(ack)}`);
    return new BybitPrivateStream(ctx, client, hedge);
  }

  protected frames() { return this.client.frames; }
  protected decode(frame: Json) { decodeBybit(this.model, frame, this.ctx); }
  protected until(condition: () => boolean, what: string) { return this.client.until(condition, what, WAIT_MS); }
  delivery(events: readonly EngineEvent[]) { return { expected: expectedBybit(events, this.hedge), actual: actualBybit(this.stepFrames()) }; }
  close() { this.client.close(); }
}

/** KuCoin's frames re-read from their text with every number exact. */
abstract class KucoinRecorded extends Recorded<Json> {
  private parsed: Json[] = [];

  constructor(name: DialectName, ctx: DecodeContext, protected readonly client: KucoinStream) {
    super(name, ctx);
  }

  protected frames(): readonly Json[] {
    while (this.parsed.length < this.client.texts.length) this.parsed.push(parseExactJson(this.client.texts[this.parsed.length]!) as Json);
    return this.parsed;
  }

  protected until(condition: () => boolean, what: string) { return this.client.until(condition, what, WAIT_MS); }
  close() { this.client.close(); }
}

const KUCOIN_TOPICS = ['/contractMarket/tradeOrders', '/contractMarket/advancedOrders', '/contractAccount/wallet', '/contract/marginMode', '/contract/crossLeverage'];

export class KucoinClassicStream extends KucoinRecorded {
  static async open(rest: KucoinRest, ctx: DecodeContext, kucoinSymbols: readonly string[]): Promise<KucoinClassicStream> {
    const client = await KucoinStream.connect(await rest.futuresStreamUrl());
    await client.until(() => client.frames.length >= 1, 'welcome');
    for (const topic of [...KUCOIN_TOPICS, `/contract/position:${kucoinSymbols.join(',')}`]) {
      const ack = await client.subscribe(topic);
      if (ack.type !== 'ack') throw new Error(`KuCoin subscribe ${topic}: ${JSON.stringify(ack)}`);
    }
    return new KucoinClassicStream('kucoin', ctx, client);
  }

  protected decode(frame: Json) { decodeKucoin(this.model, frame, this.ctx); }
  delivery(events: readonly EngineEvent[]) { return { expected: expectedKucoin(events), actual: actualKucoin(this.stepFrames()) }; }
}

export class KucoinUtaStream extends KucoinRecorded {
  static async open(rest: KucoinRest, wsUrl: string, ctx: DecodeContext): Promise<KucoinUtaStream> {
    const client = await KucoinStream.connect(await rest.utaStreamUrl(wsUrl));
    await client.until(() => client.frames.length >= 1, 'welcome');
    for (const channel of ['positionAll', 'lw']) {
      const ack = await client.request({ action: 'subscribe', channel, tradeType: 'FUTURES' });
      if (ack.result !== true) throw new Error(`KuCoin UTA subscribe ${channel}: ${JSON.stringify(ack)}`);
    }
    return new KucoinUtaStream('kucoin-uta', ctx, client);
  }

  protected decode(frame: Json) { decodeKucoinUta(this.model, frame, this.ctx); }

  /** UTA carries no wallet: caught up once the push of the step's last event it carries (by seq) is here. */
  override async caughtUp(_sync: number, lastUtaSeq: number): Promise<void> {
    const seen = () => this.frames().some((f) => f.T !== undefined && Number(f.seq) >= lastUtaSeq);
    if (lastUtaSeq > 0) await this.until(seen, `kucoin-uta: the push with seq ${lastUtaSeq}`);
    this.ingest();
  }

  delivery(events: readonly EngineEvent[]) { return { expected: expectedUta(events), actual: actualUta(this.stepFrames()) }; }
}

/** Opens all five streams of one account. */
export async function openStreams(
  server: { url: string; wsUrl: string }, account: Credentials, ctx: DecodeContext, units: ReadonlyMap<string, Units>, hedge: (cmdSeq: number) => boolean,
): Promise<DialectStream[]> {
  const kucoin = new KucoinRest(server.url, account.apiKey, account.secret, account.passphrase);
  // KuCoin lists no USDT quarterly.
  const kucoinSymbols = [...units.values()].flatMap((u) => kucoinSymbolName(u) ?? []);
  return [
    await XtStream.open(server.wsUrl, new XtClient(server.url, account.apiKey, account.secret), ctx),
    await BinanceUserStream.open(server.wsUrl, new BinanceRest(server.url, account.apiKey, account.secret), ctx, units),
    await BybitPrivateStream.open(server.wsUrl, account, ctx, hedge),
    await KucoinClassicStream.open(kucoin, ctx, kucoinSymbols),
    await KucoinUtaStream.open(kucoin, server.wsUrl, ctx),
  ];
}
