/**
 * The process xt-open-api.test.ts runs `xt-open-api` in. The library reads its keys and hosts from
 * `.config.json` in the working directory when it is first required, and keeps its sockets and
 * listen key in module state, so each test gets its own process, started in a directory holding
 * that file. It talks to the test over the IPC channel only (the library logs to stdout):
 *
 *   test → child  {id, call: "futureU.<method>", args}     a REST call (futureC.<method>: the Coin-M host); the reply is its answer
 *                 {id, call: "futureWss.subscribePrivate", topics}
 *                 {id, call: "futureWss.subscribe", topics}         the public market stream
 *                 {id, call: "close"}                        close the sockets and exit
 *   child → test  {kind: "reply", id, value} | {kind: "reply", id, error}
 *                 {kind: "callback", data}                   what the library passed a subscribePrivate callback
 *                 {kind: "sent" | "received", text}          each frame on the library's WebSocket
 *
 * The frames are read off the library's own socket (the `ws` it requires), so the test can wait on
 * the subscribe ack and see what the server pushed, whatever the library then does with it.
 */
import { createRequire } from 'node:module';

type Json = Record<string, unknown>;
type Api = Record<string, (args?: unknown, callback?: (...args: unknown[]) => void) => unknown>;
interface Request { id: number; call: string; args?: unknown; topics?: string[] }

const send = (message: Json): void => {
  process.send?.(message);
};

if (process.send === undefined) {
  // Run without the test (e.g. picked up as a test file itself): nothing to do.
  process.exit(0);
}

const requireHere = createRequire(import.meta.url);
const libraryPath = requireHere.resolve('xt-open-api');
// The `ws` the library itself requires: tap its frames before the library opens a socket.
const WebSocket = createRequire(libraryPath)('ws') as { prototype: { emit: (event: string, ...args: unknown[]) => boolean; send: (data: unknown, ...rest: unknown[]) => void } };
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function (this: unknown, event: string, ...args: unknown[]): boolean {
  if (event === 'message') send({ kind: 'received', text: String(args[0]) });
  return emit.call(this, event, ...args);
};
const sendFrame = WebSocket.prototype.send;
WebSocket.prototype.send = function (this: unknown, data: unknown, ...rest: unknown[]): void {
  send({ kind: 'sent', text: String(data) });
  sendFrame.call(this, data, ...rest);
};

const xt = requireHere('xt-open-api') as { futureU: Api; futureC: Api; futureWss: Api };

/** An axios failure as plain data: the HTTP status and the body the server answered. */
function failure(error: unknown): Json {
  const e = error as { message?: unknown; response?: { status?: unknown; data?: unknown } };
  return { message: String(e.message), status: e.response?.status, data: e.response?.data };
}

process.on('message', (message: Request) => {
  const { id, call } = message;
  if (call === 'close') {
    xt.futureWss.closePrivateSocket!();
    xt.futureWss.closeSocket!();
    send({ kind: 'reply', id, value: null });
    process.disconnect();
    return;
  }
  if (call === 'futureWss.subscribe') {
    // The public market stream (futureSocketHostMarket): its callbacks get each push of a subscribed event.
    xt.futureWss.subscribe!(message.topics, (_subscribeId, data) => send({ kind: 'callback', data }));
    send({ kind: 'reply', id, value: null });
    return;
  }
  if (call === 'futureWss.subscribePrivate') {
    xt.futureWss.subscribePrivate!(message.topics, (_subscribeId, data) => send({ kind: 'callback', data }));
    send({ kind: 'reply', id, value: null });
    return;
  }
  const [module, method] = call.split('.') as [string, string];
  // futureU: the USDT-M host (futureUHost); futureC: the Coin-M host (futureCHost).
  const fn = module === 'futureU' ? xt.futureU[method] : module === 'futureC' ? xt.futureC[method] : undefined;
  if (fn === undefined) {
    send({ kind: 'reply', id, error: { message: `no such call ${call}` } });
    return;
  }
  Promise.resolve(fn(message.args)).then(
    (value) => send({ kind: 'reply', id, value }),
    (error: unknown) => send({ kind: 'reply', id, error: failure(error) }),
  );
});
