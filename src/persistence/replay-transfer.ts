/**
 * What crosses to a replay worker thread (replay-worker.ts): the data directory's paths, the live
 * engine's options and the service state's bounds, which must be structured-clonable. The one
 * option that is code, the ADL ranking, goes by its name and is rebuilt from the built-in rankings
 * on the other side. Also how such a worker is started (history replays and snapshots share it).
 */
import { Worker } from 'node:worker_threads';
import type { EngineOptions } from '../engine/engine.js';
import type { ServiceStateOptions } from '../service/service-state.js';
import { BINANCE_LEVERAGE_PNL, BYBIT_PNL_LEVERAGE, type AdlRanking } from '../engine/risk/adl-ranking.js';

/** EngineOptions as they cross to a worker. */
export type TransferableEngineOptions = Omit<EngineOptions, 'adlRanking'> & { adlRanking?: string };

/** What a worker is started with (its workerData). */
export interface ReplayWorkerData {
  journalDir: string;
  snapshotsDir: string;
  engine: TransferableEngineOptions;
  /** The live service state's bounds (snapshots rebuild it); absent: the defaults without a replay window. */
  service?: ServiceStateOptions;
  /**
   * Linux only: the worker thread raises its own nice value by this much (at most to 19), so on a
   * busy machine the engine's thread wins the CPU and background work waits (snapshots use 10).
   */
  niceness?: number;
}

/** The compiled worker, beside this file (dist/src/persistence/replay-worker.js). */
const WORKER_FILE = new URL('./replay-worker.js', import.meta.url);

/** Starts a replay worker that never keeps the process alive; its 'error' events go to the caller's own listeners. */
export function startReplayWorker(data: ReplayWorkerData): Worker {
  const worker = new Worker(WORKER_FILE, { workerData: data });
  worker.unref();
  worker.on('error', () => undefined); // Reported to the request in progress; never an uncaught 'error'.
  return worker;
}

/** The rankings a worker can rebuild by name; a server with any other cannot replay on a worker. */
const BUILT_IN_RANKINGS: readonly AdlRanking[] = [BYBIT_PNL_LEVERAGE, BINANCE_LEVERAGE_PNL];

/** The options in a form a worker can receive, or null when they hold something that cannot cross. */
export function transferableEngineOptions(options: EngineOptions): TransferableEngineOptions | null {
  const { adlRanking, ...rest } = options;
  if (adlRanking !== undefined && !BUILT_IN_RANKINGS.includes(adlRanking)) return null;
  const transferable: TransferableEngineOptions = adlRanking === undefined ? rest : { ...rest, adlRanking: adlRanking.name };
  try {
    structuredClone(transferable);
  } catch {
    return null;
  }
  return transferable;
}

/** The worker's side: the options as the live engine had them. */
export function engineOptionsOf(transferable: TransferableEngineOptions): EngineOptions {
  const { adlRanking, ...rest } = transferable;
  if (adlRanking === undefined) return rest;
  const ranking = BUILT_IN_RANKINGS.find((r) => r.name === adlRanking);
  if (ranking === undefined) throw new Error(`unknown ADL ranking ${adlRanking}`);
  return { ...rest, adlRanking: ranking };
}
