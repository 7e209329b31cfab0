/**
 * fixed.ts (exact decimal money) and format.ts (wire strings from ticks, contracts and amounts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantError } from '../../src/engine/assert.js';
import {
  ceilDiv, decimalPlaces, floorDiv, formatAmount, formatRate, formatRatio, formatScaled, parseAmount, parseRate, parseScaled,
} from '../../src/engine/fixed.js';
import { formatAveragePrice, formatBaseQty, formatPrice } from '../../src/engine/format.js';
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';

describe('fixed: parseAmount / formatAmount', () => {
  it('parses decimal strings into exact counts of 1e-8', () => {
    assert.equal(parseAmount('1'), 100_000_000n);
    assert.equal(parseAmount('0.00000001'), 1n);
    assert.equal(parseAmount('30.36506'), 3_036_506_000n); // 30.36506 × 1e8
    assert.equal(parseAmount('71200.81145'), 7_120_081_145_000n);
    assert.equal(parseAmount('+2'), 200_000_000n);
    assert.equal(parseAmount(' 12.5 '), 1_250_000_000n); // surrounding blanks are trimmed
    assert.equal(parseAmount('007.10'), 710_000_000n); // leading zeros and trailing zeros are harmless
    assert.equal(parseAmount('0'), 0n);
  });

  it('parses negative numbers (and -0 as 0)', () => {
    assert.equal(parseAmount('-1.5'), -150_000_000n);
    assert.equal(parseAmount('-0.00000001'), -1n);
    assert.equal(parseAmount('-0'), 0n);
  });

  it('accepts trailing zeros beyond 8 places but rejects a 9th significant decimal', () => {
    assert.equal(parseAmount('1.000000000'), 100_000_000n); // 9 places, the 9th is a zero
    assert.equal(parseAmount('0.123456780000'), 12_345_678n);
    assert.throws(() => parseAmount('1.000000001'), RangeError);
    assert.throws(() => parseAmount('0.000000005'), RangeError);
  });

  it('rejects junk', () => {
    for (const junk of ['', ' ', 'abc', '1.', '.5', '1e5', '1,000', '1.2.3', '--1', '0x10', 'NaN', 'Infinity', '1 000']) {
      assert.throws(() => parseAmount(junk), RangeError, `"${junk}" should be rejected`);
    }
  });

  it('formats with trimmed zeros by default and keeps minDecimals', () => {
    assert.equal(formatAmount(150_000_000n), '1.5');
    assert.equal(formatAmount(100_000_000n), '1');
    assert.equal(formatAmount(100_000_000n, 2), '1.00');
    assert.equal(formatAmount(1n), '0.00000001');
    assert.equal(formatAmount(-1n), '-0.00000001');
    assert.equal(formatAmount(0n), '0');
    assert.equal(formatAmount(0n, 8), '0.00000000');
    assert.equal(formatAmount(-7_120_081_145_000n), '-71200.81145');
    assert.equal(formatScaled(5n, 8), '0.00000005'); // default minDecimals = decimals
    assert.equal(formatScaled(50n, 2), '0.50');
  });

  it('round-trips parse → format → parse exactly', () => {
    const values = ['0', '1', '-1', '0.00000001', '-0.00000001', '123456789.12345678', '-98765.4321', '1000000000000000000000', '30.36506'];
    for (const text of values) {
      const units = parseAmount(text);
      assert.equal(formatAmount(units), text, `format(parse(${text}))`);
      assert.equal(parseAmount(formatAmount(units)), units);
    }
    for (const units of [0n, 1n, -1n, 99_999_999n, 100_000_001n, -123_456_789_012_345_678n]) {
      assert.equal(parseAmount(formatAmount(units)), units, `parse(format(${units}))`);
    }
  });

  it('rates use the same 1e-8 scale; decimalPlaces ignores trailing zeros', () => {
    assert.equal(parseRate('0.0002'), 20_000n);
    assert.equal(parseRate('0.0006'), 60_000n);
    assert.equal(parseRate('0.05'), 5_000_000n);
    assert.equal(formatRate(20_000n), '0.0002');
    assert.equal(decimalPlaces('0.10'), 1);
    assert.equal(decimalPlaces('0.0001'), 4);
    assert.equal(decimalPlaces('5'), 0);
    assert.equal(parseScaled('0.1', 1), 1n);
    assert.throws(() => parseScaled('0.01', 1), RangeError);
    assert.throws(() => decimalPlaces('x'), RangeError);
  });
});

describe('fixed: floorDiv / ceilDiv', () => {
  it('floorDiv rounds toward −∞ for every sign combination', () => {
    assert.equal(floorDiv(7n, 2n), 3n); // 3.5 → 3
    assert.equal(floorDiv(-7n, 2n), -4n); // −3.5 → −4 (plain / would give −3)
    assert.equal(floorDiv(7n, -2n), -4n);
    assert.equal(floorDiv(-7n, -2n), 3n);
    assert.equal(floorDiv(6n, 3n), 2n);
    assert.equal(floorDiv(-6n, 3n), -2n); // exact: no adjustment
    assert.equal(floorDiv(0n, 5n), 0n);
  });

  it('ceilDiv rounds toward +∞ for every sign combination', () => {
    assert.equal(ceilDiv(7n, 2n), 4n); // 3.5 → 4
    assert.equal(ceilDiv(-7n, 2n), -3n); // −3.5 → −3
    assert.equal(ceilDiv(7n, -2n), -3n);
    assert.equal(ceilDiv(-7n, -2n), 4n);
    assert.equal(ceilDiv(6n, 3n), 2n);
    assert.equal(ceilDiv(-6n, 3n), -2n);
    assert.equal(ceilDiv(1n, 100_000_000n), 1n); // the smallest fee rounds up to one unit
  });

  it('division by zero throws', () => {
    assert.throws(() => floorDiv(1n, 0n), InvariantError);
    assert.throws(() => ceilDiv(1n, 0n), InvariantError);
  });
});

describe('fixed: formatRatio rounds half away from zero', () => {
  it('rounds to the requested places', () => {
    assert.equal(formatRatio(1n, 3n, 2), '0.33'); // 0.333… → 0.33
    assert.equal(formatRatio(2n, 3n, 2), '0.67'); // 0.666… → 0.67
    assert.equal(formatRatio(1n, 8n, 2), '0.13'); // 0.125, a tie → up
    assert.equal(formatRatio(5n, 8n, 2), '0.63'); // 0.625 → 0.63
    assert.equal(formatRatio(1n, 2n, 0), '1'); // 0.5 → 1
    assert.equal(formatRatio(3n, 2n, 0), '2'); // 1.5 → 2
    assert.equal(formatRatio(1n, 2n, 4), '0.5'); // trailing zeros trimmed
    assert.equal(formatRatio(10n, 5n, 3), '2');
  });

  it('rounds negatives away from zero and never prints -0', () => {
    assert.equal(formatRatio(-5n, 8n, 2), '-0.63'); // −0.625 → −0.63
    assert.equal(formatRatio(-1n, 2n, 0), '-1'); // −0.5 → −1
    assert.equal(formatRatio(-1n, 3n, 0), '0'); // −0.33 → 0, printed without a sign
    assert.equal(formatRatio(-2n, 3n, 2), '-0.67');
  });

  it('refuses a non-positive denominator', () => {
    assert.throws(() => formatRatio(1n, 0n, 2), InvariantError);
    assert.throws(() => formatRatio(1n, -3n, 2), InvariantError);
  });
});

describe('format: prices, average prices, base quantities', () => {
  const btc = buildSymbolConfig(BTC_USDT); // tick 0.1 → priceDecimals 1, tickUnits 1
  const eth = buildSymbolConfig(ETH_USDT); // tick 0.01 → priceDecimals 2, tickUnits 1
  const half = buildSymbolConfig({ ...BTC_USDT, symbol: 'half_usdt', tickSize: '0.5', contractSize: '0.001' }); // tickUnits 5

  it('formatPrice: ticks × tick size, trailing zeros trimmed', () => {
    assert.equal(formatPrice(btc, 600_100), '60010'); // 600,100 × 0.1 = 60010.0
    assert.equal(formatPrice(btc, 600_101), '60010.1');
    assert.equal(formatPrice(btc, 1), '0.1');
    assert.equal(formatPrice(eth, 350_025), '3500.25'); // 350,025 × 0.01
    assert.equal(formatPrice(eth, 350_020), '3500.2');
    assert.equal(formatPrice(half, 3), '1.5'); // 3 × 0.5
    assert.equal(formatPrice(half, 4), '2');
  });

  it('formatAveragePrice: cost / qty with priceDecimals + extraDecimals, half up, "0" for no quantity', () => {
    // buy 10 @ 60,000 + 30 @ 60,100: cost 6,000,000 + 18,030,000 = 24,030,000 tick-contracts; / 40 = 600,750 ticks = 60,075
    assert.equal(formatAveragePrice(btc, 24_030_000n, 40), '60075');
    // 4,200,004 / 7 = 600,000.571428… ticks = 60,000.0571428… → 5 places (1 + 4): 60000.05714
    assert.equal(formatAveragePrice(btc, 4_200_004n, 7), '60000.05714');
    // with 2 extra places (3 in all): 60000.057
    assert.equal(formatAveragePrice(btc, 4_200_004n, 7, 2), '60000.057');
    // 3 ticks + 4 ticks over 2 contracts = 3.5 ticks of 0.5 = 1.75
    assert.equal(formatAveragePrice(half, 7n, 2), '1.75');
    // 1,000,001 / 2 = 500,000.5 ticks = 50,000.05; 0 extra places → 50000.1 (half up)
    assert.equal(formatAveragePrice(btc, 1_000_001n, 2, 0), '50000.1');
    assert.equal(formatAveragePrice(btc, 0n, 0), '0');
  });

  it('formatBaseQty: contracts × contract size', () => {
    assert.equal(formatBaseQty(btc, 1), '0.0001'); // contract 0.0001 BTC
    assert.equal(formatBaseQty(btc, 100), '0.01');
    assert.equal(formatBaseQty(btc, 12_345), '1.2345');
    assert.equal(formatBaseQty(eth, 3), '0.03'); // contract 0.01 ETH
    assert.equal(formatBaseQty(eth, 250), '2.5');
    assert.equal(formatBaseQty(half, 7), '0.007'); // contract 0.001
    assert.equal(formatBaseQty(btc, 0), '0');
  });
});
