/**
 * The event bus: per-event listeners in publication order, and per-command listeners that get one
 * account's share of a command's events in one call (none for a command that did not touch it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from '../../src/engine/types.js';
import { EventBus } from '../../src/service/event-bus.js';

const event = (accountId: number, seq: number, cmdSeq: number): EngineEvent => ({
  type: 'config', accountId, seq, cmdSeq, time: 0, reason: 'LEVERAGE_CHANGE', symbol: null, leverage: null, marginMode: null, positionMode: 'HEDGE',
});

test('a command listener gets its account\'s events of each command together, in order', () => {
  const bus = new EventBus();
  const commands: number[][] = [];
  const single: number[] = [];
  const stop = bus.subscribeCommands(1, (events) => commands.push(events.map((e) => e.seq)));
  bus.subscribe(1, (e) => single.push(e.seq));
  bus.publish([event(1, 1, 10), event(2, 1, 10), event(1, 2, 10)]);
  bus.publish([event(2, 2, 11)]);
  bus.publish([event(1, 3, 12)]);
  assert.deepEqual(commands, [[1, 2], [3]]);
  assert.deepEqual(single, [1, 2, 3]);
  stop();
  bus.publish([event(1, 4, 13)]);
  assert.deepEqual(commands, [[1, 2], [3]], 'nothing after unsubscribing');
});
