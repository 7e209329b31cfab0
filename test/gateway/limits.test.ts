/**
 * The gateway's bounds, each against a real server and real sockets: a slow reader is closed with
 * 4008 while others keep receiving, oversized and too many inbound frames close the connection,
 * connections per account are capped, silent connections are closed, expired listenKeys are told.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseAmount } from '../../src/engine/fixed.js';
import { CloseCode } from '../../src/gateway/limits.js';
import { listeners, nextTurn } from '../support/barriers.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import { StreamClient } from '../support/xt-client.js';

describe('gateway limits', () => {
  let harness: Harness;
  // The idle cut-off runs on time the tests move by hand: nothing idles out unless a test steps over it.
  const time = new ManualTime();
  before(async () => {
    harness = await Harness.start({
      limits: { maxQueueBytes: 256 * 1024, maxInboundFrameBytes: 4 * 1024, inboundPerSecond: 5, inboundBurst: 10, maxConnectionsPerAccount: 2 },
      xtIdleMs: 400,
      clock: time,
      timers: time,
    });
  });
  after(() => harness.stop());

  test('a client that stops reading is closed with 4008; another account keeps receiving every push', async () => {
    // Its own server with a long idle deadline: a paused reader sends no pings, and on a loaded
    // machine the pushes below can take longer than the suite's 400 ms idle bound to fill the queue.
    const own = await Harness.start({ limits: { maxQueueBytes: 256 * 1024 }, xtIdleMs: 60_000 });
    try {
      const slow = await own.account('1');
      const healthy = await own.account('1');
      // Stop reading at the TCP level: the server's socket buffer fills, then its queue bound trips.
      (slow.stream.socket as unknown as { _socket: Socket })._socket.pause();
      const { exchange } = own.server;
      for (let i = 0; i < 20_000; i++) {
        exchange.executeNow({ type: 'deposit', accountId: slow.accountId, asset: 'USDT', amount: parseAmount('1') });
        if (i % 50 === 0) exchange.executeNow({ type: 'deposit', accountId: healthy.accountId, asset: 'USDT', amount: parseAmount('1') });
        if (i % 1000 === 0) await nextTurn(); // let the server write, so its socket buffer fills
      }
      (slow.stream.socket as unknown as { _socket: Socket })._socket.resume();
      await slow.stream.until(() => slow.stream.closed !== null, 10_000, 'the slow client to be closed');
      assert.equal(slow.stream.closed!.code, CloseCode.SLOW_CONSUMER);
      assert.ok(slow.stream.pushes.length < 20_000, 'the slow client did not get everything buffered for it');
      await healthy.stream.until(() => healthy.stream.pushes.length === 400, 10_000, 'all 400 pushes of the healthy client');
      assert.equal(healthy.stream.closed, null);
    } finally {
      await own.stop();
    }
  });

  test('an inbound frame over the size bound closes the connection with 1009', async () => {
    const stream = await StreamClient.connect(harness.server.wsUrl);
    stream.socket.send('x'.repeat(5 * 1024));
    await stream.until(() => stream.closed !== null, 5_000, 'close');
    assert.equal(stream.closed!.code, 1009);
  });

  test('more inbound messages than the bucket allows closes the connection with 4029', async () => {
    const stream = await StreamClient.connect(harness.server.wsUrl);
    for (let i = 0; i < 30; i++) stream.socket.send('ping');
    await stream.until(() => stream.closed !== null, 5_000, 'close');
    assert.equal(stream.closed!.code, CloseCode.RATE_LIMITED);
    assert.ok(stream.texts.filter((t) => t === 'pong').length <= 10, 'no more than the burst was served');
  });

  test('an account holds at most maxConnectionsPerAccount stream connections', async () => {
    const account = await harness.account('1'); // its first connection
    const second = await StreamClient.connect(harness.server.wsUrl);
    assert.equal((await second.subscribe(account.listenKey, ['order'])).code, 0);
    const third = await StreamClient.connect(harness.server.wsUrl);
    const refused = await third.subscribe(account.listenKey, ['order']);
    assert.equal(refused.code, 1);
    await third.until(() => third.closed !== null, 5_000, 'close');
    assert.equal(third.closed!.code, CloseCode.TOO_MANY_CONNECTIONS);
    // Closing one frees a slot (once the server has seen the close: the connection's listener goes).
    second.close();
    await listeners(harness.server.exchange.events, account.accountId, 1, 'the second connection to be released');
    const fourth = await StreamClient.connect(harness.server.wsUrl);
    assert.equal((await fourth.subscribe(account.listenKey, ['order'])).code, 0);
    fourth.close();
  });

  test('a connection that sends no ping within the idle time is closed with 4000; pings keep it open', async () => {
    const silent = await StreamClient.connect(harness.server.wsUrl);
    const talking = await StreamClient.connect(harness.server.wsUrl);
    // 300 ms steps with a ping (and its pong) between them: the talking one pings within every
    // 400 ms, the silent one passes its deadline at the second step.
    for (let step = 0; step < 4; step++) {
      await time.advance(300);
      await talking.sync();
    }
    await silent.until(() => silent.closed !== null, 3_000, 'idle close');
    assert.equal(silent.closed!.code, CloseCode.IDLE);
    assert.equal(talking.closed, null, 'its last pong came after 1.2 s of 300 ms pings');
    talking.close();
  });
});

describe('listenKey expiry on an open stream', () => {
  let harness: Harness;
  const time = new ManualTime();
  before(async () => {
    harness = await Harness.start({ listenKeyTtlMs: 400, clock: time, timers: time });
  });
  after(() => harness.stop());

  test('when the key expires, each subscribed topic is told topic@invalid_listenkey and pushes stop', async () => {
    const account = await harness.account('1', ['balance', 'order']);
    await time.advance(399);
    await account.stream.sync();
    assert.equal(account.stream.acks.length, 1, 'nothing before the key\'s expiry');
    await time.advance(1);
    await account.stream.until(() => account.stream.acks.length >= 3, 3_000, 'expiry notices');
    assert.deepEqual(account.stream.acks.slice(1).map((a) => [a.code, a.msg]).sort(), [[2, 'balance@invalid_listenkey'], [2, 'order@invalid_listenkey']]);
    await harness.admin.deposit(account.accountId, '1');
    await account.stream.sync();
    assert.equal(account.stream.pushes.length, 0);
  });
});
