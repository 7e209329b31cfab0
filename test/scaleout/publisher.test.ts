/**
 * The engine's publisher against real Redis: every account event lands in its account's shard
 * stream once, in seq order, with entry ids that are command seqs; and a restart after a crash at
 * any point — some streams written, others not, the restart point not recorded — publishes each
 * event once: the rest from what the restarted engine replays (its journal), older account events
 * from its replay window, and, when public events were lost, a market reset for the gateways.
 * The "restarted engine" is a second exchange fed the same commands, which the deterministic engine
 * turns into the same events (a recovery's journal replay).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { parseAmount } from '../../src/engine/fixed.js';
import type { Command, EngineEvent } from '../../src/engine/types.js';
import { encodeBinary } from '../../src/persistence/binary-codec.js';
import { layoutOf } from '../../src/scaleout/layout.js';
import { Publisher, type MarketRecord } from '../../src/scaleout/publisher.js';
import { closeRedis, createRedis, type Redis } from '../../src/scaleout/redis.js';
import { Exchange, type CommandInput } from '../../src/service/exchange.js';
import { dropPrefix, redisCommand, streamEntries, testRedisUrl, uniquePrefix } from './redis.js';

const prefixes: string[] = [];
const clients: Redis[] = [];
after(async () => {
  for (const client of clients) closeRedis(client);
  const url = await testRedisUrl();
  for (const prefix of prefixes) await dropPrefix(url, prefix);
});

const SHARDS = 3;
let clock = 1_700_000_000_000;

async function connect(): Promise<Redis> {
  const client = createRedis({ url: await testRedisUrl(), name: 'test', log: () => undefined });
  clients.push(client);
  await client.connect();
  return client;
}

/** An in-memory exchange whose every applied command (with its time) is recorded, and its publisher. */
function publishing(prefix: string, commands?: Command[]): { exchange: Exchange; publisher: Publisher; commands: Command[] } {
  const exchange = new Exchange({ symbols: DEMO_SYMBOLS, clock: { now: () => clock }, service: { replayWindow: 10_000 } });
  const publisher = new Publisher({ layout: layoutOf(prefix), shards: SHARDS, maxLen: 100_000, log: () => undefined, maxBatch: 7 });
  const seen = commands ?? [];
  if (commands === undefined) exchange.appliedTaps.add((_applied, command) => seen.push(command));
  publisher.observe(exchange);
  return { exchange, publisher, commands: seen };
}

const run = (exchange: Exchange, input: CommandInput): void => {
  clock += 1;
  exchange.executeNow(input);
};

/** Funded accounts and a mark. */
function setup(exchange: Exchange, accounts: number): void {
  run(exchange, { type: 'setMarkPrice', symbol: 'btc_usdt', price: 600_000 });
  for (let i = 0; i < accounts; i++) {
    run(exchange, { type: 'createAccount' });
    run(exchange, { type: 'deposit', accountId: i + 1, asset: 'USDT', amount: parseAmount('100000') });
  }
}

/** Accounts trading with each other: orders, trades, positions, balances, public trades and book updates. */
function rounds(exchange: Exchange, accounts: number, from: number, count: number): void {
  for (let round = from; round < from + count; round++) {
    for (let id = 1; id <= accounts; id++) {
      const buy = (id + round) % 2 === 0;
      run(exchange, {
        type: 'placeOrder', accountId: id, symbol: 'btc_usdt', side: buy ? 'BUY' : 'SELL', positionSide: 'BOTH',
        orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000 + (buy ? 5 : -5) - round, qty: 1 + (id % 3), reduceOnly: false,
      });
    }
  }
}

function trade(exchange: Exchange, accounts: number): void {
  setup(exchange, accounts);
  rounds(exchange, accounts, 0, 4);
}

interface Published {
  /** Each account's seqs, in stream order. */
  seqs: Map<number, number[]>;
  entries: number;
  /** Every market record's command, in stream order, and the reset entries. */
  marketCommands: number[];
  resets: number;
}

async function read(prefix: string): Promise<Published> {
  const url = await testRedisUrl();
  const layout = layoutOf(prefix);
  const seqs = new Map<number, number[]>();
  let entries = 0;
  for (let shard = 0; shard < SHARDS; shard++) {
    const raw = await streamEntries<EngineEvent[]>(url, layout.events(shard));
    entries += raw.length;
    for (const { id, payload: events } of raw) {
      assert.equal(id, `${events!.at(-1)!.cmdSeq}-0`, 'an entry\'s id is its last command');
      for (const event of events!) {
        assert.equal(event.accountId % SHARDS, shard, 'an account\'s events are in its shard');
        seqs.set(event.accountId, [...(seqs.get(event.accountId) ?? []), event.seq]);
      }
    }
  }
  const market = await streamEntries<MarketRecord[]>(url, layout.market);
  const marketCommands: number[] = [];
  let resets = 0;
  for (const { payload, fields } of market) {
    if (fields.includes('reset')) {
      resets += 1;
      continue;
    }
    for (const [cmdSeq] of payload!) marketCommands.push(cmdSeq);
  }
  return { seqs, entries: entries + market.length, marketCommands, resets };
}

/** Every account's seqs are exactly 1…its last, once each; market commands strictly increase. */
function assertOnce(published: Published, exchange: Exchange, accounts: number): void {
  for (let id = 1; id <= accounts; id++) {
    const last = exchange.engine.account(id)!.seq;
    assert.deepEqual(published.seqs.get(id), Array.from({ length: last }, (_, i) => i + 1), `account ${id}`);
  }
  for (let i = 1; i < published.marketCommands.length; i++) assert.ok(published.marketCommands[i]! > published.marketCommands[i - 1]!, 'market records in command order, once each');
}

test('every event in its shard once, in seq order; entry ids are command seqs; public events and prices in the market stream', async () => {
  const prefix = uniquePrefix('pub');
  prefixes.push(prefix);
  const { exchange, publisher } = publishing(prefix);
  await publisher.start(await connect());
  trade(exchange, 5);
  assert.ok(await publisher.whenPublished(exchange.engine.cmdSeq, 5_000));
  const published = await read(prefix);
  assertOnce(published, exchange, 5);
  assert.ok([...published.seqs.values()].every((seqs) => seqs.length > 6), 'orders, trades, positions and balances published');
  assert.ok(published.marketCommands.length > 10, 'public events published');
  assert.equal(await redisCommand(await testRedisUrl(), ['GET', layoutOf(prefix).epoch]), exchange.epoch);
  assert.equal(publisher.lag, 0);
});

test('a restart after a crash mid-publish (streams partly written, restart point not recorded) publishes each event once', async () => {
  const prefix = uniquePrefix('crash');
  prefixes.push(prefix);
  const url = await testRedisUrl();
  const layout = layoutOf(prefix);
  const first = publishing(prefix);
  await first.publisher.start(await connect());
  setup(first.exchange, 6);
  rounds(first.exchange, 6, 0, 2);
  // Published so far; then the engine goes on, and crashes having written only shard 1's next
  // entry (not the other shards', not the market's, not the restart point).
  await first.publisher.stop(5_000);
  const published = first.exchange.engine.cmdSeq;
  const unpublished: EngineEvent[] = [];
  first.exchange.events.subscribeAll((event) => unpublished.push(event));
  rounds(first.exchange, 6, 2, 3);
  const shardOne = unpublished.filter((e) => e.accountId % SHARDS === 1);
  await redisCommand(url, ['XADD', layout.events(1), `${shardOne.at(-1)!.cmdSeq}-0`, 'b', encodeBinary(shardOne), 't', '0']);
  assert.ok(first.exchange.engine.cmdSeq > published);
  const before = await read(prefix);

  // The restart: recovery replays the journal (here: the same commands) into a new exchange that
  // the new publisher watches from the start, then publishing starts.
  const second = publishing(prefix, first.commands);
  second.exchange.epoch = first.exchange.epoch;
  for (const [i, command] of first.commands.entries()) second.exchange.replay(i + 1, command);
  await second.publisher.start(await connect());
  assert.ok(await second.publisher.whenPublished(second.exchange.engine.cmdSeq, 5_000));
  const after = await read(prefix);
  assertOnce(after, second.exchange, 6);
  assert.ok(after.entries > before.entries, 'what was missing was published again');
  assert.equal(after.resets, 0, 'the restarted engine saw every command again: no market reset');

  // And a further restart with nothing missing writes nothing.
  const third = publishing(prefix, first.commands);
  third.exchange.epoch = first.exchange.epoch;
  for (const [i, command] of first.commands.entries()) third.exchange.replay(i + 1, command);
  await third.publisher.start(await connect());
  assert.ok(await third.publisher.whenPublished(third.exchange.engine.cmdSeq, 5_000));
  assert.equal((await read(prefix)).entries, after.entries);
});

test('a restart from a snapshot newer than Redis: account events come from the replay window, public ones as a market reset', async () => {
  const prefix = uniquePrefix('window');
  prefixes.push(prefix);
  const url = await testRedisUrl();
  const layout = layoutOf(prefix);
  const first = publishing(prefix);
  await first.publisher.start(await connect());
  trade(first.exchange, 4);
  assert.ok(await first.publisher.whenPublished(first.exchange.engine.cmdSeq, 5_000));
  // Redis lost everything after command 10 (it restarted from an old dump, say, while the engine
  // went on and snapshotted): each stream as it stood then, and no restart point.
  for (const key of [...Array.from({ length: SHARDS }, (_, s) => layout.events(s)), layout.market]) {
    const kept = await redisCommand<[Buffer, Buffer[]][]>(url, ['XRANGE', key, '-', '10'], true);
    await redisCommand(url, ['DEL', key]);
    for (const [id, fields] of kept) await redisCommand(url, ['XADD', key, id.toString('latin1'), ...fields]);
  }
  await redisCommand(url, ['DEL', layout.published]);

  // The restarted engine starts from a snapshot at the last command: nothing is replayed, the
  // window (restored with the snapshot) holds the account events.
  const second = publishing(prefix, []);
  second.exchange.epoch = first.exchange.epoch;
  for (const [i, command] of first.commands.entries()) second.exchange.replay(i + 1, command);
  const restarted = new Publisher({ layout, shards: SHARDS, maxLen: 100_000, log: () => undefined });
  restarted.observe(second.exchange);
  await restarted.start(await connect());
  assert.ok(await restarted.whenPublished(second.exchange.engine.cmdSeq, 5_000));
  const after = await read(prefix);
  assertOnce(after, second.exchange, 4);
  assert.equal(after.resets, 1, 'the gateways are told to take the market state afresh');
});
