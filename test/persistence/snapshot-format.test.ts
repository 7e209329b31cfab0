/**
 * Snapshot files: the binary format (3) round-trips a real engine's state and service sections,
 * the JSON format of earlier releases (2) is still read to the same data, and any other format is
 * refused with a message that names it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { encodeJson } from '../../src/persistence/codec.js';
import { realFileOps } from '../../src/persistence/file-ops.js';
import { frame } from '../../src/persistence/frames.js';
import { readSnapshot, SNAPSHOT_FORMAT, writeSnapshot, type SnapshotData } from '../../src/persistence/snapshots.js';
import { promises as fs } from 'node:fs';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'perpstream-snapfmt-'));
  dirs.push(dir);
  return dir;
}

function sampleData(): SnapshotData {
  const engine = new Engine({ symbols: DEMO_SYMBOLS });
  let time = 1_000;
  const run = (command: Record<string, unknown>) => engine.apply({ ...command, time: (time += 7) } as never);
  run({ type: 'setMarkPrice', symbol: 'btc_usdt', price: 600_000 });
  for (let i = 0; i < 4; i++) {
    run({ type: 'createAccount' });
    run({ type: 'deposit', accountId: i + 1, asset: 'USDT', amount: 10n ** 18n + BigInt(i) });
  }
  run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: 'LONG', orderType: 'LIMIT', timeInForce: 'GTC', price: 599_000, qty: 5, reduceOnly: false, clientOrderId: 'ü-1' });
  run({ type: 'placeOrder', accountId: 2, symbol: 'btc_usdt', side: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', timeInForce: 'GTC', price: 599_000, qty: 2, reduceOnly: false });
  return {
    cmdSeq: engine.cmdSeq, hash: engine.stateHash(), takenAt: 123, engine: engine.snapshot(),
    service: { history: [['trade', { price: 1, amount: 2n ** 60n }]], 'event-log': [], ledger: [{ amount: -(2n ** 53n) - 1n, balanceAfter: 2n ** 53n }] },
  };
}

test('format 3 (binary) round-trips; the restored engine has the recorded state hash', async () => {
  const dir = await tempDir();
  const data = sampleData();
  const { name } = await writeSnapshot(realFileOps, dir, data);
  const back = await readSnapshot(realFileOps, dir, name);
  assert.deepEqual(back, data);
  assert.equal(Engine.restore({ symbols: DEMO_SYMBOLS }, back.engine).stateHash(), data.hash);
  const bytes = await fs.readFile(join(dir, name));
  const header = JSON.parse(bytes.subarray(8, 8 + bytes.readUInt32LE(0)).toString('utf8')) as { format: number };
  assert.equal(header.format, SNAPSHOT_FORMAT);
});

test('format 2 (JSON, earlier releases) is still read, to the same data', async () => {
  const dir = await tempDir();
  const data = sampleData();
  const { name } = await writeSnapshot(realFileOps, dir, data, 2);
  const back = await readSnapshot(realFileOps, dir, name);
  assert.equal(back.hash, data.hash);
  assert.equal(Engine.restore({ symbols: DEMO_SYMBOLS }, back.engine).stateHash(), data.hash);
  assert.deepEqual(back.service, data.service);
  assert.equal((back.service.ledger![0] as { amount: bigint }).amount, -(2n ** 53n) - 1n);
});

test('an unknown format is refused with a message naming it', async () => {
  const dir = await tempDir();
  const name = 'snapshot-0000000000000007.snap';
  await fs.writeFile(join(dir, name), frame(encodeJson({ format: 9, cmdSeq: 7, hash: 'x', takenAt: 0, sections: [] })));
  await assert.rejects(readSnapshot(realFileOps, dir, name), /format 9; this release reads formats 2 \(JSON\) and 3 \(binary\)/);
});
