/**
 * The snapshot chunks' binary codec: every plain value round-trips exactly (bigints on both sides
 * of 2^53 and far beyond, integers at the safe-integer edges, −0, floats, Unicode, repeated strings
 * and shapes), anything else is refused when writing, and damaged bytes are refused when reading.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError, decodeBinary, encodeBinary } from '../../src/persistence/binary-codec.js';
import { rng } from '../../bench/rng.js';

const roundTrip = (value: unknown): unknown => decodeBinary(encodeBinary(value));

test('bigints straddling 2^53 and edge values round-trip exactly', () => {
  const two53 = 2n ** 53n;
  const values: bigint[] = [0n, 1n, -1n, 127n, 128n, -128n, 2n ** 31n, 2n ** 32n, -(2n ** 32n), 10n ** 8n];
  for (let d = -3n; d <= 3n; d++) values.push(two53 + d, -(two53 + d));
  values.push(2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 10n ** 22n, 10n ** 30n + 7n, -(10n ** 40n) - 1n, 2n ** 200n + 12345n);
  for (const value of values) {
    const back = roundTrip(value);
    assert.equal(typeof back, 'bigint', `${value} stays a bigint`);
    assert.equal(back, value);
  }
  assert.deepEqual(roundTrip(values), values, 'in a list');
});

test('numbers: safe integers at the edges, −0, fractions, infinities, NaN', () => {
  const values = [0, -0, 1, -1, 63, 64, -64, -65, 2 ** 31, -(2 ** 31), 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1, 2 ** 60, 0.5, -1.25, 1e-300, Infinity, -Infinity, NaN];
  for (const value of values) assert.ok(Object.is(roundTrip(value), value), `${value} round-trips`);
  assert.equal(typeof roundTrip(5), 'number', 'a number stays a number');
});

test('strings, repeated strings and shapes, nesting, null, undefined and booleans', () => {
  const value = {
    empty: '', ascii: 'btc_usdt', unicode: 'Ünïcødé — 日本語 🚀', quoteish: '{"$n":"5"}',
    list: [{ side: 'BUY', qty: 1n }, { side: 'SELL', qty: -2n }, { side: 'BUY', qty: 3n }, { other: 'BUY' }],
    nested: { a: { b: { c: [null, true, false, undefined, [], {}] } } },
    missing: undefined,
  };
  assert.deepEqual(roundTrip(value), value);
  const back = roundTrip({ a: undefined }) as Record<string, unknown>;
  assert.ok('a' in back && back.a === undefined, 'an undefined property stays present');
});

test('repeated strings and shapes are written once', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({ kind: 'REALIZED_PNL', asset: 'USDT', symbol: 'btc_usdt', amount: BigInt(i) }));
  const bytes = encodeBinary(rows);
  assert.ok(bytes.length < 1000 * 12, `1000 rows in ${bytes.length} bytes`);
  assert.deepEqual(decodeBinary(bytes), rows);
});

test('seeded random plain values round-trip', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = rng(seed);
    const int = (n: number): number => Math.floor(random() * n);
    const words = ['BUY', 'SELL', 'USDT', 'btc_usdt', 'é', '', 'x'.repeat(300)];
    const make = (depth: number): unknown => {
      switch (int(depth > 3 ? 6 : 9)) {
        case 0: return null;
        case 1: return random() < 0.5;
        case 2: return int(2) === 0 ? int(1000) - 500 : Math.floor((random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
        case 3: return (BigInt(int(2 ** 30)) << BigInt(int(100))) * (random() < 0.5 ? -1n : 1n);
        case 4: return words[int(words.length)]! + (random() < 0.3 ? String(int(100)) : '');
        case 5: return random() - 0.5;
        case 6: return Array.from({ length: int(6) }, () => make(depth + 1));
        default: {
          const record: Record<string, unknown> = {};
          for (let i = int(6); i > 0; i--) record[`k${int(8)}`] = make(depth + 1);
          return record;
        }
      }
    };
    const value = Array.from({ length: 200 }, () => make(0));
    assert.deepEqual(roundTrip(value), value, `seed ${seed}`);
  }
});

test('only plain data is written', () => {
  for (const value of [new Map(), new Set([1]), new Date(0), () => 1, Symbol('s'), { nested: [new Uint8Array(2)] }]) {
    assert.throws(() => encodeBinary(value), CodecError);
  }
  assert.deepEqual(roundTrip(Object.assign(Object.create(null), { a: 1 })), { a: 1 }, 'a null-prototype object is plain');
});

test('damaged bytes are refused, never misread', () => {
  const bytes = encodeBinary({ side: 'BUY', amounts: [1n, 2n ** 70n, -5n], id: 'abc' });
  for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeBinary(bytes.subarray(0, cut)), CodecError, `cut at ${cut}`);
  assert.throws(() => decodeBinary(Buffer.concat([bytes, Buffer.from([0])])), CodecError, 'trailing bytes');
  assert.throws(() => decodeBinary(Buffer.from([200])), CodecError, 'an unknown tag');
  assert.throws(() => decodeBinary(Buffer.from([11, 0])), CodecError, 'a string reference before its definition');
  assert.throws(() => decodeBinary(Buffer.from([4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), CodecError, 'a varint over 53 bits');
});
