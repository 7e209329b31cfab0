/**
 * Torn and corrupt journals. A history of acknowledged commands is written by a live in-process
 * server; a *crash image* (a copy of its data directory taken while it runs, all commands durable,
 * no closing snapshot) is then damaged the way a crash or a bad disk damages it, and a new server
 * is started on the image:
 *   - a torn / garbage / checksum-failing tail of the last segment is cut, reported in
 *     `server.recovery.torn` and in a log line, and every earlier command is intact (same state
 *     hash as the live server had after that command);
 *   - damage in a non-last segment, or a gap, makes start-up refuse with CorruptJournalError;
 *   - damage *before* intact records of the last segment is not a torn tail: acknowledged
 *     commands must not be dropped silently under the same epoch;
 *   - restarting twice in a row, an empty or missing data directory, an empty last segment and a
 *     leftover snapshot temp file all just work.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJson, encodeJson } from '../../src/persistence/codec.js';
import { frame } from '../../src/persistence/frames.js';
import { CorruptJournalError } from '../../src/persistence/journal.js';
import {
  abandon, crashImage, expectOk, frameOffsets, readJournalCopy, rebind, referenceOf, cleanup, restingBuy, rng, segmentsOf,
  snapshotsOf, startNode, tempDir, trader, type Node, type Trader,
} from './support.js';

interface History {
  node: Node;
  a: Trader;
  /** State hash after each command seq. */
  hashes: Map<number, string>;
  /** Order id placed by each command seq (orders only). */
  orderAt: Map<number, string>;
  epoch: string;
  cmdSeq: number;
}

/** A live server with `orders` acknowledged resting orders (after createAccount and deposit). */
async function writeHistory(orders: number, tag: string): Promise<History> {
  const node = await startNode(join(await tempDir(tag), 'data'));
  const a = await trader(node);
  const hashes = new Map<number, string>();
  const orderAt = new Map<number, string>();
  const exchange = node.server.exchange;
  hashes.set(exchange.engine.cmdSeq, exchange.engine.stateHash());
  for (let i = 0; i < orders; i++) {
    const id = expectOk(await restingBuy(a, `h${i}`, String(50000 + i)), `order ${i}`);
    hashes.set(exchange.engine.cmdSeq, exchange.engine.stateHash());
    orderAt.set(exchange.engine.cmdSeq, id);
  }
  return { node, a, hashes, orderAt, epoch: exchange.epoch, cmdSeq: exchange.engine.cmdSeq };
}

async function lastSegment(dataDir: string): Promise<string> {
  const segments = await segmentsOf(dataDir);
  assert.ok(segments.length > 0, 'the journal has a segment');
  return join(dataDir, 'journal', segments.at(-1)!);
}

/** Starts a server on a damaged image, asserts what it recovered, and closes it. */
async function recoverAndCheck(image: string, h: History, expect: { cmdSeq: number; droppedBytes: number; offset: number; reason?: RegExp }): Promise<void> {
  const node = await startNode(image);
  try {
    const { recovery, exchange } = node.server;
    assert.ok(recovery !== null);
    assert.ok(recovery.torn !== null, `a torn tail must be reported; recovery: ${JSON.stringify(recovery)}`);
    assert.equal(recovery.torn.droppedBytes, expect.droppedBytes, 'dropped bytes');
    assert.equal(recovery.torn.offset, expect.offset, 'cut offset');
    if (expect.reason) assert.match(recovery.torn.reason, expect.reason);
    const line = node.logs.find((l) => /torn journal tail/.test(l));
    assert.ok(line !== undefined, `a log line reports the cut; logs: ${JSON.stringify(node.logs)}`);
    assert.match(line, new RegExp(`${expect.droppedBytes} bytes`), 'the log line says how much was dropped');
    assert.match(line, new RegExp(recovery.torn.segment), 'the log line names the segment');
    assert.equal(exchange.engine.cmdSeq, expect.cmdSeq, 'commands recovered');
    assert.equal(exchange.engine.stateHash(), h.hashes.get(expect.cmdSeq), 'state hash equals the live state after that command');
    assert.equal(recovery.epoch, h.epoch, 'nothing acknowledged was lost: same epoch');
    assert.equal(recovery.newEpoch, false);
    // Every earlier order is there, with its id.
    const a = rebind(h.a, node.server.url);
    for (const [seq, id] of h.orderAt) {
      const detail = await a.rest.get<{ orderId: string }>('/future/trade/v1/order/detail', { orderId: id });
      if (seq <= expect.cmdSeq) assert.equal(detail.body?.result?.orderId, id, `order ${id} (command ${seq}) survives`);
      else assert.equal(detail.body?.returnCode, 1, `order ${id} (command ${seq}) was in the cut tail`);
    }
    assert.equal((await fs.stat(join(image, 'journal', recovery.torn.segment))).size, expect.offset, 'the file was cut at the offset');
    // Appending continues cleanly after the cut; two restarts in a row change nothing.
    expectOk(await restingBuy(a, 'after-cut', '49000'), 'an order after the cut');
    const hash = exchange.engine.stateHash();
    const seq = exchange.engine.cmdSeq;
    assert.equal(seq, expect.cmdSeq + 1);
    const image2 = await crashImage(image, 'image2');
    await node.server.close();
    for (let i = 0; i < 2; i++) {
      const again = await startNode(image2);
      try {
        assert.equal(again.server.recovery!.torn, null, `restart ${i + 1}: nothing torn any more`);
        assert.equal(again.server.exchange.engine.cmdSeq, seq);
        assert.equal(again.server.exchange.engine.stateHash(), hash);
        assert.equal(again.server.exchange.epoch, h.epoch);
      } finally {
        await again.server.close();
      }
    }
  } finally {
    if (node.server.store !== null) await node.server.close().catch(() => undefined);
  }
}

describe('torn and corrupt journals', { timeout: 90_000 }, () => {
  let h: History;
  before(async () => {
    h = await writeHistory(10, 'journal');
  });
  after(async () => {
    await h.node.server.close().catch(() => undefined);
    await cleanup();
  });

  test('a last record cut short (partial header, header only, half, all but one byte) is cut off and reported', async (t) => {
    const image0 = await crashImage(h.node.dataDir);
    const segment = await lastSegment(image0);
    const frames = frameOffsets(await fs.readFile(segment));
    const last = frames.at(-1)!;
    const length = last.end - last.start;
    for (const keep of [3, 8, 8 + Math.floor((length - 8) / 2), length - 1]) {
      await t.test(`keep ${keep} of the last record's ${length} bytes`, async () => {
        const image = await crashImage(h.node.dataDir);
        await fs.truncate(await lastSegment(image), last.start + keep);
        await recoverAndCheck(image, h, { cmdSeq: h.cmdSeq - 1, droppedBytes: keep, offset: last.start, reason: /partial header|cut at/ });
      });
    }
  });

  test('garbage appended after the last record is cut off; nothing acknowledged is lost', async (t) => {
    const random = rng(0xfeed);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => random.int(0, 255)));
    const plausible = Buffer.alloc(28);
    plausible.writeUInt32LE(20, 0);
    plausible.writeUInt32LE(0xdeadbeef, 4);
    plausible.write('{"seq":999,"command"', 8);
    const huge = Buffer.alloc(16);
    huge.writeUInt32LE(0xfffffff0, 0);
    const cases: [string, Buffer][] = [
      ['1 random byte', bytes(1)], ['7 random bytes', bytes(7)], ['100 random bytes', bytes(100)],
      ['4096 zero bytes (a preallocated, never-written tail)', Buffer.alloc(4096)],
      ['a plausible header with a wrong checksum', plausible], ['an impossible length', huge],
    ];
    const image0 = await crashImage(h.node.dataDir);
    const end = (await fs.stat(await lastSegment(image0))).size;
    for (const [name, garbage] of cases) {
      await t.test(name, async () => {
        const image = await crashImage(h.node.dataDir);
        await fs.appendFile(await lastSegment(image), garbage);
        await recoverAndCheck(image, h, { cmdSeq: h.cmdSeq, droppedBytes: garbage.length, offset: end });
      });
    }
  });

  test('a flipped byte in the last record (payload, length or checksum field) cuts that record only', async (t) => {
    const image0 = await crashImage(h.node.dataDir);
    const last = frameOffsets(await fs.readFile(await lastSegment(image0))).at(-1)!;
    for (const [name, at] of [['payload', last.start + 8 + 5], ['checksum field', last.start + 5], ['length field', last.start + 1]] as const) {
      await t.test(name, async () => {
        const image = await crashImage(h.node.dataDir);
        const path = await lastSegment(image);
        const buffer = await fs.readFile(path);
        buffer[at] = buffer[at]! ^ 0x5a;
        await fs.writeFile(path, buffer);
        await recoverAndCheck(image, h, { cmdSeq: h.cmdSeq - 1, droppedBytes: last.end - last.start, offset: last.start });
      });
    }
  });

  test('a flipped byte in an earlier record of the last segment must not silently drop the acknowledged records after it', async () => {
    const image = await crashImage(h.node.dataDir);
    const path = await lastSegment(image);
    const buffer = await fs.readFile(path);
    const frames = frameOffsets(buffer);
    // Damage the record of command cmdSeq-3: commands cmdSeq-2 … cmdSeq stay intact behind it.
    const victim = frames.at(-4)!;
    buffer[victim.start + 8 + 3] = buffer[victim.start + 8 + 3]! ^ 0x20;
    await fs.writeFile(path, buffer);
    let node: Node | null = null;
    try {
      node = await startNode(image);
    } catch (error) {
      assert.ok(error instanceof CorruptJournalError, `refusing is right, but with CorruptJournalError: ${String(error)}`);
      return;
    }
    try {
      const { recovery } = node.server;
      const lost = h.cmdSeq - node.server.exchange.engine.cmdSeq;
      // Either refuse, or at the very least declare the history lost (new epoch) so that resuming clients are told.
      assert.ok(lost === 0 || recovery!.newEpoch,
        `start-up cut ${lost} acknowledged, intact command records (${h.cmdSeq - lost + 1}..${h.cmdSeq}) that followed one damaged record, ` +
        `reported it as a torn tail (${JSON.stringify(recovery!.torn)}) and kept epoch ${recovery!.epoch}: per-account seqs will now be reused ` +
        'for different events, and a client resuming from a seq it saw before the crash is told recovered');
    } finally {
      await node.server.close();
    }
  });

  describe('damage outside the last segment', () => {
    let multi: History;
    before(async () => {
      multi = await writeHistory(4, 'journal-multi');
      // Two rotations → three segments, no snapshot (a second snapshot would prune the first segment):
      // every segment is needed to recover.
      for (let round = 0; round < 2; round++) {
        await multi.node.server.store!.journal.rotate();
        for (let i = 0; i < 4; i++) expectOk(await restingBuy(multi.a, `m${round}-${i}`, String(51000 + round * 10 + i)), 'order');
      }
      assert.equal((await segmentsOf(multi.node.dataDir)).length, 3, 'three segments');
    });
    after(() => multi.node.server.close());

    const withoutSnapshots = async (): Promise<string> => {
      const image = await crashImage(multi.node.dataDir);
      for (const name of await snapshotsOf(image)) await fs.rm(join(image, 'snapshots', name));
      return image;
    };

    const refuses = async (image: string, pattern: RegExp): Promise<void> => {
      await assert.rejects(startNode(image), (error: unknown) => {
        assert.ok(error instanceof CorruptJournalError, `CorruptJournalError expected, got ${String(error)}`);
        assert.match(error.message, pattern);
        return true;
      });
    };

    test('the undamaged image recovers from the journal alone, to the live state', async () => {
      const image = await withoutSnapshots();
      const node = await startNode(image);
      try {
        assert.equal(node.server.recovery!.snapshotSeq, null);
        assert.equal(node.server.exchange.engine.cmdSeq, multi.node.server.exchange.engine.cmdSeq);
        assert.equal(node.server.exchange.engine.stateHash(), multi.node.server.exchange.engine.stateHash());
      } finally {
        await node.server.close();
      }
    });

    test('a flipped byte in the first segment: start-up refuses', async () => {
      const image = await withoutSnapshots();
      const path = join(image, 'journal', (await segmentsOf(image))[0]!);
      const buffer = await fs.readFile(path);
      const frame = frameOffsets(buffer)[2]!;
      buffer[frame.start + 10] = buffer[frame.start + 10]! ^ 0x01;
      await fs.writeFile(path, buffer);
      await refuses(image, /journal-0000000000000001\.log.*damaged/);
    });

    test('a torn tail in a middle segment: start-up refuses', async () => {
      const image = await withoutSnapshots();
      const path = join(image, 'journal', (await segmentsOf(image))[1]!);
      const size = (await fs.stat(path)).size;
      await fs.truncate(path, size - 3);
      await refuses(image, /damaged/);
    });

    test('a missing middle segment (a gap in the seqs): start-up refuses', async () => {
      const image = await withoutSnapshots();
      await fs.rm(join(image, 'journal', (await segmentsOf(image))[1]!));
      await refuses(image, /gap|missing/);
    });

    test('a record with a seq out of order in the last segment: start-up refuses', async () => {
      const image = await withoutSnapshots();
      const journal = await readJournalCopy(image);
      assert.equal(journal.records.length, multi.cmdSeq + 8);
      const path = await lastSegment(image);
      const buffer = await fs.readFile(path);
      const frames = frameOffsets(buffer);
      // Swap the last two records: both intact, the seqs go n, n+2, n+1.
      const [x, y] = [frames.at(-2)!, frames.at(-1)!];
      const swapped = Buffer.concat([buffer.subarray(0, x.start), buffer.subarray(y.start, y.end), buffer.subarray(x.start, x.end)]);
      await fs.writeFile(path, swapped);
      await refuses(image, /gap|expected/);
    });
  });

  test('the state hash is checked on replay: a checkpoint that disagrees with the replayed state makes start-up refuse', async () => {
    const node = await startNode(join(await tempDir('checkpoint'), 'data'));
    try {
      const a = await trader(node);
      for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, `k${i}`), 'order');
      assert.equal((await node.admin.request('POST', '/snapshot')).status, 200);
      expectOk(await restingBuy(a, 'k3'), 'order after the snapshot');
      // Without the snapshot file the replay passes through the snapshot's checkpoint record.
      const intact = await crashImage(node.dataDir);
      for (const name of await snapshotsOf(intact)) await fs.rm(join(intact, 'snapshots', name));
      const ok = await startNode(intact);
      assert.equal(ok.server.recovery!.checkpointsVerified, 1, 'the checkpoint was verified');
      await abandon(ok);
      const image = await crashImage(node.dataDir);
      for (const name of await snapshotsOf(image)) await fs.rm(join(image, 'snapshots', name));
      // A snapshot made on a worker appends its checkpoint once made: it may trail into the next segment.
      let found = false;
      for (const segment of await segmentsOf(image)) {
        const path = join(image, 'journal', segment);
        const buffer = await fs.readFile(path);
        const rewritten: Buffer[] = [];
        for (const { start, end } of frameOffsets(buffer)) {
          // A frame is one batch: a JSON array of records.
          const decoded = decodeJson<Record<string, unknown> | Record<string, unknown>[]>(buffer.subarray(start + 8, end).toString('utf8'));
          const batch = Array.isArray(decoded) ? decoded : [decoded];
          if (batch.some((record) => 'checkpoint' in record)) {
            found = true;
            rewritten.push(frame(encodeJson(batch.map((record) => ('checkpoint' in record ? { ...record, checkpoint: { hash: 'f'.repeat(64) } } : record)))));
          } else rewritten.push(buffer.subarray(start, end));
        }
        await fs.writeFile(path, Buffer.concat(rewritten));
      }
      assert.ok(found, 'the snapshot wrote a checkpoint record into the journal');
      await assert.rejects(startNode(image), (error: unknown) => {
        assert.ok(error instanceof CorruptJournalError, String(error));
        assert.match(error.message, /state hash/);
        return true;
      });
    } finally {
      await node.server.close();
    }
  });

  describe('restarts and odd data directories', () => {
    test('restarting twice in a row (graceful, then graceful again) keeps state, seq and epoch; nothing is replayed', async () => {
      const dir = join(await tempDir('twice'), 'data');
      let node = await startNode(dir);
      const a = await trader(node);
      for (let i = 0; i < 5; i++) expectOk(await restingBuy(a, `t${i}`), 'order');
      const hash = node.server.exchange.engine.stateHash();
      const cmdSeq = node.server.exchange.engine.cmdSeq;
      const epoch = node.server.exchange.epoch;
      const accountSeq = node.server.exchange.engine.account(a.accountId)!.seq;
      await node.server.close();
      for (let i = 0; i < 2; i++) {
        node = await startNode(dir);
        try {
          const r = node.server.recovery!;
          assert.equal(r.snapshotSeq, cmdSeq, `restart ${i + 1}: from the closing snapshot`);
          assert.equal(r.replayed, 0);
          assert.equal(r.torn, null);
          assert.equal(node.server.exchange.engine.stateHash(), hash);
          assert.equal(node.server.exchange.epoch, epoch);
          const rest = rebind(a, node.server.url);
          const balance = await rest.rest.get('/future/user/v1/balance/list');
          assert.equal(balance.body?.seq, accountSeq, 'REST snapshot seq continues');
          assert.equal(balance.body?.epoch, epoch);
        } finally {
          await node.server.close();
        }
      }
    });

    test('restarting twice in a row after a crash (two crash images in a row) replays the same journal to the same state', async () => {
      const dir = join(await tempDir('crash-twice'), 'data');
      const node = await startNode(dir);
      const a = await trader(node);
      for (let i = 0; i < 5; i++) expectOk(await restingBuy(a, `t${i}`), 'order');
      const hash = node.server.exchange.engine.stateHash();
      const image = await crashImage(dir);
      await node.server.close();
      for (let i = 0; i < 2; i++) {
        // Each restart "crashes" too: the next one starts from what this one left on disk.
        const again = await startNode(image);
        const report = again.server.recovery!;
        assert.equal(report.snapshotSeq, null);
        assert.equal(report.replayed, 7);
        assert.equal(again.server.exchange.engine.stateHash(), hash, `restart ${i + 1}`);
        assert.equal(report.newEpoch, false);
        // Stop without the closing snapshot, as a crash would.
        await abandon(again);
      }
    });

    test('an empty data directory and a missing (nested) one both start fresh and then keep their history', async () => {
      const root = await tempDir('fresh');
      const empty = join(root, 'empty');
      await fs.mkdir(empty);
      const missing = join(root, 'not', 'there', 'yet');
      for (const dir of [empty, missing]) {
        const node = await startNode(dir);
        const r = node.server.recovery!;
        assert.equal(r.cmdSeq, 0);
        assert.equal(r.newEpoch, true);
        assert.equal(r.torn, null);
        const a = await trader(node);
        expectOk(await restingBuy(a, 'x'), 'an order on a fresh directory');
        const hash = node.server.exchange.engine.stateHash();
        await node.server.close();
        const again = await startNode(dir);
        assert.equal(again.server.recovery!.newEpoch, false);
        assert.equal(again.server.recovery!.epoch, r.epoch);
        assert.equal(again.server.exchange.engine.stateHash(), hash);
        await again.server.close();
      }
    });

    test('an empty last segment (a crash right after rotation) and a leftover snapshot temp file are harmless', async () => {
      const dir = join(await tempDir('odd'), 'data');
      const node = await startNode(dir);
      const a = await trader(node);
      for (let i = 0; i < 3; i++) expectOk(await restingBuy(a, `o${i}`), 'order');
      const hash = node.server.exchange.engine.stateHash();
      const cmdSeq = node.server.exchange.engine.cmdSeq;
      const image = await crashImage(dir);
      await node.server.close();
      await fs.writeFile(join(image, 'journal', `journal-${String(cmdSeq + 1).padStart(16, '0')}.log`), '');
      await fs.writeFile(join(image, 'snapshots', `snapshot-${String(cmdSeq).padStart(16, '0')}.snap.tmp`), 'half a snapsh');
      const again = await startNode(image);
      try {
        assert.equal(again.server.recovery!.torn, null);
        assert.equal(again.server.exchange.engine.stateHash(), hash);
        const b = rebind(a, again.server.url);
        expectOk(await restingBuy(b, 'o-next'), 'an order into the empty segment');
        assert.equal(again.server.exchange.engine.cmdSeq, cmdSeq + 1);
      } finally {
        await again.server.close();
      }
      const third = await startNode(image);
      assert.equal(third.server.exchange.engine.cmdSeq, cmdSeq + 1);
      assert.deepEqual((await fs.readdir(join(image, 'snapshots'))).filter((n) => n.endsWith('.tmp')), [], 'the temp file was cleaned up by a snapshot');
      await third.server.close();
    });

    test('the journal read back equals the commands the live server acknowledged, and replays to the same state hash', async () => {
      const journal = await readJournalCopy(h.node.dataDir);
      assert.equal(journal.torn, null);
      assert.deepEqual(journal.records.map((r) => r.seq), Array.from({ length: h.cmdSeq }, (_, i) => i + 1));
      const reference = referenceOf(journal.records);
      assert.equal(reference.engine.stateHash(), h.hashes.get(h.cmdSeq));
    });
  });
});

