/**
 * Every stream's message handling against hostile input (issue 10, items 1 and 2): the `null` frame
 * that used to kill the process on XT, every other JSON type where an object is expected, objects
 * without the expected keys, binary frames, random bytes and random JSON (seeded fuzz), on every
 * stream before and after it is authenticated, and malformed percent-encoding in stream URLs. Each
 * message must be answered in the stream's own error shape, the process must stay up, and no state
 * may change.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { BinanceRest } from '../binance/client.js';
import { sign as bybitSign } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { ADMIN_TOKEN, Harness } from '../support/harness.js';
import { rng, seedFrom, type Rng } from '../support/rng.js';
import { upgrade } from '../support/ws-upgrade.js';
import { XtClient } from '../support/xt-client.js';

type Json = Record<string, unknown>;

/** A raw connection that records every text frame it receives. */
class RawStream {
  readonly received: string[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(data.toString());
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static open(url: string): Promise<RawStream> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new RawStream(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until `condition` holds (at most `timeoutMs`, as an upper bound on a hung server). */
  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.closed !== null) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.terminate();
  }
}

/** How to open one stream, prove it still answers, and recognise its error answers. */
interface StreamUnderTest {
  name: string;
  open(): Promise<RawStream>;
  /** A request the stream answers (the barrier: every answer before its reply belongs to the messages sent before it). */
  barrier: string;
  isBarrierReply(text: string): boolean;
  /** Whether a frame is this stream's answer to a bad message. */
  isErrorAnswer(text: string): boolean;
}

const parse = (text: string): Json | null => {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Json : null;
  } catch {
    return null;
  }
};

/** Messages that are JSON but not what any stream expects, plus binary frames (sent as Buffers). */
const HOSTILE: (string | Buffer)[] = [
  'null', '[]', '[null]', '123', '-1e400', '"x"', 'true', 'false', '{}', '', ' ', '{', '{"a":', '\u0000', '"\ud800"',
  '{"id":{}}', '{"id":[1]}', '{"id":null}', '{"method":null}', '{"method":1}', '{"method":"SUBSCRIBE"}',
  '{"method":"SUBSCRIBE","params":null}', '{"method":"SUBSCRIBE","params":[null]}', '{"method":"SUBSCRIBE","params":[{}]}',
  '{"method":"SUBSCRIBE","params":["order@nokey"],"resume":"x"}', '{"method":"SUBSCRIBE","params":["order@nokey"],"resume":[]}',
  '{"method":"SUBSCRIBE","params":["order@nokey"],"resume":{"epoch":null,"seq":{}}}', '{"method":"UNSUBSCRIBE","params":"order"}',
  '{"op":null}', '{"op":{}}', '{"op":"auth"}', '{"op":"auth","args":null}', '{"op":"auth","args":[null,null,null]}',
  '{"op":"auth","args":[{},[],1]}', '{"op":"subscribe","args":null}', '{"op":"subscribe","args":[null]}', '{"op":"subscribe","args":[{}]}',
  '{"type":null}', '{"type":{}}', '{"type":"subscribe"}', '{"type":"subscribe","topic":null}', '{"type":"subscribe","topic":{}}',
  '{"type":"subscribe","topic":["x"]}', '{"type":"unsubscribe","topic":1}', '{"type":"subscribe","topic":"/contractMarket/nonsense","id":{}}',
  '{"__proto__":{"method":"SUBSCRIBE"}}', '{"constructor":{"prototype":{}}}',
  Buffer.from([0xff, 0x00, 0x7b]), Buffer.from('{"method":"SUBSCRIBE","params":["order@x"]}'),
];

/** A random JSON value of any type, nested a little. */
function randomJson(random: Rng, depth = 0): unknown {
  const kind = random.int(0, depth > 2 ? 4 : 6);
  switch (kind) {
    case 0: return null;
    case 1: return random.chance(0.5);
    case 2: return random.pick([0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, random.int(-1e9, 1e9)]);
    case 3: return randomText(random);
    case 4: return random.pick(['SUBSCRIBE', 'subscribe', 'auth', 'ping', 'UNSUBSCRIBE', 'order@', '/contractMarket/tradeOrders']);
    case 5: return Array.from({ length: random.int(0, 4) }, () => randomJson(random, depth + 1));
    default: {
      const keys = ['id', 'method', 'params', 'op', 'args', 'type', 'topic', 'resume', 'req_id', 'response', randomText(random)];
      return Object.fromEntries(Array.from({ length: random.int(0, 5) }, () => [random.pick(keys), randomJson(random, depth + 1)]));
    }
  }
}

function randomText(random: Rng): string {
  return Array.from({ length: random.int(0, 12) }, () => String.fromCharCode(random.int(0, 0x2fff))).join('');
}

/** Random bytes, sent as a text frame only when they happen to be valid UTF-8 (ws checks that), else binary. */
function randomFrame(random: Rng): string | Buffer {
  if (random.chance(0.6)) {
    const value = randomJson(random);
    // Keep the frame an object that names no ping, so every stream owes it an error answer.
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const object = value as Json;
      if (object.type === 'ping' || object.op === 'ping') object.type = object.op = 'nonsense';
    }
    return JSON.stringify(value) ?? 'null';
  }
  const bytes = Buffer.from(Array.from({ length: random.int(1, 64) }, () => random.int(0, 255)));
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) && text !== 'ping' ? text : bytes;
}

describe('stream message handling under hostile input', () => {
  let harness: Harness;
  let streams: StreamUnderTest[];

  before(async () => {
    harness = await Harness.start({ limits: { inboundPerSecond: 1_000_000, inboundBurst: 1_000_000 } });
    const { url, wsUrl } = harness.server;
    const account = await harness.admin.createAccount();
    const xt = new XtClient(url, account.apiKey, account.secret);
    const binance = new BinanceRest(url, account.apiKey, account.secret);
    const kucoin = new KucoinRest(url, account.apiKey, account.secret, account.passphrase);

    const xtErrorAnswer = (text: string): boolean => {
      const m = parse(text);
      return m !== null && typeof m.code === 'number' && m.code !== 0 && typeof m.msg === 'string' && 'id' in m;
    };
    const bybitErrorAnswer = (text: string): boolean => {
      const m = parse(text);
      return m !== null && m.success === false && typeof m.ret_msg === 'string' && typeof m.op === 'string';
    };
    const kucoinErrorAnswer = (text: string): boolean => {
      const m = parse(text);
      return m !== null && ((m.type === 'error' && typeof m.code === 'number' && typeof m.data === 'string') || (m.result === false && typeof m.reason === 'string'));
    };
    const kucoinOpen = async (streamUrl: () => Promise<string>): Promise<RawStream> => {
      const stream = await RawStream.open(await streamUrl());
      await stream.until(() => stream.received.some((t) => parse(t)?.type === 'welcome' || parse(t)?.message === 'welcome'), 'the welcome');
      stream.received.length = 0;
      return stream;
    };
    const bybitOpen = async (authenticated: boolean): Promise<RawStream> => {
      const stream = await RawStream.open(`${wsUrl}/bybit/v5/private`);
      if (!authenticated) return stream;
      const expires = Date.now() + 10_000;
      stream.socket.send(JSON.stringify({ op: 'auth', args: [account.apiKey, expires, bybitSign(account.secret, `GET/realtime${expires}`)] }));
      await stream.until(() => stream.received.some((t) => parse(t)?.op === 'auth'), 'the auth answer');
      assert.equal(parse(stream.received[0]!)?.success, true, stream.received[0]);
      stream.received.length = 0;
      return stream;
    };
    const xtOpen = async (subscribed: boolean): Promise<RawStream> => {
      const stream = await RawStream.open(`${wsUrl}/ws/user`);
      if (!subscribed) return stream;
      stream.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: [`order@${await xt.listenKey()}`], id: 'sub' }));
      await stream.until(() => stream.received.length > 0, 'the subscribe ack');
      assert.equal(parse(stream.received[0]!)?.code, 0, stream.received[0]);
      stream.received.length = 0;
      return stream;
    };
    streams = [
      { name: 'XT before SUBSCRIBE', open: () => xtOpen(false), barrier: 'ping', isBarrierReply: (t) => t === 'pong', isErrorAnswer: xtErrorAnswer },
      { name: 'XT after SUBSCRIBE', open: () => xtOpen(true), barrier: 'ping', isBarrierReply: (t) => t === 'pong', isErrorAnswer: xtErrorAnswer },
      {
        name: 'Binance', open: async () => RawStream.open(`${wsUrl}/binance/ws/${await binance.listenKey()}`),
        barrier: '{"id":"barrier"}', isBarrierReply: (t) => parse(t)?.id === 'barrier',
        isErrorAnswer: (t) => { const m = parse(t); return m !== null && typeof m.code === 'number' && typeof m.msg === 'string' && 'id' in m; },
      },
      { name: 'Bybit before auth', open: () => bybitOpen(false), barrier: '{"op":"ping","req_id":"barrier"}', isBarrierReply: (t) => parse(t)?.req_id === 'barrier', isErrorAnswer: bybitErrorAnswer },
      { name: 'Bybit after auth', open: () => bybitOpen(true), barrier: '{"op":"ping","req_id":"barrier"}', isBarrierReply: (t) => parse(t)?.req_id === 'barrier', isErrorAnswer: bybitErrorAnswer },
      {
        name: 'KuCoin futures', open: () => kucoinOpen(() => kucoin.futuresStreamUrl()),
        barrier: '{"id":"barrier","type":"ping"}', isBarrierReply: (t) => parse(t)?.id === 'barrier', isErrorAnswer: kucoinErrorAnswer,
      },
      {
        name: 'KuCoin UTA', open: () => kucoinOpen(() => kucoin.utaStreamUrl(wsUrl)),
        barrier: '{"id":"barrier","type":"ping"}', isBarrierReply: (t) => parse(t)?.id === 'barrier', isErrorAnswer: kucoinErrorAnswer,
      },
      // The public market streams, which need no credential at all.
      { name: 'XT public /ws/market', open: () => RawStream.open(`${wsUrl}/ws/market`), barrier: 'ping', isBarrierReply: (t) => t === 'pong', isErrorAnswer: xtErrorAnswer },
      {
        name: 'Binance public /public/ws', open: () => RawStream.open(`${wsUrl}/binance/public/ws`),
        barrier: '{"id":"barrier"}', isBarrierReply: (t) => parse(t)?.id === 'barrier',
        isErrorAnswer: (t) => { const m = parse(t); return m !== null && typeof m.code === 'number' && typeof m.msg === 'string' && 'id' in m; },
      },
      {
        name: 'Bybit public /v5/public/linear', open: () => RawStream.open(`${wsUrl}/bybit/v5/public/linear`),
        barrier: '{"op":"ping","req_id":"barrier"}', isBarrierReply: (t) => parse(t)?.req_id === 'barrier', isErrorAnswer: bybitErrorAnswer,
      },
      {
        name: 'KuCoin public (bullet-public)', open: () => kucoinOpen(async () => {
          const { data } = await (await fetch(`${url}/kucoin-futures/api/v1/bullet-public`, { method: 'POST' })).json() as { data: { token: string; instanceServers: { endpoint: string }[] } };
          return `${data.instanceServers[0]!.endpoint}?token=${data.token}`;
        }),
        barrier: '{"id":"barrier","type":"ping"}', isBarrierReply: (t) => parse(t)?.id === 'barrier', isErrorAnswer: kucoinErrorAnswer,
      },
    ];
  });
  after(() => harness.stop());

  /** Sends the frames, then the barrier; returns every answer that came before the barrier's reply. */
  async function answersTo(stream: RawStream, under: StreamUnderTest, frames: readonly (string | Buffer)[]): Promise<string[]> {
    for (const frame of frames) stream.socket.send(frame);
    stream.socket.send(under.barrier);
    await stream.until(() => stream.received.some((t) => under.isBarrierReply(t)), `${under.name}: the barrier reply`);
    const answers = stream.received.slice(0, stream.received.findIndex((t) => under.isBarrierReply(t)));
    stream.received.length = 0;
    return answers;
  }

  test('XT: a text frame `null` is answered with the error ack, before and after SUBSCRIBE, and the process stays up', async () => {
    for (const under of streams.filter((s) => s.name.startsWith('XT'))) {
      const stream = await under.open();
      const answers = await answersTo(stream, under, ['null']);
      assert.equal(answers.length, 1, JSON.stringify(answers));
      const ack = parse(answers[0]!);
      assert.equal(ack?.id, null);
      assert.equal(ack?.code, 1);
      stream.close();
    }
  });

  test('every stream answers each hostile message once, in its own error shape, and changes nothing', async () => {
    const before = harness.server.exchange.engine.cmdSeq;
    for (const under of streams) {
      const stream = await under.open();
      for (const message of HOSTILE) {
        const answers = await answersTo(stream, under, [message]);
        assert.equal(answers.length, 1, `${under.name}: one answer to ${String(message)}, got ${JSON.stringify(answers)}`);
        assert.ok(under.isErrorAnswer(answers[0]!), `${under.name}: answer to ${String(message)}: ${answers[0]}`);
      }
      assert.equal(stream.closed, null);
      stream.close();
    }
    assert.equal(harness.server.exchange.engine.cmdSeq, before, 'no command reached the engine');
  });

  test('seeded fuzz: random bytes and random JSON on every stream; the process stays up and answers in shape', async () => {
    const seed = seedFrom('STREAM_FUZZ');
    const random = rng(seed);
    const before = harness.server.exchange.engine.cmdSeq;
    for (const under of streams) {
      const stream = await under.open();
      for (let round = 0; round < 10; round++) {
        const frames = Array.from({ length: 50 }, () => randomFrame(random));
        const answers = await answersTo(stream, under, frames);
        for (const answer of answers) assert.ok(under.isErrorAnswer(answer), `seed ${seed}, ${under.name}: ${answer}`);
        assert.equal(answers.length, frames.length, `seed ${seed}, ${under.name}: one answer per message`);
      }
      stream.close();
    }
    assert.equal(harness.server.exchange.engine.cmdSeq, before, `seed ${seed}: no command reached the engine`);
  });

  test('a malformed percent-encoding in a Binance stream URL is refused as an unknown listenKey, never a crash', async () => {
    for (const path of ['/binance/ws/%', '/binance/ws/%E0%A4%A', '/binance/private/ws/%', '/binance/private/ws/%zz', '/binance/private/ws?listenKey=%']) {
      const refusal = await upgradeRefusal(`${harness.server.wsUrl}${path}`);
      assert.equal(refusal.status, 400, path);
      assert.deepEqual(JSON.parse(refusal.body), { code: -1125, msg: 'This listenKey does not exist.' }, path);
    }
    // Still serving: a REST call and a stream.
    assert.equal((await fetch(`${harness.server.url}/future/market/v1/public/symbol/list`)).status, 200);
    const stream = await RawStream.open(`${harness.server.wsUrl}/ws/user`);
    stream.close();
  });

  test('an upgrade whose target is not a URL path (//[) is answered 400, never a crash', async () => {
    const answer = await rawUpgrade(harness.server.port, '//[');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.equal((await fetch(`${harness.server.url}/future/market/v1/public/symbol/list`)).status, 200);
  });

  test('random URLs and percent-encodings on every stream path are refused or served, never a crash', async () => {
    const seed = seedFrom('URL_FUZZ');
    const random = rng(seed);
    const prefixes = ['/ws/user', '/binance/ws/', '/binance/private/ws/', '/binance/private/ws?listenKey=', '/bybit/v5/private?max_active_time=', '/kucoin/futures?token=', '/kucoin/uta?token=', '/nowhere/'];
    const pieces = ['%', '%%', '%zz', '%E0%A4%A', '%00', '%2F', '..', '/', '?', '&', '=', 'a', '%FF%FE', '%C0%AF', '~', ';'];
    for (let i = 0; i < 120; i++) {
      const path = random.pick(prefixes) + Array.from({ length: random.int(1, 6) }, () => random.pick(pieces)).join('');
      const outcome = await upgradeOutcome(`${harness.server.wsUrl}${path}`);
      assert.ok(outcome === 'opened' || (outcome >= 400 && outcome < 500) || outcome === 503, `seed ${seed}: ${path} → ${outcome}`);
    }
    const status = await fetch(`${harness.server.url}/admin/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const gateway = ((await status.json()) as Json).gateway as Json;
    assert.equal(gateway.upgradeFaults, 0, `seed ${seed}: no upgrade threw`);
    assert.equal(gateway.messageFaults, 0, `seed ${seed}: no message handler threw`);
  });
});

/** Sends a WebSocket upgrade with an exact request target over a raw socket; the answer's text. */
function rawUpgrade(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** The HTTP answer to an upgrade the server must refuse. */
async function upgradeRefusal(url: string): Promise<{ status: number; body: string }> {
  const outcome = await upgrade(url);
  if ('opened' in outcome) {
    outcome.opened.terminate();
    throw new Error(`${url} was accepted`);
  }
  return outcome;
}

/** 'opened', or the HTTP status an upgrade was refused with. */
async function upgradeOutcome(url: string): Promise<'opened' | number> {
  const outcome = await upgrade(url);
  if ('status' in outcome) return outcome.status;
  outcome.opened.terminate();
  return 'opened';
}
