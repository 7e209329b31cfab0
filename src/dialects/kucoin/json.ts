/**
 * JSON with exact numbers. KuCoin sends position, account and fill values as JSON numbers
 * (protocols.md §5.1), and nanosecond times that do not fit a double. A `Num` holds the decimal text
 * formatted from the engine's integers, and `toJson` writes it as a number token exactly as it is:
 * no value ever passes through a float on its way to the wire.
 */

/** A JSON number written verbatim. */
export class Num {
  private constructor(readonly text: string) {}

  private static readonly NUMBER_RE = /^-?(0|[1-9]\d*)(\.\d+)?$/;

  /** From decimal text such as "-0.0408" or "1717724618516000000". */
  static of(text: string): Num {
    if (!Num.NUMBER_RE.test(text)) throw new RangeError(`not a JSON number: "${text}"`);
    return new Num(text === '-0' ? '0' : text);
  }
}

export type JsonValue = Num | string | number | boolean | null | undefined | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Serializes like JSON.stringify (keys in insertion order, `undefined` members left out), except that
 * a Num is written as its text. Plain `number`s must be safe integers: fractions come as Num only.
 */
export function toJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (value instanceof Num) return value.text;
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new RangeError(`only whole numbers may be plain numbers here (got ${value}); use Num`);
      return String(value);
    case 'undefined': return 'null';
    default: break;
  }
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map((item) => toJson(item === undefined ? null : item)).join(',')}]`;
  const parts: string[] = [];
  for (const [key, member] of Object.entries(value as { readonly [key: string]: JsonValue })) {
    if (member === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${toJson(member)}`);
  }
  return `{${parts.join(',')}}`;
}
