/** Opening a WebSocket for tests that need the HTTP answer when the server refuses the upgrade. */
import WebSocket from 'ws';

export type UpgradeOutcome = { opened: WebSocket } | { status: number; body: string };

/** Opens a stream connection, or returns the HTTP status and body that refused it. */
export function upgrade(url: string): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once('open', () => resolve({ opened: socket }));
    socket.once('error', reject);
  });
}
