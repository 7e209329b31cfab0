/**
 * Property-based fuzzing of every dialect's REST front door (fast-check) against a started server:
 * each case is a valid request with exactly one thing wrong (cases.ts, bad-values.ts), signed as
 * the exchange's clients sign. Every case must be refused in the dialect's own error shape, never
 * with a 5xx, and change nothing: the engine's command sequence and state hash (balances, positions,
 * open orders) are as before. First, per endpoint, the control: the valid request is accepted, so
 * the refusals below are the faults' doing. Runs and seed: options.ts (`npm run fuzz -- --runs N`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { casesOf, type Case } from './cases.js';
import { endpointsOf } from './endpoints.js';
import { accepted, refusalProblem, send } from './http.js';
import { FUZZ_RUNS, FUZZ_SEED, fuzzParameters, selected } from './options.js';
import { FuzzWorld } from './world.js';

let world: FuzzWorld;
before(async () => { world = await FuzzWorld.start(); });
after(async () => { await world.stop(); });

const ENDPOINTS = endpointsOf(() => world);

describe(`REST front doors, fuzzed (${FUZZ_RUNS} cases per endpoint, seed ${FUZZ_SEED})`, () => {
  for (const e of ENDPOINTS.filter((endpoint) => selected(endpoint.name))) {
    const { name } = e;
    it(`${name}: control — the valid request is accepted`, async () => {
      const answer = await world.send(e, { mutation: { kind: 'none' }, auth: 'none' });
      assert.ok(accepted(e.dialect, answer), `the base request must be accepted, or the fuzz cases prove nothing: ${answer.status} ${answer.body.slice(0, 400)}`);
      // A cancel took the resting bid the other bases name: place another.
      if (e.mutating && /cancel|DELETE/.test(name)) await world.replenish(e.dialect);
    });

    it(`${name}: every malformed request is refused in the dialect's shape and changes nothing`, async () => {
      await fc.assert(fc.asyncProperty(casesOf(e), async (c) => {
        const before = world.fingerprint();
        const answer = await world.send(e, c);
        const problems = [refusalProblem(e.dialect, answer), ...FuzzWorld.changes(before, world.fingerprint())].filter((p) => p !== null);
        if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')} (answer ${answer.status} ${answer.body.slice(0, 300)})`);
      }), fuzzParameters<[Case]>());
      // Still serving.
      assert.ok(accepted('kucoin', await send(world.server.port, 'GET', '/kucoin-futures/api/v1/timestamp', {})), 'the server still answers');
    });
  }
});
