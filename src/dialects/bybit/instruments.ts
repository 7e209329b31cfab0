/**
 * An engine symbol as a Bybit instrument (GET /v5/market/instruments-info): linear quantities in
 * base units, inverse ones in USD, so `qtyStep` is the contract size either way (100 for a 100 USD
 * inverse contract; ccxt takes an inverse market's minOrderQty as its contractSize). Delivery
 * contracts are LinearFutures / InverseFutures with their deliveryTime and deliveryFeeRate, and
 * no funding. `makerFee` / `takerFee` are perpstream's addition (Bybit publishes fee rates
 * elsewhere); ccxt reads them for the market's fees.
 */
import { formatRate } from '../../engine/fixed.js';
import { formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import { baseQty, bybitSymbol } from './symbols.js';

/** Bybit's instrument status (enum.mdx): Trading, Delivering from the delivery time until settled, then Closed. */
export type InstrumentStatus = 'Trading' | 'Delivering' | 'Closed';

/** enum.mdx contractType. */
export function contractType(config: SymbolConfig): string {
  const futures = config.delivery !== null;
  return config.inverse ? (futures ? 'InverseFutures' : 'InversePerpetual') : (futures ? 'LinearFutures' : 'LinearPerpetual');
}

export function instrument(config: SymbolConfig, status: InstrumentStatus): Record<string, unknown> {
  const spec = config.spec;
  const band = formatRate(config.priceBandRate);
  const delivery = config.delivery;
  return {
    symbol: bybitSymbol(config.symbol),
    contractType: contractType(config),
    status,
    baseCoin: spec.baseAsset,
    quoteCoin: spec.quoteAsset,
    settleCoin: spec.settleAsset,
    launchTime: '0',
    deliveryTime: delivery === null ? '0' : String(delivery.time),
    deliveryFeeRate: delivery === null ? '' : formatRate(delivery.feeRate),
    priceScale: String(config.priceDecimals),
    leverageFilter: { minLeverage: '1', maxLeverage: String(spec.maxLeverage), leverageStep: '1' },
    priceFilter: { minPrice: spec.tickSize, maxPrice: formatPrice(config, spec.maxPriceTicks), tickSize: spec.tickSize },
    lotSizeFilter: {
      maxOrderQty: baseQty(config, spec.maxQty),
      minOrderQty: baseQty(config, spec.minQty),
      qtyStep: spec.contractSize,
      postOnlyMaxOrderQty: baseQty(config, spec.maxQty),
      maxMktOrderQty: baseQty(config, spec.maxQty),
      minNotionalValue: '0',
    },
    unifiedMarginTrade: true,
    fundingInterval: delivery === null ? 480 : 0,
    copyTrading: 'none',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: band, priceLimitRatioY: band },
    displayName: '',
    symbolType: '',
    makerFee: formatRate(config.makerFeeRate),
    takerFee: formatRate(config.takerFeeRate),
  };
}
