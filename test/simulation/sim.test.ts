/**
 * The whole-service simulation in CI (simulator.ts; docs/testing.md, "Whole-service simulation"):
 * a fixed set of seeds must pass, the same seed must reproduce the same run exactly, and planted
 * bugs — a stream that loses one acknowledged event, a disk whose fsync lies — must be caught, with
 * the seed and step printed. `npm run sim -- --seeds K` runs longer sweeps.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFailure, summarize } from './report.js';
import { simulate, type SimResult } from './simulator.js';

/** Seeds and length run in CI (about 20 s here); each exercises crashes, disk faults and resumes. */
const CI_SEEDS = [2, 3, 4, 5, 6, 7];
const CI_STEPS = 200;

describe('whole-service simulation', { timeout: 120_000 }, () => {
  test(`seeds ${CI_SEEDS.join(', ')} × ${CI_STEPS} steps pass every check`, async () => {
    const started = performance.now();
    const results: SimResult[] = [];
    for (const seed of CI_SEEDS) results.push(await simulate({ seed, steps: CI_STEPS }));
    const summary = summarize(results, CI_STEPS, performance.now() - started);
    console.log(summary);
    for (const result of results) assert.ok(result.failure === null, result.failure === null ? '' : describeFailure(result, CI_STEPS));
    // The run is worth something only if the faults happened.
    const total = (kind: RegExp) => results.reduce((n, r) => n + [...r.counts].filter(([k]) => kind.test(k)).reduce((m, [, c]) => m + c, 0), 0);
    assert.ok(total(/^crash (with|mid|during)/) > 0, `no crash happened:\n${summary}`);
    assert.ok(total(/^disk: /) > 0, `no disk fault happened:\n${summary}`);
    assert.ok(total(/^resume from the journal$/) > 0, `no resume reached the journal:\n${summary}`);
    assert.ok(total(/^resume served$/) > 0, `no resume was served:\n${summary}`);
    for (const dialect of ['xt', 'binance', 'bybit', 'kucoin']) {
      assert.ok(results.some((r) => (r.frames.get(dialect) ?? 0) > 0), `no ${dialect} frame was encoded`);
    }
  });

  test('the same seed reproduces the same run exactly', async () => {
    const first = await simulate({ seed: 9, steps: 120, profile: { crash: 0.08, diskFaultRate: 0.03 } });
    const second = await simulate({ seed: 9, steps: 120, profile: { crash: 0.08, diskFaultRate: 0.03 } });
    assert.ok(first.failure === null, first.failure === null ? '' : describeFailure(first, 120));
    assert.deepEqual([...second.counts].sort(), [...first.counts].sort(), 'the same faults, resumes and restarts');
    assert.equal(second.commands, first.commands);
    assert.deepEqual([...second.frames].sort(), [...first.frames].sort());
  });

  test('a planted bug: the stream loses one acknowledged event — caught, with the seed and step', async () => {
    const result = await simulate({ seed: 2, steps: 200, bugs: { dropEvent: true } });
    assert.ok(result.failure !== null, 'the simulator must notice the lost event');
    assert.match(result.failure.message, /never arrived/);
    const again = await simulate({ seed: 2, steps: 200, bugs: { dropEvent: true } });
    assert.deepEqual(again.failure, result.failure, 'the failure reproduces at the same step with the same message');
    assert.match(describeFailure(result, 200), /seed 2, step \d+: .*\n {2}reproduce: npm run sim -- --seed 2 --steps 200/);
  });

  test('a planted bug: fsync reports success without persisting — the crash loses acknowledged commands, caught', async () => {
    const result = await simulate({ seed: 3, steps: 200, bugs: { lyingFsync: true }, profile: { crash: 0.2, restart: 0 } });
    assert.ok(result.failure !== null, 'the simulator must notice the lost commands');
    assert.match(result.failure.message, /acknowledged/);
  });
});
