/**
 * SIGKILL under load, against the real process (`node dist/src/main.js --no-sim ...`).
 *
 * Four funded accounts trade with each other over signed XT REST (limit and market orders with
 * client order ids, cancels, immediate idempotent retries), each account's XT stream is connected,
 * and after a seeded-random number of commands sent the process is SIGKILLed, with commands in
 * flight — sometimes in the middle of an admin snapshot, sometimes again during the next start-up —
 * then restarted. Repeated for CYCLES cycles;
 * the last one ends with a graceful SIGTERM and one more restart.
 *
 * How "equals an uninterrupted run" is checked (the method, and why it is sound):
 *   - The journal is the history. After every kill (the process is dead, nothing writes), the data
 *     directory is copied and the copy's journal is read with readJournal (which cuts a torn tail
 *     exactly as recovery will). Records are merged into an *archive* by seq; a seq already
 *     archived must never come back different (durable history is immutable).
 *   - Segments are pruned only up to the *older* of the two kept snapshots. The test triggers at
 *     most one admin snapshot per cycle, so anything pruned was written before an earlier kill and
 *     is already archived; the archive is therefore the complete history 1..N (checked: no gaps).
 *   - A reference Engine (same symbols and default position mode) is fed the archive in seq order
 *     with the journaled command times: that *is* the uninterrupted run over the same commands.
 *     It includes commands that were durable but whose answer was lost in the kill — the server is
 *     right to keep them; the acknowledged commands are a subset, checked one by one (same order
 *     id for every acknowledged clientOrderId, an OK cancel in the journal for every OK cancel).
 *   - Compared after every kill: an in-process DurableStore recovery of the copy (state hash), the
 *     restarted process (its recovery line's cmdSeq and epoch, REST balances and seqs vs the
 *     reference), and every account's received pushes, concatenated over all connections, which
 *     must be a prefix of the reference's XT frames for that account (so nothing was pushed before
 *     it was durable, nothing twice, nothing out of order). At the end: the closing snapshot's hash
 *     equals the reference's, and the pushes equal the reference's frames exactly.
 *
 * PERPSTREAM_CRASH_SEED reproduces the choices (kill moments, command mix); PERPSTREAM_CRASH_CYCLES
 * sets the number of cycles (default 12).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { xtBalance } from '../../src/dialects/xt/encode.js';
import { DEFAULT_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { realFileOps } from '../../src/persistence/file-ops.js';
import { readJournal } from '../../src/persistence/journal.js';
import { readSnapshot } from '../../src/persistence/snapshots.js';
import { openDurableExchange } from '../../src/service/durable-exchange.js';
import type { Command } from '../../src/engine/types.js';
import { systemClock } from '../../src/service/clock.js';
import {
  admin, ALL_TOPICS, canonical, crashImage, createFunded, killAllServers, Reference, cleanup, removeDir, Rest, ResumeStream, rng,
  seedFrom, ServerProcess, snapshotsOf, tempDir, withTimeout, type Funded, type RawPush, type Rng, type XtReply,
} from './support.js';

const TOKEN = 'crash-admin-token';
const CYCLES = Number(process.env.PERPSTREAM_CRASH_CYCLES ?? 12);
const ACCOUNTS = 4;

interface Account extends Funded {
  index: number;
  listenKey: string;
  initialSeq: number;
  /** Every push received, over all connections, in arrival order. */
  pushes: RawPush[];
  stream: ResumeStream | null;
  /** Acknowledged orders not known to be finished, for cancels. */
  open: string[];
}

interface Acked {
  cycle: number;
  accountId: number;
  kind: 'place' | 'cancel' | 'retry';
  clientOrderId?: string;
  orderId: string;
  body: Record<string, unknown>;
}

interface Unanswered {
  cycle: number;
  accountId: number;
  clientOrderId: string;
  body: Record<string, unknown>;
}

after(cleanup);

const price = (ticks: number): string => `${Math.floor(ticks / 10)}.${ticks % 10}`;

test(`SIGKILL under load: ${CYCLES} crash/restart cycles of the real process`, { timeout: 240_000 }, async (t) => {
  const seed = seedFrom('CRASH');
  const random = rng(seed);
  const where = (cycle: number) => `seed ${seed} (PERPSTREAM_CRASH_SEED=${seed}), cycle ${cycle}`;
  t.diagnostic(`seed ${seed} (rerun with PERPSTREAM_CRASH_SEED=${seed})`);
  console.log(`# crash test seed ${seed}`);
  const root = await tempDir('crash');
  const dir = join(root, 'data');

  const archive = new Map<number, string>();
  const archived = new Map<number, Command>();
  // The spawned process runs the default configuration: its symbols.
  const reference = new Reference(false, DEFAULT_SYMBOLS);
  const cancels = new Map<string, number>();
  const acked: Acked[] = [];
  const unanswered: Unanswered[] = [];
  const anomalies: string[] = [];
  const stats = { commands: 0, acked: 0, unanswered: 0, torn: 0, startupKills: 0, snapshots: 0, fromSnapshot: 0, replayed: 0, retriedUnknown: 0, retriedUnknownFound: 0 };
  let proc: ServerProcess | null = null;
  let lastLines: string[] = [];

  /** Merges the journal of a stopped server's directory into the archive and feeds the reference. */
  const archiveJournal = async (cycle: number): Promise<{ image: string; maxSeq: number; torn: boolean }> => {
    const image = await crashImage(dir, 'crash-image');
    const journal = await readJournal(realFileOps, join(image, 'journal'), 0);
    let maxSeq = 0;
    for (const { seq, command } of journal.records) {
      const text = canonical(command);
      const known = archive.get(seq);
      if (known !== undefined && known !== text) assert.fail(`${where(cycle)}: durable command ${seq} changed between restarts:\nbefore ${known}\nnow    ${text}`);
      archive.set(seq, text);
      archived.set(seq, command);
      maxSeq = Math.max(maxSeq, seq);
    }
    for (let seq = reference.cmdSeq + 1; archive.has(seq); seq++) {
      const command = archived.get(seq)!;
      const result = reference.apply(seq, command);
      if (command.type === 'cancelOrder' && command.orderId !== undefined && result.ok) {
        // An OK REST cancel must have a successful cancel of that order in the journal's run.
        const key = `${command.accountId}|${command.orderId}`;
        cancels.set(key, (cancels.get(key) ?? 0) + 1);
      }
    }
    assert.equal(reference.cmdSeq, maxSeq, `${where(cycle)}: the archive has a gap after ${reference.cmdSeq} (journal up to ${maxSeq})`);
    return { image, maxSeq, torn: journal.torn !== null };
  };

  const checkAcked = (cycle: number): void => {
    for (const ack of acked) {
      if (ack.kind === 'cancel') {
        assert.ok((cancels.get(`${ack.accountId}|${ack.orderId}`) ?? 0) > 0,
          `${where(cycle)}: the cancel of order ${ack.orderId} (account ${ack.accountId}, acknowledged in cycle ${ack.cycle}) is not in the journal`);
        continue;
      }
      const placed = reference.placed.get(`${ack.accountId}|${ack.clientOrderId}`);
      assert.ok(placed !== undefined, `${where(cycle)}: acknowledged order ${ack.clientOrderId} (id ${ack.orderId}, cycle ${ack.cycle}) is not in the journal`);
      assert.ok(placed.result.ok && placed.result.kind === 'order');
      assert.equal(String(placed.result.order.orderId), ack.orderId,
        `${where(cycle)}: ${ack.kind} ${ack.clientOrderId} was answered with order id ${ack.orderId}, the journal's run gives ${placed.result.order.orderId}`);
    }
  };

  const checkPushes = (accounts: Account[], cycle: number, exact: boolean): void => {
    for (const account of accounts) {
      const expected = reference.framesAfter(account.accountId, account.initialSeq);
      const got = account.pushes.map((p) => p.text);
      const limit = exact ? expected.length : got.length;
      for (let i = 0; i < Math.max(limit, got.length); i++) {
        if (got[i] !== expected[i]) {
          assert.fail(`${where(cycle)}: account ${account.accountId} push #${i} (seq ${account.pushes[i]?.seq ?? 'none'}) differs from the ` +
            `uninterrupted run's frame (seq ${account.initialSeq + 1 + i}):\n got      ${got[i] ?? '(nothing)'}\n expected ${expected[i] ?? '(nothing: pushed but not in the journal)'}\n` +
            `around: ${account.pushes.slice(Math.max(0, i - 3), i + 3).map((p) => p.seq).join(', ')}`);
        }
      }
    }
  };

  try {
    proc = await ServerProcess.start(dir, TOKEN);
    const epoch = proc.recovery!.epoch;
    const api0 = admin(proc.url, TOKEN);
    const accounts: Account[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const funded = await createFunded(api0, '100000');
      const rest: Rest = new Rest(proc.url, funded.apiKey, funded.secret);
      const key: XtReply<string> = await rest.get<string>('/future/user/v1/user/listen-key');
      assert.equal(key.body?.returnCode, 0);
      accounts.push({ ...funded, index: i, listenKey: key.body!.result, initialSeq: 0, pushes: [], stream: null, open: [] });
    }

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const last = cycle === CYCLES - 1;
      const server: ServerProcess = proc!;
      const api = admin(server.url, TOKEN);
      // --- streams: subscribe (first cycle) or resume from the last seq seen, while the load starts
      const subscriptions = accounts.map(async (account) => {
        const stream = await ResumeStream.connect(server.wsUrl);
        account.stream = stream;
        const lastSeq = account.pushes.at(-1)?.seq ?? account.initialSeq;
        const id = stream.sendSubscribe(account.listenKey, ALL_TOPICS, cycle === 0 ? undefined : { epoch, seq: lastSeq });
        const ack = await stream.ackOf(id);
        assert.equal(ack.code, 0, `${where(cycle)}: subscribe ${JSON.stringify(ack)} (the listenKey survives restarts)`);
        assert.equal(ack.epoch, epoch, `${where(cycle)}: the epoch never changes across crashes`);
        if (cycle === 0) account.initialSeq = ack.seq!;
        else assert.deepEqual(ack.resume, { recovered: true, from: lastSeq + 1, to: ack.seq }, `${where(cycle)}: account ${account.accountId} resume`);
      });

      // --- load
      const cycleStart = new Map(accounts.map((a) => [a.accountId, a.pushes.length]));
      let stopped = false;
      let killing = false;
      let sent = 0;
      /** Resolves once `n` commands have been sent in this cycle (the load's own count is the clock). */
      const sentWaiters = new Set<() => void>();
      const sentReach = (n: number): Promise<void> => new Promise((resolve) => {
        const check = (): void => {
          if (sent < n) return;
          sentWaiters.delete(check);
          resolve();
        };
        sentWaiters.add(check);
        check();
      });
      const worker = async (account: Account, r: Rng): Promise<void> => {
        const rest = new Rest(server.url, account.apiKey, account.secret, 4_000);
        let n = 0;
        const recent: Acked[] = [];
        while (!stopped) {
          const roll = r();
          sent += 1;
          for (const waiter of [...sentWaiters]) waiter();
          if (roll < 0.22 && account.open.length > 0) {
            const orderId = account.open.splice(r.int(0, account.open.length - 1), 1)[0]!;
            const reply = await rest.post('/future/trade/v1/order/cancel', { orderId });
            if (reply.body?.returnCode === 0) acked.push({ cycle, accountId: account.accountId, kind: 'cancel', orderId, body: { orderId } });
            else if (reply.status !== null && reply.body?.error?.code !== 'ORDER_005') anomalies.push(`${where(cycle)}: cancel ${orderId}: ${JSON.stringify(reply.body)}`);
            continue;
          }
          if (roll < 0.28 && recent.length > 0) {
            const original = r.pick(recent);
            const reply = await rest.post<string>('/future/trade/v1/order/create', original.body);
            if (reply.body?.returnCode === 0) {
              if (reply.body.result !== original.orderId) anomalies.push(`${where(cycle)}: retry of ${original.clientOrderId} returned ${reply.body.result}, originally ${original.orderId}`);
              acked.push({ ...original, cycle, kind: 'retry', orderId: reply.body.result });
            } else if (reply.status !== null) anomalies.push(`${where(cycle)}: retry of ${original.clientOrderId}: ${JSON.stringify(reply.body)}`);
            continue;
          }
          const clientOrderId = `c${cycle}a${account.index}n${n++}`;
          const side = r.chance(0.5) ? 'BUY' : 'SELL';
          const market = roll > 0.9;
          const body: Record<string, unknown> = {
            symbol: 'btc_usdt', orderSide: side, positionSide: side === 'BUY' ? 'LONG' : 'SHORT', orderType: market ? 'MARKET' : 'LIMIT',
            origQty: String(r.int(1, 4)), clientOrderId, ...(market ? {} : { price: price(600_000 + r.int(-30, 30)) }),
          };
          const reply: XtReply<string> = await rest.post<string>('/future/trade/v1/order/create', body);
          if (reply.body?.returnCode === 0) {
            const ack: Acked = { cycle, accountId: account.accountId, kind: 'place', clientOrderId, orderId: reply.body.result, body };
            acked.push(ack);
            recent.push(ack);
            if (recent.length > 50) recent.shift();
            if (!market) account.open.push(reply.body.result);
            if (account.open.length > 120) account.open.shift();
          } else if (reply.body === null) {
            unanswered.push({ cycle, accountId: account.accountId, clientOrderId, body });
            if (!killing) anomalies.push(`${where(cycle)}: no answer while the server was up: ${reply.networkError}`);
          } else if (reply.body.error?.code === '500') {
            anomalies.push(`${where(cycle)}: internal error for ${clientOrderId}: ${JSON.stringify(reply.body)}`);
          }
        }
      };
      const workers = accounts.map((account, i) => worker(account, rng(seed + cycle * 101 + i)));
      await withTimeout(Promise.all(subscriptions), 10_000, `${where(cycle)}: subscriptions`);

      const runCommands = last ? 300 : random.int(80, 500);
      const snapshotAt = !last && random.chance(0.6) ? random.int(20, runCommands) : null;
      let snapshotDone: Promise<unknown> = Promise.resolve();
      if (snapshotAt !== null) {
        snapshotDone = sentReach(snapshotAt).then(() => api.request('POST', '/snapshot')).then(() => { stats.snapshots += 1; }, () => undefined);
      }
      await withTimeout(sentReach(runCommands), 30_000, `${where(cycle)}: ${runCommands} commands sent`);

      if (!last) {
        // --- the crash
        killing = true;
        stopped = true;
        const exit: { signal: NodeJS.Signals | null } = await server.kill('SIGKILL');
        assert.equal(exit.signal, 'SIGKILL');
        await withTimeout(Promise.all(workers), 15_000, `${where(cycle)}: workers to notice the kill`);
        await snapshotDone;
        for (const account of accounts) {
          await account.stream!.until(() => account.stream!.closed !== null, 3_000, 'the stream to close');
          account.pushes.push(...account.stream!.pushes);
        }
      } else {
        // --- the end: stop the load, let the streams catch up, stop gracefully
        stopped = true;
        await withTimeout(Promise.all(workers), 15_000, `${where(cycle)}: workers to stop`);
        for (const account of accounts) {
          const rest = new Rest(server.url, account.apiKey, account.secret);
          const seq = (await rest.get('/future/user/v1/balance/list')).body!.seq!;
          await account.stream!.until(() => (account.stream!.lastSeq() ?? account.pushes.at(-1)?.seq ?? account.initialSeq) >= seq, 5_000, `account ${account.accountId} to catch up`);
        }
        const exit: { code: number | null } = await server.kill('SIGTERM');
        assert.equal(exit.code, 0, `graceful stop exits 0:\n${server.lines.slice(-10).join('\n')}`);
        for (const account of accounts) {
          await account.stream!.until(() => account.stream!.closed !== null, 3_000, 'the stream to close');
          account.pushes.push(...account.stream!.pushes);
        }
      }
      lastLines = server.lines;
      stats.commands += sent;

      // --- what the disk says happened
      const { image, maxSeq, torn }: { image: string; maxSeq: number; torn: boolean } = await archiveJournal(cycle);
      if (torn) stats.torn += 1;
      checkAcked(cycle);
      checkPushes(accounts, cycle, last);
      // Recovery of the copy, in process: the same state as the uninterrupted run.
      const opened = await openDurableExchange({ dataDir: image, symbols: DEFAULT_SYMBOLS, clock: systemClock, engineOptions: { defaultPositionMode: 'HEDGE' } });
      try {
        assert.equal(opened.exchange.engine.cmdSeq, maxSeq, `${where(cycle)}: recovered cmdSeq`);
        assert.equal(opened.exchange.engine.stateHash(), reference.engine.stateHash(), `${where(cycle)}: recovered state hash = the uninterrupted run's`);
        assert.equal(opened.report.epoch, epoch);
      } finally {
        await opened.store.journal.close();
        await removeDir(join(image, '..'));
      }
      if (last) {
        const newest = (await snapshotsOf(dir)).at(-1)!;
        const file = await readSnapshot(realFileOps, join(dir, 'snapshots'), newest);
        assert.equal(file.cmdSeq, reference.cmdSeq, `${where(cycle)}: the closing snapshot is at the last command`);
        assert.equal(file.hash, reference.engine.stateHash(), `${where(cycle)}: the closing snapshot's state hash = the uninterrupted run's`);
      }

      // --- restart (sometimes crash during start-up first)
      if (!last && random.chance(0.3)) {
        const early = ServerProcess.spawn(dir, TOKEN);
        // Real time on purpose: the kill lands at a random moment of a start-up that prints nothing while it replays.
        await new Promise((resolve) => setTimeout(resolve, random.int(0, 150)));
        await early.kill('SIGKILL');
        stats.startupKills += 1;
        lastLines = early.lines;
      }
      proc = await ServerProcess.start(dir, TOKEN);
      const recovery = proc.recovery!;
      assert.equal(recovery.epoch, epoch, `${where(cycle)}: same epoch after restart`);
      assert.equal(recovery.newEpoch, false);
      assert.equal(recovery.cmdSeq, reference.cmdSeq, `${where(cycle)}: the restarted process recovered every durable command:\n${proc.lines.join('\n')}`);
      if (recovery.snapshotSeq !== null) stats.fromSnapshot += 1;
      stats.replayed += recovery.replayed;
      if (last) assert.equal(recovery.replayed, 0, 'after a graceful stop nothing is replayed');

      // --- the restarted process, over REST, before any new traffic
      for (const account of accounts) {
        const rest: Rest = new Rest(proc.url, account.apiKey, account.secret);
        const balance: XtReply<Record<string, unknown>[]> = await rest.get<Record<string, unknown>[]>('/future/user/v1/balance/list');
        const expected = reference.engine.account(account.accountId)!;
        const lastPush = account.pushes.at(-1)?.seq ?? account.initialSeq;
        assert.ok(balance.body!.seq! >= lastPush, `${where(cycle)}: account ${account.accountId}: REST seq ${balance.body!.seq} < last push seq ${lastPush}`);
        assert.equal(balance.body!.seq, expected.seq, `${where(cycle)}: account ${account.accountId}: REST seq = the uninterrupted run's`);
        assert.equal(balance.body!.epoch, epoch);
        assert.deepEqual(balance.body!.result[0], xtBalance(expected.view.wallets.find((w) => w.asset === 'USDT')!), `${where(cycle)}: balance`);
        // Acknowledged orders of this cycle exist with their ids (a sample), with the right state.
        const mine = acked.filter((a) => a.cycle === cycle && a.accountId === account.accountId && a.kind === 'place');
        for (const ack of mine.filter(() => random.chance(Math.min(1, 30 / Math.max(1, mine.length))))) {
          const detail = await rest.get<{ orderId: string; clientOrderId: string }>('/future/trade/v1/order/detail', { orderId: ack.orderId });
          assert.equal(detail.body?.returnCode, 0, `${where(cycle)}: acknowledged order ${ack.orderId} (${ack.clientOrderId}) exists: ${JSON.stringify(detail.body)}`);
          assert.equal(detail.body!.result.orderId, ack.orderId);
          assert.equal(detail.body!.result.clientOrderId, ack.clientOrderId);
        }
        // Fills that were pushed exist (a sample of this cycle's trade pushes).
        const trades = account.pushes.slice(cycleStart.get(account.accountId)).filter((p) => p.topic === 'trade').slice(-15);
        for (const trade of trades) {
          const list = await rest.get<{ items: { tradeId: string; quantity: string }[] }>('/future/trade/v1/order/trade-list', { orderId: String(trade.data.orderId), size: 100 });
          assert.ok(list.body?.result.items.some((i) => i.tradeId === trade.data.tradeId && i.quantity === trade.data.quantity),
            `${where(cycle)}: pushed fill ${String(trade.data.tradeId)} of order ${String(trade.data.orderId)} exists after the restart`);
        }
      }
      // --- then retries with the same clientOrderId (these are new commands; they may fill against other accounts)
      for (const account of accounts) {
        const rest: Rest = new Rest(proc.url, account.apiKey, account.secret);
        const mine = acked.filter((a) => a.cycle === cycle && a.accountId === account.accountId && a.kind === 'place');
        // Orders whose answer was lost: the retry with the same clientOrderId returns the journal's result.
        for (const lost of unanswered.filter((u) => u.cycle === cycle && u.accountId === account.accountId)) {
          const reply = await rest.post<string>('/future/trade/v1/order/create', lost.body);
          const placed = reference.placed.get(`${lost.accountId}|${lost.clientOrderId}`);
          stats.retriedUnknown += 1;
          if (placed !== undefined) {
            stats.retriedUnknownFound += 1;
            assert.ok(placed.result.ok && placed.result.kind === 'order');
            if (placed.result.order.state === 'REJECTED') assert.equal(reply.body?.returnCode, 1, `${where(cycle)}: retry of a rejected ${lost.clientOrderId}`);
            else assert.equal(reply.body?.result, String(placed.result.order.orderId), `${where(cycle)}: the retry of ${lost.clientOrderId} after the crash returns the original order`);
          } else if (reply.body?.returnCode === 0) {
            // It never became durable: the retry places it now.
            acked.push({ cycle: cycle + 1, accountId: lost.accountId, kind: 'place', clientOrderId: lost.clientOrderId, orderId: reply.body.result, body: lost.body });
          }
        }
        // And a sample of acknowledged ones: the original id again.
        for (const ack of mine.slice(-3)) {
          const reply = await rest.post<string>('/future/trade/v1/order/create', ack.body);
          assert.equal(reply.body?.result, ack.orderId, `${where(cycle)}: retry of acknowledged ${ack.clientOrderId} after the crash`);
          acked.push({ ...ack, cycle: cycle + 1, kind: 'retry' });
        }
      }
      stats.acked = acked.length;
      stats.unanswered = unanswered.length;
    }

    // One more graceful restart right after the last one: nothing replayed, streams resume with nothing missed.
    const final = proc!;
    for (const account of accounts) {
      const stream = await ResumeStream.connect(final.wsUrl);
      const lastSeq = account.pushes.at(-1)?.seq ?? account.initialSeq;
      const ack = await stream.subscribe(account.listenKey, ALL_TOPICS, { epoch, seq: lastSeq });
      assert.deepEqual(ack.resume?.recovered, true);
      stream.close();
    }
    assert.equal((await final.kill('SIGTERM')).code, 0);
    const again = await ServerProcess.start(dir, TOKEN);
    assert.equal(again.recovery!.replayed, 0);
    assert.equal(again.recovery!.epoch, epoch);
    await again.kill('SIGTERM');
    proc = null;

    assert.deepEqual(anomalies, [], `${where(CYCLES)}: unexpected answers during the load`);
    const seqs = [...archive.keys()].sort((x, y) => x - y);
    assert.equal(seqs.length, seqs.at(-1), 'the archived journal is complete: 1..N');
    t.diagnostic(`${JSON.stringify({ ...stats, journal: seqs.length })}`);
    console.log(`# crash test: ${JSON.stringify({ seed, cycles: CYCLES, journal: seqs.length, ...stats })}`);
  } catch (error) {
    console.log(`# crash test FAILED, seed ${seed} (PERPSTREAM_CRASH_SEED=${seed}); last server output:\n${(proc?.lines ?? lastLines).slice(-15).join('\n')}`);
    throw error;
  } finally {
    await killAllServers();
  }
});
