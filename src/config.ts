/**
 * Start-up settings: command-line flags, then PERPSTREAM_* environment variables, then defaults.
 *   --port <p> / PERPSTREAM_PORT (8080)
 *   --data-dir <dir> / PERPSTREAM_DATA_DIR (./data)
 *   --admin-token <t> / PERPSTREAM_ADMIN_TOKEN (generated and printed when absent)
 *   --host <h> / PERPSTREAM_HOST (127.0.0.1)
 *   --no-sim (no built-in market simulator)
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

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

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'admin-token': { type: 'string' },
  'no-sim': { type: 'boolean' },
} as const;

/** The flags, or a UsageError naming the bad one and listing the options. */
function readFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; options: --port, --host, --data-dir, --admin-token, --no-sim`);
  }
}

export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const flags = readFlags(argv);
  const portText = flags.port ?? env.PERPSTREAM_PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`port must be 0-65535, got "${portText}"`);
  const token = flags['admin-token'] ?? env.PERPSTREAM_ADMIN_TOKEN;
  return {
    port,
    host: flags.host ?? env.PERPSTREAM_HOST ?? '127.0.0.1',
    dataDir: flags['data-dir'] ?? env.PERPSTREAM_DATA_DIR ?? './data',
    adminToken: token ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: token === undefined,
    simulator: flags['no-sim'] !== true,
  };
}
