/**
 * Resume by {epoch, seq} on the Binance, Bybit and KuCoin (classic and UTA) private streams: the
 * same service-level resume as XT's (src/dialects/resume.ts), asked for in each dialect's own place
 * (Binance: `resume=<epoch>:<seq>` on the stream URL, raw and combined; Bybit: a `resume` field on
 * the first `subscribe`; KuCoin: a `resume` field on the first private subscribe) and answered in
 * its own shape. The yardstick is a *witness* per dialect: a connection on the same account that
 * never disconnects; a resumed client's frames after its seq must equal the witness's, byte for
 * byte: every event exactly once, in order, then live ones.
 *   - resume after a disconnect with events missed;
 *   - a stale epoch and a seq ahead of the account: recovered:false, nothing replayed, live goes on;
 *   - a seq older than the window: served from the journal (data directory), or recovered:false
 *     without one;
 *   - malformed resume values: the dialect's own error, and the connection (or upgrade) refused
 *     nothing else.
 * Every "nothing more arrived" is asserted after a round trip on the same connection (the barrier),
 * never after a sleep.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { BinanceRest, BinanceStream } from '../binance/client.js';
import { sign as bybitSign } from '../bybit/client.js';
import { KucoinRest } from '../kucoin/client.js';
import { cleanup, expectOk, restingBuy, restSeq, startNode, tempDir, trader, type Node, type Trader } from './support.js';

type Json = Record<string, unknown>;
interface Position { epoch: string; seq: number; resume?: { recovered: true; from: number; to: number } | { recovered: false; reason: string } }
interface Push { seq: number; text: string }
/** A resume request: after `seq`, and (`skip`) that many frames of the next seq already held. */
interface Resume { epoch: string; seq: number; skip?: number }

/** A WebSocket that records every frame (text and parsed) and wakes waiters on each. */
class Recorder {
  readonly frames: { text: string; json: Json }[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly socket: WebSocket, private readonly driver: Driver) {
    socket.on('message', (data) => {
      const text = data.toString();
      this.frames.push({ text, json: JSON.parse(text) as Json });
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(url: string, driver: Driver): Promise<Recorder> {
    const socket = new WebSocket(url);
    const recorder = new Recorder(socket, driver);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return recorder;
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  async until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed !== null && !condition()) {
        throw new Error(`${this.driver.name}: ${this.closed === null ? 'timed out' : `closed ${JSON.stringify(this.closed)}`} waiting for ${what}; frames:\n${this.frames.map((f) => f.text).join('\n').slice(0, 3000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(message: Json): string {
    const id = String(message.id ?? `r${this.nextId++}`);
    this.socket.send(JSON.stringify({ ...message, id }));
    return id;
  }

  /** The first frame after index `from` that `match` accepts. */
  async next(from: number, match: (f: Json) => boolean, what: string): Promise<Json> {
    let found: Json | undefined;
    await this.until(() => (found = this.frames.slice(from).find((f) => match(f.json))?.json) !== undefined, what);
    return found!;
  }

  pushes(): Push[] {
    return this.frames.filter((f) => this.driver.isPush(f.json)).map((f) => ({ seq: this.driver.seqOf(f.json), text: f.text }));
  }

  lastSeq(): number {
    return this.pushes().at(-1)?.seq ?? 0;
  }

  /** The barrier: the dialect's own round trip; everything queued before it is here once it is. */
  sync(): Promise<void> {
    return this.driver.sync(this);
  }

  close(): void {
    this.socket.close();
  }
}

/** Everything a dialect's stream takes to be opened, resumed and read. */
interface Driver {
  name: string;
  /** A connection of the account subscribed to every private topic; `resume` asks for a resume and returns its answer. */
  open(t: Account, resume?: Resume): Promise<{ stream: Recorder; answer: Position | null }>;
  isPush(f: Json): boolean;
  seqOf(f: Json): number;
  sync(r: Recorder): Promise<void>;
}

interface Account extends Trader {
  passphrase: string;
  binance: BinanceRest;
  kucoin: KucoinRest;
  wsUrl: string;
}

const positionOf = (f: Json): Position => ({ epoch: f.epoch as string, seq: f.seq as number, ...(f.resume === undefined ? {} : { resume: f.resume as Position['resume'] }) });

function binanceDriver(combined: boolean): Driver {
  const unwrap = (f: Json): Json => (combined && typeof f.data === 'object' && f.data !== null ? f.data as Json : f);
  return {
    name: combined ? 'binance combined' : 'binance raw',
    async open(t, resume) {
      const key = await t.binance.listenKey();
      const query = resume === undefined ? '' : `resume=${resume.epoch}:${resume.seq}${resume.skip === undefined ? '' : `:${resume.skip}`}`;
      const path = combined ? `/binance/stream?streams=${key}${query === '' ? '' : `&${query}`}` : `/binance/ws/${key}${query === '' ? '' : `?${query}`}`;
      const stream = await Recorder.connect(`${t.wsUrl}${path}`, this);
      if (resume === undefined) return { stream, answer: null };
      const notice = await stream.next(0, (f) => unwrap(f).e === 'STREAM_RESUME', 'the STREAM_RESUME event');
      if (combined) assert.equal(notice.stream, key, 'the notice is wrapped like the pushes');
      return { stream, answer: positionOf(unwrap(notice)) };
    },
    isPush: (f) => typeof unwrap(f).e === 'string' && unwrap(f).e !== 'STREAM_RESUME',
    seqOf: (f) => unwrap(f).seq as number,
    async sync(r) {
      const from = r.frames.length;
      const id = r.send({ method: 'LIST_SUBSCRIPTIONS' });
      await r.next(from, (f) => f.id === id, 'the LIST_SUBSCRIPTIONS answer');
    },
  };
}

const bybit: Driver = {
  name: 'bybit',
  async open(t, resume) {
    const stream = await Recorder.connect(`${t.wsUrl}/bybit/v5/private`, this);
    const expires = Date.now() + 10_000;
    let from = stream.frames.length;
    stream.socket.send(JSON.stringify({ op: 'auth', args: [t.apiKey, expires, bybitSign(t.secret, `GET/realtime${expires}`)], req_id: 'auth' }));
    const auth = await stream.next(from, (f) => f.op === 'auth', 'the auth reply');
    assert.equal(auth.success, true, JSON.stringify(auth));
    from = stream.frames.length;
    stream.socket.send(JSON.stringify({ op: 'subscribe', args: ['order', 'execution', 'position', 'wallet'], req_id: 'sub', ...(resume === undefined ? {} : { resume }) }));
    const reply = await stream.next(from, (f) => f.op === 'subscribe', 'the subscribe reply');
    assert.equal(reply.success, true, JSON.stringify(reply));
    return { stream, answer: resume === undefined ? null : positionOf(reply) };
  },
  isPush: (f) => typeof f.topic === 'string',
  seqOf: (f) => f.seq as number,
  async sync(r) {
    const from = r.frames.length;
    r.socket.send(JSON.stringify({ op: 'ping', req_id: 'sync' }));
    await r.next(from, (f) => f.op === 'pong', 'a pong');
  },
};

const CLASSIC_TOPICS = ['/contractMarket/tradeOrders', '/contractAccount/wallet', '/contract/positionAll'];

async function kucoinPing(r: Recorder): Promise<void> {
  const from = r.frames.length;
  const id = r.send({ type: 'ping' });
  await r.next(from, (f) => f.id === id && f.type === 'pong', 'a pong');
}

const kucoinClassic: Driver = {
  name: 'kucoin classic',
  async open(t, resume) {
    const stream = await Recorder.connect(await t.kucoin.futuresStreamUrl(), this);
    await stream.next(0, (f) => f.type === 'welcome', 'the welcome');
    if (resume !== undefined) {
      // KuCoin subscribes one topic per message: the resume names the others, so one step covers them all.
      const id = stream.send({ type: 'subscribe', topic: CLASSIC_TOPICS[0], privateChannel: true, response: true, resume: { ...resume, topics: CLASSIC_TOPICS.slice(1) } });
      const ack = await stream.next(1, (f) => f.id === id, 'the resume ack');
      assert.equal(ack.type, 'ack', JSON.stringify(ack));
      return { stream, answer: positionOf(ack) };
    }
    for (const topic of CLASSIC_TOPICS) {
      const from = stream.frames.length;
      const id = stream.send({ type: 'subscribe', topic, privateChannel: true, response: true });
      const ack = await stream.next(from, (f) => f.id === id, `the ack of ${topic}`);
      assert.equal(ack.type, 'ack', JSON.stringify(ack));
    }
    return { stream, answer: null };
  },
  isPush: (f) => f.type === 'message',
  seqOf: (f) => f.seq as number,
  sync: kucoinPing,
};

const kucoinUta: Driver = {
  name: 'kucoin uta',
  async open(t, resume) {
    const stream = await Recorder.connect(await t.kucoin.utaStreamUrl(t.wsUrl), this);
    await stream.next(0, (f) => f.message === 'welcome', 'the welcome');
    const from = stream.frames.length;
    const id = stream.send({ action: 'SUBSCRIBE', channel: 'positionAll', tradeType: 'FUTURES', ...(resume === undefined ? {} : { resume }) });
    const answer = await stream.next(from, (f) => f.id === id, 'the subscribe answer');
    assert.equal(answer.result, true, JSON.stringify(answer));
    return { stream, answer: resume === undefined ? null : positionOf(answer) };
  },
  isPush: (f) => typeof f.T === 'string',
  seqOf: (f) => f.seq as number,
  sync: kucoinPing,
};

const DRIVERS: Driver[] = [binanceDriver(false), binanceDriver(true), bybit, kucoinClassic, kucoinUta];

const open: Recorder[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});
after(cleanup);

async function account(node: Node): Promise<Account> {
  const t = await trader(node);
  const passphrase = (t as unknown as { passphrase: string }).passphrase;
  const binance = new BinanceRest(node.server.url, t.apiKey, t.secret);
  const kucoin = new KucoinRest(node.server.url, t.apiKey, t.secret, passphrase);
  return { ...t, passphrase, binance, kucoin, wsUrl: node.server.wsUrl };
}

async function openStream(driver: Driver, t: Account, resume?: Resume): Promise<{ stream: Recorder; answer: Position | null }> {
  const opened = await driver.open(t, resume);
  open.push(opened.stream);
  return opened;
}

const seqOf = (node: Node, t: Trader): number => node.server.exchange.engine.account(t.accountId)!.seq;

/**
 * The seq of the witness's last push once everything the server has queued reached it (a dialect
 * may push nothing for an account's last events: KuCoin UTA pushes positions only).
 */
async function witnessed(witness: Recorder): Promise<number> {
  await witness.sync();
  return witness.lastSeq();
}

/** Asserts that `stream`'s pushes after `afterSeq` are the witness's, byte for byte: no gap, no duplicate. */
async function assertWitnessed(driver: Driver, stream: Recorder, witness: Recorder, afterSeq: number, what: string): Promise<void> {
  const upTo = await witnessed(witness);
  await stream.until(() => stream.lastSeq() >= upTo, `${what}: the resumed stream up to seq ${upTo}`);
  await stream.sync();
  const expected = witness.pushes().filter((p) => p.seq > afterSeq);
  assert.ok(expected.length > 0, `${what}: the witness saw pushes after ${afterSeq}`);
  assert.deepEqual(stream.pushes().map((p) => p.text), expected.map((p) => p.text), `${driver.name}: ${what}: the same frames as pushed live, once each, in order`);
}

describe('resume by {epoch, seq} on every dialect\'s private stream (window of 12 events, journal behind it)', { timeout: 120_000 }, () => {
  let node: Node;
  let a: Account;
  const witnesses = new Map<string, Recorder>();
  let price = 40000;
  const order = async (): Promise<void> => {
    expectOk(await restingBuy(a, undefined, String(price++)), 'a resting order');
  };

  before(async () => {
    node = await startNode(join(await tempDir('resume-dialects'), 'data'), { replayWindow: 12, keepSnapshots: 2 });
    a = await account(node);
    for (const driver of DRIVERS) witnesses.set(driver.name, (await driver.open(a)).stream);
  });
  after(async () => {
    for (const w of witnesses.values()) w.close();
    await node.server.close();
  });

  for (const driver of DRIVERS) {
    describe(driver.name, () => {
      const witness = (): Recorder => witnesses.get(driver.name)!;

      test('after a disconnect with events missed: every missed push once, in order, then live ones', async () => {
        const first = await openStream(driver, a);
        await order();
        const seen = await witnessed(witness());
        await first.stream.until(() => first.stream.lastSeq() === seen, 'the first order\'s pushes');
        const last = first.stream.lastSeq();
        first.stream.close();
        await first.stream.until(() => first.stream.closed !== null, 'the close');
        await order();
        await order();
        const current = seqOf(node, a);
        const { epoch } = await restSeq(a);
        const resumed = await openStream(driver, a, { epoch, seq: last });
        assert.deepEqual(resumed.answer, { epoch, seq: current, resume: { recovered: true, from: last + 1, to: current } });
        await order();
        await assertWitnessed(driver, resumed.stream, witness(), last, 'missed, then live');
      });

      test('a stale epoch and a seq ahead: recovered:false, nothing replayed, live pushes go on', async () => {
        await order();
        const current = seqOf(node, a);
        const { epoch } = await restSeq(a);
        const stale = await openStream(driver, a, { epoch: '0123456789abcdef', seq: current - 3 });
        assert.equal(stale.answer?.resume?.recovered, false);
        assert.match((stale.answer!.resume as { reason: string }).reason, /epoch/);
        assert.deepEqual({ epoch: stale.answer!.epoch, seq: stale.answer!.seq }, { epoch, seq: current }, 'the answer names the real epoch and seq (for the REST re-snapshot)');
        await stale.stream.sync();
        assert.equal(stale.stream.pushes().length, 0, 'nothing replayed');

        const ahead = await openStream(driver, a, { epoch, seq: current + 5 });
        assert.equal(ahead.answer?.resume?.recovered, false);
        assert.match((ahead.answer!.resume as { reason: string }).reason, /ahead/);
        await ahead.stream.sync();
        assert.equal(ahead.stream.pushes().length, 0, 'nothing replayed');

        await order();
        const now = await witnessed(witness());
        await stale.stream.until(() => stale.stream.lastSeq() === now, 'live pushes after recovered:false');
        assert.ok(stale.stream.pushes().every((p) => p.seq > current), 'only live ones');
      });

      test('older than the window: the journal serves the same frames', async () => {
        const from = seqOf(node, a);
        for (let i = 0; i < 6; i++) await order();
        const current = seqOf(node, a);
        assert.ok(current - from > 12, 'the resume point has left the 12-event window');
        const { epoch } = await restSeq(a);
        const resumed = await openStream(driver, a, { epoch, seq: from });
        assert.deepEqual(resumed.answer?.resume, { recovered: true, from: from + 1, to: current });
        await assertWitnessed(driver, resumed.stream, witness(), from, 'from the journal');
        await order();
        await assertWitnessed(driver, resumed.stream, witness(), from, 'journal, then live');
      });
    });
  }
});

describe('resume without a data directory: older than the window is an explicit recovered:false', { timeout: 60_000 }, () => {
  let node: Node;
  let a: Account;

  before(async () => {
    node = await startNode(null, { replayWindow: 6 });
    a = await account(node);
    for (let i = 0; i < 4; i++) expectOk(await restingBuy(a, undefined, String(41000 + i)), 'a resting order');
  });
  after(() => node.server.close());

  for (const driver of DRIVERS) {
    test(driver.name, async () => {
      const current = seqOf(node, a);
      const { epoch } = await restSeq(a);
      const resumed = await openStream(driver, a, { epoch, seq: 1 });
      assert.equal(resumed.answer?.resume?.recovered, false);
      assert.match((resumed.answer!.resume as { reason: string }).reason, /window/);
      assert.equal(resumed.answer!.seq, current);
      await resumed.stream.sync();
      assert.equal(resumed.stream.pushes().length, 0, 'nothing replayed');
    });
  }
});

describe('malformed resume values get the dialect\'s own error and change nothing', { timeout: 60_000 }, () => {
  let node: Node;
  let a: Account;
  const BAD: unknown[] = ['1:2', 7, [], { epoch: 'e' }, { epoch: 'e', seq: -1 }, { epoch: 'e', seq: 1.5 }, { epoch: '', seq: 1 }, { epoch: 3, seq: 1 }, { epoch: 'e', seq: '1' }, { epoch: 'e', seq: 1, since: 0 }, { epoch: 'e', seq: 1, skip: -1 }, { epoch: 'e', seq: 1, skip: '1' }];

  before(async () => {
    node = await startNode(null);
    a = await account(node);
  });
  after(() => node.server.close());

  test('binance: the upgrade is refused with -1100 (-1104 where no user data flows)', async () => {
    const key = await a.binance.listenKey();
    for (const value of ['abc', 'e:-1', 'e:1.5', ':1', 'e:', 'e:1:', 'e:1:-2', 'e:1:2:3', `${'e'.repeat(65)}:1`]) {
      for (const path of [`/binance/ws/${key}`, `/binance/stream?streams=${key}`]) {
        const glue = path.includes('?') ? '&' : '?';
        const refused = await BinanceStream.refused(node.server.wsUrl, `${path}${glue}resume=${encodeURIComponent(value)}`);
        assert.equal(refused.status, 400, `${path} resume=${value}`);
        const body = JSON.parse(refused.body) as { code: number; msg: string };
        assert.equal(body.code, -1100, refused.body);
        assert.match(body.msg, /'resume'/);
      }
    }
    const twice = await BinanceStream.refused(node.server.wsUrl, `/binance/ws/${key}?resume=e:1&resume=e:2`);
    assert.equal((JSON.parse(twice.body) as { code: number }).code, -1100, 'sent twice');
    const market = await BinanceStream.refused(node.server.wsUrl, '/binance/public/ws/btcusdt@aggTrade?resume=e:1');
    assert.equal((JSON.parse(market.body) as { code: number }).code, -1104, 'a market-only route takes no resume');
  });

  test('bybit: {success:false} on the subscribe, no topic taken; a good subscribe after it works', async () => {
    const stream = await Recorder.connect(`${node.server.wsUrl}/bybit/v5/private`, bybit);
    open.push(stream);
    const expires = Date.now() + 10_000;
    stream.socket.send(JSON.stringify({ op: 'auth', args: [a.apiKey, expires, bybitSign(a.secret, `GET/realtime${expires}`)] }));
    await stream.next(0, (f) => f.op === 'auth' && f.success === true, 'auth');
    for (const resume of BAD) {
      const from = stream.frames.length;
      stream.socket.send(JSON.stringify({ op: 'subscribe', args: ['order'], req_id: 'bad', resume }));
      const reply = await stream.next(from, (f) => f.op === 'subscribe', 'the reply');
      assert.equal(reply.success, false, JSON.stringify(resume));
      assert.match(String(reply.ret_msg), /resume must be/);
      assert.equal(reply.req_id, 'bad');
    }
    let from = stream.frames.length;
    stream.socket.send(JSON.stringify({ op: 'unsubscribe', args: ['order'], resume: { epoch: 'e', seq: 1 } }));
    assert.match(String((await stream.next(from, (f) => f.op === 'unsubscribe', 'the reply')).ret_msg), /resume goes on a subscribe/);
    // Nothing was subscribed by the refused requests: an order pushes nothing; then a good resume works.
    expectOk(await restingBuy(a, undefined, '42000'), 'an order');
    await bybit.sync(stream);
    assert.equal(stream.frames.filter((f) => bybit.isPush(f.json)).length, 0);
    const { epoch, seq } = await restSeq(a);
    from = stream.frames.length;
    stream.socket.send(JSON.stringify({ op: 'subscribe', args: ['order'], resume: { epoch, seq } }));
    const ok = await stream.next(from, (f) => f.op === 'subscribe', 'the reply');
    assert.deepEqual(positionOf(ok), { epoch, seq, resume: { recovered: true, from: seq + 1, to: seq } });
  });

  test('kucoin classic: {"type":"error","code":400}; on a market topic or an unsubscribe too', async () => {
    const stream = await Recorder.connect(await a.kucoin.futuresStreamUrl(), kucoinClassic);
    open.push(stream);
    await stream.next(0, (f) => f.type === 'welcome', 'welcome');
    const cases: [Json, RegExp][] = [
      ...BAD.map((resume): [Json, RegExp] => [{ type: 'subscribe', topic: '/contractMarket/tradeOrders', privateChannel: true, response: true, resume }, /resume must be/]),
      [{ type: 'subscribe', topic: '/contractMarket/ticker:XBTUSDTM', response: true, resume: { epoch: 'e', seq: 1 } }, /private topic/],
      [{ type: 'unsubscribe', topic: '/contractMarket/tradeOrders', response: true, resume: { epoch: 'e', seq: 1 } }, /private topic/],
      [{ type: 'subscribe', topic: '/contractMarket/tradeOrders', response: true, resume: { epoch: 'e', seq: 1, topics: '/contractAccount/wallet' } }, /resume must be/],
      [{ type: 'subscribe', topic: '/contractMarket/tradeOrders', response: true, resume: { epoch: 'e', seq: 1, topics: ['/contractMarket/ticker:XBTUSDTM'] } }, /is public/],
    ];
    for (const [message, reason] of cases) {
      const from = stream.frames.length;
      const id = stream.send(message);
      const reply = await stream.next(from, (f) => f.id === id, 'the reply');
      assert.equal(reply.type, 'error', JSON.stringify(message));
      assert.equal(reply.code, 400);
      assert.match(String(reply.data), reason);
    }
    expectOk(await restingBuy(a, undefined, '42001'), 'an order');
    await kucoinPing(stream);
    assert.equal(stream.frames.filter((f) => kucoinClassic.isPush(f.json)).length, 0, 'no topic was taken');
  });

  test('kucoin uta: {"result":false,"reason"}', async () => {
    const stream = await Recorder.connect(await a.kucoin.utaStreamUrl(node.server.wsUrl), kucoinUta);
    open.push(stream);
    await stream.next(0, (f) => f.message === 'welcome', 'welcome');
    for (const resume of BAD) {
      const from = stream.frames.length;
      const id = stream.send({ action: 'subscribe', channel: 'positionAll', tradeType: 'FUTURES', resume });
      const reply = await stream.next(from, (f) => f.id === id, 'the reply');
      assert.equal(reply.result, false, JSON.stringify(resume));
      assert.match(String(reply.reason), /resume must be/);
    }
    const from = stream.frames.length;
    const id = stream.send({ action: 'unsubscribe', channel: 'positionAll', tradeType: 'FUTURES', resume: { epoch: 'e', seq: 1 } });
    assert.match(String((await stream.next(from, (f) => f.id === id, 'the reply')).reason), /resume goes on a subscribe/);
    expectOk(await restingBuy(a, undefined, '42002'), 'an order');
    await kucoinPing(stream);
    assert.equal(stream.frames.filter((f) => kucoinUta.isPush(f.json)).length, 0, 'no channel was taken');
  });
});

describe('binance: a URL resume on a connection opened without a key is served when SUBSCRIBE binds it', { timeout: 60_000 }, () => {
  let node: Node;
  let a: Account;

  before(async () => {
    node = await startNode(null);
    a = await account(node);
  });
  after(() => node.server.close());

  test('the SUBSCRIBE result, then STREAM_RESUME, then the missed pushes (the witness\'s), then live ones', async () => {
    const driver = binanceDriver(false);
    const witness = (await openStream(driver, a)).stream;
    expectOk(await restingBuy(a, undefined, '43000'), 'a resting order');
    const last = await witnessed(witness);
    expectOk(await restingBuy(a, undefined, '43001'), 'a missed order');
    const current = seqOf(node, a);
    const { epoch } = await restSeq(a);
    const stream = await Recorder.connect(`${a.wsUrl}/binance/ws?resume=${epoch}:${last}`, driver);
    open.push(stream);
    await stream.sync();
    assert.equal(stream.pushes().length, 0, 'nothing before the connection is bound');
    const from = stream.frames.length;
    stream.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: [await a.binance.listenKey()], id: 7 }));
    await stream.next(from, (f) => f.e === 'STREAM_RESUME', 'the STREAM_RESUME event');
    const after = stream.frames.slice(from).map((f) => f.json);
    assert.deepEqual(after[0], { result: null, id: 7 }, 'the SUBSCRIBE result comes first');
    assert.deepEqual(positionOf(after[1]!), { epoch, seq: current, resume: { recovered: true, from: last + 1, to: current } });
    expectOk(await restingBuy(a, undefined, '43002'), 'a live order');
    await assertWitnessed(driver, stream, witness, last, 'after SUBSCRIBE');
  });
});

describe('a connection cut between two frames of one seq resumes at the next frame (`skip`)', { timeout: 60_000 }, () => {
  let node: Node;
  let a: Account;
  let b: Account;
  let price = 39000;

  before(async () => {
    node = await startNode(null);
    a = await account(node);
    b = await account(node);
  });
  after(() => node.server.close());

  const limit = (t: Account, orderSide: 'BUY' | 'SELL', positionSide: 'LONG' | 'SHORT', at: number) => t.rest.post<string>('/future/trade/v1/order/create', {
    symbol: 'btc_usdt', orderSide, positionSide, orderType: 'LIMIT', price: String(at), origQty: '1',
  });

  for (const driver of DRIVERS) {
    test(`${driver.name}: cut after the first frame of a fill, then resumed: the rest of it once, then live`, async () => {
      const victim = (await openStream(driver, a)).stream;
      const before = await restSeq(a);
      // The operator's fault: this connection (the only one of the account yet) drops after one push.
      const armed = await node.admin.request('POST', '/faults/stream', { accountId: a.accountId, action: 'dropAfter', pushes: 1 });
      assert.equal(armed.status, 200, JSON.stringify(armed.body));
      const witness = (await openStream(driver, a)).stream;
      const at = price++;
      expectOk(await limit(b, 'SELL', 'SHORT', at), 'the counterparty\'s resting sell');
      expectOk(await limit(a, 'BUY', 'LONG', at), 'a buy that fills it');
      expectOk(await restingBuy(a, undefined, String(at - 500)), 'one more command (the drop needs a push after the first)');
      await victim.until(() => victim.closed !== null, 'the injected drop');
      // Exactly the one push: the fault ends the TCP connection once it is written (compressed or not).
      const got = victim.pushes();
      assert.equal(got.length, 1, `one push before the drop; got ${got.length}`);
      // The client's position: the seq before its last one, and how many frames carried its last one.
      const last = got.at(-1)?.seq;
      const prev = last === undefined ? before.seq : got.filter((p) => p.seq < last).at(-1)?.seq ?? before.seq;
      const skip = last === undefined ? 0 : got.filter((p) => p.seq === last).length;
      const resumed = await openStream(driver, a, { epoch: before.epoch, seq: prev, skip });
      assert.equal(resumed.answer?.resume?.recovered, true, JSON.stringify(resumed.answer));
      expectOk(await restingBuy(a, undefined, String(at - 600)), 'a live order');
      const upTo = await witnessed(witness);
      await resumed.stream.until(() => resumed.stream.lastSeq() >= upTo, 'the resumed stream up to the witness');
      await resumed.stream.sync();
      const all = witness.pushes().map((p) => p.text);
      assert.deepEqual(got.map((p) => p.text), all.slice(0, got.length), 'the victim\'s frames were the witness\'s first ones');
      assert.deepEqual(resumed.stream.pushes().map((p) => p.text), all.slice(got.length), `${driver.name}: every frame after the cut, once, in order`);
      witness.close();
      await node.admin.request('DELETE', `/faults?accountId=${a.accountId}`);
    });

    test(`${driver.name}: holding k of the frames of a seq, \`skip: k\` gets exactly the others`, async () => {
      // The REST snapshot's seq: where the client stands before the first push it receives.
      const { epoch, seq: start } = await restSeq(a);
      const full = (await openStream(driver, a)).stream;
      const at = price++;
      expectOk(await limit(b, 'SELL', 'SHORT', at), 'the counterparty\'s resting sell');
      expectOk(await limit(a, 'BUY', 'LONG', at), 'a buy that fills it');
      await witnessed(full);
      const pushes = full.pushes();
      // The last seq that several frames share (one command's on Binance and Bybit); if none, the last seq.
      const shared = [...pushes].reverse().find((p, _, all) => all.filter((q) => q.seq === p.seq).length > 1)?.seq ?? pushes.at(-1)!.seq;
      const group = pushes.filter((p) => p.seq === shared);
      // The seq before the group's: a frame's seq is its command's last event, not its first.
      const before = pushes.filter((p) => p.seq < shared).at(-1)?.seq ?? start;
      for (let k = 0; k <= group.length; k++) {
        const resumed = await openStream(driver, a, { epoch, seq: before, skip: k });
        assert.equal(resumed.answer?.resume?.recovered, true);
        await resumed.stream.sync();
        const expected = pushes.filter((p) => p.seq > before).map((p) => p.text).slice(k);
        assert.deepEqual(resumed.stream.pushes().map((p) => p.text), expected, `${driver.name}: skip ${k} of ${group.length}`);
        resumed.stream.close();
      }
      full.close();
    });
  }
});
