/**
 * Resume beyond the in-memory replay window: the missed events are recomputed from the data
 * directory (a retained snapshot, then the journal re-executed by a separate engine) while the live
 * engine keeps running. The yardstick is again a witness connection that never disconnected: a
 * resumed client's frames equal the witness's after its seq, byte for byte, with live events that
 * arrived during the replay merged behind it, no gap, no duplicate. What the data directory no
 * longer holds (pruned behind the oldest retained snapshot) gets an explicit recovered:false; a
 * server without a data directory has only its window.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  ALL_TOPICS, cleanup, expectOk, gapFree, restingBuy, ResumeStream, segmentsOf, snapshotsOf, startNode, tempDir, trader,
  type Node, type Trader,
} from './support.js';

const streams: ResumeStream[] = [];
async function connect(url: string): Promise<ResumeStream> {
  const stream = await ResumeStream.connect(url);
  streams.push(stream);
  return stream;
}
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});
after(cleanup);

const seqOf = (node: Node, t: Trader): number => node.server.exchange.engine.account(t.accountId)!.seq;

describe('resume from the journal, beyond a replay window of 10 events', { timeout: 90_000 }, () => {
  let node: Node;
  let a: Trader;
  let witness: ResumeStream;
  let epoch: string;

  before(async () => {
    node = await startNode(join(await tempDir('resume-journal'), 'data'), { replayWindow: 10, keepSnapshots: 2 });
    a = await trader(node);
    witness = await ResumeStream.connect(node.server.wsUrl);
    epoch = (await witness.subscribe(a.listenKey, ALL_TOPICS)).epoch!;
    for (let i = 0; i < 10; i++) expectOk(await restingBuy(a, undefined, String(40000 + i)), 'resting order');
  });
  after(async () => {
    witness.close();
    await node.server.close();
  });

  /**
   * The resumed stream's frames after `afterSeq` are gap-free through `upTo` and equal the
   * witness's (which subscribed after the deposit, so it starts at seq 2).
   */
  async function assertWitnessed(stream: ResumeStream, afterSeq: number, upTo: number, what: string): Promise<void> {
    await witness.until(() => (witness.lastSeq() ?? 0) >= upTo, 5_000, `${what}: witness`);
    await stream.until(() => (stream.lastSeq() ?? 0) >= upTo, 5_000, `${what}: resumed stream up to ${upTo}`);
    assert.equal(gapFree(stream.pushes, afterSeq + 1), null, `${what}: gap-free from ${afterSeq + 1}`);
    const witnessed = witness.pushes[0]!.seq;
    assert.deepEqual(stream.pushes.filter((p) => p.seq >= witnessed && p.seq <= upTo).map((p) => p.text),
      witness.pushes.filter((p) => p.seq > afterSeq && p.seq <= upTo).map((p) => p.text), `${what}: the same frames as pushed live`);
  }

  test('from the account\'s first event while orders keep arriving: history, then the live events that came meanwhile', async () => {
    // The window holds only the last 10 events; everything before comes from the journal.
    const stream = await connect(node.server.wsUrl);
    const subscribing = stream.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    const during = Promise.all([0, 1, 2, 3, 4].map((i) => restingBuy(a, undefined, String(39000 + i))));
    const ack = await subscribing;
    assert.equal(ack.code, 0);
    assert.equal(ack.resume?.recovered, true, JSON.stringify(ack));
    assert.equal((ack.resume as { from: number }).from, 1);
    for (const reply of await during) expectOk(reply, 'an order during the replay');
    const end = seqOf(node, a);
    await assertWitnessed(stream, 0, end, 'from seq 0');
    await stream.sync();
    assert.equal(stream.pushes.length, end, 'exactly once: nothing after the last event');
    // The ack is the first thing the resumed connection received; then the deposit, seq 1.
    assert.equal(JSON.parse(stream.log[0]!).resume.recovered, true);
    assert.equal(stream.pushes[0]!.topic, 'balance');
    assert.equal(stream.pushes[0]!.seq, 1);
  });

  test('with retained snapshots the replay starts at the newest one before the seq; behind the oldest it is refused explicitly', async () => {
    const store = node.server.store!;
    const beforeFirst = seqOf(node, a);
    await store.snapshot();
    for (let i = 0; i < 4; i++) expectOk(await restingBuy(a, undefined, String(38000 + i)), 'order');
    const betweenSnapshots = seqOf(node, a) - 5;
    await store.snapshot();
    for (let i = 0; i < 4; i++) expectOk(await restingBuy(a, undefined, String(37000 + i)), 'order');
    const afterSecond = seqOf(node, a) - 5;
    const end = seqOf(node, a);

    // Two snapshots kept: the journal now starts at the older one.
    assert.equal((await snapshotsOf(node.dataDir)).length, 2);
    const fromSnapshot = await connect(node.server.wsUrl);
    assert.deepEqual((await fromSnapshot.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: betweenSnapshots })).resume,
      { recovered: true, from: betweenSnapshots + 1, to: end });
    await assertWitnessed(fromSnapshot, betweenSnapshots, end, 'between the snapshots');

    const fromNewest = await connect(node.server.wsUrl);
    assert.deepEqual((await fromNewest.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: afterSecond })).resume,
      { recovered: true, from: afterSecond + 1, to: end });
    await assertWitnessed(fromNewest, afterSecond, end, 'after the newest snapshot');

    // A third snapshot prunes the first one and the journal behind the second.
    expectOk(await restingBuy(a, undefined, '36000'), 'order');
    const segmentsBefore = (await segmentsOf(node.dataDir)).length;
    await store.snapshot();
    assert.ok((await segmentsOf(node.dataDir)).length <= segmentsBefore, 'old segments pruned');
    const gone = await connect(node.server.wsUrl);
    const refused = await gone.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq: beforeFirst });
    assert.equal(refused.code, 0, 'the subscription itself succeeds');
    assert.equal(refused.resume?.recovered, false);
    assert.match((refused.resume as { reason: string }).reason, /retained history|snapshot/);
    assert.equal(refused.seq, seqOf(node, a), 'the ack says where the account is, for a REST snapshot');
    await gone.sync();
    assert.equal(gone.pushes.length, 0, 'never a partial replay');
    // Live pushes flow on the refused connection.
    expectOk(await restingBuy(a, undefined, '35000'), 'order');
    await gone.until(() => gone.pushes.length === 3, 2_000, 'live pushes after a refusal');
    assert.equal(gone.pushes[0]!.seq, refused.seq! + 1);
  });

  test('several resumes replaying at once each get exactly their history', async () => {
    // Past the newest snapshot and out of the window: served from that snapshot and the journal.
    for (let i = 0; i < 8; i++) expectOk(await restingBuy(a, undefined, String(34000 + i)), 'order');
    const end = seqOf(node, a);
    const starts = [end - 12, end - 15, end - 11, end - 20];
    const resumed = await Promise.all(starts.map(async (seq) => {
      const stream = await connect(node.server.wsUrl);
      const ack = await stream.subscribe(a.listenKey, ALL_TOPICS, { epoch, seq });
      assert.deepEqual(ack.resume, { recovered: true, from: seq + 1, to: end });
      return stream;
    }));
    for (const [i, stream] of resumed.entries()) await assertWitnessed(stream, starts[i]!, end, `concurrent resume from ${starts[i]!}`);
  });
});

describe('without a data directory only the window serves a resume', { timeout: 30_000 }, () => {
  test('one event beyond the window is refused explicitly', async () => {
    const node: Node = await startNode(null, { replayWindow: 6 });
    const { server } = node;
    try {
      const a = await trader(node);
      for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, undefined, String(40000 + i)), 'order');
      const end = seqOf(node, a);
      const inside = await connect(server.wsUrl);
      const ack = await inside.subscribe(a.listenKey, ALL_TOPICS, { epoch: server.exchange.epoch, seq: end - 6 });
      assert.deepEqual(ack.resume, { recovered: true, from: end - 5, to: end });
      const beyond = await connect(server.wsUrl);
      const refused = await beyond.subscribe(a.listenKey, ALL_TOPICS, { epoch: server.exchange.epoch, seq: end - 7 });
      assert.equal(refused.resume?.recovered, false);
      assert.match((refused.resume as { reason: string }).reason, /window/);
    } finally {
      await server.close();
    }
  });
});
