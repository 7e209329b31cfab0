/**
 * Snapshots: fallback from a damaged newest snapshot to the previous one (then the journal from
 * there, checkpoint hashes checked, same final state hash and same pushes for a resuming client),
 * pruning that always keeps what that fallback needs, periodic snapshots by count and by time,
 * the pause a snapshot under load reports, and the closing snapshot of a graceful shutdown.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CorruptJournalError, readJournal } from '../../src/persistence/journal.js';
import { realFileOps } from '../../src/persistence/file-ops.js';
import { readSnapshot, writeSnapshot } from '../../src/persistence/snapshots.js';
import { eventually } from '../support/barriers.js';
import { ManualTime } from '../support/manual-time.js';
import { dirname, basename } from 'node:path';
import {
  ALL_TOPICS, crashImage, expectOk, readJournalCopy, rebind, referenceOf, cleanup, ResumeStream, segmentsOf, snapshotsOf,
  startNode, tempDir, trader, withTimeout, type Node, type Trader,
} from './support.js';

const order = (t: Trader, side: 'BUY' | 'SELL', price: string, qty = '1') =>
  t.rest.post<string>('/future/trade/v1/order/create', {
    symbol: 'btc_usdt', orderType: 'LIMIT', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', price, origQty: qty,
  });

/** A few resting orders and a few fills between a and b. */
async function trade(a: Trader, b: Trader, round: number): Promise<void> {
  expectOk(await order(a, 'BUY', String(59000 + round)), 'resting buy');
  expectOk(await order(b, 'SELL', String(61000 + round)), 'resting sell');
  expectOk(await order(a, 'BUY', '60000', '2'), 'maker buy');
  expectOk(await order(b, 'SELL', '60000', '1'), 'taker sell (fills)');
}

async function snapshotNow(node: Node): Promise<number> {
  const reply = await node.admin.request<{ snapshot: { cmdSeq: number } | null }>('POST', '/snapshot');
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.ok(reply.body.snapshot !== null);
  return reply.body.snapshot.cmdSeq;
}

describe('snapshots', { timeout: 90_000 }, () => {
  after(cleanup);

  describe('fallback from a damaged newest snapshot', () => {
    let dir: string;
    let a: Trader;
    let s2: number;
    let final: { hash: string; cmdSeq: number; epoch: string; accountSeq: number };
    let witness: string[];
    let witnessFirst: number;
    let resumeFrom: number;

    test('setup: three snapshots (the last at shutdown), two kept', async () => {
      dir = join(await tempDir('snap-fallback'), 'data');
      const node = await startNode(dir);
      a = await trader(node);
      const b = await trader(node);
      assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
      const stream = await ResumeStream.connect(node.server.wsUrl);
      const ack = await stream.subscribe(a.listenKey, ALL_TOPICS);
      witnessFirst = ack.seq! + 1;
      await trade(a, b, 0);
      const s1 = await snapshotNow(node);
      await trade(a, b, 1);
      resumeFrom = node.server.exchange.engine.account(a.accountId)!.seq;
      s2 = await snapshotNow(node);
      await trade(a, b, 2);
      const engine = node.server.exchange.engine;
      final = { hash: engine.stateHash(), cmdSeq: engine.cmdSeq, epoch: node.server.exchange.epoch, accountSeq: engine.account(a.accountId)!.seq };
      await stream.until(() => stream.lastSeq() === final.accountSeq, 3_000, 'the witness to catch up');
      witness = stream.pushes.map((p) => p.text);
      stream.close();
      await node.server.close();
      const names = await snapshotsOf(dir);
      assert.deepEqual(names.map((n) => Number(n.slice(9, 25))), [s2, final.cmdSeq], `kept: the two newest snapshots (s1 = ${s1} pruned)`);
      const segments = await segmentsOf(dir);
      assert.ok(Number(segments[0]!.slice(8, 24)) <= s2 + 1, `the journal still reaches back past the older kept snapshot: ${segments.join(', ')}`);
    });

    const damages: [string, (path: string) => Promise<void>][] = [
      ['a flipped byte', async (path) => {
        const buffer = await fs.readFile(path);
        const at = Math.floor(buffer.length / 2);
        buffer[at] = buffer[at]! ^ 0x10;
        await fs.writeFile(path, buffer);
      }],
      ['cut in half', async (path) => fs.truncate(path, Math.floor((await fs.stat(path)).size / 2))],
      ['an empty file', async (path) => fs.writeFile(path, '')],
      ['intact framing, but a tampered balance inside', async (path) => {
        const file = await readSnapshot(realFileOps, dirname(path), basename(path));
        file.engine.accounts[0]!.wallets[0]!.balance += 100_000_000n;
        await writeSnapshot(realFileOps, dirname(path), file);
      }],
      ['intact framing and state, but a wrong recorded hash', async (path) => {
        const file = await readSnapshot(realFileOps, dirname(path), basename(path));
        file.hash = '0'.repeat(64);
        await writeSnapshot(realFileOps, dirname(path), file);
      }],
    ];

    for (const [name, damage] of damages) {
      test(`newest snapshot damaged (${name}): recovers from the previous one plus the journal, to the same state`, async () => {
        const image = await crashImage(dir);
        const newest = (await snapshotsOf(image)).at(-1)!;
        await damage(join(image, 'snapshots', newest));
        const node = await startNode(image);
        try {
          const r = node.server.recovery!;
          assert.deepEqual(r.skippedSnapshots, [newest]);
          assert.equal(r.snapshotSeq, s2, 'fell back to the previous snapshot');
          assert.equal(r.replayed, final.cmdSeq - s2, 'replayed the journal after it');
          assert.ok(r.checkpointsVerified >= 1, 'the skipped snapshot\'s checkpoint hash in the journal was checked on the way');
          assert.equal(node.server.exchange.engine.cmdSeq, final.cmdSeq);
          assert.equal(node.server.exchange.engine.stateHash(), final.hash, 'state hash after recovery = before shutdown');
          assert.equal(r.epoch, final.epoch, 'nothing was lost: same epoch');
          assert.ok(node.logs.some((l) => l.includes(`skipping snapshot ${newest}`)), `a log line names the skipped snapshot: ${node.logs.join(' | ')}`);
          // A client resuming from before the older snapshot gets exactly what the live server pushed.
          const rest = rebind(a, node.server.url);
          const key = expectOk(await rest.rest.get<string>('/future/user/v1/user/listen-key'), 'listen key');
          const stream = await ResumeStream.connect(node.server.wsUrl);
          try {
            const ack = await stream.subscribe(key, ALL_TOPICS, { epoch: final.epoch, seq: resumeFrom });
            assert.deepEqual(ack.resume, { recovered: true, from: resumeFrom + 1, to: final.accountSeq });
            const expected = witness.slice(resumeFrom + 1 - witnessFirst);
            await stream.until(() => stream.pushes.length >= expected.length, 3_000, 'the replay');
            await stream.sync();
            assert.deepEqual(stream.pushes.map((p) => p.text), expected, 'replayed pushes = the ones pushed live');
          } finally {
            stream.close();
          }
        } finally {
          await node.server.close();
        }
      });
    }

    test('both kept snapshots damaged: the journal before them was pruned, so start-up refuses instead of starting from a partial state', async () => {
      const image = await crashImage(dir);
      for (const name of await snapshotsOf(image)) await fs.writeFile(join(image, 'snapshots', name), 'garbage');
      await assert.rejects(startNode(image), (error: unknown) => {
        assert.ok(error instanceof CorruptJournalError, `CorruptJournalError expected, got ${String(error)}`);
        assert.match(error.message, /missing|resumes at/);
        return true;
      });
    });
  });

  test('pruning over many snapshots always keeps the previous snapshot and the journal after it', async () => {
    const dir = join(await tempDir('snap-prune'), 'data');
    const node = await startNode(dir);
    try {
      const a = await trader(node);
      const b = await trader(node);
      assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
      const taken: number[] = [];
      for (let round = 0; round < 8; round++) {
        await trade(a, b, round);
        taken.push(await snapshotNow(node));
        const kept = (await snapshotsOf(dir)).map((n) => Number(n.slice(9, 25)));
        assert.deepEqual(kept, taken.slice(-2), `round ${round}: the two newest snapshots are kept`);
        const segments = (await segmentsOf(dir)).map((n) => Number(n.slice(8, 24)));
        const older = kept[0]!;
        if (kept.length === 1) {
          assert.equal(segments[0], 1, 'with one snapshot the whole journal stays (the fallback is the journal itself)');
        } else {
          assert.ok(segments[0]! <= older + 1, `round ${round}: segments ${segments} must reach back to ${older + 1}`);
          assert.ok(segments.length <= 3, `round ${round}: older segments are pruned (${segments})`);
        }
        // The journal that is left, read from the older kept snapshot on, is contiguous to the end.
        const copy = await crashImage(dir);
        const journal = await readJournal(realFileOps, join(copy, 'journal'), kept[0]!);
        assert.deepEqual(journal.records.map((r) => r.seq), Array.from({ length: node.server.exchange.engine.cmdSeq - kept[0]! }, (_, i) => kept[0]! + 1 + i));
      }
      assert.deepEqual((await fs.readdir(join(dir, 'snapshots'))).filter((n) => n.endsWith('.tmp')), []);
    } finally {
      await node.server.close();
    }
  });

  // The periodic check runs on time moved by hand (ManualTime: the store's timer and clock). A
  // check that starts a snapshot does so synchronously, so right after a step `snapshotting()` says
  // whether it did; a snapshot started is awaited through the store's onSnapshot report.
  const snapshotting = (store: NonNullable<Node['server']['store']>): boolean => (store as unknown as { snapshotting: unknown }).snapshotting !== null;
  const nextSnapshot = (store: NonNullable<Node['server']['store']>): Promise<void> => new Promise((resolve) => {
    const previous = store.onSnapshot;
    store.onSnapshot = (stats) => {
      store.onSnapshot = previous;
      previous?.(stats);
      resolve();
    };
  });

  test('periodic snapshots: after snapshotEveryCommands commands', async () => {
    const dir = join(await tempDir('snap-count'), 'data');
    const time = new ManualTime();
    const node = await startNode(dir, { snapshotEveryCommands: 20, clock: time, timers: time });
    try {
      const a = await trader(node);
      const store = node.server.store!;
      for (let i = 0; i < 25; i++) expectOk(await order(a, 'BUY', String(59000 + i)), 'order');
      const taken = nextSnapshot(store);
      await time.advance(1_000); // the check runs every second at most
      await withTimeout(taken, 3_000, 'a snapshot by command count');
      assert.equal(store.lastSnapshot!.cmdSeq, node.server.exchange.engine.cmdSeq);
      assert.ok((await snapshotsOf(dir)).length >= 1);
      const seq = store.lastSnapshot!.cmdSeq;
      for (let i = 0; i < 19; i++) expectOk(await order(a, 'BUY', String(58000 + i)), 'order');
      await time.advance(3_000);
      assert.equal(snapshotting(store), false, 'no new snapshot while fewer than 20 commands came');
      assert.equal(store.lastSnapshot!.cmdSeq, seq);
      expectOk(await order(a, 'BUY', '57000'), 'the 20th order');
      const twentieth = nextSnapshot(store);
      await time.advance(1_000);
      await withTimeout(twentieth, 3_000, 'a snapshot after 20 more commands');
      assert.equal(store.lastSnapshot!.cmdSeq, seq + 20);
    } finally {
      await node.server.close();
    }
  });

  test('periodic snapshots: snapshotEveryMs after the last one when something happened, none when idle', async () => {
    const dir = join(await tempDir('snap-time'), 'data');
    const time = new ManualTime();
    const node = await startNode(dir, { snapshotEveryMs: 250, clock: time, timers: time });
    try {
      const store = node.server.store!;
      await time.advance(1_000);
      assert.equal(snapshotting(store), false, 'nothing happened: no snapshot');
      assert.equal(store.lastSnapshot, null);
      const a = await trader(node);
      expectOk(await order(a, 'BUY', '59000'), 'order');
      const last = node.server.exchange.engine.cmdSeq;
      const taken = nextSnapshot(store);
      await time.advance(250);
      await withTimeout(taken, 3_000, 'a snapshot by time');
      assert.equal(store.lastSnapshot!.cmdSeq, last);
      const count = (await snapshotsOf(dir)).length;
      await time.advance(1_000);
      assert.equal(snapshotting(store), false, 'idle: no further snapshot');
      assert.equal((await snapshotsOf(dir)).length, count);
    } finally {
      await node.server.close();
    }
  });

  test('a snapshot under load reports how long it held the engine; the load is not disturbed; a restart from it is exact', async () => {
    const dir = join(await tempDir('snap-load'), 'data');
    const node = await startNode(dir);
    const a = await trader(node);
    const b = await trader(node);
    assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
    // Some state to capture: resting orders on both sides.
    for (let i = 0; i < 60; i++) expectOk(await order(i % 2 ? a : b, i % 2 ? 'BUY' : 'SELL', String(i % 2 ? 59000 + i : 61000 + i)), 'resting');
    let running = true;
    const errors: string[] = [];
    let done = 0;
    const workers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; running; i++) {
        const reply = await order(w % 2 ? a : b, (i + w) % 2 ? 'BUY' : 'SELL', String(60000 + ((i * 7 + w) % 5) - 2));
        if (reply.body?.returnCode !== 0 && !/insufficient|rejected/.test(reply.body?.error?.msg ?? '')) errors.push(JSON.stringify(reply.body));
        done += 1;
      }
    });
    await eventually(() => done >= 40, 'the load to be under way');
    const doneBefore = done;
    const stats = await node.server.store!.snapshot();
    await eventually(() => done > doneBefore + 10, 'the load to keep going after the snapshot started', 10_000);
    running = false;
    await withTimeout(Promise.all(workers), 10_000, 'the load to stop');
    assert.ok(stats !== null);
    assert.ok(Number.isFinite(stats.pauseMs) && stats.pauseMs >= 0, `pauseMs ${stats.pauseMs}`);
    assert.ok(stats.pauseMs < 1_000, `the engine was held ${stats.pauseMs} ms`);
    assert.ok(Number.isFinite(stats.writeMs) && stats.bytes > 0);
    assert.deepEqual(node.server.store!.lastSnapshot, stats);
    const status = await node.admin.request<{ lastSnapshot: { pauseMs: number; cmdSeq: number } | null; cmdSeq: number }>('GET', '/status');
    assert.equal(status.body.lastSnapshot?.cmdSeq, stats.cmdSeq);
    assert.equal(status.body.lastSnapshot?.pauseMs, stats.pauseMs, 'the admin status reports the pause');
    assert.deepEqual(errors, [], 'no command failed during the snapshot');
    const file = await readSnapshot(realFileOps, join(dir, 'snapshots'), `snapshot-${String(stats.cmdSeq).padStart(16, '0')}.snap`);
    const journal = await readJournalCopy(dir);
    const upTo = referenceOf(journal.records.filter((r) => r.seq <= stats.cmdSeq));
    assert.equal(file.hash, upTo.engine.stateHash(), 'the snapshot taken under load is exactly the journal up to its cmdSeq');
    const image = await crashImage(dir);
    const hash = node.server.exchange.engine.stateHash();
    await node.server.close();
    const again = await startNode(image);
    try {
      assert.equal(again.server.recovery!.snapshotSeq, stats.cmdSeq);
      assert.equal(again.server.exchange.engine.stateHash(), hash);
    } finally {
      await again.server.close();
    }
  });

  test('graceful shutdown takes a final snapshot at the last command; the next start replays nothing', async () => {
    const dir = join(await tempDir('snap-close'), 'data');
    const node = await startNode(dir);
    const a = await trader(node);
    for (let i = 0; i < 5; i++) expectOk(await order(a, 'BUY', String(59000 + i)), 'order');
    const cmdSeq = node.server.exchange.engine.cmdSeq;
    const hash = node.server.exchange.engine.stateHash();
    await node.server.close();
    const newest = (await snapshotsOf(dir)).at(-1)!;
    const file = await readSnapshot(realFileOps, join(dir, 'snapshots'), newest);
    assert.equal(file.cmdSeq, cmdSeq);
    assert.equal(file.hash, hash);
    const again = await startNode(dir);
    try {
      assert.equal(again.server.recovery!.replayed, 0);
      assert.equal(again.server.exchange.engine.stateHash(), hash);
    } finally {
      await again.server.close();
    }
  });
});
