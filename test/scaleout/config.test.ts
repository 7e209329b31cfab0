/**
 * The scale-out's configuration: the command line's mode (none, `engine`, `gateway`), the
 * `scaleout` section (validated like every other, key named on a mistake), flags and environment
 * over the file, and a gateway refused without the engine's admin token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_CONFIG, readSettings, UsageError } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'perpstream-scaleout-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(content: unknown): string {
  const path = join(dir, `config-${(files += 1)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function refused(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    readSettings(argv, env);
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError, not ${String(error)}`);
    return error.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

test('the mode: none is the single process, engine and gateway are the scale-out\'s; anything else is refused', () => {
  assert.equal(readSettings([], {}).mode, 'single');
  assert.equal(readSettings(['engine', '--port', '9000'], {}).mode, 'engine');
  assert.equal(readSettings(['gateway', '--admin-token', 'a-long-token'], {}).mode, 'gateway');
  assert.match(refused(['gateways']), /unexpected argument "gateways": the command line is \[engine \| gateway\]/);
  assert.match(refused(['engine', 'gateway']), /unexpected argument "gateway"/);
});

test('the scaleout section: defaults, a file, then environment and flags; mistakes name their key', () => {
  assert.deepEqual(readSettings([], {}).config.scaleout, DEFAULT_CONFIG.scaleout);
  const path = file({ scaleout: { prefix: 'cluster-a', shards: 16 } });
  const fromFile = readSettings(['--config', path], {}).config.scaleout;
  assert.deepEqual([fromFile.prefix, fromFile.shards, fromFile.redisUrl], ['cluster-a', 16, DEFAULT_CONFIG.scaleout.redisUrl]);
  const overridden = readSettings(['--config', path, '--redis-url', 'redis://10.0.0.5:6380', '--engine-url', 'http://10.0.0.4:8080'], { PERPSTREAM_REDIS_PREFIX: 'cluster-b' }).config.scaleout;
  assert.deepEqual([overridden.redisUrl, overridden.engineUrl, overridden.prefix], ['redis://10.0.0.5:6380', 'http://10.0.0.4:8080', 'cluster-b']);

  assert.match(refused(['--config', file({ scaleout: { shard: 4 } })]), /scaleout\.shard: unknown key \(known here: redisUrl, prefix, shards, streamMaxLen, engineUrl\)/);
  assert.match(refused(['--config', file({ scaleout: { shards: 0 } })]), /scaleout\.shards: must be >= 1/);
  assert.match(refused(['--config', file({ scaleout: { redisUrl: 'localhost:6379' } })]), /scaleout\.redisUrl: must match/);
  assert.match(refused(['--redis-url', 'http://x']), /redis URL must be redis:\/\/host:port/);
  assert.match(refused(['--redis-prefix', 'a b']), /redis prefix must be/);
  assert.match(refused(['--engine-url', 'ftp://x']), /engine URL must be http:\/\/host:port/);
});

test('a gateway needs the engine\'s admin token', () => {
  assert.match(refused(['gateway']), /a gateway needs the engine's admin token/);
  assert.equal(readSettings(['gateway'], { PERPSTREAM_ADMIN_TOKEN: 'from-the-environment' }).adminToken, 'from-the-environment');
});
