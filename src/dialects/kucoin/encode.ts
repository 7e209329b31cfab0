/**
 * Canonical events → KuCoin classic futures private pushes. Each event becomes frames keyed by the
 * subscription that receives them (`Frame.key`); a connection sends the frames whose key it
 * subscribed. Frames are built once per event whatever the number of sockets, and only from the
 * event itself (plus static symbol configuration), so a replayed event encodes like the live one.
 *
 * Envelope: {"type":"message","topic","subject","userId","channelType":"private","data","seq"};
 * `seq` (the account's gap-free sequence) is perpstream's addition, as in every dialect.
 */
import type { ConditionalEvent, ConfigEvent, EngineEvent } from '../../engine/types.js';
import { adjustRiskLimitData, markPriceData, positionChangeData, settlementData, type JsonObject } from './encode-position.js';
import { matchData, orderChangeData } from './encode-order.js';
import { stopOrderData, type StopOrderMessage } from './encode-stop.js';
import { legacyWalletData, walletBalanceData } from './encode-wallet.js';
import { toJson } from './json.js';
import type { KucoinSymbols } from './symbols.js';
import { FrameMemo } from '../frame-memo.js';

export const TOPICS = Object.freeze({
  orders: '/contractMarket/tradeOrders',
  stopOrders: '/contractMarket/advancedOrders',
  wallet: '/contractAccount/wallet',
  position: '/contract/position',
  positionAll: '/contract/positionAll',
  marginMode: '/contract/marginMode',
  crossLeverage: '/contract/crossLeverage',
});

/** The stopOrder message of each conditional change; an amendment has none (encode-stop.ts). */
const STOP_ORDER_MESSAGES: Readonly<Record<ConditionalEvent['change'], StopOrderMessage | undefined>> = {
  NEW: 'open', TRIGGERED: 'triggered', REJECTED: 'triggered', CANCELED: 'cancel', EXPIRED: 'cancel', AMENDED: undefined,
};

/** Subscription keys: `orders`, `orders:XBTUSDTM`, `stopOrders`, `wallet`, `position:XBTUSDTM`, `positionAll`, `marginMode`, `crossLeverage`. */
export type SubscriptionKey = string;

export interface Frame {
  key: SubscriptionKey;
  text: string;
}

/** The engine symbol an event is about, or null for an account-wide one (balance, account config). */
export function eventSymbol(event: EngineEvent): string | null {
  switch (event.type) {
    case 'order': return event.order.symbol;
    case 'position': return event.position.symbol;
    case 'conditional': return event.conditional.symbol;
    case 'notice': return event.position.symbol;
    case 'balance': return null;
    case 'config': return event.symbol;
    default: return event.symbol;
  }
}

export class KucoinEncoder {
  private readonly frames = new FrameMemo<readonly Frame[]>();

  constructor(private readonly symbols: KucoinSymbols) {}

  encode(event: EngineEvent): readonly Frame[] {
    return this.frames.get(event, () => this.build(event));
  }

  private build(event: EngineEvent): Frame[] {
    const symbol = eventSymbol(event);
    // A contract KuCoin does not list (a USDT-margined quarterly, traded through another dialect) has no KuCoin push.
    if (symbol !== null && !this.symbols.listed(symbol)) return [];
    const message = (key: string, topic: string, subject: string, data: JsonObject): Frame => ({
      key,
      text: toJson({ type: 'message', topic, subject, userId: String(event.accountId), channelType: 'private', data, seq: event.seq }),
    });
    /** The same data on the all-symbols topic and on the symbol's own topic. */
    const orderFrames = (name: string, data: JsonObject): Frame[] => [
      message('orders', TOPICS.orders, 'orderChange', data),
      message(`orders:${name}`, `${TOPICS.orders}:${name}`, 'symbolOrderChange', data),
    ];
    /** Position subjects go to /contract/position:{symbol} and to /contract/positionAll. */
    const positionFrames = (name: string, subject: string, bySymbol: JsonObject, forAll: JsonObject = bySymbol): Frame[] => [
      message(`position:${name}`, `${TOPICS.position}:${name}`, subject, bySymbol),
      message('positionAll', TOPICS.positionAll, subject, forAll),
    ];

    switch (event.type) {
      case 'order': {
        const o = event.order;
        const name = this.symbols.name(o.symbol);
        const config = this.symbols.config(o.symbol);
        switch (event.execType) {
          case 'NEW': return orderFrames(name, orderChangeData(o, config, name, 'open', 'open', event.time));
          case 'AMENDMENT': return orderFrames(name, orderChangeData(o, config, name, 'update', 'open', event.time));
          case 'CANCELED':
          case 'EXPIRED': return orderFrames(name, orderChangeData(o, config, name, 'canceled', 'done', event.time));
          default: return [];
        }
      }
      case 'trade': {
        const name = this.symbols.name(event.symbol);
        const config = this.symbols.config(event.symbol);
        const frames = orderFrames(name, matchData(event, config, name));
        if (event.order.state === 'FILLED') frames.push(...orderFrames(name, orderChangeData(event.order, config, name, 'filled', 'done', event.time)));
        return frames;
      }
      case 'position': {
        const p = event.position;
        const name = this.symbols.name(p.symbol);
        const config = this.symbols.config(p.symbol);
        if (event.reason === 'MARK_PRICE') {
          return positionFrames(name, 'position.change', markPriceData(p, config, name, event.time, false), markPriceData(p, config, name, event.time, true));
        }
        return positionFrames(name, 'position.change', positionChangeData(p, config, name, event.reason, event.time));
      }
      case 'funding': {
        const name = this.symbols.name(event.symbol);
        return positionFrames(name, 'position.settlement', settlementData(event, this.symbols.config(event.symbol)));
      }
      case 'conditional': {
        const type = STOP_ORDER_MESSAGES[event.change];
        if (type === undefined) return [];
        const c = event.conditional;
        const name = this.symbols.name(c.symbol);
        return [message('stopOrders', TOPICS.stopOrders, 'stopOrder', stopOrderData(c, this.symbols.config(c.symbol), name, type, event.time))];
      }
      case 'riskLimit':
        return positionFrames(this.symbols.name(event.symbol), 'position.adjustRiskLimit', adjustRiskLimitData(event));
      case 'balance': {
        const b = event.balance;
        return [
          ...legacyWalletData(b, event.time).map(({ subject, data }) => message('wallet', TOPICS.wallet, subject, data)),
          message('wallet', TOPICS.wallet, 'walletBalance.change', walletBalanceData(b, event.seq, event.time)),
        ];
      }
      case 'config':
        return this.config(event, message);
      // Liquidation notices show on the classic stream as changeReason liquidation/adl on the
      // position and tradeType liquid on the order; the warning itself is UTA's `lw` only.
      case 'notice':
        return [];
      // KuCoin documents no delivery message of its own: a delivery shows as its orders' canceled/done,
      // the position.change to zero (changeReason positionChange) and the wallet's walletBalance.change.
      case 'delivery':
        return [];
    }
  }

  private config(event: ConfigEvent, message: (key: string, topic: string, subject: string, data: JsonObject) => Frame): Frame[] {
    if (event.symbol === null) return [];
    const name = this.symbols.name(event.symbol);
    // A risk-limit level that brings the leverage down to its maximum changes the setting too.
    if ((event.reason === 'LEVERAGE_CHANGE' || event.reason === 'RISK_LIMIT_CHANGE') && event.leverage !== null) {
      return [message('crossLeverage', TOPICS.crossLeverage, 'user.config', { [name]: { leverage: String(event.leverage) } })];
    }
    if (event.reason === 'MARGIN_TYPE_CHANGE' && event.marginMode !== null) {
      return [message('marginMode', TOPICS.marginMode, 'user.config', { [name]: event.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS' })];
    }
    return [];
  }
}
