/**
 * Child process of the gateway benchmark: the transport ceiling. A bare `ws` server (same
 * permessage-deflate offer and frame limit as perpstream's gateway) with one connection per
 * account, replaying real push strings captured by the client during the perpstream run, to the
 * same connections, at the rate perpstream delivered. Each frame is sent with a plain
 * `ws.send`; only its seq (per connection, so the client's gap check holds) and its time stamp
 * (so latency means the same) are filled in, by string concatenation.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { memorySample, pace, trackGc, readKnobs, send, serveParent, type MemorySample } from './common.js';

const knobs = readKnobs();
const n = knobs.connections;
const sockets: (WebSocket | undefined)[] = new Array<WebSocket | undefined>(n);
const seqs = new Array<number>(n).fill(0);

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 64 * 1024,
  perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 },
});
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
wss.on('connection', (ws, request) => {
  const i = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('i'));
  if (!Number.isInteger(i) || i < 0 || i >= n) return ws.close(1008, 'bad index');
  sockets[i] = ws;
  ws.on('error', () => undefined);
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'ping') ws.send('pong');
  });
});

interface Template {
  conn: number;
  /** Text before the seq value, between seq and time stamp, after the time stamp (none: no stamp). */
  head: string;
  middle: string;
  tail: string | null;
}

const TIME_KEY: Record<string, string> = { order: '"updatedTime":', trade: '"timestamp":' };

function template(conn: number, text: string): Template {
  const seqKey = text.indexOf('"seq":') + 6;
  let seqEnd = seqKey;
  while (text.charCodeAt(seqEnd) >= 48 && text.charCodeAt(seqEnd) <= 57) seqEnd++;
  const topic = text.slice(10, text.indexOf('"', 10));
  const timeKey = TIME_KEY[topic];
  const timeAt = timeKey === undefined ? -1 : text.indexOf(timeKey, seqEnd);
  if (timeAt < 0) return { conn, head: text.slice(0, seqKey), middle: text.slice(seqEnd), tail: null };
  const stampAt = timeAt + timeKey!.length;
  let stampEnd = stampAt;
  while (text.charCodeAt(stampEnd) >= 48 && text.charCodeAt(stampEnd) <= 57) stampEnd++;
  return { conn, head: text.slice(0, seqKey), middle: text.slice(seqEnd, stampAt), tail: text.slice(stampEnd) };
}

let frames: Template[] = [];
let cursor = 0;
let sent = 0;

function loadFrames(file: string): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  frames = lines.map((line) => {
    const { conn, text } = JSON.parse(line) as { conn: number; text: string };
    return template(conn, text);
  });
  if (frames.length === 0) throw new Error('no captured pushes to replay');
}

function replay(seconds: number, rate: number | 'max') {
  return pace({
    seconds,
    rate,
    maxBatch: 200,
    work: (owed) => {
      const now = String(Date.now());
      for (let k = 0; k < owed; k++) {
        const f = frames[cursor]!;
        cursor = cursor + 1 === frames.length ? 0 : cursor + 1;
        const ws = sockets[f.conn];
        if (ws === undefined || ws.readyState !== ws.OPEN) continue;
        const seq = ++seqs[f.conn]!;
        ws.send(f.tail === null ? f.head + seq + f.middle : f.head + seq + f.middle + now + f.tail);
        sent++;
      }
      return owed;
    },
  });
}

let memoryBefore: MemorySample = memorySample();
let loadCpu: NodeJS.CpuUsage | null = null;
let loadStart = 0;
let gcTracker: ReturnType<typeof trackGc> | null = null;
let heapAtLoad = 0;

send({ type: 'ready', port: (wss.address() as AddressInfo).port, keys: [], seqs, setupMs: 0 });

serveParent(async (message) => {
  switch (message.type) {
    case 'baseline':
      memoryBefore = memorySample();
      send({ type: 'baseline' });
      break;
    case 'memory': {
      await new Promise((resolve) => setTimeout(resolve, 500));
      send({ type: 'memory', before: memoryBefore, after: memorySample(), connections: n });
      break;
    }
    case 'warmup': {
      loadFrames(String(message.sampleFile));
      await replay(Number(message.seconds), message.rate === 'max' ? 'max' : Number(message.rate));
      send({ type: 'warm' });
      break;
    }
    case 'load': {
      if (frames.length === 0) loadFrames(String(message.sampleFile));
      sent = 0;
      heapAtLoad = memorySample().heapUsed;
      // The orchestrator starts its machine-wide CPU count here, after the forced GCs above.
      send({ type: 'loading' });
      const eluStart = performance.eventLoopUtilization();
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      gcTracker = trackGc();
      loadStart = performance.now();
      loadCpu = process.cpuUsage();
      const { elapsedMs, shortfall } = await replay(Number(message.seconds), message.rate === 'max' ? 'max' : Number(message.rate));
      const elu = performance.eventLoopUtilization(eluStart).utilization;
      loopDelay.disable();
      send({ type: 'loaded', commands: 0, refused: 0, events: sent, eventsByType: {}, finalSeqs: seqs, elapsedMs, shortfall, elu, maxStallMs: loopDelay.max / 1e6, executeMs: 0 });
      break;
    }
    case 'stop': {
      const cpu = process.cpuUsage(loadCpu ?? undefined);
      const gc = gcTracker!.stop();
      const wallMs = performance.now() - loadStart;
      send({ type: 'stopped', cpuUserUs: cpu.user, cpuSystemUs: cpu.system, wallMs, gc });
      break;
    }
    case 'heap': {
      // Separate from 'stop' so the forced GCs stay out of the machine-wide CPU count.
      const heapUsedBytes = memorySample().heapUsed;
      send({ type: 'heap', heapUsedBytes, retainedHeapBytes: heapUsedBytes - heapAtLoad });
      break;
    }
    case 'close': {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});
