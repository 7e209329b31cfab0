/**
 * Canonical events → KuCoin UTA ("Pro") private pushes (protocols.md §4.3), the subset ccxt 4.5.84
 * uses for a CLASSIC account: `positionAll` (and per-symbol `position`), plus the liquidation
 * warning `lw`. Push: {"T":"<channel>.FUTURES","P":"<ns>","d":{…},"seq"}; `seq` is perpstream's.
 *
 * `lw` field meanings are inferred (KuCoin documents the channel as beta): eT event type
 * (MARGIN_CALL), s symbol, r risk ratio (maintenance margin / margin balance), a the cross wallet
 * (wallet − isolated margin), iM / mM the position's initial / maintenance margin, e the margin
 * balance backing it (isolated: its margin; cross: the cross wallet; plus its unrealized PnL),
 * aM = e − mM (margin left above maintenance), l liabilities (none: 0), U time (ns).
 */
import type { EngineEvent, NoticeEvent } from '../../engine/types.js';
import { utaPositionData, type JsonObject } from './encode-position.js';
import { eventSymbol, type Frame } from './encode.js';
import { toJson } from './json.js';
import type { KucoinSymbols } from './symbols.js';
import { amountText, nsText, rateText } from './values.js';
import { FrameMemo } from '../frame-memo.js';

/** The tradeType suffix of every push: accounts here are CLASSIC, whose futures channels are FUTURES. */
export const UTA_TRADE_TYPE = 'FUTURES';

export function lwData(e: NoticeEvent, name: string): JsonObject {
  const p = e.position;
  const backing = p.marginMode === 'ISOLATED' ? p.margin : e.crossWalletBalance;
  const equity = backing + p.unrealizedPnl;
  return {
    eT: 'MARGIN_CALL',
    s: name,
    r: rateText(e.marginRatio),
    a: amountText(e.crossWalletBalance),
    iM: amountText(p.initialMargin),
    mM: amountText(p.maintenanceMargin),
    aM: amountText(equity - p.maintenanceMargin),
    e: amountText(equity),
    l: '0',
    U: nsText(e.time),
  };
}

export class UtaEncoder {
  private readonly frames = new FrameMemo<readonly Frame[]>();

  constructor(private readonly symbols: KucoinSymbols) {}

  encode(event: EngineEvent): readonly Frame[] {
    return this.frames.get(event, () => this.build(event));
  }

  private build(event: EngineEvent): Frame[] {
    const symbol = eventSymbol(event);
    if (symbol !== null && !this.symbols.listed(symbol)) return [];
    const push = (key: string, channel: string, d: JsonObject): Frame => ({
      key,
      text: toJson({ T: `${channel}.${UTA_TRADE_TYPE}`, P: nsText(event.time), d, seq: event.seq }),
    });
    switch (event.type) {
      case 'position': {
        const p = event.position;
        const name = this.symbols.name(p.symbol);
        const d = utaPositionData(event.accountId, p, this.symbols.config(p.symbol), name, event.time);
        return [push('positionAll', 'positionAll', d), push(`position:${name}`, 'position', d)];
      }
      case 'notice':
        return event.notice === 'WARN' ? [push('lw', 'lw', lwData(event, this.symbols.name(event.position.symbol)))] : [];
      default:
        return [];
    }
  }
}
