/**
 * KuCoin's classic futures private stream (protocols.md §4.1–4.2), served at /kucoin/futures:
 * the endpoint futures bullet-private returns. Connect with `?token=<token>&connectId=<id>`; the
 * server says {"id":connectId,"type":"welcome"}, answers {"id","type":"ping"} with pong, and
 * subscribes topics with {"id","type":"subscribe","topic","privateChannel":true,"response":true}
 * ({"id","type":"ack"} when response is true). Errors: {"id","type":"error","code","data"}.
 *
 * Topics: /contractMarket/tradeOrders[:SYM,SYM], /contractMarket/advancedOrders, /contractAccount/wallet, /contract/position:SYM[,SYM],
 * /contract/positionAll, /contract/marginMode, /contract/crossLeverage; and on every connection the
 * public market topics (market-stream.ts). A token from bullet-public opens a connection for the
 * public topics only; a private topic on it is refused (401).
 *
 * perpstream's extension: `"resume": {"epoch","seq","topics"?}` on the first private subscribe
 * subscribes its topic and `topics` together, then replays every event after `seq` (resume.ts);
 * its ack carries `epoch`, `seq` and `resume` (the outcome).
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { requestIdOf } from '../../gateway/inbound.js';
import { KucoinConnection, MAX_SUBSCRIPTIONS, type ConnectionOptions, type Message } from './connection.js';
import { TOPICS } from './encode.js';
import type { ResumeRequest } from '../resume.js';
import { MARKET_TOPICS, readMarketTopic, type KucoinMarketFeed, type MarketSubscriber, type MarketTopic } from './market-stream.js';
import { isLivePublicToken } from './public-token.js';
import type { KucoinSymbols } from './symbols.js';

const RESUME_WITH_TOPICS = '{"epoch": "<epoch>", "seq": <last seq received>, "topics": [<more private topics>]}';

export interface FuturesStreamOptions extends ConnectionOptions {
  symbols: KucoinSymbols;
  /** The public market topics (market-stream.ts). */
  feed: KucoinMarketFeed;
  /** How long a bullet-public token is good for. */
  publicTokenTtlMs: number;
}

/** The subscription keys a topic stands for, or the reason it is not a topic here. */
export function topicKeys(topic: string, symbols: KucoinSymbols): string[] | string {
  const at = topic.indexOf(':');
  const base = at < 0 ? topic : topic.slice(0, at);
  const names = at < 0 ? [] : topic.slice(at + 1).split(',').map((s) => s.trim());
  if (at >= 0 && names.some((n) => n === '')) return `topic ${topic} lists an empty symbol`;
  const unknown = names.filter((n) => symbols.find(n) === undefined);
  if (unknown.length > 0) return `topic ${topic}: ${unknown.join(', ')} is not a contract here (${symbols.names().join(', ')})`;
  const bare = (key: string): string[] | string => (at < 0 ? [key] : `topic ${base} takes no symbol`);
  switch (base) {
    case TOPICS.orders: return at < 0 ? ['orders'] : names.map((n) => `orders:${n}`);
    case TOPICS.position: return at < 0 ? `topic ${base} needs symbols: ${base}:XBTUSDTM[,ETHUSDTM]` : names.map((n) => `position:${n}`);
    case TOPICS.stopOrders: return bare('stopOrders');
    case TOPICS.wallet: return bare('wallet');
    case TOPICS.positionAll: return bare('positionAll');
    case TOPICS.marginMode: return bare('marginMode');
    case TOPICS.crossLeverage: return bare('crossLeverage');
    default: return `topic ${topic} is not found; private topics here: ${Object.values(TOPICS).join(', ')}; public: ${Object.values(MARKET_TOPICS).join(', ')}`;
  }
}

class FuturesConnection extends KucoinConnection implements MarketSubscriber {
  /** Public market subscriptions by their single-symbol topic. */
  private readonly market = new Map<string, MarketTopic>();

  constructor(socket: WebSocket, private readonly futures: FuturesStreamOptions) {
    super(socket, futures);
  }

  protected override acceptsPublicToken(token: string): boolean {
    return isLivePublicToken(token, this.futures.exchange.now(), this.futures.publicTokenTtlMs);
  }

  deliverMarket(text: string): void {
    this.session.send(text, 'market');
  }

  protected override onClosed(): void {
    for (const key of this.market.keys()) this.futures.feed.remove(key, this);
    this.market.clear();
    this.futures.connections.unbindPublic(this.socket);
  }

  /** A public market topic: subscribed (binding a public connection) or unsubscribed; false when it is not one. */
  private onMarketTopic(request: Message, topic: string): boolean {
    const topics = readMarketTopic(topic, this.futures.symbols);
    if (topics === null) return false;
    const id = request.id;
    if (typeof topics === 'string') {
      this.error(id, 404, topics);
      return true;
    }
    if (request.type === 'subscribe') {
      const added = topics.filter((t) => !this.market.has(t.key)).length;
      if (this.keys.size + this.market.size + added > MAX_SUBSCRIPTIONS) {
        this.error(id, 509, `exceed max subscription count limitation of ${MAX_SUBSCRIPTIONS} per connection`);
        return true;
      }
      for (const t of topics) {
        this.market.set(t.key, t);
        this.futures.feed.add(t, this);
      }
      if (this.account === null) this.futures.connections.bindPublic(this.socket);
    } else {
      for (const t of topics) {
        this.market.delete(t.key);
        this.futures.feed.remove(t.key, this);
      }
    }
    if (request.response === true) this.send({ id: requestIdOf(id), type: 'ack' });
    return true;
  }

  protected welcome(url: URL): string {
    const connectId = url.searchParams.get('connectId') ?? randomBytes(8).toString('hex');
    return JSON.stringify({ id: connectId, type: 'welcome' });
  }

  protected error(id: unknown, code: number, text: string): void {
    this.send({ id: requestIdOf(id), type: 'error', code, data: text });
  }

  protected onRequest(request: Message): void {
    const id = request.id;
    if (request.type !== 'subscribe' && request.type !== 'unsubscribe') {
      // Multiplexing (openTunnel / closeTunnel) is optional in KuCoin's protocol and not offered.
      return this.error(id, 415, 'type is not supported');
    }
    if (typeof request.topic !== 'string' || request.topic === '') return this.error(id, 400, 'topic is required, e.g. /contractMarket/tradeOrders');
    const resume = this.readResumeOf(request, ['topics'], RESUME_WITH_TOPICS);
    if (resume === 'refused') return;
    if (resume !== null) return this.onResume(request, request.topic, resume);
    if (this.onMarketTopic(request, request.topic)) return;
    const keys = topicKeys(request.topic, this.futures.symbols);
    if (typeof keys === 'string') return this.error(id, 404, keys);
    if (this.account === null) {
      return this.error(id, 401, `topic ${request.topic} is private: connect with a token from POST /api/v1/bullet-private (this one is from bullet-public)`);
    }
    if (request.type === 'subscribe') {
      if (!this.addKeys(id, keys)) return;
    } else {
      for (const key of keys) this.keys.delete(key);
    }
    if (request.type === 'subscribe') this.answerSubscription(null, () => undefined);
    if (request.response === true) this.send({ id: requestIdOf(id), type: 'ack' });
  }

  /** Subscribes private keys within the connection's bound; false (with the error sent) over it. */
  private addKeys(id: unknown, keys: readonly string[]): boolean {
    const added = new Set(keys.filter((k) => !this.keys.has(k))).size;
    if (this.keys.size + this.market.size + added > MAX_SUBSCRIPTIONS) {
      this.error(id, 509, `exceed max subscription count limitation of ${MAX_SUBSCRIPTIONS} per connection`);
      return false;
    }
    for (const key of keys) this.keys.add(key);
    return true;
  }

  /**
   * perpstream's resume: a private subscribe with `"resume": {"epoch","seq","topics"?}` subscribes
   * its topic and the `topics` listed (KuCoin subscribes one topic per message, and the replay must
   * cover all of them at once), then replays. Its ack carries the outcome, whatever `response` says.
   */
  private onResume(request: Message, topic: string, resume: ResumeRequest): void {
    const id = request.id;
    const more = (request.resume as { topics?: unknown }).topics ?? [];
    if (request.type !== 'subscribe') return this.error(id, 400, 'resume goes on a subscribe to a private topic');
    if (!Array.isArray(more) || !more.every((t) => typeof t === 'string' && t !== '')) return this.error(id, 400, `resume must be ${RESUME_WITH_TOPICS}`);
    const keys: string[] = [];
    for (const each of [topic, ...(more as string[])]) {
      if (readMarketTopic(each, this.futures.symbols) !== null) return this.error(id, 400, `resume goes on a subscribe to a private topic; ${each} is public`);
      const read = topicKeys(each, this.futures.symbols);
      if (typeof read === 'string') return this.error(id, 404, read);
      keys.push(...read);
    }
    if (this.account === null) return this.error(id, 401, 'resume is for private topics: connect with a token from POST /api/v1/bullet-private (this one is from bullet-public)');
    if (!this.addKeys(id, keys)) return;
    this.answerSubscription(resume, (position) => this.send({ id: requestIdOf(id), type: 'ack', ...position! }));
  }
}

export function futuresStreamHandler(options: FuturesStreamOptions): (socket: WebSocket, url: URL) => void {
  return (socket, url) => new FuturesConnection(socket, options).start(url);
}
