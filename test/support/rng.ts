/** A seeded PRNG (mulberry32) for reproducible random tests, and the seed a run uses. */

export interface Rng {
  (): number;
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.chance = (p) => next() < p;
  next.pick = (items) => items[Math.floor(next() * items.length)]!;
  return next;
}

/** The seed from `PERPSTREAM_<name>_SEED`, or a fresh one; always printed by the caller. */
export function seedFrom(name: string): number {
  const given = process.env[`PERPSTREAM_${name}_SEED`];
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return (Date.now() ^ (process.pid << 8)) >>> 0;
}
