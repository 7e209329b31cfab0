/**
 * A failing disk, injected through `FileOps` (every journal-segment handle is wrapped; see
 * support.ts `faultyOps`): a write that throws EIO, an fdatasync that throws, a full disk (a short
 * write, then ENOSPC), a truncation that fails too, a snapshot file that cannot be written, a new
 * segment that cannot be created. For each: the REST caller gets a clear XT error, nothing changed
 * (engine state hash, cmdSeq, no push, journal bytes), later commands succeed once the fault is
 * gone — or, once the journal could not be repaired, every command is refused with a clear error
 * until a restart, which recovers a state equal to the journal's.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  ALL_TOPICS, expectOk, faultyOps, gapFree, newFaults, readJournalCopy, rebind, referenceOf, cleanup, ResumeStream, segmentsOf,
  startNode, tempDir, trader, withTimeout, type Faults, type Node, type Trader, type XtReply,
} from './support.js';

/** A clear XT failure: the envelope, and a message that says the command was not saved / the disk failed. */
function assertClearFailure(reply: XtReply, what: string, pattern = /not saved|journal|disk|restart/i): void {
  assert.ok(reply.body !== null, `${what}: expected an XT envelope, got ${JSON.stringify(reply)}`);
  assert.equal(reply.body.returnCode, 1, `${what}: returnCode 1; got ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.msgInfo, 'failure');
  assert.ok(reply.body.error !== null && typeof reply.body.error.code === 'string' && reply.body.error.code !== '', `${what}: an error code`);
  assert.match(reply.body.error.msg, pattern,
    `${what}: the error must say what happened (the command was not saved because the disk failed); got HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
}

interface World {
  faults: Faults;
  node: Node;
  a: Trader;
  b: Trader;
  stream: ResumeStream;
  /** The account seq when the stream subscribed: its pushes start after it. */
  subscribedSeq: number;
  dir: string;
}

async function world(tag: string): Promise<World> {
  const faults = newFaults();
  const dir = join(await tempDir(tag), 'data');
  const node = await startNode(dir, { fileOps: faultyOps(faults) });
  const a = await trader(node);
  const b = await trader(node);
  assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
  const stream = await ResumeStream.connect(node.server.wsUrl);
  const ack = await stream.subscribe(a.listenKey, ALL_TOPICS);
  assert.equal(ack.code, 0);
  return { faults, node, a, b, stream, subscribedSeq: ack.seq!, dir };
}

interface Observed {
  cmdSeq: number;
  hash: string;
  pushes: number;
  journalBytes: number;
  inFlight: number;
}

async function observe(w: World): Promise<Observed> {
  const { exchange } = w.node.server;
  let journalBytes = 0;
  for (const name of await segmentsOf(w.dir)) journalBytes += (await fs.stat(join(w.dir, 'journal', name))).size;
  return { cmdSeq: exchange.engine.cmdSeq, hash: exchange.engine.stateHash(), pushes: w.stream.pushes.length, journalBytes, inFlight: exchange.inFlight };
}

const order = (t: Trader, body: Record<string, unknown>) =>
  t.rest.post<string>('/future/trade/v1/order/create', { symbol: 'btc_usdt', orderType: 'LIMIT', origQty: '1', ...body });
const buy = (t: Trader, price: string, clientOrderId?: string) =>
  order(t, { orderSide: 'BUY', positionSide: 'LONG', price, ...(clientOrderId ? { clientOrderId } : {}) });
const sell = (t: Trader, price: string, clientOrderId?: string) =>
  order(t, { orderSide: 'SELL', positionSide: 'SHORT', price, ...(clientOrderId ? { clientOrderId } : {}) });

/** The engine's state equals the journal replayed from scratch; every OK reply is in it, every failed one is not. */
async function assertStateIsTheJournal(w: World, oks: { clientOrderId: string; orderId: string }[], failed: string[]): Promise<void> {
  const journal = await readJournalCopy(w.dir);
  assert.equal(journal.torn, null, `the live journal has no torn tail: ${JSON.stringify(journal.torn)}`);
  const reference = referenceOf(journal.records);
  assert.equal(reference.cmdSeq, w.node.server.exchange.engine.cmdSeq, 'engine cmdSeq = last journal seq');
  assert.equal(reference.engine.stateHash(), w.node.server.exchange.engine.stateHash(), 'engine state = the journal replayed');
  for (const ok of oks) {
    const placed = reference.placed.get(`${w.a.accountId}|${ok.clientOrderId}`) ?? reference.placed.get(`${w.b.accountId}|${ok.clientOrderId}`);
    assert.ok(placed !== undefined, `acknowledged order ${ok.clientOrderId} is in the journal`);
    assert.ok(placed.result.ok && placed.result.kind === 'order');
    assert.equal(String(placed.result.order.orderId), ok.orderId, `acknowledged order ${ok.clientOrderId}: same id in the journal`);
  }
  for (const clientOrderId of failed) {
    assert.equal(reference.placed.get(`${w.a.accountId}|${clientOrderId}`) ?? reference.placed.get(`${w.b.accountId}|${clientOrderId}`), undefined,
      `failed order ${clientOrderId} must not be in the journal`);
  }
  // The stream saw exactly what the journal says happened to account a: failed commands pushed nothing.
  const expected = reference.framesAfter(w.a.accountId, w.subscribedSeq);
  await w.stream.until(() => w.stream.pushes.length >= expected.length, 3_000, 'pushes to settle');
  await w.stream.sync();
  assert.deepEqual(w.stream.pushes.map((p) => p.text), expected, 'pushes = the journal\'s events of account a, exactly');
}

describe('a failing disk', { timeout: 90_000 }, () => {
  let w: World;
  let counter = 0;
  const cid = (tag: string) => `${tag}-${++counter}`;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await cleanup();
  });
  beforeEach(async () => {
    unhandled.length = 0;
    w = await world('disk');
  });
  afterEach(async () => {
    w.stream.close();
    Object.assign(w.faults, { write: null, datasync: null, truncate: null, openSegment: null, writeFile: null, failNext: { write: 0, datasync: 0 } });
    await withTimeout(w.node.server.close(), 5_000, 'server.close()').catch(() => undefined);
  });

  for (const [name, arm] of [
    ['a write that throws EIO', (f: Faults) => { f.write = 'EIO'; }],
    ['an fdatasync that throws EIO (once)', (f: Faults) => { f.failNext.datasync = 1; }],
    ['a full disk (a short write, then ENOSPC)', (f: Faults) => { f.write = 'ENOSPC'; }],
  ] as const) {
    test(`${name}: the order fails with a clear error, nothing changes, the next order succeeds`, async () => {
      expectOk(await buy(w.a, '59000', cid('ok')), 'a first order');
      await w.stream.until(() => w.stream.pushes.length === 3, 2_000, 'the first order\'s pushes');
      const before = await observe(w);
      arm(w.faults);
      const id = cid('fail');
      const reply = await withTimeout(buy(w.a, '59001', id), 5_000, 'the reply to an order on a failing disk');
      w.faults.write = null;
      await w.stream.sync(); // a push of the failed order would have come before the pong
      const afterFailure = await observe(w);
      assert.deepEqual(afterFailure, before, 'nothing changed: cmdSeq, state hash, pushes, journal bytes, nothing in flight');
      assert.ok(w.faults.calls.failedWrites > 0 || w.faults.calls.datasync > 0, 'the fault was hit');
      // Next order: succeeds, takes the next ids and seqs as if the failed one never was.
      const okId = cid('ok');
      const next = expectOk(await buy(w.a, '59002', okId), 'the order after the fault');
      await w.stream.until(() => w.stream.pushes.length === 6, 2_000, 'the next order\'s pushes');
      assert.equal(gapFree(w.stream.pushes, w.stream.pushes[0]!.seq), null);
      assert.equal(w.node.server.exchange.engine.cmdSeq, before.cmdSeq + 1);
      await assertStateIsTheJournal(w, [{ clientOrderId: okId, orderId: next }], [id]);
      assert.deepEqual(unhandled, []);
      assertClearFailure(reply, name);
    });
  }

  test('an admin command on a failing disk also gets a clear error', async () => {
    const before = await observe(w);
    w.faults.write = 'EIO';
    const reply = await w.node.admin.request<{ error?: string }>('POST', '/deposit', { accountId: w.a.accountId, asset: 'USDT', amount: '5' });
    w.faults.write = null;
    assert.deepEqual(await observe(w), before, 'nothing changed');
    assert.ok(reply.status >= 400, 'an error status');
    assert.match(String(reply.body.error), /not saved|journal|disk|restart/i, `the admin error must say what happened; got ${reply.status} ${JSON.stringify(reply.body)}`);
  });

  test('concurrent orders while the disk fails: all fail, none applied; afterwards all succeed', async () => {
    const before = await observe(w);
    w.faults.write = 'EIO';
    const failing = Array.from({ length: 8 }, (_, i) => ({ id: cid('cf'), reply: buy(i % 2 ? w.a : w.b, String(59100 + i)) }));
    const ids = failing.map((f) => f.id);
    const replies = await withTimeout(Promise.all(failing.map((f) => f.reply)), 5_000, 'replies on a failing disk');
    w.faults.write = null;
    await w.stream.sync();
    replies.forEach((r) => assert.equal(r.body?.returnCode, 1, `every order on the failing disk fails: ${JSON.stringify(r.body)}`));
    assert.deepEqual(await observe(w), before, 'nothing changed');
    const oks = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const clientOrderId = cid('cok');
      return { clientOrderId, orderId: expectOk(await buy(i % 2 ? w.a : w.b, String(59200 + i), clientOrderId), 'order after the fault') };
    }));
    assert.equal(new Set(oks.map((o) => o.orderId)).size, 8);
    await assertStateIsTheJournal(w, oks, ids);
    assert.equal(w.node.server.exchange.engine.cmdSeq, before.cmdSeq + 8);
    assert.deepEqual(unhandled, []);
  });

  test('a flaky disk (single failed writes among many concurrent orders): the state is always exactly the journal', async () => {
    const oks: { clientOrderId: string; orderId: string }[] = [];
    const failed: string[] = [];
    let refused = 0;
    // Four clients place crossing orders back to back; every 20 ms the next journal write fails once.
    const flaky = setInterval(() => { w.faults.failNext.write = 1; }, 20);
    try {
      await withTimeout(Promise.all(Array.from({ length: 4 }, async (_, worker) => {
        const t = worker % 2 ? w.a : w.b;
        for (let i = 0; i < 40; i++) {
          const clientOrderId = cid(`fl${worker}`);
          const r = (i + worker) % 3 === 0 ? await sell(t, '60000', clientOrderId) : await buy(t, String(60000 - (i % 4)), clientOrderId);
          if (r.body?.returnCode === 0) oks.push({ clientOrderId, orderId: r.body.result });
          else if (r.body?.error?.code === '500' || /not saved|journal/i.test(r.body?.error?.msg ?? '')) failed.push(clientOrderId);
          else refused += 1; // an engine refusal: journaled, with its result
        }
      })), 20_000, 'the flaky-disk workers');
    } finally {
      clearInterval(flaky);
      w.faults.failNext.write = 0;
    }
    assert.ok(failed.length > 0 && oks.length > 0, `a mix of failures and successes (${failed.length} failed, ${oks.length} ok, ${refused} refused)`);
    await assertStateIsTheJournal(w, oks, failed);
    // The stream of a: gap-free and exactly the frames the journal implies.
    const journal = await readJournalCopy(w.dir);
    const reference = referenceOf(journal.records);
    const first = w.stream.pushes[0]!.seq;
    const expected = reference.framesAfter(w.a.accountId, first - 1);
    await w.stream.until(() => w.stream.pushes.length >= expected.length, 3_000, 'all pushes of a');
    assert.equal(gapFree(w.stream.pushes, first), null);
    assert.deepEqual(w.stream.pushes.map((p) => p.text), expected, 'pushes = the journal\'s events, exactly');
    assert.deepEqual(unhandled, []);
  });

  describe('when the journal cannot be repaired', () => {
    for (const [name, arm] of [
      ['write EIO, then the truncation fails too', (f: Faults) => { f.write = 'EIO'; f.truncate = 'EIO'; }],
      ['fdatasync keeps failing (so the truncation cannot be made durable either)', (f: Faults) => { f.datasync = 'EIO'; }],
    ] as const) {
      test(`${name}: every later command is refused with a clear error until a restart, which recovers a consistent state`, async () => {
        const okId = cid('pre');
        const pre = expectOk(await buy(w.a, '59000', okId), 'an order before the failure');
        await w.stream.until(() => w.stream.pushes.length === 3, 2_000, 'pushes');
        const before = await observe(w);
        arm(w.faults);
        const failId = cid('bad');
        const first = await withTimeout(buy(w.a, '59001', failId), 5_000, 'the failing order');
        Object.assign(w.faults, { write: null, truncate: null, datasync: null });
        assert.equal(first.body?.returnCode, 1, 'the order failed');
        // The disk is fine again, but the journal is in an unknown state: refuse, clearly, until restart.
        const later = await buy(w.a, '59002', cid('later'));
        assert.equal(later.body?.returnCode, 1, 'an order after an unrepaired journal failure is refused');
        let direct = '';
        await w.node.server.exchange.execute({ type: 'deposit', accountId: w.a.accountId, asset: 'USDT', amount: 1n }).then(
          () => assert.fail('exchange.execute must refuse after an unrepaired journal failure'), (e: unknown) => { direct = String(e); });
        assert.match(direct, /JournalError.*restart/, 'the service-level error says to restart');
        const laterAdmin = await w.node.admin.request<{ error?: string }>('POST', '/deposit', { accountId: w.a.accountId, asset: 'USDT', amount: '1' });
        assert.ok(laterAdmin.status >= 400, 'admin commands are refused too');
        await w.stream.sync();
        const now = await observe(w);
        assert.equal(now.cmdSeq, before.cmdSeq, 'nothing applied');
        assert.equal(now.hash, before.hash, 'state unchanged');
        assert.equal(now.pushes, before.pushes, 'nothing pushed');
        // Reads keep working.
        const detail = await w.a.rest.get<{ orderId: string }>('/future/trade/v1/order/detail', { orderId: pre });
        assert.equal(detail.body?.result?.orderId, pre);
        // Restart: a graceful stop must not hang; the new process recovers what the journal holds.
        let closeError: unknown = null;
        await withTimeout(w.node.server.close(), 5_000, 'a graceful stop after the journal failed').catch((e: unknown) => { closeError = e; });
        const again = await startNode(w.dir);
        try {
          assert.equal(again.server.exchange.engine.cmdSeq, before.cmdSeq, 'recovered the commands acknowledged before the failure');
          assert.equal(again.server.exchange.engine.stateHash(), before.hash);
          assert.equal(again.server.exchange.epoch, w.node.server.exchange.epoch);
          assert.equal(again.server.recovery!.torn, null);
          const a = rebind(w.a, again.server.url);
          expectOk(await buy(a, '59003', cid('post')), 'an order after the restart');
        } finally {
          await again.server.close();
        }
        assert.deepEqual(unhandled, []);
        assert.equal(closeError, null, `a graceful stop after a journal failure should complete; it failed with: ${String(closeError)}`);
        assertClearFailure(first, 'the failing order');
        assertClearFailure(later, 'an order after an unrepaired journal failure', /restart/i);
        assert.match(String(laterAdmin.body.error), /restart|journal|disk/i, `admin: a clear error; got ${laterAdmin.status} ${JSON.stringify(laterAdmin.body)}`);
      });
    }

    test('fdatasync fails and so does the truncation: a command the caller was told "was not saved" must not take effect after the restart', async () => {
      expectOk(await buy(w.a, '59000', cid('pre')), 'an order before the failure');
      const before = await observe(w);
      w.faults.failNext.datasync = 1;
      w.faults.truncate = 'EIO';
      const failId = cid('ghost');
      // At the service level, so the JournalError's own words are seen (the REST front door hides them, see above).
      const command = { type: 'placeOrder', accountId: w.a.accountId, symbol: 'btc_usdt', side: 'BUY', positionSide: 'LONG', orderType: 'LIMIT',
        timeInForce: 'GTC', price: 590_010, qty: 1, reduceOnly: false, clientOrderId: failId } as const;
      const told = await withTimeout(w.node.server.exchange.execute(command).then(() => 'resolved', (e: unknown) => String(e)), 5_000, 'the failing command');
      w.faults.truncate = null;
      assert.match(told, /JournalError/, 'the command failed');
      await withTimeout(w.node.server.close(), 5_000, 'close').catch(() => undefined);
      const again = await startNode(w.dir);
      try {
        const journal = await readJournalCopy(w.dir);
        const reference = referenceOf(journal.records);
        const present = reference.placed.has(`${w.a.accountId}|${failId}`);
        assert.equal(again.server.exchange.engine.stateHash(), reference.engine.stateHash(), 'the recovered state is the journal');
        assert.ok(!present || !/not saved|nothing changed/i.test(told),
          `the caller was told ${JSON.stringify(told)}, yet after the restart the order is live ` +
          `(recovered cmdSeq ${again.server.exchange.engine.cmdSeq}, was ${before.cmdSeq}): the record written before the failed fdatasync ` +
          'stayed in the segment because the truncation failed, and recovery replays it');
      } finally {
        await again.server.close();
      }
    });
  });

  test('a full disk while writing a snapshot: the snapshot fails, commands keep working, a later snapshot and a restart are fine', async () => {
    for (let i = 0; i < 3; i++) expectOk(await buy(w.a, String(58000 + i), cid('s')), 'order');
    w.faults.writeFile = 'ENOSPC';
    const failed = await w.node.admin.request('POST', '/snapshot');
    w.faults.writeFile = null;
    assert.ok(failed.status >= 400, `the snapshot request fails: ${failed.status} ${JSON.stringify(failed.body)}`);
    const ok = expectOk(await buy(w.a, '58010', cid('s')), 'an order after the failed snapshot');
    assert.ok(ok);
    const snap = await w.node.admin.request<{ snapshot: { cmdSeq: number } }>('POST', '/snapshot');
    assert.equal(snap.status, 200);
    assert.equal(snap.body.snapshot.cmdSeq, w.node.server.exchange.engine.cmdSeq);
    assert.deepEqual((await fs.readdir(join(w.dir, 'snapshots'))).filter((n) => n.endsWith('.tmp')), [], 'the half-written temp file is gone');
    const hash = w.node.server.exchange.engine.stateHash();
    await w.node.server.close();
    const again = await startNode(w.dir);
    try {
      assert.equal(again.server.exchange.engine.stateHash(), hash);
      assert.deepEqual(again.server.recovery!.skippedSnapshots, []);
    } finally {
      await again.server.close();
    }
    assert.deepEqual(unhandled, []);
  });

  test('a new journal segment cannot be created (at a snapshot\'s rotation): no crash, no hang; commands fail clearly or succeed; restart is consistent', async () => {
    for (let i = 0; i < 3; i++) expectOk(await buy(w.a, String(58000 + i), cid('r')), 'order');
    const before = await observe(w);
    // node:test turns an unhandled rejection into a bare failure of the running test; collect it here
    // instead (this test only), so the report says what the rejection does to perpstream.
    const runnerListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      await rotationFailure(before);
    } finally {
      process.removeAllListeners('unhandledRejection');
      for (const listener of runnerListeners) process.on('unhandledRejection', listener);
    }
  });

  async function rotationFailure(before: Observed): Promise<void> {
    w.faults.openSegment = 'ENOSPC';
    const snapshot = w.node.server.store!.snapshot().then(() => 'resolved', (e: unknown) => `rejected: ${String(e)}`);
    const settled = await withTimeout(snapshot, 3_000, 'the snapshot').catch(() => 'still pending after 3 s');
    w.faults.openSegment = null;
    const reply = await withTimeout(buy(w.a, '58100', cid('r')), 5_000, 'an order after the failed rotation');
    const afterwards = await observe(w);
    const problems: string[] = [];
    const journalFailed = w.node.server.store!.journal.failed;
    if (journalFailed !== null) problems.push(`after the fault is gone the journal refuses every command until a restart (${journalFailed.message}): it kept writing to the segment handle it had closed`);
    if (unhandled.length > 0) problems.push(`unhandled rejection(s) — in a real process this kills perpstream: ${unhandled.map(String).join('; ')}`);
    if (settled === 'still pending after 3 s') problems.push('the snapshot stays pending (its rotation waiter is only resolved by a later batch)');
    if (reply.body?.returnCode !== 0) {
      try {
        assertClearFailure(reply, 'the order after the failed rotation');
      } catch (error) {
        problems.push((error as Error).message);
      }
      if (afterwards.cmdSeq !== before.cmdSeq) problems.push('a failed order changed the state');
    }
    const closed = await withTimeout(w.node.server.close(), 3_000, 'close()').then(() => 'closed', (e: unknown) => String(e));
    if (closed !== 'closed') problems.push(`graceful stop: ${closed}`);
    const again = await startNode(w.dir);
    try {
      const journal = await readJournalCopy(w.dir);
      assert.equal(again.server.exchange.engine.stateHash(), referenceOf(journal.records).engine.stateHash(), 'restart: the state is the journal');
      assert.ok(again.server.exchange.engine.cmdSeq >= before.cmdSeq, 'nothing acknowledged was lost');
    } finally {
      await again.server.close();
    }
    assert.deepEqual(problems, [], `snapshot: ${settled}; order: ${JSON.stringify(reply.body)}`);
  }
});
