/**
 * How many cases the front-door fuzzers run, and from which seed. CI (`npm test`) runs a fixed,
 * seeded number per endpoint; `npm run fuzz -- --runs N [--seed S] [--path P] [--only text]`
 * (test/runner.ts) passes its flags here through the environment:
 *
 *   PERPSTREAM_FUZZ_RUNS   cases per endpoint (default 50)
 *   PERPSTREAM_FUZZ_SEED   fast-check's seed (default a fixed one, so CI runs the same cases every time)
 *   PERPSTREAM_FUZZ_PATH   fast-check's path of a failure (with its seed: replays exactly that case)
 *   PERPSTREAM_FUZZ_ONLY   run only the endpoints whose name contains this text
 *
 * A failure prints the endpoint, the seed and the path, and the case itself (shrunk).
 */
import type { Parameters as FcParameters } from 'fast-check';

/** The seed CI runs with (any fixed number: the point is that every run sees the same cases). */
export const DEFAULT_FUZZ_SEED = 20_261_207;

export const FUZZ_RUNS = Number(process.env.PERPSTREAM_FUZZ_RUNS ?? 50);
export const FUZZ_SEED = Number(process.env.PERPSTREAM_FUZZ_SEED ?? DEFAULT_FUZZ_SEED);
const FUZZ_PATH = process.env.PERPSTREAM_FUZZ_PATH;
const FUZZ_ONLY = process.env.PERPSTREAM_FUZZ_ONLY;

/** Whether the endpoint named `name` runs (PERPSTREAM_FUZZ_ONLY). */
export function selected(name: string): boolean {
  return FUZZ_ONLY === undefined || FUZZ_ONLY === '' || name.includes(FUZZ_ONLY);
}

/** fast-check's run parameters for one endpoint. */
export function fuzzParameters<T>(): FcParameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: FUZZ_RUNS,
    ...(FUZZ_PATH === undefined || FUZZ_PATH === '' ? {} : { path: FUZZ_PATH }),
    // A case is a real request against a real server: shrinking a failure is worth a few hundred more.
    endOnFailure: false,
    interruptAfterTimeLimit: undefined,
  };
}
