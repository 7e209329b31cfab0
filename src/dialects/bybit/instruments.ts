/**
 * An engine symbol as a Bybit linear instrument (GET /v5/market/instruments-info): quantities in
 * base units, so `qtyStep` is the contract size. `makerFee` / `takerFee` are perpstream's addition
 * (Bybit publishes fee rates elsewhere); ccxt reads them for the market's fees.
 */
import { formatRate } from '../../engine/fixed.js';
import { formatPrice } from '../../engine/format.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import { baseQty, bybitSymbol } from './symbols.js';

export function instrument(config: SymbolConfig): Record<string, unknown> {
  const spec = config.spec;
  const band = formatRate(config.priceBandRate);
  return {
    symbol: bybitSymbol(config.symbol),
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: spec.baseAsset,
    quoteCoin: spec.quoteAsset,
    settleCoin: spec.settleAsset,
    launchTime: '0',
    deliveryTime: '0',
    deliveryFeeRate: '',
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
    fundingInterval: 480,
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
