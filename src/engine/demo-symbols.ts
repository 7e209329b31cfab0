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

/** The linear perpetual demo symbols: most tests' set. */
export const DEMO_SYMBOLS: readonly SymbolSpec[] = [BTC_USDT, ETH_USDT];

/**
 * Binance COIN-M's BTCUSD brackets (coin notional floors in BTC); their maintenance amounts by the cum
 * recurrence are 0, 0.005, 0.055, 0.355, 1.605, 6.605, 11.605, 21.605, 121.605 and 496.605 BTC
 * (risk.md §6 V6 uses the 200–400 BTC tier: 12.5 %, cum 11.605).
 */
export const COIN_M_BTC_TIERS: SymbolSpec['tiers'] = [
  { notionalFloor: '0', maintenanceMarginRate: '0.004', maxLeverage: 125 },
  { notionalFloor: '5', maintenanceMarginRate: '0.005', maxLeverage: 100 },
  { notionalFloor: '10', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  { notionalFloor: '20', maintenanceMarginRate: '0.025', maxLeverage: 20 },
  { notionalFloor: '50', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  { notionalFloor: '100', maintenanceMarginRate: '0.1', maxLeverage: 5 },
  { notionalFloor: '200', maintenanceMarginRate: '0.125', maxLeverage: 4 },
  { notionalFloor: '400', maintenanceMarginRate: '0.15', maxLeverage: 3 },
  { notionalFloor: '1000', maintenanceMarginRate: '0.25', maxLeverage: 2 },
  { notionalFloor: '1500', maintenanceMarginRate: '0.5', maxLeverage: 1 },
];

/** BTC inverse perpetual: a contract is 100 USD, margin, PnL and fees in BTC (Binance COIN-M BTCUSD_PERP's shape). */
export const BTC_USD: SymbolSpec = {
  symbol: 'btc_usd',
  baseAsset: 'BTC',
  quoteAsset: 'USD',
  settleAsset: 'BTC',
  contractType: 'PERPETUAL',
  underlyingType: 'COIN_BASED',
  tickSize: '0.1',
  contractSize: '100',
  minQty: 1,
  maxQty: 1_000_000,
  makerFeeRate: '0.0001',
  takerFeeRate: '0.0005',
  maxLeverage: 125,
  tiers: COIN_M_BTC_TIERS,
  priceBandRate: '0.05',
  maxPriceTicks: 100_000_000,
  maxPositionQty: 10_000_000,
  // The impact notional is in the settle coin: 200 / IMR at 125x would be 25,000 BTC.
  pricing: { impactMarginNotional: '2' },
};

/** 2027-03-26T08:00:00Z, the last Friday of the quarter at 08:00 UTC, when the exchanges deliver. */
export const MARCH_2027_DELIVERY = Date.UTC(2027, 2, 26, 8, 0, 0);

/** Linear quarterly delivery: BTC/USDT like BTC_USDT, settled at the mean index of the last 30 minutes. */
export const BTC_USDT_0326: SymbolSpec = {
  ...BTC_USDT,
  symbol: 'btc_usdt270326',
  contractType: 'DELIVERY',
  tiers: BTC_USDT.tiers.map((t) => ({ ...t })),
  delivery: { deliveryTime: MARCH_2027_DELIVERY, averagingWindowMs: 30 * 60 * 1000, deliveryFeeRate: '0.0002' },
};

/** Inverse quarterly delivery: BTC/USD like BTC_USD. */
export const BTC_USD_0326: SymbolSpec = {
  ...BTC_USD,
  symbol: 'btc_usd270326',
  contractType: 'DELIVERY',
  tiers: COIN_M_BTC_TIERS.map((t) => ({ ...t })),
  delivery: { deliveryTime: MARCH_2027_DELIVERY, averagingWindowMs: 30 * 60 * 1000, deliveryFeeRate: '0.0001' },
};

/** The coin-margined and delivery demo contracts (every dialect maps them under its own names). */
export const INVERSE_AND_DELIVERY_DEMO_SYMBOLS: readonly SymbolSpec[] = [BTC_USD, BTC_USDT_0326, BTC_USD_0326];

/**
 * The server's default symbols (`npm start` without a configuration): the linear perpetuals, the
 * BTC inverse perpetual and the two March 2027 quarterlies. A quarterly is a fixed date: after it, the
 * default server lists it as delivered (a configuration file names later ones).
 */
export const DEFAULT_SYMBOLS: readonly SymbolSpec[] = [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS];
