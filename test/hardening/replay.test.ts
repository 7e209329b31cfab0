/**
 * Issue 10, item 5: resumes beyond the in-memory window recompute history from the journal, and one
 * account resuming in a loop must not slow every other. Real servers on a data directory, real
 * WebSockets. The window keeps 20 events; the journal holds a filler account's tens of thousands of
 * commands after the resuming accounts' first events, so every resume from seq 0 re-executes all of
 * it (hundreds of ms of work).
 *   (a) over the budget (per account: running or waiting, per minute; in total: waiting) a resume is
 *       answered at once with recovered:false and a reason, without the work; within it, exactly
 *       seq+1 … current, in order, the same frames as pushed live;
 *   (b) while one account hammers resumes on 8 connections, the engine's thread is never held
 *       (event-loop delay) and another account's orders are acknowledged promptly;
 *   (c) a connection that closes while its replay waits or runs frees its place at once;
 * and a store that reads through injected file operations replays on the engine's thread, in slices.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, afterEach, before, describe, test } from 'node:test';
import type { EngineEvent } from '../../src/engine/types.js';
import type { GatewayLimits } from '../../src/gateway/limits.js';
import type { ReplayBudget } from '../../src/persistence/replay-budget.js';
import {
  ALL_TOPICS, cleanup, expectOk, faultyOps, gapFree, newFaults, restingBuy, ResumeStream, startNode, tempDir, trader, type Ack, type Node, type Trader,
} from '../durability/support.js';

const WINDOW = 20;
const FILLER_COMMANDS = 30_000;

const streams: ResumeStream[] = [];
async function connect(node: Node): Promise<ResumeStream> {
  const stream = await ResumeStream.connect(node.server.wsUrl);
  streams.push(stream);
  return stream;
}
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});
after(cleanup);

const seqOf = (node: Node, t: Trader): number => node.server.exchange.engine.account(t.accountId)!.seq;
const replaysOf = (node: Node): ReplayBudget => node.server.replays!;

/** Waits (at most `ms`) for a condition on the server's state, checked every turn of the event loop. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * A server whose resuming accounts' first events lie behind FILLER_COMMANDS journaled commands of
 * another account (placed and cancelled far from the market), far out of the window.
 */
async function startWithHistory(tag: string, limits: Partial<GatewayLimits>, accounts: number): Promise<{ node: Node; traders: Trader[] }> {
  const node = await startNode(join(await tempDir(tag), 'data'), { replayWindow: WINDOW, limits });
  const traders: Trader[] = [];
  for (let i = 0; i < accounts; i++) traders.push(await trader(node));
  for (const t of traders) expectOk(await restingBuy(t, undefined, '40000'), 'an early order');
  const filler = await trader(node);
  const exchange = node.server.exchange;
  for (let done = 0; done < FILLER_COMMANDS; done += 400) {
    const ids = Array.from({ length: 200 }, (_, i) => `f${i}`);
    await Promise.all(ids.map((clientOrderId) => exchange.execute({
      type: 'placeOrder', accountId: filler.accountId, symbol: 'btc_usdt', side: 'BUY', positionSide: 'LONG', orderType: 'LIMIT',
      timeInForce: 'GTC', price: 400_000, qty: 1, reduceOnly: false, clientOrderId,
    })));
    await Promise.all(ids.map((clientOrderId) => exchange.execute({ type: 'cancelOrder', accountId: filler.accountId, symbol: 'btc_usdt', clientOrderId })));
  }
  return { node, traders };
}

/** Resumes `t` from `afterSeq` on a new connection; returns the stream and its ack. */
async function resume(node: Node, t: Trader, afterSeq: number): Promise<{ stream: ResumeStream; ack: Ack }> {
  const stream = await connect(node);
  const ack = await stream.subscribe(t.listenKey, ALL_TOPICS, { epoch: node.server.exchange.epoch, seq: afterSeq });
  return { stream, ack };
}

/** The ack recovered afterSeq+1 … current and exactly those pushes arrived, in order. */
async function assertServed(node: Node, t: Trader, afterSeq: number, got: { stream: ResumeStream; ack: Ack }, what: string): Promise<void> {
  const end = seqOf(node, t);
  assert.deepEqual(got.ack.resume, { recovered: true, from: afterSeq + 1, to: end }, what);
  await got.stream.until(() => got.stream.pushes.length >= end - afterSeq, 10_000, `${what}: the missed pushes`);
  assert.equal(gapFree(got.stream.pushes, afterSeq + 1), null, `${what}: in order, no gap`);
  assert.equal(got.stream.pushes.length, end - afterSeq, `${what}: exactly ${afterSeq + 1} … ${end}`);
}

function assertRefused(ack: Ack, reason: RegExp, what: string): void {
  assert.equal(ack.code, 0, `${what}: the subscription itself succeeds`);
  assert.equal(ack.resume?.recovered, false, `${what}: ${JSON.stringify(ack)}`);
  assert.match((ack.resume as { reason: string }).reason, reason, what);
  assert.match((ack.resume as { reason: string }).reason, /retry|REST snapshot/, `${what}: the reason says what to do`);
}

describe('the replay budget: refused at once over it, served exactly within it', { timeout: 120_000 }, () => {
  let node: Node;
  let a: Trader, b: Trader, c: Trader, d: Trader, e: Trader;

  before(async () => {
    const started = await startWithHistory('replay-budget', {
      maxConcurrentReplays: 1, maxQueuedReplays: 1, maxPendingReplaysPerAccount: 1, replaysPerAccountPerMinute: 3,
    }, 5);
    node = started.node;
    [a, b, c, d, e] = started.traders as [Trader, Trader, Trader, Trader, Trader];
  });
  after(() => node.server.close());

  test('per account per minute: three resumes are served exactly (the same frames as pushed live), the fourth is refused without the work', async () => {
    const witness = await connect(node);
    await witness.subscribe(a.listenKey);
    for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, undefined, String(41000 + i)), 'an order seen live');
    await witness.until(() => witness.pushes.length === 9, 5_000, 'the live pushes');
    for (const afterSeq of [0, 1, 3]) {
      const got = await resume(node, a, afterSeq);
      await assertServed(node, a, afterSeq, got, `resume from ${afterSeq}`);
      // Events that came back from the worker thread encode to the very frames pushed live.
      const live = witness.pushes.map((p) => p.text);
      assert.deepEqual(got.stream.pushes.slice(-live.length).map((p) => p.text), live, `resume from ${afterSeq}: the live frames`);
    }
    const over = await resume(node, a, 0);
    assertRefused(over.ack, /3 resumes from the journal in the last minute \(replaysPerAccountPerMinute 3\); retry in \d+ s/, 'the fourth in a minute');
    assert.equal(replaysOf(node).running + replaysOf(node).queued, 0, 'no replay was started for it');
    assert.equal(over.ack.seq, seqOf(node, a), 'the ack says where the account is, for a REST snapshot');
    // The refused connection carries on live.
    expectOk(await restingBuy(a, undefined, '42000'), 'an order after the refusal');
    await over.stream.until(() => over.stream.pushes.length === 3, 5_000, 'live pushes after the refusal');
    assert.equal(over.stream.pushes[0]!.seq, over.ack.seq! + 1);
  });

  test('per account at once: a second resume while the first replays is refused, the first served exactly', async () => {
    const [first, second] = [await connect(node), await connect(node)];
    const epoch = node.server.exchange.epoch;
    const firstId = first.sendSubscribe(b.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    await until(() => replaysOf(node).running === 1, 5_000, 'the first replay running');
    const refused = await second.subscribe(b.listenKey, ALL_TOPICS, { epoch, seq: 1 });
    assertRefused(refused, /already has 1 resumes replaying history from the journal \(maxPendingReplaysPerAccount 1\)/, 'the second at once');
    assert.equal(replaysOf(node).running, 1, 'the first is still replaying: the refusal did not wait for it');
    await assertServed(node, b, 0, { stream: first, ack: await first.ackOf(firstId, 10_000) }, 'the first');
  });

  test('in total: with one replaying and one waiting, a third account is refused; the two are served exactly', async () => {
    const epoch = node.server.exchange.epoch;
    const [running, waiting, third] = [await connect(node), await connect(node), await connect(node)];
    const runningId = running.sendSubscribe(c.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    await until(() => replaysOf(node).running === 1, 5_000, 'a replay running');
    const waitingId = waiting.sendSubscribe(d.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    await until(() => replaysOf(node).queued === 1, 5_000, 'a replay waiting');
    assertRefused(await third.subscribe(e.listenKey, ALL_TOPICS, { epoch, seq: 0 }), /1 resumes are already waiting .*\(maxQueuedReplays 1\); retry shortly/, 'a third account');
    await assertServed(node, c, 0, { stream: running, ack: await running.ackOf(runningId, 10_000) }, 'the running one');
    await assertServed(node, d, 0, { stream: waiting, ack: await waiting.ackOf(waitingId, 10_000) }, 'the waiting one');
  });

  test('the events that come back from the worker thread are the live engine\'s, field for field (bigints included)', async () => {
    const live: EngineEvent[] = [];
    const stop = node.server.exchange.events.subscribe(e.accountId, (event) => live.push(event));
    const from = seqOf(node, e);
    for (let i = 0; i < 3; i++) expectOk(await restingBuy(e, undefined, String(43_000 + i)), 'an order seen live');
    stop();
    const end = seqOf(node, e);
    const result = await replaysOf(node).eventsOf(e.accountId, from, end, node.server.exchange.engine.cmdSeq, 1_000);
    assert.ok(result.recovered, result.recovered ? '' : result.reason);
    assert.equal(live.length, end - from);
    assert.ok(live.some((event) => event.type === 'balance' && typeof event.balance.walletBalance === 'bigint'), 'bigints to compare');
    assert.deepStrictEqual(result.events, live);
  });
});

describe('a connection that closes frees its replay\'s place', { timeout: 120_000 }, () => {
  let node: Node;
  let x: Trader, y: Trader, z: Trader;

  before(async () => {
    const started = await startWithHistory('replay-cancel', { maxConcurrentReplays: 1, maxQueuedReplays: 1 }, 3);
    node = started.node;
    [x, y, z] = started.traders as [Trader, Trader, Trader];
  });
  after(() => node.server.close());

  test('closed while waiting: out of the queue; closed while running: stopped, the next one starts at once', async () => {
    const epoch = node.server.exchange.epoch;
    const replays = replaysOf(node);
    // How long one replay takes here (the faster of two, once the worker is warm), to tell a
    // stopped replay from one that ran to its end.
    let replayMs = Infinity;
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await assertServed(node, z, 0, await resume(node, z, 0), 'a timing replay');
      replayMs = Math.min(replayMs, performance.now() - started);
    }

    const running = await connect(node);
    running.sendSubscribe(x.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    await until(() => replays.running === 1, 5_000, 'x replaying');
    const waiting = await connect(node);
    waiting.sendSubscribe(y.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    await until(() => replays.queued === 1, 5_000, 'y waiting');
    assertRefused((await resume(node, z, 0)).ack, /maxQueuedReplays 1/, 'the queue is full');

    waiting.close();
    await until(() => replays.queued === 0, 2_000, 'y out of the queue once its connection closed');
    const next = await connect(node);
    const nextId = next.sendSubscribe(z.listenKey, ALL_TOPICS, { epoch, seq: 0 });
    await until(() => replays.queued === 1, 5_000, 'z admitted into the freed place');

    const closedAt = performance.now();
    running.close();
    await until(() => replays.queued === 0 && replays.running === 1, replayMs / 2, 'z running once x\'s replay was stopped');
    assert.ok(performance.now() - closedAt < replayMs / 2, 'x\'s replay did not run to its end first');
    await assertServed(node, z, 0, { stream: next, ack: await next.ackOf(nextId, 10_000) }, 'z after the stopped replay');
    await until(() => replays.running === 0, 2_000, 'nothing left running');
  });
});

describe('one account hammering resumes does not slow another', { timeout: 180_000 }, () => {
  let node: Node;
  let hammer: Trader, other: Trader;

  before(async () => {
    // Every replay the hammer asks for is admitted: the worker replays back to back, the worst case.
    const started = await startWithHistory('replay-hammer', {
      maxPendingReplaysPerAccount: 8, maxQueuedReplays: 8, replaysPerAccountPerMinute: 1_000_000,
    }, 2);
    node = started.node;
    [hammer, other] = started.traders as [Trader, Trader];
  });
  after(() => node.server.close());

  /**
   * The other account's order round trips (ms), and the engine thread's event-loop delay meanwhile:
   * at least `minOrders`, and on while `more()` says so.
   */
  async function measure(minOrders: number, more: () => boolean): Promise<{ orders: number; p99: number; loopP99: number; loopMax: number }> {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const times: number[] = [];
    for (let i = 0; i < minOrders || more(); i++) {
      if (i % 150 === 0) await node.server.exchange.execute({ type: 'cancelAll', accountId: other.accountId, symbol: 'btc_usdt' });
      const sent = performance.now();
      expectOk(await restingBuy(other, undefined, String(30_000 + (i % 150))), 'the other account\'s order');
      times.push(performance.now() - sent);
    }
    delay.disable();
    times.sort((p, q) => p - q);
    return { orders: times.length, p99: times[Math.ceil(times.length * 0.99) - 1]!, loopP99: delay.percentile(99) / 1e6, loopMax: delay.max / 1e6 };
  }

  test('8 connections resuming from seq 0 in a loop: orders still acknowledged promptly, the engine thread never held', async (t) => {
    const quiet = await measure(300, () => false);

    const epoch = node.server.exchange.epoch;
    let stop = false;
    const served: Ack[] = [];
    const loops = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const stream = await ResumeStream.connect(node.server.wsUrl);
        // Up to 8 replays queue ahead of this one: a generous bound on the wait for its ack.
        served.push(await stream.ackOf(stream.sendSubscribe(hammer.listenKey, ALL_TOPICS, { epoch, seq: 0 }), 60_000).finally(() => stream.close()));
      }
    });
    await until(() => replaysOf(node).running === 1, 5_000, 'the hammer replaying');
    // Measured over at least 300 orders and until 3 replays have come back meanwhile.
    const servedBefore = served.length;
    const hammered = await measure(300, () => served.length - servedBefore < 3);
    const servedDuring = served.length - servedBefore;
    stop = true;
    await Promise.all(loops);

    const report = `quiet ${JSON.stringify(quiet)}, hammered ${JSON.stringify(hammered)}, ${servedDuring} resumes served meanwhile`;
    t.diagnostic(report);
    assert.ok(served.every((ack) => ack.resume?.recovered === true && ack.resume.from === 1), `every hammer resume was served: ${report}`);
    // Structural: no replay holds the engine's thread (the chunked replay on it made this 300–500 ms).
    // The bound is loose because this 2-core machine is shared: the worker takes one core.
    assert.ok(hammered.loopP99 < 100, `event-loop delay p99 under 100 ms while replaying: ${report}`);
    // Measured on the same shared machine, so generous: the chunked replay on the engine's thread made it 370–600 ms.
    assert.ok(hammered.p99 < Math.max(150, 5 * quiet.p99), `the other account's order p99 under max(150 ms, 5× quiet): ${report}`);
  });
});

describe('without a worker (injected file operations) the replay runs on the engine\'s thread, in slices', { timeout: 60_000 }, () => {
  test('served exactly all the same', async () => {
    const node = await startNode(join(await tempDir('replay-sliced'), 'data'), { replayWindow: WINDOW, fileOps: faultyOps(newFaults()) });
    try {
      assert.equal(node.server.store!.history.offThread, false);
      const t = await trader(node);
      for (let i = 0; i < 10; i++) expectOk(await restingBuy(t, undefined, String(40_000 + i)), 'an order');
      await assertServed(node, t, 0, await resume(node, t, 0), 'from seq 0, beyond a window of 20 events');
      assert.equal(replaysOf(node).running, 0);
    } finally {
      await node.server.close();
    }
  });
});
