/**
 * KuCoin's contract names and currency codes (src/dialects/kucoin/symbols.ts): perpetuals BASE +
 * QUOTE + "M" (XBTUSDTM, XBTUSDM), coin-margined quarterlies BASE + "M" + month code + year
 * (XBTMH27), no USDT-margined quarterly; BTC is XBT.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BTC_USD, BTC_USD_0326, BTC_USDT, BTC_USDT_0326, ETH_USDT } from '../../src/engine/demo-symbols.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import { engineAsset, kucoinCurrency, kucoinSymbolName, KucoinSymbols } from '../../src/dialects/kucoin/symbols.js';

describe('KuCoin symbols', () => {
  it('names the demo contracts as KuCoin does, and lists no USDT-margined quarterly', () => {
    const configs = [BTC_USDT, ETH_USDT, BTC_USD, BTC_USDT_0326, BTC_USD_0326].map(buildSymbolConfig);
    assert.deepEqual(configs.map(kucoinSymbolName), ['XBTUSDTM', 'ETHUSDTM', 'XBTUSDM', undefined, 'XBTMH27']);
    const symbols = new KucoinSymbols(configs);
    assert.deepEqual(symbols.names(), ['XBTUSDTM', 'ETHUSDTM', 'XBTUSDM', 'XBTMH27']);
    assert.equal(symbols.listed('btc_usdt270326'), false);
    assert.equal(symbols.config('btc_usdt270326').symbol, 'btc_usdt270326', 'its configuration is still known (wallet figures count it)');
    assert.throws(() => symbols.name('btc_usdt270326'), /not a KuCoin contract/);
    assert.deepEqual(symbols.settleCurrencies(), ['USDT', 'XBT']);
  });

  it('quarterly month codes: F G H J K M N Q U V X Z', () => {
    const at = (month: number, year: number): string | undefined =>
      kucoinSymbolName(buildSymbolConfig({ ...BTC_USD_0326, delivery: { deliveryTime: Date.UTC(year, month, 20, 8), averagingWindowMs: 1_800_000 } }));
    assert.deepEqual([0, 5, 8, 11].map((m) => at(m, 2025)), ['XBTMF25', 'XBTMM25', 'XBTMU25', 'XBTMZ25']);
    assert.equal(at(2, 2030), 'XBTMH30');
  });

  it('currencies: BTC is XBT, and BTC is no KuCoin currency', () => {
    assert.deepEqual([kucoinCurrency('BTC'), kucoinCurrency('USDT')], ['XBT', 'USDT']);
    assert.deepEqual([engineAsset('XBT'), engineAsset('USDT'), engineAsset('BTC')], ['BTC', 'USDT', undefined]);
  });
});
