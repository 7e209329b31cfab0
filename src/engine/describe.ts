/**
 * One-line, human-readable rendering of canonical events (the demo and the CLI use it).
 */
import { formatAmount } from './fixed.js';
import { formatAveragePrice, formatEntryPrice, formatPrice } from './format.js';
import type { SymbolConfig } from './symbol.js';
import type { EngineEvent } from './types.js';

function price(ticks: number, config: SymbolConfig | undefined): string {
  return config === undefined ? `${ticks}t` : formatPrice(config, ticks);
}

export function describeEvent(event: EngineEvent, symbols: ReadonlyMap<string, SymbolConfig>): string {
  const head = `[acct ${event.accountId} seq ${event.seq}] ${event.type.padEnd(8)}`;
  switch (event.type) {
    case 'order': {
      const o = event.order;
      const spec = symbols.get(o.symbol);
      const avg = o.executedQty > 0 && spec ? ` avg ${formatAveragePrice(spec, o.cumQuote, o.executedQty, 0)}` : '';
      return `${head} ${event.execType.padEnd(9)} #${o.orderId} ${o.symbol} ${o.side} ${o.orderType} ${o.qty}@${price(o.price, spec)} ` +
        `filled ${o.executedQty}${avg} state ${o.state}${o.reason === 'NONE' ? '' : ` (${o.reason})`} frozen ${formatAmount(o.marginFrozen)}`;
    }
    case 'trade':
      return `${head} #${event.tradeId} order ${event.orderId} ${event.side} ${event.qty}@${price(event.price, symbols.get(event.symbol))} ` +
        `${event.isMaker ? 'maker' : 'taker'} fee ${formatAmount(event.fee)} ${event.feeAsset} pnl ${formatAmount(event.realizedPnl)}`;
    case 'position': {
      const p = event.position;
      const spec = symbols.get(p.symbol);
      const entry = spec ? formatEntryPrice(spec, p.entryCost, Math.abs(p.qty), 2) : `${p.entryCost}t`;
      return `${head} ${p.symbol} ${p.positionSide} ${p.marginMode} x${p.leverage} qty ${p.qty} entry ${entry} ` +
        `margin ${formatAmount(p.margin)} openOrders ${p.openOrderQty} closeOrders ${p.closeOrderQty} frozen ${formatAmount(p.openOrderMarginFrozen)} ` +
        `realized ${formatAmount(p.realizedPnlTotal)}`;
    }
    case 'balance': {
      const b = event.balance;
      return `${head} ${b.asset} wallet ${formatAmount(b.walletBalance)} available ${formatAmount(b.availableBalance)} ` +
        `frozen ${formatAmount(b.openOrderMarginFrozen)} crossMargin ${formatAmount(b.crossedMargin)} isolated ${formatAmount(b.isolatedMargin)} (${event.reason})`;
    }
    case 'config':
      return `${head} ${event.symbol ?? '*'} leverage ${event.leverage ?? '-'} marginMode ${event.marginMode ?? '-'} positionMode ${event.positionMode}`;
    case 'notice':
      return `${head} ${event.notice} ${event.position.symbol} ${event.position.positionSide} qty ${event.position.qty} marginRatio ${formatAmount(event.marginRatio)}`;
    case 'funding':
      return `${head} ${event.symbol} ${event.positionSide} qty ${event.qty} rate ${formatAmount(event.fundingRate)} fee ${formatAmount(event.fundingFee)}`;
    case 'delivery':
      return `${head} ${event.symbol} ${event.positionSide} qty ${event.qty} delivered at ${price(event.deliveryPrice, symbols.get(event.symbol))} ` +
        `pnl ${formatAmount(event.realizedPnl)} fee ${formatAmount(event.fee)}`;
    case 'riskLimit':
      return `${head} ${event.symbol} level ${event.riskLevel} ${event.success ? 'adjusted' : `refused: ${event.message}`}`;
    case 'conditional': {
      const c = event.conditional;
      const spec = symbols.get(c.symbol);
      const trigger = c.triggerPrice === null ? 'unarmed' : `${c.triggerDirection === 'RISE' ? '≥' : '≤'} ${price(c.triggerPrice, spec)}`;
      return `${head} ${event.change.padEnd(9)} #${c.conditionalId} ${c.kind} ${c.symbol} ${c.side} ${c.orderType} ${c.qty === 0 ? 'position' : c.qty} ` +
        `when ${c.triggerSource} ${trigger} state ${c.state}${c.reason === 'NONE' ? '' : ` (${c.reason})`}`;
    }
  }
}
