/**
 * `npm start` as a real child process with a configuration file: the file's symbols are served,
 * every request is logged as one JSON line on stdout with its request id, front door and account
 * (and no secret, signature, passphrase, listen key or admin token), the ops port answers, and
 * SIGTERM drains, closes the stream with 1001, writes a last snapshot, logs one line and exits 0.
 * Every wait is on a line the child writes or on a socket event.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BTC_USDT } from '../../src/engine/demo-symbols.js';
import { BinanceRest } from '../binance/client.js';
import { Rest, ResumeStream } from '../durability/support.js';
import { withTimeout } from '../support/timeout.js';
import { Child, get } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'perpstream-ops-process-'));
let child: Child | null = null;
after(async () => {
  child?.kill('SIGKILL');
  if (child !== null) await child.exited;
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'ops-process-admin-token';

interface Demo {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
}

test('a child process with a config file: its symbols are served, request lines carry id, dialect and account and no secret; SIGTERM drains, closes streams with 1001, snapshots, logs one line, exits 0', async () => {
  const sol = { ...structuredClone(BTC_USDT), symbol: 'sol_usdt', baseAsset: 'SOL', tickSize: '0.01', contractSize: '0.1' };
  const configFile = join(dir, 'perpstream.json');
  writeFileSync(configFile, JSON.stringify({
    server: { simulator: false },
    symbols: [BTC_USDT, sol],
    timings: { priceTickMs: 0, fundingSchedule: false, drainMs: 2_000 },
    log: { level: 'info', format: 'json' },
    dialects: { xt: { idleMs: 60_000 } },
  }));
  const dataDir = join(dir, 'data');
  child = new Child(['--config', configFile, '--port', '0', '--data-dir', dataDir, '--admin-token', TOKEN, '--ops-port', '0']);
  const c = child;

  const opsLine = JSON.parse(await c.line((l) => l.includes('"msg":"ops endpoints on'), 'the ops port')) as { url: string };
  const listening = JSON.parse(await c.line((l) => l.includes('"msg":"perpstream listening on'), 'the main port')) as { url: string; wsUrl: string };
  await c.line((l) => l.startsWith('  for KuCoin clients'), 'the demo accounts');
  const demos = new Map(c.lines.flatMap((line) => {
    const m = /^demo account (\w+): accountId (\d+) apiKey (\S+) secret (\S+) passphrase (\S+)$/.exec(line);
    return m === null ? [] : [[m[1]!, { accountId: Number(m[2]), apiKey: m[3]!, secret: m[4]!, passphrase: m[5]! } satisfies Demo] as const];
  }));
  const alice = demos.get('alice')!;
  const bob = demos.get('bob')!;
  const { url, wsUrl } = listening;

  // The configuration's symbols are the ones served.
  const list = JSON.parse((await get(`${url}/future/market/v1/public/symbol/list`)).text) as { result: { symbol: string }[] };
  assert.deepEqual(list.result.map((s) => s.symbol).sort(), ['btc_usdt', 'sol_usdt']);
  const binanceInfo = JSON.parse((await get(`${url}/binance/fapi/v1/exchangeInfo`)).text) as { symbols: { symbol: string }[] };
  assert.deepEqual(binanceInfo.symbols.map((s) => s.symbol).sort(), ['BTCUSDT', 'SOLUSDT']);
  assert.equal((await get(`${opsLine.url}/readyz`)).status, 200);
  assert.match((await get(`${opsLine.url}/metrics`)).text, /^perpstream_ready 1$/m);

  // Signed requests in two front doors, and a stream.
  const xt = new Rest(url, alice.apiKey, alice.secret);
  assert.equal((await xt.get('/future/user/v1/balance/list')).body?.returnCode, 0);
  const listenKey = (await xt.get<string>('/future/user/v1/user/listen-key')).body!.result;
  const binance = new BinanceRest(url, bob.apiKey, bob.secret);
  assert.equal((await binance.signed('GET', '/fapi/v2/balance')).status, 200);
  const binanceKey = await binance.listenKey();
  const stream = await ResumeStream.connect(wsUrl);
  assert.equal((await stream.subscribe(listenKey)).code, 0);

  const xtLine = JSON.parse(await c.line((l) => l.includes('"path":"/future/user/v1/balance/list"'), 'the XT request line')) as Record<string, unknown>;
  assert.equal(xtLine.msg, 'request');
  assert.equal(xtLine.level, 'info');
  assert.equal(typeof xtLine.reqId, 'string');
  assert.deepEqual([xtLine.dialect, xtLine.accountId, xtLine.method, xtLine.status], ['xt', alice.accountId, 'GET', 200]);
  assert.equal(typeof xtLine.ms, 'number');
  const binanceLine = JSON.parse(await c.line((l) => l.includes('"path":"/binance/fapi/v2/balance"'), 'the Binance request line')) as Record<string, unknown>;
  assert.deepEqual([binanceLine.dialect, binanceLine.accountId, binanceLine.status], ['binance', bob.accountId, 200]);
  assert.notEqual(binanceLine.reqId, xtLine.reqId, 'each request has its own id');
  const keyLine = JSON.parse(await c.line((l) => l.includes('"path":"/binance/fapi/v1/listenKey"'), 'the listen-key request line')) as Record<string, unknown>;
  assert.equal(keyLine.accountId, bob.accountId);

  // SIGTERM: the stream is closed with 1001, one shutdown line, a snapshot, exit 0.
  const closed = new Promise<number>((resolve) => stream.socket.once('close', (code) => resolve(code)));
  c.kill('SIGTERM');
  assert.equal(await withTimeout(closed, 10_000, 'the stream to close'), 1001);
  const exit = await withTimeout(c.exited, 15_000, 'perpstream to exit');
  assert.deepEqual(exit, { code: 0, signal: null }, c.stderr.join(''));
  const shutdowns = c.records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('shutdown ('));
  assert.equal(shutdowns.length, 1, 'one shutdown line');
  const shutdown = shutdowns[0]! as { msg: string; why: string; shutdown: { streams: number; snapshot: { cmdSeq: number; bytes: number } | null; cmdSeq: number } };
  assert.equal(shutdown.why, 'SIGTERM');
  assert.equal(shutdown.shutdown.streams, 1);
  assert.ok(shutdown.shutdown.snapshot !== null, shutdown.msg);
  assert.equal(shutdown.shutdown.snapshot.cmdSeq, shutdown.shutdown.cmdSeq, 'the last snapshot holds every command');
  assert.match(shutdown.msg, /closed 1 streams with 1001; snapshot at command \d+/);
  assert.ok(readdirSync(join(dataDir, 'snapshots')).includes(`snapshot-${String(shutdown.shutdown.cmdSeq).padStart(16, '0')}.snap`), 'the snapshot file');

  // Every log line is JSON, and none carries a credential.
  const logLines = c.lines.filter((l) => l.startsWith('{'));
  assert.ok(logLines.length >= 6);
  const secrets = [alice.secret, bob.secret, alice.passphrase, bob.passphrase, listenKey, binanceKey, TOKEN, 'signature'];
  for (const line of logLines) for (const secret of secrets) assert.ok(!line.includes(secret), `a log line carries a secret (${secret.slice(0, 6)}…): ${line}`);
  assert.ok(!c.lines.some((l) => l.includes(TOKEN)), 'a given admin token is never printed');
});
