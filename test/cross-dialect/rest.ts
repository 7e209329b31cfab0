/**
 * The same account read through each dialect's REST account snapshot (wallets and positions), into
 * the same normalized model, at chosen steps: a client that snapshots over REST and then follows the
 * stream must find the two agreeing. Where a REST row has the push's shape (XT, Bybit, KuCoin) the
 * push decoder reads it; Binance's REST objects have their own fields.
 */
import { dec, isZero, rounded } from './exact.js';
import { binanceQty, bybitSymbolName, concatName, decodeBybit, decodeKucoin, decodeXt, kucoinSymbolName, type DecodeContext } from './decode.js';
import type { FrontDoors } from './doors.js';
import { FIELDS, Model, type EntityKind, type Units } from './model.js';

type Json = Record<string, unknown>;

export type RestName = 'xt-rest' | 'binance-rest' | 'bybit-rest' | 'kucoin-rest';

/** What each REST snapshot carries (wallets and positions; orders and fills are the streams' business here). */
export const REST_CARRIES: Readonly<Record<RestName, Readonly<Record<EntityKind, readonly string[]>>>> = {
  'xt-rest': {
    wallet: FIELDS.wallet,
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlTotal', 'feesTotal', 'fundingTotal', 'markPrice', 'unrealizedPnl'],
    order: [], fill: [], setting: FIELDS.setting,
  },
  'binance-rest': {
    wallet: FIELDS.wallet,
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'markPrice', 'unrealizedPnl'],
    order: [], fill: [], setting: FIELDS.setting,
  },
  'bybit-rest': {
    wallet: FIELDS.wallet,
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlCurrent', 'realizedNetTotal', 'markPrice', 'unrealizedPnl'],
    order: [], fill: [], setting: FIELDS.setting,
  },
  // account-overview has no wallet balance (only equity), and is asked for the settle asset only.
  'kucoin-rest': {
    wallet: ['availableBalance', 'orderMargin', 'positionMargin'],
    position: ['qty', 'entryPrice', 'marginMode', 'leverage', 'margin', 'realizedPnlCurrent', 'feesCurrent', 'fundingTotal', 'markPrice', 'unrealizedPnl'],
    order: [], fill: [], setting: FIELDS.setting,
  },
};

/** Wallets a REST snapshot must list: KuCoin's account overview is asked for the settle asset only. */
export const restListsWallet = (name: RestName, asset: string, units: ReadonlyMap<string, Units>): boolean =>
  name !== 'kucoin-rest' || [...units.values()].some((u) => u.settleAsset === asset);

const list = (value: unknown): Json[] => (Array.isArray(value) ? value as Json[] : [value as Json]);

/** XT's balance/list and position/list (`doors` at the root for USDT-M, under /dapi for Coin-M). */
export async function xtRestModel(doors: FrontDoors, ctx: DecodeContext, seq: number): Promise<Model> {
  const xt = new Model();
  for (const data of await doors.xtGet('/future/user/v1/balance/list') as Json[]) decodeXt(xt, { topic: 'balance', seq, data }, ctx);
  for (const data of await doors.xtGet('/future/user/v1/position/list') as Json[]) decodeXt(xt, { topic: 'position', seq, data }, ctx);
  return xt;
}

/** Binance's account and positionRisk: USDⓈ-M (/fapi/v2) or COIN-M (/dapi/v1, quantities in contracts). */
export async function binanceRestModel(doors: FrontDoors, ctx: DecodeContext, units: ReadonlyMap<string, Units>, api: 'fapi' | 'dapi' = 'fapi'): Promise<Model> {
  const version = api === 'fapi' ? 'v2' : 'v1';
  const binance = new Model();
  const account = await doors.binance('GET', `/${api}/${version}/account`, {});
  for (const a of account.assets as Json[]) {
    binance.set(`wallet:${String(a.asset)}`, {
      walletBalance: dec(String(a.walletBalance)), availableBalance: dec(String(a.availableBalance)),
      orderMargin: dec(String(a.openOrderInitialMargin)), positionMargin: dec(String(a.positionInitialMargin)),
    });
  }
  for (const p of await doors.binance('GET', `/${api}/${version}/positionRisk`, {}) as unknown as Json[]) {
    const symbol = concatName(ctx, String(p.symbol));
    const u = units.get(symbol)!;
    const qty = binanceQty(u, String(p.positionAmt));
    const marginMode = p.marginType === 'isolated' ? 'ISOLATED' : 'CROSSED';
    binance.set(`position:${symbol}|${String(p.positionSide)}`, {
      qty, entryPrice: isZero(qty) ? null : rounded(String(p.entryPrice), Math.max(5, u.priceDecimals + 3)), marginMode,
      leverage: String(p.leverage), margin: marginMode === 'ISOLATED' ? dec(String(p.isolatedWallet)) : undefined,
      markPrice: isZero(String(p.markPrice)) ? null : dec(String(p.markPrice)), unrealizedPnl: dec(String(p.unRealizedProfit)),
    });
    binance.set(`setting:${symbol}`, { leverage: String(p.leverage), marginMode });
  }
  return binance;
}

/** Bybit's UNIFIED wallet-balance and position/list of each symbol (with its category: linear or inverse). */
export async function bybitRestModel(doors: FrontDoors, ctx: DecodeContext, symbols: readonly Units[]): Promise<Model> {
  const bybit = new Model();
  decodeBybit(bybit, { topic: 'wallet', data: (await doors.bybitGet('/v5/account/wallet-balance', { accountType: 'UNIFIED' })).list }, ctx);
  for (const u of symbols) {
    const rows = (await doors.bybitGet('/v5/position/list', { category: u.inverse === null ? 'linear' : 'inverse', symbol: bybitSymbolName(u) })).list as Json[];
    // REST rows name the entry price avgPrice.
    decodeBybit(bybit, { topic: 'position', data: rows.map((r) => ({ ...r, entryPrice: r.avgPrice })) }, ctx);
  }
  return bybit;
}

/** KuCoin's account-overview of each settle asset (XBT for BTC) and position of each listed contract. */
export async function kucoinRestModel(doors: FrontDoors, ctx: DecodeContext, symbols: readonly Units[], seq: number): Promise<Model> {
  const kucoin = new Model();
  for (const asset of new Set(symbols.map((u) => u.settleAsset))) {
    const o = await doors.kucoinGet('/api/v1/account-overview', { currency: asset === 'BTC' ? 'XBT' : asset }) as Json;
    kucoin.set(`wallet:${asset}`, {
      availableBalance: dec(String(o.availableBalance)), orderMargin: dec(String(o.orderMargin)), positionMargin: dec(String(o.positionMargin)),
    });
  }
  for (const name of symbols.map(kucoinSymbolName)) {
    if (name === undefined) continue;
    for (const data of list(await doors.kucoinGet('/api/v1/position', { symbol: name }))) {
      decodeKucoin(kucoin, { type: 'message', topic: `/contract/position:${name}`, subject: 'position.change', data, seq: String(seq) }, ctx);
    }
  }
  return kucoin;
}

/** Each dialect's REST snapshot of the account, decoded. `seq` is the account's current seq (for XT's one-way sides). */
export async function restModels(doors: FrontDoors, ctx: DecodeContext, units: ReadonlyMap<string, Units>, seq: number): Promise<{ name: RestName; model: Model }[]> {
  const symbols = [...units.values()];
  return [
    { name: 'xt-rest', model: await xtRestModel(doors, ctx, seq) },
    { name: 'binance-rest', model: await binanceRestModel(doors, ctx, units) },
    { name: 'bybit-rest', model: await bybitRestModel(doors, ctx, symbols) },
    { name: 'kucoin-rest', model: await kucoinRestModel(doors, ctx, symbols, seq) },
  ];
}
