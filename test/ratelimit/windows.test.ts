/** The fixed windows and bans every rate-limit policy counts with (src/ratelimit/windows.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bans, WindowCounter } from '../../src/ratelimit/windows.js';

describe('WindowCounter', () => {
  test('windows start at whole multiples of their length and reset there', () => {
    const counter = new WindowCounter(1000, 3);
    assert.deepEqual(counter.add('a', 2, 5_500), { used: 2, resetAt: 6_000 });
    assert.equal(counter.fits('a', 1, 5_999), true);
    assert.equal(counter.fits('a', 2, 5_999), false);
    assert.deepEqual(counter.peek('a', 6_000), { used: 0, resetAt: 7_000 });
    assert.deepEqual(counter.add('a', 1, 6_000), { used: 1, resetAt: 7_000 });
    assert.deepEqual(counter.peek('b', 6_000).used, 0, 'keys count apart');
  });

  test('past maxKeys, ended windows are dropped first, then new keys share one overflow count', () => {
    const counter = new WindowCounter(1000, 10, 2);
    counter.add('a', 1, 0);
    counter.add('b', 1, 0);
    counter.add('c', 1, 1_000);
    assert.equal(counter.peek('c', 1_000).used, 1, 'a and b had ended: c got a slot');
    counter.add('d', 1, 1_000);
    counter.add('e', 4, 1_000);
    counter.add('f', 5, 1_000);
    assert.equal(counter.peek('e', 1_000).used, 9, 'no slot for e: e and f are counted together');
    assert.equal(counter.fits('g', 1, 1_000), true);
    assert.equal(counter.fits('g', 2, 1_000), false, 'a new key is judged by the shared count');
    assert.equal(counter.peek('c', 1_000).used, 1, 'keys with a slot keep their own');
  });
});

describe('Bans', () => {
  test('a ban doubles on each repeat up to its maximum, and starts over after a quiet day', () => {
    const bans = new Bans(120_000, 400_000);
    assert.equal(bans.bannedUntil('ip', 0), null);
    assert.equal(bans.ban('ip', 0), 120_000);
    assert.equal(bans.bannedUntil('ip', 119_999), 120_000);
    assert.equal(bans.bannedUntil('ip', 120_000), null);
    assert.equal(bans.ban('ip', 200_000), 200_000 + 240_000);
    assert.equal(bans.ban('ip', 500_000), 500_000 + 400_000, 'capped');
    const day = 24 * 60 * 60 * 1000;
    assert.equal(bans.ban('ip', 900_000 + day), 900_000 + day + 120_000, 'a day after the last ban ended: the first length again');
  });
});
