/**
 * The cases the front-door fuzzers found accepted, kept as they were found (each failed before its
 * fix, with an order placed or a margin moved): a JSON body naming a parameter twice (JSON.parse
 * kept the last one without a word), a number with blanks around it (the engine's decimal parser
 * trims them), and a JSON boolean taken as the text "true". Fixed where every front door reads its
 * input: src/server/json-keys.ts (bodies) and src/dialects/param-reader.ts (parameters).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { repeatedKey } from '../../src/server/json-keys.js';
import type { Case, Endpoint } from './cases.js';
import { endpointsOf } from './endpoints.js';
import { refusalProblem } from './http.js';
import { FuzzWorld } from './world.js';

describe('repeatedKey: a JSON key sent twice in one object', () => {
  it('finds it at any depth, and nothing in keys repeated across objects, in values or in strings', () => {
    assert.equal(repeatedKey('{"price":"1","price":"2"}'), 'price');
    assert.equal(repeatedKey('{"a":{"b":1,"b":2}}'), 'b');
    assert.equal(repeatedKey('[{"a":1},{"a":1,"x":[{"y":1,"y":2}]}]'), 'y');
    assert.equal(repeatedKey('{"p\\u0072ice":1,"price":2}'), 'price', 'the same key, escaped differently');
    assert.equal(repeatedKey('{"a":"a","b":"a"}'), undefined);
    assert.equal(repeatedKey('[{"a":1},{"a":1}]'), undefined);
    assert.equal(repeatedKey('{"a":"\\",\\"a\\":1","b":{"a":{}}}'), undefined);
    assert.equal(repeatedKey('{"a":[1,"a",{"a":1}],"b":1}'), undefined);
  });
});

describe('front-door cases the fuzzers found', () => {
  let world: FuzzWorld;
  let endpoints: Endpoint[];
  before(async () => {
    world = await FuzzWorld.start();
    endpoints = endpointsOf(() => world);
  });
  after(async () => { await world.stop(); });

  const refused = async (name: string, c: Case): Promise<void> => {
    const endpoint = endpoints.find((e) => e.name === name)!;
    const before = world.fingerprint();
    const answer = await world.send(endpoint, c);
    assert.equal(refusalProblem(endpoint.dialect, answer), null, `${name} ${JSON.stringify(c)}: ${answer.status} ${answer.body}`);
    assert.deepEqual(FuzzWorld.changes(before, world.fingerprint()), [], `${name} ${JSON.stringify(c)} changed nothing`);
  };

  it('xt: a JSON body naming the price twice (the second " 1")', async () => {
    await refused('xt POST /future/trade/v1/order/create', { mutation: { kind: 'duplicate', field: 'price', value: ' 1' }, auth: 'none' });
  });
  it('binance: quantity "1\\n" in a form body', async () => {
    await refused('binance POST /fapi/v1/order', { mutation: { kind: 'value', field: 'quantity', value: '1\n' }, auth: 'none' });
  });
  it('bybit: a JSON body naming the price twice (the second "\\t1")', async () => {
    await refused('bybit POST /v5/order/create', { mutation: { kind: 'duplicate', field: 'price', value: '\t1' }, auth: 'none' });
  });
  it('kucoin: clientOid true (a JSON boolean is no client order id)', async () => {
    await refused('kucoin POST /api/v1/orders', { mutation: { kind: 'value', field: 'clientOid', value: true }, auth: 'none' });
  });
});
