/**
 * Public futures endpoints: contracts (what ccxt's fetchMarkets reads: a non-null
 * nextFundingRateTime makes the contract a swap; multiplier is the contract size; with the market
 * fields KuCoin lists, open interest among them, which ccxt's fetchTickers reads), risk-limit
 * tiers, server time and status.
 */
import type { FastifyInstance } from 'fastify';
import { decimalPlaces, formatRate, formatRatio, formatScaled, parseAmount, parseScaled } from '../../engine/fixed.js';
import type { Exchange } from '../../service/exchange.js';
import type { DayStats } from '../../service/market-data.js';
import type { SymbolConfig } from '../../engine/symbol.js';
import { Num, type JsonValue } from './json.js';
import { badParam, ok } from './envelope.js';
import type { KucoinRestOptions } from './rest.js';
import { fundingRateSymbol, indexSymbolName, kucoinCurrency, premium8hSymbolName, premiumSymbolName, type KucoinSymbols } from './symbols.js';
import { amountNum, priceNum, rateNum } from './values.js';

/** KuCoin settles funding at 04:00, 12:00 and 20:00 UTC (risk.md §5.8). */
const FUNDING_HOURS_UTC = [4, 12, 20];
const HOUR_MS = 3_600_000;

/** Milliseconds from `now` to the next funding settlement. */
export function msToNextFunding(now: number): number {
  const dayStart = now - (now % (24 * HOUR_MS));
  for (const hour of [...FUNDING_HOURS_UTC, FUNDING_HOURS_UTC[0]! + 24]) {
    const at = dayStart + hour * HOUR_MS;
    if (at > now) return at - now;
  }
  return 8 * HOUR_MS;
}

/** What a contract object shows of the market: prices, funding, open interest, the last 24 hours. */
export interface ContractFigures {
  markPrice: number | null;
  indexPrice: number | null;
  lastPrice: number | null;
  /** The running interval's (predicted) funding rate and the last settled one, 10⁻⁸. */
  predictedFundingRate: bigint;
  lastFundingRate: bigint;
  /** Contracts (lots). */
  openInterest: number;
  day: DayStats;
  /** KuCoin's contract status: Open; a quarterly BeingSettled from its delivery time, Settled once delivered. */
  status: 'Open' | 'BeingSettled' | 'Settled';
}

/** The figures of a contract now, from the engine and the market-data service. */
export function contractFigures(exchange: Exchange, config: SymbolConfig): ContractFigures {
  const now = exchange.now();
  const info = exchange.engine.prices(config.symbol, now)!;
  return {
    markPrice: info.markPrice, indexPrice: info.indexPrice, lastPrice: info.lastPrice, predictedFundingRate: info.predictedFundingRate,
    lastFundingRate: info.lastFundingRate, openInterest: info.openInterest, day: exchange.state.market.dayStats(config.symbol, now),
    status: info.delivery === null || now < info.delivery.time ? 'Open' : info.delivery.settledPrice === null ? 'BeingSettled' : 'Settled',
  };
}

/**
 * The contract object of GET /api/v1/contracts/active and /api/v1/contracts/{symbol} (numbers as
 * JSON numbers, like KuCoin): the specification, and with `figures` the market fields KuCoin lists
 * (funding rates, open interest, 24-hour turnover and volume in the base currency, mark, index and
 * last price, 24-hour low, high and change), which ccxt's fetchTickers reads.
 */
export function contractObject(config: SymbolConfig, name: string, figures: ContractFigures | undefined, now: number): { [key: string]: JsonValue } {
  const spec = config.spec;
  const firstTier = config.tiers[0]!;
  const lastTier = config.tiers[config.tiers.length - 1]!;
  const mark = figures?.markPrice ?? null;
  const last = figures?.lastPrice ?? null;
  const day = figures?.day;
  const open = day?.open ?? null;
  const close = day?.last ?? null;
  const delivery = config.delivery;
  return {
    symbol: name,
    // The contract group is the settle currency (USDT for XBTUSDTM, XBT for XBTUSDM and XBTMH27).
    rootSymbol: kucoinCurrency(spec.settleAsset),
    // KuCoin: FFWCSX a perpetual swap, FFICSX a futures (delivery) contract.
    type: delivery === null ? 'FFWCSX' : 'FFICSX',
    firstOpenDate: 0,
    // A quarterly expires and is settled at its delivery time; a perpetual never (null).
    expireDate: delivery?.time ?? null,
    settleDate: delivery?.time ?? null,
    baseCurrency: kucoinCurrency(spec.baseAsset),
    quoteCurrency: spec.quoteAsset,
    settleCurrency: kucoinCurrency(spec.settleAsset),
    maxOrderQty: spec.maxQty,
    maxPrice: priceNum(config, spec.maxPriceTicks),
    lotSize: 1,
    tickSize: decimalNum(spec.tickSize),
    indexPriceTickSize: decimalNum(spec.tickSize),
    // KuCoin publishes an inverse contract's multiplier negative (XBTUSDM: −1, one lot is 1 USD): value = qty × multiplier / price.
    multiplier: config.inverse ? Num.of(`-${decimalNum(spec.contractSize).text}`) : decimalNum(spec.contractSize),
    initialMargin: Num.of(formatRate(ceilRate(spec.maxLeverage))),
    maintainMargin: rateNum(firstTier.mmr),
    maxRiskLimit: amountNum(lastTier.floor),
    minRiskLimit: amountNum(config.tiers[1]?.floor ?? firstTier.floor),
    riskStep: amountNum(0n),
    makerFeeRate: rateNum(config.makerFeeRate),
    takerFeeRate: rateNum(config.takerFeeRate),
    takerFixFee: 0,
    makerFixFee: 0,
    settlementFee: delivery === null ? null : rateNum(delivery.feeRate),
    isDeleverage: true,
    isQuanto: false,
    isInverse: config.inverse,
    markMethod: 'FairPrice',
    // KuCoin: "Fair price marking method; the Futures contract is null"; a quarterly has no funding.
    fairMethod: delivery === null ? 'FundingRate' : null,
    fundingRateSymbol: delivery === null ? fundingRateSymbol(name) : null,
    indexSymbol: indexSymbolName(config),
    settlementSymbol: delivery === null ? '' : indexSymbolName(config),
    status: figures?.status ?? 'Open',
    ...(figures === undefined ? {} : {
      fundingFeeRate: delivery === null ? rateNum(figures.lastFundingRate) : null,
      predictedFundingFeeRate: delivery === null ? rateNum(figures.predictedFundingRate) : null,
      openInterest: String(figures.openInterest),
      turnoverOf24h: amountNum(turnoverOf(config, figures.day)),
      volumeOf24h: amountNum(BigInt(figures.day.volume) * parseAmount(spec.contractSize)),
    }),
    markPrice: mark === null ? null : priceNum(config, mark),
    ...(figures === undefined ? {} : { indexPrice: figures.indexPrice === null ? null : priceNum(config, figures.indexPrice) }),
    lastTradePrice: last === null ? null : priceNum(config, last),
    // ccxt reads a contract without nextFundingRateTime as a future (delivery), with it as a swap.
    nextFundingRateTime: delivery === null ? msToNextFunding(now) : null,
    fundingRateGranularity: delivery === null ? 8 * HOUR_MS : null,
    maxLeverage: spec.maxLeverage,
    supportCross: true,
    sourceExchanges: [],
    premiumsSymbol1M: premiumSymbolName(name),
    premiumsSymbol8H: premium8hSymbolName(name),
    ...(day === undefined ? {} : {
      lowPrice: day.low === null ? null : priceNum(config, day.low),
      highPrice: day.high === null ? null : priceNum(config, day.high),
      priceChgPct: Num.of(open === null || close === null || open === 0 ? '0' : formatRatio(BigInt(close - open), BigInt(open), 4)),
      priceChg: open === null || close === null ? 0 : priceNum(config, close - open),
    }),
  };
}

/**
 * The 24-hour turnover: the quote value for a linear contract; for an inverse one the lots' USD value
 * (lots × contract size): the day's statistics keep Σ qty × price, not the coin value Σ qty / price.
 */
export function turnoverOf(config: SymbolConfig, day: Pick<DayStats, 'volume' | 'quoteVolume'>): bigint {
  return config.inverse ? BigInt(day.volume) * parseAmount(config.spec.contractSize) : day.quoteVolume * config.valuePerTickContract;
}

/** A configured decimal ("0.0001") as a JSON number, trailing zeros dropped. */
function decimalNum(text: string): Num {
  const decimals = decimalPlaces(text);
  return Num.of(formatScaled(parseScaled(text, decimals), decimals, 0));
}

/** 1 / leverage as a rate, rounded up to 10⁻⁸. */
function ceilRate(leverage: number): bigint {
  const scale = 100_000_000n;
  return (scale + BigInt(leverage) - 1n) / BigInt(leverage);
}

/** GET /api/v1/contracts/risk-limit/{symbol}: the maintenance tiers as KuCoin risk-limit levels. */
export function riskLimitLevels(config: SymbolConfig, name: string): JsonValue[] {
  return config.tiers.map((tier, index) => ({
    symbol: name,
    level: index + 1,
    maxRiskLimit: config.tiers[index + 1] === undefined ? null : amountNum(config.tiers[index + 1]!.floor),
    minRiskLimit: amountNum(tier.floor),
    maxLeverage: tier.maxLeverage,
    initialMargin: Num.of(formatRate(ceilRate(tier.maxLeverage))),
    maintainMargin: rateNum(tier.mmr),
  }));
}

export function symbolParam(symbols: KucoinSymbols, name: string): SymbolConfig {
  const config = symbols.find(name);
  if (config === undefined) throw badParam(`symbol ${name} is not a contract here; see GET /api/v1/contracts/active (${symbols.names().join(', ')})`);
  return config;
}

export async function marketRoutes(app: FastifyInstance, options: KucoinRestOptions): Promise<void> {
  const { exchange, symbols } = options;
  const contract = (config: SymbolConfig) => contractObject(config, symbols.name(config.symbol), contractFigures(exchange, config), exchange.now());

  app.get('/api/v1/contracts/active', async () => ok(symbols.all().map(contract)));
  app.get<{ Params: { symbol: string } }>('/api/v1/contracts/:symbol', async (request) => ok(contract(symbolParam(symbols, request.params.symbol))));
  app.get<{ Params: { symbol: string } }>('/api/v1/contracts/risk-limit/:symbol', async (request) => {
    const config = symbolParam(symbols, request.params.symbol);
    return ok(riskLimitLevels(config, symbols.name(config.symbol)));
  });
  app.get('/api/v1/timestamp', async () => ok(exchange.now()));
  app.get('/api/v1/status', async () => ok({ status: 'open', msg: '' }));
}
