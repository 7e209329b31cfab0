/**
 * Child of the market-data benchmark: the transport's floor. A bare `ws` server that replays what
 * perpstream's subscribers received in the headline window, each plan's frames (recorded by one of
 * its subscribers) to every connection of that plan — the same frames, the same fan-out (one shared
 * string per frame, `ws.send` per socket) — batched the way perpstream's gateway Session does:
 * frames queue per connection and are written once per event-loop turn with the TCP socket corked.
 * The replay's schedule is one of two (common.ts ReplayMode): each TCP read of the recorder's at the
 * time it arrived (the same writes as perpstream made, for CPU per message), or each frame at the
 * engine time its content carries (the transport's own latency for the same frames). Connections
 * name their plan in the URL path (`/<plan index>`). Reports its CPU from the window's start until
 * asked (after the clients have read everything), like the perpstream server.
 */
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { send, serveParent } from '../gateway/common.js';
import { replayed, type Recording, type ReplayMode } from './common.js';

interface Connection {
  ws: WebSocket;
  pending: string[];
}

const byPlan = new Map<number, Connection[]>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
wss.on('connection', (ws, request) => {
  const plan = Number((request.url ?? '/0').slice(1));
  const list = byPlan.get(plan) ?? [];
  byPlan.set(plan, list);
  list.push({ ws, pending: [] });
  ws.on('error', () => undefined);
});

/** As the gateway's Flusher: every connection with output is written once, on the next turn. */
const dirty = new Set<Connection>();
let scheduled = false;
function flushAll(): void {
  scheduled = false;
  const batch = [...dirty];
  dirty.clear();
  for (const c of batch) {
    const frames = c.pending;
    c.pending = [];
    const raw = (c.ws as unknown as { _socket?: Socket })._socket;
    raw?.cork();
    for (const frame of frames) c.ws.send(frame);
    raw?.uncork();
  }
}
function deliver(plan: number, frames: readonly string[]): void {
  for (const c of byPlan.get(plan) ?? []) {
    const first = c.pending.length === 0;
    for (const frame of frames) c.pending.push(frame);
    if (first) dirty.add(c);
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

let cpuAtWindow: NodeJS.CpuUsage | null = null;

serveParent(async (message) => {
  if (message.type === 'replay') {
    const recordings = message.recordings as Recording[];
    const mode = message.mode as ReplayMode;
    const from = message.from as number;
    const seconds = message.seconds as number;
    // One timeline of every plan's writes, by due time: a write is one recorded read's frames ('delivered') or one frame ('content').
    const timeline: { due: number; plan: number; frames: string[] }[] = [];
    recordings.forEach((frames, plan) => {
      let last: { write: number | null; entry: { due: number; plan: number; frames: string[] } } | null = null;
      for (const frame of frames) {
        const { due, write } = replayed(frame, mode);
        if (last !== null && write !== null && last.write === write) last.entry.frames.push(frame[3]);
        else {
          last = { write, entry: { due, plan, frames: [frame[3]] } };
          timeline.push(last.entry);
        }
      }
    });
    timeline.sort((a, b) => a.due - b.due);
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, from - Date.now())));
    cpuAtWindow = process.cpuUsage();
    let next = 0;
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        const elapsed = Date.now() - from;
        while (next < timeline.length && timeline[next]!.due <= elapsed) {
          const { plan, frames } = timeline[next++]!;
          deliver(plan, frames);
        }
        if (next >= timeline.length && elapsed >= seconds * 1000) resolve();
        else setTimeout(turn, 1);
      };
      turn();
    });
    send({ type: 'replayed', writes: timeline.length });
  } else if (message.type === 'cpu') {
    const used = process.cpuUsage(cpuAtWindow ?? undefined);
    send({ type: 'cpu', cpuUs: used.user + used.system });
  } else if (message.type === 'stop') {
    for (const list of byPlan.values()) for (const c of list) c.ws.terminate();
    wss.close();
    send({ type: 'stopped' });
  }
});
send({ type: 'ready', port: (wss.address() as { port: number }).port });
