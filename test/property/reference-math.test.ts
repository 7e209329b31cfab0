/**
 * The reference model's own contract math (test/reference/symbol-rules.ts) against the worked
 * numbers of docs/engine-rules.md and ../shared/spec/risk.md, so that the model the property tests
 * trust is itself checked against the documents, not against the engine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { ceilDiv, floorDiv, maintenanceOf, readSymbolRules, roundDiv, tierIndexOf } from '../reference/symbol-rules.js';
import { EDGE_USDT } from './generator.js';

const USDT = 100_000_000n;

test('K: BTC_USDT with tick 0.1 and contract 0.0001 BTC has K = 1000 (rules: Units)', () => {
  assert.equal(readSymbolRules(BTC_USDT).k, 1000n);
  assert.equal(readSymbolRules(ETH_USDT).k, 10_000n); // 0.01 × 0.01 × 10⁸
  assert.equal(readSymbolRules(EDGE_USDT).k, 100_000n); // 0.0001 × 10 × 10⁸
});

test('maintenance amounts follow the cum recurrence (risk.md §5.1, V1: the old BTCUSDT table)', () => {
  const tiers = readSymbolRules(BTC_USDT).tiers;
  assert.deepEqual(tiers.map((t) => t.cum), [0n, 50n * USDT, 1300n * USDT, 16_300n * USDT]);
  assert.deepEqual(tiers.map((t) => t.mmr), [400_000n, 500_000n, 1_000_000n, 2_500_000n]);
});

test('maintenance margin: notional × MMR − cum of its tier, rounded up (risk.md V2)', () => {
  const tiers = readSymbolRules(BTC_USDT).tiers;
  // 3,500,032.458 USDT × 2.5% − 16,300 = 71,200.81145
  assert.equal(maintenanceOf(tiers, 350_003_245_800_000n), 7_120_081_145_000n);
  // continuous across a tier floor: 50,000 × 0.4% = 50,000 × 0.5% − 50 = 200
  assert.equal(maintenanceOf(tiers, 50_000n * USDT), 200n * USDT);
  assert.equal(maintenanceOf(tiers, 50_000n * USDT - 1n), 200n * USDT); // ceil(…) of 199.99999999 × … rounds up
  assert.equal(tierIndexOf(tiers, 50_000n * USDT - 1n), 0);
  assert.equal(tierIndexOf(tiers, 50_000n * USDT), 1);
  assert.equal(maintenanceOf(tiers, 0n), 0n);
});

test('funding rate without samples: interest, clamp, interval scaling (halves away from zero), cap', () => {
  // I = 0.01% per 8 h, 8-hour interval: F = 0.0001; cap 0.75 × (1/125 − 0.4%) = 0.30% (risk.md V15) does not bind.
  assert.equal(readSymbolRules(BTC_USDT).fundingRate, 10_000n);
  // I = −0.00012345 over 4 h: −6172.5 → −6173.
  assert.equal(readSymbolRules(EDGE_USDT).fundingRate, -6173n);
  // A cap that binds: the default cap of a 125x symbol is 300,000 (0.30%).
  assert.equal(readSymbolRules({ ...BTC_USDT, pricing: { interestRate: '0.01', premiumClamp: '0.5' } }).fundingRate, 300_000n);
  // The clamp binds first: I = 0.1% clamped to ±0.05%.
  assert.equal(readSymbolRules({ ...BTC_USDT, pricing: { interestRate: '0.001' } }).fundingRate, 50_000n);
});

test('integer division helpers round as named', () => {
  assert.deepEqual([floorDiv(7n, 2n), floorDiv(-7n, 2n), ceilDiv(7n, 2n), ceilDiv(-7n, 2n)], [3n, -4n, 4n, -3n]);
  assert.deepEqual([roundDiv(5n, 2n), roundDiv(-5n, 2n), roundDiv(7n, 3n), roundDiv(-8n, 3n)], [3n, -3n, 2n, -3n]);
});
