/**
 * Bybit: placeholder until the dialect lands (issue 6); mounts nothing.
 */
import type { Dialect } from '../dialect.js';

export const bybitDialect: Dialect = {
  name: 'bybit',
  async mount() {
    // Not built yet.
  },
};
