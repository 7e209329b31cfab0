/**
 * Shared pieces of the market-data benchmark (bench/market/run.ts): knobs, the streams each
 * dialect's subscribers open, and the IPC messages between the orchestrator and its children.
 */
import { intKnob } from '../gateway/common.js';

export interface MarketKnobs {
  /** Public subscribers, split evenly over the stream plans. */
  subscribers: number;
  /** Seconds of measured trading; warm-up seconds before it. */
  seconds: number;
  warmupSeconds: number;
  /** Engine commands per second the driver offers. */
  commandRate: number;
}

export function readMarketKnobs(env: NodeJS.ProcessEnv = process.env): MarketKnobs {
  const int = (name: string, fallback: number, min: number, max: number): number => intKnob(env, name, fallback, min, max);
  return {
    subscribers: int('PERPSTREAM_BENCH_SUBSCRIBERS', 10_000, 1, 15_000),
    seconds: int('PERPSTREAM_BENCH_SECONDS', 15, 1, 120),
    warmupSeconds: int('PERPSTREAM_BENCH_WARMUP', 3, 0, 60),
    commandRate: int('PERPSTREAM_BENCH_COMMAND_RATE', 2_000, 10, 200_000),
  };
}

/**
 * What a subscriber of one dialect opens: the URL path (under the server) and how to read a frame:
 * its depth sequence (first and last update id, previous last) when it is a depth delta, and the
 * engine time it carries. Each dialect whose public streams exist adds its plan here.
 */
export interface StreamPlan {
  dialect: string;
  /** The stream URL's path, or how to get the whole URL first (KuCoin's bullet-public token). */
  path: string | ((http: string, ws: string) => Promise<string>);
  /** Messages to send once open (a subscribe request), if the URL does not subscribe by itself. */
  subscribe: string[];
  read(frame: unknown): { depth: { first: number; last: number; previous: number } | null; engineTime: number | null } | null;
}

export const PLANS: readonly StreamPlan[] = [
  {
    dialect: 'binance',
    path: '/binance/stream?streams=btcusdt@depth@100ms/btcusdt@aggTrade',
    subscribe: [],
    read(frame) {
      const data = (frame as { data?: Record<string, unknown> }).data;
      if (data === undefined) return null;
      if (data.e === 'depthUpdate') {
        return { depth: { first: data.U as number, last: data.u as number, previous: data.pu as number }, engineTime: data.T as number };
      }
      if (data.e === 'aggTrade') return { depth: null, engineTime: data.T as number };
      return null;
    },
  },
  {
    dialect: 'bybit',
    path: '/bybit/v5/public/linear',
    subscribe: [JSON.stringify({ op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'] })],
    read(frame) {
      const message = frame as { topic?: unknown; data?: unknown; cts?: number };
      if (typeof message.topic !== 'string') return null;
      if (message.topic.startsWith('orderbook.')) {
        // `u` counts the topic's pushes: each delta is the previous u + 1 (the snapshot starts the run).
        const u = (message.data as { u: number }).u;
        return { depth: { first: u, last: u, previous: u - 1 }, engineTime: message.cts ?? null };
      }
      if (message.topic.startsWith('publicTrade.')) {
        const trades = message.data as { T: number }[];
        return { depth: null, engineTime: trades[trades.length - 1]?.T ?? null };
      }
      return null;
    },
  },
  {
    dialect: 'xt',
    path: '/ws/market',
    subscribe: [JSON.stringify({ method: 'SUBSCRIBE', params: ['depth_update@btc_usdt,100ms', 'trade@btc_usdt'], id: 'bench' })],
    read(frame) {
      const { topic, data } = frame as { topic?: string; data?: Record<string, unknown> };
      if (data === undefined) return null; // the subscribe answer
      if (topic === 'depth_update') return { depth: { first: data.fu as number, last: data.u as number, previous: data.pu as number }, engineTime: data.t as number };
      if (topic === 'trade') return { depth: null, engineTime: data.t as number };
      return null;
    },
  },
  {
    dialect: 'kucoin',
    // bullet-public: a token and the stream's address, as KuCoin's clients get them.
    path: async (http) => {
      const reply = await fetch(`${http}/kucoin-futures/api/v1/bullet-public`, { method: 'POST' });
      const { data } = await reply.json() as { data: { token: string; instanceServers: { endpoint: string }[] } };
      return `${data.instanceServers[0]!.endpoint}?token=${data.token}`;
    },
    subscribe: ['/contractMarket/level2:XBTUSDTM', '/contractMarket/execution:XBTUSDTM'].map((topic, i) =>
      JSON.stringify({ id: `bench-${i}`, type: 'subscribe', topic, response: true })),
    read(frame) {
      const { type, subject, data } = frame as { type?: string; subject?: string; data?: Record<string, unknown> };
      if (type !== 'message' || data === undefined) return null;
      // One level change per message, numbered one after another.
      if (subject === 'level2') {
        const n = data.sequence as number;
        return { depth: { first: n, last: n, previous: n - 1 }, engineTime: data.timestamp as number };
      }
      if (subject === 'match') return { depth: null, engineTime: Math.floor((data.ts as number) / 1e6) };
      return null;
    },
  },
];

export interface ClientReport {
  type: 'report';
  messages: number;
  depthMessages: number;
  gaps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuUs: number;
  /** Raw frames captured during the perpstream run, for the bare server to send. */
  samples: string[];
}
