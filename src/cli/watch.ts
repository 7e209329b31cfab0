/**
 * `npm run watch -- --url http://127.0.0.1:8080 --api-key K --secret S [--topics order,trade]`
 * Connects as an account over XT's protocol (signed listen-key request, then /ws/user) and prints
 * every push readably, one line each.
 */
import WebSocket from 'ws';
import { sign, signaturePayload } from '../dialects/xt/auth.js';
import { XT_TOPICS } from '../dialects/xt/encode.js';

interface Options {
  url: string;
  apiKey: string;
  secret: string;
  topics: string[];
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) values.set(argv[i]!.replace(/^--/, ''), argv[i + 1] ?? '');
  const apiKey = values.get('api-key') ?? process.env.PERPSTREAM_API_KEY;
  const secret = values.get('secret') ?? process.env.PERPSTREAM_SECRET;
  if (!apiKey || !secret) {
    console.error('usage: npm run watch -- --url http://127.0.0.1:8080 --api-key <key> --secret <secret> [--topics balance,position,trade,order,notify]');
    process.exit(2);
  }
  return { url: values.get('url') ?? 'http://127.0.0.1:8080', apiKey, secret, topics: (values.get('topics') ?? XT_TOPICS.join(',')).split(',') };
}

async function listenKey(options: Options): Promise<string> {
  const path = '/future/user/v1/user/listen-key';
  const timestamp = String(Date.now());
  const signature = sign(options.secret, signaturePayload('', options.apiKey, timestamp, { method: 'GET', path, rawQuery: '', rawBody: '' }));
  const response = await fetch(`${options.url}${path}`, {
    headers: { 'validate-appkey': options.apiKey, 'validate-timestamp': timestamp, 'validate-signature': signature },
  });
  const body = (await response.json()) as { returnCode: number; result: string; error?: { msg?: string } };
  if (body.returnCode !== 0) throw new Error(`listen-key refused: ${body.error?.msg ?? JSON.stringify(body)}`);
  return body.result;
}

function describe(push: { topic?: string; seq?: number; data?: Record<string, unknown> }): string {
  const d = push.data ?? {};
  const head = `[seq ${String(push.seq ?? '?').padStart(4)}] ${String(push.topic).padEnd(8)}`;
  switch (push.topic) {
    case 'order':
      return `${head} #${d.orderId} ${d.symbol} ${d.orderSide} ${d.orderType} ${d.origQty}@${d.price} filled ${d.executedQty} avg ${d.avgPrice} ${d.state}` +
        `${d.reason && d.reason !== 'NONE' ? ` (${d.reason})` : ''} marginFrozen ${d.marginFrozen}`;
    case 'trade':
      return `${head} #${d.tradeId} order ${d.orderId} ${d.symbol} ${d.orderSide} ${d.quantity}@${d.price} ${d.isMaker ? 'maker' : 'taker'} fee ${d.fee} pnl ${d.realizedProfit}`;
    case 'position':
      return `${head} ${d.symbol} ${d.positionSide} ${d.positionType} x${d.leverage} size ${d.positionSize} entry ${d.entryPrice} mark ${d.markPrice} ` +
        `uPnL ${d.unrealizedProfit} closeOrders ${d.closeOrderSize} frozen ${d.openOrderMarginFrozen}`;
    case 'balance':
      return `${head} ${d.coin} wallet ${d.walletBalance} available ${d.availableBalance} frozen ${d.openOrderMarginFrozen} cross ${d.crossedMargin} isolated ${d.isolatedMargin}`;
    default:
      return `${head} ${JSON.stringify(d)}`;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const key = await listenKey(options);
  const socket = new WebSocket(`${options.url.replace(/^http/, 'ws')}/ws/user`);
  let ping: NodeJS.Timeout | undefined;
  socket.on('open', () => {
    socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: options.topics.map((t) => `${t}@${key}`), id: 'watch' }));
    ping = setInterval(() => socket.send('ping'), 20_000);
    console.log(`connected; subscribed to ${options.topics.join(', ')}`);
  });
  socket.on('message', (data) => {
    const text = data.toString();
    if (text === 'pong') return;
    const message = JSON.parse(text) as { topic?: string; code?: number; msg?: string };
    if (message.topic === undefined) console.log(`ack: ${text}`);
    else console.log(describe(message));
  });
  socket.on('close', (code, reason) => {
    clearInterval(ping);
    console.log(`closed ${code} ${reason.toString()}`);
    process.exit(code === 1000 ? 0 : 1);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
