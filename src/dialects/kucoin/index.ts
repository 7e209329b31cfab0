/**
 * Kucoin: placeholder until the dialect lands (issue 6); mounts nothing.
 */
import type { Dialect } from '../dialect.js';

export const kucoinDialect: Dialect = {
  name: 'kucoin',
  async mount() {
    // Not built yet.
  },
};
