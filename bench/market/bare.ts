/**
 * Child of the market-data benchmark: the transport ceiling. A bare `ws` server that broadcasts
 * the frames perpstream's subscribers received (captured by the client) to as many connections,
 * each frame to every one, at the rate perpstream delivered, with a plain `ws.send` per socket.
 * Reports its CPU over the window.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { pace, send, serveParent } from '../gateway/common.js';

const sockets: WebSocket[] = [];
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
wss.on('connection', (ws) => {
  sockets.push(ws);
  ws.on('error', () => undefined);
});

serveParent(async (message) => {
  if (message.type === 'load') {
    const frames = message.frames as string[];
    const cpu = process.cpuUsage();
    let next = 0;
    // The rate is in deliveries: one frame broadcast is `sockets.length` of them.
    const broadcasts = Math.max(1, Math.round((message.deliveriesPerSec as number) / Math.max(1, sockets.length)));
    const { produced, elapsedMs } = await pace({
      seconds: message.seconds as number, rate: broadcasts, maxBatch: 16,
      work: (owed) => {
        for (let i = 0; i < owed; i++) {
          const frame = frames[next++ % frames.length]!;
          for (const ws of sockets) ws.send(frame);
        }
        return owed;
      },
    });
    const used = process.cpuUsage(cpu);
    send({ type: 'loaded', commands: produced, elapsedMs, cpuUs: used.user + used.system });
  } else if (message.type === 'stop') {
    for (const ws of sockets) ws.terminate();
    wss.close();
    send({ type: 'stopped' });
  }
});
send({ type: 'ready', port: (wss.address() as { port: number }).port });
