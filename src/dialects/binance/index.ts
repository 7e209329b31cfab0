/**
 * Binance: placeholder until the dialect lands (issue 6); mounts nothing.
 */
import type { Dialect } from '../dialect.js';

export const binanceDialect: Dialect = {
  name: 'binance',
  async mount() {
    // Not built yet.
  },
};
