/**
 * Hot spots of a V8 CPU profile (.cpuprofile): self time by area (engine, XT encoding, gateway,
 * ws, node internals, GC, …), the top functions by self time, and the inclusive time of the
 * gateway's main entry points, each also as µs per push. Used by run.ts when
 * PERPSTREAM_BENCH_PROFILE is set; also runnable alone:
 *   node dist/bench/gateway/profile-top.js <file.cpuprofile | directory> [pushes]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (url === '') {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(idle)') return 'idle (waiting in epoll)';
    if (name === '(program)') return 'native (program)';
    return 'V8 builtins / native';
  }
  if (url.includes('/src/engine/')) return 'engine (src/engine)';
  if (url.includes('/src/dialects/xt/')) return 'XT stream + encode (src/dialects/xt)';
  if (url.includes('/src/gateway/')) return 'gateway (src/gateway)';
  if (url.includes('/src/service/')) return 'service (event bus, history)';
  if (url.includes('/bench/gateway/')) return 'bench driver';
  if (url.includes('node_modules/ws/')) return 'ws package';
  if (url.includes('node_modules/')) return 'other packages';
  if (url.startsWith('node:')) return 'node internals (net, stream, timers)';
  return 'other';
}

const shortUrl = (url: string): string => url.replace(/^file:\/\/.*?\/(dist\/|node_modules\/)/, '$1');

export function summarizeProfile(fileOrDir: string, pushes: number, top = 25): void {
  let file = fileOrDir;
  if (statSync(fileOrDir).isDirectory()) {
    const files = readdirSync(fileOrDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(fileOrDir, f));
    if (files.length === 0) return console.log(`no .cpuprofile in ${fileOrDir}`);
    file = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    functions.set(key(node), (functions.get(key(node)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (name !== '' && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
  }
  const busy = total - (areas.get('idle (waiting in epoll)') ?? 0);
  const line = (label: string, us: number) =>
    `  ${label.padEnd(72)} ${(us / 1000).toFixed(0).padStart(7)} ms ${((us / busy) * 100).toFixed(1).padStart(5)}%${pushes > 0 ? ` ${(us / pushes).toFixed(3).padStart(7)} µs/push` : ''}`;

  console.log(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)`);
  console.log('by area (self time):');
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1])) console.log(line(a, us));
  console.log(`top ${top} functions (self time):`);
  for (const [f, us] of [...functions].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(line(f, us));
  const entryPoints = ['executeNow', 'apply', 'publish', 'onEvent', 'encode', 'build', 'send', 'flushAll', 'flush', 'sendFrame', 'frame', 'writeOrBuffer', 'onStreamRead', 'processTimers', 'stringify'];
  console.log('inclusive time of entry points (a function counted once per stack):');
  for (const name of entryPoints) {
    const us = inclusive.get(name);
    if (us !== undefined) console.log(line(name, us));
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = process.argv[2];
  if (target === undefined) {
    console.error('usage: node dist/bench/gateway/profile-top.js <file.cpuprofile | directory> [pushes]');
    process.exit(2);
  }
  summarizeProfile(target, Number(process.argv[3] ?? 0), Number(process.argv[4] ?? 25));
}
