/**
 * Snapshots made off the engine's thread: a replay worker restores the previous snapshot and
 * replays the journal to the rotation point. For several seeded command streams (the property
 * generator's), the snapshot it writes must restore to the very state hash of the live engine at
 * that command and carry the very service state (history, ledger, replay window) a snapshot
 * captured on the engine's thread carries; recovery from it continues to the live final state.
 * A worker keeps its state between snapshots (the second replays only what followed the first); a
 * new one restores the last snapshot file. A damaged newest snapshot (a flipped byte in a binary
 * chunk, a cut file) falls back to the older one plus the journal, to the same state.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import type { Command } from '../../src/engine/types.js';
import { realFileOps } from '../../src/persistence/file-ops.js';
import { listSnapshots, readSnapshot, writeSnapshot } from '../../src/persistence/snapshots.js';
import { openDurableExchange } from '../../src/service/durable-exchange.js';
import type { CommandInput, Exchange } from '../../src/service/exchange.js';
import type { ServiceStateOptions } from '../../src/service/service-state.js';
import { generateCommands, type Scenario } from '../property/generator.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Small bounds, so eviction from every bounded log is part of what must match. */
const SERVICE: ServiceStateOptions = {
  replayWindow: 400,
  history: { ordersPerAccount: 15, tradesPerAccount: 15, ordersTotal: 120, tradesTotal: 120 },
  ledger: { rowsPerAccount: 20, rowsTotal: 150, closedPositionsPerAccount: 5, closedPositionsTotal: 40, closingOrdersPerAccount: 5, closingOrdersTotal: 40 },
};

/** A clock the test sets to each generated command's time before executing it. */
class StampClock {
  time = 0;
  now(): number {
    return this.time;
  }
}

async function open(dir: string, scenario: Scenario, clock: StampClock) {
  return openDurableExchange({
    dataDir: dir, symbols: [...scenario.symbols], clock, engineOptions: scenario.engineOptions, service: SERVICE, keepSnapshots: 2,
  });
}

/** Executes the commands (all queued at once, so the journal batches them); waits for every ack. */
async function run(exchange: Exchange, clock: StampClock, commands: readonly Command[]): Promise<void> {
  const acks: Promise<unknown>[] = [];
  for (const { time, ...input } of commands) {
    clock.time = time;
    acks.push(exchange.execute(input as CommandInput));
  }
  await Promise.all(acks);
}

for (const seed of [1, 2, 3, 4]) {
  test(`seed ${seed}: a snapshot made on a worker = one captured on the engine's thread; recovery from it reaches the live state`, { timeout: 120_000 }, async () => {
    const { scenario, commands } = generateCommands(seed, 2400);
    const dir = await mkdtemp(join(tmpdir(), 'perpstream-offthread-'));
    dirs.push(dir);
    const clock = new StampClock();
    const { exchange, store } = await open(dir, scenario, clock);
    assert.ok(store.snapshotsOffThread, 'real file operations and plain options: snapshots go to a worker');

    // The first from the empty state and the whole journal, the second from the first.
    await run(exchange, clock, commands.slice(0, 1000));
    const first = await store.snapshot();
    assert.equal(first?.madeOn, 'worker');
    assert.equal(first?.cmdSeq, 1000);
    await run(exchange, clock, commands.slice(1000, 1800));
    const second = await store.snapshot();
    assert.equal(second?.madeOn, 'worker');
    assert.equal(second?.cmdSeq, 1800);
    assert.equal(second?.replayed, 800, 'the worker started from the previous snapshot');

    // What the engine's thread would have captured at the same command.
    const onThread = {
      cmdSeq: exchange.engine.cmdSeq, hash: exchange.engine.stateHash(), takenAt: 0, engine: exchange.engine.snapshot(), service: exchange.state.capture(),
    };
    const otherDir = await mkdtemp(join(tmpdir(), 'perpstream-onthread-'));
    dirs.push(otherDir);
    const { name: onThreadName } = await writeSnapshot(realFileOps, otherDir, onThread);
    const fromThread = await readSnapshot(realFileOps, otherDir, onThreadName);
    const fromWorker = await readSnapshot(realFileOps, join(dir, 'snapshots'), (await listSnapshots(realFileOps, join(dir, 'snapshots')))[0]!.name);
    assert.equal(fromWorker.cmdSeq, 1800);
    assert.equal(fromWorker.hash, onThread.hash, 'the worker\'s recorded hash = the live engine\'s');
    const options = { symbols: [...scenario.symbols], ...scenario.engineOptions };
    assert.equal(Engine.restore(options, fromWorker.engine).stateHash(), Engine.restore(options, fromThread.engine).stateHash(), 'same state restored');
    assert.deepEqual(fromWorker.service, fromThread.service, 'same history, ledger and replay window');

    // Crash after more commands: recovery from the worker's snapshot continues to the live state.
    await run(exchange, clock, commands.slice(1800));
    const live = { hash: exchange.engine.stateHash(), cmdSeq: exchange.engine.cmdSeq, service: exchange.state.capture() };
    await store.journal.close();
    const again = await open(dir, scenario, clock);
    try {
      assert.equal(again.report.snapshotSeq, 1800);
      assert.equal(again.report.replayed, live.cmdSeq - 1800);
      assert.equal(again.exchange.engine.stateHash(), live.hash);
      assert.deepEqual(again.exchange.state.capture(), live.service, 'service state after recovery = live');
      // A new worker (this process's store) starts from the snapshot file, not from a replica it kept.
      const third = await again.store.snapshot();
      assert.equal(third?.madeOn, 'worker');
      assert.equal(third?.cmdSeq, live.cmdSeq);
      assert.equal(third?.replayed, live.cmdSeq - 1800, 'restored the worker-made snapshot, replayed the rest');
      const fromFile = await readSnapshot(realFileOps, join(dir, 'snapshots'), (await listSnapshots(realFileOps, join(dir, 'snapshots')))[0]!.name);
      assert.equal(fromFile.hash, live.hash);
      assert.deepEqual(fromFile.service, live.service);

      // The newest snapshot damaged: the older one plus the journal give the same state.
      const snapshots = join(dir, 'snapshots');
      const newest = join(snapshots, (await listSnapshots(realFileOps, snapshots))[0]!.name);
      await again.store.journal.close();
      const intact = await fs.readFile(newest);
      const flipped = Buffer.from(intact);
      const at = Math.floor(flipped.length * 0.7);
      flipped[at] = flipped[at]! ^ 0x01;
      for (const damaged of [flipped, intact.subarray(0, Math.floor(intact.length / 2))]) {
        await fs.writeFile(newest, damaged);
        const fallback = await open(dir, scenario, clock);
        try {
          assert.equal(fallback.report.skippedSnapshots.length, 1, 'the damaged snapshot was skipped');
          assert.equal(fallback.report.snapshotSeq, 1800, 'fell back to the older snapshot');
          assert.equal(fallback.exchange.engine.stateHash(), live.hash);
          assert.deepEqual(fallback.exchange.state.capture(), live.service);
        } finally {
          await fallback.store.journal.close();
        }
      }
    } finally {
      await again.store.journal.close().catch(() => undefined);
    }
  });
}

test('a worker that cannot make the snapshot (no snapshot to start from, the journal pruned) leaves it to the engine thread: logged, same state', { timeout: 120_000 }, async () => {
  const { scenario, commands } = generateCommands(7, 1500);
  const dir = await mkdtemp(join(tmpdir(), 'perpstream-offthread-fail-'));
  dirs.push(dir);
  const clock = new StampClock();
  const first = await open(dir, scenario, clock);
  await run(first.exchange, clock, commands.slice(0, 500));
  await first.store.snapshot();
  await run(first.exchange, clock, commands.slice(500, 1000));
  await first.store.snapshot();
  await first.store.journal.close();
  const journal = await fs.readdir(join(dir, 'journal'));
  assert.ok(!journal.includes('journal-0000000000000001.log'), `the journal before the older snapshot was pruned: ${journal.join(', ')}`);

  const logs: string[] = [];
  const again = await openDurableExchange({
    dataDir: dir, symbols: [...scenario.symbols], clock, engineOptions: scenario.engineOptions, service: SERVICE, log: (message) => logs.push(message),
  });
  try {
    await run(again.exchange, clock, commands.slice(1000));
    // Nothing left for a new worker to start from.
    for (const { name } of await listSnapshots(realFileOps, join(dir, 'snapshots'))) await fs.rm(join(dir, 'snapshots', name));
    const stats = await again.store.snapshot();
    assert.equal(stats?.madeOn, 'engine', 'captured on the engine thread instead');
    assert.equal(stats?.cmdSeq, 1500);
    assert.ok(logs.some((line) => /on a worker failed \(no valid snapshot/.test(line)), `the failure is logged: ${logs.join(' | ')}`);
    const file = await readSnapshot(realFileOps, join(dir, 'snapshots'), (await listSnapshots(realFileOps, join(dir, 'snapshots')))[0]!.name);
    assert.equal(file.hash, again.exchange.engine.stateHash());
    assert.deepEqual(file.service, again.exchange.state.capture());
  } finally {
    await again.store.journal.close();
  }
});
