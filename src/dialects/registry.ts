/**
 * Every dialect the server speaks, mounted in this order on one port (protocols.md §6.1): XT at the
 * root, the others under their path prefixes.
 */
import type { Dialect } from './dialect.js';
import { binanceDialect } from './binance/index.js';
import { bybitDialect } from './bybit/index.js';
import { kucoinDialect } from './kucoin/index.js';
import { xtDialect } from './xt/index.js';

export const DIALECTS: readonly Dialect[] = [xtDialect, binanceDialect, bybitDialect, kucoinDialect];
