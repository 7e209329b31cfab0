/**
 * `npm run start:cluster -- [--gateways N] [--port P] [perpstream options…]`: the scale-out on one
 * machine — one `perpstream engine` on port P (8080) and N `perpstream gateway`s (2) on P+1…P+N,
 * over the Redis at scaleout.redisUrl (redis://127.0.0.1:6379). When nothing answers there and
 * `redis-server` is installed, one is started for the cluster's lifetime (nothing kept on disk).
 * Every other option goes to every process (`--config`, `--data-dir`, `--no-sim`, `--log-format`…);
 * the admin token is generated when not given and shared (the gateways need it). Output lines are
 * prefixed with the process they come from. Ctrl-C (or SIGTERM) stops the gateways, then the engine,
 * each gracefully. A gateway whose engine started a new stream epoch exits (75) and is started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSettings, UsageError } from '../config.js';
import { redisAnswers, startRedisServer, type LocalRedis } from '../scaleout/local-redis.js';

const MAIN_JS = fileURLToPath(new URL('../main.js', import.meta.url));
const EPOCH_CHANGED = 75;

function fail(message: string): never {
  process.stderr.write(`start:cluster: ${message}\n`);
  process.exit(2);
}

/** Our own options; the rest is handed to every process as it is. */
function readOptions(argv: string[]): { gateways: number; port: number; rest: string[] } {
  const { values, tokens } = parseArgs({ args: argv, options: { gateways: { type: 'string' }, port: { type: 'string' } }, strict: false, tokens: true });
  const ours = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || (token.name !== 'gateways' && token.name !== 'port')) continue;
    ours.add(token.index);
    if (!token.inlineValue && token.value !== undefined) ours.add(token.index + 1);
  }
  const gateways = Number(values.gateways ?? 2);
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(gateways) || gateways < 1 || gateways > 64) fail(`--gateways must be 1-64, got ${String(values.gateways)}`);
  if (!Number.isInteger(port) || port < 1 || port + gateways > 65535) fail(`--port must leave room for the gateways' ports, got ${String(values.port)}`);
  return { gateways, port, rest: argv.filter((_, i) => !ours.has(i)) };
}

const running = new Set<ChildProcess>();
// A launcher that dies takes its processes with it (what it can: not on SIGKILL).
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Each process in a process group of its own: a terminal's Ctrl-C reaches the launcher alone, which
 * stops them in order (gateways, then the engine).
 */
function run(name: string, args: string[], onExit: (code: number | null) => void): ChildProcess {
  const child = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  for (const output of [child.stdout!, child.stderr!]) createInterface({ input: output }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  child.once('exit', (code) => onExit(code));
  return child;
}

async function main(): Promise<void> {
  const { gateways, port, rest } = readOptions(process.argv.slice(2));
  let settings;
  try {
    settings = readSettings(rest, process.env);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  }
  const token = settings.adminTokenGenerated ? randomBytes(18).toString('base64url') : settings.adminToken;
  const { redisUrl } = settings.config.scaleout;
  let redis: LocalRedis | null = null;
  if (!(await redisAnswers(redisUrl))) {
    const { hostname, port: redisPort } = new URL(redisUrl);
    redis = await startRedisServer({
      port: Number(redisPort || 6379), host: hostname, detached: true,
      unavailable: `nothing answers at ${redisUrl}: install Redis (e.g. apt-get install redis-server) or set scaleout.redisUrl`,
    }).catch((error: Error) => fail(error.message));
    process.stdout.write(`[cluster] started redis-server for ${redisUrl} (stops with the cluster, keeps nothing)\n`);
  }
  const engineUrl = `http://${settings.host}:${port}`;
  const common = [...rest, '--admin-token', token];
  let stopping = false;
  const engine = run('engine', ['engine', ...common, '--port', String(port)], (code) => {
    if (!stopping) fail(`the engine exited (${code}); stopping`);
  });
  const children: ChildProcess[] = [];
  const startGateway = (i: number): void => {
    children[i] = run(`gateway ${i + 1}`, ['gateway', ...common, '--port', String(port + 1 + i), '--engine-url', engineUrl], (code) => {
      if (stopping) return;
      if (code === EPOCH_CHANGED) startGateway(i);
      else process.stdout.write(`[cluster] gateway ${i + 1} exited (${code})\n`);
    });
  };
  for (let i = 0; i < gateways; i++) startGateway(i);
  process.stdout.write(`[cluster] engine ${engineUrl} (REST, admin, its own streams), gateways ${Array.from({ length: gateways }, (_, i) => `http://${settings.host}:${port + 1 + i}`).join(', ')} ` +
    `(REST forwarded, streams from ${redisUrl}); admin token ${settings.adminTokenGenerated ? `${token} (generated)` : '(as given)'}\n`);

  const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve())));
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    // Gateways first (their clients are told 1001), then the engine (last snapshot), then Redis.
    for (const child of children) child.kill('SIGTERM');
    void Promise.all(children.map(exited)).then(() => {
      engine.kill('SIGTERM');
      return exited(engine);
    }).then(() => {
      running.clear();
      return redis?.stop();
    }).then(() => {
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
