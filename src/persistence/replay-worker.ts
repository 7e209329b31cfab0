/**
 * A replay worker thread: re-executes the journal off the engine's thread, one request at a time —
 * resume history (history-replay.ts: an account's past events) or the next snapshot
 * (snapshot-replay.ts: the state at the journal's rotation point, written to the snapshots
 * directory). journal-history.ts and store.ts start it (replay-transfer.ts) with ReplayWorkerData,
 * post it requests and receive each result back; events carry bigints, which the structured clone
 * keeps. It reads the data directory with the real file operations (a store with injected ones
 * replays and snapshots on the engine's thread instead).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { realFileOps } from './file-ops.js';
import { replayHistory, type HistoryRequest, type HistorySource } from './history-replay.js';
import { engineOptionsOf, type ReplayWorkerData } from './replay-transfer.js';
import { SnapshotMaker, type SnapshotRequest } from './snapshot-replay.js';

const port = parentPort;
if (port === null) throw new Error('replay-worker.js runs as a worker thread (journal-history.ts and store.ts start it)');
const data = workerData as ReplayWorkerData;
// On Linux the nice value is per thread, and 0 names the calling thread: this lowers this worker
// only. (Elsewhere it could be the whole process, engine included: never done there.)
if (data.niceness !== undefined && process.platform === 'linux') {
  try {
    setPriority(0, Math.min(19, getPriority(0) + data.niceness));
  } catch {
    // Not permitted or not supported: the worker runs at the process's priority.
  }
}
const engine = engineOptionsOf(data.engine);
const history: HistorySource = { ops: realFileOps, journalDir: data.journalDir, snapshotsDir: data.snapshotsDir, engine };
const snapshots = new SnapshotMaker({ ...history, service: data.service ?? {} });
port.on('message', (request: HistoryRequest | SnapshotRequest) => {
  if ('kind' in request) void snapshots.make(request).then((result) => port.postMessage(result));
  else void replayHistory(history, request, null).then((result) => port.postMessage(result));
});
