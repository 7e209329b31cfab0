/**
 * The one way a stream reads what a client sent: every dialect's message handler gets its text
 * through `Session.onText` and its JSON through `readJsonObject`, so a `null`, an array, a number
 * or a string where an object was expected is an answerable mistake, never a TypeError.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export type InboundJson =
  | { ok: true; value: JsonObject }
  | { ok: false; problem: 'not-json' | 'not-object' };

/** Parses a text frame that must hold one JSON object. */
export function readJsonObject(text: string): InboundJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not-json' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'not-object' };
  return { ok: true, value: value as JsonObject };
}

/** A request id to echo back: strings and whole numbers as sent, anything else as null. */
export function requestIdOf(value: unknown): string | number | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return null;
}
