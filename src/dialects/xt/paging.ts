/**
 * XT's two ways of paging a list: by page number (`page`, `size`: order/list, plan-list, …) and by
 * record id with a direction (`id`, `direction`, `limit`: the history lists), and its time window
 * (`startTime` / `endTime`, inclusive).
 */
import { optionalEnum, optionalInteger, type Params } from './params.js';

export const MAX_PAGE_SIZE = 100;

/** XT's history page size: 10 by default; our ceiling, as XT states none. */
export const XT_HISTORY_LIMITS = { defaultLimit: 10, maxLimit: MAX_PAGE_SIZE } as const;

/** `page` (from 1) of `size` items (10 by default). */
export function page<T>(items: T[], params: Params): { page: number; ps: number; total: number; items: T[] } {
  const number = optionalInteger(params, 'page', 1, 1_000_000) ?? 1;
  const size = optionalInteger(params, 'size', 1, MAX_PAGE_SIZE) ?? 10;
  return { page: number, ps: size, total: items.length, items: items.slice((number - 1) * size, number * size) };
}

/** Whether `time` lies in the request's startTime / endTime window. */
export function inTimeRange(time: number, params: Params): boolean {
  const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  return (start === undefined || time >= start) && (end === undefined || time <= end);
}

/**
 * Items given oldest first, answered newest first; `id` with NEXT continues with older records,
 * with PREV returns the newer ones before it.
 */
export function idPage<T>(items: readonly T[], idOf: (item: T) => number, params: Params): { hasPrev: boolean; hasNext: boolean; items: T[] } {
  const direction = optionalEnum(params, 'direction', ['NEXT', 'PREV'] as const) ?? 'NEXT';
  const id = optionalInteger(params, 'id', 0, Number.MAX_SAFE_INTEGER);
  const limit = optionalInteger(params, 'limit', 1, XT_HISTORY_LIMITS.maxLimit) ?? XT_HISTORY_LIMITS.defaultLimit;
  const newestFirst = [...items].reverse();
  if (id === undefined) return { hasPrev: false, hasNext: newestFirst.length > limit, items: newestFirst.slice(0, limit) };
  if (direction === 'NEXT') {
    const older = newestFirst.filter((item) => idOf(item) < id);
    return { hasPrev: newestFirst.length > older.length, hasNext: older.length > limit, items: older.slice(0, limit) };
  }
  const newer = newestFirst.filter((item) => idOf(item) > id);
  return { hasPrev: newer.length > limit, hasNext: newer.length < newestFirst.length, items: newer.slice(Math.max(0, newer.length - limit)) };
}
