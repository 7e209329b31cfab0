/**
 * Start-up settings: command-line flags, then PERPSTREAM_* environment variables, then defaults.
 *   --port <p> / PERPSTREAM_PORT (8080)
 *   --data-dir <dir> / PERPSTREAM_DATA_DIR (./data)
 *   --admin-token <t> / PERPSTREAM_ADMIN_TOKEN (generated and printed when absent)
 *   --host <h> / PERPSTREAM_HOST (127.0.0.1)
 *   --no-sim (no built-in market simulator)
 */
import { randomBytes } from 'node:crypto';

export interface Settings {
  port: number;
  host: string;
  dataDir: string;
  adminToken: string;
  adminTokenGenerated: boolean;
  simulator: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'no-sim') flags.set(name, true);
    else if (['port', 'data-dir', 'admin-token', 'host'].includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else throw new UsageError(`unknown option --${name}; options: --port, --host, --data-dir, --admin-token, --no-sim`);
  }
  const text = (flag: string, variable: string): string | undefined => {
    const value = flags.get(flag);
    return typeof value === 'string' ? value : env[variable];
  };
  const portText = text('port', 'PERPSTREAM_PORT') ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`port must be 0-65535, got "${portText}"`);
  const token = text('admin-token', 'PERPSTREAM_ADMIN_TOKEN');
  return {
    port,
    host: text('host', 'PERPSTREAM_HOST') ?? '127.0.0.1',
    dataDir: text('data-dir', 'PERPSTREAM_DATA_DIR') ?? './data',
    adminToken: token ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: token === undefined,
    simulator: !flags.has('no-sim'),
  };
}
