/**
 * The bigint-safe JSON codec: bigints round-trip exactly at any depth, values without one take the
 * plain path and come out as plain JSON, and no string a client sends can turn into a number.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJson, encodeJson } from '../../src/persistence/codec.js';

test('bigints round-trip exactly, at the top, nested in objects and in arrays', () => {
  const values: unknown[] = [
    123456789012345678901234567890n,
    { seq: 1, command: { type: 'deposit', accountId: 1, asset: 'USDT', amount: -5n, time: 7 } },
    [{ a: [1, 2, { b: 10n ** 30n }] }, null, 'x'],
  ];
  for (const value of values) assert.deepEqual(decodeJson(encodeJson(value)), value);
});

test('a value without bigints is encoded exactly as JSON.stringify does', () => {
  const record = { seq: 9, command: { type: 'placeOrder', accountId: 3, symbol: 'btc_usdt', price: 600001, qty: 2, clientOrderId: null, reduceOnly: false } };
  assert.equal(encodeJson(record), JSON.stringify(record));
  assert.deepEqual(decodeJson(encodeJson(record)), record);
});

test('a client string shaped like the bigint marker stays a string', () => {
  const value = { clientOrderId: '{"$n":"5"}', note: '$n' };
  assert.deepEqual(decodeJson(encodeJson(value)), value);
});
