/**
 * Determinism: the engine is a pure function of its command stream. The same generated commands
 * applied to two fresh engines give the same events and the same state hash (checked every 100
 * commands and at the end); an engine restored from a snapshot taken mid-stream continues with
 * exactly the same events as the one that never stopped (what crash recovery relies on: the
 * journal replayed after a snapshot must produce the very events, and seqs, clients were sent);
 * a different stream ends in a different hash.
 *
 * Uses the same seeds and lengths as the reference property test (PERPSTREAM_PROPERTY_SEED,
 * PERPSTREAM_PROPERTY_SEEDS, PERPSTREAM_PROPERTY_COMMANDS), capped at 5 seeds by default since
 * every seed runs two engines; and the same for the inverse-and-delivery streams of kinds.test.ts
 * (capped at 3 seeds: seeds 1 and 3 cross the delivery time and settle both quarterlies, seed 2 does
 * not), whose snapshots are taken every 250 commands, so on both sides of the delivery.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import type { Command } from '../../src/engine/types.js';
import { generateCommands, type Scenario } from './generator.js';
import { describeDifference, firstDifference, fmt } from './support.js';

const HASH_EVERY = 100;

function seeds(cap = 5): number[] {
  const single = process.env.PERPSTREAM_PROPERTY_SEED;
  if (single !== undefined && single !== '') return [Number(single)];
  const count = Math.min(cap, Number(process.env.PERPSTREAM_PROPERTY_SEEDS ?? cap));
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** The linear streams, then the inverse-and-delivery ones. */
const streams = [
  ...seeds().map((seed) => ({ seed, kinds: false, name: `seed ${seed}` })),
  ...seeds(2).map((seed) => ({ seed, kinds: true, name: `inverse and delivery seed ${seed}` })),
];

const count = Number(process.env.PERPSTREAM_PROPERTY_COMMANDS ?? 2000);

function freshEngine(scenario: Scenario): Engine {
  return new Engine({ symbols: [...scenario.symbols], ...scenario.engineOptions });
}

/** Runs `commands` on a fresh engine; returns the hashes taken every HASH_EVERY commands and at the end. */
function hashesOf(scenario: Scenario, commands: readonly Command[]): string[] {
  const engine = freshEngine(scenario);
  const hashes: string[] = [];
  commands.forEach((cmd, i) => {
    engine.apply(cmd);
    if ((i + 1) % HASH_EVERY === 0) hashes.push(engine.stateHash());
  });
  hashes.push(engine.stateHash());
  return hashes;
}

for (const { seed, kinds, name } of streams) {
  test(`replay is deterministic: ${name}, ${count} commands`, () => {
    const { scenario, commands } = generateCommands(seed, count, kinds);
    const first = freshEngine(scenario);
    const second = freshEngine(scenario);
    commands.forEach((cmd, i) => {
      const where = `${name} (PERPSTREAM_PROPERTY_SEED=${seed}), command #${i}: ${fmt(cmd)}`;
      const a = first.apply(cmd);
      const b = second.apply(cmd);
      const d = firstDifference(a, b, '$applied');
      if (d) assert.fail(`${where}\nthe two engines disagree:\n${describeDifference(d, a, b)}`);
      if ((i + 1) % HASH_EVERY === 0 || i === commands.length - 1) {
        assert.equal(first.stateHash(), second.stateHash(), `${where}: state hashes differ`);
        assert.match(first.stateHash(), /^[0-9a-f]+$/, `${where}: stateHash() is not hex`);
      }
    });
  });
}

for (const { seed, kinds, name } of streams) {
  test(`restored from a snapshot every 250 commands, the engine continues with the same events: ${name}`, () => {
    const { scenario, commands } = generateCommands(seed, count, kinds);
    const original = freshEngine(scenario);
    let restored: Engine | null = null;
    commands.forEach((cmd, i) => {
      if (i > 0 && i % 250 === 0) restored = Engine.restore({ symbols: [...scenario.symbols], ...scenario.engineOptions }, original.snapshot());
      const a = original.apply(cmd);
      if (restored === null) return;
      const b = restored.apply(cmd);
      const d = firstDifference(a, b, '$applied');
      if (d) assert.fail(`${name}, command #${i} (restored at #${i - (i % 250)}): ${fmt(cmd)}\n${describeDifference(d, a, b)}`);
    });
    assert.equal(restored!.stateHash(), original.stateHash());
    // A snapshot taken at the end restores to the same hash too (after the delivery, in crossing streams).
    assert.equal(Engine.restore({ symbols: [...scenario.symbols], ...scenario.engineOptions }, original.snapshot()).stateHash(), original.stateHash());
  });
}

test('a different command stream ends in a different state hash', () => {
  const seed = seeds()[0]!;
  const { scenario, commands } = generateCommands(seed, count);
  const base = hashesOf(scenario, commands);
  // Same stream with one extra deposit at the end: only the last hash may change, and it must.
  const lastTime = commands[commands.length - 1]!.time;
  const extra: Command = { type: 'deposit', time: lastTime + 1, accountId: 3, asset: 'USDT', amount: 1n };
  const changed = hashesOf(scenario, [...commands, extra]);
  assert.deepEqual(changed.slice(0, -1), base.slice(0, -1), `seed ${seed}: a common prefix must hash the same`);
  assert.notEqual(changed[changed.length - 1], base[base.length - 1], `seed ${seed}: one more deposit must change the hash`);
  // An entirely different stream (another seed) ends elsewhere too.
  const other = generateCommands(seed + 1000, count);
  const otherHashes = hashesOf(other.scenario, other.commands);
  assert.notEqual(otherHashes[otherHashes.length - 1], base[base.length - 1], `seeds ${seed} and ${seed + 1000}: final hashes must differ`);
});
