/**
 * The exchange over a data directory: the persistence layer recovers the engine and the journal,
 * and the service is built here around what it recovered (the store never builds the service).
 */
import type { Engine } from '../engine/engine.js';
import { DurableStore, type RecoveryReport, type StoreOptions } from '../persistence/store.js';
import { Exchange } from './exchange.js';

/**
 * Recovers `options.dataDir` into an Exchange with the given service bounds. `observe` registers
 * further event observers before anything is replayed, so replayed events reach them as live ones did.
 */
export async function openDurableExchange(
  options: StoreOptions, observe: (exchange: Exchange) => void = () => undefined,
): Promise<{ exchange: Exchange; store: DurableStore<Exchange>; report: RecoveryReport }> {
  const build = (engine: Engine | null): Exchange => {
    const exchange = new Exchange({
      symbols: options.symbols, clock: options.clock, engine: engine ?? undefined, engineOptions: options.engineOptions, service: options.service,
    });
    observe(exchange);
    return exchange;
  };
  const { store, report } = await DurableStore.open(options, build);
  return { exchange: store.service, store, report };
}
