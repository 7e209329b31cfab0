/**
 * The KuCoin market topic reader and the stateless public tokens, without a server: which topics
 * are market topics, how a contract list and a candle type are read, what is refused and why; a
 * public token is good within its lifetime of its issue time and nothing else passes for one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { buildSymbolConfig } from '../../src/engine/symbol.js';
import { readMarketTopic } from '../../src/dialects/kucoin/market-stream.js';
import { isLivePublicToken, issuePublicToken, PUBLIC_TOKEN_TTL_MS } from '../../src/dialects/kucoin/public-token.js';
import { KucoinSymbols } from '../../src/dialects/kucoin/symbols.js';

const symbols = new KucoinSymbols(DEMO_SYMBOLS.map((spec) => buildSymbolConfig(spec)));

describe('KuCoin market topics and public tokens', () => {
  test('market topics: one subscription per contract, candle types, refusals', () => {
    const keys = (topic: string): unknown => {
      const read = readMarketTopic(topic, symbols);
      return read === null || typeof read === 'string' ? read : read.map((t) => [t.key, t.kind, t.config.symbol, 'interval' in t ? t.interval : null]);
    };
    assert.deepEqual(keys('/contractMarket/level2:XBTUSDTM,ETHUSDTM'), [
      ['/contractMarket/level2:XBTUSDTM', 'level2', 'btc_usdt', null],
      ['/contractMarket/level2:ETHUSDTM', 'level2', 'eth_usdt', null],
    ]);
    assert.deepEqual(keys('/contractMarket/limitCandle:XBTUSDTM_1hour,ETHUSDTM_1month'), [
      ['/contractMarket/limitCandle:XBTUSDTM_1hour', 'candle', 'btc_usdt', '1h'],
      ['/contractMarket/limitCandle:ETHUSDTM_1month', 'candle', 'eth_usdt', '1M'],
    ]);
    assert.deepEqual(keys('/contract/instrument:XBTUSDTM'), [['/contract/instrument:XBTUSDTM', 'instrument', 'btc_usdt', null]]);
    assert.equal(keys('/contractMarket/tradeOrders:XBTUSDTM'), null, 'a private topic is not a market topic');
    assert.equal(keys('/contract/position:XBTUSDTM'), null);
    assert.match(keys('/contractMarket/level2') as string, /needs a contract/);
    assert.match(keys('/contractMarket/level2:NOPEUSDTM') as string, /NOPEUSDTM is not a contract here/);
    assert.match(keys('/contractMarket/level2:XBTUSDTM,') as string, /an empty contract/);
    assert.match(keys('/contractMarket/limitCandle:XBTUSDTM_6hour') as string, /type one of 1min/);
    assert.match(keys('/contractMarket/limitCandle:XBTUSDTM') as string, /\{symbol\}_\{type\}/);
  });

  test('public tokens: good for their lifetime around the issue time, nothing else passes', () => {
    const now = 1_765_000_000_000;
    const token = issuePublicToken(now);
    assert.match(token, /^pub-1765000000000-[0-9a-f]{16}$/);
    assert.notEqual(issuePublicToken(now), token, 'distinct');
    assert.equal(isLivePublicToken(token, now), true);
    assert.equal(isLivePublicToken(token, now + PUBLIC_TOKEN_TTL_MS - 1), true);
    assert.equal(isLivePublicToken(token, now + PUBLIC_TOKEN_TTL_MS), false, 'expired');
    assert.equal(isLivePublicToken(token, now - 60_000), true, 'a clock set back a little');
    assert.equal(isLivePublicToken(token, now, 1000), true);
    assert.equal(isLivePublicToken(token, now + 1000, 1000), false, 'the configured lifetime');
    for (const other of ['', 'pub-', `pub-${now}-xyz`, `pub-${now}-0123456789abcdef0`, `PUB-${now}-0123456789abcdef`, 'a'.repeat(64)]) {
      assert.equal(isLivePublicToken(other, now), false, other);
    }
  });
});
