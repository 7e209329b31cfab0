/**
 * Operations endpoints on real servers over real HTTP: /healthz and /readyz (not ready while a data
 * directory with a journal is being recovered, ready after; 503 once the journal has failed for
 * good), and /metrics scraped before and after trading and streaming.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { parseAmount } from '../../src/engine/fixed.js';
import { createLogger, silentLogger } from '../../src/ops/log.js';
import { Ops } from '../../src/ops/ops.js';
import { realFileOps, type FileOps } from '../../src/persistence/file-ops.js';
import { startServer } from '../../src/server/server.js';
import {
  abandon, admin, ADMIN, cleanup, createFunded, expectOk, faultyOps, newFaults, Rest, ResumeStream, restingBuy, startNode, tempDir, trader,
} from '../durability/support.js';
import WebSocket from 'ws';
import { BinanceRest } from '../binance/client.js';
import { Harness } from '../support/harness.js';
import { CapturedLog, get, sample } from './support.js';

after(cleanup);

describe('health and readiness', () => {
  test('/healthz and /readyz answer on the main port without credentials; the front doors keep their own 404s', async () => {
    const { server } = await Harness.start();
    try {
      const health = await get(`${server.url}/healthz`);
      assert.deepEqual([health.status, JSON.parse(health.text)], [200, { status: 'ok' }]);
      const ready = await get(`${server.url}/readyz`);
      assert.deepEqual([ready.status, JSON.parse(ready.text)], [200, { ready: true, status: 'ready' }]);
      const metrics = await get(`${server.url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
      // XT's REST is at the root: its unknown paths still answer in XT's envelope.
      const xt = await get(`${server.url}/future/healthz`);
      assert.equal(xt.status, 404);
      assert.equal(JSON.parse(xt.text).returnCode, 1);
      const binance = await get(`${server.url}/binance/healthz`);
      assert.equal(binance.status, 404);
      const shape = JSON.parse(binance.text) as Record<string, unknown>;
      assert.ok('code' in shape && 'msg' in shape, `Binance's {code, msg}: ${binance.text}`);
    } finally {
      await server.close();
    }
  });

  test('with opsOnMainPort false the main port does not serve them (the ops port does)', async () => {
    const ops = new Ops({ logger: silentLogger(), metricsPath: '/prom' });
    const opsUrl = await ops.listen(0, '127.0.0.1');
    const { server } = await Harness.start({ ops, opsOnMainPort: false });
    try {
      for (const path of ['/healthz', '/readyz', '/prom']) {
        const main = await get(`${server.url}${path}`);
        assert.equal(main.status, 404, path);
        assert.equal(JSON.parse(main.text).returnCode, 1, `${path}: XT's 404 at the root`);
        assert.equal((await get(`${opsUrl}${path}`)).status, 200, `${path} on the ops port`);
      }
      assert.equal((await get(`${opsUrl}/metrics`)).status, 404, 'metrics only at the configured path');
    } finally {
      await server.close();
      await ops.close();
    }
  });

  test('/readyz is 503 "recovering" on the ops port while a journal is replayed, 200 once recovery is over', async () => {
    const dir = await tempDir('ops-ready');
    // A data directory with journal records and no snapshot (a crash): recovery must replay them.
    const first = await startNode(dir);
    const t = await trader(first);
    expectOk(await restingBuy(t), 'an order');
    await abandon(first);

    // The journal read waits for the test: a barrier instead of a race with a fast recovery.
    let reading!: () => void;
    const readingStarted = new Promise<void>((resolve) => (reading = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fileOps: FileOps = {
      ...realFileOps,
      async readFile(path) {
        if (/journal-\d+\.log$/.test(path)) {
          reading();
          await gate;
        }
        return realFileOps.readFile(path);
      },
    };
    const ops = new Ops({ logger: silentLogger() });
    const opsUrl = await ops.listen(0, '127.0.0.1');
    try {
      assert.equal((await get(`${opsUrl}/readyz`)).status, 503, 'not ready before the server starts');
      // startServer itself, not the harness: the test watches its start-up from outside.
      const starting = startServer({ symbols: DEMO_SYMBOLS, adminToken: ADMIN, dataDir: dir, port: 0, ops, fileOps, log: () => undefined });
      await readingStarted;
      const during = await get(`${opsUrl}/readyz`);
      assert.equal(during.status, 503);
      assert.equal(JSON.parse(during.text).status, 'recovering');
      assert.equal((await get(`${opsUrl}/healthz`)).status, 200, 'alive while recovering');
      assert.match((await get(`${opsUrl}/metrics`)).text, /^perpstream_ready 0$/m);
      release();
      const server = await starting;
      try {
        assert.ok(server.recovery !== null && server.recovery.replayed > 0, 'the journal was replayed');
        const afterwards = await get(`${opsUrl}/readyz`);
        assert.deepEqual([afterwards.status, JSON.parse(afterwards.text).status], [200, 'ready']);
        assert.equal((await get(`${server.url}/readyz`)).status, 200, 'and on the main port');
        assert.match((await get(`${opsUrl}/metrics`)).text, /^perpstream_ready 1$/m);
      } finally {
        await server.close();
      }
      assert.equal((await get(`${opsUrl}/readyz`)).status, 503, 'not ready once shut down');
    } finally {
      release();
      await ops.close();
    }
  });

  test('/readyz is 503 once the journal failed for good (write and repair both fail); /healthz stays 200; the failure is logged and counted', async () => {
    const faults = newFaults();
    const node = await startNode(await tempDir('ops-journal'), { fileOps: faultyOps(faults) });
    const t = await trader(node);
    assert.equal((await get(`${node.server.url}/readyz`)).status, 200);
    faults.write = 'EIO';
    faults.truncate = 'EIO';
    const refused = await restingBuy(t);
    assert.equal(refused.status, 503, 'the order is refused');
    const ready = await get(`${node.server.url}/readyz`);
    assert.equal(ready.status, 503);
    const body = JSON.parse(ready.text) as { status: string; reason: string };
    assert.equal(body.status, 'journal-failed');
    assert.match(body.reason, /restart/);
    assert.equal((await get(`${node.server.url}/healthz`)).status, 200);
    assert.ok(node.logs.some((line) => /journal failed and could not be repaired/.test(line)), node.logs.join('\n'));
    const metrics = (await get(`${node.server.url}/metrics`)).text;
    assert.ok(sample(metrics, 'perpstream_journal_failures_total') >= 1);
    assert.ok(sample(metrics, 'perpstream_commands_total', { type: 'placeOrder', result: 'failed' }) >= 1);
    assert.equal(sample(metrics, 'perpstream_ready'), 0);
    faults.write = null;
    faults.truncate = null;
  });
});

describe('metrics', () => {
  test('counters and histograms move with orders, pushes, streams, resumes and snapshots; a closed stream is counted under 1001', async () => {
    const node = await startNode(await tempDir('ops-metrics'));
    const { server } = node;
    const a = await trader(node);
    const b = await trader(node);
    assert.equal((await node.admin.request('POST', '/mark-price', { symbol: 'btc_usdt', price: '60000' })).status, 200);
    const before = (await get(`${server.url}/metrics`)).text;
    const stream = await ResumeStream.connect(server.wsUrl);
    const ack = await stream.subscribe(a.listenKey);
    assert.equal(ack.code, 0);
    // The same account over Binance's stream: its pushes are counted under Binance's event types.
    const binanceKey = await new BinanceRest(server.url, a.apiKey, a.secret).listenKey();
    const binance = new WebSocket(`${server.wsUrl}/binance/ws/${binanceKey}`);
    const binanceFrames: string[] = [];
    binance.on('message', (data) => binanceFrames.push(data.toString()));
    await new Promise((resolve, reject) => binance.once('open', resolve).once('error', reject));
    const binanceClosed = new Promise<number>((resolve) => binance.once('close', (code) => resolve(code)));

    expectOk(await restingBuy(a, undefined, '60000'), 'a buy');
    expectOk(await b.rest.post('/future/trade/v1/order/create', {
      symbol: 'btc_usdt', orderSide: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', price: '60000', origQty: '1',
    }), 'a crossing sell');
    await stream.until(() => stream.pushes.some((p) => p.topic === 'trade'), 5_000, 'the trade push');
    // The XT trade push went out in the same turn as Binance's frames for that command; a ping's
    // pong on the Binance socket comes after them.
    await new Promise<void>((resolve) => {
      binance.once('pong', () => resolve());
      binance.ping();
    });
    assert.ok(binanceFrames.some((f) => f.includes('"ORDER_TRADE_UPDATE"')), binanceFrames.join('\n'));

    // A resume that is served (from the window) and one that is refused (another epoch).
    const resumed = await ResumeStream.connect(server.wsUrl);
    const served = await resumed.subscribe(a.listenKey, undefined, { epoch: ack.epoch, seq: ack.seq });
    assert.equal((served.resume as { recovered: boolean }).recovered, true);
    const refusedStream = await ResumeStream.connect(server.wsUrl);
    const refused = await refusedStream.subscribe(a.listenKey, undefined, { epoch: 'not-this-one', seq: 1 });
    assert.equal((refused.resume as { recovered: boolean }).recovered, false);
    assert.equal((await node.admin.request('POST', '/snapshot')).status, 200);

    const afterText = (await get(`${server.url}/metrics`)).text;
    const delta = (name: string, labels: Record<string, string> = {}): number => sample(afterText, name, labels) - sample(before, name, labels);
    assert.ok(delta('perpstream_commands_total', { type: 'placeOrder', result: 'accepted' }) >= 2, 'orders counted');
    assert.ok(delta('perpstream_engine_apply_seconds_count') >= 2, 'engine apply time observed');
    assert.ok(delta('perpstream_ack_seconds_count') >= 2, 'ack latency observed');
    assert.ok(delta('perpstream_journal_fsync_seconds_count') >= 1, 'fsyncs timed');
    assert.ok(delta('perpstream_journal_batch_records_count') >= 1, 'batches counted');
    assert.ok(delta('perpstream_journal_bytes_total') > 0, 'journal bytes');
    assert.ok(delta('perpstream_http_requests_total', { dialect: 'xt', status: '200' }) >= 2, 'requests by front door');
    assert.equal(sample(afterText, 'perpstream_ws_connections', { dialect: 'xt', stream: 'user' }), 3, 'three open XT streams');
    assert.equal(sample(afterText, 'perpstream_ws_connections', { dialect: 'binance', stream: 'user' }), 1, 'one Binance stream');
    assert.ok(delta('perpstream_ws_pushes_total', { dialect: 'binance', topic: 'ORDER_TRADE_UPDATE' }) >= 1, 'Binance order pushes');
    assert.ok(delta('perpstream_ws_pushes_total', { dialect: 'xt', topic: 'order' }) >= 1, 'order pushes');
    assert.ok(delta('perpstream_ws_pushes_total', { dialect: 'xt', topic: 'trade' }) >= 1, 'trade pushes');
    assert.equal(delta('perpstream_resumes_total', { dialect: 'xt', result: 'served' }), 1);
    assert.equal(delta('perpstream_resumes_total', { dialect: 'xt', result: 'refused' }), 1);
    assert.equal(delta('perpstream_snapshot_seconds_count'), 1);
    assert.equal(delta('perpstream_snapshot_pause_seconds_count'), 1);
    assert.ok(sample(afterText, 'perpstream_snapshot_bytes') > 0);
    assert.match(afterText, /^perpstream_ws_outgoing_queue_bytes\{dialect="xt"\} \d+$/m);
    assert.match(afterText, /^perpstream_eventloop_utilization 0(\.\d+)?(e-\d+)?$|^perpstream_eventloop_utilization 1$/m);
    // Process metrics (prom-client's defaults): heap, event-loop delay.
    assert.ok(sample(afterText, 'nodejs_heap_size_used_bytes') > 0, 'heap');
    assert.match(afterText, /^nodejs_eventloop_lag_p99_seconds \S+$/m, 'event-loop delay');

    // Shutdown closes every stream with 1001, counted under the server's code.
    await server.close();
    assert.equal(stream.closed?.code ?? (await new Promise<number>((resolve) => stream.socket.once('close', resolve))), 1001);
    const last = await server.ops.metrics.text();
    assert.equal(sample(last, 'perpstream_ws_closes_total', { dialect: 'xt', code: '1001' }), 3);
    assert.equal(await binanceClosed, 1001);
    assert.equal(sample(last, 'perpstream_ws_closes_total', { dialect: 'binance', code: '1001' }), 1);
    assert.equal(sample(last, 'perpstream_ws_connections', { dialect: 'xt', stream: 'user' }), 0);
  });

  test('each server has its own registry: two servers in one process count apart', async () => {
    const { server: one } = await Harness.start();
    const { server: two } = await Harness.start();
    try {
      await one.exchange.execute({ type: 'createAccount' });
      const a = (await get(`${one.url}/metrics`)).text;
      const b = (await get(`${two.url}/metrics`)).text;
      assert.equal(sample(a, 'perpstream_commands_total', { type: 'createAccount', result: 'accepted' }), 1);
      assert.equal(sample(b, 'perpstream_commands_total', { type: 'createAccount', result: 'accepted' }), 0);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('a slow consumer closed with 4008 is logged with its dialect, stream and account, and counted', async () => {
    const logs: { message: string; level: string }[] = [];
    const own = await Harness.start({ limits: { maxQueueBytes: 256 * 1024 }, xtIdleMs: 60_000, log: (message, level = 'info') => logs.push({ message, level }) });
    try {
      const slow = await own.account('1');
      // Stop reading at the TCP level: the server's socket buffer fills, then the queue bound trips.
      (slow.stream.socket as unknown as { _socket: Socket })._socket.pause();
      const { exchange } = own.server;
      for (let i = 0; i < 20_000 && !logs.some((l) => l.message.includes('slow consumer')); i++) {
        exchange.executeNow({ type: 'deposit', accountId: slow.accountId, asset: 'USDT', amount: parseAmount('1') });
        // Let the batches reach the socket (one turn), so its buffer fills as it would in service.
        if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      (slow.stream.socket as unknown as { _socket: Socket })._socket.resume();
      await slow.stream.until(() => slow.stream.closed !== null, 10_000, 'the slow client to be closed');
      assert.equal(slow.stream.closed!.code, 4008);
      const line = logs.find((l) => l.message.includes('slow consumer'));
      assert.ok(line !== undefined, logs.map((l) => l.message).join('\n'));
      assert.equal(line.level, 'warn');
      assert.match(line.message, new RegExp(`closed a slow consumer \\(4008\\): xt user stream of account ${slow.accountId}, \\d+ bytes queued, bound 262144`));
      const metrics = (await get(`${own.server.url}/metrics`)).text;
      assert.equal(sample(metrics, 'perpstream_ws_slow_consumers_total', { dialect: 'xt' }), 1);
    } finally {
      await own.stop();
    }
  });

});

describe('request and fault log lines', () => {
  test('a handler that throws is answered 500 and logged at error with the request\'s id, front door and account; each request gets one line', async () => {
    const captured = new CapturedLog();
    const logger = createLogger({ level: 'info', format: 'json', destination: captured.destination });
    const { server } = await Harness.start({ logger });
    try {
      const account = await createFunded(admin(server.url, ADMIN), '100');
      const rest = new Rest(server.url, account.apiKey, account.secret);
      assert.equal((await rest.get('/future/user/v1/balance/list')).body?.returnCode, 0);
      // A defect inside a handler: the engine read throws.
      const engine = server.exchange.engine as unknown as { account: (id: number) => unknown };
      const real = engine.account.bind(engine);
      engine.account = () => {
        throw new Error('injected defect');
      };
      const failed = await rest.get('/future/user/v1/balance/list');
      engine.account = real;
      assert.equal(failed.status, 500);
      const lines = captured.records.filter((r) => r.path === '/future/user/v1/balance/list');
      assert.deepEqual(lines.map((r) => [r.msg, r.status, r.dialect, r.accountId]),
        [['request', 200, 'xt', account.accountId], ['request', 500, 'xt', account.accountId]], 'one line per request');
      const fault = captured.records.find((r) => r.level === 'error');
      assert.ok(fault !== undefined, captured.raw.join(''));
      assert.match(String(fault.msg), /XT front door: a handler threw; answered 500/);
      assert.equal(fault.reqId, lines[1]!.reqId, 'the fault line carries the failed request\'s id');
      assert.match(JSON.stringify(fault.err), /injected defect/);
      for (const line of captured.raw) assert.ok(!line.includes(account.secret) && !line.includes(ADMIN), `no secret in ${line}`);
      const admins = captured.records.filter((r) => r.dialect === 'admin');
      assert.ok(admins.length >= 2 && admins.every((r) => r.msg === 'request'), 'admin requests are logged as such');
    } finally {
      await server.close();
    }
  });
});
