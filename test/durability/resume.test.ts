/**
 * Resume edges of the XT stream (SUBSCRIBE with "resume": {"epoch", "seq"}). The yardstick is a
 * *witness*: a stream connection on the same account that never disconnects, whose raw push frames
 * are what "every event exactly once, in order" means. A resumed client's frames must equal the
 * witness's frames after its seq, byte for byte.
 *   - at the current seq; exactly at the in-memory window's edge (oldest retained = seq+1) and one
 *     beyond it (served from the journal instead, the same frames); the edge moving when another
 *     account's events evict this one's; wrong epoch; seq ahead; bad shapes (resume-journal.test.ts
 *     covers what lies beyond the journal's retained history: an explicit recovered:false);
 *   - the same edges after a graceful restart (window from the snapshot) and after a crash
 *     (window rebuilt by replaying the journal);
 *   - events arriving while and just after resuming (many reconnects under load);
 *   - "REST snapshot, then pushes with a higher seq" is exact;
 *   - resume across a graceful restart, a one-way-mode account across restarts, resume across a
 *     SIGKILL of the real process, and a retried clientOrderId after a crash;
 *   - a resume larger than the gateway's outgoing queue bound.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  abandon, ADMIN, admin, ALL_TOPICS, crashImage, createFunded, expectOk, gapFree, cleanup, rebind, Rest, restingBuy,
  ResumeStream, rng, seedFrom, ServerProcess, startNode, tempDir, trader, withTimeout, type Ack, type Node, type Trader,
} from './support.js';

const streams: ResumeStream[] = [];
async function connect(node: { server: { wsUrl: string } } | string): Promise<ResumeStream> {
  const stream = await ResumeStream.connect(typeof node === 'string' ? node : node.server.wsUrl);
  streams.push(stream);
  return stream;
}

afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});
after(cleanup);

/** Asserts nothing more arrived on `stream`, past a ping/pong round trip. */
async function assertQuiet(stream: ResumeStream, count: number, what: string): Promise<void> {
  await stream.sync();
  assert.equal(stream.pushes.length, count, `${what}: nothing more may arrive; got ${JSON.stringify(stream.pushes.slice(count).map((p) => p.seq))}`);
}

const accountSeq = (node: Node, t: Trader): number => node.server.exchange.engine.account(t.accountId)!.seq;

/** A resumed client: its frames after `from` must be the witness's. */
async function assertSameAsWitness(resumed: ResumeStream, witness: ResumeStream, afterSeq: number, upTo: number, what: string): Promise<void> {
  await witness.until(() => (witness.lastSeq() ?? 0) >= upTo, 3_000, `${what}: witness up to ${upTo}`);
  await resumed.until(() => (resumed.lastSeq() ?? 0) >= upTo, 3_000, `${what}: resumed client up to ${upTo}`);
  const expected = witness.pushes.filter((p) => p.seq > afterSeq && p.seq <= upTo).map((p) => p.text);
  assert.deepEqual(resumed.pushes.filter((p) => p.seq <= upTo).map((p) => p.text), expected, `${what}: the resumed frames equal the live ones`);
}

describe('resume at the edges of a small replay window (30 events)', { timeout: 60_000 }, () => {
  let node: Node;
  let a: Trader;
  let b: Trader;
  let witness: ResumeStream;
  let epoch: string;

  before(async () => {
    node = await startNode(join(await tempDir('resume-window'), 'data'), { replayWindow: 30 });
    a = await trader(node);
    b = await trader(node);
    witness = await ResumeStream.connect(node.server.wsUrl);
    const ack = await witness.subscribe(a.listenKey, ALL_TOPICS);
    epoch = ack.epoch!;
    assert.match(epoch, /^[0-9a-f]{16}$/);
    for (let i = 0; i < 12; i++) expectOk(await restingBuy(a, undefined, String(50000 + i)), 'resting order');
    await witness.until(() => witness.pushes.length === 36, 3_000, 'the witness to see 36 pushes');
  });
  after(async () => {
    witness.close();
    await node.server.close();
  });

  test('resume at the current seq: recovered, nothing replayed, then live pushes', async () => {
    const seq = accountSeq(node, a);
    const stream = await connect(node);
    const ack = await stream.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq });
    assert.deepEqual({ ...ack, id: null }, { id: null, code: 0, msg: 'success', epoch, seq, resume: { recovered: true, from: seq + 1, to: seq } });
    await assertQuiet(stream, 0, 'resume at the current seq');
    expectOk(await restingBuy(a, undefined, '49000'), 'a live order');
    await stream.until(() => stream.pushes.length === 3, 2_000, 'live pushes');
    assert.deepEqual(stream.pushes.map((p) => p.seq), [seq + 1, seq + 2, seq + 3]);
    await assertSameAsWitness(stream, witness, seq, seq + 3, 'live after resume');
  });

  test('the window edge: oldest retained = seq+1 is recovered from memory, one beyond from the journal: the same frames', async () => {
    const current = accountSeq(node, a);
    // Only a's events since b's deposit: the 30 newest events are a's last 30.
    const edge = current - 30;
    const inside = await connect(node);
    const ack = await inside.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: edge });
    assert.deepEqual(ack.resume, { recovered: true, from: edge + 1, to: current });
    await inside.until(() => inside.pushes.length === 30, 2_000, 'the 30 replayed pushes');
    await assertQuiet(inside, 30, 'after the replay');
    assert.equal(gapFree(inside.pushes, edge + 1), null);
    await assertSameAsWitness(inside, witness, edge, current, 'window edge');

    const beyond = await connect(node);
    const fromJournal = await beyond.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: edge - 1 });
    assert.deepEqual(fromJournal.resume, { recovered: true, from: edge, to: current }, 'one beyond the window: from the journal');
    await beyond.until(() => beyond.pushes.length === 31, 3_000, 'the 31 replayed pushes');
    await assertSameAsWitness(beyond, witness, edge - 1, current, 'one beyond the window');
    // Then live ones.
    expectOk(await restingBuy(a, undefined, '48000'), 'a live order');
    await beyond.until(() => beyond.pushes.length === 34, 2_000, 'live pushes after a journal replay');
    assert.equal(gapFree(beyond.pushes, edge), null);
  });

  test('another account\'s events evict this one\'s oldest: the edge moves by exactly as many events', async () => {
    const current = accountSeq(node, a);
    expectOk(await restingBuy(b, undefined, '47000'), 'b: three events');
    // The window now holds b's 3 and a's newest 27.
    const old = await connect(node);
    assert.deepEqual((await old.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: current - 30 })).resume, { recovered: true, from: current - 29, to: current },
      'the former edge left memory: the journal serves it');
    await assertSameAsWitness(old, witness, current - 30, current, 'former edge, from the journal');
    const edge = await connect(node);
    assert.deepEqual((await edge.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: current - 27 })).resume, { recovered: true, from: current - 26, to: current });
    await edge.until(() => edge.pushes.length === 27, 2_000, '27 replayed');
    await assertSameAsWitness(edge, witness, current - 27, current, 'moved edge');
  });

  test('a wrong epoch, a seq ahead of the account, a second SUBSCRIBE and bad shapes: never a replay', async () => {
    const current = accountSeq(node, a);
    const wrong = await connect(node);
    const w = await wrong.subscribe(a.listenKey, ALL_TOPICS, { epoch: '0123456789abcdef', seq: current - 3 });
    assert.equal(w.resume?.recovered, false);
    assert.match((w.resume as { reason: string }).reason, /epoch/);
    assert.equal(w.epoch, epoch, 'the ack names the real epoch');
    await assertQuiet(wrong, 0, 'wrong epoch');

    const ahead = await connect(node);
    const h = await ahead.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: current + 5 });
    assert.equal(h.resume?.recovered, false);
    assert.match((h.resume as { reason: string }).reason, /ahead/);
    await assertQuiet(ahead, 0, 'seq ahead');

    const twice = await connect(node);
    await twice.subscribe(a.listenKey, ['order']);
    const second = await twice.subscribe(a.listenKey, ['balance'], { epoch, seq: current - 3 });
    assert.equal(second.resume?.recovered, false, 'resume only on the first SUBSCRIBE');
    await assertQuiet(twice, 0, 'second SUBSCRIBE');

    for (const bad of [{ epoch }, { seq: 1 }, { epoch, seq: -1 }, { epoch, seq: 1.5 }, { epoch: 5, seq: 1 }, 'x']) {
      const s = await connect(node);
      const ack: Ack = await s.subscribe(a.listenKey, ALL_TOPICS, bad);
      assert.equal(ack.code, 1, `resume ${JSON.stringify(bad)} is refused`);
      await assertQuiet(s, 0, `bad resume ${JSON.stringify(bad)}`);
    }
  });

  for (const kind of ['graceful', 'crash'] as const) {
    test(`after a ${kind} restart the window holds exactly the same events (edge recovered, one beyond refused, same frames)`, async () => {
      const current = accountSeq(node, a);
      // What the window holds now: find the edge by probing on the running server.
      let edge = current - 30;
      for (; edge <= current; edge++) {
        const probe = await connect(node);
        const ack = await probe.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: edge });
        probe.close();
        if (ack.resume?.recovered) break;
      }
      assert.ok(edge < current, 'the window holds some of a\'s events');
      await witness.until(() => witness.lastSeq() === current, 2_000, 'witness');
      const image = kind === 'crash' ? await crashImage(node.dataDir) : null;
      const restarted = kind === 'graceful' ? await restartGracefully(node, { replayWindow: 30 }) : await startNode(image!, { replayWindow: 30 });
      try {
        assert.equal(restarted.server.exchange.epoch, epoch, 'same epoch');
        assert.equal(restarted.server.recovery!.newEpoch, false);
        const r = rebind(a, restarted.server.url);
        const key = r.listenKey; // listen keys survive a restart
        const inside = await connect(restarted);
        const ack = await inside.subscribe(key, ALL_TOPICS, { epoch, seq: edge });
        assert.deepEqual(ack.resume, { recovered: true, from: edge + 1, to: current }, `the edge ${edge} is still recovered`);
        await inside.until(() => inside.pushes.length === current - edge, 2_000, 'replay');
        assert.deepEqual(inside.pushes.map((p) => p.text), witness.pushes.filter((p) => p.seq > edge).map((p) => p.text), 'same frames as pushed live');
        const beyond = await connect(restarted);
        assert.deepEqual((await beyond.subscribe(key, ALL_TOPICS, { epoch, seq: edge - 1 })).resume, { recovered: true, from: edge, to: current },
          'one beyond: the journal serves it after a restart too');
        await beyond.until(() => beyond.pushes.length === current - edge + 1, 3_000, 'journal replay after restart');
        assert.deepEqual(beyond.pushes.map((p) => p.text), witness.pushes.filter((p) => p.seq > edge - 1).map((p) => p.text), 'same frames from the journal');
      } finally {
        if (kind === 'graceful') node = restarted;
        else await abandon(restarted);
      }
      if (kind === 'graceful') {
        // Keep the suite's witness on the live server.
        witness.close();
        const fresh = await ResumeStream.connect(node.server.wsUrl);
        const ack = await fresh.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: edge });
        await fresh.until(() => fresh.pushes.length === current - edge, 2_000, 'new witness');
        assert.ok(ack.resume?.recovered);
        // Prefix the new witness with what the old one saw, so later comparisons see the whole history.
        const old = witness.pushes.filter((p) => p.seq <= edge);
        fresh.pushes.unshift(...old);
        witness = fresh;
        a = rebind(a, node.server.url);
        b = rebind(b, node.server.url);
      }
    });
  }
});

async function restartGracefully(node: Node, options: Parameters<typeof startNode>[1] = {}): Promise<Node> {
  await node.server.close();
  return startNode(node.dataDir, options);
}

describe('resume under load and REST snapshots (default window)', { timeout: 90_000 }, () => {
  let node: Node;
  let a: Trader;
  let b: Trader;
  const seed = seedFrom('RESUME');
  const random = rng(seed);

  before(async () => {
    node = await startNode(join(await tempDir('resume-load'), 'data'));
    a = await trader(node);
    b = await trader(node);
    assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
  });
  after(() => node.server.close());

  /** Two traders keep trading with each other until `stop()`; a's events come from its own orders and b's fills. */
  function load(): { stop: () => Promise<void>; errors: string[] } {
    let running = true;
    const errors: string[] = [];
    const open: Record<number, string[]> = { [a.accountId]: [], [b.accountId]: [] };
    const loop = async (t: Trader, other: Trader, worker: number): Promise<void> => {
      const r = rng(seed + worker);
      while (running) {
        const roll = r();
        let reply;
        if (roll < 0.2 && open[t.accountId]!.length > 0) {
          const id = open[t.accountId]!.splice(r.int(0, open[t.accountId]!.length - 1), 1)[0]!;
          reply = await t.rest.post('/future/trade/v1/order/cancel', { orderId: id });
          if (reply.body?.returnCode !== 0 && reply.body?.error?.code !== 'ORDER_005') errors.push(JSON.stringify(reply.body));
          continue;
        }
        const side = r.chance(0.5) ? 'BUY' : 'SELL';
        const price = String(60000 + r.int(-3, 3));
        reply = await t.rest.post<string>('/future/trade/v1/order/create', {
          symbol: 'btc_usdt', orderType: 'LIMIT', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', price, origQty: String(r.int(1, 3)),
        });
        if (reply.body?.returnCode === 0) {
          open[t.accountId]!.push(reply.body.result as string);
          if (open[t.accountId]!.length > 150) open[t.accountId]!.shift();
        } else if (!/insufficient|rejected|too many/i.test(reply.body?.error?.msg ?? '')) errors.push(JSON.stringify(reply.body));
        void other;
      }
    };
    const workers = [loop(a, b, 1), loop(b, a, 2), loop(a, b, 3)];
    return {
      errors,
      stop: async () => {
        running = false;
        await withTimeout(Promise.all(workers), 10_000, 'the load to stop');
      },
    };
  }

  test('events arriving while and just after resuming: 25 reconnects under load, every event exactly once, in order', async (t) => {
    t.diagnostic(`seed ${seed} (PERPSTREAM_RESUME_SEED=${seed})`);
    const witness = await connect(node);
    const start = await witness.subscribe(a.listenKey, ALL_TOPICS);
    const epoch = start.epoch!;
    const traffic = load();
    const received: string[] = [];
    const seqs: number[] = [];
    let last = start.seq!;
    try {
      for (let i = 0; i < 25; i++) {
        const stream = await connect(node);
        const id = stream.sendSubscribe(a.listenKey, ALL_TOPICS, { epoch, seq: last });
        const ack = await stream.ackOf(id);
        assert.equal(ack.resume?.recovered, true, `reconnect ${i}: ${JSON.stringify(ack)} (seed ${seed})`);
        assert.equal((ack.resume as { from: number }).from, last + 1);
        // Nothing of this connection's pushes may come before its ack.
        assert.equal(stream.log.findIndex((text) => text.startsWith('{"topic"')) > stream.logIndexOfAck(id) || stream.pushes.length === 0, true);
        // The cut lands after a seeded number of this connection's pushes (0: at once), under the load.
        const pushes = random.int(0, 8);
        await stream.until(() => stream.pushes.length >= pushes, 5_000, `${pushes} pushes before the cut`);
        // Cut the connection abruptly, as a network failure would.
        stream.terminate();
        await stream.until(() => stream.closed !== null, 2_000, 'close');
        for (const p of stream.pushes) {
          received.push(p.text);
          seqs.push(p.seq);
        }
        last = stream.lastSeq() ?? last;
      }
    } finally {
      await traffic.stop();
    }
    const final = await connect(node);
    const ack = await final.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: last });
    assert.equal(ack.resume?.recovered, true);
    const current = accountSeq(node, a);
    await final.until(() => (final.lastSeq() ?? last) === current, 3_000, 'the final catch-up');
    for (const p of final.pushes) {
      received.push(p.text);
      seqs.push(p.seq);
    }
    await witness.until(() => witness.lastSeq() === current, 3_000, 'the witness');
    assert.deepEqual(traffic.errors, []);
    assert.ok(current - start.seq! > 100, `enough events flowed (${current - start.seq!})`);
    assert.equal(gapFree(seqs.map((seq) => ({ seq })), start.seq! + 1), null, `seed ${seed}`);
    assert.deepEqual(received, witness.pushes.map((p) => p.text), `every event exactly once, in order, identical to the live frames (seed ${seed})`);
  });

  test('REST snapshots carry the seq they reflect: snapshot + pushes with a higher seq is exact, under load', async (t) => {
    t.diagnostic(`seed ${seed}`);
    const stream = await connect(node);
    const ack = await stream.subscribe(a.listenKey, ALL_TOPICS);
    const traffic = load();
    type Snap = { kind: string; seq: number; result: unknown };
    const snaps: Snap[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const kind = random.pick(['balance', 'position', 'orders'] as const);
        const reply = kind === 'balance' ? await a.rest.get('/future/user/v1/balance/list')
          : kind === 'position' ? await a.rest.get('/future/user/v1/position/list')
            : await a.rest.get('/future/trade/v1/order/list', { state: 'UNFINISHED', size: 100 });
        assert.equal(reply.body?.returnCode, 0);
        assert.equal(typeof reply.body!.seq, 'number', `${kind}: the snapshot carries its seq`);
        snaps.push({ kind, seq: reply.body!.seq!, result: reply.body!.result });
        // The next snapshot a seeded number of pushes later, so that they catch the account at different seqs.
        const later = stream.pushes.length + random.int(1, 4);
        await stream.until(() => stream.pushes.length >= later, 5_000, 'the load to move the account on');
      }
    } finally {
      await traffic.stop();
    }
    const current = accountSeq(node, a);
    await stream.until(() => stream.lastSeq() === current, 3_000, 'the stream to catch up');
    assert.equal(gapFree(stream.pushes, ack.seq! + 1), null);
    let checked = 0;
    for (const snap of snaps) {
      if (snap.seq <= ack.seq!) continue;
      const upTo = stream.pushes.filter((p) => p.seq <= snap.seq);
      const what = `${snap.kind} snapshot at seq ${snap.seq}`;
      if (snap.kind === 'balance') {
        const last = upTo.filter((p) => p.topic === 'balance').at(-1);
        if (last === undefined) continue;
        assert.deepEqual((snap.result as unknown[])[0], last.data, `${what}: the balance = the last balance push at or before it`);
      } else if (snap.kind === 'position') {
        const latest = new Map<string, Record<string, unknown>>();
        for (const p of upTo.filter((p) => p.topic === 'position')) latest.set(`${String(p.data.symbol)}|${String(p.data.positionSide)}`, p.data);
        for (const row of snap.result as Record<string, unknown>[]) {
          const pushed = latest.get(`${String(row.symbol)}|${String(row.positionSide)}`);
          if (pushed === undefined) continue;
          // XT spells a perpetual's contractType PERPETUAL over REST and PERPUTUAL in the push (its docs do).
          const { autoMargin: _ignored, contractType: restType, ...fields } = row;
          const { contractType: pushType, ...pushedFields } = pushed;
          assert.deepEqual([restType, pushType], ['PERPETUAL', 'PERPUTUAL']);
          assert.deepEqual(fields, pushedFields, `${what}: position ${String(row.positionSide)} = its last push`);
        }
      } else {
        const latest = new Map<string, Record<string, unknown>>();
        for (const p of upTo.filter((p) => p.topic === 'order')) latest.set(String(p.data.orderId), p.data);
        const openFromPushes = [...latest.values()].filter((o) => o.state === 'NEW' || o.state === 'PARTIALLY_FILLED')
          .map((o) => `${String(o.orderId)}:${String(o.executedQty)}`).sort();
        const openFromRest = (snap.result as { items: Record<string, unknown>[] }).items.map((o) => `${String(o.orderId)}:${String(o.executedQty)}`).sort();
        // Orders placed before the stream subscribed have no push here; compare only those that have one.
        const known = new Set([...latest.keys()]);
        assert.deepEqual(openFromRest.filter((o) => known.has(o.split(':')[0]!)), openFromPushes, `${what}: open orders = the pushes up to it`);
      }
      checked += 1;
    }
    assert.ok(checked >= 10, `checked ${checked} snapshots`);
    // And the first push after each snapshot has exactly its seq + 1.
    for (const snap of snaps) if (snap.seq < current) assert.ok(stream.pushes.some((p) => p.seq === snap.seq + 1));
    assert.deepEqual(traffic.errors, []);
  });

  test('resume across a graceful restart: every missed event (before and after the restart) exactly once, then live', async () => {
    const witness = await connect(node);
    const start = await witness.subscribe(a.listenKey, ALL_TOPICS);
    const epoch = start.epoch!;
    const client = await connect(node);
    await client.subscribe(a.listenKey, ALL_TOPICS);
    for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, undefined, String(40000 + i)), 'order');
    await client.until(() => client.pushes.length === 9, 2_000, 'client');
    client.terminate();
    const resumeFrom = client.lastSeq()!;
    for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, undefined, String(41000 + i)), 'missed order before the restart');
    const before = accountSeq(node, a);
    await witness.until(() => witness.lastSeq() === before, 2_000, 'witness before restart');
    node = await restartGracefully(node);
    a = rebind(a, node.server.url);
    b = rebind(b, node.server.url);
    const witness2 = await connect(node);
    const w2 = await witness2.subscribe(a.listenKey, ALL_TOPICS);
    assert.equal(w2.seq, before, 'the account seq continued across the restart');
    assert.equal(w2.epoch, epoch);
    for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, undefined, String(42000 + i)), 'missed order after the restart');
    const resumed = await connect(node);
    const ack = await resumed.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: resumeFrom });
    assert.deepEqual(ack.resume, { recovered: true, from: resumeFrom + 1, to: accountSeq(node, a) });
    expectOk(await restingBuy(a, undefined, '43000'), 'a live order');
    const current = accountSeq(node, a);
    await resumed.until(() => resumed.lastSeq() === current, 3_000, 'the resumed client');
    await witness2.until(() => witness2.lastSeq() === current, 3_000, 'witness 2');
    const live = [...witness.pushes, ...witness2.pushes].filter((p) => p.seq > resumeFrom).map((p) => p.text);
    assert.deepEqual(resumed.pushes.map((p) => p.text), live);
  });

  for (const kind of ['graceful', 'crash'] as const) {
    test(`a one-way-mode account: pushes replayed after a ${kind} restart equal the ones pushed live (flat and flipped positions)`, async () => {
      const oneWay = await trader(node);
      const maker = await trader(node);
      expectOk(await oneWay.rest.post('/future/user/v1/position/position-mode', { positionMode: 'ONE_WAY' }), 'one-way mode');
      const witness = await connect(node);
      const start = await witness.subscribe(oneWay.listenKey, ALL_TOPICS);
      const epoch = start.epoch!;
      const place = (t: Trader, side: 'BUY' | 'SELL', qty: number) => t.rest.post<string>('/future/trade/v1/order/create', {
        symbol: 'eth_usdt', orderType: 'LIMIT', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', price: '3000', origQty: String(qty),
      });
      assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'eth_usdt', price: '3000' })).status, 200);
      // short 2 → long 2 (a flip) → short 2 (a flip) → flat (shown on the side it was: SHORT)
      for (const [makerSide, qty] of [['BUY', 2], ['SELL', 4], ['BUY', 4], ['SELL', 2]] as const) {
        expectOk(await place(maker, makerSide, qty), 'maker');
        expectOk(await place(oneWay, makerSide === 'BUY' ? 'SELL' : 'BUY', qty), 'one-way taker');
      }
      const current = node.server.exchange.engine.account(oneWay.accountId)!.seq;
      await witness.until(() => witness.lastSeq() === current, 3_000, 'witness');
      const flat = witness.pushes.filter((p) => p.topic === 'position').at(-1)!;
      assert.equal(flat.data.positionSize, '0');
      assert.equal(flat.data.positionSide, 'SHORT', 'live: a flat one-way position stays on the side it was');
      let restarted: Node;
      if (kind === 'graceful') {
        node = await restartGracefully(node);
        restarted = node;
        a = rebind(a, node.server.url);
        b = rebind(b, node.server.url);
      } else {
        restarted = await startNode(await crashImage(node.dataDir));
      }
      try {
        const resumed = await connect(restarted);
        const ack = await resumed.subscribe(oneWay.listenKey, ALL_TOPICS, { epoch, seq: start.seq! });
        assert.equal(ack.resume?.recovered, true);
        await resumed.until(() => resumed.lastSeq() === current, 3_000, 'the replay');
        await resumed.sync(); // anything pushed twice would have come before the pong
        const positions = (pushes: ResumeStream['pushes']) => pushes.filter((p) => p.topic === 'position')
          .map((p) => `seq ${p.seq}: ${String(p.data.positionSide)} size ${String(p.data.positionSize)}`);
        assert.deepEqual(resumed.pushes.map((p) => p.text), witness.pushes.map((p) => p.text),
          `${kind} restart: ${resumed.pushes.length} frames replayed vs ${witness.pushes.length} pushed live.\n` +
          `position frames live:     ${JSON.stringify(positions(witness.pushes))}\n` +
          `position frames replayed: ${JSON.stringify(positions(resumed.pushes))}`);
      } finally {
        if (kind === 'crash') await abandon(restarted);
      }
    });
  }

  test('a resume larger than the outgoing queue bound (default limits, well inside the default replay window)', async () => {
    const client = await connect(node);
    const first = await client.subscribe(a.listenKey, ALL_TOPICS);
    client.close();
    // 16,000 events for a (one balance event per deposit) while the client is away: ~4.3 MB of frames.
    const { exchange } = node.server;
    for (let chunk = 0; chunk < 16; chunk++) {
      await Promise.all(Array.from({ length: 1000 }, () => exchange.execute({ type: 'deposit', accountId: a.accountId, asset: 'USDT', amount: 1n })));
    }
    const current = accountSeq(node, a);
    assert.equal(current - first.seq!, 16_000);
    const resumed = await connect(node);
    const id = resumed.sendSubscribe(a.listenKey, ALL_TOPICS, { epoch: first.epoch, seq: first.seq });
    await resumed.until(() => resumed.closed !== null || resumed.lastSeq() === current || resumed.acks.some((x) => x.id === id && x.resume?.recovered === false),
      10_000, 'the whole replay, an explicit refusal, or a close');
    const ack = resumed.acks.find((x) => x.id === id);
    assert.ok(resumed.closed === null && (resumed.lastSeq() === current || ack?.resume?.recovered === false),
      `a client 16,000 events behind (replay window ${200_000}) got ${resumed.pushes.length} of them, ack ${JSON.stringify(ack)}, ` +
      `and the connection closed with ${JSON.stringify(resumed.closed)}: the whole replay is queued in one turn and trips the slow-consumer bound ` +
      '(maxQueueBytes 4 MiB), so this client can never resume — it should get the replay (paced) or an explicit recovered:false');
  });
});

describe('across a SIGKILL of the real process', { timeout: 60_000 }, () => {
  test('resume after SIGKILL, and a retried clientOrderId returns the original order (live, filled, rejected)', async () => {
    const dir = join(await tempDir('resume-kill'), 'data');
    let proc = await ServerProcess.start(dir, ADMIN);
    try {
      const api = admin(proc.url, ADMIN);
      const fa = await createFunded(api, '100000');
      const fb = await createFunded(api, '100000');
      assert.equal((await api.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
      let ra = new Rest(proc.url, fa.apiKey, fa.secret);
      let rb = new Rest(proc.url, fb.apiKey, fb.secret);
      const key = expectOk(await ra.get<string>('/future/user/v1/user/listen-key'), 'listen key');
      const witness = await connect(proc.wsUrl);
      const start = await witness.subscribe(key, ALL_TOPICS);
      const epoch = start.epoch!;
      const create = (r: Rest, body: Record<string, unknown>) => r.post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderType: 'LIMIT', origQty: '1', ...body });
      const live = { orderSide: 'BUY', positionSide: 'LONG', price: '55000', clientOrderId: 'keep-live' };
      const filled = { orderSide: 'SELL', positionSide: 'SHORT', price: '60000', clientOrderId: 'keep-filled' };
      const rejected = { orderSide: 'BUY', positionSide: 'LONG', price: '99999', clientOrderId: 'keep-rejected' };
      const liveId = expectOk(await create(ra, live), 'live order');
      expectOk(await create(rb, { orderSide: 'BUY', positionSide: 'LONG', price: '60000' }), 'maker');
      const filledId = expectOk(await create(ra, filled), 'filled order');
      const rejectedReply = await create(ra, rejected);
      assert.equal(rejectedReply.body?.returnCode, 1, 'outside the price band: rejected');
      const middle = start.seq! + 3;
      const before = (await ra.get('/future/user/v1/balance/list')).body!.seq!;
      await witness.until(() => witness.lastSeq() === before, 3_000, 'witness');
      assert.equal((await proc.kill('SIGKILL')).signal, 'SIGKILL');
      proc = await ServerProcess.start(dir, ADMIN);
      assert.equal(proc.recovery?.epoch, epoch, 'SIGKILL loses nothing acknowledged: same epoch');
      assert.equal(proc.recovery?.newEpoch, false);
      ra = new Rest(proc.url, fa.apiKey, fa.secret);
      rb = new Rest(proc.url, fb.apiKey, fb.secret);
      const snap = await ra.get('/future/user/v1/balance/list');
      assert.equal(snap.body?.seq, before, 'the account seq survived');
      // A client resuming from the middle, and one resuming from the end.
      const mid = await connect(proc.wsUrl);
      const ackMid = await mid.subscribe(key, ALL_TOPICS, { epoch, seq: middle });
      assert.deepEqual(ackMid.resume, { recovered: true, from: middle + 1, to: before });
      await mid.until(() => mid.lastSeq() === before, 3_000, 'replay from the middle');
      assert.deepEqual(mid.pushes.map((p) => p.text), witness.pushes.filter((p) => p.seq > middle).map((p) => p.text));
      const end = await connect(proc.wsUrl);
      const ackEnd = await end.subscribe(key, ALL_TOPICS, { epoch, seq: before });
      assert.deepEqual(ackEnd.resume, { recovered: true, from: before + 1, to: before });
      // Retries with the same clientOrderId: the original results, no new events.
      assert.equal(expectOk(await create(ra, live), 'retry live'), liveId);
      assert.equal(expectOk(await create(ra, filled), 'retry filled'), filledId);
      const retryRejected = await create(ra, rejected);
      assert.deepEqual(retryRejected.body, rejectedReply.body, 'the rejection is repeated, not re-evaluated');
      await assertQuiet(end, 0, 'duplicates push nothing');
      const detail = await ra.get<{ state: string; executedQty: string }>('/future/trade/v1/order/detail', { orderId: filledId });
      assert.equal(detail.body?.result?.state, 'FILLED');
      // The same after a graceful restart (idempotency from the snapshot instead of the journal).
      assert.equal((await proc.kill('SIGTERM')).code, 0, 'a graceful stop exits 0');
      proc = await ServerProcess.start(dir, ADMIN);
      assert.equal(proc.recovery?.replayed, 0);
      ra = new Rest(proc.url, fa.apiKey, fa.secret);
      assert.equal(expectOk(await create(ra, live), 'retry live after SIGTERM'), liveId);
      assert.equal(expectOk(await create(ra, filled), 'retry filled after SIGTERM'), filledId);
      void rb;
    } finally {
      await proc.kill('SIGKILL').catch(() => undefined);
    }
  });
});
