/**
 * `npm run sim -- --seed S --steps N`: one seed of the whole-service simulation (simulator.ts);
 * `--seeds K`: seeds 1…K (or S…S+K−1 with --seed); `--dump DIR`: a failing seed's applied commands
 * are written there as JSON. Prints each failure with its seed and step and
 * the command that reproduces it, then the totals: seeds × steps passed, commands, faults by kind,
 * frames per dialect, failures. Exits non-zero when a seed failed.
 *
 * `npm test` runs every file under dist/test, this one too: started by the test runner
 * (NODE_TEST_CONTEXT is set) it does nothing (sim.test.ts is the simulation's test).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFailure, summarize } from './report.js';
import { simulate, type SimResult } from './simulator.js';

interface Args {
  /** Where a failing seed's applied commands are written (`--dump DIR`), to replay them outside the simulator. */
  dump: string | null;
  first: number;
  seeds: number;
  steps: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    if (!name.startsWith('--') || argv[i + 1] === undefined) throw new Error(`usage: npm run sim -- [--seed S] [--seeds K] [--steps N] (got ${argv.join(' ')})`);
    args.set(name.slice(2), argv[++i]!);
  }
  for (const name of args.keys()) if (!['seed', 'seeds', 'steps', 'dump'].includes(name)) throw new Error(`unknown option --${name}; options: --seed, --seeds, --steps, --dump`);
  const number = (name: string, fallback: number): number => {
    const text = args.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, not ${text}`);
    return value;
  };
  return { dump: args.get('dump') ?? null, first: number('seed', 1), seeds: number('seeds', 1), steps: number('steps', 300) };
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const results: SimResult[] = [];
  for (let seed = args.first; seed < args.first + args.seeds; seed++) {
    const dump = args.dump;
    let dumped: string | null = null;
    const result = await simulate({
      seed, steps: args.steps,
      onFailure: dump === null ? undefined : (reference) => {
        const file = join(dump, `seed-${seed}-commands.json`);
        writeFileSync(file, `[\n${reference.commandLog().join(',\n')}\n]\n`);
        dumped = `  the ${reference.cmdSeq} commands applied (bigints as {"$n"}, decodeJson reads them): ${file}`;
      },
    });
    results.push(result);
    if (result.failure !== null) console.log(describeFailure(result, args.steps));
    if (dumped !== null) console.log(dumped);
    else if (args.seeds > 1 && results.length % 10 === 0) console.log(`… ${results.length} seeds done`);
  }
  console.log(summarize(results, args.steps, performance.now() - started));
  if (results.some((r) => r.failure !== null)) process.exitCode = 1;
}

if (process.env.NODE_TEST_CONTEXT === undefined) await main();
