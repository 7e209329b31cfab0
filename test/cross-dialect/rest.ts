/**
 * The same account read through each dialect's REST account snapshot (wallets and positions), into
 * the same normalized model, at chosen steps: a client that snapshots over REST and then follows the
 * stream must find the two agreeing. Where a REST row has the push's shape (XT, Bybit, KuCoin) the
 * push decoder reads it; Binance's REST objects have their own fields.
 */
import { dec, isZero, rounded } from './exact.js';
import { concatName, decodeBybit, decodeKucoin, decodeXt, type DecodeContext } from './decode.js';
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

/** Each dialect's REST snapshot of the account, decoded. `seq` is the account's current seq (for XT's one-way sides). */
export async function restModels(doors: FrontDoors, ctx: DecodeContext, units: ReadonlyMap<string, Units>, seq: number): Promise<{ name: RestName; model: Model }[]> {
  const symbols = [...units.keys()];
  const names = (rule: (symbol: string) => string) => symbols.map(rule);
  const kucoinNames = names((s) => {
    const [base, quote] = s.toUpperCase().split('_');
    return `${base === 'BTC' ? 'XBT' : base}${quote}M`;
  });

  const xt = new Model();
  for (const data of await doors.xtGet('/future/user/v1/balance/list') as Json[]) decodeXt(xt, { topic: 'balance', seq, data }, ctx);
  for (const data of await doors.xtGet('/future/user/v1/position/list') as Json[]) decodeXt(xt, { topic: 'position', seq, data }, ctx);

  const binance = new Model();
  const account = await doors.binance('GET', '/fapi/v2/account', {});
  for (const a of account.assets as Json[]) {
    binance.set(`wallet:${String(a.asset)}`, {
      walletBalance: dec(String(a.walletBalance)), availableBalance: dec(String(a.availableBalance)),
      orderMargin: dec(String(a.openOrderInitialMargin)), positionMargin: dec(String(a.positionInitialMargin)),
    });
  }
  for (const p of await doors.binance('GET', '/fapi/v2/positionRisk', {}) as unknown as Json[]) {
    const symbol = concatName(ctx, String(p.symbol));
    const u = units.get(symbol)!;
    const qty = dec(String(p.positionAmt));
    const marginMode = p.marginType === 'isolated' ? 'ISOLATED' : 'CROSSED';
    binance.set(`position:${symbol}|${String(p.positionSide)}`, {
      qty, entryPrice: isZero(qty) ? null : rounded(String(p.entryPrice), Math.max(5, u.priceDecimals + 3)), marginMode,
      leverage: String(p.leverage), margin: marginMode === 'ISOLATED' ? dec(String(p.isolatedWallet)) : undefined,
      markPrice: isZero(String(p.markPrice)) ? null : dec(String(p.markPrice)), unrealizedPnl: dec(String(p.unRealizedProfit)),
    });
    binance.set(`setting:${symbol}`, { leverage: String(p.leverage), marginMode });
  }

  const bybit = new Model();
  decodeBybit(bybit, { topic: 'wallet', data: (await doors.bybitGet('/v5/account/wallet-balance', { accountType: 'UNIFIED' })).list }, ctx);
  for (const symbol of names((s) => s.replace('_', '').toUpperCase())) {
    const rows = (await doors.bybitGet('/v5/position/list', { category: 'linear', symbol })).list as Json[];
    // REST rows name the entry price avgPrice.
    decodeBybit(bybit, { topic: 'position', data: rows.map((r) => ({ ...r, entryPrice: r.avgPrice })) }, ctx);
  }

  const kucoin = new Model();
  const settleAssets = new Set([...units.values()].map((u) => u.settleAsset));
  for (const currency of settleAssets) {
    const o = await doors.kucoinGet('/api/v1/account-overview', { currency }) as Json;
    kucoin.set(`wallet:${currency}`, {
      availableBalance: dec(String(o.availableBalance)), orderMargin: dec(String(o.orderMargin)), positionMargin: dec(String(o.positionMargin)),
    });
  }
  for (const name of kucoinNames) {
    for (const data of list(await doors.kucoinGet('/api/v1/position', { symbol: name }))) {
      decodeKucoin(kucoin, { type: 'message', topic: `/contract/position:${name}`, subject: 'position.change', data, seq: String(seq) }, ctx);
    }
  }

  return [{ name: 'xt-rest', model: xt }, { name: 'binance-rest', model: binance }, { name: 'bybit-rest', model: bybit }, { name: 'kucoin-rest', model: kucoin }];
}
