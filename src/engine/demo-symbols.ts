/**
 * The demo symbols perpstream starts with, and that the tests use. BTC_USDT carries the old
 * Binance BTCUSDT bracket table of risk.md §5.1.
 */
import type { SymbolSpec } from './symbol.js';

export const BTC_USDT: SymbolSpec = {
  symbol: 'btc_usdt',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  settleAsset: 'USDT',
  contractType: 'PERPETUAL',
  underlyingType: 'U_BASED',
  tickSize: '0.1',
  contractSize: '0.0001',
  minQty: 1,
  maxQty: 1_000_000,
  makerFeeRate: '0.0002',
  takerFeeRate: '0.0006',
  maxLeverage: 125,
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.004', maxLeverage: 125 },
    { notionalFloor: '50000', maintenanceMarginRate: '0.005', maxLeverage: 100 },
    { notionalFloor: '250000', maintenanceMarginRate: '0.01', maxLeverage: 50 },
    { notionalFloor: '1000000', maintenanceMarginRate: '0.025', maxLeverage: 20 },
  ],
  priceBandRate: '0.05',
  maxPriceTicks: 100_000_000,
  maxPositionQty: 10_000_000,
};

export const ETH_USDT: SymbolSpec = {
  symbol: 'eth_usdt',
  baseAsset: 'ETH',
  quoteAsset: 'USDT',
  settleAsset: 'USDT',
  contractType: 'PERPETUAL',
  underlyingType: 'U_BASED',
  tickSize: '0.01',
  contractSize: '0.01',
  minQty: 1,
  maxQty: 1_000_000,
  makerFeeRate: '0.0002',
  takerFeeRate: '0.0005',
  maxLeverage: 100,
  tiers: [
    { notionalFloor: '0', maintenanceMarginRate: '0.005', maxLeverage: 100 },
    { notionalFloor: '10000', maintenanceMarginRate: '0.0065', maxLeverage: 75 },
    { notionalFloor: '100000', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  ],
  priceBandRate: '0.05',
  maxPriceTicks: 100_000_000,
  maxPositionQty: 10_000_000,
};

export const DEMO_SYMBOLS: readonly SymbolSpec[] = [BTC_USDT, ETH_USDT];
