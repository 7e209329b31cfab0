/**
 * Binance USDⓈ-M's WebSocket API (`wss://ws-fapi.binance.com/ws-fapi/v1`, here
 * `/binance/ws-fapi/v1`), for the user-data-stream methods and the algo-order ones (`algoOrder.place`,
 * `algoOrder.cancel`: SIGNED, HMAC keys, the parameters and answers of their REST twins,
 * algo-calls.ts). Binance's official connector
 * (@binance/derivatives-trading-usds-futures) creates and keeps its listenKey either over REST or
 * with `userDataStream.start`, `userDataStream.ping` and `userDataStream.stop` (USER_STREAM security:
 * `params.apiKey` only). Requests `{"id","method","params":{…}}` are answered
 * `{"id","status":200,"result":{…}}` or `{"id","status":<http status>,"error":{"code","msg"}}`.
 * Every other WebSocket API method (order.place, account.status, session.logon, …) is answered
 * -1020 "This operation is not supported.": those calls are served over REST.
 *
 * Differences: `rateLimits` is left out of the answers (perpstream counts listenKey calls per
 * account, not request weight per IP: listen-key-policy.ts); the userDataStream methods take no
 * other parameter (Binance's pages list none), so any other one is -1104.
 *
 * The connection binds to the account of its first accepted request (the gateway's per-account
 * bound and its subscribe deadline, `authDeadlineMs`, apply as to a stream); later requests may
 * carry another account's key. Server pings, pong timeout and maximum life are the stream's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket } from 'ws';
import type { ConnectionCounter } from '../../gateway/connections.js';
import { CloseCode, type GatewayLimits } from '../../gateway/limits.js';
import { readJsonObject, requestIdOf } from '../../gateway/inbound.js';
import { Session, StreamHandlerError } from '../../gateway/session.js';
import type { CredentialStore } from '../../service/credentials.js';
import type { Exchange } from '../../service/exchange.js';
import type { ListenKeys } from '../../service/listen-keys.js';
import { cancelAlgoOrder, placeAlgoOrder } from './algo-calls.js';
import { verifyApiKey, verifySignedParams } from './auth.js';
import { BinanceError, ERR } from './errors.js';
import { closeListenKey, keepaliveListenKey, startListenKey } from './listen-key-calls.js';
import { tooManyListenKeyRequests } from './listen-key-policy.js';
import { BinanceHeartbeat } from './heartbeat.js';
import type { Timers } from '../../gateway/timers.js';
import type { BinanceSymbols } from './symbols.js';

export const BINANCE_WS_API_PATH = '/binance/ws-fapi/v1';

/** Binance's -1020 UNSUPPORTED_OPERATION. */
const UNSUPPORTED_OPERATION = -1020;

export interface BinanceWsApiOptions {
  exchange: Exchange;
  credentials: CredentialStore;
  listenKeys: ListenKeys;
  symbols: BinanceSymbols;
  limits: GatewayLimits;
  connections: ConnectionCounter;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxConnectionLifeMs: number;
  /** The heartbeat's timers (default: Node's). */
  timers?: Timers;
  /** A key was closed (userDataStream.stop): its streams are told. */
  onListenKeyClosed: (key: string) => void;
}

type Answer = { status: number; result: unknown } | { status: number; error: { code: number; msg: string } };

export function binanceWsApiHandler(options: BinanceWsApiOptions): (socket: WebSocket) => void {
  return (socket) => new WsApiConnection(socket, options);
}

class WsApiConnection {
  private readonly session: Session;
  private readonly heartbeat: BinanceHeartbeat;
  private accountId: number | null = null;

  constructor(private readonly socket: WebSocket, private readonly options: BinanceWsApiOptions) {
    this.session = new Session(socket, options.limits, options.exchange.now());
    this.session.onText((text) => this.onMessage(text));
    this.heartbeat = new BinanceHeartbeat(socket, this.session, options);
    socket.once('close', () => this.onClose());
  }

  private onMessage(text: string): void {
    if (!this.session.admitInbound(this.options.exchange.now())) return;
    const parsed = readJsonObject(text);
    if (!parsed.ok) return this.reply(null, failure(new BinanceError(ERR.ILLEGAL_CHARS, 'Malformed request: the message must be one JSON object {"id","method","params"}.')));
    const id = requestIdOf(parsed.value.id);
    // Answered in order of completion, like Binance's; the id pairs an answer with its request.
    this.handle(parsed.value).then((answer) => this.reply(id, answer), (error: unknown) => {
      // A defect of ours: reported like a stream handler's (logged, counted), this connection closed.
      this.socket.emit('error', new StreamHandlerError(error));
      this.session.close(CloseCode.INTERNAL_ERROR, 'internal error while handling the request; reconnect');
    });
  }

  private async handle(request: Readonly<Record<string, unknown>>): Promise<Answer> {
    try {
      if (requestIdOf(request.id) === null) throw new BinanceError(ERR.MANDATORY_PARAM, 'Mandatory parameter \'id\' was not sent, was empty/null, or malformed.');
      const extra = Object.keys(request).filter((key) => key !== 'id' && key !== 'method' && key !== 'params');
      if (extra.length > 0) throw new BinanceError(ERR.UNKNOWN_PARAM, `Not all sent parameters were read: ${extra.join(', ')}.`);
      const method = request.method;
      if (typeof method !== 'string') throw new BinanceError(ERR.MANDATORY_PARAM, 'Mandatory parameter \'method\' was not sent, was empty/null, or malformed.');
      const algo = method === 'algoOrder.place' || method === 'algoOrder.cancel';
      if (!algo && (!method.startsWith('userDataStream.') || !['start', 'ping', 'stop'].includes(method.slice('userDataStream.'.length)))) {
        throw new BinanceError(UNSUPPORTED_OPERATION, `This operation is not supported. (perpstream's WebSocket API serves userDataStream.start, userDataStream.ping, userDataStream.stop, algoOrder.place and algoOrder.cancel; ${JSON.stringify(method).slice(0, 60)} is served over REST)`);
      }
      const params = request.params ?? {};
      if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new BinanceError(ERR.ILLEGAL_CHARS, 'Illegal value: params must be an object.');
      const given = params as Record<string, unknown>;
      if (algo) return await this.algoCall(method, given);
      const unread = Object.keys(given).filter((key) => key !== 'apiKey');
      if (unread.length > 0) throw new BinanceError(ERR.UNKNOWN_PARAM, `Not all sent parameters were read: ${unread.join(', ')} is not a parameter of ${method}.`);
      const apiKey = typeof given.apiKey === 'string' ? given.apiKey : undefined;
      const { accountId } = verifyApiKey({ 'x-mbx-apikey': apiKey } as IncomingHttpHeaders, this.options.credentials);
      const { listenKeys, exchange } = this.options;
      if (!listenKeys.admitRequest(accountId, exchange.now())) throw tooManyListenKeyRequests(listenKeys.policy);
      if (this.accountId === null && !this.bind(accountId)) throw new BinanceError(ERR.UNKNOWN, 'too many connections for this account', 429);
      switch (method) {
        case 'userDataStream.start': return { status: 200, result: { listenKey: await startListenKey(listenKeys, accountId, exchange.now()) } };
        case 'userDataStream.ping': return { status: 200, result: { listenKey: await keepaliveListenKey(listenKeys, accountId, exchange.now()) } };
        default:
          await closeListenKey(listenKeys, accountId, exchange.now(), this.options.onListenKeyClosed);
          return { status: 200, result: {} };
      }
    } catch (error) {
      if (error instanceof BinanceError) return failure(error);
      throw error;
    }
  }

  /**
   * algoOrder.place / algoOrder.cancel: SIGNED (apiKey, timestamp, signature in `params`), with the
   * parameters and answers of POST / DELETE /fapi/v1/algoOrder (algo-calls.ts).
   */
  private async algoCall(method: 'algoOrder.place' | 'algoOrder.cancel', given: Record<string, unknown>): Promise<Answer> {
    const params = textParams(given);
    const { exchange, credentials, symbols } = this.options;
    const { accountId } = verifySignedParams(params, credentials, exchange.now());
    if (this.accountId === null && !this.bind(accountId)) throw new BinanceError(ERR.UNKNOWN, 'too many connections for this account', 429);
    const { apiKey: _apiKey, ...rest } = params;
    const result = method === 'algoOrder.place'
      ? await placeAlgoOrder(exchange, symbols, accountId, rest)
      : await cancelAlgoOrder(exchange, symbols, accountId, rest, method);
    return { status: 200, result };
  }

  private bind(accountId: number): boolean {
    if (!this.options.connections.bindAccount(accountId, this.socket)) {
      this.session.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return false;
    }
    this.accountId = accountId;
    return true;
  }

  private reply(id: string | number | null, answer: Answer): void {
    this.session.send(JSON.stringify({ id, ...answer }));
  }

  private onClose(): void {
    this.heartbeat.stop();
    if (this.accountId !== null) this.options.connections.unbindAccount(this.accountId, this.socket);
  }
}

const failure = (error: BinanceError): Answer => ({ status: error.httpStatus, error: { code: error.code, msg: error.message } });

/** A request's params as the text Binance reads (JSON strings, numbers and booleans); objects and arrays are refused. */
function textParams(given: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') out[name] = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[name] = String(value);
    else throw new BinanceError(ERR.ILLEGAL_CHARS, `Illegal characters found in parameter '${name}'; send a string, a number or a boolean.`);
  }
  return out;
}
