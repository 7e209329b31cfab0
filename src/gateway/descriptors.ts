/**
 * Connection limits derived from the process's open-file limit. Every socket is a descriptor, and
 * so are the journal segments, snapshots and credential files: when sockets take them all, REST and
 * admin requests hang and writes fail. So stream connections are capped below the limit, with a
 * reserve that REST, admin and data files can always count on, and the HTTP server itself stops
 * accepting sockets before the last descriptors go.
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept for data files, stdio, the event loop's own and Node's internals. */
export const FILE_RESERVE = 64;
/** Descriptors kept for REST and admin connections beyond every stream connection… */
export const MIN_HTTP_RESERVE = 64;
/** …or this share of the limit, whichever is more. */
export const HTTP_RESERVE_SHARE = 0.1;

export interface ConnectionBudget {
  /** The soft open-file limit the budget was derived from (null: unknown on this platform). */
  fileLimit: number | null;
  /** Stream connections: the configured bound, lowered to what the descriptors allow. */
  maxStreams: number;
  /** Every TCP connection the HTTP server accepts (streams + REST + admin); null: no bound. */
  maxSockets: number | null;
}

/** The soft RLIMIT_NOFILE of this process, read from /proc (Linux); null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === undefined) return null;
    if (soft === 'unlimited') return null;
    const value = Number(soft);
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

export function connectionBudget(configuredStreams: number, fileLimit: number | null): ConnectionBudget {
  if (fileLimit === null) return { fileLimit, maxStreams: configuredStreams, maxSockets: null };
  const maxSockets = Math.max(1, fileLimit - FILE_RESERVE);
  const httpReserve = Math.max(MIN_HTTP_RESERVE, Math.ceil(fileLimit * HTTP_RESERVE_SHARE));
  const maxStreams = Math.max(1, Math.min(configuredStreams, maxSockets - httpReserve));
  return { fileLimit, maxStreams, maxSockets };
}
