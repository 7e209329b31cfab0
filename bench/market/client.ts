/**
 * Child of the market-data benchmark: opens the public subscribers (split evenly over the stream
 * plans), counts what arrives, measures latency from the engine time a frame carries, and checks
 * every depth stream's sequence (each event's previous id is the last one's: a gap is counted).
 * In the bare run frames are counted only.
 */
import WebSocket from 'ws';
import { Histogram, send, serveParent } from '../gateway/common.js';
import { PLANS, type ClientReport } from './common.js';

interface Subscriber {
  lastDepth: number | null;
}

const sockets: WebSocket[] = [];
let histogram = new Histogram();
let counting = false;
let checking = true;
let messages = 0;
let depthMessages = 0;
let gaps = 0;
const samples: string[] = [];
const SAMPLE_LIMIT = 4_000;

function open(url: string, plan: (typeof PLANS)[number] | null, subscriber: Subscriber): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => {
      for (const text of plan?.subscribe ?? []) ws.send(text);
      sockets.push(ws);
      // A subscriber that subscribes by request is connected once answered: until then the server
      // counts it as unbound (maxUnauthenticated), so the next batch waits for it.
      if ((plan?.subscribe.length ?? 0) === 0) resolve();
      else ws.once('message', () => resolve());
    });
    ws.once('error', reject);
    ws.on('message', (data) => {
      if (!counting) return;
      messages += 1;
      if (plan === null || !checking) return;
      const text = String(data);
      const read = plan.read(JSON.parse(text));
      if (read === null) return;
      if (samples.length < SAMPLE_LIMIT) samples.push(text);
      if (read.engineTime !== null) histogram.record(Date.now() - read.engineTime);
      if (read.depth !== null) {
        depthMessages += 1;
        if (subscriber.lastDepth !== null && read.depth.previous !== subscriber.lastDepth) gaps += 1;
        subscriber.lastDepth = read.depth.last;
      }
    });
  });
}

serveParent(async (message) => {
  if (message.type === 'connect') {
    const port = message.port as number;
    const count = message.subscribers as number;
    const bare = message.bare as boolean;
    checking = !bare;
    for (let start = 0; start < count; start += 200) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(count, start + 200); i++) {
        const plan = PLANS[i % PLANS.length]!;
        const url = bare ? Promise.resolve(`ws://127.0.0.1:${port}/`)
          : typeof plan.path === 'string' ? Promise.resolve(`ws://127.0.0.1:${port}${plan.path}`)
            : plan.path(`http://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`);
        batch.push(url.then((at) => open(at, bare ? null : plan, { lastDepth: null })));
      }
      await Promise.all(batch);
    }
    send({ type: 'connected', sockets: sockets.length });
  } else if (message.type === 'count') {
    counting = true;
    send({ type: 'counting' });
  } else if (message.type === 'warm-done') {
    // The warm-up's frames were read; the measured window starts from zero.
    messages = 0;
    depthMessages = 0;
    gaps = 0;
    histogram = new Histogram();
    samples.length = 0;
    send({ type: 'reset' });
  } else if (message.type === 'report') {
    // A ping after the server's last frame: its pong comes after every frame before it on that socket.
    await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
      ws.once('pong', () => resolve());
      ws.ping();
    })));
    const cpu = process.cpuUsage();
    const summary = histogram.summary();
    const report: ClientReport = {
      type: 'report', messages, depthMessages, gaps, p50Ms: summary.p50, p99Ms: summary.p99, maxMs: summary.max, cpuUs: cpu.user + cpu.system, samples,
    };
    send(report);
    for (const ws of sockets) ws.terminate();
  }
});
send({ type: 'hello' });
