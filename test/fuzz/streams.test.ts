/**
 * Property-based fuzzing of every dialect's WebSocket input (fast-check) against a started server:
 * garbage text, binary frames, JSON of every shape, and each stream's own requests with wrong ops,
 * methods, topics, ids, arguments, signatures and timestamps. Each case gets a fresh connection,
 * opened as a client would (listenKey, auth, token), and one frame. Then a barrier: the stream's own
 * ping (or a request it answers) — answers leave in order, so by its answer the fuzz frame has been
 * handled. The case passes when the stream answered it with an error in its own shape (or closed
 * the connection with a gateway code, never 1011), nothing else was answered, and the engine's
 * command sequence and state hash are as before.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { sign as bybitSign } from '../../src/dialects/bybit/auth.js';
import { sign as xtSign, signaturePayload as xtPayload } from '../../src/dialects/xt/auth.js';
import { KucoinRest } from '../kucoin/client.js';
import { withTimeout } from '../support/timeout.js';
import { FUZZ_RUNS, FUZZ_SEED, fuzzParameters, selected } from './options.js';
import { FuzzWorld } from './world.js';

type Json = Record<string, unknown>;
/** One fuzz frame: text, or binary bytes. */
type Frame = { text: string } | { binary: Uint8Array };

/** A connection recording what it receives (JSON frames parsed; anything else kept as text). */
class FuzzSocket {
  readonly received: unknown[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length}>` : data.toString();
      try {
        this.received.push(JSON.parse(text));
      } catch {
        this.received.push(text);
      }
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(url: string): Promise<FuzzSocket> {
    const socket = new WebSocket(url);
    const fuzz = new FuzzSocket(socket);
    await withTimeout(new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }), 5_000, `connecting ${url}`);
    return fuzz;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `condition` holds (checked on every frame and on the close). */
  async until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
    await withTimeout((async () => {
      while (!condition()) await new Promise<void>((resolve) => this.waiters.push(resolve));
    })(), ms, what);
  }

  send(frame: Frame | string): void {
    if (typeof frame === 'string') this.socket.send(frame);
    else if ('text' in frame) this.socket.send(frame.text);
    else this.socket.send(frame.binary, { binary: true });
  }

  async close(): Promise<void> {
    if (this.closed !== null) return;
    this.socket.close();
    await this.until(() => this.closed !== null, 'the close');
  }
}

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

interface StreamTarget {
  readonly name: string;
  /** A connection opened as a client opens it, ready for requests (its opening frames consumed). */
  open(): Promise<FuzzSocket>;
  /** The barrier request, and how its answer is recognized. */
  readonly barrier: string;
  isBarrierAnswer(frame: unknown): boolean;
  /** Whether a frame is an error in this stream's shape. */
  isError(frame: unknown): boolean;
  /** Requests this stream must refuse. */
  readonly frames: fc.Arbitrary<Frame>;
  /**
   * False when the stream answers some requests after later ones (Binance's WebSocket API answers
   * by id, a signed request after its checks): its barrier is then the fuzz frame's own answer.
   */
  readonly answersInOrder?: boolean;
}

/** Close codes a stream may end a connection with over bad input (never 1011, an internal error). */
const ALLOWED_CLOSES = new Set([1002, 1003, 1007, 1008, 1009, 4000, 4001, 4029]);

// --- frames every stream must refuse ---------------------------------------------------------------

const text = (arbitrary: fc.Arbitrary<string>): fc.Arbitrary<Frame> => arbitrary.map((t) => ({ text: t }));
const json = (arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<Frame> => arbitrary.map((value) => ({ text: JSON.stringify(value) }));
/** Ids of every odd kind (past 2^53 and 2^63 among them). */
const oddId = fc.constantFrom<unknown>(null, -1, 1.5, 2 ** 53 + 2, 2 ** 64, '9223372036854775808', 'x'.repeat(200), {}, [], true, '');
/** Garbage: random text (never one of the streams' text pings), binary bytes, random JSON. */
function garbage(validTexts: readonly string[]): fc.Arbitrary<Frame> {
  return fc.oneof(
    text(fc.string({ maxLength: 200 }).filter((t) => !validTexts.includes(t))),
    text(fc.string({ unit: 'grapheme', maxLength: 50 }).filter((t) => !validTexts.includes(t))),
    fc.uint8Array({ minLength: 0, maxLength: 300 }).map((binary): Frame => ({ binary })),
    json(fc.jsonValue({ maxDepth: 3 })),
    text(fc.constantFrom('{', '{"a":', '[1,', '"unterminated', '{"method":"SUBSCRIBE"', '\u0000', '{}x', 'null', '1e400', `${'['.repeat(500)}${']'.repeat(500)}`)),
  );
}

describe(`WebSocket front doors, fuzzed (${FUZZ_RUNS} cases per stream, seed ${FUZZ_SEED})`, () => {
  let world: FuzzWorld;
  let listenKey = '';
  let binanceKey = '';
  let kucoinFutures = '';
  let kucoinUta = '';
  before(async () => {
    world = await FuzzWorld.start();
    const { url, wsUrl } = world.server;
    const xt = world.accounts.xt;
    const timestamp = String(world.server.exchange.now());
    const signature = xtSign(xt.secret, xtPayload('', xt.apiKey, timestamp, { method: 'GET', path: '/future/user/v1/user/listen-key', rawQuery: '', rawBody: '' }));
    const xtKey = await fetch(`${url}/future/user/v1/user/listen-key`, { headers: { 'validate-appkey': xt.apiKey, 'validate-timestamp': timestamp, 'validate-signature': signature } });
    listenKey = ((await xtKey.json()) as { result: string }).result;
    const binance = await fetch(`${url}/binance/fapi/v1/listenKey`, { method: 'POST', headers: { 'x-mbx-apikey': world.accounts.binance.apiKey } });
    binanceKey = ((await binance.json()) as { listenKey: string }).listenKey;
    const k = world.accounts.kucoin;
    const kucoin = new KucoinRest(url, k.apiKey, k.secret, k.passphrase);
    kucoinFutures = await kucoin.futuresStreamUrl('fuzz');
    kucoinUta = await kucoin.utaStreamUrl(wsUrl);
  });
  after(async () => { await world.stop(); });

  // The targets read the world only when a case runs (it is started in `before`).
  const targets = (): StreamTarget[] => {
    const ws = (): string => world.server.wsUrl;
    const bybit = () => world.accounts.bybit;
    const bybitAuth = (expires: number, secret = bybit().secret, apiKey = bybit().apiKey): unknown[] => [apiKey, expires, bybitSign(secret, `GET/realtime${expires}`)];
    const now = (): number => world.server.exchange.now();
    return [
      {
        name: 'xt /ws/user',
        async open() {
          const s = await FuzzSocket.open(`${ws()}/ws/user`);
          s.send(JSON.stringify({ method: 'SUBSCRIBE', params: [`order@${listenKey}`], id: 'open' }));
          await s.until(() => s.received.some((f) => isObject(f) && f.id === 'open'), 'the subscribe ack');
          s.received.length = 0;
          return s;
        },
        barrier: 'ping',
        isBarrierAnswer: (f) => f === 'pong',
        isError: (f) => isObject(f) && (f.code === 1 || f.code === 2) && typeof f.msg === 'string' && 'id' in f,
        frames: fc.oneof(
          garbage(['ping']),
          json(fc.record({
            method: fc.constantFrom<unknown>('SUBSCRIBE', 'UNSUBSCRIBE', 'subscribe', 'LIST', 'X', 1, null, [], ''),
            params: fc.constantFrom<unknown>([], 'order', [1], [null], ['order'], ['order@'], [`nope@${listenKey}`], [`order@${listenKey}x`], [`order@${'k'.repeat(300)}`], {}, 2 ** 64),
            id: oddId,
            resume: fc.constantFrom<unknown>(undefined, {}, { epoch: 1, seq: -1 }, 'x'),
          }, { requiredKeys: ['method', 'params'] })),
        ),
      },
      {
        name: 'binance user stream (/binance/ws/<listenKey>)',
        open: async () => FuzzSocket.open(`${ws()}/binance/ws/${binanceKey}`),
        barrier: JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 'fuzz-sync' }),
        isBarrierAnswer: (f) => isObject(f) && f.id === 'fuzz-sync',
        isError: (f) => isObject(f) && typeof f.code === 'number' && [0, 1, 2, 3].includes(f.code) && typeof f.msg === 'string' && 'id' in f,
        frames: fc.oneof(
          garbage([]),
          json(fc.record({
            // (UNSUBSCRIBE of any names is answered as Binance answers it, whether they were subscribed or not.)
            method: fc.constantFrom<unknown>('SUBSCRIBE', 'SET_PROPERTY', 'subscribe', 'PING', 1, null, []),
            // (Any other name with an '@' is a market stream, acknowledged even when not published,
            // as Binance does: stream-names.ts. Names without one are listen keys.)
            params: fc.constantFrom<unknown>('x', [1], [null], [`${binanceKey}x`], ['nokey'], ['a b@trade'], ['combined', 'yes'], [`a${'b'.repeat(300)}`], {}, []),
            id: oddId,
          }, { requiredKeys: ['method'] })),
        ),
      },
      {
        name: 'binance WebSocket API (/binance/ws-fapi/v1)',
        open: async () => FuzzSocket.open(`${ws()}/binance/ws-fapi/v1`),
        barrier: JSON.stringify({ id: 'fuzz-sync', method: 'fuzz.sync' }),
        isBarrierAnswer: (f) => isObject(f) && f.id === 'fuzz-sync',
        isError: (f) => isObject(f) && typeof f.status === 'number' && f.status >= 400 && isObject(f.error) && typeof f.error.code === 'number' && typeof f.error.msg === 'string',
        answersInOrder: false,
        frames: fc.oneof(
          garbage([]),
          // Signed algo orders with one thing wrong: the signature, the timestamp, a parameter, the key.
          fc.record({
            fault: fc.constantFrom('signature', 'stale', 'future', 'quantity', 'side', 'symbol', 'key', 'extra'),
            id: fc.constantFrom<unknown>('a1', 7, 'x'.repeat(36)),
          }).map(({ fault, id }): Frame => {
            const b = world.accounts.binance;
            const timestamp = fault === 'stale' ? now() - 600_000 : fault === 'future' ? now() + 600_000 : now();
            const params: Record<string, string | number> = {
              algoType: 'CONDITIONAL', symbol: fault === 'symbol' ? 'DOGEUSDT' : 'BTCUSDT', side: fault === 'side' ? 'BUYY' : 'SELL', type: 'STOP_MARKET',
              quantity: fault === 'quantity' ? '1e3' : '0.001', triggerPrice: '50000', apiKey: fault === 'key' ? 'nope' : b.apiKey, timestamp,
              ...(fault === 'extra' ? { fuzz: '1' } : {}),
            };
            const payload = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
            const signature = createHmac('sha256', fault === 'signature' ? `${b.secret}x` : b.secret).update(payload).digest('hex');
            return { text: JSON.stringify({ id, method: 'algoOrder.place', params: { ...params, signature } }) };
          }),
          json(fc.record({
            id: oddId,
            method: fc.constantFrom<unknown>('userDataStream.start', 'userDataStream.ping', 'userDataStream.stop', 'algoOrder.cancel', 'order.place', 1, null, ''),
            params: fc.constantFrom<unknown>(undefined, 'x', [], { apiKey: 'nope' }, { apiKey: 1 }, { listenKey: 'nope', apiKey: 'nope' }, { algoId: -1 }),
          }, { requiredKeys: ['method'] })),
        ),
      },
      {
        name: 'bybit /bybit/v5/private (authenticated)',
        async open() {
          const s = await FuzzSocket.open(`${ws()}/bybit/v5/private`);
          s.send(JSON.stringify({ op: 'auth', args: bybitAuth(now() + 10_000), req_id: 'open' }));
          await s.until(() => s.received.some((f) => isObject(f) && f.req_id === 'open'), 'the auth answer');
          assert.equal((s.received.find((f) => isObject(f) && f.req_id === 'open') as Json).success, true);
          s.received.length = 0;
          return s;
        },
        barrier: JSON.stringify({ op: 'ping', req_id: 'fuzz-sync' }),
        isBarrierAnswer: (f) => isObject(f) && f.req_id === 'fuzz-sync',
        isError: (f) => isObject(f) && f.success === false && typeof f.ret_msg === 'string' && typeof f.conn_id === 'string',
        frames: fc.oneof(
          garbage([]),
          json(fc.record({
            op: fc.constantFrom<unknown>('subscribe', 'unsubscribe', 'auth', 'SUBSCRIBE', 'login', 1, null, []),
            args: fc.constantFrom<unknown>(undefined, 'order', [], [1], [null], ['greeks'], ['order.spot'], ['position', 'order.linear'], [`a${'b'.repeat(300)}`], {}),
            req_id: oddId,
          }, { requiredKeys: ['op'] })),
        ),
      },
      {
        name: 'bybit /bybit/v5/private (auth)',
        open: async () => FuzzSocket.open(`${ws()}/bybit/v5/private`),
        barrier: JSON.stringify({ op: 'ping', req_id: 'fuzz-sync' }),
        isBarrierAnswer: (f) => isObject(f) && f.req_id === 'fuzz-sync',
        isError: (f) => isObject(f) && f.success === false && typeof f.ret_msg === 'string' && typeof f.conn_id === 'string',
        frames: fc.constantFrom('signature', 'expired', 'far-future', 'key', 'expires-text', 'short', 'subscribe-first').map((fault): Frame => {
          const args = fault === 'signature' ? bybitAuth(now() + 10_000, `${bybit().secret}x`)
            : fault === 'expired' ? bybitAuth(now() - 10_000)
              : fault === 'far-future' ? bybitAuth(now() + 3_600_000)
                : fault === 'key' ? bybitAuth(now() + 10_000, bybit().secret, 'nope')
                  : fault === 'expires-text' ? [bybit().apiKey, 'soon', 'x']
                    : fault === 'short' ? [bybit().apiKey] : null;
          return { text: JSON.stringify(args === null ? { op: 'subscribe', args: ['order'] } : { op: 'auth', args }) };
        }),
      },
      {
        name: 'kucoin /kucoin/futures (classic)',
        async open() {
          const s = await FuzzSocket.open(kucoinFutures);
          await s.until(() => s.received.some((f) => isObject(f) && f.type === 'welcome'), 'the welcome');
          s.received.length = 0;
          return s;
        },
        barrier: JSON.stringify({ id: 'fuzz-sync', type: 'ping' }),
        isBarrierAnswer: (f) => isObject(f) && f.id === 'fuzz-sync',
        isError: (f) => isObject(f) && f.type === 'error' && typeof f.code === 'number' && typeof f.data === 'string',
        frames: fc.oneof(
          garbage([]),
          json(fc.record({
            type: fc.constantFrom<unknown>('subscribe', 'unsubscribe', 'openTunnel', 'PING', 1, null, []),
            topic: fc.constantFrom<unknown>(undefined, '', '/contract/nothing', '/contractMarket/tradeOrders:DOGEUSDTM', '/contract/position', '/contractAccount/wallet:XBTUSDTM', 1, [], `/${'x'.repeat(300)}`),
            id: oddId,
            privateChannel: fc.constantFrom<unknown>(true, false, 'yes'),
            response: fc.constantFrom<unknown>(true, false),
          }, { requiredKeys: ['type'] })),
        ),
      },
      {
        name: 'kucoin /kucoin/uta',
        async open() {
          const s = await FuzzSocket.open(kucoinUta);
          await s.until(() => s.received.length > 0, 'the welcome');
          s.received.length = 0;
          return s;
        },
        barrier: JSON.stringify({ id: 'fuzz-sync', type: 'ping' }),
        isBarrierAnswer: (f) => isObject(f) && f.id === 'fuzz-sync',
        isError: (f) => isObject(f) && ((f.result === false && typeof f.reason === 'string') || (f.type === 'error' && typeof f.code === 'number')),
        frames: fc.oneof(
          garbage([]),
          json(fc.record({
            action: fc.constantFrom<unknown>('subscribe', 'unsubscribe', 'SUBSCRIBE!', 1, null),
            channel: fc.constantFrom<unknown>(undefined, '', 'nothing', 1, [], 'x'.repeat(300)),
            tradeType: fc.constantFrom<unknown>(undefined, 'SPOTX', 1),
            symbol: fc.constantFrom<unknown>(undefined, 'DOGEUSDTM', 1),
            id: oddId,
          }, { requiredKeys: ['action'] })),
        ),
      },
    ];
  };

  for (const target of targets().filter((t) => selected(t.name))) {
    const { name } = target;
    it(`${name}: every bad frame is refused in the stream's shape (or the connection closed, never 1011) and changes nothing`, async () => {
      await fc.assert(fc.asyncProperty(target.frames, async (frame) => {
        const socket = await target.open();
        try {
          const before = world.fingerprint();
          socket.send(frame);
          socket.send(target.barrier);
          const answered = (): boolean => socket.received.some(target.isBarrierAnswer) && (target.answersInOrder !== false || socket.received.some((f) => !target.isBarrierAnswer(f)));
          await socket.until(() => socket.closed !== null || answered(), 'the barrier\'s answer or a close');
          const problems: string[] = [];
          if (socket.closed !== null) {
            if (!ALLOWED_CLOSES.has(socket.closed.code)) problems.push(`closed with ${socket.closed.code} ${socket.closed.reason}`);
          } else {
            const answers = target.answersInOrder === false ? socket.received.filter((f) => !target.isBarrierAnswer(f))
              : socket.received.slice(0, socket.received.findIndex(target.isBarrierAnswer));
            if (answers.length === 0) problems.push('no answer: the frame was ignored');
            const wrong = answers.filter((f) => !target.isError(f));
            if (wrong.length > 0) problems.push(`answered with something other than an error: ${JSON.stringify(wrong).slice(0, 400)}`);
          }
          problems.push(...FuzzWorld.changes(before, world.fingerprint()));
          if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')} (received ${JSON.stringify(socket.received).slice(0, 400)})`);
        } finally {
          await socket.close();
        }
      }), fuzzParameters<[Frame]>());
    });
  }
});
