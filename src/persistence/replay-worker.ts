/**
 * A replay worker thread: recomputes resume history (history-replay.ts) off the engine's thread,
 * one request at a time. journal-history.ts starts it from the compiled file beside its own with
 * ReplayWorkerData, posts it HistoryRequests and receives each ReplayResult back; the events carry
 * bigints, which the structured clone keeps. It reads the data directory with the real file
 * operations (a store with injected ones replays on the engine's thread instead).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { realFileOps } from './file-ops.js';
import { replayHistory, type HistoryRequest, type HistorySource } from './history-replay.js';
import { engineOptionsOf, type ReplayWorkerData } from './replay-transfer.js';

const port = parentPort;
if (port === null) throw new Error('replay-worker.js runs as a worker thread (journal-history.ts starts it)');
const data = workerData as ReplayWorkerData;
const source: HistorySource = {
  ops: realFileOps, journalDir: data.journalDir, snapshotsDir: data.snapshotsDir, engine: engineOptionsOf(data.engine),
};
port.on('message', (request: HistoryRequest) => {
  void replayHistory(source, request, null).then((result) => port.postMessage(result));
});
