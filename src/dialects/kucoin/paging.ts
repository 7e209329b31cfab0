/**
 * KuCoin's paged lists (GET /api/v1/orders, /api/v1/stopOrders, /api/v1/fills): `currentPage` from 1,
 * `pageSize` 50 by default and at most 1000, and the `startAt` / `endAt` window in milliseconds.
 */
import { optionalInteger, type Params } from './params.js';

const MAX_PAGE_SIZE = 1000;

export function page<T>(items: T[], params: Params): { currentPage: number; pageSize: number; totalNum: number; totalPage: number; items: T[] } {
  const currentPage = optionalInteger(params, 'currentPage', 1, 1_000_000) ?? 1;
  const pageSize = optionalInteger(params, 'pageSize', 1, MAX_PAGE_SIZE) ?? 50;
  return {
    currentPage, pageSize, totalNum: items.length, totalPage: Math.ceil(items.length / pageSize),
    items: items.slice((currentPage - 1) * pageSize, currentPage * pageSize),
  };
}

export function inTimeRange(time: number, params: Params): boolean {
  const start = optionalInteger(params, 'startAt', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endAt', 0, Number.MAX_SAFE_INTEGER);
  return (start === undefined || time >= start) && (end === undefined || time <= end);
}

/** KuCoin's order id: the engine's, as digits. */
export function orderIdOf(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  const id = Number(text);
  return id >= 1 ? id : undefined;
}
