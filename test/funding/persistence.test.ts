/**
 * The new state survives snapshot and restore and is covered by the state hash: index, basis and
 * premium samples, the last funding rate and time, fundingTotal, and the mark-event pacing (which
 * decides future events, so a restored engine must push exactly what the original would).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type EngineSnapshot } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { decodeJson, encodeJson } from '../../src/persistence/codec.js';
import { Harness, V, vSymbol } from './helpers.js';

const OPTIONS = { symbols: [...DEMO_SYMBOLS, vSymbol()] };

function build(): Harness {
  const h = new Harness();
  const maker = h.account('1000000');
  const a = h.account('100000');
  const b = h.account('100000');
  h.buy(maker, 2000, 29_990, { symbol: V });
  h.sell(maker, 2000, 30_020, { symbol: V });
  h.open(a, b, 10, 30_000);
  h.index(30_000);
  h.tick();
  h.settle(V);
  h.advance(5000);
  h.index(30_005);
  h.tick();
  return h;
}

const roundTrip = (snapshot: EngineSnapshot): EngineSnapshot => decodeJson<EngineSnapshot>(encodeJson(snapshot));

describe('prices and funding in snapshots and the state hash', () => {
  it('a restored engine has the same view and hash, and pushes exactly what the original pushes', () => {
    const h = build();
    const view = h.view();
    const pricing = view.pricing.find((p) => p.symbol === V)!;
    assert.equal(pricing.indexPrice, 30_005);
    assert.ok(pricing.basisSamples.length === 2 && pricing.premiumSamples === 1 && pricing.lastFundingTime !== null);
    assert.ok(view.accounts.some((acc) => acc.positions.some((p) => p.fundingTotal !== 0n)));
    const restored = Engine.restore(OPTIONS, roundTrip(h.engine.snapshot()));
    assert.deepEqual(restored.view(), view);
    assert.equal(restored.stateHash(), h.engine.stateHash());
    // The mark was pushed at the last tick: a change 500 ms later is held back by both, one at 1000 ms pushed by both.
    const pushed: number[] = [];
    for (const [advance, price] of [[500, 30_100], [500, 30_200], [0, 30_300]] as const) {
      h.advance(advance);
      const command = { type: 'setIndexPrice', symbol: V, price, time: h.time } as const;
      const applied = h.engine.apply(command);
      assert.deepEqual(restored.apply(command), applied);
      pushed.push(applied.events.length);
    }
    assert.deepEqual(pushed, [0, 2, 0]);
    const settle = { type: 'settleFunding', symbol: V, time: h.time } as const;
    assert.deepEqual(restored.apply(settle), h.engine.apply(settle));
    assert.equal(restored.stateHash(), h.engine.stateHash());
  });

  it('every piece of the price state is in the hash', () => {
    const h = build();
    const hash = h.engine.stateHash();
    const snapshot = h.engine.snapshot();
    const variants: ((s: EngineSnapshot) => void)[] = [
      (s) => { s.pricing!.find((p) => p.symbol === V)!.indexPrice = 30_006; },
      (s) => { s.pricing!.find((p) => p.symbol === V)!.basisSamples[0]! += 2; },
      (s) => { s.pricing!.find((p) => p.symbol === V)!.premiumWeightedSum += 1n; },
      (s) => { s.pricing!.find((p) => p.symbol === V)!.lastFundingRate += 1n; },
      (s) => { s.pricing!.find((p) => p.symbol === V)!.lastFundingTime! -= 1; },
      (s) => { s.pricing!.find((p) => p.symbol === V)!.premiumSlot! += 1; },
      (s) => {
        const position = s.accounts.flatMap((a) => a.positions).find((p) => (p.fundingTotal ?? 0n) !== 0n)!;
        position.fundingTotal! += 1n;
      },
    ];
    for (const [i, change] of variants.entries()) {
      const copy = roundTrip(snapshot);
      change(copy);
      assert.notEqual(Engine.restore(OPTIONS, copy).stateHash(), hash, `variant ${i}`);
    }
  });

  it('a snapshot from before funding existed restores with no index, no samples and no funding', () => {
    const h = new Harness();
    const a = h.account('1000');
    const b = h.account('1000');
    h.open(a, b, 10, 30_000);
    const old = roundTrip(h.engine.snapshot());
    delete old.pricing;
    for (const account of old.accounts) {
      for (const p of account.positions) {
        delete p.fundingTotal;
        delete p.emittedMark;
        delete p.markEventTime;
      }
    }
    const restored = Engine.restore(OPTIONS, old);
    assert.deepEqual(restored.view(), h.view());
  });
});
