/**
 * The risk engine's notices (XT user.notify, Binance MARGIN_CALL for WARN): one NoticeEvent per
 * position, after the action it reports, as its own step.
 */
import type { Core } from '../core.js';
import { positionSnapshot } from '../snapshots.js';
import type { Position } from '../state.js';
import type { NoticeType } from '../types.js';
import { RiskUnit } from './units.js';
import { marginRatio, unitState } from './valuation.js';

const SIDE_ORDER = { BOTH: 0, LONG: 1, SHORT: 2 } as const;

/** Positions in notice order: by symbol name, then BOTH, LONG, SHORT. */
export function inNoticeOrder(positions: readonly Position[]): Position[] {
  return [...positions].sort((a, b) => {
    const sa = a.symbol.config.symbol;
    const sb = b.symbol.config.symbol;
    return sa < sb ? -1 : sa > sb ? 1 : SIDE_ORDER[a.side] - SIDE_ORDER[b.side];
  });
}

/**
 * Sends one notice about `position`: `direction` is the side it was on when the action began,
 * `qty` the contracts the action concerned. The margin ratio is that of what covers it now.
 */
export function sendNotice(core: Core, position: Position, notice: NoticeType, direction: 'LONG' | 'SHORT', qty: number): void {
  core.emitter.endStep();
  const asset = position.symbol.config.settleAsset;
  const cover = position.settings.marginMode === 'ISOLATED'
    ? new RiskUnit('ISOLATED', position.account, asset, position)
    : new RiskUnit('CROSSED', position.account, asset, null);
  const wallet = position.account.wallets.get(asset);
  core.emitter.notice(position.account, {
    notice,
    position: positionSnapshot(position),
    marginRatio: position.qty === 0 && position.settings.marginMode === 'ISOLATED' ? 0n : marginRatio(unitState(cover)),
    crossWalletBalance: wallet === undefined ? 0n : wallet.balance - wallet.isolatedMargin,
    direction,
    qty,
  });
}

export const directionOf = (position: Position): 'LONG' | 'SHORT' => (position.qty < 0 ? 'SHORT' : 'LONG');
