/** How a simulation run is reported: a failure with the command that reproduces it, a sweep's totals. */
import type { SimResult } from './simulator.js';

/** The totals of a sweep as text (also what docs/testing.md records). */
export function summarize(results: readonly SimResult[], steps: number, ms: number): string {
  const passed = results.filter((r) => r.failure === null);
  const counts = new Map<string, number>();
  const frames = new Map<string, number>();
  const outcomes = new Map<string, { accepted: number; refused: number }>();
  const reasons = new Map<string, number>();
  for (const result of results) {
    for (const [reason, n] of result.eventKinds) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    for (const [type, o] of result.outcomes) {
      const sum = outcomes.get(type) ?? { accepted: 0, refused: 0 };
      outcomes.set(type, { accepted: sum.accepted + o.accepted, refused: sum.refused + o.refused });
    }
    for (const [kind, n] of result.counts) counts.set(kind, (counts.get(kind) ?? 0) + n);
    for (const [dialect, n] of result.frames) frames.set(dialect, (frames.get(dialect) ?? 0) + n);
  }
  const lines = [
    `${passed.length} of ${results.length} seeds × ${steps} steps passed (${results.reduce((n, r) => n + r.steps, 0)} steps, ` +
      `${results.reduce((n, r) => n + r.commands, 0)} commands applied) in ${(ms / 1000).toFixed(1)} s`,
    'faults and events, by kind:',
    ...[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `  ${kind}: ${n}`),
    `commands by type (accepted/refused): ${[...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([t, o]) => `${t} ${o.accepted}/${o.refused}`).join(', ')}`,
    `events by reason: ${[...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
    `frames encoded: ${[...frames].map(([d, n]) => `${d} ${n}`).join(', ')}`,
    ...failureKinds(results),
    `failures: ${results.length - passed.length}${results.length > passed.length ? ` (seeds ${results.filter((r) => r.failure !== null).map((r) => r.seed).join(', ')})` : ''}`,
  ];
  return lines.join('\n');
}

export function describeFailure(result: SimResult, steps: number): string {
  const failure = result.failure!;
  return `FAIL seed ${result.seed}, step ${failure.step}: ${failure.message}\n  reproduce: npm run sim -- --seed ${result.seed} --steps ${steps}`;
}

/** Failures grouped by their first line with the numbers taken out: how many distinct defects a sweep met. */
function failureKinds(results: readonly SimResult[]): string[] {
  const kinds = new Map<string, number[]>();
  for (const result of results) {
    if (result.failure === null) continue;
    const kind = result.failure.message.split('\n')[0]!.replace(/\d+/g, 'N').replace(/ \([a-z]+\)/, '');
    kinds.set(kind, [...(kinds.get(kind) ?? []), result.seed]);
  }
  return [...kinds].map(([kind, seeds]) => `failure kind (${seeds.length}×, seeds ${seeds.join(', ')}): ${kind}`);
}
