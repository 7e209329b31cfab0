/**
 * A gateway's read loop against real Redis, with entries written by the test and the engine's
 * internal API stood in for (history and market state on demand): account events reach the
 * streams once each and in seq order — a duplicate entry is dropped, a gap is filled from the
 * engine before anything after it — the book and market state follow the market stream and are
 * taken afresh on a book update id that skips, and a resume can wait for an account's events.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import type { Depth } from '../../src/engine/engine.js';
import type { BookUpdateEvent, EngineEvent } from '../../src/engine/types.js';
import { encodeBinary } from '../../src/persistence/binary-codec.js';
import type { Bootstrap, MarketBootstrap } from '../../src/scaleout/bootstrap.js';
import { Consumer } from '../../src/scaleout/consumer.js';
import { CredentialMirror } from '../../src/scaleout/credential-share.js';
import type { HistoryRequest } from '../../src/scaleout/internal-api.js';
import { layoutOf } from '../../src/scaleout/layout.js';
import { closeRedis, createRedis, type Redis } from '../../src/scaleout/redis.js';
import { Replica } from '../../src/scaleout/replica.js';
import type { ReplayResult } from '../../src/service/event-log.js';
import { withTimeout } from '../support/timeout.js';
import { dropPrefix, redisCommand, testRedisUrl, uniquePrefix } from './redis.js';

const prefix = uniquePrefix('consumer');
const layout = layoutOf(prefix);
const clients: Redis[] = [];
let consumer: Consumer | null = null;
after(async () => {
  await consumer?.stop();
  for (const client of clients) closeRedis(client);
  await dropPrefix(await testRedisUrl(), prefix);
});

const balance = (accountId: number, seq: number, cmdSeq: number): EngineEvent => ({
  type: 'balance', accountId, seq, cmdSeq, time: 1_700_000_000_000 + cmdSeq, reason: 'DEPOSIT',
  balance: { asset: 'USDT', walletBalance: BigInt(seq) * 100_000_000n },
} as unknown as EngineEvent);

const book = (updateId: number, cmdSeq: number, bids: [number, number][]): BookUpdateEvent =>
  ({ type: 'book', symbol: 'btc_usdt', updateId, time: 1_700_000_000_000 + cmdSeq, bids, asks: [] });

const emptyDepth: Depth = { updateId: 0, bids: [], asks: [] };

test('duplicates dropped, gaps filled from the engine first, book and market state followed and resynchronised, resumes wait for events', async () => {
  const url = await testRedisUrl();
  const connect = async (): Promise<Redis> => {
    const client = createRedis({ url, name: 'test', log: () => undefined });
    clients.push(client);
    await client.connect();
    return client;
  };
  const boot: Bootstrap = {
    epoch: 'e1', shards: 2, cmdSeq: 0, symbols: [BTC_USDT], accounts: [[1, 0], [2, 0]], conditionals: [],
    market: [], depth: { btc_usdt: emptyDepth }, prices: {},
  };
  const replica = new Replica(boot, 1_000);
  const asked: HistoryRequest[] = [];
  const resync: MarketBootstrap = { cmdSeq: 10, market: [], depth: { btc_usdt: { updateId: 5, bids: [[99, 7]], asks: [] } }, prices: {} };
  const engine = {
    // The engine's history: account 1's events 5 and 6 (which Redis lacks).
    history: async (request: HistoryRequest): Promise<ReplayResult> => {
      asked.push(request);
      return { recovered: true, events: [balance(1, 5, 4), balance(1, 6, 5)] };
    },
    market: async (): Promise<MarketBootstrap> => resync,
  };
  const delivered: number[] = [];
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  replica.events.subscribe(1, (event) => {
    delivered.push(event.seq);
    wake();
  });
  replica.state.market.subscribe(() => wake());
  const until = (condition: () => boolean, what: string): Promise<void> => withTimeout((async () => {
    while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
  })(), 5_000, what);

  consumer = new Consumer({
    reader: await connect(), client: await connect(), layout, shards: 2, replica, credentials: new CredentialMirror(layout), engine, log: () => undefined, maxHeldEvents: 100,
  });
  await consumer.start();

  // A resume waiting for account 2's seq 1 (it saw it on another gateway).
  const waited = consumer.awaitSeq(2, 1, new AbortController().signal);
  const abort = new AbortController();
  const abandoned = consumer.awaitSeq(2, 99, abort.signal);

  const xadd = (key: string, cmdSeq: number, field: string, value: unknown): Promise<unknown> =>
    redisCommand(url, ['XADD', key, `${cmdSeq}-0`, field, encodeBinary(value), 't', String(Date.now())]);
  // Account 1 is in shard 1: seqs 1…3, then 3 again with 4 (a duplicate entry), then 7, 8 (5 and 6 missing), then 9.
  await xadd(layout.events(1), 1, 'b', [balance(1, 1, 1), balance(1, 2, 1)]);
  await xadd(layout.events(1), 2, 'b', [balance(1, 3, 2)]);
  await xadd(layout.events(1), 3, 'b', [balance(1, 3, 2), balance(1, 4, 3)]);
  await xadd(layout.events(1), 6, 'b', [balance(1, 7, 6), balance(1, 8, 6)]);
  await xadd(layout.events(1), 7, 'b', [balance(1, 9, 7)]);
  await until(() => delivered.length >= 9, 'account 1\'s nine events');
  assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(asked, [{ accountId: 1, afterSeq: 4, throughSeq: 6, maxEvents: 100 }], 'the missing events asked of the engine');
  assert.equal(replica.engine.account(1)?.seq, 9);
  // The window has them all, in order, for resumes.
  const window = replica.eventLog.since(1, 0, 9);
  assert.ok(window.recovered);
  assert.deepEqual(window.events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9]);

  // Account 2 (shard 0): the waiting resume is answered when its event arrives; the abandoned one is not.
  await xadd(layout.events(0), 8, 'b', [balance(2, 1, 8)]);
  assert.equal(await waited, true);
  abort.abort();
  assert.equal(await abandoned, false);

  // The market stream: a book update, then one whose id skips (the state is taken afresh), then the next.
  await xadd(layout.market, 1, 'b', [[1, [book(1, 1, [[100, 5]])], []]]);
  await until(() => replica.engine.depth('btc_usdt', 10)!.updateId === 1, 'the first book update');
  assert.deepEqual(replica.engine.depth('btc_usdt', 10)!.bids, [[100, 5]]);
  await xadd(layout.market, 9, 'b', [[9, [book(3, 9, [[101, 1]])], []]]);
  await xadd(layout.market, 11, 'b', [[11, [book(6, 11, [[98, 2], [99, 0]])], []]]);
  await until(() => replica.engine.depth('btc_usdt', 10)!.updateId === 6, 'the book after the resynchronisation');
  assert.deepEqual(replica.engine.depth('btc_usdt', 10)!.bids, [[98, 2]], 'the engine\'s book (99×7), then update 6 (99 gone, 98×2)');
  assert.equal(replica.marketCmdSeq, 11);
});
