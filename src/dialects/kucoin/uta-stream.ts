/**
 * KuCoin's UTA ("Pro") private stream (protocols.md §4.3), served at /kucoin/uta?token=<token>
 * (a token from the spot host's POST /api/v2/bullet-private). Welcome
 * {"sessionId","message":"welcome","pingInterval"}; {"id","type":"ping"} → pong; subscriptions
 * {"id","action":"subscribe","channel","tradeType"[,"symbol"]} answered {"id","result":true} or
 * {"id","result":false,"reason"}. `action` is accepted in either case (ccxt sends lower case).
 *
 * Channels for a CLASSIC account (tradeType TRADE or FUTURES): positionAll, position (with symbol),
 * lw (liquidation warning). The UNIFIED-only channels (orderAll, execution.lite, balance, …) are
 * refused with a reason, since the account-mode endpoint says CLASSIC.
 *
 * perpstream's extension: `"resume": {"epoch","seq"}` on the first subscribe replays every event
 * after `seq` (resume.ts); the answer carries `epoch`, `seq` and `resume` (the outcome).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { requestIdOf } from '../../gateway/inbound.js';
import { KucoinConnection, MAX_SUBSCRIPTIONS, type ConnectionOptions, type Message } from './connection.js';
import type { KucoinSymbols } from './symbols.js';

export interface UtaStreamOptions extends ConnectionOptions {
  symbols: KucoinSymbols;
  /** Advertised in the welcome; ccxt adopts it as its keep-alive. */
  pingIntervalMs: number;
}

const CLASSIC_TRADE_TYPES = ['TRADE', 'FUTURES'];

/** The subscription key of a UTA subscription, or the reason it is refused. */
export function channelKey(request: Message, symbols: KucoinSymbols): string | { reason: string } {
  const channel = request.channel;
  const tradeType = request.tradeType;
  if (typeof channel !== 'string' || channel === '') return { reason: 'channel is required: positionAll, position or lw' };
  if (tradeType !== undefined && (typeof tradeType !== 'string' || !CLASSIC_TRADE_TYPES.includes(tradeType))) {
    return { reason: `tradeType ${String(tradeType)} is not available: the account is CLASSIC (GET /api/ua/v1/account/mode); use TRADE or FUTURES` };
  }
  switch (channel) {
    case 'positionAll': return 'positionAll';
    case 'lw': return 'lw';
    case 'position': {
      if (typeof request.symbol !== 'string' || symbols.find(request.symbol) === undefined) {
        return { reason: `missing or unknown \`symbol\` for channel position (${symbols.names().join(', ')})` };
      }
      return `position:${request.symbol}`;
    }
    default:
      return { reason: `channel ${channel} is not available for a CLASSIC account; channels here: positionAll, position, lw` };
  }
}

class UtaConnection extends KucoinConnection {
  constructor(socket: WebSocket, private readonly uta: UtaStreamOptions) {
    super(socket, uta);
  }

  protected welcome(): string {
    return JSON.stringify({ sessionId: randomUUID(), message: 'welcome', pingInterval: this.uta.pingIntervalMs });
  }

  protected error(id: unknown, code: number, text: string): void {
    // Token problems use the classic error shape, which KuCoin clients (ccxt) also route on `type`.
    if (code === 401 || code === 509) return this.send({ id: requestIdOf(id), type: 'error', code, data: text });
    this.send({ id: requestIdOf(id), result: false, reason: text });
  }

  protected onRequest(request: Message): void {
    const action = typeof request.action === 'string' ? request.action.toLowerCase() : undefined;
    if (action !== 'subscribe' && action !== 'unsubscribe') {
      return this.error(request.id, 400, 'send {"id","action":"subscribe"|"unsubscribe","channel","tradeType"} or {"id","type":"ping"}');
    }
    const resume = this.readResumeOf(request);
    if (resume === 'refused') return;
    if (resume !== null && action !== 'subscribe') return this.error(request.id, 400, 'resume goes on a subscribe');
    const key = channelKey(request, this.uta.symbols);
    if (typeof key !== 'string') return this.error(request.id, 400, key.reason);
    if (action === 'unsubscribe') {
      this.keys.delete(key);
      return this.send({ id: requestIdOf(request.id), result: true });
    }
    if (!this.keys.has(key) && this.keys.size >= MAX_SUBSCRIPTIONS) return this.error(request.id, 400, `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    this.keys.add(key);
    // perpstream's extension: a resume's outcome rides on the answer.
    this.answerSubscription(resume, (position) => this.send({ id: requestIdOf(request.id), result: true, ...(position ?? {}) }));
  }
}

export function utaStreamHandler(options: UtaStreamOptions): (socket: WebSocket, url: URL) => void {
  return (socket, url) => new UtaConnection(socket, options).start(url);
}
