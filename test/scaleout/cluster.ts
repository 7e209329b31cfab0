/**
 * The scale-out as real processes: `perpstream engine` and `perpstream gateway` children of the
 * test (dist/src/main.js), against real Redis under a prefix of the test's own. Every wait is on a
 * line a process writes (test/ops/support.ts Child), never on time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child, get } from '../ops/support.js';
import { withTimeout } from '../support/timeout.js';

export const TOKEN = 'scaleout-test-admin-token';

export interface Node {
  child: Child;
  url: string;
  wsUrl: string;
}

/** A quiet configuration: no simulator, no price ticks or funding, long XT idle, few shards. */
export function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'perpstream.json');
  writeFileSync(file, JSON.stringify({
    server: { simulator: false },
    timings: { priceTickMs: 0, fundingSchedule: false, drainMs: 1_000 },
    log: { level: 'info', format: 'json' },
    dialects: { xt: { idleMs: 300_000 } },
    scaleout: { shards: 4 },
    ...extra,
  }));
  return file;
}

const listening = (line: string, what: string): { url: string; wsUrl: string } | null => {
  if (!line.startsWith('{') || !line.includes(what)) return null;
  const record = JSON.parse(line) as { url?: string; wsUrl?: string };
  return record.url === undefined ? null : { url: record.url, wsUrl: record.wsUrl! };
};

export async function startEngine(options: { config: string; dataDir: string; redisUrl: string; prefix: string; port: number }): Promise<Node> {
  const child = new Child(['engine', '--config', options.config, '--port', String(options.port), '--data-dir', options.dataDir, '--admin-token', TOKEN,
    '--redis-url', options.redisUrl, '--redis-prefix', options.prefix]);
  const line = await child.line((l) => listening(l, '"msg":"perpstream listening on') !== null, 'the engine to listen', 30_000);
  // Publishing has started once it says so (Redis answered, the streams' last entries read).
  await child.line((l) => l.includes('"msg":"publishing to redis'), 'the engine to publish', 30_000);
  return { child, ...listening(line, '"msg":"perpstream listening on')! };
}

export async function startGateway(options: { config: string; redisUrl: string; prefix: string; engineUrl: string; port?: number }): Promise<Node> {
  const child = new Child(['gateway', '--config', options.config, '--port', String(options.port ?? 0), '--admin-token', TOKEN,
    '--redis-url', options.redisUrl, '--redis-prefix', options.prefix, '--engine-url', options.engineUrl]);
  const line = await child.line((l) => listening(l, '"msg":"perpstream gateway listening on') !== null, 'the gateway to listen', 30_000);
  return { child, ...listening(line, '"msg":"perpstream gateway listening on')! };
}

/** Waits until `url`/readyz answers `status` (asked again each time the previous answer comes back). */
/** One engine and two gateways over `redisUrl` under `prefix`: what the cluster and failover tests run against. */
export async function startEngineAndTwoGateways(options: { config: string; dataDir: string; redisUrl: string; prefix: string; port: number }): Promise<{ engine: Node; gateways: [Node, Node] }> {
  const engine = await startEngine(options);
  const gateway = (): Promise<Node> => startGateway({ config: options.config, redisUrl: options.redisUrl, prefix: options.prefix, engineUrl: engine.url });
  return { engine, gateways: await Promise.all([gateway(), gateway()]) };
}

export async function readiness(url: string, status: 200 | 503, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return withTimeout((async () => {
    for (;;) {
      const answer = await get(`${url}/readyz`).catch(() => null);
      if (answer?.status === status) return JSON.parse(answer.text) as Record<string, unknown>;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })(), timeoutMs, `${url}/readyz to answer ${status}`);
}

export async function stop(node: Node | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (node === null) return;
  node.child.kill(signal);
  await node.child.exited;
}
