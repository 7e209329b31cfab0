/**
 * The configuration file: the built-in default (the demo symbols) passes the same schema, a file's
 * sections lay over it, flags and environment win over the file, and every mistake is refused at
 * start with the key named (unknown key, wrong type, bad symbol). The watch CLI reads `--x=y`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parseOptions } from '../../src/cli/watch.js';
import { DEFAULT_CONFIG, dialectSettings, mergeConfig, readSettings, UsageError, validateConfig } from '../../src/config.js';
import { BTC_USDT, DEFAULT_SYMBOLS, DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';

const dir = mkdtempSync(join(tmpdir(), 'perpstream-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(content: unknown): string {
  const path = join(dir, `config-${(files += 1)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The UsageError message of reading `config` as a file. */
function refusal(config: unknown): string {
  const path = file(config);
  try {
    readSettings(['--config', path], {});
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError, not ${String(error)}`);
    assert.ok(error.message.startsWith(path), `the message names the file: ${error.message}`);
    return error.message;
  }
  assert.fail(`${JSON.stringify(config)} was accepted`);
}

describe('configuration file', () => {
  test('the built-in default is the demo symbols (linear, inverse and quarterly) and passes the same schema', () => {
    assert.deepEqual(DEFAULT_CONFIG.symbols, DEFAULT_SYMBOLS);
    assert.deepEqual(DEFAULT_SYMBOLS, [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS]);
    assert.doesNotThrow(() => validateConfig(structuredClone(DEFAULT_CONFIG)));
    const settings = readSettings([], {});
    assert.equal(settings.config.server.rateLimits, false, 'rate limits are off by default');
    assert.equal(readSettings(['--rate-limits'], {}).config.server.rateLimits, true);
    assert.equal(readSettings([], { PERPSTREAM_RATE_LIMITS: 'true' }).config.server.rateLimits, true);
    assert.deepEqual(settings.config.symbols, DEFAULT_SYMBOLS);
    assert.equal(settings.configFile, null);
    assert.equal(settings.metricsPath, '/metrics');
    assert.equal(settings.opsPort, null);
  });


  test('a file replaces the symbols and lays its sections over the defaults; flags and environment win over it', () => {
    const sol = { ...structuredClone(BTC_USDT), symbol: 'sol_usdt', baseAsset: 'SOL', tickSize: '0.01', contractSize: '0.1' };
    const path = file({
      server: { port: 9100, dataDir: '/from-file' },
      symbols: [sol],
      limits: { maxQueueBytes: 1_048_576 },
      timings: { priceTickMs: 0 },
      dialects: { xt: { idleMs: 40_000 }, bybit: { idleMs: 5_000 } },
      log: { level: 'warn' },
      ops: { port: 9101 },
    });
    const s = readSettings([`--config=${path}`], {});
    assert.deepEqual(s.config.symbols.map((x) => x.symbol), ['sol_usdt']);
    assert.equal(s.port, 9100);
    assert.equal(s.dataDir, '/from-file');
    assert.equal(s.host, '127.0.0.1', 'a key the file leaves out keeps its default');
    assert.equal(s.config.limits.maxQueueBytes, 1_048_576);
    assert.equal(s.config.limits.inboundBurst, DEFAULT_CONFIG.limits.inboundBurst);
    assert.equal(s.config.timings.priceTickMs, 0);
    assert.equal(s.config.timings.fundingSchedule, true);
    assert.deepEqual(dialectSettings(s.config), { 'xt.idleMs': 40_000, 'bybit.idleMs': 5_000 });
    assert.equal(s.logLevel, 'warn');
    assert.equal(s.opsPort, 9101);

    const env = { PERPSTREAM_CONFIG: path, PERPSTREAM_PORT: '9200', PERPSTREAM_LOG_LEVEL: 'debug', PERPSTREAM_DATA_DIR: '/from-env' };
    const e = readSettings([], env);
    assert.deepEqual([e.configFile, e.port, e.logLevel, e.dataDir], [path, 9200, 'debug', '/from-env'], 'environment over the file');
    const f = readSettings(['--port', '9300', '--log-level=error', '--ops-port=none', '--metrics-path', '/prom'], env);
    assert.deepEqual([f.port, f.logLevel, f.opsPort, f.metricsPath, f.dataDir], [9300, 'error', null, '/prom', '/from-env'], 'flags over the environment');
  });

  test('an unknown key is refused with its name, at any depth (no silent default for a typo)', () => {
    assert.match(refusal({ server: { prot: 8081 } }), /server\.prot: unknown key \(known here: host, port, dataDir, adminToken, simulator, rateLimits\)/);
    assert.match(refusal({ symbol: [] }), /symbol: unknown key/);
    assert.match(refusal({ limits: { maxQueueByte: 1 } }), /limits\.maxQueueByte: unknown key/);
    assert.match(refusal({ dialects: { xt: { idleMS: 1 } } }), /dialects\.xt\.idleMS: unknown key/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, tickSzie: '0.1' }] }), /symbols\[0\]\.tickSzie: unknown key/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, tiers: [{ ...BTC_USDT.tiers[0], mmr: '0.1' }] }] }), /symbols\[0\]\.tiers\[0\]\.mmr: unknown key/);
  });

  test('a value of the wrong type or out of range is refused with its key and what it must be', () => {
    assert.match(refusal({ limits: { maxQueueBytes: 'big' } }), /limits\.maxQueueBytes: must be integer/);
    assert.match(refusal({ server: { port: 70000 } }), /server\.port: must be <= 65535/);
    assert.match(refusal({ log: { level: 'loud' } }), /log\.level: must be one of "fatal", "error"/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, makerFeeRate: 0.0002 }] }), /symbols\[0\]\.makerFeeRate: must be string/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, takerFeeRate: '6 bp' }] }), /symbols\[0\]\.takerFeeRate: must be a decimal string/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, contractType: 'QUARTERLY' }] }), /symbols\[0\]\.contractType: must be one of "PERPETUAL", "DELIVERY"/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, contractType: 'DELIVERY', delivery: { deliveryTime: 1, fee: '0' } }] }), /symbols\[0\]\.delivery\.fee: unknown key/);
    assert.match(refusal({ symbols: [] }), /symbols: must NOT have fewer than 1 items/);
    assert.match(refusal({ timings: 5 }), /timings: must be object/);
    assert.match(refusal('{"server": '), /is not valid JSON/);
    const { tiers: _tiers, ...noTiers } = BTC_USDT;
    assert.match(refusal({ symbols: [noTiers] }), /symbols\[0\]\.tiers: missing/);
  });

  test('a symbol the engine would refuse is refused at start, naming it', () => {
    assert.match(refusal({ symbols: [{ ...BTC_USDT, tickSize: '0.000001', contractSize: '0.0001' }] }), /symbols\[0\]: symbol btc_usdt: tickSize × contractSize must be a multiple of 1e-8/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, maxLeverage: 50 }] }), /symbols\[0\]: symbol btc_usdt: tier 1 maxLeverage must be in \[1, maxLeverage\]/);
    assert.match(refusal({ symbols: [BTC_USDT, { ...BTC_USDT }] }), /symbols\[1\]\.symbol: btc_usdt is listed twice/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, contractType: 'DELIVERY' }] }), /symbols\[0\]: symbol btc_usdt: a DELIVERY contract needs delivery\.deliveryTime/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, underlyingType: 'COIN_BASED' }] }), /symbols\[0\]: symbol btc_usdt: a COIN_BASED contract settles in its base asset BTC, not USDT/);
    assert.match(refusal({ symbols: [{ ...BTC_USDT, pricing: { markMethod: 'LAST' } }] }), /symbols\[0\]\.pricing\.markMethod: must be one of "MEDIAN", "INDEX"/);
  });

  test('flags and variables are checked too; a missing file is named', () => {
    assert.throws(() => readSettings(['--log-level', 'loud'], {}), /log level must be one of/);
    assert.throws(() => readSettings(['--metrics-path', '/healthz'], {}), /ops\.metricsPath: \/healthz is taken/);
    assert.throws(() => readSettings(['--metrics-path', '/future/x'], {}), /taken by another endpoint or front door/);
    assert.throws(() => readSettings(['--config', join(dir, 'absent.json')], {}), /cannot read the configuration file .*absent\.json/);
    assert.throws(() => readSettings(['--bogus'], {}), (e: unknown) => e instanceof UsageError && /--bogus/.test(e.message) && /--config/.test(e.message));
  });

  test('--print-config writes the effective configuration as a file that reads back the same', () => {
    const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));
    const printed = spawnSync(process.execPath, [main, '--print-config', '--port', '9400', '--admin-token', 'not-printed-token'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(printed.status, 0, printed.stderr);
    assert.ok(!printed.stdout.includes('not-printed-token'), 'the admin token is left out');
    const path = file(printed.stdout);
    const back = readSettings(['--config', path], {});
    assert.equal(back.port, 9400);
    assert.deepEqual(back.config.symbols, DEFAULT_SYMBOLS);
    assert.deepEqual({ ...back.config, server: { ...back.config.server, port: 8080 } }, structuredClone(DEFAULT_CONFIG));
  });

  test('merging leaves the defaults untouched', () => {
    const before = JSON.stringify(DEFAULT_CONFIG);
    mergeConfig(DEFAULT_CONFIG, { server: { port: 1 }, dialects: { xt: { idleMs: 1 } } });
    assert.equal(JSON.stringify(DEFAULT_CONFIG), before);
  });
});

describe('watch CLI options (node:util.parseArgs)', () => {
  test('--x=y and --x y read the same; unknown flags and topics are refused', () => {
    const a = parseOptions(['--url=http://h:1/', '--api-key=k', '--secret=s', '--topics=order,trade'], {});
    const b = parseOptions(['--url', 'http://h:1', '--api-key', 'k', '--secret', 's', '--topics', 'order,trade'], {});
    assert.deepEqual(a, { url: 'http://h:1', apiKey: 'k', secret: 's', topics: ['order', 'trade'] });
    assert.deepEqual(b, a);
    assert.deepEqual(parseOptions([], { PERPSTREAM_API_KEY: 'k', PERPSTREAM_SECRET: 's' }), { url: 'http://127.0.0.1:8080', apiKey: 'k', secret: 's', topics: ['balance', 'position', 'trade', 'order', 'notify'] });
    assert.match(parseOptions(['--api-key=k'], {}) as string, /secret are required/);
    assert.match(parseOptions(['--api-key=k', '--secret=s', '--bogus=1'], {}) as string, /bogus/);
    assert.match(parseOptions(['--api-key=k', '--secret=s', '--topics=orders'], {}) as string, /not orders/);
  });
});
