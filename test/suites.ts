/**
 * The named suites behind the npm scripts (docs/testing.md):
 *
 *   npm run test:unit                 the engine, its math, the encoders and the parsers: no server,
 *                                     property tests at smoke size; the inner loop (under a minute)
 *   npm run fuzz -- [--runs N] [--seed S] [--path P] [--only TEXT]
 *                                     the front-door fuzzers (test/fuzz) with N cases per endpoint
 *                                     (default 1000); --seed/--path replay a failure fast-check printed
 *
 * `npm test` runs every file under dist/test, this one too: started by the test runner
 * (NODE_TEST_CONTEXT is set) it does nothing.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The unit suite: whole directories that never start a server, and the server-free files of the
 * others. A new quick test file that needs no server belongs here.
 */
const UNIT = [
  'engine', 'property', 'persistence/codec.test.js', 'persistence/binary-codec.test.js', 'persistence/snapshot-format.test.js',
  'risk/adl-queue.test.js', 'risk/liquidation.test.js', 'risk/properties.test.js', 'risk/vectors.test.js',
  'funding/mark-events.test.js', 'funding/mark-pacing.test.js', 'funding/mark.test.js', 'funding/persistence.test.js', 'funding/premium.test.js',
  'funding/properties.test.js', 'funding/settlement.test.js', 'funding/vectors.test.js',
  'binance/encode.test.js', 'binance/algo-encode.test.js', 'bybit/encode.test.js', 'bybit/conditional-encode.test.js',
  'kucoin/encode.test.js', 'kucoin/market-topics.test.js', 'kucoin/stop-units.test.js', 'xt/entrust-objects.test.js',
  'service/config.test.js', 'service/event-bus.test.js', 'service/ledger.test.js', 'ops/config.test.js', 'support/manual-time.test.js',
];

/** Property tests at smoke size for the inner loop (npm test runs them at full size). */
const UNIT_SIZES: Record<string, string> = {
  PERPSTREAM_PROPERTY_SEEDS: '2',
  PERPSTREAM_PROPERTY_COMMANDS: '400',
  PERPSTREAM_RISK_SEEDS: '3',
  PERPSTREAM_RISK_COMMANDS: '200',
};

function flags(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!;
    if (!name.startsWith('--') || i + 1 >= args.length) throw new Error(`unexpected argument ${JSON.stringify(name)}: flags are --name value`);
    out.set(name.slice(2), args[++i]!);
  }
  return out;
}

function run(files: readonly string[], env: Record<string, string>, extra: readonly string[] = []): number {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...extra, ...files.map((f) => join(here, f))], {
    stdio: 'inherit', env: { ...process.env, ...env },
  });
  console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.status ?? 1;
}

function main(args: readonly string[]): number {
  const [suite, ...rest] = args;
  switch (suite) {
    case 'unit':
      return run(UNIT, UNIT_SIZES, ['--test-concurrency=2']);
    case 'fuzz': {
      const given = flags(rest);
      const env: Record<string, string> = { PERPSTREAM_FUZZ_RUNS: given.get('runs') ?? '1000' };
      for (const [flag, name] of [['seed', 'PERPSTREAM_FUZZ_SEED'], ['path', 'PERPSTREAM_FUZZ_PATH'], ['only', 'PERPSTREAM_FUZZ_ONLY']] as const) {
        const value = given.get(flag);
        if (value !== undefined) env[name] = value;
      }
      const unknown = [...given.keys()].filter((name) => !['runs', 'seed', 'path', 'only'].includes(name));
      if (unknown.length > 0) throw new Error(`unknown flag(s) ${unknown.join(', ')}: --runs, --seed, --path, --only`);
      return run(['fuzz'], env);
    }
    default:
      console.error('usage: node dist/test/suites.js unit | fuzz [--runs N] [--seed S] [--path P] [--only TEXT]');
      return 2;
  }
}

if (process.env.NODE_TEST_CONTEXT === undefined) process.exitCode = main(process.argv.slice(2));
