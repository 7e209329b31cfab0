/**
 * A defect found by the inverse-and-delivery property streams (test/property/kinds.test.ts) and
 * reduced to these commands (delta debugging of the generated streams), kept as its regression test:
 * an inverse leg liquidated in more than one fill could leave its account's wallet at −1 (−10⁻⁸ BTC)
 * with no position left, a debt nobody clears.
 *
 * Why it happened: each fill's inverse PnL is rounded down to amount units on its own (rules: Inverse
 * contracts, PnL), while the full liquidation's clearance is rounded once over the whole order, and
 * ADL (several counterparties, one fill each) has no clearance at all, so n fills could lose up to
 * n − 1 units. The rule now: the takeover (liquidation order and ADL together) is one close, its PnL
 * rounded once, the difference given back from the rounding dust (src/engine/risk/round-once.ts).
 * The second case needs that across both orders: 4 contracts through the book, 3 by ADL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import type { Command } from '../../src/engine/types.js';

const symbols = [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS];

/** Applies the commands (audited after each) and returns the BTC wallets below zero with the last command's notices. */
function run(commands: readonly Command[]): { negative: string[]; notices: string[] } {
  const engine = new Engine({ symbols });
  let notices: string[] = [];
  for (const cmd of commands) {
    const applied = engine.apply(cmd);
    engine.audit();
    notices = applied.events.flatMap((e) => (e.type === 'notice' ? [`${e.notice} account ${e.accountId}`] : []));
  }
  const negative = engine.view().accounts.flatMap((a) => a.wallets.filter((w) => w.asset === 'BTC' && w.walletBalance < 0n).map((w) => `account ${a.accountId}: ${w.walletBalance}`));
  return { negative, notices };
}

/** Account 16 (cross short 4 btc_usd at leverage 71, barely funded) is liquidated by a mark tick through two book fills. */
const THROUGH_THE_BOOK = [
  { type: 'createAccount', time: 1806044962734 },
  { type: 'createAccount', time: 1806044967393 },
  { type: 'createAccount', time: 1806044967535 },
  { type: 'createAccount', time: 1806044972545 },
  { type: 'deposit', time: 1806044972925, accountId: 4, asset: 'BTC', amount: 1262689n },
  { type: 'createAccount', time: 1806044977017 },
  { type: 'createAccount', time: 1806044982187 },
  { type: 'deposit', time: 1806044982230, accountId: 6, asset: 'BTC', amount: 1492949n },
  { type: 'setPositionMode', time: 1806044984754, accountId: 6, positionMode: 'HEDGE' },
  { type: 'createAccount', time: 1806044984786 },
  { type: 'createAccount', time: 1806044991409 },
  { type: 'createAccount', time: 1806044995517 },
  { type: 'createAccount', time: 1806045001163 },
  { type: 'deposit', time: 1806045001944, accountId: 10, asset: 'BTC', amount: 480000000n },
  { type: 'createAccount', time: 1806045007450 },
  { type: 'createAccount', time: 1806045011538 },
  { type: 'createAccount', time: 1806045016593 },
  { type: 'createAccount', time: 1806045022316 },
  { type: 'deposit', time: 1806045022931, accountId: 14, asset: 'BTC', amount: 500000000000n },
  { type: 'createAccount', time: 1806045028321 },
  { type: 'createAccount', time: 1806045030168 },
  { type: 'setLeverage', time: 1806045030811, accountId: 16, symbol: 'btc_usd', leverage: 71 },
  { type: 'placeOrder', time: 1806048095451, accountId: 10, symbol: 'btc_usd', side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 597600, qty: 59, reduceOnly: false, attachTpsl: { mode: 'FULL', stopLoss: { triggerPrice: 598200, triggerSource: 'MARK', orderType: 'LIMIT', price: 598800 } } },
  { type: 'placeOrder', time: 1806048216465, accountId: 14, symbol: 'btc_usd', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 591000, qty: 15, reduceOnly: false },
  { type: 'deposit', time: 1806048247559, accountId: 16, asset: 'BTC', amount: 22792n },
  { type: 'placeOrder', time: 1806048254224, accountId: 4, symbol: 'btc_usd', side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 590100, qty: 10, reduceOnly: false, clientOrderId: 'c4-129', stpMode: 'EXPIRE_TAKER' },
  { type: 'placeOrder', time: 1806048255282, accountId: 6, symbol: 'btc_usd', side: 'SELL', positionSide: 'SHORT', orderType: 'LIMIT', timeInForce: 'GTC', price: 576300, qty: 6, reduceOnly: false, stpMode: 'EXPIRE_MAKER' },
  { type: 'placeOrder', time: 1806048256919, accountId: 14, symbol: 'btc_usd', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 576299, qty: 11, reduceOnly: false },
  { type: 'placeOrder', time: 1806048258191, accountId: 16, symbol: 'btc_usd', side: 'SELL', positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: 4, reduceOnly: false },
  { type: 'setMarkPrice', time: 1806048262328, symbol: 'btc_usd', price: 596779 },
] as Command[];

/** Account 10 (cross long 7 btc_usd at leverage 66, barely funded) is liquidated when an index change moves the mark. */
const ON_AN_INDEX_CHANGE = [
  { type: 'createAccount', time: 1806044957418 },
  { type: 'createAccount', time: 1806044962109 },
  { type: 'createAccount', time: 1806044962213 },
  { type: 'createAccount', time: 1806044966471 },
  { type: 'deposit', time: 1806044967160, accountId: 4, asset: 'BTC', amount: 445000000n },
  { type: 'createAccount', time: 1806044971327 },
  { type: 'createAccount', time: 1806044975684 },
  { type: 'createAccount', time: 1806044979838 },
  { type: 'createAccount', time: 1806044983184 },
  { type: 'createAccount', time: 1806044985718 },
  { type: 'createAccount', time: 1806044990742 },
  { type: 'setLeverage', time: 1806044990937, accountId: 10, symbol: 'btc_usd', leverage: 66 },
  { type: 'placeOrder', time: 1806048513233, accountId: 4, symbol: 'btc_usd', side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 620100, qty: 10, reduceOnly: false, clientOrderId: 'c4-225', stpMode: 'EXPIRE_BOTH' },
  { type: 'deposit', time: 1806048514170, accountId: 10, asset: 'BTC', amount: 17821n },
  { type: 'setMarkPrice', time: 1806048719089, symbol: 'btc_usd', price: 612877 },
  { type: 'placeOrder', time: 1806048722806, accountId: 10, symbol: 'btc_usd', side: 'BUY', positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: 7, reduceOnly: false },
  { type: 'placeOrder', time: 1806048724191, accountId: 4, symbol: 'btc_usd', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 611700, qty: 4, reduceOnly: false },
  { type: 'setIndexPrice', time: 1806048799575, symbol: 'btc_usd', price: 599122 },
] as Command[];

for (const [name, commands] of [['through the book in two fills', THROUGH_THE_BOOK], ['on an index change', ON_AN_INDEX_CHANGE]] as const) {
  test(`an inverse leg liquidated ${name} leaves its wallet at zero or above`, () => {
    const { negative, notices } = run(commands);
    assert.ok(notices.some((n) => n.startsWith('LIQUIDATION')), `the last command liquidates (notices: ${notices.join(', ')})`);
    assert.deepEqual(negative, [], 'no BTC wallet below zero after the liquidation');
  });
}
