/**
 * A compact, schema-free binary encoding of plain values (what persist.ts, History, the ledger and
 * the replay window capture): null, undefined, booleans, numbers, bigints, strings, arrays and
 * plain objects. It knows nothing of the engine's records, so a new field in a snapshot needs no
 * change here. Each encoded unit (one snapshot chunk) is self-contained:
 *
 *   - strings are interned: the first occurrence is written (varint UTF-8 length, bytes) and
 *     numbered, later ones are a varint reference — 'BUY', 'btc_usdt', 'USDT' cost one byte;
 *   - object shapes (the list of keys) are interned the same way: an object is its shape's number
 *     and then its values in key order, so keys are written once per unit, not once per object;
 *   - safe integers are a sign tag and a varint magnitude; bigints within ±(2^53 − 1) likewise
 *     (most amounts), larger ones a sign and their magnitude's bytes; other numbers are float64.
 *
 * Decoding walks the bytes once with no reviver and no intermediate text. Anything else (a Map, a
 * class instance, a symbol, a function) is refused when encoding, so what is read back is exactly
 * what was written.
 */

const enum Tag {
  Null = 0,
  Undefined = 1,
  False = 2,
  True = 3,
  /** varint: a safe integer ≥ 0 (−0 is a Float) */
  PosInt = 4,
  /** varint of −value: a safe integer < 0 */
  NegInt = 5,
  /** 8 bytes little-endian */
  Float = 6,
  /** varint: a bigint from 0 to 2^53 − 1 */
  PosSmallBigint = 7,
  /** varint of −value: a bigint from −(2^53 − 1) to −1 */
  NegSmallBigint = 8,
  /** sign byte (0 +, 1 −), varint byte count, magnitude big-endian */
  BigBigint = 9,
  /** varint byte length, UTF-8 bytes; numbered in the unit's string table */
  NewString = 10,
  /** varint index into the string table */
  StringRef = 11,
  /** varint length, then the items */
  Array = 12,
  /** varint key count, each key as a string value, then the values; numbered in the shape table */
  NewShape = 13,
  /** varint index into the shape table, then the values */
  ShapeRef = 14,
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

export class CodecError extends Error {
  override name = 'CodecError';
}

/** Encodes values into one growing buffer; `finish` returns the bytes of everything written. */
export class BinaryWriter {
  private buffer: Buffer;
  private view: DataView;
  private at = 0;
  private readonly strings = new Map<string, number>();
  private readonly shapes = new Map<string, number>();

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.at + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  private byte(value: number): void {
    this.room(1);
    this.buffer[this.at++] = value;
  }

  /** An unsigned integer up to 2^53 − 1, 7 bits a byte. */
  private varint(value: number): void {
    this.room(8);
    const buffer = this.buffer;
    while (value >= 0x80) {
      buffer[this.at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[this.at++] = value;
  }

  private string(value: string): void {
    const known = this.strings.get(value);
    if (known !== undefined) {
      this.byte(Tag.StringRef);
      this.varint(known);
      return;
    }
    this.strings.set(value, this.strings.size);
    this.byte(Tag.NewString);
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.room(bytes);
    this.buffer.write(value, this.at, bytes, 'utf8');
    this.at += bytes;
  }

  private bigint(value: bigint): void {
    if (value <= MAX_SAFE_BIG && value >= -MAX_SAFE_BIG) {
      const small = Number(value);
      this.byte(small >= 0 ? Tag.PosSmallBigint : Tag.NegSmallBigint);
      this.varint(small >= 0 ? small : -small);
      return;
    }
    this.byte(Tag.BigBigint);
    const negative = value < 0n;
    let hex = (negative ? -value : value).toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    const bytes = hex.length / 2;
    this.byte(negative ? 1 : 0);
    this.varint(bytes);
    this.room(bytes);
    this.buffer.write(hex, this.at, bytes, 'hex');
    this.at += bytes;
  }

  write(value: unknown): void {
    switch (typeof value) {
      case 'number':
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
          this.byte(value >= 0 ? Tag.PosInt : Tag.NegInt);
          this.varint(value >= 0 ? value : -value);
        } else {
          this.byte(Tag.Float);
          this.room(8);
          this.view.setFloat64(this.at, value, true);
          this.at += 8;
        }
        return;
      case 'string':
        this.string(value);
        return;
      case 'bigint':
        this.bigint(value);
        return;
      case 'boolean':
        this.byte(value ? Tag.True : Tag.False);
        return;
      case 'undefined':
        this.byte(Tag.Undefined);
        return;
      case 'object':
        if (value === null) {
          this.byte(Tag.Null);
        } else if (Array.isArray(value)) {
          this.byte(Tag.Array);
          this.varint(value.length);
          for (const item of value as unknown[]) this.write(item);
        } else {
          this.object(value);
        }
        return;
      default:
        throw new CodecError(`cannot encode a ${typeof value}`);
    }
  }

  private object(value: object): void {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) throw new CodecError(`cannot encode a ${value.constructor?.name ?? 'non-plain'} object`);
    const keys = Object.keys(value);
    if (Object.hasOwn(value, '__proto__')) throw new CodecError('cannot encode an own "__proto__" key');
    const signature = keys.join('\u0000');
    const known = this.shapes.get(signature);
    if (known !== undefined) {
      this.byte(Tag.ShapeRef);
      this.varint(known);
    } else {
      this.shapes.set(signature, this.shapes.size);
      this.byte(Tag.NewShape);
      this.varint(keys.length);
      for (const key of keys) this.string(key);
    }
    const record = value as Record<string, unknown>;
    for (const key of keys) this.write(record[key]);
  }
}

/** Encodes one self-contained unit. */
export function encodeBinary(value: unknown): Buffer {
  const writer = new BinaryWriter();
  writer.write(value);
  return writer.finish();
}

/** Decodes one unit written by encodeBinary; throws CodecError on anything malformed or left over. */
export function decodeBinary<T>(bytes: Uint8Array): T {
  const reader = new BinaryReader(bytes);
  const value = reader.read();
  if (reader.at !== bytes.length) throw new CodecError(`${bytes.length - reader.at} bytes left after the value`);
  return value as T;
}

class BinaryReader {
  at = 0;
  private readonly strings: string[] = [];
  private readonly shapes: ((reader: BinaryReader) => Record<string, unknown>)[] = [];
  private readonly buffer: Buffer;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(what: string): never {
    throw new CodecError(`${what} at byte ${this.at}`);
  }

  private byte(): number {
    if (this.at >= this.buffer.length) this.fail('the data ends early');
    return this.buffer[this.at++]!;
  }

  private varint(): number {
    const buffer = this.buffer;
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= buffer.length) this.fail('the data ends inside a number');
      const b = buffer[this.at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 49) this.fail('a number longer than 53 bits');
    }
    if (value > Number.MAX_SAFE_INTEGER) this.fail('a number longer than 53 bits');
    return value;
  }

  private newString(): string {
    const length = this.varint();
    const end = this.at + length;
    if (end > this.buffer.length) this.fail('the data ends inside a string');
    const text = this.buffer.toString('utf8', this.at, end);
    this.at = end;
    this.strings.push(text);
    return text;
  }

  private stringValue(): string {
    const tag = this.byte();
    if (tag === Tag.StringRef) return this.stringRef();
    if (tag === Tag.NewString) return this.newString();
    return this.fail(`tag ${tag} where a key was expected`);
  }

  private stringRef(): string {
    const index = this.varint();
    const text = this.strings[index];
    if (text === undefined) this.fail(`string ${index} before its definition`);
    return text;
  }

  read(): unknown {
    const tag = this.byte();
    switch (tag) {
      case Tag.Null: return null;
      case Tag.Undefined: return undefined;
      case Tag.False: return false;
      case Tag.True: return true;
      case Tag.PosInt: return this.varint();
      case Tag.NegInt: {
        const magnitude = this.varint();
        if (magnitude === 0) this.fail('a negative zero integer');
        return -magnitude;
      }
      case Tag.Float: {
        if (this.at + 8 > this.buffer.length) this.fail('the data ends inside a number');
        const value = this.view.getFloat64(this.at, true);
        this.at += 8;
        return value;
      }
      case Tag.PosSmallBigint: return BigInt(this.varint());
      case Tag.NegSmallBigint: return -BigInt(this.varint());
      case Tag.BigBigint: {
        const sign = this.byte();
        if (sign > 1) this.fail('a bad bigint sign');
        const length = this.varint();
        if (length === 0 || this.at + length > this.buffer.length) this.fail('a bad bigint length');
        let magnitude = 0n;
        let i = this.at;
        const end = this.at + length;
        // Four bytes at a time: one bigint step per 32 bits.
        for (; i + 4 <= end; i += 4) magnitude = (magnitude << 32n) + BigInt(this.buffer.readUInt32BE(i));
        for (; i < end; i++) magnitude = (magnitude << 8n) + BigInt(this.buffer[i]!);
        this.at = end;
        return sign === 1 ? -magnitude : magnitude;
      }
      case Tag.NewString: return this.newString();
      case Tag.StringRef: return this.stringRef();
      case Tag.Array: {
        const length = this.varint();
        if (length > this.buffer.length - this.at) this.fail(`an array of ${length} items in ${this.buffer.length - this.at} bytes`);
        const items = new Array<unknown>(length);
        for (let i = 0; i < length; i++) items[i] = this.read();
        return items;
      }
      case Tag.NewShape: {
        const count = this.varint();
        if (count > this.buffer.length - this.at) this.fail(`a shape of ${count} keys in ${this.buffer.length - this.at} bytes`);
        const keys: string[] = [];
        for (let i = 0; i < count; i++) {
          const key = this.stringValue();
          // A plain object's own "__proto__" would set its prototype instead: never written, never read.
          if (key === '__proto__') this.fail('a "__proto__" key');
          keys.push(key);
        }
        const make = shapeFactory(keys);
        this.shapes.push(make);
        return make(this);
      }
      case Tag.ShapeRef: {
        const index = this.varint();
        const make = this.shapes[index];
        if (make === undefined) this.fail(`shape ${index} before its definition`);
        return make(this);
      }
      default:
        return this.fail(`an unknown tag ${tag}`);
    }
  }

}

/**
 * A function that builds one object of the shape from the next values: an object literal with
 * every key, so the object is created with its final layout at once (adding keys one by one to
 * `{}` would move most of them to a separately allocated, repeatedly grown property store). The
 * literal's values are evaluated in key order. Keys are written into the source as JSON string
 * literals, and "__proto__" (a literal's prototype setter) is refused before this is called.
 */
function shapeFactory(keys: readonly string[]): (reader: BinaryReader) => Record<string, unknown> {
  const cached = factories.get(keys.join('\u0000'));
  if (cached !== undefined) return cached;
  // Generated from JSON-quoted keys only.
  const make = new Function('r', `return {${keys.map((key) => `${JSON.stringify(key)}: r.read()`).join(', ')}};`) as (reader: BinaryReader) => Record<string, unknown>;
  if (factories.size < MAX_CACHED_SHAPES) factories.set(keys.join('\u0000'), make);
  return make;
}

/** Shapes seen in earlier units (snapshot chunks repeat the same few dozen), up to a bound. */
const factories = new Map<string, (reader: BinaryReader) => Record<string, unknown>>();
const MAX_CACHED_SHAPES = 4096;
