/**
 * Child of the market-data benchmark: one of PERPSTREAM_BENCH_CLIENT_PROCS processes holding the
 * public subscribers (its share of each stream plan). In a measured window (from a wall-clock
 * start the orchestrator names) it counts what arrives, measures latency from the engine time a
 * frame carries, and checks every depth stream's sequence (each event's previous id is the last
 * one's: a gap is counted). Frames are read with a field scanner, not JSON.parse, so the clients
 * take as little of the machine as they can. Process 0 records one subscriber's frames per plan,
 * with their arrival times, for the bare server to replay. The bare run reads its frames the same
 * way (the same client work in both runs).
 */
import WebSocket from 'ws';
import { Histogram, send, serveParent } from '../gateway/common.js';
import { newReading, PLANS, replayed, type ClientReport, type Recording, type ReplayMode } from './common.js';

interface Subscriber {
  plan: number;
  lastDepth: number | null;
  recording: Recording | null;
  /** TCP reads so far: frames read from one chunk came in one write of the server (one flush). */
  chunk: number;
}

const sockets: WebSocket[] = [];
const subscribers: Subscriber[] = [];
const reading = newReading();
let latency = new Histogram();
let windowedLatency = new Histogram();
let latencyByPlan = PLANS.map(() => new Histogram());
let measureFrom = Number.POSITIVE_INFINITY;
let messages = 0;
let depthMessages = 0;
let gaps = 0;
let unread = 0;
/** Bare run: frames not in the schedule (should be none). */
let unscheduled = 0;
let recorders = false;
/** In a bare run: when each frame was due (ms after the window's start), to measure the replay's delivery latency. */
let schedule: Map<string, number> | null = null;
/** CPU at the window's first frame (the client's own cost over the window). */
let cpuAtStart: NodeJS.CpuUsage | null = null;

function onFrame(subscriber: Subscriber, text: string): void {
  const now = Date.now();
  const plan = PLANS[subscriber.plan]!;
  const read = plan.read(text, reading);
  // Sequences are checked all the time (a gap in the warm-up is a gap too); counts only in the window.
  if (read && reading.depth) {
    if (!reading.restart && subscriber.lastDepth !== null && reading.previous !== subscriber.lastDepth) gaps += 1;
    subscriber.lastDepth = reading.last;
  }
  if (now < measureFrom) return;
  cpuAtStart ??= process.cpuUsage();
  messages += 1;
  if (!read) {
    unread += 1;
    return;
  }
  if (reading.depth) depthMessages += 1;
  // The bare server replays old frames: their latency is from when the replay was due to send them.
  const due = schedule === null ? reading.time : measureFrom + (schedule.get(text) ?? Number.NaN);
  if (Number.isNaN(due)) unscheduled += 1;
  else if (reading.windowed) windowedLatency.record(now - due);
  else {
    latency.record(now - due);
    latencyByPlan[subscriber.plan]!.record(now - due);
  }
  // When it arrived and in which read, and when its content was current (XT's windowed depth: its arrival).
  subscriber.recording?.push([now - measureFrom, Math.max(0, (reading.windowed ? now : reading.time) - measureFrom), subscriber.chunk, text]);
}

function open(url: string, planIndex: number, subscribe: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    const subscriber: Subscriber = { plan: planIndex, lastDepth: null, recording: null, chunk: 0 };
    ws.once('open', () => {
      const plan = PLANS[planIndex]!;
      if (subscribe) for (const text of plan.subscribe) ws.send(text);
      sockets.push(ws);
      subscribers.push(subscriber);
      // After ws's own listener, which emits the chunk's messages synchronously: the next chunk is another read.
      (ws as unknown as { _socket: NodeJS.EventEmitter })._socket.on('data', () => {
        subscriber.chunk += 1;
      });
      // A subscriber that subscribes by request is connected once answered: until then the server
      // counts it as unbound (maxUnauthenticated), so the next batch waits for it.
      if (!subscribe || plan.subscribe.length === 0) resolve();
      else ws.once('message', () => resolve());
    });
    ws.once('error', reject);
    ws.on('message', (data) => onFrame(subscriber, String(data)));
  });
}

serveParent(async (message) => {
  if (message.type === 'connect') {
    const port = message.port as number;
    const count = message.subscribers as number;
    const bare = message.bare as boolean;
    recorders = message.recorders as boolean;
    for (const ws of sockets) ws.terminate();
    sockets.length = 0;
    subscribers.length = 0;
    for (let start = 0; start < count; start += 200) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(count, start + 200); i++) {
        const planIndex = i % PLANS.length;
        const plan = PLANS[planIndex]!;
        // The bare server learns each socket's plan from its path and needs no subscribe.
        const url = bare ? Promise.resolve(`ws://127.0.0.1:${port}/${planIndex}`)
          : typeof plan.path === 'string' ? Promise.resolve(`ws://127.0.0.1:${port}${plan.path}`) : plan.path(`http://127.0.0.1:${port}`);
        batch.push(url.then((at) => open(at, planIndex, !bare)));
      }
      await Promise.all(batch);
    }
    send({ type: 'connected', sockets: sockets.length });
  } else if (message.type === 'window') {
    // A new measured window from this wall-clock time: counters start again.
    measureFrom = message.from as number;
    const replay = message.replay as { recordings: Recording[]; mode: ReplayMode } | undefined;
    // (A frame sent twice keeps its first time.)
    schedule = replay === undefined ? null : new Map(replay.recordings.flat().reverse().map((frame) => [frame[3], replayed(frame, replay.mode).due]));
    cpuAtStart = null;
    messages = 0;
    depthMessages = 0;
    gaps = 0;
    unread = 0;
    unscheduled = 0;
    latency = new Histogram();
    windowedLatency = new Histogram();
    latencyByPlan = PLANS.map(() => new Histogram());
    for (const s of subscribers) s.recording = null;
    if (recorders) {
      for (let plan = 0; plan < PLANS.length; plan++) {
        const first = subscribers.find((s) => s.plan === plan);
        if (first !== undefined) first.recording = [];
      }
    }
    send({ type: 'window-set' });
  } else if (message.type === 'report') {
    // A ping after the server's last frame: its pong comes after every frame before it on that socket.
    await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
      ws.once('pong', () => resolve());
      ws.ping();
    })));
    const cpu = process.cpuUsage(cpuAtStart ?? undefined);
    const recordings = recorders ? PLANS.map((_, plan) => subscribers.find((s) => s.plan === plan)?.recording ?? []) : null;
    const report: ClientReport = {
      type: 'report', messages, depthMessages, gaps, latency: latency.counts(), windowedLatency: windowedLatency.counts(),
      latencyByPlan: latencyByPlan.map((h) => h.counts()), unread: unread + unscheduled,
      cpuUs: cpu.user + cpu.system, recordings,
    };
    // The window is over: nothing more is counted until the next one.
    measureFrom = Number.POSITIVE_INFINITY;
    send(report);
  } else if (message.type === 'close') {
    for (const ws of sockets) ws.terminate();
    sockets.length = 0;
    subscribers.length = 0;
    send({ type: 'closed' });
  }
});
send({ type: 'hello' });
