/**
 * Invariant assertions. They stay on in production: a broken invariant in a money engine
 * means every later state is suspect, so we stop loudly instead of pushing wrong numbers.
 */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}
