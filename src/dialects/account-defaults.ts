/**
 * The settings a new account starts with on each exchange, so that a client written for that
 * exchange places its default order on a fresh account unchanged. One account still works in
 * every dialect: these are only where it starts (each exchange's own calls switch it).
 *
 * - XT: hedge-only (`positionSide` LONG/SHORT on every order); cross margin.
 * - Binance USDⓈ-M: one-way (`dualSidePosition` false) and CROSSED by default.
 * - Bybit v5: one-way ("system default: one-way mode", positionIdx 0) and cross margin.
 * - KuCoin futures: one-way (positionMode 0), and every contract ISOLATED: add-order's
 *   `marginMode` defaults to ISOLATED and KuCoin refuses an order whose margin mode is not the
 *   contract's (330005); its official SDK always sends ISOLATED unless told otherwise.
 */
import type { MarginMode, PositionMode } from '../engine/types.js';

export const DIALECTS = ['xt', 'binance', 'bybit', 'kucoin'] as const;
export type DialectName = (typeof DIALECTS)[number];

export interface AccountDefaults {
  positionMode: PositionMode;
  marginMode: MarginMode;
}

export const ACCOUNT_DEFAULTS: Readonly<Record<DialectName, Readonly<AccountDefaults>>> = {
  xt: { positionMode: 'HEDGE', marginMode: 'CROSSED' },
  binance: { positionMode: 'ONE_WAY', marginMode: 'CROSSED' },
  bybit: { positionMode: 'ONE_WAY', marginMode: 'CROSSED' },
  kucoin: { positionMode: 'ONE_WAY', marginMode: 'ISOLATED' },
};

export const isDialectName = (value: unknown): value is DialectName => (DIALECTS as readonly unknown[]).includes(value);
