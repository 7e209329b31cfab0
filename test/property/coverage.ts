/**
 * What the generated streams must exercise, asserted by engine-vs-reference.test.ts over the whole
 * run (not only printed): the minimum count of each coverage key (support.ts Coverage) at the smoke
 * size `npm run test:unit` runs (test/suites.ts: 2 seeds × 400 commands) and at the full size `npm
 * test` runs (20 seeds × 2000). The minimums sit well below what the seeds produce today (about a
 * third of it), so that a generator change that stops aiming somewhere fails loudly while ordinary
 * drift does not.
 */
import type { Coverage } from './support.js';

/** At 2 seeds × 400 commands (the smoke size) and more. */
const SMOKE: Record<string, number> = {
  'command placeOrder: ok': 100,
  'command cancelOrder: ok': 10,
  'command amendOrder: ok': 10,
  'command cancelAll: ok': 3,
  'command setMarkPrice: ok': 15,
  'command deposit: ok': 15,
  'command withdraw: ok': 2,
  'command setLeverage: ok': 20,
  'command setMarginMode: ok': 5,
  'command setPositionMode: ok': 5,
  'command adjustIsolatedMargin: ok': 3,
  'command placeConditional: ok': 8,
  'command setPositionTpsl: ok': 4,
  'command settleFunding: ok': 2,
  'command depositInsurance: ok': 2,
  'command createAccount: ok': 10,
  'command placeOrder: ok duplicate': 5,
  'command placeOrder: refused INVALID_ARGUMENT': 5,
  'command cancelOrder: refused UNKNOWN_ORDER': 3,
  'command withdraw: refused INSUFFICIENT_BALANCE': 1,
  'command adjustIsolatedMargin: refused INSUFFICIENT_BALANCE': 2,
  'command setMarginMode: refused HAS_OPEN_POSITION_OR_ORDER': 1,
  'order REJECTED → REJECTED REDUCE_ONLY_WOULD_INCREASE': 20,
  'order REJECTED → REJECTED POST_ONLY_WOULD_TAKE': 3,
  'order REJECTED → REJECTED PRICE_OUTSIDE_BAND': 3,
  'order REJECTED → REJECTED INSUFFICIENT_MARGIN': 2,
  'order REJECTED → REJECTED NO_REFERENCE_PRICE': 1,
  'order EXPIRED → EXPIRED FOK_NOT_FILLABLE': 5,
  'order EXPIRED → EXPIRED IOC_REMAINDER': 5,
  'order EXPIRED → EXPIRED MARKET_REMAINDER': 3,
  'order EXPIRED → EXPIRED SELF_TRADE_PREVENTION': 5,
  'position: one-way flip': 7,
  'liquidation': 2,
  'funding settlement that moved money': 2,
  'funding: paid': 5,
  'funding: received': 5,
};

/**
 * At 20 seeds × 2000 commands (the full size): every command kind, every refusal code and order or
 * conditional rejection / expiry reason the generator aims at, flips, liquidations (both margin
 * modes, both position modes, both directions) and funding (both ways, both signs of the rate).
 */
const FULL: Record<string, number> = {
  'command adjustIsolatedMargin: ok': 150,
  'command amendConditional: ok': 80,
  'command amendOrder: ok': 500,
  'command cancelAll: ok': 300,
  'command cancelAllConditionals: ok': 25,
  'command cancelConditional: ok': 80,
  'command cancelOrder: ok': 600,
  'command createAccount: ok': 130,
  'command deposit: ok': 400,
  'command depositInsurance: ok': 20,
  'command placeConditional: ok': 500,
  'command placeOrder: ok': 6000,
  'command setAssetPrice: ok': 25,
  'command setFeeBurn: ok': 60,
  'command setLeverage: ok': 400,
  'command setMarginMode: ok': 200,
  'command setMarkPrice: ok': 600,
  'command setPositionMode: ok': 100,
  'command setPositionTpsl: ok': 190,
  'command settleFunding: ok': 90,
  'command withdraw: ok': 150,
  'command placeOrder: ok duplicate': 400,
  'command placeConditional: ok duplicate': 1,
  'command adjustIsolatedMargin: refused INSUFFICIENT_BALANCE': 90,
  'command adjustIsolatedMargin: refused INVALID_ARGUMENT': 9,
  'command adjustIsolatedMargin: refused NO_POSITION': 25,
  'command amendConditional: refused INVALID_ARGUMENT': 20,
  'command amendConditional: refused NO_CHANGE': 15,
  'command amendConditional: refused UNKNOWN_ORDER': 7,
  'command amendConditional: refused WOULD_TRIGGER_IMMEDIATELY': 8,
  'command amendConditional: refused TOO_MANY_CONDITIONAL_ORDERS': 1,
  'command amendOrder: refused INVALID_ARGUMENT': 50,
  'command amendOrder: refused NO_CHANGE': 80,
  'command amendOrder: refused ORDER_NOT_AMENDABLE': 55,
  'command amendOrder: refused UNKNOWN_ACCOUNT': 4,
  'command amendOrder: refused UNKNOWN_SYMBOL': 4,
  'command amendOrder: refused WOULD_TRIGGER_IMMEDIATELY': 4,
  'command cancelAll: refused UNKNOWN_ACCOUNT': 4,
  'command cancelAll: refused UNKNOWN_SYMBOL': 4,
  'command cancelAllConditionals: refused INVALID_ARGUMENT': 6,
  'command cancelConditional: refused UNKNOWN_ORDER': 15,
  'command cancelOrder: refused UNKNOWN_ORDER': 180,
  'command deposit: refused INVALID_ARGUMENT': 12,
  'command deposit: refused UNKNOWN_ACCOUNT': 4,
  'command placeConditional: refused INVALID_ARGUMENT': 50,
  'command placeConditional: refused TOO_MANY_CONDITIONAL_ORDERS': 4,
  'command placeConditional: refused UNKNOWN_ACCOUNT': 6,
  'command placeConditional: refused UNKNOWN_SYMBOL': 8,
  'command placeConditional: refused WOULD_TRIGGER_IMMEDIATELY': 10,
  'command placeOrder: refused INVALID_ARGUMENT': 500,
  'command placeOrder: refused TOO_MANY_CONDITIONAL_ORDERS': 2,
  'command placeOrder: refused TOO_MANY_OPEN_ORDERS': 70,
  'command placeOrder: refused UNKNOWN_ACCOUNT': 6,
  'command placeOrder: refused UNKNOWN_SYMBOL': 4,
  'command placeOrder: refused WOULD_TRIGGER_IMMEDIATELY': 6,
  'command setAssetPrice: refused INVALID_ARGUMENT': 6,
  'command setLeverage: refused INSUFFICIENT_BALANCE': 1,
  'command setLeverage: refused INVALID_ARGUMENT': 27,
  'command setLeverage: refused UNKNOWN_ACCOUNT': 5,
  'command setLeverage: refused UNKNOWN_SYMBOL': 5,
  'command setMarginMode: refused HAS_OPEN_POSITION_OR_ORDER': 70,
  'command setMarkPrice: refused INVALID_ARGUMENT': 18,
  'command setMarkPrice: refused UNKNOWN_SYMBOL': 12,
  'command setPositionMode: refused HAS_OPEN_POSITION_OR_ORDER': 70,
  'command setPositionMode: refused UNKNOWN_ACCOUNT': 10,
  'command setPositionTpsl: refused INVALID_ARGUMENT': 5,
  'command setPositionTpsl: refused NO_CHANGE': 27,
  'command setPositionTpsl: refused NO_POSITION': 4,
  'command setPositionTpsl: refused TOO_MANY_CONDITIONAL_ORDERS': 2,
  'command setPositionTpsl: refused WOULD_TRIGGER_IMMEDIATELY': 11,
  'command settleFunding: refused INVALID_ARGUMENT': 10,
  'command settleFunding: refused UNKNOWN_SYMBOL': 3,
  'command withdraw: refused INSUFFICIENT_BALANCE': 70,
  'command withdraw: refused INVALID_ARGUMENT': 27,
  'order REJECTED → REJECTED INSUFFICIENT_MARGIN': 180,
  'order REJECTED → REJECTED NO_REFERENCE_PRICE': 11,
  'order REJECTED → REJECTED POSITION_LIMIT': 12,
  'order REJECTED → REJECTED POST_ONLY_WOULD_TAKE': 350,
  'order REJECTED → REJECTED PRICE_OUTSIDE_BAND': 170,
  'order REJECTED → REJECTED REDUCE_ONLY_WOULD_INCREASE': 900,
  'order EXPIRED → EXPIRED FOK_NOT_FILLABLE': 350,
  'order EXPIRED → EXPIRED IOC_REMAINDER': 300,
  'order EXPIRED → EXPIRED MARKET_REMAINDER': 300,
  'order EXPIRED → EXPIRED REDUCE_ONLY_WOULD_INCREASE': 23,
  'order EXPIRED → EXPIRED SELF_TRADE_PREVENTION': 240,
  'order CANCELED → CANCELED INSUFFICIENT_MARGIN': 1,
  'order CANCELED → CANCELED LIQUIDATION': 7,
  'order CANCELED → CANCELED USER_CANCELED': 650,
  'conditional: rejected at trigger, INSUFFICIENT_MARGIN': 4,
  'conditional: rejected at trigger, ORDER_REFUSED': 7,
  'conditional: rejected at trigger, POST_ONLY_WOULD_TAKE': 4,
  'conditional: rejected at trigger, PRICE_OUTSIDE_BAND': 2,
  'conditional: rejected at trigger, REDUCE_ONLY_WOULD_INCREASE': 90,
  'position: one-way flip': 330,
  'liquidation': 50,
  'liquidation: CROSSED': 20,
  'liquidation: ISOLATED': 30,
  'liquidation: one-way': 40,
  'liquidation: hedge': 10,
  'liquidation: LONG': 25,
  'liquidation: SHORT': 25,
  'funding settlement that moved money': 90,
  'funding: paid': 600,
  'funding: received': 600,
  'funding: a long paid': 100,
  'funding: a short paid': 40,
  'funding: a long received': 40,
  'funding: a short received': 100,
};

/** Missing coverage as readable lines; null when the run is below the smoke size (nothing asserted). */
export function coverageShortfalls(coverage: Coverage, seeds: number, commands: number): string[] | null {
  if (seeds < 2 || commands < 400) return null;
  const wanted = seeds >= 20 && commands >= 2000 ? { ...SMOKE, ...FULL } : SMOKE;
  const out: string[] = [];
  for (const [key, min] of Object.entries(wanted)) {
    const got = coverage.count(key);
    if (got < min) out.push(`${key}: ${got}, want at least ${min}`);
  }
  return out;
}

/**
 * The inverse-and-delivery streams (kinds.test.ts, generator.ts kindsScenarioFor): at the smoke size
 * (2 seeds × 400: seed 1 crosses the delivery, seed 2 does not) and more. Inverse fills and closes
 * with PnL, funding paid in BTC, a refused settleFunding on a delivery symbol, settleDelivery
 * refused before the delivery time and once settled, orders refused SYMBOL_NOT_TRADING, and a
 * settlement of each delivery symbol that closes positions, with resting orders expired.
 */
const KINDS_SMOKE: Record<string, number> = {
  'inverse: fill': 20,
  'inverse: close with realized loss': 2,
  'inverse: placeOrder ok': 20,
  'inverse: settleFunding ok': 1,
  'delivery symbol: fill': 10,
  'delivery symbol: settleFunding refused INVALID_ARGUMENT': 1,
  'delivery symbol: placeOrder refused SYMBOL_NOT_TRADING': 5,
  'command settleDelivery: refused INVALID_ARGUMENT': 2,
  'command settleDelivery: ok': 2,
  'delivery: settled with open positions (linear)': 1,
  'delivery: settled with open positions (inverse)': 1,
  'delivery: settlement expired resting orders': 1,
  'command setIndexPrice: ok': 20,
  'inverse: liquidation': 1,
};

/** At 4 seeds × 2000 commands (kinds.test.ts's default): the same paths, more often, and funding both ways on btc_usd. */
const KINDS_FULL: Record<string, number> = {
  'inverse: fill': 250,
  'inverse: close with realized profit': 40,
  'inverse: close with realized loss': 40,
  'inverse: funding paid': 15,
  'inverse: funding received': 15,
  'delivery symbol: placeOrder refused SYMBOL_NOT_TRADING': 150,
  'command settleDelivery: refused INVALID_ARGUMENT': 12,
  'command settleDelivery: refused UNKNOWN_SYMBOL': 1,
  // Scripted (two crossing seeds, each settling both quarterlies with what KindsPlan puts there).
  'command settleDelivery: ok': 4,
  'delivery: settled with open positions (linear)': 1,
  'delivery: settled with open positions (inverse)': 1,
  'delivery: settlement expired resting orders': 2,
  // The btc_usd victims (no model to aim with, so their liquidations may go through ADL).
  'inverse: liquidation': 10,
};

/** As coverageShortfalls, for the kinds streams. */
export function kindsCoverageShortfalls(coverage: Coverage, seeds: number, commands: number): string[] | null {
  if (seeds < 2 || commands < 400) return null;
  const wanted = seeds >= 4 && commands >= 2000 ? { ...KINDS_SMOKE, ...KINDS_FULL } : KINDS_SMOKE;
  const out: string[] = [];
  for (const [key, min] of Object.entries(wanted)) {
    const got = coverage.count(key);
    if (got < min) out.push(`${key}: ${got}, want at least ${min}`);
  }
  return out;
}
