/**
 * Start-up configuration. One JSON file (`--config <file>` or PERPSTREAM_CONFIG) may hold every
 * setting: the symbols (everything a SymbolSpec has: tick, contract size, fees, leverage, tiers,
 * kind, pricing), gateway limits, timings, dialect settings, engine options, ports, log and ops
 * settings. Precedence, lowest first: the built-in defaults (DEFAULT_CONFIG: the demo symbols and
 * the exchanges' timings), the file, PERPSTREAM_* environment variables, command-line flags.
 * A file section replaces the default's keys one by one (`symbols`, a list, is replaced whole).
 *
 * The merged configuration is validated with ajv against one schema (unknown keys are refused, so a
 * typo is never a silent default), then every symbol is built the way the engine will build it;
 * any error names the key (`symbols[0].tickSize`, `limits.maxQueueBytes`) and what is wrong.
 *
 * Command line: `[engine | gateway] [flags]` — no mode is the single process; `engine` and `gateway`
 * are the scale-out's two kinds of process (src/scaleout/, the `scaleout` section).
 * Flags (node:util.parseArgs, strict): --config <file>, --port <p>, --host <h>, --data-dir <dir>,
 * --admin-token <t>, --no-sim, --rate-limits, --log-level <level>, --log-format auto|json|pretty,
 * --ops-port <p>, --ops-host <h>, --metrics-path <path>, --redis-url <url>, --redis-prefix <p>,
 * --engine-url <url>, --print-config.
 * Environment: PERPSTREAM_CONFIG, PERPSTREAM_PORT, PERPSTREAM_HOST, PERPSTREAM_DATA_DIR,
 * PERPSTREAM_ADMIN_TOKEN, PERPSTREAM_LOG_LEVEL, PERPSTREAM_LOG_FORMAT, PERPSTREAM_OPS_PORT,
 * PERPSTREAM_OPS_HOST, PERPSTREAM_METRICS_PATH, PERPSTREAM_REDIS_URL, PERPSTREAM_REDIS_PREFIX,
 * PERPSTREAM_ENGINE_URL, PERPSTREAM_RATE_LIMITS (true).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Ajv, type ErrorObject } from 'ajv';
import { DEFAULT_SYMBOLS } from './engine/demo-symbols.js';
import { buildPricingConfig } from './engine/pricing-config.js';
import { buildSymbolConfig, type SymbolSpec } from './engine/symbol.js';
import type { PositionMode } from './engine/types.js';
import { DEFAULT_LIMITS, type GatewayLimits } from './gateway/limits.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './ops/log.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The configuration file's shape (every section and key optional in a file). */
export interface Config {
  server: { host: string; port: number; dataDir: string; adminToken: string | null; simulator: boolean; rateLimits: boolean };
  log: { level: LogLevel; format: LogFormat };
  ops: { port: number | null; host: string; metricsPath: string; onMainPort: boolean };
  symbols: SymbolSpec[];
  limits: GatewayLimits;
  timings: {
    priceTickMs: number;
    fundingSchedule: boolean;
    snapshotEveryCommands: number;
    snapshotEveryMs: number;
    keepSnapshots: number;
    replayWindow: number;
    drainMs: number;
  };
  engine: {
    defaultPositionMode: PositionMode;
    maxOpenOrdersPerAccount: number;
    clientOrderIdWindow: number;
    markEventIntervalMs: number;
    warnMarginRatio: string | null;
    adlRankIntervalMs: number;
  };
  /** The scale-out (engine and gateway processes over Redis Streams; unused by a single process). */
  scaleout: {
    redisUrl: string;
    /** Key prefix of this cluster in Redis. */
    prefix: string;
    /** Account shards of the event streams (of a new stream epoch). */
    shards: number;
    /** Approximate MAXLEN of each Redis stream, in entries. */
    streamMaxLen: number;
    /** Where a gateway finds its engine (internal API, forwarded REST). */
    engineUrl: string;
  };
  /** Each dialect's settings, by dialect (read by the dialects as `<dialect>.<name>`). */
  dialects: {
    xt: Partial<Record<(typeof DIALECT_KEYS.xt)[number], number>>;
    binance: Partial<Record<(typeof DIALECT_KEYS.binance)[number], number>>;
    bybit: Partial<Record<(typeof DIALECT_KEYS.bybit)[number], number>>;
    kucoin: Partial<Record<(typeof DIALECT_KEYS.kucoin)[number], number>>;
  };
}

/** The settings each dialect reads (defaults in the dialects: the exchanges' own values). */
export const DIALECT_KEYS = {
  xt: ['idleMs', 'listenKeyTtlMs', 'maxLiveListenKeys', 'listenKeyRequests', 'listenKeyRequestIntervalMs'],
  binance: ['pingIntervalMs', 'pongTimeoutMs', 'maxConnectionLifeMs', 'listenKeyTtlMs', 'listenKeyRequests', 'listenKeyRequestIntervalMs'],
  bybit: ['idleMs', 'minActiveTimeMs', 'maxActiveTimeMs'],
  kucoin: ['pingIntervalMs', 'pingTimeoutMs', 'tokenTtlMs', 'maxLiveTokens', 'bulletRequestIntervalMs', 'futuresBulletRequests', 'utaBulletRequests'],
} as const;

/** The built-in configuration: the demo symbols, the exchanges' timings, everything on 127.0.0.1. */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  // rateLimits: each exchange's documented request limits, headers and bans (src/ratelimit/); off by default.
  server: { host: '127.0.0.1', port: 8080, dataDir: './data', adminToken: null, simulator: true, rateLimits: false },
  log: { level: 'info', format: 'auto' },
  ops: { port: null, host: '127.0.0.1', metricsPath: '/metrics', onMainPort: true },
  symbols: DEFAULT_SYMBOLS.map((s) => structuredClone(s)),
  limits: { ...DEFAULT_LIMITS },
  timings: {
    // Marks follow the index every second; funding settles at each symbol's funding times.
    priceTickMs: 1000, fundingSchedule: true,
    snapshotEveryCommands: 100_000, snapshotEveryMs: 300_000, keepSnapshots: 2, replayWindow: 100_000, drainMs: 5_000,
  },
  engine: {
    // XT, the native protocol, is hedge-only; the other dialects' accounts say their own mode.
    defaultPositionMode: 'HEDGE', maxOpenOrdersPerAccount: 200, clientOrderIdWindow: 1000, markEventIntervalMs: 1000,
    warnMarginRatio: '0.8', adlRankIntervalMs: 60_000,
  },
  scaleout: { redisUrl: 'redis://127.0.0.1:6379', prefix: 'perpstream', shards: 8, streamMaxLen: 100_000, engineUrl: 'http://127.0.0.1:8080' },
  dialects: { xt: {}, binance: {}, bybit: {}, kucoin: {} },
} satisfies Config);

// ---------------------------------------------------------------------------------------------
// Schema

const int = (minimum: number, maximum = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum, maximum });
const decimal = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' };
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const port = int(0, 65535);

const TIER_SCHEMA = strict({ notionalFloor: decimal, maintenanceMarginRate: decimal, maxLeverage: int(1, 1000) },
  ['notionalFloor', 'maintenanceMarginRate', 'maxLeverage']);
const PRICING_SCHEMA = strict({
  markMethod: { enum: ['MEDIAN', 'INDEX'] }, basisSampleMs: int(1), basisWindow: int(1), premiumSampleMs: int(1),
  impactMarginNotional: decimal, interestRate: decimal, premiumClamp: decimal,
  fundingIntervalMinutes: int(1), fundingOffsetMinutes: int(0), fundingRateCap: decimal,
});
const DELIVERY_SCHEMA = strict({ deliveryTime: int(1), averagingWindowMs: int(1), deliveryFeeRate: decimal }, ['deliveryTime']);
const SYMBOL_KEYS = ['symbol', 'baseAsset', 'quoteAsset', 'settleAsset', 'contractType', 'underlyingType', 'tickSize', 'contractSize', 'minQty', 'maxQty',
  'makerFeeRate', 'takerFeeRate', 'maxLeverage', 'tiers', 'priceBandRate', 'maxPriceTicks', 'maxPositionQty'];
const asset = { type: 'string', pattern: '^[A-Z0-9]{1,20}$' };
const SYMBOL_SCHEMA = strict({
  symbol: { type: 'string', pattern: '^[a-z0-9]+_[a-z0-9]+$' }, baseAsset: asset, quoteAsset: asset, settleAsset: asset,
  contractType: { enum: ['PERPETUAL', 'DELIVERY'] }, underlyingType: { enum: ['U_BASED', 'COIN_BASED'] },
  tickSize: decimal, contractSize: decimal, minQty: int(1), maxQty: int(1), makerFeeRate: decimal, takerFeeRate: decimal,
  maxLeverage: int(1, 1000), tiers: { type: 'array', minItems: 1, items: TIER_SCHEMA }, priceBandRate: decimal,
  maxPriceTicks: int(1), maxPositionQty: int(1), pricing: PRICING_SCHEMA, delivery: DELIVERY_SCHEMA,
}, SYMBOL_KEYS);
const LIMITS_SCHEMA = strict(Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((key) => [key, int(key === 'maxConcurrentReplays' || key === 'inboundPerSecond' ? 1 : 0)])));
const dialectSection = (keys: readonly string[]) => strict(Object.fromEntries(keys.map((key) => [key, int(1)])));

const CONFIG_SCHEMA = strict({
  server: strict({ host: { type: 'string', minLength: 1 }, port, dataDir: { type: 'string', minLength: 1 }, adminToken: { type: ['string', 'null'], minLength: 8 }, simulator: { type: 'boolean' }, rateLimits: { type: 'boolean' } }),
  log: strict({ level: { enum: [...LOG_LEVELS] }, format: { enum: ['auto', 'json', 'pretty'] } }),
  ops: strict({ port: { anyOf: [port, { type: 'null' }] }, host: { type: 'string', minLength: 1 }, metricsPath: { type: 'string', pattern: '^/[A-Za-z0-9/_.-]*$' }, onMainPort: { type: 'boolean' } }),
  symbols: { type: 'array', minItems: 1, items: SYMBOL_SCHEMA },
  limits: LIMITS_SCHEMA,
  timings: strict({
    priceTickMs: int(0), fundingSchedule: { type: 'boolean' }, snapshotEveryCommands: int(1), snapshotEveryMs: int(1),
    keepSnapshots: int(1, 100), replayWindow: int(0), drainMs: int(0, 600_000),
  }),
  engine: strict({
    defaultPositionMode: { enum: ['ONE_WAY', 'HEDGE'] }, maxOpenOrdersPerAccount: int(1), clientOrderIdWindow: int(0), markEventIntervalMs: int(0),
    warnMarginRatio: { anyOf: [decimal, { type: 'null' }] }, adlRankIntervalMs: int(0),
  }),
  scaleout: strict({
    redisUrl: { type: 'string', pattern: '^rediss?://' }, prefix: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' }, shards: int(1, 1024),
    streamMaxLen: int(1000), engineUrl: { type: 'string', pattern: '^https?://' },
  }),
  dialects: strict(Object.fromEntries(Object.entries(DIALECT_KEYS).map(([name, keys]) => [name, dialectSection(keys)]))),
});

// verbose: errors carry their schema, so an unknown key's message can list the known ones.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile(CONFIG_SCHEMA);

/** `/symbols/0/tickSize` → `symbols[0].tickSize`. */
function keyOf(pointer: string): string {
  let key = '';
  for (const part of pointer.split('/').slice(1)) key += /^\d+$/.test(part) ? `[${part}]` : `${key === '' ? '' : '.'}${part.replace(/~1/g, '/').replace(/~0/g, '~')}`;
  return key === '' ? '(the top level)' : key;
}

function describeError(error: ErrorObject): string {
  const at = keyOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const name = `${at === '(the top level)' ? '' : `${at}.`}${String(params.additionalProperty)}`;
      return `${name}: unknown key (known here: ${known.join(', ')})`;
    }
    case 'required':
      return `${at === '(the top level)' ? '' : `${at}.`}${String(params.missingProperty)}: missing`;
    case 'enum':
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${at}: ${params.pattern === decimal.pattern ? 'must be a decimal string like "0.0002"' : `must match ${String(params.pattern)}`}`;
    default:
      return `${at}: ${error.message ?? 'is not valid'}`;
  }
}

/** Throws a UsageError listing what is wrong with a configuration, each problem naming its key. */
export function validateConfig(config: unknown, source = 'the configuration'): asserts config is Config {
  if (!validate(config)) {
    // anyOf adds a summary error after its branches' own; the branches say it better.
    const errors = (validate.errors ?? []).filter((e, i, all) => e.keyword !== 'anyOf' || !all.some((o, j) => j < i && o.instancePath === e.instancePath));
    const problems = [...new Set(errors.filter((e) => e.keyword !== 'anyOf').map(describeError))];
    throw new UsageError(`${source}: ${problems.join('; ')}`);
  }
  const seen = new Set<string>();
  for (const [i, spec] of (config as unknown as Config).symbols.entries()) {
    const key = `symbols[${i}]`;
    if (seen.has(spec.symbol)) throw new UsageError(`${source}: ${key}.symbol: ${spec.symbol} is listed twice`);
    seen.add(spec.symbol);
    try {
      buildPricingConfig(buildSymbolConfig(spec));
    } catch (error) {
      // The engine's own checks (tick × contract size exact, tiers continuous, …), named by key.
      throw new UsageError(`${source}: ${key}: ${(error as Error).message}`);
    }
  }
}

/** Reads and parses a configuration file (not yet merged or validated). */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the configuration file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The defaults with a file's sections laid over them, key by key (the dialects' sections one level
 * deeper). A section that is not an object is left for validation to name.
 */
export function mergeConfig(base: Readonly<Config>, file: unknown): unknown {
  if (!isObject(file)) return file;
  const merged: Record<string, unknown> = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [section, value] of Object.entries(file)) {
    const current = merged[section];
    if (section === 'dialects' && isObject(value) && isObject(current)) {
      merged[section] = Object.fromEntries([...Object.entries(current), ...Object.entries(value)].map(([name, v]) =>
        [name, isObject(current[name]) && isObject(value[name]) ? { ...current[name], ...value[name] } : v]));
    } else if (isObject(value) && isObject(current)) {
      merged[section] = { ...current, ...value };
    } else {
      merged[section] = value;
    }
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// Flags and environment

const OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'admin-token': { type: 'string' },
  'no-sim': { type: 'boolean' },
  'rate-limits': { type: 'boolean' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'ops-port': { type: 'string' },
  'ops-host': { type: 'string' },
  'metrics-path': { type: 'string' },
  'redis-url': { type: 'string' },
  'redis-prefix': { type: 'string' },
  'engine-url': { type: 'string' },
  'print-config': { type: 'boolean' },
} as const;

/** The kinds of process: one that does everything, or the scale-out's engine and gateways. */
export const MODES = ['single', 'engine', 'gateway'] as const;
export type Mode = (typeof MODES)[number];

const OPTION_LIST = Object.keys(OPTIONS).map((name) => `--${name}`).join(', ');

/** The mode and flags, or a UsageError naming the bad one and listing the options. */
function readFlags(argv: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; options: ${OPTION_LIST}`);
  }
  const { positionals } = parsed;
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'engine' && positionals[0] !== 'gateway')) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals.find((p) => p !== 'engine' && p !== 'gateway') ?? positionals[1])}: ` +
      `the command line is [engine | gateway] [options]; options: ${OPTION_LIST}`);
  }
  return { mode: (positionals[0] ?? 'single') as Mode, ...parsed.values };
}

function portOf(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new UsageError(`${what} must be 0-65535, got "${text}"`);
  return value;
}

/** What `npm start` runs with: the validated configuration plus what start-up needs besides. */
export interface Settings {
  /** single (`npm start`), or the scale-out's engine or gateway. */
  mode: Mode;
  config: Config;
  port: number;
  host: string;
  dataDir: string;
  adminToken: string;
  adminTokenGenerated: boolean;
  simulator: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  opsPort: number | null;
  opsHost: string;
  metricsPath: string;
  /** The file read, if any. */
  configFile: string | null;
  /** --print-config: print the effective configuration and exit. */
  printConfig: boolean;
}

/** The effective settings, or a UsageError that names the flag, variable or key that is wrong. */
export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const flags = readFlags(argv);
  const configFile = flags.config ?? env.PERPSTREAM_CONFIG ?? null;
  const merged = configFile === null ? structuredClone(DEFAULT_CONFIG) : mergeConfig(DEFAULT_CONFIG, readConfigFile(configFile));
  validateConfig(merged, configFile ?? 'the built-in configuration');
  const config: Config = merged;

  const portText = flags.port ?? env.PERPSTREAM_PORT;
  if (portText !== undefined) config.server.port = portOf(portText, 'port');
  config.server.host = flags.host ?? env.PERPSTREAM_HOST ?? config.server.host;
  config.server.dataDir = flags['data-dir'] ?? env.PERPSTREAM_DATA_DIR ?? config.server.dataDir;
  config.server.adminToken = flags['admin-token'] ?? env.PERPSTREAM_ADMIN_TOKEN ?? config.server.adminToken;
  if (flags['no-sim'] === true) config.server.simulator = false;
  if (flags['rate-limits'] === true || env.PERPSTREAM_RATE_LIMITS === 'true') config.server.rateLimits = true;
  const level = flags['log-level'] ?? env.PERPSTREAM_LOG_LEVEL;
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`log level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
    config.log.level = level as LogLevel;
  }
  const format = flags['log-format'] ?? env.PERPSTREAM_LOG_FORMAT;
  if (format !== undefined) {
    if (format !== 'auto' && format !== 'json' && format !== 'pretty') throw new UsageError(`log format must be auto, json or pretty, got "${format}"`);
    config.log.format = format;
  }
  const opsPort = flags['ops-port'] ?? env.PERPSTREAM_OPS_PORT;
  if (opsPort !== undefined) config.ops.port = opsPort === '' || opsPort === 'none' ? null : portOf(opsPort, 'ops port');
  config.ops.host = flags['ops-host'] ?? env.PERPSTREAM_OPS_HOST ?? config.ops.host;
  const metricsPath = flags['metrics-path'] ?? env.PERPSTREAM_METRICS_PATH;
  if (metricsPath !== undefined) {
    if (!/^\/[A-Za-z0-9/_.-]*$/.test(metricsPath)) throw new UsageError(`metrics path must be a path like /metrics, got "${metricsPath}"`);
    config.ops.metricsPath = metricsPath;
  }
  config.scaleout.redisUrl = flags['redis-url'] ?? env.PERPSTREAM_REDIS_URL ?? config.scaleout.redisUrl;
  config.scaleout.prefix = flags['redis-prefix'] ?? env.PERPSTREAM_REDIS_PREFIX ?? config.scaleout.prefix;
  config.scaleout.engineUrl = flags['engine-url'] ?? env.PERPSTREAM_ENGINE_URL ?? config.scaleout.engineUrl;
  if (!/^rediss?:\/\//.test(config.scaleout.redisUrl)) throw new UsageError(`redis URL must be redis://host:port, got "${config.scaleout.redisUrl}"`);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(config.scaleout.prefix)) throw new UsageError(`redis prefix must be 1-64 of A-Z a-z 0-9 _ . : -, got "${config.scaleout.prefix}"`);
  if (!/^https?:\/\//.test(config.scaleout.engineUrl)) throw new UsageError(`engine URL must be http://host:port, got "${config.scaleout.engineUrl}"`);
  if (flags.mode === 'gateway' && config.server.adminToken === null) {
    throw new UsageError('a gateway needs the engine\'s admin token (--admin-token, PERPSTREAM_ADMIN_TOKEN or server.adminToken): the engine\'s internal API takes it');
  }
  if (['/healthz', '/readyz'].includes(config.ops.metricsPath) || /^\/(future|v4|binance|bybit|kucoin|admin|ws)(\/|$)/.test(config.ops.metricsPath)) {
    throw new UsageError(`ops.metricsPath: ${config.ops.metricsPath} is taken by another endpoint or front door; choose another path`);
  }

  const token = config.server.adminToken;
  return {
    mode: flags.mode,
    config,
    port: config.server.port,
    host: config.server.host,
    dataDir: config.server.dataDir,
    adminToken: token ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: token === null,
    simulator: config.server.simulator,
    logLevel: config.log.level,
    logFormat: config.log.format,
    opsPort: config.ops.port,
    opsHost: config.ops.host,
    metricsPath: config.ops.metricsPath,
    configFile,
    printConfig: flags['print-config'] === true,
  };
}

/** The dialects' settings as the dotted names the dialects read (`xt.idleMs`, …). */
export function dialectSettings(config: Config): Record<string, number> {
  const settings: Record<string, number> = {};
  for (const [dialect, values] of Object.entries(config.dialects)) {
    for (const [key, value] of Object.entries(values as Record<string, number | undefined>)) if (value !== undefined) settings[`${dialect}.${key}`] = value;
  }
  return settings;
}
