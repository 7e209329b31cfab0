/**
 * Shared pieces of the market-data benchmark (bench/market/run.ts): knobs, the streams each
 * dialect's subscribers open and how a subscriber reads their frames, and the IPC messages
 * between the orchestrator and its children.
 */
import { intKnob } from '../gateway/common.js';

export interface MarketKnobs {
  /** Public subscribers, split evenly over the stream plans and over the client processes. */
  subscribers: number;
  /** Client processes holding the subscribers (each a share of every plan). */
  clientProcesses: number;
  /** Seconds measured at each offered rate; warm-up seconds at that rate before them. */
  seconds: number;
  warmupSeconds: number;
  /** The offered engine command rates tried, in order (commands/s); the ladder stops at the first that misses. */
  rates: number[];
  /** The latency target a rate must keep (p99, ms). */
  p99TargetMs: number;
  /** Write a V8 CPU profile of the perpstream server into this directory (empty: none). */
  profileDir: string;
}

export function readMarketKnobs(env: NodeJS.ProcessEnv = process.env): MarketKnobs {
  const int = (name: string, fallback: number, min: number, max: number): number => intKnob(env, name, fallback, min, max);
  const rates = (env.PERPSTREAM_BENCH_RATES ?? '5,10,25,50,100,200,400').split(',').map((text) => {
    const rate = Number(text.trim());
    if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) throw new RangeError('PERPSTREAM_BENCH_RATES: comma-separated whole numbers of commands/s, 1 to 100000');
    return rate;
  });
  return {
    subscribers: int('PERPSTREAM_BENCH_SUBSCRIBERS', 10_000, 1, 15_000),
    clientProcesses: int('PERPSTREAM_BENCH_CLIENT_PROCS', 2, 1, 16),
    seconds: int('PERPSTREAM_BENCH_SECONDS', 15, 1, 120),
    warmupSeconds: int('PERPSTREAM_BENCH_WARMUP', 3, 0, 60),
    rates,
    p99TargetMs: int('PERPSTREAM_BENCH_P99_MS', 50, 1, 60_000),
    profileDir: env.PERPSTREAM_BENCH_PROFILE ?? '',
  };
}

/**
 * What a subscriber learns from one frame, written into a reused object (the clients read hundreds
 * of thousands of frames a second: no JSON.parse, no allocation). `time` is the engine time the
 * frame's content is current at: a trade's time, an unconflated level change's time, or a
 * conflated depth frame's emission time (Binance `E`, Bybit `ts`). XT's `depth_update` carries only
 * its window's last change (`t`), so its latency includes the window: `windowed` marks it.
 */
export interface FrameReading {
  depth: boolean;
  /** A depth frame that restarts the sequence (Bybit's snapshot). */
  restart: boolean;
  first: number;
  last: number;
  previous: number;
  time: number;
  windowed: boolean;
}

export const newReading = (): FrameReading => ({ depth: false, restart: false, first: 0, last: 0, previous: 0, time: 0, windowed: false });

/** The whole number right after `key` in `text` (searching from `from`), or NaN. */
export function numberAfter(text: string, key: string, from = 0): number {
  const at = text.indexOf(key, from);
  if (at < 0) return NaN;
  let i = at + key.length;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i += 1;
  let value = 0;
  let digits = 0;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    digits += 1;
  }
  if (digits === 0) return NaN;
  return negative ? -value : value;
}

/**
 * What a subscriber of one dialect opens: the URL path (under the server), the subscribe requests,
 * and how to read a frame (false: not a data frame). Each dialect whose public streams exist adds
 * its plan here.
 */
export interface StreamPlan {
  dialect: string;
  /** The stream URL's path, or how to get the whole URL first (KuCoin's bullet-public token). */
  path: string | ((http: string) => Promise<string>);
  /** Messages to send once open (a subscribe request), if the URL does not subscribe by itself. */
  subscribe: string[];
  read(text: string, out: FrameReading): boolean;
}

function depth(out: FrameReading, first: number, last: number, previous: number, time: number, windowed = false, restart = false): boolean {
  out.depth = true;
  out.restart = restart;
  out.first = first;
  out.last = last;
  out.previous = previous;
  out.time = time;
  out.windowed = windowed;
  return true;
}

function trade(out: FrameReading, time: number): boolean {
  out.depth = false;
  out.restart = false;
  out.time = time;
  out.windowed = false;
  return !Number.isNaN(time);
}

export const PLANS: readonly StreamPlan[] = [
  {
    dialect: 'binance',
    path: '/binance/stream?streams=btcusdt@depth@100ms/btcusdt@aggTrade',
    subscribe: [],
    read(text, out) {
      // {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":…,"T":…,"s":…,"U":…,"u":…,"pu":…,…}}
      if (text.startsWith('{"stream":"btcusdt@depth')) {
        return depth(out, numberAfter(text, '"U":'), numberAfter(text, '"u":'), numberAfter(text, '"pu":'), numberAfter(text, '"E":'));
      }
      if (text.startsWith('{"stream":"btcusdt@aggTrade"')) return trade(out, numberAfter(text, '"T":'));
      return false;
    },
  },
  {
    dialect: 'bybit',
    path: '/bybit/v5/public/linear',
    subscribe: [JSON.stringify({ op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'] })],
    read(text, out) {
      // {"topic":"orderbook.50.BTCUSDT","type":"delta","ts":…,"data":{…,"u":…,"seq":…},"cts":…}: `u` counts the topic's pushes.
      if (text.startsWith('{"topic":"orderbook.')) {
        const u = numberAfter(text, '"u":');
        return depth(out, u, u, u - 1, numberAfter(text, '"ts":'), false, text.includes('"type":"snapshot"'));
      }
      if (text.startsWith('{"topic":"publicTrade.')) return trade(out, numberAfter(text, '"T":', text.lastIndexOf('"T":')));
      return false;
    },
  },
  {
    dialect: 'xt',
    path: '/ws/market',
    subscribe: [JSON.stringify({ method: 'SUBSCRIBE', params: ['depth_update@btc_usdt,100ms', 'trade@btc_usdt'], id: 'bench' })],
    read(text, out) {
      // {"topic":"depth_update","event":…,"data":{"s":…,"pu":…,"fu":…,"u":…,"a":[…],"b":[…],"t":…}}
      if (text.startsWith('{"topic":"depth_update"')) {
        return depth(out, numberAfter(text, '"fu":'), numberAfter(text, '"u":'), numberAfter(text, '"pu":'), numberAfter(text, '"t":'), true);
      }
      if (text.startsWith('{"topic":"trade"')) return trade(out, numberAfter(text, '"t":'));
      return false;
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
    read(text, out) {
      // One level change per message, numbered one after another: {…,"subject":"level2","sn":…,"data":{"sequence":…,"change":…,"timestamp":…}}
      if (text.startsWith('{"topic":"/contractMarket/level2:')) {
        const n = numberAfter(text, '"sequence":');
        return depth(out, n, n, n - 1, numberAfter(text, '"timestamp":'));
      }
      // Trades carry nanoseconds.
      if (text.startsWith('{"topic":"/contractMarket/execution:')) return trade(out, Math.floor(numberAfter(text, '"ts":') / 1e6));
      return false;
    },
  },
];

/**
 * One plan's frames as one of its subscribers received them in a measured window: [arrival, ms
 * after the window's start; content, the engine time its content is current at, likewise (XT's
 * windowed depth: its arrival); the TCP read it came in (frames of one read were one write of the
 * server); frame].
 */
export type Recording = [number, number, number, string][];

/**
 * How the bare server replays a recording. 'delivered': each read's frames together, when perpstream
 * delivered them — the same writes to every socket as perpstream made, so their CPU compares. 'content':
 * each frame when its content was current — the transport's own latency floor for the same frames.
 */
export type ReplayMode = 'delivered' | 'content';

/** When a recorded frame is due in a replay (ms after the window's start), and which write it joins (null: its own). */
export function replayed(frame: Recording[number], mode: ReplayMode): { due: number; write: number | null } {
  return mode === 'delivered' ? { due: frame[0], write: frame[2] } : { due: frame[1], write: null };
}

/** What a client process reports after a measured window. */
export interface ClientReport {
  type: 'report';
  /** Frames received (every frame, data or not) and data frames read. */
  messages: number;
  depthMessages: number;
  gaps: number;
  /** Latency histogram counts (Histogram.counts()): every data frame but XT's depth_update… */
  latency: [number, number][];
  /** …which is kept apart (its time is its window's last change). */
  windowedLatency: [number, number][];
  /** The same per plan (index = plan; XT's depth_update left out). */
  latencyByPlan: [number, number][][];
  /** Frames not read (a reader's bug would show here), or in the bare run not in the replay's schedule. */
  unread: number;
  cpuUs: number;
  /** Process 0 records one subscriber's frames per plan (index = plan), for the bare server to replay. */
  recordings: Recording[] | null;
}
