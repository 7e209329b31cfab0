/**
 * `npm run watch -- --url http://127.0.0.1:8080 --api-key K --secret S [--topics order,trade]`
 * Connects as an account over XT's protocol (signed listen-key request, then /ws/user) and prints
 * every push readably, one line each.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { sign, signaturePayload } from '../dialects/xt/auth.js';
import { XT_TOPICS } from '../dialects/xt/encode.js';

interface Options {
  url: string;
  apiKey: string;
  secret: string;
  topics: string[];
}

const USAGE = 'usage: npm run watch -- --url http://127.0.0.1:8080 --api-key <key> --secret <secret> [--topics balance,position,trade,order,notify]';

/** The options (node:util.parseArgs, strict: `--x y` and `--x=y` alike), or null with the reason. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options | string {
  let values: { url?: string; 'api-key'?: string; secret?: string; topics?: string };
  try {
    values = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: { url: { type: 'string' }, 'api-key': { type: 'string' }, secret: { type: 'string' }, topics: { type: 'string' } },
    }).values;
  } catch (error) {
    return (error as Error).message;
  }
  const apiKey = values['api-key'] ?? env.PERPSTREAM_API_KEY;
  const secret = values.secret ?? env.PERPSTREAM_SECRET;
  if (!apiKey || !secret) return 'an API key and its secret are required (--api-key, --secret or PERPSTREAM_API_KEY, PERPSTREAM_SECRET)';
  const topics = (values.topics ?? XT_TOPICS.join(',')).split(',').filter((topic) => topic !== '');
  const unknown = topics.filter((topic) => !(XT_TOPICS as readonly string[]).includes(topic));
  if (unknown.length > 0 || topics.length === 0) return `--topics takes some of ${XT_TOPICS.join(',')}${unknown.length > 0 ? `, not ${unknown.join(',')}` : ''}`;
  return { url: (values.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''), apiKey, secret, topics };
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
  const options = parseOptions(process.argv.slice(2), process.env);
  if (typeof options === 'string') {
    console.error(`${options}\n${USAGE}`);
    process.exit(2);
  }
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

// Run as a program (npm run watch), not when a test imports parseOptions.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
