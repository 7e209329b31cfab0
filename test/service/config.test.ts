/** Start-up settings: flags (node:util.parseArgs, strict), then PERPSTREAM_* variables, then defaults. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSettings, UsageError } from '../../src/config.js';

test('flags win over environment variables, which win over defaults', () => {
  const s = readSettings(['--port=9001', '--data-dir', '/d', '--no-sim'], { PERPSTREAM_PORT: '81', PERPSTREAM_HOST: '0.0.0.0', PERPSTREAM_ADMIN_TOKEN: 't' });
  assert.deepEqual({ port: s.port, host: s.host, dataDir: s.dataDir, adminToken: s.adminToken, adminTokenGenerated: s.adminTokenGenerated, simulator: s.simulator },
    { port: 9001, host: '0.0.0.0', dataDir: '/d', adminToken: 't', adminTokenGenerated: false, simulator: false });
  const d = readSettings([], {});
  assert.equal(d.port, 8080);
  assert.equal(d.dataDir, './data');
  assert.equal(d.simulator, true);
  assert.equal(d.adminTokenGenerated, true);
  assert.match(d.adminToken, /^[A-Za-z0-9_-]{24}$/);
});

test('an unknown flag, a missing value, a positional argument or a bad port is a usage error that names it', () => {
  for (const [argv, named] of [
    [['--bogus'], '--bogus'], [['--port'], '--port'], [['extra'], 'extra'], [['--no-sim=1'], '--no-sim'],
    [['--port', '70000'], '70000'], [['--port', '1.5'], '1.5'], [['--port=-1'], '-1'], [['--port', '-1'], '--port=-XYZ'],
  ] as const) {
    assert.throws(() => readSettings(argv, {}), (e: unknown) => e instanceof UsageError && e.message.includes(named), argv.join(' '));
  }
  assert.throws(() => readSettings([], { PERPSTREAM_PORT: 'abc' }), /port must be 0-65535, got "abc"/);
});
