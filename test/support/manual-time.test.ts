/**
 * The hand-moved time the timing tests stand on (manual-time.ts): timers fire in due order with the
 * clock at their due time, intervals repeat, cleared ones never fire, and what a timer starts has
 * happened before the next one is due.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemTimers } from '../../src/gateway/timers.js';
import { ManualTime } from './manual-time.js';

describe('ManualTime', () => {
  it('fires due timers in due order (ties: the order they were set), each at its due time; nothing before', async () => {
    const time = new ManualTime(1_000);
    const fired: string[] = [];
    time.setTimeout(() => fired.push(`b@${time.now()}`), 20);
    time.setTimeout(() => fired.push(`a@${time.now()}`), 10);
    time.setTimeout(() => fired.push(`c@${time.now()}`), 20);
    await time.advance(9);
    assert.deepEqual(fired, []);
    await time.advance(11);
    assert.deepEqual(fired, ['a@1010', 'b@1020', 'c@1020']);
    assert.equal(time.now(), 1_020);
    assert.equal(time.waiting, 0);
  });

  it('repeats intervals, never fires a cleared timer, and runs a delay under 1 ms after 1 ms (as Node does)', async () => {
    const time = new ManualTime(0);
    const ticks: number[] = [];
    const interval = time.setInterval(() => ticks.push(time.now()), 100);
    const cleared = time.setTimeout(() => ticks.push(-1), 50);
    time.clear(cleared);
    time.setTimeout(() => ticks.push(time.now()), 0);
    await time.advance(350);
    assert.deepEqual(ticks, [1, 100, 200, 300]);
    time.clear(interval);
    await time.advance(1_000);
    assert.deepEqual(ticks, [1, 100, 200, 300]);
  });

  it('lets what a timer started settle before the next one is due (a timer re-armed when its promise settles)', async () => {
    const time = new ManualTime(0);
    const runs: number[] = [];
    const tick = (): void => {
      time.setTimeout(() => {
        void Promise.resolve().then(() => runs.push(time.now())).finally(tick);
      }, 20);
    };
    tick();
    await time.advance(100);
    assert.deepEqual(runs, [20, 40, 60, 80, 100]);
  });

  it('systemTimers are Node\'s: a timeout fires, a cleared one does not', async () => {
    let fired = 0;
    const cleared = systemTimers.setTimeout(() => { fired -= 1; }, 1);
    systemTimers.clear(cleared);
    await new Promise<void>((resolve) => systemTimers.setTimeout(() => { fired += 1; resolve(); }, 1));
    assert.equal(fired, 1);
    systemTimers.clear(undefined);
    systemTimers.clear(null);
  });
});
