/**
 * One account's five private streams (XT, Binance, Bybit, KuCoin classic and UTA) on one node —
 * the engine process or a gateway — recording every push as the text the node sent, so that what a
 * gateway pushes can be compared with what the engine itself pushes for the same events.
 */
import { BinanceRest, BinanceStream } from '../binance/client.js';
import { BybitStream } from '../bybit/client.js';
import { KucoinRest, KucoinStream } from '../kucoin/client.js';
import { StreamClient, XtClient } from '../support/xt-client.js';

export interface AccountKeys {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
  xtKey: string;
  binanceKey: string;
  /** The classic stream's path and query (host left out: any node serves it). */
  kucoinPath: string;
  utaToken: string;
}

/** Stream credentials asked of `restUrl` (a gateway forwards them to the engine; every node honours them). */
export async function keysOf(restUrl: string, account: { accountId: number; apiKey: string; secret: string; passphrase: string }): Promise<AccountKeys> {
  const kucoin = new KucoinRest(restUrl, account.apiKey, account.secret, account.passphrase);
  const classic = new URL(await kucoin.futuresStreamUrl());
  const bullet = KucoinRest.data(await kucoin.post<{ token: string }>('/api/v2/bullet-private', {}, 'spot'));
  return {
    ...account,
    xtKey: await new XtClient(restUrl, account.apiKey, account.secret).listenKey(),
    binanceKey: await new BinanceRest(restUrl, account.apiKey, account.secret).listenKey(),
    kucoinPath: `${classic.pathname}${classic.search}`,
    utaToken: bullet.token,
  };
}

const KUCOIN_TOPICS = ['/contractMarket/tradeOrders', '/contractAccount/wallet', '/contract/position:XBTUSDTM'];
const WAIT_MS = 15_000;

export type Dialect = 'xt' | 'binance' | 'bybit' | 'kucoin' | 'uta';

export class PrivateStreams {
  private constructor(
    readonly xt: StreamClient, readonly binance: BinanceStream, readonly bybit: BybitStream, readonly kucoin: KucoinStream, readonly uta: KucoinStream,
  ) {}

  static async open(wsUrl: string, keys: AccountKeys): Promise<PrivateStreams> {
    const xt = await StreamClient.connect(wsUrl);
    const ack = await xt.subscribe(keys.xtKey, ['balance', 'position', 'trade', 'order', 'notify']);
    if (ack.code !== 0) throw new Error(`XT subscribe on ${wsUrl}: ${JSON.stringify(ack)}`);
    const binance = await BinanceStream.connect(wsUrl, `/binance/ws/${keys.binanceKey}`);
    const bybit = await BybitStream.connect(wsUrl);
    const auth = await bybit.auth(keys.apiKey, keys.secret);
    if (auth.success !== true) throw new Error(`Bybit auth on ${wsUrl}: ${JSON.stringify(auth)}`);
    const subscribed = await bybit.subscribe(['position', 'order', 'execution', 'wallet']);
    if (subscribed.success !== true) throw new Error(`Bybit subscribe on ${wsUrl}: ${JSON.stringify(subscribed)}`);
    const kucoin = await KucoinStream.connect(`${wsUrl}${keys.kucoinPath}`);
    await kucoin.until(() => kucoin.frames.length >= 1, 'the KuCoin welcome', WAIT_MS);
    for (const topic of KUCOIN_TOPICS) {
      const answer = await kucoin.subscribe(topic);
      if (answer.type !== 'ack') throw new Error(`KuCoin subscribe ${topic} on ${wsUrl}: ${JSON.stringify(answer)}`);
    }
    const uta = await KucoinStream.connect(`${wsUrl}/kucoin/uta?token=${keys.utaToken}`);
    await uta.until(() => uta.frames.length >= 1, 'the KuCoin UTA welcome', WAIT_MS);
    const utaAck = await uta.request({ action: 'subscribe', channel: 'positionAll', tradeType: 'FUTURES' });
    if (utaAck.result !== true) throw new Error(`KuCoin UTA subscribe on ${wsUrl}: ${JSON.stringify(utaAck)}`);
    return new PrivateStreams(xt, binance, bybit, kucoin, uta);
  }

  /** Each dialect's pushes, as the texts received (acks, welcomes and pongs left out). */
  pushes(): Record<Dialect, string[]> {
    return {
      xt: this.xt.texts.filter((t) => t.startsWith('{"topic"')),
      binance: this.binance.events.map((e) => JSON.stringify(e)),
      bybit: this.bybit.frames.filter((f) => f.topic !== undefined).map((f) => JSON.stringify(f)),
      kucoin: this.kucoin.texts.filter((t) => (JSON.parse(t) as { type?: string }).type === 'message'),
      uta: this.uta.texts.filter((t) => (JSON.parse(t) as { T?: string }).T !== undefined),
    };
  }

  /** Waits until every stream but UTA (which carries no wallet) shows a wallet of `asset`, and UTA a push with seq ≥ `utaSeq`. */
  async caughtUp(asset: RegExp, utaSeq: number): Promise<void> {
    const has = (texts: readonly string[]) => texts.some((t) => asset.test(t));
    await Promise.all([
      this.xt.until(() => has(this.xt.texts), WAIT_MS, `XT: ${asset}`),
      this.binance.until(() => this.binance.events.some((e) => asset.test(JSON.stringify(e))), WAIT_MS, `Binance: ${asset}`),
      this.bybit.until(() => this.bybit.frames.some((f) => asset.test(JSON.stringify(f))), `Bybit: ${asset}`, WAIT_MS),
      this.kucoin.until(() => has(this.kucoin.texts), `KuCoin: ${asset}`, WAIT_MS),
      this.uta.until(() => this.uta.frames.some((f) => f.T !== undefined && Number(f.seq) >= utaSeq), `KuCoin UTA: seq ${utaSeq}`, WAIT_MS),
    ]);
  }

  close(): void {
    for (const stream of [this.xt, this.binance, this.bybit, this.kucoin, this.uta]) stream.close();
  }
}
