/**
 * Child process of the gateway benchmark: the receiving side. Opens one WebSocket per account
 * (the `ws` package, like ccxt), subscribes it to the account's XT topics (perpstream mode) or just
 * connects (bare mode), then checks every push: per account each seq must be exactly last + 1 (a
 * one-way position flip sends two position frames with the same seq: clear, then current), and at
 * the end every account must stand at the server's final seq. It counts pushes and bytes and
 * measures latency from the engine time stamped on the command (order `updatedTime`, trade
 * `timestamp`) to the moment the push is read. Pings every connection every 20 s, as XT requires.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Histogram, readKnobs, send, serveParent, type ClientReport } from './common.js';

const knobs = readKnobs();
const PING_EVERY_MS = 20_000;
/** Every SAMPLE_STRIDE-th push is kept (up to SAMPLE_MAX) for the bare-ws replay. */
const SAMPLE_STRIDE = 10;
const SAMPLE_MAX = 100_000;
/** One push in VERIFY_STRIDE is also parsed with JSON.parse and compared with the fast path. */
const VERIFY_STRIDE = 997;

const sockets: WebSocket[] = [];
let lastSeq = new Float64Array(0);
let lastWasPosition = new Uint8Array(0);
let recording = false;
let pushes = 0;
let bytes = 0;
let firstAt = 0;
let lastAt = 0;
let missing = 0;
let disorder = 0;
let flipRepeats = 0;
let closedEarly = 0;
let closing = false;
let verified = 0;
let verifyMismatches = 0;
const closeCodes: Record<string, number> = {};
const latency = new Histogram();
const latencyByTopic: Record<string, Histogram> = { order: new Histogram(), trade: new Histogram() };
const bytesByTopic: Record<string, number> = {};
const pushesByTopic: Record<string, number> = {};
const sample: { conn: number; text: string }[] = [];
let cpuStart: NodeJS.CpuUsage | null = null;
const clockOffset = performance.timeOrigin; // wall ms = timeOrigin + performance.now()

/** Reads the unsigned integer starting at `from`. */
function intAt(text: string, from: number): number {
  let value = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
  }
  return value;
}

const TIME_KEY: Record<string, string> = { order: '"updatedTime":', trade: '"timestamp":' };

function onText(conn: number, text: string, size: number): void {
  if (!text.startsWith('{"topic":"')) return; // pong, acks
  const now = clockOffset + performance.now();
  const topicEnd = text.indexOf('"', 10);
  const topic = text.slice(10, topicEnd);
  const seqAt = text.indexOf('"seq":', topicEnd);
  const seq = intAt(text, seqAt + 6);
  const timeKey = TIME_KEY[topic];
  const stamp = timeKey === undefined ? -1 : intAt(text, text.indexOf(timeKey, seqAt) + timeKey.length);

  pushes++;
  bytes += size;
  pushesByTopic[topic] = (pushesByTopic[topic] ?? 0) + 1;
  bytesByTopic[topic] = (bytesByTopic[topic] ?? 0) + size;
  if (firstAt === 0) firstAt = now;
  lastAt = now;

  const last = lastSeq[conn]!;
  const isPosition = topic === 'position';
  if (seq === last + 1) {
    // in order
  } else if (seq === last && isPosition && lastWasPosition[conn] === 1) {
    flipRepeats++;
  } else if (seq > last + 1) {
    missing += seq - last - 1;
  } else {
    disorder++;
  }
  if (seq > last) lastSeq[conn] = seq;
  lastWasPosition[conn] = isPosition ? 1 : 0;

  if (recording && stamp > 0) {
    const ms = now - stamp;
    latency.record(ms);
    latencyByTopic[topic]!.record(ms);
  }
  if (pushes % SAMPLE_STRIDE === 0 && sample.length < SAMPLE_MAX) sample.push({ conn, text });
  if (pushes % VERIFY_STRIDE === 0) {
    verified++;
    const parsed = JSON.parse(text) as { topic: string; seq: number; data: Record<string, unknown> };
    const expectedStamp = topic === 'order' ? parsed.data.updatedTime : topic === 'trade' ? parsed.data.timestamp : -1;
    if (parsed.topic !== topic || parsed.seq !== seq || (expectedStamp ?? -1) !== stamp) verifyMismatches++;
  }
}

async function connectAll(message: { mode: 'perpstream' | 'bare'; port: number; ports?: number[]; keys: string[]; seqs: number[] }): Promise<void> {
  const n = knobs.connections;
  lastSeq = Float64Array.from(message.seqs.length === n ? message.seqs : new Array<number>(n).fill(0));
  lastWasPosition = new Uint8Array(n);
  // Scale-out runs: connections spread over the gateways, one after the other.
  const ports = message.ports ?? [message.port];
  const started = performance.now();
  const errors: string[] = [];
  let failed = 0;
  let next = 0;

  const open = (i: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const base = `ws://127.0.0.1:${ports[i % ports.length]}`;
      const url = message.mode === 'perpstream' ? `${base}/ws/user` : `${base}/?i=${i}`;
      const ws = new WebSocket(url, { perMessageDeflate: knobs.deflate, skipUTF8Validation: true });
      sockets[i] = ws;
      let settled = false;
      const done = (error?: string) => {
        if (settled) return;
        settled = true;
        if (error !== undefined) {
          failed++;
          if (errors.length < 5) errors.push(`#${i}: ${error}`);
        }
        resolve();
      };
      ws.on('error', (error) => done(error.message));
      ws.on('close', (code) => {
        if (!closing) {
          closedEarly++;
          closeCodes[code] = (closeCodes[code] ?? 0) + 1;
        }
        done(`closed ${code}`);
      });
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return;
        const text = data.toString('latin1');
        if (!settled && text.startsWith('{"id"')) {
          const ack = JSON.parse(text) as { code: number; msg: string };
          done(ack.code === 0 ? undefined : `subscribe refused: ${ack.msg}`);
          return;
        }
        onText(i, text, data.length);
      });
      ws.once('open', () => {
        if (message.mode === 'bare') return done();
        const key = message.keys[i]!;
        ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['balance', 'position', 'trade', 'order'].map((t) => `${t}@${key}`), id: `s${i}` }));
      });
    });

  const worker = async () => {
    while (next < n) await open(next++);
  };
  await Promise.all(Array.from({ length: Math.min(knobs.connectConcurrency, n) }, worker));

  // XT closes a connection after 30 s without a ping: ping each connection every 20 s, spread out.
  let cursor = 0;
  const perTick = Math.ceil(n / (PING_EVERY_MS / 100));
  setInterval(() => {
    for (let k = 0; k < perTick; k++, cursor = (cursor + 1) % n) {
      const ws = sockets[cursor];
      if (ws !== undefined && ws.readyState === WebSocket.OPEN) ws.send('ping');
    }
  }, 100).unref();

  send({ type: 'connected', connected: n - failed, failed, ms: Math.round(performance.now() - started), errors });
}

async function drain(finalSeqs: number[], timeoutMs: number): Promise<{ unfinished: number; drainMs: number }> {
  const started = performance.now();
  const behind = () => {
    let count = 0;
    for (let i = 0; i < finalSeqs.length; i++) if (lastSeq[i]! < finalSeqs[i]!) count++;
    return count;
  };
  while (behind() > 0 && performance.now() - started < timeoutMs) await new Promise((resolve) => setTimeout(resolve, 10));
  let unfinished = 0;
  for (let i = 0; i < finalSeqs.length; i++) {
    if (lastSeq[i] !== finalSeqs[i]) {
      unfinished++;
      if (lastSeq[i]! < finalSeqs[i]!) missing += finalSeqs[i]! - lastSeq[i]!;
    }
  }
  return { unfinished, drainMs: Math.round(performance.now() - started) };
}

serveParent(async (message) => {
  switch (message.type) {
    case 'connect':
      await connectAll(message as unknown as { mode: 'perpstream' | 'bare'; port: number; ports?: number[]; keys: string[]; seqs: number[] });
      break;
    case 'start':
      // Counting starts here; anything before (acks) is not a push.
      pushes = 0;
      bytes = 0;
      firstAt = 0;
      for (const k of Object.keys(pushesByTopic)) delete pushesByTopic[k];
      for (const k of Object.keys(bytesByTopic)) delete bytesByTopic[k];
      recording = true;
      cpuStart = process.cpuUsage();
      send({ type: 'started' });
      break;
    case 'drain': {
      const { unfinished, drainMs } = await drain(message.finalSeqs as number[], Number(message.timeoutMs));
      recording = false;
      const cpu = process.cpuUsage(cpuStart ?? undefined);
      if (typeof message.sampleFile === 'string' && message.sampleFile !== '') {
        writeFileSync(message.sampleFile, sample.map((s) => JSON.stringify(s)).join('\n'));
      }
      const summaries = Object.fromEntries(Object.entries(latencyByTopic).map(([k, h]) => [k, h.summary()]));
      const report: ClientReport = {
        type: 'report', pushes, bytes, spanMs: lastAt - firstAt, missing, disorder, unfinished, flipRepeats, closedEarly, closeCodes,
        latency: latency.summary(), latencyByTopic: summaries, bytesByTopic, pushesByTopic, drainMs,
        cpuUserUs: cpu.user, cpuSystemUs: cpu.system, verified, verifyMismatches,
      };
      send(report);
      break;
    }
    case 'close': {
      closing = true;
      for (const ws of sockets) ws?.terminate();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});

send({ type: 'hello' });
